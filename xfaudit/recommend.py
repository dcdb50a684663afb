"""The three recommendations (三项建议) drafted from an audit: shared/domain/rules.md §4.

- 改进工作建议 (``improvement``): per handling unit with non-waived accountability findings,
  the findings grouped by the legal grounds of the statute in force for the items (2005
  第三十六条第一款（一）–（六）; 2022 第四十条第一款), each case with its citation.
- 完善政策建议 (``policy``): per category (内容分类) whose items show a pattern across units —
  volume, repeat-petition share, dissatisfaction share — with the figures.
- 行政处分建议 (2005) / 追究责任建议 (2022) (``sanction``): items showing BOTH a behaviour
  (推诿、敷衍、拖延、弄虚作假) AND evidence of a serious consequence; a draft per unit that shows
  both for every item.

Names, citations and grounds come from the rule profile in force for each item
(``finding.profile`` → the profile's ``[recommendations]`` table) and from
``xfaudit/data/recommendations.toml``; every threshold lives there. A recommendation is data;
the letters (``letters.py``) and the follow-up register (``followup.py``) are views of it.
Nothing here reads a petitioner's name, phone or id number except to match repeat petitions of
the same person inside the run (the key never leaves :func:`_repeat_after_deadline`).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xfaudit.audit import AuditResult
from xfaudit.config import AccountabilityConfig, Scheme, load_config
from xfaudit.dates import parse_period

KINDS = ("improvement", "policy", "sanction")
KIND_TITLES = {"improvement": "改进工作建议", "policy": "完善政策建议", "sanction": "追究责任建议"}

#: Columns of a recommendation's case table (one row per finding).
CASE_COLUMNS = ["case_id", "check_id", "check_name", "ground", "start_on", "last_day",
                "actual_on", "days_late", "is_open", "citation", "detail"]

#: Columns of a sanction draft's evidence table (one row per item).
EVIDENCE_COLUMNS = ["case_id", "behaviour", "consequences"]

#: Chinese headers of :meth:`RecommendationSet.to_frame`.
HEADERS = {"id": "建议编号", "kind": "类型代码", "name": "建议类型", "unit": "责任单位",
           "category": "内容分类", "addressee": "主送机关", "title": "标题", "statute": "适用条例",
           "citation": "依据", "grounds": "违规情形", "cases": "涉及信访件", "findings": "问题数",
           "behaviour": "行为", "consequences": "后果", "figures": "数据",
           "issued_on": "发文日期", "feedback_due": "反馈期限", "feedback_basis": "期限依据",
           "doc_no": "发文字号", "draft": "草稿"}


@dataclass(frozen=True)
class GroundSummary:
    """The findings of an improvement recommendation under one legal ground."""

    code: str
    label: str
    citation: str
    advice: str
    findings: int
    case_ids: tuple[str, ...]


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
        The handling unit concerned (None for a policy recommendation).
    addressee : str
        主送机关: the unit, the government / Party committee, or the body with authority.
    title, statute, citation : str
        Letter title; the statute text (《信访条例》/《信访工作条例》); the article it rests on.
    scheme, profile : str
        The statute scheme (``2005``/``2022``) and the rule profile of the items.
    grounds : tuple of GroundSummary
        Improvement only: findings per legal ground.
    cases : DataFrame
        ``CASE_COLUMNS``: the findings behind it (no personal data, no 主要诉求 text).
    behaviour, consequences : tuple of str
        Sanction only: "<case id>：<label>——<fact>" lines.
    evidence : DataFrame
        Sanction only: ``EVIDENCE_COLUMNS``, one row per item.
    figures : dict
        Numbers behind it (JSON-ready).
    issued_on, feedback_due : date
        Date of issue; the date the written answer is due (None when no answer is due).
    feedback_basis, feedback_citation : str
        Where the feedback limit comes from (says so when it is the bureau's own default).
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
    grounds: tuple[GroundSummary, ...] = ()
    cases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CASE_COLUMNS))
    behaviour: tuple[str, ...] = ()
    consequences: tuple[str, ...] = ()
    evidence: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EVIDENCE_COLUMNS))
    figures: dict = field(default_factory=dict)
    category: str | None = None
    draft: bool = False
    doc_no: str | None = None

    @property
    def case_ids(self) -> list[str]:
        return list(dict.fromkeys(self.cases["case_id"].astype(str)))

    def to_dict(self) -> dict:
        """JSON-ready summary (one row of :meth:`RecommendationSet.to_frame`)."""
        grounds = "；".join(f"{g.label}（{g.citation}）{g.findings}个问题" for g in self.grounds)
        return {
            "id": self.id, "kind": self.kind, "name": self.name, "unit": self.unit,
            "category": self.category, "addressee": self.addressee, "title": self.title,
            "statute": self.statute, "citation": self.citation, "grounds": grounds,
            "cases": "、".join(self.case_ids), "findings": int(len(self.cases)),
            "behaviour": "；".join(self.behaviour), "consequences": "；".join(self.consequences),
            "figures": json.dumps(self.figures, ensure_ascii=False, default=str),
            "issued_on": self.issued_on.isoformat(),
            "feedback_due": self.feedback_due.isoformat() if self.feedback_due else None,
            "feedback_basis": self.feedback_basis, "doc_no": self.doc_no, "draft": self.draft,
        }


@dataclass
class RecommendationSet:
    """All recommendations of one run, in id order, with the rules that produced them."""

    items: list[Recommendation]
    period: str
    as_of: pd.Timestamp
    issued_on: dt.date
    rules: dict
    notes: list[str] = field(default_factory=list)

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
        table = self.to_frame(chinese=True)[["建议编号", "建议类型", "责任单位", "内容分类", "主送机关",
                                             "问题数", "反馈期限"]]
        from xfaudit.display import html_table

        return head + notes + html_table(table)


# -- helpers -----------------------------------------------------------------------------------

class _Context:
    """What every rule needs: the result, the configuration, dates and per-profile naming."""

    def __init__(self, result: AuditResult, cfg: AccountabilityConfig, period: str,
                 issued_on: dt.date):
        self.result, self.cfg, self.period, self.issued_on = result, cfg, period, issued_on
        self._cache: dict[str, dict] = {}

    def profile_info(self, name: str) -> dict:
        """Names, citations, scheme and feedback rule of the profile member ``name``."""
        if name not in self._cache:
            profile = self.result.profiles.by_name(name)
            recs = profile.recommendations
            scheme = self.cfg.scheme_for(recs, name)
            self._cache[name] = {"profile": profile, "recs": recs, "scheme": scheme}
        return self._cache[name]

    def naming(self, kind: str, profile_name: str) -> dict:
        info = self.profile_info(profile_name)
        recs, scheme = info["recs"], info["scheme"]
        due, basis = self.feedback(kind, profile_name)
        return {"name": recs.get(kind, KIND_TITLES[kind]),
                "citation": recs.get(f"{kind}_citation", ""),
                "feedback_citation": recs.get("feedback_citation", ""),
                "statute": scheme.statute, "scheme": scheme.key, "profile": profile_name,
                "feedback_due": due, "feedback_basis": basis}

    def feedback(self, kind: str, profile_name: str) -> tuple[dt.date | None, str]:
        """Feedback due date and its basis for a recommendation of ``kind``."""
        info = self.profile_info(profile_name)
        scheme: Scheme = info["scheme"]
        citation = info["recs"].get("feedback_citation", scheme.statute)
        if kind not in scheme.feedback_kinds:
            return None, f"{scheme.statute}未规定该类建议的书面反馈期限"
        limit = info["profile"].limits.get("recommendation_feedback")
        if limit is not None and limit.days is not None:
            return _add_days(self.issued_on, limit.days, limit.day_kind), \
                f"{limit.citation}：{limit.describe()}"
        days = int(self.cfg["followup"]["default_feedback_days"])
        return _add_days(self.issued_on, days, "calendar"), \
            (f"{citation}要求书面反馈采纳情况但未规定天数，按本局设定的{days}日"
             "（配置项 [followup] default_feedback_days）")


def _add_days(start: dt.date, days: int, kind: str) -> dt.date:
    if kind == "calendar":
        return start + dt.timedelta(days=days)
    from xfaudit.calendar import LegalCalendar

    end = LegalCalendar.default().add_days(pd.Series([pd.Timestamp(start)]), days, kind)
    return end.iloc[0].date()


def accountable(findings: pd.DataFrame) -> pd.DataFrame:
    """Non-waived accountability findings of a known unit: what recommendations count (a
    label that stands for no unit, such as 责任单位未知（台账无此列）, is no unit)."""
    from xfaudit.indicators import pseudo_units

    keep = ((findings["kind"] == "accountability") & ~findings["waived"].astype(bool)
            & findings["handling_unit"].notna()
            & ~findings["handling_unit"].isin(pseudo_units()))
    return findings[keep]


def _with_grounds(f: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Add the ground code of every finding (by the scheme of its profile)."""
    f = f.assign(ground=None)
    for name in f["profile"].dropna().unique():
        mapping = ctx.profile_info(name)["scheme"].check_grounds()
        rows = f["profile"] == name
        f.loc[rows, "ground"] = f.loc[rows, "check_id"].map(mapping)
    return f


