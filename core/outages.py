"""What a request sees when a dependency fails: a 503 (or 507) in the one error shape, never a
500 HTML page.

- ``OutageMiddleware`` turns the exceptions a dead dependency raises anywhere in a view into a
  JSON error naming the part: Redis errors are the ``cache``, kombu's are the ``broker``, a
  PostgreSQL that does not answer is the ``database``. Each carries ``Retry-After``. A broken
  database connection is closed, so the next request opens a fresh one: the platform recovers
  when PostgreSQL is back, without an app restart.
- ``QueueUnavailable`` (503) is raised by ``jobs.runner.enqueue`` when the broker does not answer;
  ``DiskFull`` (507) by ``save_upload`` when the media volume is full.
- ``save_upload`` stores an upload into a ``FileField`` and, when the disk is full, removes the
  partial file before raising, so nothing half-written is left behind.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import OperationalError as DbOperationalError
from django.db import connections
from django.db.utils import InterfaceError as DbInterfaceError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.exceptions import APIException

from .errors import error_body

log = logging.getLogger(__name__)

RETRY_AFTER = "30"
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


# What a dead Redis raises (through django-redis or redis-py directly).
REDIS_DOWN: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)


class PartRefused(APIException):
    """A request refused because one part of the platform cannot take it now; nothing is kept.
    The error body names the ``part``."""

    part: ClassVar[str]
    message: ClassVar[Any]  # lazily translated: the language is the request's

    def __init__(self) -> None:
        super().__init__(detail=str(self.message), code=self.default_code)
        self.extra = {"part": self.part}


class QueueUnavailable(PartRefused):
    """The job queue (broker) does not answer: the upload is refused before anything is kept."""

    status_code = 503
    default_code = "queue_unavailable"
    part = "broker"
    message = gettext_lazy("任务队列暂时不可用，文件未被接收。请过几分钟再试。")


class DiskFull(PartRefused):
    """The media volume is full: the upload is refused and nothing of it is kept."""

    status_code = 507
    default_code = "disk_full"
    part = "media"
    message = gettext_lazy("存储空间已满，文件未保存。请释放空间或联系管理员扩容后再试。")


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


def save_upload(fieldfile: Any, name: str, content: Any) -> None:
    """``fieldfile.save(name, content, save=False)``, but a full disk leaves no partial file.

    Django's ``FileSystemStorage`` writes in chunks and leaves what it wrote when a write fails;
    choosing the name first lets us delete exactly that file. Raises ``DiskFull``.
    """
    field, storage = fieldfile.field, fieldfile.storage
    target = storage.get_available_name(
        field.generate_filename(fieldfile.instance, name), max_length=field.max_length
    )
    try:
        saved = storage.save(target, content, max_length=field.max_length)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        remove_partial(storage, target)
        raise DiskFull() from exc
    fieldfile.name = saved
    setattr(fieldfile.instance, field.attname, saved)
    fieldfile._committed = True


def remove_partial(storage: Any, name: str) -> None:
    try:
        if storage.exists(name):
            storage.delete(name)
    except OSError:  # pragma: no cover - the disk refuses even the delete
        log.exception("could not remove the partial upload %s", name)


def _part(exc: BaseException) -> str | None:
    from kombu.exceptions import OperationalError as KombuOperationalError

    if isinstance(exc, KombuOperationalError):
        return "broker"
    if isinstance(exc, REDIS_DOWN):
        return "cache"
    if isinstance(exc, DbOperationalError | DbInterfaceError):
        return "database"
    return None


def outage_response(exc: BaseException) -> HttpResponse | None:
    """The 503/507 for ``exc`` when it is a dependency failure, else None."""
    if is_disk_full(exc):
        return JsonResponse(error_body("disk_full", str(DiskFull().detail), part="media"), status=507)
    part = _part(exc)
    if part is None:
        return None
    if part == "database":
        # The connection is unusable; closing it makes the next request reconnect.
        for conn in connections.all(initialized_only=True):
            with contextlib.suppress(Exception):  # closing a dead connection may itself fail
                conn.close()
    log.warning("%s unavailable: %s", part, exc)
    message = _(
        "服务的一部分（%(part)s）暂时不可用。请稍后再试；若持续出现，请联系管理员。 (Part of the "
        "service (%(part)s) is unavailable. Try again shortly; tell an administrator if it persists.)"
    ) % {"part": part}
    body = error_body(f"{part}_unavailable", message, part=part)
    return JsonResponse(body, status=503, headers={"Retry-After": RETRY_AFTER})


class OutageMiddleware:
    """Dependency failures become a 503 JSON naming the part (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except Exception as exc:  # raised by a middleware after this one (sessions in the cache)
            response = outage_response(exc)
            if response is None:
                raise
            return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return outage_response(exception)
