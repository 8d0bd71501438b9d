"""The statutory rules of complaints, as pure functions of dates, a working-day calendar and states (STYLE 4).

招标投标法实施条例 第60条: a complaint within 10 days of knowing (or when one should have known), with a clear
request and the necessary evidence; for the matters of 第22条, 第44条 and 第54条 an objection first, and the time
the objection waits for its answer does not count into the 10 days. 第61条: the supervisor decides whether to
accept within 3 working days of receipt, and decides within 30 working days of acceptance, inspection, testing,
appraisal and expert review not counted.

Under 政府采购法 (a round whose procedure's law is ``procurement_law``) the periods are that law's, declared in
:mod:`ggzy.tendering.procurement_periods` (:data:`PROCUREMENT`): only a supplier that challenged first (质疑供应商)
complains, within 15 working days after the period for answering its challenge ends (第55条); the department
decides within 30 working days of receiving the complaint (第56条; 实施条例 第58条: inspection, testing, appraisal,
expert review and the complainant's supplementing of material not counted); it may suspend the procurement for at
most 30 days (第57条). Each period is declared once in the period registry
(:mod:`ggzy.core.periods`): calendar-day periods start the day after the event (民法典 第201条) and a last day on a
statutory day off moves to the next working day (第203条); working-day periods count the holiday calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ggzy.core.calendar import WorkingDayCalendar
from ggzy.core.errors import DomainError, InvalidInput
from ggzy.core.periods import DayCount, StatutoryPeriod, statutory_period
from ggzy.core.violations import MissedPeriod, missed
from ggzy.tendering.procurement_periods import PROCUREMENT_PERIODS

LODGING = statutory_period(
    "complaint.lodging",
    name_zh="自知道或者应当知道之日起投诉",
    name_en="A complaint after one knew, or should have known",
    length=10,
    unit=DayCount.DAYS,
    article="招标投标法实施条例 第六十条",
)
ACCEPTANCE = statutory_period(
    "complaint.acceptance",
    name_zh="自收到投诉之日起决定是否受理",
    name_en="The supervisor decides whether to accept a complaint",
    length=3,
    unit=DayCount.WORKING_DAYS,
    article="招标投标法实施条例 第六十一条",
)
DECISION = statutory_period(
    "complaint.decision",
    name_zh="自受理投诉之日起作出书面处理决定",
    name_en="The supervisor's written decision after accepting a complaint",
    length=30,
    unit=DayCount.WORKING_DAYS,
    article="招标投标法实施条例 第六十一条",
)


# What a complaint is about, and the article that makes an objection come first (第60条 second paragraph).
DOCUMENTS, OPENING, EVALUATION_RESULT, OTHER = "documents", "opening", "evaluation_result", "other"
MATTERS: dict[str, tuple[str, str] | None] = {
    DOCUMENTS: ("第二十二条", "Regulations art. 22"),  # 资格预审文件、招标文件
    OPENING: ("第四十四条", "Regulations art. 44"),  # 开标
    EVALUATION_RESULT: ("第五十四条", "Regulations art. 54"),  # 评标结果
    OTHER: None,
}

# 第61条: time for these is not counted into the 30 working days.
REVIEW_KINDS: dict[str, str] = {
    "inspection": "检验",
    "testing": "检测",
    "appraisal": "鉴定",
    "expert_review": "专家评审",
}

# 政府采购法实施条例 第58条: the time the complainant takes to supplement its material is not counted either.
PROCUREMENT_REVIEW_KINDS: dict[str, str] = {**REVIEW_KINDS, "supplement": "投诉人补正材料"}


@dataclass(frozen=True)
class ComplaintLaw:
    """The periods a complaint runs by, picked by the law of the tender's procedure (``procedure.law.key``).

    ``decision`` counts from acceptance (招标投标法实施条例 第61条: 自受理投诉之日起) or, with
    ``decision_from_receipt``, from receipt (政府采购法 第56条: 收到投诉后). ``acceptance`` is the separate period to
    accept or refuse, where the law has one (第61条: 3 working days); 政府采购法 sets none, so there the decision's
    30 working days from receipt bound the acceptance too. ``challenge_first``: a complaint only from a supplier
    that challenged first, on the matter it challenged (政府采购法 第55条; 实施条例 第55条), its period counted
    from the end of the answer period (``challenge_answer``). ``suspension_limit``: the longest suspension
    (政府采购法 第57条); None where the law sets none (招标投标法实施条例 第62条)."""

    key: str
    review_kinds: Mapping[str, str]  # the reviews whose time is not counted into the decision's period
    lodging: StatutoryPeriod
    acceptance: StatutoryPeriod | None
    decision: StatutoryPeriod
    decision_from_receipt: bool
    challenge_first: bool
    challenge_answer: StatutoryPeriod | None
    suspension_limit: StatutoryPeriod | None


TENDERING = ComplaintLaw(
    key="tendering_law", review_kinds=REVIEW_KINDS, lodging=LODGING, acceptance=ACCEPTANCE, decision=DECISION,
    decision_from_receipt=False, challenge_first=False, challenge_answer=None, suspension_limit=None,
)  # fmt: skip
PROCUREMENT = ComplaintLaw(
    key="procurement_law", review_kinds=PROCUREMENT_REVIEW_KINDS, lodging=PROCUREMENT_PERIODS.complaint_lodging,
    acceptance=None, decision=PROCUREMENT_PERIODS.complaint_decision, decision_from_receipt=True,
    challenge_first=True, challenge_answer=PROCUREMENT_PERIODS.challenge_answer,
    suspension_limit=PROCUREMENT_PERIODS.complaint_suspension,
)  # fmt: skip
_LAWS = {law.key: law for law in (TENDERING, PROCUREMENT)}


def complaint_law(law_key: str) -> ComplaintLaw:
    """The complaint periods of a procedure's law (``procedure.law.key``)."""
    return _LAWS[law_key]


