"""Missed statutory periods, recorded as violations (DESIGN §5: a missed period is a recorded violation shown to
the supervisor, never a lock).

When the party in charge of a step lets its period run out — the owner publicises the candidates after the 3 days
of 招标投标法实施条例 第54条, answers an objection after its 3 days (第22条, 第54条), the contract is signed after
the 30 days of 招标投标法 第46条 — the step still happens: refusing it would lock the lot for good, and the law
answers a party's failure with the supervisory department's order to correct it (e.g. 实施条例 第77条第2款 for an
objection not answered as required) and a published decision (第78条), not with a tender that can neither finish
nor fail. The step's service call records the violation in the same unit of
work as the step and its event, and the event carries it too (:meth:`MissedPeriod.payload`), so the public ledger
shows it and nothing here can be recorded without its step.

A period the law gives to a *party* to exercise a right (an objection 10 days before the deadline, 第22条; a
complaint within 10 days, 第60条) is not this: when it lapses, the right lapses, and the late act is still refused.

This module knows periods (:mod:`ggzy.core.periods`) and events, no domain: the domains say which period was
missed, by when and on which subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime
from ggzy.core.events import Event
from ggzy.core.periods import StatutoryPeriod

__all__ = ["MissedPeriod", "PeriodViolation", "missed", "record_missed", "violation_entry"]


class PeriodViolation(Base):
    """One missed statutory period: which period (its key and article, copied so that the record reads alone), on
    which subject, the last day it allowed (``due``), the day the step happened, who took the step, and the event
    that carried it (whose payload repeats the violation)."""

    __tablename__ = "period_violations"
    __table_args__ = (Index("ix_period_violations_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    period_key: Mapped[str] = mapped_column(String(64))
    article: Mapped[str] = mapped_column(String(128))
    due: Mapped[date] = mapped_column(Date)
    happened_on: Mapped[date] = mapped_column(Date)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # one step may miss several periods at once (a contract signed late and published late, 政府采购法 第46条 and
    # 实施条例 第50条): each is a row, all carried by the step's one event
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)

    @property
    def days_late(self) -> int:
        return (self.happened_on - self.due).days


@dataclass(frozen=True)
class MissedPeriod:
    """A period whose last day (``due``) had passed on the day its step happened (``happened_on``)."""

    period: StatutoryPeriod
    due: date
    happened_on: date

    @property
    def days_late(self) -> int:
        """Calendar days after the last day (the period's own unit may be working days: this counts what the public
        reads, the days between the two dates)."""
        return (self.happened_on - self.due).days

    def payload(self) -> dict[str, Any]:
        """What the step's event carries about the violation."""
        return {
            "period": self.period.key,
            "article": self.period.article,
            "due": self.due.isoformat(),
            "happened_on": self.happened_on.isoformat(),
            "days_late": self.days_late,
        }


def missed(period: StatutoryPeriod, *, due: date, happened_on: date) -> MissedPeriod | None:
    """The violation when ``happened_on`` is after the period's last day ``due`` (the act is in time up to 24:00 of
    the last day, 民法典 第203条), else None."""
    return MissedPeriod(period=period, due=due, happened_on=happened_on) if happened_on > due else None


def violation_entry(*violations: MissedPeriod | None) -> dict[str, Any]:
    """What a step's event payload gains: ``{"violation": {...}}`` for a missed period, nothing for a step in
    time (so the payloads of steps in time are unchanged). A step that can miss several periods passes them all:
    the first missed is ``violation``, any further ones ``also_missed`` (a list), each recorded by
    :func:`record_missed`."""
    found = [item for item in violations if item is not None]
    if not found:
        return {}
    entry: dict[str, Any] = {"violation": found[0].payload()}
    if len(found) > 1:
        entry["also_missed"] = [item.payload() for item in found[1:]]
    return entry


def record_missed(
    db: Session, violation: MissedPeriod | None, *, subject_type: str, subject_id: int | str, event: Event
) -> PeriodViolation | None:
    """Record ``violation`` (nothing when the step was in time) against its subject, with the event that carried the
    late step: its centre, actor and time are the violation's. Call it in the step's service call, after its event,
    so that the step, its event and the violation commit or roll back together."""
    if violation is None:
        return None
    record = PeriodViolation(
        centre_id=event.centre_id,
        subject_type=subject_type,
        subject_id=str(subject_id),
        period_key=violation.period.key,
        article=violation.period.article,
        due=violation.due,
        happened_on=violation.happened_on,
        actor_user_id=event.actor_user_id,
        actor_role=event.actor_role,
        recorded_at=event.occurred_at,
        event_id=event.id,
    )
    db.add(record)
    db.flush()
    return record
