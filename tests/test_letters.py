"""Letters and the circular: 公文 layout in the document XML, no personal data anywhere, one
PDF conversion with LibreOffice (skipped when soffice is absent)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from accountability_data import docx_document as document
from accountability_data import docx_parts as parts
from accountability_data import month_rows, personal_values, run
from xfaudit import letters
from xfaudit.recommend import recommend

#: Allowed East Asian fonts of runs (公文: title, body, headings; page numbers).
GONGWEN_FONTS = {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"}
POLICY = {"policy": {"min_items": 4, "min_units": 2, "repeat_share": 0.3,
                     "volume_share": 1.0}}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def month():
    rows = month_rows()
    result = run(rows)
    recs = recommend(result, config=POLICY)
    return rows, result, recs


@pytest.fixture(scope="module")
def written(month, tmp_path_factory):
    _, result, recs = month
    out = tmp_path_factory.mktemp("letters")
    recs.items[0].doc_no = letters.doc_number("云溪信督", 2026, 12)
    docs = letters.write_letters(recs, result, out / "letters", config=POLICY)
    circular = letters.write_circular(result, out / "通报.docx", recommendations=recs,
                                      config=POLICY, doc_no=letters.doc_number("云溪信督", 2026, 13))
    return {"letters": docs, "circular": circular, "out": out}


def all_paths(written) -> list[Path]:
    return [l.path for l in written["letters"]] + [written["circular"]]


def test_one_letter_per_recommendation_of_each_kind(month, written):
    _, _, recs = month
    kinds = [l.kind for l in written["letters"]]
    assert kinds.count("improvement") == len(recs.of_kind("improvement")) >= 2
    assert kinds.count("policy") == 1 and kinds.count("sanction") == 1
    names = sorted(p.name for p in (written["out"] / "letters").iterdir())
    assert any("草稿_追究责任建议_白沙街道" in n for n in names)
    assert any("完善政策建议_征地拆迁" in n for n in names)


def test_every_run_has_an_east_asian_gongwen_font(written):
    for path in all_paths(written):
        xml = document(path)
        runs = re.findall(r"<w:r>(.*?)</w:r>", xml, flags=re.S)
        assert runs
        for run in runs:
            if "<w:t" not in run:
                continue
            fonts = re.search(r'<w:rFonts [^>]*w:eastAsia="([^"]+)"', run)
            assert fonts and fonts.group(1) in GONGWEN_FONTS, (path.name, run[:200])
        assert 'w:eastAsia="方正小标宋简体"' in xml and '<w:sz w:val="44"/>' in xml  # 22pt
        assert 'w:eastAsia="仿宋_GB2312"' in xml and '<w:sz w:val="32"/>' in xml     # 16pt


def test_page_is_a4_with_gongwen_margins(written):
    sect = re.search(r"<w:sectPr.*?</w:sectPr>", document(written["letters"][0].path), re.S)
    size = re.search(r'<w:pgSz w:w="(\d+)" w:h="(\d+)"', sect.group(0))
    assert (int(size.group(1)), int(size.group(2))) in {(11906, 16838), (11905, 16837)}
    margins = dict(re.findall(r'w:(top|bottom|left|right)="(\d+)"',
                              re.search(r"<w:pgMar[^>]*>", sect.group(0)).group(0)))
    expected = {"top": 37, "bottom": 35, "left": 28, "right": 26}
    for side, mm in expected.items():
        assert abs(int(margins[side]) - mm / 25.4 * 1440) <= 1, side


def test_styles_have_no_theme_fonts_and_chinese_language(written):
    p = parts(written["letters"][0].path)
    for name in ("word/styles.xml", "word/stylesWithEffects.xml"):
        assert "Theme=" not in p[name] and "cstheme" not in p[name]
    assert 'w:eastAsia="zh-CN"' in p["word/styles.xml"]


def test_case_table_header_repeats_and_rows_stay_whole(written):
    xml = document(written["letters"][0].path)
    assert xml.count("<w:tblHeader/>") >= 1 and "<w:cantSplit/>" in xml
    for header in letters.CASE_TABLE_HEADERS:
        assert header in xml
    widths = re.findall(r'<w:gridCol w:w="(\d+)"/>', xml)
    assert len(widths) == 6 and re.search(r"<w:tcW w:type=\"dxa\" w:w=\"\d+\"/>", xml)


def test_document_number_addressee_signature_and_date(month, written):
    _, _, recs = month
    first = document(written["letters"][0].path)
    assert "云溪信督〔2026〕12号" in first
    assert f"{recs.items[0].unit}：" in first
    assert "云溪县信访局" in first and "2026年11月1日" in first
    for path in all_paths(written):
        assert re.search(r"云溪信督〔2026〕", document(path))
    assert "云溪信督〔2026〕13号" in document(written["circular"])


def test_no_letter_carries_personal_data_or_the_summary(month, written):
    rows, _, _ = month
    secrets = personal_values(rows) | {r["summary"] for r in rows}
    assert len(secrets) > 60
    for path in all_paths(written):
        text = "\n".join(parts(path).values())
        leaked = [s for s in secrets if s in text]
        assert not leaked, (path.name, leaked[:3])


def test_sanction_draft_is_marked_and_shows_behaviour_and_consequence(written):
    draft = next(l.path for l in written["letters"] if l.kind == "sanction")
    xml = document(draft)
    assert "草稿（供审核" in xml and "行为：" in xml and "后果：" in xml
    assert "拖延" in xml and "越级上访" in xml and "追究责任" in xml
    assert "草稿" in parts(draft)["docProps/core.xml"]


def test_policy_letter_states_the_pattern(written):
    policy = next(l.path for l in written["letters"] if l.kind == "policy")
    xml = document(policy)
    assert "中共云溪县委、云溪县人民政府：" in xml and "重复信访率" in xml and "预警线" in xml


def test_circular_ranks_units_and_names_overdue_units(written):
    xml = document(written["circular"])
    assert "各单位排名" in xml and "排名依据" in xml
    assert "以下单位存在超期未办结事项" in xml and "白沙街道（1件）" in xml
    for unit in ("青石镇", "白沙街道", "东湖乡", "西岭镇"):
        assert unit in xml


def test_circular_takes_a_given_ranking(month, tmp_path):
    _, result, _ = month
    ranking = pd.DataFrame({"排名": [1, 2], "责任单位": ["西岭镇", "青石镇"],
                            "按期办结率(%)": [100.0, 87.5]})
    xml = document(letters.write_circular(result, tmp_path / "c.docx", ranking=ranking,
                                          ranking_rule="按期办结率高者在前"))
    assert "87.5" in xml and "按期办结率(%)" in xml and "按期办结率高者在前" in xml
    assert "排名依据：各单位履职问题数" not in xml


def test_output_is_byte_for_byte_reproducible(month, tmp_path):
    _, result, recs = month
    a = letters.write_letters(recs, result, tmp_path / "a", config=POLICY)
    b = letters.write_letters(recs, result, tmp_path / "b", config=POLICY)
    assert [x.path.read_bytes() for x in a] == [y.path.read_bytes() for y in b]
    core = parts(a[0].path)["docProps/core.xml"]
    assert "2026-11-01T09:00:00Z" in core


def test_letter_converts_to_pdf_with_chinese_text(month, written, tmp_path):
    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        pytest.skip("LibreOffice (soffice) / pdftotext 未安装")
    _, _, recs = month
    letter = written["letters"][0]
    pdf = letters.to_pdf([letter.path], tmp_path)[0]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", letter.title) in flat
    assert recs.items[0].case_ids[0] in flat and "信访件编号" in flat
