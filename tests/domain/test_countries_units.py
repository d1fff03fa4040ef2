"""Country resolution and unit conversion against known answers."""

from __future__ import annotations

import pytest

from critmin.domain.countries import UnknownCountry, to_iso3
from critmin.domain.units import UnitError, convert_mass, convert_price


@pytest.mark.parametrize(
    "name,iso3",
    [
        ("China", "CHN"),
        ("Korea, North", "PRK"),
        ("Burma", "MMR"),
        ("Congo (Kinshasa)", "COD"),
        ("Côte d’Ivoire", "CIV"),
        ("ROM", "ROU"),
        ("S19", "TWN"),
        ("de", "DEU"),
        ("KAZ", "KAZ"),
    ],
)
def test_source_spellings_resolve(name, iso3):
    assert to_iso3(name) == iso3


@pytest.mark.parametrize(
    "name", ["Other", "Other countries", "World total (rounded)", "", "Atlantis"]
)
def test_aggregates_and_unknowns_are_rejected(name):
    with pytest.raises(UnknownCountry):
        to_iso3(name)


def test_tungsten_units():
    # USGS MCS 2026 tungsten, footnote 6: one mtu WO3 contains 7.93 kg W
    assert convert_mass(1, "mtu WO3", "kg") == pytest.approx(7.93)
    assert convert_mass(1, "t WO3", "t") == pytest.approx(0.793)
    # $380/mtu WO3 (2025e Rotterdam concentrate) = $47.92 per kg of contained W
    assert convert_price(380, "USD/mtu WO3", "USD/kg") == pytest.approx(380 / 7.93)
    assert convert_price(1, "USD/kg", "USD/t") == 1000


def test_currency_needs_a_rate():
    with pytest.raises(UnitError):
        convert_price(1000, "CNY/t", "USD/kg")
    assert convert_price(1000, "CNY/t", "USD/kg", usd_per_cny=0.14) == pytest.approx(0.14)
    with pytest.raises(UnitError):
        convert_mass(1, "USD/kg", "kg")
