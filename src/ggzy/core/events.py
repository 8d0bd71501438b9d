"""The audit events (DESIGN §4.1): every state change appends one, in the same transaction.

Events are append-only: triggers on SQLite and PostgreSQL refuse UPDATE and DELETE (see the first migration).
The payload is stored as canonical JSON (RFC 8785) so that the ledger can hash exactly these bytes.

Every service function that changes state is declared with :func:`changes_state`, naming the action it records;
a test walks that registry and proves each service leaves exactly its event.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import rfc8785
from sqlalchemy import Boolean, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime
from ggzy.core.permissions import Principal

P = ParamSpec("P")
R = TypeVar("R")

# action name -> the service function that records it
STATE_CHANGING_SERVICES: dict[str, Callable[..., Any]] = {}
# actions whose payload is personal or secret at the time: the public ledger carries only a commitment to it
UNDISCLOSED_ACTIONS: set[str] = set()
# the events recorded in a session's transaction, for the ledger to number at commit (see ggzy.ledger.sequencer)
NEW_EVENTS_KEY = "ggzy.new_events"
# set in the info of every session whose factory numbers its events into the ledger (ggzy.ledger.sequencer's
# install_numbering, called by ggzy.wiring.session_factory); core names the mark without knowing the ledger
NUMBERING_INSTALLED_KEY = "ggzy.ledger.numbering_installed"
# action name -> what the upper domains do in the same transaction when it is recorded (decision 0031: finance orders
# the refunds of an award, a contract, a withdrawal, a termination). Registered by the composition root
# (ggzy.wiring), as the halts are: the domain that records the event never imports the one that reacts.
Reaction = Callable[[Session, "Event"], None]
REACTIONS: dict[str, list[Reaction]] = {}


def register_reaction(action: str, reaction: Reaction) -> None:
    """Run ``reaction(db, event)`` in the transaction of every ``action`` event from now on, after the event is
    written (idempotent for the same function). A reaction that raises undoes the step with it."""
    found = REACTIONS.setdefault(action, [])
    if reaction not in found:
        found.append(reaction)


class EventsNotNumbered(RuntimeError):
    """A session whose factory does not number events into the ledger was asked to record one: the event would
    be committed outside the ledger, which ``ggzy ledger verify`` then reports as damage (decision 0018)."""

    def __init__(self) -> None:
        super().__init__(
            "this session cannot record events: its factory does not number them into the ledger. Make sessions "
            "with ggzy.wiring.session_factory(bind) (or give the sessionmaker to "
            "ggzy.ledger.sequencer.install_numbering) instead of core.db.make_session_factory or sessionmaker()"
        )


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    # Whether the public ledger entry carries the payload, or only the salted commitment to the whole event.
    disclosed: Mapped[bool] = mapped_column(Boolean)
    # Random salt of that commitment (hex), so that a low-entropy hidden payload cannot be guessed from it.
    salt: Mapped[str] = mapped_column(String(32))


_MAX_SAFE_INTEGER = 2**53 - 1  # RFC 8785 numbers are IEEE 754 doubles: larger integers are not exact


def _plain(value: Any) -> bool:
    """True when Python's sorted, compact JSON is already RFC 8785: no floats, integers a double holds exactly,
    and keys within the Basic Multilingual Plane (where UTF-16 order, which RFC 8785 sorts by, is code-point order).
    Strings are escaped alike (short escapes for backspace, tab, newline, form feed and carriage return, other
    control characters as lowercase u00xx escapes, nothing else)."""
    if value is None or isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER
    if isinstance(value, dict):
        return all(isinstance(k, str) and max(k, default=" ") <= "\uffff" and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False


def canonical_json(value: Any) -> str:
    """RFC 8785 canonical JSON (the bytes the ledger hashes).

    The common case (what events carry) is serialised by the standard library, which gives the same bytes and is
    ten times faster than the general RFC 8785 implementation used for everything else (floats, large integers,
    keys beyond the BMP); tests/core/test_canonical_json.py proves the two agree.
    """
    if _plain(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return rfc8785.dumps(value).decode("utf-8")


def record_event(
    db: Session,
    actor: Principal,
    *,
    action: str,
    subject_type: str,
    subject_id: int | str,
    payload: dict[str, Any],
    now: datetime,
    centre_id: int | None = None,
    withheld: bool = False,
) -> Event:
    """Append the event of a state change to the current transaction.

    ``withheld`` keeps this one event's payload out of the public ledger (a salted commitment only), as an
    undisclosed action's always is: an action public in one procedure may be secret in another (the opening of a
    negotiation's responses, 政府采购法 第38条 (四)).

    Refused, before anything is written, on a session whose factory does not number events into the ledger: a
    forgotten installation fails here, loudly, instead of leaving an event the ledger never covers.
    """
    if not db.info.get(NUMBERING_INSTALLED_KEY):
        raise EventsNotNumbered()
    if action not in STATE_CHANGING_SERVICES:
        raise LookupError(f"event action {action!r} is not declared by any @changes_state service")
    event = Event(
        occurred_at=now,
        centre_id=centre_id,
        actor_user_id=actor.user_id,
        actor_entity_id=actor.entity_id,
        actor_role=actor.acting_role.value,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        payload=canonical_json(payload),
        disclosed=action not in UNDISCLOSED_ACTIONS and not withheld,
        salt=secrets.token_hex(16),
    )
    db.add(event)
    db.flush()
    db.info.setdefault(NEW_EVENTS_KEY, []).append(event)
    for reaction in REACTIONS.get(action, ()):
        reaction(db, event)
    return event


def changes_state(action: str, *, disclosed: bool = True) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a service function that changes state and the event action it records.

    ``disclosed=False`` keeps the payload out of the public ledger (only a salted commitment is published), for
    events whose details are personal or must stay secret.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        if action in STATE_CHANGING_SERVICES and STATE_CHANGING_SERVICES[action] is not function:
            raise ValueError(f"event action {action!r} is declared twice")
        STATE_CHANGING_SERVICES[action] = function
        if not disclosed:
            UNDISCLOSED_ACTIONS.add(action)
        function.event_action = action  # type: ignore[attr-defined]
        return function

    return decorate


def events_for(db: Session, subject_type: str, subject_id: int | str) -> list[Event]:
    rows = db.scalars(
        select(Event).where(Event.subject_type == subject_type, Event.subject_id == str(subject_id)).order_by(Event.id)
    )
    return list(rows)


def recent_events(db: Session, actions: Collection[str], *, limit: int = 20) -> list[Event]:
    """The newest events of these actions, newest first (an administrator's page shows what was done there)."""
    rows = db.scalars(select(Event).where(Event.action.in_(list(actions))).order_by(Event.id.desc()).limit(limit))
    return list(rows)
