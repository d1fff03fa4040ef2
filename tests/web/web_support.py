"""Helpers for the dashboard tests: a filled database with organisations, tokens and
owned projects, a uvicorn server on a free loopback port, and form login."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from critmin.api.app import create_app
from critmin.config import Settings
from critmin.services import auth, tracker
from critmin.services.bootstrap import init_database
from critmin.store.db import make_engine, transaction
from support import serve_app

SECRET = "web-test-secret-key-with-at-least-32-characters"
ARTIFACTS = Path(__file__).parent / "artifacts"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class World:
    """The database and who is in it: tokens per role and the ids of owned projects."""

    url: str
    editor: str  # Acme Gallium, editor
    viewer: str  # Acme Gallium, viewer
    partner: str  # Allied Agency (shares the group "MSP" with Acme), viewer
    outsider: str  # Outsider Co (no group), viewer
    public_id: int  # public; financing owner-only, offtakers partners-only
    partners_id: int  # shared with partners only
    owner_id: int  # Acme only


def _project(key: str, name: str, sharing: str, **extra: object) -> dict[str, object]:
    return {
        "key": key, "name": name, "mineral": "gallium", "stage": "extraction",
        "country": "CAN", "status": "financed", "capacity_tpa": 40.0, "start_year": 2027,
        "sharing": sharing, **extra,
    }  # fmt: skip


def build_world(url: str) -> World:
    """``init_database`` plus three organisations, four tokens and three Acme projects."""
    init_database(url, include_trade=False)
    engine = make_engine(url)
    try:
        with transaction(engine) as s:
            auth.create_org(session=s, name="Acme Gallium", groups=["MSP"], kind="company")
            auth.create_org(session=s, name="Allied Agency", groups=["MSP"], kind="agency")
            auth.create_org(session=s, name="Outsider Co", kind="company")
            tokens = {
                role: auth.create_token(session=s, org_name=org, role=r)[1]
                for role, org, r in (
                    ("editor", "Acme Gallium", "editor"),
                    ("viewer", "Acme Gallium", "viewer"),
                    ("partner", "Allied Agency", "viewer"),
                    ("outsider", "Outsider Co", "viewer"),
                )  # fmt: skip
            }
            acme = auth.authenticate(session=s, token=tokens["editor"])
            public = tracker.create(session=s, caller=acme, data=_project(
                "acme-recovery-plant", "Acme Recovery Plant", "public",
                stage="recycling", status="announced", capacity_tpa=12.0, start_year=2028,
                country="DEU", notes="Gallium recovery from GaAs scrap.",
                financing={"needed_usd": 50_000_000, "committed_usd": 10_000_000},
                offtakers=[{"name": "Quietbuyer Semiconductors", "volume_tpa": 5}],
                milestones=[{"name": "Environmental permit", "state": "in_progress"}],
                history=[{"date": "2025-03-01", "status": "announced", "note": "press release"}],
                section_sharing={"financing": "owner", "offtakers": "partners"},
            ))  # fmt: skip
            partners = tracker.create(session=s, caller=acme, data=_project(
                "acme-partner-pilot", "Acme Partner Pilot", "partners",
                sources=[{"document": "acme-board-memo", "title": "Acme partners-only memo"}],
            ))  # fmt: skip
            owner = tracker.create(session=s, caller=acme, data=_project(
                "acme-internal-study", "Acme Internal Study", "owner", status="feasibility",
            ))  # fmt: skip
            s.flush()
            ids = (public.id, partners.id, owner.id)
    finally:
        engine.dispose()
    return World(url, *(tokens[k] for k in ("editor", "viewer", "partner", "outsider")), *ids)


@contextmanager
def running(url: str) -> Iterator[str]:
    """Serve the app for ``url`` on a free loopback port; yields the base URL."""
    settings = Settings(secret_key=SECRET, env="development", rate_limit_per_minute=100_000)
    app = create_app(url, settings)
    with serve_app(app) as base:
        yield base


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field in the form"
    return found.group(1)


def login(client: httpx.Client, token: str) -> httpx.Response:
    """Log ``client`` in through the form (GET for the CSRF token, then POST)."""
    token_field = csrf_of(client.get("/login").text)
    return client.post("/login", data={"token": token, "csrf_token": token_field, "next": "/"})


def decode_session(cookie: str | None) -> dict:
    """The contents of a (signed, not encrypted) ``critmin_session`` cookie; {} for none."""
    if not cookie:
        return {}
    payload = cookie.strip('"').split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
