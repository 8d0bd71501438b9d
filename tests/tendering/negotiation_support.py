"""A 竞争性谈判 or 竞争性磋商 driven through the services to its evaluation, and the steps of its quotation rounds:
sealing a quotation as a bid is sealed, the custodians' releases, the opening of a round. Shared by
tests/tendering/test_negotiation.py and the walk of every state-changing service (tests/core/test_events.py)."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission
from ggzy.crypto import IssuedCertificate, load_private_key_pem, load_public_key_pem
from ggzy.crypto.envelope import seal_bid
from ggzy.crypto.sharing import EncryptedShare, decrypt_share
from ggzy.evaluation import negotiation
from ggzy.evaluation import rules as evaluation_rules
from ggzy.evaluation import service as evaluation
from ggzy.experts import service as experts
from ggzy.storage import LocalBlobStore
from ggzy.tendering import quotation_views, quotations
from ggzy.tendering.models import Custodian, QuotationKey, QuotationKeyShare
from tests.conftest import LEDGER_KEYS
from tests.factories import _custodian_material, check_in_committee, make_expert, make_opened_tender, principal

_stores = itertools.count(1)

LOWEST = evaluation_rules.Scheme((), (), Decimal(0), evaluation_rules.PriceFormula.LOWEST_BASE)
# 综合评分法: equal technical marks, so that the price — the final quotation — decides
SCORING = evaluation_rules.Scheme(
    (), (evaluation_rules.Criterion("technical", "技术", Decimal(60)),), Decimal(40),
    evaluation_rules.PriceFormula.LOWEST_BASE,
)  # fmt: skip


def negotiating(
    db: Session, ca_dir: Path, *, procedure: str = "negotiation", prices: list[int] | None = None
) -> dict[str, Any]:
    """A 政府采购 project's negotiation (or consultation) opened and in evaluation by a panel of three experts."""
    method = "scoring" if procedure == "consultation" else "lowest_price"
    opened = make_opened_tender(
        db, ca_dir, prices=prices or [30_000_000, 20_000_000, 10_000_000], method=method,
        trade_type="gov_procurement", procedure=procedure,
    )  # fmt: skip
    for _ in range(3):
        make_expert(db)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    tender_id, now = opened["tender"].id, opened["opened_at"]
    experts.draw_committee(
        db, staff, tender_id=tender_id, specialty_code="A01", size=3, reserve=0, owner_representative_user_ids=[],
        now=now,
    )  # fmt: skip
    check_in_committee(db, opened["staff"], tender_id, now)
    scheme = SCORING if method == "scoring" else LOWEST
    evaluation.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)
    return opened | {
        "host": principal(db, opened["agent_user"], Permission.OPENING_HOST),
        "store": LocalBlobStore(ca_dir.parent / f"quotation-blobs-{next(_stores)}"),
        "suppliers": [principal(db, user, Permission.TENDER_REGISTER) for user in opened["bidders"]],
    }


def call(scene: dict[str, Any], db: Session, *, at: datetime, final: bool = False) -> int:
    """The panel calls a round open for an hour; returns its number."""
    called = negotiation.call_quotation_round(
        db, scene["host"], tender_id=scene["tender"].id, deadline=at + timedelta(hours=1), final=final, now=at
    )
    return called.number


def seal_quotation(db: Session, scene: dict[str, Any], index: int, number: int, price_fen: int) -> bytes:
    """Supplier ``index`` seals its quotation for round ``number`` exactly as a bid: the bids' envelope, for the
    round's lot code, wrapped to the round's key."""
    issued: IssuedCertificate = scene["certificates"][index]
    view = quotation_views.round_view(db, quotations.get_round(db, scene["tender"].id, number))
    key = next(key for key in view["keys"] if key["suite"] == issued.certificate.suite.value)  # type: ignore[attr-defined]
    out = io.BytesIO()
    seal_bid(
        lot_code=str(view["lot_code"]),
        suite=issued.certificate.suite,
        summary={"price_fen": price_fen},
        files={"报价单.pdf": b"%PDF quotation " * 50},
        bidder_certificate_pem=issued.certificate_pem,
        bidder_private_key=load_private_key_pem(issued.private_key_pem),
        opening_public_key=load_public_key_pem(key["public_key_pem"]),
        out=out,
        now=scene["opened_at"],
    )
    return out.getvalue()


