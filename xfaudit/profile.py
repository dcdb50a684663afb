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

from xfaudit.errors import ProfileError

DAY_KINDS = {"calendar": "日", "working": "工作日"}


@dataclass(frozen=True)
class Limit:
    """One time limit of a profile."""

    key: str
    citation: str
    days: int | None = None
    day_kind: str = "calendar"
    start: str | None = None
    end: str | None = None

    def describe(self) -> str:
        """Chinese, e.g. '15日' or '5个工作日'."""
        if self.days is None:
            return "无天数规定"
        return f"{self.days}个工作日" if self.day_kind == "working" else f"{self.days}日"


@dataclass(frozen=True)
class Profile:
    """A complete rule profile (one statute text, or a provincial variant)."""

    name: str
    title: str
    statute: str
    effective_from: dt.date | None
    roll_forward_holidays: bool
    handling_tracks: tuple[str, ...]
    action_outcomes: tuple[str, ...]
    anonymous_petitioners: tuple[str, ...]
    limits: dict[str, Limit]
    recommendations: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def limit(self, key: str) -> Limit:
        try:
            return self.limits[key]
        except KeyError:
            raise ProfileError(self.name, f"缺少时限「{key}」的定义") from None

    def citation(self, key: str | None) -> str:
        return self.limits[key].citation if key and key in self.limits else ""

    def to_dict(self) -> dict:
        """JSON-ready form (for manifests and suite meta)."""
        return {
            "name": self.name, "title": self.title, "statute": self.statute,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "roll_forward_holidays": self.roll_forward_holidays,
            "handling_tracks": list(self.handling_tracks),
            "action_outcomes": list(self.action_outcomes),
            "limits": {k: {"days": v.days, "day_kind": v.day_kind, "start": v.start,
                           "end": v.end, "citation": v.citation}
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


REQUIRED_LIMITS = ("register", "notice_routed", "notice_direct", "handling", "extension",
                   "reply", "assigned", "review", "rereview", "implementation")


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
    return tomllib.loads(path.read_text("utf-8"))


def _read_file(path: Path) -> dict:
    if not path.is_file():
        raise ProfileError(str(path), "文件不存在")
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(path.name, f"不是有效的 TOML 文件（{exc}）") from None


def _merge(base: dict, override: dict) -> dict:
    merged = {**base, **{k: v for k, v in override.items() if k not in ("limits", "base")}}
    limits = {k: dict(v) for k, v in base.get("limits", {}).items()}
    for key, spec in override.get("limits", {}).items():
        limits[key] = {**limits.get(key, {}), **spec}
    merged["limits"] = limits
    merged["recommendations"] = {**base.get("recommendations", {}),
                                 **override.get("recommendations", {})}
    return merged


def _resolve(raw: dict, label: str, seen: tuple[str, ...] = ()) -> dict:
    base = raw.get("base")
    if not base:
        return raw
    if base in seen:
        raise ProfileError(label, f"base 循环引用：{' → '.join(seen + (base,))}")
    return _merge(_resolve(_read_builtin(base), base, seen + (base,)), raw)


def _build(raw: dict, label: str, source: str) -> Profile:
    limits = {}
    for key, spec in raw.get("limits", {}).items():
        kind = spec.get("day_kind", "calendar")
        if kind not in DAY_KINDS:
            raise ProfileError(label, f"时限「{key}」的 day_kind 必须是 calendar 或 working，而不是「{kind}」")
        days = spec.get("days")
        if days is not None and (not isinstance(days, int) or days < 0):
            raise ProfileError(label, f"时限「{key}」的 days 必须是非负整数")
        if "citation" not in spec:
            raise ProfileError(label, f"时限「{key}」缺少 citation（法条依据）")
        limits[key] = Limit(key=key, citation=spec["citation"], days=days, day_kind=kind,
                            start=spec.get("start"), end=spec.get("end"))
    missing = [k for k in REQUIRED_LIMITS if k not in limits]
    if missing:
        raise ProfileError(label, "缺少时限定义：" + "、".join(missing))
    for key in ("register", "notice_routed", "notice_direct", "handling", "extension",
                "review", "rereview"):
        if limits[key].days is None:
            raise ProfileError(label, f"时限「{key}」必须给出 days")
    effective = raw.get("effective_from")
    return Profile(
        name=raw.get("name", label), title=raw.get("title", label),
        statute=raw.get("statute", ""),
        effective_from=effective if isinstance(effective, dt.date) else None,
        roll_forward_holidays=bool(raw.get("roll_forward_holidays", False)),
        handling_tracks=tuple(raw.get("handling_tracks", ())),
        action_outcomes=tuple(raw.get("action_outcomes", ())),
        anonymous_petitioners=tuple(raw.get("anonymous_petitioners", ())),
        limits=limits, recommendations=dict(raw.get("recommendations", {})), source=source)


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
