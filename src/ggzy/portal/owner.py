"""The owner's and agent's workspace (招标人 / 招标代理机构): register a project, prepare and publish a tender with its
documents, clarify, answer objections, follow the opening and evaluation, confirm the award.

Every change is the API's service (``ggzy.projects.service``, ``ggzy.tendering.service``, ``ggzy.awards.service``)
under the API's permissions; every read of a tender goes through ``check_manager`` (the project's owner or its
named agent). Before the opening these pages show nothing about registrations or bids, not even how many
(招标投标法 第22条): the opening and evaluation come from the same views the public and the API use.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import Field, ValidationError
from sqlalchemy.orm import Session

from ggzy.awards import challenges as award_challenges
from ggzy.awards import rules as award_rules
from ggzy.awards import service as awards
from ggzy.awards import views as award_views
from ggzy.awards.halts import ContractWaitsForChallenge
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Id, Name, Text, file_name
from ggzy.core.money import fen_to_yuan, yuan_to_fen
from ggzy.core.permissions import Permission, Principal, Role, require
from ggzy.core.problems import problem_responses
from ggzy.core.trade_types import ProcurementCategory, TradeType
from ggzy.core.web import DB, Now, accepts_body
from ggzy.entities.service import entity_names, find_entity_by_credit_code
from ggzy.evaluation import views as evaluation_views
from ggzy.finance import forfeiture as deposit_forfeiture
from ggzy.finance import views as deposit_views
from ggzy.portal import labels
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.money import money_links, requirement_percent
from ggzy.portal.money_labels import MONEY_LABELS
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_china_time, form_day, form_refused, see_other
from ggzy.projects import service as projects
from ggzy.projects.schemas import LotIn, ProjectIn
from ggzy.storage import MIB, BlobTooLarge, stage_blob
from ggzy.supervision import trail as oversight_trail
from ggzy.tendering import lifecycle, opening, rules, service, sole_source, summary_form
from ggzy.tendering.access import NotTheTenderer, check_manager
from ggzy.tendering.procedures import (
    PROCEDURES,
    TENDER_METHODS,
    TENDERING_LAW,
    Method,
    NoTenderProcedure,
    ProcedureNotForTradeType,
    ProcedureUnknown,
    procedure,
    procedures_for,
)
from ggzy.tendering.read import document_objections_of, tenders_of_lots
from ggzy.tendering.schemas import ObjectionPath, SoleSupplierObjectionPath
from ggzy.tendering.stages import Stage, Step
from ggzy.venues import service as venues

if TYPE_CHECKING:  # the rounds the tendering read models hand over; their table is never read here
    from ggzy.tendering.models import Tender

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Manager = Annotated[Principal, Depends(require(Permission.TENDER_MANAGE))]
Registrant = Annotated[Principal, Depends(require(Permission.PROJECT_REGISTER))]
AwardManager = Annotated[Principal, Depends(require(Permission.AWARD_MANAGE))]

_MANAGE_PROBLEMS = (NotTheTenderer, NotFound, lifecycle.TenderStageWrong)


def _projects_context(db: Session, actor: Principal, now: datetime) -> dict[str, Any]:
    rows, _ = projects.list_projects(db, actor, limit=50)
    lots = projects.lots_of(db, [project.id for project in rows])
    tenders = tenders_of_lots(db, [lot.id for project_lots in lots.values() for lot in project_lots])
    centres = sorted({grant.centre_id for grant in actor.grants if grant.centre_id is not None})
    return {
        "active": "workspace",
        "section": "projects",
        # the procedures the law of each project's trade type allows (DESIGN §5: the trade type picks the law)
        "projects": [
            {
                "project": project,
                "lots": lots[project.id],
                # under 政府采购, what is procured picks the law of a tendering procedure (实施条例 第7条)
                "procedures": procedures_for(
                    TradeType(project.trade_type),
                    ProcurementCategory(project.procurement_category) if project.procurement_category else None,
                ),
            }
            for project in rows
        ],
        "tenders": tenders,
        "rounds": {tender.id: _round_row(tender, now) for lot_tenders in tenders.values() for tender in lot_tenders},
        "centres": centres,
        "trade_types": list(TradeType),
        "procurement_categories": list(ProcurementCategory),
        "procedures": list(PROCEDURES.values()),
        "methods": list(TENDER_METHODS),
        "as_agent": Role.AGENT in actor.roles,
        # the opening summary's items a draft declares (开标一览表): the price always, others as the documents say
        "summary_price": summary_form.PRICE_FIELD,
        "summary_kinds": summary_form.KIND_LABELS,
        "summary_common": summary_form.COMMON_ITEMS,
        "summary_rows": 3,
    }


def _round_row(tender: Tender, now: datetime) -> dict[str, Any]:
    """A round as the lists show it: its procedure, its stage, and what comes next, with the deadline it has."""
    stage = lifecycle.stage_of(tender, now)
    steps = [found.step.value for found in lifecycle.next_steps(tender, now) if found.step.value in labels.NEXT_STEPS]
    deadline = tender.bid_deadline if stage == Stage.PUBLISHED else None
    return {"procedure": procedure(tender.procedure), "stage": stage.value, "next": steps, "deadline": deadline}


@router.get("/workspace/projects", summary="Owner and agent workspace: own projects, their lots and tenders")
def projects_home(request: Request, db: DB, actor: Manager, now: Now) -> HTMLResponse:
    return render(request, "ws_projects.html", _projects_context(db, actor, now))


def _entity_by_code(db: Session, credit_code: str, field: str) -> int:
    entity = find_entity_by_credit_code(db, credit_code.strip().upper())
    if entity is None:
        raise NotFound(field=field, what_zh="该统一社会信用代码的市场主体", what_en="The entity of this credit code")
    return entity.id


@router.post(
    "/workspace/projects",
    summary="Register a project with one lot (进场登记), by its owner or its agent",
    responses=problem_responses(NotFound, InvalidInput, Conflict),
)
def register_project(
    request: Request,
    actor: Registrant,
    _: CsrfChecked,
    db: DB,
    now: Now,
    centre_id: Annotated[Id, Form()],
    name: Annotated[Name, Form(max_length=300)],
    trade_type: Annotated[Name, Form(max_length=40)],
    region_code: Annotated[Name, Form(max_length=6)],
    lot_name: Annotated[Name, Form(max_length=300)],
    budget: Annotated[Name, Form(max_length=20)],
    other_credit_code: Annotated[Name, Form(max_length=18)] = "",
    ceiling_price: Annotated[Name, Form(max_length=20)] = "",
    procurement_category: Annotated[Name, Form(max_length=20)] = "",
) -> Response:
    """The logged-in entity is the agent (if it holds that role) or the owner; the other party by its credit code."""
    try:
        assert actor.entity_id is not None
        other = _entity_by_code(db, other_credit_code, "other_credit_code") if other_credit_code.strip() else None
        as_agent = Role.AGENT in actor.roles
        if as_agent and other is None:
            raise InvalidInput(
                field="other_credit_code", reason_zh="代理机构须填写招标人的代码", reason_en="an agent names the owner"
            )
        data = _project_in(
            centre_id=centre_id,
            name=name,
            trade_type=trade_type,
            procurement_category=procurement_category,
            region_code=region_code,
            owner_id=other if as_agent and other is not None else actor.entity_id,
            agent_id=actor.entity_id if as_agent else other,
            lot=(lot_name, budget, ceiling_price),
        )
        projects.register_project(db, actor, data=data, now=now)
    except DomainError as error:
        return form_refused(request, db, "ws_projects.html", lambda: _projects_context(db, actor, now), error)
    return see_other("/workspace/projects", done=PROJECT_REGISTERED)


def _project_in(
    *,
    centre_id: int,
    name: str,
    trade_type: str,
    region_code: str,
    owner_id: int,
    agent_id: int | None,
    lot: tuple[str, str, str],
    procurement_category: str = "",
) -> ProjectIn:
    """The API's own input model, so that a page registers exactly what the API would accept."""
    lot_name, budget, ceiling = lot
    try:
        return ProjectIn(
            centre_id=centre_id,
            name=name.strip(),
            trade_type=TradeType(trade_type),
            procurement_category=ProcurementCategory(procurement_category) if procurement_category.strip() else None,
            region_code=region_code.strip(),
            owner_id=owner_id,
            agent_id=agent_id,
            lots=[LotIn(name=lot_name.strip(), budget=budget.strip(), ceiling_price=ceiling.strip() or None)],
        )
    except (ValidationError, ValueError) as error:
        field = "trade_type"
        if isinstance(error, ValidationError) and error.errors():
            field = ".".join(str(part) for part in error.errors()[0]["loc"])
        raise InvalidInput(field=field, reason_zh="内容不符合要求", reason_en=str(error).splitlines()[0]) from None


