"""The one way other packages move a project site's stage: the sites are the projects' places on
the map, and they show the stage the project is in. Each change is a save, so the site's history,
the audit log and the tile cache follow as for any edit."""

from __future__ import annotations

from .models import ProjectSite


def follow_stage(project_code: str, stage: str, *, name: str | None = None) -> int:
    """Give the project's sites its stage (and its name); returns how many changed."""
    changed = 0
    for site in ProjectSite.objects.filter(project_code=project_code):
        if site.stage == stage and (name is None or site.project_name == name):
            continue
        site.stage = stage
        if name is not None:
            site.project_name = name
        site.version += 1
        site.save()
        changed += 1
    return changed
