"""A custodian's own shares of lots' opening keys: what its entity keeps, and its release from the workspace.

A custodian (``models.Custodian``: the centre, the supervisor or a notary, by its certificate) keeps one share of a
lot's opening key of its suite, encrypted to its certificate's key (DESIGN §6). After the bid deadline it decrypts
the share on its own computer (the local assistant, decision 0029, or its own tools) and releases it, signed
(``opening.release_share``). The platform hands a logged-in user the encrypted shares of the custodians of *its own
entity* only: never another entity's. An encrypted share is no secret from its keeper and opens nothing without the
keeper's private key; what is published to everyone is only each share's index, its keeper's certificate
fingerprint and the SHA-256 of its ciphertext (``published_shares``), so that the keeper's assistant can check that
the share a page hands it is the one this tender published (and not another tender's, read before its deadline).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal
from ggzy.tendering import opening
from ggzy.tendering.bids import lot_code
from ggzy.tendering.models import Custodian, OpeningKey, OpeningKeyShare, ShareRelease, Tender
from ggzy.tendering.service import project_of

PENDING, RELEASED, NOT_DUE = "pending", "released", "not_due"


class NotYourShare(DomainError):
    """A release from the workspace names a share no custodian of the user's entity keeps."""

    code = "custody_share_not_yours"
    status = 404
    message_zh = "贵单位的保管人没有该项目 {suite} 开标密钥的第 {share_index} 份额"
    message_en = "No custodian of your entity keeps share {share_index} of this tender's {suite} opening key"


@dataclass(frozen=True)
class PublishedShare:
    """What anyone may know of a share: its index, its keeper's certificate and the digest of its ciphertext."""

    share_index: int
    custodian_fingerprint: str
    encrypted_share_sha256: str


@dataclass(frozen=True)
class OwnShare:
    """A share one of the user's entity's custodians keeps, with its tender and whether it is released."""

    tender_id: int
    title: str
    lot_code: str
    bid_deadline: datetime
    suite: str
    share_index: int
    custodian_id: int
    custodian_name: str
    custodian_role: str
    custodian_fingerprint: str
    encrypted_share: bytes
    released_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.released_at is not None:
            return RELEASED
        return PENDING if now >= self.bid_deadline else NOT_DUE


def published_shares(db: Session, keys: list[OpeningKey]) -> dict[int, list[PublishedShare]]:
    """By opening key id: its shares as anyone may see them, in the order of their index."""
    if not keys:
        return {}
    rows = db.execute(
        select(OpeningKeyShare, Custodian.fingerprint)
        .join(Custodian, Custodian.id == OpeningKeyShare.custodian_id)
        .where(OpeningKeyShare.opening_key_id.in_([key.id for key in keys]))
        .order_by(OpeningKeyShare.opening_key_id, OpeningKeyShare.share_index)
    ).all()
    found: dict[int, list[PublishedShare]] = {key.id: [] for key in keys}
    for share, fingerprint in rows:
        found[share.opening_key_id].append(
            PublishedShare(
                share_index=share.share_index,
                custodian_fingerprint=fingerprint,
                encrypted_share_sha256=hashlib.sha256(share.ciphertext).hexdigest(),
            )
        )
    return found


def own_shares(db: Session, actor: Principal) -> list[OwnShare]:
    """The shares kept by the custodians of the actor's entity, of published tenders not cancelled, latest deadline
    first. A user acting for no entity keeps none."""
    if actor.entity_id is None:
        return []
    rows = db.execute(
        select(OpeningKeyShare, OpeningKey, Custodian, Tender, ShareRelease.released_at)
        .join(OpeningKey, OpeningKey.id == OpeningKeyShare.opening_key_id)
        .join(Custodian, Custodian.id == OpeningKeyShare.custodian_id)
        .join(Tender, Tender.id == OpeningKey.tender_id)
        .outerjoin(
            ShareRelease,
            (ShareRelease.opening_key_id == OpeningKey.id) & (ShareRelease.custodian_id == Custodian.id),
        )
        .where(Custodian.entity_id == actor.entity_id, Tender.published_at.is_not(None), Tender.cancelled_at.is_(None))
        .order_by(Tender.bid_deadline.desc(), Tender.id.desc(), OpeningKey.suite, OpeningKeyShare.share_index)
    ).all()
    codes: dict[int, str] = {}
    kept = []
    for share, key, custodian, tender, released_at in rows:
        if tender.id not in codes:
            project, lot = project_of(db, tender)
            codes[tender.id] = lot_code(project, lot)
        kept.append(
            OwnShare(
                tender_id=tender.id,
                title=tender.title,
                lot_code=codes[tender.id],
                bid_deadline=tender.bid_deadline,
                suite=key.suite,
                share_index=share.share_index,
                custodian_id=custodian.id,
                custodian_name=custodian.name,
                custodian_role=custodian.role,
                custodian_fingerprint=custodian.fingerprint,
                encrypted_share=share.ciphertext,
                released_at=released_at,
            )
        )
    return kept


def release_own_share(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    suite: str,
    share_index: int,
    share: bytes,
    signature: bytes,
    now: datetime,
) -> ShareRelease:
    """The workspace's release: the share must be one the actor's entity keeps (:class:`NotYourShare` otherwise),
    then exactly ``opening.release_share`` — after the deadline, signed by the keeper's certificate, once."""
    keeps = actor.entity_id is not None and db.scalar(
        select(OpeningKeyShare.id)
        .join(OpeningKey, OpeningKey.id == OpeningKeyShare.opening_key_id)
        .join(Custodian, Custodian.id == OpeningKeyShare.custodian_id)
        .where(
            OpeningKey.tender_id == tender_id,
            OpeningKey.suite == suite,
            OpeningKeyShare.share_index == share_index,
            Custodian.entity_id == actor.entity_id,
        )
    )
    if not keeps:
        raise NotYourShare(suite=suite, share_index=share_index)
    return opening.release_share(
        db, tender_id=tender_id, suite=suite, share_index=share_index, share=share, signature=signature, now=now
    )


def keeps_shares(db: Session, entity_id: int | None) -> bool:
    """Whether the entity has a custodian (the workspace then offers its custody page)."""
    if entity_id is None:
        return False
    return db.scalar(select(Custodian.id).where(Custodian.entity_id == entity_id).limit(1)) is not None
