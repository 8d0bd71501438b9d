"""Prequalification (资格预审): 招标投标法实施条例 第15–22条 and 政府采购法实施条例 第21条, through the services."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.prequalification import applications, review, rules, service
from ggzy.prequalification.lifecycle import PrequalificationPaused, PrequalificationStageWrong, Stage, is_paused
from ggzy.prequalification.models import Application
from ggzy.storage import LocalBlobStore
from ggzy.tendering.access import RegistrationRefused
from ggzy.tendering.models import Invitation
from ggzy.tendering.service import register_for_tender
from tests.conftest import TEST_NOW
from tests.factories import event_count, principal
from tests.prequalification import scenarios
from tests.prequalification.scenarios import AFTER, DEADLINE, applicant, apply, manager


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def _files(store: LocalBlobStore) -> int:
    return sum(1 for path in store.root.rglob("*") if path.is_file())


def _beijing(year: int, month: int, day: int, hour: int = 14) -> datetime:
    return datetime(year, month, day, hour - 8, 0, tzinfo=UTC)


def test_the_whole_path_ends_in_a_tender_inviting_exactly_the_pass_list_实施条例_第19条(
    db: Session, store: LocalBlobStore
) -> None:
    """Three of four pass: each applicant gets its notice (an event each), and the tender by invitation invites
    exactly those three; the one that failed may not register for it (第19条: 未通过资格预审的申请人不具有投标资格)."""
    prequalification, setup, crew = scenarios.notified(db, store, verdicts=[True, True, True, False])
    notices = db.scalars(select(Event).where(Event.action == "prequalification.result_notified")).all()
    assert len(notices) == 4
    assert sorted(n.payload.count('"passed":true') for n in notices) == [0, 1, 1, 1]

    tender = scenarios.invite(db, prequalification, setup)

    invited = set(db.scalars(select(Invitation.entity_id).where(Invitation.tender_id == tender.id)))
    assert invited == {who.user.entity_id for who in crew[:3]}
    assert tender.procedure == "invited"
    assert prequalification.stage == Stage.INVITED
    assert prequalification.tender_id == tender.id
    created = db.scalar(select(Event).where(Event.action == "tender.created", Event.subject_id == str(tender.id)))
    assert created is not None
    assert f'"prequalification_id":{prequalification.id}' in created.payload
    with pytest.raises(RegistrationRefused):
        register_for_tender(db, crew[3].actor(db), tender_id=tender.id, now=AFTER)


def test_the_tender_waits_for_every_result_notice_实施条例_第19条(db: Session, store: LocalBlobStore) -> None:
    prequalification, setup, _ = scenarios.reviewed(db, store, verdicts=[True, True, True])
    review.conclude(db, manager(db, setup), prequalification_id=prequalification.id, now=AFTER)
    with pytest.raises(review.NoticesUnsent) as refused:
        scenarios.invite(db, prequalification, setup)
    assert refused.value.code == "prequalification_notices_unsent"


def test_a_passed_applicant_registers_for_the_invited_tender(db: Session, store: LocalBlobStore) -> None:
    prequalification, setup, crew = scenarios.notified(db, store, verdicts=[True, True, True])
    tender = scenarios.invite(db, prequalification, setup)
    registration = register_for_tender(db, crew[0].actor(db), tender_id=tender.id, now=AFTER)
    assert registration.entity_id == crew[0].user.entity_id


def test_fewer_than_3_passing_fails_and_the_lot_prequalifies_again_实施条例_第19条(
    db: Session, store: LocalBlobStore
) -> None:
    prequalification, setup, _ = scenarios.reviewed(db, store, verdicts=[True, True, False])
    review.conclude(db, manager(db, setup), prequalification_id=prequalification.id, now=AFTER)
    assert prequalification.stage == Stage.FAILED
    concluded = db.scalar(select(Event).where(Event.action == "prequalification.concluded"))
    assert concluded is not None
    assert "招标投标法实施条例 第十九条" in concluded.payload
    with pytest.raises(PrequalificationStageWrong):
        scenarios.invite(db, prequalification, setup)
    again, _ = scenarios.draft(db, setup=setup)
    assert again.attempt == 2


def test_fewer_than_3_applications_fail_at_the_opening_实施条例_第19条(db: Session, store: LocalBlobStore) -> None:
    prequalification, setup = scenarios.published(db)
    for _ in range(2):
        apply(db, store, prequalification, applicant(db))
    applications.start_opening(db, scenarios.host(db, setup), prequalification_id=prequalification.id, now=AFTER)
    assert prequalification.stage == Stage.FAILED


def test_a_second_prequalification_of_a_lot_waits_until_the_first_fails(db: Session) -> None:
    _, setup = scenarios.draft(db)
    with pytest.raises(service.PrequalificationRunning):
        scenarios.draft(db, setup=setup)


def test_an_application_after_the_deadline_is_refused_and_leaves_nothing_实施条例_第17条(
    db: Session, store: LocalBlobStore
) -> None:
    prequalification, _ = scenarios.published(db)
    late = applicant(db)
    envelope = scenarios.seal(db, prequalification, late)
    before = (db.scalar(select(func.count()).select_from(Application)), event_count(db), _files(store))
    with pytest.raises(rules.ApplicationDeadlinePassed) as refused:
        import io

        applications.submit_application(
            db, late.actor(db), prequalification_id=prequalification.id, envelope=io.BytesIO(envelope),
            store=store, max_bytes=10**8, now=DEADLINE,
        )  # fmt: skip
    assert refused.value.code == "prequalification_application_late"
    assert "招标投标法实施条例 第十七条" in refused.value.detail_zh
    assert (db.scalar(select(func.count()).select_from(Application)), event_count(db), _files(store)) == before


def test_documents_are_on_offer_at_least_5_days_实施条例_第16条(db: Session) -> None:
    """Published on Tuesday 24 November: the 5th day is Sunday 29 November, so the last day is Monday 30 November
    (民法典 第203条)."""
    prequalification, setup = scenarios.draft(db, documents_until=_beijing(2026, 11, 29, 17))
    with pytest.raises(rules.DocumentsOfferTooShort) as refused:
        service.publish(db, manager(db, setup), prequalification_id=prequalification.id, now=TEST_NOW)
    assert refused.value.params["earliest"] == "2026-11-30"
    prequalification.documents_until = _beijing(2026, 11, 30, 17)
    service.publish(db, manager(db, setup), prequalification_id=prequalification.id, now=TEST_NOW)
    assert prequalification.stage == Stage.PUBLISHED


def test_applications_are_due_5_days_after_the_documents_stop_being_offered_实施条例_第17条(db: Session) -> None:
    """Documents on offer until Tuesday 1 December: the 5th day after is Sunday 6 December, moved to Monday 7."""
    prequalification, setup = scenarios.draft(db, application_deadline=_beijing(2026, 12, 6, 9))
    with pytest.raises(rules.ApplicationPeriodTooShort) as refused:
        service.publish(db, manager(db, setup), prequalification_id=prequalification.id, now=TEST_NOW)
    assert refused.value.params["earliest"] == "2026-12-07"
    assert refused.value.params["article"] == "招标投标法实施条例 第十七条"
    prequalification.application_deadline = _beijing(2026, 12, 7, 9)
    service.publish(db, manager(db, setup), prequalification_id=prequalification.id, now=TEST_NOW)


def test_procurement_applications_are_due_5_working_days_after_the_notice_across_a_holiday_政府采购法实施条例_第21条(
    db: Session,
) -> None:
    """Published on Monday 28 December 2026: 29, 30, 31 December, then 1 January 2027 a holiday (test calendar), 4
    and 5 January: the deadline falls on Tuesday 5 January at the earliest."""
    prequalification, setup = scenarios.draft(
        db, trade_type="gov_procurement", documents_until=_beijing(2026, 12, 30),
        application_deadline=_beijing(2027, 1, 4, 17),
    )  # fmt: skip
    published_at = _beijing(2026, 12, 28, 9)
    with pytest.raises(rules.ApplicationPeriodTooShort) as refused:
        service.publish(db, manager(db, setup), prequalification_id=prequalification.id, now=published_at)
    assert refused.value.params["earliest"] == "2027-01-05"
    assert refused.value.params["unit_zh"] == "个工作日"
    assert refused.value.params["article"] == "政府采购法实施条例 第二十一条"
    prequalification.application_deadline = _beijing(2027, 1, 5, 9)
    service.publish(db, manager(db, setup), prequalification_id=prequalification.id, now=published_at)
    assert prequalification.procedure == "gp_invited"


def test_a_clarification_less_than_3_days_before_the_deadline_moves_it_实施条例_第21条(db: Session) -> None:
    """Deadline Tuesday 8 December 14:00. A clarification on 5 December leaves 3 days: it stays. One on 6 December
    moves it to the last day of its 3 days, Wednesday 9 December, same time."""
    prequalification, setup = scenarios.published(db)
    agent = manager(db, setup)
    kept = service.clarify(
        db, agent, prequalification_id=prequalification.id, text="澄清", affects_applications=True,
        now=_beijing(2026, 12, 5, 10),
    )  # fmt: skip
    assert kept.deadline_after == kept.deadline_before == DEADLINE
    moved = service.clarify(
        db, agent, prequalification_id=prequalification.id, text="修改", affects_applications=True,
        now=_beijing(2026, 12, 6, 10),
    )  # fmt: skip
    assert moved.deadline_after == _beijing(2026, 12, 9) == prequalification.application_deadline
    unaffected = service.clarify(
        db, agent, prequalification_id=prequalification.id, text="勘误", affects_applications=False,
        now=_beijing(2026, 12, 8, 10),
    )  # fmt: skip
    assert unaffected.deadline_after == _beijing(2026, 12, 9)


def test_an_objection_pauses_the_prequalification_until_answered_实施条例_第22条(
    db: Session, store: LocalBlobStore
) -> None:
    prequalification, setup = scenarios.published(db)
    objector, later = applicant(db), applicant(db)
    objection = service.raise_objection(
        db, objector.actor(db, Permission.TENDER_OBJECT), prequalification_id=prequalification.id,
        text="资格条件排斥潜在投标人", now=TEST_NOW,
    )  # fmt: skip
    assert objection.answer_due.isoformat() == "2026-11-27"
    with pytest.raises(PrequalificationPaused) as refused:
        apply(db, store, prequalification, later)
    assert "第二十二条" in refused.value.detail_zh
    service.answer_objection(db, manager(db, setup), objection_id=objection.public_id, answer="已修改", now=TEST_NOW)
    assert apply(db, store, prequalification, later).status == "active"


def test_objections_close_2_days_before_the_application_deadline_实施条例_第22条(db: Session) -> None:
    """Deadline Tuesday 8 December: the last day to object is Sunday 6 December."""
    prequalification, _ = scenarios.published(db)
    objector = applicant(db).actor(db, Permission.TENDER_OBJECT)
    service.raise_objection(
        db, objector, prequalification_id=prequalification.id, text="异议", now=_beijing(2026, 12, 6)
    )
    with pytest.raises(rules.ObjectionTooLate):
        service.raise_objection(
            db, objector, prequalification_id=prequalification.id, text="异议", now=_beijing(2026, 12, 7)
        )


def test_no_objection_under_government_procurement(db: Session) -> None:
    prequalification, setup = scenarios.draft(db, trade_type="gov_procurement")
    service.publish(db, manager(db, setup), prequalification_id=prequalification.id, now=TEST_NOW)
    with pytest.raises(rules.NoObjectionUnderThisLaw):
        service.raise_objection(
            db, applicant(db).actor(db, Permission.TENDER_OBJECT), prequalification_id=prequalification.id,
            text="异议", now=TEST_NOW,
        )  # fmt: skip


def test_applications_stay_sealed_until_the_opening(db: Session, store: LocalBlobStore) -> None:
    """Until the opening nobody, not even the agent, learns who applied or how many (DESIGN §4.3); the public
    ledger never carries an application's details."""
    prequalification, setup = scenarios.published(db)
    crew = [applicant(db) for _ in range(3)]
    for who in crew:
        apply(db, store, prequalification, who)
    agent = manager(db, setup)
    for moment in (TEST_NOW, AFTER):  # before the deadline, and after it until the opening starts
        with pytest.raises(Conflict):
            applications.applications_of(db, agent, prequalification.id, moment)
    submitted = db.scalars(select(Event).where(Event.action == "prequalification.application_submitted")).all()
    assert len(submitted) == 3
    assert not any(event.disclosed for event in submitted)
    assert [a.entity_id for a in applications.my_applications(db, crew[0].actor(db), prequalification.id)] == [
        crew[0].user.entity_id
    ]
    applications.start_opening(db, scenarios.host(db, setup), prequalification_id=prequalification.id, now=AFTER)
    assert len(applications.applications_of(db, agent, prequalification.id, AFTER)) == 3


