"""The GX suites: checked in as built, valid for plain GX, stating each rule with a built-in
expectation, and differing between profiles where the profiles' rules differ."""

import json

import pytest

from xfaudit.profile import builtin_profiles, load_profile_set
from xfaudit.schema import CheckId, date_order_pairs, required_fields
from xfaudit.suites import (EXPECTATIONS_DIR, LEDGER, build_ledger_suite, build_suite,
                            expectation_columns, ledger_suite_dict, ledger_suite_json,
                            suite_dict, suite_json)

#: The built-in GX expectation types the suites may use (nothing custom: plain GX runs them).
BUILT_IN = {"expect_column_pair_values_a_to_be_greater_than_b",
            "expect_column_values_to_be_in_set", "expect_column_values_to_not_be_null",
            "expect_column_values_to_be_unique", "expect_column_values_to_be_between"}


def clock_suite(name):
    return json.loads(suite_json(load_profile_set(name)))


def of_check(suite, cid):
    return [e for e in suite["expectations"] if e["meta"]["check_id"] == cid]


@pytest.mark.parametrize("name", builtin_profiles())
def test_checked_in_suite_equals_built_suite(name):
    path = EXPECTATIONS_DIR / f"{name}.json"
    assert path.read_text(encoding="utf-8") == suite_json(load_profile_set(name)), (
        f"{path} is stale: run `python -m xfaudit.suites`")


def test_checked_in_ledger_suite_equals_built_suite():
    path = EXPECTATIONS_DIR / f"{LEDGER}.json"
    assert path.read_text(encoding="utf-8") == ledger_suite_json(), (
        f"{path} is stale: run `python -m xfaudit.suites`")


def test_no_stray_suite_files():
    assert sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json")) == sorted(
        [*builtin_profiles(), LEDGER])


@pytest.mark.parametrize("name", [*builtin_profiles(), LEDGER])
def test_plain_gx_takes_every_expectation_as_written(name):
    # GX's pydantic models validate every argument; what GX writes back is what we wrote
    import great_expectations as gx

    raw = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    back = gx.ExpectationSuite(**raw).to_json_dict()["expectations"]
    assert len(back) == len(raw["expectations"])
    for ours, theirs in zip(raw["expectations"], back, strict=True):
        assert {k: theirs.get(k) for k in ours} == ours


@pytest.mark.parametrize("name", builtin_profiles())
def test_every_check_is_stated_by_built_in_expectations_only(name):
    expectations = clock_suite(name)["expectations"] + ledger_suite_dict()["expectations"]
    assert {e["type"] for e in expectations} <= BUILT_IN
    assert {e["meta"]["check_id"] for e in expectations} == {c.value for c in CheckId}


def test_timed_checks_compare_the_last_day_with_the_act():
    suite = clock_suite("national-2022")
    for cid in ("REG_LATE", "NOTICE_LATE", "HANDLING_OVERDUE", "FEEDBACK_MISSING",
                "REVIEW_OVERDUE", "REREVIEW_OVERDUE", "DECISION_UNIMPLEMENTED"):
        [e] = of_check(suite, cid)
        assert e["type"] == "expect_column_pair_values_a_to_be_greater_than_b"
        assert e["kwargs"] == {"column_A": f"{cid}__last_day", "column_B": f"{cid}__act_on",
                               "or_equal": True, "ignore_row_if": "either_value_is_missing"}


def test_extension_is_four_rules_with_the_profiles_cap():
    rules = of_check(clock_suite("national-2022"), "EXTENSION_IRREGULAR")
    assert [(e["type"], expectation_columns(e)) for e in rules] == [
        ("expect_column_values_to_be_between", ["EXTENSION_IRREGULAR__extension_days"]),
        ("expect_column_values_to_be_in_set", ["EXTENSION_IRREGULAR__no_approval"]),
        ("expect_column_pair_values_a_to_be_greater_than_b",
         ["EXTENSION_IRREGULAR__last_day", "EXTENSION_IRREGULAR__act_on"]),
        ("expect_column_values_to_be_in_set", ["EXTENSION_IRREGULAR__no_notice"])]
    assert rules[0]["kwargs"]["max_value"] == 30          # 2022 第三十四条: 不得超过30日
    assert [e["meta"]["reason"] for e in rules] == [
        "延期天数超过30日", "无延期批准日期", "延期批准晚于原办理期限", "未告知信访人延期理由"]


