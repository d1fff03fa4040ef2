"""Price series and their observations.

A series is one price of one mineral (and form, and purity) in one market, in one
currency and unit, quoted at a frequency. Each observation has a date and
``date_precision`` (a year- or month-precision date is a conventional day within the
period; the loader that writes it documents which), a ``qualifier`` (``exact``,
``approximate``, ``lower_bound``, ``upper_bound``: ">43%" is a lower bound of 43) and a
``kind``:

- ``level``: a price in the series' unit;
- ``change_pct``: a percentage change over the ``window`` it states (ISO 8601: a
  duration ``P1M``, or an interval ``2023-07/2025-05``, ``2023-07/P1M``), and/or against
  the base ``reference`` describes in words;
- ``ratio_to_series``: this price divided by the price of the series whose key is
  ``relative_to``.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.domain.enums import DatePrecision, Frequency, ObservationKind, Qualifier
from critmin.domain.measures import KEY_PATTERN, check_form, check_mineral
from critmin.domain.minerals import get_form
from critmin.domain.provenance import SourceRef
from critmin.domain.units import Unit, parse_unit

CURRENCIES = ("USD", "CNY", "USC")
"""Currencies a price may be stated in: US dollars, Chinese yuan, US cents."""
FX_CURRENCIES = ("USD", "CNY")
"""Currencies the FX table holds rates between (US cents are US dollars / 100)."""
QUALIFIER_MARK = {"exact": "", "approximate": "≈ ", "lower_bound": "≥ ", "upper_bound": "≤ "}
"""How a value's qualifier is shown before it."""

