"""The statutory periods of government procurement (政府采购) and the articles of each procurement method, as data
for the procedure registry (DESIGN §5, STYLE 7).

Every period is declared once through :func:`ggzy.core.periods.statutory_period` and counted by its one arithmetic
(民法典 第201条: the day of the event is not counted; 第203条: a last day on a day off moves to the next working
day; ``工作日`` counted on the holiday calendar). Each period's unit is the law's own word: ``工作日`` is
:attr:`DayCount.WORKING_DAYS`, ``日`` is :attr:`DayCount.DAYS`.

Sources, and only these: 政府采购法 (2014-08-31) and 政府采购法实施条例 (2015-01-30).

* Which law applies (政府采购法 第4条, 实施条例 第7条): works (工程) and the goods and services tied to them, when
  procured by tendering, follow 招标投标法 and its 实施条例, whose periods are those of
  :mod:`ggzy.tendering.procedures`. The periods here are for goods and services, and for works procured by the other
  methods (实施条例 第25条).
* Not here, because neither law sets it: the time from issuing the negotiation documents or the request for
  quotation to the suppliers' response deadline (政府采购法 第38条, 第40条 name no period), and the length of the
  announcement periods that 实施条例 第53条 counts a challenge from. Both are set by rules of the Ministry of Finance
  that are not among the law texts this project holds, so no article of them is cited.
* 竞争性磋商 (the registry's ``consultation``) is a method created by the Ministry of Finance under 政府采购法
  第26条 第1款 第(六)项 (其他采购方式) in its 政府采购竞争性磋商采购方式管理暂行办法 (财库〔2014〕214号), which is not
  among the law texts: it has no entry in :data:`PROCUREMENT_ARTICLES`. Its three periods of 第十条 are declared
  in :data:`CONSULTATION_PERIODS`, from the article's text as quoted by several public pages (read through the
  project's search tool, not from an official copy); no other article of the measures is cited.
* 竞争性谈判 (``negotiation``): neither law text sets the time from issuing the negotiation documents to the
  suppliers' first responses (政府采购法 第38条, 实施条例 第35–37条 name none). The registry keeps the periods of a
  procurement tender for it (20 日, 5 工作日, 15 日), as it does for 询价: never shorter than any rule of the Ministry
  of Finance allows, and each named by the article it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from ggzy.core.periods import DayCount, StatutoryPeriod, statutory_period

__all__ = [
    "CONSULTATION_PERIODS",
    "PROCUREMENT_ARTICLES",
    "PROCUREMENT_PERIODS",
    "ArticleSummary",
    "ConsultationPeriods",
    "ProcurementMethodArticles",
    "ProcurementPeriods",
]


@dataclass(frozen=True)
class ProcurementPeriods:
    """The statutory periods of government procurement, each with its article in the period registry.

    How each is used (see :mod:`ggzy.core.periods`): *within* — an act due by the last day; *must run* — a later
    step may not come before the last day (:meth:`StatutoryPeriod.has_run`); *counted back* — from a fixed moment
    (:meth:`StatutoryPeriod.last_event_day`); *at most* — a state that may not last beyond the last day.
    """

    # -- tendering of goods and services (公开招标, 邀请招标) --
    bid_period: StatutoryPeriod  # 政府采购法 第35条: must run, 20 日 from the documents' first issue to the deadline
    prequalification_submission: StatutoryPeriod  # 实施条例 第21条: must run, 5 工作日 from the notice
    documents_on_offer: StatutoryPeriod  # 实施条例 第31条 第1款: must run, documents offered 5 工作日 at least
    clarification_before_deadline: StatutoryPeriod  # 实施条例 第31条 第2款: counted back, 15 日, or the deadline moves
    # -- the deposit (招标; 竞争性谈判 and 询价 by 实施条例 第33条 第3款) --
    deposit_refund_unsuccessful: StatutoryPeriod  # 实施条例 第33条: within 5 工作日 of the letter of award
    deposit_refund_successful: StatutoryPeriod  # 实施条例 第33条: within 5 工作日 of the contract
    # -- single source (单一来源) --
    sole_supplier_publicity: StatutoryPeriod  # 实施条例 第38条: must run, the sole supplier publicised 5 工作日
    # -- evaluation, award and contract (every method) --
    evaluation_report: StatutoryPeriod  # 实施条例 第43条 第1款: within 2 工作日 of the end of the evaluation
    supplier_determination: StatutoryPeriod  # 实施条例 第43条 第1款: within 5 工作日 of receiving the report
    result_notice: StatutoryPeriod  # 实施条例 第43条 第2款: letter and result notice within 2 工作日
    contract: StatutoryPeriod  # 政府采购法 第46条: within 30 日 of the letter of award
    contract_filing: StatutoryPeriod  # 政府采购法 第47条: a copy filed within 7 工作日 of signing
    contract_publication: StatutoryPeriod  # 实施条例 第50条: published within 2 工作日 of signing
    # -- inquiries, challenges and complaints (询问、质疑、投诉) --
    inquiry_answer: StatutoryPeriod  # 实施条例 第52条: an inquiry answered within 3 工作日 (from its receipt)
    challenge: StatutoryPeriod  # 政府采购法 第52条 (实施条例 第53条 fixes the start): within 7 工作日
    challenge_answer: StatutoryPeriod  # 政府采购法 第53条: answered within 7 工作日 of receipt
    complaint_lodging: StatutoryPeriod  # 政府采购法 第55条: within 15 工作日 after the answer period ends
    complaint_decision: StatutoryPeriod  # 政府采购法 第56条: within 30 工作日 (实施条例 第58条: some time not counted)
    complaint_suspension: StatutoryPeriod  # 政府采购法 第57条: at most, the procurement suspended 30 日 at the longest


PROCUREMENT_PERIODS = ProcurementPeriods(
    bid_period=statutory_period(
        "procurement.bid_period",
        name_zh="自招标文件开始发出之日起至投标人提交投标文件截止之日止",
        name_en="From the first issue of the tender documents to the bid deadline (goods and services)",
        length=20,
        unit=DayCount.DAYS,
        article="政府采购法 第三十五条",
    ),
    prequalification_submission=statutory_period(
        "procurement.prequalification_submission",
        name_zh="自资格预审公告发布之日起至提交资格预审申请文件截止",
        name_en="From the prequalification notice to the deadline for applications",
        length=5,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第二十一条",
    ),
    documents_on_offer=statutory_period(
        "procurement.documents_on_offer",
        name_zh="自招标文件开始发出之日起的招标文件提供期限",
        name_en="Tender documents on offer, from their first issue",
        length=5,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第三十一条",
    ),
    clarification_before_deadline=statutory_period(
        "procurement.clarification_before_deadline",
        name_zh="自书面通知澄清或者修改之日起至投标截止时间",
        name_en="From the written notice of a clarification or amendment to the bid deadline",
        length=15,
        unit=DayCount.DAYS,
        article="政府采购法实施条例 第三十一条",
    ),
    deposit_refund_unsuccessful=statutory_period(
        "procurement.deposit_refund_unsuccessful",
        name_zh="自中标通知书发出之日起退还未中标供应商的投标保证金",
        name_en="Unsuccessful suppliers' deposits refunded after the letter of award is issued",
        length=5,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第三十三条",
    ),
    deposit_refund_successful=statutory_period(
        "procurement.deposit_refund_successful",
        name_zh="自政府采购合同签订之日起退还中标供应商的投标保证金",
        name_en="The successful supplier's deposit refunded after the contract is signed",
        length=5,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第三十三条",
    ),
    sole_supplier_publicity=statutory_period(
        "procurement.sole_supplier_publicity",
        name_zh="自公示之日起的唯一供应商公示期",
        name_en="Publicity of the project and its sole supplier, from its publication",
        length=5,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第三十八条",
    ),
    evaluation_report=statutory_period(
        "procurement.evaluation_report",
        name_zh="自评审结束之日起采购代理机构送交评审报告",
        name_en="The agent sends the evaluation report after the evaluation ends",
        length=2,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第四十三条",
    ),
    supplier_determination=statutory_period(
        "procurement.supplier_determination",
        name_zh="自收到评审报告之日起采购人确定中标或者成交供应商",
        name_en="The purchaser determines the successful supplier after receiving the evaluation report",
        length=5,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第四十三条",
    ),
    result_notice=statutory_period(
        "procurement.result_notice",
        name_zh="自中标、成交供应商确定之日起发出通知书并公告中标、成交结果",
        name_en="The letter of award is issued and the result announced after the supplier is determined",
        length=2,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第四十三条",
    ),
    contract=statutory_period(
        "procurement.contract",
        name_zh="自中标、成交通知书发出之日起签订政府采购合同",
        name_en="The procurement contract is signed after the letter of award is issued",
        length=30,
        unit=DayCount.DAYS,
        article="政府采购法 第四十六条",
    ),
    contract_filing=statutory_period(
        "procurement.contract_filing",
        name_zh="自合同签订之日起将合同副本报政府采购监督管理部门备案",
        name_en="A copy of the contract is filed with the supervisor after signing",
        length=7,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法 第四十七条",
    ),
    contract_publication=statutory_period(
        "procurement.contract_publication",
        name_zh="自政府采购合同签订之日起公告合同",
        name_en="The contract is published after signing",
        length=2,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第五十条",
    ),
    inquiry_answer=statutory_period(
        "procurement.inquiry_answer",
        name_zh="自收到询问起对供应商依法提出的询问作出答复（条文未写明起算日）",
        name_en="An inquiry is answered after it is received (the article names no start day)",
        length=3,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法实施条例 第五十二条",
    ),
    challenge=statutory_period(
        "procurement.challenge",
        name_zh="自知道或者应知其权益受到损害之日起提出质疑",
        name_en="A challenge is made after the supplier knew or should have known of the harm",
        length=7,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法 第五十二条；政府采购法实施条例 第五十三条",
    ),
    challenge_answer=statutory_period(
        "procurement.challenge_answer",
        name_zh="自收到书面质疑后作出答复",
        name_en="A written challenge is answered after it is received",
        length=7,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法 第五十三条",
    ),
    complaint_lodging=statutory_period(
        "procurement.complaint_lodging",
        name_zh="自答复期满后向政府采购监督管理部门投诉",
        name_en="A complaint is lodged after the period for answering the challenge ends",
        length=15,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法 第五十五条",
    ),
    complaint_decision=statutory_period(
        "procurement.complaint_decision",
        name_zh="自收到投诉后作出处理决定",
        name_en="The complaint is decided after it is received",
        length=30,
        unit=DayCount.WORKING_DAYS,
        article="政府采购法 第五十六条；政府采购法实施条例 第五十八条",
    ),
    complaint_suspension=statutory_period(
        "procurement.complaint_suspension",
        name_zh="自书面通知暂停采购活动起的最长暂停时间",
        name_en="The longest suspension of the procurement, from the written notice",
        length=30,
        unit=DayCount.DAYS,
        article="政府采购法 第五十七条",
    ),
)


@dataclass(frozen=True)
class ConsultationPeriods:
    """The periods of 竞争性磋商 set by 政府采购竞争性磋商采购方式管理暂行办法 第十条 (read as quoted, see above)."""

    response_period: StatutoryPeriod  # must run, 10 日 from the documents issued to the first responses' deadline
    documents_on_offer: StatutoryPeriod  # must run, documents on offer 5 工作日 at least
    clarification_before_deadline: StatutoryPeriod  # counted back, 5 日 before that deadline, or the deadline moves


# 财库〔2014〕214号
_CONSULTATION_MEASURES_10 = "政府采购竞争性磋商采购方式管理暂行办法 第十条"

CONSULTATION_PERIODS = ConsultationPeriods(
    response_period=statutory_period(
        "consultation.response_period",
        name_zh="从磋商文件发出之日起至供应商提交首次响应文件截止之日止",
        name_en="From the issue of the consultation documents to the deadline for the first responses",
        length=10,
        unit=DayCount.DAYS,
        article=_CONSULTATION_MEASURES_10,
    ),
    documents_on_offer=statutory_period(
        "consultation.documents_on_offer",
        name_zh="磋商文件的发售期限",
        name_en="Consultation documents on offer",
        length=5,
        unit=DayCount.WORKING_DAYS,
        article=_CONSULTATION_MEASURES_10,
    ),
    clarification_before_deadline=statutory_period(
        "consultation.clarification_before_deadline",
        name_zh="书面通知澄清或者修改至提交首次响应文件截止时间",
        name_en="From the written notice of a clarification or amendment to the first responses' deadline",
        length=5,
        unit=DayCount.DAYS,
        article=_CONSULTATION_MEASURES_10,
    ),
)


@dataclass(frozen=True)
class ArticleSummary:
    """One article, with a short summary written from reading it (not the law's text)."""

    article: str
    summary_zh: str
    summary_en: str


@dataclass(frozen=True)
class ProcurementMethodArticles:
    """One procurement method of 政府采购法 第26条: when it may be used, its steps, and its periods."""

    key: str  # the procedure registry's key (GLOSSARY)
    name_zh: str
    name_en: str
    listed_in: str  # its item of 政府采购法 第26条
    use: tuple[ArticleSummary, ...]
    steps: tuple[ArticleSummary, ...]
    periods: tuple[StatutoryPeriod, ...]


_P = PROCUREMENT_PERIODS

_APPROVAL = ArticleSummary(
    "政府采购法 第二十七条；政府采购法实施条例 第二十三条",
    "达到公开招标数额标准的货物、服务改用其他方式，须在采购活动开始前经设区的市级以上财政部门批准。",
    "Goods or services at or above the open-tendering threshold may use another method only with the prior "
    "approval of a finance department at prefecture level or above.",
)
_NO_SPLITTING = ArticleSummary(
    "政府采购法 第二十八条；政府采购法实施条例 第二十八条",
    "不得化整为零规避公开招标；一个财政年度内同一品目多次以其他方式采购、累计超过标准的，即属规避。",
    "Splitting to avoid open tendering is forbidden; repeated non-open purchases of one item in a fiscal year "
    "whose sum exceeds the threshold count as splitting.",
)
_WORKS = ArticleSummary(
    "政府采购法 第四条；政府采购法实施条例 第七条",
    "工程及与工程建设有关的货物、服务采用招标方式的，适用招标投标法及其实施条例。",
    "Works, and goods and services tied to them, when tendered, follow 招标投标法 and its regulations.",
)
_WORKS_NOT_TENDERED = ArticleSummary(
    "政府采购法实施条例 第二十五条",
    "依法不进行招标的政府采购工程，采用竞争性谈判或者单一来源方式。",
    "Government works not tendered by law are procured by competitive negotiation or single source.",
)
_TENDER_STEPS = (
    ArticleSummary(
        "政府采购法 第三十五条",
        "自招标文件开始发出之日起至投标截止之日止，不得少于二十日。",
        "At least 20 days from the first issue of the tender documents to the bid deadline.",
    ),
    ArticleSummary(
        "政府采购法实施条例 第二十一条",
        "资格预审公告在指定媒体发布；提交申请文件的时间自公告发布之日起不少于5个工作日。",
        "A prequalification notice is published in the designated media; applications are open at least 5 "
        "working days from its publication.",
    ),
    ArticleSummary(
        "政府采购法实施条例 第三十条",
        "招标文件、谈判文件、询价通知书公开采购项目预算金额。",
        "The tender documents, negotiation documents and request for quotation disclose the budget.",
    ),
    ArticleSummary(
        "政府采购法实施条例 第三十一条",
        "招标文件提供期限不少于5个工作日；影响投标文件编制的澄清或修改至少在截止前15日书面通知，不足则顺延截止时间。",
        "Documents on offer at least 5 working days; a clarification or amendment affecting the bids is notified "
        "in writing at least 15 days before the deadline, or the deadline is postponed.",
    ),
    ArticleSummary(
        "政府采购法实施条例 第三十二条",
        "按财政部标准文本编制招标文件，载明需求、资格条件、报价要求、评标方法与标准、合同文本等。",
        "Tender documents follow the Ministry of Finance's standard text and state the requirements, "
        "qualifications, pricing, evaluation method and criteria, and the draft contract.",
    ),
    ArticleSummary(
        "政府采购法实施条例 第三十三条",
        "投标保证金不超过预算的2%，以非现金形式提交；按期退还。",
        "The bid deposit is at most 2% of the budget, never in cash, and is refunded in time.",
    ),
    ArticleSummary(
        "政府采购法实施条例 第三十四条",
        "评标方法为最低评标价法或综合评分法；标准统一的货物、服务用最低评标价法。",
        "Evaluation by lowest evaluated price or comprehensive scoring; standardised goods and services use the "
        "lowest evaluated price.",
    ),
    ArticleSummary(
        "政府采购法 第三十六条、第三十七条",
        "合格或实质响应的供应商不足三家等情形应予废标并通知理由；除任务取消外重新招标，改用其他方式须批准。",
        "The tender fails when fewer than three qualified or responsive suppliers remain (among other cases), "
        "with reasons given; it is re-tendered unless cancelled, and another method needs approval.",
    ),
)
_AWARD_STEPS = (
    ArticleSummary(
        "政府采购法实施条例 第三十九条、第四十一条",
        "评审专家从专家库随机抽取；评审小组独立评审，成员在评审报告上签字，异议须写明。",
        "Experts are drawn at random from the pool; the panel evaluates independently and signs the report, "
        "dissent stated in writing.",
    ),
    ArticleSummary(
        "政府采购法实施条例 第四十三条",
        "代理机构2个工作日内送交评审报告；采购人5个工作日内按顺序确定供应商；2个工作日内发通知书并公告结果。",
        "The agent sends the report within 2 working days; the purchaser determines the supplier in ranking order "
        "within 5 working days; the letter of award and the result notice follow within 2 working days.",
    ),
    ArticleSummary(
        "政府采购法实施条例 第四十四条",
        "除财政部规定的情形外，不得组织重新评审，也不得以检测样品、考察供应商改变评审结果。",
        "No re-evaluation except where the Ministry of Finance allows it, and no change of the result by testing "
        "samples or visiting suppliers.",
    ),
    ArticleSummary(
        "政府采购法 第四十六条、第四十七条",
        "通知书发出之日起三十日内签订合同；签订之日起七个工作日内将副本报监督管理部门备案。",
        "The contract is signed within 30 days of the letter of award, and a copy filed within 7 working days of "
        "signing.",
    ),
    ArticleSummary(
        "政府采购法实施条例 第四十九条、第五十条",
        "中标、成交供应商拒签的，可按排序确定下一候选人或重新采购；合同签订之日起2个工作日内公告。",
        "If the supplier refuses to sign, the next ranked candidate may be chosen or the procurement restarted; "
        "the contract is published within 2 working days of signing.",
    ),
    ArticleSummary(
        "政府采购法 第五十二条至第五十七条；政府采购法实施条例 第五十二条至第五十八条",
        "询问3个工作日内答复；质疑7个工作日内提出、7个工作日内答复；答复期满后15个工作日内投诉；30个工作日内处理；暂停不超过三十日。",
        "Inquiries answered within 3 working days; challenges made and answered within 7 working days each; a "
        "complaint within 15 working days after the answer period; decided within 30 working days; a suspension "
        "lasts at most 30 days.",
    ),
)
_AWARD_PERIODS = (
    _P.evaluation_report,
    _P.supplier_determination,
    _P.result_notice,
    _P.contract,
    _P.contract_filing,
    _P.contract_publication,
    _P.inquiry_answer,
    _P.challenge,
    _P.challenge_answer,
    _P.complaint_lodging,
    _P.complaint_decision,
    _P.complaint_suspension,
)
_TENDER_PERIODS = (
    _P.bid_period,
    _P.prequalification_submission,
    _P.documents_on_offer,
    _P.clarification_before_deadline,
    _P.deposit_refund_unsuccessful,
    _P.deposit_refund_successful,
)
_PANEL_DEPOSIT = ArticleSummary(
    "政府采购法实施条例 第三十三条",
    "要求提交保证金的，参照招标投标保证金的上限与退还期限。",
    "A deposit, where required, follows the cap and refund periods of the bid deposit.",
)

PROCUREMENT_ARTICLES: dict[str, ProcurementMethodArticles] = {
    entry.key: entry
    for entry in (
        ProcurementMethodArticles(
            key="open",
            name_zh="公开招标",
            name_en="Open tendering",
            listed_in="政府采购法 第二十六条 第一款 第（一）项",
            use=(
                ArticleSummary(
                    "政府采购法 第二十六条",
                    "公开招标应作为政府采购的主要采购方式。",
                    "Open tendering is the main method of government procurement.",
                ),
                _APPROVAL,
                _NO_SPLITTING,
                _WORKS,
            ),
            steps=(*_TENDER_STEPS, *_AWARD_STEPS),
            periods=(*_TENDER_PERIODS, *_AWARD_PERIODS),
        ),
        ProcurementMethodArticles(
            key="invited",
            name_zh="邀请招标",
            name_en="Invited tendering",
            listed_in="政府采购法 第二十六条 第一款 第（二）项",
            use=(
                ArticleSummary(
                    "政府采购法 第二十九条",
                    "具有特殊性、只能从有限范围的供应商处采购，或公开招标费用占总价值比例过大的货物、服务。",
                    "Goods or services that only a limited range of suppliers can provide, or for which open "
                    "tendering would cost too large a share of the value.",
                ),
                _APPROVAL,
                _WORKS,
            ),
            steps=(
                ArticleSummary(
                    "政府采购法 第三十四条",
                    "从符合资格条件的供应商中随机选择三家以上，发出投标邀请书。",
                    "At least three qualified suppliers are chosen at random and sent invitations to bid.",
                ),
                *_TENDER_STEPS,
                *_AWARD_STEPS,
            ),
            periods=(*_TENDER_PERIODS, *_AWARD_PERIODS),
        ),
        ProcurementMethodArticles(
            key="negotiation",
            name_zh="竞争性谈判",
            name_en="Competitive negotiation",
            listed_in="政府采购法 第二十六条 第一款 第（三）项",
            use=(
                ArticleSummary(
                    "政府采购法 第三十条",
                    "招标失败或重新招标未能成立；技术复杂或性质特殊不能确定规格；招标时间不能满足紧急需要；不能事先算出价格总额。",
                    "A tender drew no (valid) bids or a re-tender failed; the specifications cannot be fixed; "
                    "tendering would take too long for an urgent need; the total price cannot be computed in advance.",
                ),
                ArticleSummary(
                    "政府采购法实施条例 第二十六条",
                    "紧急须为采购人不可预见或非因其拖延；不能事先计算价格总额指艺术品、专利专有技术、服务时间数量不能事先确定等。",
                    "The urgency must be unforeseeable or not caused by the purchaser's delay; an uncomputable price "
                    "means works of art, patents or know-how, or services of unknown time or quantity.",
                ),
                _APPROVAL,
                _WORKS_NOT_TENDERED,
            ),
            steps=(
                ArticleSummary(
                    "政府采购法 第三十八条",
                    "谈判小组三人以上单数、专家不少于三分之二；制定谈判文件；确定不少于三家供应商；分别谈判；最后报价，按质量服务相等且报价最低确定成交。",
                    "A panel of three or more (odd, experts at least two thirds) writes the documents, invites at "
                    "least three suppliers, negotiates with each separately, asks for final quotations, and the "
                    "lowest price meeting the requirements wins.",
                ),
                ArticleSummary(
                    "政府采购法实施条例 第三十条",
                    "谈判文件公开采购项目预算金额。",
                    "The negotiation documents disclose the budget.",
                ),
                _PANEL_DEPOSIT,
                ArticleSummary(
                    "政府采购法实施条例 第三十五条",
                    "需供应商提供方案的，谈判结束后投票推荐3家以上供应商的方案，并要求其提交最后报价。",
                    "Where suppliers propose the design or solution, the panel votes for at least three proposals "
                    "after the negotiation and asks those suppliers for final quotations.",
                ),
                ArticleSummary(
                    "政府采购法实施条例 第三十七条",
                    "质量和服务相等，指均满足采购文件的实质性要求。",
                    "'Equal quality and service' means meeting every substantive requirement of the documents.",
                ),
                *_AWARD_STEPS,
            ),
            periods=(_P.deposit_refund_unsuccessful, _P.deposit_refund_successful, *_AWARD_PERIODS),
        ),
        ProcurementMethodArticles(
            key="single_source",
            name_zh="单一来源采购",
            name_en="Single-source procurement",
            listed_in="政府采购法 第二十六条 第一款 第（四）项",
            use=(
                ArticleSummary(
                    "政府采购法 第三十一条",
                    "只能从唯一供应商处采购；不可预见的紧急情况；为保持一致或配套向原供应商添购且不超过原合同金额百分之十。",
                    "Only one supplier can provide it; an unforeseeable emergency; or an addition from the original "
                    "supplier for consistency, at most 10% of the original contract.",
                ),
                ArticleSummary(
                    "政府采购法实施条例 第二十七条",
                    "唯一供应商指因不可替代的专利、专有技术或公共服务的特殊要求只能向特定供应商采购。",
                    "'Only one supplier' means an irreplaceable patent or know-how, or a public service's special "
                    "requirement.",
                ),
                _APPROVAL,
                _WORKS_NOT_TENDERED,
            ),
            steps=(
                ArticleSummary(
                    "政府采购法 第三十九条",
                    "在保证质量、双方商定合理价格的基础上采购。",
                    "The purchase is made at an agreed reasonable price with the quality assured.",
                ),
                ArticleSummary(
                    "政府采购法实施条例 第三十八条",
                    "达到公开招标数额标准且只能从唯一供应商处采购的，公示项目信息和供应商名称不少于5个工作日。",
                    "At or above the open-tendering threshold, when only one supplier can provide it, the project and "
                    "the supplier's name are publicised for at least 5 working days.",
                ),
                ArticleSummary(
                    "政府采购法实施条例 第十八条",
                    "为项目提供设计、规范编制、管理、监理、检测等服务的供应商不得参加其他采购活动，单一来源采购除外。",
                    "A supplier that designed, specified, managed, supervised or tested the project may not take part "
                    "in its other procurements, except in single-source procurement.",
                ),
                *_AWARD_STEPS,
            ),
            periods=(_P.sole_supplier_publicity, *_AWARD_PERIODS),
        ),
        ProcurementMethodArticles(
            key="rfq",
            name_zh="询价",
            name_en="Request for quotation",
            listed_in="政府采购法 第二十六条 第一款 第（五）项",
            use=(
                ArticleSummary(
                    "政府采购法 第三十二条",
                    "规格、标准统一、现货货源充足且价格变化幅度小的项目。",
                    "Items of uniform specification and standard, readily in stock, whose price varies little.",
                ),
                _APPROVAL,
            ),
            steps=(
                ArticleSummary(
                    "政府采购法 第四十条",
                    "询价小组三人以上单数、专家不少于三分之二；确定不少于三家供应商；一次报出不得更改的价格；按质量服务相等且报价最低确定成交。",
                    "A panel of three or more (odd, experts at least two thirds) asks at least three suppliers for "
                    "one price each that may not be changed; the lowest price meeting the requirements wins.",
                ),
                ArticleSummary(
                    "政府采购法实施条例 第三十条、第三十六条",
                    "询价通知书公开预算，并确定合同条款；询价中不得改变这些条款。",
                    "The request for quotation discloses the budget and fixes the contract terms, which may not be "
                    "changed during the quotation.",
                ),
                _PANEL_DEPOSIT,
                ArticleSummary(
                    "政府采购法实施条例 第三十七条",
                    "质量和服务相等，指均满足采购文件的实质性要求。",
                    "'Equal quality and service' means meeting every substantive requirement of the documents.",
                ),
                *_AWARD_STEPS,
            ),
            periods=(_P.deposit_refund_unsuccessful, _P.deposit_refund_successful, *_AWARD_PERIODS),
        ),
    )
}
