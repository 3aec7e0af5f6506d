"""One processor per kind of job, in the manner of pygeoapi's processor registry.

A processor does the work in two steps the runner calls in order:

- ``prepare(job, ctx)``: the long part, outside any transaction, reporting progress through
  ``ctx`` and stopping at ``ctx.checkpoint()`` when cancelled or superseded; it returns what it
  made (records to insert, files written);
- ``commit(job, ctx, prepared)``: inside the runner's final transaction, which afterwards checks
  that this worker still holds the job and marks it succeeded. It returns field values to store
  on the job row. A worker that dies before that commit leaves nothing behind.

``discard(prepared)`` undoes what ``prepare`` left outside the database (files) when the job
fails. ``new_report()`` is the report a run fills in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from .models import Job


class Counts:
    """The smallest report: counts and extra information."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.info: dict[str, Any] = {}

    def as_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), **self.info}


class Processor:
    model: ClassVar[type[Job]]
    kind: ClassVar[str]

    def new_report(self) -> Any:
        return Counts()

    def prepare(self, job: Any, ctx: Any) -> Any:
        raise NotImplementedError

    def commit(self, job: Any, ctx: Any, prepared: Any) -> dict[str, Any]:
        raise NotImplementedError

    def discard(self, prepared: Any) -> None:
        return None


_PROCESSORS: dict[tuple[str, str], Processor] = {}
P = TypeVar("P", bound=type[Processor])


def register(*, model: type[Job], kind: str) -> Callable[[P], P]:
    """Class decorator: the processor of ``kind`` jobs of ``model``."""

    def decorate(cls: P) -> P:
        key = (model._meta.label, str(kind))
        if key in _PROCESSORS:
            raise ValueError(f"{key} already has a processor")
        cls.model, cls.kind = model, str(kind)
        _PROCESSORS[key] = cls()
        return cls

    return decorate


def processor_for(job: Job) -> Processor:
    try:
        return _PROCESSORS[(job._meta.label, str(job.kind))]
    except KeyError:
        raise LookupError(f"no processor for {job._meta.label} kind {job.kind}") from None


def job_models() -> list[type[Job]]:
    """Every model that has a processor (the recovery sweep looks at each)."""
    return list({processor.model for processor in _PROCESSORS.values()})
