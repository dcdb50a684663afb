"""Registers kept in Excel: date cells as people type them, safe replacement of the file."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from xfaudit.errors import RegisterError
from xfaudit.registers import atomic_write, parse_dates


@pytest.mark.parametrize("raw, expected", [
    (dt.datetime(2026, 11, 20, 0, 0), "2026-11-20"), ("2026-11-20", "2026-11-20"),
    ("2026/11/20", "2026-11-20"), ("2026.11.20", "2026-11-20"),
    ("2026年11月20日", "2026-11-20"), (46346, "2026-11-20"), ("2026-11-20 08:30", "2026-11-20"),
])
def test_parse_dates_reads_what_inspectors_type(raw, expected):
    dates, bad = parse_dates(pd.Series([raw], dtype=object))
    assert dates.iloc[0] == pd.Timestamp(expected) and not bad.iloc[0]


def test_parse_dates_flags_unreadable_but_not_empty_cells():
    dates, bad = parse_dates(pd.Series(["下周", None, "  "], dtype=object))
    assert list(bad) == [True, False, False] and dates.isna().all()


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
