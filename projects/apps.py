from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("招商项目")

    def ready(self) -> None:
        from . import report_jobs  # noqa: F401 - registers the report export with the jobs engine
