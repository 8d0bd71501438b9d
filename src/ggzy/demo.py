"""Demo data: a centre hierarchy in Yunnan, two CAs of different suites, entities with certificates, users of
every role, and a construction project with two lots — all made through the same services as the API.

Everything a person needs to try it (passwords, certificates and their keys) is written to the demo directory.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.clock import Clock, FixedClock, SystemClock
from ggzy.core.codes import credit_code_check_character
from ggzy.core.db import unit_of_work
from ggzy.core.events import Event
from ggzy.core.instance import is_demo_instance, mark_demo_instance
from ggzy.core.permissions import SYSTEM, Permission, Principal, Role
from ggzy.core.trade_types import TradeType
from ggzy.crypto import (
    CertificateMalformed,
    IssuedCertificate,
    Suite,
    init_ca,
    issue_certificate,
    load_certificate,
    load_private_key_pem,
)
from ggzy.crypto.ca import CA_CERTIFICATE_FILE
from ggzy.demo_deposits import (
    INSTITUTION_NAME,
    INSTITUTION_ORGANISATION,
    DemoBank,
    DemoDeposits,
    DemoInstitution,
    deposit_report,
)
from ggzy.demo_oversight import oversight_story
from ggzy.demo_rights import RIGHTS_LEAD, run_rights_story
from ggzy.demo_rights import Seller as RightsSeller
from ggzy.demo_story import (
    DemoBidder,
    ProcurementStory,
    register_custodians,
    register_expert_users,
    run_tender_story,
)
from ggzy.entities import enrolment, login, service
from ggzy.entities.models import TrustAnchor, User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.entities.service import PASSWORDS
from ggzy.ledger.service import LedgerKeys
from ggzy.projects.schemas import LotIn, ProjectIn
from ggzy.projects.service import accept_registration, lots_of, register_project
from ggzy.storage import BlobStore
from ggzy.tendering.procedures import procedure
from ggzy.wiring import session_factory

logger = logging.getLogger(__name__)

# The origin the demo's own certificate logins (made in process while loading) are signed for.
DEMO_ORIGIN = "https://ggzy.demo"

# The story's periods reach at most this far past its start (the contract's 30 days from about day 27, holidays).
_STORY_REACH_DAYS = 75
_PLACEHOLDER_SOURCE = (
    "演示数据：占位日程，仅列元旦，不是国务院办公厅公布的节假日安排；正式使用前须载入正式安排"
    " / demo data: a placeholder listing only New Year's Day, not the State Council's schedule"
)


def _placeholder_calendar_years(db: Session, *, first: datetime, last: datetime, now: datetime) -> None:
    """Every statutory period is counted on the holiday calendar (民法典 第203条), and a year the calendar does not
    know is an error, never a guess (DESIGN §4.4). The demo's story runs on today's date, so near the end of a year
    it reaches the next one before the State Council has published its schedule; the demo, and only the demo,
    then loads a placeholder for that year that says what it is, in its source and its ledger event."""
    from ggzy.core.calendar import YearSchedule
    from ggzy.core.calendar_store import load_calendar_year, working_day_calendar

    for year in working_day_calendar(db).missing_years(first.date(), last.date()):
        placeholder = YearSchedule(
            year=year, holidays=frozenset({date(year, 1, 1)}), workdays=frozenset(), source=_PLACEHOLDER_SOURCE
        )
        load_calendar_year(db, SYSTEM, schedule=placeholder, now=now)


DEMO_PASSWORD = "ggzy-demo-2026"  # noqa: S105 - printed for people trying the demo; never used in production


@dataclass(frozen=True)
class DemoEntity:
    key: str
    name: str
    credit_code: str
    suite: Suite
    roles: tuple[Role, ...]


DISHONEST_ORGANISATION = "MA6K9Y099"  # the dishonest bidder of the supervision story (ggzy.demo_oversight)


def demo_credit_code(region_code: str, organisation: str) -> str:
    """A valid GB 32100 code: 9 (market regulator) 1 (enterprise) + region + 9-character organisation code."""
    first17 = f"91{region_code}{organisation}"
    return first17 + credit_code_check_character(first17)


ENTITIES = (
    DemoEntity("owner", "昆明市第一中学", demo_credit_code("530102", "MA6K1A001"), Suite.GM, (Role.OWNER,)),
    DemoEntity(
        "agent",
        "云南建诚招标代理有限公司",
        demo_credit_code("530100", "MA6K2B002"),
        Suite.INTL,
        (Role.AGENT,),
    ),
    DemoEntity("bidder-1", "云南滇建工程有限公司", demo_credit_code("530100", "MA6K3C003"), Suite.GM, ()),
    DemoEntity("bidder-2", "昆明春城建设集团有限公司", demo_credit_code("530100", "MA6K4D004"), Suite.INTL, ()),
    DemoEntity("bidder-3", "曲靖麒麟建筑有限公司", demo_credit_code("530300", "MA6K5E005"), Suite.GM, ()),
    DemoEntity("bidder-4", "玉溪红塔路桥建设有限公司", demo_credit_code("530400", "MA6K6F006"), Suite.INTL, ()),
    DemoEntity("bidder-5", "大理苍山建工集团有限公司", demo_credit_code("532900", "MA6K7G007"), Suite.GM, ()),
)


class DatabaseNotEmpty(Exception):
    """The demo is loaded only into an empty database: no user, no trust anchor, no event. Its administrator's
    password and its CAs' private keys are public, so adding them to a platform that holds anything (a first
    administrator, trusted CAs, a ledger) would open that platform to anyone (decision 0016)."""

    def __init__(self, holds: list[str]) -> None:
        self.holds = holds
        super().__init__(
            f"the database is not empty (it holds {', '.join(holds)}): the demo is loaded only into an empty "
            "database, with no user, no trust anchor and no event — its passwords and CA keys are public"
        )


def contents(db: Session) -> list[str]:
    """What makes the database non-empty for the demo: users, trust anchors, events (one indexed probe each)."""
    probes = (("users", User.id), ("trust anchors", TrustAnchor.id), ("events", Event.id))
    return [name for name, column in probes if db.scalar(select(column).limit(1)) is not None]


def database_contents(engine: Engine) -> list[str]:
    with unit_of_work(session_factory(engine), read_only=True) as db:
        return contents(db)


def has_data(engine: Engine) -> bool:
    return bool(database_contents(engine))


# The users the demo makes with DEMO_PASSWORD: its staff (load_demo) and its experts (register_expert_users).
DEMO_PASSWORD_USERS = ("admin", "staff", "supervisor", "inspector", "expert", *(f"expert-{n}" for n in range(1, 7)))
DEMO_CA_TRUSTED = "demo_ca_trusted"
DEMO_PASSWORD_IN_USE = "demo_password_in_use"  # noqa: S105 - the name of a sign, not a password


def unmarked_demo_evidence(db: Session, *, directory: Path) -> tuple[str, str] | None:
    """How this database shows itself a demo loaded before the mark existed (the old ``ggzy serve`` loaded the demo
    into every empty database), as (code, explanation), or None. Two sound signs: a trust anchor that is a CA whose
    certificate (and private key) the demo wrote under ``directory``; an active user of the demo's names whose
    password is the demo's (one argon2 verification per such user, stopping at the first that matches)."""
    written: dict[str, Path] = {}
    for path in sorted(directory.glob(f"*/{CA_CERTIFICATE_FILE}")):
        try:
            written[load_certificate(path.read_bytes()).fingerprint] = path
        except (OSError, CertificateMalformed):
            continue
    if written:
        trusted = db.scalar(select(TrustAnchor.fingerprint).where(TrustAnchor.fingerprint.in_(written)).limit(1))
        if trusted is not None:
            return DEMO_CA_TRUSTED, f"it trusts the demo CA {written[trusted].parent}, whose private key is there"
    users = db.scalars(
        select(User).where(User.username.in_(DEMO_PASSWORD_USERS), User.active.is_(True)).order_by(User.id)
    )
    for user in users:
        if user.password_hash is None:
            continue
        try:
            PASSWORDS.verify(user.password_hash, DEMO_PASSWORD)
        except (VerificationError, InvalidHashError):
            continue
        return DEMO_PASSWORD_IN_USE, f"its user {user.username!r} has the demo's published password"
    return None


