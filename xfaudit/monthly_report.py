"""The library half of ``notebooks/monthly_audit.ipynb``: what its cells call.

The notebook holds no audit logic. Its first code cell opens a :class:`MonthlyReport` (load,
audit, indicators, trend); each later cell displays one of its tables or charts (and
:meth:`MonthlyReport.data_docs` builds Great Expectations' Data Docs in ``datadocs/``); the
last cell calls :meth:`MonthlyReport.finish`, which writes ``findings.xlsx``,
``indicators.csv``, ``summary.json``, ``validation.json`` and ``manifest.json`` beside the
charts.

Where the files go: under ``xfaudit monthly`` the driver (:mod:`xfaudit.monthly`) passes
``stage_dir`` and publishes the folder itself after exporting the HTML report. Under plain
papermill (or in JupyterLab) ``stage_dir`` is None: the report stages into a hidden folder
beside ``<out_dir>/<period>/`` and :meth:`finish` swaps it into place; a run that stops
before ``finish`` leaves the earlier report untouched (its staging folder is removed when the
kernel exits).
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import time
from pathlib import Path

import pandas as pd

from xfaudit import charts, indicators, privacy, views
from xfaudit.dates import month_text
from xfaudit.display import Link, Table, Text
from xfaudit.writers.safe import write_csv
from xfaudit.monthly import (REGISTERS_DIR, MonthlyParameters, file_sha256, folder_hashes,
                             new_staging_dir, package_versions, publish_report, write_manifest)

#: Columns of the list of open overdue findings shown in the report.
OPEN_OVERDUE_COLUMNS = ["case_id", "handling_unit", "check_name", "last_day", "days_late",
                        "category", "summary"]

#: Great Expectations' Data Docs inside the report folder, and its start page.
DATA_DOCS_DIR = "datadocs"
DATA_DOCS_INDEX = f"{DATA_DOCS_DIR}/index.html"

WAIVERS_NOTE = "已记录豁免登记册，但本版本尚未应用豁免：所有问题均按未豁免列出。"


def waiver_hook():
    """The library's waiver step (``xfaudit.waivers.apply_waivers``) if this version has one.

    It takes ``(result, register_path)`` and returns ``(result, report)``: the findings the
    register covers are marked waived (still listed), the summary recomputed.
    """
    try:
        from xfaudit.waivers import apply_waivers
    except ImportError:
        return None
    return apply_waivers


def _audit(params: MonthlyParameters, timings: dict):
    """Load, audit (the bureau from the configuration; each finding's period status against
    the findings history of the registers folder) and apply the waiver register; record the
    steps' timings."""
    from xfaudit import periods, validate
    from xfaudit.audit import audit, date_window
    from xfaudit.config import load_config
    from xfaudit.load import load_extract

    cfg = load_config(params.config)
    history = periods.read_history(Path(params.out_dir) / REGISTERS_DIR
                                   / cfg["followup"]["history_file"])

    step = time.perf_counter()
    validate.preload()  # GX imports in the background while the extract loads
    loaded = load_extract(params.extract, sheet=params.sheet, mapping=params.mapping,
                          units=params.units,
                          date_window=date_window(params.profile, params.resolved_as_of))
    timings["load"] = time.perf_counter() - step
    result = audit(loaded, as_of=params.resolved_as_of, profile=params.profile,
                   holidays=params.holidays or None, period=params.period, history=history,
                   bureau=cfg.issuer)
    timings.update({k: v for k, v in result.timings.items() if k != "load"})
    hook = waiver_hook() if params.waivers else None
    if hook is None:
        return result, None
    step = time.perf_counter()
    result, waiver_report = hook(result, params.waivers)
    timings["waivers"] = time.perf_counter() - step
    return result, waiver_report


