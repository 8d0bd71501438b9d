"""Helpers shared by the hall's stream tests and the browser tests: a real uvicorn server in a thread, and an opening
driven step by step through the services on a committing database (as the CLI or another worker would)."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.clock import FixedClock
from ggzy.core.db import unit_of_work
from ggzy.core.permissions import SYSTEM, Permission, Role
from ggzy.crypto import load_certificate, load_private_key_pem
from ggzy.crypto.envelope import read_envelope_header, unwrap_data_key
from ggzy.entities import login
from ggzy.entities.models import Entity, TrustAnchor
from ggzy.entities.schemas import RoleGrantIn
from ggzy.projects import service as projects
from ggzy.projects.schemas import LotIn, ProjectIn
from ggzy.storage import LocalBlobStore
from ggzy.tendering import bids, opening
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import Method
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import make_centres, make_custodians, make_entity, make_user, principal


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True  # open event streams never end by themselves
        thread.join(timeout=10)


@dataclass
class LiveOpening:
    """A tender with sealed bids, taken through its opening one step at a time. Bidder names are unique per
    instance, so a test can look for them in what the public sees."""

    factory: sessionmaker[Session]
    ca_dir: Path
    prices: list[int]
    tender_id: int = 0
    project_id: int = 0
    bidder_names: list[str] = field(default_factory=list)
    _crew: list[tuple[Any, bytes, Any]] = field(default_factory=list)
    _agent_user_id: int = 0
    _store: LocalBlobStore | None = None

    @property
    def deadline(self):  # type: ignore[no-untyped-def]
        return TEST_NOW + timedelta(days=25)

    def prepare(self) -> LiveOpening:
        """Project, tender published at TEST_NOW (deadline 25 days later), every bidder registered and sealed."""
        from tests.tendering.test_bids import Bidder, seal

        self._store = LocalBlobStore(self.ca_dir.parent / f"live-blobs-{id(self)}")
        with unit_of_work(self.factory) as db:
            pem = (self.ca_dir / "ca.pem").read_text()
            fingerprint = load_certificate(pem).fingerprint
            if db.scalar(select(TrustAnchor.id).where(TrustAnchor.fingerprint == fingerprint)) is None:
                login.add_trust_anchor(db, SYSTEM, certificate_pem=pem, name=None, now=TEST_NOW)
            city = make_centres(db)["city"]
            owner, agent = make_entity(db, name=f"直播招标人{id(self)}"), make_entity(db, name=f"直播代理{id(self)}")
            make_user(db, roles=[RoleGrantIn(role=Role.OWNER, centre_id=city.id)], entity_id=owner.id)
            agent_user = make_user(db, roles=[RoleGrantIn(role=Role.AGENT, centre_id=city.id)], entity_id=agent.id)
            staff = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)])
            project = projects.register_project(
                db,
                principal(db, agent_user, Permission.PROJECT_REGISTER),
                data=ProjectIn(
                    centre_id=city.id, name="开标直播测试工程", trade_type="construction", region_code="530102",
                    owner_id=owner.id, agent_id=agent.id, lots=[LotIn(name="第1标段", budget="1000000.00")],
                ),
                now=TEST_NOW,
            )  # fmt: skip
            projects.accept_registration(
                db, principal(db, staff, Permission.PROJECT_REVIEW), project_id=project.id, now=TEST_NOW
            )
            make_custodians(db, city.id)
            lot = projects.lots_of(db, [project.id])[project.id][0]
            manager = principal(db, agent_user, Permission.TENDER_MANAGE)
            tender = tendering.create_tender(
                db, manager, lot_id=lot.id, procedure_key="open", method=Method.SCORING, title="开标直播测试招标",
                notice_text="招标公告正文", documents_until=TEST_NOW + timedelta(days=10), bid_deadline=self.deadline,
                invited_entity_ids=[], now=TEST_NOW,
            )  # fmt: skip
            tendering.attach_documents(
                db, manager, tender_id=tender.id, sha256="c" * 64, name="f.pdf", size=1, now=TEST_NOW
            )
            tendering.publish_tender(db, manager, tender_id=tender.id, now=TEST_NOW)
            for price in self.prices:
                bidder = Bidder(db, self.ca_dir, tender.id)
                envelope = seal(db, tender, bidder, summary={"price_fen": price, "schedule_days": 300})
                actor = principal(db, bidder.user, Permission.TENDER_REGISTER)
                bids.submit_bid(
                    db, actor, tender_id=tender.id, envelope=io.BytesIO(envelope), store=self._store,
                    max_bytes=10**8, details={}, signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
                )  # fmt: skip
                self._crew.append((bidder, envelope, actor))
                self.bidder_names.append(db.get(Entity, bidder.user.entity_id).name)  # type: ignore[union-attr]
            self.tender_id, self.project_id, self._agent_user_id = tender.id, project.id, agent_user.id
        return self

    def _host(self, db: Session):  # type: ignore[no-untyped-def]
        from ggzy.entities.models import User

        user = db.get(User, self._agent_user_id)
        assert user is not None
        return principal(db, user, Permission.OPENING_HOST)

    def start(self, clock: FixedClock) -> None:
        clock.set(self.deadline + timedelta(minutes=1))
        with unit_of_work(self.factory) as db:
            opening.start_opening(db, self._host(db), tender_id=self.tender_id, now=clock.now())

    def decrypt(self, number: int, clock: FixedClock) -> None:
        bidder, envelope, actor = self._crew[number]
        header = read_envelope_header(io.BytesIO(envelope))
        key = unwrap_data_key(header, load_private_key_pem(bidder.issued.private_key_pem), "bidder")
        with unit_of_work(self.factory) as db:
            opening.decrypt_bid(
                db, actor, tender_id=self.tender_id, data_key=key, store=self._store, max_mb=100, now=clock.now()
            )

    def finish(self, clock: FixedClock) -> None:
        clock.set(self.deadline + timedelta(hours=2))  # after the decryption window
        with unit_of_work(self.factory) as db:
            opening.finish_opening(
                db, self._host(db), tender_id=self.tender_id, not_bidders_fault=[], signers=LEDGER_KEYS.signers,
                now=clock.now(),
            )  # fmt: skip

    def tender(self, db: Session) -> Tender:
        tender = db.get(Tender, self.tender_id)
        assert tender is not None
        return tender
