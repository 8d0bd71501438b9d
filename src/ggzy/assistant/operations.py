"""What the assistant does for a page, each a :class:`Purpose` to show and the work to run once approved.

Every operation is the bidder client's (``ggzy.bidclient``) or the platform's published message format: the login
message of ``ggzy.entities.login``, the sealing of ``ggzy.bidclient.sealing`` (and whatever it refuses, an incomplete
summary included, reaches the page unchanged), the unwrapping of ``ggzy.bidclient.opening``, the share release of
``ggzy.tendering.opening.release_message`` and the score sheet of ``ggzy.evaluation.signing``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
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
    parse_summary,
    read_header,
    seal_for_tender,
    unwrap_own_data_key,
)
from ggzy.core.clock import Clock
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.crypto import EncryptedShare, KeyAlgorithm, decrypt_share
from ggzy.crypto.envelope import check_file_name
from ggzy.entities.login import login_message
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

    def release_share(
        self, origin: str, *, tender_id: int, suite: str, share_index: int, encrypted_share: str
    ) -> AssistantRequest:
        share = EncryptedShare(
            custodian_fingerprint=self.keys.certificate.public_key.fingerprint,
            index=share_index,
            ciphertext=_b64(encrypted_share, "encrypted_share"),
        )

        def work(_: AssistantRequest) -> dict[str, Any]:
            released = decrypt_share(share, self.keys.private_key())
            signature = self.keys.private_key().sign(release_message(tender_id, suite, share_index, released.value))
            return {
                "share_index": share_index,
                "share": base64.b64encode(released.value).decode("ascii"),
                "signature": base64.b64encode(signature).decode("ascii"),
            }

        purpose = Purpose(
            platform=origin,
            action=f"释放开标密钥份额 / release opening-key share {share_index} ({suite})",
            tender=str(tender_id),
            digest=_digest(share.ciphertext),
        )
        return self.book.add(kind="share-release", purpose=purpose, work=work, now=self.clock.now())

    # --- an expert's score sheet --------------------------------------------------------------------------------

    def sign_score_sheet(self, origin: str, *, message: str) -> AssistantRequest:
        """The sheet's signature as ``ggzy.evaluation.signing`` takes it: ECDSA P-256 in the P1363 form (r ‖ s), with
        the key's SubjectPublicKeyInfo (base64 DER) to enrol at ``/workspace/expert/signing-key`` first. The platform
        verifies score sheets with P-256 keys only: a GM (SM2) certificate is refused here, before anything is asked."""
        if not message.startswith(MESSAGE_HEADER + "\n"):
            raise InvalidInput(field="message", reason_zh="不是评分表签名内容", reason_en="not a score sheet message")
        if self.keys.certificate.public_key.algorithm is not KeyAlgorithm.P256:
            raise InvalidInput(
                field="message",
                reason_zh="评分表签名须用 ECDSA P-256（国际算法）证书；国密证书请用浏览器中登记的签名密钥",
                reason_en="score sheets are signed with ECDSA P-256; with a GM certificate use the browser's key",
            )
        data = message.encode("utf-8")

        def work(_: AssistantRequest) -> dict[str, Any]:
            r, s = decode_dss_signature(self.keys.private_key().sign(data))
            return {
                "signature": base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode("ascii"),
                "public_key": base64.b64encode(self.keys.certificate.public_key.to_der()).decode("ascii"),
            }

        purpose = Purpose(
            platform=origin,
            action="签署评分表 / sign a score sheet",
            digest=_digest(data),
            details=(("签名内容 / signed text", message),),
        )
        return self.book.add(kind="score-sheet", purpose=purpose, work=work, now=self.clock.now())
