"""The procedure registry (DESIGN §5, STYLE 7): each procedure is data — its stages, statutory periods, evaluation
methods and decryption rules — so that a new procedure is a new entry, not a new branch in every function.

A rule that changes is a new version of the entry, never a date test in code. Every period names its article.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from ggzy.core.errors import DomainError
from ggzy.core.periods import DayCount, StatutoryPeriod, statutory_period
from ggzy.core.trade_types import ProcurementCategory, TradeType
from ggzy.tendering.procurement_periods import CONSULTATION_PERIODS, PROCUREMENT_PERIODS
from ggzy.tendering.stages import (
    QUOTATION_STEPS,
    WITH_PUBLICITY,
    WITHOUT_PUBLICITY,
    Stage,
    Step,
    Transition,
    transition,
)


class Method(StrEnum):
    LOWEST_PRICE = "lowest_price"  # 经评审的最低投标价法
    SCORING = "scoring"  # 综合评估法 (综合评分法)
    HIGHEST_PRICE = "highest_price"  # 价高者得: a rights trade's deposit round (RIGHTS), sold by the auctions domain


@dataclass(frozen=True)
class Periods:
    """The statutory periods of a procedure, each declared once with its article in the period registry
    (:mod:`ggzy.core.periods`) and counted by its one arithmetic (民法典 第201条, 第203条)."""

    bid_period: StatutoryPeriod  # 招标投标法 第24条: at least 20 days from documents issued to the bid deadline
    documents_on_offer: StatutoryPeriod  # 招标投标法实施条例 第16条: documents on offer at least 5 days
    clarification_before_deadline: StatutoryPeriod  # 招标投标法 第23条, 实施条例 第21条: 15 days, or the deadline moves
    objection_answer: StatutoryPeriod  # 实施条例 第22条: answered within 3 days, the procedure paused meanwhile
    contract: StatutoryPeriod  # 招标投标法 第46条: contract within 30 days of the letter of award
    # 招标投标法实施条例 第22条: objections to the documents until 10 days before the deadline (None: another rule)
    objection_before_deadline: StatutoryPeriod | None = None
    # 政府采购法 第52条, 实施条例 第53条: a challenge (质疑) within 7 working days of knowing
    challenge: StatutoryPeriod | None = None
    publicity_start: StatutoryPeriod | None = None  # 实施条例 第54条: within 3 days of receiving the report
    publicity: StatutoryPeriod | None = None  # 实施条例 第54条: candidates publicised at least 3 days
    result_objection_answer: StatutoryPeriod | None = None  # 实施条例 第54条: answered within 3 days
    supplier_determination: StatutoryPeriod | None = None  # 政府采购法实施条例 第43条: 5 working days
    result_notice: StatutoryPeriod | None = None  # 政府采购法实施条例 第43条: letters and notice within 2 working days
    contract_publication: StatutoryPeriod | None = None  # 政府采购法实施条例 第50条: within 2 working days
    sole_supplier_publicity: StatutoryPeriod | None = None  # 政府采购法实施条例 第38条: at least 5 working days


def needed(period: StatutoryPeriod | None) -> StatutoryPeriod:
    """A period the caller's step implies the procedure has (the lifecycle let the step through)."""
    if period is None:
        raise AssertionError("this procedure has no such period; the lifecycle should have refused the step")
    return period


@dataclass(frozen=True)
class OpeningRule:
    """When a lot fails at its opening.

    招标投标法实施条例 第44条 第2款 (and 招标投标法 第28条) counts the *bidders* at the deadline: fewer than
    ``minimum_bidders`` and the bids are not opened, the lot is re-tendered. A bid that then fails to decrypt is
    treated as revoked or withdrawn (电子招标投标办法 第三十一条) and the other bids are opened all the same.

    Some centres' rules for remote opening go further and fail the lot when fewer than 3 bids *decrypt*. That is
    stricter than 第44条, so it is never the default: a procedure sets ``minimum_decrypted`` only together with
    ``minimum_decrypted_source``, the local rule it comes from.
    """

    minimum_bidders: int = 3
    minimum_decrypted: int | None = None
    minimum_decrypted_source: str | None = None

    def __post_init__(self) -> None:
        if (self.minimum_decrypted is None) != (self.minimum_decrypted_source is None):
            raise ValueError("a stricter count of decrypted bids needs its source, and a source needs the count")


