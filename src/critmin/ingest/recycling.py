"""Load the recycling figures, statements and targets (``data/reference/recycling``).

Each entry is validated on its own (problems name the file, the entry's number and key,
the field, the value and what was expected), then the file as a whole (unique keys, each
figure's quote found in its statement). Nothing is returned unless everything is valid.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from critmin.domain.recycling import (
    RecyclingFigure,
    RecyclingRates,
    RecyclingStatement,
    RecyclingTarget,
    RecyclingTargets,
)
from critmin.ingest.errors import IngestError, Problem, validation_problems

RECYCLING_DIR = Path(__file__).resolve().parent.parent / "data" / "reference" / "recycling"
RATES_FILE = RECYCLING_DIR / "rates.yaml"
TARGETS_FILE = RECYCLING_DIR / "targets.yaml"


def _read(path: Path, tops: tuple[str, ...]) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IngestError(
            [Problem(str(path), None, None, None, f"a readable file ({exc})")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise IngestError([Problem(str(path), row, "(document)", None, f"valid YAML ({exc})")]
                          ) from None  # fmt: skip
    if not isinstance(doc, dict):
        raise IngestError([Problem(str(path), None, "(document)", doc, "a mapping")])
    problems = [Problem(str(path), None, top, doc.get(top), f"a top-level list '{top}'")
                for top in tops if not isinstance(doc.get(top), list)]  # fmt: skip
    extra = sorted(set(doc) - set(tops))
    if extra:
        problems.append(Problem(str(path), None, extra[0], doc[extra[0]],
                                f"only the top-level keys {', '.join(tops)}"))  # fmt: skip
    if problems:
        raise IngestError(problems)
    return doc


def _entries(path: Path, doc: dict[str, Any], top: str, model: type[BaseModel]) -> list[Problem]:
    problems: list[Problem] = []
    for index, item in enumerate(doc[top], start=1):
        key = item.get("key") if isinstance(item, dict) else None
        row = f"{top}[{index}]" + (f" ({key})" if isinstance(key, str) else "")
        try:
            model.model_validate(item)
        except ValidationError as exc:
            problems.extend(validation_problems(exc, file=str(path), row=row))
    return problems


def _whole(path: Path, doc: dict[str, Any], model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise IngestError(validation_problems(exc, file=str(path), row=None)) from None


def load_rates(path: str | Path = RATES_FILE) -> RecyclingRates:
    """Statements and figures of a rates file; :class:`IngestError` lists every problem."""
    path = Path(path)
    doc = _read(path, ("statements", "figures"))
    problems = _entries(path, doc, "statements", RecyclingStatement)
    problems += _entries(path, doc, "figures", RecyclingFigure)
    if problems:
        raise IngestError(problems)
    return _whole(path, doc, RecyclingRates)


def load_targets(path: str | Path = TARGETS_FILE) -> RecyclingTargets:
    """Targets of a targets file; :class:`IngestError` lists every problem."""
    path = Path(path)
    doc = _read(path, ("targets",))
    problems = _entries(path, doc, "targets", RecyclingTarget)
    if problems:
        raise IngestError(problems)
    return _whole(path, doc, RecyclingTargets)


@cache
def bundled() -> tuple[RecyclingRates, RecyclingTargets]:
    """The bundled rates and targets, loaded once."""
    return load_rates(), load_targets()
