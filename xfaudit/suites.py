"""The checks as Great Expectations rules, built from the rule profile: two suites, two frames.

**The ledger suite** (``expectations/ledger.json``, the same for every profile) states the
data-quality rules GX can say directly on the canonical extract *as judged*
(:func:`xfaudit.clocks.judged_ledger`: doubtful cells NULL, exact copies left out):

- DATA_REQUIRED_MISSING: ``expect_column_values_to_not_be_null`` per required field (for a
  field that can hold an unreadable cell, only where its ``<field>__doubtful`` marker is False:
  a cell that held something unreadable is not empty);
- DATA_DUPLICATE_ID: ``expect_column_values_to_be_unique`` on ``case_id``;
- DATA_DATE_ORDER: one ``expect_column_pair_values_a_to_be_greater_than_b`` (later ≥ earlier,
  or equal, rows with either date missing ignored) per lifecycle pair of ``checks.toml [order]``;
- DATA_VALUE_UNKNOWN: ``expect_column_values_to_be_in_set`` per vocabulary field, with the
  canonical values of ``values.toml``.

**The clock suite** (``expectations/<profile>.json``) states the legal rules on the clock table
(:func:`xfaudit.clocks.derive_clocks`), whose columns are legal facts: each timed check as
``expect_column_pair_values_a_to_be_greater_than_b(column_A=<check>__last_day,
column_B=<check>__act_on, or_equal=True, ignore_row_if="either_value_is_missing")`` — the act
(the as-of date while open) is on or before the last day; EXTENSION_IRREGULAR as its four
rules (days at most the profile's cap, an approval, the approval on or before the original last
day, a notice); the other multi-field rules as flags named for the rule, each
``expect_column_values_to_be_in_set(value_set=[False])`` (RECORD_INCONSISTENT as its three:
已落实 without a 落实日期, a 落实日期 with 未落实, 是否办结 否 with a 办结日期).

Only built-in expectation types are used, so plain GX runs the suites on the frames
:func:`prepare` gives. Each expectation carries a Chinese ``description`` (what Data Docs
shows), ``notes`` (the provisions), GX's ``severity`` mapped from ours and a ``meta`` with the
check id, name, kind, severity, the reason a finding states and, per profile member, the
limits, start events, roll-forward rule, tracks and citations.

The checked-in suites must equal what :func:`suite_json` builds (a test enforces it);
regenerate them with ``python -m xfaudit.suites``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.clocks import (ACT_ON, DOUBTFUL, LAST_DAY, TIMED_CHECKS, doubt_marked_fields,
                            judged_ledger, ledger_positions)
from xfaudit.profile import (ROLL_FORWARD, Profile, ProfileSet, builtin_profiles,
                             load_profile_set)
from xfaudit.resources import packaged, source_root
from xfaudit.schema import (UPHELD, CheckId, KIND_LABELS, changed_decision_pairs, checks,
                            date_order_pairs, fields, header_of, required_fields,
                            unknown_value_fields, vocabulary)

#: Where the suites shipped with the package live (``xfaudit/data/expectations/``, identical
#: to the repository's top-level ``expectations/``).
EXPECTATIONS_DIR = packaged("expectations")

#: File stem (and frame name) of the ledger suite.
LEDGER = "ledger"
#: Frame name of the clock suites.
CLOCKS = "clocks"

#: GX's severity of each of ours (严重/较重 → critical, 一般 → warning, 提示 → info).
GX_SEVERITY = {"严重": "critical", "较重": "critical", "一般": "warning", "提示": "info"}

#: Per timed check, the act whose day the rule compares with the last day.
ACTS = {
    CheckId.REG_LATE: "转送、交办、告知或存档",
    CheckId.NOTICE_LATE: "书面告知信访人",
    CheckId.HANDLING_OVERDUE: "办结",
    CheckId.FEEDBACK_MISSING: "反馈办理结果",
    CheckId.REVIEW_OVERDUE: "提出复查意见",
    CheckId.REREVIEW_OVERDUE: "提出复核意见",
    CheckId.DECISION_UNIMPLEMENTED: "落实处理意见",
    CheckId.SYSTEM_DEADLINE_OVERDUE: "办结（按信访信息系统的限办时间）",
}

#: The profile limits each accountability check's clock reads (the first is the one cited).
CHECK_LIMITS = {
    CheckId.NOTICE_LATE: ("notice_routed", "notice_direct"),
    CheckId.HANDLING_OVERDUE: ("handling", "extension"),
}
#: The profile lists that decide where each check applies (docs/checks.md).
CHECK_SCOPE = {
    CheckId.REG_LATE: ("register_exempt_tracks",),
    CheckId.NOTICE_LATE: ("notice_exempt_tracks", "anonymous_petitioners"),
    CheckId.HANDLING_OVERDUE: ("handling_tracks",),
    CheckId.EXTENSION_IRREGULAR: ("handling_tracks",),
    CheckId.REPLY_MISSING: ("reply_tracks",),
    CheckId.DECISION_UNIMPLEMENTED: ("action_outcomes",),
}

NOTES = "由规则配置自动生成，请勿手工修改；修改规则请编辑规则配置后重新生成。"


# ---------------------------------------------------------------------------------------------
# Expectations
# ---------------------------------------------------------------------------------------------

def _expectation(kind: str, kwargs: dict, cid: CheckId, description: str, *,
                 reason: str | None = None, notes: str | None = None,
                 profiles: dict | None = None) -> dict:
    """One expectation as GX's JSON dict."""
    check = checks()[cid]
    meta = {"check_id": cid.value, "check_name": check.name, "kind": check.kind,
            "kind_label": KIND_LABELS[check.kind], "severity": check.severity}
    if reason:
        meta["reason"] = reason
    if profiles:
        meta["profiles"] = profiles
    spec = {"type": kind, "kwargs": kwargs, "meta": meta, "description": description,
            "severity": GX_SEVERITY[check.severity]}
    if notes:
        spec["notes"] = notes
    return spec


