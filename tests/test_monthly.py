"""The monthly run: both invocation ways, the atomic write, masking, formula text, offline HTML.

One successful ``run_monthly_audit`` is shared by the module (three notebook executions in all:
that run, a failing run, and a plain ``papermill`` run).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
import xlsxwriter

from xfaudit import cli, monthly
from xfaudit.errors import RunError
from xfaudit.monthly import run_monthly_audit
from hostile_fixtures import output_texts
from monthly_fixtures import FORMULA_SUMMARY, PERIOD, personal_values, write_xlsx
from processes import finished_in

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "monthly_audit.ipynb"
HOLIDAYS = ROOT / "tests" / "files" / "holidays_2027.csv"
EARLIER = {"period": "2026-09", "items": 9, "accountability": 7, "open_overdue": 3,
           "data_quality": 1}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("monthly")
    extract = write_xlsx(root / "台账 2026年10月.xlsx")
    waivers = write_register(root / "正当理由登记.xlsx")
    reports = root / "reports"
    (reports / "2026-09").mkdir(parents=True)  # an earlier month, as its run left it
    (reports / "2026-09" / "manifest.json").write_text(json.dumps({"trend": EARLIER}),
                                                       encoding="utf-8")
    bureau = root / "bureau.toml"
    shutil.copy(ROOT / "tests" / "files" / "sample_bureau.toml", bureau)
    lines = []
    out = run_monthly_audit(extract, PERIOD, out_dir=reports, holidays=HOLIDAYS,
                            waivers=waivers, seed=7, config=bureau, progress=lines.append)
    return SimpleNamespace(out=out, extract=extract, waivers=waivers, reports=reports,
                           lines=lines, root=root, bureau=bureau)


def write_register(path: Path) -> Path:
    """A 正当理由 register waiving XF-A2's REG_LATE finding."""
    from xfaudit import waivers

    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet(waivers.SHEET)
        row = ["XF-A2", "REG_LATE", "系统故障导致转送延误", "县信访局", "2026-10-20", "故障报告"]
        for c, text in enumerate(waivers.HEADERS.values()):
            sheet.write_string(0, c, text)
        for c, text in enumerate(row):
            sheet.write_string(1, c, text)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the run through the library (what `xfaudit monthly` calls) ------------------------------

def test_every_artifact_is_written(run):
    folder = run.out.folder
    assert folder == run.reports / PERIOD
    for name in ("report.html", "monthly_audit.ipynb", "findings.xlsx", "manifest.json",
                 "summary.json", "validation.json", "indicators.csv", "datadocs/index.html"):
        assert (folder / name).is_file(), name
    assert run.out.paths["data_docs"] == folder / "datadocs" / "index.html"
    assert sorted(p.name for p in (folder / "charts").glob("*.png")) == [
        "aging.png", "findings_by_check.png", "findings_by_unit.png", "indicators.png",
        "trend.png"]
    assert not [p for p in run.reports.iterdir() if p.name.startswith(".")]  # no staging left
    # the letters and the registers, published with the report
    assert (folder / "通报.docx").is_file() and list((folder / "letters").glob("*.docx"))
    assert not (folder / ".registers").exists()
    assert {p.name for p in (run.reports / "registers").iterdir()} == {"建议跟踪台账.xlsx",
                                                                      "问题记录.csv"}
    assert "registers" not in json.loads((folder / "manifest.json").read_text("utf-8"))["files"]


def test_manifest_records_inputs_parameters_versions_timings_and_counts(run):
    m = json.loads((run.out.folder / "manifest.json").read_text("utf-8"))
    assert m == run.out.manifest
    assert m["input"]["sha256"] == monthly.file_sha256(run.extract)
    assert m["parameters"] == {
        "extract": str(run.extract), "period": PERIOD, "as_of": None, "profile": "auto",
        "holidays": [str(HOLIDAYS)], "waivers": str(run.waivers), "out_dir": str(run.reports),
        "mask_personal_data": True, "seed": 7, "sheet": None, "mapping": None, "units": None,
        "config": str(run.bureau)}
    assert m["as_of"] == "2026-10-31" and m["invocation"] == "xfaudit monthly"
    assert m["holidays"][0]["sha256"] == monthly.file_sha256(HOLIDAYS)
    assert m["waivers"]["sha256"] == monthly.file_sha256(run.waivers)
    assert m["waivers"]["applied"] is True and m["waivers"]["waived_findings"] == 1
    assert m["waivers"]["rows_applied"] == 1 and m["waivers"]["rows_unmatched"] == 0
    assert m["findings"]["by_check"]["REG_LATE"]["waived"] == 1  # still a finding
    assert {"pandas", "great_expectations", "papermill", "matplotlib", "xfaudit"} <= set(
        m["versions"])
    assert {"load", "derive", "validate", "findings", "indicators", "charts", "workbook",
            "data_docs", "execute_notebook", "export_html", "total"} <= set(m["timings"])
    gx_record = m["great_expectations"]
    assert gx_record["validation"] == "validation.json"
    assert gx_record["data_docs"] == "datadocs/index.html"
    assert gx_record["suites"] == ["xfaudit.ledger", "xfaudit.auto"]
    assert gx_record["success"] is False   # REG_LATE fails on two rows
    assert m["rows"]["read"] == m["rows"]["audited"] + m["rows"]["rejected"] == 11
    assert m["findings"]["totals"] == {"accountability": 4, "data_quality": 0}
    assert m["findings"]["open_overdue"] == 2
    assert m["findings"]["by_check"]["REG_LATE"]["findings"] == 2
    assert m["indicators"]["on_time_conclusion"]["rate"] == 0.5
    assert set(m["files"]) >= {"report.html", "findings.xlsx", "charts/trend.png"}
    assert m["files"]["findings.xlsx"] == monthly.file_sha256(run.out.folder / "findings.xlsx")


