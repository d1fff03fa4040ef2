"""Names, labels and dates shown in the visitor's language: enum labels and minerals from
critmin's catalogues, countries from pycountry's ISO 3166 catalogue, dates at the
source's precision. English (and so every JSON reply) keeps the stored text."""

from __future__ import annotations

import pytest

from critmin.domain.enums import MeasureType, ProjectStatus, Stage, labels_of
from critmin.domain.minerals import MINERALS
from critmin.i18n import display, use_language


def test_english_is_the_stored_text() -> None:
    assert display.label("technology_control") == "Technology control"
    assert display.country("CHN") == "China"
    assert display.mineral("gallium") == "Gallium"
    assert display.date("2024-12") == "2024-12"
    assert display.date("end of 2024") == "end of 2024"
    assert display.text("United States") == "United States"


@pytest.mark.parametrize(
    ("code", "chinese"),
    [("ban", "禁令"), ("licensing", "许可要求"), ("suspension", "暂停另一项措施"),
     ("export_tax", "出口税"), ("refining", "精炼"), ("purification", "提纯"),
     ("recycling", "回收"), ("financed", "已融资"), ("in_force", "生效中")],
)  # fmt: skip
def test_enum_labels_in_chinese(code: str, chinese: str) -> None:
    with use_language("zh"):
        assert display.label(code) == chinese


def test_every_enum_label_and_mineral_has_a_chinese_name() -> None:
    with use_language("zh"):
        for enum in (Stage, ProjectStatus, MeasureType):
            for code, english in labels_of(enum).items():
                shown = display.label(code)
                assert shown != english and not shown.isascii(), (code, shown)
        for mineral in MINERALS:
            assert not display.mineral(mineral.code).isascii(), mineral.code
        assert display.mineral("gallium") == "镓" and display.mineral("tungsten") == "钨"
        assert display.form("apt") == "仲钨酸铵（APT）"


def test_country_names_come_from_the_iso_catalogue() -> None:
    with use_language("zh"):
        assert display.country("CHN") == "中国"
        assert display.country("USA") == "美国"
        assert display.country("JPN") == "日本"
        assert display.country("TWN") == "中国台湾省"
        # a name as stored in a reply, resolved to its code first
        assert display.text("United States") == "美国"
        assert display.text("Korea, Republic of") == display.country("KOR") == "韩国"
        assert display.country("XKX") == "Kosovo"  # not in ISO 3166: as stored
        assert display.country(None) == ""


@pytest.mark.parametrize(
    ("shown", "chinese"),
    [("2024", "2024年"), ("2024-12", "2024年12月"), ("2023-07-03", "2023年7月3日"),
     ("end of 2024", "2024年底"), ("2025-05 (derived)", "2025年5月（推算）"),
     (None, "—"), ("early 2024", "early 2024")],
)  # fmt: skip
def test_dates_keep_the_source_precision(shown: str | None, chinese: str) -> None:
    with use_language("zh"):
        assert display.date(shown) == chinese


def test_unknown_text_is_left_as_it_is() -> None:
    with use_language("zh"):
        assert display.text("Rio Tinto") == "Rio Tinto"
        assert display.text("") == ""
        assert display.label(None) == ""
