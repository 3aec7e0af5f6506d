"""Write a generated City into the database, and remove it again (``flush_demo``).

Big tables go through layers.demo.bulk (COPY + set-based derived fields); the handful of
panoramas go through the ORM, whose save() stores their images and derives their fields.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import shapely
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import GEOSGeometry
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import Q

from accounts.roles import Role
from industries.demo import LINK_WEIGHTS, load_industries
from industries.models import Industry
from layers import models as m

from . import vocab
from .accounts import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_USERNAMES,
    WORKER_PASSWORD_MARK,
    WORKER_USERNAME_PREFIX,
)
from .bulk import bulk_load, next_ids
from .city import City, person_name, phone_number
from .geo import as_multipolygons
from .images import panorama_jpeg
from .parcels import Parcels
from .places import places as demo_places

Say = Callable[[str], None]
LAYER_MODELS: list[type[m.LayerFeature]] = [
    m.Division,
    m.GridCell,
    m.Park,
    m.LandParcel,
    m.Building,
    m.ProjectSite,
    m.Amenity,
    m.TransportLine,
    m.FieldPoint,
    m.PatrolTrack,
    m.Panorama,
    m.Orthophoto,
    m.Enterprise,
    m.Place,
]
# Referenced by accounts_user, so they cannot be TRUNCATEd; they are small enough to DELETE.
REFERENCED_BY_USERS = (m.Division, m.GridCell, m.Park)


class Stage:
    """Times one step of the load and reports it as a progress line."""

    def __init__(self, say: Say, name: str) -> None:
        self.say, self.name, self.rows, self.detail = say, name, 0, ""

    def __enter__(self) -> Stage:
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            rows = f"{self.rows:>9,} rows" if self.rows else " " * 14
            line = f"  {self.name:<16} {rows} {time.monotonic() - self.start:>7.1f} s"
            self.say(f"{line}  ({self.detail})" if self.detail else line)


def investment_contacts(owners: list[str], office: str) -> dict[str, np.ndarray]:
    """A published investment officer for each named owner (a county, a park; "" for none): a
    name, a title at ``office``, an office line in Yunfu's 0766 area and a work address."""
    rng = np.random.default_rng(sum(map(ord, office)))  # another officer for each office
    rows = [
        (person_name(rng), f"{office}招商专员", f"0766-{int(rng.integers(2_000_000, 9_000_000))}")
        if owner
        else ("", "", "")
        for owner in owners
    ]
    emails = [f"invest{i:03d}@yunfu.gov.cn.example" if owner else "" for i, owner in enumerate(owners)]
    return {
        "investment_contact_name": np.array([r[0] for r in rows], dtype=object),
        "investment_contact_title": np.array([r[1] for r in rows], dtype=object),
        "investment_contact_phone": np.array([r[2] for r in rows], dtype=object),
        "investment_contact_email": np.array(emails, dtype=object),
    }


def park_utilities(names: list[str]) -> dict[str, np.ndarray]:
    """Each park's utility capacity and its planning documents (titles; no file to download)."""
    rng = np.random.default_rng(767)
    n = len(names)
    return {
        "power_capacity_kva": rng.integers(20, 200, n) * 1000,
        "water_supply_t_day": rng.integers(5, 80, n) * 1000,
        "gas_supply_m3_day": rng.integers(1, 30, n) * 1000,
        "sewage_capacity_t_day": rng.integers(2, 40, n) * 1000,
        "planning_files": _objects(
            [
                [
                    {"title": f"{name}控制性详细规划（2021—2035年）", "url": ""},
                    {"title": f"{name}产业发展规划", "url": ""},
                ]
                for name in names
            ]
        ),
    }


def demo_users() -> models.QuerySet:
    return get_user_model().objects.filter(
        Q(username__in=DEMO_USERNAMES)
        | Q(
            role=Role.GRID_WORKER,
            password=WORKER_PASSWORD_MARK,
            username__regex=rf"^{WORKER_USERNAME_PREFIX}\d{{15}}$",
        )
    )


def has_demo_data() -> bool:
    return any(model.all_objects.exists() for model in LAYER_MODELS) or demo_users().exists()