def mark_old_demo_at_start(factory: sessionmaker[Session], *, data_dir: Path, now: datetime) -> str | None:
    """At start, before requests: record the demo mark on a demo loaded before the mark existed, and warn. The
    worker processes of one server start together: a lock file in the data directory makes them take turns, so
    one marks and the others find the mark. Returns the explanation when it marked."""
    with unit_of_work(factory, read_only=True) as db:
        if is_demo_instance(db):
            return None
        evidence = unmarked_demo_evidence(db, directory=data_dir / "demo")
    if evidence is None:
        return None
    code, explanation = evidence
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "demo-mark.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        with unit_of_work(factory) as db:
            if is_demo_instance(db):
                return None
            mark_demo_instance(db, SYSTEM, now=now, detected=code)
    logger.warning(
        "this database is a demo loaded before demo instances were marked: %s. Marked as a demo instance now "
        "(every page says so); its passwords and CA keys are public — never use it for real trading, start a "
        "production platform from an empty database",
        explanation,
    )
    return explanation


def _certificate_login(db: Session, *, pem: str, key_pem: str, secret: bytes, now: datetime) -> login.LoginResult:
    nonce, _ = login.issue_nonce(secret=secret, now=now, lifetime=timedelta(minutes=2))
    signature = load_private_key_pem(key_pem).sign(login.login_message(nonce, DEMO_ORIGIN))
    return login.certificate_login(
        db,
        origin=DEMO_ORIGIN,
        nonce=nonce,
        certificate_pem=pem,
        intermediates_pem=[],
        signature=base64.b64encode(signature).decode(),
        secret=secret,
        now=now,
        lifetime=timedelta(hours=1),
    )


