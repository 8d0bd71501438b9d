"""Whether this platform is a demo instance.

Loading the demo (``ggzy demo``, ``ggzy serve --demo``) records the event ``platform.demo_loaded`` in the same
transaction as the demo's data. Events are append-only (the database refuses UPDATE and DELETE), so the mark
survives restarts, is seen by every process and every worker on the database, and cannot be removed quietly: a
database whose passwords and CA keys were published stays marked as such, and the ledger proves when it became so.
Pages show a banner and ``/api/v1/health`` says ``"demo": true``.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.db import unit_of_work
from ggzy.core.events import Event, changes_state, record_event
from ggzy.core.permissions import Principal

DEMO_LOADED = "platform.demo_loaded"
logger = logging.getLogger(__name__)


@changes_state(DEMO_LOADED)
def mark_demo_instance(db: Session, actor: Principal, *, now: datetime, detected: str | None = None) -> Event:
    """Mark the platform as a demo: its data is fictitious, its passwords and CA keys are public. ``detected`` says
    how a demo loaded before the mark existed was recognised at start (``ggzy.demo.mark_old_demo_at_start``)."""
    payload = {"data": "fictitious", "passwords": "public", "ca_keys": "in the data directory"}
    if detected is not None:
        payload["detected_at_start"] = detected
    return record_event(
        db, actor, action=DEMO_LOADED, subject_type="platform", subject_id="demo", payload=payload, now=now
    )


def is_demo_instance(db: Session) -> bool:
    return db.scalar(select(Event.id).where(Event.action == DEMO_LOADED).limit(1)) is not None


class DemoMark:
    """One process's answer to "is this a demo instance?", asked by every page.

    Once yes, always yes (the mark is an append-only event). A no is asked again at most every ``recheck`` seconds,
    since another process may load the demo into the empty database of a running platform. When the database cannot
    answer (the error page of a database failure asks too), the last answer stands.
    """

    def __init__(self, recheck_seconds: float = 5.0) -> None:
        self._recheck = recheck_seconds
        self._known_demo = False
        self._checked_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self, factory: sessionmaker[Session]) -> bool:
        if self._known_demo:
            return True
        with self._lock:
            now = time.monotonic()
            if self._checked_at is not None and now - self._checked_at < self._recheck:
                return self._known_demo
            try:
                with unit_of_work(factory, read_only=True) as db:
                    self._known_demo = is_demo_instance(db)
            except SQLAlchemyError:
                logger.warning("could not read whether this is a demo instance", exc_info=True)
            self._checked_at = now
            return self._known_demo
