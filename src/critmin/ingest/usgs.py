"""USGS Mineral Commodity Summaries 2026 chapters (JSON) -> production_stats, price series.

Each chapter yields :class:`ProductionStatRecord` rows with explicit units:

* **World table** (``world_production``): ``production`` for the previous year (2024)
  and the latest year (2025, ``estimated``), ``capacity`` and ``reserves`` (latest year)
  where the chapter has them. ``label`` is the table's title. "Other countries" and
  "World total (rounded)" rows have country NULL and ``country_label`` ``other`` /
  ``world``. The unit is the chapter's ``units_note`` unit (kg, t, kt, t REO).
* **Salient statistics** (United States, so country USA): ``measure`` is a slug of
  section[:subsection][:label] (``imports_for_consumption:metal``); net import reliance
  is ``net_import_reliance[:label]`` in percent; employment rows are a ``count``.
  Price rows are *not* stored as statistics: they are the price series below.
* **Import sources**: ``import_share:<category>`` in percent of US imports over a
  period: ``year_start`` and ``year`` are its first and last years ("2021-24" -> 2021,
  2024), so a share of 2021-24 is never read as a figure for 2024 alone.
* **Price quotes** -> price series: see :mod:`critmin.ingest.usgs_prices`.

Cells keep the source text in ``raw_value``: ``W``/``NA``/``E``/``( )``/``Small`` ->
value NULL with ``value_status`` saying which (``withheld`` is not ``not_available``),
``—`` -> 0, ``>50`` -> 50 with ``lower_bound``; ``2025e`` -> 2025, estimated.
Capacity cells are numbers in the JSON (no verbatim text); ``raw_value`` is the number.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from critmin.domain.countries import UnknownCountry, to_iso3
from critmin.domain.minerals import MINERALS
from critmin.domain.provenance import SourceRef
from critmin.domain.statistics import VALUE_STATUS, ProductionStatRecord
from critmin.ingest.datasets import (
    REFERENCE_DIR,
    USGS_LICENCE,
    dataset_codes,
    ensure_datasets,
    replace_dataset_rows,
    usgs_citation,
    usgs_code,
)
from critmin.ingest.errors import IngestError, Problem, raise_problems, validation_problems
from critmin.store.tables import ProductionStat

USGS_DIR = REFERENCE_DIR / "usgs-mcs2026"
WORLD_MEASURES = ("production", "capacity", "reserves")
NULL_SENTINELS = frozenset({"W", "NA", "E", "( )", "Small"})
ZERO_SENTINELS = frozenset({"—", "--"})
REQUIRED_KEYS = (
    "slug", "name", "source_url", "units_note", "salient_stats", "price_quotes",
    "world_production", "import_sources_by_category", "import_sources_flat", "footnotes",
)  # fmt: skip
# Parse artefacts documented in SOURCES.md §1, corrected here:
# (slug, section, subsection, label) -> (section, subsection, label)
ARTEFACTS = {
    ("nickel", "Imports", "12", "20 Primary"): ("Imports", None, "Primary"),
    ("nickel", "Imports", "12", "Secondary"): ("Imports", None, "Secondary"),
    ("tantalum", "Shipments from Government stockpile", "NA", "NA Consumption, apparent"): (
        "Consumption, apparent", None, "Consumption, apparent"),
}  # fmt: skip
_STOPWORDS = {"and", "of", "the", "from", "for", "a", "as", "in", "including", "includes"}


def parse_cell(raw: Any) -> tuple[float | None, bool]:
    """(value, lower_bound) of a USGS cell; ValueError if it is neither number nor sentinel."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw), False
    text = str(raw).strip()
    if text in NULL_SENTINELS:
        return None, False
    if text in ZERO_SENTINELS:
        return 0.0, False
    lower = text.startswith(">")
    value = float(text.lstrip(">").replace(",", "").strip())
    if not math.isfinite(value):
        raise ValueError(text)
    return value, lower


def raw_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def slug(text: str, sep: str = "_") -> str:
    text = text.replace("U.S.", "US")
    return re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)


def fit_measure(measure: str, limit: int = 60) -> str:
    """Shorten a measure slug to ``limit`` characters: drop stop words, then cut at a word."""
    if len(measure) <= limit:
        return measure
    parts = [
        "_".join(w for w in p.split("_") if w not in _STOPWORDS) or p for p in measure.split(":")
    ]
    measure = ":".join(parts)
    while len(measure) > limit:
        measure = re.sub(r"[_:][a-z0-9]*$", "", measure)
    return measure


def unit_from_note(note: str) -> str:
    """The quantity unit of a chapter from its ``units_note``."""
    low = note.lower()
    if "rare-earth-oxide" in low:
        return "t REO"
    if "thousand metric tons" in low:
        return "kt"
    if "kilograms" in low:
        return "kg"
    if "metric tons" in low:
        return "t"
    raise ValueError(note)


def parse_year(column: str) -> tuple[int, bool]:
    m = re.fullmatch(r"(\d{4})(e?)", column.strip())
    if not m:
        raise ValueError(column)
    return int(m.group(1)), bool(m.group(2))


