"""Words the money pages show for the finance domain's values (decision 0031, 0035), marked for the catalogue with
``N_`` and translated by the templates: why a deposit is not met, where a refund stands, on what ground, what an
alert says, what became of a guarantee, on what ground a deposit was kept."""

from __future__ import annotations

from ggzy.portal.labels import N_

SHORTFALLS: dict[str, str] = {  # finance.rules.DepositShortfall
    "nothing_paid": N_("未缴纳"),
    "late": N_("到账晚于投标截止时间"),
    "not_from_basic_account": N_("非从基本账户转出（招标投标法实施条例 第二十六条）"),
    "below_requirement": N_("金额不足"),
}
PAYER_FLAGS: dict[str, str] = {  # finance.rules.PayerCheck worth a flag
    "not_basic_account": N_("付款账户不是基本账户"),
    "basic_account_unknown": N_("未登记基本账户，待核"),
}
DEPOSIT_FORMS: dict[str, str] = {"转账": N_("转账"), "电子保函": N_("电子保函")}
REFUND_STATUS: dict[str, str] = {
    "pending": N_("已下达指令"),
    "accepted": N_("银行已受理"),
    "executed": N_("已退还"),
    "rejected": N_("银行拒绝"),
}
REFUND_GROUNDS: dict[str, str] = {  # finance.refund_rules.RefundGround
    "unsuccessful": N_("未中标"),
    "successful": N_("中标人（合同签订后）"),
    "withdrawn": N_("截止前撤回投标"),
    "terminated": N_("招标终止"),
}
ALERT_KINDS: dict[str, str] = {  # finance.rules.AlertKind and reconciliation.Difference
    "unknown_sub_account": N_("入账子账号无法匹配"),
    "payer_not_basic_account": N_("付款账户不是投标人基本账户"),
    "basic_account_unknown": N_("投标人未登记基本账户"),
    "refund_rejected": N_("退款被银行拒绝"),
    "statement_line_not_in_books": N_("对账单有、账簿无"),
    "books_entry_not_at_bank": N_("账簿有、对账单无"),
    "statement_amount_differs": N_("金额不一致"),
    "opening_balance_differs": N_("期初余额不一致"),
    "closing_balance_differs": N_("期末余额不一致"),
}
GUARANTEE_STATUS: dict[str, str] = {  # finance.guarantees.GuaranteeStatus
    "issued": N_("有效"),
    "cancelled": N_("已撤销"),
    "claimed": N_("已索赔"),
    "paid": N_("已赔付"),
}
FORFEITURE_GROUNDS: dict[str, str] = {  # finance.forfeiture.ForfeitureGround
    "revoked_after_deadline": N_("投标截止后撤销投标文件（招标投标法实施条例 第三十五条 第二款）"),
    "refused_contract": N_("中标人无正当理由不与招标人订立合同或提出附加条件（第七十四条）"),
    "no_performance_security": N_("中标人不按照招标文件要求提交履约保证金（第七十四条）"),
}
ALERT_FILTERS: dict[str, str] = {"open": N_("待处理"), "resolved": N_("已处理"), "all": N_("全部")}

MONEY_LABELS = {
    "shortfalls": SHORTFALLS,
    "payer_flags": PAYER_FLAGS,
    "deposit_forms": DEPOSIT_FORMS,
    "refund_status": REFUND_STATUS,
    "refund_grounds": REFUND_GROUNDS,
    "alert_kinds": ALERT_KINDS,
    "guarantee_status": GUARANTEE_STATUS,
    "forfeiture_grounds": FORFEITURE_GROUNDS,
    "alert_filters": ALERT_FILTERS,
}
