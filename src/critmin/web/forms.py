"""The project edit form: its initial values and the changes a submission asks for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from critmin.domain.enums import ProjectStatus, Sharing
from critmin.i18n import _
from critmin.services.access import SECTIONS

STATUSES = [s.value for s in ProjectStatus]
LEVELS = [s.value for s in Sharing]


def form_values(project: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields for a project as :func:`critmin.services.tracker.to_public` gives it."""
    financing = project.get("financing") or {}
    sections = project.get("section_sharing") or {}
    return {
        "name": project["name"],
        "status": project["status"],
        "capacity_tpa": project.get("capacity_tpa"),
        "start_year": project.get("start_year"),
        "notes": project.get("notes") or "",
        "financing_needed_usd": financing.get("needed_usd"),
        "financing_committed_usd": financing.get("committed_usd"),
        "sharing": project["sharing"],
        **{f"section_{s}": sections.get(s, "") for s in SECTIONS},
        "version": project["version"],
    }


def _number(
    form: Mapping[str, str], name: str, errors: dict[str, str], *, integer: bool = False,
    low: float = 0, high: float | None = None,
) -> float | int | None:  # fmt: skip
    text = (form.get(name) or "").strip().replace(",", "")
    if not text:
        return None
    try:
        value: float | int = int(text) if integer else float(text)
    except ValueError:
        errors[name] = _("enter a whole number") if integer else _("enter a number")
        return None
    if value != value or value < low or (high is not None and value > high):  # NaN or range
        errors[name] = (
            _("enter a value from %(low)s to %(high)s") % {"low": f"{low:g}", "high": f"{high:g}"}
            if high
            else _("enter a value from %(low)s upwards") % {"low": f"{low:g}"}
        )
        return None
    return value


def parse_edit(
    form: Mapping[str, str], current: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str], int | None]:
    """The changes (only fields that differ), field errors, and the version the form was for."""
    errors: dict[str, str] = {}
    version_text = (form.get("version") or "").strip()
    version = int(version_text) if version_text.isdigit() else None
    if version is None:
        errors["version"] = _("the form has no version; reload the page")
    new: dict[str, Any] = {
        "name": (form.get("name") or "").strip(),
        "status": form.get("status") or "",
        "capacity_tpa": _number(form, "capacity_tpa", errors),
        "start_year": _number(form, "start_year", errors, integer=True, low=1900, high=2100),
        "notes": (form.get("notes") or "").replace("\r\n", "\n").strip() or None,
        "sharing": form.get("sharing") or "",
    }
    if not new["name"]:
        errors["name"] = _("a project needs a name")
    elif len(new["name"]) > 300:
        errors["name"] = _("at most 300 characters")
    if new["status"] not in STATUSES:
        errors["status"] = _("choose a status from the list")
    if new["sharing"] not in LEVELS:
        errors["sharing"] = _("choose public, partners or owner")
    sections = {}
    for s in SECTIONS:
        level = form.get(f"section_{s}") or ""
        if level and level not in LEVELS:
            errors[f"section_{s}"] = _("choose a level from the list")
        elif level:
            sections[s] = level
    needed = _number(form, "financing_needed_usd", errors)
    committed = _number(form, "financing_committed_usd", errors)
    if errors:
        return {}, errors, version
    changes = {k: v for k, v in new.items() if v != current.get(k)}
    if new["notes"] == (current.get("notes") or None):
        changes.pop("notes", None)
    financing = current.get("financing") or {}
    if needed != financing.get("needed_usd") or committed != financing.get("committed_usd"):
        changes["financing"] = {"needed_usd": needed, "committed_usd": committed}
    if sections != (current.get("section_sharing") or {}):
        changes["section_sharing"] = sections
    return changes, errors, version
