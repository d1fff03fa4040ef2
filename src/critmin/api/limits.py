"""Request body size limit (413) and per-token rate limit (429): pure ASGI middleware.

Body size. A declared ``Content-Length`` above ``settings.max_body_bytes`` is refused
before anything is read; a body without one (chunked) is read up to the limit and
replayed to the app, or refused. Either way the app never sees more than the limit.

Rate limit. A token bucket of ``settings.rate_limit_per_minute`` requests per minute
(bursts up to that many) for each API token (keyed by its SHA-256, never the token) or,
for anonymous callers, each client IP. A request over the limit gets 429 with
``Retry-After`` (seconds). ``0`` disables the limit. The health check is exempt.
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

from critmin.config import Settings

EXEMPT_PATHS = frozenset({"/api/v1/health"})
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


class RateLimitMiddleware:
    """Token-bucket rate limit per API token (or per client IP when anonymous)."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens refilled per second
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _key(self, scope: Scope) -> str:
        auth = _header(scope, b"authorization") or ""
        scheme, _, token = auth.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if not token:
            session = scope.get("session")
            token = session.get("token", "") if isinstance(session, dict) else ""
        if token:
            return "t:" + hashlib.sha256(token.encode("utf-8")).hexdigest()
        client = scope.get("client")
        return "ip:" + (client[0] if client else "unknown")

    def take(self, key: str, now: float) -> float:
        """Spend one request from ``key``'s bucket: 0 if allowed, else seconds to wait."""
        tokens, last = self.buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self.buckets[key] = (tokens, now)
        if len(self.buckets) > MAX_BUCKETS:
            self.buckets.popitem(last=False)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.capacity <= 0 or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait = self.take(self._key(scope), time.monotonic())
        if wait > 0:
            retry = max(1, math.ceil(wait))
            body = {
                "detail": f"rate limit exceeded: {int(self.capacity)} requests per minute",
                "retry_after_seconds": retry,
            }
            await _send_json(send, 429, body, {"Retry-After": str(retry)})
            return
        await self.app(scope, receive, send)


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the rate limit (outer) and the body size limit to ``app``."""
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute)
