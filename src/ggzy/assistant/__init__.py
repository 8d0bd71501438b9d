"""The local assistant (投标助手, ``ggzy assistant serve``, decision 0029): a small HTTP server on the user's own
computer, on 127.0.0.1 only, that holds the user's certificate key and does for the portal's pages what ``ggzy bid``
does on the command line: certificate login, sealing a bid from files the user picks, remote decryption at the
opening, a custodian's share release, an expert's score-sheet signature.

- :mod:`.keys`: where the key is (a PEM file, a PKCS#11 token; GM/T 0016 SKF next); it never leaves the assistant;
- :mod:`.home`: the assistant's directory: the paired portal origins, the append-only log, the sealed envelopes;
- :mod:`.requests`: a page's request, held until the user approves or declines it on the consent page;
- :mod:`.operations`: what each request does, through the bidder client's own functions;
- :mod:`.server`: the HTTP side: the paired origins' API (CORS, private network access) and the consent pages.

Nothing of the platform imports this package (tests/test_import_rules.py): it runs on the bidder's machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ggzy.assistant.home import AssistantHome, check_bind
from ggzy.assistant.keys import FileKeySource, KeySource, KeyUnavailable, Pkcs11KeySource, TokenSettings
from ggzy.assistant.operations import Operations
from ggzy.assistant.requests import RequestBook
from ggzy.bidclient import Transport, UrllibTransport
from ggzy.core.clock import Clock, SystemClock

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "Assistant",
    "AssistantHome",
    "FileKeySource",
    "KeySource",
    "KeyUnavailable",
    "Pkcs11KeySource",
    "TokenSettings",
    "check_bind",
]


@dataclass
class Assistant:
    """One running assistant: its home, its key, its requests, and the app that serves them on ``port``."""

    operations: Operations
    port: int

    @classmethod
    def build(
        cls,
        home: AssistantHome,
        keys: KeySource,
        *,
        port: int,
        transport: Transport | None = None,
        clock: Clock | None = None,
    ) -> Assistant:
        operations = Operations(
            home=home,
            keys=keys,
            book=RequestBook(home),
            transport=transport or UrllibTransport(timeout=30),
            clock=clock or SystemClock(),
        )
        return cls(operations=operations, port=port)

    def app(self) -> FastAPI:
        from ggzy.assistant.server import create_assistant_app

        return create_assistant_app(self.operations, port=self.port)
