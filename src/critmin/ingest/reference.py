"""Load every bundled reference dataset and the curated measures, prices and claims.

:func:`load_reference` runs inside the caller's transaction and writes nothing itself
when any input is bad (every loader validates its whole file before writing, and an
error propagates so that the caller rolls back): it is all-or-nothing. It is
idempotent: each loader compares what is stored with what it would write and leaves
unchanged data alone, so a second call changes nothing and duplicates nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from critmin.ingest.baci import load_baci
from critmin.ingest.countries import load_countries
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import CURATED_DIR, DATA_DIR, ensure_datasets, verify_files
from critmin.ingest.hs import load_hs
from critmin.ingest.prices_fx import FX_DATASET, load_fx
from critmin.ingest.usgs import load_usgs
from critmin.ingest.wgi import load_wgi
from critmin.store.catalogue import sync_catalogue
from critmin.store.tables import (
    Claim,
    Country,
    CountryAlias,
    Dataset,
    ExportMeasure,
    FxRate,
    GovernanceIndicator,
    HSCode,
    MineralFormRow,
    MineralRow,
    PriceObservation,
    PriceSeries,
    ProductionStat,
    TradeFlow,
)

TABLES = {
    "datasets": Dataset,
    "minerals": MineralRow,
    "mineral_forms": MineralFormRow,
    "countries": Country,
    "country_aliases": CountryAlias,
    "hs_codes": HSCode,
    "production_stats": ProductionStat,
    "governance_indicators": GovernanceIndicator,
    "trade_flows": TradeFlow,
    "price_series": PriceSeries,
    "price_observations": PriceObservation,
    "export_measures": ExportMeasure,
    "claims": Claim,
    "fx_rates": FxRate,
}


def seed_catalogue(session: Session) -> int:
    """Fill ``minerals`` and ``mineral_forms`` from :mod:`critmin.domain.minerals`.

    Returns how many rows were inserted or updated (0 when already in step).
    """
    return sync_catalogue(session)


def table_counts(session: Session) -> dict[str, int]:
    """Rows in each table that :func:`load_reference` fills."""
    return {
        name: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for name, model in TABLES.items()
    }


def load_reference(
    session: Session,
    *,
    include_trade: bool = True,
    data_dir: Path = DATA_DIR,
    curated_dir: Path = CURATED_DIR,
) -> dict[str, int]:
    """Load the catalogue, datasets, countries, HS codes, USGS, WGI, BACI (unless
    ``include_trade`` is false), the FX table and the curated measures, prices and claims.

    ``data_dir`` holds ``reference/`` (its files are checked against the registry's
    sha256 first); ``curated_dir`` holds ``measures.yaml`` and ``prices.yaml``.
    Returns the number of rows in each table afterwards. Raises IngestError (nothing
    written: the caller's transaction must be rolled back, as
    :func:`critmin.store.db.transaction` does) on any bad input.
    """
    ref = data_dir / "reference"
    verify_files(data_dir=data_dir)
    seed_catalogue(session)
    datasets = ensure_datasets(session)
    load_countries(
        session,
        baci_codes=ref / "baci" / "country-codes.csv",
        wgi=ref / "wgi" / "wgi-2024-long.csv.gz",
    )
    load_hs(
        session,
        hs2022=ref / "hs" / "harmonized-system-2022.csv",
        hs1992=ref / "baci" / "product-codes.csv",
    )
    load_usgs(session, directory=ref / "usgs-mcs2026")
    load_wgi(session, ref / "wgi" / "wgi-2024-long.csv.gz")
    if include_trade:
        load_baci(
            session,
            ref / "baci" / "baci-hs92-critical-minerals.csv.gz",
            country_codes=ref / "baci" / "country-codes.csv",
        )
    load_fx(session, ref / "fx" / "fx-rates.csv", dataset_id=datasets[FX_DATASET])
    load_curated(
        session, measures=curated_dir / "measures.yaml", prices=curated_dir / "prices.yaml",
        claims=curated_dir / "claims.yaml",
    )  # fmt: skip
    session.flush()
    return table_counts(session)
