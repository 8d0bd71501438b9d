"""DESIGN §4.1: one transaction, one event — and the events table is append-only in the database itself."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ggzy.core.calendar import parse_year_schedule
from ggzy.core.calendar_store import load_calendar_year
from ggzy.core.events import STATE_CHANGING_SERVICES, Event, changes_state, record_event
from ggzy.core.instance import mark_demo_instance
from ggzy.core.permissions import SYSTEM, Permission, Role
from ggzy.crypto import Suite, current_crl, load_private_key_pem
from ggzy.entities import enrolment, login, service
from ggzy.entities.schemas import EntityIn, EntityUpdate, RoleGrantIn
from ggzy.ledger.note import generate_cosignature_signer
from ggzy.ledger.service import register_witness
from ggzy.projects import service as projects
from ggzy.projects.schemas import LotIn, ProjectIn
from tests.auctions.support import AUCTION_ACTIONS, auction_scenario
from tests.complaints.scenarios import COMPLAINT_ACTIONS, complaint_scenario, republish_scenario
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.credit.support import CREDIT_ACTIONS, credit_scenario
from tests.factories import (
    FACTORY_SECRET,
    LOGIN_ORIGIN,
    credit_code,
    entity_login,
    event_count,
    issue,
    make_centres,
    make_entity,
    make_user,
    principal,
    signed_enrolment,
)
from tests.finance.desk_support import alert_resolution_scenario
from tests.finance.guarantees_support import GUARANTEE_ACTIONS, award_loan_scenario, guarantee_scenario
from tests.finance.performance_support import PERFORMANCE_ACTIONS, performance_scenario
from tests.finance.support import FINANCE_ACTIONS, finance_scenario, forfeiture_scenario
from tests.prequalification.scenarios import PREQUALIFICATION_ACTIONS, prequalification_scenario
from tests.supervision.inspection_support import (
    inspection_scenario,
    tipoff_scenario,
    trail_scenario,
    watch_scenario,
)
from tests.tendering.negotiation_support import NEGOTIATION_ACTIONS, negotiation_scenario
from tests.venues.site_record_support import SITE_RECORD_ACTIONS, site_record_scenario
from tests.venues.venue_support import VENUE_ACTIONS, venue_scenario

LIFETIME = timedelta(hours=1)
SCHEDULE_2027 = '{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}'
SECRET = b"s" * 32


def _project_registration(db: Session) -> Callable[[], int]:
    """Centres and an owner ready; the returned call registers the project."""
    centres = make_centres(db)
    owner = make_entity(db)
    user = make_user(db, roles=[RoleGrantIn(role=Role.OWNER, centre_id=centres["city"].id)], entity_id=owner.id)
    actor = principal(db, user, Permission.PROJECT_REGISTER)
    data = ProjectIn(
        centre_id=centres["city"].id,
        name="事件测试工程",
        trade_type="construction",
        region_code="530102",
        owner_id=owner.id,
        lots=[LotIn(name="一标段", budget="100.00")],
    )
    return lambda: projects.register_project(db, actor, data=data, now=TEST_NOW).id


def _entity_relation(db: Session, action: str) -> Callable[[], object]:
    """Relation services (实施条例 第34条): a parent and a subsidiary, the subsidiary's bidder user declaring."""
    from ggzy.entities import relations
    from ggzy.entities.schemas import EntityRelationCorrection, EntityRelationIn

    parent, subsidiary = make_entity(db), make_entity(db)
    data = EntityRelationIn(
        kind="shareholding", upper_entity_id=parent.id, lower_entity_id=subsidiary.id, share_percent=Decimal("51")
    )
    if action == "entity.relation_declared":
        user = make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=subsidiary.id)
        actor = principal(db, user, Permission.ENTITY_UPDATE_OWN)
        return lambda: relations.declare_relation(db, actor, data=data, now=TEST_NOW)
    if action == "entity.relation_recorded":
        return lambda: relations.record_relation(db, SYSTEM, data=data, now=TEST_NOW)
    relation = relations.record_relation(db, SYSTEM, data=data, now=TEST_NOW)
    changes = EntityRelationCorrection(share_percent=Decimal("30"))
    return lambda: relations.correct_relation(db, SYSTEM, relation_id=relation.id, changes=changes, now=TEST_NOW)


def _project_review(db: Session, *, accept: bool) -> Callable[[], object]:
    project_id = _project_registration(db)()
    from ggzy.projects.models import Project

    centre_id = db.get(Project, project_id).centre_id  # type: ignore[union-attr]
    staff = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=centre_id)])
    actor = principal(db, staff, Permission.PROJECT_REVIEW)
    if accept:
        return lambda: projects.accept_registration(db, actor, project_id=project_id, now=TEST_NOW)
    return lambda: projects.return_registration(db, actor, project_id=project_id, reason="材料不全", now=TEST_NOW)


