"""Recycling figures, statements and targets, as ``data/reference/recycling/*.yaml`` holds them.

A :class:`RecyclingStatement` is a source's recycling paragraph, verbatim. A
:class:`RecyclingFigure` is one number read from it (or from its own source), with what it
measures (``kind``), how the source states it (``qualifier``) and the exact words
(``quote``). A :class:`RecyclingTarget` is a recycling rate someone set or proposed, with
its status. Labels are marked for translation; the codes never reach users.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.domain.measures import KEY_PATTERN, check_iso3, check_mineral
from critmin.domain.provenance import SourceRef
from critmin.i18n import N_


class RecyclingKind(StrEnum):
    """What a recycling figure measures."""

    OLD_SCRAP_SHARE_OF_APPARENT_CONSUMPTION = "old_scrap_share_of_apparent_consumption"
    SCRAP_SHARE_OF_APPARENT_CONSUMPTION = "scrap_share_of_apparent_consumption"
    SCRAP_SHARE_OF_CONSUMPTION = "scrap_share_of_consumption"
    SCRAP_SHARE_OF_PRIMARY_PROCESSOR_CONSUMPTION = "scrap_share_of_primary_processor_consumption"
    RECOVERED_FROM_PURCHASED_SCRAP = "recovered_from_purchased_scrap"
    RECOVERED_FROM_OLD_SCRAP = "recovered_from_old_scrap"
    NEW_SCRAP_SHARE_OF_SCRAP_RECOVERY = "new_scrap_share_of_scrap_recovery"
    OLD_SCRAP_SHARE_OF_SCRAP_RECOVERY = "old_scrap_share_of_scrap_recovery"
    SECONDARY_PRODUCTION_AND_CONSUMPTION = "secondary_production_and_consumption"
    DOMESTIC_SCRAP_SHARE_OF_REFINERY_FEED = "domestic_scrap_share_of_refinery_feed"
    EOL_RIR = "eol_rir"
    RECYCLING_RATE = "recycling_rate"


class FigureQualifier(StrEnum):
    """How the source states the figure."""

    NONE = "none"
    APPROXIMATE = "approximate"
    UPPER_BOUND = "upper_bound"
    WITHHELD = "withheld"


class TargetStatus(StrEnum):
    """Whether a target is policy, a proposal, or reported by someone else."""

    ADOPTED = "adopted"
    PROPOSAL = "proposal"
    REPORTED = "reported"


KIND_LABELS: dict[str, str] = {
    "old_scrap_share_of_apparent_consumption":
        N_("Recovered from old scrap, share of apparent consumption"),
    "scrap_share_of_apparent_consumption":
        N_("Recovered from scrap, share of apparent consumption"),
    "scrap_share_of_consumption": N_("Scrap share of consumption"),
    "scrap_share_of_primary_processor_consumption":
        N_("Recycled share of consumption by domestic primary processors"),
    "recovered_from_purchased_scrap": N_("Recovered from purchased scrap"),
    "recovered_from_old_scrap": N_("Recovered from old scrap"),
    "new_scrap_share_of_scrap_recovery": N_("New (manufacturing) scrap, share of scrap recovery"),
    "old_scrap_share_of_scrap_recovery": N_("Old (post-consumer) scrap, share of scrap recovery"),
    "secondary_production_and_consumption":
        N_("Secondary production and consumption from secondary sources"),
    "domestic_scrap_share_of_refinery_feed": N_("Domestic scrap, share of refinery feed"),
    "eol_rir": N_("End-of-life recycling input rate (EOL-RIR)"),
    "recycling_rate": N_("Recycling rate (as the source uses the term)"),
}  # fmt: skip
QUALIFIER_LABELS: dict[str, str] = {
    "none": N_("as stated"),
    "approximate": N_("approximate"),
    "upper_bound": N_('upper bound ("as much as")'),
    "withheld": N_("withheld by the source"),
}
STATUS_LABELS: dict[str, str] = {
    "adopted": N_("Adopted target"),
    "proposal": N_("Proposal in an analysis (not adopted)"),
    "reported": N_("Reported by a third party (not checked against the official text)"),
}
UNIT_LABELS: dict[str, str] = {"percent": "%", "t": "t"}


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    @field_validator("mineral", check_fields=False)
    @classmethod
    def _mineral(cls, v: str) -> str:
        return check_mineral(v)

    @field_validator("country", check_fields=False)
    @classmethod
    def _country(cls, v: str) -> str:
        return check_iso3(v)


class RecyclingStatement(_Base):
    """A source's recycling paragraph, verbatim."""

    key: str = Field(pattern=KEY_PATTERN)
    mineral: str
    country: str
    year: int | None = Field(default=None, ge=1900, le=2100)
    text: str = Field(min_length=1, max_length=4_000)
    source: SourceRef


class RecyclingFigure(_Base):
    """One figure read from a statement, with the exact words it came from."""

    key: str = Field(pattern=KEY_PATTERN)
    statement: str = Field(pattern=KEY_PATTERN, description="Key of the statement it is from.")
    mineral: str
    country: str
    year: int | None = Field(default=None, ge=1900, le=2100)
    kind: RecyclingKind
    value: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    unit: str = Field(pattern=r"^(percent|t)$")
    qualifier: FigureQualifier
    quote: str = Field(min_length=1, max_length=2_000)

    @model_validator(mode="after")
    def _value(self) -> RecyclingFigure:
        if (self.value is None) != (self.qualifier == FigureQualifier.WITHHELD):
            raise ValueError("a value, or null with qualifier 'withheld' (and only then)")
        if self.unit == "percent" and self.value is not None and self.value > 100:
            raise ValueError("a percentage from 0 to 100")
        return self


class RecyclingTarget(_Base):
    """A recycling rate to reach, who set or proposed it, and the words it came from."""

    key: str = Field(pattern=KEY_PATTERN)
    mineral: str
    country: str
    target_pct: float = Field(gt=0, le=100, allow_inf_nan=False)
    target_year: int | None = Field(default=None, ge=1900, le=2100)
    rate_kind: RecyclingKind
    status: TargetStatus
    set_by: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=2_000)
    expected_extra_supply_t_per_year: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    expected_extra_supply_qualifier: FigureQualifier | None = None
    sources: list[SourceRef] = Field(min_length=1)


class RecyclingRates(BaseModel):
    """``rates.yaml``: statements and figures; every figure names a known statement of the
    same mineral and country, and keys are unique."""

    model_config = ConfigDict(extra="forbid")

    statements: list[RecyclingStatement]
    figures: list[RecyclingFigure]

    @model_validator(mode="after")
    def _links(self) -> RecyclingRates:
        keys = [s.key for s in self.statements] + [f.key for f in self.figures]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate keys: {', '.join(dupes)}")
        by_key = {s.key: s for s in self.statements}
        for f in self.figures:
            s = by_key.get(f.statement)
            if s is None:
                raise ValueError(f"figure {f.key}: statement {f.statement!r} is not in the file")
            if (s.mineral, s.country) != (f.mineral, f.country):
                raise ValueError(f"figure {f.key}: mineral/country differ from its statement")
            if f.quote not in s.text:
                raise ValueError(f"figure {f.key}: its quote is not in the statement's text")
        return self


class RecyclingTargets(BaseModel):
    """``targets.yaml``: targets with unique keys."""

    model_config = ConfigDict(extra="forbid")

    targets: list[RecyclingTarget]

    @model_validator(mode="after")
    def _keys(self) -> RecyclingTargets:
        keys = [t.key for t in self.targets]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate keys: {', '.join(dupes)}")
        return self
