"""The project list's filters, in one place: the list, the saved views and the reports read them.

Each filter is a query parameter; a value the list cannot use is a 400 naming the parameter and
what it takes, never an empty list that looks like an answer.

=============  ==============================================================================
``stage``      one stage or several, comma-separated (``signed,started``)
``card``       ``due_soon`` / ``yellow`` / ``red``, or ``any`` for every warned project
``pending``    ``county`` / ``city`` / ``receiving``, or ``any``: waiting for that review
``division``   a division code: projects of that county (or town) and below
``industry``   the industry, exactly
``q``          part of the name or the code
``reserve``    ``true``: only the reserve pool (备选库); ``false``: without it
``status``     ``live`` (default), ``ended`` or ``all``
``owner``      ``me``: the caller's own projects
``order``      ``updated`` (default, newest first), ``due`` (soonest first), ``investment``, ``name``
=============  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core.params import choice
from layers.models import Division, ProjectStage

from .models import Card, Project, Review

PARAMETERS = ("stage", "card", "pending", "division", "industry", "q", "reserve", "status", "owner", "order")
ORDERS = {
    "updated": (F("updated_at").desc(), F("id").desc()),
    "due": (F("due_on").asc(nulls_last=True), F("id").asc()),
    "investment": (F("investment_wan").desc(nulls_last=True), F("id").desc()),
    "name": (F("name").asc(), F("id").asc()),
}


def filter_projects(projects: QuerySet[Project], params: Mapping[str, Any], user: Any) -> QuerySet[Project]:
    """``projects`` (already scoped to what the caller may read) narrowed by the list's filters."""
    get = {key: str(params.get(key, "")).strip() for key in PARAMETERS}
    if get["stage"]:
        projects = projects.filter(stage__in=choice("stage", get["stage"], ProjectStage.values))
    if get["card"]:
        warned = [c for c in Card.values if c]
        cards = choice("card", get["card"], [*warned, "any"])
        projects = projects.filter(card__in=warned if "any" in cards else cards)
    if get["pending"]:
        levels = [r for r in Review.values if r]
        pending = choice("pending", get["pending"], [*levels, "any"])
        projects = projects.filter(pending__in=levels if "any" in pending else pending)
    if get["division"]:
        division = Division.objects.filter(code=get["division"]).first()
        if division is None:
            raise ValidationError({"division": [_("No division with this code; give a 12-digit code.")]})
        projects = projects.filter(division_code__startswith=division.prefix)
    if get["industry"]:
        projects = projects.filter(industry=get["industry"])
    if get["q"]:
        projects = projects.filter(Q(name__icontains=get["q"]) | Q(code__icontains=get["q"]))
    if get["reserve"]:
        flag = choice("reserve", get["reserve"], ["true", "false"])[0]
        projects = projects.filter(in_reserve=flag == "true")
    status = choice("status", get["status"] or "live", ["live", "ended", "all"])[0]
    if status != "all":
        projects = projects.filter(ended_at__isnull=status == "live")
    if get["owner"]:
        choice("owner", get["owner"], ["me"])
        projects = projects.filter(owner_id=getattr(user, "pk", None))
    order = choice("order", get["order"] or "updated", list(ORDERS))[0]
    return projects.order_by(*ORDERS[order])
