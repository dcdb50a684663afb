"""Builders of the awkward files of the stress corpus (each returns the path it wrote).

The same twelve synthetic items (测试… names, 1380000xxxx phones) in every awkward shape an
inspector meets: a stray quote in a CSV, hidden sheets, two ledger sheets, Excel error cells,
duplicated headers, zero-width characters in headers, a stray cell in a workbook's far corner,
UTF-16 text, an HTML table saved as .xls, a WPS .et, a header far below the top. The tests
build them into a temporary folder; ``python tests/files/awkward.py DIR`` writes them all to
look at.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent

HEADER = ["信访件编号", "信访人", "收到日期", "办理方式", "转交日期", "责任单位", "主要诉求"]
UNITS = ["青禾县石桥镇人民政府", "青禾县城关镇人民政府", "青禾县住房和城乡建设局"]


def items(n: int = 12, first: int = 1) -> list[list]:
    """``n`` items: 信访件编号 XF2026001…, received 2026-07-01 + i days, routed 3 days later."""
    rows = []
    for i in range(first, first + n):
        received = dt.date(2026, 7, 1) + dt.timedelta(days=i)
        rows.append([f"XF2026{i:03d}", f"测试{i:02d}", received.isoformat(), "转送",
                     (received + dt.timedelta(days=3)).isoformat(), UNITS[i % 3],
                     f"反映第{i}件事项的诉求"])
    return rows


def _csv(rows: list[list], delimiter: str = ",") -> str:
    def cell(value) -> str:
        text = "" if value is None else str(value)
        if any(ch in text for ch in (delimiter, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text
    return "".join(delimiter.join(cell(v) for v in row) + "\r\n" for row in rows)


def _book(**sheets: list[list]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and not cell.value.startswith("#"):
                    cell.data_type = "s"
    return book


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

def unterminated_quote_csv(folder: Path) -> Path:
    """Item 6's 主要诉求 opens a quote that nothing closes (line 7 of the file)."""
    rows = items()
    lines = _csv([HEADER]).splitlines(keepends=True)
    for row in rows:
        if row[0] == "XF2026006":
            lines.append(",".join(row[:-1]) + ',"' + row[-1] + "（引号未闭合\r\n")
        else:
            lines.append(_csv([row]))
    path = folder / "csv_unterminated_quote.csv"
    path.write_bytes("".join(lines).encode("utf-8-sig"))
    return path


def quote_closed_later_csv(folder: Path) -> Path:
    """Item 6's 主要诉求 opens a quote that item 9's closes: items 7–8 sit inside one cell."""
    rows = items()
    text = _csv([HEADER])
    for row in rows:
        if row[0] == "XF2026006":
            text += ",".join(row[:-1]) + ',"' + row[-1] + "\r\n"
        elif row[0] == "XF2026009":
            text += ",".join(row[:-1]) + "," + row[-1] + '"\r\n'
        else:
            text += _csv([row])
    path = folder / "csv_quote_closed_later.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def dup_header_empty_first_csv(folder: Path) -> Path:
    """Two 收到日期 columns, the first one empty."""
    header = HEADER[:2] + ["收到日期"] + HEADER[2:]
    rows = [r[:2] + [""] + r[2:] for r in items()]
    path = folder / "csv_dup_header_empty_first.csv"
    path.write_bytes(_csv([header, *rows]).encode("utf-8"))
    return path


def zero_width_header_csv(folder: Path) -> Path:
    """Headers copied from a web page: a zero-width space, a BOM, a no-break space, a control
    character."""
    header = ["信访件\u200b编号", "\ufeff信访人", "收到\u00a0日期", "办理\u2060方式", "转交日期\x07",
              "责任单位", "主要诉求"]
    path = folder / "csv_zero_width_header.csv"
    path.write_bytes(_csv([header, *items()]).encode("utf-8"))
    return path


def utf16_csv(folder: Path, encoding: str = "utf-16-le", delimiter: str = "\t") -> Path:
    """Excel's "Unicode text" (UTF-16 with a byte-order mark, tab separated) or a UTF-16 CSV."""
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    path = folder / f"csv_{encoding.replace('-', '')}_{'tab' if delimiter == chr(9) else 'comma'}.csv"
    path.write_bytes(bom + _csv([HEADER, *items()], delimiter).encode(encoding))
    return path


# --------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------

def hidden_sheet_xlsx(folder: Path) -> Path:
    """The visible 台账 (12 items) and a hidden 旧模板 whose header names more fields, plus a
    very hidden 字典 sheet."""
    template = [HEADER + ["受理日期", "办结日期", "答复日期", "满意度"],
                ["XF2025999", "测试样例", "2025-01-01", "转送", "2025-01-02", "示例单位", "样例",
                 "2025-01-03", "2025-02-01", "2025-02-02", "满意"]]
    book = _book(台账=[HEADER, *items()], 旧模板=template, 字典=[["信访件编号", "收到日期"],
                                                                ["X", "2025-01-01"]])
    book["旧模板"].sheet_state = "hidden"
    book["字典"].sheet_state = "veryHidden"
    path = folder / "xlsx_hidden_sheet.xlsx"
    book.save(path)
    return path


