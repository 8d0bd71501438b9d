"""The refusals of rights trades (decision 0049): stable codes, Chinese and English, each with its status."""

from __future__ import annotations

from typing import Any

from ggzy.core.errors import DomainError


class _WithMembers(DomainError):
    """A problem that carries, beside its messages, members a client acts on (RFC 9457 extension members)."""

    members: tuple[str, ...] = ()

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(instance)
        body.update({name: self.params[name] for name in self.members})
        return body


class NoRulesForTrade(DomainError):
    code = "auction_rules_unknown"
    status = 422
    message_zh = "{kind}不能以“{method}”方式交易（可选：{choices}）"
    message_en = "A {kind} trade cannot be sold by {method} (choose from {choices})"


class ScheduleBreaksRules(DomainError):
    code = "auction_schedule_invalid"
    status = 422
    message_zh = "时间安排不符合规则：{reason_zh}"
    message_en = "The schedule breaks the rules: {reason_en}"


class NotTheSeller(DomainError):
    code = "auction_manager_mismatch"
    status = 403
    message_zh = "只有出让人（转让方、委托人）或其代理机构可以办理此事项"
    message_en = "Only the seller or its agent may do this"


class AuctionPhaseWrong(DomainError):
    code = "auction_phase_wrong"
    status = 409
    message_zh = "当前阶段（{phase}）不能{action_zh}"
    message_en = "Cannot {action_en} in the phase {phase}"


class DepositNotPaid(DomainError):
    code = "auction_deposit_not_paid"
    status = 409
    message_zh = "竞买保证金尚未足额交纳，不能取得竞买资格（号牌）"
    message_en = "The bid deposit is not paid in full: no plate is given before it is"


class SellerCannotBid(DomainError):
    code = "auction_seller_cannot_bid"
    status = 403
    message_zh = "委托人（出让人）及其代理机构不得参与竞买（拍卖法 第三十条）"
    message_en = "The seller and its agent may not bid (Auction Law art. 30)"


class NotRegistered(DomainError):
    code = "auction_not_registered"
    status = 403
    message_zh = "未取得竞买资格（号牌），不能{action_zh}"
    message_en = "You hold no plate for this auction: you cannot {action_en}"


class NotInTimedBidding(DomainError):
    code = "auction_not_in_timed_bidding"
    status = 403
    message_zh = "挂牌期届满前未要求参加限时竞价，不能在限时竞价中报价"
    message_en = "You did not ask for timed bidding before the listing ended: you cannot bid in it"


class BidTooLow(_WithMembers):
    """Refused with the price to beat: ``current_price_fen`` and ``minimum_fen`` in the problem."""

    members = ("current_price_fen", "minimum_fen")
    code = "auction_bid_too_low"
    status = 409
    message_zh = "报价须不低于 {minimum_yuan} 元（当前价 {current_yuan} 元，加价幅度 {increment_yuan} 元）"
    message_en = (
        "The bid must be at least {minimum_yuan} yuan (current price {current_yuan}, increment {increment_yuan})"
    )


class BidNotInIncrements(DomainError):
    code = "auction_bid_not_in_increments"
    status = 422
    message_zh = "报价须为当前价（或起始价）加整数倍加价幅度 {increment_yuan} 元"
    message_en = "The bid must be the current (or start) price plus whole increments of {increment_yuan} yuan"


class BiddingClosed(_WithMembers):
    """Refused with the server's time and the end it passed: ``server_time`` and ``closes_at`` in the problem."""

    members = ("server_time", "closes_at")
    code = "auction_bidding_closed"
    status = 409
    message_zh = "竞价已于 {closes_at} 截止（服务器时间 {server_time}）"
    message_en = "The bidding closed at {closes_at} (server time {server_time})"


class BidReplayDiffers(DomainError):
    code = "auction_bid_replay_differs"
    status = 409
    message_zh = (
        "报价编号 {client_bid_id} 已用于另一报价（{amount_yuan} 元），报价一经作出不得撤回或更改（拍卖法 第三十六条）"
    )
    message_en = (
        "Bid id {client_bid_id} was already used for another bid ({amount_yuan} yuan); a bid once made cannot be "
        "withdrawn or changed (Auction Law art. 36)"
    )


class NotTheReserveHolder(DomainError):
    code = "auction_reserve_holder_mismatch"
    status = 403
    message_zh = "只有指定的保留价（底价）持有人可以录入或开启保留价"
    message_en = "Only the designated holder of the reserve price may enter or open it"


