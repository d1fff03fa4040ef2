"""``critmin projects show --format table``: one project as readable tables (Rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from critmin.domain.enums import label
from critmin.i18n import _
from critmin.services.present import fmt_num, fmt_qty


def _facts(title: str, rows: list[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left", expand=False)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for field, value in rows:
        if value not in (None, "", []):
            table.add_row(field, str(value))
    return table


def _grid(title: str, headers: list[str], rows: list[list[Any]], right: set[int]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, h in enumerate(headers):
        table.add_column(h, overflow="fold", justify="right" if i in right else "left")
    for row in rows:
        table.add_row(*["—" if v in (None, "") else str(v) for v in row])
    return table


def _money(amount: Any, currency: str | None) -> str | None:
    return None if amount is None else f"{currency or 'USD'} {fmt_num(amount)}"


def project_tables(p: dict[str, Any]) -> list[Table]:
    """The tables that describe project ``p`` (a labelled ``project_detail``)."""
    form = f" · {p['form_label']}" if p.get("form") else ""
    feed = label(p.get("feed")) + (f" — {p['feed_note']}" if p.get("feed_note") else "")
    site = f" · {p['site']}" if p.get("site") else ""
    country = f"{p['country_label']} ({p['country']}){site}"
    years = p.get("start_year") or "—"
    if p.get("end_year"):
        years = f"{years} – {p['end_year']}"
    name = p["name"] + (f"  [{p['name_original']}]" if p.get("name_original") else "")
    tables = [_facts(name, [
        (_("Key"), p["key"]), (_("Original name"), p.get("name_original")),
        (_("Mineral"), p["mineral_label"] + form), (_("Stage"), p["stage_label"]),
        (_("Feed"), feed.strip(" —") or None), (_("Status"), p["status_label"]),
        (_("Country"), country), (_("Operator"), p.get("operator")),
        (_("Partners"), ", ".join(p.get("partners") or []) or None),
        (_("Capacity"), fmt_qty(p.get("capacity_tpa"), "t/yr")),
        (_("Start – end year"), years),
        (_("Sharing"), p["sharing_label"]), (_("Notes"), p.get("notes")),
        (_("Curation note"), p.get("curation_note")),
    ])]  # fmt: skip
    if p.get("capacity_by_year"):
        tables.append(_grid(_("Capacity by year"), [_("Year"), _("Capacity (t/yr)")],
                            [[c["year"], fmt_num(c["capacity_tpa"])]
                             for c in p["capacity_by_year"]], {1}))  # fmt: skip
    if p.get("milestones"):
        tables.append(_grid(_("Milestones"),
                            [_("Milestone"), _("Authority"), _("Date"), _("State")],
                            [[m["name"], m.get("authority"), m.get("date"), label(m.get("state"))]
                             for m in p["milestones"]], set()))  # fmt: skip
    fin = p.get("financing") or {}
    if any(fin.get(k) is not None for k in ("needed_usd", "committed_usd", "capex_amount")):
        tables.append(_facts(_("Financing"), [
            (_("Needed"), _money(fin.get("needed_usd"), "USD")),
            (_("Committed"), _money(fin.get("committed_usd"), "USD")),
            (_("Capex (headline)"),
             _money(fin.get("capex_amount"), fin.get("capex_currency"))),
        ]))  # fmt: skip
    if fin.get("sources"):
        tables.append(_grid(_("Funding sources"),
                            [_("Funder"), _("Programme"), _("Kind"), _("Amount"), _("Date")],
                            [[s["name"], s.get("programme"), label(s.get("kind")),
                              _money(s.get("amount"), s.get("currency")), s.get("date")]
                             for s in fin["sources"]], {3}))  # fmt: skip
    if p.get("offtakers"):
        tables.append(_grid(_("Offtakers"),
                            [_("Buyer"), _("Volume (t/yr)"), _("Floor price"), _("Note")],
                            [[o["name"], fmt_num(o.get("volume_tpa")),
                              fmt_qty(o.get("floor_price"), o.get("floor_price_unit")),
                              o.get("note")] for o in p["offtakers"]], {1, 2}))  # fmt: skip
    if p.get("history"):
        tables.append(_grid(_("Status and capacity history"),
                            [_("Date"), _("Status"), _("Capacity (t/yr)"), _("Note")],
                            [[h["date"], label(h.get("status")), fmt_num(h.get("capacity_tpa")),
                              h.get("note")] for h in p["history"]], {2}))  # fmt: skip
    if p.get("sources"):
        tables.append(_grid(_("Sources"), [_("Source"), _("Where"), _("Quote")],
                            [[s.get("title") or s["document"], s.get("locator"), s.get("quote")]
                             for s in p["sources"]], set()))  # fmt: skip
    if p.get("changes"):
        tables.append(_grid(_("Change log"),
                            [_("When (UTC)"), _("Who"), _("Action"), _("Fields")],
                            [[c["changed_at"][:19].replace("T", " "), c["actor"], c["action"],
                              ", ".join(c["fields"])] for c in p["changes"]], set()))  # fmt: skip
    return tables


def print_project(detail: dict[str, Any], console: Any) -> None:
    """Print ``detail`` as tables on ``console`` (a Rich console)."""
    target: Console = console
    for table in project_tables(detail):
        target.print(table)