def _certificate_login(db: Session, gm_ca: Path) -> Callable[[], object]:
    login.add_trust_anchor(db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=TEST_NOW)
    code = credit_code()
    service.register_entity(db, SYSTEM, data=EntityIn(credit_code=code, name="已登记企业"), now=TEST_NOW)
    issued = issue(gm_ca, code=code)
    nonce, _ = login.issue_nonce(secret=SECRET, now=TEST_NOW, lifetime=LIFETIME)
    signature = base64.b64encode(
        load_private_key_pem(issued.private_key_pem).sign(login.login_message(nonce, LOGIN_ORIGIN))
    )
    return lambda: login.certificate_login(
        db,
        origin=LOGIN_ORIGIN,
        nonce=nonce,
        certificate_pem=issued.certificate_pem,
        intermediates_pem=[],
        signature=signature.decode(),
        secret=SECRET,
        now=TEST_NOW,
        lifetime=LIFETIME,
    )


def _enrolment(db: Session) -> Callable[[], object]:
    """An entity logged in with its certificate, an enrolment signed: the call enrols the user (decision 0013)."""
    entity = make_entity(db)
    actor, issued = entity_login(db, entity)
    fields = signed_enrolment(entity, issued, username="event-enrolled", roles=[RoleGrantIn(role=Role.BIDDER)])
    return lambda: enrolment.enrol_user(
        db,
        actor,
        password=None,
        secret=FACTORY_SECRET,
        now=TEST_NOW,
        **fields,  # type: ignore[arg-type]
    )


def _crl(db: Session, intl_ca: Path) -> Callable[[], object]:
    login.add_trust_anchor(db, SYSTEM, certificate_pem=(intl_ca / "ca.pem").read_text(), name=None, now=TEST_NOW)
    crl = current_crl(intl_ca, now=TEST_NOW).decode()
    return lambda: login.add_revocation_list(db, SYSTEM, crl_pem=crl, now=TEST_NOW)


def _logout(db: Session) -> Callable[[], object]:
    user = make_user(db, password="correct horse battery", roles=[RoleGrantIn(role=Role.EXPERT)])
    result = login.password_login(
        db, username=user.username, password="correct horse battery", now=TEST_NOW, lifetime=LIFETIME
    )
    session_principal = login.authenticate_token(db, result.token, now=TEST_NOW)
    return lambda: login.logout(db, session_principal.holding(Permission.AUTHENTICATED), now=TEST_NOW)


def _failed_round(db: Session, gm_ca: Path) -> Callable[[], object]:
    """招标投标法 第42条: the round an evaluation leaves without competition fails (the report's finalisation calls
    this in its own transaction; here the service alone)."""
    from ggzy.tendering import service as tendering
    from tests.factories import make_evaluated_tender

    scene = make_evaluated_tender(db, gm_ca)
    staff = principal(db, scene["staff"], Permission.EVALUATION_FINALISE)
    return lambda: tendering.fail_round(
        db, staff, tender=scene["tender"], ground="all_bids_rejected", article="招标投标法 第四十二条", details={},
        now=scene["reported_at"],
    )  # fmt: skip


def _sole_supplier(db: Session) -> Callable[[], object]:
    """政府采购法实施条例 第38条: a single-source procurement publicises its supplier before it is published."""
    from ggzy.tendering import service as tendering
    from ggzy.tendering.procedures import Method
    from tests.factories import bidder_user, load_test_calendar, make_accepted_project

    load_test_calendar(db)
    setup = make_accepted_project(db, trade_type="gov_procurement")
    agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    draft = tendering.create_tender(
        db, agent, lot_id=setup["lots"][0].id, procedure_key="single_source", method=Method.LOWEST_PRICE,
        title="单一来源", notice_text="公告", documents_until=TEST_NOW + timedelta(days=20),
        bid_deadline=TEST_NOW + timedelta(days=35), invited_entity_ids=[bidder_user(db).entity_id], now=TEST_NOW,
    )  # fmt: skip
    return lambda: tendering.publicise_sole_supplier(db, agent, tender_id=draft.id, notice_text="公示", now=TEST_NOW)


def _sole_supplier_objection(db: Session, action: str) -> Callable[[], object]:
    """A supplier objects during the sole supplier's publicity (政府采购法实施条例 第38条); the purchaser answers."""
    from ggzy.tendering import sole_source
    from tests.factories import bidder_user

    publicise = _sole_supplier(db)
    tender = publicise()
    objector = principal(db, bidder_user(db), Permission.TENDER_OBJECT)

    def raise_it() -> object:
        return sole_source.raise_objection(db, objector, tender_id=tender.id, text="本单位也能提供", now=TEST_NOW)  # type: ignore[attr-defined]

    if action == "tender.sole_supplier_objection_raised":
        return raise_it
    raised = raise_it()
    from ggzy.entities.models import User

    agent = principal(db, db.get(User, tender.created_by), Permission.TENDER_MANAGE)  # type: ignore[attr-defined,arg-type]
    return lambda: sole_source.answer_objection(
        db,
        agent,
        objection_id=raised.public_id,
        answer="经核实仅此一家",
        now=TEST_NOW,  # type: ignore[attr-defined]
    )


