"""The run's language: the global ``--lang`` (or $CRITMIN_LANG), also accepted after a
sub-command's name, for that run only; ``--help`` is printed in it too (read before Click
parses the command line, see :mod:`critmin.cli.help_text`).

Imported when the program starts: the standard library and Typer only (Babel is loaded
by :mod:`critmin.i18n` when a run first translates a message into Chinese).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from critmin.cli.common import choose_language


def choose_run_language(value: str | None) -> str | None:
    """The global ``--lang`` (or $CRITMIN_LANG): this run's language, English when neither
    is given, so that one run never inherits the language of an earlier one in the same
    process."""
    from critmin import i18n

    choose_language(value)
    if not value:
        i18n.set_language(i18n.DEFAULT)
    return value


def _own_language(group: Any, args: list[str]) -> bool:
    """Whether the command ``args`` name under ``group`` has a ``--lang`` of its own."""
    node = group
    for token in args:
        if token.startswith("-"):
            continue
        sub = (getattr(node, "commands", None) or {}).get(token)
        if sub is None:
            break
        node = sub
    return node is not group and any("--lang" in getattr(p, "opts", ()) for p in node.params)


def hoist_language(group: Any, args: list[str]) -> list[str]:
    """``args`` with a ``--lang CODE`` given after the sub-command moved in front of it, so
    that ``critmin projects list --lang zh`` means ``critmin --lang zh projects list``
    (commands with a ``--lang`` of their own keep theirs)."""
    end = args.index("--") if "--" in args else len(args)
    first = next((i for i, a in enumerate(args[:end]) if a in group.commands), None)
    if first is None or _own_language(group, args[first:end]):
        return args
    kept: list[str] = []
    moved: list[str] = []
    i = first
    while i < end:
        token = args[i]
        if token == "--lang" and i + 1 < end:
            moved += args[i : i + 2]
            i += 2
            continue
        (moved if token.startswith("--lang=") else kept).append(token)
        i += 1
    return args[:first] + moved + kept + args[end:] if moved else args


def requested_language(args: list[str], environ: dict[str, str] | None = None) -> str:
    """The language ``args`` ask for (``--lang X`` or ``--lang=X`` anywhere before
    ``--``, the last one winning), else ``$CRITMIN_LANG``, else English; an unknown code
    counts as English here (the ``--lang`` option refuses it when Click parses)."""
    end = args.index("--") if "--" in args else len(args)
    value: str | None = None
    i = 0
    while i < end:
        token = args[i]
        if token == "--lang" and i + 1 < end:
            value, i = args[i + 1], i + 2
            continue
        if token.startswith("--lang="):
            value = token.removeprefix("--lang=")
        i += 1
    if value is None:
        value = (os.environ if environ is None else environ).get("CRITMIN_LANG")
    from critmin import i18n

    return i18n.normalise(value) or i18n.DEFAULT


class LanguageGroup(typer.core.TyperGroup):
    """The root group: ``--lang`` is also taken after a sub-command's name, and the
    language chosen lasts for the run only."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_language(self, args))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run with the help in the run's language (read from the command line before
        Click parses it: ``--help`` is printed before ``--lang`` is handled), then give
        the caller back its language (a run in-process, as in tests, leaves the language
        and the help as it found them)."""
        from critmin import i18n

        given = args[0] if args else kwargs.get("args")
        lang = requested_language(sys.argv[1:] if given is None else [str(a) for a in given])
        with i18n.use_language(i18n.current()):
            if lang == i18n.DEFAULT:  # English help is the text Typer wrote: nothing to do
                return super().main(*args, **kwargs)
            from critmin.cli.help_text import translated_help

            with translated_help(self, lang):
                return super().main(*args, **kwargs)
