"""Trade files in two layouts, read in chunks and checked vectorised.

* ``baci``: CEPII's own published layout, header ``t,i,j,k,v,q``: year, exporter and
  importer as CEPII numeric country codes (mapped to ISO3 through the bundled
  ``country-codes.csv``), HS6 product (leading zero optional), value in thousand USD
  (FOB), quantity in metric tons (blank or ``NA`` when CEPII has none).
* ``customs``: one declaration total a row, header
  ``reporter,partner,flow,hs_code,month,value,quantity``: ISO3 reporter and partner,
  ``flow`` ``export`` or ``import`` (``X``/``M`` too) as the reporter declares it, HS6,
  month ``YYYY-MM``, value in US dollars, quantity in kilograms (net weight; blank or
  ``NA`` when not declared). Stored as kUSD and metric tons, like BACI.

:func:`iter_chunks` yields chunks of at most ``chunk_rows`` rows: the columns of
flow fields as numpy arrays (memory is flat in the file's length), text as
fixed-width bytes (empty = NULL), integers -1 = NULL, NaN quantities = NULL. The typed
read is the fast path; a chunk it cannot parse is read again as text to name every bad
cell. Rows are numbered as a spreadsheet shows them (header = row 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from critmin.ingest.countries import BACI_CODES, country_rows, read_baci_country_codes
from critmin.ingest.errors import IngestError, Problem, ProblemLog

LAYOUTS = ("baci", "customs")
BACI_COLUMNS = ("t", "i", "j", "k", "v", "q")
CUSTOMS_COLUMNS = ("reporter", "partner", "flow", "hs_code", "month", "value", "quantity")
FLOW_COLUMNS = ("row", "year", "month", "reporter", "flow", "exporter", "importer", "exporter_code",
                "importer_code", "hs6", "value_kusd", "quantity_t")  # fmt: skip
FLOWS = {"export": "X", "x": "X", "import": "M", "m": "M"}
NA = ["", "NA"]
CHUNK_ROWS = 100_000
ENCODING = "utf-8-sig"
"""UTF-8; a byte-order mark (as spreadsheet programs write) is skipped."""
_BACI_DTYPES = {"t": "int64", "i": "int64", "j": "int64", "k": "int64", "v": "float64",
                "q": "float64"}  # fmt: skip
Source = str | Path | IO[bytes]
Chunk = dict[str, np.ndarray]
"""The fields of a flow (``row``: the file's row) as numpy arrays, one entry a column."""


@lru_cache(maxsize=4)
def baci_lookup(path: Path = BACI_CODES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrays indexed by CEPII code: known (bool), ISO3 (``S3``, empty for aggregates
    that are no country), has-ISO3 (bool)."""
    codes = read_baci_country_codes(path)
    size = int(codes["baci_code"].max()) + 1
    known = np.zeros(size, dtype=bool)
    iso = np.zeros(size, dtype="S3")
    has = np.zeros(size, dtype=bool)
    at = codes["baci_code"].to_numpy()
    known[at] = True
    mapped = codes["iso3"].notna().to_numpy()
    iso[at[mapped]] = codes["iso3"][mapped].str.encode("ascii").to_numpy()
    has[at[mapped]] = True
    return known, iso, has


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    return frozenset(country_rows())


def _problems(file: str, start: int, mask: Any, values: Any, column: str,
              expected: str) -> list[Problem]:  # fmt: skip
    at = np.flatnonzero(np.asarray(mask, dtype=bool))[:60]
    if not len(at):
        return []
    cells = np.asarray(values, dtype=object)[at].tolist()
    return [Problem(file, start + int(i) + 2, column, v, expected)
            for i, v in zip(at, cells, strict=True)]  # fmt: skip


def hs6_text(k: np.ndarray) -> np.ndarray:
    """Six-digit codes (``S6``) from integers, leading zeros restored, vectorised."""
    digits = np.stack([(k // 10**p) % 10 for p in range(5, -1, -1)], axis=1)
    return (digits.astype(np.uint8) + 48).copy().view("S6").ravel()


def _baci_frame(typed: pd.DataFrame, raw: pd.DataFrame | None, file: str, start: int,
                log: ProblemLog) -> Chunk | None:  # fmt: skip
    """Check and map one typed BACI chunk (``raw``: its text, for messages)."""
    known, iso, has = baci_lookup()
    shown = raw if raw is not None else typed
    n0 = len(log)
    t, k, v, q = (typed[c].to_numpy() for c in ("t", "k", "v", "q"))
    log.extend(_problems(file, start, ~((t >= 1900) & (t <= 2100)), shown["t"], "t",
                         "a year between 1900 and 2100"))  # fmt: skip
    codes = {}
    for column in ("i", "j"):
        c = typed[column].to_numpy()
        ok = (c >= 0) & (c < len(known))
        ok[ok] = known[c[ok]]
        log.extend(_problems(file, start, ~ok, shown[column], column,
                             "a CEPII country code of the bundled country table"))
        codes[column] = np.where(ok, c, 0)
    log.extend(_problems(file, start, ~((k > 0) & (k < 1_000_000)), shown["k"], "k",
                         "an HS six-digit product code"))  # fmt: skip
    log.extend(_problems(file, start, ~(np.isfinite(v) & (v >= 0)), shown["v"], "v",
                         "a value in thousand USD >= 0"))  # fmt: skip
    log.extend(_problems(file, start, q < 0, shown["q"], "q",
                         "a quantity in metric tons >= 0, blank or NA"))  # fmt: skip
    if len(log) > n0:
        return None
    i, j = codes["i"], codes["j"]
    n = len(t)
    return {
        "row": np.arange(start + 2, start + 2 + n), "year": t, "month": np.full(n, -1),
        "reporter": np.full(n, b"", "S3"), "flow": np.full(n, b"", "S1"),
        "exporter": iso[i], "importer": iso[j], "exporter_code": i, "importer_code": j,
        "hs6": hs6_text(k), "value_kusd": v, "quantity_t": q,
    }  # fmt: skip


def _customs_frame(raw: pd.DataFrame, file: str, start: int,
                   log: ProblemLog) -> Chunk | None:  # fmt: skip
    """Check and convert one customs chunk (read as text)."""
    n0 = len(log)
    known = iso3_codes()
    iso: dict[str, np.ndarray] = {}
    for column in ("reporter", "partner"):
        text = raw[column].str.strip().str.upper()
        log.extend(_problems(file, start, ~text.isin(known), raw[column], column,
                             "an ISO 3166 alpha-3 country code"))  # fmt: skip
        iso[column] = text.to_numpy()
    flow = raw["flow"].str.strip().str.lower().map(FLOWS)
    log.extend(_problems(file, start, flow.isna(), raw["flow"], "flow",
                         "export or import (X or M)"))  # fmt: skip
    hs = raw["hs_code"].str.strip().str.replace(".", "", regex=False)
    log.extend(_problems(file, start, ~hs.str.fullmatch(r"\d{6}"), raw["hs_code"], "hs_code",
                         "an HS six-digit code"))  # fmt: skip
    month = raw["month"].str.strip()
    good_month = month.str.fullmatch(r"(19|20|21)\d\d-(0[1-9]|1[0-2])")
    log.extend(_problems(file, start, ~good_month, raw["month"], "month", "a month YYYY-MM"))
    value = pd.to_numeric(raw["value"].str.strip(), errors="coerce").to_numpy()
    log.extend(_problems(file, start, ~(np.isfinite(value) & (value >= 0)), raw["value"],
                         "value", "a value in US dollars >= 0"))  # fmt: skip
    qtext = raw["quantity"].str.strip()
    quantity = pd.to_numeric(qtext.where(~qtext.isin(NA)), errors="coerce").to_numpy()
    bad_q = (np.isnan(quantity) & ~qtext.isin(NA).to_numpy()) | (quantity < 0)
    log.extend(_problems(file, start, bad_q, raw["quantity"], "quantity",
                         "a quantity in kilograms >= 0, blank or NA"))  # fmt: skip
    if len(log) > n0:
        return None
    exports = (flow == "X").to_numpy()
    reporter, partner = iso["reporter"].astype("S3"), iso["partner"].astype("S3")
    n = len(raw)
    return {
        "row": np.arange(start + 2, start + 2 + n),
        "year": month.str[:4].astype("int64").to_numpy(),
        "month": month.str[5:7].astype("int64").to_numpy(),
        "reporter": reporter, "flow": flow.to_numpy().astype("S1"),
        "exporter": np.where(exports, reporter, partner),
        "importer": np.where(exports, partner, reporter),
        "exporter_code": np.full(n, -1), "importer_code": np.full(n, -1),
        "hs6": hs.to_numpy().astype("S6"), "value_kusd": value / 1_000,
        "quantity_t": quantity / 1_000,
    }  # fmt: skip


def _rewind(source: Source) -> Source:
    if hasattr(source, "seek"):
        source.seek(0)  # type: ignore[union-attr]
    return source


def _header(source: Source, file: str, expected: tuple[str, ...]) -> None:
    try:
        header = [str(c).strip() for c in pd.read_csv(_rewind(source), nrows=0,
                                                        encoding=ENCODING).columns]
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError,
            EOFError) as exc:  # fmt: skip
        problem = Problem(file, None, "(file)", None, f"a readable CSV ({exc})")
        raise IngestError([problem]) from None
    if tuple(header) != expected:
        raise IngestError([Problem(file, 1, "(header)", ",".join(header), ",".join(expected))])


def _text_chunks(source: Source, columns: tuple[str, ...], chunk_rows: int,
                 skip: int = 0) -> Iterator[tuple[int, pd.DataFrame]]:  # fmt: skip
    """(first data row index, chunk as text) from data row ``skip`` on."""
    reader = pd.read_csv(_rewind(source), dtype=str, keep_default_na=False, encoding=ENCODING,
                         skiprows=range(1, skip + 1), chunksize=chunk_rows,
                         names=list(columns), header=0)  # fmt: skip
    start = skip
    for chunk in reader:
        yield start, chunk.reset_index(drop=True)
        start += len(chunk)


def _baci_text(source: Source, file: str, chunk_rows: int, skip: int,
               log: ProblemLog) -> None:  # fmt: skip
    """Slow path from data row ``skip``: every cell the typed read could not parse."""
    for start, raw in _text_chunks(source, BACI_COLUMNS, chunk_rows, skip):
        typed = {}
        for column in BACI_COLUMNS:
            text = raw[column].str.strip()
            number = pd.to_numeric(text.where(~text.isin(NA)), errors="coerce")
            nullable = column == "q"
            bad = number.isna() & ~(text.isin(NA) if nullable else False)
            if column in ("t", "i", "j", "k"):
                bad |= number.notna() & (number != number.round())
                what = {"t": "a year", "k": "an HS six-digit product code"}.get(
                    column, "a CEPII country code (integer)")
            else:
                what = ("a quantity in metric tons, blank or NA" if nullable
                        else "a value in thousand USD")  # fmt: skip
            log.extend(_problems(file, start, bad, raw[column], column, what))
            typed[column] = number.fillna(np.nan if nullable else 0).to_numpy()
        frame = pd.DataFrame(typed).astype({c: "int64" for c in ("t", "i", "j", "k")})
        _baci_frame(frame, raw, file, start, log)
        if len(log) >= log.limit:
            return


def iter_chunks(source: Source, *, layout: str, file: str, log: ProblemLog,
                chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:  # fmt: skip
    """Checked, mapped chunks of the file (the fields of :data:`FLOW_COLUMNS`).

    Problems go to ``log``; once there is one, no more chunks are yielded (the rest of
    the file is still checked so the report is complete up to the log's limit).
    """
    if layout not in LAYOUTS:
        raise IngestError([Problem(file, None, "(layout)", layout, " or ".join(LAYOUTS))])
    if layout == "customs":
        _header(source, file, CUSTOMS_COLUMNS)
        for start, raw in _text_chunks(source, CUSTOMS_COLUMNS, chunk_rows):
            frame = _customs_frame(raw, file, start, log)
            if frame is not None and not len(log):
                yield frame
        return
    _header(source, file, BACI_COLUMNS)
    reader = pd.read_csv(_rewind(source), dtype=_BACI_DTYPES, keep_default_na=False,
                         encoding=ENCODING,
                         na_values={"q": NA}, skipinitialspace=True, chunksize=chunk_rows,
                         names=list(BACI_COLUMNS), header=0)  # fmt: skip
    start = 0
    try:
        for chunk in reader:
            chunk = chunk.reset_index(drop=True)
            frame = _baci_frame(chunk, None, file, start, log)
            start += len(chunk)
            if frame is not None and not len(log):
                yield frame
    except (ValueError, TypeError, pd.errors.ParserError):
        _baci_text(source, file, chunk_rows, start, log)
        if not len(log):  # a malformed line the text read accepted: name the region
            log.add(Problem(file, start + 2, "(row)", None,
                            f"{len(BACI_COLUMNS)} comma-separated cells in rows from here on"))