def _enrol_itself(
    db: Session, session: login.LoginResult, issued: IssuedCertificate, *, roles: list[enrolment.EnrolmentRole],
    secret: bytes, now: datetime,
) -> None:  # fmt: skip
    """The entity, logged in with its certificate, gives its own user the owner or agent role by a signed
    enrolment (decision 0013: staff never grant an entity's roles)."""
    actor = login.authenticate_token(db, session.token, now=now)
    challenge, _ = login.issue_nonce(secret=secret, now=now, lifetime=timedelta(minutes=2))
    user = session.user
    statement = enrolment.enrolment_statement(
        credit_code=issued.certificate.credit_code or "", username=user.username, display_name=user.display_name,
        roles=roles, signed_at=now, challenge=challenge,
    )  # fmt: skip
    signature = load_private_key_pem(issued.private_key_pem).sign(statement)
    enrolment.enrol_user(
        db, actor, username=user.username, display_name=user.display_name, password=None, roles=roles,
        signed_at=now, challenge=challenge, certificate_pem=issued.certificate_pem, intermediates_pem=[],
        signature=base64.b64encode(signature).decode(), secret=secret, now=now,
    )  # fmt: skip


@dataclass(frozen=True)
class DemoResult:
    table: Table
    report: dict[str, Any]


