"""Electronic guarantees (decision 0035): institutions onboarded from their certificates, guarantee documents signed by
them and verified by the platform, each misfit refused with its own code and leaving nothing behind, amendments and
cancellations before the deadline, claims after it, and who may read a guarantee (招标投标法 第22条)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import DomainError, NotFound
from ggzy.core.events import UNDISCLOSED_ACTIONS, Event
from ggzy.core.permissions import Permission, Role
from ggzy.crypto import CertificateUntrusted, init_ca
from ggzy.crypto.suites import Suite
from ggzy.entities.schemas import RoleGrantIn
from ggzy.finance import guarantees
from ggzy.finance.access import DepositsSealed
from ggzy.finance.guarantees import Guarantee, GuaranteeStatus, InstitutionKind
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, issue, make_entity, make_user, principal, user_with_role
from tests.finance.guarantees_support import Bank, body_for, entity_of, issued, onboard, sign
from tests.finance.support import DEPOSIT_FEN, deposit_tender


def _counts(db: Session) -> tuple[int, int]:
    return db.scalar(select(func.count()).select_from(Guarantee)) or 0, db.scalar(select(func.count(Event.id))) or 0


def test_centre_staff_onboard_an_institution_from_its_trusted_certificate_once(db: Session) -> None:
    bank = onboard(db, kind=InstitutionKind.GUARANTEE_COMPANY)
    assert bank.row.entity_id == bank.entity.id
    assert bank.row.kind == "guarantee_company"
    assert bank.row.certificate_fingerprint
    assert guarantees.institution_of(db, bank.actor(db)).id == bank.row.id
    staff = principal(db, user_with_role(db, Role.CENTRE_STAFF), Permission.INSTITUTION_ONBOARD)
    before = db.scalar(select(func.count(Event.id)))
    with pytest.raises(guarantees.InstitutionExists):
        guarantees.onboard_institution(
            db, staff, kind=InstitutionKind.BANK, certificate_pem=bank.certificate.certificate_pem,
            intermediates_pem=[], now=TEST_NOW,
        )  # fmt: skip
    assert db.scalar(select(func.count(Event.id))) == before


def test_a_certificate_of_an_untrusted_ca_onboards_nobody(db: Session, tmp_path: Path) -> None:
    init_ca(tmp_path, suite=Suite.INTL, name="Untrusted CA", now=TEST_NOW - timedelta(days=30))
    entity = make_entity(db)
    pem = issue(tmp_path, name=entity.name, code=entity.credit_code).certificate_pem
    staff = principal(db, user_with_role(db, Role.CENTRE_STAFF), Permission.INSTITUTION_ONBOARD)
    before = db.scalar(select(func.count(Event.id)))
    with pytest.raises(CertificateUntrusted):
        guarantees.onboard_institution(
            db, staff, kind=InstitutionKind.BANK, certificate_pem=pem, intermediates_pem=[], now=TEST_NOW
        )
    assert db.scalar(select(func.count(Event.id))) == before
    assert db.scalar(select(func.count()).select_from(guarantees.Institution)) == 0


def test_an_entity_holding_the_institution_role_but_not_onboarded_cannot_act(db: Session) -> None:
    user = make_user(db, roles=[RoleGrantIn(role=Role.INSTITUTION)], entity_id=make_entity(db).id)
    with pytest.raises(guarantees.NotAnInstitution):
        guarantees.guarantees_of_institution(db, principal(db, user, Permission.GUARANTEE_ISSUE))


def test_an_institution_quotes_the_amount_and_validity_the_tender_requires(db: Session) -> None:
    tender, _ = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    quote = guarantees.quote(
        db, bank.actor(db), tender_id=tender.id, applicant_credit_code=bidder.credit_code, fee_fen=800, now=TEST_NOW
    )
    assert (quote.amount_fen, quote.fee_fen) == (DEPOSIT_FEN, 800)
    assert quote.valid_until == tender.bid_deadline + timedelta(days=90)


def test_an_institution_issues_a_signed_guarantee_the_platform_verifies(db: Session) -> None:
    tender, setup = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    row = issued(db, bank, tender, bidder)
    assert (row.status, row.version, row.amount_fen) == ("issued", 1, DEPOSIT_FEN)
    assert (row.applicant_entity_id, row.beneficiary_entity_id) == (bidder.id, setup["owner"].id)
    document = guarantees.read_document(json.loads(row.document))
    assert document.beneficiary_credit_code == setup["owner"].credit_code
    event = db.scalar(select(Event).where(Event.action == "guarantee.issued"))
    assert event is not None
    assert event.subject_id == str(row.id)
    assert not event.disclosed  # who bid stays secret (招标投标法 第22条)
    assert "guarantee.issued" in UNDISCLOSED_ACTIONS


Misfit = Callable[[Session, Bank, Any, Any], dict[str, Any]]


def _signed(db: Session, bank: Bank, tender: Any, bidder: Any, **changes: Any) -> dict[str, Any]:
    body = body_for(db, bank, tender, bidder, **changes)
    return {"document": body, "signature": sign(bank, body), "certificate_pem": bank.certificate.certificate_pem}


def _bad_signature(db: Session, bank: Bank, tender: Any, bidder: Any) -> dict[str, Any]:
    signed = _signed(db, bank, tender, bidder)
    signed["document"] = dict(signed["document"], amount_fen=DEPOSIT_FEN * 2)  # altered after signing
    return signed


def _wrong_beneficiary(db: Session, bank: Bank, tender: Any, bidder: Any) -> dict[str, Any]:
    other = make_entity(db)
    return _signed(db, bank, tender, bidder, beneficiary=(other.name, other.credit_code))


def _another_signer(db: Session, bank: Bank, tender: Any, bidder: Any) -> dict[str, Any]:
    other = onboard(db)  # a certificate of another institution, trusted, signing this one's document
    body = body_for(db, bank, tender, bidder)
    return {"document": body, "signature": sign(other, body), "certificate_pem": other.certificate.certificate_pem}


MISFITS: dict[str, Misfit] = {
    "guarantee_signature_invalid": _bad_signature,
    "guarantee_beneficiary_wrong": _wrong_beneficiary,
    "guarantee_amount_short": lambda db, bank, t, b: _signed(db, bank, t, b, amount_fen=DEPOSIT_FEN - 1),
    "guarantee_expires_too_early": lambda db, bank, t, b: _signed(
        db, bank, t, b, valid_until=t.bid_deadline + timedelta(days=89)
    ),
    "guarantee_starts_too_late": lambda db, bank, t, b: _signed(
        db, bank, t, b, valid_from=t.bid_deadline + timedelta(seconds=1)
    ),
    "guarantee_certificate_not_the_institutions": _another_signer,
}


@pytest.mark.parametrize("code", sorted(MISFITS))
def test_regulations_art_26_a_guarantee_that_does_not_fit_is_refused_with_its_own_code_and_leaves_nothing(
    db: Session, code: str
) -> None:
    """招标投标法实施条例 第26条: the deposit covers the amount the documents require and lasts the bid validity; the
    beneficiary is the owner; the document is the institution's, signed by it."""
    tender, _ = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    signed = MISFITS[code](db, bank, tender, bidder)
    before = _counts(db)
    with pytest.raises(DomainError) as refused:
        guarantees.issue_guarantee(db, bank.actor(db), intermediates_pem=[], fee_fen=None, now=TEST_NOW, **signed)
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    assert _counts(db) == before


