"""CSRF protection for the dashboard's forms.

Each browser session holds a random token (``session["csrf"]``); every POST form
carries it in a hidden ``csrf_token`` field. A POST whose field is missing or differs,
or whose ``Origin`` header names another host, is refused with 403.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

SESSION_KEY = "csrf"
FIELD = "csrf_token"


class CsrfError(PermissionError):
    """The form's CSRF token is missing or wrong, or it came from another origin."""


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def rotate(request: Request) -> str:
    """A fresh token (after logging in or out)."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return request.session[SESSION_KEY]


async def checked_form(request: Request) -> dict[str, str]:
    """Dependency: the submitted form fields, once its CSRF token has been checked."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise CsrfError("the form was sent from another site")
    form = await request.form()
    sent = form.get(FIELD)
    expected = request.session.get(SESSION_KEY)
    if not (
        isinstance(sent, str)
        and isinstance(expected, str)
        and expected
        and secrets.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfError("the form's security token is missing or out of date")
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormDep = Annotated[dict[str, str], Depends(checked_form)]
