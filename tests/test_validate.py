"""GX runs the suites and returns exactly the rows the same comparisons in numpy find; its
results are kept as strict JSON; errors are never silent; reaches into GX internals are
guarded by a version check."""

import json

import numpy as np
import pandas as pd
import pytest

from xfaudit import validate
from xfaudit.errors import ValidationEngineError
from xfaudit.profile import load_profile_set
from xfaudit.schema import CheckId
from xfaudit.suites import CLOCKS, LEDGER, prepare, suite_dicts

SAMPLE = "tests/files/sample_2026-10.xlsx"


@pytest.fixture(scope="module")
def frames():
    return prepare(SAMPLE, as_of="2026-10-31", profile="national-2022")


@pytest.fixture(scope="module")
def validation(frames):
    return validate.run_suites(suite_dicts(load_profile_set("national-2022")),
                               {LEDGER: frames.ledger, CLOCKS: frames.clocks},
                               frames.evaluated, rows={LEDGER: frames.ledger_rows})


def test_gx_finds_the_same_rows_as_numpy(frames, validation):
    by_frame = {LEDGER: (frames.ledger, frames.ledger_rows),
                CLOCKS: (frames.clocks, np.arange(len(frames.clocks)))}
    failed = 0
    for o in validation.outcomes:
        frame, rows = by_frame[o.frame]
        expected = rows[validate.reference_failing(o.spec, frame)]
        np.testing.assert_array_equal(o.failing, expected, err_msg=o.spec["description"])
        assert o.unexpected_count == len(expected)
        failed += bool(len(expected))
    assert failed >= 12   # the sample plants failures of every check


def test_only_expectations_on_absent_columns_are_not_run(validation):
    # the sample has every column but 评价状态 (evaluation_status)
    assert [(n.spec["kwargs"]["column"], n.reason) for n in validation.not_run] == [
        ("evaluation_status", "台账中没有评价状态")]
    suites = suite_dicts(load_profile_set("national-2022"))
    assert len(validation.outcomes) == sum(len(s["expectations"]) for s in suites.values()) - 1


def test_validation_json_is_strict_and_has_no_row_lists(validation):
    text = json.dumps(validation.to_dict(), ensure_ascii=False, allow_nan=False)
    assert "index" not in text
    data = json.loads(text)
    assert [s["suite"] for s in data["suites"]] == ["xfaudit.ledger", "xfaudit.national-2022"]
    first = data["suites"][1]["expectations"][0]
    assert set(first) == {"type", "columns", "check_id", "check_name", "severity",
                          "description", "rows_evaluated", "unexpected_count",
                          "unexpected_percent", "success"}


def test_counts_of_a_small_frame_by_hand():
    day = pd.Timestamp
    clocks = pd.DataFrame({
        "REG_LATE__last_day": [day("2026-10-01"), day("2026-10-01"), pd.NaT, day("2026-10-05"),
                               day("2026-10-05")],
        "REG_LATE__act_on": [day("2026-10-01"), day("2026-10-02"), day("2026-10-02"),
                             day("2026-10-03"), pd.NaT]})
    suite = suite_dicts(load_profile_set("national-2022"))[CLOCKS]
    got = validate.run_suites({CLOCKS: suite}, {CLOCKS: clocks}, [CheckId.REG_LATE])
    [outcome] = got.outcomes
    # rows 2 and 4 have a NULL: not evaluated; of rows 0, 1, 3 only row 1 acts after its last
    # day (10-02 > 10-01): 1 of 3 = 33.33 %
    assert (outcome.rows_evaluated, outcome.unexpected_count) == (3, 1)
    assert outcome.unexpected_percent == pytest.approx(100 / 3)
    assert outcome.failing.tolist() == [1]
    assert got.failing([CheckId.REG_LATE])[CheckId.REG_LATE].tolist() == [1]
    # the other checks' expectations are listed as not run, with the reason
    assert {n.spec["meta"]["check_id"] for n in got.not_run} >= {"HANDLING_OVERDUE"}


def test_expectations_on_absent_columns_are_not_run():
    clocks = pd.DataFrame({"REG_LATE__last_day": [pd.Timestamp("2026-10-01")]})
    suite = suite_dicts(load_profile_set("auto"))[CLOCKS]
    got = validate.run_suites({CLOCKS: suite}, {CLOCKS: clocks}, [CheckId.REG_LATE])
    assert got.outcomes == []
    [reason] = [n.reason for n in got.not_run if n.spec["meta"]["check_id"] == "REG_LATE"]
    assert "REG_LATE__act_on" in reason