def _pair(later: str, earlier: str) -> dict:
    return {"column_A": later, "column_B": earlier, "or_equal": True,
            "ignore_row_if": "either_value_is_missing"}


def _kept(column: str) -> dict:
    return {"column": column, "value_set": [False]}


def _equals(column: str, value) -> dict:
    return {"type": "comparison", "column": {"name": column}, "operator": "==",
            "parameter": value}


def _is_in(column: str, values: list) -> dict:
    return {"type": "comparison", "column": {"name": column}, "operator": "IN",
            "parameter": values}


def ledger_expectations() -> list[dict]:
    """The data-quality rules stated on the judged ledger, in check order."""
    out = []
    for later, earlier in ((b, a) for a, b in date_order_pairs()):
        out.append(_expectation(
            "expect_column_pair_values_a_to_be_greater_than_b", _pair(later, earlier),
            CheckId.DATA_DATE_ORDER,
            f"日期先后矛盾：{header_of(later)}不早于{header_of(earlier)}（{later} ≥ {earlier}）",
            reason=f"{header_of(later)}早于{header_of(earlier)}"))
    for decided_on, outcome, later, changed in changed_decision_pairs():
        kwargs = {**_pair(later, decided_on), "row_condition": _is_in(outcome, list(changed))}
        out.append(_expectation(
            "expect_column_pair_values_a_to_be_greater_than_b", kwargs, CheckId.DATA_DATE_ORDER,
            f"日期先后矛盾：{header_of(outcome)}改变原意见的，{header_of(later)}不早于"
            f"{header_of(decided_on)}（{later} ≥ {decided_on}）",
            reason=f"{header_of(later)}早于改变原意见的{header_of(decided_on)}",
            notes=f"只检查{header_of(outcome)}为{'、'.join(changed)}的行（原意见被取代）；"
                  f"为“{UPHELD}”（原意见继续有效）、其他取值或为空的行不检查此项。"))
    out.append(_expectation(
        "expect_column_values_to_be_unique", {"column": "case_id"}, CheckId.DATA_DUPLICATE_ID,
        "信访件编号重复：信访件编号在台账中唯一（重复录入的整行只计一次）",
        reason="编号在台账中出现于{count}条不同的记录"))
    marked = set(doubt_marked_fields())
    for name in required_fields():
        kwargs = {"column": name}
        note = None
        if name in marked:
            kwargs["row_condition"] = _equals(f"{name}{DOUBTFUL}", False)
            note = (f"{name}{DOUBTFUL} 为真的行（单元格有内容但无法识别或不在合理范围内）不算为空，"
                    "由“日期或数值无法识别”列出。")
        out.append(_expectation("expect_column_values_to_not_be_null", kwargs,
                                CheckId.DATA_REQUIRED_MISSING,
                                f"必填项缺失：{header_of(name)}不为空（{name}）",
                                reason=f"{header_of(name)}为空", notes=note))
    for name in unknown_value_fields():
        values = sorted(vocabulary(fields()[name].kind))
        out.append(_expectation(
            "expect_column_values_to_be_in_set", {"column": name, "value_set": values},
            CheckId.DATA_VALUE_UNKNOWN,
            f"取值不在词表中：{header_of(name)}的取值在词表（values.toml）内（{name}）",
            reason=f"{header_of(name)}：“{{value}}”不在词表中"))
    return out


