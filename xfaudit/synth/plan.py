"""The plan of a synthetic ledger: who petitioned about what, and the day of every event.

Every item gets a *plan*: its received day, routing, track and the gap in days between
consecutive events (received → registered → routed → unit received → accepted → notice,
accepted → concluded → reply → feedback, reply → review → re-review, decision →
implementation). Clean gaps stay within the limits of the item's rule profile (read from
``national-2005`` / ``national-2022``, never constants here) and keep the item's whole life in
the order of ``checks.toml [order]`` (registered before routed, the notice before the
conclusion …). A planted violation (:mod:`xfaudit.synth.plant`) changes one gap (``limit + k``
days, or :data:`NEVER`: the event does not happen), so everything after it moves with it and
stays on time relative to its own start. :func:`timeline` turns the gaps into days and
:func:`cut` hides every event after the as-of date: an event that has not happened yet has an
empty cell. Because every clean event lies on or before its own last day, a clean item that is
cut is never overdue.

The county (units, categories, summaries, the mix of channels, routings and outcomes) is data:
``vocab.toml`` beside this module, read by :func:`county`.

Day numbers are ``int64`` days since 1970-01-01; everything is vectorised over all items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from xfaudit.errors import ConfigError
from xfaudit.profile import Profile, load_profile
from xfaudit.schema import fields, fold_text, role_values, value_maps, vocabulary
from xfaudit.tomlfiles import ANY, check_keys, parse_toml

# ---------------------------------------------------------------------------------------------
# The county (fictional) and its vocabulary
# ---------------------------------------------------------------------------------------------

#: The routings the generator models, by the role checks.toml gives them.
TRANSFER, ASSIGN, DIRECT, KEPT, REFER = "转送", "交办", "直接办理", "存", "告知"
ROUTED = (TRANSFER, ASSIGN)                      # forwarded / assigned to a handling unit
BY_NOTICE = role_values("routing", "notice")     # the 信访部门 answers by a notice itself
UPHELD = "维持"                                  # a 复查/复核 that leaves the decision standing

_MIXES = ("channel", "routing", "outcome", "review_outcome", "rereview_outcome", "satisfaction")
#: The vocabulary (values.toml table) each mix draws from.
_MIX_VOCABULARY = {"channel": "channel", "routing": "routing", "outcome": "outcome",
                   "review_outcome": "review_outcome", "rereview_outcome": "review_outcome",
                   "satisfaction": "satisfaction"}
_UNKNOWN_FIELDS = ("routing", "track", "outcome", "implementation_status", "status")
#: The cells of the petition system's own view of an item that a plant may leave empty.
SYSTEM_CELLS = ("status", "is_concluded", "system_overdue")

_VOCAB_SCHEMA = {
    "county": None,
    "townships": {ANY: None},
    "categories": {ANY: {"weight": None, "department": None, "township_share": None,
                         "summaries": None, "track": None, "track_share": None}},
    "mix": {name: {ANY: None} for name in _MIXES},
    "people": {"surnames": None, "test_names": None},
    "tracks": {"petition": None, "diverted": None},
    "cells": {"formula_summaries": None, "unreadable_dates": None},
    "unknown": {name: None for name in _UNKNOWN_FIELDS},
}
_VOCAB_FILE = "vocab.toml"
_VOCAB_WHAT = "模拟台账词表"


@dataclass(frozen=True)
class Category:
    """One 内容分类: its weight, department, township share, summaries and usual track."""

    name: str
    weight: float
    department: str
    township_share: float
    summaries: tuple[str, ...]
    track: str | None = None
    track_share: float = 0.0


@dataclass(frozen=True)
class County:
    """The fictional county's vocabulary (``vocab.toml``)."""

    name: str
    townships: dict[str, float]
    categories: dict[str, Category]
    mix: dict[str, dict[str, float]]
    surnames: tuple[str, ...]
    test_names: tuple[str, ...]
    petition_track: str
    diverted_tracks: tuple[str, ...]
    formula_summaries: tuple[str, ...]
    unreadable_dates: tuple[str, ...]
    unknown: dict[str, tuple[str, ...]]


@cache
def county() -> County:
    """The county of ``vocab.toml`` (package data; read once)."""
    return read_county(resources.files("xfaudit.synth").joinpath(_VOCAB_FILE).read_text("utf-8"))


