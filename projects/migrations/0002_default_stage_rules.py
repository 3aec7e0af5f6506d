"""Default stage rules. The seeds ask for every limit to be configurable and give no numbers, so
these are starting points (working days), edited in the admin (阶段规则)."""

from django.db import migrations

DEFAULTS = {
    # stage: (time limit, remind before, red after overdue, required fields)
    "first_talk": (20, 5, 10, []),
    "negotiating": (60, 10, 20, ["industry", "investment_wan"]),
    "review": (20, 5, 10, ["industry", "investment_wan"]),
    "signed": (20, 5, 10, ["investment_wan"]),
    "started": (90, 10, 30, []),
    "construction": (30, 5, 10, []),
    "completed": (365, 20, 60, []),
    "production": (90, 10, 30, []),
    "target_output": (365, 20, 60, []),
}


def add(apps, schema_editor):
    StageRule = apps.get_model("projects", "StageRule")
    for stage, (limit, remind, grace, fields) in DEFAULTS.items():
        StageRule.objects.get_or_create(
            stage=stage,
            defaults={"time_limit_days": limit, "remind_days": remind, "red_grace_days": grace, "required_fields": fields},
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
