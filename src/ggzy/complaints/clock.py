"""The clock of a complaint's decision as a reader follows it: by when, how many working days are left, and the
reviews whose time is not counted.

招标投标法实施条例 第61条第2款: 行政监督部门应当自收到投诉之日起3个工作日内决定是否受理投诉，并自受理投诉之日起30个
工作日内作出书面处理决定；需要检验、检测、鉴定、专家评审的，所需时间不计算在内。 Under 政府采购法 the 30 working days
run from receipt (第56条) and the complainant's supplementing of its material is not counted either (政府采购法实施条例
第58条). The periods themselves are ``ggzy.complaints.rules`` (through ``ggzy.core.periods``); this module only reads
them for a page: the days left count from today (Beijing) to the decision's last day, and while a review runs the
clock stands still at the day the review began.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from ggzy.complaints import rules
from ggzy.complaints.models import Complaint
from ggzy.core.calendar import CalendarYearUnknown
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.events import events_for
from ggzy.tendering.procedures import procedure
from ggzy.tendering.rules import china_date
from ggzy.tendering.service import get_tender


@dataclass(frozen=True)
class Review:
    """An inspection, test, appraisal or expert review (or the complainant's supplement): not counted."""

    kind: str
    label: str
    note: str
    started_at: datetime
    ended_at: datetime | None  # None while it runs
    working_days: int | None  # the working days not counted, once ended


@dataclass(frozen=True)
class DecisionClock:
    received_on: date
    acceptance_due: date
    accepted_on: date | None
    decision_from_receipt: bool  # 政府采购法 第56条: from receipt; else from acceptance (实施条例 第61条)
    decision_days: int  # 30 working days
    decision_article: str
    excluded_working_days: int
    decision_due: date | None
    paused_since: date | None  # the day the running review began: the clock stands still
    working_days_left: int | None  # negative once the last day has passed; None without a calendar or a period
    reviews: list[Review]
    review_kinds: dict[str, str]  # the kinds a supervisor may start under the tender's law


def _reviews(db: Session, complaint: Complaint, kinds: dict[str, str]) -> list[Review]:
    found: list[Review] = []
    for event in events_for(db, "complaint", complaint.id):
        payload = json.loads(event.payload)
        if event.action == "complaint.review_started":
            kind = str(payload.get("kind", ""))
            found.append(
                Review(kind, kinds.get(kind, kind), str(payload.get("note", "")), event.occurred_at, None, None)
            )
        elif event.action == "complaint.review_ended" and found and found[-1].ended_at is None:
            last = found[-1]
            found[-1] = Review(last.kind, last.label, last.note, last.started_at, event.occurred_at,
                               int(payload.get("working_days", 0)))  # fmt: skip
    return found


def decision_clock(db: Session, complaint: Complaint, now: datetime) -> DecisionClock:
    """The complaint's clock: the dates in Beijing time and the working days left to decide."""
    law = rules.complaint_law(procedure(get_tender(db, complaint.tender_id).procedure).law.key)
    kinds = dict(law.review_kinds)
    paused_since = china_date(complaint.review_started_at) if complaint.review_started_at is not None else None
    left = None
    if complaint.decision_due is not None and complaint.status == rules.ACCEPTED:
        counted_to = paused_since or china_date(now)
        try:
            left = working_day_calendar(db).working_days_between(counted_to, complaint.decision_due)
        except CalendarYearUnknown:
            left = None  # a year the working-day calendar does not know yet: the page shows the date alone
    return DecisionClock(
        received_on=china_date(complaint.lodged_at),
        acceptance_due=complaint.acceptance_due,
        accepted_on=china_date(complaint.accepted_at) if complaint.accepted_at is not None else None,
        decision_from_receipt=law.decision_from_receipt,
        decision_days=law.decision.length,
        decision_article=law.decision.article,
        excluded_working_days=complaint.excluded_working_days,
        decision_due=complaint.decision_due,
        paused_since=paused_since,
        working_days_left=left,
        reviews=_reviews(db, complaint, kinds),
        review_kinds=kinds,
    )