class ReserveNotSealedHere(DomainError):
    code = "auction_reserve_not_sealed"
    status = 409
    message_zh = "本交易不设密封保留价：{reason_zh}"
    message_en = "This trade has no sealed reserve: {reason_en}"


class ReserveAlreadySealed(DomainError):
    code = "auction_reserve_already_sealed"
    status = 409
    message_zh = "保留价已于 {sealed_at} 密封录入"
    message_en = "The reserve was sealed at {sealed_at}"


class BuyerDepositNoLongerHeld(DomainError):
    code = "auction_buyer_deposit_no_longer_held"
    status = 409
    message_zh = "最高报价号牌的竞买保证金已退还或已下达退还指令（如轮次已终止），不能确认成交"
    message_en = (
        "The highest plate's deposit has been refunded or ordered back (the round terminated, say): the sale cannot "
        "be confirmed"
    )


class ReserveSealingClosed(DomainError):
    code = "auction_reserve_sealing_closed"
    status = 409
    message_zh = "保留价须在竞价开始前密封录入（现为“{phase}”阶段）：竞价开始后不得再录入，以免看到报价后再定保留价"
    message_en = (
        "The reserve is sealed before the bidding starts (now: {phase}): not once bids can be seen, so that it is not "
        "set after them"
    )


class ReserveEnvelopeWrong(DomainError):
    code = "auction_reserve_envelope_wrong"
    status = 422
    message_zh = "保留价信封无效：{reason_zh}"
    message_en = "The reserve envelope is not valid: {reason_en}"


class ReserveNotOpened(DomainError):
    code = "auction_reserve_not_opened"
    status = 409
    message_zh = "保留价尚未开启，不能确认成交结果"
    message_en = "The reserve has not been opened: the result cannot be decided yet"


class JudicialSellerNotACourt(DomainError):
    code = "auction_judicial_seller_not_a_court"
    status = 422
    message_zh = "司法拍卖是人民法院处置财产的行为（网络司法拍卖规定 第一条）：只有登记为人民法院的业主单位本身可以编制"
    message_en = (
        "A judicial auction is a people's court's own act: only a project owner registered as a court may draft one"
    )


class NotTheSellerNorBidder(DomainError):
    code = "auction_release_party_mismatch"
    status = 403
    message_zh = "只有出让人（委托人）、其代理机构、交易中心工作人员或本次交易的竞买人可以申请退还保证金"
    message_en = (
        "Only the seller, its agent, the centre's staff or a bidder of this trade may have the deposits released"
    )


class ReleaseTooEarly(_WithMembers):
    """``release_from``: when the deposits the end decided may be ordered back."""

    members = ("release_from",)
    code = "auction_release_too_early"
    status = 409
    message_zh = "竞价结束后，保证金自 {release_from} 起可以退还（给在截止前发出、尚在途中的报价留出时间）"
    message_en = "The deposits can be released from {release_from}: bids sent before the end are let in first"


class DepositsAlreadyReleased(DomainError):
    code = "auction_deposits_already_released"
    status = 409
    message_zh = "未竞得人的保证金已于 {released_at} 退还"
    message_en = "The other bidders' deposits were already ordered back at {released_at}"


class CloseNotYetForTheCentre(_WithMembers):
    """``due_on``: the seller's last day; the centre may close from the next."""

    members = ("due_on",)
    code = "auction_close_not_yet_for_the_centre"
    status = 409
    message_zh = "出让人（委托人）可在 {due_on} 前确认成交结果；逾期未确认的，交易中心方可代为确认"
    message_en = "The seller may decide the result until {due_on}; only after that may the centre close the trade"


# --- decision 0052: suspension and resumption, the price cap ------------------------------------------------------


class AuctionSuspended(_WithMembers):
    """Refused while the trade is suspended: ``suspended_since`` and ``reason`` in the problem."""

    members = ("suspended_since", "reason")
    code = "auction_suspended"
    status = 409
    message_zh = "交易已于 {suspended_since} 中止（{reason}），恢复前不能{action_zh}"
    message_en = "The trade is suspended since {suspended_since} ({reason}): you cannot {action_en} until it resumes"


class NotSuspended(DomainError):
    code = "auction_not_suspended"
    status = 409
    message_zh = "交易未中止，无需恢复"
    message_en = "The trade is not suspended: there is nothing to resume"


class NotTheCentre(DomainError):
    code = "auction_centre_mismatch"
    status = 403
    message_zh = "只有本交易所属交易中心的工作人员{also_zh}可以办理此事项"
    message_en = "Only the staff of this trade's centre{also_en} may do this"


