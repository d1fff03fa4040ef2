"""Trade: importing BACI and customs files, reading flows, mirror gaps, the
circumvention signal and the supply-demand balance.

Bundled BACI (``trade_flows``) is public reference data. An import is a shared record
(:class:`TradeImport`): its flows are read only through an import the caller may see;
a hidden import is "not found" like a missing one, and never enters a list, a sum or a
derived number. Outputs are JSON-ready (the CLI, the API and the dashboard render
them as they are).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from critmin.analytics import trade as analytics
from critmin.domain.countries import country_name
from critmin.ingest.errors import ProblemLog
from critmin.ingest.trade import CHUNK_ROWS, LAYOUTS, Source, iter_chunks
from critmin.services import access
from critmin.services.auth import Caller, Role
from critmin.services.entities import NotFound
from critmin.services.tracker import Forbidden, InvalidRecord
from critmin.services.trade_balance import balance
from critmin.store import entities as store
from critmin.store.tables import Dataset, TradeFlow
from critmin.store.trade_bulk import COLUMNS, FlowWriter, decode, is_null, prefetch
from critmin.store.trade_tables import TradeFlowBlock, TradeImport

SHARING = ("public", "partners", "owner")
MAX_ROWS = 10_000
BUNDLED = "CEPII BACI HS92 (bundled)"
UNITS = {"value": "thousand USD", "quantity": "metric tons"}

__all__ = ["NotFound", "balance", "circumvention", "import_file", "list_imports", "mirror"]


def _bad(field: str, problem: str) -> InvalidRecord:
    return InvalidRecord([{"field": field, "problem": problem}])


def hs_revision(file: str) -> str | None:
    """The HS nomenclature a file's name states, as CEPII names BACI files
    (``BACI_HS92_Y2020_V202401.csv`` -> ``HS1992``); None when it states none."""
    found = re.search(r"(?<![A-Za-z0-9])HS(92|96|02|07|12|17|22)(?![0-9])", Path(file).name,
                      re.IGNORECASE)  # fmt: skip
    if not found:
        return None
    year = int(found.group(1))
    return f"HS{1900 + year if year >= 88 else 2000 + year}"


def _owner(caller: Caller, owner_org_id: int | None) -> int | None:
    access.check_caller(caller)
    if caller.local:
        return owner_org_id
    if caller.anonymous or caller.org_id is None or not caller.at_least(Role.EDITOR):
        raise Forbidden("importing trade needs an editor or admin token")
    return caller.org_id


def import_file(
    *,
    session: Session,
    caller: Caller,
    source: Source,
    file: str,
    layout: str = "baci",
    owner_org_id: int | None = None,
    sharing: str | None = None,
    actor: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> dict[str, Any]:
    """Import a trade file in the caller's transaction, all or nothing (IngestError names
    every problem). Over the API the caller's organisation owns it (owner-only unless
    ``sharing`` says); the local operator imports for ``owner_org_id`` or as public
    reference data. Returns the summary: import id, rows, years, reporters."""
    owner = _owner(caller, owner_org_id)
    if layout not in LAYOUTS:
        raise _bad("layout", f"one of {', '.join(LAYOUTS)}")
    if sharing is not None and sharing not in SHARING:
        raise _bad("sharing", f"one of {', '.join(SHARING)}")
    if owner is None and sharing not in (None, "public"):
        raise _bad("sharing", "public: an import without an organisation is reference data")
    level = sharing or ("owner" if owner is not None else "public")
    record = store.add(session=session, model=TradeImport, values={
        "file": Path(file).name[:300], "layout": layout, "rows": 0, "years": [],
        "reporters": [], "owner_org_id": owner, "sharing": level, "section_sharing": {},
        "version": 1, "sources": [{"document": Path(file).name[:300]}],
        "actor": (actor or caller.label)[:200],
        "hs_revision": hs_revision(file),
    })  # fmt: skip
    session.flush()
    log = ProblemLog()
    writer = FlowWriter(session, record.id)
    rows, years, reporters = 0, set(), set()
    names = ("reporter",) if layout == "customs" else ("exporter", "importer")

    def prepared() -> Iterator[tuple[Any, ...]]:
        for chunk in iter_chunks(source, layout=layout, file=file, log=log,
                                 chunk_rows=chunk_rows):  # fmt: skip
            seen = set().union(*(_distinct(chunk[n]) for n in names))
            yield writer.prepare(chunk), set(np.unique(chunk["year"]).tolist()), seen

    try:
        for payload, chunk_years, chunk_reporters in prefetch(prepared()):
            rows += writer.write(payload)
            years |= chunk_years
            reporters |= chunk_reporters
        writer.close(failed=bool(len(log)))
    except BaseException:
        writer.close(failed=True)
        raise
    log.raise_if_any()
    session.execute(update(TradeImport).where(TradeImport.id == record.id).values(
        rows=rows, years=sorted(years), reporters=sorted(reporters)))  # fmt: skip
    session.refresh(record)
    from critmin.services.monitor import evaluate_after_import

    summary = _import_summary(record)
    summary["alerts"] = evaluate_after_import(session, caller, trade=True)
    return summary


def _distinct(codes: np.ndarray) -> set[str]:
    """The distinct non-empty ``S3`` codes (as integers, so the sort is cheap)."""
    raw = np.frombuffer(codes.astype("S3").tobytes(), dtype=np.uint8).reshape(-1, 3)
    keys = np.unique(raw[:, 0].astype(np.int32) << 16 | raw[:, 1].astype(np.int32) << 8
                     | raw[:, 2])  # fmt: skip
    keys = keys[keys > 0]
    letters = np.stack([keys >> 16, keys >> 8 & 255, keys & 255], axis=1).astype(np.uint8)
    return {bytes(r).rstrip(b"\0").decode() for r in letters}


def _import_summary(row: TradeImport) -> dict[str, Any]:
    return {"import_id": row.id, "file": row.file, "layout": row.layout,
            "hs_revision": row.hs_revision, "rows": row.rows,
            "years": list(row.years or []), "reporters": list(row.reporters or []),
            "sharing": row.sharing, "owned": row.owner_org_id is not None,
            "units": UNITS}  # fmt: skip


def list_imports(*, session: Session, caller: Caller) -> list[dict[str, Any]]:
    """The imports the caller may see, newest first."""
    stmt = select(TradeImport).where(TradeImport.deleted_at.is_(None),
                                     access.visible_clause(TradeImport, caller))
    return [_import_summary(r) for r in session.scalars(stmt.order_by(TradeImport.id.desc()))]


def get_import(session: Session, caller: Caller, import_id: int) -> TradeImport:
    row = session.get(TradeImport, import_id)
    if row is None or not access.can_see(row, caller):
        raise NotFound(f"no such trade import {import_id}")
    return row


def _hs(hs: Sequence[str] | None) -> list[str] | None:
    if not hs:
        return None
    codes = [h.strip().replace(".", "") for h in hs]
    bad = [h for h in codes if not (len(h) == 6 and h.isdigit())]
    if bad:
        raise _bad("hs", f"HS six-digit codes, not {', '.join(map(repr, bad))}")
    return codes


def _iso(field: str, code: str | None) -> str | None:
    if code is None:
        return None
    text = code.strip().upper()
    try:
        country_name(text)
    except Exception:  # noqa: BLE001 - any unknown code is a bad request
        raise _bad(field, f"an ISO 3166 alpha-3 country code, not {code!r}") from None
    return text


def _cells(values: np.ndarray, null: np.ndarray) -> np.ndarray:
    """A decoded column as the result column: text as str, None where NULL (NaN for
    floats), and all None when the whole column is NULL."""
    if null.all():
        return np.full(len(values), None, dtype=object)
    if values.dtype.kind == "f":
        return values.astype("float64")
    if values.dtype.kind in "iu":
        values = values.astype("int64")
        if not null.any():
            return values
    cells = (values.astype(f"U{values.dtype.itemsize}") if values.dtype.kind == "S"
             else values).astype(object)  # fmt: skip
    cells[null] = None
    return cells


IMPORT_COLUMNS = ("year", "month", "reporter", "flow", "exporter", "importer", "hs6",
                  "value_kusd", "quantity_t")  # fmt: skip


def _import_flows(session: Session, import_id: int, hs: Sequence[str] | None,
                  exporter: str | None, importer: str | None, year: int | None,
                  limit: int | None) -> pd.DataFrame:  # fmt: skip
    """An import's flows: only the blocks of the requested HS codes (and years) are read
    and decoded; the rest is filtered with numpy, in file order (``limit``: the largest by
    value, ties in file order)."""
    t = TradeFlowBlock.__table__.c
    stmt = select(*(t[c] for c in COLUMNS[1:])).where(t.import_id == import_id)
    if hs:
        stmt = stmt.where(t.hs6.in_(list(hs)))
    if year:
        stmt = stmt.where(t.year_min <= year, t.year_max >= year)
    data = decode(session.execute(stmt.order_by(t.seq)).all())
    keep = np.ones(len(data["row"]), dtype=bool)
    for column, value in (("exporter", exporter), ("importer", importer)):
        if value:
            keep &= data[column] == value.encode()
    if year:
        keep &= data["year"] == year
    at = np.flatnonzero(keep)
    at = at[np.argsort(data["row"][at], kind="stable")]
    if limit:
        at = at[np.argsort(-data["value_kusd"][at], kind="stable")[:limit]]
    out = {}
    for column in IMPORT_COLUMNS:
        values = data[column][at]
        null = is_null(values, column) if column != "hs6" else np.zeros(len(at), dtype=bool)
        out[column] = _cells(values, null)
    return pd.DataFrame(out, columns=list(IMPORT_COLUMNS))


def flow_frame(session: Session, caller: Caller, import_id: int | None,
               hs: Sequence[str] | None = None, *, exporter: str | None = None,
               importer: str | None = None, year: int | None = None,
               limit: int | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:  # fmt: skip
    """Flows of the bundled BACI (``import_id`` None, filtered in SQL) or of a visible
    import (its blocks of the requested HS codes), ``limit``: the largest by value, with
    the source they come from. ``period`` is the year, or year*12+month-1 for monthly
    (customs) data."""
    if import_id is None:
        t = TradeFlow.__table__.c
        cols = [t.year, t.exporter, t.importer, t.hs6, t.value_kusd, t.quantity_t]
        stmt = select(*cols)
        dataset = session.scalar(select(Dataset).where(Dataset.code == "baci-hs92"))
        source = {"source": BUNDLED, "citation": dataset.citation if dataset else None,
                  "monthly": False}  # fmt: skip
        for column, value in (("hs6", hs), ("exporter", exporter), ("importer", importer),
                              ("year", year)):  # fmt: skip
            if value:
                stmt = stmt.where(t[column].in_(list(value)) if column == "hs6"
                                  else t[column] == value)  # fmt: skip
        if limit:
            stmt = stmt.order_by(t.value_kusd.desc()).limit(limit)
        frame = pd.DataFrame(session.execute(stmt).all(), columns=[c.name for c in cols])
    else:
        row = get_import(session, caller, import_id)
        source = {"source": f"import {row.id} ({row.file}, {row.layout} layout)",
                  "citation": None, "monthly": row.layout == "customs"}  # fmt: skip
        frame = _import_flows(session, row.id, hs, exporter, importer, year, limit)
    for column in ("month", "reporter", "flow"):
        if column not in frame:
            frame[column] = None
    monthly = source["monthly"]
    month = pd.to_numeric(frame["month"]).fillna(1).astype("int64")
    frame["period"] = frame["year"] * 12 + month - 1 if monthly else frame["year"]
    return frame, source


def _period_label(period: int, monthly: bool) -> str:
    return f"{period // 12:04d}-{period % 12 + 1:02d}" if monthly else str(int(period))


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


@lru_cache(maxsize=512)
def label(iso3: str | None) -> str | None:
    """A country's name (the code itself for one without a name; None stays None)."""
    if not iso3:
        return None
    try:
        return country_name(iso3)
    except Exception:  # noqa: BLE001 - an aggregate without a name shows its code
        return iso3


