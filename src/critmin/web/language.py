"""The page's language switch: remembers the choice in a cookie and goes back."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from critmin import i18n
from critmin.web.render import LANG_COOKIE, request_language

router = APIRouter(include_in_schema=False)
ONE_YEAR = 365 * 24 * 3600


def _local(path: str) -> str:
    """Only a path on this site (no scheme, host or protocol-relative URL)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


@router.get("/language")
def choose_language(
    set: str = Query("en", description="Language code: en or zh."),  # noqa: A002
    next: str = Query("/", description="Where to go back to."),  # noqa: A002
) -> RedirectResponse:
    lang = i18n.normalise(set) or i18n.DEFAULT
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=ONE_YEAR, samesite="lax", httponly=True)
    return response


class LanguageMiddleware:
    """Runs each dashboard request in the language the visitor chose, so that what the
    page modules build (chart titles, error pages, labels) is translated too. The API
    (``/api``) always answers in English: its labels are part of the data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith("/api"):
            await self.app(scope, receive, send)
            return
        with i18n.use_language(request_language(Request(scope))):
            await self.app(scope, receive, send)
