"""The committee's lead (评标委员会负责人) elected by its members.

The rule cited: 浙江省招标投标条例 第29条第4款 — 评标委员会设负责人的，评标委员会负责人由评标委员会成员推举
产生或者由招标人确定。评标委员会负责人与评标委员会其他成员具有同等的表决权。
It is a provincial regulation (Zhejiang), the only text in
the platform's law folder on how the lead is chosen; the national 招标投标法 and its 实施条例 say nothing on it, and
no other rule is cited here. The two ways of the article are both kept: staff name the lead at the start on the
owner's word (``Evaluation.lead_basis == "designated"``: 由招标人确定), or leave it to the members, when the first
drawn expert convenes (``provisional``) until the members elect one (``elected``: 推举产生).

How the election counts is the platform's choice, since the article does not say: every sitting member, checked in
at the venue, names one sitting member (themselves included), once; the first member named by more than half of the
whole committee becomes the lead. The lead has no more votes than the others (same article): the lead records the
committee's rejections and finalises its report, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, InvalidInput
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.evaluation import access, service
from ggzy.evaluation.models import ChairVote, Evaluation
from ggzy.experts.service import sitting_members
from ggzy.tendering import lifecycle
from ggzy.tendering.service import get_tender, project_of
from ggzy.tendering.stages import Step


def elected(votes: Mapping[int, int], *, members: int) -> int | None:
    """The member named by more than half of the committee (voter → candidate), if any."""
    counts: dict[int, int] = {}
    for candidate in votes.values():
        counts[candidate] = counts.get(candidate, 0) + 1
    winners = [candidate for candidate, count in counts.items() if 2 * count > members]
    return winners[0] if winners else None


def votes_of(db: Session, evaluation_id: int) -> dict[int, int]:
    """The votes cast, voter's member id → candidate's member id."""
    query = select(ChairVote.member_id, ChairVote.candidate_member_id).where(ChairVote.evaluation_id == evaluation_id)
    return {voter: candidate for voter, candidate in db.execute(query)}


def election_open(evaluation: Evaluation) -> bool:
    return evaluation.lead_basis == service.LEAD_PROVISIONAL


@changes_state("evaluation.chair_voted", disclosed=False)
def vote_for_chair(
    db: Session, actor: Principal, *, tender_id: int, candidate_member_id: int, now: datetime
) -> Evaluation:
    """A sitting member, checked in, names the member they elect as the lead (推举, 浙江省招标投标条例 第29条);
    once named by more than half of the committee, that member is the lead. Final once cast."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    evaluation = service.current_evaluating(db, tender.id)
    member, actor = access.present_member_for(db, actor, tender.id)
    lifecycle.require(db, tender, Step.EVALUATE, now)  # a suspension halts the committee too (实施条例 第62条)
    if not election_open(evaluation):
        raise Conflict(
            field="tender_id",
            reason_zh="评标委员会负责人已确定，不再推举",
            reason_en="the committee's lead is already chosen",
        )
    members = sitting_members(db, tender.id)
    if candidate_member_id not in {seat.id for seat in members}:
        raise InvalidInput(
            field="candidate_member_id",
            reason_zh="被推举人须为本评标委员会成员",
            reason_en="the member elected must sit on this committee",
        )
    votes = votes_of(db, evaluation.id)
    if member.id in votes:
        raise service.SheetFinal(field="candidate_member_id", what_zh="推举意见", what_en="A vote for the lead")
    db.add(ChairVote(evaluation_id=evaluation.id, member_id=member.id, candidate_member_id=candidate_member_id,
                     voted_at=now))  # fmt: skip
    votes[member.id] = candidate_member_id
    chosen = elected(votes, members=len(members))
    if chosen is not None:
        evaluation.lead_member_id = chosen
        evaluation.lead_basis = service.LEAD_ELECTED
    db.flush()
    record_event(
        db, actor, action="evaluation.chair_voted", subject_type="tender", subject_id=tender.id,
        centre_id=project.centre_id,
        payload={"member_id": member.id, "candidate_member_id": candidate_member_id, "elected": chosen}, now=now,
    )  # fmt: skip
    return evaluation
