"""API schemas for the tracked entities partners edit: facilities, export-control
measures, price series and observations, stockpile lots and offtake agreements.

Each entity follows the ``Base / Create / Update / Public`` ladder:

- ``XBase`` declares the fields, their types, units and plain constraints;
- ``XCreate`` adds the catalogue checks (ISO3 countries, mineral and form codes,
  units) and the cross-field rules (expiry >= effective, ...), each error naming
  its field;
- ``XUpdate`` is ``XCreate`` with every field optional (a PATCH body); the merged
  record is validated again as an ``XCreate``;
- ``XPublic`` is what the API returns: the fields plus id, owner, version, flags.

Every field is bounded (text and list lengths, numeric ranges: the ``MAX_*`` constants
here and in :mod:`critmin.domain.projects`), so sums over any number of records stay
finite and every stored value can be sent back.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from critmin.domain.countries import is_iso3
from critmin.domain.enums import (
    DatePrecision,
    EndUse,
    Frequency,
    MeasureType,
    ObservationKind,
    Qualifier,
    Sharing,
)
from critmin.domain.json_scalars import JsonScalars
from critmin.domain.measures import MeasureItem, Milestone
from critmin.domain.minerals import form_codes, get_form, mineral_codes
from critmin.domain.prices import parse_window
from critmin.domain.projects import (
    MAX_CAPACITY_TPA,
    MAX_ITEMS,
    MAX_MONEY,
    MAX_NOTE,
    MAX_PRICE,
    MAX_SHORT_NOTE,
)
from critmin.domain.provenance import SourceRef
from critmin.domain.units import Unit, UnitError, parse_unit

KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{1,119}$"
MAX_INT = 2**31 - 1
"""The largest value an INTEGER column holds on every backend."""
MAX_QUANTITY = 1e12
"""Largest stockpiled quantity, in the lot's unit."""
MASS_UNITS = frozenset({Unit.KG, Unit.T, Unit.KT, Unit.T_WO3, Unit.MTU_WO3, Unit.T_REO})
PRICE_UNITS = frozenset(
    u for u in Unit if "/" in u.value and u.value.split("/")[0] in {"USD", "CNY", "USC"}
)


# ---------------------------------------------------------------- field checks


def check_iso3(value: str | None) -> str | None:
    """An upper-cased ISO 3166-1 alpha-3 code, or ValueError."""
    if value is None:
        return None
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha() or not is_iso3(code):
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-3 country code")
    return code


def check_mineral(value: str | None) -> str | None:
    if value is not None and value not in mineral_codes():
        raise ValueError(f"unknown mineral {value!r}; expected one of {', '.join(mineral_codes())}")
    return value


def check_form(value: str | None, mineral: str | None = None) -> str | None:
    """A known form code that, when ``mineral`` is given, is a form of it."""
    if value is None:
        return None
    try:
        form = get_form(value)
    except KeyError:
        raise ValueError(
            f"unknown form {value!r}; expected one of {', '.join(form_codes(mineral))}"
        ) from None
    if mineral is not None and form.mineral != mineral:
        raise ValueError(f"{value!r} is a form of {form.mineral}, not {mineral}")
    return value


def check_unit(
    value: str | None, allowed: frozenset[Unit] | None = None, what: str = ""
) -> str | None:
    """A known unit code (from ``allowed`` when given), or ValueError naming the choices."""
    if value is None:
        return None
    try:
        unit = parse_unit(value)
    except UnitError as exc:
        raise ValueError(str(exc)) from None
    if allowed is not None and unit not in allowed:
        choices = ", ".join(sorted(u.value for u in allowed))
        raise ValueError(f"{value!r} is not a {what} unit; expected one of: {choices}")
    return unit.value


def check_not_before(value: Any, info: ValidationInfo, *earlier: str, word: str = "before") -> Any:
    """``value`` must not be before (below) the first of the ``earlier`` fields that is set."""
    for name in earlier:
        other = info.data.get(name)
        if value is not None and other is not None:
            if value < other:
                raise ValueError(f"must not be {word} {name} ({other})")
            break
    return value


