"""A document's content (:class:`Document`), laid out on A4 by fpdf2 with the Chinese font.

Every page has the platform's name at the top and, at the foot, when the document was made (Beijing time) and its
page number out of the total. The end of the document prints its ledger entries — event, sequence number, leaf
hash, the checkpoint that covers it — and says where the signature's certificate and the embedded proof are; the
proof itself (``ledger.json``) and the document's data (``document.json``) are embedded files of the PDF.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fontTools import ttLib
from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from ggzy.core.clock import to_china_time

logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "BDF NOT subset": wqy's bitmaps, not needed

FONT = "zh"
MARGIN = 18  # mm
CERTIFICATE_PATH = "/api/v1/documents/signing-certificate"


def beijing(moment: datetime | None) -> str:
    """``2026年11月24日 14:00:05（北京时间）``: a document states the second, and the zone in words."""
    if moment is None:
        return "—"
    local = to_china_time(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}（北京时间）"


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    widths: tuple[int, ...] | None = None  # relative column widths


@dataclass(frozen=True)
class Section:
    heading: str | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    table: Table | None = None
    empty: str | None = None  # said instead of an empty table


@dataclass(frozen=True)
class LedgerLine:
    """One ledger entry as printed: what it records, and where it is in the log."""

    what: str
    event_id: int
    time: datetime
    index: int | None
    leaf_hash: str | None
    tree_size: int | None
    root_hash: str | None


@dataclass(frozen=True)
class Document:
    kind: str  # the file's name: receipt, opening-record, …
    title: str
    sections: list[Section]
    ledger: list[LedgerLine]
    proofs: list[dict[str, Any]]  # the ledger's receipts of those entries (GET /api/v1/ledger/events/{id})
    data: dict[str, Any]  # the document's facts, machine-readable
    subtitle: str | None = None
    reason: str = "平台签发"


class _Pdf(FPDF):
    platform_name = ""
    made_at = ""

    def header(self) -> None:
        self.set_font(FONT, size=9)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, self.platform_name, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(180, 40, 40)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.platform_name} · 生成于 {self.made_at}", align="L")
        self.set_x(MARGIN)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="R")


def _facts(pdf: _Pdf, facts: list[tuple[str, str]], *, size: float = 11) -> None:
    label_width = 38
    height = size * 0.6
    for label, value in facts:
        if pdf.will_page_break(height * 2):
            pdf.add_page()
        pdf.set_font(FONT, size=size - 1)
        pdf.set_text_color(70, 70, 70)
        y, page = pdf.get_y(), pdf.page
        pdf.multi_cell(label_width, height, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, size=size)
        pdf.multi_cell(0, height, value or "—", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if pdf.page == page:  # a label taller than its value
            pdf.set_y(max(pdf.get_y(), y + height))


def _table(pdf: _Pdf, table: Table) -> None:
    pdf.set_font(FONT, size=9.5)
    with pdf.table(
        col_widths=table.widths,
        wrapmode=WrapMode.CHAR,
        line_height=5.5,
        headings_style=FontFace(emphasis=None, fill_color=(235, 235, 235)),
        first_row_as_headings=True,
        padding=1.2,
    ) as grid:
        head = grid.row()
        for column in table.columns:
            head.cell(column)
        for values in table.rows:
            row = grid.row()
            for value in values:
                row.cell(value or "—")
    pdf.ln(2)


def _ledger(pdf: _Pdf, document: Document, certificate_fingerprint: str) -> None:
    pdf.set_font(FONT, size=13)
    pdf.cell(0, 9, "账本存证", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if not document.ledger:
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 6, "（无账本条目）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for line in document.ledger:
        _facts(
            pdf,
            [
                ("记录", f"{line.what}（事件 #{line.event_id}，{beijing(line.time)}）"),
                ("账本序号", str(line.index) if line.index is not None else "待编号（提交后写入账本）"),
                ("叶哈希", line.leaf_hash or "—"),
                (
                    "检查点",
                    f"条目数 {line.tree_size}，根哈希 {line.root_hash}" if line.tree_size else "尚无覆盖它的检查点",
                ),
            ],
            size=9,
        )
        pdf.ln(1.5)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        0,
        5,
        "本文件由平台以数字签名签章（PAdES），任何 PDF 阅读器可查看签名；签名证书公布于 "
        f"{CERTIFICATE_PATH}（SHA-256 指纹 {certificate_fingerprint}）。文件内嵌附件 ledger.json 载有上列账本条目、"
        "已签名的检查点与包含证明（RFC 9162），可离线验证；document.json 载有本文件的数据。",
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


@dataclass(frozen=True)
class SealBox:
    """Where the visible signature goes: a page (from 0) and a rectangle in PDF points from the page's lower left."""

    page: int
    box: tuple[int, int, int, int]


SEAL_WIDTH, SEAL_HEIGHT = 70, 22  # mm


