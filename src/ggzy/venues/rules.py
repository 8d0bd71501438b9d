"""Pure rules of venue booking: which kind of room serves which purpose, the span, the opening at the deadline.

Spans are half-open, [starts_at, ends_at): a booking ending at 10:00 and one starting at 10:00 do not overlap.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from ggzy.core.clock import to_china_time
from ggzy.core.errors import DomainError


class VenueKind(StrEnum):
    OPENING_ROOM = "opening_room"  # 开标室
    EVALUATION_ROOM = "evaluation_room"  # 评标室
    REMOTE_EVALUATION = "remote_evaluation"  # 远程异地评标 (主场/副场)


class Purpose(StrEnum):
    OPENING = "opening"
    EVALUATION = "evaluation"


KINDS_FOR: dict[Purpose, frozenset[VenueKind]] = {
    Purpose.OPENING: frozenset({VenueKind.OPENING_ROOM}),
    Purpose.EVALUATION: frozenset({VenueKind.EVALUATION_ROOM, VenueKind.REMOTE_EVALUATION}),
}

KIND_LABELS_ZH = {"opening_room": "开标室", "evaluation_room": "评标室", "remote_evaluation": "远程异地评标室"}
PURPOSE_LABELS_ZH = {"opening": "开标", "evaluation": "评标"}


def _at(moment: datetime) -> str:
    return f"{to_china_time(moment):%Y-%m-%d %H:%M}"


class BookingSpanInvalid(DomainError):
    code = "venue_booking_span_invalid"
    status = 422
    message_zh = "预约时段无效（{field}）：{reason_zh}"
    message_en = "The booking's time span is invalid ({field}): {reason_en}"


class BookingInPast(DomainError):
    code = "venue_booking_in_past"
    status = 422
    message_zh = "不能预约已经开始的时段（开始时间 {starts_at} 早于当前时间 {now}，中国标准时间）"
    message_en = "A booking cannot start in the past (it starts {starts_at}, it is now {now}, China Standard Time)"


class VenueKindWrong(DomainError):
    code = "venue_kind_wrong"
    status = 422
    message_zh = "{purpose_zh}须预约{kinds_zh}，该场地是{kind_zh}"
    message_en = "A booking for the {purpose} needs a venue of kind {kinds}; this venue is a {kind}"


class OpeningMissesDeadline(DomainError):
    code = "opening_booking_misses_deadline"
    status = 422
    message_zh = (
        "开标应当在投标截止时间的同一时间公开进行（招标投标法 第34条）：开标室的预约须覆盖投标截止时间 {deadline}"
        "（中国标准时间）"
    )
    message_en = (
        "The opening takes place at the bid deadline (Bidding Law art. 34): the opening room's booking must cover "
        "the deadline {deadline} (China Standard Time)"
    )


class EvaluationBeforeDeadline(DomainError):
    code = "evaluation_booking_before_deadline"
    status = 422
    message_zh = "评标在开标之后进行（招标投标法 第34条、第37条）：评标场地的预约不能早于投标截止时间 {deadline}"
    message_en = (
        "The evaluation follows the opening (Bidding Law arts. 34, 37): an evaluation booking cannot start before "
        "the bid deadline {deadline}"
    )


class SeatsTooFew(DomainError):
    code = "venue_seats_too_few"
    status = 422
    message_zh = "评标室只有 {seats} 个评标工位，评标委员会需要 {needed} 个（招标投标法 第37条）"
    message_en = "The evaluation room has {seats} seats; the committee needs {needed} (Bidding Law art. 37)"


def check_span(*, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """A timezone-aware, positive span that has not started yet (the clock is the server's, DESIGN §4.4)."""
    for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if moment.tzinfo is None:
            raise BookingSpanInvalid(
                field=field, reason_zh="须带时区（中国标准时间 +08:00）", reason_en="give a timezone (+08:00 for CST)"
            )
    if not starts_at < ends_at:
        raise BookingSpanInvalid(
            field="ends_at", reason_zh="结束时间须晚于开始时间", reason_en="the end must come after the start"
        )
    if starts_at < now:
        raise BookingInPast(field="starts_at", starts_at=_at(starts_at), now=_at(now))


def check_kind(*, purpose: Purpose, kind: VenueKind) -> None:
    allowed = KINDS_FOR[purpose]
    if kind not in allowed:
        raise VenueKindWrong(
            field="venue_id",
            purpose=purpose.value,
            purpose_zh=PURPOSE_LABELS_ZH[purpose.value],
            kinds=" / ".join(sorted(allowed)),
            kinds_zh="或".join(KIND_LABELS_ZH[k] for k in sorted(allowed)),
            kind=kind.value,
            kind_zh=KIND_LABELS_ZH[kind.value],
        )


def check_timing(*, purpose: Purpose, starts_at: datetime, ends_at: datetime, bid_deadline: datetime) -> None:
    """招标投标法 第34条: the opening happens at the bid deadline, at the place the documents name — the opening
    room is booked over the deadline; the evaluation comes after the opening, so never before the deadline."""
    if purpose is Purpose.OPENING and not starts_at <= bid_deadline < ends_at:
        raise OpeningMissesDeadline(field="starts_at", deadline=_at(bid_deadline))
    if purpose is Purpose.EVALUATION and starts_at < bid_deadline:
        raise EvaluationBeforeDeadline(field="starts_at", deadline=_at(bid_deadline))


def seats_needed(*, kind: VenueKind, committee_minimum: int, committee_size: int) -> int:
    """The seats an evaluation room must have: the whole committee sits there — its drawn size when known, otherwise
    the least a lawful committee has (招标投标法 第37条: five or more). A remote-evaluation hall (主场/副场) seats only
    part of the committee, as the experts' dispatch decides, so one seat is enough to book it."""
    if kind is VenueKind.EVALUATION_ROOM:
        return max(committee_minimum, committee_size)
    return 1


def check_seats(*, seats: int, needed: int) -> None:
    if seats < needed:
        raise SeatsTooFew(field="venue_id", seats=seats, needed=needed)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end
