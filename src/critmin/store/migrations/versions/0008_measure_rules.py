"""export measures as rules: per-date precision and derivation, items, end users, end use

Revision ID: 0008
Revises: 0006

- ``announced_precision``, ``effective_precision``, ``expiry_precision``: each date's own
  precision; existing measures get their ``date_precision`` (kept) for all three;
- ``announced_derived``, ``effective_derived`` (``expiry_derived`` exists): false;
- ``items`` (HS codes with nomenclature year, products, technologies), ``milestones``
  (further dates such as a statutory clock), ``end_users``: empty lists; ``end_use``: ``all``.

Measure types keep their codes (``export_tax`` is new), so existing rows read as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DATES = ("announced", "effective", "expiry")


def upgrade() -> None:
    # plain ADD COLUMN (no batch rebuild on SQLite, which would drop the expression
    # indexes of migration 0003)
    for d in DATES:
        op.add_column("export_measures", sa.Column(f"{d}_precision", sa.String(8), nullable=True))
    for d in ("announced", "effective"):
        op.add_column(
            "export_measures",
            sa.Column(f"{d}_derived", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    op.add_column("export_measures",
                  sa.Column("items", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("export_measures",
                  sa.Column("milestones", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("export_measures",
                  sa.Column("end_users", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column(
        "export_measures",
        sa.Column("end_use", sa.String(10), nullable=False, server_default="all"),
    )
    t = sa.table(
        "export_measures",
        sa.column("date_precision", sa.String),
        *(sa.column(f"{d}_precision", sa.String) for d in DATES),
    )
    op.execute(t.update().values({f"{d}_precision": t.c.date_precision for d in DATES}))


def downgrade() -> None:
    with op.batch_alter_table("export_measures") as batch:
        names = ("end_use", "end_users", "milestones", "items", "effective_derived",
                 "announced_derived", *(f"{d}_precision" for d in DATES))  # fmt: skip
        for name in names:
            batch.drop_column(name)
    # batch mode on SQLite rebuilds the table without 0003's expression index
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS uq_export_measures_owner_key "
        "ON export_measures (coalesce(owner_org_id, 0), key)"
    )
