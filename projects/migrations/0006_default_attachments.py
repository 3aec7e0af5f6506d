"""Default required attachments per stage (附件资料, seed 001 L173), and a construction window a
build can meet. Like 0002 these are starting points edited in the admin (阶段规则); a rule an
administrator has already changed is left as it is."""

from django.db import migrations

ATTACHMENTS = {
    "first_talk": ["first_talk_form"],
    "review": ["review_materials"],
    "signed": ["contract"],
    "started": ["construction_permit"],
    "completed": ["completion_acceptance"],
    "production": ["production_proof"],
    "target_output": ["target_evidence"],
}
# 0002 gave 在建 30 working days, too short for a build; about two years, flagged a quarter in.
CONSTRUCTION_WAS, CONSTRUCTION_NOW = (30, 5, 10), (480, 20, 60)


def apply(apps, schema_editor):
    StageRule = apps.get_model("projects", "StageRule")
    for stage, kinds in ATTACHMENTS.items():
        StageRule.objects.filter(stage=stage, required_attachments=[]).update(required_attachments=kinds)
    limit, remind, grace = CONSTRUCTION_WAS
    StageRule.objects.filter(
        stage="construction", time_limit_days=limit, remind_days=remind, red_grace_days=grace
    ).update(
        time_limit_days=CONSTRUCTION_NOW[0], remind_days=CONSTRUCTION_NOW[1], red_grace_days=CONSTRUCTION_NOW[2]
    )


class Migration(migrations.Migration):
    dependencies = [("projects", "0005_attachments_supplements_targets")]

    operations = [migrations.RunPython(apply, migrations.RunPython.noop)]
