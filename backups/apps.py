from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "backups"
    verbose_name = _("备份与恢复")

    def ready(self) -> None:
        from . import processors  # noqa: F401 - registers the backup job with the jobs engine