def test_progress_is_reported_in_chinese(run):
    assert run.lines[0].startswith("月度审计 2026-10（审计日 2026-10-31）")
    assert "执行审计笔记本…" in run.lines and "导出网页报告…" in run.lines
    assert any("八、单位考核指标" in line for line in run.lines)
    assert run.lines[-1].startswith("报告已生成：")


def test_report_html_is_chinese_self_contained_and_offline(run):
    page = (run.out.folder / "report.html").read_text("utf-8")
    assert re.search(r'<html[^>]*\blang="zh"', page)
    assert "<title>信访事项办理情况月度审计报告（2026-10）</title>" in page
    images = re.findall(r'<img[^>]+src="([^"]*)"', page)
    assert len(images) >= 5 and all(src.startswith("data:image/png;base64,") for src in images)
    references = re.findall(r'\b(?:src|href)\s*=\s*["\']?([^"\'\s>]*)', page, flags=re.I)
    external = [r for r in references if re.match(r"(?i)(https?:)?//", r)
                or (not r.startswith("data:") and "cdn" in r.lower())]
    assert external == []
    assert not re.search(r"(?i)@import|url\(\s*['\"]?(https?:)?//", page)
    assert "<script" not in page.lower()  # nothing to load, nothing to run
    assert ">def " not in page and "MonthlyReport.open" not in page  # code is hidden
    for text in ("一、概况", "八、单位考核指标", "按期办结率 = ", "全县合计", "2026-09",
                 "十二、Great Expectations 校验结果", "期限届满日"):
        assert text in page, text
    # the report links to GX's Data Docs in the same folder (a relative address)
    assert '<a href="datadocs/index.html">' in page


def test_findings_workbook_keeps_formula_text_as_text(run):
    book = openpyxl.load_workbook(run.out.folder / "findings.xlsx")
    assert book.sheetnames[:2] == ["汇总", "按单位汇总"]
    assert {"登记转送交办超期", "青石镇", "城南街道"} <= set(book.sheetnames)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if cell.value == FORMULA_SUMMARY]
    assert cells, "the formula-like summary must be in the workbook"
    assert all(cell.data_type == "s" for cell in cells)


#: The callback list is for phoning petitioners: the one output that carries contact details.
CALLBACK_SAMPLE = "回访抽查.xlsx"


def test_no_personal_data_in_any_output_file(run):
    texts = output_texts(run.out.folder)
    assert len(texts) > 10
    assert any(name.endswith(".docx:word/document.xml") for name in texts)
    leaks = [(name, value) for name, text in texts.items() for value in personal_values()
             if value in text and not name.startswith(CALLBACK_SAMPLE)]
    assert leaks == []
    # XF-B1's summary quotes the phone and id number: shown and written, masked
    assert "请回电138****8006（身份证999999****0066）" in texts["report.html"]
    assert any("请回电138****8006" in t for n, t in texts.items() if n.startswith("findings.xlsx"))


