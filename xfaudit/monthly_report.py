"""The library half of ``notebooks/monthly_audit.ipynb``: what its cells call.

The notebook holds no audit logic. Its first code cell opens a :class:`MonthlyReport` (load,
audit, indicators, the accountability drafts, the items due soon) and shows its first screen
(:meth:`MonthlyReport.first_screen`); each later cell displays one of its tables or charts
(and :meth:`MonthlyReport.data_docs` builds Great Expectations' Data Docs in ``datadocs/``);
the last cell calls :meth:`MonthlyReport.finish`, which writes ``findings.xlsx``,
``findings.csv``, ``indicators.csv``, ``summary.json``, ``validation.json`` and ``manifest.json`` beside the
charts.

**No crash on a readable extract.** Every section degrades: where the columns a table needs
are absent it says ``无法计算（缺少：…）`` (:func:`unavailable`) instead of failing, an extract
without items gives tables of zeros, and an extract without a 责任单位 column gives no ranking
and no unit section (the first screen says so first).

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
import html
import shutil
import time
from pathlib import Path

import pandas as pd

from xfaudit import charts, indicators, periods, privacy, report_page, views
from xfaudit.dates import chinese_date, month_text
from xfaudit.display import Html, Link, Table, Text, html_table
from xfaudit.periods import CONTINUING, NEW
from xfaudit.schema import checks, header_of
from xfaudit.writers.safe import write_csv
from xfaudit.monthly import (REGISTERS_DIR, MonthlyParameters, file_sha256, folder_hashes,
                             new_staging_dir, package_versions, publish_report, write_manifest)

#: Columns of the list of open overdue findings shown in the report.
OPEN_OVERDUE_COLUMNS = ["case_id", "handling_unit", "check_name", "last_day", "days_late",
                        "period_status", "category", "summary"]

#: Columns of a unit's findings in its section.
UNIT_FINDING_COLUMNS = ["case_id", "check_name", "last_day", "actual_on", "days_late",
                        "period_status", "category"]

#: The report's numbered sections: (anchor, heading). The notebook's section cells start with
#: ``<a id="anchor"></a>`` and ``## heading`` (a test keeps them equal); the contents list of
#: the first screen links to the anchors.
SECTIONS = (
    ("xf-overview", "一、概况"),
    ("xf-checks", "二、按检查项统计"),
    ("xf-units", "三、按责任单位统计"),
    ("xf-aging", "四、超期仍未办问题的账龄"),
    ("xf-due-soon", "五、临期预警"),
    ("xf-trend", "六、逐月趋势"),
    ("xf-data-quality", "七、台账质量问题"),
    ("xf-indicators", "八、单位考核指标"),
    ("xf-ranking", "九、责任单位通报排名"),
    ("xf-accountability", "十、督办与三项建议"),
    ("xf-unit-pages", "十一、各责任单位情况"),
    ("xf-gx", "十二、Great Expectations 校验结果"),
    ("xf-files", "十三、输出文件"),
)
UNIT_PAGES_ANCHOR = "xf-unit-pages"

#: Where the workbook is, for tables cut at ``[report] max_rows``.
WORKBOOK_NAME = "findings.xlsx"
#: The findings for other tools, with 本期状态 (``period_status``), as ``xfaudit check`` writes it.
FINDINGS_CSV_NAME = "findings.csv"

#: Great Expectations' Data Docs inside the report folder, and its start page.
DATA_DOCS_DIR = "datadocs"
DATA_DOCS_INDEX = f"{DATA_DOCS_DIR}/index.html"

WAIVERS_NOTE = "已记录豁免登记册，但本版本尚未应用豁免：所有问题均按未豁免列出。"


def unavailable(missing: list[str], what: str | None = None) -> Text:
    """What a section shows when its inputs are absent: ``无法计算（缺少：…）``."""
    text = f"无法计算（缺少：{'、'.join(dict.fromkeys(missing))}）"
    return Text(f"{what}：{text}。" if what else text + "。")


def missing_headers(result, check_ids) -> list[str]:
    """The Chinese names of the fields that keep every one of ``check_ids`` from running
    (empty when at least one of them runs)."""
    skipped = {n.check_id: n for n in result.not_evaluated}
    ids = [str(c) for c in check_ids]
    if not ids or any(c not in skipped for c in ids):
        return []
    return ["或".join(header_of(p) for p in m.split("|"))
            for c in ids for m in skipped[c].missing]


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
    from xfaudit import overlap, periods, validate
    from xfaudit.audit import audit, date_window
    from xfaudit.config import load_config
    from xfaudit.load import load_extract

    cfg = load_config(params.config)
    history = periods.read_history(Path(params.out_dir) / REGISTERS_DIR
                                   / cfg["followup"]["history_file"])

    step = time.perf_counter()
    with overlap.at_native_parse(validate.preload):     # GX imports beside the sheet's parse
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
    due : DataFrame
        Open items due in the next days (:func:`xfaudit.views.due_soon`).
    accountability_output : AccountabilityOutput or None
        The letters, circular, callback sample and follow-up review, drafted once by
        :meth:`open` (the first screen counts them; section 十 shows them).
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
        self.due = views.due_soon(result)
        self._lock = lock
        self.data_docs_index: Path | None = None

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, extract=None, period=None, *, as_of=None, profile="auto", holidays=None,
             waivers=None, out_dir="reports", mask_personal_data=True, seed=0, sheet=None,
             mapping=None, units=None, config=None, stage_dir=None) -> "MonthlyReport":
        """Load and audit the extract, compute the indicators, draft the accountability
        documents (the notebook's first step).

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
        if stage_dir:
            stage, self_staged = Path(stage_dir), False
        else:
            stage, self_staged = new_staging_dir(Path(params.out_dir) / params.period), True
            atexit.register(shutil.rmtree, stage, True)
        report = cls.from_result(result, params, stage, self_staged=self_staged,
                                 timings=timings, waiver_report=waiver_report, lock=lock)
        report.draft_accountability()
        return report

    @classmethod
    def from_result(cls, result, params: MonthlyParameters, stage: Path, *,
                    self_staged: bool = False, timings: dict | None = None,
                    waiver_report=None, lock=None) -> "MonthlyReport":
        """A report of an audit already made (waivers applied): masks the free text once and
        computes the indicators. :meth:`open` calls it; tests and other drivers may too."""
        timings = {} if timings is None else timings
        # Free text is masked once, here: every table, chart, letter and workbook of the
        # report is a view of these findings. The personal columns stay for the callback list
        # (and are masked wherever a table is shown or written).
        result = privacy.mask_result(result, enabled=params.mask_personal_data, personal=False)
        step = time.perf_counter()
        unit_indicators = indicators.compute(result, params.period)
        timings["indicators"] = time.perf_counter() - step
        Path(stage).mkdir(parents=True, exist_ok=True)
        return cls(params, result, unit_indicators, Path(stage), self_staged, timings,
                   waiver_report, lock)

    # -- what the cells show ------------------------------------------------------------------
    @property
    def mask(self) -> bool:
        return self.params.mask_personal_data

    def _table(self, frame: pd.DataFrame, title: str | None = None, **kw) -> Table:
        kw.setdefault("more_in", WORKBOOK_NAME)
        return Table(frame, title, mask=self.mask, **kw)

    @property
    def _accountability(self) -> pd.DataFrame:
        f = self.result.findings
        return f[(f["kind"] == views.ACCOUNTABILITY).to_numpy()]

    def _county(self) -> str | None:
        """The county of the configured bureau (None without a bureau configuration)."""
        from xfaudit.config import load_config

        cfg = (self.accountability_output.config if self.accountability_output is not None
               and self.accountability_output.config is not None
               else load_config(self.params.config))
        return (cfg.bureau["county"] or None) if cfg.configured else None

    def _source_lines(self) -> list[str]:
        from xfaudit import __version__
        from xfaudit.loadreport import where_read

        s, report = self.result.summary, self.result.extract.report
        digest = report.sha256 or (file_sha256(report.path) if Path(report.path).is_file()
                                   else "")
        lines = [f"审计台账：{where_read(report)}"
                 + (f"，SHA-256 {digest[:16]}…" if digest else "")
                 + f"；读取 {s['rows']['read']} 行，审计 {s['rows']['audited']} 件，剔除 "
                   f"{s['rows']['rejected']} 行"]
        for table in report.tables:
            lines.append(f"关联表：{table.name}，SHA-256 {table.sha256[:16]}…")
        now = dt.datetime.now()
        lines.append(f"适用规则：{s['profile']['title']}；审计日 {chinese_date(self.result.as_of)}；"
                     f"xfaudit {__version__}；生成于 {chinese_date(now)} {now:%H:%M}")
        if self.waiver_report is not None:
            lines.append(self.waiver_report.describe()[0] + "被豁免的问题仍列出，标为“已豁免”。")
        elif self.params.waivers:
            lines.append(WAIVERS_NOTE)
        if not self.mask:
            lines.append("注意：本报告未屏蔽信访人个人信息（mask_personal_data=False），请勿外传。")
        return lines

    def _tiles(self) -> list[report_page.Tile]:
        s, f = self.result.summary, self._accountability
        current = f[periods.current(f).to_numpy()]
        status = current["period_status"]
        new, going = int((status == NEW).sum()), int((status == CONTINUING).sum())
        units = {u for u in current["responsible_unit"].dropna() if views.is_named_unit(u)}
        horizons = views.due_soon_days()
        due = [int((self.due["剩余天数"] <= d).sum()) for d in horizons]
        overdue = int(s.get("open_overdue", 0))
        return [
            report_page.Tile(str(s["rows"]["audited"]), "审计事项（件）",
                             f"读取 {s['rows']['read']} 行"),
            report_page.Tile(str(new), "本期新发现履职问题", alert=new > 0),
            report_page.Tile(str(going), "持续未办履职问题", "期限在本期之前、仍未办",
                             alert=going > 0),
            report_page.Tile(str(overdue), "超期仍未办", "截至审计日", alert=overdue > 0),
            report_page.Tile(str(len(units)), "涉及责任单位", "有本期履职问题的单位"),
            report_page.Tile(" / ".join(map(str, due)),
                             " / ".join(f"{d}日内" for d in horizons) + "到期",
                             "仍未办、期限将届满（项）", alert=due[0] > 0),
            report_page.Tile(str(s["totals"]["data_quality"]), "台账质量问题"),
        ]

    def _todo(self) -> list[tuple[str, str | None]]:
        out = []
        acc = self.accountability_output
        if acc is not None:
            todo = acc.todo()
            out.append((f"签发督办及改进工作建议函、完善政策建议和通报 {todo['letters_to_sign']} 份"
                        "（letters 文件夹和 通报.docx，均为草稿，审核后编号印发）", "#xf-accountability"))
            out.append((f"审核处分/追责建议草稿 {todo['drafts_to_review']} 份", "#xf-accountability"))
            out.append((f"电话回访 {todo['callbacks']} 件（回访抽查.xlsx，含联系方式，注意保密）", None))
            out.append((f"跟踪已发建议的书面反馈 {todo['awaiting_answers']} 件，其中逾期未反馈 "
                        f"{todo['overdue_answers']} 件（建议跟踪台账）", "#xf-accountability"))
        horizons = views.due_soon_days()
        soon = int((self.due["剩余天数"] <= horizons[0]).sum())
        if soon:
            out.append((f"提醒责任单位办理 {horizons[0]} 日内到期的 {soon} 项（见“五、临期预警”）",
                        "#xf-due-soon"))
        return out

    def _unit_sections_wanted(self) -> bool:
        return views.has_unit_column(self.result)

    def first_screen(self) -> Html:
        """The first screen: county, period, as-of date, the audited file with its SHA-256,
        the profile and version; what to know first (no unit column, checks not evaluated);
        the headline figures (本期新发现 / 持续未办, units, items due soon); the to-do list;
        the contents with a link to every section and every unit's section."""
        subtitle = " · ".join(part for part in (
            self._county(), month_text(self.params.period),
            f"审计日 {chinese_date(self.result.as_of)}") if part)
        warnings = views.run_warnings(self.result)
        units = self._unit_anchors() if self._unit_sections_wanted() else []
        tiles = self._tiles()
        markup = report_page.first_screen(
            subtitle=subtitle, source=self._source_lines(), warnings=warnings, tiles=tiles,
            todo=self._todo(), contents=list(SECTIONS), units=units,
            units_anchor=UNIT_PAGES_ANCHOR)
        text = "；".join(f"{t.label} {t.value}" for t in tiles)
        return Html(markup, "\n".join([subtitle, *warnings, text]))

    def headline(self) -> Text:
        """One paragraph with the month's main figures, what to know first leading."""
        s, f = self.result.summary, self._accountability
        lines = [*views.run_warnings(self.result),
                 f"{month_text(self.params.period)}，审计日 {chinese_date(self.result.as_of)}，"
                 f"适用规则：{s['profile']['title']}。",
                 f"台账读取 {s['rows']['read']} 行，审计 {s['rows']['audited']} 件，剔除 "
                 f"{s['rows']['rejected']} 行。发现履职问题 {len(f)} 个（本期新发现 "
                 f"{int((f['period_status'] == NEW).sum())} 个、持续未办 "
                 f"{int((f['period_status'] == CONTINUING).sum())} 个；超期仍未办 "
                 f"{s.get('open_overdue', 0)} 个），台账质量问题 {s['totals']['data_quality']} 个。"]
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

    def unit_register(self) -> Table | Text:
        """The unit register's work: how many names it made official and the names of the
        ledger it does not know (to add to it), or that none was given."""
        from xfaudit.loadreport import unit_lines

        report = self.result.extract.report
        if not report.unit_register:
            return Text("未提供单位名录：责任单位按台账中的写法统计（同一单位的不同写法分别计算）。"
                        "用 xfaudit units --template 生成单位名录，填写后用 --units 传入。")
        unknown = pd.DataFrame({"台账中的单位名称": list(report.unknown_units),
                                "行数": list(report.unknown_units.values())})
        return self._table(unknown, "单位名录中没有的单位（请补入单位名录）",
                           note=unit_lines(report)[0], empty="台账中的单位名称都在单位名录中。",
                           more_in=None)

    def waivers(self) -> Table | Text:
        """The waiver register's rows and whether each was applied (when one was given)."""
        if self.waiver_report is None:
            return Text(WAIVERS_NOTE if self.params.waivers else "未提供豁免登记册（正当理由登记）。")
        return self._table(self.waiver_report.to_frame(), "正当理由登记（豁免）",
                           note=self.waiver_report.describe()[0])

    def by_check(self) -> Table:
        return self._table(views.by_check(self.result), "按检查项统计")

    def check_coverage(self) -> Table:
        """Per check, as data-validation reports show it: rows 适用 / 已判断 / 无法判断, findings,
        问题率 (findings ÷ rows judged), 超期仍未办 and the status (部分评估 and 未评估 said as
        such); the rules themselves are :meth:`check_rules`."""
        table = views.coverage(self.result).drop(columns=["判定规则", "依据"])
        return self._table(table, "各检查项的覆盖范围与问题数", max_rows=len(checks()),
                           note="适用：台账显示该义务适用的事项；已判断：起算日、期限和办理情况均可确认的事项；"
                                "无法判断：日期无法识别或缺失，不作为问题；问题率 = 问题数 ÷ 已判断；"
                                "超期仍未办：截至审计日仍未办理且已过期限届满日。")

    def check_rules(self) -> Table:
        """Each check's rule in one sentence and the provisions its findings cite (under the
        rule profiles in force for the audited items)."""
        table = views.coverage(self.result)[["检查项", "判定规则", "依据"]]
        return self._table(table, "各检查项的判定规则与法定依据", max_rows=len(checks()))

    def by_unit(self) -> Table:
        return self._table(views.by_unit(self.result.findings), "按责任单位统计",
                           empty="本期没有发现问题。")

    def unit_matrix(self) -> Table:
        return self._table(views.unit_check_matrix(self.result.findings),
                           "责任单位 × 检查项（履职问题）", empty="本期没有履职问题。")

    def _timed_missing(self) -> list[str]:
        from xfaudit.clocks import TIMED_CHECKS

        return missing_headers(self.result, TIMED_CHECKS)

    def aging(self) -> Table | Text:
        missing = self._timed_missing()
        if missing:
            return unavailable(missing, "超期仍未办问题的账龄")
        return self._table(views.aging(self.result.findings), "超期仍未办问题的账龄", index=True)

    def aging_by_unit(self) -> Table | Text:
        missing = self._timed_missing()
        if missing:
            return unavailable(missing, "各责任单位的账龄")
        return self._table(views.aging(self.result.findings, by="unit").T.rename_axis("责任单位"),
                           "各责任单位超期仍未办问题的账龄", index=True)

    def open_overdue_list(self) -> Table | Text:
        missing = self._timed_missing()
        if missing:
            return unavailable(missing, "超期仍未办的问题")
        f = self.result.findings
        rows = f[views.open_overdue_mask(f)].sort_values(["days_late", "case_id"],
                                                         ascending=[False, True])
        shown = views.findings_table(rows, OPEN_OVERDUE_COLUMNS)
        return self._table(shown, "超期仍未办的问题（超期最久的在前）",
                           empty="没有超期仍未办的问题。")

    def due_soon_by_unit(self) -> Table | Text:
        """临期预警 per unit: deadlines falling within each horizon (7 and 15 days)."""
        missing = self._timed_missing()
        if missing:
            return unavailable(missing, "临期预警")
        horizons = views.due_soon_days()
        return self._table(views.due_soon_by_unit(self.due, horizons),
                           f"各责任单位{'、'.join(f'{d}日内' for d in horizons)}到期的事项",
                           empty=f"截至审计日，没有{horizons[-1]}日内到期的仍未办事项。",
                           note=f"仍未办理、期限届满日在审计日（{chinese_date(self.result.as_of)}）之后"
                                f"{horizons[-1]}日内的法定期限；同一事项的几个期限分别计数。")

    def due_soon_list(self) -> Table | Text:
        """临期预警: the open items due soonest, with their unit and deadline."""
        if self._timed_missing():
            return Text("")
        return self._table(self.due, "临期事项清单（期限最近的在前）",
                           empty="没有临期事项。")

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
                           note=f"统计区间：{chinese_date(window[0])}至{chinese_date(window[1])}；"
                                "单元格为“比率（分子/分母）”。")

    def indicator_formulas(self) -> Table:
        return self._table(self.indicators.formulas(), "指标计算公式与统计范围")

    def ranking(self) -> Table | Text:
        if not views.has_unit_column(self.result):
            return unavailable([header_of("handling_unit")], "责任单位通报排名")
        return self._table(self.indicators.ranking, "责任单位通报排名",
                           note=indicators.ranking_rule_text(),
                           empty="本期没有可排名的责任单位。")

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

    def draft_accountability(self):
        """Draft the three recommendations, the letters, the circular and the callback sample,
        and stage the registers with the report (:func:`xfaudit.accountability.produce`; once a
        run — :meth:`open` calls it so that the first screen can count them).

        Writes ``letters/``, ``通报.docx`` and ``回访抽查.xlsx`` into the report folder; the
        follow-up register and the findings history of ``<out_dir>/registers/`` are replaced
        only when the report is published. Without a bureau configuration (``config``) no
        letter is drafted and the section says how to set the bureau up.
        """
        from xfaudit import accountability
        from xfaudit.calendar import LegalCalendar

        if self.accountability_output is not None:
            return self.accountability_output
        step = time.perf_counter()
        self.accountability_output = accountability.produce(
            self.result, self.params.period, self.stage,
            registers_dir=Path(self.params.out_dir) / REGISTERS_DIR, seed=self.params.seed,
            ranking=self.indicators.ranking, ranking_rule=indicators.ranking_rule_text(),
            config=self.params.config, calendar=LegalCalendar(holiday_files=self.params.holidays))
        self.timings["accountability"] = time.perf_counter() - step
        return self.accountability_output

    def accountability(self):
        """Section 十: the recommendations, letters, circular, callback sample and follow-up
        (drafted by :meth:`draft_accountability`)."""
        return self.draft_accountability()

    # -- one section per unit -------------------------------------------------------------------
    def _unit_names(self) -> list[str]:
        """Units with a section: the ranked units, then any other unit that owes an act of a
        current finding (never a pseudo-unit or a duty-holder still to be verified)."""
        ranked = list(self.indicators.ranking["责任单位"])
        f = self._accountability
        current = f[periods.current(f).to_numpy()]
        others = sorted(set(current["responsible_unit"].dropna().astype(str)) - set(ranked))
        return [u for u in ranked + others if views.is_named_unit(u)]

    def _unit_anchors(self) -> list[tuple[str, str]]:
        return [(f"xf-unit-{i}", name) for i, name in enumerate(self._unit_names(), start=1)]

    def _unit_lines(self, unit: str) -> list[str]:
        ranking, table = self.indicators.ranking, self.indicators.table
        lines = []
        place = ranking.index[ranking["责任单位"] == unit]
        if len(place):
            lines.append(f"通报排名：第{int(ranking.loc[place[0], '排名'])}名（共{len(ranking)}个单位）。")
        mine = table[table["unit"] == unit]
        if len(mine):
            rates = indicators.format_rates(mine, with_counts=True)
            lines.append("考核指标：" + "；".join(f"{n} {r}" for n, r in zip(mine["name"], rates))
                         + "。")
        f = self._accountability
        own = f[((f["responsible_unit"] == unit) & periods.current(f)).to_numpy()]
        status = own["period_status"]
        horizons = views.due_soon_days()
        due = self.due[self.due["责任单位"] == unit]
        lines.append(f"履职问题：本期新发现 {int((status == NEW).sum())} 个，持续未办 "
                     f"{int((status == CONTINUING).sum())} 个，其中超期仍未办 "
                     f"{int(views.open_overdue_mask(own).sum())} 个；临期："
                     + "，".join(f"{d}日内到期 {int((due['剩余天数'] <= d).sum())} 项"
                                for d in horizons) + "。")
        return lines

    def _unit_documents(self, unit: str) -> list[tuple[str, str]]:
        acc = self.accountability_output
        if acc is None:
            return []
        out = []
        for letter in acc.letters:
            if letter.unit == unit:
                path = Path(letter.path)
                shown = path.relative_to(self.stage) if path.is_relative_to(self.stage) else path.name
                out.append((Path(shown).as_posix(), f"{letter.title}（{path.name}）"))
        return out

    def unit_pages(self) -> Html | Text:
        """Section 十一: one anchored section per responsible unit — its rank and indicators,
        its current findings (本期新发现 and 持续未办, waived ones left out), the items due soon,
        and the documents drafted for it."""
        if not self._unit_sections_wanted():
            return unavailable([header_of("handling_unit")], "各责任单位情况")
        f = self._accountability
        current = f[periods.current(f).to_numpy()]
        current = current.sort_values(["period_status", "days_late", "case_id"],
                                      ascending=[False, False, True], na_position="last")
        from xfaudit.config import settings

        parts, limit = [], settings()["report"]["max_rows"]
        for anchor, unit in self._unit_anchors():
            own = current[(current["responsible_unit"] == unit).to_numpy()]
            shown = views.findings_table(own, UNIT_FINDING_COLUMNS)
            table = (html_table(privacy.mask_frame(shown.head(limit), enabled=self.mask))
                     if len(shown) else "<p>本期没有需要督办的履职问题。</p>")
            if len(shown) > limit:
                table += (f'<p class="xf-note"><small>另有 {len(shown) - limit} 个问题未显示，'
                          f"完整内容见 {WORKBOOK_NAME}。</small></p>")
            parts.append(report_page.unit_section(anchor, unit, self._unit_lines(unit), table,
                                                  self._unit_documents(unit)))
        if not parts:
            return Text("本期没有需要单列的责任单位。")
        return Html("".join(parts), "\n".join(name for _, name in self._unit_anchors()))

    # -- writing ------------------------------------------------------------------------------
    def finish(self) -> Html | Text:
        """Write the workbook, indicators, summary and manifest; publish when self-staged.
        Shows the report folder's files as a table (文件 / 用途)."""
        from xfaudit.writers import findings_csv, summary_json, validation_json, workbook

        if self.published:
            return Text(f"报告已写入报告目录 {self.target.name}；如需重新生成，请重新运行整个笔记本。",
                        title="输出文件")
        step = time.perf_counter()
        masked = privacy.mask_result(self.result, enabled=self.mask)
        workbook.write(masked, self.stage / WORKBOOK_NAME,
                       marking=None if self.mask else privacy.UNMASKED_NOTICE,
                       indicators=self.indicators)
        self.timings["workbook"] = time.perf_counter() - step
        findings_csv.write(masked, self.stage / FINDINGS_CSV_NAME,
                           marking=None if self.mask else privacy.UNMASKED_NOTICE)
        self._write_indicators(self.stage / "indicators.csv")
        summary_json.write(masked, self.stage / "summary.json",
                           extra={"period": self.params.period})
        validation_json.write(self.result, self.stage / "validation.json")
        if self.data_docs_index is None:
            self.data_docs()
        write_manifest(self.stage, self.manifest())
        files = self._files_table()
        if not self.self_staged:
            note = ("网页报告 report.html 和执行后的笔记本在笔记本执行完成后写出；全部写完后一次性替换"
                    f"报告目录 {self.target.name}（任何一步失败，原有报告不变）。")
        else:
            publish_report(self.stage, self.target, Path(self.params.out_dir) / REGISTERS_DIR)
            shutil.rmtree(self.stage, ignore_errors=True)
            self.published = True
            if self._lock is not None:
                self._lock.release()
            note = (f"已写入报告目录 {self.target.name}（直接运行笔记本时不生成 report.html，"
                    "请使用 xfaudit monthly）。")
        return Html(report_page.files_table(files) + f'<p class="xf-note">{html.escape(note)}</p>',
                    "\n".join(f"{name}：{purpose}" for name, _, purpose in files) + "\n" + note)

    def _files_table(self) -> list[tuple[str, str | None, str]]:
        """(name, link or None, purpose) of every file the report folder holds."""
        written = sorted(folder_hashes(self.stage))
        letters = [w for w in written if w.startswith("letters/")]
        acc = self.accountability_output
        purposes = {
            "report.html": "本报告（网页，可离线打开和打印）",
            "monthly_audit.ipynb": "执行后的审计笔记本（可在 JupyterLab 中复核每一步）",
            WORKBOOK_NAME: "问题清单：汇总（含覆盖情况）、按单位汇总、指标、临期预警、全部问题、按检查项和单位分表",
            FINDINGS_CSV_NAME: "问题清单（CSV，供其他软件读取；含本期状态）",
            "indicators.csv": "各单位考核指标（含分子、分母和计算公式）",
            "summary.json": "机读汇总（各检查项的适用、已判断、无法判断和问题数）",
            "validation.json": "Great Expectations 校验结果（每条规则的校验行数和不符合的行数）",
            "manifest.json": "运行记录：输入文件和各输出文件的 SHA-256、参数、版本、用时",
            "通报.docx": "本月通报（草稿）",
            "回访抽查.xlsx": "回访抽查名单（机密★内部资料：含信访人联系方式）",
        }
        rows = []
        if not self.self_staged:
            rows += [("report.html", "report.html", purposes["report.html"]),
                     ("monthly_audit.ipynb", "monthly_audit.ipynb", purposes["monthly_audit.ipynb"])]
        for name in written:
            if "/" in name:
                continue
            rows.append((name, name, purposes.get(name, "")))
        if any(w.startswith(f"{DATA_DOCS_DIR}/") for w in written):
            rows.append((f"{DATA_DOCS_DIR}/", DATA_DOCS_INDEX,
                         "Great Expectations 数据文档（离线网页，打开 index.html）"))
        charts_written = [w for w in written if w.startswith("charts/")]
        if charts_written:
            rows.append(("charts/", None, f"本报告的图表（{len(charts_written)} 张 PNG）"))
        if letters:
            rows.append(("letters/", None, f"督办及改进工作建议函、完善政策建议、处分/追责建议草稿"
                                           f"（{len(letters)} 份 Word 文档）"))
        if acc is not None and "register" in acc.paths:
            rows.append((f"../{REGISTERS_DIR}/{Path(acc.paths['register']).name}", None,
                         "建议跟踪台账（各月共用，填写反馈情况）"))
        return rows

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
            "input": {"path": report.path,
                      "sha256": report.sha256 or (file_sha256(report.path)
                                                  if Path(report.path).is_file() else ""),
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
                                                      ("findings", "open", "open_overdue",
                                                       "waived", "evaluated", "applicable",
                                                       "judged", "unjudged", "status")}
                                      for c in s["checks"]}},
            "not_evaluated": s["not_evaluated"],
            "great_expectations": self._gx_record(),
            "warnings": views.run_warnings(self.result),
            "indicators": self.indicators.to_dict(),
            "trend": views.trend_record(self.result, self.params.period),
            "due_soon": {f"{d}日内": int((self.due["剩余天数"] <= d).sum())
                         for d in views.due_soon_days()},
            "accountability": (self.accountability_output.to_dict()
                               if self.accountability_output is not None else None),
            "files": folder_hashes(self.stage),
        }