def _member_rules(member: Profile, cid: CheckId) -> dict:
    """What a profile member sets for a check: its limits, roll-forward, scope, citation."""
    keys = [k for k in CHECK_LIMITS.get(cid, (checks()[cid].limit,)) if k in member.limits]
    limits = {}
    for key in keys:
        limit = member.limit(key)
        limits[key] = {"text": limit.describe(), "days": limit.days,
                       "day_kind": limit.day_kind, "citation": limit.citation}
        if key in ("register", "notice_routed", "notice_direct", "handling", "review",
                   "rereview"):
            limits[key]["start"] = member.start_of(key)
    rules = {"citation": member.citation(keys[0]), "limits": limits}
    if cid in TIMED_CHECKS:
        rules["roll_forward"] = member.roll_forward
    for key in CHECK_SCOPE.get(cid, ()):
        rules[key] = list(getattr(member, key))
    return rules


def _citation_notes(profiles: ProfileSet, cid: CheckId) -> str:
    """'依据：national-2022：《…》第…条（15日，自收到日期起算，不顺延）；…'."""
    parts = []
    for member in profiles.members:
        key = CHECK_LIMITS.get(cid, (checks()[cid].limit,))[0]
        limit = member.limit(key)
        detail = []
        if limit.days is not None:
            detail.append(limit.describe())
            if key in ("register", "notice_routed", "notice_direct", "handling", "review",
                       "rereview"):
                detail.append(f"自{header_of(member.start_of(key))}起算")
        if cid in TIMED_CHECKS:
            detail.append(ROLL_FORWARD[member.roll_forward])
        parts.append(f"{member.name}：{limit.citation}" + (f"（{'，'.join(detail)}）"
                                                          if detail else ""))
    return "依据：" + "；".join(parts)


def _extension_caps(profiles: ProfileSet) -> list[tuple[int, list[str]]]:
    """(cap in days, members) per distinct extension cap, in member order."""
    caps: dict[int, list[str]] = {}
    for member in profiles.members:
        caps.setdefault(member.limit("extension").days, []).append(member.name)
    return list(caps.items())


def clock_expectations(profiles: ProfileSet) -> list[dict]:
    """The rules stated on the clock table, in check order."""
    out = []
    for cid, check in checks().items():
        if check.is_data_quality:
            continue
        rules = {m.name: _member_rules(m, cid) for m in profiles.members}
        notes = _citation_notes(profiles, cid)
        if cid in TIMED_CHECKS:
            out.append(_expectation(
                "expect_column_pair_values_a_to_be_greater_than_b",
                _pair(f"{cid}{LAST_DAY}", f"{cid}{ACT_ON}"), cid,
                f"{check.name}：{ACTS[cid]}之日不晚于期限届满日（尚未办理的以审计日计；"
                f"{cid}{LAST_DAY} ≥ {cid}{ACT_ON}）", notes=notes, profiles=rules))
        elif cid == CheckId.EXTENSION_IRREGULAR:
            out.extend(_extension_expectations(profiles, notes, rules))
        elif cid == CheckId.REPLY_MISSING:
            out.append(_expectation(
                "expect_column_values_to_be_in_set", _kept(f"{cid}__no_reply"), cid,
                f"{check.name}：办结的事项有答复日期（书面答复、信访处理意见书；"
                f"{cid}__no_reply 为假）", notes=notes, profiles=rules))
    out.append(_expectation(
        "expect_column_values_to_be_in_set", _kept("DATA_DATE_UNREADABLE__unreadable"),
        CheckId.DATA_DATE_UNREADABLE,
        "日期或数值无法识别：每个单元格都可识别，日期都在合理范围内（DATA_DATE_UNREADABLE__unreadable 为假）"))
    out.append(_expectation(
        "expect_column_values_to_be_in_set", _kept("DATA_DUPLICATE_ROW__copy"),
        CheckId.DATA_DUPLICATE_ROW,
        "重复录入的记录：没有与前面某行完全相同的行（DATA_DUPLICATE_ROW__copy 为假）"))
    out.append(_expectation(
        "expect_column_values_to_be_in_set", _kept("SYSTEM_FLAG_MISMATCH__mismatch"),
        CheckId.SYSTEM_FLAG_MISMATCH,
        "系统超期标记与法定时限不符：系统的是否超期标记和信访件状态与按法定时限计算的结果一致"
        "（SYSTEM_FLAG_MISMATCH__mismatch 为假）"))
    out.extend(_record_expectations(profiles))
    return out


