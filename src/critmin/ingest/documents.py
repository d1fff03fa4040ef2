"""Reading JSON and YAML documents safely: item by item, with bounded nesting.

An exchange document ``{"schema_version": ..., "projects": [item, ...]}`` is read one
item at a time, so memory does not grow with the file. No value may nest deeper than
:data:`MAX_DEPTH` levels, and YAML anchors and aliases are refused: an alias "bomb" of a
few hundred bytes expands to gigabytes. Errors quote the input as written (never an
expansion of it), cut short.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

import ijson
import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

MAX_DEPTH = 32
"""Deepest nesting of objects and arrays accepted in any JSON or YAML input."""
BOM = b"\xef\xbb\xbf"
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


class DocumentError(ValueError):
    """The document is malformed, nested too deep, or uses YAML aliases."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message if len(message) <= 300 else message[:297] + "...")


def json_too_deep(data: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON in ``data`` nests deeper than ``limit`` (malformed JSON: False;
    the parser that follows reports it). Stops at the first level too deep."""
    depth = 0
    try:
        for event, _ in ijson.basic_parse(io.BytesIO(data)):
            if event in _OPEN:
                depth += 1
                if depth > limit:
                    return True
            elif event in _CLOSE:
                depth -= 1
    except ijson.JSONError:
        return False
    return False


def _json_error(exc: Exception) -> DocumentError:
    first = (str(exc).strip().splitlines() or [""])[0]  # yajl adds a picture of the input
    return DocumentError(f"valid JSON: {first}")


def _scan_json(stream: IO[bytes], start: int) -> tuple[Any, bool]:
    """One pass over the events: the depth bound, the top-level shape and the version.

    Returns ``(schema_version or None, whether it was seen)``; raises DocumentError.
    """
    depth = 0
    key: str | None = None
    version: Any = None
    seen_version = seen_projects = False
    stream.seek(start)
    try:
        for event, value in ijson.basic_parse(stream):
            if depth == 0 and event != "start_map":
                raise DocumentError('an object {"schema_version": ..., "projects": [...]}')
            if depth == 1 and event == "map_key":
                key = value
                continue
            if depth == 1 and key is not None:
                if key == "projects":
                    if event != "start_array" or seen_projects:
                        raise DocumentError('"projects" given once, as an array of projects')
                    seen_projects = True
                elif key == "schema_version":
                    version, seen_version = value, True
                    if event in _OPEN:
                        version = "(not text)"
                key = None
            if event in _OPEN:
                depth += 1
                if depth > MAX_DEPTH:
                    raise DocumentError(f"values nested at most {MAX_DEPTH} levels deep")
            elif event in _CLOSE:
                depth -= 1
    except ijson.JSONError as exc:
        raise _json_error(exc) from None
    if not seen_projects:
        raise DocumentError('an object {"schema_version": "1.0", "projects": [...]}')
    return (str(version) if seen_version else None), seen_version


def iter_json(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """``("item", project)`` for each project, then ``("schema_version", value)`` if given.

    ``stream`` must be seekable: a first pass checks the shape and depth, a second
    builds the items.
    """
    head = stream.read(3)
    start = 3 if head == BOM else 0
    version, seen = _scan_json(stream, start)
    stream.seek(start)
    try:
        for item in ijson.items(stream, "projects.item", use_float=True):
            yield "item", item
    except ijson.JSONError as exc:
        raise _json_error(exc) from None
    if seen:
        yield "schema_version", version


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors or aliases, and with bounded nesting."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise DocumentError(
                "YAML without anchors or aliases (&name, *name): they are not accepted", line
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise DocumentError(f"values nested at most {MAX_DEPTH} levels deep", line)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def safe_yaml_load(text: str | IO[str]) -> Any:
    """One YAML document, loaded with :class:`SafeLoader`; DocumentError if malformed."""
    try:
        loader = SafeLoader(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc) from None
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc) from None
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.YAMLError) -> DocumentError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return DocumentError(f"valid YAML: {problem}", mark.line + 1 if mark else None)


def iter_yaml(stream: IO[str]) -> Iterator[tuple[str, Any]]:
    """``("item", project)`` for each project and ``("schema_version", value)``, in
    document order, composing one project at a time."""
    try:
        loader = SafeLoader(stream)  # reads the first characters already
    except yaml.YAMLError as exc:
        raise _yaml_error(exc) from None
    try:
        loader.get_event()  # stream start
        if loader.check_event(StreamEndEvent):
            raise DocumentError('an object {"schema_version": "1.0", "projects": [...]}')
        loader.get_event()  # document start
        if not loader.check_event(MappingStartEvent):
            loader.compose_node(None, None)
            raise DocumentError('an object {"schema_version": "1.0", "projects": [...]}')
        if loader.peek_event().anchor is not None:
            raise DocumentError("YAML without anchors or aliases (&name, *name)")
        loader.get_event()
        loader.depth = 1
        seen_projects = False
        while not loader.check_event(MappingEndEvent):
            key = loader.construct_document(loader.compose_node(None, None))
            if key == "projects" and loader.check_event(SequenceStartEvent) and not seen_projects:
                seen_projects = True
                if loader.peek_event().anchor is not None:
                    raise DocumentError("YAML without anchors or aliases (&name, *name)")
                loader.get_event()
                loader.depth = 2
                while not loader.check_event(SequenceEndEvent):
                    yield "item", loader.construct_document(loader.compose_node(None, None))
                loader.get_event()
                loader.depth = 1
            elif key == "projects":
                raise DocumentError('"projects" given once, as a list of projects')
            else:
                value = loader.construct_document(loader.compose_node(None, None))
                if key == "schema_version":
                    yield "schema_version", value
        loader.get_event()  # mapping end
        loader.get_event()  # document end
        if not loader.check_event(StreamEndEvent):
            raise DocumentError("a single YAML document")
        if not seen_projects:
            raise DocumentError('an object {"schema_version": "1.0", "projects": [...]}')
    except yaml.YAMLError as exc:
        raise _yaml_error(exc) from None
    finally:
        loader.dispose()