def two_ledgers_xlsx(folder: Path) -> Path:
    """来信 (7 items) and 来访 (5 items) on two sheets with the same header."""
    book = _book(来信=[HEADER, *items(7)], 来访=[HEADER, *items(5, first=8)])
    path = folder / "xlsx_two_ledgers.xlsx"
    book.save(path)
    return path


def error_cells_xlsx(folder: Path) -> Path:
    """Error cells: #N/A in 收到日期 (XF2026001, row 2), #DIV/0! in 转交日期 (XF2026004, row 5),
    #REF! in 责任单位 (XF2026007, row 8), #VALUE! in 信访件编号 (row 11); and the *text*
    ``#N/A`` typed in 主要诉求 of row 12, which is text, not an error."""
    rows = items()
    rows[0][2] = "#N/A"
    rows[3][4] = "#DIV/0!"
    rows[6][5] = "#REF!"
    rows[9][0] = "#VALUE!"
    rows[10][6] = "#N/A"
    book = _book(台账=[HEADER, *rows])
    book["台账"]["G12"].data_type = "s"        # a text cell that reads "#N/A"
    path = folder / "xlsx_error_cells.xlsx"
    book.save(path)
    return path


def far_corner_xlsx(folder: Path, cell: str = "XFD1048576") -> Path:
    """The twelve items plus one ``x`` in the sheet's far corner (a stray keystroke after
    Ctrl+End): the used range is the whole sheet."""
    book = _book(台账=[HEADER, *items()])
    book["台账"][cell] = "x"
    path = folder / f"xlsx_far_{cell}.xlsx"
    book.save(path)
    return path


def header_far_below_xlsx(folder: Path, header_row: int = 140) -> Path:
    """填表说明 lines above a header on row ``header_row``."""
    notes = [[f"填表说明第{i}条：日期请按年-月-日填写。"] for i in range(1, header_row)]
    book = _book(台账=[*notes, HEADER, *items()])
    path = folder / f"xlsx_header_row{header_row}.xlsx"
    book.save(path)
    return path


def two_unit_aliases_xlsx(folder: Path) -> Path:
    """责任部门 (the county bureau) left of 具体承办单位 (the station): both are 责任单位 aliases."""
    header = ["信访件编号", "收到日期", "责任部门", "具体承办单位"]
    rows = [[r[0], r[2], "青禾县公安局", f"青禾县公安局{'东西南北'[i % 4]}城派出所"]
            for i, r in enumerate(items())]
    path = folder / "xlsx_two_unit_aliases.xlsx"
    _book(台账=[header, *rows]).save(path)
    return path


# --------------------------------------------------------------------------------------------
# What web systems and WPS send
# --------------------------------------------------------------------------------------------

def html_xls(folder: Path, encoding: str = "gbk") -> Path:
    """An HTML page saved as .xls: a title table, then the ledger with a <th> header, a
    責任单位 cell spanning two rows, ids with leading zeros, a 合计 row."""
    rows = items(6)
    body = []
    for i, row in enumerate(rows):
        cells = [f"<td>{v}</td>" for v in row]
        if i == 2:
            cells[5] = f'<td rowspan="2">{row[5]}</td>'
        if i == 3:
            del cells[5]
        body.append("<tr>" + "".join(cells) + "</tr>")
    charset = "gb2312" if encoding == "gbk" else encoding
    page = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            "</head><body><table><tr><td>信访件查询结果</td></tr></table>"
            "<table border=1><tr>" + "".join(f"<th>{h}</th>" for h in HEADER) + "</tr>"
            + "".join(body)
            + '<tr><td colspan="7">合计：6件</td></tr><tr><td>000123</td><td>测试零</td>'
              "<td>2026-07-20</td><td>交办</td><td>2026-07-21</td><td>青禾县城关镇人民政府</td>"
              "<td>编号以0开头</td></tr></table></body></html>")
    path = folder / "html_export.xls"
    path.write_bytes(page.encode(encoding))
    return path


def et_from_xls(folder: Path) -> Path:
    """A WPS 表格 .et: its content is an .xls (BIFF8 compound file), as WPS writes it."""
    path = folder / "ledger.et"
    shutil.copyfile(HERE / "ledger_messy.xls", path)
    return path


BUILDERS = [unterminated_quote_csv, quote_closed_later_csv, dup_header_empty_first_csv,
            zero_width_header_csv, utf16_csv, hidden_sheet_xlsx, two_ledgers_xlsx,
            error_cells_xlsx, far_corner_xlsx, header_far_below_xlsx, two_unit_aliases_xlsx,
            html_xls, et_from_xls]


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for build in BUILDERS:
        print(build(out))
