"""Exposure over the store's supply-network records (``network_nodes``,
``network_edges``) on SQLite and PostgreSQL: each caller's network holds only the
records it may see, so the numbers differ by caller exactly as hand-worked and nothing
derived from a hidden record reaches a partner or an outsider."""

from __future__ import annotations

import pytest

from critmin.services import auth
from critmin.services import exposure as svc
from critmin.services.auth import ANONYMOUS, Caller, Role
from critmin.store.db import transaction
from critmin.store.tables import NetworkEdge, NetworkNode

# node key, country, kind, (owner, sharing)
NODES = [("mine-cn", "CHN", "source", None), ("mine-au", "AUS", "source", None),
         ("refiner-jp", "JPN", "intermediate", None),
         ("secret-cn", "CHN", "intermediate", ("Alpha", "owner")),
         ("chip", "USA", "end", None)]  # fmt: skip
# supplier, customer, share, (owner, sharing)
EDGES = [("mine-au", "refiner-jp", 0.6, None),
         ("mine-cn", "refiner-jp", 0.4, ("Alpha", "partners")),
         ("mine-cn", "secret-cn", None, ("Alpha", "owner")),
         ("secret-cn", "chip", 0.5, ("Alpha", "owner")),
         ("refiner-jp", "chip", 0.5, None)]  # fmt: skip


def _seed(s):
    orgs = {"Alpha": auth.create_org(session=s, name="Alpha", groups=["MSP"]),
            "Beta": auth.create_org(session=s, name="Beta", groups=["MSP"]),
            "Gamma": auth.create_org(session=s, name="Gamma", groups=[])}  # fmt: skip

    def shared(spec):
        if spec is None:
            return {"owner_org_id": None, "sharing": "public"}
        return {"owner_org_id": orgs[spec[0]].id, "sharing": spec[1]}

    rows = {}
    for key, country, kind, spec in NODES:
        rows[key] = NetworkNode(key=key, name=key, kind=kind, country=country, **shared(spec))
        s.add(rows[key])
    s.flush()
    for sup, cus, share, spec in EDGES:
        s.add(NetworkEdge(supplier_id=rows[sup].id, customer_id=rows[cus].id, share=share,
                          **shared(spec)))  # fmt: skip
    s.flush()
    return {name: Caller(org_id=o.id, org_name=o.name, role=Role.VIEWER,
                         partner_org_ids=auth.partner_ids(session=s, org_id=o.id))
            for name, o in orgs.items()}  # fmt: skip


@pytest.mark.parametrize(("who", "nodes", "edges", "exposed", "weighted"), [
    # Alpha sees all: refiner-jp 0.4 from China, chip 0.5 x 1 (secret-cn) + 0.5 x 0.4
    ("Alpha", 5, 5, 1, 0.7),
    # Beta (partner) sees the partners edge, not the owner-only refiner: chip 1 x 0.4
    ("Beta", 4, 3, 1, 0.4),
    # Gamma and anonymous see public records only: China is not upstream of the chip
    ("Gamma", 4, 2, 0, 0.0),
    ("anonymous", 4, 2, 0, 0.0),
])  # fmt: skip
def test_each_caller_sees_its_own_network(engine, who, nodes, edges, exposed, weighted):
    with transaction(engine) as s:
        callers = _seed(s)
        caller = ANONYMOUS if who == "anonymous" else callers[who]
        loaded = svc.load(network="db:records", session=s, caller=caller)
        assert (loaded.net.n_nodes, loaded.net.n_edges) == (nodes, edges)
        got = svc.country(loaded, countries=["CHN"], per_node=True)
        assert got["end_products"] == 1 and got["exposed"] == exposed
        assert got["weighted_mean"] == pytest.approx(weighted, abs=1e-12)
        ids = set(loaded.net.ids.tolist())
        assert ("secret-cn" in ids) is (who == "Alpha")
        page = svc.page(session=s, caller=caller, network="records", country_code="CHN")
        assert page["headline"]["exposed"] == exposed
        text = repr(page)
        assert ("secret-cn" in text) is (who == "Alpha" and exposed == 1)
        choke = svc.chokepoints(loaded, top=10)
        assert all(c["id"] != "secret-cn" for c in choke["chokepoints"]) or who == "Alpha"
