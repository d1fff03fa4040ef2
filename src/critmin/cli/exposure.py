"""``critmin exposure``: supply-network exposure — generate a synthetic network, measure
exposure to a country, supplier set or mineral, find chokepoints, ask what-if, trace the
paths of one end product, and store networks.

``--network`` takes a folder (``nodes.csv`` + ``edges.csv``, the Parquet pair, or
``bom.csv``), one of those files, or ``db:NAME`` / ``db:ID`` for a stored network.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from critmin.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    console,
    emit,
    err_console,
    fail,
    note,
    print_problems,
    session_for,
)
from critmin.i18n import N_, _

if TYPE_CHECKING:
    from critmin.services.exposure_store import Loaded

exposure_app = typer.Typer(
    help="Supply-network exposure: end products exposed to a country, chokepoints, what-if.",
    no_args_is_help=True, rich_markup_mode=None)  # fmt: skip

NetworkOption = Annotated[str, typer.Option(
    "--network", help="A network folder or file (CSV or Parquet; nodes+edges or a bill of "
    "materials), or db:NAME / db:ID for a stored network.", metavar="PATH|db:NAME")]
Countries = Annotated[list[str] | None, typer.Option(
    "--country", help="ISO3 code or name (repeat).", metavar="COUNTRY")]
Suppliers = Annotated[list[str] | None, typer.Option(
    "--supplier-set", help="Node ids, comma-separated (repeat).", metavar="IDS")]
Minerals = Annotated[list[str] | None, typer.Option(
    "--mineral", help="Mineral whose producing nodes are the targets (repeat).")]


@contextmanager
def _errors() -> Iterator[None]:
    """Service errors as a clear message and a non-zero exit (never a stack trace)."""
    from critmin.ingest.errors import IngestError
    from critmin.services.entities import NotFound
    from critmin.services.tracker import Conflict, Forbidden, InvalidRecord

    try:
        yield
    except IngestError as exc:
        raise print_problems(exc) from None
    except InvalidRecord as exc:
        raise fail("; ".join(f"{e['field']}: {e['problem']}" for e in exc.errors), code=2) from None
    except (NotFound, Conflict, Forbidden) as exc:
        raise fail(str(exc)) from None


@contextmanager
def _loaded(network: str, db: str | None) -> Iterator[Loaded]:
    """The network named by ``--network`` (a stored one read as the local operator)."""
    from critmin.services import exposure as service
    from critmin.services.auth import LOCAL

    with _errors():
        if network.startswith(service.STORED):
            with session_for(db) as session:
                loaded = service.load(network=network, session=session, caller=LOCAL)
        else:
            loaded = service.load(network=network)
        if loaded.synthetic:
            note(_(service.SYNTHETIC_NOTE))
        yield loaded


HEADERS = {"end_products": N_("end products"), "exposed": N_("exposed"),
           "share": N_("share exposed"), "weighted_mean": N_("mean input traced to targets"),
           "end_products_cut": N_("end products cut"), "mean_supply_lost": N_("mean supply lost"),
           "country_label": N_("country"), "supply_lost": N_("supply lost"),
           "input_share": N_("share used"), "weighted_supply_lost": N_("weighted supply lost"),
           "synthetic": N_("synthetic"), "network": N_("network"), "targets": N_("targets"),
           "id": "id", "kind": N_("kind"), "rank": N_("rank"), "hops": N_("hops"),
           "target": N_("target"), "cut": N_("cut"), "weighted": N_("weighted")}  # fmt: skip
"""Table column titles (JSON and CSV keep the field names)."""
SERVICE_TEXTS = (N_("synthetic network: invented by the generator for tests and benchmarks; "
                    "not real firms, countries' roles or flows"),)  # fmt: skip
"""Notes the exposure service writes in English, translated where the CLI prints them."""


def _ids(values: list[str] | None) -> list[str]:
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]


def _num(rows: list[dict[str, Any]], fmt: OutputFormat) -> list[dict[str, Any]]:
    if fmt != OutputFormat.table:
        return rows
    from critmin.services.present import fmt_num

    yes, no = _("yes"), _("no")

    def cell(v: Any) -> Any:
        if isinstance(v, bool):
            return yes if v else no
        return fmt_num(v, 3) if isinstance(v, float) else v

    return [{k: cell(v) for k, v in r.items()} for r in rows]


@exposure_app.command("generate")
def generate_cmd(
    nodes: Annotated[int, typer.Option("--nodes", min=3, max=50_000_000, help="Nodes.")],
    edges: Annotated[int, typer.Option("--edges", min=1, max=200_000_000, help="Edges.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same network).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder to write.")],
    file_format: Annotated[str, typer.Option("--file-format", help="csv or parquet.")] = "csv",
) -> None:
    """Write a SYNTHETIC network (nodes.csv, edges.csv, network.json) for tests and
    benchmarks: invented firms, a realistic country mix, some shares unknown."""
    from critmin.services import exposure as service

    if file_format not in ("csv", "parquet"):
        raise fail(_("--file-format: expected csv or parquet"), code=2)
    with _errors():
        summary = service.generate(n_nodes=nodes, n_edges=edges, seed=seed, folder=out,
                                   fmt=file_format)  # fmt: skip
    console.print(_("wrote a synthetic network of {nodes} nodes and {edges} edges to {path}")
                  .format(nodes=f"{summary['nodes']:,}", edges=f"{summary['edges']:,}", path=out),
                  highlight=False, soft_wrap=True)  # fmt: skip


@exposure_app.command("country")
def country_cmd(
    network: NetworkOption,
    country: Countries = None,
    supplier_set: Suppliers = None,
    mineral: Minerals = None,
    per_node: Annotated[bool, typer.Option(
        "--per-node", help="Every end product's exposure (to -o FILE.csv if given).")] = False,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="CSV file for --per-node: "
                                             "id,exposed,weighted.")] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """End products with a target (country, supplier set or mineral) anywhere upstream,
    and the mean share of their input that traces back to it."""
    from critmin.services import exposure as service

    if out is not None and not per_node:
        raise fail(_("-o needs --per-node"), code=2)
    with _loaded(network, db) as loaded, _errors():
        result = service.country(loaded, countries=country or [], suppliers=_ids(supplier_set),
                                 minerals=mineral or [], per_node=per_node)  # fmt: skip
    if out is not None:
        rows = result.pop("per_node")
        _write_per_node(out, rows)
        err_console.print(_("wrote {n} end products to {path}").format(n=f"{len(rows):,}",
                                                                       path=out),
                          highlight=False)  # fmt: skip
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    rows = result.pop("per_node", None)
    targets = result["targets"]
    named = [c["label"] for c in targets["countries"]] + targets["suppliers"] + targets[
        "minerals"]
    summary = {"network": result["network"], "targets": ", ".join(named),
               "end_products": result["end_products"], "exposed": result["exposed"],
               "share": result["share"], "weighted_mean": result["weighted_mean"],
               "synthetic": result["synthetic"]}  # fmt: skip
    emit(_num([summary], fmt), fmt, title=_("Exposure of end products"), headers=HEADERS,
         right=("end_products", "exposed", "share", "weighted_mean"))  # fmt: skip
    if rows is not None:
        emit(_num(rows, fmt), fmt, title=_("Per end product"), headers=HEADERS,
             right=("weighted",))


def _write_per_node(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "exposed", "weighted"])
        writer.writerows([r["id"], "true" if r["exposed"] else "false", repr(r["weighted"])]
                         for r in rows)  # fmt: skip


CHOKE_COLUMNS = ["rank", "kind", "id", "country_label", "end_products_cut",
                 "weighted_supply_lost"]  # fmt: skip


@exposure_app.command("chokepoints")
def chokepoints_cmd(
    network: NetworkOption,
    top: Annotated[int, typer.Option("--top", min=1, max=10_000, help="How many.")] = 20,
    nodes_only: Annotated[bool, typer.Option("--nodes-only", help="No edges.")] = False,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Nodes and edges that every path from the sources to some end products passes
    through, ranked by end products cut, then weighted supply lost."""
    from critmin.services import exposure as service

    with _loaded(network, db) as loaded, _errors():
        result = service.chokepoints(loaded, top=top, edges=not nodes_only)
    emit(_num(result["chokepoints"], fmt), fmt,
         title=(_("Chokepoints of {network} ({n} end products, synthetic)")
                if result["synthetic"] else _("Chokepoints of {network} ({n} end products)"))
         .format(network=result["network"], n=f"{result['end_products']:,}"),
         columns=None if fmt == OutputFormat.json else CHOKE_COLUMNS, headers=HEADERS,
         right=("rank", "end_products_cut", "weighted_supply_lost"))  # fmt: skip


