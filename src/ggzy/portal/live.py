"""The live opening hall (开标大厅): every opening, watchable by any visitor without logging in.

``/openings`` lists the openings of the coming days and the last ones; ``/openings/{tender_id}`` is one hall: the
countdown to the bid deadline in server time (China Standard Time), then the bidders' decryption progress as it
happens, then the opening record read out line by line (唱标). The page is rendered with everything already in the
ledger, and ``/openings/{tender_id}/events`` streams what follows as Server-Sent Events, each with its ledger index as
``id`` (see ``ggzy.portal.live_feed``). ``?replay=1`` starts the page empty and streams the opening from its start.

Nothing in the hall says who registered or bid, or how many, before the opening starts (招标投标法 第22条): the page
reads only the tender and the disclosed opening events, which do not exist before the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.types import Message, Receive, Scope, Send

from ggzy.core.db import unit_of_work
from ggzy.core.errors import NotFound
from ggzy.core.inputs import BIGINT_MAX, Ascii, Id
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, Public
from ggzy.portal import views
from ggzy.portal.i18n import Language, choose_language, translations
from ggzy.portal.live_feed import Beat, HallEvent, LiveHub, Topic, Watcher, hall_events
from ggzy.portal.rendering import PageRoute, _language_filters, _overlay, render
from ggzy.tendering.lifecycle import stage_of
from ggzy.tendering.service import get_tender, project_of
from ggzy.venues import service as venues

if TYPE_CHECKING:  # the tender the tendering service hands over; its table is never read here
    from ggzy.tendering.models import Tender

# The parameters of every hall's stream (the opening's, the auction's)
AfterIndex = Annotated[
    int, Query(ge=-1, le=BIGINT_MAX, description="The last ledger index already shown; -1 for the start")
]
LastEventId = Annotated[Ascii | None, Header(description="Sent by a reconnecting EventSource")]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

RETRY_MS = 2000  # how soon a browser reconnects after the stream breaks
READ_OUT_MS = 700  # the pace of the 唱标 in the browser, line by line
STILL_UPCOMING = timedelta(hours=4)  # an opening this recent is listed with the coming ones: it may be under way


def live_hub(app: FastAPI) -> LiveHub:
    """The process's one hub (created at first use)."""
    hub: LiveHub | None = getattr(app.state, "live_hub", None)
    if hub is None:
        hub = app.state.live_hub = LiveHub(app.state.session_factory)
    return hub


def hall_fragment(template: str, item: HallEvent, language: Language) -> str:
    """The HTML of one event of a hall (``template``: the opening's, the auction's), in ``language``: what the page
    shows and what the stream sends."""
    catalogue = translations(language)
    return (
        _overlay(language)
        .get_template(template)
        .render(
            item=item,
            lang=language,
            _=catalogue.gettext,
            gettext=catalogue.gettext,
            ngettext=catalogue.ngettext,
            **_language_filters(language),
        )
        .strip()
    )


def hall_message(template: str, item: HallEvent, language: str) -> bytes:
    """``id`` (the ledger index), ``event: hall`` and the fragment as data lines (RFC: a data line has no newline)."""
    html = hall_fragment(template, item, "en" if language == "en" else "zh")
    data = "".join(f"data: {line}\n" for line in html.splitlines() if line.strip())
    return f"id: {item.index}\nevent: hall\n{data}\n".encode()


def fragment(item: HallEvent, language: Language) -> str:
    return hall_fragment("live_event.html", item, language)


def sse_message(item: HallEvent, language: str) -> bytes:
    return hall_message("live_event.html", item, language)


def _published_tender(db: Session, tender_id: int) -> Tender:
    tender = get_tender(db, tender_id)
    if tender.published_at is None:  # a draft has no hall (nor any other public page)
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    return tender


@router.get("/openings", summary="Live opening hall: the openings of the coming days and the last ones")
def openings(request: Request, db: DB, _: Public, now: Now) -> HTMLResponse:
    upcoming, recent, unopened = views.openings_around(db, since=now - STILL_UPCOMING, limit=30)
    context = {"active": "openings", "upcoming": upcoming, "recent": recent, "unopened": unopened}
    return render(request, "live_openings.html", context)