def problems(exc: ValidationError) -> list[dict[str, Any]]:
    """``[{"field", "problem"}]`` for each error of a failed validation."""
    return [
        {
            "field": ".".join(str(p) for p in e["loc"]) or "(body)",
            "problem": e["msg"].removeprefix("Value error, "),
        }
        for e in exc.errors()
    ]


def storable_text(value: Any) -> bool:
    """Whether every string in ``value`` (nested too) can be stored and sent as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return False
        return "\x00" not in value
    if isinstance(value, BaseModel):
        value = value.__dict__
    if isinstance(value, dict):
        value = value.values()
    if isinstance(value, list | tuple | type({}.values())):
        return all(storable_text(v) for v in value)
    return True


# ---------------------------------------------------------------- shared parts


class _Schema(JsonScalars):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _storable_text(cls, v: Any) -> Any:
        if not storable_text(v):
            raise ValueError("text must be valid Unicode without NUL characters")
        return v


class _Shared(_Schema):
    sharing: Sharing = Field(
        default=Sharing.PUBLIC,
        description="public: everyone; partners: the owner's partnership groups; owner: only it.",
    )
    sources: list[SourceRef] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Citations."
    )


def _utc(value: dt.datetime) -> dt.datetime:
    """Stored timestamps are UTC; SQLite hands them back naive."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]


class _MineralAndForm(BaseModel):
    """Checks shared by records of one mineral and, optionally, one of its forms."""

    @field_validator("mineral", check_fields=False)
    @classmethod
    def _mineral(cls, v: str | None) -> str | None:
        return check_mineral(v)

    @field_validator("form", check_fields=False)
    @classmethod
    def _form(cls, v: str | None, info: ValidationInfo) -> str | None:
        return check_form(v, info.data.get("mineral"))


class RecordMeta(BaseModel):
    """What the store adds to every shared record."""

    id: int
    owner_org_id: int | None = Field(description="Owning organisation; null = bundled data.")
    version: int = Field(description="Bumped by every change; the ETag carries it.")
    deleted: bool = False
    editable: bool = Field(False, description="Whether the caller may edit this record.")
    dataset_id: int | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


