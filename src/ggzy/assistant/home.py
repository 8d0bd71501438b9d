"""The assistant's own directory on the user's computer: the paired portals, the log, the envelopes it sealed.

``<home>/config.json``  ``{"portals": [{"origin": "https://ggzy.example.cn", "code": "…"}, …]}``: the origins it
                        answers and each one's pairing code (readable by the user only);
``<home>/log.jsonl``    one JSON object a line, appended and never rewritten: every request and every decision;
``<home>/envelopes/``   the envelopes it sealed, kept for decrypting them at the opening;
``<home>/staging/``     the files of a bid waiting for the user's decision, deleted at the decision (and at start).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ggzy.bidclient.origins import OriginInvalid, normalise_origin, origin_of, portal_origin
from ggzy.core.errors import DomainError

__all__ = [
    "AssistantHome",
    "BindRefused",
    "OriginInvalid",
    "check_bind",
    "normalise_origin",
    "origin_of",
    "portal_origin",
]

LOOPBACK = "127.0.0.1"


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


def new_pairing_code() -> str:
    """A portal's pairing code: 160 random bits in base32, in groups of four (``ABCD-EFGH-…``) to copy or type."""
    text = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
    return "-".join(text[index : index + 4] for index in range(0, len(text), 4))


@dataclass
class AssistantHome:
    path: Path
    pairings: dict[str, str] = field(default_factory=dict)  # origin → its pairing code
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, path: Path, *, pair: list[str] | None = None) -> AssistantHome:
        """The directory (made if new, private to the user), its pairings, plus ``pair``'s origins (each given a new
        pairing code, saved). A portal is paired over HTTPS, or over HTTP on this computer only."""
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        (path / "envelopes").mkdir(exist_ok=True, mode=0o700)
        # Bid files in the clear that a previous run left waiting (it stopped before the user decided): gone.
        shutil.rmtree(path / "staging", ignore_errors=True)
        (path / "staging").mkdir(mode=0o700)
        added = [portal_origin(item) for item in pair or []]  # refused before anything is written
        config = path / "config.json"
        pairings: dict[str, str] = {}
        changed = False
        if config.exists():
            for item in json.loads(config.read_text("utf-8")).get("portals", []):
                # the rule of today for pairings of before it too: a plain-http portal elsewhere is refused at start
                if isinstance(item, str):  # an assistant of before the pairing codes: the origin gets one now
                    pairings[portal_origin(item)] = new_pairing_code()
                    changed = True
                else:
                    pairings[portal_origin(item["origin"])] = str(item["code"])
        for origin in added:
            if origin not in pairings:
                pairings[origin] = new_pairing_code()
                changed = True
        home = cls(path=path, pairings=pairings)
        if changed:
            home.save()
        return home

    def save(self) -> None:
        """``config.json``, readable by the user only (it holds the pairing codes)."""
        config = self.path / "config.json"
        body = {"portals": [{"origin": origin, "code": code} for origin, code in self.pairings.items()]}
        handle = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(body, indent=2) + "\n")
        config.chmod(0o600)

    @property
    def portals(self) -> list[str]:
        return list(self.pairings)

    def pairing_code(self, origin: str) -> str | None:
        return self.pairings.get(origin)

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
            return normalise_origin(origin) in self.pairings
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
