"""The handshake between a portal's page and the assistant, on the pairing code they share (decision 0029).

The ``Origin`` header proves, to the assistant, only that a *browser* page of a paired portal is asking: any other
program on the computer (another user's, or a script) can write that header itself. And a page cannot tell, from the
port alone, that the program answering at 127.0.0.1:17170 is the user's assistant and not an impostor that took the
port first. Both sides therefore prove that they know the portal's pairing code, which the assistant printed when it
was paired and the user entered once on the portal's 投标助手 page; the code itself never travels again:

1. the page sends a random ``challenge``; the assistant answers ``proof`` = HMAC(code, ``ggzy-assistant-proof``,
   its own origin as the page addressed it, the portal's origin, the challenge) and a challenge of its own. The page
   checks the proof before it sends anything else: an impostor cannot make it, nor can a program that relays to an
   assistant on another port (the proof names the address the page called);
2. the page answers that challenge with HMAC(code, ``ggzy-assistant-page``, …) and receives a session token, bound to
   its origin; every other call carries it (``Authorization: Bearer …``). Without it the assistant does nothing.

Challenges are one-time and live :data:`CHALLENGE_LIFETIME`; sessions :data:`SESSION_LIFETIME`, in memory only (a
restart of the assistant asks for a new handshake, which the page makes by itself).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from ggzy.core.errors import DomainError

CHALLENGE_LIFETIME = timedelta(minutes=2)
SESSION_LIFETIME = timedelta(hours=8)
MAX_CHALLENGES = 1000  # outstanding at once: a page asking in a loop cannot fill the memory
PROOF_LABEL = "ggzy-assistant-proof"
ANSWER_LABEL = "ggzy-assistant-page"


class SessionRequired(DomainError):
    code = "assistant_session_required"
    status = 401
    message_zh = "页面尚未与投标助手完成配对握手（或握手已过期），请重试"
    message_en = "The page has not completed the pairing handshake with the assistant (or it expired); try again"


class PairingAnswerWrong(DomainError):
    code = "assistant_pairing_answer_wrong"
    status = 403
    message_zh = "配对码不符：请在交易平台的“投标助手”页面重新输入助手显示的配对码"
    message_en = "The pairing code does not match: enter the code the assistant shows on the portal's assistant page"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def mac(code: str, label: str, assistant_origin: str, portal_origin: str, challenge: str) -> str:
    """HMAC-SHA256 keyed by the pairing code (its UTF-8 bytes) over the label, both origins and the challenge, one a
    line; base64url without padding. The page computes the same with WebCrypto (static/js/assistant.js)."""
    text = "\n".join((label, assistant_origin, portal_origin, challenge))
    return _b64(hmac.new(code.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest())


@dataclass
class _Pending:
    portal: str
    assistant_origin: str
    expires_at: datetime


@dataclass
class _Session:
    portal: str
    expires_at: datetime


class Handshakes:
    """The assistant's side: challenges it issued and sessions it opened, in memory."""

    def __init__(self) -> None:
        self._challenges: dict[str, _Pending] = {}
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def hello(self, *, code: str, portal: str, assistant_origin: str, challenge: str, now: datetime) -> dict[str, str]:
        """Prove the code to the page, and challenge it in turn."""
        own = secrets.token_urlsafe(24)
        with self._lock:
            self._drop_expired(now)
            while len(self._challenges) >= MAX_CHALLENGES:  # the oldest first (dicts keep their order)
                del self._challenges[next(iter(self._challenges))]
            self._challenges[own] = _Pending(portal, assistant_origin, now + CHALLENGE_LIFETIME)
        return {
            "assistant": "ggzy",
            "proof": mac(code, PROOF_LABEL, assistant_origin, portal, challenge),
            "challenge": own,
        }

    def open_session(self, *, code: str, portal: str, challenge: str, answer: str, now: datetime) -> dict[str, object]:
        """The page's answer to the challenge: a session token if it knows the code (the challenge is used up either
        way)."""
        with self._lock:
            self._drop_expired(now)
            pending = self._challenges.pop(challenge, None)
        if pending is None or pending.portal != portal:
            raise PairingAnswerWrong()
        expected = mac(code, ANSWER_LABEL, pending.assistant_origin, portal, challenge)
        if not hmac.compare_digest(expected.encode("ascii"), answer.encode("ascii", errors="replace")):
            raise PairingAnswerWrong()
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[token] = _Session(portal, now + SESSION_LIFETIME)
        return {"session": token, "expires_in": int(SESSION_LIFETIME.total_seconds())}

    def check(self, authorization: str | None, *, portal: str, now: datetime) -> None:
        """A call's ``Authorization: Bearer <token>`` must be a live session of the portal that calls."""
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            self._drop_expired(now)
            session = self._sessions.get(token.strip()) if scheme.lower() == "bearer" else None
        if session is None or session.portal != portal:
            raise SessionRequired()

    def _drop_expired(self, now: datetime) -> None:
        for name, pending in list(self._challenges.items()):
            if pending.expires_at <= now:
                del self._challenges[name]
        for token, session in list(self._sessions.items()):
            if session.expires_at <= now:
                del self._sessions[token]
