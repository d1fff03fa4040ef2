"""Projects and facilities in the shared tracker: the exchange format, version 1.0.

These models *are* the exchange format: the JSON Schema printed by
``critmin schema project`` is generated from :class:`ProjectRecord`, and the CSV
template flattens the same fields (see :mod:`critmin.ingest.exchange`).
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.domain.countries import is_iso3
from critmin.domain.enums import (
    Feed,
    FundingKind,
    MilestoneState,
    ProjectStatus,
    Sharing,
    Stage,
)
from critmin.domain.minerals import form_codes, get_form, mineral_codes
from critmin.domain.provenance import SourceRef

SCHEMA_VERSION = "1.0"
KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{1,119}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class CapacityPoint(_Strict):
    year: int = Field(ge=1900, le=2100)
    capacity_tpa: float = Field(ge=0, description="Capacity in metric tons per year (t/yr).")


class Milestone(_Strict):
    name: str = Field(min_length=1)
    authority: str | None = None
    date: dt.date | None = None
    state: MilestoneState = MilestoneState.PLANNED


class FundingSource(_Strict):
    name: str = Field(min_length=1)
    programme: str | None = None
    kind: FundingKind | None = None
    amount: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    date: dt.date | None = None


class Financing(_Strict):
    needed_usd: float | None = Field(default=None, ge=0, description="Financing still needed, USD.")
    committed_usd: float | None = Field(default=None, ge=0, description="Financing committed, USD.")
    capex_amount: float | None = Field(default=None, ge=0, description="Headline investment.")
    capex_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    sources: list[FundingSource] = Field(default_factory=list)


class Offtaker(_Strict):
    name: str = Field(min_length=1)
    volume_tpa: float | None = Field(default=None, ge=0)
    floor_price: float | None = Field(default=None, ge=0)
    floor_price_unit: str | None = None
    note: str | None = None


class HistoryEntry(_Strict):
    """A dated change of status or capacity reported by a source."""

    date: dt.date
    status: ProjectStatus | None = None
    capacity_tpa: float | None = Field(default=None, ge=0)
    note: str | None = None


class ProjectRecord(_Strict):
    """One project or facility in the exchange format."""

    key: str = Field(pattern=KEY_PATTERN, description="Natural key: a stable lowercase slug.")
    name: str = Field(
        min_length=1, max_length=300, description="The name in English (or as the source gives it)."
    )
    name_original: str | None = Field(
        default=None, max_length=300,
        description="The name in its original language and script, e.g. '中铝集团', if different.",
    )  # fmt: skip
    mineral: str = Field(description="Mineral code, e.g. 'gallium'.")
    form: str | None = Field(
        default=None, description="Traded form code, e.g. 'low_purity_gallium'."
    )
    stage: Stage
    feed: Feed | None = None
    feed_note: str | None = None
    operator: str | None = None
    partners: list[str] = Field(default_factory=list)
    country: str = Field(description="ISO 3166-1 alpha-3 code.")
    site: str | None = None
    status: ProjectStatus
    capacity_tpa: float | None = Field(default=None, ge=0, description="Nameplate capacity, t/yr.")
    capacity_by_year: list[CapacityPoint] = Field(default_factory=list)
    start_year: int | None = Field(default=None, ge=1900, le=2100)
    end_year: int | None = Field(default=None, ge=1900, le=2100)
    milestones: list[Milestone] = Field(default_factory=list)
    financing: Financing = Field(default_factory=Financing)
    offtakers: list[Offtaker] = Field(default_factory=list)
    sharing: Sharing = Sharing.PUBLIC
    notes: str | None = None
    curation_note: str | None = Field(
        default=None,
        description="How the record was compiled (judgements, gaps in the sources); for "
        "curators, shown to users only on request.",
    )
    history: list[HistoryEntry] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)

    @field_validator("mineral")
    @classmethod
    def _known_mineral(cls, value: str) -> str:
        if value not in mineral_codes():
            raise ValueError(
                f"unknown mineral {value!r}; expected one of {', '.join(mineral_codes())}"
            )
        return value

    @field_validator("country")
    @classmethod
    def _iso3(cls, value: str) -> str:
        value = value.strip().upper()
        if not (re.fullmatch(r"[A-Z]{3}", value) and is_iso3(value)):
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-3 code")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ProjectRecord:
        if self.form is not None:
            try:
                form = get_form(self.form)
            except KeyError:
                raise ValueError(
                    f"form: unknown form {self.form!r}; expected one of "
                    f"{', '.join(form_codes(self.mineral))}"
                ) from None
            if form.mineral != self.mineral:
                raise ValueError(
                    f"form: {self.form!r} is a form of {form.mineral}, not {self.mineral}"
                )
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValueError("end_year: must not be before start_year")
        years = [p.year for p in self.capacity_by_year]
        if len(years) != len(set(years)):
            raise ValueError("capacity_by_year: a year appears twice")
        return self


class ProjectFile(_Strict):
    """A whole exchange-format document."""

    schema_version: str = Field(default=SCHEMA_VERSION, pattern=r"^1\.\d+$")
    projects: list[ProjectRecord]
