"""API shapes of the public service platform."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.inputs import Ascii, Id, Moment, Name, Number, SignedText, Text
from ggzy.core.permissions import Role
from ggzy.core.trade_types import TradeType

CentreLevel = Literal["province", "city", "county"]
# "court": a people's court (人民法院), the only seller of a judicial sale (网络司法拍卖, decision 0053: review M4);
# entities are registered by the platform's or a centre's staff, never by themselves
EntityKind = Literal["enterprise", "institution", "government", "court", "social_organisation", "other"]
RelationKind = Literal["shareholding", "management"]  # 控股 (by shareholding) / 管理关系 (实施条例 第34条)


class CentreIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = Field(min_length=2, max_length=200, examples=["云南省公共资源交易中心"])
    region_code: Ascii = Field(examples=["530000"], description="GB/T 2260 administrative region code")
    parent_id: Id | None = Field(default=None, description="The centre above this one; none for a province")


class CentreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    name: str
    region_code: str
    level: CentreLevel


class EntityIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    credit_code: Ascii = Field(examples=["91530100MA6K0000XX"], description="统一社会信用代码 (GB 32100)")
    name: Name = Field(min_length=2, max_length=200)
    kind: EntityKind = "enterprise"
    region_code: Ascii | None = Field(
        default=None, description="GB/T 2260 code; by default the region inside the credit code"
    )
    legal_representative: Name | None = Field(default=None, max_length=100)
    contact_name: Name | None = Field(default=None, max_length=100)
    contact_phone: Ascii | None = Field(default=None, max_length=32)
    contact_email: Ascii | None = Field(default=None, max_length=200)
    address: Name | None = Field(default=None, max_length=300)


class EntityUpdate(BaseModel):
    """What an entity completes or corrects itself; the credit code and name come from its certificate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    legal_representative: Name | None = Field(default=None, max_length=100)
    contact_name: Name | None = Field(default=None, max_length=100)
    contact_phone: Ascii | None = Field(default=None, max_length=32)
    contact_email: Ascii | None = Field(default=None, max_length=200)
    address: Name | None = Field(default=None, max_length=300)
    basic_account: Ascii | None = Field(
        default=None,
        max_length=40,
        pattern=r"^[0-9][0-9 -]*[0-9]$",
        description="基本存款账户: a bid deposit paid in cash or by cheque leaves from it (招标投标法实施条例 第26条)",
    )


class EntityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    credit_code: str
    name: str
    kind: str
    region_code: str
    legal_representative: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    address: str | None
    basic_account: str | None = None


class EntityRelationIn(BaseModel):
    """A control relation between two entities of the register (实施条例 第34条: 控股、管理关系)."""

    model_config = ConfigDict(extra="forbid")

    kind: RelationKind
    upper_entity_id: Id = Field(description="The shareholder, or the managing unit (管理单位)")
    lower_entity_id: Id = Field(description="The entity it holds shares in, or the unit it manages")
    share_percent: Number | None = Field(
        default=None, examples=["51.00"], description="Shareholding only: per cent of the capital, 0 < p ≤ 100"
    )
    actual_control: bool = Field(
        default=False, description="Shareholding only: control with half or less (公司法 第二百六十五条)"
    )


class EntityRelationCorrection(BaseModel):
    """Centre staff correct a relation: its share, its actual control, or end it (kept as history)."""

    model_config = ConfigDict(extra="forbid")

    share_percent: Number | None = None
    actual_control: bool | None = None
    ended: bool = Field(default=False, description="The relation no longer holds")


class EntityRelationOut(BaseModel):
    id: int
    kind: RelationKind
    upper_entity_id: int
    lower_entity_id: int
    share_percent: Number | None
    actual_control: bool
    controls: bool = Field(description="控股 or 管理: the upper entity steers the lower one")
    source: Literal["declared", "recorded"]
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None


class RoleGrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Role
    centre_id: Id | None = None
    region_code: Ascii | None = Field(default=None, description="Supervisors and inspectors: their region")
    trade_type: TradeType | None = Field(default=None, description="Supervisors: the trade type they oversee")


class RoleGrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: Role
    centre_id: int | None
    region_code: str | None
    trade_type: str | None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)  # passwords are taken exactly as typed

    username: Name = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: Name = Field(min_length=1, max_length=100)
    password: Text | None = Field(default=None, min_length=10, max_length=200, description="staff and experts")
    entity_id: Id | None = None
    roles: list[RoleGrantIn] = Field(default_factory=list)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    entity_id: int | None
    roles: list[RoleGrantOut]
    suspended_at: datetime | None = Field(default=None, description="Suspended: cannot log in")


class SuspensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Text = Field(min_length=2, max_length=300, description="Why the user is suspended (kept in the trail)")


class EnrolmentRoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal[Role.OWNER, Role.AGENT, Role.BIDDER, Role.INSTITUTION]
    centre_id: Id | None = Field(default=None, description="The centre the role is held at; none: every centre")


class EnrolmentIn(BaseModel):
    """An entity enrols one of its users: the statement ``ggzy.entities.enrolment.enrolment_statement`` builds from
    these fields (and the entity's credit code), signed with the entity's certificate key (``ggzy bid enrol-user``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: SignedText = Field(min_length=1, max_length=100)  # signed as sent: never normalised
    password: Text | None = Field(
        default=None, min_length=10, max_length=200, description="A new user's password (not signed, never stored)"
    )
    roles: list[EnrolmentRoleIn] = Field(min_length=1, max_length=8)
    signed_at: Moment = Field(description="When the entity signed, with its offset; within 10 minutes of now")
    challenge: Ascii = Field(max_length=128, description="A fresh nonce from POST /api/v1/auth/nonce, used once")
    certificate_pem: Ascii = Field(max_length=20000, description="The entity certificate that signed")
    intermediates_pem: list[Ascii] = Field(default_factory=list, max_length=8)
    signature: Ascii = Field(max_length=2000, description="Base64 signature over the statement's bytes")


class EntityRoleOut(BaseModel):
    role: Role
    centre_id: int | None
    evidence: Literal["certificate", "enrolment"] | None = Field(
        description="What shows the entity gave the role: its certificate's login, or its signed enrolment"
    )
    suspended_at: datetime | None
    suspension_cause: str | None


class EnrolmentEvidenceOut(BaseModel):
    id: int
    certificate_fingerprint: str
    statement: str = Field(description="The exact canonical JSON that was signed")
    signature: str = Field(description="Base64")
    signed_at: datetime
    enrolled_at: datetime


class EntityUserOut(BaseModel):
    id: int
    username: str
    display_name: str
    suspended_at: datetime | None
    roles: list[EntityRoleOut]
    enrolment: EnrolmentEvidenceOut | None


class TrustAnchorIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    certificate_pem: Ascii = Field(description="The CA's root certificate, PEM")
    name: Name | None = Field(default=None, max_length=300, description="By default the CA's subject")


class TrustAnchorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    suite: str
    fingerprint: str
    added_at: datetime


class RevocationListIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    crl_pem: Ascii = Field(description="A certificate revocation list signed by a trusted CA, PEM")


class NonceOut(BaseModel):
    nonce: str
    expires_at: datetime
    message: str = Field(description="The exact text to sign with the certificate's key (UTF-8)")


class CertificateLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nonce: Ascii
    certificate_pem: Ascii
    intermediates_pem: list[Ascii] = Field(default_factory=list)
    signature: Ascii = Field(description="Base64 signature over the nonce's message, by the certificate's key")


class PasswordLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)  # passwords are taken exactly as typed

    username: Name
    password: Text


class LoginOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime
    user: UserOut
    entity: EntityOut | None
