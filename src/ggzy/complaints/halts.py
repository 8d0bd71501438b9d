"""The halt complaints put on a round (招标投标法实施条例 第62条; 政府采购法 第57条), and what a lot's new round waits
for (第81条), registered with the lifecycle (:mod:`ggzy.tendering.lifecycle`) by the composition root. Nobody imports
this module to ask whether a tender may go on: every service asks the lifecycle's one guard, which asks every
registered halt.

A decision ordering a re-tender or re-evaluation (第81条) needs no halt: it moves the round itself, to ``failed`` or
back to ``opened`` (``complaints.service.uphold_complaint``), and the stages refuse every step the decision rules
out (decision 0020).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from ggzy.complaints import rules
from ggzy.complaints.models import Complaint, TenderSuspension
from ggzy.core.clock import as_utc
from ggzy.tendering.lifecycle import (
    Halt,
    PreviousRoundUnderComplaint,
    RoundBlocker,
    TenderColumn,
    TenderSuspended,
    WindowAllowance,
    register_halt,
    register_round_blocker,
    register_window_allowance,
)
from ggzy.tendering.stages import Step

# Every step that moves a round forward waits while a complaint's suspension is in force (第62条).
_FORWARD = frozenset(
    {
        Step.PUBLISH,
        Step.CLARIFY,
        Step.PUBLICISE_SOLE_SUPPLIER,
        Step.TERMINATE,  # terminating would take the round out of the supervisor's hands mid-complaint
        Step.EVALUATE,
        Step.REGISTER,
        Step.SUBMIT_BID,
        Step.WITHDRAW_BID,
        Step.START_OPENING,
        Step.DECRYPT,  # the window is given back when the suspension lifts (tendering.opening)
        Step.FINISH_OPENING,
        Step.DRAW_EXPERTS,
        Step.START_EVALUATION,
        Step.FINALISE_REPORT,
        Step.PUBLICISE,
        Step.REPUBLICISE,
        Step.AWARD,
        Step.CONTRACT,
        # 竞争性谈判, 竞争性磋商: the quotation rounds during the evaluation (政府采购法 第57条: suspended too)
        Step.CALL_QUOTATIONS,
        Step.SUBMIT_QUOTATION,
        Step.OPEN_QUOTATIONS,
    }
)


def _in_force(now: datetime) -> ColumnElement[bool]:
    """Not lifted, and — under 政府采购法 第57条, at most 30 days — not run out (``expires_at``: 24:00 of its last
    day); a suspension under 招标投标法实施条例 第62条 has no end but its lifting."""
    return TenderSuspension.lifted_at.is_(None) & or_(
        TenderSuspension.expires_at.is_(None), TenderSuspension.expires_at > now
    )


def suspension_in_force(db: Session, tender_id: int, *, now: datetime) -> TenderSuspension | None:
    query = select(TenderSuspension).where(TenderSuspension.tender_id == tender_id, _in_force(now))
    return db.scalars(query.order_by(TenderSuspension.id).limit(1)).first()


def _suspended(tender_id: TenderColumn, now: datetime) -> ColumnElement[bool]:
    return exists().where(TenderSuspension.tender_id == tender_id, _in_force(now))


SUSPENDED = Halt(key="suspended", steps=_FORWARD, refusal=TenderSuspended, sql=_suspended, timed=True)


# Not decided yet: lodged (acceptance pending) or accepted (decision pending). A refusal to accept is final (第61条).
_UNDECIDED = (rules.LODGED, rules.ACCEPTED)


def _complaint_undecided(db: Session, earlier: list[tuple[int, int]]) -> int | None:
    """The first earlier round of the lot with a complaint still undecided, whose decision may order that round
    evaluated again (第81条); a round a decision already ordered re-tendered is void as a whole (招标、投标、中标无效),
    so what else was said against it no longer holds a new round up."""
    ids = [tender_id for tender_id, _ in earlier]
    re_tendered = select(Complaint.tender_id).where(
        Complaint.tender_id.in_(ids), Complaint.status == rules.UPHELD, Complaint.remedy == rules.RE_TENDER
    )
    found = db.scalar(
        select(Complaint.tender_id)
        .where(Complaint.tender_id.in_(ids), Complaint.status.in_(_UNDECIDED), Complaint.tender_id.not_in(re_tendered))
        .order_by(Complaint.tender_id)
        .limit(1)
    )
    return dict(earlier)[found] if found is not None else None


UNDECIDED_COMPLAINT = RoundBlocker(
    key="complaint_undecided", refusal=PreviousRoundUnderComplaint, check=_complaint_undecided
)


def _expired_suspensions_owed(
    db: Session, tender_id: int, started_at: datetime, window_ends_at: datetime, now: datetime
) -> timedelta:
    """A 政府采购 suspension that ended by itself after its 30 days (政府采购法 第57条) was never lifted, so nothing
    gave the decryption window back the time it covered (电子招标投标办法 第三十一条, as a lifting does:
    ``tendering.opening.extend_window_after_suspension``): that time is owed, counted from the later of the order
    and the opening's start, when it fell within the window."""
    owed = timedelta()
    expired = select(TenderSuspension.ordered_at, TenderSuspension.expires_at).where(
        TenderSuspension.tender_id == tender_id,
        TenderSuspension.lifted_at.is_(None),
        TenderSuspension.expires_at.is_not(None),
        TenderSuspension.expires_at <= now,
    )
    for ordered_at, expires_at in db.execute(expired):
        assert expires_at is not None  # the query asks for it
        halted_from = max(as_utc(ordered_at), as_utc(started_at))
        if halted_from < as_utc(window_ends_at) and as_utc(expires_at) > halted_from:
            owed += as_utc(expires_at) - halted_from
    return owed


EXPIRED_SUSPENSIONS = WindowAllowance(key="expired_suspensions", owed=_expired_suspensions_owed)


def register() -> None:
    register_halt(SUSPENDED)
    register_window_allowance(EXPIRED_SUSPENSIONS)
    register_round_blocker(UNDECIDED_COMPLAINT)
