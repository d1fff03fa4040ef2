"""Import errors that name the file, row, column, value and what was expected."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    ``row`` is numbered as a spreadsheet shows it (header = row 1) for tabular files,
    or the 1-based item number for JSON/YAML documents; None when it is file-wide.
    """

    file: str
    row: int | str | None
    column: str | None
    value: Any
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        shown = (
            self.value
            if not isinstance(self.value, str) or len(self.value) < 120
            else self.value[:117] + "..."
        )
        return f"{where}: got {shown!r}, expected {self.expected}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not isinstance(data["value"], str | int | float | bool | type(None)):
            data["value"] = repr(data["value"])
        return data


class IngestError(ValueError):
    """An input was rejected whole; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found; nothing was imported"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


MAX_PROBLEMS = 50
"""At most this many problems are listed; one more line counts the rest."""


def raise_problems(problems: list[Problem]) -> None:
    """Raise IngestError if there are problems, listing at most :data:`MAX_PROBLEMS`."""
    if not problems:
        return
    problems = sorted(problems, key=lambda p: p.row if isinstance(p.row, int) else 0)
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - MAX_PROBLEMS
        first = problems[0]
        problems = [
            *problems[:MAX_PROBLEMS],
            Problem(first.file, None, None, rest, "no more problems (this many were not listed)"),
        ]
    raise IngestError(problems)


def validation_problems(
    exc: Any, *, file: str, row: int | str | None, prefix: str = ""
) -> list[Problem]:
    """One Problem per error of a pydantic ``ValidationError``; ``column`` is the field path."""
    out = []
    for err in exc.errors():
        column = ".".join(str(p) for p in err["loc"]) or "(item)"
        expected = err["msg"].removeprefix("Value error, ")
        out.append(Problem(file, row, prefix + column, err.get("input"), expected))
    return out
