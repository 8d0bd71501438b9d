"""Small keyword-default factories for test data, built through the services (never raw rows)."""

from __future__ import annotations

import base64
import itertools
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.codes import credit_code_check_character
from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Permission, Principal, Role
from ggzy.crypto import IssuedCertificate, Suite, init_ca, issue_certificate, load_certificate, load_private_key_pem
from ggzy.entities import enrolment, login, service
from ggzy.entities.models import Centre, Entity, TrustAnchor, User
from ggzy.entities.schemas import EntityIn, RoleGrantIn
from ggzy.experts.models import Expert
from tests.conftest import TEST_NOW

_serials = itertools.count(1)
_ORGANISATION_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(region_code: str = "530100", *, serial: int | None = None) -> str:
    """A fresh, valid 统一社会信用代码 for a company registered in ``region_code``."""
    number = next(_serials) if serial is None else serial
    organisation = ""
    for _ in range(9):
        number, digit = divmod(number, len(_ORGANISATION_CHARS))
        organisation = _ORGANISATION_CHARS[digit] + organisation
    first17 = f"91{region_code}{organisation}"
    return first17 + credit_code_check_character(first17)


def make_centres(db: Session) -> dict[str, Centre]:
    """Yunnan province → Kunming city → Wuhua county branch, plus a Qujing city centre."""
    province = service.create_centre(
        db, SYSTEM, name=f"云南省中心{next(_serials)}", region_code="530000", parent_id=None, now=TEST_NOW
    )
    city = service.create_centre(
        db,
        SYSTEM,
        name=f"昆明市中心{next(_serials)}",
        region_code="530100",
        parent_id=province.id,
        now=TEST_NOW,
    )
    county = service.create_centre(
        db,
        SYSTEM,
        name=f"五华区分中心{next(_serials)}",
        region_code="530102",
        parent_id=city.id,
        now=TEST_NOW,
    )
    other_city = service.create_centre(
        db,
        SYSTEM,
        name=f"曲靖市中心{next(_serials)}",
        region_code="530300",
        parent_id=province.id,
        now=TEST_NOW,
    )
    return {"province": province, "city": city, "county": county, "other_city": other_city}


def make_entity(db: Session, *, name: str | None = None, region_code: str = "530100") -> Entity:
    number = next(_serials)
    return service.register_entity(
        db,
        SYSTEM,
        data=EntityIn(
            credit_code=credit_code(region_code, serial=number),
            name=name or f"测试企业{number}有限公司",
            legal_representative=f"法定代表人{number}",
        ),
        now=TEST_NOW,
    )


def make_user(
    db: Session,
    *,
    roles: list[RoleGrantIn] | None = None,
    entity_id: int | None = None,
    password: str | None = None,
    username: str | None = None,
) -> User:
    """A user with ``roles``. A market entity's user (an entity role, or ``entity_id``) is enrolled by the entity
    itself, signing with its own certificate (decision 0013); any other is created by the platform."""
    roles = roles or []
    username = username or f"user{next(_serials)}"
    if entity_id is not None or any(grant.role in service.ENTITY_ROLES for grant in roles):
        entity = service.get_entity(db, entity_id) if entity_id is not None else make_entity(db)
        return enrol(db, entity, username=username, password=password, roles=roles)
    return service.create_user(
        db,
        SYSTEM,
        username=username,
        display_name="测试用户",
        password=password,
        entity_id=None,
        roles=roles,
        now=TEST_NOW,
    )


FACTORY_SECRET = b"f" * 32
# The portal origin the factories' in-process certificate logins are signed for (login.login_message).
LOGIN_ORIGIN = "https://ggzy.test"
_factory_ca: list[Path] = []


def factory_ca() -> Path:
    """An INTL test CA of this test process, issuing the certificates entities enrol their users with."""
    if not _factory_ca:
        directory = Path(tempfile.mkdtemp(prefix="ggzy-factory-ca-"))
        init_ca(directory, suite=Suite.INTL, name="Factory Test CA", now=TEST_NOW - timedelta(days=30))
        _factory_ca.append(directory)
    return _factory_ca[0]


def trust_factory_ca(db: Session) -> None:
    pem = (factory_ca() / "ca.pem").read_text()
    if db.scalar(select(TrustAnchor.id).where(TrustAnchor.fingerprint == load_certificate(pem).fingerprint)) is None:
        login.add_trust_anchor(db, SYSTEM, certificate_pem=pem, name=None, now=TEST_NOW)


