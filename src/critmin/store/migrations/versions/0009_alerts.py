"""alert rules, alert events, webhooks, deliveries and their attempts

Revision ID: 0009
Revises: 0006

New tables only; existing data is untouched. Built-in default rules are created by
``critmin monitor run`` (and after imports), idempotently, not by the migration.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _shared() -> list[sa.Column]:
    return [
        sa.Column("owner_org_id", sa.Integer(), sa.ForeignKey(
            "organisations.id", name="fk_alert_rules_owner_org_id_organisations"), nullable=True),
        sa.Column("sharing", sa.String(length=16), nullable=False),
        sa.Column("section_sharing", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
    ]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("mineral", sa.String(length=40), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        *_shared(),
        sa.PrimaryKeyConstraint("id", name="pk_alert_rules"),
    )
    op.create_index("ix_alert_rules_kind", "alert_rules", ["kind"])
    op.create_index("ix_alert_rules_owner_org_id", "alert_rules", ["owner_org_id"])
    op.create_index("ix_alert_rules_sharing", "alert_rules", ["sharing"])
    op.create_index("uq_alert_rules_owner_key", "alert_rules",
                    [sa.text("coalesce(owner_org_id, 0)"), "key"], unique=True)  # fmt: skip
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("mineral", sa.String(length=40), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("other_series_id", sa.Integer(), nullable=True),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("date_precision", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("qualifier", sa.String(length=12), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rules.id"], ondelete="CASCADE",
                                name="fk_alert_events_rule_id_alert_rules"),
        sa.ForeignKeyConstraint(["series_id"], ["price_series.id"], ondelete="CASCADE",
                                name="fk_alert_events_series_id_price_series"),
        sa.ForeignKeyConstraint(["other_series_id"], ["price_series.id"], ondelete="CASCADE",
                                name="fk_alert_events_other_series_id_price_series"),
        sa.ForeignKeyConstraint(["measure_id"], ["export_measures.id"], ondelete="CASCADE",
                                name="fk_alert_events_measure_id_export_measures"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_events"),
        sa.UniqueConstraint("fingerprint", name="uq_alert_events_fingerprint"),
    )  # fmt: skip
    op.create_index("ix_alert_events_rule_id", "alert_events", ["rule_id"])
    op.create_index("ix_alert_events_mineral", "alert_events", ["mineral"])
    op.create_index("ix_alert_events_series_id", "alert_events", ["series_id"])
    op.create_index("ix_alert_events_date", "alert_events", ["date"])
    op.create_table(
        "alert_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE",
                                name="fk_alert_webhooks_org_id_organisations"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_webhooks"),
        sa.UniqueConstraint("org_id", name="uq_alert_webhooks_org_id"),
    )  # fmt: skip
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["alert_events.id"], ondelete="CASCADE",
                                name="fk_alert_deliveries_event_id_alert_events"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE",
                                name="fk_alert_deliveries_org_id_organisations"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_deliveries"),
        sa.UniqueConstraint("event_id", "url", name="uq_alert_deliveries_event_id"),
    )  # fmt: skip
    op.create_index("ix_alert_deliveries_event_id", "alert_deliveries", ["event_id"])
    op.create_index("ix_alert_deliveries_org_id", "alert_deliveries", ["org_id"])
    op.create_index("ix_alert_deliveries_status", "alert_deliveries", ["status"])
    op.create_table(
        "alert_delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["alert_deliveries.id"], ondelete="CASCADE",
                                name="fk_alert_delivery_attempts_delivery_id_alert_deliveries"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_delivery_attempts"),
    )  # fmt: skip
    op.create_index("ix_alert_delivery_attempts_delivery_id", "alert_delivery_attempts",
                    ["delivery_id"])  # fmt: skip


def downgrade() -> None:
    op.drop_table("alert_delivery_attempts")
    op.drop_table("alert_deliveries")
    op.drop_table("alert_webhooks")
    op.drop_table("alert_events")
    op.drop_index("uq_alert_rules_owner_key", table_name="alert_rules")
    op.drop_table("alert_rules")
