"""JSON scalars taken at their word: a number is never a date, true/false never a number.

Pydantic's lax mode reads ``0`` as the date 1970-01-01 and ``false`` as the number 0;
request bodies arrive as JSON, where neither is what the sender meant. Models that
validate input derive from :class:`JsonScalars`, which refuses both with a 422 naming
the field.
"""

from __future__ import annotations

import datetime as dt
import functools
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationInfo, field_validator

NUMBERS = frozenset({int, float})
DATES = frozenset({dt.date, dt.datetime})


@functools.cache
def scalar_kinds(annotation: Any) -> frozenset[Any]:
    """The plain types an annotation accepts (through Annotated, Optional and unions)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return scalar_kinds(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return frozenset().union(*(scalar_kinds(arg) for arg in get_args(annotation)))
    return frozenset({annotation}) if isinstance(annotation, type) else frozenset()


class JsonScalars(BaseModel):
    """Refuse numbers for date fields and booleans for number fields."""

    @field_validator("*", mode="before")
    @classmethod
    def _json_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        kinds = scalar_kinds(field.annotation) if field is not None else frozenset()
        if isinstance(value, bool):
            if kinds & NUMBERS and bool not in kinds:
                raise ValueError("must be a number, not true or false")
        elif isinstance(value, int | float) and kinds & DATES and not kinds & NUMBERS:
            raise ValueError("must be a date written YYYY-MM-DD (not a number)")
        return value
