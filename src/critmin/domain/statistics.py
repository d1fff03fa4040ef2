"""Statistical records parsed from reference sources (USGS tables, BACI trade flows).

These are the validated, unit-explicit shapes that ``critmin.ingest`` produces before
anything is stored. Big sources (BACI) are handled as data frames whose columns are
the fields of :class:`TradeFlowRecord`; the model documents and validates the shape.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from critmin.domain.measures import check_iso3, check_mineral
from critmin.domain.provenance import SourceRef
from critmin.domain.units import parse_unit

MEASURE_PATTERN = r"^[a-z0-9_]+(:[a-z0-9_]+)*$"
VALUE_STATUS = {
    "W": "withheld",
    "NA": "not_available",
    "E": "net_exporter",
    "( )": "negligible",
    "Small": "negligible",
}
"""Why a USGS cell has no number, by its sentinel (W: withheld to avoid disclosing
company proprietary data; NA: not available; E: net exporter; ( ) and Small: less
than half the unit)."""


class ProductionStatRecord(BaseModel):
    """One statistic for a mineral, country (None = world/other) and year, with its unit.

    ``raw_value`` keeps the source's cell verbatim (``W``, ``NA``, ``—``, ``>50``);
    ``value`` is the number, or None where the source gives none, and then
    ``value_status`` says why: ``withheld`` (USGS ``W``: withheld to avoid disclosing
    company proprietary data) is not ``not_available`` (``NA``); see
    :data:`VALUE_STATUS`. ``lower_bound`` marks values given as ``>N``; ``estimated``
    marks estimates (USGS ``2025e``). A value that covers several years (USGS import
    sources 2021-24) has ``year_start`` (2021) and ``year`` (2024).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    mineral: str
    form: str | None = None
    measure: str = Field(max_length=60, pattern=MEASURE_PATTERN)
    label: str | None = None
    country: str | None = None
    country_label: str | None = Field(default=None, max_length=120)
    year: int = Field(ge=1900, le=2100)
    value: float | None
    unit: str
    raw_value: str | None = Field(default=None, max_length=40)
    value_status: str | None = Field(default=None, max_length=20)
    year_start: int | None = Field(default=None, ge=1900, le=2100)
    estimated: bool = False
    lower_bound: bool = False
    locator: str | None = None
    sources: tuple[SourceRef, ...] = ()

    @field_validator("mineral")
    @classmethod
    def _known_mineral(cls, v: str) -> str:
        return check_mineral(v)

    @field_validator("country")
    @classmethod
    def _iso3(cls, v: str | None) -> str | None:
        return None if v is None else check_iso3(v)

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, v: str) -> str:
        return parse_unit(v).value


class TradeFlowRecord(BaseModel):
    """A bilateral trade flow (CEPII BACI): FOB value in kUSD, gross weight in t.

    ``exporter``/``importer`` are ISO3 codes, or None for BACI aggregates that are not
    countries (e.g. 711 "Southern African Customs Union"); the BACI codes are kept.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(ge=1900, le=2100)
    hs6: str = Field(pattern=r"^\d{6}$")
    hs_revision: str = "HS1992"
    exporter: str | None = None
    importer: str | None = None
    exporter_code: int
    importer_code: int
    value_kusd: float = Field(ge=0)
    quantity_t: float | None = Field(default=None, ge=0)
