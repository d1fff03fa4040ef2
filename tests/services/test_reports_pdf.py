"""The reports as PDF (WeasyPrint, offline): pages turned into images with pypdfium2, the
expected page count (the briefing fits one page), no blank page, Chinese text and the
charts present, and no remote fetch ever attempted."""

from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium
import pytest
from sqlalchemy.orm import Session

from critmin.services import reports
from critmin.services.auth import LOCAL
from critmin.services.reports_render import RemoteFetchRefused, offline_fetcher
from critmin.store.db import make_engine

AS_OF = "2026-11-29"


@pytest.fixture(scope="module")
def pdfs(bundled_db_url: str) -> dict:
    engine = make_engine(bundled_db_url)
    out = {}
    with Session(engine) as s:
        for kind, mineral, lang in (("briefing", "gallium", "zh"), ("dossier", "tungsten", "en"),
                                    ("stockpile", "gallium", "zh")):  # fmt: skip
            rep = reports.build(s, LOCAL, kind, mineral=mineral, as_of=AS_OF, lang=lang)
            out[kind] = (rep, reports.render(rep, "pdf"))
    engine.dispose()
    return out


def _pages(data: bytes) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(data)
    return [np.asarray(doc[i].render(scale=0.5).to_pil().convert("L")) for i in range(len(doc))]


def _text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def _ink(page: np.ndarray) -> float:
    """Share of the page's pixels that are not white."""
    return float((page < 200).mean())


def test_briefing_is_one_page_in_chinese_with_its_chart(pdfs):
    rep, data = pdfs["briefing"]
    assert data.startswith(b"%PDF-")
    pages = _pages(data)
    assert len(pages) == 1
    assert _ink(pages[0]) > 0.02
    text = _text(data)
    assert "矿产简报" in text and "价格与两个市场的价差" in text
    # the chart's labels are text in the PDF too (SVG text kept as text)
    assert "占全球产量的份额" in text and "份额(%)" in text
    figs = rep.all_figures()
    assert figs["conc.share.0"].text in text  # 99.0%


def test_dossier_pages_are_not_blank(pdfs):
    rep, data = pdfs["dossier"]
    pages = _pages(data)
    assert 4 <= len(pages) <= 14
    assert min(_ink(p) for p in pages) > 0.005
    text = _text(data)
    assert "National-security import dossier" in text
    assert "Sources of every figure" in text
    for fid in ("imp.imports_total_latest", "conc.share.0", "frame.days"):
        assert rep.all_figures()[fid].text in text


def test_stockpile_report_in_chinese(pdfs):
    rep, data = pdfs["stockpile"]
    pages = _pages(data)
    assert 1 <= len(pages) <= 6 and min(_ink(p) for p in pages) > 0.005
    assert "储备充足性评估" in _text(data)


def test_the_pdf_renderer_never_fetches_remote_urls():
    fetch = offline_fetcher()
    with pytest.raises(RemoteFetchRefused):
        fetch("https://example.com/font.woff2")
    with pytest.raises(RemoteFetchRefused):
        fetch("file:///etc/passwd")
    got = fetch("data:text/plain;base64,aGk=")
    assert (got.read() if hasattr(got, "read") else got["string"]) == b"hi"
