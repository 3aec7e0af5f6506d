from rest_framework.routers import SimpleRouter

from .views import ExportJobViewSet

router = SimpleRouter()
router.register("jobs", ExportJobViewSet, basename="export-job")

urlpatterns = router.urls
