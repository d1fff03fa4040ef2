"""Claims: figures a source states in its own words (a programme's budget, an estimate).

A claim is not a measurement critmin makes: it is kept so that users can compare the
sources' own figures with critmin's (e.g. a brief's estimate of new non-China gallium
capacity beside the capacity outlook). The curated file ``data/curated/claims.yaml`` is
a :class:`ClaimFile`; every claim cites at least one source with a verbatim quote.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.domain.enums import DatePrecision
from critmin.domain.measures import KEY_PATTERN, check_mineral
from critmin.domain.provenance import SourceRef


class Bound(StrEnum):
    EXACT = "exact"
    UPPER = "upper"
    LOWER = "lower"
    APPROXIMATE = "approximate"


BOUND_WORDS = {"exact": "", "upper": "up to ", "lower": "more than ", "approximate": "about "}
"""How a figure's bound reads in a sentence: ``up to 170 t``."""


class ClaimFigure(BaseModel):
    """One number of a claim: ``up to 170 t`` is value 170, unit ``t``, bound ``upper``."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    label: str = Field(min_length=1, max_length=200)
    value: float
    unit: str = Field(min_length=1, max_length=24, description="e.g. USD, t, fraction")
    bound: Bound = Bound.EXACT


class ClaimRecord(BaseModel):
    """A sourced claim about a mineral."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    key: str = Field(pattern=KEY_PATTERN)
    mineral: str
    topic: str = Field(pattern=r"^[a-z_]{1,40}$", description="e.g. funding, capacity_outlook")
    statement: str = Field(min_length=1, description="The claim in plain words (what users read).")
    figures: list[ClaimFigure] = Field(default_factory=list)
    date: dt.date | None = None
    date_precision: DatePrecision = DatePrecision.DAY
    curation_note: str | None = None
    sources: list[SourceRef] = Field(min_length=1)

    @field_validator("mineral")
    @classmethod
    def _mineral(cls, v: str) -> str:
        return check_mineral(v)

    @model_validator(mode="after")
    def _quoted(self) -> ClaimRecord:
        if not all(s.quote for s in self.sources):
            raise ValueError("every source of a claim needs a verbatim quote")
        return self


class ClaimFile(BaseModel):
    """A document of claims with unique keys."""

    model_config = ConfigDict(extra="forbid")

    claims: list[ClaimRecord]

    @model_validator(mode="after")
    def _keys(self) -> ClaimFile:
        keys = [c.key for c in self.claims]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate keys: {', '.join(dupes)}")
        return self


def figure_text(figure: dict[str, object]) -> str:
    """``up to 170 t``, ``about 24 %``, ``up to USD 10,000,000``."""
    value = float(figure["value"])  # type: ignore[arg-type]
    unit = str(figure["unit"])
    words = BOUND_WORDS.get(str(figure.get("bound") or "exact"), "")
    if unit == "fraction":
        return f"{words}{value * 100:g} %"
    if unit.isupper() and len(unit) == 3:  # a currency
        return f"{words}{unit} {value:,.0f}"
    return f"{words}{value:,g} {unit}"
