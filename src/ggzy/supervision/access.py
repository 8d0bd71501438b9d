"""Who reads the record of missed statutory periods, and the one filter of its rows.

The platform administrator reads all of it; a centre's staff the violations of its centre; a supervisor and an
inspector those of the projects in their region and trade type (their role grant names them). The rows are the
projects each role may read (``ggzy.projects.access.visible_projects``), computed from the reader's oversight and
staff grants only: a supervisor who is also an owner does not see its own projects as owner here.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Select

from ggzy.core.permissions import POLICY, Permission, Principal
from ggzy.projects.access import visible_project_ids


def readable_projects(actor: Principal) -> Select[tuple[int]]:
    """The ids of the projects whose violations ``actor`` may read, under the roles of ``violation.read``."""
    readers = POLICY[Permission.VIOLATION_READ]
    scoped = replace(actor, grants=tuple(grant for grant in actor.grants if grant.role in readers))
    return visible_project_ids(scoped)
