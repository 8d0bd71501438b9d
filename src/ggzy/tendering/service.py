"""Tenders: notice, documents, clarifications, objections, cancellation and bidders' registrations.

Registrations are secret until opening (招标投标法 第22条): their events are undisclosed in the public ledger, and
no read here tells anyone but the registering bidder who registered or how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core import screening
from ggzy.core.calendar import WorkingDayCalendar
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import Event, changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.core.screening import Checkpoint
from ggzy.core.trade_types import ProcurementCategory, TradeType
from ggzy.core.violations import record_missed, violation_entry
from ggzy.entities.service import get_entity
from ggzy.projects.service import (
    ACCEPTED,
    find_lot,
    lot_ids_of_centres,
    lot_ids_of_projects,
    lot_ids_run_by,
    lots_with_projects,
)
from ggzy.tendering import lifecycle, rules, summary_form
from ggzy.tendering.access import check_bidder_may_register, check_manager
from ggzy.tendering.keys import create_opening_keys
from ggzy.tendering.lifecycle import TenderStageWrong
from ggzy.tendering.models import (
    Clarification,
    DocumentObjection,
    Invitation,
    Registration,
    SoleSupplierObjection,
    Tender,
)
from ggzy.tendering.procedures import PROCEDURES, Method, procedure, procedure_for
from ggzy.tendering.stages import ENDED_WITHOUT_CONTRACT, Stage, Step

if TYPE_CHECKING:
    from ggzy.projects.models import Lot, Project


class RoundRunning(DomainError):
    code = "round_running"
    status = 409
    message_zh = (
        "该标段已有进行中或已签订合同的一轮招标采购：新一轮须在上一轮流标、废标或终止之后发起"
        "（招标投标法 第四十二条；政府采购法 第三十七条；招标投标法实施条例 第三十一条）"
    )
    message_en = (
        "The lot has a round under way or contracted: a new round starts only after the last one failed or was "
        "terminated (Tendering Law art. 42; Government Procurement Law art. 37; Regulations art. 31)"
    )


class SoleSupplierNotPublicised(DomainError):
    code = "sole_supplier_not_publicised"
    status = 409
    message_zh = (
        "单一来源采购须先将采购项目信息和唯一供应商名称公示，公示期不得少于 {days} {unit_zh}（{article}）；{state_zh}"
    )
    message_en = (
        "A single-source procurement first publicises the project and its sole supplier for at least {days} "
        "{unit_en} ({article}); {state_en}"
    )


class SoleSupplierObjectionsUnanswered(DomainError):
    code = "sole_supplier_objections_unanswered"
    status = 409
    message_zh = "对唯一供应商公示（政府采购法实施条例 第三十八条）提出的异议尚有 {count} 项未答复：答复后方可继续采购"
    message_en = (
        "{count} objection(s) to the sole supplier's publicity (GPL Implementing Regulations art. 38) await their "
        "answer: answer them before the procurement goes on"
    )


class NotEnoughInvitations(DomainError):
    code = "not_enough_invitations"
    status = 422
    message_zh = "{procedure_zh}应当邀请{expected_zh}（{article}）"
    message_en = "{procedure_en} invites {expected_en} ({article})"


class DocumentsMissing(DomainError):
    code = "tender_documents_missing"
    status = 409
    message_zh = "发布招标公告前须上传招标文件"
    message_en = "Upload the tender documents before publishing the notice"


def get_tender(db: Session, tender_id: int) -> Tender:
    tender = db.get(Tender, tender_id)
    if tender is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    return tender


def project_of(db: Session, tender: Tender) -> tuple[Project, Lot]:
    found = find_lot(db, tender.lot_id)
    assert found is not None  # a tender's lot_id is a non-null foreign key
    lot, project = found
    return project, lot


def is_paused(db: Session, tender_id: int) -> bool:
    """Whether an unanswered objection pauses the round now (招标投标法实施条例 第22条; never under 政府采购法)."""
    return "paused_by_objection" in lifecycle.halts_in_force(db, tender_id)


def record_tender_event(
    db: Session, actor: Principal, tender: Tender, project: Project, action: str, payload: dict[str, Any],
    now: datetime, *, withheld: bool = False,
) -> Event:  # fmt: skip
    """The event of a change to a tender: its subject is the tender, its centre the project's (``withheld``: kept
    out of the public ledger, :func:`ggzy.core.events.record_event`)."""
    return record_event(
        db,
        actor,
        action=action,
        subject_type="tender",
        subject_id=tender.id,
        centre_id=project.centre_id,
        payload=payload,
        now=now,
        withheld=withheld,
    )


def responses_secret(tender: Tender) -> bool:
    """竞争性谈判, 竞争性磋商: who responded and at what price stays between the supplier and the panel until the
    result (政府采购法 第38条 (四): 任何一方不得透露与谈判有关的其他供应商的技术资料、价格和其他信息): the opening
    of the responses is not public, unlike a tender's (招标投标法 第36条)."""
    return procedure(tender.procedure).quotation_rounds is not None and tender.stage not in {
        Stage.AWARDED.value,
        Stage.CONTRACTED.value,
    }


