"""Controlled vocabularies shared by every layer."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    EXTRACTION = "extraction"
    REFINING = "refining"
    PURIFICATION = "purification"
    RECYCLING = "recycling"


class ProjectStatus(StrEnum):
    ANNOUNCED = "announced"
    FEASIBILITY = "feasibility"
    PERMITTING = "permitting"
    FINANCED = "financed"
    CONSTRUCTION = "construction"
    COMMISSIONING = "commissioning"
    OPERATING = "operating"
    STALLED = "stalled"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class Feed(StrEnum):
    BAYER_LIQUOR = "bayer_liquor"
    ZINC_RESIDUE = "zinc_residue"
    SCRAP = "scrap"
    ORE = "ore"
    CONCENTRATE = "concentrate"
    INDUSTRIAL_WASTE = "industrial_waste"
    OTHER = "other"


class MilestoneState(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    REJECTED = "rejected"


class Sharing(StrEnum):
    PUBLIC = "public"
    PARTNERS = "partners"
    OWNER = "owner"


class FundingKind(StrEnum):
    GOVERNMENT = "government"
    PRIVATE = "private"
    MULTILATERAL = "multilateral"


class MeasureType(StrEnum):
    LICENSING = "licensing"
    BAN = "ban"
    SUSPENSION = "suspension"
    TECHNOLOGY_CONTROL = "technology_control"
    ENFORCEMENT = "enforcement"
    TARIFF = "tariff"
    INVESTIGATION = "investigation"
    QUOTA = "quota"
    END_USER_CONTROL = "end_user_control"
    STOCKPILE = "stockpile"
    LAW = "law"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class ObservationKind(StrEnum):
    LEVEL = "level"
    CHANGE_PCT = "change_pct"
    RATIO_TO_SERIES = "ratio_to_series"
