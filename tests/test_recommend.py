"""The three recommendations: each rule at its thresholds (just below / at), sanctions need both
behaviour and consequence on the same item, names and grounds by the statute in force."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from accountability_data import AS_OF, LATE, OLD, item, run
from xfaudit.recommend import HEADERS, recommend
from xfaudit.waivers import apply_waivers


#: The bureau of these tests (fictional).
BUREAU = {"bureau": {"issuer": "青禾县信访局", "issuer_code": "青信督",
                     "government": "青禾县人民政府"}}


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
    # N1 concluded 10-20 without a reply: new this month; N2 open since its 07-31 last day
    assert rec.figures["new"] == 1 and rec.figures["continuing"] == 1
    assert rec.id == "2026-10-GJ-002"                              # units in name order
    # 成文日期: the first working day after Saturday 2026-10-31 is Monday 11-02; 2022: the
    # bureau's 30日 → 2026-12-02
    assert rec.issued_on == dt.date(2026, 11, 2)
    assert rec.feedback_due == dt.date(2026, 12, 2)
    assert "未规定天数" in rec.feedback_basis


#: A 2005-text item (received 2021-05-20) whose notice never came: routed 2021-06-20, received
#: by the unit 06-21, notice due 07-06 — still open at the audit date (持续未办).
OLD_NO_NOTICE = dict(OLD, notice_on=None)


def test_improvement_under_the_2005_text():
    old_unimplemented = dict(OLD, case_id="O2", review_outcome="撤销",
                             review_requested_on="2021-07-05", review_decided_on="2021-07-20",
                             implementation_due="2021-08-20", implemented_on=None)
    result = run([item(case_id="O1", **OLD_NO_NOTICE), item(**old_unimplemented)])
    rec = recommend(result).of_kind("improvement")[0]
    assert (rec.statute, rec.citation) == ("《信访条例》", "《信访条例》第三十六条")
    grounds = {g.code: g for g in rec.grounds}
    assert grounds["3"].label == "未按规定程序办理信访事项"               # NOTICE_LATE
    assert grounds["3"].citation == "《信访条例》第三十六条第一款第（三）项"
    assert grounds["5"].label == "不执行信访处理意见"                    # DECISION_UNIMPLEMENTED
    assert rec.feedback_due == dt.date(2026, 12, 2)                # 30日 from 11-02 (profile)
    assert rec.feedback_basis == "《信访条例》第三十六条第二款：30日"


def test_a_unit_with_items_under_both_texts_gets_one_letter_citing_each():
    result = run([item(case_id="O1", **OLD_NO_NOTICE), item(case_id="N1", reply_on=None)])
    recs = recommend(result).of_kind("improvement")
    assert len(recs) == 1 and recs[0].unit == "青石镇"
    rec = recs[0]
    assert [p.statute for p in rec.parts] == ["《信访条例》", "《信访工作条例》"]
    assert [p.citation for p in rec.parts] == ["《信访条例》第三十六条",
                                              "《信访工作条例》第四十条第一款"]
    assert rec.statute == "《信访条例》、《信访工作条例》"
    assert [p.findings for p in rec.parts] == [1, 1]


def test_closed_lateness_of_earlier_months_is_history_not_a_letter():
    # REG_LATE and NOTICE_LATE of 2021, done in 2021: 历史问题 — no letter, listed once
    result = run([item(case_id="H1", **OLD)])
    recs = recommend(result)
    assert recs.of_kind("improvement") == []
    assert set(recs.history["case_id"]) == {"H1"}
    assert set(recs.history["period_status"]) == {"历史问题"}


def test_the_bureaus_own_failures_go_to_self_check_and_unknown_units_are_pending():
    never_routed = dict(received_on="2026-09-01", routed_on=None, unit_received_on=None,
                        notice_on=None, accepted_on=None, concluded_on=None, reply_on=None)
    result = run([item(case_id="B1", **never_routed),                       # REG_LATE: 本局
                  item(case_id="B2", handling_unit="青禾县信访局", reply_on=None),
                  item(case_id="U1", handling_unit=None, reply_on=None),
                  item(case_id="R1", review_requested_on="2026-08-01", review_decided_on=None,
                       concluded_on="2026-07-20", reply_on="2026-07-20")],
                 bureau="青禾县信访局")
    recs = recommend(result, config=BUREAU)
    assert recs.of_kind("improvement") == []                 # nobody receives a letter
    assert set(recs.self_check["case_id"]) == {"B1", "B2"}
    pending = recs.pending.set_index("unit")
    assert set(pending.index) == {"（未填写单位）", "待核实（复查机关）"}
    assert pending.loc["待核实（复查机关）", "cases"] == "R1"


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
    return {r.category: r for r in kinds(run(rows), config={**POLICY, **BUREAU})["policy"]}


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
    assert rec.unit is None and rec.addressee == "中共青禾县委、青禾县人民政府"
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


def _again(n: int, unit: str, received: str, **fields) -> dict:
    """The same petitioner (person n) petitioning again on the same matter (重件, same
    category), received on ``received``, still being handled."""
    base = dict(n=n, case_id=f"R{n:04d}", handling_unit=unit, is_repeat=True,
                received_on=received, routed_on=received, unit_received_on=received,
                notice_on=received, accepted_on=received, concluded_on=None, reply_on=None,
                satisfaction=None)
    return item(**{**base, **fields})


@pytest.fixture(scope="module")
def sanction_set():
    """One extract, one unit per case (the unit's name says what it shows). 拖延 needs 30 days
    late; the consequence must be a later petition of the same person on the same matter,
    after the last day and within October."""
    rows = [
        # last day 10-02 (29 days late at 10-31): one day short of 拖延
        item(n=1, handling_unit="拖延29日且再访", **_accepted_for(29)),
        _again(1, "拖延29日且再访", "2026-10-10"),
        # last day 10-01 (30 days late), petitioned again 10-10: a draft
        item(n=2, case_id="D30", handling_unit="拖延30日且再访", **_accepted_for(30)),
        _again(2, "拖延30日且再访", "2026-10-10"),
        # concluded 10-05 without a written reply (敷衍), petitioned again 10-20
        item(n=3, case_id="NR", handling_unit="未答复且再访", concluded_on="2026-10-05",
             reply_on=None),
        _again(3, "未答复且再访", "2026-10-20"),
        # the later petition on the last day itself is not after it
        item(n=4, handling_unit="期限当日再访", **_accepted_for(30)),
        _again(4, "期限当日再访", "2026-10-01"),
        # a consequence of September was September's fact
        item(n=5, handling_unit="上月再访", **LATE),
        _again(5, "上月再访", "2026-09-15"),
        # undated consequences: the item's own 越级 flag, its 不满意 rating
        item(n=6, case_id="ESC", handling_unit="只有越级标记", escalated=True, **LATE),
        item(n=7, handling_unit="未答复且不满意", concluded_on="2026-10-05", reply_on=None,
             satisfaction="不满意"),
        # 已落实 without a date (a record contradiction) and a later petition: suspected only
        item(n=8, handling_unit="记录矛盾且再访", outcome="支持", implementation_due="2026-10-03",
             implementation_status="已落实", implemented_on=None),
        _again(8, "记录矛盾且再访", "2026-10-20"),
        # a later petition not marked 重件
        item(n=9, handling_unit="再访非重件", **_accepted_for(40)),
        _again(9, "再访非重件", "2026-10-20", is_repeat=False),
        # a later 越级 collective visit
        item(n=10, case_id="CRW", handling_unit="越级集体再访", **_accepted_for(30)),
        _again(10, "越级集体再访", "2026-10-12", escalated=True, people_count=6,
               channel="来访"),
    ]
    recs = recommend(run(rows), config=BUREAU)
    return {r.unit: r for r in recs.of_kind("sanction")}, recs.pending


@pytest.mark.parametrize("unit, fires", [
    ("拖延29日且再访", False), ("拖延30日且再访", True),           # overdue_days = 30
    ("未答复且再访", True), ("期限当日再访", False), ("上月再访", False),
    ("只有越级标记", False), ("未答复且不满意", False), ("记录矛盾且再访", False),
    ("再访非重件", False), ("越级集体再访", True),
])
def test_a_draft_needs_a_proven_conduct_and_a_dated_consequence_after_it(sanction_set, unit,
                                                                       fires):
    drafts, _ = sanction_set
    assert (unit in drafts) is fires


def test_the_draft_lists_conduct_and_consequence_as_two_facts_with_their_ids(sanction_set):
    rec = sanction_set[0]["拖延30日且再访"]
    assert rec.draft and rec.case_ids == ["D30"]
    conduct = rec.conduct.iloc[0]
    assert (conduct["case_id"], conduct["check_id"], conduct["label"]) == (
        "D30", "HANDLING_OVERDUE", "拖延")
    assert conduct["text"] == "办理超期，超过期限30日（期限届满日2026年10月1日，截至审计日仍未办理）"
    harm = rec.consequences.iloc[0]
    assert (harm["case_id"], harm["later_case_id"], harm["on"]) == (
        "D30", "R0002", pd.Timestamp("2026-10-10"))
    assert harm["label"] == "期限届满后重复信访" and bool(harm["counts"])
    assert "R0002" in harm["text"] and "测试" not in harm["text"]
    assert rec.addressee.startswith("（有管理权限的机关")


def test_a_later_escalated_collective_visit_is_named_as_such(sanction_set):
    harm = sanction_set[0]["越级集体再访"].consequences.iloc[0]
    assert harm["label"] == "期限届满后重复信访、期限届满后越级上访、期限届满后集体访"
    assert "（6人）" in harm["text"]


def test_no_reply_is_conduct_from_the_day_of_conclusion(sanction_set):
    rec = sanction_set[0]["未答复且再访"]
    assert rec.conduct.iloc[0]["label"] == "敷衍"
    assert rec.conduct.iloc[0]["since"] == pd.Timestamp("2026-10-05")


def test_what_made_no_draft_is_listed_pending_with_its_reason(sanction_set):
    pending = sanction_set[1].set_index("unit")["reason"]
    assert "后果（越级、不满意）台账无日期" in pending["只有越级标记"]
    assert "台账无日期" in pending["未答复且不满意"]
    assert "疑似弄虚作假" in pending["记录矛盾且再访"]
    assert "拖延30日且再访" not in pending.index


def _old_open_with_repeat(unit: str) -> list[dict]:
    """A 2005-text item never concluded (accepted 2021-06-01), petitioned again 2026-10-15."""
    old = dict(LATE, received_on="2021-05-20", routed_on="2021-05-21",
               unit_received_on="2021-05-22", notice_on="2021-05-25", accepted_on="2021-06-01")
    return [item(n=20, handling_unit=unit, **old), _again(20, unit, "2026-10-15")]


def test_a_2005_sanction_reaches_only_an_administrative_organ():
    from xfaudit.units import Unit, UnitRegister

    rows = _old_open_with_repeat("县住建局")
    result = run(rows)
    recs = recommend(result, config=BUREAU)                 # no unit register: 待核实
    assert recs.of_kind("sanction") == []
    assert "单位名录未说明该单位是否行政机关" in recs.pending.set_index("unit").loc["县住建局", "reason"]
    register = UnitRegister(units=(Unit(name="县住建局", administrative=True),))
    recs = recommend(result, config=BUREAU, units=register)
    rec = recs.of_kind("sanction")[0]
    assert (rec.name, rec.citation) == ("行政处分建议", "《信访条例》第三十八条")
    assert rec.feedback_due is None                         # 2005: only 改进建议 answered
    not_admin = UnitRegister(units=(Unit(name="县住建局", administrative=False),))
    recs = recommend(result, config=BUREAU, units=not_admin)
    assert recs.of_kind("sanction") == []
    assert "不是行政机关" in recs.pending.set_index("unit").loc["县住建局", "reason"]


def test_a_2022_sanction_is_a_追究责任建议(sanction_set):
    rec = sanction_set[0]["拖延30日且再访"]
    assert (rec.name, rec.citation) == ("追究责任建议", "《信访工作条例》第四十条第三款")


# -- data ------------------------------------------------------------------------------------------

def test_to_frame_has_stable_columns_and_chinese_headers(improvement_result):
    recs = recommend(improvement_result)
    assert list(recs.to_frame().columns) == list(HEADERS)
    assert list(recs.to_frame(chinese=True).columns) == list(HEADERS.values())
    assert list(recs.to_frame()["id"]) == ["2026-10-GJ-001", "2026-10-GJ-002"]
    assert not recs.to_frame(chinese=True).isin(["improvement", "policy", "sanction"]).any().any()
    assert len(recs.cases_frame()) == 3
    assert "三项建议" in recs._repr_html_()