@changes_state("tender.created")
def create_tender(
    db: Session,
    actor: Principal,
    *,
    lot_id: int,
    procedure_key: str,
    method: Method,
    title: str,
    notice_text: str,
    documents_until: datetime,
    bid_deadline: datetime,
    invited_entity_ids: list[int],
    now: datetime,
    prequalification_id: int | None = None,
    summary_fields: Sequence[summary_form.SummaryField] = (),
    deposit_fen: int | None = None,
    deposit_percent: Decimal | None = None,
    bid_validity_days: int | None = None,
) -> Tender:
    """A draft tender for a lot of an accepted project, by its owner or agent. ``prequalification_id`` names the
    prequalification whose pass list the invitations are (招标投标法实施条例 第19条), recorded on the event.
    ``summary_fields`` are the items of its opening summary (开标一览表) beyond the price, which is always declared.
    The bid deposit it requires is ``deposit_fen``, or ``deposit_percent`` of the lot's estimate or budget, within
    the cap of its law (:func:`rules.check_deposit`); ``bid_validity_days``: 投标有效期 (实施条例 第25条)."""
    declared = summary_form.declare(summary_fields)
    found = find_lot(db, lot_id)
    if found is None:
        raise NotFound(field="lot_id", what_zh="标段", what_en="Lot")
    lot, project = found
    actor = check_manager(actor, project)
    if project.status != ACCEPTED:
        raise Conflict(
            field="lot_id", reason_zh="项目进场登记尚未受理", reason_en="the project's registration is not accepted yet"
        )
    category = ProcurementCategory(project.procurement_category) if project.procurement_category else None
    # the trade type picks the law, and under 政府采购 what is procured (政府采购法实施条例 第7条)
    chosen = procedure_for(TradeType(project.trade_type), procedure_key, category=category)
    if method not in chosen.methods:
        raise InvalidInput(
            field="method", reason_zh="该招标方式不支持此评标办法", reason_en="not a method of this procedure"
        )
    deposit_fen = _deposit_fen(lot, deposit_fen, deposit_percent)
    if bid_validity_days is not None and not 1 <= bid_validity_days <= rules.MAX_BID_VALIDITY_DAYS:
        raise InvalidInput(
            field="bid_validity_days", reason_zh=f"应为 1 至 {rules.MAX_BID_VALIDITY_DAYS} 日",
            reason_en=f"must be 1 to {rules.MAX_BID_VALIDITY_DAYS} days",
        )  # fmt: skip
    rules.check_deposit(
        law_key=chosen.law.key, deposit_fen=deposit_fen, budget_fen=lot.budget_fen, bid_validity_days=bid_validity_days
    )
    if {project.owner_id, project.agent_id} & set(invited_entity_ids):
        raise InvalidInput(
            field="invited_entity_ids",
            reason_zh="招标人（采购人）及其代理机构不能作为被邀请的投标人（供应商）",
            reason_en="the owner and its agent cannot be invited to bid",
        )
    invited_count = len(set(invited_entity_ids))
    if chosen.by_invitation and not chosen.invitations.allows(invited_count):
        raise NotEnoughInvitations(
            field="invited_entity_ids", procedure_zh=chosen.name_zh, procedure_en=chosen.name_en,
            expected_zh=chosen.invitations.expected_zh, expected_en=chosen.invitations.expected_en,
            article=chosen.invitations.article,
        )  # fmt: skip
    if not chosen.by_invitation and invited_entity_ids:
        raise InvalidInput(
            field="invited_entity_ids", reason_zh="公开招标不发邀请书", reason_en="open tendering invites no one"
        )
    for entity_id in invited_entity_ids:
        get_entity(db, entity_id, field="invited_entity_ids")
    open_rounds = select(func.count()).where(
        Tender.lot_id == lot.id, Tender.stage.notin_([stage.value for stage in ENDED_WITHOUT_CONTRACT])
    )
    if db.scalar(open_rounds):
        raise RoundRunning(field="lot_id")
    earlier = [
        (row.id, row.round)
        for row in db.execute(select(Tender.id, Tender.round).where(Tender.lot_id == lot.id).order_by(Tender.round))
    ]
    lifecycle.refuse_new_round(db, earlier)  # a complaint about an earlier round still undecided (实施条例 第81条)
    rounds = len(earlier)
    tender = Tender(
        lot_id=lot.id,
        round=rounds + 1,
        procedure=chosen.key,
        procedure_version=chosen.version,
        method=method.value,
        stage=Stage.DRAFT.value,
        title=title,
        notice_text=notice_text,
        documents_until=documents_until,
        bid_deadline=bid_deadline,
        created_by=actor.user_id,
        created_at=now,
        summary_fields=summary_form.to_json(declared),
        deposit_fen=deposit_fen,
        bid_validity_days=bid_validity_days,
    )
    try:  # two rounds created at the same moment both count the same rounds: the (lot, round) key decides
        with db.begin_nested():
            db.add(tender)
            db.flush()
    except IntegrityError:
        raise RoundRunning(field="lot_id") from None
    db.add_all(Invitation(tender_id=tender.id, entity_id=entity_id) for entity_id in sorted(set(invited_entity_ids)))
    record_tender_event(
        db,
        actor,
        tender,
        project,
        "tender.created",
        {
            "lot_id": lot.id,
            "round": tender.round,
            "procedure": chosen.key,
            "method": method.value,
            "summary_fields": summary_form.beyond_price(declared),  # the price is always declared
            **({"deposit_fen": deposit_fen} if deposit_fen is not None else {}),
            **({"bid_validity_days": bid_validity_days} if bid_validity_days is not None else {}),
            **({"prequalification_id": prequalification_id} if prequalification_id is not None else {}),
        },
        now,
    )
    return tender


