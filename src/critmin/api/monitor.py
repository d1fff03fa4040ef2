"""Market-monitor endpoints: alert rules (list, read, add, remove), alert events, a run
of the rules for an organisation, the organisation's webhook and its deliveries.

Rules and events follow the sharing rules of every other record: an event is listed
only when the caller may see its rule and every record it derives from. Bad input is a
422 naming the field; a rule the caller may not see is a 404 like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from critmin.api.deps import CallerDep, EditorDep, IsoDate, SessionDep, require
from critmin.api.replies import private_error as _error
from critmin.api.replies import private_json as _json
from critmin.domain.vocab import UnknownValue, resolve_mineral
from critmin.services import monitor as service
from critmin.services import monitor_rules as rules
from critmin.services import monitor_webhooks as hooks
from critmin.services.auth import Caller, Role
from critmin.services.entities import NotFound
from critmin.services.tracker import Conflict, Forbidden, InvalidRecord

router = APIRouter(prefix="/monitor", tags=["monitor"])
NO_NUL = r"^[^\x00]*$"
RuleRef = Annotated[str, Path(min_length=1, max_length=120, pattern=NO_NUL,
                              description="Rule key or id.")]  # fmt: skip
MemberDep = Annotated[Caller, Depends(require(Role.VIEWER))]


class RuleIn(BaseModel):
    """A new alert rule; see docs/monitor.md for each kind's parameters."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    kind: Literal["price_change", "ratio", "measure_change", "trade_drop", "measure_expiry",
                  "stockpile_expiry"]
    params: dict[str, Any] = Field(default_factory=dict, description=(
        "price_change: series, threshold_pct, window_days, direction (up/down); ratio: a, b, "
        "threshold, direction (above/below), currency, unit, tolerance_days; measure_change: "
        "within_days; trade_drop: threshold_pct, reporter, hs_codes; measure_expiry: days; "
        "stockpile_expiry: days"))
    title: str | None = Field(default=None, max_length=300, pattern=NO_NUL)
    mineral: str | None = Field(default=None, max_length=40, pattern=NO_NUL)
    sharing: Literal["public", "partners", "owner"] = "owner"
    webhook_url: str | None = Field(default=None, max_length=500,
                                    pattern=r"^https?://[^\s/$.?#][^\s]*$")  # fmt: skip


