"""xfaudit.overlap: background work started when the loader enters a native parse (calamine's
sheet parse, pyarrow's CSV parse), at the end of the load otherwise, never after a failure."""

from __future__ import annotations

import traceback

import pandas as pd
import pytest

from xfaudit import overlap
from xfaudit.errors import ExtractError
from xfaudit.load import load_extract


class Starts:
    """A start function that records the functions on the stack at each call."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self):
        self.calls.append([f"{frame.filename.replace(chr(92), '/').rsplit('/', 1)[-1]}:{frame.name}"
                           for frame in traceback.extract_stack()])


def test_started_once_by_the_native_parse_not_again_at_the_end():
    start = Starts()
    with overlap.at_native_parse(start):
        assert start.calls == []
        overlap.native_parse_begins()
        overlap.native_parse_begins()
    assert len(start.calls) == 1


def test_started_at_the_end_when_no_native_parse_came():
    start = Starts()
    with overlap.at_native_parse(start):
        assert start.calls == []
    assert len(start.calls) == 1


def test_dropped_when_the_block_fails():
    start = Starts()
    with pytest.raises(ValueError):
        with overlap.at_native_parse(start):
            raise ValueError("the extract could not be read")
    overlap.native_parse_begins()                    # a later read does not start it
    assert start.calls == []


def test_an_xlsx_starts_the_work_inside_calamines_parse(tmp_path):
    path = tmp_path / "ledger.xlsx"
    pd.DataFrame({"信访件编号": ["XF1", "XF2"], "登记日期": ["2026-10-08", "2026-10-09"],
                  "责任单位": ["石桥镇", "青禾镇"]}).to_excel(path, index=False)
    start = Starts()
    with overlap.at_native_parse(start):
        load_extract(path)
    assert len(start.calls) == 1
    assert "workbook.py:_read" in start.calls[0]           # Book._read, at calamine's parse


def test_a_csv_starts_the_work_before_pyarrows_parse(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text("信访件编号,登记日期,责任单位\nXF1,2026-10-08,石桥镇\nXF2,2026-10-09,青禾镇\n",
                    "utf-8")
    start = Starts()
    with overlap.at_native_parse(start):
        load_extract(path)
    assert len(start.calls) == 1
    assert "csvread.py:_columns_arrow" in start.calls[0]


def test_a_load_that_fails_starts_nothing(tmp_path):
    path = tmp_path / "missing.xlsx"
    start = Starts()
    with pytest.raises(ExtractError):
        with overlap.at_native_parse(start):
            load_extract(path)
    assert start.calls == []


def test_a_canonical_dataset_starts_the_work_as_pyarrow_reads_it(tmp_path):
    from xfaudit.scale.dataset import convert

    path = tmp_path / "ledger.csv"
    path.write_text("信访件编号,登记日期,责任单位\nXF1,2026-10-08,石桥镇\n", "utf-8")
    folder = convert(path, tmp_path / "dataset", rows=1000)
    start = Starts()
    with overlap.at_native_parse(start):
        load_extract(folder)
    assert len(start.calls) == 1
    assert "load.py:load_extract" in start.calls[0]
