"""Keeping a bid deposit, only where the law allows it (decision 0031).

招标投标法实施条例 gives the owner (招标人) two grounds, and no others:

* 第35条 第2款: 投标截止后投标人撤销投标文件的，招标人可以不退还投标保证金 — a bid revoked after the deadline (the
  bidder's bid stood at the deadline; a bid left undecrypted through the bidder's fault is treated as revoked,
  ``tendering.opening.REVOKED``). The owner *may* keep it: a decision, never automatic.
* 第74条: the winner refuses without good reason to sign the contract, adds conditions to it, or does not submit
  the performance security the documents require: 投标保证金不予退还 (the award's winner, before any contract).

The decision is the owner's or its agent's (``tendering.access.check_manager``, as every step of the award), with
its reasons; it posts the whole deposit from the bidder's deposit account to forfeited deposits in double entry,
under its event, in one transaction. A deposit already ordered back, or a tender under 政府采购法 (its articles held
here give no forfeiture), is refused and leaves nothing. A forfeited deposit is never ordered back
(:mod:`ggzy.finance.refund_triggers`).

A deposit met by an electronic guarantee (``guarantees.covering_guarantee``: the bidder paid nothing into its
sub-account) has no money in the books to move: the decision itself lodges the claim (索赔) on that guarantee, in
its transaction and under its event (``deposit.forfeited`` names the guarantee and the amount claimed), and asks
for the bidder's sub-account if it has none, for the institution to pay the claim into; the payment, when the bank
notifies it, is posted to forfeited deposits (``service.record_credit``). There is no claim without such a decision
(decision 0036).

The bidder may contest it: a complaint to the supervisory department within 10 日 of learning of it (第60条), whose
last day the decision records (``appeal_until``); the complaint itself goes through ``ggzy.complaints`` (which
finance, a lower layer, does not import).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import to_china_time
from ggzy.core.errors import Conflict, DomainError, NotFound
from ggzy.core.events import changes_state, events_for, record_event
from ggzy.core.periods import DayCount, statutory_period
from ggzy.core.permissions import Principal
from ggzy.finance import books, guarantees
from ggzy.finance.models import DepositSubAccount, Forfeiture, RefundOrderRow
from ggzy.finance.performance import missing_for_forfeiture
from ggzy.finance.rules import AccountPurpose, PostingKind
from ggzy.tendering import read as tendering_read
from ggzy.tendering import service as tendering
from ggzy.tendering.access import check_manager
from ggzy.tendering.procedures import TENDERING_LAW, procedure

if TYPE_CHECKING:
    from ggzy.tendering.models import Tender


class ForfeitureGround(StrEnum):
    REVOKED_AFTER_DEADLINE = "revoked_after_deadline"  # 第35条 第2款
    REFUSED_CONTRACT = "refused_contract"  # 第74条: 无正当理由不与招标人订立合同 / 提出附加条件
    NO_PERFORMANCE_SECURITY = "no_performance_security"  # 第74条: 不按照招标文件要求提交履约保证金


ARTICLES = {
    ForfeitureGround.REVOKED_AFTER_DEADLINE: "招标投标法实施条例 第三十五条 第二款",
    ForfeitureGround.REFUSED_CONTRACT: "招标投标法实施条例 第七十四条",
    ForfeitureGround.NO_PERFORMANCE_SECURITY: "招标投标法实施条例 第七十四条",
}

APPEAL = statutory_period(
    "finance.forfeiture_complaint",
    name_zh="投标人对不予退还投标保证金的决定向行政监督部门投诉",
    name_en="The bidder's complaint to the supervisor against keeping its deposit",
    length=10,
    unit=DayCount.DAYS,
    article="招标投标法实施条例 第六十条",
)


class ForfeitureNotAllowed(DomainError):
    code = "forfeiture_not_allowed"
    status = 409
    message_zh = "不符合不予退还投标保证金的法定情形：{reason_zh}"
    message_en = "The law gives no ground to keep this deposit: {reason_en}"


def _refuse(zh: str, en: str) -> ForfeitureNotAllowed:
    return ForfeitureNotAllowed(field="ground", reason_zh=zh, reason_en=en)


def _award_winner(db: Session, tender_id: int) -> int | None:
    events = events_for(db, "tender", tender_id)
    if any(event.action == "award.contract_recorded" for event in events):
        raise _refuse("合同已签订", "the contract is signed")
    awarded = [event for event in events if event.action == "award.awarded"]
    return int(json.loads(awarded[-1].payload)["entity_id"]) if awarded else None


def _check_ground(db: Session, ground: ForfeitureGround, *, tender_id: int, entity_id: int, now: datetime) -> None:
    tender = tendering.get_tender(db, tender_id)
    if procedure(tender.procedure).law != TENDERING_LAW:
        raise _refuse("政府采购项目不适用", "not under the Government Procurement Law")
    if tender.cancelled_at is not None:
        raise _refuse("招标已终止，应退还投标保证金（第三十一条）", "the tender is terminated: art. 31 refunds it")
    if ground is ForfeitureGround.REVOKED_AFTER_DEADLINE:
        if now <= tender.bid_deadline:
            raise _refuse("投标截止前撤回应退还（第三十五条 第一款）", "before the deadline a withdrawal is refunded")
        if entity_id not in {entity for _, entity in tendering_read.bids_at_opening(db, tender_id)}:
            raise _refuse("该投标人在投标截止时无有效投标", "the bidder had no bid standing at the deadline")
        return
    if _award_winner(db, tender_id) != entity_id:
        raise _refuse("该投标人不是中标人", "the bidder is not the award's winner")
    if ground is ForfeitureGround.NO_PERFORMANCE_SECURITY and not missing_for_forfeiture(db, tender_id, entity_id):
        raise _refuse(
            "招标文件未要求履约保证金，或中标人已按要求提交", "no performance security was required, or it is provided"
        )  # decision 0037


@changes_state("deposit.forfeited", disclosed=False)
def forfeit_deposit(
    db: Session, actor: Principal, *, tender_id: int, entity_id: int, ground: ForfeitureGround, reasons: str,
    now: datetime,
) -> Forfeiture:  # fmt: skip
    """The owner (or its agent) keeps a bidder's deposit on ``ground``, with its ``reasons``: posted from the deposit
    to forfeited deposits under the decision's event. Refused, leaving nothing, where the law gives no ground, when
    the deposit was already ordered back or kept, or when nothing was paid."""
    tender = tendering.get_tender(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    actor = check_manager(actor, project)
    if not reasons.strip():
        raise _refuse("须写明理由", "the reasons are required")
    _check_ground(db, ground, tender_id=tender_id, entity_id=entity_id, now=now)
    if db.scalar(select(Forfeiture.id).where(Forfeiture.tender_id == tender_id, Forfeiture.entity_id == entity_id)):
        raise Conflict(field="entity_id", reason_zh="已决定不予退还", reason_en="the deposit is already kept")
    ordered = select(RefundOrderRow.id).where(
        RefundOrderRow.tender_id == tender_id, RefundOrderRow.entity_id == entity_id
    )
    if db.scalar(ordered.limit(1)) is not None:
        raise Conflict(field="entity_id", reason_zh="保证金已发出退还指令", reason_en="the deposit is ordered back")
    deposit = books.deposit_account(db, tender_id=tender_id, entity_id=entity_id, now=now)
    amount = books.balance(db, deposit)
    guarantee = None
    if amount <= 0:
        guarantee = _guarantee_standing(db, tender, entity_id=entity_id, now=now)
        amount = min(tender.deposit_fen or 0, guarantee.amount_fen)
    article = ARTICLES[ground]
    appeal_until = APPEAL.last_day(working_day_calendar(db), to_china_time(now).date())
    claim = {"guarantee_id": guarantee.id, "claim_fen": amount} if guarantee is not None else {}
    event = record_event(
        db, actor, action="deposit.forfeited", subject_type="tender", subject_id=tender_id,
        centre_id=project.centre_id, now=now,
        payload={"entity_id": entity_id, "ground": ground.value, "article": article, "reasons": reasons,
                 "amount_fen": amount, "appeal_until": appeal_until.isoformat(), "appeal_article": APPEAL.article,
                 **claim},
    )  # fmt: skip
    posting_id = None
    if guarantee is None:
        forfeited = books.account(db, AccountPurpose.FORFEITED, now=now)
        posting_id = books.post(
            db, event=event, kind=PostingKind.FORFEITURE, lines=[(deposit, amount), (forfeited, -amount)],
            memo=f"不予退还投标保证金（{article}）"[:200], now=now,
        ).id  # fmt: skip
    row = Forfeiture(
        tender_id=tender_id, entity_id=entity_id, ground=ground.value, article=article, reasons=reasons,
        amount_fen=amount, decided_by=actor.user_id, decided_role=actor.acting_role.value, decided_at=now,
        appeal_until=appeal_until, event_id=event.id, posting_id=posting_id,
        guarantee_id=guarantee.id if guarantee is not None else None,
    )  # fmt: skip
    db.add(row)
    db.flush()
    if guarantee is not None:  # the claim follows the decision, in its transaction
        _claim_account(db, tender_id=tender_id, entity_id=entity_id, title=tender.title, now=now)
        guarantees.claim_by_decision(db, actor, guarantee=guarantee, reason=f"{article}：{reasons}", now=now)
    return row


def _guarantee_standing(db: Session, tender: Tender, *, entity_id: int, now: datetime) -> guarantees.Guarantee:
    """The electronic guarantee that stood as the bidder's deposit (decision 0035) and may still be claimed on, or
    the refusal: nothing was paid and no guarantee stands."""
    found = None
    if tender.deposit_fen and tender.bid_validity_days:
        validity_end = tender.bid_deadline + timedelta(days=tender.bid_validity_days)
        found = guarantees.covering_guarantee(
            db, tender_id=tender.id, entity_id=entity_id, required_fen=tender.deposit_fen,
            bid_deadline=tender.bid_deadline, valid_until=validity_end,
        )  # fmt: skip
    if found is None:
        raise NotFound(field="entity_id", what_zh="该投标人的投标保证金", what_en="The bidder's deposit")
    if found.status != guarantees.GuaranteeStatus.ISSUED.value or now > found.valid_until:
        raise _refuse("电子保函已失效或已索赔，无从索赔", "the guarantee has expired or was claimed on already")
    return found


def _claim_account(db: Session, *, tender_id: int, entity_id: int, title: str, now: datetime) -> None:
    """The bidder's deposit sub-account, asked for if it has none (the bank worker opens it): the institution pays
    the claim into it, and its credit is posted to forfeited deposits."""
    if db.scalar(
        select(DepositSubAccount.id).where(DepositSubAccount.tender_id == tender_id,
                                           DepositSubAccount.entity_id == entity_id)
    ):  # fmt: skip
        return
    deposit = books.deposit_account(db, tender_id=tender_id, entity_id=entity_id, now=now)
    db.add(
        DepositSubAccount(
            tender_id=tender_id, entity_id=entity_id, account_id=deposit.id,
            reference=f"deposit-{tender_id}-{entity_id}", name=f"投标保证金-{title}-保函索赔"[:200], requested_at=now,
        )
    )  # fmt: skip
    db.flush()


def forfeitures_of(db: Session, tender_id: int) -> list[Forfeiture]:
    return list(db.scalars(select(Forfeiture).where(Forfeiture.tender_id == tender_id).order_by(Forfeiture.id)))
