"""The composition root: where sessions are made and the domains' registrations and listeners are installed
(decisions 0018 and 0019).

It sits above every domain (DESIGN §3), so it may import any of them, and nothing below it imports it at module
level. Every entry point — the app, the CLI commands, the demo loader, the tests and the benches — makes its session
factory with :func:`session_factory`, never with ``core.db.make_session_factory`` or ``sessionmaker()`` directly:
what a session does at its commit (number the events into the ledger) is installed on the factory that makes it,
not by the side effect of whichever module happened to be imported. A session made otherwise cannot record an event
(``core.events.record_event`` refuses it), so a forgotten installation fails at once instead of damaging the ledger.
Likewise the lifecycle's guard refuses to run before the domains' halts are registered here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ggzy.auctions import halts as auction_halts
from ggzy.awards import halts as award_halts
from ggzy.complaints import board as complaint_board
from ggzy.complaints import halts as complaint_halts
from ggzy.core.db import make_session_factory
from ggzy.credit import hooks as credit_hooks
from ggzy.finance import fees, performance, refund_triggers
from ggzy.finance import hooks as finance_hooks
from ggzy.ledger.sequencer import install_numbering
from ggzy.portal import live_feed, page_cache
from ggzy.supervision import board as supervision_board
from ggzy.tendering import halts as tendering_halts
from ggzy.tendering import lifecycle


def install_domains() -> None:
    """Register the upper domains into the layers below them (idempotent): the halts tendering, awards and complaints
    put on a round, with the lifecycle's one guard (decision 0019). Called by :func:`session_factory`, so every entry
    point runs it."""
    tendering_halts.register()
    award_halts.register()
    complaint_halts.register()
    auction_halts.register()  # a rights round is not terminated under a published auction (review M4)
    finance_hooks.register()  # each bid's deposit in the opening record (decision 0031)
    refund_triggers.register()  # the award, the contract, a withdrawal, a termination order refunds (0031)
    credit_hooks.register()  # the credit screens on registration, bids, the draw and the award (0040)
    performance.register()  # the award fixes the winner's performance security, the contract checks it (0037)
    fees.register()  # the award notice issues the fee notice (0037)
    supervision_board.install_complaints(complaint_board.undecided_of)  # the live view's complaint clocks (0046)
    lifecycle.mark_halts_installed()


def session_factory(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    """The session factory of an engine or a connection (keyword arguments as ``sessionmaker``'s), with the ledger's
    numbering installed on it, then what reads that numbering at commit (the portal's live halls and page cache),
    and the domains' registrations done."""
    install_domains()
    factory = make_session_factory(bind, **kwargs)
    install_numbering(factory)
    live_feed.install_wake_up(factory)
    page_cache.install_invalidation(factory)
    return factory