def load_demo(
    engine: Engine,
    *,
    directory: Path,
    store: BlobStore,
    ledger_keys: LedgerKeys,
    console: Console | None = None,
    clock: Clock | None = None,
    bank_url: str | None = None,
    bank_public_key: str | None = None,
) -> DemoResult:
    """Load the demo (once): who can log in and how, and the JSON report of the tender story. A demo instance is
    left as it is; any other database that is not empty is refused (:class:`DatabaseNotEmpty`), untouched.

    The story starts 30 days before now on a fake clock, so that its first lot has been opened and its re-tendered
    lot is open for bidding now.

    ``bank_url`` (and the bank's pinned ``bank_public_key``): the bank simulator the deposits are paid at and refunded
    through, its clock driven along the story's (decision 0039); it must hold no books yet (:class:`DemoBankError`).
    None: no bank, the payments are skipped and the report says so.
    """
    tender_story_start = (clock or SystemClock()).now() - timedelta(days=30)
    story_clock = FixedClock(tender_story_start - RIGHTS_LEAD)  # the rights trades first (demo_rights)
    now = story_clock.now()
    factory = session_factory(engine)
    table = Table(title="ggzy demo: who can log in")
    for column in ("who", "role", "how"):
        table.add_column(column)
    status = (console or Console(quiet=True)).status("loading demo data: centres")
    with status, unit_of_work(factory) as db:
        if is_demo_instance(db):
            table.add_row("—", "—", "demo data is already loaded")
            return DemoResult(table=table, report={"ok": True, "already_loaded": True, "lots": [], "events": 0})
        holds = contents(db)
        if holds:
            raise DatabaseNotEmpty(holds)  # before any row, file or event
        bank = DemoBank(bank_url, public_key=bank_public_key or "") if bank_url else None  # refuses used books
        directory.mkdir(parents=True, exist_ok=True)
        mark_demo_instance(db, SYSTEM, now=now)  # its passwords and CA keys are public: every page says so
        _placeholder_calendar_years(db, first=now, last=tender_story_start + timedelta(days=_STORY_REACH_DAYS), now=now)
        province = service.create_centre(
            db, SYSTEM, name="云南省公共资源交易中心", region_code="530000", parent_id=None, now=now
        )
        city = service.create_centre(
            db, SYSTEM, name="昆明市公共资源交易中心", region_code="530100", parent_id=province.id, now=now
        )
        service.create_centre(
            db,
            SYSTEM,
            name="昆明市五华区公共资源交易分中心",
            region_code="530102",
            parent_id=city.id,
            now=now,
        )
        people = [
            ("admin", "平台管理员", RoleGrantIn(role=Role.PLATFORM_ADMIN)),
            ("staff", "昆明中心工作人员", RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)),
            (
                "supervisor",
                "昆明市住建局监督员",
                RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type=TradeType.CONSTRUCTION.value),
            ),
            ("inspector", "云南省纪检审计员", RoleGrantIn(role=Role.INSPECTOR, region_code="530000")),
            ("expert", "评标专家（演示）", RoleGrantIn(role=Role.EXPERT, centre_id=city.id)),
        ]
        for username, display_name, grant in people:
            service.create_user(
                db,
                SYSTEM,
                username=username,
                display_name=display_name,
                password=DEMO_PASSWORD,
                entity_id=None,
                roles=[grant],
                now=now,
            )
            table.add_row(f"{display_name} ({username})", grant.role.value, f"password {DEMO_PASSWORD}")

        status.update("loading demo data: certificate authorities of both suites")
        cas = {}
        for suite, name in ((Suite.GM, "云南数字证书认证中心（演示）"), (Suite.INTL, "Global Trust Demo CA")):
            ca_dir = directory / f"ca-{suite.value}"
            cas[suite] = ca_dir
            ca_certificate = init_ca(ca_dir, suite=suite, name=name, now=now)
            login.add_trust_anchor(db, SYSTEM, certificate_pem=ca_certificate.pem, name=name, now=now)

        status.update("loading demo data: entities log in with their certificates")
        staff = _staff(db, city.id)
        users: dict[str, User] = {}
        issued_by_key: dict[str, IssuedCertificate] = {}
        secret = secrets.token_bytes(32)  # the demo logs its entities in once, in this process
        for entity in ENTITIES:
            issued = issue_certificate(
                cas[entity.suite], kind="entity", name=entity.name, credit_code=entity.credit_code, now=now
            )
            issued_by_key[entity.key] = issued
            certificate_file = directory / f"{entity.key}.pem"
            key_file = directory / f"{entity.key}-key.pem"
            certificate_file.write_text(issued.certificate_pem)
            key_file.write_text(issued.private_key_pem)
            key_file.chmod(0o600)
            session = _certificate_login(
                db, pem=issued.certificate_pem, key_pem=issued.private_key_pem, secret=secret, now=now
            )
            users[entity.key] = session.user
            if entity.roles:
                enrolled = [enrolment.EnrolmentRole(role=role, centre_id=city.id) for role in entity.roles]
                _enrol_itself(db, session, issued, roles=enrolled, secret=secret, now=now)
            roles = ", ".join(role.value for role in (*entity.roles, Role.BIDDER))
            table.add_row(entity.name, roles, f"{entity.suite.value} certificate {certificate_file}")

        status.update("loading demo data: project registration")
        agent = login.principal_for(db, users["agent"]).holding(Permission.PROJECT_REGISTER)
        project = register_project(
            db,
            agent,
            data=ProjectIn(
                centre_id=city.id,
                name="昆明市第一中学教学楼改扩建工程",
                trade_type=TradeType.CONSTRUCTION,
                region_code="530102",
                owner_id=_entity_id(users["owner"]),
                agent_id=_entity_id(users["agent"]),
                approval_reference="昆发改投资〔2026〕118号",
                lots=[
                    LotIn(name="施工一标段（教学楼主体）", budget="18600000.00", ceiling_price="18200000.00"),
                    LotIn(name="施工二标段（室外及附属工程）", budget="4350000.00", ceiling_price="4280000.00"),
                    LotIn(name="施工三标段（运动场及室外管网）", budget="2960000.00", ceiling_price="2950000.00"),
                ],
            ),
            now=now,
        )
        accept_registration(db, staff.holding(Permission.PROJECT_REVIEW), project_id=project.id, now=now)
        purchase = register_project(
            db,
            agent,
            data=ProjectIn(
                centre_id=city.id,
                name="昆明市第一中学教学设备采购项目",
                trade_type=TradeType.GOV_PROCUREMENT,
                region_code="530102",
                owner_id=_entity_id(users["owner"]),
                agent_id=_entity_id(users["agent"]),
                approval_reference="昆财采计〔2026〕2051号",
                lots=[
                    LotIn(name="A包（多媒体教学设备）", budget="1950000.00", ceiling_price="1900000.00"),
                    LotIn(name="B包（实验室家具）", budget="800000.00", ceiling_price="780000.00"),
                    LotIn(name="C包（校园安防监控系统）", budget="560000.00", ceiling_price="550000.00"),
                ],
            ),
            now=now,
        )
        accept_registration(db, staff.holding(Permission.PROJECT_REVIEW), project_id=purchase.id, now=now)

        status.update("loading demo data: custodians, sealed bids, the remote opening")
        custodians = register_custodians(db, city_id=city.id, cas=cas, directory=directory, now=now)
        bidders = [
            DemoBidder(key=entity.key, user=users[entity.key], issued=issued_by_key[entity.key])
            for entity in ENTITIES
            if entity.key.startswith("bidder-")
        ]
        experts = register_expert_users(db, centre_id=city.id, password=DEMO_PASSWORD, now=now)
        status.update("loading demo data: the guarantee company, the bank")
        institution = _onboard_institution(
            db, staff, ca_dir=cas[Suite.GM], directory=directory, secret=secret, table=table, now=now
        )
        deposits = DemoDeposits(bank=bank, institution=institution)
        status.update("loading demo data: a land listing and a property auction")
        rights = run_rights_story(
            db,
            seller=RightsSeller(
                agent=users["agent"], owner=users["owner"], owner_certificate=issued_by_key["owner"],
                centre_id=city.id, staff=staff,
            ),
            bidders=[
                DemoBidder(key=entity.key, user=users[entity.key], issued=issued_by_key[entity.key])
                for entity in ENTITIES
                if entity.key.startswith("bidder-")
            ],
            deposits=deposits,
            clock=story_clock,
        )  # fmt: skip
        assert story_clock.now() < tender_story_start, "the rights trades run into the tender story"
        story_clock.set(tender_story_start)
        stories = run_tender_story(
            db,
            project=project,
            lots=lots_of(db, [project.id])[project.id],
            agent=login.principal_for(db, users["agent"]).holding(Permission.TENDER_MANAGE),
            bidders=bidders,
            custodians=custodians,
            store=store,
            ledger_keys=ledger_keys,
            staff=staff,
            experts=experts,
            clock=story_clock,
            procurement=ProcurementStory(project=purchase, lots=lots_of(db, [purchase.id])[purchase.id]),
            deposits=deposits,
        )
        register_province_experts(db, now=story_clock.now())
        if bank is not None:
            bank.give_back_its_time()
            bank.close()
        events = db.scalar(select(func.count()).select_from(Event)) or 0
        report = {
            "ok": True,
            "lots": [
                {
                    "code": story.code,
                    "round": story.round,
                    "tender_id": story.tender_id,
                    "procedure": story.procedure,
                    "procedure_name": procedure(story.procedure).name_zh,
                    "law": procedure(story.procedure).law.name_zh,
                    "stages": story.stages,
                    "procedure_stages": [stage.value for stage in procedure(story.procedure).stages],
                    "bids": story.bids,
                    "winner": story.winner,
                    "award_price_fen": story.award_price_fen,
                    "deposit": deposit_report(db, story.tender_id),
                }
                for story in stories
            ],
            "bank": _bank_report(bank, deposits),
            "rights_trades": [story.report() for story in rights],
            "events": events,
        }
        table.caption = (
            f"project {project.code}: lot 1 awarded and contracted, lot 2 failed at its opening and re-tendered; "
            f"procurement {purchase.code} (政府采购): lot A awarded from its report and contracted, lot B failed after "
            f"its evaluation and procured again, lot C by 竞争性磋商 to its result; "
            f"the new rounds are open for bidding; files in {directory}"
        )
        awarded = next((story.tender_id for story in stories if story.winner and story.procedure == "open"), None)
        end = story_clock.now()
    # the supervision after the story, in units of work of its own (an inspection's seed needs its plan committed)
    report["oversight"] = oversight_story(
        factory, ledger_keys=ledger_keys, ledger_clock=clock or SystemClock(), awarded_tender_id=awarded, now=end,
        dishonest_code=demo_credit_code("530100", DISHONEST_ORGANISATION),
    )  # fmt: skip
    (directory / "demo.json").write_text(
        json.dumps(
            {"project_code": project.code, "password": DEMO_PASSWORD} | report,
            ensure_ascii=False,
            indent=2,
        )
    )
    return DemoResult(table=table, report=report)


