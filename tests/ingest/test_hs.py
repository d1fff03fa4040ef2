"""HS 2022 and HS 1992 nomenclatures."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from critmin.ingest.errors import IngestError
from critmin.ingest.hs import load_hs, parse_hs1992, parse_hs2022
from critmin.store.db import transaction
from critmin.store.tables import HSCode


def test_hs2022_codes():
    frame = parse_hs2022().set_index("code")
    assert len(frame) == 6_940
    assert frame.loc["811292", "description"].startswith("Gallium, germanium, indium")
    assert (frame.loc["811292", "parent"], frame.loc["811292", "level"]) == ("8112", 6)
    assert frame.loc["284180", "description"] == "Salts; tungstates (wolframates)"
    assert frame.loc["261100", "description"] == "Tungsten ores and concentrates"
    assert frame.loc["81", "section"] == "XV"
    assert int((frame.level == 6).sum()) == 5_613


def test_hs1992_codes():
    frame = parse_hs1992().set_index("code")
    assert len(frame) == 5_022
    assert frame.loc["261100", "description"] == "Tungsten ores and concentrates"
    assert frame.loc["811230", "parent"] == "8112"
    assert "811292" not in frame.index  # HS 2022 only
    assert "9999AA" in frame.index  # BACI's legacy code is kept


def test_bad_file(samples):
    with pytest.raises(IngestError) as err:
        parse_hs2022(samples / "hs_bad.csv")
    found = [(p.row, p.column, p.value) for p in err.value.problems]
    assert found == [(2, "level", "four"), (3, "hscode", "81129X")]


def test_store_both_revisions(engine):
    with transaction(engine) as s:
        assert load_hs(s) == {"HS2022": 6_940, "HS1992": 5_022}
    with transaction(engine) as s:
        assert load_hs(s) == {"HS2022": 0, "HS1992": 0}
        rows = s.execute(
            select(HSCode.revision, HSCode.description).where(HSCode.code == "261100")
        ).all()
    assert sorted(rows) == [
        ("HS1992", "Tungsten ores and concentrates"),
        ("HS2022", "Tungsten ores and concentrates"),
    ]
