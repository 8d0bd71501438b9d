"""A portal page's request to the assistant, from its arrival to the user's decision and its result.

A request is made with what it is for (:class:`Purpose`: the platform, the action, the tender, the digest of what
will be signed) and the work to do once the user approves. Nothing of the work happens before the approval; a
declined, cancelled or expired request never runs it. Each step is written to the log.
"""

from __future__ import annotations

import secrets
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from ggzy.assistant.home import AssistantHome
from ggzy.core.errors import DomainError, NotFound

# How long a request waits for the user; a login nonce lives 120 s on the platform anyway.
DECISION_WINDOW = timedelta(minutes=10)


class Status(StrEnum):
    PENDING = "pending"
    WORKING = "working"
    DONE = "done"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    FAILED = "failed"


FINAL = frozenset({Status.DONE, Status.DECLINED, Status.CANCELLED, Status.FAILED})


class RequestDeclined(DomainError):
    code = "assistant_request_declined"
    status = 403
    message_zh = "您在投标助手中拒绝了这次请求：未签名，也未发送任何内容。"
    message_en = "You declined the request in the assistant: nothing was signed or sent."


class RequestNotPending(DomainError):
    code = "assistant_request_not_pending"
    status = 409
    message_zh = "这次请求已经{state_zh}，不能再作决定。"
    message_en = "This request is already {state_en}; it takes no further decision."


class AnotherRequestPending(DomainError):
    """One request at a time waits for the user: a page cannot queue a second one behind the first and swap which
    consent window is in front of the user's click (a security review's finding)."""

    code = "assistant_another_request_pending"
    status = 409
    message_zh = "投标助手中另有一项请求正等待您的决定；请先在助手窗口中批准或拒绝它。"
    message_en = "Another request is waiting for your decision in the assistant; approve or decline it first."


class EnvelopeAlreadyTaken(DomainError):
    code = "assistant_envelope_already_taken"
    status = 409
    message_zh = "这份投标文件信封已交给另一个页面递交过，不会再交出第二次（每次加密只递交一次）。"
    message_en = "This envelope was already handed to another page for submission; it is handed out once only."


@dataclass(frozen=True)
class Purpose:
    """What the user is asked to approve, as the consent page shows it."""

    platform: str  # the paired origin that asked
    action: str  # 证书登录, 加密投标文件, …
    digest: str  # hex digest of what will be signed or unwrapped
    tender: str | None = None
    details: tuple[tuple[str, str], ...] = ()

    def as_log(self) -> dict[str, Any]:
        return {"platform": self.platform, "action": self.action, "tender": self.tender, "digest": self.digest}


@dataclass
class AssistantRequest:
    id: str
    kind: str
    purpose: Purpose
    work: Callable[[AssistantRequest], dict[str, Any]] = field(repr=False)
    created_at: datetime
    consent_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    status: Status = Status.PENDING
    result: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None
    staging: Path | None = None  # files the page gave, removed once decided
    envelope: Path | None = None  # what a seal wrote
    envelope_taken: bool = False

    def answer(self) -> dict[str, Any]:
        """What the page that asked may read: the status and, once done, the result or the refusal."""
        body: dict[str, Any] = {"id": self.id, "kind": self.kind, "status": self.status.value}
        if self.status is Status.DONE:
            body["result"] = self.result
        if self.problem is not None:
            body["problem"] = self.problem
        return body


_STATE_WORDS = {
    Status.WORKING: ("批准并在处理中", "approved and being carried out"),
    Status.DONE: ("完成", "done"),
    Status.DECLINED: ("被拒绝", "declined"),
    Status.CANCELLED: ("取消", "cancelled"),
    Status.FAILED: ("失败", "failed"),
}


