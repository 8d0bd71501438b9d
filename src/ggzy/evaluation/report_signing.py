"""Every member signs the evaluation report; a dissent is written, signed and noted (招标投标法实施条例 第53条).

实施条例 第53条第2款: 评标报告应当由评标委员会全体成员签字。对评标结果有不同意见的评标委员会成员应当以书面形式说明其不同
意见和理由，评标报告应当注明该不同意见。评标委员会成员拒绝在评标报告上签字又不书面说明其不同意见和理由的，视为同意评标结果。

So, once the report is finalised, each sitting member, checked in at the venue, signs it: ``agree``, or ``dissent``
with the written dissent and reasons (required). "Signs" means what a score sheet's signature means (decision 0012,
``ggzy.evaluation.signing``): the member's own ECDSA P-256 key, enrolled from their browser, signs the text below,
which binds the report's SHA-256 digest, the member, the opinion and the digest of the reasons; the platform
verifies it against the key in force and keeps message, signature and fingerprint, so anyone holding the public key
can check offline that this member signed this report with this opinion. A signature is final. A member with no key
in force cannot sign (the page asks them to enrol first). The report's JSON is not rewritten: it is final, and its
digest is what is signed; the dissents are noted beside it, in every reading of the report.

A member who will not sign and gives no written reasons is deemed to agree: the centre's staff record that
(``deemed_agreed``, no signature), after which the member can no longer sign. Staff may record it only once the
members have had :data:`SIGNING_TIME` to sign after the report was finalised: a refusal recorded at once would take
from a member the dissent the article gives them (a security review found staff could pre-empt it).

The signed text (UTF-8; every line ends with ``\\n``; reasons with CR LF made LF and surrounding blanks stripped)::

    ggzy evaluation report v1
    tender=<tender id>
    member=<committee member id>
    report=<the report's sha256, hex>
    opinion=<agree|dissent>
    reasons=<sha256 of the reasons' UTF-8, hex; empty for agree>

Hook for other signers: whatever holds the member's enrolled key may sign this text. The page's script
(``static/js/expert_signing.js``) signs it with the same signer as the score sheets — the browser's key, or the
local assistant (decision 0029) asked for the kind ``report`` (``/v1/report``, which signs this exact text only and
shows the member the opinion first). The service cannot tell and need not: it verifies the signature against the
key in force.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.clock import as_utc, to_china_time
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal, Role
from ggzy.evaluation import access, service, signing
from ggzy.evaluation.models import EvaluationReport, ReportSignature
from ggzy.experts.service import sitting_member
from ggzy.tendering.service import get_tender, project_of

MESSAGE_HEADER = "ggzy evaluation report v1"
AGREE, DISSENT, DEEMED_AGREED = "agree", "dissent", "deemed_agreed"
OPINIONS_SIGNED = (AGREE, DISSENT)


class ReportSignatureInvalid(DomainError):
    code = "report_signature_invalid"
    status = 422
    message_zh = "评标报告签名无效：{reason_zh}。未签署"
    message_en = "The signature of the evaluation report is not valid: {reason_en}. Nothing was signed"


def normalised_reasons(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def report_message(*, tender_id: int, member_id: int, report_sha256: str, opinion: str, reasons: str) -> str:
    """The text a member signs for the report (the one definition; the page's script mirrors it)."""
    reasons = normalised_reasons(reasons)
    digest = hashlib.sha256(reasons.encode("utf-8")).hexdigest() if reasons else ""
    lines = [
        MESSAGE_HEADER, f"tender={tender_id}", f"member={member_id}", f"report={report_sha256}",
        f"opinion={opinion}", f"reasons={digest}",
    ]  # fmt: skip
    return "".join(f"{line}\n" for line in lines)


def current_report(db: Session, tender_id: int) -> EvaluationReport:
    """The finalised report of the tender's current evaluation; refused while there is none."""
    evaluation = service.find_evaluation(db, tender_id)
    report = service.report_of(db, evaluation.id) if evaluation is not None else None
    if report is None:
        raise NotFound(field="tender_id", what_zh="评标报告", what_en="Evaluation report")
    return report


def signatures_of(db: Session, report_id: int) -> dict[int, ReportSignature]:
    """The report's signatures (and refusals deemed to agree), by member id."""
    query = select(ReportSignature).where(ReportSignature.report_id == report_id)
    return {row.member_id: row for row in db.scalars(query)}


def _not_yet(db: Session, report: EvaluationReport, member_id: int) -> None:
    if member_id in signatures_of(db, report.id):
        raise service.SheetFinal(field="opinion", what_zh="评标报告签署意见", what_en="A signature of the report")


def _record(db: Session, actor: Principal, tender_id: int, row: ReportSignature, now: datetime) -> None:
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    record_event(
        db, actor, action=f"evaluation.report_{'signed' if row.opinion != DEEMED_AGREED else 'signature_refused'}",
        subject_type="tender", subject_id=tender.id, centre_id=project.centre_id,
        payload={"member_id": row.member_id, "opinion": row.opinion, "key_fingerprint": row.key_fingerprint,
                 "reasons_sha256": hashlib.sha256(row.reasons.encode()).hexdigest() if row.reasons else None},
        now=now,
    )  # fmt: skip


@changes_state("evaluation.report_signed", disclosed=False)
def sign_report(
    db: Session, actor: Principal, *, tender_id: int, opinion: str, reasons: str, signature: str, now: datetime
) -> ReportSignature:
    """A sitting member signs the finalised report, agreeing or dissenting with written reasons (实施条例 第53条),
    with their enrolled key over :func:`report_message`; final, and refused (nothing written) unless it verifies."""
    report = current_report(db, tender_id)
    member, actor = access.present_member_for(db, actor, tender_id)
    reasons = normalised_reasons(reasons)
    if opinion not in OPINIONS_SIGNED:
        raise InvalidInput(field="opinion", reason_zh="须为同意或不同意", reason_en="must be agree or dissent")
    if opinion == DISSENT and not reasons:
        raise InvalidInput(
            field="reasons",
            reason_zh="对评标结果有不同意见的，应当以书面形式说明其不同意见和理由（实施条例 第五十三条）",
            reason_en="a member who disagrees states the dissent and its reasons in writing (Regulations art. 53)",
        )
    if opinion == AGREE and reasons:
        raise InvalidInput(
            field="reasons", reason_zh="同意评标结果时不填写不同意见", reason_en="no dissent is written when agreeing"
        )
    _not_yet(db, report, member.id)
    key = signing.current_key(db, member.user_id)
    if key is None:
        raise ReportSignatureInvalid(
            field="signature", reason_zh="您尚未登记签名密钥", reason_en="you have no signing key enrolled"
        )
    message = report_message(
        tender_id=tender_id, member_id=member.id, report_sha256=report.sha256, opinion=opinion, reasons=reasons
    )
    signing.verify(key, message=message, signature=signature, error=ReportSignatureInvalid)
    row = ReportSignature(
        report_id=report.id, member_id=member.id, opinion=opinion, reasons=reasons, signed_message=message,
        signature=signature.strip(), key_fingerprint=key.fingerprint, recorded_by=actor.user_id, recorded_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    _record(db, actor, tender_id, row, now)
    return row


# How long the members have to sign (or write their dissent) before staff may record that one refused: a rule of the
# platform, not of the article, which sets no time; half an hour at the venue, after the report is read.
SIGNING_TIME = timedelta(minutes=30)


class SigningTimeOpen(DomainError):
    code = "report_signing_time_open"
    status = 409
    message_zh = "评标报告定稿后 {minutes} 分钟内成员仍可签署或书面说明不同意见，{until} 之前不能记录拒签"
    message_en = "Members may sign or write their dissent for {minutes} minutes after the report; not before {until}"


@changes_state("evaluation.report_signature_refused", disclosed=False)
def record_refusal(db: Session, actor: Principal, *, tender_id: int, member_id: int, now: datetime) -> ReportSignature:
    """The centre's staff record that a member refused to sign the report without written dissent and reasons: the
    member is deemed to agree (视为同意评标结果, 实施条例 第53条第2款), and can no longer sign."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    if not access.is_centre_staff(actor, project):
        raise access.NotTheFinaliser(field="tender_id", action_zh="记录拒绝签字", action_en="record a refusal to sign")
    report = current_report(db, tender.id)
    member = sitting_member(db, tender_id=tender.id, member_id=member_id)
    if member.id in signatures_of(db, report.id):
        raise Conflict(field="member_id", reason_zh="该成员已签署", reason_en="the member has signed already")
    until = as_utc(report.finalised_at) + SIGNING_TIME
    if now < until:
        shown = to_china_time(until).strftime("%Y-%m-%d %H:%M")
        raise SigningTimeOpen(minutes=int(SIGNING_TIME.total_seconds() // 60), until=f"{shown} (UTC+8)")
    row = ReportSignature(
        report_id=report.id, member_id=member.id, opinion=DEEMED_AGREED, reasons="", signed_message=None,
        signature=None, key_fingerprint=None, recorded_by=actor.user_id, recorded_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    _record(db, replace(actor, acting_role=Role.CENTRE_STAFF), tender.id, row, now)
    return row
