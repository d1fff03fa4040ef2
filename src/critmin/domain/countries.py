"""Countries as ISO 3166-1 alpha-3 codes, with aliases used by the data sources.

pycountry supplies the standard; the alias table covers names and codes that USGS,
CEPII BACI and the World Bank use and pycountry does not resolve on its own.
"""

from __future__ import annotations

import difflib
import re
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
    # World Bank (WGI) country names and common English short forms
    "Korea, Rep.": "KOR",
    "Korea, Dem. People's Rep.": "PRK",
    "Korea, Dem. Rep.": "PRK",
    "South Korea": "KOR",
    "North Korea": "PRK",
    "Iran, Islamic Rep.": "IRN",
    "Egypt, Arab Rep.": "EGY",
    "Congo, Dem. Rep.": "COD",
    "Congo, Rep.": "COG",
    "Democratic Republic of the Congo": "COD",
    "Republic of the Congo": "COG",
    "Venezuela, RB": "VEN",
    "Yemen, Rep.": "YEM",
    "Lao PDR": "LAO",
    "Kyrgyz Republic": "KGZ",
    "Slovak Republic": "SVK",
    "Gambia, The": "GMB",
    "Bahamas, The": "BHS",
    "Micronesia, Fed. Sts.": "FSM",
    "Hong Kong SAR, China": "HKG",
    "Macao SAR, China": "MAC",
    "Turkiye": "TUR",
    "Türkiye": "TUR",
    "UK": "GBR",
    "Great Britain": "GBR",
    "USA": "USA",
    "US": "USA",
    "U.S.": "USA",
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

    suggestion: str | None = None


class AmbiguousCountry(UnknownCountry):
    """A name that fits several countries; ``candidates`` are (ISO3, name) pairs."""

    def __init__(self, text: str, candidates: list[tuple[str, str]]) -> None:
        self.candidates = candidates
        super().__init__(f"{text!r} could be {', '.join(c for c, _ in candidates)}")


@lru_cache(maxsize=1)
def _name_index() -> dict[str, str]:
    """Lower-case names, official names, common names and aliases -> ISO3."""
    index: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                index.setdefault(value.lower(), c.alpha_3)
    for code, name in EXTRA_CODES.items():
        index.setdefault(name.lower(), code)
    index.update({k.lower(): v for k, v in ALIASES.items() if len(v) == 3 and v.isalpha()})
    return index


@lru_cache(maxsize=4096)
def resolve_country_name(text: str) -> str:
    """ISO3 for what a user typed: a code (ISO3/ISO2, any case), a name or an alias.

    A name that is part of several country names (``Korea``) raises
    :class:`AmbiguousCountry`; anything else unresolvable :class:`UnknownCountry`
    (with the nearest name as ``suggestion`` when there is one).
    """
    value = text.strip()
    low = value.lower()
    if not value:
        raise UnknownCountry("empty country")
    if len(value) == 3 and value.isalpha() and is_iso3(value.upper()):
        return value.upper()
    if len(value) == 2 and value.isalpha():
        found = pycountry.countries.get(alpha_2=value.upper())
        if found is not None:
            return found.alpha_3
    index = _name_index()
    if low in index:
        return index[low]
    words = re.compile(rf"(^|\W){re.escape(low)}(\W|$)")
    hits = sorted({code for name, code in index.items() if words.search(name)})
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise AmbiguousCountry(value, [(c, country_name(c)) for c in hits])
    error = UnknownCountry(f"cannot resolve country {text!r} to ISO3")
    close = difflib.get_close_matches(low, list(index), n=1, cutoff=0.75)
    error.suggestion = country_name(index[close[0]]) if close else None
    raise error


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
