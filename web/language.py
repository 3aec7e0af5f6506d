"""Which language a page speaks: ``?lang=`` first (a shared link reproduces it), then the cookie a
choice made before left, then Chinese. A browser's Accept-Language alone does not switch a page to
English: the platform is Chinese first."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def page_language(request: HttpRequest) -> tuple[str, bool]:
    """``?lang=en`` / ``?lang=zh`` wins (so a shared link reproduces the language), then the cookie."""
    codes = {"en": "en", "zh": "zh-hans", "zh-hans": "zh-hans"}
    code = codes.get(request.GET.get("lang", ""))
    explicit = code is not None
    if code is None:
        # Chinese first: a browser's Accept-Language alone does not switch the page to English;
        # a choice made before (the language cookie, as /i18n/setlang/ or ?lang= set it) does.
        code = codes.get(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""), settings.LANGUAGE_CODE)
    translation.activate(code)
    request.LANGUAGE_CODE = code
    return code, explicit


def short_lang(code: str) -> str:
    return "en" if code.startswith("en") else "zh"


def with_language_cookie(response: HttpResponse, code: str, explicit: bool) -> HttpResponse:
    if explicit:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response
