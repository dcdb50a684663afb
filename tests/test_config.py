"""The accountability configuration: built-in defaults, user overrides, Chinese errors."""

from __future__ import annotations

import pytest

from xfaudit.config import load_config
from xfaudit.errors import ConfigError
from xfaudit.profile import load_profile


def test_defaults_hold_every_threshold_and_no_issuer():
    cfg = load_config()
    assert cfg.source == "builtin"
    assert cfg["sanction"]["overdue_days"] == 30 and cfg["sanction"]["collective_people"] == 5
    assert cfg["followup"]["default_feedback_days"] == 30
    # no built-in bureau: no name, no 机关代字 — the run drafts no letter under a made-up one
    assert not cfg.configured and cfg.issuer is None
    assert cfg.bureau["issuer_code"] == "" and cfg.bureau["cc"] == []


BUREAU = '[bureau]\nissuer = "青禾县信访局"\nissuer_code = "青信督"\ngovernment = "青禾县人民政府"\n'


def test_a_user_file_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "bureau.toml"
    path.write_text(BUREAU + '[sanction]\noverdue_days = 60\n', encoding="utf-8")
    cfg = load_config(path)
    assert cfg.configured and cfg.issuer == "青禾县信访局"
    assert cfg["sanction"]["overdue_days"] == 60 and cfg["sanction"]["collective_people"] == 5
    assert cfg.source == str(path)


def test_the_bureau_derives_county_and_party_government():
    cfg = load_config({"bureau": {"issuer": "青禾县信访局", "issuer_code": "青信督",
                                  "government": "青禾县人民政府"}})
    assert cfg.bureau["county"] == "青禾县"
    assert cfg.bureau["party_government"] == "中共青禾县委、青禾县人民政府"
    named = load_config({"bureau": {"issuer": "青禾县信访局", "issuer_code": "青信督",
                                    "government": "青禾县人民政府", "county": "青禾",
                                    "party_government": "中共青禾县委员会、青禾县人民政府"}})
    assert named.bureau["county"] == "青禾"
    assert named.bureau["party_government"] == "中共青禾县委员会、青禾县人民政府"


def test_an_issuer_without_its_code_or_government_is_an_error():
    with pytest.raises(ConfigError, match="还须填写：issuer_code（机关代字（发文字号用））、government"):
        load_config({"bureau": {"issuer": "青禾县信访局"}})
    with pytest.raises(ConfigError, match="cc 应为抄送机关名称的列表"):
        load_config({"bureau": {"cc": "县政府办"}})


def test_the_template_is_a_valid_configuration_and_every_optional_line_too(tmp_path):
    import re

    from xfaudit.config import bureau_template, write_bureau_template

    path = write_bureau_template(tmp_path / "bureau.toml")
    cfg = load_config(path)                      # as written: keys present, no bureau yet
    assert not cfg.configured
    for key in ("issuer", "issuer_code", "government", "party_government", "contact", "phone",
                "cc"):
        assert re.search(rf"^{key} = ", bureau_template(), re.M), key
    # uncommenting every optional line gives a valid configuration
    opened = re.sub(r"^# (\[|[a-z_]+ = )", r"\1", bureau_template(), flags=re.M)
    full = tmp_path / "full.toml"
    full.write_text(opened, encoding="utf-8")
    assert load_config(full)["sanction"]["overdue_days"] == 30
    with pytest.raises(ConfigError, match="文件已存在"):
        write_bureau_template(path)


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
    bad.write_text("[bureau\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的 TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="scheme"):
        load_config().scheme_for({"improvement_citation": "《某省条例》第一条"}, "某省")


# -- strict keys: a typo is an error, never the default silently ------------------------------

@pytest.mark.parametrize("text, key, known", [
    ("[sancton]\noverdue_days = 60\n", "sancton", "bureau、letters"),
    ("[sanction]\noverdue_day = 60\n", "sanction.overdue_day", "overdue_days、overdue_checks"),
    ("[sampling]\nshares = 0.5\n", "sampling.shares", "min_per_unit、share"),
    ("[letters.titles]\nimprovment = \"x\"\n", "letters.titles.improvment",
     "improvement、policy、sanction、circular"),
    ("[[schemes.2005.grounds]]\ncode = \"7\"\nlable = \"x\"\n", "schemes.2005.grounds[1].lable",
     "code、label、citation、checks、advice"),
])
def test_unknown_keys_in_a_user_file_are_errors(tmp_path, text, key, known):
    path = tmp_path / "bureau.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith("文件 bureau.toml：配置文件中有未知的")
    assert f"「{key}」" in message and known in message


def test_unknown_keys_in_a_dict_are_errors():
    with pytest.raises(ConfigError, match="「sanction.overdue_day」"):
        load_config({"sanction": {"overdue_day": 60}})


def test_a_province_may_add_its_own_scheme(tmp_path):
    path = tmp_path / "province.toml"
    path.write_text('[schemes.zj]\nstatute = "《浙江省信访条例》"\ndefault_ground = "1"\n'
                    '[[schemes.zj.grounds]]\ncode = "1"\nlabel = "超期"\n'
                    'citation = "《浙江省信访条例》第一条"\nchecks = ["HANDLING_OVERDUE"]\n',
                    encoding="utf-8")
    cfg = load_config(path)
    assert cfg.scheme("zj").ground_of("HANDLING_OVERDUE").citation == "《浙江省信访条例》第一条"


def test_a_gbk_user_file_is_read(tmp_path):
    path = tmp_path / "bureau.toml"
    path.write_bytes(BUREAU.encode("gbk"))
    assert load_config(path).issuer == "青禾县信访局"


def test_the_user_schema_is_the_builtin_files():
    # every key of the built-in files is accepted as an override of itself
    from xfaudit.config import _defaults

    assert load_config(_defaults()).raw == load_config().raw


# -- the monthly report's settings -------------------------------------------------------------

def test_monthly_settings_match_their_schema():
    from xfaudit.config import settings

    assert settings()["report"]["overall_label"] == "全县合计"
    assert list(settings()["aging"]["bounds"]) == [15, 30, 60]


def test_a_typo_in_monthly_toml_is_caught():
    from xfaudit.config import MONTHLY_SCHEMA
    from xfaudit.tomlfiles import check_keys

    with pytest.raises(ConfigError, match="「report.max_row」.*max_rows"):
        check_keys({"report": {"max_row": 5}}, MONTHLY_SCHEMA, "monthly.toml", "月度报告配置")
    with pytest.raises(ConfigError, match="「deadline_labels.HANDLING_LATE」"):
        check_keys({"deadline_labels": {"HANDLING_LATE": "x"}}, MONTHLY_SCHEMA, "monthly.toml",
                   "月度报告配置")


def test_cached_settings_cannot_be_changed_by_a_caller():
    from xfaudit import views
    from xfaudit.config import settings

    with pytest.raises(TypeError):
        settings()["report"]["max_rows"] = 1
    with pytest.raises(TypeError):
        views.settings()["aging"]["bounds"][0] = 1          # arrays are tuples
    assert settings()["report"]["max_rows"] == 50


def test_a_config_returned_to_one_caller_does_not_change_the_next():
    first = load_config()
    first["sanction"]["overdue_days"] = 1
    assert load_config()["sanction"]["overdue_days"] == 30