@dataclass(frozen=True)
class Committee:
    """招标投标法 第37条: five or more members, an odd number, experts at least two thirds. ``article`` names the
    rule a procedure's committee (or panel, 小组) follows."""

    minimum_members: int = 5
    odd: bool = True
    expert_share_numerator: int = 2
    expert_share_denominator: int = 3
    article: str = "招标投标法 第三十七条"


@dataclass(frozen=True)
class Invitations:
    """Whom a procedure by invitation invites: how many, and the article that says so."""

    minimum: int = 0
    maximum: int | None = None
    article: str = ""

    def allows(self, count: int) -> bool:
        return count >= self.minimum and (self.maximum is None or count <= self.maximum)

    @property
    def expected_zh(self) -> str:
        if self.maximum == self.minimum:
            return f"{self.minimum}家供应商（唯一供应商）" if self.minimum == 1 else f"{self.minimum}家"
        return f"{self.minimum}家以上的潜在投标人（供应商）"

    @property
    def expected_en(self) -> str:
        if self.maximum == self.minimum:
            return "exactly its one supplier" if self.minimum == 1 else f"exactly {self.minimum}"
        return f"at least {self.minimum} potential bidders (suppliers)"


@dataclass(frozen=True)
class Competition:
    """How many valid bids must be left after the evaluation for the round to stand.

    招标投标法 第42条: when every bid is rejected the owner re-tenders (one valid bid lets the round stand);
    政府采购法 第36条 (一): fewer than three responsive suppliers and the procurement is 废标, re-run by 第37条.
    """

    minimum_valid_bids: int = 1
    article: str = "招标投标法 第四十二条"


@dataclass(frozen=True)
class Decryption:
    """Who can open a sealed bid: its bidder (remote decryption), or k of the n custodians where allowed."""

    custodians_may_open: bool
    custodians_required: int  # k
    custodians_total: int  # n
    window_minutes: int  # the bidders' decryption window after the opening starts


@dataclass(frozen=True)
class Law:
    """The law a procedure runs under, picked by the project's trade type (DESIGN §5)."""

    key: str
    name_zh: str
    name_en: str
    article_zh: str  # the article that lists its procedures
    trade_types: frozenset[TradeType]


TENDERING_LAW = Law(
    key="tendering_law",
    name_zh="招标投标法",
    name_en="Tendering and Bidding Law",
    article_zh="招标投标法 第十条",
    # 招标投标法 第2条: tendering within China; 第3条: construction projects must be tendered
    trade_types=frozenset({TradeType.CONSTRUCTION, TradeType.OTHER}),
)
PROCUREMENT_LAW = Law(
    key="procurement_law",
    name_zh="政府采购法",
    name_en="Government Procurement Law",
    article_zh="政府采购法 第二十六条",
    trade_types=frozenset({TradeType.GOV_PROCUREMENT}),
)
# Land, mining and state-owned property rights are sold by listing or auction to the highest bidder (the auctions
# domain, decision 0049); their round here only holds the bidders' deposits (decision 0051)
RIGHTS_TRADING = Law(
    key="rights_trading",
    name_zh="挂牌、拍卖交易规则",
    name_en="Listing and auction rules",
    article_zh="拍卖法 第三条；企业国有资产法 第五十四条",
    trade_types=frozenset({TradeType.LAND, TradeType.MINING, TradeType.PROPERTY}),
)


