"""What every recommendation rule shares: the data model, who a finding's unit is, naming by the
statute in force, dates (成文日期, 反馈期限) and numbering.

Which findings a recommendation may rest on (:func:`accountable`): accountability findings
(履职问题), not waived (正当理由), of this month (本期状态 本期新发现 or 持续未办,
:data:`xfaudit.periods.CURRENT`), whose duty-holder (``responsible_unit``) is a unit the bureau
writes to. The others are sorted by :func:`unit_class`:

- **self** (自查) — the bureau's own failures: responsible role 信访部门, a unit the unit register
  marks 是否本局, or the configured issuer itself. They go to the report's 自查 table, never into
  a letter the bureau would send to itself;
- **pending** (待核实) — no unit is known: 责任单位 empty or absent (the pseudo-units of
  :func:`xfaudit.views.pseudo_units`), or a review organ the ledger does not name
  (``待核实（复查机关）``). Listed for the inspector; no letter.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xfaudit.audit import AuditResult
from xfaudit.config import AccountabilityConfig, Scheme
from xfaudit.dates import parse_period
from xfaudit.periods import CURRENT, HISTORICAL, current
from xfaudit.views import pseudo_units

KINDS = ("improvement", "policy", "sanction")
KIND_TITLES = {"improvement": "改进工作建议", "policy": "完善政策建议", "sanction": "追究责任建议"}
#: Chinese names of the documents (registers, report tables; never an English code on a page).
DOCUMENT_NAMES = {"improvement": "督办及改进工作建议函", "policy": "完善政策建议",
                  "sanction": "追究责任建议（草稿）", "circular": "通报"}

UNIT, SELF, PENDING = "unit", "self", "pending"
#: The responsible role of the bureau's own duties (checks.toml ``[duty_holders]``).
BUREAU_ROLE = "信访部门"
#: The prefix of a duty-holder the ledger does not name (checks.toml ``when_blank``).
UNKNOWN_PREFIX = "待核实"

#: A unit outside the county whose bureau writes the letters (per-county outputs of a
#: provincial audit, :mod:`xfaudit.scale.counties`): listed 待核实, never addressed.
OUTSIDE_PREFIX = "待核实（不属本县区）"

#: Columns of a recommendation's case table (one row per finding).
CASE_COLUMNS = ["case_id", "check_id", "check_name", "ground", "scheme", "profile", "start_on",
                "last_day", "actual_on", "days_late", "is_open", "period_status", "citation",
                "detail"]

#: Columns of a sanction draft's conduct table (one row per finding).
CONDUCT_COLUMNS = ["case_id", "check_id", "check_name", "label", "since", "days_late",
                   "period_status", "text"]
#: Columns of a sanction draft's consequence table (one row per fact).
CONSEQUENCE_COLUMNS = ["case_id", "label", "on", "later_case_id", "text", "counts"]

#: Chinese headers of :meth:`RecommendationSet.to_frame`.
HEADERS = {"id": "建议编号", "name": "建议类型", "unit": "责任单位", "category": "内容分类",
           "addressee": "主送机关", "title": "标题", "statute": "适用条例", "citation": "依据",
           "grounds": "违规情形", "cases": "涉及信访件", "findings": "问题数",
           "conduct": "行为", "consequences": "后果", "figures": "数据",
           "issued_on": "成文日期", "feedback_due": "反馈期限", "feedback_basis": "期限依据",
           "doc_no": "发文字号", "draft": "草稿"}

#: Columns of the 待核实 list.
PENDING_COLUMNS = ["unit", "what", "reason", "findings", "cases"]


@dataclass(frozen=True)
class GroundSummary:
    """The findings of an improvement recommendation under one legal ground."""

    code: str
    label: str
    citation: str
    advice: str
    findings: int
    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class StatutePart:
    """The findings of a recommendation under one statute text (a unit's letter may hold the
    items of both texts, each citing its own)."""

    scheme: str
    statute: str
    profile: str
    citation: str
    quote: str
    grounds: tuple[GroundSummary, ...]
    findings: int
    feedback_due: dt.date | None
    feedback_basis: str
    feedback_citation: str
    feedback_quote: str


@dataclass
class Recommendation:
    """One recommendation draft, with its evidence.

    Attributes
    ----------
    id : str
        ``<period>-<code>-<nnn>`` (codes in recommendations.toml), stable across reruns.
    kind : {"improvement", "policy", "sanction"}
    name : str
        The statute's name for it (改进工作建议 / 完善政策建议 / 行政处分建议 / 追究责任建议).
    unit : str or None
        The responsible unit (None for a policy recommendation).
    addressee : str
        主送机关: the unit, the government / Party committee, or the body with authority.
    title : str
        The letter's title; ``|`` marks where it breaks by meaning when it needs two lines.
    statute, citation : str
        The statute text(s) and the article(s) it rests on (joined with 、 when the items fall
        under both texts).
    parts : tuple of StatutePart
        Per statute text: its grounds, quoted article and feedback limit.
    cases : DataFrame
        ``CASE_COLUMNS``: the findings behind it (no personal data, no 主要诉求 text).
    conduct, consequences : DataFrame
        Sanction only: ``CONDUCT_COLUMNS`` (the proven conduct, each a finding) and
        ``CONSEQUENCE_COLUMNS`` (each consequence with its date; ``counts`` False for a fact
        listed 待核实 only).
    figures : dict
        Numbers behind it (JSON-ready).
    issued_on, feedback_due : date
        成文日期; the date the written answer is due (None when no answer is due).
    feedback_basis, feedback_citation : str
        Where the feedback limit comes from (says so when it is the bureau's own default).
    draft : bool
        A sanction draft (草稿，供审核) — every document is a draft until approved; this marks
        the ones that are drafts by nature.
    doc_no : str or None
        发文字号, given once the inspector approves it in the follow-up register.
    """

    id: str
    kind: str
    name: str
    unit: str | None
    addressee: str
    title: str
    statute: str
    citation: str
    scheme: str
    profile: str
    period: str
    issued_on: dt.date
    feedback_due: dt.date | None
    feedback_basis: str
    feedback_citation: str
    parts: tuple[StatutePart, ...] = ()
    cases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CASE_COLUMNS))
    conduct: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONDUCT_COLUMNS))
    consequences: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=CONSEQUENCE_COLUMNS))
    figures: dict = field(default_factory=dict)
    category: str | None = None
    draft: bool = False
    doc_no: str | None = None
    quote: str = ""

    @property
    def grounds(self) -> tuple[GroundSummary, ...]:
        return tuple(g for part in self.parts for g in part.grounds)

    @property
    def case_ids(self) -> list[str]:
        return list(dict.fromkeys(self.cases["case_id"].astype(str)))

    def to_dict(self) -> dict:
        """JSON-ready summary (one row of :meth:`RecommendationSet.to_frame`)."""
        grounds = "；".join(f"{g.label}（{g.citation}）{g.findings}个问题" for g in self.grounds)
        conduct = "；".join(self.conduct["case_id"].astype(str) + "：" + self.conduct["label"]
                           + "——" + self.conduct["text"])
        counted = self.consequences[self.consequences["counts"].astype(bool)]
        harm = "；".join(counted["case_id"].astype(str) + "：" + counted["label"] + "——"
                        + counted["text"])
        return {
            "id": self.id, "name": self.name, "unit": self.unit, "category": self.category,
            "addressee": self.addressee, "title": self.title.replace("|", ""),
            "statute": self.statute, "citation": self.citation, "grounds": grounds,
            "cases": "、".join(self.case_ids), "findings": int(len(self.cases)),
            "conduct": conduct, "consequences": harm,
            "figures": json.dumps(self.figures, ensure_ascii=False, default=str),
            "issued_on": self.issued_on.isoformat(),
            "feedback_due": self.feedback_due.isoformat() if self.feedback_due else None,
            "feedback_basis": self.feedback_basis, "doc_no": self.doc_no, "draft": self.draft,
        }


@dataclass
class RecommendationSet:
    """All recommendations of one run, in id order, with what was kept out of them.

    Attributes
    ----------
    self_check : DataFrame
        The bureau's own findings of this month (自查): never in a letter to itself.
    pending : DataFrame
        ``PENDING_COLUMNS``: what no letter or draft was made for because a fact is missing
        (no unit known, a review organ not named, a consequence without a date, a sanction
        under the 2005 text to a unit not known to be a 行政机关, a suspected 弄虚作假).
    history : DataFrame
        历史问题: late acts completed before the period, never reported — listed once, in the
        report, never in a letter.
    """

    items: list[Recommendation]
    period: str
    as_of: pd.Timestamp
    issued_on: dt.date
    rules: dict
    notes: list[str] = field(default_factory=list)
    self_check: pd.DataFrame = field(default_factory=pd.DataFrame)
    pending: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PENDING_COLUMNS))
    history: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: int | str) -> Recommendation:
        if isinstance(key, str):
            return next(r for r in self.items if r.id == key)
        return self.items[key]

    def of_kind(self, kind: str) -> list[Recommendation]:
        return [r for r in self.items if r.kind == kind]

    def to_frame(self, chinese: bool = False) -> pd.DataFrame:
        """One row per recommendation (``HEADERS`` columns; Chinese headers if asked)."""
        frame = pd.DataFrame([r.to_dict() for r in self.items], columns=list(HEADERS))
        return frame.rename(columns=HEADERS) if chinese else frame

    def cases_frame(self) -> pd.DataFrame:
        """One row per (recommendation, finding): the evidence tables stacked."""
        parts = [r.cases.assign(recommendation=r.id, kind=r.kind, unit=r.unit)
                 for r in self.items if len(r.cases)]
        if not parts:
            return pd.DataFrame(columns=["recommendation", "kind", "unit", *CASE_COLUMNS])
        return pd.concat(parts, ignore_index=True)[
            ["recommendation", "kind", "unit", *CASE_COLUMNS]]

    def _repr_html_(self) -> str:
        counts = {k: len(self.of_kind(k)) for k in KINDS}
        head = (f"<p>三项建议（{html.escape(self.period)}）：改进工作建议 {counts['improvement']} 份，"
                f"完善政策建议 {counts['policy']} 份，处分/追责建议草稿 {counts['sanction']} 份。</p>")
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        table = self.to_frame(chinese=True)[["建议编号", "建议类型", "责任单位", "内容分类",
                                             "主送机关", "问题数", "反馈期限"]]
        from xfaudit.display import html_table

        return head + notes + html_table(table)


# -- who a finding's unit is ----------------------------------------------------------------

def unit_class(findings: pd.DataFrame, bureau: str | None = None, units=None) -> pd.Series:
    """Per finding: ``unit`` (a unit the bureau writes to), ``self`` (the bureau itself: 自查)
    or ``pending`` (no unit known: 待核实)."""
    unit = findings["responsible_unit"]
    out = pd.Series(UNIT, index=findings.index, dtype=object)
    unknown = (unit.isna() | unit.isin(pseudo_units())
               | unit.astype("string").str.startswith(UNKNOWN_PREFIX).fillna(False))
    own = findings["responsible_role"].eq(BUREAU_ROLE).fillna(False)
    if bureau:
        own |= unit.eq(bureau).fillna(False)
    if units is not None:
        names = unit.dropna().unique()
        ours = [n for n in names if units.is_bureau(n)]
        own |= unit.isin(ours)
    out[unknown.to_numpy(dtype=bool)] = PENDING
    out[own.to_numpy(dtype=bool)] = SELF
    return out


def accountable(findings: pd.DataFrame, bureau: str | None = None, units=None) -> pd.DataFrame:
    """What recommendations, letters, the circular and streaks count: :func:`current`
    findings of a unit the bureau writes to."""
    mask = current(findings) & (unit_class(findings, bureau, units) == UNIT)
    return findings[mask]


def historical(findings: pd.DataFrame) -> pd.DataFrame:
    """历史问题: late acts completed before the period and never reported."""
    return findings[(findings["kind"] == "accountability")
                    & (findings["period_status"] == HISTORICAL)]


# -- the period's items ----------------------------------------------------------------------

def period_items(frame: pd.DataFrame, period) -> pd.Series:
    """Items a month-only export of ``period`` holds: any date within the month, or received
    before it and not concluded before it. Figures over "this month's items" (the policy
    pattern, the circular's item count) count these, so a month-only and a cumulative export
    give the same figures."""
    month = parse_period(period)
    first, last = month.first_day, month.last_day
    dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    event = np.zeros(len(frame), dtype=bool)
    for column in dates:
        event |= frame[column].between(first, last).fillna(False).to_numpy(dtype=bool)
    if "received_on" in frame.columns:
        concluded = (frame["concluded_on"] if "concluded_on" in frame.columns
                     else pd.Series(pd.NaT, index=frame.index))
        open_at_start = ((frame["received_on"] < first)
                         & ~(concluded < first).fillna(False)).fillna(False)
        event |= open_at_start.to_numpy(dtype=bool)
    return pd.Series(event, index=frame.index)


# -- the context every rule shares ---------------------------------------------------------

class Context:
    """What every rule needs: the result, the configuration, dates and per-profile naming."""

    def __init__(self, result: AuditResult, cfg: AccountabilityConfig, period: str,
                 issued_on: dt.date, calendar=None, units=None):
        self.result, self.cfg, self.period, self.issued_on = result, cfg, period, issued_on
        self.calendar, self.units = calendar, units
        self._cache: dict[str, dict] = {}

    @property
    def bureau(self) -> str | None:
        return self.cfg.issuer

    def accountable(self) -> pd.DataFrame:
        return accountable(self.result.findings, self.bureau, self.units)

    def profile_info(self, name: str) -> dict:
        """Names, citations, scheme and feedback rule of the profile member ``name``."""
        if name not in self._cache:
            profile = self.result.profiles.by_name(name)
            recs = profile.recommendations
            scheme = self.cfg.scheme_for(recs, name)
            self._cache[name] = {"profile": profile, "recs": recs, "scheme": scheme,
                                 "spec": self.cfg.raw["schemes"][scheme.key]}
        return self._cache[name]

    def profile_order(self) -> dict[str, int]:
        return {p.name: i for i, p in enumerate(self.result.profiles.members)}

    def naming(self, kind: str, profile_name: str) -> dict:
        info = self.profile_info(profile_name)
        recs, scheme = info["recs"], info["scheme"]
        due, basis = self.feedback(kind, profile_name)
        return {"name": recs.get(kind, KIND_TITLES[kind]),
                "citation": recs.get(f"{kind}_citation", ""),
                "feedback_citation": recs.get("feedback_citation", ""),
                "statute": scheme.statute, "scheme": scheme.key, "profile": profile_name,
                "feedback_due": due, "feedback_basis": basis}

    def quote(self, kind: str, profile_name: str) -> str:
        """The article a recommendation of ``kind`` rests on, as the scheme quotes it."""
        return self.profile_info(profile_name)["spec"].get(f"{kind}_quote", "")

    def feedback(self, kind: str, profile_name: str) -> tuple[dt.date | None, str]:
        """Feedback due date and its basis for a recommendation of ``kind``."""
        info = self.profile_info(profile_name)
        scheme: Scheme = info["scheme"]
        citation = info["recs"].get("feedback_citation", scheme.statute)
        if kind not in scheme.feedback_kinds:
            return None, f"{scheme.statute}未规定该类建议的书面反馈期限"
        limit = info["profile"].limits.get("recommendation_feedback")
        if limit is not None and limit.days is not None:
            return add_days(self.issued_on, limit.days, limit.day_kind, self.calendar), \
                f"{limit.citation}：{limit.describe()}"
        days = int(self.cfg["followup"]["default_feedback_days"])
        return add_days(self.issued_on, days, "calendar", self.calendar), \
            f"{citation}要求书面反馈采纳情况但未规定天数，按本局设定的{days}日"

    def title(self, kind: str, **values) -> str:
        return self.cfg.letters["titles"][kind].format(county=self.cfg.bureau["county"],
                                                       **values)


def add_days(start: dt.date, days: int, kind: str, calendar=None) -> dt.date:
    """``days`` calendar or working days after ``start`` (working days by ``calendar``, the
    run's, else the built-in tables); a year no table covers counts Monday to Friday."""
    if kind == "calendar":
        return start + dt.timedelta(days=days)
    from xfaudit.calendar import LegalCalendar
    from xfaudit.errors import XfauditError

    calendar = calendar or LegalCalendar.default()
    try:
        end = calendar.add_days(pd.Series([pd.Timestamp(start)]), days, kind)
        return end.iloc[0].date()
    except (XfauditError, ValueError):
        return np.busday_offset(np.datetime64(start, "D"), days, roll="backward").astype(
            dt.date)


def issue_date(as_of: pd.Timestamp, cfg: AccountabilityConfig, issued_on=None,
               calendar=None) -> dt.date:
    """成文日期: ``issued_on`` if given, else ``[letters] issue_offset_days`` days of
    ``issue_day_kind`` after the audit date (default: the first working day after it)."""
    if issued_on is not None:
        return pd.Timestamp(issued_on).date()
    letters = cfg.letters
    return add_days(pd.Timestamp(as_of).date(), int(letters["issue_offset_days"]),
                    letters["issue_day_kind"], calendar)


def default_period(as_of: pd.Timestamp) -> str:
    """The month an audit date closes, as ``YYYY-MM``."""
    return pd.Timestamp(as_of).strftime("%Y-%m")


def with_grounds(f: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Add the ground code and the scheme of every finding (by the scheme of its profile)."""
    f = f.assign(ground=None, scheme=None)
    for name in f["profile"].dropna().unique():
        scheme = ctx.profile_info(name)["scheme"]
        rows = f["profile"] == name
        f.loc[rows, "ground"] = f.loc[rows, "check_id"].map(scheme.check_grounds())
        f.loc[rows, "scheme"] = scheme.key
    return f


def case_table(f: pd.DataFrame) -> pd.DataFrame:
    out = f.reindex(columns=CASE_COLUMNS).reset_index(drop=True)
    out["days_late"] = out["days_late"].astype("Int64")
    return out


def number(items: list[Recommendation], cfg: AccountabilityConfig, period: str) -> None:
    codes = cfg["codes"]
    for kind in KINDS:
        for n, rec in enumerate((r for r in items if r.kind == kind), start=1):
            rec.id = f"{period}-{codes[kind]}-{n:03d}"
