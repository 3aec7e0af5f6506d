"""Client and server agree on what the pages need: zooms, labels and colours have one home each.

The pages import frontend/src/generated/meta.json (written by `python manage.py frontend_meta` from
tiles.config, tiles.style and the models' choices); /api/meta/ serves the same. These tests fail when
the committed file is stale, when the endpoint differs from it, or when the pages' code retypes a
layer zoom, a label or a colour that the file holds.
"""

from __future__ import annotations

import difflib
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.roles import Role
from layers.registry import LAYERS, LayerSpec
from tiles.config import SOURCE_MAXZOOM, TILE_LAYERS
from tiles.style import COLOURS, LAND_USE_COLOURS, STAGE_COLOURS
from web.meta import COMMAND, GENERATED, LABEL_GROUPS, render_meta

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "frontend" / "src"
REGENERATE = f"run `{COMMAND}` and commit frontend/src/generated/meta.json (then scripts/build_frontend.sh)"

# Zoom literals in the pages that are not a vector layer's (each with the reason).
OTHER_ZOOMS = {
    ("map/drawer.js", "maxzoom: 20"): "the orthophoto raster source's zoom, not a vector layer's",
}


def _committed() -> dict:
    return json.loads(GENERATED.read_text(encoding="utf-8"))


def _page_sources() -> dict[str, str]:
    return {
        path.relative_to(SOURCES).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(SOURCES.rglob("*.js"))
        if "generated" not in path.relative_to(SOURCES).parts
    }


# --- the generated file and the endpoint --------------------------------------------------------


def test_the_committed_file_is_what_the_server_generates_now() -> None:
    assert GENERATED.exists(), f"{GENERATED} is missing: {REGENERATE}"
    committed, fresh = GENERATED.read_text(encoding="utf-8"), render_meta()
    if committed != fresh:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.splitlines(True), fresh.splitlines(True), "committed", "server"
                )
            )[:40]
        )
        pytest.fail(f"frontend/src/generated/meta.json is out of date: {REGENERATE}\n{diff}")


