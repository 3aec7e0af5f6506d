from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = _("数据导出")

    def ready(self) -> None:
        from . import processors  # noqa: F401 - registers the export formats with the jobs engine
