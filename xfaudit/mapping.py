"""Header-mapping files: the user's local headers and local value codes, as data.

A mapping file (TOML, or YAML) has up to three parts::

    description = "宁波 信访件表（DW_NB_XFLYXFJXX）"    # one line, shown by --mapping-list

    [aliases]                                        # local header = field (or a list)
    "最后一次办理去向" = "handling_unit"
    "作出受理意见日期" = ["accepted_on", "notice_on"]

    [values.is_repeat]                               # local value = canonical value
    "是" = false                                     # 是否全国初次信访: 是 = not a repeat
    "否" = true

A target may be a field name or its canonical Chinese header. Value rules apply before the
built-in vocabularies of ``values.toml``: a coded field's target must be one of its canonical
values, a yes/no field's ``true``/``false``, a count's a whole number, a text field's any text;
date fields take no value rules. Every key is checked: an unknown table, key or field is an
error naming the file, the key and what is known.

Mappings for the systems' real layouts ship with the package (``xfaudit/data/mappings/``) and
are chosen by name (``--mapping ningbo``); :func:`named_mappings` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from xfaudit.errors import ConfigError, MappingError
from xfaudit.headers import fold_header
from xfaudit.schema import fields, fold_text, value_maps
from xfaudit.tomlfiles import ANY, check_keys, parse_toml, read_text, read_toml

#: What a mapping file may hold.
MAPPING_SCHEMA = {"description": None, "aliases": {ANY: None}, "values": {ANY: {ANY: None}}}

_WHAT = "文件"


@dataclass(frozen=True)
class MappingSpec:
    """A mapping, read and checked.

    ``aliases`` and the keys of ``values`` tables are folded (compared as headers and values
    are); ``headers`` keeps each alias as written, for messages.
    """

    source: str                                   # file name, built-in name or "mapping"
    description: str = ""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def user_headers(self) -> frozenset[str]:
        return frozenset(self.aliases)


@cache
def named_mappings() -> dict[str, tuple[str, str]]:
    """Built-in mappings: name → (file name, one-line description), in name order."""
    folder = resources.files("xfaudit.data").joinpath("mappings")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            doc = parse_toml(entry.read_text("utf-8"), entry.name, "内置映射")
            found[entry.name[:-5]] = (entry.name, str(doc.get("description", "")))
    return found


def read_mapping_spec(mapping: str | Path | Mapping | MappingSpec | None) -> MappingSpec | None:
    """Read a mapping: a file path, the name of a built-in mapping, or a dict of the file's
    shape (``{"aliases": {...}, "values": {...}}``, or just the aliases).

    Raises
    ------
    MappingError
        Missing file, syntax or encoding error, unknown table, key or field, a bad target.
    """
    if mapping is None or isinstance(mapping, MappingSpec):
        return mapping
    if isinstance(mapping, Mapping):
        doc = mapping if {"aliases", "values", "description"} & set(mapping) else {
            "aliases": dict(mapping)}
        return _spec(doc, "mapping")
    path = Path(mapping)
    if not path.is_file() and _is_name(mapping) and str(mapping).lower() in named_mappings():
        name = str(mapping).lower()
        text = resources.files("xfaudit.data").joinpath("mappings", named_mappings()[name][0]
                                                        ).read_text("utf-8")
        return _spec(parse_toml(text, f"{name}.toml", "内置映射"), name)
    return _spec(_read_file(path), path)


def _is_name(mapping) -> bool:
    text = str(mapping)
    return "/" not in text and "\\" not in text and "." not in text


def _read_file(path: Path) -> object:
    if not path.is_file():
        known = "、".join(named_mappings())
        raise MappingError(path, f"文件不存在（内置映射有：{known}，可用 --mapping 名称 选用）")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            return read_toml(path, _WHAT)
        if suffix in (".yaml", ".yml"):
            return _read_yaml(path)
    except ConfigError as exc:
        raise MappingError(path, exc.reason) from None
    raise MappingError(path, f"不支持的格式「{suffix or '无扩展名'}」，请使用 .toml（或 .yaml）文件")


def _read_yaml(path: Path) -> object:
    try:
        import yaml
    except ImportError:
        raise MappingError(path, "读取 YAML 需要安装 PyYAML；请改用 TOML 格式（.toml）") from None
    try:
        text = read_text(path, "表头映射文件")
    except ConfigError as exc:  # pragma: no cover - gb18030 decodes almost any byte string
        raise MappingError(path, exc.reason) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"：第{mark.line + 1}行第{mark.column + 1}列" if mark is not None else ""
        raise MappingError(path, f"文件格式有误{where}，不是有效的 YAML") from None


def _spec(doc: object, source: str | Path) -> MappingSpec:
    name = Path(source).name if isinstance(source, Path) else source
    if not isinstance(doc, Mapping) or not ({"aliases", "values"} & set(doc)):
        stray = "、".join(f"「{k}」" for k in (doc or {})) if isinstance(doc, Mapping) else ""
        raise MappingError(source, "缺少 [aliases] 表（格式：[aliases] 下一行一个 \"本地表头\" = "
                                   "\"字段名\"）" + (f"；文件中的 {stray} 应写在 [aliases] 之下"
                                                   if stray else ""))
    try:
        check_keys(doc, MAPPING_SCHEMA, source, "表头映射文件")
    except ConfigError as exc:
        raise MappingError(source, exc.reason.removeprefix("表头映射文件中")) from None
    aliases = doc.get("aliases") or {}
    if not isinstance(aliases, Mapping):
        raise MappingError(source, "「aliases」应为一个表（[aliases]）")
    folded = {}
    written = {}
    for header, target in aliases.items():
        key = fold_header(str(header))
        folded[key] = _targets(source, str(header), target)
        written[key] = str(header).strip()
    values = {}
    for target, table in (doc.get("values") or {}).items():
        name_ = _field_name(str(target))
        if name_ is None:
            raise MappingError(source, f"[values.{target}]：未知字段「{target}」。可用字段：{known_fields()}")
        values[name_] = _value_rules(source, name_, table)
    return MappingSpec(source=name, description=str(doc.get("description", "")),
                       aliases=folded, headers=written, values=values)


def _field_name(name: str) -> str | None:
    name = name.strip()
    if name in fields():
        return name
    return {spec.header: n for n, spec in fields().items()}.get(name)


def known_fields() -> str:
    """Every field as ``name（中文名）``, for messages."""
    return "、".join(f"{name}（{spec.header}）" for name, spec in fields().items())


def _targets(source, header: str, target: object) -> tuple[str, ...]:
    """Validate one alias line's target(s) and return canonical field names."""
    names = [target] if isinstance(target, str) else target
    if not isinstance(names, list | tuple) or not names or \
            not all(isinstance(n, str) for n in names):
        raise MappingError(source, f"表头「{header}」的目标应为字段名或字段名列表")
    resolved = []
    for name in names:
        found = _field_name(name)
        if found is None:
            raise MappingError(source, f"表头「{header}」映射到未知字段「{name.strip()}」。"
                                       f"可用字段：{known_fields()}")
        resolved.append(found)
    return tuple(dict.fromkeys(resolved))


