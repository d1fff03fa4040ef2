"""Export-control and trade measures: who imposes what, on which minerals, from when.

The curated file ``data/curated/measures.yaml`` is a :class:`MeasureFile`. Dates known
only to the month or year are stored as the 1st (of the month / of January) with
``date_precision`` saying how much of the date is meaningful (a year-precision date on
31 December means "the end of that year"); ``expiry_derived`` marks an expiry computed
from the source ("for 1 year") rather than stated. ``description`` is what users read;
how the record was compiled goes in ``curation_note``. An empty
``target_countries`` list means all destinations. Things that are not minerals in the
catalogue (e.g. "superhard materials") belong in ``description``, not in ``minerals``.

Each date may state its own precision (``announced_precision`` ...; unset: the record's
``date_precision``) and whether the source states it or it is derived
(``announced_derived`` ...). ``items`` lists what the measure covers (HS codes with their
nomenclature year, products in words, technologies); ``end_users`` the listed end users
it targets; ``end_use`` the end uses it concerns. ``extraterritorial`` means it reaches
re-exports of the imposer's goods through third countries. A measure's status is never
stored: it is computed (see :mod:`critmin.analytics.rules`).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.domain.countries import is_iso3
from critmin.domain.enums import DatePrecision, EndUse, ItemKind, MeasureType
from critmin.domain.minerals import form_codes, get_form, mineral_codes
from critmin.domain.provenance import SourceRef

KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{1,119}$"


def check_iso3(code: str) -> str:
    if not is_iso3(code):
        raise ValueError("an ISO 3166-1 alpha-3 code such as CHN (see domain.countries)")
    return code


def check_form(code: str) -> str:
    try:
        get_form(code)
    except KeyError:
        raise ValueError(f"a known form code: {', '.join(form_codes())}") from None
    return code


def check_mineral(code: str) -> str:
    if code not in mineral_codes():
        raise ValueError(f"a known mineral code: {', '.join(mineral_codes())}")
    return code


class MeasureItem(BaseModel):
    """One thing a measure covers: an HS code (with its nomenclature year), a product
    in words, or a technology."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    kind: ItemKind
    code: str | None = Field(
        default=None, pattern=r"^[0-9]{2,10}$", description="HS (or national tariff) code."
    )
    nomenclature: str | None = Field(
        default=None, max_length=40, description="e.g. 'HS2022' or 'China customs 2023'."
    )
    description: str = Field(min_length=1, max_length=1_000)
    mineral: str | None = Field(
        default=None, max_length=40, description="Mineral code it belongs to."
    )

    @field_validator("mineral")
    @classmethod
    def _mineral(cls, v: str | None) -> str | None:
        return None if v is None else check_mineral(v)

    @model_validator(mode="after")
    def _code(self) -> MeasureItem:
        if self.kind == ItemKind.HS and (not self.code or not self.nomenclature):
            raise ValueError("an HS item needs its code and the nomenclature (year) it is in")
        if self.kind == ItemKind.TECHNOLOGY and self.code:
            raise ValueError("a technology item has no HS code")
        return self


class Milestone(BaseModel):
    """A further dated step of a measure (e.g. a statutory deadline), with its precision
    and whether it is derived (computed from a rule) rather than stated."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    label: str = Field(min_length=1, max_length=300)
    date: dt.date
    precision: DatePrecision = DatePrecision.DAY
    derived: bool = False
    basis: str | None = Field(default=None, max_length=500, description="Rule it follows.")


DATE_FIELDS = ("announced", "effective", "expiry")


class MeasureRecord(BaseModel):
    """One export-control or trade measure, with its sources."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    title_original: str | None = Field(
        default=None, min_length=1, max_length=300,
        description="The title in its original language and script (e.g. '出口管制法'), "
                    "quoted by one of the sources; unset when it is the English title.",
    )  # fmt: skip
    imposing_country: str
    target_countries: list[str] = Field(
        default_factory=list, description="ISO3 codes; empty = all destinations."
    )
    minerals: list[str] = Field(default_factory=list)
    forms: list[str] = Field(default_factory=list)
    measure_type: MeasureType
    extraterritorial: bool = False
    announced: dt.date | None = None
    effective: dt.date | None = None
    expiry: dt.date | None = None
    expiry_derived: bool = Field(
        default=False, description="The expiry is computed (e.g. 'for 1 year'), not stated."
    )
    date_precision: DatePrecision = DatePrecision.DAY
    announced_precision: DatePrecision | None = None
    effective_precision: DatePrecision | None = None
    expiry_precision: DatePrecision | None = None
    announced_derived: bool = False
    effective_derived: bool = False
    items: list[MeasureItem] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    end_users: list[str] = Field(
        default_factory=list, description="Listed end users targeted (empty: not limited)."
    )
    end_use: EndUse = EndUse.ALL
    relates_to: str | None = Field(default=None, pattern=KEY_PATTERN)
    legal_basis: str | None = None
    description: str | None = Field(default=None, description="What users read about it.")
    curation_note: str | None = Field(
        default=None, description="How it was compiled (judgements, gaps); shown on request."
    )
    sources: list[SourceRef] = Field(min_length=1)

    @model_validator(mode="after")
    def _precisions(self) -> MeasureRecord:
        for f in DATE_FIELDS:
            if getattr(self, f"{f}_precision") is None:
                setattr(self, f"{f}_precision", self.date_precision)
        return self

    @model_validator(mode="after")
    def _original_is_quoted(self) -> MeasureRecord:
        """A curated original title is one a cited source gives word for word."""
        t = self.title_original
        if t and not any(t in f"{s.document} {s.title or ''} {s.quote or ''}"
                         for s in self.sources):  # fmt: skip
            raise ValueError(f"title_original {t!r} is not quoted by any of the sources "
                             "(document, title or quote)")  # fmt: skip
        return self

    @field_validator("imposing_country")
    @classmethod
    def _imposer(cls, v: str) -> str:
        return check_iso3(v)

    @field_validator("target_countries")
    @classmethod
    def _targets(cls, v: list[str]) -> list[str]:
        return [check_iso3(c) for c in v]

    @field_validator("minerals")
    @classmethod
    def _minerals(cls, v: list[str]) -> list[str]:
        return [check_mineral(m) for m in v]

    @field_validator("forms")
    @classmethod
    def _forms(cls, v: list[str]) -> list[str]:
        return [check_form(f) for f in v]

    @model_validator(mode="after")
    def _consistent(self) -> MeasureRecord:
        for code in self.forms:
            if self.minerals and get_form(code).mineral not in self.minerals:
                raise ValueError(f"form {code!r} is not a form of {self.minerals}")
        if self.effective and self.expiry and self.expiry < self.effective:
            raise ValueError("expiry is before effective")
        if self.relates_to == self.key:
            raise ValueError("a measure cannot relate to itself")
        return self


class MeasureFile(BaseModel):
    """A document of measures; keys are unique and ``relates_to`` points inside it."""

    model_config = ConfigDict(extra="forbid")

    measures: list[MeasureRecord]

    @model_validator(mode="after")
    def _keys(self) -> MeasureFile:
        keys = [m.key for m in self.measures]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate keys: {', '.join(dupes)}")
        missing = sorted({m.relates_to for m in self.measures if m.relates_to} - set(keys))
        if missing:
            raise ValueError(f"relates_to names unknown measures: {', '.join(missing)}")
        return self
