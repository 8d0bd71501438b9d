"""Rights trades: suspension and resumption (中止、恢复; decision 0052)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.auctions import rules
from ggzy.auctions.access import check_may_suspend
from ggzy.auctions.errors import NotSuspended
from ggzy.auctions.models import Auction, AuctionSuspension
from ggzy.auctions.rules import Phase, Status, TradeKind
from ggzy.auctions.state import _locked, _record, _wrong_phase, clocked, entry_of, phase_of
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import as_utc
from ggzy.core.errors import InvalidInput
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.core.violations import missed, record_missed, violation_entry
from ggzy.tendering import service as tendering

# --- suspension and resumption (decision 0052) --------------------------------------------------------------------


def suspensions_of(db: Session, auction_id: int) -> list[AuctionSuspension]:
    query = select(AuctionSuspension).where(AuctionSuspension.auction_id == auction_id).order_by(AuctionSuspension.id)
    return list(db.scalars(query))


def _open_suspension(db: Session, auction_id: int) -> AuctionSuspension | None:
    query = select(AuctionSuspension).where(
        AuctionSuspension.auction_id == auction_id, AuctionSuspension.resumed_at.is_(None)
    )
    return db.scalar(query)


def _may_suspend(db: Session, actor: Principal, auction: Auction) -> Principal:
    project, _ = tendering.project_of(db, tendering.get_tender(db, auction.tender_id))
    judicial = auction.trade_kind == TradeKind.JUDICIAL.value
    return check_may_suspend(actor, project, centre_id=auction.centre_id, judicial=judicial)


def _ms(left: timedelta | None) -> int | None:
    return None if left is None else left // timedelta(milliseconds=1)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat(timespec="microseconds")


@changes_state("auction.suspended")
def suspend_auction(
    db: Session, actor: Principal, *, auction_id: int, ground: rules.SuspensionGround, reason: str, now: datetime
) -> AuctionSuspension:
    """中止 (宁波市公共资源交易管理条例 第二十五条; 网络司法拍卖规定 第二十八条): during the notice, the bidding or the
    timed bidding, the centre's staff (in a judicial sale also the court) stop the trade with its ground and reason,
    published with the event (第二十八条 第三款: 公告原因或者理由). From then on nothing moves: no bid, no plate, no
    close; the countdowns are frozen with what was left of each."""
    auction = _locked(db, auction_id, actor)  # the one writer; a draft not found but by its seller (review L3)
    actor = _may_suspend(db, actor, auction)
    current = phase_of(auction, now)
    if current not in rules.SUSPENDABLE or auction.losers_released_at is not None:  # released: the end is decided
        raise _wrong_phase(auction, now, "中止交易", "suspend the trade")
    text = reason.strip()
    if not text:
        raise InvalidInput(field="reason", reason_zh="请写明中止的原因或者理由", reason_en="give the reason")
    left = rules.remaining_at(entry_of(auction), clocked(auction), now)
    # the timed phase's countdown only once in it: during the bidding a value would tell whether two plates asked for
    # timed bidding (security review H2); the resumption derives that end from the bidding's anyway
    timed_left = _ms(left.timed) if current is Phase.TIMED else None
    suspension = AuctionSuspension(
        auction_id=auction.id, ground=ground.value, reason=text, phase=current.value, suspended_at=now,
        suspended_by=actor.user_id, until_start_ms=_ms(left.until_start), bidding_left_ms=_ms(left.bidding),
        timed_left_ms=timed_left,
    )  # fmt: skip
    db.add(suspension)
    auction.suspended_at, auction.suspension_reason = now, text
    db.flush()
    _record(
        db, actor, auction, "auction.suspended",
        {"ground": ground.value, "source": ground.source, "reason": text, "phase": current.value,
         "suspended_at": _iso(now), "until_start_ms": suspension.until_start_ms,
         "bidding_left_ms": suspension.bidding_left_ms, "timed_left_ms": suspension.timed_left_ms},
        now,
    )  # fmt: skip
    return suspension


@changes_state("auction.resumed")
def resume_auction(
    db: Session, actor: Principal, *, auction_id: int, cause_ended_at: datetime | None = None, now: datetime
) -> AuctionSuspension:
    """恢复: the trade goes on where it stopped — what was left of each countdown at the suspension is given back from
    now (the bidding's start, the bidding's or listing's end, the timed phase's end), both times recorded. Where the
    entry has a resumption period (网络司法拍卖规定 第二十八条 第四款: within five days of the cause ending), a late
    resumption is recorded as a violation, never refused. ``cause_ended_at``: when the postponement expired or the
    cause disappeared; not given, the period is counted from the suspension itself."""
    auction = _locked(db, auction_id, actor)  # a draft: not found but by its seller (review L3)
    actor = _may_suspend(db, actor, auction)
    suspension = _open_suspension(db, auction.id)
    if auction.suspended_at is None or suspension is None or auction.status != Status.PUBLISHED.value:
        raise NotSuspended(field="auction_id")
    suspended_at = as_utc(auction.suspended_at)
    if cause_ended_at is not None and not suspended_at <= cause_ended_at <= now:
        raise InvalidInput(
            field="cause_ended_at", reason_zh="须在中止之后、恢复之前",
            reason_en="must fall between the suspension and now",
        )  # fmt: skip
    entry = entry_of(auction)
    resumed_at = max(now, suspended_at)
    times = rules.resumed_times(entry, clocked(auction), suspended_at=suspended_at, resumed_at=resumed_at)
    before = {"bidding_start": _iso(auction.bidding_start), "closes_at": _iso(auction.closes_at),
              "timed_closes_at": _iso(auction.timed_closes_at)}  # fmt: skip
    auction.bidding_start, auction.closes_at = times.bidding_start, times.closes_at
    auction.timed_closes_at = times.timed_closes_at
    auction.suspended_at, auction.suspension_reason = None, None
    suspension.resumed_at, suspension.resumed_by, suspension.cause_ended_at = now, actor.user_id, cause_ended_at
    late = None
    if entry.resumption is not None:
        counted_from = rules.china_day(cause_ended_at or suspended_at)
        due = entry.resumption.last_day(working_day_calendar(db), counted_from)
        late = missed(entry.resumption, due=due, happened_on=rules.china_day(now))
    db.flush()
    event = record_event(
        db, actor, action="auction.resumed", subject_type="auction", subject_id=auction.id,
        centre_id=auction.centre_id, now=now,
        payload={"suspended_at": _iso(suspended_at), "resumed_at": _iso(now), "cause_ended_at": _iso(cause_ended_at),
                 "until_start_ms": suspension.until_start_ms, "bidding_left_ms": suspension.bidding_left_ms,
                 "timed_left_ms": suspension.timed_left_ms, "before": before,
                 "after": {"bidding_start": _iso(auction.bidding_start), "closes_at": _iso(auction.closes_at),
                           "timed_closes_at": _iso(auction.timed_closes_at)}}
        | violation_entry(late),
    )  # fmt: skip
    record_missed(db, late, subject_type="auction", subject_id=auction.id, event=event)
    return suspension
