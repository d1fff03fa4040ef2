"""Input-output tables: the bundled BEA 2017 tables, a documented CSV layout, pymrio systems.

Every loader returns an :class:`IOTable`: the industry-by-industry technical-coefficient
matrix ``A`` (scipy CSR), gross output ``x``, value added and final demand by industry,
with codes and labels. Money is in millions of current US dollars for the BEA tables and
in the file's own unit otherwise (``unit`` says which).

**BEA derivation (industry-technology assumption).** From the Make table ``V``
(industry x commodity) and the Use table ``U`` (commodity x industry, producer prices):

- commodity output ``q`` = column totals of ``V``; industry output ``g`` = row totals of ``V``;
- market shares ``D = V q^-1`` (``D[i, c]`` = share of commodity ``c`` made by industry ``i``;
  a commodity that no industry makes, e.g. non-comparable imports, has a zero column);
- input coefficients ``B = U g^-1`` (commodity inputs per dollar of industry output);
- industry-by-industry coefficients ``A = D B``; industry final demand ``f = D e``,
  where ``e`` is commodity final demand; value-added coefficients ``v = VA / g``.

Since ``q = U 1 + e`` and ``D q = g``, the identity ``g = A g + f`` holds exactly, so
``(I - A)^-1 f`` reproduces gross output (the tests check it to 1e-6 relative).

**Redefinitions.** The tables *before* redefinitions are used: their industry outputs are
the ones BEA publishes as gross output and value added by industry (the ``GrossOutput`` and
``ValueAdded`` series bundled here), the import matrices exist only before
redefinitions, and secondary products are already handled by the market shares of the
Make table under the industry-technology assumption, so moving them with their inputs
(redefinition) is not needed.

**Domestic requirements.** By default (``domestic=True``) the import matrix is subtracted
from intermediate and final uses, so ``A`` holds domestically produced inputs only and the
multipliers measure US output and value added; ``domestic=False`` keeps total
(domestic + imported) requirements as BEA's published requirements tables do.
Scrap and used goods are kept as commodities (no scrap adjustment).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from critmin.ingest.datasets import DATA_DIR
from critmin.ingest.errors import IngestError, Problem

BEA_DIR = DATA_DIR / "reference" / "bea-io"
Level = Literal["summary", "detail"]
_BEA = {
    # level: file prefix, value-added rows, total-output row label in Use
    "summary": ("Summary", ("V001", "V002", "V003")),
    "detail": ("Detail", ("V00100", "V00200", "V00300")),
}


@dataclass(frozen=True)
class IOTable:
    """An industry-by-industry input-output system.

    ``A[i, j]`` is the input from industry ``i`` per unit of industry ``j``'s output;
    ``x`` gross output, ``value_added`` and ``final_demand`` are per industry, in ``unit``.
    """

    codes: tuple[str, ...]
    labels: tuple[str, ...]
    A: sp.csr_matrix
    x: np.ndarray
    value_added: np.ndarray
    final_demand: np.ndarray
    unit: str
    source: str

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def va_coefficients(self) -> np.ndarray:
        """Value added per unit of gross output (0 where output is 0)."""
        return _safe_div(self.value_added, self.x)

    def index_of(self, codes: list[str] | tuple[str, ...]) -> np.ndarray:
        """Positions of ``codes``; ValueError naming the unknown ones."""
        pos = {c: i for i, c in enumerate(self.codes)}
        missing = [c for c in codes if c not in pos]
        if missing:
            raise ValueError(f"unknown industry code(s) {missing} in {self.source}")
        return np.array([pos[c] for c in codes], dtype=np.intp)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast(num, den).shape, dtype=float)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(BEA_DIR / name, index_col=0)


def load_bea(level: Level = "summary", domestic: bool = True) -> IOTable:
    """The BEA 2017 industry-by-industry table (cached per process); see the module doc."""
    if level not in _BEA:
        raise ValueError(f"level must be 'summary' or 'detail', got {level!r}")
    return _load_bea(level, bool(domestic))


@functools.lru_cache(maxsize=4)
def _load_bea(level: Level, domestic: bool) -> IOTable:
    prefix, va_rows = _BEA[level]
    make = _read(f"{prefix}_Make_2017_BeforeRedef_17sch.csv")
    use = _read(f"{prefix}_Use_2017_PRO_BeforeRedef_17sch.csv")
    names = _read(f"{prefix}_IndustryCodeName_2017.csv")
    industries = [str(c) for c in names.iloc[:, 0]]
    labels = [str(c) for c in names.iloc[:, 1]]
    totals = {"T005", "T006", "T007", "T008"} | set(va_rows)
    commodities = [c for c in make.columns
                   if c in use.index and c not in totals and not str(c).startswith("Total")]
    fd_cols = [c for c in use.columns if str(c).startswith("F")]
    V = make.loc[industries, commodities].to_numpy(float)
    Uind = use.loc[commodities, industries].to_numpy(float)
    E = use.loc[commodities, fd_cols].to_numpy(float)
    if domestic:
        imp = _read(f"{prefix}_Import_2017_BeforeRedef_17sch.csv")
        imp = imp.reindex(index=commodities, columns=industries + fd_cols).fillna(0.0)
        Uind = Uind - imp[industries].to_numpy(float)
        E = E - imp[fd_cols].to_numpy(float)
    q = V.sum(axis=0)
    g = V.sum(axis=1)
    D = _safe_div(V, q[None, :])
    B = _safe_div(Uind, g[None, :])
    A = D @ B
    f = D @ E.sum(axis=1)
    va = use.loc[list(va_rows), industries].to_numpy(float).sum(axis=0)
    kind = "domestic" if domestic else "total"
    return IOTable(
        codes=tuple(industries),
        labels=tuple(labels),
        A=sp.csr_matrix(A),
        x=g,
        value_added=va,
        final_demand=f,
        unit="million USD (2017)",
        source=f"BEA 2017 {level} Make/Use before redefinitions, {kind} requirements",
    )


# --------------------------------------------------------------------- CSV layout

CSV_LAYOUT = """\
A folder with
  industries.csv  columns code,label            (one row per industry, in matrix order)
