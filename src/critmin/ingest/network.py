"""Supply networks from files: node and edge tables (CSV or Parquet), bills of materials,
and writing a network back out (layouts in ``docs/exposure-data.md``).

- ``nodes.csv`` ``id,country,kind[,mineral]`` and ``edges.csv``
  ``supplier,customer[,share][,product]`` (or ``nodes.parquet`` / ``edges.parquet`` with
  the same columns). ``country`` is ISO3 (any case) or empty for unknown; ``kind`` is
  ``source``, ``intermediate`` or ``end``; ``share`` is the fraction (0..1) of the
  customer's input that comes from the supplier, empty when unknown.
- a bill of materials ``parent,child,quantity``: the child supplies the parent; each edge's
  share is its quantity over the sum of the parent's children's quantities.

Checks are vectorised over whole columns; only failing rows are visited in Python, and at
most :data:`~critmin.ingest.errors.MAX_PROBLEMS` are listed. Rows are numbered as a
spreadsheet shows them for CSV (header = row 1) and from 1 for Parquet records. Every
problem names the file, row, column, value and what was expected; nothing is returned
unless the whole input is good.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmin.analytics.network import END, INTERMEDIATE, KINDS, SOURCE, Network
from critmin.ingest.errors import IngestError, Problem, ProblemLog
from critmin.ingest.network_write import META_FILE, network_frames, write_network

__all__ = ["META_FILE", "network_frames", "read_bom", "read_network", "read_network_meta",
           "read_nodes_edges", "write_network"]

Source = Path | str | bytes
NODE_COLUMNS = ("id", "country", "kind")
NODE_OPTIONAL = ("mineral",)
EDGE_COLUMNS = ("supplier", "customer")
EDGE_OPTIONAL = ("share", "product")
BOM_COLUMNS = ("parent", "child", "quantity")
BOM_NODE_OPTIONAL = ("kind", "mineral")
SHARE_TOLERANCE = 0.01
"""Known shares of one customer may add up to at most ``1 + SHARE_TOLERANCE`` (rounding)."""


@dataclass
class Table:
    """One input table: every column as trimmed text (a pyarrow array), the numeric
    columns of a Parquet file as they came, its file name and how its rows are numbered."""

    file: str
    text: dict[str, Any]  # column -> pyarrow string array ("" where empty)
    size: int
    first_row: int  # row number of the first record (2 for CSV, 1 for Parquet)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)

    def rows(self, positions: np.ndarray) -> list[int]:
        return (positions + self.first_row).tolist()

    def equals(self, column: str, value: str) -> np.ndarray:
        import pyarrow.compute as pc

        return _bools(pc.equal(self.text[column], value))

    def strings(self, column: str) -> np.ndarray:
        """A column as a numpy array of ``str``."""
        return self.text[column].to_numpy(zero_copy_only=False).astype(str)


def _bools(array: Any) -> np.ndarray:
    import pyarrow.compute as pc

    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool)


def _is_parquet(src: Source, file: str) -> bool:
    if isinstance(src, bytes):
        return src[:4] == b"PAR1"
    return file.lower().endswith((".parquet", ".pq"))


def read_table(src: Source, file: str, required: tuple[str, ...],
               optional: tuple[str, ...] = ()) -> Table:
    """A CSV or Parquet table with the ``required`` columns and any of ``optional``;
    IngestError for an unreadable file or a wrong header."""
    table = _read_parquet(src, file) if _is_parquet(src, file) else _read_csv(src, file)
    found = list(table.text)
    problems = [Problem(file, 1, c, None, "this column in the header")
                for c in required if c not in found]  # fmt: skip
    allowed = (*required, *optional)
    problems += [Problem(file, 1, c, c, f"only the columns {', '.join(allowed)}")
                 for c in found if c not in allowed]  # fmt: skip
    if problems:
        raise IngestError(problems)
    return table


def _unreadable(file: str, what: str, exc: Exception) -> IngestError:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return IngestError([Problem(file, None, "(file)", None, f"{what} ({message})")])


def _read_csv(src: Source, file: str) -> Table:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    try:
        raw = src if isinstance(src, bytes) else Path(src).read_bytes()
        raw = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
        first = raw[:65536].decode("utf-8").splitlines()[:1]
        header = [h.strip() for h in next(csv.reader(first), [])]
        if not header:
            raise ValueError("the file is empty")
        if len(set(header)) != len(header):
            raise ValueError(f"repeated column names in the header {header}")
        parsed = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )  # fmt: skip
    except (OSError, UnicodeDecodeError, ValueError, pa.ArrowInvalid) as exc:
        raise _unreadable(file, "a readable UTF-8 CSV file", exc) from None
    text = {c: pc.utf8_trim_whitespace(parsed.column(c).combine_chunks()) for c in header}
    return Table(file, text, parsed.num_rows, first_row=2)


def _read_parquet(src: Source, file: str) -> Table:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(src) if isinstance(src, bytes) else src)
        text, numbers = {}, {}
        for name in table.column_names:
            column = table.column(name).combine_chunks()
            if pa.types.is_dictionary(column.type):
                column = column.dictionary_decode()
            if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
                numbers[name] = pc.fill_null(pc.cast(column, pa.float64()), np.nan).to_numpy(
                    zero_copy_only=False)
            strings = pc.fill_null(pc.cast(column, pa.string()), "")
            text[name] = pc.utf8_trim_whitespace(strings)
    except (OSError, pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        raise _unreadable(file, "a readable Parquet file", exc) from None
    return Table(file, text, table.num_rows, first_row=1, numbers=numbers)


def _cells(log: ProblemLog, table: Table, mask: Any, column: str, expected: str) -> None:
    """One problem per row where ``mask`` holds (only the first few are built)."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    if positions.size == 0:
        return
    room = max(log.limit - len(log.kept), 0)
    shown = positions[: room or 1]
    cells = table.text[column].take(shown).to_pylist()
    for row, value in zip(table.rows(shown), cells, strict=True):
        log.add(Problem(table.file, row, column, value, expected))
    log.dropped += positions.size - shown.size


