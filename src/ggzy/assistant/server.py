"""The assistant's HTTP side: the API the paired portal's pages call, and the consent pages the user answers.

``/v1/…`` answers the paired origins only (``Origin`` checked on every request, the CORS preflight included, with
``Access-Control-Allow-Private-Network`` for Chrome's private network access). Any other origin, or none, gets a
problem+json refusal and no ``Access-Control-Allow-*`` header, so its page cannot even read the refusal.

Every ``/v1/…`` call but the handshake (``/v1/hello``, ``/v1/session``: :mod:`ggzy.assistant.pairing`) must also
carry the session the page earned by proving the portal's pairing code: the ``Origin`` header alone can be written by
any program on the computer.

``/consent/…`` is the assistant's own page, on its own origin: the portal's script opens it in a popup but cannot
read it (no CORS), frame it (``frame-ancestors 'none'``) or answer it (the decision must come from a form of the
consent page itself: its ``Origin`` is the assistant's and it carries a token only that page holds).

Every request's ``Host`` must be the loopback address the assistant listens on (no DNS rebinding).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

from ggzy.assistant.home import AssistantHome, normalise_origin
from ggzy.assistant.operations import ClientRefusal, Operations
from ggzy.assistant.pairing import Handshakes
from ggzy.assistant.requests import AssistantRequest, Status
from ggzy.bidclient import BidClientError
from ggzy.core.errors import PROBLEM_CONTENT_TYPE, DomainError
from ggzy.crypto import KeyAlgorithm

# What a bid may weigh here: the platform's own limit is checked again when the envelope is uploaded.
MAX_FILES_BYTES = 512 * 1024 * 1024

_TEMPLATES = Environment(
    loader=PackageLoader("ggzy.assistant", "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
)
# The consent page's one script: Approve is armed only after the page has been visible for a second, and disarmed
# again for a second whenever the window loses focus, is hidden or comes back: a page that opened the popup cannot
# slide it under a click meant for something else (double-click-jacking; a security review's finding). The script is
# allowed by its digest, and nothing else may run.
ARMING_SCRIPT = (
    "(function(){var buttons=document.querySelectorAll('button[data-arm]');var timer=null;"
    "function disarm(){buttons.forEach(function(b){b.disabled=true;});clearTimeout(timer);timer=setTimeout(arm,1000);}"
    "function arm(){if(document.visibilityState!=='visible'){timer=setTimeout(arm,250);return;}"
    "buttons.forEach(function(b){b.disabled=false;});}"
    "disarm();document.addEventListener('visibilitychange',disarm);window.addEventListener('blur',disarm);"
    "window.addEventListener('focus',disarm);})();"
)
_ARMING_DIGEST = base64.b64encode(hashlib.sha256(ARMING_SCRIPT.encode()).digest()).decode()
_CONSENT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    f"script-src 'sha256-{_ARMING_DIGEST}'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # not no-referrer: a form of the page would then send Origin: null
}


class OriginNotPaired(DomainError):
    code = "assistant_origin_not_paired"
    status = 403
    message_zh = "投标助手未与 {origin} 配对，拒绝其请求。只有启动助手时用 --portal 指定的交易平台可以使用它。"
    message_en = (
        "The assistant is not paired with {origin} and refuses it; only the portals given with --portal may use it."
    )


class HostRefused(DomainError):
    code = "assistant_host_refused"
    status = 421
    message_zh = "投标助手只回应发给本机地址的请求"
    message_en = "The assistant answers requests addressed to the loopback address only"


class ConsentForged(DomainError):
    code = "assistant_consent_forged"
    status = 403
    message_zh = "同意只能在投标助手自己的确认页面上作出"
    message_en = "Consent is given on the assistant's own page only"


def _problem(error: DomainError, instance: str) -> JSONResponse:
    return JSONResponse(error.problem(instance), status_code=error.status, media_type=PROBLEM_CONTENT_TYPE)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nonce: str = Field(max_length=200)


class DecryptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tender_url: str = Field(max_length=500)
    tender_title: str = Field(default="", max_length=500)
    ciphertext_sha256: str = Field(pattern="^[0-9a-fA-F]{64}$")


class ShareReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tender_url: str = Field(max_length=500)
    suite: str = Field(pattern="^(gm|intl)$")
    share_index: int = Field(ge=1, le=255)
    encrypted_share: str = Field(max_length=2000)


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    challenge: str = Field(max_length=100)
    answer: str = Field(max_length=100)


class ScoreSheetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(max_length=20000)


def create_assistant_app(operations: Operations, *, port: int) -> FastAPI:
    """The app; ``port`` is the one it listens on (for the ``Host`` check and its own origin)."""
    home: AssistantHome = operations.home
    book = operations.book
    own_origin = f"http://127.0.0.1:{port}"
    # 127.0.0.1 only, the one address it listens on: ``localhost`` may resolve to ::1 first, where another user's
    # program could listen and relay to it with the Host header unchanged (a security review's finding)
    allowed_hosts = {f"127.0.0.1:{port}"}
    handshakes = Handshakes()
    unlogged: dict[tuple[str, str], tuple[int, int]] = {}  # (event, origin) → (minute last logged, refusals since)

    def log_refusal(event: str, origin: str, **details: Any) -> None:
        """A refusal, logged once a minute per origin with how many there were: anything that reaches the port can
        make refusals, and the append-only log must not fill the disk with them (a security review's finding)."""
        now = operations.clock.now()
        minute = int(now.timestamp()) // 60
        last, since = unlogged.get((event, origin), (-1, 0))
        if last == minute:
            unlogged[(event, origin)] = (last, since + 1)
            return
        if len(unlogged) > 10_000:
            unlogged.clear()
        unlogged[(event, origin)] = (minute, 0)
        home.log(now, event, origin=origin, refused_before_unlogged=since, **details)

    open_paths = {"/v1/hello", "/v1/session"}  # the handshake itself; everything else needs its session
    app = FastAPI(title="ggzy 投标助手", openapi_url=None, docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.headers.get("host") not in allowed_hosts:
            return _problem(HostRefused(), request.url.path)
        if not request.url.path.startswith("/v1/"):
            return await call_next(request)
        origin = request.headers.get("origin")
        if not home.is_paired(origin):
            # cut to size: any web page can make refused requests, and the log must not fill the disk with them
            log_refusal("refused_origin", (origin or "")[:200], path=request.url.path[:200])
            return _problem(OriginNotPaired(origin=origin or "（无来源 / no Origin）"), request.url.path)
        assert origin is not None
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if request.method == "OPTIONS":  # the preflight: a paired origin may send JSON and its session, and read
            headers = cors | {
                "Access-Control-Allow-Methods": "GET, POST",
                "Access-Control-Allow-Headers": "Content-Type, Authorization",
                "Access-Control-Max-Age": "600",
            }
            if request.headers.get("access-control-request-private-network") == "true":
                headers["Access-Control-Allow-Private-Network"] = "true"
            return Response(status_code=204, headers=headers)
        if request.url.path not in open_paths:
            try:
                handshakes.check(
                    request.headers.get("authorization"),
                    portal=normalise_origin(origin),
                    now=operations.clock.now(),
                )
            except DomainError as error:  # readable by the paired page, which then makes the handshake again
                refused = _problem(error, request.url.path)
                refused.headers.update(cors | {"Cache-Control": "no-store"})
                return refused
        response = await call_next(request)
        response.headers.update(cors | {"Cache-Control": "no-store"})
        return response

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        return _problem(error, request.url.path)

    @app.exception_handler(BidClientError)
    async def client_error(request: Request, error: BidClientError) -> Response:
        return _problem(ClientRefusal(error), request.url.path)

    def started(request: AssistantRequest) -> dict[str, Any]:
        return {**request.answer(), "consent_url": f"{own_origin}/consent/{request.id}"}

    def origin_of(request: Request) -> str:
        return str(request.headers["origin"])

    @app.get("/v1/hello")
    def hello(request: Request, challenge: Annotated[str, Query(min_length=16, max_length=100)]) -> dict[str, str]:
        portal = normalise_origin(origin_of(request))
        code = home.pairing_code(portal)
        assert code is not None  # the guard let a paired origin only through
        return handshakes.hello(
            code=code, portal=portal, assistant_origin=f"http://{request.headers['host']}", challenge=challenge,
            now=operations.clock.now(),
        )  # fmt: skip

    @app.post("/v1/session")
    def open_session(body: SessionIn, request: Request) -> dict[str, object]:
        portal = normalise_origin(origin_of(request))
        code = home.pairing_code(portal)
        assert code is not None
        try:
            return handshakes.open_session(
                code=code, portal=portal, challenge=body.challenge, answer=body.answer, now=operations.clock.now()
            )
        except DomainError:
            log_refusal("refused_pairing", portal)
            raise

    @app.get("/v1/status")
    def status() -> dict[str, Any]:
        certificate = operations.keys.certificate
        public_key = certificate.public_key
        return {
            "assistant": "ggzy",
            "subject": certificate.subject,
            "suite": certificate.suite.value,
            "fingerprint": public_key.fingerprint,  # SHA-256 of the SubjectPublicKeyInfo, as signing keys are named
            # a P-256 key signs score sheets (ggzy.evaluation.signing): what an expert page enrols
            "score_sheet_key": base64.b64encode(public_key.to_der()).decode("ascii")
            if public_key.algorithm is KeyAlgorithm.P256
            else None,
        }

    @app.post("/v1/login", status_code=202)
    def login(body: LoginIn, request: Request) -> dict[str, Any]:
        return started(operations.login(origin_of(request), nonce=body.nonce))

    @app.post("/v1/seal", status_code=202)
    async def seal(
        request: Request,
        tender_url: Annotated[str, Form(max_length=500)],
        summary: Annotated[str, Form(max_length=100_000)],
        files: Annotated[list[UploadFile], File()],
        tender_title: Annotated[str, Form(max_length=500)] = "",
    ) -> dict[str, Any]:
        contents: dict[str, bytes] = {}
        total = 0
        for upload in files:
            data = await upload.read()
            total += len(data)
            if total > MAX_FILES_BYTES:
                raise BidClientError("files_too_large", "投标文件过大", "the bid's files are too large")
            name = upload.filename or ""
            if name in contents:
                raise BidClientError("file_name_repeated", f"投标文件名重复：{name}", f"two bid files are named {name}")
            contents[name] = data
        made = operations.seal(
            origin_of(request), tender_url=tender_url, tender_title=tender_title,
            summary=summary.encode("utf-8"), files=contents,
        )  # fmt: skip
        return started(made)

    @app.post("/v1/decrypt", status_code=202)
    def decrypt(body: DecryptIn, request: Request) -> dict[str, Any]:
        made = operations.decrypt(
            origin_of(request), tender_url=body.tender_url, tender_title=body.tender_title,
            ciphertext_sha256=body.ciphertext_sha256,
        )  # fmt: skip
        return started(made)

    @app.post("/v1/share-release", status_code=202)
    def share_release(body: ShareReleaseIn, request: Request) -> dict[str, Any]:
        made = operations.release_share(
            origin_of(request), tender_url=body.tender_url, suite=body.suite, share_index=body.share_index,
            encrypted_share=body.encrypted_share,
        )  # fmt: skip
        return started(made)

    @app.post("/v1/score-sheet", status_code=202)
    def score_sheet(body: ScoreSheetIn, request: Request) -> dict[str, Any]:
        return started(operations.sign_score_sheet(origin_of(request), message=body.message))

    @app.post("/v1/report", status_code=202)
    def report(body: ScoreSheetIn, request: Request) -> dict[str, Any]:  # the same body: the text to sign
        return started(operations.sign_report(origin_of(request), message=body.message))

    def asked_by(request_id: str, request: Request) -> AssistantRequest:
        found = book.get(request_id, operations.clock.now())
        if found.purpose.platform != origin_of(request):  # one portal never sees another's requests
            raise OriginNotPaired(origin=origin_of(request))
        return found

    @app.get("/v1/requests/{request_id}")
    def request_status(request_id: str, request: Request) -> dict[str, Any]:
        return asked_by(request_id, request).answer()

    @app.post("/v1/requests/{request_id}/cancel")
    def cancel(request_id: str, request: Request) -> dict[str, Any]:
        found = asked_by(request_id, request)
        book.cancel(found, operations.clock.now())
        return found.answer()

    @app.get("/v1/requests/{request_id}/envelope")
    def envelope(request_id: str, request: Request) -> FileResponse:
        path = book.take_envelope(asked_by(request_id, request), operations.clock.now())
        return FileResponse(path, media_type="application/octet-stream", filename="BID.ggzy")

    # --- the consent pages (the assistant's own origin) ---------------------------------------------------------

    def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = _TEMPLATES.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status_code, headers=_CONSENT_HEADERS)

    @app.get("/consent/{request_id}")
    def consent_page(request_id: str) -> HTMLResponse:
        found = book.get(request_id, operations.clock.now())
        return page(
            "consent.html", request=found, key=operations.keys, pending=found.status is Status.PENDING,
            arming_script=ARMING_SCRIPT,
        )  # fmt: skip

    @app.post("/consent/{request_id}")
    def consent_decision(
        request_id: str,
        request: Request,
        consent_token: Annotated[str, Form(max_length=100)],
        decision: Annotated[str, Form(pattern="^(approve|decline)$")],
    ) -> HTMLResponse:
        found = book.get(request_id, operations.clock.now())
        if request.headers.get("origin") != own_origin or consent_token != found.consent_token:
            origin = request.headers.get("origin")
            home.log(operations.clock.now(), "refused_consent", request=request_id, origin=origin)
            raise ConsentForged()
        book.decide(found, approve=decision == "approve", now=operations.clock.now())
        return page("consent.html", request=found, key=operations.keys, pending=False)

    @app.get("/", include_in_schema=False)
    def root() -> HTMLResponse:
        # what any program on the computer may read: that it runs, nothing of the key or the pairings
        return page("consent.html", request=None, key=operations.keys)

    return app
