"""export measures: the title in its original language

Revision ID: 0015
Revises: 0014

A measure issued in another language (a Chinese announcement, a law) keeps its title
in that language and script beside the English title, as projects keep their original
names. Optional; existing measures keep every value they had.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch rebuild on SQLite)
    op.add_column("export_measures",
                  sa.Column("title_original", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("export_measures") as batch:
        batch.drop_column("title_original")