@changes_state("tender.documents_attached")
def attach_documents(
    db: Session, actor: Principal, *, tender_id: int, sha256: str, name: str, size: int, now: datetime
) -> Tender:
    """The tender documents (stored in the blob store) of a draft tender."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    lifecycle.require(db, tender, Step.ATTACH_DOCUMENTS, now)
    tender.documents_sha256, tender.documents_name, tender.documents_size = sha256, name, size
    db.flush()
    record_tender_event(
        db, actor, tender, project, "tender.documents_attached", {"sha256": sha256, "name": name, "size": size}, now
    )
    return tender


@changes_state("tender.published")
def publish_tender(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> Tender:
    """Publish the notice (or send the invitations): the documents are issued now, free to download."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    lifecycle.require(db, tender, Step.PUBLISH, now)
    if tender.documents_sha256 is None:
        raise DocumentsMissing(field="tender_id")
    chosen = procedure(tender.procedure)
    calendar = working_day_calendar(db)
    _check_sole_supplier_publicity(calendar, tender, now)
    _check_sole_supplier_objections_answered(db, tender)
    rules.check_bid_period(calendar, issued_at=now, bid_deadline=tender.bid_deadline, procedure=chosen)
    rules.check_documents_offer(calendar, offered_from=now, offered_until=tender.documents_until, procedure=chosen)
    if tender.documents_until > tender.bid_deadline:
        raise InvalidInput(
            field="documents_until",
            reason_zh="招标文件获取截止时间不得晚于投标截止时间",
            reason_en="the documents cannot be on offer after the bid deadline",
        )
    suites = create_opening_keys(db, tender, centre_id=project.centre_id, procedure=chosen, now=now)
    lifecycle.move(db, tender, Step.PUBLISH)
    tender.published_at = now
    db.flush()
    record_tender_event(
        db,
        actor,
        tender,
        project,
        "tender.published",
        {
            "title": tender.title,
            "bid_deadline": tender.bid_deadline.isoformat(),
            "documents_until": tender.documents_until.isoformat(),
            "documents_sha256": tender.documents_sha256,
            "suites": [suite.value for suite in suites],
            "summary_fields": summary_form.beyond_price(summary_fields_of(tender)),
        },
        now,
    )
    return tender


