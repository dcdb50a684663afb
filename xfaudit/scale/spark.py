"""``--engine spark``: the same audit on Spark (``pip install 'xfaudit[spark]'``, Java 17).

The input is the canonical parquet dataset (:mod:`xfaudit.scale.dataset`); every step is the
one of the other engines, placed where Spark runs it:

1. **On the driver, before any task**: the plan (profile, suites, checks evaluated) and the
   holiday table's years, from each start event's earliest and latest date per year
   (:func:`xfaudit.clocks.check_calendar`) — a :class:`~xfaudit.errors.CalendarError` raised
   inside a task would reach the driver as a Python traceback without its class. (A user error
   a task still raises is carried back pickled in the message and raised again as itself.)
2. **Whole-table facts as Spark aggregations**: exact copies (the first row of each group of
   rows equal in every cell), duplicate ids (rows per 信访件编号 among the rows that are not
   copies).
3. **The clock table and the judged ledger by the pandas code, per Arrow batch**
   (``mapInArrow``, ``spark.sql.execution.arrow.maxRecordsPerBatch`` rows each): each batch
   is converted from Arrow to the loader's dtypes by :func:`xfaudit.scale.dataset.frame_of`
   — not by Spark's Arrow-to-pandas conversion, which makes a NULL count a float NaN and text
   a pandas-3 ``str`` column with NaN (SPARK-58625) — and derived by
   :func:`xfaudit.clocks.derive_clocks` and :func:`xfaudit.clocks.judged_ledger`.
4. **Validation**: both suites through GX's Spark datasource, ``result_format="SUMMARY"``
   (GX's counts, kept as ``validation.json``); the failing rows from one Spark filter per suite
   generated from the same suite JSON (:func:`xfaudit.failing.spark_column`), whose counts are
   asserted equal to GX's.
5. **Findings** per Arrow batch of the failing rows by :func:`xfaudit.findings.build_findings`
   (masked), written as parquet partitioned by 责任单位 (``findings.parquet/handling_unit=…``);
   the driver then writes findings.csv (byte for byte the pandas engine's), findings.xlsx,
   summary.json and validation.json with the pandas writers, one check at a time.
6. **临期预警**: one filter selects the rows with a timed deadline in the next days; the driver
   collects them and judges them with :func:`xfaudit.views.due_soon_rows`, as the other
   engines do.
7. **Per county** (``--by-county``): the rows with their facts and the findings as written,
   partitioned by 所属县区 with ``partitionBy`` (:func:`_split_by_county`); the driver then
   writes each county's workbook and letters (:mod:`xfaudit.scale.counties`).

Locally the master is ``local[*]``; on a cluster (``--spark-master spark://host:7077``, or
YARN/Kubernetes through ``spark-submit``) the dataset and the output folder must be on a file
system every executor reads (HDFS, NFS, S3 via ``s3a://`` paths), and each executor needs the
same Python with xfaudit installed (``PYSPARK_PYTHON``).
"""

from __future__ import annotations

import base64
import os
import pickle
import shutil
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit import validate
from xfaudit.audit import Tally, summary_of
from xfaudit.clocks import (ACT_ON, LAST_DAY, OPEN, STATE, TIMED_CHECKS, Clocks, JUDGED,
                            UNJUDGED, check_calendar, clock_schema, derive_clocks,
                            derived_checks, judged_ledger, ledger_positions)
from xfaudit.errors import DependencyError, ValidationEngineError, XfauditError
from xfaudit.failing import rule_of, spark_column
from xfaudit.model import SOURCE_FILE, SOURCE_ROW, Extract
from xfaudit.scale.dataset import Dataset, frame_of, schema_of, table_of
from xfaudit.scale.outputs import FINDING_DTYPES, FindingsParts
from xfaudit.scale.pipeline import COPY_OF, DUPLICATES, Plan, slice_facts, slice_findings
from xfaudit.schema import checks
from xfaudit.suites import CLOCKS, LEDGER, suite_columns
from xfaudit.views import collected_due_soon, due_soon_days, due_soon_rows

