"""Masking of petitioners' personal data."""

import pandas as pd
import pytest

from xfaudit.privacy import mask_frame, mask_free_text, mask_result, mask_values
from monthly_fixtures import audit_result, personal_values


@pytest.mark.parametrize("value, keep, name_style, expected", [
    ("测试甲", (1, 0), True, "测**"),
    ("张三", (1, 0), True, "张**"),
    ("欧阳娜娜", (1, 0), True, "欧**"),
    ("13800008000", (3, 4), False, "138****8000"),
    ("0571-88889999", (3, 4), False, "057****9999"),
    ("12345", (3, 4), False, "****"),
    ("999999199003070011", (6, 4), False, "999999****0011"),
    ("99999919900307001X", (6, 4), False, "999999****001X"),
    (" 999999199003070011 ", (6, 4), False, "999999****0011"),
    ("123456789", (6, 4), False, "****"),
])
def test_mask_values(value, keep, name_style, expected):
    masked = mask_values(pd.Series([value]), *keep, name_style=name_style)
    assert masked.iloc[0] == expected


def test_missing_and_empty_values_stay_as_they_are():
    masked = mask_values(pd.Series([None, "", "李四"], dtype=object), 1, 0, name_style=True)
    assert masked.iloc[0] is None and masked.iloc[1] == "" and masked.iloc[2] == "李**"


def test_numbers_read_as_numbers_are_masked_too():
    masked = mask_values(pd.Series([13800008000, None]), 3, 4)
    assert masked.iloc[0] == "138****8000" and masked.iloc[1] is None


def test_free_text_masks_phone_and_id_numbers_only():
    text = pd.Series(["来电13800005678，身份证号99999919900307001X，编号XF2026001234", None])
    masked = mask_free_text(text)
    assert masked.iloc[0] == "来电138****5678，身份证号999999****001X，编号XF2026001234"
    assert masked.iloc[1] is None


@pytest.mark.parametrize("columns", [
    ["petitioner", "petitioner_phone", "petitioner_id_no", "summary"],   # field names
    ["信访人", "联系电话", "证件号码", "主要诉求"],                            # canonical headers
    ["姓名", "手机号码", "身份证号", "反映问题"],                              # aliases
])
def test_mask_frame_recognises_names_headers_and_aliases(columns):
    frame = pd.DataFrame([["王测一", "13800008001", "999999199003070011", "电话13800008001"]],
                         columns=columns)
    masked = mask_frame(frame)
    assert list(masked.iloc[0]) == ["王**", "138****8001", "999999****0011", "电话138****8001"]
    assert frame.iloc[0, 0] == "王测一"  # the input is not changed


def test_mask_frame_leaves_other_columns_and_can_be_turned_off():
    frame = pd.DataFrame({"case_id": ["999999199003070011"], "petitioner": ["王测一"]})
    assert mask_frame(frame)["case_id"].iloc[0] == "999999199003070011"
    assert mask_frame(frame, enabled=False) is frame


def test_mask_result_masks_extract_and_findings_not_the_original():
    result = audit_result()
    masked = mask_result(result)
    text = masked.extract.frame.to_csv() + masked.findings.to_csv()
    assert not [v for v in personal_values() if v in text]
    assert result.extract.frame["petitioner"].iloc[0] == "王测一"
    assert mask_result(result, enabled=False) is result


def test_mask_result_can_leave_the_personal_and_free_text_columns_out_of_the_extract():
    # what `xfaudit check` writes reads none of them: the copy's extract has none to leak
    result = audit_result()
    masked = mask_result(result, drop_from_extract=True)
    kept = set(masked.extract.frame.columns)
    assert not kept & {"petitioner", "petitioner_phone", "petitioner_id_no", "summary",
                       "outcome"}
    assert {"case_id", "handling_unit", "received_on"} <= kept
    text = masked.extract.frame.to_csv() + masked.findings.to_csv()
    assert not [v for v in personal_values() if v in text]
    assert "petitioner" in result.extract.frame.columns          # the original is untouched
    with pytest.raises(ValueError):                  # dropping what personal=False would keep
        mask_result(result, personal=False, drop_from_extract=True)


def test_a_masked_copy_has_the_events_of_the_unmasked_extract():
    # events match later petitions by the petitioner's own name, phone and id: a copy whose
    # names read 王** must not match strangers — it computes them from the original extract
    from accountability_data import LATE, item, run

    rows = [item(n=1, case_id="A", **LATE),
            item(n=1, case_id="B", is_repeat=True, received_on="2026-10-05",
                 routed_on="2026-10-05", unit_received_on="2026-10-05",
                 notice_on="2026-10-05", accepted_on="2026-10-05", concluded_on=None,
                 reply_on=None)]
    result = run(rows)
    masked = mask_result(result, drop_from_extract=True)
    assert "petitioner" not in masked.extract.frame.columns
    pd.testing.assert_frame_equal(masked.events, result.events)
    later = result.events[result.events["event"] == "later"]
    assert list(zip(later["case_id"], later["later_case_id"])) == [("A", "B")]


# -- free text: the forms people write personal data in -----------------------------------