def flush_demo(say: Say) -> None:
    """Delete every layer record (and its history) and the demo users. Call inside a transaction."""
    with Stage(say, "flush") as stage:
        files = [
            name for pair in m.Panorama.all_objects.values_list("image", "thumbnail") for name in pair if name
        ]
        big = [model for model in LAYER_MODELS if model not in REFERENCED_BY_USERS]
        tables = [model._meta.db_table for model in big]
        tables += [model.history.model._meta.db_table for model in LAYER_MODELS]
        kept = [model._meta.db_table for model in REFERENCED_BY_USERS]
        extra = dependent_tables(tables + kept)
        if extra:
            say(f"  flush also empties {', '.join(extra)}: they point at layer records")
        with connection.cursor() as cur:
            # TRUNCATE refuses tables with deferred FK checks still queued (rows inserted earlier in
            # this transaction, e.g. a test that seeds twice): run those checks now.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
            cur.execute(f"TRUNCATE {', '.join(tables + extra)} RESTART IDENTITY")
            stage.rows, _ = demo_users().delete()
            # Other users bound to a division, park or grid cell that is about to go lose the binding.
            get_user_model().objects.filter(
                Q(division__isnull=False) | Q(park__isnull=False) | Q(grid_cell__isnull=False)
            ).update(division=None, park=None, grid_cell=None)
            for model in (m.GridCell, m.Park, m.Division):
                cur.execute(f"DELETE FROM {model._meta.db_table}")
                stage.rows += cur.rowcount
        transaction.on_commit(lambda: _delete_orphans(files))


def dependent_tables(tables: list[str]) -> list[str]:
    """Other apps' tables whose foreign keys lead into `tables` (say, reports naming a parcel); they
    must be emptied with them. The user table is not followed: users are deleted one by one."""
    users = get_user_model()._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            "WITH RECURSIVE dep(rel) AS ("
            " SELECT conrelid FROM pg_constraint WHERE contype = 'f' AND confrelid = ANY(%s::regclass[])"
            " UNION SELECT c.conrelid FROM pg_constraint c JOIN dep ON c.confrelid = dep.rel"
            " WHERE c.contype = 'f' AND dep.rel <> %s::regclass)"
            " SELECT DISTINCT rel::regclass::text FROM dep",
            [tables, users],
        )
        found = {name for (name,) in cur.fetchall()}
    return sorted(found - set(tables) - {users})


def _delete_orphans(files: list[str]) -> None:
    """Delete the flushed panoramas' files, unless a reload in the same transaction reused the name."""
    in_use = m.Panorama.all_objects.filter(Q(image__in=files) | Q(thumbnail__in=files))
    kept = {name for pair in in_use.values_list("image", "thumbnail") for name in pair}
    for name in files:
        if name not in kept:
            default_storage.delete(name)


def _check_choices(model: type[models.Model], values: dict[str, object]) -> None:
    """A vocabulary value that is not a valid choice is a bug in vocab.py; fail before writing."""
    for f in model._meta.concrete_fields:
        column = values.get(f.name)
        if f.choices and isinstance(column, np.ndarray):
            bad = set(np.unique(column.astype(str))) - {str(k) for k, _ in f.flatchoices} - {""}
            if bad:
                raise ValueError(f"{model.__name__}.{f.name}: not a choice: {sorted(bad)[:5]}")


def _load(
    say: Say,
    name: str,
    model: type[models.Model],
    values: dict[str, object],
    n: int,
    ids: np.ndarray | None = None,
) -> np.ndarray:
    _check_choices(model, values)
    with Stage(say, name) as stage:
        ids = next_ids(model, n) if ids is None else ids
        times = bulk_load(model, ids, values)
        stage.rows = n
        stage.detail = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in times.items())
    return ids


def _analyze(*tables: str) -> None:
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"ANALYZE {table}")