def test_the_last_application_of_an_applicant_counts(db: Session, store: LocalBlobStore) -> None:
    prequalification, _ = scenarios.published(db)
    who = applicant(db)
    first = apply(db, store, prequalification, who)
    second = apply(db, store, prequalification, who)
    assert (first.status, second.status) == ("replaced", "active")


def test_only_a_member_of_the_committee_reviews_实施条例_第18条(db: Session, store: LocalBlobStore) -> None:
    prequalification, setup, crew = scenarios.opened(db, store, applicants=3)
    target = scenarios.application_of(db, prequalification, crew[0]).public_id
    with pytest.raises(review.NotAReviewer):
        review.review_application(
            db, principal(db, setup["owner_user"], Permission.EVALUATION_SIT), application_id=target, passed=True,
            reason="", now=AFTER,
        )  # fmt: skip
    reviewers = service.reviewers_of(db, prequalification.id)
    assert len(reviewers) == 5
    assert all(member.kind == "expert" for member in reviewers)


def test_a_late_answer_is_given_and_its_missed_period_recorded_实施条例_第22条(db: Session) -> None:
    from ggzy.core.violations import PeriodViolation

    prequalification, setup = scenarios.published(db)
    objection = service.raise_objection(
        db, applicant(db).actor(db, Permission.TENDER_OBJECT), prequalification_id=prequalification.id,
        text="异议", now=TEST_NOW,
    )  # fmt: skip
    service.answer_objection(
        db, manager(db, setup), objection_id=objection.public_id, answer="答复", now=_beijing(2026, 11, 30)
    )
    violation = db.scalar(select(PeriodViolation).where(PeriodViolation.subject_id == str(prequalification.id)))
    assert violation is not None
    assert (violation.period_key, violation.article) == (
        "prequalification.objection_answer",
        "招标投标法实施条例 第二十二条",
    )
    assert not is_paused(db, prequalification.id)


