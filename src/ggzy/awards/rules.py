"""The statutory rules of the award stage, as pure functions of times, candidates and a procedure (STYLE 4).

Periods are the procedure's statutory periods (:mod:`ggzy.core.periods`), counted on China Standard Time dates by
their one arithmetic: the start day not counted (民法典 第201条), a last day on a statutory day off moved to the
next working day, and the last day ending at 24:00 (民法典 第203条).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ggzy.core.calendar import WorkingDayCalendar
from ggzy.core.clock import CHINA_STANDARD_TIME, as_utc
from ggzy.core.errors import DomainError, InvalidInput
from ggzy.core.money import format_yuan
from ggzy.core.violations import MissedPeriod, missed
from ggzy.tendering.procedures import Procedure, needed
from ggzy.tendering.procurement_periods import PROCUREMENT_PERIODS
from ggzy.tendering.rules import china_date


class PublicityTooShort(DomainError):
    code = "publicity_too_short"
    status = 422
    message_zh = "中标候选人公示期不得少于 {days} 日（招标投标法实施条例 第五十四条）；最早于 {earliest} 结束"
    message_en = (
        "The candidates are publicised for at least {days} days (Regulations art. 54); the earliest end is {earliest}"
    )


class ObjectionOutsidePublicity(DomainError):
    code = "objection_outside_publicity"
    status = 409
    message_zh = (
        "对评标结果的异议应当在中标候选人公示期间提出（招标投标法实施条例 第五十四条）；公示期为 {starts} 至 {ends}"
    )
    message_en = (
        "Objections to the evaluation result are raised during the publicity of the candidates (Regulations "
        "art. 54), from {starts} to {ends}"
    )


class PublicityNotEnded(DomainError):
    code = "publicity_not_ended"
    status = 409
    message_zh = "中标候选人公示期至 {ends} 届满，公示期满前不得确定中标人（招标投标法实施条例 第五十四条）"
    message_en = "The publicity of the candidates runs until {ends}; no award before it ends (Regulations art. 54)"


class WinnerNotInOrder(DomainError):
    code = "award_not_in_rank_order"
    status = 422
    message_zh = (
        "招标人应当确定排名第一的中标候选人为中标人；排名在前的候选人放弃中标、因不可抗力不能履行合同、不按要求提交"
        "履约保证金或者被查实不符合中标条件的，方可依次确定其他候选人，并载明理由"
        "（招标投标法实施条例 第五十五条）：{reason_zh}"
    )
    message_en = (
        "The first-ranked candidate is the winner; another may be chosen, in rank order, only when each candidate "
        "ranked above gave up, cannot perform by force majeure, gave no performance security or was found "
        "ineligible, with that reason recorded (Regulations art. 55): {reason_en}"
    )


class ContractAmountDeparts(DomainError):
    code = "contract_amount_departs"
    status = 422
    message_zh = (
        "合同金额 {amount} 元与中标价 {price} 元不一致：招标人和中标人应当按照招标文件和中标人的投标文件订立书面合同，"
        "不得再行订立背离合同实质性内容的其他协议（招标投标法 第四十六条）"
    )
    message_en = (
        "The contract amount {amount} yuan differs from the award price {price} yuan: the contract follows the "
        "tender documents and the winning bid, with no agreement departing from its substance (Tendering Law "
        "art. 46)"
    )


class PublicityResultChanged(DomainError):
    code = "publicity_result_changed"
    status = 409
    message_zh = (
        "评标结果已改变（异议答复或投诉处理决定），须重新公示中标候选人，公示期不得少于 3 日；重新公示前不得{action_zh}"
        "（招标投标法实施条例 第五十四条）"
    )
    message_en = (
        "The evaluation result has changed (an objection's answer or a complaint's decision): the candidates must be "
        "publicised again for at least 3 days before the tender can {action_en} (Regulations art. 54)"
    )


class ResultChallengeTooLate(DomainError):
    code = "result_challenge_too_late"
    status = 422
    message_zh = (
        "对中标、成交结果的质疑，应当在知道或者应知其权益受到损害之日起 {days} {unit_zh}内以书面形式提出（{article}；"
        "自中标、成交结果公告起算，政府采购法实施条例 第五十三条 第（三）项），截止于 {last_day}"
    )
    message_en = (
        "A challenge of the result is made in writing within {days} {unit_en} ({article}; counted from the result "
        "notice, Implementing Regulations art. 53 (3)); the last day was {last_day}"
    )


# What a challenge (质疑) is of, besides the documents (tendering's): 政府采购法 第52条
RESULT, PROCESS = "result", "process"


class ProcessChallengeTooLate(DomainError):
    code = "process_challenge_too_late"
    status = 422
    message_zh = (
        "对采购过程的质疑，应当在各采购程序环节结束之日起 {days} {unit_zh}内以书面形式提出（{article}；"
        "政府采购法实施条例 第五十三条 第（二）项），该环节于 {stage_ended_on} 结束，截止于 {last_day}"
    )
    message_en = (
        "A challenge of the procurement process is made in writing within {days} {unit_en} of the end of the step "
        "challenged ({article}; Implementing Regulations art. 53 (2)): the step ended on {stage_ended_on}, the last "
        "day was {last_day}"
    )


class NotASupplierOfTender(DomainError):
    code = "not_a_supplier_of_tender"
    status = 403
    message_zh = "只有参加本次政府采购的供应商可以对中标、成交结果提出质疑（政府采购法 第五十二条）"
    message_en = (
        "Only a supplier that took part in this procurement may challenge its result (Government Procurement Law "
        "art. 52)"
    )


class DeterminationDateWrong(DomainError):
    code = "determination_date_wrong"
    status = 422
    message_zh = (
        "确定中标、成交供应商的日期须在收到评审报告之日（{report_day}）与今日之间，且只适用于政府采购"
        "（政府采购法实施条例 第四十三条）"
    )
    message_en = (
        "The day the supplier was determined lies between receiving the evaluation report ({report_day}) and "
        "today, and applies to government procurement only (Implementing Regulations art. 43)"
    )


class PublicityStateWrong(DomainError):
    code = "publicity_state_wrong"
    status = 409
    message_zh = "中标候选人公示处于“{state}”状态，不能{action_zh}"
    message_en = "The publicity of the candidates is {state}; it cannot {action_en}"


# The states of a publicity and the moves between them (实施条例 第54条). ``publicised``: the candidates are (or were)
# public for their period; ``result_changed``: an answer or a decision changed the evaluation result, so the award
# waits for the changed candidates to be publicised afresh, which starts the next round.
PUBLICISED, RESULT_CHANGED = "publicised", "result_changed"
PUBLICITY_TRANSITIONS: dict[str, frozenset[str]] = {
    PUBLICISED: frozenset({RESULT_CHANGED}),
    RESULT_CHANGED: frozenset({PUBLICISED}),
}


def publicity_move(*, current: str, target: str, action_zh: str, action_en: str) -> str:
    """The state after a move allowed by :data:`PUBLICITY_TRANSITIONS`, or :class:`PublicityStateWrong`."""
    if target not in PUBLICITY_TRANSITIONS.get(current, frozenset()):
        raise PublicityStateWrong(field="tender_id", state=current, action_zh=action_zh, action_en=action_en)
    return target


def check_changed_candidates(*, ranked_bid_ids: list[int], recommended: list[int], current: list[int]) -> None:
    """The candidates publicised again (实施条例 第54条) come from the committee's ranking, once each, and differ from
    those publicised before (otherwise the result did not change)."""
    if not recommended or len(set(recommended)) != len(recommended):
        raise InvalidInput(
            field="recommended", reason_zh="须列出不重复的中标候选人", reason_en="list each candidate once"
        )
    unknown = [bid_id for bid_id in recommended if bid_id not in ranked_bid_ids]
    if unknown:
        raise InvalidInput(
            field="recommended",
            reason_zh=f"投标 {unknown} 不在评标委员会的排序中",
            reason_en=f"bids {unknown} are not in the committee's ranking",
        )
    if recommended == current:
        raise InvalidInput(
            field="recommended",
            reason_zh="候选人及排序与上次公示相同，评标结果未改变",
            reason_en="the candidates and their order are those already publicised: the result did not change",
        )


# 实施条例 第55条: why a candidate ranked above the winner was passed over.
PASS_OVER_GROUNDS: dict[str, tuple[str, str]] = {
    "gave_up": ("放弃中标", "gave up the award"),
    "force_majeure": ("因不可抗力不能履行合同", "cannot perform the contract by force majeure"),
    "no_performance_security": ("不按照招标文件要求提交履约保证金", "gave no performance security as required"),
    "ineligible": ("被查实存在影响中标结果的违法行为等情形，不符合中标条件", "found ineligible for the award"),
}


@dataclass(frozen=True)
class Candidate:
    rank: int
    bid_id: int
    entity_id: int
    price_fen: int


@dataclass(frozen=True)
class PassedOver:
    bid_id: int
    ground: str
    note: str


def end_of_day(day: date) -> datetime:
    """24:00 China Standard Time of ``day`` (the start of the next day), in UTC (民法典 第203条)."""
    return as_utc(datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHINA_STANDARD_TIME))


def last_publicity_start_day(
    calendar: WorkingDayCalendar, *, report_received_at: datetime, procedure: Procedure
) -> date:
    """实施条例 第54条: the candidates are publicised within 3 days of receiving the evaluation report."""
    return needed(procedure.periods.publicity_start).last_day(calendar, china_date(report_received_at))


def publicity_start_missed(
    calendar: WorkingDayCalendar, *, report_received_at: datetime, starts_at: datetime, procedure: Procedure
) -> MissedPeriod | None:
    """实施条例 第54条: a publicity started after the 3 days is a violation of the owner's, recorded; it is never
    refused, since a refusal would leave the lot with no way to an award nor to a failure (decision 0021)."""
    return missed(
        needed(procedure.periods.publicity_start),
        due=last_publicity_start_day(calendar, report_received_at=report_received_at, procedure=procedure),
        happened_on=china_date(starts_at),
    )


def earliest_publicity_end(calendar: WorkingDayCalendar, *, starts_at: datetime, procedure: Procedure) -> datetime:
    """实施条例 第54条: at least 3 days (日, not 72 hours: 民法典 第201条 第1款), counted from the day after the start,
    so 24:00 of the third day, or of the first working day after it when that day is a statutory day off."""
    return end_of_day(needed(procedure.periods.publicity).last_day(calendar, china_date(starts_at)))


def check_publicity_end(
    calendar: WorkingDayCalendar, *, starts_at: datetime, ends_at: datetime, procedure: Procedure
) -> None:
    earliest = earliest_publicity_end(calendar, starts_at=starts_at, procedure=procedure)
    if as_utc(ends_at) < earliest:
        raise PublicityTooShort(
            field="ends_at", days=needed(procedure.periods.publicity).length, earliest=_shown(earliest)
        )


def publicity_running(*, starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    return as_utc(starts_at) <= as_utc(now) < as_utc(ends_at)


def check_objection_in_publicity(*, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """实施条例 第54条: objections to the evaluation result are raised during the publicity."""
    if not publicity_running(starts_at=starts_at, ends_at=ends_at, now=now):
        raise ObjectionOutsidePublicity(field="tender_id", starts=_shown(starts_at), ends=_shown(ends_at))


def check_publicity_ended(*, ends_at: datetime, now: datetime) -> None:
    """实施条例 第54条: the award follows the publicity, never precedes its end (by the server's clock)."""
    if as_utc(now) < as_utc(ends_at):
        raise PublicityNotEnded(field="tender_id", ends=_shown(ends_at))


def objection_answer_due(calendar: WorkingDayCalendar, *, received_at: datetime, procedure: Procedure) -> date:
    """实施条例 第54条: the owner answers within 3 days of receiving the objection (the last day)."""
    return needed(procedure.periods.result_objection_answer).last_day(calendar, china_date(received_at))


def answer_missed(*, answer_due: date, answered_at: datetime, procedure: Procedure) -> MissedPeriod | None:
    """实施条例 第54条: an answer after its 3 days is still given (the objector needs it, and the award waits for
    it), and the missed period is recorded."""
    period = needed(procedure.periods.result_objection_answer)
    return missed(period, due=answer_due, happened_on=china_date(answered_at))


def check_choice(candidates: list[Candidate], *, bid_id: int, passed_over: list[PassedOver]) -> Candidate:
    """实施条例 第55条: the first-ranked candidate wins; a later one only when every candidate ranked above it is
    passed over, in order, on a ground of the article with a note. Returns the chosen candidate."""
    ranked = sorted(candidates, key=lambda c: c.rank)
    chosen = next((c for c in ranked if c.bid_id == bid_id), None)
    if chosen is None:
        raise WinnerNotInOrder(
            field="bid_id", reason_zh="所选投标不是公示的中标候选人", reason_en="the bid is not a publicised candidate"
        )
    above = [c.bid_id for c in ranked if c.rank < chosen.rank]
    given = [item.bid_id for item in passed_over]
    if given != above:
        raise WinnerNotInOrder(
            field="passed_over",
            reason_zh=f"须依次载明排名在前的候选人 {above} 未被确定的理由" if above else "排名第一的候选人无须理由",
            reason_en=f"give the reason for each candidate ranked above, in order: {above}"
            if above
            else "the first-ranked candidate needs no reason",
        )
    for item in passed_over:
        if item.ground not in PASS_OVER_GROUNDS:
            raise WinnerNotInOrder(
                field="passed_over.ground",
                reason_zh=f"理由须为第五十五条所列之一：{sorted(PASS_OVER_GROUNDS)}",
                reason_en=f"the ground must be one of art. 55: {sorted(PASS_OVER_GROUNDS)}",
            )
        if len(item.note.strip()) < 2:
            raise WinnerNotInOrder(
                field="passed_over.note", reason_zh="须说明具体情况", reason_en="describe what happened"
            )
    return chosen


def contract_due(calendar: WorkingDayCalendar, *, letter_issued_at: datetime, procedure: Procedure) -> date:
    """招标投标法 第46条: the contract is signed within 30 days of the letter of award (the last day)."""
    return procedure.periods.contract.last_day(calendar, china_date(letter_issued_at))


def contract_missed(*, contract_due: date, signed_on: date, procedure: Procedure) -> MissedPeriod | None:
    """招标投标法 第46条 measures the 30 days to the day the contract was signed, not the day it was recorded; a
    contract signed after them is still recorded, with the missed period."""
    return missed(procedure.periods.contract, due=contract_due, happened_on=signed_on)


def check_contract_amount(*, amount_fen: int, award_price_fen: int) -> None:
    """招标投标法 第46条: the contract follows the winning bid; its price is the award price."""
    if amount_fen != award_price_fen:
        raise ContractAmountDeparts(field="amount", amount=format_yuan(amount_fen), price=format_yuan(award_price_fen))


# -- 政府采购法: the result challenge and the periods after the evaluation -----------------------------------------


def last_result_challenge_day(calendar: WorkingDayCalendar, *, notice_at: datetime) -> date:
    """政府采购法 第52条: 7 working days from knowing; 实施条例 第53条 (三) counts a challenge of the result from the
    end of the result notice's period, a length the law texts held here do not set (a Ministry of Finance rule),
    so the platform counts from the day the result is announced (its award notice and letters)."""
    return PROCUREMENT_PERIODS.challenge.last_day(calendar, china_date(notice_at))


def check_result_challenge_in_time(calendar: WorkingDayCalendar, *, notice_at: datetime, now: datetime) -> date:
    last_day = last_result_challenge_day(calendar, notice_at=notice_at)
    if china_date(now) > last_day:
        raise ResultChallengeTooLate(
            field="tender_id", last_day=last_day.isoformat(), **PROCUREMENT_PERIODS.challenge.words()
        )
    return last_day


def check_process_challenge_in_time(
    calendar: WorkingDayCalendar, *, stage_ended_on: date, published_at: datetime | None, now: datetime
) -> date:
    """政府采购法 第52条, 实施条例 第53条 (二): a challenge of the process within 7 working days of the end of the step
    challenged, a day the supplier names; it is neither after today nor before the procurement was published."""
    today = china_date(now)
    if stage_ended_on > today or (published_at is not None and stage_ended_on < china_date(published_at)):
        raise InvalidInput(
            field="stage_ended_on",
            reason_zh="环节结束之日须在本项目公告之后、今日之前",
            reason_en="the step ended after the procurement was published and not after today",
        )
    last_day = PROCUREMENT_PERIODS.challenge.last_day(calendar, stage_ended_on)
    if today > last_day:
        raise ProcessChallengeTooLate(
            field="stage_ended_on", stage_ended_on=stage_ended_on.isoformat(), last_day=last_day.isoformat(),
            **PROCUREMENT_PERIODS.challenge.words(),
        )  # fmt: skip
    return last_day


def result_challenge_answer_due(calendar: WorkingDayCalendar, *, received_at: datetime) -> date:
    """政府采购法 第53条: answered within 7 working days of receiving the written challenge."""
    return PROCUREMENT_PERIODS.challenge_answer.last_day(calendar, china_date(received_at))


def result_challenge_answer_missed(*, answer_due: date, answered_at: datetime) -> MissedPeriod | None:
    """政府采购法 第53条: a late answer is still given (the contract waits for it) and the missed period recorded."""
    return missed(PROCUREMENT_PERIODS.challenge_answer, due=answer_due, happened_on=china_date(answered_at))


def determination_missed(
    calendar: WorkingDayCalendar, *, report_received_at: datetime, determined_on: date, procedure: Procedure
) -> MissedPeriod | None:
    """政府采购法实施条例 第43条 第1款: the purchaser determines the supplier within 5 working days of receiving the
    evaluation report; a later determination stands and is recorded (decision 0021)."""
    period = needed(procedure.periods.supplier_determination)
    due = period.last_day(calendar, china_date(report_received_at))
    return missed(period, due=due, happened_on=determined_on)


def result_notice_missed(
    calendar: WorkingDayCalendar, *, determined_on: date, notice_at: datetime, procedure: Procedure
) -> MissedPeriod | None:
    """实施条例 第43条 第2款: the letter of award and the result notice within 2 working days of the determination."""
    period = needed(procedure.periods.result_notice)
    return missed(period, due=period.last_day(calendar, determined_on), happened_on=china_date(notice_at))


def contract_publication_missed(
    calendar: WorkingDayCalendar, *, signed_on: date, published_at: datetime, procedure: Procedure
) -> MissedPeriod | None:
    """实施条例 第50条: the contract is published within 2 working days of signing. Recording it here publishes it
    (its event is disclosed); a contract recorded later is still published, and the missed period recorded."""
    period = needed(procedure.periods.contract_publication)
    return missed(period, due=period.last_day(calendar, signed_on), happened_on=china_date(published_at))


def _shown(moment: datetime) -> str:
    """A time as the parties read it: China Standard Time, to the minute."""
    return as_utc(moment).astimezone(CHINA_STANDARD_TIME).strftime("%Y-%m-%d %H:%M CST")
