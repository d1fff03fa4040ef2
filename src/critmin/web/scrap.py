"""The scrap exchange page: the visible offers and requests of a mineral, the ranked
matches with their legality and reasons, a listing form and accept/decline buttons for
editors of the organisations concerned, and for the owner's editors a withdraw button and a
quantity/price form on each of their listings and a "withdraw acceptance" form on their
accepted matches (CSRF-checked forms over the services; a stale version is a friendly 409
"changed meanwhile" on the page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from critmin import i18n
from critmin.api.deps import CallerDep, SessionDep, get_caller, get_session
from critmin.domain.enums import Sharing
from critmin.domain.scrap import SCRAP_TYPES, STANDARDS, scrap_type_label, standard_label
from critmin.i18n import _
from critmin.services import scrap as service
from critmin.services import scrap_decisions as decisions
from critmin.services import scrap_match as matching
from critmin.services.auth import Caller, Role
from critmin.services.entities import NotFound
from critmin.services.tracker import Conflict, Forbidden, InvalidRecord
from critmin.web.csrf import FormDep
from critmin.web.render import error_page, render, request_language

router = APIRouter(include_in_schema=False)
WriteSessionDep = Annotated[Session, Depends(get_session, scope="function")]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NUMBERS = ("grade_pct", "grade_min_pct", "grade_max_pct", "quantity_t", "lat", "lon",
           "price_usd_per_t")  # fmt: skip
TEXT = ("side", "reference", "mineral", "country", "place", "price_formula",
        "available_from", "available_to", "sharing", "notes")  # fmt: skip


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise InvalidRecord(
            [{"field": "as_of", "problem": _("expected a date written YYYY-MM-DD")}]
        ) from None


def _page(request: Request, session: Session, caller: Caller, mineral: str, as_of: str,
          *, errors: dict[str, str] | None = None, notice: str | None = None,
          values: dict[str, Any] | None = None,
          status_code: int = 200) -> HTMLResponse:  # fmt: skip
    try:
        day = _day(as_of)
        listed = service.list_listings(session=session, caller=caller, mineral=mineral)
        found = matching.matches(session=session, caller=caller, mineral=mineral, as_of=day,
                                 include_rejected=True)  # fmt: skip
    except InvalidRecord as exc:
        return error_page(request, 422, _("Invalid scrap exchange query"), str(exc))
    editor = not caller.anonymous and caller.at_least(Role.EDITOR) and caller.org_id is not None
    query = urlencode({"mineral": mineral, **({"as_of": as_of} if as_of.strip() else {}),
                       "include_rejected": "true"})  # fmt: skip
    return render(request, "scrap.html", {
        "mineral": found["mineral"], "as_of": as_of, "listed": listed, "found": found,
        "editor": editor, "me_org": caller.org_id, "errors": errors or {}, "notice": notice,
        "values": values or {"side": "offer", "mineral": found["mineral"]},
        "types": [(k, scrap_type_label(k)) for k, (m, _l) in SCRAP_TYPES.items()
                  if m == found["mineral"]],
        "standards": [(k, standard_label(k)) for k in STANDARDS],
        "levels": [s.value for s in Sharing],
    }, status_code=status_code, json_url=f"/api/v1/scrap/matches?{query}")  # fmt: skip


def _in_language(request: Request, form: dict[str, str] | None = None) -> Any:
    """Messages made here (notices, reasons, errors) in the page's language: the form's
    ``lang`` after a POST, else ``?lang=``, the cookie or Accept-Language."""
    lang = _lang(form or {}).get("lang") or request_language(request)
    return i18n.use_language(lang)


@router.get("/scrap", response_class=HTMLResponse)
def scrap_page(request: Request, session: SessionDep, caller: CallerDep,
               mineral: str = Query("tungsten", max_length=40),
               as_of: str = Query("", max_length=20),
               saved: str = Query("", max_length=20)) -> HTMLResponse:  # fmt: skip
    with _in_language(request):
        notice = {"listing": _("Listing saved."), "accept": _("Match accepted."),
                  "decline": _("Match declined."), "withdraw": _("Listing withdrawn."),
                  "change": _("Listing changed."),
                  "unmatch": _("Acceptance withdrawn.")}.get(saved)  # fmt: skip
        return _page(request, session, caller, mineral, as_of, notice=notice)


def _listing(form: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: form[k].strip() for k in TEXT if form.get(k, "").strip()}
    for k in NUMBERS:
        if form.get(k, "").strip():
            try:
                data[k] = float(form[k])
            except ValueError:
                data[k] = form[k]
    picked = {p: [n.removeprefix(p) for n in form if n.startswith(p)] for p in ("type_", "std_")}
    data["scrap_types"] = picked["type_"]  # checkboxes
    std = "required_standards" if data.get("side") == "request" else "standards"
    data[std] = picked["std_"]
    return data


@router.post("/scrap/listings", response_class=HTMLResponse)
def add_listing(request: Request, session: WriteSessionDep, form: FormDep) -> Response:
    with _in_language(request, form):
        return _add_listing(request, session, form)


def _add_listing(request: Request, session: Session, form: dict[str, str]) -> Response:
    caller = get_caller(request, session)
    mineral = form.get("mineral", "tungsten")[:40]
    if caller.anonymous:
        return RedirectResponse("/login?next=/scrap", status_code=303)
    try:
        service.create_listing(session=session, caller=caller, data=_listing(form))
    except InvalidRecord as exc:
        errs = {e["field"].split(".")[0]: e["problem"] for e in exc.errors}
        return _page(request, session, caller, mineral, "", errors=errs, values=form,
                     status_code=422)  # fmt: skip
    except Forbidden as exc:
        return error_page(request, 403, _("Not allowed"), str(exc))
    return _back(form, mineral, "", "listing")


def _lang(form: dict[str, str]) -> dict[str, str]:
    """The page's language, kept across the redirect after a form."""
    from critmin import i18n

    try:
        return {"lang": i18n.parse(form["lang"])} if form.get("lang") else {}
    except i18n.UnknownLanguage:
        return {}


