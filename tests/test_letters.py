"""Letters and the circular: 公文 layout (GB/T 9704-2012) in the document XML, a short body with
the case list in a 附件, no personal data anywhere, PDF conversion with LibreOffice (skipped
when soffice is absent)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from accountability_data import BUREAU
from accountability_data import docx_document as document
from accountability_data import docx_parts as parts
from accountability_data import month_rows, personal_values, run
from xfaudit import letters
from xfaudit.recommend import recommend

#: Allowed East Asian fonts of runs (公文: title, body, headings; page numbers).
GONGWEN_FONTS = {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"}
CONFIG = {**BUREAU, "policy": {"min_items": 4, "min_units": 2, "repeat_share": 0.3,
                               "volume_share": 1.0}}


@pytest.fixture(scope="module")
def month():
    rows = month_rows()
    result = run(rows, bureau="云溪县信访局")
    recs = recommend(result, config=CONFIG)
    return rows, result, recs


@pytest.fixture(scope="module")
def written(month, tmp_path_factory):
    _, result, recs = month
    out = tmp_path_factory.mktemp("letters")
    recs.items[0].doc_no = letters.doc_number("云溪信督", 2026, 12)
    docs = letters.write_letters(recs, result, out / "letters", config=CONFIG)
    circular = letters.write_circular(result, out / "通报.docx", recommendations=recs,
                                      config=CONFIG)
    return {"letters": docs, "circular": circular, "out": out}


def all_paths(written) -> list[Path]:
    return [l.path for l in written["letters"]] + [written["circular"]]


def text_of(path: Path) -> str:
    """The visible text of the main document part, in order."""
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", document(path)))


def body_and_attachment(path: Path) -> tuple[str, str]:
    """The text before the 附件 page and the text of the attachment."""
    xml = document(path)
    at = xml.index('<w:br w:type="page"/>')
    texts = [re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", part) for part in (xml[:at], xml[at:])]
    return "".join(texts[0]), "".join(texts[1])


def by_kind(written, kind: str) -> Path:
    return next(l.path for l in written["letters"] if l.kind == kind)


def test_one_letter_per_unit_and_recommendation(month, written):
    _, _, recs = month
    kinds = [l.kind for l in written["letters"]]
    assert kinds.count("improvement") == len(recs.of_kind("improvement")) >= 2
    assert len({l.unit for l in written["letters"] if l.kind == "improvement"}) == \
        kinds.count("improvement")
    assert kinds.count("policy") == 1 and kinds.count("sanction") == 1
    names = sorted(p.name for p in (written["out"] / "letters").iterdir())
    assert any("草稿_追究责任建议_白沙街道" in n for n in names)
    assert any("完善政策建议_征地拆迁" in n for n in names)


def test_every_run_has_an_east_asian_gongwen_font(written):
    for path in all_paths(written):
        xml = document(path)
        runs = re.findall(r"<w:r>(.*?)</w:r>", xml, flags=re.S)
        assert runs
        for run_xml in runs:
            if "<w:t" not in run_xml or "<w:drawing" in run_xml:
                continue
            fonts = re.search(r'<w:rFonts [^>]*w:eastAsia="([^"]+)"', run_xml)
            assert fonts and fonts.group(1) in GONGWEN_FONTS, (path.name, run_xml[:200])
        assert 'w:eastAsia="方正小标宋简体"' in xml and '<w:sz w:val="44"/>' in xml  # 22pt
        assert 'w:eastAsia="仿宋_GB2312"' in xml and '<w:sz w:val="32"/>' in xml     # 16pt


def test_page_is_a4_with_gongwen_margins_and_a_28_by_22_grid(written):
    xml = document(written["letters"][0].path)
    sect = re.search(r"<w:sectPr.*?</w:sectPr>", xml, re.S).group(0)
    size = re.search(r'<w:pgSz w:w="(\d+)" w:h="(\d+)"', sect)
    assert (int(size.group(1)), int(size.group(2))) in {(11906, 16838), (11905, 16837)}
    margins = dict(re.findall(r'w:(top|bottom|left|right)="(\d+)"',
                              re.search(r"<w:pgMar[^>]*>", sect).group(0)))
    for side, mm in {"top": 37, "bottom": 35, "left": 28, "right": 26}.items():
        assert abs(int(margins[side]) - mm / 25.4 * 1440) <= 1, side
    # 22 lines of 28.95 pt on the 225 mm type area; 28 characters on its 156 mm (442.2 pt):
    # pitch 442.2 / 28 = 15.793 pt, 0.207 pt under the 16 pt body size = 848/4096 pt
    grid = re.search(r"<w:docGrid [^>]*/>", sect).group(0)
    assert 'w:type="linesAndChars"' in grid and 'w:linePitch="579"' in grid
    assert 'w:charSpace="-848"' in grid
    # the body text carries the spacing that sets 28 characters (and not 29) on a line of
    # 156 mm = 8844 twips: 28 × (320 − 6) = 8792 ≤ 8844 < 29 × 314 = 9106
    styles = parts(written["letters"][0].path)["word/styles.xml"]
    normal = re.search(r'<w:style w:type="paragraph" w:default="1".*?</w:style>', styles,
                       re.S).group(0)
    assert '<w:spacing w:val="-6"/>' in normal


def test_styles_have_no_theme_fonts_and_chinese_language(written):
    p = parts(written["letters"][0].path)
    for name in ("word/styles.xml", "word/stylesWithEffects.xml"):
        assert "Theme=" not in p[name] and "cstheme" not in p[name]
    assert 'w:eastAsia="zh-CN"' in p["word/styles.xml"]


def test_a_letter_uses_the_letter_format(written):
    path = by_kind(written, "improvement")
    p = parts(path)
    xml = p["word/document.xml"]
    sect = re.search(r"<w:sectPr.*?</w:sectPr>", xml, re.S).group(0)
    assert "<w:titlePg/>" in sect
    assert re.search(r'w:header="1701"', sect)                    # 30 mm from the page top
    first = next(v for k, v in p.items() if k.startswith("word/header")
                 and "云溪县信访局" in v)
    assert 'w:color="E60012"' in first and 'w:val="thickThinSmallGap"' in first
    footers = [v for k, v in p.items() if k.startswith("word/footer")]
    assert any('w:val="thinThickSmallGap"' in f and "PAGE" not in f for f in footers)
    # the body opens with the 发文字号 at the right edge of the type area
    number = re.search(r"<w:p>.*?</w:p>", xml[xml.index("<w:body>"):], re.S).group(0)
    assert '<w:jc w:val="right"/>' in number and "云溪信督〔2026〕" in number


def test_the_circular_uses_the_file_format(written):
    xml = document(written["circular"])
    head = re.search(r"<w:p>.*?</w:p>", xml[xml.index("<w:body>"):], re.S).group(0)
    assert "云溪县信访局文件" in head and '<w:color w:val="E60012"/>' in head
    assert 'w:before="1984"' in head                             # 35 mm below the type area
    assert re.search(r'w:bottom w:val="single" w:sz="12" w:space="11" w:color="E60012"', xml)


def test_the_case_list_is_in_the_attachment_and_never_in_the_text(month, written):
    _, _, recs = month
    for rec in recs.of_kind("improvement"):
        path = next(l.path for l in written["letters"] if l.recommendation == rec.id)
        body, attachment = body_and_attachment(path)
        assert f"附件：{rec.unit}信访事项问题清单" in body
        assert not [c for c in rec.case_ids if c in body]
        assert all(c in attachment for c in rec.case_ids)
        for header in letters.CASE_TABLE_HEADERS:
            assert header in attachment
        assert "依据（《信访工作条例》）：" in attachment
    first = next(l.path for l in written["letters"] if l.unit == "白沙街道"
                 and l.kind == "improvement")
    assert "2026.07.31" in body_and_attachment(first)[1]          # table dates: 2026.07.31


def test_the_body_quotes_the_article_counts_by_type_and_sets_the_deadline(written):
    text = text_of(by_kind(written, "improvement"))
    assert "《信访工作条例》第四十条第一款规定：“党委和政府信访部门发现有关机关、单位" in text
    assert "按问题类型分：" in text
    assert "请于2026年12月2日前将整改落实和建议采纳情况书面反馈我局" in text
    assert "第四十条第四款：“对信访部门提出的改进工作" in text


def test_dates_in_prose_are_written_in_chinese(written):
    for path in all_paths(written):
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text_of(path)), path.name


def test_signature_contact_line_and_copies(written):
    xml = document(by_kind(written, "improvement"))
    text = text_of(by_kind(written, "improvement"))
    assert "云溪县信访局" in text and "2026年11月2日" in text     # Monday after Sat 10-31
    assert "（联系人：测试联系人；联系电话：0000-00000000）" in text
    box = re.search(r"<w:txbxContent>.*?</w:txbxContent>", xml, re.S).group(0)
    assert "抄送：云溪县人民政府办公室，云溪县纪委监委。" in box and "印发" not in box
    assert '<wp:align>bottom</wp:align>' in xml                  # 版记 at the foot of the page
    circular = document(written["circular"])
    box = re.search(r"<w:txbxContent>.*?</w:txbxContent>", circular, re.S).group(0)
    assert "云溪县信访局" in box and "2026年11月2日印发" in box
    assert box.count('w:sz="8"') == 2 and 'w:sz="4"' in box      # thick, thin, thick


def test_titles_break_by_meaning(written):
    xml = document(written["circular"])
    title = re.search(r"<w:p>(?:(?!</w:p>).)*关于2026年10月云溪县.*?</w:p>", xml, re.S).group(0)
    assert re.search(r"关于2026年10月云溪县</w:t>.*?<w:br/>.*?信访事项办理情况的通报", title, re.S)


def test_drafts_carry_no_number_until_given_one(month, written):
    _, _, recs = month
    first, second = written["letters"][0], written["letters"][1]
    assert "云溪信督〔2026〕12号" in document(first.path) and first.doc_no
    assert "云溪信督〔2026〕\u3000\u3000号" in document(second.path) and second.draft
    assert "云溪信督〔2026〕\u3000\u3000号" in document(written["circular"])


def test_no_letter_carries_personal_data_or_the_summary(month, written):
    rows, _, _ = month
    secrets = personal_values(rows) | {r["summary"] for r in rows}
    assert len(secrets) > 60
    for path in all_paths(written):
        text = "\n".join(parts(path).values())
        leaked = [s for s in secrets if s in text]
        assert not leaked, (path.name, leaked[:3])


def test_sanction_draft_lists_each_fact_with_its_id_and_date(written):
    draft = by_kind(written, "sanction")
    text = text_of(draft)
    assert "草稿（供审核" in text and "行为：" in text and "后果：" in text
    assert "拖延——办理超期，超过期限92日" in text
    assert "同一信访人就同一事项于2026年10月12日再次信访（信访件编号 XF00029）" in text
    assert "待核实：越级上访（待核实）" in text                     # the undated 越级 flag
    assert "追究责任" in text and "草稿" in parts(draft)["docProps/core.xml"]


def test_policy_letter_states_the_pattern(written):
    text = text_of(by_kind(written, "policy"))
    assert "中共云溪县委、云溪县人民政府：" in text and "重复信访率" in text and "预警线" in text


def test_circular_ranks_real_units_and_names_overdue_units(written):
    text = text_of(written["circular"])
    assert "各单位排名" in text and "排名依据" in text
    assert "以下单位存在超期未办结事项" in text and "白沙街道（1件）" in text
    for unit in ("青石镇", "白沙街道", "东湖乡", "西岭镇"):
        assert unit in text
    assert "（未填写单位）" not in text


def test_circular_takes_a_given_ranking_without_pseudo_units(month, tmp_path):
    _, result, _ = month
    ranking = pd.DataFrame({"排名": [1, 2, 3], "责任单位": ["西岭镇", "（未填写单位）", "青石镇"],
                            "按期办结率(%)": [100.0, 90.0, 87.5]})
    path = letters.write_circular(result, tmp_path / "c.docx", ranking=ranking,
                                  ranking_rule="按期办结率高者在前", config=CONFIG)
    text = text_of(path)
    assert "87.5" in text and "按期办结率(%)" in text and "按期办结率高者在前" in text
    assert "（未填写单位）" not in text and "100" in text and "100.0" not in text


def test_circular_labels_the_report_ranking_rule_once(month, tmp_path):
    # the monthly run passes indicators.ranking_rule_text(), which reads "排序规则：依次按…"
    from xfaudit import indicators

    _, result, _ = month
    ranking = pd.DataFrame({"排名": [1], "责任单位": ["西岭镇"], "按期办结率(%)": [100.0]})
    path = letters.write_circular(result, tmp_path / "c.docx", ranking=ranking,
                                  ranking_rule=indicators.ranking_rule_text(), config=CONFIG)
    text = text_of(path)
    assert "排名依据：依次按" in text
    assert "排序规则" not in text


def test_output_is_byte_for_byte_reproducible(month, tmp_path):
    _, result, recs = month
    a = letters.write_letters(recs, result, tmp_path / "a", config=CONFIG)
    b = letters.write_letters(recs, result, tmp_path / "b", config=CONFIG)
    assert [x.path.read_bytes() for x in a] == [y.path.read_bytes() for y in b]
    assert "2026-11-02T09:00:00Z" in parts(a[0].path)["docProps/core.xml"]


def test_letter_converts_to_pdf_with_chinese_text(month, written, tmp_path):
    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        pytest.skip("LibreOffice (soffice) / pdftotext 未安装")
    _, _, recs = month
    letter = next(l for l in written["letters"] if l.kind == "improvement")
    pdf = letters.to_pdf([letter.path], tmp_path)[0]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", letter.title) in flat
    rec = next(r for r in recs if r.id == letter.recommendation)
    assert rec.case_ids[0] in flat and "信访件编号" in flat
