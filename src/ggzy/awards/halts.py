"""The halt the award domain puts on a round, registered with the lifecycle (:mod:`ggzy.tendering.lifecycle`) by the
composition root: under 政府采购法 the contract waits while a challenge of the result is unanswered (政府采购法实施条例
第54条: 询问或者质疑事项可能影响中标、成交结果的，采购人应当暂停签订合同)."""

from __future__ import annotations

from ggzy.awards.challenges import unanswered
from ggzy.tendering.lifecycle import Halt, LifecycleRefusal, register_halt
from ggzy.tendering.stages import Step


class ContractWaitsForChallenge(LifecycleRefusal):
    code = "contract_waits_for_challenge"
    message_zh = (
        "对中标、成交结果的质疑尚未答复：质疑事项可能影响中标、成交结果的，采购人应当暂停签订合同"
        "（政府采购法实施条例 第五十四条），答复前不得{action_zh}"
    )
    message_en = (
        "A challenge of the result awaits its answer: the purchaser suspends signing the contract (Implementing "
        "Regulations art. 54) and the tender cannot {action_en} until it is answered"
    )


CONTRACT_WAITS_FOR_CHALLENGE = Halt(
    key="contract_waits_for_challenge",
    steps=frozenset({Step.CONTRACT}),
    refusal=ContractWaitsForChallenge,
    sql=unanswered,
)


def register() -> None:
    register_halt(CONTRACT_WAITS_FOR_CHALLENGE)