def _tendering(db: Session, action: str) -> Callable[[], object]:
    """Each tendering service, prepared up to the step before it."""
    from ggzy.tendering import service as tendering
    from ggzy.tendering.procedures import Method
    from tests.factories import bidder_user, make_accepted_project, make_published_tender

    if action in ("tender.created", "tender.documents_attached"):
        setup = make_accepted_project(db)
        agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)

        def create() -> object:
            return tendering.create_tender(
                db, agent, lot_id=setup["lots"][0].id, procedure_key="open", method=Method.SCORING, title="事件招标",
                notice_text="公告", documents_until=TEST_NOW + timedelta(days=10),
                bid_deadline=TEST_NOW + timedelta(days=25), invited_entity_ids=[], now=TEST_NOW,
            )  # fmt: skip

        if action == "tender.created":
            return create
        draft = create()
        return lambda: tendering.attach_documents(
            db,
            agent,
            tender_id=draft.id,
            sha256="b" * 64,
            name="文件.pdf",
            size=1,
            now=TEST_NOW,  # type: ignore[attr-defined]
        )
    if action == "tender.published":
        setup = make_accepted_project(db)
        agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
        draft = tendering.create_tender(
            db, agent, lot_id=setup["lots"][0].id, procedure_key="open", method=Method.SCORING, title="事件招标",
            notice_text="公告", documents_until=TEST_NOW + timedelta(days=10),
            bid_deadline=TEST_NOW + timedelta(days=25), invited_entity_ids=[], now=TEST_NOW,
        )  # fmt: skip
        tendering.attach_documents(db, agent, tender_id=draft.id, sha256="b" * 64, name="f", size=1, now=TEST_NOW)
        return lambda: tendering.publish_tender(db, agent, tender_id=draft.id, now=TEST_NOW)
    tender, setup = make_published_tender(db)
    agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    bidder = principal(db, bidder_user(db), Permission.TENDER_REGISTER)
    if action == "tender.clarified":
        return lambda: tendering.clarify(db, agent, tender_id=tender.id, text="澄清", affects_bids=True, now=TEST_NOW)
    if action == "tender.cancelled":
        return lambda: tendering.cancel_tender(db, agent, tender_id=tender.id, reason="项目取消", now=TEST_NOW)
    if action == "tender.registered":
        return lambda: tendering.register_for_tender(db, bidder, tender_id=tender.id, now=TEST_NOW)
    if action == "tender.objection_raised":
        return lambda: tendering.raise_objection(db, bidder, tender_id=tender.id, text="异议", now=TEST_NOW)
    objection = tendering.raise_objection(db, bidder, tender_id=tender.id, text="异议", now=TEST_NOW)
    return lambda: tendering.answer_objection(db, agent, objection_id=objection.public_id, answer="答复", now=TEST_NOW)


def _custodian_registration(db: Session) -> Callable[[], object]:
    from ggzy.tendering import keys
    from tests.factories import _custodian_material, make_centres, make_custodians

    centres = make_centres(db)
    make_custodians(db, centres["province"].id)  # trust anchors and entities in place
    issued = _custodian_material()["people"][Suite.GM][0]  # type: ignore[index]
    entity = service.find_entity_by_credit_code(db, issued.certificate.credit_code)
    assert entity is not None
    return lambda: keys.register_custodian(
        db, SYSTEM, centre_id=centres["city"].id, entity_id=entity.id, name="保管人", role="centre",
        certificate_pem=issued.certificate_pem, now=TEST_NOW,
    )  # fmt: skip


def _prequalification_store(gm_ca: Path):  # type: ignore[no-untyped-def]
    from ggzy.storage import LocalBlobStore

    return LocalBlobStore(gm_ca.parent / "prequalification-blobs")


def _bid(db: Session, gm_ca: Path, *, withdraw: bool) -> Callable[[], object]:
    import io

    from ggzy.storage import LocalBlobStore
    from ggzy.tendering import bids
    from tests.factories import make_published_tender
    from tests.tendering.test_bids import Bidder, seal

    login.add_trust_anchor(db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=TEST_NOW)
    tender, _ = make_published_tender(db)
    bidder = Bidder(db, gm_ca, tender.id)
    envelope = seal(db, tender, bidder)
    actor = principal(db, bidder.user, Permission.TENDER_REGISTER)
    store = LocalBlobStore(gm_ca.parent / "events-blobs")

    def submit() -> object:
        return bids.submit_bid(
            db, actor, tender_id=tender.id, envelope=io.BytesIO(envelope), store=store, max_bytes=10**8,
            details={}, signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
        )  # fmt: skip

    if not withdraw:
        return submit
    submit()
    return lambda: bids.withdraw_bid(db, actor, tender_id=tender.id, now=TEST_NOW)


