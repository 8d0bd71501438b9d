"""The bank simulator's HTTP side: the bank's API for the platform, a teller for payers, an operator's fault switch,
and the notifier that pushes signed credit notices to the platform until it acknowledges them.

``ggzy bank serve --dir bank-data --port 8003 --notify-url http://127.0.0.1:8000/api/v1/finance/bank/notices``.

The bank's API (JSON; errors ``{"code", "message"}``):

    GET  /info                          the bank, the settlement account, its Ed25519 public key (base64, raw 32 bytes)
    POST /sub-accounts                  {reference, name} → the sub-account (the same reference: the same one)
    GET  /sub-accounts/{number}         the sub-account's balance (for the operator; the platform reads statements)
    POST /orders                        a refund order {idempotency_key, from_sub_account, to_account, to_name, to_bank,
                                        principal_fen, interest_fen, purpose} → its receipt: the principal from the
                                        sub-account, the interest from the settlement account's own balance, both or
                                        neither; the same idempotency key: the first receipt
    GET  /orders?idempotency_key=K      the receipt of order K (404: the bank never received it)
    GET  /statements/{YYYY-MM-DD}       the settlement account's statement for that China Standard Time day

The teller (a payer at the counter or in its own bank: simulated, not part of the platform's protocol):

    POST /teller/transfers              {sub_account, amount_fen, payer_account, payer_name, payer_bank}: books the
                                        credit and queues its signed notice (POST to --notify-url, the signature in
                                        the ``Ggzy-Bank-Signature`` header), retried with back-off until a 2xx;
                                        ``ggzy bank pay --sub-account … --amount-fen …`` calls it from a shell; the
                                        settlement account's own number as ``sub_account`` funds its own balance
                                        (the centre's money that pays refunds' interest)

The operator (faults on demand; they live in the process's memory and a restart clears them):

    POST   /admin/faults   {"fail":  {"count": N, "status": 503, "path": "/orders"},      the next N bank calls
                                                                                           answer 5xx, doing nothing
                            "hang":  {"count": N, "seconds": S, "after": true, "path": …}, the next N calls answer
                                                                                           S seconds late; after=true
                                                                                           does the work first (the
                                                                                           answer is lost, the order
                                                                                           booked)
                            "notices": {"repeat": N, "times": K,      the next N notices are delivered K times each
                                        "every": S,                   (the copies S seconds apart; 0: back to back)
                                        "reorder": N,                 the next N notices are held, then delivered in
                                                                      reverse order once the N-th is booked
                                        "delay": N, "seconds": S}}    the next N notices are delivered S seconds late
    GET    /admin/faults   what is pending;  DELETE /admin/faults: clear them (held notices are released, in order)
    GET    /admin/deliveries                 every notice delivery: due, attempts, delivered, last error
    POST   /admin/clock    {"advance_seconds": S}: move the bank's clock forward (to reach the next day's statement);
                           {"set_to": "2026-11-04T09:00:00+08:00"}: set it to that time, forward or back, never before
                           the latest line booked or order answered (409 clock_before_booked_line; decision 0039)
    GET    /admin/clock    the bank's time and its latest booked line's (null: its books are empty)

``path`` is a prefix of the bank calls it applies to (``""``: all of them); /info, /teller and /admin never fail.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, model_validator

from ggzy.finance.bank.protocol import RefundOrder
from ggzy.finance.bank.simulator import BANK_NAME, BankBooks, BankRefusal, Delivery
from ggzy.finance.bank.wire import (
    SIGNATURE_ALGORITHM,
    SIGNATURE_HEADER,
    encode_receipt,
    encode_statement,
    encode_sub_account,
    encode_time,
)

logger = logging.getLogger(__name__)

_ALWAYS_ANSWERED = ("/info", "/teller", "/admin", "/docs", "/openapi.json")
MAX_FEN = 10**15  # ten thousand billion 元: beyond any deposit, and far inside SQLite's 64-bit integers


# --- faults ----------------------------------------------------------------------------------------------------------


@dataclass
class CallFault:
    count: int
    path: str = ""
    status: int = 503
    seconds: float = 0.0
    after: bool = False


@dataclass
class NoticeFaults:
    repeat: int = 0
    times: int = 2
    every: float = 0.0
    reorder: int = 0
    held: int = 0
    delay: int = 0
    seconds: float = 0.0


class Faults:
    """Faults the operator asked for, consumed one call or one notice at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fail: CallFault | None = None
        self.hang: CallFault | None = None
        self.notices = NoticeFaults()

    def clear(self) -> None:
        with self._lock:
            self.fail, self.hang, self.notices = None, None, NoticeFaults()

    def inject(self, wanted: FaultsIn) -> None:
        """Set the faults named (each replaces the pending one of its kind)."""
        with self._lock:
            if wanted.fail:
                self.fail = CallFault(**wanted.fail.model_dump())
            if wanted.hang:
                self.hang = CallFault(**wanted.hang.model_dump())
            if wanted.notices:
                self.notices = NoticeFaults(**wanted.notices.model_dump())

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "fail": asdict(self.fail) if self.fail else None,
                "hang": asdict(self.hang) if self.hang else None,
                "notices": asdict(self.notices),
            }

    def take_call_fault(self, path: str) -> tuple[str, CallFault] | None:
        if path.startswith(_ALWAYS_ANSWERED):
            return None
        with self._lock:
            for kind in ("fail", "hang"):
                fault: CallFault | None = getattr(self, kind)
                if fault is not None and path.startswith(fault.path):
                    fault.count -= 1
                    if fault.count <= 0:
                        setattr(self, kind, None)
                    return kind, fault
        return None

    def plan_notice(self, now: datetime) -> tuple[list[datetime | None], bool]:
        """The due times of the next notice's deliveries (``None``: held) and whether the held ones are now to be
        released in reverse order."""
        with self._lock:
            notices = self.notices
            due: datetime | None = now
            if notices.delay > 0:
                notices.delay -= 1
                due = now + timedelta(seconds=notices.seconds)
            release = False
            if notices.reorder > 0:
                notices.reorder -= 1
                notices.held += 1
                due, release = None, notices.reorder == 0
                if release:
                    notices.held = 0
            if notices.repeat <= 0:
                return [due], release
            notices.repeat -= 1
            if due is None:  # held for reordering: the copies are released together
                return [None] * notices.times, release
            return [due + timedelta(seconds=notices.every * copy) for copy in range(notices.times)], release


class CallFaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1, le=1_000_000)
    path: str = Field(default="", max_length=200)
    status: int = Field(default=503, ge=500, le=599)


class HangIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1, le=1_000_000)
    seconds: float = Field(gt=0, le=600)
    after: bool = False
    path: str = Field(default="", max_length=200)


class NoticeFaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repeat: int = Field(default=0, ge=0)
    times: int = Field(default=2, ge=2, le=100)
    every: float = Field(default=0.0, ge=0, le=3600)
    reorder: int = Field(default=0, ge=0)
    delay: int = Field(default=0, ge=0)
    seconds: float = Field(default=0.0, ge=0, le=3600)


class FaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fail: CallFaultIn | None = None
    hang: HangIn | None = None
    notices: NoticeFaultsIn | None = None


# --- the notifier ----------------------------------------------------------------------------------------------------


class Notifier:
    """Delivers queued notices to the platform one at a time, in due order, until each is acknowledged (a 2xx);
    a failed delivery is retried after ``retry_seconds`` doubled per attempt, at most ``max_retry_seconds``."""

    def __init__(
        self, books: BankBooks, url: str, *, retry_seconds: float, max_retry_seconds: float, timeout: float
    ) -> None:
        self.books, self.url = books, url
        self.retry_seconds, self.max_retry_seconds, self.timeout = retry_seconds, max_retry_seconds, timeout
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="bank-notifier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while not self._stop.is_set():
                try:
                    for delivery in self.books.due_deliveries(self.books.now()):
                        if self._stop.is_set():
                            return
                        self._deliver(client, delivery)
                    next_due = self.books.next_due()
                except Exception:  # the notifier must outlive any one bad moment; the outbox keeps the work
                    logger.exception("the notifier's round failed")
                    next_due = None
                wait = 1.0 if next_due is None else (next_due - self.books.now()).total_seconds()
                if wait > 0 and self._wake.wait(min(wait, 1.0)):
                    self._wake.clear()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: delivery.signature}
        try:
            answer = client.post(self.url, content=delivery.body, headers=headers)
            error = None if answer.is_success else f"HTTP {answer.status_code}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        now = self.books.now()
        if error is None:
            self.books.delivered(delivery.id, now=now)
            return
        backoff = min(self.retry_seconds * 2 ** min(delivery.attempts, 16), self.max_retry_seconds)
        logger.warning("notice %s not acknowledged (%s): retry in %.1f s", delivery.bank_txn_id, error, backoff)
        self.books.failed(delivery.id, error=error, retry_at=now + timedelta(seconds=backoff))


# --- the API ---------------------------------------------------------------------------------------------------------

Name = Annotated[str, Field(min_length=1, max_length=200)]
Fen = Annotated[StrictInt, Field(gt=0, le=MAX_FEN)]


class SubAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: Name
    name: Name


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idempotency_key: Annotated[str, Field(min_length=1, max_length=100)]
    from_sub_account: Name
    to_account: Name
    to_name: Name
    to_bank: Name
    principal_fen: Fen
    interest_fen: Annotated[StrictInt, Field(ge=0, le=MAX_FEN)] = 0
    purpose: Annotated[str, Field(max_length=200)] = ""


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sub_account: Name
    amount_fen: Fen
    payer_account: Name
    payer_name: Name
    payer_bank: Name


