"""Who may handle and who may read a complaint.

The supervisory department (行政监督部门) handles the complaints of its region and trade type (a supervisor's role
grant names both; none means all). The complainant reads its own. Discipline inspection and audit read the
supervisor's scope once the opening record has named the bidders; before that only the complainant and the
competent supervisor know who complained, since a complainant about the documents is a potential bidder
(招标投标法 第22条) — the supervisor's handling and its time limits are in the public ledger meanwhile, without
the complainant (see service). Nobody else learns who complained. A complaint the reader may not see is reported
as not found, so that its existence is not revealed either.
"""

from __future__ import annotations

from dataclasses import replace

from ggzy.complaints.models import Complaint
from ggzy.core.codes import region_contains
from ggzy.core.errors import DomainError, NotFound
from ggzy.core.permissions import Principal, Role
from ggzy.projects.models import Project


class NotYourJurisdiction(DomainError):
    code = "complaint_outside_jurisdiction"
    status = 403
    message_zh = "该投诉不属于您所在行政监督部门的管辖范围（地区、行业）"
    message_en = "This complaint is outside your supervisory department's region or trade type"


def _covers(actor: Principal, role: Role, project: Project) -> bool:
    for grant in actor.grants_for(role):
        region_ok = not grant.region_code or region_contains(grant.region_code, project.region_code)
        trade_ok = not grant.trade_type or grant.trade_type == project.trade_type
        if region_ok and trade_ok:
            return True
    return False


def check_supervisor(actor: Principal, project: Project) -> Principal:
    """A supervisor whose region and trade type cover the project, acting in that role."""
    if _covers(actor, Role.SUPERVISOR, project):
        return replace(actor, acting_role=Role.SUPERVISOR)
    raise NotYourJurisdiction(field="complaint_id")


def handling_department(actor: Principal, project: Project) -> dict[str, str | None]:
    """The supervisory department that handles the complaint, as the supervisor's covering grant names it: its region
    and trade type (None: all), for the published decision (the page names it: 昆明市 工程建设 行政监督部门)."""
    for grant in actor.grants_for(Role.SUPERVISOR):
        if (not grant.region_code or region_contains(grant.region_code, project.region_code)) and (
            not grant.trade_type or grant.trade_type == project.trade_type
        ):
            return {"region_code": grant.region_code or None, "trade_type": grant.trade_type or None}
    raise NotYourJurisdiction(field="complaint_id")


def may_read(actor: Principal, project: Project, complaint: Complaint, *, bids_public: bool) -> bool:
    """``bids_public``: the tender's opening record has named its bidders (招标投标法 第22条 no longer at stake)."""
    if Role.BIDDER in actor.roles and actor.entity_id is not None and actor.entity_id == complaint.entity_id:
        return True
    return _covers(actor, Role.SUPERVISOR, project) or (bids_public and _covers(actor, Role.INSPECTOR, project))


def check_reader(actor: Principal, project: Project, complaint: Complaint, *, bids_public: bool) -> None:
    if not may_read(actor, project, complaint, bids_public=bids_public):
        raise NotFound(field="complaint_id", what_zh="投诉", what_en="Complaint")


def may_read_records(actor: Principal, project: Project, *, bids_public: bool) -> bool:
    """The investigation and hearing records (decision 0047): the supervisors of the jurisdiction, and inspectors
    once the bids are public — as the complaint itself, without the complainant."""
    return _covers(actor, Role.SUPERVISOR, project) or (bids_public and _covers(actor, Role.INSPECTOR, project))


_PARTY_ROLES = frozenset({Role.BIDDER, Role.OWNER, Role.AGENT})


def hearing_party(actor: Principal, parties: list[dict[str, object]]) -> bool:
    """Whether the reader's entity was notified of the hearing (as complainant, owner, agent or bidder concerned)."""
    if actor.entity_id is None or not (_PARTY_ROLES & set(actor.roles)):
        return False
    return any(party["entity_id"] == actor.entity_id for party in parties)
