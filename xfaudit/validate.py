"""Run the suites with Great Expectations: keep GX's own results and every check's failing rows.

The fast path (measured in benchmarks/): each frame goes to GX as slim frames on a fresh
RangeIndex — the single-column rules without a row condition share one batch of just their
columns; a column-pair rule or one with a row condition gets a batch of only its columns (GX
copies the whole batch for ``ignore_row_if`` and row conditions, once per metric); a text
column read only by not-null, unique and in-set rules goes as integer codes (:func:`_slim`);
GX gets each expectation without its long ``meta`` (put back on the results: GX copies a
configuration's ``meta`` each time it rebuilds one). ``result_format`` is COMPLETE with
``return_unexpected_index_query=False``; the positions GX returns index the frame, and through
the frame's row map the extract. An expectation that errors raises
:class:`ValidationEngineError`, never reads as "no findings".

What GX said is kept as :class:`Validation`: per suite one ``ExpectationSuiteValidationResult``
(GX's own object, merged over the batches, index lists dropped — what Data Docs renders) and
per expectation its rows evaluated, unexpected count and percent (``validation.json``).
"""

from __future__ import annotations

import logging
import math
import os
import threading
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from xfaudit.errors import DependencyError, ValidationEngineError
from xfaudit.schema import CheckId
from xfaudit.suites import condition_columns, expectation_columns

RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False,
                 "partial_unexpected_count": 0}

#: The Great Expectations releases (major.minor, lowest included, highest excluded) whose
#: internals this module reaches into (the ``ProgressBarsConfig`` import path, the batch
#: manager :func:`_forget` clears) were read and tested against. pyproject.toml bounds the
#: dependency to the same range; importing another version stops with a DependencyError
#: (:func:`check_gx_version`), and ``tests/test_dependencies.py`` fails, so an upgrade is
#: checked before it ships.
GX_CHECKED = ((1, 24), (1, 25))

#: How many failing values of each expectation the kept results show (Data Docs' samples).
SAMPLE_VALUES = 10

_lock = threading.Lock()


def gx_version() -> str:
    """The installed Great Expectations version (without importing it)."""
    from importlib import metadata

    return metadata.version("great_expectations")


def internals_checked(version: str | None = None) -> bool:
    """Whether this GX version's internals were checked (:data:`GX_CHECKED`)."""
    try:
        check_gx_version(version or gx_version())
    except DependencyError:
        return False
    return True


def check_gx_version(version: str) -> None:
    """Raise :class:`~xfaudit.errors.DependencyError` unless ``version`` is in
    :data:`GX_CHECKED` (a newer GX may have moved what :func:`_forget` frees)."""
    try:
        major_minor = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        major_minor = None
    low, high = GX_CHECKED
    if major_minor is None or not low <= major_minor < high:
        raise DependencyError("great-expectations", version,
                              f"{low[0]}.{low[1]}.x" if high == (low[0], low[1] + 1)
                              else f">={low[0]}.{low[1]},<{high[0]}.{high[1]}")


def _gx_moved(what: str) -> DependencyError:
    """The error for a GX internal xfaudit reaches (``what``) that is not where the
    :data:`GX_CHECKED` releases keep it."""
    low, _high = GX_CHECKED
    return DependencyError("great-expectations", gx_version(),
                           f"{low[0]}.{low[1]}.x（{what} 已变化）")


def preload() -> threading.Thread:
    """Import Great Expectations in the background (it costs 6–10 s) while the extract loads."""
    thread = threading.Thread(target=_context, daemon=True)
    thread.start()
    return thread


#: What GX imports when it is imported but xfaudit never calls into: scipy.stats and altair
#: (for a KL-divergence expectation and two KS tests) and jsonschema (a JSON-schema metric);
#: about 0.8 s of GX's import. See :mod:`xfaudit.deferred`.
GX_UNUSED_IMPORTS = ("scipy.stats", "altair", "jsonschema")


def _import_gx():
    """Import GX about a second faster, its behaviour unchanged: the modules of
    :data:`GX_UNUSED_IMPORTS` are deferred to their first use (:func:`xfaudit.deferred.defer`),
    which on xfaudit's paths never comes. (jsonschema deferred also spares its optional
    IRI-syntax checker, rfc3987_syntax, which builds a grammar for about 1.2 s at import.)"""
    from xfaudit.deferred import defer

    defer(*GX_UNUSED_IMPORTS)
    import great_expectations as gx

    return gx


