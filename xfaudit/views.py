"""Views of an audit's findings: the tables of the monthly report and the explore notebook.

Every function here is a pure view: it reads the findings (and, for the timeline, the extract
and the derived clocks) and returns a small DataFrame with Chinese column headers, ready to be
shown or charted. Nothing recomputes a rule or a deadline (DESIGN.md "Findings are data").

Thresholds (aging buckets, label of empty units, months in the trend) come from
``xfaudit/data/monthly.toml`` (:func:`xfaudit.config.settings`); periods are read by
:func:`xfaudit.dates.parse_period`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.clocks import (ACT_ON, JUDGED, LAST_DAY, OPEN, PROFILE_COLUMN, START, STATE,
                            TIMED_CHECKS)
from xfaudit.config import settings
from xfaudit.dates import PERIOD_LABEL, chinese_date, parse_period
from xfaudit.errors import CaseNotFoundError
from xfaudit.findings import open_overdue, responsible_units
from xfaudit.model import SOURCE_ROW
from xfaudit.periods import STATUSES
from xfaudit.schema import KIND_LABELS, CheckId, checks, date_fields, header_of

#: Ledger fields that are deadlines set by someone, not events (they appear as clocks).
DEADLINE_FIELDS = ("assigned_deadline", "implementation_due")

#: Folder names of monthly runs under a reports folder.
PERIOD_PATTERN = PERIOD_LABEL

ACCOUNTABILITY = "accountability"
DATA_QUALITY = "data_quality"


# ---------------------------------------------------------------------------------------------
# Periods (kept for callers of the views; the parser is xfaudit.dates.parse_period)
# ---------------------------------------------------------------------------------------------

def period_bounds(period) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a period (:func:`xfaudit.dates.parse_period`)."""
    month = parse_period(period)
    return month.first_day, month.last_day


def period_label(period) -> str:
    """``2026-10`` → ``2026年10月`` (:attr:`xfaudit.dates.Period.text`)."""
    return parse_period(period).text


# ---------------------------------------------------------------------------------------------
# Counts
# ---------------------------------------------------------------------------------------------

def no_unit_label() -> str:
    """What an empty 责任单位 reads as in tables and sheet names (monthly.toml ``[report]
    no_unit_label``, e.g. （未填写单位））."""
    return settings()["report"]["no_unit_label"]


def pseudo_units() -> frozenset[str]:
    """Labels that stand for no unit (an empty cell, an extract without the column): never
    ranked, never addressed."""
    report = settings()["report"]
    return frozenset({report["no_unit_label"], report["no_unit_column_label"]})


def _units(findings: pd.DataFrame) -> pd.Series:
    return findings["handling_unit"].fillna(no_unit_label())


def is_named_unit(name) -> bool:
    """Whether a 责任单位 / 责任主体 names a real unit: not a label standing for no unit
    (（未填写单位）, 责任单位未知（台账无此列）) nor a duty-holder still to be verified
    (待核实（复查机关）)."""
    return bool(name) and name not in pseudo_units() and not str(name).startswith("待核实")


def open_overdue_mask(findings: pd.DataFrame) -> pd.Series:
    """超期仍未办: :func:`xfaudit.findings.open_overdue`, the one definition."""
    return open_overdue(findings)


def overview(result) -> pd.DataFrame:
    """概况: row accounting, finding totals, units, checks not evaluated (项目 / 数值)."""
    s = result.summary
    f = result.findings
    accountability = f[f["kind"] == ACCOUNTABILITY]
    items = [
        ("审计日", chinese_date(result.as_of)),
        ("适用规则", s["profile"]["title"]),
        ("读取行数", s["rows"]["read"]),
        ("审计行数", s["rows"]["audited"]),
        ("剔除行数", s["rows"]["rejected"]),
        ("跳过的空行", s["rows"]["empty"]),
        ("无法识别的单元格", s["rows"]["unreadable_cells"]),
        ("履职问题", int(len(accountability))),
        *[(f"其中{status}", int((accountability["period_status"] == status).sum()))
          for status in STATUSES],
        ("其中超期仍未办", int(open_overdue_mask(f).sum())),
        ("涉及事项", int(accountability["case_id"].nunique())),
        ("涉及责任单位（全部履职问题）", len({u for u in accountability["responsible_unit"].dropna()
                                    if is_named_unit(u)})),
        ("台账质量问题", int((f["kind"] == DATA_QUALITY).sum())),
        ("未评估的检查项", sum(not c["evaluated"] for c in s["checks"])),
        ("部分评估的检查项", sum(bool(c["evaluated"] and c["unjudged"]) for c in s["checks"])),
    ]
    return pd.DataFrame(items, columns=["项目", "数值"]).astype({"数值": object})


