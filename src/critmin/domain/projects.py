"""Projects and facilities in the shared tracker: the exchange format, version 1.0.

These models *are* the exchange format: the JSON Schema printed by
``critmin schema project`` is generated from :class:`ProjectRecord`, and the CSV
template flattens the same fields (see :mod:`critmin.ingest.exchange`).

Every field is bounded (text lengths, list lengths, numeric ranges; see the ``MAX_*``
constants), so whatever validates here can be stored, exported to CSV and imported
again, and sums over any number of records stay finite.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import to_json, to_jsonable_python

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

MAX_CAPACITY_TPA = 1e9
"""Largest capacity or volume, t/yr: above world output of any mineral (aluminium ~7e7)."""
MAX_MONEY = 1e15
"""Largest amount of money in any currency: above any project budget, even in yen or won."""
MAX_PRICE = 1e9
"""Largest price per unit (USD/kg, CNY/t, ...)."""
MAX_NAME = 300
"""Longest name, site or authority (characters)."""
MAX_NOTE = 10_000
"""Longest free text (notes)."""
MAX_SHORT_NOTE = 1_000
"""Longest short free text (a feed note, a milestone or history note)."""
MAX_ITEMS = 100
"""Most items in a list (partners, milestones, funding sources, offtakers, sources)."""
MAX_HISTORY = 500
"""Most dated history entries."""
MAX_CELL_CHARS = 100_000
"""Longest CSV cell: a nested list written as JSON must fit (the csv module reads 131,072)."""

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Capacity = Annotated[float, Field(ge=0, le=MAX_CAPACITY_TPA)]
Money = Annotated[float, Field(ge=0, le=MAX_MONEY)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", use_enum_values=True, allow_inf_nan=False, str_strip_whitespace=True
    )


class CapacityPoint(_Strict):
    year: int = Field(ge=1900, le=2100)
    capacity_tpa: Capacity = Field(description="Capacity in metric tons per year (t/yr).")


class Milestone(_Strict):
    name: Name
    authority: str | None = Field(default=None, max_length=MAX_NAME)
    date: dt.date | None = None
    state: MilestoneState = MilestoneState.PLANNED


class FundingSource(_Strict):
    name: Name
    programme: str | None = Field(default=None, max_length=MAX_NAME)
    kind: FundingKind | None = None
    amount: Money | None = None
    currency: Currency | None = None
    date: dt.date | None = None


class Financing(_Strict):
    needed_usd: Money | None = Field(default=None, description="Financing still needed, USD.")
    committed_usd: Money | None = Field(default=None, description="Financing committed, USD.")
    capex_amount: Money | None = Field(default=None, description="Headline investment.")
    capex_currency: Currency | None = None
    sources: list[FundingSource] = Field(default_factory=list, max_length=MAX_ITEMS)


class Offtaker(_Strict):
    name: Name
    volume_tpa: Capacity | None = None
    floor_price: float | None = Field(default=None, ge=0, le=MAX_PRICE)
    floor_price_unit: str | None = Field(default=None, max_length=24)
    note: str | None = Field(default=None, max_length=MAX_SHORT_NOTE)


class HistoryEntry(_Strict):
    """A dated change of status or capacity reported by a source."""

    date: dt.date
    status: ProjectStatus | None = None
    capacity_tpa: Capacity | None = None
    note: str | None = Field(default=None, max_length=MAX_SHORT_NOTE)


JSON_LISTS = ("milestones", "offtakers", "history", "sources")
"""List fields written as one JSON cell in CSV (with ``financing.sources``)."""


class ProjectRecord(_Strict):
    """One project or facility in the exchange format."""

    key: str = Field(pattern=KEY_PATTERN, description="Natural key: a stable lowercase slug.")
    name: Name = Field(description="The name in English (or as the source gives it).")
    name_original: str | None = Field(
        default=None, max_length=MAX_NAME,
        description="The name in its original language and script, e.g. '中铝集团', if different.",
    )  # fmt: skip
    mineral: str = Field(max_length=40, description="Mineral code, e.g. 'gallium'.")
    form: str | None = Field(
        default=None, max_length=40, description="Traded form code, e.g. 'low_purity_gallium'."
    )
    stage: Stage
    feed: Feed | None = None
    feed_note: str | None = Field(default=None, max_length=MAX_SHORT_NOTE)
    operator: str | None = Field(default=None, max_length=200)
    partners: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )
    country: str = Field(max_length=3, description="ISO 3166-1 alpha-3 code.")
    site: str | None = Field(default=None, max_length=MAX_NAME)
    status: ProjectStatus
    capacity_tpa: Capacity | None = Field(default=None, description="Nameplate capacity, t/yr.")
    capacity_by_year: list[CapacityPoint] = Field(default_factory=list, max_length=201)
    start_year: int | None = Field(default=None, ge=1900, le=2100)
    end_year: int | None = Field(default=None, ge=1900, le=2100)
    milestones: list[Milestone] = Field(default_factory=list, max_length=MAX_ITEMS)
    financing: Financing = Field(default_factory=Financing)
    offtakers: list[Offtaker] = Field(default_factory=list, max_length=MAX_ITEMS)
    sharing: Sharing = Field(
        default=Sharing.PUBLIC,
        description="public, partners or owner. In an import, a record's level is never "
        "widened; a new record whose file does not state one is owner-only.",
    )
    notes: str | None = Field(default=None, max_length=MAX_NOTE)
    curation_note: str | None = Field(
        default=None,
        max_length=MAX_NOTE,
        description="How the record was compiled (judgements, gaps in the sources); for "
        "curators, shown to users only on request.",
    )
    history: list[HistoryEntry] = Field(default_factory=list, max_length=MAX_HISTORY)
    sources: list[SourceRef] = Field(default_factory=list, max_length=MAX_ITEMS)

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
        for name, value in self._json_lists():
            if value and _json_chars(value) > MAX_CELL_CHARS:
                raise ValueError(
                    f"{name}: too long: at most {MAX_CELL_CHARS:,} characters when written as JSON"
                )
        return self

    def _json_lists(self) -> list[tuple[str, list[Any]]]:
        lists = [(name, getattr(self, name)) for name in JSON_LISTS]
        return [*lists, ("financing.sources", self.financing.sources)]


def _json_chars(value: list[Any]) -> int:
    """The length of ``value`` written as JSON, as a CSV cell holds it."""
    compact = len(to_json(value))  # UTF-8 bytes >= characters; no spaces after , and :
    if 2 * compact <= MAX_CELL_CHARS:  # each separator gains at most one space
        return 2 * compact
    return len(json.dumps(to_jsonable_python(value), ensure_ascii=False))


class ProjectFile(_Strict):
    """A whole exchange-format document."""

    schema_version: str = Field(default=SCHEMA_VERSION, pattern=r"^1\.\d+$")
    projects: list[ProjectRecord]