def _case_table(f: pd.DataFrame) -> pd.DataFrame:
    out = f.reindex(columns=CASE_COLUMNS).reset_index(drop=True)
    out["days_late"] = out["days_late"].astype("Int64")
    return out


def _profile_order(ctx: _Context) -> dict[str, int]:
    return {p.name: i for i, p in enumerate(ctx.result.profiles.members)}


def _number(items: list[Recommendation], cfg: AccountabilityConfig, period: str) -> None:
    codes = cfg["codes"]
    for kind in KINDS:
        for n, rec in enumerate((r for r in items if r.kind == kind), start=1):
            rec.id = f"{period}-{codes[kind]}-{n:03d}"


def _title(cfg: AccountabilityConfig, kind: str, **values) -> str:
    return cfg.letters["titles"][kind].format(county=cfg.issuer["county"], **values)


# -- 改进工作建议 ------------------------------------------------------------------------------

def improvement(ctx: _Context) -> list[Recommendation]:
    """改进工作建议 per (unit, profile) with at least ``[improvement] min_findings`` findings."""
    f = accountable(ctx.result.findings)
    if f.empty:
        return []
    f = _with_grounds(f, ctx)
    order = _profile_order(ctx)
    threshold = int(ctx.cfg["improvement"]["min_findings"])
    out = []
    groups = sorted(f.groupby(["handling_unit", "profile"], sort=False),
                    key=lambda g: (str(g[0][0]), order.get(g[0][1], 0)))
    for (unit, profile), part in groups:
        if len(part) < threshold:
            continue
        naming = ctx.naming("improvement", profile)
        scheme = ctx.profile_info(profile)["scheme"]
        grounds = tuple(
            GroundSummary(code=g.code, label=g.label, citation=g.citation, advice=g.advice,
                          findings=int((part["ground"] == g.code).sum()),
                          case_ids=tuple(dict.fromkeys(part.loc[part["ground"] == g.code,
                                                                "case_id"].astype(str))))
            for g in scheme.grounds if (part["ground"] == g.code).any())
        figures = {"findings": int(len(part)), "cases": int(part["case_id"].nunique()),
                   "open": int(part["is_open"].sum()),
                   "by_check": part["check_name"].value_counts().sort_index().to_dict(),
                   "threshold_min_findings": threshold}
        out.append(Recommendation(
            id="", kind="improvement", unit=str(unit), addressee=str(unit),
            title=_title(ctx.cfg, "improvement", unit=unit, name=naming["name"]),
            period=ctx.period, issued_on=ctx.issued_on, grounds=grounds,
            cases=_case_table(part), figures=figures, **naming))
    return out