@dataclass(frozen=True)
class Procedure:
    key: str
    version: int
    name_zh: str
    name_en: str
    by_invitation: bool  # 邀请招标: only invited bidders may register
    law: Law
    transitions: tuple[Transition, ...]
    periods: Periods
    opening: OpeningRule
    committee: Committee
    methods: tuple[Method, ...]
    decryption: Decryption
    competition: Competition = Competition()
    invitations: Invitations = Invitations()
    # 政府采购法 第40条 (三): each supplier quotes once, a price it cannot change: no replacement, no withdrawal
    single_quotation: bool = False
    # 招标 (公开招标, 邀请招标), not one of the other methods: under 政府采购 it decides the law for works and the goods
    # and services related to construction (政府采购法实施条例 第7条 第1款)
    by_tendering: bool = False
    # 竞争性谈判, 竞争性磋商: rounds of sealed quotations during the evaluation, the last one final; the evaluation
    # ranks by each supplier's final quotation (政府采购法 第38条 (五)); the article that says so
    quotation_rounds: str | None = None
    basis_zh: str = ""  # the articles that make this procedure, for pages and errors

    def transition(self, step: Step) -> Transition | None:
        for found in self.transitions:
            if found.step == step:
                return found
        return None

    def has(self, step: Step) -> bool:
        return self.transition(step) is not None

    @property
    def stages(self) -> tuple[Stage, ...]:
        """The stages a round of this procedure passes through on its way to a contract, in order."""
        order = list(Stage)
        reached = {target for found in self.transitions for target in found.targets} | {Stage.DRAFT}
        on_the_way = reached - {Stage.FAILED, Stage.CANCELLED}
        if any(Stage.PUBLISHED in found.sources for found in self.transitions):
            on_the_way.add(Stage.CLOSED)  # derived from the clock (DESIGN §5)
        return tuple(stage for stage in order if stage in on_the_way)


class ProcedureUnknown(DomainError):
    code = "procedure_unknown"
    status = 422
    message_zh = "不支持的招标方式 {key}（可选：{choices}）"
    message_en = "Unknown procedure {key} (choose from {choices})"


_TENDER_PERIODS = Periods(
    bid_period=statutory_period(
        "tender.bid_period",
        name_zh="自招标文件开始发出之日起至投标截止之日止",
        name_en="From the issue of the tender documents to the bid deadline",
        length=20,
        unit=DayCount.DAYS,
        article="招标投标法 第二十四条",
    ),
    documents_on_offer=statutory_period(
        "tender.documents_on_offer",
        name_zh="招标文件发售期",
        name_en="Tender documents on offer",
        length=5,
        unit=DayCount.DAYS,
        article="招标投标法实施条例 第十六条",
    ),
    clarification_before_deadline=statutory_period(
        "tender.clarification_before_deadline",
        name_zh="澄清或者修改至投标截止时间",
        name_en="From a clarification or amendment to the bid deadline",
        length=15,
        unit=DayCount.DAYS,
        article="招标投标法 第二十三条；招标投标法实施条例 第二十一条",
    ),
    objection_before_deadline=statutory_period(
        "tender.documents_objection_before_deadline",
        name_zh="对招标文件的异议至投标截止时间",
        name_en="From an objection to the tender documents to the bid deadline",
        length=10,
        unit=DayCount.DAYS,
        article="招标投标法实施条例 第二十二条",
    ),
    objection_answer=statutory_period(
        "tender.documents_objection_answer",
        name_zh="招标人答复对招标文件的异议",
        name_en="The owner answers an objection to the tender documents",
        length=3,
        unit=DayCount.DAYS,
        article="招标投标法实施条例 第二十二条",
    ),
    publicity_start=statutory_period(
        "award.publicity_start",
        name_zh="自收到评标报告之日起公示中标候选人",
        name_en="The candidates are publicised after the evaluation report is received",
        length=3,
        unit=DayCount.DAYS,
        article="招标投标法实施条例 第五十四条",
    ),
    publicity=statutory_period(
        "award.publicity",
        name_zh="中标候选人公示期",
        name_en="The publicity of the candidates",
        length=3,
        unit=DayCount.DAYS,
        article="招标投标法实施条例 第五十四条",
    ),
    result_objection_answer=statutory_period(
        "award.result_objection_answer",
        name_zh="招标人答复对评标结果的异议",
        name_en="The owner answers an objection to the evaluation result",
        length=3,
        unit=DayCount.DAYS,
        article="招标投标法实施条例 第五十四条",
    ),
    contract=statutory_period(
        "award.contract",
        name_zh="自中标通知书发出之日起订立书面合同",
        name_en="The contract is signed after the letter of award",
        length=30,
        unit=DayCount.DAYS,
        article="招标投标法 第四十六条",
    ),
)

