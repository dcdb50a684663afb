"""Extract.from_frame reads cells as the loader does: same values, same unreadable cells."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from xfaudit.dates import DateWindow
from xfaudit.load import load_extract
from xfaudit.model import UNREADABLE_COLUMNS, Extract
from xfaudit.schema import cell_text, normalise_values, value_maps, value_reading

WINDOW = DateWindow.around("2026-10-31")        # 1990-01-01 … 2027-11-01

# Cells of several kinds, as text (a CSV) — from_frame and the loader must agree on each.
COLUMNS = {
    "case_id": ["XF001", "XF002", "XF003", "XF004", "XF005"],
    "received_on": ["2026-10-08", "10月28日", "2026年10月9号", "", "2206-11-20"],
    "extension_days": ["30", "十五", "15天", "", "-3"],
    "is_repeat": ["重件", "初件", "也许", "", "1"],
    "routing": ["转 送", "交办", "自办", "", "某种新方式"],
    "handling_unit": [" 城关镇 ", "公安局", "城关镇", "", "0012"],
}
HEADERS = {"case_id": "信访件编号", "received_on": "收到日期", "extension_days": "延期天数",
           "is_repeat": "初重件", "routing": "办理方式", "handling_unit": "责任单位"}


def test_from_frame_reads_every_kind_like_the_loader(tmp_path):
    path = tmp_path / "台账.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS.values())
        writer.writerows(zip(*COLUMNS.values()))
    loaded = load_extract(path, date_window=WINDOW)
    framed = Extract.from_frame(pd.DataFrame(COLUMNS), window=WINDOW)
    pd.testing.assert_frame_equal(framed.frame, loaded.frame[framed.frame.columns],
                                  check_dtype=True)
    cells = ["source_row", "field", "raw", "reason"]
    assert (framed.report.unreadable[cells].sort_values(cells).to_dict("records")
            == loaded.report.unreadable[cells].sort_values(cells).to_dict("records"))


def test_from_frame_values_by_hand():
    extract = Extract.from_frame(pd.DataFrame(COLUMNS), window=WINDOW)
    f = extract.frame
    assert list(f["received_on"]) == [pd.Timestamp("2026-10-08"), pd.NaT,
                                      pd.Timestamp("2026-10-09"), pd.NaT, pd.NaT]
    assert f["extension_days"].tolist() == [30, pd.NA, 15, pd.NA, pd.NA]
    assert f["is_repeat"].tolist() == [True, False, pd.NA, pd.NA, True]
    # coded: folded and mapped (自办 → 直接办理); an unknown value is kept, not unreadable
    assert f["routing"].tolist() == ["转送", "交办", "直接办理", None, "某种新方式"]
    assert f["handling_unit"].tolist() == ["城关镇", "公安局", "城关镇", None, "0012"]
    assert str(f["extension_days"].dtype) == "Int64" and str(f["is_repeat"].dtype) == "boolean"
    table = extract.report.unreadable
    assert list(table.columns) == UNREADABLE_COLUMNS
    assert table[["source_row", "case_id", "field", "header", "raw", "reason"]].values.tolist() == [
        [3, "XF002", "received_on", "收到日期", "10月28日", "无法识别"],
        [3, "XF002", "extension_days", "延期天数", "十五", "无法识别"],
        [4, "XF003", "is_repeat", "初重件", "也许", "无法识别"],
        [6, "XF005", "received_on", "收到日期", "2206-11-20", "不在合理日期范围内"],
        [6, "XF005", "extension_days", "延期天数", "-3", "无法识别"],
    ]


def test_from_frame_takes_typed_columns_and_keeps_source_rows():
    frame = pd.DataFrame({
        "source_row": [10, 11],
        "case_id": [123, None],                                  # an id typed as a number
        "received_on": pd.to_datetime(["2026-10-08 14:30", None]),
        "extension_days": pd.array([15, None], dtype="Int64"),
        "is_repeat": [True, np.nan],
        "not_a_field": ["x", "y"],
    })
    extract = Extract.from_frame(frame, window=WINDOW)
    f = extract.frame
    assert list(f.columns) == ["source_row", "case_id", "received_on", "extension_days",
                               "is_repeat"]
    assert f["source_row"].tolist() == [10, 11] and f["case_id"].tolist() == ["123", None]
    assert f["received_on"].iloc[0] == pd.Timestamp("2026-10-08")
    assert f["extension_days"].iloc[0] == 15 and f["is_repeat"].iloc[0]
    assert extract.report.unreadable.empty


def test_the_default_window_is_around_today():
    # 1989-12-31 lies before 1990-01-01 whatever today is
    extract = Extract.from_frame(pd.DataFrame({"case_id": ["A"], "received_on": ["1989-12-31"]}))
    assert extract.report.unreadable["reason"].tolist() == ["不在合理日期范围内"]


@pytest.mark.parametrize("kind, reading", [("flag", "boolean"), ("repeat", "boolean"),
                                           ("concluded", "boolean"), ("routing", "coded"),
                                           ("track", "coded"), ("outcome", "coded"),
                                           ("int", "int"), ("date", "date"), ("text", "text")])
def test_value_reading_follows_the_values_tables(kind, reading):
    assert value_reading(kind) == reading


def test_local_aliases_extend_a_table():
    read = normalise_values("track", ["走法院", "诉讼"], aliases={"走法院": "诉讼"})
    assert read.values.tolist() == ["诉讼", "诉讼"] and not read.unreadable.any()


def test_cell_text_is_what_excel_shows():
    assert [cell_text(v) for v in (123.0, 1.5, " a ", "", None, np.nan, True)] == [
        "123", "1.5", "a", None, None, None, "TRUE"]


def test_value_maps_cannot_be_changed_by_a_caller():
    with pytest.raises(TypeError):
        value_maps()["routing"]["转送"] = "直接办理"
    assert value_maps()["routing"]["转送"] == "转送"
