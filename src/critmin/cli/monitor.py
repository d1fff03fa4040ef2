"""``critmin monitor``: evaluate the alert rules, list alerts, manage rules and webhooks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from critmin.cli.common import (
    DbOption,
    FormatOption,
    MineralFilter,
    OutputFormat,
    console,
    database_url,
    emit,
    fail,
    session_for,
)
from critmin.i18n import N_, _

monitor_app = typer.Typer(help="Market monitor: alert rules, alerts, webhooks.",
                          no_args_is_help=True, rich_markup_mode=None)  # fmt: skip
rules_app = typer.Typer(help="Alert rules: list, add, remove.", no_args_is_help=True,
                        rich_markup_mode=None)  # fmt: skip
monitor_app.add_typer(rules_app, name="rules")

OrgOption = Annotated[str | None, typer.Option("--org", help="As this organisation.")]
ALERT_COLUMNS = ["date_label", "rule", "series_label", "mineral_label", "message"]
DELIVERY_COUNTS = {"delivered": N_("delivered"), "pending": N_("pending"),
                   "failed": N_("failed"), "withheld": N_("withheld")}  # fmt: skip


@contextmanager
def _errors() -> Iterator[None]:
    from critmin.services.auth import AuthError
    from critmin.services.entities import NotFound
    from critmin.services.tracker import Conflict, Forbidden, InvalidRecord

    try:
        yield
    except InvalidRecord as exc:
        raise fail("; ".join(f"{e['field']}: {e['problem']}" for e in exc.errors), code=2) from None
    except AuthError as exc:
        raise fail(_("{error} (see `critmin org list`)").format(error=exc), code=2) from None
    except (NotFound, Conflict, Forbidden) as exc:
        raise fail(str(exc)) from None


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(_("{value} is not a date such as 2025-05-14").format(
            value=repr(value)), param_hint="--as-of") from None  # fmt: skip


def _deliver(db: str | None, wait: bool, retry_failed: bool = False) -> dict[str, int]:
    """Send queued webhook deliveries in their own transactions (after the events are
    committed): each attempt is committed as it is made."""
    from critmin.services import monitor_webhooks as hooks
    from critmin.store.db import make_engine, session_factory

    engine = make_engine(database_url(db))
    try:
        with session_factory(engine)() as session:
            counts = hooks.deliver(session, commit=session.commit, wait=wait,
                                   retry_failed=retry_failed)  # fmt: skip
            session.commit()
            return counts
    finally:
        engine.dispose()


@monitor_app.command("run")
def run_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this date "
                                              "(YYYY-MM-DD; default today).")] = None,
    deliver: bool = typer.Option(True, "--deliver/--no-deliver",
                                 help="Send webhooks now (one attempt each; retries later "
                                      "with `critmin monitor deliver`)."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Evaluate every alert rule and record new alert events once; print the new ones
    (a second run prints none)."""
    from critmin.services import monitor
    from critmin.services.auth import LOCAL

    day = _as_of(as_of)
    with _errors(), session_for(db) as session:
        new = monitor.run(session=session, caller=LOCAL, as_of=day)
    if deliver:
        _deliver(db, wait=False)
    if fmt == OutputFormat.table and not new:
        console.print(_("no new alerts"), highlight=False)
        return
    emit(new, fmt, title=_("New alerts"), columns=None if fmt == OutputFormat.json
         else ALERT_COLUMNS)  # fmt: skip


