"""`--engine spark`: on local[2] with tiny Arrow batches, every built-in profile's findings are
the pandas engine's exactly — findings.csv byte for byte, the same summary and GX statistics —
on a ledger whose duplicates lie in different batches; a year without a holiday table stops
the audit on the driver with the Chinese line, before any task derives a clock.

Slow (a Spark session, GX's Spark datasource: 40–90 s per profile on the shared 2-core
machine, a few Spark jobs per expectation), and part of `make test`;
skipped only where Java, which Spark runs on, is missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from scale_data import AS_OF, comparable_json as _json, far_apart_csv, sheet_rows
from xfaudit import privacy
from xfaudit.errors import CalendarError
from xfaudit.profile import builtin_profiles
from xfaudit.run import run_check

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(not (os.environ.get("JAVA_HOME") or shutil.which("java")),
                       reason="--engine spark needs Java 17 (no `java` on PATH, no JAVA_HOME): "
                              "install openjdk-17-jre-headless"),
]

#: Rows per Arrow batch: the 30-row ledger goes to the pandas code in several batches.
BATCH = 4


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return far_apart_csv(tmp_path_factory.mktemp("far") / "台账.csv")


@pytest.fixture(scope="module")
def spark(monkeypatch_module):
    from xfaudit.scale import spark as engine

    monkeypatch_module.setattr(engine, "BATCH_ROWS", BATCH)
    session = engine.session("local[2]", BATCH)
    # a 30-row ledger: compiling each of GX's queries costs more than running it (the
    # results do not depend on it; a third off the module's time)
    for key, value in {"spark.sql.codegen.wholeStage": "false",
                       "spark.sql.codegen.factoryMode": "NO_CODEGEN",
                       "spark.sql.adaptive.enabled": "false"}.items():
        session.conf.set(key, value)
    yield session


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("profile", builtin_profiles())
def test_spark_findings_are_the_pandas_findings(ledger, spark, profile, tmp_path):
    by_county = profile == builtin_profiles()[0]   # once: Spark's county split (partitionBy)
    one = run_check(ledger, out_dir=tmp_path / "pandas", as_of=AS_OF, profile=profile,
                    by_county=by_county)
    out = run_check(ledger, out_dir=tmp_path / "spark", as_of=AS_OF, profile=profile,
                    engine="spark", spark_master="local[2]", by_county=by_county)
    assert out.result.engine["batch_rows"] == BATCH
    expected = privacy.mask_result(one.result).findings          # what the files hold
    pd.testing.assert_frame_equal(out.result.findings, expected)
    assert ((tmp_path / "spark" / "findings.csv").read_bytes()
            == (tmp_path / "pandas" / "findings.csv").read_bytes())
    for name in ("summary.json", "validation.json"):
        assert _json(tmp_path / "spark" / name) == _json(tmp_path / "pandas" / name), name
    assert (sheet_rows(tmp_path / "spark" / "findings.xlsx", "临期预警")
            == sheet_rows(tmp_path / "pandas" / "findings.xlsx", "临期预警"))
    units = {p.name for p in (tmp_path / "spark" / "findings.parquet").iterdir()
             if p.name.startswith("handling_unit=")}
    assert {f"handling_unit={u}" for u in expected["handling_unit"].dropna()} <= units
    assert {"DATA_DUPLICATE_ID", "DATA_DUPLICATE_ROW"} <= set(expected["check_id"])
    if by_county:       # each county's workbook and summary are the pandas engine's, to the byte
        assert [c.name for c in out.counties] == [c.name for c in one.counties]
        assert len(out.counties) == 3
        for county in one.counties:
            for file in ("findings.xlsx", "summary.json"):
                assert ((tmp_path / "spark" / "县区" / county.folder.name / file).read_bytes()
                        == (county.folder / file).read_bytes()), (county.name, file)


def test_an_unknown_year_stops_on_the_driver_with_the_chinese_line(spark, tmp_path,
                                                                  monkeypatch, capsys):
    from xfaudit.cli import main
    from xfaudit.model import Extract
    from xfaudit.scale import spark as engine
    from xfaudit.scale.dataset import write_dataset

    frame = pd.DataFrame({"case_id": ["XF1", "XF2"], "handling_unit": ["青石镇", "城南街道"],
                          "received_on": ["2027-01-05", "2027-02-01"],
                          "routing": ["转送", "转送"], "routed_on": [None, "2027-02-03"]})
    folder = write_dataset(Extract.from_frame(frame, "台账2027.csv"), tmp_path / "ds")

    def no_task(*args, **kwargs):
        raise AssertionError("a derive task ran before the calendar was checked")

    monkeypatch.setattr(engine, "_derive_rows", no_task)
    code = main(["check", str(folder), "--as-of", "2027-03-31", "--profile", "zhejiang-example",
                 "--engine", "spark", "--spark-master", "local[2]", "--out",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().endswith(CalendarError(year=2027).message())
    assert "Traceback" not in err and "Py4J" not in err


def test_a_user_error_raised_in_a_task_reaches_the_driver_as_itself():
    from xfaudit.scale.spark import _carried, _user_errors

    def task(batches):
        yield from batches
        raise CalendarError(year=2031)

    with pytest.raises(CalendarError) as caught:
        with _user_errors():
            try:
                list(_carried(task)(iter([1, 2])))
            except RuntimeError as exc:            # what Spark hands the driver: the text
                raise Exception(f"PythonException: {exc}") from None
    assert caught.value.year == 2031
