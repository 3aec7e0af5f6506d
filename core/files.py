"""Small file helpers several packages share."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1024 * 1024


def file_digest(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and size of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
