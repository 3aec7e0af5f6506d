"""Where backups are kept: a local folder (``BACKUP_ROOT``) or an S3-compatible bucket
(``BACKUP_S3_BUCKET``, ``BACKUP_S3_PREFIX``, ``BACKUP_S3_ENDPOINT_URL``; credentials from the usual
``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``).

Both stores have the same few operations on keys such as ``dumps/<name>.dump``. A file appears
under its key whole or not at all (a local file is written aside and renamed; an S3 object is
only visible once its upload completes), so an interrupted backup never leaves a half file that
looks complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings


@dataclass(frozen=True)
class Stored:
    key: str
    modified: datetime


class Store(Protocol):
    where: str  # for messages: a folder or s3://bucket/prefix

    def put(self, key: str, path: Path) -> None: ...
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def get(self, key: str, path: Path) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def list(self, prefix: str) -> Iterator[Stored]: ...
    def delete(self, key: str) -> None: ...


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def _write(self, key: str, fill: Any) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                fill(out)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise

    def put(self, key: str, path: Path) -> None:
        def fill(out: Any) -> None:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)

        self._write(key, fill)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write(key, lambda out: out.write(data))

    def get(self, key: str, path: Path) -> None:
        shutil.copyfile(self._path(key), path)

    def get_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[Stored]:
        base = self._path(prefix)
        if not base.is_dir():
            return
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith(".partial-"):
                modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                yield Stored(path.relative_to(self.root).as_posix(), modified)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    def __init__(self, bucket: str, prefix: str, endpoint_url: str = "") -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.where = f"s3://{bucket}/{self.prefix}"
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, self._key(key))

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str, path: Path) -> None:
        self.client.download_file(self.bucket, self._key(key), str(path))

    def get_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def list(self, prefix: str) -> Iterator[Stored]:
        strip = len(self._key(""))
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix)
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield Stored(item["Key"][strip:], item["LastModified"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def default_store() -> Store:
    """The store the settings name: the bucket when one is set, else the local folder."""
    if settings.BACKUP_S3_BUCKET:
        return S3Store(settings.BACKUP_S3_BUCKET, settings.BACKUP_S3_PREFIX, settings.BACKUP_S3_ENDPOINT_URL)
    return LocalStore(Path(settings.BACKUP_ROOT))
