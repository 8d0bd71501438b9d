"""`ggzy witness run` cosigns the checkpoints of a running server over HTTP, and the server serves the cosignature."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import uvicorn
from typer.testing import CliRunner

from ggzy.app import create_app
from ggzy.cli import app as cli
from ggzy.config import Settings
from ggzy.demo import DEMO_PASSWORD
from ggzy.ledger.note import open_note, parse_verifier_key
from tests.conftest import LEDGER_KEYS, Demo
from tests.ledger import independent


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


def _root(entries: list[dict]) -> bytes:
    """RFC 9162 MTH of the given entries, computed here from their bytes alone."""
    import hashlib

    def mth(leaves: list[bytes]) -> bytes:
        if len(leaves) == 1:
            return leaves[0]
        split = 1 << ((len(leaves) - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + mth(leaves[:split]) + mth(leaves[split:])).digest()

    return mth([independent.leaf(base64.b64decode(entry["data"])) for entry in entries])


def _await_quiet_checkpoint(base: str) -> None:
    """Wait until the newest checkpoint stays the same across two beats (the witness then cosigns the newest)."""
    sizes: list[str] = []
    deadline = time.monotonic() + 30
    while len(sizes) < 2 or not sizes[-1] or sizes[-1] != sizes[-2]:
        assert time.monotonic() < deadline, f"the checkpoint never settled: {sizes}"
        time.sleep(0.5)
        try:
            with urllib.request.urlopen(f"{base}/ledger/checkpoint", timeout=10) as response:
                sizes.append(response.read().decode().split("\n")[1])
        except urllib.error.HTTPError:  # no checkpoint yet
            sizes.append("")


def test_witness_cosigns_a_running_server(demo_copy: Demo, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ledger_background=True, ledger_checkpoint_seconds=0.2)
    application = create_app(settings, engine=demo_copy.engine, ledger_keys=LEDGER_KEYS)
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
        token = _request(f"{base}/auth/password-login", body={"username": "admin", "password": DEMO_PASSWORD})["token"]
        _await_quiet_checkpoint(base)  # the background beat checkpoints the demo and the login before the witness runs

        runner = CliRunner()
        key = tmp_path / "witness.pem"
        keygen = runner.invoke(cli, ["witness", "keygen", "--name", "witness.notary.test", "--key", str(key)])
        assert keygen.exit_code == 0, keygen.output
        verifier_key = keygen.output.strip()
        _request(
            f"{base}/ledger/witnesses", body={"name": "witness.notary.test", "verifier_key": verifier_key}, token=token
        )
        _await_quiet_checkpoint(base)  # registering the witness is an event (decision 0044): checkpointed first

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

        # An outside verifier that knows only RFC 9162 checks the running server over HTTP.
        lines = note.body.split("\n")
        size, root = int(lines[1]), base64.b64decode(lines[2])
        entries = _request(f"{base}/ledger/entries?start=0&end={size}")["entries"]
        for entry in entries[:: max(1, size // 10)]:
            proof = _request(f"{base}/ledger/proofs/inclusion?index={entry['index']}&tree_size={size}")
            leaf = independent.leaf(base64.b64decode(entry["data"]))
            hashes = [base64.b64decode(h) for h in proof["proof"]]
            assert independent.inclusion_ok(leaf, entry["index"], size, hashes, root)
        half = max(1, size // 2)
        consistency = _request(f"{base}/ledger/proofs/consistency?first={half}&second={size}")
        first_root_proof = _request(f"{base}/ledger/entries?start=0&end={half}")["entries"]
        first_root = _root(first_root_proof)
        assert independent.consistency_ok(
            half, size, [base64.b64decode(h) for h in consistency["proof"]], first_root, root
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
