"""Body size limit (413), per-token / per-IP rate limit and failed-authentication limit
(429) over real HTTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

import live_http
from critmin.api.app import create_app
from critmin.api.limits import RateLimitMiddleware, carries_credentials
from critmin.config import Settings
from support import serve_app

T = 60.0  # seconds: the first request of a fresh server may be slow on a busy machine
LIMIT = 2048


def GET(url: str, **kwargs):  # noqa: N802
    return live_http.get(url, timeout=T, **kwargs)
SECRET = "limits-test-secret-key-of-at-least-32-characters"


@pytest.fixture(scope="module")
def tokens(api_db_url, make_orgs):
    return make_orgs(api_db_url, {"A": ([], "editor"), "B": ([], "viewer")})


def test_body_over_the_limit_is_413(api_db_url, live, tokens):
    auth = {"Authorization": f"Bearer {tokens['A']}"}
    big = {"key": "big", "name": "x" * (LIMIT * 2)}
    with live(api_db_url, max_body_bytes=LIMIT) as base:
        r = live_http.post(f"{base}/api/v1/projects", json=big, headers=auth)
        assert r.status_code == 413 and r.headers["content-type"] == "application/json"
        assert r.json()["limit_bytes"] == LIMIT and "too large" in r.json()["detail"]

        def chunks():  # no Content-Length: counted while streaming
            for _ in range(8):
                yield b"x" * 512

        r = live_http.post(f"{base}/api/v1/projects/import", content=chunks(), headers=auth)
        assert r.status_code == 413
        small = {"key": "small-one", "name": "Small", "mineral": "gallium", "stage": "refining",
                 "country": "JPN", "status": "announced"}  # fmt: skip
        made = live_http.post(f"{base}/api/v1/projects", json=small, headers=auth)
        assert made.status_code == 201

        def small_chunks():
            yield b'{"projects": []}'

        r = live_http.post(f"{base}/api/v1/projects/import", content=small_chunks(), headers=auth)
        assert r.status_code == 200 and r.json()["created"] == 0


def test_rate_limit_per_token_and_per_ip(api_db_url, live, tokens):
    with live(api_db_url, rate_limit_per_minute=5) as base:
        url = f"{base}/api/v1/projects"
        anon = [GET(url).status_code for _ in range(6)]
        assert anon == [200] * 5 + [429]
        r = GET(url)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "5 requests per minute" in r.json()["detail"]
        a = {"Authorization": f"Bearer {tokens['A']}"}
        b = {"Authorization": f"Bearer {tokens['B']}"}
        assert [GET(url, headers=a).status_code for _ in range(6)] == [200] * 5 + [429]
        assert GET(url, headers=b).status_code == 200  # each token has its own bucket
        assert GET(f"{base}/api/v1/health").status_code == 200  # exempt


def test_bucket_refills_over_time():
    bucket = RateLimitMiddleware(app=None, per_minute=60)  # type: ignore[arg-type]
    assert [bucket.take("k", 100.0) for _ in range(60)] == [0.0] * 60
    assert bucket.take("k", 100.0) == pytest.approx(1.0)
    assert bucket.take("k", 101.5) == 0.0  # 1.5 s later: one request's worth refilled
    assert bucket.take("other", 101.5) == 0.0


def _fake(n: int) -> dict[str, str]:
    return {"Authorization": f"Bearer cm_fake{n:04d}_{'x' * 40}"}


def test_made_up_tokens_are_limited_per_client_address(api_db_url, tokens):
    """Every made-up token has a fresh request bucket; failures are counted per address."""
    app = create_app(api_db_url, Settings(secret_key=SECRET, env="development"))  # defaults
    statements: list[str] = []
    event.listen(app.state.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))  # fmt: skip
    per_minute = app.state.settings.auth_failures_per_minute
    with serve_app(app) as base, live_http.client(base_url=base, timeout=T) as client:
        codes = [client.get("/api/v1/projects", headers=_fake(n)).status_code
                 for n in range(per_minute + 10)]  # fmt: skip
        assert codes == [401] * per_minute + [429] * 10
        statements.clear()
        r = client.get("/api/v1/projects", headers=_fake(9999))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "failed authentications" in r.json()["detail"]
        good = {"Authorization": f"Bearer {tokens['A']}"}
        assert client.get("/api/v1/me", headers=good).status_code == 429  # credentials: no
        assert statements == []  # refused before any database work
        assert client.get("/api/v1/projects").status_code == 200  # no credentials: served
        assert client.get("/api/v1/health").status_code == 200


def test_failed_logins_count_too(api_db_url, live):
    with live(api_db_url, auth_failures_per_minute=3) as base, \
            live_http.client(base_url=base, timeout=T) as c:
        codes = []
        for _ in range(5):
            form = c.get("/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            codes.append(c.post("/login", data={"token": "cm_bad", "csrf_token": csrf}).status_code)
        assert codes == [401, 401, 401, 429, 429]


def test_failure_bucket_refills_and_needs_credentials():
    limiter = RateLimitMiddleware(None, per_minute=0, auth_failures_per_minute=60)  # type: ignore
    for _ in range(60):
        limiter.failures.take("10.0.0.1", 100.0)
    assert limiter.failures.wait("10.0.0.1", 100.0) == pytest.approx(1.0)
    assert limiter.failures.wait("10.0.0.2", 100.0) == 0.0  # another address
    assert limiter.failures.wait("10.0.0.1", 101.5) == 0.0  # refilled
    scope = {"type": "http", "method": "GET", "path": "/api/v1/projects", "headers": []}
    assert not carries_credentials(scope)
    assert carries_credentials({**scope, "headers": [(b"authorization", b"Bearer x")]})
    assert carries_credentials({**scope, "method": "POST", "path": "/login"})


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(api_db_url, live):
    """uvicorn takes the client address from X-Forwarded-For sent by a trusted proxy
    (127.0.0.1 here, as in the deployment guide), so one client's failures lock out only it."""
    with live(api_db_url, auth_failures_per_minute=2) as base, \
            live_http.client(base_url=base, timeout=T) as c:
        first = {**_fake(1), "X-Forwarded-For": "203.0.113.7"}
        other = {**_fake(2), "X-Forwarded-For": "198.51.100.9"}
        codes = [c.get("/api/v1/me", headers=first).status_code for _ in range(3)]
        assert codes == [401, 401, 429]
        assert c.get("/api/v1/me", headers=other).status_code == 401  # not locked out


def test_every_read_endpoint_refuses_a_bad_token(api_db_url, live):
    """Made-up tokens get 401 on public reference data too (not a fresh bucket each), so
    they count towards the failed-authentication limit there as everywhere."""
    paths = ["/api/v1/stats/share?mineral=gallium", "/api/v1/projects", "/api/v1/measures"]
    with live(api_db_url, auth_failures_per_minute=len(paths)) as base:
        codes = [GET(base + p, headers=_fake(i)).status_code for i, p in enumerate(paths)]
        assert codes == [401] * len(paths)
        r = GET(base + paths[0], headers=_fake(99))
        assert r.status_code == 429