def _check_sole_supplier_publicity(calendar: WorkingDayCalendar, tender: Tender, now: datetime) -> None:
    """政府采购法实施条例 第38条: the sole supplier publicised for at least 5 working days before the procurement goes
    on (the stricter reading: whatever the amount)."""
    period = procedure(tender.procedure).periods.sole_supplier_publicity
    if period is None:
        return
    if tender.sole_supplier_publicised_at is None:
        raise SoleSupplierNotPublicised(
            field="tender_id", state_zh="尚未公示", state_en="it has not been publicised", **period.words()
        )
    last_day = period.last_day(calendar, rules.china_date(tender.sole_supplier_publicised_at))
    if rules.china_date(now) <= last_day:  # the publicity runs to 24:00 of its last day
        raise SoleSupplierNotPublicised(
            field="tender_id", state_zh=f"公示期至 {last_day.isoformat()} 届满", state_en=f"it runs until {last_day}",
            **period.words(),
        )  # fmt: skip


def _check_sole_supplier_objections_answered(db: Session, tender: Tender) -> None:
    """The objections raised during the sole supplier's publicity (政府采购法实施条例 第38条) are answered before the
    procurement goes on (tendering.sole_source)."""
    waiting = db.scalar(
        select(func.count()).where(
            SoleSupplierObjection.tender_id == tender.id, SoleSupplierObjection.answered_at.is_(None)
        )
    )
    if waiting:
        raise SoleSupplierObjectionsUnanswered(field="tender_id", count=waiting)


@changes_state("tender.sole_supplier_publicised")
def publicise_sole_supplier(
    db: Session, actor: Principal, *, tender_id: int, notice_text: str, now: datetime
) -> Tender:
    """政府采购法实施条例 第38条: the purchaser publicises the project and the name of its sole supplier (the one
    invited supplier, 政府采购法 第31条) for at least 5 working days, before the procurement is published."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    lifecycle.require(db, tender, Step.PUBLICISE_SOLE_SUPPLIER, now)
    if len(notice_text.strip()) < 2:
        raise InvalidInput(field="notice_text", reason_zh="须写明公示内容", reason_en="write the publicity's text")
    if tender.sole_supplier_publicised_at is not None:
        raise Conflict(field="tender_id", reason_zh="唯一供应商已公示", reason_en="the sole supplier is publicised")
    supplier_id = db.scalar(select(Invitation.entity_id).where(Invitation.tender_id == tender.id))
    assert supplier_id is not None  # a single-source tender invites exactly its supplier
    supplier = get_entity(db, supplier_id)
    period = procedure(tender.procedure).periods.sole_supplier_publicity
    assert period is not None
    ends = period.last_day(working_day_calendar(db), rules.china_date(now))
    tender.sole_supplier_publicised_at, tender.sole_supplier_notice = now, notice_text
    db.flush()
    record_tender_event(
        db, actor, tender, project, "tender.sole_supplier_publicised",
        {"supplier": supplier.name, "credit_code": supplier.credit_code, "notice": notice_text,
         "last_day": ends.isoformat(), "article": period.article},
        now,
    )  # fmt: skip
    return tender


def _deposit_fen(lot: Lot, deposit_fen: int | None, deposit_percent: Decimal | None) -> int | None:
    if deposit_fen is not None and deposit_percent is not None:
        raise InvalidInput(
            field="deposit", reason_zh="金额与比例只填其一", reason_en="give the amount or the percentage, not both"
        )
    if deposit_percent is not None:
        deposit_fen = rules.deposit_of_percent(lot.budget_fen, deposit_percent)
    if deposit_fen is not None and deposit_fen <= 0:
        raise InvalidInput(field="deposit", reason_zh="应大于零", reason_en="must be more than zero")
    return deposit_fen


def summary_fields_of(tender: Tender) -> tuple[summary_form.SummaryField, ...]:
    """The items of the tender's opening summary (开标一览表) in force: as prepared, or as a clarification amended
    them."""
    return summary_form.from_json(tender.summary_fields)


@changes_state("tender.clarified")
def clarify(
    db: Session, actor: Principal, *, tender_id: int, text: str, affects_bids: bool, now: datetime,
    summary_fields: Sequence[summary_form.SummaryField] | None = None,
) -> Clarification:  # fmt: skip
    """A clarification or amendment; if it may affect the bids and comes less than 15 days before the deadline, the
    deadline moves (招标投标法 第23条, 实施条例 第21条).

    ``summary_fields``, when given, amends the opening summary's items (the form of the bid is part of the tender
    documents, which 实施条例 第21条 lets the tenderer amend): such an amendment affects the preparation of every bid
    by its nature, so it is refused unless ``affects_bids`` (and then 15 days must remain, or the deadline moves)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    lifecycle.require(db, tender, Step.CLARIFY, now)
    declared = summary_form.declare(summary_fields) if summary_fields is not None else None
    if declared is not None and not affects_bids:
        raise InvalidInput(
            field="affects_bids",
            reason_zh="修改开标一览表影响投标文件编制，须按影响投标的修改处理（招标投标法实施条例 第二十一条）",
            reason_en="amending the opening summary affects the preparation of bids (Regulations art. 21)",
        )
    before = tender.bid_deadline
    after = (
        rules.deadline_after_clarification(
            working_day_calendar(db), clarified_at=now, bid_deadline=before, procedure=procedure(tender.procedure)
        )
        if affects_bids
        else before
    )
    tender.bid_deadline = after
    if declared is not None:
        tender.summary_fields = summary_form.to_json(declared)
    clarification = Clarification(
        tender_id=tender.id,
        text=text,
        affects_bids=affects_bids,
        deadline_before=before,
        deadline_after=after,
        published_at=now,
        published_by=actor.user_id,
    )
    db.add(clarification)
    db.flush()
    record_tender_event(
        db,
        actor,
        tender,
        project,
        "tender.clarified",
        {
            "clarification_id": clarification.id,
            "affects_bids": affects_bids,
            "deadline_before": before.isoformat(),
            "deadline_after": after.isoformat(),
            **({"summary_fields": summary_form.beyond_price(declared)} if declared is not None else {}),
        },
        now,
    )
    return clarification


