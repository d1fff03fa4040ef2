"""Request bodies nested too deep are refused before any route parses them (422).

Python's JSON parser recurses: a body nested a thousand levels deep exhausts the
stack. Every JSON request body is checked first (:func:`critmin.ingest.documents.json_too_deep`,
which stops at the first level too deep); the project import bounds its own JSON and
YAML while streaming, so it is not read twice.
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from critmin.ingest.documents import MAX_DEPTH, json_too_deep

SELF_CHECKED = ("/projects/import",)
"""Paths that bound nesting while streaming the body themselves."""


def _is_json(scope: Scope) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return b"json" in value.lower()
    return False


class JsonDepthMiddleware:
    """422 for a JSON body nested deeper than MAX_DEPTH levels."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE")
            or not _is_json(scope)
            or scope["path"].endswith(SELF_CHECKED)
        ):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if json_too_deep(body):
            problem = f"JSON nested at most {MAX_DEPTH} levels deep"
            payload = json.dumps(
                {"detail": "invalid request", "errors": [{"field": "body", "problem": problem}]}
            ).encode()
            headers = [(b"content-type", b"application/json"),
                       (b"content-length", str(len(payload)).encode())]  # fmt: skip
            await send({"type": "http.response.start", "status": 422, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def install_body_checks(app: FastAPI) -> None:
    app.add_middleware(JsonDepthMiddleware)