def _int(form: dict[str, str], key: str) -> int:
    text = form.get(key, "")
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 2**31):
        raise InvalidRecord([{"field": key, "problem": _("expected a whole number")}])
    return int(text)


@router.post("/scrap/decide", response_class=HTMLResponse)
def decide(request: Request, session: WriteSessionDep, form: FormDep) -> Response:
    with _in_language(request, form):
        return _decide(request, session, form)


def _decide(request: Request, session: Session, form: dict[str, str]) -> Response:
    caller = get_caller(request, session)
    mineral, as_of = form.get("mineral", "tungsten")[:40], form.get("as_of", "")[:20]
    if caller.anonymous:
        return RedirectResponse("/login?next=/scrap", status_code=303)
    action = form.get("action")
    try:
        if action not in ("accept", "decline"):
            raise InvalidRecord([{"field": "action", "problem": "accept or decline"}])
        ids = {k: _int(form, k) for k in ("offer_id", "request_id", "offer_version",
                                         "request_version")}  # fmt: skip
        reason = form.get("reason", "").strip()[:1000] or None
        if action == "accept":
            decisions.accept(session=session, caller=caller, reason=reason, as_of=_day(as_of),
                            **ids)  # fmt: skip
        else:
            decisions.decline(session=session, caller=caller, reason=reason, **ids)
    except Conflict as exc:  # the service wrote nothing
        note = _("Not saved: %(why)s") % {"why": exc}
        return _page(request, session, caller, mineral, as_of, notice=note, status_code=409)
    except InvalidRecord as exc:
        return error_page(request, 422, _("Invalid decision"), str(exc))
    except NotFound as exc:
        return error_page(request, 404, _("Not found"), str(exc))
    except Forbidden as exc:
        return error_page(request, 403, _("Not allowed"), str(exc))
    return _back(form, mineral, as_of, action)


def _back(form: dict[str, str], mineral: str, as_of: str, saved: str) -> Response:
    """Back to the exchange page after a write, saying what was saved (303, so a reload
    does not post again)."""
    query = urlencode({"mineral": mineral, "saved": saved, **({"as_of": as_of} if as_of else {}),
                       **_lang(form)})  # fmt: skip
    return RedirectResponse(f"/scrap?{query}", status_code=303)


def _act(request: Request, session: Session, form: dict[str, str], saved: str,
         work: Callable[[Caller], Any]) -> Response:  # fmt: skip
    """Run one owner's action through the service; back to the page with a notice when it
    is refused for a stale version (409) or bad input (422), the service having written
    nothing; an error page when the record is hidden or missing (404) or not the
    caller's (403)."""
    caller = get_caller(request, session)
    mineral, as_of = form.get("mineral", "tungsten")[:40], form.get("as_of", "")[:20]
    if caller.anonymous:
        return RedirectResponse("/login?next=/scrap", status_code=303)
    try:
        work(caller)
    except (Conflict, InvalidRecord) as exc:
        note = _("Not saved: %(why)s") % {"why": exc}
        code = 409 if isinstance(exc, Conflict) else 422
        return _page(request, session, caller, mineral, as_of, notice=note, status_code=code)
    except NotFound as exc:
        return error_page(request, 404, _("Not found"), str(exc))
    except Forbidden as exc:
        return error_page(request, 403, _("Not allowed"), str(exc))
    return _back(form, mineral, as_of, saved)


@router.post("/scrap/listings/{id}/withdraw", response_class=HTMLResponse)
def withdraw_listing(id: RowId, request: Request, session: WriteSessionDep,  # noqa: A002
                     form: FormDep) -> Response:  # fmt: skip
    with _in_language(request, form):
        return _act(request, session, form, "withdraw", lambda caller: service.withdraw_listing(
            session=session, caller=caller, id=id, version=_int(form, "version")))  # fmt: skip


def _quantity_price(form: dict[str, str]) -> dict[str, Any]:
    """The quantity and price typed in (blank = unchanged); a price replaces a formula."""
    changes: dict[str, Any] = {}
    for key in ("quantity_t", "price_usd_per_t"):
        text = form.get(key, "").strip()
        if text:
            try:
                changes[key] = float(text)
            except ValueError:
                changes[key] = text  # the service names the field and the expected value
    if not changes:
        raise InvalidRecord([{"field": "quantity_t", "problem": _("give a quantity or a price")}])
    if "price_usd_per_t" in changes:
        changes["price_formula"] = None
    return changes


@router.post("/scrap/listings/{id}/change", response_class=HTMLResponse)
def change_listing(id: RowId, request: Request, session: WriteSessionDep,  # noqa: A002
                   form: FormDep) -> Response:  # fmt: skip
    with _in_language(request, form):
        return _act(request, session, form, "change", lambda caller: service.update_listing(
            session=session, caller=caller, id=id, version=_int(form, "version"),
            changes=_quantity_price(form)))  # fmt: skip


@router.post("/scrap/matches/{match_id}/withdraw", response_class=HTMLResponse)
def withdraw_match(match_id: RowId, request: Request, session: WriteSessionDep,
                   form: FormDep) -> Response:  # fmt: skip
    with _in_language(request, form):
        return _act(request, session, form, "unmatch", lambda caller: decisions.withdraw(
            session=session, caller=caller, match_id=match_id, version=_int(form, "version"),
            reason=form.get("reason", "").strip()[:1000] or None))  # fmt: skip
