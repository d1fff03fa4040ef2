"""Alert rules on SQLite and PostgreSQL: hand-worked evaluation of synthetic series,
events recorded once (re-runs and concurrent runs), webhooks against a real local HTTP
receiver, and a hostile partner that never learns of another organisation's alerts."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import delete, func, select

from critmin.ingest.datasets import ensure_datasets
from critmin.ingest.prices_fx import FX_FILE, load_fx
from critmin.services import auth, monitor
from critmin.services import monitor_rules as rules
from critmin.services import monitor_webhooks as hooks
from critmin.services import prices as svc
from critmin.services.auth import LOCAL, Caller, Role
from critmin.services.tracker import Forbidden, InvalidRecord
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import session_factory, transaction
from critmin.store.tables import AlertDelivery, AlertEvent, DeliveryAttempt, PriceSeries

HEADER = "series,market,mineral,form,currency,unit,date,value,source,qualifier,kind,window,relative_to,sharing\n"  # noqa: E501
SRC = "Synthetic test series"
SYN = HEADER + (
    f"syn-jump,Rotterdam,gallium,,USD,kg,2024-01-01,100,{SRC},,,,,\n"
    f"syn-jump,Rotterdam,gallium,,USD,kg,2024-01-10,110,{SRC},,,,,\n"
    f"syn-jump,Rotterdam,gallium,,USD,kg,2024-01-25,145,{SRC},,,,,\n"  # +45% in 24 days
    f"syn-flat,China domestic,gallium,,USD,kg,2024-01-01,100,{SRC},,,,,\n"
    f"syn-flat,China domestic,gallium,,USD,kg,2024-01-25,135,{SRC},,,,,\n"  # +35%
    f"syn-bound,Rotterdam,gallium,,USD,kg,2023-08,>43,{SRC},,change_pct,2023-07/P1M,,\n"
)


def _load(s) -> None:
    sync_catalogue(s)
    ids = ensure_datasets(s)
    load_fx(s, FX_FILE, dataset_id=ids["fed-fx-cny-usd"])


def _import(s, text: str, caller=LOCAL):
    return svc.import_file(session=s, caller=caller, stream=io.BytesIO(text.encode()), fmt="csv",
                           file="prices.csv")  # fmt: skip


def _count(s) -> int:
    return s.scalar(select(func.count()).select_from(AlertEvent))


def test_import_raises_the_default_alert_once(engine):
    with transaction(engine) as s:
        _load(s)
        report = _import(s, SYN)
    fired = {(e["series"], e["date_label"]): e for e in report.alerts}
    assert sorted(fired) == [("syn-bound", "2023-08"), ("syn-jump", "2024-01-25")]
    jump = fired["syn-jump", "2024-01-25"]
    assert jump["rule"] == "default-price-up-40pct-30d" and jump["value"] == pytest.approx(45.0)
    assert jump["message"].startswith("Gallium, Rotterdam (USD/kg): up 45.0% within 30 days, "
                                      "from 100 (2024-01-01) to 145 USD/kg (2024-01-25)")
    bound = fired["syn-bound", "2023-08"]
    assert bound["qualifier"] == "lower_bound" and "at least 43%" in bound["message"]
    assert "lower bound" in bound["message"] and bound["date_precision"] == "month"
    assert bound["series_label"] == "Gallium, Rotterdam (USD/kg)"
    with transaction(engine) as s:
        before = _count(s)
        assert monitor.run(session=s, caller=LOCAL) == []  # re-running adds nothing
        assert _import(s, SYN).alerts == []
        assert _count(s) == before == 2
        assert [e["series"] for e in monitor.alerts_for(s, LOCAL, "gallium", 10)] == [
            "syn-jump", "syn-bound"]  # newest date first  # fmt: skip
        assert monitor.alerts_for(s, LOCAL, "tungsten", 10) == []


def test_rules_of_every_kind_and_bad_parameters(engine):
    with transaction(engine) as s:
        _load(s)
        _import(s, SYN)
        rules.add_rule(session=s, caller=LOCAL, key="jump-vs-flat", kind="ratio",
                       params={"a": "syn-jump", "b": "syn-flat", "threshold": 1.05,
                               "tolerance_days": 31})  # fmt: skip
        rules.add_rule(session=s, caller=LOCAL, key="flat-30", kind="price_change",
                       params={"series": "syn-flat", "threshold_pct": 30})  # fmt: skip
        new = monitor.run(session=s, caller=LOCAL)
        got = sorted((e["rule"], e["date"]) for e in new)
        # ratio: 1.0 on 1 Jan, 110/100 = 1.1 on 10 Jan (crosses 1.05), 145/135 on 25 Jan
        # (still above: same episode); syn-flat rose 35% > 30%
        assert got == [("flat-30", "2024-01-25"), ("jump-vs-flat", "2024-01-10")]
        ratio = next(e for e in new if e["rule"] == "jump-vs-flat")
        assert ratio["value"] == pytest.approx(1.1) and ratio["other_series"] == "syn-flat"
        # a ratio as the source states it ("nearly 2x"): approximate, and said so
        stated = _import(s, SYN + f"syn-jump,Rotterdam,gallium,,USD,kg,2024,2,{SRC},"
                         "approximate,ratio_to_series,,syn-flat,\n").alerts  # fmt: skip
        assert [(e["rule"], e["date_label"], e["qualifier"]) for e in stated] == [
            ("jump-vs-flat", "2024", "approximate")]  # fmt: skip
        assert "approximately 2× as the source states it" in stated[0]["message"]
        for kind, params, field in [
            ("price_change", {"threshold_pct": -1}, "params.threshold_pct"),
            ("price_change", {"series": "nowhere"}, "params.series"),
            ("ratio", {"a": "syn-jump", "b": "syn-jump", "threshold": 2}, "params.a"),
            ("trade_drop", {"threshold_pct": 30}, "mineral"),
            ("measure_expiry", {"days": 10, "colour": "red"}, "params"),
            ("sunspots", {}, "kind"),
        ]:  # fmt: skip
            with pytest.raises(InvalidRecord) as err:
                rules.add_rule(session=s, caller=LOCAL, key="bad", kind=kind, params=params)
            assert field in [e["field"] for e in err.value.errors]
        with pytest.raises(Forbidden):
            rules.remove_rule(session=s, caller=LOCAL, ref="default-price-up-40pct-30d")
        rules.remove_rule(session=s, caller=LOCAL, ref="flat-30")
        assert [e["rule"] for e in monitor.events(session=s, caller=LOCAL, rule="flat-30")] == []


def test_measure_and_trade_rules(engine):
    import datetime as dt

    from critmin.ingest.curated import load_curated
    from critmin.store.tables import TradeFlow

    with transaction(engine) as s:
        _load(s)
        load_curated(s)  # the bundled measures: new today for the default rule
        today = monitor.events(session=s, caller=LOCAL, rule="default-measure-new-or-changed",
                               mineral="gallium", limit=None)  # fmt: skip
        assert today and all(e["date"] == dt.date.today().isoformat() for e in today)
        assert any("(also Germanium" in e["message"] for e in today)
        # a change to a measure is a new alert, naming the fields it changed
        from critmin.store import entities as store
        from critmin.store.tables import ExportMeasure

        m = s.scalar(select(ExportMeasure).where(ExportMeasure.key == "cn-2023-ga-ge-licensing"))
        old, m.title = m.title, m.title + " (amended)"
        store.touch(row=m)
        store.log(session=s, row=m, action="update", actor="test",
                  changes={"title": [old, m.title]})  # fmt: skip
        changed = [e for e in monitor.run(session=s, caller=LOCAL) if e["mineral"] == "gallium"]
        assert [e["message"][:48] for e in changed] == [
            "Changed measure (version 2: title) on Gallium (a"]  # fmt: skip
        rules.add_rule(session=s, caller=LOCAL, key="ga-expiry-60", kind="measure_expiry",
                       mineral="Gallium", params={"days": 60})  # fmt: skip
        # the suspension of the US ban ends on 27 November 2026 (stated): 60 days before
        early = monitor.run(session=s, caller=LOCAL, as_of=dt.date(2026, 9, 27))
        assert [e for e in early if e["rule"] == "ga-expiry-60"] == []
        soon = monitor.run(session=s, caller=LOCAL, as_of=dt.date(2026, 9, 28))
        hit = [e for e in soon if e["rule"] == "ga-expiry-60"]
        assert [(e["date_label"], e["mineral"]) for e in hit] == [("2026-11-27", "gallium")]
        assert "derived" not in hit[0]["message"]
        # a derived expiry says so: the 2020 copper and aluminium standards end the day
        # before their successor starts
        rules.add_rule(session=s, caller=LOCAL, key="al-expiry-60", kind="measure_expiry",
                       mineral="aluminum", params={"days": 60})  # fmt: skip
        before = monitor.run(session=s, caller=LOCAL, as_of=dt.date(2024, 10, 1))
        hit = [e for e in before if e["rule"] == "al-expiry-60"]
        assert [e["date_label"] for e in hit] == ["2024-11-14"]
        assert "derived from the source, not stated" in hit[0]["message"]
        # synthetic trade: China's gallium exports 100 -> 40 (-60%), the US 100 -> 90
        for year, exporter, value in ((2021, "CHN", 100.0), (2022, "CHN", 40.0),
                                      (2021, "USA", 100.0), (2022, "USA", 90.0)):
            s.add(TradeFlow(year=year, hs6="811292", exporter=exporter, importer="JPN",
                            exporter_code=1, importer_code=2, value_kusd=value))
        rules.add_rule(session=s, caller=LOCAL, key="ga-trade-50", kind="trade_drop",
                       mineral="gallium", params={"threshold_pct": 50,
                                                  "hs_codes": ["811292"]})  # fmt: skip
        drops = [e for e in monitor.run(session=s, caller=LOCAL) if e["rule"] == "ga-trade-50"]
        assert [(e["date_label"], e["value"]) for e in drops] == [("2022", pytest.approx(-60))]
        assert drops[0]["message"].startswith("China's exports of Gallium (HS 811292) fell "
                                              "60.0% in 2022: 40 thousand USD against 100")


def test_concurrent_runs_record_each_event_once(engine):
    with transaction(engine) as s:
        _load(s)
        _import(s, SYN)
        s.execute(delete(AlertEvent))
    barrier = threading.Barrier(2)
    results: list[list[dict]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction(engine) as s:
                results.append(monitor.run(session=s, caller=LOCAL))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    prints = [e["fingerprint"] for r in results for e in r]
    assert len(prints) == len(set(prints)) == 2  # two events, each reported by one run
    with transaction(engine) as s:
        assert _count(s) == 2


class _Receiver:
    """A real HTTP server in a thread that answers 500 to the first ``fail`` POSTs."""

    def __init__(self, fail: int) -> None:
        self.bodies: list[dict] = []
        self.codes: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                code = 500 if len(outer.codes) < fail else 200
                outer.bodies.append(body)
                outer.codes.append(code)
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhook_retries_with_backoff_and_records_every_attempt(engine):
    with _Receiver(fail=2) as receiver, session_factory(engine)() as s:
        _load(s)
        _import(s, SYN)
        rules.add_rule(session=s, caller=LOCAL, key="jump-10", kind="price_change",
                       params={"series": "syn-jump", "threshold_pct": 10},
                       webhook_url=receiver.url)  # fmt: skip
        new = monitor.run(session=s, caller=LOCAL)  # queued with the events, not sent
        s.commit()
        assert receiver.codes == [] and "jump-10" in {e["rule"] for e in new}
        counts = hooks.deliver(s, commit=s.commit, base_delay=0.05)
        assert counts["delivered"] == 1 and counts["pending"] == counts["failed"] == 0
        assert receiver.codes == [500, 500, 200]
        event = receiver.bodies[-1]["event"]
        assert event["rule"] == "jump-10" and event["series"] == "syn-jump"
        assert [b["attempt"] for b in receiver.bodies] == [1, 2, 3]
        tries = s.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.attempt)).all()
        assert [(t.attempt, t.status_code) for t in tries] == [(1, 500), (2, 500), (3, 200)]
        assert tries[0].error == "HTTP 500 Internal Server Error" and tries[2].error is None
        gaps = [(b.attempted_at - a.attempted_at).total_seconds()
                for a, b in zip(tries, tries[1:], strict=False)]  # fmt: skip
        assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # 0.05 s, then twice as long
        # an unreachable receiver: attempts run out, the event and every attempt stay
        rules.add_rule(session=s, caller=LOCAL, key="flat-10", kind="price_change",
                       params={"series": "syn-flat", "threshold_pct": 10},
                       webhook_url="http://127.0.0.1:1/hook")  # fmt: skip
        monitor.run(session=s, caller=LOCAL)
        s.commit()
        counts = hooks.deliver(s, commit=s.commit, base_delay=0.01, max_attempts=3, timeout=1)
        assert counts["failed"] == 1
        failed = s.scalar(select(AlertDelivery).where(AlertDelivery.status == "failed"))
        assert failed.attempts == 3 and s.get(AlertEvent, failed.event_id) is not None
        errs = s.scalars(select(DeliveryAttempt.error).where(
            DeliveryAttempt.delivery_id == failed.id)).all()
        assert len(errs) == 3 and all(e and "refused" in e.lower() for e in errs)


def _orgs(s):
    a = auth.create_org(session=s, name="Alpha", groups=["MSP"])
    b = auth.create_org(session=s, name="Beta", groups=["MSP"])
    c = auth.create_org(session=s, name="Gamma", groups=[])

    def caller(org, role=Role.EDITOR):
        return Caller(org_id=org.id, org_name=org.name, role=role,
                      partner_org_ids=auth.partner_ids(session=s, org_id=org.id))

    return caller(a), caller(b), caller(c)


def test_hostile_partner_never_learns_of_private_alerts(engine):
    with _Receiver(fail=0) as beta_hook, _Receiver(fail=0) as gamma_hook, \
            session_factory(engine)() as s:  # fmt: skip
        _load(s)
        alpha, beta, gamma = _orgs(s)
        hooks.set_webhook(session=s, caller=beta, url=beta_hook.url)
        hooks.set_webhook(session=s, caller=gamma, url=gamma_hook.url)
        _import(s, SYN)  # public series: everyone may see their alerts
        private = SYN.replace("syn-", "secret-").replace(f"{SRC},,,,,\n", f"{SRC},,,,,owner\n")
        own = _import(s, private, caller=alpha).alerts
        assert {e["series"] for e in own} >= {"secret-jump"}
        rules.add_rule(session=s, caller=alpha, key="alpha-watch", kind="ratio",
                       sharing="partners", params={"a": "secret-jump", "b": "syn-flat",
                                                   "threshold": 1.05})  # fmt: skip
        monitor.run(session=s, caller=alpha)
        jump_id = s.scalar(select(PriceSeries.id).where(PriceSeries.key == "secret-jump"))
        s.execute(delete(AlertEvent).where(AlertEvent.subject == f"series:{jump_id}"))
        gamma_new = monitor.run(session=s, caller=gamma)  # a hostile run records it again
        assert s.scalar(select(func.count()).select_from(AlertEvent).where(
            AlertEvent.subject == f"series:{jump_id}")) == 1  # fmt: skip
        s.commit()
        with pytest.raises(InvalidRecord):  # Beta cannot aim a rule at Alpha's series
            rules.add_rule(session=s, caller=beta, key="spy", kind="price_change",
                           params={"series": "secret-jump"})  # fmt: skip
        hooks.deliver(s, commit=s.commit, base_delay=0.01)
        all_events = monitor.events(session=s, caller=LOCAL, limit=None)
        secret = [e for e in all_events if "secret" in f"{e['series']} {e['other_series']}"]
        assert len(secret) >= 3 and "secret" not in json.dumps(gamma_new)
        for outsider in (beta, gamma):
            seen = monitor.events(session=s, caller=outsider, limit=None)
            text = json.dumps(seen) + json.dumps(monitor.alerts_for(s, outsider, "gallium", 500))
            assert "secret" not in text and "alpha-watch" not in text
            assert len(seen) == len(all_events) - len(secret)
            listed = {r["key"]: r for r in rules.list_rules(session=s, caller=outsider)}
            if outsider is beta:  # a partner sees the shared rule, not the series it names
                assert listed["alpha-watch"]["params"]["a"] is None
            else:
                assert "alpha-watch" not in listed
        assert {e["series"] for e in monitor.events(session=s, caller=alpha, limit=None)} >= {
            "secret-jump", "syn-jump"}  # fmt: skip
        for receiver in (beta_hook, gamma_hook):
            assert receiver.bodies and "secret" not in json.dumps(receiver.bodies)
            assert "alpha-watch" not in json.dumps(receiver.bodies)
        secret_ids = select(PriceSeries.id).where(PriceSeries.key.like("secret-%"),
                                                  PriceSeries.owner_org_id == alpha.org_id)
        orgs = set(s.scalars(select(AlertDelivery.org_id).join(
            AlertEvent, AlertEvent.id == AlertDelivery.event_id).where(
            AlertEvent.series_id.in_(secret_ids))))  # fmt: skip
        assert orgs <= {alpha.org_id}
        # Beta's own series of the same key has alerts of its own, seen by Beta alone
        mine = _import(s, private, caller=beta).alerts
        assert {e["series"] for e in mine} == {"secret-jump", "secret-bound"}
        assert "secret" not in json.dumps(monitor.events(session=s, caller=gamma, limit=None))
