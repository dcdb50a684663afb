"""One period parser and one audit-date reader behind every entry point.

The CLI's ``--period``/``--as-of``, the monthly run's parameters (notebook, papermill,
``run_monthly_audit``), the views, the accountability outputs, ``audit`` and the synthetic
generator read the same forms and refuse the same texts with the same Chinese message.
"""

from __future__ import annotations

import argparse
import datetime as dt

import pandas as pd
import pytest

from xfaudit import cli, views
from xfaudit.accountability import check_period
from xfaudit.audit import audit
from xfaudit.dates import Period, month_text, parse_as_of, parse_period
from xfaudit.errors import ConfigError, SynthError
from xfaudit.model import Extract
from xfaudit.monthly import MonthlyParameters
from xfaudit.synth import generate

# (value, label) — each accepted form of October 2026 (or another month where said)
ACCEPTED = [
    ("2026-10", "2026-10"), ("2026年10月", "2026-10"), ("2026年10月份", "2026-10"),
    (202610, "2026-10"),                     # papermill passes -p period 202610 as an int
    ("202610", "2026-10"), ("2026/10", "2026-10"), ("2026.10", "2026-10"),
    (" 2026-10 ", "2026-10"), ("２０２６－１０", "2026-10"), ("2026年1月", "2026-01"),
    (pd.Period("2026-10", "M"), "2026-10"),
]
# "2026-1" may be 2026-10 with a digit missing: refused, never read as January
REFUSED = ["2026-1", "2026-13", "2026-00", "20261", "10月", "2026-10-31", "1985-03",
           "2206-11", "十月", "2026年13月"]


@pytest.mark.parametrize("value, label", ACCEPTED)
def test_every_entry_point_reads_the_same_period(value, label):
    assert parse_period(value).label == label
    assert check_period(value) == label
    assert cli._period(str(value)) == label
    assert MonthlyParameters.from_values("a.xlsx", value).period == label
    assert views.period_bounds(value)[0] == pd.Timestamp(f"{label}-01")


@pytest.mark.parametrize("value", REFUSED)
def test_every_entry_point_refuses_the_same_texts(value):
    message = f"审计期间「{value}」格式不对，应写成 2026-10"
    for read in (parse_period, check_period, views.period_bounds, views.period_label,
                 lambda v: MonthlyParameters.from_values("a.xlsx", v),
                 lambda v: generate(300, v, 1)):
        with pytest.raises(ConfigError) as caught:
            read(value)
        assert str(caught.value) == message
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        cli._period(value)


@pytest.mark.parametrize("period, first, last, text", [
    ("2026-02", "2026-02-01", "2026-02-28", "2026年2月"),
    ("2028-02", "2028-02-01", "2028-02-29", "2028年2月"),      # 2028 is a leap year
    ("2026-12", "2026-12-01", "2026-12-31", "2026年12月"),
])
def test_period_days_and_text(period, first, last, text):
    month = parse_period(period)
    assert (month.first_day, month.last_day) == (pd.Timestamp(first), pd.Timestamp(last))
    assert month.text == text == month_text(period) == views.period_label(period)
    assert str(month) == period and parse_period(month) is month


@pytest.mark.parametrize("period, months, expected", [
    ("2026-10", -1, "2026-09"), ("2026-01", -1, "2025-12"), ("2026-11", 2, "2027-01"),
    ("2026-10", -12, "2025-10")])
def test_period_shift(period, months, expected):
    assert parse_period(period).shift(months) == parse_period(expected)


def test_period_is_a_value():
    assert isinstance(parse_period("2026-10"), Period)
    assert parse_period("2026年10月") == parse_period(202610)


# ---------------------------------------------------------------------------------------------
# The audit date
# ---------------------------------------------------------------------------------------------

AS_OF = pd.Timestamp("2026-10-31")
AS_OF_ACCEPTED = ["2026-10-31", "2026/10/31", "2026.10.31", "2026年10月31日", "2026年10月31号",
                  "20261031", 20261031, "2026-10-31 18:00", dt.date(2026, 10, 31),
                  pd.Timestamp("2026-10-31 09:00"),
                  46326]        # Excel serial: 46346 is 2026-11-20 (test_one_date_parser), − 20
AS_OF_REFUSED = ["31/10/2026", "10/31/2026", "10月31日", "2026-10", "昨天", "2206-10-31"]


@pytest.mark.parametrize("value", AS_OF_ACCEPTED)
def test_every_entry_point_reads_the_same_audit_date(value):
    assert parse_as_of(value) == AS_OF
    assert cli._date(str(value)) == AS_OF.date()
    assert MonthlyParameters.from_values("a.xlsx", "2026-10", as_of=value).as_of == "2026-10-31"


@pytest.mark.parametrize("value", AS_OF_REFUSED)
def test_every_entry_point_refuses_the_same_audit_dates(value):
    message = f"审计日「{value}」格式不对，应写成 2026-10-31"
    with pytest.raises(ConfigError, match=message):
        parse_as_of(value)
    with pytest.raises(ConfigError, match=message):
        MonthlyParameters.from_values("a.xlsx", "2026-10", as_of=value)
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        cli._date(value)


def test_audit_takes_the_chinese_date_form():
    frame = pd.DataFrame({"case_id": ["A1"], "received_on": ["2026-10-08"],
                          "handling_unit": ["城关镇"]})
    result = audit(Extract.from_frame(frame), as_of="2026年10月31日")
    assert result.as_of == AS_OF


def test_default_as_of_is_the_last_day_of_the_period():
    assert MonthlyParameters.from_values("a.xlsx", "2026年2月").resolved_as_of == "2026-02-28"


# ---------------------------------------------------------------------------------------------
# The CLI: user errors are one Chinese line and exit 2
# ---------------------------------------------------------------------------------------------

def _exit_code(argv) -> int:
    try:
        return cli.main(argv)
    except SystemExit as done:          # argparse rejects an option value
        return done.code


@pytest.mark.parametrize("args, text", [
    (["--cases", "50", "--period", "2026-10"], "无法生成模拟台账：事项数至少为200件（每类问题都要植入若干件），现为50件"),
    (["--cases", "300", "--period", "2026-1"], "审计期间「2026-1」格式不对，应写成 2026-10"),
    (["--cases", "300", "--period", "2022-06"], "无法生成模拟台账：期间2022-06太早"),
])
def test_synth_input_errors_are_user_errors(tmp_path, capsys, args, text):
    code = _exit_code(["synth", *args, "--out", str(tmp_path / "s.xlsx")])
    err = capsys.readouterr().err
    assert code == 2 and text in err
    assert "内部错误" not in err and "Traceback" not in err
    assert not (tmp_path / "s.xlsx").exists()


def test_cli_reads_the_forms_a_ledger_has():
    args = cli.build_parser().parse_args(["monthly", "a.xlsx", "--period", "2026年10月",
                                          "--as-of", "2026/10/31"])
    assert (args.period, args.as_of) == ("2026-10", dt.date(2026, 10, 31))


def test_synth_errors_pickle():
    import pickle

    error = SynthError("事项数（--cases）至少为 200，而不是 50")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and hash(again) is not None
