"""``critmin scrap``: the scrap and recycling exchange — offers and requests from CSV or
JSON files, listings (changed or withdrawn at the version seen), ranked matches with their
legality, accept/decline, withdrawing an acceptance, and history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from critmin.cli.common import (
    DbOption,
    FormatOption,
    MineralFilter,
    MineralRequired,
    OutputFormat,
    console,
    emit,
    fail,
    machine_readable,
    session_for,
)
from critmin.i18n import N_, _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from critmin.services.auth import Caller

scrap_app = typer.Typer(
    help="Scrap and recycling exchange: offers, requests, matches and decisions.",
    no_args_is_help=True, rich_markup_mode=None,
)  # fmt: skip

OrgOption = Annotated[str | None, typer.Option(
    "--org", help="Act for this organisation (as its editor); listings imported with it "
    "belong to it.")]  # fmt: skip
TokenOption = Annotated[str | None, typer.Option(
    "--token", envvar="CRITMIN_TOKEN", help="Act with this API token's organisation and role.",
    show_default=False)]  # fmt: skip
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Match from this date (YYYY-MM-DD; default today).", metavar="DATE"
    ),
]
Rate = Annotated[
    float,
    typer.Option(
        "--rate", min=0, max=1000, help="Transport cost, USD per tonne-kilometre (an assumption)."
    ),
]
Side = Annotated[str | None, typer.Option("--side", help="offer or request.")]


LISTING_HEADERS = {"side": N_("Side"), "mineral": N_("Mineral"),
                   "scrap_types": N_("Scrap type"), "grade": N_("Grade"),
                   "quantity": N_("Free / listed"), "country": N_("Country"),
                   "owner": N_("Owner"), "sharing": N_("Sharing"),
                   "version": N_("Version")}  # fmt: skip
MATCH_HEADERS = {"rank": N_("Rank"), "offer": N_("Offer"), "request": N_("Request"),
                 "quantity_t": N_("Quantity (t)"), "legal": N_("Export controls"),
                 "score": N_("Score"), "status": N_("Status"),
                 "match": N_("Match (version)"), "reasons": N_("Why")}  # fmt: skip


def _caller(session: Session, org: str | None, token: str | None) -> Caller:
    """The local operator, or acting for ``--org`` (as its editor), or ``--token``'s."""
    from critmin.services.auth import (
        LOCAL,
        AuthError,
        Caller,
        Role,
        authenticate,
        get_org,
        partner_ids,
    )

    try:
        if token:
            return authenticate(session=session, token=token)
        if org:
            row = get_org(session=session, name=org)
            return Caller(
                org_id=row.id,
                org_name=row.name,
                role=Role.EDITOR,
                partner_org_ids=partner_ids(session=session, org_id=row.id),
            )
    except AuthError as exc:
        raise fail(f"{exc} (see `critmin org list`)", code=2) from None
    return LOCAL


def _run(work: Any) -> Any:
    """A service call; its refusals as one-line errors (exit 1; 2 for bad input)."""
    from critmin.ingest.errors import IngestError
    from critmin.services.entities import NotFound
    from critmin.services.tracker import Conflict, Forbidden, InvalidRecord

    try:
        return work()
    except IngestError as exc:
        raise fail(str(exc)) from None
    except InvalidRecord as exc:
        raise fail(str(exc), code=2) from None
    except (NotFound, Forbidden, Conflict) as exc:
        raise fail(str(exc).strip("'\"")) from None


def _import(side: str, path: Path, org: str | None, token: str | None, db: str | None,
            fmt: OutputFormat) -> None:  # fmt: skip
    from critmin.services import scrap as service
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        caller = _caller(session, org, token)
        owner = None
        if caller.local:
            raise fail(_("name the organisation that lists the lots: --org NAME or --token"),
                       code=2)  # fmt: skip
        if not token:
            owner, caller = caller.org_id, LOCAL
        summary = _run(
            lambda: service.import_file(
                session=session, caller=caller, path=path, side=side, owner_org_id=owner
            )
        )
    if fmt != OutputFormat.table:
        emit(summary, fmt)
        return
    text = _("%(file)s: %(created)s %(side)s(s) created, %(updated)s updated")
    console.print(text % {**summary, "side": _(side)}, highlight=False)


FileArg = Annotated[Path, typer.Argument(help="CSV or JSON file (layout: docs/scrap.md).")]