def _opening(db: Session, gm_ca: Path, action: str) -> Callable[[], object]:
    """Each opening service, prepared up to the step before it (three GM bidders, the deadline passed)."""
    import io

    from ggzy.crypto.envelope import read_envelope_header, unwrap_data_key
    from ggzy.crypto.sharing import decrypt_share
    from ggzy.storage import LocalBlobStore
    from ggzy.tendering import bids, opening
    from ggzy.tendering.models import OpeningKey, SealedBid
    from tests.factories import _custodian_material, make_published_tender
    from tests.tendering.test_bids import Bidder, seal
    from tests.tendering.test_opening_keys import _setup

    login.add_trust_anchor(db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=TEST_NOW)
    tender, setup = make_published_tender(db)
    store = LocalBlobStore(gm_ca.parent / "opening-blobs")
    host = principal(db, setup["agent_user"], Permission.OPENING_HOST)
    crew = []
    for _ in range(3):
        bidder = Bidder(db, gm_ca, tender.id)
        envelope = seal(db, tender, bidder)
        actor = principal(db, bidder.user, Permission.TENDER_REGISTER)
        bids.submit_bid(
            db, actor, tender_id=tender.id, envelope=io.BytesIO(envelope), store=store, max_bytes=10**8,
            details={}, signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
        )  # fmt: skip
        crew.append((bidder, envelope, actor))
    after = tender.bid_deadline + timedelta(minutes=1)
    if action == "opening.share_released":
        key = db.scalar(select(OpeningKey).where(OpeningKey.tender_id == tender.id, OpeningKey.suite == "gm"))
        _, shares = _setup(db, key)  # type: ignore[arg-type]
        people = {p.certificate.public_key.fingerprint: p for p in _custodian_material()["people"][Suite.GM]}  # type: ignore[index]
        share = next(iter(shares.values()))
        private_key = load_private_key_pem(people[share.custodian_fingerprint].private_key_pem)
        released = decrypt_share(share, private_key)
        signature = private_key.sign(opening.release_message(tender.id, "gm", released.index, released.value))
        return lambda: opening.release_share(
            db, tender_id=tender.id, suite="gm", share_index=released.index, share=released.value,
            signature=signature, now=after,
        )  # fmt: skip
    if action == "opening.started":
        return lambda: opening.start_opening(db, host, tender_id=tender.id, now=after)
    opening.start_opening(db, host, tender_id=tender.id, now=after)

    def decrypt(number: int) -> object:
        bidder, envelope, actor = crew[number]
        header = read_envelope_header(io.BytesIO(envelope))
        key = unwrap_data_key(header, load_private_key_pem(bidder.issued.private_key_pem), "bidder")
        return opening.decrypt_bid(db, actor, tender_id=tender.id, data_key=key, store=store, max_mb=100, now=after)

    if action == "bid.decrypted":
        return lambda: decrypt(0)
    if action == "opening.objection_raised":
        return lambda: opening.raise_opening_objection(db, crew[0][2], tender_id=tender.id, text="异议", now=after)
    if action == "opening.objection_answered":
        raised = opening.raise_opening_objection(db, crew[0][2], tender_id=tender.id, text="异议", now=after)
        return lambda: opening.answer_opening_objection(
            db, host, objection_id=raised.public_id, answer="答复", now=after
        )
    later = after + timedelta(hours=1)
    if action == "opening.recorded":
        for number in range(3):
            decrypt(number)
        return lambda: opening.finish_opening(
            db, host, tender_id=tender.id, not_bidders_fault=[], signers=LEDGER_KEYS.signers, now=later
        )
    # bid.opened_by_custodians: two custodians release, then the host opens the first bid with their shares.
    key = db.scalar(select(OpeningKey).where(OpeningKey.tender_id == tender.id, OpeningKey.suite == "gm"))
    _, shares = _setup(db, key)  # type: ignore[arg-type]
    people = {p.certificate.public_key.fingerprint: p for p in _custodian_material()["people"][Suite.GM]}  # type: ignore[index]
    for share in list(shares.values())[:2]:
        private_key = load_private_key_pem(people[share.custodian_fingerprint].private_key_pem)
        released = decrypt_share(share, private_key)
        signature = private_key.sign(opening.release_message(tender.id, "gm", released.index, released.value))
        opening.release_share(
            db, tender_id=tender.id, suite="gm", share_index=released.index, share=released.value,
            signature=signature, now=after,
        )  # fmt: skip
    first = db.scalar(select(SealedBid).where(SealedBid.tender_id == tender.id).order_by(SealedBid.id))
    return lambda: opening.open_by_custodians(
        db,
        host,
        tender_id=tender.id,
        bid_id=first.public_id,  # type: ignore[union-attr]
        store=store,
        max_mb=100,
        now=later,  # type: ignore[union-attr]
    )