# What an upheld complaint orders (实施条例 第61条 written decision; 第81条 re-evaluation or re-tender).
CORRECTIVE_ACTION, RE_EVALUATION, RE_TENDER = "corrective_action", "re_evaluation", "re_tender"
REMEDIES: dict[str, str] = {
    CORRECTIVE_ACTION: "责令改正",
    RE_EVALUATION: "责令重新评标",
    RE_TENDER: "责令重新招标",
}
# Who re-evaluates, as a decision ordering re-evaluation says: the committee sits again, or a new one is drawn at
# random (实施条例 第46条) — as where the committee was unlawfully made up (第70条: 依法重新进行评审) or a member
# failed in their duty (第71条).
SAME_COMMITTEE, NEW_COMMITTEE = "same", "new"
COMMITTEES: dict[str, str] = {SAME_COMMITTEE: "原评标委员会重新评审", NEW_COMMITTEE: "重新组建评标委员会"}
# The article a remedy that moves the round carries, by the law of the procedure (the procedure's ``law.key``).
REMEDY_ARTICLES: dict[tuple[str, str], str] = {
    (RE_TENDER, "tendering_law"): "招标投标法实施条例 第八十一条",
    (RE_EVALUATION, "tendering_law"): "招标投标法实施条例 第八十一条",
    # 终止本次政府采购活动，重新开展政府采购活动 (第71条 (一)); the result void, where no candidate qualifies (二)
    (RE_TENDER, "procurement_law"): "政府采购法实施条例 第七十一条",
    # re-evaluation only as the finance department provides (第44条): here, its own decision
    (RE_EVALUATION, "procurement_law"): "政府采购法实施条例 第四十四条",
}

