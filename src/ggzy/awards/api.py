"""API of the award stage (定标): publicity of the candidates, objections, the award, the contract, and reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from ggzy.awards import challenges, rules, service, views
from ggzy.awards.access import NotYourLetter
from ggzy.awards.halts import ContractWaitsForChallenge
from ggzy.awards.models import PublicityObjection, ResultChallenge
from ggzy.awards.schemas import (
    AnswerIn,
    AwardIn,
    AwardStageOut,
    ContractIn,
    LetterOut,
    ObjectionIn,
    ObjectionOut,
    ProcessChallengeIn,
    PublicityIn,
    RepublishIn,
    ResultChallengeIn,
    ResultChallengeOut,
)
from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.inputs import Id
from ggzy.core.money import yuan_to_fen
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.screening import Intercepted
from ggzy.core.web import DB, Now, Public
from ggzy.tendering.access import NotTheTenderer
from ggzy.tendering.lifecycle import StepNotInProcedure, TenderStageWrong, TenderSuspended

router = APIRouter(tags=["awards"], route_class=PermissionedRoute)

Manager = Annotated[Principal, Depends(require(Permission.AWARD_MANAGE))]
Objector = Annotated[Principal, Depends(require(Permission.AWARD_OBJECT))]
Addressee = Annotated[Principal, Depends(require(Permission.AWARD_LETTERS_MINE))]
LetterReader = Annotated[Principal, Depends(require(Permission.AWARD_LETTER_READ))]


@router.post(
    "/tenders/{tender_id}/publicity",
    status_code=201,
    response_model=AwardStageOut,
    summary="Publicise the recommended candidates with their prices (中标候选人公示, 实施条例 第54条)",
    responses=problem_responses(
        NotFound, NotTheTenderer, TenderStageWrong, Conflict, rules.PublicityTooShort,
        TenderSuspended,
    ),
)  # fmt: skip
def publish_publicity(tender_id: Id, body: PublicityIn, db: DB, actor: Manager, now: Now) -> AwardStageOut:
    service.publish_publicity(db, actor, tender_id=tender_id, ends_at=body.ends_at, now=now)
    return views.award_stage_view(db, actor, tender_id=tender_id, now=now)


@router.post(
    "/tenders/{tender_id}/publicity/objections",
    status_code=201,
    response_model=ObjectionOut,
    summary="Object to the evaluation result during the publicity, as a bidder or another interested party stating "
    "its interest (实施条例 第54条); the award waits for the answer",
    responses=problem_responses(
        NotFound, TenderStageWrong, rules.ObjectionOutsidePublicity, service.NotABidder, rules.PublicityResultChanged
    ),
)
def raise_objection(tender_id: Id, body: ObjectionIn, db: DB, actor: Objector, now: Now) -> ObjectionOut:
    objection = service.raise_objection(db, actor, tender_id=tender_id, text=body.text, interest=body.interest, now=now)
    return views.objection_view(db, actor, objection)


@router.post(
    "/publicity-objections/{objection_id}/answer",
    response_model=ObjectionOut,
    summary="Answer an objection to the evaluation result (within 3 days of receipt, 实施条例 第54条); an answer "
    "that changes the result sends the candidates to a fresh publicity",
    responses=problem_responses(NotFound, NotTheTenderer, Conflict, TenderStageWrong, rules.PublicityStateWrong),
)
def answer_objection(objection_id: Id, body: AnswerIn, db: DB, actor: Manager, now: Now) -> ObjectionOut:
    objection: PublicityObjection = service.answer_objection(
        db, actor, objection_id=objection_id, answer=body.text, changes_result=body.changes_result, now=now
    )
    return views.objection_view(db, actor, objection)


@router.post(
    "/tenders/{tender_id}/publicity/republish",
    response_model=AwardStageOut,
    summary="Publicise the changed candidates again for at least 3 days after the result changed (实施条例 第54条)",
    responses=problem_responses(
        NotFound, NotTheTenderer, TenderStageWrong, InvalidInput, rules.PublicityStateWrong, rules.PublicityTooShort,
        service.AwardPaused, TenderSuspended,
    ),
)  # fmt: skip
def republish_publicity(tender_id: Id, body: RepublishIn, db: DB, actor: Manager, now: Now) -> AwardStageOut:
    service.republish_publicity(
        db, actor, tender_id=tender_id, recommended=body.recommended, basis=body.basis, ends_at=body.ends_at, now=now
    )
    return views.award_stage_view(db, actor, tender_id=tender_id, now=now)


@router.post(
    "/tenders/{tender_id}/award",
    status_code=201,
    response_model=AwardStageOut,
    summary="定标 (实施条例 第55条) after the publicity: the award notice and the signed letters (招标投标法 第45条)",
    responses=problem_responses(
        NotFound,
        NotTheTenderer,
        TenderStageWrong,
        rules.PublicityNotEnded,
        service.AwardPaused,
        rules.WinnerNotInOrder,
        rules.PublicityResultChanged,
        TenderSuspended,
        rules.DeterminationDateWrong,
        Intercepted,  # a winner under a credit restriction (decision 0040)
    ),
)
def award(tender_id: Id, body: AwardIn, request: Request, db: DB, actor: Manager, now: Now) -> AwardStageOut:
    service.award_tender(
        db,
        actor,
        tender_id=tender_id,
        bid_id=body.bid_id,
        passed_over=[rules.PassedOver(p.bid_id, p.ground, p.note) for p in body.passed_over],
        signers=request.app.state.ledger_keys.signers,
        now=now,
        determined_on=body.determined_on,
    )
    return views.award_stage_view(db, actor, tender_id=tender_id, now=now)


@router.post(
    "/tenders/{tender_id}/contract",
    status_code=201,
    response_model=AwardStageOut,
    summary="Record the signed contract, at the award price (招标投标法 第46条); after 30 days it is flagged late; "
    "under 政府采购法 it waits for every challenge of the result to be answered (实施条例 第54条) and recording it "
    "later than 2 working days after signing is recorded late (实施条例 第50条)",
    responses=problem_responses(
        NotFound, NotTheTenderer, TenderStageWrong, InvalidInput, rules.ContractAmountDeparts, TenderSuspended,
        ContractWaitsForChallenge,
    ),
)  # fmt: skip
def record_contract(tender_id: Id, body: ContractIn, db: DB, actor: Manager, now: Now) -> AwardStageOut:
    service.record_contract(
        db,
        actor,
        tender_id=tender_id,
        amount_fen=yuan_to_fen(body.amount, field="amount"),
        signed_on=body.signed_on,
        blob_sha256=body.blob_sha256,
        now=now,
    )
    return views.award_stage_view(db, actor, tender_id=tender_id, now=now)


@router.get(
    "/tenders/{tender_id}/award",
    response_model=AwardStageOut,
    summary="The award stage as anyone sees it: candidates and prices, then the winner, price and contract",
    responses=problem_responses(NotFound),
)
def get_award(tender_id: Id, db: DB, actor: Public, now: Now) -> AwardStageOut:
    return views.award_stage_view(db, actor, tender_id=tender_id, now=now)


@router.get(
    "/award-letters/mine",
    response_model=list[LetterOut],
    summary="The letters addressed to my entity: 中标通知书 or 中标结果通知 (招标投标法 第45条)",
)
def my_letters(db: DB, actor: Addressee) -> list[LetterOut]:
    return views.my_letters(db, actor)


@router.get(
    "/award-letters/{letter_id}",
    response_model=LetterOut,
    summary="One letter with its SHA-256 and signed note, for its addressee, the owner or its agent",
    responses=problem_responses(NotFound, NotYourLetter),
)
def get_letter(letter_id: Id, db: DB, actor: LetterReader) -> LetterOut:
    return views.letter_view(db, actor, letter_id=letter_id)


def _challenge_out(challenge: ResultChallenge) -> ResultChallengeOut:
    return ResultChallengeOut(
        id=challenge.id, tender_id=challenge.tender_id, raised_at=challenge.raised_at,
        challenge_due=challenge.challenge_due, answer_due=challenge.answer_due, answered_at=challenge.answered_at,
        answered_late=challenge.answered_late, text=challenge.text, answer=challenge.answer,
    )  # fmt: skip


@router.post(
    "/tenders/{tender_id}/result-challenges",
    status_code=201,
    response_model=ResultChallengeOut,
    summary="政府采购: challenge (质疑) the result in writing within 7 working days of its notice (政府采购法 第52条, "
    "实施条例 第53条); the contract waits for the answer (实施条例 第54条)",
    responses=problem_responses(
        NotFound, TenderStageWrong, StepNotInProcedure, rules.ResultChallengeTooLate, rules.NotASupplierOfTender,
    ),
)  # fmt: skip
def challenge_result(tender_id: Id, body: ResultChallengeIn, db: DB, actor: Objector, now: Now) -> ResultChallengeOut:
    return _challenge_out(challenges.challenge_result(db, actor, tender_id=tender_id, text=body.text, now=now))


@router.post(
    "/tenders/{tender_id}/process-challenges",
    status_code=201,
    response_model=ResultChallengeOut,
    summary="政府采购: challenge (质疑) the procurement process in writing within 7 working days of the end of "
    "the step challenged (政府采购法 第52条, 实施条例 第53条 (二)); the contract waits for its answer",
    responses=problem_responses(
        NotFound, TenderStageWrong, StepNotInProcedure, rules.ProcessChallengeTooLate, rules.NotASupplierOfTender,
        InvalidInput,
    ),
)  # fmt: skip
def challenge_process(tender_id: Id, body: ProcessChallengeIn, db: DB, actor: Objector, now: Now) -> ResultChallengeOut:
    challenge = challenges.challenge_process(
        db, actor, tender_id=tender_id, text=body.text, stage_ended_on=body.stage_ended_on, now=now
    )
    return _challenge_out(challenge)


@router.post(
    "/result-challenges/{challenge_id}/answer",
    response_model=ResultChallengeOut,
    summary="Answer a challenge of the result in writing within 7 working days of receipt (政府采购法 第53条); a late "
    "answer is recorded as a violation; the contract may follow once every challenge is answered",
    responses=problem_responses(NotFound, NotTheTenderer, Conflict),
)
def answer_result_challenge(
    challenge_id: Id, body: ResultChallengeIn, db: DB, actor: Manager, now: Now
) -> ResultChallengeOut:
    challenge = challenges.answer_result_challenge(db, actor, challenge_id=challenge_id, answer=body.text, now=now)
    return _challenge_out(challenge)
