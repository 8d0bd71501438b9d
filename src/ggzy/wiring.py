"""The composition root: what the domains register with each other, done once by whoever starts the platform (the
app, the CLI, a script, the tests), never as the side effect of importing a module."""

from __future__ import annotations

from ggzy.complaints import halts as complaint_halts
from ggzy.tendering import halts as tendering_halts
from ggzy.tendering import lifecycle


def install_domains() -> None:
    """Register every domain's halts with the lifecycle (idempotent)."""
    tendering_halts.register()
    complaint_halts.register()
    lifecycle.mark_halts_installed()