SummaryText = Annotated[Name, Field(max_length=80)]
_SUMMARY_ROWS = summary_form.MAX_FIELDS - 1


def _summary_fields(
    labels_zh: list[str], labels_en: list[str], kinds: list[str], required: list[str]
) -> list[summary_form.SummaryField]:
    """The rows of the form's 开标一览表 table that name an item (a blank label is an unused row)."""
    fields = []
    for index, label in enumerate(labels_zh):
        if not label.strip():
            continue
        kind = kinds[index] if index < len(kinds) else ""
        if kind not in set(summary_form.FieldKind):
            raise InvalidInput(field="summary_kind", reason_zh="不是已知的类型", reason_en="is not a known kind")
        fields.append(
            summary_form.field_from_label(
                label,
                label_en=labels_en[index] if index < len(labels_en) else "",
                kind=summary_form.FieldKind(kind),
                required=(required[index] if index < len(required) else "yes") == "yes",
            )
        )
    return fields


def _deposit_percent(value: str) -> Decimal:
    """A percentage typed on the form (``2``, ``1.5``): more than zero, at most two decimal places."""
    try:
        percent = Decimal(value.strip().rstrip("%％"))
    except InvalidOperation:
        percent = Decimal("NaN")
    if not percent.is_finite() or percent <= 0 or percent > 100 or percent != percent.quantize(Decimal("0.01")):
        raise InvalidInput(
            field="deposit_percent", reason_zh="应为大于零的百分比，最多两位小数",
            reason_en="must be a percentage above zero, at most two decimal places",
        )  # fmt: skip
    return percent


