"""fastxlsx: typed cells, escaping, layout and reproducibility, read back by openpyxl,
python-calamine and (when installed) LibreOffice."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from xfaudit.writers import fastxlsx
from xfaudit.writers.fastxlsx import Column, Line, Sheet, xml_text

CREATED = dt.datetime(2026, 10, 31, 18, 0)

TEXTS = ["=1+1", '=HYPERLINK("http://evil.example","点我")', "+1", "-1", "007", "1e5",
         "a<b>&c\"'", "c\x01d\x1f\x0be", "tab\there\nnewline", " lead", "trail ", "中文摘要",
         None, "", "TRUE"]


def table() -> pd.DataFrame:
    n = len(TEXTS)
    days = pd.to_datetime(["2026-10-31", None, "2026-01-01 12:00", "1899-06-01", "1900-03-01"]
                          + [None] * (n - 5), format="ISO8601")
    return pd.DataFrame({
        "text": TEXTS,
        "date": days,
        "int": pd.array([1, None, -3, 0, 2**40] + [7] * (n - 5), dtype="Int64"),
        "number": [1.5, np.nan, np.inf, 2.0, -0.25] + [None] * (n - 5),
        "wrap": ["长文本" * 30] + [None] * (n - 1),
    })


COLUMNS = [Column("text", "文本", width=24), Column("date", "日期", "date"),
           Column("int", "整数", "int", style={"num_format": "0"}),
           Column("number", "数值", "number"), Column("wrap", "说明", "wrap", 40),
           Column("absent", "缺列")]


def sheets() -> list[Sheet]:
    frame = table()
    first = Sheet("问题清单", frame, COLUMNS,
                  above=[Line("内部资料 注意保密", {"bold": True, "font_color": "#C00000"},
                              merge=True, height=24),
                         Line("说明：测试"), Line()],
                  below=[Line(), Line("共 15 行", {"italic": True})],
                  setup=lambda ws: ws.set_header("&C机密"))
    second = Sheet("按单位", frame.iloc[:3], COLUMNS[:2], freeze_columns=1,
                   autofilter=False)
    empty = Sheet("空表", frame.iloc[:0], COLUMNS)
    return [first, second, empty]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("fx") / "book.xlsx"
    fastxlsx.write(path, sheets(), title="测试工作簿", author="xfaudit", created=CREATED,
                   properties={"comments": "seed=1"},
                   base_style={"font_name": "等线", "font_size": 10})
    return path


@pytest.fixture(scope="module")
def book(written):
    return openpyxl.load_workbook(written)


def sheet_xml(path, index: int) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


def data_cell(ws, row: int, column: str):
    """Cell of the first sheet's data row ``row`` (0-based) in ``column``."""
    letter = "ABCDEF"[[c.name for c in COLUMNS].index(column)]
    return ws[f"{letter}{row + 5}"]


# -- text ------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", range(len(TEXTS)))
def test_text_is_written_as_text(book, row):
    cell = data_cell(book["问题清单"], row, "text")
    expected = TEXTS[row]
    if expected in (None, ""):
        assert cell.value is None
        return
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", expected)
    assert cell.data_type == "s"
    assert cell.value == expected


def test_no_formula_anywhere(written):
    for i in (1, 2, 3):
        assert "<f>" not in sheet_xml(written, i)


def test_every_sheet_is_well_formed_xml(written):
    with zipfile.ZipFile(written) as z:
        for name in z.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                ElementTree.fromstring(z.read(name))


@pytest.mark.parametrize("raw, text, preserve", [
    ("plain", "plain", False),
    ("a<b>&c", "a&lt;b&gt;&amp;c", False),
    ("c\x00d\x08e\x0bf\x1fg\ufffe", "cdefg", False),
    ("tab\tnew\nline", "tab\tnew\nline", False),
    ("_x0041_", "_x005F_x0041_", False),
    (" lead", " lead", True),
    ("trail\n", "trail\n", True),
    ("\u3000全角空格", "\u3000全角空格", False),
])
def test_xml_text(raw, text, preserve):
    out, keep = xml_text(np.array([raw], dtype=object))
    assert out[0] == text and bool(keep[0]) == preserve


