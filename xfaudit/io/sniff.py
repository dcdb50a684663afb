"""What a file is: its container format from the extension checked against its first bytes,
and the text encoding of a CSV file.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from xfaudit.errors import ExtractError, ExtractNotFoundError

#: File extensions read, and the container format each stands for (``.et`` is WPS 表格's own
#: name for a workbook; its content is an .xls or .xlsx workbook and is read by content).
SUPPORTED_EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".et": "xls",
                        ".csv": "csv", ".htm": "html", ".html": "html"}

MSG_NOT_SPREADSHEET = "不是有效的 Excel/CSV 文件"
MSG_ENCRYPTED = "工作簿设有密码保护，请先在 Excel 中取消密码后另存"
HINT_FORMATS = "请提供 .xlsx、.xls、.et 或 .csv 文件。"

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_PDF_MAGIC = b"%PDF"
# Excel's "Encrypt with password" wraps the xlsx in an OLE2 file holding this stream.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

#: A byte that ``bytes.strip()`` keeps (anything but ASCII whitespace).
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")

#: The opening of an HTML page (what web systems save as ``.xls``).
_HTML_START = re.compile(rb"^(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|table|style"
                         rb"|title)\b", re.IGNORECASE | re.DOTALL)

#: Bytes decoded at a time when checking a CSV file's encoding.
_DECODE_SLICE = 1 << 24


def check_exists(path: Path) -> None:
    """Raise the user's error for a missing path or one that is not a regular file."""
    if not path.exists():
        raise ExtractNotFoundError(path, "文件不存在", hint="请检查路径和文件名。")
    if path.is_dir():
        raise ExtractError(path, "不是文件（是文件夹）")
    if not path.is_file():
        raise ExtractError(path, "不是普通文件（可能是管道或设备）", hint="请提供台账文件本身。")


def sniff_format(path: Path, data: bytes) -> str:
    """The container format (``xlsx``, ``xls``, ``csv`` or ``html``) from the extension, checked
    against the file's first bytes: a workbook is read by what it is, whatever its name says."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise ExtractError(path, f"不支持的文件类型「{ext or '无扩展名'}」，{MSG_NOT_SPREADSHEET}",
                           hint=HINT_FORMATS)
    if _NOT_BLANK.search(data) is None:      # as ``not data.strip()``, without a copy of it
        raise ExtractError(path, "文件为空")
    if data.startswith(_OLE2_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise ExtractError(path, MSG_ENCRYPTED)
        return "xls"  # also an old .xls renamed .xlsx, a WPS .et
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_PDF_MAGIC):
        raise ExtractError(path, MSG_NOT_SPREADSHEET, hint="这是 PDF 文件。" + HINT_FORMATS)
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if SUPPORTED_EXTENSIONS[ext] != "csv" or head.startswith(b"<"):
        if _HTML_START.match(head) or (head.startswith(b"<") and b"<table" in data[:1 << 20].lower()):
            return "html"
        if head.startswith(b"<"):
            raise ExtractError(path, f"{MSG_NOT_SPREADSHEET}（内容是 XML 格式）",
                               hint="请在 Excel 中打开后另存为 .xlsx 文件。")
    if SUPPORTED_EXTENSIONS[ext] == "csv":
        if data.startswith(UTF16_BOMS):
            return "csv"
        if b"\x00" in data[:65536]:
            raise ExtractError(path, MSG_NOT_SPREADSHEET, hint="扩展名为 .csv，但内容不是文本表格。")
        return "csv"
    if SUPPORTED_EXTENSIONS[ext] == "html":
        raise ExtractError(path, f"{MSG_NOT_SPREADSHEET}（网页中没有表格）")
    raise ExtractError(path, MSG_NOT_SPREADSHEET, hint="请确认文件未损坏，或从信访信息系统重新导出。")


def text_encoding(path: Path, data: bytes) -> str:
    """The encoding of CSV bytes: UTF-8 (with or without BOM) strictly, else GB18030 (a
    superset of GBK). UTF-16 files are recoded by :func:`utf8_bytes` first.

    The whole file is validated in slices, so a 300 MB ledger never exists as one string.
    """
    candidates = ("utf-8-sig",) if data[:3] == b"\xef\xbb\xbf" else ("utf-8", "gb18030")
    view = memoryview(data)
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for at in range(0, len(view), _DECODE_SLICE):
                decoder.decode(view[at:at + _DECODE_SLICE])
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ExtractError(path, "无法识别文件编码", hint="请将 CSV 另存为 UTF-8 或 GBK 编码。")


def utf8_bytes(path: Path, data: bytes) -> tuple[bytes, str | None]:
    """UTF-16 text (Excel's "Unicode text", with its byte-order mark) recoded as UTF-8 with a
    BOM, and the original encoding's name; other bytes unchanged (None)."""
    if not data.startswith(UTF16_BOMS):
        return data, None
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise ExtractError(path, "无法识别文件编码（UTF-16 内容有误）",
                           hint="请将 CSV 另存为 UTF-8 或 GBK 编码。") from exc
    return b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-16"
