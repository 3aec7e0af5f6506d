from rest_framework.routers import SimpleRouter

from .api import DepartmentViewSet, EventCategoryViewSet, GridEventViewSet

router = SimpleRouter()
# Registered first: "events/categories/" would otherwise read as the event with id "categories".
router.register("events/categories", EventCategoryViewSet, basename="event-category")
router.register("events/departments", DepartmentViewSet, basename="department")
router.register("events", GridEventViewSet, basename="event")

urlpatterns = router.urls