def test_a_signature_that_is_not_base64_is_a_bad_signature(db: Session) -> None:
    tender, _ = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    signed = _signed(db, bank, tender, bidder) | {"signature": "not base64!"}
    with pytest.raises(guarantees.GuaranteeSignatureInvalid):
        guarantees.issue_guarantee(db, bank.actor(db), intermediates_pem=[], fee_fen=None, now=TEST_NOW, **signed)


def test_an_amendment_cannot_move_a_guarantee_to_another_bidder_or_another_lot(db: Session) -> None:
    tender, _ = deposit_tender(db)
    other_tender, _ = deposit_tender(db)
    bank, bidder, someone = onboard(db), entity_of(db, bidder_user(db)), entity_of(db, bidder_user(db))
    row = issued(db, bank, tender, bidder)
    before = _counts(db)
    cases: list[tuple[dict[str, Any], type[DomainError]]] = [
        (body_for(db, bank, tender, someone, number=row.number, version=2), guarantees.GuaranteeForAnotherBidder),
        (
            body_for(db, bank, tender, bidder, number=row.number, version=2, tender_id=other_tender.id),
            guarantees.GuaranteeForAnotherLot,
        ),
    ]
    for body, error in cases:
        with pytest.raises(error) as refused:
            guarantees.amend_guarantee(
                db, bank.actor(db), guarantee_id=row.id, document=body, signature=sign(bank, body),
                certificate_pem=bank.certificate.certificate_pem, intermediates_pem=[], now=TEST_NOW,
            )  # fmt: skip
        assert refused.value.code in ("guarantee_for_another_bidder", "guarantee_for_another_lot")
    assert _counts(db) == before
    assert (row.version, row.applicant_entity_id, row.tender_id) == (1, bidder.id, tender.id)