def _seal_area(pdf: _Pdf) -> SealBox:
    """A captioned space at the end of the document for the signature's appearance (the platform's 签章)."""
    if pdf.will_page_break(SEAL_HEIGHT + 12):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, "平台签章（点击查看数字签名）：", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y() + 1
    points = 72 / 25.4
    left, right = MARGIN * points, (MARGIN + SEAL_WIDTH) * points
    upper, lower = (pdf.h - top) * points, (pdf.h - top - SEAL_HEIGHT) * points
    pdf.set_y(top + SEAL_HEIGHT)
    return SealBox(pdf.page - 1, (round(left), round(lower), round(right), round(upper)))


@lru_cache(maxsize=4)
def _parsed_font(path: str, index: int, stamp: tuple[int, int]) -> TTFFont:
    """The font as fpdf2 reads it — its cmap, the width and glyph id of every character, its descriptor — read once
    per process (and again if the file changes: ``stamp`` is its mtime and size). fpdf2 reads all of it for every
    document otherwise: for a CJK collection of ~30,000 characters that was most of the time of a short document.
    A template, read-only once made: never laid out or written itself (:func:`_add_font` gives each document its own
    font object)."""
    maker = FPDF()
    maker.add_font(FONT, fname=path, collection_font_number=index)
    template = maker.fonts[FONT]
    assert isinstance(template, TTFFont)
    return template


def _add_font(pdf: FPDF, font: tuple[Path, int]) -> None:
    """``pdf.add_font`` for the documents' font, with the metrics of :func:`_parsed_font`.

    What a document changes stays its own: fpdf2 subsets the fontTools object in place when it writes the PDF, so
    each document opens the file again (lazily: the table directory only, the glyphs it uses read at the subset), and
    it records the characters used (``subset``), the widths looked up (``cw`` is a defaultdict that grows) and the
    missing glyphs in fresh objects. Shared, because fpdf2 only reads them: the cmap, the glyph ids, the descriptor.
    A colour font (fpdf2 keeps a per-document renderer for it) is added the plain way."""
    path, index = str(font[0]), font[1]
    stat = os.stat(path)
    template = _parsed_font(path, index, (stat.st_mtime_ns, stat.st_size))
    if template.color_font is not None:
        pdf.add_font(FONT, fname=path, collection_font_number=index)
        return
    own = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(template, name):  # a slot fpdf2 leaves unset (unicode_range) stays unset
            setattr(own, name, getattr(template, name))
    own.i = len(pdf.fonts) + 1
    own.ttfont = ttLib.TTFont(path, recalcTimestamp=False, fontNumber=index, lazy=True)
    own.cw = template.cw.copy()
    own.missing_glyphs = []
    own.biggest_size_pt = 0
    own._hbfont = None
    own.subset = SubsetMap(own)
    pdf.fonts[FONT] = own
    if own.is_cff and own.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")  # as add_font does for a CID-keyed CFF font (Noto Sans CJK)


def render(
    document: Document,
    *,
    font: tuple[Path, int],
    platform_name: str,
    made_at: datetime,
    certificate_fingerprint: str,
) -> tuple[bytes, SealBox]:
    """The document as an unsigned PDF (A4, Chinese font, page numbers, embedded ledger proof and data), and where
    its signature is to appear."""
    pdf = _Pdf(format="A4", unit="mm")
    pdf.platform_name, pdf.made_at = platform_name, beijing(made_at)
    pdf.set_margins(MARGIN, 16, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=20)
    _add_font(pdf, font)
    pdf.set_title(document.title)
    pdf.set_author(platform_name)
    pdf.set_creator("ggzy")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(made_at)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.multi_cell(0, 11, document.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if document.subtitle:
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 6, document.subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for section in document.sections:
        if section.heading:
            pdf.set_font(FONT, size=13)
            pdf.multi_cell(0, 9, section.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _facts(pdf, section.facts)
        for paragraph in section.paragraphs:
            pdf.set_font(FONT, size=11)
            pdf.multi_cell(0, 7, paragraph, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        if section.table is not None and section.table.rows:
            _table(pdf, section.table)
        elif section.table is not None and section.empty:
            pdf.set_font(FONT, size=10)
            pdf.multi_cell(0, 6, section.empty, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
    _ledger(pdf, document, certificate_fingerprint)
    seal = _seal_area(pdf)
    attachments = (
        ("ledger.json", {"entries": document.proofs}, "账本条目、检查点与包含证明（docs/ledger.md）"),
        ("document.json", document.data, "本文件的数据"),
    )
    for name, content, description in attachments:
        pdf.embed_file(
            bytes=json.dumps(content, ensure_ascii=False, indent=1, default=str).encode(),
            basename=name,
            desc=description,
            mime_type="application/json",
            modification_date=made_at,
        )
    return bytes(pdf.output()), seal