@changes_state("tender.objection_raised")
def raise_objection(
    db: Session, actor: Principal, *, tender_id: int, text: str, now: datetime, interest: str | None = None
) -> DocumentObjection:
    """A potential bidder or another interested party (潜在投标人或者其他利害关系人) objects to the tender
    documents, until 10 days before the deadline; the tender pauses until the owner answers, within 3 days
    (招标投标法实施条例 第22条). Any market entity may be a potential bidder, so registration is never checked here:
    the answer must not tell who registered or how many (招标投标法 第22条); an objector that will not bid states
    its ``interest``, which is recorded."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    lifecycle.require(db, tender, Step.OBJECT_TO_DOCUMENTS, now)
    chosen = procedure(tender.procedure)
    calendar = working_day_calendar(db)
    if actor.entity_id is None:
        raise InvalidInput(field="entity_id", reason_zh="须以市场主体身份提出", reason_en="raised by a market entity")
    rules.check_objection_in_time(
        calendar, raised_at=now, bid_deadline=tender.bid_deadline, procedure=chosen,
        knew_at=_documents_known_at(db, tender, actor.entity_id),
    )  # fmt: skip
    objection = DocumentObjection(
        tender_id=tender.id,
        entity_id=actor.entity_id,
        raised_by=actor.user_id,
        text=text,
        raised_at=now,
        answer_due=rules.objection_answer_due(calendar, received_at=now, procedure=chosen),
        interest=interest or None,
    )
    db.add(objection)
    db.flush()
    record_tender_event(
        db,
        actor,
        tender,
        project,
        "tender.objection_raised",
        {
            "objection_id": objection.public_id,
            "answer_due": objection.answer_due.isoformat(),
            "interest_stated": objection.interest is not None,
        },
        now,
    )
    return objection


def _documents_known_at(db: Session, tender: Tender, entity_id: int) -> datetime:
    """政府采购法实施条例 第53条 (一): a supplier knows the documents when it receives them (its registration), or
    at the latest when their notice period ends."""
    received = db.scalar(
        select(Registration.registered_at).where(
            Registration.tender_id == tender.id, Registration.entity_id == entity_id
        )
    )
    return received if received is not None else tender.documents_until


def objections_by(db: Session, *, tender_id: int, entity_id: int) -> list[DocumentObjection]:
    """An entity's own objections to a tender's documents, oldest first (for its complaint, 实施条例 第60条)."""
    query = select(DocumentObjection).where(
        DocumentObjection.tender_id == tender_id, DocumentObjection.entity_id == entity_id
    )
    return list(db.scalars(query.order_by(DocumentObjection.id)))


@changes_state("tender.objection_answered")
def answer_objection(
    db: Session, actor: Principal, *, objection_id: str, answer: str, now: datetime
) -> DocumentObjection:
    """The owner or its agent answers an objection to the documents, named by its public id; an answer after its
    3 days (实施条例 第22条) is given all the same, and the missed period recorded as a violation (decision 0021)."""
    objection = db.scalar(select(DocumentObjection).where(DocumentObjection.public_id == objection_id))
    if objection is None:
        raise NotFound(field="objection_id", what_zh="异议", what_en="Objection")
    tender = get_tender(db, objection.tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    if objection.answered_at is not None:
        raise Conflict(field="objection_id", reason_zh="该异议已答复", reason_en="the objection is already answered")
    objection.answer, objection.answered_at = answer, now
    db.flush()
    late_answer = rules.answer_missed(
        answer_due=objection.answer_due, answered_at=now, procedure=procedure(tender.procedure)
    )
    event = record_tender_event(
        db,
        actor,
        tender,
        project,
        "tender.objection_answered",
        {"objection_id": objection.public_id, "late": late_answer is not None, **violation_entry(late_answer)},
        now,
    )
    record_missed(db, late_answer, subject_type="tender", subject_id=tender.id, event=event)
    return objection


# 招标投标法实施条例 第31条: the tenderer terminates; 政府采购法 第36条 (四): the procurement task cancelled (废标);
# a rights trade's deposit round (decision 0051): 拍卖法 第29条, the principal withdraws the lot before the auction
# starts (while its auction is published and not closed the auctions domain's halt refuses the termination; after the
# close, the centre's rule).
_TERMINATION_ARTICLE = {
    "tendering_law": "招标投标法实施条例 第三十一条",
    "procurement_law": "政府采购法 第三十六条",
    "rights_trading": "拍卖法 第二十九条；交易中心规则",
}


@changes_state("tender.cancelled")
def cancel_tender(db: Session, actor: Principal, *, tender_id: int, reason: str, now: datetime) -> Tender:
    """招标投标法实施条例 第31条: the tenderer terminates the tender at any stage before the contract, announces it
    with its reason, and returns the document fees and the bid deposits with their interest. What the round held is
    recorded on the event (``refunds_due``) for the money domain to carry out; the lot may then start a new
    round."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    stage = lifecycle.require(db, tender, Step.TERMINATE, now)
    lifecycle.move(db, tender, Step.TERMINATE)
    tender.cancelled_at, tender.cancel_reason = now, reason
    db.flush()
    payload = {
        "reason": reason,
        "stage": stage.value,
        "article": _TERMINATION_ARTICLE[procedure(tender.procedure).law.key],
        "refunds_due": stage != Stage.DRAFT,  # documents issued or deposits taken: 第31条 refunds them
    }
    record_tender_event(db, actor, tender, project, "tender.cancelled", payload, now)
    return tender