def test_an_expectation_that_errors_raises():
    clocks = pd.DataFrame({"REG_LATE__last_day": pd.to_datetime(["2026-10-01", "2026-10-02"]),
                           "REG_LATE__act_on": ["a", "b"]})   # not dates: GX cannot compare
    suite = suite_dicts(load_profile_set("auto"))[CLOCKS]
    with pytest.raises(ValidationEngineError) as err:
        validate.run_suites({CLOCKS: suite}, {CLOCKS: clocks}, [CheckId.REG_LATE])
    assert "REG_LATE" in str(err.value)


def test_exception_info_shapes():
    assert validate._exception_text({}) is None
    assert validate._exception_text({"raised_exception": False}) is None
    assert validate._exception_text({"raised_exception": True, "exception_message": "x"}) == "x"
    assert validate._exception_text({"m": {"raised_exception": True,
                                           "exception_message": "y"}}) == "y"


def test_gx_results_are_gx_objects_without_index_lists(validation):
    from great_expectations.core import ExpectationSuiteValidationResult

    result = validation.results["xfaudit.national-2022"]
    assert isinstance(result, ExpectationSuiteValidationResult)
    assert result.statistics["evaluated_expectations"] == len(result.results)
    for r in result.results:
        assert "unexpected_index_list" not in r.result
        assert len(r.result.get("partial_unexpected_list", [])) <= validate.SAMPLE_VALUES
    json.dumps(result.to_json_dict())  # serialisable, as Data Docs needs


def test_gx_internals_were_checked_for_the_installed_version():
    # Fails on purpose after a GX upgrade: read validate._forget and the ProgressBarsConfig
    # import against the new version, then widen GX_CHECKED (and pyproject's bound).
    assert validate.internals_checked(), (
        f"great_expectations {validate.gx_version()} is not in GX_CHECKED "
        f"{validate.GX_CHECKED}: check validate._forget and _silence_progress_bars")
    assert not validate.internals_checked("1.25.0")
    assert not validate.internals_checked("2.0.1")


def test_gx_keeps_no_copy_of_the_frame_after_validating(monkeypatch, frames):
    # GX's execution engine would otherwise hold the last batch (a slim frame, hundreds of MB
    # for a million rows) until the next validation
    import gc
    import weakref

    seen = []
    real = pd.DataFrame.reset_index

    def spy(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        seen.append(weakref.ref(out))
        return out

    monkeypatch.setattr(pd.DataFrame, "reset_index", spy)
    validate.run_suites(suite_dicts(load_profile_set("auto")), {
        LEDGER: frames.ledger, CLOCKS: frames.clocks}, [CheckId.REG_LATE,
                                                        CheckId.DATA_DATE_ORDER])
    monkeypatch.undo()
    gc.collect()
    assert seen and all(ref() is None for ref in seen)
    _ctx, batch_definition = validate._context()
    engine = batch_definition.data_asset.datasource.get_execution_engine()
    assert not engine.batch_manager.batch_data_cache


def test_gx_does_not_fingerprint_our_batches_and_keeps_its_threshold_for_others(frames):
    # the fingerprint (an MD5 over every row, at both batch loads) is a batch marker nothing
    # reads: off while our batches validate, GX's own threshold back afterwards
    from great_expectations.execution_engine import pandas_execution_engine as engine

    before = engine.HASH_THRESHOLD
    validate.run_suites(suite_dicts(load_profile_set("auto")), {
        LEDGER: frames.ledger, CLOCKS: frames.clocks}, [CheckId.REG_LATE])
    assert engine.HASH_THRESHOLD == before
    _ctx, batch_definition = validate._context()
    with validate._without_batch_fingerprints():
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frames.clocks})
    assert "pandas_data_fingerprint" not in batch.batch_markers
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frames.clocks})
    assert "pandas_data_fingerprint" in batch.batch_markers


