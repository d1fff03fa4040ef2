"""Exchange rates: the sourced FX table prices are converted with.

Layout (CSV or .xlsx, one rate a row): required ``base, quote, date, rate, source``;
optional ``date_precision`` (day, month, year; by default what the date gives:
``2023`` a year, ``2024-10`` a month), ``basis`` (``average``, the default, ``spot`` or
``end_of_period``), ``source_url``, ``source_locator``, ``source_quote``. ``rate`` is
units of ``quote`` per one unit of ``base`` (USD, CNY, 7.0809: 7.0809 yuan a dollar).
A rate for a month or a year is stored on its first day. Loading is all or nothing and
upserts on (base, quote, date, date_precision).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.domain.prices import FX_CURRENCIES, parse_partial_date
from critmin.ingest.datasets import REFERENCE_DIR
from critmin.ingest.errors import IngestError, Problem, ProblemLog
from critmin.ingest.prices_sheet import detect_format, iter_rows
from critmin.store.tables import FxRate

FX_FILE = REFERENCE_DIR / "fx" / "fx-rates.csv"
FX_DATASET = "fed-fx-cny-usd"
REQUIRED = ("base", "quote", "date", "rate", "source")
OPTIONAL = ("date_precision", "basis", "source_url", "source_locator", "source_quote")
BASES = ("average", "spot", "end_of_period")
_RANK = {"day": 0, "month": 1, "year": 2}


def _row(file: str, row: int, cells: dict[str, Any], log: ProblemLog) -> dict[str, Any] | None:
    def bad(column: str, expected: str) -> None:
        log.add(Problem(file, row, column, cells.get(column), expected))

    before = len(log)
    pair = []
    for column in ("base", "quote"):
        code = str(cells.get(column) or "").strip().upper()
        if code not in FX_CURRENCIES:
            bad(column, f"a currency code: one of {', '.join(FX_CURRENCIES)}")
        pair.append(code)
    if pair[0] == pair[1] and pair[0]:
        bad("quote", "a currency other than the base")
    raw_date = cells.get("date")
    day = precision = None
    if isinstance(raw_date, dt.datetime | dt.date):
        day = raw_date.date() if isinstance(raw_date, dt.datetime) else raw_date
        precision = "day"
    else:
        text = str(raw_date if raw_date is not None else "").strip()
        text = text[:-2] if text.endswith(".0") else text  # a year typed as a number
        try:
            day, precision = parse_partial_date(text)
        except ValueError:
            bad("date", "a date such as 2024-10-15, 2024-10 (a month) or 2023 (a year)")
    stated = str(cells.get("date_precision") or "").strip().lower() or None
    if stated is not None and stated not in _RANK:
        bad("date_precision", "day, month or year")
    elif stated is not None and precision is not None and _RANK[stated] < _RANK[precision]:
        bad("date_precision", f"at most {precision} precision for the date given")
    elif stated is not None and day is not None:
        day = {"year": day.replace(month=1, day=1), "month": day.replace(day=1)}.get(stated, day)
        precision = stated
    try:
        rate = float(str(cells.get("rate")).strip())
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or rate <= 0:
        bad("rate", "a positive number: units of quote per one unit of base")
    basis = str(cells.get("basis") or "average").strip().lower()
    if basis not in BASES:
        bad("basis", f"one of {', '.join(BASES)}")
    source = str(cells.get("source") or "").strip()
    if not source or len(source) > 500:
        bad("source", "the publication the rate comes from (at most 500 characters)")
    if len(log) > before:
        return None
    ref = {"document": source, "url": cells.get("source_url"),
           "locator": cells.get("source_locator"), "quote": cells.get("source_quote")}  # fmt: skip
    return {"base": pair[0], "quote": pair[1], "date": day, "date_precision": precision,
            "rate": rate, "basis": basis,
            "sources": [{k: str(v) for k, v in ref.items() if v not in (None, "")}]}  # fmt: skip


def parse_fx(stream: IO[bytes], *, fmt: str, file: str) -> list[dict[str, Any]]:
    """Every rate of an FX file, or IngestError naming file, row, column, value, expected."""
    log = ProblemLog()
    rates: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    try:
        for row, cells in iter_rows(stream, fmt=fmt, file=file, required=REQUIRED,
                                    optional=OPTIONAL):  # fmt: skip
            rate = _row(file, row, cells, log)
            if rate is None:
                continue
            ident = (rate["base"], rate["quote"], rate["date"], rate["date_precision"])
            if ident in seen:
                log.add(Problem(file, row, "date", str(rate["date"]),
                                f"one rate per pair and period (already on row {seen[ident]})"))
                continue  # fmt: skip
            seen[ident] = row
            rates.append(rate)
    except IngestError as exc:
        log.extend(exc.problems)
    log.raise_if_any()
    return rates


def store_fx(session: Session, rates: list[dict[str, Any]], dataset_id: int | None) -> int:
    """Upsert rates on (base, quote, date, precision); how many were written."""
    written = 0
    for rate in rates:
        row = session.scalars(
            select(FxRate).where(
                FxRate.base == rate["base"], FxRate.quote == rate["quote"],
                FxRate.date == rate["date"], FxRate.date_precision == rate["date_precision"],
            )
        ).first()  # fmt: skip
        values = {**rate, "dataset_id": dataset_id}
        if row is None:
            session.add(FxRate(**values))
            written += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            written += 1
    session.flush()
    return written


def load_fx(
    session: Session, path: Path = FX_FILE, *, dataset_id: int | None = None
) -> int:
    """Validate the FX file at ``path`` whole, then upsert its rates; rows written."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        problem = Problem(str(path), None, "(file)", None, f"a readable file ({exc})")
        raise IngestError([problem]) from None
    with stream:
        head = stream.read(4)
        stream.seek(0)
        rates = parse_fx(stream, fmt=detect_format(path.name, head), file=str(path))
    return store_fx(session, rates, dataset_id)
