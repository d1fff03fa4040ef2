"""End-use shares of a mineral's US consumption, mapped to BEA industries.

The bundled file ``data/reference/end_uses.yaml`` quotes USGS Mineral Commodity Summaries
2026; each end use has a share of consumption and one or more BEA industries (detail and
summary codes) with weights. :func:`industry_shares` turns it into a share per industry of
a given :class:`~critmin.ingest.bea_io.IOTable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from critmin.ingest.bea_io import IOTable
from critmin.ingest.datasets import DATA_DIR
from critmin.ingest.errors import IngestError, Problem

END_USES_FILE = DATA_DIR / "reference" / "end_uses.yaml"
TOLERANCE = 1e-9


@dataclass(frozen=True)
class EndUse:
    """One end use: its share of consumption and the industries it maps to."""

    end_use: str
    share: float
    detail: tuple[str, ...]
    summary: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class EndUseMap:
    """A mineral's end uses, the unallocated share and the source they come from."""

    mineral: str
    end_uses: tuple[EndUse, ...]
    unallocated: float
    source: str
    quote: str

    @property
    def mapped_share(self) -> float:
        return float(sum(e.share for e in self.end_uses))


def _number(value: Any, file: str, row: str, column: str, problems: list[Problem]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        problems.append(Problem(file, row, column, value, "a number between 0 and 1"))
        return 0.0
    return float(value)


def _parse(name: str, spec: Any, file: str, problems: list[Problem]) -> EndUseMap | None:
    if not isinstance(spec, dict) or not isinstance(spec.get("end_uses"), list):
        problems.append(Problem(file, name, "end_uses", spec, "a list of end uses"))
        return None
    uses = []
    for k, item in enumerate(spec["end_uses"], start=1):
        row = f"{name} end use {k}"
        inds = item.get("industries") if isinstance(item, dict) else None
        if not isinstance(inds, list) or not inds:
            problems.append(Problem(file, row, "industries", inds, "a non-empty list"))
            continue
        share = _number(item.get("share"), file, row, "share", problems)
        weights = [_number(i.get("weight"), file, row, "weight", problems) for i in inds]
        if abs(sum(weights) - 1.0) > 1e-6:
            problems.append(Problem(file, row, "weight", weights, "weights that sum to 1"))
        uses.append(EndUse(str(item.get("end_use", "")), share,
                           tuple(str(i.get("detail")) for i in inds),
                           tuple(str(i.get("summary")) for i in inds), tuple(weights)))
    unalloc = spec.get("unallocated") or {}
    rest = _number(unalloc.get("share", 0.0), file, name, "unallocated.share", problems)
    total = sum(u.share for u in uses) + rest
    if total > 1 + TOLERANCE:
        problems.append(Problem(file, name, "share", round(total, 6),
                                "end-use shares (with the unallocated share) summing to <= 1"))
    return EndUseMap(name, tuple(uses), rest, str(spec.get("source", "")).strip(),
                     str(spec.get("quote", "")).strip())


def load_end_uses(path: str | Path = END_USES_FILE) -> dict[str, EndUseMap]:
    """Every mineral's end-use map; IngestError naming file, mineral, field and value."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("minerals"), dict):
        raise IngestError([Problem(path.name, None, "minerals", data, "a mapping of minerals")])
    problems: list[Problem] = []
    maps = {name: _parse(name, spec, path.name, problems)
            for name, spec in data["minerals"].items()}
    if problems:
        raise IngestError(problems)
    return {k: v for k, v in maps.items() if v is not None}


def industry_shares(mapping: EndUseMap, table: IOTable, level: str = "detail") -> np.ndarray:
    """Share of the mineral's consumption by industry of ``table`` (sums to the mapped share).

    IngestError when a mapped code is not an industry of the table."""
    codes = [c for u in mapping.end_uses for c in (u.detail if level == "detail" else u.summary)]
    pos = {c: i for i, c in enumerate(table.codes)}
    missing = sorted({c for c in codes if c not in pos})
    if missing:
        raise IngestError([Problem(END_USES_FILE.name, mapping.mineral, level, c,
                                   f"an industry code of {table.source}") for c in missing])
    shares = np.array([u.share * w for u in mapping.end_uses for w in u.weights])
    out = np.zeros(table.n)
    np.add.at(out, np.array([pos[c] for c in codes], dtype=np.intp), shares)
    return out
