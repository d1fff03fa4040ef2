"""Converting prices between currencies and units with a stored, sourced FX table.

The rate for a price is chosen by the precision of the price's date, never guessed:

- a day-precision date uses that day's rate, else the average of its month, else the
  average of its year;
- a month-precision date uses its month's average, else its year's;
- a year-precision date uses its year's average.

Anything else (a rate from another period, an interpolation) is refused:
:class:`MissingRate` names the date and the pair. Units convert through
:func:`critmin.domain.units.convert_price` (mass per priced unit, US cents, WO3 content).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from critmin.domain.units import UnitError, convert_price, parse_unit


class MissingRate(ValueError):
    """The FX table has no rate for a conversion's date and pair."""


@dataclass(frozen=True)
class Rate:
    """``rate`` units of ``quote`` per one ``base`` for a day, month or year."""

    base: str
    quote: str
    date: dt.date
    date_precision: str
    rate: float
    basis: str = "average"
    source: str | None = None

    @property
    def period(self) -> str:
        text = self.date.isoformat()
        return {"year": text[:4], "month": text[:7]}.get(self.date_precision, text)

    def describe(self) -> str:
        kind = {"year": "annual average", "month": "monthly average"}.get(
            self.date_precision, self.basis.replace("_", " ")
        )
        return f"{self.base}/{self.quote} {self.rate:g} ({kind} {self.period})"


def _currency(unit: str) -> str:
    currency = parse_unit(unit).value.split("/")[0]
    return "USD" if currency == "USC" else currency


class FxTable:
    """Rates by pair and period, looked up by the precision rules of the module doc."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        self._rates: dict[tuple[str, str, str, dt.date], Rate] = {}
        for r in rates:
            self._rates[(r.base, r.quote, r.date_precision, r.date)] = r

    def __len__(self) -> int:
        return len(self._rates)

    def _find(
        self, base: str, quote: str, precision: str, day: dt.date
    ) -> tuple[Rate, bool] | None:
        key = {"day": day, "month": day.replace(day=1), "year": day.replace(month=1, day=1)}
        direct = self._rates.get((base, quote, precision, key[precision]))
        if direct is not None:
            return direct, False
        inverse = self._rates.get((quote, base, precision, key[precision]))
        return (inverse, True) if inverse is not None else None

    def rate(
        self, base: str, quote: str, day: dt.date, precision: str = "day"
    ) -> tuple[float, Rate]:
        """Units of ``quote`` per ``base`` for a date of ``precision``, and the stored rate
        used (which may be the inverse pair); MissingRate if the table has none."""
        if base == quote:
            return 1.0, Rate(base, quote, day, precision, 1.0, "identity")
        order = {"day": ("day", "month", "year"), "month": ("month", "year"),
                 "year": ("year",)}[precision]  # fmt: skip
        for level in order:
            found = self._find(base, quote, level, day)
            if found is not None:
                rate, inverted = found
                return (1 / rate.rate if inverted else rate.rate), rate
        text = {"year": day.isoformat()[:4], "month": day.isoformat()[:7]}.get(precision,
                                                                                day.isoformat())
        wanted = {"day": "that day's rate, or its month's or its year's average",
                  "month": "its month's or its year's average",
                  "year": "its year's average"}[precision]  # fmt: skip
        raise MissingRate(
            f"no {base}/{quote} exchange rate for {text}: the FX table needs {wanted} "
            f"(import one with `critmin prices fx import FILE`)"
        )

    def convert(
        self, value: float, src: str, dst: str, day: dt.date, precision: str = "day"
    ) -> tuple[float, Rate | None]:
        """``value`` in price unit ``src`` as price unit ``dst``, and the rate used (None
        when both are in one currency); UnitError, MissingRate."""
        if parse_unit(src) == parse_unit(dst):
            return value, None
        a, b = _currency(src), _currency(dst)
        if a == b:
            return convert_price(value, src, dst), None
        per, used = self.rate("USD", "CNY", day, precision)  # CNY per USD
        return convert_price(value, src, dst, usd_per_cny=1 / per), used


def rates_from_rows(rows: Iterable[Any]) -> list[Rate]:
    """Rates from ``fx_rates`` rows (or objects with the same attributes)."""
    out = []
    for r in rows:
        sources = getattr(r, "sources", None) or []
        source = sources[0].get("document") if sources and isinstance(sources[0], dict) else None
        out.append(Rate(r.base, r.quote, r.date, r.date_precision, r.rate, r.basis, source))
    return out


__all__ = ["FxTable", "MissingRate", "Rate", "UnitError", "rates_from_rows"]
