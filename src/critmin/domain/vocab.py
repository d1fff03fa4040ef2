"""Filter values as users type them, resolved to codes or refused with a clear message.

Every filter of every entity (CLI options, API query parameters, page filters) goes
through these functions, so a typo fails the same way everywhere: :class:`UnknownValue`
names the parameter, the value and what is expected (the known values, a close match
and, for an ambiguous country name, the candidates). Codes match case-insensitively and
labels are accepted too (``Gallium``, ``Technology control``, ``Canada``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum

from critmin.domain.countries import AmbiguousCountry, UnknownCountry, resolve_country_name
from critmin.domain.enums import labels_of
from critmin.domain.minerals import FORMS, MINERALS


class UnknownValue(ValueError):
    """A filter value outside its vocabulary; ``param`` names the filter."""

    def __init__(self, param: str, value: object, expected: str, message: str | None = None):
        self.param = param
        self.value = value
        self.expected = expected
        super().__init__(message or f"unknown {param} {value!r}; {expected}")


def expected_one_of(codes: list[str], suggestion: str | None = None, limit: int = 40) -> str:
    """``did you mean 'x'? expected one of: a, b, c`` (at most ``limit`` codes)."""
    hint = f"did you mean {suggestion!r}? " if suggestion else ""
    listed = ", ".join(codes[:limit]) + (", ..." if len(codes) > limit else "")
    return f"{hint}expected one of: {listed}"


def resolve_choice(
    param: str, value: str, choices: Iterable[str], labels: Mapping[str, str] | None = None
) -> str:
    """The code among ``choices`` that ``value`` names (code or label, any case)."""
    codes = list(choices)
    lookup: dict[str, str] = {}
    for code in codes:
        lookup[code.lower()] = code
        lookup[code.lower().replace("_", " ")] = code
        label = (labels or {}).get(code)
        if label:
            lookup.setdefault(label.lower(), code)
    text = value.strip().lower()
    for attempt in (text, text.replace("-", "_"), text.replace(" ", "_")):
        if attempt in lookup:
            return lookup[attempt]
    close = difflib.get_close_matches(text, list(lookup), n=1, cutoff=0.6)
    raise UnknownValue(param, value, expected_one_of(codes, lookup[close[0]] if close else None))


def resolve_enum(value: str | StrEnum, enum: type[StrEnum], param: str) -> str:
    """The value of ``enum`` that ``value`` names (its value or label, any case)."""
    if isinstance(value, enum):
        return value.value
    return resolve_choice(param, str(value), [e.value for e in enum], labels_of(enum))


def resolve_mineral(value: str, param: str = "mineral") -> str:
    """A mineral code from its code, name or chemical symbol (``gallium``, ``Ga``)."""
    labels = {m.code: m.name for m in MINERALS}
    symbols = {m.symbol: m.code for m in MINERALS if m.symbol}
    text = value.strip()
    if text in symbols:  # chemical symbols are case-sensitive: Ga, W, In
        return symbols[text]
    return resolve_choice(param, text, labels, labels)


def resolve_form(value: str, mineral: str | None = None, param: str = "form") -> str:
    """A traded-form code (of ``mineral`` if given) from its code or name."""
    forms = [f for f in FORMS if mineral is None or f.mineral == mineral]
    labels = {f.code: f.name for f in forms}
    return resolve_choice(param, value, labels, labels)


def resolve_country(value: str, param: str = "country") -> str:
    """An ISO 3166-1 alpha-3 code from a code, a name or a source's alias.

    ``CAN``, ``can``, ``Canada``, ``Korea, Rep.`` resolve; an ambiguous name (``Korea``)
    is refused with its candidates, an unknown one with the nearest names.
    """
    try:
        return resolve_country_name(value)
    except AmbiguousCountry as exc:
        candidates = " or ".join(f"{c} ({n})" for c, n in exc.candidates)
        expected = f"one of {candidates}: give the ISO3 code"
        message = f"{param} {value!r} is ambiguous: it could be {candidates}; give the ISO3 code"
        raise UnknownValue(param, value, expected, message) from None
    except UnknownCountry as exc:
        hint = f"did you mean {exc.suggestion!r}? " if getattr(exc, "suggestion", None) else ""
        raise UnknownValue(
            param, value,
            f"{hint}expected an ISO 3166-1 alpha-3 code such as CAN or an English country "
            "name such as Canada",
        ) from None  # fmt: skip


def resolve_optional(
    fn: Callable[..., str], value: str | None, *args: object, **kwargs: object
) -> str | None:
    """``fn(value, ...)`` unless ``value`` is None or blank."""
    if value is None or not str(value).strip():
        return None
    return fn(value, *args, **kwargs)


def project_filters(
    *, mineral: str | None = None, country: str | None = None
) -> tuple[str | None, str | None]:
    """The project list's mineral and country filters as codes (None when not given)."""
    return resolve_optional(resolve_mineral, mineral), resolve_optional(resolve_country, country)
