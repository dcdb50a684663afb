"""Configuration: the accountability settings and the monthly report's settings.

Accountability. Two built-in files hold the defaults — ``xfaudit/data/recommendations.toml``
(the rules of the three recommendations, every threshold documented) and
``xfaudit/data/accountability.toml`` (the bureau's keys — empty: there is no built-in issuer —,
letter layout, callback sample rule, follow-up register). A bureau's file passed as
``config=`` (``--config bureau.toml``; ``xfaudit init`` writes a commented one) sets
``[bureau]`` and overrides any other key: it has the same tables and lists only what differs. The built-in tables are the schema of the user file:
a table or key they do not have (``[sancton]``, ``overdue_day = 60``) is an error naming the
file, the key and the keys known there, never silently ignored. Only ``[schemes]`` names its
entries freely (a province may add the scheme of its own regulation). One
:class:`AccountabilityConfig` carries the merged result to every module.

Monthly report. :func:`settings` reads ``xfaudit/data/monthly.toml`` (thresholds, indicator
formulas, ranking order, labels), checked against :data:`MONTHLY_SCHEMA`; it has no user
override.

Both are cached for the process and handed out read-only, so no caller can change them for the
others.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from xfaudit.errors import ConfigError
from xfaudit.schema import CheckId
from xfaudit.tomlfiles import ANY, check_keys, plain, read_only, read_toml, schema_of

_BUILTIN = ("recommendations.toml", "accountability.toml")

#: Tables of the built-in files whose entries the user names (each checked against the
#: union of the built-in entries' keys).
FREE_TABLES = frozenset({"schemes"})

#: What a user configuration file is called in messages.
_WHAT = "配置文件"

#: Keys that must be present after merging, per table (checked once, with a Chinese message).
_REQUIRED = {
    "bureau": ("issuer", "issuer_code", "county", "government", "party_government", "contact",
               "phone", "cc", "sanction_addressee", "circular_addressee", "serial_start"),
    "letters": ("issue_offset_days", "issue_day_kind", "title_size", "body_size", "table_size",
                "line_pitch", "chars_per_line", "title_font", "body_font", "heading_font",
                "subheading_font", "titles", "circular", "detail_checks"),
    "improvement": ("min_findings",),
    "policy": ("min_items", "min_units", "volume_share", "repeat_share", "dissatisfied_share",
               "min_rated", "rated_values", "dissatisfied_values", "top_units"),
    "sanction": ("overdue_days", "overdue_checks", "no_reply_checks", "false_record_checks",
                 "collective_people", "collective_channels", "repeat_needs_flag",
                 "repeat_same_category", "labels"),
    "sampling": ("min_per_unit", "share", "always_include", "window"),
    "followup": ("default_feedback_days", "escalate_after_months", "history_months",
                 "register_file", "history_file", "waiver_file"),
    "codes": ("improvement", "policy", "sanction", "circular"),
}

#: What ``[bureau]`` must hold once ``issuer`` is set (key → what it is, for the message).
_BUREAU_NEEDS = {"issuer_code": "机关代字（发文字号用）", "government": "本级人民政府"}

#: Suffixes of a bureau's name that leave the name of its county (青禾县信访局 → 青禾县).
_BUREAU_SUFFIXES = ("人民政府信访局", "人民政府信访办公室", "信访局", "信访办公室", "信访办")

#: How to set the bureau up, said wherever the run drafts no letter for want of it.
SETUP_HINT = ("未配置本局信息（发文机关、机关代字等），本次只审计和出报告，不生成督办函、通报等文书。"
              "请运行 xfaudit init 生成 bureau.toml，填写后用 --config bureau.toml（笔记本参数 config）"
              "重新运行。")


@dataclass(frozen=True)
class Ground:
    """One legal ground of the improvement recommendation (e.g. 2005 第三十六条第一款第（一）项)."""

    code: str
    label: str
    citation: str
    checks: tuple[str, ...]
    advice: str


@dataclass(frozen=True)
class Scheme:
    """The recommendation rules of one statute text (2005 or 2022)."""

    key: str
    statute: str
    grounds: tuple[Ground, ...]
    default_ground: str
    feedback_kinds: tuple[str, ...]
    policy_addressee: str

    def ground_of(self, check_id: str) -> Ground:
        """The ground a check's findings are listed under."""
        for ground in self.grounds:
            if check_id in ground.checks:
                return ground
        return self.ground(self.default_ground)

    def ground(self, code: str) -> Ground:
        return next(g for g in self.grounds if g.code == code)

    def check_grounds(self) -> dict[str, str]:
        """Check id → ground code for every check (the mapping as a dict, for vectorised use)."""
        return {cid.value: self.ground_of(cid.value).code for cid in CheckId}