_DECRYPTION = Decryption(custodians_may_open=True, custodians_required=2, custodians_total=3, window_minutes=30)

OPEN = Procedure(
    key="open",
    version=1,
    by_tendering=True,
    name_zh="公开招标",
    name_en="Open tendering",
    by_invitation=False,
    law=TENDERING_LAW,
    transitions=WITH_PUBLICITY,
    periods=_TENDER_PERIODS,
    opening=OpeningRule(),
    committee=Committee(),
    methods=(Method.LOWEST_PRICE, Method.SCORING),
    decryption=_DECRYPTION,
)

INVITED = Procedure(
    key="invited",
    version=1,
    by_tendering=True,
    name_zh="邀请招标",
    name_en="Invited tendering",
    by_invitation=True,
    invitations=Invitations(minimum=3, article="招标投标法 第十七条"),
    law=TENDERING_LAW,
    transitions=WITH_PUBLICITY,
    periods=_TENDER_PERIODS,
    opening=OpeningRule(),
    committee=Committee(),
    methods=(Method.LOWEST_PRICE, Method.SCORING),
    decryption=_DECRYPTION,
)

_PROCUREMENT = PROCUREMENT_PERIODS
_PROCUREMENT_TENDER_PERIODS = Periods(
    bid_period=_PROCUREMENT.bid_period,
    documents_on_offer=_PROCUREMENT.documents_on_offer,
    clarification_before_deadline=_PROCUREMENT.clarification_before_deadline,
    objection_answer=_PROCUREMENT.challenge_answer,
    contract=_PROCUREMENT.contract,
    challenge=_PROCUREMENT.challenge,
    supplier_determination=_PROCUREMENT.supplier_determination,
    result_notice=_PROCUREMENT.result_notice,
    contract_publication=_PROCUREMENT.contract_publication,
)
# 政府采购法 第36条 (一), 第37条: fewer than three responsive suppliers and the round fails, to be re-run
_PROCUREMENT_COMPETITION = Competition(minimum_valid_bids=3, article="政府采购法 第三十六条")
# 政府采购法 第38条 (一), 第40条 (一): a team or panel of three or more, an odd number, experts two thirds at least
_PROCUREMENT_PANEL = Committee(minimum_members=3, article="政府采购法 第三十八条、第四十条")
# The size of a procurement tender's evaluation committee is set by rules of the Ministry of Finance that are not
# among the law texts this project holds; the committee of 招标投标法 第37条 (five or more) is kept, which is never
# smaller than what those rules allow, and is named as such.
_PROCUREMENT_TENDER_COMMITTEE = Committee(article="招标投标法 第三十七条 (kept for 政府采购 tenders)")

GP_OPEN = Procedure(
    key="gp_open",
    version=1,
    by_tendering=True,
    name_zh="公开招标（政府采购）",
    name_en="Open tendering (government procurement)",
    by_invitation=False,
    law=PROCUREMENT_LAW,
    transitions=WITHOUT_PUBLICITY,
    periods=_PROCUREMENT_TENDER_PERIODS,
    opening=OpeningRule(),
    committee=_PROCUREMENT_TENDER_COMMITTEE,
    methods=(Method.LOWEST_PRICE, Method.SCORING),  # 政府采购法实施条例 第34条
    decryption=_DECRYPTION,
    competition=_PROCUREMENT_COMPETITION,
    basis_zh="政府采购法 第二十六条；政府采购法实施条例 第三十四条",
)

GP_INVITED = Procedure(
    key="gp_invited",
    version=1,
    by_tendering=True,
    name_zh="邀请招标（政府采购）",
    name_en="Invited tendering (government procurement)",
    by_invitation=True,
    invitations=Invitations(minimum=3, article="政府采购法 第三十四条"),
    law=PROCUREMENT_LAW,
    transitions=WITHOUT_PUBLICITY,
    periods=_PROCUREMENT_TENDER_PERIODS,
    opening=OpeningRule(),
    committee=_PROCUREMENT_TENDER_COMMITTEE,
    methods=(Method.LOWEST_PRICE, Method.SCORING),
    decryption=_DECRYPTION,
    competition=_PROCUREMENT_COMPETITION,
    basis_zh="政府采购法 第二十九条、第三十四条",
)