def test_the_monthly_run_writes_findings_csv_with_this_months_status(run):
    """findings.csv, as `xfaudit check` writes it, with 本期状态 (period_status).

    By hand (calendar days, day 1 the day after the start; no history before October):
    - XF-A2 REG_LATE: received 09-25, last day 09-25 + 15 = 10-10, routed 10-12: 2 days late,
      done within October → 本期新发现;
    - XF-A5 HANDLING_OVERDUE: accepted 08-10, last day 08-10 + 60 = 10-09 (21 days to 08-31,
      30 in September, 9 in October), concluded 10-15: 6 days late → 本期新发现;
    - XF-B1 HANDLING_OVERDUE: accepted 08-20, last day 10-19 (11 + 30 + 19), still open at
      10-31: 12 days, the last day passed within October → 本期新发现.
    """
    import csv

    path = run.out.folder / "findings.csv"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_key = {(r["case_id"], r["check_id"]): r for r in rows}
    expected = {("XF-A2", "REG_LATE"): ("2", "False"),
                ("XF-A5", "HANDLING_OVERDUE"): ("6", "False"),
                ("XF-B1", "HANDLING_OVERDUE"): ("12", "True")}
    for key, (days, still_open) in expected.items():
        row = by_key[key]
        assert (row["days_late"].removesuffix(".0"), row["is_open"], row["period_status"]) == (
            days, still_open, "本期新发现"), key
    # the same findings, with the same 本期状态, as the workbook's 全部问题 sheet
    sheet = openpyxl.load_workbook(run.out.folder / "findings.xlsx", read_only=True)["全部问题"]
    cells = list(sheet.iter_rows(values_only=True))
    header = list(cells[0])
    at = [header.index(h) for h in ("信访件编号", "检查项编号", "本期状态")]
    assert sorted(tuple(c[i] for i in at) for c in cells[1:]) == sorted(
        (r["case_id"], r["check_id"], r["period_status"]) for r in rows)
    # listed among the report folder's files
    assert "findings.csv" in json.loads((run.out.folder / "manifest.json").read_text(
        "utf-8"))["files"]


def test_indicators_csv_has_formulas(run):
    text = (run.out.folder / "indicators.csv").read_text("utf-8-sig")
    assert text.startswith("责任单位,指标编号,指标,分子,分母,比率,说明,计算公式")
    assert "满意率 = （满意件数 + 基本满意件数） ÷ 已评价件数 × 100%" in text


def test_trend_includes_the_earlier_month(run):
    nb = json.loads((run.out.folder / "monthly_audit.ipynb").read_text("utf-8"))
    outputs = json.dumps(nb["cells"], ensure_ascii=False)
    assert "2026-09" in outputs and "逐月趋势" in outputs


# -- failures ---------------------------------------------------------------------------------

def test_a_failing_cell_leaves_the_earlier_report_byte_identical(run):
    before = snapshot(run.out.folder)
    with pytest.raises(RunError) as caught:
        run_monthly_audit(run.extract, PERIOD, out_dir=run.reports, profile="没有这个规则")
    error = caught.value
    assert error.step == "执行审计笔记本"
    assert isinstance(error.cell_index, int)
    assert "ProfileError" in error.detail and "没有这个规则" in error.detail
    assert "原有报告未被改动" in str(error)
    assert snapshot(run.out.folder) == before
    kept = run.reports / f"{PERIOD}.failed.ipynb"
    assert kept.is_file() and "ProfileError" in kept.read_text("utf-8")
    assert not [p for p in run.reports.iterdir() if p.name.startswith(".")]


def test_a_missing_extract_fails_before_running_anything(run, tmp_path):
    before = snapshot(run.out.folder)
    with pytest.raises(RunError) as caught:
        run_monthly_audit(tmp_path / "没有.xlsx", PERIOD, out_dir=run.reports)
    assert caught.value.step == "检查参数" and "台账文件不存在" in str(caught.value)
    assert snapshot(run.out.folder) == before


@pytest.mark.parametrize("period", ["2026-13", "2026-1", None])
def test_bad_period_fails_at_parameter_step(run, period):
    with pytest.raises(RunError, match="检查参数"):
        run_monthly_audit(run.extract, period, out_dir=run.reports)


