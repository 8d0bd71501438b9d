"""The assistant in process: its app behind a TestClient addressed as the loopback it listens on, the platform behind
the bidder client's transport (tests/test_bidclient.py's AppTransport), a fixed clock, a fresh home."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ggzy.assistant import Assistant, AssistantHome, KeySource
from ggzy.assistant.pairing import ANSWER_LABEL, PROOF_LABEL, mac
from ggzy.bidclient import Transport
from ggzy.core.clock import FixedClock
from tests.conftest import TEST_NOW

PORT = 17_999
ASSISTANT = f"http://127.0.0.1:{PORT}"
PORTAL = "https://testserver"  # the platform's TestClient, addressed over https; its API is PORTAL/api/v1
STRANGER = "https://evil.example"


def handshake(client: TestClient, code: str, *, origin: str = PORTAL) -> str:
    """The pairing handshake as static/js/assistant.js makes it: check the assistant's proof, answer its challenge,
    and return the session token."""
    challenge = secrets.token_urlsafe(24)
    hello = client.get("/v1/hello", params={"challenge": challenge}, headers={"Origin": origin})
    assert hello.status_code == 200, hello.text
    assert hello.json()["proof"] == mac(code, PROOF_LABEL, ASSISTANT, origin, challenge)
    answer = mac(code, ANSWER_LABEL, ASSISTANT, origin, hello.json()["challenge"])
    opened = client.post("/v1/session", json={"challenge": hello.json()["challenge"], "answer": answer},
                         headers={"Origin": origin})  # fmt: skip
    assert opened.status_code == 200, opened.text
    return str(opened.json()["session"])


@dataclass
class Running:
    assistant: Assistant
    client: TestClient
    home: AssistantHome
    session: str = ""

    def headers(self, origin: str | None = PORTAL) -> dict[str, str]:
        """The paired page's headers (its origin and its session); another origin's carry no session."""
        if origin is None:
            return {}
        if origin != PORTAL:
            return {"Origin": origin}
        if not self.session:
            code = self.home.pairing_code(PORTAL)
            assert code is not None
            self.session = handshake(self.client, code)
        return {"Origin": origin, "Authorization": f"Bearer {self.session}"}

    def ask(self, path: str, *, origin: str = PORTAL, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.headers(origin), **kwargs)

    def poll(self, request_id: str, *, origin: str = PORTAL) -> Any:
        return self.client.get(f"/v1/requests/{request_id}", headers=self.headers(origin))

    def decide(self, request_id: str, decision: str) -> Any:
        """What the user's click on the consent page sends: the page's own token, from the assistant's origin."""
        page = self.client.get(f"/consent/{request_id}")
        assert page.status_code == 200, page.text
        token = re.search(r'name="consent_token" value="([^"]+)"', page.text)
        assert token is not None, page.text
        return self.client.post(
            f"/consent/{request_id}",
            data={"consent_token": token.group(1), "decision": decision},
            headers={"Origin": ASSISTANT},
        )


def start(
    home_dir: Path, keys: KeySource, transport: Transport | None = None, clock: FixedClock | None = None
) -> Iterator[Running]:
    home = AssistantHome.open(home_dir, pair=[PORTAL])
    assistant = Assistant.build(home, keys, port=PORT, transport=transport, clock=clock or FixedClock(TEST_NOW))
    with TestClient(assistant.app(), base_url=ASSISTANT) as client:
        yield Running(assistant=assistant, client=client, home=home)


@pytest.fixture
def assistant_home(tmp_path: Path) -> Path:
    return tmp_path / "assistant-home"
