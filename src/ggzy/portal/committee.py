"""The centre staff's evaluation pages (评标组织): draw the committee of an opened tender, check its members in at the
venue (签到), start the evaluation, follow it, and read the report with its signatures and dissents; record a member
who refuses to sign without written reasons (deemed to agree, 招标投标法实施条例 第53条).

The same services as the API, under the same permissions (``committee.draw``, ``evaluation.run``), for staff of the
project's centre only (``projects.access.check_reviewer``): the committee's names are for them, and for nobody else
before the result (招标投标法 第37条).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.evaluation import access, report_signing, report_views, rules, service, signing
from ggzy.experts import service as experts
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, see_other
from ggzy.projects.access import NotYourCentre, check_reviewer, staff_centres
from ggzy.tendering.lifecycle import TenderStageWrong, TenderSuspended
from ggzy.tendering.service import published_tenders_of_centres
from ggzy.tendering.stages import Stage

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Runner = Annotated[Principal, Depends(require(Permission.EVALUATION_RUN))]
Drawer = Annotated[Principal, Depends(require(Permission.COMMITTEE_DRAW))]

HOME = "/workspace/committee"
TEMPLATE = "ws_committee_tender.html"
STAGES = {Stage.OPENED, Stage.EVALUATING, Stage.EVALUATED, Stage.PUBLICITY, Stage.AWARDED}
_PROBLEMS = (NotFound, NotYourCentre, TenderStageWrong, TenderSuspended, InvalidInput, Conflict)

COMMITTEE_DRAWN = outcome("committee_drawn", N_("评标委员会已随机抽取，名单在中标结果确定前保密。"))
MEMBER_CHECKED_IN = outcome("member_checked_in", N_("该成员已签到。"))
EVALUATION_STARTED = outcome("evaluation_started", N_("评标已开始，已签到的成员可以评审。"))
REFUSAL_RECORDED = outcome(
    "signature_refusal_recorded", N_("已记录：该成员拒绝签字且未书面说明理由，视为同意评标结果。")
)


@router.get(HOME, summary="Centre staff: the tenders of my centres whose committee is drawn or to be drawn")
def committee_home(request: Request, db: DB, actor: Runner) -> HTMLResponse:
    rounds = published_tenders_of_centres(db, centre_ids=staff_centres(actor), stages=STAGES, limit=100)
    return render(request, "ws_committee.html", {"active": "workspace", "section": "committee", "rounds": rounds})


def _context(db: Session, actor: Principal, tender_id: int) -> dict[str, Any]:
    tender, project = service.load(db, tender_id)
    check_reviewer(actor, project)
    evaluation = service.find_evaluation(db, tender.id)
    seats = report_views.seats(db, tender_id=tender.id, names=True, viewer_user_id=None, evaluation=evaluation)
    report = service.report_of(db, evaluation.id) if evaluation is not None else None
    return {
        "active": "workspace",
        "section": "committee",
        "tender": tender,
        "project": project,
        "draw": experts.current_draw(db, tender.id),
        "seats": seats,
        "sitting": [seat for seat in seats if seat.kind != experts.RESERVE],
        "evaluation": evaluation,
        "scheme": service.scheme_from_json(evaluation.scheme) if evaluation is not None else None,
        "rejected": service.rejections_of(db, evaluation.id) if evaluation is not None else {},
        "sheet_count": service.sheet_count(db, evaluation.id) if evaluation is not None else 0,
        "report": report_views.report_table(db, report, seats) if report is not None else None,
        "formulas": [formula.value for formula in rules.PriceFormula],
    }


def _page(tender_id: int, anchor: str) -> str:
    return f"{HOME}/tenders/{tender_id}#{anchor}"


def _refused(request: Request, db: DB, actor: Principal, tender_id: int, error: DomainError) -> HTMLResponse:
    return form_refused(request, db, TEMPLATE, lambda: _context(db, actor, tender_id), error)


@router.get(
    HOME + "/tenders/{tender_id}",
    summary="Centre staff: one tender's committee (names), check-in, evaluation and report with signatures",
    responses=problem_responses(NotFound, NotYourCentre),
)
def committee_tender(tender_id: Id, request: Request, db: DB, actor: Runner) -> HTMLResponse:
    return render(request, TEMPLATE, _context(db, actor, tender_id))


@router.post(
    HOME + "/tenders/{tender_id}/draw",
    summary="Draw the evaluation committee at random from the register, with recusal (招标投标法 第37条)",
    responses=problem_responses(*_PROBLEMS, experts.CommitteeUnlawful, experts.NotEnoughExperts),
)
def draw(
    tender_id: Id,
    request: Request,
    actor: Drawer,
    _: CsrfChecked,
    db: DB,
    now: Now,
    specialty_code: Annotated[Ascii, Form(max_length=16)],
    size: Annotated[int, Form(ge=1, le=99)],
    reserve: Annotated[int, Form(ge=0, le=99)] = 0,
) -> Response:
    try:
        experts.draw_committee(
            db, actor, tender_id=tender_id, specialty_code=specialty_code.strip(), size=size, reserve=reserve,
            owner_representative_user_ids=[], now=now, pool_rule=request.app.state.settings.expert_pool_rule,
        )  # fmt: skip
    except DomainError as error:
        return _refused(request, db, actor, tender_id, error)
    return see_other(_page(tender_id, "committee"), done=COMMITTEE_DRAWN)


@router.post(
    HOME + "/tenders/{tender_id}/check-ins",
    summary="Check a committee member in (签到) on arrival at the evaluation venue",
    responses=problem_responses(*_PROBLEMS),
)
def check_in(
    tender_id: Id,
    request: Request,
    actor: Drawer,
    _: CsrfChecked,
    db: DB,
    now: Now,
    member_id: Annotated[Id, Form()],
) -> Response:
    try:
        experts.check_in_member(db, actor, tender_id=tender_id, member_id=member_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, error)
    return see_other(_page(tender_id, "committee"), done=MEMBER_CHECKED_IN)


def _criteria(text: str) -> tuple[rules.Criterion, ...]:
    """Scored criteria, one a line: ``key 名称 满分`` (key: lower-case letters, digits, _)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) < 3:
                raise InvalidOperation
            key, name, points = parts[0], " ".join(parts[1:-1]), Decimal(parts[-1])
        except InvalidOperation:
            raise InvalidInput(
                field="criteria",
                reason_zh=f"第 {number} 行应为：代码 名称 满分（如 technical 技术方案 30）",
                reason_en=f"line {number} must read: key name points (e.g. technical 技术方案 30)",
            ) from None
        if not key.isascii() or not key[:1].isalpha() or not key.replace("_", "").isalnum() or key != key.lower():
            raise InvalidInput(
                field="criteria", reason_zh=f"第 {number} 行的代码应为小写字母开头的字母数字",
                reason_en=f"the key of line {number} is lower-case letters and digits",
            )  # fmt: skip
        found.append(rules.Criterion(key=key, name=name, max_points=points))
    return tuple(found)


