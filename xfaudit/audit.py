"""The audit: extract → clocks → GX validation → findings, with a summary.

``audit(extract, as_of=..., profile=...)`` is the one library call behind ``xfaudit check``,
the monthly notebook and the interactive notebook. :func:`derive` is its first half (the
frames the suites judge), shared with :func:`xfaudit.suites.prepare`.
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.calendar import LegalCalendar
from xfaudit.clocks import (Clocks, TableFacts, derive_clocks, ids_as_codes, judged_ledger,
                            ledger_positions, table_facts)
from xfaudit.dates import DateWindow, chinese_date, parse_as_of
from xfaudit.events import empty_events, item_events
from xfaudit.findings import build_findings, open_overdue
from xfaudit.model import Extract, NotEvaluated
from xfaudit.profile import ProfileSet, load_profile_set
from xfaudit.schema import KIND_LABELS, checks
from xfaudit.suites import CLOCKS, LEDGER, suite_columns, suite_dicts
from xfaudit import validate


@dataclass
class AuditResult:
    """Everything one audit produced.

    Attributes
    ----------
    findings : DataFrame
        One row per (item, check) failure, columns ``model.FINDING_COLUMNS``.
    summary : dict
        Counts per check and unit, row accounting, checks not evaluated (JSON-ready).
    extract, clocks, profiles, as_of
        The inputs and the derived clocks (the clock table), for drill-down.
    validation : Validation or None
        What Great Expectations said: per expectation rows evaluated, unexpected count and
        percent (``validation.to_dict()`` is ``validation.json``) and GX's own
        ``ExpectationSuiteValidationResult`` per suite (``validation.results``, what Data Docs
        renders).
    timings : dict
        Seconds per step.
    events : DataFrame
        What happened after each item that a serious consequence may rest on
        (:mod:`xfaudit.events`): later petitions of the same petitioner, the item's own
        越级 flag and rating. No personal data. Computed on first use from
        ``events_source`` (the sanction drafts need them; ``xfaudit check`` does not).
    events_source : DataFrame or callable
        The events, or how to compute them (from the unmasked extract: a masked copy of the
        result computes the same events).
    """

    findings: pd.DataFrame
    summary: dict
    extract: Extract
    clocks: Clocks
    profiles: ProfileSet
    as_of: pd.Timestamp
    timings: dict = field(default_factory=dict)
    validation: validate.Validation | None = None
    events_source: pd.DataFrame | Callable[[], pd.DataFrame] = field(
        default_factory=empty_events, repr=False)

    @property
    def events(self) -> pd.DataFrame:
        cached = self.__dict__.get("_events")
        if cached is None:
            source = self.events_source
            cached = source() if callable(source) else source
            self.__dict__["_events"] = cached
        return cached

    def __setattr__(self, name, value):
        # The findings a notebook shows by `result.findings` carry Chinese headers and clean
        # values (FindingsFrame); code reads the same stable columns.
        if name == "findings" and isinstance(value, pd.DataFrame):
            value = all_findings(value, self.__dict__.get("profiles"))
        elif name == "profiles" and isinstance(self.__dict__.get("findings"), FindingsFrame):
            self.__dict__["findings"].profiles = value
        object.__setattr__(self, name, value)

    @property
    def not_evaluated(self) -> list[NotEvaluated]:
        return self.clocks.not_evaluated

    def filter(self, unit: str | None = None, check: str | None = None,
               severity: str | None = None, include_waived: bool = True, *,
               period_status: str | None = None) -> "FindingsFrame":
        """Findings of one unit / check / severity (any argument may be left out).

        ``unit`` matches part of a name (``石桥镇`` finds 青禾县石桥镇人民政府) in the 责任单位 or
        the 责任主体; ``check`` an id (``HANDLING_OVERDUE``, any case, also part of it) or part
        of a Chinese name (``办理超期``, ``超期``); ``severity`` is exact (严重 / 较重 / 一般 /
        提示); ``period_status`` matches part of the 本期状态 (本期新发现, 持续未办 …).

        Returns the rows as a DataFrame with the stable columns (``FindingsFrame``): shown in a
        notebook with Chinese headers, and, when nothing matches, with a line saying so and
        the closest unit and check names.
        """
        from xfaudit.views import filter_findings

        rows, message = filter_findings(self, unit=unit, check=check, severity=severity,
                                        include_waived=include_waived,
                                        period_status=period_status)
        found = FindingsFrame(rows)
        found.message = message
        found.profiles = self.profiles
        return found

    def table(self, unit: str | None = None, check: str | None = None,
              severity: str | None = None, include_waived: bool = True, *,
              period_status: str | None = None, columns: list[str] | None = None,
              mask: bool = True):
        """The findings (all, or those :meth:`filter` selects) as a table to show: Chinese
        headers and values, personal data masked, at most ``[report] max_rows`` rows."""
        from xfaudit.display import Table
        from xfaudit.views import findings_table

        found = self.filter(unit=unit, check=check, severity=severity,
                            include_waived=include_waived, period_status=period_status)
        return Table(findings_table(found, columns, profiles=self.profiles), "审计发现的问题",
                     mask=mask, empty=found.message or "没有符合条件的问题。")

    def __repr__(self) -> str:
        t = self.summary["totals"]
        return (f"AuditResult(as_of={self.summary['as_of']}, profile={self.profiles.name!r}, "
                f"accountability={t['accountability']}, data_quality={t['data_quality']})")

    def _repr_html_(self) -> str:
        from xfaudit.display import html_table
        from xfaudit.views import run_warnings

        s = self.summary
        rows = s["rows"]
        warnings = "".join(f'<p class="xf-warning"><b>注意：</b>{html.escape(w)}</p>'
                           for w in run_warnings(self))
        head = (f"<h4>审计结果（审计日 {chinese_date(self.as_of)}，规则：{html.escape(s['profile']['title'])}）</h4>"
                + warnings +
                f"<p>读取 {rows['read']} 行，审计 {rows['audited']} 行，剔除 {rows['rejected']} 行；"
                f"履职问题 {s['totals']['accountability']} 个（其中超期仍未办 "
                f"{s.get('open_overdue', 0)} 个），台账质量问题 {s['totals']['data_quality']} 个。</p>")
        table = pd.DataFrame(s["checks"])[["name", "applicable", "judged", "unjudged",
                                           "findings", "open_overdue", "waived", "status",
                                           "check_id"]]
        table.columns = ["检查项", "适用", "已判断", "无法判断", "问题数", "超期仍未办", "已豁免",
                         "状态", "编号"]
        return head + html_table(table)


class FindingsFrame(pd.DataFrame):
    """Findings selected by :meth:`AuditResult.filter`: a DataFrame with the stable columns
    (``model.FINDING_COLUMNS``) that a notebook shows with Chinese headers and clean values,
    and — when empty — with why and the closest names. Anything derived from it is a plain
    DataFrame."""

    _metadata = ["message", "profiles", "title"]

    @property
    def _constructor(self):
        return pd.DataFrame

    def _repr_html_(self) -> str:
        from xfaudit.display import Table
        from xfaudit.views import findings_table

        message = getattr(self, "message", None) or "没有符合条件的问题。"
        title = getattr(self, "title", None) or f"筛选出的问题（{len(self)} 个）"
        return Table(findings_table(pd.DataFrame(self), profiles=getattr(self, "profiles", None)),
                     title, empty=message)._repr_html_()


def all_findings(frame: pd.DataFrame, profiles) -> FindingsFrame:
    """``AuditResult.findings`` as a :class:`FindingsFrame` titled for all findings."""
    found = FindingsFrame(frame)
    found.profiles = profiles
    found.message = "本次审计没有发现问题。"
    found.title = f"审计发现的问题（{len(found)} 个）"
    return found


def _status(skipped: NotEvaluated | None, coverage: dict[str, int]) -> str:
    """未评估（缺少：…） / 部分评估（judged/applicable，其余无法判断） / 已评估."""
    if skipped is not None:
        return skipped.describe().split("：", 1)[1]
    if coverage["unjudged"]:
        return (f"部分评估（{coverage['judged']}/{coverage['applicable']}，"
                f"{coverage['unjudged']}件无法判断）")
    return "已评估"


@dataclass
class Tally:
    """The counts a summary is made of, additive over slices of the rows (the chunks of
    ``--engine chunked``, the batches of Spark): :meth:`of` one slice, :meth:`add` two.

    Attributes
    ----------
    coverage : dict
        Check → ``{"applicable", "judged", "unjudged"}`` rows.
    members : dict
        Profile member → rows it governs, in the order members first appear.
    findings : dict
        Check id → ``{"findings", "open", "open_overdue", "waived"}`` (超期仍未办:
        :func:`xfaudit.findings.open_overdue`).
    by_unit : dict
        (handling unit, check id) → findings (findings without a unit are not counted).
    """

    coverage: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)
    findings: dict = field(default_factory=dict)
    by_unit: dict = field(default_factory=dict)

    @classmethod
    def of(cls, clocks: Clocks, findings: pd.DataFrame) -> "Tally":
        counts = {}
        overdue = open_overdue(findings).to_numpy(dtype=bool)
        for cid, rows in findings.groupby("check_id", sort=False).indices.items():
            part = findings.iloc[rows]
            counts[str(cid)] = {"findings": int(len(part)), "open": int(part["is_open"].sum()),
                                "open_overdue": int(overdue[rows].sum()),
                                "waived": int(part["waived"].sum())}
        units = findings.groupby(["handling_unit", "check_id"], sort=False).size()
        members = clocks.frame["profile"].value_counts(sort=False)
        return cls(coverage={cid: clocks.coverage(cid) for cid in checks()},
                   members={str(k): int(v) for k, v in members.items()},
                   findings=counts,
                   by_unit={(str(u), str(c)): int(n) for (u, c), n in units.items()})

    def add(self, other: "Tally") -> "Tally":
        """The tally of both slices (this one's rows first)."""
        def summed(a: dict, b: dict) -> dict:
            out = dict(a)
            for key, value in b.items():
                if isinstance(value, dict):
                    out[key] = {k: out.get(key, {}).get(k, 0) + v for k, v in value.items()}
                else:
                    out[key] = out.get(key, 0) + value
            return out

        return Tally(coverage=summed(self.coverage, other.coverage),
                     members=summed(self.members, other.members),
                     findings=summed(self.findings, other.findings),
                     by_unit=summed(self.by_unit, other.by_unit))


def summarize(extract: Extract, clocks: Clocks, findings: pd.DataFrame, profiles: ProfileSet,
              as_of: pd.Timestamp) -> dict:
    """Counts per check (found / still open / waived) and per unit, row accounting, checks
    not evaluated — JSON-ready. Call again after findings change (e.g. waivers applied)."""
    return summary_of(extract.report, clocks.not_evaluated, Tally.of(clocks, findings),
                      profiles, as_of)


def summary_of(report, not_evaluated: list[NotEvaluated], tally: Tally, profiles: ProfileSet,
               as_of) -> dict:
    """The summary (see :func:`summarize`) from the ingest report, the checks not evaluated
    and the counts — the same dict whichever engine counted them."""
    missing = {n.check_id: n for n in not_evaluated}
    empty = {"findings": 0, "open": 0, "open_overdue": 0, "waived": 0}
    per_check = []
    for cid, check in checks().items():
        skipped = missing.get(cid.value)
        coverage = tally.coverage.get(cid, {"applicable": 0, "judged": 0, "unjudged": 0})
        found = tally.findings.get(cid.value, empty)
        per_check.append({
            "check_id": cid.value, "name": check.name, "kind": check.kind,
            "kind_label": KIND_LABELS[check.kind], "severity": check.severity,
            "evaluated": skipped is None,
            "missing": skipped.missing if skipped else [],
            "status": _status(skipped, coverage),
            **coverage,
            "findings": found["findings"], "open": found["open"],
            "open_overdue": found["open_overdue"], "waived": found["waived"],
        })
    totals = {kind: 0 for kind in KIND_LABELS}
    for cid, check in checks().items():
        totals[check.kind] += tally.findings.get(cid.value, empty)["findings"]
    by_unit: dict[str, dict[str, int]] = {}
    for (unit, check_id), n in sorted(tally.by_unit.items()):
        if n:
            by_unit.setdefault(unit, {})[check_id] = n
    members = pd.Series(tally.members, dtype="int64").sort_values(ascending=False)
    return {
        "as_of": pd.Timestamp(as_of).date().isoformat(),
        "profile": {"name": profiles.name, "title": profiles.title,
                    "members": [m.name for m in profiles.members],
                    "items_per_member": {str(k): int(v) for k, v in members.items()}},
        "rows": {"read": report.rows_read, "audited": report.rows_kept,
                 "rejected": report.rows_rejected, "empty": report.empty_rows,
                 "unreadable_cells": int(len(report.unreadable))},
        "totals": totals,
        "open_overdue": sum(tally.findings.get(cid.value, empty)["open_overdue"]
                            for cid in checks()),
        "checks": per_check,
        "not_evaluated": [{"check_id": n.check_id, "name": n.check_name, "missing": n.missing,
                           "text": n.describe()} for n in not_evaluated],
        "by_unit": by_unit,
    }


@dataclass
class Derived:
    """The first half of an audit: the inputs resolved and the clock table derived."""

    extract: Extract
    profiles: ProfileSet
    as_of: pd.Timestamp
    facts: TableFacts
    clocks: Clocks
    timings: dict = field(default_factory=dict)


def audit_date(as_of=None) -> pd.Timestamp:
    """The audit date from a user value (:func:`xfaudit.dates.parse_as_of`), default today."""
    return parse_as_of(as_of) if as_of is not None else pd.Timestamp(dt.date.today())


def legal_calendar(holidays=None, calendar: LegalCalendar | None = None) -> LegalCalendar:
    """``calendar``, or the working-day calendar with the given holiday file(s)."""
    if calendar is not None:
        return calendar
    files = [holidays] if isinstance(holidays, (str, Path)) else list(holidays or [])
    return LegalCalendar(holiday_files=files)


def date_window(profile: str = "auto", as_of=None) -> DateWindow:
    """The plausible days of a ledger audited under ``profile`` at ``as_of`` (default today):
    pass it to :func:`xfaudit.load.load_extract` so implausible cells keep their raw text."""
    return load_profile_set(str(profile)).date_window(audit_date(as_of))


def derive(extract: Extract | str | Path, *, as_of=None, profile: str = "auto",
           holidays: list[str | Path] | str | Path | None = None,
           calendar: LegalCalendar | None = None) -> Derived:
    """Resolve the inputs of an audit and derive the clock table (see :func:`audit`)."""
    timings = {}
    started = time.perf_counter()
    as_of = audit_date(as_of)
    profiles = load_profile_set(str(profile))
    if not isinstance(extract, Extract):
        from xfaudit.load import load_extract

        extract = load_extract(extract, date_window=profiles.date_window(as_of))
        timings["load"] = time.perf_counter() - started
    calendar = legal_calendar(holidays, calendar)
    step = time.perf_counter()
    facts = table_facts(extract, profiles.date_window(as_of))
    clocks = derive_clocks(extract, profiles, as_of, calendar, facts)
    timings["derive"] = time.perf_counter() - step
    return Derived(extract=extract, profiles=profiles, as_of=as_of, facts=facts, clocks=clocks,
                   timings=timings)


@dataclass
class SuiteFrames:
    """What :func:`xfaudit.validate.run_suites` validates: frame name → frame, the extract
    row of each judged-ledger row, and the columns passed as codes with their decoders."""

    frames: dict[str, pd.DataFrame]
    rows: dict[str, np.ndarray]
    decoders: dict[str, dict]


def suite_frames(derived: Derived, suites: dict[str, dict]) -> SuiteFrames:
    """The judged ledger (its case ids as the codes the duplicate count already computed,
    where only not-null and unique rules read them) and the clock table."""
    ledger = judged_ledger(derived.extract, derived.facts,
                           columns=suite_columns(suites[LEDGER]))
    decoders = (ids_as_codes(ledger, derived.facts)
                if validate.relabel_safe(suites[LEDGER]["expectations"], "case_id") else {})
    return SuiteFrames(frames={LEDGER: ledger, CLOCKS: derived.clocks.frame},
                       rows={LEDGER: ledger_positions(derived.facts)},
                       decoders={LEDGER: decoders})


def audit(extract: Extract | str | Path, *, as_of=None, profile: str = "auto",
          holidays: list[str | Path] | str | Path | None = None,
          calendar: LegalCalendar | None = None, period=None,
          history: pd.DataFrame | None = None, bureau: str | None = None) -> AuditResult:
    """Audit an extract: compute every legal clock, validate with GX, build findings.

    Parameters
    ----------
    extract : Extract or path
        A loaded extract, or the path of one (loaded with the profile's plausible-date window).
    as_of : date-like, optional
        The audit date open items are judged against (default: today), in any form
        :func:`xfaudit.dates.parse_as_of` reads (``2026/10/31``, ``2026年10月31日`` …).
    profile : str
        ``auto`` (default), a built-in profile name, or a profile TOML path.
    holidays : path or list of paths, optional
        Holiday files for years beyond the built-in table.
    calendar : LegalCalendar, optional
        A ready calendar (overrides ``holidays``).
    period : str, optional
        The audited month (default: the as-of date's month): each finding's period status
        (本期新发现, 持续未办, 本期已纠正, 历史问题; :mod:`xfaudit.periods`).
    history : DataFrame, optional
        The findings of earlier months (:func:`xfaudit.periods.read_history`): what was
        reported before.
    bureau : str, optional
        The petition bureau's name (the bureau configuration's issuer): the duty-holder of
        registration where the ledger names no 登记部门.

    Returns
    -------
    AuditResult
    """
    validate.preload()
    derived = derive(extract, as_of=as_of, profile=profile, holidays=holidays,
                     calendar=calendar)
    extract, profiles, clocks = derived.extract, derived.profiles, derived.clocks
    timings = derived.timings
    step = time.perf_counter()
    suites = suite_dicts(profiles)
    frames = suite_frames(derived, suites)
    validation = validate.run_suites(suites, frames.frames, clocks.evaluated, rows=frames.rows,
                                     decoders=frames.decoders)
    del frames
    timings["validate"] = time.perf_counter() - step
    step = time.perf_counter()
    findings = build_findings(extract.frame, clocks, validation, profiles, period=period,
                              history=history, bureau=bureau,
                              shared={"case_id": derived.facts.duplicate_ids})
    timings["findings"] = time.perf_counter() - step
    events = partial(item_events, extract,
                     frozenset(a for m in profiles.members for a in m.anonymous_petitioners))
    summary = summarize(extract, clocks, findings, profiles, derived.as_of)
    return AuditResult(findings=findings, summary=summary, extract=extract, clocks=clocks,
                       profiles=profiles, as_of=derived.as_of, timings=timings,
                       validation=validation, events_source=events)
