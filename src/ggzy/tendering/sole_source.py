"""The sole supplier's publicity of a single-source procurement, in public and open to objection.

政府采购法实施条例 第38条: the purchaser publicises the procurement and the name of its sole supplier for at least
5 working days (``service.publicise_sole_supplier``). A publicity nobody can see or answer would be a formality: it
is listed on the public portal (:func:`publicities`), and during its days any supplier may object (异议,
:func:`raise_objection`), which the purchaser answers (:func:`answer_objection`) before the procurement is published
(``service.publish_tender`` refuses while an objection waits). Article 38 says no more than the publicity and its
length; what an answer must contain, and what follows a well-founded objection, no law text the project holds says,
so the answer is recorded and published and the purchaser decides whether to go on (decision 0022).

Who objected stays with the purchaser and the supervisors (the raising event is undisclosed, as a complaint's
lodging is): an objector is a potential supplier. The objection's text and its answer are public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import changes_state
from ggzy.core.permissions import Principal
from ggzy.entities.service import get_entity
from ggzy.projects.service import lots_with_projects
from ggzy.tendering import lifecycle, rules
from ggzy.tendering.access import check_manager
from ggzy.tendering.models import Invitation, SoleSupplierObjection, Tender
from ggzy.tendering.procedures import PROCEDURES, needed, procedure
from ggzy.tendering.service import get_tender, project_of, record_tender_event
from ggzy.tendering.stages import Stage, Step


class SoleSupplierObjectionOutOfTime(DomainError):
    code = "sole_supplier_objection_out_of_time"
    status = 409
    message_zh = "对唯一供应商公示的异议应当在公示期内提出（公示期不得少于 {days} {unit_zh}，{article}）；{state_zh}"
    message_en = (
        "An objection to the sole supplier's publicity is raised during the publicity (at least {days} {unit_en}, "
        "{article}); {state_en}"
    )


def _last_day(db: Session, tender: Tender) -> date:
    period = needed(procedure(tender.procedure).periods.sole_supplier_publicity)
    assert tender.sole_supplier_publicised_at is not None
    return period.last_day(working_day_calendar(db), rules.china_date(tender.sole_supplier_publicised_at))


@changes_state("tender.sole_supplier_objection_raised", disclosed=False)
def raise_objection(
    db: Session, actor: Principal, *, tender_id: int, text: str, now: datetime
) -> SoleSupplierObjection:
    """A supplier objects to the sole supplier's publicity, during its days (政府采购法实施条例 第38条)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    lifecycle.require(db, tender, Step.OBJECT_TO_SOLE_SUPPLIER, now)
    period = needed(procedure(tender.procedure).periods.sole_supplier_publicity)
    if tender.sole_supplier_publicised_at is None:
        raise SoleSupplierObjectionOutOfTime(
            field="tender_id", state_zh="尚未公示", state_en="nothing is publicised yet", **period.words()
        )
    last_day = _last_day(db, tender)
    if rules.china_date(now) > last_day:
        raise SoleSupplierObjectionOutOfTime(
            field="tender_id", state_zh=f"公示期已于 {last_day} 届满", state_en=f"it ended on {last_day}",
            **period.words(),
        )  # fmt: skip
    if actor.entity_id is None or actor.user_id is None:
        raise InvalidInput(field="tender_id", reason_zh="须以供应商身份提出", reason_en="raised by a supplier")
    if actor.entity_id in {project.owner_id, project.agent_id}:
        raise InvalidInput(
            field="tender_id", reason_zh="采购人及其代理机构不能对本公示提出异议",
            reason_en="the purchaser and its agent cannot object to their own publicity",
        )  # fmt: skip
    if db.scalar(
        select(Invitation.id).where(Invitation.tender_id == tender.id, Invitation.entity_id == actor.entity_id)
    ):
        raise InvalidInput(
            field="tender_id", reason_zh="被公示的唯一供应商不能对本公示提出异议",
            reason_en="the sole supplier publicised cannot object to its own publicity",
        )  # fmt: skip
    pending = select(SoleSupplierObjection.id).where(
        SoleSupplierObjection.tender_id == tender.id,
        SoleSupplierObjection.entity_id == actor.entity_id,
        SoleSupplierObjection.answered_at.is_(None),
    )
    if db.scalar(pending.limit(1)) is not None:  # one at a time: each holds the publication until it is answered
        raise Conflict(
            field="tender_id", reason_zh="贵单位的异议尚待答复，答复后可再提出",
            reason_en="your objection awaits its answer; you may object again once it is answered",
        )  # fmt: skip
    if len(text.strip()) < 2:
        raise InvalidInput(field="text", reason_zh="须写明异议内容", reason_en="write the objection")
    objection = SoleSupplierObjection(
        tender_id=tender.id, entity_id=actor.entity_id, raised_by=actor.user_id, text=text, raised_at=now
    )
    db.add(objection)
    db.flush()
    record_tender_event(
        db, actor, tender, project, "tender.sole_supplier_objection_raised",
        {"objection_id": objection.public_id, "entity_id": actor.entity_id, "text": text,
         "last_day": last_day.isoformat(), "article": period.article},
        now,
    )  # fmt: skip
    return objection


