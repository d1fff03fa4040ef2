"""Supply-network exposure endpoints: stored networks (list; upload for editors) and the
questions asked of one (country exposure, chokepoints, what-if, paths, dashboard).

Every read goes through the sharing rules: a network the caller may not see is a 404
identical to a missing one and never enters a list or a number. Bad query values are a
422 naming the parameter; a bad file a 422 listing ``problems`` (file, row, column,
value, expected); a name the caller's organisation already uses a 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from critmin.api.deps import CallerDep, EditorDep, SessionDep
from critmin.api.replies import answer as _answer
from critmin.api.replies import private_error as _error
from critmin.services import exposure as service
from critmin.services import exposure_store as store
from critmin.services.auth import Caller

router = APIRouter(prefix="/exposure", tags=["exposure"])

NetworkId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A stored network's id.")]
Text = r"^[^\x00]*$"
Countries = Annotated[list[str] | None, Query(max_length=50, description=(
    "ISO3 codes or country names (repeat)."))]  # fmt: skip
Suppliers = Annotated[list[str] | None, Query(max_length=1000, description=(
    "Node ids of a supplier set (repeat)."))]  # fmt: skip
Minerals = Annotated[list[str] | None, Query(max_length=50, description=(
    "Minerals whose producing nodes are the targets (repeat)."))]  # fmt: skip
Top = Annotated[int, Query(ge=1, le=1000, description="How many to list.")]
FILES = ("nodes", "edges", "bom")
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "properties": {f: {"type": "string", "format": "binary"} for f in FILES},
        }}},
    }
}  # fmt: skip


@router.get("/networks", summary="Stored supply networks the caller may see")
def list_networks(session: SessionDep, caller: CallerDep) -> Response:
    """Id, name, description, node and edge counts, owner, sharing and whether it is
    synthetic, by name."""
    return _answer(lambda: {"data": store.list_networks(session=session, caller=caller)})


def _run_upload(session: Session, caller: Caller, files: dict[str, tuple[str, bytes]],
                options: dict[str, Any]) -> Response:  # fmt: skip
    def work() -> dict[str, Any]:
        summary = store.import_files(
            session=session, caller=caller, files={k: n for k, (n, _) in files.items()},
            **{k: raw for k, (_, raw) in files.items()}, **options)  # fmt: skip
        session.commit()
        return summary

    response = _answer(work)
    if response.status_code >= 400:
        session.rollback()
    return response


@router.post("/networks", summary="Upload a supply network (CSV or Parquet; atomic)",
             openapi_extra=UPLOAD_BODY, status_code=201)  # fmt: skip
async def upload_network(
    request: Request,
    session: SessionDep,
    caller: EditorDep,
    name: Annotated[str, Query(min_length=1, max_length=120, pattern=Text,
                               description="The network's name (new for your organisation).")],
    sharing: Annotated[str | None, Query(pattern=r"^(public|partners|owner)$",
                                         description="Default: owner only.")] = None,
    description: Annotated[str | None, Query(max_length=1000, pattern=Text)] = None,
    replace: Annotated[bool, Query(description="Replace your network of that name (its "
                                   "sharing is never widened).")] = False,
) -> Response:
    """Multipart files `nodes` (`id,country,kind[,mineral]`) and `edges`
    (`supplier,customer[,share][,product]`), or `bom` (`parent,child,quantity`) with an
    optional `nodes` (`id,country[,kind][,mineral]`); each CSV or Parquet. All or nothing:
    201 with the stored network, 422 with `problems` `[{file, row, column, value,
    expected}]`, 409 when the name is taken."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return _error(422, "invalid request", [{"field": "body", "problem": (
            "multipart/form-data with files nodes and edges, or bom")}])  # fmt: skip
    limit = request.app.state.settings.max_body_bytes
    form = await request.form(max_files=3, max_fields=10, max_part_size=limit)
    files: dict[str, tuple[str, bytes]] = {}
    for key in FILES:
        upload = form.get(key)
        if isinstance(upload, UploadFile):
            files[key] = (upload.filename or f"{key}.csv", await upload.read())
    unknown = sorted(k for k in form if k not in FILES)
    if unknown:
        return _error(422, "invalid request", [{"field": f"body.{k}", "problem": (
            "only the files nodes, edges and bom")} for k in unknown])  # fmt: skip
    options = {"name": name, "sharing": sharing, "description": description,
               "replace": replace}  # fmt: skip
    response = await run_in_threadpool(_run_upload, session, caller, files, options)
    if response.status_code == 200:
        response.status_code = 201
    return response


