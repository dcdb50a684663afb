"""A ledger in a database (SQLite here): read in chunks by the loader's steps, it audits to the
same findings as the same rows exported to CSV — findings.csv byte for byte, with every engine
that reads it; the rows, rejected rows and unreadable cells are counted the same; a missing
table or an unusable URL is a Chinese line and exit 2, without the password."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from scale_data import AS_OF, far_apart_csv
from xfaudit.cli import main
from xfaudit.run import run_check
from xfaudit.scale.sql import SqlSource, read_sql_chunks

sqlalchemy = pytest.importorskip("sqlalchemy")

TABLE = "信访台账"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """The far-apart ledger as a SQLite table and as its CSV export (header on line 1).

    The CSV's title row, footer and blank lines are kept as rows of the table (a 合计 row and
    an empty row stay, as an export would show them); a cell's line break becomes a space,
    because a CSV numbers its rows by lines and a database by records."""
    folder = tmp_path_factory.mktemp("sql")
    csv = far_apart_csv(folder / "far.csv")
    table = pd.read_csv(csv, dtype=str, keep_default_na=False, header=1, encoding="utf-8-sig",
                        skip_blank_lines=False)
    table = table.replace({"\n": " "}, regex=True)
    export = folder / "export.csv"
    table.to_csv(export, index=False, encoding="utf-8-sig")
    database = folder / "petitions.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{database}")
    # empty cells as NULL, as a database holds them
    table.replace({"": None}).to_sql(TABLE, engine, index=False)
    engine.dispose()
    return {"url": f"sqlite:///{database}", "csv": export, "rows": len(table)}


def _summary(folder: Path) -> dict:
    data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return {key: data[key] for key in ("rows", "totals", "checks", "by_unit")}


@pytest.fixture(scope="module")
def from_csv(ledger, tmp_path_factory):
    out = tmp_path_factory.mktemp("csv")
    run_check(ledger["csv"], out_dir=out, as_of=AS_OF)
    return out


@pytest.mark.parametrize("engine", ["pandas", "chunked"])
def test_a_table_audits_to_the_findings_of_its_csv_export(ledger, from_csv, engine, tmp_path):
    source = SqlSource(ledger["url"], table=TABLE)
    run_check(source, out_dir=tmp_path, as_of=AS_OF, engine=engine, chunk_rows=7)
    assert (tmp_path / "findings.csv").read_bytes() == (from_csv / "findings.csv").read_bytes()
    assert _summary(tmp_path) == _summary(from_csv)
    found = pd.read_csv(tmp_path / "findings.csv", dtype=str)
    assert {"DATA_DUPLICATE_ID", "DATA_DUPLICATE_ROW"} <= set(found["check_id"])


def test_chunks_of_a_table_count_rows_like_the_file_loader(ledger):
    from xfaudit.load import load_extract

    chunks = read_sql_chunks(ledger["url"], 5, table=TABLE)
    frames = [chunk.frame for chunk in chunks]
    # ceil(rows / 5) chunks of at most 5 records each
    assert len(frames) == -(-ledger["rows"] // 5)
    whole = load_extract(ledger["csv"])
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), whole.frame)
    mine, theirs = chunks.report, whole.report
    assert (mine.rows_read, mine.rows_kept, mine.rows_rejected, mine.empty_rows) == (
        theirs.rows_read, theirs.rows_kept, theirs.rows_rejected, theirs.empty_rows)
    assert mine.empty_rows == 1 and mine.rows_rejected == 1     # the blank row, the 合计 row
    assert mine.file_format == "sql" and mine.header_row == 1
    assert Path(mine.path).name == f"petitions.db#{TABLE}"
    assert mine.mapping == theirs.mapping


def test_a_query_reads_typed_columns_as_the_loader_reads_cells(tmp_path):
    """Integers and timestamps (what Oracle or PostgreSQL return) read as an xlsx's numbers
    and dates do: an id 20261001 is the text "20261001", a timestamp is its day."""
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 't.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (编号 INTEGER, 登记日期 TEXT, 办理单位 TEXT)")
        connection.exec_driver_sql("INSERT INTO t VALUES (20261001, '2026-10-05', '青石镇'),"
                                   " (20261002, NULL, '城南街道')")
    engine.dispose()
    chunks = read_sql_chunks(f"sqlite:///{tmp_path / 't.db'}", 10,
                             query="SELECT 编号 AS 信访件编号, 登记日期 AS 收到日期, 办理单位 "
                                   "FROM t ORDER BY 编号")
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    assert frame["case_id"].tolist() == ["20261001", "20261002"]
    assert frame["received_on"].iloc[0] == pd.Timestamp("2026-10-05")
    assert pd.isna(frame["received_on"].iloc[1])
    assert frame["source_row"].tolist() == [2, 3]                # the header is row 1


def test_load_to_parquet_from_a_table_then_check_the_dataset(ledger, from_csv, tmp_path):
    folder = tmp_path / "ds"
    assert main(["load", "--sql-url", ledger["url"], "--table", TABLE, "--to-parquet",
                 str(folder), "--as-of", AS_OF]) == 0
    assert main(["check", str(folder), "--as-of", AS_OF, "--engine", "chunked", "--out",
                 str(tmp_path / "out")]) == 0
    assert ((tmp_path / "out" / "findings.csv").read_bytes()
            == (from_csv / "findings.csv").read_bytes())


def test_a_missing_table_is_a_chinese_line_and_exit_2(ledger, tmp_path, capsys):
    code = main(["check", "--sql-url", ledger["url"], "--table", "没有这张表", "--as-of", AS_OF,
                 "--engine", "chunked", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "读取表「没有这张表」失败（OperationalError：no such table: 没有这张表）" in err
    assert "Traceback" not in err


def test_an_unusable_url_names_the_driver_but_never_the_password(tmp_path, capsys):
    code = main(["check", "--sql-url", "nosuchdb://auditor:s3cret@10.0.0.1/petitions",
                 "--table", "t", "--as-of", AS_OF, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "无法使用数据库地址" in err and "s3cret" not in err


def test_a_file_and_a_database_together_are_refused(ledger, tmp_path, capsys):
    code = main(["check", str(ledger["csv"]), "--sql-url", ledger["url"], "--table", TABLE,
                 "--as-of", AS_OF, "--out", str(tmp_path / "out")])
    assert code == 2
    assert "台账文件和 --sql-url 只能给出一个" in capsys.readouterr().err
