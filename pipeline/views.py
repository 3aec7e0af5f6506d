"""Leads (线索): created by anyone through the investment map's expression-of-interest form, read by
the investment officers, leaders and administrators whose area they fall in."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, Throttled, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from core.client import client_address
from policy.predicates import leads_filter, may_read_leads
from policy.scope import role_of

from .models import Lead, LeadStatus
from .ratelimit import RateLimit
from .serializers import LeadCreateSerializer, LeadSerializer, carrier_label

# Expressions of interest per client address: enough for a real investor, useless for a robot.
LEAD_RATE = RateLimit("lead", limit=5, window=600)


class LeadPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class LeadThrottled(Throttled):
    default_code = "rate_limited"

    def __init__(self, wait: int) -> None:
        super().__init__(
            wait=wait,
            detail=_(
                "Too many submissions from your address. Please try again in %(minutes)s minute(s), "
                "or call the investment hotline."
            )
            % {"minutes": max(1, round(wait / 60))},
        )
        self.extra = {"retry_after": wait}


def leads_for(user: Any) -> QuerySet[Lead]:
    if role_of(user) is None:
        raise NotAuthenticated()
    if not may_read_leads(user):
        raise PermissionDenied(_("Leads are for investment officers, leaders and administrators."))
    return (
        Lead.objects.filter(leads_filter(user))
        .select_related("division")
        .prefetch_related("parcels", "buildings", "parks")
    )


@extend_schema(tags=["pipeline"])
class LeadViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """投资意向 → 线索. Anyone may submit (rate-limited per address); officers read their area's leads."""

    pagination_class = LeadPagination
    serializer_class = LeadSerializer
    queryset = Lead.objects.none()

    def get_queryset(self) -> QuerySet[Lead]:
        qs = leads_for(self.request.user)
        wanted = self.request.query_params.get("status")
        if self.action == "list" and wanted:
            if wanted not in LeadStatus.values:
                raise ValidationError({"status": [_("one of: %(v)s.") % {"v": ", ".join(LeadStatus.values)}]})
            qs = qs.filter(status=wanted)
        return qs

    @extend_schema(
        summary="Leads in your area, newest first (officers, leaders, administrators).",
        parameters=[OpenApiParameter("status", str, description="Only leads with this status.")],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Submit an expression of interest (投资意向); open to anyone, at most 5 per 10 minutes "
        "per address.",
        request=LeadCreateSerializer,
        responses={
            201: inline_serializer(
                "LeadConfirmation",
                {
                    "reference": serializers.CharField(),
                    "status": serializers.CharField(),
                    "created_at": serializers.DateTimeField(),
                    "carriers": serializers.ListField(child=serializers.DictField()),
                    "division": serializers.DictField(allow_null=True),
                    "message": serializers.CharField(),
                },
            ),
            400: OpenApiResponse(description="Invalid input, in the common error shape."),
            429: OpenApiResponse(
                description="Too many submissions; error.retry_after and Retry-After say when."
            ),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        who = client_address(request)
        wait = LEAD_RATE.take(who)
        if wait:
            raise LeadThrottled(wait)
        try:
            lead, carriers = self._create_lead(request, who)
        except Exception:
            # Only leads count against the limit: a form sent back for a typo costs nothing.
            LEAD_RATE.give_back(who)
            raise
        return Response(
            {
                "reference": lead.reference,
                "status": lead.status,
                "created_at": lead.created_at,
                "carriers": [carrier_label(layer, record) for layer, record in carriers],
                "division": {"code": lead.division.code, "name": lead.division.name}
                if lead.division
                else None,
                "message": _(
                    "Thank you. Your expression of interest has been received under reference %(ref)s; "
                    "the investment promotion office will contact you within two working days."
                )
                % {"ref": lead.reference},
            },
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("lead-detail", args=[lead.pk])},
        )

    def _create_lead(self, request: Request, who: str) -> tuple[Lead, list[tuple[str, Any]]]:
        form = LeadCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        carriers = data.pop("carriers", [])
        data.pop("website", None)
        data.pop("consent")
        user = request.user if request.user.is_authenticated else None
        with transaction.atomic():
            lead = Lead(
                **data,
                submitted_by=user,
                client_ip=who if who != "unknown" else None,
                consented_at=timezone.now(),
            )
            lead.carriers = [f"{layer}:{record.pk}" for layer, record in carriers]
            lead.assign(carriers[0][1] if carriers else None)
            lead.save()
            lead.parcels.set([r for layer, r in carriers if layer == "parcels"])
            lead.buildings.set([r for layer, r in carriers if layer == "buildings"])
            lead.parks.set([r for layer, r in carriers if layer == "parks"])
        return lead, carriers
