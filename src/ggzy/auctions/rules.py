"""The rules of rights trades as registry entries (DESIGN §5, STYLE 7; decision 0049): listing (挂牌) with its timed
bidding (限时竞价), auction under 拍卖法, the online judicial auction. Each entry is data — its periods, its reserve
rule, its countdowns — and a new kind of trade is a new entry, never a branch in the services.

Pure functions only: the phase of an auction at a moment, the lowest acceptable bid, a countdown's new end, the
schedule checks. Every period is counted by the one period function (:mod:`ggzy.core.periods`).

Where a number comes from the national land regulations or a centre's own rules — neither is among the law texts
this project holds — the entry says ``centre rules`` and cites no article: they are data the centre maintains.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from ggzy.core.calendar import WorkingDayCalendar
from ggzy.core.clock import to_china_time
from ggzy.core.periods import DayCount, StatutoryPeriod, statutory_period
from ggzy.core.trade_types import TradeType

CENTRE_RULES = "交易中心规则（国家土地、矿业权及产权交易规定，本项目未收录其文本）"


class TradeKind(StrEnum):
    """What is sold: 土地使用权 / 矿业权 / 国有产权 / 司法拍卖."""

    LAND = "land"
    MINING = "mining"
    PROPERTY = "property"
    JUDICIAL = "judicial"


class Method(StrEnum):
    LISTING = "listing"  # 挂牌
    AUCTION = "auction"  # 拍卖


class Status(StrEnum):
    """What is recorded; the phases between publication and the close are derived from the clock (:func:`phase`)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    SOLD = "sold"
    FAILED = "failed"  # 流拍


class Phase(StrEnum):
    DRAFT = "draft"
    NOTICE = "notice"  # published, bidding not started
    BIDDING = "bidding"  # the listing period, or the auction's bidding
    TIMED = "timed"  # 限时竞价 after a listing
    SUSPENDED = "suspended"  # 中止 / 暂缓: nothing moves until resumed (decision 0052)
    ENDED = "ended"  # no more bids; the reserve may be opened and the auction closed
    SOLD = "sold"
    FAILED = "failed"


class ReserveRule(StrEnum):
    SEALED = "sealed"  # entered sealed by its holder, opened at the end (拍卖法 第28条)
    START_PRICE = "start_price"  # the start price is the reserve (网络司法拍卖规定 第10条)


@dataclass(frozen=True)
class Countdown:
    """A bid arriving with ``minutes`` or less to go moves the end to ``minutes`` after it: every bid of a timed
    phase (which is never more than ``minutes`` from its end) resets it; in a judicial auction only bids in the last
    five minutes extend it (网络司法拍卖规定 第20条)."""

    minutes: int
    source: str

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    def end_after(self, closes_at: datetime, bid_at: datetime) -> datetime:
        if closes_at - bid_at <= self.length:
            return max(closes_at, bid_at + self.length)
        return closes_at


@dataclass(frozen=True)
class TimedPhase:
    """限时竞价 after a listing: when at least ``minimum_bidders`` plates asked to go on by the listing's end."""

    minimum_bidders: int
    countdown: Countdown
    source: str


class TieBreak(StrEnum):
    """How the plates that accepted the price cap are separated."""

    LOTTERY = "lottery"  # 摇号: drawn from a seed anyone can recompute
    SEALED_BID = "sealed_bid"  # a sealed further bid (not built yet: decision 0052)


@dataclass(frozen=True)
class PriceCap:
    """最高限价: once a bid reaches the cap, the bidding stops at it; every plate may accept it until the end, and
    the plates at the cap are separated by ``tie_break``."""

    tie_break: TieBreak
    source: str


@dataclass(frozen=True)
class LosersRefund:
    """When the deposits of those who did not buy are due back, counted from the end of the bidding (decision 0051):
    within ``hours`` (网络司法拍卖规定 第二十三条: 24 hours), or within ``period`` (the centre's rules). The platform
    orders them at the close; the winner's deposit is kept, to be set against the price."""

    source: str
    hours: int | None = None
    period: StatutoryPeriod | None = None

    def due_on(self, calendar: WorkingDayCalendar, ended_at: datetime) -> date:
        if self.hours is not None:
            return china_day(ended_at + timedelta(hours=self.hours))
        assert self.period is not None
        return self.period.last_day(calendar, china_day(ended_at))


