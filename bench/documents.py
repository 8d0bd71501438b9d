"""The signed PDF documents: milliseconds per document, and how that grows with the number of bids.

An opening record (开标记录) of N bids — one table row per bid, a ledger entry of two events, the embedded proof and
data — laid out on A4 with the system's CJK font (``ggzy.documents.fonts``) and signed by the platform (RSA-3072,
PAdES, pyHanko), as ``GET /api/v1/documents/tenders/{id}/opening-record.pdf`` makes it; the database reads before it
are not counted (a few indexed queries). Timed per N: ``render`` (fpdf2: the font's metrics read, the page laid
out, the font subset and embedded), ``sign`` (pyHanko: the incremental update, the digest, the RSA signature), and
their sum, median of ``--repeat`` runs; and the PDF's size. One JSON line.

Growth: a fixed part for the font (a 17 MB TrueType collection: its metrics read once per process, its glyphs
subset for every document) plus a part linear in the rows laid out; signing hashes the file once, linear in its
size, and is otherwise constant.

    .venv/bin/python bench/documents.py [--bids 3,30,300] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime, timedelta

from _quick import parse_args

from ggzy.core.money import format_yuan
from ggzy.documents.fonts import find_font
from ggzy.documents.keys import DocumentSigningKey
from ggzy.documents.layout import Document, LedgerLine, Section, Table, render
from ggzy.documents.signing import check_pdf, sign_pdf

START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
PLATFORM = "公共资源交易平台"


def _opening_record(bids: int) -> Document:
    rows = [
        [
            str(n),
            f"云南测试建设工程有限公司{n}",
            f"91530100MA6K{n:06d}",
            f"{format_yuan(100_000_000 + n * 997)} 元",
            "工期（日历天）：300",
        ]
        for n in range(1, bids + 1)
    ]
    ledger = [
        LedgerLine(what, 40 + i, START + timedelta(minutes=i), 39 + i, "q" * 43 + "=", 1000, "r" * 43 + "=")
        for i, what in enumerate(("开标开始", "开标记录"))
    ]
    return Document(
        kind="opening-record-1",
        title="开标记录",
        subtitle="标段编号 530102-2026-G000001-1/1",
        sections=[
            Section(
                facts=[
                    ("项目名称", "昆明市某道路改造工程"),
                    ("招标人", "昆明市某局"),
                    ("开标时间", "2026年12月19日 14:01:00（北京时间）"),
                ]
            ),
            Section(
                heading="开标一览表",
                table=Table(["序号", "投标人", "统一社会信用代码", "投标报价", "其他内容"], rows, (6, 26, 22, 18, 28)),
            ),
        ],
        ledger=ledger,
        proofs=[{"event_id": 41, "index": 40, "inclusion": {"proof": ["p" * 44] * 10}}],
        data={"bids": rows},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bids", default="3,30,300")
    parser.add_argument("--repeat", type=int, default=5)
    args = parse_args(parser, bids="3", repeat=1)
    font = find_font(None)
    key = DocumentSigningKey.generate(PLATFORM)
    results = []
    for bids in [int(n) for n in args.bids.split(",")]:
        document = _opening_record(bids)
        renders, signs, size = [], [], 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            pdf, seal = render(
                document, font=font, platform_name=PLATFORM, made_at=START, certificate_fingerprint=key.fingerprint
            )
            rendered = time.perf_counter()
            signed = sign_pdf(pdf, key, reason="开标记录", location=PLATFORM, name=PLATFORM, seal=seal)
            renders.append(rendered - started)
            signs.append(time.perf_counter() - rendered)
            size = len(signed)
        assert check_pdf(signed, key.certificate_pem).ok
        render_ms, sign_ms = statistics.median(renders) * 1000, statistics.median(signs) * 1000
        results.append(
            {"bids": bids, "ms_per_document": round(render_ms + sign_ms, 1), "render_ms": round(render_ms, 1),
             "sign_ms": round(sign_ms, 1), "bytes": size}
        )  # fmt: skip
    print(
        json.dumps(
            {
                "bench": "documents",
                "font": str(font[0]),
                "repeat": args.repeat,
                "python": platform.python_version(),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