@pytest.mark.parametrize("can_exchange", [True, False])
def test_replace_dir_swaps_in_the_new_report(tmp_path, monkeypatch, can_exchange):
    if not can_exchange:
        monkeypatch.setattr(monthly, "_exchange", lambda a, b: False)
    target, staged = tmp_path / "2026-10", tmp_path / ".2026-10.tmp-x"
    for folder, text in ((target, "old"), (staged, "new")):
        (folder / "charts").mkdir(parents=True)
        (folder / "report.html").write_text(text)
    monthly.replace_dir(staged, target)
    assert (target / "report.html").read_text() == "new"
    shutil.rmtree(staged, ignore_errors=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-10"]


def test_replace_dir_restores_the_old_report_if_the_move_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(monthly, "_exchange", lambda a, b: False)
    target, staged = tmp_path / "2026-10", tmp_path / ".2026-10.tmp-x"
    target.mkdir()
    (target / "report.html").write_text("old")
    staged.mkdir()
    real = os.replace

    def failing(src, dst):
        if Path(src) == staged:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(monthly.os, "replace", failing)
    with pytest.raises(OSError):
        monthly.replace_dir(staged, target)
    assert (target / "report.html").read_text() == "old"


# -- plain papermill --------------------------------------------------------------------------

def test_plain_papermill_writes_the_report_folder(run, tmp_path):
    papermill = Path(sys.executable).with_name("papermill")
    out_dir = tmp_path / "报告"
    done = subprocess.run(
        [str(papermill), str(NOTEBOOK), str(tmp_path / "out.ipynb"), "--no-progress-bar",
         "-p", "extract", str(run.extract), "-p", "period", PERIOD, "-p", "out_dir",
         str(out_dir)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = out_dir / PERIOD
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"findings.xlsx", "manifest.json", "summary.json", "indicators.csv",
            "charts/findings_by_check.png"} <= names
    assert "report.html" not in names  # documented: the HTML comes with `xfaudit monthly`
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["invocation"] == "notebook"
    assert manifest["findings"]["totals"] == run.out.manifest["findings"]["totals"]
    assert manifest["waivers"] is None
    assert manifest["input"]["sha256"] == run.out.manifest["input"]["sha256"]
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]
    executed = json.loads((tmp_path / "out.ipynb").read_text("utf-8"))
    assert any(c.get("outputs") for c in executed["cells"])
    leaks = [v for v in personal_values() for name, text in output_texts(folder).items()
             if v in text and not name.startswith(CALLBACK_SAMPLE)]
    assert leaks == []


# -- the CLI ----------------------------------------------------------------------------------

def test_cli_monthly_reports_a_missing_file_in_chinese(tmp_path, capsys):
    code = cli.main(["monthly", str(tmp_path / "没有.xlsx"), "--period", "2026-10",
                     "--out", str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USER_ERROR
    assert "检查参数" in err and "台账文件不存在" in err and "Traceback" not in err


def test_cli_monthly_options():
    args = cli.build_parser().parse_args(
        ["monthly", "a.xlsx", "--period", "2026-10", "--as-of", "2026-10-20", "--profile",
         "national-2022", "--holidays", "h.csv", "--waivers", "w.csv", "--no-mask",
         "--seed", "3"])
    assert (args.func, args.period, str(args.as_of), args.profile, args.no_mask, args.seed,
            str(args.out)) == (cli.cmd_monthly, "2026-10", "2026-10-20", "national-2022",
                               True, 3, "reports")
    assert [str(h) for h in args.holidays] == ["h.csv"] and str(args.waivers) == "w.csv"


def test_the_cli_process_does_not_import_great_expectations():
    code = ("import sys, xfaudit.cli, xfaudit.monthly; xfaudit.cli.build_parser(); "
            "xfaudit.monthly.MonthlyParameters.from_values('a.xlsx', '2026-10'); "
            "print('great_expectations' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False"]


# -- optional: rendering with LibreOffice -----------------------------------------------------

def _soffice_to_pdf(source: Path, profile: Path, infilter: str | None = None) -> Path:
    """Convert with LibreOffice; on a hang kill its whole process group (soffice.bin is a
    child of the soffice script) and skip: a LibreOffice layout loop is not our failure."""
    command = ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
               *([f"--infilter={infilter}"] if infilter else []), "--convert-to", "pdf",
               "--outdir", str(source.parent), str(source)]
    if not finished_in(command, 120):
        pytest.skip(f"LibreOffice did not finish converting {source.name} in 120 s")
    return source.with_suffix(".pdf")


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice / poppler not installed")
def test_libreoffice_renders_the_report_and_the_workbook_in_chinese(run, tmp_path):
    for name in ("report.html", "findings.xlsx"):
        shutil.copy(run.out.folder / name, tmp_path / name)
    # Writer's HTML import: Writer/Web (the default for .html) can loop in its page layout.
    report = _soffice_to_pdf(tmp_path / "report.html", tmp_path / "lo",
                             infilter="HTML (StarWriter)")
    text = _pdf_text(report)
    assert "信访事项办理情况月度审计报告" in text and "按期办结率" in text
    book = _soffice_to_pdf(tmp_path / "findings.xlsx", tmp_path / "lo")
    text = _pdf_text(book)
    assert "汇总" in text and "登记转送交办超期" in text


def test_kernel_sockets_fall_back_to_tcp_when_the_runtime_path_is_too_long(monkeypatch, tmp_path):
    # A Unix socket address holds about 100 bytes; a deep home folder exceeds it
    deep = tmp_path / ("d" * 120)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(deep))
    assert monthly.ipc_socket_base() is None
    manager = monthly._ipc_kernel_manager()()
    assert (manager.transport, manager.ip) == ("tcp", "127.0.0.1")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "rt"))
    base = monthly.ipc_socket_base()
    assert base.startswith(str(tmp_path / "rt" / "xfaudit-")) and base.endswith("-ipc")
    manager = monthly._ipc_kernel_manager()()
    assert manager.transport == "ipc"
    assert re.fullmatch(re.escape(str(tmp_path / "rt")) + r"/xfaudit-[0-9a-f]{12}-ipc",
                        manager.ip)