#: Rows per Arrow batch handed to the pandas code (``maxRecordsPerBatch``).
BATCH_ROWS = 100_000

#: Rows per Spark partition after a shuffle (the facts' aggregations).
PARTITION_ROWS = 100_000

#: Column the engine adds to the rows beside the whole-table facts (COPY_OF, DUPLICATES):
#: "this row is a copy".
IS_COPY = "__is_copy"

#: Prefix of the per-expectation failure flags.
FAIL = "__fail_"

_ERROR_MARK = "XFAUDIT-USER-ERROR:"


@dataclass
class SparkRun:
    """What the Spark audit produced (besides the findings parts)."""

    summary: dict
    validation: validate.Validation
    parts: FindingsParts
    master: str
    batch_rows: int
    timings: dict = field(default_factory=dict)
    due_soon: pd.DataFrame | None = None


# ---------------------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------------------

def session(master: str | None = None, batch_rows: int | None = None):
    """The Spark session (created, or the running one reconfigured for xfaudit).

    Raises
    ------
    DependencyError
        pyspark is not installed (``pip install 'xfaudit[spark]'``) or Java is missing.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DependencyError("pyspark", "未安装", "xfaudit[spark]（pip install 'xfaudit[spark]'）"
                              ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise DependencyError("Java", "未安装", "Java 17（--engine spark 需要）")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    batch_rows = int(batch_rows or BATCH_ROWS)
    builder = (SparkSession.builder.appName("xfaudit")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(int(batch_rows))))
    if master:
        builder = builder.master(master)
    elif not os.environ.get("SPARK_MASTER") and "spark.master" not in _submitted_conf():
        builder = builder.master("local[*]")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(int(batch_rows)))
    return spark


def _submitted_conf() -> str:
    """The configuration ``spark-submit`` passed (it names the master there)."""
    return os.environ.get("PYSPARK_SUBMIT_ARGS", "")


@contextmanager
def _user_errors():
    """Raise a user error a task raised as itself (Spark gives the driver only its text)."""
    try:
        yield
    except XfauditError:
        raise
    except Exception as exc:
        text = str(exc)
        at = text.find(_ERROR_MARK)
        if at < 0:
            raise
        payload = text[at + len(_ERROR_MARK):].split()[0]
        raise pickle.loads(base64.b64decode(payload)) from None


def _carried(function):
    """A task function whose user errors travel to the driver (see :func:`_user_errors`)."""
    def run(batches):
        try:
            yield from function(batches)
        except XfauditError as exc:
            payload = base64.b64encode(pickle.dumps(exc)).decode("ascii")
            raise RuntimeError(f"{_ERROR_MARK}{payload} {exc}") from None
    return run


# ---------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------

def _spark_schema(dtypes: dict[str, str]):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema_of(dtypes))


def _arrow_table(frame: pd.DataFrame, dtypes: dict[str, str]):
    return table_of(frame[list(dtypes)], schema_of(dtypes), dtypes)


def _frame(table, dtypes: dict[str, str]) -> pd.DataFrame:
    """An Arrow batch as a pandas frame of ``dtypes`` (the boundary: NULL stays NULL)."""
    return frame_of(table.select(list(dtypes)), dtypes)


def _ledger_dtypes(dataset: Dataset, p: Plan) -> dict[str, str]:
    """The judged ledger's columns and dtypes (from an empty extract of the dataset's)."""
    empty = Extract(frame=pd.DataFrame({c: pd.Series(dtype=t) for c, t in dataset.dtypes.items()}),
                    report=replace(dataset.report, unreadable=dataset.report.unreadable.iloc[:0]))
    facts = slice_facts(empty, p.window, np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64"))
    ledger = judged_ledger(empty, facts, columns=suite_columns(p.suites[LEDGER]))
    return {name: str(dtype) for name, dtype in ledger.dtypes.items()}


# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------

def _calendar_first(df, dataset: Dataset, p: Plan) -> None:
    """Step 1: the holiday table covers every year a working-day clock reaches."""
    from pyspark.sql import functions as F

    from xfaudit.clocks import calendar_starts

    needed = [name for name in calendar_starts(p.profiles) if name in dataset.dtypes]
    if not needed:
        return
    starts = {}
    for name in needed:
        column = F.col(f"`{name}`")
        rows = (df.where(column <= F.lit(p.as_of.date()))
                .groupBy(F.year(column)).agg(F.min(column).alias("a"), F.max(column).alias("b"))
                .collect())
        starts[name] = pd.Series(pd.to_datetime([d for r in rows for d in (r["a"], r["b"])]),
                                 dtype="datetime64[ns]")
    check_calendar(starts, p.profiles, p.as_of, p.calendar)


def _with_facts(df, dataset: Dataset):
    """Step 2: each row's copy-of and duplicate-id counts, as Spark aggregations."""
    from pyspark.sql import Window, functions as F

    content = [F.col(f"`{c}`") for c in dataset.dtypes if c != SOURCE_ROW]
    if content:
        group = Window.partitionBy(*content)
        first = F.min(SOURCE_ROW).over(group)
        df = df.withColumn(COPY_OF, F.when(F.col(SOURCE_ROW) != first, first)
                           .otherwise(F.lit(None).cast("long")))
    else:
        df = df.withColumn(COPY_OF, F.lit(None).cast("long"))
    if "case_id" in dataset.dtypes:
        counted = F.when(F.col(COPY_OF).isNull() & F.col("case_id").isNotNull(), 1).otherwise(0)
        df = df.withColumn(DUPLICATES, F.when(
            F.col("case_id").isNotNull(),
            F.sum(counted).over(Window.partitionBy("case_id"))).otherwise(0).cast("long"))
    else:
        df = df.withColumn(DUPLICATES, F.lit(0).cast("long"))
    return df


