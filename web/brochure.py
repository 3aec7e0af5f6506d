"""园区云名片 (seed 000 L84): a one-page A4 brochure of a published parcel, building or park, to
print or to send, and the QR code of the link that opens it on the investment map (the link a
WeChat user scans or forwards).

The brochure says what an investor decides on: the name in the reader's language, the key facts
(area in m² and 亩, unit and total price, planning indicators, utilities, the park and place), the
shape of the plot, the contact the park publishes (its name, not a personal phone number, which
stays masked as everywhere) and the QR code. Chinese text is set in WenQuanYi Micro Hei, the font
the platform installs (Debian's fonts-wqy-microhei; ``BROCHURE_FONT``), embedded as a subset so
any reader prints it. Only what the caller may read is printed (the layer's read filter), and
each brochure is an export in the audit log.
"""

from __future__ import annotations

import io
import math
from functools import cache
from typing import Any

import segno
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from audit.models import AuditAction
from audit.writer import record
from industries.queries import industry_names
from layers.models import MU_M2, Division, Park
from layers.registry import LAYERS
from policy.predicates import read_filter

from .language import page_language, short_lang

BROCHURE_LAYERS = ("parcels", "buildings", "parks")
FONT = "Brochure"
INK, MUTED, ACCENT, RULE = (0.13, 0.16, 0.2), (0.37, 0.42, 0.48), (0.75, 0.22, 0.17), (0.86, 0.88, 0.9)


@cache
def _font() -> str:
    path = settings.BROCHURE_FONT
    try:
        pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
    except OSError as exc:
        raise RuntimeError(
            f"The brochure font {path} is missing: install fonts-wqy-microhei (make setup does) "
            "or point BROCHURE_FONT at a TrueType font with Chinese glyphs."
        ) from exc
    return FONT


def visible_record(request: HttpRequest, layer: str, pk: int) -> Any:
    """The record if the caller may read it, else 404 (as the layer API answers)."""
    if layer not in BROCHURE_LAYERS:
        raise Http404
    spec = LAYERS[layer]
    found = spec.model.objects.filter(read_filter(request.user, spec), pk=pk).first()
    if found is None:
        raise Http404
    return found


def share_path(layer: str, pk: int, lang: str) -> str:
    """The investment map opened on the record, in the language of the brochure."""
    return f"/?sel={layer}:{pk}&lang={lang}"


# --- what is printed ------------------------------------------------------------------------------


def _money(wan: float | None, lang: str, per_mu: bool = False) -> str:
    if wan is None:
        return ""
    if lang == "en":
        yuan = float(wan) * 10000
        text = f"¥{yuan / 1e9:,.2f}B" if yuan >= 1e9 else f"¥{yuan / 1e6:,.2f}M"
        return f"{text}/mu" if per_mu else text
    if per_mu:
        return f"{float(wan):,.2f} 万元/亩"
    return f"{float(wan) / 10000:,.2f} 亿元" if wan >= 10000 else f"{float(wan):,.0f} 万元"


def _area(m2: float | None, lang: str) -> str:
    if not m2:
        return ""
    return f"{m2:,.0f} m² / {m2 / MU_M2:,.2f} {'mu' if lang == 'en' else '亩'}"


def _label(model: Any, field: str) -> str:
    return str(model._meta.get_field(field).verbose_name)


def _name(obj: Any, lang: str) -> str:
    """A record's name in the brochure's language (its English name where it has one)."""
    return obj.name_en if lang == "en" and obj.name_en else obj.name


def _places(obj: Any, lang: str) -> str:
    """The county and town the record lies in, from its division code."""
    code = obj.division_code or ""
    prefixes = [code[:6].ljust(12, "0"), code[:9].ljust(12, "0")] if code else []
    divisions = Division.objects.filter(code__in=prefixes).order_by("code")
    return " · ".join(_name(d, lang) for d in divisions)


