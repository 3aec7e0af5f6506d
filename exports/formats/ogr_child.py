"""The GDAL side of a GeoPackage export, in a process of its own (``ogr.Pipe`` starts it).

Why a second process: ``pyogrio.raw.write`` holds the GIL for the whole of each call, so in one
process reading the rows from PostgreSQL and writing them to the file take turns. Here the worker
reads and prepares batch *n + 1* while this process writes batch *n*, on the other core: the export
takes about as long as the slower of the two instead of their sum. pyogrio (which imports pandas
and geopandas) is then loaded only here, never in the worker.

Run as a script (``python ogr_child.py``): it imports NumPy and pyogrio only, no Django. It reads
frames from stdin (an 8-byte length, then a pickle of ``(args, kwargs)`` for ``pyogrio.raw.write``,
from the worker that started it, never from anyone else), writes each in order, and exits 0 at the
end of its input; on an error it prints the traceback to stderr and exits 1.
"""

from __future__ import annotations

import pickle
import struct
import sys
import traceback
import warnings
from typing import Any, BinaryIO

HEADER = struct.Struct("<Q")


SEP = "\0"  # PostgreSQL text never holds NUL; a value that does is sent as it is


# Packed arrays are tagged tuples (plain types: this script unpickles them without the package):
# ("texts", one string, nulls or None): an object array of texts, pickling 200,000 strings one by
# one cost more than writing them; ("blobs", one bytes object, lengths, -1 for None): of WKB.
TEXTS, BLOBS = "texts", "blobs"


def _texts(value: Any) -> Any:
    import numpy as np

    if not isinstance(value, np.ndarray) or value.dtype != object or value.ndim != 1 or not len(value):
        return value
    nulls = value == None  # noqa: E711 - elementwise, on an object array
    try:
        joined = SEP.join(np.where(nulls, "", value) if nulls.any() else value)
    except TypeError:  # not all texts: as it is
        return value
    if joined.count(SEP) != len(value) - 1:
        return value
    return (TEXTS, joined, nulls if nulls.any() else None)


def _blobs(value: Any) -> Any:
    import numpy as np

    try:
        lengths = np.fromiter((-1 if v is None else len(v) for v in value), np.int64, len(value))
        return (BLOBS, b"".join(v for v in value if v is not None), lengths)
    except TypeError:
        return value


def _unpack(value: Any) -> Any:
    import numpy as np

    if not isinstance(value, tuple):
        return value
    if value[0] == TEXTS:
        out = np.array(value[1].split(SEP), dtype=object)
        if value[2] is not None:
            out[value[2]] = None
        return out
    joined, at = value[1], 0
    blobs: list[bytes | None] = []
    for n in value[2].tolist():
        if n < 0:
            blobs.append(None)
        else:
            blobs.append(joined[at : at + n])
            at += n
    return np.array(blobs, dtype=object)


def frame(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """One call to send (``write`` and its arguments): texts and WKB joined, arrays as they are."""
    path, geometry, data, *rest = args
    packed = (path, _blobs(geometry), [_texts(a) for a in data], *rest)
    body = pickle.dumps((packed, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


def _read(stream: BinaryIO, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main() -> int:
    from pyogrio.raw import write

    stream = sys.stdin.buffer
    try:
        while (head := _read(stream, HEADER.size)) is not None:
            body = _read(stream, HEADER.unpack(head)[0])
            if body is None:
                raise EOFError("the worker stopped in the middle of a batch")
            (path, geometry, data, *rest), kwargs = pickle.loads(body)  # noqa: S301 - our worker's frames
            args = (path, _unpack(geometry), [_unpack(a) for a in data], *rest)
            with warnings.catch_warnings():
                # GDAL reports truncated fields and the like as RuntimeWarnings; the manifest says
                # what each format keeps.
                warnings.simplefilter("ignore", RuntimeWarning)
                write(*args, **kwargs)
    except Exception:  # noqa: BLE001 - reported to the worker through stderr and the exit code
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
