"""imported trade: trade_imports (shared records) and their flows

Revision ID: 0007
Revises: 0006

- ``trade_imports``: one imported BACI or customs-style file, owned and shared like
  other records (reference data without an owner);
- ``trade_import_flows``: its rows (kUSD, metric tons), keyed by import and file row,
  with the reporter and direction of customs declarations and the month where the file
  gives one (on SQLite a WITHOUT ROWID table: one b-tree, rows clustered by import).

The bundled BACI rows in ``trade_flows`` are left as they are.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    now = sa.text("(CURRENT_TIMESTAMP)")
    op.create_table(
        "trade_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=300), nullable=False),
        sa.Column("layout", sa.String(length=12), nullable=False),
        sa.Column("hs_revision", sa.String(length=8), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("years", sa.JSON(), nullable=False),
        sa.Column("reporters", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("sharing", sa.String(length=16), nullable=False),
        sa.Column("section_sharing", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_trade_imports_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_id"], ["organisations.id"],
            name=op.f("fk_trade_imports_owner_org_id_organisations"),
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_imports")),
    )
    for column in ("dataset_id", "owner_org_id", "sharing"):
        op.create_index(op.f(f"ix_trade_imports_{column}"), "trade_imports", [column])
    op.create_table(
        "trade_import_flows",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("reporter", sa.String(length=3), nullable=True),
        sa.Column("flow", sa.String(length=1), nullable=True),
        sa.Column("exporter", sa.String(length=3), nullable=True),
        sa.Column("importer", sa.String(length=3), nullable=True),
        sa.Column("exporter_code", sa.Integer(), nullable=True),
        sa.Column("importer_code", sa.Integer(), nullable=True),
        sa.Column("hs6", sa.String(length=6), nullable=False),
        sa.Column("value_kusd", sa.Float(), nullable=False),
        sa.Column("quantity_t", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("import_id", "row", name=op.f("pk_trade_import_flows")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("trade_import_flows")
    for column in ("dataset_id", "owner_org_id", "sharing"):
        op.drop_index(op.f(f"ix_trade_imports_{column}"), table_name="trade_imports")
    op.drop_table("trade_imports")
