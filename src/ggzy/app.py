"""The application factory: mounts every router under /api/v1 and installs the shared machinery."""

from __future__ import annotations

import gc
import logging
import secrets
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from ggzy import __version__, wiring
from ggzy.auctions.api import router as auctions_router
from ggzy.awards.api import router as awards_router
from ggzy.complaints.api import router as complaints_router
from ggzy.config import Settings, get_settings
from ggzy.core.calendar_api import router as calendar_router
from ggzy.core.clock import Clock, SystemClock
from ggzy.core.db import make_engine, unit_of_work
from ggzy.core.instance import DemoMark
from ggzy.core.permissions import PermissionedRoute
from ggzy.core.problems import Problem, install_problem_handlers
from ggzy.core.web import BODY_LIMIT, BodyLimitMiddleware, CommitHeadersMiddleware, Public
from ggzy.credit.api import router as credit_router
from ggzy.documents.api import router as documents_router
from ggzy.documents.fonts import DocumentFontMissing, find_font
from ggzy.documents.keys import DocumentKeys
from ggzy.documents.service import MadeDocuments
from ggzy.entities.api import router as entities_router
from ggzy.entities.login import authenticate_request
from ggzy.evaluation.api import router as evaluation_router
from ggzy.experts.api import router as experts_router
from ggzy.finance.api import router as finance_router
from ggzy.finance.forfeiture_api import router as forfeiture_router
from ggzy.finance.guarantees_api import router as guarantees_router
from ggzy.finance.purpose_api import router as purpose_router
from ggzy.finance.worker import BankLink
from ggzy.ledger.api import router as ledger_router
from ggzy.ledger.service import LedgerKeys, after_commit_hook, catch_up, load_ledger_keys, promise_headers
from ggzy.portal import mount_portal
from ggzy.prequalification.api import router as prequalification_router
from ggzy.projects.api import router as projects_router
from ggzy.publishing.api import router as publishing_router
from ggzy.storage import BlobStore, LocalBlobStore, blob_store_for
from ggzy.storage.recovery import recover_at_start
from ggzy.supervision.api import router as supervision_router
from ggzy.supervision.board_api import router as supervision_board_router
from ggzy.supervision.inspections_api import router as inspections_router
from ggzy.supervision.tipoffs_api import router as tipoffs_router
from ggzy.tendering.api import router as tendering_router
from ggzy.venues.api import router as venues_router
from ggzy.venues.site_records_api import router as site_records_router
from ggzy.wiring import install_domains

API_PREFIX = "/api/v1"
logger = logging.getLogger(__name__)


