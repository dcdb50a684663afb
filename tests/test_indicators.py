"""Unit indicators on a hand-checked month (tests/monthly_fixtures.py, period 2026-10).

Worked by hand (15日 registration, 60日 handling, 2022 rules; as-of 2026-10-31):

及时受理率 — REG_LATE last days in October: A1 10-05 (routed 09-22, on time), A2 10-10 (routed
10-12, late), A3 10-20 (not routed, open), B2 10-25 (routed 10-11, on time). The others fall in
July–September or in November (B4 10-20 + 15 = 11-04). 青石镇 1/3, 城南街道 1/1, 全县 2/4.

按期办结率 — HANDLING_OVERDUE last days in October: A4 accepted 08-05 → 10-04, concluded 10-04
(on time); A5 08-10 → 10-09, concluded 10-15 (late); B1 08-20 → 10-19, open (late); B3 08-05 →
10-04, concluded 09-30 (on time). 青石镇 1/2, 城南街道 1/2, 全县 2/4.

参评率 / 满意率 — items concluded in October: A1 满意, A4 基本满意, A5 不满意, B5 超期未评价,
B6 未评价 (not in either denominator); B3 was concluded in September. 参评率 青石镇 3/3,
城南街道 0/1, 全县 3/4; 满意率 青石镇 2/3, 城南街道 no figure, 全县 2/3.

重复信访率 — received in October: A3 重件, B2 初件, B4 重件. 青石镇 1/1, 城南街道 1/2, 全县 2/3.

Ranking: equal 按期办结率 (50%), so 及时受理率 decides: 城南街道 (100%) first, 青石镇 second.
"""

import numpy as np
import pandas as pd
import pytest

from xfaudit import indicators
from xfaudit.audit import audit
from xfaudit.model import Extract
from monthly_fixtures import AS_OF, PERIOD, audit_result, frame

TOTAL, QS, CN = "全县合计", "青石镇", "城南街道"

EXPECTED = {  # (unit, indicator): (numerator, denominator)
    (TOTAL, "timely_acceptance"): (2, 4), (QS, "timely_acceptance"): (1, 3),
    (CN, "timely_acceptance"): (1, 1),
    (TOTAL, "on_time_conclusion"): (2, 4), (QS, "on_time_conclusion"): (1, 2),
    (CN, "on_time_conclusion"): (1, 2),
    (TOTAL, "participation"): (3, 4), (QS, "participation"): (3, 3),
    (CN, "participation"): (0, 1),
    (TOTAL, "satisfaction"): (2, 3), (QS, "satisfaction"): (2, 3), (CN, "satisfaction"): (0, 0),
    (TOTAL, "repeat_rate"): (2, 3), (QS, "repeat_rate"): (1, 1), (CN, "repeat_rate"): (1, 2),
}


@pytest.fixture(scope="module")
def result():
    return indicators.compute(audit_result(), PERIOD)


def test_the_fixture_findings_are_the_hand_checked_ones():
    f = audit_result().findings
    assert set(zip(f["case_id"], f["check_id"], f["days_late"])) == {
        ("XF-A2", "REG_LATE", 2), ("XF-A3", "REG_LATE", 11),
        ("XF-A5", "HANDLING_OVERDUE", 6), ("XF-B1", "HANDLING_OVERDUE", 12)}


@pytest.mark.parametrize("key, expected", EXPECTED.items(), ids=lambda v: str(v))
def test_hand_checked_figures(result, key, expected):
    t = result.table.set_index(["unit", "indicator"])
    row = t.loc[key]
    assert (row["numerator"], row["denominator"]) == expected
    if expected[1]:
        assert row["rate"] == pytest.approx(expected[0] / expected[1])
        assert row["status"] == "已计算"
    else:
        assert np.isnan(row["rate"]) and row["status"] == "本期无适用事项"


def test_every_figure_carries_its_formula(result):
    overall = result.overall()
    assert list(overall["指标"]) == ["及时受理率", "按期办结率", "参评率", "满意率", "重复信访率"]
    assert list(overall["数值"]) == ["50.0%", "50.0%", "75.0%", "66.7%", "66.7%"]
    formulas = dict(zip(overall["指标"], overall["计算公式"]))
    assert formulas["参评率"] == "参评率 = 已评价件数 ÷ （已评价件数 + 超期未评价件数） × 100%"
    assert formulas["满意率"] == "满意率 = （满意件数 + 基本满意件数） ÷ 已评价件数 × 100%"
    assert formulas["重复信访率"] == "重复信访率 = 重件数 ÷ 本期收到的全部件数 × 100%"
    assert (result.table["formula"].str.len() > 0).all()


def test_unit_table_shows_rate_with_counts(result):
    wide = result.by_unit().set_index("责任单位")
    assert list(wide.index) == [TOTAL, CN, QS]
    assert wide.loc[QS, "及时受理率"] == "33.3%（1/3）"
    assert wide.loc[CN, "满意率"] == "本期无适用事项"


def test_ranking_follows_the_documented_rule(result):
    ranking = result.ranking
    assert list(ranking["责任单位"]) == [CN, QS]
    assert list(ranking["排名"]) == [1, 2]
    assert list(ranking["按期办结率(%)"]) == [50.0, 50.0]
    # 青石镇: XF-A5 HANDLING_OVERDUE only — XF-A2 and XF-A3 (REG_LATE) are the bureau's duty
    assert list(ranking["履职问题"]) == [1, 1]
    assert list(ranking["超期仍未办"]) == [1, 0]           # XF-B1 open 12 days; XF-A5 done
    assert "按期办结率高者在前" in indicators.ranking_rule_text()


