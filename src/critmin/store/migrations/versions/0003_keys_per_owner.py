"""record keys unique per owning organisation; projects.shared_updated_at

Keys were globally unique, so creating a record with a key another organisation
uses answered "already exists" even when that record was hidden from the caller.
Each keyed table now has a unique index on (coalesce(owner_org_id, 0), key): the
bundled reference data (no owner) is one namespace, each organisation another.

``projects.shared_updated_at`` is stamped only when a field every viewer of the
project sees changes (not financing, offtakers or milestones); it starts as
``updated_at``.

SQLite cannot drop a table's unique constraint in place: the tables are rebuilt in
Alembic batch mode (``critmin.store.migrate.upgrade`` turns foreign-key enforcement
off around the migration, so rebuilding ``projects`` keeps its children).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("projects", "facilities", "export_measures", "price_series", "network_nodes")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_key", type_="unique")
            if table == "projects":
                batch.add_column(
                    sa.Column(
                        "shared_updated_at",
                        sa.DateTime(timezone=True),
                        server_default=sa.func.now(),
                        nullable=False,
                    )
                )
        op.create_index(
            f"uq_{table}_owner_key",
            table,
            [sa.text("coalesce(owner_org_id, 0)"), "key"],
            unique=True,
        )
    op.execute("UPDATE projects SET shared_updated_at = updated_at")


def downgrade() -> None:
    """Back to globally unique keys (fails if two organisations now share a key)."""
    for table in TABLES:
        op.drop_index(f"uq_{table}_owner_key", table_name=table)
        with op.batch_alter_table(table) as batch:
            if table == "projects":
                batch.drop_column("shared_updated_at")
            batch.create_unique_constraint(f"uq_{table}_key", ["key"])
