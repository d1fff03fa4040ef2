"""Curated YAML (export-control measures, price series, claims) -> export_measures,
price_series, claims.

Each record's ``description``/``note`` is what users read; how a curator compiled it
(judgements, what the source leaves out) is its ``curation_note``, shown only on
request. Records are validated whole (:class:`~critmin.domain.measures.MeasureFile`,
:class:`~critmin.domain.prices.PriceFile`) and upserted by ``key``. Each record's
``dataset_id`` is the dataset of its first cited document (a seed document or a USGS
chapter, see :func:`~critmin.ingest.datasets.dataset_for_document`); its citations go
to the ``sources`` JSON column. Bundled records are public and have no owner.
Creates and updates are written to ``change_log``; a record that has not changed is
left alone (no new version, no log entry).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.domain.claims import ClaimFile, ClaimRecord
from critmin.domain.measures import MeasureFile, MeasureRecord
from critmin.domain.prices import PriceFile, PriceSeriesRecord, observation_unit
from critmin.domain.provenance import SourceRef
from critmin.ingest.datasets import CURATED_DIR, dataset_for_document, ensure_datasets
from critmin.ingest.errors import IngestError, Problem, raise_problems, validation_problems
from critmin.store.entities import find_by_key
from critmin.store.history import diff, record_change
from critmin.store.tables import Claim, ExportMeasure, PriceObservation, PriceSeries

MEASURES_FILE = CURATED_DIR / "measures.yaml"
PRICES_FILE = CURATED_DIR / "prices.yaml"
CLAIMS_FILE = CURATED_DIR / "claims.yaml"
CLAIM_FIELDS = ("mineral", "topic", "statement", "figures", "date", "date_precision",
                "curation_note")  # fmt: skip
ACTOR = "critmin bundled data"
MEASURE_FIELDS = (
    "title", "title_original", "imposing_country", "target_countries", "minerals", "forms",
    "measure_type", "extraterritorial", "announced", "effective", "expiry", "expiry_derived",
    "date_precision", "relates_to", "legal_basis", "description", "curation_note",
    "announced_precision", "effective_precision", "expiry_precision", "announced_derived",
    "effective_derived", "end_users", "end_use",
)  # fmt: skip
SERIES_FIELDS = ("mineral", "form", "purity", "market", "unit", "frequency", "description",
                 "curation_note")  # fmt: skip
OBS_FIELDS = ("date", "date_precision", "kind", "qualifier", "value", "unit", "window",
              "relative_to", "reference", "note", "curation_note")  # fmt: skip


def _read_yaml(path: Path, top: str) -> dict[str, Any]:
    file = str(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise IngestError([Problem(file, row, "(document)", None, f"valid YAML ({exc})")]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get(top), list):
        raise IngestError([Problem(file, None, top, None, f"a top-level list '{top}'")])
    return doc


def _validate(path: Path, top: str, item_model: type[BaseModel], file_model: type[BaseModel]):
    """Validate each item (problems numbered by item), then the file as a whole."""
    doc, file = _read_yaml(path, top), str(path)
    problems: list[Problem] = []
    for index, item in enumerate(doc[top], start=1):
        try:
            item_model.model_validate(item)
        except ValidationError as exc:
            problems.extend(validation_problems(exc, file=file, row=index))
    raise_problems(problems)
    try:
        return file_model.model_validate(doc)
    except ValidationError as exc:
        raise IngestError(validation_problems(exc, file=file, row=None)) from None


def parse_measures(path: Path = MEASURES_FILE) -> list[MeasureRecord]:
    """The measures of a curated YAML file; IngestError names item and field of each problem."""
    return _validate(path, "measures", MeasureRecord, MeasureFile).measures


def parse_prices(path: Path = PRICES_FILE) -> list[PriceSeriesRecord]:
    """The price series of a curated YAML file, validated like :func:`parse_measures`."""
    return _validate(path, "series", PriceSeriesRecord, PriceFile).series


def parse_claims(path: Path = CLAIMS_FILE) -> list[ClaimRecord]:
    """The sourced claims of a curated YAML file, validated like :func:`parse_measures`."""
    return _validate(path, "claims", ClaimRecord, ClaimFile).claims


def _sources(refs: list[SourceRef]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in refs]


def _dataset(refs: list[SourceRef], ids: dict[str, int]) -> int | None:
    for ref in refs:
        code = dataset_for_document(ref.document)
        if code is not None:
            return ids[code]
    return None


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _upsert(
    session: Session,
    row: Any,
    model: type,
    key: str,
    values: dict[str, Any],
    *,
    actor: str,
    source: str,
    extra: dict[str, list[Any]] | None = None,
    shared: bool = True,
) -> tuple[str, Any]:
    """Create or update a keyed record and log the change; (action, row).

    ``extra`` adds changes that are not columns (e.g. replaced observations). A
    ``shared`` record (with sharing and a version) is public reference data without an
    owner, and its version moves on with each update.
    """
    if row is None:
        owned = {"sharing": "public", "owner_org_id": None} if shared else {}
        row = model(key=key, **owned, **values)
        session.add(row)
        session.flush()
        changes = {k: [None, _json(v)] for k, v in values.items() if k != "sources"}
        action = "create"
    else:
        old = {k: _json(getattr(row, k)) for k in values}
        changes = {**diff(old, {k: _json(v) for k, v in values.items()}), **(extra or {})}
        if not changes:
            return "unchanged", row
        for k, v in values.items():
            setattr(row, k, v)
        if shared:
            row.version = (row.version or 1) + 1
        session.flush()
        action = "update"
    record_change(session=session, table=model.__tablename__, record_id=row.id, record_key=key,
                  action=action, actor=actor, changes=changes, source=source)  # fmt: skip
    return action, row


def store_measure(
    session: Session, record: MeasureRecord, *, dataset_id: int | None, actor: str, source: str
) -> str:
    """Upsert one measure by key; returns ``create``, ``update`` or ``unchanged``."""
    values = {f: getattr(record, f) for f in MEASURE_FIELDS}
    values.update(dataset_id=dataset_id, sources=_sources(record.sources),
                  items=[i.model_dump(mode="json") for i in record.items],
                  milestones=[m.model_dump(mode="json") for m in record.milestones])  # fmt: skip
    row = find_by_key(session=session, model=ExportMeasure, key=record.key, owner_org_id=None)
    return _upsert(session, row, ExportMeasure, record.key, values, actor=actor, source=source)[0]


def store_claim(
    session: Session, record: ClaimRecord, *, dataset_id: int | None, actor: str, source: str
) -> str:
    """Upsert one claim by key (replaced when it differs, logged); the action taken."""
    values = record.model_dump(mode="json", include=set(CLAIM_FIELDS))
    values["date"] = record.date
    values.update(dataset_id=dataset_id, sources=_sources(record.sources))
    row = session.scalar(select(Claim).where(Claim.key == record.key))
    return _upsert(session, row, Claim, record.key, values, actor=actor, source=source,
                   shared=False)[0]  # fmt: skip


def _obs_key(o: dict[str, Any]) -> tuple[Any, ...]:
    return (*(o[f] for f in OBS_FIELDS), o["dataset_id"], json.dumps(o["sources"], sort_keys=True))


def store_price_series(
    session: Session,
    record: PriceSeriesRecord,
    *,
    dataset_id: int | None,
    ids: dict[str, int],
    actor: str,
    source: str,
) -> str:
    """Upsert a series by key with its observations (replaced as a whole when they differ).

    An observation's ``dataset_id`` is that of its own first cited document, else the
    series'; its unit is the series' unit for a level, ``percent_change`` or ``ratio``.
    """
    new = [
        {**{f: getattr(o, f) for f in OBS_FIELDS if f != "unit"},
         "unit": observation_unit(o.kind, record.unit),
         "dataset_id": _dataset(o.sources, ids) or dataset_id, "sources": _sources(o.sources)}
        for o in record.observations
    ]  # fmt: skip
    values: dict[str, Any] = {f: getattr(record, f) for f in SERIES_FIELDS}
    values.update(dataset_id=dataset_id, sources=[])
    row = find_by_key(session=session, model=PriceSeries, key=record.key, owner_org_id=None)
    cols = (*OBS_FIELDS, "dataset_id", "sources")
    old = [] if row is None else [{c: getattr(o, c) for c in cols} for o in row.observations]
    same = sorted(map(_obs_key, old), key=repr) == sorted(map(_obs_key, new), key=repr)
    extra = None if same or row is None else {"observations": [len(old), len(new)]}
    action, row = _upsert(session, row, PriceSeries, record.key, values, actor=actor,
                          source=source, extra=extra)  # fmt: skip
    if not same:
        row.observations.clear()
        session.flush()
        row.observations.extend(PriceObservation(**o) for o in new)
        session.flush()
    return action


def load_curated(
    session: Session,
    *,
    measures: Path = MEASURES_FILE,
    prices: Path = PRICES_FILE,
    claims: Path = CLAIMS_FILE,
    actor: str = ACTOR,
) -> dict[str, int]:
    """Validate every file, then upsert measures, price series and claims, then evaluate
    the measure and price alert rules (:mod:`critmin.services.monitor`); counts of writes."""
    measure_records = parse_measures(measures)
    series_records = parse_prices(prices)
    claim_records = parse_claims(claims)
    ids = ensure_datasets(session, ["seed-gallium-csis", "seed-tungsten-232"])
    docs = {
        ref.document
        for rec in [*measure_records, *(o for s in series_records for o in s.observations),
                    *claim_records]
        for ref in rec.sources
    }
    codes = sorted({c for d in docs if (c := dataset_for_document(d)) is not None})
    ids.update(ensure_datasets(session, codes))
    written = {"export_measures": 0, "price_series": 0, "claims": 0}
    for record in measure_records:
        action = store_measure(session, record, dataset_id=_dataset(record.sources, ids),
                               actor=actor, source=f"curated/{measures.name}")  # fmt: skip
        written["export_measures"] += action != "unchanged"
    for series in series_records:
        refs = [r for o in series.observations for r in o.sources]
        action = store_price_series(session, series, dataset_id=_dataset(refs, ids), ids=ids,
                                    actor=actor, source=f"curated/{prices.name}")  # fmt: skip
        written["price_series"] += action != "unchanged"
    for claim in claim_records:
        action = store_claim(session, claim, dataset_id=_dataset(claim.sources, ids), actor=actor,
                             source=f"curated/{claims.name}")  # fmt: skip
        written["claims"] += action != "unchanged"
    from critmin.services.auth import LOCAL
    from critmin.services.monitor import evaluate_after_import

    session.flush()
    evaluate_after_import(session, LOCAL, prices=True, measures=True)
    return written