# -- 完善政策建议 ------------------------------------------------------------------------------

def category_figures(result: AuditResult, cfg: AccountabilityConfig) -> pd.DataFrame:
    """Per category: items, units, share of all items, repeat and dissatisfaction figures, and
    which policy signals reach their thresholds (vectorised over the extract)."""
    rules = cfg["policy"]
    frame = result.extract.frame
    if "category" not in frame.columns or frame.empty:
        return pd.DataFrame()
    items = frame.assign(profile=result.clocks.frame["profile"].to_numpy())
    items = items[items["category"].notna()]
    g = items.groupby("category", sort=True)
    stats = pd.DataFrame({"items": g.size(),
                          "units": g["handling_unit"].nunique() if "handling_unit" in items
                          else 0})
    stats["share"] = stats["items"] / max(len(frame), 1)
    if "is_repeat" in items.columns:
        stats["repeat"] = g["is_repeat"].sum().astype(int)
        stats["repeat_known"] = g["is_repeat"].count()
    else:
        stats["repeat"], stats["repeat_known"] = 0, 0
    if "satisfaction" in items.columns:
        rated = items["satisfaction"].isin(rules["rated_values"])
        unhappy = items["satisfaction"].isin(rules["dissatisfied_values"])
        stats["rated"] = rated.groupby(items["category"]).sum().astype(int)
        stats["dissatisfied"] = unhappy.groupby(items["category"]).sum().astype(int)
    else:
        stats["rated"], stats["dissatisfied"] = 0, 0
    stats["repeat_share"] = stats["repeat"] / stats["repeat_known"].where(
        stats["repeat_known"] > 0)
    stats["dissatisfied_share"] = stats["dissatisfied"] / stats["rated"].where(stats["rated"] > 0)
    eps = 1e-12  # shares equal to a threshold must reach it despite binary fractions
    stats["volume_signal"] = stats["share"] >= rules["volume_share"] - eps
    stats["repeat_signal"] = (stats["repeat_share"] >= rules["repeat_share"] - eps).fillna(False)
    stats["dissatisfied_signal"] = ((stats["rated"] >= rules["min_rated"])
                                    & (stats["dissatisfied_share"]
                                       >= rules["dissatisfied_share"] - eps).fillna(False))
    stats["broad"] = (stats["items"] >= rules["min_items"]) & (stats["units"] >= rules["min_units"])
    stats["eligible"] = stats["broad"] & (stats["volume_signal"] | stats["repeat_signal"]
                                          | stats["dissatisfied_signal"])
    order = _profile_rank(result)
    counts = items.groupby(["category", "profile"]).size().rename("n").reset_index()
    counts["rank"] = counts["profile"].map(order)
    top = counts.sort_values(["category", "n", "rank"], ascending=[True, False, False])
    stats["profile"] = top.drop_duplicates("category").set_index("category")["profile"]
    return stats


