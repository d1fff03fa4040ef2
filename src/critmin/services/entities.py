"""Caller-aware use cases for the tracked entities partners edit: facilities,
export-control measures, price series (and their observations), stockpile lots and
offtake agreements.

Every read and write goes through the sharing rules of :mod:`critmin.services.access`:
a record the caller may not see is "not found", with the same message as a missing
one. Writes need an editor of the owning organisation, a current version (optimistic
concurrency: the caller's If-Match) and land in the change log.

``SPECS`` is the registry the API is generated from: adding an entity is one more
:class:`EntitySpec` (path, table, schemas, filters, sort keys, references), not code.

Keys are unique per owning organisation: a key another organisation uses is free for
yours. A measure's ``relates_to`` names a measure by key, as its owner sees them (see
:func:`visible_relations`), and is shown only to callers who may see that measure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from critmin.domain import entities as schemas
from critmin.domain import vocab
from critmin.domain.enums import Frequency, MeasureType, ObservationKind, Qualifier, Sharing
from critmin.domain.prices import observation_unit
from critmin.services import access
from critmin.services.auth import ANONYMOUS, Caller, Role, partner_ids
from critmin.services.keys import AmbiguousKey, pick, resolve
from critmin.services.tracker import Conflict, Forbidden, InvalidRecord, PreconditionFailed
from critmin.store import entities as store
from critmin.store.entities import Filter
from critmin.store.tables import (
    ExportMeasure,
    Facility,
    OfftakeAgreement,
    PriceObservation,
    PriceSeries,
    Project,
    StockpileLot,
)

ISO3_PATTERN = r"^[A-Za-z]{3}$"


class NotFound(LookupError):
    """No such record, or one the caller may not see (indistinguishable on purpose)."""


@dataclass(frozen=True)
class Reference:
    """``field`` must name a visible, undeleted ``model`` row by its ``column``."""

    field: str
    model: type
    column: str
    label: str


@dataclass(frozen=True)
class EntitySpec:
    """Everything the generic service and API need to know about one entity."""

    name: str
    path: str
    model: type
    create: type[BaseModel]
    update: type[BaseModel]
    public: type[BaseModel]
    etag_prefix: str
    filters: tuple[Filter, ...] = ()
    sortable: tuple[str, ...] = ("id",)
    default_sort: str = "id"
    search: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    immutable: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        """The editable fields (those of the Create schema; all are columns)."""
        return tuple(self.create.model_fields)

    @property
    def not_found(self) -> str:
        return f"no such {self.name}"


def _country(name: str, column: str, op: str = "eq") -> Filter:
    return Filter(name, column, op, description="ISO3 code or country name (CAN, Canada)",
                  normalise=vocab.resolve_country)  # fmt: skip


def _mineral(column: str, op: str = "eq") -> Filter:
    return Filter("mineral", column, op, description="mineral code or name, e.g. gallium",
                  normalise=vocab.resolve_mineral)  # fmt: skip


def _form(column: str, op: str = "eq") -> Filter:
    return Filter("form", column, op, description="traded form code, e.g. apt",
                  normalise=vocab.resolve_form)  # fmt: skip


COMMON_FILTERS = (
    Filter("sharing", "sharing", type=Sharing, description="public, partners or owner"),
    Filter("owner_org_id", "owner_org_id", type=int, description="owning organisation id"),
)

# fmt: off
FACILITIES = EntitySpec(
    "facility", "facilities", Facility, schemas.FacilityCreate, schemas.FacilityUpdate,
    schemas.FacilityPublic, etag_prefix="fac",
    filters=(_country("country", "country"), Filter("kind", "kind"),
             _mineral("minerals", "has"),
             *COMMON_FILTERS),
    sortable=("name", "key", "country", "kind", "operator", "id", "updated_at"),
    default_sort="name", search=("key", "name", "operator", "site"), immutable=("key",),
)
MEASURES = EntitySpec(
    "measure", "measures", ExportMeasure, schemas.MeasureCreate, schemas.MeasureUpdate,
    schemas.MeasurePublic, etag_prefix="msr",
    filters=(_country("imposing_country", "imposing_country"),
             _country("target_country", "target_countries", "has"),
             _mineral("minerals", "has"), _form("forms", "has"),
             Filter("measure_type", "measure_type", type=MeasureType),
             Filter("active_on", "effective", "active_on", dt.date, "in force on", "expiry"),
             *COMMON_FILTERS),
    sortable=("key", "title", "imposing_country", "measure_type", "announced", "effective",
              "expiry", "id", "updated_at"),
    default_sort="-effective",
    search=("key", "title", "title_original", "description", "legal_basis"),
    references=(Reference("relates_to", ExportMeasure, "key", "measure"),), immutable=("key",),
)
PRICE_SERIES = EntitySpec(
    "price series", "price-series", PriceSeries, schemas.PriceSeriesCreate,
    schemas.PriceSeriesUpdate, schemas.PriceSeriesPublic, etag_prefix="ps",
    filters=(_mineral("mineral"), _form("form"), Filter("market", "market"),
             Filter("unit", "unit"), Filter("frequency", "frequency", type=Frequency),
             *COMMON_FILTERS),
    sortable=("key", "mineral", "form", "market", "unit", "frequency", "id", "updated_at"),
    default_sort="key", search=("key", "market", "description"), immutable=("key",),
)
STOCKPILE_LOTS = EntitySpec(
    "stockpile lot", "stockpile-lots", StockpileLot, schemas.StockpileLotCreate,
    schemas.StockpileLotUpdate, schemas.StockpileLotPublic, etag_prefix="sl",
    filters=(_mineral("mineral"), _form("form"), Filter("unit", "unit"),
             Filter("expires_before", "expires", "lte", dt.date, "expires on or before"),
             Filter("expires_after", "expires", "gte", dt.date, "expires on or after"),
             *COMMON_FILTERS),
    sortable=("mineral", "form", "quantity", "acquired", "expires", "cost_usd", "id",
              "updated_at"),
    default_sort="id", search=("location", "form"),
)
OFFTAKES = EntitySpec(
    "offtake agreement", "offtakes", OfftakeAgreement, schemas.OfftakeCreate,
    schemas.OfftakeUpdate, schemas.OfftakePublic, etag_prefix="off",
    filters=(_mineral("mineral"), _form("form"),
             Filter("project_id", "project_id", type=int), Filter("buyer", "buyer"),
             Filter("seller", "seller"),
             Filter("active_on", "start", "active_on", dt.date, "in force on", "end"),
             *COMMON_FILTERS),
    sortable=("buyer", "seller", "mineral", "volume_tpa", "start", "end", "id", "updated_at"),
    default_sort="id", search=("buyer", "seller"),
    references=(Reference("project_id", Project, "id", "project"),),
)
# fmt: on

SPECS: dict[str, EntitySpec] = {
    s.path: s for s in (FACILITIES, MEASURES, PRICE_SERIES, STOCKPILE_LOTS, OFFTAKES)
}

OBSERVATION_FIELDS = tuple(schemas.ObservationCreate.model_fields)
OBSERVATION_FILTERS = (
    Filter("kind", "kind", type=ObservationKind),
    Filter("qualifier", "qualifier", type=Qualifier),
    Filter("date_from", "date", "gte", dt.date, "on or after"),
    Filter("date_to", "date", "lte", dt.date, "on or before"),
)
OBSERVATION_SORTABLE = ("date", "value", "id")


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int


# ---------------------------------------------------------------- helpers


def _validate(schema: type[BaseModel], data: Any) -> BaseModel:
    if isinstance(data, schema):
        return data
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", exclude_unset=True)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecord(schemas.problems(exc)) from None


def _changes(data: Mapping[str, Any] | BaseModel, allowed: tuple[str, ...]) -> dict[str, Any]:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", exclude_unset=True)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidRecord([{"field": k, "problem": "unknown field"} for k in unknown])
    return dict(data)


def _claim(spec: EntitySpec, session: Session, id: int, version: int) -> Any:
    """Move the record on from ``version`` (or PreconditionFailed); the row, reloaded."""
    try:
        store.claim_version(session=session, model=spec.model, id=id, expected_version=version)
    except store.StaleVersion:
        msg = f"the {spec.name} changed since that ETag was issued; GET it again"
        raise PreconditionFailed(msg) from None
    return store.get(session=session, model=spec.model, id=id, fresh=True)


def _check_editable(spec: EntitySpec, row: Any, caller: Caller) -> None:
    if row.owner_org_id is None:
        raise Forbidden(f"this {spec.name} is bundled reference data and read-only")
    if not access.can_edit(row, caller):
        raise Forbidden(f"only editors of the owning organisation may change this {spec.name}")


def _check_references(
    session: Session, caller: Caller, spec: EntitySpec, record: BaseModel, only: Any = None
) -> None:
    """Referenced records must exist and be visible to the caller (hidden = missing)."""
    errors = []
    for ref in spec.references:
        value = getattr(record, ref.field)
        if value is None or (only is not None and ref.field not in only):
            continue
        target = ref.model
        live = [target.deleted_at.is_(None)]
        if ref.column == "key":  # keys are per owner: the caller's, the reference data's, ...
            try:
                found = resolve(session=session, model=target, key=value, caller=caller,
                                label=ref.label, where=live)  # fmt: skip
            except AmbiguousKey as exc:
                errors.append({"field": ref.field, "problem": str(exc)})
                continue
        else:
            stmt = select(target.id).where(
                getattr(target, ref.column) == value, *live, access.visible_clause(target, caller)
            )
            found = session.scalar(stmt.limit(1))
        if found is None:
            errors.append({"field": ref.field, "problem": f"no {ref.label} {value!r}"})
    if errors:
        raise InvalidRecord(errors)


def _page(
    session: Session,
    model: type,
    where: list[Any],
    filters: tuple[Filter, ...],
    values: Mapping[str, Any] | None,
    sortable: tuple[str, ...],
    sort: str,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    if sort.lstrip("-") not in sortable:
        problem = f"use one of {', '.join(sortable)} (prefix - for descending)"
        raise InvalidRecord([{"field": "sort", "problem": problem}])
    known = {f.name: f for f in filters}
    unknown = sorted(set(values or {}) - set(known))
    if unknown:
        raise InvalidRecord([{"field": k, "problem": "unknown filter"} for k in unknown])
    chosen = [(known[k], v) for k, v in (values or {}).items() if v is not None]
    bad = []
    for f, value in chosen:  # values outside a vocabulary: 422 naming the known values
        if f.normalise is not None and isinstance(value, str):
            try:
                f.normalise(value)
            except vocab.UnknownValue as exc:
                bad.append({"field": f.name, "problem": str(exc)})
    if bad:
        raise InvalidRecord(bad)
    return store.page(session=session, model=model, where=where, filters=chosen, sort=sort,
                      limit=limit, offset=offset)  # fmt: skip


# ---------------------------------------------------------------- records


def _relations(session: Session, rows: Sequence[Any]) -> dict[int, ExportMeasure]:
    """The measure each of ``rows`` relates to (by id; measures resolving to none left out).

    ``relates_to`` is a key, read as the measure's owner reads it: the owner's own
    measure with that key, else the reference data's, else the one other undeleted
    measure with that key the owner may see (several: unresolved). The same whoever
    asks; :func:`visible_relations` then keeps what the caller may see.
    """
    keys = {r.relates_to for r in rows if getattr(r, "relates_to", None)}
    if not keys:
        return {}
    stmt = select(ExportMeasure).where(
        ExportMeasure.key.in_(sorted(keys)), ExportMeasure.deleted_at.is_(None)
    )
    by_key: dict[str, list[ExportMeasure]] = defaultdict(list)
    for m in session.scalars(stmt.order_by(ExportMeasure.id)):
        by_key[m.key].append(m)
    views: dict[int | None, Caller] = {None: ANONYMOUS}
    out = {}
    for row in rows:
        if not getattr(row, "relates_to", None):
            continue
        owner = row.owner_org_id
        if owner not in views:
            partners = partner_ids(session=session, org_id=owner)
            views[owner] = Caller(org_id=owner, partner_org_ids=partners)
        seen = [m for m in by_key.get(row.relates_to, [])
                if access.level_allows(m.sharing, m.owner_org_id, views[owner])]  # fmt: skip
        try:
            target = pick(seen, owner, "measure", row.relates_to)
        except AmbiguousKey:
            target = None
        if target is not None:
            out[row.id] = target
    return out


def visible_relations(
    *, session: Session, rows: Sequence[Any], caller: Caller
) -> dict[int, ExportMeasure]:
    """For each of the measures ``rows``, the measure its ``relates_to`` names, where
    ``caller`` may see that measure (by the measure's id)."""
    related = _relations(session, rows)
    return {i: m for i, m in related.items() if access.can_see(m, caller)}


def to_public(
    spec: EntitySpec,
    row: Any,
    caller: Caller,
    related: Mapping[int, ExportMeasure] | None = None,
) -> BaseModel:
    """The API body of a record, with the caller's edit right.

    A measure's ``relates_to`` is shown only if the caller may see the measure it names
    (``related``: from :func:`visible_relations`, computed here when not given).
    """
    names = [f for f in spec.public.model_fields if f not in ("deleted", "editable")]
    data = {f: getattr(row, f) for f in names}
    data.update(deleted=row.deleted_at is not None, editable=access.can_edit(row, caller))
    if data.get("relates_to") is not None:
        session = object_session(row)
        if related is None and session is not None:
            related = visible_relations(session=session, rows=[row], caller=caller)
        target = (related or {}).get(row.id)
        data["relates_to"] = target.key if target is not None else None
    return spec.public.model_validate(data)


def list_page(
    *,
    session: Session,
    caller: Caller,
    spec: EntitySpec,
    filters: Mapping[str, Any] | None = None,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    deleted: bool = False,
) -> Page:
    """A page of the records the caller may see, and their total; ``deleted`` lists the
    caller's own deleted records instead (to restore them)."""
    model = spec.model
    where = [access.visible_clause(model, caller)]
    if deleted:
        where += [model.deleted_at.is_not(None), access.own_clause(model, caller)]
    else:
        where.append(model.deleted_at.is_(None))
    if q:
        where.append(store.search_clause(model, spec.search, q))
    rows, total = _page(session, model, where, spec.filters, filters, spec.sortable,
                        sort or spec.default_sort, limit, offset)  # fmt: skip
    related = (
        visible_relations(session=session, rows=rows, caller=caller)
        if model is ExportMeasure else {}
    )  # fmt: skip
    return Page([to_public(spec, r, caller, related) for r in rows], total)


def get_visible(
    *, session: Session, caller: Caller, spec: EntitySpec, id: int, include_deleted: bool = False
) -> Any:
    """The record if the caller may see it (its owner also when deleted, if asked); else
    NotFound with the same message as for a missing id.

    The visibility condition is part of the one SELECT, so a hidden record takes exactly
    the path of a missing one.
    """
    model = spec.model
    live = model.deleted_at.is_(None)
    if include_deleted:
        live = or_(live, access.own_clause(model, caller))
    where = [access.visible_clause(model, caller), live]
    row = store.get_where(session=session, model=model, id=id, where=where)
    if row is None:
        raise NotFound(spec.not_found)
    return row


def create(
    *, session: Session, caller: Caller, spec: EntitySpec, data: Mapping[str, Any] | BaseModel
) -> Any:
    """Create a record owned by the caller's organisation (editors and admins only)."""
    if caller.anonymous or not caller.at_least(Role.EDITOR):
        raise Forbidden(f"creating a {spec.name} needs an editor or admin token")
    record = _validate(spec.create, data)
    _check_references(session, caller, spec, record)
    key = getattr(record, "key", None)
    if key is not None and store.find_by_key(
        session=session, model=spec.model, key=key, owner_org_id=caller.org_id
    ):
        raise Conflict(f"the key {key!r} is already taken by your organisation's {spec.name}")
    values = store.column_values(spec.model, record)
    return store.create(session=session, model=spec.model, values=values, actor=caller.label,
                        owner_org_id=caller.org_id, source="api")  # fmt: skip


def patch(
    *,
    session: Session,
    caller: Caller,
    spec: EntitySpec,
    id: int,
    changes: Mapping[str, Any] | BaseModel,
    if_match: int,
) -> Any:
    """Merge ``changes`` into the record; of concurrent patches from one version one wins.
    A patch that changes nothing leaves the version (and ETag) as it was."""
    changes = _changes(changes, spec.fields)
    row = get_visible(session=session, caller=caller, spec=spec, id=id, include_deleted=True)
    _check_editable(spec, row, caller)
    if row.deleted_at is not None:
        raise Conflict(f"this {spec.name} is deleted; restore it first")
    for name in spec.immutable:
        if name in changes and changes[name] != getattr(row, name):
            raise InvalidRecord([{"field": name, "problem": f"the {name} cannot change"}])
    row = _claim(spec, session, id, if_match)
    record = _validate(spec.create, store.snapshot(row, spec.fields) | changes)
    _check_references(session, caller, spec, record, only=changes)
    values = store.column_values(spec.model, record)
    store.update(session=session, row=row, values=values, actor=caller.label, source="api",
                 claimed_from=if_match)  # fmt: skip
    return row


def delete(
    *,
    session: Session,
    caller: Caller,
    spec: EntitySpec,
    id: int,
    if_match: int,
    restore: bool = False,
) -> Any:
    """Soft delete (or restore) a record."""
    row = get_visible(session=session, caller=caller, spec=spec, id=id, include_deleted=True)
    _check_editable(spec, row, caller)
    if (row.deleted_at is not None) != restore:
        raise Conflict(f"this {spec.name} is {'not' if restore else 'already'} deleted")
    row = _claim(spec, session, id, if_match)
    store.set_deleted(session=session, row=row, deleted=not restore, actor=caller.label,
                      source="api", bump_version=False)  # fmt: skip
    return row


def history(*, session: Session, caller: Caller, spec: EntitySpec, id: int) -> list[Any]:
    """The change log (``ChangeLog`` rows) of a record the caller may see, oldest first."""
    row = get_visible(session=session, caller=caller, spec=spec, id=id, include_deleted=True)
    return store.history(session=session, model=spec.model, id=row.id)


# ---------------------------------------------------------------- price observations


def observation_public(obs: PriceObservation) -> schemas.ObservationPublic:
    names = schemas.ObservationPublic.model_fields
    return schemas.ObservationPublic.model_validate({f: getattr(obs, f) for f in names})


def _series(session: Session, caller: Caller, id: int, *, edit: bool = False) -> PriceSeries:
    row = get_visible(session=session, caller=caller, spec=PRICE_SERIES, id=id)
    if edit:
        _check_editable(PRICE_SERIES, row, caller)
    return row


def _observation(session: Session, series: PriceSeries, obs_id: int) -> PriceObservation:
    """An observation of ``series`` (one SELECT: another series' is like a missing one)."""
    where = [PriceObservation.series_id == series.id]
    obs = store.get_where(session=session, model=PriceObservation, id=obs_id, where=where)
    if obs is None:
        raise NotFound("no such price observation")
    return obs


def _observation_values(series: PriceSeries, record: BaseModel) -> dict[str, Any]:
    values = store.column_values(PriceObservation, record)
    values["unit"] = values["unit"] or observation_unit(values["kind"], series.unit)
    if values["kind"] == ObservationKind.LEVEL and values["unit"] != series.unit:
        problem = f"a level must be in the series' unit {series.unit}"
        raise InvalidRecord([{"field": "unit", "problem": problem}])
    return values


def _log_series(session: Session, series: PriceSeries, caller: Caller, changes: dict) -> None:
    store.touch(row=series, bump_version=False)
    session.flush()
    store.log(session=session, row=series, action="update", actor=caller.label,
              changes=changes, source="api")  # fmt: skip


def list_observations(
    *,
    session: Session,
    caller: Caller,
    series_id: int,
    filters: Mapping[str, Any] | None = None,
    sort: str = "date",
    limit: int = 500,
    offset: int = 0,
) -> tuple[PriceSeries, Page]:
    """The series (visible to the caller) and a page of its observations."""
    series = _series(session, caller, series_id)
    where = [PriceObservation.series_id == series.id]
    rows, total = _page(session, PriceObservation, where, OBSERVATION_FILTERS, filters,
                        OBSERVATION_SORTABLE, sort, limit, offset)  # fmt: skip
    return series, Page([observation_public(o) for o in rows], total)


def get_observation(
    *, session: Session, caller: Caller, series_id: int, obs_id: int
) -> tuple[PriceSeries, PriceObservation]:
    series = _series(session, caller, series_id)
    return series, _observation(session, series, obs_id)


def add_observation(
    *,
    session: Session,
    caller: Caller,
    series_id: int,
    data: Mapping[str, Any] | BaseModel,
    if_match: int,
) -> tuple[PriceSeries, PriceObservation]:
    """Add an observation; the series' version moves on (its If-Match is needed)."""
    series = _series(session, caller, series_id, edit=True)
    values = _observation_values(series, _validate(schemas.ObservationCreate, data))
    series = _claim(PRICE_SERIES, session, series_id, if_match)
    obs = store.add(
        session=session, model=PriceObservation, values={**values, "series_id": series_id}
    )
    new = store.snapshot(obs, OBSERVATION_FIELDS)
    _log_series(session, series, caller, {f"observations.{obs.id}": [None, new]})
    return series, obs


def patch_observation(
    *,
    session: Session,
    caller: Caller,
    series_id: int,
    obs_id: int,
    changes: Mapping[str, Any] | BaseModel,
    if_match: int,
) -> tuple[PriceSeries, PriceObservation]:
    """Change an observation; the series' version moves on and the change is logged on it."""
    changes = _changes(changes, OBSERVATION_FIELDS)
    _observation(session, _series(session, caller, series_id, edit=True), obs_id)
    series = _claim(PRICE_SERIES, session, series_id, if_match)
    obs = store.get(session=session, model=PriceObservation, id=obs_id, fresh=True)
    merged = store.snapshot(obs, OBSERVATION_FIELDS) | changes
    record = _validate(schemas.ObservationCreate, merged)
    diff = store.assign(row=obs, values=_observation_values(series, record))
    if diff:
        _log_series(session, series, caller,
                    {f"observations.{obs_id}.{k}": v for k, v in diff.items()})  # fmt: skip
    else:  # nothing changed: no new version
        series.version = if_match
    return series, obs


def delete_observation(
    *, session: Session, caller: Caller, series_id: int, obs_id: int, if_match: int
) -> PriceSeries:
    """Remove an observation (its values stay in the series' change log)."""
    obs = _observation(session, _series(session, caller, series_id, edit=True), obs_id)
    series = _claim(PRICE_SERIES, session, series_id, if_match)
    old = store.snapshot(obs, OBSERVATION_FIELDS)
    store.remove(session=session, row=obs)
    _log_series(session, series, caller, {f"observations.{obs_id}": [old, None]})
    return series
