"""A portal's origin (``scheme://host[:port]``) as the bidder's side names it: in a certificate login's signature, in
the assistant's pairing, and in the check that a tender URL belongs to the portal that asked.

A portal is reached over HTTPS. Plain HTTP is accepted for this computer only (127.0.0.1, ::1, localhost: the demo
and the tests): anywhere else a page served over HTTP could be altered on its way, and whoever altered it would speak
to the assistant as the portal.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ggzy.core.errors import DomainError


class OriginInvalid(DomainError):
    code = "assistant_origin_invalid"
    status = 422
    message_zh = "门户地址应形如 https://平台地址（可带端口，不带路径），而不是 {origin}"
    message_en = "A portal origin looks like https://host[:port] (no path), not {origin}"


class OriginNotSecure(DomainError):
    code = "assistant_origin_not_https"
    status = 422
    message_zh = "交易平台 {origin} 未使用 HTTPS：只有本机（127.0.0.1、localhost）上的平台可以用 http:// 配对"
    message_en = "The portal {origin} does not use HTTPS: only a portal on this computer may be paired over http://"


def normalise_origin(text: str) -> str:
    """``scheme://host[:port]`` in lower case, as a browser writes the ``Origin`` header."""
    parts = urlsplit(text.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
        raise OriginInvalid(origin=text)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise OriginInvalid(origin=text)
    default = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        raise OriginInvalid(origin=text) from None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def portal_origin(text: str) -> str:
    """A portal's origin, normalised, refused unless HTTPS or on this computer (:class:`OriginNotSecure`)."""
    origin = normalise_origin(text)
    parts = urlsplit(origin)
    if parts.scheme != "https" and not is_loopback_host(parts.hostname or ""):
        raise OriginNotSecure(origin=origin)
    return origin


def origin_of(url: str) -> str:
    """The origin a URL belongs to (``https://host/api/v1/tenders/7`` → ``https://host``)."""
    parts = urlsplit(url.strip())
    return normalise_origin(f"{parts.scheme}://{parts.netloc}")
