"""A per-client rate limit for public endpoints (a token bucket per client address, in memory).

Each client (the address the request came from; for IPv6 its /64) holds a bucket of ``capacity`` tokens that
refills at ``per_minute`` tokens a minute; a request takes one, and a request finding the bucket empty is answered
429 with a problem saying how many seconds to wait. Time is the app's clock (``app.state.clock``), so tests freeze
and advance it. The buckets live in the process (one per limiter and app): behind several workers each holds its
own, which bounds a client by the number of workers times the capacity — enough against a flood of queries, not an
accounting device. Behind a reverse proxy on another host, uvicorn must be told to trust it
(``FORWARDED_ALLOW_IPS``), or every client shares the proxy's bucket.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from fastapi import Request

from ggzy.core.errors import DomainError

MAX_CLIENTS = 100_000  # the least recently seen clients are forgotten beyond this (memory stays bounded)


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message_zh = "请求过于频繁，请{retry_after}秒后再试"
    message_en = "Too many requests: try again in {retry_after} seconds"


class TokenBucket:
    def __init__(self, *, capacity: int, per_minute: int) -> None:
        self.capacity = capacity
        self.per_second = per_minute / 60
        self._buckets: OrderedDict[str, tuple[float, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, now: datetime) -> int:
        """Take a token for ``client``: 0 when granted, else the seconds until one is there."""
        with self._lock:
            tokens, at = self._buckets.pop(client, (float(self.capacity), now))
            elapsed = max((now - at).total_seconds(), 0.0)
            tokens = min(float(self.capacity), tokens + elapsed * self.per_second)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                granted = 0
            else:
                self._buckets[client] = (tokens, now)
                granted = max(1, int((1 - tokens) / self.per_second + 0.999))
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
            return granted


def client_key(host: str) -> str:
    """The bucket a client address draws from: an IPv4 address itself, an IPv6 address its /64 (one subscriber's
    network: a client holding a /64 would otherwise rotate through it around any limit)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def rate_limited(name: str, *, capacity: int, per_minute: int) -> Callable[[Request], None]:
    """A dependency that refuses a client beyond its rate with :class:`RateLimited` (declared in the OpenAPI)."""

    def dependency(request: Request) -> None:
        state = request.app.state
        limiters: dict[str, TokenBucket] | None = getattr(state, "rate_limiters", None)
        if limiters is None:
            limiters = state.rate_limiters = {}
        bucket = limiters.setdefault(name, TokenBucket(capacity=capacity, per_minute=per_minute))
        client = client_key(request.client.host if request.client is not None else "unknown")
        wait = bucket.take(client, state.clock.now())
        if wait:
            raise RateLimited(retry_after=wait)

    dependency.problems = (RateLimited,)  # type: ignore[attr-defined]
    dependency.__name__ = f"rate_limit_{name}"
    return dependency
