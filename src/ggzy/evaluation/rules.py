"""The rules of evaluation as pure functions (STYLE 4): price scores, qualification by majority, ceiling-price
rejection, score-sheet checks and the two rankings. Scores are ``Decimal`` rounded half up to 2 places.

- 政府采购货物和服务招标投标管理办法 第55条 (低价优先法): the lowest valid price is the base; a bid's price score is
  base ÷ price × the price weight.
- Construction (a common provincial rule, e.g. 综合评估法 of the provinces' standard documents): the base is the mean
  of the valid prices × (1 − K); a price above the base loses ``deduction_above`` points per 1 % of deviation, a price
  below it ``deduction_below`` per 1 % (proportionally for fractions of a per cent), floored at 0.
- 招标投标法实施条例 第51条: the grounds on which the committee rejects a bid (否决投标); (五) a price above the
  ceiling price is rejected automatically, and so are bids 第34条第2款 bars together (void under its 第3款).
- 评标委员会和评标方法暂行规定 第29-31条 and 第32-35条: the lowest evaluated price method ranks by price, the
  comprehensive scoring method by total score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ggzy.core.errors import DomainError, InvalidInput

TWO_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)


class PriceFormula(StrEnum):
    LOWEST_BASE = "lowest_base"  # 政府采购货物和服务招标投标管理办法 第55条: 低价优先
    MEAN_BASE = "mean_base"  # construction: mean of valid prices × (1 − K)


# 招标投标法实施条例 第51条: the committee shall reject a bid (应当否决其投标) that…
REJECTION_GROUNDS: dict[str, tuple[str, str]] = {
    "unsigned_or_unsealed": ("（一）投标文件未经投标单位盖章和单位负责人签字", "(1) not sealed and signed"),
    "consortium_agreement_missing": ("（二）投标联合体没有提交共同投标协议", "(2) no consortium agreement"),
    "bidder_unqualified": ("（三）投标人不符合国家或者招标文件规定的资格条件", "(3) bidder not qualified"),
    "multiple_bids": ("（四）同一投标人提交两个以上不同的投标文件或者投标报价", "(4) more than one bid or price"),
    "price_below_cost": ("（五）投标报价低于成本", "(5) price below cost"),
    "price_above_ceiling": ("（五）投标报价高于招标文件设定的最高投标限价", "(5) price above the ceiling price"),
    "not_responsive": ("（六）投标文件没有对招标文件的实质性要求和条件作出响应", "(6) not substantially responsive"),
    "collusion_or_fraud": ("（七）投标人有串通投标、弄虚作假、行贿等违法行为", "(7) collusion, fraud or bribery"),
    # 实施条例 第34条 makes these bidders ineligible, so they fail (三); 第34条第3款: 相关投标均无效
    "related_bidders": (
        "（三）单位负责人为同一人或者存在控股、管理关系的不同单位参加同一标段投标（实施条例 第三十四条第二款）",
        "(3) bidders with the same person in charge or a control or management relation on one lot (art. 34(2))",
    ),
    "interest_in_owner": (
        "（三）与招标人存在利害关系可能影响招标公正性（实施条例 第三十四条第一款）",
        "(3) an interest in the owner that may affect the fairness of the tender (art. 34(1))",
    ),
}


class ScoreAboveMaximum(DomainError):
    code = "score_above_maximum"
    status = 422
    message_zh = "评分项“{criterion}”的得分 {score} 超过该项满分 {maximum}"
    message_en = "The score {score} of criterion {criterion} is above its maximum of {maximum} points"


@dataclass(frozen=True)
class Criterion:
    """A non-price criterion of the scoring scheme (技术、商务 …) and its maximum points."""

    key: str
    name: str
    max_points: Decimal


@dataclass(frozen=True)
class Scheme:
    """How the tender's bids are evaluated: qualification criteria, scored criteria and the price score."""

    qualification_criteria: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    price_weight: Decimal
    price_formula: PriceFormula
    k_percent: Decimal = Decimal(0)
    deduction_above: Decimal = Decimal(1)
    deduction_below: Decimal = Decimal("0.5")


def round_score(value: Decimal) -> Decimal:
    """Half up to 2 places (0.125 → 0.13), the rounding of the scoring rules, never banker's rounding."""
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def lowest_base_score(*, price_fen: int, base_fen: int, weight: Decimal) -> Decimal:
    """政府采购货物和服务招标投标管理办法 第55条: (评标基准价 ÷ 投标报价) × 价格权值; the base is the lowest price."""
    return round_score(Decimal(base_fen) / Decimal(price_fen) * weight)


def lowest_base_scores(prices: Mapping[int, int], *, weight: Decimal) -> dict[int, Decimal]:
    """Price scores of the valid bids (bid id → price in fen) by the lowest-price base."""
    if not prices:
        return {}
    base = min(prices.values())
    return {bid: lowest_base_score(price_fen=price, base_fen=base, weight=weight) for bid, price in prices.items()}


