"""stockpile lots: purity, supplier and the supplier's country

Revision ID: 0013
Revises: 0012

A stockpile manager records where each lot came from and how pure it is: the purity
(percent, e.g. 99.99 for 4N gallium), the supplier's name and the supplier's country
(ISO3). All three are optional; existing lots keep every value they had.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

COLUMNS = ("purity_pct", "supplier", "supplier_country")


def upgrade() -> None:
    # plain ADD COLUMN (no batch rebuild on SQLite)
    op.add_column("stockpile_lots", sa.Column("purity_pct", sa.Float(), nullable=True))
    op.add_column("stockpile_lots", sa.Column("supplier", sa.String(length=200), nullable=True))
    op.add_column("stockpile_lots",
                  sa.Column("supplier_country", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stockpile_lots") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