@cache
def _context():
    """One ephemeral (never cloud: ``mode="ephemeral"`` always builds a local context),
    offline, silent GX context per process, with a pandas datasource."""
    with _lock:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        gx = _import_gx()
        check_gx_version(gx.__version__)
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        ctx = gx.get_context(mode="ephemeral")
        _silence_progress_bars(ctx)
        batch_definition = (ctx.data_sources.add_pandas("xfaudit")
                            .add_dataframe_asset("frame")
                            .add_batch_definition_whole_dataframe("whole"))
        return ctx, batch_definition


def _silence_progress_bars(ctx) -> None:
    """tqdm bars off (``TQDM_DISABLE`` does not reach GX); the config class has no public
    import path, so only on a checked version."""
    if not internals_checked():
        return
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)


def context():
    """The process's GX data context (for Data Docs)."""
    return _context()[0]


def _exception_text(info) -> str | None:
    """The error message of a GX result, if the expectation raised."""
    if not info:
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    for value in info.values():  # keyed by metric id
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message") or "未知错误"
    return None


# ---------------------------------------------------------------------------------------------
# What GX said
# ---------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """One expectation's result.

    ``failing`` holds row positions in the audited extract (not written to JSON).
    """

    suite: str
    frame: str
    spec: dict
    element_count: int
    missing_count: int
    unexpected_count: int
    unexpected_percent: float | None
    success: bool
    failing: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))

    @property
    def check_id(self) -> CheckId:
        return CheckId(self.spec["meta"]["check_id"])

    @property
    def rows_evaluated(self) -> int:
        return self.element_count - self.missing_count

    def to_dict(self) -> dict:
        meta = self.spec["meta"]
        return {"type": self.spec["type"], "columns": expectation_columns(self.spec),
                "check_id": meta["check_id"], "check_name": meta["check_name"],
                "severity": self.spec.get("severity"), "description": self.spec.get("description"),
                "rows_evaluated": self.rows_evaluated, "unexpected_count": self.unexpected_count,
                "unexpected_percent": self.unexpected_percent, "success": self.success}


@dataclass
class NotRun:
    """An expectation of the suite that was not run, and why (Chinese)."""

    suite: str
    frame: str
    spec: dict
    reason: str

    def to_dict(self) -> dict:
        meta = self.spec["meta"]
        return {"type": self.spec["type"], "columns": expectation_columns(self.spec),
                "check_id": meta["check_id"], "check_name": meta["check_name"],
                "reason": self.reason}


@dataclass
class Validation:
    """Everything Great Expectations said about one audit.

    Attributes
    ----------
    outcomes : list of Outcome
        Per expectation run, in suite order (ledger suite first).
    not_run : list of NotRun
        Expectations of checks not evaluated, or on columns the extract lacks.
    results : dict
        Suite name → GX ``ExpectationSuiteValidationResult`` (index lists dropped, at most
        :data:`SAMPLE_VALUES` failing values per expectation): what Data Docs renders.
    frames : dict
        Frame name → rows it held.
    suites : dict
        Frame name → suite name.
    rows : dict
        Frame name → the extract row position of each of its rows (frames aligned with the
        extract are not listed).
    """

    outcomes: list[Outcome]
    not_run: list[NotRun]
    results: dict
    frames: dict[str, int]
    suites: dict[str, str] = field(default_factory=dict)
    rows: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    def failing(self, checks: list[CheckId] | None = None) -> dict[CheckId, np.ndarray]:
        """Check → sorted unique extract row positions that fail any of its expectations."""
        out: dict[CheckId, np.ndarray] = {c: np.empty(0, np.int64) for c in checks or []}
        for o in self.outcomes:
            cid = o.check_id
            if checks is None or cid in out:
                out[cid] = np.union1d(out.get(cid, np.empty(0, np.int64)), o.failing)
        return out

    def statistics(self) -> dict:
        good = sum(o.success for o in self.outcomes)
        n = len(self.outcomes)
        return {"evaluated_expectations": n, "successful_expectations": good,
                "unsuccessful_expectations": n - good,
                "success_percent": round(100 * good / n, 4) if n else None}

    def to_dict(self) -> dict:
        """``validation.json``: per suite and expectation what GX found (strict JSON, no row
        lists)."""
        suites = []
        for frame, name in self.suites.items():
            mine = [o for o in self.outcomes if o.suite == name]
            suites.append({
                "suite": name, "frame": frame, "rows": self.frames.get(frame, 0),
                "success": all(o.success for o in mine),
                "expectations": [o.to_dict() for o in mine],
                "not_run": [n.to_dict() for n in self.not_run if n.suite == name]})
        return {"great_expectations_version": gx_version(), "success": self.success,
                "statistics": self.statistics(), "suites": suites}


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------

def _batches(specs: list[dict]) -> list[list[int]]:
    """Which expectations share a slim batch: every single-column rule without a row
    condition in one; every other one alone, with only its columns — GX copies the whole batch
    for a pair's ``ignore_row_if`` and for a row condition, once per metric it computes."""
    shared = [i for i, s in enumerate(specs)
              if "column" in s["kwargs"] and "row_condition" not in s["kwargs"]]
    alone = [[i] for i in sorted(set(range(len(specs))) - set(shared))]
    return ([shared] if shared else []) + alone


