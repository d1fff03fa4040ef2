"""Scrap and recycling exchange: offers and requests for scrap lots.

A listing is an **offer** (a lot for sale: one scrap type, one grade) or a **request**
(what a recycler will take: the scrap types it accepts, a grade range and the
standards a lot must meet). Both carry the mineral, quantity (t), location, price
(USD/t) or a price formula, the standards and certifications, an availability window
and the sharing level every record has. Every field is bounded; errors name the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from critmin.domain.entities import check_iso3, check_mineral, storable_text
from critmin.domain.enums import Sharing
from critmin.domain.json_scalars import JsonScalars
from critmin.i18n import N_

SIDES = ("offer", "request")
MAX_T = 1e6
"""Largest lot, t (a year of world tungsten mine output is about 80,000 t)."""
MAX_PRICE_USD_T = 1e9
MAX_LIST = 20

SCRAP_TYPES: dict[str, tuple[str, str]] = {
    "carbide_inserts": ("tungsten", N_("Carbide inserts")),
    "solid_carbide": ("tungsten", N_("Solid carbide tools and rods")),
    "heavy_alloy": ("tungsten", N_("Tungsten heavy alloy")),
    "grinding_sludge": ("tungsten", N_("Carbide grinding sludge")),
    "tungsten_turnings": ("tungsten", N_("Tungsten turnings and chips")),
    "gaas_wafer_kerf": ("gallium", N_("GaAs wafer kerf (sawing and lapping residue)")),
    "gaas_wafer_scrap": ("gallium", N_("GaAs broken and reject wafers")),
    "gallium_process_residue": ("gallium", N_("Gallium process residues (epitaxy, MOCVD)")),
}
"""Scrap type code -> (mineral, label)."""

SCRAP_FORMS = {"tungsten": "tungsten_scrap", "gallium": "gallium_scrap"}
"""The catalogue form a mineral's scrap is checked as (export controls, HS codes)."""

STANDARDS: dict[str, str] = {
    "iso_9001": N_("ISO 9001 (quality management)"),
    "iso_14001": N_("ISO 14001 (environmental management)"),
    "iso_45001": N_("ISO 45001 (occupational health and safety)"),
    "r2": N_("R2 Responsible Recycling"),
    "e_stewards": N_("e-Stewards"),
    "rmi_rmap": N_("RMI Responsible Minerals Assurance Process"),
    "oecd_ddg": N_("OECD due diligence guidance"),
    "basel_pic": N_("Basel Convention prior informed consent"),
}
"""Certifications and environmental/quality standards a lot may meet or a buyer require."""

SHARING_ALIASES = {"private": "owner"}


def scrap_types_for(mineral: str | None = None) -> list[str]:
    return [k for k, (m, _) in SCRAP_TYPES.items() if mineral is None or m == mineral]


