from django.urls import path

from . import brochure, desk, editor, exports, meta, mobile, staff, views, wall

app_name = "web"

urlpatterns = [
    path("", views.investment_map, name="map"),
    path("privacy/", views.privacy_notice, name="privacy"),
    path("wall/", views.wall, name="wall"),
    path("brochure/<str:layer>/<int:pk>.pdf", brochure.brochure, name="brochure"),
    path("brochure/<str:layer>/<int:pk>/qr.svg", brochure.share_qr, name="share-qr"),
    path("login/", staff.LoginView.as_view(), name="login"),
    path("logout/", staff.LogoutView.as_view(), name="logout"),
    path("audit/", staff.audit_page, name="audit"),
    path("staff/", staff.workspace_page, name="workspace"),
    path("staff/projects/", staff.projects_page, name="projects"),
    path("staff/projects/<int:pk>/", staff.project_page, name="project"),
    path("staff/reports/", staff.reports_page, name="reports"),
    path("staff/events/", desk.desk_page, name="events"),
    path("staff/events/<int:pk>/", desk.event_page, name="event"),
    path("editor/", editor.editor_page, name="editor"),
    path("exports/", exports.exports_page, name="exports"),
    path("m/", mobile.mobile_page, name="mobile"),
    path("m/sw.js", mobile.service_worker, name="mobile-sw"),
    path("m/manifest.webmanifest", mobile.manifest, name="mobile-manifest"),
    path("api/meta/", meta.MetaView.as_view(), name="meta"),
    path("api/search/", views.SearchView.as_view(), name="search"),
    path("api/wall/summary/", wall.WallSummaryView.as_view(), name="wall-summary"),
    path("api/wall/points/", wall.WallPointsView.as_view(), name="wall-points"),
    path("api/wall/events/", wall.WallEventsView.as_view(), name="wall-events"),
    path("api/stream/field-points/", views.field_point_stream, name="stream-field-points"),
]