def _whole_days(value: str, field: str) -> int:
    if not value.strip().isascii() or not value.strip().isdigit():
        raise InvalidInput(field=field, reason_zh="应为整数日", reason_en="must be a whole number of days")
    return int(value.strip())


@router.post(
    "/workspace/projects/lots/{lot_id}/tenders",
    summary="Prepare a tender (draft) for a lot of an accepted project",
    responses=problem_responses(
        *_MANAGE_PROBLEMS,
        InvalidInput,
        Conflict,
        ProcedureUnknown,
        ProcedureNotForTradeType,
        NoTenderProcedure,
        service.RoundRunning,
        service.NotEnoughInvitations,
        rules.DepositAboveCap,
        rules.DepositWithoutBidValidity,
    ),
)
def create_tender(
    lot_id: Id,
    request: Request,
    actor: Manager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    title: Annotated[Name, Form(max_length=300)],
    notice_text: Annotated[Text, Form(max_length=20000)],
    procedure: Annotated[Name, Form(max_length=40)],
    method: Annotated[Name, Form(max_length=40)],
    documents_until: Annotated[Name, Form(max_length=40)],
    bid_deadline: Annotated[Name, Form(max_length=40)],
    invited_codes: Annotated[Text, Form(max_length=2000)] = "",
    summary_label: Annotated[list[SummaryText], Form(max_length=_SUMMARY_ROWS)] = [],  # noqa: B006 - FastAPI's form
    summary_label_en: Annotated[list[SummaryText], Form(max_length=_SUMMARY_ROWS)] = [],  # noqa: B006
    summary_kind: Annotated[list[SummaryText], Form(max_length=_SUMMARY_ROWS)] = [],  # noqa: B006
    summary_required: Annotated[list[SummaryText], Form(max_length=_SUMMARY_ROWS)] = [],  # noqa: B006
    deposit_amount: Annotated[Name, Form(max_length=40)] = "",
    deposit_percent: Annotated[Name, Form(max_length=10)] = "",
    bid_validity_days: Annotated[Name, Form(max_length=10)] = "",
) -> Response:
    try:
        declared = _summary_fields(summary_label, summary_label_en, summary_kind, summary_required)
        deposit_fen = yuan_to_fen(deposit_amount, field="deposit_amount") if deposit_amount.strip() else None
        percent = _deposit_percent(deposit_percent) if deposit_percent.strip() else None
        validity = _whole_days(bid_validity_days, "bid_validity_days") if bid_validity_days.strip() else None
        invited = [
            _entity_by_code(db, code.strip(), "invited_codes")
            for code in invited_codes.replace("，", ",").replace("\n", ",").split(",")
            if code.strip()
        ]
        if method not in set(Method):
            raise InvalidInput(field="method", reason_zh="不是已知的评标办法", reason_en="is not a known method")
        tender = service.create_tender(
            db,
            actor,
            lot_id=lot_id,
            procedure_key=procedure,
            method=Method(method),
            title=title.strip(),
            notice_text=notice_text.strip(),
            documents_until=form_china_time(documents_until, "documents_until"),
            bid_deadline=form_china_time(bid_deadline, "bid_deadline"),
            invited_entity_ids=invited,
            now=now,
            summary_fields=declared,
            deposit_fen=deposit_fen,
            deposit_percent=percent,
            bid_validity_days=validity,
        )
    except DomainError as error:
        return form_refused(request, db, "ws_projects.html", lambda: _projects_context(db, actor, now), error)
    return see_other(f"/workspace/projects/tenders/{tender.id}", done=TENDER_DRAFTED)


