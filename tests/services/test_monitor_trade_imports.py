"""Trade-drop alert rules on an organisation's own trade import (SQLite and PostgreSQL):
monthly customs data counts complete years only, and a hostile partner's rule on a
private import finds nothing and learns nothing."""

from __future__ import annotations

import io

import pytest

from critmin.ingest.datasets import ensure_datasets
from critmin.services import auth, monitor, trade
from critmin.services import monitor_rules as rules
from critmin.services.auth import Caller, Role
from critmin.services.tracker import InvalidRecord
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import transaction

# Synthetic customs declarations: China's gallium exports to the United States,
# 100,000 USD a month in 2023, 30,000 a month in 2024 (-70 %), one low month of 2025.
CUSTOMS = "reporter,partner,flow,hs_code,month,value,quantity\n" + "".join(
    f"CHN,USA,export,811292,{year}-{month:02d},{value},100\n"
    for year, value, months in ((2023, 100000, 12), (2024, 30000, 12), (2025, 1000, 1))
    for month in range(1, months + 1)
)


def _callers(s):
    alpha = auth.create_org(session=s, name="Alpha", groups=["MSP"])
    beta = auth.create_org(session=s, name="Beta", groups=["MSP"])
    return [Caller(org_id=o.id, org_name=o.name, role=Role.EDITOR,
                   partner_org_ids=auth.partner_ids(session=s, org_id=o.id))
            for o in (alpha, beta)]  # fmt: skip


def test_a_drop_in_an_imported_customs_series_alerts_its_owner_only(engine):
    with transaction(engine) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        alpha, beta = _callers(s)
        summary = trade.import_file(session=s, caller=alpha, source=io.BytesIO(CUSTOMS.encode()),
                                    file="customs.csv", layout="customs")  # fmt: skip
        assert summary["sharing"] == "owner" and isinstance(summary["alerts"], list)
        params = {"threshold_pct": 50, "import_id": summary["import_id"],
                  "hs_codes": ["811292"]}  # fmt: skip
        rules.add_rule(session=s, caller=alpha, key="own-drop", kind="trade_drop",
                       mineral="gallium", params=params)  # fmt: skip
        rules.add_rule(session=s, caller=beta, key="peek", kind="trade_drop",
                       mineral="gallium", params=params)  # fmt: skip
    with transaction(engine) as s:
        found = monitor.run(session=s, caller=alpha)
        drops = [e for e in found if e["rule"] == "own-drop"]
        # 1,200 thousand USD in 2023 -> 360 in 2024; 2025 has one month, so it is not a year
        assert [(e["date_label"], e["value"]) for e in drops] == [("2024", pytest.approx(-70))]
        assert "fell 70.0% in 2024: 360 thousand USD against 1,200" in drops[0]["message"]
        assert [e for e in monitor.run(session=s, caller=beta) if e["rule"] == "peek"] == []
        seen = monitor.events(session=s, caller=beta, mineral="gallium", limit=None)
        assert not [e for e in seen if "360 thousand" in e["message"]]
        with pytest.raises(InvalidRecord, match="params.import_id"):
            rules.add_rule(session=s, caller=alpha, key="bad", kind="trade_drop",
                           mineral="gallium", params={"import_id": "first"})  # fmt: skip