def _evaluation(db: Session, gm_ca: Path, action: str) -> Callable[[], object]:
    """Each expert and evaluation service, prepared up to the step before it (an opened tender of three bids)."""
    from decimal import Decimal

    from ggzy.entities.models import User
    from ggzy.evaluation import rules as evaluation_rules
    from ggzy.evaluation import service as evaluation
    from ggzy.experts import service as experts
    from tests.factories import check_in_committee, make_expert, make_opened_tender

    if action == "expert.registered":
        user = make_user(db, roles=[RoleGrantIn(role=Role.EXPERT)])
        employer = make_entity(db)
        return lambda: experts.register_expert(
            db, SYSTEM, user_id=user.id, name="事件专家", employer_id=employer.id, specialty_codes=["A01"],
            tier="city", region_code="530100", now=TEST_NOW,
        )  # fmt: skip
    if action == "evaluation.signing_key_enrolled":
        from ggzy.evaluation import signing
        from tests.evaluation.signing_support import BrowserKey

        member = principal(db, make_user(db, roles=[RoleGrantIn(role=Role.EXPERT)]), Permission.EVALUATION_SIT)
        public_key = BrowserKey().public_key
        return lambda: signing.enrol_signing_key(db, member, public_key=public_key, now=TEST_NOW)
    method = "scoring" if action == "evaluation.score_sheet_submitted" else "lowest_price"
    opened = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000], method=method)
    for _ in range(5):
        make_expert(db)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    tender_id, now = opened["tender"].id, opened["opened_at"]

    def draw() -> object:
        return experts.draw_committee(
            db, staff, tender_id=tender_id, specialty_code="A01", size=5, reserve=0,
            owner_representative_user_ids=[], now=now,
        )  # fmt: skip

    if action == "committee.drawn":
        return draw
    draw()
    seat = experts.sitting_members(db, tender_id)[0]
    if action == "committee.member_checked_in":
        return lambda: experts.check_in_member(db, staff, tender_id=tender_id, member_id=seat.id, now=now)
    check_in_committee(db, opened["staff"], tender_id, now)
    criteria = (evaluation_rules.Criterion("technical", "技术", Decimal(50)),) if method == "scoring" else ()
    qualification = ("licence",) if action == "evaluation.qualification_marked" else ()
    scheme = evaluation_rules.Scheme(qualification, criteria, Decimal(50), evaluation_rules.PriceFormula.LOWEST_BASE)

    def start() -> object:
        return evaluation.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)

    if action == "evaluation.started":
        return start
    start()
    lead = db.get(User, experts.sitting_members(db, tender_id)[0].user_id)
    member = principal(db, lead, Permission.EVALUATION_SIT)  # type: ignore[arg-type]
    bid = opened["bid_ids"][0]
    if action == "evaluation.qualification_marked":
        return lambda: evaluation.mark_qualification(
            db, member, tender_id=tender_id, bid_id=bid, marks={"licence": True}, now=now
        )
    if action == "evaluation.score_sheet_submitted":
        return lambda: evaluation.submit_score_sheet(
            db, member, tender_id=tender_id, bid_id=bid, scores={"technical": Decimal(40)}, now=now
        )
    if action == "evaluation.bid_rejected":
        return lambda: evaluation.reject_bid(
            db, member, tender_id=tender_id, bid_id=bid, ground="not_responsive", note="未响应", now=now
        )
    if action == "evaluation.chair_voted":
        from ggzy.evaluation import chair

        return lambda: chair.vote_for_chair(db, member, tender_id=tender_id, candidate_member_id=seat.id, now=now)
    if action == "evaluation.finalised":
        return lambda: evaluation.finalise_report(db, member, tender_id=tender_id, now=now)
    from ggzy.evaluation import report_signing
    from tests.evaluation.signing_support import BrowserKey

    report = evaluation.finalise_report(db, member, tender_id=tender_id, now=now)
    if action == "evaluation.report_signature_refused":
        runner = principal(db, opened["staff"], Permission.EVALUATION_RUN)
        later = now + report_signing.SIGNING_TIME  # the members' time to sign has passed
        return lambda: report_signing.record_refusal(db, runner, tender_id=tender_id, member_id=seat.id, now=later)
    key = BrowserKey()
    from ggzy.evaluation import signing

    signing.enrol_signing_key(db, member, public_key=key.public_key, now=now)
    message = report_signing.report_message(
        tender_id=tender_id, member_id=seat.id, report_sha256=report.sha256, opinion="agree", reasons=""
    )
    return lambda: report_signing.sign_report(
        db, member, tender_id=tender_id, opinion="agree", reasons="", signature=key.sign(message), now=now
    )


