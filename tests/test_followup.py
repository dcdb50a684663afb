"""Follow-up across two consecutive months: documents are drafts until the inspector approves
them, the next run numbers them; answers past due are flagged for sent documents only; units
with new or still-open findings of one check two months running are escalated — a finding
closed before the month never again; the inspector's entries survive every run; the register
has drop-down lists and date columns typed as dates."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from accountability_data import BUREAU, LATE, docx_document, item, run
from xfaudit import periods
from xfaudit.accountability import produce
from xfaudit.errors import RegisterError
from xfaudit.followup import read_followup

#: The bureau's own feedback limit for 2022-text recommendations, short enough to pass due
#: within the next month: issued 2026-10-01 → due 2026-10-16.
CONFIG = {**BUREAU, "followup": {"default_feedback_days": 15}}


def september() -> list[dict]:
    return [item(n=1, handling_unit="青石镇", concluded_on="2026-09-20", reply_on=None),
            item(n=2, handling_unit="白沙街道", **LATE),
            # notice due 08-18, given 08-25: late, and done before September — history
            item(n=3, handling_unit="东湖乡", received_on="2026-08-01", routed_on="2026-08-02",
                 unit_received_on="2026-08-03", notice_on="2026-08-25", accepted_on="2026-08-25",
                 concluded_on="2026-09-10", reply_on="2026-09-10")]


def october() -> list[dict]:
    return september() + [item(n=4, handling_unit="西岭镇", received_on="2026-10-01",
                               routed_on="2026-10-02", unit_received_on="2026-10-03",
                               notice_on="2026-10-28", accepted_on="2026-10-28",
                               concluded_on=None, reply_on=None)]


def edit(path, values: dict[str, dict[str, object]]) -> None:
    """What the inspector does in Excel: fill cells of 建议台账 rows (by 文书编号)."""
    book = openpyxl.load_workbook(path)
    sheet = book["建议台账"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        entered = values.get(row[headers.index("文书编号")].value, {})
        for header, value in entered.items():
            row[headers.index(header)].value = value
    book.save(path)


def month(root, rows, period, as_of, issued_on):
    """One monthly accountability step: audit against the findings history, produce, publish."""
    history = periods.read_history(root / "registers" / "问题记录.csv")
    result = run(rows, as_of=as_of, period=period, history=history, bureau="云溪县信访局")
    out = produce(result, period, root / f".{period}.tmp", registers_dir=root / "registers",
                  config=CONFIG, seed=1, issued_on=issued_on)
    out.publish()
    return result, out


@pytest.fixture(scope="module")
def two_months(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    _, sep = month(root, september(), "2026-09", "2026-09-30", "2026-10-01")
    ids = {r.unit: r.id for r in sep.recommendations if r.kind == "improvement"}
    register = root / "registers" / "建议跟踪台账.xlsx"
    before = read_followup(register)
    circular = next(l.recommendation for l in sep.letters if l.kind == "circular")
    edit(register, {
        ids["青石镇"]: {"审核意见": "同意签发", "是否发出": "是",
                      "反馈日期": dt.datetime(2026, 10, 10), "是否采纳": "是", "整改情况": "已整改"},
        ids["白沙街道"]: {"审核意见": "修改后签发", "是否发出": "是"},
        circular: {"审核意见": "同意签发"}})
    oct_result, oct_ = month(root, october(), "2026-10", "2026-10-31", "2026-11-02")
    return {"root": root, "sep": sep, "oct": oct_, "oct_result": oct_result, "ids": ids,
            "before": before, "register": register, "circular": circular}


def test_september_drafts_everything_unnumbered_and_unsent(two_months):
    sep, before = two_months["sep"], two_months["before"]
    assert all(l.doc_no is None for l in sep.letters)
    recs = before.recommendations
    assert recs["doc_no"].isna().all() and recs["sent"].isna().all()   # 是否发出 left empty
    assert recs["approval"].isna().all()
    assert set(recs["kind_name"]) == {"督办及改进工作建议函", "通报"}
    assert before.documents.empty
    # 东湖乡's notice was late in August and done then: history, no letter
    assert "东湖乡" not in set(two_months["ids"])
    assert not sep.review.history_available and "2026-08" in sep.review.notes[0]


def test_the_next_run_numbers_what_the_inspector_approved(two_months):
    register = read_followup(two_months["register"])
    recs = register.recommendations.set_index("id")
    ids = two_months["ids"]
    # approved in September (issued 2026-10-01), numbered by the October run in id order
    assert recs.loc[ids["白沙街道"], "doc_no"] == "云溪信督〔2026〕1号"
    assert recs.loc[ids["青石镇"], "doc_no"] == "云溪信督〔2026〕2号"
    assert recs.loc[two_months["circular"], "doc_no"] == "云溪信督〔2026〕3号"
    assert sorted(two_months["oct"].numbered) == sorted([*ids.values(), two_months["circular"]])
    assert list(register.documents["serial"]) == [1, 2, 3]
    # October's own documents wait for approval
    assert all(l.doc_no is None for l in two_months["oct"].letters)
    assert recs.loc[recs["period"] == "2026-10", "doc_no"].isna().all()


def test_answers_past_due_are_flagged_for_sent_documents_only(two_months):
    overdue = two_months["oct"].review.overdue
    assert list(overdue["unit"]) == ["白沙街道"]                     # 青石镇 answered
    assert list(overdue["days_overdue"]) == [15]                    # due 10-16, as-of 10-31
    assert list(overdue["doc_no"]) == ["云溪信督〔2026〕1号"]
    assert (two_months["oct"].review.pending, two_months["oct"].review.answered) == (1, 1)


def test_escalation_counts_months_with_new_or_open_findings_never_an_old_one(two_months):
    esc = two_months["oct"].review.escalations
    # 青石镇: reply missing since 09-20 (new in September, still open in October);
    # 白沙街道: open past 07-31 both months; 东湖乡's August notice is history: no streak
    assert set(zip(esc["unit"], esc["check_id"])) == {
        ("青石镇", "REPLY_MISSING"), ("白沙街道", "HANDLING_OVERDUE")}
    assert set(esc["months"]) == {2} and set(esc["since"]) == {"2026-09"}
    assert two_months["oct"].review.history_available


def test_a_claim_of_rectification_with_open_findings_is_noted(two_months):
    claims = two_months["oct"].review.claims
    assert list(claims["unit"]) == ["青石镇"]
    assert "反馈“已整改”" in " ".join(two_months["oct"].review.notes)


def test_next_month_letters_and_circular_carry_the_follow_up(two_months):
    oct_ = two_months["oct"]
    letter = next(l.path for l in oct_.letters if l.kind == "improvement" and l.unit == "白沙街道")
    xml = docx_document(letter)
    assert "重点督办事项" in xml and "连续2个月" in xml and "逾期15日仍未反馈" in xml
    assert "云溪信督〔2026〕1号" in xml
    circular = docx_document(oct_.paths["circular"])
    assert "连续出现同类问题的单位" in circular and "未按期书面反馈" in circular


def test_register_keeps_entries_and_the_history_holds_both_months(two_months):
    register = read_followup(two_months["register"])
    recs = register.recommendations.set_index("id")
    qs = two_months["ids"]["青石镇"]
    assert recs.loc[qs, "feedback_on"] == dt.datetime(2026, 10, 10)
    assert bool(recs.loc[qs, "adopted"]) is True and recs.loc[qs, "rectified"] == "已整改"
    assert recs.loc[qs, "approval"] == "同意签发"
    history = periods.read_history(two_months["root"] / "registers" / "问题记录.csv")
    assert set(history["period"]) == {"2026-09", "2026-10"}


def test_register_has_drop_downs_and_typed_date_columns(two_months):
    book = openpyxl.load_workbook(two_months["register"])
    sheet = book["建议台账"]
    headers = [c.value for c in sheet[1]]
    lists = {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv.formula1
             for dv in sheet.data_validations.dataValidation if dv.type == "list"}
    letter = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(headers)}
    assert lists[letter["审核意见"]] == '"同意签发,修改后签发,暂缓,不予签发"'
    assert lists[letter["是否发出"]] == '"是,否"' and lists[letter["是否采纳"]] == '"是,否"'
    assert lists[letter["整改情况"]] == '"已整改,整改中,未整改"'
    empty_feedback = sheet.cell(row=sheet.max_row, column=headers.index("反馈日期") + 1)
    assert empty_feedback.number_format == "yyyy-mm-dd"            # a typed date stays a date
    assert "类型代码" not in headers and "improvement" not in {c.value for c in sheet["C"]}


def test_rerun_of_the_month_is_idempotent(two_months):
    root = two_months["root"]
    before = read_followup(two_months["register"])
    _, again = month(root, october(), "2026-10", "2026-10-31", "2026-11-02")
    after = read_followup(two_months["register"])
    pd.testing.assert_frame_equal(after.recommendations, before.recommendations)
    pd.testing.assert_frame_equal(after.documents, before.documents)
    assert [l.recommendation for l in again.letters] == \
        [l.recommendation for l in two_months["oct"].letters]


def test_an_approval_stays_with_its_unit_when_a_rerun_drafts_another(two_months, tmp_path):
    root = two_months["root"]
    register = two_months["register"]
    ids = {r.unit: r.id for r in two_months["oct"].recommendations if r.kind == "improvement"}
    edit(register, {ids["西岭镇"]: {"审核意见": "同意签发"}})
    # a rerun with one more unit (东岭镇 sorts before 西岭镇) keeps 西岭镇's id and approval
    extra = item(n=9, handling_unit="东岭镇", concluded_on="2026-10-20", reply_on=None)
    _, again = month(root, october() + [extra], "2026-10", "2026-10-31", "2026-11-02")
    got = {r.unit: r for r in again.recommendations if r.kind == "improvement"}
    assert got["西岭镇"].id == ids["西岭镇"] and got["西岭镇"].doc_no == "云溪信督〔2026〕4号"
    assert got["东岭镇"].id not in ids.values() and got["东岭镇"].doc_no is None


def test_a_damaged_register_is_reported_with_row_and_column(two_months, tmp_path):
    path = tmp_path / "建议跟踪台账.xlsx"
    book = openpyxl.load_workbook(two_months["register"])
    sheet = book["建议台账"]
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=headers.index("反馈日期") + 1).value = "下周"
    sheet.cell(row=4, column=headers.index("是否采纳") + 1).value = "也许"
    sheet.cell(row=2, column=headers.index("整改情况") + 1).value = "差不多"
    book.save(path)
    with pytest.raises(RegisterError) as caught:
        read_followup(path)
    text = str(caught.value)
    assert "第3行「反馈日期」列：无法识别的日期“下周”（请写成 2026-10-28 这样含年月日的日期）" in text
    assert "第4行「是否采纳」列" in text and "建议台账" in text
    assert "第2行「整改情况」列：应填“已整改”“整改中”“未整改”之一，而不是“差不多”" in text


def test_a_hand_added_register_row_without_unit_kind_or_date_is_named_by_what_it_has():
    # sent, due 10-16, unanswered at 10-31: 15 days overdue; the inspector typed only the id,
    # the period, the 主送机关 and the dates
    from xfaudit.followup import REC_COLUMNS, FollowupRegister, _overdue

    row = {c.name: None for c in REC_COLUMNS}
    row.update(id="手工-1", period="2026-09", addressee="县水利局", sent=True,
               feedback_due=pd.Timestamp("2026-10-16"), feedback_on=pd.NaT, issued_on=pd.NaT)
    register = FollowupRegister(recommendations=pd.DataFrame([row]))
    late = _overdue(register, "2026-10", pd.Timestamp("2026-10-31"))
    assert late[["unit", "kind_name", "days_overdue"]].values.tolist() == [["县水利局", "建议", 15]]
