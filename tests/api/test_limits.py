"""Body size limit (413) and per-token / per-IP rate limit (429) over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from critmin.api.limits import RateLimitMiddleware

LIMIT = 2048


@pytest.fixture(scope="module")
def tokens(api_db_url, make_orgs):
    return make_orgs(api_db_url, {"A": ([], "editor"), "B": ([], "viewer")})


def test_body_over_the_limit_is_413(api_db_url, live, tokens):
    auth = {"Authorization": f"Bearer {tokens['A']}"}
    big = {"key": "big", "name": "x" * (LIMIT * 2)}
    with live(api_db_url, max_body_bytes=LIMIT) as base:
        r = httpx.post(f"{base}/api/v1/projects", json=big, headers=auth)
        assert r.status_code == 413 and r.headers["content-type"] == "application/json"
        assert r.json()["limit_bytes"] == LIMIT and "too large" in r.json()["detail"]

        def chunks():  # no Content-Length: counted while streaming
            for _ in range(8):
                yield b"x" * 512

        r = httpx.post(f"{base}/api/v1/projects/import", content=chunks(), headers=auth)
        assert r.status_code == 413
        small = {"key": "small-one", "name": "Small", "mineral": "gallium", "stage": "refining",
                 "country": "JPN", "status": "announced"}  # fmt: skip
        assert httpx.post(f"{base}/api/v1/projects", json=small, headers=auth).status_code == 201

        def small_chunks():
            yield b'{"projects": []}'

        r = httpx.post(f"{base}/api/v1/projects/import", content=small_chunks(), headers=auth)
        assert r.status_code == 200 and r.json()["created"] == 0


def test_rate_limit_per_token_and_per_ip(api_db_url, live, tokens):
    with live(api_db_url, rate_limit_per_minute=5) as base:
        url = f"{base}/api/v1/projects"
        anon = [httpx.get(url).status_code for _ in range(6)]
        assert anon == [200] * 5 + [429]
        r = httpx.get(url)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "5 requests per minute" in r.json()["detail"]
        a = {"Authorization": f"Bearer {tokens['A']}"}
        b = {"Authorization": f"Bearer {tokens['B']}"}
        assert [httpx.get(url, headers=a).status_code for _ in range(6)] == [200] * 5 + [429]
        assert httpx.get(url, headers=b).status_code == 200  # each token has its own bucket
        assert httpx.get(f"{base}/api/v1/health").status_code == 200  # exempt


def test_bucket_refills_over_time():
    bucket = RateLimitMiddleware(app=None, per_minute=60)  # type: ignore[arg-type]
    assert [bucket.take("k", 100.0) for _ in range(60)] == [0.0] * 60
    assert bucket.take("k", 100.0) == pytest.approx(1.0)
    assert bucket.take("k", 101.5) == 0.0  # 1.5 s later: one request's worth refilled
    assert bucket.take("other", 101.5) == 0.0