RFQ = Procedure(
    key="rfq",
    version=1,
    name_zh="询价",
    name_en="Request for quotations",
    by_invitation=True,
    invitations=Invitations(minimum=3, article="政府采购法 第四十条"),
    law=PROCUREMENT_LAW,
    transitions=tuple(found for found in WITHOUT_PUBLICITY if found.step != Step.WITHDRAW_BID),
    periods=_PROCUREMENT_TENDER_PERIODS,
    opening=OpeningRule(),
    committee=_PROCUREMENT_PANEL,
    methods=(Method.LOWEST_PRICE,),  # 政府采购法 第40条 (四): the lowest price among those that meet the need
    decryption=_DECRYPTION,
    competition=_PROCUREMENT_COMPETITION,
    single_quotation=True,
    basis_zh="政府采购法 第三十二条、第四十条",
)

SINGLE_SOURCE = Procedure(
    key="single_source",
    version=1,
    name_zh="单一来源采购",
    name_en="Single-source procurement",
    by_invitation=True,
    invitations=Invitations(minimum=1, maximum=1, article="政府采购法 第三十一条"),
    law=PROCUREMENT_LAW,
    transitions=(
        *WITHOUT_PUBLICITY,
        transition(Step.PUBLICISE_SOLE_SUPPLIER, {Stage.DRAFT}, (), "公示唯一供应商", "publicise its sole supplier"),
        transition(
            Step.OBJECT_TO_SOLE_SUPPLIER,
            {Stage.DRAFT},
            (),
            "受理对唯一供应商公示的异议",
            "take objections to its sole supplier's publicity",
        ),
    ),
    periods=replace(_PROCUREMENT_TENDER_PERIODS, sole_supplier_publicity=_PROCUREMENT.sole_supplier_publicity),
    opening=OpeningRule(minimum_bidders=1),  # one supplier by definition (第31条)
    # 政府采购法 第39条: the purchaser and the supplier agree a reasonable price; the law sizes no panel
    committee=Committee(minimum_members=1, odd=False, expert_share_numerator=0, article="政府采购法 第三十九条"),
    methods=(Method.LOWEST_PRICE,),
    decryption=_DECRYPTION,
    competition=Competition(minimum_valid_bids=1, article="政府采购法 第三十九条"),
    basis_zh="政府采购法 第三十一条、第三十九条；政府采购法实施条例 第三十八条",
)

# 竞争性谈判 and 竞争性磋商: the response documents are sealed bids opened as a tender's; during the evaluation the
# panel negotiates and calls rounds of sealed quotations, the last one final, all under the same custodians' keys.
_QUOTATION_TRANSITIONS = (*WITHOUT_PUBLICITY, *QUOTATION_STEPS)
# No law text sizes the competition of a negotiation after it: 政府采购法 第38条 (三) makes it one of three
# suppliers at least, and 第36条 (一) fails a procurement with fewer than three responsive suppliers. The registry
# applies the same count to the suppliers left with a valid final quotation. (The consultation measures allow two
# suppliers in some projects; that article was not read, so the count stays three.)
_NEGOTIATION_COMPETITION = Competition(minimum_valid_bids=3, article="政府采购法 第三十八条 第（三）项、第三十六条")

NEGOTIATION = Procedure(
    key="negotiation",
    version=1,
    name_zh="竞争性谈判",
    name_en="Competitive negotiation",
    by_invitation=True,
    invitations=Invitations(minimum=3, article="政府采购法 第三十八条 第（三）项"),
    law=PROCUREMENT_LAW,
    transitions=_QUOTATION_TRANSITIONS,
    # Neither law text sets a negotiation's periods (procurement_periods): a procurement tender's are kept
    periods=_PROCUREMENT_TENDER_PERIODS,
    opening=OpeningRule(),
    committee=Committee(minimum_members=3, article="政府采购法 第三十八条 第（一）项"),
    # 第38条 (五): equal quality and service (实施条例 第37条: every substantive requirement met), the lowest price
    methods=(Method.LOWEST_PRICE,),
    decryption=_DECRYPTION,
    competition=_NEGOTIATION_COMPETITION,
    quotation_rounds="政府采购法 第三十八条 第（五）项",
    basis_zh="政府采购法 第三十条、第三十八条；政府采购法实施条例 第三十五条、第三十七条",
)

