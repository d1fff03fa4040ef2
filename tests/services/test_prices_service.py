"""The price import and price reads on SQLite and PostgreSQL: atomic, idempotent, owned,
never widening sharing; and a hostile partner that never sees another organisation's
private series or measures, not even through a derived number."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from critmin.domain.fx import MissingRate
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.ingest.errors import IngestError
from critmin.ingest.prices_fx import FX_FILE, load_fx
from critmin.services import auth
from critmin.services import prices as svc
from critmin.services.auth import LOCAL, Caller, Role
from critmin.services.entities import NotFound
from critmin.services.present import window_label
from critmin.services.tracker import Forbidden
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import transaction
from critmin.store.tables import ChangeLog, ExportMeasure, PriceObservation, PriceSeries

HEADER = "series,market,mineral,form,currency,unit,date,value,source,qualifier,kind,window,relative_to,sharing\n"  # noqa: E501
GOOD = HEADER + (
    "ga-rot,Rotterdam,gallium,low_purity_gallium,USD,kg,2023-06-15,300,Test quotes,,,,,\n"
    "ga-rot,Rotterdam,gallium,,USD,kg,2023-09-15,450,Test quotes,,,,,\n"
    "ga-rot,Rotterdam,gallium,,USD,kg,2023-09,>43,Test quotes,,change_pct,2023-07/P1M,,\n"
    "ga-cn,China domestic,gallium,,CNY,kg,2023-06-15,1416.18,Test quotes,,,,,\n"
    "ga-cn,China domestic,gallium,,CNY,kg,2023-09-15,1699.416,Test quotes,,,,,\n"
    "ga-rot,Rotterdam,gallium,,USD,kg,2024,2,Test quotes,approximate,ratio_to_series,,ga-cn,\n"
)


def _load(s) -> None:
    sync_catalogue(s)
    ids = ensure_datasets(s)
    load_fx(s, FX_FILE, dataset_id=ids["fed-fx-cny-usd"])


def _import(s, text: str, caller=LOCAL, **kw):
    return svc.import_file(session=s, caller=caller, stream=io.BytesIO(text.encode()), fmt="csv",
                           file="prices.csv", **kw)  # fmt: skip


def _counts(s):
    return tuple(s.scalar(select(func.count()).select_from(m))
                 for m in (PriceSeries, PriceObservation, ChangeLog))  # fmt: skip


def test_import_creates_series_converts_and_is_idempotent(engine):
    with transaction(engine) as s:
        _load(s)
        report = _import(s, GOOD)
    assert sorted(report.series_created) == ["ga-cn", "ga-rot"]
    assert report.observations == {"added": 6, "updated": 0, "unchanged": 0}
    with transaction(engine) as s:
        rot = s.scalar(select(PriceSeries).where(PriceSeries.key == "ga-rot"))
        assert (rot.sharing, rot.owner_org_id, rot.form) == ("public", None, "low_purity_gallium")
        change = s.scalar(select(PriceObservation).where(PriceObservation.kind == "change_pct"))
        assert (change.qualifier, change.value, change.window, change.unit) == (
            "lower_bound", 43.0, "2023-07/P1M", "percent_change")  # fmt: skip
        # 1416.18 CNY/kg at the 2023 annual average 7.0809 CNY/USD = 200 USD/kg
        view = svc.series_view(session=s, caller=LOCAL, ref="ga-cn", currency="USD")
        assert [round(p["value"], 6) for p in view["levels"]] == [200.0, 240.0]
        assert view["levels"][0]["fx"]["rate"] == "USD/CNY 7.0809 (annual average 2023)"
        pair = svc.compare(session=s, caller=LOCAL, a="ga-rot", b="ga-cn")
        assert [(r["spread"], r["ratio"]) for r in pair["rows"]] == [
            (pytest.approx(100), pytest.approx(1.5)), (pytest.approx(210), pytest.approx(1.875))]
        before = _counts(s)
    with transaction(engine) as s:
        again = _import(s, GOOD)
        assert again.series_unchanged == ["ga-rot", "ga-cn"] and _counts(s) == before
        assert again.observations == {"added": 0, "updated": 0, "unchanged": 6}
    changed = GOOD.replace("2023-09-15,450,", "2023-09-15,460,")
    with transaction(engine) as s:
        third = _import(s, changed)
        assert third.series_updated == ["ga-rot"] and third.observations["updated"] == 1
        rot = s.scalar(select(PriceSeries).where(PriceSeries.key == "ga-rot"))
        assert rot.version == 2  # the API's ETags move on


def test_a_bad_file_changes_nothing_and_names_row_column_value(engine):
    with transaction(engine) as s:
        _load(s)
        _import(s, GOOD)
        before = _counts(s)
    bad = GOOD + (
        "ga-rot,Rotterdam,gallium,,EUR,kg,2024-01-02,1,Test,,,,,\n"  # row 8: currency
        "ga-new,Rotterdam,gallium,,USD,kg,2024-13,1,Test,,,,,\n"  # row 9: date
        "ga-new,Rotterdam,gallium,,USD,kg,2024-02,2,Test,,ratio_to_series,,nowhere,\n"  # 10
        "ga-cn,China domestic,gallium,,USD,kg,2024-03,3,Test,,,,,\n"  # 11: another currency
    )
    with pytest.raises(IngestError) as err, transaction(engine) as s:
        _import(s, bad)
    found = {(p.row, p.column): (p.value, p.expected) for p in err.value.problems}
    assert found[8, "currency"][0] == "EUR" and "USD, CNY" in found[8, "currency"][1]
    assert found[9, "date"][0] == "2024-13"
    assert "'CNY/kg', as row 5 says" in found[11, "currency"][1]
    assert err.value.problems[0].file == "prices.csv"
    with transaction(engine) as s:
        assert _counts(s) == before
    with pytest.raises(IngestError) as err, transaction(engine) as s:
        _import(s, GOOD.replace("series,,ga-cn,", "series,,ga-none,"))  # names no series
    assert [(p.row, p.column, p.value) for p in err.value.problems] == [
        (7, "relative_to", "ga-none")]  # fmt: skip
    with pytest.raises(IngestError, match="already on row|row 2 has the same"), \
            transaction(engine) as s:  # fmt: skip
        _import(s, GOOD + GOOD.splitlines()[1] + "\n")


def _orgs(s):
    a = auth.create_org(session=s, name="Alpha", groups=["MSP"])
    b = auth.create_org(session=s, name="Beta", groups=["MSP"])
    c = auth.create_org(session=s, name="Gamma", groups=[])
    def caller(org, role=Role.EDITOR):
        return Caller(org_id=org.id, org_name=org.name, role=role,
                      partner_org_ids=auth.partner_ids(session=s, org_id=org.id))
    return caller(a), caller(b), caller(c)


def test_hostile_partner_sees_nothing_private_not_even_derived(engine):
    with transaction(engine) as s:
        _load(s)
        load_curated(s)  # the bundled public measures on gallium
        alpha, beta, gamma = _orgs(s)
        _import(s, GOOD.replace("ga-", "al-").replace(",al-cn,", ",al-cn,owner")
                .replace("Test quotes,,,,,\n", "Test quotes,,,,,owner\n"), caller=alpha)
        s.add(ExportMeasure(key="secret-ga-ban", title="Alpha's private assessment",
                            imposing_country="CHN", minerals=["gallium"], forms=[],
                            target_countries=[], measure_type="ban", effective=None,
                            announced=__import__("datetime").date(2023, 6, 20),
                            date_precision="day", sharing="owner", owner_org_id=alpha.org_id,
                            sources=[], section_sharing={}, version=1))  # fmt: skip
        gamma_csv = GOOD.replace("ga-", "gm-")
        _import(s, gamma_csv, caller=gamma)  # Gamma's own series, owner-only by default
    with transaction(engine) as s:
        # the owner sees its series, its measure and the ratio's other series
        own = svc.series_view(session=s, caller=alpha, ref="al-rot")
        assert own["sharing"] == "owner"
        assert [o["relative_to"] for o in own["stated"] if o["kind"] == "ratio_to_series"] == [
            "al-cn"]  # fmt: skip
        keys = [m["key"] for m in svc.visible_measures(session=s, caller=alpha, mineral="gallium")]
        assert "secret-ga-ban" in keys
        # a partner (same group) may not see owner-only series: not found, like a missing one
        for ref in ("al-rot", "al-cn"):
            with pytest.raises(NotFound) as err:
                svc.series_view(session=s, caller=beta, ref=ref)
            assert str(err.value) == f"no such price series {ref!r}"
        with pytest.raises(NotFound):
            svc.compare(session=s, caller=beta, a="gm-rot", b="al-cn")
        with pytest.raises(NotFound):
            svc.events(session=s, caller=gamma, ref="al-rot")
        listed = [r["key"] for r in svc.series_choices(session=s, caller=beta)]
        assert listed and not [k for k in listed if k.startswith(("al-", "gm-"))]
        # Gamma's event study uses only measures Gamma may see: no trace of Alpha's
        study = svc.events(session=s, caller=gamma, ref="gm-rot", tolerance_days=120)
        assert "secret-ga-ban" not in [m["key"] for m in study["measures"]]
        assert "secret-ga-ban" not in {r["measure"] for r in study["rows"]}
        assert {r["measure"] for r in study["rows"]} == {m["key"] for m in study["measures"]}
        # an import by Beta cannot reach into Alpha's series: same key, Beta's own record
        report = _import(s, GOOD.replace("ga-", "al-"), caller=beta)
        assert sorted(report.series_created) == ["al-cn", "al-rot"]
        rows = s.scalars(select(PriceSeries).where(PriceSeries.key == "al-rot")).all()
        assert sorted((r.owner_org_id, r.sharing) for r in rows) == sorted(
            [(alpha.org_id, "owner"), (beta.org_id, "owner")])  # fmt: skip


def test_import_never_widens_sharing_and_needs_an_editor(engine):
    with transaction(engine) as s:
        _load(s)
        alpha, *_ = _orgs(s)
        _import(s, GOOD, caller=alpha)
        report = _import(s, GOOD.replace("Test quotes,,,,,\n", "Test quotes,,,,,public\n"),
                         caller=alpha)  # fmt: skip
        assert {k["key"] for k in report.kept_sharing} == {"ga-rot", "ga-cn"}
        assert {r.sharing for r in s.scalars(select(PriceSeries))} == {"owner"}
        viewer = Caller(org_id=alpha.org_id, org_name="Alpha", role=Role.VIEWER)
        with pytest.raises(Forbidden):
            _import(s, GOOD, caller=viewer)
        with pytest.raises(Forbidden):
            _import(s, GOOD, caller=auth.ANONYMOUS)
    with pytest.raises(IngestError, match="public reference data"), transaction(engine) as s:
        _import(s, GOOD.replace("Test quotes,,,,,\n", "Test quotes,,,,,owner\n"))


def test_a_conversion_without_a_rate_is_refused(engine):
    with transaction(engine) as s:
        _load(s)
        _import(s, HEADER + "ga-cn,China,gallium,,CNY,kg,2016-03-02,1000,Test,,,,,\n")
        with pytest.raises(MissingRate, match="no USD/CNY exchange rate for 2016-03-02"):
            svc.series_view(session=s, caller=LOCAL, ref="ga-cn", currency="USD")
        own = svc.series_view(session=s, caller=LOCAL, ref="ga-cn")  # its own unit: no rate
        assert own["levels"][0]["value"] == 1000 and own["levels"][0]["fx"] is None


@pytest.mark.parametrize(("window", "words"), [
    ("2023-07/P1M", "1 month from 2023-07"), ("2024-01-15/P30D", "30 days from 2024-01-15"),
    ("2023-07/2025-05", "2023-07 to 2025-05"), ("early 2024", "early 2024"),
    ("P30D", "30 days"), ("P1Y", "1 year"),
])  # fmt: skip
def test_windows_are_told_in_words(window, words):
    assert window_label(window) == words


def test_a_ratio_to_a_hidden_series_does_not_name_it(engine):
    with transaction(engine) as s:
        _load(s)
        alpha, beta, _ = _orgs(s)
        _import(s, HEADER + "al-secret,China,gallium,,CNY,kg,2024-01,10,T,,,,,owner\n"
                "al-pub,Rotterdam,gallium,,USD,kg,2024-01,2,T,approximate,ratio_to_series,,"
                "al-secret,public\n", caller=alpha)  # fmt: skip
    with transaction(engine) as s:
        seen = svc.series_view(session=s, caller=beta, ref="al-pub")["stated"][0]
        assert seen["relative_to"] is None and seen["label"] == "≈ 2× another series"
        own = svc.series_view(session=s, caller=alpha, ref="al-pub")["stated"][0]
        assert own["relative_to"] == "al-secret" and own["label"] == "≈ 2× China"
