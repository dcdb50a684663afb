"""The three recommendations: each rule at its thresholds (just below / at), sanctions need both
behaviour and consequence on the same item, names and grounds by the statute in force."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from accountability_data import AS_OF, LATE, OLD, item, run
from xfaudit.recommend import HEADERS, recommend
from xfaudit.waivers import apply_waivers


def kinds(result, **kw) -> dict[str, list]:
    recs = recommend(result, **kw)
    return {k: recs.of_kind(k) for k in ("improvement", "policy", "sanction")}


# -- 改进工作建议 ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def improvement_result():
    """Unit 零问题 has no finding, 一个问题 one, 两个问题 two."""
    return run([item(handling_unit="零问题"), item(handling_unit="一个问题", reply_on=None),
                item(handling_unit="两个问题", reply_on=None),
                item(handling_unit="两个问题", reply_on=None)])


@pytest.mark.parametrize("minimum, units", [(1, {"一个问题", "两个问题"}), (2, {"两个问题"}),
                                            (3, set())])
def test_improvement_threshold(improvement_result, minimum, units):
    got = kinds(improvement_result, config={"improvement": {"min_findings": minimum}})
    assert {r.unit for r in got["improvement"]} == units


def test_waived_findings_do_not_count():
    result = run([item(case_id="I1", reply_on=None)])
    waived, _ = apply_waivers(result, pd.DataFrame([{
        "case_id": "I1", "check_id": "REPLY_MISSING", "reason": "理由", "approved_by": "甲",
        "approved_on": "2026-10-01"}]))
    assert len(kinds(result)["improvement"]) == 1
    assert kinds(waived)["improvement"] == []


def test_improvement_groups_by_the_2022_ground_and_lists_cases():
    result = run([item(case_id="N1", reply_on=None), item(case_id="N2", **LATE),
                  item(case_id="N3", handling_unit="白沙街道", reply_on=None)])
    rec = next(r for r in recommend(result).of_kind("improvement") if r.unit == "青石镇")
    assert rec.name == "改进工作建议"
    assert rec.statute == "《信访工作条例》"
    assert rec.citation == "《信访工作条例》第四十条第一款"
    assert [g.label for g in rec.grounds] == ["违反信访工作规定受理、办理信访事项"]
    assert rec.grounds[0].citation == "《信访工作条例》第四十条第一款"
    assert rec.grounds[0].findings == 2 and rec.grounds[0].case_ids == ("N2", "N1")
    # N2's handling limit, and N1's missing reply: the reply duty, not the 60-day limit
    assert set(rec.cases["citation"]) == {"《信访工作条例》第三十四条",
                                          "《信访工作条例》第三十一条第（六）项、第三十二条第一款"}
    assert rec.id == "2026-10-GJ-002"                              # units in name order
    assert rec.feedback_due == dt.date(2026, 12, 1)                # 2022: bureau default 30日
    assert "未规定天数" in rec.feedback_basis


def test_improvement_under_the_2005_text():
    old_unimplemented = dict(OLD, case_id="O2", review_outcome="撤销",
                             review_requested_on="2021-07-05", review_decided_on="2021-07-20",
                             implementation_due="2021-08-20", implemented_on=None)
    result = run([item(case_id="O1", **OLD), item(**old_unimplemented)])
    rec = recommend(result).of_kind("improvement")[0]
    assert (rec.statute, rec.citation) == ("《信访条例》", "《信访条例》第三十六条")
    grounds = {g.code: g for g in rec.grounds}
    assert grounds["3"].label == "未按规定程序办理信访事项"               # REG_LATE
    assert grounds["3"].citation == "《信访条例》第三十六条第一款第（三）项"
    assert grounds["5"].label == "不执行信访处理意见"                    # DECISION_UNIMPLEMENTED
    assert rec.feedback_due == dt.date(2026, 12, 1)                # 30日 from the profile
    assert rec.feedback_basis == "《信访条例》第三十六条第二款：30日"


def test_a_unit_with_items_under_both_texts_gets_one_recommendation_per_text():
    result = run([item(case_id="O1", **OLD), item(case_id="N1", reply_on=None)])
    recs = recommend(result).of_kind("improvement")
    assert [r.statute for r in recs] == ["《信访条例》", "《信访工作条例》"]
    assert {r.unit for r in recs} == {"青石镇"}


# -- 完善政策建议 ------------------------------------------------------------------------------

POLICY = {"policy": {"min_items": 4, "min_units": 2, "volume_share": 1.0, "repeat_share": 0.5,
                     "dissatisfied_share": 0.5, "min_rated": 4}}


def category(name: str, n_items: int, units: int, *, repeats=0, unhappy=0, rated=None
             ) -> list[dict]:
    """``n_items`` items of category ``name`` spread over ``units`` units."""
    names = ["青石镇", "白沙街道", "东湖乡"]
    rated = n_items if rated is None else rated
    return [item(category=name, handling_unit=names[k % units], is_repeat=k < repeats,
                 satisfaction=("不满意" if k < unhappy else "满意") if k < rated else None)
            for k in range(n_items)]


@pytest.fixture(scope="module")
def policy_recs():
    """One extract, one category per case: each category's figures are its own."""
    rows = (category("重复率达线", 4, 2, repeats=2)           # repeat share 0.5 = threshold
            + category("重复率差一点", 4, 2, repeats=1)        # 0.25 < 0.5
            + category("事项数不足", 3, 2, repeats=3)          # 3 items < min_items 4
            + category("只有一个单位", 4, 1, repeats=4)        # 1 unit < min_units 2
            + category("不满意率达线", 4, 2, unhappy=2)        # 2/4 = 0.5
            + category("不满意率差一点", 4, 2, unhappy=1)      # 1/4 < 0.5
            + category("参评数不足", 5, 2, unhappy=3, rated=3))  # 3 rated < min_rated 4
    return {r.category: r for r in kinds(run(rows), config=POLICY)["policy"]}


