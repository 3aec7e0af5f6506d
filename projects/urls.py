from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CarriedView, ProjectViewSet, SavedViewViewSet
from .ledger import InspectionViewSet
from .report_api import (
    KpiView,
    ReportCatalogueView,
    ReportExportView,
    ReportJobFileView,
    ReportJobView,
    ReportView,
)

router = SimpleRouter()
# Registered first: "projects/views/" would otherwise read as the project with id "views".
router.register("projects/views", SavedViewViewSet, basename="saved-view")
router.register("projects", ProjectViewSet, basename="project")
router.register("inspections", InspectionViewSet, basename="inspection")

urlpatterns = [
    # The ledger as a file, at a file's address (no trailing slash), before the router's routes.
    path("inspections/export.xlsx", InspectionViewSet.as_view({"get": "export"}), name="inspection-export"),
    # Reports and KPIs before the router: "projects/reports/" would read as the project "reports".
    path("projects/reports/", ReportCatalogueView.as_view(), name="project-reports"),
    path("projects/reports/<slug:name>/", ReportView.as_view(), name="project-report"),
    path(
        "projects/reports/<slug:name>/export.xlsx", ReportExportView.as_view(), name="project-report-export"
    ),
    path("projects/report-jobs/<int:pk>/", ReportJobView.as_view(), name="project-report-job"),
    path("projects/report-jobs/<int:pk>/file", ReportJobFileView.as_view(), name="project-report-job-file"),
    path("projects/kpis/", KpiView.as_view(), name="project-kpis"),
    path("projects/carried/", CarriedView.as_view(), name="project-carried"),
    *router.urls,
]
