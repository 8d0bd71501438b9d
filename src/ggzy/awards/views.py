"""What each reader sees of the award stage (row visibility in one place)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.awards import access, rules, service
from ggzy.awards.models import Award, AwardLetter, PublicityObjection
from ggzy.awards.schemas import (
    AwardedOut,
    AwardStageOut,
    CandidateOut,
    ContractOut,
    LetterOut,
    ObjectionOut,
    PublicityOut,
)
from ggzy.core.errors import NotFound
from ggzy.core.money import fen_to_yuan
from ggzy.core.permissions import Principal
from ggzy.projects.models import Project
from ggzy.tendering import lifecycle
from ggzy.tendering.lifecycle import stage_of


def _yuan(fen: int) -> str:
    return str(fen_to_yuan(fen))


def objection_out(objection: PublicityObjection, *, shown: bool) -> ObjectionOut:
    return ObjectionOut(
        id=objection.id,
        tender_id=objection.tender_id,
        raised_at=objection.raised_at,
        answer_due=objection.answer_due,
        answered_at=objection.answered_at,
        answered_late=objection.answered_late,
        text=objection.text if shown else None,
        answer=objection.answer if shown else None,
    )


def award_stage_view(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> AwardStageOut:
    tender, project = service.load(db, tender_id)
    if tender.published_at is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    publicity_out = award_out = contract_out = None
    publicity = service.find_publicity(db, tender.id)
    if publicity is not None:
        objections = service.objections_of(db, tender.id)
        publicity_out = PublicityOut(
            starts_at=publicity.starts_at,
            ends_at=publicity.ends_at,
            round=publicity.round,
            state=publicity.state,
            running=publicity.state == rules.PUBLICISED
            and rules.publicity_running(starts_at=publicity.starts_at, ends_at=publicity.ends_at, now=now),
            candidates=[
                CandidateOut(
                    rank=c["rank"],
                    bid_id=c["bid_id"],
                    entity_id=c["entity_id"],
                    name=c["name"],
                    price=_yuan(c["price_fen"]),
                )
                for c in service.candidates_of(publicity)
            ],
            objections_raised=len(objections),
            objections_pending=sum(1 for o in objections if o.answered_at is None),
            objections=[objection_out(o, shown=True) for o in objections]
            if access.is_manager(actor, project)
            else None,
        )
    award = service.find_award(db, tender.id)
    if award is not None:
        notice = json.loads(award.notice)
        award_out = AwardedOut(
            bid_id=award.bid_id, entity_id=award.entity_id, name=notice["winner"]["name"], rank=award.rank,
            price=_yuan(award.price_fen), passed_over=json.loads(award.passed_over), awarded_at=award.awarded_at,
            contract_due=award.contract_due, notice=notice, notice_sha256=award.notice_sha256,
        )  # fmt: skip
    contract = service.find_contract(db, tender.id)
    if contract is not None:
        contract_out = ContractOut(
            amount=_yuan(contract.amount_fen), signed_on=contract.signed_on, blob_sha256=contract.blob_sha256,
            late=contract.late, recorded_at=contract.recorded_at,
        )  # fmt: skip
    return AwardStageOut(
        tender_id=tender.id,
        stage=stage_of(tender, now).value,
        suspended="suspended" in lifecycle.halts_in_force(db, tender.id, now=now),
        publicity=publicity_out,
        award=award_out,
        contract=contract_out,
    )


def objection_view(db: Session, actor: Principal, objection: PublicityObjection) -> ObjectionOut:
    project = service.load(db, objection.tender_id)[1]
    return objection_out(objection, shown=access.reads_objection(actor, project, objection))


def letter_out(letter: AwardLetter, *, void_since: datetime | None = None) -> LetterOut:
    return LetterOut(
        id=letter.id,
        tender_id=letter.tender_id,
        entity_id=letter.entity_id,
        kind=letter.kind,
        issued_at=letter.issued_at,
        text=letter.text,
        sha256=letter.sha256,
        note=base64.b64encode(letter.note.encode()).decode(),
        void_since=void_since,
    )


def my_letters(db: Session, actor: Principal) -> list[LetterOut]:
    """The letters addressed to the bidder's own entity, newest first."""
    if actor.entity_id is None:
        return []
    query = (
        select(AwardLetter, Award.superseded_at)
        .join(Award, Award.id == AwardLetter.award_id)
        .where(AwardLetter.entity_id == actor.entity_id)
        .order_by(AwardLetter.id.desc())
    )
    return [letter_out(letter, void_since=void_since) for letter, void_since in db.execute(query)]


def letter_view(db: Session, actor: Principal, *, letter_id: int) -> LetterOut:
    letter = db.get(AwardLetter, letter_id)
    if letter is None:
        raise NotFound(field="letter_id", what_zh="通知书", what_en="Letter")
    project: Project = service.load(db, letter.tender_id)[1]
    access.check_letter_reader(actor, project, letter)
    return letter_out(letter, void_since=db.scalar(select(Award.superseded_at).where(Award.id == letter.award_id)))


def letters_of_tender(db: Session, actor: Principal, *, tender_id: int) -> list[LetterOut]:
    """The letters a tender's award sent (中标通知书 to the winner, 中标结果通知 to every other bidder, 招标投标法
    第45条), for its owner or agent: the award sends them, each signed, so the owner's page lists what went out."""
    _, project = service.load(db, tender_id)
    if not access.is_manager(actor, project):
        raise NotFound(field="tender_id", what_zh="通知书", what_en="Letters")
    query = (
        select(AwardLetter, Award.superseded_at)
        .join(Award, Award.id == AwardLetter.award_id)
        .where(AwardLetter.tender_id == tender_id)
        .order_by(AwardLetter.id)
    )
    return [letter_out(letter, void_since=void_since) for letter, void_since in db.execute(query)]


def objections_by_entity(db: Session, actor: Principal) -> list[ObjectionOut]:
    """The objections to results that the reader's own entity raised (for its "my objections" page), newest first."""
    if actor.entity_id is None:
        return []
    query = (
        select(PublicityObjection)
        .where(PublicityObjection.entity_id == actor.entity_id)
        .order_by(PublicityObjection.id.desc())
    )
    return [objection_out(objection, shown=True) for objection in db.scalars(query)]
