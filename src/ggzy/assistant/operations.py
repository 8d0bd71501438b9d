"""What the assistant does for a page, each a :class:`Purpose` to show and the work to run once approved.

Every operation is the bidder client's (``ggzy.bidclient``) or the platform's published message format: the login
message of ``ggzy.entities.login``, the sealing of ``ggzy.bidclient.sealing`` (and whatever it refuses, an incomplete
summary included, reaches the page unchanged), the unwrapping of ``ggzy.bidclient.opening``, the share release of
``ggzy.tendering.opening.release_message`` and the score sheet of ``ggzy.evaluation.signing``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ggzy.assistant.home import AssistantHome, normalise_origin, origin_of
from ggzy.assistant.keys import KeySource
from ggzy.assistant.requests import AssistantRequest, Purpose, RequestBook
from ggzy.bidclient import (
    BidClientError,
    TenderUrl,
    Transport,
    fetch_tender_material,
    get_json,
    parse_summary,
    read_header,
    seal_for_tender,
    unwrap_own_data_key,
)
from ggzy.core.clock import Clock, as_utc, to_china_time
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.crypto import EncryptedShare, KeyAlgorithm, decrypt_share
from ggzy.crypto.envelope import check_file_name
from ggzy.entities.login import login_message
from ggzy.evaluation.report_signing import MESSAGE_HEADER as REPORT_HEADER
from ggzy.evaluation.signing import MESSAGE_HEADER
from ggzy.tendering.opening import release_message


class ClientRefusal(DomainError):
    """A refusal of the bidder client (an incomplete summary, an unreachable platform …), as the page shows it."""

    code = "assistant_refused"
    status = 422
    message_zh = "{zh}"
    message_en = "{en}"

    def __init__(self, error: BidClientError) -> None:
        super().__init__(zh=error.message_zh, en=error.message_en)
        self.client_code = error.code

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        return {**super().problem(instance), "code": self.client_code, "type": f"urn:ggzy:problem:{self.client_code}"}


class TenderElsewhere(DomainError):
    code = "assistant_tender_elsewhere"
    status = 403
    message_zh = "招标项目网址 {url} 不在发出请求的平台 {origin} 上：投标助手只为该平台自己的项目加密"
    message_en = "The tender URL {url} is not on the asking platform {origin}: the assistant seals for its own tenders"


class EnvelopeOfAnotherTender(DomainError):
    """The page asked for the data key of an envelope sealed for another lot than the tender it names: a data key is
    handed over only at the opening of the lot the envelope was sealed for (a page could otherwise present one
    lot's bid as another's opening and read it early)."""

    code = "assistant_envelope_of_another_tender"
    status = 409
    message_zh = "该投标文件是为标段 {sealed_for} 加密的，不是为请求解密的项目（标段 {asked_for}）：未交出数据密钥"
    message_en = (
        "The bid was sealed for lot {sealed_for}, not for the tender asked (lot {asked_for}): no data key given"
    )


class ShareNotDue(DomainError):
    """Before the bid deadline a share opens bids nobody may read yet (招标投标法 第28条): not even asked."""

    code = "assistant_share_not_due"
    status = 409
    message_zh = "该项目的投标截止时间（{deadline}）未到：开标密钥份额不解密、不签名"
    message_en = "The tender's bid deadline ({deadline}) has not passed: the share is neither decrypted nor signed"


class ShareNotListed(DomainError):
    """The tender's published key does not list this share for this certificate: not this custodian's share."""

    code = "assistant_share_not_listed"
    status = 409
    message_zh = "该项目公布的 {suite} 开标密钥中没有本证书（指纹 {fingerprint}）的第 {share_index} 份额：未解密"
    message_en = (
        "The tender's published {suite} opening key lists no share {share_index} for this certificate "
        "(fingerprint {fingerprint}): nothing decrypted"
    )


class ShareOfAnotherTender(DomainError):
    """The encrypted share the page gave is not the one the tender published (by SHA-256): a page could otherwise
    hand over another tender's share and read it before that tender's deadline."""

    code = "assistant_share_of_another_tender"
    status = 409
    message_zh = "页面给出的加密份额与该项目公布的第 {share_index} 份额（{suite}）摘要不符：未解密"
    message_en = (
        "The encrypted share given is not the tender's published share {share_index} ({suite}) by its digest: "
        "nothing decrypted"
    )


@dataclass(frozen=True)
class SharedTender:
    """What the consent page shows of a share's tender, as the platform publishes it."""

    title: str
    lot_code: str
    deadline: datetime