@router.get("/networks/{network_id}", summary="One stored network's record")
def network(session: SessionDep, caller: CallerDep, network_id: NetworkId) -> Response:
    """Name, description, counts, owner, sharing, synthetic; 404 when missing or hidden."""
    return _answer(lambda: store.describe(session=session, caller=caller, ref=network_id))


def _ask(session: Session, caller: Caller, network_id: int,
         question: Callable[[store.Loaded], Any]) -> Response:  # fmt: skip
    return _answer(lambda: question(store.load_stored(session=session, caller=caller,
                                                      ref=network_id)))  # fmt: skip


@router.get("/networks/{network_id}/country", summary="Exposure of the end products")
def country(
    session: SessionDep, caller: CallerDep, network_id: NetworkId,
    country: Countries = None, supplier: Suppliers = None, mineral: Minerals = None,
    per_node: Annotated[bool, Query(description="Every end product's exposure.")] = False,
) -> Response:  # fmt: skip
    """End products with a target (countries, a supplier set or minerals) anywhere
    upstream (`exposed`, `share` of `end_products`) and the mean fraction of their input
    that traces back to it (`weighted_mean`)."""
    return _ask(session, caller, network_id, lambda loaded: service.country(
        loaded, countries=country or [], suppliers=supplier or [], minerals=mineral or [],
        per_node=per_node))  # fmt: skip


@router.get("/networks/{network_id}/chokepoints", summary="Chokepoints, ranked")
def chokepoints(
    session: SessionDep, caller: CallerDep, network_id: NetworkId, top: Top = 20,
    edges: Annotated[bool, Query(description="Include edges.")] = True,
) -> Response:  # fmt: skip
    """Nodes and edges every path from the sources to some end products passes through,
    ranked by `end_products_cut`, then `weighted_supply_lost`."""
    return _ask(session, caller, network_id,
                lambda loaded: service.chokepoints(loaded, top=top, edges=edges))


@router.get("/networks/{network_id}/whatif", summary="What if a country, node or edge is lost")
def whatif(
    session: SessionDep, caller: CallerDep, network_id: NetworkId,
    remove_country: Countries = None,
    remove_node: Annotated[list[str] | None, Query(max_length=1000)] = None,
    remove_edge: Annotated[list[str] | None, Query(max_length=1000, description=(
        "SUPPLIER->CUSTOMER (repeat)."))] = None,
    top: Top = 20,
) -> Response:  # fmt: skip
    """End products cut off from every source and the fraction of their input lost."""
    return _ask(session, caller, network_id, lambda loaded: service.what_if(
        loaded, countries=remove_country or [], nodes=remove_node or [],
        edges=remove_edge or [], top=top))  # fmt: skip


@router.get("/networks/{network_id}/paths", summary="Paths from the targets to one end product")
def paths(
    session: SessionDep, caller: CallerDep, network_id: NetworkId,
    end: Annotated[str, Query(min_length=1, max_length=200, pattern=Text)],
    country: Countries = None, supplier: Suppliers = None, mineral: Minerals = None,
    max_nodes: Annotated[int, Query(ge=2, le=2000)] = 200,
) -> Response:  # fmt: skip
    """The nodes and edges on the paths from the targets back to `end`, to draw."""
    return _ask(session, caller, network_id, lambda loaded: service.paths(
        loaded, end=end, countries=country or [], suppliers=supplier or [],
        minerals=mineral or [], max_nodes=max_nodes))  # fmt: skip


@router.get("/networks/{network_id}/dashboard", summary="Headline numbers, chokepoints, paths")
def dashboard(
    session: SessionDep, caller: CallerDep, network_id: NetworkId,
    country: Annotated[str, Query(min_length=2, max_length=80, pattern=Text)] = "CHN",
    top: Annotated[int, Query(ge=1, le=100)] = 10,
    end: Annotated[str | None, Query(min_length=1, max_length=200, pattern=Text)] = None,
) -> Response:  # fmt: skip
    """What the exposure page shows for one country."""
    return _ask(session, caller, network_id, lambda loaded: service.dashboard(
        loaded, country_code=country, top=top, end=end))  # fmt: skip
