"""The three real layouts (tests/files/real_layouts.py) load with their built-in mappings into
the expected fields; expected values come from the builders' documented rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "files"))
import real_layouts  # noqa: E402

from xfaudit.load import load_extract  # noqa: E402
from xfaudit.mapping import named_mappings  # noqa: E402
from xfaudit.model import SOURCE_ROW  # noqa: E402


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("real")


@pytest.fixture(scope="module")
def province(folder):
    return load_extract(real_layouts.province_export(folder), mapping="province")


@pytest.fixture(scope="module")
def ningbo(folder):
    return load_extract(real_layouts.ningbo_items(folder), mapping="ningbo")


@pytest.fixture(scope="module")
def police(folder):
    return load_extract(real_layouts.police_ledger(folder), mapping="police")


def test_headers_are_the_real_ones():
    assert len(real_layouts.PROVINCE_HEADER) == 19
    assert len(real_layouts.NINGBO_HEADER) == 60
    assert len(real_layouts.POLICE_HEADER) == 28


def test_three_named_mappings_are_shipped():
    assert set(named_mappings()) == {"province", "ningbo", "police"}
    assert all(description for _, description in named_mappings().values())


def test_mapping_list_on_the_command_line():
    proc = subprocess.run([sys.executable, "-m", "xfaudit.cli", "load", "--mapping-list"],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    for name in ("province", "ningbo", "police"):
        assert name in proc.stdout
    assert "宁波" in proc.stdout and "公安" in proc.stdout


# -- [PX] -----------------------------------------------------------------------------------

def test_province_export_header_below_two_title_rows(province):
    assert (province.report.sheet, province.report.header_row) == ("信访件列表", 3)
    assert province.report.rows_kept == real_layouts.ITEMS["province"]


def test_province_system_fields(province):
    mapping = province.report.mapping
    assert mapping["限办时间"] == "system_deadline"
    assert mapping["是否办结"] == "is_concluded"
    assert mapping["登记部门"] == "registering_body"
    assert mapping["信访件状态"] == "status"
    assert mapping["是否全国初次信访"] == "is_repeat"
    frame = province.frame
    rows = real_layouts.province_rows()
    # item 0: 登记日期 text "2026-04-15 HH:MM:SS" (+0..3 days); 限办时间 = 登记日期 + 60 days
    registered = pd.Timestamp(rows[0][9][:10])
    assert frame["system_deadline"].iloc[0] == registered + pd.Timedelta(days=60)
    assert frame["is_concluded"].tolist()[:4] == [True, False, True, False]     # 是 on even i
    assert frame["is_repeat"].tolist()[:4] == [True, False, False, True]      # 否 on i % 3 == 0
    assert frame["registering_body"].iloc[0] == "青禾县信访局/办信科"
    assert frame["status"].iloc[2] == "超期未作出处理意见"


def test_province_export_has_no_unit_and_says_so(province):
    assert "handling_unit" in province.report.absent_fields
    assert any("没有责任单位列" in w for w in province.report.warnings)
    assert all(c["header"] != "问题属地" for c in province.report.unit_candidates)


# -- [NB] -----------------------------------------------------------------------------------

def test_ningbo_total_row_rejected(ningbo):
    report = ningbo.report
    n = real_layouts.ITEMS["ningbo"]
    assert report.header_row == 3 and report.rows_kept == n
    assert report.rejected["source_row"].tolist() == [4 + n]                 # 合计 · 共 n 件


def test_ningbo_fields(ningbo):
    mapping = ningbo.report.mapping
    assert mapping["最后一次办理去向"] == "handling_unit"
    assert mapping["责任单位评价状态"] == "evaluation_status"
    assert mapping["限办时间"] == "system_deadline"
    assert mapping["信访人诉求"] == "summary"
    assert mapping["作出处理意见日期"] == "reply_on"
    assert mapping["是否超期"] == "system_overdue"
    frame = ningbo.frame
    assert frame["handling_unit"].tolist()[:6] == real_layouts.UNITS
    assert frame["evaluation_status"].tolist()[:4] == ["已评价", "未评价", "超期未评价", "待评价"]
    assert frame["is_repeat"].tolist()[:2] == [True, False]       # 首次信访标志 否 on i % 4 == 0
    assert frame["summary"].iloc[0].startswith("第1件：请求解决")
    # item 0: 办结时间 = 信访日期 + 40 days (a real date-time, time dropped)
    assert frame["concluded_on"].iloc[0] == (frame["received_on"].iloc[0]
                                             + pd.Timedelta(days=40))
    assert pd.isna(frame["concluded_on"].iloc[1])
    assert frame["is_concluded"].tolist()[:2] == [True, False]


def test_ningbo_duplicate_deadline_column_is_explained(ningbo):
    [note] = [w for w in ningbo.report.warnings if "限期答复时间" in w]
    assert "已采用第AB列「限办时间」" in note


# -- [GA] -----------------------------------------------------------------------------------

def test_police_ledger_rows(police):
    report = police.report
    n = real_layouts.ITEMS["police"]
    assert report.header_row == 3
    assert report.rows_kept == n + 1                                  # the pasted row is a row
    assert report.empty_rows == 1
    assert len(report.rejected) == 2                                  # 合计, 制表人


def test_police_fields(police):
    mapping = police.report.mapping
    assert mapping["具体承办单位"] == "handling_unit"
    assert mapping["办结状态"] == "is_concluded"
    assert mapping["公安业务分类"] == "category"
    assert mapping["登记单位"] == "registering_body"
    assert mapping["办结时间"] == "concluded_on,feedback_on"
    frame = police.frame.drop_duplicates(SOURCE_ROW)
    assert frame["handling_unit"].iloc[0] == "青禾县公安局城东派出所"
    # 办结状态 cycles 已办结 / 办理中 / 待签收 / 已超期
    assert frame["is_concluded"].tolist()[:4] == [True, False, False, False]
    assert any("责任部门" in w and "具体承办单位" in w for w in police.report.warnings)


def test_police_hand_typed_dates(police):
    frame = police.frame.set_index("case_id")
    assert frame.loc["GA20260005", "concluded_on"].iloc[0] == pd.Timestamp("2026-06-05") \
        if isinstance(frame.loc["GA20260005", "concluded_on"], pd.Series) \
        else frame.loc["GA20260005", "concluded_on"] == pd.Timestamp("2026-06-05")
    bad = police.report.unreadable
    assert set(bad.loc[bad["case_id"] == "GA20260009", "raw"]) == {"10月18日"}


def test_ningbo_join_with_its_steps_table(folder, ningbo):
    joined = load_extract([real_layouts.ningbo_items(folder), real_layouts.ningbo_steps(folder)],
                          mapping="ningbo")
    n = real_layouts.ITEMS["ningbo"]
    assert len(joined.frame) == n                                     # never multiplied
    [table] = joined.report.tables
    assert table.unmatched_ids == ["NB2099XXXXX"]
    assert table.items_matched == n
    assert table.rows_matched == n + n // 2                           # odd items have 2 steps
    assert table.items_with_several_rows == n // 2
    # 办理方式 and 去向单位 feed routing and handling_unit; the item table has both filled, so
    # it wins everywhere; the latest step differs from it on every item: even items' only
    # step is 转送 to 青禾县信访局 (item: 办结, UNITS[i % 6]); odd items' latest is 交办 to
    # UNITS[(i + 1) % 6] (item: 转送, UNITS[i % 6])
    assert table.fields_filled == {"routing": 0, "handling_unit": 0}
    assert table.conflicts == {"routing": n, "handling_unit": n}
    pd.testing.assert_series_equal(joined.frame["handling_unit"], ningbo.frame["handling_unit"])