def _tender_context(db: Session, actor: Principal, tender_id: int, now: datetime) -> dict[str, Any]:
    tender = service.get_tender(db, tender_id)
    project, lot = service.project_of(db, tender)
    check_manager(actor, project)
    stage = lifecycle.stage_of(tender, now)
    published = tender.published_at is not None
    evaluation = evaluation_views.evaluation_view(db, actor, tender_id=tender.id, now=now) if published else None
    award_stage = award_views.award_stage_view(db, actor, tender_id=tender.id, now=now) if published else None
    return {
        "active": "workspace",
        "section": "projects",
        "tender": tender,
        "project": project,
        "lot": lot,
        "stage": stage.value,
        "is_draft": stage == Stage.DRAFT,
        # who of the supervision and discipline inspection read the round's full trail (decision 0043)
        "looks": oversight_trail.looks_at(db, tender.id),
        "roles": labels.ROLES,
        "round": _round_row(tender, now),
        "may_terminate": lifecycle.procedure_has_step_now(tender, lifecycle.Step.TERMINATE, now),
        "sole_supplier": procedure(tender.procedure).has(lifecycle.Step.PUBLICISE_SOLE_SUPPLIER),
        "sole_supplier_objections": sole_source.objections_of(db, tender.id),
        "clarifications": service.clarifications_of(db, tender.id) if published else [],
        "objections": document_objections_of(db, tender.id),
        # the opening, evaluation and award as their own views show them to this reader: nothing before opening
        "opening": opening.opening_view(db, tender, now, insider=True) if published else {},
        "evaluation": evaluation,
        "award_stage": award_stage,
        **_award_context(db, actor, tender, award_stage, evaluation, now),
        # the rooms the centre booked for it (read only; the evaluation room is for the owner's and agent's eyes)
        "room_bookings": venues.bookings_of_tender(db, actor, tender_id=tender.id, include_cancelled=False),
        "venue_kinds": labels.VENUE_KINDS,
        "booking_purposes": labels.BOOKING_PURPOSES,
        "summary_fields": service.summary_fields_of(tender),
        "summary_kinds": summary_form.KIND_LABELS,
        # each bid's deposit, its refund and any forfeiture: None before the opening (finance.access decides)
        "deposit_lines": deposit_views.deposit_lines(db, actor, tender_id=tender.id, now=now) if published else None,
        "may_forfeit": procedure(tender.procedure).law == TENDERING_LAW,
        "money": MONEY_LABELS,
        "money_links": money_links(db, tender.id),  # fee notice, performance security (decision 0037)
        "performance_percent": requirement_percent(db, tender.id),
    }


def _award_context(
    db: Session, actor: Principal, tender: Tender, award_stage: Any, evaluation: Any, now: datetime
) -> dict[str, Any]:
    """What the steps after the evaluation show: the report's bidders by name, the candidates the award may go to,
    the letters the award sent, the challenges (政府采购 质疑) to answer, and which forms the stage allows."""
    report = evaluation.report if evaluation is not None else None
    named = [line["entity_id"] for line in (report or {}).get("ranking", [])]
    named += [line["entity_id"] for key in ("rejected", "failed_qualification", "without_final_quotation")
              for line in (report or {}).get(key, [])]  # fmt: skip
    chosen = procedure(tender.procedure)
    publicity = award_stage.publicity if award_stage is not None else None
    award = award_stage.award if award_stage is not None else None
    candidates: list[dict[str, Any]] = []
    if publicity is not None:
        candidates = [c.model_dump() for c in publicity.candidates]
    elif report is not None and not chosen.has(Step.PUBLICISE) and award is None:
        # 政府采购法实施条例 第43条: the purchaser determines the supplier among the report's candidates, in order
        candidates = [c | {"price": str(fen_to_yuan(c["price_fen"]))} for c in awards.report_candidates(db, tender.id)]
    letters = award_views.letters_of_tender(db, actor, tender_id=tender.id) if award is not None else []
    challenges = award_challenges.challenges_of(db, tender.id) if chosen.has(Step.CHALLENGE_RESULT) else []
    named += [letter.entity_id for letter in letters] + [challenge.entity_id for challenge in challenges]
    names = entity_names(db, named) if named else {}
    return {
        "names": names,
        "candidate_names": {  # the bidders of the report's ranking by bid, for the candidates an award passed over
            line["bid_id"]: names.get(line["entity_id"], "—") for line in (report or {}).get("ranking", [])
        },
        "may_republish": publicity is not None and publicity.state == award_rules.RESULT_CHANGED,
        "may_publicise": report is not None and lifecycle.procedure_has_step_now(tender, Step.PUBLICISE, now),
        "may_award": lifecycle.procedure_has_step_now(tender, Step.AWARD, now) and bool(candidates),
        "award_candidates": candidates,
        "pass_over_grounds": {
            key: labels.PASS_OVER_GROUNDS.get(key, zh) for key, (zh, _en) in award_rules.PASS_OVER_GROUNDS.items()
        },
        "may_record_contract": award is not None and lifecycle.procedure_has_step_now(tender, Step.CONTRACT, now),
        "letters": letters,
        "challenges": challenges,
    }