def _bank_report(bank: DemoBank | None, deposits: DemoDeposits) -> dict[str, Any]:
    if bank is None:
        return {
            "connected": False,
            "note": "no bank connected (GGZY_BANK_URL empty): the lots require deposits and the guarantee stands; "
            "sub-accounts, payments and refunds were skipped, so every other bid's deposit is unpaid at its opening",
            "skipped": deposits.notes,
        }
    return {"connected": True, "url": bank.url, "settlement_account": bank.adapter.settlement_account}


def _onboard_institution(
    db: Session, staff: Principal, *, ca_dir: Path, directory: Path, secret: bytes, table: Table, now: datetime
) -> DemoInstitution:
    """The demo's guarantee company (担保公司, decision 0035): a certificate of the demo's GM CA, a login with it
    and a user it enrols itself with the institution role, onboarded by the centre's staff."""
    from ggzy.finance.guarantees import InstitutionKind, onboard_institution

    code = demo_credit_code("530100", INSTITUTION_ORGANISATION)
    issued = issue_certificate(ca_dir, kind="entity", name=INSTITUTION_NAME, credit_code=code, now=now)
    (directory / "institution.pem").write_text(issued.certificate_pem)
    key_file = directory / "institution-key.pem"
    key_file.write_text(issued.private_key_pem)
    key_file.chmod(0o600)
    session = _certificate_login(db, pem=issued.certificate_pem, key_pem=issued.private_key_pem, secret=secret, now=now)
    _enrol_itself(db, session, issued, roles=[enrolment.EnrolmentRole(role=Role.INSTITUTION)], secret=secret, now=now)
    onboard_institution(
        db, staff.holding(Permission.INSTITUTION_ONBOARD), kind=InstitutionKind.GUARANTEE_COMPANY,
        certificate_pem=issued.certificate_pem, intermediates_pem=[], now=now,
    )  # fmt: skip
    table.add_row(
        INSTITUTION_NAME, Role.INSTITUTION.value, f"{Suite.GM.value} certificate {directory / 'institution.pem'}"
    )
    actor = login.principal_for(db, session.user).holding(Permission.GUARANTEE_ISSUE)
    return DemoInstitution(actor=actor, issued=issued)


