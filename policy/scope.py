"""Where a user's own scope reaches (本级及下级), computed once per request.

A staff user is bound to a division, a park or a grid cell (``accounts.roles.SCOPE_BINDING``).
``scope_of(user)`` turns that binding into a ``Scope`` value with at most one query, and keeps it
on the user object, which Django builds anew for every request: every rule a request evaluates
reads the same value, and no rule queries the database per record.

A resource says which of its fields carry a place (``ScopeFields``); a scope then gives

- ``q(fields)``: a queryset filter,
- ``sql(fields, table)``: the same as an SQL fragment with parameters (tiles, raw spatial SQL),
- ``holds(fields, record)``: the same for one record in memory (writes, before and after),
- ``contains(code)``: whether a 12-digit division code lies inside the scope;
- ``above(fields, kind, record)``: whether the scope sits above a place (a division, park or cell);
- ``covers(geom)``: whether a whole geometry lies inside the scope's own places (one query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import Q

from accounts.roles import SCOPE_BINDING, Role
from layers.models import PREFIX_LENGTH, Division, GridCell, Park

NOTHING = Q(pk__in=[])
# How far (degrees, about 10 cm) a written geometry may stray over the edge of the scope: ten times
# the API's output rounding (7 decimals), so a boundary parcel read and sent back is not refused.
COVER_TOLERANCE = 1e-6


def role_of(user: Any) -> str | None:
    """The user's role, or None for an anonymous visitor (or a disabled account)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Role.ADMIN if user.is_superuser else user.role


@dataclass(frozen=True)
class ScopeFields:
    """The fields of a resource that say where a record is.

    ``division`` holds a 12-digit division code (matched by prefix); ``park`` and ``grid_cell``
    hold the id of the park or grid cell the record belongs to (``pk`` for the park or cell
    itself). A path with ``__`` follows a foreign key (``division__code``). A field left out means
    that kind of binding does not reach the resource.
    """

    division: str | None = "division_code"
    park: str | None = None
    grid_cell: str | None = None


