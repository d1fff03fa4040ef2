"""Spec files for the offtake simulator and the retrofit ranking (YAML or JSON).

Every field is checked; an error names the field path, the value and what was expected
(:class:`SpecError`). The models are documented in ``docs/offtake.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class SpecError(ValueError):
    """A spec that cannot be used: ``errors`` is a list of ``{"field", "problem"}``."""

    def __init__(self, errors: list[dict[str, str]], source: str = "spec") -> None:
        self.errors = errors
        self.source = source
        super().__init__(f"{source}: " + "; ".join(f"{e['field']}: {e['problem']}"
                                                  for e in errors))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Assumption(_Strict):
    """A figure with its label: ``assumption`` true when it is not from the bundled data."""

    source: str | None = None
    assumption: bool = True


class PriceModel(Assumption):
    kind: Literal["lognormal", "fit_annual", "bootstrap"]
    start: float | None = Field(None, gt=0)
    mu: float | None = None
    sigma: float | None = Field(None, ge=0)
    annual_prices: list[float] | None = None
    series: str | None = None
    block: int = Field(3, ge=1, le=24)

    @model_validator(mode="after")
    def _complete(self) -> PriceModel:
        need = {"lognormal": ("start", "mu", "sigma"), "fit_annual": (),
                "bootstrap": ("series",)}[self.kind]
        if self.kind == "fit_annual" and (self.annual_prices is None) == (self.series is None):
            raise ValueError("kind fit_annual needs exactly one of annual_prices or series")
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"kind {self.kind} needs {', '.join(missing)}")
        return self


class StartLevel(_Strict):
    value: float = Field(gt=0)
    unit: str
    date: str = Field(description="YYYY-MM or YYYY: the FX rate used to convert")


class Benchmark(Assumption):
    name: str
    series: str | None = None
    start: StartLevel | None = None
    start_ratio_to_market: float | None = Field(None, gt=0)
    mu: float = 0.0
    sigma: float = Field(0.3, ge=0)

    @model_validator(mode="after")
    def _one_start(self) -> Benchmark:
        if (self.start is None) == (self.start_ratio_to_market is None):
            raise ValueError("give exactly one of start or start_ratio_to_market")
        return self


class Floor(Assumption):
    kind: Literal["fixed", "indexed"]
    value: float | None = Field(None, ge=0)
    margin_pct: float = 0.0
    margin_abs: float = 0.0

    @model_validator(mode="after")
    def _value(self) -> Floor:
        if self.kind == "fixed" and self.value is None:
            raise ValueError("a fixed floor needs value")
        return self


class CompletionLink(Assumption):
    beta: float
    reference_floor: float = Field(gt=0)


class ProjectSpec(Assumption):
    key: str | None = None
    id: int | None = None
    name: str | None = None
    country: str | None = None
    capacity_tpa: float | None = Field(None, ge=0)
    first_year: int | None = None
    completion_p: float | None = Field(None, ge=0, le=1)
    mean_delay_years: float | None = Field(None, ge=0)
    unit_cost: float = Field(ge=0)
    offered_share: float = Field(1.0, ge=0, le=1)


class BuyerSpec(_Strict):
    name: str
    tier: int = Field(1, ge=1)
    commitments: dict[str, float]
    floor: Floor | None = None
    cap: float | None = Field(None, gt=0)


class OfftakeSpec(_Strict):
    name: str = "offtake"
    mineral: str
    price_unit: Literal["USD/kg", "USD/t"] = "USD/kg"
    start_year: int = Field(ge=1900, le=2200)
    years: int = Field(ge=1, le=50)
    draws: int = Field(1000, ge=1, le=50_000)
    discount_rate: float = Field(0.0, ge=0, le=1)
    delay_dispersion: float = Field(2.0, gt=0)
    allocation: Literal["pro_rata", "priority"] = "pro_rata"
    price_model: PriceModel
    benchmark: Benchmark | None = None
    floor: Floor | None = None
    cap: float | None = Field(None, gt=0)
    completion_link: CompletionLink | None = None
    projects: list[ProjectSpec] = Field(min_length=1, max_length=200)
    buyers: list[BuyerSpec] = Field(default_factory=list, max_length=200)
    agreements: Literal["from_store", "none"] = "none"
    assumptions: list[str] = Field(default_factory=list)


class RetrofitSpec(_Strict):
    capacity_tpa: float = Field(gt=0)
    name: str
    plant: str
    country: str
    host: str
    capex_usd: float = Field(gt=0)
    opex_per_unit: float = Field(ge=0)
    ramp: list[float] = Field(default_factory=lambda: [0.5, 1.0])
    life_years: int = Field(10, ge=1, le=50)
    match_share: float = Field(0.0, ge=0, le=1)
    floor: float | None = Field(None, ge=0)
    backed_share: float = Field(0.0, ge=0, le=1)
    sources: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)


class RetrofitPortfolio(_Strict):
    name: str = "retrofits"
    mineral: str
    price_unit: Literal["USD/kg", "USD/t"] = "USD/kg"
    draws: int = Field(1000, ge=1, le=50_000)
    discount_rate: float = Field(0.08, ge=0, le=1)
    price_model: PriceModel
    candidates: list[RetrofitSpec] = Field(min_length=1, max_length=500)
    assumptions: list[str] = Field(default_factory=list)


def read_spec(data: Mapping[str, Any] | str | bytes | Path, model: type[BaseModel],
              source: str = "spec") -> Any:
    """Parse ``data`` (a mapping, YAML/JSON text, or a path) into ``model``."""
    if isinstance(data, Path):
        source = str(data)
        try:
            data = data.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError([{"field": "file", "problem": str(exc)}], source) from None
    if isinstance(data, bytes | str):
        try:
            data = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            raise SpecError([{"field": "body", "problem": f"not YAML or JSON: {exc}"}],
                            source) from None
    if not isinstance(data, Mapping):
        raise SpecError([{"field": "body", "problem": "expected a mapping of fields"}], source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body",
                   "problem": f"{e['msg']} (got {e.get('input')!r:.80})"}
                  for e in exc.errors()]
        raise SpecError(errors, source) from None
