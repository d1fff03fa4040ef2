"""Parameters of the capacity outlook: completion odds, delays, lead times, ramp.

Where the defaults come from
----------------------------
Every default below is **analyst judgement** by the critmin maintainers, not a
fitted or published figure. They encode three widely held regularities of mining and
processing pipelines: the further a project is from operation the less likely it is to
be built; announced schedules slip, more so early on; and secured money and permits
raise the odds. They are meant to be replaced: pass a YAML or JSON file of overrides
(``critmin outlook --params FILE``) with only the keys you want to change, e.g.::

    completion_probability:
      announced: 0.05
    financing_odds:
      none_committed: 0.4

Keys not given keep their defaults; an unknown key is an error that names it.

Adjustments are applied on the odds scale, ``odds = p / (1 - p)``, multiplied by the
factors below and mapped back, so probabilities stay inside (0, 1). Statuses with
probability exactly 0 or 1 (operating, cancelled, closed) are not adjusted. A project
not yet operating is capped at ``max_probability``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from critmin.domain.enums import ProjectStatus

STATUSES: tuple[str, ...] = tuple(s.value for s in ProjectStatus)

COMPLETION_PROBABILITY: dict[str, float] = {
    "announced": 0.10,
    "feasibility": 0.20,
    "permitting": 0.35,
    "financed": 0.60,
    "construction": 0.80,
    "commissioning": 0.90,
    "operating": 1.0,
    "stalled": 0.05,
    "cancelled": 0.0,
    "closed": 0.0,
}
"""Probability that a project in each status ever reaches its capacity (analyst judgement)."""

MEAN_DELAY_YEARS: dict[str, float] = {
    "announced": 3.0,
    "feasibility": 2.5,
    "permitting": 2.0,
    "financed": 1.5,
    "construction": 1.0,
    "commissioning": 0.5,
    "operating": 0.0,
    "stalled": 4.0,
    "cancelled": 0.0,
    "closed": 0.0,
}
"""Mean slip in whole years past the nominal first year, by status (analyst judgement)."""

DEFAULT_LEAD_YEARS: dict[str, int] = {
    "announced": 5,
    "feasibility": 4,
    "permitting": 3,
    "financed": 3,
    "construction": 2,
    "commissioning": 1,
    "operating": 0,
    "stalled": 5,
    "cancelled": 0,
    "closed": 0,
}
"""Nominal years from the as-of year to first output when a project gives no start year
(a typical *developer* schedule, before slippage; analyst judgement)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FinancingOdds(_Strict):
    """Odds multipliers from the financing fields (``financing_needed_usd``/``_committed_usd``)."""

    fully_committed: float = Field(
        2.0, gt=0, description="committed >= needed (or nothing still needed, something committed)."
    )
    partly_committed: float = Field(1.3, gt=0, description="0 < committed < needed.")
    none_committed: float = Field(
        0.5, gt=0, description="needed > 0 and nothing (0 or not reported) committed."
    )


class ApprovalOdds(_Strict):
    """Odds multipliers from approval milestones."""

    per_achieved: float = Field(1.3, gt=0, description="For each achieved milestone.")
    max_achieved: int = Field(3, ge=0, description="Achieved milestones counted at most.")
    per_rejected: float = Field(0.25, gt=0, description="For each rejected milestone.")


class OutlookParams(_Strict):
    """Every parameter of the outlook; the defaults are documented in the module docstring."""

    completion_probability: dict[str, float] = Field(
        default_factory=lambda: dict(COMPLETION_PROBABILITY)
    )
    mean_delay_years: dict[str, float] = Field(default_factory=lambda: dict(MEAN_DELAY_YEARS))
    default_lead_years: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_LEAD_YEARS))
    delay_dispersion: float = Field(
        2.0,
        gt=0,
        description="Shape k of the negative-binomial delay: variance = mean + mean^2 / k "
        "(large k approaches Poisson).",
    )
    financing_odds: FinancingOdds = Field(default_factory=FinancingOdds)
    approval_odds: ApprovalOdds = Field(default_factory=ApprovalOdds)
    max_probability: float = Field(
        0.98, gt=0, le=1, description="Cap on the adjusted probability of a non-operating project."
    )
    ramp: list[float] = Field(
        default_factory=lambda: [1.0],
        min_length=1,
        description="Fractions of nameplate capacity in the first, second, ... year of output "
        "for projects without a capacity-by-year schedule; the last value holds after.",
    )

    @field_validator("completion_probability")
    @classmethod
    def _probabilities(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"probabilities must be within 0..1: {bad}")
        return value

    @field_validator("mean_delay_years", "default_lead_years")
    @classmethod
    def _non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if v < 0}
        if bad:
            raise ValueError(f"must be non-negative: {bad}")
        return value

    @field_validator("ramp")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        if any(not 0.0 <= v <= 1.0 for v in value):
            raise ValueError("ramp fractions must be within 0..1")
        return value


class ParamsError(ValueError):
    """A parameter file is unreadable, has an unknown key or an invalid value."""


def _merge(base: dict[str, Any], override: Mapping[str, Any], path: str) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if key not in base:
            raise ParamsError(f"unknown parameter {where!r}; expected one of: {', '.join(base)}")
        if isinstance(base[key], dict):
            if not isinstance(value, Mapping):
                raise ParamsError(f"parameter {where!r} must be a mapping")
            merged[key] = _merge(base[key], value, f"{where}.")
        else:
            merged[key] = value
    return merged


def merge_params(
    override: Mapping[str, Any] | None, base: OutlookParams | None = None
) -> OutlookParams:
    """``base`` (default: the defaults) with ``override`` merged in, key by key."""
    base = base or OutlookParams()
    if not override:
        return base
    if not isinstance(override, Mapping):
        raise ParamsError("parameters must be a mapping of names to values")
    try:
        return OutlookParams.model_validate(_merge(base.model_dump(), override, ""))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ParamsError(f"invalid parameter {where!r}: {first['msg']}") from None


def load_params(path: str | Path) -> OutlookParams:
    """Defaults overridden by a YAML (``.yaml``/``.yml``) or JSON file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ParamsError(f"cannot read parameters from {path}: {exc}".splitlines()[0]) from None
    return merge_params(data or {})


def _scale_odds(p: float, factor: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return p
    odds = p / (1.0 - p) * factor
    return odds / (1.0 + odds)


def completion_probability(
    params: OutlookParams,
    *,
    status: str,
    needed_usd: float | None = None,
    committed_usd: float | None = None,
    achieved: int = 0,
    rejected: int = 0,
) -> float:
    """Probability that a project completes, from its status, financing and approvals."""
    try:
        p = params.completion_probability[status]
    except KeyError:
        raise ParamsError(f"no completion probability for status {status!r}") from None
    if p <= 0.0 or p >= 1.0:
        return p
    fin = params.financing_odds
    factor = 1.0
    committed = committed_usd or 0.0
    if needed_usd is not None and committed >= needed_usd and committed > 0:
        factor *= fin.fully_committed
    elif needed_usd and 0 < committed < needed_usd:
        factor *= fin.partly_committed
    elif needed_usd and committed == 0:
        factor *= fin.none_committed
    appr = params.approval_odds
    factor *= appr.per_achieved ** min(achieved, appr.max_achieved)
    factor *= appr.per_rejected**rejected
    return min(_scale_odds(p, factor), params.max_probability)
