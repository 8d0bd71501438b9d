"""What finance registers with the layers below it (decision 0031), installed by the composition root (ggzy.wiring):
each bid's deposit, met or not, in the opening record (DESIGN §6: the opening record shows the deposit status)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ggzy.finance import views
from ggzy.tendering import opening
from ggzy.tendering import service as tendering


def deposits_in_opening_record(db: Session, tender_id: int) -> dict[str, Any] | None:
    """The record's ``deposits`` section: the deposit required and each bid's, in the record's order; None for a
    tender that requires no deposit (its record stays as before)."""
    tender = tendering.get_tender(db, tender_id)
    if tender.deposit_fen is None:
        return None
    return {
        "required_fen": tender.deposit_fen,
        "bids": [
            {
                "bidder": status.entity_name,
                "met": status.assessment.met,
                "shortfall": status.assessment.shortfall.value if status.assessment.shortfall else None,
                "flags": [flag.value for flag in status.assessment.flags],
                "form": status.assessment.form,  # 转账 or 电子保函 (decision 0035); None when not met
            }
            for status in views.deposits_at_opening(db, tender_id=tender_id)
        ],
    }


def register() -> None:
    opening.register_record_section("deposits", deposits_in_opening_record)
