"""scrap exchange: listings (offers and requests), matches and their decisions

Revision ID: 0014
Revises: 0013

- ``scrap_lots`` (from the initial schema, unused until now) becomes the listing table:
  side (offer or request), reference, scrap types, grade range, assay, coordinates,
  price formula, standards met and required, end of the availability window, the
  quantity already allocated and notes. Existing rows keep every value (side: offer).
- ``scrap_matches``: an offer against a request once accepted or declined, unique per
  pair; ``scrap_match_events``: who decided what, when and why.

The downgrade drops the two new tables and the added columns.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = (
    ("side", sa.String(length=8), {"nullable": False, "server_default": "offer"}),
    ("reference", sa.String(length=120), {}),
    ("scrap_types", sa.JSON(), {}),
    ("grade_min_pct", sa.Float(), {}),
    ("grade_max_pct", sa.Float(), {}),
    ("assay", sa.JSON(), {}),
    ("lat", sa.Float(), {}),
    ("lon", sa.Float(), {}),
    ("price_formula", sa.String(length=200), {}),
    ("standards", sa.JSON(), {}),
    ("required_standards", sa.JSON(), {}),
    ("available_to", sa.Date(), {}),
    ("allocated_t", sa.Float(), {"nullable": False, "server_default": "0"}),
    ("notes", sa.Text(), {}),
)


def upgrade() -> None:
    # plain ADD COLUMN (no batch rebuild on SQLite)
    for name, type_, options in COLUMNS:
        op.add_column("scrap_lots", sa.Column(name, type_, **{"nullable": True, **options}))
    op.create_index("ix_scrap_lots_side", "scrap_lots", ["side"])
    op.create_table(
        "scrap_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), sa.ForeignKey(
            "scrap_lots.id", name="fk_scrap_matches_offer_id_scrap_lots", ondelete="CASCADE"),
            nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey(
            "scrap_lots.id", name="fk_scrap_matches_request_id_scrap_lots",
            ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("quantity_t", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("legal_verdict", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scrap_matches"),
        sa.UniqueConstraint("offer_id", "request_id", name="uq_scrap_matches_offer_id"),
    )  # fmt: skip
    op.create_index("ix_scrap_matches_offer_id", "scrap_matches", ["offer_id"])
    op.create_index("ix_scrap_matches_request_id", "scrap_matches", ["request_id"])
    op.create_index("ix_scrap_matches_status", "scrap_matches", ["status"])
    op.create_table(
        "scrap_match_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), sa.ForeignKey(
            "scrap_matches.id", name="fk_scrap_match_events_match_id_scrap_matches",
            ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey(
            "organisations.id", name="fk_scrap_match_events_org_id_organisations"),
            nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scrap_match_events"),
    )  # fmt: skip
    op.create_index("ix_scrap_match_events_match_id", "scrap_match_events", ["match_id"])
    op.create_index("ix_scrap_match_events_org_id", "scrap_match_events", ["org_id"])


def downgrade() -> None:
    op.drop_table("scrap_match_events")
    op.drop_table("scrap_matches")
    op.drop_index("ix_scrap_lots_side", table_name="scrap_lots")
    with op.batch_alter_table("scrap_lots") as batch:
        for name, _type, _options in reversed(COLUMNS):
            batch.drop_column(name)
