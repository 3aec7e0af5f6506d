from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _partitions(sender: AppConfig, **kwargs: Any) -> None:
    from .partitions import ensure_partitions

    ensure_partitions()


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers

        post_migrate.connect(_partitions, sender=self)
