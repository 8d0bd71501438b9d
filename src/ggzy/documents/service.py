"""A document made: laid out, signed by the platform, named for download — and kept a few minutes.

Making a PDF costs a few hundred milliseconds (bench/documents.py: mostly reading the font), and some documents are
public: :class:`MadeDocuments` keeps the last ones made, by their content (the document's data and which ledger
entries it carries, not the checkpoint those are proved against), for :data:`KEEP`. Asked again within that time, the
same signed bytes come back, carrying a checkpoint at most that old — still a valid proof. Access is checked before
(the content is built by ``ggzy.documents.content`` for the reader), so a reader only ever receives a document whose
content it was allowed to build.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ggzy.documents.fonts import find_font
from ggzy.documents.keys import DocumentSigningKey
from ggzy.documents.layout import Document, render
from ggzy.documents.signing import sign_pdf

if TYPE_CHECKING:
    from ggzy.config import Settings

KEEP = timedelta(minutes=5)
KEPT = 64  # documents


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


def _identity(document: Document, key: DocumentSigningKey) -> str:
    """What the document says, without the checkpoint its entries are proved against (that moves every second)."""
    said = {
        "kind": document.kind,
        "title": document.title,
        "data": document.data,
        "sections": [repr(section) for section in document.sections],
        "entries": [(line.event_id, line.index) for line in document.ledger],
        "key": key.fingerprint,
    }
    return hashlib.sha256(json.dumps(said, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


class MadeDocuments:
    """The signed documents made in the last :data:`KEEP`, by content (at most :data:`KEPT`, oldest out first)."""

    def __init__(self) -> None:
        self._made: OrderedDict[str, tuple[datetime, SignedPdf]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, document: Document, *, key: DocumentSigningKey, settings: Settings, now: datetime) -> SignedPdf:
        identity = _identity(document, key)
        with self._lock:
            found = self._made.get(identity)
            if found is not None and now - found[0] < KEEP:
                return found[1]
        made = produce(document, key=key, settings=settings, now=now)
        with self._lock:
            self._made[identity] = (now, made)
            self._made.move_to_end(identity)
            while len(self._made) > KEPT:
                self._made.popitem(last=False)
        return made
