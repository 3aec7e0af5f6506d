from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditingConfig(AppConfig):
    name = "editing"
    verbose_name = _("园区数据编辑")
    default_auto_field = "django.db.models.BigAutoField"
