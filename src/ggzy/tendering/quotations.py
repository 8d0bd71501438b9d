"""Rounds of sealed quotations in 竞争性谈判 and 竞争性磋商 (政府采购法 第38条 (四)、(五)).

The response documents are the round's sealed bids, opened as a tender's (``tendering.opening``). During the
evaluation the panel negotiates with each supplier separately and calls rounds of quotations; the last round is
final (最后报价). A quotation is sealed exactly as a bid is: the same envelope format, for a lot code that names
the round (:func:`quotation_code`), its data key wrapped to the supplier's own certificate and to the round's
opening key, which is split k-of-n among the custodians who keep the tender's own key. Nobody — the platform, the
panel, another supplier — can read a quotation before the round's deadline (第38条 (四): no supplier learns
another's prices): custodians release their shares only after it, and the round's quotations are then opened
together, in one step, never one by one.

Who is still negotiating is the evaluation's to say (the suppliers whose response was not rejected): the evaluation
calls :func:`call_round` and :func:`notify_change` with them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import canonical_json, changes_state
from ggzy.core.permissions import Principal
from ggzy.crypto import (
    DecryptionFailed,
    EnvelopeInvalid,
    PrivateKey,
    Suite,
    load_certificate,
    load_public_key_pem,
)
from ggzy.crypto.envelope import (
    check_envelope_for_lot,
    parse_header,
    read_envelope_header,
    unwrap_data_key,
    verify_bid,
)
from ggzy.crypto.sharing import (
    EncryptedShare,
    OpeningKeySetup,
    ReleasedShare,
    create_opening_key,
    recover_opening_key,
)
from ggzy.entities.login import trust_store
from ggzy.entities.service import get_entity
from ggzy.storage import BlobStore, open_blob, stage_blob
from ggzy.tendering import lifecycle
from ggzy.tendering.access import check_host
from ggzy.tendering.bids import BidReceipt, EnvelopeNotYours, SuiteNotAccepted, lot_code, signed_receipt
from ggzy.tendering.models import (
    Custodian,
    DecryptedBid,
    NegotiationNotice,
    OpeningKey,
    OpeningKeyShare,
    QuotationKey,
    QuotationKeyShare,
    QuotationRound,
    SealedQuotation,
    Tender,
)
from ggzy.tendering.procedures import procedure
from ggzy.tendering.service import get_tender, project_of, record_tender_event
from ggzy.tendering.stages import Step

if TYPE_CHECKING:
    from ggzy.projects.models import Lot, Project

_ARTICLE_FINAL_ZH = "政府采购法 第三十八条 第（五）项"
_ARTICLE_FINAL_EN = "Government Procurement Law art. 38 (5)"


class NegotiationClosed(DomainError):
    code = "quotation_after_final_round"
    status = 409
    message_zh = "最后报价已于 {deadline} 截止（{article}）：谈判结束，不再接受任何报价"
    message_en = (
        "The final quotations closed at {deadline} ({article_en}): the negotiation is over, no quotation is taken"
    )


class QuotationDeadlinePassed(DomainError):
    code = "quotation_deadline_passed"
    status = 409
    message_zh = "第 {number} 轮报价已于 {deadline} 截止，不再接受报价（{article}）"
    message_en = "Round {number} of quotations closed at {deadline}; no quotation is taken ({article_en})"


class NoQuotationRound(DomainError):
    code = "quotation_round_missing"
    status = 409
    message_zh = "谈判小组尚未要求报价，当前没有进行中的报价轮次"
    message_en = "The panel has not called for quotations: no round is running"


class QuotationRoundRunning(DomainError):
    code = "quotation_round_running"
    status = 409
    message_zh = "第 {number} 轮报价尚未开启，不能开始新一轮"
    message_en = "Round {number} of quotations is not opened yet; no new round can start"


class NotInNegotiation(DomainError):
    code = "quotation_supplier_not_in_negotiation"
    status = 403
    message_zh = "贵单位不在本轮参加谈判的供应商之列，不能报价（{article}）"
    message_en = (
        "Your entity is not among the suppliers still negotiating in this round, so it cannot quote ({article_en})"
    )


class QuotationGiven(DomainError):
    code = "quotation_already_given"
    status = 409
    message_zh = "贵单位已在第 {number} 轮报价，每轮只能报价一次"
    message_en = "Your entity has quoted in round {number}; one quotation per round"


class QuotationsSealed(DomainError):
    code = "quotations_sealed"
    status = 409
    message_zh = "第 {number} 轮报价截止时间 {deadline} 之前，报价不得开启，密钥份额不得释放（{article}）"
    message_en = (
        "Before round {number}'s deadline {deadline} its quotations stay sealed and no key share is released "
        "({article_en})"
    )


class QuotationsOpened(DomainError):
    code = "quotations_opened"
    status = 409
    message_zh = "第 {number} 轮报价已开启"
    message_en = "Round {number}'s quotations are already opened"


REFUSALS: tuple[type[DomainError], ...] = (
    NegotiationClosed,
    QuotationDeadlinePassed,
    NoQuotationRound,
    NotInNegotiation,
    QuotationGiven,
)


def quotation_code(project: Project, lot: Lot, number: int) -> str:
    """The lot code of a round's quotation envelopes: an envelope sealed for one round is refused by another."""
    return f"{lot_code(project, lot)}/quotation/{number}"