@router.get(
    "/openings/{tender_id}",
    summary="One live opening: countdown, decryption progress, the opening record read out (唱标)",
    responses=problem_responses(NotFound),
)
def opening_hall(
    request: Request,
    tender_id: Id,
    db: DB,
    _: Public,
    now: Now,
    replay: Annotated[bool, Query(description="Start empty and read the opening out again from its start")] = False,
) -> HTMLResponse:
    tender = _published_tender(db, tender_id)
    project, lot = project_of(db, tender)
    items = [] if replay else hall_events(db, after=-1, tender_id=tender.id)
    language = choose_language(request).language
    after = items[-1].index if items else -1
    return render(
        request,
        "live_hall.html",
        {
            "active": "openings",
            "tender": tender,
            "project": project,
            "lot": lot,
            "stage": stage_of(tender, now).value,
            "lines": [fragment(item, language) for item in items],
            "total": next((i.payload.get("bids") for i in items if i.action == "opening.started"), None),
            "decrypted": sum(i.action in ("bid.decrypted", "bid.opened_by_custodians") for i in items),
            "stream": f"/openings/{tender.id}/events?after={after}&lang={language}",
            "pace": READ_OUT_MS,
            "replay": replay,
            "opening_room": venues.opening_room(db, tender.id),  # public; an evaluation room never is
        },
    )


@router.get(
    "/openings/{tender_id}/events",
    summary="The opening as Server-Sent Events: id = ledger index; resumes after Last-Event-ID or ?after",
    response_class=StreamingResponse,
    response_model=None,  # a HallStream: the events, not a model
    responses={200: {"content": {"text/event-stream": {}}}, **problem_responses(NotFound)},
)
async def opening_events(
    request: Request,
    tender_id: Id,
    _: Public,
    after: AfterIndex = -1,
    last_event_id: LastEventId = None,
) -> HallStream:
    # No request-long unit of work here: a thousand watchers connecting at once must not hold the threadpool and the
    # connection pool (each would wait for the other); every read is a short one on the event loop's executor.
    factory = request.app.state.session_factory
    await asyncio.to_thread(_check_published, factory, tender_id)
    return event_stream(
        request,
        topic=("tender", tender_id),
        after=resume_after(after, last_event_id),
        history=lambda after: _history(factory, tender_id, after),
        render=sse_message,
    )


def resume_after(after: int, last_event_id: str | None) -> int:
    """Where a stream resumes: after the ``Last-Event-ID`` a reconnecting browser sends, else after ``?after``.
    ASCII digits only, and within a ledger index ("²".isdigit() is true, and int() refuses it)."""
    if last_event_id is not None and re.fullmatch(r"[0-9]{1,18}", last_event_id.strip()):
        return int(last_event_id)
    return after


def event_stream(
    request: Request,
    *,
    topic: Topic,
    after: int,
    history: Callable[[int], list[HallEvent]],
    render: Callable[[HallEvent, str], bytes],
    clock_each: bool = False,
) -> HallStream:
    """The SSE response of one hall (an opening's or an auction's), fed by the process's one hub."""
    return HallStream(
        live_hub(request.app),
        topic,
        after=after,
        language=choose_language(request).language,
        now=request.app.state.clock.now,
        history=history,
        render=render,
        clock_each=clock_each,
    )


class HallStream(Response):
    """One watcher's stream: subscribe first, then catch up from the database, then follow the hub; the index orders
    and de-duplicates the two, so a line committed while catching up is sent exactly once. ``clock_each``: the
    server's time before every live event too (an auction's countdown is resynchronised with each bid).

    Lean on purpose, as a thousand of these run at once (bench/auction.py). Once caught up, the stream's task only
    waits: the hub writes each event to its socket at once (:meth:`_write`, a frame rendered once for all), and only
    a write the socket cannot take at once (the client reads slowly) is finished by the task, which then takes the
    events queued meanwhile in order. The keep-alive is the hub's one beat, not a timer per watcher, and a disconnect
    is one idle wait on ``receive`` that ends the queue."""

    media_type = "text/event-stream"

    def __init__(
        self,
        hub: LiveHub,
        topic: Topic,
        *,
        after: int,
        language: str,
        now: Callable[[], datetime],
        history: Callable[[int], list[HallEvent]],
        render: Callable[[HallEvent, str], bytes],
        clock_each: bool,
    ) -> None:
        self.status_code, self.background = 200, None  # no body of its own, hence no Content-Length:
        self.init_headers({"cache-control": "no-cache", "x-accel-buffering": "no"})  # (Response.__init__ would set one)
        self.hub, self.topic, self.after, self.language = hub, topic, after, language
        self.now, self.history, self.render_frame, self.clock_each = now, history, render, clock_each
        self.sent = after  # the index of the last event written

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub = self.hub
        watcher = await hub.subscribe(self.topic[1], self.topic[0])
        gone = asyncio.create_task(_until_disconnected(receive, hub, watcher))
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            await send(_body(f"retry: {RETRY_MS}\n".encode() + _clock(self.now)))
            for item in await asyncio.to_thread(self.history, self.after):
                await send(_body(hub.frame(item, self.language, self.render_frame)))
                self.sent = item.index
            self._send, self._context, self._watcher = send, contextvars.copy_context(), watcher
            queue = watcher.queue
            while True:
                if queue.empty():
                    watcher.write = self._write  # nothing left behind: the hub may write at once
                latest = await queue.get()
                watcher.write = None
                if latest is None:  # too far behind, or gone: end; a browser reconnects with Last-Event-ID
                    return
                if isinstance(latest, HallEvent | Beat):
                    chunk = self._chunk(latest)
                    if chunk is not None:
                        await send(_body(chunk))
                else:
                    await latest  # the rest of a write the socket could not take at once
        finally:
            watcher.write = None
            gone.cancel()
            hub.unsubscribe(watcher)
            while not watcher.queue.empty():  # a write left unfinished (the stream cancelled): closed, not leaked
                left = watcher.queue.get_nowait()
                if isinstance(left, Coroutine):
                    left.close()

    def _chunk(self, item: HallEvent | Beat) -> bytes | None:
        """What ``item`` sends: the clock for a beat; an event's frame once (None if already sent). The clock is
        read as this watcher is written to: one that lags is not given an old time."""
        if isinstance(item, Beat):
            return _clock(self.now)  # keeps proxies open; resyncs the countdown
        if item.index <= self.sent:
            return None
        self.sent = item.index
        frame = self.hub.frame(item, self.language, self.render_frame)
        return _clock(self.now) + frame if self.clock_each else frame

    def _write(self, item: HallEvent | Beat) -> None:
        """The hub's write of ``item`` while the stream waits: run the ASGI ``send`` at once, in the stream's own
        context, up to its end — or, when the socket is full (the server's flow control makes ``send`` wait), up
        to that wait: the rest goes to the queue for the stream's task, and later items queue behind it."""
        watcher = self._watcher
        try:
            chunk = self._chunk(item)
            if chunk is None:
                return
            rest = self._context.run(_started, self._send(_body(chunk)), self._context)
        except (Exception, asyncio.CancelledError):  # a failed write ends this stream only, never the hub's loop
            # (the browser reconnects and catches up)
            logger.debug("a live stream's write failed; ending it", exc_info=True)
            watcher.write = None
            self.hub.unsubscribe(watcher)
            watcher.queue.put_nowait(None)
            return
        if rest is not None:
            watcher.write = None
            watcher.queue.put_nowait(rest)