@dataclass(frozen=True)
class AccountabilityConfig:
    """The merged configuration (built-in defaults + an optional user file).

    Attributes
    ----------
    raw : dict
        The merged TOML tables (``bureau``, ``letters``, ``improvement``, ``policy``,
        ``sanction``, ``sampling``, ``followup``, ``codes``, ``schemes``).
    source : str
        ``builtin`` or the user file's path.
    """

    raw: dict
    source: str = "builtin"

    def __getitem__(self, table: str) -> dict:
        return self.raw[table]

    @property
    def bureau(self) -> dict:
        """``[bureau]`` with its derived values filled in: ``county`` (the issuer's name
        without 信访局 …) and ``party_government`` (中共{county}委、{government})."""
        b = dict(self.raw["bureau"])
        if not b["county"]:
            name = b["issuer"]
            b["county"] = next((name.removesuffix(s) for s in _BUREAU_SUFFIXES
                                if name.endswith(s) and len(name) > len(s)), name)
        if not b["party_government"] and b["government"]:
            b["party_government"] = f"中共{b['county']}委、{b['government']}"
        return b

    @property
    def configured(self) -> bool:
        """Whether a bureau is set up (without one no letter is drafted)."""
        return bool(self.raw["bureau"]["issuer"])

    @property
    def issuer(self) -> str | None:
        """The issuing bureau's name, or None when none is configured."""
        return self.raw["bureau"]["issuer"] or None

    @property
    def letters(self) -> dict:
        return self.raw["letters"]

    def scheme(self, key: str) -> Scheme:
        spec = self.raw["schemes"][key]
        return Scheme(
            key=key, statute=spec["statute"],
            grounds=tuple(Ground(code=str(g["code"]), label=g["label"], citation=g["citation"],
                                 checks=tuple(g.get("checks", ())), advice=g.get("advice", ""))
                          for g in spec["grounds"]),
            default_ground=str(spec["default_ground"]),
            feedback_kinds=tuple(spec.get("feedback_kinds", ())),
            policy_addressee=spec.get("policy_addressee", "{government}"))

    def scheme_for(self, recommendations: dict[str, str], profile_name: str) -> Scheme:
        """The scheme of a rule profile: its ``[recommendations] scheme`` key, else the scheme
        whose statute its improvement citation starts with."""
        key = recommendations.get("scheme")
        if key is None:
            citation = recommendations.get("improvement_citation", "")
            key = next((k for k, s in self.raw["schemes"].items()
                        if citation.startswith(s["statute"])), None)
        if key is None or key not in self.raw["schemes"]:
            raise ConfigError(None, f"规则配置「{profile_name}」的 [recommendations] 无法对应到"
                                    f"建议依据（可选：{'、'.join(self.raw['schemes'])}）；请在该表中写明"
                                    " scheme = \"2005\" 或 \"2022\"")
        return self.scheme(key)

    def to_dict(self) -> dict:
        """JSON-ready copy (for manifests and the notebook)."""
        return copy.deepcopy(self.raw)


def _read_builtin(name: str) -> dict:
    return tomllib.loads(resources.files("xfaudit.data").joinpath(name).read_text("utf-8"))


def _deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = plain(value)
    return merged


@cache
def _defaults() -> dict:
    merged: dict = {}
    for name in _BUILTIN:
        merged = _deep_merge(merged, _read_builtin(name))
    return merged


@cache
def user_schema() -> dict:
    """The keys a user configuration may hold: those of the built-in files (see
    :func:`xfaudit.tomlfiles.schema_of`), ``[schemes]`` entries named freely."""
    return schema_of(_defaults(), FREE_TABLES)


