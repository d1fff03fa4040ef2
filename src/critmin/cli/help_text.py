"""Help in the run's language: ``critmin projects list --help --lang zh`` (or with
``$CRITMIN_LANG=zh``) prints the help in Simplified Chinese.

Typer writes the help texts onto the Click objects when the program starts, before the
language is known, and ``--help`` is eager: Click prints the help before the ``--lang``
callback runs. So the root group reads the language from the command line (or the
environment) before Click parses it (:func:`critmin.cli.language.requested_language`)
and, only when it is not English, imports this module: :func:`translated_help` swaps
every help text of the command tree for its translation for the length of the run,
then puts the English back (a run in-process, as in tests, leaves the tree as it found
it). English runs import neither this module nor Babel, so start-up is unchanged.

The message id is the English text as stored on the Click object; the translations are
in ``i18n/locale/zh/LC_MESSAGES/cli_help.po``. Click's own words are translated too, for
the run: the section titles and ``[default: ...]``/``[required]``/``[env var: ...]``
that Typer looks up with the standard library's ``gettext`` (its module's ``_`` is
pointed at critmin's catalogues), and ``Usage:`` and the ``--help`` option's "Show this
message and exit.", which Typer's copy of Click writes as plain text (the formatter's
``write_usage`` and each command's ``get_help_option`` are wrapped). Click wraps help
by characters; in Chinese each character counts as the two columns it takes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from critmin import i18n

HELP_FIELDS = ("help", "short_help", "epilog")
"""The attributes of a Click command that hold help text (a parameter's is ``help``)."""
GETTEXT_MODULES = ("typer.core", "click.core", "click.formatting", "click.decorators")
"""Modules whose own help words (``_("Options")``) are looked up with ``gettext``: for
the run, in critmin's catalogues."""


def help_texts(command: Any) -> Iterator[tuple[Any, str, str]]:
    """(object, attribute, English text) of every help text under ``command``: each
    command's help, short help and epilog and each parameter's help, sub-commands
    included."""
    seen: set[int] = set()
    stack = [command]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for field in HELP_FIELDS:
            text = getattr(node, field, None)
            if isinstance(text, str) and text.strip():
                yield node, field, text
        for param in getattr(node, "params", ()):
            text = getattr(param, "help", None)
            if isinstance(text, str) and text.strip():
                yield param, "help", text
        stack.extend(reversed(list((getattr(node, "commands", None) or {}).values())))


@contextmanager
def translated_help(command: Any, lang: str | None) -> Iterator[None]:
    """Within the block, ``command``'s tree and Click's own help words are in ``lang``;
    on leaving it, everything is English again. English (or no language) changes
    nothing and loads nothing."""
    lang = i18n.normalise(lang) or i18n.DEFAULT
    if lang == i18n.DEFAULT:
        yield
        return
    with i18n.use_language(lang):
        translate = i18n.translations(lang).gettext
        changes = [(obj, field, translate(text)) for obj, field, text in help_texts(command)]
    changes += _short_helps(changes)
    changes += _click_words(command, translate)
    saved = []
    try:
        for obj, attr, value in changes:
            own = vars(obj)
            saved.append((obj, attr, attr in own, own.get(attr)))
            setattr(obj, attr, value)
        yield
    finally:
        for obj, attr, had, old in reversed(saved):
            if had:
                setattr(obj, attr, old)
            else:
                delattr(obj, attr)


def _click_words(command: Any, translate: Callable[[str], str]) -> list[tuple[Any, str, Any]]:
    """The changes that put Click's own help words into the run's language: the section
    titles and ``[default: ...]`` that Typer looks up with ``gettext``, the ``Usage:``
    of the help formatter and the ``--help`` option's own help."""
    changes: list[tuple[Any, str, Any]] = [
        (sys.modules[name], "_", translate) for name in GETTEXT_MODULES
        if callable(getattr(sys.modules.get(name), "_", None))
    ]  # fmt: skip
    formatter = getattr(getattr(command, "context_class", None), "formatter_class", None)
    if formatter is not None and hasattr(formatter, "write_usage"):
        word = translate("Usage:")
        prefix = word if word.endswith("：") else f"{word} "
        changes.append((formatter, "write_usage", _usage_with(formatter.write_usage, prefix)))
        module = sys.modules.get(formatter.__module__)
        if callable(getattr(module, "wrap_text", None)):
            changes.append((module, "wrap_text", _wide_aware(module.wrap_text)))
    for node in _commands(command):
        if hasattr(node, "get_help_option") and hasattr(node, "_help_option"):
            # Click makes a command's --help option once and keeps it: a fresh one for
            # the run, with its help translated, is dropped when the run ends
            changes.append((node, "_help_option", None))
            changes.append((node, "get_help_option", _help_option_of(node, translate)))
    return changes


def _usage_with(write_usage: Callable[..., Any], prefix: str) -> Callable[..., Any]:
    """The formatter's ``write_usage`` with ``prefix`` for Click's ``Usage:``."""

    def translated(self: Any, prog: str, args: str = "", prefix_: str | None = None) -> Any:
        return write_usage(self, prog, args, prefix if prefix_ is None else prefix_)

    return translated


_PAD = "\ue000"
"""Stands for the second column of a wide character while the help is wrapped."""
NO_BREAK_BEFORE = "，。、；：）」』！？…"
NO_BREAK_AFTER = "（「『"


def _wide_aware(wrap_text: Callable[..., str]) -> Callable[..., str]:
    """Click's ``wrap_text`` counting a Chinese character as the two columns it takes on
    a terminal, and breaking lines between Chinese characters (never before a closing
    mark or after an opening one). Click counts one column per character and breaks only
    at spaces, so Chinese help ran past the width.

    Each wide character is followed, while wrapping, by a space (a place to break) or by
    :data:`_PAD` (where no break is allowed, or where a space follows anyway); a space
    right after a wide character is therefore always one of ours, and goes."""
    from unicodedata import east_asian_width

    def wide(c: str) -> bool:
        return east_asian_width(c) in "WF"

    def widen(text: str) -> str:
        out = []
        for i, c in enumerate(text):
            out.append(c)
            if wide(c):
                after = text[i + 1 : i + 2]
                keep = c in NO_BREAK_AFTER or (after != "" and after in " " + NO_BREAK_BEFORE)
                out.append(_PAD if keep else " ")
        return "".join(out)

    def narrow(text: str) -> str:
        return "".join(c for c, before in zip(text, " " + text[:-1], strict=True)
                       if c != _PAD and not (c == " " and wide(before)))  # fmt: skip

    def wrap(text: str, *args: Any, **kwargs: Any) -> str:
        if not any(wide(c) for c in text):
            return wrap_text(text, *args, **kwargs)
        return narrow(wrap_text(widen(text), *args, **kwargs))

    return wrap


def _help_option_of(node: Any, translate: Callable[[str], str]) -> Callable[[Any], Any]:
    """``node.get_help_option`` with the option's help translated."""
    make = type(node).get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make(node, ctx)
        if option is not None and option.help:
            option.help = translate(option.help)
        return option

    return get_help_option


SHORT_HELP_CHARS = 28
"""At most this many characters of a translated help in a group's list of commands."""


def _short_helps(changes: list[tuple[Any, str, Any]]) -> list[tuple[Any, str, Any]]:
    """The short help (in a group's list of commands) of each command that has none:
    the first sentence of its translated help, cut to :data:`SHORT_HELP_CHARS`. (Click
    cuts a help at a space after a full stop, which Chinese has neither of.)"""
    found: list[tuple[Any, str, Any]] = []
    for obj, field, text in changes:
        if field != "help" or not hasattr(obj, "short_help") or obj.short_help:
            continue
        first = text.strip().split("\n\n", 1)[0].replace("\n", "")
        stop = first.find("。")
        short = first[: stop + 1] if stop != -1 else first
        if len(short) > SHORT_HELP_CHARS:
            # up to the first bracket or semicolon when that is short enough, else cut
            cut = min((i for i in (short.find("（"), short.find("；")) if i >= 4), default=-1)
            short = (short[:cut] if 0 < cut <= SHORT_HELP_CHARS
                     else short[: SHORT_HELP_CHARS - 1].rstrip("，、；：（ ") + "…")  # fmt: skip
        found.append((obj, "short_help", short))
    return found


def _commands(command: Any) -> Iterator[Any]:
    """``command`` and every command under it."""
    yield command
    for sub in (getattr(command, "commands", None) or {}).values():
        yield from _commands(sub)
