"""original-language names, curation notes, derived expiries, value status, periods, claims

Revision ID: 0005
Revises: 0002

- ``projects.name_original``: the name in its original language, kept beside the
  English ``name``;
- ``curation_note`` on projects, export measures, price series and observations: how a
  curator compiled the record (judgements, what the source leaves out), shown to users
  only on request;
- ``export_measures.expiry_derived``: the expiry is computed (e.g. "for 1 year"), not
  stated by the source;
- ``production_stats.value_status``: why a value is missing (``withheld`` for USGS
  ``W``, ``not_available`` for ``NA``, ...), so the two are stored apart;
- ``production_stats.year_start``: the first year of a value that covers a period
  (USGS import sources 2021-24: ``year_start`` 2021, ``year`` 2024);
- ``claims``: figures sources state in their own words (budgets, estimates), sourced.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NOTES = ("projects", "export_measures", "price_series", "price_observations")
KEYED = ("projects", "export_measures", "price_series")


def upgrade() -> None:
    # plain ADD COLUMN (no batch rebuild on SQLite, which would drop the expression
    # indexes of migration 0003)
    op.add_column("projects", sa.Column("name_original", sa.String(length=300), nullable=True))
    for table in NOTES:
        op.add_column(table, sa.Column("curation_note", sa.Text(), nullable=True))
    op.add_column(
        "export_measures",
        sa.Column("expiry_derived", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("production_stats", sa.Column("value_status", sa.String(length=20)))
    op.add_column("production_stats", sa.Column("year_start", sa.Integer(), nullable=True))
    _owner_key_indexes()
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("mineral", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("date_precision", sa.String(length=8), nullable=False),
        sa.Column("curation_note", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_claims_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["mineral"], ["minerals.code"], name=op.f("fk_claims_mineral_minerals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("key", name=op.f("uq_claims_key")),
    )
    op.create_index(op.f("ix_claims_dataset_id"), "claims", ["dataset_id"])
    op.create_index(op.f("ix_claims_mineral"), "claims", ["mineral"])


def downgrade() -> None:
    op.drop_index(op.f("ix_claims_mineral"), table_name="claims")
    op.drop_index(op.f("ix_claims_dataset_id"), table_name="claims")
    op.drop_table("claims")
    with op.batch_alter_table("production_stats") as batch:
        batch.drop_column("year_start")
        batch.drop_column("value_status")
    with op.batch_alter_table("export_measures") as batch:
        batch.drop_column("expiry_derived")
    for table in NOTES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("curation_note")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("name_original")
    _owner_key_indexes()


def _owner_key_indexes() -> None:
    """Recreate migration 0003's per-owner key indexes where a SQLite table rebuild
    (batch mode) dropped them; a no-op where they exist."""
    for table in KEYED:
        op.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS uq_{table}_owner_key "
            f"ON {table} (coalesce(owner_org_id, 0), key)"
        )
