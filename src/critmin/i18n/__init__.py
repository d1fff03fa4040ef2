"""Languages: English (the source text) and Simplified Chinese.

Text shown to people is written in English and marked for translation: ``_("...")`` in
Python, ``{{ _("...") }}`` or ``{% trans %}`` in templates. The Chinese catalogues are
Babel/gettext ``.po`` files under ``i18n/locale/zh/LC_MESSAGES/``, one per area of the
program (``base.po``, ``scrap.po``, ``reports.po``, ...); they are read and merged when a
language is first used, so there is no compile step. ``tests/i18n`` checks that every
marked message has a Chinese translation.

The current language is a context variable: the CLI sets it from ``--lang``, the
dashboard from ``?lang=``, the language cookie or ``Accept-Language`` (see
:func:`negotiate`), and reports take it as an argument.
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"
LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
"""Supported languages: code -> name in that language."""
TAGS: dict[str, str] = {"en": "en", "zh": "zh-Hans"}
"""BCP 47 tag of each language, for ``<html lang>`` and ``Content-Language``."""
_ALIASES = {"zh-hans": "zh", "zh-cn": "zh", "zh-sg": "zh", "cn": "zh", "chinese": "zh",
            "en-us": "en", "en-gb": "en", "english": "en"}  # fmt: skip

_current: contextvars.ContextVar[str] = contextvars.ContextVar("critmin_lang", default=DEFAULT)


class UnknownLanguage(ValueError):
    """A language code critmin has no catalogue for."""


def normalise(code: str | None) -> str | None:
    """``'zh-Hans'``, ``'zh_CN'``, ``'ZH'`` -> ``'zh'``; None when not supported."""
    if not code:
        return None
    key = code.strip().lower().replace("_", "-")
    if key in LANGUAGES:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    base = key.split("-", 1)[0]
    if base == "zh" and key not in ("zh-hant", "zh-tw", "zh-hk", "zh-mo"):
        return "zh"
    return base if base == "en" else None


def parse(code: str) -> str:
    """A supported language code, or :class:`UnknownLanguage` naming the choices."""
    lang = normalise(code)
    if lang is None:
        choices = ", ".join(f"{k} ({v})" for k, v in LANGUAGES.items())
        raise UnknownLanguage(f"unknown language {code!r}: expected one of {choices}")
    return lang


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an ``Accept-Language`` header (RFC 9110 q-values)."""
    best, best_q = DEFAULT, -1.0
    for position, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = normalise(tag)
        # earlier tags win ties (the header's order is the client's preference)
        if lang and q > 0 and q - position * 1e-6 > best_q:
            best, best_q = lang, q - position * 1e-6
    return best


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The merged catalogues of ``lang`` (English is the source text: no catalogue)."""
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    merged: Translations | None = None
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale="zh_Hans_CN" if lang == "zh" else lang, domain=po.stem)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        part = Translations(fp=buf, domain="messages")
        merged = part if merged is None else merged.merge(part)
    return merged or _gettext.NullTranslations()


def current() -> str:
    """The language of the current context."""
    return _current.get()


def set_language(lang: str) -> contextvars.Token[str]:
    """Make ``lang`` current for this context (the CLI does this once per run)."""
    return _current.set(parse(lang))


@contextmanager
def use_language(lang: str) -> Iterator[str]:
    """Run a block in ``lang``."""
    token = set_language(lang)
    try:
        yield current()
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """``message`` in the current language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, in the current language."""
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, disambiguated by ``context``."""
    return translations(current()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Mark a module-level string for translation; translate it with ``_()`` when shown."""
    return message


def tag(lang: str | None = None) -> str:
    """The BCP 47 tag of ``lang`` (default: the current language)."""
    return TAGS[lang or current()]
