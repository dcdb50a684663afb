"""Write the messy extract fixtures used by tests/test_load.py.

Run from the repository root: ``python tests/files/make_fixtures.py``. Every value is
synthetic (测试甲…, 138000000xx); the files are small and checked in, so the tests do not need
this script, but it documents exactly what each fixture contains and regenerates them.
"""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment

HERE = Path(__file__).parent
FIXED_TIME = dt.datetime(2026, 11, 1, 9, 0, 0)

# --------------------------------------------------------------------------------------------
# ledger_messy.xlsx: the full catalogue of real-export quirks on one sheet
# --------------------------------------------------------------------------------------------

MESSY_HEADER = [
    "序号",            # A  unknown column
    "信访件\n编号",     # B  case_id, with a line break
    "信访方式",         # C  channel (alias)
    "信访人姓名",       # D  petitioner (alias)
    "联系电话",         # E  petitioner_phone
    "人数",            # F  people_count
    "内容分类",         # G  category
    "主要诉求",         # H  summary
    "初重件",          # I  is_repeat
    "收到\u3000日期 ",  # J  received_on, full-width space inside, trailing space
    "办理方式",         # K  routing
    "转送交办日期",      # L  routed_on (alias)
    "承办单位",         # M  handling_unit (alias)
    "受理日期",         # N  accepted_on
    "办结日期",         # O  concluded_on
    "答复日期",         # P  reply_on
    "满意度",          # Q  satisfaction
    "是否越级",         # R  escalated
    "延期天数",         # S  extension_days
    "（备注）",         # T  unknown; merged over T:U, U has no header
]

UNIT = "测试镇人民政府"

# One row per list; None = empty cell. Columns as MESSY_HEADER plus U (under the merged 备注).
MESSY_ROWS: list[list | None] = [
    # row 4: real Excel date; text id with leading zeros; summary that starts with "="
    [1, "000123", "网上投诉", "测试甲", "13800000000", 1, "城乡建设", "=SUM(A1) 小区漏水请核查",
     "初件", dt.datetime(2026, 10, 8), "交办", "2026/10/9", UNIT, dt.datetime(2026, 10, 12),
     "2026-11-20", "2026-11-21", "满意", "否", 0, None, None],
    # row 5: numeric id cell (456 -> "456"), Excel serial number date, numeric phone
    [2, 456, "电话信访", "测试乙", 13800000001, "3人", "劳动社保", "拖欠工资", "重件",
     46304, "转送", 46305, UNIT, None, None, None, 0, "是", "15天", None, None],
    # row 6: slash date
    [3, "000789", "来访", "测试丙", "13800000002", 2.0, "教育", "学位申请", "是",
     "2026/10/10", "直接回复", None, UNIT, "2026.10.11", None, None, "3", "Y", "15.0", None, None],
    None,  # row 7: fully empty
    # row 8: dotted date; unmapped channel stays as (folded) raw text
    [4, "001001", "其他渠道", "测试丁", "13800000003", "十五", "民政", "低保复核", "不详",
     "2026.10.11", "不予受理", None, UNIT, None, None, None, "待评价", "不清楚", "十天", None,
     None],
    "HEADER",  # row 9: the header repeated (paginated export)
    # row 10: Chinese date
    [5, "001002", "走访", "测试戊", "13800000004", 1, "卫生健康", "医疗费用报销", "初件",
     "2026年10月12日", "交办", "2026年10月13日", UNIT, None, "2026-02-30", None, "不满意",
     "N", None, "需要回访", None],
    # row 11: ISO date-time text
    [6, "001003", "领导信箱", "测试己", "13800000005", 1, "国土资源", "宅基地纠纷", "初件",
     "2026-10-13 14:30", "转送", None, UNIT, None, None, None, None, None, None, None, "补充"],
    None,  # row 12: fully empty
    # row 13: unreadable date
    [7, "001004", "来信", "测试庚", "13800000006", 1, "农村农业", "土地流转", "初件",
     "待定", "交办", None, UNIT, None, None, None, None, None, None, None, None],
    # row 14: real date-time cell; case id missing (kept: a data-quality finding later)
    [8, None, "来信", "测试辛", "13800000007", 1, "城乡建设", "噪音扰民", "初件",
     dt.datetime(2026, 10, 14, 9, 15), "交办", None, UNIT, None, None, None, None, None, None,
     None, None],
    # row 15: serial number written as text
    [9, "001006", "网信", "测试壬", "13800000008", 1, "城乡建设", "道路破损", "初件",
     "46310", "交办", None, None, None, None, None, None, None, None, None, None],
    # row 16: footer 合计 (two cells, no key field)
    ["合计", None, None, None, None, 12, None, None, None, None, None, None, None, None, None,
     None, None, None, None, None, None],
    # row 17-18: signature and note lines
    ["制表人：测试乙　审核人：测试丙"] + [None] * 20,
    ["填表说明：日期请按“年-月-日”填写。"] + [None] * 20,
]


