"""A small cache of rendered list responses, invalidated by any logged change.

Every write to a tracked record appends to ``change_log``, so the change log's
(largest id, row count) is a *data generation* (the count catches a transaction that
took a lower id but committed later): while it is unchanged, a list rendered for the same
visibility (anonymous, or an organisation and its partners) and the same query is
still exactly right. Each request still checks the generation in the database, so
the cache is safe with several worker processes and with writes from the CLI.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from critmin.services.auth import Caller
from critmin.store.tables import ChangeLog


def generation(session: Session) -> tuple[int, int]:
    """(largest id, number of rows) of the change log: changes whenever data changes."""
    top, count = session.execute(select(func.max(ChangeLog.id), func.count(ChangeLog.id))).one()
    return (top or 0, count)


def visibility_key(caller: Caller) -> Hashable:
    """Callers with the same key see exactly the same records."""
    return None if caller.anonymous else (caller.org_id, tuple(sorted(caller.partner_org_ids)))


@dataclass(frozen=True)
class Rendered:
    generation: tuple[int, int]
    body: bytes
    etag: str


class ResponseCache:
    """A thread-safe LRU of rendered bodies keyed by (visibility, query)."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(
        self, key: Hashable, current: tuple[int, int], render: Callable[[], bytes]
    ) -> Rendered:
        """The cached body for ``key`` if rendered at generation ``current``, else a new one."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit.generation == current:
                self._items.move_to_end(key)
                return hit
        body = render()
        rendered = Rendered(
            current, body, f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
        )
        with self._lock:
            self._items[key] = rendered
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return rendered