class RulePatch(BaseModel):
    """What may change on a rule (its key, kind and owner may not)."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=300, pattern=NO_NUL)
    params: dict[str, Any] | None = None
    enabled: bool | None = None
    sharing: Literal["public", "partners", "owner"] | None = None
    webhook_url: str | None = Field(default=None, max_length=500,
                                    pattern=r"^https?://[^\s/$.?#][^\s]*$")  # fmt: skip


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=500, pattern=r"^https?://[^\s/$.?#][^\s]*$")


def _answer(work: Callable[[], Any], status: int = 200, where: str = "body") -> Response:
    try:
        return _json(work(), status)
    except NotFound as exc:
        return _error(404, str(exc))
    except Forbidden as exc:
        return _error(403, str(exc))
    except Conflict as exc:
        return _error(409, str(exc))
    except InvalidRecord as exc:
        return _error(422, "invalid request",
                      [{**e, "field": f"{where}.{e['field']}"} for e in exc.errors])
    except UnknownValue as exc:
        return _error(422, str(exc), [{"field": f"query.{exc.param}", "problem": str(exc)}])


def _write(session: Any, work: Callable[[], Any], status: int = 200,
           where: str = "body") -> Response:  # fmt: skip
    def done() -> Any:
        out = work()
        session.commit()
        return out

    response = _answer(done, status, where)
    if response.status_code >= 400:
        session.rollback()
    return response


@router.get("/rules", summary="Alert rules the caller may see (built-in defaults included)")
def list_rules(session: SessionDep, caller: CallerDep) -> Response:
    """Each rule's kind, parameters and sharing; a series a rule names that the caller
    may not see is shown as null."""
    return _write(session, lambda: {"data": rules.list_rules(session=session, caller=caller)})


@router.get("/rules/{ref}", summary="One alert rule")
def get_rule(session: SessionDep, caller: CallerDep, ref: RuleRef) -> Response:
    return _answer(lambda: rules.present_rule(
        session, rules.get_rule(session=session, caller=caller, ref=ref), caller))


@router.post("/rules", status_code=201, summary="Add an alert rule (editors)")
def add_rule(session: SessionDep, caller: EditorDep, body: RuleIn) -> Response:
    """The rule belongs to the caller's organisation; series it names must be visible to
    the caller. 409 if the organisation already has a rule with this key."""
    return _write(session, lambda: rules.add_rule(
        session=session, caller=caller, key=body.key, kind=body.kind, params=body.params,
        title=body.title, mineral=body.mineral, sharing=body.sharing,
        webhook_url=body.webhook_url), status=201)  # fmt: skip


@router.patch("/rules/{ref}", summary="Change an alert rule (editors of its organisation)")
def update_rule(session: SessionDep, caller: EditorDep, ref: RuleRef, body: RulePatch
                ) -> Response:  # fmt: skip
    """Title, parameters (checked again for the rule's kind), enabled, sharing, webhook;
    fields left out stay as they are. Built-in rules cannot change (403)."""
    changes = body.model_dump(exclude_unset=True)
    return _write(session, lambda: rules.update_rule(session=session, caller=caller, ref=ref,
                                                     changes=changes))  # fmt: skip


@router.delete("/rules/{ref}", status_code=204, summary="Remove an alert rule and its alerts")
def remove_rule(session: SessionDep, caller: EditorDep, ref: RuleRef) -> Response:
    """Editors of the owning organisation only; built-in rules stay (403)."""
    response = _write(session, lambda: rules.remove_rule(session=session, caller=caller,
                                                         ref=ref))  # fmt: skip
    return Response(status_code=204) if response.status_code == 200 else response


@router.get("/alerts", summary="Alert events the caller may see, newest first")
def alerts(
    session: SessionDep,
    caller: CallerDep,
    mineral: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    rule: Annotated[str | None, Query(max_length=120, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 100,
) -> Response:
    """Each event: rule, series (when relevant) with its label, mineral label, date at
    its precision, value, qualifier and message."""
    return _answer(lambda: {"data": service.events(
        session=session, caller=caller, mineral=resolve_mineral(mineral) if mineral else None,
        rule=rule, limit=limit)}, where="query")  # fmt: skip


@router.post("/run", summary="Evaluate the rules now (authenticated organisations)")
def run(
    session: SessionDep,
    caller: MemberDep,
    as_of: Annotated[IsoDate | None, Query(description="Evaluate as of this date (default "
                                                       "today).")] = None,
) -> Response:
    """Evaluates the built-in rules and the caller's organisation's own; records new
    events once and returns those the caller may see. Webhook deliveries are queued and
    sent by the operator's `critmin monitor deliver`."""
    return _write(session, lambda: {"data": service.run(session=session, caller=caller,
                                                        as_of=as_of)}, where="query")


@router.put("/webhook", summary="Set the organisation's webhook (editors)")
def set_webhook(session: SessionDep, caller: EditorDep, body: WebhookIn) -> Response:
    """Every new alert the organisation may see is POSTed here as JSON."""
    return _write(session, lambda: hooks.set_webhook(session=session, caller=caller,
                                                     url=body.url))  # fmt: skip


@router.delete("/webhook", status_code=204, summary="Remove the organisation's webhook")
def clear_webhook(session: SessionDep, caller: EditorDep) -> Response:
    response = _write(session, lambda: hooks.set_webhook(session=session, caller=caller,
                                                         url=None))  # fmt: skip
    return Response(status_code=204) if response.status_code == 200 else response


@router.get("/deliveries", summary="The organisation's webhook deliveries and every attempt")
def deliveries(
    session: SessionDep,
    caller: MemberDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 100,
) -> Response:
    return _answer(lambda: {"data": hooks.deliveries(session=session, caller=caller,
                                                     limit=limit)})  # fmt: skip
