"""Synthetic county extracts with planted violations, and the truth a correct audit must find.

:func:`generate` builds a realistic ledger (信访事项台账) of the fictional county 云溪县 for one
month: items received over the six months up to the end of the month (plus a few received
before 2022-05-01, judged under the 2005 text), handled by townships, street offices and county
departments. A known share of items carries a planted violation of every check in
:class:`~xfaudit.schema.CheckId`; the truth table lists exactly the (case, check) pairs that a
correct engine following ``docs/checks.md`` reports at the as-of date. :func:`write` saves the
ledger as ``.xlsx`` (or ``.csv``) the way a county exports it, beside the truth and a JSON
description.

How items are made. Every item gets a *plan*: its received date, routing, track and the gap in
days between consecutive events (received → routed → unit received → accepted → notice,
accepted → concluded → reply → feedback, reply → review → re-review, decision →
implementation). Clean gaps stay within the limits of the item's rule profile (read from
``national-2005`` / ``national-2022``, never constants here). A planted violation changes one
gap (``limit + k`` days, or :data:`NEVER`: the event does not happen), so everything after it
moves with it and stays on time relative to its own start. The planned timeline is then cut at
the as-of date: an event after it has not happened yet and its cell is empty. Because every
clean event lies on or before its own last day, a clean item that is cut is never overdue.

Everything is vectorised with numpy over all items; there is one small step per planted kind.
Day numbers are ``int64`` days since 1970-01-01 until the frame is assembled.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.dates import month_text, parse_period
from xfaudit.errors import SynthError
from xfaudit.profile import Profile, load_profile
from xfaudit.schema import CheckId, date_fields, fields
from xfaudit.writers import fastxlsx

# ---------------------------------------------------------------------------------------------
# The county (fictional) and its vocabulary
# ---------------------------------------------------------------------------------------------

COUNTY = "云溪县"

#: Townships and street offices (乡镇、街道) with their relative volumes.
TOWNSHIPS = {
    "青石镇": 14, "城南街道": 13, "城北街道": 11, "白沙镇": 9, "柳溪镇": 8, "清河街道": 7,
    "龙泉乡": 7, "桃源镇": 7, "石门乡": 6, "云山镇": 6, "松岭乡": 6, "竹林镇": 6,
}

#: category → (weight, county department, share handled by a township, summary templates).
#: ``{0}`` in a template is replaced by a township name.
CATEGORIES = {
    "城乡建设": (22, "县住房和城乡建设局", 0.45, (
        "反映{0}某小区物业服务不到位，电梯长期故障无人维修，要求督促整改",
        "反映{0}某安置小区房屋漏水，开发商拒不维修，请求协调解决",
        "反映{0}某工地夜间施工噪音扰民，要求依法查处",
        "反映{0}老旧小区改造进度缓慢，要求加快施工")),
    "劳动社保": (16, "县人力资源和社会保障局", 0.35, (
        "反映在{0}某建筑工地务工被拖欠工资，要求协调支付",
        "反映{0}某企业未依法缴纳社会保险，要求补缴",
        "咨询{0}灵活就业人员养老保险缴费政策，要求书面答复")),
    "农村农业": (12, "县农业农村局", 0.6, (
        "反映{0}某村土地流转费用未按时发放，要求解决",
        "反映{0}某村农田灌溉渠道损毁，影响耕种，请求修缮",
        "反映{0}某村惠农补贴发放不公开，要求核查")),
    "国土资源": (10, "县自然资源局", 0.4, (
        "反映{0}某村宅基地审批迟迟未办理，要求加快办理",
        "反映{0}某地块违法占用耕地建房，要求依法查处",
        "反映{0}征地补偿标准偏低，要求重新核定")),
    "卫生健康": (7, "县卫生健康局", 0.2, (
        "反映{0}卫生院工作人员服务态度差，要求整改",
        "反映{0}某诊所无证行医，要求查处")),
    "教育": (7, "县教育局", 0.1, (
        "反映{0}某学校违规收取资料费，要求退还",
        "反映{0}适龄儿童入学安排不合理，请求调整")),
    "民政": (6, "县民政局", 0.5, (
        "申请{0}最低生活保障，反映审核时间过长",
        "反映{0}某养老机构服务不规范，要求加强监管")),
    "纪检监察": (4, "县纪委监委", 0.0, (
        "反映{0}某村干部优亲厚友，违规分配救助资金",
        "反映{0}某站所工作人员作风粗暴，要求调查处理")),
    "涉法涉诉": (5, "县公安局", 0.0, (
        "对{0}派出所处理邻里纠纷的结果不服，要求重新处理",
        "反映{0}某案件久拖不决，要求督促办理")),
    "市场监管": (5, "县市场监督管理局", 0.1, (
        "投诉{0}某超市销售过期食品，要求查处",
        "反映{0}某培训机构退费难，要求协调")),
    "交通运输": (3, "县交通运输局", 0.3, (
        "反映{0}某路段道路破损严重，存在安全隐患，要求修复",
        "反映{0}农村客运班线停运，群众出行不便")),
    "生态环境": (3, "县生态环境局", 0.2, (
        "反映{0}某养殖场污水直排河道，要求查处",
        "反映{0}某企业夜间排放异味气体，要求整治")),
}

#: Summaries that look like spreadsheet formulas: outputs must keep them as text.
FORMULA_SUMMARIES = ('=HYPERLINK("http://example.invalid","详情")', "=1+1", "=SUM(A1:A3)")

CHANNELS = {"网上信访": 0.52, "来访": 0.20, "来电": 0.15, "来信": 0.13}
ROUTINGS = {"转送": 0.44, "交办": 0.16, "直接办理": 0.25, "告知": 0.10, "不予受理": 0.05}
TRANSFER, ASSIGN, DIRECT = "转送", "交办", "直接办理"
ROUTED = (TRANSFER, ASSIGN)          # forwarded / assigned by the bureau to the unit
INFORM = ("告知", "不予受理")          # the bureau answers the petitioner itself
PETITION_TRACK = "信访程序"
OTHER_TRACKS = ("诉讼", "行政复议", "仲裁")
OUTCOMES = {"支持": 0.22, "部分支持": 0.15, "解释说明": 0.45, "不予支持": 0.18}
REVIEW_OUTCOMES = {"维持": 0.75, "撤销": 0.06, "变更": 0.06, "责令重新办理": 0.08, "支持": 0.05}
REREVIEW_OUTCOMES = {"维持": 0.8, "撤销": 0.07, "变更": 0.05, "责令重新办理": 0.08}
SATISFACTION = {"满意": 0.55, "基本满意": 0.2, "不满意": 0.1, "未评价": 0.15}
SURNAMES = tuple("王李张刘陈杨赵黄周吴")
TEST_NAMES = tuple("甲乙丙丁戊己庚辛")
#: Text written into a date cell that no reader can take as a date.
GARBAGE_DATES = ("2026-13-45", "待定", "十月五日", "2026/02/30", "见附件")

#: How date cells are written, with their shares. "excel" is a real Excel date (a number with
#: a date format); "serial" the bare serial number; the rest are text.
DATE_STYLES = {"excel": 0.72, "serial": 0.06, "iso": 0.06, "slash": 0.05, "dot": 0.04,
               "cn": 0.04, "datetime": 0.03}
GARBAGE_STYLE = "garbage"

# ---------------------------------------------------------------------------------------------
# Generation parameters
# ---------------------------------------------------------------------------------------------

#: A gap that never ends within any as-of date: the event has not happened.
NEVER = 10_000_000
_NAT = np.iinfo(np.int64).min
_EPOCH = dt.date(1970, 1, 1)
_EXCEL_EPOCH_DAY = (dt.date(1899, 12, 30) - _EPOCH).days
WINDOW_DAYS = 183                    # items received over about six months up to as_of
PLANT_RATE = 0.025                   # share of items planted per check
MIN_PER_CHECK = 6
MIN_CASES = 200
#: Extra days after a last day that keep a late act (and the steps after it) before as_of.
MARGIN = 25
#: First row of data in the written sheet (1: title, 2: header).
FIRST_DATA_ROW = 3


def _day(date: dt.date) -> int:
    return (date - _EPOCH).days


# ---------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------


@dataclass
class SynthExtract:
    """A generated extract and what a correct audit of it must find.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per written row, canonical field names as columns, in sheet order (row ``i`` is
        sheet row ``i + FIRST_DATA_ROW``). Dates are ``datetime64[ns]`` (``NaT``: empty cell, or
        a cell holding unreadable text, see ``unreadable``), counts ``Int64``, 初重件 and 是否越级
        ``boolean``, the rest strings; what a loader should read back.
    truth : pandas.DataFrame
        Columns ``case_id, check_id``: one row per (case, check) that fires at ``as_of``,
        sorted. A duplicated id is one (case, DATA_DUPLICATE_ID) row.
    as_of : datetime.date
        The audit date: the last day of ``period``.
    period : str
        ``YYYY-MM``.
    seed : int
        Seed of the generator.
    date_styles : pandas.DataFrame
        Same index as ``frame``, one column per date field: how each cell is written
        (a key of :data:`DATE_STYLES`, ``"garbage"``, or ``None`` for an empty cell).
    unreadable : pandas.DataFrame
        Columns ``row, case_id, field, raw``: the cells written with unreadable date text.
    headers : dict
        Canonical field → header written (canonical, or an alias).
    plants : pandas.DataFrame
        Columns ``case_id, kind, checks``: every planted item, including controls that must
        *not* fire (``checks`` empty), e.g. ``control/anonymous_no_notice``.
    cases : int
        Number of distinct items (rows = cases + duplicated rows).
    use_aliases : bool
        Whether aliases were chosen for some headers.
    """

    frame: pd.DataFrame
    truth: pd.DataFrame
    as_of: dt.date
    period: str
    seed: int
    date_styles: pd.DataFrame
    unreadable: pd.DataFrame
    headers: dict[str, str]
    plants: pd.DataFrame
    cases: int
    use_aliases: bool = False
    profile: str = "auto"

    @property
    def title(self) -> str:
        """The sheet title, e.g. ``云溪县2026年10月信访事项台账``."""
        return f"{COUNTY}{month_text(self.period)}信访事项台账"

    def planted_counts(self) -> dict[str, int]:
        """Number of cases per check id in the truth (every check listed, zeros included)."""
        counts = self.truth["check_id"].value_counts()
        return {c.value: int(counts.get(c.value, 0)) for c in CheckId}

    def to_dict(self) -> dict:
        """JSON-ready description (written as ``<stem>.synth.json``)."""
        styles = self.date_styles.stack().value_counts()
        kinds = self.plants["kind"].value_counts()
        return {
            "generator": "xfaudit.synth", "seed": self.seed, "period": self.period,
            "as_of": self.as_of.isoformat(), "cases": self.cases, "rows": len(self.frame),
            "profile": self.profile, "use_aliases": self.use_aliases,
            "planted": self.planted_counts(),
            "kinds": {k: int(v) for k, v in kinds.sort_index().items()},
            "date_styles": {k: int(v) for k, v in styles.sort_index().items()},
            "headers": self.headers,
        }


# ---------------------------------------------------------------------------------------------
# Rules: per-item limits from the national profiles
# ---------------------------------------------------------------------------------------------

_LIMIT_KEYS = ("register", "notice_routed", "notice_direct", "handling", "extension", "review",
               "rereview", "review_request", "rereview_request")


@dataclass(frozen=True)
class _Rules:
    """The two national texts and which one judges each item (``auto``)."""

    old: Profile
    new: Profile

    @classmethod
    def national(cls) -> _Rules:
        return cls(old=load_profile("national-2005"), new=load_profile("national-2022"))

    @property
    def switch_day(self) -> int:
        return _day(self.new.effective_from)

    def era_old(self, received: np.ndarray) -> np.ndarray:
        return received < self.switch_day

    def limits(self, received: np.ndarray) -> dict[str, np.ndarray]:
        """Days of every limit, per item, from the profile in force on its received day."""
        old = self.era_old(received)
        return {key: np.where(old, self._days(self.old, key), self._days(self.new, key))
                for key in _LIMIT_KEYS}

    @staticmethod
    def _days(profile: Profile, key: str) -> int:
        # The request windows are not checked; where a profile lacks them use the review limit.
        limit = profile.limits.get(key) or profile.limit(key.removesuffix("_request"))
        return int(limit.days)

    def is_action(self, values: np.ndarray, received: np.ndarray) -> np.ndarray:
        """Whether a decision value requires action, by the item's profile."""
        return np.where(self.era_old(received), np.isin(values, self.old.action_outcomes),
                        np.isin(values, self.new.action_outcomes))

    def non_action(self, values: dict[str, float]) -> list[str]:
        acts = set(self.old.action_outcomes) | set(self.new.action_outcomes)
        return [v for v in values if v not in acts]


