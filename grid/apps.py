from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "grid"
    verbose_name = _("网格治理")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - field points of some categories open events by themselves
