"""Remote opening (不见面开标): after the deadline, each bidder decrypts its own bid from its office; custodians open
what a bidder cannot, where the procedure allows; the opening record is read out and signed.

- 招标投标法实施条例 第44条: with fewer than 3 bidders at the deadline the bids are not opened, and the lot is
  re-tendered; objections at the opening are raised there and answered there, and recorded.
- 电子招标投标办法 第三十一条: a bid left undecrypted through the bidder's fault is treated as revoked (视为撤销);
  through another cause, as withdrawn (视为撤回), the cause recorded; the other bids are opened all the same.
- 招标投标法实施条例 第62条: while a complaint's suspension is in force nobody decrypts (``Step.DECRYPT`` is one of
  its halted steps), so the time it covered does not count against the bidders' window
  (:func:`extend_window_after_suspension`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import as_utc
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from ggzy.core.events import canonical_json, changes_state
from ggzy.core.permissions import Principal
from ggzy.crypto import PublicKey, Suite, load_certificate, load_public_key_pem
from ggzy.crypto.envelope import BidFile, EnvelopeHeader, parse_header, read_bid_file, unwrap_data_key, verify_bid
from ggzy.crypto.sharing import EncryptedShare, OpeningKeySetup, ReleasedShare, recover_opening_key
from ggzy.entities import relations as entity_relations
from ggzy.entities.rules import describe as describe_related
from ggzy.entities.service import entity_names, get_entity
from ggzy.ledger.note import NoteSigner, sign_note
from ggzy.storage import MIB, BlobStore, BlobTooLarge, open_blob
from ggzy.storage.blobs import format_megabytes
from ggzy.tendering import lifecycle, rules
from ggzy.tendering.access import check_host
from ggzy.tendering.bids import ACTIVE, lot_code
from ggzy.tendering.lifecycle import stage_of
from ggzy.tendering.models import (
    Custodian,
    DecryptedBid,
    Opening,
    OpeningKey,
    OpeningKeyShare,
    OpeningObjection,
    SealedBid,
    ShareRelease,
    Tender,
)
from ggzy.tendering.procedures import procedure
from ggzy.tendering.service import (
    get_tender,
    project_of,
    record_tender_event,
    responses_secret,
)
from ggzy.tendering.stages import Stage, Step

REVOKED = "revoked"  # undecrypted through the bidder's fault
WITHDRAWN_UNOPENED = "withdrawn_unopened"  # undecrypted through another cause


class OpeningNotDue(DomainError):
    code = "opening_not_due"
    status = 409
    message_zh = "投标截止时间 {deadline} 之前不得开标"
    message_en = "The opening cannot start before the bid deadline {deadline}"


class DecryptionWindow(DomainError):
    code = "decryption_window"
    status = 409
    message_zh = "{reason_zh}"
    message_en = "{reason_en}"


class ObjectionsUnanswered(DomainError):
    code = "opening_objections_unanswered"
    status = 409
    message_zh = "开标现场提出的异议尚有 {count} 项未答复，招标人应当当场作出答复（招标投标法实施条例 第44条）"
    message_en = (
        "{count} objection(s) raised at the opening are unanswered; the tenderer answers them there "
        "(Regulations art. 44)"
    )


class ShareReleaseTooEarly(DomainError):
    code = "share_release_before_deadline"
    status = 409
    message_zh = "投标截止前保管人不得释放开标密钥份额"
    message_en = "A custodian may not release an opening-key share before the bid deadline"


# What the domains above tendering add to the opening record (decision 0031: finance adds each bid's deposit, met
# or not). Registered by the composition root (ggzy.wiring), as the halts are: tendering cannot import them. A section
# that returns None (nothing to say for this tender) is left out of the record.
RecordSection = Callable[[Session, int], Any]
RECORD_SECTIONS: dict[str, RecordSection] = {}


def register_record_section(key: str, section: RecordSection) -> None:
    """Add ``key`` to every opening record from now on (idempotent for the same function)."""
    if RECORD_SECTIONS.get(key, section) is not section:
        raise ValueError(f"opening record section {key!r} is registered twice")
    RECORD_SECTIONS[key] = section


def _record_sections(db: Session, tender_id: int) -> dict[str, Any]:
    found = {key: section(db, tender_id) for key, section in sorted(RECORD_SECTIONS.items())}
    return {key: value for key, value in found.items() if value is not None}


def _opening(db: Session, tender_id: int) -> Opening:
    opening = db.scalar(select(Opening).where(Opening.tender_id == tender_id))
    if opening is None:
        raise NotFound(field="tender_id", what_zh="开标", what_en="Opening")
    return opening


def active_bids(db: Session, tender_id: int) -> list[SealedBid]:
    query = select(SealedBid).where(SealedBid.tender_id == tender_id, SealedBid.status == ACTIVE)
    return list(db.scalars(query.order_by(SealedBid.id)))


@changes_state("opening.started")
def start_opening(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> Tender:
    """Open after the deadline: with fewer than 3 bidders the lot fails (实施条例 第44条), otherwise the bidders'
    decryption window begins."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_host(actor, project)
    if stage_of(tender, now) == Stage.PUBLISHED:
        raise OpeningNotDue(field="tender_id", deadline=tender.bid_deadline.isoformat())
    lifecycle.require(db, tender, Step.START_OPENING, now)  # halts: 实施条例 第22条, 第62条
    chosen = procedure(tender.procedure)
    bids = active_bids(db, tender.id)
    outcome = "decrypting"
    if not rules.enough_bidders_to_open(len({bid.entity_id for bid in bids}), chosen):  # 第44条 counts bidders
        lifecycle.move(db, tender, Step.START_OPENING, to=Stage.FAILED)
        outcome = "failed"
    else:
        lifecycle.move(db, tender, Step.START_OPENING, to=Stage.OPENING)
        db.add(
            Opening(
                tender_id=tender.id,
                started_at=now,
                window_ends_at=now + timedelta(minutes=chosen.decryption.window_minutes),
                started_by=actor.user_id,
            )
        )
    db.flush()
    record_tender_event(
        db, actor, tender, project, "opening.started", {"bids": len(bids), "outcome": outcome}, now,
        withheld=responses_secret(tender),  # how many responded, too, until the result (政府采购法 第38条 (四))
    )  # fmt: skip
    return tender


