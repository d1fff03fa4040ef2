"""Where a record comes from."""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field

from critmin.domain.json_scalars import JsonScalars


class SourceRef(JsonScalars):
    """A citation: the document a figure comes from and where in it."""

    model_config = ConfigDict(extra="forbid")

    document: str = Field(
        max_length=500, description="Dataset or document identifier, e.g. a file name or DOI."
    )
    title: str | None = Field(
        default=None, max_length=1_000, description="Human-readable title of the source."
    )
    locator: str | None = Field(
        default=None,
        max_length=2_000,
        description="Where in the source: section, table, or the sentence's topic.",
    )
    quote: str | None = Field(
        default=None, max_length=4_000, description="Short verbatim excerpt supporting the figure."
    )
    publisher: str | None = Field(
        default=None, max_length=500, description="Who published it (agency, outlet)."
    )
    published: dt.date | None = None
    retrieved: dt.date | None = None
    licence: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=2_000)
