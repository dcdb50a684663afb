"""回访抽查: reproducible stratified sample, the size rule at its edges, 不满意 always in, and
the confidential workbook (the one output with contact details)."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from accountability_data import item, run
from xfaudit.model import Extract
from xfaudit.audit import audit
from xfaudit.sampling import CLASSIFICATION, REASON_FORCED, draw, write


def unit_items(unit: str, n: int, start: int, *, unhappy: int = 0) -> list[dict]:
    return [item(n=start + k, handling_unit=unit,
                 satisfaction="不满意" if k < unhappy else "满意") for k in range(n)]


@pytest.fixture(scope="module")
def rows():
    return (unit_items("一件镇", 1, 100) + unit_items("五件镇", 5, 200)
            + unit_items("二十件镇", 20, 300) + unit_items("三十件镇", 30, 400, unhappy=4)
            + [item(n=500, handling_unit="五件镇", concluded_on="2026-09-30", reply_on="2026-09-30"),
               item(n=501, handling_unit="五件镇", concluded_on=None, reply_on=None)])


@pytest.fixture(scope="module")
def result(rows):
    return run(rows)


@pytest.mark.parametrize("unit, concluded, quota, sampled", [
    ("一件镇", 1, 1, 1),         # capped at the unit's count
    ("五件镇", 5, 2, 2),         # min_per_unit 2 > ceil(0.1 × 5)
    ("二十件镇", 20, 2, 2),      # ceil(0.1 × 20) = 2
    ("三十件镇", 30, 3, 4),      # ceil(0.1 × 30) = 3 (not 4), but all 4 不满意 are in
])
def test_sample_size_rule(result, unit, concluded, quota, sampled):
    plan = draw(result, seed=7).plan.set_index("unit")
    assert (plan.loc[unit, "concluded"], plan.loc[unit, "quota"],
            plan.loc[unit, "sampled"]) == (concluded, quota, sampled)


def test_unhappy_items_are_always_in(result, rows):
    unhappy = {r["case_id"] for r in rows if r["satisfaction"] == "不满意"}
    for seed in range(5):
        sample = draw(result, seed=seed).frame
        assert unhappy <= set(sample["case_id"])
        assert set(sample.loc[sample["reason"] == REASON_FORCED, "case_id"]) == unhappy


def test_same_seed_same_sample_whatever_the_row_order(result, rows):
    first = draw(result, seed=11).frame
    shuffled = audit(Extract.from_frame(pd.DataFrame(rows).sample(frac=1, random_state=3)),
                     as_of=result.as_of)
    again = draw(shuffled, seed=11).frame
    pd.testing.assert_frame_equal(first, again)
    others = {tuple(draw(result, seed=s).frame["case_id"]) for s in range(12, 18)}
    assert len(others | {tuple(first["case_id"])}) > 1          # the seed matters


def test_only_items_concluded_in_the_period(result):
    ids = set(draw(result, seed=1).frame["case_id"])
    assert not ids & {"XF00500", "XF00501"}                      # September / not concluded
    wide = draw(result, seed=1, config={"sampling": {"window": "all"}})
    assert wide.plan.set_index("unit").loc["五件镇", "concluded"] == 6


def test_workbook_is_confidential_and_keeps_text(result, tmp_path):
    sample = draw(result, seed=5)
    path = write(sample, tmp_path / "回访抽查.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["回访名单"]
    assert CLASSIFICATION in sheet["A1"].value and "不得外传" in sheet["A1"].value
    assert "机密" in sheet.oddHeader.left.text and "机密" in sheet.oddFooter.left.text
    assert "机密" in book["抽样说明"].oddHeader.left.text
    props = book.properties
    assert "机密" in props.title and "机密" in props.keywords and "机密" in props.category
    headers = [c.value for c in sheet[4]]
    phone_col = headers.index("联系电话") + 1
    phones = [sheet.cell(row=r, column=phone_col) for r in range(5, 5 + len(sample.frame))]
    assert all(c.data_type == "s" and c.value.startswith("1380000") for c in phones)
    # the list says how to call and where the method is; the hash details stay in 抽样说明
    assert "是否收到书面答复" in sheet["A3"].value and "SipHash" not in sheet["A3"].value
    rules = {r[0].value: r[1].value for r in book["抽样说明"].iter_rows(min_row=3, max_row=9)}
    assert rules["随机种子"] == "5" and "SipHash" in rules["抽样规则"]
    assert "每单位最少件数" in rules and not [k for k in rules if k and "_" in k]


def test_the_list_carries_what_the_caller_asks_and_flags_items_without_a_phone(tmp_path):
    rows = [item(n=600, handling_unit="回访镇"),
            item(n=601, handling_unit="回访镇", petitioner_phone=None)]
    sample = draw(run(rows), seed=1)
    path = write(sample, tmp_path / "回访抽查.xlsx")
    sheet = openpyxl.load_workbook(path)["回访名单"]
    headers = [c.value for c in sheet[4]]
    for header in ("主要诉求", "处理意见", "是否收到书面答复", "对办理结果是否满意", "是否存在推诿",
                   "回访情况", "联系方式"):
        assert header in headers, header
    values = {sheet.cell(row=r, column=headers.index("信访件编号") + 1).value:
              (sheet.cell(row=r, column=headers.index("联系方式") + 1).value,
               sheet.cell(row=r, column=headers.index("主要诉求") + 1).value)
              for r in (5, 6)}
    assert values["XF00601"][0].startswith("无联系电话") and values["XF00600"][0] is None
    # the 主要诉求 of the fixture names the petitioner and a phone: both are masked
    assert "反映道路破损" in values["XF00600"][1]
    assert "测试" not in values["XF00600"][1] and "13800000600" not in values["XF00600"][1]
    lists = {dv.sqref: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert any('"是,否,未作答"' == f for f in lists.values())


def test_display_never_shows_contact_details(result, rows):
    sample = draw(result, seed=5)
    shown = sample._repr_html_() + sample.masked().to_html()
    assert not [r["petitioner_phone"] for r in rows if r["petitioner_phone"] in shown]
    assert "petitioner" not in sample.masked().columns