def test_long_text_is_cut_at_excel_limit():
    out, _ = xml_text(np.array(["x" * (fastxlsx.MAX_TEXT + 10)], dtype=object))
    assert len(out[0]) == fastxlsx.MAX_TEXT


def test_literal_escape_sequence_survives_in_calamine(tmp_path):
    path = fastxlsx.write(tmp_path / "x.xlsx",
                          [Sheet("s", pd.DataFrame({"t": ["_x0041_", "a_x00e9_b"]}))],
                          created=CREATED)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("s").to_python()
    assert [r[0] for r in rows[1:]] == ["_x0041_", "a_x00e9_b"]


def test_wrap_column_has_wrap_style(book):
    cell = data_cell(book["问题清单"], 0, "wrap")
    assert cell.alignment.wrap_text and cell.data_type == "s"
    assert not data_cell(book["问题清单"], 0, "text").alignment.wrap_text


# -- dates and numbers -----------------------------------------------------------------------

def test_dates_are_real_dates(book):
    ws = book["问题清单"]
    cell = data_cell(ws, 0, "date")
    assert cell.value == dt.datetime(2026, 10, 31) and cell.number_format == "yyyy-mm-dd"
    assert cell.is_date
    assert data_cell(ws, 1, "date").value is None
    assert data_cell(ws, 2, "date").value == dt.datetime(2026, 1, 1, 12, 0)
    assert data_cell(ws, 4, "date").value == dt.datetime(1900, 3, 1)


def test_dates_before_excel_range_become_iso_text(book):
    cell = data_cell(book["问题清单"], 3, "date")
    assert cell.data_type == "s" and cell.value == "1899-06-01"


def test_ints_and_numbers(book):
    ws = book["问题清单"]
    assert [data_cell(ws, r, "int").value for r in range(5)] == [1, None, -3, 0, 2**40]
    assert data_cell(ws, 0, "int").number_format == "0"
    assert [data_cell(ws, r, "number").value for r in range(6)] == [1.5, None, None, 2, -0.25,
                                                                     None]
    assert data_cell(ws, 0, "int").data_type == "n"


def test_int_kind_rounds_floats(tmp_path):
    frame = pd.DataFrame({"n": [1.4, 2.6, np.nan, 1e20]})
    path = fastxlsx.write(tmp_path / "n.xlsx", [Sheet("s", frame, [Column("n", kind="int")])],
                          created=CREATED)
    assert [c.value for c in openpyxl.load_workbook(path)["s"]["A"][1:]] == [1, 3, None, 1e20]


def test_absent_column_is_blank_with_header(book):
    ws = book["问题清单"]
    assert ws["F4"].value == "缺列"
    assert all(ws[f"F{r}"].value is None for r in range(5, 20))


# -- layout ----------------------------------------------------------------------------------

def test_sheets_in_order_with_chinese_names(book, written):
    assert book.sheetnames == ["问题清单", "按单位", "空表"]
    calamine = CalamineWorkbook.from_path(str(written))
    assert calamine.sheet_names == book.sheetnames


def test_lines_header_and_below(book):
    ws = book["问题清单"]
    assert ws["A1"].value == "内部资料 注意保密" and ws["A1"].font.color.rgb.endswith("C00000")
    assert "A1:F1" in [str(r) for r in ws.merged_cells.ranges]
    assert ws.row_dimensions[1].height == 24
    assert ws["A2"].value == "说明：测试" and ws["A3"].value is None
    assert [c.value for c in ws[4]] == [c.header for c in COLUMNS]
    header = ws["A4"]
    assert header.font.b and header.fill.fgColor.rgb.endswith("DDEBF7")
    assert header.border.bottom.style == "thin" and header.alignment.wrap_text
    assert ws["A20"].value is None and ws["A21"].value == "共 15 行"
    assert ws["A21"].font.i