def release_message(tender_id: int, number: int, suite: str, share_index: int, share: bytes) -> bytes:
    """What a custodian signs when it releases its share of a round's key (its certificate's key)."""
    return f"ggzy-quotation-share-release/v1:{tender_id}:{number}:{suite}:{share_index}:".encode() + share


def rounds_of(db: Session, tender_id: int) -> list[QuotationRound]:
    query = select(QuotationRound).where(QuotationRound.tender_id == tender_id).order_by(QuotationRound.number)
    return list(db.scalars(query))


def participants_of(quotation_round: QuotationRound) -> list[int]:
    return [int(entity_id) for entity_id in json.loads(quotation_round.participants)]


def get_round(db: Session, tender_id: int, number: int) -> QuotationRound:
    found = db.scalar(
        select(QuotationRound).where(QuotationRound.tender_id == tender_id, QuotationRound.number == number)
    )
    if found is None:
        raise NotFound(field="number", what_zh="报价轮次", what_en="Quotation round")
    return found


def keys_of(db: Session, round_id: int) -> list[QuotationKey]:
    return list(db.scalars(select(QuotationKey).where(QuotationKey.round_id == round_id).order_by(QuotationKey.suite)))


_FINAL = {"article": _ARTICLE_FINAL_ZH, "article_en": _ARTICLE_FINAL_EN}


def _split_like_the_tender(db: Session, tender: Tender, quotation_round: QuotationRound) -> None:
    """One key per suite of the tender, split among the same custodians at the same threshold."""
    for opening_key in db.scalars(select(OpeningKey).where(OpeningKey.tender_id == tender.id)):
        keepers = list(
            db.scalars(
                select(Custodian)
                .join(OpeningKeyShare, OpeningKeyShare.custodian_id == Custodian.id)
                .where(OpeningKeyShare.opening_key_id == opening_key.id)
                .order_by(OpeningKeyShare.share_index)
            )
        )
        setup = create_opening_key(
            Suite(opening_key.suite),
            [load_certificate(keeper.certificate_pem) for keeper in keepers],
            opening_key.threshold,
        )
        key = QuotationKey(
            round_id=quotation_round.id,
            suite=opening_key.suite,
            public_key_pem=setup.public_key.to_pem(),
            threshold=setup.threshold,
            wrapped_private_key=setup.wrapped_private_key,
        )
        db.add(key)
        db.flush()
        by_fingerprint = {keeper.fingerprint: keeper for keeper in keepers}
        db.add_all(
            QuotationKeyShare(
                key_id=key.id,
                custodian_id=by_fingerprint[share.custodian_fingerprint].id,
                share_index=share.index,
                ciphertext=share.ciphertext,
            )
            for share in setup.shares
        )
    db.flush()


