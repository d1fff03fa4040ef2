"""Units of measure and the one place where they are converted.

Quantities are stored with an explicit unit code. Mass units convert to kilograms
of contained element; price units convert to US dollars per kilogram of contained
element. Tungsten trade units follow the industry convention: a metric ton unit
(mtu) of WO3 is 10 kg of WO3, which contains 7.93 kg of tungsten (USGS MCS 2026,
tungsten chapter, footnote 6).
"""

from __future__ import annotations

from enum import StrEnum

W_KG_PER_MTU_WO3 = 7.93
"""Kilograms of tungsten in one metric ton unit (10 kg) of WO3."""
W_KG_PER_T_WO3 = W_KG_PER_MTU_WO3 * 100
"""Kilograms of tungsten in one metric ton of WO3."""
KG_PER_LB = 0.45359237
"""Kilograms in one avoirdupois pound (exact by definition)."""


class Unit(StrEnum):
    KG = "kg"
    T = "t"
    KT = "kt"
    T_WO3 = "t WO3"
    MTU_WO3 = "mtu WO3"
    TPA = "t/yr"
    USD_PER_KG = "USD/kg"
    USD_PER_T = "USD/t"
    USD_PER_MTU_WO3 = "USD/mtu WO3"
    CNY_PER_T = "CNY/t"
    CNY_PER_KG = "CNY/kg"
    USD = "USD"
    KUSD = "kUSD"
    PERCENT = "percent"
    PERCENT_CHANGE = "percent_change"
    RATIO = "ratio"
    T_REO = "t REO"
    """Metric tons of rare-earth oxide equivalent (USGS rare-earths tables)."""
    COUNT = "count"
    """A number of things (USGS employment rows)."""
    USD_PER_LB = "USD/lb"
    USC_PER_LB = "USC/lb"
    """US cents per pound."""
    USD_PER_MTU = "USD/mtu"
    """US dollars per metric ton unit (10 kg) of contained element (USGS manganese)."""
    USD_PER_KG_TA2O5 = "USD/kg Ta2O5"
    """US dollars per kilogram of Ta2O5 content (tantalite); not converted here."""


class UnitError(ValueError):
    """A quantity cannot be converted between the given units."""


_MASS_TO_KG: dict[Unit, float] = {
    Unit.KG: 1.0,
    Unit.T: 1000.0,
    Unit.KT: 1_000_000.0,
    Unit.T_WO3: W_KG_PER_T_WO3,
    Unit.MTU_WO3: W_KG_PER_MTU_WO3,
}

# price units: (currency, kilograms of contained element per priced unit)
_PRICE: dict[Unit, tuple[str, float]] = {
    Unit.USD_PER_KG: ("USD", 1.0),
    Unit.USD_PER_T: ("USD", 1000.0),
    Unit.USD_PER_MTU_WO3: ("USD", W_KG_PER_MTU_WO3),
    Unit.CNY_PER_T: ("CNY", 1000.0),
    Unit.CNY_PER_KG: ("CNY", 1.0),
    Unit.USD_PER_LB: ("USD", KG_PER_LB),
    # 1 US cent per lb = 0.01 USD per 0.45359237 kg, i.e. 1 USD per 45.359237 kg.
    Unit.USC_PER_LB: ("USD", KG_PER_LB * 100),
    Unit.USD_PER_MTU: ("USD", 10.0),
}


def parse_unit(code: str | Unit) -> Unit:
    """Return the :class:`Unit` for a code such as ``"USD/kg"``; raise UnitError if unknown."""
    try:
        return Unit(code)
    except ValueError:
        known = ", ".join(u.value for u in Unit)
        raise UnitError(f"unknown unit {code!r}; expected one of: {known}") from None


def convert_mass(value: float, src: str | Unit, dst: str | Unit) -> float:
    """Convert a mass of contained element between mass units (kg, t, kt, t WO3, mtu WO3)."""
    a, b = parse_unit(src), parse_unit(dst)
    if a not in _MASS_TO_KG or b not in _MASS_TO_KG:
        raise UnitError(f"cannot convert mass from {a.value!r} to {b.value!r}")
    return value * _MASS_TO_KG[a] / _MASS_TO_KG[b]


def convert_price(
    value: float, src: str | Unit, dst: str | Unit, *, usd_per_cny: float | None = None
) -> float:
    """Convert a price between price units; CNY<->USD needs an explicit exchange rate."""
    a, b = parse_unit(src), parse_unit(dst)
    if a not in _PRICE or b not in _PRICE:
        raise UnitError(f"cannot convert price from {a.value!r} to {b.value!r}")
    (cur_a, kg_a), (cur_b, kg_b) = _PRICE[a], _PRICE[b]
    per_kg = value / kg_a
    if cur_a != cur_b:
        if usd_per_cny is None:
            raise UnitError(f"converting {a.value} to {b.value} needs usd_per_cny")
        per_kg = per_kg * usd_per_cny if cur_a == "CNY" else per_kg / usd_per_cny
    return per_kg * kg_b
