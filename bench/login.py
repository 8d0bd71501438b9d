"""Certificate login under load: how many logins per second, GM (SM2) and INTL (ECDSA P-256), on embedded SQLite.

Each login is the whole service call in its own transaction: nonce check, chain and revocation check against the
trust store (two CAs, one CRL each; the parsed store is cached until they change), signature verification, nonce
consumption, session and event rows. Prints one JSON line. Cost per login is constant in the number of users; the
number of trust anchors and CRL entries costs once per change (the store is rebuilt then).

    .venv/bin/python bench/login.py [--users 100]
"""

from __future__ import annotations

import argparse
import base64
import json
import platform
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _quick import parse_args

from ggzy.core.db import make_engine, unit_of_work
from ggzy.core.migrate import upgrade
from ggzy.core.permissions import SYSTEM
from ggzy.crypto import (
    IssuedCertificate,
    Suite,
    current_crl,
    generate_signing_key,
    init_ca,
    issue_certificate,
    load_private_key_pem,
    revoke,
)
from ggzy.demo import demo_credit_code
from ggzy.entities import login
from ggzy.wiring import session_factory

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
SECRET = secrets.token_bytes(32)
ORIGIN = "https://bench.ggzy.local"  # the portal origin the logins are signed for


def _verify_rate(suite: Suite, seconds: float = 1.0) -> float:
    key = generate_signing_key(suite)
    message = b"ggzy-login:benchmark"
    signature = key.sign(message)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        key.public_key.verify(message, signature)
        count += 1
    return count / (time.perf_counter() - started)


def _login(factory, issued: IssuedCertificate) -> float:  # type: ignore[no-untyped-def]
    """One login; returns the server's time (the client's signing is not counted)."""
    nonce, _ = login.issue_nonce(secret=SECRET, now=NOW, lifetime=timedelta(minutes=2))
    signature = load_private_key_pem(issued.private_key_pem).sign(login.login_message(nonce, ORIGIN))
    started = time.perf_counter()
    with unit_of_work(factory) as db:
        login.certificate_login(
            db,
            origin=ORIGIN,
            nonce=nonce,
            certificate_pem=issued.certificate_pem,
            intermediates_pem=[],
            signature=base64.b64encode(signature).decode(),
            secret=SECRET,
            now=NOW,
            lifetime=timedelta(hours=1),
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100, help="certificates per suite")
    users = parse_args(parser, users=5).users

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        engine = make_engine(f"sqlite:///{root / 'bench.db'}")
        upgrade(engine)
        factory = session_factory(engine)
        issued: dict[Suite, list[IssuedCertificate]] = {}
        with unit_of_work(factory) as db:
            for suite in (Suite.GM, Suite.INTL):
                ca_dir = root / f"ca-{suite.value}"
                ca = init_ca(ca_dir, suite=suite, name=f"Bench {suite.value} CA", now=NOW - timedelta(days=1))
                login.add_trust_anchor(db, SYSTEM, certificate_pem=ca.pem, name=None, now=NOW)
                issued[suite] = [
                    issue_certificate(
                        ca_dir,
                        kind="entity",
                        name=f"压测企业{suite.value}{index}",
                        credit_code=demo_credit_code("530100", f"{'G' if suite == Suite.GM else 'N'}{index:08d}"),
                        now=NOW - timedelta(hours=1),
                    )
                    for index in range(users)
                ]
                revoked = issue_certificate(
                    ca_dir, kind="entity", name="已吊销", credit_code=demo_credit_code("530100", "R00000001"), now=NOW
                )
                revoke(ca_dir, revoked.certificate.serial_number, now=NOW)
                login.add_revocation_list(db, SYSTEM, crl_pem=current_crl(ca_dir, now=NOW).decode(), now=NOW)

        result: dict[str, object] = {"name": "login", "n": users}
        for suite in (Suite.GM, Suite.INTL):
            # The first login registers the entity and binds the certificate; later ones find them.
            first = [_login(factory, certificate) for certificate in issued[suite]]
            again = [_login(factory, certificate) for certificate in issued[suite]]
            result[f"{suite.value}_first_login_ms"] = round(statistics.median(first) * 1000, 2)
            result[f"{suite.value}_login_ms"] = round(statistics.median(again) * 1000, 2)
            result[f"{suite.value}_logins_per_second"] = round(len(again) / sum(again), 1)
        result["sm2_verify_per_second"] = round(_verify_rate(Suite.GM))
        result["p256_verify_per_second"] = round(_verify_rate(Suite.INTL))
        result["machine"] = f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}"
        engine.dispose()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
