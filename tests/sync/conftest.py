"""What the sync tests share: a phone's batch sent as a user, an event category, and photos."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from grid.models import EventCategory
from layers.models import FieldPointCategory

JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


def op(type_: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """One operation as the phone makes it: a new UUID, the device's time."""
    return {"id": str(uuid.uuid4()), "type": type_, "at": "2026-05-01T08:30:00+08:00", "data": data, **extra}


def send(api: Any, user: Any, *operations: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.as_user(user).post("/api/sync/", {"operations": list(operations)}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["operations"]


def jpeg(size: int = 3000) -> tuple[bytes, str]:
    """A JPEG-looking file of ``size`` bytes, unique to the test, and its SHA-256."""
    content = JPEG_HEAD + os.urandom(size - len(JPEG_HEAD))
    return content, hashlib.sha256(content).hexdigest()


def put_chunk(api: Any, user: Any, sha: str, content: bytes, start: int, end: int) -> Any:
    return api.as_user(user).put(
        f"/api/sync/photos/{sha}/",
        content[start : end + 1],
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE=f"bytes {start}-{end}/{len(content)}",
    )


@pytest.fixture
def hazard(db) -> FieldPointCategory:
    found = FieldPointCategory.objects.get_or_create(
        key="hazard", defaults={"name_zh": "安全隐患", "name_en": "Hazard"}
    )[0]
    # The demo's hazards open an event by themselves (configuration a reseed keeps): not here.
    EventCategory.objects.filter(opens_from=found).update(opens_from=None)
    return found


@pytest.fixture
def category(db) -> EventCategory:
    return EventCategory.objects.create(key="road", name_zh="道路破损", name_en="Damaged road")


@pytest.fixture(autouse=True)
def _photos_removed() -> Iterator[None]:
    """The media written by a test goes with it (the database rows roll back by themselves)."""
    root = Path(settings.MEDIA_ROOT)
    before = {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    yield
    for path in root.rglob("*") if root.exists() else []:
        if (
            path.is_file()
            and path not in before
            and path.parts[len(root.parts)] in {"photos", "sync-partial"}
        ):
            path.unlink()