LABELLED = ("exporter", "importer", "reporter", "country")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; each country code gets its name beside it."""
    out = []
    for r in frame.to_dict("records"):
        row = {k: _clean(v) for k, v in r.items()}
        row.update({f"{k}_label": label(row[k]) for k in LABELLED if k in row})
        out.append(row)
    return out


def flows(*, session: Session, caller: Caller, import_id: int | None = None,
          hs: Sequence[str] | None = None, exporter: str | None = None,
          importer: str | None = None, year: int | None = None,
          limit: int = 1000) -> dict[str, Any]:  # fmt: skip
    """Flows (largest first) of the bundled BACI or a visible import."""
    if not 1 <= limit <= MAX_ROWS:
        raise _bad("limit", f"between 1 and {MAX_ROWS}")
    frame, source = flow_frame(session, caller, import_id, _hs(hs),
                               exporter=_iso("exporter", exporter),
                               importer=_iso("importer", importer), year=year, limit=limit)
    frame = frame.assign(period=[_period_label(p, source["monthly"]) for p in frame["period"]])
    cols = ["period", "reporter", "flow", "exporter", "importer", "hs6", "value_kusd",
            "quantity_t"]  # fmt: skip
    return {**source, "units": UNITS, "rows": _records(frame[cols])}


def mirror(*, session: Session, caller: Caller, import_id: int, hs: Sequence[str] | None = None,
           country: str | None = None, limit: int = 1000) -> dict[str, Any]:  # fmt: skip
    """Mirror gaps of a customs import: A's declared exports to B against B's declared
    imports from A (largest absolute gaps first)."""
    if not 1 <= limit <= MAX_ROWS:
        raise _bad("limit", f"between 1 and {MAX_ROWS}")
    frame, source = flow_frame(session, caller, import_id, _hs(hs))
    if not source["monthly"]:
        raise _bad("import_id", "an import of declarations (customs layout): BACI flows are "
                   "already reconciled, so they have no mirror")
    gaps = analytics.mirror_gaps(frame)
    iso = _iso("country", country)
    if iso:
        gaps = gaps[(gaps["exporter"] == iso) | (gaps["importer"] == iso)]
    gaps = gaps.reindex(gaps["gap_kusd"].abs().sort_values(ascending=False).index).head(limit)
    gaps = gaps.assign(period=[_period_label(p, source["monthly"]) for p in gaps["period"]])
    note = ("exports are usually declared FOB and imports CIF (freight and insurance "
            "included): imports a few percent above the mirror exports is expected")
    return {**source, "units": UNITS, "valuation": note, "rows": _records(gaps)}


def _start(text: str, monthly: bool) -> int:
    parts = str(text).strip().split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 1
        if not (1900 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except (ValueError, IndexError):
        raise _bad("start", f"a year YYYY or a month YYYY-MM, not {text!r}") from None
    return year * 12 + month - 1 if monthly else year


def _from_measure(session: Session, caller: Caller, key: str, import_id: int | None,
                  origin: str | None, target: str | None, hs: Sequence[str] | None,
                  start: str | None) -> tuple[Any, ...]:  # fmt: skip
    """Origin, target, HS codes and start taken from a visible measure where not given:
    its imposing country, its only named destination, the HS codes of its minerals (the
    bundled BACI's HS 1992 codes, or the forms' codes for an import) and the year or
    month of its effective (else announced) date."""
    from critmin.services.keys import AmbiguousKey, resolve
    from critmin.services.trade_balance import hs_codes_for
    from critmin.store.tables import ExportMeasure, MineralFormRow, MineralRow

    try:
        measure = resolve(session=session, model=ExportMeasure, key=key, caller=caller,
                          label="measure", where=[ExportMeasure.deleted_at.is_(None)])
    except AmbiguousKey as exc:
        raise _bad("measure", str(exc)) from None
    if measure is None:
        raise NotFound(f"no such measure {key!r}")
    origin = origin or measure.imposing_country
    targets = list(measure.target_countries or [])
    if not target and len(targets) != 1:
        raise _bad("target", f"a destination: the measure names {len(targets)}, give one")
    target = target or targets[0]
    if not hs:
        minerals = list(measure.minerals or [])
        if import_id is None:
            rows = session.scalars(select(MineralRow).where(MineralRow.code.in_(minerals)))
            hs = [c["hs6"] for m in rows for c in hs_codes_for(m.code, m.name)]
        else:
            forms = session.scalars(select(MineralFormRow).where(
                MineralFormRow.mineral.in_(minerals)))  # fmt: skip
            hs = sorted({h for f in forms for h in (f.hs_codes or [])})
    when = measure.effective or measure.announced
    if not start and when is None:
        raise _bad("start", "a date: the measure has no effective or announced date")
    start = start or (when.strftime("%Y-%m") if import_id else str(when.year))
    return origin, target, hs, start, {"key": measure.key, "title": measure.title}


def circumvention(*, session: Session, caller: Caller, origin: str | None = None,
                  target: str | None = None, hs: Sequence[str] | None = None,
                  start: str | None = None, import_id: int | None = None,
                  measure: str | None = None, threshold: float = 3.0, min_pre: int = 4,
                  min_post_kusd: float = 0.0) -> dict[str, Any]:  # fmt: skip
    """Third countries whose imports from ``origin`` and exports to ``target`` rose
    together beyond their own history from ``start`` (the measure's year or month).
    With ``measure`` (a key), what is not given is taken from that measure."""
    used = None
    if measure:
        origin, target, hs, start, used = _from_measure(session, caller, measure, import_id,
                                                        origin, target, hs, start)  # fmt: skip
    codes = _hs(hs)
    if not codes:
        raise _bad("hs", "at least one HS six-digit code")
    for field, value in (("origin", origin), ("target", target), ("start", start)):
        if not value:
            raise _bad(field, "a value (or a measure to take it from)")
    a, c = _iso("origin", origin), _iso("target", target)
    if not (threshold > 0 and min_pre >= 2 and min_post_kusd >= 0):
        raise _bad("threshold", "threshold > 0, min_pre >= 2, min_post_kusd >= 0")
    frame, source = flow_frame(session, caller, import_id, codes)
    if source["monthly"]:  # customs declarations: the importer's side of each flow
        frame = frame[(frame["flow"] == "M") & (frame["reporter"] == frame["importer"])]
    period = _start(str(start), source["monthly"])
    try:
        table = analytics.circumvention(frame, origin=a, target=c, hs_codes=codes,
                                        start=period, threshold=threshold, min_pre=min_pre,
                                        min_post_kusd=min_post_kusd)  # fmt: skip
    except ValueError as exc:
        raise _bad("start", str(exc)) from None
    direct = analytics.direct_change(frame, origin=a, target=c, hs_codes=codes, start=period)
    return {**source, "units": UNITS, "measure": used, "origin": a, "target": c,
            "origin_label": label(a), "target_label": label(c), "hs": codes,
            "start": _period_label(period, source["monthly"]), "threshold": threshold,
            "direct": {k: _clean(v) for k, v in direct.items()},
            "flagged": table.loc[table["flagged"], "country"].tolist(),
            "rows": _records(table)}  # fmt: skip
