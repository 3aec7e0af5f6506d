from django.urls import path, re_path

from .api import EntryExport, EntryList

urlpatterns = [
    path("entries/", EntryList.as_view(), name="audit-entries"),
    re_path(r"^entries/export\.(?P<kind>csv|xlsx)$", EntryExport.as_view(), name="audit-export"),
]