def _numbers(log: ProblemLog, table: Table, column: str, *, upper: float | None,
             required: bool, positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A column as floats (NaN where empty or bad) and where it was bad; bad cells are
    logged."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = table.text[column]
    empty = table.equals(column, "")
    if column in table.numbers:
        values = table.numbers[column].astype(np.float64, copy=True)
        empty = np.isnan(values)
    else:
        try:  # the fast path: every cell a number or empty
            values = pc.fill_null(pc.cast(pc.if_else(pc.equal(text, ""), None, text),
                                          pa.float64()), np.nan).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = pd.to_numeric(pd.Series(text.to_numpy(zero_copy_only=False)).where(~empty),
                                   errors="coerce").to_numpy(np.float64)
        values = np.array(values, dtype=np.float64)
    what = "a number" + (" > 0" if positive else " >= 0")
    if upper is not None:
        what = f"a fraction between 0 and {upper:g} (a share of 40 % is 0.4)"
    if not required:
        what += " or empty (unknown)"
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        bad = ~empty & (~finite | ((values <= 0) if positive else (values < 0)))
        if upper is not None:
            bad |= ~empty & finite & (values > upper)
    bad |= empty & required
    _cells(log, table, bad, column, what)
    values[empty | bad] = np.nan
    return values, bad


def _countries(log: ProblemLog, table: Table) -> np.ndarray:
    """ISO3 codes in capitals ("" = unknown); unknown codes are logged."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from critmin.domain.countries import is_iso3

    codes = pc.utf8_upper(table.text["country"])
    distinct = [c for c in pc.unique(codes).to_pylist() if c]
    bad = [c for c in distinct if len(c) != 3 or not is_iso3(c)]
    if bad:
        _cells(log, table, _bools(pc.is_in(codes, value_set=pa.array(bad, pa.string()))),
               "country", "an ISO 3166 alpha-3 country code such as CHN, or empty when unknown")
    return codes.to_numpy(zero_copy_only=False).astype(str)


def _minerals(table: Table) -> np.ndarray:
    """Mineral codes where the text names a known mineral (``Gallium``, ``Ga``); other
    materials are kept as written, empty = none."""
    import pyarrow.compute as pc

    from critmin.domain.vocab import UnknownValue, resolve_mineral

    text = table.text["mineral"]
    distinct = pc.unique(text)
    mapped = []
    for value in distinct.to_pylist():
        try:
            mapped.append(resolve_mineral(value) if value else "")
        except UnknownValue:
            mapped.append(value)
    where = pc.index_in(text, value_set=distinct).to_numpy(zero_copy_only=False)
    return np.asarray(mapped, dtype=str)[where.astype(np.int64)]


def _kinds(log: ProblemLog, table: Table, *, allow_empty: bool = False) -> np.ndarray:
    """Kind codes 0, 1, 2 (-1 where empty and allowed); bad cells are logged."""
    import pyarrow.compute as pc

    text = pc.utf8_lower(table.text["kind"])
    codes = np.full(table.size, -1, dtype=np.int8)
    for i, name in enumerate(KINDS):
        codes[_bools(pc.equal(text, name))] = i
    bad = codes < 0
    if allow_empty:
        bad &= ~table.equals("kind", "")
    _cells(log, table, bad, "kind", f"one of {', '.join(KINDS)}"
           + (" or empty (from the bill of materials)" if allow_empty else ""))
    return codes


def _unique_ids(log: ProblemLog, table: Table, column: str = "id") -> np.ndarray:
    """The id column as ``str``; empty and repeated ids are logged."""
    ids = table.strings(column)
    _cells(log, table, ids == "", column, "a non-empty node id")
    series = pd.Series(ids, dtype=object)
    dup = (series.duplicated(keep="first") & (series != "")).to_numpy()
    if dup.any():
        first = pd.Series(np.arange(ids.size) + table.first_row, index=ids)
        first = first[~first.index.duplicated(keep="first")]
        positions = np.flatnonzero(dup)
        room = max(log.limit - len(log.kept), 1)
        for pos in positions[:room].tolist():
            value = str(ids[pos])
            log.add(Problem(table.file, pos + table.first_row, column, value,
                            f"a unique node id (already at row {int(first[value])})"))
        log.dropped += max(positions.size - room, 0)
    return ids


def _lookup(table: Table, column: str, ids: np.ndarray) -> np.ndarray:
    """Each cell's position in ``ids`` (-1 where it is not there), by hashing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(table.text[column], value_set=pa.array(ids, pa.string()))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _share_sums(log: ProblemLog, table: Table, share: np.ndarray, customer: np.ndarray,
                n_nodes: int) -> None:  # fmt: skip
    """Known shares of one customer adding up to more than 1 (beyond rounding)."""
    known = ~np.isnan(share) & (customer >= 0)
    if not known.any():
        return
    sums = np.bincount(customer[known], weights=share[known], minlength=n_nodes)
    over = np.flatnonzero(sums > 1 + SHARE_TOLERANCE)
    if over.size == 0:
        return
    rows = np.flatnonzero(known)
    first = np.full(n_nodes, -1, dtype=np.int64)
    first[customer[rows][::-1]] = rows[::-1]  # the first known row of each customer
    names = table.text["customer"]
    for node in over[: max(log.limit - len(log.kept), 1)].tolist():
        pos = int(first[node])
        log.add(Problem(table.file, pos + table.first_row, "share", round(float(sums[node]), 6),
                        f"known shares of the inputs of customer {names[pos].as_py()!r} "
                        "adding up to at most 1"))  # fmt: skip


