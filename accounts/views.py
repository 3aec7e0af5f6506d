"""The token API: log in for a token, list and revoke one's tokens, log out.

``POST /api/auth/token/`` stays the documented way in (form fields or JSON, answering
``{"token": "…"}``), now with ``expires_at`` and a new token on every login. ``POST
/api/auth/device/`` is the phone app's login, for a device token (``accounts.tokens``). Both go
through one login (``LoginView.log_in``): ``django.contrib.auth.authenticate(request=…)``, so the
login lockout applies here as on the admin's login form, one throttle, the second factor, password
expiry, and Django's ``user_login_failed`` / ``user_logged_in`` reach the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import authenticate, logout, user_logged_in, user_logged_out
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from core.client import client_address
from core.names import person_name
from policy.predicates import may_hold_device_token

from . import lockout, tokens, totp
from .models import AuthToken, TokenKind
from .passwords import expired_message, password_expired


class LoginRateThrottle(SimpleRateThrottle):
    """``LOGIN_RATE_LIMIT`` logins per client address (the one our proxy saw, as for the lockout)."""

    scope = "login"

    def get_rate(self) -> str | None:
        # Read at each request, not at import as SimpleRateThrottle does, so a changed setting applies.
        from rest_framework.settings import api_settings

        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return str(rate) if rate else None

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request._request)}


class LoginLocked(exceptions.APIException):
    """429 with Retry-After (DRF sends ``wait`` as that header) and when the lockout lifts."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(lockout.message(until), self.default_code)
        self.wait = lockout.retry_after(until)
        self.extra = {"locked_until": until.isoformat()}


class PasswordExpired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "password_expired"


