"""Export files on disk: one folder per job (its token), holding the file and its manifest.

A run writes into the job's folder by name, replacing what an earlier, interrupted run of the same
job left, so a job never leaves two files; removing the folder removes everything of it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from . import conf


def folder(job: Any) -> Path:
    return conf.root() / job.token.hex


def path_of(job: Any) -> Path | None:
    """The job's file, when it names one (it may since have been removed)."""
    return conf.root() / job.file if job.file else None


def place(job: Any, made: Path, filename: str, manifest: dict[str, Any]) -> str:
    """Move the written file into the job's folder, write its manifest beside it; returns the
    file's name relative to the export root."""
    target = folder(job)
    target.mkdir(parents=True, exist_ok=True)
    final = target / filename
    shutil.move(str(made), final)
    sidecar = target / f"{filename}.manifest.json"
    partial = sidecar.with_suffix(".tmp")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(partial, sidecar)
    return f"{job.token.hex}/{filename}"


def remove(job: Any) -> bool:
    """Remove the job's folder; True when there was one. Harmless when already gone."""
    target = folder(job)
    if not target.exists():
        return False
    shutil.rmtree(target, ignore_errors=True)
    return True
