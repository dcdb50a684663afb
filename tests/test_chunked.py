"""`--engine chunked`: the audit in chunks of rows gives the one-pass findings, byte for byte,
and the same summary and GX statistics; a CSV read in chunks gives the one-piece loader's
frame and report; workbooks past a worksheet's rows split or say what they leave out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scale_data import AS_OF, comparable_json as _json, far_apart_csv, sheet_rows
from xfaudit.load import load_extract
from xfaudit.loadchunks import load_extract_chunks
from xfaudit.run import run_check

SAMPLE = Path(__file__).parent / "files" / "sample_2026-10.xlsx"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return far_apart_csv(tmp_path_factory.mktemp("far") / "台账.csv")


@pytest.fixture(scope="module")
def one_pass(ledger, tmp_path_factory):
    out = tmp_path_factory.mktemp("pandas")
    run_check(ledger, out_dir=out, as_of=AS_OF)
    return out


def test_the_ledger_has_its_pairs_far_apart(ledger):
    frame = load_extract(ledger).frame
    pairs = frame.groupby("case_id").filter(lambda g: len(g) > 1)
    rows = pairs.groupby("case_id")["source_row"].agg(lambda r: r.max() - r.min())
    assert len(rows) >= 4 and rows.min() > 7          # no chunk of 7 holds both rows


@pytest.mark.parametrize("rows", [1, 7, 1000])
def test_chunked_findings_csv_is_the_one_pass_file_byte_for_byte(ledger, one_pass, rows,
                                                                 tmp_path):
    out = run_check(ledger, out_dir=tmp_path, as_of=AS_OF, engine="chunked", chunk_rows=rows)
    assert out.result.engine["chunks"] == -(-len(load_extract(ledger).frame) // rows) or \
        rows == 1                                     # 1: one chunk per record read
    assert (tmp_path / "findings.csv").read_bytes() == (one_pass / "findings.csv").read_bytes()
    for name in ("summary.json", "validation.json"):
        assert _json(tmp_path / name) == _json(one_pass / name), name
    # the findings cover duplicates whose pair lies in another chunk
    found = pd.read_csv(tmp_path / "findings.csv", dtype=str)
    assert {"DATA_DUPLICATE_ID", "DATA_DUPLICATE_ROW"} <= set(found["check_id"])
    written = out.result.findings
    assert len(written) == len(found)
    assert list(written["source_row"].astype(str)) == list(found["source_row"])


@pytest.fixture(scope="module")
def sample_one_pass(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    run_check(SAMPLE, out_dir=out, as_of=AS_OF, mask_personal_data=False)
    return out


def test_the_sample_workbook_month_chunked_equals_one_pass(sample_one_pass, tmp_path):
    one = sample_one_pass
    many = tmp_path / "many"
    run_check(SAMPLE, out_dir=many, as_of=AS_OF, mask_personal_data=False, engine="chunked",
              chunk_rows=600)
    assert (many / "findings.csv").read_bytes() == (one / "findings.csv").read_bytes()
    assert _json(many / "summary.json") == _json(one / "summary.json")
    assert _json(many / "validation.json") == _json(one / "validation.json")
    assert (many / "findings.csv").read_text(encoding="utf-8-sig").startswith("机密★内部资料")
    # 临期预警, collected chunk by chunk: the one-pass sheet, row for row (the sample has
    # open deadlines in the 15 days after 2026-10-31)
    due = sheet_rows(many / "findings.xlsx", "临期预警")
    assert due == sheet_rows(one / "findings.xlsx", "临期预警")
    header = next(i for i, row in enumerate(due) if "剩余天数" in row)
    assert len(due) - header - 1 > 0            # the sample has open deadlines due soon


@pytest.mark.parametrize("rows", [1, 7, 1000])
def test_a_csv_read_in_chunks_is_the_one_piece_extract(ledger, rows):
    whole = load_extract(ledger)
    chunks = load_extract_chunks(ledger, rows)
    frames = [c.frame for c in chunks]
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), whole.frame)
    assert chunks.report.to_dict() == whole.report.to_dict()
    pd.testing.assert_frame_equal(chunks.report.unreadable, whole.report.unreadable)
    # the awkward parts were read as the one-piece loader reads them
    assert whole.report.empty_rows == 1 and whole.report.rows_rejected == 1
    assert whole.frame["summary"].str.contains("\n").any()


def test_a_file_the_chunked_reader_cannot_take_is_read_in_one_piece(tmp_path):
    from xfaudit.scale.dataset import convert, open_dataset

    folder = convert(SAMPLE, tmp_path / "ds", rows=500)     # a workbook: read in one piece
    dataset = open_dataset(folder)
    assert dataset.rows == 1557 and len(dataset.parts) == 4
    pd.testing.assert_frame_equal(dataset.to_extract().frame, load_extract(SAMPLE).frame)


def test_a_long_findings_sheet_continues_on_numbered_sheets(monkeypatch, tmp_path):
    from openpyxl import load_workbook

    from xfaudit.audit import audit
    from xfaudit.writers import workbook

    result = audit(SAMPLE, as_of=AS_OF)
    monkeypatch.setattr(workbook, "SHEET_ROWS", 300)
    path = workbook.write(result, tmp_path / "f.xlsx", by_unit=False)
    book = load_workbook(path, read_only=True)
    n = len(result.findings)                            # 732 findings: 300 + 300 + 132
    parts = [name for name in book.sheetnames if name.startswith("全部问题")]
    assert parts == ["全部问题", "全部问题(2)", "全部问题(3)"]
    rows = [list(book[name].iter_rows(values_only=True)) for name in parts]
    assert [len(r) - 2 for r in rows] == [300, 300, n - 600]   # a part note, the header
    assert rows[1][0][0] == f"全部问题：第2部分，共3部分（第301至600条，共{n}条；一个工作表最多容纳300条）"
    assert rows[2][-1][0] == result.findings["case_id"].iloc[-1]


def test_past_its_capacity_the_chunked_workbook_says_where_the_findings_are(
        monkeypatch, sample_one_pass, tmp_path):
    from openpyxl import load_workbook

    from xfaudit.scale import outputs

    monkeypatch.setattr(outputs, "WORKBOOK_FINDINGS", 100)
    run_check(SAMPLE, out_dir=tmp_path / "many", as_of=AS_OF, engine="chunked", chunk_rows=800,
              mask_personal_data=False)
    small = load_workbook(tmp_path / "many" / "findings.xlsx", read_only=True)
    assert small.sheetnames == ["汇总", "按单位汇总", "临期预警"]
    text = [c for row in small["汇总"].iter_rows(values_only=True) for c in row if c]
    # as many findings as the one-pass findings.csv has rows (an unmasked run: one line of
    # notice above the header)
    n = len(pd.read_csv(sample_one_pass / "findings.csv", dtype=str, skiprows=1))
    assert n > 100
    assert any(f"问题共 {n:,} 条" in str(t) and "findings.csv" in str(t) for t in text)
    full = load_workbook(sample_one_pass / "findings.xlsx", read_only=True)
    assert (list(small["按单位汇总"].iter_rows(values_only=True))
            == list(full["按单位汇总"].iter_rows(values_only=True)))
