"""Which font writes the documents' Chinese, found by a setting and then a search of the usual places.

Order: ``GGZY_DOCUMENTS_FONT`` (a .ttf, .otf or .ttc with CJK glyphs; it must exist when set), then
:data:`CANDIDATES` — WenQuanYi Zen Hei (Debian's ``fonts-wqy-zenhei``, which ``.ci/run`` and the README install),
WenQuanYi Micro Hei, Noto Sans CJK / Source Han Sans (Debian, Fedora, Arch), Droid Sans Fallback, then the fonts
macOS and Windows ship. None found: :class:`DocumentFontMissing` (503, saying what to install or set). The platform
runs without one — only the PDF downloads answer that problem — and says so in a WARNING at start.
No font is shipped with the code: a CJK font is 10–20 MB, and every system has one to install.
"""

from __future__ import annotations

from pathlib import Path

from ggzy.core.errors import DomainError

# (path, index in a collection): the first that exists is used.
CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # index 2: the SC (simplified Chinese) face
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/adobe-source-han-sans/SourceHanSansCN-Regular.otf", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/System/Library/Fonts/Supplemental/Songti.ttc", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
)


class DocumentFontMissing(DomainError):
    code = "document_font_missing"
    status = 503
    message_zh = (
        "服务器上没有可用的中文字体，无法生成 PDF 文件：请管理员安装 fonts-wqy-zenhei（Debian/Ubuntu）"
        "或以 GGZY_DOCUMENTS_FONT 指定字体文件{detail_zh}"
    )
    message_en = (
        "No Chinese font on the server, so no PDF can be made: the administrator installs fonts-wqy-zenhei "
        "(Debian/Ubuntu) or names a font file with GGZY_DOCUMENTS_FONT{detail_en}"
    )


def find_font(setting: Path | None, candidates: tuple[tuple[str, int], ...] = CANDIDATES) -> tuple[Path, int]:
    """The font file and its index in a collection: the setting's, else the first candidate that exists."""
    if setting is not None:
        path = Path(setting)
        if not path.is_file():
            raise DocumentFontMissing(
                detail_zh=f"（GGZY_DOCUMENTS_FONT 指定的 {path} 不存在）",
                detail_en=f" (GGZY_DOCUMENTS_FONT names {path}, which does not exist)",
            )
        return path, 0
    for name, index in candidates:
        if Path(name).is_file():
            return Path(name), index
    raise DocumentFontMissing(detail_zh="", detail_en="")
