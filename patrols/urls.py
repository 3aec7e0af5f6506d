from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import MonitorView, PlacesReportView, RunViewSet, TaskViewSet, TemplateViewSet, WorklogView

router = SimpleRouter()
router.register("templates", TemplateViewSet, basename="patrol-template")
router.register("tasks", TaskViewSet, basename="patrol-task")
router.register("runs", RunViewSet, basename="patrol-run")

urlpatterns = [
    path("monitor/", MonitorView.as_view(), name="patrol-monitor"),
    path("places/report/", PlacesReportView.as_view(), name="patrol-places-report"),
    path("worklog/", WorklogView.as_view(), name="patrol-worklog"),
    *router.urls,
]
