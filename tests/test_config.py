"""The accountability configuration: built-in defaults, user overrides, Chinese errors."""

from __future__ import annotations

import pytest

from xfaudit.config import load_config
from xfaudit.errors import ConfigError
from xfaudit.profile import load_profile


def test_defaults_hold_every_threshold():
    cfg = load_config()
    assert cfg.source == "builtin"
    assert cfg["sanction"]["overdue_days"] == 30 and cfg["sanction"]["collective_people"] == 5
    assert cfg["followup"]["default_feedback_days"] == 30
    assert cfg.issuer["code"] == "云溪信督"


def test_a_user_file_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "bureau.toml"
    path.write_text('[issuer]\nname = "某县信访局"\n[sanction]\noverdue_days = 60\n',
                    encoding="utf-8")
    cfg = load_config(path)
    assert cfg.issuer["name"] == "某县信访局" and cfg.issuer["code"] == "云溪信督"
    assert cfg["sanction"]["overdue_days"] == 60 and cfg["sanction"]["collective_people"] == 5
    assert cfg.source == str(path)


@pytest.mark.parametrize("profile, scheme, ground", [
    ("national-2005", "2005", "1"), ("national-2022", "2022", "violation"),
    ("zhejiang-example", "2022", "violation")])
def test_each_profile_maps_to_its_statute_scheme(profile, scheme, ground):
    p = load_profile(profile)
    got = load_config().scheme_for(p.recommendations, p.name)
    assert got.key == scheme
    assert got.ground_of("HANDLING_OVERDUE").code == ground
    assert set(got.check_grounds()) >= {"REG_LATE", "DECISION_UNIMPLEMENTED"}


def test_config_errors_are_chinese(tmp_path):
    with pytest.raises(ConfigError, match="未知的检查项"):
        load_config({"sanction": {"overdue_checks": ["NOPE"]}})
    with pytest.raises(ConfigError, match="share 必须在 0 到 1 之间"):
        load_config({"sampling": {"share": 1.5}})
    with pytest.raises(ConfigError, match="配置文件不存在"):
        load_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[issuer\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的 TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="scheme"):
        load_config().scheme_for({"improvement_citation": "《某省条例》第一条"}, "某省")
