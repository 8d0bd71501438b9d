"""Transaction service fees (交易服务费), decision 0037.

A centre maintains its fee schedule as data (:func:`save_schedule`): bands of the award amount, each with its rate,
charged 差额定率累进 — each band's part of the amount at that band's rate, summed — as the national guidance on
service charges computes them, with an optional minimum and maximum, who pays (the winner or the owner) and the
days allowed to pay. Every save is a new version; the version in force when the award notice is published applies
(:func:`in_force`).

The award notice (``award.awarded``, a reaction installed by ``ggzy.wiring``) issues the 缴费通知单
(:func:`issue_fee_notice`): the payer, the amount with its computation band by band, a sub-account of its own at the
bank to pay into (``fee-<tender>``, the same adapter and worker as the deposits) and the due day. The payment is
matched by that sub-account (:func:`ggzy.finance.purpose_accounts.record_credit`): posted from the settlement account
to fees earned in double entry; a total short or long is an alert for the centre. Paid in full, the notice has its
receipt.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.errors import DomainError, NotFound
from ggzy.core.events import Event, canonical_json, changes_state, record_event, register_reaction
from ggzy.core.permissions import SYSTEM, Principal, Role
from ggzy.entities.service import get_entity
from ggzy.finance import books, purpose_accounts
from ggzy.finance.access import NotADepositReader
from ggzy.finance.models import BankCredit
from ggzy.finance.purpose_models import FEE, FeeNotice, FeeSchedule, PurposeSubAccount
from ggzy.finance.rules import AccountPurpose
from ggzy.tendering import service as tendering
from ggzy.tendering.access import NotTheTenderer, check_manager

MAX_BANDS = 20


class FeePayer(StrEnum):
    WINNER = "winner"  # 中标人
    OWNER = "owner"  # 招标人


class NotTheCentresStaff(DomainError):
    code = "fee_schedule_not_the_centres_staff"
    status = 403
    message_zh = "只有交易中心工作人员可以维护本中心的收费标准"
    message_en = "Only a centre's staff maintain its fee schedule"


class FeeScheduleInvalid(DomainError):
    code = "fee_schedule_invalid"
    status = 422
    message_zh = "收费标准无效：{reason_zh}"
    message_en = "The fee schedule is invalid: {reason_en}"


@dataclass(frozen=True)
class Band:
    up_to_fen: int | None  # the band's upper bound (inclusive); None: the last band, unbounded
    rate_percent: Decimal


@dataclass(frozen=True)
class BandLine:
    from_fen: int
    to_fen: int | None
    portion_fen: int  # the part of the amount in this band
    rate_percent: str
    fee_fen: int


@dataclass(frozen=True)
class Computation:
    base_fen: int
    lines: tuple[BandLine, ...]
    subtotal_fen: int
    minimum_fen: int | None
    maximum_fen: int | None
    applied: str | None  # "minimum" or "maximum" when one of them decided the amount
    amount_fen: int

    def as_json(self) -> str:
        return canonical_json(asdict(self))

    @staticmethod
    def from_json(text: str) -> Computation:
        data = json.loads(text)
        data["lines"] = tuple(BandLine(**line) for line in data["lines"])
        return Computation(**data)


def _invalid(zh: str, en: str) -> FeeScheduleInvalid:
    return FeeScheduleInvalid(field="bands", reason_zh=zh, reason_en=en)


def rate_of(text: str | Decimal) -> Decimal:
    try:
        rate = Decimal(str(text))
    except InvalidOperation as error:
        raise _invalid("费率须为数字", "a rate is a number") from error
    if not rate.is_finite() or rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.0001")):
        raise _invalid("费率须在 0 至 100% 之间，至多四位小数", "a rate is 0 to 100%, four decimals at most")
    return rate


def check_schedule(bands: list[Band], *, minimum_fen: int | None, maximum_fen: int | None, due_days: int) -> None:
    """Bands ascending, each bounded but the last, rates 0–100%; the minimum not above the maximum."""
    if not 1 <= len(bands) <= MAX_BANDS:
        raise _invalid(f"须有 1 至 {MAX_BANDS} 档", f"1 to {MAX_BANDS} bands")
    bounds = [band.up_to_fen for band in bands[:-1]]
    if bands[-1].up_to_fen is not None:
        raise _invalid("最后一档不设上限", "the last band has no upper bound")
    if any(bound is None or bound <= 0 for bound in bounds):
        raise _invalid("除最后一档外每档须有正的上限", "every band but the last has a positive upper bound")
    if any(b <= a for a, b in itertools.pairwise(bounds)):  # type: ignore[operator]
        raise _invalid("各档上限须递增", "the upper bounds ascend")
    for band in bands:
        rate_of(band.rate_percent)
    if minimum_fen is not None and maximum_fen is not None and minimum_fen > maximum_fen:
        raise _invalid("最低收费不得高于最高收费", "the minimum is not above the maximum")
    if not 1 <= due_days <= 365:
        raise FeeScheduleInvalid(field="due_days", reason_zh="缴费期限为 1 至 365 日", reason_en="1 to 365 days")


def compute(
    base_fen: int, bands: list[Band], *, minimum_fen: int | None = None, maximum_fen: int | None = None
) -> Computation:
    """差额定率累进: each band's part of ``base_fen`` at its rate (rounded half up to the 分 per band), summed; then
    the minimum and maximum. Pure."""
    lines: list[BandLine] = []
    lower = 0
    for band in bands:
        upper = band.up_to_fen
        portion = max(0, (base_fen if upper is None else min(base_fen, upper)) - lower)
        fee = int((Decimal(portion) * band.rate_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        lines.append(BandLine(lower, upper, portion, f"{band.rate_percent:f}", fee))
        if upper is None or base_fen <= upper:
            break
        lower = upper
    subtotal = sum(line.fee_fen for line in lines)
    amount, applied = subtotal, None
    if minimum_fen is not None and amount < minimum_fen:
        amount, applied = minimum_fen, "minimum"
    if maximum_fen is not None and amount > maximum_fen:
        amount, applied = maximum_fen, "maximum"
    return Computation(base_fen, tuple(lines), subtotal, minimum_fen, maximum_fen, applied, amount)


def bands_of(schedule: FeeSchedule) -> list[Band]:
    return [Band(item["up_to_fen"], Decimal(item["rate_percent"])) for item in json.loads(schedule.bands)]


def staff_centre(actor: Principal, centre_id: int | None) -> int:
    centres = [grant.centre_id for grant in actor.grants_for(Role.CENTRE_STAFF) if grant.centre_id is not None]
    if not centres or (centre_id is not None and centre_id not in centres):
        raise NotTheCentresStaff(field="centre_id")
    return centre_id if centre_id is not None else centres[0]


@changes_state("fee.schedule_saved")
def save_schedule(
    db: Session, actor: Principal, *, bands: list[Band], payer: FeePayer, minimum_fen: int | None,
    maximum_fen: int | None, due_days: int, now: datetime, centre_id: int | None = None,
) -> FeeSchedule:  # fmt: skip
    """A centre's staff save a new version of its fee schedule, in force from now (earlier awards keep theirs)."""
    centre = staff_centre(actor, centre_id)
    check_schedule(bands, minimum_fen=minimum_fen, maximum_fen=maximum_fen, due_days=due_days)
    version = int(
        db.scalar(select(func.coalesce(func.max(FeeSchedule.version), 0)).where(FeeSchedule.centre_id == centre)) or 0
    )
    stored = [{"up_to_fen": band.up_to_fen, "rate_percent": f"{band.rate_percent:f}"} for band in bands]
    event = record_event(
        db, actor, action="fee.schedule_saved", subject_type="centre", subject_id=centre, centre_id=centre, now=now,
        payload={"version": version + 1, "payer": payer.value, "bands": stored, "minimum_fen": minimum_fen,
                 "maximum_fen": maximum_fen, "due_days": due_days},
    )  # fmt: skip
    row = FeeSchedule(
        centre_id=centre, version=version + 1, payer=payer.value, bands=canonical_json(stored),
        minimum_fen=minimum_fen, maximum_fen=maximum_fen, due_days=due_days, effective_at=now,
        created_by=actor.user_id, event_id=event.id,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row


def schedules(db: Session, centre_id: int) -> list[FeeSchedule]:
    query = select(FeeSchedule).where(FeeSchedule.centre_id == centre_id).order_by(FeeSchedule.version.desc())
    return list(db.scalars(query))


def in_force(db: Session, centre_id: int, at: datetime) -> FeeSchedule | None:
    """The version in force at ``at``: the latest saved by then."""
    query = (
        select(FeeSchedule)
        .where(FeeSchedule.centre_id == centre_id, FeeSchedule.effective_at <= at)
        .order_by(FeeSchedule.version.desc())
        .limit(1)
    )
    return db.scalar(query)


def notice_of(db: Session, tender_id: int) -> FeeNotice | None:
    return db.scalar(select(FeeNotice).where(FeeNotice.tender_id == tender_id))


@changes_state("fee.notice_issued")
def issue_fee_notice(
    db: Session, actor: Principal, *, tender_id: int, winner_entity_id: int, base_fen: int, now: datetime
) -> FeeNotice | None:
    """The 缴费通知单 of an award notice, by the centre's schedule in force now; None (nothing recorded) when the
    centre has no schedule or the tender has its notice already."""
    tender = tendering.get_tender(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    schedule = in_force(db, project.centre_id, now)
    if schedule is None or notice_of(db, tender_id) is not None:
        return None
    computation = compute(
        base_fen, bands_of(schedule), minimum_fen=schedule.minimum_fen, maximum_fen=schedule.maximum_fen
    )
    payer_id = winner_entity_id if schedule.payer == FeePayer.WINNER.value else project.owner_id
    payer = get_entity(db, payer_id)
    fees_account = books.account(db, AccountPurpose.FEES, now=now)
    sub = purpose_accounts.request(
        db, purpose=FEE, tender_id=tender_id, entity_id=payer_id, account=fees_account,
        expected_fen=computation.amount_fen, name=f"{tender.title}-{payer.name}", now=now,
    )  # fmt: skip
    due_on = to_china_time(now).date() + timedelta(days=schedule.due_days)
    event = record_event(
        db, actor, action="fee.notice_issued", subject_type="tender", subject_id=tender_id,
        centre_id=project.centre_id, now=now,
        payload={"schedule_version": schedule.version, "payer_entity_id": payer_id, "base_fen": base_fen,
                 "amount_fen": computation.amount_fen, "reference": sub.reference, "due_on": due_on.isoformat()},
    )  # fmt: skip
    row = FeeNotice(
        tender_id=tender_id, centre_id=project.centre_id, schedule_id=schedule.id, payer_entity_id=payer_id,
        base_fen=base_fen, amount_fen=computation.amount_fen, computation=computation.as_json(),
        sub_account_id=sub.id, due_on=due_on, issued_at=now, event_id=event.id,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row


class FeeStatus(StrEnum):
    UNPAID = "unpaid"
    SHORT = "short"  # paid in part
    PAID = "paid"
    OVERPAID = "overpaid"


@dataclass(frozen=True)
class NoticeView:
    notice: FeeNotice
    sub_account: PurposeSubAccount
    computation: Computation
    credits: list[BankCredit]
    paid_fen: int
    schedule_version: int

    @property
    def status(self) -> FeeStatus:
        if self.paid_fen == 0 and self.notice.amount_fen > 0:
            return FeeStatus.UNPAID
        if self.paid_fen < self.notice.amount_fen:
            return FeeStatus.SHORT
        return FeeStatus.PAID if self.paid_fen == self.notice.amount_fen else FeeStatus.OVERPAID

    @property
    def paid_at(self) -> datetime | None:
        """When the payments first covered the amount (the receipt's day)."""
        total = 0
        for credit in self.credits:
            total += credit.amount_fen
            if total >= self.notice.amount_fen:
                return credit.booked_at
        return None

    @property
    def receipt_number(self) -> str | None:
        return f"SF{self.notice.tender_id:06d}{self.notice.id:06d}" if self.paid_at is not None else None


def view(db: Session, notice: FeeNotice) -> NoticeView:
    sub = db.get(PurposeSubAccount, notice.sub_account_id)
    assert sub is not None
    credits = purpose_accounts.credits_of(db, sub.id)
    schedule = db.get(FeeSchedule, notice.schedule_id)
    assert schedule is not None
    return NoticeView(
        notice, sub, Computation.from_json(notice.computation), credits, sum(c.amount_fen for c in credits),
        schedule.version,
    )  # fmt: skip


def readable_notice(db: Session, actor: Principal, tender_id: int) -> FeeNotice:
    """The tender's fee notice for its payer, the owner or its agent, or the centre's staff."""
    notice = notice_of(db, tender_id)
    if notice is None:
        raise NotFound(field="tender_id", what_zh="缴费通知单", what_en="Fee notice")
    project, _ = tendering.project_of(db, tendering.get_tender(db, tender_id))
    if actor.entity_id is not None and actor.entity_id == notice.payer_entity_id:
        return notice
    try:
        check_manager(actor, project)
        return notice
    except NotTheTenderer:
        pass
    if any(grant.centre_id == notice.centre_id for grant in actor.grants_for(Role.CENTRE_STAFF)):
        return notice
    raise NotADepositReader(field="tender_id")


def notices_of_payer(db: Session, entity_id: int) -> list[FeeNotice]:
    query = select(FeeNotice).where(FeeNotice.payer_entity_id == entity_id).order_by(FeeNotice.id.desc())
    return list(db.scalars(query.limit(200)))


def due_day(notice: FeeNotice) -> date:
    return notice.due_on


# --- the reaction (installed by ggzy.wiring) -----------------------------------------------------------------------


def on_award(db: Session, event: Event) -> None:
    payload: dict[str, Any] = json.loads(event.payload)
    issue_fee_notice(
        db, SYSTEM, tender_id=int(event.subject_id), winner_entity_id=int(payload["entity_id"]),
        base_fen=int(payload["price_fen"]), now=event.occurred_at,
    )  # fmt: skip


def register() -> None:
    register_reaction("award.awarded", on_award)
