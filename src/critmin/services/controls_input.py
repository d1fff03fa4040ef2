"""What users type for a shipment check, resolved or refused with a clear message: the
item (mineral, form, HS code or technology), countries, dates and the end use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from critmin.domain import vocab
from critmin.domain.minerals import FORMS, get_form
from critmin.services.present import form_label, mineral_label
from critmin.store.tables import ExportMeasure

END_USES = ("civil", "military")


class BadRequest(ValueError):
    """A filter or parameter outside its vocabulary or range (422 in the API and pages)."""


def _hs_minerals(code: str, rows: list[ExportMeasure]) -> list[str]:
    """Minerals an HS code may be: catalogue forms and measure items sharing its heading."""
    def same(a: str) -> bool:
        return a.startswith(code) or code.startswith(a)
    found = {f.mineral for f in FORMS for h in f.hs_codes if same(h)}
    found |= {i["mineral"] for r in rows for i in r.items or []
              if i.get("kind") == "hs" and i.get("mineral") and same(str(i.get("code", "")))}
    return sorted(found)  # fmt: skip


def resolve_item(item: str, rows: list[ExportMeasure] | None = None,
                 technology: bool = False) -> dict[str, Any]:  # fmt: skip
    """A shipment's item from what a user types: a mineral (``gallium``, ``Ga``), a form
    (``apt``), an HS code (digits), or ``technology:<mineral>`` for know-how."""
    text = (item or "").strip()
    if text.lower().startswith("technology:"):
        technology, text = True, text.split(":", 1)[1].strip()
    if not text:
        raise BadRequest("item is empty; expected a mineral, a form, an HS code or "
                         "technology:<mineral>")  # fmt: skip
    if text.replace(".", "").isdigit():
        code = text.replace(".", "")
        if not 2 <= len(code) <= 10 or technology:
            raise BadRequest(f"item {item!r}: an HS code has 2 to 10 digits (and is goods, "
                             "not a technology)")  # fmt: skip
        minerals = _hs_minerals(code, rows or [])
        return {"item": text, "hs": code, "minerals": minerals, "form": None,
                "technology": False, "label": f"HS {code}"}  # fmt: skip
    try:
        mineral, form = vocab.resolve_mineral(text, "item"), None
    except vocab.UnknownValue:
        try:
            form = vocab.resolve_form(text, param="item")
        except vocab.UnknownValue:
            raise BadRequest(f"unknown item {item!r}; expected a mineral (e.g. gallium), a "
                             "form (e.g. apt), an HS code (e.g. 811292) or "
                             "technology:<mineral>") from None  # fmt: skip
        mineral = get_form(form).mineral
    name = form_label(form) if form else mineral_label(mineral)
    label_ = f"technology for {name}" if technology else name
    codes = get_form(form).hs_codes if form else ()
    return {"item": text, "hs": None, "minerals": [mineral], "form": form,
            "form_hs": codes[0] if len(codes) == 1 else None,
            "technology": technology, "label": label_}  # fmt: skip


def parse_country(value: str | None, param: str, required: bool = True) -> str | None:
    if value is None or not str(value).strip():
        if required:
            raise BadRequest(f"{param} is required (an ISO3 code such as CHN)")
        return None
    try:
        return vocab.resolve_country(str(value), param)
    except vocab.UnknownValue as exc:
        raise BadRequest(str(exc)) from None


def parse_day(value: dt.date | str, param: str = "date") -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadRequest(f"{param} {value!r}: expected a date written YYYY-MM-DD") from None


def parse_end_use(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().lower()
    if text not in END_USES:
        raise BadRequest(f"end use {value!r}: expected civil or military")
    return text
