"""Stored supply networks on SQLite and PostgreSQL: atomic imports, names unique per
owner only, sharing never widened, and a hostile partner that sees nothing private."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from critmin.ingest.errors import IngestError
from critmin.services import auth
from critmin.services import exposure as service
from critmin.services import exposure_store as store
from critmin.services.auth import ANONYMOUS, LOCAL, Caller, Role
from critmin.services.entities import NotFound
from critmin.services.tracker import Conflict, Forbidden, InvalidRecord
from critmin.store.db import transaction
from critmin.store.network_tables import SupplyNetwork, SupplyNetworkData

SAMPLES = Path(__file__).parents[1] / "ingest" / "samples"
TOY = SAMPLES / "network_toy"


def _caller(session, name: str, role: Role = Role.EDITOR) -> Caller:
    org = auth.get_org(session=session, name=name)
    return Caller(org_id=org.id, org_name=name, role=role,
                  partner_org_ids=auth.partner_ids(session=session, org_id=org.id))


@pytest.fixture
def orgs(engine):
    with transaction(engine) as s:
        auth.create_org(session=s, name="Owner", groups=["MSP"])
        auth.create_org(session=s, name="Partner", groups=["MSP"])
        auth.create_org(session=s, name="Outsider", groups=[])
    return engine


def _files(folder: Path = TOY) -> dict:
    return {"nodes": (folder / "nodes.csv").read_bytes(),
            "edges": (folder / "edges.csv").read_bytes()}


def test_import_store_and_reload_as_the_same_network(orgs):
    with transaction(orgs) as s:
        owner = _caller(s, "Owner")
        saved = store.import_files(session=s, caller=owner, name="gallium chain",
                                   description="toy", **_files())
    assert saved["sharing"] == "owner" and saved["nodes"] == 8 and saved["edges"] == 8
    assert saved["owner"] == "Owner" and saved["synthetic"] is False
    with transaction(orgs) as s:
        loaded = store.load_stored(session=s, caller=_caller(s, "Owner"), ref="gallium chain")
        direct = service.load(network=TOY)
        assert loaded.net.ids.tolist() == direct.net.ids.tolist()
        np.testing.assert_array_equal(loaded.net.share, direct.net.share)
        assert loaded.net.product.tolist() == direct.net.product.tolist()
        via_db = service.load(network=f"db:{saved['id']}", session=s, caller=LOCAL)
        assert service.country(via_db, countries=["CHN"])["weighted_mean"] == pytest.approx(0.6)


def test_a_bad_file_stores_nothing(orgs):
    with transaction(orgs) as s:
        owner = _caller(s, "Owner")
        with pytest.raises(IngestError) as exc:
            store.import_files(session=s, caller=owner, name="bad",
                               files={"nodes": "n.csv", "edges": "e.csv"},
                               **_files(SAMPLES / "network_bad"))
        assert {p.file for p in exc.value.problems} == {"n.csv", "e.csv"}
        assert s.scalar(select(func.count()).select_from(SupplyNetwork)) == 0
        assert s.scalar(select(func.count()).select_from(SupplyNetworkData)) == 0


def test_hostile_partner_sees_nothing_private_and_may_reuse_the_name(orgs):
    with transaction(orgs) as s:
        private = store.import_files(session=s, caller=_caller(s, "Owner"), name="secret",
                                     **_files())
        # the partner's network of the same name: neither an error nor a leak
        theirs = store.import_files(session=s, caller=_caller(s, "Partner"), name="secret",
                                    **_files(), sharing="partners")
    with transaction(orgs) as s:
        partner, outsider = _caller(s, "Partner"), _caller(s, "Outsider")
        assert [n["id"] for n in store.list_networks(session=s, caller=partner)] == [theirs["id"]]
        assert store.list_networks(session=s, caller=outsider) == []
        assert store.list_networks(session=s, caller=ANONYMOUS) == []
        for who in (partner, outsider, ANONYMOUS):
            with pytest.raises(NotFound) as hidden:
                store.load_stored(session=s, caller=who, ref=private["id"])
            with pytest.raises(NotFound) as missing:
                store.load_stored(session=s, caller=who, ref=999_999)
            assert str(hidden.value) == f"no supply network '{private['id']}'"
            assert str(missing.value) == "no supply network '999999'"
        # by name, the partner gets its own network; the owner its own
        assert store.find(session=s, caller=partner, ref="secret").id == theirs["id"]
        owner = _caller(s, "Owner")
        assert store.find(session=s, caller=owner, ref="secret").id == private["id"]
        with pytest.raises(NotFound):
            store.find(session=s, caller=outsider, ref="secret")
        # the local operator sees both and is told to pick an id
        with pytest.raises(Conflict, match="give the id"):
            store.find(session=s, caller=LOCAL, ref="secret")


def test_names_clash_per_owner_and_replacing_never_widens_sharing(orgs):
    with transaction(orgs) as s:
        owner = _caller(s, "Owner")
        first = store.import_files(session=s, caller=owner, name="chain", **_files())
        with pytest.raises(Conflict, match="already exists"):
            store.import_files(session=s, caller=owner, name="chain", **_files())
        again = store.import_files(session=s, caller=owner, name="chain", sharing="public",
                                   replace=True,
                                   bom=(SAMPLES / "bom_toy" / "bom.csv").read_bytes())
        assert again["id"] == first["id"] and again["sharing"] == "owner"
        assert again["nodes"] == 8 and again["layout"] == "bill of materials"
        narrowed = store.import_files(session=s, caller=owner, name="pub", sharing="public",
                                      **_files())
        assert narrowed["sharing"] == "public"
        kept = store.import_files(session=s, caller=owner, name="pub", sharing="owner",
                                  replace=True, **_files())
        assert kept["sharing"] == "owner"  # narrowing is allowed


def test_who_may_import(orgs):
    with transaction(orgs) as s:
        with pytest.raises(Forbidden):
            store.import_files(session=s, caller=ANONYMOUS, name="x", **_files())
        with pytest.raises(Forbidden):
            store.import_files(session=s, caller=_caller(s, "Owner", Role.VIEWER), name="x",
                               **_files())
        with pytest.raises(InvalidRecord) as exc:
            store.import_files(session=s, caller=_caller(s, "Owner"), name="../etc", **_files())
        assert exc.value.errors[0]["field"] == "name"
        with pytest.raises(InvalidRecord):
            store.import_files(session=s, caller=LOCAL, name="ref", sharing="owner",
                               **_files())
        ref = store.import_path(session=s, caller=LOCAL, path=TOY, name="reference")
        assert ref["sharing"] == "public" and ref["owner"] == "reference data"
        assert [n["name"] for n in store.list_networks(session=s, caller=ANONYMOUS)] == [
            "reference"]


def test_a_synthetic_network_stays_labelled_in_the_store(orgs, tmp_path):
    service.generate(n_nodes=200, n_edges=600, seed=1, folder=tmp_path)
    with transaction(orgs) as s:
        saved = store.import_path(session=s, caller=LOCAL, path=tmp_path, name="synth")
        assert saved["synthetic"] is True
        loaded = service.load(network="db:synth", session=s, caller=LOCAL)
        assert loaded.synthetic
        assert service.chokepoints(loaded, top=3)["synthetic"] is True
