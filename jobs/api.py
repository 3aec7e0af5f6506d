"""What the jobs APIs (ingest, exports) share: the cancel action's answer."""

from __future__ import annotations

from typing import TypeVar

from rest_framework import status

from core.errors import Rejected

from .models import Job
from .runner import AlreadyFinished, cancel

J = TypeVar("J", bound=Job)


def cancel_or_refuse(job: J, *, allowed: bool, refused: str, ended: str) -> tuple[J, int]:
    """Cancel ``job`` for a user ``allowed`` to (else 403 ``refused``); a job that already ended is
    409 ``ended`` (which names its ``%(status)s``). Returns the job and the status code: 200 when
    it stopped at once, 202 when a running job will stop at its next checkpoint."""
    if not allowed:
        raise Rejected(refused, "permission_denied", status_code=status.HTTP_403_FORBIDDEN)
    try:
        job, stopped = cancel(job)
    except AlreadyFinished as finished:
        raise Rejected(
            ended % {"status": finished.job.get_status_display()},
            "already_finished",
            status_code=status.HTTP_409_CONFLICT,
        ) from None
    return job, status.HTTP_200_OK if stopped else status.HTTP_202_ACCEPTED
