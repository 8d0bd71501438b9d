"""Who may read what of the award stage.

The candidates, the winner and the price are public (招标投标法实施条例 第54条; 招标投标法 第45条). The texts of
objections are for their objector and the owner or its agent; a letter is for its addressee and the owner or its
agent (招标投标法 第45条: the letter goes to the winner, the result to the others).
"""

from __future__ import annotations

from dataclasses import replace

from ggzy.awards.models import AwardLetter, PublicityObjection
from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal, Role
from ggzy.projects.models import Project
from ggzy.tendering.access import NotTheTenderer, check_manager


class NotYourLetter(DomainError):
    code = "award_letter_not_yours"
    status = 403
    message_zh = "只有通知书的收件人、招标人或其代理机构可以查看该通知书"
    message_en = "Only the letter's addressee, the owner or its agent may read this letter"


def is_manager(actor: Principal, project: Project) -> bool:
    try:
        check_manager(actor, project)
    except NotTheTenderer:
        return False
    return True


def reads_objection(actor: Principal, project: Project, objection: PublicityObjection) -> bool:
    return is_manager(actor, project) or (actor.entity_id is not None and actor.entity_id == objection.entity_id)


def check_letter_reader(actor: Principal, project: Project, letter: AwardLetter) -> Principal:
    """The addressee (a bidder of the addressed entity), or the owner or its agent."""
    if Role.BIDDER in actor.roles and actor.entity_id == letter.entity_id:
        return replace(actor, acting_role=Role.BIDDER)
    try:
        return check_manager(actor, project)
    except NotTheTenderer:
        raise NotYourLetter(field="letter_id") from None