and either
  Z.csv           square matrix of intermediate flows, first column = row code, header = codes
  final_demand.csv  columns code,final_demand
  value_added.csv   columns code,value_added
(gross output x = row sums of Z + final demand)
or
  A.csv           square technical-coefficient matrix, same layout as Z.csv
  output.csv      columns code,x[,value_added]
"""


def _matrix(path: Path, codes: list[str]) -> np.ndarray:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)  # codes keep leading zeros
    frame = frame.set_index(frame.columns[0])
    problems: list[Problem] = []
    if list(frame.index) != codes:
        problems.append(Problem(path.name, None, "(row codes)", list(frame.index)[:5],
                                f"the industry codes of industries.csv in order: {codes[:5]}..."))
    if list(frame.columns) != codes:
        problems.append(Problem(path.name, 1, "(header)", list(frame.columns)[:5],
                                f"the industry codes of industries.csv in order: {codes[:5]}..."))
    if problems:
        raise IngestError(problems)
    values = frame.apply(pd.to_numeric, errors="coerce")
    bad = np.argwhere(values.isna().to_numpy() | ~np.isfinite(values.to_numpy(float)))
    if len(bad):
        raise IngestError([
            Problem(path.name, int(r) + 2, codes[c], frame.iat[r, c], "a finite number")
            for r, c in bad[:50]
        ])
    return values.to_numpy(float)


def _vector(path: Path, column: str, codes: list[str]) -> np.ndarray:
    frame = pd.read_csv(path, dtype={"code": str}, keep_default_na=False, na_values=[""])
    if "code" not in frame.columns or column not in frame.columns:
        raise IngestError([Problem(path.name, 1, None, list(frame.columns),
                                   f"columns code and {column}")])
    if list(frame["code"]) != codes:
        raise IngestError([Problem(path.name, None, "code", list(frame["code"])[:5],
                                   "the industry codes of industries.csv in order")])
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy())
    if len(bad):
        raise IngestError([Problem(path.name, int(r) + 2, column, frame[column].iat[r],
                                   "a number") for r in bad[:50]])
    return values.to_numpy(float)


def load_io_csv(folder: str | Path, unit: str = "million USD") -> IOTable:
    """Load a table from the CSV layout in :data:`CSV_LAYOUT` (Z form or A form)."""
    folder = Path(folder)
    ind_path = folder / "industries.csv"
    if not ind_path.is_file():
        raise IngestError([Problem(str(ind_path), None, None, None,
                                   "industries.csv with columns code,label")])
    ind = pd.read_csv(ind_path, dtype=str)
    if not {"code", "label"} <= set(ind.columns):
        raise IngestError([Problem(ind_path.name, 1, None, list(ind.columns),
                                   "columns code,label")])
    dup = ind["code"].duplicated()
    if dup.any():
        r = int(np.flatnonzero(dup.to_numpy())[0])
        raise IngestError([Problem(ind_path.name, r + 2, "code", ind["code"].iat[r],
                                   "unique codes")])
    codes = list(ind["code"])
    if (folder / "Z.csv").is_file():
        Z = _matrix(folder / "Z.csv", codes)
        f = _vector(folder / "final_demand.csv", "final_demand", codes)
        va = _vector(folder / "value_added.csv", "value_added", codes)
        x = Z.sum(axis=1) + f
        A = _safe_div(Z, x[None, :])
    elif (folder / "A.csv").is_file():
        A = _matrix(folder / "A.csv", codes)
        x = _vector(folder / "output.csv", "x", codes)
        f = x - A @ x
        out = pd.read_csv(folder / "output.csv")
        va = (_vector(folder / "output.csv", "value_added", codes) if "value_added" in out
              else x * (1.0 - A.sum(axis=0)))
    else:
        raise IngestError([Problem(str(folder), None, None, None, "Z.csv or A.csv")])
    return IOTable(tuple(codes), tuple(ind["label"]), sp.csr_matrix(A), x, va, f, unit,
                   f"CSV table {folder.name}")


# ------------------------------------------------------------------ pymrio systems

def _frame(obj: Any, name: str) -> pd.DataFrame | None:
    value = getattr(obj, name, None)
    return value if isinstance(value, pd.DataFrame) else None


def _pymrio_va(system: Any, x: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Value added from the ``factor_inputs`` extension when present, else x - column inputs.

    The fallback counts imports and taxes as value added when the system has no
    factor-input extension: a stated approximation."""
    factors = getattr(system, "factor_inputs", None)
    F = _frame(factors, "F") if factors is not None else None
    if F is not None and F.shape[1] == len(x):
        return F.to_numpy(float).sum(axis=0)
    return x * (1.0 - A.sum(axis=0))