def _aggregate(name: str) -> str | None:
    low = name.strip().lower()
    return "world" if low.startswith("world") else "other" if low.startswith("other") else None


def footnote_text(doc: dict[str, Any], refs: str | None) -> str:
    keys = re.findall(r"\w+", (refs or "").removeprefix("footnote"))
    texts = [f"{k}: {doc['footnotes'][k]}" for k in keys if k in doc.get("footnotes", {})]
    return f"; footnote {'; '.join(texts)}" if texts else ""


def read_chapter(path: Path) -> dict[str, Any]:
    """The chapter JSON, checked for the keys this module reads."""
    file = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = Problem(file, None, "(file)", None, f"a USGS chapter JSON ({exc})")
        raise IngestError([problem]) from None
    if not isinstance(doc, dict):
        raise IngestError([Problem(file, None, "(document)", type(doc).__name__, "an object")])
    raise_problems(
        [Problem(file, None, k, None, "this top-level key") for k in REQUIRED_KEYS if k not in doc]
    )
    if doc["slug"] not in {m.usgs_slug for m in MINERALS}:
        raise IngestError([Problem(file, None, "slug", doc["slug"], "a known USGS chapter slug")])
    return doc


class Chapter:
    """Builds records for one chapter, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path):
        self.file = str(path)
        self.doc = read_chapter(path)
        self.slug = self.doc["slug"]
        self.mineral = next(m.code for m in MINERALS if m.usgs_slug == self.slug)
        self.problems: list[Problem] = []
        self.records: list[ProductionStatRecord] = []
        try:
            self.unit = unit_from_note(self.doc["units_note"])
        except ValueError:
            self.unit = "t"
            self.problem(None, "units_note", self.doc["units_note"], "a units note naming kg/t/kt")

    def problem(self, row: int | None, column: str, value: Any, expected: str) -> None:
        self.problems.append(Problem(self.file, row, column, value, expected))

    def source(self, locator: str) -> SourceRef:
        return SourceRef(
            document=f"usgs-mcs2026/{self.slug}.json",
            title=usgs_citation(self.slug),
            locator=locator,
            url=self.doc["source_url"],
            licence=USGS_LICENCE,
        )

    def country(self, row: int, column: str, name: str) -> tuple[str | None, str]:
        label = _aggregate(name)
        if label:
            return None, label
        try:
            return to_iso3(name), name
        except UnknownCountry:
            self.problem(row, column, name, "a country name known to domain.countries")
            return None, name

    def add(self, row: int, column: str, raw: Any, **fields: Any) -> None:
        try:
            value, lower = parse_cell(raw)
        except ValueError:
            self.problem(row, column, raw, "a number, >number, or one of W NA E — ( ) Small")
            return
        locator = fields.pop("locator")
        status = VALUE_STATUS.get(str(raw).strip()) if value is None else None
        data = dict(
            mineral=self.mineral, value=value, raw_value=raw_text(raw), lower_bound=lower,
            value_status=status, locator=locator, sources=(self.source(locator),), **fields,
        )  # fmt: skip
        try:
            self.records.append(ProductionStatRecord(**data))
        except ValidationError as exc:
            self.problems.extend(validation_problems(exc, file=self.file, row=row, prefix=column))

    def world_table(self) -> None:
        rows = self.doc["world_production"]
        if not rows:
            return  # e.g. germanium: the source JSON has no world table rows
        try:
            prev = int(self.doc["world_production_year_prev"])
            latest = int(self.doc["world_production_year_latest"])
        except (KeyError, TypeError, ValueError):
            self.problem(None, "world_production_year_latest", None, "the table's years")
            return
        where = f"MCS 2026 {self.slug}, world production table"
        for i, entry in enumerate(rows, start=1):
            if not isinstance(entry, dict):
                self.problem(i, "world_production", entry, "an object per table row")
                continue
            iso, label = self.country(i, "world_production.country", str(entry.get("country")))
            note = footnote_text(self.doc, entry.get("note"))
            common = dict(label=self.doc.get("world_production_label"), country=iso,
                          country_label=label, unit=self.unit)  # fmt: skip
            cells = [
                ("production", prev, "production_prev_raw", False, f"production {prev}"),
                ("production", latest, "production_latest_raw", True, f"production {latest}e"),
                ("capacity", latest, "capacity", False, f"capacity {latest}"),
                # Vanadium: the reserves column (world "21000") appears to be in thousand
                # metric tons although units_note says metric tons (SOURCES.md caveat); the
                # stated unit is kept, as the source gives no other.
                ("reserves", latest, "reserves_raw", False, "reserves"),
            ]
            for measure, year, key, estimated, column in cells:
                if entry.get(key) is None:
                    continue
                self.add(i, f"world_production.{key}", entry[key], measure=measure, year=year,
                         estimated=estimated, locator=f"{where} ({column}){note}",
                         **common)  # fmt: skip

    def salient(self) -> None:
        for i, stat in enumerate(self.doc["salient_stats"], start=1):
            if not isinstance(stat, dict) or not isinstance(stat.get("raw_values"), dict):
                self.problem(i, "salient_stats", stat, "an object with raw_values by year")
                continue
            section = stat.get("section") or stat.get("label") or ""
            sub, label = stat.get("subsection"), stat.get("label") or section
            found = (section, sub, label)
            section, sub, label = ARTEFACTS.get((self.slug, *found), found)
            if section.lower().startswith("price"):
                continue  # stored as price series (see parse_usgs_prices)
            nir = section.lower().startswith("net import reliance")
            parts = ["net_import_reliance" if nir else slug(section)]
            parts += [slug(p) for p in (sub, label) if p and p != section]
            measure = ":".join(parts)
            measure = fit_measure(measure + (":salient" if measure in WORLD_MEASURES else ""))
            unit = "percent" if nir else "count" if section.startswith("Employment") else self.unit
            text = ": ".join(p for p in (section, sub, label if label != section else None) if p)
            notes = footnote_text(self.doc, stat.get("footnote"))
            locator = f"MCS 2026 {self.slug}, salient statistics{notes}"
            for column, raw in stat["raw_values"].items():
                try:
                    year, estimated = parse_year(column)
                except ValueError:
                    self.problem(i, "salient_stats.raw_values", column, "a year (2024, 2025e)")
                    continue
                self.add(i, f"salient_stats.raw_values.{column}", raw, measure=measure,
                         label=text, country="USA", country_label="United States", year=year,
                         unit=unit, estimated=estimated, locator=locator)  # fmt: skip

    def import_sources(self) -> None:
        span = str(self.doc.get("import_sources_range") or "")
        cats = self.doc["import_sources_by_category"] or (
            [{"category": None, "countries": self.doc["import_sources_flat"]}]
            if self.doc["import_sources_flat"]
            else []
        )
        if not cats:
            return
        m = re.fullmatch(r"(\d{4})[-–](\d{2}|\d{4})", span)
        if not m:
            self.problem(None, "import_sources_range", span, "a range such as 2021-24")
            return
        end = m.group(2)
        year = int(end if len(end) == 4 else m.group(1)[:2] + end)
        first = int(m.group(1))
        for i, cat in enumerate(cats, start=1):
            shares = cat.get("countries") if isinstance(cat, dict) else None
            if not isinstance(shares, list) or not all(isinstance(c, dict) for c in shares):
                self.problem(i, "import_sources", cat, "a category with a list of countries")
                continue
            category = cat.get("category")
            measure = fit_measure(f"import_share:{slug(category or 'all')}")
            for share in shares:
                iso, label = self.country(i, "import_sources.country", str(share.get("country")))
                self.add(i, "import_sources.share_pct", share.get("share_pct"), measure=measure,
                         label=f"US import sources {span}: {category or 'all imports'}",
                         country=iso, country_label=label, year=year, year_start=first,
                         unit="percent", estimated=False,
                         locator=f"MCS 2026 {self.slug}, import sources {span}")  # fmt: skip

    def check_unique(self) -> None:
        seen: set[tuple[Any, ...]] = set()
        for r in self.records:
            key = (r.measure, r.country, r.country_label, r.year)
            if key in seen:
                self.problem(None, "measure", "/".join(map(str, key)), "one value per key")
            seen.add(key)


def parse_usgs_chapter(path: Path) -> list[ProductionStatRecord]:
    """Every statistic of one chapter (world table, salient statistics, import sources)."""
    chapter = Chapter(path)
    chapter.world_table()
    chapter.salient()
    chapter.import_sources()
    chapter.check_unique()
    raise_problems(chapter.problems)
    return chapter.records


def load_usgs(
    session: Session, *, directory: Path = USGS_DIR, actor: str = "critmin bundled data"
) -> dict[str, int]:
    """Parse every chapter in ``directory`` (all first), then store them.

    Statistics replace a chapter's rows only when they differ; price series are
    upserted by key. Returns rows written per table (0 when nothing changed).
    """
    from critmin.ingest.curated import store_price_series
    from critmin.ingest.usgs_prices import parse_usgs_prices

    parsed, problems = {}, []
    for path in sorted(directory.glob("*.json")):
        try:
            parsed[path.stem] = (path, parse_usgs_chapter(path), parse_usgs_prices(path))
        except IngestError as exc:
            problems.extend(exc.problems)
    known = set(dataset_codes())
    problems += [
        Problem(str(path), None, "slug", slug_, "a chapter in the dataset registry")
        for slug_, (path, _, _) in parsed.items()
        if usgs_code(slug_) not in known
    ]
    raise_problems(problems)
    ids = ensure_datasets(session, [usgs_code(s) for s in parsed])
    written = {"production_stats": 0, "price_series": 0}
    table = ProductionStat.__table__
    for slug_, (path, stats, series) in parsed.items():
        dataset_id = ids[usgs_code(slug_)]
        rows = [r.model_dump(mode="json") for r in stats]
        if replace_dataset_rows(session, table, dataset_id, rows):
            written["production_stats"] += len(rows)
        for record in series:
            action = store_price_series(
                session, record, dataset_id=dataset_id, ids=ids, actor=actor,
                source=f"usgs-mcs2026/{path.name}",
            )  # fmt: skip
            written["price_series"] += action != "unchanged"
    session.flush()
    return written
