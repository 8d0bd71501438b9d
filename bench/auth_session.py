"""What the per-request revocation check costs (decision 0013): authenticating a certificate session's token.

Every request of a logged-in user runs ``login.authenticate_token``: one statement reading the session, its user,
the revocation date of the certificate it was opened with (a primary-key outer join) and the user's role bindings in
force. Timed, on one warm session, alternating in rounds: the whole ``authenticate_token``, and as the baseline the
same statement without the certificate join and the suspension filters (what it read before decision 0013). Prints
one JSON line. Cost is constant in the number of sessions, certificates and CRL entries (every lookup is by a
primary key or an index); it grows only with the user's number of role bindings (one row each).

    .venv/bin/python bench/auth_session.py [--url sqlite|postgresql+psycopg://…] [--n 500] [--rounds 10]
"""

from __future__ import annotations

import argparse
import base64
import json
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _quick import parse_args
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from ggzy.core.db import is_sqlite, make_engine, unit_of_work
from ggzy.core.migrate import upgrade
from ggzy.core.permissions import SYSTEM
from ggzy.crypto import Suite, init_ca, issue_certificate, load_private_key_pem
from ggzy.demo import demo_credit_code
from ggzy.entities import login
from ggzy.entities.models import AuthSession, RoleBinding, User
from ggzy.wiring import session_factory

SECRET = b"b" * 32
ORIGIN = "https://bench.ggzy.local"  # the portal origin the logins are signed for


SCHEMA = f"bench_{uuid.uuid4().hex[:8]}"


def _engine(url: str, directory: Path) -> Engine:
    if url == "sqlite":
        return make_engine(f"sqlite:///{directory / 'bench.db'}")
    with make_engine(url).begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    return make_engine(url, connect_args={"options": f"-csearch_path={SCHEMA}"})


def _certificate_session(engine: Engine, directory: Path, now: datetime) -> str:
    ca = init_ca(directory / "ca", suite=Suite.INTL, name="Bench Session CA", now=now - timedelta(days=1))
    issued = issue_certificate(
        directory / "ca", kind="entity", name="压测会话公司", credit_code=demo_credit_code("530100", "MA6K1A001"),
        now=now - timedelta(hours=1),
    )  # fmt: skip
    with unit_of_work(session_factory(engine)) as db:
        login.add_trust_anchor(db, SYSTEM, certificate_pem=ca.pem, name=None, now=now)
        nonce, _ = login.issue_nonce(secret=SECRET, now=now, lifetime=timedelta(minutes=1))
        signature = load_private_key_pem(issued.private_key_pem).sign(login.login_message(nonce, ORIGIN))
        return login.certificate_login(
            db, origin=ORIGIN, nonce=nonce, certificate_pem=issued.certificate_pem, intermediates_pem=[],
            signature=base64.b64encode(signature).decode(), secret=SECRET, now=now, lifetime=timedelta(hours=8),
        ).token  # fmt: skip


def _baseline(db: Session, token: str) -> object:
    """The session statement as it was before the revocation check."""
    token_hash = login._token_hash(token)
    return db.execute(
        select(
            AuthSession.ended_at, AuthSession.expires_at, User.id, User.entity_id, User.username, User.active,
            RoleBinding.role, RoleBinding.centre_id, RoleBinding.region_code, RoleBinding.trade_type,
        )
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(RoleBinding, RoleBinding.user_id == User.id)
        .where(AuthSession.token_hash == token_hash)
        .order_by(RoleBinding.id)
    ).all()  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="sqlite", help="sqlite (a temporary file) or a PostgreSQL URL")
    parser.add_argument("--n", type=int, default=500, help="authentications per round and variant")
    parser.add_argument("--rounds", type=int, default=10)
    arguments = parse_args(parser, n=20, rounds=2)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as directory:
        engine = _engine(arguments.url, Path(directory))
        upgrade(engine)
        token = _certificate_session(engine, Path(directory), now)
        variants: dict[str, Callable[[Session], object]] = {
            "baseline_us": lambda db: _baseline(db, token),
            "authenticate_us": lambda db: login.authenticate_token(db, token, now=now),
        }
        timings: dict[str, list[float]] = {name: [] for name in variants}
        with session_factory(engine)() as db:
            for call in variants.values():
                for _ in range(100):
                    call(db)
            for _ in range(arguments.rounds):
                for name, call in variants.items():
                    started = time.perf_counter()
                    for _ in range(arguments.n):
                        call(db)
                    timings[name].append((time.perf_counter() - started) / arguments.n * 1e6)
        database = "sqlite" if is_sqlite(str(engine.url)) else "postgresql"
        engine.dispose()
        if database == "postgresql":
            with make_engine(arguments.url).begin() as connection:
                connection.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    result = {"bench": "auth_session", "database": database, "python": platform.python_version()}
    result |= {name: round(statistics.median(values)) for name, values in timings.items()}
    result["check_us"] = result["authenticate_us"] - result["baseline_us"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