# The states of a complaint and the moves between them.
LODGED, ACCEPTED, REFUSED, UPHELD, DISMISSED = "lodged", "accepted", "refused", "upheld", "dismissed"
COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    LODGED: frozenset({ACCEPTED, REFUSED}),
    ACCEPTED: frozenset({UPHELD, DISMISSED}),
    REFUSED: frozenset(),
    UPHELD: frozenset(),
    DISMISSED: frozenset(),
}


class ComplaintTooLate(DomainError):
    code = "complaint_too_late"
    status = 422
    message_zh = (
        "投诉应当自知道或者应当知道之日起 10 日内提出（招标投标法实施条例 第六十条）；自 {knew_on} 起算"
        "{excluded_zh}，最迟于 {last_day} 提出"
    )
    message_en = (
        "A complaint is lodged within 10 days of knowing, or when one should have known (Regulations art. 60); "
        "counted from {knew_on}{excluded_en}, the last day was {last_day}"
    )


class ObjectionRequiredFirst(DomainError):
    code = "objection_required_first"
    status = 409
    message_zh = (
        "就招标投标法实施条例{article}规定事项投诉的，应当先向招标人提出异议（招标投标法实施条例 第六十条）；"
        "贵单位尚未就本招标项目提出该项异议"
    )
    message_en = (
        "A complaint on this matter ({article_en}) comes after an objection to the owner (Regulations art. 60); "
        "your entity has raised none on this tender"
    )


class ProcurementComplaintTooLate(DomainError):
    code = "procurement_complaint_too_late"
    status = 422
    message_zh = (
        "质疑供应商应当在答复期满后 {days} {unit_zh}内投诉（{article}）；答复期满于 {answer_period_end}，"
        "最迟于 {last_day} 投诉"
    )
    message_en = (
        "A supplier complains within {days} {unit_en} after the period for answering its challenge ends "
        "({article}); that period ended on {answer_period_end}, the last day was {last_day}"
    )


class ChallengeRequiredFirst(DomainError):
    code = "challenge_required_first"
    status = 409
    message_zh = (
        "政府采购的投诉人应当是就投诉事项先向采购人提出质疑的供应商，投诉事项不得超出已质疑事项的范围"
        "（政府采购法 第五十五条；政府采购法实施条例 第五十五条）；贵单位尚未就本项目的该事项提出质疑"
    )
    message_en = (
        "A government-procurement complaint comes from a supplier that first challenged the same matter before the "
        "purchaser (Government Procurement Law art. 55; Implementing Regulations art. 55); your entity has made no "
        "challenge on this matter of this procurement"
    )


class ChallengeAwaitingAnswer(DomainError):
    code = "challenge_awaiting_answer"
    status = 409
    message_zh = (
        "质疑尚在答复期内且未答复：对答复不满意或者答复期满未答复的，方可投诉（政府采购法 第五十五条）；"
        "答复期至 {answer_period_end} 届满"
    )
    message_en = (
        "The challenge is not answered and its answer period runs until {answer_period_end}: a complaint follows "
        "an answer, or the end of that period (Government Procurement Law art. 55)"
    )


class EvidenceMissing(DomainError):
    code = "complaint_evidence_missing"
    status = 422
    message_zh = "投诉应当有明确的请求和必要的证明材料（招标投标法实施条例 第六十条）"
    message_en = "A complaint has a clear request and the necessary evidence (Regulations art. 60)"


class ComplaintStateWrong(DomainError):
    code = "complaint_state_wrong"
    status = 409
    message_zh = "投诉处于“{state}”状态，不能{action_zh}"
    message_en = "The complaint is {state}; it cannot {action_en}"


def check_one_of(field: str, value: str, choices: Mapping[str, object]) -> None:
    if value not in choices:
        raise InvalidInput(field=field, reason_zh=f"须为 {sorted(choices)} 之一", reason_en=f"one of {sorted(choices)}")


