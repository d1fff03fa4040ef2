"""Which messages are marked for translation, and which a catalogue lacks.

``pybabel extract`` finds the same messages (``babel.cfg`` at the repository root is the
mapping); this module runs the extraction in process so the tests can check that every
marked message has a Chinese translation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from critmin.i18n import LOCALE_DIR

PACKAGE = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
METHODS = [
    ("**/i18n/**.py", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**/templates/**.txt", "jinja2.ext:babel_extract"),
]


def marked_messages(root: Path = PACKAGE) -> dict[str, list[str]]:
    """Each marked message id -> the places (``file:line``) that use it."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, list[str]] = {}
    jinja = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
    options = {"**/templates/**.html": jinja, "**/templates/**.txt": jinja}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map=METHODS, options_map=options, keywords=KEYWORDS,
        strip_comment_tags=True,
    ):  # fmt: skip
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def _translations(lang: str) -> Iterator[tuple[str, str, str]]:
    """(catalogue file, message id, translation) of every translated message of ``lang``
    (a plural message yields each of its ids with its first form)."""
    from babel.messages.pofile import read_po

    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and all(strings):
                for msgid in ids:
                    yield po.name, msgid, strings[0]


def translated(lang: str) -> dict[str, str]:
    """Every message id of ``lang``'s catalogues with a non-empty translation."""
    return {msgid: text for _file, msgid, text in _translations(lang)}


def missing(lang: str, root: Path = PACKAGE) -> dict[str, list[str]]:
    """Marked messages with no translation in ``lang``: message id -> places."""
    have = translated(lang)
    return {msgid: places for msgid, places in marked_messages(root).items() if msgid not in have}


def conflicts(lang: str) -> dict[str, dict[str, str]]:
    """Message ids translated differently in two of ``lang``'s catalogues: id -> {file: text}.

    The catalogues are merged into one, so a message has one translation wherever it is
    shown; a second, different one would silently replace the first.
    """
    seen: dict[str, dict[str, str]] = {}
    for file, msgid, text in _translations(lang):
        seen.setdefault(msgid, {})[file] = text
    return {k: v for k, v in seen.items() if len(set(v.values())) > 1}
