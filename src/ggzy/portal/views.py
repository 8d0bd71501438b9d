"""What the public sees on the portal's pages (row visibility in one place, like the domains' ``views.py``).

Every read here is of what is already public: published notices (``Tender.published_at`` set), their projects' trade
type and region, and disclosed events (the same events the public ledger carries, with their proof links). Nothing
here reads registrations or sealed bids: before opening no page can tell who bid or how many (招标投标法 第22条).
Opening records, candidates and awards come from the domains' own public views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import CHINA_STANDARD_TIME, to_china_time
from ggzy.core.codes import is_valid_region_code
from ggzy.core.events import Event
from ggzy.entities.service import entity_names, find_user, get_centre
from ggzy.portal.regions import region_label
from ggzy.projects.models import Lot, Project
from ggzy.tendering.models import Tender

# The disclosed events that publish a document of a lot's process, in the order of the process (the 每日标讯 and
# the project page's documents): each names its document kind.
PUBLISHED_DOCUMENTS: dict[str, str] = {
    "tender.published": "notice",
    "tender.documents_attached": "documents",
    "tender.clarified": "clarification",
    "tender.cancelled": "termination",
    "opening.recorded": "opening_record",
    "award.publicity_published": "candidates",
    "award.awarded": "result",
    "award.contract_recorded": "contract",
}


def china_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The UTC bounds [start, end) of the China Standard Time day that ``now`` falls in."""
    day = to_china_time(now).date()
    start = datetime.combine(day, time(0), tzinfo=CHINA_STANDARD_TIME).astimezone(UTC)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class NoticeRow:
    """One published notice as lists show it."""

    tender_id: int
    title: str
    project_id: int
    project_code: str
    project_name: str
    trade_type: str
    region_code: str
    procedure: str
    published_at: datetime
    bid_deadline: datetime
    cancelled: bool


def notice_columns() -> tuple[Any, ...]:
    return (
        Tender.id,
        Tender.title,
        Project.id,
        Project.code,
        Project.name,
        Project.trade_type,
        Project.region_code,
        Tender.procedure,
        Tender.published_at,
        Tender.bid_deadline,
        Tender.cancelled_at,
    )


def notice_row(row: Any) -> NoticeRow:
    (tender_id, title, project_id, code, name, trade_type, region_code, procedure, published, deadline, cancelled) = row
    return NoticeRow(
        tender_id=tender_id,
        title=title,
        project_id=project_id,
        project_code=code,
        project_name=name,
        trade_type=trade_type,
        region_code=region_code,
        procedure=procedure,
        published_at=published,
        bid_deadline=deadline,
        cancelled=cancelled is not None,
    )


def published_notices() -> Select[Any]:
    """``SELECT`` of published notices with their project, for the lists to filter and order."""
    return (
        select(*notice_columns())
        .join(Lot, Lot.id == Tender.lot_id)
        .join(Project, Project.id == Lot.project_id)
        .where(Tender.published_at.is_not(None))
    )


def openings_around(
    db: Session, *, since: datetime, limit: int
) -> tuple[list[NoticeRow], list[NoticeRow], list[NoticeRow]]:
    """The live hall's lists, of published tenders not cancelled: the openings (bid deadlines) from ``since`` on,
    soonest first; the openings that took place before it, latest first (their hall replays them); and the tenders
    whose deadline passed before it without an opening (too few bids, 招标投标法实施条例 第44条), latest first."""
    from ggzy.tendering.models import Opening

    base = published_notices().where(Tender.cancelled_at.is_(None))
    opened = select(Opening.id).where(Opening.tender_id == Tender.id).exists()
    upcoming = db.execute(
        base.where(Tender.bid_deadline >= since).order_by(Tender.bid_deadline, Tender.id).limit(limit)
    )
    past = base.where(Tender.bid_deadline < since).order_by(Tender.bid_deadline.desc(), Tender.id.desc()).limit(limit)
    recent = db.execute(past.where(opened))
    unopened = db.execute(past.where(~opened))
    return (
        [notice_row(row) for row in upcoming],
        [notice_row(row) for row in recent],
        [notice_row(row) for row in unopened],
    )


@dataclass(frozen=True)
class NewsItem:
    """One line of the daily bid news: a document published, its notice, and the event that proves it."""

    event_id: int
    kind: str
    occurred_at: datetime
    notice: NoticeRow


RECENT = 10


@dataclass
class Today:
    day_start: datetime
    notices: list[NoticeRow] = field(default_factory=list)
    openings: list[NoticeRow] = field(default_factory=list)
    news: list[NewsItem] = field(default_factory=list)
    latest: list[NoticeRow] = field(default_factory=list)  # when nothing was published today
    recent_news: list[NewsItem] = field(default_factory=list)  # when there is no news today


@dataclass
class NoticeCounts:
    """Every published notice counted by trade type and by region (the home page's tables)."""

    by_trade_type: list[tuple[str, int]] = field(default_factory=list)
    by_region: list[tuple[str, str, int]] = field(default_factory=list)
    total: int = 0


