"""Validation of an expression of interest, and how a lead is shown to the officers who follow it."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from layers.registry import LAYERS
from policy.predicates import can_read
from policy.privacy import mask_fields

from .models import Lead

MAX_CARRIERS = 20
# An investor expresses interest from a plot, a building or a whole park.
CARRIER_LAYERS = ("parcels", "buildings", "parks")
_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^(0\d{9,11})$")
# Outside mainland China: E.164, a plus (or 00) and the country code, at most 15 digits in all.
_INTERNATIONAL = re.compile(r"^(?:\+|00)([1-9]\d{6,14})$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalise_phone(raw: str) -> str | None:
    """A mainland mobile (13812345678), a landline (0766-1234567, 010-12345678) or a number
    abroad in E.164 form (+447911123456); None if none of these."""
    digits = _SEPARATORS.sub("", raw or "")
    if m := _MOBILE.match(digits):
        return m.group(1)
    if (m := _INTERNATIONAL.match(digits)) and not m.group(1).startswith("86"):
        return f"+{m.group(1)}"
    if m := _LANDLINE.match(digits):
        number = m.group(1)
        # 010 and 02x are three-digit area codes; every other area code has four digits.
        area = 3 if number[1] in "12" else 4
        local = number[area:]
        if 7 <= len(local) <= 8:
            return f"{number[:area]}-{local}"
    return None


def parse_carrier(ref: Any) -> tuple[str, int]:
    """'parcels:12' or {"layer": "parcels", "id": 12} -> ("parcels", 12)."""
    if isinstance(ref, dict):
        layer, rid = ref.get("layer"), ref.get("id")
    elif isinstance(ref, str) and ":" in ref:
        layer, rid = ref.split(":", 1)
    else:
        raise serializers.ValidationError(_("each carrier is 'parcels:ID', 'buildings:ID' or 'parks:ID'."))
    if layer not in CARRIER_LAYERS:
        raise serializers.ValidationError(
            _("carriers are parcels, buildings or parks, not %(layer)s.") % {"layer": layer}
        )
    try:
        number = int(rid)
    except (TypeError, ValueError):
        raise serializers.ValidationError(_("%(ref)s: the id must be a number.") % {"ref": ref}) from None
    if number <= 0:
        raise serializers.ValidationError(_("%(ref)s: the id must be positive.") % {"ref": ref})
    return layer, number


class LeadCreateSerializer(serializers.Serializer):
    investor_name = serializers.CharField(max_length=50, help_text="联系人姓名 / contact name.")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=30,
        help_text="A mainland mobile or landline (13812345678, 0766-1234567), or a number abroad in E.164 "
        "form (+44 20 7946 0958).",
    )
    email = serializers.EmailField(required=False, allow_blank=True)
    industry = serializers.CharField(max_length=50, required=False, allow_blank=True)
    investment_wan = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, min_value=0, help_text="万元."
    )
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    carriers = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        max_length=MAX_CARRIERS,
        help_text="The carriers the investor looked at (at most 20): ['parcels:12', 'parks:3'].",
    )
    website = serializers.CharField(
        required=False, allow_blank=True, help_text="Leave empty (a trap for spam robots)."
    )
    consent = serializers.BooleanField(
        help_text="true: the investor agrees that these details are used to answer the request, as the "
        "privacy notice (/privacy/) says. Required (PIPL: separate consent for personal information)."
    )

    def validate_investor_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("please give a contact name."))
        return value

    def validate_phone(self, value: str) -> str:
        phone = normalise_phone(value)
        if phone is None:
            raise serializers.ValidationError(
                _(
                    "enter a mainland China mobile number (11 digits, e.g. 13812345678), a landline "
                    "with its area code (e.g. 0766-1234567), or a number abroad with + and the country "
                    "code (e.g. +44 20 7946 0958)."
                )
            )
        return phone

    def validate_consent(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError(
                _(
                    "tick the box to agree that your details are used to answer this request, as the "
                    "privacy notice explains; without it nothing is sent."
                )
            )
        return value

    def validate_website(self, value: str) -> str:
        if value:
            raise serializers.ValidationError(_("this field must stay empty."))
        return value

    def validate_carriers(self, value: list[Any]) -> list[tuple[str, Any]]:
        user = self.context["request"].user
        seen: list[tuple[str, int]] = []
        for ref in value:
            key = parse_carrier(ref)
            if key not in seen:
                seen.append(key)
        found: list[tuple[str, Any]] = []
        missing = []
        for layer, rid in seen:
            spec = LAYERS[layer]
            record = spec.model.objects.filter(pk=rid).first()
            if record is None or not can_read(user, spec, record):
                missing.append(f"{layer}:{rid}")
            else:
                found.append((layer, record))
        if missing:
            raise serializers.ValidationError(
                _("no such published carrier: %(refs)s.") % {"refs": ", ".join(missing)}
            )
        return found


def carrier_label(layer: str, record: Any) -> dict[str, Any]:
    name = getattr(record, "name", "") or getattr(record, "code", "") or f"#{record.pk}"
    out = {"layer": layer, "id": record.pk, "ref": f"{layer}:{record.pk}", "name": name}
    if layer == "parcels":
        out["code"] = record.code
    return out


class LeadSerializer(serializers.ModelSerializer):
    """A lead as officers see it; personal data masked for roles that may not see it."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    division = serializers.SerializerMethodField()
    carriers = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "id",
            "reference",
            "investor_name",
            "company",
            "phone",
            "email",
            "industry",
            "investment_wan",
            "message",
            "carriers",
            "source",
            "source_label",
            "status",
            "status_label",
            "division",
            "division_code",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_division(self, lead: Lead) -> dict[str, str] | None:
        d = lead.division
        return {"code": d.code, "name": d.name, "level": d.level} if d else None

    def get_carriers(self, lead: Lead) -> list[dict[str, Any]]:
        records = {("parcels", p.pk): p for p in lead.parcels.all()}
        records.update({("buildings", b.pk): b for b in lead.buildings.all()})
        records.update({("parks", p.pk): p for p in lead.parks.all()})
        out = []
        for ref in lead.carriers:
            layer, _sep, rid = ref.partition(":")
            record = records.get((layer, int(rid)))
            out.append(
                carrier_label(layer, record) if record else {"layer": layer, "id": int(rid), "ref": ref}
            )
        return out

    def to_representation(self, instance: Lead) -> dict[str, Any]:
        data = super().to_representation(instance)
        mask_fields(
            self.context["request"].user,
            ("phone", "email"),
            data,
            about=(instance._meta.label_lower, instance.pk),
        )
        return data