def entity_login(db: Session, entity: Entity, *, ca_dir: Path | None = None) -> tuple[Principal, IssuedCertificate]:
    """The entity logs in with a certificate of its own (by default from the factory CA, trusted on the way)."""
    if ca_dir is None:
        trust_factory_ca(db)
    issued = issue(ca_dir or factory_ca(), name=entity.name, code=entity.credit_code)
    nonce, _ = login.issue_nonce(secret=FACTORY_SECRET, now=TEST_NOW, lifetime=timedelta(minutes=5))
    signature = load_private_key_pem(issued.private_key_pem).sign(login.login_message(nonce, LOGIN_ORIGIN))
    result = login.certificate_login(
        db, origin=LOGIN_ORIGIN, nonce=nonce, certificate_pem=issued.certificate_pem, intermediates_pem=[],
        signature=base64.b64encode(signature).decode(), secret=FACTORY_SECRET, now=TEST_NOW,
        lifetime=timedelta(days=90),
    )  # fmt: skip
    db.flush()
    return login.authenticate_token(db, result.token, now=TEST_NOW), issued


def signed_enrolment(
    entity: Entity,
    issued: IssuedCertificate,
    *,
    username: str,
    display_name: str = "测试用户",
    roles: list[RoleGrantIn],
    challenge: str | None = None,
    signed_at: object = None,
) -> dict[str, object]:
    """The fields of an enrolment of ``username`` signed with ``issued``'s key (as ``ggzy bid enrol-user`` signs)."""
    if challenge is None:
        challenge, _ = login.issue_nonce(secret=FACTORY_SECRET, now=TEST_NOW, lifetime=timedelta(minutes=5))
    when = signed_at or TEST_NOW
    items = [enrolment.EnrolmentRole(role=grant.role, centre_id=grant.centre_id) for grant in roles]
    statement = enrolment.enrolment_statement(
        credit_code=entity.credit_code, username=username, display_name=display_name, roles=items,
        signed_at=when, challenge=challenge,  # type: ignore[arg-type]
    )  # fmt: skip
    return {
        "username": username,
        "display_name": display_name,
        "roles": items,
        "signed_at": when,
        "challenge": challenge,
        "certificate_pem": issued.certificate_pem,
        "intermediates_pem": [],
        "signature": base64.b64encode(load_private_key_pem(issued.private_key_pem).sign(statement)).decode(),
    }


def enrol(
    db: Session,
    entity: Entity,
    *,
    username: str,
    roles: list[RoleGrantIn],
    password: str | None = None,
    display_name: str = "测试用户",
) -> User:
    """``entity`` logs in with its certificate and enrols ``username`` (new, or one of its users) with ``roles``."""
    actor, issued = entity_login(db, entity)
    fields = signed_enrolment(entity, issued, username=username, display_name=display_name, roles=roles)
    return enrolment.enrol_user(
        db,
        actor,
        password=password,
        secret=FACTORY_SECRET,
        now=TEST_NOW,
        **fields,  # type: ignore[arg-type]
    )


def enrol_roles(db: Session, user: User, roles: list[RoleGrantIn]) -> User:
    """The user's entity gives it more roles, by a signed enrolment."""
    assert user.entity_id is not None
    entity = service.get_entity(db, user.entity_id)
    return enrol(db, entity, username=user.username, display_name=user.display_name, roles=roles)


def principal(db: Session, user: User, permission: Permission | None = None) -> Principal:
    """The user as a service sees it, acting under the role that holds ``permission``."""
    who = login.principal_for(db, user)
    return who.holding(permission) if permission else who


def token_for(db: Session, user: User) -> dict[str, str]:
    """Authorization headers of a fresh session for ``user``."""
    token, _ = login.open_session(
        db, user, method="password", certificate_id=None, now=TEST_NOW, lifetime=timedelta(days=90)
    )
    db.flush()
    return {"authorization": f"Bearer {token}"}


