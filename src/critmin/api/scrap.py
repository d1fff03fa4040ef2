"""Scrap exchange endpoints: listings (offers and requests) for editors, ranked matches
with their legality, accept/decline with the listings' versions (409 when one is stale)
and the history of decisions. Everything is read through the caller's view: another
organisation's private listing is "not found", exactly like a missing one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from critmin.api.deps import AsciiId, CallerDep, EditorDep, IsoDate, SessionDep
from critmin.api.replies import answer
from critmin.domain.json_scalars import JsonScalars
from critmin.domain.scrap import ScrapListing
from critmin.services import scrap as service
from critmin.services import scrap_decisions as decisions
from critmin.services import scrap_match as matching

router = APIRouter(prefix="/scrap", tags=["scrap"])

MineralQuery = Annotated[str, Query(min_length=1, max_length=40, description="e.g. tungsten.")]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1, description="The version you last saw.")]
Reason = Annotated[str | None, Field(None, max_length=1000, description="Why (kept).")]


class _Strict(JsonScalars):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _changes_model() -> type[BaseModel]:
    """A listing's fields, each optional (the side never changes), plus ``version``; the
    merged listing is validated again as a whole."""
    fields: dict[str, Any] = {"version": (Version, ...)}
    for name, info in ScrapListing.model_fields.items():
        if name == "side":
            continue
        inner = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        fields[name] = (inner | None, Field(None, description=info.description))
    doc = "Changes to a listing at the version the caller last saw (409 if it moved on)."
    return create_model("ScrapListingChanges", __base__=_Strict, __doc__=doc, **fields)


ListingPatch = _changes_model()


class Decision(_Strict):
    """Accept or decline the match of an offer and a request at the listings' versions."""

    offer_id: Id
    request_id: Id
    offer_version: Version
    request_version: Version
    reason: Reason = None
    as_of: dt.date | None = Field(
        None, description="Judge the match (windows, export controls) on this date; "
        "default today.")  # fmt: skip


class Withdrawal(_Strict):
    version: Version
    reason: Reason = None


@router.get("/listings", summary="Scrap offers and requests the caller may see")
def listings(
    session: SessionDep,
    caller: CallerDep,
    mineral: Annotated[str | None, Query(max_length=40)] = None,
    side: Annotated[Literal["offer", "request"] | None, Query()] = None,
    mine: Annotated[bool, Query(description="Only the caller's organisation's.")] = False,
) -> Response:
    """`listings` (newest first, with labels, free quantity, owner and version) and
    `counts` by side, from what the caller may see."""
    return answer(lambda: service.list_listings(session=session, caller=caller,
                                                mineral=mineral, side=side, mine=mine))  # fmt: skip


@router.post("/listings", status_code=201, summary="List a scrap offer or request")
def create(body: ScrapListing, session: SessionDep, caller: EditorDep) -> Response:
    """Store a listing for the caller's organisation (editor token); sharing defaults to
    the owner only."""
    reply = answer(lambda: service.create_listing(session=session, caller=caller, data=body),
                   where="body")  # fmt: skip
    if reply.status_code == 200:
        reply.status_code = 201
    return reply


@router.get("/listings/{id}", summary="One scrap listing")
def get_one(id: AsciiId, session: SessionDep, caller: CallerDep) -> Response:  # noqa: A002
    return answer(lambda: service.get_listing(session=session, caller=caller, id=id))


@router.patch("/listings/{id}", summary="Change a scrap listing (with its version)")
def change(id: AsciiId, body: ListingPatch, session: SessionDep,  # noqa: A002
           caller: EditorDep) -> Response:  # fmt: skip
    """Merge the fields sent into the listing at `version`; 409 if it changed meanwhile."""
    changes = body.model_dump(exclude_unset=True, mode="json")
    version = changes.pop("version")
    return answer(lambda: service.update_listing(session=session, caller=caller, id=id,
                                                 changes=changes, version=version),
                  where="body")  # fmt: skip


@router.delete("/listings/{id}", summary="Withdraw a scrap listing (with its version)")
def remove(
    id: AsciiId,  # noqa: A002
    session: SessionDep,
    caller: EditorDep,
    version: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> Response:
    reply = answer(lambda: service.withdraw_listing(session=session, caller=caller,
                                                    id=id, version=version))  # fmt: skip
    return Response(status_code=204) if reply.status_code == 200 else reply


@router.get("/matches", summary="Ranked matches of offers and requests, with legality")
def matches(
    session: SessionDep,
    caller: CallerDep,
    mineral: MineralQuery,
    rate_usd_per_tkm: Annotated[float, Query(ge=0, le=1000)] = 0.10,
    as_of: Annotated[IsoDate | None, Query()] = None,
    include_rejected: Annotated[bool, Query()] = False,
) -> Response:
    """`matches`: each with `offer`, `request`, `quantity_t`, `legal` (`verdict` and the
    `measures` deciding it), `score`, `rank`, `status`, `reasons` and, once decided,
    `match_id` and `match_version` (to withdraw an acceptance); `rejected` (with
    `include_rejected`): pairs that do not match and why not; `assumptions`."""
    return answer(lambda: matching.matches(session=session, caller=caller, mineral=mineral,
                                           rate_usd_per_tkm=rate_usd_per_tkm,
                                           as_of=as_of if isinstance(as_of, dt.date) else None,
                                           include_rejected=include_rejected))  # fmt: skip


def _decide(action: str, body: Decision, session: SessionDep, caller: EditorDep) -> Response:
    extra = {"as_of": body.as_of} if action == "accept" else {}
    fn = decisions.accept if action == "accept" else decisions.decline
    return answer(lambda: fn(session=session, caller=caller, offer_id=body.offer_id,
                             request_id=body.request_id, offer_version=body.offer_version,
                             request_version=body.request_version, reason=body.reason,
                             **extra), where="body")  # fmt: skip


@router.post("/matches/accept", summary="Accept a match (409 if a version is stale)")
def accept(body: Decision, session: SessionDep, caller: EditorDep) -> Response:
    """An editor of the offering or requesting organisation accepts the pair at the
    versions it saw; the quantity is allocated on both listings. Of concurrent
    acceptances of one lot exactly one succeeds; a prohibited pair is refused (409)."""
    return _decide("accept", body, session, caller)


@router.post("/matches/decline", summary="Decline a match (409 if a version is stale)")
def decline(body: Decision, session: SessionDep, caller: EditorDep) -> Response:
    return _decide("decline", body, session, caller)


@router.post("/matches/{match_id}/withdraw", summary="Withdraw an accepted match")
def withdraw(match_id: AsciiId, body: Withdrawal, session: SessionDep,
             caller: EditorDep) -> Response:  # fmt: skip
    return answer(lambda: decisions.withdraw(session=session, caller=caller, match_id=match_id,
                                            version=body.version, reason=body.reason),
                  where="body")  # fmt: skip


@router.get("/history", summary="Decisions on matches: who, when, why")
def history(
    session: SessionDep,
    caller: CallerDep,
    match_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    listing_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Accept, decline and withdraw decisions on the matches the caller may see; a reason
    is shown to the two parties only."""
    return answer(lambda: decisions.history(session=session, caller=caller, match_id=match_id,
                                           listing_id=listing_id))  # fmt: skip
