"""Content-Security-Policy for every response, with a per-request nonce for the few inline blocks that
third-party templates still carry (Swagger UI's page).

Django 5.2 has no CSP of its own (it arrives in Django 6.0), so this is a small middleware rather than
django-csp: one policy for the whole site, no per-view decorators to forget on third-party views (the
admin, drf-spectacular), and no new dependency in an audited deployment. It follows Django 6.0's
design on purpose — a ``SECURE_CSP`` dict of directive to sources, a lazily made nonce that only
appears in the header when a template used it — so moving to Django 6.0's
``ContentSecurityPolicyMiddleware`` later is a matter of swapping the middleware line.

The other hardening headers are Django's own: ``SECURE_CONTENT_TYPE_NOSNIFF``,
``SECURE_REFERRER_POLICY``, ``SECURE_HSTS_*`` (SecurityMiddleware) and ``X_FRAME_OPTIONS``.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

# The placeholder for this request's nonce in a ``SECURE_CSP`` source list.
NONCE = "<nonce>"

# Same origin for everything; MapLibre starts its tile workers from blob: URLs and decodes images
# through blob: and data: URLs (the watermark and Pannellum's controls are data: SVGs). Inline styles
# set through the CSSOM (element.style, as MapLibre, ECharts and the watermark do) are not governed
# by style-src; only style="" attributes and <style> elements are, and our pages have none.
DEFAULT_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'", NONCE],
    "style-src": ["'self'", NONCE],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def with_basemap(policy: Mapping[str, Sequence[str]]) -> Mapping[str, Sequence[str]]:
    """The policy with a configured base map's tile hosts (tiles.basemap) allowed to load images
    and be fetched: MapLibre fetches raster tiles."""
    from tiles.basemap import origins

    hosts = origins()
    if not hosts or not policy:
        return policy
    widened = {**policy}
    for directive in ("img-src", "connect-src"):
        widened[directive] = [*policy.get(directive, ["'self'"]), *hosts]
    return widened


@functools.lru_cache(maxsize=4)
def _without_nonce(policy: str) -> str:
    # Most responses use no nonce: their header is the same every time (keyed by the policy's
    # JSON, so a changed SECURE_CSP setting is honoured).
    return build_policy(json.loads(policy), None)


def build_policy(policy: Mapping[str, Sequence[str]], nonce: str | None) -> str:
    """The header value; the nonce placeholder becomes ``'nonce-…'``, or is dropped when unused."""
    parts = []
    for directive, sources in policy.items():
        values = [f"'nonce-{nonce}'" if s == NONCE else s for s in sources if s != NONCE or nonce]
        parts.append(" ".join([directive, *values]))
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    """Sets ``request.csp_nonce`` (lazy: made on first use) and the Content-Security-Policy header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        made: list[str] = []

        def make_nonce() -> str:
            made.append(secrets.token_urlsafe(16))
            return made[0]

        request.csp_nonce = SimpleLazyObject(make_nonce)  # type: ignore[attr-defined]
        response = self.get_response(request)
        policy = with_basemap(getattr(settings, "SECURE_CSP", DEFAULT_POLICY))
        # A view may set its own (stricter) policy; media files get nginx's "sandbox", for example.
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = (
                build_policy(policy, made[0]) if made else _without_nonce(json.dumps(policy))
            )
        return response