def user_with_role(db: Session, role: Role, *, centre_id: int | None = None, entity: bool = False) -> User:
    grant = RoleGrantIn(role=role, centre_id=centre_id)
    if role in (Role.SUPERVISOR, Role.INSPECTOR):
        grant = RoleGrantIn(role=role, region_code="530000")
    if role == Role.CENTRE_STAFF and centre_id is None:
        centre = service.create_centre(
            db, SYSTEM, name=f"中心{next(_serials)}", region_code="530000", parent_id=None, now=TEST_NOW
        )
        grant = RoleGrantIn(role=role, centre_id=centre.id)
    entity_id = make_entity(db).id if entity else None
    return make_user(db, roles=[grant], entity_id=entity_id)


def event_count(db: Session, action: str | None = None) -> int:
    query = select(func.count()).select_from(Event)
    if action is not None:
        query = query.where(Event.action == action)
    return db.scalar(query) or 0


def issue(
    ca_dir: Path,
    *,
    name: str = "昆明测试建设有限公司",
    code: str | None = None,
    days: int = 365,
    **kwargs: object,
) -> IssuedCertificate:
    return issue_certificate(
        ca_dir,
        kind=kwargs.pop("kind", "entity"),  # type: ignore[arg-type]
        name=name,
        credit_code=code or credit_code(),
        now=kwargs.pop("now", TEST_NOW - timedelta(days=1)),  # type: ignore[arg-type]
        valid_days=days,
        **kwargs,  # type: ignore[arg-type]
    )


def client_origin(client: TestClient) -> str:
    """The origin a TestClient's requests arrive at (``http://testserver``): what a login through it is signed for."""
    return f"{client.base_url.scheme}://{client.base_url.netloc.decode('ascii')}"


def certificate_login_body(client: TestClient, issued: IssuedCertificate, *, sign_nonce: str | None = None) -> dict:
    """Ask for a nonce and sign it (or ``sign_nonce`` instead) with the certificate's key."""
    response = client.post("/api/v1/auth/nonce")
    assert response.status_code == 200, response.text
    nonce = response.json()["nonce"]
    key = load_private_key_pem(issued.private_key_pem)
    signature = key.sign(login.login_message(sign_nonce or nonce, client_origin(client)))
    return {
        "nonce": nonce,
        "certificate_pem": issued.certificate_pem,
        "signature": base64.b64encode(signature).decode(),
    }


def suites() -> list[Suite]:
    return [Suite.GM, Suite.INTL]


def project_body(
    *,
    centre_id: int,
    owner_id: int,
    agent_id: int | None = None,
    trade_type: str = "construction",
    region_code: str = "530100",
    name: str = "五华区第一中学教学楼改扩建工程",
    lots: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    """The JSON of a project registration (进场登记): by default one construction lot of 1,200,000.00 yuan."""
    return {
        "centre_id": centre_id,
        "name": name,
        "trade_type": trade_type,
        "region_code": region_code,
        "owner_id": owner_id,
        "agent_id": agent_id,
        "approval_reference": "五发改投资〔2026〕88号",
        "lots": lots if lots is not None else [{"name": "施工总承包", "budget": "1200000.00"}],
    }


def make_accepted_project(db: Session, *, trade_type: str = "construction", lots: int = 1) -> dict:
    """A project accepted by a Kunming centre, with its owner, agent and their users holding the roles."""
    from ggzy.projects import service as projects
    from ggzy.projects.schemas import LotIn, ProjectIn

    centres = make_centres(db)
    city = centres["city"]
    owner, agent = make_entity(db, name=f"招标人{next(_serials)}"), make_entity(db, name=f"代理机构{next(_serials)}")
    owner_user = make_user(db, roles=[RoleGrantIn(role=Role.OWNER, centre_id=city.id)], entity_id=owner.id)
    agent_user = make_user(db, roles=[RoleGrantIn(role=Role.AGENT, centre_id=city.id)], entity_id=agent.id)
    staff = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)])
    project = projects.register_project(
        db,
        principal(db, agent_user, Permission.PROJECT_REGISTER),
        data=ProjectIn(
            centre_id=city.id,
            name="测试工程",
            trade_type=trade_type,
            region_code="530102",
            owner_id=owner.id,
            agent_id=agent.id,
            lots=[LotIn(name=f"第{n}标段", budget="1000000.00") for n in range(1, lots + 1)],
        ),
        now=TEST_NOW,
    )
    projects.accept_registration(
        db, principal(db, staff, Permission.PROJECT_REVIEW), project_id=project.id, now=TEST_NOW
    )
    lot_ids = projects.lots_of(db, [project.id])[project.id]
    custodians = make_custodians(db, city.id)
    return {
        "centres": centres,
        "project": project,
        "lots": lot_ids,
        "owner": owner,
        "agent": agent,
        "owner_user": owner_user,
        "agent_user": agent_user,
        "staff": staff,
        "custodians": custodians,
    }