def _open_and_record(
    db: Session, store: BlobStore, bid: SealedBid, data_key: bytes, *, method: str, max_bytes: int, now: datetime
) -> DecryptedBid:
    """Decrypt the stored ciphertext once, verifying every chunk, the package, each file's SHA-256, the ciphertext
    against the signed header and the inner signature, and record the bid with its verified data key. No plaintext
    is written: the files are read later from the ciphertext (:func:`bid_file_chunks`, docs/decisions/0005), so a
    refused data key leaves nothing behind."""
    header = parse_header(bid.header.encode())
    with open_blob(db, store, bid.ciphertext_sha256) as ciphertext:
        opened = verify_bid(header, ciphertext, data_key)
    for item in opened.files:
        if item.size > max_bytes:  # the limit an uploaded file has (the bid's files were sealed before any upload)
            raise BlobTooLarge(limit_mb=format_megabytes(max_bytes), max_bytes=max_bytes)
    decrypted = DecryptedBid(
        bid_id=bid.id,
        tender_id=bid.tender_id,
        entity_id=bid.entity_id,
        method=method,
        summary=canonical_json(dict(opened.summary)),
        files=json.dumps(
            [{"name": item.name, "size": item.size, "sha256": item.sha256} for item in opened.files],
            ensure_ascii=False,
        ),
        data_key=data_key,
        decrypted_at=now,
    )
    db.add(decrypted)
    db.flush()
    return decrypted


def public_id_of_bid(db: Session, decrypted: DecryptedBid) -> str:
    """The public id of an opened bid (what the API and pages call it)."""
    return db.execute(select(SealedBid.public_id).where(SealedBid.id == decrypted.bid_id)).scalar_one()


