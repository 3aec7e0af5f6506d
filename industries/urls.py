from django.urls import path

from . import api

app_name = "industries"

urlpatterns = [
    path("", api.IndustryListView.as_view(), name="list"),
    path("gaps/", api.GapsView.as_view(), name="gaps"),
    path("targets/", api.TargetsView.as_view(), name="targets"),
]