class ClockIn(BaseModel):
    """Exactly one of: move the clock forward by ``advance_seconds``, or set it to ``set_to``."""

    model_config = ConfigDict(extra="forbid")
    advance_seconds: float | None = Field(default=None, ge=0, le=400 * 86400)
    set_to: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one(self) -> ClockIn:
        if (self.advance_seconds is None) == (self.set_to is None):
            raise ValueError("give exactly one of advance_seconds and set_to")
        return self


def create_bank_app(
    books: BankBooks,
    *,
    notify_url: str | None,
    retry_seconds: float = 0.5,
    max_retry_seconds: float = 30.0,
    notify_timeout: float = 5.0,
) -> FastAPI:
    faults = Faults()
    notifier = (
        Notifier(
            books, notify_url, retry_seconds=retry_seconds, max_retry_seconds=max_retry_seconds, timeout=notify_timeout
        )
        if notify_url
        else None
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if notifier:
            notifier.start()
        try:
            yield
        finally:
            if notifier:
                notifier.stop()

    app = FastAPI(title="ggzy bank simulator", lifespan=lifespan)

    @app.middleware("http")
    async def inject_faults(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        taken = faults.take_call_fault(request.url.path)
        if taken is None:
            return await call_next(request)
        kind, fault = taken
        if kind == "fail":
            return JSONResponse({"code": "fault_injected", "message": "failing on demand"}, status_code=fault.status)
        if not fault.after:
            await asyncio.sleep(fault.seconds)
            return await call_next(request)
        response = await call_next(request)
        await asyncio.sleep(fault.seconds)  # the work is done; its answer comes too late to be heard
        return response

    @app.exception_handler(BankRefusal)
    async def refused(_: Request, error: BankRefusal) -> JSONResponse:
        return JSONResponse({"code": error.code, "message": error.message}, status_code=error.status)

    @app.get("/info")
    def info() -> dict[str, Any]:
        return {
            "bank": BANK_NAME,
            "settlement_account": books.settlement_account,
            "public_key": books.public_key,
            "signature_algorithm": SIGNATURE_ALGORITHM,
            "signature_header": SIGNATURE_HEADER,
            "now": encode_time(books.now()),
        }

    @app.post("/sub-accounts")
    def open_sub_account(body: SubAccountIn) -> dict[str, Any]:
        sub_account, new = books.open_sub_account(reference=body.reference, name=body.name, now=books.now())
        return encode_sub_account(sub_account) | {"new": new}

    @app.get("/sub-accounts/{number}")
    def sub_account_balance(number: str) -> dict[str, Any]:
        return {"number": number, "balance_fen": books.balance(number)}

    @app.post("/orders")
    def order(body: OrderIn) -> dict[str, Any]:
        return encode_receipt(books.order(RefundOrder(**body.model_dump()), now=books.now()))

    @app.get("/orders")
    def order_status(idempotency_key: Annotated[str, Query(min_length=1, max_length=100)]) -> dict[str, Any]:
        receipt = books.order_status(idempotency_key)
        if receipt is None:
            raise BankRefusal(404, "unknown_order", f"no order with idempotency key {idempotency_key}")
        return encode_receipt(receipt)

    @app.get("/statements/{day}")
    def statement(day: date) -> dict[str, Any]:
        return encode_statement(books.statement(day))

    @app.post("/teller/transfers")
    def transfer(body: TransferIn) -> dict[str, Any]:
        now = books.now()
        deliveries, release = faults.plan_notice(now)
        notice = books.credit(**body.model_dump(), now=now, deliveries=deliveries)
        if release:
            books.release_held(now=books.now(), reverse=True)
        if notifier:
            notifier.wake()
        return {"bank_txn_id": notice.bank_txn_id, "booked_at": encode_time(notice.booked_at)}

    @app.get("/admin/faults")
    def pending_faults() -> dict[str, Any]:
        return faults.describe()

    @app.post("/admin/faults")
    def inject(body: FaultsIn) -> dict[str, Any]:
        faults.inject(body)
        return faults.describe()

    @app.delete("/admin/faults")
    def clear_faults() -> dict[str, Any]:
        faults.clear()
        released = books.release_held(now=books.now(), reverse=False)
        if notifier and released:
            notifier.wake()
        return faults.describe() | {"released": released}

    @app.get("/admin/deliveries")
    def deliveries() -> list[dict[str, object]]:
        return books.deliveries()

    def clock_state() -> dict[str, Any]:
        latest = books.latest_booked()
        return {"now": encode_time(books.now()), "latest_booked_at": None if latest is None else encode_time(latest)}

    @app.get("/admin/clock")
    def read_clock() -> dict[str, Any]:
        return clock_state()

    @app.post("/admin/clock")
    def advance_clock(body: ClockIn) -> dict[str, Any]:
        if body.set_to is not None:
            books.set_clock(body.set_to)
        else:
            books.advance_clock(body.advance_seconds or 0.0)
        if notifier:
            notifier.wake()
        return clock_state()

    return app
