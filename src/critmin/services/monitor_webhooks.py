"""Webhook delivery of alert events: queued with the events, sent after they are
committed, retried with exponential backoff, every attempt recorded.

Recipients of a new event: the webhook of its rule (the rule's owner sees what the rule
was evaluated on) and the webhook of every organisation that may see the event (see
:func:`critmin.services.monitor.events`). A delivery is ``pending`` until a 2xx answer
(``delivered``); after :data:`MAX_ATTEMPTS` failures it is ``failed`` and kept, to be
retried on request. The payload is the event as the recipient may read it; one that is
no longer visible to its recipient is ``withheld``, never sent.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin import __version__
from critmin.services.auth import Caller, Role
from critmin.services.tracker import Forbidden, InvalidRecord
from critmin.store.base import utcnow
from critmin.store.tables import AlertDelivery, AlertEvent, AlertRule, AlertWebhook, Organisation

MAX_ATTEMPTS = 5
BASE_DELAY_S = 2.0
"""Attempt n + 1 waits BASE_DELAY_S * 2 ** (n - 1) after attempt n fails: 2, 4, 8, 16 s."""
TIMEOUT_S = 5.0


def set_webhook(*, session: Session, caller: Caller, url: str | None,
                org_id: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Set (or with None clear) the webhook of the caller's organisation (admins and
    editors; the local operator names ``org_id``)."""
    from critmin.services.monitor_rules import URL

    org = org_id if caller.local else caller.org_id
    if org is None or (not caller.local and not caller.at_least(Role.EDITOR)):
        raise Forbidden("setting a webhook needs an editor or admin token")
    if url is not None and not URL.match(url):
        raise InvalidRecord([{"field": "url", "problem": "an http(s) URL"}])
    row = session.scalar(select(AlertWebhook).where(AlertWebhook.org_id == org))
    if url is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(AlertWebhook(org_id=org, url=url))
    else:
        row.url = url
    session.flush()
    return {"org_id": org, "url": url}


def _org_view(session: Session, org_id: int) -> Caller:
    from critmin.services.monitor_rules import evaluator

    return evaluator(session, org_id)