def network_from_tables(nodes: Table, edges: Table) -> Network:
    """Check a node table and an edge table together; the Network or IngestError."""
    log = ProblemLog()
    if nodes.size == 0:
        log.add(Problem(nodes.file, None, "(file)", 0, "at least one node"))
    ids = _unique_ids(log, nodes)
    country = _countries(log, nodes)
    kind = _kinds(log, nodes)
    mineral = _minerals(nodes) if "mineral" in nodes.text else None
    supplier, customer = (_lookup(edges, c, ids) for c in ("supplier", "customer"))
    for column, found in (("supplier", supplier), ("customer", customer)):
        _cells(log, edges, found < 0, column, f"a node id listed in {nodes.file}")
    if "share" in edges.text:
        share, _ = _numbers(log, edges, "share", upper=1.0, required=False)
        _share_sums(log, edges, share, customer, ids.size)
    else:
        share = np.full(edges.size, np.nan)
    log.raise_if_any()
    product = edges.strings("product") if "product" in edges.text else None
    return Network(ids=ids, country=country, kind=kind, supplier=supplier, customer=customer,
                   share=share, mineral=mineral, product=product)


def _name(src: Source | None, given: str | None, default: str) -> str:
    """The file name problems quote: as given, else the path, else ``default``."""
    if given:
        return given
    return str(src) if isinstance(src, Path | str) else default


def read_nodes_edges(nodes: Source, edges: Source, nodes_file: str | None = None,
                     edges_file: str | None = None) -> Network:  # fmt: skip
    """A network from a node table and an edge table (paths or the files' bytes)."""
    nodes_file = _name(nodes, nodes_file, "nodes.csv")
    edges_file = _name(edges, edges_file, "edges.csv")
    node_table = read_table(nodes, nodes_file, NODE_COLUMNS, NODE_OPTIONAL)
    edge_table = read_table(edges, edges_file, EDGE_COLUMNS, EDGE_OPTIONAL)
    return network_from_tables(node_table, edge_table)