@monitor_app.command("alerts")
def alerts_cmd(
    mineral: MineralFilter = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule's (key).")] = None,
    limit: int = typer.Option(100, "--limit", min=1, max=500, help="At most this many."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Recorded alerts, newest first."""
    from critmin.services import monitor
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        rows = monitor.events(session=session, caller=LOCAL, mineral=mineral, rule=rule,
                              limit=limit)  # fmt: skip
    emit(rows, fmt, title=_("Alerts"), columns=None if fmt == OutputFormat.json else ALERT_COLUMNS)


@monitor_app.command("deliver")
def deliver_cmd(
    retry_failed: bool = typer.Option(False, "--retry-failed",
                                      help="Also retry deliveries whose attempts ran out."),
    db: DbOption = None,
) -> None:
    """Send pending webhook deliveries, waiting out the backoff between retries."""
    counts = _deliver(db, wait=True, retry_failed=retry_failed)
    names = {k: _(DELIVERY_COUNTS.get(k, k)) for k in counts}
    console.print(", ".join(_("{n} {what}").format(n=v, what=names[k])
                            for k, v in counts.items()), highlight=False)  # fmt: skip


@monitor_app.command("webhook")
def webhook_cmd(
    org: Annotated[str, typer.Option("--org", help="The organisation.", show_default=False)],
    url: Annotated[str | None, typer.Option("--url", help="POST new alerts here.")] = None,
    clear: bool = typer.Option(False, "--clear", help="Remove the organisation's webhook."),
    db: DbOption = None,
) -> None:
    """Set or clear an organisation's webhook: every new alert it may see is POSTed."""
    from critmin.services import monitor_webhooks as hooks
    from critmin.services.auth import LOCAL, get_org

    if (url is None) == (not clear):
        raise fail(_("give --url or --clear"), code=2)
    with _errors(), session_for(db) as session:
        org_id = get_org(session=session, name=org).id
        hooks.set_webhook(session=session, caller=LOCAL, url=None if clear else url,
                          org_id=org_id)  # fmt: skip
    text = _("{org}: webhook cleared") if clear else _("{org}: webhook set")
    console.print(text.format(org=org), highlight=False)


@rules_app.command("list")
def rules_list(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Every alert rule, built-in defaults first."""
    from critmin.services import monitor_rules as rules
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        rows = rules.list_rules(session=session, caller=LOCAL)
    if fmt != OutputFormat.json:
        rows = [{**r, "params": json.dumps(r["params"])} for r in rows]
    emit(rows, fmt, title=_("Alert rules"), columns=None if fmt == OutputFormat.json else
         ["key", "kind_label", "title", "mineral", "params", "sharing"])  # fmt: skip


@rules_app.command("add")
def rules_add(
    key: str = typer.Argument(..., help="A key for the rule (lower case, digits, - . _)."),
    kind: str = typer.Option(..., "--kind", help="price_change, ratio, measure_change, "
                             "trade_drop, measure_expiry or stockpile_expiry."),
    params: str = typer.Option("{}", "--params", help='Parameters as JSON, e.g. '
                               '\'{"series": "ga-rotterdam-low-purity", "threshold_pct": 25}\'.'),
    title: Annotated[str | None, typer.Option("--title", help="What people read.")] = None,
    mineral: MineralFilter = None,
    org: OrgOption = None,
    sharing: Annotated[str | None, typer.Option("--sharing",
                                                help="public, partners or owner.")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST its alerts here.")] = None,
    db: DbOption = None,
) -> None:
    """Add an alert rule (of an organisation with --org; else public reference data)."""
    from critmin.services import monitor_rules as rules
    from critmin.services.auth import LOCAL, get_org

    try:
        values: Any = json.loads(params)
    except json.JSONDecodeError as exc:
        raise fail(_("--params: not JSON ({error} at character {pos})").format(
            error=exc.msg, pos=exc.pos), code=2) from None  # fmt: skip
    with _errors(), session_for(db) as session:
        owner = get_org(session=session, name=org).id if org else None
        rule = rules.add_rule(session=session, caller=LOCAL, key=key, kind=kind, params=values,
                              title=title, mineral=mineral, sharing=sharing,
                              webhook_url=webhook, owner_org_id=owner)  # fmt: skip
    console.print(_("added rule {key} ({kind}): {params}").format(
        key=rule["key"], kind=rule["kind_label"], params=json.dumps(rule["params"])),
        highlight=False, soft_wrap=True)  # fmt: skip


@rules_app.command("remove")
def rules_remove(ref: str = typer.Argument(..., help="Rule key or id."),
                 db: DbOption = None) -> None:  # fmt: skip
    """Remove a rule and its alerts (built-in rules stay)."""
    from critmin.services import monitor_rules as rules
    from critmin.services.auth import LOCAL

    with _errors(), session_for(db) as session:
        rules.remove_rule(session=session, caller=LOCAL, ref=ref)
    console.print(_("removed rule {ref}").format(ref=ref), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")