PROJECT_REGISTERED = outcome("project_registered", N_("项目登记已提交，交易中心受理后可以编制招标。"))
TENDER_DRAFTED = outcome("tender_drafted", N_("招标草稿已保存。上传招标文件后即可发布招标公告。"))
TENDER_DOCUMENTS_UPLOADED = outcome("tender_documents_uploaded", N_("招标文件已上传。"))
TENDER_PUBLISHED = outcome("tender_published", N_("招标公告已发布，投标人即可报名并获取招标文件。"))
PUBLICITY_PUBLISHED = outcome(
    "publicity_published",
    N_("中标候选人已公示。公示期内投标人和其他利害关系人可以提出异议；公示期满、异议均已答复后方可定标。"),
)
RESULT_OBJECTION_ANSWERED = outcome("result_objection_answered", N_("异议已答复，答复已送达异议人。"))
AWARDED = outcome("awarded", N_("已定标：中标通知书已发给中标人，中标结果通知书已发给其他投标人，均已签名。"))
REPUBLISHED = outcome(
    "publicity_republished", N_("改变后的中标候选人已重新公示；公示期满后方可定标（招标投标法实施条例 第五十四条）。")
)
CONTRACT_RECORDED = outcome("contract_recorded", N_("合同已登记并公开；合同金额与中标价一致。"))
CHALLENGE_ANSWERED = outcome("challenge_answered", N_("质疑已书面答复，答复已送达质疑供应商。"))


ROUND_TERMINATED = outcome(
    "terminated",
    N_(
        "本轮已终止：终止公告已发布，理由已记录；已收取的文件费用和投标保证金应当及时退还"
        "（招标投标法实施条例 第三十一条）。该标段可以发起新一轮。"
    ),
)
SOLE_SUPPLIER_OBJECTION_ANSWERED = outcome(
    "sole_supplier_objection_answered", N_("异议已答复，答复已在单一来源采购公示页公开。")
)
SOLE_SUPPLIER_PUBLICISED = outcome(
    "sole_supplier_publicised",
    N_("唯一供应商已公示；公示期满5个工作日后方可发布采购公告（政府采购法实施条例 第三十八条）。"),
)


@router.get(
    "/workspace/projects/tenders/{tender_id}",
    summary="A tender as its owner or agent manages it: notice, documents, clarifications, objections, progress",
    responses=problem_responses(NotFound, NotTheTenderer),
)
def tender_page(tender_id: Id, request: Request, db: DB, actor: Manager, now: Now) -> HTMLResponse:
    return render(request, "ws_project_tender.html", _tender_context(db, actor, tender_id, now))


def _refused(request: Request, db: Session, actor: Principal, tender_id: int, now: datetime, error: DomainError):  # type: ignore[no-untyped-def]
    return form_refused(
        request, db, "ws_project_tender.html", lambda: _tender_context(db, actor, tender_id, now), error
    )


tender_page_refused = _refused  # the tender page's forms in other modules (portal.money, decision 0037)


@router.post(
    "/workspace/projects/tenders/{tender_id}/documents",
    summary="Upload the tender documents of a draft (streamed, the API's size limit)",
    responses=problem_responses(*_MANAGE_PROBLEMS, BlobTooLarge),
)
@accepts_body(setting="documents_max_mb")
def upload_documents(
    tender_id: Id, request: Request, actor: Manager, _: CsrfChecked, db: DB, now: Now, file: UploadFile
) -> Response:
    try:
        limit = request.app.state.settings.documents_max_mb * MIB
        ref = stage_blob(db, request.app.state.blob_store, file.file, max_bytes=limit)
        name = file_name(file.filename, default="tender-documents")
        service.attach_documents(db, actor, tender_id=tender_id, sha256=ref.sha256, name=name, size=ref.size, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}", done=TENDER_DOCUMENTS_UPLOADED)


