"""A complaint's suspension during the opening (招标投标法实施条例 第62条): nobody decrypts while it is in force, and
the time it covered does not count against the bidders' decryption window, so that no bid is treated as undecrypted
(电子招标投标办法 第三十一条) for time in which its bidder could not decrypt."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.complaints import service as complaints
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.crypto import load_private_key_pem
from ggzy.crypto.envelope import read_envelope_header, unwrap_data_key
from ggzy.storage import LocalBlobStore
from ggzy.tendering import bids, opening
from ggzy.tendering.models import Opening
from tests.complaints.test_suspension_steps import _refused, _suspend
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import bidder_user, make_published_tender, principal
from tests.tendering.test_bids import Bidder, seal

pytestmark = pytest.mark.db


def _opening_scene(db: Session, gm_ca: Path) -> dict:  # type: ignore[type-arg]
    """Three bids in, the opening started a minute after the deadline; nobody has decrypted yet."""
    tender, setup = make_published_tender(db)
    store = LocalBlobStore(gm_ca.parent / f"window-blobs-{tender.id}")
    crew = []
    for _ in range(3):
        bidder = Bidder(db, gm_ca, tender.id)
        envelope = seal(db, tender, bidder)
        actor = principal(db, bidder.user, Permission.TENDER_REGISTER)
        bids.submit_bid(
            db, actor, tender_id=tender.id, envelope=io.BytesIO(envelope), store=store, max_bytes=10**8,
            details={}, signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
        )  # fmt: skip
        crew.append((bidder, envelope, actor))
    started = tender.bid_deadline + timedelta(minutes=1)
    host = principal(db, setup["agent_user"], Permission.OPENING_HOST)
    opening.start_opening(db, host, tender_id=tender.id, now=started)
    return {"tender": tender, "store": store, "crew": crew, "started": started, "host": host}


def _decrypt(db: Session, scene: dict, index: int, now: datetime) -> object:  # type: ignore[type-arg]
    bidder, envelope, actor = scene["crew"][index]
    key = unwrap_data_key(
        read_envelope_header(io.BytesIO(envelope)), load_private_key_pem(bidder.issued.private_key_pem), "bidder"
    )
    return opening.decrypt_bid(
        db, actor, tender_id=scene["tender"].id, data_key=key, store=scene["store"], max_mb=100, now=now
    )


def _window_end(db: Session, tender_id: int) -> datetime:
    found = db.scalar(select(Opening).where(Opening.tender_id == tender_id))
    assert found is not None
    db.refresh(found)
    return found.window_ends_at


def test_the_decryption_window_does_not_run_while_the_opening_is_suspended_实施条例第62条(
    db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    scene = _opening_scene(db, gm_ca)
    tender_id, started = scene["tender"].id, scene["started"]
    original_end = _window_end(db, tender_id)
    assert original_end == started + timedelta(minutes=30)
    _decrypt(db, scene, 0, started + timedelta(minutes=5))

    # Ten minutes into the window the supervisor suspends the tender; nobody may decrypt meanwhile.
    suspended_at = started + timedelta(minutes=10)
    supervisor, complaint = _suspend(db, tender_id, bidder_user(db), suspended_at)
    refused = _refused(db, lambda: _decrypt(db, scene, 1, started + timedelta(minutes=15)))
    assert refused.code == "tender_suspended"

    # Lifted two hours later: the 20 minutes the window had left run from the lifting.
    lifted_at = suspended_at + timedelta(hours=2)
    complaints.lift_suspension(db, supervisor, complaint_id=complaint.id, now=lifted_at)
    assert _window_end(db, tender_id) == lifted_at + timedelta(minutes=20)
    lifted = db.scalar(
        select(Event).where(Event.action == "complaint.suspension_lifted").order_by(Event.id.desc()).limit(1)
    )
    assert lifted is not None
    assert "decryption_window" in lifted.payload
    assert original_end.isoformat() in lifted.payload
    assert "第六十二条" in lifted.payload

    # Well past the window as first set, the second bidder decrypts; the host cannot close the opening early.
    assert _decrypt(db, scene, 1, lifted_at + timedelta(minutes=15)) is not None
    with pytest.raises(opening.DecryptionWindow):
        opening.finish_opening(
            db, scene["host"], tender_id=tender_id, not_bidders_fault=[], signers=LEDGER_KEYS.signers,
            now=lifted_at + timedelta(minutes=19),
        )  # fmt: skip
    record = opening.finish_opening(
        db, scene["host"], tender_id=tender_id, not_bidders_fault=[], signers=LEDGER_KEYS.signers,
        now=lifted_at + timedelta(minutes=21),
    )  # fmt: skip
    assert record.finished_at is not None


def test_a_suspension_after_the_window_ended_gives_no_time_back_实施条例第62条(
    db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    """Only the time the window still had is given back: a suspension ordered after it ran out moves nothing, and
    its lifting's event says nothing of the window."""
    scene = _opening_scene(db, gm_ca)
    tender_id, started = scene["tender"].id, scene["started"]
    original_end = _window_end(db, tender_id)
    supervisor, complaint = _suspend(db, tender_id, bidder_user(db), started + timedelta(hours=1))
    complaints.lift_suspension(db, supervisor, complaint_id=complaint.id, now=started + timedelta(hours=3))
    assert _window_end(db, tender_id) == original_end
    lifted = db.scalar(
        select(Event).where(Event.action == "complaint.suspension_lifted").order_by(Event.id.desc()).limit(1)
    )
    assert lifted is not None
    assert "decryption_window" not in lifted.payload