@pytest.mark.parametrize("text, expected", [
    # mobiles: bare, grouped, with the country code in its four forms
    ("电话13912345678", "电话139****5678"),
    ("电话139-1234-5678", "电话139****5678"),
    ("手机139 1234 5678", "手机139****5678"),
    ("手机+86 139 1234 5678", "手机+86 139****5678"),
    ("其妻电话8613912345678", "其妻电话86139****5678"),
    ("+8613912345678", "+86139****5678"),
    ("电话：0086 139 1234 5678", "电话：0086 139****5678"),
    # landlines with an area code
    ("座机0571-87654321", "座机0571-****4321"),
    ("(0571)87654321", "(0571)****4321"),
    ("（0571）87654321", "（0571）****4321"),
    ("010 12345678", "010 ****5678"),
    ("010-1234567", "010-****4567"),
    # id numbers: 18 characters in one piece or in groups, 15 digits
    ("身份证11010119900307123X", "身份证110101****123X"),
    ("身份证号110101 19900307 123X", "身份证号110101****123X"),
    ("身份证号110101-1990-0307-1234", "身份证号110101****1234"),
    ("老身份证110101900307123", "老身份证110101****123"),
    # house numbers after a road, lane, village or estate
    ("住云溪县青石镇幸福路88号3单元502室", "住云溪县青石镇幸福路****"),
    ("家住东风村3组12号", "家住东风村****"),
    ("阳光小区5栋302室", "阳光小区****"),
])
def test_free_text_masks_the_forms_people_write(text, expected):
    assert mask_free_text(pd.Series([text])).iloc[0] == expected


@pytest.mark.parametrize("text", [
    "件号XF2026050000094，与XF2026050000095合并办理",   # case ids glued to letters
    "编号2026050000094",                              # 13 digits: no phone, no id
    "退还押金12345.67元，另有人民币10000000元",          # amounts
    "2026-10-31受理，2026年10月31日答复，10/31回访",      # dates
    "依据云溪信督〔2026〕1号文件",                       # a document number
    "第3组第2次会议，0.5亩土地，3楼会议室",                # counts, no place name before them
])
def test_free_text_leaves_ordinary_numbers_alone(text):
    assert mask_free_text(pd.Series([text])).iloc[0] == text


def test_eighteen_digits_in_one_piece_are_masked_as_an_id_even_without_a_birth_date():
    # the safer side: 18 bare digits are far more often an id number than anything else
    assert mask_free_text(pd.Series(["工单202610310000012345"])).iloc[0] == "工单202610****2345"


def test_the_petitioners_own_name_is_masked_in_the_same_row_only():
    text = pd.Series(["测试甲某称测试甲某的邻居测试乙某", "测试乙某反映", "王五说", None, "李四说"])
    names = pd.Series(["测试甲某", "测试乙某", "王", "测试丙某", None])
    masked = mask_free_text(text, names)
    # row 0: its own name twice, the neighbour (another row's petitioner) stays
    assert masked.tolist() == ["测**称测**的邻居测试乙某", "测**反映", "王五说", None, "李四说"]


def test_mask_frame_uses_the_frames_own_petitioner_column_for_free_text():
    frame = pd.DataFrame({"信访人": ["测试甲某", "测试乙某"],
                          "主要诉求": ["测试甲某反映路灯坏了", "测试甲某的邻居测试乙某反映"]})
    masked = mask_frame(frame)
    assert masked["主要诉求"].tolist() == ["测**反映路灯坏了", "测试甲某的邻居测**反映"]
    assert masked["信访人"].tolist() == ["测**", "测**"]
    kept = mask_frame(frame, personal=False)
    assert kept["信访人"].tolist() == ["测试甲某", "测试乙某"]
    assert kept["主要诉求"].tolist() == masked["主要诉求"].tolist()


def test_mask_result_masks_names_in_findings_through_their_source_row():
    from dataclasses import replace

    result = audit_result()
    frame = result.extract.frame
    row = result.findings["source_row"].iloc[0]
    name = frame.loc[frame["source_row"] == row, "petitioner"].iloc[0]
    findings = result.findings.copy()
    findings["summary"] = findings["summary"].astype(object)
    findings.loc[findings.index[0], "summary"] = f"{name}多次来访"
    seeded = replace(result, findings=findings)
    masked = mask_result(seeded)
    assert masked.findings["summary"].iloc[0] == f"{name[0]}**多次来访"
    only_text = mask_result(seeded, personal=False)
    assert only_text.findings["summary"].iloc[0] == f"{name[0]}**多次来访"
    assert only_text.extract.frame["petitioner"].tolist() == frame["petitioner"].tolist()


def test_free_text_masking_is_vectorised_at_100k_rows():
    # 100k rows, each quoting its own name, a phone, a house number and a case id that stays
    n = 100_000
    names = pd.Series([f"测试{chr(0x4e00 + i % 5000)}{chr(0x4e00 + i * 7 % 3000)}"
                       for i in range(n)])
    text = "反映" + names + "的问题，电话139-1234-" + pd.Series(
        [f"{i % 10000:04d}" for i in range(n)]) + "，住幸福路88号，件号XF2026050000094"
    masked = mask_free_text(text, names)
    assert masked.iloc[12345] == "反映测**的问题，电话139****2345，住幸福路****，件号XF2026050000094"
    assert not masked.str.contains("1234-").any()