def check_committee(*, remedy: str, committee: str | None) -> None:
    """A decision ordering re-evaluation says who re-evaluates; any other decision says nothing of it."""
    if remedy == RE_EVALUATION:
        if committee is None:
            raise InvalidInput(
                field="committee",
                reason_zh=f"责令重新评标的，须写明由原评标委员会还是新组建的评标委员会评审：{sorted(COMMITTEES)}",
                reason_en="a re-evaluation says whether the same committee or a new one evaluates: "
                f"{sorted(COMMITTEES)}",
            )
        check_one_of("committee", committee, COMMITTEES)
    elif committee is not None:
        raise InvalidInput(
            field="committee",
            reason_zh="只有责令重新评标的决定才写明评标委员会",
            reason_en="only a decision ordering re-evaluation names the committee",
        )


def move(*, current: str, target: str, action_zh: str, action_en: str) -> str:
    """The state after a move allowed by :data:`COMPLAINT_TRANSITIONS`, or :class:`ComplaintStateWrong`."""
    if target not in COMPLAINT_TRANSITIONS.get(current, frozenset()):
        raise ComplaintStateWrong(field="complaint_id", state=current, action_zh=action_zh, action_en=action_en)
    return target


def objection_wait_days(*, raised_on: date, answered_on: date | None, today: date) -> int:
    """第60条: the days an objection waited for its answer, which do not count into the 10 days (an unanswered
    objection is still waiting today)."""
    return max(((answered_on or today) - raised_on).days, 0)


def last_lodging_day(calendar: WorkingDayCalendar, *, knew_on: date, excluded_days: int) -> date:
    """第60条: the 10th day after the day one knew, plus the days an objection waited for its answer; a last day
    on a statutory day off moves to the next working day (民法典 第203条)."""
    return LODGING.last_day(calendar, knew_on, days_not_counted=excluded_days)


def check_lodged_in_time(calendar: WorkingDayCalendar, *, knew_on: date, today: date, excluded_days: int) -> date:
    """第60条: returns the last lodging day, or raises :class:`ComplaintTooLate`."""
    last_day = last_lodging_day(calendar, knew_on=knew_on, excluded_days=excluded_days)
    if today > last_day:
        raise ComplaintTooLate(
            field="knew_on",
            knew_on=knew_on.isoformat(),
            last_day=last_day.isoformat(),
            excluded_zh=f"（异议答复期间 {excluded_days} 日不计算在内）" if excluded_days else "",
            excluded_en=f" (the {excluded_days} days the objection awaited its answer not counted)"
            if excluded_days
            else "",
        )
    return last_day


def acceptance_due(calendar: WorkingDayCalendar, *, received_on: date) -> date:
    """第61条: whether to accept is decided within 3 working days of receipt (the last day)."""
    return ACCEPTANCE.last_day(calendar, received_on)


def decision_due(calendar: WorkingDayCalendar, *, accepted_on: date, excluded_working_days: int) -> date:
    """第61条: the written decision within 30 working days of acceptance; the working days of inspection, testing,
    appraisal and expert review are not counted, so they push the last day back."""
    return DECISION.last_day(calendar, accepted_on, days_not_counted=excluded_working_days)


def acceptance_missed(*, acceptance_due: date, handled_on: date) -> MissedPeriod | None:
    """第61条: accepting or refusing after the 3 working days is still done (the complainant is owed the answer);
    the supervisory department's missed period is recorded (decision 0021)."""
    return missed(ACCEPTANCE, due=acceptance_due, happened_on=handled_on)


def decision_missed(*, decision_due: date, decided_on: date) -> MissedPeriod | None:
    """第61条: a written decision after the 30 working days (reviews not counted) is still made, and the missed
    period recorded (decision 0021)."""
    return missed(DECISION, due=decision_due, happened_on=decided_on)


def review_working_days(calendar: WorkingDayCalendar, *, started_on: date, ended_on: date) -> int:
    """The working days a review took (the start day not counted, the end day counted)."""
    return max(calendar.working_days_between(started_on, ended_on), 0)


