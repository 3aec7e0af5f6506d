"""The spatial SQL of the industry theme: enterprises counted per chain link around a site and per
county. Enterprises are never published (they carry a contact), so what leaves here for the public
map is counts, distances and the names of chain leaders (``Enterprise.chain_leader``, published by
design); officers read the same counts per county for targeting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from layers.models import PREFIX_LENGTH

from .models import Industry


@dataclass(frozen=True)
class LinkNear:
    link_id: int
    count: int
    nearest_m: float | None
    leaders: list[tuple[str, float]]  # (name, metres) of the chain leaders on this link in reach


def _rows(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def links_near(lon: float, lat: float, radius_m: float, link_ids: Sequence[int]) -> dict[int, LinkNear]:
    """For each link: the enterprises on it within ``radius_m`` of the point (on the spheroid, on the
    GiST index through ``ST_DWithin`` on geography), the nearest one's distance at any range, and
    the chain leaders in reach."""
    rows = _rows(
        """
        WITH site AS (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography AS g),
        links AS (SELECT unnest(%s::bigint[]) AS id)
        SELECT links.id,
               (SELECT count(*) FROM layers_enterprise e, site
                 WHERE e.chain_link_id = links.id AND e.deleted_at IS NULL
                   AND ST_DWithin(e.geom::geography, site.g, %s)),
               (SELECT min(ST_Distance(e.geom::geography, site.g)) FROM layers_enterprise e, site
                 WHERE e.chain_link_id = links.id AND e.deleted_at IS NULL),
               (SELECT coalesce(array_agg(e.name ORDER BY ST_Distance(e.geom::geography, site.g)), '{}')
                  FROM layers_enterprise e, site
                 WHERE e.chain_link_id = links.id AND e.chain_leader AND e.deleted_at IS NULL
                   AND ST_DWithin(e.geom::geography, site.g, %s)),
               (SELECT coalesce(array_agg(ST_Distance(e.geom::geography, site.g)
                                          ORDER BY ST_Distance(e.geom::geography, site.g)), '{}')
                  FROM layers_enterprise e, site
                 WHERE e.chain_link_id = links.id AND e.chain_leader AND e.deleted_at IS NULL
                   AND ST_DWithin(e.geom::geography, site.g, %s))
        FROM links
        """,
        [lon, lat, list(link_ids), radius_m, radius_m, radius_m],
    )
    return {
        link: LinkNear(link, count, nearest, list(zip(names, metres, strict=True)))
        for link, count, nearest, names, metres in rows
    }


def counts_by_county(prefix: str = "") -> dict[tuple[str, int], int]:
    """Enterprises per (county code prefix, chain link) within the division ``prefix`` (all when
    empty), counted by the indexed division code."""
    n = PREFIX_LENGTH["county"]
    rows = _rows(
        f"""
        SELECT left(division_code, {n}), chain_link_id, count(*) FROM layers_enterprise
        WHERE chain_link_id IS NOT NULL AND deleted_at IS NULL AND division_code LIKE %s
        GROUP BY 1, 2
        """,
        [prefix + "%"],
    )
    return {(county, link): count for county, link, count in rows}


def counts_by_link() -> dict[int, int]:
    """Enterprises per chain link, city-wide."""
    return dict(
        _rows(
            "SELECT chain_link_id, count(*) FROM layers_enterprise"
            " WHERE chain_link_id IS NOT NULL AND deleted_at IS NULL GROUP BY 1",
            [],
        )
    )


def leaders() -> list[tuple[str, int, str]]:
    """Every chain leader: (name, link id, division code)."""
    return _rows(
        "SELECT name, chain_link_id, division_code FROM layers_enterprise"
        " WHERE chain_leader AND chain_link_id IS NOT NULL AND deleted_at IS NULL ORDER BY name",
        [],
    )


def parks_by_county(prefix: str = "") -> dict[str, set[str]]:
    """The industry codes the parks of each county lead, within the division ``prefix``."""
    n = PREFIX_LENGTH["county"]
    out: dict[str, set[str]] = {}
    for county, code in _rows(
        f"SELECT DISTINCT left(division_code, {n}), unnest(industries) FROM layers_park"
        " WHERE deleted_at IS NULL AND division_code LIKE %s",
        [prefix + "%"],
    ):
        out.setdefault(county, set()).add(code)
    return out


def industry_names(codes: Iterable[str], lang: str) -> list[str]:
    """The names of these industries in the reader's language, in the order given."""
    codes = list(codes)
    names = {i.code: (i.name_en if lang == "en" else i.name) for i in Industry.objects.filter(code__in=codes)}
    return [names.get(code, code) for code in codes]