def test_freeze_autofilter_and_dimension(book, written):
    first, second, empty = (book[n] for n in book.sheetnames)
    assert first.freeze_panes == "A5" and first.auto_filter.ref == "A4:F19"
    assert second.freeze_panes == "B2" and second.auto_filter.ref is None
    assert empty.freeze_panes == "A2" and empty.auto_filter.ref == "A1:F2"
    dims = [re.search(r'<dimension ref="([^"]+)"', sheet_xml(written, i)).group(1)
            for i in (1, 2, 3)]
    assert dims == ["A1:F21", "A1:B4", "A1:F1"]


def test_widths_fonts_and_page_setup(book):
    ws = book["问题清单"]
    assert ws.column_dimensions["A"].width == pytest.approx(24.71, abs=0.01)
    assert ws.oddHeader.center.text == "机密"
    assert data_cell(ws, 0, "text").font.name == "等线"
    assert data_cell(ws, 0, "text").font.sz == 10


def test_properties(book):
    p = book.properties
    assert (p.title, p.creator, p.created) == ("测试工作簿", "xfaudit", CREATED)


def test_calamine_reads_the_same_values(written):
    rows = CalamineWorkbook.from_path(str(written)).get_sheet_by_name("问题清单").to_python()
    data = rows[4:19]
    assert [r[0] for r in data] == [re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", t or "")
                                    for t in TEXTS]
    assert data[0][1] == dt.date(2026, 10, 31) and data[0][2] == 1


# -- per-cell kinds ------------------------------------------------------------------------

def test_per_cell_kinds_mix_dates_numbers_and_text(tmp_path):
    values = np.array([np.datetime64("2026-10-01", "D"), 46000, "2026年10月1日", None, "待定"],
                      dtype=object)
    kinds = np.array(["date", "number", "text", None, "text"], dtype=object)
    sheet = Sheet("台账", pd.DataFrame({"d": values}), [Column("d", "日期", "date")],
                  cell_kinds={"d": kinds})
    path = fastxlsx.write(tmp_path / "k.xlsx", [sheet], created=CREATED)
    cells = openpyxl.load_workbook(path)["台账"]["A"][1:]
    assert cells[0].value == dt.datetime(2026, 10, 1) and cells[0].number_format == "yyyy-mm-dd"
    assert cells[1].value == 46000 and cells[1].number_format == "General"
    assert cells[2].data_type == "s" and cells[2].value == "2026年10月1日"
    assert cells[3].value is None and cells[4].value == "待定"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        Column("x", kind="formula")


def test_unknown_cell_kind_is_refused(tmp_path):
    sheet = Sheet("s", pd.DataFrame({"x": [1]}), cell_kinds={"x": np.array(["bool"])})
    with pytest.raises(ValueError, match="bool"):
        fastxlsx.write(tmp_path / "bad.xlsx", [sheet])


# -- reproducibility and LibreOffice -------------------------------------------------------

def test_same_input_same_bytes(tmp_path, written):
    again = fastxlsx.write(tmp_path / "again.xlsx", sheets(), title="测试工作簿",
                           author="xfaudit", created=CREATED, properties={"comments": "seed=1"},
                           base_style={"font_name": "等线", "font_size": 10})
    assert again.read_bytes() == written.read_bytes()
    with zipfile.ZipFile(again) as z:
        assert {i.date_time for i in z.infolist()} == {fastxlsx.ZIP_TIME}


