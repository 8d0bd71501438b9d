"""Words the pages show for the platform's values (document kinds, stages), marked for the catalogue with ``N_``.

They are translated when a page is rendered (``ggzy.portal.rendering``); ``tests/portal/test_i18n.py`` extracts them
with the templates' messages, so a new label without its English fails a test.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


DOCUMENT_KINDS: dict[str, str] = {
    "notice": N_("招标公告"),
    "documents": N_("招标文件"),
    "clarification": N_("澄清与修改"),
    "termination": N_("终止公告"),
    "opening_record": N_("开标记录"),
    "candidates": N_("中标候选人公示"),
    "result": N_("中标结果公告"),
    "contract": N_("合同公开"),
}

STAGES: dict[str, str] = {
    "draft": N_("草稿"),
    "published": N_("公告中"),
    "closed": N_("已截标"),
    "opening": N_("开标中"),
    "opened": N_("已开标"),
    "failed": N_("流标"),
    "evaluating": N_("评标中"),
    "evaluated": N_("评标结束"),
    "publicity": N_("候选人公示"),
    "awarded": N_("已定标"),
    "contracted": N_("已签合同"),
    "cancelled": N_("已终止"),
}

# What a round's next step is, as the owner's and agent's pages name it (tendering.stages.Step).
NEXT_STEPS: dict[str, str] = {
    "attach_documents": N_("上传招标（采购）文件"),
    "publish": N_("发布公告"),
    "publicise_sole_supplier": N_("公示唯一供应商（5个工作日）"),
    "clarify": N_("澄清或修改"),
    "start_opening": N_("主持开标"),
    "finish_opening": N_("宣读开标记录"),
    "draw_experts": N_("抽取评标专家"),
    "start_evaluation": N_("开始评标"),
    "finalise_report": N_("完成评标报告"),
    "publicise": N_("公示中标候选人"),
    "award": N_("定标，发出中标（成交）通知书"),
    "contract": N_("登记合同"),
}

STEP_STATUS: dict[str, str] = {"done": N_("已完成"), "current": N_("当前阶段"), "pending": N_("未开始")}

# The usual items of an opening summary (开标一览表); any other key is shown as it is.
SUMMARY_ITEMS: dict[str, str] = {
    "price_fen": N_("投标报价"),
    "schedule_days": N_("工期（日历天）"),
    "quality": N_("质量"),
    "project_manager": N_("项目经理"),
}

# A centre's venues (场地) and what a booking is for.
VENUE_KINDS: dict[str, str] = {
    "opening_room": N_("开标室"),
    "evaluation_room": N_("评标室"),
    "remote_evaluation": N_("远程异地评标室"),
}
BOOKING_PURPOSES: dict[str, str] = {"opening": N_("开标"), "evaluation": N_("评标")}
BOOKING_STATUS: dict[str, str] = {"booked": N_("已预约"), "cancelled": N_("已取消")}

# 招标投标法实施条例 第55条: why a candidate ranked above the winner was passed over
# (ggzy.awards.rules.PASS_OVER_GROUNDS).
PASS_OVER_GROUNDS: dict[str, str] = {
    "gave_up": N_("放弃中标"),
    "force_majeure": N_("因不可抗力不能履行合同"),
    "no_performance_security": N_("不按照招标文件要求提交履约保证金"),
    "ineligible": N_("被查实存在影响中标结果的违法行为等情形，不符合中标条件"),
}

# The reviews not counted into a complaint's decision period (实施条例 第61条; 政府采购法实施条例 第58条 adds the
# complainant's supplement): ggzy.complaints.rules.REVIEW_KINDS and PROCUREMENT_REVIEW_KINDS.
REVIEW_KINDS: dict[str, str] = {
    "inspection": N_("检验"),
    "testing": N_("检测"),
    "appraisal": N_("鉴定"),
    "expert_review": N_("专家评审"),
    "supplement": N_("投诉人补正材料"),
}

# who acted, as an event names it (core.permissions.Role, and the system)
ROLES: dict[str, str] = {
    "platform_admin": N_("平台管理员"),
    "centre_staff": N_("交易中心工作人员"),
    "owner": N_("招标人"),
    "agent": N_("招标代理机构"),
    "bidder": N_("投标人"),
    "expert": N_("评标专家"),
    "supervisor": N_("行政监督人员"),
    "inspector": N_("纪检监察、审计人员"),
    "institution": N_("金融机构"),
    "visitor": N_("访客"),
    "system": N_("平台"),
}
