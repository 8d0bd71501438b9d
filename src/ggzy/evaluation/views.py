"""What each reader sees of an evaluation (row visibility in one place, as projects/access.py does for projects).

Before the result, the committee's names are for the centre's staff only (招标投标法 第37条); everyone else sees
counts. The report is for the owner, its agent and the centre (实施条例 第53条).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from ggzy.core.permissions import Principal
from ggzy.evaluation import access, service
from ggzy.evaluation.models import Evaluation, QualificationMark, Rejection, ScoreSheet, SigningKey
from ggzy.evaluation.schemas import (
    AssignmentOut,
    CommitteeOut,
    EvaluationOut,
    MarksOut,
    RejectionOut,
    ScoreSheetOut,
    SigningKeyOut,
)
from ggzy.experts import service as experts
from ggzy.experts.api import members_out
from ggzy.tendering.models import Tender


def evaluation_view(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> EvaluationOut:
    tender, project = service.load(db, tender_id)
    evaluation = service.find_evaluation(db, tender.id)
    draw = experts.current_draw(db, tender.id)
    committee = None
    if draw is not None:
        committee = CommitteeOut(
            size=draw.size,
            experts=draw.size - draw.owner_representatives,
            owner_representatives=draw.owner_representatives,
            reserve=draw.reserve,
            members=members_out(db, tender.id) if access.sees_identities(actor, project) else None,
        )
    report = service.report_of(db, evaluation.id) if evaluation is not None else None
    shown = report is not None and access.reads_report(actor, project)
    return EvaluationOut(
        tender_id=tender.id,
        stage=service.tender_stage(db, tender, now),
        method=tender.method,
        scheme=json.loads(evaluation.scheme) if evaluation is not None else None,
        committee=committee,
        score_sheets=service.sheet_count(db, evaluation.id) if evaluation is not None else 0,
        report=json.loads(report.body) if shown and report is not None else None,
        report_sha256=report.sha256 if shown and report is not None else None,
    )


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
