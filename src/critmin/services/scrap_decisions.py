"""Scrap exchange decisions: accept, decline and withdraw matches, and their history.

:func:`accept` takes both listings' versions: the quantity is allocated on both and both
versions move on in one transaction, so of concurrent acceptances of one lot exactly one
succeeds and the others get a conflict. A prohibited or incompatible pair is refused
(the matching in :mod:`critmin.services.scrap_match` says why). Only editors of the
offering or requesting organisation decide; a decision's reason is shown to the two
parties only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from critmin.analytics import scrap as engine
from critmin.i18n import _
from critmin.services import access
from critmin.services import scrap as listings
from critmin.services.auth import Caller, Role
from critmin.services.entities import NotFound
from critmin.services.scrap_match import matches
from critmin.services.scrap_reasons import _f
from critmin.services.tracker import Conflict, Forbidden, InvalidRecord
from critmin.store.scrap_tables import ScrapMatch, ScrapMatchEvent
from critmin.store.tables import ScrapLot


def _party(caller: Caller, offer: ScrapLot, request: ScrapLot) -> None:
    if caller.anonymous or caller.org_id is None or not caller.at_least(Role.EDITOR):
        raise Forbidden(_("deciding on a match needs an editor of the offering or the "
                          "requesting organisation"))  # fmt: skip
    if caller.org_id not in (offer.owner_org_id, request.owner_org_id):
        raise Forbidden(_("only the offering or the requesting organisation may decide on "
                          "this match"))  # fmt: skip


def _pair(session: Session, caller: Caller, offer_id: int, request_id: int
          ) -> tuple[ScrapLot, ScrapLot]:  # fmt: skip
    offer = listings.get_row(session=session, caller=caller, id=offer_id)
    request = listings.get_row(session=session, caller=caller, id=request_id)
    if offer.side != "offer":
        raise InvalidRecord([{"field": "offer_id", "problem": f"listing {offer_id} is a "
                              "request, not an offer"}])  # fmt: skip
    if request.side != "request":
        raise InvalidRecord([{"field": "request_id", "problem": f"listing {request_id} is an "
                              "offer, not a request"}])  # fmt: skip
    return offer, request


def _claim_both(session: Session, claims: list[tuple[ScrapLot, int, float]]) -> None:
    """Move both listings on from the versions given, setting their allocation; in id
    order (no deadlock between pairs). If the second is stale the first is put back (its
    row is still locked by this transaction), so a refused decision leaves no trace."""
    done: list[tuple[ScrapLot, int]] = []
    for row, version, allocated in sorted(claims, key=lambda c: c[0].id):
        if not listings.claim(session, row.id, version, allocated_t=allocated):
            for back, v in done:
                session.execute(update(ScrapLot).where(ScrapLot.id == back.id)
                                .values(version=v, allocated_t=back.allocated_t)
                                .execution_options(synchronize_session=False))  # fmt: skip
            raise listings._stale(row.id, version)
        done.append((row, version))


def _event(session: Session, match: ScrapMatch, caller: Caller, action: str,
           before: str | None, reason: str | None) -> None:  # fmt: skip
    session.add(ScrapMatchEvent(match_id=match.id, action=action, from_status=before,
                                to_status=match.status, org_id=caller.org_id,
                                actor=caller.label, reason=reason))  # fmt: skip


def _find(m: dict[str, Any], offer_id: int, request_id: int) -> dict[str, Any] | None:
    return next((x for x in m["matches"] if x["offer"]["id"] == offer_id
                 and x["request"]["id"] == request_id), None)  # fmt: skip


def accept(*, session: Session, caller: Caller, offer_id: int, request_id: int,
           offer_version: int, request_version: int, reason: str | None = None,
           rate_usd_per_tkm: float = engine.DEFAULT_RATE_USD_PER_TKM,
           as_of: dt.date | None = None) -> dict[str, Any]:  # fmt: skip
    """Accept a proposed match at the versions the caller saw: the quantity is allocated
    on both listings and both versions move on, so a concurrent acceptance of either
    lot at those versions fails with a conflict. A prohibited or incompatible pair is
    refused (the reasons say why)."""
    offer, request = _pair(session, caller, offer_id, request_id)
    _party(caller, offer, request)
    for row, v in ((offer, offer_version), (request, request_version)):
        if row.version != v:
            raise listings._stale(row.id, v)
    found = matches(session=session, caller=caller, mineral=offer.mineral,
                    rate_usd_per_tkm=rate_usd_per_tkm, as_of=as_of)  # fmt: skip
    pair = _find(found, offer_id, request_id) if offer.mineral == request.mineral else None
    if pair is None:
        raise Conflict(_f(_("offer %(o)s and request %(r)s do not match: see the reasons with "
                         "--include-rejected"), o=offer_id, r=request_id))  # fmt: skip
    if pair["legal"]["verdict"] == "prohibited":
        titles = "; ".join(x["title"] for x in pair["legal"]["measures"] if x["decides"])
        raise Conflict(_f(_("this shipment is prohibited: %(titles)s"), titles=titles))
    if pair["status"] in ("accepted", "declined"):
        raise Conflict(_f(_("this match was already %(status)s"), status=_(pair["status"])))
    qty = pair["possible_t"]
    # versions claimed in id order, offer and request alike (no deadlock between pairs)
    _claim_both(session, [(row, v, (row.allocated_t or 0.0) + qty) for row, v in
                          ((offer, offer_version), (request, request_version))])  # fmt: skip
    session.refresh(offer)
    session.refresh(request)
    match = session.scalars(
        select(ScrapMatch).where(
            ScrapMatch.offer_id == offer_id, ScrapMatch.request_id == request_id
        )
    ).first()
    before = match.status if match else None
    if match is None:
        match = ScrapMatch(offer_id=offer_id, request_id=request_id, version=1, status="")
        session.add(match)
    match.status, match.quantity_t, match.score = "accepted", qty, pair["score"]
    match.legal_verdict = pair["legal"]["verdict"]
    session.flush()
    _event(session, match, caller, "accept", before, reason)
    session.flush()
    return _match_public(session, caller, match, offer, request)


def decline(*, session: Session, caller: Caller, offer_id: int, request_id: int,
            offer_version: int, request_version: int, reason: str | None = None
            ) -> dict[str, Any]:  # fmt: skip
    """Decline a match at the versions the caller saw; it is not proposed again."""
    offer, request = _pair(session, caller, offer_id, request_id)
    _party(caller, offer, request)
    for row, v in ((offer, offer_version), (request, request_version)):
        if row.version != v:
            raise listings._stale(row.id, v)
    match = session.scalars(
        select(ScrapMatch).where(
            ScrapMatch.offer_id == offer_id, ScrapMatch.request_id == request_id
        )
    ).first()
    if match is not None and match.status in ("accepted", "declined"):
        raise Conflict(_f(_("this match was already %(status)s"), status=_(match.status)))
    before = match.status if match else None
    if match is None:
        match = ScrapMatch(offer_id=offer_id, request_id=request_id, version=1,
                           quantity_t=0.0, status="")  # fmt: skip
        session.add(match)
    match.status = "declined"
    session.flush()
    _event(session, match, caller, "decline", before, reason)
    session.flush()
    return _match_public(session, caller, match, offer, request)


def withdraw(*, session: Session, caller: Caller, match_id: int, version: int,
             reason: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Withdraw an accepted match: its quantity is free again on both listings."""
    match = session.get(ScrapMatch, match_id)
    if match is None:
        raise NotFound(_("no scrap match with id %(id)s") % {"id": match_id})
    try:
        offer, request = _pair(session, caller, match.offer_id, match.request_id)
    except NotFound:
        raise NotFound(_("no scrap match with id %(id)s") % {"id": match_id}) from None
    _party(caller, offer, request)
    if match.status != "accepted":
        raise Conflict(_f(_("only an accepted match can be withdrawn; this one is %(status)s"),
                         status=_(match.status)))  # fmt: skip
    if match.version != version:
        raise Conflict(_f(_("match %(id)s is no longer at version %(v)s"), id=match_id, v=version))
    _claim_both(session, [(row, row.version, max((row.allocated_t or 0.0) - match.quantity_t,
                                                 0.0)) for row in (offer, request)])  # fmt: skip
    session.refresh(offer)
    session.refresh(request)
    match.status, match.version = "withdrawn", match.version + 1
    session.flush()
    _event(session, match, caller, "withdraw", "accepted", reason)
    session.flush()
    return _match_public(session, caller, match, offer, request)


