"""Tests of xfaudit.synth: determinism, the planted truth, and the written files.

The truth is checked against a small reference evaluator written here straight from
docs/checks.md (independent of the engine), so every planted (case, check) and every control
that must stay silent is verified at the as-of date.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from xfaudit.errors import ConfigError, SynthError
from xfaudit.profile import load_profile
from xfaudit.schema import CheckId, date_fields, date_order_pairs, fields
from xfaudit.synth import DATE_STYLES, FIRST_DATA_ROW, GARBAGE_STYLE, generate, write

FILES = Path(__file__).parent / "files"
SAMPLE = FILES / "sample_2026-10.xlsx"
SAMPLE_ARGS = {"cases": 1500, "period": "2026-10", "seed": 20261031}


@pytest.fixture(scope="module")
def small():
    return generate(300, "2026-10", 7)


@pytest.fixture(scope="module")
def sample_data():
    return generate(**SAMPLE_ARGS)


@pytest.fixture(scope="module")
def written(small, tmp_path_factory):
    return write(small, tmp_path_factory.mktemp("synth") / "small.xlsx")


@pytest.fixture(scope="module")
def sheet(written):
    wb = CalamineWorkbook.from_path(str(written["extract"]))
    return wb.get_sheet_by_name("台账").to_python(skip_empty_area=False)


# ---------------------------------------------------------------------------------------------
# Reference evaluator (docs/checks.md, national profiles, auto selection)
# ---------------------------------------------------------------------------------------------

P05, P22 = load_profile("national-2005"), load_profile("national-2022")


def _per_era(old: np.ndarray, key: str) -> pd.Series:
    days = np.where(old, P05.limit(key).days, P22.limit(key).days)
    return pd.Series(pd.to_timedelta(days, unit="D"))


def _late(start, last, actual, applies, as_of):
    fired = (actual.notna() & (actual > last)) | (actual.isna() & (as_of > last))
    return applies & start.notna() & fired


def _by_profile(old, values: pd.Series, attr: str) -> pd.Series:
    a = values.isin(getattr(P05, attr)).fillna(False).to_numpy(bool)
    b = values.isin(getattr(P22, attr)).fillna(False).to_numpy(bool)
    return pd.Series(np.where(old, a, b))


def _judged(old, track: pd.Series) -> pd.Series:
    track = track.fillna("信访程序")

    def judged(p):
        return np.ones(len(track), bool) if not p.handling_tracks else track.isin(
            p.handling_tracks).to_numpy(bool)
    return pd.Series(np.where(old, judged(P05), judged(P22)))


def _accountability(f: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, pd.Series]:
    basis = f.received_on.fillna(f.accepted_on).fillna(f.unit_received_on)
    old = (basis < pd.Timestamp(P22.effective_from)).to_numpy(bool)
    days = {k: _per_era(old, k) for k in ("register", "notice_routed", "notice_direct",
                                          "handling", "extension", "review", "rereview")}
    routing = f.routing
    inform = routing.isin(["告知", "不予受理", "不再受理"])
    reg_actual = f.routed_on.where(~inform, f.routed_on.fillna(f.notice_on))
    direct = (routing == "直接办理").fillna(False)
    anon = f.petitioner.isna() | _by_profile(old, f.petitioner, "anonymous_petitioners")
    n_start = f.received_on.where(direct, f.unit_received_on)
    n_last = n_start + days["notice_direct"].where(direct, days["notice_routed"])
    judged = _judged(old, f.track) & f.accepted_on.notna()
    orig = f.accepted_on + days["handling"]
    ext = f.extension_days.fillna(0).astype(int)
    e_max = days["extension"].dt.days
    valid = (ext > 0) & (ext <= e_max) & f.extension_approved_on.notna() \
        & (f.extension_approved_on <= orig) & f.extension_notice_on.notna()
    h_last = orig + pd.to_timedelta(ext.where(valid, 0), unit="D")
    action = (_by_profile(old, f.outcome, "action_outcomes")
              | _by_profile(old, f.review_outcome, "action_outcomes")
              | _by_profile(old, f.rereview_outcome, "action_outcomes"))
    due, done = f.implementation_due, f.implemented_on
    hearing = pd.to_timedelta(f.hearing_days.fillna(0).astype(int), unit="D")
    return {
        "REG_LATE": _late(f.received_on, f.received_on + days["register"], reg_actual,
                          ~direct, as_of),
        "NOTICE_LATE": _late(n_start, n_last, f.notice_on, ~anon, as_of),
        "HANDLING_OVERDUE": _late(f.accepted_on, h_last, f.concluded_on, judged, as_of),
        "EXTENSION_IRREGULAR": judged & (ext > 0) & (
            (ext > e_max) | f.extension_approved_on.isna()
            | (f.extension_approved_on > orig) | f.extension_notice_on.isna()),
        "REPLY_MISSING": f.concluded_on.notna() & f.reply_on.isna(),
        "FEEDBACK_MISSING": _late(f.routed_on, f.assigned_deadline, f.feedback_on,
                                  (routing == "交办") & f.assigned_deadline.notna(), as_of),
        "REVIEW_OVERDUE": _late(f.review_requested_on, f.review_requested_on + days["review"],
                                f.review_decided_on, True, as_of),
        "REREVIEW_OVERDUE": _late(f.rereview_requested_on,
                                  f.rereview_requested_on + days["rereview"] + hearing,
                                  f.rereview_decided_on, True, as_of),
        "DECISION_UNIMPLEMENTED": action & (
            (f.implementation_status == "未落实").fillna(False)
            | (done.isna() & due.notna() & (as_of > due)) | (done > due)),
    }


def _data_quality(f: pd.DataFrame, unreadable_rows: set[int]) -> dict[str, pd.Series]:
    bad = pd.Series(f.index.isin(sorted(unreadable_rows)), index=f.index)
    order = pd.Series(False, index=f.index)
    for earlier, later in date_order_pairs():
        order |= f[earlier].notna() & f[later].notna() & (f[later] < f[earlier])
    return {
        "DATA_DATE_UNREADABLE": bad,
        "DATA_DATE_ORDER": order,
        "DATA_DUPLICATE_ID": f.case_id.duplicated(keep=False),
        "DATA_REQUIRED_MISSING": f.case_id.isna() | f.handling_unit.isna()
        | f.received_on.isna(),
    }


def reference_truth(data) -> set[tuple[str, str]]:
    f = data.frame.reset_index(drop=True)
    hits = _accountability(f, pd.Timestamp(data.as_of))
    hits.update(_data_quality(f, set(data.unreadable["row"])))
    assert set(hits) == {c.value for c in CheckId}
    return {(cid, check) for check, mask in hits.items()
            for cid in f.case_id[mask.to_numpy(bool)]}


def truth_set(data) -> set[tuple[str, str]]:
    return set(data.truth.itertuples(index=False, name=None))


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cases,seed", [(300, 7), (300, 8), (200, 1), (600, 42)])
def test_truth_is_what_the_rules_report(cases, seed):
    data = generate(cases, "2026-10", seed)
    expected = reference_truth(data)
    assert truth_set(data) - expected == set(), "planted but would not fire"
    assert expected - truth_set(data) == set(), "would fire but not in the truth"


def test_truth_holds_for_another_period():
    data = generate(300, "2025-03", 3)
    assert data.as_of == dt.date(2025, 3, 31)
    assert truth_set(data) == reference_truth(data)


def test_same_seed_same_result_and_other_seed_differs(small):
    again = generate(300, "2026-10", 7)
    pd.testing.assert_frame_equal(small.frame, again.frame)
    pd.testing.assert_frame_equal(small.truth, again.truth)
    pd.testing.assert_frame_equal(small.date_styles, again.date_styles)
    other = generate(300, "2026-10", 8)
    assert not small.frame.equals(other.frame)
    assert not small.truth.equals(other.truth)


def test_every_check_planted_within_the_target_share(small):
    counts = small.planted_counts()
    assert set(counts) == {c.value for c in CheckId}
    assert all(5 <= n <= 0.06 * small.cases for n in counts.values()), counts


def test_as_of_is_last_day_of_period():
    assert generate(200, "2026-02", 1).as_of == dt.date(2026, 2, 28)
    assert generate(200, "2024-02", 1).as_of == dt.date(2024, 2, 29)
    assert generate(200, "2026-10", 1).as_of == dt.date(2026, 10, 31)


@pytest.mark.parametrize("period, error, text", [
    ("2026-13", ConfigError, "审计期间「2026-13」格式不对，应写成 2026-10"),
    ("2026-1", ConfigError, "审计期间「2026-1」格式不对，应写成 2026-10"),
    # items are received over the 183 days up to the as-of date, all under the 2022 text
    # (in force 2022-05-01): 2022-05-01 + 183 days = 2022-10-31, the last day of 2022-10
    ("2022-06", SynthError, "审计期间 2022-06 太早：.*最早可选 2022-10"),
    ("2022-09", SynthError, "最早可选 2022-10"),
])
def test_bad_period_is_refused(period, error, text):
    with pytest.raises(error, match=text):
        generate(300, period, 1)


def test_earliest_period_and_other_forms_are_accepted():
    assert generate(200, "2022-10", 1).as_of == dt.date(2022, 10, 31)
    assert generate(200, "2026年2月", 1).period == "2026-02"


def test_too_few_cases_refused():
    with pytest.raises(SynthError, match="事项数（--cases）至少为 200，而不是 50"):
        generate(50, "2026-10", 1)


def test_truth_has_no_duplicates_and_valid_ids(small):
    t = small.truth
    assert list(t.columns) == ["case_id", "check_id"]
    assert not t.duplicated().any()
    assert set(t.check_id) <= {c.value for c in CheckId}
    assert t.equals(t.sort_values(["case_id", "check_id"]).reset_index(drop=True))
    assert set(t.case_id) <= set(small.frame.case_id)


def test_frame_has_canonical_fields_and_types(small):
    f = small.frame
    # every contract field the generator models, in contract order; the systems' own fields
    # (限办时间, 是否办结, 评价状态 …) and the review organs are not generated
    system = ["system_deadline", "is_concluded", "system_overdue", "evaluation_status",
              "registering_body", "review_organ", "rereview_organ"]
    assert list(f.columns) == [c for c in fields() if c not in system]
    dates = [c for c in date_fields() if c in f.columns]
    assert all(f[c].dtype == "datetime64[ns]" for c in dates)
    stacked = f[dates].stack().dropna()
    assert (stacked.dt.normalize() == stacked).all()
    assert len(f) == small.cases + small.planted_counts()["DATA_DUPLICATE_ID"]
    assert f.case_id.notna().all() and f.received_on.notna().all()


def test_realistic_mix(small):
    f = small.frame
    channels = f.channel.value_counts(normalize=True)
    assert channels.idxmax() == "网上信访" and set(channels.index) == {"来信", "来访", "网上信访", "来电"}
    assert set(f.routing) == {"转送", "交办", "直接办理", "告知", "不予受理"}
    assert f.track.value_counts().idxmax() == "信访程序"
    assert (f.people_count >= 5).any() and (f.people_count == 1).mean() > 0.7
    assert f.handling_unit.nunique() >= 15 and f.category.nunique() >= 9
    assert {"未评价", "满意"} <= set(f.satisfaction.dropna())
    assert f.is_repeat.any() and f.escalated.any()
    assert f.summary.str.startswith("=").sum() >= 2
    assert set(f.outcome.dropna()) == {"支持", "部分支持", "解释说明", "不予支持"}
    assert f.received_on.lt(pd.Timestamp("2022-05-01")).mean() < 0.03
    assert f.received_on.min() < pd.Timestamp("2022-05-01") <= f.received_on.max()


def test_open_items_not_yet_due_exist(small):
    f, as_of = small.frame, pd.Timestamp(small.as_of)
    open_handling = f.accepted_on.notna() & f.concluded_on.isna() \
        & (f.accepted_on + pd.Timedelta(days=60) >= as_of)
    assert open_handling.sum() >= 10
    assert (f.implementation_due > as_of).any() and f.extension_days.notna().any()
    assert f.rereview_decided_on.notna().any() and f.hearing_days.notna().any()


def test_personal_data_is_obviously_synthetic(small):
    f = small.frame
    phones, ids = f.petitioner_phone.dropna(), f.petitioner_id_no.dropna()
    assert phones.str.fullmatch(r"1380000\d{4}").all()
    assert ids.str.fullmatch(r"999999\d{11}[\dX]").all()
    names = f.petitioner.dropna()
    assert names.str.fullmatch(r"(测试.\d+|.某某\d+|匿名|不详|无)").all()


# ---------------------------------------------------------------------------------------------
# Semantic spot checks of the plants
# ---------------------------------------------------------------------------------------------


def _planted(data, check: str) -> pd.DataFrame:
    ids = data.truth.case_id[data.truth.check_id == check]
    return data.frame[data.frame.case_id.isin(ids)]


def _kind(data, prefix: str) -> pd.DataFrame:
    ids = data.plants.case_id[data.plants.kind.str.startswith(prefix)]
    return data.frame[data.frame.case_id.isin(ids)]


def test_reg_late_rows_routed_late_or_not_at_all(small):
    rows = _planted(small, "REG_LATE")
    actual = rows.routed_on.fillna(rows.notice_on)
    assert (actual.isna() | (actual > rows.received_on + pd.Timedelta(days=15))).all()
    # a third of the late ones exactly on day N+1
    late = rows[actual.notna()]
    assert ((late.routed_on.fillna(late.notice_on) - late.received_on).dt.days == 16).any()


def test_clean_items_at_day_n_exist(sample_data):
    f = sample_data.frame[~sample_data.frame.case_id.isin(sample_data.truth.case_id)]
    assert ((f.routed_on - f.received_on).dt.days == 15).any()
    assert ((f.concluded_on - f.accepted_on).dt.days == 60).any()
    assert ((f.review_decided_on - f.review_requested_on).dt.days == 30).any()


def test_anonymous_controls_have_no_notice_and_no_finding(small):
    rows = _kind(small, "control/anonymous")
    assert len(rows) >= 4 and rows.notice_on.isna().all()
    assert (rows.petitioner.isna() | rows.petitioner.isin(["匿名", "不详", "无"])).all()
    assert not rows.case_id.isin(small.truth.case_id).any()


def test_track_rule_by_text(small):
    old = _kind(small, "HANDLING_OVERDUE/2005_track")
    assert (old.track == "诉讼").all() and (old.received_on < pd.Timestamp("2022-05-01")).all()
    assert (old.received_on == pd.Timestamp("2022-04-30")).any()
    assert ((old.concluded_on - old.accepted_on).dt.days > 60).all()
    new = _kind(small, "control/2022_track")
    assert (new.track != "信访程序").all() and (new.received_on >= pd.Timestamp("2022-05-01")).all()
    assert (new.received_on == pd.Timestamp("2022-05-01")).any()
    assert ((new.concluded_on - new.accepted_on).dt.days > 60).all()


def test_invalid_extension_fires_both(small):
    both = set(_kind(small, "HANDLING_OVERDUE+EXTENSION_IRREGULAR").case_id)
    t = small.truth
    for check in ("HANDLING_OVERDUE", "EXTENSION_IRREGULAR"):
        assert both <= set(t.case_id[t.check_id == check])
    valid = _kind(small, "control/valid_extension")
    assert ((valid.concluded_on - valid.accepted_on).dt.days > 60).all()


def test_hearing_days_cover_late_rereview(small):
    rows = _kind(small, "control/rereview_within_hearing")
    took = (rows.rereview_decided_on - rows.rereview_requested_on).dt.days
    assert (took > 30).all() and (took <= 30 + rows.hearing_days).all()


def test_unreadable_dates_only_in_registered_on(small):
    u = small.unreadable
    assert set(u.field) == {"registered_on"}
    assert {"2026-13-45", "待定", "十月五日"} <= set(u.raw)
    assert small.frame.registered_on.iloc[u.row].isna().all()
    assert (small.date_styles.registered_on.iloc[u.row] == GARBAGE_STYLE).all()
    assert set(u.case_id) == set(_planted(small, "DATA_DATE_UNREADABLE").case_id)


def test_duplicates_repeat_whole_rows(small):
    f = small.frame
    dup = f[f.case_id.duplicated(keep=False)]
    assert len(dup) == 2 * small.planted_counts()["DATA_DUPLICATE_ID"]
    assert dup.groupby("case_id").nunique(dropna=False).le(1).all().all()


# ---------------------------------------------------------------------------------------------
# Written files
# ---------------------------------------------------------------------------------------------


def test_xlsx_title_and_headers(small, written, sheet):
    assert sheet[0][0] == "云溪县2026年10月信访事项台账"
    assert sheet[1] == [fields()[name].header for name in small.frame.columns]
    ws = openpyxl.load_workbook(written["extract"], read_only=False)["台账"]
    last = openpyxl.utils.get_column_letter(len(small.frame.columns))
    assert [str(r) for r in ws.merged_cells.ranges] == [f"A1:{last}1"]
    assert ws.max_row == len(small.frame) + FIRST_DATA_ROW - 1


def test_xlsx_text_cells_are_text(small, sheet):
    col = list(small.frame.columns).index
    ids = [row[col("case_id")] for row in sheet[2:]]
    assert ids == list(small.frame.case_id)
    assert any(i.startswith("0") for i in ids)
    summaries = [row[col("summary")] for row in sheet[2:]]
    assert '=HYPERLINK("http://example.invalid","详情")' in summaries and "=1+1" in summaries
    phones = {row[col("petitioner_phone")] for row in sheet[2:]} - {""}
    assert all(isinstance(p, str) and p.startswith("1380000") for p in phones)


def _read_date(value) -> pd.Timestamp | None:
    if value == "" or value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return pd.Timestamp(value).normalize()
    if isinstance(value, (int, float)):
        return pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(value))
    m = re.fullmatch(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)"
                     r"(?: \d{2}:\d{2})?", value)
    if not m:
        return pd.NaT
    y, mo, d = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
    try:
        return pd.Timestamp(int(y), int(mo), int(d))
    except ValueError:
        return pd.NaT


def test_xlsx_dates_read_back_as_planned(small, sheet):
    names = list(small.frame.columns)
    for name in (f for f in date_fields() if f in names):
        j = names.index(name)
        got = [_read_date(row[j]) for row in sheet[2:]]
        want = small.frame[name]
        styles = small.date_styles[name]
        for i, (g, w, s) in enumerate(zip(got, want, styles)):
            if pd.isna(s):
                assert g is None, (name, i)
            elif s == GARBAGE_STYLE:
                assert g is pd.NaT and pd.isna(w), (name, i, sheet[i + 2][j])
            else:
                assert g == w, (name, i, s, sheet[i + 2][j])


def test_date_style_variants_all_present(small, sheet):
    used = set(small.date_styles.stack().dropna())
    assert used == set(DATE_STYLES) | {GARBAGE_STYLE}
    cells = [c for row in sheet[2:] for c in row]
    assert any(isinstance(c, dt.date) for c in cells)             # real Excel dates
    assert any(isinstance(c, float) and c > 40000 for c in cells)  # bare serials
    for pattern in (r"\d{4}-\d{2}-\d{2}", r"\d{4}/\d{1,2}/\d{1,2}", r"\d{4}\.\d{1,2}\.\d{1,2}",
                    r"\d{4}年\d{1,2}月\d{1,2}日", r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"):
        assert any(isinstance(c, str) and re.fullmatch(pattern, c) for c in cells), pattern


def test_truth_and_meta_files(small, written):
    truth = pd.read_csv(written["truth"], dtype=str, encoding="utf-8-sig")
    assert written["truth"].read_bytes().startswith(b"\xef\xbb\xbf")
    pd.testing.assert_frame_equal(truth, small.truth, check_dtype=False)
    meta = json.loads(written["meta"].read_text("utf-8"))
    assert meta["seed"] == 7 and meta["period"] == "2026-10" and meta["as_of"] == "2026-10-31"
    assert meta["profile"] == "auto" and meta["cases"] == 300
    assert meta["rows"] == len(small.frame) and meta["planted"] == small.planted_counts()


def test_csv_with_bom_and_aliases(tmp_path):
    data = generate(200, "2026-10", 5, use_aliases=True)
    paths = write(data, tmp_path / "x.csv")
    raw = paths["extract"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("云溪县2026年10月信访事项台账")
    header = lines[1].split(",")
    assert header == [data.headers[n] for n in data.frame.columns]
    aliased = [n for n, h in data.headers.items() if h != fields()[n].header]
    assert len(aliased) >= 5 and all(data.headers[n] in fields()[n].aliases for n in aliased)
    table = pd.read_csv(paths["extract"], skiprows=1, dtype=str, encoding="utf-8-sig")
    assert list(table.iloc[:, 0]) == list(data.frame.case_id)


def test_aliases_are_deterministic():
    a = generate(200, "2026-10", 5, use_aliases=True).headers
    assert a == generate(200, "2026-10", 5, use_aliases=True).headers
    assert generate(200, "2026-10", 5).headers == {n: f.header for n, f in fields().items()}


def test_xlsx_bytes_are_reproducible(small, written, tmp_path):
    again = write(small, tmp_path / "again.xlsx")
    assert again["extract"].read_bytes() == written["extract"].read_bytes()


# ---------------------------------------------------------------------------------------------
# The committed sample
# ---------------------------------------------------------------------------------------------


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample not generated")
def test_committed_sample_matches_generator(sample_data):
    data = sample_data
    truth = pd.read_csv(FILES / "sample_2026-10.truth.csv", dtype=str, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(truth, data.truth, check_dtype=False)
    meta = json.loads((FILES / "sample_2026-10.synth.json").read_text("utf-8"))
    assert meta["seed"] == SAMPLE_ARGS["seed"] and meta["rows"] == len(data.frame)
    assert truth_set(data) == reference_truth(data)
    assert SAMPLE.stat().st_size < 400_000