# Why a round fails after its bids were opened, with the article that says so.
FAILURE_GROUNDS = {
    "too_few_valid_bids": ("有效投标不足，缺乏竞争", "too few valid bids left for competition"),
    "all_bids_rejected": ("所有投标被否决", "every bid was rejected"),
    "re_tender_ordered": ("投诉处理决定责令重新招标", "a complaint's decision ordered a re-tender"),
}


@changes_state("tender.failed")
def fail_round(
    db: Session,
    actor: Principal,
    *,
    tender: Tender,
    ground: str,
    article: str,
    details: dict[str, Any],
    now: datetime,
    step: Step = Step.FAIL,
) -> Tender:
    """The round fails (流标/废标) after its evaluation: every bid rejected (招标投标法 第42条: re-tender), or fewer
    valid bids than the procedure's competition needs (政府采购法 第36条, 第37条); or, by ``Step.RE_TENDER`` from any
    running stage, because a complaint's decision ordered a re-tender (招标投标法实施条例 第81条). Part of the call
    that found it (the report's finalisation, the decision), which has already checked the actor; the lot may start
    a new round."""
    project, _ = project_of(db, tender)
    lifecycle.require(db, tender, step, now, halts=False)
    lifecycle.move(db, tender, step)
    zh, en = FAILURE_GROUNDS[ground]
    payload = {"ground": ground, "ground_zh": zh, "ground_en": en, "article": article, **details}
    record_tender_event(db, actor, tender, project, "tender.failed", payload, now)
    return tender


