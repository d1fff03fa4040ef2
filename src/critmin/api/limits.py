"""Request body size limit (413), rate limit and failed-authentication limit (429).

Pure ASGI middleware, so a refused request costs no database work.

Body size. A declared ``Content-Length`` above ``settings.max_body_bytes`` is refused
before anything is read; a body without one (chunked) is read up to the limit and
replayed to the app, or refused. Either way the app never sees more than the limit.

Rate limit. A token bucket of ``settings.rate_limit_per_minute`` requests per minute
(bursts up to that many) for each API token (keyed by its SHA-256, never the token),
each dashboard session or, for anonymous callers, each client address. A request over
the limit gets 429 with ``Retry-After`` (seconds). ``0`` disables the limit.

Failed authentication. Made-up tokens each get a fresh bucket above, so every client
address also has a bucket of ``settings.auth_failures_per_minute`` that each 401 answered
to it spends. Once it is empty, requests from that address that carry credentials (an
``Authorization`` header, or a login form) get 429 with ``Retry-After`` until it refills,
before any token is looked up. Requests without credentials are not affected. ``0``
disables it. The client address is the ASGI ``client``: behind a reverse proxy, uvicorn
sets it from ``X-Forwarded-For`` when the proxy's address is trusted
(``FORWARDED_ALLOW_IPS``, default 127.0.0.1), see docs/deployment.md.

The health check is exempt from both limits.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from critmin.api.deps import SESSION_ID_KEY
from critmin.config import Settings

EXEMPT_PATHS = frozenset({"/api/v1/health"})
LOGIN_PATH = "/login"
MAX_BUCKETS = 100_000
"""Buckets kept at most (least recently used dropped), so memory stays bounded."""


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(body).encode("utf-8")
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 and a JSON body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _too_large(self, send: Send) -> None:
        detail = f"request body too large: the limit is {self.max_bytes} bytes"
        await _send_json(send, 413, {"detail": detail, "limit_bytes": self.max_bytes})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _send_json(send, 400, {"detail": "malformed Content-Length header"})
                return
            if int(declared) > self.max_bytes:
                await self._too_large(send)
                return
            await self.app(scope, receive, send)  # the server enforces the declared length
            return
        messages: list[Message] = []
        size = 0
        while True:  # no declared length (chunked): read up to the limit, then replay
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._too_large(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class TokenBuckets:
    """Token buckets of ``per_minute`` (bursts up to that many), one per key, LRU-bounded."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens refilled per second
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def _level(self, key: str, now: float) -> float:
        tokens, last = self.buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - last) * self.rate)

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may spend one (0 if it may now); spends nothing."""
        tokens = self._level(key, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def take(self, key: str, now: float) -> float:
        """Spend one from ``key``'s bucket: 0 if allowed, else seconds to wait."""
        tokens = self._level(key, now)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self.buckets.pop(key, None)
        self.buckets[key] = (tokens, now)
        if len(self.buckets) > MAX_BUCKETS:
            self.buckets.popitem(last=False)
        return wait


def client_address(scope: Scope) -> str:
    """The client's address as the server saw it (the proxy's view when trusted)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


def carries_credentials(scope: Scope) -> bool:
    """An ``Authorization`` header, or the dashboard's login form."""
    if _header(scope, b"authorization") is not None:
        return True
    return scope["method"] == "POST" and scope["path"] == LOGIN_PATH


async def _too_many(send: Send, wait: float, detail: str) -> None:
    retry = max(1, math.ceil(wait))
    body = {"detail": detail, "retry_after_seconds": retry}
    await _send_json(send, 429, body, {"Retry-After": str(retry)})


class RateLimitMiddleware:
    """Requests per token, session or client address; failed authentications per address."""

    def __init__(self, app: ASGIApp, per_minute: int, auth_failures_per_minute: int = 0) -> None:
        self.app = app
        self.requests = TokenBuckets(per_minute)
        self.failures = TokenBuckets(auth_failures_per_minute)

    @property
    def capacity(self) -> float:
        return self.requests.capacity

    def take(self, key: str, now: float) -> float:
        """Spend one request from ``key``'s bucket: 0 if allowed, else seconds to wait."""
        return self.requests.take(key, now)

    def _key(self, scope: Scope) -> str:
        auth = _header(scope, b"authorization") or ""
        scheme, _, token = auth.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if token:
            return "t:" + hashlib.sha256(token.encode("utf-8")).hexdigest()
        session = scope.get("session")
        sid = session.get(SESSION_ID_KEY) if isinstance(session, dict) else None
        if isinstance(sid, str) and sid:
            return "s:" + hashlib.sha256(sid.encode("utf-8")).hexdigest()
        return "ip:" + client_address(scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        now = time.monotonic()
        address = client_address(scope)
        if self.failures.enabled and carries_credentials(scope):
            wait = self.failures.wait(address, now)
            if wait > 0:
                per_minute = int(self.failures.capacity)
                detail = (
                    f"too many failed authentications from your address (at most {per_minute} "
                    "a minute); retry later"
                )
                await _too_many(send, wait, detail)
                return
        if self.requests.enabled:
            wait = self.requests.take(self._key(scope), now)
            if wait > 0:
                detail = f"rate limit exceeded: {int(self.requests.capacity)} requests per minute"
                await _too_many(send, wait, detail)
                return
        if not self.failures.enabled:
            await self.app(scope, receive, send)
            return

        async def count_failures(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.failures.take(address, time.monotonic())
            await send(message)

        await self.app(scope, receive, count_failures)


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the rate limits (outer) and the body size limit to ``app``."""
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RateLimitMiddleware,
        per_minute=settings.rate_limit_per_minute,
        auth_failures_per_minute=settings.auth_failures_per_minute,
    )
