"""API shapes of project registration."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.inputs import Ascii, Id, Name, Text
from ggzy.core.trade_types import ProcurementCategory, TradeType

# Amounts travel as strings of yuan ("1234567.89"): exact, never a float.
YuanAmount = Ascii


class LotIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = Field(min_length=1, max_length=300)
    budget: YuanAmount = Field(description="Budget in yuan, at most two decimal places", examples=["1200000.00"])
    ceiling_price: YuanAmount | None = Field(
        default=None,
        description="最高投标限价 in yuan, where the trade type has one; not above the budget",
        examples=["1150000.00"],
    )


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    centre_id: Id
    name: Name = Field(min_length=2, max_length=300)
    trade_type: TradeType
    region_code: Ascii = Field(description="GB/T 2260 code of where the project is; within the centre's region")
    owner_id: Id = Field(description="The owner (招标人/采购人/出让人) in the entity register")
    agent_id: Id | None = Field(default=None, description="The tendering agent, if the owner uses one")
    approval_reference: Name | None = Field(default=None, max_length=200, description="项目审批/核准/备案文号")
    procurement_category: ProcurementCategory | None = Field(
        default=None,
        description="What is procured (货物/工程/服务, or goods or services related to construction); under 政府采购 "
        "works and construction-related goods and services tendered run under 招标投标法 (政府采购法实施条例 第7条)",
    )
    lots: list[LotIn] = Field(min_length=1, max_length=200)


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=2, max_length=2000)


class LotOut(BaseModel):
    id: int
    number: int
    name: str
    budget: Decimal
    ceiling_price: Decimal | None


class ProjectOut(BaseModel):
    id: int
    code: str
    centre_id: int
    name: str
    trade_type: TradeType
    region_code: str
    owner_id: int
    agent_id: int | None
    approval_reference: str | None
    procurement_category: ProcurementCategory | None = None
    status: str
    return_reason: str | None
    budget: Decimal
    registered_at: datetime
    reviewed_at: datetime | None
    lots: list[LotOut]