def partial(model: type[BaseModel], name: str) -> type[BaseModel]:
    """``model`` with every field optional (default None), keeping constraints and checks."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        inner = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        fields[field_name] = (inner | None, Field(default=None, description=info.description))
    doc = (
        f"A partial update of {model.__name__.removesuffix('Create')}: only the fields sent change."
    )
    return create_model(name, __base__=model, __doc__=doc, **fields)


Key = Annotated[str, Field(pattern=KEY_PATTERN, description="Stable lowercase slug.")]
Country = Annotated[str, Field(min_length=3, max_length=3, description="ISO 3166-1 alpha-3.")]
Money = Annotated[float, Field(ge=0, le=MAX_MONEY)]
Price = Annotated[float, Field(ge=0, le=MAX_PRICE)]
Code = Annotated[str, Field(max_length=40)]
"""A mineral or form code."""
UnitCode = Annotated[str, Field(max_length=24)]
Note = Annotated[str, Field(max_length=MAX_NOTE)]
ShortNote = Annotated[str, Field(max_length=MAX_SHORT_NOTE)]


# ---------------------------------------------------------------- facilities


class FacilityBase(_Shared):
    key: Key
    name: str = Field(min_length=1, max_length=300)
    kind: str | None = Field(None, max_length=60, description="e.g. 'alumina refinery'.")
    operator: str | None = Field(None, max_length=200)
    country: Country
    site: str | None = Field(None, max_length=300)
    minerals: list[Code] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Mineral codes handled."
    )
    notes: Note | None = None


class FacilityCreate(FacilityBase):
    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        return check_iso3(v)

    @field_validator("minerals")
    @classmethod
    def _minerals(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [str(check_mineral(m)) for m in v]


FacilityUpdate = partial(FacilityCreate, "FacilityUpdate")


class FacilityPublic(FacilityBase, RecordMeta):
    pass


# ---------------------------------------------------------------- export-control measures


class MeasureBase(_Shared):
    key: Key
    title: str = Field(min_length=1, max_length=300)
    title_original: str | None = Field(
        None, min_length=1, max_length=300,
        description="The title in its original language and script, e.g. '出口管制法', if "
                    "different from title.",
    )  # fmt: skip
    imposing_country: Country
    target_countries: list[Code] = Field(
        default_factory=list, max_length=300, description="ISO3 codes; empty = all destinations."
    )
    minerals: list[Code] = Field(default_factory=list, max_length=MAX_ITEMS)
    forms: list[Code] = Field(default_factory=list, max_length=MAX_ITEMS)
    measure_type: MeasureType
    extraterritorial: bool = False
    announced: dt.date | None = None
    effective: dt.date | None = Field(None, description="Not before announced.")
    expiry: dt.date | None = Field(None, description="Not before effective (or announced).")
    expiry_derived: bool = Field(
        False, description="The expiry is computed (e.g. 'for 1 year'), not stated by a source."
    )
    date_precision: DatePrecision = DatePrecision.DAY
    announced_precision: DatePrecision | None = Field(
        None, description="Precision of this date (unset: date_precision)."
    )
    effective_precision: DatePrecision | None = None
    expiry_precision: DatePrecision | None = None
    announced_derived: bool = Field(False, description="Computed, not stated by a source.")
    effective_derived: bool = False
    items: list[MeasureItem] = Field(
        default_factory=list, max_length=MAX_ITEMS,
        description="HS codes (with nomenclature year), products, technologies covered.",
    )
    milestones: list[Milestone] = Field(default_factory=list, max_length=MAX_ITEMS)
    end_users: list[ShortNote] = Field(default_factory=list, max_length=MAX_ITEMS)
    end_use: EndUse = EndUse.ALL
    relates_to: str | None = Field(None, pattern=KEY_PATTERN, description="Key of a measure.")
    legal_basis: ShortNote | None = None
    description: Note | None = None
    sources: list[SourceRef] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="At least one citation."
    )


class MeasureCreate(MeasureBase):
    sources: list[SourceRef] = Field(
        min_length=1, max_length=MAX_ITEMS, description="At least one citation."
    )

    @field_validator("imposing_country")
    @classmethod
    def _imposer(cls, v: str | None) -> str | None:
        return check_iso3(v)

    @field_validator("target_countries")
    @classmethod
    def _targets(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [str(check_iso3(c)) for c in v]

    @field_validator("minerals")
    @classmethod
    def _minerals(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [str(check_mineral(m)) for m in v]

    @field_validator("forms")
    @classmethod
    def _forms(cls, v: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if v is None:
            return None
        minerals = info.data.get("minerals") or []
        for code in v:
            check_form(code)
            if minerals and get_form(code).mineral not in minerals:
                raise ValueError(f"{code!r} is not a form of {', '.join(minerals)}")
        return v

    @field_validator("effective")
    @classmethod
    def _effective(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        return check_not_before(v, info, "announced")

    @field_validator("expiry")
    @classmethod
    def _expiry(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        return check_not_before(v, info, "effective", "announced")

    @field_validator("relates_to")
    @classmethod
    def _relates(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and v == info.data.get("key"):
            raise ValueError("a measure cannot relate to itself")
        return v


MeasureUpdate = partial(MeasureCreate, "MeasureUpdate")


class MeasurePublic(MeasureBase, RecordMeta):
    pass


# ---------------------------------------------------------------- price series


class PriceSeriesBase(_Shared):
    key: Key
    mineral: Code = Field(description="Mineral code, e.g. 'gallium'.")
    form: Code | None = Field(None, description="Form code of that mineral.")
    purity: str | None = Field(None, max_length=40, description="Purity or grade, e.g. '99.99%'.")
    market: str = Field(min_length=1, max_length=120, description="Market or location.")
    unit: UnitCode = Field(description="Price unit (currency/quantity), e.g. 'USD/kg'.")
    frequency: Frequency | None = Field(None, description="How often the price is quoted.")
    description: Note | None = None


class PriceSeriesCreate(_MineralAndForm, PriceSeriesBase):
    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str | None) -> str | None:
        return check_unit(v, PRICE_UNITS, "price")


PriceSeriesUpdate = partial(PriceSeriesCreate, "PriceSeriesUpdate")


class PriceSeriesPublic(PriceSeriesBase, RecordMeta):
    pass


class ObservationBase(_Schema):
    date: dt.date
    date_precision: DatePrecision = DatePrecision.DAY
    kind: ObservationKind = ObservationKind.LEVEL
    qualifier: Qualifier = Field(
        Qualifier.EXACT, description="exact, approximate, lower_bound (>43%) or upper_bound."
    )
    value: float = Field(ge=-MAX_PRICE, le=MAX_PRICE, description="A level must not be negative.")
    unit: UnitCode | None = Field(
        None, description="Defaults to the series' unit (level), percent_change or ratio."
    )
    window: str | None = Field(
        None, max_length=40,
        description="change_pct: the window it is measured over, ISO 8601 (P1M, 2023-07/2025-05).",
    )  # fmt: skip
    relative_to: str | None = Field(
        None, max_length=120, validate_default=True,
        description="ratio_to_series: the key of the other series.",
    )  # fmt: skip
    reference: str | None = Field(
        None, max_length=120, validate_default=True,
        description="The base a change is measured from, in words.",
    )  # fmt: skip
    note: ShortNote | None = None
    sources: list[SourceRef] = Field(default_factory=list, max_length=MAX_ITEMS)


class ObservationCreate(ObservationBase):
    """Each rule is checked on the field it concerns, so an error names that field."""

    @field_validator("value")
    @classmethod
    def _value(cls, v: float | None, info: ValidationInfo) -> float | None:
        if v is not None and v < 0 and info.data.get("kind") != ObservationKind.CHANGE_PCT:
            raise ValueError(f"a {info.data.get('kind') or 'level'} must not be negative")
        return v

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str | None) -> str | None:
        return check_unit(v)

    @field_validator("window")
    @classmethod
    def _window(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return None
        if info.data.get("kind") != ObservationKind.CHANGE_PCT:
            raise ValueError("only a change_pct observation has a window")
        return parse_window(v)

    @model_validator(mode="before")
    @classmethod
    def _legacy_ratio(cls, data: Any) -> Any:
        """A ratio used to name its series in ``reference``: read that as ``relative_to``."""
        if (isinstance(data, dict) and data.get("kind") == ObservationKind.RATIO_TO_SERIES
                and not data.get("relative_to") and isinstance(data.get("reference"), str)):
            data = {**data, "relative_to": data["reference"]}
        return data  # fmt: skip

    @field_validator("relative_to", mode="after")
    @classmethod
    def _relative_to(cls, v: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind == ObservationKind.RATIO_TO_SERIES and not v:
            raise ValueError("a ratio_to_series observation needs the key of the other series")
        if v and kind is not None and kind != ObservationKind.RATIO_TO_SERIES:
            raise ValueError("only a ratio_to_series observation is relative to another series")
        return v

    @field_validator("reference", mode="after")
    @classmethod
    def _reference(cls, v: str | None, info: ValidationInfo) -> str | None:
        if (info.data.get("kind") == ObservationKind.CHANGE_PCT and not v
                and not info.data.get("window") and "window" not in _failed(info)):
            raise ValueError("a change_pct observation needs its window (e.g. P1M) or a "
                             "reference naming the base it is measured from")
        return v  # fmt: skip


def _failed(info: ValidationInfo) -> set[str]:
    """Fields validated before this one that failed (absent from ``info.data``)."""
    return {"date", "date_precision", "kind", "qualifier", "value", "unit", "window",
            "relative_to"} - set(info.data)  # fmt: skip


ObservationUpdate = partial(ObservationCreate, "ObservationUpdate")


class ObservationPublic(ObservationBase):
    id: int
    series_id: int
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


# ---------------------------------------------------------------- stockpile lots


class StockpileLotBase(_Shared):
    mineral: Code
    form: Code | None = None
    quantity: float = Field(ge=0, le=MAX_QUANTITY, description="Quantity in ``unit``.")
    unit: UnitCode = Field("t", description="Mass unit: kg, t, kt, t WO3, mtu WO3, t REO.")
    location: str | None = Field(None, max_length=200)
    acquired: dt.date | None = None
    shelf_life_days: int | None = Field(None, ge=0, le=MAX_INT)
    expires: dt.date | None = Field(None, description="Not before acquired.")
    cost_usd: Money | None = None
    purity_pct: float | None = Field(None, gt=0, le=100, allow_inf_nan=False,
                                     description="Purity, percent (99.99 for 4N).")
    supplier: str | None = Field(None, max_length=200)
    supplier_country: Country | None = Field(None, description="The supplier's country, "
                                             "ISO 3166-1 alpha-3.")


class StockpileLotCreate(_MineralAndForm, StockpileLotBase):
    @field_validator("supplier_country")
    @classmethod
    def _supplier_country(cls, v: str | None) -> str | None:
        return None if v is None else check_iso3(v)

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str | None) -> str | None:
        return check_unit(v, MASS_UNITS, "mass")

    @field_validator("expires")
    @classmethod
    def _expires(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        return check_not_before(v, info, "acquired")


StockpileLotUpdate = partial(StockpileLotCreate, "StockpileLotUpdate")


class StockpileLotPublic(StockpileLotBase, RecordMeta):
    pass


# ---------------------------------------------------------------- offtake agreements


class OfftakeBase(_Shared):
    project_id: int | None = Field(
        None, ge=1, le=MAX_INT, description="A project the caller can see."
    )
    buyer: str = Field(min_length=1, max_length=200)
    seller: str | None = Field(None, max_length=200)
    mineral: Code
    form: Code | None = None
    volume_tpa: float | None = Field(
        None, ge=0, le=MAX_CAPACITY_TPA, description="Contracted volume, t/yr."
    )
    floor_price: Price | None = None
    ceiling_price: Price | None = Field(None, description="Not below the floor price.")
    price_unit: UnitCode | None = Field(None, description="Needed with a floor or ceiling price.")
    start: dt.date | None = None
    end: dt.date | None = Field(None, description="Not before start.")


class OfftakeCreate(_MineralAndForm, OfftakeBase):
    price_unit: UnitCode | None = Field(
        None, validate_default=True, description="Needed with a floor or ceiling price."
    )

    @field_validator("ceiling_price")
    @classmethod
    def _ceiling(cls, v: float | None, info: ValidationInfo) -> float | None:
        return check_not_before(v, info, "floor_price", word="below")

    @field_validator("price_unit")
    @classmethod
    def _price_unit(cls, v: str | None, info: ValidationInfo) -> str | None:
        prices = (info.data.get("floor_price"), info.data.get("ceiling_price"))
        if v is None and any(p is not None for p in prices):
            raise ValueError("a floor or ceiling price needs a price unit")
        return check_unit(v, PRICE_UNITS, "price")

    @field_validator("end")
    @classmethod
    def _end(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        return check_not_before(v, info, "start")


OfftakeUpdate = partial(OfftakeCreate, "OfftakeUpdate")


class OfftakePublic(OfftakeBase, RecordMeta):
    pass