def _derive_rows(df, dataset: Dataset, p: Plan, unreadable, ledger_dtypes: dict[str, str]):
    """Step 3: the clock table and the judged ledger of every row (one wide frame)."""
    evaluated = list(p.evaluated)
    clock_dtypes = clock_schema(evaluated)
    out_dtypes = {**clock_dtypes, **{c: t for c, t in ledger_dtypes.items()
                                     if c not in clock_dtypes},
                  IS_COPY: "bool", DUPLICATES: "int64"}
    input_dtypes = {**dataset.dtypes, COPY_OF: "Int64", DUPLICATES: "int64"}
    report, source_file = dataset.report, dataset.source_file
    ledger_columns = suite_columns(p.suites[LEDGER])

    def derive(batches):
        import pyarrow as pa

        bad = unreadable.value
        for batch in batches:
            table = pa.Table.from_batches([batch])
            frame = _frame(table, input_dtypes)
            extract = Extract(frame=frame[list(dataset.dtypes)],
                              report=replace(report, path=source_file,
                                             unreadable=bad[bad["source_row"].isin(
                                                 frame[SOURCE_ROW])]))
            facts = slice_facts(extract, p.window, frame[COPY_OF].array,
                                frame[DUPLICATES].to_numpy())
            clocks = derive_clocks(extract, p.profiles, p.as_of, p.calendar, facts)
            ledger = judged_ledger(extract, facts, columns=ledger_columns)
            wide = clocks.frame
            # the judged ledger's rows at their places; a copy's row is NULL (it has none)
            placed = ledger.set_axis(ledger_positions(facts)).reindex(range(len(wide)))
            for name in ledger_dtypes:
                if name not in wide.columns:
                    wide[name] = placed[name].to_numpy()
            wide[IS_COPY] = facts.copy_of.notna().to_numpy()
            wide[DUPLICATES] = frame[DUPLICATES].to_numpy()
            yield from _arrow_table(wide, _loose(out_dtypes)).to_batches()

    return df.mapInArrow(_carried(derive), _spark_schema(_loose(out_dtypes))), out_dtypes


