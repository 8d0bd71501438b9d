"""API shapes of the deposits. Amounts in integer 分 (fen), as everywhere in the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ggzy.finance.models import DepositSubAccount
from ggzy.finance.views import DepositStatus, TenderDeposits


class SubAccountOut(BaseModel):
    tender_id: int
    number: str | None = Field(description="The sub-account (子账号) to pay into; null until the bank has opened it")
    name: str = Field(description="The account name the payer writes")
    requested_at: datetime
    opened_at: datetime | None

    @classmethod
    def of(cls, row: DepositSubAccount) -> SubAccountOut:
        return cls(
            tender_id=row.tender_id, number=row.number, name=row.name, requested_at=row.requested_at,
            opened_at=row.opened_at,
        )  # fmt: skip


class DepositOut(BaseModel):
    entity_id: int
    entity_name: str
    bid_id: str | None = Field(description="The bid's public id; null for a bidder's own deposit before it bids")
    sub_account: str | None = Field(description="The bidder's own sub-account to pay into (null: not opened yet)")
    paid_fen: int = Field(description="Everything credited to the sub-account, in fen")
    counted_fen: int = Field(description="What counts: booked by the bid deadline, from an account the law accepts")
    met: bool = Field(description="Paid in time, into its own sub-account, in full (招标投标法实施条例 第26条)")
    shortfall: str | None = Field(description="nothing_paid, late, not_from_basic_account or below_requirement")
    flags: list[str] = Field(description="basic_account_unknown, not_basic_account: for the committee's attention")
    form: str | None = Field(default=None, description="How it is met: 转账 or 电子保函 (decision 0035); null: not met")
    guarantee_id: int | None = Field(default=None, description="The electronic guarantee that meets it, if any")

    @classmethod
    def of(cls, status: DepositStatus) -> DepositOut:
        found = status.assessment
        return cls(
            entity_id=status.entity_id, entity_name=status.entity_name, bid_id=status.bid_id,
            sub_account=status.sub_account, paid_fen=status.paid_fen, counted_fen=found.counted_fen, met=found.met,
            shortfall=found.shortfall.value if found.shortfall else None, flags=[flag.value for flag in found.flags],
            form=found.form, guarantee_id=status.guarantee_id,
        )  # fmt: skip


class TenderDepositsOut(BaseModel):
    tender_id: int
    required_fen: int | None = Field(description="The deposit the tender requires, in fen (null: none)")
    bid_validity_days: int | None
    bid_deadline: datetime
    deposits: list[DepositOut] = Field(
        description="A bidder: its own only. The owner, agent, centre staff, supervisor: every bid's, after opening"
    )

    @classmethod
    def of(cls, found: TenderDeposits) -> TenderDepositsOut:
        return cls(
            tender_id=found.tender_id, required_fen=found.required_fen, bid_validity_days=found.bid_validity_days,
            bid_deadline=found.bid_deadline, deposits=[DepositOut.of(status) for status in found.deposits],
        )  # fmt: skip
