"""Rule profiles: the legal limits as data.

A profile (TOML) names every limit with its number of days, its day kind (``calendar`` = 日,
``working`` = 工作日), the events that start and stop it and the statute citation a finding
carries. Built-in profiles live in ``xfaudit/data/profiles``; a user profile file may set
``base = "<name>"`` and override only what differs. ``auto`` selects, per item, the text in
force on the day it was received. See README 「规则配置」.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from xfaudit.dates import DEFAULT_DAYS_AFTER_AS_OF, DEFAULT_EARLIEST, DateWindow
from xfaudit.errors import ConfigError, ProfileError
from xfaudit.tomlfiles import ANY, check_keys, read_toml

DAY_KINDS = {"calendar": "日", "working": "工作日"}

#: How a last day that is not a working day is treated (民法典第二百零三条 says a period ending
#: on a 法定休假日 ends on the first day after it; no 信访 text says whether this applies, nor
#: whether ordinary weekends count): ``none`` (default) — never moved, the finding says when the
#: last day was a rest day; ``holidays`` — a last day on a statutory holiday (the official
#: holiday table, including the weekend days inside a holiday period) moves to the next working
#: day; ``holidays_and_weekends`` — any rest day moves.
ROLL_FORWARD = {"none": "不顺延", "holidays": "法定节假日顺延",
                "holidays_and_weekends": "节假日及周末均顺延"}

#: The events a limit's clock may start from, per limit (first = default). A limit not listed
#: here has its start fixed by its check (docs/checks.md) and takes no ``start`` key.
START_EVENTS = {
    "register": ("received_on", "registered_on"),
    "notice_routed": ("unit_received_on", "routed_on"),
    "notice_direct": ("received_on",),
    "handling": ("accepted_on", "unit_received_on", "received_on", "registered_on"),
    "review": ("review_requested_on",),
    "rereview": ("rereview_requested_on",),
}

#: Every limit a profile may define (REQUIRED_LIMITS must be defined).
LIMIT_KEYS = ("register", "notice_routed", "notice_direct", "objection", "handling",
              "extension", "reply", "assigned", "system_deadline", "review_request", "review",
              "rereview_request", "rereview", "implementation", "recommendation_feedback",
              "record")
REQUIRED_LIMITS = ("register", "notice_routed", "notice_direct", "handling", "extension",
                   "reply", "assigned", "review", "rereview", "implementation")
_DAYS_REQUIRED = ("register", "notice_routed", "notice_direct", "handling", "extension",
                  "review", "rereview")

#: The keys a profile file may hold (anything else is a typo and an error).
PROFILE_SCHEMA = {
    "name": None, "base": None, "title": None, "statute": None, "effective_from": None,
    "roll_forward": None, "handling_tracks": None, "reply_tracks": None,
    "register_exempt_tracks": None, "notice_exempt_tracks": None, "action_outcomes": None,
    "anonymous_petitioners": None,
    "dates": {"earliest": None, "days_after_as_of": None},
    "recommendations": {k: None for k in (
        "improvement", "policy", "sanction", "improvement_citation", "policy_citation",
        "sanction_citation", "feedback_citation", "scheme")},
    "limits": {key: {"days": None, "day_kind": None, "start": None, "citation": None}
               for key in LIMIT_KEYS},
}
SELECTOR_SCHEMA = {"name": None, "title": None, "select": None}

_LIST_KEYS = ("handling_tracks", "reply_tracks", "register_exempt_tracks",
              "notice_exempt_tracks", "action_outcomes", "anonymous_petitioners")


@dataclass(frozen=True)
class Limit:
    """One time limit of a profile."""

    key: str
    citation: str
    days: int | None = None
    day_kind: str = "calendar"
    start: str | None = None

    def describe(self) -> str:
        """Chinese, e.g. '15日' or '5个工作日'."""
        if self.days is None:
            return "无天数规定"
        return f"{self.days}个工作日" if self.day_kind == "working" else f"{self.days}日"


@dataclass(frozen=True)
class Profile:
    """A complete rule profile (one statute text, or a provincial variant).

    The track lists name canonical values of the 办理途径 vocabulary (values.toml ``[track]``):
    ``handling_tracks`` — the 60(+30)-day limit applies only to these (empty: to every item);
    ``reply_tracks`` — the written reply / 信访处理意见书 is owed only on these; ``register_exempt_
    tracks`` and ``notice_exempt_tracks`` — items on these tracks are outside the registration
    limit and the notice duty. An empty or unknown track value counts as 信访程序, the residual
    track (2022 第三十一条第六项); an unknown value is also a DATA_VALUE_UNKNOWN finding.
    """

    name: str
    title: str
    statute: str
    effective_from: dt.date | None
    roll_forward: str
    handling_tracks: tuple[str, ...]
    reply_tracks: tuple[str, ...]
    register_exempt_tracks: tuple[str, ...]
    notice_exempt_tracks: tuple[str, ...]
    action_outcomes: tuple[str, ...]
    anonymous_petitioners: tuple[str, ...]
    limits: dict[str, Limit]
    earliest: dt.date = DEFAULT_EARLIEST.date()
    days_after_as_of: int = DEFAULT_DAYS_AFTER_AS_OF
    recommendations: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def limit(self, key: str) -> Limit:
        try:
            return self.limits[key]
        except KeyError:
            raise ProfileError(self.name, f"缺少时限「{key}」的定义") from None

    def citation(self, key: str | None) -> str:
        return self.limits[key].citation if key and key in self.limits else ""

    def start_of(self, key: str) -> str:
        """The event (field) the clock of limit ``key`` starts from."""
        return self.limit(key).start or START_EVENTS[key][0]

    def date_window(self, as_of) -> DateWindow:
        """The plausible days of a ledger date audited at ``as_of``."""
        return DateWindow.around(as_of, earliest=self.earliest, days_after=self.days_after_as_of)

    def to_dict(self) -> dict:
        """JSON-ready form (for manifests and suite meta)."""
        return {
            "name": self.name, "title": self.title, "statute": self.statute,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "roll_forward": self.roll_forward,
            **{key: list(getattr(self, key)) for key in _LIST_KEYS},
            "dates": {"earliest": self.earliest.isoformat(),
                      "days_after_as_of": self.days_after_as_of},
            "limits": {k: {"days": v.days, "day_kind": v.day_kind, "start": v.start,
                           "citation": v.citation}
                       for k, v in self.limits.items()},
            "source": self.source,
        }


@dataclass(frozen=True)
class ProfileSet:
    """What an audit applies: one profile for every item, or several selected by date.

    ``members`` are ordered by ``effective_from``; an item takes the last member whose
    ``effective_from`` is on or before its received date.
    """

    name: str
    title: str
    members: tuple[Profile, ...]

    @property
    def is_selector(self) -> bool:
        return len(self.members) > 1

    def by_name(self, name: str) -> Profile:
        return next(p for p in self.members if p.name == name)

    def date_window(self, as_of) -> DateWindow:
        """The widest plausible window of the members (a date any member accepts)."""
        windows = [m.date_window(as_of) for m in self.members]
        return DateWindow(first=min(w.first for w in windows), last=max(w.last for w in windows))


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with xfaudit."""
    folder = resources.files("xfaudit.data").joinpath("profiles")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                  if p.name.endswith(".toml"))


