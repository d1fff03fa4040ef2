"""Names and labels in the current language, for what people read (pages, tables).

The records and the JSON keep English labels and codes; these functions translate them
when they are shown. Enum, mineral and form labels are marked with ``N_`` where they are
defined and translated from critmin's catalogues; country names come from pycountry's
own ISO 3166 catalogues (domain ``iso3166-1``), so critmin keeps no list of its own.
Dates are shown at the precision the source gives, written the Chinese way in Chinese
(``2024年12月``).
"""

from __future__ import annotations

import gettext as _gettext
import re
from enum import StrEnum
from functools import cache

from critmin import i18n

_PYCOUNTRY_LOCALE = {"zh": "zh_CN"}
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_END_OF = re.compile(r"^end of (\d{4})$")


@cache
def _countries(lang: str) -> _gettext.NullTranslations:
    """pycountry's ISO 3166-1 catalogue for ``lang`` (none for English)."""
    if lang == i18n.DEFAULT or lang not in _PYCOUNTRY_LOCALE:
        return _gettext.NullTranslations()
    import pycountry

    return _gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[_PYCOUNTRY_LOCALE[lang]], fallback=True
    )


def country(iso3: str | None) -> str:
    """A country's name in the current language (the code itself when unknown)."""
    import pycountry

    from critmin.services.present import country_label

    english = country_label(iso3)
    if not iso3 or i18n.current() == i18n.DEFAULT:
        return english
    found = pycountry.countries.get(alpha_3=iso3)
    catalogue = _countries(i18n.current())
    official = catalogue.gettext(found.name) if found is not None else None
    if official and official != found.name and "中国" in official:  # 中国台湾省, not 台湾
        return official
    local = catalogue.gettext(english)
    if local != english:
        return local
    return official if official and official != found.name else i18n.gettext(english)


def label(value: str | StrEnum | None) -> str:
    """An enum code's label in the current language: ``ban`` -> ``禁令``."""
    from critmin.domain.enums import label as english

    return i18n.gettext(english(value)) if value is not None else ""


def mineral(code: str | None) -> str:
    """A mineral's name in the current language."""
    from critmin.services.present import mineral_label

    return i18n.gettext(mineral_label(code)) if code else ""


def form(code: str | None) -> str:
    """A product form's name in the current language."""
    from critmin.services.present import form_label

    return i18n.gettext(form_label(code)) if code else ""


def text(english: str | None) -> str:
    """An English label or name as stored in a record or reply (``Ban``, ``Gallium``,
    ``China``) in the current language: critmin's catalogues, then the country names."""
    if not english:
        return english or ""
    if i18n.current() == i18n.DEFAULT:
        return english
    local = i18n.gettext(english)
    if local != english:
        return local
    from critmin.domain.countries import _name_index

    iso3 = _name_index().get(english.lower())
    return country(iso3) if iso3 else _countries(i18n.current()).gettext(english)


def date(value: object) -> str:
    """A date label (``2024``, ``2024-12``, ``2024-12-03``, ``end of 2024``) in the current
    language, never more precise than given."""
    if value is None or value == "":
        return "—"
    shown = str(value)
    if i18n.current() != "zh":
        return shown
    if shown.endswith(" (derived)"):  # the message is marked where dates are shown
        return date(shown[: -len(" (derived)")]) + i18n.gettext("(derived)")
    if m := _DAY.match(shown):
        return f"{m[1]}年{int(m[2])}月{int(m[3])}日"
    if m := _MONTH.match(shown):
        return f"{m[1]}年{int(m[2])}月"
    if m := _YEAR.match(shown):
        return f"{m[1]}年"
    if m := _END_OF.match(shown):
        return f"{m[1]}年底"
    return shown
