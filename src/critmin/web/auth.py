"""Logging in to the dashboard with an API token, and logging out.

The token is checked with :func:`critmin.services.auth.authenticate` and a server-side
session is opened (:mod:`critmin.services.web_sessions`); the signed session cookie
(``critmin_session``) carries only the session's random id, never the token. Logging
out revokes the session in the database, so a copy of the cookie stops working too.
A bad token shows an error and leaves the browser logged out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from critmin.api.deps import SESSION_ID_KEY, CallerDep, SessionDep, session_id, session_lifetimes
from critmin.i18n import _
from critmin.services.auth import AuthError
from critmin.services.web_sessions import open_session, revoke_session
from critmin.web.csrf import FormDep, rotate
from critmin.web.render import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """A local path to return to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, caller: CallerDep, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, form: FormDep) -> Response:
    token = (form.get("token") or "").strip()
    target = safe_next(form.get("next"))
    try:
        if not token:
            raise AuthError("enter a token")
        sid, caller = open_session(
            session=session,
            token=token,
            lifetimes=session_lifetimes(request.app.state.settings),
            replaces=session_id(request),
        )
    except AuthError:
        response = render(
            request, "login.html",
            {"next": target, "error": _("That token is not valid (or has been revoked).")},
            status_code=401,
        )  # fmt: skip
        response.headers["WWW-Authenticate"] = 'Bearer realm="critmin"'
        return response
    request.session.clear()  # a new session: no fixation of an earlier one
    request.session[SESSION_ID_KEY] = sid
    rotate(request)
    request.state.caller = caller
    return RedirectResponse(target, status_code=303)


@router.get("/logout", response_class=HTMLResponse)
def logout_form(request: Request, caller: CallerDep) -> HTMLResponse:
    return render(request, "logout.html")


@router.post("/logout")
def logout(request: Request, session: SessionDep, form: FormDep) -> RedirectResponse:
    sid = session_id(request)
    if sid is not None:
        revoke_session(session=session, session_id=sid)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