def test_large_sheet_round_trips(tmp_path):
    n = 25_000                                            # above FAST_ZIP_ROWS
    frame = pd.DataFrame({"id": [f"XF{i:06d}" for i in range(n)],
                          "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n) % 300,
                                                                               unit="D"),
                          "n": np.arange(n)})
    cols = [Column("id"), Column("day", kind="date"), Column("n", kind="int")]
    path = fastxlsx.write(tmp_path / "big.xlsx", [Sheet("大表", frame, cols)], created=CREATED)
    back = pd.read_excel(path, engine="calamine")
    assert back["id"].tolist() == frame["id"].tolist()
    assert (back["day"] == frame["day"]).all() and back["n"].tolist() == list(range(n))


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) 未安装")
def test_libreoffice_opens_it(written, tmp_path):
    out = tmp_path / "csv"
    subprocess.run(["soffice", "--headless", "--norestore",
                    f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,"
                    "false,-1", "--outdir", str(out), str(written)],
                   check=True, capture_output=True, timeout=180)
    text = (out / "book-问题清单.csv").read_text("utf-8")
    assert '"=HYPERLINK(""http://evil.example"",""点我"")"' in text
    assert "=1+1," in text and "2026-10-31" in text and "a<b>&c" in text
    assert (out / "book-空表.csv").read_text("utf-8").startswith("文本,日期")


def test_rows_cut_sheets_from_one_table(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "unit": ["甲", "乙", "甲", None],
                          "day": pd.to_datetime(["2026-01-01", None, "2026-01-03", "2026-01-04"])})
    cols = [Column("id"), Column("unit"), Column("day", kind="date")]
    parts = [Sheet("全部", frame, cols), Sheet("甲", frame, cols, rows=np.array([2, 0])),
             Sheet("空", frame, cols, rows=np.array([], dtype=int))]
    path = fastxlsx.write(tmp_path / "cut.xlsx", parts, created=CREATED)
    book = openpyxl.load_workbook(path)
    assert [[c.value for c in r] for r in book["甲"].iter_rows(min_row=2)] == [
        ["c", "甲", dt.datetime(2026, 1, 3)], ["a", "甲", dt.datetime(2026, 1, 1)]]
    assert book["甲"].auto_filter.ref == "A1:C3" and book["空"].max_row == 1
    assert len(list(book["全部"].iter_rows(min_row=2))) == 4


# -- streaming: sheets are rendered and zipped in blocks of rows ------------------------------

def test_blocks_of_rows_do_not_change_the_bytes(tmp_path, monkeypatch, written):
    monkeypatch.setattr(fastxlsx, "BLOCK_ROWS", 2)
    again = fastxlsx.write(tmp_path / "blocks.xlsx", sheets(), title="测试工作簿",
                           author="xfaudit", created=CREATED, properties={"comments": "seed=1"},
                           base_style={"font_name": "等线", "font_size": 10})
    assert again.read_bytes() == written.read_bytes()


def cut_sheets() -> list[Sheet]:
    """Sheets showing rows of one table: all of it, two cuts (one with lines above the header,
    so other row numbers) and a sheet with fewer columns of the same table."""
    frame = table()
    return [Sheet("全部", frame, COLUMNS),
            Sheet("甲", frame, COLUMNS, rows=np.array([12, 0, 9, 7]),
                  above=[Line("第一部分"), Line()]),
            Sheet("乙", frame, COLUMNS, rows=np.arange(len(frame))[::-2]),
            Sheet("两列", frame, COLUMNS[:2], rows=np.array([3, 1]))]


@pytest.mark.parametrize("block", [fastxlsx.BLOCK_ROWS, 2])
def test_rows_kept_for_several_sheets_do_not_change_the_bytes(tmp_path, monkeypatch, block):
    # every row of the shared table is rendered once, numbered per sheet: the workbook is
    # byte for byte the one rendered sheet by sheet (blank cells, a text losing its control
    # characters, kept edge spaces, dates before 1900-03-01, a sheet with fewer columns)
    monkeypatch.setattr(fastxlsx, "BLOCK_ROWS", block)
    kept = fastxlsx.write(tmp_path / "kept.xlsx", cut_sheets(), created=CREATED)
    monkeypatch.setattr(fastxlsx, "ROW_CACHE_BYTES", 0)
    rendered = fastxlsx.write(tmp_path / "rendered.xlsx", cut_sheets(), created=CREATED)
    assert kept.read_bytes() == rendered.read_bytes()
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(kept)["甲"].iter_rows(min_row=4)]
    assert [r[0] for r in rows] == [TEXTS[12], TEXTS[0], TEXTS[9], "cde"]
    assert rows[2][1] is None and rows[3][1] is None