def bidder_user(db: Session, *, region_code: str = "530100") -> User:
    """A market entity's user holding the bidder role."""
    entity = make_entity(db, region_code=region_code)
    return make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=entity.id)


# Test data, not the State Council's schedule (published late in 2026): 1 January a holiday, weekends off.
TEST_SCHEDULE_2027 = '{"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "test data"}'


def load_test_calendar(db: Session) -> None:
    """Tender stories that start at TEST_NOW (24 November 2026) run into 2027, which the calendar package does not
    know: every statutory period is counted on the holiday calendar (民法典 第203条), so load a test 2027."""
    from ggzy.core.calendar import parse_year_schedule
    from ggzy.core.calendar_store import CalendarYear, load_calendar_year

    if db.get(CalendarYear, 2027) is None:
        load_calendar_year(db, SYSTEM, schedule=parse_year_schedule(TEST_SCHEDULE_2027), now=TEST_NOW)


def make_published_tender(
    db: Session, *, setup: dict | None = None, procedure: str = "open", invited: list[int] | None = None,
    summary_fields: Sequence[Any] = (),
):  # type: ignore[no-untyped-def]  # fmt: skip
    """A tender published at TEST_NOW with a deadline 25 days later and documents on offer for 10 days (and the
    test calendar for 2027, :func:`load_test_calendar`); ``summary_fields``: its opening summary beyond the price."""
    from ggzy.tendering import service as tendering
    from ggzy.tendering.procedures import Method

    load_test_calendar(db)
    setup = setup or make_accepted_project(db)
    agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    tender = tendering.create_tender(
        db,
        agent,
        lot_id=setup["lots"][0].id,
        procedure_key=procedure,
        method=Method.SCORING,
        title="测试工程施工招标",
        notice_text="招标公告正文",
        documents_until=TEST_NOW + timedelta(days=10),
        bid_deadline=TEST_NOW + timedelta(days=25),
        invited_entity_ids=invited or [],
        now=TEST_NOW,
        summary_fields=summary_fields,
    )
    tendering.attach_documents(
        db, agent, tender_id=tender.id, sha256="a" * 64, name="招标文件.pdf", size=10, now=TEST_NOW
    )
    tendering.publish_tender(db, agent, tender_id=tender.id, now=TEST_NOW)
    return tender, setup


_CUSTODIAN_MATERIAL: dict[str, object] = {}


def _custodian_material() -> dict[str, object]:
    """Two CAs (GM and INTL) and, per suite, three custodians' certificates and keys — made once per process."""
    if not _CUSTODIAN_MATERIAL:
        import tempfile

        from ggzy.crypto import init_ca

        root = Path(tempfile.mkdtemp(prefix="ggzy-custodians-"))
        cas = {}
        for suite in suites():
            cas[suite] = root / suite.value
            init_ca(cas[suite], suite=suite, name=f"保管人测试CA-{suite.value}", now=TEST_NOW - timedelta(days=30))
        codes = [credit_code("530100", serial=900_000 + n) for n in range(3)]
        people = {
            suite: [
                issue_certificate(
                    cas[suite],
                    kind="person",
                    name=f"保管人{n}",
                    credit_code=codes[n],
                    organization=f"保管单位{n}",
                    person_id=f"C{n}",
                    now=TEST_NOW - timedelta(days=1),
                )
                for n in range(3)
            ]
            for suite in suites()
        }
        _CUSTODIAN_MATERIAL.update(cas=cas, codes=codes, people=people)
    return _CUSTODIAN_MATERIAL