def queue(session: Session, event_ids: list[int]) -> int:
    """Queue deliveries of new events to every recipient that may see them; how many."""
    from critmin.services import monitor
    from critmin.services.monitor_rules import upsert_ignore

    if not event_ids:
        return 0
    now = utcnow()
    rows: list[dict[str, Any]] = []
    stmt = select(AlertEvent.id, AlertRule.owner_org_id, AlertRule.webhook_url).join(
        AlertRule, AlertRule.id == AlertEvent.rule_id).where(AlertEvent.id.in_(event_ids))
    for event_id, owner, url in session.execute(stmt):
        if url:
            rows.append({"event_id": event_id, "org_id": owner, "url": url})
    for hook in session.scalars(select(AlertWebhook).order_by(AlertWebhook.id)):
        seen = monitor.events(session=session, caller=_org_view(session, hook.org_id),
                              ids=event_ids, limit=None)  # fmt: skip
        rows.extend({"event_id": e["id"], "org_id": hook.org_id, "url": hook.url} for e in seen)
    for r in rows:
        r.update(status="pending", attempts=0, next_attempt_at=now, created_at=now)
    upsert_ignore(session, AlertDelivery, rows)
    return len(rows)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new target: it could lead past the address check."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def private_target(url: str) -> str | None:
    """Why ``url`` must not be sent to when private targets are refused (its host is, or
    resolves to, a loopback, private, link-local, multicast or reserved address), else
    None."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return f"the host {host!r} does not resolve ({exc})"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            return (f"refused: {host!r} resolves to {address}, which is not a public address "
                    "(CRITMIN_WEBHOOK_PRIVATE_TARGETS=true allows it)")  # fmt: skip
    return None


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float
          ) -> tuple[int | None, str | None]:  # fmt: skip
    from critmin.config import get_settings

    if not get_settings().webhooks_may_reach_private():
        problem = private_target(url)
        if problem:
            return None, problem
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"[:500]


def payload(session: Session, delivery: AlertDelivery) -> dict[str, Any] | None:
    """What a delivery sends: the event as its recipient may read it (None if it may not)."""
    from critmin.services import monitor
    from critmin.services.auth import LOCAL

    view = LOCAL if delivery.org_id is None else _org_view(session, delivery.org_id)
    rows = monitor.events(session=session, caller=view, ids=[delivery.event_id], limit=None)
    if not rows:
        return None
    return {"type": "critmin.alert", "event": rows[0], "delivery": delivery.id,
            "attempt": delivery.attempts + 1}


def attempt(session: Session, delivery: AlertDelivery, *, max_attempts: int = MAX_ATTEMPTS,
            base_delay: float = BASE_DELAY_S, timeout: float = TIMEOUT_S) -> bool:  # fmt: skip
    """POST a delivery once and record the attempt; whether it was delivered."""
    from critmin.store.tables import DeliveryAttempt

    body = payload(session, delivery)
    now = utcnow()
    if body is None:
        delivery.status = "withheld"
        session.add(DeliveryAttempt(delivery_id=delivery.id, attempt=delivery.attempts + 1,
                                    attempted_at=now, error="the recipient may no longer see "
                                    "this event: not sent"))  # fmt: skip
        session.flush()
        return False
    headers = {"Content-Type": "application/json", "User-Agent": f"critmin/{__version__}",
               "X-Critmin-Event": body["event"]["fingerprint"]}  # fmt: skip
    start = time.perf_counter()
    code, error = _post(delivery.url, json.dumps(body).encode(), headers, timeout)
    took = (time.perf_counter() - start) * 1000
    delivery.attempts += 1
    ok = code is not None and 200 <= code < 300
    session.add(DeliveryAttempt(delivery_id=delivery.id, attempt=delivery.attempts,
                                attempted_at=now, status_code=code, error=None if ok else error
                                or f"HTTP {code}", duration_ms=took))  # fmt: skip
    if ok:
        delivery.status = "delivered"
    elif delivery.attempts >= max_attempts:
        delivery.status = "failed"
    else:
        wait = base_delay * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at = now + dt.timedelta(seconds=wait)
    session.flush()
    return ok


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def deliver(session: Session, *, commit: Callable[[], None] | None = None,
            max_attempts: int = MAX_ATTEMPTS, base_delay: float = BASE_DELAY_S,
            timeout: float = TIMEOUT_S, wait: bool = True, retry_failed: bool = False,
            sleep: Callable[[float], None] = time.sleep) -> dict[str, int]:  # fmt: skip
    """Send pending deliveries (``retry_failed``: failed ones too, afresh), each attempt
    committed through ``commit`` as it is made. With ``wait``, sleep until each retry is
    due until none is pending; without, send only those due now. Counts by outcome."""
    if retry_failed:
        for d in session.scalars(select(AlertDelivery).where(AlertDelivery.status == "failed")):
            d.status, d.attempts, d.next_attempt_at = "pending", 0, utcnow()
        session.flush()
    while True:
        pending = list(session.scalars(select(AlertDelivery).where(
            AlertDelivery.status == "pending").order_by(AlertDelivery.next_attempt_at,
                                                        AlertDelivery.id)))  # fmt: skip
        if not pending:
            break
        now = utcnow()
        due = [d for d in pending if _aware(d.next_attempt_at) <= now]
        if not due:
            if not wait:
                break
            sleep(max(0.0, (_aware(pending[0].next_attempt_at) - now).total_seconds()))
            continue
        for d in due:
            attempt(session, d, max_attempts=max_attempts, base_delay=base_delay,
                    timeout=timeout)  # fmt: skip
            if commit:
                commit()
    counts = {"delivered": 0, "pending": 0, "failed": 0, "withheld": 0}
    for status in session.scalars(select(AlertDelivery.status)):
        counts[status] = counts.get(status, 0) + 1
    return counts


def deliveries(*, session: Session, caller: Caller, limit: int = 100) -> list[dict[str, Any]]:
    """The caller's organisation's deliveries with every attempt (the local operator: all)."""
    stmt = select(AlertDelivery).order_by(AlertDelivery.id.desc()).limit(limit)
    if not caller.local:
        if caller.org_id is None:
            raise Forbidden("this needs an API token")
        stmt = stmt.where(AlertDelivery.org_id == caller.org_id)
    from critmin.store.tables import DeliveryAttempt

    out = []
    for d in session.scalars(stmt):
        tries = session.scalars(select(DeliveryAttempt).where(
            DeliveryAttempt.delivery_id == d.id).order_by(DeliveryAttempt.attempt))
        org = session.get(Organisation, d.org_id) if d.org_id else None
        out.append({"id": d.id, "event_id": d.event_id, "url": d.url, "status": d.status,
                    "organisation": org.name if org else None, "attempts": [
                        {"attempt": t.attempt, "at": t.attempted_at.isoformat(),
                         "status_code": t.status_code, "error": t.error,
                         "duration_ms": t.duration_ms} for t in tries]})  # fmt: skip
    return out