def _selected(suite: dict, frame_name: str, frame: pd.DataFrame, evaluated: set[str]
              ) -> tuple[list[dict], list[NotRun]]:
    from xfaudit.schema import header_of

    run, skipped = [], []
    for spec in suite["expectations"]:
        cid = spec["meta"]["check_id"]
        missing = [c for c in expectation_columns(spec) if c not in frame.columns]
        if cid not in evaluated:
            skipped.append(NotRun(suite["name"], frame_name, spec, "检查项未评估（台账缺少所需的列）"))
        elif missing:
            skipped.append(NotRun(suite["name"], frame_name, spec,
                                  "台账中没有" + "、".join(header_of(c) for c in missing)))
        else:
            run.append(spec)
    return run, skipped


def row_local(spec: dict) -> bool:
    """Whether an expectation judges each row by that row alone (a chunk can run it on its
    own rows); ``expect_column_values_to_be_unique`` needs every row of the frame."""
    from xfaudit.failing import rule_of

    return rule_of(spec).row_local


def run_suites(suites: dict[str, dict], frames: dict[str, pd.DataFrame],
               evaluated: list[CheckId], rows: dict[str, np.ndarray] | None = None, *,
               select=None, decoders: dict[str, dict] | None = None) -> Validation:
    """Validate each frame against its suite.

    Parameters
    ----------
    suites : dict
        Frame name → suite dict (``suites.suite_dicts``).
    frames : dict
        Frame name → the frame (``ledger``: the judged ledger; ``clocks``: the clock table).
    evaluated : list of CheckId
        The checks to run (expectations of other checks are listed as not run).
    rows : dict, optional
        Frame name → the extract row position of each of its rows (default: the frame's own
        positions).
    select : callable, optional
        Only the expectations for which ``select(spec)`` is true are run (or listed as not
        run); an engine that sees the rows in chunks runs the :func:`row_local` ones per chunk
        and the others once on the whole-table columns, then :func:`combine` s the parts.
    decoders : dict, optional
        Frame name → {column: the value of each code} for a column passed already encoded as
        integer codes (its failing values are shown decoded).

    Returns
    -------
    Validation
    """
    wanted = {c.value for c in evaluated}
    outcomes, not_run, results, sizes, names = [], [], {}, {}, {}
    for frame_name, suite in suites.items():
        frame = frames[frame_name]
        names[frame_name] = suite["name"]
        sizes[frame_name] = int(len(frame))
        chosen = suite if select is None else {
            **suite, "expectations": [e for e in suite["expectations"] if select(e)]}
        specs, skipped = _selected(chosen, frame_name, frame, wanted)
        not_run += skipped
        row_map = (rows or {}).get(frame_name)
        gx_results = _run_one(suite, specs, frame, (decoders or {}).get(frame_name))
        for spec, r in zip(specs, gx_results, strict=True):
            outcomes.append(_outcome(suite["name"], frame_name, spec, r, row_map))
        results[suite["name"]] = _suite_result(suite, specs, gx_results, len(frame))
    return Validation(outcomes=outcomes, not_run=not_run, results=results, frames=sizes,
                      suites=names, rows=dict(rows or {}))


def _run_one(suite: dict, specs: list[dict], frame: pd.DataFrame,
             decoders: dict | None = None) -> list:
    """GX's result of every expectation in ``specs``, in order."""
    import great_expectations as gx

    _ctx, batch_definition = _context()
    out: list = [None] * len(specs)
    with _lock, _without_batch_fingerprints(), _configurations_built_once():
        _validate_groups(gx, suite, specs, frame, batch_definition, out, decoders)
    return out


