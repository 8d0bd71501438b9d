"""The credit pages (decision 0040): the public credit query (rate-limited) and the published blacklist; for the
supervisory department, its credit workspace — the interceptions counted by checkpoint, the penalties decided, the
lists imported, a penalty recorded (a form that confirms) and a joint-punishment list imported (an upload)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.codes import CreditCodeInvalid
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Name, Offset, Text
from ggzy.core.permissions import Permission, Principal, Role, require
from ggzy.core.problems import problem_responses
from ggzy.core.rate_limit import rate_limited
from ggzy.core.web import DB, Now, Public
from ggzy.credit import access, rules, service
from ggzy.credit.schemas import PenaltyIn
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_day, form_refused, see_other

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Reader = Annotated[Principal, Depends(require(Permission.CREDIT_READ))]
Penaliser = Annotated[Principal, Depends(require(Permission.CREDIT_PENALISE))]
Importer = Annotated[Principal, Depends(require(Permission.CREDIT_IMPORT))]
PAGE_SIZE = 100
LIST_MAX_BYTES = 1024 * 1024

PENALTY_DECIDED = outcome("credit_penalty_decided", N_("处罚决定已记录，信用记录已生成；限制类处罚已加入拦截名单。"))
LIST_IMPORTED = outcome("credit_list_imported", N_("名单已导入：新增、更新与移出的条目见下表。"))

KINDS = {
    "warning": N_("警告"),
    "fine": N_("罚款"),
    "credit_deduction": N_("信用扣分"),
    "suspension": N_("限期取消资格"),
    "debarment": N_("取消资格"),
}
CHECKPOINTS = {
    "entity_registration": N_("主体注册"),
    "tender_registration": N_("报名"),
    "bid_submission": N_("递交投标文件"),
    "expert_draw": N_("专家抽取"),
    "award": N_("定标"),
    "auction_registration": N_("竞买登记"),
    "auction_bid": N_("竞买报价"),
}
STATUSES = {
    "in_force": N_("有效"),
    "not_yet": N_("未生效"),
    "expired": N_("已到期"),
    "revoked": N_("已撤销"),
    "delisted": N_("已移出名单"),
}
SOURCES = {"decision": N_("处罚决定"), "list": N_("联合惩戒名单"), "authority": N_("其他部门")}
# the trades a restriction closes (CreditRecord.law)
SCOPES = {None: N_("全部交易"), "tendering_law": N_("依法必须进行招标的项目"), "procurement_law": N_("政府采购活动")}


@router.get("/credit/blacklist", summary="The published blacklist (失信名单): restrictions in force, with the decision")
def blacklist_page(
    request: Request, db: DB, _: Public, now: Now, offset: Annotated[Offset, Query()] = 0
) -> HTMLResponse:
    rows = service.blacklist(db, now=now, limit=PAGE_SIZE + 1, offset=offset)
    context = {
        "active": "credit",
        "rows": rows[:PAGE_SIZE],
        "sources": SOURCES,
        "scopes": SCOPES,
        "next_offset": offset + PAGE_SIZE if len(rows) > PAGE_SIZE else None,
        "previous_offset": max(offset - PAGE_SIZE, 0) if offset else None,
    }
    return render(request, "credit_blacklist.html", context)


@router.get(
    "/credit/query",
    summary="The public credit query by unified social credit code (rate-limited per client)",
    responses=problem_responses(CreditCodeInvalid),
    dependencies=[Depends(rate_limited("credit_query_page", capacity=30, per_minute=30))],
)
def query_page(
    request: Request,
    db: DB,
    _: Public,
    now: Now,
    credit_code: Annotated[Ascii | None, Query(max_length=18)] = None,
) -> HTMLResponse:
    context: dict[str, Any] = {"active": "credit", "credit_code": credit_code or "", "records": None}
    if credit_code:
        report = service.credit_report(db, credit_code=credit_code, now=now)
        context |= {
            "records": [(record, status.value) for record, status in report.records],
            "subject_name": report.subject_name,
        }
    context |= {"statuses": STATUSES, "sources": SOURCES}
    return render(request, "credit_query.html", context)


def _workspace_context(db: Session, actor: Principal, now: datetime) -> dict[str, Any]:
    penalties = service.penalties(db, limit=50)
    return {
        "active": "workspace",
        "section": "credit",
        "counts": service.interception_counts(db, actor),
        "recent": service.recent_interceptions(db, actor, limit=20),
        "penalties": penalties,
        "cited": service.site_records_cited(db, [penalty.id for penalty in penalties]),
        "lists": service.lists(db),
        "bases": rules.LEGAL_BASES,
        "kinds": KINDS,
        "checkpoints": CHECKPOINTS,
        "writes": actor.acting_role is Role.SUPERVISOR or Role.SUPERVISOR in actor.roles,
        "now": now,
    }


@router.get(
    "/workspace/credit",
    summary="The credit workspace: interceptions by checkpoint, penalties, lists (supervisors; inspectors read)",
)
def workspace_page(request: Request, db: DB, actor: Reader, now: Now) -> HTMLResponse:
    return render(request, "ws_credit.html", _workspace_context(db, actor, now))


def _refused(request: Request, db: Session, actor: Principal, now: datetime, error: DomainError) -> HTMLResponse:
    return form_refused(request, db, "ws_credit.html", lambda: _workspace_context(db, actor, now), error)


@router.post(
    "/workspace/credit/penalties",
    summary="Record a penalty decision (form): refused beyond the article's range or without grounds",
    responses=problem_responses(
        rules.PenaltyNotAllowed, rules.PenaltyOutOfRange, rules.GroundsRequired, CreditCodeInvalid, InvalidInput,
        Conflict, NotFound, rules.SiteRecordNotGrounds,
    ),
)  # fmt: skip
def decide_penalty(
    request: Request,
    actor: Penaliser,
    _: CsrfChecked,
    db: DB,
    now: Now,
    decision_number: Annotated[Name, Form(min_length=1, max_length=64)],
    kind: Annotated[rules.PenaltyKind, Form()],
    legal_basis: Annotated[Ascii, Form(min_length=1, max_length=16)],
    grounds: Annotated[Text, Form(max_length=4000)],
    credit_code: Annotated[Ascii, Form(max_length=18)] = "",
    subject_name: Annotated[Name, Form(max_length=200)] = "",
    fine: Annotated[Ascii, Form(max_length=20)] = "",
    basis_amount: Annotated[Ascii, Form(max_length=20)] = "",
    points: Annotated[int | None, Form(ge=1, le=100)] = None,
    months: Annotated[int | None, Form(ge=0, le=1000)] = None,
    effective_on: Annotated[Name, Form(max_length=10)] = "",
    site_record_ids: Annotated[Name, Form(max_length=200)] = "",
    expert_id: Annotated[Ascii, Form(max_length=18)] = "",
) -> Response:
    try:
        if expert_id.strip() and not expert_id.strip().isdigit():
            raise InvalidInput(field="expert_id", reason_zh="应为专家编号（数字）", reason_en="an expert's number")
        cited = [part.strip() for part in site_record_ids.replace("，", ",").split(",") if part.strip()]
        if not all(part.isdigit() and len(part) <= 18 for part in cited):
            raise InvalidInput(field="site_record_ids", reason_zh="应为记录编号，用逗号分隔",
                               reason_en="record numbers separated by commas")  # fmt: skip
        data = PenaltyIn.model_validate({
            "decision_number": decision_number, "kind": kind, "legal_basis": legal_basis, "grounds": grounds,
            "credit_code": credit_code.strip() or None, "subject_name": subject_name.strip() or None,
            "expert_id": int(expert_id) if expert_id.strip() else None,
            "fine": fine.strip() or None, "basis_amount": basis_amount.strip() or None, "points": points,
            "months": months, "site_record_ids": [int(part) for part in cited],
            "effective_on": form_day(effective_on, "effective_on") if effective_on.strip() else None,
        })  # fmt: skip
        service.decide_penalty(db, actor, data=data, now=now)
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    except ValueError:
        not_amount = InvalidInput(field="fine", reason_zh="金额格式错误", reason_en="not an amount")
        return _refused(request, db, actor, now, not_amount)
    return see_other("/workspace/credit", done=PENALTY_DECIDED)


@router.post(
    "/workspace/credit/lists",
    summary="Import a joint-punishment list (upload, CSV or JSON): all or nothing, every bad row reported",
    responses=problem_responses(
        rules.ListRowsInvalid, rules.ListUnreadable, InvalidInput, Conflict, access.CreditScopeDenied
    ),
)
def import_list(
    request: Request,
    actor: Importer,
    _: CsrfChecked,
    db: DB,
    now: Now,
    file: UploadFile,
    source: Annotated[Name, Form(min_length=1, max_length=200)],
    published_on: Annotated[Name, Form(max_length=10)],
) -> Response:
    try:
        content = file.file.read(LIST_MAX_BYTES + 1)
        if len(content) > LIST_MAX_BYTES:
            raise rules.ListUnreadable(field="file", reason_zh="超过 1 MiB", reason_en="larger than 1 MiB")
        service.import_list(
            db, actor, source=source, published_on=form_day(published_on, "published_on"), content=content, now=now
        )
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    return see_other("/workspace/credit", done=LIST_IMPORTED)
