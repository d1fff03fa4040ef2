"""Helpers for the entity API tests: a live server, a scratch database, sample bodies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

import live_http
from critmin.api.app import create_app
from critmin.config import Settings
from critmin.services import auth
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade
from support import serve_app, temporary_pg_database

SECRET = "entities-test-secret-key-of-at-least-32-chars"
SOURCE = [{"document": "test-notice.pdf", "locator": "p. 1"}]


@contextmanager
def serve(url: str) -> Iterator[str]:
    """Serve the app for ``url`` on loopback; yields the API base URL."""
    settings = Settings(secret_key=SECRET, env="development", rate_limit_per_minute=10**6)
    with serve_app(create_app(url, settings)) as base:
        yield f"{base}/api/v1"


@contextmanager
def scratch_database(backend: str, tmp_dir: Any, pg_admin_url: str | None) -> Iterator[str]:
    """A migrated, empty database on ``backend`` (dropped afterwards for PostgreSQL)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir / 'entities.db'}"
        upgrade(url)
        yield url
        return
    assert pg_admin_url is not None
    with temporary_pg_database(pg_admin_url, "critmin_ent") as url:
        upgrade(url)
        yield url


def make_tokens(url: str, orgs: dict[str, list[str]], roles: dict[str, tuple[str, str]]) -> dict:
    """Create ``orgs`` (name -> groups) and tokens ``roles`` (label -> (org, role))."""
    engine = make_engine(url)
    with transaction(engine) as session:
        for name, groups in orgs.items():
            auth.create_org(session=session, name=name, groups=groups)
        tokens = {
            label: auth.create_token(session=session, org_name=org, role=role)[1]
            for label, (org, role) in roles.items()
        }
        ids = {name: auth.get_org(session=session, name=name).id for name in orgs}
    engine.dispose()
    return {"tokens": tokens, "org_ids": ids}


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def sample(path: str, **over: Any) -> dict[str, Any]:
    """A valid create body for the entity at ``path`` (keys made unique)."""
    bodies: dict[str, dict[str, Any]] = {
        "facilities": {
            "key": unique("fac"),
            "name": "Stade alumina refinery",
            "kind": "alumina refinery",
            "operator": "AOS",
            "country": "deu",
            "minerals": ["gallium", "aluminum"],
        },
        "measures": {
            "key": unique("msr"),
            "title": "Export licensing of gallium and germanium",
            "imposing_country": "CHN",
            "target_countries": [],
            "minerals": ["gallium"],
            "forms": ["low_purity_gallium"],
            "measure_type": "licensing",
            "announced": "2023-07-03",
            "effective": "2023-08-01",
            "sources": SOURCE,
        },
        "price-series": {
            "key": unique("ps"),
            "mineral": "tungsten",
            "form": "apt",
            "market": "Rotterdam APT",
            "unit": "USD/mtu WO3",
        },
        "stockpile-lots": {
            "mineral": "gallium",
            "form": "high_purity_gallium",
            "quantity": 12.5,
            "unit": "kg",
            "location": "Depot " + uuid.uuid4().hex[:8],
            "acquired": "2024-01-10",
            "expires": "2034-01-10",
            "cost_usd": 9000,
        },
        "offtakes": {
            "buyer": "Buyer " + uuid.uuid4().hex[:8],
            "seller": "Seller Ltd",
            "mineral": "tungsten",
            "form": "apt",
            "volume_tpa": 500,
            "floor_price": 300,
            "ceiling_price": 450,
            "price_unit": "USD/mtu WO3",
            "start": "2025-01-01",
            "end": "2030-12-31",
        },
    }
    return {**bodies[path], **over}


# one field change per entity, and a filter that selects the sample
CHANGES: dict[str, dict[str, Any]] = {
    "facilities": {"name": "Stade refinery (restarted)", "notes": "restart 2027"},
    "measures": {"expiry": "2026-11-27", "description": "suspended for the US"},
    "price-series": {"market": "Rotterdam APT (weekly)"},
    "stockpile-lots": {"quantity": 14.0, "cost_usd": 9500.0},
    "offtakes": {"volume_tpa": 650.0},
}
FILTERS: dict[str, dict[str, str]] = {
    "facilities": {"country": "DEU", "mineral": "gallium"},
    "measures": {
        "imposing_country": "chn",
        "form": "low_purity_gallium",
        "active_on": "2024-01-01",
    },
    "price-series": {"mineral": "tungsten", "form": "apt"},
    "stockpile-lots": {"mineral": "gallium", "expires_after": "2030-01-01"},
    "offtakes": {"mineral": "tungsten", "active_on": "2026-06-30"},
}


def search_text(body: dict[str, Any]) -> str:
    """A text unique to a sample, found by the list's ``q`` search."""
    return body.get("key") or body.get("location") or body["buyer"]


class Api:
    """The live server, its tokens and a few shortcuts."""

    def __init__(self, base: str, url: str, tokens: dict[str, str], org_ids: dict[str, int]):
        self.base, self.url, self.tokens, self.org_ids = base, url, tokens, org_ids
        self.client = live_http.client(base_url=base, timeout=30)

    def call(self, method: str, path: str, who: str | None = None, **kw: Any) -> httpx.Response:
        headers = {**bearer(self.tokens.get(who) if who else None), **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def create(self, path: str, who: str = "alpha", **over: Any) -> httpx.Response:
        r = self.call("POST", f"/{path}", who, json=sample(path, **over))
        assert r.status_code == 201, r.text
        return r


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A live server over a fresh database with orgs Alpha and Beta (partners, group MSP)
    and Gamma (unrelated); tokens alpha, alpha_admin, alpha_viewer, beta, gamma."""
    pg = request.getfixturevalue("pg_server") if request.param == "postgres" else None
    with scratch_database(request.param, tmp_path_factory.mktemp("ent"), pg) as url:
        roles = {
            "alpha": ("Alpha", "editor"),
            "alpha_admin": ("Alpha", "admin"),
            "alpha_viewer": ("Alpha", "viewer"),
            "beta": ("Beta", "editor"),
            "gamma": ("Gamma", "editor"),
        }
        made = make_tokens(url, {"Alpha": ["MSP"], "Beta": ["MSP"], "Gamma": []}, roles)
        with serve(url) as base:
            client = Api(base, url, made["tokens"], made["org_ids"])
            yield client
            client.client.close()