CONSULTATION = Procedure(
    key="consultation",
    version=1,
    name_zh="竞争性磋商",
    name_en="Competitive consultation",
    by_invitation=False,
    law=PROCUREMENT_LAW,
    transitions=_QUOTATION_TRANSITIONS,
    periods=replace(
        _PROCUREMENT_TENDER_PERIODS,
        bid_period=CONSULTATION_PERIODS.response_period,
        documents_on_offer=CONSULTATION_PERIODS.documents_on_offer,
        clarification_before_deadline=CONSULTATION_PERIODS.clarification_before_deadline,
    ),
    opening=OpeningRule(),
    # The panel (磋商小组) of three or more: the measures' article on it was not read; the panel of 政府采购法
    # 第38条 (一) is applied, which is what the measures take over
    committee=Committee(minimum_members=3, article="政府采购法 第三十八条 第（一）项 (applied to 磋商小组)"),
    methods=(Method.SCORING,),  # 综合评分法 on the final quotations
    decryption=_DECRYPTION,
    competition=_NEGOTIATION_COMPETITION,
    quotation_rounds="政府采购法 第三十八条 第（五）项 (applied to 竞争性磋商)",
    basis_zh="政府采购法 第二十六条 第一款 第（六）项；政府采购竞争性磋商采购方式管理暂行办法 第十条",
)

# 竞买保证金轮次 (decision 0051): the round of a land, mining or property project whose listing or auction (the
# auctions domain) admits bidders on a deposit paid into their own sub-account by its deadline. It is published, then
# only holds deposits: no registration, no bid, no opening, no evaluation, no award of its own; it may be terminated.
# Its deadline is the deposit's; the auction's own registry entry keeps the notice periods of the sale.
RIGHTS_DEPOSIT_PERIOD = statutory_period(
    "rights.deposit_round",
    name_zh="竞买保证金轮次自发布至保证金交纳截止",
    name_en="From a rights trade's deposit round's notice to its deposit deadline",
    length=1,
    unit=DayCount.DAYS,
    article="交易中心规则（国家土地、矿业权及产权交易规定，本项目未收录其文本）",
)
RIGHTS = Procedure(
    key="rights",
    version=1,
    name_zh="挂牌、拍卖（竞买保证金）",
    name_en="Listing or auction (bid deposits)",
    by_invitation=False,
    law=RIGHTS_TRADING,
    transitions=tuple(
        found for found in WITH_PUBLICITY if found.step in (Step.ATTACH_DOCUMENTS, Step.PUBLISH, Step.TERMINATE)
    ),
    periods=replace(_TENDER_PERIODS, bid_period=RIGHTS_DEPOSIT_PERIOD),
    opening=OpeningRule(minimum_bidders=1),
    committee=Committee(minimum_members=1, odd=False, expert_share_numerator=0, article=RIGHTS_TRADING.article_zh),
    methods=(Method.HIGHEST_PRICE,),
    decryption=_DECRYPTION,
    basis_zh="拍卖法 第三条；企业国有资产法 第五十四条",
)

PROCEDURES: dict[str, Procedure] = {
    procedure.key: procedure
    for procedure in (OPEN, INVITED, GP_OPEN, GP_INVITED, RFQ, SINGLE_SOURCE, NEGOTIATION, CONSULTATION, RIGHTS)
}
TENDER_METHODS = (Method.LOWEST_PRICE, Method.SCORING)  # the evaluation methods a tender may choose


def procedure(key: str) -> Procedure:
    try:
        return PROCEDURES[key]
    except KeyError:
        raise ProcedureUnknown(field="procedure", key=key, choices=", ".join(sorted(PROCEDURES))) from None