def make_custodians(db: Session, centre_id: int) -> dict:
    """Three custodians of different entities, each with a GM and an INTL certificate, for a centre."""
    from ggzy.crypto import load_certificate
    from ggzy.entities.models import TrustAnchor
    from ggzy.tendering import keys

    material = _custodian_material()
    for _suite, directory in material["cas"].items():  # type: ignore[attr-defined]
        pem = (directory / "ca.pem").read_text()
        if (
            db.scalar(select(TrustAnchor.id).where(TrustAnchor.fingerprint == load_certificate(pem).fingerprint))
            is None
        ):
            login.add_trust_anchor(db, SYSTEM, certificate_pem=pem, name=None, now=TEST_NOW)
    entities = []
    for n, code in enumerate(material["codes"]):  # type: ignore[arg-type]
        entity = service.find_entity_by_credit_code(db, code) or service.register_entity(
            db, SYSTEM, data=EntityIn(credit_code=code, name=f"保管单位{n}"), now=TEST_NOW
        )
        entities.append(entity)
    registered = []
    for _suite, people in material["people"].items():  # type: ignore[attr-defined]
        for n, issued in enumerate(people):
            registered.append(
                keys.register_custodian(
                    db,
                    SYSTEM,
                    centre_id=centre_id,
                    entity_id=entities[n].id,
                    name=f"保管人{n}",
                    role=("centre", "supervisor", "notary")[n],
                    certificate_pem=issued.certificate_pem,
                    now=TEST_NOW,
                )
            )
    return {"custodians": registered, "people": material["people"]}


def make_expert(
    db: Session,
    *,
    specialty_codes: list[str] | None = None,
    region_code: str = "530100",
    employer_id: int | None = None,
    name: str | None = None,
) -> Expert:
    """An expert of the register (a user holding the expert role), registered by the platform administrator."""
    from ggzy.core.codes import region_level
    from ggzy.experts import service as experts

    user = make_user(db, roles=[RoleGrantIn(role=Role.EXPERT)], password="expert password 1")
    employer = employer_id if employer_id is not None else make_entity(db, name=f"专家单位{next(_serials)}").id
    return experts.register_expert(
        db, SYSTEM, user_id=user.id, name=name or f"专家{next(_serials)}", employer_id=employer,
        specialty_codes=specialty_codes or ["A01"], tier=region_level(region_code), region_code=region_code,
        now=TEST_NOW,
    )  # fmt: skip


def _located_in(centre_region: str) -> str:
    """Where a test project lies: 五华区 (530102) when the centre's area holds it, else the centre's own region."""
    from ggzy.core.codes import region_contains

    return "530102" if region_contains(centre_region, "530102") else centre_region


