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