def _profile_rank(result: AuditResult) -> dict[str, int]:
    return {p.name: i for i, p in enumerate(result.profiles.members)}


def _round(x) -> float | None:
    """A share for the figures dict (JSON-ready; None where there is no denominator)."""
    return None if pd.isna(x) else round(float(x), 4)


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _pattern_lines(row: pd.Series, rules: dict) -> list[str]:
    lines = []
    if row["volume_signal"]:
        lines.append(f"事项数量集中：{row['items']}件，占全部事项的{_pct(row['share'])}"
                     f"（预警线{_pct(rules['volume_share'])}）")
    if row["repeat_signal"]:
        lines.append(f"重复信访突出：重件{row['repeat']}件，重复信访率{_pct(row['repeat_share'])}"
                     f"（预警线{_pct(rules['repeat_share'])}）")
    if row["dissatisfied_signal"]:
        lines.append(f"群众不满意率高：参评{row['rated']}件中不满意{row['dissatisfied']}件，"
                     f"不满意率{_pct(row['dissatisfied_share'])}"
                     f"（预警线{_pct(rules['dissatisfied_share'])}）")
    return lines


def _by_unit(result: AuditResult, category: str, cfg: AccountabilityConfig) -> list[dict]:
    rules = cfg["policy"]
    frame = result.extract.frame
    part = frame[frame["category"] == category]
    g = part.groupby(part["handling_unit"].fillna("（未填写单位）"))
    table = pd.DataFrame({"items": g.size()})
    table["repeat"] = (g["is_repeat"].sum().astype(int) if "is_repeat" in part.columns else 0)
    table["dissatisfied"] = (part["satisfaction"].isin(rules["dissatisfied_values"])
                             .groupby(part["handling_unit"].fillna("（未填写单位）")).sum().astype(int)
                             if "satisfaction" in part.columns else 0)
    table = table.sort_values(["items", "repeat"], ascending=False, kind="stable")
    table = table.head(int(rules["top_units"])).reset_index(names="unit")
    return table.to_dict(orient="records")


