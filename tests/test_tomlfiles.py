"""Tests of xfaudit.tomlfiles: strict keys, Chinese syntax and encoding errors."""

from __future__ import annotations

import pytest

from xfaudit.errors import ConfigError
from xfaudit.tomlfiles import ANY, check_keys, read_toml

SCHEMA = {"name": None, "limits": {ANY: {"days": None, "citation": None}},
          "schemes": {ANY: {"grounds": ({"code": None},)}}}


def test_known_keys_pass():
    check_keys({"name": "x", "limits": {"handling": {"days": 30}},
                "schemes": {"s": {"grounds": [{"code": "1"}]}}}, SCHEMA, "p.toml", "规则配置")


@pytest.mark.parametrize("data, key, known", [
    ({"nmae": "x"}, "nmae", "name、limits、schemes"),
    ({"limits": {"handling": {"day": 30}}}, "limits.handling.day", "days、citation"),
    ({"limit": {"handling": {"days": 30}}}, "limit", "name、limits、schemes"),
    ({"schemes": {"s": {"grounds": [{"code": "1", "lable": "x"}]}}},
     "schemes.s.grounds[1].lable", "code"),
])
def test_unknown_key_names_file_key_and_known_keys(data, key, known):
    with pytest.raises(ConfigError) as err:
        check_keys(data, SCHEMA, "p.toml", "规则配置")
    text = str(err.value)
    assert "p.toml" in text and f"「{key}」" in text and known in text


def test_a_table_where_a_value_belongs_is_an_error():
    with pytest.raises(ConfigError, match="应为单个值"):
        check_keys({"name": {"x": 1}}, SCHEMA, "p.toml", "规则配置")


def test_gbk_file_is_read(tmp_path):
    path = tmp_path / "m.toml"
    path.write_bytes('name = "青禾县"\n'.encode("gbk"))
    assert read_toml(path, "配置文件") == {"name": "青禾县"}


def test_syntax_error_is_chinese_with_line_and_column(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[aliases]\n“最后一次办理去向” = “handling_unit”\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_toml(path, "表头映射文件")
    text = str(err.value)
    assert "m.toml" in text and "第2行第1列" in text and "英文双引号" in text
    assert "Invalid" not in text


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="不存在"):
        read_toml(tmp_path / "none.toml", "规则配置")


def test_schema_of_a_reference_file():
    from xfaudit.tomlfiles import schema_of

    reference = {"name": "x", "empty": [], "t": {"a": 1, "list": [1, 2]},
                 "rows": [{"a": 1}, {"b": 2}],
                 "free": {"one": {"a": 1, "items": [{"c": 1}]}, "two": {"b": 2}}}
    assert schema_of(reference, {"free"}) == {
        "name": None, "empty": None, "t": {"a": None, "list": None},
        "rows": ({"a": None, "b": None},),
        "free": {ANY: {"a": None, "items": ({"c": None},), "b": None}}}


def test_read_only_and_back():
    from xfaudit.tomlfiles import plain, read_only

    data = {"t": {"a": [1, {"b": 2}]}}
    frozen = read_only(data)
    with pytest.raises(TypeError):
        frozen["t"]["a"] = 3
    assert frozen["t"]["a"] == (1, {"b": 2})
    assert plain(frozen) == data and plain(frozen) is not data
