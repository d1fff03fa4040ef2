"""price series purity and frequency; observation qualifier, window, relative_to; FX rates

Revision ID: 0006
Revises: 0005

- ``price_series.purity`` (e.g. "99.99%") and ``price_series.frequency`` (daily ...
  annual, irregular);
- ``price_observations.qualifier``: exact, approximate, lower_bound, upper_bound
  (existing observations: ``exact``, as they were read until now);
- ``price_observations.window``: the ISO 8601 window a ``change_pct`` is measured over.
  Existing changes whose ``reference`` is a conventional abbreviation get its window
  (``w/w`` P1W, ``m/m`` P1M, ``q/q`` P3M, ``y/y`` P1Y); others keep their reference;
- ``price_observations.relative_to``: the series a ``ratio_to_series`` divides by.
  Existing ratios named it in ``reference``: it is copied here (and kept there);
- ``fx_rates``: a sourced exchange-rate table (quote units per base unit, by date and
  its precision).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WINDOWS = {"w/w": "P1W", "wow": "P1W", "m/m": "P1M", "mom": "P1M", "q/q": "P3M",
           "qoq": "P3M", "y/y": "P1Y", "yoy": "P1Y", "d/d": "P1D"}  # fmt: skip
KEYED = ("projects", "export_measures", "price_series")


def upgrade() -> None:
    # plain ADD COLUMN (no batch rebuild on SQLite, which would drop the expression
    # indexes of migration 0003)
    op.add_column("price_series", sa.Column("purity", sa.String(length=40), nullable=True))
    op.add_column("price_series", sa.Column("frequency", sa.String(length=12), nullable=True))
    op.add_column(
        "price_observations",
        sa.Column("qualifier", sa.String(length=12), nullable=False, server_default="exact"),
    )
    op.add_column("price_observations", sa.Column("window", sa.String(length=40), nullable=True))
    op.add_column(
        "price_observations", sa.Column("relative_to", sa.String(length=120), nullable=True)
    )
    obs = sa.table(
        "price_observations",
        sa.column("kind", sa.String),
        sa.column("reference", sa.String),
        sa.column("window", sa.String),
        sa.column("relative_to", sa.String),
    )
    op.execute(
        obs.update()
        .where(obs.c.kind == "ratio_to_series", obs.c.relative_to.is_(None))
        .values(relative_to=obs.c.reference)
    )
    for abbreviation, window in WINDOWS.items():
        op.execute(
            obs.update()
            .where(
                obs.c.kind == "change_pct",
                sa.func.lower(sa.func.trim(obs.c.reference)) == abbreviation,
                obs.c.window.is_(None),
            )
            .values(window=window)
        )
    op.create_table(
        "fx_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("date_precision", sa.String(length=8), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_fx_rates_dataset_id_datasets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fx_rates")),
        sa.UniqueConstraint("base", "quote", "date", "date_precision",
                            name=op.f("uq_fx_rates_base")),  # fmt: skip
    )
    op.create_index(op.f("ix_fx_rates_dataset_id"), "fx_rates", ["dataset_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fx_rates_dataset_id"), table_name="fx_rates")
    op.drop_table("fx_rates")
    with op.batch_alter_table("price_observations") as batch:
        batch.drop_column("relative_to")
        batch.drop_column("window")
        batch.drop_column("qualifier")
    with op.batch_alter_table("price_series") as batch:
        batch.drop_column("frequency")
        batch.drop_column("purity")
    for table in KEYED:  # batch mode on SQLite rebuilds tables without 0003's indexes
        op.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS uq_{table}_owner_key "
            f"ON {table} (coalesce(owner_org_id, 0), key)"
        )