def load_secret_key(settings: Settings) -> bytes:
    """The platform's secret for login nonces: kept in the data directory, created on first start."""
    path = Path(settings.data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return bytes.fromhex(path.read_text().strip())


def serve_app(clock: Clock | None = None) -> FastAPI:
    """The app as a server process runs it (uvicorn's factory in ``ggzy serve``, called once in each worker): built
    from the environment's settings, then its heap frozen out of the cyclic garbage collector. A full collection
    walks every object the collector tracks, and a built app is hundreds of thousands of them (modules, routes,
    mappers, templates) that live as long as the process: at 1,000 watchers of a live auction, each such collection
    stopped the event loop for 150–290 ms, every 40 s or so (bench/auction.py, the tail of its p99). Frozen, the
    collector walks only what serving made since."""
    app = create_app(clock=clock)
    gc.collect()  # what building left behind is collected, not kept for good
    gc.freeze()
    return app


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
    clock: Clock | None = None,
    secret_key: bytes | None = None,
    ledger_keys: LedgerKeys | None = None,
    blob_store: BlobStore | None = None,
) -> FastAPI:
    install_domains()
    settings = settings or get_settings()
    clock = clock or SystemClock()
    if ledger_keys is None:
        ledger_keys = load_ledger_keys(settings)
        if ledger_keys.custody_warning:
            logger.warning("WARNING: %s", ledger_keys.custody_warning)
    cadence = timedelta(seconds=settings.ledger_checkpoint_seconds)
    if session_factory is None:
        engine = engine or make_engine(settings.resolved_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        session_factory = wiring.session_factory(engine)
    app = FastAPI(
        title="ggzy — 公共资源交易平台",
        version=__version__,
        description=(
            "Open public resource trading platform. Every error is RFC 9457 problem+json with a stable `code` "
            "and messages in Chinese (`message_zh`) and English (`message_en`)."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served below from vendored files, with no CDN
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.router.route_class = PermissionedRoute
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.clock = clock
    app.state.ledger_keys = ledger_keys
    app.state.blob_store = blob_store or blob_store_for(settings)
    app.state.bank = BankLink(settings)  # the bank's adapter, made at first use (decision 0031)
    app.state.document_keys = DocumentKeys(settings)  # the PDF documents' signing key, read or made at first use
    app.state.made_documents = MadeDocuments()  # the PDFs made in the last minutes, by content
    try:
        find_font(settings.documents_font)
    except DocumentFontMissing as missing:
        logger.warning("WARNING: %s", missing.detail_en)
    app.state.demo_mark = DemoMark()  # a demo instance says so on every page and in the health answer
    # Events become provable within a second: the background beat integrates and checkpoints at the cadence; without
    # it (tests, embedded tools), each commit that recorded events integrates them at once. Integrating in every
    # request as well would queue concurrent writers on the ledger's head row (bench/submit.py).
    app.state.after_commit = (
        None if settings.ledger_background else after_commit_hook(ledger_keys, clock, min_interval=cadence)
    )
    app.state.commit_headers = promise_headers(ledger_keys, clock)
    app.state.secret_key = secret_key or load_secret_key(settings)
    app.state.authenticate = authenticate_request
    app.state.db_admission = weakref.WeakKeyDictionary()  # per event loop: ggzy.core.web.admission_tokens
    install_problem_handlers(app)
    app.add_middleware(CommitHeadersMiddleware)

    @app.get(f"{API_PREFIX}/health", tags=["health"], summary="Is the platform up, and its database?")
    def health(request: Request, _: Public) -> dict[str, Any]:
        """``demo`` is true on a demo instance: its data is fictitious and its passwords are public."""
        with unit_of_work(request.app.state.session_factory, read_only=True) as db:
            db.execute(text("SELECT 1"))
            dialect = db.get_bind().dialect.name
        demo = request.app.state.demo_mark(request.app.state.session_factory)
        return {"status": "ok", "version": __version__, "database": dialect, "demo": demo}

    _install_docs(app)
    # Routes are matched in this order, each request through every router before its own: a live auction's bids, the
    # hottest path of a rush (bench/auction.py), are matched first. No other route matches an auction's path
    # (tests/test_app.py), so the order changes nothing else.
    app.include_router(auctions_router, prefix=API_PREFIX)  # rights trades (0049)
    app.include_router(calendar_router, prefix=API_PREFIX)
    app.include_router(entities_router, prefix=API_PREFIX)
    app.include_router(projects_router, prefix=API_PREFIX)
    app.include_router(venues_router, prefix=API_PREFIX)
    app.include_router(site_records_router, prefix=API_PREFIX)  # on-site records (decision 0048)
    app.include_router(tendering_router, prefix=API_PREFIX)
    app.include_router(experts_router, prefix=API_PREFIX)
    app.include_router(evaluation_router, prefix=API_PREFIX)
    app.include_router(prequalification_router, prefix=API_PREFIX)
    app.include_router(ledger_router, prefix=API_PREFIX)
    app.include_router(publishing_router, prefix=API_PREFIX)
    app.include_router(awards_router, prefix=API_PREFIX)
    app.include_router(finance_router, prefix=API_PREFIX)
    app.include_router(guarantees_router, prefix=API_PREFIX)
    app.include_router(purpose_router, prefix=API_PREFIX)  # performance security and fees (0037)
    app.include_router(forfeiture_router, prefix=API_PREFIX)
    app.include_router(documents_router, prefix=API_PREFIX)
    app.include_router(complaints_router, prefix=API_PREFIX)
    app.include_router(supervision_router, prefix=API_PREFIX)
    app.include_router(supervision_board_router, prefix=API_PREFIX)
    app.include_router(inspections_router, prefix=API_PREFIX)
    app.include_router(tipoffs_router, prefix=API_PREFIX)
    app.include_router(credit_router, prefix=API_PREFIX)
    mount_portal(app)  # the portal takes "/"; the API docs stay at /docs
    # outermost of the app's own middleware: every body is limited before anything reads it
    app.add_middleware(BodyLimitMiddleware, max_bytes=BODY_LIMIT)
    _declare_problem_schema(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Before the server accepts requests: settle the uploads a crash left staged, mark a demo loaded before demo
    instances were marked (decision 0016); then the ledger's beat and, with a bank connected, the finance worker."""
    _recover_staged_uploads(app)
    _mark_old_demo(app)
    async with AsyncExitStack() as stack:
        if app.state.settings.ledger_background:
            await stack.enter_async_context(_ledger_publisher(app))
            if app.state.settings.auction_sweep_seconds > 0:
                await stack.enter_async_context(_auction_sweeper(app))
        if app.state.settings.bank_url:
            await stack.enter_async_context(_finance_worker(app))
        yield


@asynccontextmanager
async def _finance_worker(app: FastAPI) -> AsyncIterator[None]:
    """Open the sub-accounts asked for and send the refund orders to the bank at the worker's beat (decision 0031),
    in a thread of its own, the bank never called inside a transaction (ggzy.finance.worker)."""
    from ggzy.finance.worker import FinanceWorker, run_forever

    state = app.state

    def worker() -> FinanceWorker:
        return FinanceWorker(state.session_factory, state.bank.adapter(), state.clock, after_commit=state.after_commit)

    def run(stop: threading.Event) -> None:
        run_forever(make_worker=worker, period=state.settings.bank_worker_seconds, stop=stop)

    try:
        async with _threads(("ggzy-finance-worker", run)):
            yield
    finally:
        state.bank.close()


@asynccontextmanager
async def _threads(*threads: tuple[str, Callable[[threading.Event], None]]) -> AsyncIterator[None]:
    """Daemon threads for the app's life, each ``run(stop)`` until ``stop`` is set as the app stops (then joined,
    15 s each): the ledger's beat, the witnesses', the finance worker, the auction sweeper."""
    stop = threading.Event()
    started = [threading.Thread(target=run, args=(stop,), name=name, daemon=True) for name, run in threads]
    for thread in started:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in started:
            thread.join(timeout=15)


def _recover_staged_uploads(app: FastAPI) -> None:
    store = app.state.blob_store
    if not isinstance(store, LocalBlobStore):
        return
    grace = timedelta(hours=app.state.settings.storage_recovery_grace_hours)
    # The files' modification times are the real clock's, whatever clock the app runs on.
    recover_at_start(app.state.session_factory, store, now=SystemClock().now(), grace=grace)


def _mark_old_demo(app: FastAPI) -> None:
    from ggzy.demo import mark_old_demo_at_start

    state = app.state
    mark_old_demo_at_start(state.session_factory, data_dir=Path(state.settings.data_dir), now=state.clock.now())


@asynccontextmanager
async def _ledger_publisher(app: FastAPI) -> AsyncIterator[None]:
    """Catch up the ledger at the cadence, so the last events of a quiet moment get their checkpoint too."""
    state = app.state
    period = state.settings.ledger_checkpoint_seconds

    def run(stop: threading.Event) -> None:
        while not stop.wait(period):
            try:
                catch_up(state.session_factory, state.ledger_keys, state.clock)
            except Exception:
                logger.exception("ledger catch-up failed; retrying at the next beat")

    def witnesses(stop: threading.Event) -> None:
        _witness_beat(app, stop)

    threads = [("ggzy-ledger", run), *([("ggzy-witness", witnesses)] if state.settings.witness_urls else [])]
    async with _threads(*threads):
        yield


@asynccontextmanager
async def _auction_sweeper(app: FastAPI) -> AsyncIterator[None]:
    """The deposits of rights trades whose bidding ended, released by the platform at its beat (decision 0053: the
    other bidders' 24 hours run from the end, whether or not anyone clicks), in a thread of its own."""
    from ggzy.auctions.service import release_ended

    state = app.state

    def run(stop: threading.Event) -> None:
        while not stop.wait(state.settings.auction_sweep_seconds):
            try:
                with unit_of_work(state.session_factory, after_commit=state.after_commit) as db:
                    release_ended(db, now=state.clock.now())
            except Exception:
                logger.exception("releasing the deposits of ended rights trades failed; retrying at the next beat")

    async with _threads(("ggzy-auction-sweep", run)):
        yield


def _witness_beat(app: FastAPI, stop: threading.Event) -> None:
    """Send each new checkpoint to the witnesses, in a thread of its own: a slow witness delays no checkpoint."""
    from ggzy.ledger.witnessing import WitnessClient, send_to_witnesses

    state = app.state
    clients = [WitnessClient(url) for url in state.settings.witness_urls]
    while not stop.wait(state.settings.ledger_checkpoint_seconds):
        send_to_witnesses(state.session_factory, state.ledger_keys, clients, now=state.clock.now())


def _install_docs(app: FastAPI) -> None:
    """Interactive API docs at /docs from Swagger UI files shipped in a package (works offline)."""
    static = files("fastapi_offline") / "static"
    app.mount("/static/docs", StaticFiles(directory=str(static)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs(_: Public) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json",
            title="ggzy API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="data:,",
        )


def _declare_problem_schema(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(problem.pop("$defs", {}))  # FieldProblem, referenced from Problem's errors
        components["Problem"] = problem
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
