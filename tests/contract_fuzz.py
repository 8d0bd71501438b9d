"""The OpenAPI document is the contract: schemathesis fuzzes the platform as ``make run`` starts it.

The platform runs as its own process on a free port with its own data directory (demo data, as ``make run`` loads
it). schemathesis (phases examples, coverage and fuzzing) calls every operation, anonymously and with the tokens of
logged-in roles, and checks that nothing answers a server error, a status the document does not list, or a content
type it does not list. Any finding fails the run.

``make fuzz`` runs it for ``FUZZ_SECONDS`` (240 by default); ``tests/test_contract_fuzz.py`` runs it briefly in the
test suite. The server is started by one command, :data:`SERVER` (``FUZZ_SERVER`` overrides it): the address, port
and data directory reach it as ``GGZY_HOST``, ``GGZY_PORT`` and ``GGZY_DATA_DIR``.

    python -m tests.contract_fuzz --seconds 240
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"
PHASES = "examples,coverage,fuzzing"
SEED = 2026
# The demo's password users (ggzy.demo): a centre's staff and the platform administrator; None is a visitor.
ROLES: tuple[str | None, ...] = (None, "staff", "admin")
DEMO_PASSWORD = "ggzy-demo-2026"
# Operations a logged-in run leaves alone: logging out would end the very session the run uses.
LOGGED_IN_EXCLUDED = ("/api/v1/auth/logout", "/logout")
# A live hall's Server-Sent Events never end (a keep-alive every 15 s): each call would wait for the request timeout.
# Its refusals are tested in tests/core/test_hostile_input.py.
EXCLUDED = ("/openings/{tender_id}/events",)


# How the platform is started, as ``make run`` starts it (``ggzy serve --demo`` loads the demo data into an empty
# database; ``make run``'s witness takes no requests of the platform's API and is left out).
# The one place to change when that command changes; ``FUZZ_SERVER`` overrides it for a run.
SERVER = (sys.executable, "-m", "ggzy", "serve", "--demo")


def server_command() -> list[str]:
    configured = os.environ.get("FUZZ_SERVER", "").strip()
    return shlex.split(configured) if configured else list(SERVER)


def schemathesis_command() -> list[str]:
    installed = Path(sys.executable).with_name("schemathesis")
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "schemathesis.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_platform(data_dir: Path, *, start_timeout: float = 180.0) -> Iterator[str]:
    """The platform served from ``data_dir`` on a free port; its base URL. Stopped (and awaited) on exit."""
    port = free_port()
    env = {
        **os.environ,
        "GGZY_DATA_DIR": str(data_dir),
        "GGZY_HOST": "127.0.0.1",
        "GGZY_PORT": str(port),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(Path(__file__).parents[1] / "src"), os.environ.get("PYTHONPATH")])
        ),
    }
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(server_command(), env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the platform stopped: {(data_dir / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/api/v1/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the platform did not start in time") from None
                time.sleep(0.3)
        # The first request for the OpenAPI document builds it (seconds for several hundred operations, more on a
        # loaded machine): built here, with time to spare, before a client with a short timeout asks for it.
        with urllib.request.urlopen(f"{base_url}/api/v1/openapi.json", timeout=start_timeout):
            pass
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def login(base_url: str, username: str) -> str:
    """A bearer token of a demo user, by the API's password login."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/password-login",
        data=json.dumps({"username": username, "password": DEMO_PASSWORD}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["token"])


@dataclass(frozen=True)
class FuzzRun:
    role: str
    returncode: int
    output: str

    @property
    def summary(self) -> str:
        """The phases' lines and the run's summary (operations, test cases, failures)."""
        lines = self.output.splitlines()
        phases = [line for line in lines if line.strip().startswith(("✅", "❌", "⏭")) and "(in " in line]
        phases += [line for line in lines if "passed" in line and line.strip().startswith(("✅", "❌"))]
        start = next((i for i, line in enumerate(lines) if "SUMMARY" in line), max(0, len(lines) - 40))
        return "\n".join([*phases, *lines[start:]])

    @property
    def failures(self) -> str:
        """What schemathesis found: each failing operation, the check, the answer and how to reproduce it."""
        lines = self.output.splitlines()
        start = next((i for i, line in enumerate(lines) if "FAILURES" in line), None)
        end = next((i for i, line in enumerate(lines) if "SUMMARY" in line or "WARNINGS" in line), len(lines))
        return "" if start is None else "\n".join(lines[start:end])


def server_errors(log: Path) -> str:
    """The tracebacks in the server's log."""
    lines = log.read_text(errors="replace").splitlines()
    kept: list[str] = []
    inside = False
    for line in lines:
        if line.startswith(("ERROR", "Traceback")):
            inside = True
        elif inside and line.startswith("INFO"):
            inside = False
        if inside:
            kept.append(line)
    return "\n".join(kept[-400:])


def fuzz(
    base_url: str, *, role: str | None, seconds: int, max_examples: int | None = None, cwd: Path | None = None
) -> FuzzRun:
    """One schemathesis run over every operation, as ``role`` (a visitor if None), for at most ``seconds``."""
    command = [
        *schemathesis_command(),
        "run",
        f"{base_url}/api/v1/openapi.json",
        "--phases",
        PHASES,
        "--checks",
        CHECKS,
        "--max-time",
        str(seconds),
        "--seed",
        str(SEED),  # the same cases in the same order every run (cut where the time ends)
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--workers",
        "1",
        "--no-color",
        "--warnings",
        "off",
    ]
    for path in EXCLUDED:
        command += ["--exclude-path", path]
    if max_examples is not None:
        command += ["--max-examples", str(max_examples)]
    if role is not None:
        command += ["--header", f"Authorization: Bearer {login(base_url, role)}"]
        for path in LOGGED_IN_EXCLUDED:
            command += ["--exclude-path", path]
    # run where its caches (.schemathesis/) stay out of the working tree
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 300, cwd=cwd)
    return FuzzRun(role or "visitor", result.returncode, result.stdout + result.stderr)


def fuzz_platform(
    data_dir: Path, *, seconds: int, roles: tuple[str | None, ...] = ROLES, max_examples: int | None = None
) -> list[FuzzRun]:
    """Start the platform and fuzz it as each of ``roles`` in turn, sharing ``seconds`` among them."""
    with running_platform(data_dir) as base_url:
        share = max(1, seconds // len(roles))
        return [fuzz(base_url, role=role, seconds=share, max_examples=max_examples, cwd=data_dir) for role in roles]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "240")))
    parser.add_argument("--max-examples", type=int, default=25, help="cases per operation and round of fuzzing")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ggzy-fuzz-") as directory:
        runs = fuzz_platform(Path(directory), seconds=arguments.seconds, max_examples=arguments.max_examples)
        for run in runs:
            print(f"\n===== schemathesis as {run.role}: exit {run.returncode} =====\n{run.summary}")
            if run.returncode != 0:
                print(run.failures)
        failed = [run.role for run in runs if run.returncode != 0]
        if failed:
            print("\n===== the server's log: errors =====\n" + server_errors(Path(directory) / "server.log"))
    print(f"\nfuzz: {'FINDINGS as ' + ', '.join(failed) if failed else 'no findings'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
