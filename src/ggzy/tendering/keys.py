"""Custodians and the tenders' opening keys (DESIGN §6).

At publication a tender gets one opening key pair per suite for which its centre has enough custodians of
different entities. The private key is kept only wrapped under a fresh key-encryption key, and that key only as
k-of-n shares, each encrypted to a custodian's certificate: the platform never holds a key that opens a bid.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal, Role
from ggzy.crypto import Suite, load_certificate
from ggzy.crypto.sharing import create_opening_key
from ggzy.entities.login import trust_store
from ggzy.entities.service import get_centre, get_entity
from ggzy.tendering.models import Custodian, OpeningKey, OpeningKeyShare, Tender
from ggzy.tendering.procedures import Procedure

CUSTODIAN_ROLES = ("centre", "supervisor", "notary")


class NoCustodians(DomainError):
    code = "opening_custodians_missing"
    status = 409
    message_zh = "交易中心登记的开标密钥保管人不足：需要来自 {n} 个不同单位的保管人"
    message_en = "The centre lacks opening-key custodians: {n} from different entities are needed"


@changes_state("custodian.registered")
def register_custodian(
    db: Session,
    actor: Principal,
    *,
    centre_id: int,
    entity_id: int,
    name: str,
    role: str,
    certificate_pem: str,
    now: datetime,
) -> Custodian:
    """A custodian's certificate (trusted, valid now, of the custodian's entity) joins its centre's keepers."""
    centre = get_centre(db, centre_id)
    if Role.PLATFORM_ADMIN not in actor.roles and all(
        g.centre_id != centre.id for g in actor.grants_for(Role.CENTRE_STAFF)
    ):
        raise PermissionDenied(permission="custodian.manage")
    if role not in CUSTODIAN_ROLES:
        raise InvalidInput(field="role", reason_zh="保管人角色无效", reason_en=f"one of {', '.join(CUSTODIAN_ROLES)}")
    entity = get_entity(db, entity_id)
    certificate = load_certificate(certificate_pem)
    trust_store(db).validate(certificate, at=now)
    if certificate.credit_code != entity.credit_code:
        raise InvalidInput(
            field="certificate_pem",
            reason_zh="证书不属于该单位",
            reason_en="the certificate does not belong to this entity",
        )
    fingerprint = certificate.public_key.fingerprint
    registered = select(Custodian.id).where(Custodian.centre_id == centre.id, Custodian.fingerprint == fingerprint)
    if db.scalar(registered) is not None:
        raise Conflict(field="certificate_pem", reason_zh="该证书已登记", reason_en="this certificate is registered")
    custodian = Custodian(
        centre_id=centre.id,
        entity_id=entity.id,
        name=name,
        role=role,
        suite=certificate.suite.value,
        fingerprint=fingerprint,
        certificate_pem=certificate.pem,
        active=True,
        added_at=now,
    )
    db.add(custodian)
    db.flush()
    record_event(
        db,
        actor,
        action="custodian.registered",
        subject_type="custodian",
        subject_id=custodian.id,
        centre_id=centre.id,
        payload={"entity_id": entity.id, "role": role, "suite": custodian.suite, "fingerprint": fingerprint},
        now=now,
    )
    return custodian


def _keepers(db: Session, centre_id: int, suite: Suite, count: int) -> list[Custodian]:
    """The first ``count`` active custodians of a suite, one per entity."""
    chosen: dict[int, Custodian] = {}
    rows = db.scalars(
        select(Custodian)
        .where(Custodian.centre_id == centre_id, Custodian.suite == suite.value, Custodian.active.is_(True))
        .order_by(Custodian.id)
    )
    for custodian in rows:
        chosen.setdefault(custodian.entity_id, custodian)
    keepers = list(chosen.values())
    return keepers[:count] if len(keepers) >= count else []


def create_opening_keys(
    db: Session, tender: Tender, *, centre_id: int, procedure: Procedure, now: datetime
) -> list[Suite]:
    """One opening key per suite the centre's custodians can keep; returns the suites the tender accepts."""
    rule = procedure.decryption
    suites = []
    for suite in (Suite.GM, Suite.INTL):
        keepers = _keepers(db, centre_id, suite, rule.custodians_total)
        if not keepers:
            continue
        setup = create_opening_key(
            suite, [load_certificate(keeper.certificate_pem) for keeper in keepers], rule.custodians_required
        )
        key = OpeningKey(
            tender_id=tender.id,
            suite=suite.value,
            public_key_pem=setup.public_key.to_pem(),
            threshold=setup.threshold,
            wrapped_private_key=setup.wrapped_private_key,
            created_at=now,
        )
        db.add(key)
        db.flush()
        by_fingerprint = {keeper.fingerprint: keeper for keeper in keepers}
        db.add_all(
            OpeningKeyShare(
                opening_key_id=key.id,
                custodian_id=by_fingerprint[share.custodian_fingerprint].id,
                share_index=share.index,
                ciphertext=share.ciphertext,
            )
            for share in setup.shares
        )
        suites.append(suite)
    if not suites:
        raise NoCustodians(field="tender_id", n=rule.custodians_total)
    db.flush()
    return suites


def opening_keys_of(db: Session, tender_id: int) -> list[OpeningKey]:
    return list(db.scalars(select(OpeningKey).where(OpeningKey.tender_id == tender_id).order_by(OpeningKey.suite)))


def keepers_for(db: Session, *, centre_id: int, suite: Suite, procedure: Procedure) -> list[Custodian]:
    """The custodians who would keep an opening key of ``procedure`` in ``suite`` (none if the centre lacks them),
    for another domain's sealed documents (prequalification applications) kept exactly as bids are."""
    return _keepers(db, centre_id, suite, procedure.decryption.custodians_total)