def bid_file_chunks(db: Session, store: BlobStore, decrypted: DecryptedBid, name: str) -> Iterator[bytes]:
    """An opened bid's file, streamed: decrypted on the fly from the stored ciphertext with the recorded data key,
    every piece authenticated and the file's SHA-256 checked against the one verified at opening. Bids opened before
    migration 0007 (no recorded key) had their files stored as plaintext blobs. Raises NotFound for a name the bid
    does not have; who may read is for the caller."""
    files = {item["name"]: item for item in json.loads(decrypted.files)}
    if name not in files:
        raise NotFound(field="name", what_zh="投标文件中的文件", what_en="File of the bid")
    item = files[name]
    if decrypted.data_key is None:
        return store.read_chunks(item["sha256"])
    bid = db.get(SealedBid, decrypted.bid_id)
    assert bid is not None
    return _decrypted_chunks(
        store, parse_header(bid.header.encode()), bid.ciphertext_sha256, decrypted.data_key, BidFile(**item)
    )


def _decrypted_chunks(
    store: BlobStore, header: EnvelopeHeader, ciphertext_sha256: str, data_key: bytes, expected: BidFile
) -> Iterator[bytes]:
    with store.open(ciphertext_sha256) as ciphertext:
        yield from read_bid_file(header, ciphertext, data_key, expected)


def _window_end(db: Session, opening: Opening, now: datetime) -> datetime:
    """The bidders' decryption window ends at its recorded end, moved on by what halts that ended by themselves
    owe it (:func:`ggzy.tendering.lifecycle.window_end`)."""
    return lifecycle.window_end(
        db, opening.tender_id, started_at=opening.started_at, recorded_end=opening.window_ends_at, now=now
    )


def _decrypting(db: Session, tender: Tender, now: datetime) -> Opening:
    opening = _opening(db, tender.id)
    if tender.stage != Stage.OPENING.value or now > _window_end(db, opening, now):
        raise DecryptionWindow(
            field="tender_id", reason_zh="不在解密时限内", reason_en="outside the bidders' decryption window"
        )
    return opening


def extend_window_after_suspension(
    db: Session, *, tender_id: int, suspended_at: datetime, lifted_at: datetime
) -> dict[str, Any] | None:
    """A complaint's suspension (招标投标法实施条例 第62条) is lifted: the part of the bidders' decryption window it
    covered is given back, so that a bid is not treated as undecrypted (电子招标投标办法 第三十一条) for time in
    which nobody could decrypt. The window's end moves by the span from the later of the suspension and the start
    of the opening to the lifting; a suspension ordered after the window ended moves nothing. Part of the lifting's
    state change (its event records what is returned here); None when nothing moved."""
    opening = db.scalar(select(Opening).where(Opening.tender_id == tender_id))
    if opening is None or opening.finished_at is not None:
        return None
    if get_tender(db, tender_id).stage != Stage.OPENING.value:
        return None
    was = as_utc(opening.window_ends_at)
    halted_from = max(as_utc(suspended_at), as_utc(opening.started_at))
    if halted_from >= was or as_utc(lifted_at) <= halted_from:
        return None
    opening.window_ends_at = was + (as_utc(lifted_at) - halted_from)
    db.flush()
    return {
        "window_ends_at_was": was.isoformat(),
        "window_ends_at": opening.window_ends_at.isoformat(),
        "suspended_from": halted_from.isoformat(),
        "suspended_until": as_utc(lifted_at).isoformat(),
        "article": "招标投标法实施条例 第六十二条；电子招标投标办法 第三十一条",
    }


def _entity_name(db: Session, entity_id: int) -> str:
    return entity_names(db, [entity_id]).get(entity_id, "")


