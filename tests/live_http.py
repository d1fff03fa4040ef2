"""One-shot HTTP calls to a test server, with a timeout that suits a loaded machine.

httpx's module functions wait 5 s by default; on a busy 2-core CI runner the first
request to a fresh server can take longer than that, and a timeout there says
nothing about the code under test. Every call here waits up to a minute, which
still fails a hung server."""

from __future__ import annotations

from functools import partial

import httpx

TIMEOUT = httpx.Timeout(60.0)

get = partial(httpx.get, timeout=TIMEOUT)
post = partial(httpx.post, timeout=TIMEOUT)
put = partial(httpx.put, timeout=TIMEOUT)
patch = partial(httpx.patch, timeout=TIMEOUT)
delete = partial(httpx.delete, timeout=TIMEOUT)
head = partial(httpx.head, timeout=TIMEOUT)
request = partial(httpx.request, timeout=TIMEOUT)


def client(**kwargs) -> httpx.Client:
    """An ``httpx.Client`` with the same timeout unless one is given."""
    kwargs.setdefault("timeout", TIMEOUT)
    return httpx.Client(**kwargs)
