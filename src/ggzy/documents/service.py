"""A document made: laid out, signed by the platform, named for download."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ggzy.documents.fonts import find_font
from ggzy.documents.keys import DocumentSigningKey
from ggzy.documents.layout import Document, render
from ggzy.documents.signing import sign_pdf

if TYPE_CHECKING:
    from ggzy.config import Settings


@dataclass(frozen=True)
class SignedPdf:
    filename: str
    content: bytes


def produce(document: Document, *, key: DocumentSigningKey, settings: Settings, now: datetime) -> SignedPdf:
    """The document as a PDF signed by the platform (PAdES), with its ledger entries printed and embedded."""
    pdf, seal = render(
        document,
        font=find_font(settings.documents_font),
        platform_name=settings.platform_name,
        made_at=now,
        certificate_fingerprint=key.fingerprint,
    )
    signed = sign_pdf(
        pdf, key, reason=document.reason, location=settings.platform_name, name=settings.platform_name, seal=seal
    )
    return SignedPdf(filename=f"{document.kind}.pdf", content=signed)