def _validate_groups(gx, suite: dict, specs: list[dict], frame: pd.DataFrame,
                     batch_definition, out: list, decoders: dict | None = None) -> None:
    """Validate ``specs`` batch by batch (:func:`_batches`), filling ``out`` in spec order
    (``decoders``: per encoded column, the text of each code, as :func:`_slim` gives)."""
    for group in _batches(specs):
        members = [specs[i] for i in group]
        slim, decode, as_run = _slim(frame, members)
        decode.update(decoders or {})
        part = gx.ExpectationSuite(**{**suite, "expectations": numbered(as_run)})
        batch = batch_definition.get_batch(batch_parameters={"dataframe": slim})
        del slim
        try:
            result = batch.validate(part, result_format=RESULT_FORMAT)
        finally:
            _forget(batch)
        for i, r in zip(group, in_spec_order(result.results, members), strict=True):
            error = _exception_text(r.exception_info)
            if error:
                raise ValidationEngineError(specs[i]["meta"]["check_id"], error)
            _decode_values(r, decode)
            out[i] = r


@contextmanager
def _without_batch_fingerprints():
    """GX's pandas engine without its batch fingerprint, for our validations only.

    GX marks every pandas batch smaller than ``HASH_THRESHOLD`` bytes with an MD5 of pandas'
    hash of all its rows, at both batch loads of a ``Batch.validate``: about a third of GX's
    time at a million rows (6.9 → 4.6 s of CPU measured), for a batch marker nothing here
    reads. The threshold is a module constant of GX's engine (internals, as in the
    :data:`GX_CHECKED` releases); it is set to 0 only while our batches are validated and
    restored afterwards, so a user's own GX batches in the same process keep their marker.
    The caller holds ``_lock`` (two validations in threads must not restore each other's).

    Raises
    ------
    DependencyError
        The constant is not where GX 1.24 keeps it.
    """
    from great_expectations.execution_engine import pandas_execution_engine as engine

    if not hasattr(engine, "HASH_THRESHOLD"):
        raise _gx_moved("HASH_THRESHOLD")
    threshold, engine.HASH_THRESHOLD = engine.HASH_THRESHOLD, 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = threshold


@contextmanager
def _configurations_built_once():
    """GX's expectations build their configuration once per validation of ours.

    GX 1.x's ``Expectation.configuration`` is a property that builds a new
    ``ExpectationConfiguration`` from the expectation's fields (a pydantic ``dict()``, its
    class name turned snake case) each time a step of the validation asks — about 150 times
    per expectation, a quarter of GX's time on the 100k-row benchmark (0.9 → 0.7 s). While
    our batches are validated, the property returns, per expectation object, the
    configuration it built first: GX's validation reads it and changes neither the
    expectation nor the configuration in between (the failing rows, the results and
    validation.json are the same with and without, tested). The property is put back
    afterwards (a user's own GX validations in the same process build theirs as before).
    The caller holds ``_lock``, as for :func:`_without_batch_fingerprints`.

    Raises
    ------
    DependencyError
        ``configuration`` is not the property GX 1.24 defines.
    """
    import inspect

    from great_expectations.expectations.expectation import Expectation

    built = inspect.getattr_static(Expectation, "configuration", None)
    if not isinstance(built, property):
        raise _gx_moved("Expectation.configuration")
    kept: dict[int, tuple] = {}

    def once(expectation):
        entry = kept.get(id(expectation))
        if entry is None or entry[0] is not expectation:       # an id reused: build anew
            entry = kept[id(expectation)] = (expectation, built.fget(expectation))
        return entry[1]

    Expectation.configuration = property(once, doc=built.__doc__)
    try:
        yield
    finally:
        Expectation.configuration = built


#: The ``meta`` key that numbers the expectations handed to GX (removed from its results).
_POSITION = "xfaudit_position"

#: What GX keeps of an expectation while it validates; the rest (``meta`` with the rules of
#: every profile, ``notes``) is put back on its results by :func:`in_spec_order`.
_LIGHT_KEYS = ("type", "kwargs", "description", "severity")


