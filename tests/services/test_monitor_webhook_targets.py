"""Where webhooks may go: in production a rule's URL cannot reach loopback, private or
link-local addresses (unless the operator allows it), and redirects are never followed.
Real HTTP servers on loopback; the decision is made at send time and recorded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from test_monitor_service import SYN, _import, _load

from critmin.config import Settings
from critmin.services import monitor
from critmin.services import monitor_rules as rules
from critmin.services import monitor_webhooks as hooks
from critmin.services.auth import LOCAL
from critmin.store.db import session_factory
from critmin.store.tables import AlertDelivery, DeliveryAttempt


@contextmanager
def receiver(answer: int = 200, location: str | None = None) -> Iterator[dict]:
    """A loopback server answering every POST with ``answer`` (and ``Location``)."""
    seen: dict = {"posts": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers["Content-Length"]))
            seen["posts"] += 1
            self.send_response(answer)
            if location:
                self.send_header("Location", location)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    seen["url"] = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def _deliver_one(engine, url: str) -> tuple[AlertDelivery, list[DeliveryAttempt]]:
    with session_factory(engine)() as s:
        _load(s)
        _import(s, SYN)
        rules.add_rule(session=s, caller=LOCAL, key="jump-10", kind="price_change",
                       params={"series": "syn-jump", "threshold_pct": 10},
                       webhook_url=url)  # fmt: skip
        monitor.run(session=s, caller=LOCAL)
        s.commit()
        hooks.deliver(s, commit=s.commit, base_delay=0.01, max_attempts=2, timeout=2)
        delivery = s.scalar(select(AlertDelivery))
        tries = list(s.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.attempt)))
        s.expunge_all()
        return delivery, tries


def test_production_refuses_loopback_targets(engine, monkeypatch):
    monkeypatch.setenv("CRITMIN_ENV", "production")
    with receiver() as hook:
        delivery, tries = _deliver_one(engine, hook["url"])
        assert hook["posts"] == 0
    assert delivery.status == "failed" and len(tries) == 2
    assert "refused: '127.0.0.1' resolves to 127.0.0.1" in tries[0].error
    assert tries[0].status_code is None


def test_the_operator_may_allow_private_targets(engine, monkeypatch):
    monkeypatch.setenv("CRITMIN_ENV", "production")
    monkeypatch.setenv("CRITMIN_WEBHOOK_PRIVATE_TARGETS", "true")
    with receiver() as hook:
        delivery, _ = _deliver_one(engine, hook["url"])
        assert hook["posts"] == 1
    assert delivery.status == "delivered"


def test_redirects_are_answers_not_new_targets(engine):
    with receiver() as target, receiver(302, location=target["url"]) as redirecting:
        delivery, tries = _deliver_one(engine, redirecting["url"])
        assert redirecting["posts"] == 2 and target["posts"] == 0
    assert delivery.status == "failed"
    assert [t.status_code for t in tries] == [302, 302]


@pytest.mark.parametrize(("env", "allowed", "expected"), [
    ("development", None, True), ("production", None, False),
    ("production", True, True), ("development", False, False),
])  # fmt: skip
def test_the_default_follows_the_environment(env, allowed, expected):
    settings = Settings(env=env, webhook_private_targets=allowed)
    assert settings.webhooks_may_reach_private() is expected


def test_public_addresses_pass_the_check():
    assert hooks.private_target("http://8.8.8.8/hook") is None
    assert "not a public address" in hooks.private_target("http://169.254.169.254/latest")
    assert "not a public address" in hooks.private_target("http://[::1]:8080/x")
    assert "does not resolve" in hooks.private_target("http://no-such-host.invalid/x")
