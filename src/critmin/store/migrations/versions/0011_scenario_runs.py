"""saved scenario runs

Revision ID: 0011
Revises: 0010

- ``scenario_runs``: a saved ``ban``, ``sweep`` or ``spec`` run with its spec, results
  and the data versions it used, owned and shared like other records.

A new table only; the downgrade drops it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenario_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("data_versions", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("owner_org_id", sa.Integer(), sa.ForeignKey(
            "organisations.id", name="fk_scenario_runs_owner_org_id_organisations"),
            nullable=True),
        sa.Column("sharing", sa.String(length=16), nullable=False),
        sa.Column("section_sharing", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scenario_runs"),
    )  # fmt: skip
    op.create_index("ix_scenario_runs_kind", "scenario_runs", ["kind"])
    op.create_index("ix_scenario_runs_owner_org_id", "scenario_runs", ["owner_org_id"])
    op.create_index("ix_scenario_runs_sharing", "scenario_runs", ["sharing"])


def downgrade() -> None:
    op.drop_table("scenario_runs")
