"""``/api/inbox/``: the caller's own messages (nobody reads another's inbox, administrators included).

- ``GET /api/inbox/`` newest first (``unread=true`` for the unread ones only), with ``unread`` (the
  count) beside the page;
- ``POST /api/inbox/<id>/read/`` and ``POST /api/inbox/read-all/`` mark read (idempotent);
- ``GET /api/stream/inbox/`` pushes each new message to an open page (SSE, ``inbox.feed``); a page
  that reconnects with ``Last-Event-ID`` gets what it missed. The phone app, when offline, polls
  ``GET /api/inbox/?unread=true`` on reconnecting instead.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from core.auth import refused, with_viewer
from core.sse import events
from policy.actions import Action
from policy.drf import requires
from policy.predicates import visible
from policy.resources import MESSAGES
from policy.rules import role_allows

from .feed import inbox
from .models import Message

MayMessages = requires(
    MESSAGES,
    {"*": Action.READ, "POST": Action.UPDATE},
    {Action.READ: _("The message centre is for signed-in staff.")},
)


class MessageSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = (
            "id",
            "kind",
            "title",
            "body",
            "link",
            "object_type",
            "object_id",
            "created_at",
            "read_at",
            "read",
        )

    def get_read(self, message: Message) -> bool:
        return message.read_at is not None


class InboxPagination(PageNumberPagination):
    unread = 0  # set per request by the view: the count shown beside the page
    page_size = 30
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["unread"] = self.unread
        return response


@extend_schema(tags=["inbox"])
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """消息中心: your messages, each linked to what it is about."""

    serializer_class = MessageSerializer
    permission_classes = [MayMessages]
    pagination_class = InboxPagination
    queryset = Message.objects.none()

    def mine(self) -> QuerySet[Message]:
        # An inbox is its recipient's: an administrator's is theirs too, whatever else they may read.
        return visible(self.request.user, MESSAGES).filter(recipient_id=self.request.user.pk)

    def get_queryset(self) -> QuerySet[Message]:
        messages = self.mine()
        unread = self.request.query_params.get("unread", "") if self.action == "list" else ""
        if unread not in ("", "true", "false"):
            raise ValidationError({"unread": [_("Send unread=true or unread=false.")]})
        if unread:
            messages = messages.filter(read_at__isnull=unread == "true")
        return messages

    @extend_schema(parameters=[OpenApiParameter("unread", bool, required=False)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        cast(InboxPagination, self.paginator).unread = self.mine().filter(read_at__isnull=True).count()
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        message = self.get_object()
        if message.read_at is None:
            message.read_at = timezone.now()
            message.save(update_fields=["read_at"])
        return Response(MessageSerializer(message).data)

    @extend_schema(
        request=None, responses=inline_serializer("InboxReadAll", {"marked": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request: Request) -> Response:
        marked = self.mine().filter(read_at__isnull=True).update(read_at=timezone.now())
        return Response({"marked": marked})


@with_viewer
def inbox_stream(request: HttpRequest, *, viewer: Any) -> HttpResponseBase:
    """``text/event-stream`` of the viewer's new messages (see ``core.sse``)."""
    if not role_allows(viewer, MESSAGES, Action.READ):
        return refused(viewer, _("The message centre is for signed-in staff."))
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    response = StreamingHttpResponse(
        events(inbox(viewer), int(raw) if raw.isdigit() else None),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    return response
