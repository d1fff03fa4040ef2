"""Scrap exchange decisions: a match between an offer and a request once a party has
accepted or declined it, and the history of every decision (migration 0014).

A match is visible to whoever may see both of its listings; its status is
``accepted``, ``declined`` or ``withdrawn`` (``proposed`` matches are computed, not
stored)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from critmin.store.base import Base, Timestamped, utcnow


class ScrapMatch(Base, Timestamped):
    """An offer against a request: the quantity, the verdict of the export-control check
    and the score when it was decided, and its status now."""

    __tablename__ = "scrap_matches"
    __table_args__ = (UniqueConstraint("offer_id", "request_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("scrap_lots.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int] = mapped_column(
        ForeignKey("scrap_lots.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), index=True)
    quantity_t: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    legal_verdict: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ScrapMatchEvent(Base):
    """One decision on a match: who (organisation and actor), when, from which status to
    which, and why."""

    __tablename__ = "scrap_match_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(
        ForeignKey("scrap_matches.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