@changes_state("quotation.round_called", disclosed=False)
def call_round(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    participants: list[int],
    deadline: datetime,
    final: bool,
    now: datetime,
) -> QuotationRound:
    """Open a round of quotations for ``participants`` (the suppliers still negotiating, given by the evaluation);
    ``final`` marks the last round (政府采购法 第38条 (五): 最后报价). Refused once the final round was called, and
    while the previous round is not yet opened."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_host(actor, project)
    lifecycle.require(db, tender, Step.CALL_QUOTATIONS, now)  # halts: 实施条例 第62条 and the rest
    earlier = rounds_of(db, tender.id)
    if earlier and earlier[-1].opened_at is None:
        raise QuotationRoundRunning(field="tender_id", number=earlier[-1].number)
    if earlier and earlier[-1].final:
        raise NegotiationClosed(field="tender_id", deadline=earlier[-1].deadline.isoformat(), **_FINAL)
    if deadline <= now:
        raise InvalidInput(field="deadline", reason_zh="报价截止时间须晚于现在", reason_en="must be in the future")
    opened = set(db.scalars(select(DecryptedBid.entity_id).where(DecryptedBid.tender_id == tender.id)))
    chosen = sorted(set(participants))
    if not chosen or not set(chosen) <= opened:
        raise InvalidInput(
            field="participants",
            reason_zh="参加谈判的供应商须为响应文件已开启的供应商，且不能为空",
            reason_en="the suppliers negotiating are suppliers whose responses were opened, at least one",
        )
    quotation_round = QuotationRound(
        tender_id=tender.id,
        number=len(earlier) + 1,
        final=final,
        deadline=deadline,
        participants=json.dumps(chosen),
        called_by=actor.user_id,
        called_at=now,
    )
    db.add(quotation_round)
    db.flush()
    _split_like_the_tender(db, tender, quotation_round)
    record_tender_event(
        db, actor, tender, project, "quotation.round_called",
        {"number": quotation_round.number, "final": final, "deadline": deadline.isoformat(), "participants": chosen},
        now,
    )  # fmt: skip
    return quotation_round


@changes_state("quotation.submitted", disclosed=False)
def submit_quotation(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    envelope: BinaryIO,
    store: BlobStore,
    max_bytes: int,
    signer: Ed25519PrivateKey,
    now: datetime,
) -> BidReceipt:
    """A supplier still negotiating seals its quotation for the running round, before its deadline. Checked as a
    bid is (outer signature, certificate of the supplier, lot code, wrapped to the round's key); the ciphertext is
    staged before the first SQL statement, so a refusal leaves no row, file or event."""
    header = read_envelope_header(envelope)
    ciphertext = stage_blob(db, store, envelope, max_bytes=max_bytes, expected_sha256=header.ciphertext_sha256)
    tender = get_tender(db, tender_id)
    project, lot = project_of(db, tender)
    rounds = rounds_of(db, tender.id) if procedure(tender.procedure).quotation_rounds else []
    if rounds and rounds[-1].final and now >= rounds[-1].deadline:  # 第38条 (五): after the final quotation, none
        raise NegotiationClosed(field="envelope", deadline=rounds[-1].deadline.isoformat(), **_FINAL)
    lifecycle.require(db, tender, Step.SUBMIT_QUOTATION, now)
    if not rounds:
        raise NoQuotationRound(field="tender_id")
    running = rounds[-1]
    if now >= running.deadline:
        raise QuotationDeadlinePassed(
            field="envelope", number=running.number, deadline=running.deadline.isoformat(), **_FINAL
        )
    if actor.entity_id is None or actor.entity_id not in participants_of(running):
        raise NotInNegotiation(field="tender_id", **_FINAL)
    given = select(SealedQuotation.id).where(
        SealedQuotation.round_id == running.id, SealedQuotation.entity_id == actor.entity_id
    )
    if db.scalar(given) is not None:
        raise QuotationGiven(field="envelope", number=running.number)
    trust_store(db).validate(header.bidder_certificate, at=now)
    if header.bidder_certificate.credit_code != get_entity(db, actor.entity_id).credit_code:
        raise EnvelopeNotYours(field="envelope")
    key = db.scalar(
        select(QuotationKey).where(QuotationKey.round_id == running.id, QuotationKey.suite == header.suite.value)
    )
    if key is None:
        raise SuiteNotAccepted(field="envelope", suite=header.suite.value)
    check_envelope_for_lot(
        header,
        lot_code=quotation_code(project, lot, running.number),
        opening_public_key=load_public_key_pem(key.public_key_pem),
    )
    quotation = SealedQuotation(
        round_id=running.id,
        tender_id=tender.id,
        entity_id=actor.entity_id,
        user_id=actor.user_id,
        suite=header.suite.value,
        header=header.to_bytes().decode(),
        certificate_fingerprint=header.bidder_certificate.fingerprint,
        ciphertext_sha256=ciphertext.sha256,
        ciphertext_size=ciphertext.size,
        submitted_at=now,
    )
    db.add(quotation)
    try:
        db.flush()
    except IntegrityError as error:  # a simultaneous second quotation of the same supplier and round
        raise QuotationGiven(field="envelope", number=running.number) from error
    event = record_tender_event(
        db, actor, tender, project, "quotation.submitted",
        {"number": running.number, "ciphertext_sha256": quotation.ciphertext_sha256, "suite": quotation.suite},
        now,
    )  # fmt: skip
    return signed_receipt(
        bid_id=f"{tender.id}/quotation/{running.number}",
        tender_id=tender.id,
        received_at=now,
        ciphertext_sha256=quotation.ciphertext_sha256,
        ciphertext_size=quotation.ciphertext_size,
        event=event,
        signer=signer,
    )


def _sealed_until_deadline(quotation_round: QuotationRound, now: datetime) -> None:
    if now < quotation_round.deadline:
        raise QuotationsSealed(
            field="number",
            number=quotation_round.number,
            deadline=quotation_round.deadline.isoformat(),
            article="政府采购法 第三十八条 第（四）项",
            article_en="Government Procurement Law art. 38 (4)",
        )


@changes_state("quotation.share_released")
def release_share(
    db: Session,
    *,
    tender_id: int,
    number: int,
    suite: str,
    share_index: int,
    share: bytes,
    signature: bytes,
    now: datetime,
) -> QuotationKeyShare:
    """A custodian releases its share of a round's key, signed with its certificate's key — never before the round's
    deadline."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    quotation_round = get_round(db, tender.id, number)
    _sealed_until_deadline(quotation_round, now)
    row = db.execute(
        select(QuotationKeyShare, Custodian)
        .join(QuotationKey, QuotationKey.id == QuotationKeyShare.key_id)
        .join(Custodian, Custodian.id == QuotationKeyShare.custodian_id)
        .where(
            QuotationKey.round_id == quotation_round.id,
            QuotationKey.suite == suite,
            QuotationKeyShare.share_index == share_index,
        )
    ).first()
    if row is None:
        raise NotFound(field="share_index", what_zh="密钥份额", what_en="Share")
    held, custodian = row
    load_certificate(custodian.certificate_pem).public_key.verify(
        release_message(tender.id, number, suite, share_index, share), signature
    )
    if held.released is not None:
        raise Conflict(field="share_index", reason_zh="该份额已释放", reason_en="this share is already released")
    held.released, held.released_at = share, now
    db.flush()
    custodian_actor = Principal(entity_id=custodian.entity_id, username=f"custodian:{custodian.id}")
    record_tender_event(
        db, custodian_actor, tender, project, "quotation.share_released",
        {"number": number, "suite": suite, "custodian_id": custodian.id, "custodian": custodian.name,
         "share_index": share_index},
        now,
    )  # fmt: skip
    return held


def _round_key(db: Session, key: QuotationKey) -> PrivateKey:
    shares = list(db.scalars(select(QuotationKeyShare).where(QuotationKeyShare.key_id == key.id)))
    rows = db.execute(
        select(Custodian.id, Custodian.fingerprint).where(Custodian.id.in_([s.custodian_id for s in shares]))
    )
    fingerprints = {custodian_id: fingerprint for custodian_id, fingerprint in rows}
    setup = OpeningKeySetup(
        suite=Suite(key.suite),
        public_key=load_public_key_pem(key.public_key_pem),
        threshold=key.threshold,
        wrapped_private_key=key.wrapped_private_key,
        shares=tuple(
            EncryptedShare(
                custodian_fingerprint=fingerprints[s.custodian_id], index=s.share_index, ciphertext=s.ciphertext
            )
            for s in shares
        ),
    )
    released = [ReleasedShare(index=s.share_index, value=s.released) for s in shares if s.released is not None]
    return recover_opening_key(setup, released)


@dataclass(frozen=True)
class OpenedQuotation:
    entity_id: int
    price_fen: int | None  # None: no valid price_fen in the summary, or the envelope did not open


@changes_state("quotation.opened", disclosed=False)
def open_round(
    db: Session, actor: Principal, *, tender_id: int, number: int, store: BlobStore, now: datetime
) -> list[OpenedQuotation]:
    """After the round's deadline, the custodians' released shares recover the round's key and every quotation of
    the round is opened at once — never one by one (政府采购法 第38条 (四)). A key that k shares do not recover
    refuses the whole step; an envelope that does not open is recorded without a price."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_host(actor, project)
    lifecycle.require(db, tender, Step.OPEN_QUOTATIONS, now)
    quotation_round = get_round(db, tender.id, number)
    _sealed_until_deadline(quotation_round, now)
    if quotation_round.opened_at is not None:
        raise QuotationsOpened(field="number", number=number)
    quotations = list(
        db.scalars(
            select(SealedQuotation).where(SealedQuotation.round_id == quotation_round.id).order_by(SealedQuotation.id)
        )
    )
    private_keys = {
        key.suite: _round_key(db, key)
        for key in keys_of(db, quotation_round.id)
        if any(quotation.suite == key.suite for quotation in quotations)
    }
    opened = []
    for quotation in quotations:
        header = parse_header(quotation.header.encode())
        price: int | None = None
        data_key: bytes | None = None
        summary: dict[str, object] = {}
        try:
            data_key = unwrap_data_key(header, private_keys[quotation.suite], "opening")
            with open_blob(db, store, quotation.ciphertext_sha256) as ciphertext:
                summary = dict(verify_bid(header, ciphertext, data_key).summary)
        except (EnvelopeInvalid, DecryptionFailed):
            summary, data_key = {}, None  # recorded without a price: the supplier has no valid quotation this round
        value = summary.get("price_fen")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            price = value
        quotation.summary, quotation.price_fen = canonical_json(summary), price
        quotation.data_key, quotation.opened_at = data_key, now
        opened.append(OpenedQuotation(quotation.entity_id, price))
    quotation_round.opened_at = now
    db.flush()
    record_tender_event(
        db, actor, tender, project, "quotation.opened",
        {"number": number, "final": quotation_round.final,
         "quotations": [{"entity_id": q.entity_id, "price_fen": q.price_fen} for q in opened]},
        now,
    )  # fmt: skip
    return opened


@changes_state("negotiation.change_notified", disclosed=False)
def notify_change(
    db: Session, actor: Principal, *, tender_id: int, text: str, recipients: list[int], now: datetime
) -> NegotiationNotice:
    """A substantive change to the negotiation documents, notified in writing to every supplier still negotiating
    (政府采购法 第38条 (四)); each of them finds it among its notices."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_host(actor, project)
    lifecycle.require(db, tender, Step.NOTIFY_NEGOTIATION_CHANGE, now)
    if not text.strip():
        raise InvalidInput(field="text", reason_zh="变动内容不能为空", reason_en="the change must be stated")
    notice = NegotiationNotice(
        tender_id=tender.id,
        text=text,
        recipients=json.dumps(sorted(set(recipients))),
        notified_by=actor.user_id,
        notified_at=now,
    )
    db.add(notice)
    db.flush()
    record_tender_event(
        db, actor, tender, project, "negotiation.change_notified",
        {"notice_id": notice.id, "text": text, "recipients": sorted(set(recipients))}, now,
    )  # fmt: skip
    return notice
