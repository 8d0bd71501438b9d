"""The committee and its report as a person reads them (the pages' tables; the API's JSON stays as it is).

Names: the seats carry names only for a reader allowed to see them — the centre's staff (招标投标法 第37条) and the
members themselves (``access.sees_fellow_members``); everyone else reads seat numbers. Bidders are named by their
entity's name. The report's dissents and signatures (实施条例 第53条) are read beside the final report JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ggzy.entities.service import find_user, get_entity
from ggzy.evaluation import report_signing, service
from ggzy.evaluation.models import Evaluation, EvaluationReport, ReportSignature
from ggzy.experts import service as experts
from ggzy.experts.service import OWNER_REPRESENTATIVE


@dataclass(frozen=True)
class Seat:
    member_id: int
    position: int
    kind: str  # expert | owner_representative | reserve
    name: str | None  # None for a reader who may not see it
    checked_in_at: datetime | None
    lead: bool
    signature: ReportSignature | None
    own: bool


@dataclass(frozen=True)
class RankRow:
    rank: int
    bid_id: int
    bidder: str
    price_fen: int
    technical_score: str | None
    price_score: str | None
    total: str | None
    recommended: bool


@dataclass(frozen=True)
class RejectedRow:
    bid_id: int
    bidder: str
    ground_zh: str
    note: str
    automatic: bool


@dataclass(frozen=True)
class ReportTable:
    sha256: str
    finalised_at: datetime
    method: str
    committee_size: int
    ranking: list[RankRow]
    rejected: list[RejectedRow]
    failed_qualification: list[str]
    without_final_quotation: list[str]
    seats: list[Seat]
    dissents: list[Seat] = field(default_factory=list)
    unsigned: list[Seat] = field(default_factory=list)


def _bidder_names(db: Session, entity_ids: set[int]) -> dict[int, str]:
    return {entity_id: get_entity(db, entity_id).name for entity_id in entity_ids}


def seats(
    db: Session, *, tender_id: int, names: bool, viewer_user_id: int | None, evaluation: Evaluation | None
) -> list[Seat]:
    """The committee in force, in the order of the draw, reserve seats included."""
    members = experts.committee_of(db, tender_id)
    expert_names = experts.expert_names(db, [m.expert_id for m in members if m.expert_id is not None])
    attendance = experts.attendance_of(db, [m.id for m in members])
    report = service.report_of(db, evaluation.id) if evaluation is not None else None
    signed = report_signing.signatures_of(db, report.id) if report is not None else {}

    def name_of(member_id: int, expert_id: int | None, user_id: int, kind: str) -> str | None:
        if not names:
            return None
        if expert_id is not None:
            return expert_names.get(expert_id)
        user = find_user(db, user_id) if kind == OWNER_REPRESENTATIVE else None
        return user.display_name if user is not None else None

    return [
        Seat(
            member_id=m.id,
            position=m.position,
            kind=m.kind,
            name=name_of(m.id, m.expert_id, m.user_id, m.kind),
            checked_in_at=attendance[m.id].checked_in_at if m.id in attendance else None,
            lead=evaluation is not None and evaluation.lead_member_id == m.id,
            signature=signed.get(m.id),
            own=viewer_user_id is not None and m.user_id == viewer_user_id,
        )
        for m in members
    ]


def report_table(db: Session, report: EvaluationReport, committee: list[Seat]) -> ReportTable:
    body = json.loads(report.body)
    entity_ids = {row["entity_id"] for row in body["ranking"]} | {row["entity_id"] for row in body["rejected"]}
    entity_ids |= {row["entity_id"] for row in body["failed_qualification"]}
    entity_ids |= {row["entity_id"] for row in body.get("without_final_quotation", [])}
    bidders = _bidder_names(db, entity_ids)
    recommended = set(body["recommended"])
    sitting = [seat for seat in committee if seat.kind != experts.RESERVE]
    return ReportTable(
        sha256=report.sha256,
        finalised_at=report.finalised_at,
        method=body["method"],
        committee_size=body["committee_size"],
        ranking=[
            RankRow(
                rank=row["rank"],
                bid_id=row["bid_id"],
                bidder=bidders[row["entity_id"]],
                price_fen=row["price_fen"],
                technical_score=row.get("technical_score"),
                price_score=row.get("price_score"),
                total=row.get("total"),
                recommended=row["bid_id"] in recommended,
            )
            for row in body["ranking"]
        ],
        rejected=[
            RejectedRow(row["bid_id"], bidders[row["entity_id"]], row["ground_zh"], row["note"], row["automatic"])
            for row in body["rejected"]
        ],
        failed_qualification=[bidders[row["entity_id"]] for row in body["failed_qualification"]],
        without_final_quotation=[bidders[row["entity_id"]] for row in body.get("without_final_quotation", [])],
        seats=sitting,
        dissents=[s for s in sitting if s.signature is not None and s.signature.opinion == report_signing.DISSENT],
        unsigned=[s for s in sitting if s.signature is None],
    )


def bidder_names_of_bids(db: Session, tender_id: int) -> dict[int, str]:
    """The opened bids' bidders by bid id (for the committee's forms)."""
    bids = service.opened_bids(db, tender_id)
    names = _bidder_names(db, {bid.entity_id for bid in bids.values()})
    return {bid_id: names[bid.entity_id] for bid_id, bid in bids.items()}