def _award(db: Session, gm_ca: Path, action: str) -> Callable[[], object]:
    """Each award-stage service, prepared up to the step before it (实施条例 第54条, 第55条; 招标投标法 第46条)."""
    from ggzy.awards import service as awards
    from ggzy.tendering.rules import china_date
    from tests.factories import make_awarded_tender, make_evaluated_tender, make_publicised_tender

    if action == "award.publicity_published":
        evaluated = make_evaluated_tender(db, gm_ca)
        manager = principal(db, evaluated["agent_user"], Permission.AWARD_MANAGE)
        return lambda: awards.publish_publicity(
            db, manager, tender_id=evaluated["tender"].id, ends_at=None, now=evaluated["reported_at"]
        )
    if action == "award.contract_recorded":
        awarded = make_awarded_tender(db, gm_ca)
        manager = principal(db, awarded["agent_user"], Permission.AWARD_MANAGE)
        award = awarded["award"]
        return lambda: awards.record_contract(
            db, manager, tender_id=awarded["tender"].id, amount_fen=award.price_fen,
            signed_on=china_date(award.awarded_at), blob_sha256=None, now=award.awarded_at + timedelta(days=1),
        )  # fmt: skip
    if action.startswith("award.result_challenge"):
        return _result_challenge(db, gm_ca, action)
    publicised = make_publicised_tender(db, gm_ca)
    tender_id, publicity = publicised["tender"].id, publicised["publicity"]
    manager = principal(db, publicised["agent_user"], Permission.AWARD_MANAGE)
    if action == "award.awarded":
        first = awards.candidates_of(publicity)[0]["bid_id"]
        return lambda: awards.award_tender(
            db, manager, tender_id=tender_id, bid_id=first, passed_over=[], signers=LEDGER_KEYS.signers,
            now=publicity.ends_at,
        )  # fmt: skip
    bidder = principal(db, publicised["bidders"][0], Permission.AWARD_OBJECT)

    def raise_objection() -> object:
        return awards.raise_objection(db, bidder, tender_id=tender_id, text="评分有误", now=publicity.starts_at)

    if action == "award.objection_raised":
        return raise_objection
    objection = raise_objection()
    return lambda: awards.answer_objection(
        db,
        manager,
        objection_id=objection.id,
        answer="经复核无误",
        now=publicity.starts_at,  # type: ignore[attr-defined]
    )


def _result_challenge(db: Session, gm_ca: Path, action: str) -> Callable[[], object]:
    """A supplier challenges a government procurement's result (政府采购法 第52条), the agent answers (第53条)."""
    from ggzy.awards import challenges
    from tests.awards.procurement_support import make_procurement_awarded

    scene = make_procurement_awarded(db, gm_ca)
    supplier = principal(db, scene["bidders"][0], Permission.AWARD_OBJECT)
    at = scene["reported_at"]

    def challenge() -> object:
        return challenges.challenge_result(db, supplier, tender_id=scene["tender"].id, text="成交结果有误", now=at)

    if action == "award.result_challenged":
        return challenge
    made = challenge()
    return lambda: challenges.answer_result_challenge(
        db,
        scene["manager"],
        challenge_id=made.id,  # type: ignore[attr-defined]
        answer="维持成交结果",
        now=at,
    )


def _process_challenge(db: Session, gm_ca: Path) -> Callable[[], object]:
    """A supplier in a 竞争性谈判 challenges the process (政府采购法 第52条; 实施条例 第53条 (二))."""
    from ggzy.awards import challenges
    from ggzy.tendering.rules import china_date
    from tests.tendering.negotiation_support import negotiating

    scene = negotiating(db, gm_ca)
    supplier = principal(db, scene["bidders"][0], Permission.AWARD_OBJECT)
    at = scene["opened_at"]
    return lambda: challenges.challenge_process(
        db, supplier, tender_id=scene["tender"].id, text="谈判过程违规", stage_ended_on=china_date(at), now=at
    )