# -- 政府采购法 (第55条–第57条) ----------------------------------------------------------------------------------------


def answer_period_end(law: ComplaintLaw, calendar: WorkingDayCalendar, *, challenged_on: date) -> date:
    """政府采购法 第53条: the last day of the 7 working days the purchaser has to answer a challenge."""
    assert law.challenge_answer is not None
    return law.challenge_answer.last_day(calendar, challenged_on)


def check_procurement_lodged_in_time(
    law: ComplaintLaw, calendar: WorkingDayCalendar, *, challenged_on: date, answered_on: date | None, today: date
) -> date:
    """政府采购法 第55条: within 15 working days after the answer period ends. An answer given after that period
    starts the 15 working days on its own day (the supplier could not be dissatisfied before it had it). Before
    the period ends a complaint waits for the answer (:class:`ChallengeAwaitingAnswer`). Returns the last day, or
    raises :class:`ProcurementComplaintTooLate`."""
    period_end = answer_period_end(law, calendar, challenged_on=challenged_on)
    if answered_on is None and today <= period_end:
        raise ChallengeAwaitingAnswer(field="matter", answer_period_end=period_end.isoformat())
    start = max(period_end, answered_on) if answered_on is not None else period_end
    last_day = law.lodging.last_day(calendar, start)
    if today > last_day:
        raise ProcurementComplaintTooLate(
            field="matter", answer_period_end=period_end.isoformat(), last_day=last_day.isoformat(),
            **law.lodging.words(),
        )  # fmt: skip
    return last_day


def acceptance_due_by_law(law: ComplaintLaw, calendar: WorkingDayCalendar, *, received_on: date) -> date:
    """第61条: 3 working days of receipt; 政府采购法 sets no separate period, so the decision's own last day (第56条:
    30 working days of receipt) bounds the acceptance."""
    period = law.acceptance if law.acceptance is not None else law.decision
    return period.last_day(calendar, received_on)


def acceptance_missed_by_law(law: ComplaintLaw, *, acceptance_due: date, handled_on: date) -> MissedPeriod | None:
    period = law.acceptance if law.acceptance is not None else law.decision
    return missed(period, due=acceptance_due, happened_on=handled_on)


def decision_due_by_law(
    law: ComplaintLaw, calendar: WorkingDayCalendar, *, received_on: date, accepted_on: date,
    excluded_working_days: int,
) -> date:  # fmt: skip
    """The decision's last day: 30 working days of acceptance (实施条例 第61条) or of receipt (政府采购法 第56条),
    the working days of reviews not counted (第61条; 政府采购法实施条例 第58条)."""
    start = received_on if law.decision_from_receipt else accepted_on
    return law.decision.last_day(calendar, start, days_not_counted=excluded_working_days)


def decision_missed_by_law(law: ComplaintLaw, *, decision_due: date, decided_on: date) -> MissedPeriod | None:
    return missed(law.decision, due=decision_due, happened_on=decided_on)


def suspension_last_day(law: ComplaintLaw, calendar: WorkingDayCalendar, *, first_ordered_on: date) -> date | None:
    """政府采购法 第57条: a suspension lasts at most 30 days from the (first) written notice; None where the law sets
    no limit (招标投标法实施条例 第62条)."""
    if law.suspension_limit is None:
        return None
    return law.suspension_limit.last_day(calendar, first_ordered_on)


# -- investigation and hearings (实施条例 第62条; 政府采购法实施条例 第56条) ------------------------------------