def test_ranking_counts_only_this_months_unwaived_findings(result):
    """The counts are the circular's: XF-A5 (青石镇) made a 历史问题 and XF-B1 (城南街道)
    waived leave both units with no problem; the ranking order (by the rates) is unchanged."""
    findings = audit_result().findings.copy()
    findings.loc[findings["case_id"] == "XF-A5", "period_status"] = "历史问题"
    findings.loc[findings["case_id"] == "XF-B1", "waived"] = True
    ranking = indicators.rank_units(result.table, findings)
    assert list(ranking["责任单位"]) == [CN, QS]
    assert list(ranking["履职问题"]) == [0, 0] and list(ranking["超期仍未办"]) == [0, 0]


def test_ties_share_a_rank_and_units_without_figures_come_last():
    table = pd.DataFrame({
        "unit": ["甲", "乙", "丙", "丁"] * 2,
        "indicator": ["on_time_conclusion"] * 4 + ["timely_acceptance"] * 4,
        "rate": [0.5, 0.9, 0.5, np.nan, 1.0, 0.2, 1.0, np.nan]})
    findings = audit_result().findings.iloc[0:0]
    ranking = indicators.rank_units(table, findings)
    assert list(ranking["责任单位"]) == ["乙", "丙", "甲", "丁"]  # ties listed by name
    assert list(ranking["排名"]) == [1, 2, 2, 4]
    assert ranking["说明"].iloc[-1].startswith("无可比数据")


def test_as_of_inside_the_period_cuts_the_window():
    early = audit(Extract.from_frame(frame()), as_of="2026-10-15")
    t = indicators.compute(early, PERIOD).table.set_index(["unit", "indicator"])
    # A1 (10-05, on time) and A2 (10-10, late) are due by 10-15; A3 (10-20) and B2 (10-25) not.
    assert tuple(t.loc[(QS, "timely_acceptance"), ["numerator", "denominator"]]) == (1, 2)
    assert t.loc[(CN, "timely_acceptance"), "denominator"] == 0


def test_absent_inputs_are_reported_not_computed():
    df = frame().drop(columns=["satisfaction", "routed_on"])
    result = audit(Extract.from_frame(df), as_of=AS_OF)
    t = indicators.compute(result, PERIOD).table
    status = t[t["unit"] == TOTAL].set_index("indicator")["status"]
    assert status["satisfaction"] == "未计算：缺少满意度"
    assert status["participation"] == "未计算：缺少评价状态或满意度"
    assert status["timely_acceptance"] == "未计算：缺少转交日期"
    assert status["on_time_conclusion"] == "已计算"
    assert t.loc[t["indicator"] == "satisfaction", "rate"].isna().all()


def test_to_dict_is_json_ready(result):
    data = result.to_dict()
    assert data["on_time_conclusion"] == {
        "name": "按期办结率", "numerator": 2, "denominator": 4, "rate": 0.5, "status": "已计算",
        "formula": "按期办结率 = 按期办结件数 ÷ 办理期限（含有效延期）届满日在本期内的件数 × 100%"}


def test_participation_reads_the_systems_evaluation_status_where_there_is_one():
    # Real systems keep 超期未评价 in 评价状态 while 满意度 holds the rating. Items concluded in
    # October: A1 满意, A4 基本满意, A5 不满意, B5, B6 (B3 in September). With 评价状态
    # A1 已评价, A4 已评价, A5 超期未评价, B5 超期未评价, B6 未评价:
    # 参评率 = 已评价 2 ÷ (已评价 2 + 超期未评价 2) = 2/4 (青石镇 2/3, 城南街道 0/1).
    df = frame()
    states = {"XF-A1": "已评价", "XF-A4": "已评价", "XF-A5": "超期未评价", "XF-B5": "超期未评价",
              "XF-B6": "未评价"}
    df["evaluation_status"] = df["case_id"].map(states)
    t = indicators.compute(audit(Extract.from_frame(df), as_of=AS_OF), PERIOD).table
    got = t[t["indicator"] == "participation"].set_index("unit")
    assert tuple(got.loc[TOTAL, ["numerator", "denominator"]]) == (2, 4)
    assert tuple(got.loc[QS, ["numerator", "denominator"]]) == (2, 3)
    assert tuple(got.loc[CN, ["numerator", "denominator"]]) == (0, 1)


def test_units_without_a_name_are_never_ranked():
    df = frame()
    df.loc[df["case_id"] == "XF-A2", "handling_unit"] = None
    result = indicators.compute(audit(Extract.from_frame(df), as_of=AS_OF), PERIOD)
    assert "（未填写单位）" in set(result.table["unit"])
    assert "（未填写单位）" not in set(result.ranking["责任单位"])
    no_column = audit(Extract.from_frame(frame().drop(columns=["handling_unit"])), as_of=AS_OF)
    computed = indicators.compute(no_column, PERIOD)
    assert set(computed.table["unit"]) == {TOTAL, "责任单位未知（台账无此列）"}
    assert computed.ranking.empty
    assert computed.by_unit()["责任单位"].tolist() == [TOTAL, "责任单位未知（台账无此列）"]


def test_no_figure_at_all_never_crashes():
    # a header-only ledger: every indicator has an empty denominator or is not computed
    empty = audit(Extract.from_frame(frame().iloc[0:0]), as_of=AS_OF)
    computed = indicators.compute(empty, PERIOD)
    assert computed.ranking.empty
    assert set(computed.by_unit().iloc[0, 1:]) == {"本期无适用事项"}
    assert set(computed.overall()["数值"]) == {"本期无适用事项"}