# ---------------------------------------------------------------------------------------------
# Plan: what happens to each item, as gaps in days
# ---------------------------------------------------------------------------------------------

Plan = dict[str, np.ndarray]


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _gap(rng: np.random.Generator, hi, lo=0, boundary: float = 0.04) -> np.ndarray:
    """Whole days in ``[lo, hi]`` skewed to short, with a share exactly at ``hi`` (day N)."""
    hi = np.asarray(hi, dtype=np.int64)
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), hi.shape)
    span = np.maximum(hi - lo, 0)
    x = lo + np.floor(rng.beta(1.3, 2.6, hi.shape) * (span + 1)).astype(np.int64)
    x = np.minimum(x, hi)
    return np.where(rng.random(hi.shape) < boundary, hi, x)


def _received(rng: np.random.Generator, n_new: int, n_old: int, as_of: int,
              switch: int) -> np.ndarray:
    """Received days: the window before as_of (fewer on weekends) plus an older block.

    The older block straddles the switch to the 2022 text: its first item is received on the
    last day of the 2005 text, its second on the first day of the 2022 text.
    """
    days = np.arange(as_of - WINDOW_DAYS + 1, as_of + 1)
    weekend = (days + 3) % 7 >= 5              # 1970-01-01 was a Thursday
    w = np.where(weekend, 0.4, 1.0)
    new = rng.choice(days, size=n_new, p=w / w.sum())
    old = rng.integers(switch - 365, switch, size=n_old)
    old[:2] = (switch - 1, switch)
    return np.concatenate([new, old]).astype(np.int64)