def from_pymrio(system: Any) -> IOTable:
    """An :class:`IOTable` from a pymrio ``IOSystem`` (or any object with its attributes).

    Uses ``A`` and ``x`` when present, else derives them from ``Z`` and ``Y`` as pymrio
    does (``x = Z 1 + Y 1``, ``A = Z x^-1``); final demand is ``Y`` summed over its
    columns; sectors are labelled ``region/sector`` (region omitted when there is one).
    """
    A_df, Z_df, Y_df, x_df = (_frame(system, k) for k in ("A", "Z", "Y", "x"))
    if Z_df is None and A_df is None:
        raise ValueError("a pymrio system needs Z or A (run calc_system / load it first)")
    index = (A_df if A_df is not None else Z_df).index
    f = Y_df.to_numpy(float).sum(axis=1) if Y_df is not None else None
    if x_df is not None:
        x = x_df.to_numpy(float).ravel()
    elif Z_df is not None and f is not None:
        x = Z_df.to_numpy(float).sum(axis=1) + f
    else:
        raise ValueError("a pymrio system needs x, or Z and Y")
    A = A_df.to_numpy(float) if A_df is not None else _safe_div(Z_df.to_numpy(float), x[None, :])
    if f is None:
        f = x - A @ x
    if isinstance(index, pd.MultiIndex):
        regions = index.get_level_values(0).unique()
        codes = [("/".join(map(str, t)) if len(regions) > 1 else str(t[-1])) for t in index]
    else:
        codes = [str(c) for c in index]
    unit_df = _frame(system, "unit")
    unit = str(unit_df.iloc[0, 0]) if unit_df is not None and len(unit_df) else "unknown"
    return IOTable(tuple(codes), tuple(codes), sp.csr_matrix(A), x,
                   _pymrio_va(system, x, A), f, unit,
                   f"pymrio system {getattr(system, 'name', '')}".strip())


def load_pymrio(path: str | Path) -> IOTable:
    """Load a pymrio system saved with ``IOSystem.save_all`` (text or parquet).

    Needs the optional ``pymrio`` package (``pip install 'critmin[io]'``)."""
    try:
        import pymrio
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("loading a pymrio folder needs: pip install 'critmin[io]'") from exc
    return from_pymrio(pymrio.load_all(Path(path)))