#: RECORD_INCONSISTENT's three rules: flag suffix → (what is kept, the reason a finding says).
RECORD_RULES = {
    "__done_without_date": ("落实情况为“已落实”的事项有落实日期",
                            "落实情况为“已落实”，但未填写落实日期"),
    "__date_but_not_done": ("填写了落实日期的事项落实情况不为“未落实”",
                            "填写了落实日期，但落实情况为“未落实”"),
    "__open_with_date": ("填写了办结日期的事项是否办结不为“否”",
                         "是否办结为“否”，但填写了办结日期"),
}


def _record_expectations(profiles: ProfileSet) -> list[dict]:
    """办理记录自相矛盾 as its three rules (a data-quality check: its provision is why the
    contradiction is verified, never a finding of 弄虚作假; docs/checks.md)."""
    cid = CheckId.RECORD_INCONSISTENT
    name = checks()[cid].name
    notes = _citation_notes(profiles, cid)
    return [_expectation("expect_column_values_to_be_in_set", _kept(f"{cid}{suffix}"), cid,
                         f"{name}：{kept}（{cid}{suffix} 为假）", reason=reason, notes=notes)
            for suffix, (kept, reason) in RECORD_RULES.items()]


def _extension_expectations(profiles: ProfileSet, notes: str, rules: dict) -> list[dict]:
    """延期不规范 as its four rules; the cap is the profile's (one expectation per distinct
    cap, restricted to the members that set it when the members differ)."""
    cid = CheckId.EXTENSION_IRREGULAR
    name = checks()[cid].name
    out = []
    caps = _extension_caps(profiles)
    for cap, members in caps:
        text = profiles.by_name(members[0]).limit("extension").describe()
        kwargs = {"column": f"{cid}__extension_days", "max_value": cap}
        scope = ""
        if len(caps) > 1:
            kwargs["row_condition"] = _is_in("profile", members)
            scope = f"（适用{'、'.join(members)}）"
        out.append(_expectation("expect_column_values_to_be_between", kwargs, cid,
                                f"{name}：延期天数不超过{text}{scope}（{cid}__extension_days）",
                                reason=f"延期天数超过{text}", notes=notes, profiles=rules))
    out.append(_expectation("expect_column_values_to_be_in_set", _kept(f"{cid}__no_approval"),
                            cid, f"{name}：延期有批准日期（{cid}__no_approval 为假）",
                            reason="无延期批准日期", notes=notes, profiles=rules))
    out.append(_expectation("expect_column_pair_values_a_to_be_greater_than_b",
                            _pair(f"{cid}{LAST_DAY}", f"{cid}{ACT_ON}"), cid,
                            f"{name}：延期在原办理期限届满日前批准（{cid}{LAST_DAY} ≥ {cid}{ACT_ON}）",
                            reason="延期批准晚于原办理期限", notes=notes, profiles=rules))
    out.append(_expectation("expect_column_values_to_be_in_set", _kept(f"{cid}__no_notice"),
                            cid, f"{name}：已告知信访人延期理由（{cid}__no_notice 为假）",
                            reason="未告知信访人延期理由", notes=notes, profiles=rules))
    return out


# ---------------------------------------------------------------------------------------------
# Suites
# ---------------------------------------------------------------------------------------------

def ledger_suite_dict() -> dict:
    """The ledger suite as GX's JSON dict (fast, deterministic, no GX import)."""
    return {
        "name": f"xfaudit.{LEDGER}",
        "id": None,
        "expectations": ledger_expectations(),
        "meta": {"frame": LEDGER, "generated_by": "xfaudit.suites.ledger_suite_dict",
                 "prepare": "xfaudit.suites.prepare(extract, as_of=…).ledger"},
        "notes": NOTES,
    }


def suite_dict(profiles: ProfileSet) -> dict:
    """The clock suite of a profile set as GX's JSON dict (fast, deterministic, no GX)."""
    return {
        "name": f"xfaudit.{profiles.name}",
        "id": None,
        "expectations": clock_expectations(profiles),
        "meta": {"frame": CLOCKS, "profile": profiles.name, "title": profiles.title,
                 "members": [m.name for m in profiles.members],
                 "generated_by": "xfaudit.suites.suite_dict",
                 "prepare": f"xfaudit.suites.prepare(extract, as_of=…, "
                            f"profile={profiles.name!r}).clocks"},
        "notes": NOTES,
    }


