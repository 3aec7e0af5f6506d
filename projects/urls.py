from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CarriedView, ProjectViewSet, SavedViewViewSet
from .ledger import InspectionViewSet

router = SimpleRouter()
# Registered first: "projects/views/" would otherwise read as the project with id "views".
router.register("projects/views", SavedViewViewSet, basename="saved-view")
router.register("projects", ProjectViewSet, basename="project")
router.register("inspections", InspectionViewSet, basename="inspection")

urlpatterns = [
    # The ledger as a file, at a file's address (no trailing slash), before the router's routes.
    path("inspections/export.xlsx", InspectionViewSet.as_view({"get": "export"}), name="inspection-export"),
    path("projects/carried/", CarriedView.as_view(), name="project-carried"),
    *router.urls,
]
