"""Languages: every marked message has a Chinese translation, and the choice of language
follows the rules (explicit choice, then Accept-Language, then English)."""

from __future__ import annotations

import pytest

from critmin import i18n
from critmin.i18n import catalogue


def test_every_marked_message_has_a_chinese_translation() -> None:
    missing = catalogue.missing("zh")
    listed = "\n".join(f"{msgid!r} at {places[0]}" for msgid, places in sorted(missing.items()))
    assert not missing, f"{len(missing)} messages lack a zh translation:\n{listed}"


def test_a_message_has_one_translation_across_catalogues() -> None:
    clashes = catalogue.conflicts("zh")
    assert not clashes, f"translated differently in two catalogues: {clashes}"


def test_the_frame_is_translated() -> None:
    with i18n.use_language("zh"):
        assert i18n.gettext("Export controls") == "出口管制"
        assert i18n.gettext("a message nobody marked") == "a message nobody marked"
    assert i18n.gettext("Export controls") == "Export controls"


def test_use_language_restores_the_previous_one() -> None:
    assert i18n.current() == "en"
    with i18n.use_language("zh-Hans"):
        assert i18n.current() == "zh"
        with i18n.use_language("en"):
            assert i18n.current() == "en"
        assert i18n.current() == "zh"
    assert i18n.current() == "en"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh;q=0.8", "en"),
        ("fr;q=0.9, zh-Hans;q=0.8, en;q=0.5", "zh"),
        ("zh-TW", "en"),  # Traditional Chinese is not offered: fall back to English
        ("zh;q=0, en;q=0.1", "en"),  # q=0 means "not acceptable"
        ("de, fr", "en"),
        ("zh;q=abc", "en"),
    ],
)
def test_accept_language_negotiation(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_unknown_language_names_the_choices() -> None:
    with pytest.raises(i18n.UnknownLanguage, match=r"'fr'.*en \(English\), zh"):
        i18n.parse("fr")
    assert i18n.parse("ZH_cn") == "zh"
    assert i18n.tag("zh") == "zh-Hans"