def test_a_decision_that_lifts_the_suspension_gives_the_window_back_实施条例第62条(
    db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    """A dismissal ends the handling and with it the suspension (第61条, 第62条): the window is given back then."""
    scene = _opening_scene(db, gm_ca)
    tender_id, started = scene["tender"].id, scene["started"]
    supervisor, complaint = _suspend(db, tender_id, bidder_user(db), started + timedelta(minutes=20))
    decided_at = started + timedelta(days=1)
    complaints.dismiss_complaint(
        db, supervisor, complaint_id=complaint.id, decision="驳回", false_complaint=False, now=decided_at
    )
    assert _window_end(db, tender_id) == decided_at + timedelta(minutes=10)
    dismissed = db.scalar(select(Event).where(Event.action == "complaint.dismissed").order_by(Event.id.desc()))
    assert dismissed is not None
    assert "decryption_window" in dismissed.payload


def test_a_suspension_that_ends_by_itself_gives_the_window_back_政府采购法第57条(
    db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    """政府采购法 第57条: a suspension lasts at most 30 days and then ends by itself, with no lifting to give the
    window back; the time it covered is owed all the same (电子招标投标办法 第三十一条). The row is shaped as
    ``suspend_tender`` writes it under 政府采购法 (``expires_at`` set), its end brought forward to 40 minutes."""
    from ggzy.complaints.models import TenderSuspension

    scene = _opening_scene(db, gm_ca)
    tender_id, started = scene["tender"].id, scene["started"]
    suspended_at = started + timedelta(minutes=5)
    _suspend(db, tender_id, bidder_user(db), suspended_at)
    suspension = db.scalars(select(TenderSuspension).where(TenderSuspension.tender_id == tender_id)).one()
    suspension.expires_at = suspended_at + timedelta(minutes=40)
    db.flush()
    after = suspended_at + timedelta(minutes=41)  # past the recorded end (30 minutes), the suspension over
    assert after > _window_end(db, tender_id)
    view = opening.opening_view(db, scene["tender"], after)
    assert view["window_ends_at"] == _window_end(db, tender_id) + timedelta(minutes=40)  # owed from the order
    _decrypt(db, scene, 0, after)
    assert db.scalar(select(Event).where(Event.action == "bid.decrypted")) is not None