def read_county(text: str, where: str = _VOCAB_FILE) -> County:
    """Read a county vocabulary strictly: an unknown key, a drawn value outside values.toml and
    an "unknown" value that values.toml does know are :class:`~xfaudit.errors.ConfigError`."""
    data = parse_toml(text, where, _VOCAB_WHAT)
    check_keys(data, _VOCAB_SCHEMA, where, _VOCAB_WHAT)
    result = County(
        name=data["county"], townships=dict(data["townships"]),
        categories={name: Category(name=name, weight=c["weight"], department=c["department"],
                                   township_share=c["township_share"],
                                   summaries=tuple(c["summaries"]), track=c.get("track"),
                                   track_share=c.get("track_share", 0.0))
                    for name, c in data["categories"].items()},
        mix={name: dict(data["mix"][name]) for name in _MIXES},
        surnames=tuple(data["people"]["surnames"]),
        test_names=tuple(data["people"]["test_names"]),
        petition_track=data["tracks"]["petition"],
        diverted_tracks=tuple(data["tracks"]["diverted"]),
        formula_summaries=tuple(data["cells"]["formula_summaries"]),
        unreadable_dates=tuple(data["cells"]["unreadable_dates"]),
        unknown={name: tuple(data["unknown"][name]) for name in _UNKNOWN_FIELDS})
    _check_vocabulary(result, where)
    return result


def _check_vocabulary(c: County, where: str) -> None:
    """Every drawn value is canonical in values.toml; every "unknown" value is in no table."""
    tracks = {c.petition_track, *c.diverted_tracks,
              *(cat.track for cat in c.categories.values() if cat.track)}
    drawn = [(name, _MIX_VOCABULARY[name], set(values)) for name, values in c.mix.items()]
    drawn.append(("tracks", "track", tracks))
    for name, table, values in drawn:
        outside = sorted(values - vocabulary(table))
        if outside:
            raise ConfigError(where, f"{_VOCAB_WHAT}中「{name}」的取值{outside}不在"
                                    f"values.toml 的 [{table}] 词表中")
    for name, values in c.unknown.items():
        table = value_maps()[fields()[name].kind]
        known = sorted(v for v in values if fold_text(v) in table)
        if known:
            raise ConfigError(where, f"{_VOCAB_WHAT}中 unknown.{name} 的取值{known}"
                                    "在 values.toml 中有定义，不能作为词表外的取值")
    for value, role in ((TRANSFER, "routed"), (ASSIGN, "assigned"), (DIRECT, "direct"),
                        (KEPT, "kept"), (REFER, "notice")):
        if value not in role_values("routing", role):
            raise ConfigError("checks.toml", f"办理方式「{value}」不再具有 {role} 的角色")


# ---------------------------------------------------------------------------------------------
# Generation parameters
# ---------------------------------------------------------------------------------------------

#: A gap that never ends within any as-of date: the event has not happened.
NEVER = 10_000_000
#: An empty day (the smallest int64, NaT once cast to datetime64).
NAT = np.iinfo(np.int64).min
EPOCH = dt.date(1970, 1, 1)
WINDOW_DAYS = 183                    # items received over about six months up to as_of


def day_number(date: dt.date) -> int:
    """Days since 1970-01-01."""
    return (date - EPOCH).days


def happens(days: np.ndarray) -> np.ndarray:
    """Planned days that are real days (not :data:`NEVER` or later)."""
    return days < NEVER // 2


# ---------------------------------------------------------------------------------------------
# Rules: per-item limits and duties from the national profiles
# ---------------------------------------------------------------------------------------------

LIMIT_KEYS = ("register", "notice_routed", "notice_direct", "handling", "extension", "review",
              "rereview", "review_request", "rereview_request")