@dataclass(frozen=True)
class Scope:
    """A user's reach: everything, a division prefix, a park, some grid cells, or nothing."""

    everything: bool = False
    division_prefix: str | None = None
    park_id: int | None = None
    grid_cell_ids: frozenset[int] = field(default_factory=frozenset)
    # The 12-digit code of the place the binding sits in (stamped on a user's jobs).
    home_code: str = ""

    @property
    def key(self) -> str:
        """A short text naming the scope, for cache keys."""
        if self.everything:
            return "all"
        cells = ",".join(map(str, sorted(self.grid_cell_ids)))
        return f"d{self.division_prefix or ''}|p{self.park_id or ''}|g{cells}"

    def contains(self, code: str) -> bool:
        if self.everything:
            return True
        return bool(self.division_prefix and code and code.startswith(self.division_prefix))

    def q(self, fields: ScopeFields) -> Q:
        """A filter for the records inside the scope; ``Q()`` (no cut) for the whole city."""
        if self.everything:
            return Q()
        if self.division_prefix and fields.division:
            return Q(**{f"{fields.division}__startswith": self.division_prefix})
        if self.park_id and fields.park:
            return Q(**{fields.park: self.park_id})
        if self.grid_cell_ids and fields.grid_cell:
            return Q(**{f"{fields.grid_cell}__in": sorted(self.grid_cell_ids)})
        return NOTHING

    def sql(self, fields: ScopeFields, table: str) -> tuple[str, list[Any]]:
        """``q`` as SQL over ``table`` (already quoted); only plain columns are supported."""
        if self.everything:
            return "TRUE", []
        if self.division_prefix and fields.division:
            return f"{table}.{_column(fields.division)} LIKE %s", [self.division_prefix + "%"]
        if self.park_id and fields.park:
            return f"{table}.{_column(fields.park)} = %s", [self.park_id]
        if self.grid_cell_ids and fields.grid_cell:
            return f"{table}.{_column(fields.grid_cell)} = ANY(%s)", [sorted(self.grid_cell_ids)]
        return "FALSE", []

    def holds(self, fields: ScopeFields, record: Any) -> bool:
        """``q`` for one record in memory."""
        if self.everything:
            return True
        if self.division_prefix and fields.division:
            return self.contains(_value(record, fields.division) or "")
        if self.park_id and fields.park:
            return _value(record, fields.park) == self.park_id
        if self.grid_cell_ids and fields.grid_cell:
            return _value(record, fields.grid_cell) in self.grid_cell_ids
        return False

    def above(self, fields: ScopeFields, kind: str, record: Any) -> bool:
        """Whether the scope sits above ``record``, a place of binding ``kind`` ("division", "park"
        or "grid_cell") located by ``fields``.

        Only a division binding is above anything: parks and grid cells are leaves, so their own
        managers and workers are never above a place. A division is above the parks and cells in
        it, and above the divisions below its own, not above itself.
        """
        if self.everything:
            return True
        if not (self.division_prefix and fields.division):
            return False
        code = _value(record, fields.division) or ""
        return self.contains(code) and (kind != "division" or code != self.home_code)

    def covers(self, geom: GEOSGeometry) -> bool:
        """Whether every part of ``geom`` lies inside the places the scope is made of (the bound
        division, the park, or the cell and its sub-cells), within ``COVER_TOLERANCE``."""
        return self.covers_all([geom])[0]

    def covers_all(self, geoms: Sequence[GEOSGeometry]) -> list[bool]:
        """``covers`` for many geometries (an import's records) in one query whatever their number
        and parts; the buffered test runs only for those the exact one fails, as buffering a county
        boundary costs more than the test itself."""
        if self.everything or not geoms:
            return [True] * len(geoms)
        args: list[Any]
        if self.division_prefix:
            place, args = f"SELECT geom FROM {_table(Division)} WHERE code = %s", [self.home_code]
        elif self.park_id:
            place, args = f"SELECT geom FROM {_table(Park)} WHERE id = %s", [self.park_id]
        elif self.grid_cell_ids:
            place, args = (
                f"SELECT ST_Union(geom) FROM {_table(GridCell)} WHERE id = ANY(%s)",
                [sorted(self.grid_cell_ids)],
            )
        else:
            return [False] * len(geoms)
        wkb = [bytes(g.ewkb) if g.srid else bytes(GEOSGeometry(g.wkb, srid=4326).ewkb) for g in geoms]
        # The place is an uncorrelated scalar subquery: PostgreSQL reads it once for all rows.
        sql = (
            "SELECT CASE WHEN ST_CoveredBy(t.g, t.s) THEN true"
            " ELSE COALESCE(ST_CoveredBy(t.g, ST_Buffer(t.s, %s)), false) END"
            " FROM (SELECT n, ST_Transform(ST_GeomFromEWKB(w), 4326) AS g,"
            f"       ({place} AND deleted_at IS NULL) AS s"
            "       FROM unnest(%s::bytea[]) WITH ORDINALITY AS u(w, n)) t ORDER BY t.n"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [COVER_TOLERANCE, *args, wkb])
            found = [bool(row[0]) for row in cur.fetchall()]
        return found if len(found) == len(geoms) else [False] * len(geoms)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(path: str) -> str:
    if "__" in path:
        raise ValueError(f"{path}: raw SQL scope needs a column of the table itself")
    return "id" if path == "pk" else path


def _value(record: Any, path: str) -> Any:
    value = record
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


EVERYTHING = Scope(everything=True)
NOWHERE = Scope()
_MEMO = "_policy_scope"


def _binding(user: Any) -> tuple[Any, ...]:
    return (
        role_of(user),
        getattr(user, "division_id", None),
        getattr(user, "park_id", None),
        getattr(user, "grid_cell_id", None),
    )


def scope_of(user: Any) -> Scope:
    """The user's scope, computed once and kept on the user object for as long as its binding."""
    binding = _binding(user)
    memo = getattr(user, _MEMO, None)
    if memo is not None and memo[0] == binding:
        return memo[1]
    scope = _compute(binding)
    if user is not None:
        setattr(user, _MEMO, (binding, scope))
    return scope


def _compute(binding: tuple[Any, ...]) -> Scope:
    role, division_id, park_id, cell_id = binding
    if role in {Role.ADMIN, Role.DISPLAY}:
        return EVERYTHING
    kind = SCOPE_BINDING.get(role) if role else None
    if kind == "division" and division_id:
        row = Division.all_objects.filter(pk=division_id).values_list("code", "level").first()
        if row:
            code, level = row
            return Scope(division_prefix=code[: PREFIX_LENGTH[level]], home_code=code)
    if kind == "park" and park_id:
        park_code = Park.all_objects.filter(pk=park_id).values_list("division_code", flat=True).first()
        return Scope(park_id=park_id, home_code=park_code or "")
    if kind == "grid_cell" and cell_id:
        # The worker's cell and its sub-cells (组), in one query.
        rows = list(
            GridCell.objects.filter(Q(pk=cell_id) | Q(parent_id=cell_id)).values_list("id", "division_code")
        )
        home = next((code for pk, code in rows if pk == cell_id), "")
        return Scope(grid_cell_ids=frozenset([cell_id, *(pk for pk, _ in rows)]), home_code=home)
    return NOWHERE
