"""Rendering a report model: standalone HTML (inline styles, charts as inline SVG) and PDF
through WeasyPrint, offline (a URL fetcher that refuses every remote address)."""

from __future__ import annotations

from typing import Any

from critmin.i18n import TAGS, _, current
from critmin.services.reports import QUALIFIERS, Report, ReportError


class RemoteFetchRefused(ValueError):
    """The PDF renderer was asked for a remote resource; reports are made offline."""


def offline_fetcher() -> Any:
    """WeasyPrint's URL fetcher for reports: ``data:`` URLs only, nothing remote, nothing
    from the file system (WeasyPrint 70's fetcher class, or the older function)."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before 70: a function returning a dict
        from weasyprint.urls import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            if not url.lower().startswith("data:"):
                raise RemoteFetchRefused(f"reports are rendered offline; refused {url!r}")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch

    class Offline(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.lower().startswith("data:"):
                raise RemoteFetchRefused(f"reports are rendered offline; refused {url!r}")
            return super().fetch(url, headers)

    return Offline(allowed_protocols=("data",))


def where(source: dict[str, Any]) -> str:
    """A source reference in words: file and field, table and record, engine and field."""
    kind = source.get("kind")
    if kind == "file":
        return f"{source['file']} → {source['field']}"
    if kind == "record":
        match = ", ".join(f"{k}={v}" for k, v in source["match"].items())
        return f"{source['table']} [{match}] → {source['field']}"
    if kind == "engine":
        args = ", ".join(f"{k}={v}" for k, v in source["args"].items())
        return f"{source['engine']}({args}) → {source['field']}"
    if kind == "derived":
        return f"{source['op']}({', '.join(source['figures'])})"
    return _("assumption")


def render_html(report: Report, *, compact: bool | None = None) -> str:
    """The report as one standalone HTML page in the current language."""
    from critmin.web.render import templates

    tpl = templates.env.get_template("reports/report.html")
    return tpl.render(
        report=report,
        figures=report.all_figures(),
        where=where,
        qualifiers={k: _(v) for k, v in QUALIFIERS.items()},
        html_lang=TAGS.get(current(), "en"),
        compact=report.kind == "briefing" if compact is None else compact,
    )


def render_pdf(report: Report) -> bytes:
    """The report as PDF (WeasyPrint; needs Pango, and a CJK font for Chinese)."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # WeasyPrint loads Pango when imported
        raise ReportError(
            _(
                "PDF output is not available here: WeasyPrint needs the Pango library "
                "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0); "
                "the HTML format works without it ({problem})"
            ).format(problem=exc)
        ) from None

    return HTML(string=render_html(report), url_fetcher=offline_fetcher()).write_pdf()