class SecondFactorRequired(exceptions.APIException):
    """401: the password was right, the authenticator's code missing or wrong (accounts.totp)."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "otp_required"


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"))
    password = serializers.CharField(label=_("密码"), style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        label=_("动态口令"),
        required=False,
        allow_blank=True,
        help_text=_("启用了二次验证的账户：身份验证器 App 中当前的 6 位口令。"),
    )


class DeviceLoginSerializer(LoginSerializer):
    device = serializers.CharField(
        label=_("设备名称"),
        max_length=tokens.NAME_LENGTH,
        help_text=_(
            "手机报上的设备名称，例如浏览器标识或“网格员手机”；同一设备再次登录时，原来的令牌即被撤销。"
        ),
    )


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=_("密钥：只在此时显示一次。以 “Authorization: Token <密钥>” 发送。")
    )
    expires_at = serializers.DateTimeField(help_text=_("此时间之后需重新登录。"))


class TokenHolderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text=_("姓名；未填写时为用户名。"))
    role = serializers.CharField()
    role_label = serializers.CharField(help_text=_("角色名称，按请求的语言。"))


class IssuedDeviceTokenSerializer(IssuedTokenSerializer):
    user = TokenHolderSerializer(help_text=_("令牌代表的用户。"))


class TokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text=_("是否为本次请求使用的令牌。"))

    class Meta:
        model = AuthToken
        fields = ["id", "kind", "name", "prefix", "created_at", "expires_at", "last_used_at", "current"]

    def get_current(self, obj: AuthToken) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, AuthToken) and auth.pk == obj.pk


class LoginView(APIView):
    """What every login endpoint shares, written once: the credentials are in the body, one
    throttle per client address (``LOGIN_RATE_LIMIT``, one budget for all of them), and ``log_in``."""

    authentication_classes: list[Any] = []  # the credentials are in the body
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def log_in(self, request: Request, body: type[LoginSerializer]) -> tuple[Any, dict[str, Any]]:
        """The user the body's credentials name and the body's fields, or the refusal: a locked
        username or address (429), a missing second factor (401), a wrong password (400) or an
        expired one (403). The caller issues its token, then calls ``logged_in``."""
        data = body(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request  # what the backend marks and the audit log reads
        user = authenticate(
            django_request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            otp=data.validated_data.get("otp"),
        )
        if user is None:
            until = lockout.locked_until_of(django_request)
            if until is not None:
                raise LoginLocked(until)
            if totp.refused(django_request):
                raise SecondFactorRequired(totp.message())
            raise exceptions.ValidationError(
                {"non_field_errors": [_("用户名或密码不正确。")]}, code="authorization"
            )
        if password_expired(user):
            raise PasswordExpired(expired_message())
        return user, dict(data.validated_data)

    def logged_in(self, request: Request, user: Any) -> None:
        """Sent once the token is issued: a login that was refused after the password (a role
        without a device token) is not a login."""
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)


LOGIN_REFUSALS = {
    400: OpenApiResponse(description="Wrong username or password."),
    401: OpenApiResponse(description="otp_required: send the authenticator's current code as otp"),
    429: OpenApiResponse(description="login_locked or throttled"),
}


class ObtainTokenView(LoginView):
    """Log in with a username and password for a new API token."""

    @extend_schema(
        tags=["auth"],
        summary="Log in: a new API token for a username and password (form fields or JSON).",
        description=(
            "Send the key back as `Authorization: Token <key>`. Every login issues a new token, "
            "valid until `expires_at` (API_TOKEN_TTL_HOURS). Too many failures lock the username "
            "and the client address (429 `login_locked`, with Retry-After); an expired password "
            "is 403 `password_expired`; more than LOGIN_RATE_LIMIT calls per address are 429 `throttled`."
        ),
        request=LoginSerializer,
        responses={
            200: IssuedTokenSerializer,
            **LOGIN_REFUSALS,
            403: OpenApiResponse(description="password_expired"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        user, _data = self.log_in(request, LoginSerializer)
        token, key = tokens.issue(
            user, TokenKind.API, name=request.headers.get("User-Agent", ""), request=request._request
        )
        self.logged_in(request, user)
        return Response({"token": key, "expires_at": token.expires_at})


class DeviceTokenView(LoginView):
    """The phone app's login: a device token, for the roles that may sync."""

    @extend_schema(
        tags=["auth"],
        summary="Log in on the phone app: a device token for a username, password and device name.",
        description=(
            "The same login as `POST /api/auth/token/` (lockout, throttle, `otp`, password expiry), "
            "for a device token valid until `expires_at` (DEVICE_TOKEN_TTL_DAYS) that opens the "
            "whole API. Logging in again with the same `device` revokes that device's previous "
            "token; the user's other devices keep theirs. Roles that may not sync are refused "
            "with 403 `permission_denied` (they use the staff pages)."
        ),
        request=DeviceLoginSerializer,
        responses={
            200: IssuedDeviceTokenSerializer,
            **LOGIN_REFUSALS,
            403: OpenApiResponse(description="password_expired, or permission_denied for this role"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        user, data = self.log_in(request, DeviceLoginSerializer)
        if not may_hold_device_token(user):
            raise exceptions.PermissionDenied(
                _("此账号不能登录手机端：请在电脑上打开工作人员页面（%(url)s）登录。")
                % {"url": reverse("web:login")}
            )
        token, key = tokens.rotate_device(user, name=data["device"], request=request._request)
        self.logged_in(request, user)
        return Response(
            {
                "token": key,
                "expires_at": token.expires_at,
                "user": {
                    "id": user.pk,
                    "username": user.get_username(),
                    "name": person_name(user),
                    "role": user.role,
                    "role_label": user.get_role_display(),
                },
            }
        )


class TokenListView(APIView):
    """The caller's usable tokens (never their keys)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="The caller's tokens that are neither revoked nor expired, newest first (no keys).",
        responses=TokenSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = tokens.live_tokens(request.user).order_by("-created_at", "-id")
        return Response(TokenSerializer(rows, many=True, context={"request": request}).data)


class TokenDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Revoke one of the caller's tokens; it stops working at once.",
        responses={204: None, 404: OpenApiResponse(description="Not one of the caller's usable tokens.")},
    )
    def delete(self, request: Request, pk: int) -> Response:
        token = tokens.live_tokens(request.user).filter(pk=pk).first()
        if token is None:
            raise Http404
        tokens.revoke(token, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Log out: revoke the token this request carries (or end the session).",
        request=None,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        django_request = request._request
        if isinstance(request.auth, AuthToken):
            user = request.user
            tokens.revoke(request.auth, request=django_request)
            user_logged_out.send(sender=user.__class__, request=django_request, user=user)
        else:
            logout(django_request)  # sends user_logged_out itself
        return Response(status=status.HTTP_204_NO_CONTENT)