def _workbook() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.properties.creator = "xfaudit tests"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def _put(ws, row: int, col: int, value) -> None:
    """Write a value; strings always as text (openpyxl would turn "=..." into a formula)."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm" if value.time() != dt.time() else "yyyy-mm-dd"


def _write_rows(ws, first_row: int, rows) -> None:
    for offset, values in enumerate(rows):
        for col, value in enumerate(values or [], start=1):
            if value is not None:
                _put(ws, first_row + offset, col, value)


def make_messy(path: Path) -> None:
    wb = _workbook()
    ws = wb.active
    ws.title = "台账"
    _put(ws, 1, 1, "2026年10月信访事项台账")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=21)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    # row 2 stays blank
    _write_rows(ws, 3, [MESSY_HEADER])
    ws.merge_cells("T3:U3")
    rows = [MESSY_HEADER if r == "HEADER" else r for r in MESSY_ROWS]
    _write_rows(ws, 4, rows)
    wb.save(path)


# --------------------------------------------------------------------------------------------
# ledger_sheets.xlsx: 说明 + 统计 + 台账; duplicate source column; a header for two fields
# --------------------------------------------------------------------------------------------

def make_sheets(path: Path) -> None:
    wb = _workbook()
    ws = wb.active
    ws.title = "说明"
    _write_rows(ws, 1, [["本表由信访信息系统导出（测试数据）。"],
                        ["收到日期：信访部门收到信访件的日期。"],
                        ["责任单位：承办该信访件的单位。"]])
    ws = wb.create_sheet("统计")
    _write_rows(ws, 1, [["责任单位", "件数", "办结数"], ["测试镇人民政府", 3, 2],
                        ["测试街道办事处", 1, 1], ["合计", 4, 3]])
    ws = wb.create_sheet("台账")
    _write_rows(ws, 1, [
        ["信访件编号", "收到日期", "责任单位", "受信日期", "作出受理意见日期", "办理状态"],
        ["T-0001", dt.datetime(2026, 10, 8), "测试镇人民政府", dt.datetime(2026, 10, 9),
         dt.datetime(2026, 10, 15), "受理"],
        ["T-0002", dt.datetime(2026, 10, 9), "测试镇人民政府", dt.datetime(2026, 10, 10),
         dt.datetime(2026, 10, 16), "受理"],
        ["T-0003", dt.datetime(2026, 10, 10), "测试街道办事处", None, None, "受理申请审查中"],
    ])
    wb.save(path)


# --------------------------------------------------------------------------------------------
# two_level_header.xlsx: headers merged vertically over two rows, sub-headers in the second;
# a 责任单位 cell merged over two data rows
# --------------------------------------------------------------------------------------------

def make_two_level(path: Path) -> None:
    wb = _workbook()
    ws = wb.active
    ws.title = "台账"
    _put(ws, 1, 1, "信访件编号")
    ws.merge_cells("A1:A2")
    _put(ws, 1, 2, "收到日期")
    ws.merge_cells("B1:B2")
    _put(ws, 1, 3, "办理情况")
    ws.merge_cells("C1:E1")
    for col, text in enumerate(["受理日期", "办结日期", "责任单位"], start=3):
        _put(ws, 2, col, text)
    _write_rows(ws, 3, [["L-01", "2026-10-08", "2026-10-10", "2026-11-30", "测试镇人民政府"],
                        ["L-02", "2026-10-09", None, None, "测试街道办事处"],
                        ["L-03", "2026-10-09", None, None, None]])
    ws.merge_cells("E4:E5")  # one 责任单位 for two items, as hand-kept ledgers do
    wb.save(path)


# --------------------------------------------------------------------------------------------
# Small single-purpose files
# --------------------------------------------------------------------------------------------

def make_empty(path: Path) -> None:
    wb = _workbook()
    wb.active.title = "Sheet1"
    wb.save(path)


def make_no_header(path: Path) -> None:
    wb = _workbook()
    ws = wb.active
    ws.title = "名单"
    _write_rows(ws, 1, [["姓名", "年龄", "住址"], ["测试甲", 30, "测试村1组"],
                        ["测试乙", 41, "测试村2组"]])
    wb.save(path)


CSV_HEADER = ["信访编号", "信访形式", "来信来访日期", "责任单位", "主要诉求", "人数"]
CSV_ROWS = [
    ["000123", "来信", "2026/10/8", "测试镇人民政府", "反映道路破损", "1"],
    ["000124", "网上投诉", "2026年10月9日", "测试街道办事处", "反映噪音扰民", "2"],
    ["000125", "来访", "20261010", "测试镇人民政府", "反映拖欠工资", "5"],
]


def _csv_text(rows: list[list[str]]) -> str:
    def quote(cell: str) -> str:
        return f'"{cell}"' if any(c in cell for c in ',"\n') else cell

    return "".join(",".join(quote(c) for c in row) + "\r\n" for row in rows)


def make_csvs() -> None:
    # GBK: a title line, the header, three records, a blank line at the end.
    gbk = _csv_text([["2026年10月信访事项台账", "", "", "", "", ""], CSV_HEADER, *CSV_ROWS]) + "\r\n"
    (HERE / "ledger_gbk.csv").write_bytes(gbk.encode("gbk"))
    # UTF-8 with BOM: the header on line 1; one summary spans two lines.
    rows = [CSV_HEADER, CSV_ROWS[0],
            ["000124", "来电", "2026-10-09 08:30", "测试街道办事处", "反映噪音扰民，\n夜间施工", "1"],
            CSV_ROWS[2]]
    (HERE / "ledger_utf8_bom.csv").write_bytes(b"\xef\xbb\xbf" + _csv_text(rows).encode("utf-8"))
    # Local headers that only a user mapping explains.
    custom = [["来件编号", "来件日期", "承办科室", "作出受理意见日期", "信访形式"],
              ["C-001", "2026-10-08", "测试科", "2026-10-12", "来信"],
              ["C-002", "2026-10-09", "测试科", "", "来访"]]
    (HERE / "custom_headers.csv").write_bytes(_csv_text(custom).encode("utf-8"))


MAPPING_TOML = """\
# Local headers of a (synthetic) county export -> canonical field names.
[aliases]
"来件编号" = "case_id"
"来件日期" = "received_on"      # header -> canonical field name
"承办科室" = "handling_unit"
"作出受理意见日期" = ["accepted_on", "notice_on"]   # one column feeds two fields
"""

MAPPING_YAML = """\
aliases:
  来件编号: case_id
  来件日期: received_on
  承办科室: handling_unit
  作出受理意见日期: [accepted_on, notice_on]
