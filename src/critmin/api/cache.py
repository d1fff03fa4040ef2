"""A small cache of rendered read responses, invalidated by any logged change.

Every write to a tracked record appends to ``change_log``, so the change log's
(largest id, row count) is a *data generation* (the count catches a transaction that
took a lower id but committed later): while it is unchanged, a response rendered for
the same view (anonymous, or an organisation with its partners and role) and the same
query is still exactly right. Each request still checks the generation in the
database, so the cache is safe with several worker processes and with writes from the
CLI.

``CRITMIN_RESPONSE_CACHE=off`` (``Settings.response_cache``) turns the cache off: every
response is computed, and the generation is not read.
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

GENERATION = select(func.max(ChangeLog.id), func.count(ChangeLog.id))


def generation(session: Session) -> tuple[int, int]:
    """(largest id, number of rows) of the change log: changes whenever data changes."""
    top, count = session.connection().execute(GENERATION).one()
    return (top or 0, count)


def visibility_key(caller: Caller) -> Hashable:
    """Callers with the same key see exactly the same records."""
    return None if caller.anonymous else (caller.org_id, tuple(sorted(caller.partner_org_ids)))


def view_key(caller: Caller) -> Hashable:
    """Callers with the same key get the same body for a record: what they may see, and
    what they may do with it (``editable``)."""
    return None if caller.anonymous else (visibility_key(caller), caller.role)


def etag_of(body: bytes) -> str:
    """A weak validator of a rendered body."""
    return f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


@dataclass(frozen=True)
class Rendered:
    generation: tuple[int, int]
    body: bytes
    etag: str


class ResponseCache:
    """A thread-safe LRU of rendered bodies keyed by (view, query), holding at most
    ``maxsize`` entries and ``max_bytes`` of bodies; disabled, a pass-through."""

    def __init__(
        self, maxsize: int = 1024, enabled: bool = True, max_bytes: int = 64 * 1024 * 1024
    ) -> None:
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self.enabled = enabled
        self._items: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get_or_render(
        self,
        key: Hashable,
        current: Callable[[], tuple[int, int]],
        render: Callable[[], tuple[bytes, str]],
    ) -> Rendered:
        """The body cached for ``key`` at generation ``current()``, else ``render()``'s.

        ``render`` returns the body and its ETag. ``current`` is read before rendering,
        so a write that lands while rendering moves the generation past the cached
        entry and the next request renders again.
        """
        if not self.enabled:
            return Rendered((0, 0), *render())
        now = current()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit.generation == now:
                self._items.move_to_end(key)
                return hit
        rendered = Rendered(now, *render())
        if len(rendered.body) > self.max_bytes:
            return rendered
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += len(rendered.body) - (len(old.body) if old else 0)
            self._items[key] = rendered
            while len(self._items) > self.maxsize or self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.body)
        return rendered
