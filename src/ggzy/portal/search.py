"""The notice list: search by text, trade type, region, procedure and date range, paged by keyset.

Only published notices are listed (``Tender.published_at`` set), newest first. Pages are cut by the keyset
(published_at, id) of the last row shown, never by OFFSET, so page 500 of 100,000 notices costs what page 1 does
(index ``ix_tenders_published_at_id``, migration 0008).

Full text, for Chinese (no spaces between words):

A term matches a notice whose title or text contains it as written, ignoring case. On both databases the newest
notices from the cursor (``WINDOW`` of them) are matched row by row first: a common word (施工, 工程) fills the page
there at once. Otherwise the full-text index finds the rarer matches:

* SQLite: FTS5 with the trigram tokenizer; a term of three characters or more is a phrase MATCH. FTS5 trigrams
  cannot find a shorter term, so a rare one- or two-character term is a LIKE scan of every notice (about a second
  at 100,000 notices; PostgreSQL indexes it).
* PostgreSQL: a GIN index over the text's bigrams (``ggzy_bigrams``): a term's bigrams find the candidates
  (``'道路' & '路工' & '工程'``; a one-character term is a prefix, ``'道':*``) and the term itself confirms each.

Terms separated by spaces must all match. A term also finds a notice by what people know it by besides its words
(:func:`_names_condition`): its project's code (``530102-2026-G000001-8``), its owner's or agent's name, and — only
where it is public — a bidder's name: bidders are named from the opening on, when the opening reads them out
(招标投标法 第36条), never before it (招标投标法 第22条: 招标人不得向他人透露已获取招标文件的潜在投标人的名称、数量);
of a 竞争性谈判 or 竞争性磋商, whose responses stay secret (政府采购法 第38条), only from the result on.

The notice type (公告类型) is the notice a round is at now: its call for bids (招标/采购公告), the candidates'
publicity (中标候选人公示), the result (中标/成交结果公告), or its termination (终止公告, also a round that failed).
"""

from __future__ import annotations

import base64
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.core.errors import InvalidInput
from ggzy.entities.service import entity_ids_named
from ggzy.portal.labels import N_
from ggzy.portal.views import NoticeRow, notice_row, published_notices
from ggzy.projects.models import Lot, Project
from ggzy.tendering.models import DecryptedBid, Tender
from ggzy.tendering.procedures import PROCEDURES
from ggzy.tendering.stages import Stage

PAGE_SIZE = 20
MAX_TERMS = 8
_PG_DOCUMENT = "to_tsvector('simple'::regconfig, ggzy_bigrams(tenders.title || ' ' || tenders.notice_text))"
# What both sides strip before making bigrams (the PostgreSQL function in migration 0008 strips the same).
_EXTRA_STRIPPED = set("，。、；：？！“”‘’（）《》【】—…·")


@dataclass(frozen=True)
class NoticeQuery:
    text: str = ""
    trade_type: str | None = None
    region: str | None = None  # a region code; a province or city code includes the regions within it
    procedure: str | None = None
    kind: str | None = None  # a notice type, one of NOTICE_KINDS
    published_from: date | None = None  # China dates, inclusive
    published_to: date | None = None
    after: str | None = None  # the keyset cursor of the previous page's last row


# The notice types of the filter: the notice a round is at now, by the stages recorded on the tender.
NOTICE_KINDS: dict[str, str] = {
    "notice": N_("招标（采购）公告"),
    "candidates": N_("中标候选人公示"),
    "result": N_("中标（成交）结果公告"),
    "termination": N_("终止（失败）公告"),
}


def _kind_condition(kind: str) -> ColumnElement[bool]:
    if kind == "notice":
        return and_(Tender.cancelled_at.is_(None), Tender.stage == Stage.PUBLISHED.value)
    if kind == "candidates":
        return and_(Tender.cancelled_at.is_(None), Tender.stage == Stage.PUBLICITY.value)
    if kind == "result":
        return and_(Tender.cancelled_at.is_(None), Tender.stage.in_([Stage.AWARDED.value, Stage.CONTRACTED.value]))
    return or_(Tender.cancelled_at.is_not(None), Tender.stage.in_([Stage.CANCELLED.value, Stage.FAILED.value]))


@dataclass(frozen=True)
class NoticePage:
    rows: list[NoticeRow]
    next_cursor: str | None


class CursorInvalid(InvalidInput):
    code = "cursor_invalid"
    message_zh = "翻页参数 {field} 无效，请从第一页重新查看"
    message_en = "The page cursor {field} is not valid; start again from the first page"


