"""Server-side dashboard sessions.

Logging in with an API token opens a session: a random id goes into the browser's
cookie and only its SHA-256 is stored (``web_sessions``), bound to the organisation and
the token. The cookie never holds the token. A session ends when it has been idle for
``idle`` or open for ``lifetime``, when it is logged out (revoked here, so a copy of
the cookie stops working too), or when its token is revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from critmin.services.auth import Caller, Role, authenticate, partner_ids
from critmin.store.tables import ApiToken, Organisation, WebSession

TOUCH_EVERY = dt.timedelta(seconds=60)
"""``last_seen_at`` is written at most this often per session (not on every request)."""


@dataclass(frozen=True)
class Lifetimes:
    idle: dt.timedelta
    absolute: dt.timedelta


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive; they are stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def open_session(
    *, session: Session, token: str, lifetimes: Lifetimes, replaces: str | None = None
) -> tuple[str, Caller]:
    """Check ``token`` (AuthError if bad) and open a session; returns (session id, caller).

    ``replaces`` (the browser's previous session id, if any) is revoked, and sessions
    that have ended are deleted.
    """
    caller = authenticate(session=session, token=token)
    now = _now()
    if replaces:
        revoke_session(session=session, session_id=replaces)
    purge_ended(session=session, idle=lifetimes.idle)
    session_id = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            session_hash=hash_session_id(session_id),
            org_id=caller.org_id,
            token_id=caller.token_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetimes.absolute,
        )
    )
    session.flush()
    return session_id, caller


def resolve_session(*, session: Session, session_id: str, lifetimes: Lifetimes) -> Caller | None:
    """The caller of a live session, or None (unknown, expired, idle, revoked, token revoked)."""
    row = session.execute(
        select(WebSession, ApiToken, Organisation.name)
        .join(ApiToken, ApiToken.id == WebSession.token_id)
        .join(Organisation, Organisation.id == WebSession.org_id)
        .where(WebSession.session_hash == hash_session_id(session_id))
    ).first()
    if row is None:
        return None
    web, token, org_name = row
    now = _now()
    if (
        web.revoked_at is not None
        or token.revoked_at is not None
        or token.org_id != web.org_id
        or _aware(web.expires_at) <= now
        or _aware(web.last_seen_at) + lifetimes.idle <= now
    ):
        return None
    if now - _aware(web.last_seen_at) >= TOUCH_EVERY:
        session.execute(update(WebSession).where(WebSession.id == web.id).values(last_seen_at=now))
    return Caller(
        org_id=web.org_id,
        org_name=org_name,
        role=Role(token.role),
        token_id=token.id,
        partner_org_ids=partner_ids(session=session, org_id=web.org_id),
    )


def revoke_session(*, session: Session, session_id: str) -> None:
    """Log a session out: its id stops working everywhere, including copies of the cookie."""
    session.execute(
        update(WebSession)
        .where(
            WebSession.session_hash == hash_session_id(session_id),
            WebSession.revoked_at.is_(None),
        )
        .values(revoked_at=_now())
    )


def purge_ended(*, session: Session, idle: dt.timedelta) -> int:
    """Delete sessions past their lifetime, idle too long or revoked; returns how many."""
    now = _now()
    result = session.execute(
        delete(WebSession).where(
            or_(
                WebSession.expires_at < now,
                WebSession.last_seen_at < now - idle,
                WebSession.revoked_at.is_not(None),
            )
        )
    )
    return result.rowcount or 0
