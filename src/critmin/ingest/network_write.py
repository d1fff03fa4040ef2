"""Writing a supply network: ``nodes.csv`` + ``edges.csv`` (or the Parquet pair) in the
layout :mod:`critmin.ingest.network` reads, and an optional ``network.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmin.analytics.network import KINDS, Network

META_FILE = "network.json"
"""Optional description written next to a network's tables (``synthetic``, generator...)."""


def network_frames(net: Network) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The node and edge tables of ``net`` (ids, not node numbers), as the files hold them."""
    nodes = pd.DataFrame({"id": net.ids, "country": net.country,
                          "kind": np.asarray(KINDS, dtype=object)[net.kind]})  # fmt: skip
    if net.mineral is not None:
        nodes["mineral"] = net.mineral
    edges = pd.DataFrame({"supplier": net.ids[net.supplier], "customer": net.ids[net.customer],
                          "share": net.share})  # fmt: skip
    if net.product is not None:
        edges["product"] = net.product
    return nodes, edges


def _write_csv(table: Any, target: Path) -> None:
    """CSV without quotes unless a cell needs them (a comma, a quote or a line break)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    needs = any(pc.any(pc.match_substring_regex(table.column(i), r'[,"\r\n]')).as_py()
                for i, f in enumerate(table.schema) if pa.types.is_string(f.type)
                and table.num_rows)  # fmt: skip
    style = "needed" if needs else "none"
    with target.open("wb") as handle:
        handle.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=False,
                                                          quoting_style=style))


def write_network(net: Network, folder: Path | str, meta: dict[str, Any] | None = None,
                  fmt: str = "csv") -> list[Path]:  # fmt: skip
    """Write ``nodes.<fmt>`` and ``edges.<fmt>`` (``csv`` or ``parquet``; share empty when
    unknown) and, when given, ``network.json``; returns the files written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format: expected csv or parquet, got {fmt!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in zip(("nodes", "edges"), network_frames(net), strict=True):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if name == "edges":
            share = pa.array(frame["share"].to_numpy(), mask=np.isnan(frame["share"].to_numpy()),
                             type=pa.float64())  # fmt: skip
            table = table.set_column(2, "share", share)
        target = folder / f"{name}.{fmt}"
        if fmt == "csv":
            _write_csv(table, target)
        else:
            pq.write_table(table, target, compression="zstd")
        written.append(target)
    if meta is not None:
        target = folder / META_FILE
        target.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(target)
    return written
