"""Jobs: the library calls behind ``xfaudit check`` (and, in monthly.py, the monthly run).

A job writes into a temporary folder beside its target and moves the files into place only
when everything was written, so a failed run never leaves half an output over a good one. The
output folder is checked before any work starts and locked for the whole run
(:mod:`xfaudit.outdir`); staging folders of killed runs are removed under the lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from xfaudit import outdir, overlap, privacy, validate
from xfaudit.audit import AuditResult, audit, date_window
from xfaudit.errors import ConfigError, OutputError, XfauditError
from xfaudit.io.sniff import check_exists
from xfaudit.load import load_extract
from xfaudit.scale.dataset import is_dataset


@dataclass
class CheckOutput:
    """What ``run_check`` produced (``result`` as audited, before masking)."""

    result: AuditResult
    paths: dict[str, Path]
    bureau: str | None = None          # the configured bureau's name (None: not configured)
    counties: list = field(default_factory=list)   # scale.counties.CountyOutput (--by-county)


@contextmanager
def staging_dir(target: Path):
    """A temporary folder next to ``target`` (same file system, so moving is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def publish(files: dict[str, Path], out_dir: Path) -> dict[str, Path]:
    """Move staged files into ``out_dir`` (each with an atomic rename)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    placed = {}
    for key, path in files.items():
        final = out_dir / path.name
        if final.exists() and (path.is_dir() or final.is_dir()):   # a folder (Spark's
            # findings.parquet, partitioned by unit) replaces a file or a folder
            from xfaudit.monthly import replace_dir

            replace_dir(path, final)
            if path.is_dir():        # after a swap, the staged path holds the earlier output
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
        else:
            os.replace(path, final)
        placed[key] = final
    return placed


def run_check(extract_path, *, out_dir, as_of=None, profile: str = "auto", holidays=None,
              sheet=None, mapping=None, header_row=None, units=None,
              mask_personal_data: bool = True, config=None,
              progress: Callable[[str], None] | None = None, engine: str = "pandas",
              chunk_rows: int | None = None, spark_master: str | None = None,
              by_county: bool = False, counties=None, period=None) -> CheckOutput:
    """Load an extract, audit it, and write findings.csv, findings.xlsx, summary.json and
    validation.json (what Great Expectations said, per expectation).

    Personal data is masked in every file written (:func:`xfaudit.privacy.mask_result`)
    unless ``mask_personal_data`` is False; then findings.csv and findings.xlsx carry it and
    are marked :data:`xfaudit.privacy.UNMASKED_NOTICE` in their first line / sheet banner.

    Parameters
    ----------
    extract_path : path of the extract (several: a list), a canonical dataset folder, or a
        database table or query (:class:`xfaudit.scale.sql.SqlSource`)
    out_dir : folder to write into (created if needed)
    as_of, profile, holidays : see :func:`xfaudit.audit.audit`
    sheet, mapping, header_row, units : see :func:`xfaudit.load.load_extract`
    mask_personal_data : bool
        Mask petitioners' names, phones, id numbers and house numbers (default True).
    config : path, dict or AccountabilityConfig, optional
        The bureau's configuration (``bureau.toml``, :func:`xfaudit.config.load_config`):
        its issuer is the duty-holder of registration where the ledger names no 登记部门.
    progress : callable, optional
        Receives short Chinese progress lines.
    engine : {"pandas", "chunked", "spark"}
        ``pandas`` audits the extract in one pass; ``chunked`` in chunks of ``chunk_rows``
        rows, ``spark`` on Spark (``spark_master``, default ``local[*]``), both from the
        canonical dataset (:mod:`xfaudit.scale`; ``extract_path`` may be one) and both also
        writing findings.parquet. Every engine writes the same findings.csv.
    by_county : bool
        Also write each county's findings.xlsx and summary.json (and, for a county whose bureau
        ``counties`` configures, its letters) into ``out_dir/县区/<county>/``
        (:mod:`xfaudit.scale.counties`); needs the 所属县区 field.
    counties : path, optional
        The county bureaus' folder: ``<county>/bureau.toml`` and ``<county>/registers/``.
    period : str, optional
        The month of the counties' letters (default: the as-of date's month).

    Raises
    ------
    OutputError
        ``out_dir`` cannot be written (checked before the audit starts) or writing failed
        (a full disk).
    FolderLockedError
        Another run holds ``out_dir`` (see :mod:`xfaudit.outdir`).
    """
    from xfaudit.config import load_config

    from xfaudit.dates import parse_period

    say = progress or (lambda _text: None)
    bureau = load_config(config).issuer         # a bad file stops here, before any work
    if by_county:
        from xfaudit.scale.counties import check_configs

        counties = check_configs(counties)
    period = parse_period(period).label if period is not None else None
    paths = list(extract_path) if isinstance(extract_path, (list, tuple)) else [extract_path]
    sql = hasattr(extract_path, "url")             # a database table or query
    for path in [] if sql else paths:   # a mistyped extract name stops before any output
        if not is_dataset(path):        # folder is made (a dataset is a folder)
            check_exists(Path(path))
    out_dir = outdir.prepare(out_dir)
    shown = extract_path.name if sql else Path(paths[0]).name
    with outdir.FolderLock(out_dir, command=f"xfaudit check {shown}"):
        outdir.sweep(out_dir)
        if engine != "pandas":
            validate.preload()
            return _run_scaled(extract_path, out_dir, engine=engine, as_of=as_of,
                               profile=profile, holidays=holidays, sheet=sheet,
                               mapping=mapping, header_row=header_row, units=units,
                               mask=mask_personal_data, say=say, chunk_rows=chunk_rows,
                               spark_master=spark_master, bureau=bureau,
                               by_county=by_county, counties=counties, period=period)
        say("读取台账…")
        with overlap.at_native_parse(validate.preload):    # GX imports beside calamine's parse
            extract = _load_one_piece(extract_path, out_dir, sheet=sheet, mapping=mapping,
                                      header_row=header_row,
                                      date_window=date_window(profile, as_of), units=units)
        if by_county:
            from xfaudit.scale.counties import require_county

            require_county(extract.frame.columns, Path(extract.report.path).name)
        say(f"核查 {extract.report.rows_kept} 件事项…")
        result = audit(extract, as_of=as_of, profile=profile, holidays=holidays, bureau=bureau)
        say("写出问题清单…")
        written = privacy.mask_result(result, enabled=mask_personal_data,
                                       drop_from_extract=True)
        done = []
        try:
            with _county_stage(by_county, out_dir, counties) as stage:
                if stage is not None:
                    done = _one_piece_counties(result, written.findings, stage, counties,
                                               mask_personal_data, say, holidays, period)
                paths = _write_outputs(written, out_dir, mask_personal_data, result.timings)
                if stage is not None:
                    paths["counties"] = _publish_counties(done, stage, out_dir)
        except XfauditError:
            raise
        except OSError as exc:
            raise OutputError.from_os_error(out_dir, exc) from None
    return CheckOutput(result=result, paths=paths, bureau=bureau, counties=done)


@contextmanager
def _county_stage(by_county: bool, out_dir: Path, configs):
    """``--by-county``: a staging folder for the counties' outputs, and the county bureaus'
    folder locked from reading their registers until they are replaced (two runs sharing
    ``--counties`` take turns, as two monthly runs sharing a reports folder do). Yields None
    without ``--by-county``."""
    if not by_county:
        yield None
        return
    with contextlib.ExitStack() as stack:
        if configs is not None:
            stack.enter_context(outdir.FolderLock(configs, command="xfaudit check --by-county"))
        yield stack.enter_context(staging_dir(out_dir / "counties"))


def _one_piece_counties(result: AuditResult, findings, stage: Path, configs, mask: bool,
                        say, holidays=None, period=None) -> list:
    """``--by-county`` after a one-pass audit: the extract and its findings split by county,
    then written county by county into ``stage`` (:mod:`xfaudit.scale.counties`)."""
    from xfaudit.audit import legal_calendar
    from xfaudit.clocks import table_facts
    from xfaudit.scale.counties import Split
    from xfaudit.scale.pipeline import Plan

    extract, clocks = result.extract, result.clocks
    p = Plan(profiles=result.profiles, as_of=result.as_of, calendar=legal_calendar(holidays),
             window=result.profiles.date_window(result.as_of), suites={},
             evaluated=clocks.evaluated, not_evaluated=clocks.not_evaluated, mask=mask)
    facts = table_facts(extract, p.window)
    dtypes = {name: str(dtype) for name, dtype in extract.frame.dtypes.items()}
    split = Split(stage / "split", dtypes)
    split.add(extract.frame, facts.copy_of.array, facts.duplicate_ids, findings)
    return _write_counties(split, dtypes, extract.report, p, stage, configs, mask, say, period)


def _write_counties(split, dtypes, report, p, stage: Path, configs, mask: bool, say,
                    period=None) -> list:
    """Write every county of ``split`` into ``stage/县区`` (published by
    :func:`_publish_counties` once the run's own outputs are in place)."""
    from xfaudit.recommend.model import default_period
    from xfaudit.scale import counties

    say("按县区写出问题清单和文书…")
    return counties.write_counties(split.folder, dtypes, report, p, stage,
                                   configs=configs, period=period or default_period(p.as_of),
                                   marking=None if mask else privacy.UNMASKED_NOTICE,
                                   progress=say)


def _publish_counties(done: list, stage: Path, out_dir: Path) -> Path:
    """The staged ``县区`` folder into ``out_dir`` with the counties' registers (after the
    run's own outputs: a failure before leaves every register as it was)."""
    from xfaudit.scale import counties

    target = out_dir / counties.COUNTIES_DIR
    counties.publish(done, stage / counties.COUNTIES_DIR, target)
    return target


def _load_one_piece(extract_path, out_dir: Path, **options):
    """The extract in one piece; a database table (:class:`xfaudit.scale.sql.SqlSource`) is
    read in chunks into a temporary canonical dataset first, then loaded from it."""
    if not hasattr(extract_path, "url"):
        return load_extract(extract_path, **options)
    from xfaudit.scale import DEFAULT_CHUNK_ROWS
    from xfaudit.scale.dataset import convert

    with staging_dir(out_dir / "dataset") as tmp:
        folder = convert(extract_path, tmp / "dataset", rows=DEFAULT_CHUNK_ROWS, **options)
        return load_extract(folder)


def _run_scaled(extract_path, out_dir: Path, *, engine: str, as_of, profile, holidays, sheet,
                mapping, header_row, units, mask: bool, say, chunk_rows: int | None,
                spark_master: str | None, bureau: str | None = None, by_county: bool = False,
                counties=None, period=None) -> CheckOutput:
    """``xfaudit check --engine chunked|spark``: the extract as a canonical dataset, audited
    by the engine; outputs staged and published like the pandas engine's."""
    import time

    from xfaudit.scale import DEFAULT_CHUNK_ROWS, ENGINES
    from xfaudit.scale.chunked import audit_dataset, extract_stub
    from xfaudit.scale.dataset import prepared
    from xfaudit.scale.outputs import ScaledResult, write_outputs
    from xfaudit.scale.pipeline import plan

    if engine not in ENGINES:
        raise ConfigError(None, f"未知的审计引擎“{engine}”，可选：{'、'.join(ENGINES)}")
    rows = int(chunk_rows or DEFAULT_CHUNK_ROWS)
    marking = None if mask else privacy.UNMASKED_NOTICE
    started = time.perf_counter()
    with staging_dir(out_dir / "findings") as tmp:
        say("读取台账…")
        dataset = prepared(extract_path, tmp / "dataset", rows=rows,
                           date_window=date_window(profile, as_of), sheet=sheet,
                           mapping=mapping, header_row=header_row, units=units)
        timings = {"load": time.perf_counter() - started}
        p = plan(dataset.fields_present, as_of=as_of, profile=profile, holidays=holidays,
                 bureau=bureau, mask=mask)
        split = None
        if by_county:
            from xfaudit.scale.counties import Split, require_county

            require_county(dataset.fields_present, dataset.source_file)
            split = Split(tmp / "split", dataset.dtypes)
        say(f"核查 {dataset.report.rows_kept} 件事项（{engine}）…")
        if engine == "chunked":
            run = audit_dataset(dataset, p, tmp / "parts", chunk_rows=rows, progress=say,
                                split=split)
            info = {"name": "chunked", "chunk_rows": rows, "chunks": run.chunks}
        else:
            from xfaudit.scale.spark import audit_dataset as spark_audit

            run = spark_audit(dataset, p, tmp / "parts", master=spark_master,
                              progress=say, split=split)
            info = {"name": "spark", "master": run.master,
                    "batch_rows": run.batch_rows}
        timings.update(run.timings)
        say("写出问题清单…")
        step = time.perf_counter()
        out = tmp / "out"
        stub = extract_stub(dataset)
        try:
            out.mkdir()
            staged = write_outputs(run.parts, out, summary=run.summary,
                                   validation=run.validation, extract=stub, as_of=p.as_of,
                                   marking=marking, profiles=p.profiles,
                                   due_soon=run.due_soon,
                                   extra={"timings": timings, "mask_personal_data": mask,
                                          "engine": info})
            timings["write"] = time.perf_counter() - step
            done = []
            with _county_stage(split is not None, out_dir, counties) as stage:
                if stage is not None:
                    step = time.perf_counter()
                    done = _write_counties(split, dataset.dtypes, dataset.report, p, stage,
                                           counties, mask, say, period)
                    timings["counties"] = time.perf_counter() - step
                paths = publish(staged, out_dir)
                if stage is not None:
                    paths["counties"] = _publish_counties(done, stage, out_dir)
        except XfauditError:
            raise
        except OSError as exc:
            raise OutputError.from_os_error(out_dir, exc) from None
    result = ScaledResult(summary=run.summary, validation=run.validation, extract=stub,
                          profiles=p.profiles, as_of=p.as_of,
                          findings_path=paths.get("parquet"), timings=timings, engine=info,
                          due_soon=run.due_soon)
    return CheckOutput(result=result, paths=paths, bureau=bureau, counties=done)


#: findings.csv is written beside findings.xlsx (:mod:`xfaudit.beside`) up to this many
#: findings. The child reads every finding, and copy-on-write then copies their memory: with
#: the 376,043 findings of a million rows the run's peak (the parent and the child together)
#: went from 2.6 to 3.1 GiB, past the 3 GiB a million rows may take.
CSV_BESIDE_MAX_FINDINGS = 200_000


def _write_outputs(result: AuditResult, out_dir: Path, masked: bool,
                   timings: dict) -> dict[str, Path]:
    """Stage findings.csv, findings.xlsx and summary.json, then move them into ``out_dir``
    (findings.csv written beside findings.xlsx where the system forks: :mod:`xfaudit.beside`)."""
    from xfaudit.beside import Beside
    from xfaudit.writers import findings_csv, summary_json, validation_json, workbook

    marking = None if masked else privacy.UNMASKED_NOTICE
    fork = len(result.findings) <= CSV_BESIDE_MAX_FINDINGS
    with staging_dir(out_dir / "findings") as tmp, \
            Beside(findings_csv.write, result, tmp / "findings.csv", marking=marking,
                   fork=fork) as csv:
        xlsx = workbook.write(result, tmp / "findings.xlsx", marking=marking)
        staged = {
            "csv": csv.result(),
            "xlsx": xlsx,
            "summary": summary_json.write(result, tmp / "summary.json",
                                          extra={"timings": timings,
                                                 "mask_personal_data": masked,
                                                 "engine": {"name": "pandas"}}),
            "validation": validation_json.write(result, tmp / "validation.json"),
        }
        return publish(staged, out_dir)