def policy(ctx: _Context) -> list[Recommendation]:
    """完善政策建议 per category whose figures show a pattern across units."""
    stats = category_figures(ctx.result, ctx.cfg)
    if stats.empty:
        return []
    rules = ctx.cfg["policy"]
    chosen = stats[stats["eligible"]].sort_values("items", ascending=False, kind="stable")
    out = []
    for category, row in chosen.iterrows():
        naming = ctx.naming("policy", row["profile"])
        scheme = ctx.profile_info(row["profile"])["scheme"]
        figures = {
            "category": category, "items": int(row["items"]), "units": int(row["units"]),
            "share": _round(row["share"]), "total_items": int(len(ctx.result.extract.frame)),
            "repeat": int(row["repeat"]), "repeat_known": int(row["repeat_known"]),
            "repeat_share": _round(row["repeat_share"]),
            "rated": int(row["rated"]), "dissatisfied": int(row["dissatisfied"]),
            "dissatisfied_share": _round(row["dissatisfied_share"]),
            "signals": [s for s in ("volume", "repeat", "dissatisfied") if row[f"{s}_signal"]],
            "pattern": _pattern_lines(row, rules),
            "by_unit": _by_unit(ctx.result, category, ctx.cfg),
            "thresholds": {k: rules[k] for k in ("min_items", "min_units", "volume_share",
                                                 "repeat_share", "dissatisfied_share",
                                                 "min_rated")},
        }
        addressee = scheme.policy_addressee.format(**ctx.cfg.issuer)
        out.append(Recommendation(
            id="", kind="policy", unit=None, addressee=addressee, category=str(category),
            title=_title(ctx.cfg, "policy", category=category, name=naming["name"]),
            period=ctx.period, issued_on=ctx.issued_on, figures=figures, **naming))
    return out


# -- 行政处分建议 / 追究责任建议 ----------------------------------------------------------------

def _d(series: pd.Series) -> pd.Series:
    return series.dt.strftime("%Y-%m-%d").fillna("")


def behaviours(result: AuditResult, cfg: AccountabilityConfig) -> pd.DataFrame:
    """Behaviour evidence per item: ``source_row``, ``code``, ``text`` (vectorised)."""
    rules, labels = cfg["sanction"], cfg["sanction"]["labels"]
    f = accountable(result.findings)
    parts = []
    late = f[f["check_id"].isin(rules["overdue_checks"])
             & (f["days_late"].fillna(0) >= int(rules["overdue_days"]))]
    if len(late):
        when = np.where(late["is_open"], "截至审计日仍未办理", "于" + _d(late["actual_on"]) + "办理")
        parts.append(pd.DataFrame({
            "source_row": late["source_row"], "code": "overdue",
            "text": (labels["overdue"] + "——" + late["check_name"] + "，超过期限"
                     + late["days_late"].astype("Int64").astype(str) + "日（期限届满日"
                     + _d(late["last_day"]) + "，" + when + "）")}))
    silent = f[f["check_id"].isin(rules["no_reply_checks"])]
    if len(silent):
        parts.append(pd.DataFrame({
            "source_row": silent["source_row"], "code": "no_reply",
            "text": (labels["no_reply"] + "——已于" + _d(silent["start_on"])
                     + "办结，但未出具书面答复意见")}))
    frame = result.extract.frame
    if {"implementation_status", "implemented_on"} <= set(frame.columns):
        fake = frame[frame["implementation_status"].isin(rules["implemented_values"])
                     & frame["implemented_on"].isna()]
        if len(fake):
            parts.append(pd.DataFrame({
                "source_row": fake["source_row"], "code": "false_record",
                "text": (labels["false_record"] + "——落实情况记为“" + fake["implementation_status"]
                         + "”，但无落实日期")}))
    if not parts:
        return pd.DataFrame(columns=["source_row", "code", "text"])
    return pd.concat(parts, ignore_index=True)