@pytest.mark.parametrize("name, fires", [
    ("重复率达线", True), ("重复率差一点", False), ("事项数不足", False), ("只有一个单位", False),
    ("不满意率达线", True), ("不满意率差一点", False), ("参评数不足", False)])
def test_policy_signals_at_their_thresholds(policy_recs, name, fires):
    assert (name in policy_recs) is fires


def test_policy_volume_share_threshold():
    # 10 items: 4/10 = 0.4 reaches the 0.4 line, 3/10 does not; 其他 has a single unit.
    config = {"policy": {**POLICY["policy"], "min_items": 3, "volume_share": 0.4,
                         "repeat_share": 1.1, "dissatisfied_share": 1.1}}
    rows = category("四成", 4, 2) + category("三成", 3, 2) + category("其他", 3, 1)
    assert [r.category for r in kinds(run(rows), config=config)["policy"]] == ["四成"]


def test_policy_states_the_pattern_with_figures(policy_recs):
    rec = policy_recs["重复率达线"]
    assert rec.unit is None and rec.addressee == "中共云溪县委、云溪县人民政府"
    assert rec.name == "完善政策建议" and rec.citation == "《信访工作条例》第四十条第二款"
    f = rec.figures
    assert (f["items"], f["units"], f["repeat"], f["repeat_share"]) == (4, 2, 2, 0.5)
    assert f["signals"] == ["repeat"]
    assert "重复信访率50.0%" in f["pattern"][0] and "预警线50.0%" in f["pattern"][0]
    assert {u["unit"] for u in f["by_unit"]} == {"青石镇", "白沙街道"}


# -- 行政处分建议 / 追究责任建议 ----------------------------------------------------------------

def _accepted_for(days_late: int) -> dict:
    """Handling dates making an open item exactly ``days_late`` days late at AS_OF."""
    last = pd.Timestamp(AS_OF) - pd.Timedelta(days=days_late)
    accepted = (last - pd.Timedelta(days=60)).date().isoformat()
    return dict(LATE, received_on=accepted, routed_on=accepted, unit_received_on=accepted,
                notice_on=accepted, accepted_on=accepted)


def _repeat_pair(unit: str, n: int, received: str) -> list[dict]:
    """An item 92 days late (last day 2026-07-31) and a repeat petition of the same person."""
    return [item(n=n, handling_unit=unit, **LATE),
            item(n=n, handling_unit=unit, is_repeat=True, received_on=received,
                 routed_on=received, unit_received_on=received, notice_on=received,
                 accepted_on=received, concluded_on="2026-09-01", reply_on="2026-09-01")]