@changes_state("bid.decrypted")
def decrypt_bid(
    db: Session, actor: Principal, *, tender_id: int, data_key: bytes, store: BlobStore, max_mb: int, now: datetime
) -> DecryptedBid:
    """The bidder hands over the data key its client unwrapped with its own private key (远程解密)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    _decrypting(db, tender, now)
    lifecycle.require(db, tender, Step.DECRYPT, now)  # halts: 实施条例 第62条
    bid = db.scalar(
        select(SealedBid).where(
            SealedBid.tender_id == tender.id, SealedBid.entity_id == actor.entity_id, SealedBid.status == ACTIVE
        )
    )
    if bid is None:
        raise NotFound(field="tender_id", what_zh="贵单位的有效投标文件", what_en="Your active bid")
    if db.scalar(select(DecryptedBid.id).where(DecryptedBid.bid_id == bid.id)) is not None:
        raise Conflict(field="tender_id", reason_zh="投标文件已解密", reason_en="the bid is already decrypted")
    decrypted = _open_and_record(db, store, bid, data_key, method="bidder", max_bytes=max_mb * MIB, now=now)
    record_tender_event(
        db, actor, tender, project, "bid.decrypted",
        {"bid_id": bid.public_id, "entity_id": bid.entity_id, "bidder": _entity_name(db, bid.entity_id),
         "method": "bidder"},
        now, withheld=responses_secret(tender),
    )  # fmt: skip
    return decrypted


def release_message(tender_id: int, suite: str, share_index: int, share: bytes) -> bytes:
    """What a custodian signs when it releases its share (its certificate's key)."""
    return f"ggzy-share-release/v1:{tender_id}:{suite}:{share_index}:".encode() + share


@changes_state("opening.share_released")
def release_share(
    db: Session, *, tender_id: int, suite: str, share_index: int, share: bytes, signature: bytes, now: datetime
) -> ShareRelease:
    """A custodian releases its decrypted share, signed with its certificate's key — never before the deadline."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    if now < tender.bid_deadline:
        raise ShareReleaseTooEarly(field="tender_id")
    key = db.scalar(select(OpeningKey).where(OpeningKey.tender_id == tender.id, OpeningKey.suite == suite))
    if key is None:
        raise NotFound(field="suite", what_zh="开标密钥", what_en="Opening key")
    row = db.execute(
        select(OpeningKeyShare, Custodian)
        .join(Custodian, Custodian.id == OpeningKeyShare.custodian_id)
        .where(OpeningKeyShare.opening_key_id == key.id, OpeningKeyShare.share_index == share_index)
    ).first()
    if row is None:
        raise NotFound(field="share_index", what_zh="密钥份额", what_en="Share")
    _, custodian = row
    load_certificate(custodian.certificate_pem).public_key.verify(
        release_message(tender.id, suite, share_index, share), signature
    )
    if db.scalar(
        select(ShareRelease.id).where(ShareRelease.opening_key_id == key.id, ShareRelease.custodian_id == custodian.id)
    ):
        raise Conflict(field="share_index", reason_zh="该份额已释放", reason_en="this share is already released")
    release = ShareRelease(
        opening_key_id=key.id, custodian_id=custodian.id, share_index=share_index, share=share, released_at=now
    )
    db.add(release)
    db.flush()
    custodian_actor = Principal(entity_id=custodian.entity_id, username=f"custodian:{custodian.id}")
    record_tender_event(
        db, custodian_actor, tender, project, "opening.share_released",
        {"suite": suite, "custodian_id": custodian.id, "custodian": custodian.name, "share_index": share_index},
        now,
    )  # fmt: skip
    return release


def _opening_key_setup(db: Session, key: OpeningKey) -> OpeningKeySetup:
    shares = db.execute(
        select(OpeningKeyShare, Custodian)
        .join(Custodian, Custodian.id == OpeningKeyShare.custodian_id)
        .where(OpeningKeyShare.opening_key_id == key.id)
    ).all()
    public_key: PublicKey = load_public_key_pem(key.public_key_pem)
    return OpeningKeySetup(
        suite=Suite(key.suite),
        public_key=public_key,
        threshold=key.threshold,
        wrapped_private_key=key.wrapped_private_key,
        shares=tuple(
            EncryptedShare(custodian_fingerprint=c.fingerprint, index=s.share_index, ciphertext=s.ciphertext)
            for s, c in shares
        ),
    )


@changes_state("bid.opened_by_custodians")
def open_by_custodians(
    db: Session, actor: Principal, *, tender_id: int, bid_id: str, store: BlobStore, max_mb: int, now: datetime
) -> DecryptedBid:
    """After the window, k custodians' released shares open a bid its bidder did not decrypt (where allowed); the
    bid is named by its public id."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_host(actor, project)
    opening = _opening(db, tender.id)
    if tender.stage != Stage.OPENING.value or now <= _window_end(db, opening, now):
        raise DecryptionWindow(
            field="tender_id",
            reason_zh="保管人开启须在投标人解密时限结束之后",
            reason_en="custodians open bids only after the bidders' decryption window",
        )
    if not procedure(tender.procedure).decryption.custodians_may_open:
        raise PermissionDenied(permission="opening.custodians")
    lifecycle.require(db, tender, Step.DECRYPT, now)  # halts: 实施条例 第62条
    bid = db.scalar(select(SealedBid).where(SealedBid.public_id == bid_id))
    if bid is None or bid.tender_id != tender.id or bid.status != ACTIVE:
        raise NotFound(field="bid_id", what_zh="有效投标文件", what_en="Active bid")
    if db.scalar(select(DecryptedBid.id).where(DecryptedBid.bid_id == bid.id)) is not None:
        raise Conflict(field="bid_id", reason_zh="投标文件已解密", reason_en="the bid is already decrypted")
    key = db.scalar(select(OpeningKey).where(OpeningKey.tender_id == tender.id, OpeningKey.suite == bid.suite))
    assert key is not None
    releases = db.scalars(select(ShareRelease).where(ShareRelease.opening_key_id == key.id))
    opening_key = recover_opening_key(
        _opening_key_setup(db, key), [ReleasedShare(index=r.share_index, value=r.share) for r in releases]
    )
    data_key = unwrap_data_key(parse_header(bid.header.encode()), opening_key, "opening")
    decrypted = _open_and_record(db, store, bid, data_key, method="custodians", max_bytes=max_mb * MIB, now=now)
    record_tender_event(
        db, actor, tender, project, "bid.opened_by_custodians",
        {"bid_id": bid.public_id, "entity_id": bid.entity_id, "bidder": _entity_name(db, bid.entity_id)},
        now, withheld=responses_secret(tender),
    )  # fmt: skip
    return decrypted


@changes_state("opening.recorded")
def finish_opening(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    not_bidders_fault: list[str],
    signers: list[NoteSigner],
    now: datetime,
) -> Opening:
    """Close the decryption: undecrypted bids are treated per 电子招标投标办法 第三十一条, and the opening record —
    bidders, prices, schedules and the other items of their summaries — is read out and signed. The lot fails only
    when no bid was opened, or under a stricter local rule of its procedure (:func:`rules.fails_after_decryption`);
    第44条 counted the bidders when the opening started. ``not_bidders_fault`` names bids by their public ids."""
    tender = get_tender(db, tender_id)
    project, lot = project_of(db, tender)
    actor = check_host(actor, project)
    opening = _opening(db, tender.id)
    if tender.stage != Stage.OPENING.value or now <= _window_end(db, opening, now):
        raise DecryptionWindow(
            field="tender_id", reason_zh="解密时限尚未结束", reason_en="the decryption window has not ended"
        )
    lifecycle.require(db, tender, Step.FINISH_OPENING, now)  # halts: 实施条例 第62条
    unanswered = [o for o in objections_at_opening(db, tender.id) if o.answered_at is None]
    if unanswered:  # 实施条例 第44条: an objection at the opening is answered there, before the opening ends
        raise ObjectionsUnanswered(field="tender_id", count=len(unanswered))
    decrypted = {d.bid_id: d for d in db.scalars(select(DecryptedBid).where(DecryptedBid.tender_id == tender.id))}
    unopened = []
    for bid in active_bids(db, tender.id):
        if bid.id in decrypted:
            continue
        bid.status, bid.ended_at = (WITHDRAWN_UNOPENED if bid.public_id in not_bidders_fault else REVOKED), now
        unopened.append({"bidder": _entity_name(db, bid.entity_id), "status": bid.status})
    opened = sorted(decrypted.values(), key=lambda d: d.bid_id)
    lines = []
    for item in opened:
        entity = get_entity(db, item.entity_id)
        lines.append(
            {"bidder": entity.name, "credit_code": entity.credit_code, "method": item.method,
             "summary": json.loads(item.summary)}
        )  # fmt: skip
    failed = rules.fails_after_decryption(len(opened), procedure(tender.procedure))
    related = entity_relations.related_bidders_of(
        db, bidder_ids=[item.entity_id for item in opened], owner_id=project.owner_id, deadline=tender.bid_deadline
    )
    record = {
        "tender_id": tender.id,
        "lot_code": lot_code(project, lot),
        "title": tender.title,
        "bid_deadline": tender.bid_deadline.isoformat(),
        "opened_at": now.isoformat(),
        "bids": lines,
        "unopened": unopened,
        # 实施条例 第34条, read out from the register at the opening, the first moment anyone may know who bid:
        # related_bidders (第2款, void under 第3款), interested_bidders (第1款), related_bidder_warnings (串标 risk)
        **describe_related(*related),
        **_record_sections(db, tender.id),
        "outcome": "failed" if failed else "opened",
    }
    text = canonical_json(record)
    digest = hashlib.sha256(text.encode()).hexdigest()
    body = f"ggzy opening record\n{record['lot_code']}\n{tender.id}\nsha256 {digest}\n"
    opening.record, opening.record_note, opening.finished_at = text, sign_note(body, signers), now
    lifecycle.move(db, tender, Step.FINISH_OPENING, to=Stage.FAILED if failed else Stage.OPENED)
    db.flush()
    record_tender_event(
        db,
        actor,
        tender,
        project,
        "opening.recorded",
        {"record": record, "sha256": digest},
        now,
        withheld=responses_secret(tender),
    )
    return opening


@changes_state("opening.objection_raised")
def raise_opening_objection(
    db: Session, actor: Principal, *, tender_id: int, text: str, now: datetime
) -> OpeningObjection:
    """A bidder objects at the opening, while it is under way (实施条例 第44条)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    lifecycle.require(db, tender, Step.OBJECT_AT_OPENING, now)
    if (
        actor.entity_id is None
        or db.scalar(
            select(func.count()).where(SealedBid.tender_id == tender.id, SealedBid.entity_id == actor.entity_id)
        )
        == 0
    ):
        raise InvalidInput(field="tender_id", reason_zh="只有投标人可以提出开标异议", reason_en="only bidders object")
    objection = OpeningObjection(tender_id=tender.id, entity_id=actor.entity_id, text=text, raised_at=now)
    db.add(objection)
    db.flush()
    record_tender_event(
        db,
        actor,
        tender,
        project,
        "opening.objection_raised",
        {"objection_id": objection.public_id, "text": text},
        now,
    )
    return objection


@changes_state("opening.objection_answered")
def answer_opening_objection(
    db: Session, actor: Principal, *, objection_id: str, answer: str, now: datetime
) -> OpeningObjection:
    """The host answers an objection raised at the opening, named by its public id."""
    objection = db.scalar(select(OpeningObjection).where(OpeningObjection.public_id == objection_id))
    if objection is None:
        raise NotFound(field="objection_id", what_zh="开标异议", what_en="Opening objection")
    tender = get_tender(db, objection.tender_id)
    project, _ = project_of(db, tender)
    actor = check_host(actor, project)
    if objection.answered_at is not None:
        raise Conflict(field="objection_id", reason_zh="已答复", reason_en="already answered")
    objection.answer, objection.answered_at = answer, now
    db.flush()
    record_tender_event(
        db, actor, tender, project, "opening.objection_answered",
        {"objection_id": objection.public_id, "answer": answer}, now,
    )  # fmt: skip
    return objection


def undecrypted_bids(db: Session, tender_id: int) -> list[tuple[SealedBid, str]]:
    """The host's list during the opening: active bids not yet decrypted, with their bidders' names (read out at the
    opening anyway), for opening by custodians after the window or for the record's 第三十一条 treatment."""
    decrypted = select(DecryptedBid.bid_id).where(DecryptedBid.tender_id == tender_id)
    bids = db.scalars(
        select(SealedBid)
        .where(SealedBid.tender_id == tender_id, SealedBid.status == ACTIVE, SealedBid.id.not_in(decrypted))
        .order_by(SealedBid.id)
    ).all()
    names = entity_names(db, [bid.entity_id for bid in bids]) if bids else {}
    return [(bid, names[bid.entity_id]) for bid in bids]


def objections_at_opening(db: Session, tender_id: int) -> list[OpeningObjection]:
    """The objections raised at a tender's opening, in order, for the host to answer (实施条例 第44条)."""
    query = select(OpeningObjection).where(OpeningObjection.tender_id == tender_id).order_by(OpeningObjection.id)
    return list(db.scalars(query))


def opening_view(db: Session, tender: Tender, now: datetime, *, insider: bool = False) -> dict[str, Any]:
    """What anyone may see of an opening: nothing before the deadline; afterwards progress, then the record.
    ``insider``: the reader is the tender's owner, agent or opening host (checked by the caller), who follows a
    negotiation's opening that the public does not see (:func:`responses_secret`)."""
    found = db.scalar(select(Opening).where(Opening.tender_id == tender.id))
    return _opening_view(db, tender, found, now, insider=insider)


def opening_views(db: Session, tenders: list[Tender], now: datetime) -> dict[int, dict[str, Any]]:
    """:func:`opening_view` of several tenders (a project's page): one query finds which of them have an opening."""
    ids = [tender.id for tender in tenders]
    openings = {o.tender_id: o for o in db.scalars(select(Opening).where(Opening.tender_id.in_(ids)))} if ids else {}
    return {tender.id: _opening_view(db, tender, openings.get(tender.id), now) for tender in tenders}


def _opening_view(
    db: Session, tender: Tender, opening: Opening | None, now: datetime, *, insider: bool = False
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "tender_id": tender.id,
        "stage": stage_of(tender, now).value,
        "bid_deadline": tender.bid_deadline,
    }
    if opening is None:
        return view
    if (
        responses_secret(tender) and not insider
    ):  # 政府采购法 第38条 (四): nothing of who responded, or at what price, until the result
        return view | {"started_at": opening.started_at, "finished_at": opening.finished_at, "secret": True}
    total = db.scalar(
        select(func.count()).where(
            SealedBid.tender_id == tender.id, SealedBid.status.in_([ACTIVE, REVOKED, WITHDRAWN_UNOPENED])
        )
    )
    decrypted = db.scalars(select(DecryptedBid).where(DecryptedBid.tender_id == tender.id)).all()
    names = entity_names(db, [d.entity_id for d in decrypted]) if decrypted else {}
    view |= {
        "started_at": opening.started_at,
        "window_ends_at": _window_end(db, opening, now),
        "bids": total,
        "decrypted": [{"bidder": names[d.entity_id], "method": d.method, "at": d.decrypted_at} for d in decrypted],
        "record": json.loads(opening.record) if opening.record else None,
        "record_note": base64.b64encode(opening.record_note.encode()).decode() if opening.record_note else None,
        "objections": [
            {"text": o.text, "raised_at": o.raised_at, "answer": o.answer, "answered_at": o.answered_at}
            for o in db.scalars(select(OpeningObjection).where(OpeningObjection.tender_id == tender.id))
        ],
    }
    return view