@dataclass(frozen=True)
class AuctionRules:
    key: str
    version: int
    name_zh: str
    name_en: str
    method: Method
    kinds: frozenset[TradeKind]
    notice: StatutoryPeriod  # from the notice to the first day of bidding
    losers_refund: LosersRefund  # the other bidders' deposits back after the bidding (decision 0051)
    reserve: ReserveRule
    reserve_source: str
    sold_source: str  # when the highest bid becomes the sale
    listing_period: StatutoryPeriod | None = None  # the listing lasts at least this long
    viewing: StatutoryPeriod | None = None  # 拍卖法 第48条
    minimum_bidding: timedelta | None = None  # 网络司法拍卖规定 第20条: at least 24 hours
    minimum_bidding_source: str = ""
    extension: Countdown | None = None  # the bidding phase's countdown (auctions)
    timed: TimedPhase | None = None  # the timed phase after a listing
    no_withdrawal_source: str = "拍卖法 第三十六条"
    basis_zh: str = ""
    cap: PriceCap | None = None  # 最高限价: None, no cap may be set
    resumption: StatutoryPeriod | None = None  # resumed within this period of the cause ending (a missed one is
    # a recorded violation, never a lock)


_LISTING_NOTICE = statutory_period(
    "auction.listing_notice",
    name_zh="挂牌公告至挂牌起始日",
    name_en="From the listing notice to the start of the listing",
    length=20,
    unit=DayCount.DAYS,
    article=CENTRE_RULES,
)
_LISTING_PERIOD = statutory_period(
    "auction.listing_period",
    name_zh="挂牌期",
    name_en="The listing period",
    length=10,
    unit=DayCount.DAYS,
    article=CENTRE_RULES,
)
_AUCTION_NOTICE = statutory_period(
    "auction.auction_notice",
    name_zh="拍卖公告至拍卖日",
    name_en="From the auction notice to the auction day",
    length=7,
    unit=DayCount.DAYS,
    article="拍卖法 第四十五条",
)
_AUCTION_VIEWING = statutory_period(
    "auction.viewing",
    name_zh="拍卖标的展示时间",
    name_en="The viewing of the lot",
    length=2,
    unit=DayCount.DAYS,
    article="拍卖法 第四十八条",
)
_JUDICIAL_NOTICE = statutory_period(
    "auction.judicial_notice",
    name_zh="网络司法拍卖公告至拍卖日（不动产或者其他财产权）",
    name_en="From the judicial auction notice to the auction (real property or other property rights)",
    length=30,
    unit=DayCount.DAYS,
    article="最高人民法院关于人民法院网络司法拍卖若干问题的规定 第十二条",
)

_JUDICIAL_RESUMPTION = statutory_period(
    "auction.judicial_resumption",
    name_zh="暂缓期限届满或者中止事由消失后恢复网络司法拍卖",
    name_en="Resuming a judicial auction after the postponement or the cause of the suspension ends",
    length=5,
    unit=DayCount.DAYS,
    article="最高人民法院关于人民法院网络司法拍卖若干问题的规定 第二十八条",
)
_LOSERS_REFUND = statutory_period(
    "auction.losers_refund",
    name_zh="竞价结束后退还未竞得人的竞买保证金",
    name_en="The other bidders' deposits refunded after the bidding ends",
    length=5,
    unit=DayCount.DAYS,
    article=CENTRE_RULES,
)
RIGHTS_REFUND = LosersRefund(source=CENTRE_RULES, period=_LOSERS_REFUND)
JUDICIAL_REFUND = LosersRefund(source="最高人民法院关于人民法院网络司法拍卖若干问题的规定 第二十三条", hours=24)

