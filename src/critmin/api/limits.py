"""Request body size limit (413) and per-token rate limit (429)."""

from __future__ import annotations

from fastapi import FastAPI

from critmin.config import Settings


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Placeholder: limits are added by the platform work."""
