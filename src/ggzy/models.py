"""Imports every domain's tables so that the metadata (and Alembic) sees the whole schema."""

from ggzy.core.calendar_store import CalendarYear
from ggzy.core.db import Base
from ggzy.core.events import Event
from ggzy.entities.models import (
    AuthSession,
    Centre,
    Certificate,
    Entity,
    LoginNonce,
    RevocationList,
    RoleBinding,
    TrustAnchor,
    User,
)
from ggzy.projects.models import Lot, Project, ProjectCodeSequence

__all__ = [
    "AuthSession",
    "Base",
    "CalendarYear",
    "Centre",
    "Certificate",
    "Entity",
    "Event",
    "LoginNonce",
    "Lot",
    "Project",
    "ProjectCodeSequence",
    "RevocationList",
    "RoleBinding",
    "TrustAnchor",
    "User",
]
