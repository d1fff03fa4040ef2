"""CEPII BACI bilateral trade (HS92 subset, gzip CSV) -> trade_flows.

Exporter and importer are BACI country codes, mapped to ISO3 through
``country-codes.csv`` **by baci_code** (its iso3 column is not unique: BEL is 56 and
58, DEU 276 and 280, SDN 729 and 736). The original codes are kept in
``exporter_code``/``importer_code``; ``S19`` (490, "Other Asia, nes") maps to TWN and
aggregates that are not countries (711 SACU, 697 EFTA nes, 849 US Misc. Pacific Isds)
keep a NULL ISO3. Values are FOB kUSD; quantities metric tons gross weight (NULL when
BACI has none).

The file is read with pandas (typed), mapped and validated vectorised, and inserted in
chunks with Core ``insert()`` executemany. A reload is skipped when the stored rows of
the dataset have the same fingerprint (row count and column sums) as the file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NoReturn

import pandas as pd
from sqlalchemy import Integer, cast, delete, func, select
from sqlalchemy.orm import Session

from critmin.ingest.countries import BACI_CODES, read_baci_country_codes
from critmin.ingest.datasets import REFERENCE_DIR, ensure_datasets
from critmin.ingest.errors import IngestError, Problem, raise_problems
from critmin.ingest.tabular import (
    cell_problems,
    check_header,
    insert_frame,
    numeric,
    read_text_frame,
)
from critmin.store.tables import TradeFlow

BACI_FILE = REFERENCE_DIR / "baci" / "baci-hs92-critical-minerals.csv.gz"
DATASET = "baci-hs92"
COLUMNS = ("year", "exporter", "importer", "hs6", "value_kusd", "quantity_t")
DTYPES = {"year": "int64", "exporter": "int64", "importer": "int64", "hs6": str,
          "value_kusd": "float64", "quantity_t": "float64"}  # fmt: skip


def _raise_cell_problems(path: Path) -> NoReturn:
    """Slow path, only for a file the typed read rejected: report every bad cell."""
    file = str(path)
    text = read_text_frame(path, COLUMNS)
    problems: list[Problem] = []
    for column in ("year", "exporter", "importer"):
        numeric(file, text, column, problems, required=True, integer=True, minimum=0)
    numeric(file, text, "value_kusd", problems, required=True, minimum=0)
    numeric(file, text, "quantity_t", problems, minimum=0)
    raise_problems(problems)
    raise IngestError([Problem(file, None, "(file)", None, "a BACI trade CSV")])


def read_baci(path: Path = BACI_FILE) -> pd.DataFrame:
    """The trade file as a typed frame (``year, exporter, importer, hs6, value_kusd,
    quantity_t``), checked cell by cell; raises IngestError on any bad cell."""
    file = str(path)
    try:
        header = list(pd.read_csv(path, nrows=0).columns)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, EOFError) as exc:
        problem = Problem(file, None, "(file)", None, f"a readable CSV ({exc})")
        raise IngestError([problem]) from None
    check_header(file, header, COLUMNS)
    try:
        frame = pd.read_csv(
            path, dtype=DTYPES, keep_default_na=False, na_values={"quantity_t": [""]}
        )
    except (ValueError, TypeError):
        _raise_cell_problems(path)
    problems: list[Problem] = []
    hs6 = frame["hs6"].str.strip()
    problems += cell_problems(file, frame, ~hs6.str.fullmatch(r"\d{6}"), "hs6", "six digits")
    problems += cell_problems(file, frame, ~frame["year"].between(1900, 2100), "year",
                              "a year between 1900 and 2100")  # fmt: skip
    problems += cell_problems(file, frame, ~(frame["value_kusd"] >= 0), "value_kusd",
                              "a number >= 0")  # fmt: skip
    problems += cell_problems(file, frame, frame["quantity_t"] < 0, "quantity_t",
                              "a number >= 0 or empty")  # fmt: skip
    raise_problems(problems)
    return frame.assign(hs6=hs6)


def map_countries(frame: pd.DataFrame, codes: pd.DataFrame, *, file: str) -> pd.DataFrame:
    """Add ISO3 ``exporter``/``importer`` from BACI codes; unknown codes raise IngestError.

    ``frame`` has integer ``exporter``/``importer`` BACI codes (as read); the result has
    the ``trade_flows`` columns.
    """
    iso = codes.set_index("baci_code")["iso3"]
    problems: list[Problem] = []
    for column in ("exporter", "importer"):
        unknown = ~frame[column].isin(iso.index)
        problems += cell_problems(file, frame, unknown, column, "a code of country-codes.csv")
    raise_problems(problems)
    return pd.DataFrame(
        {
            "year": frame["year"].to_numpy(),
            "hs6": frame["hs6"].to_numpy(),
            "hs_revision": "HS1992",
            "exporter": frame["exporter"].map(iso).to_numpy(),
            "importer": frame["importer"].map(iso).to_numpy(),
            "exporter_code": frame["exporter"].to_numpy(),
            "importer_code": frame["importer"].to_numpy(),
            "value_kusd": frame["value_kusd"].to_numpy(),
            "quantity_t": frame["quantity_t"].to_numpy(),
        }
    )


def parse_baci(path: Path = BACI_FILE, *, country_codes: Path = BACI_CODES) -> pd.DataFrame:
    """Read, validate and map the trade file: a frame with the ``trade_flows`` columns."""
    return map_countries(read_baci(path), read_baci_country_codes(country_codes), file=str(path))


def fingerprint(frame: pd.DataFrame) -> tuple[float, ...]:
    """Row count and column sums of a mapped frame (compare with :func:`stored_fingerprint`)."""
    return (
        len(frame), frame["year"].sum(), frame["exporter_code"].sum(),
        frame["importer_code"].sum(), frame["hs6"].astype("int64").sum(),
        frame["exporter"].notna().sum(), frame["importer"].notna().sum(),
        frame["quantity_t"].notna().sum(), frame["value_kusd"].sum(),
        frame["quantity_t"].sum(),
    )  # fmt: skip


def stored_fingerprint(session: Session, dataset_id: int) -> tuple[float, ...]:
    t = TradeFlow.__table__.c
    stmt = select(
        func.count(), func.sum(t.year), func.sum(t.exporter_code), func.sum(t.importer_code),
        func.sum(cast(t.hs6, Integer)), func.count(t.exporter), func.count(t.importer),
        func.count(t.quantity_t), func.sum(t.value_kusd), func.sum(t.quantity_t),
    ).where(t.dataset_id == dataset_id)  # fmt: skip
    return tuple(0 if v is None else v for v in session.execute(stmt).one())


def same_fingerprint(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    ints_equal = all(int(x) == int(y) for x, y in zip(a[:-2], b[:-2], strict=True))
    return ints_equal and all(
        math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-6)
        for x, y in zip(a[-2:], b[-2:], strict=True)
    )


def load_baci(
    session: Session,
    path: Path = BACI_FILE,
    *,
    country_codes: Path = BACI_CODES,
    chunk_size: int = 50_000,
) -> int:
    """Store the trade file as the dataset's rows (skipped when unchanged); rows written."""
    frame = parse_baci(path, country_codes=country_codes)
    dataset_id = ensure_datasets(session, [DATASET])[DATASET]
    if same_fingerprint(fingerprint(frame), stored_fingerprint(session, dataset_id)):
        return 0
    table = TradeFlow.__table__
    session.execute(delete(table).where(table.c.dataset_id == dataset_id))
    return insert_frame(session, table, frame.assign(dataset_id=dataset_id), chunk_size)