def _value_rules(source, name: str, table: object) -> dict[str, object]:
    """Check one ``[values.<field>]`` table against the field's kind; folded keys → values."""
    spec = fields()[name]
    where = f"[values.{name}]（{spec.header}）"
    if spec.kind == "date":
        raise MappingError(source, f"{where}：日期字段不能设置取值规则")
    vocabulary = value_maps().get(spec.kind)
    out: dict[str, object] = {}
    for raw, target in table.items():
        key = fold_text(str(raw))
        out[key] = _canonical_value(source, where, spec.kind, vocabulary, raw, target)
    return out


def _canonical_value(source, where: str, kind: str, vocabulary: dict | None, raw, target):
    if kind == "int":
        if isinstance(target, bool) or not isinstance(target, int) or target < 0:
            raise MappingError(source, f"{where}「{raw}」的值应为非负整数")
        return target
    if vocabulary is None:                                   # a text field: any text
        if not isinstance(target, str):
            raise MappingError(source, f"{where}「{raw}」的值应为文字")
        return target
    canonical = set(vocabulary.values())
    if all(isinstance(v, bool) for v in canonical):          # a yes/no field
        if isinstance(target, bool):
            return target
        folded = fold_text(str(target))
        if folded in {fold_text(str(k)) for k in vocabulary}:
            return {fold_text(str(k)): v for k, v in vocabulary.items()}[folded]
        raise MappingError(source, f"{where}「{raw}」的值应为 true（是）或 false（否）")
    if isinstance(target, str):
        if target in canonical:
            return target
        aliases = {fold_text(str(k)): v for k, v in vocabulary.items()}
        if fold_text(target) in aliases:
            return aliases[fold_text(target)]
    known = "、".join(sorted(map(str, canonical)))
    raise MappingError(source, f"{where}「{raw}」的值「{target}」不是该字段的取值。可用的值：{known}")