@router.post(
    HOME + "/tenders/{tender_id}/evaluation",
    summary="Start the evaluation with its scheme; the lead named by the owner or elected by the members",
    responses=problem_responses(*_PROBLEMS),
)
def start(
    tender_id: Id,
    request: Request,
    actor: Runner,
    _: CsrfChecked,
    db: DB,
    now: Now,
    qualification: Annotated[Text, Form(max_length=2000)] = "",
    criteria: Annotated[Text, Form(max_length=4000)] = "",
    price_weight: Annotated[Ascii, Form(max_length=8)] = "0",
    price_formula: Annotated[Ascii, Form(max_length=16)] = rules.PriceFormula.LOWEST_BASE.value,
    lead_member_id: Annotated[Id | None, Form()] = None,
) -> Response:
    try:
        if price_formula not in {formula.value for formula in rules.PriceFormula}:
            raise InvalidInput(field="price_formula", reason_zh="未知的价格计分方法", reason_en="unknown price formula")
        weight = signing.parse_score(price_weight, field="price_weight")  # a plain decimal, as scores are typed
        if weight > 100:
            raise InvalidInput(field="price_weight", reason_zh="价格分不超过 100", reason_en="at most 100 points")
        scheme = rules.Scheme(
            qualification_criteria=tuple(line.strip() for line in qualification.splitlines() if line.strip()),
            criteria=_criteria(criteria),
            price_weight=weight,
            price_formula=rules.PriceFormula(price_formula),
        )
        service.start_evaluation(db, actor, tender_id=tender_id, scheme=scheme, lead_member_id=lead_member_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, error)
    return see_other(_page(tender_id, "evaluation"), done=EVALUATION_STARTED)


@router.post(
    HOME + "/tenders/{tender_id}/signature-refusals",
    summary="Record that a member refused to sign the report without written reasons: deemed to agree (第53条)",
    responses=problem_responses(*_PROBLEMS, access.NotTheFinaliser),
)
def record_refusal(
    tender_id: Id,
    request: Request,
    actor: Runner,
    _: CsrfChecked,
    db: DB,
    now: Now,
    member_id: Annotated[Id, Form()],
) -> Response:
    try:
        report_signing.record_refusal(db, actor, tender_id=tender_id, member_id=member_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, error)
    return see_other(_page(tender_id, "report"), done=REFUSAL_RECORDED)