class RequestBook:
    """The requests of this run of the assistant (in memory; the log keeps their history)."""

    def __init__(self, home: AssistantHome) -> None:
        self.home = home
        self._requests: dict[str, AssistantRequest] = {}
        self._lock = threading.Lock()

    def add(
        self,
        *,
        kind: str,
        purpose: Purpose,
        work: Callable[[AssistantRequest], dict[str, Any]],
        now: datetime,
        staging: Path | None = None,
    ) -> AssistantRequest:
        self.sweep(now)
        request = AssistantRequest(
            id=secrets.token_urlsafe(16), kind=kind, purpose=purpose, work=work, created_at=now, staging=staging
        )
        with self._lock:
            if any(other.status is Status.PENDING for other in self._requests.values()):
                if staging is not None:  # the refused request's files in the clear: gone at once
                    shutil.rmtree(staging, ignore_errors=True)
                raise AnotherRequestPending()
            self._requests[request.id] = request
        self.home.log(now, "requested", request=request.id, kind=kind, **purpose.as_log())
        return request

    def sweep(self, now: datetime) -> None:
        """End every request left undecided past its window, so that its bid files in the clear do not wait on this
        computer for a page that went away (run at each new request and each lookup)."""
        with self._lock:  # marked under the lock: a decision arriving now finds the request no longer pending
            stale = [
                request for request in self._requests.values()
                if request.status is Status.PENDING and now - request.created_at > DECISION_WINDOW
            ]  # fmt: skip
            for request in stale:
                request.status = Status.CANCELLED
        for request in stale:
            self._finish(request, Status.CANCELLED, now, reason="expired")

    def get(self, request_id: str, now: datetime) -> AssistantRequest:
        self.sweep(now)
        with self._lock:
            request = self._requests.get(request_id)
        if request is None:
            raise NotFound(field="request_id", what_zh="投标助手请求", what_en="Assistant request")
        return request

    def decide(self, request: AssistantRequest, *, approve: bool, now: datetime) -> AssistantRequest:
        """The user's decision on the consent page: approve runs the work here, once; decline runs nothing."""
        with self._lock:
            if request.status is not Status.PENDING:
                zh, en = _STATE_WORDS[request.status]
                raise RequestNotPending(state_zh=zh, state_en=en)
            request.status = Status.WORKING if approve else Status.DECLINED
        if not approve:
            request.problem = RequestDeclined().problem()
            self._finish(request, Status.DECLINED, now)
            return request
        self.home.log(now, "approved", request=request.id, kind=request.kind, digest=request.purpose.digest)
        try:
            result = request.work(request)
        except DomainError as error:
            request.problem = error.problem()
            self._finish(request, Status.FAILED, now, code=error.code)
            return request
        except Exception:
            request.problem = {"code": "assistant_failed", "status": 500, "message_zh": "投标助手内部错误",
                               "message_en": "the assistant failed", "detail": "the assistant failed"}  # fmt: skip
            self._finish(request, Status.FAILED, now, code="assistant_failed")
            raise
        request.result = result
        self._finish(request, Status.DONE, now)
        return request

    def cancel(self, request: AssistantRequest, now: datetime) -> None:
        """The page gave up (its popup was closed): a pending request ends unapproved; anything else stays."""
        with self._lock:
            if request.status is not Status.PENDING:
                return
            request.status = Status.CANCELLED
        self._finish(request, Status.CANCELLED, now, reason="the page cancelled")

    def take_envelope(self, request: AssistantRequest, now: datetime) -> Path:
        """The sealed envelope, handed to one page once: a second tab gets a refusal, never a second submission."""
        with self._lock:
            if request.status is not Status.DONE or request.envelope is None:
                raise NotFound(field="request_id", what_zh="已加密的信封", what_en="Sealed envelope")
            if request.envelope_taken:
                raise EnvelopeAlreadyTaken(field="request_id")
            request.envelope_taken = True
        self.home.log(now, "envelope_handed_out", request=request.id, envelope=request.envelope.name)
        return request.envelope

    def _finish(self, request: AssistantRequest, status: Status, now: datetime, **details: Any) -> None:
        request.status = status
        if request.staging is not None:  # the bid's files in the clear: gone once decided
            shutil.rmtree(request.staging, ignore_errors=True)
            request.staging = None
        self.home.log(now, status.value, request=request.id, kind=request.kind, **details)
