"""Countries (ISO 3166-1 alpha-3) and the aliases sources use for them.

``countries`` holds every pycountry country plus :data:`EXTRA_CODES` (Kosovo and
former states). ``country_aliases`` holds three schemes:

* ``name``: :data:`critmin.domain.countries.ALIASES` (USGS spellings and the like);
* ``baci``: CEPII BACI numeric codes (``country-codes.csv``), joined by ``baci_code``
  because its ``iso3`` column is not unique; the pseudo-code ``S19`` ("Other Asia,
  nes") maps to TWN. Aggregates that are not countries (``ZA1`` SACU, ``R20`` EFTA
  nes, ``PUS`` US Misc. Pacific Isds) get no alias and no ISO3;
* ``worldbank``: the World Bank codes of the WGI file (``wb_code``), e.g. ROM -> ROU.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pycountry
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from critmin.domain.countries import ALIASES, EXTRA_CODES, country_name, is_iso3
from critmin.ingest.datasets import REFERENCE_DIR
from critmin.ingest.errors import Problem, raise_problems
from critmin.store.tables import Country, CountryAlias

BACI_CODES = REFERENCE_DIR / "baci" / "country-codes.csv"
WGI_FILE = REFERENCE_DIR / "wgi" / "wgi-2024-long.csv.gz"
BACI_CODE_COLUMNS = ("baci_code", "iso3", "iso2", "name")


def iso3_for_source_code(code: str) -> str | None:
    """ISO3 for a source's 3-letter code: itself if ISO/extra, an alias target, else None."""
    if is_iso3(code):
        return code
    target = {k.upper(): v for k, v in ALIASES.items()}.get(code.upper())
    return target if target and is_iso3(target) else None


def read_baci_country_codes(path: Path = BACI_CODES) -> pd.DataFrame:
    """BACI's country list with a resolved ``iso3`` (None for non-country aggregates).

    Columns: ``baci_code`` (int), ``iso3`` (resolved or None), ``source_iso3`` (verbatim),
    ``name``. Raises IngestError on wrong columns, non-integer or duplicate codes.
    """
    file = str(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if tuple(frame.columns) != BACI_CODE_COLUMNS:
        raise_problems(
            [Problem(file, 1, None, ",".join(frame.columns), ",".join(BACI_CODE_COLUMNS))]
        )
    codes = pd.to_numeric(frame["baci_code"], errors="coerce")
    bad = codes.isna() | (codes != codes.round())
    dup = codes.duplicated(keep="first") & ~bad
    raise_problems(
        [
            Problem(file, int(i) + 2, "baci_code", frame.at[i, "baci_code"], "an integer code")
            for i in frame.index[bad]
        ]
        + [
            Problem(file, int(i) + 2, "baci_code", frame.at[i, "baci_code"], "a unique code")
            for i in frame.index[dup]
        ]
    )
    resolved = {c: iso3_for_source_code(c) for c in frame["iso3"].unique()}
    return pd.DataFrame(
        {
            "baci_code": codes.astype("int64"),
            "iso3": pd.Series([resolved[c] for c in frame["iso3"]], dtype=object),
            "source_iso3": frame["iso3"],
            "name": frame["name"],
        }
    )


def country_rows() -> dict[str, str]:
    """ISO3 -> name for every pycountry country and every extra code."""
    rows = {c.alpha_3: country_name(c.alpha_3) for c in pycountry.countries}
    rows.update(EXTRA_CODES)
    return rows


def alias_rows(
    *, baci_codes: Path = BACI_CODES, wgi: Path = WGI_FILE
) -> dict[tuple[str, str], str]:
    """(scheme, alias) -> ISO3 for the three schemes."""
    out: dict[tuple[str, str], str] = {}
    for alias, iso3 in ALIASES.items():
        out[("name", alias)] = iso3
    baci = read_baci_country_codes(baci_codes)
    for code, iso3 in zip(baci["baci_code"], baci["iso3"], strict=True):
        if isinstance(iso3, str):
            out[("baci", str(code))] = iso3
    wb = pd.read_csv(wgi, usecols=["iso3", "wb_code"], dtype=str, keep_default_na=False)
    pairs = wb.drop_duplicates()
    problems = [
        Problem(str(wgi), None, "wb_code", code, f"one ISO3 per World Bank code (got {n})")
        for code, n in pairs["wb_code"].value_counts().items()
        if n > 1
    ]
    raise_problems(problems)
    for iso3, code in zip(pairs["iso3"], pairs["wb_code"], strict=True):
        out[("worldbank", code)] = iso3
    return out


def load_countries(
    session: Session, *, baci_codes: Path = BACI_CODES, wgi: Path = WGI_FILE
) -> dict[str, int]:
    """Upsert ``countries`` and ``country_aliases``; returns rows written per table."""
    aliases = alias_rows(baci_codes=baci_codes, wgi=wgi)
    unknown = sorted({iso3 for iso3 in aliases.values() if not is_iso3(iso3)})
    raise_problems(
        [Problem("country_aliases", None, "iso3", c, "a known ISO3 code") for c in unknown]
    )
    written = {"countries": 0, "country_aliases": 0}
    have = dict(session.execute(select(Country.iso3, Country.name)).all())
    new = country_rows()
    inserts = [{"iso3": k, "name": v} for k, v in new.items() if k not in have]
    updates = [{"k": k, "name": v} for k, v in new.items() if k in have and have[k] != v]
    if inserts:
        session.execute(insert(Country), inserts)
    for row in updates:
        session.execute(update(Country).where(Country.iso3 == row["k"]).values(name=row["name"]))
    written["countries"] = len(inserts) + len(updates)

    stmt = select(CountryAlias.scheme, CountryAlias.alias, CountryAlias.iso3)
    current = {(s, a): i for s, a, i in session.execute(stmt)}
    add = [
        {"scheme": s, "alias": a, "iso3": i}
        for (s, a), i in aliases.items()
        if (s, a) not in current
    ]
    change = [(s, a, i) for (s, a), i in aliases.items() if current.get((s, a), i) != i]
    if add:
        session.execute(insert(CountryAlias), add)
    for scheme, alias, iso3 in change:
        session.execute(
            update(CountryAlias)
            .where(CountryAlias.scheme == scheme, CountryAlias.alias == alias)
            .values(iso3=iso3)
        )
    written["country_aliases"] = len(add) + len(change)
    session.flush()
    return written
