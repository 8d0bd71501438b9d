"""API shapes of the record of missed statutory periods."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ViolationOut(BaseModel):
    id: int
    centre_id: int | None
    tender_id: int
    tender_title: str
    round: int
    project_code: str
    project_name: str
    lot_number: int
    lot_name: str
    period: str = Field(description="the statutory period's key, e.g. award.publicity_start")
    period_name_zh: str | None
    period_name_en: str | None
    article: str = Field(description="the law and article of the period, e.g. 招标投标法实施条例 第五十四条")
    due: date = Field(description="the period's last day (China Standard Time)")
    happened_on: date = Field(description="the day the late step happened (China Standard Time)")
    days_late: int
    actor_role: str
    recorded_at: datetime
    event_id: int = Field(description="the event that carried the late step; its payload repeats the violation")
