"""What each reader sees of an evaluation (row visibility in one place, as projects/access.py does for projects).

Before the result, the committee's names are for the centre's staff only (招标投标法 第37条); everyone else sees
counts. The report is for the owner, its agent and the centre (实施条例 第53条).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.permissions import Principal
from ggzy.evaluation import access, chair, report_signing, service
from ggzy.evaluation.models import (
    ChairVote,
    Evaluation,
    QualificationMark,
    Rejection,
    ReportSignature,
    ScoreSheet,
    SigningKey,
)
from ggzy.evaluation.schemas import (
    AssignmentOut,
    ChairVoteOut,
    CommitteeOut,
    EvaluationOut,
    MarksOut,
    RejectionOut,
    ReportSignatureOut,
    ScoreSheetOut,
    SeatOut,
    SigningKeyOut,
)
from ggzy.experts import service as experts
from ggzy.experts.api import members_out
from ggzy.tendering.models import Tender


def evaluation_view(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> EvaluationOut:
    tender, project = service.load(db, tender_id)
    evaluation = service.find_evaluation(db, tender.id)
    draw = experts.current_draw(db, tender.id)
    staff = access.sees_identities(actor, project)
    member = access.sees_fellow_members(db, actor, tender.id)
    committee = None
    if draw is not None:
        committee = CommitteeOut(
            size=draw.size,
            experts=draw.size - draw.owner_representatives,
            owner_representatives=draw.owner_representatives,
            reserve=draw.reserve,
            members=members_out(db, tender.id) if staff else None,
            seats=seats_out(db, tender.id, evaluation) if staff or member else None,
        )
    report = service.report_of(db, evaluation.id) if evaluation is not None else None
    # the members read the report they sign (实施条例 第53条); its JSON names bids and bidders, not the members
    shown = report is not None and (access.reads_report(actor, project) or member)
    return EvaluationOut(
        tender_id=tender.id,
        stage=service.tender_stage(db, tender, now),
        method=tender.method,
        scheme=json.loads(evaluation.scheme) if evaluation is not None else None,
        committee=committee,
        score_sheets=service.sheet_count(db, evaluation.id) if evaluation is not None else 0,
        report=json.loads(report.body) if shown and report is not None else None,
        report_sha256=report.sha256 if shown and report is not None else None,
        lead_basis=evaluation.lead_basis if evaluation is not None and (staff or member) else None,
        signatures=(
            [
                signature_out(row, with_keys=staff or member)
                for row in report_signing.signatures_of(db, report.id).values()
            ]
            if shown and report is not None
            else None
        ),
    )


def seats_out(db: Session, tender_id: int, evaluation: Evaluation | None) -> list[SeatOut]:
    """The sitting seats without names: who is checked in, who leads."""
    seats = experts.sitting_members(db, tender_id)
    present = experts.attendance_of(db, [seat.id for seat in seats])
    lead = evaluation.lead_member_id if evaluation is not None else None
    return [
        SeatOut(member_id=seat.id, position=seat.position, kind=seat.kind, checked_in=seat.id in present,
                lead=seat.id == lead)
        for seat in seats
    ]  # fmt: skip


def signature_out(row: ReportSignature, *, with_keys: bool = True) -> ReportSignatureOut:
    """A member's signature of the report. The key's fingerprint, the signature and the signed message go to the
    centre's staff and the members only: a signing key is the expert's across tenders (and through the assistant
    its certificate's), so to the owner or agent its fingerprint would be a name (招标投标法 第37条; a security
    review's finding). They read each member's opinion and reasons by seat."""
    return ReportSignatureOut(
        member_id=row.member_id, opinion=row.opinion, reasons=row.reasons,
        key_fingerprint=row.key_fingerprint if with_keys else None,
        signature=row.signature if with_keys else None,
        signed_message=row.signed_message if with_keys else None,
        recorded_at=row.recorded_at,
    )  # fmt: skip


def chair_vote_out(db: Session, evaluation: Evaluation, *, voter_member_id: int) -> ChairVoteOut:
    votes = chair.votes_of(db, evaluation.id)
    row = db.scalar(
        select(ChairVote).where(ChairVote.evaluation_id == evaluation.id, ChairVote.member_id == voter_member_id)
    )
    assert row is not None
    return ChairVoteOut(
        candidate_member_id=row.candidate_member_id, voted_at=row.voted_at, votes_cast=len(votes),
        committee_size=len(experts.sitting_members(db, evaluation.tender_id)), lead_basis=evaluation.lead_basis,
        lead_member_id=evaluation.lead_member_id,
    )  # fmt: skip


def assignments_view(db: Session, actor: Principal, *, now: datetime) -> list[AssignmentOut]:
    """The tenders the user sits on (the expert's own, never another's)."""
    if actor.user_id is None:
        return []
    found = []
    for member in experts.assignments_of(db, actor.user_id):
        tender = db.get(Tender, member.tender_id)
        assert tender is not None
        evaluation: Evaluation | None = service.find_evaluation(db, tender.id)
        found.append(
            AssignmentOut(
                tender_id=tender.id,
                title=tender.title,
                member_id=member.id,
                kind=member.kind,
                lead=evaluation is not None and evaluation.lead_member_id == member.id,
                stage=service.tender_stage(db, tender, now),
            )
        )
    return found


def marks_out(rows: list[QualificationMark]) -> MarksOut:
    return MarksOut(bid_id=rows[0].bid_id, marks={r.criterion: r.passed for r in rows}, marked_at=rows[0].marked_at)


def sheet_out(sheet: ScoreSheet) -> ScoreSheetOut:
    return ScoreSheetOut(
        bid_id=sheet.bid_id,
        scores={key: Decimal(value) for key, value in json.loads(sheet.scores).items()},
        total=Decimal(sheet.total),
        sha256=sheet.sha256,
        submitted_at=sheet.submitted_at,
        key_fingerprint=sheet.key_fingerprint,
        signature=sheet.signature,
        signed_message=sheet.signed_message,
    )


def signing_key_out(key: SigningKey) -> SigningKeyOut:
    return SigningKeyOut(
        fingerprint=key.fingerprint, public_key=key.public_key, created_at=key.created_at, revoked_at=key.revoked_at
    )


def rejection_out(rejection: Rejection) -> RejectionOut:
    return RejectionOut(
        bid_id=rejection.bid_id,
        ground=rejection.ground,
        note=rejection.note,
        automatic=rejection.automatic,
        rejected_at=rejection.rejected_at,
    )