def encode_cursor(row: NoticeRow) -> str:
    raw = f"{row.published_at.astimezone(UTC).isoformat()}|{row.tender_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, tender_id = raw.split("|")
        published_at = datetime.fromisoformat(moment)
        if published_at.tzinfo is None:
            raise ValueError("naive")
        return published_at.astimezone(UTC), int(tender_id)
    except ValueError as error:  # also binascii.Error and UnicodeDecodeError, both ValueErrors
        raise CursorInvalid(field="after") from error


def normalise(term: str) -> str:
    """Lower case without spaces and punctuation, as the PostgreSQL bigram function sees text."""
    return "".join(
        character
        for character in term.lower()
        if not (unicodedata.category(character)[0] in "PZ" or character in _EXTRA_STRIPPED)
        and not (character.isascii() and not character.isalnum())
    )


def terms_of(text_query: str) -> list[str]:
    return [term for term in text_query.split() if term][:MAX_TERMS]


def _sqlite_term(term: str) -> ColumnElement[bool]:
    if len(term) >= 3:  # FTS5 trigram: a phrase of three characters or more
        phrase = '"' + term.replace('"', '""') + '"'
        matching = text("SELECT rowid FROM notice_search WHERE notice_search MATCH :phrase").bindparams(phrase=phrase)
        return Tender.id.in_(matching.columns(literal_column("rowid")))
    return _like_condition(term)


def _like_condition(term: str) -> ColumnElement[bool]:
    """The term as written, in the title or the notice text, ignoring case (LIKE on SQLite, ILIKE on PostgreSQL)."""
    pattern = _pattern(term)
    return or_(Tender.title.ilike(pattern, escape="\\"), Tender.notice_text.ilike(pattern, escape="\\"))


def pg_tsquery(term: str) -> str | None:
    """The bigrams of a term as tsquery text (every one must be there); None when nothing searchable is left.

    A one-character term is a prefix: every character of a text starts one of its indexed pairs."""
    normal = normalise(term)
    if not normal:
        return None
    if len(normal) == 1:
        return f"'{normal}':*"
    return " & ".join(dict.fromkeys(f"'{normal[i : i + 2]}'" for i in range(len(normal) - 1)))


def _text_condition(
    db: Session, terms: list[str], named: dict[str, ColumnElement[bool] | None]
) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    postgres = db.get_bind().dialect.name == "postgresql"
    for term in terms:
        if postgres:
            query = pg_tsquery(term)
            if query is None:
                continue
            # the bigrams find candidates (they may lie apart); the term itself, as written, must be in the text
            in_text = and_(
                literal_column(_PG_DOCUMENT).bool_op("@@")(func.to_tsquery("simple", query)), _like_condition(term)
            )
        else:
            in_text = _sqlite_term(term)
        conditions.append(_or_named(in_text, named[term]))
    return and_(*conditions) if conditions else None


def _pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# 竞争性谈判 and 竞争性磋商: who responded stays secret until the result (政府采购法 第38条 (四))
_SECRET_RESPONSES = tuple(key for key, item in PROCEDURES.items() if item.quotation_rounds is not None)
_RESULT_STAGES = (Stage.AWARDED.value, Stage.CONTRACTED.value)


# a term that could be (part of) a unified project code: digits, with its hyphens and letters (530102-2026-G000001-8)
_CODE_LIKE = re.compile(r"[0-9][0-9A-Za-z-]*")
# more names than this is no name any more (a term like 公司): the text alone decides
_MOST_NAMED = 500


def _names_condition(db: Session, term: str) -> ColumnElement[bool] | None:
    """The notices a term names by their project's code, their owner or agent, or a bidder that is public: one read
    out at the opening (a decrypted bid; the opening is public, 招标投标法 第36条), of a negotiation or consultation
    only from its result on. A bid received but not yet opened names nobody (招标投标法 第22条).

    The names are looked up first, once per term (the entities and, for a term that looks like a code, the project
    codes): most terms name nobody, and then the notices are searched by their words alone, as fast as before."""
    pattern = _pattern(term)
    entities = list(db.scalars(entity_ids_named(pattern).limit(_MOST_NAMED + 1)))
    if len(entities) > _MOST_NAMED:
        entities = []
    by_code = _CODE_LIKE.fullmatch(term) is not None
    conditions: list[ColumnElement[bool]] = []
    named_projects: list[ColumnElement[bool]] = []
    if entities:  # by the projects' indexes on their owner and agent
        named_projects += [Project.owner_id.in_(entities), Project.agent_id.in_(entities)]
    if by_code:
        named_projects.append(Project.code.ilike(pattern, escape="\\"))
    if named_projects:
        conditions.append(Lot.project_id.in_(select(Project.id).where(or_(*named_projects))))
    if entities:
        opened_by = select(DecryptedBid.tender_id).where(DecryptedBid.entity_id.in_(entities))
        public = or_(Tender.procedure.not_in(_SECRET_RESPONSES), Tender.stage.in_(_RESULT_STAGES))
        conditions.append(and_(Tender.id.in_(opened_by), public))
    return or_(*conditions) if conditions else None