def _lock_reports(params: MonthlyParameters):
    """Run on its own (plain papermill, JupyterLab): check and lock the reports folder as
    ``xfaudit monthly`` does (under ``xfaudit monthly`` the driver holds the lock), sweep the
    staging debris of killed runs; the lock is released by :meth:`MonthlyReport.finish` or
    when the kernel exits."""
    from xfaudit import outdir

    folder = outdir.prepare(params.out_dir)
    lock = outdir.FolderLock(folder, command=f"monthly_audit.ipynb {params.period}").acquire()
    atexit.register(lock.release)
    outdir.sweep(folder)
    return lock


class MonthlyReport:
    """One month's audit, shown section by section and written to a report folder.

    Use :meth:`open`; the attributes are for drill-down in a notebook.

    Attributes
    ----------
    params : MonthlyParameters
    result : AuditResult
    indicators : Indicators
    stage : Path
        Folder the files are written into.
    target : Path
        ``<out_dir>/<period>/``.
    timings : dict
        Seconds per step.
    waiver_report : WaiverReport or None
        What the waiver register did (None without a register).
    """

    def __init__(self, params: MonthlyParameters, result, unit_indicators, stage: Path,
                 self_staged: bool, timings: dict, waiver_report=None, lock=None):
        self.params = params
        self.result = result
        self.indicators = unit_indicators
        self.stage = stage
        self.target = Path(params.out_dir) / params.period
        self.self_staged = self_staged
        self.timings = timings
        self.waiver_report = waiver_report
        self.published = False
        self.charts: dict[str, Path] = {}
        self.accountability_output = None
        self._lock = lock
        self.data_docs_index: Path | None = None

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, extract=None, period=None, *, as_of=None, profile="auto", holidays=None,
             waivers=None, out_dir="reports", mask_personal_data=True, seed=0, sheet=None,
             mapping=None, units=None, config=None, stage_dir=None) -> "MonthlyReport":
        """Load and audit the extract, compute the indicators (the notebook's first step).

        Parameters are those of :func:`xfaudit.monthly.run_monthly_audit`; ``stage_dir`` is
        set by ``xfaudit monthly`` (leave it None when running the notebook directly).
        """
        params = MonthlyParameters.from_values(
            extract, period, as_of=as_of, profile=profile, holidays=holidays, waivers=waivers,
            out_dir=out_dir, mask_personal_data=mask_personal_data, seed=seed, sheet=sheet,
            mapping=mapping, units=units, config=config)
        lock = None if stage_dir else _lock_reports(params)
        timings: dict[str, float] = {}
        result, waiver_report = _audit(params, timings)
        # Free text is masked once, here: every table, chart, letter and workbook of the
        # report is a view of these findings. The personal columns stay for the callback list
        # (and are masked wherever a table is shown or written).
        result = privacy.mask_result(result, enabled=params.mask_personal_data, personal=False)
        step = time.perf_counter()
        unit_indicators = indicators.compute(result, params.period)
        timings["indicators"] = time.perf_counter() - step
        if stage_dir:
            stage, self_staged = Path(stage_dir), False
        else:
            stage, self_staged = new_staging_dir(Path(params.out_dir) / params.period), True
            atexit.register(shutil.rmtree, stage, True)
        return cls(params, result, unit_indicators, stage, self_staged, timings, waiver_report,
                   lock)

    # -- what the cells show ------------------------------------------------------------------
    @property
    def mask(self) -> bool:
        return self.params.mask_personal_data

    def _table(self, frame: pd.DataFrame, title: str | None = None, **kw) -> Table:
        return Table(frame, title, mask=self.mask, **kw)

    def headline(self) -> Text:
        """One paragraph with the month's main figures (and warnings about the run)."""
        s, f = self.result.summary, self.result.findings
        accountability = f[f["kind"] == views.ACCOUNTABILITY]
        lines = [
            f"{month_text(self.params.period)}，审计日 {s['as_of']}，"
            f"适用规则：{s['profile']['title']}。",
            f"台账读取 {s['rows']['read']} 行，审计 {s['rows']['audited']} 件，剔除 {s['rows']['rejected']} 行。"
            f"发现履职问题 {len(accountability)} 个（涉及 {accountability['case_id'].nunique()} 件、"
            f"{accountability['handling_unit'].nunique()} 个责任单位），其中超期仍未办 "
            f"{int(views.open_overdue_mask(f).sum())} 个；台账质量问题 "
            f"{int((f['kind'] == views.DATA_QUALITY).sum())} 个。",
        ]
        if self.result.not_evaluated:
            names = "、".join(n.check_name for n in self.result.not_evaluated)
            lines.append(f"因台账缺少相关列，以下检查项未评估：{names}。")
        if self.waiver_report is not None:
            lines.append(self.waiver_report.describe()[0] + "被豁免的问题仍列出，标为“已豁免”。")
        elif self.params.waivers:
            lines.append(WAIVERS_NOTE)
        if not self.mask:
            lines.append("注意：本报告未屏蔽信访人个人信息（mask_personal_data=False），请勿外传。")
        return Text(*lines, title="本月概要")

    def overview(self) -> Table:
        return self._table(views.overview(self.result), "行数与问题总数")

    def not_evaluated(self) -> Table:
        return self._table(views.not_evaluated(self.result), "未评估的检查项",
                           empty="全部检查项均已评估。")

    def rejected(self) -> Table:
        return self._table(views.rejected_rows(self.result), "剔除的行",
                           empty="没有剔除的行。")

    def waivers(self) -> Table | Text:
        """The waiver register's rows and whether each was applied (when one was given)."""
        if self.waiver_report is None:
            return Text(WAIVERS_NOTE if self.params.waivers else "未提供豁免登记册（正当理由登记）。")
        return self._table(self.waiver_report.to_frame(), "正当理由登记（豁免）",
                           note=self.waiver_report.describe()[0])

    def by_check(self) -> Table:
        return self._table(views.by_check(self.result), "按检查项统计")

    def by_unit(self) -> Table:
        return self._table(views.by_unit(self.result.findings), "按责任单位统计",
                           empty="本期没有发现问题。")

    def unit_matrix(self) -> Table:
        return self._table(views.unit_check_matrix(self.result.findings),
                           "责任单位 × 检查项（履职问题）", empty="本期没有履职问题。")

    def aging(self) -> Table:
        return self._table(views.aging(self.result.findings), "超期仍未办问题的账龄", index=True)

    def aging_by_unit(self) -> Table:
        return self._table(views.aging(self.result.findings, by="unit").T,
                           "各责任单位超期仍未办问题的账龄", index=True)

    def open_overdue_list(self) -> Table:
        f = self.result.findings
        rows = f[views.open_overdue_mask(f)].sort_values(["days_late", "case_id"],
                                                         ascending=[False, True])
        shown = views.findings_table(rows, OPEN_OVERDUE_COLUMNS)
        return self._table(shown, "超期仍未办的问题（超期最久的在前）",
                           empty="没有超期仍未办的问题。")

    def trend(self) -> Table:
        return self._table(self._trend_frame(), "逐月趋势",
                           note="取自同一报告目录下以往各月的 manifest.json（或 summary.json）。")

    def data_quality(self) -> Table:
        return self._table(views.data_quality(self.result.findings), "台账质量问题",
                           empty="没有发现台账质量问题。")

    def indicators_overall(self) -> Table:
        return self._table(self.indicators.overall(),
                           f"{indicators.overall_label()}考核指标（计算公式列于数值旁）")

    def indicators_by_unit(self) -> Table:
        window = self.indicators.window
        return self._table(self.indicators.by_unit(), "各责任单位考核指标",
                           note=f"统计区间：{window[0]:%Y-%m-%d} 至 {window[1]:%Y-%m-%d}；"
                                "单元格为“比率（分子/分母）”。")

    def indicator_formulas(self) -> Table:
        return self._table(self.indicators.formulas(), "指标计算公式与统计范围")

    def ranking(self) -> Table:
        return self._table(self.indicators.ranking, "责任单位通报排名",
                           note=indicators.ranking_rule_text())

    def chart(self, name: str) -> charts.Chart:
        """Draw one of the report's charts, save it to ``charts/<name>.png`` and return it.

        ``name`` is one of ``findings_by_check``, ``findings_by_unit``, ``aging``, ``trend``,
        ``indicators``.
        """
        step = time.perf_counter()
        makers = {
            "findings_by_check": lambda: charts.findings_by_check(views.by_check(self.result)),
            "findings_by_unit": lambda: charts.findings_by_unit(
                views.by_unit(self.result.findings)),
            "aging": lambda: charts.aging(views.aging(self.result.findings, by="check")),
            "trend": lambda: charts.trend(self._trend_frame()),
            "indicators": lambda: charts.indicators(self.indicators),
        }
        chart = makers[name]()
        self.charts[name] = chart.save(self.stage / "charts")
        self.timings["charts"] = self.timings.get("charts", 0.0) + time.perf_counter() - step
        return chart

    def gx_results(self) -> Table:
        """What Great Expectations found, per expectation of the two suites."""
        v = self.result.validation
        note = None
        if v is not None:
            s = v.statistics()
            note = (f"共 {s['evaluated_expectations']} 条规则，{s['successful_expectations']} 条全部"
                    f"符合，{s['unsuccessful_expectations']} 条有不符合的行；不符合的行即问题清单中的"
                    "问题。完整记录见 validation.json。")
        return self._table(views.gx_results(self.result), "Great Expectations 校验结果",
                           note=note)

    def data_docs(self) -> Link:
        """Build GX's Data Docs into ``datadocs/`` (offline) and link to them."""
        from xfaudit.datadocs import build_data_docs
        from xfaudit.suites import suite_dicts

        step = time.perf_counter()
        self.data_docs_index = build_data_docs(
            self.result.validation, suite_dicts(self.result.profiles),
            self.stage / DATA_DOCS_DIR, title=f"信访事项月度审计 {self.params.period}",
            run_name=self.result.summary["as_of"])
        self.timings["data_docs"] = time.perf_counter() - step
        return Link("打开 Great Expectations 数据文档（Data Docs）", DATA_DOCS_INDEX,
                    note="Great Expectations 自己生成的校验报告：每条规则、校验行数、不符合的行数与样例；"
                         "离线可用（所需的样式和脚本都在 datadocs/static/ 中）。")

    def _trend_frame(self) -> pd.DataFrame:
        current = views.trend_record(self.result, self.params.period)
        return views.trend(self.params.out_dir, self.params.period, current)

    def accountability(self):
        """Section 九: the recommendations, letters, circular and callback sample, and the
        registers staged with the report (:func:`xfaudit.accountability.produce`; computed once
        a run — a second call returns the same output).

        Writes ``letters/``, ``通报.docx`` and ``回访抽查.xlsx`` into the report folder; the
        follow-up register and the findings history of ``<out_dir>/registers/`` are replaced
        only when the report is published. Without a bureau configuration (``config``) no
        letter is drafted and the section says how to set the bureau up.
        """
        from xfaudit import accountability
        from xfaudit.calendar import LegalCalendar

        if self.accountability_output is None:
            step = time.perf_counter()
            self.accountability_output = accountability.produce(
                self.result, self.params.period, self.stage,
                registers_dir=Path(self.params.out_dir) / REGISTERS_DIR, seed=self.params.seed,
                ranking=self.indicators.ranking, ranking_rule=indicators.ranking_rule_text(),
                config=self.params.config,
                calendar=LegalCalendar(holiday_files=self.params.holidays))
            self.timings["accountability"] = time.perf_counter() - step
        return self.accountability_output

    # -- writing ------------------------------------------------------------------------------
    def finish(self) -> Text:
        """Write the workbook, indicators, summary and manifest; publish when self-staged."""
        from xfaudit.writers import summary_json, validation_json, workbook

        if self.published:
            return Text(f"报告已写入 {self.target}；如需重新生成，请重新运行整个笔记本。",
                        title="输出文件")
        step = time.perf_counter()
        masked = privacy.mask_result(self.result, enabled=self.mask)
        workbook.write(masked, self.stage / "findings.xlsx",
                       marking=None if self.mask else privacy.UNMASKED_NOTICE)
        self.timings["workbook"] = time.perf_counter() - step
        self._write_indicators(self.stage / "indicators.csv")
        summary_json.write(masked, self.stage / "summary.json",
                           extra={"period": self.params.period})
        validation_json.write(self.result, self.stage / "validation.json")
        if self.data_docs_index is None:
            self.data_docs()
        write_manifest(self.stage, self.manifest())
        lines = [f"已写出：{', '.join(sorted(folder_hashes(self.stage)))}，manifest.json。"]
        if not self.self_staged:
            lines.append("网页报告 report.html 在笔记本执行完成后导出；全部写完后替换报告目录 "
                         f"{self.target}。")
        else:
            publish_report(self.stage, self.target, Path(self.params.out_dir) / REGISTERS_DIR)
            shutil.rmtree(self.stage, ignore_errors=True)
            self.published = True
            if self._lock is not None:
                self._lock.release()
            lines.append(f"报告目录：{self.target}（直接运行笔记本时不生成 report.html，"
                         "请使用 xfaudit monthly）。")
        return Text(*lines, title="输出文件")

    def _write_indicators(self, path: Path) -> Path:
        headers = {"unit": "责任单位", "indicator": "指标编号", "name": "指标", "numerator": "分子",
                   "denominator": "分母", "rate": "比率", "status": "说明", "formula": "计算公式"}
        return write_csv(self.indicators.table.rename(columns=headers), path)

    def _waivers_record(self) -> dict | None:
        if not self.params.waivers:
            return None
        record = {"path": self.params.waivers, "sha256": file_sha256(self.params.waivers),
                  "applied": self.waiver_report is not None}
        if self.waiver_report is not None:
            counts = self.waiver_report.to_dict()
            record.update({"rows_applied": counts["applied"], "rows_expired": counts["expired"],
                           "rows_unmatched": counts["unmatched"],
                           "waived_findings": counts["waived_findings"]})
        else:
            record["note"] = WAIVERS_NOTE
        return record

    def _gx_record(self) -> dict | None:
        v = self.result.validation
        if v is None:
            return None
        return {"success": v.success, "statistics": v.statistics(),
                "suites": list(v.suites.values()), "validation": "validation.json",
                "data_docs": DATA_DOCS_INDEX if self.data_docs_index else None}

    def manifest(self) -> dict:
        """The run record (the driver adds its own steps' timings and the file hashes)."""
        s, f, report = self.result.summary, self.result.findings, self.result.extract.report
        return {
            "tool": "xfaudit", "kind": "monthly_audit", "period": self.params.period,
            "as_of": s["as_of"],
            "generated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "invocation": "notebook",
            "parameters": self.params.to_dict(),
            "input": {"path": report.path, "sha256": report.sha256 or file_sha256(report.path),
                      "format": report.file_format, "sheet": report.sheet,
                      "header_row": report.header_row, "encoding": report.encoding},
            "holidays": [{"path": h, "sha256": file_sha256(h)} for h in self.params.holidays],
            "waivers": self._waivers_record(),
            "profile": s["profile"], "seed": self.params.seed,
            "mask_personal_data": self.mask,
            "versions": package_versions(),
            "timings": dict(self.timings),
            "rows": s["rows"],
            "findings": {"totals": s["totals"],
                         "open_overdue": int(views.open_overdue_mask(f).sum()),
                         "by_check": {c["check_id"]: {k: c[k] for k in
                                                      ("findings", "open", "waived", "evaluated")}
                                      for c in s["checks"]}},
            "not_evaluated": s["not_evaluated"],
            "great_expectations": self._gx_record(),
            "indicators": self.indicators.to_dict(),
            "trend": views.trend_record(self.result, self.params.period),
            "accountability": (self.accountability_output.to_dict()
                               if self.accountability_output is not None else None),
            "files": folder_hashes(self.stage),
        }