def not_evaluated(result) -> pd.DataFrame:
    """Checks that could not run on this extract and the columns they lack."""
    rows = [(n.check_id, n.check_name,
             "、".join("或".join(header_of(p) for p in m.split("|")) for m in n.missing))
            for n in result.not_evaluated]
    return pd.DataFrame(rows, columns=["检查项编号", "检查项", "缺少的列"])


def by_check(result) -> pd.DataFrame:
    """Findings per check, every check listed with its status (已评估 / 部分评估（N/M…） /
    未评估（缺少：…）, from the audit summary)."""
    f = result.findings
    status = {c["check_id"]: c["status"] for c in result.summary["checks"]}
    grouped = f.groupby("check_id")
    counts = pd.DataFrame({
        "问题数": grouped.size(),
        "超期仍未办": open_overdue(f).groupby(f["check_id"]).sum(),
        "已豁免": f["waived"].astype(bool).groupby(f["check_id"]).sum(),
        "涉及单位": grouped["handling_unit"].nunique(),
    })
    table = pd.DataFrame([
        {"检查项编号": cid.value, "问题类型": c.name, "问题性质": KIND_LABELS[c.kind],
         "严重程度": c.severity, "评估状态": status.get(cid.value, "已评估")}
        for cid, c in checks().items()])
    table = table.join(counts, on="检查项编号")
    number_columns = ["问题数", "超期仍未办", "已豁免", "涉及单位"]
    table[number_columns] = table[number_columns].fillna(0).astype("int64")
    return table


# ---------------------------------------------------------------------------------------------
# Coverage per check (Data-Docs style) and what the reader must know first
# ---------------------------------------------------------------------------------------------

NOT_EVALUATED = "未评估"
PARTIAL = "部分评估"

#: Columns of :func:`coverage`.
COVERAGE_COLUMNS = ["检查项", "判定规则", "依据", "适用", "已判断", "无法判断", "问题数", "问题率",
                    "超期仍未办", "已豁免", "评估状态", "检查项编号"]


def members_in_use(result) -> list:
    """The rule-profile members that govern at least one audited item (all of them for an
    empty extract)."""
    used = result.summary["profile"].get("items_per_member", {})
    members = [m for m in result.profiles.members if used.get(m.name)]
    return members or list(result.profiles.members)


@cache
def _builtin_titles() -> dict[str, str]:
    from xfaudit.profile import builtin_profiles, load_profile_set

    return {m.name: m.title for name in builtin_profiles()
            for m in load_profile_set(name).members}


def profile_titles(profiles=None) -> dict[str, str]:
    """Profile name → its statute title (``national-2022`` → 《信访工作条例》（2022年5月1日起施行）),
    for the built-in profiles and the members of ``profiles`` (a ProfileSet)."""
    titles = dict(_builtin_titles())
    if profiles is not None:
        titles.update({m.name: m.title for m in profiles.members})
    return titles


def check_rule(check, members) -> str:
    """The check's rule in one sentence (checks.toml ``rule``), with ``{days}`` filled from the
    limit of each profile member in use (``15日``; ``60日（《信访条例》）、30日（…）`` where they
    differ)."""
    if "{days}" not in check.rule:
        return check.rule
    days = {}
    for member in members:
        limit = member.limits.get(check.limit) if check.limit else None
        if limit is not None and limit.days is not None:
            days.setdefault(limit.describe(), []).append(member.statute)
    if not days:
        text = "规定期限"
    elif len(days) == 1:
        text = next(iter(days))
    else:
        text = "、".join(f"{d}（{'、'.join(who)}）" for d, who in days.items())
    return check.rule.replace("{days}", text)


def check_citations(check, members) -> str:
    """The provisions a check's findings cite under the profile members in use."""
    cited = dict.fromkeys(m.citation(check.limit) for m in members)
    return "；".join(c for c in cited if c)


def _rate_text(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator * 100:.1f}%" if denominator else "—"


def coverage(result) -> pd.DataFrame:
    """Per check, the way data-validation reports (GX Data Docs) show an expectation: the rule
    in one sentence and its provision, rows 适用 / 已判断 / 无法判断, findings, the rate
    (findings ÷ rows judged), 超期仍未办, 已豁免 and the status (已评估 / 部分评估（N/M…） /
    未评估（缺少：…）). Columns :data:`COVERAGE_COLUMNS`."""
    members = members_in_use(result)
    defs = checks()
    rows = []
    for c in result.summary["checks"]:
        check = defs[CheckId(c["check_id"])]
        evaluated = c["evaluated"]
        rows.append({
            "检查项": c["name"], "判定规则": check_rule(check, members),
            "依据": check_citations(check, members),
            "适用": c["applicable"] if evaluated else "—",
            "已判断": c["judged"] if evaluated else "—",
            "无法判断": c["unjudged"] if evaluated else "—",
            "问题数": c["findings"],
            "问题率": _rate_text(c["findings"], c["judged"]) if evaluated else "—",
            "超期仍未办": c.get("open_overdue", 0), "已豁免": c["waived"],
            "评估状态": c["status"], "检查项编号": c["check_id"]})
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def has_unit_column(result) -> bool:
    """Whether the extract names a 责任单位 at all (some province exports do not)."""
    return "handling_unit" in result.extract.frame.columns