def test_ledger_suite_states_the_data_rules():
    suite = ledger_suite_dict()
    order = of_check(suite, "DATA_DATE_ORDER")
    # one pair per lifecycle pair; the later event is column A (A ≥ B); then 落实 after a
    # 复查 / 复核 decision only where that decision replaced the earlier one (撤销, 变更, 责令重新办理)
    plain = [e for e in order if "row_condition" not in e["kwargs"]]
    assert [(e["kwargs"]["column_B"], e["kwargs"]["column_A"]) for e in plain] == \
        date_order_pairs()
    replaced = [(e["kwargs"]["column_B"], e["kwargs"]["column_A"], e["kwargs"]["row_condition"])
                for e in order if "row_condition" in e["kwargs"]]
    changes = ["撤销", "变更", "责令重新办理"]
    assert [(b, a, c["column"]["name"], c["operator"], sorted(c["parameter"]))
            for b, a, c in replaced] == [
        ("review_decided_on", "implemented_on", "review_outcome", "IN", sorted(changes)),
        ("rereview_decided_on", "implemented_on", "rereview_outcome", "IN", sorted(changes))]
    assert all(e["kwargs"]["or_equal"] and e["kwargs"]["ignore_row_if"]
               == "either_value_is_missing" for e in order)
    [unique] = of_check(suite, "DATA_DUPLICATE_ID")
    assert (unique["type"], unique["kwargs"]) == ("expect_column_values_to_be_unique",
                                                  {"column": "case_id"})
    required = of_check(suite, "DATA_REQUIRED_MISSING")
    assert [e["kwargs"]["column"] for e in required] == required_fields()
    received = next(e for e in required if e["kwargs"]["column"] == "received_on")
    # an unreadable 收到日期 is not empty: the not-null rule skips rows marked doubtful
    assert received["kwargs"]["row_condition"] == {
        "type": "comparison", "column": {"name": "received_on__doubtful"}, "operator": "==",
        "parameter": False}
    routing = next(e for e in of_check(suite, "DATA_VALUE_UNKNOWN")
                   if e["kwargs"]["column"] == "routing")
    assert {"转送", "交办", "直接办理", "存"} <= set(routing["kwargs"]["value_set"])
    assert "转办" not in routing["kwargs"]["value_set"]     # a spelling, not a canonical value


def test_gx_severity_maps_from_ours():
    suite = clock_suite("national-2022")
    severity = {e["meta"]["check_id"]: e["severity"] for e in suite["expectations"]}
    assert severity["DECISION_UNIMPLEMENTED"] == "critical"   # 严重
    assert severity["HANDLING_OVERDUE"] == "critical"         # 较重
    assert severity["REG_LATE"] == "warning"                  # 一般
    assert severity["DATA_DUPLICATE_ROW"] == "info"           # 提示
    assert {e["severity"] for e in ledger_suite_dict()["expectations"]} == {"info"}


def test_every_expectation_carries_its_citation_per_profile():
    [reg] = of_check(clock_suite("auto"), "REG_LATE")
    profiles = reg["meta"]["profiles"]
    assert profiles["national-2005"]["citation"] == "《信访条例》第二十一条第一款"
    assert profiles["national-2022"]["citation"] == "《信访工作条例》第二十二条第一款"
    assert reg["meta"]["check_name"] == "登记转送交办超期"
    assert "《信访条例》第二十一条第一款" in reg["notes"]
    assert reg["description"].startswith("登记转送交办超期：")


def test_suites_differ_where_the_profiles_rules_differ():
    old, new, zj = (clock_suite(n) for n in ("national-2005", "national-2022",
                                              "zhejiang-example"))
    # 2005 第三十三条 applies the 60 days to every accepted item; 2022 第三十四条 to 信访程序 only
    assert of_check(old, "HANDLING_OVERDUE")[0]["meta"]["profiles"]["national-2005"][
        "handling_tracks"] == []
    assert of_check(new, "HANDLING_OVERDUE")[0]["meta"]["profiles"]["national-2022"][
        "handling_tracks"] == ["信访程序"]
    # 2022 第二十二条第二款: 涉法涉诉 and 纪检监察 items are outside the 15-day registration limit
    assert of_check(new, "REG_LATE")[0]["meta"]["profiles"]["national-2022"][
        "register_exempt_tracks"] == ["涉法涉诉", "纪检监察"]
    limit = of_check(zj, "REG_LATE")[0]["meta"]["profiles"]["zhejiang-example"]["limits"][
        "register"]
    assert (limit["days"], limit["day_kind"]) == (5, "working")


def test_changing_the_extension_cap_changes_the_rule(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('name = "p"\nbase = "national-2022"\n[limits.extension]\ndays = 15\n',
                       encoding="utf-8")
    cap = of_check(clock_suite(str(profile)), "EXTENSION_IRREGULAR")[0]
    assert (cap["kwargs"], cap["meta"]["reason"]) == (
        {"column": "EXTENSION_IRREGULAR__extension_days", "max_value": 15}, "延期天数超过15日")


def test_members_with_different_caps_get_one_rule_each(tmp_path):
    (tmp_path / "p.toml").write_text(
        'name = "p"\nbase = "national-2022"\n[limits.extension]\ndays = 15\n', encoding="utf-8")
    selector = tmp_path / "sel.toml"
    selector.write_text(f'name = "sel"\nselect = ["national-2005", "{tmp_path / "p.toml"}"]\n',
                        encoding="utf-8")
    caps = [e for e in of_check(clock_suite(str(selector)), "EXTENSION_IRREGULAR")
            if e["type"] == "expect_column_values_to_be_between"]
    assert [(e["kwargs"]["max_value"], e["kwargs"]["row_condition"]["parameter"])
            for e in caps] == [(30, ["national-2005"]), (15, ["p"])]


def test_changing_a_limit_in_a_profile_changes_the_suite(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('name = "p"\nbase = "national-2022"\n[limits.handling]\ndays = 30\n',
                       encoding="utf-8")
    [handling] = of_check(clock_suite(str(profile)), "HANDLING_OVERDUE")
    assert handling["meta"]["profiles"]["p"]["limits"]["handling"]["days"] == 30
    assert "30日" in handling["notes"]


def test_build_suites_give_gx_suites():
    assert build_suite(load_profile_set("national-2022")).name == "xfaudit.national-2022"
    assert build_ledger_suite().name == "xfaudit.ledger"
    assert suite_dict(load_profile_set("auto"))["meta"]["members"] == ["national-2005",
                                                                       "national-2022"]
