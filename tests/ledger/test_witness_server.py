"""`ggzy witness run` cosigns the checkpoints of a running server over HTTP, and the server serves the cosignature."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from pathlib import Path

import uvicorn
from sqlalchemy import Engine
from typer.testing import CliRunner

from ggzy.app import create_app
from ggzy.cli import app as cli
from ggzy.config import Settings
from ggzy.demo import DEMO_PASSWORD, load_demo
from ggzy.ledger.note import open_note, parse_verifier_key
from tests.conftest import LEDGER_KEYS, demo_parts


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(url: str, *, body: dict | None = None, token: str | None = None) -> dict:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=10) as response:
        return json.loads(response.read())


def test_witness_cosigns_a_running_server(fresh_engine: Engine, tmp_path: Path) -> None:
    load_demo(fresh_engine, directory=tmp_path / "demo", **demo_parts(tmp_path))
    settings = Settings(data_dir=tmp_path, ledger_background=True, ledger_checkpoint_seconds=0.2)
    application = create_app(settings, engine=fresh_engine, ledger_keys=LEDGER_KEYS)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        time.sleep(0.5)  # the background beat integrates the demo and publishes a checkpoint
        token = _request(f"{base}/auth/password-login", body={"username": "admin", "password": DEMO_PASSWORD})["token"]

        runner = CliRunner()
        key = tmp_path / "witness.pem"
        keygen = runner.invoke(cli, ["witness", "keygen", "--name", "witness.notary.test", "--key", str(key)])
        assert keygen.exit_code == 0, keygen.output
        verifier_key = keygen.output.strip()
        _request(
            f"{base}/ledger/witnesses", body={"name": "witness.notary.test", "verifier_key": verifier_key}, token=token
        )

        arguments = ["witness", "run", "--url", base, "--name", "witness.notary.test", "--key", str(key)]
        for platform_key in LEDGER_KEYS.verifier_keys:
            arguments += ["--platform-key", platform_key]
        arguments += ["--state", str(tmp_path / "state.json")]
        result = runner.invoke(cli, arguments)
        assert result.exit_code == 0, result.output
        assert "cosigned size" in result.output

        with urllib.request.urlopen(f"{base}/ledger/checkpoint", timeout=10) as response:
            note = open_note(response.read().decode(), [parse_verifier_key(verifier_key)])
        assert [verifier.name for verifier in note.verifiers] == ["witness.notary.test"]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