def test_the_command_checks_and_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "meta.json"
    with pytest.raises(CommandError, match="frontend_meta"):
        call_command("frontend_meta", "--check", output=target, stdout=StringIO())
    call_command("frontend_meta", output=target, stdout=StringIO())
    assert target.read_text(encoding="utf-8") == render_meta()
    call_command("frontend_meta", "--check", output=target, stdout=StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_endpoint_serves_the_committed_file_to_anyone(client, language: str) -> None:
    response = client.get("/api/meta/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response.json() == _committed(), f"/api/meta/ differs from the committed file: {REGENERATE}"


@pytest.mark.django_db
def test_the_openapi_schema_documents_the_endpoint(client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/meta/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Meta")


# --- labels -------------------------------------------------------------------------------------


def test_every_coded_field_of_every_layer_has_its_labels() -> None:
    groups = {tuple(choices.values) for choices in LABEL_GROUPS.values()}
    for spec in LAYERS.values():
        for f in spec.model._meta.concrete_fields:
            if f.choices:
                assert tuple(k for k, _ in f.flatchoices) in groups, (
                    f"{spec.name}.{f.name}: add to LABEL_GROUPS"
                )


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "accept"), [("zh", "zh-hans"), ("en", "en")])
def test_labels_are_the_ones_the_api_gives_in_each_language(client, city, lang: str, accept: str) -> None:
    """The page's labels of a coded value are the API's (the catalogue's choices, Django's catalogues)."""
    meta = _committed()
    client.force_login(city.users[Role.ADMIN])
    by_choices = {tuple(choices.values): group for group, choices in LABEL_GROUPS.items()}
    checked = set()
    for layer in client.get("/api/layers/", HTTP_ACCEPT_LANGUAGE=accept).json()["layers"]:
        for f in layer["fields"]:
            if "choices" not in f:
                continue
            group = by_choices[tuple(c["value"] for c in f["choices"])]
            assert {c["value"]: c["label"] for c in f["choices"]} == meta["labels"][lang][group], (
                f"{layer['name']}.{f['name']}: {REGENERATE}"
            )
            checked.add(group)
    assert checked == set(LABEL_GROUPS), "every label group labels some layer field"
    for group, choices in LABEL_GROUPS.items():
        assert meta["order"][group] == list(choices.values) == list(meta["labels"][lang][group])
        if lang == "en":
            untranslated = [
                v for v in choices.values if meta["labels"]["en"][group][v] == meta["labels"]["zh"][group][v]
            ]
            assert untranslated == [], (
                f"{group}: no English in locale/en/LC_MESSAGES/django.po for {untranslated} "
                "(or the .mo is not compiled: scripts/compile_messages.sh)"
            )


# --- zooms --------------------------------------------------------------------------------------


def test_zooms_have_one_home_in_the_tile_config() -> None:
    assert not {"minzoom", "maxzoom"} & set(LayerSpec.__dataclass_fields__), "zooms live in tiles.config"
    meta = _committed()
    assert meta["tiles"]["source_maxzoom"] == SOURCE_MAXZOOM
    for name, tile in TILE_LAYERS.items():
        zooms = meta["layers"][name]
        assert (zooms["minzoom"], zooms["detail_minzoom"], zooms["maxzoom"]) == (
            tile.minzoom,
            tile.detail_minzoom,
            tile.maxzoom,
        )
        assert zooms["aggregate"] == tile.aggregate


@pytest.mark.django_db
def test_the_catalogue_and_the_style_print_the_tile_configs_zooms(client, city) -> None:
    client.force_login(city.users[Role.ADMIN])
    for layer in client.get("/api/layers/").json()["layers"]:
        tile = TILE_LAYERS[layer["name"]]
        assert (layer["minzoom"], layer["detail_minzoom"], layer["maxzoom"]) == (
            tile.minzoom,
            tile.detail_minzoom,
            tile.maxzoom,
        ), layer["name"]
    style = client.get("/tiles/style.json").json()
    for drawn in style["layers"]:
        # A layer's names come from its label points (``<name>_labels``, tiles.sql.labels).
        source = (drawn.get("source-layer") or "").removesuffix("_labels")
        if source and drawn["id"].endswith("-aggregates"):
            assert drawn["maxzoom"] == TILE_LAYERS[source].detail_minzoom
        elif source and TILE_LAYERS[source].detail_minzoom:
            assert drawn["minzoom"] == TILE_LAYERS[source].detail_minzoom
    for name, source in style["sources"].items():
        assert (source["minzoom"], source["maxzoom"]) == (TILE_LAYERS[name].minzoom, SOURCE_MAXZOOM)


# --- nothing retyped in the pages ---------------------------------------------------------------

_LAYER_NAMES = "|".join(TILE_LAYERS)
ZOOM_LITERALS = [
    re.compile(r"\b(?:min|max)zoom['\"]?\s*:\s*\d+"),  # { minzoom: 12 }
    re.compile(rf"\b(?:{_LAYER_NAMES})['\"]?\s*:\s*\d+"),  # { parcels: 12 }
    re.compile(rf"['\"](?:{_LAYER_NAMES})['\"]\s*,\s*(?:'[^']*'\s*,\s*)?\d+\s*\)"),  # f('parcels', '#c', 12)
]


def retyped_zooms(sources: dict[str, str]) -> list[str]:
    found = []
    for name, text in sources.items():
        for pattern in ZOOM_LITERALS:
            for hit in pattern.finditer(text):
                if (name, hit.group(0)) not in OTHER_ZOOMS:
                    found.append(f"{name}: {hit.group(0)}")
    return found


def _colour_groups() -> dict[str, dict[str, str]]:
    return {"layers": COLOURS, "land_use": LAND_USE_COLOURS, "stage": STAGE_COLOURS}


def retyped_colours(sources: dict[str, str]) -> list[str]:
    """A colour keyed by a layer or coded value ({parcels: '#d98c3a'}), or a list of a group's colours."""
    found = []
    for group, colours in _colour_groups().items():
        keys = re.compile(rf"\b({'|'.join(map(re.escape, colours))})['\"]?\s*:\s*'(#[0-9a-fA-F]{{6}})'")
        palette = {c.lower() for c in colours.values()}
        for name, text in sources.items():
            found += [f"{name}: {m.group(0)}" for m in keys.finditer(text)]
            for listed in re.finditer(r"\[\s*'#[0-9a-fA-F]{6}'(?:\s*,\s*'#[0-9a-fA-F]{6}')+\s*\]", text):
                hexes = {h.lower() for h in re.findall(r"#[0-9a-fA-F]{6}", listed.group(0))}
                if len(hexes) >= 3 and hexes <= palette:
                    found.append(f"{name}: the {group} colours {listed.group(0)[:60]}…")
    return found


def retyped_labels(sources: dict[str, str]) -> list[str]:
    meta = _committed()
    labels = {
        label for lang in meta["labels"].values() for group in lang.values() for label in group.values()
    }
    return [
        f"{name}: {quote}{label}{quote}"
        for name, text in sources.items()
        for label in labels
        for quote in "'\"`"
        if f"{quote}{label}{quote}" in text
    ]


def test_the_pages_retype_no_layer_zoom() -> None:
    assert retyped_zooms(_page_sources()) == [], "use META.layers[name].detail_minzoom (generated/meta.json)"


def test_the_pages_retype_no_label() -> None:
    assert retyped_labels(_page_sources()) == [], "use makeLabel / LABELS from common/labels.js"


# Files that still keep their own copy of the style's colours, each with what to do about it. An
# entry that is no longer needed fails the test too, so the list only shrinks.
KNOWN_COLOUR_COPIES: dict[str, str] = {}


def test_the_pages_retype_no_style_colour() -> None:
    found = retyped_colours(_page_sources())
    files = {line.split(":", 1)[0] for line in found}
    assert files - set(KNOWN_COLOUR_COPIES) == set(), [
        f for f in found if f.split(":")[0] not in KNOWN_COLOUR_COPIES
    ]
    assert set(KNOWN_COLOUR_COPIES) - files == set(), "no longer copied: remove it from KNOWN_COLOUR_COPIES"


def test_the_scans_catch_the_old_retyped_values() -> None:
    """The scans above would have caught what the pages used to retype."""
    old = {
        "map/main.js": "const AGGREGATED = { parcels: 12, buildings: 13, amenities: 11 };",
        "wall/main.js": "aggregates('parcels', '#f59e0b', 12), { id: 'x', minzoom: 10 }\n"
        "const STAGE_COLOURS = ['#5eead4', '#2dd4bf', '#14b8a6', '#0ea5e9', '#3b82f6'];",
        "common/labels.js": "land_use: { industrial: '工业用地' }",
    }
    assert len(retyped_zooms(old)) == 5
    assert retyped_colours(old) and retyped_labels(old)