@dataclass(frozen=True)
class Rules:
    """The two national texts and which one judges each item (``auto``: by received day)."""

    old: Profile
    new: Profile

    @classmethod
    def national(cls) -> Rules:
        return cls(old=load_profile("national-2005"), new=load_profile("national-2022"))

    @property
    def switch_day(self) -> int:
        return day_number(self.new.effective_from)

    def era_old(self, received: np.ndarray) -> np.ndarray:
        return received < self.switch_day

    def limits(self, received: np.ndarray) -> dict[str, np.ndarray]:
        """Days of every limit, per item, from the profile in force on its received day."""
        old = self.era_old(received)
        return {key: np.where(old, self._days(self.old, key), self._days(self.new, key))
                for key in LIMIT_KEYS}

    @staticmethod
    def _days(profile: Profile, key: str) -> int:
        # The request windows are not checked; where a profile lacks them use the review limit.
        limit = profile.limits.get(key) or profile.limit(key.removesuffix("_request"))
        return int(limit.days)

    def listed(self, key: str, values: np.ndarray, received: np.ndarray) -> np.ndarray:
        """Whether each value is in the list ``key`` of the item's profile (e.g.
        ``action_outcomes``, ``notice_exempt_tracks``); an empty list holds nothing."""
        return np.where(self.era_old(received),
                        np.isin(values, list(getattr(self.old, key))),
                        np.isin(values, list(getattr(self.new, key))))

    def on_tracks(self, key: str, tracks: np.ndarray, received: np.ndarray) -> np.ndarray:
        """Whether each item's (known) track is one the profile's ``key`` list covers; an empty
        list covers every track (2005 ``handling_tracks``)."""
        def covered(profile: Profile) -> np.ndarray:
            listed = list(getattr(profile, key))
            return np.isin(tracks, listed) if listed else np.ones(len(tracks), dtype=bool)
        return np.where(self.era_old(received), covered(self.old), covered(self.new))

    def is_action(self, values: np.ndarray, received: np.ndarray) -> np.ndarray:
        """Whether a decision value requires action, by the item's profile."""
        return self.listed("action_outcomes", values, received)

    def non_action(self, values) -> list[str]:
        acts = set(self.old.action_outcomes) | set(self.new.action_outcomes)
        return [v for v in values if v not in acts]


# ---------------------------------------------------------------------------------------------
# Plan: what happens to each item, as gaps in days
# ---------------------------------------------------------------------------------------------

Plan = dict[str, np.ndarray]


def pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    """``n`` values drawn with the given relative weights."""
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def gap(rng: np.random.Generator, hi, lo=0, boundary: float = 0.04) -> np.ndarray:
    """Whole days in ``[lo, hi]`` skewed to short, with a share exactly at ``hi`` (day N)."""
    hi = np.asarray(hi, dtype=np.int64)
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), hi.shape)
    span = np.maximum(hi - lo, 0)
    x = lo + np.floor(rng.beta(1.3, 2.6, hi.shape) * (span + 1)).astype(np.int64)
    x = np.minimum(x, hi)
    return np.where(rng.random(hi.shape) < boundary, hi, x)


