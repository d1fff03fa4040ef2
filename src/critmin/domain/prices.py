"""Price series and their observations.

A series is one price of one mineral (and form) in one market, in one unit. Each
observation has a date and ``date_precision`` (a year- or month-precision date is a
conventional day within the period; the loader that writes it documents which), and a
``kind``: ``level`` (a price in the series' unit), ``change_pct`` (a percentage change
against ``reference``, free text) or ``ratio_to_series`` (this price divided by the
price of the series whose key is ``reference``).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.domain.enums import DatePrecision, ObservationKind
from critmin.domain.measures import KEY_PATTERN, check_form, check_mineral
from critmin.domain.minerals import get_form
from critmin.domain.provenance import SourceRef
from critmin.domain.units import parse_unit


class PriceObservationRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    date: dt.date
    date_precision: DatePrecision = DatePrecision.DAY
    value: float
    kind: ObservationKind = ObservationKind.LEVEL
    reference: str | None = Field(default=None, max_length=120)
    note: str | None = None
    curation_note: str | None = None
    sources: list[SourceRef] = Field(default_factory=list)

    @model_validator(mode="after")
    def _reference(self) -> PriceObservationRecord:
        if self.kind != ObservationKind.LEVEL and not self.reference:
            raise ValueError(f"a {self.kind} observation needs a reference")
        return self


class PriceSeriesRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    key: str = Field(pattern=KEY_PATTERN)
    mineral: str
    form: str | None = None
    market: str = Field(min_length=1, max_length=120)
    unit: str
    description: str | None = None
    curation_note: str | None = None
    observations: list[PriceObservationRecord] = Field(default_factory=list)

    @field_validator("mineral")
    @classmethod
    def _mineral(cls, v: str) -> str:
        return check_mineral(v)

    @field_validator("form")
    @classmethod
    def _known_form(cls, v: str | None) -> str | None:
        return None if v is None else check_form(v)

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str) -> str:
        return parse_unit(v).value

    @model_validator(mode="after")
    def _form(self) -> PriceSeriesRecord:
        if self.form is not None and get_form(self.form).mineral != self.mineral:
            raise ValueError(f"form {self.form!r} is not a form of {self.mineral!r}")
        return self


class PriceFile(BaseModel):
    """A document of series; keys are unique and ratio references name a series in it."""

    model_config = ConfigDict(extra="forbid")

    series: list[PriceSeriesRecord]

    @model_validator(mode="after")
    def _keys(self) -> PriceFile:
        keys = [s.key for s in self.series]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate keys: {', '.join(dupes)}")
        refs = {
            o.reference
            for s in self.series
            for o in s.observations
            if o.kind == ObservationKind.RATIO_TO_SERIES
        }
        missing = sorted(r for r in refs if r not in keys)
        if missing:
            raise ValueError(f"ratio_to_series references unknown series: {', '.join(missing)}")
        return self
