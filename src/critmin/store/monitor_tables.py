"""Tables of the market monitor: alert rules, the alert events they raised, the webhooks
events go to, and every delivery attempt."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from critmin.store.base import Base, Shared, Timestamped, utcnow
from critmin.store.tables import owner_key_index


class AlertRule(Base, Timestamped, Shared):
    """A rule the monitor evaluates: its ``kind`` and ``params`` (see docs/monitor.md).
    Built-in defaults are public reference data (no owner)."""

    __tablename__ = "alert_rules"
    __table_args__ = (owner_key_index("alert_rules"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    mineral: Mapped[str | None] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_url: Mapped[str | None] = mapped_column(String(500))


class AlertEvent(Base):
    """One alert, recorded once: ``fingerprint`` hashes the rule, the subject and the
    date. The records it derives from are kept so that a caller sees it only when it may
    see all of them."""

    __tablename__ = "alert_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"),
                                         index=True)  # fmt: skip
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    mineral: Mapped[str | None] = mapped_column(String(40), index=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("price_series.id", ondelete="CASCADE"), index=True
    )
    other_series_id: Mapped[int | None] = mapped_column(
        ForeignKey("price_series.id", ondelete="CASCADE")
    )
    measure_id: Mapped[int | None] = mapped_column(
        ForeignKey("export_measures.id", ondelete="CASCADE")
    )
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    date_precision: Mapped[str] = mapped_column(String(8), default="day")
    value: Mapped[float | None] = mapped_column(Float)
    qualifier: Mapped[str] = mapped_column(String(12), default="exact")
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AlertWebhook(Base, Timestamped):
    """An organisation's webhook: every new event the organisation may see is POSTed."""

    __tablename__ = "alert_webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(String(500))


class AlertDelivery(Base):
    """An event queued for one URL: ``pending`` until delivered (``delivered``) or its
    attempts run out (``failed``, kept and retried on request)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"),
                                          index=True)  # fmt: skip
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeliveryAttempt(Base):
    """One POST of a delivery: when, the HTTP status (None if none came back), the error."""

    __tablename__ = "alert_delivery_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("alert_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)
