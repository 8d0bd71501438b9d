"""The demo's tender story, driven through the services with a fake clock (the same calls the API makes):

- lot 1 goes from notice to its signed opening record: five bidders of both suites seal offline and submit, four
  decrypt remotely, the fifth does not and is opened by two of the three custodians;
- lot 2 gets two bids only, so its opening fails (招标投标法实施条例 第44条) and it is re-tendered — the new round
  is left open for bidding, for whoever runs `make run`;
- lots 1 and 3 and procurement lot A require bid deposits, paid at the bank simulator two weeks before the deadline,
  lot 1's second bidder by an electronic guarantee and its fourth short (flagged in the opening record); each award
  notice's refunds reach the bank the same day (``ggzy.demo_deposits``, decision 0039);
- the centre's staff keep its rooms (two opening rooms, an evaluation room, a remote-evaluation hall) and book lot 1's
  opening over its deadline (招标投标法 第34条) and its evaluation after it, and the re-tender's opening room.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import CHINA_STANDARD_TIME, FixedClock
from ggzy.core.permissions import SYSTEM, Permission, Principal, Role
from ggzy.crypto import IssuedCertificate, Suite, issue_certificate, load_private_key_pem, load_public_key_pem
from ggzy.crypto.envelope import read_envelope_header, seal_bid, unwrap_data_key
from ggzy.crypto.sharing import EncryptedShare, decrypt_share
from ggzy.demo_deposits import (
    BID_VALIDITY_DAYS,
    LOT1_DEPOSIT_FEN,
    LOT2_DEPOSIT_FEN,
    LOT3_DEPOSIT_FEN,
    LOT_A_DEPOSIT_FEN,
    LOT_B_DEPOSIT_FEN,
    SHORT_PAYMENT_FEN,
    DemoDeposits,
    register_basic_accounts,
)
from ggzy.entities import login, service
from ggzy.entities.models import Entity, User
from ggzy.entities.schemas import EntityIn
from ggzy.ledger.service import LedgerKeys
from ggzy.projects.models import Lot, Project
from ggzy.storage import MIB, BlobStore, stage_blob
from ggzy.tendering import bids, keys, opening, quotation_views, quotations, summary_form
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Custodian, OpeningKey, OpeningKeyShare, QuotationKey, QuotationKeyShare, Tender
from ggzy.tendering.procedures import procedure
from ggzy.tendering.rules import earliest_deadline_date
from ggzy.venues import service as venues
from ggzy.venues.rules import Purpose, VenueKind
from ggzy.venues.schemas import BookingIn, VenueIn

CUSTODIANS = (
    ("centre", "昆明市公共资源交易中心（开标保管）", "MA6K8H008"),
    ("supervisor", "昆明市住房和城乡建设局", "MA6K9J009"),
    ("notary", "云南省昆明市明信公证处", "MA6KAK010"),
)
# Lot 1's prices in fen, bidder by bidder (ceiling 18,200,000.00 yuan).
PRICES = (1_765_000_000, 1_788_930_000, 1_742_315_000, 1_812_000_000, 1_759_880_000)


@dataclass
class DemoBidder:
    key: str
    user: User
    issued: IssuedCertificate
    envelopes: dict[int, bytes] = field(default_factory=dict)

    def actor(self, db: Session, permission: Permission) -> Principal:
        return login.principal_for(db, self.user).holding(permission)


@dataclass
class LotStory:
    code: str
    procedure: str
    stages: list[str] = field(default_factory=list)
    bids: int = 0
    tender_id: int = 0
    round: int = 1
    winner: str | None = None
    award_price_fen: int | None = None


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    local = day.astimezone(CHINA_STANDARD_TIME)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def register_custodians(
    db: Session, *, city_id: int, cas: dict[Suite, Path], directory: Path, now: datetime
) -> list[tuple[Custodian, IssuedCertificate]]:
    """Three keepers of opening-key shares, from three entities, each with a certificate of either suite."""
    from ggzy.demo import demo_credit_code

    kept = []
    for role, name, organisation in CUSTODIANS:
        code = demo_credit_code("530100", organisation)
        entity = service.find_entity_by_credit_code(db, code) or service.register_entity(
            db, SYSTEM, data=EntityIn(credit_code=code, name=name, kind="government"), now=now
        )
        for suite, ca_dir in cas.items():
            issued = issue_certificate(
                ca_dir, kind="person", name=f"{name}保管人", credit_code=code, organization=name,
                person_id=f"{role}-{suite.value}", now=now,
            )  # fmt: skip
            key_file = directory / f"custodian-{role}-{suite.value}-key.pem"
            key_file.write_text(issued.private_key_pem)
            key_file.chmod(0o600)
            (directory / f"custodian-{role}-{suite.value}.pem").write_text(issued.certificate_pem)
            custodian = keys.register_custodian(
                db, SYSTEM, centre_id=city_id, entity_id=entity.id, name=name, role=role,
                certificate_pem=issued.certificate_pem, now=now,
            )  # fmt: skip
            kept.append((custodian, issued))
    return kept


def _bid_deadline(db: Session, now: datetime, procedure_key: str = "open") -> datetime:
    """09:30 three weeks on, or on the first lawful day when the 20th day is a day off (招标投标法 第24条,
    政府采购法 第35条, 民法典 第203条)."""
    earliest = earliest_deadline_date(working_day_calendar(db), now, procedure(procedure_key))
    three_weeks = _at(now + timedelta(days=21), 9, 30)
    return max(three_weeks, three_weeks + timedelta(days=(earliest - three_weeks.date()).days))


NOTICES = {
    "open": "{title}招标公告：本招标项目已由有关部门批准建设，现对该项目施工进行公开招标，"
    "欢迎符合资格条件的投标人参加投标。",
    "gp_open": "{title}公开招标公告：本项目为政府采购项目，采购人现进行公开招标，欢迎符合资格条件的供应商参加投标。",
    "consultation": "{title}竞争性磋商公告：本项目为政府采购项目，采用竞争性磋商方式采购，"
    "欢迎符合资格条件的供应商提交响应文件。",
}


# the opening summary (开标一览表) the demo's tenders declare beyond the price: what its bidders seal (_seal_and_submit)
DEMO_SUMMARY_FIELDS = summary_form.COMMON_ITEMS[:3]  # 工期（日历天）, 质量标准, 项目经理


def _publish(
    db: Session, agent: Principal, store: BlobStore, lot: Lot, *, title: str, clock: FixedClock,
    procedure_key: str = "open", deposit_fen: int | None = None,
) -> Tender:  # fmt: skip
    """Create and publish a tender for ``lot``; ``deposit_fen``: the bid deposit it requires (at most 2% of the
    lot's estimate or budget: 招标投标法实施条例 第26条, 政府采购法实施条例 第33条), with its bid validity (第25条)."""
    now = clock.now()
    notice = NOTICES[procedure_key].format(title=title)
    tender = tendering.create_tender(
        db,
        agent,
        lot_id=lot.id,
        procedure_key=procedure_key,
        # 经评审的最低投标价法 / 最低评标价法 (政府采购法实施条例 第34条); 磋商 scores (综合评分法)
        method=procedure(procedure_key).methods[0],
        title=title,
        notice_text=notice,
        documents_until=now + timedelta(days=10),
        bid_deadline=_bid_deadline(db, now, procedure_key),
        invited_entity_ids=[],
        now=now,
        summary_fields=DEMO_SUMMARY_FIELDS,
        deposit_fen=deposit_fen,
        bid_validity_days=BID_VALIDITY_DAYS if deposit_fen is not None else None,
    )
    documents = f"{title}\n招标文件（演示）\n评标办法：综合评估法\n".encode() * 200
    ref = stage_blob(db, store, documents, max_bytes=10 * MIB)
    tendering.attach_documents(
        db, agent, tender_id=tender.id, sha256=ref.sha256, name="招标文件.pdf", size=ref.size, now=now
    )
    return tendering.publish_tender(db, agent, tender_id=tender.id, now=now)


def _seal_and_submit(
    db: Session, bidder: DemoBidder, tender: Tender, project: Project, lot: Lot, price_fen: int, store: BlobStore,
    ledger_keys: LedgerKeys, clock: FixedClock,
) -> None:  # fmt: skip
    suite = bidder.issued.certificate.suite
    opening_key = next(k for k in keys.opening_keys_of(db, tender.id) if k.suite == suite.value)
    out = io.BytesIO()
    seal_bid(
        lot_code=bids.lot_code(project, lot),
        suite=suite,
        summary={"price_fen": price_fen, "schedule_days": 540, "quality": "合格", "project_manager": "一级建造师"},
        files={"商务标.pdf": b"%PDF-1.7 commercial " * 400, "技术标.pdf": b"%PDF-1.7 technical " * 400},
        bidder_certificate_pem=bidder.issued.certificate_pem,
        bidder_private_key=load_private_key_pem(bidder.issued.private_key_pem),
        opening_public_key=load_public_key_pem(opening_key.public_key_pem),
        out=out,
        now=clock.now(),
    )
    bidder.envelopes[tender.id] = out.getvalue()
    bids.submit_bid(
        db,
        bidder.actor(db, Permission.TENDER_REGISTER),
        tender_id=tender.id,
        envelope=io.BytesIO(out.getvalue()),
        store=store,
        max_bytes=100 * MIB,
        details={"ip": "198.51.100.7", "user_agent": "ggzy-bid/0.1", "device": {"mac": f"demo-{bidder.key}"}},
        signer=ledger_keys.ed25519_key,
        now=clock.now(),
    )


def _decrypt(db: Session, bidder: DemoBidder, tender: Tender, store: BlobStore, clock: FixedClock) -> None:
    header = read_envelope_header(io.BytesIO(bidder.envelopes[tender.id]))
    data_key = unwrap_data_key(header, load_private_key_pem(bidder.issued.private_key_pem), "bidder")
    opening.decrypt_bid(
        db, bidder.actor(db, Permission.TENDER_REGISTER), tender_id=tender.id, data_key=data_key, store=store,
        max_mb=100, now=clock.now(),
    )  # fmt: skip


def _custodians_open(
    db: Session, tender: Tender, bidder: DemoBidder, custodians: list[tuple[Custodian, IssuedCertificate]],
    host: Principal, store: BlobStore, clock: FixedClock,
) -> None:  # fmt: skip
    suite = bidder.issued.certificate.suite.value
    opening_key = next(k for k in keys.opening_keys_of(db, tender.id) if k.suite == suite)
    issued_by_id = {custodian.id: issued for custodian, issued in custodians}
    shares = db.query(OpeningKeyShare).filter(OpeningKeyShare.opening_key_id == opening_key.id).all()
    for share in shares[:2]:  # two of the three custodians release their shares
        issued = issued_by_id[share.custodian_id]
        private_key = load_private_key_pem(issued.private_key_pem)
        released = decrypt_share(
            EncryptedShare(
                custodian_fingerprint=private_key.public_key.fingerprint, index=share.share_index,
                ciphertext=share.ciphertext,
            ),
            private_key,
        )  # fmt: skip
        signature = private_key.sign(opening.release_message(tender.id, suite, released.index, released.value))
        opening.release_share(
            db, tender_id=tender.id, suite=suite, share_index=released.index, share=released.value,
            signature=signature, now=clock.now(),
        )  # fmt: skip
    sealed = next(b for b in opening.active_bids(db, tender.id) if b.entity_id == bidder.user.entity_id)
    opening.open_by_custodians(
        db, host, tender_id=tender.id, bid_id=sealed.public_id, store=store, max_mb=100, now=clock.now()
    )


EXPERTS = ("李建国", "王淑芬", "赵明远", "陈立新", "杨春华", "周振宇")
EXPERT_EMPLOYERS = (
    ("昆明理工大学", "MA6KBL011"),
    ("云南省建筑设计研究院", "MA6KCM012"),
    ("云南建投工程咨询有限公司", "MA6KDN013"),
    ("昆明市政设计研究院", "MA6KEP014"),
    ("云南大学", "MA6KFQ015"),
    ("云南省交通规划设计研究院", "MA6KGR016"),
)


def register_expert_users(db: Session, *, centre_id: int, password: str, now: datetime) -> list[tuple[int, int]]:
    """Six experts (users holding the expert role) and their employers, none of them a party to the tender."""
    from ggzy.demo import demo_credit_code
    from ggzy.entities.schemas import RoleGrantIn

    experts = []
    for number, ((employer, organisation), name) in enumerate(zip(EXPERT_EMPLOYERS, EXPERTS, strict=True), start=1):
        entity = service.register_entity(
            db, SYSTEM, data=EntityIn(credit_code=demo_credit_code("530100", organisation), name=employer,
                                      kind="institution"), now=now,
        )  # fmt: skip
        user = service.create_user(
            db, SYSTEM, username=f"expert-{number}", display_name=name, password=password, entity_id=None,
            roles=[RoleGrantIn(role=Role.EXPERT, centre_id=centre_id)], now=now,
        )  # fmt: skip
        experts.append((user.id, entity.id))
    return experts


# Lot 3 is evaluated by the experts of a second specialty: four of the six and the README's ``expert`` account, all
# five drawn, so that account sits on a committee evaluating now (docs: README, "Trying the demo").
LOT3_SPECIALTY = "A02"
LOT3_PRICES = (293_600_000, 289_750_000, 291_200_000)
DEMO_EXPERT_USERNAME = "expert"
DEMO_EXPERT_EMPLOYER = ("云南农业大学", "MA6KHT017")


def _register_experts(db: Session, staff: Principal, experts: list[tuple[int, int]], clock: FixedClock) -> None:
    from ggzy.demo import demo_credit_code
    from ggzy.experts import service as expert_register

    for number, ((user_id, employer_id), name) in enumerate(zip(experts, EXPERTS, strict=True), start=1):
        specialties = ["A01", LOT3_SPECIALTY] if number <= 4 else ["A01"]
        expert_register.register_expert(
            db, staff, user_id=user_id, name=name, employer_id=employer_id, specialty_codes=specialties, tier="city",
            region_code="530100", now=clock.now(),
        )  # fmt: skip
    user = db.scalars(select(User).where(User.username == DEMO_EXPERT_USERNAME)).one()
    employer, organisation = DEMO_EXPERT_EMPLOYER
    entity = service.register_entity(
        db, SYSTEM, data=EntityIn(credit_code=demo_credit_code("530100", organisation), name=employer,
                                  kind="institution"), now=clock.now(),
    )  # fmt: skip
    expert_register.register_expert(
        db, staff, user_id=user.id, name=user.display_name, employer_id=entity.id, specialty_codes=[LOT3_SPECIALTY],
        tier="city", region_code="530100", now=clock.now(),
    )  # fmt: skip


def _start_evaluating(db: Session, tender: Tender, *, staff: Principal, clock: FixedClock) -> None:
    """Draw lot 3's committee (all five experts of its specialty, the ``expert`` account among them), check them in
    at the venue and start the evaluation, left for the committee to do on its pages: electing its lead, then
    qualification (实施条例 第51条)."""
    from decimal import Decimal

    from ggzy.evaluation import rules as evaluation_rules
    from ggzy.evaluation import service as evaluation
    from ggzy.experts import service as expert_register

    clock.advance(timedelta(hours=1))
    expert_register.draw_committee(
        db, staff, tender_id=tender.id, specialty_code=LOT3_SPECIALTY, size=5, reserve=0,
        owner_representative_user_ids=[], now=clock.now(),
    )  # fmt: skip
    for member in expert_register.sitting_members(db, tender.id):  # 签到: the committee is at the venue
        expert_register.check_in_member(db, staff, tender_id=tender.id, member_id=member.id, now=clock.now())
    scheme = evaluation_rules.Scheme(
        ("营业执照、资质证书和安全生产许可证有效", "项目经理具备注册建造师执业资格"),
        (),
        Decimal(0),
        evaluation_rules.PriceFormula.LOWEST_BASE,
    )
    evaluation.start_evaluation(db, staff, tender_id=tender.id, scheme=scheme, lead_member_id=None, now=clock.now())


def _evaluate(db: Session, tender: Tender, *, staff: Principal, clock: FixedClock) -> str:
    """Draw five experts and evaluate by the lowest evaluated price; returns the stage the report leaves the round
    in: ``evaluated``, or ``failed`` when too few valid bids are left (招标投标法 第42条, 政府采购法 第36条)."""
    from decimal import Decimal

    from ggzy.evaluation import rules as evaluation_rules
    from ggzy.evaluation import service as evaluation
    from ggzy.experts import service as expert_register

    expert_register.draw_committee(
        db, staff, tender_id=tender.id, specialty_code="A01", size=5, reserve=1, owner_representative_user_ids=[],
        now=clock.now(),
    )  # fmt: skip
    scheme = evaluation_rules.Scheme((), (), Decimal(0), evaluation_rules.PriceFormula.LOWEST_BASE)
    evaluation.start_evaluation(db, staff, tender_id=tender.id, scheme=scheme, lead_member_id=None, now=clock.now())
    clock.advance(timedelta(hours=3))
    evaluation.finalise_report(db, staff, tender_id=tender.id, now=clock.now())
    return tender.stage


def _award_from_report(
    db: Session,
    tender: Tender,
    *,
    agent: Principal,
    ledger_keys: LedgerKeys,
    clock: FixedClock,
    deposits: DemoDeposits,
) -> tuple[str, int]:
    """政府采购法实施条例 第43条: the purchaser determines the first candidate of the report (no publicity), the
    letters go out, and the contract is signed (政府采购法 第46条)."""
    from ggzy.awards import service as awards

    clock.advance(timedelta(hours=2))
    first = awards.report_candidates(db, tender.id)[0]
    return _award_first_and_contract(
        db,
        tender,
        first["bid_id"],
        agent=agent,
        ledger_keys=ledger_keys,
        clock=clock,
        signing=timedelta(hours=3),
        deposits=deposits,
    )


def _award_first_and_contract(
    db: Session, tender: Tender, bid_id: int, *, agent: Principal, ledger_keys: LedgerKeys, clock: FixedClock,
    signing: timedelta, deposits: DemoDeposits,
) -> tuple[str, int]:  # fmt: skip
    """Award the first candidate, send the letters, and record the contract ``signing`` later; returns the winner's
    name and the price. The award notice orders the other bidders' deposits back in its transaction, and the
    contract the winner's (decision 0031); each time the orders reach the bank at once, the same day."""
    from ggzy.awards import service as awards

    award = awards.award_tender(
        db, agent, tender_id=tender.id, bid_id=bid_id, passed_over=[], signers=ledger_keys.signers, now=clock.now()
    )
    clock.advance(timedelta(minutes=5))
    deposits.refunds(db, clock=clock)
    clock.advance(signing)
    awards.record_contract(
        db, agent, tender_id=tender.id, amount_fen=award.price_fen,
        signed_on=clock.now().astimezone(CHINA_STANDARD_TIME).date(), blob_sha256=None,
        now=clock.now(),
    )  # fmt: skip
    clock.advance(timedelta(minutes=5))
    deposits.refunds(db, clock=clock)
    winner = db.get(Entity, award.entity_id)
    assert winner is not None
    return winner.name, award.price_fen


def _evaluate_and_award(
    db: Session,
    tender: Tender,
    *,
    staff: Principal,
    agent: Principal,
    ledger_keys: LedgerKeys,
    clock: FixedClock,
    deposits: DemoDeposits,
) -> tuple[str, int]:
    """Evaluate, publicise the candidates for the lawful three days, award the first, send the letters and record
    the contract (招标投标法 第37、45、46条; 实施条例 第54、55条)."""
    from ggzy.awards import service as awards

    _evaluate(db, tender, staff=staff, clock=clock)
    clock.advance(timedelta(days=1))
    publicity = awards.publish_publicity(db, agent, tender_id=tender.id, ends_at=None, now=clock.now())
    clock.set(publicity.ends_at)
    first = awards.candidates_of(publicity)[0]
    return _award_first_and_contract(
        db,
        tender,
        first["bid_id"],
        agent=agent,
        ledger_keys=ledger_keys,
        clock=clock,
        signing=timedelta(days=2),
        deposits=deposits,
    )


def _deposits_paid(
    db: Session, deposits: DemoDeposits, *, lot1: Tender, lot3: Tender, lot_a: Tender, bidders: list[DemoBidder],
    clock: FixedClock,
) -> None:  # fmt: skip
    """Two weeks before the deadlines the deposits are paid from the bidders' basic accounts (实施条例 第26条):
    lot 1's second bidder by an electronic guarantee instead (电子保函), its fourth short (the opening record flags
    it), the others in full; lot 3's and lot A's bidders in full."""
    deposits.guarantee(db, lot1, bidders[1], clock=clock)
    short = {bidders[3].key: SHORT_PAYMENT_FEN}
    lot1_payers = [bidder for number, bidder in enumerate(bidders) if number != 1]
    deposits.pay(db, lot1, [(bidder, short.get(bidder.key, LOT1_DEPOSIT_FEN)) for bidder in lot1_payers], clock=clock)
    deposits.pay(db, lot3, [(bidder, LOT3_DEPOSIT_FEN) for bidder in bidders[:3]], clock=clock)
    deposits.pay(db, lot_a, [(bidder, LOT_A_DEPOSIT_FEN) for bidder in bidders[:3]], clock=clock)


def run_tender_story(
    db: Session,
    *,
    project: Project,
    lots: list[Lot],
    agent: Principal,
    bidders: list[DemoBidder],
    custodians: list[tuple[Custodian, IssuedCertificate]],
    store: BlobStore,
    ledger_keys: LedgerKeys,
    staff: Principal,
    experts: list[tuple[int, int]],
    clock: FixedClock,
    procurement: ProcurementStory,
    deposits: DemoDeposits,
) -> list[LotStory]:
    first, second = (
        LotStory(code=bids.lot_code(project, lots[0]), procedure="open"),
        LotStory(code=bids.lot_code(project, lots[1]), procedure="open"),
    )
    clock.advance(timedelta(days=1))
    lot1 = _publish(
        db, agent, store, lots[0], title=f"{project.name}{lots[0].name}", clock=clock, deposit_fen=LOT1_DEPOSIT_FEN
    )
    lot2 = _publish(db, agent, store, lots[1], title=f"{project.name}{lots[1].name}", clock=clock)
    for story, tender in ((first, lot1), (second, lot2)):
        story.stages += ["draft", "published"]
        story.tender_id = tender.id
    _procurement_published(db, procurement, agent=agent, store=store, clock=clock)
    lot3 = _publish(
        db, agent, store, lots[2], title=f"{project.name}{lots[2].name}", clock=clock, deposit_fen=LOT3_DEPOSIT_FEN
    )
    third_lot = LotStory(
        code=bids.lot_code(project, lots[2]), procedure="open", stages=["draft", "published"], tender_id=lot3.id
    )
    rooms = _add_rooms(db, staff, centre_id=project.centre_id, clock=clock)
    _book_room(db, staff, lot1, rooms["第一开标室"], Purpose.OPENING, clock=clock)
    _book_room(db, staff, lot1, rooms["第一评标室"], Purpose.EVALUATION, clock=clock)

    clock.advance(timedelta(days=1))
    for bidder in bidders:
        tendering.register_for_tender(
            db, bidder.actor(db, Permission.TENDER_REGISTER), tender_id=lot1.id, now=clock.now()
        )
    for bidder in bidders[:2]:
        tendering.register_for_tender(
            db, bidder.actor(db, Permission.TENDER_REGISTER), tender_id=lot2.id, now=clock.now()
        )
    for bidder in bidders[:3]:
        tendering.register_for_tender(
            db, bidder.actor(db, Permission.TENDER_REGISTER), tender_id=lot3.id, now=clock.now()
        )

    _declare_minority_stake(db, holder=bidders[3], held=bidders[4], clock=clock)
    register_basic_accounts(db, bidders, now=clock.now())

    clock.advance(timedelta(days=5))
    _deposits_paid(db, deposits, lot1=lot1, lot3=lot3, lot_a=procurement.tenders[0], bidders=bidders, clock=clock)
    for bidder, price in zip(bidders, PRICES, strict=True):
        _seal_and_submit(db, bidder, lot1, project, lots[0], price, store, ledger_keys, clock)
    for bidder, price in zip(bidders[:2], (421_000_000, 418_850_000), strict=True):
        _seal_and_submit(db, bidder, lot2, project, lots[1], price, store, ledger_keys, clock)
    for bidder, price in zip(bidders[:3], LOT3_PRICES, strict=True):
        _seal_and_submit(db, bidder, lot3, project, lots[2], price, store, ledger_keys, clock)
    first.bids, second.bids, third_lot.bids = len(bidders), 2, 3
    procurement.bidders, procurement.custodians = bidders[:3], custodians
    _procurement_bids(db, procurement, bidders, store=store, ledger_keys=ledger_keys, clock=clock)

    clock.set(lot1.bid_deadline)
    for story in (first, second):
        story.stages.append("closed")
    host = agent
    opening.start_opening(db, host, tender_id=lot1.id, now=clock.now())
    first.stages.append("opening")
    clock.advance(timedelta(minutes=2))
    for bidder in bidders[:-1]:
        _decrypt(db, bidder, lot1, store, clock)
        clock.advance(timedelta(minutes=1))
    clock.set(clock.now() + timedelta(minutes=30))  # the window has ended; the last bidder never decrypted
    _custodians_open(db, lot1, bidders[-1], custodians, host, store, clock)
    opening.finish_opening(
        db, host, tender_id=lot1.id, not_bidders_fault=[], signers=ledger_keys.signers, now=clock.now()
    )
    first.stages.append("opened")

    failed = opening.start_opening(db, host, tender_id=lot2.id, now=clock.now())
    second.stages.append(failed.stage)  # "failed": two bids are not opened (实施条例 第44条)
    opening.start_opening(db, host, tender_id=lot3.id, now=clock.now())
    clock.advance(timedelta(minutes=2))
    for bidder in bidders[:3]:
        _decrypt(db, bidder, lot3, store, clock)
    clock.advance(timedelta(minutes=30))  # the decryption window's end
    opening.finish_opening(
        db, host, tender_id=lot3.id, not_bidders_fault=[], signers=ledger_keys.signers, now=clock.now()
    )
    third_lot.stages += ["closed", "opening", "opened"]
    retender = _publish(
        db, agent, store, lots[1], title=f"{project.name}{lots[1].name}（重新招标）", clock=clock,
        deposit_fen=LOT2_DEPOSIT_FEN,
    )  # fmt: skip
    _book_room(db, staff, retender, rooms["第二开标室"], Purpose.OPENING, clock=clock)

    _register_experts(db, staff, experts, clock)
    procured = _procurement_opened_and_decided(db, procurement, host=agent, staff=staff, store=store,
                                               ledger_keys=ledger_keys, clock=clock, deposits=deposits)  # fmt: skip
    first.winner, first.award_price_fen = _evaluate_and_award(
        db, lot1, staff=staff, agent=agent, ledger_keys=ledger_keys, clock=clock, deposits=deposits
    )
    first.stages += ["evaluating", "evaluated", "publicity", "awarded", "contracted"]
    _start_evaluating(db, lot3, staff=staff, clock=clock)
    third_lot.stages.append("evaluating")
    third = LotStory(code=second.code, procedure="open", stages=["draft", "published"], tender_id=retender.id, round=2)
    return [first, second, third, *procured, third_lot]


@dataclass
class ProcurementStory:
    """The government-procurement project run beside the construction one (政府采购法): lot A to its result without a
    candidate publicity, lot B failing after its evaluation with two responsive suppliers of three (第36条) and
    procured again (第37条), lot C by 竞争性磋商 through two rounds of sealed quotations to its result."""

    project: Project
    lots: list[Lot]
    tenders: list[Tender] = field(default_factory=list)
    stories: list[LotStory] = field(default_factory=list)
    bidders: list[DemoBidder] = field(default_factory=list)
    custodians: list[tuple[Custodian, IssuedCertificate]] = field(default_factory=list)


# Lot A's and lot B's prices in fen for the first three bidders (lot B's ceiling is 780,000.00 yuan: the first
# price exceeds it and is rejected at once).
PROCUREMENT_PRICES = (
    (186_000_000, 179_500_000, 183_200_000),
    (79_800_000, 75_600_000, 76_900_000),
    (52_000_000, 49_800_000, 51_500_000),
)
PROCUREMENT_PROCEDURES = ("gp_open", "gp_open", "consultation")
# Lot C's two rounds of quotations (the second final) and each supplier's technical mark (of 60): the final
# quotations 499,000.00 / 482,000.00 / 478,000.00 yuan; the middle one wins on the score, not the lowest price.
CONSULTATION_ROUNDS = ((51_000_000, 48_600_000, 50_200_000), (49_900_000, 48_200_000, 47_800_000))
CONSULTATION_MARKS = (55, 58, 50)


def _procurement_published(
    db: Session, procurement: ProcurementStory, *, agent: Principal, store: BlobStore, clock: FixedClock
) -> None:
    """The three lots published; lot A requires a deposit (政府采购法实施条例 第33条), B and C none."""
    for number, (lot, key) in enumerate(zip(procurement.lots, PROCUREMENT_PROCEDURES, strict=True)):
        title = f"{procurement.project.name}{lot.name}"
        deposit = LOT_A_DEPOSIT_FEN if number == 0 else None
        tender = _publish(db, agent, store, lot, title=title, clock=clock, procedure_key=key, deposit_fen=deposit)
        procurement.tenders.append(tender)
        procurement.stories.append(
            LotStory(code=bids.lot_code(procurement.project, lot), procedure=key, stages=["draft", "published"],
                     tender_id=tender.id)
        )  # fmt: skip


def _procurement_bids(
    db: Session, procurement: ProcurementStory, bidders: list[DemoBidder], *, store: BlobStore,
    ledger_keys: LedgerKeys, clock: FixedClock,
) -> None:  # fmt: skip
    for tender, lot, prices, story in zip(
        procurement.tenders, procurement.lots, PROCUREMENT_PRICES, procurement.stories, strict=True
    ):
        for bidder in bidders[:3]:
            tendering.register_for_tender(
                db, bidder.actor(db, Permission.TENDER_REGISTER), tender_id=tender.id, now=clock.now()
            )
        for bidder, price in zip(bidders[:3], prices, strict=True):
            _seal_and_submit(db, bidder, tender, procurement.project, lot, price, store, ledger_keys, clock)
        story.bids = 3


def _procurement_opened_and_decided(
    db: Session, procurement: ProcurementStory, *, host: Principal, staff: Principal, store: BlobStore,
    ledger_keys: LedgerKeys, clock: FixedClock, deposits: DemoDeposits,
) -> list[LotStory]:  # fmt: skip
    """Open both lots remotely, evaluate them, award lot A from its report and procure lot B again."""
    bidders_of = procurement.bidders
    for tender, story in zip(procurement.tenders, procurement.stories, strict=True):
        opening.start_opening(db, host, tender_id=tender.id, now=clock.now())
        clock.advance(timedelta(minutes=2))
        for bidder in bidders_of:
            _decrypt(db, bidder, tender, store, clock)
        clock.advance(timedelta(minutes=30))
        opening.finish_opening(
            db, host, tender_id=tender.id, not_bidders_fault=[], signers=ledger_keys.signers, now=clock.now()
        )
        story.stages += ["closed", "opening", "opened", "evaluating"]
        if story.procedure == "consultation":
            story.stages.append(
                _consult(db, tender, procurement, host=host, staff=staff, store=store, ledger_keys=ledger_keys,
                         clock=clock)
            )  # fmt: skip
        else:
            story.stages.append(_evaluate(db, tender, staff=staff, clock=clock))
    lot_a, lot_b, lot_c = procurement.stories
    for story, tender in ((lot_a, procurement.tenders[0]), (lot_c, procurement.tenders[2])):
        story.winner, story.award_price_fen = _award_from_report(
            db, tender, agent=host, ledger_keys=ledger_keys, clock=clock, deposits=deposits
        )
        story.stages += ["awarded", "contracted"]
    again = _publish(
        db, host, store, procurement.lots[1], title=f"{procurement.project.name}{procurement.lots[1].name}（重新招标）",
        clock=clock, procedure_key="gp_open", deposit_fen=LOT_B_DEPOSIT_FEN,
    )  # fmt: skip
    retender = LotStory(
        code=lot_b.code, procedure="gp_open", stages=["draft", "published"], tender_id=again.id, round=2
    )
    return [lot_a, lot_b, retender, lot_c]


def _consult(
    db: Session, tender: Tender, procurement: ProcurementStory, *, host: Principal, staff: Principal,
    store: BlobStore, ledger_keys: LedgerKeys, clock: FixedClock,
) -> str:  # fmt: skip
    """竞争性磋商: a panel of three, a change notified to every supplier, two rounds of quotations sealed as bids are
    and opened together after each deadline (the second final), then 综合评分法 on the final quotations."""
    from decimal import Decimal

    from ggzy.evaluation import negotiation
    from ggzy.evaluation import rules as evaluation_rules
    from ggzy.evaluation import service as evaluation
    from ggzy.experts import service as expert_register

    expert_register.draw_committee(
        db, staff, tender_id=tender.id, specialty_code="A01", size=3, reserve=0, owner_representative_user_ids=[],
        now=clock.now(),
    )  # fmt: skip
    for member in expert_register.sitting_members(db, tender.id):  # 签到 at the venue before they evaluate
        expert_register.check_in_member(db, staff, tender_id=tender.id, member_id=member.id, now=clock.now())
    technical = evaluation_rules.Criterion("technical", "技术方案", Decimal(60))
    scheme = evaluation_rules.Scheme((), (technical,), Decimal(40), evaluation_rules.PriceFormula.LOWEST_BASE)
    evaluation.start_evaluation(db, staff, tender_id=tender.id, scheme=scheme, lead_member_id=None, now=clock.now())
    clock.advance(timedelta(minutes=30))
    negotiation.notify_negotiation_change(
        db,
        host,
        tender_id=tender.id,
        text="磋商确定：设备质保期由二年调整为三年，请在报价中予以考虑。",
        now=clock.now(),
    )
    for number, prices in enumerate(CONSULTATION_ROUNDS, start=1):
        negotiation.call_quotation_round(
            db, host, tender_id=tender.id, deadline=clock.now() + timedelta(hours=1),
            final=number == len(CONSULTATION_ROUNDS), now=clock.now(),
        )  # fmt: skip
        clock.advance(timedelta(minutes=20))
        for bidder, price in zip(procurement.bidders, prices, strict=True):
            _quote(db, bidder, tender, number, price, store, ledger_keys, clock)
        clock.advance(timedelta(minutes=40))
        _release_round_shares(db, tender, number, procurement.custodians, clock)
        quotations.open_round(db, host, tender_id=tender.id, number=number, store=store, now=clock.now())
        clock.advance(timedelta(minutes=30))
    bid_ids = {bid.entity_id: bid.id for bid in opening.active_bids(db, tender.id)}
    for member in expert_register.sitting_members(db, tender.id):
        user = db.get(User, member.user_id)
        assert user is not None
        sitter = login.principal_for(db, user).holding(Permission.EVALUATION_SIT)
        for bidder, mark in zip(procurement.bidders, CONSULTATION_MARKS, strict=True):
            evaluation.submit_score_sheet(
                db, sitter, tender_id=tender.id, bid_id=bid_ids[entity_of(db, bidder.user).id],
                scores={"technical": Decimal(mark)}, now=clock.now(),
            )  # fmt: skip
    clock.advance(timedelta(hours=1))
    evaluation.finalise_report(db, staff, tender_id=tender.id, now=clock.now())
    return tender.stage


def _quote(
    db: Session, bidder: DemoBidder, tender: Tender, number: int, price_fen: int, store: BlobStore,
    ledger_keys: LedgerKeys, clock: FixedClock,
) -> None:  # fmt: skip
    """A supplier seals its quotation for round ``number`` exactly as a bid (the round's lot code and key)."""
    view = quotation_views.round_view(db, quotations.get_round(db, tender.id, number))
    suite = bidder.issued.certificate.suite
    key = next(key for key in view["keys"] if key["suite"] == suite.value)  # type: ignore[attr-defined]
    out = io.BytesIO()
    seal_bid(
        lot_code=str(view["lot_code"]), suite=suite, summary={"price_fen": price_fen},
        files={"最后报价单.pdf": b"%PDF-1.7 quotation " * 200}, bidder_certificate_pem=bidder.issued.certificate_pem,
        bidder_private_key=load_private_key_pem(bidder.issued.private_key_pem),
        opening_public_key=load_public_key_pem(key["public_key_pem"]), out=out, now=clock.now(),
    )  # fmt: skip
    quotations.submit_quotation(
        db, bidder.actor(db, Permission.TENDER_REGISTER), tender_id=tender.id, envelope=io.BytesIO(out.getvalue()),
        store=store, max_bytes=100 * MIB, signer=ledger_keys.ed25519_key, now=clock.now(),
    )  # fmt: skip


def _release_round_shares(
    db: Session, tender: Tender, number: int, custodians: list[tuple[Custodian, IssuedCertificate]], clock: FixedClock
) -> None:
    """Two of the three custodians of each of the round's keys release their shares, signed, after the deadline."""
    issued_by_id = {custodian.id: issued for custodian, issued in custodians}
    round_id = quotations.get_round(db, tender.id, number).id
    for key in db.scalars(select(QuotationKey).where(QuotationKey.round_id == round_id)):
        shares = db.scalars(
            select(QuotationKeyShare).where(QuotationKeyShare.key_id == key.id).order_by(QuotationKeyShare.share_index)
        ).all()
        for share in shares[:2]:
            private_key = load_private_key_pem(issued_by_id[share.custodian_id].private_key_pem)
            released = decrypt_share(
                EncryptedShare(private_key.public_key.fingerprint, share.share_index, share.ciphertext), private_key
            )
            message = quotations.release_message(tender.id, number, key.suite, released.index, released.value)
            quotations.release_share(
                db, tender_id=tender.id, number=number, suite=key.suite, share_index=released.index,
                share=released.value, signature=private_key.sign(message), now=clock.now(),
            )  # fmt: skip


ROOMS = (
    ("第一开标室", VenueKind.OPENING_ROOM, 60),
    ("第二开标室", VenueKind.OPENING_ROOM, 40),
    ("第一评标室", VenueKind.EVALUATION_ROOM, 9),
    ("远程异地评标室（主场）", VenueKind.REMOTE_EVALUATION, 12),
)


def _add_rooms(db: Session, staff: Principal, *, centre_id: int, clock: FixedClock) -> dict[str, int]:
    """The centre's rooms (场地), added by its staff: name → venue id."""
    added = {}
    for name, kind, seats in ROOMS:
        data = VenueIn(name=name, kind=kind, seats=seats)
        added[name] = venues.create_venue(db, staff, centre_id=centre_id, data=data, now=clock.now()).id
    return added


def _book_room(
    db: Session, staff: Principal, tender: Tender, venue_id: int, purpose: Purpose, *, clock: FixedClock
) -> None:
    """The opening room from half an hour before the deadline (招标投标法 第34条); the evaluation room from an hour
    after it, for the afternoon (not public)."""
    deadline = tender.bid_deadline
    if purpose is Purpose.OPENING:
        starts_at, ends_at = deadline - timedelta(minutes=30), deadline + timedelta(hours=2)
    else:
        starts_at, ends_at = deadline + timedelta(hours=1), deadline + timedelta(hours=8)
    data = BookingIn(venue_id=venue_id, purpose=purpose, starts_at=starts_at, ends_at=ends_at)
    venues.book_venue(db, staff, tender_id=tender.id, data=data, now=clock.now())


def _declare_minority_stake(db: Session, *, holder: DemoBidder, held: DemoBidder, clock: FixedClock) -> None:
    """The fifth bidder declares that the fourth holds 20 % of it: a minority stake, not 控股, so both bid and the
    opening record carries it as a warning (not 实施条例 第34条); the outcome of lot 1 does not change."""
    from decimal import Decimal

    from ggzy.entities import relations
    from ggzy.entities.schemas import EntityRelationIn

    data = EntityRelationIn(
        kind="shareholding",
        upper_entity_id=entity_of(db, holder.user).id,
        lower_entity_id=entity_of(db, held.user).id,
        share_percent=Decimal("20.00"),
    )
    relations.declare_relation(db, held.actor(db, Permission.ENTITY_UPDATE_OWN), data=data, now=clock.now())


def entity_of(db: Session, user: User) -> Entity:
    assert user.entity_id is not None
    entity = db.get(Entity, user.entity_id)
    assert entity is not None
    return entity


__all__ = ["DemoBidder", "LotStory", "OpeningKey", "register_custodians", "run_tender_story"]