OPEN_LIST_LIMIT = 200


def open_for_registration(db: Session, *, entity_id: int, now: datetime, limit: int = OPEN_LIST_LIMIT) -> list[Tender]:
    """The tenders ``entity_id`` may still register for, newest first, filtered in SQL (a page of the newest notices
    filtered afterwards would hide an open tender behind newer closed ones): published, not cancelled, documents
    still on offer and the deadline not passed (the rule of ``stage_of`` and ``register_for_tender``); an invited
    tender only where the entity is invited (招标投标法 第17条: the invitations name who may bid); never a tender of a
    project the entity owns or runs as agent (实施条例 第34条, 第13条), nor one suspended by the supervisor (第62条).
    Bounded: the notice search finds the rest."""
    invited_here = select(Invitation.id).where(Invitation.tender_id == Tender.id, Invitation.entity_id == entity_id)
    by_invitation = [key for key, value in PROCEDURES.items() if value.by_invitation]
    query = (
        select(Tender)
        .where(
            Tender.published_at.is_not(None),
            Tender.cancelled_at.is_(None),
            Tender.stage == Stage.PUBLISHED.value,
            Tender.documents_until >= now,
            Tender.bid_deadline > now,
            Tender.procedure.not_in(by_invitation) | invited_here.exists(),
            Tender.lot_id.not_in(lot_ids_run_by(entity_id)),
            *(~halted for halted in lifecycle.halt_conditions(Step.REGISTER, Tender.id, now=now)),
        )
        .order_by(Tender.published_at.desc(), Tender.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


@changes_state("tender.registered", disclosed=False)
def register_for_tender(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> Registration:
    """A bidder registers and obtains the documents, free and online; nobody else learns of it before opening."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    lifecycle.require(db, tender, Step.REGISTER, now)  # halts: 实施条例 第62条
    if now > tender.documents_until:
        raise TenderStageWrong(
            field="tender_id", stage="documents_closed", action_zh="获取招标文件", action_en="hand out documents"
        )
    invited = set(db.scalars(select(Invitation.entity_id).where(Invitation.tender_id == tender.id)))
    check_bidder_may_register(actor, project, invited=invited if procedure(tender.procedure).by_invitation else None)
    assert actor.entity_id is not None
    assert actor.user_id is not None
    existing = db.scalar(
        select(Registration).where(Registration.tender_id == tender.id, Registration.entity_id == actor.entity_id)
    )
    if existing is not None:
        raise Conflict(field="tender_id", reason_zh="本单位已报名", reason_en="your entity has already registered")
    screening.screen_entity(
        db,
        actor,
        checkpoint=Checkpoint.TENDER_REGISTRATION,
        entity_id=actor.entity_id,
        law=procedure(tender.procedure).law.key,
        subject_type="tender",
        subject_id=tender.id,
        now=now,
    )  # 信用拦截 (decision 0040)
    registration = Registration(
        tender_id=tender.id, entity_id=actor.entity_id, user_id=actor.user_id, registered_at=now
    )
    db.add(registration)
    db.flush()
    record_tender_event(db, actor, tender, project, "tender.registered", {"entity_id": actor.entity_id}, now)
    return registration


def my_registrations(db: Session, actor: Principal) -> list[tuple[Registration, Tender]]:
    """A bidder's own registrations — the only view of registrations before opening."""
    if actor.entity_id is None:
        return []
    rows = db.execute(
        select(Registration, Tender)
        .join(Tender, Tender.id == Registration.tender_id)
        .where(Registration.entity_id == actor.entity_id)
        .order_by(Registration.id.desc())
    )
    return [(registration, tender) for registration, tender in rows]


def public_tenders(db: Session, *, limit: int, offset: int) -> list[Tender]:
    """Published tenders (notices), newest first; never with anything about their bidders."""
    query = (
        select(Tender).where(Tender.published_at.is_not(None)).order_by(Tender.published_at.desc(), Tender.id.desc())
    )
    return list(db.scalars(query.limit(limit).offset(offset)))


def clarifications_of(db: Session, tender_id: int) -> list[Clarification]:
    return list(
        db.scalars(select(Clarification).where(Clarification.tender_id == tender_id).order_by(Clarification.id))
    )


# --- for the domains above: the tender row lock, and the reads that join projects (the rest: tendering/read.py) ---


def lock_tender(db: Session, tender_id: int) -> None:
    """Lock the tender's row until the transaction ends (PostgreSQL ``SELECT … FOR UPDATE``; SQLite's writer already
    holds the database's write lock): a second writer that locks it too waits for this one's commit."""
    db.execute(select(Tender.id).where(Tender.id == tender_id).with_for_update())


def published_tenders_of_centres(
    db: Session, *, centre_ids: set[int], stages: set[Stage], limit: int
) -> list[tuple[Tender, Project]]:
    """The published tenders of projects of these centres in one of these stages, newest bid deadline first."""
    if not centre_ids:
        return []
    tenders = db.scalars(
        select(Tender)
        .where(
            Tender.lot_id.in_(lot_ids_of_centres(centre_ids)),
            Tender.published_at.is_not(None),
            Tender.stage.in_([stage.value for stage in stages]),
        )
        .order_by(Tender.bid_deadline.desc(), Tender.id.desc())
        .limit(limit)
    ).all()
    return _with_projects(db, tenders)


def published_tenders_closing(
    db: Session, *, centre_ids: set[int], start: datetime, end: datetime
) -> list[tuple[Tender, Project]]:
    """The published tenders of projects of these centres whose bid deadline (the opening) falls in [start, end)."""
    if not centre_ids:
        return []
    tenders = db.scalars(
        select(Tender)
        .where(
            Tender.lot_id.in_(lot_ids_of_centres(centre_ids)),
            Tender.published_at.is_not(None),
            Tender.bid_deadline >= start,
            Tender.bid_deadline < end,
        )
        .order_by(Tender.bid_deadline, Tender.id)
    ).all()
    return _with_projects(db, tenders)


def published_tenders_of_projects_closing(
    db: Session, *, project_ids: Select[tuple[int]], start: datetime, end: datetime
) -> list[tuple[Tender, Project]]:
    """The published rounds of these projects whose bid deadline (the opening) falls in [start, end), in deadline
    order (another domain's filter of projects, e.g. a supervisor's region, never its reading of the tables)."""
    tenders = db.scalars(
        select(Tender)
        .where(
            Tender.lot_id.in_(lot_ids_of_projects(project_ids)),
            Tender.published_at.is_not(None),
            Tender.bid_deadline >= start,
            Tender.bid_deadline < end,
        )
        .order_by(Tender.bid_deadline, Tender.id)
    ).all()
    return _with_projects(db, tenders)


def _with_projects(db: Session, tenders: Sequence[Tender]) -> list[tuple[Tender, Project]]:
    """Each tender with its project, in the tenders' order (one query for the projects of all of them)."""
    lots = lots_with_projects(db, {tender.lot_id for tender in tenders})
    return [(tender, lots[tender.lot_id][1]) for tender in tenders]


def tender_subject_ids_of_projects(project_ids: Select[tuple[int]]) -> Select[str]:
    """The ids of the rounds of the given projects, as text, the way events and violations name their subject."""
    return select(cast(Tender.id, String)).where(Tender.lot_id.in_(lot_ids_of_projects(project_ids)))


def rounds_with_projects(db: Session, tender_ids: list[int]) -> dict[int, tuple[Tender, Lot, Project]]:
    """Rounds with their lot and project, by tender id (for another domain's lists)."""
    if not tender_ids:
        return {}
    tenders = db.scalars(select(Tender).where(Tender.id.in_(tender_ids))).all()
    lots = lots_with_projects(db, {tender.lot_id for tender in tenders})
    return {tender.id: (tender, *lots[tender.lot_id]) for tender in tenders}