@scrap_app.command("offer")
def offer_cmd(path: FileArg, org: OrgOption = None, token: TokenOption = None,
              db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """List scrap lots for sale from a file (all or nothing)."""
    _import("offer", path, org, token, db, fmt)


@scrap_app.command("request")
def request_cmd(path: FileArg, org: OrgOption = None, token: TokenOption = None,
                db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """List requests for scrap from a file (all or nothing)."""
    _import("request", path, org, token, db, fmt)


@scrap_app.command("listings")
def listings_cmd(mineral: MineralFilter = None, side: Side = None,
                 org: OrgOption = None, token: TokenOption = None, db: DbOption = None,
                 fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Offers and requests (as the organisation sees them with --org/--token)."""
    from critmin.services import scrap as service

    with machine_readable(fmt):
        with session_for(db) as session:
            caller = _caller(session, org, token)
            out = _run(
                lambda: service.list_listings(
                    session=session, caller=caller, mineral=mineral, side=side
                )
            )
        if fmt == OutputFormat.json:
            emit(out["listings"], fmt)
            return
        title = _("Scrap listings: %(offer)s offers, %(request)s requests") % out["counts"]
        _emit_listings(out["listings"], fmt, title)


def _emit_listings(listings: list[dict[str, Any]], fmt: OutputFormat, title: str) -> None:
    """Listings as a table or CSV: type labels, grade, free of listed quantity."""
    rows = [
        {
            **r,
            "scrap_types": ", ".join(r["scrap_type_labels"]),
            "grade": f"{r['grade_pct']:g} %"
            if r["grade_pct"] is not None
            else f"{r['grade_min_pct']:g}–{r['grade_max_pct']:g} %",
            "quantity": _("%(free)s of %(total)s t")
            % {"free": f"{r['free_t']:g}", "total": f"{r['quantity_t']:g}"},
        }
        for r in listings
    ]
    emit(rows, fmt, title=title, headers={k: _(v) for k, v in LISTING_HEADERS.items()},
         columns=["id", "side", "mineral", "scrap_types", "grade", "quantity", "country",
                  "owner", "sharing", "version"])  # fmt: skip


@scrap_app.command("match")
def match_cmd(mineral: MineralRequired, rate: Rate = 0.10, as_of: AsOf = None,
              include_rejected: Annotated[bool, typer.Option(
                  "--include-rejected", help="Also list the pairs that do not match and "
                  "why not.")] = False,
              org: OrgOption = None, token: TokenOption = None, db: DbOption = None,
              fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Ranked matches of offers against requests, each with quantity, legality under the
    export controls, score and reasons."""
    from critmin.services import scrap_match as service

    day = _day(as_of)
    with machine_readable(fmt):
        with session_for(db) as session:
            caller = _caller(session, org, token)
            out = _run(
                lambda: service.matches(
                    session=session,
                    caller=caller,
                    mineral=mineral,
                    rate_usd_per_tkm=rate,
                    as_of=day,
                    include_rejected=include_rejected,
                )
            )
        rows = out["matches"] + out["rejected"]
        if fmt == OutputFormat.json:
            emit(rows, fmt)
            return
        flat = [{"rank": r.get("rank"), "offer": r["offer"]["id"], "request": r["request"]["id"],
                 "quantity_t": r.get("quantity_t"), "legal": r["legal"]["verdict_label"]
                 if "legal" in r else "", "score": r.get("score"),
                 "status": _(r.get("status", "no match")),
                 "match": f"{r['match_id']} (v{r['match_version']})" if r.get("match_id") else "",
                 "reasons": "; ".join(r["reasons"])} for r in rows]  # fmt: skip
        from critmin.i18n import display

        title = _("Scrap matches for %(mineral)s (%(offers)s offers, %(requests)s requests, as of "
                  "%(as_of)s)") % {**out, "mineral": display.mineral(out["mineral"])}  # fmt: skip
        emit(flat, fmt, title=title, headers={k: _(v) for k, v in MATCH_HEADERS.items()},
             right=("rank", "quantity_t", "score"))  # fmt: skip
        if fmt == OutputFormat.table:
            console.print(out["assumptions"]["rate_note"], highlight=False, soft_wrap=True)


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(_("--as-of %(value)r: expected a date written YYYY-MM-DD") % {"value": text},
                   code=2) from None  # fmt: skip


def _decide(action: str, offer: int, request: int, offer_version: int,
            request_version: int, reason: str | None, org: str | None, token: str | None,
            db: str | None, fmt: OutputFormat, as_of: str | None = None) -> None:  # fmt: skip
    from critmin.services import scrap_decisions as service

    day = _day(as_of)
    with session_for(db) as session:
        caller = _caller(session, org, token)
        kwargs = {"session": session, "caller": caller, "offer_id": offer,
                  "request_id": request, "offer_version": offer_version,
                  "request_version": request_version, "reason": reason}  # fmt: skip
        if action == "accept":
            out = _run(lambda: service.accept(**kwargs, as_of=day))
        else:
            out = _run(lambda: service.decline(**kwargs))
    if fmt != OutputFormat.table:
        emit(out, fmt)
        return
    text = _(
        "match %(id)s: offer %(offer)s / request %(request)s %(status)s (%(q)s t); "
        "versions now offer %(offer_version)s, request %(request_version)s"
    )
    console.print(text % {**out, "offer": offer, "request": request, "status": _(out["status"]),
                          "q": f"{out['quantity_t']:g}"}, highlight=False)  # fmt: skip


Offer = Annotated[int, typer.Option("--offer", min=1, help="Offer id.")]
Request = Annotated[int, typer.Option("--request", min=1, help="Request id.")]
OfferV = Annotated[int, typer.Option("--offer-version", min=1, help="The offer's version you saw.")]
RequestV = Annotated[
    int, typer.Option("--request-version", min=1, help="The request's version you saw.")
]
Reason = Annotated[str | None, typer.Option("--reason", help="Why (kept in the "
                                            "history).")]  # fmt: skip


@scrap_app.command("accept")
def accept_cmd(offer: Offer, request: Request, offer_version: OfferV,
               request_version: RequestV, reason: Reason = None, as_of: AsOf = None,
               org: OrgOption = None, token: TokenOption = None, db: DbOption = None,
               fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Accept a proposed match (a stale version is refused: reload and try again)."""
    _decide("accept", offer, request, offer_version, request_version, reason, org, token,
            db, fmt, as_of)  # fmt: skip


@scrap_app.command("decline")
def decline_cmd(offer: Offer, request: Request, offer_version: OfferV,
                request_version: RequestV, reason: Reason = None, org: OrgOption = None,
                token: TokenOption = None, db: DbOption = None,
                fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Decline a match; it is not proposed again."""
    _decide("decline", offer, request, offer_version, request_version, reason, org, token,
            db, fmt)  # fmt: skip


@scrap_app.command("history")
def history_cmd(match: Annotated[int | None, typer.Option("--match", min=1)] = None,
                listing: Annotated[int | None, typer.Option("--listing", min=1)] = None,
                org: OrgOption = None, token: TokenOption = None, db: DbOption = None,
                fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Accept, decline and withdraw decisions: who, when, from which status, why."""
    from critmin.services import scrap_decisions as service

    with machine_readable(fmt):
        with session_for(db) as session:
            caller = _caller(session, org, token)
            rows = _run(
                lambda: service.history(
                    session=session, caller=caller, match_id=match, listing_id=listing
                )
            )
        emit(
            rows,
            fmt,
            title=_("Scrap match decisions"),
            columns=None if fmt == OutputFormat.json else [
                "match_id", "offer_id", "request_id", "action", "to_status", "by", "at",
                "reason"],  # fmt: skip
        )


ListingArg = Annotated[int, typer.Argument(min=1, max=2**31 - 1, metavar="LISTING_ID",
                                           help="The listing's id (see `scrap listings`).")]
ListingV = Annotated[int, typer.Option("--version", min=1, max=2**31 - 1, show_default=False,
                                       help="The listing's version you saw (see `scrap "
                                       "listings`).")]  # fmt: skip


@scrap_app.command("withdraw")
def withdraw_cmd(listing_id: ListingArg, version: ListingV, org: OrgOption = None,
                 token: TokenOption = None, db: DbOption = None,
                 fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Take one of your organisation's listings off the exchange (kept in the history; a
    stale version is refused: reload and try again)."""
    from critmin.services import scrap as service

    with session_for(db) as session:
        caller = _caller(session, org, token)
        _run(lambda: service.withdraw_listing(session=session, caller=caller, id=listing_id,
                                              version=version))  # fmt: skip
    if fmt != OutputFormat.table:
        emit({"id": listing_id, "status": "withdrawn", "version": version + 1}, fmt)
        return
    console.print(_("scrap listing %(id)s withdrawn (kept in the history)") % {"id": listing_id},
                  highlight=False)  # fmt: skip


def _changes(quantity: float | None, price: float | None, formula: str | None,
             start: str | None, end: str | None, open_ended: bool, sharing: str | None,
             notes: str | None, reference: str | None) -> dict[str, Any]:  # fmt: skip
    """The listing fields given on the command line; a new price replaces a formula and a
    new formula a price (a listing has one or the other). The service validates them."""
    if end is not None and open_ended:
        raise fail(_("give --to DATE or --open-ended, not both"), code=2)
    given = {"quantity_t": quantity, "price_usd_per_t": price, "price_formula": formula,
             "available_from": start, "available_to": end, "sharing": sharing,
             "notes": notes, "reference": reference}  # fmt: skip
    changes = {k: v for k, v in given.items() if v is not None}
    if price is not None and formula is None:
        changes["price_formula"] = None
    if formula is not None and price is None:
        changes["price_usd_per_t"] = None
    if open_ended:
        changes["available_to"] = None
    if not changes:
        raise fail(_("nothing to change: give at least one of --quantity, --price, "
                     "--price-formula, --from, --to, --open-ended, --sharing, --notes, "
                     "--reference"), code=2)  # fmt: skip
    return changes


@scrap_app.command("change")
def change_cmd(
    listing_id: ListingArg, version: ListingV,
    quantity: Annotated[float | None, typer.Option(
        "--quantity", help="Quantity, t (not below what accepted matches took).")] = None,
    price: Annotated[float | None, typer.Option(
        "--price", help="Price, USD/t (replaces a price formula).")] = None,
    formula: Annotated[str | None, typer.Option(
        "--price-formula", help="A price formula, e.g. '85% of APT mid' (replaces a "
        "price).")] = None,
    start: Annotated[str | None, typer.Option(
        "--from", help="Available from (YYYY-MM-DD).", metavar="DATE")] = None,
    end: Annotated[str | None, typer.Option(
        "--to", help="Available until (YYYY-MM-DD).", metavar="DATE")] = None,
    open_ended: Annotated[bool, typer.Option(
        "--open-ended", help="No end date: available until further notice.")] = False,
    sharing: Annotated[str | None, typer.Option(
        "--sharing", help="public, partners or owner.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes (replace the old).")] = None,
    reference: Annotated[str | None, typer.Option(
        "--reference", help="Your lot reference.")] = None,
    org: OrgOption = None, token: TokenOption = None, db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:  # fmt: skip
    """Change one of your organisation's listings at the version you saw (the side,
    offer or request, never changes; a stale version is refused: reload and try again)."""
    from critmin.services import scrap as service

    changes = _changes(quantity, price, formula, start, end, open_ended, sharing, notes,
                       reference)  # fmt: skip
    with session_for(db) as session:
        caller = _caller(session, org, token)
        out = _run(lambda: service.update_listing(session=session, caller=caller, id=listing_id,
                                                  changes=changes, version=version))  # fmt: skip
    if fmt == OutputFormat.json:
        emit(out, fmt)
        return
    title = _("Scrap listing %(id)s changed: now version %(version)s") % out
    _emit_listings([out], fmt, title)


MatchArg = Annotated[int, typer.Argument(min=1, max=2**31 - 1, metavar="MATCH_ID",
                                         help="The accepted match's id (see `scrap match`).")]
MatchV = Annotated[int, typer.Option("--version", min=1, max=2**31 - 1, show_default=False,
                                     help="The match's version you saw (see `scrap "
                                     "match`).")]  # fmt: skip


@scrap_app.command("unmatch")
def unmatch_cmd(match_id: MatchArg, version: MatchV, reason: Reason = None,
                org: OrgOption = None, token: TokenOption = None, db: DbOption = None,
                fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Withdraw an accepted match: its quantity is free again on both listings (the
    offering or the requesting organisation; a stale version is refused)."""
    from critmin.services import scrap_decisions as service

    with session_for(db) as session:
        caller = _caller(session, org, token)
        out = _run(lambda: service.withdraw(session=session, caller=caller, match_id=match_id,
                                            version=version, reason=reason))  # fmt: skip
    if fmt != OutputFormat.table:
        emit(out, fmt)
        return
    text = _("match %(id)s withdrawn: %(q)s t free again on offer %(offer_id)s and request "
             "%(request_id)s; versions now match %(version)s, offer %(offer_version)s, "
             "request %(request_version)s")  # fmt: skip
    console.print(text % {**out, "q": f"{out['quantity_t']:g}"}, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(scrap_app, name="scrap")
