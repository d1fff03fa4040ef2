"""Filter values as users type them: codes in any case, names, aliases; clear refusals."""

from __future__ import annotations

import pytest

from critmin.domain.enums import MeasureType, Stage, label
from critmin.domain.vocab import (
    UnknownValue,
    resolve_country,
    resolve_enum,
    resolve_form,
    resolve_mineral,
)


@pytest.mark.parametrize(
    "text,iso3",
    [
        ("CAN", "CAN"), ("can", "CAN"), ("Canada", "CAN"), ("canada", "CAN"), (" Canada ", "CAN"),
        ("Korea, Rep.", "KOR"), ("South Korea", "KOR"), ("Korea, Dem. People's Rep.", "PRK"),
        ("Russia", "RUS"), ("Türkiye", "TUR"), ("Turkey", "TUR"), ("UK", "GBR"), ("DE", "DEU"),
        ("Congo, Dem. Rep.", "COD"), ("Macedonia", "MKD"), ("Viet Nam", "VNM"),
    ],
)  # fmt: skip
def test_country_names_and_aliases_resolve(text, iso3):
    assert resolve_country(text) == iso3


def test_ambiguous_country_lists_the_candidates():
    with pytest.raises(UnknownValue) as err:
        resolve_country("Korea")
    message = str(err.value)
    assert "ambiguous" in message
    assert "KOR (South Korea)" in message and "PRK (North Korea)" in message
    assert err.value.param == "country"


@pytest.mark.parametrize("text", ["Atlantis", "Canda", "XYZ", "Gallium"])
def test_unknown_country_says_what_is_expected(text):
    with pytest.raises(UnknownValue, match="ISO 3166-1 alpha-3 code such as CAN"):
        resolve_country(text, param="imposing_country")


def test_unknown_country_suggests_the_nearest_name():
    with pytest.raises(UnknownValue, match="did you mean 'Canada'"):
        resolve_country("Canda")


def test_minerals_by_code_name_or_symbol_and_typos_named():
    assert [resolve_mineral(t) for t in ("gallium", "Gallium", "GALLIUM", "Ga", "W")] == [
        "gallium", "gallium", "gallium", "gallium", "tungsten"
    ]  # fmt: skip
    assert resolve_mineral("rare earths") == "rare-earths"
    with pytest.raises(UnknownValue) as err:
        resolve_mineral("gallum")
    assert "did you mean 'gallium'" in str(err.value)
    assert "expected one of: gallium, germanium, tungsten" in str(err.value)


def test_enums_and_forms_by_code_or_label():
    assert resolve_enum("Technology control", MeasureType, "measure_type") == "technology_control"
    assert resolve_enum("EXTRACTION", Stage, "stage") == "extraction"
    assert resolve_form("Ammonium paratungstate (APT)") == "apt"
    with pytest.raises(UnknownValue, match="unknown form 'apt'.*expected one of"):
        resolve_form("apt", mineral="gallium")
    with pytest.raises(UnknownValue, match="unknown stage 'mining'"):
        resolve_enum("mining", Stage, "stage")


def test_labels_read_as_words():
    assert label("technology_control") == "Technology control"
    assert label("bayer_liquor") == "Bayer liquor (alumina refining)"
    assert label(Stage.EXTRACTION) == "Extraction"
    assert label(None) == ""