def _loose(dtypes: dict[str, str]) -> dict[str, str]:
    """``dtypes`` with a judged-ledger bool marker nullable (NULL on copies' rows)."""
    return {name: ("boolean" if dtype == "bool" and name != IS_COPY else dtype)
            for name, dtype in dtypes.items()}


def _validate(frames: dict, p: Plan) -> validate.Validation:
    """Step 4: GX's Spark datasource, SUMMARY results, each suite on its frame."""
    import great_expectations as gx

    definition = _spark_batches()
    wanted = {c.value for c in p.evaluated}
    outcomes, not_run, results, sizes, names = [], [], {}, {}, {}
    for frame_name, suite in p.suites.items():
        df = frames[frame_name]
        names[frame_name] = suite["name"]
        sizes[frame_name] = int(df.count())
        specs, skipped = validate._selected(suite, frame_name, df, wanted)
        not_run += skipped
        if specs:
            batch = definition.get_batch(batch_parameters={"dataframe": df})
            result = batch.validate(gx.ExpectationSuite(**{**suite, "expectations":
                                                           validate.numbered(specs)}),
                                    result_format="SUMMARY")
            gx_results = validate.in_spec_order(result.results, specs)
        else:
            gx_results = []
        for spec, r in zip(specs, gx_results, strict=True):
            error = validate._exception_text(r.exception_info)
            if error:
                raise ValidationEngineError(spec["meta"]["check_id"], error)
            outcomes.append(validate._outcome(suite["name"], frame_name, spec, r, None))
        results[suite["name"]] = validate._suite_result(suite, specs, gx_results,
                                                        sizes[frame_name])
    return validate.Validation(outcomes=outcomes, not_run=not_run, results=results,
                               frames=sizes, suites=names)