class PriceCapExceeded(_WithMembers):
    """Refused above the cap: ``price_cap_fen`` in the problem."""

    members = ("price_cap_fen",)
    code = "auction_price_cap_exceeded"
    status = 409
    message_zh = "报价不得高于最高限价 {cap_yuan} 元；达到最高限价后，可以最高限价报价参与{tie_break_zh}"
    message_en = (
        "A bid may not exceed the price cap of {cap_yuan} yuan; at the cap, bid the cap to join the {tie_break_en}"
    )


class CapAlreadyAccepted(DomainError):
    code = "auction_cap_already_accepted"
    status = 409
    message_zh = "本号牌已以最高限价报价"
    message_en = "This plate has already bid the price cap"


class CapDrawPending(DomainError):
    code = "auction_cap_draw_pending"
    status = 409
    message_zh = "有 {count} 个号牌以最高限价报价，须先摇号确定竞得人"
    message_en = "{count} plates bid the price cap: the lottery must be drawn first"


class CapDrawNotNeeded(DomainError):
    code = "auction_cap_draw_not_needed"
    status = 409
    message_zh = "无需摇号：{reason_zh}"
    message_en = "No lottery is needed: {reason_en}"


class CapDrawSeedNotPublished(DomainError):
    code = "auction_cap_draw_seed_not_published"
    status = 409
    message_zh = "竞价结束后尚无已签名的存证检查点（须在结束后签发、并纳入结束后记录的事件），请稍后再摇号"
    message_en = (
        "No signed ledger checkpoint yet after the bidding ended (signed after the end, holding an event recorded "
        "after it): draw again shortly"
    )


class RoundNotForRights(DomainError):
    code = "auction_round_not_rights"
    status = 422
    message_zh = "拍卖（挂牌）须设于土地、矿业权或国有产权项目的竞买保证金轮次（rights），不能设于“{procedure_zh}”轮次"
    message_en = (
        "A listing or auction is held on the deposit round (rights) of a land, mining or property project, not on "
        "a round of {procedure_en}"
    )


class TradeKindMismatch(DomainError):
    code = "auction_trade_kind_mismatch"
    status = 422
    message_zh = "{trade_type_zh}项目不能以“{kind}”交易（可选：{choices}）"
    message_en = "A {trade_type_en} project cannot be sold as {kind} (choose from {choices})"


class RoundDepositMissing(DomainError):
    code = "auction_round_deposit_missing"
    status = 422
    message_zh = "竞买保证金轮次须载明保证金金额：竞买人交纳保证金后方取得竞买资格（网络司法拍卖规定 第十七条）"
    message_en = "The deposit round must state the deposit: a bidder is admitted on its paid deposit"


class RoundTaken(DomainError):
    code = "auction_round_taken"
    status = 409
    message_zh = "该保证金轮次已有拍卖（挂牌）项目（编号 {auction_id}），一个轮次只能设一个"
    message_en = "This deposit round already holds auction {auction_id}: one auction per round"


class DepositNoLongerHeld(DomainError):
    code = "auction_deposit_no_longer_held"
    status = 409
    message_zh = "竞买保证金已退还或不足，号牌已失效，不能{action_zh}"
    message_en = "Your deposit has been refunded or is no longer in full: your plate is void, you cannot {action_en}"


class ConfirmationNotReady(DomainError):
    code = "auction_confirmation_not_ready"
    status = 409
    message_zh = "尚未成交，没有成交确认书"
    message_en = "There is no confirmation: the auction has not sold"


class NotTheBuyer(DomainError):
    code = "auction_not_the_buyer"
    status = 403
    message_zh = "只有买受人可以签署成交确认书"
    message_en = "Only the buyer may sign the confirmation"


class ConfirmationAlreadySigned(DomainError):
    code = "auction_confirmation_signed"
    status = 409
    message_zh = "成交确认书已于 {signed_at} 签署"
    message_en = "The confirmation was signed at {signed_at}"


class ConfirmationSignatureWrong(DomainError):
    code = "auction_confirmation_signature_wrong"
    status = 422
    message_zh = "签名无效：{reason_zh}"
    message_en = "The signature is not valid: {reason_en}"


class NotYourConfirmation(DomainError):
    code = "auction_confirmation_not_yours"
    status = 403
    message_zh = "成交确认书仅供出让人、其代理机构和买受人查看"
    message_en = "The confirmation is for the seller, its agent and the buyer only"
