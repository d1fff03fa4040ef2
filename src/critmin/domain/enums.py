"""Controlled vocabularies shared by every layer."""

from __future__ import annotations

from enum import StrEnum

from critmin.i18n import N_


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
    EXPORT_TAX = "export_tax"
    IMPORT_BAN = "import_ban"
    STANDARD = "standard"


class ItemKind(StrEnum):
    """What a measure's item names: an HS code, a product described in words, or a
    technology (know-how, processes), which no HS code covers."""

    HS = "hs"
    PRODUCT = "product"
    TECHNOLOGY = "technology"


class EndUse(StrEnum):
    """The end uses a measure (or a shipment) concerns."""

    ALL = "all"
    CIVIL = "civil"
    MILITARY = "military"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class ObservationKind(StrEnum):
    """What a price observation's value is: a level in the series' unit, a percentage
    change over a stated window, or a ratio to another named series."""

    LEVEL = "level"
    CHANGE_PCT = "change_pct"
    RATIO_TO_SERIES = "ratio_to_series"


class Qualifier(StrEnum):
    """How a source states a figure: ``>43%`` is a lower bound, "nearly twice" approximate."""

    EXACT = "exact"
    APPROXIMATE = "approximate"
    LOWER_BOUND = "lower_bound"
    UPPER_BOUND = "upper_bound"


class Frequency(StrEnum):
    """How often a price series is quoted."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"
    IRREGULAR = "irregular"


# Display labels where capitalising the code is not enough (acronyms, units, wording).
_LABELS: dict[str, str] = {
    "bayer_liquor": N_("Bayer liquor (alumina refining)"),
    "zinc_residue": N_("Zinc residue"),
    "industrial_waste": N_("Industrial waste"),
    "in_progress": N_("In progress"),
    "technology_control": N_("Technology control"),
    "end_user_control": N_("End-user control"),
    "licensing": N_("Licence requirement"),
    "enforcement": N_("Enforcement action"),
    "investigation": N_("Trade-remedy investigation"),
    "suspension": N_("Suspension of another measure"),
    "export_tax": N_("Export tax"),
    "import_ban": N_("Import ban"),
    "standard": N_("Import standard (exemption)"),
    "in_force": N_("In force"),
    "licence_required": N_("Licence required"),
    "partners": N_("Partners (partnership groups)"),
    "owner": N_("Owner only"),
    "change_pct": N_("Change (%)"),
    "ratio_to_series": N_("Ratio to another series"),
    "level": N_("Price level"),
}

# The labels made by capitalising a code, marked so that pages can show them translated
# (:mod:`critmin.i18n.display`); measure statuses and states are codes too.
_GENERATED = (
    N_("Achieved"),
    N_("All"),
    N_("Announced"),
    N_("Annual"),
    N_("Approximate"),
    N_("Ban"),
    N_("Cancelled"),
    N_("Civil"),
    N_("Closed"),
    N_("Commissioning"),
    N_("Concentrate"),
    N_("Construction"),
    N_("Daily"),
    N_("Day"),
    N_("Exact"),
    N_("Extraction"),
    N_("Feasibility"),
    N_("Financed"),
    N_("Government"),
    N_("Hs"),
    N_("Irregular"),
    N_("Law"),
    N_("Lower bound"),
    N_("Military"),
    N_("Month"),
    N_("Monthly"),
    N_("Multilateral"),
    N_("Operating"),
    N_("Ore"),
    N_("Other"),
    N_("Permitting"),
    N_("Planned"),
    N_("Private"),
    N_("Product"),
    N_("Public"),
    N_("Purification"),
    N_("Quarterly"),
    N_("Quota"),
    N_("Recycling"),
    N_("Refining"),
    N_("Rejected"),
    N_("Scrap"),
    N_("Stalled"),
    N_("Stockpile"),
    N_("Tariff"),
    N_("Technology"),
    N_("Upper bound"),
    N_("Weekly"),
    N_("Year"),
    N_("Expired"),
    N_("Ending"),
    N_("Upcoming"),
    N_("Suspended"),
    N_("Undated"),
    N_("Not announced"),
)


def label(value: str | StrEnum | None) -> str:
    """A code's display label: ``technology_control`` -> ``Technology control``."""
    if value is None:
        return ""
    code = value.value if isinstance(value, StrEnum) else str(value)
    return _LABELS.get(code) or code.replace("_", " ").capitalize()


def labels_of(enum: type[StrEnum]) -> dict[str, str]:
    """Code -> label for every member of ``enum``."""
    return {e.value: label(e) for e in enum}
