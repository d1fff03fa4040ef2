"""Every field of the exchange format and of the entity schemas is bounded: text and list
lengths, numeric ranges. Sums over any number of records stay finite and every value the
API accepts can be exported and imported again."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from critmin.domain import entities as e
from critmin.domain.projects import (
    MAX_CAPACITY_TPA,
    MAX_MONEY,
    MAX_NOTE,
    ProjectFile,
    ProjectRecord,
)

BASE = {"key": "b-1", "name": "B", "mineral": "gallium", "stage": "refining", "country": "CAN",
        "status": "announced"}  # fmt: skip
SCHEMAS: list[type[BaseModel]] = [
    ProjectFile, e.FacilityCreate, e.MeasureCreate, e.PriceSeriesCreate, e.ObservationCreate,
    e.StockpileLotCreate, e.OfftakeCreate,
]  # fmt: skip


def _unbounded(schema: dict[str, Any], defs: dict[str, Any], path: str = "") -> list[str]:
    """Paths of strings without maxLength (or enum, date format, bounded pattern), numbers
    without maximum and arrays without maxItems."""
    if "$ref" in schema:
        return _unbounded(defs[schema["$ref"].split("/")[-1]], defs, path)
    out = []
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in schema.get(key, []):
            out += _unbounded(sub, defs, path)
    kind = schema.get("type")
    if kind == "string" and not (
        "maxLength" in schema or "enum" in schema or "const" in schema
        or schema.get("format") in ("date", "date-time") or "{" in schema.get("pattern", "")
        or schema.get("pattern", "").startswith("^1\\.")
    ):  # fmt: skip
        out.append(path)
    if kind in ("number", "integer") and "maximum" not in schema:
        out.append(path)
    if kind == "array":
        if "maxItems" not in schema:
            out.append(path)
        out += _unbounded(schema.get("items", {}), defs, path + "[]")
    for name, sub in schema.get("properties", {}).items():
        out += _unbounded(sub, defs, f"{path}.{name}")
    return out


@pytest.mark.parametrize("model", SCHEMAS, ids=lambda m: m.__name__)
def test_every_field_is_bounded(model):
    schema = model.model_json_schema()
    unbounded = _unbounded(schema, schema.get("$defs", {}))
    # the projects list of a whole document is bounded by the request size, not the schema
    assert [p for p in unbounded if p != ".projects"] == []


@pytest.mark.parametrize(
    "fields,ok",
    [
        ({"capacity_tpa": MAX_CAPACITY_TPA}, True),
        ({"capacity_tpa": MAX_CAPACITY_TPA * 1.01}, False),
        ({"capacity_tpa": 1.7e308}, False),
        ({"capacity_tpa": math.inf}, False),
        ({"capacity_tpa": math.nan}, False),
        ({"financing": {"needed_usd": MAX_MONEY}}, True),
        ({"financing": {"needed_usd": MAX_MONEY * 10}}, False),
        ({"capacity_by_year": [{"year": 2030, "capacity_tpa": 2e9}]}, False),
        ({"offtakers": [{"name": "x", "volume_tpa": 2e9}]}, False),
        ({"notes": "x" * MAX_NOTE}, True),
        ({"notes": "x" * (MAX_NOTE + 1)}, False),
        ({"partners": ["p"] * 101}, False),
        ({"sources": [{"document": "d", "quote": "q" * 5_000}]}, False),
    ],
)
def test_project_bounds(fields, ok):
    if ok:
        ProjectRecord.model_validate(BASE | fields)
    else:
        with pytest.raises(ValidationError):
            ProjectRecord.model_validate(BASE | fields)


@pytest.mark.parametrize(
    "model,body",
    [
        (e.FacilityCreate, {"key": "f-1", "name": "F", "country": "CAN", "notes": "x" * 20_000}),
        (e.StockpileLotCreate, {"mineral": "gallium", "quantity": 1e300}),
        (e.OfftakeCreate, {"buyer": "B", "mineral": "gallium", "floor_price": 1e12,
                           "price_unit": "USD/kg"}),
        (e.OfftakeCreate, {"buyer": "B", "mineral": "gallium", "volume_tpa": 1.7e308}),
        (e.ObservationCreate, {"date": "2024-01-01", "value": 1e300}),
        (e.PriceSeriesCreate, {"key": "s-1", "mineral": "gallium", "market": "m",
                               "unit": "USD/kg", "description": "d" * 20_000}),
    ],
)  # fmt: skip
def test_entity_bounds(model, body):
    with pytest.raises(ValidationError):
        model.model_validate(body)
