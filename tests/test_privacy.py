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