@pytest.fixture(scope="module")
def sanctions():
    """One extract, one unit per case (the unit's name says what it shows)."""
    rows = [
        item(handling_unit="拖延29日且越级", escalated=True, **_accepted_for(29)),
        item(handling_unit="拖延30日且越级", escalated=True, **_accepted_for(30)),
        item(handling_unit="未答复且4人访", reply_on=None, people_count=4, channel="来访"),
        item(handling_unit="未答复且5人访", reply_on=None, people_count=5, channel="来访"),
        item(handling_unit="只有行为", **LATE),
        item(handling_unit="只有后果", escalated=True, people_count=9),
        item(handling_unit="行为后果分属两件", **LATE),
        item(handling_unit="行为后果分属两件", escalated=True),
        item(case_id="BH", handling_unit="行为后果同在一件", **LATE, escalated=True),
        item(handling_unit="虚报落实", outcome="支持", implementation_due="2026-10-25",
             implementation_status="已落实", implemented_on=None),
        *_repeat_pair("期限当日再访", 51, "2026-07-31"),
        *_repeat_pair("期限届满后再访", 52, "2026-08-01"),
    ]
    return {r.unit: r for r in kinds(run(rows))["sanction"]}


@pytest.mark.parametrize("unit, fires", [
    ("拖延29日且越级", False), ("拖延30日且越级", True),           # overdue_days = 30
    ("未答复且4人访", False), ("未答复且5人访", True),             # collective_people = 5
    ("只有行为", False), ("只有后果", False), ("行为后果分属两件", False),
    # 已落实 without a 落实日期 proves neither an act nor its absence: no finding, no draft
    ("行为后果同在一件", True), ("虚报落实", False),
    ("期限当日再访", False), ("期限届满后再访", True),             # repeat after the last day
])
def test_sanction_needs_behaviour_and_consequence_on_the_same_item(sanctions, unit, fires):
    assert (unit in sanctions) is fires


def test_sanction_draft_shows_both(sanctions):
    rec = sanctions["行为后果同在一件"]
    assert rec.draft and rec.case_ids == ["BH"]
    assert rec.behaviour == ("BH：拖延——办理超期，超过期限92日（期限届满日2026-07-31，截至审计日仍未办理）",)
    assert rec.consequences == ("BH：越级上访——台账记录信访人越级上访",)
    assert list(rec.evidence.columns) == ["case_id", "behaviour", "consequences"]
    assert rec.addressee.startswith("（有管理权限的机关")


def test_repeat_petition_names_case_ids_never_people(sanctions):
    text = "".join(sanctions["期限届满后再访"].consequences)
    assert "期限届满后同一信访人再次信访1次（信访件编号 XF" in text and "最早 2026-08-01" in text
    assert "测试" not in text and "1380000" not in text


def test_sanction_is_named_by_the_statute_in_force():
    new = item(case_id="S22", **LATE, escalated=True)
    old = item(case_id="S05", received_on="2021-05-20", routed_on="2021-05-21",
               unit_received_on="2021-05-22", notice_on="2021-05-25", accepted_on="2021-06-01",
               concluded_on=None, reply_on=None, escalated=True)
    recs = {r.statute: r for r in kinds(run([new, old]))["sanction"]}
    assert recs["《信访条例》"].name == "行政处分建议"
    assert recs["《信访条例》"].citation == "《信访条例》第三十八条"
    assert recs["《信访条例》"].feedback_due is None               # 2005: only 改进建议 answered
    assert recs["《信访工作条例》"].name == "追究责任建议"
    assert recs["《信访工作条例》"].citation == "《信访工作条例》第四十条第三款"


# -- data ------------------------------------------------------------------------------------------

def test_to_frame_has_stable_columns_and_chinese_headers(improvement_result):
    recs = recommend(improvement_result)
    assert list(recs.to_frame().columns) == list(HEADERS)
    assert list(recs.to_frame(chinese=True).columns) == list(HEADERS.values())
    assert list(recs.to_frame()["id"]) == ["2026-10-GJ-001", "2026-10-GJ-002"]
    assert len(recs.cases_frame()) == 3
    assert "三项建议" in recs._repr_html_()
