"""Logging in to the dashboard with an API token, and logging out.

The token is checked with :func:`critmin.services.auth.authenticate` and kept in the
signed session cookie (``critmin_session``), where :func:`critmin.api.deps.get_caller`
finds it. A bad token shows an error and leaves the session without one.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from critmin.api.deps import CallerDep, SessionDep
from critmin.services.auth import AuthError, authenticate
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
        caller = authenticate(session=session, token=token)
    except AuthError:
        response = render(
            request, "login.html",
            {"next": target, "error": "That token is not valid (or has been revoked)."},
            status_code=401,
        )  # fmt: skip
        response.headers["WWW-Authenticate"] = 'Bearer realm="critmin"'
        return response
    request.session.clear()  # a new session: no fixation of an earlier one
    request.session["token"] = token
    rotate(request)
    request.state.caller = caller
    return RedirectResponse(target, status_code=303)


@router.get("/logout", response_class=HTMLResponse)
def logout_form(request: Request, caller: CallerDep) -> HTMLResponse:
    return render(request, "logout.html")


@router.post("/logout")
def logout(request: Request, form: FormDep) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/", status_code=303)

