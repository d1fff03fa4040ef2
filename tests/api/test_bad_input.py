"""Bad input of every kind is a 4xx with a JSON body; no request produces a 5xx."""

from __future__ import annotations

import pytest

import live_http

GOOD = {
    "key": "fuzz-target",
    "name": "Fuzz target",
    "mineral": "gallium",
    "stage": "refining",
    "country": "JPN",
    "status": "announced",
}
NUL = "a\x00b"
HUGE = str(2**70)


@pytest.fixture(scope="module")
def target(api_db_url, live, make_orgs):
    tokens = make_orgs(api_db_url, {"A": ([], "admin")})
    with live(api_db_url) as base:
        auth = {"Authorization": f"Bearer {tokens['A']}"}
        with live_http.client(base_url=f"{base}/api/v1", headers=auth, timeout=30) as client:
            r = client.post("/projects", json=GOOD)
            yield client, r.json()["id"], r.headers["etag"]


def _cases(pid: int, tag: str) -> list[tuple[str, str, dict]]:
    """(method, path, httpx kwargs) that must each get a 4xx."""
    m = {"If-Match": tag}
    js = {"Content-Type": "application/json"}
    csv = {"Content-Type": "text/csv"}
    multi = {"Content-Type": "multipart/form-data; boundary=x"}
    inf = (
        '{"key": "k-inf", "name": "x", "mineral": "gallium", "stage": "refining", '
        '"country": "JPN", "status": "announced", "capacity_tpa": 1e400}'
    )
    return [
        ("GET", "/projects", {"params": {"q": NUL}}),
        ("GET", "/projects", {"params": {"mineral": NUL}}),
        ("GET", "/projects", {"params": {"mineral": "x" * 41}}),
        ("GET", "/projects", {"params": {"limit": HUGE}}),
        ("GET", "/projects", {"params": {"offset": HUGE}}),
        ("GET", "/projects", {"params": {"limit": "many"}}),
        ("GET", "/projects", {"params": {"sort": "-"}}),
        ("GET", "/projects", {"params": {"sort": "__class__"}}),
        ("GET", f"/projects/{HUGE}", {}),
        ("GET", "/projects/2147483648", {}),
        ("GET", "/projects/-1", {}),
        ("GET", "/projects/0/history", {}),
        ("GET", "/projects/export", {"params": {"format": "xlsx"}}),
        ("GET", "/projects/export", {"params": {"q": NUL}}),
        ("GET", "/outlook", {"params": {"mineral": "gallium", "from": 2030, "to": 2020}}),
        ("GET", "/outlook", {"params": {"mineral": "mithril", "from": 2026, "to": 2030}}),
        ("GET", "/outlook", {"params": {"mineral": "gallium", "from": 2026, "to": 2030}}),
        ("GET", "/outlook", {"params": {"mineral": "gallium", "from": 2026, "to": 2030,
                                        "draws": 10**9}}),
        ("GET", "/outlook", {"params": {"mineral": NUL, "from": 2026, "to": 2030}}),
        ("GET", "/stats/share", {"params": {"mineral": "gallium"}}),
        ("GET", "/stats/share", {"params": {"mineral": "gallium", "measure": "DROP TABLE"}}),
        ("GET", "/stats/share", {"params": {}}),
        ("POST", "/projects", {"content": "{not json", "headers": js}),
        ("POST", "/projects", {"json": [GOOD]}),
        ("POST", "/projects", {"json": "text"}),
        ("POST", "/projects", {"json": None}),
        ("POST", "/projects", {"json": GOOD | {"name": NUL}}),
        ("POST", "/projects", {"json": GOOD | {"key": "k-nul", "notes": NUL}}),
        ("POST", "/projects", {"content": inf, "headers": js}),
        ("POST", "/projects", {"content": inf.replace("1e400", "NaN"), "headers": js}),
        ("PATCH", f"/projects/{pid}", {"content": '{"capacity_tpa": Infinity}', "headers": js | m}),
        ("POST", "/projects/import", {"content": '{"projects": [' + inf + "]}", "headers": js}),
        ("POST", "/projects/import", {"content": "key,name,mineral,stage,country,status,"
                                      "capacity_tpa\nk,n,gallium,refining,JPN,announced,inf\n",
                                      "headers": csv}),
        ("POST", "/projects", {"json": GOOD | {"key": "k-ss", "section_sharing": "owner"}}),
        ("POST", "/projects", {"json": GOOD | {"key": "k-ss2", "section_sharing": [1]}}),
        ("POST", "/projects", {"json": GOOD | {"key": "k-fin", "financing": [1, 2]}}),
        ("POST", "/projects", {"json": GOOD | {"key": "k-hist", "history": [{"date": "soon"}]}}),
        ("POST", "/projects", {"json": GOOD | {"key": "k-year", "start_year": 10**12}}),
        ("POST", "/projects", {"json": GOOD | {"key": "k-form", "form": "tungsten_apt"}}),
        ("POST", "/projects", {"json": GOOD}),  # duplicate key: 409
        ("POST", "/projects", {"content": b"\xff\xfe\x00", "headers": js}),
        ("PATCH", f"/projects/{pid}", {"json": {"financing": None}, "headers": m}),
        ("PATCH", f"/projects/{pid}", {"json": {"name": NUL}, "headers": m}),
        ("PATCH", f"/projects/{pid}", {"json": {"sharing": "world"}, "headers": m}),
        ("PATCH", f"/projects/{pid}", {"json": {"id": "x"}, "headers": m}),
        ("PATCH", f"/projects/{pid}", {"json": {}, "headers": {"If-Match": '"p1-v' + HUGE + '"'}}),
        ("PATCH", f"/projects/{pid}", {"json": {}, "headers": {"If-Match": '"p1-v1", "p1-v2"'}}),
        ("PATCH", f"/projects/{HUGE}", {"json": {}, "headers": m}),
        ("PATCH", "/projects/424242", {"json": {}, "headers": m}),
        ("DELETE", "/projects/424242", {"headers": m}),
        ("POST", f"/projects/{pid}/restore", {"headers": m}),
        ("POST", "/projects/import", {"json": {"projects": "many"}}),
        ("POST", "/projects/import", {"json": {"projects": [None, 1, "x"]}}),
        ("POST", "/projects/import", {"content": "a,b\n1,2\n", "headers": csv}),
        ("POST", "/projects/import", {"content": "key\n" + NUL, "headers": csv}),
        ("POST", "/projects/import", {"content": ": : :", "params": {"format": "yaml"}}),
        ("POST", "/projects/import", {"params": {"format": "xml"}, "json": {}}),
        ("POST", "/projects/import", {"content": "--x\r\n", "headers": multi}),
        ("POST", "/tokens", {"json": {"role": "admin", "label": "x" * 201}}),
        ("POST", "/tokens", {"json": {}}),
        ("DELETE", "/tokens/424242", {}),
        ("DELETE", f"/tokens/{HUGE}", {}),
        ("GET", "/nowhere", {}),
        ("PUT", "/projects", {"json": GOOD}),
    ]  # fmt: skip


def test_every_bad_request_is_a_4xx_with_a_json_body(target):
    client, pid, tag = target
    failures = []
    for method, path, kwargs in _cases(pid, tag):
        r = client.request(method, path, **kwargs)
        if not (400 <= r.status_code < 500 and "detail" in r.json()):
            failures.append((method, path, kwargs, r.status_code, r.text[:200]))
        assert "Traceback" not in r.text
    assert not failures, failures
    after = client.get(f"/projects/{pid}")
    assert after.status_code == 200 and after.headers["etag"] == tag  # nothing changed it


def test_validation_errors_name_the_field(target):
    client, pid, tag = target
    r = client.post("/projects", json=GOOD | {"key": "k-2", "capacity_tpa": "big"})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "capacity_tpa", "problem": "Input should be a valid number, unable to parse "
         "string as a number"}
    ]  # fmt: skip
    r = client.patch(f"/projects/{pid}", json={"status": "dreaming"}, headers={"If-Match": tag})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    assert "announced" in r.json()["errors"][0]["problem"]
