from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpatialConfig(AppConfig):
    name = "spatial"
    verbose_name = _("空间分析")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the overlay checks with the jobs engine
