"""The checked-in GX suites equal what the code builds, and plain GX loads them."""

import json

import pytest

from xfaudit.profile import builtin_profiles, load_profile_set
from xfaudit.schema import CheckId
from xfaudit.suites import EXPECTATIONS_DIR, build_suite, judged_columns, suite_json


@pytest.mark.parametrize("name", builtin_profiles())
def test_checked_in_suite_equals_built_suite(name):
    path = EXPECTATIONS_DIR / f"{name}.json"
    assert path.read_text(encoding="utf-8") == suite_json(load_profile_set(name)), (
        f"{path} is stale: run `python -m xfaudit.suites`")


def test_no_stray_suite_files():
    assert sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json")) == builtin_profiles()


@pytest.mark.parametrize("name", builtin_profiles())
def test_plain_gx_loads_every_expectation(name):
    import great_expectations as gx

    raw = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**raw)
    assert len(suite.expectations) == len(raw["expectations"])
    assert {e.meta["check_id"] for e in suite.expectations} == {c.value for c in CheckId}


def test_every_expectation_carries_its_citation_per_profile():
    raw = json.loads(suite_json(load_profile_set("auto")))
    reg = next(e for e in raw["expectations"] if e["meta"]["check_id"] == "REG_LATE")
    assert reg["meta"]["limits"]["national-2005"]["citation"] == "《信访条例》第二十一条第一款"
    assert reg["meta"]["limits"]["national-2022"]["citation"] == "《信访工作条例》第二十二条第一款"
    assert reg["meta"]["check_name"] == "登记转送交办超期"


def test_changing_a_limit_in_a_profile_changes_the_suite(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('name = "p"\nbase = "national-2022"\n[limits.handling]\ndays = 30\n',
                       encoding="utf-8")
    raw = json.loads(suite_json(load_profile_set(str(profile))))
    handling = next(e for e in raw["expectations"] if e["meta"]["check_id"] == "HANDLING_OVERDUE")
    assert handling["meta"]["limits"]["p"]["days"] == 30


def test_decision_check_is_judged_on_days_only():
    # 未落实 alone proves no day: the decision check is the 落实期限 clock
    assert judged_columns(CheckId.DECISION_UNIMPLEMENTED) == ["DECISION_UNIMPLEMENTED__days_late"]


def test_build_suite_gives_a_gx_suite():
    suite = build_suite(load_profile_set("national-2022"))
    assert suite.name == "xfaudit.national-2022"