def test_configurations_built_once_change_no_result_and_are_put_back(frames, validation,
                                                                     monkeypatch):
    # GX's per-step rebuilding of an expectation's configuration, done once per expectation
    # while our batches validate: the same results, JSON included, and GX's own property
    # back afterwards
    from contextlib import nullcontext

    from great_expectations.expectations.expectation import Expectation

    built = Expectation.__dict__["configuration"]
    monkeypatch.setattr(validate, "_configurations_built_once", nullcontext)
    rebuilt = validate.run_suites(suite_dicts(load_profile_set("national-2022")),
                                  {LEDGER: frames.ledger, CLOCKS: frames.clocks},
                                  frames.evaluated, rows={LEDGER: frames.ledger_rows})
    assert Expectation.__dict__["configuration"] is built
    assert json.dumps(rebuilt.to_dict(), ensure_ascii=False, sort_keys=True) == json.dumps(
        validation.to_dict(), ensure_ascii=False, sort_keys=True)
    for once, anew in zip(validation.outcomes, rebuilt.outcomes, strict=True):
        np.testing.assert_array_equal(once.failing, anew.failing)
    for name, result in validation.results.items():   # GX's own results, config included
        assert result.to_json_dict() == rebuilt.results[name].to_json_dict()


def test_configurations_are_built_once_per_expectation_object():
    import great_expectations as gx
    from great_expectations.expectations.expectation import Expectation

    first = gx.expectations.ExpectColumnValuesToNotBeNull(column="a")
    second = gx.expectations.ExpectColumnValuesToNotBeNull(column="b")
    with validate._configurations_built_once():
        assert first.configuration is first.configuration
        assert second.configuration.kwargs["column"] == "b"
    assert first.configuration is not first.configuration       # GX's own property again
    assert isinstance(Expectation.__dict__["configuration"], property)


def test_text_ids_go_to_gx_as_codes_and_come_back_as_text():
    # unique and not-null judge a one-to-one relabelling of the ids row for row; the failing
    # values GX samples are shown as the ids
    ledger = pd.DataFrame({"case_id": ["XF1", "XF2", "XF1", None, "XF3"],
                           "case_id__doubtful": [False] * 5})
    suite = suite_dicts(load_profile_set("auto"))[LEDGER]
    got = validate.run_suites({LEDGER: suite}, {LEDGER: ledger},
                              [CheckId.DATA_DUPLICATE_ID, CheckId.DATA_REQUIRED_MISSING])
    by_check = {o.check_id: o for o in got.outcomes}
    assert by_check[CheckId.DATA_DUPLICATE_ID].failing.tolist() == [0, 2]   # XF1 twice
    assert by_check[CheckId.DATA_REQUIRED_MISSING].failing.tolist() == [3]  # the empty id
    [unique] = [r for r in got.results["xfaudit.ledger"].results
                if r.expectation_config.type == "expect_column_values_to_be_unique"]
    assert unique.result["partial_unexpected_list"] == ["XF1", "XF1"]


def test_pairs_show_failing_dates_readably(validation):
    [reg] = [r for r in validation.results["xfaudit.national-2022"].results
             if r.expectation_config.kwargs.get("column_A") == "REG_LATE__last_day"]
    sample = reg.result["partial_unexpected_list"][0]
    # last day < act, both as dates: e.g. "2026-06-08 < 2026-06-10"
    last, act = sample.split(" < ")
    assert pd.Timestamp(last) < pd.Timestamp(act)


def test_vocabulary_columns_go_to_gx_as_codes_with_their_value_set_relabelled():
    # routing is read only by its in-set rule: GX gets codes and the codes of the value set;
    # the unknown value fails, the empty cell is not evaluated, and GX's result shows the
    # suite's own value set, the failing value as text and the full meta (Data Docs)
    ledger = pd.DataFrame({"routing": pd.Series(["转送", "交办", "转交", None, "转送"],
                                                dtype=object)})     # text as the loader types it
    suite = suite_dicts(load_profile_set("auto"))[LEDGER]
    [spec] = [e for e in suite["expectations"] if e["kwargs"].get("column") == "routing"]
    slim, decode, as_run = validate._slim(ledger, [spec])
    assert str(slim["routing"].dtype) == "Int64" and list(decode["routing"]) == ["转送", "交办",
                                                                                "转交"]
    assert as_run[0]["kwargs"]["value_set"] == [-1, 0, 1]   # 转送, 交办; the others absent
    got = validate.run_suites({LEDGER: suite}, {LEDGER: ledger}, [CheckId.DATA_VALUE_UNKNOWN])
    [outcome] = got.outcomes
    assert (outcome.rows_evaluated, outcome.unexpected_count) == (4, 1)
    assert outcome.failing.tolist() == [2]
    [result] = got.results["xfaudit.ledger"].results
    assert result.expectation_config.kwargs["value_set"] == spec["kwargs"]["value_set"]
    assert "转送" in result.expectation_config.kwargs["value_set"]
    assert result.expectation_config.meta == spec["meta"]
    assert result.result["partial_unexpected_list"] == ["转交"]