def test_the_fit_rules_name_each_misfit_at_once() -> None:
    need = guarantees.Requirement(
        tender_id=1, required_fen=100, beneficiary_credit_code="B", beneficiary_name="招标人",
        bid_deadline=TEST_NOW, valid_until=TEST_NOW + timedelta(days=90),
    )  # fmt: skip
    document = guarantees.Document(
        number="N", institution_credit_code="I", applicant_credit_code="A", beneficiary_credit_code="X", tender_id=2,
        amount_fen=99, valid_from=TEST_NOW + timedelta(days=1), valid_until=TEST_NOW + timedelta(days=89), terms="t",
        version=1,
    )  # fmt: skip
    codes = [e.code for e in guarantees.document_misfits(document, need, applicant_credit_code="Z")]
    assert codes == [
        "guarantee_for_another_lot", "guarantee_for_another_bidder", "guarantee_beneficiary_wrong",
        "guarantee_amount_short", "guarantee_starts_too_late", "guarantee_expires_too_early",
    ]  # fmt: skip
    fitting = guarantees.Document(**{**document.__dict__, "applicant_credit_code": "A", "beneficiary_credit_code": "B",
                                     "tender_id": 1, "amount_fen": 100, "valid_from": TEST_NOW,
                                     "valid_until": TEST_NOW + timedelta(days=90)})  # fmt: skip
    assert guarantees.document_misfits(fitting, need, applicant_credit_code="A") == []


def test_an_institution_amends_then_cancels_before_the_deadline_and_not_after(db: Session) -> None:
    tender, _ = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    row = issued(db, bank, tender, bidder)
    body = body_for(db, bank, tender, bidder, number=row.number, version=2, amount_fen=DEPOSIT_FEN + 500)
    guarantees.amend_guarantee(
        db, bank.actor(db), guarantee_id=row.id, document=body, signature=sign(bank, body),
        certificate_pem=bank.certificate.certificate_pem, intermediates_pem=[], now=TEST_NOW + timedelta(days=1),
    )  # fmt: skip
    assert (row.version, row.amount_fen) == (2, DEPOSIT_FEN + 500)
    late = issued(db, bank, tender, bidder)
    with pytest.raises(guarantees.GuaranteeAfterDeadline):
        guarantees.cancel_guarantee(db, bank.actor(db), guarantee_id=late.id, reason="迟了", now=tender.bid_deadline)
    assert late.status == "issued"
    guarantees.cancel_guarantee(db, bank.actor(db), guarantee_id=row.id, reason="申请人撤回", now=TEST_NOW)
    assert row.status == "cancelled"
    with pytest.raises(guarantees.GuaranteeStatusWrong):
        guarantees.cancel_guarantee(db, bank.actor(db), guarantee_id=row.id, reason="再次", now=TEST_NOW)


def test_no_guarantee_is_issued_after_the_bid_deadline(db: Session) -> None:
    tender, _ = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    before = _counts(db)
    with pytest.raises(guarantees.GuaranteeAfterDeadline):
        issued(db, bank, tender, bidder, now=tender.bid_deadline)
    assert _counts(db) == before


def test_the_institution_pays_the_claim_a_forfeiture_lodged_and_only_its_own(db: Session) -> None:
    """The claim itself is lodged by the owner's forfeiture decision (tests/finance/test_claims.py); here, what the
    institution may do with it."""
    tender, setup = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    row = issued(db, bank, tender, bidder)
    owner = principal(db, setup["owner_user"], Permission.AWARD_MANAGE)
    after = tender.bid_deadline + timedelta(days=2)
    with pytest.raises(guarantees.GuaranteeStatusWrong):  # nothing to pay before a claim
        guarantees.pay_claim(db, bank.actor(db), guarantee_id=row.id, payment_reference="X", now=after)
    guarantees.claim_by_decision(
        db, owner, guarantee=row, reason="投标截止后撤销投标文件（实施条例 第35条）", now=after
    )
    assert (row.status, row.claimed_by_entity_id) == ("claimed", setup["owner"].id)
    other_bank = onboard(db)
    with pytest.raises(NotFound):
        guarantees.pay_claim(db, other_bank.actor(db), guarantee_id=row.id, payment_reference="X", now=after)
    guarantees.pay_claim(db, bank.actor(db), guarantee_id=row.id, payment_reference="PAY-001", now=after)
    assert (row.status, row.payment_reference) == (GuaranteeStatus.PAID.value, "PAY-001")
    expired = issued(db, bank, tender, bidder)
    with pytest.raises(guarantees.GuaranteeExpired):
        guarantees.claim_by_decision(
            db, owner, guarantee=expired, reason="过期", now=expired.valid_until + timedelta(1)
        )


