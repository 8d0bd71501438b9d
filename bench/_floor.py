"""The floor of ``bench/submit.py``: what receiving a 1 MB upload over HTTP in uvicorn costs, with nothing of ggzy.

Two ASGI apps, served exactly as the product is (uvicorn, ``--factory``, the same workers), answering 201 with a small
JSON body:

- ``raw``: reads the request body and writes it once to a file in ``GGZY_DATA_DIR/floor``, fsynced and renamed into
  place (the one durable write a submission cannot avoid). No framework, no parsing of the multipart body.
- ``fastapi``: a FastAPI endpoint taking the ``envelope`` as ``UploadFile`` (Starlette's multipart parser and its
  spooled temporary file), copied and fsynced the same way — the framework's share of the cost.

``bench/submit.py --floor raw|fastapi`` runs the same load against them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, UploadFile

_ANSWER = b'{"received": true}'


def _directory() -> Path:
    path = Path(os.environ["GGZY_DATA_DIR"]) / "floor"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _durable_write(directory: Path, pieces: list[bytes] | Any) -> None:
    name = directory / f"{secrets.token_hex(16)}.part"
    with name.open("wb") as file:
        for piece in pieces:
            file.write(piece)
        file.flush()
        os.fsync(file.fileno())
    name.rename(name.with_suffix(".bid"))


def raw() -> Callable[..., Awaitable[None]]:
    directory = _directory()

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                while True:
                    kind = (await receive())["type"]
                    await send({"type": f"{kind}.complete"})
                    if kind == "lifespan.shutdown":
                        break
            return
        pieces = []
        while True:
            message = await receive()
            pieces.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        status = 200
        if scope["method"] == "POST":
            _durable_write(directory, pieces)
            status = 201
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": _ANSWER})

    return app


def fastapi() -> FastAPI:
    directory = _directory()
    app = FastAPI()

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/tenders/{tender_id}/bids", status_code=201)
    def submit(tender_id: int, envelope: UploadFile) -> dict[str, bool]:
        envelope.file.seek(0)
        _durable_write(directory, iter(lambda: envelope.file.read(1024 * 1024), b""))
        return {"received": True}

    return app