_DURATION = re.compile(r"^P(?=\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
WINDOW_EXPECTED = (
    "an ISO 8601 window: a duration such as P1M, P30D or P1Y, or an interval such as "
    "2023-07/2025-05, 2023-07/P1M or P1M/2025-05"
)


def _partial_date(text: str) -> tuple[dt.date, str]:
    """``2023``, ``2023-07`` or ``2023-07-03`` -> (first day, precision); ValueError."""
    m = _PARTIAL_DATE.match(text)
    if m is None:
        raise ValueError(text)
    year, month, day = (int(g) if g else None for g in m.groups())
    if day is not None and month is None:
        raise ValueError(text)
    value = dt.date(year, month or 1, day or 1)  # ValueError for 2023-13
    return value, "day" if day else "month" if month else "year"


def parse_window(text: str) -> str:
    """``text`` as a canonical ISO 8601 window (upper-case, no spaces); ValueError naming
    the accepted forms otherwise."""
    value = text.strip().upper()
    parts = value.split("/")
    if len(parts) > 2 or not value:
        raise ValueError(f"{text!r} is not {WINDOW_EXPECTED}")
    kinds = []
    for part in parts:
        if _DURATION.match(part):
            kinds.append("duration")
            continue
        try:
            _partial_date(part)
        except ValueError:
            raise ValueError(f"{text!r} is not {WINDOW_EXPECTED}") from None
        kinds.append("date")
    if kinds == ["date"] or kinds == ["duration", "duration"]:
        raise ValueError(f"{text!r} is not {WINDOW_EXPECTED}")
    if kinds == ["date", "date"]:
        start, _ = _partial_date(parts[0])
        end, _ = _partial_date(parts[1])
        if end < start:
            raise ValueError(f"{text!r}: the interval ends before it starts")
    return value


def parse_partial_date(text: str) -> tuple[dt.date, str]:
    """A date written as precisely as it is known (``2025``, ``2025-05``, ``2025-05-14``):
    its first day and its precision; ValueError otherwise."""
    try:
        return _partial_date(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date such as 2025-05-14, 2025-05 (a month) or 2025 (a year)"
        ) from None


def price_unit(currency: str, quantity_unit: str) -> str:
    """The price unit code for a currency and a quantity unit (``USD``, ``kg`` -> ``USD/kg``);
    ValueError naming the known combinations."""
    code = f"{currency.strip().upper()}/{quantity_unit.strip()}"
    try:
        unit = parse_unit(code)
    except ValueError:
        unit = None
    if unit is None or unit not in price_units():
        known = ", ".join(sorted(u.value for u in price_units()))
        raise ValueError(f"{code!r} is not a known price unit; expected one of: {known}")
    return unit.value


def price_units() -> frozenset[Unit]:
    """The price units whose currency is one of :data:`CURRENCIES`."""
    return frozenset(u for u in Unit if "/" in u.value and u.value.split("/")[0] in CURRENCIES)


def unit_parts(unit: str) -> tuple[str, str]:
    """``USD/mtu WO3`` -> (``USD``, ``mtu WO3``)."""
    currency, _, quantity = unit.partition("/")
    return currency, quantity


def observation_unit(kind: str, series_unit: str) -> str:
    """The unit an observation's value is in: the series' for a level, ``percent_change``
    for a change, ``ratio`` for a ratio."""
    if kind == ObservationKind.CHANGE_PCT:
        return Unit.PERCENT_CHANGE.value
    if kind == ObservationKind.RATIO_TO_SERIES:
        return Unit.RATIO.value
    return series_unit


def check_observation(
    kind: str, value: float, window: str | None, relative_to: str | None, reference: str | None
) -> None:
    """The rules every observation meets, whatever layer it comes through; ValueError."""
    if kind == ObservationKind.LEVEL:
        if value < 0:
            raise ValueError("a price level must not be negative")
        if window or relative_to:
            raise ValueError("a level has no window or relative_to (those are for changes "
                             "and ratios)")  # fmt: skip
    elif kind == ObservationKind.CHANGE_PCT:
        if not (window or reference):
            raise ValueError("a change_pct observation needs its window (e.g. P1M) or a "
                             "reference naming the base it is measured from")  # fmt: skip
        if relative_to:
            raise ValueError("relative_to is for ratio_to_series observations")
    elif kind == ObservationKind.RATIO_TO_SERIES:
        if not relative_to:
            raise ValueError("a ratio_to_series observation needs relative_to: the key of "
                             "the series it is a ratio to")  # fmt: skip
        if value < 0:
            raise ValueError("a ratio must not be negative")


class PriceObservationRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    date: dt.date
    date_precision: DatePrecision = DatePrecision.DAY
    value: float
    kind: ObservationKind = ObservationKind.LEVEL
    qualifier: Qualifier = Qualifier.EXACT
    window: str | None = Field(default=None, max_length=40)
    relative_to: str | None = Field(default=None, max_length=120)
    reference: str | None = Field(default=None, max_length=120)
    note: str | None = None
    curation_note: str | None = None
    sources: list[SourceRef] = Field(default_factory=list)

    @field_validator("window")
    @classmethod
    def _window(cls, v: str | None) -> str | None:
        return None if v is None else parse_window(v)

    @model_validator(mode="after")
    def _kind(self) -> PriceObservationRecord:
        check_observation(self.kind, self.value, self.window, self.relative_to, self.reference)
        return self


class PriceSeriesRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    key: str = Field(pattern=KEY_PATTERN)
    mineral: str
    form: str | None = None
    purity: str | None = Field(default=None, max_length=40)
    market: str = Field(min_length=1, max_length=120)
    unit: str
    frequency: Frequency | None = None
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
        currency, quantity = unit_parts(parse_unit(v).value)
        return price_unit(currency, quantity)

    @model_validator(mode="after")
    def _form(self) -> PriceSeriesRecord:
        if self.form is not None and get_form(self.form).mineral != self.mineral:
            raise ValueError(f"form {self.form!r} is not a form of {self.mineral!r}")
        return self


class PriceFile(BaseModel):
    """A document of series; keys are unique and ratios name a series in it."""

    model_config = ConfigDict(extra="forbid")

    series: list[PriceSeriesRecord]

    @model_validator(mode="after")
    def _keys(self) -> PriceFile:
        keys = [s.key for s in self.series]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate keys: {', '.join(dupes)}")
        refs = {
            o.relative_to
            for s in self.series
            for o in s.observations
            if o.kind == ObservationKind.RATIO_TO_SERIES
        }
        missing = sorted(r for r in refs if r not in keys)
        if missing:
            raise ValueError(f"ratio_to_series relative_to unknown series: {', '.join(missing)}")
        return self
