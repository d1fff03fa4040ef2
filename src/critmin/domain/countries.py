"""Countries as ISO 3166-1 alpha-3 codes, with aliases used by the data sources.

pycountry supplies the standard; the alias table covers names and codes that USGS,
CEPII BACI and the World Bank use and pycountry does not resolve on its own.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

# alias -> ISO3. Keys are compared case-insensitively.
ALIASES: dict[str, str] = {
    # USGS Mineral Commodity Summaries spellings
    "Korea, North": "PRK",
    "Korea, Republic of": "KOR",
    "Korea, South": "KOR",
    "Republic of Korea": "KOR",
    "Burma": "MMR",
    "Congo (Kinshasa)": "COD",
    "Congo (Brazzaville)": "COG",
    "Côte d’Ivoire": "CIV",
    "Côte d'Ivoire": "CIV",
    "Russia": "RUS",
    "Vietnam": "VNM",
    "Laos": "LAO",
    "Iran": "IRN",
    "Turkey": "TUR",
    "Bolivia": "BOL",
    "Tanzania": "TZA",
    "Venezuela": "VEN",
    "Syria": "SYR",
    "Moldova": "MDA",
    "Taiwan": "TWN",
    "United States": "USA",
    "United Kingdom": "GBR",
    "Czechia": "CZE",
    # World Bank codes that are not ISO (kept by the WGI file in wb_code)
    "ADO": "AND",
    "ZAR": "COD",
    "ROM": "ROU",
    "TMP": "TLS",
    "WBG": "PSE",
    "KSV": "XKX",
    "Kosovo": "XKX",
    # CEPII BACI pseudo-codes
    "S19": "TWN",
    "Other Asia, nes": "TWN",
}

# Codes that are not (or no longer) ISO 3166-1 but appear in sources and are kept as-is.
EXTRA_CODES: dict[str, str] = {
    "XKX": "Kosovo",
    "ANT": "Netherlands Antilles (former)",
    "SCG": "Serbia and Montenegro (former)",
    "CSK": "Czechoslovakia (former)",
    "DDR": "German Democratic Republic (former)",
    "SUN": "USSR (former)",
}

NOT_A_COUNTRY = frozenset(
    {"other", "other countries", "world total", "world total (rounded)", "world", "total"}
)


class UnknownCountry(ValueError):
    """A name or code could not be resolved to an ISO 3166-1 alpha-3 code."""


@lru_cache(maxsize=4096)
def to_iso3(name_or_code: str) -> str:
    """Resolve a country name or ISO2/ISO3 code to ISO 3166-1 alpha-3.

    Raises UnknownCountry when it cannot be resolved unambiguously.
    """
    text = name_or_code.strip()
    if not text:
        raise UnknownCountry("empty country")
    if text.lower() in NOT_A_COUNTRY or text.lower().startswith(("other", "world")):
        raise UnknownCountry(f"{name_or_code!r} is an aggregate, not a country")
    lowered = {k.lower(): v for k, v in ALIASES.items()}
    if text.lower() in lowered:
        return lowered[text.lower()]
    if text.upper() in EXTRA_CODES:
        return text.upper()
    if len(text) in (2, 3) and text.isalpha():
        found = pycountry.countries.get(
            **{"alpha_2" if len(text) == 2 else "alpha_3": text.upper()}
        )
        if found is not None:
            return found.alpha_3
    found = pycountry.countries.get(name=text) or pycountry.countries.get(common_name=text)
    if found is None:
        try:
            matches = pycountry.countries.search_fuzzy(text)
        except LookupError:
            matches = []
        if len(matches) != 1:
            raise UnknownCountry(f"cannot resolve country {name_or_code!r} to ISO3")
        found = matches[0]
    return found.alpha_3


def is_iso3(code: str) -> bool:
    return code in EXTRA_CODES or pycountry.countries.get(alpha_3=code) is not None


def country_name(iso3: str) -> str:
    if iso3 in EXTRA_CODES:
        return EXTRA_CODES[iso3]
    found = pycountry.countries.get(alpha_3=iso3)
    if found is None:
        raise UnknownCountry(f"unknown ISO3 code {iso3!r}")
    return getattr(found, "common_name", None) or found.name
