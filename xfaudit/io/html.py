"""HTML tables as grids: what many web systems send as an "Excel export" (``.xls``).

Such a file is a web page holding one or more ``<table>``; Excel opens it and so does the
loader. Each table is one grid named 表格1, 表格2 …; a cell spanning rows (``rowspan``) is a
vertical merge, filled down like a merged cell of a workbook, and a cell spanning columns
(``colspan``) fills the columns it covers with empty cells, as Excel shows it. Cell text is
kept as text (``000123`` stays ``000123``). lxml, already required by python-docx, parses the
page; pandas.read_html would need the same parser and turns ids into numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

from xfaudit.errors import ExtractError
from xfaudit.io.grid import Grid
from xfaudit.io.sniff import MSG_NOT_SPREADSHEET

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
#: Widest span honoured (a malformed colspan must not build a huge row).
_MAX_SPAN = 1000


def decode_html(data: bytes) -> str:
    """The page's text: its declared charset, else UTF-8, else GB18030 (what 政务 systems use)."""
    candidates = []
    if data.startswith(b"\xef\xbb\xbf"):
        candidates.append("utf-8-sig")
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        candidates.append("gb18030" if name in ("gb2312", "gbk", "gb18030") else name)
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("gb18030", errors="replace")


def read_html_tables(path: Path, data: bytes) -> list[Grid]:
    """Every table of the page that has a cell of text, as grids (row numbers count the
    table's ``<tr>`` from 1)."""
    import lxml.etree
    import lxml.html

    text = _XML_DECLARATION.sub("", decode_html(data), count=1)
    try:
        page = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractError(path, f"{MSG_NOT_SPREADSHEET}（网页无法解析）",
                           hint="请在 Excel 中打开后另存为 .xlsx 文件。") from exc
    grids = []
    for table in page.iter("table"):
        grid = _table_grid(table, f"表格{len(grids) + 1}")
        if not grid.is_empty():
            grids.append(grid)
    if not grids:
        raise ExtractError(path, f"{MSG_NOT_SPREADSHEET}（网页中没有表格）")
    return grids


def _table_grid(table, name: str) -> Grid:
    rows: list[list] = []
    merged = []
    pending: dict[tuple[int, int], str | None] = {}  # cells covered by a rowspan from above
    for r, tr in enumerate(_own_rows(table)):
        row: list = []
        c = 0
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            while (r, c) in pending:
                row.append(pending.pop((r, c)))
                c += 1
            value = _cell_text(cell)
            down = min(_span(cell, "rowspan"), _MAX_SPAN)
            across = min(_span(cell, "colspan"), _MAX_SPAN)
            row.extend([value] + [None] * (across - 1))
            if down > 1:
                merged.append(((r, c), (r + down - 1, c + across - 1)))
                for rr in range(r + 1, r + down):
                    for cc in range(c, c + across):
                        pending[(rr, cc)] = None
            c += across
        while (r, c) in pending:
            row.append(pending.pop((r, c)))
            c += 1
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    return Grid(name, [r + [None] * (width - len(r)) for r in rows], merged=merged)


def _own_rows(table):
    """The table's rows, not those of tables nested in its cells."""
    for tr in table.iter("tr"):
        parent = tr.getparent()
        while parent is not None and parent.tag != "table":
            parent = parent.getparent()
        if parent is table:
            yield tr


def _cell_text(cell) -> str | None:
    for br in cell.iter("br"):
        br.tail = "\n" + (br.tail or "")
    text = cell.text_content().replace("\xa0", " ").strip()
    return text or None


def _span(cell, attribute: str) -> int:
    try:
        return max(int(cell.get(attribute, "1").strip() or 1), 1)
    except ValueError:
        return 1
