"""The assistant's own directory on the user's computer: the paired portals, the log, the envelopes it sealed.

``<home>/config.json``  ``{"portals": ["https://ggzy.example.cn", …]}``: the origins it answers (pairing);
``<home>/log.jsonl``    one JSON object a line, appended and never rewritten: every request and every decision;
``<home>/envelopes/``   the envelopes it sealed, kept for decrypting them at the opening;
``<home>/staging/``     the files of a bid waiting for the user's decision, deleted at the decision (and at start).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ggzy.core.errors import DomainError

LOOPBACK = "127.0.0.1"


class OriginInvalid(DomainError):
    code = "assistant_origin_invalid"
    status = 422
    message_zh = "门户地址应形如 https://平台地址（可带端口，不带路径），而不是 {origin}"
    message_en = "A portal origin looks like https://host[:port] (no path), not {origin}"


class BindRefused(DomainError):
    code = "assistant_bind_refused"
    status = 422
    message_zh = "投标助手只在本机 127.0.0.1 上服务，不能监听 {host}：别的电脑不应能让它签名"
    message_en = "The assistant serves 127.0.0.1 only, not {host}: no other computer may ask it to sign"


def check_bind(host: str) -> str:
    """Only the loopback address: the assistant holds a signing key and must not be reachable from the network."""
    if host != LOOPBACK:
        raise BindRefused(host=host)
    return host


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


def origin_of(url: str) -> str:
    """The origin a URL belongs to (``https://host/api/v1/tenders/7`` → ``https://host``)."""
    parts = urlsplit(url.strip())
    return normalise_origin(f"{parts.scheme}://{parts.netloc}")


@dataclass
class AssistantHome:
    path: Path
    portals: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, path: Path, *, pair: list[str] | None = None) -> AssistantHome:
        """The directory (made if new, private to the user), its pairing, plus ``pair``'s origins (saved)."""
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        (path / "envelopes").mkdir(exist_ok=True, mode=0o700)
        # Bid files in the clear that a previous run left waiting (it stopped before the user decided): gone.
        shutil.rmtree(path / "staging", ignore_errors=True)
        (path / "staging").mkdir(mode=0o700)
        config = path / "config.json"
        portals: list[str] = []
        if config.exists():
            portals = [normalise_origin(item) for item in json.loads(config.read_text("utf-8")).get("portals", [])]
        home = cls(path=path, portals=portals)
        added = [normalise_origin(item) for item in pair or []]
        if added:
            home.portals = list(dict.fromkeys([*portals, *added]))
            config.write_text(json.dumps({"portals": home.portals}, indent=2) + "\n", "utf-8")
        return home

    @property
    def log_path(self) -> Path:
        return self.path / "log.jsonl"

    @property
    def staging(self) -> Path:
        return self.path / "staging"

    @property
    def envelopes(self) -> Path:
        return self.path / "envelopes"

    def is_paired(self, origin: str | None) -> bool:
        if not origin:
            return False
        try:
            return normalise_origin(origin) in self.portals
        except OriginInvalid:
            return False

    def log(self, at: datetime, event: str, **details: Any) -> None:
        """Append one line; the file is opened for appending only (O_APPEND), never truncated or rewritten."""
        line = json.dumps({"at": at.isoformat(), "event": event, **details}, ensure_ascii=False, sort_keys=True)
        with self._lock:
            handle = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(handle, (line + "\n").encode("utf-8"))
            finally:
                os.close(handle)

    def read_log(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text("utf-8").splitlines() if line.strip()]