def numbered(specs: list[dict]) -> list[dict]:
    """``specs`` as GX gets them: numbered in ``meta`` (see :func:`in_spec_order`), and
    without the long ``meta`` and ``notes`` — GX rebuilds an expectation's configuration,
    ``meta`` deep-copied, about 150 times per validation (1.3 s of 3.5 at a million rows)."""
    return [{**{k: spec[k] for k in _LIGHT_KEYS if k in spec},
             "meta": {"check_id": spec["meta"]["check_id"], _POSITION: i}}
            for i, spec in enumerate(specs)]


def in_spec_order(results, specs: list[dict]) -> list:
    """GX's results of the :func:`numbered` ``specs`` in their order (GX evaluates, and
    returns, the expectations of one column together: a suite's order is not kept), each
    with its expectation's own ``kwargs``, full ``meta`` and ``notes`` back (what Data Docs
    shows)."""
    ordered = sorted(results, key=lambda r: r.expectation_config.meta[_POSITION])
    for r, spec in zip(ordered, specs, strict=True):
        config = r.expectation_config
        config.kwargs = {**config.kwargs, **deepcopy(spec["kwargs"])}   # GX's batch_id kept
        config.meta = deepcopy(spec.get("meta", {}))
        if "notes" in spec:
            config.notes = spec["notes"]
    return ordered


#: Expectation types whose verdict on a row does not change when the column's values are
#: relabelled one to one (NULL kept NULL).
RELABEL_SAFE = frozenset({"expect_column_values_to_not_be_null",
                          "expect_column_values_to_be_unique"})
#: The same, with the value set relabelled too.
_RELABEL_SAFE_WITH_SETS = RELABEL_SAFE | {"expect_column_values_to_be_in_set"}


def relabel_safe(specs: list[dict], column: str, types=RELABEL_SAFE) -> bool:
    """Whether every expectation of ``specs`` that reads ``column`` is of ``types`` and reads
    it as its own column only (not in a row condition, its value set a list): then the
    column may go to GX as codes."""
    return all(s["type"] in types and s["kwargs"].get("column") == column
               and column not in condition_columns(s["kwargs"].get("row_condition"))
               and isinstance(s["kwargs"].get("value_set", []), (list, tuple))
               for s in specs if column in expectation_columns(s))


#: The code given to a value of a value set that the column does not hold (no row has it).
_ABSENT = -1


def _slim(frame: pd.DataFrame, specs: list[dict]) -> tuple[pd.DataFrame, dict, list[dict]]:
    """The batch GX gets: only the columns ``specs`` read, on a fresh RangeIndex.

    A text column that only not-null, unique and in-set rules read, each as its own column
    (not in a row condition), goes as its factorized codes (Int64, NULL kept NULL) and the
    in-set rules' value sets as the same codes: those rules judge the codes row for row as
    they would the text, and GX reads codes far faster than a million Python strings.
    Returns the batch, per encoded column the text of each code (to show failing values as
    text), and ``specs`` as GX must run them (value sets relabelled; :func:`in_spec_order`
    puts the original ones back on the results).
    """
    columns = list(dict.fromkeys(c for s in specs for c in expectation_columns(s)))
    slim = frame[columns].reset_index(drop=True)
    decode, relabelled = {}, list(specs)
    for column in columns:
        if slim[column].dtype != object or not relabel_safe(specs, column,
                                                             _RELABEL_SAFE_WITH_SETS):
            continue
        codes, uniques = pd.factorize(slim[column], use_na_sentinel=True)
        slim[column] = pd.arrays.IntegerArray(codes.astype(np.int64), codes < 0)
        decode[column] = np.asarray(uniques, dtype=object)
        relabelled = [_with_coded_value_set(s, uniques) if s["kwargs"].get("column") == column
                      and "value_set" in s["kwargs"] else s for s in relabelled]
    return slim, decode, relabelled


def _with_coded_value_set(spec: dict, uniques) -> dict:
    """``spec`` with its value set as the codes of those values among ``uniques`` (the
    factorized column's values; :data:`_ABSENT` for a value no row holds, so the set is
    never empty)."""
    found = pd.Index(uniques).get_indexer(list(spec["kwargs"]["value_set"]))
    codes = sorted({int(code) for code in found} | {_ABSENT})
    return {**spec, "kwargs": {**spec["kwargs"], "value_set": codes}}


def _decode_values(r, decode: dict) -> None:
    """Failing values of an encoded column back to their text."""
    column = r.expectation_config.kwargs.get("column")
    if column not in decode or not r.result.get("unexpected_list"):
        return
    table = decode[column]
    values = [v if v is None or pd.isna(v) else table[int(v)]
              for v in r.result["unexpected_list"]]
    r.result["unexpected_list"] = [v.as_py() if hasattr(v, "as_py") else v for v in values]