def facts(layer: str, obj: Any, lang: str) -> list[tuple[str, str]]:
    """The brochure's table: (label, value) in the reader's language, the empty values left out."""
    model = type(obj)
    rows: list[tuple[str, str]] = []

    def add(field: str, value: Any) -> None:
        if value not in (None, "", [], 0):
            rows.append((_label(model, field), f"{value:,}" if isinstance(value, int) else str(value)))

    if layer == "parcels":
        add("code", obj.code)
        add("land_use", obj.get_land_use_display())
        add("supply_status", obj.get_supply_status_display())
        add("area_m2", _area(obj.area_m2, lang))
        add("price_wan_per_mu", _money(obj.price_wan_per_mu, lang, per_mu=True))
        if obj.price_wan_per_mu:
            rows.append((_("总价"), _money(float(obj.price_wan_per_mu) * obj.area_mu, lang)))
        add("term_years", obj.term_years)
        add("plot_ratio", obj.plot_ratio)
        add("building_density", obj.building_density)
        add("green_ratio", obj.green_ratio)
        add("height_limit_m", obj.height_limit_m)
        add("serviced_level", obj.get_serviced_level_display() if obj.serviced_level else "")
    elif layer == "buildings":
        add("kind", obj.get_kind_display())
        add("supply_status", obj.get_supply_status_display())
        add("floors", obj.floors)
        add("floor_area_m2", _area(obj.floor_area_m2, lang))
        add("vacant_area_m2", _area(obj.vacant_area_m2, lang))
        add("floor_load_kg_m2", obj.floor_load_kg_m2)
        add("clear_height_m", obj.clear_height_m)
        add("power_kva", obj.power_kva)
        add("rent_yuan_m2_month", obj.rent_yuan_m2_month)
        add("sale_price_yuan_m2", obj.sale_price_yuan_m2)
    else:
        add("level", obj.get_level_display())
        add("industries", ("、" if lang == "zh" else ", ").join(industry_names(obj.industries, lang)))
        add("area_m2", _area(obj.area_m2, lang))
        add("available_area_m2", _area(obj.available_area_m2, lang))
        add("power_capacity_kva", obj.power_capacity_kva)
        add("water_supply_t_day", obj.water_supply_t_day)
        add("gas_supply_m3_day", obj.gas_supply_m3_day)
        add("sewage_capacity_t_day", obj.sewage_capacity_t_day)
        titles = [f.get("title", "") for f in obj.planning_files if isinstance(f, dict)]
        add("planning_files", "；".join(titles))
    park = getattr(obj, "park", None)
    if park is not None:
        rows.append((_("所属园区"), _name(park, lang)))
    places = _places(obj, lang)
    if places:
        rows.append((_("所在地"), places))
    contact = investment_contact(obj)
    if contact is not None:
        c = contact
        who = " ".join(x for x in (c.investment_contact_name, c.investment_contact_title) if x)
        reach = " · ".join(x for x in (c.investment_contact_phone, c.investment_contact_email) if x)
        rows.append((_label(type(c), "investment_contact_name"), f"{who}\n{reach}" if reach else who))
    return rows


def investment_contact(obj: Any) -> Any:
    """Who an investor calls about ``obj``: its park's published officer, else its county's."""
    for owner in (obj if isinstance(obj, Park) else getattr(obj, "park", None), _county(obj)):
        if owner is not None and owner.investment_contact_name:
            return owner
    return None


def _county(obj: Any) -> Division | None:
    code = obj.division_code or ""
    return Division.objects.filter(code=code[:6].ljust(12, "0")).first() if code else None


# --- the page -------------------------------------------------------------------------------------


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width``: broken at the last space where there is one
    (English), else between any two characters (Chinese has no spaces)."""
    lines, line = [], ""
    for char in text.replace("\r", ""):
        if char == "\n":
            lines.append(line)
            line = ""
        elif pdfmetrics.stringWidth(line + char, FONT, size) > width:
            cut = line.rfind(" ")
            if cut > 0 and char != " ":
                lines.append(line[:cut])
                line = line[cut + 1 :] + char
            else:
                lines.append(line)
                line = char.lstrip()
        else:
            line += char
    return [*lines, line] if line else lines


def _shape(c: canvas.Canvas, geom: GEOSGeometry, x: float, y: float, w: float, h: float) -> None:
    """The outline in a box, north up, at true proportions (metres east and north of its middle)."""
    xmin, ymin, xmax, ymax = geom.extent
    lat = math.radians((ymin + ymax) / 2)
    sx, sy = 111_320 * math.cos(lat), 110_574
    width_m, height_m = max((xmax - xmin) * sx, 1.0), max((ymax - ymin) * sy, 1.0)
    scale = min(w / width_m, h / height_m) * 0.9
    ox, oy = x + (w - width_m * scale) / 2, y + (h - height_m * scale) / 2
    c.setStrokeColorRGB(*ACCENT)
    c.setFillColorRGB(0.98, 0.9, 0.88)
    c.setLineWidth(1.5)
    if geom.geom_type == "Point":
        c.circle(x + w / 2, y + h / 2, 6, stroke=1, fill=1)
        return
    polygons = geom if geom.geom_type == "MultiPolygon" else [geom]
    for polygon in polygons:
        for ring in polygon:
            path = c.beginPath()
            for i, (lon, la) in enumerate(ring.coords):
                px, py = ox + (lon - xmin) * sx * scale, oy + (la - ymin) * sy * scale
                path.moveTo(px, py) if i == 0 else path.lineTo(px, py)
            path.close()
            c.drawPath(path, stroke=1, fill=1)
    c.setFillColorRGB(*MUTED)
    c.setFont(FONT, 8)
    c.drawString(x, y - 10, _("比例：宽约 %(m)s 米") % {"m": f"{width_m:,.0f}"})


def _qr(c: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares: sharp at any print size."""
    code = segno.make(url, error="m")
    matrix = list(code.matrix)
    border = 2
    cell = size / (len(matrix) + 2 * border)
    c.setFillColorRGB(1, 1, 1)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for col, dark in enumerate(row):
            if dark:
                c.rect(
                    x + (col + border) * cell,
                    y + size - (r + border + 1) * cell,
                    cell,
                    cell,
                    stroke=0,
                    fill=1,
                )


