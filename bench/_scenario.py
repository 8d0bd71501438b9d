"""The set-up the tendering benchmarks share: centres, a CA, an owner and its agent, an accepted project, custodians and
a published tender — made through the services, as the platform makes them."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from ggzy.core.permissions import SYSTEM, Permission, Role
from ggzy.core.trade_types import TradeType
from ggzy.crypto import PrivateKey, Suite, init_ca, issue_certificate, load_certificate, load_private_key_pem
from ggzy.demo import demo_credit_code
from ggzy.demo_story import register_custodians
from ggzy.entities import enrolment, login, service
from ggzy.entities.models import User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.projects.schemas import LotIn, ProjectIn
from ggzy.projects.service import accept_registration, lots_of, register_project
from ggzy.storage import MIB, LocalBlobStore, stage_blob
from ggzy.tendering import bids
from ggzy.tendering import service as tendering
from ggzy.tendering.procedures import Method

SECRET = secrets.token_bytes(32)
ORIGIN = "https://bench.ggzy.local"  # the portal origin the logins are signed for


def certificate_user(db, suite_ca: Path, *, name: str, code: str, now: datetime) -> tuple[User, PrivateKey, str, str]:  # type: ignore[no-untyped-def]
    """Issue a certificate and log in with it: the first login registers the entity and its user; returns the user,
    its key, its certificate and a session token."""
    issued = issue_certificate(suite_ca, kind="entity", name=name, credit_code=code, now=now - timedelta(hours=1))
    key = load_private_key_pem(issued.private_key_pem)
    nonce, _ = login.issue_nonce(secret=SECRET, now=now, lifetime=timedelta(minutes=2))
    result = login.certificate_login(
        db,
        origin=ORIGIN,
        nonce=nonce,
        certificate_pem=issued.certificate_pem,
        intermediates_pem=[],
        signature=base64.b64encode(key.sign(login.login_message(nonce, ORIGIN))).decode(),
        secret=SECRET,
        now=now,
        lifetime=timedelta(hours=8),
    )
    return result.user, key, issued.certificate_pem, result.token


def enrol_itself(  # type: ignore[no-untyped-def]
    db, user: User, key: PrivateKey, certificate_pem: str, token: str, *, role: Role, centre_id: int, now: datetime
) -> None:
    """The entity gives its own certificate user a role by a signed enrolment (decision 0013)."""
    actor = login.authenticate_token(db, token, now=now)
    challenge, _ = login.issue_nonce(secret=SECRET, now=now, lifetime=timedelta(minutes=2))
    roles = [enrolment.EnrolmentRole(role=role, centre_id=centre_id)]
    credit_code = load_certificate(certificate_pem).credit_code or ""
    statement = enrolment.enrolment_statement(
        credit_code=credit_code, username=user.username, display_name=user.display_name, roles=roles,
        signed_at=now, challenge=challenge,
    )  # fmt: skip
    enrolment.enrol_user(
        db, actor, username=user.username, display_name=user.display_name, password=None, roles=roles,
        signed_at=now, challenge=challenge, certificate_pem=certificate_pem, intermediates_pem=[],
        signature=base64.b64encode(key.sign(statement)).decode(), secret=SECRET, now=now,
    )  # fmt: skip


def published_tender(db, root: Path, store: LocalBlobStore, now: datetime, suite: Suite):  # type: ignore[no-untyped-def]
    """Centres, a CA, owner and agent, an accepted project, custodians, a published tender; returns
    (tender, lot code, CA directory, host principal)."""
    province = service.create_centre(
        db, SYSTEM, name="云南省公共资源交易中心", region_code="530000", parent_id=None, now=now
    )
    city = service.create_centre(
        db, SYSTEM, name="昆明市公共资源交易中心", region_code="530100", parent_id=province.id, now=now
    )
    staff_user = service.create_user(
        db, SYSTEM, username="staff", display_name="中心工作人员", password="bench-password-2026",
        entity_id=None, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)], now=now,
    )  # fmt: skip
    staff = login.principal_for(db, staff_user)
    ca_dir = root / f"ca-{suite.value}"
    ca = init_ca(ca_dir, suite=suite, name=f"Bench {suite.value} CA", now=now - timedelta(days=1))
    login.add_trust_anchor(db, SYSTEM, certificate_pem=ca.pem, name=None, now=now)
    owner, owner_key, owner_pem, owner_token = certificate_user(
        db, ca_dir, name="压测招标人", code=demo_credit_code("530102", "MA6K1A001"), now=now
    )
    agent, agent_key, agent_pem, agent_token = certificate_user(
        db, ca_dir, name="压测招标代理", code=demo_credit_code("530100", "MA6K2B002"), now=now
    )
    for user, key, pem, token, role in (
        (owner, owner_key, owner_pem, owner_token, Role.OWNER),
        (agent, agent_key, agent_pem, agent_token, Role.AGENT),
    ):
        enrol_itself(db, user, key, pem, token, role=role, centre_id=city.id, now=now)
    project = register_project(
        db,
        login.principal_for(db, agent).holding(Permission.PROJECT_REGISTER),
        data=ProjectIn(
            centre_id=city.id,
            name="压测教学楼工程",
            trade_type=TradeType.CONSTRUCTION,
            region_code="530102",
            owner_id=owner.entity_id,
            agent_id=agent.entity_id,
            approval_reference="压测〔2026〕1号",
            lots=[LotIn(name="施工一标段", budget="18600000.00", ceiling_price="18200000.00")],
        ),
        now=now,
    )
    accept_registration(db, staff.holding(Permission.PROJECT_REVIEW), project_id=project.id, now=now)
    register_custodians(db, city_id=city.id, cas={suite: ca_dir}, directory=root, now=now)
    lot = lots_of(db, [project.id])[project.id][0]
    host = login.principal_for(db, agent).holding(Permission.TENDER_MANAGE)
    tender = tendering.create_tender(
        db, host, lot_id=lot.id, procedure_key="open", method=Method.SCORING, title="压测标段",
        notice_text="压测招标公告：本招标项目已由有关部门批准建设，现对该项目施工进行公开招标，欢迎符合资格条件的投标人参加投标。",
        documents_until=now + timedelta(days=10), bid_deadline=now + timedelta(days=21),
        invited_entity_ids=[], now=now,
    )  # fmt: skip
    ref = stage_blob(db, LocalBlobStore(root / "blobs"), b"tender documents\n" * 1000, max_bytes=10 * MIB)
    tendering.attach_documents(
        db, host, tender_id=tender.id, sha256=ref.sha256, name="招标文件.pdf", size=ref.size, now=now
    )
    tendering.publish_tender(db, host, tender_id=tender.id, now=now)
    return tender, bids.lot_code(project, lot), ca_dir, host