def mean_base_price(prices: Sequence[int], *, k_percent: Decimal) -> Decimal:
    """The construction base price: the mean of the valid prices × (1 − K %), unrounded (in fen)."""
    return Decimal(sum(prices)) / Decimal(len(prices)) * (1 - k_percent / HUNDRED)


def mean_base_score(
    *, price_fen: int, base: Decimal, weight: Decimal, deduction_above: Decimal, deduction_below: Decimal
) -> Decimal:
    """Weight less the deduction for the deviation from the base, in per cent of the base; never below 0."""
    deviation_percent = (Decimal(price_fen) - base) / base * HUNDRED
    per_percent = deduction_above if deviation_percent > 0 else deduction_below
    score = weight - abs(deviation_percent) * per_percent
    return round_score(max(score, Decimal(0)))


def mean_base_scores(
    prices: Mapping[int, int],
    *,
    weight: Decimal,
    k_percent: Decimal,
    deduction_above: Decimal,
    deduction_below: Decimal,
) -> dict[int, Decimal]:
    if not prices:
        return {}
    base = mean_base_price(list(prices.values()), k_percent=k_percent)
    return {
        bid: mean_base_score(
            price_fen=price, base=base, weight=weight, deduction_above=deduction_above, deduction_below=deduction_below
        )
        for bid, price in prices.items()
    }


def price_scores(scheme: Scheme, prices: Mapping[int, int]) -> dict[int, Decimal]:
    """The price score of each valid bid by the scheme's formula."""
    if scheme.price_formula == PriceFormula.LOWEST_BASE:
        return lowest_base_scores(prices, weight=scheme.price_weight)
    return mean_base_scores(
        prices,
        weight=scheme.price_weight,
        k_percent=scheme.k_percent,
        deduction_above=scheme.deduction_above,
        deduction_below=scheme.deduction_below,
    )


def is_above_ceiling(*, price_fen: int, ceiling_price_fen: int | None) -> bool:
    """招标投标法实施条例 第51条 (五): a price above the ceiling price set in the tender documents is rejected."""
    return ceiling_price_fen is not None and price_fen > ceiling_price_fen


def fails_qualification(passes: Sequence[bool], *, members: int) -> bool:
    """A bid fails qualification when a majority of the committee fails it (少数服从多数)."""
    return 2 * sum(1 for passed in passes if not passed) > members


def checked_scores(scheme: Scheme, scores: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """A sheet's scores, one per criterion of the scheme, each from 0 to the criterion's maximum, ≤ 2 places."""
    keys = {criterion.key for criterion in scheme.criteria}
    if set(scores) != keys:
        missing, unknown = sorted(keys - set(scores)), sorted(set(scores) - keys)
        raise InvalidInput(
            field="scores",
            reason_zh=f"须对每个评分项打分（缺少 {missing}，未知 {unknown}）",
            reason_en=f"score every criterion of the scheme (missing {missing}, unknown {unknown})",
        )
    checked = {}
    for criterion in scheme.criteria:
        score = scores[criterion.key]
        if not score.is_finite() or score < 0 or score != score.quantize(TWO_PLACES):
            raise InvalidInput(
                field=f"scores.{criterion.key}",
                reason_zh="得分应为不小于 0、至多两位小数的数",
                reason_en="a score is a number from 0 with at most 2 decimal places",
            )
        if score > criterion.max_points:
            raise ScoreAboveMaximum(
                field=f"scores.{criterion.key}", criterion=criterion.key, score=str(score),
                maximum=str(criterion.max_points),
            )  # fmt: skip
        checked[criterion.key] = score.quantize(TWO_PLACES)
    return checked


def mean_score(totals: Sequence[Decimal]) -> Decimal:
    """The committee's score of a bid: the mean of the members' sheet totals."""
    return round_score(sum(totals, Decimal(0)) / len(totals)) if totals else Decimal("0.00")


@dataclass(frozen=True)
class RankedBid:
    bid_id: int
    price_fen: int
    submitted_at: datetime
    total: Decimal = Decimal(0)


def rank_lowest_price(bids: Sequence[RankedBid]) -> list[RankedBid]:
    """经评审的最低投标价法: valid bids by price ascending; equal prices, the earlier submitted first."""
    return sorted(bids, key=lambda bid: (bid.price_fen, bid.submitted_at, bid.bid_id))


def rank_scoring(bids: Sequence[RankedBid]) -> list[RankedBid]:
    """综合评估法: valid bids by total score descending; equal totals, the lower price first, then the earlier."""
    return sorted(bids, key=lambda bid: (-bid.total, bid.price_fen, bid.submitted_at, bid.bid_id))
