from django.urls import path

from . import views

app_name = "spatial"

urlpatterns = [
    path("locate", views.LocateView.as_view(), name="locate"),
    path("judge", views.JudgeView.as_view(), name="judge"),
    path("query", views.QueryView.as_view(), name="query"),
    path("nearby", views.NearbyView.as_view(), name="nearby"),
    path("rollup", views.RollupView.as_view(), name="rollup"),
    path("match", views.MatchView.as_view(), name="match"),
    path("checks/", views.CheckListView.as_view(), name="checks"),
    path("checks/<int:pk>/", views.CheckDetailView.as_view(), name="check"),
    path("checks/<int:pk>/findings/", views.FindingListView.as_view(), name="findings"),
    path("checks/<int:pk>/findings/<int:fid>/", views.FindingDetailView.as_view(), name="finding"),
]
