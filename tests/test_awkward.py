"""The awkward files of the stress corpus: each built by tests/files/awkward.py, each with the
outcome an inspector needs (rows kept, the message, never a silent loss)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "files"))
import awkward  # noqa: E402

from xfaudit.errors import ExtractError, HeaderNotFoundError, SheetChoiceError  # noqa: E402
from xfaudit.load import load_extract  # noqa: E402
from xfaudit.model import SOURCE_ROW  # noqa: E402

IDS = [f"XF2026{i:03d}" for i in range(1, 13)]


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xfaudit.cli", *map(str, args)],
                          capture_output=True, text=True)


# -- CSV: a stray quote never swallows rows ---------------------------------------------------

@pytest.mark.parametrize("build", [awkward.unterminated_quote_csv, awkward.quote_closed_later_csv])
def test_stray_quote_stops_with_the_line_where_it_opens(tmp_path, build):
    path = build(tmp_path)
    with pytest.raises(ExtractError) as info:
        load_extract(path)
    # line 1 is the header, XF2026006 is on line 7
    assert info.value.row == 7
    assert "引号没有闭合" in str(info.value) and "第7行" in str(info.value)


def test_stray_quote_is_a_user_error_in_check(tmp_path):
    proc = run_cli("check", awkward.unterminated_quote_csv(tmp_path), "--as-of", "2026-10-31",
                   "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "第7行" in proc.stderr and "Traceback" not in proc.stderr


def test_quotes_balanced_within_a_cell_still_read(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('信访件编号,收到日期,主要诉求\n001,2026-10-08,"第一行\n第二行，含,逗号"\n'
                    '002,2026-10-09,无\n', encoding="utf-8")
    extract = load_extract(path)
    assert extract.frame[SOURCE_ROW].tolist() == [2, 4]
    assert extract.frame["summary"].iloc[0] == "第一行\n第二行，含,逗号"


# -- Sheets: hidden never chosen, two ledgers never one silently -------------------------------

def test_hidden_sheet_is_never_chosen_automatically(tmp_path):
    extract = load_extract(awkward.hidden_sheet_xlsx(tmp_path))
    assert extract.report.sheet == "台账"
    assert extract.frame["case_id"].tolist() == IDS
    assert any("旧模板" in w and "隐藏" in w for w in extract.report.warnings)


def test_hidden_sheet_is_read_when_named(tmp_path):
    extract = load_extract(awkward.hidden_sheet_xlsx(tmp_path), sheet="旧模板")
    assert extract.frame["case_id"].tolist() == ["XF2025999"]


def test_only_a_hidden_ledger_is_named_in_the_error(tmp_path):
    path = tmp_path / "h.xlsx"
    book = awkward._book(说明=[["本表仅供说明"]], 台账=[awkward.HEADER, *awkward.items(2)])
    book["台账"].sheet_state = "hidden"
    book.save(path)
    with pytest.raises(HeaderNotFoundError) as info:
        load_extract(path)
    assert info.value.hidden == ["台账"] and "--sheet" in str(info.value)


def test_two_ledger_sheets_stop_and_name_both(tmp_path):
    with pytest.raises(SheetChoiceError) as info:
        load_extract(awkward.two_ledgers_xlsx(tmp_path))
    message = str(info.value)
    assert "「来信」" in message and "其下7行" in message
    assert "「来访」" in message and "其下5行" in message
    assert "--sheet" in message


def test_two_ledger_sheets_one_named(tmp_path):
    extract = load_extract(awkward.two_ledgers_xlsx(tmp_path), sheet="来访")
    assert extract.frame["case_id"].tolist() == IDS[7:]


def test_check_names_the_sheet_it_used(tmp_path):
    proc = run_cli("check", awkward.hidden_sheet_xlsx(tmp_path), "--as-of", "2026-10-31",
                   "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert "工作表「台账」" in proc.stdout
    assert "旧模板" in proc.stdout


# -- Excel error cells are unreadable, not blank ----------------------------------------------

def test_error_cells_are_unreadable_with_their_text(tmp_path):
    extract = load_extract(awkward.error_cells_xlsx(tmp_path))
    bad = extract.report.unreadable
    assert [tuple(r) for r in bad[["source_row", "field", "raw"]].itertuples(index=False)] == [
        (2, "received_on", "#N/A"), (5, "routed_on", "#DIV/0!"),
        (8, "handling_unit", "#REF!"), (11, "case_id", "#VALUE!")]
    frame = extract.frame.set_index(SOURCE_ROW)
    assert pd.isna(frame.loc[2, "received_on"]) and pd.isna(frame.loc[8, "handling_unit"])
    assert frame.loc[12, "summary"] == "#N/A"          # text typed by hand stays text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice makes the .xls")
def test_error_cells_of_an_xls_are_unreadable(tmp_path):
    source = awkward.error_cells_xlsx(tmp_path)
    subprocess.run(["soffice", "--headless", "--norestore",
                    f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "xls",
                    "--outdir", str(tmp_path / "xls"), str(source)],
                   check=True, capture_output=True, timeout=120)
    extract = load_extract(tmp_path / "xls" / "xlsx_error_cells.xls")
    assert sorted(extract.report.unreadable["raw"]) == ["#DIV/0!", "#N/A", "#REF!", "#VALUE!"]


# -- Headers ------------------------------------------------------------------------------------

def test_duplicated_header_takes_the_column_with_data(tmp_path):
    extract = load_extract(awkward.dup_header_empty_first_csv(tmp_path))
    assert extract.frame["received_on"].notna().all()
    [note] = [w for w in extract.report.warnings if "收到日期" in w]
    assert "第C列" in note and "已采用第D列" in note and "此列为空" in note


def test_more_specific_unit_alias_wins_and_is_named(tmp_path):
    extract = load_extract(awkward.two_unit_aliases_xlsx(tmp_path))
    assert extract.report.mapping["具体承办单位"] == "handling_unit"
    assert extract.frame["handling_unit"].str.endswith("派出所").all()
    assert any("责任部门" in w and "更具体" in w for w in extract.report.warnings)


def test_zero_width_and_control_characters_in_headers_are_ignored(tmp_path):
    extract = load_extract(awkward.zero_width_header_csv(tmp_path))
    assert {"case_id", "petitioner", "received_on", "routing", "routed_on"} <= set(
        extract.fields_present)
    assert extract.frame["case_id"].tolist() == IDS


def test_header_below_the_rows_searched_names_the_cause(tmp_path):
    path = awkward.header_far_below_xlsx(tmp_path)
    with pytest.raises(HeaderNotFoundError) as info:
        load_extract(path)
    message = str(info.value)
    assert "前100行" in message and "--header-row" in message
    assert "xlsx_header_row140.xlsx 工作表「台账」" in message      # a space before 工作表


def test_header_row_option_reads_it(tmp_path):
    extract = load_extract(awkward.header_far_below_xlsx(tmp_path), header_row=140)
    assert extract.report.header_row == 140
    assert extract.frame["case_id"].tolist() == IDS


# -- Size: a stray far cell costs nothing ----------------------------------------------------

@pytest.mark.parametrize("cell", ["XFD1048576", "T1048576"])
def test_stray_cell_in_the_far_corner_is_read_sparsely(tmp_path, cell):
    extract = load_extract(awkward.far_corner_xlsx(tmp_path, cell))
    report = extract.report
    assert extract.frame["case_id"].tolist() == IDS
    assert report.rejected["source_row"].tolist() == [1048576]       # the lone "x"
    assert report.empty_rows == 1048576 - 13 - 1                     # rows 14 … 1048575
    assert report.unknown_columns == [f"（第{cell.rstrip('0123456789')}列，无表头）"]


# -- Encodings and formats ---------------------------------------------------------------------

@pytest.mark.parametrize("encoding, delimiter", [("utf-16-le", "\t"), ("utf-16-le", ","),
                                                 ("utf-16-be", "\t")])
def test_utf16_text_is_read(tmp_path, encoding, delimiter):
    extract = load_extract(awkward.utf16_csv(tmp_path, encoding, delimiter))
    assert extract.report.encoding == "utf-16"
    assert extract.frame["case_id"].tolist() == IDS
    assert extract.frame["handling_unit"].iloc[0] == "青禾县城关镇人民政府"


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_html_table_saved_as_xls_is_read(tmp_path, encoding):
    extract = load_extract(awkward.html_xls(tmp_path, encoding))
    frame = extract.frame
    assert extract.report.file_format == "html"
    assert frame["case_id"].tolist() == IDS[:6] + ["000123"]          # leading zeros kept
    assert frame["handling_unit"].iloc[3] == frame["handling_unit"].iloc[2]   # rowspan
    assert extract.report.rejected["reason"].tolist() == ["不是信访件记录（合计/说明行）"]


def test_wps_et_is_read_by_content(tmp_path):
    extract = load_extract(awkward.et_from_xls(tmp_path))
    assert extract.report.file_format == "xls"
    assert extract.report.rows_kept == 9          # as ledger_messy.xls


def test_et_that_is_not_a_workbook_is_a_clear_error(tmp_path):
    path = tmp_path / "a.et"
    path.write_bytes(b"WPS? no: plain text\n")
    with pytest.raises(ExtractError, match="不是有效的 Excel/CSV 文件"):
        load_extract(path)


# -- A loader bug is not a damaged file ---------------------------------------------------------

def test_an_internal_error_is_not_reported_as_a_damaged_file(monkeypatch, tmp_path):
    from xfaudit import convert

    def broken(*args, **kwargs):
        raise KeyError("a bug in the loader")

    monkeypatch.setattr(convert, "build", broken)
    monkeypatch.setattr("xfaudit.load.build", broken)
    with pytest.raises(KeyError):
        load_extract(awkward.hidden_sheet_xlsx(tmp_path))
