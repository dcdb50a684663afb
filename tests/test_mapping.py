"""Mapping files: aliases, value rules, strict keys, Chinese errors, warnings for lines that
match nothing; and what `xfaudit load` explains about a mapping."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from xfaudit.errors import MappingError
from xfaudit.load import load_extract
from xfaudit.mapping import read_mapping_spec

FILES = Path(__file__).parent / "files"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def ledger(tmp_path):
    return write(tmp_path / "ledger.csv",
                 "信访件编号,收到日期,最后一次办理去向,是否全国初次信访,满意值,承办人\n"
                 "A1,2026-09-01,青禾县石桥镇人民政府,是,0,测试甲\n"
                 "A2,2026-09-02,青禾县城关镇人民政府,否,3,测试乙\n"
                 "A3,2026-09-03,青禾县住房和城乡建设局,否,1,测试丙\n")


def test_value_rules_map_local_codes(tmp_path, ledger):
    mapping = write(tmp_path / "m.toml", """
[aliases]
"是否全国初次信访" = "is_repeat"
"满意值" = "满意度"

[values.is_repeat]     # 是 = a first petition, not a repeat
"是" = false
"否" = true

[values.satisfaction]
"0" = "满意"
"1" = "基本满意"
"3" = "不满意"
""")
    frame = load_extract(ledger, mapping=mapping).frame
    assert frame["is_repeat"].tolist() == [False, True, True]
    assert frame["satisfaction"].tolist() == ["满意", "不满意", "基本满意"]


def test_value_rule_for_a_text_field_and_an_alias_target(tmp_path, ledger):
    mapping = write(tmp_path / "m.toml", """
[values.handling_unit]
"青禾县石桥镇人民政府" = "石桥镇"
[values.satisfaction]
"待定" = "待评价"
""")
    extract = load_extract(ledger, mapping=mapping)
    assert extract.frame["handling_unit"].iloc[0] == "石桥镇"
    assert read_mapping_spec(mapping).values["satisfaction"] == {"待定": "未评价"}


@pytest.mark.parametrize("text, words", [
    ('[values.handling_unt]\n"a" = "b"\n', ["handling_unt", "handling_unit（责任单位）"]),
    ('[aliases]\n"x" = "handling_unt"\n', ["handling_unt", "case_id（信访件编号）"]),
    ('[alias]\n"x" = "case_id"\n', ["alias", "aliases"]),
    ('[aliases]\n"x" = "case_id"\n[values]\nfoo = 1\n', ["values.foo", "表"]),
    ('[values.received_on]\n"x" = "y"\n', ["日期字段不能设置取值规则"]),
    ('[values.satisfaction]\n"x" = "很好"\n', ["很好", "基本满意"]),
    ('[values.is_repeat]\n"x" = "也许"\n', ["true"]),
    ('[values.people_count]\n"x" = "三"\n', ["非负整数"]),
    ('"来件日期" = "received_on"\n', ["[aliases]", "来件日期"]),
])
def test_bad_mapping_files_name_file_key_and_what_is_known(tmp_path, text, words):
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(MappingError) as info:
        read_mapping_spec(path)
    message = str(info.value)
    assert "bad.toml" in message
    for word in words:
        assert word in message


def test_typographic_quotes_get_a_chinese_hint(tmp_path):
    path = write(tmp_path / "q.toml", "[aliases]\n“最后一次办理去向” = “handling_unit”\n")
    with pytest.raises(MappingError) as info:
        read_mapping_spec(path)
    assert "第2行" in str(info.value) and "中文引号" in str(info.value)


def test_gbk_mapping_file_is_read(tmp_path, ledger):
    path = write(tmp_path / "gbk.toml", '[aliases]\n"承办人" = "petitioner"\n', "gbk")
    assert load_extract(ledger, mapping=path).report.mapping["承办人"] == "petitioner"


def test_txt_mapping_names_toml_and_yaml(tmp_path):
    path = write(tmp_path / "m.txt", "[aliases]\n")
    with pytest.raises(MappingError, match=r"\.toml（或 \.yaml）"):
        read_mapping_spec(path)


def test_yaml_mapping_with_value_rules(tmp_path, ledger):
    path = write(tmp_path / "m.yaml", "aliases:\n  是否全国初次信访: is_repeat\n"
                                      "values:\n  is_repeat:\n    是: false\n    否: true\n")
    assert load_extract(ledger, mapping=path).frame["is_repeat"].tolist() == [False, True, True]


def test_missing_file_lists_the_built_in_mappings(tmp_path):
    with pytest.raises(MappingError, match="ningbo"):
        read_mapping_spec(tmp_path / "nope.toml")


def test_a_line_matching_no_column_is_a_warning(tmp_path, ledger):
    mapping = write(tmp_path / "m.toml", '[aliases]\n"最后一次办理去处" = "handling_unit"\n'
                                         '[values.petitioner_id_no]\n"x" = "y"\n')
    report = load_extract(ledger, mapping=mapping).report
    assert any("「最后一次办理去处」" in w and "没有对应的列" in w for w in report.warnings)
    assert any("[values.petitioner_id_no]" in w for w in report.warnings)


def test_check_prints_the_warning(tmp_path, ledger):
    mapping = write(tmp_path / "m.toml", '[aliases]\n"最后一次办理去处" = "handling_unit"\n')
    proc = subprocess.run([sys.executable, "-m", "xfaudit.cli", "check", str(ledger), "--mapping",
                           str(mapping), "--as-of", "2026-10-31", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "最后一次办理去处" in proc.stdout


# -- xfaudit load explains ------------------------------------------------------------------

def test_load_prints_the_mapping_table_missing_fields_and_unit_column(tmp_path):
    ledger = write(tmp_path / "l.csv", "信访件编号,收到日期,去向,受理日期\n"
                                       "A1,2026-09-01,青禾县石桥镇人民政府,2026-09-05\n"
                                       "A2,2026-09-02,青禾县城关镇人民政府,2026-09-06\n"
                                       "A3,2026-09-03,青禾县公安局,2026-09-07\n")
    proc = subprocess.run([sys.executable, "-m", "xfaudit.cli", "load", str(ledger)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "A 信访件编号 → case_id → 信访件编号" in out
    assert "D 受理日期 → accepted_on → 受理日期" in out
    assert "未使用的列：去向" in out
    # 办结日期 missing: HANDLING_OVERDUE (needs accepted_on, concluded_on) and REPLY_MISSING
    assert "缺少「办结日期」（concluded_on），无法评估：办理超期、未出具书面答复" in out
    assert "可能的责任单位列" in out and "第C列「去向」" in out
    assert '"去向" = "handling_unit"' in out


def test_ingest_report_html_and_dict(tmp_path, ledger):
    report = load_extract(ledger).report
    page = report._repr_html_()
    assert "表头映射" in page and "本地表头" in page and "因此无法评估的检查" in page
    for junk in ("None", "NaN", "nan", "<NA>", "NaT"):
        assert junk not in page
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
    for key in ("path", "mapping", "unknown_columns", "absent_fields", "columns",
                "disabled_checks", "unit_candidates", "warnings", "tables", "mapping_source"):
        assert key in data
    assert data["columns"][0] == {"column": "A", "header": "信访件编号", "fields": "case_id",
                                  "names": "信访件编号", "use": "已使用"}
