"""The reports' charts: matplotlib drawn as inline SVG with text kept as text
(``svg.fonttype='none'``), so the page's font stack renders it (Chinese included) in the
browser and in the PDF. Offline: no fonts or scripts are fetched."""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Sequence

FONT_STACK = ("'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', "
              "sans-serif")  # fmt: skip
COLOURS = ("#1f5f8b", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646")
_FONT = re.compile(r"font-family:[^;\"]*")
_FONT_SHORTHAND = re.compile(r"font:\s*([\d.]+px)\s+[^;\"]*")


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "critmin",
            "font.family": ["Noto Sans CJK SC", "DejaVu Sans"],
        }
    )
    return Figure(figsize=(width, height), dpi=72)


def _svg(fig) -> str:  # type: ignore[no-untyped-def]
    """The figure as an inline ``<svg>`` element, text as text in the page's fonts."""

    buf = io.StringIO()
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with warnings.catch_warnings():  # a glyph the measuring font lacks: text stays text
        warnings.simplefilter("ignore", UserWarning)
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = _FONT_SHORTHAND.sub(lambda m: f"font-size:{m.group(1)};font-family:{FONT_STACK}",
                               text)  # fmt: skip
    text = _FONT.sub(f"font-family:{FONT_STACK}", text)
    return text.replace("<svg ", '<svg class="chart" role="img" ', 1)


def bar_chart(labels: Sequence[str], values: Sequence[float | None], axis: str,
              width: float = 5.2, height: float = 2.2) -> str:  # fmt: skip
    """Horizontal bars, largest on top."""
    fig = _figure(width, max(1.3, 0.28 * len(labels) + 0.7))
    fig.subplots_adjust(left=0.34, right=0.97, top=0.96, bottom=0.6 / fig.get_figheight())
    ax = fig.add_subplot()
    vals = [v or 0.0 for v in values]
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, vals, color=COLOURS[0])
    ax.set_yticks(ys, [str(x) for x in labels], fontsize=9)
    ax.set_xlabel(axis, fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)


def band_chart(labels: Sequence[str], central: Sequence[float], low: Sequence[float],
               high: Sequence[float], axis: str) -> str:  # fmt: skip
    """Central values with their low-high band, one row per label."""
    fig = _figure(5.2, 0.7 + 0.3 * len(labels))
    fig.subplots_adjust(left=0.2, right=0.97, top=0.96, bottom=0.6 / fig.get_figheight())
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    for y, c, lo, hi in zip(ys, central, low, high, strict=True):
        ax.plot([lo, hi], [y, y], color=COLOURS[0], linewidth=3, alpha=0.4)
        ax.plot([c], [y], "o", color=COLOURS[1])
    ax.set_yticks(ys, [str(x) for x in labels], fontsize=9)
    ax.set_xlabel(axis, fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)


def line_chart(series: Sequence[tuple[str, Sequence[str], Sequence[float]]], axis: str
               ) -> str:  # fmt: skip
    """Lines over dates (ISO strings), one per series, with a legend."""
    import datetime as dt

    fig = _figure(5.2, 2.2)
    fig.subplots_adjust(left=0.14, right=0.97, top=0.95, bottom=0.3)
    ax = fig.add_subplot()
    for i, (name, xs, ys) in enumerate(series):
        ax.plot(
            [dt.date.fromisoformat(x[:10]) for x in xs],
            ys,
            marker="o",
            markersize=3,
            color=COLOURS[i % len(COLOURS)],
            label=name,
        )
    ax.set_ylabel(axis, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, frameon=False)
    fig.autofmt_xdate()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)
