"""Import errors that name the file, row, column, value and what was expected."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MAX_VALUE_CHARS = 120
"""A problem shows at most this many characters of the offending value."""


def shorten(value: Any) -> Any:
    """``value`` as a report shows it: scalars as they are, long text cut, containers as text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if not isinstance(value, str):
        value = _short_repr(value)
    return value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 3] + "..."


def _short_repr(value: Any) -> str:
    """A repr cut short, without recursing into deeply nested input."""
    if isinstance(value, dict):
        return "{...}" if value else "{}"
    if isinstance(value, list | tuple):
        return "[...]" if value else "[]"
    return repr(value)[:MAX_VALUE_CHARS]


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
        return f"{where}: got {shorten(self.value)!r}, expected {self.expected}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self) | {"value": shorten(self.value)}
        if isinstance(data["expected"], str) and len(data["expected"]) > 1_000:
            data["expected"] = data["expected"][:997] + "..."
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
UNLISTED = "no more problems (this many were not listed)"


class ProblemLog:
    """Collects problems while a file streams by, keeping at most ``limit`` (memory stays
    bounded) and counting the rest."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.dropped = 0
        self.file = ""

    def __len__(self) -> int:
        return len(self.kept) + self.dropped

    def add(self, problem: Problem) -> None:
        self.file = self.file or problem.file
        if len(self.kept) < self.limit:
            self.kept.append(problem)
        else:
            self.dropped += 1

    def extend(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def raise_if_any(self) -> None:
        """Raise IngestError listing the kept problems (by row) and counting the rest."""
        if not self.kept:
            return
        listed = sorted(self.kept, key=lambda p: p.row if isinstance(p.row, int) else 0)
        if self.dropped:
            listed.append(Problem(self.file, None, None, self.dropped, UNLISTED))
        raise IngestError(listed)


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
            Problem(first.file, None, None, rest, UNLISTED),
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