class ProcedureNotForTradeType(DomainError):
    code = "procedure_not_for_trade_type"
    status = 422
    message_zh = "{trade_type_zh}项目适用{law_zh}，不能采用“{procedure_zh}”（可选：{choices}）"
    message_en = (
        "A {trade_type_en} project runs under the {law_en}: it cannot use {procedure_en} (choose from {choices})"
    )


class NoTenderProcedure(DomainError):
    code = "no_tender_procedure"
    status = 422
    message_zh = (
        "{trade_type_zh}以挂牌、拍卖等方式出让或转让，价高者得，不适用招标采购程序（取得最低价者中标）；"
        "请设立竞买保证金轮次（rights）后发布挂牌或拍卖"
    )
    message_en = (
        "{trade_type_en} are sold by listing or auction to the highest bidder, not by a tender procedure that "
        "awards the lowest price; create a deposit round (rights) and list or auction it"
    )


class ProcedureNotForCategory(DomainError):
    code = "procedure_not_for_category"
    status = 422
    message_zh = (
        "政府采购{category_zh}采用招标方式的，适用招标投标法及其实施条例；采用其他方式的，适用政府采购法"
        "（政府采购法实施条例 第七条）：不能采用“{procedure_zh}”（可选：{choices}）"
    )
    message_en = (
        "Government procurement of {category_en} follows the Tendering and Bidding Law and its Regulations when "
        "tendered, the Government Procurement Law otherwise (GPL Implementing Regulations art. 7): it cannot use "
        "{procedure_en} (choose from {choices})"
    )


def _construction_under_procurement(trade_type: TradeType, category: ProcurementCategory | None) -> bool:
    return trade_type == TradeType.GOV_PROCUREMENT and category is not None and category.construction


def procedures_for(trade_type: TradeType, category: ProcurementCategory | None = None) -> list[Procedure]:
    """The procedures the law of ``trade_type`` allows (DESIGN §5: the trade type picks the law). Government
    procurement of works, or of goods or services related to construction (``category``), is tendered under
    招标投标法 and procured by the other methods under 政府采购法 (政府采购法实施条例 第7条 第1款)."""
    if _construction_under_procurement(trade_type, category):
        return [
            chosen
            for chosen in PROCEDURES.values()
            if (chosen.law == TENDERING_LAW and chosen.by_tendering)
            or (chosen.law == PROCUREMENT_LAW and not chosen.by_tendering)
        ]
    return [chosen for chosen in PROCEDURES.values() if trade_type in chosen.law.trade_types]


def procedure_for(
    trade_type: TradeType, key: str, *, category: ProcurementCategory | None = None, field: str = "procedure"
) -> Procedure:
    """The procedure ``key`` if the law of ``trade_type`` (and, under 政府采购, of what the project procures:
    政府采购法实施条例 第7条) allows it; a clear refusal otherwise."""
    chosen = procedure(key)  # an unknown key is ProcedureUnknown, whatever the trade type
    allowed = procedures_for(trade_type, category)
    if not allowed or (chosen not in allowed and all(item.law == RIGHTS_TRADING for item in allowed)):
        raise NoTenderProcedure(field=field, trade_type_zh=trade_type.label_zh, trade_type_en=trade_type.label_en)
    if chosen not in allowed and category is not None and _construction_under_procurement(trade_type, category):
        raise ProcedureNotForCategory(
            field=field, category_zh=category.label_zh, category_en=category.label_en, procedure_zh=chosen.name_zh,
            procedure_en=chosen.name_en, choices=", ".join(item.key for item in allowed),
        )  # fmt: skip
    if chosen not in allowed:
        law = allowed[0].law
        raise ProcedureNotForTradeType(
            field=field,
            trade_type_zh=trade_type.label_zh,
            trade_type_en=trade_type.label_en.lower(),
            law_zh=law.name_zh,
            law_en=law.name_en,
            procedure_zh=chosen.name_zh,
            procedure_en=chosen.name_en,
            choices=", ".join(item.key for item in allowed),
        )
    return chosen
