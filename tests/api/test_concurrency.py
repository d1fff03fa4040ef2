"""Optimistic concurrency over real HTTP: no lost updates, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import httpx
import pytest

import live_http

EDITORS = 20
PROJECT = {
    "key": "race-project",
    "name": "Race project",
    "mineral": "tungsten",
    "stage": "extraction",
    "country": "AUS",
    "status": "construction",
}


@pytest.fixture(scope="module")
def server(api_db_url, live, make_orgs):
    tokens = make_orgs(api_db_url, {"A": ([], "editor")})
    with live(api_db_url) as base:
        yield base, {"Authorization": f"Bearer {tokens['A']}"}


def test_twenty_editors_one_etag_exactly_one_wins(server):
    base, auth = server
    created = live_http.post(f"{base}/api/v1/projects", json=PROJECT, headers=auth)
    assert created.status_code == 201
    pid, tag = created.json()["id"], created.headers["etag"]
    barrier = threading.Barrier(EDITORS)
    results: dict[int, httpx.Response] = {}

    def edit(i: int) -> None:
        with live_http.client(timeout=60) as client:
            barrier.wait()
            results[i] = client.patch(
                f"{base}/api/v1/projects/{pid}",
                json={"notes": f"edit by editor {i}", "capacity_tpa": 100 + i},
                headers={**auth, "If-Match": tag},
            )

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(EDITORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200] + [412] * (EDITORS - 1), statuses
    (winner,) = [i for i, r in results.items() if r.status_code == 200]
    assert results[winner].json()["notes"] == f"edit by editor {winner}"
    assert results[winner].headers["etag"] == f'"p{pid}-v2"'
    for i, r in results.items():
        if i != winner:
            assert "no longer at version 1" in r.json()["detail"]
    now = live_http.get(f"{base}/api/v1/projects/{pid}", headers=auth)
    assert now.json()["notes"] == f"edit by editor {winner}"
    assert now.json()["capacity_tpa"] == 100 + winner and now.json()["version"] == 2
    history = live_http.get(f"{base}/api/v1/projects/{pid}/history", headers=auth).json()
    assert [e["action"] for e in history["data"]] == ["create", "update"]
    assert history["data"][1]["changes"] == {
        "notes": [None, f"edit by editor {winner}"],
        "capacity_tpa": [None, 100 + winner],
    }


def test_read_modify_write_keeps_both_changes(server):
    """Two editors read the same version; the second gets 412, re-reads, and both survive."""
    base, auth = server
    body = PROJECT | {"key": "rmw-project", "name": "RMW"}
    r = live_http.post(f"{base}/api/v1/projects", json=body, headers=auth)
    pid, tag = r.json()["id"], r.headers["etag"]
    url = f"{base}/api/v1/projects/{pid}"
    first = live_http.patch(url, json={"site": "Pilbara"}, headers={**auth, "If-Match": tag})
    assert first.status_code == 200
    second = live_http.patch(url, json={"operator": "Op Ltd"}, headers={**auth, "If-Match": tag})
    assert second.status_code == 412
    fresh = live_http.get(url, headers=auth)
    retry = live_http.patch(
        url, json={"operator": "Op Ltd"}, headers={**auth, "If-Match": fresh.headers["etag"]}
    )
    assert retry.status_code == 200
    final = live_http.get(url, headers=auth).json()
    assert (final["site"], final["operator"], final["version"]) == ("Pilbara", "Op Ltd", 3)


def test_sqlite_write_waits_for_another_writer_instead_of_failing(tmp_path, make_orgs, live):
    """A write that meets another writer's transaction (such as the final phase of a bulk
    import) waits for it, rather than answering 503 after a few seconds."""
    import time

    from critmin.store.db import make_engine
    from critmin.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    upgrade(url)
    token = make_orgs(url, {"A": ([], "editor")})["A"]
    held = 6.0
    other = make_engine(url)
    locked = threading.Event()

    def writer() -> None:
        with other.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(held)
            conn.exec_driver_sql("COMMIT")

    body = {"key": "waits", "name": "Waits", "mineral": "gallium", "stage": "refining",
            "country": "JPN", "status": "announced"}  # fmt: skip
    with live(url) as base:
        thread = threading.Thread(target=writer)
        thread.start()
        locked.wait(5)
        started = time.monotonic()
        r = live_http.post(f"{base}/api/v1/projects", json=body,
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip
        waited = time.monotonic() - started
        thread.join()
    other.dispose()
    assert r.status_code == 201, r.text
    assert waited > held - 1.5
