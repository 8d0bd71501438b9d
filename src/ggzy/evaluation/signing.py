"""Score sheets signed by the member's own key (issue 5: "the score sheets of the lots it evaluates, signed on submit").

Why: committee members log in by password. A password binds a request to an account, not to a person: whoever
knows it (a colleague, the agent who "helps", an intruder) could submit a sheet in the member's name. So each member
(a user holding ``evaluation.sit``: a drawn expert or an owner's representative) enrols a signing key generated in
their own browser by WebCrypto as *non-extractable* — the private key never leaves the browser's key store and no
script, the platform's included, can read it out; it is kept in the browser's IndexedDB (``static/js/
expert_signing.js``). That key is the second factor that binds a sheet to the person at that browser, and the
signature lets anyone holding the public key check later, offline, that the sheet is what the member signed.

Enrolment: an ECDSA P-256 public key, as its SubjectPublicKeyInfo DER in base64 (what ``crypto.subtle.exportKey(
"spki", ...)`` gives). Its fingerprint is the SHA-256 of that DER, in hex. A new enrolment revokes the previous key
(``revoked_at``), never deletes it: sheets signed with it stay verifiable. The enrolment event is undisclosed in the
public ledger (招标投标法 第37条: who may sit on a committee is secret until the result).

The rule: once a member has a current key, every score sheet they submit must carry a valid signature by it, through
the page and through the API alike; a missing or bad signature is refused (``score_sheet_signature_invalid``) and
leaves no row and no event. A member with no key yet may submit unsigned through the API (other systems that predate
keys keep working), but the page asks them to enrol first and offers no unsigned form.

The signed message, built identically by the page's script and by :func:`sheet_message` (UTF-8, every line ending
with ``\\n``, criterion keys in ascending order — they are ``[a-z][a-z0-9_]*``, so byte order and JavaScript's sort
agree)::

    ggzy score sheet v1
    tender=<tender id>
    bid=<bid id>
    member=<committee member id>
    <criterion key>=<score as typed>
    ...

A score "as typed" is a plain decimal: digits, optionally a point and digits, no sign, exponent or superfluous
leading zero (``27.5``, ``27.50``, ``0``, ``0.5``); the service refuses any other spelling, so the text the member
typed and the text of the number the server scores are the same characters. The signature is ECDSA with SHA-256 in
the IEEE P1363 form WebCrypto produces (r ‖ s, 32 bytes each), in base64; the server converts it to DER
(``encode_dss_signature``) for ``cryptography`` to verify. The sheet keeps the message, the signature and the key's
fingerprint, and the sheet's event names the fingerprint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.evaluation.models import SigningKey

MESSAGE_HEADER = "ggzy score sheet v1"
P1363_BYTES = 64  # r ‖ s of P-256, 32 bytes each
MAX_SPKI_BASE64 = 512  # a P-256 SubjectPublicKeyInfo is 91 bytes (124 in base64)
_PLAIN_DECIMAL = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")


class SignatureInvalid(DomainError):
    code = "score_sheet_signature_invalid"
    status = 422
    message_zh = "评分表签名无效：{reason_zh}。评分表未提交"
    message_en = "The score sheet's signature is not valid: {reason_en}. The sheet was not submitted"


class SigningKeyInvalid(DomainError):
    code = "signing_key_invalid"
    status = 422
    message_zh = "签名公钥无效：{reason_zh}"
    message_en = "The signing key is not valid: {reason_en}"


def score_text(score: Decimal) -> str:
    """The score as the member typed it; refuses a spelling that is not a plain decimal (see the module's doc)."""
    text = str(score)
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise InvalidInput(
            field="scores",
            reason_zh=f"得分 {text} 应写作普通小数（如 27.5），不带符号、指数或多余的前导零",
            reason_en=f"write the score {text} as a plain decimal (e.g. 27.5), without sign, exponent or leading zeros",
        )
    return text


def parse_score(text: str, *, field: str) -> Decimal:
    """A score typed in a form: a plain decimal only, so that the typed text is the text of the number scored."""
    typed = text.strip()
    if not _PLAIN_DECIMAL.fullmatch(typed):
        raise InvalidInput(
            field=field,
            reason_zh="应为普通小数（如 27.5），不带符号、指数或多余的前导零",
            reason_en="must be a plain decimal (e.g. 27.5), without sign, exponent or leading zeros",
        )
    return Decimal(typed)


def sheet_message(*, tender_id: int, bid_id: int, member_id: int, scores: Mapping[str, Decimal]) -> str:
    """The text a member signs for a score sheet (the one definition; the page's script mirrors it)."""
    lines = [MESSAGE_HEADER, f"tender={tender_id}", f"bid={bid_id}", f"member={member_id}"]
    lines += [f"{key}={score_text(scores[key])}" for key in sorted(scores)]
    return "".join(f"{line}\n" for line in lines)


def _decoded(text: str, *, field: str, error: type[DomainError]) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise error(field=field, reason_zh="不是有效的 base64", reason_en="not valid base64") from None


def public_key_of(spki_base64: str) -> tuple[ec.EllipticCurvePublicKey, bytes]:
    """The P-256 public key of a base64 SubjectPublicKeyInfo DER, and that DER (re-encoded, so it is canonical)."""
    if len(spki_base64) > MAX_SPKI_BASE64:
        raise SigningKeyInvalid(field="public_key", reason_zh="过长", reason_en="too long")
    der = _decoded(spki_base64, field="public_key", error=SigningKeyInvalid)
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        raise SigningKeyInvalid(
            field="public_key", reason_zh="不是 SubjectPublicKeyInfo DER", reason_en="not a SubjectPublicKeyInfo DER"
        ) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningKeyInvalid(field="public_key", reason_zh="须为 ECDSA P-256 公钥", reason_en="must be ECDSA P-256")
    canonical = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, canonical


def fingerprint_of(spki_der: bytes) -> str:
    return hashlib.sha256(spki_der).hexdigest()


def current_key(db: Session, user_id: int) -> SigningKey | None:
    """The user's signing key in force (not revoked), if any."""
    return db.scalar(select(SigningKey).where(SigningKey.user_id == user_id, SigningKey.revoked_at.is_(None)))


@changes_state("evaluation.signing_key_enrolled", disclosed=False)
def enrol_signing_key(db: Session, actor: Principal, *, public_key: str, now: datetime) -> SigningKey:
    """Enrol the actor's signing key; the key in force before it, if any, is revoked (kept, never deleted)."""
    if actor.user_id is None:
        raise InvalidInput(field="public_key", reason_zh="须以用户身份登记", reason_en="enrol as a logged-in user")
    _, der = public_key_of(public_key)
    fingerprint = fingerprint_of(der)
    if db.scalar(select(SigningKey.id).where(SigningKey.fingerprint == fingerprint)) is not None:
        raise Conflict(
            field="public_key", reason_zh="该公钥已登记过，请生成新的密钥", reason_en="this key was enrolled before"
        )
    previous = current_key(db, actor.user_id)
    if previous is not None:
        previous.revoked_at = now
        db.flush()  # the one-key-in-force index must see the revocation before the new row
    key = SigningKey(
        user_id=actor.user_id,
        public_key=base64.b64encode(der).decode("ascii"),
        fingerprint=fingerprint,
        created_at=now,
        revoked_at=None,
    )
    db.add(key)
    db.flush()
    record_event(
        db, actor, action="evaluation.signing_key_enrolled", subject_type="user", subject_id=actor.user_id,
        payload={"fingerprint": fingerprint, "revoked": previous.fingerprint if previous is not None else None},
        now=now,
    )  # fmt: skip
    return key


def verify(key: SigningKey, *, message: str, signature: str, error: type[DomainError] = SignatureInvalid) -> None:
    """Refuses unless ``signature`` (base64 of P1363 r ‖ s) is ``key``'s ECDSA-SHA-256 signature of ``message``;
    ``error`` names what was signed (a score sheet by default, the report in ``ggzy.evaluation.report_signing``)."""
    raw = _decoded(signature, field="signature", error=error)
    if len(raw) != P1363_BYTES:
        raise error(
            field="signature",
            reason_zh="应为 64 字节的 r‖s（IEEE P1363）",
            reason_en="expected the 64 bytes of r‖s (IEEE P1363)",
        )
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key, _ = public_key_of(key.public_key)
    try:
        public_key.verify(der, message.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise error(
            field="signature",
            reason_zh="与所登记的公钥或所签内容不符",
            reason_en="it does not match the enrolled key or what was signed",
        ) from None


def checked_signature(db: Session, *, user_id: int, message: str, signature: str | None) -> SigningKey | None:
    """The key that signed the sheet, or None when the member has no key in force (and gave no signature)."""
    key = current_key(db, user_id)
    if key is None:
        if signature:
            raise SignatureInvalid(
                field="signature",
                reason_zh="您尚未登记签名公钥",
                reason_en="you have no signing key enrolled",
            )
        return None
    if not signature:
        raise SignatureInvalid(
            field="signature",
            reason_zh="您已登记签名公钥，评分表须经签名",
            reason_en="you have a signing key enrolled, so the sheet must be signed",
        )
    verify(key, message=message, signature=signature)
    return key
