"""stored supply networks

Revision ID: 0012
Revises: 0011

- ``supply_networks``: a stored supply network (name unique per owner, description,
  node and edge counts, synthetic or not), owned and shared like other records.
- ``supply_network_data``: its node and edge tables as compressed columnar blobs.

New tables only; the downgrade drops them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supply_networks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("nodes", sa.Integer(), nullable=False),
        sa.Column("edges", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("owner_org_id", sa.Integer(), sa.ForeignKey(
            "organisations.id", name="fk_supply_networks_owner_org_id_organisations"),
            nullable=True),
        sa.Column("sharing", sa.String(length=16), nullable=False),
        sa.Column("section_sharing", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_supply_networks"),
        sa.UniqueConstraint("owner_org_id", "name", name="uq_supply_networks_owner_name"),
    )  # fmt: skip
    op.create_index("ix_supply_networks_owner_org_id", "supply_networks", ["owner_org_id"])
    op.create_index("ix_supply_networks_sharing", "supply_networks", ["sharing"])
    op.create_table(
        "supply_network_data",
        sa.Column("network_id", sa.Integer(), sa.ForeignKey(
            "supply_networks.id", name="fk_supply_network_data_network_id_supply_networks",
            ondelete="CASCADE"), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("nodes_blob", sa.LargeBinary(), nullable=False),
        sa.Column("edges_blob", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("network_id", name="pk_supply_network_data"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("supply_network_data")
    op.drop_table("supply_networks")