# 第62条: 查阅、复制有关文件、资料，调查有关情况; the last two are the reviews of 第61条, whose time is not counted.
DOCUMENTS_REVIEWED, INQUIRY, SITE_SURVEY, TESTING, EXPERT_REVIEW = (
    "documents", "inquiry", "site_survey", "testing", "expert_review",
)  # fmt: skip
INVESTIGATION_KINDS: dict[str, str] = {
    DOCUMENTS_REVIEWED: "查阅复制文件资料",
    INQUIRY: "调查询问",
    SITE_SURVEY: "现场勘查",
    TESTING: "检验检测鉴定",
    EXPERT_REVIEW: "专家评审",
}
# The step kinds recorded within a review of the decision clock (第61条), and the review kinds each belongs to.
REVIEWED_STEPS: dict[str, frozenset[str]] = {
    TESTING: frozenset({"inspection", "testing", "appraisal"}),
    EXPERT_REVIEW: frozenset({"expert_review"}),
}
# Who is heard in an investigation step; an expert's identity is never recorded (实施条例 第62条第2款: 保密).
COMPLAINANT, OWNER, AGENT, BIDDER, EXPERT, WITNESS, OTHER_PARTY = (
    "complainant", "owner", "agent", "bidder", "expert", "witness", "other",
)  # fmt: skip
HEARD_ROLES: dict[str, str] = {
    COMPLAINANT: "投诉人",
    OWNER: "招标人/采购人",
    AGENT: "招标代理机构",
    BIDDER: "投标人",
    EXPERT: "评标专家",
    WITNESS: "证人",
    OTHER_PARTY: "其他有关单位和人员",
}
# The parties a hearing is notified to (政府采购法 第56条: 投诉人和与投诉事项有关的当事人).
HEARING_PARTY_ROLES = (COMPLAINANT, OWNER, AGENT, BIDDER)
DECIDED = frozenset({REFUSED, UPHELD, DISMISSED})


class RecordsFrozen(DomainError):
    code = "complaint_records_frozen"
    status = 409
    message_zh = "该投诉已作出处理决定（{state}），调查和听证记录已封存，不能再{action_zh}"
    message_en = (
        "The complaint is decided ({state}): its investigation and hearing records are frozen; it cannot {action_en}"
    )


def check_handling_open(*, state: str, action_zh: str, action_en: str) -> None:
    """Records are made only while the complaint is accepted and undecided (第61条: the investigation serves the
    decision); once decided they are frozen."""
    if state in DECIDED:
        raise RecordsFrozen(field="complaint_id", state=state, action_zh=action_zh, action_en=action_en)
    if state != ACCEPTED:
        raise ComplaintStateWrong(field="complaint_id", state=state, action_zh=action_zh, action_en=action_en)


def check_heard(*, role: str | None, name: str | None) -> None:
    """Who was heard: a role of :data:`HEARD_ROLES` for a name; an expert is heard without a name."""
    if role is not None:
        check_one_of("heard_role", role, HEARD_ROLES)
    if name is not None and role is None:
        raise InvalidInput(
            field="heard_role", reason_zh="请写明被询问人的身份", reason_en="say in what role they were heard"
        )
    if role == EXPERT and name is not None:
        raise InvalidInput(
            field="heard_name",
            reason_zh="评标专家的身份保密，调查记录不记载专家姓名（招标投标法实施条例 第六十二条）",
            reason_en="an expert's identity stays secret: the record names no expert (Regulations art. 62)",
        )


def check_attendance(parties: list[dict[str, object]], attendance: list[dict[str, object]]) -> None:
    """Every party notified is in the record once, present or absent, and nobody else (a party not appearing is
    recorded as such); a party present states something, one absent states nothing."""
    notified = [(p["role"], p["entity_id"]) for p in parties]
    recorded = [(a["role"], a["entity_id"]) for a in attendance]
    if sorted(map(str, notified)) != sorted(map(str, recorded)):
        raise InvalidInput(
            field="attendance",
            reason_zh="听证记录须逐一记载每个被通知的当事人（到场或未到场），且只记载被通知的当事人",
            reason_en="the record names each party notified, present or absent, and no one else",
        )
    for item in attendance:
        if not item["attended"] and item.get("statement"):
            raise InvalidInput(
                field="attendance", reason_zh="未到场的当事人没有陈述", reason_en="a party absent made no statement"
            )
