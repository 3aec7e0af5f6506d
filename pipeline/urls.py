from rest_framework.routers import SimpleRouter

from .views import LeadViewSet

router = SimpleRouter()
router.register("leads", LeadViewSet, basename="lead")

urlpatterns = router.urls