def _match_public(session: Session, caller: Caller, match: ScrapMatch, offer: ScrapLot,
                  request: ScrapLot) -> dict[str, Any]:  # fmt: skip
    return {"id": match.id, "offer_id": match.offer_id, "request_id": match.request_id,
            "status": match.status, "quantity_t": match.quantity_t, "score": match.score,
            "legal_verdict": match.legal_verdict, "version": match.version,
            "offer_version": offer.version, "request_version": request.version,
            "history": history(session=session, caller=caller, match_id=match.id)}  # fmt: skip


def history(
    *, session: Session, caller: Caller, match_id: int | None = None, listing_id: int | None = None
) -> list[dict[str, Any]]:
    """Decisions on the matches the caller may see (both listings visible), oldest first;
    a decision's reason is shown to the two parties only."""
    access.check_caller(caller)
    stmt = select(ScrapMatchEvent, ScrapMatch).join(
        ScrapMatch, ScrapMatch.id == ScrapMatchEvent.match_id
    )
    if match_id is not None:
        stmt = stmt.where(ScrapMatch.id == match_id)
    if listing_id is not None:
        stmt = stmt.where((ScrapMatch.offer_id == listing_id)
                          | (ScrapMatch.request_id == listing_id))  # fmt: skip
    out = []
    for ev, mt in session.execute(stmt.order_by(ScrapMatchEvent.at, ScrapMatchEvent.id)):
        offer, request = session.get(ScrapLot, mt.offer_id), session.get(ScrapLot, mt.request_id)
        if not (offer and request and access.can_see(offer, caller)
                and access.can_see(request, caller)):  # fmt: skip
            continue
        party = caller.local or caller.org_id in (offer.owner_org_id, request.owner_org_id)
        out.append({"match_id": mt.id, "offer_id": mt.offer_id, "request_id": mt.request_id,
                    "action": ev.action, "from_status": ev.from_status,
                    "to_status": ev.to_status, "by": ev.actor,
                    "at": ev.at.isoformat() if ev.at else None,
                    "reason": ev.reason if party else None,
                    "quantity_t": mt.quantity_t})  # fmt: skip
    return out
