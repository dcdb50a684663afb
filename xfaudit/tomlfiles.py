"""Reading the user's TOML files strictly: one reader and one key check for every setting.

Rule profiles, the bureau's configuration, the monthly settings and header-mapping files are all
TOML that an inspector edits by hand. A typo must never be silently ignored (``day = 30`` for
``days = 30`` would quietly run the national limits), so every table is checked against the keys
it may hold and an unknown key or table is an error naming the file, the key and the keys that
are known. Syntax and encoding errors are explained in Chinese with the line and column.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from xfaudit.errors import ConfigError

__all__ = ["ANY", "read_toml", "read_text", "parse_toml", "check_keys", "schema_of", "read_only",
           "plain"]

#: In a key schema: a table whose keys are free (names chosen by the user), each value checked
#: against the schema given under ``ANY``.
ANY = "*"

_TOML_HINT = ("（提示：TOML 中的中文键名要用英文双引号括起来，例如 \"最后一次办理去向\" = \"handling_unit\"；"
              "引号必须是英文半角引号 \"，不能是中文引号 “”）")


def read_toml(path: str | Path, what: str) -> dict:
    """Read a user TOML file (UTF-8 with or without BOM, or GBK as Notepad saves it).

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the file is, in Chinese (``规则配置``, ``表头映射文件`` …), for messages.

    Raises
    ------
    ConfigError
        The file is missing, not text, or not valid TOML — in Chinese, with line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, f"{what}不存在")
    return parse_toml(read_text(path, what), path, what)


def read_text(path: str | Path, what: str) -> str:
    """A hand-edited text file: UTF-8 (with or without BOM), or GBK as Notepad on a Chinese
    Windows saves it."""
    data = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError(path, f"{what}无法读取：请以 UTF-8 编码保存")  # pragma: no cover


def parse_toml(text: str, path: str | Path | None, what: str) -> dict:
    """Parse TOML text, turning the parser's English error into a Chinese line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        position = f"第{where.group(1)}行第{where.group(2)}列" if where else ""
        raise ConfigError(path, f"{what}格式有误{('：' + position) if position else ''}，"
                                f"不是有效的 TOML{_TOML_HINT}") from None


def check_keys(data: Mapping, schema: Mapping, path: str | Path | None, what: str,
               prefix: str = "") -> None:
    """Reject keys and tables that ``schema`` does not know, recursively.

    Parameters
    ----------
    data : Mapping
        The parsed TOML (or any table of it).
    schema : Mapping
        Allowed key → ``None`` (a value), a nested schema (a table), or a tuple ``(schema,)``
        (an array of tables, each checked against ``schema``). The key :data:`ANY` stands for
        any key (names the user chooses), its value being the schema of every such entry.
    path, what
        The file and what it is, for the message.
    prefix : str
        Dotted name of ``data`` inside the file (used in recursion).

    Raises
    ------
    ConfigError
        Naming the file, the unknown key (dotted, e.g. ``limits.handling.day``) and the keys
        known at that place.
    """
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key in schema:
            sub = schema[key]
        elif ANY in schema:
            sub = schema[ANY]
        else:
            known = "、".join(k for k in schema if k != ANY) or "（无）"
            kind = "表" if isinstance(value, Mapping) else "配置项"
            raise ConfigError(path, f"{what}中有未知的{kind}「{dotted}」。此处可用的有：{known}")
        if isinstance(sub, tuple) and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    check_keys(item, sub[0], path, what, f"{dotted}[{i + 1}].")
        elif isinstance(sub, Mapping):
            if not isinstance(value, Mapping):
                raise ConfigError(path, f"{what}中「{dotted}」应为一个表（[{dotted}]），而不是单个值")
            check_keys(value, sub, path, what, f"{dotted}.")
        elif sub is None and isinstance(value, Mapping):
            raise ConfigError(path, f"{what}中「{dotted}」应为单个值，而不是一个表")


def schema_of(data: Mapping, free: frozenset[str] | set[str] = frozenset(), prefix: str = ""
              ) -> dict:
    """The key schema (for :func:`check_keys`) that a reference file itself describes.

    Built-in files are their own schema, so the schema never drifts from the defaults: every
    table becomes a nested schema, every array of tables one schema holding the keys of all its
    items, every other value ``None``.

    Parameters
    ----------
    data : Mapping
        The parsed reference file (e.g. a built-in TOML).
    free : set of str
        Dotted names of tables whose keys the user chooses (e.g. ``schemes``): their entries
        may have any name and are checked against the union of the reference entries' schemas.
    """
    schema: dict = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if dotted in free:
                entry: dict = {}
                for item in value.values():
                    if isinstance(item, Mapping):
                        _merge_schema(entry, schema_of(item, free, f"{dotted}.*."))
                schema[key] = {ANY: entry}
            else:
                schema[key] = schema_of(value, free, f"{dotted}.")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            entry = {}
            for item in value:
                _merge_schema(entry, schema_of(item, free, f"{dotted}."))
            schema[key] = (entry,)
        else:
            schema[key] = None
    return schema


def _merge_schema(into: dict, other: Mapping) -> None:
    for key, sub in other.items():
        if isinstance(into.get(key), dict) and isinstance(sub, Mapping):
            _merge_schema(into[key], sub)
        elif key not in into or into[key] is None:
            into[key] = sub


def read_only(data: object) -> object:
    """A read-only view of parsed TOML: tables become ``MappingProxyType``, arrays tuples.

    For settings cached for the whole process: a caller (a notebook cell) cannot change them
    for every later caller.
    """
    if isinstance(data, Mapping):
        return MappingProxyType({key: read_only(value) for key, value in data.items()})
    if isinstance(data, list | tuple):
        return tuple(read_only(value) for value in data)
    return data


def plain(data: object) -> object:
    """A mutable deep copy of (possibly read-only) TOML data: dicts and lists, for JSON."""
    if isinstance(data, Mapping):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [plain(value) for value in data]
    return data
