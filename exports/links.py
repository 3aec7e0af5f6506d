"""Download links: signed (``django.core.signing``), valid for ``EXPORT_LINK_MAX_AGE`` seconds.

A link names one job and the file it made (its token), so it cannot be moved to another job, and it
is only half of what a download needs: the caller must also be the job's owner (or an
administrator). A forwarded link therefore opens nothing for someone else, and an old one in a
browser's history stops working.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.urls import reverse

from . import conf

SALT = "exports.download"


class LinkExpired(Exception):
    """The signature is genuine but older than ``EXPORT_LINK_MAX_AGE``."""


class LinkInvalid(Exception):
    """The signature is not ours, or names another job."""


def _value(job: Any) -> str:
    return f"{job.pk}:{job.token.hex}"


def signature(job: Any) -> str:
    return signing.TimestampSigner(salt=SALT).sign(_value(job))


def download_url(job: Any, request: Any = None) -> str:
    path = reverse("export-job-download", args=[job.pk]) + f"?signature={signature(job)}"
    return request.build_absolute_uri(path) if request is not None else path


def check(job: Any, signed: str) -> None:
    """Raise ``LinkExpired`` or ``LinkInvalid`` unless ``signed`` is a live link to ``job``."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        value = signer.unsign(signed or "", max_age=conf.link_max_age())
    except signing.SignatureExpired as exc:
        raise LinkExpired() from exc
    except signing.BadSignature as exc:
        raise LinkInvalid() from exc
    if value != _value(job):
        raise LinkInvalid()
