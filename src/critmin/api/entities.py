"""REST endpoints for the tracked entities, generated from the ``EntitySpec`` registry.

For each of ``/facilities``, ``/measures``, ``/price-series``, ``/stockpile-lots`` and
``/offtakes``: list (filters, ``q``, ``sort``, ``limit``/``offset``), create, detail,
PATCH, soft DELETE, restore and history; plus the observations of a price series.
Responses carry an ETag; PATCH/DELETE/restore (and observation writes, with the
series' ETag) need If-Match: 428 without it, 412 when stale. Every error is a JSON
body ``{"detail": ..., "errors": [{"field", "problem"}]}``; a record the caller may
not see is a 404 identical to a missing one.
"""

import datetime as dt
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from critmin.api.deps import AsciiId, CallerDep, EditorDep, IsoDate, SessionDep
from critmin.api.openapi import error_responses
from critmin.domain.entities import (
    ObservationCreate,
    ObservationPublic,
    ObservationUpdate,
    UtcDatetime,
)
from critmin.services import entities as service
from critmin.services.entities import EntitySpec

MAX_ID = 2**31 - 1
NO_NUL = r"^[^\x00]*$"
Id = Annotated[AsciiId, Path()]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="The ETag of the version you edit.")
]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int
    limit: int
    offset: int


class HistoryEntry(BaseModel):
    id: int
    action: str
    actor: str
    changed_at: UtcDatetime
    source: str | None = None
    changes: dict[str, list[Any]]


class History(BaseModel):
    data: list[HistoryEntry]
    count: int


ERRORS = error_responses(401, 403, 404, 409, 412, 422, 428)
STATUS = (
    (service.NotFound, 404),
    (service.Forbidden, 403),
    (service.Conflict, 409),
    (service.PreconditionFailed, 412),
)


def error_body(detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def _error_response(request: Request, exc: Exception) -> JSONResponse | None:
    """The JSON error for an exception, or None for an unexpected one."""
    if isinstance(exc, RequestValidationError):
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse(error_body("invalid request", errors), status_code=422)
    if isinstance(exc, HTTPException):
        body = exc.detail if isinstance(exc.detail, dict) else error_body(str(exc.detail))
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
    if isinstance(exc, service.InvalidRecord):
        where = "query" if request.method == "GET" else "body"
        errors = [{**e, "field": f"{where}.{e['field']}"} for e in exc.errors]
        return JSONResponse(error_body("invalid record", errors), status_code=422)
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return JSONResponse(error_body(str(exc)), status_code=status)
    if isinstance(exc, IntegrityError):
        return JSONResponse(error_body("conflicts with an existing record"), status_code=409)
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        body = error_body("the database is busy; retry")
        return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})
    return None


