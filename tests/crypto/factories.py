"""Small factories for the crypto tests: a fixed time, valid credit codes and identity numbers, demo CAs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ggzy.crypto import Certificate, IssuedCertificate, Suite, init_ca, issue_certificate

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)

# GB 32100 codes with correct check characters.
BIDDER_CREDIT_CODE = "91350100M000100Y43"
EMPLOYER_CREDIT_CODE = "91110000MA01ABCD1M"
# GB 11643 identity number with a correct check digit.
PERSON_ID = "11010519491231002X"


def make_ca(directory: Path, suite: Suite, *, name: str | None = None) -> Certificate:
    return init_ca(directory, suite=suite, name=name or f"演示电子认证中心 {suite.upper()}", now=NOW)


def issue_entity(
    directory: Path,
    *,
    name: str = "福建某建设工程有限公司",
    credit_code: str = BIDDER_CREDIT_CODE,
    now: datetime = NOW,
    valid_days: int = 365,
    not_before: datetime | None = None,
) -> IssuedCertificate:
    return issue_certificate(
        directory,
        kind="entity",
        name=name,
        credit_code=credit_code,
        now=now,
        valid_days=valid_days,
        not_before=not_before,
    )


def issue_person(
    directory: Path,
    *,
    name: str = "张三",
    organization: str | None = "北京某招标代理有限公司",
    credit_code: str = EMPLOYER_CREDIT_CODE,
    person_id: str | None = PERSON_ID,
) -> IssuedCertificate:
    return issue_certificate(
        directory,
        kind="person",
        name=name,
        organization=organization,
        credit_code=credit_code,
        person_id=person_id,
        now=NOW,
    )