def run_warnings(result) -> list[str]:
    """What a reader must know before any figure, most serious first: an extract without
    items; an extract without a unit column (no ranking, no unit letter); most accountability
    checks not evaluated; checks judged on only part of their items."""
    s = result.summary
    out = []
    rows = s["rows"]
    if not rows["audited"]:
        out.append(f"台账中没有可审计的事项（读取 {rows['read']} 行，剔除 {rows['rejected']} 行）：本期各项统计均为0，"
                   "请确认导出的台账是否完整。")
    if not has_unit_column(result):
        label = settings()["report"]["no_unit_column_label"]
        line = (f"台账没有责任单位列：问题的责任单位记为“{label}”，本期不做单位排名，"
                "不生成单位督办及改进工作建议函。")
        candidates = result.extract.report.unit_candidates
        if candidates:
            first = candidates[0]["header"]
            line += (f"台账中可能的责任单位列：「{first}」（如确是，请在映射文件 [aliases] 下写一行 "
                     f"\"{first}\" = \"handling_unit\" 后重新运行）。")
        out.append(line)
    duties = [c for c in s["checks"] if c["kind"] == ACCOUNTABILITY]
    skipped = [c for c in duties if not c["evaluated"]]
    if duties and len(skipped) * 2 > len(duties):
        out.append(f"履职检查项 {len(duties)} 项中有 {len(skipped)} 项未评估（台账缺少相关列），"
                   "本期履职问题数不代表全面审计结果。未评估："
                   + "、".join(c["name"] for c in skipped) + "。")
    partial = [c for c in duties if c["evaluated"] and c["unjudged"]]
    if partial:
        out.append(f"{len(partial)} 项履职检查只判断了部分适用事项（部分评估），其余事项因日期无法识别或缺失而"
                   "无法判断：" + "、".join(f"{c['name']}（{c['judged']}/{c['applicable']}）"
                                          for c in partial) + "。")
    return out


# ---------------------------------------------------------------------------------------------
# 临期预警: open items whose last day is near
# ---------------------------------------------------------------------------------------------

#: Columns of :func:`due_soon`.
DUE_SOON_COLUMNS = ["剩余天数", "期限届满日", "信访件编号", "责任单位", "期限", "检查项", "内容分类",
                    "台账行号"]


def due_soon_days() -> list[int]:
    """The warning horizons in days (``[report] due_soon_days``, e.g. [7, 15])."""
    return sorted(int(d) for d in settings()["report"]["due_soon_days"])


def due_soon(result, days: int | None = None) -> pd.DataFrame:
    """Open items whose last day falls in the ``days`` days after the as-of date (default the
    longest of ``[report] due_soon_days``), one row per item and deadline, soonest first.

    Read from the derived clocks of the timed checks (:func:`due_soon_rows`); an engine that
    sees the rows in slices collects each slice's rows and sorts them once
    (:func:`sort_due_soon`), with the same table.
    """
    days = days if days is not None else due_soon_days()[-1]
    return sort_due_soon(due_soon_rows(result.clocks.frame, result.clocks.evaluated,
                                       result.extract.frame, result.as_of, days))


def due_soon_rows(clocks: pd.DataFrame, evaluated, frame: pd.DataFrame, as_of,
                  days: int) -> pd.DataFrame:
    """The :func:`due_soon` rows of one slice of the rows, in no particular order.

    Row-local: the clock table ``clocks`` and the extract's ``frame`` are aligned by position.
    A row counts per timed check evaluated: judged, the act still missing, the last day after
    the as-of date and at most ``days`` days after it. The unit is the one that owes the act
    (as for findings: the handling unit; the bureau for registration; the review organ for
    复查/复核). Columns :data:`DUE_SOON_COLUMNS`; ``剩余天数`` is calendar days from the as-of
    date to the last day.
    """
    as_of = pd.Timestamp(as_of).normalize()
    labels = settings()["deadline_labels"]
    parts = []
    for cid in TIMED_CHECKS:
        state, last, still_open = (f"{cid}{STATE}", f"{cid}{LAST_DAY}", f"{cid}{OPEN}")
        if cid not in evaluated or state not in clocks.columns:
            continue
        left = (clocks[last] - as_of).dt.days
        due = ((clocks[state] == JUDGED) & clocks[still_open].eq(True) & (left > 0)
               & (left <= days)).fillna(False).to_numpy(dtype=bool)
        rows = np.flatnonzero(due)
        if not len(rows):
            continue
        parts.append(pd.DataFrame({
            "剩余天数": left.iloc[rows].astype("int64").to_numpy(),
            "期限届满日": clocks[last].iloc[rows].to_numpy(),
            "信访件编号": (frame["case_id"].iloc[rows].to_numpy(dtype=object)
                       if "case_id" in frame else None),
            "责任单位": responsible_units(cid, frame, rows).to_numpy(dtype=object),
            "期限": labels.get(cid.value, checks()[cid].name),
            "检查项": checks()[cid].name,
            "内容分类": (frame["category"].iloc[rows].to_numpy(dtype=object)
                     if "category" in frame else None),
            "台账行号": frame[SOURCE_ROW].iloc[rows].to_numpy()}))
    if not parts:
        return empty_due_soon()
    return pd.concat(parts, ignore_index=True)[DUE_SOON_COLUMNS]