def _or_named(condition: ColumnElement[bool], named: ColumnElement[bool] | None) -> ColumnElement[bool]:
    return condition if named is None else or_(condition, named)


def _china_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA_STANDARD_TIME).astimezone(UTC)


def search_notices(db: Session, query: NoticeQuery, *, limit: int = PAGE_SIZE) -> NoticePage:
    """One page of published notices matching ``query``, newest first, and the cursor of the next page."""
    sqlite = db.get_bind().dialect.name == "sqlite"
    statement: Any = published_notices()
    # SQLite would start from a project index and sort every matching notice; walking the notices' own index in
    # page order and filtering is what keeps a page cheap. The project's column is read by a correlated subquery on
    # the project's primary key: written on the joined row, SQLite builds a Bloom filter over every matching project
    # per request first (13 ms at 25,000 projects; the subquery 0.17 ms, bench/RESULTS.md).
    project_column = _project_column_by_key if sqlite else (lambda column: column)
    if query.trade_type:
        statement = statement.where(project_column(Project.trade_type) == query.trade_type)
    if query.region:
        statement = statement.where(_region_condition(project_column(Project.region_code), query.region))
    if query.procedure:
        statement = statement.where(Tender.procedure == query.procedure)
    if query.kind:
        statement = statement.where(_kind_condition(query.kind))
    if query.published_from:
        statement = statement.where(Tender.published_at >= _china_day_start(query.published_from))
    if query.published_to:
        statement = statement.where(Tender.published_at < _china_day_start(query.published_to + timedelta(days=1)))
    if query.after:
        published_at, tender_id = decode_cursor(query.after)
        # the redundant bound lets both databases walk the index from the cursor instead of filtering up to it
        statement = statement.where(
            Tender.published_at <= published_at,
            or_(Tender.published_at < published_at, and_(Tender.published_at == published_at, Tender.id < tender_id)),
        )
    statement = statement.order_by(Tender.published_at.desc(), Tender.id.desc())
    terms = terms_of(query.text)
    named = {term: _names_condition(db, term) for term in terms}  # looked up once per term
    rows: list[NoticeRow] | None = None
    if terms:
        rows = _common_terms_first(db, statement, terms, named, limit)
    if rows is None:
        condition = _text_condition(db, terms, named)
        if condition is not None:
            statement = statement.where(condition)
        rows = [notice_row(row) for row in db.execute(statement.limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    return NoticePage(rows=rows, next_cursor=encode_cursor(rows[-1]) if more else None)


def _project_column_by_key(column: Any) -> Any:
    """``(SELECT projects.<column> FROM projects WHERE projects.id = lots.project_id)``: one primary-key look-up per
    notice walked, no index on the column for SQLite to start from."""
    return select(column).where(Project.id == Lot.project_id).correlate(Lot).scalar_subquery()


WINDOW = 500


def _common_terms_first(
    db: Session, statement: Any, terms: list[str], named: dict[str, ColumnElement[bool] | None], limit: int
) -> list[NoticeRow] | None:
    """A common term fills the page from the next few hundred notices, read in page order and matched row by row —
    cheaper than collecting every match from the full-text index and sorting them (most notices say 施工 or 工程).
    None when the window does not fill the page: then the index finds the rarer matches."""
    window = statement.with_only_columns(Tender.id).limit(WINDOW).subquery()
    matching = [_or_named(_like_condition(term), named[term]) for term in terms]
    rows = [
        notice_row(row)
        for row in db.execute(statement.where(Tender.id.in_(select(window.c.id)), *matching).limit(limit + 1))
    ]
    if len(rows) > limit:
        return rows
    window_size = db.scalar(select(func.count()).select_from(window)) or 0
    return rows if window_size < WINDOW else None  # the window held every remaining notice: nothing more to find


def _region_condition(column: Any, region: str) -> ColumnElement[bool]:
    """A province (xx0000) or city (xxxx00) code includes its regions; a county code is itself (GB/T 2260)."""
    if region.endswith("0000"):
        return column.startswith(region[:2])
    if region.endswith("00"):
        return column.startswith(region[:4])
    result: ColumnElement[bool] = column == region
    return result
