"""Whose credit decisions a supervisor may change (decision 0040, after the security review): a penalty, a record
and a list carry their supervisor's jurisdiction; a supervisor of another region (or of one trade) neither revokes
them nor replaces the list; a list's row ends only with the list's update. The interception itself applies
everywhere (联合惩戒)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Role
from ggzy.credit import service
from ggzy.credit.access import CreditScopeDenied
from ggzy.credit.models import CreditRecord
from ggzy.entities.schemas import RoleGrantIn
from tests.conftest import TEST_NOW
from tests.credit.support import csv_list, supervisor, suspension
from tests.factories import credit_code, make_user, principal


def _supervisor_of(db: Session, region_code: str | None, trade_type: str | None = None):  # type: ignore[no-untyped-def]
    user = make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code=region_code, trade_type=trade_type)])
    return principal(db, user, Permission.CREDIT_PENALISE)


def _revocations(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event).where(Event.action == "credit.record_revoked")) or 0


def test_a_penalty_is_its_supervisors_and_another_regions_or_trades_supervisor_cannot_lift_it(db: Session) -> None:
    yunnan = supervisor(db)  # 云南 530000
    code = credit_code()
    _, record = service.decide_penalty(db, yunnan, data=suspension(code, subject_name="某建设有限公司"), now=TEST_NOW)
    assert (record.region_code, record.trade_type) == ("530000", None)
    for other in (_supervisor_of(db, "110000"), _supervisor_of(db, "530100"),
                  _supervisor_of(db, "530000", "construction")):  # fmt: skip
        with pytest.raises(CreditScopeDenied):
            service.revoke_record(db, other, record_id=record.id, reason="复议撤销", now=TEST_NOW)
    assert _revocations(db) == 0
    assert (
        service.restriction_of(db, credit_code=code, now=TEST_NOW, law="tendering_law") is not None
    )  # still intercepted everywhere
    colleague = supervisor(db)  # another supervisor of the same province's department
    service.revoke_record(db, colleague, record_id=record.id, reason="行政复议决定撤销原处罚", now=TEST_NOW)
    assert service.restriction_of(db, credit_code=code, now=TEST_NOW, law="tendering_law") is None


def test_a_lists_row_ends_with_the_list_and_another_region_cannot_replace_the_list(db: Session) -> None:
    kunming = _supervisor_of(db, "530100")
    listed = credit_code()
    first = csv_list((listed, "甲公司", "失信被执行人", "2026-01-01", ""))
    service.import_list(db, kunming, source="昆明市联合惩戒名单", published_on=date(2026, 10, 1), content=first,
                        now=TEST_NOW)  # fmt: skip
    [row] = db.scalars(select(CreditRecord).where(CreditRecord.credit_code == listed)).all()
    assert row.region_code == "530100"
    with pytest.raises(Conflict):
        service.revoke_record(db, kunming, record_id=row.id, reason="单独撤销", now=TEST_NOW)
    replacement = csv_list((credit_code(), "乙公司", "失信被执行人", "2026-01-01", ""))
    with pytest.raises(CreditScopeDenied):
        service.import_list(db, _supervisor_of(db, "530300"), source="昆明市联合惩戒名单",
                            published_on=date(2026, 11, 1), content=replacement, now=TEST_NOW)  # fmt: skip
    assert service.restriction_of(db, credit_code=listed, now=TEST_NOW) is not None  # the list as it was
    service.import_list(db, supervisor(db), source="昆明市联合惩戒名单", published_on=date(2026, 11, 1),
                        content=replacement, now=TEST_NOW)  # fmt: skip  # the province covers the city
    assert service.restriction_of(db, credit_code=listed, now=TEST_NOW) is None