class EntityRoute(APIRoute):
    """Renders our errors itself (rolling the request's session back first), so the
    body shape never depends on the app's shared handlers."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                response = _error_response(request, exc)
                if response is None:
                    raise
                session = getattr(request.state, "entities_session", None)
                if session is not None:
                    session.rollback()
                return response

        return guarded


router = APIRouter(route_class=EntityRoute)


def _db(request: Request, session: SessionDep) -> Session:
    request.state.entities_session = session
    return session


DB = Annotated[Session, Depends(_db)]


def etag(spec: EntitySpec, row: Any) -> str:
    """A strong ETag naming the record and its version, e.g. ``"fac12-v3"``."""
    return f'"{spec.etag_prefix}{row.id}-v{row.version}"'


def parse_etag(spec: EntitySpec, id: int, value: str | None) -> int | None:
    """The version in an If-Match value naming this record, or None."""
    for tag in (value or "").split(","):
        head, _, version = tag.strip().removeprefix("W/").strip('"').rpartition("-v")
        if head == f"{spec.etag_prefix}{id}" and version.isdigit():
            return int(version)
    return None


def _version(spec: EntitySpec, id: int, if_match: str | None) -> int:
    if not if_match:
        raise HTTPException(
            428,
            error_body(
                "this needs If-Match with the record's current ETag",
                [{"field": "header.If-Match", "problem": "missing"}],
            ),
        )
    version = parse_etag(spec, id, if_match)
    if version is None:
        raise service.PreconditionFailed(f"If-Match does not name a version of this {spec.name}")
    return version


def _json(model: BaseModel) -> Any:
    return model.model_dump(mode="json")


def _record(
    spec: EntitySpec, row: Any, caller: Any, session: Session | None = None, **kw: Any
) -> JSONResponse:
    """A record's JSON with its ETag; with ``session``, commit first (the shared session
    dependency would commit only after the response is sent: no read-your-writes)."""
    body, tag = _json(service.to_public(spec, row, caller)), etag(spec, row)
    if session is not None:
        session.commit()
    return JSONResponse(body, headers={"ETag": tag, **kw.pop("headers", {})}, **kw)


def _page(page: service.Page, limit: int, offset: int, headers: dict | None = None) -> Response:
    body = {"data": [_json(i) for i in page.items], "count": page.total}
    return JSONResponse({**body, "limit": limit, "offset": offset}, headers=headers)


def _filters(filters: tuple[service.Filter, ...]) -> Callable[..., dict[str, Any]]:
    """A dependency reading each filter as a typed, documented query parameter."""
    params = []
    for f in filters:
        extra: dict[str, Any] = {"ge": 1, "le": MAX_ID} if f.type is int else {}
        if f.type is str:
            extra = {"max_length": 200, "pattern": f.pattern or NO_NUL}
        query = Query(None, description=f.description or None, **extra)
        kind = inspect.Parameter.KEYWORD_ONLY
        annotation = IsoDate if f.type is dt.date else f.type  # "2025-01-31", not "0"
        params.append(inspect.Parameter(f.name, kind, default=query, annotation=annotation | None))

    def dependency(**values: Any) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v is not None}

    dependency.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return dependency


def _sort(sortable: tuple[str, ...]) -> Any:
    return Literal[tuple(s for name in sortable for s in (name, f"-{name}"))]  # type: ignore


def _mount(spec: EntitySpec) -> None:
    """Add the CRUD endpoints of one entity to ``router``."""
    base, item, slug, tags = f"/{spec.path}", f"/{spec.path}/{{id}}", spec.path, [spec.path]
    Create, Update, Public = spec.create, spec.update, spec.public
    Filters = Annotated[dict[str, Any], Depends(_filters(spec.filters))]
    Sort = _sort(spec.sortable)

    @router.get(base, response_model=Page[Public], responses=ERRORS, tags=tags,
                name=f"list_{slug}", summary=f"List {spec.path} visible to you")  # fmt: skip
    def list_records(
        session: DB,
        caller: CallerDep,
        filters: Filters,
        q: str | None = Query(None, max_length=200, pattern=NO_NUL, description="Search text"),
        sort: Sort = spec.default_sort,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_ID),
        deleted: bool = Query(False, description="Your own deleted records instead"),
    ) -> Response:
        page = service.list_page(session=session, caller=caller, spec=spec, filters=filters,
                                 q=q, sort=sort, limit=limit, offset=offset,
                                 deleted=deleted)  # fmt: skip
        return _page(page, limit, offset)

    @router.post(base, status_code=201, response_model=Public, responses=ERRORS, tags=tags,
                 name=f"create_{slug}", summary=f"Create a {spec.name}")  # fmt: skip
    def create_record(request: Request, body: Create, session: DB, caller: EditorDep) -> Response:
        row = service.create(session=session, caller=caller, spec=spec, data=body)
        location = str(request.url_for(f"get_{slug}", id=row.id))
        return _record(spec, row, caller, session, status_code=201,
                       headers={"Location": location})  # fmt: skip

    @router.get(item, response_model=Public, responses=ERRORS, tags=tags,
                name=f"get_{slug}", summary=f"One {spec.name}")  # fmt: skip
    def get_record(
        id: Id,
        session: DB,
        caller: CallerDep,
        if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
    ) -> Response:
        row = service.get_visible(session=session, caller=caller, spec=spec, id=id,
                                  include_deleted=True)  # fmt: skip
        tag = etag(spec, row)
        if if_none_match and tag in [t.strip() for t in if_none_match.split(",")]:
            return Response(status_code=304, headers={"ETag": tag})
        return _record(spec, row, caller)

    @router.patch(item, response_model=Public, responses=ERRORS, tags=tags,
                  name=f"patch_{slug}", summary=f"Change a {spec.name} (If-Match)")  # fmt: skip
    def patch_record(
        id: Id, body: Update, session: DB, caller: EditorDep, if_match: IfMatch = None
    ) -> Response:
        version = _version(spec, id, if_match)
        row = service.patch(session=session, caller=caller, spec=spec, id=id, changes=body,
                            if_match=version)  # fmt: skip
        return _record(spec, row, caller, session)

    @router.delete(item, response_model=Public, responses=ERRORS, tags=tags,
                   name=f"delete_{slug}", summary=f"Soft-delete a {spec.name}")  # fmt: skip
    def delete_record(id: Id, session: DB, caller: EditorDep, if_match: IfMatch = None) -> Response:
        version = _version(spec, id, if_match)
        row = service.delete(session=session, caller=caller, spec=spec, id=id, if_match=version)
        return _record(spec, row, caller, session)

    @router.post(item + "/restore", response_model=Public, responses=ERRORS, tags=tags,
                 name=f"restore_{slug}", summary=f"Restore a deleted {spec.name}")  # fmt: skip
    def restore_record(
        id: Id, session: DB, caller: EditorDep, if_match: IfMatch = None
    ) -> Response:
        version = _version(spec, id, if_match)
        row = service.delete(session=session, caller=caller, spec=spec, id=id,
                             if_match=version, restore=True)  # fmt: skip
        return _record(spec, row, caller, session)

    @router.get(item + "/history", response_model=History, responses=ERRORS, tags=tags,
                name=f"history_{slug}", summary=f"Change log of a {spec.name}")  # fmt: skip
    def record_history(id: Id, session: DB, caller: CallerDep) -> Response:
        entries = service.history(session=session, caller=caller, spec=spec, id=id)
        data = [_json(HistoryEntry.model_validate(e, from_attributes=True)) for e in entries]
        return JSONResponse({"data": data, "count": len(data)})


for _spec in service.SPECS.values():
    _mount(_spec)


# ---------------------------------------------------------------- price observations

SERIES = service.PRICE_SERIES
OBS = "/price-series/{id}/observations"
OBS_ITEM = OBS + "/{obs_id}"
ObsTags = ["price-series"]
ObsFilters = Annotated[dict[str, Any], Depends(_filters(service.OBSERVATION_FILTERS))]
ObsSort = _sort(service.OBSERVATION_SORTABLE)


def _observation(series: Any, obs: Any, session: Session | None = None, **kw: Any) -> JSONResponse:
    body, tag = _json(service.observation_public(obs)), etag(SERIES, series)
    if session is not None:
        session.commit()
    return JSONResponse(body, headers={"ETag": tag, **kw.pop("headers", {})}, **kw)


@router.get(OBS, response_model=Page[ObservationPublic], responses=ERRORS, tags=ObsTags,
            summary="Observations of a price series (ETag: the series')")  # fmt: skip
def list_observations(
    id: Id,
    session: DB,
    caller: CallerDep,
    filters: ObsFilters,
    sort: ObsSort = "date",
    limit: int = Query(500, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> Response:
    series, page = service.list_observations(session=session, caller=caller, series_id=id,
                                             filters=filters, sort=sort, limit=limit,
                                             offset=offset)  # fmt: skip
    return _page(page, limit, offset, headers={"ETag": etag(SERIES, series)})


@router.post(OBS, status_code=201, response_model=ObservationPublic, responses=ERRORS,
             tags=ObsTags, summary="Add an observation (If-Match: the series' ETag)")  # fmt: skip
def add_observation(
    request: Request,
    id: Id,
    body: ObservationCreate,
    session: DB,
    caller: EditorDep,
    if_match: IfMatch = None,
) -> Response:
    version = _version(SERIES, id, if_match)
    series, obs = service.add_observation(session=session, caller=caller, series_id=id,
                                          data=body, if_match=version)  # fmt: skip
    location = str(request.url_for("get_observation", id=id, obs_id=obs.id))
    return _observation(series, obs, session, status_code=201, headers={"Location": location})


@router.get(OBS_ITEM, response_model=ObservationPublic, responses=ERRORS, tags=ObsTags,
            name="get_observation", summary="One observation")  # fmt: skip
def get_observation(id: Id, obs_id: Id, session: DB, caller: CallerDep) -> Response:
    series, obs = service.get_observation(session=session, caller=caller, series_id=id,
                                          obs_id=obs_id)  # fmt: skip
    return _observation(series, obs)


@router.patch(OBS_ITEM, response_model=ObservationPublic, responses=ERRORS, tags=ObsTags,
              summary="Change an observation (If-Match: the series' ETag)")  # fmt: skip
def patch_observation(
    id: Id,
    obs_id: Id,
    body: ObservationUpdate,  # type: ignore[valid-type]
    session: DB,
    caller: EditorDep,
    if_match: IfMatch = None,
) -> Response:
    version = _version(SERIES, id, if_match)
    series, obs = service.patch_observation(session=session, caller=caller, series_id=id,
                                            obs_id=obs_id, changes=body,
                                            if_match=version)  # fmt: skip
    return _observation(series, obs, session)


@router.delete(OBS_ITEM, status_code=204, responses=ERRORS, tags=ObsTags,
               summary="Remove an observation (If-Match: the series' ETag)")  # fmt: skip
def delete_observation(
    id: Id, obs_id: Id, session: DB, caller: EditorDep, if_match: IfMatch = None
) -> Response:
    version = _version(SERIES, id, if_match)
    series = service.delete_observation(session=session, caller=caller, series_id=id,
                                        obs_id=obs_id, if_match=version)  # fmt: skip
    tag = etag(SERIES, series)
    session.commit()
    return Response(status_code=204, headers={"ETag": tag})