def test_a_column_holding_no_value_of_its_set_fails_on_every_filled_row():
    ledger = pd.DataFrame({"routing": pd.Series(["转交", "转交", None], dtype=object)})
    suite = suite_dicts(load_profile_set("auto"))[LEDGER]
    [spec] = [e for e in suite["expectations"] if e["kwargs"].get("column") == "routing"]
    assert validate._slim(ledger, [spec])[2][0]["kwargs"]["value_set"] == [-1]
    got = validate.run_suites({LEDGER: suite}, {LEDGER: ledger}, [CheckId.DATA_VALUE_UNKNOWN])
    [outcome] = got.outcomes
    assert outcome.failing.tolist() == [0, 1]
    [result] = got.results["xfaudit.ledger"].results
    assert result.result["partial_unexpected_list"] == ["转交", "转交"]


def test_a_rule_whose_row_condition_reads_its_own_column_keeps_the_text():
    # codes would make the condition compare codes with text: such a column stays text
    spec = {"type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "status", "value_set": ["已办结"],
                       "row_condition": {"type": "comparison", "column": {"name": "status"},
                                         "operator": "IN", "parameter": ["已办结", "办理中"]}},
            "meta": {"check_id": "DATA_VALUE_UNKNOWN"}}
    assert not validate.relabel_safe([spec], "status", validate._RELABEL_SAFE_WITH_SETS)
    frame = pd.DataFrame({"status": pd.Series(["已办结", "办理中", "其他", None], dtype=object)})
    slim, decode, _ = validate._slim(frame, [spec])
    assert slim["status"].dtype == object and decode == {}


def test_which_columns_may_go_to_gx_as_codes():
    # review_outcome is read in the row condition of a 落实 ≥ 复查决定 pair: not relabelled in
    # a batch holding that pair (its own in-set rule's shared batch may relabel it)
    suite = suite_dicts(load_profile_set("auto"))[LEDGER]
    assert not validate.relabel_safe(suite["expectations"], "review_outcome",
                                     validate._RELABEL_SAFE_WITH_SETS)
    assert validate.relabel_safe(suite["expectations"], "routing",
                                 validate._RELABEL_SAFE_WITH_SETS)
    assert validate.relabel_safe(suite["expectations"], "case_id")


def test_ledger_ids_go_to_gx_as_the_codes_of_the_duplicate_count():
    from xfaudit.audit import derive, suite_frames
    from xfaudit.clocks import judged_ledger
    from xfaudit.model import Extract
    from xfaudit.suites import suite_columns

    base = dict(handling_unit="青石镇", routing="转送", track="信访程序",
                received_on="2026-09-01", routed_on="2026-09-05")
    ids = ["XF1", "XF2", "XF1", None, "#REF!", "XF2"]
    rows = [{**base, "case_id": c, "petitioner": f"测试{i}"} for i, c in enumerate(ids)]
    rows[5] = dict(rows[1])                      # an exact copy of the XF2 row
    derived = derive(Extract.from_frame(pd.DataFrame(rows)), as_of="2026-10-31")
    suites = suite_dicts(derived.profiles)
    prepared = suite_frames(derived, suites)
    assert str(prepared.frames[LEDGER]["case_id"].dtype) == "Int64"
    checks = [CheckId.DATA_DUPLICATE_ID, CheckId.DATA_REQUIRED_MISSING]
    coded = validate.run_suites(suites, prepared.frames, checks, rows=prepared.rows,
                                decoders=prepared.decoders)
    # by hand: XF1 twice (extract rows 0 and 2); the empty id (row 3) is missing; #REF! is
    # unreadable, not missing; the copy (row 5) is left out of the judged ledger
    assert {k: v.tolist() for k, v in coded.failing(checks).items()} == {
        CheckId.DATA_DUPLICATE_ID: [0, 2], CheckId.DATA_REQUIRED_MISSING: [3]}
    text = judged_ledger(derived.extract, derived.facts, columns=suite_columns(suites[LEDGER]))
    assert text["case_id"].dtype == object
    plain = validate.run_suites(suites, {**prepared.frames, LEDGER: text}, checks,
                                rows=prepared.rows)
    assert ({k: v.tolist() for k, v in plain.failing(checks).items()}
            == {k: v.tolist() for k, v in coded.failing(checks).items()})
    [unique] = [r for r in coded.results["xfaudit.ledger"].results
                if r.expectation_config.type == "expect_column_values_to_be_unique"]
    assert unique.result["partial_unexpected_list"] == ["XF1", "XF1"]