@changes_state("tender.sole_supplier_objection_answered")
def answer_objection(
    db: Session, actor: Principal, *, objection_id: str, answer: str, now: datetime
) -> SoleSupplierObjection:
    """The purchaser (or its agent) answers an objection to the sole supplier's publicity, named by its public id;
    the answer is public, the objector is not named."""
    objection = db.scalar(select(SoleSupplierObjection).where(SoleSupplierObjection.public_id == objection_id))
    if objection is None:
        raise NotFound(field="objection_id", what_zh="对唯一供应商公示的异议", what_en="Objection")
    tender = get_tender(db, objection.tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    lifecycle.require(db, tender, Step.OBJECT_TO_SOLE_SUPPLIER, now)
    if objection.answered_at is not None:
        raise Conflict(field="objection_id", reason_zh="已答复", reason_en="already answered")
    if len(answer.strip()) < 2:
        raise InvalidInput(field="text", reason_zh="须写明答复内容", reason_en="write the answer")
    objection.answer, objection.answered_at, objection.answered_by = answer, now, actor.user_id
    db.flush()
    record_tender_event(
        db, actor, tender, project, "tender.sole_supplier_objection_answered",
        {"objection_id": objection.public_id, "objection": objection.text, "answer": answer},
        now,
    )  # fmt: skip
    return objection


def objections_of(db: Session, tender_id: int) -> list[SoleSupplierObjection]:
    """The objections to a tender's sole-supplier publicity, oldest first."""
    query = select(SoleSupplierObjection).where(SoleSupplierObjection.tender_id == tender_id)
    return list(db.scalars(query.order_by(SoleSupplierObjection.id)))


@dataclass(frozen=True)
class Publicity:
    """A sole supplier's publicity as the public sees it."""

    tender: Tender
    project_name: str
    project_code: str
    lot_name: str
    supplier_name: str
    supplier_credit_code: str
    last_day: date
    objections: list[SoleSupplierObjection]


_SOLE_SOURCE = sorted(key for key, chosen in PROCEDURES.items() if chosen.periods.sole_supplier_publicity is not None)
PUBLICITY_LIMIT = 50


def publicities(db: Session, *, limit: int = PUBLICITY_LIMIT) -> list[Publicity]:
    """The sole-supplier publicities, newest first, of rounds not terminated: the public portal's list."""
    tenders = list(
        db.scalars(
            select(Tender)
            .where(
                Tender.procedure.in_(_SOLE_SOURCE),
                Tender.sole_supplier_publicised_at.is_not(None),
                Tender.stage != Stage.CANCELLED.value,
            )
            .order_by(Tender.sole_supplier_publicised_at.desc(), Tender.id.desc())
            .limit(limit)
        )
    )
    if not tenders:
        return []
    places = lots_with_projects(db, [tender.lot_id for tender in tenders])
    suppliers = dict(
        db.execute(
            select(Invitation.tender_id, Invitation.entity_id).where(Invitation.tender_id.in_([t.id for t in tenders]))
        ).all()
    )
    shown = []
    for tender in tenders:
        lot, project = places[tender.lot_id]
        supplier = get_entity(db, suppliers[tender.id])
        shown.append(
            Publicity(
                tender=tender, project_name=project.name, project_code=project.code, lot_name=lot.name,
                supplier_name=supplier.name, supplier_credit_code=supplier.credit_code,
                last_day=_last_day(db, tender), objections=objections_of(db, tender.id),
            )
        )  # fmt: skip
    return shown
