"""SQLAlchemy tables: the persistent form of the domain.

Units are explicit columns wherever a quantity is stored. Temporal facts carry
their dates; every change to a tracked record lands in ``change_log``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from critmin.store.base import Base, Provenanced, Shared, Timestamped, utcnow


def owner_key_index(table: str) -> Index:
    """Keys are unique per owning organisation (bundled reference data: owner 0).

    An expression index, so the same on SQLite and PostgreSQL (NULL owners would
    never collide in a plain unique constraint on (owner_org_id, key)).
    """
    return Index(f"uq_{table}_owner_key", text("coalesce(owner_org_id, 0)"), "key", unique=True)


class Dataset(Base, Timestamped):
    """A source dataset or document: the provenance every record points to."""

    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[str | None] = mapped_column(String(200))
    citation: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    licence: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[str | None] = mapped_column(String(80))
    retrieved: Mapped[dt.date | None] = mapped_column(Date)
    sha256: Mapped[str | None] = mapped_column(String(64))


class Country(Base):
    __tablename__ = "countries"
    iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class CountryAlias(Base):
    """A name or code used by a source (USGS, BACI, World Bank) for an ISO3 country."""

    __tablename__ = "country_aliases"
    __table_args__ = (UniqueConstraint("scheme", "alias"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(String(20))  # usgs | baci | worldbank | name
    alias: Mapped[str] = mapped_column(String(120))
    iso3: Mapped[str] = mapped_column(String(3), index=True)


class MineralRow(Base):
    __tablename__ = "minerals"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    symbol: Mapped[str | None] = mapped_column(String(8))
    quantity_unit: Mapped[str] = mapped_column(String(16))


class MineralFormRow(Base):
    __tablename__ = "mineral_forms"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    mineral: Mapped[str] = mapped_column(ForeignKey("minerals.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    hs_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)


class HSCode(Base):
    __tablename__ = "hs_codes"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    revision: Mapped[str] = mapped_column(String(8), primary_key=True)  # HS2022 | HS1992
    description: Mapped[str] = mapped_column(Text)
    parent: Mapped[str | None] = mapped_column(String(8))
    level: Mapped[int | None] = mapped_column(Integer)
    section: Mapped[str | None] = mapped_column(String(8))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"))


class Organisation(Base, Timestamped):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str | None] = mapped_column(String(40))  # government | company | agency | ...
    country: Mapped[str | None] = mapped_column(String(3))


class Facility(Base, Timestamped, Provenanced, Shared):
    """A physical site: an alumina refinery, a zinc smelter, a mine, a recycling plant."""

    __tablename__ = "facilities"
    __table_args__ = (owner_key_index("facilities"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(60))
    operator: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(3), index=True)
    site: Mapped[str | None] = mapped_column(String(300))
    minerals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)


class Project(Base, Timestamped, Provenanced, Shared):
    __tablename__ = "projects"
    __table_args__ = (owner_key_index("projects"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300))
    name_original: Mapped[str | None] = mapped_column(String(300))
    mineral: Mapped[str] = mapped_column(ForeignKey("minerals.code"), index=True)
    form: Mapped[str | None] = mapped_column(ForeignKey("mineral_forms.code"))
    stage: Mapped[str] = mapped_column(String(20), index=True)
    feed: Mapped[str | None] = mapped_column(String(30))
    feed_note: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str | None] = mapped_column(String(200))
    partners: Mapped[list[Any]] = mapped_column(JSON, default=list)
    country: Mapped[str] = mapped_column(String(3), index=True)
    site: Mapped[str | None] = mapped_column(String(300))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    capacity_tpa: Mapped[float | None] = mapped_column(Float)
    capacity_unit: Mapped[str] = mapped_column(String(16), default="t/yr")
    start_year: Mapped[int | None] = mapped_column(Integer)
    end_year: Mapped[int | None] = mapped_column(Integer)
    milestones: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    financing_needed_usd: Mapped[float | None] = mapped_column(Float)
    financing_committed_usd: Mapped[float | None] = mapped_column(Float)
    capex_amount: Mapped[float | None] = mapped_column(Float)
    capex_currency: Mapped[str | None] = mapped_column(String(3))
    funding_sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    offtakers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    shared_updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    """When a field every viewer of the project sees last changed (not its sections):
    what ``sort=updated_at`` orders others' projects by, so hidden edits do not show."""
    curation_note: Mapped[str | None] = mapped_column(Text)

    capacity_points: Mapped[list[ProjectCapacity]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectCapacity.year"
    )
    events: Mapped[list[ProjectEvent]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectEvent.date"
    )


