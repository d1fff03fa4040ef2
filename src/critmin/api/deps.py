"""Typed dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from critmin.store.db import session_factory


def get_session(request: Request) -> Iterator[Session]:
    """A read-mostly session per request, committed on success."""
    factory = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

__all__ = ["SessionDep", "get_session", "session_factory"]
