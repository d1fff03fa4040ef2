"""Server-side dashboard sessions over real HTTP: the cookie holds a random session id
(only its hash is stored), never the token; logging out, idling, the absolute lifetime
and revoking the token each end the session, for every copy of the cookie."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select, update
from web_support import World, csrf_of, decode_session, login

import live_http
from critmin.services import auth
from critmin.store.db import make_engine, transaction
from critmin.store.tables import WebSession

COOKIE = "critmin_session"


@pytest.fixture(scope="module")
def engine(world: World):
    eng = make_engine(world.url)
    yield eng
    eng.dispose()


def new_token(engine, org: str = "Acme Gallium", role: str = "viewer") -> tuple[int, str]:
    with transaction(engine) as s:
        row, token = auth.create_token(session=s, org_name=org, role=role)
        return row.id, token


@contextmanager
def logged_in(base_url: str, token: str) -> Iterator[httpx.Client]:
    with live_http.client(base_url=base_url, timeout=30) as client:
        assert login(client, token).status_code == 303
        yield client


def me(base_url: str, cookie: str) -> dict:
    """``/api/v1/me`` for a browser holding only ``cookie`` (e.g. a stolen copy)."""
    with live_http.client(base_url=base_url, cookies={COOKIE: cookie}, timeout=30) as thief:
        return thief.get("/api/v1/me").json()


def stored_session(engine, sid: str) -> WebSession | None:
    digest = hashlib.sha256(sid.encode()).hexdigest()
    with transaction(engine) as s:
        return s.scalars(select(WebSession).where(WebSession.session_hash == digest)).first()


def test_cookie_holds_a_session_id_not_the_token(base_url, world, engine):
    _, token = new_token(engine)
    with logged_in(base_url, token) as client:
        cookie = client.cookies[COOKIE]
        data = decode_session(cookie)
        assert token not in cookie and token not in str(data)
        assert set(data) <= {"sid", "csrf"} and len(data["sid"]) >= 40
        row = stored_session(engine, data["sid"])
        assert row is not None and row.session_hash != data["sid"]  # only the hash is kept
        with transaction(engine) as s:
            acme = auth.authenticate(session=s, token=token)
        assert (row.org_id, row.token_id) == (acme.org_id, acme.token_id)
        assert me(base_url, cookie)["org"]["name"] == "Acme Gallium"


def test_logout_revokes_every_copy_of_the_cookie(base_url, world, engine):
    _, token = new_token(engine)
    with logged_in(base_url, token) as client:
        copied = client.cookies[COOKIE]
        assert me(base_url, copied)["anonymous"] is False
        r = client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
        assert r.status_code == 303
        assert "Log in" in client.get("/").text
    assert me(base_url, copied)["anonymous"] is True  # the copy taken before logout is dead
    with live_http.client(base_url=base_url, cookies={COOKIE: copied}, timeout=30) as thief:
        page = thief.get("/projects", params={"per_page": 200}).text
        assert "Acme Internal Study" not in page and "Log in" in page


def test_revoking_the_token_ends_its_sessions(base_url, world, engine):
    token_id, token = new_token(engine)
    with logged_in(base_url, token) as client:
        cookie = client.cookies[COOKIE]
        assert me(base_url, cookie)["anonymous"] is False
        with transaction(engine) as s:
            auth.revoke_token(session=s, token_id=token_id)
        assert me(base_url, cookie)["anonymous"] is True
        assert client.get("/api/v1/me").json()["anonymous"] is True


@pytest.mark.parametrize(
    ("column", "age"),
    [("last_seen_at", dt.timedelta(minutes=61)), ("expires_at", dt.timedelta(seconds=1))],
    ids=["idle", "absolute"],
)
def test_idle_and_absolute_lifetimes(base_url, world, engine, column, age):
    _, token = new_token(engine)
    with logged_in(base_url, token) as client:
        cookie = client.cookies[COOKIE]
        sid = decode_session(cookie)["sid"]
        assert me(base_url, cookie)["anonymous"] is False
        past = dt.datetime.now(dt.UTC) - age
        with transaction(engine) as s:
            digest = hashlib.sha256(sid.encode()).hexdigest()
            s.execute(update(WebSession).where(WebSession.session_hash == digest)
                      .values({column: past}))  # fmt: skip
        assert me(base_url, cookie)["anonymous"] is True


def test_logging_in_again_replaces_the_session(base_url, world, engine):
    _, token = new_token(engine)
    with logged_in(base_url, token) as client:
        first = client.cookies[COOKIE]
        assert login(client, token).status_code == 303
        second = client.cookies[COOKIE]
        assert decode_session(first)["sid"] != decode_session(second)["sid"]
        assert me(base_url, first)["anonymous"] is True
        assert me(base_url, second)["anonymous"] is False


def test_the_cookie_never_authorises_api_writes(base_url, world, engine):
    _, token = new_token(engine, role="editor")
    with logged_in(base_url, token) as client:
        project = client.get(f"/api/v1/projects/{world.public_id}")
        assert project.status_code == 200 and project.json()["editable"] is True
        r = client.patch(f"/api/v1/projects/{world.public_id}", json={"name": "Riding"},
                         headers={"If-Match": project.headers["etag"]})  # fmt: skip
        assert r.status_code == 401