def _describe(rng: np.random.Generator, p: Plan) -> None:
    """Who petitioned, how, about what, and which unit handles it."""
    n = len(p["received"])
    cats = list(CATEGORIES)
    cat_i = rng.choice(len(cats), size=n, p=_norm([CATEGORIES[c][0] for c in cats]))
    towns = np.array(list(TOWNSHIPS), dtype=object)
    town = towns[rng.choice(len(towns), size=n, p=_norm(list(TOWNSHIPS.values())))]
    dept = np.array([CATEGORIES[c][1] for c in cats], dtype=object)[cat_i]
    by_town = rng.random(n) < np.array([CATEGORIES[c][2] for c in cats])[cat_i]
    p["category"] = np.array(cats, dtype=object)[cat_i]
    p["handling_unit"] = np.where(by_town, town, dept)
    p["place"] = town
    p["template"] = rng.integers(0, 1_000_000, size=n)
    p["channel"] = _pick(rng, CHANNELS, n)
    visit = p["channel"] == "来访"
    collective = rng.random(n) < np.where(visit, 0.08, 0.01)
    few = rng.random(n) < 0.09
    p["people_count"] = np.where(collective, rng.integers(5, 31, n),
                                 np.where(few, rng.integers(2, 5, n), 1))
    p["is_repeat"] = rng.random(n) < 0.14
    p["escalated"] = rng.random(n) < np.where(p["is_repeat"], 0.12, 0.02)
    p["satisfaction"] = _pick(rng, SATISFACTION, n)
    p["birth"] = rng.integers(_day(dt.date(1950, 1, 1)), _day(dt.date(2002, 12, 31)), size=n)
    p["test_name"] = rng.random(n) < 0.2
    p["no_phone"] = rng.random(n) < 0.05
    p["no_id_no"] = rng.random(n) < np.where(p["channel"] == "网上信访", 0.1, 0.25)
    p["formula"] = np.zeros(n, dtype=bool)
    p["formula"][rng.choice(n, size=2 + n // 600, replace=False)] = True


def _norm(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _route(rng: np.random.Generator, p: Plan, lim: dict[str, np.ndarray]) -> None:
    """Routing, track and the clean gaps up to acceptance and notice."""
    n = len(p["received"])
    old_block = p["old_block"]
    routing = _pick(rng, ROUTINGS, n)
    routing[old_block] = np.where(rng.random(old_block.sum()) < 0.6, TRANSFER, DIRECT)
    p["routing"] = routing
    inform = np.isin(routing, INFORM)
    diverted = (rng.random(n) < 0.07) | (old_block & (rng.random(n) < 0.3))
    track = np.where(diverted, rng.choice(OTHER_TRACKS, size=n), PETITION_TRACK).astype(object)
    track[routing == "告知"] = rng.choice(OTHER_TRACKS, size=(routing == "告知").sum())
    track[routing == "不予受理"] = PETITION_TRACK
    p["track"] = track
    p["reg_gap"] = rng.choice([0, 0, 0, 1, 1, 2], size=n)
    p["route_gap"] = _gap(rng, lim["register"])          # routed, or (告知/不予受理) notice
    p["unit_gap"] = rng.choice([0, 1, 1, 2, 3], size=n)
    notice_limit = np.where(routing == DIRECT, lim["notice_direct"], lim["notice_routed"])
    p["notice_gap"] = np.where(inform, NEVER, _gap(rng, notice_limit))
    p["accept_gap"] = np.where(inform, NEVER, np.floor(rng.random(n) * (p["notice_gap"] + 1)))
    p["accept_gap"] = p["accept_gap"].astype(np.int64)


def _handle(rng: np.random.Generator, p: Plan, lim: dict[str, np.ndarray]) -> None:
    """Clean handling: conclusion, extension, reply, outcome and the 交办 report."""
    n = len(p["received"])
    routing, h = p["routing"], lim["handling"]
    assigned = routing == ASSIGN
    p["assigned_days"] = np.where(assigned, rng.choice([30, 45, 60], size=n), NEVER)
    # A valid extension (only on 转送/直接办理 items on the 信访程序 track).
    extend = (np.isin(routing, (TRANSFER, DIRECT)) & (p["track"] == PETITION_TRACK)
              & (rng.random(n) < 0.04))
    ext = np.where(extend, _gap(rng, lim["extension"], lo=10, boundary=0.2), 0)
    p["ext_days"] = ext
    p["approve_off"] = np.where(extend, -_gap(rng, np.full(n, 10), boundary=0.0), NEVER)
    p["enotice_off"] = np.where(extend, p["approve_off"] + _gap(rng, -p["approve_off"]), NEVER)
    conclude = np.where(extend, h + _gap(rng, ext, lo=1, boundary=0.2), _gap(rng, h, lo=3))
    # 交办: conclude two days before the assigned deadline so the report fits.
    room = p["assigned_days"] - p["unit_gap"] - p["accept_gap"] - 2
    p["conclude_gap"] = np.where(assigned, np.minimum(conclude, room), conclude)
    slack = h + ext - p["conclude_gap"]                  # days left to the handling last day
    slack = np.where(assigned, np.minimum(slack, room + 2 - p["conclude_gap"]), slack)
    p["reply_gap"] = np.minimum(rng.choice([0, 0, 0, 1, 2], size=n), np.maximum(slack, 0))
    report_room = np.maximum(room + 2 - p["conclude_gap"] - p["reply_gap"], 0)
    p["fb_gap"] = np.where(assigned, _gap(rng, np.minimum(report_room, 5), boundary=0.0), NEVER)
    exact = assigned & (rng.random(n) < 0.05)            # reported on the deadline itself
    p["fb_gap"] = np.where(exact, report_room, p["fb_gap"])
    p["outcome"] = _pick(rng, OUTCOMES, n)


def _review(rng: np.random.Generator, p: Plan, lim: dict[str, np.ndarray],
            rules: _Rules) -> None:
    """Clean 复查 / 复核 and carrying out decisions that require action."""
    n = len(p["received"])
    unhappy = ~rules.is_action(p["outcome"], p["received"])
    p["review"] = unhappy & (rng.random(n) < 0.12)
    p["rq_gap"] = 1 + _gap(rng, lim["review_request"] - 1, boundary=0.0)
    p["rd_gap"] = _gap(rng, lim["review"], lo=3, boundary=0.15)
    p["review_outcome"] = _pick(rng, REVIEW_OUTCOMES, n)
    upheld = p["review_outcome"] == "维持"
    p["rereview"] = p["review"] & upheld & (rng.random(n) < 0.35)
    p["rrq_gap"] = 1 + _gap(rng, lim["rereview_request"] - 1, boundary=0.0)
    p["hearing"] = np.where(rng.random(n) < 0.2, rng.integers(5, 21, n), 0)
    p["rrd_gap"] = _gap(rng, lim["rereview"] + p["hearing"], lo=3, boundary=0.15)
    p["rereview_outcome"] = _pick(rng, REREVIEW_OUTCOMES, n)
    p["due_days"] = rng.choice([30, 60, 90], size=n)
    p["impl_gap"] = _gap(rng, p["due_days"], lo=3, boundary=0.05)


def _overrides(p: Plan) -> None:
    """Per-item edits made after the cut (all off for clean items)."""
    n = len(p["received"])
    p["reply_drop"] = np.zeros(n, dtype=bool)
    p["order_kind"] = np.zeros(n, dtype=np.int64)       # 1: reply before accepted, 2: reg<recv
    p["order_k"] = np.zeros(n, dtype=np.int64)
    p["garbage"] = np.full(n, None, dtype=object)
    p["unit_missing"] = np.zeros(n, dtype=bool)
    p["petitioner_as"] = np.full(n, None, dtype=object)  # "匿名", "不详", "" …
    p["unimplemented"] = np.zeros(n, dtype=bool)


def _draw_plan(rng: np.random.Generator, cases: int, as_of: int, rules: _Rules
               ) -> tuple[Plan, dict[str, np.ndarray]]:
    n_old = max(6, round(0.015 * cases))
    received = _received(rng, cases - n_old, n_old, as_of, rules.switch_day)
    p: Plan = {"received": received,
               "old_block": np.arange(cases) >= cases - n_old}
    lim = rules.limits(received)
    _describe(rng, p)
    _route(rng, p, lim)
    _handle(rng, p, lim)
    _review(rng, p, lim, rules)
    _overrides(p)
    return p, lim


# ---------------------------------------------------------------------------------------------
# Timeline: planned days of every event, then the cut at as_of
# ---------------------------------------------------------------------------------------------


def _timeline(p: Plan, lim: dict[str, np.ndarray], rules: _Rules) -> dict[str, np.ndarray]:
    """Planned day of every event (>= NEVER-ish: never happens). Pure cumulative sums."""
    r, routing = p["received"], p["routing"]
    routed, direct = np.isin(routing, ROUTED), routing == DIRECT
    inform, assigned = np.isin(routing, INFORM), routing == ASSIGN
    d = {"received": r, "registered": r + p["reg_gap"]}
    d["routed"] = np.where(routed, r + p["route_gap"], NEVER)
    d["unit_received"] = d["routed"] + p["unit_gap"]
    start = np.where(direct, r, d["unit_received"])
    d["accepted"] = np.where(routed | direct, start + p["accept_gap"], NEVER)
    d["notice"] = np.where(inform, r + p["route_gap"], start + p["notice_gap"])
    d["orig_last"] = d["accepted"] + lim["handling"]
    ext = p["ext_days"] > 0
    d["approved"] = np.where(ext, d["orig_last"] + p["approve_off"], NEVER)
    d["ext_notice"] = np.where(ext, d["orig_last"] + p["enotice_off"], NEVER)
    d["concluded"] = d["accepted"] + p["conclude_gap"]
    d["reply"] = d["concluded"] + p["reply_gap"]
    d["assigned_deadline"] = np.where(assigned, d["routed"] + p["assigned_days"], NEVER)
    d["feedback"] = np.where(assigned, d["reply"] + p["fb_gap"], NEVER)
    d["review_requested"] = np.where(p["review"], d["reply"] + p["rq_gap"], NEVER)
    d["review_decided"] = d["review_requested"] + p["rd_gap"]
    d["rereview_requested"] = np.where(p["rereview"], d["review_decided"] + p["rrq_gap"], NEVER)
    d["rereview_decided"] = d["rereview_requested"] + p["rrd_gap"]
    _decision(d, p, rules)
    return d


def _decision(d: dict[str, np.ndarray], p: Plan, rules: _Rules) -> None:
    """The decision that requires action (if any), its deadline and when it was carried out.

    ``decision_seen`` is the day the decision shows in the ledger: for a 处理意见 that is the
    reply day, because a conclusion is shown together with its reply.
    """
    r = p["received"]
    by_rereview = p["rereview"] & rules.is_action(p["rereview_outcome"], r)
    by_review = p["review"] & rules.is_action(p["review_outcome"], r)
    by_outcome = rules.is_action(p["outcome"], r)
    which = [by_rereview, by_review, by_outcome]
    d["decision"] = np.select(which, [d["rereview_decided"], d["review_decided"],
                                      d["concluded"]], NEVER)
    d["decision_seen"] = np.select(which, [d["rereview_decided"], d["review_decided"],
                                           d["reply"]], NEVER)
    d["implementation_due"] = d["decision"] + p["due_days"]
    d["implemented"] = d["decision"] + p["impl_gap"]


@dataclass
class _Cut:
    """The ledger at as_of: shown day per date field (``_NAT``: empty) and stage flags."""

    days: dict[str, np.ndarray]
    seen: dict[str, np.ndarray]


def _cut(d: dict[str, np.ndarray], p: Plan, as_of: int) -> _Cut:
    """Hide every event after as_of, keeping the groups that are recorded together."""
    s = {k: v <= as_of for k, v in d.items()}
    seen = {"registered_on": s["registered"], "routed_on": s["routed"],
            "unit_received_on": s["unit_received"], "notice_on": s["notice"],
            "accepted_on": s["accepted"], "feedback_on": s["feedback"],
            "review_requested_on": s["review_requested"],
            "review_decided_on": s["review_decided"],
            "rereview_requested_on": s["rereview_requested"],
            "rereview_decided_on": s["rereview_decided"]}
    seen["assigned_deadline"] = s["routed"] & (p["routing"] == ASSIGN)
    # A conclusion is shown together with its reply (dropped replies are edited later).
    seen["concluded_on"] = seen["reply_on"] = s["reply"]
    # The extension (days, approval, notice) is recorded once its last paper exists.
    has_ap, has_en = p["approve_off"] < NEVER // 2, p["enotice_off"] < NEVER // 2
    anchor = np.maximum(np.where(has_ap, d["approved"], d["orig_last"]),
                        np.where(has_en, d["ext_notice"], d["orig_last"]))
    ext_seen = (p["ext_days"] > 0) & (anchor <= as_of) & s["accepted"]
    seen["extension_days"] = ext_seen
    seen["extension_approved_on"] = ext_seen & has_ap
    seen["extension_notice_on"] = ext_seen & has_en
    seen["implementation_due"] = s["decision_seen"]
    seen["implemented_on"] = s["decision_seen"] & s["implemented"]
    days = {
        "received_on": d["received"], "registered_on": d["registered"],
        "routed_on": d["routed"], "assigned_deadline": d["assigned_deadline"],
        "unit_received_on": d["unit_received"], "notice_on": d["notice"],
        "accepted_on": d["accepted"], "extension_approved_on": d["approved"],
        "extension_notice_on": d["ext_notice"], "concluded_on": d["concluded"],
        "reply_on": d["reply"], "feedback_on": d["feedback"],
        "review_requested_on": d["review_requested"], "review_decided_on": d["review_decided"],
        "rereview_requested_on": d["rereview_requested"],
        "rereview_decided_on": d["rereview_decided"],
        "implementation_due": d["implementation_due"], "implemented_on": d["implemented"],
    }
    shown = {k: np.where(seen.get(k, True), v, _NAT) for k, v in days.items()}
    _edit_dates(shown, p)
    return _Cut(days=shown, seen=seen)


def _edit_dates(shown: dict[str, np.ndarray], p: Plan) -> None:
    """Planted edits of shown dates: dropped replies, dates out of order, unreadable cells."""
    shown["reply_on"] = np.where(p["reply_drop"], _NAT, shown["reply_on"])
    before = p["order_kind"] == 1
    shown["reply_on"] = np.where(before, shown["accepted_on"] - p["order_k"], shown["reply_on"])
    early = p["order_kind"] == 2
    shown["registered_on"] = np.where(early, shown["received_on"] - p["order_k"],
                                      shown["registered_on"])
    shown["registered_on"] = np.where(p["garbage"] != None, _NAT,  # noqa: E711 (elementwise)
                                      shown["registered_on"])


# ---------------------------------------------------------------------------------------------
# Planting
# ---------------------------------------------------------------------------------------------


class _Planter:
    """Chooses items for each planted kind, edits their plan and records what must fire.

    Eligibility is judged on the first planned timeline ``d``: a plant only edits its own items
    at or after the step it targets, so what came before stays as planned.
    """

    def __init__(self, p: Plan, d: dict[str, np.ndarray], lim: dict[str, np.ndarray],
                 rules: _Rules, as_of: int, rng: np.random.Generator, per_check: int):
        self.p, self.d, self.lim, self.rules = p, d, lim, rules
        self.as_of, self.rng, self.per_check = as_of, rng, per_check
        n = len(p["received"])
        self.used = np.zeros(n, dtype=bool)
        self.records: list[tuple[np.ndarray, str, tuple[str, ...]]] = []
        routing = p["routing"]
        self.new = ~p["old_block"]
        self.routed = np.isin(routing, ROUTED)
        self.direct = routing == DIRECT
        self.inform = np.isin(routing, INFORM)
        self.assigned = routing == ASSIGN
        self.handled = np.isin(routing, (TRANSFER, DIRECT)) & self.new
        self.judged = self.handled & (p["track"] == PETITION_TRACK)
        self.concluded = (d["reply"] <= as_of) & self.new

    def count(self, share: float) -> int:
        return max(1, round(self.per_check * share))

    def take(self, mask: np.ndarray, count: int) -> np.ndarray:
        """Up to ``count`` unused items from ``mask``, chosen by the seeded generator."""
        pool = np.flatnonzero(mask & ~self.used)
        idx = np.sort(self.rng.choice(pool, size=min(count, len(pool)), replace=False))
        self.used[idx] = True
        return idx

    def excess(self, size: int) -> np.ndarray:
        """Days past the last day: a third exactly on day N+1, the rest 2..20 days."""
        k = self.rng.integers(2, 21, size=size)
        k[: (size + 2) // 3] = 1
        return k

    def plant(self, kind: str, checks: tuple[CheckId, ...], mask: np.ndarray, count: int,
              edit: Callable[[np.ndarray], None]) -> None:
        idx = self.take(mask, count)
        if len(idx):
            edit(idx)
            self.records.append((idx, kind, tuple(c.value for c in checks)))

    def due(self, start: np.ndarray, limit, margin: int) -> np.ndarray:
        """Items whose last day (start + limit) lies at least ``margin`` days before as_of."""
        return start + limit + margin <= self.as_of


def _no_ext(p: Plan, idx: np.ndarray) -> None:
    p["ext_days"][idx] = 0
    p["approve_off"][idx] = NEVER
    p["enotice_off"][idx] = NEVER


def _calm(pl: _Planter, idx: np.ndarray) -> None:
    """No review and no decision requiring action: nothing after the conclusion can fire."""
    p = pl.p
    p["review"][idx] = False
    p["rereview"][idx] = False
    acts = pl.rules.is_action(p["outcome"][idx], p["received"][idx])
    calm = pl.rules.non_action(OUTCOMES)
    p["outcome"][idx] = np.where(acts, pl.rng.choice(calm, size=len(idx)), p["outcome"][idx])


def _plant_reg(pl: _Planter) -> None:
    p, d, lim, C = pl.p, pl.d, pl.lim, CheckId
    reg = lim["register"]

    def late(idx):
        p["route_gap"][idx] = reg[idx] + pl.excess(len(idx))

    def never(idx):
        p["route_gap"][idx] = NEVER

    pl.plant("REG_LATE/routed_late", (C.REG_LATE,),
             pl.routed & pl.new & pl.due(d["received"], reg, MARGIN), pl.count(0.45), late)
    pl.plant("REG_LATE/not_routed", (C.REG_LATE,),
             pl.routed & pl.new & pl.due(d["received"], reg, 1), pl.count(0.3), never)
    pl.plant("REG_LATE/inform_notice_late", (C.REG_LATE,),
             pl.inform & pl.new & pl.due(d["received"], reg, MARGIN), pl.count(0.25), late)


def _notice_start(pl: _Planter) -> tuple[np.ndarray, np.ndarray]:
    d, lim = pl.d, pl.lim
    start = np.where(pl.direct, d["received"], d["unit_received"])
    limit = np.where(pl.direct, lim["notice_direct"], lim["notice_routed"])
    return start, limit


def _plant_notice(pl: _Planter) -> None:
    p, C = pl.p, CheckId
    start, limit = _notice_start(pl)

    def late(idx):
        p["notice_gap"][idx] = limit[idx] + pl.excess(len(idx))

    def never(idx):
        p["notice_gap"][idx] = NEVER

    pl.plant("NOTICE_LATE/routed_late", (C.NOTICE_LATE,),
             pl.routed & pl.new & pl.due(start, limit, MARGIN), pl.count(0.4), late)
    pl.plant("NOTICE_LATE/direct_late", (C.NOTICE_LATE,),
             pl.direct & pl.new & pl.due(start, limit, MARGIN), pl.count(0.3), late)
    pl.plant("NOTICE_LATE/missing", (C.NOTICE_LATE,),
             (pl.routed | pl.direct) & pl.new & pl.due(start, limit, 1), pl.count(0.3), never)


def _plant_anonymous(pl: _Planter) -> None:
    """Control: an unknown petitioner gets no notice, and that is not a finding."""
    p = pl.p
    start, limit = _notice_start(pl)
    names = [*pl.rules.new.anonymous_petitioners, ""]     # "" = empty cell: unknown too

    def anonymous(idx):
        p["notice_gap"][idx] = NEVER
        p["petitioner_as"][idx] = [names[i % len(names)] for i in range(len(idx))]

    pl.plant("control/anonymous_no_notice", (), (pl.routed | pl.direct) & pl.new
             & pl.due(start, limit, 1), max(4, pl.count(0.3)), anonymous)


def _conclude_late(pl: _Planter, idx: np.ndarray) -> None:
    pl.p["conclude_gap"][idx] = pl.lim["handling"][idx] + pl.excess(len(idx))


def _plant_handling(pl: _Planter) -> None:
    p, d, lim, C = pl.p, pl.d, pl.lim, CheckId
    h = lim["handling"]

    def late(idx):
        _no_ext(p, idx)
        _conclude_late(pl, idx)

    def never(idx):
        _no_ext(p, idx)
        p["conclude_gap"][idx] = NEVER

    pl.plant("HANDLING_OVERDUE/concluded_late", (C.HANDLING_OVERDUE,),
             pl.judged & pl.due(d["accepted"], h, MARGIN), pl.count(0.35), late)
    pl.plant("HANDLING_OVERDUE/open_overdue", (C.HANDLING_OVERDUE,),
             pl.judged & pl.due(d["accepted"], h, 1), pl.count(0.25), never)


def _plant_old_era(pl: _Planter) -> None:
    """Track 诉讼 concluded late: a finding under the 2005 text, none under the 2022 text."""
    p, d, C = pl.p, pl.d, CheckId
    old = pl.rules.era_old(d["received"])

    def litigation_late(idx):
        p["track"][idx] = "诉讼"
        _no_ext(p, idx)
        _conclude_late(pl, idx)

    block = p["old_block"] & np.isin(p["routing"], (TRANSFER, DIRECT))
    pl.plant("HANDLING_OVERDUE/2005_track_litigation_late", (C.HANDLING_OVERDUE,),
             block & old & (d["received"] == pl.rules.switch_day - 1), 1, litigation_late)
    pl.plant("HANDLING_OVERDUE/2005_track_litigation_late", (C.HANDLING_OVERDUE,),
             block & old, max(1, pl.count(0.05)), litigation_late)
    pl.plant("control/2022_track_litigation_late", (), block & ~old, 1, litigation_late)
    pl.plant("control/2022_track_other_late", (),
             pl.handled & pl.due(d["accepted"], pl.lim["handling"], MARGIN),
             max(2, pl.count(0.15)), _diverted_late(pl))


def _diverted_late(pl: _Planter) -> Callable[[np.ndarray], None]:
    def edit(idx):
        pl.p["track"][idx] = pl.rng.choice(OTHER_TRACKS, size=len(idx))
        _no_ext(pl.p, idx)
        _conclude_late(pl, idx)
    return edit


def _extension(pl: _Planter, idx: np.ndarray, days, approve, notice) -> None:
    p = pl.p
    p["ext_days"][idx] = days
    p["approve_off"][idx] = approve
    p["enotice_off"][idx] = notice


def _plant_extension(pl: _Planter) -> None:
    """Irregular extensions; with a conclusion the extension would have covered, also late."""
    p, d, lim, C = pl.p, pl.d, pl.lim, CheckId
    h, e = lim["handling"], lim["extension"]
    both = (C.HANDLING_OVERDUE, C.EXTENSION_IRREGULAR)
    room = pl.judged & pl.due(d["accepted"], h, e + MARGIN)
    on_time = pl.judged & pl.due(d["accepted"], h, 5)

    def in_time(idx):                                   # concluded by the original last day
        p["conclude_gap"][idx] = h[idx] - pl.rng.integers(0, 11, size=len(idx))

    def approved_late(idx):
        days = np.minimum(20, e[idx])
        after = pl.rng.integers(1, 6, size=len(idx))
        _extension(pl, idx, days, after, after)
        p["conclude_gap"][idx] = h[idx] + np.minimum(pl.excess(len(idx)), days)

    def over_limit_late(idx):
        days = e[idx] + 10
        _extension(pl, idx, days, -3, -2)
        p["conclude_gap"][idx] = h[idx] + np.minimum(pl.excess(len(idx)), days)

    def no_notice_late(idx):
        _extension(pl, idx, np.minimum(15, e[idx]), -3, NEVER)
        p["conclude_gap"][idx] = h[idx] + np.minimum(pl.excess(len(idx)), 15)

    def over_limit(idx):
        _extension(pl, idx, e[idx] + pl.excess(len(idx)), -5, -4)
        in_time(idx)

    def no_approval(idx):
        _extension(pl, idx, pl.rng.integers(15, e[idx] + 1), NEVER, -3)
        in_time(idx)

    def no_notice(idx):
        _extension(pl, idx, np.minimum(15, e[idx]), -3, NEVER)
        in_time(idx)

    pl.plant("HANDLING_OVERDUE+EXTENSION_IRREGULAR/approved_late", both, room,
             pl.count(0.12), approved_late)
    pl.plant("HANDLING_OVERDUE+EXTENSION_IRREGULAR/over_limit", both, room,
             pl.count(0.1), over_limit_late)
    pl.plant("HANDLING_OVERDUE+EXTENSION_IRREGULAR/no_notice", both, room,
             pl.count(0.1), no_notice_late)
    pl.plant("EXTENSION_IRREGULAR/over_limit", (C.EXTENSION_IRREGULAR,), on_time,
             pl.count(0.25), over_limit)
    pl.plant("EXTENSION_IRREGULAR/no_approval", (C.EXTENSION_IRREGULAR,), on_time,
             pl.count(0.25), no_approval)
    pl.plant("EXTENSION_IRREGULAR/no_notice", (C.EXTENSION_IRREGULAR,), on_time,
             pl.count(0.2), no_notice)
    _plant_valid_extension(pl, room)


def _plant_valid_extension(pl: _Planter, room: np.ndarray) -> None:
    """Control: a valid extension covers a conclusion after the original last day."""
    p, lim = pl.p, pl.lim

    def covered(idx):
        e = lim["extension"][idx]
        edge = np.arange(len(idx)) % 2 == 0                 # on the boundaries themselves
        _extension(pl, idx, e, np.where(edge, 0, -3), np.where(edge, 0, -1))
        p["conclude_gap"][idx] = lim["handling"][idx] + np.where(edge, e, e - 4)

    pl.plant("control/valid_extension_covers", (), room, max(2, pl.count(0.2)), covered)


def _plant_due_today(pl: _Planter) -> None:
    """Controls: last day == as_of and nothing done yet is not (yet) a finding."""
    p, d, lim = pl.p, pl.d, pl.lim

    def never_routed(idx):
        p["route_gap"][idx] = NEVER

    def never_concluded(idx):
        _no_ext(p, idx)
        p["conclude_gap"][idx] = NEVER

    pl.plant("control/routing_due_today", (), pl.routed & pl.new
             & (d["received"] + lim["register"] == pl.as_of), 2, never_routed)
    pl.plant("control/handling_due_today", (), pl.judged
             & (d["accepted"] + lim["handling"] == pl.as_of), 2, never_concluded)


def _plant_reply(pl: _Planter) -> None:
    def drop(idx):
        _calm(pl, idx)
        pl.p["reply_drop"][idx] = True

    pl.plant("REPLY_MISSING/no_reply", (CheckId.REPLY_MISSING,),
             pl.concluded & ~pl.assigned & (pl.d["reply"] < pl.as_of), pl.count(1.0), drop)


def _plant_feedback(pl: _Planter) -> None:
    p, d, C = pl.p, pl.d, CheckId
    deadline = d["assigned_deadline"]
    ready = pl.assigned & pl.new & (d["reply"] <= deadline)

    def late(idx):
        p["fb_gap"][idx] = deadline[idx] - d["reply"][idx] + pl.excess(len(idx))

    def never(idx):
        p["fb_gap"][idx] = NEVER

    pl.plant("FEEDBACK_MISSING/late", (C.FEEDBACK_MISSING,),
             ready & pl.due(deadline, 0, MARGIN), pl.count(0.55), late)
    pl.plant("FEEDBACK_MISSING/missing", (C.FEEDBACK_MISSING,),
             ready & pl.due(deadline, 0, 1), pl.count(0.45), never)
    waiting = ready & (d["reply"] <= pl.as_of)
    pl.plant("control/feedback_due_today", (), waiting & (deadline == pl.as_of), 1, never)
    pl.plant("control/feedback_not_yet_due", (), waiting & (deadline > pl.as_of),
             max(2, pl.count(0.15)), never)


def _start_review(pl: _Planter, idx: np.ndarray, decided_gap) -> None:
    """Open a 复查 a few days after the reply, decided ``decided_gap`` days after the request."""
    p = pl.p
    _calm(pl, idx)
    p["review"][idx] = True
    p["rq_gap"][idx] = pl.rng.integers(1, 6, size=len(idx))
    p["rd_gap"][idx] = decided_gap
    p["review_outcome"][idx] = "维持"


def _plant_review(pl: _Planter) -> None:
    d, lim, C = pl.d, pl.lim, CheckId
    rv = lim["review"]

    def late(idx):
        _start_review(pl, idx, rv[idx] + pl.excess(len(idx)))

    def never(idx):
        _start_review(pl, idx, NEVER)

    start = d["reply"] + 5                                 # latest request day
    pl.plant("REVIEW_OVERDUE/decided_late", (C.REVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rv, MARGIN), pl.count(0.55), late)
    pl.plant("REVIEW_OVERDUE/open_overdue", (C.REVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rv, 1), pl.count(0.45), never)


def _plant_rereview(pl: _Planter) -> None:
    p, d, lim, C = pl.p, pl.d, pl.lim, CheckId
    rr = lim["rereview"]

    def rereview(idx, hearing, decided_gap):
        _start_review(pl, idx, np.minimum(10, lim["review"][idx]))
        p["rereview"][idx] = True
        p["rrq_gap"][idx] = pl.rng.integers(1, 6, size=len(idx))
        p["hearing"][idx] = hearing
        p["rrd_gap"][idx] = decided_gap
        p["rereview_outcome"][idx] = "维持"

    def late(idx):
        rereview(idx, 0, rr[idx] + pl.excess(len(idx)))

    def beyond_hearing(idx):
        h = pl.rng.integers(5, 21, size=len(idx))
        rereview(idx, h, rr[idx] + h + pl.excess(len(idx)))

    def never(idx):
        rereview(idx, np.where(np.arange(len(idx)) % 2, 10, 0), NEVER)

    def covered(idx):                                  # late by calendar, within 30 + hearing
        h = pl.rng.integers(8, 21, size=len(idx))
        edge = np.arange(len(idx)) % 2 == 0
        rereview(idx, h, rr[idx] + np.where(edge, h, h - 4))

    start = d["reply"] + 5 + 10 + 5 + 20                   # latest request day + hearing
    pl.plant("REREVIEW_OVERDUE/decided_late", (C.REREVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rr, MARGIN), pl.count(0.35), late)
    pl.plant("REREVIEW_OVERDUE/late_beyond_hearing", (C.REREVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rr, MARGIN), pl.count(0.35), beyond_hearing)
    pl.plant("REREVIEW_OVERDUE/open_overdue", (C.REREVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rr, 1), pl.count(0.3), never)
    pl.plant("control/rereview_within_hearing", (),
             pl.concluded & pl.due(start, rr, MARGIN), max(2, pl.count(0.15)), covered)


def _plant_decision(pl: _Planter) -> None:
    p, d, C = pl.p, pl.d, CheckId
    cid = (C.DECISION_UNIMPLEMENTED,)
    supported = (pl.concluded & ~p["review"]
                 & pl.rules.is_action(p["outcome"], p["received"]))
    due = p["due_days"]

    def unimplemented(idx):
        p["impl_gap"][idx] = NEVER
        p["unimplemented"][idx] = True

    def never(idx):
        p["impl_gap"][idx] = NEVER

    def late(idx):
        p["impl_gap"][idx] = due[idx] + pl.excess(len(idx))

    def review_action_late(idx):
        _start_review(pl, idx, np.minimum(pl.rng.integers(3, 11, size=len(idx)),
                                          pl.lim["review"][idx]))
        p["review_outcome"][idx] = pl.rng.choice(["撤销", "变更", "责令重新办理"], size=len(idx))
        late(idx)

    pl.plant("DECISION_UNIMPLEMENTED/status_unimplemented", cid, supported, pl.count(0.3),
             unimplemented)
    pl.plant("DECISION_UNIMPLEMENTED/not_implemented_past_due", cid,
             supported & pl.due(d["concluded"], due, 1), pl.count(0.3), never)
    pl.plant("DECISION_UNIMPLEMENTED/implemented_late", cid,
             supported & pl.due(d["concluded"], due, MARGIN), pl.count(0.25), late)
    pl.plant("DECISION_UNIMPLEMENTED/review_decision_implemented_late", cid,
             pl.concluded & pl.due(d["reply"] + 15, due, MARGIN), pl.count(0.15),
             review_action_late)


def _plant_data(pl: _Planter) -> None:
    p, d, C = pl.p, pl.d, CheckId
    registered = pl.new & (d["registered"] <= pl.as_of)

    def garbage(idx):
        p["garbage"][idx] = [GARBAGE_DATES[i % len(GARBAGE_DATES)] for i in range(len(idx))]

    def reply_before_accepted(idx):
        _calm(pl, idx)
        p["order_kind"][idx] = 1
        p["order_k"][idx] = pl.rng.integers(1, 6, size=len(idx))

    def registered_before_received(idx):
        p["order_kind"][idx] = 2
        p["order_k"][idx] = pl.rng.integers(1, 4, size=len(idx))

    def unit_missing(idx):
        p["unit_missing"][idx] = True

    pl.plant("DATA_DATE_UNREADABLE/registered_on", (C.DATA_DATE_UNREADABLE,), registered,
             pl.count(1.0), garbage)
    pl.plant("DATA_DATE_ORDER/reply_before_accepted", (C.DATA_DATE_ORDER,),
             pl.concluded, pl.count(0.6), reply_before_accepted)
    pl.plant("DATA_DATE_ORDER/registered_before_received", (C.DATA_DATE_ORDER,), registered,
             pl.count(0.4), registered_before_received)
    pl.plant("DATA_REQUIRED_MISSING/handling_unit", (C.DATA_REQUIRED_MISSING,), pl.new,
             pl.count(1.0), unit_missing)
    # Duplicated rows are added when the frame is assembled; only the originals are chosen.
    pl.plant("DATA_DUPLICATE_ID/repeated_row", (C.DATA_DUPLICATE_ID,), pl.new,
             pl.count(1.0), lambda idx: None)


#: Planting order: the kinds with the narrowest pools first.
_PLANTERS = (_plant_due_today, _plant_old_era, _plant_rereview, _plant_decision, _plant_review,
             _plant_extension, _plant_handling, _plant_feedback, _plant_notice,
             _plant_anonymous, _plant_reply, _plant_reg, _plant_data)


def _plant_all(pl: _Planter) -> None:
    for step in _PLANTERS:
        step(pl)
    planted = {c for _, _, checks in pl.records for c in checks}
    missing = [c.value for c in CheckId if c.value not in planted]
    if missing:
        raise SynthError(f"事项数太少，无法植入全部检查项（缺少：{'、'.join(missing)}），"
                         "请增加事项数（--cases）")


# ---------------------------------------------------------------------------------------------
# Frame assembly
# ---------------------------------------------------------------------------------------------


def _to_dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def _summaries(p: Plan) -> np.ndarray:
    cats = p["category"]
    out = np.empty(len(cats), dtype=object)
    for cat, (_, _, _, templates) in CATEGORIES.items():
        rows = np.flatnonzero(cats == cat)
        parts = [t.split("{0}") for t in templates]
        pick = p["template"][rows] % len(templates)
        head = np.array([a for a, _ in parts], dtype=object)[pick]
        tail = np.array([b for _, b in parts], dtype=object)[pick]
        out[rows] = head + p["place"][rows] + tail
    formulas = np.flatnonzero(p["formula"])
    out[formulas] = [FORMULA_SUMMARIES[i % len(FORMULA_SUMMARIES)] for i in range(len(formulas))]
    return out


def _status(cut: _Cut, d: dict[str, np.ndarray], p: Plan, lim: dict[str, np.ndarray],
            as_of: int) -> np.ndarray:
    """The system's status (national list), consistent with the shown dates."""
    s = cut.seen
    ext_ok = cut.seen["extension_days"] & (p["approve_off"] <= 0) & (p["enotice_off"] <= 0) \
        & (p["ext_days"] <= lim["extension"])
    handling_last = d["orig_last"] + np.where(ext_ok, p["ext_days"], 0)
    rr_late = as_of > d["rereview_requested"] + lim["rereview"] + p["hearing"]
    rv_late = as_of > d["review_requested"] + lim["review"]
    no_rr = as_of > d["review_decided"] + lim["rereview_request"]
    no_rv = as_of > d["reply"] + lim["review_request"]
    happy = np.isin(p["satisfaction"], ("满意", "基本满意"))
    inform = np.isin(p["routing"], INFORM)
    choices = [
        (s["rereview_decided_on"], "提出复核意见"),
        (s["rereview_requested_on"], np.where(rr_late, "超期未作出复核意见", "复核")),
        (s["review_decided_on"], np.where(no_rr, "超期未申请复核", "提出复查意见")),
        (s["review_requested_on"], np.where(rv_late, "超期未作出复查意见", "复查")),
        (s["concluded_on"], np.where(no_rv, np.where(happy, "审核认定办结", "超期未申请复查"),
                                     "已作出处理意见")),
        (inform & s["notice_on"], "不予受理"),
        (s["accepted_on"], np.where(as_of > handling_last, "超期未作出处理意见", "受理")),
    ]
    return np.select([c for c, _ in choices], [v for _, v in choices], "受理申请审查中")


def _people(p: Plan, seq: np.ndarray) -> dict[str, np.ndarray]:
    """Obviously synthetic names, phones (1380000xxxx) and id numbers (region 999999)."""
    num = seq.astype(str).astype(object)
    surname = np.array(SURNAMES, dtype=object)[seq % len(SURNAMES)]
    test = np.array(TEST_NAMES, dtype=object)[seq % len(TEST_NAMES)]
    name = np.where(p["test_name"], "测试" + test + num, surname + "某某" + num)
    phone = "1380000" + pd.Series(seq % 10_000).astype(str).str.zfill(4).to_numpy(object)
    birth = pd.Series(_to_dates(p["birth"])).dt.strftime("%Y%m%d").to_numpy(object)
    tail = pd.Series(seq % 1000).astype(str).str.zfill(3).to_numpy(object)
    check = np.array(list("0123456789X"), dtype=object)[seq % 11]
    id_no = "999999" + birth + tail + check
    anon = p["petitioner_as"] != None  # noqa: E711 (elementwise)
    name = np.where(anon, p["petitioner_as"], name)
    name = np.where(name == "", None, name)
    phone = np.where(p["no_phone"] | anon, None, phone)
    id_no = np.where(p["no_id_no"] | anon, None, id_no)
    return {"petitioner": name, "petitioner_phone": phone, "petitioner_id_no": id_no}


def _case_ids(p: Plan, seq: np.ndarray) -> np.ndarray:
    """``XF`` + YYYYMM + 7 digits; 网上信访 items ``001`` + YYYYMM + 6 digits (leading zeros)."""
    month = pd.Series(_to_dates(p["received"])).dt.strftime("%Y%m").to_numpy(object)
    s = pd.Series(seq)
    online = p["channel"] == "网上信访"
    return np.where(online, "001" + month + s.astype(str).str.zfill(6).to_numpy(object),
                    "XF" + month + s.astype(str).str.zfill(7).to_numpy(object))


def _text(values, mask=None) -> pd.Series:
    """A string column; cells outside ``mask`` (and None) are missing."""
    s = pd.Series(values, dtype=object)
    if mask is not None:
        s = s.where(mask, None)
    return s.astype("str")


def _frame(p: Plan, d: dict[str, np.ndarray], cut: _Cut, lim: dict[str, np.ndarray],
           as_of: int, seq: np.ndarray) -> pd.DataFrame:
    """The canonical frame of all items (before sorting and duplicated rows)."""
    seen = cut.seen
    concluded = seen["concluded_on"]
    action_seen = seen["implementation_due"]
    impl_status = np.where(seen["implemented_on"], "已落实",
                           np.where(p["unimplemented"], "未落实",
                                    np.where(p["template"] % 5 == 0, "部分落实", None)))
    cols: dict[str, object] = {"case_id": _text(_case_ids(p, seq)),
                               "channel": _text(p["channel"])}
    cols.update({k: _text(v) for k, v in _people(p, seq).items()})
    cols.update({
        "people_count": pd.array(p["people_count"], dtype="Int64"),
        "category": _text(p["category"]), "summary": _text(_summaries(p)),
        "is_repeat": pd.array(p["is_repeat"], dtype="boolean"),
        "routing": _text(p["routing"]),
        "handling_unit": _text(p["handling_unit"], ~p["unit_missing"]),
        "track": _text(p["track"]),
        "extension_days": pd.array(np.where(seen["extension_days"], p["ext_days"], 0),
                                   dtype="Int64"),
        "outcome": _text(p["outcome"], concluded),
        "satisfaction": _text(p["satisfaction"], concluded),
        "review_outcome": _text(p["review_outcome"], seen["review_decided_on"]),
        "rereview_outcome": _text(p["rereview_outcome"], seen["rereview_decided_on"]),
        "hearing_days": pd.array(np.where(seen["rereview_requested_on"] & (p["hearing"] > 0),
                                          p["hearing"], 0), dtype="Int64"),
        "implementation_status": _text(impl_status, action_seen),
        "escalated": pd.array(p["escalated"], dtype="boolean"),
        "status": _text(_status(cut, d, p, lim, as_of)),
    })
    for name in ("extension_days", "hearing_days"):
        cols[name][cols[name] == 0] = pd.NA
    for name, days in cut.days.items():
        cols[name] = _to_dates(days)
    frame = pd.DataFrame(cols)
    frame["_garbage"] = p["garbage"]
    # the contract's fields this generator models (the systems' own flags are not generated)
    return frame[[*(f for f in fields() if f in frame.columns), "_garbage"]]


def _escalate_plants(pl: _Planter) -> None:
    """Items with an accountability finding escalate more often (evidence of consequence)."""
    for idx, _, checks in pl.records:
        if any(not c.startswith("DATA_") for c in checks):
            pl.p["escalated"][idx] |= pl.rng.random(len(idx)) < 0.15


def _assemble(p: Plan, d: dict[str, np.ndarray], cut: _Cut, lim: dict[str, np.ndarray],
              as_of: int, pl: _Planter) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Sorted frame with ids and duplicated rows; the truth and the plants table."""
    order = np.lexsort((np.arange(len(p["received"])), p["received"]))
    seq = np.empty_like(order)
    seq[order] = np.arange(1, len(order) + 1)             # running number in received order
    base = _frame(p, d, cut, lim, as_of, seq)
    ids = base["case_id"].to_numpy(object)
    dup = next((idx for idx, kind, _ in pl.records if kind.startswith("DATA_DUPLICATE_ID")),
               np.array([], dtype=np.int64))
    rows = np.concatenate([order, dup])
    keys = np.concatenate([seq[order], seq[dup]])
    frame = base.iloc[rows[np.argsort(keys, kind="stable")]].reset_index(drop=True)
    records = [(ids[idx], kind, ";".join(checks)) for idx, kind, checks in pl.records]
    plants = pd.DataFrame({"case_id": np.concatenate([r[0] for r in records]),
                           "kind": np.concatenate([[r[1]] * len(r[0]) for r in records]),
                           "checks": np.concatenate([[r[2]] * len(r[0]) for r in records])})
    truth = (plants.assign(check_id=plants["checks"].str.split(";"))
             .explode("check_id").query("check_id != ''")[["case_id", "check_id"]]
             .drop_duplicates().sort_values(["case_id", "check_id"]).reset_index(drop=True))
    truth = truth.astype("str")
    plants = plants.sort_values(["case_id", "kind"]).reset_index(drop=True).astype("str")
    return frame, truth, plants


def _date_styles(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """How each date cell is written: a deterministic mix, ``None`` for empty cells."""
    styles = {}
    for name in (f for f in date_fields() if f in frame.columns):
        s = _pick(rng, DATE_STYLES, len(frame))
        styles[name] = np.where(frame[name].isna(), None, s)
    out = pd.DataFrame(styles, index=frame.index, dtype=object)
    bad = frame["_garbage"].notna().to_numpy()
    out.loc[bad, "registered_on"] = GARBAGE_STYLE
    return out


def _headers(use_aliases: bool, seed: int) -> dict[str, str]:
    """Canonical headers, or a deterministic mix with aliases (about half the columns)."""
    rng = np.random.default_rng([seed, 11])
    out = {}
    for name, spec in fields().items():
        alias = spec.aliases[rng.integers(len(spec.aliases))] if spec.aliases else spec.header
        out[name] = alias if use_aliases and spec.aliases and rng.random() < 0.5 else spec.header
    if len(set(out.values())) != len(out):
        raise RuntimeError("chosen headers are not unique")
    return out


def generate(cases: int, period: str, seed: int, *, use_aliases: bool = False) -> SynthExtract:
    """Generate a county extract with planted violations and its truth.

    Parameters
    ----------
    cases : int
        Number of distinct items (at least 200). Duplicated rows come on top.
    period : str
        The audited month, ``YYYY-MM``; the as-of date is its last day. Items are received over
        the six months up to it (plus a few before 2022-05-01).
    seed : int
        Seed: the same arguments give the same frame, truth and file.
    use_aliases : bool, optional
        Write some columns under an alias header instead of the canonical one.

    Returns
    -------
    SynthExtract
        The frame, the truth at ``as_of`` and how each date cell is to be written.

    Raises
    ------
    ConfigError
        ``period`` malformed (:func:`xfaudit.dates.parse_period`).
    SynthError
        ``cases`` below 200, or ``period`` too early (its six months must lie under the 2022
        text) — Chinese messages.
    """
    if cases < MIN_CASES:
        raise SynthError(f"事项数（--cases）至少为 {MIN_CASES}，而不是 {cases}")
    month = parse_period(period)
    period, last = month.label, month.last_day.date()
    rules = _Rules.national()
    as_of = _day(last)
    if as_of - WINDOW_DAYS < rules.switch_day:
        earliest = rules.new.effective_from + dt.timedelta(days=WINDOW_DAYS)
        raise SynthError(
            f"审计期间 {period} 太早：模拟事项在审计日前约六个月内收到，须全部适用"
            f"《信访工作条例》（{rules.new.effective_from.year}年{rules.new.effective_from.month}月"
            f"{rules.new.effective_from.day}日施行），最早可选 "
            f"{parse_period(f'{earliest.year}{earliest.month:02d}').label}")
    rng = np.random.default_rng(seed)
    p, lim = _draw_plan(rng, cases, as_of, rules)
    per_check = max(MIN_PER_CHECK, round(PLANT_RATE * cases))
    pl = _Planter(p, _timeline(p, lim, rules), lim, rules, as_of, rng, per_check)
    _plant_all(pl)
    _escalate_plants(pl)
    d = _timeline(p, lim, rules)
    cut = _cut(d, p, as_of)
    frame, truth, plants = _assemble(p, d, cut, lim, as_of, pl)
    styles = _date_styles(frame, rng)
    bad = frame["_garbage"].notna()
    unreadable = pd.DataFrame({"row": np.flatnonzero(bad),
                               "case_id": frame["case_id"][bad].to_numpy(object),
                               "field": "registered_on",
                               "raw": frame["_garbage"][bad].to_numpy(object)})
    frame = frame.drop(columns="_garbage")
    return SynthExtract(frame=frame, truth=truth, as_of=last, period=period, seed=seed,
                        date_styles=styles, unreadable=unreadable,
                        headers=_headers(use_aliases, seed), plants=plants, cases=cases,
                        use_aliases=use_aliases)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of ``datetime64[D]`` values as text without leading zeros."""
    months = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months).astype(np.int64) + 1
    return tuple(x.astype(str).astype(object) for x in (year, month, day))


def _iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days, unit="D").astype(object)


def _joined(sep: str, end: str = ""):
    def form(days: np.ndarray) -> np.ndarray:
        y, m, d = _ymd(days)
        return y + sep[0] + m + sep[1] + d + end
    return form


_CLOCK = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)], dtype=object)