@router.post(
    "/workspace/projects/tenders/{tender_id}/publish",
    summary="Publish the notice and issue the documents (招标投标法 第24条, 实施条例 第16条)",
    responses=problem_responses(
        *_MANAGE_PROBLEMS, service.DocumentsMissing, rules.BidPeriodTooShort, rules.DocumentsOfferTooShort, InvalidInput
    ),
)
def publish(tender_id: Id, request: Request, actor: Manager, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        service.publish_tender(db, actor, tender_id=tender_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}", done=TENDER_PUBLISHED)


@router.post(
    "/workspace/projects/tenders/{tender_id}/sole-supplier-publicity",
    summary="Publicise the sole supplier of a single-source procurement for 5 working days (政府采购法实施条例 第38条)",
    responses=problem_responses(*_MANAGE_PROBLEMS, Conflict, InvalidInput),
)
def publicise_sole_supplier(
    tender_id: Id,
    request: Request,
    actor: Manager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    notice_text: Annotated[Text, Form(max_length=20000)],
) -> Response:
    try:
        service.publicise_sole_supplier(db, actor, tender_id=tender_id, notice_text=notice_text.strip(), now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}", done=SOLE_SUPPLIER_PUBLICISED)


@router.post(
    "/workspace/projects/tenders/{tender_id}/terminate",
    summary="Terminate the round at any stage before the contract, with its reason (招标投标法实施条例 第31条)",
    responses=problem_responses(*_MANAGE_PROBLEMS, InvalidInput),
)
def terminate(
    tender_id: Id,
    request: Request,
    actor: Manager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    reason: Annotated[Text, Form(max_length=2000)],
    confirmed: Annotated[Name, Form(max_length=10)] = "",
) -> Response:
    """Irreversible: the form asks the user to confirm, and a request without the confirmation changes nothing."""
    try:
        if confirmed != "yes":
            raise InvalidInput(
                field="confirmed", reason_zh="终止不可撤销，请勾选确认", reason_en="termination is final: confirm it"
            )
        if not reason.strip():
            raise InvalidInput(field="reason", reason_zh="须写明终止的理由", reason_en="give the reason")
        service.cancel_tender(db, actor, tender_id=tender_id, reason=reason.strip(), now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}", done=ROUND_TERMINATED)


@router.post(
    "/workspace/projects/tenders/{tender_id}/clarifications",
    summary="Clarify or amend the documents; the deadline moves if fewer than 15 days remain (实施条例 第21条)",
    responses=problem_responses(*_MANAGE_PROBLEMS),
)
def clarify(
    tender_id: Id,
    request: Request,
    actor: Manager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    text: Annotated[Text, Form(min_length=1, max_length=20000)],
    affects_bids: Annotated[bool, Form()] = False,
) -> Response:
    try:
        service.clarify(db, actor, tender_id=tender_id, text=text.strip(), affects_bids=affects_bids, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#clarifications")


@router.post(
    "/workspace/projects/objections/{objection_id}/answer",
    summary="Answer an objection to the documents (within 3 days, 实施条例 第22条)",
    responses=problem_responses(NotTheTenderer, NotFound, Conflict),
)
def answer_objection(
    objection_id: ObjectionPath,
    request: Request,
    actor: Manager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    tender_id: Annotated[Id, Form()],
    answer: Annotated[Text, Form(min_length=1, max_length=20000)],
) -> Response:
    try:
        service.answer_objection(db, actor, objection_id=objection_id, answer=answer.strip(), now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#objections")


@router.post(
    "/workspace/projects/sole-supplier-objections/{objection_id}/answer",
    summary="Answer an objection to the sole supplier's publicity (政府采购法实施条例 第38条); the answer is public",
    responses=problem_responses(NotTheTenderer, NotFound, Conflict, InvalidInput, *lifecycle.REFUSALS),
)
def answer_sole_supplier_objection(
    objection_id: SoleSupplierObjectionPath,
    request: Request,
    actor: Manager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    tender_id: Annotated[Id, Form()],
    answer: Annotated[Text, Form(min_length=1, max_length=20000)],
) -> Response:
    try:
        sole_source.answer_objection(db, actor, objection_id=objection_id, answer=answer.strip(), now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#draft", done=SOLE_SUPPLIER_OBJECTION_ANSWERED)


@router.post(
    "/workspace/projects/publicity-objections/{objection_id}/answer",
    summary="Answer an objection to the evaluation result during the publicity (within 3 days, 实施条例 第54条)",
    responses=problem_responses(
        NotFound, NotTheTenderer, Conflict, lifecycle.TenderStageWrong, award_rules.PublicityStateWrong
    ),
)
def answer_publicity_objection(
    objection_id: Id,
    request: Request,
    actor: AwardManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    tender_id: Annotated[Id, Form()],
    answer: Annotated[Text, Form(min_length=1, max_length=20000)],
    changes_result: Annotated[bool, Form()] = False,
) -> Response:
    """``changes_result``: the committee's review changed the result; the candidates go to a fresh publicity."""
    try:
        awards.answer_objection(
            db, actor, objection_id=objection_id, answer=answer.strip(), changes_result=changes_result, now=now
        )
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#award", done=RESULT_OBJECTION_ANSWERED)


@router.post(
    "/workspace/projects/tenders/{tender_id}/award",
    summary="Confirm the award to the first-ranked candidate after the publicity (定标, 实施条例 第55条)",
    responses=problem_responses(
        NotTheTenderer, NotFound, lifecycle.TenderStageWrong, Conflict, InvalidInput, award_rules.PublicityNotEnded,
        awards.AwardPaused, award_rules.WinnerNotInOrder, lifecycle.TenderSuspended,
    ),
)  # fmt: skip
def confirm_award(
    tender_id: Id,
    request: Request,
    actor: AwardManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    bid_id: Annotated[Id, Form()],
) -> Response:
    """The first-ranked candidate wins (实施条例 第55条); passing it over is :func:`award_next_candidate`."""
    try:
        awards.award_tender(
            db,
            actor,
            tender_id=tender_id,
            bid_id=bid_id,
            passed_over=list[award_rules.PassedOver](),
            signers=request.app.state.ledger_keys.signers,
            now=now,
        )
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#letters", done=AWARDED)


AWARDED_NEXT = outcome(
    "awarded_next_candidate",
    N_("已依次确定其他中标候选人为中标人，排名在前的候选人未被确定的理由已载入中标结果公告；通知书均已签名发出。"),
)
# ``pass.ground.<bid id>`` / ``pass.note.<bid id>``: why a candidate ranked above is passed over (form field names)
PASS_OVER_GROUND = "pass.ground."  # noqa: S105 - a form field's prefix, not a password
PASS_OVER_NOTE = "pass.note."  # noqa: S105
PASS_OVER_NOTE_MAX = 2000  # as the API's PassedOverIn


async def _passed_over(request: Request) -> list[award_rules.PassedOver]:
    """The candidates passed over, in the order the page lists them (by rank): each with a ground chosen."""
    form = await request.form()
    notes = {
        name.removeprefix(PASS_OVER_NOTE): value.strip()
        for name, value in form.multi_items()
        if name.startswith(PASS_OVER_NOTE) and isinstance(value, str)
    }
    found = []
    for name, value in form.multi_items():
        if name.startswith(PASS_OVER_GROUND) and isinstance(value, str) and value:
            key = name.removeprefix(PASS_OVER_GROUND)
            bid = int(key) if key.isascii() and key.isdigit() and len(key) < 19 else 0  # 0: no candidate's bid
            found.append(award_rules.PassedOver(bid, value, notes.get(key, "")))
    return found


@router.post(
    "/workspace/projects/tenders/{tender_id}/award/next-candidate",
    summary="Award a later candidate in the committee's order, each candidate ranked above passed over on a ground of "
    "实施条例 第55条 (gave up, force majeure, no performance security, found ineligible) with what happened",
    responses=problem_responses(
        NotTheTenderer, NotFound, lifecycle.TenderStageWrong, Conflict, InvalidInput, award_rules.PublicityNotEnded,
        awards.AwardPaused, award_rules.WinnerNotInOrder, lifecycle.TenderSuspended, award_rules.PublicityResultChanged,
    ),
)  # fmt: skip
def award_next_candidate(
    tender_id: Id,
    request: Request,
    actor: AwardManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    bid_id: Annotated[Id, Form()],
    passed_over: Annotated[list[award_rules.PassedOver], Depends(_passed_over)],
) -> Response:
    try:
        if any(len(item.note) > PASS_OVER_NOTE_MAX for item in passed_over):
            raise InvalidInput(
                field="passed_over.note", reason_zh=f"不超过 {PASS_OVER_NOTE_MAX} 字",
                reason_en=f"at most {PASS_OVER_NOTE_MAX} characters",
            )  # fmt: skip
        awards.award_tender(
            db,
            actor,
            tender_id=tender_id,
            bid_id=bid_id,
            passed_over=passed_over,
            signers=request.app.state.ledger_keys.signers,
            now=now,
        )
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#letters", done=AWARDED_NEXT)


@router.post(
    "/workspace/projects/tenders/{tender_id}/publicity",
    summary="Publicise the report's recommended candidates with their prices (中标候选人公示, 实施条例 第54条)",
    responses=problem_responses(
        NotTheTenderer, NotFound, lifecycle.TenderStageWrong, Conflict, InvalidInput, award_rules.PublicityTooShort,
        lifecycle.TenderSuspended,
    ),
)  # fmt: skip
def publish_publicity(
    tender_id: Id,
    request: Request,
    actor: AwardManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    ends_at: Annotated[Name, Form(max_length=40)] = "",
) -> Response:
    """``ends_at`` (Beijing time) empty: the shortest lawful publicity, to 24:00 of its third day."""
    try:
        ends = form_china_time(ends_at, "ends_at") if ends_at.strip() else None
        awards.publish_publicity(db, actor, tender_id=tender_id, ends_at=ends, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#award", done=PUBLICITY_PUBLISHED)


@router.post(
    "/workspace/projects/tenders/{tender_id}/publicity/republish",
    summary="Publicise the changed candidates afresh after the result changed (重新公示, 实施条例 第54条)",
    responses=problem_responses(
        NotTheTenderer, NotFound, lifecycle.TenderStageWrong, InvalidInput, award_rules.PublicityStateWrong,
        award_rules.PublicityTooShort, awards.AwardPaused, lifecycle.TenderSuspended,
    ),
)  # fmt: skip
def republish_publicity(
    tender_id: Id,
    request: Request,
    actor: AwardManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    basis: Annotated[Text, Form(min_length=2, max_length=2000)],
    first: Annotated[Id, Form()],
    second: Annotated[Id | None, Form()] = None,
    third: Annotated[Id | None, Form()] = None,
    ends_at: Annotated[Name, Form(max_length=40)] = "",
) -> Response:
    """The candidates the committee's review now recommends, in rank order (bids of the report's ranking)."""
    recommended = [bid for bid in (first, second, third) if bid is not None]
    try:
        ends = form_china_time(ends_at, "ends_at") if ends_at.strip() else None
        awards.republish_publicity(
            db, actor, tender_id=tender_id, recommended=recommended, basis=basis.strip(), ends_at=ends, now=now
        )
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#award", done=REPUBLISHED)


@router.post(
    "/workspace/projects/tenders/{tender_id}/contract",
    summary="Record the signed contract at the award price (招标投标法 第46条); under 政府采购法 it waits for every "
    "challenge to be answered (实施条例 第54条)",
    responses=problem_responses(
        NotTheTenderer, NotFound, lifecycle.TenderStageWrong, InvalidInput, award_rules.ContractAmountDeparts,
        lifecycle.TenderSuspended, ContractWaitsForChallenge,
    ),
)  # fmt: skip
def record_contract(
    tender_id: Id,
    request: Request,
    actor: AwardManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    amount: Annotated[Name, Form(max_length=20)],
    signed_on: Annotated[Name, Form(max_length=10)],
) -> Response:
    """``amount`` in 元 (the award price, 招标投标法 第46条), ``signed_on`` the Beijing date it was signed."""
    try:
        amount_fen = yuan_to_fen(amount.strip().replace(",", ""), field="amount")
        awards.record_contract(
            db, actor, tender_id=tender_id, amount_fen=amount_fen, signed_on=form_day(signed_on, "signed_on"),
            blob_sha256=None, now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#contract", done=CONTRACT_RECORDED)


@router.post(
    "/workspace/projects/result-challenges/{challenge_id}/answer",
    summary="Answer a supplier's challenge (质疑) of the result or the process in writing within 7 working days "
    "(政府采购法 第53条); a late answer is recorded",
    responses=problem_responses(NotTheTenderer, NotFound, Conflict),
)
def answer_challenge(
    challenge_id: Id,
    request: Request,
    actor: AwardManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    tender_id: Annotated[Id, Form()],
    answer: Annotated[Text, Form(min_length=2, max_length=20000)],
) -> Response:
    try:
        award_challenges.answer_result_challenge(db, actor, challenge_id=challenge_id, answer=answer.strip(), now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#challenges", done=CHALLENGE_ANSWERED)


DEPOSIT_FORFEITED = outcome(
    "deposit_forfeited",
    N_("已决定不予退还该投标人的投标保证金，理由已记录；投标人可在投诉期限内向行政监督部门投诉（第六十条）。"),
)


@router.post(
    "/workspace/projects/tenders/{tender_id}/deposits/forfeitures",
    summary="Keep a bidder's deposit, with reasons, where the law allows it (a bid revoked after the deadline, "
    "第35条 第2款; the winner refusing the contract or the performance security, 第74条)",
    responses=problem_responses(
        NotFound, NotTheTenderer, deposit_forfeiture.ForfeitureNotAllowed, Conflict, InvalidInput
    ),
)
def forfeit_deposit(
    tender_id: Id,
    request: Request,
    actor: AwardManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    entity_id: Annotated[Id, Form()],
    ground: Annotated[Name, Form(max_length=32)],
    reasons: Annotated[Text, Form(min_length=1, max_length=4000)],
) -> Response:
    try:
        if ground not in set(deposit_forfeiture.ForfeitureGround):
            raise InvalidInput(field="ground", reason_zh="不是法定情形", reason_en="is not a ground the law gives")
        deposit_forfeiture.forfeit_deposit(
            db, actor, tender_id=tender_id, entity_id=entity_id, ground=deposit_forfeiture.ForfeitureGround(ground),
            reasons=reasons.strip(), now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#deposits", done=DEPOSIT_FORFEITED)