def _outcome(suite: str, frame: str, spec: dict, r, row_map: np.ndarray | None) -> Outcome:
    result = r.result
    positions = np.asarray(result.get("unexpected_index_list") or [], dtype=np.int64)
    if row_map is not None:
        positions = np.asarray(row_map, dtype=np.int64)[positions]
    percent = result.get("unexpected_percent")
    if percent is None or (isinstance(percent, float) and math.isnan(percent)):
        percent = None
    return Outcome(suite=suite, frame=frame, spec=spec,
                   element_count=int(result.get("element_count") or 0),
                   missing_count=int(result.get("missing_count") or 0),
                   unexpected_count=int(result.get("unexpected_count") or 0),
                   unexpected_percent=None if percent is None else float(percent),
                   success=bool(r.success), failing=np.unique(positions))


def _slimmed(r):
    """An expectation result without its index list, with a small readable sample of failing
    values (dates as 2026-10-31; a failing pair A ≥ B as ``A < B``)."""
    result = dict(r.result)
    result.pop("unexpected_index_list", None)
    result.pop("unexpected_index_query", None)
    values = list(result.pop("unexpected_list", None) or [])[:SAMPLE_VALUES]
    if values:
        result["partial_unexpected_list"] = [_readable(v) for v in values]
    r.result = result
    return r


def _readable(value):
    if isinstance(value, (tuple, list)):
        return " < ".join(str(_readable(v)) for v in value)
    if isinstance(value, (np.datetime64, pd.Timestamp)):
        return "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _suite_result(suite: dict, specs: list[dict], gx_results: list, rows: int, *,
                  slim: bool = True):
    """One GX ``ExpectationSuiteValidationResult`` for a suite run as several batches."""
    from great_expectations.core import ExpectationSuiteValidationResult

    kept = [_slimmed(r) for r in gx_results] if slim else list(gx_results)
    good = sum(bool(r.success) for r in kept)
    statistics = {"evaluated_expectations": len(kept), "successful_expectations": good,
                  "unsuccessful_expectations": len(kept) - good,
                  "success_percent": 100 * good / len(kept) if kept else None}
    meta = {"great_expectations_version": gx_version(),
            "active_batch_definition": {"datasource_name": "xfaudit",
                                        "data_asset_name": suite["meta"]["frame"],
                                        "batch_identifiers": {"rows": rows}},
            "batch_spec": {"data_asset_name": suite["meta"]["frame"], "rows": rows},
            "xfaudit": {"frame": suite["meta"]["frame"], "rows": rows,
                        "expectations_not_run": len(suite["expectations"]) - len(specs)}}
    return ExpectationSuiteValidationResult(success=good == len(kept), results=kept,
                                            suite_name=suite["name"], statistics=statistics,
                                            meta=meta)


# ---------------------------------------------------------------------------------------------
# Validations of parts of the rows, combined
# ---------------------------------------------------------------------------------------------

def combine(parts: list[Validation], suites: dict[str, dict], frames: dict[str, int]
            ) -> Validation:
    """One validation from validations of parts of the rows (chunks, and the whole-table
    pass of the expectations that are not :func:`row_local`).

    Per expectation GX's element, missing and unexpected counts are summed and the percent
    recomputed as GX computes it (of the rows evaluated); success is every part's (a map
    expectation succeeds where no row is unexpected). The failing row positions are not kept
    (each part's findings were built from its own). GX's suite results are combined the same
    way, their failing-value samples pooled (at most :data:`SAMPLE_VALUES`).

    Parameters
    ----------
    parts : list of Validation
        In row order.
    suites : dict
        Frame name → suite dict (the ones the parts ran: the same objects).
    frames : dict
        Frame name → the rows of the whole frame.
    """
    order = {}
    for s_index, suite in enumerate(suites.values()):
        for e_index, spec in enumerate(suite["expectations"]):
            order[id(spec)] = (s_index, e_index)
    totals: dict[int, Outcome] = {}
    results: dict[int, list] = {}
    not_run: dict[int, NotRun] = {}
    for part in parts:
        for outcome in part.outcomes:
            key = id(outcome.spec)
            seen = totals.get(key)
            totals[key] = outcome if seen is None else _summed(seen, outcome)
        for name, result in part.results.items():   # results are in the outcomes' order
            mine = [o for o in part.outcomes if o.suite == name]
            for outcome, r in zip(mine, result.results, strict=True):
                results.setdefault(id(outcome.spec), []).append(r)
        for skipped in part.not_run:
            not_run.setdefault(id(skipped.spec), skipped)
    outcomes = sorted(totals.values(), key=lambda o: order[id(o.spec)])
    merged_results = {}
    for frame_name, suite in suites.items():
        mine = [o for o in outcomes if o.suite == suite["name"]]
        gx_results = [_merged_result(results[id(o.spec)]) for o in mine]
        merged_results[suite["name"]] = _suite_result(suite, [o.spec for o in mine],
                                                      gx_results, frames.get(frame_name, 0),
                                                      slim=False)
    return Validation(outcomes=outcomes,
                      not_run=sorted(not_run.values(), key=lambda n: order[id(n.spec)]),
                      results=merged_results, frames=dict(frames),
                      suites={f: s["name"] for f, s in suites.items()})


