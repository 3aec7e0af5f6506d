"""What a writer reads: a table of columns and rows, with or without geometry.

A layer's features come from ``layers.api.features.FeatureSource`` (scoped by the queryset the source
built from ``readable(user, spec)``, personal fields masked there); a report or a roll-up is a
table of plain rows. Writers see one interface (``Table``) and never query anything themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from layers.crs import CRS, STORAGE_CRS


@dataclass(frozen=True)
class Column:
    """One output column: ``kind`` says how its values are written (int, float, decimal, text,
    bool, date, datetime, json, array, fk, file, uuid)."""

    name: str
    title: str
    kind: str = "text"
    personal: bool = False


class Rows(Protocol):
    """A batch of rows (``layers.api.features.Batch`` has this shape)."""

    @property
    def ids(self) -> list[int]: ...

    @property
    def values(self) -> dict[str, list[Any]]: ...

    @property
    def wkb(self) -> list[bytes | None]: ...


@dataclass(frozen=True)
class Batch:
    ids: list[int]
    values: dict[str, list[Any]]
    wkb: list[bytes | None]


class Table(Protocol):
    name: str  # the layer or report name: the file's and the GIS layer's name
    title: str
    columns: list[Column]
    geographic: bool
    crs: CRS
    geometry_type: str  # pyogrio's: Point, MultiPolygon, ..., Unknown (mixed)
    geometry_types: tuple[str, ...]  # the types the rows may hold

    def count(self) -> int: ...

    def batches(self, size: int) -> Iterator[Rows]: ...

    def chunks(self, size: int) -> Iterator[str] | None:
        """Comma-joined GeoJSON Feature texts when the source builds them itself, else None."""
        ...


def _ogr_type(spec_type: str) -> str:
    return "Unknown" if spec_type == "Geometry" else spec_type


class FeatureTable:
    """A layer's features through ``FeatureSource``; ``extra`` adds columns by record id (the
    distance of a nearby search)."""

    geographic = True

    def __init__(
        self,
        source: Any,
        *,
        extra_columns: Iterable[Column] = (),
        extra: dict[int, dict[str, Any]] | None = None,
    ) -> None:
        spec = source.spec
        self.source = source
        self.name = spec.name
        self.title = spec.title_zh
        self.crs = source.crs
        self.geometry_type = _ogr_type(spec.geometry_type)
        self.geometry_types = tuple(spec.geometry_types)
        self.extra_columns = list(extra_columns)
        self.extra = extra or {}
        self.columns = [
            Column(c.name, str(c.title), c.kind, bool(c.personal)) for c in source.columns
        ] + self.extra_columns

    def count(self) -> int:
        return int(self.source.count())

    def batches(self, size: int) -> Iterator[Rows]:
        for batch in self.source.batches(size):
            if self.extra_columns:
                for c in self.extra_columns:
                    batch.values[c.name] = [self.extra.get(pk, {}).get(c.name) for pk in batch.ids]
            yield batch

    def chunks(self, size: int) -> Iterator[str] | None:
        if self.extra_columns:
            return None  # the extra properties are not in the SQL-built texts
        return self.source.chunks(size)

    def column_batches(self, size: int) -> Iterator[Any]:
        """The rows as typed columns for GDAL (``exports.columnar``), extra columns included."""
        from . import columnar

        extras = [columnar.Column(c.name, c.kind, False) for c in self.extra_columns]
        for batch in columnar.batches(self.source, size):
            if extras:
                for c in self.extra_columns:
                    batch.values[c.name] = [self.extra.get(pk, {}).get(c.name) for pk in batch.ids]
                batch.columns.extend(extras)
            yield batch


@dataclass
class RowTable:
    """Plain rows (a report, a roll-up): no geometry. ``rows`` is called once, when writing."""

    name: str
    title: str
    columns: list[Column]
    rows: Callable[[], Iterable[list[Any]]]
    counted: Callable[[], int]
    geographic: bool = False
    crs: CRS = STORAGE_CRS
    geometry_type: str = "None"
    geometry_types: tuple[str, ...] = field(default=())

    def count(self) -> int:
        return self.counted()

    def batches(self, size: int) -> Iterator[Rows]:
        names = [c.name for c in self.columns]
        chunk: list[list[Any]] = []
        n = 0

        def flush() -> Batch:
            cols = list(zip(*chunk, strict=True)) if chunk else [() for _ in names]
            values = {name: list(cols[i]) for i, name in enumerate(names)}
            ids = list(range(n - len(chunk) + 1, n + 1))
            return Batch(ids, values, [None] * len(chunk))

        for row in self.rows():
            row = list(row)
            # A report row may be shorter than its header (an empty trailing cell).
            row += [None] * (len(names) - len(row))
            chunk.append(row[: len(names)])
            n += 1
            if len(chunk) >= size:
                yield flush()
                chunk = []
        if chunk:
            yield flush()

    def chunks(self, size: int) -> Iterator[str] | None:
        return None