class ProjectCapacity(Base):
    """Capacity by year where a project ramps up (t/yr)."""

    __tablename__ = "project_capacity"
    __table_args__ = (UniqueConstraint("project_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    capacity_tpa: Mapped[float] = mapped_column(Float)
    project: Mapped[Project] = relationship(back_populates="capacity_points")


class ProjectEvent(Base):
    """The dated history of a project's status and capacity."""

    __tablename__ = "project_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(String(20))
    capacity_tpa: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    project: Mapped[Project] = relationship(back_populates="events")


class ProductionStat(Base, Provenanced):
    """A statistic for a mineral, country (or world) and year, with its unit.

    ``measure`` names the statistic (mine_production, capacity, reserves, imports,
    consumption, net_import_reliance, ...). ``raw_value`` keeps the source's text
    (USGS sentinels such as ``W``, ``NA``, ``>50``); ``value`` is the number or null.
    """

    __tablename__ = "production_stats"
    __table_args__ = (Index("ix_production_stats_lookup", "mineral", "measure", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mineral: Mapped[str] = mapped_column(ForeignKey("minerals.code"))
    form: Mapped[str | None] = mapped_column(String(40))
    measure: Mapped[str] = mapped_column(String(60))
    label: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(3), index=True)  # null = world/other
    country_label: Mapped[str | None] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(24))
    raw_value: Mapped[str | None] = mapped_column(String(40))
    value_status: Mapped[str | None] = mapped_column(String(20))  # withheld | not_available ...
    year_start: Mapped[int | None] = mapped_column(Integer)  # a period's first year
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    lower_bound: Mapped[bool] = mapped_column(Boolean, default=False)
    locator: Mapped[str | None] = mapped_column(Text)


class TradeFlow(Base):
    """A bilateral trade flow (CEPII BACI): FOB value in kUSD, gross weight in t."""

    __tablename__ = "trade_flows"
    __table_args__ = (Index("ix_trade_flows_lookup", "hs6", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    hs6: Mapped[str] = mapped_column(String(6))
    hs_revision: Mapped[str] = mapped_column(String(8), default="HS1992")
    exporter: Mapped[str | None] = mapped_column(String(3), index=True)
    importer: Mapped[str | None] = mapped_column(String(3), index=True)
    exporter_code: Mapped[int] = mapped_column(Integer)
    importer_code: Mapped[int] = mapped_column(Integer)
    value_kusd: Mapped[float] = mapped_column(Float)
    quantity_t: Mapped[float | None] = mapped_column(Float)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"))


class GovernanceIndicator(Base):
    """World Bank Worldwide Governance Indicators (estimate in standard-normal units)."""

    __tablename__ = "governance_indicators"
    __table_args__ = (UniqueConstraint("iso3", "indicator", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3))
    indicator: Mapped[str] = mapped_column(String(4))
    year: Mapped[int] = mapped_column(Integer)
    estimate: Mapped[float | None] = mapped_column(Float)
    std_error: Mapped[float | None] = mapped_column(Float)
    n_sources: Mapped[int | None] = mapped_column(Integer)
    percentile_rank: Mapped[float | None] = mapped_column(Float)
    percentile_rank_lower: Mapped[float | None] = mapped_column(Float)
    percentile_rank_upper: Mapped[float | None] = mapped_column(Float)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"))


class PriceSeries(Base, Timestamped, Provenanced, Shared):
    __tablename__ = "price_series"
    __table_args__ = (owner_key_index("price_series"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    mineral: Mapped[str] = mapped_column(ForeignKey("minerals.code"), index=True)
    form: Mapped[str | None] = mapped_column(String(40))
    purity: Mapped[str | None] = mapped_column(String(40))
    market: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(24))
    frequency: Mapped[str | None] = mapped_column(String(12))
    description: Mapped[str | None] = mapped_column(Text)
    curation_note: Mapped[str | None] = mapped_column(Text)
    observations: Mapped[list[PriceObservation]] = relationship(
        back_populates="series", cascade="all, delete-orphan", order_by="PriceObservation.date"
    )


class PriceObservation(Base, Timestamped, Provenanced):
    """A dated figure of a series: a level, a change over ``window`` or a ratio to the
    series keyed ``relative_to``, stated as ``qualifier`` (exact, approximate, bound)."""

    __tablename__ = "price_observations"
    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("price_series.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    date_precision: Mapped[str] = mapped_column(String(8), default="day")
    kind: Mapped[str] = mapped_column(String(20), default="level")
    qualifier: Mapped[str] = mapped_column(String(12), default="exact", server_default="exact")
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(24))
    window: Mapped[str | None] = mapped_column(String(40))
    relative_to: Mapped[str | None] = mapped_column(String(120))
    reference: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    curation_note: Mapped[str | None] = mapped_column(Text)
    series: Mapped[PriceSeries] = relationship(back_populates="observations")


class FxRate(Base, Provenanced):
    """An exchange rate from a published table: ``rate`` units of ``quote`` per one unit of
    ``base`` for the day, month or year its ``date_precision`` says (an average over a
    month or year is stored on its first day). Public reference data."""

    __tablename__ = "fx_rates"
    __table_args__ = (UniqueConstraint("base", "quote", "date", "date_precision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    date: Mapped[dt.date] = mapped_column(Date)
    date_precision: Mapped[str] = mapped_column(String(8))
    rate: Mapped[float] = mapped_column(Float)
    basis: Mapped[str] = mapped_column(String(20), default="average")


class ExportMeasure(Base, Timestamped, Provenanced, Shared):
    """An export-control or trade measure with its dates (announced, effective, expiry),
    each with its precision (unset: ``date_precision``) and whether it is derived."""

    __tablename__ = "export_measures"
    __table_args__ = (owner_key_index("export_measures"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    title_original: Mapped[str | None] = mapped_column(String(300))
    imposing_country: Mapped[str] = mapped_column(String(3), index=True)
    target_countries: Mapped[list[Any]] = mapped_column(JSON, default=list)
    minerals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    forms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    measure_type: Mapped[str] = mapped_column(String(30), index=True)
    extraterritorial: Mapped[bool] = mapped_column(Boolean, default=False)
    announced: Mapped[dt.date | None] = mapped_column(Date)
    effective: Mapped[dt.date | None] = mapped_column(Date)
    expiry: Mapped[dt.date | None] = mapped_column(Date)
    expiry_derived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    date_precision: Mapped[str] = mapped_column(String(8), default="day")
    announced_precision: Mapped[str | None] = mapped_column(String(8))
    effective_precision: Mapped[str | None] = mapped_column(String(8))
    expiry_precision: Mapped[str | None] = mapped_column(String(8))
    announced_derived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    effective_derived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    items: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    milestones: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    end_users: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    end_use: Mapped[str] = mapped_column(String(10), default="all", server_default="all")
    relates_to: Mapped[str | None] = mapped_column(String(120))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    curation_note: Mapped[str | None] = mapped_column(Text)


class Claim(Base, Timestamped, Provenanced):
    """A figure a source states in its own words (bundled reference data, public)."""

    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    mineral: Mapped[str] = mapped_column(ForeignKey("minerals.code"), index=True)
    topic: Mapped[str] = mapped_column(String(40))
    statement: Mapped[str] = mapped_column(Text)
    figures: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date: Mapped[dt.date | None] = mapped_column(Date)
    date_precision: Mapped[str] = mapped_column(String(8), default="day")
    curation_note: Mapped[str | None] = mapped_column(Text)


class StockpileLot(Base, Timestamped, Provenanced, Shared):
    __tablename__ = "stockpile_lots"
    id: Mapped[int] = mapped_column(primary_key=True)
    mineral: Mapped[str] = mapped_column(ForeignKey("minerals.code"), index=True)
    form: Mapped[str | None] = mapped_column(String(40))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16), default="t")
    location: Mapped[str | None] = mapped_column(String(200))
    acquired: Mapped[dt.date | None] = mapped_column(Date)
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    expires: Mapped[dt.date | None] = mapped_column(Date)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    purity_pct: Mapped[float | None] = mapped_column(Float)
    supplier: Mapped[str | None] = mapped_column(String(200))
    supplier_country: Mapped[str | None] = mapped_column(String(3))


class OfftakeAgreement(Base, Timestamped, Provenanced, Shared):
    __tablename__ = "offtake_agreements"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    buyer: Mapped[str] = mapped_column(String(200))
    seller: Mapped[str | None] = mapped_column(String(200))
    mineral: Mapped[str] = mapped_column(ForeignKey("minerals.code"))
    form: Mapped[str | None] = mapped_column(String(40))
    volume_tpa: Mapped[float | None] = mapped_column(Float)
    floor_price: Mapped[float | None] = mapped_column(Float)
    ceiling_price: Mapped[float | None] = mapped_column(Float)
    price_unit: Mapped[str | None] = mapped_column(String(24))
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)


class NetworkNode(Base, Timestamped, Provenanced, Shared):
    """A node of a multi-tier supply network: a mine, refinery, component maker, ..."""

    __tablename__ = "network_nodes"
    __table_args__ = (owner_key_index("network_nodes"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    tier: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(3), index=True)
    mineral: Mapped[str | None] = mapped_column(String(40))


class NetworkEdge(Base, Timestamped, Provenanced, Shared):
    """Supplier -> customer; ``share`` is the fraction of the customer's input it supplies."""

    __tablename__ = "network_edges"
    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("network_nodes.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("network_nodes.id"), index=True)
    share: Mapped[float | None] = mapped_column(Float)
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))


class ScrapLot(Base, Timestamped, Provenanced, Shared):
    """A scrap listing: an offer of a lot or a request for lots (migration 0014).

    ``quantity`` is in ``unit`` (t); ``location`` is the place text; ``asking_price`` is
    in ``price_unit`` (USD/t). ``allocated_t`` is what accepted matches have taken;
    ``version`` (from Shared) guards acceptance so a lot is never matched twice."""

    __tablename__ = "scrap_lots"
    id: Mapped[int] = mapped_column(primary_key=True)
    mineral: Mapped[str] = mapped_column(ForeignKey("minerals.code"), index=True)
    form: Mapped[str | None] = mapped_column(String(40))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16), default="t")
    grade_pct: Mapped[float | None] = mapped_column(Float)
    location: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(3))
    available_from: Mapped[dt.date | None] = mapped_column(Date)
    asking_price: Mapped[float | None] = mapped_column(Float)
    price_unit: Mapped[str | None] = mapped_column(String(24))
    side: Mapped[str] = mapped_column(String(8), default="offer", server_default="offer",
                                      index=True)  # fmt: skip
    reference: Mapped[str | None] = mapped_column(String(120))
    scrap_types: Mapped[list[Any] | None] = mapped_column(JSON)
    grade_min_pct: Mapped[float | None] = mapped_column(Float)
    grade_max_pct: Mapped[float | None] = mapped_column(Float)
    assay: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    price_formula: Mapped[str | None] = mapped_column(String(200))
    standards: Mapped[list[Any] | None] = mapped_column(JSON)
    required_standards: Mapped[list[Any] | None] = mapped_column(JSON)
    available_to: Mapped[dt.date | None] = mapped_column(Date)
    allocated_t: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    notes: Mapped[str | None] = mapped_column(Text)


class ChangeLog(Base):
    """Every change to a tracked record: who, when, and old -> new per field."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_record", "table_name", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[int] = mapped_column(Integer)
    record_key: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | restore
    actor: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[str | None] = mapped_column(String(300))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PartnershipGroup(Base, Timestamped):
    """A group of organisations that share ``partners``-level records (e.g. "MSP")."""

    __tablename__ = "partnership_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("group_id", "org_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("partnership_groups.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )


class ApiToken(Base):
    """An organisation's API token. Only a SHA-256 hash of the secret is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))  # admin | editor | viewer
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A dashboard login: the cookie holds a random id, only its SHA-256 is stored here.

    Bound to the organisation and the API token it was opened with; it ends when it is
    idle too long, reaches its absolute lifetime, is logged out, or its token is revoked.
    """

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


from critmin.store.monitor_tables import (  # noqa: E402, F401
    AlertDelivery,
    AlertEvent,
    AlertRule,
    AlertWebhook,
    DeliveryAttempt,
)
from critmin.store.network_tables import SupplyNetwork, SupplyNetworkData  # noqa: E402,F401
from critmin.store.scenario_tables import ScenarioRun  # noqa: E402,F401
from critmin.store.scrap_tables import ScrapMatch, ScrapMatchEvent  # noqa: E402,F401
from critmin.store.trade_tables import TradeFlowBlock, TradeImport  # noqa: E402,F401