def _entity_id(user: User) -> int:
    assert user.entity_id is not None
    return user.entity_id


def _staff(db: Session, centre_id: int) -> Principal:
    user = db.scalar(select(User).where(User.username == "staff"))
    assert user is not None
    return login.principal_for(db, user).holding(Permission.USER_MANAGE)


# The province's pool (省级总库, decision 0041): experts the Kunming centre and its 五华区 branch draw from when their
# own pools run short (nearest first: a draw of more than the city's six A01 experts, or of A03 where the city has
# none, takes them). Registered after the story, so that its draws are the same as before.
PROVINCE_EXPERTS = (
    ("孙志强", "云南省工程咨询院", "MA6KPA021"),
    ("刘晓梅", "云南省水利水电勘测设计研究院", "MA6KPB022"),
    ("何建华", "云南省城乡规划设计研究院", "MA6KPC023"),
    ("马丽娟", "云南财经大学", "MA6KPD024"),
    ("段文斌", "云南省公路科学技术研究院", "MA6KPE025"),
)


def register_province_experts(db: Session, *, now: datetime) -> list[int]:
    """Five experts of the province's pool (530000), of specialties A01 and A03, by the platform administrator."""
    from ggzy.entities.schemas import EntityIn
    from ggzy.experts import service as expert_register

    registered = []
    for number, (name, employer, organisation) in enumerate(PROVINCE_EXPERTS, start=1):
        entity = service.register_entity(
            db, SYSTEM, data=EntityIn(credit_code=demo_credit_code("530000", organisation), name=employer,
                                      kind="institution"), now=now,
        )  # fmt: skip
        user = service.create_user(
            db, SYSTEM, username=f"expert-province-{number}", display_name=name, password=DEMO_PASSWORD,
            entity_id=None, roles=[RoleGrantIn(role=Role.EXPERT)], now=now,
        )  # fmt: skip
        expert = expert_register.register_expert(
            db, SYSTEM, user_id=user.id, name=name, employer_id=entity.id, specialty_codes=["A01", "A03"],
            tier="province", region_code="530000", now=now,
        )  # fmt: skip
        registered.append(expert.id)
    return registered
