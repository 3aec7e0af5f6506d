from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("空间图层")

    def ready(self) -> None:
        from .api import schema  # noqa: F401  (registers the OpenAPI extension)