def _read_builtin(name: str) -> dict:
    path = resources.files("xfaudit.data").joinpath("profiles", f"{name}.toml")
    if not path.is_file():
        raise ProfileError(name, "没有这个内置规则配置；可选："
                           + "、".join(builtin_profiles()) + "，或给出配置文件路径")
    raw = tomllib.loads(path.read_text("utf-8"))
    _check(raw, f"{name}.toml")
    return raw


def _read_file(path: Path) -> dict:
    try:
        raw = read_toml(path, "规则配置文件")
    except ConfigError as exc:
        raise ProfileError(path.name, exc.reason) from None
    _check(raw, path.name)
    return raw


def _check(raw: dict, label: str) -> None:
    """Unknown keys and tables are errors naming the file, the key and the known keys."""
    schema = SELECTOR_SCHEMA if "select" in raw else PROFILE_SCHEMA
    try:
        check_keys(raw, schema, None, "规则配置")
    except ConfigError as exc:
        raise ProfileError(label, exc.reason) from None


def _merge(base: dict, override: dict) -> dict:
    merged = {**base, **{k: v for k, v in override.items()
                         if k not in ("limits", "base", "dates", "recommendations")}}
    limits = {k: dict(v) for k, v in base.get("limits", {}).items()}
    for key, spec in override.get("limits", {}).items():
        limits[key] = {**limits.get(key, {}), **spec}
    merged["limits"] = limits
    for table in ("dates", "recommendations"):
        merged[table] = {**base.get(table, {}), **override.get(table, {})}
    return merged


