"""The credit screens on the steps of the lower domains (信用拦截, decision 0040).

Credit sits high in DESIGN §3 (beside complaints and supervision), yet its interception must stop four steps of
lower domains: an entity's registration (entities), a bidder's registration for a tender and its bid (tendering),
the draw of an evaluation committee (experts) and the award (awards). Those domains may not import credit, so they
ask this registry, and the composition root (``ggzy.wiring``) installs credit's screens into it — the same shape as
the lifecycle's halts and ``core.events.register_reaction``. Core knows no credit rule: only the checkpoints.

A screen that stops a step raises a ``DomainError`` (the step is refused and rolled back); the interception is a
recorded fact all the same, written after the rollback by the unit of work (``core.db.unit_of_work`` runs an
error's ``record_after_rollback``), so that the refused step leaves nothing and the interception its event.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal


class Checkpoint(StrEnum):
    ENTITY_REGISTRATION = "entity_registration"  # 市场主体注册 (entities)
    TENDER_REGISTRATION = "tender_registration"  # 报名 (tendering)
    BID_SUBMISSION = "bid_submission"  # 递交投标文件 (tendering)
    EXPERT_DRAW = "expert_draw"  # 抽取评标专家 (experts)
    AWARD = "award"  # 定标 (awards)
    AUCTION_REGISTRATION = "auction_registration"  # 竞买登记 (auctions)
    AUCTION_BID = "auction_bid"  # 竞买报价 (auctions)


class Intercepted(DomainError):
    """A step refused because its party is under a credit restriction in force (raised by credit's screen; declared
    here so that the lower domains' endpoints can name it in their OpenAPI responses). The screen sets
    ``record_after_rollback`` on it: the unit of work records the interception after rolling the step back."""

    code = "credit_intercepted"
    status = 403
    message_zh = (
        "{subject_name}（{credit_code}）因{source_zh}「{reference}」被限制参加本环节（{checkpoint_zh}），"
        "期限至{until_zh}"
    )
    message_en = (
        "{subject_name} ({credit_code}) is barred from this step ({checkpoint}) by {source_en} {reference}, "
        "until {until_en}"
    )

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(instance)
        body["credit"] = {
            key: self.params[key] for key in ("checkpoint", "source", "reference", "valid_until", "credit_code")
        }
        return body


class EntityScreen(Protocol):
    def __call__(
        self,
        db: Session,
        actor: Principal,
        *,
        checkpoint: Checkpoint,
        credit_code: str | None,
        entity_id: int | None,
        law: str | None,
        subject_type: str,
        subject_id: int | str,
        now: datetime,
    ) -> None: ...


class ExpertScreen(Protocol):
    def __call__(
        self,
        db: Session,
        actor: Principal,
        *,
        expert_ids: Collection[int],
        subject_type: str,
        subject_id: int | str,
        now: datetime,
    ) -> set[int]: ...


class ScreensNotInstalled(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "the credit screens are not installed: make sessions with ggzy.wiring.session_factory, which installs "
            "them (decision 0040), so that no step runs unscreened"
        )


@dataclass
class _Installed:
    entity: EntityScreen | None = None
    experts: ExpertScreen | None = None


_installed = _Installed()


def install(*, entity: EntityScreen, experts: ExpertScreen) -> None:
    """Install credit's screens (idempotent; the composition root calls it)."""
    _installed.entity, _installed.experts = entity, experts


def screen_entity(
    db: Session,
    actor: Principal,
    *,
    checkpoint: Checkpoint,
    credit_code: str | None = None,
    entity_id: int | None = None,
    law: str | None,
    subject_type: str,
    subject_id: int | str,
    now: datetime,
) -> None:
    """Refuse the step when the entity (by credit code, or by id) is under a restriction in force at ``now`` over
    the trades of ``law`` (the procedure's law key; None for a step under no one law: only a restriction of every
    trade refuses it)."""
    screen = _installed.entity
    if screen is None:
        raise ScreensNotInstalled()
    screen(
        db, actor, checkpoint=checkpoint, credit_code=credit_code, entity_id=entity_id, law=law,
        subject_type=subject_type, subject_id=subject_id, now=now,
    )  # fmt: skip


def screen_experts(
    db: Session,
    actor: Principal,
    *,
    expert_ids: Collection[int],
    subject_type: str,
    subject_id: int | str,
    now: datetime,
) -> set[int]:
    """The experts among ``expert_ids`` barred from evaluating at ``now`` (each interception recorded against the
    committee's subject: a tender, or a prequalification): the draw recuses them."""
    screen = _installed.experts
    if screen is None:
        raise ScreensNotInstalled()
    return screen(db, actor, expert_ids=expert_ids, subject_type=subject_type, subject_id=subject_id, now=now)