RIGHTS = frozenset({TradeKind.LAND, TradeKind.MINING, TradeKind.PROPERTY})
CAP_BY_LOTTERY = PriceCap(tie_break=TieBreak.LOTTERY, source=CENTRE_RULES)
TIMED_BIDDING = TimedPhase(minimum_bidders=2, countdown=Countdown(4, CENTRE_RULES), source=CENTRE_RULES)

LISTING = AuctionRules(
    key="listing",
    version=1,
    name_zh="挂牌出让（转让）",
    name_en="Listing",
    method=Method.LISTING,
    kinds=RIGHTS,
    notice=_LISTING_NOTICE,
    losers_refund=RIGHTS_REFUND,
    listing_period=_LISTING_PERIOD,
    reserve=ReserveRule.SEALED,
    reserve_source="拍卖法 第二十八条；企业国有资产法 第五十五条",
    sold_source=CENTRE_RULES,
    timed=TIMED_BIDDING,
    cap=CAP_BY_LOTTERY,
    basis_zh="企业国有资产法 第五十四条；" + CENTRE_RULES,
)
AUCTION = AuctionRules(
    key="auction",
    version=1,
    name_zh="拍卖",
    name_en="Auction",
    method=Method.AUCTION,
    kinds=RIGHTS,
    notice=_AUCTION_NOTICE,
    losers_refund=RIGHTS_REFUND,
    viewing=_AUCTION_VIEWING,
    reserve=ReserveRule.SEALED,
    reserve_source="拍卖法 第二十八条",
    sold_source="拍卖法 第五十一条",
    # online, the hammer falls when the countdown runs out with no higher bid (第51条: 以其他公开表示买定的方式确认)
    extension=Countdown(4, CENTRE_RULES),
    cap=CAP_BY_LOTTERY,
    basis_zh="拍卖法 第三条、第四十五条、第四十八条、第五十一条",
)
JUDICIAL = AuctionRules(
    key="judicial",
    version=1,
    name_zh="网络司法拍卖",
    name_en="Online judicial auction",
    method=Method.AUCTION,
    kinds=frozenset({TradeKind.JUDICIAL}),
    notice=_JUDICIAL_NOTICE,
    losers_refund=JUDICIAL_REFUND,
    reserve=ReserveRule.START_PRICE,
    reserve_source="最高人民法院关于人民法院网络司法拍卖若干问题的规定 第十条",
    sold_source="最高人民法院关于人民法院网络司法拍卖若干问题的规定 第十一条、第二十条",
    minimum_bidding=timedelta(hours=24),
    minimum_bidding_source="最高人民法院关于人民法院网络司法拍卖若干问题的规定 第二十条",
    extension=Countdown(5, "最高人民法院关于人民法院网络司法拍卖若干问题的规定 第二十条"),
    resumption=_JUDICIAL_RESUMPTION,
    basis_zh="最高人民法院关于人民法院网络司法拍卖若干问题的规定 第十条、第十一条、第十二条、第二十条、第二十六条",
)

REGISTRY: tuple[AuctionRules, ...] = (LISTING, AUCTION, JUDICIAL)

# What a project of each trade type may sell (decision 0051): its own right, or, in a judicial sale, whichever right
# the court seized (网络司法拍卖规定 第二条: a court sells by online auction what it disposes of by auction)
KINDS_OF_TRADE_TYPE: dict[TradeType, frozenset[TradeKind]] = {
    TradeType.LAND: frozenset({TradeKind.LAND, TradeKind.JUDICIAL}),
    TradeType.MINING: frozenset({TradeKind.MINING, TradeKind.JUDICIAL}),
    TradeType.PROPERTY: frozenset({TradeKind.PROPERTY, TradeKind.JUDICIAL}),
}


def rules_for(kind: TradeKind, method: Method) -> AuctionRules | None:
    """The entry for this kind of trade sold by this method, or None when no entry allows the pair."""
    return next((entry for entry in REGISTRY if entry.method is method and kind in entry.kinds), None)


def rules_by_key(key: str) -> AuctionRules:
    return next(entry for entry in REGISTRY if entry.key == key)


# --- the schedule --------------------------------------------------------------------------------------------------