def _resolve(raw: dict, label: str, seen: tuple[str, ...] = ()) -> dict:
    base = raw.get("base")
    if not base:
        return raw
    if base in seen:
        raise ProfileError(label, f"base 循环引用：{' → '.join(seen + (base,))}")
    return _merge(_resolve(_read_builtin(base), base, seen + (base,)), raw)


def _build_limit(key: str, spec: dict, label: str) -> Limit:
    kind = spec.get("day_kind", "calendar")
    if kind not in DAY_KINDS:
        raise ProfileError(label, f"时限「{key}」的 day_kind 必须是 calendar 或 working，而不是「{kind}」")
    days = spec.get("days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
        raise ProfileError(label, f"时限「{key}」的 days 必须是非负整数")
    if "citation" not in spec:
        raise ProfileError(label, f"时限「{key}」缺少 citation（法条依据）")
    start = spec.get("start")
    if start is not None:
        allowed = START_EVENTS.get(key)
        if allowed is None:
            raise ProfileError(label, f"时限「{key}」的起算事件由检查项规定，不能用 start 设置")
        if start not in allowed:
            raise ProfileError(label, f"时限「{key}」的 start 只能是 {'、'.join(allowed)}，"
                                      f"而不是「{start}」")
    return Limit(key=key, citation=spec["citation"], days=days, day_kind=kind, start=start)


def _build(raw: dict, label: str, source: str) -> Profile:
    limits = {key: _build_limit(key, spec, label) for key, spec in raw.get("limits", {}).items()}
    missing = [k for k in REQUIRED_LIMITS if k not in limits]
    if missing:
        raise ProfileError(label, "缺少时限定义：" + "、".join(missing))
    for key in _DAYS_REQUIRED:
        if limits[key].days is None:
            raise ProfileError(label, f"时限「{key}」必须给出 days")
    roll = raw.get("roll_forward", "none")
    if roll not in ROLL_FORWARD:
        raise ProfileError(label, f"roll_forward 必须是 {'、'.join(ROLL_FORWARD)} 之一，而不是「{roll}」")
    for key in _LIST_KEYS:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProfileError(label, f"{key} 必须是文字列表，例如 [\"信访程序\"]")
    dates = raw.get("dates", {})
    earliest = dates.get("earliest", DEFAULT_EARLIEST.date())
    after = dates.get("days_after_as_of", DEFAULT_DAYS_AFTER_AS_OF)
    if not isinstance(earliest, dt.date) or not isinstance(after, int) or after < 0:
        raise ProfileError(label, "[dates] 的 earliest 须为日期（如 1990-01-01），"
                                  "days_after_as_of 须为非负整数")
    effective = raw.get("effective_from")
    return Profile(
        name=raw.get("name", label), title=raw.get("title", label),
        statute=raw.get("statute", ""),
        effective_from=effective if isinstance(effective, dt.date) else None,
        roll_forward=roll,
        **{key: tuple(raw.get(key, ())) for key in _LIST_KEYS},
        limits=limits, earliest=earliest, days_after_as_of=after,
        recommendations=dict(raw.get("recommendations", {})), source=source)


@cache
def load_profile_set(spec: str = "auto") -> ProfileSet:
    """Load a built-in profile by name or a user profile from a TOML file path.

    Parameters
    ----------
    spec : str
        ``auto`` (default), ``national-2005``, ``national-2022``, ``zhejiang-example``, or a path
        to a ``.toml`` file (which may ``base`` on a built-in and ``select`` members).

    Raises
    ------
    ProfileError
        Unknown name, unreadable file or a malformed limit, with a Chinese message.
    """
    path = Path(spec)
    if spec.endswith(".toml") or path.is_file():
        raw, label, source = _read_file(path), path.name, str(path)
    else:
        raw, label, source = _read_builtin(spec), spec, f"builtin:{spec}"
    if "select" in raw:
        members = [load_profile(m) for m in raw["select"]]
        members.sort(key=lambda p: p.effective_from or dt.date.min)
        return ProfileSet(name=raw.get("name", label), title=raw.get("title", label),
                          members=tuple(members))
    profile = _build(_resolve(raw, label), label, source)
    return ProfileSet(name=profile.name, title=profile.title, members=(profile,))


def load_profile(spec: str) -> Profile:
    """Load a single (non-selector) profile."""
    pset = load_profile_set(spec)
    if pset.is_selector:
        raise ProfileError(spec, "这是按日期选择的组合配置，不是单一规则配置")
    return pset.members[0]
