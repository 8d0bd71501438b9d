"""Builders for the credit tests and the event walk (decision 0040)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission, Principal, Role
from ggzy.core.screening import Checkpoint
from ggzy.credit import service
from ggzy.credit.schemas import PenaltyIn, RecordIn
from tests.conftest import TEST_NOW
from tests.factories import make_entity, principal, user_with_role

CREDIT_ACTIONS = (
    "credit.penalty_decided",
    "credit.record_added",
    "credit.record_revoked",
    "credit.list_imported",
    "credit.intercepted",
)
_numbers = iter(range(1, 10**6))


def supervisor(db: Session) -> Principal:
    return principal(db, user_with_role(db, Role.SUPERVISOR), Permission.CREDIT_PENALISE)


def suspension(credit_code: str, *, months: int = 12, basis: str = "ztb53", **changes: Any) -> PenaltyIn:
    """A suspension (取消投标资格) under 招标投标法 第五十三条 / 实施条例 第六十七条 from TEST_NOW's day."""
    fields: dict[str, Any] = {
        "decision_number": f"云公管罚〔2026〕{next(_numbers)}号", "kind": "suspension", "legal_basis": basis,
        "credit_code": credit_code, "grounds": "串通投标，情节严重（三年内两次以上）", "months": months,
    }  # fmt: skip
    return PenaltyIn.model_validate(fields | changes)


def expert_penalty(expert_id: int, **changes: Any) -> PenaltyIn:
    """A penalty on an expert (实施条例 第七十一条 by default: a suspension of 6 months)."""
    fields: dict[str, Any] = {
        "decision_number": f"云公管罚〔2026〕{next(_numbers)}号", "kind": "suspension", "legal_basis": "ssl71",
        "expert_id": expert_id, "grounds": "私下接触投标人", "months": 6,
    }  # fmt: skip
    return PenaltyIn.model_validate(fields | changes)


def suspend(db: Session, credit_code: str, **changes: Any) -> int:
    """Suspend ``credit_code`` now; returns the interception entry's record id."""
    _, record = service.decide_penalty(db, supervisor(db), data=suspension(credit_code, **changes), now=TEST_NOW)
    return record.id


LIST_CSV = "credit_code,name,grounds,valid_from,valid_until\n{rows}"


def csv_list(*rows: tuple[str, str, str, str]) -> bytes:
    return LIST_CSV.format(rows="".join(f"{c},{n},{g},{f},{u}\n" for c, n, g, f, u in rows)).encode()


def credit_scenario(db: Session, action: str) -> Callable[[], object]:
    """The call that records ``action`` (for the event walk), everything before it done."""
    actor = supervisor(db)
    entity = make_entity(db)
    if action == "credit.penalty_decided":
        return lambda: service.decide_penalty(db, actor, data=suspension(entity.credit_code), now=TEST_NOW)
    if action == "credit.record_added":
        data = RecordIn.model_validate({
            "subject_kind": "entity", "credit_code": entity.credit_code, "subject_name": entity.name,
            "polarity": "good", "points": 5, "grounds": "省级表彰", "legal_basis": "表彰决定",
            "source_name": "云南省住房和城乡建设厅", "valid_from": "2026-01-01",
        })  # fmt: skip
        return lambda: service.add_record(db, actor, data=data, now=TEST_NOW)
    if action == "credit.record_revoked":
        record_id = suspend(db, entity.credit_code)
        return lambda: service.revoke_record(db, actor, record_id=record_id, reason="行政复议决定撤销", now=TEST_NOW)
    if action == "credit.list_imported":
        content = csv_list((entity.credit_code, entity.name, "失信被执行人", "2026-01-01", ""))
        return lambda: service.import_list(
            db, actor, source="信用中国 失信被执行人名单", published_on=date(2026, 11, 1), content=content, now=TEST_NOW
        )
    record_id = suspend(db, entity.credit_code)
    return lambda: service.record_interception(
        db, actor, checkpoint=Checkpoint.TENDER_REGISTRATION, record_id=record_id, credit_code=entity.credit_code,
        expert_id=None, subject_type="tender", subject_id=1, now=TEST_NOW,
    )  # fmt: skip


def supervision_headers(db: Session) -> dict[str, str]:
    from tests.factories import token_for

    return token_for(db, user_with_role(db, Role.SUPERVISOR))