def china_day(moment: datetime) -> date:
    return to_china_time(moment).date()


@dataclass(frozen=True)
class Schedule:
    notice_at: datetime
    bidding_start: datetime
    bidding_end: datetime
    viewing_start: datetime | None = None
    viewing_end: datetime | None = None


@dataclass(frozen=True)
class ScheduleFault:
    """One rule the schedule breaks: the field, what it breaks (its period or its source) and the two messages."""

    field: str
    reason_zh: str
    reason_en: str


def schedule_faults(entry: AuctionRules, calendar: WorkingDayCalendar, schedule: Schedule) -> list[ScheduleFault]:
    """What in ``schedule`` breaks the entry's periods (days counted by 民法典 第201、203条 through the one period
    function). Empty: the schedule may be published."""
    faults: list[ScheduleFault] = []
    if schedule.bidding_end <= schedule.bidding_start:
        faults.append(ScheduleFault("bidding_end", "竞价结束时间须晚于开始时间", "must be after the bidding start"))
        return faults
    start_day, end_day = china_day(schedule.bidding_start), china_day(schedule.bidding_end)
    latest_notice = entry.notice.last_event_day(calendar, until=start_day)
    if china_day(schedule.notice_at) > latest_notice:
        faults.append(_period_fault("bidding_start", entry.notice, "公告须在竞价开始", "the notice must come", "前"))
    if entry.listing_period is not None and not entry.listing_period.has_run(calendar, event_day=start_day, by=end_day):
        faults.append(_period_fault("bidding_end", entry.listing_period, "挂牌期不得少于", "the listing lasts", ""))
    if entry.minimum_bidding is not None and schedule.bidding_end - schedule.bidding_start < entry.minimum_bidding:
        hours = int(entry.minimum_bidding.total_seconds() // 3600)
        faults.append(
            ScheduleFault(
                "bidding_end",
                f"竞价时间不得少于{hours}小时（{entry.minimum_bidding_source}）",
                f"the bidding lasts at least {hours} hours ({entry.minimum_bidding_source})",
            )
        )
    if entry.viewing is not None:
        faults += _viewing_faults(entry.viewing, calendar, schedule)
    return faults


def _period_fault(field: str, period: StatutoryPeriod, zh: str, en: str, zh_tail: str) -> ScheduleFault:
    words = period.words()
    return ScheduleFault(
        field,
        f"{zh}{words['days']}{words['unit_zh']}{zh_tail}（{period.article}）",
        f"{en} at least {words['days']} {words['unit_en']} ({period.article})",
    )


def _viewing_faults(viewing: StatutoryPeriod, calendar: WorkingDayCalendar, schedule: Schedule) -> list[ScheduleFault]:
    if schedule.viewing_start is None or schedule.viewing_end is None:
        return [
            ScheduleFault(
                "viewing_start", f"须安排展示（{viewing.article}）", f"a viewing is required ({viewing.article})"
            )
        ]
    faults = []
    if schedule.viewing_end > schedule.bidding_start or schedule.viewing_start < schedule.notice_at:
        faults.append(
            ScheduleFault(
                "viewing_end", "展示须在公告后、拍卖前", "the viewing falls after the notice, before the auction"
            )
        )
    if not viewing.has_run(calendar, event_day=china_day(schedule.viewing_start), by=china_day(schedule.viewing_end)):
        faults.append(_period_fault("viewing_end", viewing, "展示时间不得少于", "the viewing lasts", ""))
    return faults


# --- the phases and the bids ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clocked:
    """What the phase of an auction depends on (its recorded state and times)."""

    status: Status
    bidding_start: datetime
    closes_at: datetime  # the end of the bidding phase, extensions included
    timed_requests: int
    timed_closes_at: datetime | None  # the end of the timed phase, once a bid reset it
    suspended_at: datetime | None = None  # set while suspended (中止): the phase is suspended whatever the clock


def timed_end(entry: AuctionRules, state: Clocked) -> datetime | None:
    """When the timed phase ends (None: this auction has none): the listing's end plus the countdown until a bid
    resets it."""
    if entry.timed is None or state.timed_requests < entry.timed.minimum_bidders:
        return None
    return state.timed_closes_at or state.closes_at + entry.timed.countdown.length


def bidding_ended_at(entry: AuctionRules, state: Clocked) -> datetime:
    """When the bidding ended (or will): the timed phase's end after a listing that went on to it, else the end of
    the bidding with its extensions."""
    return timed_end(entry, state) or state.closes_at


def phase(entry: AuctionRules, state: Clocked, now: datetime) -> Phase:
    if state.status is not Status.PUBLISHED:
        return Phase(state.status.value)
    if state.suspended_at is not None:  # from the row, not the clock: a bid timed before it still waits and fails
        return Phase.SUSPENDED
    if now < state.bidding_start:
        return Phase.NOTICE
    if now < state.closes_at:
        return Phase.BIDDING
    ends = timed_end(entry, state)
    if ends is not None and now < ends:
        return Phase.TIMED
    return Phase.ENDED


def bidding_ends_at(entry: AuctionRules, state: Clocked, now: datetime) -> datetime:
    """When the bidding open at ``now`` ends (the phase's end, by the server's clock)."""
    if phase(entry, state, now) is Phase.TIMED:
        ends = timed_end(entry, state)
        assert ends is not None
        return ends
    return state.closes_at


def lowest_acceptable(*, start_fen: int, increment_fen: int, current_fen: int | None) -> int:
    """The first bid at the start price at least (网络司法拍卖规定 第20条: below it a bid is void); every later one
    the current price plus the increment at least."""
    return start_fen if current_fen is None else current_fen + increment_fen


class Outcome(StrEnum):
    SOLD = "sold"
    NO_BIDS = "no_bids"  # 流拍 (网络司法拍卖规定 第26条)
    BELOW_RESERVE = "below_reserve"  # 流拍 (拍卖法 第50条 第2款)
    RESERVE_UNOPENED = "reserve_unopened"  # the seller's holder never opened it: the bid has no effect (0053)


def outcome(*, highest_fen: int | None, reserve_fen: int | None) -> Outcome:
    """At the close, the highest bid sells when it reaches the reserve (none entered: any bid, which is at least the
    start price); no bid, or below the reserve, and the trade fails."""
    if highest_fen is None:
        return Outcome.NO_BIDS
    if reserve_fen is not None and highest_fen < reserve_fen:
        return Outcome.BELOW_RESERVE
    return Outcome.SOLD


# --- suspension and resumption (decision 0052) ---------------------------------------------------------------------

SUSPENDABLE = frozenset({Phase.NOTICE, Phase.BIDDING, Phase.TIMED})


class SuspensionGround(StrEnum):
    """Why a trade is suspended, with the text that requires it."""

    SYSTEM_FAILURE = "system_failure"  # 宁波市条例 第25条(一); 网络司法拍卖规定 第28条 第2款
    FORCE_MAJEURE = "force_majeure"  # 宁波市条例 第25条(二)
    TITLE_DISPUTE = "title_dispute"  # 宁波市条例 第25条(三)
    COURT_ORDER = "court_order"  # 网络司法拍卖规定 第28条 第1款, 第36条
    OTHER_BY_LAW = "other_by_law"  # 宁波市条例 第25条(四): a complaint, a supervisor's order…

    @property
    def source(self) -> str:
        return SUSPENSION_SOURCES[self]


SUSPENSION_SOURCES = {
    SuspensionGround.SYSTEM_FAILURE: "宁波市公共资源交易管理条例 第二十五条第一款第（一）项；"
    "最高人民法院关于人民法院网络司法拍卖若干问题的规定 第二十八条第二款",
    SuspensionGround.FORCE_MAJEURE: "宁波市公共资源交易管理条例 第二十五条第一款第（二）项",
    SuspensionGround.TITLE_DISPUTE: "宁波市公共资源交易管理条例 第二十五条第一款第（三）项",
    SuspensionGround.COURT_ORDER: "最高人民法院关于人民法院网络司法拍卖若干问题的规定 第二十八条第一款、第三十六条",
    SuspensionGround.OTHER_BY_LAW: "宁波市公共资源交易管理条例 第二十五条第一款第（四）项",
}


@dataclass(frozen=True)
class Remaining:
    """What was left of each countdown at the suspension (None: that end had passed, or there is none)."""

    until_start: timedelta | None
    bidding: timedelta | None
    timed: timedelta | None


def remaining_at(entry: AuctionRules, state: Clocked, at: datetime) -> Remaining:
    """The time left, at ``at``, before the bidding starts, before the bidding (listing) ends and before the timed
    phase ends."""
    timed = timed_end(entry, state)

    def left(end: datetime | None) -> timedelta | None:
        return end - at if end is not None and end > at else None

    return Remaining(left(state.bidding_start), left(state.closes_at), left(timed))


@dataclass(frozen=True)
class Resumed:
    bidding_start: datetime
    closes_at: datetime
    timed_closes_at: datetime | None


def resumed_times(entry: AuctionRules, state: Clocked, *, suspended_at: datetime, resumed_at: datetime) -> Resumed:
    """The ends after a resumption: whatever was left of each at the suspension is given back from the resumption,
    to the microsecond (宁波市条例 第25条 第2款: the trade resumes; nobody loses the time the suspension took). An
    end already passed stays where it was. The timed phase's end, when still derived from the listing's end, is
    written down once the listing's end has passed (it would otherwise not move)."""
    left = remaining_at(entry, state, suspended_at)
    start = resumed_at + left.until_start if left.until_start is not None else state.bidding_start
    closes = resumed_at + left.bidding if left.bidding is not None else state.closes_at
    timed_closes = state.timed_closes_at
    if left.timed is not None and (state.timed_closes_at is not None or left.bidding is None):
        timed_closes = resumed_at + left.timed
    return Resumed(bidding_start=start, closes_at=closes, timed_closes_at=timed_closes)


# --- the price cap (decision 0052) ---------------------------------------------------------------------------------


class CapVerdict(StrEnum):
    BELOW = "below"  # an ordinary bid under the cap
    REACHES = "reaches"  # the first bid at the cap
    ACCEPTS = "accepts"  # a further plate accepting the cap once reached
    ABOVE = "above"  # refused


def cap_verdict(*, amount_fen: int, cap_fen: int | None, current_fen: int | None) -> CapVerdict:
    """Where a bid stands against the price cap (no cap: always below)."""
    if cap_fen is None or amount_fen < cap_fen:
        return CapVerdict.BELOW
    if amount_fen > cap_fen:
        return CapVerdict.ABOVE
    return CapVerdict.ACCEPTS if current_fen == cap_fen else CapVerdict.REACHES


def cap_on_grid(*, cap_fen: int, start_fen: int, increment_fen: int) -> bool:
    """A cap a bid can reach exactly: the start price plus whole increments."""
    return cap_fen >= start_fen and (cap_fen - start_fen) % increment_fen == 0


@dataclass(frozen=True)
class CapDraw:
    seed_hex: str
    plates: tuple[str, ...]  # sorted: the order the index counts in
    winner: str


def cap_lottery(*, auction_id: int, root_hash_hex: str, tree_size: int, plates: list[str]) -> CapDraw:
    """摇号 among the plates at the cap, from published inputs only: seed = SHA-256 of
    ``"ggzy-auction-cap-lottery/v1|<auction id>|<tree size>|<root hash hex>|<plates sorted, comma-joined>"``
    (the first signed ledger checkpoint covering the last bid at the cap: unknown to anyone while bids could still
    be made); the winner is the sorted plates' entry at ``seed mod n``. Anyone can recompute it."""
    ordered = tuple(sorted(set(plates)))
    if not ordered:
        raise ValueError("no plate to draw from")
    text = f"ggzy-auction-cap-lottery/v1|{auction_id}|{tree_size}|{root_hash_hex}|{','.join(ordered)}"
    seed = hashlib.sha256(text.encode()).hexdigest()
    return CapDraw(seed_hex=seed, plates=ordered, winner=ordered[int(seed, 16) % len(ordered)])
