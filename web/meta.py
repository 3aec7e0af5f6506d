"""What the pages know before any request returns, from the server's own definitions.

- the layers' zooms: ``tiles.config`` (their one home), with the titles of ``layers.registry``;
- the labels of every coded value, in both languages: the models' ``TextChoices``, Chinese as the
  Chinese catalogue gives them (the source strings: locale/zh_Hans leaves them untranslated), English
  through Django's catalogue in locale/en; the order of each group is the order of its choices;
- the colours the tile style gives layers, land uses and project stages: ``tiles.style``.

Served at ``GET /api/meta/`` and written to ``frontend/src/generated/meta.json`` by
``python manage.py frontend_meta``; the pages' bundles import that file (frontend/src/common/labels.js),
so nothing is retyped in JavaScript. The file is committed; tests/web/test_meta.py fails when it is
not what the server would generate now.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.models import (
    AmenityCategory,
    BuildingKind,
    DivisionLevel,
    EventStatus,
    LandUse,
    ParkLevel,
    ProjectStage,
    RiskLevel,
    ServicedLevel,
    SupplyMode,
    SupplyStatus,
    TransportKind,
)
from tiles.config import SOURCE_MAXZOOM, TILE_LAYERS
from tiles.style import (
    COLOURS,
    EVENT_STATUS_COLOURS,
    FALLBACK_BOUNDS,
    LAND_USE_COLOURS,
    STAGE_COLOURS,
    TRANSPORT_LINES,
)

GENERATED = Path(settings.BASE_DIR) / "frontend" / "src" / "generated" / "meta.json"
COMMAND = "python manage.py frontend_meta"

# Page language -> Django language. The pages' label groups -> the choices they label.
LANGUAGES = {"zh": "zh-hans", "en": "en"}
LABEL_GROUPS: dict[str, type[models.TextChoices]] = {
    "land_use": LandUse,
    "supply_status": SupplyStatus,
    "supply_mode": SupplyMode,
    "kind": BuildingKind,
    "category": AmenityCategory,
    "park_level": ParkLevel,
    "serviced_level": ServicedLevel,
    "stage": ProjectStage,
    "division_level": DivisionLevel,
    "event_status": EventStatus,
    "risk_level": RiskLevel,
    "transport_kind": TransportKind,
}


# Words of the pages that are no coded value (the wall's event theme), from the catalogue too.
WORDS: dict[str, Any] = {
    "theme_events": _("网格事件"),
    "events_by_status": _("在办事件（按状态）"),
    "events_by_county": _("各区县在办事件（件）"),
    "events_alerts": _("逾期与升级事件"),
    "events_open": _("在办事件"),
    "events_overdue": _("已逾期"),
    "events_escalated": _("已升级"),
    "events_escalation": _("升级次数"),
    "events_due_on": _("本环节到期日"),
}


def _words(language: str) -> dict[str, str]:
    with translation.override(language):
        return {key: str(text) for key, text in WORDS.items()}


def _labels(language: str) -> dict[str, dict[str, str]]:
    with translation.override(language):
        return {
            group: {value: str(label) for value, label in choices.choices}
            for group, choices in LABEL_GROUPS.items()
        }


def build_meta() -> dict[str, Any]:
    """The metadata, in a fixed order (the generated file is compared byte for byte)."""
    return {
        "_generated": f"by `{COMMAND}` from tiles.config, tiles.style and the models' choices; do not edit",
        "tiles": {"source_maxzoom": SOURCE_MAXZOOM, "fallback_bounds": FALLBACK_BOUNDS},
        "layers": {
            name: {
                "title": {"zh": tile.spec.title_zh, "en": tile.spec.title_en},
                "public": tile.spec.public,
                "minzoom": tile.minzoom,
                "detail_minzoom": tile.detail_minzoom,
                "maxzoom": tile.maxzoom,
                "aggregate": tile.aggregate,
                "colour": COLOURS[name],
            }
            for name, tile in TILE_LAYERS.items()
        },
        "order": {group: list(choices.values) for group, choices in LABEL_GROUPS.items()},
        "labels": {lang: _labels(django_lang) for lang, django_lang in LANGUAGES.items()},
        "words": {lang: _words(django_lang) for lang, django_lang in LANGUAGES.items()},
        "colours": {
            "land_use": dict(LAND_USE_COLOURS),
            "stage": dict(STAGE_COLOURS),
            "event_status": dict(EVENT_STATUS_COLOURS),
            "transport_kind": {kind: line[0] for kind, line in TRANSPORT_LINES.items()},
        },
    }


def render_meta() -> str:
    """The generated file's text."""
    return json.dumps(build_meta(), ensure_ascii=False, indent=2) + "\n"


_LAYER = inline_serializer(
    "MetaLayer",
    {
        "title": serializers.DictField(child=serializers.CharField(), help_text="{zh, en}"),
        "public": serializers.BooleanField(),
        "minzoom": serializers.IntegerField(help_text="Lowest zoom with tiles (aggregates included)."),
        "detail_minzoom": serializers.IntegerField(
            help_text="From this zoom the features themselves; below it, with `aggregate`, one point per "
            "division carrying the `count`."
        ),
        "maxzoom": serializers.IntegerField(),
        "aggregate": serializers.BooleanField(),
        "colour": serializers.CharField(help_text="The layer's colour in /tiles/style.json."),
    },
)
_META = inline_serializer(
    "Meta",
    {
        "_generated": serializers.CharField(help_text="Which command generates the front end's copy."),
        "tiles": inline_serializer(
            "MetaTiles",
            {
                "source_maxzoom": serializers.IntegerField(help_text="Highest zoom tiles are requested at."),
                "fallback_bounds": serializers.ListField(child=serializers.FloatField()),
            },
        ),
        "layers": serializers.DictField(child=_LAYER, help_text="By layer name, as in /api/layers/."),
        "order": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Each label group's values in their defined order (e.g. project stages).",
        ),
        "labels": serializers.DictField(
            child=serializers.DictField(child=serializers.DictField(child=serializers.CharField())),
            help_text="labels[lang][group][value]; lang is zh or en.",
        ),
        "words": serializers.DictField(
            child=serializers.DictField(child=serializers.CharField()),
            help_text="words[lang][key]: the pages' words that label no coded value.",
        ),
        "colours": serializers.DictField(
            child=serializers.DictField(child=serializers.CharField()),
            help_text="colours[group][value] (land_use, stage, event_status, transport_kind).",
        ),
    },
)


class MetaView(APIView):
    """Zooms, labels and colours the pages use: the same as frontend/src/generated/meta.json."""

    authentication_classes: list[type] = []

    @extend_schema(
        tags=["web"],
        summary="Layer zooms, labels of every coded value (zh and en) and style colours, for front ends.",
        responses=_META,
    )
    def get(self, request: Request) -> Response:
        return Response(build_meta(), headers={"Cache-Control": "public, max-age=300"})