def _petitioner_key(frame: pd.DataFrame, anonymous: set[str]) -> pd.Series:
    """Who filed each item, for matching repeat petitions inside the run only: the id number,
    else name + phone; None when unknown or anonymous. Never written anywhere."""
    key = pd.Series(None, index=frame.index, dtype=object)
    if {"petitioner", "petitioner_phone"} <= set(frame.columns):
        name = frame["petitioner"].astype("string").str.strip()
        phone = frame["petitioner_phone"].astype("string").str.strip()
        known = name.notna() & phone.notna() & ~name.isin(anonymous)
        key = key.where(~known.fillna(False), "n:" + name + "|" + phone)
    if "petitioner_id_no" in frame.columns:
        ident = frame["petitioner_id_no"].astype("string").str.strip().replace("", pd.NA)
        key = key.where(ident.isna(), "i:" + ident)
    return key.astype(object).where(key.notna(), None)


def _repeat_after_deadline(result: AuditResult, cfg: AccountabilityConfig,
                           rows: pd.Index) -> pd.DataFrame:
    """Items (``source_row`` in ``rows``) whose petitioner filed again after the item's last
    allowed day: ``source_row``, ``code``, ``text``."""
    rules, labels = cfg["sanction"], cfg["sanction"]["labels"]
    frame = result.extract.frame
    if "received_on" not in frame.columns:
        return pd.DataFrame(columns=["source_row", "code", "text"])
    anonymous = {a for p in result.profiles.members for a in p.anonymous_petitioners}
    people = frame.assign(_who=_petitioner_key(frame, anonymous))
    f = accountable(result.findings)
    deadline = f[f["last_day"].notna()].groupby("source_row")["last_day"].min()
    deadline = deadline[deadline.index.isin(rows)].rename("deadline")
    cols = ["source_row", "_who"] + (["category"] if "category" in frame.columns else [])
    left = people[people["source_row"].isin(deadline.index) & people["_who"].notna()][cols]
    left = left.join(deadline, on="source_row")
    later = people[people["_who"].notna()]
    if rules["repeat_needs_flag"] and "is_repeat" in later.columns:
        later = later[later["is_repeat"].fillna(False).astype(bool)]
    on = ["_who"] + (["category"] if rules["repeat_same_category"] and "category" in cols else [])
    right = later[["source_row", "case_id", "received_on", *on]].rename(
        columns={"source_row": "_later_row", "case_id": "_later_id"})
    pairs = left.merge(right, on=on, how="inner")
    pairs = pairs[(pairs["received_on"] > pairs["deadline"])
                  & (pairs["_later_row"] != pairs["source_row"])]
    if pairs.empty:
        return pd.DataFrame(columns=["source_row", "code", "text"])
    pairs = pairs.sort_values(["source_row", "received_on", "_later_id"])
    g = pairs.groupby("source_row")
    agg = pd.DataFrame({"n": g.size(), "ids": g["_later_id"].agg(lambda s: "、".join(map(str, s))),
                        "first": g["received_on"].min()})
    return pd.DataFrame({
        "source_row": agg.index, "code": "repeat",
        "text": (labels["repeat"] + "——期限届满后同一信访人再次信访" + agg["n"].astype(str)
                 + "次（信访件编号 " + agg["ids"] + "，最早 " + _d(agg["first"]) + "）").to_numpy()})