def today(db: Session, *, now: datetime, limit: int = 20) -> Today:
    """The home page: today's notices and openings (China time) and today's bid news (the counts: ``notice_counts``)."""
    start, end = china_day_bounds(now)
    result = Today(day_start=start)
    base = published_notices()
    result.notices = [
        notice_row(row)
        for row in db.execute(
            base.where(Tender.published_at >= start, Tender.published_at < end)
            .order_by(Tender.published_at.desc(), Tender.id.desc())
            .limit(limit)
        )
    ]
    result.openings = [
        notice_row(row)
        for row in db.execute(
            base.where(Tender.bid_deadline >= start, Tender.bid_deadline < end, Tender.cancelled_at.is_(None))
            .order_by(Tender.bid_deadline, Tender.id)
            .limit(limit)
        )
    ]
    result.news = news_between(db, start=start, end=end, limit=limit)
    # A quiet day still shows something: the newest notices and the news of the last month.
    if not result.notices:
        result.latest = [
            notice_row(row)
            for row in db.execute(base.order_by(Tender.published_at.desc(), Tender.id.desc()).limit(RECENT))
        ]
    if not result.news:
        result.recent_news = news_between(db, start=start - timedelta(days=30), end=end, limit=RECENT)
    return result


def notice_counts(db: Session) -> NoticeCounts:
    """Counts of all published notices: a pass over every notice (200 ms at 100,000 on SQLite), so the home page
    reuses it (``page_cache.remembered``) rather than counting on every render."""
    counted = (
        select(Project.trade_type, Project.region_code, func.count(Tender.id))
        .join(Lot, Lot.project_id == Project.id)
        .join(Tender, Tender.lot_id == Lot.id)
        .where(Tender.published_at.is_not(None))
        .group_by(Project.trade_type, Project.region_code)
    )
    by_trade: dict[str, int] = {}
    by_region: dict[str, int] = {}
    for trade_type, region_code, count in db.execute(counted):
        by_trade[trade_type] = by_trade.get(trade_type, 0) + count
        by_region[region_code] = by_region.get(region_code, 0) + count
    return NoticeCounts(
        by_trade_type=sorted(by_trade.items(), key=lambda item: (-item[1], item[0])),
        by_region=[
            (code, region_label(code), count) for code, count in sorted(by_region.items(), key=lambda i: (-i[1], i[0]))
        ],
        total=sum(by_trade.values()),
    )


def news_between(db: Session, *, start: datetime, end: datetime, limit: int) -> list[NewsItem]:
    """每日标讯: the documents published in [start, end), newest first, each with its notice and proving event."""
    rows = db.execute(
        select(Event.id, Event.action, Event.occurred_at, Event.subject_id)
        .where(
            Event.occurred_at >= start,
            Event.occurred_at < end,
            Event.action.in_(PUBLISHED_DOCUMENTS),
            Event.subject_type == "tender",
            Event.disclosed.is_(True),
        )
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    ).all()
    tender_ids = {int(subject_id) for *_, subject_id in rows}
    notices = {
        row.tender_id: row for row in map(notice_row, db.execute(published_notices().where(Tender.id.in_(tender_ids))))
    }
    return [
        NewsItem(event_id=event_id, kind=PUBLISHED_DOCUMENTS[action], occurred_at=at, notice=notices[int(subject)])
        for event_id, action, at, subject in rows
        if int(subject) in notices  # a draft's events (documents attached before publishing) stay off the news
    ]


def project_regions(db: Session) -> list[tuple[str, str]]:
    """The regions of the projects with a published notice, for the list's region filter: a project not yet
    published is not shown, not even by its region.

    Region by region (few) rather than notice by notice (many): each distinct region code of the projects, kept if
    one of its projects has a published tender — an index probe that stops at the first (0.1 ms at 100,000 notices
    on SQLite, where joining every notice took 144 ms)."""
    regions = select(Project.region_code).distinct().subquery()
    published_here = (
        select(Tender.id)
        .join(Lot, Lot.id == Tender.lot_id)
        .join(Project, Project.id == Lot.project_id)
        .where(Project.region_code == regions.c.region_code, Tender.published_at.is_not(None))
    )
    query = select(regions.c.region_code).where(published_here.exists()).order_by(regions.c.region_code)
    codes: set[str] = set()
    for code in db.scalars(query):  # with the prefecture and the province it lies in: a filter takes in its parts
        codes |= {code, code[:4] + "00", code[:2] + "0000"} if is_valid_region_code(code) else {code}
    return [(code, region_label(code)) for code in sorted(codes)]


def account_name(db: Session, user_id: int | None) -> str:
    """Who a logged-in user is, as people call them: a market entity's user by the entity's name (and the person's,
    where the account names one), staff and experts by their display name; never the account's id."""
    user = find_user(db, user_id) if user_id is not None else None
    if user is None:
        return ""
    person = user.display_name if user.display_name and user.display_name != user.username else ""
    if user.entity_id is None:
        return person or user.username
    entity = entity_names(db, [user.entity_id]).get(user.entity_id, "")
    if not entity:
        return person or user.username
    return entity if not person or person == entity else f"{person}（{entity}）"


def centre_names(db: Session, centre_ids: set[int]) -> dict[int, str]:
    """The trading centres' names by id (交易中心), for the selects and lists that would otherwise show ids."""
    return {centre_id: get_centre(db, centre_id).name for centre_id in centre_ids}


def centre_regions(db: Session, centre_ids: set[int]) -> set[str]:
    """The region codes the centres serve: a project registers with a centre of its region."""
    return {get_centre(db, centre_id).region_code for centre_id in centre_ids}