def _started(write: Awaitable[None], context: contextvars.Context) -> Awaitable[None] | None:
    """Run ``write`` (an ASGI send: a coroutine) up to its first wait: None if it ended without one (a socket that
    takes the bytes: the usual case), else an awaitable of the rest, which goes on in the same ``context``."""
    if not isinstance(write, Coroutine):  # another kind of awaitable: awaited whole, by the stream's task
        return write
    coroutine = write
    try:
        waiting = coroutine.send(None)
    except StopIteration:
        return None
    return _rest(coroutine, waiting, context)


async def _rest(coroutine: Coroutine[Any, Any, None], waiting: Any, context: contextvars.Context) -> None:
    """Go on with a coroutine stopped at ``waiting`` (what it yielded: an asyncio future, or None for a bare yield),
    as a task would: wait for it, then resume the coroutine — with the error, if waiting failed. (A future yielded
    to a task says so by ``_asyncio_future_blocking``, which the task clears before it waits: so here.)"""
    while True:
        error: BaseException | None = None
        try:
            if waiting is None:
                await asyncio.sleep(0)
            else:
                waiting._asyncio_future_blocking = False
                await waiting
        except BaseException as failure:  # (cancelled too: the coroutine gets to clean up)
            error = failure
        try:
            # in the context the write began in (nothing else enters it meanwhile: the hub writes to this stream
            # again only once the stream's task has finished this)
            waiting = context.run(coroutine.send, None) if error is None else context.run(coroutine.throw, error)
        except StopIteration:
            return


def _body(chunk: bytes) -> Message:
    return {"type": "http.response.body", "body": chunk, "more_body": True}


async def _until_disconnected(receive: Receive, hub: LiveHub, watcher: Watcher) -> None:
    """Ends the watcher's stream when its client goes — or when reading from the client fails (a GET declaring a body
    beyond the limit is refused at the first read: security review H1, a watcher left writing to no one for good)."""
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
    finally:
        watcher.write = None
        hub.unsubscribe(watcher)
        with contextlib.suppress(asyncio.QueueFull):  # full: it ends with the hub's None already
            watcher.queue.put_nowait(None)


def _check_published(factory: Any, tender_id: int) -> None:
    with unit_of_work(factory, read_only=True) as db:
        _published_tender(db, tender_id)


def _clock(now: Callable[[], datetime]) -> bytes:
    return f"event: clock\ndata: {_iso(now())}\n\n".encode()


def _history(factory: Any, tender_id: int, after: int) -> list[HallEvent]:
    with unit_of_work(factory, read_only=True) as db:
        return hall_events(db, after=after, tender_id=tender_id)


def _iso(moment: datetime) -> str:
    return moment.isoformat()