def make_opened_tender(
    db: Session,
    ca_dir: Path,
    *,
    prices: list[int],
    method: str = "scoring",
    ceiling_price: str | None = None,
    trade_type: str = "construction",
    procedure: str = "open",
    summary_fields: Sequence[Any] = (),
    summaries: list[dict[str, Any]] | None = None,
    deposit_fen: int | None = None,
    before_opening: Callable[[Any, list[User]], None] | None = None,
    centre_level: str = "city",
    centres: dict[str, Any] | None = None,
) -> dict:
    """A tender opened through the services: one bidder per price (in fen), each bid decrypted by its bidder, the
    opening record read out; the project's lot has ``ceiling_price`` (yuan) if given. Returns the ``setup`` of
    :func:`make_accepted_project` plus ``tender``, ``bidders`` (users) and ``bid_ids`` in the order of ``prices``.
    ``trade_type`` and ``procedure`` pick the law and the procedure; a procedure by invitation invites the bidders
    (a single-source one publicises its supplier first, 政府采购法实施条例 第38条). ``summary_fields``: the opening
    summary's items the tender declares beyond the price; ``summaries``: each bid's summary beyond its price.
    ``deposit_fen``: the bid deposit the tender requires (valid 90 days); ``before_opening(tender, bidders)`` runs
    once the bids are in, before the opening starts (to pay deposits, or check what is sealed). ``centre_level``:
    which centre of :func:`make_centres` (or of ``centres``, to share one hierarchy) runs the project (its staff are
    ``staff``)."""
    import io

    from ggzy.crypto import load_certificate
    from ggzy.crypto.envelope import read_envelope_header, unwrap_data_key
    from ggzy.entities.models import TrustAnchor
    from ggzy.projects import service as projects
    from ggzy.projects.schemas import LotIn, ProjectIn
    from ggzy.storage import LocalBlobStore
    from ggzy.tendering import bids, opening, procedures
    from ggzy.tendering import service as tendering
    from ggzy.tendering.procedures import Method
    from tests.conftest import LEDGER_KEYS
    from tests.tendering.test_bids import Bidder, seal

    load_test_calendar(db)
    pem = (ca_dir / "ca.pem").read_text()
    if db.scalar(select(TrustAnchor.id).where(TrustAnchor.fingerprint == load_certificate(pem).fingerprint)) is None:
        login.add_trust_anchor(db, SYSTEM, certificate_pem=pem, name=None, now=TEST_NOW)
    centres = centres or make_centres(db)
    city = centres[centre_level]
    owner, agent = make_entity(db, name=f"招标人{next(_serials)}"), make_entity(db, name=f"代理机构{next(_serials)}")
    owner_user = make_user(db, roles=[RoleGrantIn(role=Role.OWNER, centre_id=city.id)], entity_id=owner.id)
    agent_user = make_user(db, roles=[RoleGrantIn(role=Role.AGENT, centre_id=city.id)], entity_id=agent.id)
    staff = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)])
    project = projects.register_project(
        db,
        principal(db, agent_user, Permission.PROJECT_REGISTER),
        data=ProjectIn(
            centre_id=city.id, name="评标测试工程", trade_type=trade_type, region_code=_located_in(city.region_code),
            owner_id=owner.id, agent_id=agent.id,
            lots=[LotIn(name="第1标段", budget="1000000.00", ceiling_price=ceiling_price)],
        ),
        now=TEST_NOW,
    )  # fmt: skip
    projects.accept_registration(
        db, principal(db, staff, Permission.PROJECT_REVIEW), project_id=project.id, now=TEST_NOW
    )
    make_custodians(db, city.id)
    lot = projects.lots_of(db, [project.id])[project.id][0]
    manager = principal(db, agent_user, Permission.TENDER_MANAGE)
    chosen = procedures.procedure(procedure)
    invitees = [bidder_user(db) for _ in prices] if chosen.by_invitation else []
    published_at = TEST_NOW
    if chosen.periods.sole_supplier_publicity is not None:  # 实施条例 第38条: 5 working days before it goes on
        published_at = TEST_NOW + timedelta(days=10)
    tender = tendering.create_tender(
        db, manager, lot_id=lot.id, procedure_key=procedure, method=Method(method), title="评标测试招标",
        notice_text="招标公告正文", documents_until=published_at + timedelta(days=10),
        bid_deadline=published_at + timedelta(days=25), invited_entity_ids=[u.entity_id for u in invitees],
        now=TEST_NOW, summary_fields=summary_fields, deposit_fen=deposit_fen,
        bid_validity_days=90 if deposit_fen is not None else None,
    )  # fmt: skip
    tendering.attach_documents(db, manager, tender_id=tender.id, sha256="c" * 64, name="f.pdf", size=1, now=TEST_NOW)
    if chosen.periods.sole_supplier_publicity is not None:
        tendering.publicise_sole_supplier(db, manager, tender_id=tender.id, notice_text="唯一供应商公示", now=TEST_NOW)
    tendering.publish_tender(db, manager, tender_id=tender.id, now=published_at)
    store = LocalBlobStore(ca_dir.parent / f"evaluation-blobs-{next(_serials)}")
    crew = []
    for index, price in enumerate(prices):
        bidder = Bidder(db, ca_dir, tender.id, user=invitees[index] if invitees else None, now=published_at)
        others = summaries[index] if summaries is not None else {"schedule_days": 300}
        envelope = seal(db, tender, bidder, summary={"price_fen": price, **others})
        actor = principal(db, bidder.user, Permission.TENDER_REGISTER)
        bids.submit_bid(
            db, actor, tender_id=tender.id, envelope=io.BytesIO(envelope), store=store, max_bytes=10**8,
            details={}, signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
        )  # fmt: skip
        crew.append((bidder, envelope, actor))
    if before_opening is not None:
        before_opening(tender, [bidder.user for bidder, _, _ in crew])
    after = tender.bid_deadline + timedelta(minutes=1)
    host = principal(db, agent_user, Permission.OPENING_HOST)
    opening.start_opening(db, host, tender_id=tender.id, now=after)
    bid_ids = []
    for bidder, envelope, actor in crew:
        header = read_envelope_header(io.BytesIO(envelope))
        key = unwrap_data_key(header, load_private_key_pem(bidder.issued.private_key_pem), "bidder")
        decrypted = opening.decrypt_bid(
            db, actor, tender_id=tender.id, data_key=key, store=store, max_mb=100, now=after
        )
        bid_ids.append(decrypted.bid_id)
    opening.finish_opening(
        db, host, tender_id=tender.id, not_bidders_fault=[], signers=LEDGER_KEYS.signers, now=after + timedelta(hours=1)
    )
    return {
        "centres": centres, "project": project, "lot": lot, "owner": owner, "agent": agent, "owner_user": owner_user,
        "agent_user": agent_user, "staff": staff, "tender": tender, "bidders": [b.user for b, _, _ in crew],
        "bid_ids": bid_ids, "opened_at": after + timedelta(hours=1), "certificates": [b.issued for b, _, _ in crew],
    }  # fmt: skip