class ScrapListing(JsonScalars):
    """An offer or a request for scrap, as a caller writes it."""

    model_config = {"extra": "forbid", "allow_inf_nan": False, "use_enum_values": True}

    side: Literal["offer", "request"] = Field(description="offer (a lot for sale) or request.")
    reference: str | None = Field(None, max_length=120, description="The owner's lot reference.")
    mineral: str = Field(min_length=1, max_length=40, description="Mineral code, e.g. tungsten.")
    scrap_types: list[str] = Field(
        min_length=1, max_length=MAX_LIST,
        description="Scrap type of an offer (exactly one) or the types a request accepts.",
    )  # fmt: skip
    grade_pct: float | None = Field(
        None, gt=0, le=100, description="Offer: content of the mineral, percent by mass."
    )
    grade_min_pct: float | None = Field(None, ge=0, le=100, description="Request: lowest grade.")
    grade_max_pct: float | None = Field(None, gt=0, le=100, description="Request: highest grade.")
    assay: dict[str, float] = Field(
        default_factory=dict, max_length=MAX_LIST,
        description="Assay by element symbol, percent by mass (e.g. {'W': 88.5, 'Co': 8}).",
    )  # fmt: skip
    quantity_t: float = Field(gt=0, le=MAX_T, description="Quantity, t.")
    country: str = Field(min_length=3, max_length=3, description="ISO 3166-1 alpha-3.")
    place: str | None = Field(None, max_length=200, description="Town, port or site.")
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude, degrees.")
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude, degrees.")
    price_usd_per_t: float | None = Field(None, ge=0, le=MAX_PRICE_USD_T, description="USD/t.")
    price_formula: str | None = Field(
        None, min_length=1, max_length=200, description="e.g. '85% of APT mid'."
    )
    standards: list[str] = Field(
        default_factory=list, max_length=MAX_LIST,
        description="Offer: certifications and standards the lot meets.",
    )  # fmt: skip
    required_standards: list[str] = Field(
        default_factory=list, max_length=MAX_LIST,
        description="Request: standards a lot must meet.",
    )  # fmt: skip
    available_from: dt.date
    available_to: dt.date | None = Field(None, description="Not before available_from.")
    sharing: Sharing = Field(Sharing.OWNER, description="public, partners or owner (private).")
    notes: str | None = Field(None, max_length=1000)

    @field_validator("*")
    @classmethod
    def _text(cls, v: Any) -> Any:
        if not storable_text(v):
            raise ValueError("text must be valid Unicode without NUL characters")
        return v

    @field_validator("sharing", mode="before")
    @classmethod
    def _sharing(cls, v: Any) -> Any:
        return (
            SHARING_ALIASES.get(v.strip().lower(), v.strip().lower()) if isinstance(v, str) else v
        )

    @field_validator("mineral")
    @classmethod
    def _mineral(cls, v: str) -> str:
        return check_mineral(v.strip().lower()) or v

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return check_iso3(v) or v

    @field_validator("scrap_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        out = [t.strip().lower() for t in v]
        bad = [t for t in out if t not in SCRAP_TYPES]
        if bad:
            raise ValueError(f"unknown scrap type {bad[0]!r}; expected one of "
                             f"{', '.join(SCRAP_TYPES)}")  # fmt: skip
        return list(dict.fromkeys(out))

    @field_validator("standards", "required_standards")
    @classmethod
    def _standards(cls, v: list[str]) -> list[str]:
        out = [s.strip().lower() for s in v]
        bad = [s for s in out if s not in STANDARDS]
        if bad:
            raise ValueError(f"unknown standard {bad[0]!r}; expected one of "
                             f"{', '.join(STANDARDS)}")  # fmt: skip
        return list(dict.fromkeys(out))

    @field_validator("assay")
    @classmethod
    def _assay(cls, v: dict[str, float]) -> dict[str, float]:
        for element, pct in v.items():
            if not (1 <= len(element) <= 3 and element.isascii() and element.isalpha()):
                raise ValueError(f"assay element {element!r}: expected a symbol such as W or Co")
            if isinstance(pct, bool) or not 0 <= float(pct) <= 100:
                raise ValueError(f"assay {element}: expected a percent from 0 to 100")
        if sum(v.values()) > 100.0001:
            raise ValueError("assay percentages add up to more than 100")
        return {k[0].upper() + k[1:].lower(): float(p) for k, p in v.items()}

    @model_validator(mode="after")
    def _rules(self) -> ScrapListing:
        def bad(field: str, problem: str) -> ValueError:
            return ValueError(f"{field}: {problem}")

        wrong = [t for t in self.scrap_types if SCRAP_TYPES[t][0] != self.mineral]
        if wrong:
            raise bad("scrap_types", f"{wrong[0]!r} is {SCRAP_TYPES[wrong[0]][0]} scrap, not "
                      f"{self.mineral}; expected one of "
                      f"{', '.join(scrap_types_for(self.mineral)) or '(none yet)'}")  # fmt: skip
        if self.side == "offer":
            if len(self.scrap_types) != 1:
                raise bad("scrap_types", "an offer is one lot of one scrap type")
            if self.grade_pct is None:
                raise bad("grade_pct", "an offer states its grade (percent)")
            if self.grade_min_pct is not None or self.grade_max_pct is not None:
                raise bad("grade_min_pct", "a grade range belongs to a request; an offer "
                          "gives grade_pct")  # fmt: skip
            if self.required_standards:
                raise bad("required_standards", "belongs to a request; an offer lists the "
                          "standards it meets in standards")  # fmt: skip
        else:
            if self.grade_pct is not None:
                raise bad("grade_pct", "a request gives a range: grade_min_pct and "
                          "grade_max_pct")  # fmt: skip
            if self.grade_min_pct is None:
                raise bad("grade_min_pct", "a request states the lowest grade it takes")
            if self.grade_max_pct is None:
                self.grade_max_pct = 100.0
            if self.grade_max_pct < self.grade_min_pct:
                raise bad("grade_max_pct", f"must not be below grade_min_pct "
                          f"({self.grade_min_pct:g})")  # fmt: skip
            if self.standards:
                raise bad("standards", "belongs to an offer; a request lists "
                          "required_standards")  # fmt: skip
        if (self.lat is None) != (self.lon is None):
            raise bad("lon" if self.lon is None else "lat", "give latitude and longitude "
                      "together, or neither")  # fmt: skip
        if self.price_usd_per_t is not None and self.price_formula is not None:
            raise bad("price_formula", "give a price (USD/t) or a price formula, not both")
        if self.available_to is not None and self.available_to < self.available_from:
            raise bad("available_to", f"must not be before available_from "
                      f"({self.available_from})")  # fmt: skip
        return self


def scrap_type_label(code: str) -> str:
    from critmin.i18n import _

    return _(SCRAP_TYPES[code][1]) if code in SCRAP_TYPES else code


def standard_label(code: str) -> str:
    from critmin.i18n import _

    return _(STANDARDS[code]) if code in STANDARDS else code


def listing_problems(exc: Any) -> list[dict[str, Any]]:
    """``[{"field", "problem", "value"}]`` for a failed validation; a rule over several
    fields names the field its message starts with."""
    out = []
    for e in exc.errors():
        field = ".".join(str(p) for p in e["loc"])
        problem = e["msg"].removeprefix("Value error, ")
        value = e.get("input") if field else None
        head, sep, rest = problem.partition(": ")
        if not field and sep and head in ScrapListing.model_fields:
            field, problem = head, rest
            value = e.get("input", {}).get(head) if isinstance(e.get("input"), dict) else None
        out.append({"field": field or "(body)", "problem": problem, "value": value})
    return out