def test_a_government_procurement_prequalification_leads_to_a_procurement_invited_tender_政府采购法_第34条(
    db: Session, store: LocalBlobStore
) -> None:
    prequalification, setup, crew = scenarios.reviewed(
        db, store, verdicts=[True, True, True], trade_type="gov_procurement"
    )
    review.conclude(db, manager(db, setup), prequalification_id=prequalification.id, now=AFTER)
    for who in crew:
        review.notify_result(
            db, manager(db, setup), application_id=scenarios.application_of(db, prequalification, who).public_id,
            now=AFTER,
        )  # fmt: skip
    tender = scenarios.invite(db, prequalification, setup)
    assert tender.procedure == "gp_invited"
    invited = set(db.scalars(select(Invitation.entity_id).where(Invitation.tender_id == tender.id)))
    assert invited == {who.user.entity_id for who in crew}


def test_the_review_committee_recuses_an_expert_employed_by_an_applicant_实施条例_第18条(
    db: Session, store: LocalBlobStore
) -> None:
    """第18条: the review committee follows the rules of an evaluation committee, so an expert employed by an
    applicant does not sit (实施条例 第46条), and the committee has five or more members (招标投标法 第37条)."""
    from ggzy.experts.service import CommitteeUnlawful
    from tests.factories import make_expert

    prequalification, setup = scenarios.published(db)
    crew = [applicant(db) for _ in range(3)]
    who = crew[0]
    for each in crew:
        apply(db, store, prequalification, each)
    conflicted = make_expert(db, specialty_codes=["B02"], employer_id=who.user.entity_id)
    others = [make_expert(db, specialty_codes=["B02"]) for _ in range(5)]
    staff = scenarios.staff(db, setup)
    # before the opening no committee is formed: whom it recuses would tell who applied (招标投标法 第22条)
    with pytest.raises(PrequalificationStageWrong):
        review.form_committee(
            db, staff, prequalification_id=prequalification.id, specialty_code="B02", size=5,
            owner_representative_user_ids=[], now=AFTER,
        )  # fmt: skip
    host = scenarios.host(db, setup)
    applications.start_opening(db, host, prequalification_id=prequalification.id, now=AFTER)
    for each in crew:
        applications.decrypt_application(
            db, each.actor(db), prequalification_id=prequalification.id,
            data_key=scenarios.data_key(db, prequalification, each), store=store, max_mb=100, now=AFTER,
        )  # fmt: skip
    applications.finish_opening(db, host, prequalification_id=prequalification.id, now=AFTER)
    with pytest.raises(CommitteeUnlawful):
        review.form_committee(
            db, staff, prequalification_id=prequalification.id, specialty_code="B02", size=4,
            owner_representative_user_ids=[], now=AFTER,
        )  # fmt: skip
    members = review.form_committee(
        db, staff, prequalification_id=prequalification.id, specialty_code="B02", size=5,
        owner_representative_user_ids=[], now=AFTER,
    )  # fmt: skip
    assert {member.expert_id for member in members} == {expert.id for expert in others}
    assert conflicted.id not in {member.expert_id for member in members}
