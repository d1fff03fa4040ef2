"""HS nomenclatures -> hs_codes: HS 2022 (``hs/``) and HS 1992 (BACI ``product-codes.csv``).

HS 2022 rows are copied as published (sections, chapters, headings, subheadings and
the ``TOTAL`` row), with ``parent`` and ``level`` from the file. The HS 1992 list has
6-digit codes only: ``level`` is 6 and ``parent`` the 4-digit heading (the first four
digits, by the structure of the HS).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from critmin.ingest.datasets import REFERENCE_DIR, ensure_datasets, replace_dataset_rows
from critmin.ingest.errors import Problem, raise_problems
from critmin.ingest.tabular import cell_problems, numeric, read_text_frame, records
from critmin.store.tables import HSCode

HS2022_FILE = REFERENCE_DIR / "hs" / "harmonized-system-2022.csv"
HS1992_FILE = REFERENCE_DIR / "baci" / "product-codes.csv"
HS2022_COLUMNS = ("section", "hscode", "description", "parent", "level")
HS1992_COLUMNS = ("hs6", "description", "critical_mineral", "in_trade_subset")


def parse_hs2022(path: Path = HS2022_FILE) -> pd.DataFrame:
    """HS 2022 codes with the ``hs_codes`` columns (revision ``HS2022``)."""
    file = str(path)
    text = read_text_frame(path, HS2022_COLUMNS)
    problems: list[Problem] = []
    code = text["hscode"].str.strip()
    bad = ~(code.str.fullmatch(r"\d{2}|\d{4}|\d{6}") | (code == "TOTAL"))
    problems += cell_problems(file, text, bad, "hscode", "2, 4 or 6 digits (or TOTAL)")
    problems += cell_problems(file, text, code.duplicated(), "hscode", "a unique code")
    problems += cell_problems(
        file, text, text["description"].str.strip() == "", "description", "a description"
    )
    level = numeric(file, text, "level", problems, required=True, integer=True, minimum=1)
    raise_problems(problems)
    parent = text["parent"].str.strip()
    return pd.DataFrame(
        {
            "code": code,
            "revision": "HS2022",
            "description": text["description"],
            "parent": parent.where(parent != "", None),
            "level": level.astype("int64"),
            "section": text["section"].str.strip(),
        }
    )


def parse_hs1992(path: Path = HS1992_FILE) -> pd.DataFrame:
    """HS 1992 6-digit codes (BACI's list) with the ``hs_codes`` columns."""
    file = str(path)
    text = read_text_frame(path, HS1992_COLUMNS)
    code = text["hs6"].str.strip()
    bad = ~code.str.fullmatch(r"\d{4}[0-9A-Z]{2}")  # BACI's list ends with legacy 9999AA
    problems = cell_problems(file, text, bad, "hs6", "six digits (or BACI's 9999AA)")
    problems += cell_problems(file, text, code.duplicated(), "hs6", "a unique code")
    raise_problems(problems)
    return pd.DataFrame(
        {
            "code": code,
            "revision": "HS1992",
            "description": text["description"],
            "parent": code.str[:4],
            "level": 6,
            "section": None,
        }
    )


def load_hs(
    session: Session, *, hs2022: Path = HS2022_FILE, hs1992: Path = HS1992_FILE
) -> dict[str, int]:
    """Store both nomenclatures (each replaced only if it differs); rows written per revision."""
    frames = {"HS2022": parse_hs2022(hs2022), "HS1992": parse_hs1992(hs1992)}
    ids = ensure_datasets(session, ["hs-2022", "baci-hs92"])
    written = {}
    for revision, code in (("HS2022", "hs-2022"), ("HS1992", "baci-hs92")):
        rows = records(frames[revision])
        changed = replace_dataset_rows(session, HSCode.__table__, ids[code], rows)
        written[revision] = len(rows) if changed else 0
    return written
