"""The workspace (工作台): after logging in, each user finds the sections of the roles it holds.

The sections are pages of their own modules (``bidder``, ``owner``, ``centre``, ``expert``), each guarded by the
permission of what it does; this page only lists them. A visitor sent here is asked to log in (401, with a link).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ggzy.core.permissions import Permission, Principal, Role, require
from ggzy.core.web import DB
from ggzy.portal.labels import N_
from ggzy.portal.rendering import PageRoute, render
from ggzy.tendering.custody import keeps_shares

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

LoggedIn = Annotated[Principal, Depends(require(Permission.AUTHENTICATED))]

# (role, path, title, what it is for): the sections of the workspace, in the order shown.
SECTIONS: tuple[tuple[Role, str, str, str], ...] = (
    (Role.BIDDER, "/workspace/bidder", N_("投标人工作台"), N_("报名、递交与撤回投标文件、开标解密、回执与通知书")),
    (
        Role.OWNER,
        "/workspace/projects",
        N_("招标人工作台"),
        N_("项目登记、发布公告与招标文件、澄清与异议、开标与评标进度、定标"),
    ),
    (
        Role.AGENT,
        "/workspace/projects",
        N_("代理机构工作台"),
        N_("项目登记、发布公告与招标文件、澄清与异议、开标与评标进度、定标"),
    ),
    (Role.CENTRE_STAFF, "/workspace/centre", N_("交易中心工作台"), N_("受理项目登记、今日开标、场地预约")),
    (Role.EXPERT, "/workspace/expert", N_("评标专家工作台"), N_("所评标段的评分表，签名提交")),
    (
        Role.PLATFORM_ADMIN,
        "/workspace/admin",
        N_("平台管理"),
        N_("用户与角色、交易中心层级、CA 信任根与吊销列表、节假日安排、账本见证方"),
    ),
    *(
        (
            role,
            "/workspace/board",
            N_("监督实时视图"),
            N_("所辖尚未结束的全部标段：阶段、下一法定期限与剩余时间、逾期记录、预警"),
        )
        for role in (Role.SUPERVISOR, Role.INSPECTOR)
    ),
    *(
        (role, "/workspace/watchlist", N_("重点关注对象名单"), N_("列入重点关注的市场主体及其被跟踪的标段"))
        for role in (Role.SUPERVISOR, Role.INSPECTOR)
    ),
    *(
        (role, "/workspace/oversight", N_("标段全过程记录"), N_("已开标标段的全部事件、账本凭证和投标文件递交信息"))
        for role in (Role.SUPERVISOR, Role.INSPECTOR)
    ),
    *(
        (role, "/workspace/hearings", N_("听证通知与记录"), N_("投诉处理中通知本单位参加的听证及其记录"))
        for role in (Role.BIDDER, Role.OWNER, Role.AGENT)
    ),
    (Role.SUPERVISOR, "/workspace/tipoffs", N_("举报处理"), N_("所辖地区和行业的举报：受理、调查处理、告知举报人")),
    (Role.SUPERVISOR, "/workspace/inspections", N_("双随机抽查"), N_("随机抽取检查标段和检查人员，记录并公开检查结果")),
    *(
        (role, "/workspace/site-records", N_("现场见证记录"), N_("开标、评标现场违规行为的记录，信用处理的依据"))
        for role in (Role.SUPERVISOR, Role.INSPECTOR, Role.CENTRE_STAFF)
    ),
    *(
        (role, "/workspace/violations", N_("逾期记录"), N_("法定期间逾期的记录及所违反的条款"))
        for role in (Role.SUPERVISOR, Role.INSPECTOR, Role.CENTRE_STAFF, Role.PLATFORM_ADMIN)
    ),
)


CUSTODY = (N_("开标密钥保管"), N_("投标截止后用投标助手释放本单位保管的开标密钥份额"))


@router.get("/workspace", summary="Workspace: the sections of the roles the logged-in user holds")
def workspace_home(request: Request, db: DB, actor: LoggedIn) -> HTMLResponse:
    sections: dict[str, tuple[str, str, str]] = {}
    for role, path, title, purpose in SECTIONS:
        if role in actor.roles:  # an owner that is also an agent sees the project section once
            sections.setdefault(path, (path, title, purpose))
    if keeps_shares(db, actor.entity_id):  # a custodian is its entity's, whatever role its user holds
        sections["/workspace/custody"] = ("/workspace/custody", *CUSTODY)
    context = {"active": "workspace", "section": "", "sections": list(sections.values()), "actor": actor}
    return render(request, "ws_home.html", context)