def _scenarios(db: Session, gm_ca: Path, intl_ca: Path) -> dict[str, Callable[[], Callable[[], object]]]:
    """For each declared state-changing service: prepare its inputs, return the call that changes state."""
    return {
        "centre.created": lambda: (
            lambda: service.create_centre(
                db, SYSTEM, name="事件省中心", region_code="520000", parent_id=None, now=TEST_NOW
            )
        ),
        "entity.registered": lambda: (
            lambda: service.register_entity(
                db, SYSTEM, data=EntityIn(credit_code=credit_code(), name="事件企业"), now=TEST_NOW
            )
        ),
        "entity.updated": lambda: (
            lambda user: (
                lambda: service.update_own_entity(
                    db,
                    principal(db, user, Permission.ENTITY_UPDATE_OWN),
                    changes=EntityUpdate(contact_phone="0871-12345678"),
                    now=TEST_NOW,
                )
            )
        )(make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=make_entity(db).id)),
        "entity.corrected": lambda: (
            lambda entity: (
                lambda: service.correct_entity(
                    db, SYSTEM, entity_id=entity.id, changes=EntityUpdate(legal_representative="更正后"), now=TEST_NOW
                )
            )
        )(make_entity(db)),
        **{
            action: (lambda action=action: _entity_relation(db, action))
            for action in ("entity.relation_declared", "entity.relation_recorded", "entity.relation_corrected")
        },
        "user.created": lambda: (
            lambda: service.create_user(
                db,
                SYSTEM,
                username="event-user",
                display_name="事件",
                password=None,
                entity_id=None,
                roles=[],
                now=TEST_NOW,
            )
        ),
        "role.granted": lambda: (
            lambda user: (
                lambda: service.grant_role(
                    db, SYSTEM, user_id=user.id, grant=RoleGrantIn(role=Role.EXPERT), now=TEST_NOW
                )
            )
        )(make_user(db)),
        "user.enrolled": lambda: _enrolment(db),
        "user.suspended": lambda: (
            lambda user: lambda: enrolment.suspend_user(db, SYSTEM, user_id=user.id, note="核查中", now=TEST_NOW)
        )(make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)])),
        "user.reinstated": lambda: (
            lambda user: (
                enrolment.suspend_user(db, SYSTEM, user_id=user.id, note="核查中", now=TEST_NOW),
                lambda: enrolment.reinstate_user(db, SYSTEM, user_id=user.id, now=TEST_NOW),
            )[1]
        )(make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)])),
        "trust.anchor_added": lambda: (
            lambda: login.add_trust_anchor(
                db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=TEST_NOW
            )
        ),
        "trust.crl_added": lambda: _crl(db, intl_ca),
        "auth.password_login": lambda: (
            lambda user: (
                lambda: login.password_login(
                    db,
                    username=user.username,
                    password="correct horse battery",
                    now=TEST_NOW,
                    lifetime=LIFETIME,
                )
            )
        )(make_user(db, password="correct horse battery", roles=[RoleGrantIn(role=Role.EXPERT)])),
        "auth.certificate_login": lambda: _certificate_login(db, gm_ca),
        "auth.logout": lambda: _logout(db),
        "project.registered": lambda: _project_registration(db),
        "custodian.registered": lambda: _custodian_registration(db),
        "bid.submitted": lambda: _bid(db, gm_ca, withdraw=False),
        "bid.withdrawn": lambda: _bid(db, gm_ca, withdraw=True),
        **{
            action: (lambda action=action: _opening(db, gm_ca, action))
            for action in (
                "opening.started",
                "bid.decrypted",
                "opening.share_released",
                "bid.opened_by_custodians",
                "opening.recorded",
                "opening.objection_raised",
                "opening.objection_answered",
            )
        },
        **{
            action: (lambda action=action: _tendering(db, action))
            for action in (
                "tender.created",
                "tender.documents_attached",
                "tender.published",
                "tender.clarified",
                "tender.cancelled",
                "tender.registered",
                "tender.objection_raised",
                "tender.objection_answered",
            )
        },
        "tender.failed": lambda: _failed_round(db, gm_ca),
        "tender.sole_supplier_publicised": lambda: _sole_supplier(db),
        "tender.sole_supplier_objection_raised": lambda: _sole_supplier_objection(
            db, "tender.sole_supplier_objection_raised"
        ),
        "tender.sole_supplier_objection_answered": lambda: _sole_supplier_objection(
            db, "tender.sole_supplier_objection_answered"
        ),
        "ledger.witness_added": lambda: (
            lambda: register_witness(
                db,
                SYSTEM,
                name="witness.example",
                verifier_key=generate_cosignature_signer("witness.example")[1],
                now=TEST_NOW,
            )
        ),
        "calendar.year_loaded": lambda: (
            lambda: load_calendar_year(db, SYSTEM, schedule=parse_year_schedule(SCHEDULE_2027), now=TEST_NOW)
        ),
        "platform.demo_loaded": lambda: lambda: mark_demo_instance(db, SYSTEM, now=TEST_NOW),
        "project.accepted": lambda: _project_review(db, accept=True),
        "project.returned": lambda: _project_review(db, accept=False),
        **{
            action: (lambda action=action: _evaluation(db, gm_ca, action))
            for action in (
                "expert.registered",
                "committee.drawn",
                "evaluation.started",
                "evaluation.qualification_marked",
                "evaluation.score_sheet_submitted",
                "evaluation.bid_rejected",
                "evaluation.finalised",
                "evaluation.signing_key_enrolled",
                "committee.member_checked_in",
                "evaluation.chair_voted",
                "evaluation.report_signed",
                "evaluation.report_signature_refused",
            )
        },
        **{action: (lambda action=action: complaint_scenario(db, gm_ca, action)) for action in COMPLAINT_ACTIONS},
        **{action: (lambda action=action: venue_scenario(db, action)) for action in VENUE_ACTIONS},
        **{action: (lambda action=action: site_record_scenario(db, gm_ca, action)) for action in SITE_RECORD_ACTIONS},
        **{action: (lambda action=action: finance_scenario(db, action)) for action in FINANCE_ACTIONS},
        **{action: (lambda action=action: guarantee_scenario(db, action)) for action in GUARANTEE_ACTIONS},
        **{action: (lambda action=action: performance_scenario(db, gm_ca, action)) for action in PERFORMANCE_ACTIONS},
        "award_loan.offered": lambda: award_loan_scenario(db, gm_ca),
        **{action: (lambda action=action: credit_scenario(db, action)) for action in CREDIT_ACTIONS},
        "deposit.forfeited": lambda: forfeiture_scenario(db, gm_ca),
        "finance.alert_resolved": lambda: alert_resolution_scenario(db),
        **{
            action: (lambda action=action: inspection_scenario(db, action))
            for action in (
                "inspection.planned",
                "inspection.drawn",
                "inspection.finding_recorded",
                "inspection.published",
            )
        },
        "oversight.viewed": lambda: trail_scenario(db, gm_ca),
        "watchlist.added": lambda: watch_scenario(db, "watchlist.added"),
        "watchlist.removed": lambda: watch_scenario(db, "watchlist.removed"),
        **{
            action: (lambda action=action: tipoff_scenario(db, action))
            for action in ("tipoff.received", "tipoff.accepted", "tipoff.declined", "tipoff.closed")
        },
        **{action: (lambda action=action: negotiation_scenario(db, gm_ca, action)) for action in NEGOTIATION_ACTIONS},
        **{
            action: (lambda action=action: prequalification_scenario(db, _prequalification_store(gm_ca), action))
            for action in PREQUALIFICATION_ACTIONS
        },
        **{action: (lambda action=action: auction_scenario(db, action)) for action in AUCTION_ACTIONS},
        "award.publicity_republished": lambda: republish_scenario(db, gm_ca),
        "award.process_challenged": lambda: _process_challenge(db, gm_ca),
        **{
            action: (lambda action=action: _award(db, gm_ca, action))
            for action in (
                "award.publicity_published",
                "award.objection_raised",
                "award.objection_answered",
                "award.awarded",
                "award.contract_recorded",
                "award.result_challenged",
                "award.result_challenge_answered",
            )
        },
    }