def _validate(raw: dict, source: str) -> None:
    path = None if source in ("builtin", "dict") else source
    missing = [f"[{table}] {key}" for table, keys in _REQUIRED.items()
               for key in keys if key not in raw.get(table, {})]
    if missing:
        raise ConfigError(path, "配置缺少：" + "、".join(missing))
    known = {c.value for c in CheckId}
    for table, key in (("sanction", "overdue_checks"), ("sanction", "no_reply_checks"),
                       ("sanction", "false_record_checks"), ("letters", "detail_checks")):
        bad = [c for c in raw[table][key] if c not in known]
        if bad:
            raise ConfigError(path, f"[{table}] {key} 中有未知的检查项：{'、'.join(bad)}")
    for key, scheme in raw.get("schemes", {}).items():
        codes = [str(g.get("code")) for g in scheme.get("grounds", [])]
        if str(scheme.get("default_ground")) not in codes:
            raise ConfigError(path, f"[schemes.{key}] default_ground 不是已定义的依据：{codes}")
        bad = [c for g in scheme["grounds"] for c in g.get("checks", []) if c not in known]
        if bad:
            raise ConfigError(path, f"[schemes.{key}] 中有未知的检查项：{'、'.join(bad)}")
    bureau = raw["bureau"]
    if bureau["issuer"]:
        missing = [f"{key}（{what}）" for key, what in _BUREAU_NEEDS.items() if not bureau[key]]
        if missing:
            raise ConfigError(path, f"[bureau] 已填写 issuer = \"{bureau['issuer']}\"，还须填写："
                                    + "、".join(missing))
    if not isinstance(bureau["cc"], list) or not all(isinstance(c, str) for c in bureau["cc"]):
        raise ConfigError(path, "[bureau] cc 应为抄送机关名称的列表，如 cc = [\"某某县人民政府办公室\"]")
    if raw["letters"]["issue_day_kind"] not in ("working", "calendar"):
        raise ConfigError(path, "[letters] issue_day_kind 只能是 \"working\" 或 \"calendar\"")
    share = raw["sampling"]["share"]
    if not (0 <= float(share) <= 1) or int(raw["sampling"]["min_per_unit"]) < 0:
        raise ConfigError(path, "[sampling] share 必须在 0 到 1 之间，min_per_unit 不能为负数")
    if raw["sampling"]["window"] not in ("period", "all"):
        raise ConfigError(path, "[sampling] window 只能是 \"period\" 或 \"all\"")


def load_config(config: "AccountabilityConfig | str | Path | dict | None" = None
                ) -> AccountabilityConfig:
    """The accountability configuration: built-in defaults, overridden by ``config``.

    Parameters
    ----------
    config : AccountabilityConfig, path, dict or None
        A ready configuration (returned as is), a TOML file, or a dict of overrides
        (tables as in the built-in files; handy in tests and notebooks).

    Raises
    ------
    ConfigError
        The file does not exist, is not valid TOML, holds a table or key the built-in files do
        not have (named with the keys known there), or lacks a key / names an unknown check.
    """
    if isinstance(config, AccountabilityConfig):
        return config
    if config is None:
        override, source = {}, "builtin"
    elif isinstance(config, Mapping):
        override, source = config, "dict"
        check_keys(override, user_schema(), None, "配置")
    else:
        path = Path(config)
        override, source = read_toml(path, _WHAT), str(path)
        check_keys(override, user_schema(), path, _WHAT)
    raw = _deep_merge(_defaults(), override)
    _validate(raw, source)
    return AccountabilityConfig(raw=raw, source=source)


# ---------------------------------------------------------------------------------------------
# The monthly report's settings (monthly.toml)
# ---------------------------------------------------------------------------------------------

_INDICATOR = {"name": None, "kind": None, "check": None, "period_field": None, "numerator": None,
              "denominator": None,
              "sources": ({"column": None, "numerator_values": None,
                           "denominator_values": None},)}

#: The keys monthly.toml may hold (what indicators.py, views.py, charts.py and display.py read).
MONTHLY_SCHEMA = {
    "report": {"overall_label": None, "no_unit_label": None, "no_unit_column_label": None,
               "max_rows": None, "trend_months": None, "due_soon_days": None},
    "aging": {"bounds": None},
    "charts": {"dpi": None, "fonts": None, "top_units": None},
    "indicators": {ANY: _INDICATOR},
    "ranking": {"keys": ({"by": None, "descending": None},)},
    "deadline_labels": {check.value: None for check in CheckId},
}


@cache
def settings() -> Mapping:
    """The monthly report's settings (``xfaudit/data/monthly.toml``), read-only.

    Raises
    ------
    ConfigError
        The file holds a table or key :data:`MONTHLY_SCHEMA` does not know.
    """
    data = _read_builtin("monthly.toml")
    check_keys(data, MONTHLY_SCHEMA, "monthly.toml", "月度报告配置")
    return read_only(data)


# ---------------------------------------------------------------------------------------------
# The bureau's configuration file (xfaudit init)
# ---------------------------------------------------------------------------------------------

#: The packaged template ``xfaudit init`` writes.
BUREAU_TEMPLATE = "bureau.template.toml"


def bureau_template() -> str:
    """The commented bureau.toml template (every key of ``[bureau]``, the common overrides
    commented out)."""
    return resources.files("xfaudit.data").joinpath(BUREAU_TEMPLATE).read_text("utf-8")


def write_bureau_template(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the template to ``path`` (``xfaudit init``); never over an existing file unless
    ``overwrite``.

    Raises
    ------
    ConfigError
        The file exists (and ``overwrite`` is False), or cannot be written.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise ConfigError(path, "文件已存在，未改动；如需重新生成，请换一个文件名或加 --force")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(bureau_template(), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, f"无法写入（{exc.strerror or type(exc).__name__}）") from None
    return path