#: Text of a text-date cell per style (the time of day of "datetime" is added by the caller).
_DATE_FORMS = {"iso": _iso, "datetime": _iso, "slash": _joined("//"), "dot": _joined(".."),
               "cn": _joined("年月", "日")}


def _render_dates(values: pd.Series, styles: np.ndarray, raw: np.ndarray,
                  minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value and :mod:`~xfaudit.writers.fastxlsx` kind of each cell of one date column.

    Per the planted style of each cell: "excel" is the day itself (a real Excel date),
    "serial" its Excel serial number, every other style text; ``None`` for an empty cell.
    """
    days = values.to_numpy("datetime64[D]")
    cells = np.full(len(days), None, dtype=object)
    kinds = np.full(len(days), None, dtype=object)
    codes, names = pd.factorize(styles)                  # compare small ints, not strings
    for code, style in enumerate(names):
        rows = np.flatnonzero(codes == code)
        kinds[rows] = {"excel": "date", "serial": "number"}.get(style, "text")
        if style == "excel":
            cells[rows] = days[rows]
        elif style == "serial":
            cells[rows] = (days[rows].astype(np.int64) - _EXCEL_EPOCH_DAY).astype(object)
        elif style == GARBAGE_STYLE:
            cells[rows] = raw[rows]
        else:
            cells[rows] = _DATE_FORMS[style](days[rows])
            if style == "datetime":
                cells[rows] = cells[rows] + " " + _CLOCK[minutes[rows]]
    return cells, kinds


def _cells(data: SynthExtract) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """What each written cell holds, in field order, and the per-cell kinds of date columns.

    Counts stay numbers, 初重件 and yes/no flags become their Chinese words, text stays text;
    a date column mixes real dates, serial numbers and text (see :func:`_render_dates`).
    """
    frame, cells, kinds = data.frame, {}, {}
    rng = np.random.default_rng([data.seed, 23])
    raw = np.full(len(frame), None, dtype=object)
    raw[data.unreadable["row"].to_numpy()] = data.unreadable["raw"].to_numpy(object)
    for name, spec in _generated(frame).items():
        col = frame[name]
        if spec.is_date:
            minutes = rng.integers(8 * 60, 18 * 60, size=len(frame))
            cells[name], kinds[name] = _render_dates(
                col, data.date_styles[name].to_numpy(object), raw, minutes)
        elif spec.kind in ("repeat", "flag"):
            yes, no = ("重件", "初件") if spec.kind == "repeat" else ("是", "否")
            words = np.where(col.fillna(False).to_numpy(bool), yes, no).astype(object)
            cells[name] = np.where(col.isna().to_numpy(), None, words)
        else:
            cells[name] = col.reset_index(drop=True)
    return pd.DataFrame(cells), kinds


def _generated(frame: pd.DataFrame) -> dict:
    """The contract's fields present in a generated frame, in contract order."""
    return {name: spec for name, spec in fields().items() if name in frame.columns}


def _width(name: str) -> int:
    if name == "summary":
        return 40
    return 20 if name in ("case_id", "petitioner_id_no", "handling_unit") else 12


def _sheet(data: SynthExtract) -> fastxlsx.Sheet:
    """The ledger sheet: merged title row, header row, then one row per frame row."""
    cells, kinds = _cells(data)
    columns = [fastxlsx.Column(name, data.headers[name],
                               kind="date" if spec.is_date else "int" if spec.kind == "int"
                               else "text", width=_width(name))
               for name, spec in _generated(data.frame).items()]
    title = fastxlsx.Line(data.title, {"bold": True, "font_size": 16, "align": "center",
                                       "valign": "vcenter"}, merge=True, height=30)
    return fastxlsx.Sheet("台账", cells, columns, above=[title], header_style={"align": "center"},
                          freeze_columns=1, autofilter=False, cell_kinds=kinds)


def _write_xlsx(data: SynthExtract, out: Path) -> None:
    """Write the ledger with :mod:`xfaudit.writers.fastxlsx` (same input, same bytes)."""
    created = dt.datetime.combine(data.as_of, dt.time(18, 0))
    fastxlsx.write(out, [_sheet(data)], title=data.title, author="xfaudit.synth（合成数据）",
                   created=created, properties={"comments": f"seed={data.seed}"})


def _write_csv(data: SynthExtract, out: Path) -> None:
    """UTF-8 with BOM; real Excel dates become ISO text, serials stay numbers."""
    cells, kinds = _cells(data)
    columns = {}
    for name in _generated(data.frame):
        column = cells[name]
        if name in kinds:
            iso = data.frame[name].dt.strftime("%Y-%m-%d").to_numpy(object)
            column = np.where(kinds[name] == "date", iso, column.to_numpy(object))
        columns[data.headers[name]] = column
    table = pd.DataFrame(columns)
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        f.write(data.title + "," * (len(columns) - 1) + "\n")
        table.to_csv(f, index=False, lineterminator="\n")


def write(data: SynthExtract, out: Path) -> dict[str, Path]:
    """Write the extract, its truth and its description.

    Parameters
    ----------
    data : SynthExtract
        From :func:`generate`.
    out : pathlib.Path
        ``.xlsx`` (default) or ``.csv`` (UTF-8 with BOM). The sheet has a merged title row
        above the Chinese header row.

    Returns
    -------
    dict
        ``extract``, ``truth`` (``<stem>.truth.csv``) and ``meta`` (``<stem>.synth.json``) paths.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        _write_csv(data, out)
    else:
        _write_xlsx(data, out)
    truth = out.with_name(out.stem + ".truth.csv")
    data.truth.to_csv(truth, index=False, encoding="utf-8-sig", lineterminator="\n")
    meta = out.with_name(out.stem + ".synth.json")
    meta.write_text(json.dumps({**data.to_dict(), "extract": out.name, "truth": truth.name},
                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return {"extract": out, "truth": truth, "meta": meta}


def synth(out: Path, *, cases: int = 1500, period: str = "2026-10", seed: int = 20261031,
          use_aliases: bool = False) -> dict[str, Path]:
    """Generate and write in one call (see :func:`generate` and :func:`write`)."""
    return write(generate(cases, period, seed, use_aliases=use_aliases), out)
