"""Reading the criticality input files: the YAML of inputs critmin does not bundle (EU
end-use shares, value added, substitution indices, EOL-RIR, trade-adjustment factors,
USGS economic vulnerability, imports of minerals without a trade code) and the three
CSV files of an explicit GeoPolRisk computation.

Every problem is a :class:`~critmin.ingest.errors.Problem` naming the file, the row
(the CSV line, or the YAML key path), the column, the value and what was expected;
all problems of a file are raised together as one IngestError.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import yaml

from critmin.domain.countries import country_name
from critmin.ingest.errors import IngestError, Problem

MINERAL_KEYS = {"eu", "usgs", "imports", "imports_source"}
EU_KEYS = {"end_use", "largest_sector_value_added", "si_ei", "si_sr", "eol_rir",
           "trade_adjustment", "source"}  # fmt: skip
USGS_KEYS = {"economic_vulnerability", "source"}
SECTOR_KEYS = {"sector", "label", "share", "value_added"}
GEOPOLRISK_COLUMNS = {
    "production": ("country", "quantity"),
    "imports": ("exporter", "quantity"),
    "governance": ("country", "score"),
}


class _Log:
    def __init__(self, file: str) -> None:
        self.file, self.problems = file, []  # type: list[Problem]

    def add(self, row: Any, column: str | None, value: Any, expected: str) -> None:
        self.problems.append(Problem(self.file, row, column, value, expected))

    def raise_if_any(self) -> None:
        if self.problems:
            raise IngestError(self.problems)


def _number(log: _Log, row: str, column: str, value: Any, low: float = 0.0,
            high: float | None = None) -> float | None:  # fmt: skip
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and math.isfinite(value) and value >= low and (high is None or value <= high):
        return float(value)
    span = f"a number from {low:g} to {high:g}" if high is not None else f"a number >= {low:g}"
    log.add(row, column, value, span)
    return None


def _iso(log: _Log, row: Any, column: str, value: Any) -> str | None:
    code = str(value or "").strip().upper()
    try:
        country_name(code)
    except Exception:  # noqa: BLE001 - any unknown code is a bad value
        log.add(row, column, value, "an ISO 3166 alpha-3 country code (e.g. CHN)")
        return None
    return code


def _keys(log: _Log, row: str, data: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        log.add(row, None, data, "a mapping")
        return {}
    for key in sorted(set(data) - allowed, key=str):
        log.add(row, str(key), data[key], f"one of the keys {', '.join(sorted(allowed))}")
    return data


def _mapping(log: _Log, row: str, column: str, data: Any) -> dict[Any, Any]:
    """``data`` if it is a mapping (any keys), else a problem and {}."""
    if isinstance(data, dict):
        return data
    log.add(row, column, data, "a mapping")
    return {}


def _eu(log: _Log, row: str, data: Any) -> dict[str, Any]:
    raw = _keys(log, row, data, EU_KEYS)
    out: dict[str, Any] = {"source": raw.get("source")}
    for key, high in (("si_ei", 1.0), ("si_sr", 1.0), ("eol_rir", 1.0),
                      ("largest_sector_value_added", None)):  # fmt: skip
        if key in raw:
            out[key] = _number(log, row, key, raw[key], 0.0, high)
    if out.get("largest_sector_value_added") == 0.0:
        log.add(row, "largest_sector_value_added", 0, "a number > 0")
    if "end_use" in raw:
        sectors = raw["end_use"]
        if not isinstance(sectors, list) or not sectors:
            log.add(row, "end_use", sectors, "a list of {sector, share, value_added}")
        else:
            rows = []
            for i, item in enumerate(sectors):
                where = f"{row}.end_use[{i}]"
                entry = _keys(log, where, item, SECTOR_KEYS)
                if "sector" not in entry:
                    log.add(where, "sector", None, "a NACE sector code (e.g. C26)")
                rows.append({"sector": str(entry.get("sector", "")),
                             "label": str(entry.get("label") or entry.get("sector", "")),
                             "share": _number(log, where, "share", entry.get("share"), 0, 1),
                             "value_added": _number(log, where, "value_added",
                                                    entry.get("value_added"))})  # fmt: skip
            total = sum(r["share"] or 0.0 for r in rows)
            if rows and abs(total - 1.0) > 0.01:
                log.add(f"{row}.end_use", "share", round(total, 4), "shares summing to 1")
            out["end_use"] = rows
    if "trade_adjustment" in raw:
        factors = _mapping(log, row, "trade_adjustment", raw["trade_adjustment"])
        out["trade_adjustment"] = {
            iso: _number(log, f"{row}.trade_adjustment", str(k), v, 0.5, 2.0)
            for k, v in factors.items()
            if (iso := _iso(log, f"{row}.trade_adjustment", str(k), k))
        }
    return out


def load_inputs(text: str, file: str) -> dict[str, dict[str, Any]]:
    """The per-mineral inputs of a criticality YAML file (layout in docs/criticality.md)."""
    log = _Log(file)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        log.add(mark.line + 1 if mark else None, None, str(exc).splitlines()[0], "valid YAML")
        log.raise_if_any()
    if data is None:
        log.add(None, None, "", "a document with the key 'minerals'")
        log.raise_if_any()
    top = _keys(log, "(top)", data, {"minerals"})
    minerals = _mapping(log, "(top)", "minerals", top.get("minerals", {}))
    out: dict[str, dict[str, Any]] = {}
    for name, spec in minerals.items():
        row = f"minerals.{name}"
        raw = _keys(log, row, spec, MINERAL_KEYS)
        entry: dict[str, Any] = {}
        if "eu" in raw:
            entry["eu"] = _eu(log, f"{row}.eu", raw["eu"])
        if "usgs" in raw:
            usgs = _keys(log, f"{row}.usgs", raw["usgs"], USGS_KEYS)
            entry["usgs"] = {"source": usgs.get("source")}
            if "economic_vulnerability" in usgs:
                entry["usgs"]["economic_vulnerability"] = _number(
                    log, f"{row}.usgs", "economic_vulnerability",
                    usgs["economic_vulnerability"], 0, 1)  # fmt: skip
        if "imports" in raw:
            imports = raw["imports"]
            if not isinstance(imports, dict) or not imports:
                log.add(row, "imports", imports, "a mapping of exporter ISO3 to quantity")
            else:
                entry["imports"] = {
                    iso: _number(log, f"{row}.imports", str(k), v)
                    for k, v in imports.items() if (iso := _iso(log, f"{row}.imports", str(k), k))
                }  # fmt: skip
            entry["imports_source"] = raw.get("imports_source")
        out[str(name).strip().lower()] = entry
    log.raise_if_any()
    return out


def read_geopolrisk_csv(text: str, file: str, kind: str) -> dict[str, float]:
    """One GeoPolRisk input file as {ISO3: number}: ``production`` (country,quantity),
    ``imports`` (exporter,quantity) or ``governance`` (country,score on 0..1)."""
    key, value = GEOPOLRISK_COLUMNS[kind]
    log = _Log(file)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if key not in header or value not in header:
        log.add(1, None, ",".join(reader.fieldnames or []), f"a header with columns {key},{value}")
        log.raise_if_any()
    reader.fieldnames = header
    out: dict[str, float] = {}
    for line, record in enumerate(reader, start=2):
        iso = _iso(log, line, key, record.get(key))
        cell = (record.get(value) or "").strip()
        try:
            number: Any = float(cell)
        except ValueError:
            number = cell
        high = 1.0 if kind == "governance" else None
        expected = "a score from 0 to 1 (1 = highest risk)" if high else "a number >= 0"
        if not isinstance(number, float) or not math.isfinite(number) or number < 0 or (
                high is not None and number > high):  # fmt: skip
            log.add(line, value, cell, expected)
            continue
        if iso and iso in out:
            log.add(line, key, record.get(key), f"each {key} once")
        elif iso:
            out[iso] = number
    if not out and not log.problems:
        log.add(None, None, None, "at least one data row")
    log.raise_if_any()
    return out
