"""The exposure page's chart: the paths from one end product back to the target country,
drawn as a layered graph (the end product on the right, each column one tier further
upstream), with the target country's firms marked."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from critmin.i18n import N_, _, display
from critmin.web.charts import PALETTE, Figure, _layout

KIND_LABELS = {"source": N_("Source (raw material)"), "intermediate": N_("Intermediate"),
               "end": N_("End product")}  # fmt: skip


def _positions(nodes: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """x = minus the number of tiers upstream of the end product; y spreads each tier."""
    tiers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for n in nodes:
        tiers[int(n["hops"])].append(n)
    out = {}
    for hops, members in tiers.items():
        members.sort(key=lambda n: (not n["target"], n["country_label"], n["id"]))
        k = len(members)
        for i, n in enumerate(members):
            out[n["id"]] = (-float(hops), (k - 1) / 2.0 - i)
    return out


def paths_figure(paths: dict[str, Any] | None, country_label: str) -> Figure | None:
    """Edges as grey lines, firms as markers: the target country's in one colour, the
    others in another, the end product larger. None without a paths subgraph."""
    if not paths or not paths.get("nodes"):
        return None
    nodes = paths["nodes"]
    pos = _positions(nodes)
    xs: list[float | None] = []
    ys: list[float | None] = []
    for e in paths["edges"]:
        (x0, y0), (x1, y1) = pos[e["supplier"]], pos[e["customer"]]
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    traces: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": _("Supply link"),
        "line": {"color": "#9aa3ad", "width": 1}, "hoverinfo": "skip"}]  # fmt: skip
    groups = ((_("In %(country)s") % {"country": country_label},
               lambda n: n["target"] and not n["end"], PALETTE[3], 11),
              (_("Elsewhere"), lambda n: not n["target"] and not n["end"], PALETTE[0], 9),
              (_("End product"), lambda n: n["end"], PALETTE[2], 16))  # fmt: skip
    for name, keep, colour, size in groups:
        chosen = [n for n in nodes if keep(n)]
        if not chosen:
            continue
        text = [f"{n['id']}<br>{display.text(n['country_label'])}<br>"
                f"{_(KIND_LABELS[n['kind']]) if n['kind'] in KIND_LABELS else n['kind']}"
                + ("<br>" + _("produces %(mineral)s") % {"mineral": display.mineral(n["mineral"])}
                   if n.get("mineral") else "")
                + "<br>" + _("%(n)s tier(s) upstream") % {"n": n["hops"]}
                for n in chosen]  # fmt: skip
        traces.append({"type": "scatter", "mode": "markers", "name": name,
                       "x": [pos[n["id"]][0] for n in chosen],
                       "y": [pos[n["id"]][1] for n in chosen], "text": text,
                       "marker": {"color": colour, "size": size,
                                  "line": {"color": "#1b1f24", "width": 0.5}},
                       "hovertemplate": "%{text}<extra></extra>"})  # fmt: skip
    depth = max(int(n["hops"]) for n in nodes)
    title = _("Paths from %(country)s to end product %(end)s") % {
        "country": country_label,
        "end": paths["end"]["id"],
    }
    if paths.get("truncated"):
        title += " " + _("(the nodes nearest the end product only)")
    layout = _layout(title, height=480, showlegend=True,
                     xaxis={"title": {"text": _("Tiers upstream of the end product")},
                            "tickvals": [-h for h in range(depth + 1)],
                            "ticktext": [str(h) for h in range(depth + 1)],
                            "zeroline": False, "showgrid": False},
                     yaxis={"visible": False})  # fmt: skip
    return {"data": traces, "layout": layout}