def test_rows_are_kept_within_the_budget(monkeypatch):
    frame = table()
    sheet = Sheet("全部", frame, COLUMNS)
    xfs = [{kind: 0 for kind in fastxlsx.KINDS} for _ in COLUMNS]
    rendered = fastxlsx._rendered(sheet, xfs, fastxlsx._BodyCache([sheet, sheet]))
    # the rows as :func:`_row_blocks` renders them, the row number left open
    texts = list(fastxlsx._row_blocks(sheet, rendered, size=1))
    kept = fastxlsx._RowCache([sheet, sheet]).rows(sheet, rendered)
    assert kept is not None and len(kept) == len(frame)
    for n, (text, row) in enumerate(zip(texts, kept), start=2):
        assert row == re.sub(f'(<row r="|<c r="[A-Z]+){n}"', '\\g<1>\x01"', text).encode()
    assert fastxlsx._RowCache([sheet]).rows(sheet, rendered) is None      # one sheet: not kept
    size = sum(map(len, kept))
    monkeypatch.setattr(fastxlsx, "ROW_CACHE_BYTES", size)
    assert fastxlsx._RowCache([sheet, sheet]).rows(sheet, rendered) is not None
    monkeypatch.setattr(fastxlsx, "ROW_CACHE_BYTES", size - 1)
    assert fastxlsx._RowCache([sheet, sheet]).rows(sheet, rendered) is None


@pytest.mark.parametrize("limit", [zipfile.ZIP64_LIMIT, 3000])
def test_streamed_sheets_are_zipped_as_writestr_would(tmp_path, monkeypatch, limit):
    # a small limit makes the first sheet need Zip64 headers, decided from its exact size
    real_limit, real_skeleton = zipfile.ZIP64_LIMIT, fastxlsx._skeleton

    def skeleton(*args):                # xlsxwriter checks the same limit for its own zip
        with monkeypatch.context() as m:
            m.setattr(zipfile, "ZIP64_LIMIT", real_limit)
            return real_skeleton(*args)

    monkeypatch.setattr(fastxlsx, "_skeleton", skeleton)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", limit)
    path = fastxlsx.write(tmp_path / "a.xlsx", sheets(), created=CREATED)
    whole = tmp_path / "b.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(whole, "w") as dst:
        assert src.getinfo("xl/worksheets/sheet1.xml").file_size * 1.05 > 3000
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=fastxlsx.ZIP_TIME),
                         src.read(info), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    assert whole.read_bytes() == path.read_bytes()


def test_repeated_values_rendered_once_keep_their_own_text(tmp_path):
    frame = pd.DataFrame({"mixed": pd.Series([1, 1.0, True, "1"] * 3, dtype=object),
                          "unit": ["甲", "乙", None, "甲"] * 3,
                          "day": pd.to_datetime(["2026-01-01", None, "2026-01-01",
                                                 "2026-01-02"] * 3)})
    cols = [Column("mixed"), Column("unit"), Column("day", kind="date")]
    path = fastxlsx.write(tmp_path / "r.xlsx", [Sheet("s", frame, cols)], created=CREATED)
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(path)["s"].iter_rows(min_row=2)]
    assert [r[0] for r in rows] == ["1", "1.0", "True", "1"] * 3
    assert [r[1] for r in rows] == ["甲", "乙", None, "甲"] * 3
    assert [r[2] for r in rows] == [dt.datetime(2026, 1, 1), None, dt.datetime(2026, 1, 1),
                                    dt.datetime(2026, 1, 2)] * 3