@cache
def _spark_batches():
    """GX's Spark datasource, asset and whole-frame batch definition (once per process)."""
    return (validate.context().data_sources.add_spark("xfaudit-spark")
            .add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole"))


def _flags(wide, validation: validate.Validation):
    """The failing rows of every expectation run, one filter column each (step 4), and the
    check that each counts what GX counted."""
    from pyspark.sql import functions as F

    columns = []
    for k, outcome in enumerate(validation.outcomes):
        rule = rule_of(outcome.spec)
        flag = spark_column(rule, counts=F.col(DUPLICATES))
        if outcome.frame == LEDGER:
            flag = flag & ~F.col(IS_COPY)
        columns.append(flag.alias(f"{FAIL}{k}"))
    # computed once and kept: the optimizer would otherwise copy every flag's expression
    # into each later filter and projection
    flagged = wide.select("*", *columns).persist()
    if validation.outcomes:
        counts = flagged.agg(*[F.sum(F.col(f"{FAIL}{k}").cast("long")).alias(str(k))
                               for k in range(len(validation.outcomes))]).collect()[0]
        for k, outcome in enumerate(validation.outcomes):
            found = int(counts[str(k)] or 0)      # SUM over no rows is NULL
            if found != outcome.unexpected_count:
                raise ValidationEngineError(
                    outcome.check_id.value,
                    f"Spark 筛选出 {found} 行，GX 统计 {outcome.unexpected_count} 行"
                    f"（{outcome.spec['type']}）")
    return flagged


def _findings(flagged, raw, p: Plan, dataset: Dataset, out_dtypes: dict[str, str],
              validation: validate.Validation, unreadable):
    """Step 5: the findings of the failing rows, per Arrow batch, by the pandas code."""
    from pyspark.sql import functions as F

    k_all = range(len(validation.outcomes))
    any_fail = F.lit(False)
    for k in k_all:
        any_fail = any_fail | F.col(f"{FAIL}{k}")
    failing = flagged.where(any_fail)
    clock_dtypes = clock_schema(list(p.evaluated))
    keep = [*clock_dtypes, DUPLICATES, *[f"{FAIL}{k}" for k in k_all]]
    rows = failing.select(*[F.col(f"`{c}`") for c in keep])
    joined = rows.join(raw.drop(DUPLICATES, COPY_OF), on=SOURCE_ROW, how="inner") \
        if SOURCE_ROW in raw.columns else rows
    input_dtypes = {**{c: t for c, t in dataset.dtypes.items()}, DUPLICATES: "int64",
                    **{c: t for c, t in clock_dtypes.items() if c != SOURCE_ROW},
                    **{f"{FAIL}{k}": "bool" for k in k_all}}
    specs = [(o.suite, o.frame, o.spec) for o in validation.outcomes]
    report, source_file = dataset.report, dataset.source_file
    not_evaluated = list(p.not_evaluated)

    def build(batches):
        import pyarrow as pa

        bad = unreadable.value
        for batch in batches:
            table = pa.Table.from_batches([batch])
            if table.num_rows == 0:
                continue
            frame = _frame(table, input_dtypes)
            frame = frame.sort_values(SOURCE_ROW, kind="stable").reset_index(drop=True)
            extract = Extract(frame=frame[list(dataset.dtypes)],
                              report=replace(report, path=source_file,
                                             unreadable=bad[bad["source_row"].isin(
                                                 frame[SOURCE_ROW])]))
            clocks = Clocks(frame=frame[list(clock_dtypes)], as_of=p.as_of,
                            evaluated=list(p.evaluated), not_evaluated=not_evaluated)
            outcomes = [validate.Outcome(suite=s, frame=f, spec=spec, element_count=0,
                                         missing_count=0, unexpected_count=0,
                                         unexpected_percent=None, success=False,
                                         failing=np.flatnonzero(frame[f"{FAIL}{k}"]
                                                                .to_numpy(dtype=bool)))
                        for k, (s, f, spec) in enumerate(specs)]
            mine = validate.Validation(outcomes=outcomes, not_run=[], results={}, frames={})
            facts = slice_facts(extract, p.window, pd.array([None] * len(frame), dtype="Int64"),
                                frame[DUPLICATES].to_numpy())
            _built, written = slice_findings(extract, facts, clocks, mine, p)
            yield from _arrow_table(written, FINDING_DTYPES).to_batches()

    return joined.mapInArrow(_carried(build), _spark_schema(FINDING_DTYPES))


def _due_soon(wide, raw, p: Plan, dataset: Dataset) -> pd.DataFrame:
    """The 临期预警 table: Spark selects the rows with a timed clock due within the longest
    horizon (a day wider on each side: the exact rule is applied afterwards), the driver
    collects them (a small share of the rows: 605,070 of 10.25M in the benchmark) and
    :func:`xfaudit.views.due_soon_rows` judges them as on the other engines."""
    from pyspark.sql import functions as F

    horizon = due_soon_days()[-1]
    clock_dtypes = clock_schema(list(p.evaluated))
    as_of = F.lit(pd.Timestamp(p.as_of).date())
    due = F.lit(False)
    for cid in TIMED_CHECKS:
        state, last, still_open = f"{cid}{STATE}", f"{cid}{LAST_DAY}", f"{cid}{OPEN}"
        if cid not in p.evaluated or state not in clock_dtypes:
            continue
        left = F.datediff(F.col(f"`{last}`"), as_of)
        due = due | ((F.col(f"`{state}`") == JUDGED) & F.coalesce(F.col(f"`{still_open}`"),
                                                                   F.lit(False))
                     & (left >= 0) & (left <= horizon + 1))
    rows = wide.where(due).select(*[F.col(f"`{c}`") for c in clock_dtypes])
    joined = rows.join(raw.drop(DUPLICATES, COPY_OF), on=SOURCE_ROW, how="inner")
    dtypes = {**dataset.dtypes, **{c: t for c, t in clock_dtypes.items() if c != SOURCE_ROW}}
    frame = _frame(joined.toArrow(), dtypes)
    frame = frame.sort_values(SOURCE_ROW, kind="stable").reset_index(drop=True)
    return collected_due_soon([due_soon_rows(frame[list(clock_dtypes)], p.evaluated,
                                             frame[list(dataset.dtypes)], p.as_of, horizon)])


def _tally(wide, findings, p: Plan) -> Tally:
    """The summary's counts as Spark aggregations."""
    from pyspark.sql import functions as F

    coverage = {cid: {"applicable": 0, "judged": 0, "unjudged": 0} for cid in checks()}
    derived = [cid for cid in derived_checks(p.evaluated)]
    if derived:
        sums = []
        for cid in derived:
            state = F.col(f"{cid}{STATE}")
            sums += [F.sum((state == JUDGED).cast("long")).alias(f"{cid}:j"),
                     F.sum((state == UNJUDGED).cast("long")).alias(f"{cid}:u")]
        row = wide.agg(*sums).collect()[0]
        for cid in derived:
            judged, unjudged = int(row[f"{cid}:j"] or 0), int(row[f"{cid}:u"] or 0)
            coverage[cid] = {"applicable": judged + unjudged, "judged": judged,
                             "unjudged": unjudged}
    members = (wide.groupBy("profile").agg(F.count("*").alias("n"),
                                           F.min(SOURCE_ROW).alias("first"))
               .orderBy("first").collect())
    # 超期仍未办 as xfaudit.findings.open_overdue defines it (NULL days_late: not overdue)
    overdue = ((F.col("kind") == "accountability") & F.col("is_open")
               & (F.coalesce(F.col("days_late"), F.lit(0)) > 0))
    per_check = (findings.groupBy("check_id")
                 .agg(F.count("*").alias("n"), F.sum(F.col("is_open").cast("long")).alias("o"),
                      F.sum(overdue.cast("long")).alias("od"),
                      F.sum(F.col("waived").cast("long")).alias("w")).collect())
    units = (findings.where(F.col("handling_unit").isNotNull())
             .groupBy("handling_unit", "check_id").count().collect())
    return Tally(coverage=coverage,
                 members={r["profile"]: int(r["n"]) for r in members},
                 findings={r["check_id"]: {"findings": int(r["n"]), "open": int(r["o"] or 0),
                                           "open_overdue": int(r["od"] or 0),
                                           "waived": int(r["w"] or 0)} for r in per_check},
                 by_unit={(r["handling_unit"], r["check_id"]): int(r["count"]) for r in units})


def _split_by_county(rows, written, raw, dataset: Dataset, split) -> None:
    """``--by-county``: the rows with their whole-table facts, and the findings as written
    with their rows' 所属县区, into the split's folders partitioned by county (each county's
    rows in one task; the driver then writes each county with the pandas writers)."""
    from pyspark.sql import functions as F

    from xfaudit.scale.counties import COUNTY, FINDINGS, ROWS

    keep = [F.col(f"`{c}`") for c in dataset.dtypes] + [F.col(COPY_OF), F.col(DUPLICATES)]
    (rows.select(*keep).repartition(COUNTY).write.mode("overwrite")
     .partitionBy(COUNTY).parquet(str(split.folder / ROWS)))
    if written is None:
        return
    placed = written.join(raw.select(SOURCE_ROW, COUNTY), on=SOURCE_ROW, how="inner")
    (placed.repartition(COUNTY).write.mode("overwrite")
     .partitionBy(COUNTY).parquet(str(split.folder / FINDINGS)))


# ---------------------------------------------------------------------------------------------
# The audit
# ---------------------------------------------------------------------------------------------

def audit_dataset(dataset: Dataset, p: Plan, folder: Path, *, master: str | None = None,
                  batch_rows: int | None = None,
                  progress: Callable[[str], None] | None = None, split=None) -> SparkRun:
    """Audit a canonical dataset on Spark (see the module docstring).

    Parameters
    ----------
    dataset : Dataset
    p : Plan
    folder : Path
        Where the findings are written (``folder/findings.parquet``, partitioned by unit);
        on a cluster a path every executor can write.
    master : str, optional
        ``local[*]`` (default), ``local[2]``, ``spark://host:7077`` …
    batch_rows : int, optional
        Rows per Arrow batch handed to the pandas code (default :data:`BATCH_ROWS`).
    split : xfaudit.scale.counties.Split, optional
        ``--by-county``: Spark writes the rows with their facts and the findings into the
        split's folders, partitioned by 所属县区 (:func:`_split_by_county`).
    """
    say = progress or (lambda _text: None)
    batch_rows = int(batch_rows or BATCH_ROWS)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    spark = session(master, batch_rows)
    # one partition per PARTITION_ROWS rows: each Spark job costs a task per partition, and
    # GX runs a few jobs per expectation
    spark.conf.set("spark.sql.shuffle.partitions", str(max(1, -(-dataset.rows // PARTITION_ROWS))))
    timings["spark session"] = time.perf_counter() - started
    from pyspark.sql import functions as F

    step = time.perf_counter()
    paths = [str(path) for path in dataset.paths]
    raw = (spark.read.schema(_spark_schema(dataset.dtypes)).parquet(*paths) if paths
           else spark.createDataFrame([], _spark_schema(dataset.dtypes)))
    with _user_errors():
        _calendar_first(raw, dataset, p)
        timings["calendar check"] = time.perf_counter() - step
        step = time.perf_counter()
        unreadable = spark.sparkContext.broadcast(dataset.report.unreadable)
        rows = _with_facts(raw, dataset)
        wide, out_dtypes = _derive_rows(rows, dataset, p, unreadable, _ledger_dtypes(dataset, p))
        wide = wide.persist()
        total = wide.count()
        timings["facts and derive"] = time.perf_counter() - step
        say(f"  已推导 {total} 行的期限")
        step = time.perf_counter()
        clock_columns = [F.col(f"`{c}`") for c in clock_schema(list(p.evaluated))]
        ledger_columns = [F.col(f"`{c}`") for c in _ledger_dtypes(dataset, p)]
        frames = {LEDGER: wide.where(~F.col(IS_COPY)).select(*ledger_columns),
                  CLOCKS: wide.select(*clock_columns)}
        validation = _validate(frames, p)
        timings["validate (GX on Spark)"] = time.perf_counter() - step
        step = time.perf_counter()
        flagged = _flags(wide, validation)
        findings = _findings(flagged, raw, p, dataset, out_dtypes, validation, unreadable)
        target = Path(folder) / "findings.parquet"
        # one task per unit: a task writing many units' files at once holds a buffer each
        (findings.repartition("handling_unit").write.mode("overwrite")
         .partitionBy("handling_unit").parquet(str(target)))
        written = spark.read.schema(_spark_schema(FINDING_DTYPES)).parquet(str(target)) \
            if target.exists() else None
        tally = _tally(wide, written if written is not None else findings, p)
        timings["findings"] = time.perf_counter() - step
        step = time.perf_counter()
        due = _due_soon(wide, raw, p, dataset)
        timings["due soon"] = time.perf_counter() - step
        if split is not None:
            step = time.perf_counter()
            _split_by_county(rows, written, raw, dataset, split)
            timings["split by county"] = time.perf_counter() - step
        wide.unpersist()
    summary = summary_of(dataset.report, p.not_evaluated, tally, p.profiles, p.as_of)
    parts = FindingsParts.partitioned(target)
    return SparkRun(summary=summary, validation=validation, parts=parts,
                    master=spark.sparkContext.master, batch_rows=batch_rows, timings=timings,
                    due_soon=due)