def quote(db: Session, scene: dict[str, Any], index: int, number: int, price_fen: int, *, at: datetime) -> Any:
    envelope = seal_quotation(db, scene, index, number, price_fen)
    return quotations.submit_quotation(
        db, scene["suppliers"][index], tender_id=scene["tender"].id, envelope=io.BytesIO(envelope),
        store=scene["store"], max_bytes=10**8, signer=LEDGER_KEYS.ed25519_key, now=at,
    )  # fmt: skip


def releases(db: Session, scene: dict[str, Any], number: int, *, count: int = 2) -> list[dict[str, Any]]:
    """What the first ``count`` custodians of each key of the round release: each share decrypted with the
    custodian's key and signed by it, ready to be released (:func:`release`)."""
    round_id = quotations.get_round(db, scene["tender"].id, number).id
    people = {
        issued.certificate.public_key.fingerprint: issued
        for people in _custodian_material()["people"].values()  # type: ignore[attr-defined]
        for issued in people
    }
    prepared = []
    for key in db.scalars(select(QuotationKey).where(QuotationKey.round_id == round_id)):
        rows = db.execute(
            select(QuotationKeyShare, Custodian.fingerprint)
            .join(Custodian, Custodian.id == QuotationKeyShare.custodian_id)
            .where(QuotationKeyShare.key_id == key.id)
            .order_by(QuotationKeyShare.share_index)
        ).all()
        for share, fingerprint in rows[:count]:
            private_key = load_private_key_pem(people[fingerprint].private_key_pem)
            released = decrypt_share(EncryptedShare(fingerprint, share.share_index, share.ciphertext), private_key)
            message = quotations.release_message(scene["tender"].id, number, key.suite, released.index, released.value)
            prepared.append(
                {"suite": key.suite, "share_index": released.index, "share": released.value,
                 "signature": private_key.sign(message)}
            )  # fmt: skip
    return prepared


def release(db: Session, scene: dict[str, Any], number: int, prepared: dict[str, Any], *, at: datetime) -> Any:
    return quotations.release_share(db, tender_id=scene["tender"].id, number=number, now=at, **prepared)


def open_round(db: Session, scene: dict[str, Any], number: int, *, at: datetime) -> list[Any]:
    """The custodians release their shares after the deadline, and the round's quotations are opened together."""
    for prepared in releases(db, scene, number):
        release(db, scene, number, prepared, at=at)
    return quotations.open_round(
        db, scene["host"], tender_id=scene["tender"].id, number=number, store=scene["store"], now=at
    )


NEGOTIATION_ACTIONS = (
    "quotation.round_called",
    "quotation.submitted",
    "quotation.share_released",
    "quotation.opened",
    "negotiation.change_notified",
)


def negotiation_scenario(db: Session, ca_dir: Path, action: str) -> Callable[[], object]:
    """Everything before ``action`` done; the returned call takes the step (for the walk of tests/core/test_events)."""
    scene = negotiating(db, ca_dir)
    t0, tender_id = scene["opened_at"], scene["tender"].id
    if action == "quotation.round_called":
        return lambda: call(scene, db, at=t0)
    if action == "negotiation.change_notified":
        return lambda: negotiation.notify_negotiation_change(
            db, scene["host"], tender_id=tender_id, text="变动", now=t0
        )
    number = call(scene, db, at=t0)
    if action == "quotation.submitted":
        return lambda: quote(db, scene, 0, number, 9_000_000, at=t0 + timedelta(minutes=1))
    quote(db, scene, 0, number, 9_000_000, at=t0 + timedelta(minutes=1))
    prepared = releases(db, scene, number)
    if action == "quotation.share_released":
        return lambda: release(db, scene, number, prepared[0], at=t0 + timedelta(hours=1))
    for item in prepared:
        release(db, scene, number, item, at=t0 + timedelta(hours=1))
    assert action == "quotation.opened"
    return lambda: quotations.open_round(
        db, scene["host"], tender_id=tender_id, number=number, store=scene["store"], now=t0 + timedelta(hours=1)
    )
