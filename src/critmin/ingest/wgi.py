"""World Bank Worldwide Governance Indicators (long CSV, gzip) -> governance_indicators.

One row per economy (ISO3), indicator (VA, PV, GE, RQ, RL, CC) and year. Empty
estimates (WGI placeholders) stay NULL. Estimates are in standard-normal units with
their standard error; percentile ranks are 0-100. See SOURCES.md §2.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from critmin.domain.countries import is_iso3
from critmin.ingest.datasets import REFERENCE_DIR, ensure_datasets, replace_dataset_rows
from critmin.ingest.errors import Problem, raise_problems
from critmin.ingest.tabular import allowed, cell_problems, numeric, read_text_frame, records
from critmin.store.tables import GovernanceIndicator

WGI_FILE = REFERENCE_DIR / "wgi" / "wgi-2024-long.csv.gz"
DATASET = "wgi-2024"
INDICATORS = ("VA", "PV", "GE", "RQ", "RL", "CC")
COLUMNS = (
    "iso3", "wb_code", "country", "indicator", "year", "estimate", "std_error", "n_sources",
    "percentile_rank", "percentile_rank_lower", "percentile_rank_upper",
)  # fmt: skip
FLOATS = ("estimate", "std_error", "percentile_rank", "percentile_rank_lower",
          "percentile_rank_upper")  # fmt: skip


def parse_wgi(path: Path = WGI_FILE) -> pd.DataFrame:
    """The file as a typed frame with the ``governance_indicators`` columns.

    Raises IngestError naming row, column, value and what was expected for every bad
    cell (unknown ISO3 or indicator, non-numeric value, duplicate economy/indicator/year).
    """
    file = str(path)
    text = read_text_frame(path, COLUMNS)
    problems: list[Problem] = []
    codes = [c for c in text["iso3"].unique() if is_iso3(c)]
    bad_iso = ~text["iso3"].isin(codes)
    problems += cell_problems(file, text, bad_iso, "iso3", "an ISO 3166-1 alpha-3 code")
    allowed(file, text, "indicator", INDICATORS, problems)
    out = pd.DataFrame({"iso3": text["iso3"], "indicator": text["indicator"]})
    year = numeric(file, text, "year", problems, required=True, integer=True, minimum=1900)
    out["year"] = year
    for column in FLOATS:
        out[column] = numeric(file, text, column, problems)
    out["n_sources"] = numeric(file, text, "n_sources", problems, integer=True, minimum=0)
    dup = out.duplicated(["iso3", "indicator", "year"], keep="first")
    problems += cell_problems(file, text, dup, "year", "one row per iso3, indicator and year")
    raise_problems(problems)
    out["year"] = out["year"].astype("int64")
    out["n_sources"] = out["n_sources"].astype("Int64")
    return out


def load_wgi(session: Session, path: Path = WGI_FILE) -> int:
    """Store the file (replacing the dataset's rows if they differ); rows written."""
    frame = parse_wgi(path)
    dataset_id = ensure_datasets(session, [DATASET])[DATASET]
    rows = records(frame)
    changed = replace_dataset_rows(session, GovernanceIndicator.__table__, dataset_id, rows)
    return len(rows) if changed else 0
