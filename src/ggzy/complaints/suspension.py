"""Whether a tender may take its next step while complaints are handled (招标投标法实施条例 第62条, 第81条).

Other domains (awards; tendering and evaluation may follow) call :func:`check_may_proceed` before a state change
that moves a tender forward. This module reads only the complaints' own tables, so it imports no other domain and
any domain can import it without a cycle.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.complaints.models import Complaint, TenderSuspension
from ggzy.core.errors import DomainError

UPHELD = "upheld"
RE_TENDER = "re_tender"


class TenderSuspended(DomainError):
    code = "tender_suspended"
    status = 409
    message_zh = (
        "行政监督部门处理投诉期间已责令暂停招标投标活动（招标投标法实施条例 第六十二条），暂停解除前不得{action_zh}"
    )
    message_en = (
        "The supervisory department suspended the tender while it handles a complaint (Regulations art. 62); "
        "it cannot {action_en} until the suspension is lifted"
    )


class ReTenderOrdered(DomainError):
    code = "re_tender_ordered"
    status = 409
    message_zh = "投诉处理决定责令重新招标（招标投标法实施条例 第八十一条），本次招标不得{action_zh}"
    message_en = "A complaint's decision ordered the tender to be re-run (Regulations art. 81); it cannot {action_en}"


def suspension_in_force(db: Session, tender_id: int) -> TenderSuspension | None:
    query = select(TenderSuspension).where(
        TenderSuspension.tender_id == tender_id, TenderSuspension.lifted_at.is_(None)
    )
    return db.scalars(query.order_by(TenderSuspension.id).limit(1)).first()


def check_may_proceed(db: Session, tender_id: int, *, action_zh: str, action_en: str) -> None:
    """Refuse a tender's next step while a suspension is in force (第62条) or after a re-tender was ordered."""
    if suspension_in_force(db, tender_id) is not None:
        raise TenderSuspended(field="tender_id", action_zh=action_zh, action_en=action_en)
    ordered = select(Complaint.id).where(
        Complaint.tender_id == tender_id, Complaint.status == UPHELD, Complaint.remedy == RE_TENDER
    )
    if db.scalar(ordered.limit(1)) is not None:
        raise ReTenderOrdered(field="tender_id", action_zh=action_zh, action_en=action_en)