def test_tendering_law_art_22_before_the_opening_only_the_bidder_and_its_institution_see_a_guarantee(
    db: Session,
) -> None:
    tender, setup = deposit_tender(db)
    bank, other_bank = onboard(db), onboard(db)
    bidder_user_ = bidder_user(db)
    row = issued(db, bank, tender, entity_of(db, bidder_user_))
    read = guarantees.read_guarantee
    assert read(db, bank.actor(db), guarantee_id=row.id) is row
    assert read(db, principal(db, bidder_user_, Permission.GUARANTEE_READ), guarantee_id=row.id) is row
    with pytest.raises(NotFound):  # institution B cannot read A's, nor learn it exists
        read(db, other_bank.actor(db), guarantee_id=row.id)
    assert guarantees.guarantees_of_institution(db, other_bank.actor(db)) == []
    assert guarantees.guarantees_of_institution(db, bank.actor(db)) == [row]
    with pytest.raises(NotFound):
        read(db, principal(db, bidder_user(db), Permission.GUARANTEE_READ), guarantee_id=row.id)
    for insider in (setup["owner_user"], setup["agent_user"], setup["staff"]):
        with pytest.raises(DepositsSealed):
            read(db, principal(db, insider, Permission.GUARANTEE_READ), guarantee_id=row.id)


def test_a_signature_is_checked_over_the_canonical_bytes(db: Session) -> None:
    """Key order and spacing do not matter: the institution signs RFC 8785 canonical JSON."""
    tender, _ = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    body = body_for(db, bank, tender, bidder)
    reordered = dict(reversed(list(body.items())))
    row = guarantees.issue_guarantee(
        db, bank.actor(db), document=reordered, signature=sign(bank, body),
        certificate_pem=bank.certificate.certificate_pem, intermediates_pem=[], fee_fen=None, now=TEST_NOW,
    )  # fmt: skip
    assert row.document == guarantees.signed_bytes(body).decode()
    assert base64.b64decode(row.signature)


def test_a_document_without_a_canonical_form_is_malformed_and_leaves_nothing(db: Session) -> None:
    tender, _ = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    signed = _signed(db, bank, tender, bidder)
    signed["document"] = dict(signed["document"], amount_fen=2**60)  # beyond what RFC 8785 numbers hold exactly
    before = _counts(db)
    with pytest.raises(guarantees.GuaranteeDocumentMalformed):
        guarantees.issue_guarantee(db, bank.actor(db), intermediates_pem=[], fee_fen=None, now=TEST_NOW, **signed)
    assert _counts(db) == before


def test_a_document_signed_with_a_certificate_of_an_untrusted_ca_is_refused(db: Session, tmp_path: Path) -> None:
    """The chain is checked: a certificate carrying the institution's credit code from a CA the platform does not
    trust signs nothing (电子签名法 第十三条: the signature must be reliably the signatory's)."""
    tender, _ = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    init_ca(tmp_path, suite=Suite.INTL, name="Rogue CA", now=TEST_NOW - timedelta(days=30))
    rogue = issue(tmp_path, name=bank.entity.name, code=bank.entity.credit_code)
    forger = Bank(bank.entity, rogue, bank.row, bank.user)
    body = body_for(db, bank, tender, bidder)
    before = _counts(db)
    with pytest.raises(CertificateUntrusted):
        guarantees.issue_guarantee(
            db, bank.actor(db), document=body, signature=sign(forger, body), certificate_pem=rogue.certificate_pem,
            intermediates_pem=[], fee_fen=None, now=TEST_NOW,
        )  # fmt: skip
    assert _counts(db) == before