def suite_dicts(profiles: ProfileSet) -> dict[str, dict]:
    """Both suites an audit runs: frame name → suite dict."""
    return {LEDGER: ledger_suite_dict(), CLOCKS: suite_dict(profiles)}


def build_suite(profiles: ProfileSet):
    """The GX ``ExpectationSuite`` of a profile set's clock suite."""
    import great_expectations as gx

    return gx.ExpectationSuite(**suite_dict(profiles))


def build_ledger_suite():
    """The GX ``ExpectationSuite`` of the ledger suite."""
    import great_expectations as gx

    return gx.ExpectationSuite(**ledger_suite_dict())


def expectation_columns(spec: dict) -> list[str]:
    """Every column an expectation reads (its domain and its row condition's columns)."""
    kwargs = spec["kwargs"]
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    columns += list(kwargs.get("column_list", ()))
    columns += condition_columns(kwargs.get("row_condition"))
    return list(dict.fromkeys(columns))


def condition_columns(condition) -> list[str]:
    """The columns a row condition reads."""
    if not condition:
        return []
    if "conditions" in condition:
        return [c for part in condition["conditions"] for c in condition_columns(part)]
    return [condition["column"]["name"]]


def suite_columns(suite: dict) -> list[str]:
    """Every column a suite reads."""
    return list(dict.fromkeys(c for e in suite["expectations"] for c in expectation_columns(e)))


def _canonical_json(suite: dict) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def suite_json(profiles: ProfileSet) -> str:
    """Canonical JSON text of a profile set's clock suite (what is checked in)."""
    return _canonical_json(suite_dict(profiles))


def ledger_suite_json() -> str:
    """Canonical JSON text of the ledger suite (what is checked in)."""
    return _canonical_json(ledger_suite_dict())


def write_builtin_suites(folder: Path = EXPECTATIONS_DIR) -> list[Path]:
    """(Re)write the ledger suite and the clock suite of every built-in profile."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / f"{LEDGER}.json"]
    written[0].write_text(ledger_suite_json(), encoding="utf-8")
    for name in builtin_profiles():
        path = folder / f"{name}.json"
        path.write_text(suite_json(load_profile_set(name)), encoding="utf-8")
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------------
# The frames the suites judge
# ---------------------------------------------------------------------------------------------

@dataclass
class Frames:
    """The two frames an audit's suites judge, and how their rows map to the extract.

    Attributes
    ----------
    ledger : DataFrame
        The canonical extract as judged (:func:`xfaudit.clocks.judged_ledger`): run
        ``expectations/ledger.json`` on it.
    clocks : DataFrame
        The clock table (:func:`xfaudit.clocks.derive_clocks`): run
        ``expectations/<profile>.json`` on it.
    ledger_rows : ndarray
        Row ``i`` of ``ledger`` is row ``ledger_rows[i]`` of ``extract.frame`` (the clock
        table is aligned with ``extract.frame``). Both frames carry ``source_row``.
    evaluated : list of CheckId
        The checks the extract's columns allow (the others are 未评估).
    """

    ledger: pd.DataFrame
    clocks: pd.DataFrame
    ledger_rows: np.ndarray
    evaluated: list = field(default_factory=list)


def prepare(extract, *, as_of=None, profile: str = "auto", holidays=None,
            calendar=None) -> Frames:
    """The frames the suites judge, for running them with plain Great Expectations.

    Parameters
    ----------
    extract : Extract or path
        A loaded extract, or the path of one.
    as_of, profile, holidays, calendar
        As for :func:`xfaudit.audit.audit`.

    Returns
    -------
    Frames
        ``.ledger`` for ``expectations/ledger.json``, ``.clocks`` for
        ``expectations/<profile>.json``.
    """
    from xfaudit.audit import derive  # audit imports this module

    derived = derive(extract, as_of=as_of, profile=profile, holidays=holidays,
                     calendar=calendar)
    return Frames(ledger=judged_ledger(derived.extract, derived.facts),
                  clocks=derived.clocks.frame, ledger_rows=ledger_positions(derived.facts),
                  evaluated=list(derived.clocks.evaluated))


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    root = source_root()
    for p in write_builtin_suites() + (write_builtin_suites(root / "expectations") if root
                                       else []):
        print(p)