def _ids_or_none(ids: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.array([int(ids[i]) if i >= 0 else None for i in index], dtype=object)


def load_city(city: City, say: Say) -> dict[str, int]:
    """Insert everything; the caller owns the transaction. Returns row counts per layer."""
    c = city.to_lonlat()
    for key, (zh, en, _share) in vocab.FIELD_POINT_CATEGORIES.items():
        m.FieldPointCategory.objects.get_or_create(key=key, defaults={"name_zh": zh, "name_en": en})
    industries = load_industries()
    industry_code = {name: industry.code for name, industry in industries.items()}

    div_ids = next_ids(m.Division, len(c.divisions))
    div_id = dict(zip([d.code for d in c.divisions], div_ids.tolist(), strict=True))
    _load(
        say,
        "divisions",
        m.Division,
        {
            "code": np.array([d.code for d in c.divisions], dtype=object),
            "name": np.array([d.name for d in c.divisions], dtype=object),
            "level": np.array([d.level for d in c.divisions], dtype=object),
            # Parents can be named before they exist: ids are chosen in advance and the FK is deferred.
            "parent": np.array([div_id[d.parent] if d.parent else None for d in c.divisions], dtype=object),
            **investment_contacts([d.name if d.level == "county" else "" for d in c.divisions], "招商局"),
            "geom": np.array([d.geom for d in c.divisions], dtype=object),
            "is_public": True,
        },
        len(c.divisions),
        div_ids,
    )
    cell_ids = _load(
        say,
        "grid cells",
        m.GridCell,
        {
            "code": np.array([g.code for g in c.grid_cells], dtype=object),
            "name": np.array([g.name for g in c.grid_cells], dtype=object),
            "geom": np.array([g.geom for g in c.grid_cells], dtype=object),
        },
        len(c.grid_cells),
    )
    cell_id = dict(zip([g.code for g in c.grid_cells], cell_ids.tolist(), strict=True))
    park_ids = _load(
        say,
        "parks",
        m.Park,
        {
            "name": np.array([p.name for p in c.parks], dtype=object),
            "level": np.array([p.level for p in c.parks], dtype=object),
            "industries": _objects([[industry_code[name] for name in p.industries] for p in c.parks]),
            "contact_name": np.array([p.contact_name for p in c.parks], dtype=object),
            "contact_phone": np.array([p.contact_phone for p in c.parks], dtype=object),
            "policies": np.array([p.policies for p in c.parks], dtype=object),
            "policies_en": np.array([p.policies_en for p in c.parks], dtype=object),
            **investment_contacts([p.name for p in c.parks], "管委会"),
            **park_utilities([p.name for p in c.parks]),
            "geom": as_multipolygons([p.geom for p in c.parks]),
            "is_public": True,
        },
        len(c.parks),
    )
    _analyze("layers_division", "layers_gridcell", "layers_park")

    p = c.parcels
    parcel_ids = _load(say, "land parcels", m.LandParcel, {**p.attrs, "geom": p.geom}, len(p))
    occupants = _load_occupants(say, p, industries)
    b = c.buildings
    building_ids = _load(
        say,
        "buildings",
        m.Building,
        {k: v for k, v in b.items() if k not in ("parcel", "planted")},
        len(b["geom"]),
    )
    pr = c.projects
    project_ids = _load(
        say,
        "project sites",
        m.ProjectSite,
        {
            **{
                k: pr[k]
                for k in ("project_code", "project_name", "industry", "stage", "investment_wan", "geom")
            },
            "parcel_id": _ids_or_none(parcel_ids, pr["parcel"]),
            "building_id": _ids_or_none(building_ids, pr["building"]),
            "is_public": False,
        },
        len(pr["geom"]),
    )
    with connection.cursor() as cur:
        occ = pr["occupies"]
        cur.execute(
            "UPDATE layers_landparcel p SET occupant_project_id = v.project"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS v(parcel, project) WHERE p.id = v.parcel",
            [parcel_ids[pr["parcel"][occ]].tolist(), project_ids[occ].tolist()],
        )
        cur.execute(
            "UPDATE layers_park k SET available_area_m2 = COALESCE((SELECT round(sum(p.area_m2)::numeric, 2)"
            " FROM layers_landparcel p WHERE p.park_id = k.id AND p.supply_status = 'available'"
            " AND p.deleted_at IS NULL), 0)"
        )
    _load(say, "amenities", m.Amenity, {**c.amenities, "is_public": True}, len(c.amenities["geom"]))
    _load(say, "transport", m.TransportLine, {**c.transport, "is_public": True}, len(c.transport["geom"]))
    category_id = dict(m.FieldPointCategory.objects.values_list("key", "id"))
    fp = c.field_points
    _load(
        say,
        "field points",
        m.FieldPoint,
        {
            **{k: v for k, v in fp.items() if k != "category"},
            "category_id": np.array([category_id[k] for k in fp["category"]]),
            "created_at": fp["reported_at"],
        },
        len(fp["geom"]),
    )
    tr = c.tracks
    _load(
        say,
        "patrol tracks",
        m.PatrolTrack,
        {
            **{k: v for k, v in tr.items() if k != "cell"},
            "created_at": tr["ended_at"],
        },
        len(tr["geom"]),
    )
    with Stage(say, "places") as stage:
        made = demo_places(c.scale, c.seed)
        m.Place.objects.bulk_create(made, batch_size=2000)
        stage.rows = len(made)
    users = _load_users(c, say, div_id, cell_id, park_ids)
    _load_panoramas(c, say, parcel_ids)
    with Stage(say, "analyze"):
        _analyze(*[model._meta.db_table for model in LAYER_MODELS], "accounts_user")
    return {
        "divisions": len(c.divisions),
        "grid cells": len(c.grid_cells),
        "parks": len(c.parks),
        "land parcels": len(p),
        "enterprises on industrial land": occupants,
        "buildings": len(b["geom"]),
        "project sites": len(pr["geom"]),
        "amenities": len(c.amenities["geom"]),
        "transport lines": len(c.transport["geom"]),
        "field points": len(fp["geom"]),
        "patrol tracks": len(tr["geom"]),
        "panoramas": len(c.panoramas["geom"]),
        "places": len(made),
        "users": users,
    }


def _load_occupants(say: Say, p: Parcels, industries: dict[str, Industry]) -> int:
    """The firms already working on the city's industrial land, as enterprises on a link of their
    industry's chain (weighted by ``LINK_WEIGHTS``: thin downstream links leave gaps): the industry
    theme's counts. Projects add the enterprises they bring (projects.demo)."""
    use = p.attrs["land_use"]
    occupant = p.attrs["occupant_enterprise"]
    on = np.flatnonzero(np.isin(use, ("industrial", "warehouse")) & (occupant != ""))
    rng = np.random.default_rng(4870)
    link_id = np.zeros(len(on), dtype=np.int64)
    links = {name: list(i.links.values_list("id", flat=True)) for name, i in industries.items()}
    for k, i in enumerate(on):
        chain = links.get(p.industry[i])
        if chain:
            weights = np.array(LINK_WEIGHTS[: len(chain)])
            link_id[k] = chain[rng.choice(len(chain), p=weights / weights.sum())]
    keep = link_id > 0
    on, link_id = on[keep], link_id[keep]
    _load(
        say,
        "enterprises",
        m.Enterprise,
        {
            "name": occupant[on],
            "industry": p.industry[on],
            "chain_link_id": link_id,
            "geom": shapely.point_on_surface(p.geom[on]),
            "is_public": False,
        },
        len(on),
    )
    return len(on)


def _objects(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _load_users(
    c: City, say: Say, div_id: dict[str, int], cell_id: dict[str, int], park_ids: np.ndarray
) -> int:
    """The demo accounts, a grid worker for every other grid cell, and who reported what."""
    User = get_user_model()
    rng = np.random.default_rng([c.seed, 7])
    with Stage(say, "users") as stage:
        password = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 takes ~0.5 s per call
        binding = {
            "grid_cell": {"grid_cell_id": cell_id[c.demo_cell]},
            "park": {"park_id": int(park_ids[c.demo_park])} if len(park_ids) else {},
            "county": {"division_id": div_id[c.demo_county]},
            # The town of the demo grid worker's cell (a cell's code is its village's and three digits).
            "town": {"division_id": div_id[c.demo_cell[:9] + "000"]},
            "city": {"division_id": div_id[c.divisions[0].code]},
            "": {},
        }
        for account in DEMO_ACCOUNTS:
            name = person_name(rng)
            User.objects.create(
                username=account.username,
                password=password,
                role=account.role,
                is_superuser=account.superuser,
                is_staff=account.superuser,
                last_name=name[0],
                first_name=name[1:],
                phone=phone_number(rng),
                **binding[account.binding],
            )
        cells = [g.code for g in c.grid_cells if g.code != c.demo_cell]
        names = [person_name(rng) for _ in cells]
        ids = next_ids(User, len(cells))
        bulk_load(
            User,
            ids,
            {
                "username": np.array([WORKER_USERNAME_PREFIX + code for code in cells], dtype=object),
                "password": WORKER_PASSWORD_MARK,
                "role": Role.GRID_WORKER.value,
                "grid_cell_id": np.array([cell_id[code] for code in cells]),
                "last_name": np.array([n[0] for n in names], dtype=object),
                "first_name": np.array([n[1:] for n in names], dtype=object),
            },
        )
        with connection.cursor() as cur:
            for table, column in (("layers_fieldpoint", "reporter_id"), ("layers_patroltrack", "worker_id")):
                cur.execute(
                    f"UPDATE {table} t SET {column} = u.id FROM accounts_user u"
                    " WHERE u.role = %s AND u.grid_cell_id = t.grid_cell_id",
                    [Role.GRID_WORKER.value],
                )
        stage.rows = len(DEMO_ACCOUNTS) + len(cells)
    return stage.rows


def _load_panoramas(c: City, say: Say, parcel_ids: np.ndarray) -> None:
    pano = c.panoramas
    with Stage(say, "panoramas") as stage:
        for i in range(len(pano["geom"])):
            image, thumb = panorama_jpeg(int(pano["image_seed"][i]))
            names = []
            for folder, data in (("panoramas", image), ("panoramas/thumbs", thumb)):
                name = f"{folder}/demo-{c.seed}-{i + 1}.jpg"
                if default_storage.exists(name):  # keep the name stable across reloads
                    default_storage.delete(name)
                names.append(default_storage.save(name, ContentFile(data)))
            m.Panorama(
                title=pano["title"][i],
                heading_deg=float(pano["heading_deg"][i]),
                captured_at=pano["captured_at"][i],
                image=names[0],
                thumbnail=names[1],
                parcel_id=int(parcel_ids[pano["parcel"][i]]),
                is_public=True,
                geom=GEOSGeometry(shapely.to_wkb(pano["geom"][i], hex=True), srid=4326),
            ).save()
            stage.rows += 1
