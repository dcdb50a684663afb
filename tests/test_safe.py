"""Output text made safe: CSV injection neutralised, XML-illegal characters dropped, strict JSON."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from xfaudit.writers.safe import (json_ready, neutralise_cells, one_line, restore_cells,
                                  strict_json, write_csv, xml_text)


def strict_loads(text: str):
    def refuse(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("cell, expected", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("=SUM(1,2)", "'=SUM(1,2)"),
    ("+城乡建设", "'+城乡建设"),
    ("-3+4", "'-3+4"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+2", "'\t=1+2"),
    ("\r=1+2", "'\r=1+2"),
    ('=HYPERLINK("http://x","XF2026012")', '\'=HYPERLINK("http://x","XF2026012")'),
    # harmless text is left alone, formula characters later in the text included
    ("青石镇", "青石镇"),
    ("反映 =1+2 的问题", "反映 =1+2 的问题"),
    ("2026-10-31", "2026-10-31"),
    ("'=already", "'=already"),
    ("", ""),
])
def test_text_cells_that_start_a_formula_get_a_quote(cell, expected):
    frame = pd.DataFrame({"text": [cell]}, dtype=object)
    assert neutralise_cells(frame)["text"].tolist() == [expected]
    as_string = pd.DataFrame({"text": pd.array([cell], dtype="string")})
    assert neutralise_cells(as_string)["text"].tolist() == [expected]


def test_numbers_stay_numbers_and_missing_stays_missing():
    frame = pd.DataFrame({"days": pd.array([-3, 5, None], dtype="Int64"),
                          "rate": [-0.5, 0.25, np.nan],
                          "mixed": pd.Series([-7, "-7", None], dtype=object)})
    out = neutralise_cells(frame)
    assert out["days"].tolist()[:2] == [-3, 5] and out["days"].isna().tolist()[2]
    assert out["days"].dtype == "Int64" and out["rate"].dtype == float
    assert out["rate"].tolist()[:2] == [-0.5, 0.25]
    # in an object column only the text "-7" is text; the number -7 stays a number
    assert out["mixed"].tolist()[:2] == [-7, "'-7"] and out["mixed"].isna().tolist()[2]
    assert frame["mixed"].tolist()[1] == "-7"  # the input is not changed


def test_unhashable_and_all_missing_columns_are_handled_cell_by_cell():
    frame = pd.DataFrame({"listy": pd.Series([["=1"], "=2", "3"], dtype=object),
                          "empty": pd.Series([None, np.nan, None], dtype=object),
                          "repeated": pd.Series(["-1", "-1", 4, "x"], dtype=object).iloc[:3]})
    out = neutralise_cells(frame)
    # a list is not text (left alone); the text "=2" starts a formula
    assert out["listy"].tolist() == [["=1"], "'=2", "3"]
    assert out["empty"].isna().all()
    # one distinct text seen twice is escaped twice; the number 4 stays a number
    assert out["repeated"].tolist() == ["'-1", "'-1", 4]


def test_write_csv_neutralises_every_cell_and_the_header(tmp_path):
    frame = pd.DataFrame({"=单位": ["=1+2", "@SUM(1)", "青石镇"], "比率": [-0.5, 0.1, 1.0]})
    path = write_csv(frame, tmp_path / "t.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows == [["'=单位", "比率"], ["'=1+2", "-0.5"], ["'@SUM(1)", "0.1"],
                    ["青石镇", "1.0"]]
    # OWASP's test: no cell of the file starts with a formula character, except numbers
    for row in rows:
        for cell in row:
            assert not cell[:1] in "=+@\t\r" or cell == ""
            if cell.startswith("-"):
                float(cell)


def test_restore_cells_undoes_only_the_escape_neutralise_cells_wrote():
    written = pd.DataFrame({"text": ["=1+2", "-17", "@SUM(1)", "\t=x", "青石镇", "it's", None]},
                           dtype=object)
    escaped = neutralise_cells(written)
    assert escaped["text"].tolist()[:5] == ["'=1+2", "'-17", "'@SUM(1)", "'\t=x", "青石镇"]
    # a quote not followed by a formula character ("it's" has none at the start) stays
    back = restore_cells(escaped)
    assert back["text"].tolist()[:6] == ["=1+2", "-17", "@SUM(1)", "\t=x", "青石镇", "it's"]
    assert back["text"].isna().tolist()[6]
    as_string = restore_cells(escaped.astype({"text": "string"}))
    assert as_string["text"].tolist()[:2] == ["=1+2", "-17"]


def test_write_csv_puts_a_marking_line_first(tmp_path):
    path = write_csv(pd.DataFrame({"a": [1]}), tmp_path / "t.csv", first_line="机密★内部资料\n注意")
    assert path.read_text("utf-8-sig").splitlines() == ["机密★内部资料 注意", "a", "1"]
    assert pd.read_csv(path, skiprows=1, encoding="utf-8-sig")["a"].tolist() == [1]


def test_xml_text_and_one_line_drop_control_characters():
    assert xml_text("青石镇\x08\x07\x0b\x1b\x00\ufffe") == "青石镇"
    assert xml_text("a\tb\nc\rd") == "a\tb\nc\rd"  # allowed in XML
    assert xml_text(None) == ""
    assert one_line("县\t住建\n局\x07") == "县 住建 局"


def test_strict_json_writes_null_for_nan_and_refuses_nothing_else():
    data = {"category": float("nan"), "n": np.int64(3), "x": np.float64("inf"),
            "flag": np.bool_(True), "when": pd.Timestamp("2026-10-31"), "na": pd.NA,
            "nat": pd.NaT, "rows": [{"v": np.nan}], 7: (1, 2)}
    parsed = strict_loads(strict_json(data))
    assert parsed == {"category": None, "n": 3, "x": None, "flag": True,
                      "when": "2026-10-31 00:00:00", "na": None, "nat": None,
                      "rows": [{"v": None}], "7": [1, 2]}
    assert json_ready(math.nan) is None


def test_strict_loads_really_refuses_nan():
    with pytest.raises(ValueError):
        strict_loads('{"a": NaN}')
