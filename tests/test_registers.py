"""Registers kept in Excel: date cells as people type them, safe replacement of the file."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from xfaudit.dates import DateWindow
from xfaudit.errors import RegisterError
from xfaudit.registers import atomic_write, parse_dates


@pytest.mark.parametrize("raw, expected", [
    (dt.datetime(2026, 11, 20, 0, 0), "2026-11-20"), ("2026-11-20", "2026-11-20"),
    ("2026/11/20", "2026-11-20"), ("2026.11.20", "2026-11-20"),
    ("2026年11月20日", "2026-11-20"), (46346, "2026-11-20"), ("2026-11-20 08:30", "2026-11-20"),
])
def test_parse_dates_reads_what_inspectors_type(raw, expected):
    dates, bad = parse_dates(pd.Series([raw], dtype=object))
    assert dates.iloc[0] == pd.Timestamp(expected) and bad == []


def test_parse_dates_flags_unreadable_but_not_empty_cells():
    dates, bad = parse_dates(pd.Series(["下周", None, "  ", "2206-11-20"], dtype=object))
    assert [i for i, _ in bad] == [0, 3] and dates.isna().all()
    assert bad[0][1] == "无法识别的日期“下周”（请写成 2026-10-28 这样含年月日的日期）"
    assert "“2206-11-20”不在合理的日期范围内" in bad[1][1]


def test_register_window_runs_ten_years_ahead():
    # read on 2026-12-01: 1990-01-01 … 2036-12-31 (2026 + 10)
    window = DateWindow.for_registers(dt.date(2026, 12, 1))
    assert (window.first, window.last) == (pd.Timestamp("1990-01-01"), pd.Timestamp("2036-12-31"))


def test_atomic_write_leaves_no_half_file(tmp_path):
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"old")

    def fail(path):
        path.write_bytes(b"half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def test_atomic_write_reports_a_locked_file(tmp_path, monkeypatch):
    import os

    def locked(*_args):
        raise PermissionError("locked")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(RegisterError, match="正在 Excel 中打开"):
        atomic_write(tmp_path / "r.xlsx", lambda p: p.write_bytes(b"x"))