def read_bom(bom: Source, nodes: Source | None = None, bom_file: str | None = None,
             nodes_file: str | None = None) -> Network:  # fmt: skip
    """A network from a bill of materials (``parent,child,quantity``; the child supplies
    the parent, share = quantity / the parent's total). Items without children are
    sources, items without parents ends, the rest intermediate. A nodes table
    (``id,country[,kind][,mineral]``) gives countries (otherwise unknown); each of its ids
    must be an item of the bill of materials."""
    import pyarrow as pa
    import pyarrow.compute as pc

    bom_file = _name(bom, bom_file, "bom.csv")
    nodes_file = _name(nodes, nodes_file, "nodes.csv")
    table = read_table(bom, bom_file, BOM_COLUMNS)
    log = ProblemLog()
    for column in ("parent", "child"):
        _cells(log, table, table.equals(column, ""), column, "a non-empty item id")
    quantity, _ = _numbers(log, table, "quantity", upper=None, required=True, positive=True)
    items_arrow = pc.unique(pa.concat_arrays([table.text["parent"], table.text["child"]]))
    items_arrow = items_arrow.filter(pc.not_equal(items_arrow, ""))
    items = items_arrow.to_numpy(zero_copy_only=False).astype(str)
    parent, child = _lookup(table, "parent", items), _lookup(table, "child", items)
    has_child = np.bincount(parent[parent >= 0], minlength=items.size) > 0
    has_parent = np.bincount(child[child >= 0], minlength=items.size) > 0
    kind = np.where(~has_child, SOURCE, np.where(~has_parent, END, INTERMEDIATE)).astype(np.int8)
    country = np.full(items.size, "", dtype=object)
    mineral = None
    if nodes is not None:
        node_table = read_table(nodes, nodes_file, ("id", "country"), BOM_NODE_OPTIONAL)
        ids = _unique_ids(log, node_table)
        codes = _countries(log, node_table)
        where = _lookup(node_table, "id", items)
        _cells(log, node_table, (where < 0) & (ids != ""), "id",
               f"an item of the bill of materials {bom_file}")
        back = _lookup_back(items_arrow, node_table)
        item_pos = np.flatnonzero(back >= 0)
        at = back[item_pos]
        country[item_pos] = codes[at]
        if "kind" in node_table.text:
            given = _kinds(log, node_table, allow_empty=True)[at]
            kind[item_pos] = np.where(given >= 0, given, kind[item_pos])
        if "mineral" in node_table.text:
            mineral = np.full(items.size, "", dtype=object)
            mineral[item_pos] = _minerals(node_table)[at]
    log.raise_if_any()
    totals = np.bincount(parent, weights=quantity, minlength=items.size)
    return Network(ids=items, country=country.astype(str), kind=kind, supplier=child,
                   customer=parent, share=quantity / totals[parent],
                   mineral=None if mineral is None else mineral.astype(str), product=None)


def _lookup_back(items: Any, node_table: Table) -> np.ndarray:
    """For each item, its row in the nodes table (-1 when it has none)."""
    import pyarrow.compute as pc

    found = pc.index_in(items, value_set=node_table.text["id"])
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _pair(folder: Path) -> tuple[Path, Path] | None:
    for ext in ("csv", "parquet"):
        nodes, edges = folder / f"nodes.{ext}", folder / f"edges.{ext}"
        if nodes.is_file() and edges.is_file():
            return nodes, edges
    return None


def _bom_in(folder: Path) -> Path | None:
    return next((p for p in (folder / "bom.csv", folder / "bom.parquet") if p.is_file()), None)


def read_network(path: Path | str) -> Network:
    """A network from ``path``: a folder with ``nodes.csv`` + ``edges.csv`` (or the
    Parquet pair, or ``bom.csv``/``bom.parquet`` with an optional nodes file), one file of
    such a pair, or a bill-of-materials file."""
    return read_network_meta(path)[0]


def read_network_meta(path: Path | str) -> tuple[Network, dict[str, Any]]:
    """:func:`read_network` and the folder's ``network.json`` description (``{}`` when
    there is none)."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not path.exists():
        raise IngestError([Problem(str(path), None, "(file)", None,
                                   "a network folder or file that exists")])  # fmt: skip
    meta = _meta(folder)
    stem = path.name.lower().split(".")[0]
    if path.is_dir() or stem in ("nodes", "edges"):
        pair = _pair(folder)
        if pair is not None and (path.is_dir() or path.suffix == pair[0].suffix):
            return read_nodes_edges(*pair), meta
        bom = _bom_in(folder) if path.is_dir() else None
        if bom is None:
            raise IngestError([Problem(str(path), None, "(file)", None,
                                       "nodes.csv and edges.csv (or nodes.parquet and "
                                       "edges.parquet, or bom.csv) in the folder")])
        path = bom
    nodes = next((p for p in (folder / "nodes.csv", folder / "nodes.parquet") if p.is_file()),
                 None)  # fmt: skip
    return read_bom(path, nodes), meta


def _meta(folder: Path) -> dict[str, Any]:
    file = folder / META_FILE
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IngestError([Problem(str(file), None, "(file)", None,
                                   f"a JSON object ({exc})")]) from None
    if not isinstance(data, dict):
        raise IngestError([Problem(str(file), None, "(file)", type(data).__name__,
                                   "a JSON object")])
    return data