"""

MAPPING_BAD = """\
[aliases]
"来件日期" = "received_date"
"""


def make_mappings() -> None:
    (HERE / "mapping.toml").write_text(MAPPING_TOML, encoding="utf-8")
    (HERE / "mapping.yaml").write_text(MAPPING_YAML, encoding="utf-8")
    (HERE / "mapping_bad.toml").write_text(MAPPING_BAD, encoding="utf-8")


def make_not_spreadsheets() -> None:
    (HERE / "not_a_workbook.xlsx").write_text("这不是 Excel 文件，只是改了扩展名的文本。\n",
                                              encoding="utf-8")
    (HERE / "pdf_renamed.xlsx").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (HERE / "html_export.xls").write_text(
        "<html><body><table><tr><td>信访件编号</td><td>收到日期</td></tr>"
        "<tr><td>000123</td><td>2026-10-08</td></tr></table></body></html>\n", encoding="utf-8")
    (HERE / "encrypted.xlsx").write_bytes(_fake_encrypted_ole2())


def _fake_encrypted_ole2() -> bytes:
    """A minimal OLE2 compound file with the streams of an Excel-encrypted workbook.

    A real one holds ``EncryptionInfo`` and ``EncryptedPackage`` streams (MS-OFFCRYPTO); only
    their directory entries matter for detection, so both streams are empty here.
    """
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x003E, 0x0003, 0xFFFE, 9, 6,
        b"\0" * 6, 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108  # DIFAT: FAT in sector 0
    fat = struct.pack("<II", fat_sector, end) + struct.pack("<I", free) * 126

    def entry(name: str, kind: int, child: int = free, right: int = free) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, free, right, child,
                           b"\0" * 16, 0, 0, 0, end, 0)

    directory = (entry("Root Entry", 5, child=1) + entry("EncryptionInfo", 2, right=2)
                 + entry("EncryptedPackage", 2) + b"\0" * 128)
    return header + fat + directory


def make_xls(source: Path) -> None:
    """A legacy .xls copy of ``source``, converted by LibreOffice (skipped if not installed)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        print("soffice not found: keeping the existing .xls fixture")
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([soffice, "--headless", "--norestore",
                        f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "xls",
                        "--outdir", tmp, str(source)], check=True, capture_output=True)
        shutil.copyfile(Path(tmp) / f"{source.stem}.xls", HERE / f"{source.stem}.xls")


def main() -> None:
    make_messy(HERE / "ledger_messy.xlsx")
    make_sheets(HERE / "ledger_sheets.xlsx")
    make_two_level(HERE / "two_level_header.xlsx")
    make_empty(HERE / "empty_sheet.xlsx")
    make_no_header(HERE / "no_header.xlsx")
    make_csvs()
    make_mappings()
    make_not_spreadsheets()
    make_xls(HERE / "ledger_messy.xlsx")


if __name__ == "__main__":
    main()