def consequences(result: AuditResult, cfg: AccountabilityConfig,
                 rows: pd.Index | None = None) -> pd.DataFrame:
    """Serious-consequence evidence per item: ``source_row``, ``code``, ``text``."""
    rules, labels = cfg["sanction"], cfg["sanction"]["labels"]
    frame = result.extract.frame
    parts = []
    if "escalated" in frame.columns:
        up = frame[frame["escalated"].fillna(False).astype(bool)]
        parts.append(pd.DataFrame({"source_row": up["source_row"], "code": "escalated",
                                   "text": labels["escalated"] + "——台账记录信访人越级上访"}))
    if "people_count" in frame.columns:
        crowd = frame["people_count"].fillna(0) >= int(rules["collective_people"])
        if rules["collective_channels"] and "channel" in frame.columns:
            crowd &= frame["channel"].isin(rules["collective_channels"])
        big = frame[crowd.fillna(False).astype(bool)]
        parts.append(pd.DataFrame({
            "source_row": big["source_row"], "code": "collective",
            "text": (labels["collective"] + "——该事项信访人数" + big["people_count"].astype(str)
                     + "人（达到" + str(rules["collective_people"]) + "人以上）")}))
    f = accountable(result.findings)
    undone = f[f["check_id"].isin(rules["unimplemented_checks"]) & f["actual_on"].isna()]
    if len(undone):
        due = np.where(undone["last_day"].notna(), "落实期限" + _d(undone["last_day"]) + "，", "")
        parts.append(pd.DataFrame({
            "source_row": undone["source_row"], "code": "unimplemented",
            "text": labels["unimplemented"] + "——" + due + "截至审计日仍未落实"}))
    if rows is not None:
        parts.append(_repeat_after_deadline(result, cfg, rows))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["source_row", "code", "text"])
    return pd.concat(parts, ignore_index=True)


def _item_table(result: AuditResult) -> pd.DataFrame:
    frame = result.extract.frame
    return pd.DataFrame({"source_row": frame["source_row"].to_numpy(),
                         "case_id": frame["case_id"].to_numpy() if "case_id" in frame else None,
                         "handling_unit": (frame["handling_unit"].to_numpy()
                                           if "handling_unit" in frame else None),
                         "profile": result.clocks.frame["profile"].to_numpy()})


def sanction_candidates(result: AuditResult, cfg: AccountabilityConfig) -> pd.DataFrame:
    """Items with BOTH a behaviour and a consequence: one row per item with ``source_row``,
    ``case_id``, ``handling_unit``, ``profile``, ``behaviour`` and ``consequences`` (lists)."""
    acts = behaviours(result, cfg)
    if acts.empty:
        return pd.DataFrame(columns=["source_row", "case_id", "handling_unit", "profile",
                                     "behaviour", "consequences"])
    harm = consequences(result, cfg, rows=pd.Index(acts["source_row"].unique()))
    both = pd.Index(acts["source_row"].unique()).intersection(harm["source_row"].unique())
    items = _item_table(result)
    items = items[items["source_row"].isin(both) & items["handling_unit"].notna()]
    acts = acts[acts["source_row"].isin(items["source_row"])]
    harm = harm[harm["source_row"].isin(items["source_row"])]
    out = items.set_index("source_row")
    out["behaviour"] = acts.groupby("source_row")["text"].agg(list)
    out["consequences"] = harm.groupby("source_row")["text"].agg(list)
    return out.reset_index().sort_values(["handling_unit", "source_row"]).reset_index(drop=True)


