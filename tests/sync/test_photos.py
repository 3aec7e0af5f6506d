"""Photos in resumable chunks under their SHA-256, checked when whole, and the operations that
wait for them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from accounts.roles import Role
from layers.models import FieldPoint
from sync.models import Operation, PhotoUpload

from .conftest import jpeg, op, put_chunk, send

pytestmark = pytest.mark.django_db


def _partials() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "sync-partial"
    return list(folder.iterdir()) if folder.exists() else []


def test_a_photo_in_three_chunks_resumes_after_an_interruption(api, city):
    worker = city.users[Role.GRID_WORKER]
    content, sha = jpeg(3000)
    first = put_chunk(api, worker, sha, content, 0, 999)
    assert (first.status_code, first.json()["received"], first["Upload-Offset"]) == (200, 1000, "1000")
    # The second chunk was lost: the third arrives at the wrong offset.
    skipped = put_chunk(api, worker, sha, content, 2000, 2999)
    assert skipped.status_code == 409 and skipped.json()["error"]["received"] == 1000
    assert skipped["Upload-Offset"] == "1000"
    asked = api.as_user(worker).head(f"/api/sync/photos/{sha}/")
    assert (asked.status_code, asked["Upload-Offset"]) == (200, "1000")
    assert put_chunk(api, worker, sha, content, 1000, 1999).json()["received"] == 2000
    done = put_chunk(api, worker, sha, content, 2000, 2999)
    assert done.status_code == 201, done.content
    path = f"photos/{sha}.jpg"
    assert done.json() == {"received": 3000, "total": 3000, "complete": True, "path": path}
    with default_storage.open(path) as f:
        assert f.read() == content
    assert not _partials(), "the partial file is gone once stored"
    again = put_chunk(api, worker, sha, content, 0, 2999)
    assert (again.status_code, again.json()["path"]) == (200, path), "a complete photo is complete"
    assert api.as_user(worker).get(f"/api/sync/photos/{sha}/").json()["complete"] is True


@pytest.mark.parametrize(
    ("head", "ext"),
    [(b"\x89PNG\r\n\x1a\n", "png"), (b"RIFF\x00\x10\x00\x00WEBPVP8 ", "webp")],
    ids=["png", "webp"],
)
def test_png_and_webp_photos_keep_their_type(api, city, head, ext):
    content = head + os.urandom(400)
    sha = hashlib.sha256(content).hexdigest()
    done = put_chunk(api, city.users[Role.GRID_WORKER], sha, content, 0, len(content) - 1)
    assert (done.status_code, done.json()["path"]) == (201, f"photos/{sha}.{ext}")


def test_a_photo_whose_hash_differs_is_refused_and_discarded(api, city):
    worker = city.users[Role.GRID_WORKER]
    content, _sha = jpeg(2000)
    wrong = hashlib.sha256(b"another photo").hexdigest()
    assert put_chunk(api, worker, wrong, content, 0, 999).status_code == 200
    refused = put_chunk(api, worker, wrong, content, 1000, 1999)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "hash_mismatch")
    assert not PhotoUpload.objects.exists() and not _partials()
    restart = api.as_user(worker).get(f"/api/sync/photos/{wrong}/")
    assert restart.json()["received"] == 0, "the next try starts from the beginning"


def test_a_file_that_is_not_an_image_is_refused(api, city):
    content = b"%PDF-1.4 " + os.urandom(500)
    sha = hashlib.sha256(content).hexdigest()
    refused = put_chunk(api, city.users[Role.GRID_WORKER], sha, content, 0, len(content) - 1)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "not_an_image")
    assert not PhotoUpload.objects.exists() and not _partials()


def test_an_oversized_photo_is_refused_at_its_first_chunk(api, city, settings):
    settings.SYNC_PHOTO_MAX_MB = 0.001
    content, sha = jpeg(3000)
    refused = put_chunk(api, city.users[Role.GRID_WORKER], sha, content, 0, 99)
    assert (refused.status_code, refused.json()["error"]["code"]) == (413, "too_large")
    assert not PhotoUpload.objects.exists()


def test_a_bad_content_range_is_a_400_naming_it(api, city):
    content, sha = jpeg(100)
    response = api.as_user(city.users[Role.GRID_WORKER]).put(
        f"/api/sync/photos/{sha}/", content, content_type="application/octet-stream"
    )
    assert response.status_code == 400 and "Content-Range" in response.json()["error"]["fields"]


def test_an_operation_waits_for_its_photo_then_applies(api, city, hazard):
    worker = city.users[Role.GRID_WORKER]
    content, sha = jpeg(1500)
    path = f"photos/{sha}.jpg"
    here = city.inside(0)
    sent = op("field_point.create", {"category": "hazard", "lon": here.x, "lat": here.y, "photos": [path]})
    (waiting,) = send(api, worker, sent)
    assert (waiting["state"], waiting["code"], waiting["photos"]) == ("waiting", "photo_missing", [path])
    assert not FieldPoint.objects.exists() and not Operation.objects.exists(), "nothing kept: it comes again"
    assert put_chunk(api, worker, sha, content, 0, 1499).status_code == 201
    (applied,) = send(api, worker, sent)
    assert applied["state"] == "applied"
    assert FieldPoint.objects.get(pk=applied["result"]["id"]).photos == [path]
    assert send(api, worker, sent) == [applied] and FieldPoint.objects.count() == 1