def _summed(a: Outcome, b: Outcome) -> Outcome:
    element = a.element_count + b.element_count
    missing = a.missing_count + b.missing_count
    unexpected = a.unexpected_count + b.unexpected_count
    return Outcome(suite=a.suite, frame=a.frame, spec=a.spec, element_count=element,
                   missing_count=missing, unexpected_count=unexpected,
                   unexpected_percent=gx_percent(unexpected, element, element - missing),
                   success=a.success and b.success)


def gx_percent(unexpected: int, element_count: int, nonnull: int) -> float | None:
    """GX's ``unexpected_percent``: of the rows evaluated (non-missing), None without any."""
    if element_count <= 0 or nonnull <= 0:
        return None
    return unexpected / nonnull * 100


def _merged_result(parts: list):
    """One GX ExpectationValidationResult from those of the parts (counts summed)."""
    first = deepcopy(parts[0])
    if len(parts) == 1:
        return first
    counts = {key: sum(int(p.result.get(key) or 0) for p in parts)
              for key in ("element_count", "missing_count", "unexpected_count")}
    result = dict(first.result)
    result.update(counts)
    element, missing, unexpected = (counts["element_count"], counts["missing_count"],
                                    counts["unexpected_count"])
    if "missing_percent" in result:
        result["missing_percent"] = missing / element * 100 if element else None
    if "unexpected_percent_total" in result:
        result["unexpected_percent_total"] = unexpected / element * 100 if element else None
    percent = gx_percent(unexpected, element, element - missing)
    result["unexpected_percent"] = percent
    if "unexpected_percent_nonmissing" in result:
        result["unexpected_percent_nonmissing"] = percent
    samples = [v for p in parts for v in p.result.get("partial_unexpected_list") or []]
    if "partial_unexpected_list" in result:
        result["partial_unexpected_list"] = samples[:SAMPLE_VALUES]
    first.result = result
    first.success = all(bool(p.success) for p in parts)
    return first


def _forget(batch) -> None:
    """Drop GX's hold on a validated batch.

    The execution engine keeps the last batch and its data (the slim frame, hundreds of MB
    for a million rows) in its batch manager until the next validation; nothing reads them
    after ``validate`` returns. This reaches into GX internals (the batch manager and its
    private cache) as they are in the :data:`GX_CHECKED` releases (checked when GX is
    imported); if they moved anyway, the error says so instead of silently keeping the memory.

    Raises
    ------
    DependencyError
        The batch manager is not where GX 1.24 keeps it.
    """
    try:
        manager = batch.data.execution_engine.batch_manager
        manager.reset_batch_cache()
        manager.batch_data_cache.pop(batch.id, None)
    except (AttributeError, TypeError):
        raise _gx_moved("batch_manager") from None


# ---------------------------------------------------------------------------------------------
# The same comparisons without GX
# ---------------------------------------------------------------------------------------------

def reference_failing(spec: dict, frame: pd.DataFrame) -> np.ndarray:
    """The rows of ``frame`` an expectation fails, computed with numpy/pandas — the same
    comparisons as GX on the same columns (benchmarks and the tests' cross-check), from the
    rule :mod:`xfaudit.failing` reads in the expectation."""
    from xfaudit.failing import pandas_mask, rule_of

    return np.flatnonzero(pandas_mask(rule_of(spec), frame))