def _norm(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


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


def _describe(rng: np.random.Generator, p: Plan, c: County) -> None:
    """Who petitioned, how, about what, and which unit handles it."""
    n = len(p["received"])
    cats = list(c.categories.values())
    cat_i = rng.choice(len(cats), size=n, p=_norm([cat.weight for cat in cats]))
    towns = np.array(list(c.townships), dtype=object)
    town = towns[rng.choice(len(towns), size=n, p=_norm(list(c.townships.values())))]
    dept = np.array([cat.department for cat in cats], dtype=object)[cat_i]
    by_town = rng.random(n) < np.array([cat.township_share for cat in cats])[cat_i]
    p["category"] = np.array([cat.name for cat in cats], dtype=object)[cat_i]
    p["handling_unit"] = np.where(by_town, town, dept)
    p["place"] = town
    p["template"] = rng.integers(0, 1_000_000, size=n)
    p["channel"] = pick(rng, c.mix["channel"], n)
    visit = p["channel"] == "来访"
    collective = rng.random(n) < np.where(visit, 0.08, 0.01)
    few = rng.random(n) < 0.09
    p["people_count"] = np.where(collective, rng.integers(5, 31, n),
                                 np.where(few, rng.integers(2, 5, n), 1))
    p["is_repeat"] = rng.random(n) < 0.14
    p["escalated"] = rng.random(n) < np.where(p["is_repeat"], 0.12, 0.02)
    p["satisfaction"] = pick(rng, c.mix["satisfaction"], n)
    p["birth"] = rng.integers(day_number(dt.date(1950, 1, 1)),
                              day_number(dt.date(2002, 12, 31)), size=n)
    p["test_name"] = rng.random(n) < 0.2
    p["no_phone"] = rng.random(n) < 0.05
    p["no_id_no"] = rng.random(n) < np.where(p["channel"] == "网上信访", 0.1, 0.25)
    p["formula"] = np.zeros(n, dtype=bool)
    p["formula"][rng.choice(n, size=2 + n // 600, replace=False)] = True


def _route(rng: np.random.Generator, p: Plan, lim: dict[str, np.ndarray], c: County) -> None:
    """Routing, track and the clean gaps up to acceptance and notice."""
    n = len(p["received"])
    old_block = p["old_block"]
    routing = pick(rng, c.mix["routing"], n)
    routing[old_block] = np.where(rng.random(old_block.sum()) < 0.6, TRANSFER, DIRECT)
    p["routing"] = routing
    inform = np.isin(routing, BY_NOTICE)
    diverted = (rng.random(n) < 0.07) | (old_block & (rng.random(n) < 0.3))
    track = np.where(diverted, rng.choice(c.diverted_tracks, size=n),
                     c.petition_track).astype(object)
    # 涉法涉诉 and 纪检监察 items mostly follow their own procedures
    own = rng.random(n)
    for cat in c.categories.values():
        if cat.track:
            rows = (p["category"] == cat.name) & ~old_block & (own < cat.track_share)
            track[rows & np.isin(routing, (*ROUTED, DIRECT))] = cat.track
    refer = routing == REFER
    track[refer] = rng.choice(c.diverted_tracks, size=refer.sum())
    track[inform & ~refer] = c.petition_track
    track[routing == KEPT] = c.petition_track
    p["track"] = track
    p["reg_gap"] = rng.choice([0, 0, 0, 1, 1, 2], size=n)
    # routed (or, 告知/不予受理/不再受理, the notice) on or after registration
    p["route_gap"] = p["reg_gap"] + gap(rng, lim["register"] - p["reg_gap"])
    p["unit_gap"] = rng.choice([0, 1, 1, 2, 3], size=n)
    notice_limit = np.where(routing == DIRECT, lim["notice_direct"], lim["notice_routed"])
    p["notice_gap"] = np.where(inform, NEVER, gap(rng, notice_limit))
    p["accept_gap"] = np.where(inform, NEVER, np.floor(rng.random(n) * (p["notice_gap"] + 1)))
    p["accept_gap"] = p["accept_gap"].astype(np.int64)


def _handle(rng: np.random.Generator, p: Plan, lim: dict[str, np.ndarray], c: County) -> None:
    """Clean handling: conclusion, extension, reply, outcome and the 交办 report."""
    n = len(p["received"])
    routing, h = p["routing"], lim["handling"]
    assigned = routing == ASSIGN
    p["assigned_days"] = np.where(assigned, rng.choice([30, 45, 60], size=n), NEVER)
    # A valid extension (only on 转送/直接办理 items on the 信访程序 track).
    extend = (np.isin(routing, (TRANSFER, DIRECT)) & (p["track"] == c.petition_track)
              & (rng.random(n) < 0.04))
    ext = np.where(extend, gap(rng, lim["extension"], lo=10, boundary=0.2), 0)
    p["ext_days"] = ext
    p["approve_off"] = np.where(extend, -gap(rng, np.full(n, 10), boundary=0.0), NEVER)
    p["enotice_off"] = np.where(extend, p["approve_off"] + gap(rng, -p["approve_off"]), NEVER)
    # concluded on or after the notice (checks.toml [order]: 告知 ≤ 办结)
    after_notice = np.where(happens(p["notice_gap"]), p["notice_gap"] - p["accept_gap"], 0)
    conclude = np.where(extend, h + gap(rng, ext, lo=1, boundary=0.2),
                        gap(rng, h, lo=np.maximum(3, after_notice)))
    # 交办: conclude two days before the assigned deadline so the report fits.
    room = p["assigned_days"] - p["unit_gap"] - p["accept_gap"] - 2
    p["conclude_gap"] = np.where(assigned, np.minimum(conclude, room), conclude)
    slack = h + ext - p["conclude_gap"]                  # days left to the handling last day
    slack = np.where(assigned, np.minimum(slack, room + 2 - p["conclude_gap"]), slack)
    p["reply_gap"] = np.minimum(rng.choice([0, 0, 0, 1, 2], size=n), np.maximum(slack, 0))
    report_room = np.maximum(room + 2 - p["conclude_gap"] - p["reply_gap"], 0)
    p["fb_gap"] = np.where(assigned, gap(rng, np.minimum(report_room, 5), boundary=0.0), NEVER)
    exact = assigned & (rng.random(n) < 0.05)            # reported on the deadline itself
    p["fb_gap"] = np.where(exact, report_room, p["fb_gap"])
    p["outcome"] = pick(rng, c.mix["outcome"], n)


def _review(rng: np.random.Generator, p: Plan, lim: dict[str, np.ndarray], rules: Rules,
            c: County) -> None:
    """Clean 复查 / 复核 and carrying out decisions that require action."""
    n = len(p["received"])
    unhappy = ~rules.is_action(p["outcome"], p["received"])
    p["review"] = unhappy & (rng.random(n) < 0.12)
    p["rq_gap"] = 1 + gap(rng, lim["review_request"] - 1, boundary=0.0)
    p["rd_gap"] = gap(rng, lim["review"], lo=3, boundary=0.15)
    p["review_outcome"] = pick(rng, c.mix["review_outcome"], n)
    upheld = p["review_outcome"] == UPHELD
    p["rereview"] = p["review"] & upheld & (rng.random(n) < 0.35)
    p["rrq_gap"] = 1 + gap(rng, lim["rereview_request"] - 1, boundary=0.0)
    p["hearing"] = np.where(rng.random(n) < 0.2, rng.integers(5, 21, n), 0)
    p["rrd_gap"] = gap(rng, lim["rereview"] + p["hearing"], lo=3, boundary=0.15)
    p["rereview_outcome"] = pick(rng, c.mix["rereview_outcome"], n)
    p["due_days"] = rng.choice([30, 60, 90], size=n)
    p["impl_gap"] = gap(rng, p["due_days"], lo=3, boundary=0.05)


def _overrides(p: Plan) -> None:
    """Per-item edits the planter makes (all off for clean items)."""
    n = len(p["received"])
    none = lambda: np.full(n, None, dtype=object)  # noqa: E731
    off = lambda: np.zeros(n, dtype=bool)  # noqa: E731
    p["reply_drop"] = off()
    p["order"] = none()                 # the event written too early: DATA_DATE_ORDER
    p["order_k"] = np.zeros(n, dtype=np.int64)
    p["garbage_field"] = none()         # a date cell written unreadable or implausible …
    p["garbage_form"] = none()          # … as "text", the "year" alone or a year "typo" …
    p["garbage_raw"] = none()           # … with this text ("text" only)
    p["unit_missing"] = off()
    p["received_missing"] = off()
    p["registered_missing"] = off()
    p["due_missing"] = off()
    p["implemented_missing"] = off()    # 落实日期 left empty (落实情况 still 已落实)
    p["petitioner_as"] = none()         # "匿名", "不详", "" …
    p["unimplemented"] = off()          # 落实情况 = 未落实
    for name in _UNKNOWN_FIELDS:
        # a value outside values.toml written instead (信访件状态: or a stale status)
        p[f"{name}_as"] = none()
    p["accepted_missing"] = off()       # the 受理日期 cell left empty
    p["concluded_missing"] = off()      # 办结日期 and 答复日期 left empty (concluded all the same)
    # the system's own fields (限办时间, 是否办结, 是否超期): the deadline off the statutory last
    # day by so many days, a deadline on an item not accepted, 是否办结 written against the
    # status, and cells left empty
    p["deadline_shift"] = np.zeros(n, dtype=np.int64)
    p["refused_deadline"] = off()
    p["is_concluded_as"] = none()
    for name in SYSTEM_CELLS:
        p[f"{name}_blank"] = off()
    p["pasted_twice"] = off()           # the row appears again, identical
    p["reentered"] = off()              # the item is entered again with a corrected phone
    p["id_of"] = np.full(n, -1, dtype=np.int64)   # given the case id of another item


def draw(rng: np.random.Generator, cases: int, as_of: int, rules: Rules
         ) -> tuple[Plan, dict[str, np.ndarray]]:
    """The clean plan of ``cases`` items and their limits (days per limit key)."""
    c = county()
    n_old = max(6, round(0.015 * cases))
    received = _received(rng, cases - n_old, n_old, as_of, rules.switch_day)
    p: Plan = {"received": received,
               "old_block": np.arange(cases) >= cases - n_old}
    lim = rules.limits(received)
    _describe(rng, p, c)
    _route(rng, p, lim, c)
    _handle(rng, p, lim, c)
    _review(rng, p, lim, rules, c)
    _overrides(p)
    return p, lim


# ---------------------------------------------------------------------------------------------
# Timeline: planned days of every event, then the cut at as_of
# ---------------------------------------------------------------------------------------------


def timeline(p: Plan, lim: dict[str, np.ndarray], rules: Rules) -> dict[str, np.ndarray]:
    """Planned day of every event (>= ``NEVER // 2``: never happens). Cumulative sums."""
    r, routing = p["received"], p["routing"]
    routed, direct = np.isin(routing, ROUTED), routing == DIRECT
    inform, assigned = np.isin(routing, BY_NOTICE), routing == ASSIGN
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


def decision_in_force(p: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Per item: the planned decision in force (the latest outcome that is not 维持) and which
    one it is (0: 复核结论, 1: 复查结论, 2: 处理意见)."""
    by_rereview = p["rereview"] & (p["rereview_outcome"] != UPHELD)
    by_review = p["review"] & (p["review_outcome"] != UPHELD)
    which = np.select([by_rereview, by_review], [0, 1], 2)
    value = np.select([which == 0, which == 1],
                      [p["rereview_outcome"], p["review_outcome"]], p["outcome"])
    return value, which


def _decision(d: dict[str, np.ndarray], p: Plan, rules: Rules) -> None:
    """The decision in force (if it requires action), its deadline and when it was carried out.

    ``decision_seen`` is the day the decision shows in the ledger: for a 处理意见 that is the
    reply day, because a conclusion is shown together with its reply.
    """
    value, which = decision_in_force(p)
    action = rules.is_action(value, p["received"])
    decided = np.choose(which, [d["rereview_decided"], d["review_decided"], d["concluded"]])
    seen = np.choose(which, [d["rereview_decided"], d["review_decided"], d["reply"]])
    d["decision"] = np.where(action, decided, NEVER)
    d["decision_seen"] = np.where(action, seen, NEVER)
    d["implementation_due"] = d["decision"] + p["due_days"]
    d["implemented"] = d["decision"] + p["impl_gap"]


@dataclass
class Cut:
    """The ledger at as_of: shown day per date field (:data:`NAT`: empty) and stage flags."""

    days: dict[str, np.ndarray]
    seen: dict[str, np.ndarray]
    #: per item: what its garbled date cell holds (``None`` where no cell is garbled)
    garbage: np.ndarray


def cut(d: dict[str, np.ndarray], p: Plan, as_of: int) -> Cut:
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
    has_ap, has_en = happens(p["approve_off"]), happens(p["enotice_off"])
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
    shown = {k: np.where(seen.get(k, True), v, NAT) for k, v in days.items()}
    _edit_dates(shown, p)
    garbage = _garble(shown, p)
    return Cut(days=shown, seen=seen, garbage=garbage)


#: Planted DATA_DATE_ORDER edits: the event written ``order_k`` days before the one it follows.
ORDER_EDITS = {"reply": ("reply_on", "accepted_on"),
               "registered": ("registered_on", "received_on"),
               "implemented": ("implemented_on", "concluded_on")}


def _edit_dates(shown: dict[str, np.ndarray], p: Plan) -> None:
    """Planted edits of shown dates: dropped and early dates, unreadable cells."""
    shown["reply_on"] = np.where(p["reply_drop"], NAT, shown["reply_on"])
    for kind, (field, before) in ORDER_EDITS.items():
        rows = (p["order"] == kind) & (shown[field] != NAT)
        shown[field] = np.where(rows, shown[before] - p["order_k"], shown[field])
    for flag, field in (("received_missing", "received_on"),
                        ("registered_missing", "registered_on"),
                        ("due_missing", "implementation_due"),
                        ("implemented_missing", "implemented_on"),
                        ("accepted_missing", "accepted_on"),
                        ("concluded_missing", "concluded_on"),
                        ("concluded_missing", "reply_on")):
        shown[field] = np.where(p[flag], NAT, shown[field])


#: Why a garbled cell is unreadable, per form (the loader's words, xfaudit.dates).
GARBAGE_REASONS = {"text": "无法识别", "year": "不在合理日期范围内", "typo": "不在合理日期范围内"}


def _garble(shown: dict[str, np.ndarray], p: Plan) -> np.ndarray:
    """Empty the garbled cells (a reader gets no date from them) and say what they hold: the
    planted text, the year alone as a number (``2026``, an Excel serial of 1905) or the date
    with the year's middle digits swapped (``2206-10-05``): never a plausible date."""
    raw = p["garbage_raw"].copy()
    for field in sorted({f for f in p["garbage_field"] if f is not None}):
        rows = np.flatnonzero(p["garbage_field"] == field)
        if (shown[field][rows] == NAT).any():
            raise RuntimeError(f"a garbled {field} cell has no planned date")
        iso = np.datetime_as_string(shown[field][rows].astype("datetime64[D]"), unit="D")
        form = p["garbage_form"][rows]
        raw[rows[form == "year"]] = [int(t[:4]) for t in iso[form == "year"]]
        raw[rows[form == "typo"]] = [t[0] + t[2] + t[1] + t[3:] for t in iso[form == "typo"]]
        shown[field][rows] = NAT
    return raw