@exposure_app.command("whatif")
def whatif_cmd(
    network: NetworkOption,
    remove_country: Annotated[list[str] | None, typer.Option(
        "--remove-country", help="Remove every node of this country (repeat).")] = None,
    remove_node: Annotated[list[str] | None, typer.Option(
        "--remove-node", help="Node ids, comma-separated (repeat).")] = None,
    remove_edge: Annotated[list[str] | None, typer.Option(
        "--remove-edge", help="SUPPLIER->CUSTOMER (repeat).", metavar="S->C")] = None,
    top: Annotated[int, typer.Option("--top", min=0, max=10_000,
                                     help="End products listed.")] = 20,  # fmt: skip
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """What if a country, some nodes or some edges were lost: end products cut off from
    every source and the share of their input lost."""
    from critmin.services import exposure as service

    with _loaded(network, db) as loaded, _errors():
        result = service.what_if(loaded, countries=remove_country or [],
                                 nodes=_ids(remove_node), edges=remove_edge or [], top=top)
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    summary = {k: result[k] for k in ("network", "end_products", "end_products_cut",
                                      "mean_supply_lost", "synthetic")}  # fmt: skip
    emit(_num([summary], fmt), fmt, title=_("What if"), headers=HEADERS,
         right=("end_products", "end_products_cut", "mean_supply_lost"))
    emit(_num(result["affected"], fmt), fmt, title=_("Hardest hit end products"),
         headers=HEADERS,
         columns=["id", "country_label", "cut", "supply_lost"], right=("supply_lost",))


@exposure_app.command("paths")
def paths_cmd(
    network: NetworkOption,
    end: Annotated[str, typer.Option("--end", help="The end product's node id.")],
    country: Countries = None,
    supplier_set: Suppliers = None,
    mineral: Minerals = None,
    max_nodes: Annotated[int, typer.Option("--max-nodes", min=2, max=5000)] = 200,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The nodes and edges on the paths from the targets to one end product."""
    from critmin.services import exposure as service

    with _loaded(network, db) as loaded, _errors():
        result = service.paths(loaded, end=end, countries=country or [],
                               suppliers=_ids(supplier_set), minerals=mineral or [],
                               max_nodes=max_nodes)  # fmt: skip
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    title = (_("Paths to {end} (truncated)") if result["truncated"]
             else _("Paths to {end}")).format(end=end)  # fmt: skip
    emit(_num(result["nodes"], fmt), fmt, headers=HEADERS, title=title,
         columns=["id", "kind", "country_label", "hops", "target"])
    emit(_num(result["edges"], fmt), fmt, title=_("Edges"),
         headers={"share": N_("share given"), "input_share": N_("share used")},
         columns=["supplier", "customer", "share", "input_share", "product"],
         right=("share", "input_share"))  # fmt: skip


@exposure_app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., help="Network folder or file (nodes+edges, Parquet or a "
                                "bill of materials)."),
    name: Annotated[str, typer.Option("--name", help="The stored network's name.")] = "",
    org: Annotated[str | None, typer.Option(
        "--org", help="Import as this organisation's (owner-only unless --sharing); without "
        "it, as public reference data.")] = None,  # fmt: skip
    sharing: Annotated[str | None, typer.Option("--sharing",
                                                help="public, partners or owner.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace the owner's network of that name (never widens its "
        "sharing).")] = False,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Store a network (all or nothing); its name must be new for its owner."""
    from critmin.services import exposure_store as store
    from critmin.services.auth import LOCAL, AuthError, get_org

    with _errors(), session_for(db) as session:
        try:
            owner = get_org(session=session, name=org).id if org else None
        except AuthError as exc:
            raise fail(_("{error} (see `critmin org list`)").format(error=exc),
                       code=2) from None  # fmt: skip
        summary = store.import_path(session=session, caller=LOCAL, path=path,
                                    name=name or path.resolve().name, owner_org_id=owner,
                                    sharing=sharing, description=description,
                                    replace=replace)  # fmt: skip
    if fmt != OutputFormat.table:
        emit(summary, fmt)
        return
    text = (_("stored network {name} as id {id}: {nodes} nodes, {edges} edges, sharing "
              "{sharing} (synthetic)") if summary["synthetic"] else
            _("stored network {name} as id {id}: {nodes} nodes, {edges} edges, sharing "
              "{sharing}"))  # fmt: skip
    console.print(text.format(name=repr(summary["name"]), id=summary["id"],
                              nodes=f"{summary['nodes']:,}", edges=f"{summary['edges']:,}",
                              sharing=summary["sharing"]), highlight=False, soft_wrap=True)


@exposure_app.command("networks")
def networks_cmd(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """The stored networks."""
    from critmin.services import exposure_store as store
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        rows = store.list_networks(session=session, caller=LOCAL)
    emit(_num(rows, fmt), fmt, title=_("Stored supply networks"),
         columns=None if fmt == OutputFormat.json else ["id", "name", "nodes", "edges",
                                                        "owner", "sharing", "synthetic"])


def register(app: typer.Typer) -> None:
    app.add_typer(exposure_app, name="exposure")
