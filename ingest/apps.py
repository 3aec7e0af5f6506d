from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "ingest"
    verbose_name = _("数据导入")

    def ready(self) -> None:
        from . import processors  # noqa: F401 - registers the ingest kinds with the jobs engine
