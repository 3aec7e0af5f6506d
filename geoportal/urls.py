from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .health import healthz, healthz_live, healthz_ready
from .media import serve_media
from .metrics import metrics_view

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/live", healthz_live, name="healthz-live"),
    path("healthz/ready", healthz_ready, name="healthz-ready"),
    # Prometheus scrape endpoint (geoportal/metrics.py): loopback, METRICS_ALLOWED_IPS or staff.
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/auth/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/spatial/", include("spatial.urls")),
    path("api/ingest/", include("ingest.urls")),
    path("api/exports/", include("exports.urls")),
    path("api/pipeline/", include("pipeline.urls")),
    path("api/industries/", include("industries.urls")),
    path("api/audit/", include("audit.urls")),
    path("api/patrols/", include("patrols.urls")),
    path("api/sync/", include("sync.urls")),
    path("api/editing/", include("editing.urls")),
    path("api/", include("projects.urls")),
    path("api/", include("inbox.urls")),
    path("api/", include("grid.urls")),
    path("api/", include("layers.api.urls")),
    re_path(r"^media/(?P<name>.+)$", serve_media, name="media"),
    path("tiles/", include("tiles.urls")),
    path("ogc/", include("ogc.urls")),
    path("", include("web.urls")),
]
