"""How a job ends early. A processor raises these; the runner turns them into the job's state."""

from __future__ import annotations


class JobFailed(Exception):
    """The job cannot be done; ``message`` names the problem and says what to do next."""

    def __init__(self, message: str, code: str = "failed", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class JobCancelled(Exception):
    """The user cancelled the job; nothing is written."""


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead); stop without writing."""
