"""Measure status at the precision of its dates, and the chart specifications built from
the dashboard data (dates at their precision, whole labels, titles clear of the toolbar)."""

from __future__ import annotations

import datetime as dt

import pytest

from critmin.services.controls import measure_status
from critmin.services.present import date_period, format_date
from critmin.web import charts

NOV_2026 = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    "today,status,words",
    [
        (dt.date(2026, 10, 15), "in_force", "expires 2026-11 (derived from the source"),
        (dt.date(2026, 11, 28), "ending", "ends 2026-11 (derived"),
        (dt.date(2026, 12, 1), "expired", "expired 2026-11 (derived from the source, not stated)"),
    ],
)  # fmt: skip
def test_a_derived_month_precision_expiry(today, status, words):
    found = measure_status(effective=dt.date(2025, 11, 1), announced=None, expiry=NOV_2026,
                           precision="month", expiry_derived=True, today=today)  # fmt: skip
    assert found[0] == status and words in found[1]


def test_other_statuses():
    kw = {"precision": "day", "expiry_derived": False}
    assert measure_status(effective=None, announced=None, expiry=None, today=NOV_2026, **kw)[0] == (
        "undated"
    )
    upcoming = measure_status(effective=dt.date(2027, 1, 1), announced=dt.date(2026, 6, 1),
                              expiry=None, today=NOV_2026, **kw)  # fmt: skip
    assert upcoming == ("upcoming", "in force from 2027-01-01")
    stated = measure_status(effective=dt.date(2025, 1, 1), announced=None,
                            expiry=dt.date(2026, 1, 1), today=NOV_2026, **kw)  # fmt: skip
    assert stated == ("expired", "expired 2026-01-01")


def test_dates_at_their_precision():
    assert format_date(dt.date(2024, 12, 31), "year") == "end of 2024"
    assert format_date(dt.date(2025, 1, 1), "year") == "2025"
    assert format_date(dt.date(2023, 8, 1), "month") == "2023-08"
    assert date_period(dt.date(2024, 2, 1), "month") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    year = date_period(dt.date(2024, 12, 31), "year")
    assert year == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def _measure(key: str, title: str, **kw) -> dict:
    base = {"key": key, "title": title, "measure_type": "ban", "measure_type_label": "Ban",
            "announced": None, "effective": None, "expiry": None, "expiry_derived": False,
            "date_precision": "day", "status": "in_force", "status_label": "in force",
            "announced_label": None, "effective_label": None, "expiry_label": None}  # fmt: skip
    base.update(kw)
    dates = [base[f] for f in ("announced", "effective", "expiry") if base[f]]
    base["start"] = min(dates) if dates else None
    return base


def test_timeline_keeps_labels_whole_and_draws_vague_dates_as_periods():
    long_title = ("China export control on gallium extraction technology (ion exchange / resin "
                  "from alumina mother liquor)")  # fmt: skip
    measures = [
        _measure("exact", long_title, effective="2025-01-02", effective_label="2025-01-02"),
        _measure("month", "Licensing by month", date_precision="month", effective="2023-08-01",
                 effective_label="2023-08"),
        _measure("gone", "Suspension", date_precision="month", effective="2025-11-01",
                 effective_label="2025-11", expiry="2026-11-01", expiry_label="2026-11",
                 expiry_derived=True, status="expired", status_label="expired 2026-11"),
        _measure("undated", "No dates at all"),
    ]  # fmt: skip
    fig = charts.measures_figure(measures, dt.date(2026, 12, 15))
    labels = fig["layout"]["yaxis"]["categoryarray"]
    assert len(labels) == 3  # the undated one cannot be placed (the page lists it)
    plain = [lab.replace("<br>", " ") for lab in labels]
    assert plain[0] == long_title and "…" not in "".join(labels)
    assert "expired (derived expiry)" in plain[2]
    traces = {t["name"]: t for t in fig["data"]}
    exact = traces["effective"]
    assert exact["x"] == ["2025-01-02"]  # day-precise dates are markers
    band = traces["effective (month or year only)"]
    assert band["x"][:3] == ["2023-08-01", "2023-08-31", None]  # the whole month, not a day
    assert "known to the month" in band["text"][0]
    expiry_band = traces["expiry (month or year only)"]
    assert expiry_band["x"][:2] == ["2026-11-01", "2026-11-30"]
    assert "(derived)" in expiry_band["text"][0]
    bars = traces["Ban"]
    assert bars["x"][6:8] == ["2025-11-01", "2026-11-30"]  # ends at its expiry, not today


def test_chart_titles_sit_below_the_toolbar_strip():
    fig = charts.pipeline_figure({"by_year": [{"year": 2027, "status": "announced",
                                               "capacity_tpa": 5, "projects": 1}],
                                  "by_status": [{"status": "announced"}]})  # fmt: skip
    title, margin = fig["layout"]["title"], fig["layout"]["margin"]
    assert title["yref"] == "container" and title["yanchor"] == "top"
    assert title["pad"]["t"] >= 30 and margin["t"] >= title["pad"]["t"] + 20
    assert fig["data"][0]["name"] == "Announced"


def test_concentration_chart_marks_upper_bounds_and_the_rest():
    conc = {"measure": "reserves", "year": 2025, "unit": "t", "world_lower_bound": True,
            "rows": [{"country": "CHN", "name": "China", "share": 0.53, "value": 2.5e6,
                      "bound": "upper"},
                     {"country": None, "name": "Other countries", "share": 0.2, "value": 9.5e5,
                      "bound": "upper"},
                     {"country": None, "name": "Unattributed (world total minus the listed rows)",
                      "share": 0.27, "value": 1.0e6, "bound": "lower"}]}  # fmt: skip
    fig = charts.concentration_figure(conc)
    bar = fig["data"][0]
    assert bar["y"] == ["China", "Other countries", "Unattributed"]
    assert bar["text"][0] == "≤ 53.0 %" and bar["text"][2] == "≥ 27.0 %"
    assert "upper bounds" in fig["layout"]["title"]["text"].replace("<br>", " ")