def test_every_state_changing_service_has_a_scenario_here(db: Session, gm_ca: Path, intl_ca: Path) -> None:
    """A new service must be added to the walk below, or this fails."""
    assert set(_scenarios(db, gm_ca, intl_ca)) == set(STATE_CHANGING_SERVICES)


@pytest.mark.parametrize("action", sorted(STATE_CHANGING_SERVICES))
def test_each_service_leaves_exactly_its_event(db: Session, gm_ca: Path, intl_ca: Path, action: str) -> None:
    call = _scenarios(db, gm_ca, intl_ca)[action]()
    before_total, before_action = event_count(db), event_count(db, action)
    call()
    db.flush()
    assert event_count(db, action) == before_action + 1
    assert event_count(db) == before_total + 1, "the service left other events besides its own"
    newest = db.scalar(select(Event).order_by(Event.id.desc()).limit(1))
    assert newest is not None
    assert newest.action == action
    assert newest.occurred_at >= TEST_NOW  # the time the service was given, from the injected clock


def test_an_undeclared_action_cannot_be_recorded(db: Session) -> None:
    with pytest.raises(LookupError):
        record_event(db, SYSTEM, action="nobody.declared", subject_type="x", subject_id=1, payload={}, now=TEST_NOW)


def test_an_action_cannot_be_declared_by_two_services() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        changes_state("project.registered")(lambda: None)


def test_event_payload_is_canonical_json(db: Session) -> None:
    entity = make_entity(db, name="规范化企业")
    event = db.scalar(select(Event).where(Event.action == "entity.registered", Event.subject_id == str(entity.id)))
    assert event is not None
    # RFC 8785: keys sorted, no spaces, UTF-8 kept as is.
    assert event.payload.startswith('{"credit_code":')
    assert " " not in event.payload
    assert "规范化企业" in event.payload


@pytest.mark.parametrize("statement", ["UPDATE events SET action = 'forged'", "DELETE FROM events"])
def test_database_refuses_update_and_delete_of_events(db: Session, statement: str) -> None:
    make_entity(db)
    db.flush()
    before = event_count(db)
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement))
    assert event_count(db) == before
    assert db.scalar(select(Event.action).where(Event.action == "forged")) is None