def brochure_pdf(layer: str, obj: Any, lang: str, url: str) -> bytes:
    """The one-page A4 PDF of ``obj`` (a parcel, building or park) in ``lang``, with ``url``'s QR."""
    font = _font()
    out = io.BytesIO()
    page_w, page_h = A4
    margin = 42
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    name = _name(obj, lang) or getattr(obj, "code", "")
    c.setTitle(name)
    c.setAuthor(_("云浮招商地图"))
    title = _wrap(name, 20, page_w - 2 * margin)[:2]
    band = 40 + 26 * len(title)
    c.setFillColorRGB(*ACCENT)
    c.rect(0, page_h - band, page_w, band, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    c.setFont(font, 12)
    c.drawString(margin, page_h - 26, _("云浮招商地图 · 园区云名片"))
    c.setFont(font, 20)
    for i, line in enumerate(title):
        c.drawString(margin, page_h - 52 - 26 * i, line)
    top = page_h - band - 32
    if lang == "en" and obj.name_en and obj.name:
        c.setFillColorRGB(*MUTED)
        c.setFont(font, 11)
        c.drawString(margin, top + 8, obj.name)
        top -= 10
    # Left: the facts; right: the shape above the QR code.
    c.setFont(font, 10.5)
    y = top
    label_w = 118
    for label, value in facts(layer, obj, lang):
        lines = _wrap(value, 10.5, 300 - label_w)
        c.setFillColorRGB(*MUTED)
        c.drawString(margin, y, label)
        c.setFillColorRGB(*INK)
        for line in lines:
            c.drawString(margin + label_w, y, line)
            y -= 15
        c.setStrokeColorRGB(*RULE)
        c.line(margin, y + 10, margin + 300, y + 10)
        y -= 6
    right_x, box = margin + 330, page_w - margin - (margin + 330)
    _shape(c, obj.geom, right_x, top - box + 10, box, box)
    qr_size = 120
    qr_y = top - box - 40 - qr_size
    _qr(c, url, right_x + (box - qr_size) / 2, qr_y, qr_size)
    c.setFillColorRGB(*MUTED)
    c.setFont(font, 9)
    c.drawCentredString(right_x + box / 2, qr_y - 14, _("扫码在地图上查看、转发或表达投资意向"))
    policies = (lang == "en" and getattr(obj, "policies_en", "")) or getattr(obj, "policies", "")
    if policies:
        y -= 10
        c.setFillColorRGB(*ACCENT)
        c.setFont(font, 12)
        c.drawString(margin, y, _("优惠政策"))
        y -= 18
        c.setFillColorRGB(*INK)
        c.setFont(font, 10)
        for line in _wrap(policies, 10, 300)[: max(0, int((y - 80) / 14))]:
            c.drawString(margin, y, line)
            y -= 14
    c.setFillColorRGB(*MUTED)
    c.setFont(font, 8.5)
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    c.drawString(margin, 40, _("生成于 %(when)s，信息以平台发布为准。") % {"when": stamp})
    c.drawString(margin, 28, url)
    c.showPage()
    c.save()
    return out.getvalue()


# --- views ----------------------------------------------------------------------------------------


def brochure(request: HttpRequest, layer: str, pk: int) -> HttpResponse:
    """``GET /brochure/<layer>/<id>.pdf`` (``?lang=en`` for English): the record's brochure."""
    obj = visible_record(request, layer, pk)
    code, _explicit = page_language(request)
    lang = short_lang(code)
    url = request.build_absolute_uri(share_path(layer, pk, lang))
    with translation.override(code):
        pdf = brochure_pdf(layer, obj, lang, url)
    record(
        AuditAction.EXPORT,
        object_type=layer,
        object_id=pk,
        division=obj.division_code,
        detail={"format": "pdf", "kind": "brochure", "lang": lang},
        request=request,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{layer}-{pk}.pdf"'
    return response


def share_qr(request: HttpRequest, layer: str, pk: int) -> HttpResponse:
    """``GET /brochure/<layer>/<id>/qr.svg``: the QR code of the record's link on the map, for the
    share panel (scanned with WeChat, it opens the record)."""
    visible_record(request, layer, pk)
    lang = short_lang(page_language(request)[0])
    svg = io.BytesIO()
    segno.make(request.build_absolute_uri(share_path(layer, pk, lang)), error="m").save(
        svg, kind="svg", scale=6, border=2, xmldecl=False
    )
    return HttpResponse(svg.getvalue(), content_type="image/svg+xml")
