"""The field-point categories SPEC section 3 names; administrators can add or retire more."""

from django.db import migrations

DEFAULTS = [
    ("hazard", "安全隐患", "Hazard"),
    ("illegal_construction", "违法建设", "Illegal construction"),
    ("fire_risk", "消防隐患", "Fire risk"),
    ("environment", "环境卫生", "Environment"),
    ("other", "其他", "Other"),
]


def add_defaults(apps, schema_editor):
    category = apps.get_model("layers", "FieldPointCategory")
    for key, name_zh, name_en in DEFAULTS:
        category.objects.get_or_create(key=key, defaults={"name_zh": name_zh, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