def _beijing(moment: datetime) -> str:
    return f"{to_china_time(moment):%Y-%m-%d %H:%M} 北京时间 / Beijing time"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _shown(key: str, value: Any) -> str:
    """A summary entry as the user reads it: an amount in 分 (``…_fen``) as 元, with the integer that is signed."""
    if key.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
        sign, fen = ("-" if value < 0 else ""), abs(value)
        return f"{sign}{fen // 100:,}.{fen % 100:02d} 元（{value} 分）"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _b64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raise InvalidInput(field=field, reason_zh="应为 Base64", reason_en="must be base64") from None


@dataclass
class Operations:
    home: AssistantHome
    keys: KeySource
    book: RequestBook
    transport: Transport
    clock: Clock

    # --- certificate login ---------------------------------------------------------------------------------------

    def login(self, origin: str, *, nonce: str) -> AssistantRequest:
        nonce = nonce.strip()
        if not nonce or len(nonce) > 200 or not nonce.isascii():
            raise InvalidInput(field="nonce", reason_zh="登录随机数无效", reason_en="not a login nonce")
        message = login_message(nonce, normalise_origin(origin))  # signed for the portal that asked, only

        def work(_: AssistantRequest) -> dict[str, Any]:
            signature = self.keys.private_key().sign(message)
            return {
                "certificate_pem": self.keys.certificate_pem,
                "signature": base64.b64encode(signature).decode("ascii"),
            }

        purpose = Purpose(
            platform=origin,
            action="证书登录 / certificate login",
            digest=_digest(message),
            details=(("签名内容 / signed text", message.decode()),),
        )
        return self.book.add(kind="login", purpose=purpose, work=work, now=self.clock.now())

    # --- sealing a bid ------------------------------------------------------------------------------------------

    def seal(
        self,
        origin: str,
        *,
        tender_url: str,
        tender_title: str,
        summary: bytes,
        files: Mapping[str, bytes],
    ) -> AssistantRequest:
        """Keep the files in the assistant's staging directory until the user decides; seal only when approved."""
        url = TenderUrl.parse(tender_url)  # BidClientError (url_invalid) is turned into a refusal by the caller
        if origin_of(url.url) != normalise_origin(origin):
            raise TenderElsewhere(url=url.url, origin=origin)
        document = parse_summary(summary)
        if not files:
            raise BidClientError("no_files", "至少需要一个投标文件", "at least one bid file is needed")
        for name in files:
            check_file_name(name)
        manifest = {
            "tender": url.url,
            "summary": document,
            "files": {name: _digest(content) for name, content in sorted(files.items())},
        }
        digest = _digest(json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode())
        now = self.clock.now()
        staging = self.home.staging / secrets.token_hex(8)
        staging.mkdir(parents=True, exist_ok=True, mode=0o700)
        paths: dict[str, Path] = {}
        for index, (name, content) in enumerate(sorted(files.items())):
            path = staging / f"{index:04d}"
            path.write_bytes(content)
            paths[name] = path

        def work(request: AssistantRequest) -> dict[str, Any]:
            key = self.keys.private_key()
            try:
                material = fetch_tender_material(self.transport, url.url, self.keys.certificate.suite)
                out = self.home.envelopes / f"{request.id}.ggzy"
                info = seal_for_tender(
                    lot_code=material.lot_code,
                    opening_key=material.opening_key,
                    certificate_pem=self.keys.certificate_pem,
                    private_key=key,
                    summary=document,
                    files=paths,
                    out=out,
                    now=self.clock.now(),
                    summary_fields=material.summary_fields,  # the tender's declared 开标一览表
                )
            except BidClientError as error:
                raise ClientRefusal(error) from error
            request.envelope = out
            return {
                "lot_code": info.header.lot_code,
                "ciphertext_sha256": info.header.ciphertext_sha256,
                "envelope_sha256": info.envelope_sha256,
                "envelope_size": info.envelope_size,
                "files": [{"name": item.name, "size": item.size} for item in info.files],
            }

        details = (
            *((f"开标一览表 / summary: {key}", _shown(key, value)) for key, value in document.items()),
            *((f"文件 / file {name}", f"{len(content):,} B · SHA-256 {_digest(content)}")
              for name, content in sorted(files.items())),
        )  # fmt: skip
        purpose = Purpose(
            platform=origin,
            action="加密并签名投标文件 / seal and sign a bid",
            tender=f"{tender_title} ({url.url})",
            digest=digest,
            details=details,
        )
        return self.book.add(kind="seal", purpose=purpose, work=work, now=now, staging=staging)

    # --- remote decryption at the opening -----------------------------------------------------------------------

    def _envelope_for(self, ciphertext_sha256: str) -> Path:
        for path in sorted(self.home.envelopes.glob("*.ggzy")):
            try:
                if read_header(path).ciphertext_sha256 == ciphertext_sha256:
                    return path
            except BidClientError:
                continue
        raise NotFound(field="ciphertext_sha256", what_zh="投标助手加密的该投标文件", what_en="Envelope sealed here")

    def decrypt(self, origin: str, *, tender_url: str, tender_title: str, ciphertext_sha256: str) -> AssistantRequest:
        url = TenderUrl.parse(tender_url)
        if origin_of(url.url) != normalise_origin(origin):
            raise TenderElsewhere(url=url.url, origin=origin)
        envelope = self._envelope_for(ciphertext_sha256.strip().lower())
        sealed_for = read_header(envelope).lot_code  # what the envelope itself says, not what the page says

        def work(_: AssistantRequest) -> dict[str, Any]:
            try:
                material = fetch_tender_material(self.transport, url.url, self.keys.certificate.suite)
                if material.lot_code != sealed_for:
                    raise EnvelopeOfAnotherTender(sealed_for=sealed_for, asked_for=material.lot_code)
                _header, data_key = unwrap_own_data_key(envelope, self.keys.private_key())
            except BidClientError as error:
                raise ClientRefusal(error) from error
            return {"data_key": base64.b64encode(data_key).decode("ascii")}

        purpose = Purpose(
            platform=origin,
            action="开标解密：交出本投标文件的数据密钥 / hand over the bid's data key at the opening",
            tender=f"{tender_title} ({url.url}) · 加密时的标段 / sealed for lot {sealed_for}",
            digest=ciphertext_sha256,
        )
        return self.book.add(kind="decrypt", purpose=purpose, work=work, now=self.clock.now())

    # --- a custodian's share release ----------------------------------------------------------------------------

    def _bound_share(self, url: TenderUrl, suite: str, share_index: int, ciphertext: bytes) -> SharedTender:
        """The tender as the platform publishes it, refused unless the share is this tender's, this certificate's
        and due: the bid deadline passed by the assistant's own clock, the tender's ``suite`` key listing a share
        ``share_index`` for this certificate, whose published SHA-256 is the given ciphertext's."""
        try:
            tender = get_json(self.transport, url.url)
            keys = get_json(self.transport, url.opening_keys)
        except BidClientError as error:
            raise ClientRefusal(error) from error
        deadline = None
        if isinstance(tender, dict):
            with contextlib.suppress(TypeError, ValueError):
                deadline = as_utc(datetime.fromisoformat(tender["bid_deadline"]))
        if deadline is None or not isinstance(tender.get("lot_code"), str) or not isinstance(keys, list):
            raise ClientRefusal(
                BidClientError(
                    "answer_invalid", "平台返回的招标项目信息不完整", "the platform's tender answer is incomplete"
                )
            )
        shown = SharedTender(title=str(tender.get("title") or ""), lot_code=tender["lot_code"], deadline=deadline)
        if self.clock.now() < deadline:
            raise ShareNotDue(deadline=_beijing(deadline))
        mine = self.keys.certificate.public_key.fingerprint
        listed = next(
            (
                item
                for key in keys
                if isinstance(key, dict) and key.get("suite") == suite
                for item in (key.get("shares") or [])
                if isinstance(item, dict)
                and item.get("share_index") == share_index
                and item.get("custodian_fingerprint") == mine
            ),
            None,
        )
        if listed is None:
            raise ShareNotListed(suite=suite, share_index=share_index, fingerprint=mine)
        if listed.get("encrypted_share_sha256") != _digest(ciphertext):
            raise ShareOfAnotherTender(suite=suite, share_index=share_index)
        return shown

    def release_share(
        self, origin: str, *, tender_url: str, suite: str, share_index: int, encrypted_share: str
    ) -> AssistantRequest:
        """Decrypt and sign a custodian's share for the tender at ``tender_url`` only: checked against what the
        platform publishes of that tender (:meth:`_bound_share`) when asked — so the user is never asked to approve
        a release that would be refused — and again, once approved, right before the share is decrypted."""
        url = TenderUrl.parse(tender_url)
        if origin_of(url.url) != normalise_origin(origin):
            raise TenderElsewhere(url=url.url, origin=origin)
        share = EncryptedShare(
            custodian_fingerprint=self.keys.certificate.public_key.fingerprint,
            index=share_index,
            ciphertext=_b64(encrypted_share, "encrypted_share"),
        )
        shown = self._bound_share(url, suite, share_index, share.ciphertext)

        def work(_: AssistantRequest) -> dict[str, Any]:
            self._bound_share(url, suite, share_index, share.ciphertext)
            released = decrypt_share(share, self.keys.private_key())
            message = release_message(url.tender_id, suite, share_index, released.value)
            signature = self.keys.private_key().sign(message)
            return {
                "share_index": share_index,
                "share": base64.b64encode(released.value).decode("ascii"),
                "signature": base64.b64encode(signature).decode("ascii"),
            }

        purpose = Purpose(
            platform=origin,
            action=f"释放开标密钥份额 / release opening-key share {share_index} ({suite})",
            tender=f"{shown.title} ({url.url}) · 标段 / lot {shown.lot_code}",
            digest=_digest(share.ciphertext),
            # the digest below is the encrypted share's, checked equal to the one the tender publishes
            details=(("投标截止时间 / bid deadline", _beijing(shown.deadline)),),
        )
        return self.book.add(kind="share-release", purpose=purpose, work=work, now=self.clock.now())

    # --- an expert's score sheet and evaluation report -----------------------------------------------------------

    def sign_score_sheet(self, origin: str, *, message: str) -> AssistantRequest:
        """The sheet's signature as ``ggzy.evaluation.signing`` takes it: ECDSA P-256 in the P1363 form (r ‖ s), with
        the key's SubjectPublicKeyInfo (base64 DER) to enrol at ``/workspace/expert/signing-key`` first. The platform
        verifies score sheets with P-256 keys only: a GM (SM2) certificate is refused here, before anything is asked."""
        if not message.startswith(MESSAGE_HEADER + "\n"):
            raise InvalidInput(field="message", reason_zh="不是评分表签名内容", reason_en="not a score sheet message")
        return self._sign_p1363(
            origin, message, kind="score-sheet", action="签署评分表 / sign a score sheet",
            details=(("签名内容 / signed text", message),),
        )  # fmt: skip

    def sign_report(self, origin: str, *, message: str) -> AssistantRequest:
        """A member's signature of the evaluation report (``ggzy.evaluation.report_signing.report_message``: the
        report's digest, the member, the opinion, the digest of the written reasons), made exactly as a score
        sheet's — the same enrolled P-256 key, the P1363 form the platform verifies. The consent page shows the
        opinion in words, so that the member sees whether it agrees or dissents before approving."""
        fields = _report_fields(message)
        opinion = {"agree": "同意评标结果 / agree", "dissent": "不同意，已书面说明理由 / dissent, with written reasons"}
        return self._sign_p1363(
            origin, message, kind="report", action="签署评标报告 / sign the evaluation report",
            details=(
                ("意见 / opinion", opinion[fields["opinion"]]),
                ("评标报告 SHA-256 / report digest", fields["report"]),
                ("理由 SHA-256 / reasons digest", fields["reasons"] or "—"),
                ("签名内容 / signed text", message),
            ),
        )  # fmt: skip

    def _sign_p1363(
        self, origin: str, message: str, *, kind: str, action: str, details: tuple[tuple[str, str], ...]
    ) -> AssistantRequest:
        if self.keys.certificate.public_key.algorithm is not KeyAlgorithm.P256:
            raise InvalidInput(
                field="message",
                reason_zh="评标签名须用 ECDSA P-256（国际算法）证书；国密证书请用浏览器中登记的签名密钥",
                reason_en="evaluation signatures use ECDSA P-256; with a GM certificate use the browser's key",
            )
        data = message.encode("utf-8")

        def work(_: AssistantRequest) -> dict[str, Any]:
            r, s = decode_dss_signature(self.keys.private_key().sign(data))
            return {
                "signature": base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode("ascii"),
                "public_key": base64.b64encode(self.keys.certificate.public_key.to_der()).decode("ascii"),
            }

        purpose = Purpose(platform=origin, action=action, digest=_digest(data), details=details)
        return self.book.add(kind=kind, purpose=purpose, work=work, now=self.clock.now())


_REPORT_LINE = re.compile(
    r"\A" + re.escape(REPORT_HEADER) + r"\ntender=[0-9]+\nmember=[0-9]+\nreport=(?P<report>[0-9a-f]{64})\n"
    r"opinion=(?P<opinion>agree|dissent)\nreasons=(?P<reasons>(?:[0-9a-f]{64})?)\n\Z"
)


def _report_fields(message: str) -> dict[str, str]:
    """The report message's fields, or a refusal: only the exact form of ``report_signing.report_message`` is signed
    (a dissent carries the digest of its reasons, an agreement none)."""
    match = _REPORT_LINE.match(message)
    if match is None or (match["opinion"] == "dissent") != bool(match["reasons"]):
        raise InvalidInput(
            field="message", reason_zh="不是评标报告签名内容", reason_en="not an evaluation report message"
        )
    return match.groupdict()
