from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import DepartmentViewSet, EventCategoryViewSet, GridEventViewSet, PersonViewSet
from .stats_api import EventStatsView

router = SimpleRouter()
# Registered first: "events/categories/" would otherwise read as the event with id "categories".
router.register("events/categories", EventCategoryViewSet, basename="event-category")
router.register("events/departments", DepartmentViewSet, basename="department")
router.register("events/people", PersonViewSet, basename="event-person")
router.register("events", GridEventViewSet, basename="event")

# Before the router's: "events/stats/" would otherwise read as the event with id "stats".
urlpatterns = [path("events/stats/", EventStatsView.as_view(), name="event-stats"), *router.urls]
