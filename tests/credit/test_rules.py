"""The pure rules of credit (decision 0040): month arithmetic of a suspension, a record's status, the token bucket
of the public query, and a key person's record keeping no more of the ID number than it needs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.rate_limit import TokenBucket, client_key
from ggzy.credit import rules, service
from ggzy.credit.schemas import RecordIn
from tests.conftest import TEST_NOW
from tests.credit.support import supervisor


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 3, 15), 12, date(2027, 3, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 24), 24, date(2028, 11, 24)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
    ],
)
def test_a_suspension_of_n_months_ends_on_the_same_day_n_months_on(start: date, months: int, end: date) -> None:
    assert rules.add_months(start, months) == end


def test_a_records_status_follows_its_validity_and_its_end() -> None:
    start, until = TEST_NOW, TEST_NOW + timedelta(days=10)
    assert (
        rules.status_of(valid_from=start, valid_until=until, end_reason=None, now=start) is rules.RecordStatus.IN_FORCE
    )
    assert (
        rules.status_of(valid_from=start, valid_until=until, end_reason=None, now=until) is rules.RecordStatus.EXPIRED
    )
    early = start - timedelta(seconds=1)
    assert rules.status_of(valid_from=start, valid_until=None, end_reason=None, now=early) is rules.RecordStatus.NOT_YET
    revoked = rules.status_of(valid_from=start, valid_until=until, end_reason="revoked", now=start)
    assert revoked is rules.RecordStatus.REVOKED


def test_the_token_bucket_refuses_beyond_its_capacity_and_refills_with_time() -> None:
    bucket = TokenBucket(capacity=3, per_minute=60)
    assert [bucket.take("a", TEST_NOW) for _ in range(4)] == [0, 0, 0, 1]
    assert bucket.take("b", TEST_NOW) == 0  # per client
    assert bucket.take("a", TEST_NOW + timedelta(seconds=1)) == 0


def test_a_key_persons_record_keeps_a_masked_id_number_and_its_event_is_undisclosed(db: Session) -> None:
    data = RecordIn.model_validate({
        "subject_kind": "person", "person_id_number": "53010219800101123X", "subject_name": "张某",
        "polarity": "bad", "points": -5, "grounds": "项目负责人提供虚假业绩", "legal_basis": "行政处理决定",
        "source_name": "云南省住房和城乡建设厅", "valid_from": "2026-01-01",
    })  # fmt: skip
    record = service.add_record(db, supervisor(db), data=data, now=TEST_NOW)
    assert record.person_id_masked == "5301************3X"
    assert record.person_id_digest is not None
    assert "53010219800101123X" not in (record.person_id_masked or "")
    event = db.scalars(select(Event).where(Event.action == "credit.record_added").order_by(Event.id.desc())).first()
    assert event is not None
    assert event.disclosed is False
    assert "53010219800101123X" not in event.payload


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # the same subscriber's /64: one bucket
        ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 client seen through an IPv6 socket
        ("testclient", "testclient"),  # not an address (the test client): itself
    ],
)
def test_the_rate_limit_keys_an_ipv6_client_by_its_64_and_an_ipv4_client_by_its_address(host: str, key: str) -> None:
    assert client_key(host) == key
