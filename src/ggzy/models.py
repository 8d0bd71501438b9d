"""Imports every domain's tables so that the metadata (and Alembic) sees the whole schema."""

from ggzy.awards.models import Award, AwardLetter, CandidatePublicity, Contract, PublicityObjection
from ggzy.complaints.models import Complaint, TenderSuspension
from ggzy.core.calendar_store import CalendarYear
from ggzy.core.db import Base
from ggzy.core.events import Event
from ggzy.core.violations import PeriodViolation
from ggzy.entities.models import (
    AuthSession,
    Centre,
    Certificate,
    Entity,
    EntityEnrolment,
    EntityRelation,
    LoginNonce,
    RevocationList,
    RoleBinding,
    TrustAnchor,
    User,
)
from ggzy.evaluation.models import (
    Evaluation,
    EvaluationReport,
    QualificationMark,
    Rejection,
    ScoreSheet,
    SigningKey,
)
from ggzy.experts.models import CommitteeMember, Draw, Expert, ExpertSpecialty
from ggzy.ledger.models import (
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    LedgerWitness,
)
from ggzy.projects.models import Lot, Project, ProjectCodeSequence
from ggzy.tendering.models import (
    Clarification,
    Custodian,
    DecryptedBid,
    DocumentObjection,
    Invitation,
    Opening,
    OpeningKey,
    OpeningKeyShare,
    OpeningObjection,
    Registration,
    SealedBid,
    ShareRelease,
    Tender,
)
from ggzy.venues.models import Venue, VenueBooking

__all__ = [
    "AuthSession",
    "Award",
    "AwardLetter",
    "Base",
    "CalendarYear",
    "CandidatePublicity",
    "Centre",
    "Certificate",
    "Clarification",
    "CommitteeMember",
    "Complaint",
    "Contract",
    "Custodian",
    "DecryptedBid",
    "DocumentObjection",
    "Draw",
    "Entity",
    "EntityEnrolment",
    "EntityRelation",
    "Evaluation",
    "EvaluationReport",
    "Event",
    "Expert",
    "ExpertSpecialty",
    "Invitation",
    "LedgerCheckpoint",
    "LedgerCosignature",
    "LedgerEntry",
    "LedgerHead",
    "LedgerNode",
    "LedgerWitness",
    "LoginNonce",
    "Lot",
    "Opening",
    "OpeningKey",
    "OpeningKeyShare",
    "OpeningObjection",
    "PeriodViolation",
    "Project",
    "ProjectCodeSequence",
    "PublicityObjection",
    "QualificationMark",
    "Registration",
    "Rejection",
    "RevocationList",
    "RoleBinding",
    "ScoreSheet",
    "SealedBid",
    "ShareRelease",
    "SigningKey",
    "Tender",
    "TenderSuspension",
    "TrustAnchor",
    "User",
    "Venue",
    "VenueBooking",
]