def empty_due_soon() -> pd.DataFrame:
    """A :func:`due_soon` table without rows (its columns and dtypes)."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("剩余天数", "台账行号") else
                                      "datetime64[ns]" if c == "期限届满日" else object)
                         for c in DUE_SOON_COLUMNS})


def collected_due_soon(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One :func:`due_soon` table from the :func:`due_soon_rows` of several slices."""
    parts = [part for part in parts if len(part)]
    return sort_due_soon(pd.concat(parts, ignore_index=True)) if parts else empty_due_soon()


def sort_due_soon(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`due_soon_rows` (of one or several slices) soonest first, then by unit, item and
    deadline; 台账行号 breaks the remaining ties, so the order does not depend on the slices."""
    return table.sort_values(["剩余天数", "责任单位", "信访件编号", "期限", "台账行号"],
                             kind="stable", ignore_index=True)


def due_soon_by_unit(table: pd.DataFrame, horizons: list[int] | None = None) -> pd.DataFrame:
    """Per unit, how many deadlines of :func:`due_soon` fall within each horizon (``7日内到期``,
    ``15日内到期``: the longer includes the shorter), the most urgent unit first, with 合计."""
    horizons = sorted(horizons or due_soon_days())
    headers = [f"{d}日内到期" for d in horizons]
    if table.empty:
        return pd.DataFrame(columns=["责任单位", *headers])
    counts = pd.DataFrame({h: (table["剩余天数"] <= d).groupby(table["责任单位"]).sum()
                           for h, d in zip(headers, horizons)}).astype("int64")
    counts = counts.rename_axis("责任单位").reset_index()
    counts = counts.sort_values([*headers, "责任单位"], ascending=[False] * len(headers) + [True],
                                ignore_index=True)
    total = pd.DataFrame([{"责任单位": "合计", **{h: int(counts[h].sum()) for h in headers}}])
    return pd.concat([counts, total], ignore_index=True)


def by_unit(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings per handling unit, most accountability findings first."""
    if findings.empty:
        return pd.DataFrame(columns=["责任单位", "履职问题", "超期仍未办", "台账质量问题", "合计"])
    units = _units(findings)
    table = pd.DataFrame({
        "履职问题": (findings["kind"] == ACCOUNTABILITY).groupby(units).sum(),
        "超期仍未办": open_overdue_mask(findings).groupby(units).sum(),
        "台账质量问题": (findings["kind"] == DATA_QUALITY).groupby(units).sum(),
    }).astype("int64")
    table["合计"] = table["履职问题"] + table["台账质量问题"]
    table = table.rename_axis("责任单位").reset_index()
    return table.sort_values(["履职问题", "合计", "责任单位"],
                             ascending=[False, False, True], ignore_index=True)


def unit_check_matrix(findings: pd.DataFrame) -> pd.DataFrame:
    """Accountability findings, units × checks (the circular's table)."""
    f = findings[findings["kind"] == ACCOUNTABILITY]
    if f.empty:
        return pd.DataFrame(columns=["责任单位", "合计"])
    order = [c.name for c in checks().values() if c.kind == ACCOUNTABILITY]
    matrix = pd.crosstab(_units(f), f["check_name"])
    matrix = matrix[[c for c in order if c in matrix.columns]]
    matrix["合计"] = matrix.sum(axis=1)
    matrix = matrix.rename_axis("责任单位").reset_index()
    matrix.columns.name = None
    return matrix.sort_values(["合计", "责任单位"], ascending=[False, True], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Aging
# ---------------------------------------------------------------------------------------------

def aging_labels(bounds: list[int] | None = None) -> list[str]:
    """Bucket labels from upper bounds: [15, 30, 60] → 1–15日, 16–30日, 31–60日, 60日以上."""
    bounds = list(bounds or settings()["aging"]["bounds"])
    lows = [1] + [b + 1 for b in bounds[:-1]]
    return [f"{lo}–{hi}日" for lo, hi in zip(lows, bounds)] + [f"{bounds[-1]}日以上"]


def aging_bucket(days_late: pd.Series, bounds: list[int] | None = None) -> pd.Series:
    """The aging bucket label of each number of days late (categorical; NA for ≤ 0)."""
    bounds = list(bounds or settings()["aging"]["bounds"])
    edges = [0, *bounds, np.inf]
    return pd.cut(pd.to_numeric(days_late).astype(float), edges, right=True,
                  labels=aging_labels(bounds))


def aging(findings: pd.DataFrame, by: str | None = None,
          bounds: list[int] | None = None) -> pd.DataFrame:
    """Open overdue accountability findings by how many days they are late.

    Parameters
    ----------
    findings : DataFrame
        The findings table.
    by : {None, "check", "unit"}
        None: one row per bucket with 问题数 / 涉及事项 / 已豁免. ``check`` or ``unit``: buckets ×
        check names (or units), plus 合计.
    bounds : list of int, optional
        Upper bounds of the buckets (default: ``[aging] bounds`` of monthly.toml).

    Returns
    -------
    DataFrame
        Indexed by the bucket label (账龄), every bucket present even when empty.
    """
    f = findings[open_overdue_mask(findings)]
    bucket = aging_bucket(f["days_late"], bounds).rename("账龄")
    labels = aging_labels(bounds)
    if by is None:
        table = pd.DataFrame({
            "问题数": f.groupby(bucket, observed=False).size(),
            "涉及事项": f["case_id"].groupby(bucket, observed=False).nunique(),
            "已豁免": f["waived"].astype(bool).groupby(bucket, observed=False).sum(),
        }).reindex(labels, fill_value=0).astype("int64")
        table.index.name = "账龄"
        return table
    column = {"check": f["check_name"], "unit": _units(f)}[by]
    table = pd.crosstab(bucket, column).reindex(labels, fill_value=0)
    table["合计"] = table.sum(axis=1)
    table.columns.name = None
    table.index.name = "账龄"
    return table.astype("int64")


# ---------------------------------------------------------------------------------------------
# Data quality and rejected rows
# ---------------------------------------------------------------------------------------------

def data_quality(findings: pd.DataFrame) -> pd.DataFrame:
    """Data-quality findings (台账质量问题), in source-row order."""
    f = findings[findings["kind"] == DATA_QUALITY].sort_values(["source_row", "check_id"])
    table = pd.DataFrame({
        "台账行号": f["source_row"], "信访件编号": f["case_id"], "责任单位": _units(f),
        "问题类型": f["check_name"], "说明": f["detail"]})
    return table.reset_index(drop=True)


def rejected_rows(result) -> pd.DataFrame:
    """Rows the loader rejected, each with its reason."""
    rejected = result.extract.report.rejected
    return pd.DataFrame({"台账行号": rejected["source_row"].to_numpy(),
                         "剔除原因": rejected["reason"].to_numpy()})


def gx_results(result) -> pd.DataFrame:
    """What Great Expectations found, one row per expectation of the two suites (Chinese).

    The rules each check states in GX, the rows GX evaluated (element count minus missing),
    how many did not meet the rule and the share; the expectations not run (a check not
    evaluated, a column the extract lacks) say why.
    """
    validation = result.validation
    columns = ["检查项编号", "检查项", "规则", "校验行数", "不符合行数", "不符合比例", "结果"]
    if validation is None:
        return pd.DataFrame(columns=columns)
    rows = []
    for o in validation.outcomes:
        meta = o.spec["meta"]
        percent = "" if o.unexpected_percent is None else f"{o.unexpected_percent:.2f}%"
        rows.append([meta["check_id"], meta["check_name"], _rule_text(o.spec), o.rows_evaluated,
                     o.unexpected_count, percent, "通过" if o.success else "未通过"])
    for n in validation.not_run:
        meta = n.spec["meta"]
        rows.append([meta["check_id"], meta["check_name"], _rule_text(n.spec), None, None, "",
                     "未运行：" + n.reason])
    table = pd.DataFrame(rows, columns=columns)
    order = {cid.value: i for i, cid in enumerate(checks())}
    table = table.assign(_o=table["检查项编号"].map(order)).sort_values("_o", kind="stable")
    for column in ("校验行数", "不符合行数"):
        table[column] = table[column].astype("Int64")
    return table.drop(columns="_o").reset_index(drop=True)


def _rule_text(spec: dict) -> str:
    """The rule as the suite states it, without the check name in front."""
    text = spec.get("description") or spec["type"]
    return text.split("：", 1)[1] if "：" in text else text


# ---------------------------------------------------------------------------------------------
# Trend over earlier monthly runs
# ---------------------------------------------------------------------------------------------

#: Keys of a run's trend record (manifest.json "trend") and their Chinese headers.
TREND_COLUMNS = {"period": "期间", "items": "审计事项", "accountability": "履职问题",
                 "open_overdue": "超期仍未办", "data_quality": "台账质量问题"}


def trend_record(result, period: str) -> dict:
    """The figures of one run that the month-over-month trend compares (JSON-ready)."""
    f = result.findings
    return {"period": period, "items": int(result.summary["rows"]["audited"]),
            "accountability": int((f["kind"] == ACCOUNTABILITY).sum()),
            "open_overdue": int(open_overdue_mask(f).sum()),
            "data_quality": int((f["kind"] == DATA_QUALITY).sum())}


def _record_of_folder(folder: Path) -> dict | None:
    """A trend record from a run folder's manifest.json (or, failing that, summary.json)."""
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            record = json.loads(manifest.read_text("utf-8")).get("trend")
        except (OSError, ValueError):
            record = None
        if record:
            return {**record, "period": folder.name}
    summary = folder / "summary.json"
    if summary.is_file():
        try:
            s = json.loads(summary.read_text("utf-8"))
            return {"period": folder.name, "items": s["rows"]["audited"],
                    "accountability": s["totals"]["accountability"], "open_overdue": None,
                    "data_quality": s["totals"]["data_quality"]}
        except (OSError, ValueError, KeyError, TypeError):
            return None
    return None


def earlier_runs(out_dir: str | Path, period: str) -> list[dict]:
    """Trend records of the runs under ``out_dir`` for months before ``period``.

    Only folders named ``YYYY-MM`` count (staging folders start with a dot); unreadable
    records are skipped.
    """
    folder = Path(out_dir)
    if not folder.is_dir():
        return []
    records = [_record_of_folder(p) for p in sorted(folder.iterdir())
               if p.is_dir() and PERIOD_PATTERN.match(p.name) and p.name < period]
    return [r for r in records if r]


def trend(out_dir: str | Path, period: str, current: dict | None = None) -> pd.DataFrame:
    """Month-over-month figures: earlier runs under ``out_dir`` plus the current one.

    Parameters
    ----------
    out_dir : path
        The reports folder (one sub-folder per period).
    period : str
        The current period; later runs are ignored, and so is an earlier run of the same
        period (``current`` replaces it).
    current : dict, optional
        :func:`trend_record` of the current run.

    Returns
    -------
    DataFrame
        One row per period (oldest first, at most ``[report] trend_months``), Chinese headers.
    """
    records = earlier_runs(out_dir, period) + ([current] if current else [])
    frame = pd.DataFrame(records, columns=list(TREND_COLUMNS))
    frame = frame.sort_values("period").tail(settings()["report"]["trend_months"])
    for column in list(TREND_COLUMNS)[1:]:
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    return frame.rename(columns=TREND_COLUMNS).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# One item's timeline
# ---------------------------------------------------------------------------------------------

TIMELINE_COLUMNS = ["日期", "类别", "名称", "检查项编号", "起算日期", "实际日期", "超期天数",
                    "状态", "依据", "台账行号"]
EVENT, DEADLINE = "事件", "法定期限"


def _rows_of_case(result, case_id: str) -> np.ndarray:
    ids = result.extract.frame.get("case_id")
    rows = np.flatnonzero((ids == str(case_id)).fillna(False).to_numpy(dtype=bool)) \
        if ids is not None else np.array([], dtype=int)
    if not len(rows):
        raise CaseNotFoundError(str(case_id))
    return rows


def _events(frame: pd.DataFrame) -> pd.DataFrame:
    names = [f for f in date_fields() if f in frame.columns and f not in DEADLINE_FIELDS]
    long = frame[[SOURCE_ROW, *names]].melt(id_vars=SOURCE_ROW, var_name="field",
                                            value_name="日期").dropna(subset=["日期"])
    return pd.DataFrame({"日期": long["日期"], "类别": EVENT,
                         "名称": long["field"].map(header_of), "台账行号": long[SOURCE_ROW]})


def _deadline_status(last_day, actual, late) -> str:
    if pd.isna(late):
        return "未到期"
    if late > 0:
        return f"超期{int(late)}日" + ("仍未办" if pd.isna(actual) else "后办理")
    return "按期" if pd.notna(actual) else "未到期"


def _deadlines(result, rows: np.ndarray) -> pd.DataFrame:
    clocks = result.clocks.frame
    labels = settings()["deadline_labels"]
    members = {m.name: m for m in result.profiles.members}
    parts = []
    for cid, check in checks().items():
        column = f"{cid}{LAST_DAY}"
        if column not in clocks.columns:
            continue
        part = clocks.iloc[rows]
        part = part[part[column].notna()]
        if part.empty:
            continue
        actual = part.get(f"{cid}{ACT_ON}", pd.Series(pd.NaT, index=part.index))
        late = pd.Series(np.nan, index=part.index)  # EXTENSION_IRREGULAR: its own rules
        if cid in TIMED_CHECKS:
            late = (actual - part[column]).dt.days.astype(float)
            actual = actual.where(~part[f"{cid}{OPEN}"].fillna(False).astype(bool))
        parts.append(pd.DataFrame({
            "日期": part[column], "类别": DEADLINE, "名称": labels.get(cid.value, check.name),
            "检查项编号": cid.value,
            "起算日期": part.get(f"{cid}{START}", pd.Series(pd.NaT, index=part.index)),
            "实际日期": actual, "超期天数": late.where(late > 0),
            "状态": [_deadline_status(d, a, n) for d, a, n in zip(part[column], actual, late)],
            "依据": part[PROFILE_COLUMN].map(
                lambda m, lim=check.limit: members[m].citation(lim) if m in members else ""),
            "台账行号": result.extract.frame[SOURCE_ROW].iloc[part.index].to_numpy()}))
    return pd.concat(parts) if parts else pd.DataFrame(columns=TIMELINE_COLUMNS)


def case_timeline(result, case_id: str) -> pd.DataFrame:
    """Every event date and every legal deadline of one item, in date order.

    Events are the item's date cells (收到, 转交, 受理, 办结 …). Deadlines are the last days of
    the item's derived clocks, with the clock's start, the actual date, days late, a status
    (按期 / 超期N日后办理 / 超期N日仍未办 / 未到期) and the citation of the rule in force for the
    item. Nothing is recomputed: the dates come from the extract and ``result.clocks``.

    Parameters
    ----------
    result : AuditResult
    case_id : str
        The item's 信访件编号 (all rows with that id are included when it is duplicated).

    Returns
    -------
    DataFrame
        Columns :data:`TIMELINE_COLUMNS`.

    Raises
    ------
    CaseNotFoundError
        No row has that case id.
    """
    rows = _rows_of_case(result, case_id)
    events = _events(result.extract.frame.iloc[rows])
    deadlines = _deadlines(result, rows)
    table = pd.concat([df for df in (events, deadlines) if not df.empty] or [events])
    table = table.reindex(columns=TIMELINE_COLUMNS)
    table["超期天数"] = pd.to_numeric(table["超期天数"]).astype("Int64")
    order = table["类别"].map({EVENT: 0, DEADLINE: 1})
    table = table.assign(_o=order).sort_values(["日期", "_o", "名称"], kind="stable")
    return table.drop(columns="_o").reset_index(drop=True)


def pick_case(result) -> str | None:
    """A case worth looking at first: the open overdue finding with the most days late
    (else the first finding, else the first item); None for an empty extract."""
    f = result.findings
    if not f.empty:
        ranked = f.assign(_late=pd.to_numeric(f["days_late"]).fillna(-1),
                          _open=open_overdue_mask(f))
        ranked = ranked[ranked["case_id"].notna()]
        if not ranked.empty:
            ranked = ranked.sort_values(["_open", "_late", "case_id"],
                                        ascending=[False, False, True])
            return str(ranked["case_id"].iloc[0])
    ids = result.extract.frame.get("case_id")
    if ids is None or ids.dropna().empty:
        return None
    return str(ids.dropna().iloc[0])


def case_record(result, case_id: str, mask: bool = True) -> pd.DataFrame:
    """One item's ledger cells as 字段 / 值 rows (personal data masked unless ``mask=False``),
    every value as shown to a reader (dates ``2026-10-31``, 是/否, empty cells blank).

    Raises
    ------
    CaseNotFoundError
        No row has that case id.
    """
    from xfaudit.display import clean_frame
    from xfaudit.privacy import mask_frame

    rows = _rows_of_case(result, case_id)
    part = mask_frame(result.extract.frame.iloc[rows], enabled=mask)
    part = clean_frame(part.rename(columns=header_of).rename(columns={SOURCE_ROW: "台账行号"}))
    shown = part.T
    shown.columns = [f"第{i + 1}条" for i in range(len(rows))] if len(rows) > 1 else ["值"]
    return shown.rename_axis("字段").reset_index()


def extract_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of an extract's canonical frame with the Chinese headers (台账行号, 信访件编号, …)."""
    return frame.rename(columns=header_of).rename(columns={SOURCE_ROW: "台账行号"})


def case_findings(result, case_id: str) -> pd.DataFrame:
    """The findings of one item (every check that fired for it)."""
    f = result.findings
    return f[(f["case_id"] == str(case_id)).fillna(False)].reset_index(drop=True)


def findings_table(findings: pd.DataFrame, columns: list[str] | None = None,
                   profiles=None) -> pd.DataFrame:
    """Findings with Chinese headers and values (问题性质, 是/否, the statute title for
    适用规则), for showing. ``profiles``: the audit's ProfileSet, for the titles of a profile
    given as a file."""
    from xfaudit.model import FINDING_COLUMNS, FINDING_HEADERS

    shown = findings[columns or FINDING_COLUMNS].copy()
    if "kind" in shown:
        shown["kind"] = shown["kind"].map(KIND_LABELS)
    for column in ("is_open", "waived"):
        if column in shown:
            shown[column] = np.where(shown[column].astype(bool), "是", "否")
    if "profile" in shown:
        titles = profile_titles(profiles)
        shown["profile"] = shown["profile"].map(lambda name: titles.get(name, name))
    return shown.rename(columns=FINDING_HEADERS).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Filtering findings (result.filter): parts of names, and a helpful line when nothing matches
# ---------------------------------------------------------------------------------------------

def _contains(values: pd.Series, text: str) -> pd.Series:
    return values.astype("string").str.contains(text, regex=False, case=False).fillna(False)


def _check_mask(findings: pd.DataFrame, text: str) -> pd.Series:
    return _contains(findings["check_id"], text) | _contains(findings["check_name"], text)


def _closest(text: str, names: list[str], n: int = 3) -> list[str]:
    """Names sharing most characters with ``text`` (then the difflib ratio)."""
    import difflib

    wanted = set(text)
    scored = sorted(((len(wanted & set(name)) / max(len(wanted), 1),
                      difflib.SequenceMatcher(None, text, name).ratio(), name)
                     for name in names), reverse=True)
    return [name for share, ratio, name in scored[:n] if share > 0 or ratio >= 0.4]


def _units_of(findings: pd.DataFrame) -> list[str]:
    names = pd.concat([findings["handling_unit"], findings["responsible_unit"]]).dropna()
    return sorted(set(names.astype(str)))


def filter_findings(result, *, unit=None, check=None, severity=None, include_waived=True,
                    period_status=None) -> tuple[pd.DataFrame, str | None]:
    """The rows :meth:`AuditResult.filter` returns, and — when none — a Chinese line saying
    which condition matched nothing and the closest unit / check names (or, when each
    condition matches alone, what the unit does have)."""
    f = result.findings
    masks = {}
    if unit:
        masks["unit"] = _contains(f["handling_unit"], unit) | _contains(f["responsible_unit"], unit)
    if check:
        masks["check"] = _check_mask(f, check)
    if severity:
        masks["severity"] = (f["severity"] == severity).fillna(False)
    if period_status:
        masks["period_status"] = _contains(f["period_status"], period_status)
    mask = pd.Series(True, index=f.index)
    for part in masks.values():
        mask &= part
    if not include_waived:
        mask &= ~f["waived"].astype(bool)
    rows = f[mask.to_numpy(dtype=bool)]
    if len(rows) or not masks:
        return rows, (None if len(rows) else "本期没有发现问题。")
    return rows, _no_match_message(result, f, masks, unit=unit, check=check, severity=severity,
                                   period_status=period_status)


def _no_match_message(result, f, masks, **given) -> str:
    lines, known = [], []
    if "unit" in masks and not masks["unit"].any():
        if not has_unit_column(result):
            lines.append("台账没有责任单位列，无法按单位筛选。")
        else:
            near = _closest(given["unit"], _units_of(f))
            lines.append(f"没有责任单位包含“{given['unit']}”的问题。"
                         + (f"相近的单位：{'、'.join(near)}。" if near else ""))
    if "check" in masks and not masks["check"].any():
        text = given["check"]
        known = [c for c in checks().values() if text.lower() in c.id.value.lower()
                 or text in c.name]
        if not known:
            near = _closest(text, [c.name for c in checks().values()])
            lines.append(f"没有名称或编号包含“{text}”的检查项。"
                         + (f"相近的检查项：{'、'.join(near)}。" if near else ""))
    if "severity" in masks and not masks["severity"].any():
        lines.append(f"没有严重程度为“{given['severity']}”的问题（严重程度：严重、较重、一般、提示）。")
    if "period_status" in masks and not masks["period_status"].any():
        lines.append(f"没有本期状态为“{given['period_status']}”的问题"
                     "（本期新发现、持续未办、本期已纠正、历史问题）。")
    if lines:
        return "".join(lines)
    if "unit" in masks:
        mine = f[masks["unit"].to_numpy(dtype=bool)]
        others = "、".join(f"“{given[k]}”" for k in ("check", "severity", "period_status")
                          if k in masks)
        kinds = mine["check_name"].value_counts()
        return (f"“{given['unit']}”有 {len(mine)} 个问题，但其中没有{others}的问题。该单位的问题类型："
                + "、".join(f"{n}（{k}个）" for n, k in kinds.items()) + "。")
    if known:
        status = {c["check_id"]: c["status"] for c in result.summary["checks"]}
        return "".join(f"本期没有“{c.name}”的问题（{status.get(c.id.value, '已评估')}）。"
                       for c in known)
    return "没有同时符合全部条件的问题；请减少筛选条件。"