def sanction(ctx: _Context) -> list[Recommendation]:
    """处分/追责建议 drafts per (unit, profile) over the items showing behaviour AND consequence."""
    cand = sanction_candidates(ctx.result, ctx.cfg)
    if cand.empty:
        return []
    f = accountable(ctx.result.findings)
    order = _profile_order(ctx)
    out = []
    groups = sorted(cand.groupby(["handling_unit", "profile"], sort=False),
                    key=lambda g: (str(g[0][0]), order.get(g[0][1], 0)))
    for (unit, profile), part in groups:
        naming = ctx.naming("sanction", profile)
        evidence = pd.DataFrame({"case_id": part["case_id"].astype(str).to_numpy(),
                                 "behaviour": part["behaviour"].str.join("；").to_numpy(),
                                 "consequences": part["consequences"].str.join("；").to_numpy()})
        cases = _with_grounds(f[f["source_row"].isin(part["source_row"])], ctx)
        prefix = part["case_id"].astype(str) + "："
        behaviour = tuple((prefix + part["behaviour"].str.join("；")).tolist())
        harm = tuple((prefix + part["consequences"].str.join("；")).tolist())
        figures = {"items": int(len(part)),
                   "thresholds": {k: ctx.cfg["sanction"][k] for k in
                                  ("overdue_days", "collective_people")}}
        out.append(Recommendation(
            id="", kind="sanction", unit=str(unit), addressee=ctx.cfg.issuer["sanction_addressee"],
            title=_title(ctx.cfg, "sanction", unit=unit, name=naming["name"]),
            period=ctx.period, issued_on=ctx.issued_on, cases=_case_table(cases),
            behaviour=behaviour, consequences=harm, evidence=evidence, figures=figures,
            draft=True, **naming))
    return out


# -- entry point -------------------------------------------------------------------------------

def default_period(as_of: pd.Timestamp) -> str:
    """The month an audit date closes, as ``YYYY-MM``."""
    return pd.Timestamp(as_of).strftime("%Y-%m")


def issue_date(as_of: pd.Timestamp, cfg: AccountabilityConfig, issued_on=None) -> dt.date:
    """成文日期: ``issued_on`` if given, else the audit date plus ``[letters] issue_offset_days``."""
    if issued_on is not None:
        return pd.Timestamp(issued_on).date()
    return (pd.Timestamp(as_of) + pd.Timedelta(days=int(cfg.letters["issue_offset_days"]))).date()


def recommend(result: AuditResult, period: str | None = None, *, config=None,
              issued_on=None) -> RecommendationSet:
    """Draft the three recommendations of an audit (waivers applied beforehand).

    Parameters
    ----------
    result : AuditResult
        The audit, with waivers applied (:func:`xfaudit.waivers.apply_waivers`).
    period : str, optional
        ``YYYY-MM`` (default: the month of ``result.as_of``); part of every id.
    config : AccountabilityConfig, path or dict, optional
        Overrides of recommendations.toml / accountability.toml.
    issued_on : date-like, optional
        Date of issue (default: as_of + ``[letters] issue_offset_days``).

    Returns
    -------
    RecommendationSet
    """
    cfg = load_config(config)
    period = parse_period(period).label if period else default_period(result.as_of)
    issued = issue_date(result.as_of, cfg, issued_on)
    ctx = _Context(result, cfg, period, issued)
    items = improvement(ctx) + policy(ctx) + sanction(ctx)
    _number(items, cfg, period)
    notes = []
    f = result.findings
    nameless = int(((f["kind"] == "accountability") & ~f["waived"].astype(bool)
                    & f["handling_unit"].isna()).sum())
    if nameless:
        notes.append(f"有{nameless}个履职问题的责任单位为空，未纳入任何建议（请补全台账后重新运行）。")
    if "category" not in result.extract.frame.columns:
        notes.append("台账缺少“内容分类”列，未评估完善政策建议。")
    rules = {k: cfg[k] for k in ("improvement", "policy", "sanction")}
    return RecommendationSet(items=items, period=period, as_of=result.as_of, issued_on=issued,
                             rules=rules, notes=notes)
