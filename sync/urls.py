from django.urls import path, re_path

from .api import PhotoUploadView, SyncView
from .area import AreaView

urlpatterns = [
    path("", SyncView.as_view(), name="sync"),
    path("area/", AreaView.as_view(), name="sync-area"),
    re_path(r"^photos/(?P<sha256>[0-9a-f]{64})/$", PhotoUploadView.as_view(), name="sync-photo"),
]
