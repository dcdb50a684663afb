"""Per-county outputs of a provincial audit (`xfaudit check --by-county`, issue 14): the county
read from 问题属地 / 所属县区, each county's workbook holding exactly its rows' findings (a 信访件编号
shared across two counties is a duplicate in both), the counties adding up to the province,
the chunked engine giving the same county files, and letters only for a configured county
bureau, under its own name, with its registers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from scale_data import (AS_OF, CITY_UNIT, COUNTIES, FOLDER, counties_csv as _ledger,
                        sheet_rows)
from xfaudit.errors import ConfigError
from xfaudit.run import run_check
from xfaudit.schema import county_name

# ---------------------------------------------------------------------------------------------
# Reading the county of a cell
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell, county", [
    # with the prefecture when the path names one: two prefectures of a province may each
    # have a county of one name (石家庄市桥西区, 张家口市桥西区)
    ("河北省保定市涞水县", "保定市涞水县"),
    ("河北省石家庄市桥西区", "石家庄市桥西区"),
    ("河北省张家口市桥西区", "张家口市桥西区"),
    ("江苏省无锡市无锡新区旺庄街道办事处", "无锡市无锡新区"),    # a 新区 is county-level
    ("浙江省宁波市余姚市梨洲街道", "宁波市余姚市"),            # a county-level city
    ("宁波市海曙区石碶街道", "宁波市海曙区"),                 # no province
    ("江苏省苏州市工业园区", "苏州市工业园区"),               # a 园区 of a prefecture
    ("安徽省黄山市黄山风景区", "黄山市黄山风景区"),
    ("山东省济南市市中区", "济南市市中区"),                  # a district called 市中
    ("湖北省荆州市沙市区", "荆州市沙市区"),                  # 沙市 goes on: 沙市区
    ("新疆维吾尔自治区乌鲁木齐市新市区", "乌鲁木齐市新市区"),
    ("四川省成都市崇州市街子镇", "成都市崇州市"),             # then a town starting with 街
    ("湖南省长沙市浏阳市镇头镇", "长沙市浏阳市"),             # then a town starting with 镇
    ("河北省保定市涞水县乡镇企业局", "保定市涞水县"),          # then a bureau starting with 乡
    ("河北省雄安新区容城县", "雄安新区容城县"),               # a county a 新区 administers
    ("四川省凉山彝族自治州木里藏族自治县", "凉山彝族自治州木里藏族自治县"),
    ("山西省临汾市乡宁县", "临汾市乡宁县"),                  # 乡 inside a county's name
    ("甘肃省临夏回族自治州东乡族自治县", "临夏回族自治州东乡族自治县"),
    ("河南省南阳市镇平县", "南阳市镇平县"),                  # 镇 starting a county's name
    ("浙江省义乌市佛堂镇某工业区", "义乌市"),                # a town's 工业区 is no county
    ("河北省/保定市/涞水县", "保定市涞水县"),                # separators between the levels
    ("河北省>保定市>涞水县", "保定市涞水县"),
    ("河北省，保定市，涞水县", "保定市涞水县"),
    ("河北省保定市（涞水县）", "保定市涞水县"),
    # without a prefecture: the county alone
    ("北京市朝阳区", "朝阳区"),                          # a municipality's district
    ("上海市浦东新区", "浦东新区"),
    ("余姚市梨洲街道", "余姚市"),                        # the city is the county level
    ("青禾县石桥镇", "青禾县"),
    ("广东省东莞市南城街道", "东莞市"),                   # a prefecture without counties
    ("江苏省无锡市", "无锡市"),
    (" 云溪县 ", "云溪县"),
    # no county-level name: kept as typed, never guessed; blank is nothing
    ("石桥镇", "石桥镇"),
    ("石桥镇某社区", "石桥镇某社区"),                     # 社区 is no 区
    ("新市镇", "新市镇"),                              # 新市 goes on as a township
    ("石桥镇工业园区", "石桥镇工业园区"),                  # a township's 园区
    ("河北保定涞水县", "河北保定涞水县"),                  # no level suffixes to cut at
    ("\u3000", None),
])
def test_the_county_of_an_administrative_path(cell, county):
    assert county_name(cell) == county


def test_问题属地_is_read_as_the_county(tmp_path):
    frame = _ledger(tmp_path, rows=20).frame
    loaded = _load(frame)
    expected = [COUNTIES[i % len(COUNTIES)] for i in range(len(frame))]
    # 河北省保定市涞水县石桥镇 → 保定市涞水县; an empty cell stays empty
    assert list(loaded["county"]) == [{"河北省保定市涞水县石桥镇": "保定市涞水县",
                                       "河北省保定市易县": "保定市易县", "": None}[c]
                                      for c in expected]


# ---------------------------------------------------------------------------------------------
# A ledger of two counties and rows without one
# ---------------------------------------------------------------------------------------------

def _load(frame: pd.DataFrame) -> pd.DataFrame:
    from xfaudit.load import load_extract

    path = Path(__import__("tempfile").mkdtemp()) / "t.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return load_extract(path).frame


def _county_of_row(frame: pd.DataFrame) -> dict[int, str]:
    """source_row → the county folder (row 1 is the header: record i is row i + 2)."""
    return {i + 2: FOLDER[c] for i, c in enumerate(frame["问题属地"])}


def _findings_rows(path: Path) -> list[tuple]:
    """(信访件编号, 检查项编号, 台账行号) of a findings sheet."""
    rows = sheet_rows(path, "全部问题")
    head = rows[0]
    at = [head.index(h) for h in ("信访件编号", "检查项编号", "台账行号")]
    return sorted(tuple(r[i] for i in at) for r in rows[1:] if any(r))


def _configure(folder: Path, county: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "bureau.toml").write_text(
        f'[bureau]\nissuer = "{county}信访局"\nissuer_code = "{county[:2]}信督"\n'
        f'government = "{county}人民政府"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    folder = tmp_path_factory.mktemp("province")
    ledger = _ledger(folder)
    configs = folder / "县区配置"
    _configure(configs / "保定市涞水县", "涞水县")
    out = run_check(ledger.path, out_dir=folder / "out", as_of=AS_OF, by_county=True,
                    counties=configs)
    return ledger, out, folder / "out", configs


def test_each_county_workbook_holds_exactly_its_rows_findings(province):
    ledger, out, folder, _ = province
    whole = pd.read_csv(folder / "findings.csv", dtype=str, keep_default_na=False)
    county = _county_of_row(ledger.frame)
    for name in ("保定市涞水县", "保定市易县", "（县区未填写）"):
        mine = whole[whole["source_row"].astype(int).map(county) == name]
        expected = sorted(zip(mine["case_id"], mine["check_id"], mine["source_row"].astype(int)))
        assert _findings_rows(folder / "县区" / name / "findings.xlsx") == expected, name
    assert sum(c.findings for c in out.counties) == len(whole)


def test_an_id_shared_by_two_counties_is_a_duplicate_in_both(province):
    ledger, _, folder, _ = province
    frame = ledger.frame
    ids = frame["信访件编号"]
    body = frame.drop(columns=[]).astype(str)
    distinct = body[~body.duplicated()]                    # a pasted copy is not a second row
    counts = distinct.loc[distinct["信访件编号"] != "", "信访件编号"].value_counts()
    shared = [i for i in counts[counts > 1].index
              if len({FOLDER[c] for c in frame.loc[ids == i, "问题属地"]}) > 1]
    assert shared, "the synthetic month has an id in two counties"
    for case_id in shared:
        for place in set(frame.loc[ids == case_id, "问题属地"]):
            found = _findings_rows(folder / "县区" / FOLDER[place] / "findings.xlsx")
            assert (case_id, "DATA_DUPLICATE_ID") in {(a, b) for a, b, _ in found}, case_id


def test_the_county_summary_counts_its_rows(province):
    ledger, _, folder, _ = province
    per = ledger.frame["问题属地"].map(FOLDER).value_counts()
    for name in ("保定市涞水县", "保定市易县", "（县区未填写）"):
        summary = json.loads((folder / "县区" / name / "summary.json").read_text("utf-8"))
        assert summary["county"] == name
        assert summary["rows"]["audited"] == per[name]
        assert sheet_rows(folder / "县区" / name / "findings.xlsx", "汇总")[0][0].startswith(
            f"信访事项办理情况审计汇总（{name}，审计日")


def test_letters_only_for_the_configured_county_under_its_own_name(province):
    ledger, out, folder, configs = province
    counties = {c.name: c for c in out.counties}
    assert counties["保定市涞水县"].letters > 0
    assert counties["保定市易县"].letters == 0
    assert "县区配置目录中没有 保定市易县/bureau.toml" in counties["保定市易县"].note
    assert counties["（县区未填写）"].letters == 0
    assert not (folder / "县区" / "保定市易县" / "letters").exists()
    circular = Document(folder / "县区" / "保定市涞水县" / "通报.docx")
    text = "\n".join(p.text for p in circular.paragraphs)
    assert "涞水县信访局" in text and "易县" not in text
    # its registers are the county bureau's, published with the run, and hold only its rows
    registers = configs / "保定市涞水县" / "registers"
    history = pd.read_csv(registers / "问题记录.csv", dtype=str)
    assert set(history["period"]) == {AS_OF[:7]}
    mine = {i for i, c in zip(ledger.frame["信访件编号"], ledger.frame["问题属地"])
            if FOLDER[c] == "保定市涞水县"}
    assert set(history["case_id"]) <= mine
    assert not (folder / "县区" / "保定市涞水县" / ".registers").exists()


def test_a_unit_named_in_several_counties_gets_no_county_letter(province):
    """保定市交通运输局 handles items of both counties (a city department) with findings of this
    month in each: 涞水县's bureau lists it 待核实 and writes it no letter; its own units
    (涞水县…) get theirs."""
    ledger, out, folder, configs = province
    whole = pd.read_csv(folder / "findings.csv", dtype=str, keep_default_na=False)
    county = _county_of_row(ledger.frame)
    city = whole[(whole["responsible_unit"] == CITY_UNIT) & (whole["kind"] == "accountability")
                 & whole["period_status"].isin(["本期新发现", "持续未办"])]
    assert {"保定市涞水县", "保定市易县"} <= set(city["source_row"].astype(int).map(county))
    letters = [p.name for p in (folder / "县区" / "保定市涞水县" / "letters").iterdir()]
    assert letters and not any(CITY_UNIT in name for name in letters)
    assert all("涞水县" in name for name in letters if "督办及改进工作建议函" in name)
    county = {c.name: c for c in out.counties}["保定市涞水县"]
    assert "1 个责任单位不属本县区（也出现在其他县区），列为待核实，未发函" in county.note
    workbook = _findings_rows(folder / "县区" / "保定市涞水县" / "findings.xlsx")
    assert workbook                               # the workbook still lists its findings
    pending = sheet_rows(folder / "县区" / "保定市涞水县" / "待核实.xlsx", "待核实")
    assert pending[0][:3] == ("责任主体", "未生成的文书", "原因")
    city = [r for r in pending[1:] if r[0] == CITY_UNIT]
    assert len(city) == 1 and "不属本县区" in city[0][2]


def test_the_list_of_counties(province):
    _, _, folder, _ = province
    rows = sheet_rows(folder / "县区" / "县区一览.xlsx", "县区一览")
    assert rows[0][:5] == ("县区", "事项行数", "问题数", "履职问题", "文书数")
    assert [r[0] for r in rows[1:]] == ["保定市易县", "保定市涞水县", "（县区未填写）"]
    # 150 records: rows 0, 3, 6 … are 涞水县 (50), 1, 4 … 易县 (50), 2, 5 … none (50)
    assert [r[1] for r in rows[1:]] == [50, 50, 50]


def test_chunked_gives_the_same_county_files(province, tmp_path):
    ledger, _, folder, configs = province
    mine = shutil.copytree(configs, tmp_path / "县区配置")
    out = run_check(ledger.path, out_dir=tmp_path, as_of=AS_OF, engine="chunked",
                    chunk_rows=40, by_county=True, counties=mine)
    for name in ("保定市涞水县/通报.docx", "保定市涞水县/回访抽查.xlsx", "保定市涞水县/待核实.xlsx",
                 "县区一览.xlsx"):          # written later, dated by the audit date: same bytes
        assert ((tmp_path / "县区" / name).read_bytes()
                == (folder / "县区" / name).read_bytes()), name
    for name in ("保定市涞水县", "保定市易县", "（县区未填写）"):
        assert (_findings_rows(tmp_path / "县区" / name / "findings.xlsx")
                == _findings_rows(folder / "县区" / name / "findings.xlsx")), name
        assert (json.loads((tmp_path / "县区" / name / "summary.json").read_text("utf-8"))
                ["checks"]
                == json.loads((folder / "县区" / name / "summary.json").read_text("utf-8"))
                ["checks"]), name
    assert [c.name for c in out.counties] == ["保定市易县", "保定市涞水县", "（县区未填写）"]


def test_without_a_county_column_by_county_stops_before_the_audit(tmp_path):
    ledger = _ledger(tmp_path, rows=20)
    plain = tmp_path / "无属地.csv"
    ledger.frame.drop(columns=["问题属地"]).to_csv(plain, index=False, encoding="utf-8-sig")
    with pytest.raises(ConfigError) as caught:
        run_check(plain, out_dir=tmp_path / "out", as_of=AS_OF, by_county=True)
    assert "所属县区" in caught.value.message()
    assert not (tmp_path / "out" / "findings.csv").exists()
    done = subprocess.run([sys.executable, "-m", "xfaudit.cli", "check", str(plain), "--as-of",
                           AS_OF, "--out", str(tmp_path / "o2"),
                           "--counties", str(tmp_path / "没有这个目录")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "县区配置目录" in done.stderr


def test_county_names_that_make_one_file_name_get_two_folders(tmp_path):
    # 甲:乙县 and 甲_乙县 are two counties; ":" cannot be in a folder name (safe name 甲_乙县):
    # the second becomes 甲_乙县(2). 20 records: places 0 and 1 get 7 each, place 2 gets 6
    places = ["东江省临川市甲:乙县", "东江省临川市甲_乙县", "50%县"]
    ledger = _ledger(tmp_path, rows=20, places=places)
    out = run_check(ledger.path, out_dir=tmp_path / "out", as_of=AS_OF, by_county=True)
    assert {(c.name, c.folder.name, c.rows) for c in out.counties} == {
        ("50%县", "50%县", 6), ("临川市甲:乙县", "临川市甲_乙县", 7),
        ("临川市甲_乙县", "临川市甲_乙县(2)", 7)}
    assert all((c.folder / "findings.xlsx").is_file() for c in out.counties)
    # with a bureau configured in that folder, whose letters they would be is unknown: stop
    _configure(tmp_path / "县区配置" / "临川市甲_乙县", "甲乙县")
    with pytest.raises(ConfigError) as caught:
        run_check(ledger.path, out_dir=tmp_path / "o2", as_of=AS_OF, by_county=True,
                  counties=tmp_path / "县区配置")
    assert "临川市甲:乙县" in caught.value.message() and "临川市甲_乙县" in caught.value.message()
    assert not (tmp_path / "县区配置" / "临川市甲_乙县" / "registers").exists()


def test_a_mistyped_county_bureau_stops_before_the_audit(tmp_path):
    ledger = _ledger(tmp_path, rows=20)
    folder = _configure(tmp_path / "县区配置" / "保定市易县", "易县")
    with (folder / "bureau.toml").open("a", encoding="utf-8") as f:
        f.write('isuer_code = "x"\n')
    done = subprocess.run([sys.executable, "-m", "xfaudit.cli", "check", str(ledger.path),
                           "--as-of", AS_OF, "--out", str(tmp_path / "out"),
                           "--counties", str(tmp_path / "县区配置")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "县区 保定市易县 的配置" in done.stderr and "isuer_code" in done.stderr
    assert not (tmp_path / "out" / "findings.csv").exists()


def test_next_month_the_county_findings_are_classified_against_its_history(province, tmp_path):
    """October's run recorded 涞水县's findings; in November an item still open past its
    deadline is 持续未办 (reported before, still not done), never 本期新发现 again."""
    ledger, _, _, shared = province
    configs = shutil.copytree(shared, tmp_path / "县区配置")
    out = run_check(ledger.path, out_dir=tmp_path / "out", as_of="2026-11-30", by_county=True,
                    counties=configs)
    rows = sheet_rows(tmp_path / "out" / "县区" / "保定市涞水县" / "findings.xlsx", "全部问题")
    head = rows[0]
    status, case, check = (head.index(h) for h in ("本期状态", "信访件编号", "检查项编号"))
    october = pd.read_csv(configs / "保定市涞水县" / "registers" / "问题记录.csv", dtype=str)
    october = october[october["period"] == "2026-10"]
    reported = set(zip(october["case_id"], october["check_id"]))
    continuing = {(r[case], r[check]) for r in rows[1:] if r[status] == "持续未办"}
    assert continuing and continuing <= reported
    assert {c.name for c in out.counties if c.letters} == {"保定市涞水县"}


def test_the_command_line_with_a_period_and_the_county_bureaus(province, tmp_path):
    """`xfaudit check … --period 2026-10 --counties DIR`: --counties implies --by-county, the
    audit date is the period's last day, the configured county's letters are October's."""
    ledger, _, _, shared = province
    configs = shutil.copytree(shared, tmp_path / "县区配置")
    done = subprocess.run([sys.executable, "-m", "xfaudit.cli", "check", str(ledger.path),
                           "--period", "2026年10月", "--counties", str(configs),
                           "--out", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "县区 保定市涞水县：50 行" in done.stdout and "已生成文书" in done.stdout
    assert "县区 保定市易县：50 行" in done.stdout and "县区配置目录中没有" in done.stdout
    summary = json.loads((tmp_path / "县区" / "保定市涞水县" / "summary.json").read_text("utf-8"))
    assert (summary["as_of"], summary["period"]) == ("2026-10-31", "2026-10")
    letters = sorted(p.name for p in (tmp_path / "县区" / "保定市涞水县" / "letters").iterdir())
    assert letters and all(name.startswith("2026-10-") for name in letters)


def test_the_bundled_provincial_sample_is_its_script_output(tmp_path):
    """`make demo`'s per-county step reads tests/files/sample_province_2026-10.csv: the file is
    what tests/files/make_province.py writes (synthetic, reproducible)."""
    sys.path.insert(0, str(Path(__file__).parent / "files"))
    try:
        from make_province import TARGET, main
    finally:
        sys.path.pop(0)
    assert main(tmp_path / "again.csv").read_bytes() == TARGET.read_bytes()


def test_only_addressable_units_count_as_outside_the_county():
    """A label standing for no unit, a 待核实 review organ and the bureau itself are never
    addressed anyway: shared by every county, they are not "units outside the county"."""
    from xfaudit.scale.counties import outside_the_county

    findings = pd.DataFrame({
        "responsible_unit": ["保定市公安局", "（未填写单位）", "待核实（复查机关）", "信访部门（本局）",
                             "涞水县教育局"],
        "responsible_role": ["办理单位", "办理单位", "复查机关", "信访部门", "办理单位"]})
    shared = frozenset(findings["responsible_unit"]) - {"涞水县教育局"}
    marked, outside = outside_the_county(findings, shared, "涞水县信访局")
    assert outside == {"保定市公安局"}
    assert list(marked["responsible_unit"]) == [
        "待核实（不属本县区）保定市公安局", "（未填写单位）", "待核实（复查机关）", "信访部门（本局）",
        "涞水县教育局"]