def make_evaluated_tender(
    db: Session, ca_dir: Path, *, prices: list[int] | None = None, method: str = "lowest_price", **kwargs: Any
) -> dict:
    """A tender driven through the services to a finalised evaluation report (评标报告): opened as in
    :func:`make_opened_tender`, five experts drawn, evaluated by the lowest evaluated price with no qualification
    criteria, the report finalised by the centre's staff at ``opened_at``. Returns the opened ``setup`` plus
    ``report`` and ``reported_at``; with the default prices the candidates rank bids 2, 1, 0 (cheapest first)."""
    from decimal import Decimal

    from ggzy.evaluation import rules as evaluation_rules
    from ggzy.evaluation import service as evaluation
    from ggzy.experts import service as experts

    opened = make_opened_tender(
        db, ca_dir, prices=prices or [30_000_000, 20_000_000, 10_000_000], method=method, **kwargs
    )
    centre = opened["centres"][kwargs.get("centre_level", "city")]
    for _ in range(5):
        make_expert(db, region_code=centre.region_code)  # the pool of the tender's centre (decision 0041)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    tender_id, now = opened["tender"].id, opened["opened_at"]
    experts.draw_committee(
        db, staff, tender_id=tender_id, specialty_code="A01", size=5, reserve=0, owner_representative_user_ids=[],
        now=now,
    )  # fmt: skip
    scheme = evaluation_rules.Scheme((), (), Decimal(0), evaluation_rules.PriceFormula.LOWEST_BASE)
    evaluation.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)
    finaliser = principal(db, opened["staff"], Permission.EVALUATION_FINALISE)
    report = evaluation.finalise_report(db, finaliser, tender_id=tender_id, now=now)
    return opened | {"report": report, "reported_at": now}


def make_publicised_tender(db: Session, ca_dir: Path, **kwargs: object) -> dict:
    """An evaluated tender whose candidates the agent publicised at ``reported_at`` for the shortest lawful time
    (实施条例 第54条); adds ``publicity``."""
    from ggzy.awards import service as awards

    evaluated = make_evaluated_tender(db, ca_dir, **kwargs)  # type: ignore[arg-type]
    manager = principal(db, evaluated["agent_user"], Permission.AWARD_MANAGE)
    publicity = awards.publish_publicity(
        db, manager, tender_id=evaluated["tender"].id, ends_at=None, now=evaluated["reported_at"]
    )
    return evaluated | {"publicity": publicity}


def make_awarded_tender(db: Session, ca_dir: Path, **kwargs: object) -> dict:
    """A publicised tender awarded to its first candidate when the publicity ended (实施条例 第55条); adds
    ``award``."""
    from ggzy.awards import service as awards
    from tests.conftest import LEDGER_KEYS

    publicised = make_publicised_tender(db, ca_dir, **kwargs)
    manager = principal(db, publicised["agent_user"], Permission.AWARD_MANAGE)
    first = awards.candidates_of(publicised["publicity"])[0]
    award = awards.award_tender(
        db, manager, tender_id=publicised["tender"].id, bid_id=first["bid_id"], passed_over=[],
        signers=LEDGER_KEYS.signers, now=publicised["publicity"].ends_at,
    )  # fmt: skip
    return publicised | {"award": award}


def check_in_committee(db: Session, staff_user: User, tender_id: int, now: datetime) -> None:
    """The centre's staff check every sitting member of the tender's committee in at the venue (签到): only a member
    checked in evaluates (ggzy.evaluation.access.present_member_for)."""
    from ggzy.experts import service as experts

    staff = principal(db, staff_user, Permission.COMMITTEE_DRAW)
    for member in experts.sitting_members(db, tender_id):
        experts.check_in_member(db, staff, tender_id=tender_id, member_id=member.id, now=now)
