"""``--engine chunked``: the audit in bounded-memory chunks of rows (no new dependency).

1. **Whole-table facts first** — one pass over the canonical dataset: each row's content hash
   (exact copies: :func:`xfaudit.clocks.copies_of`) and its case id (duplicate ids: the ids
   dictionary-encoded by Arrow, counted with :func:`xfaudit.clocks.duplicate_counts`). Only
   these per-row values are held, never the rows.
2. **The expectations that need the whole table** (``expect_column_values_to_be_unique`` on
   信访件编号) run once through GX on that one column, as integer codes.
3. **Each chunk**: its doubtful cells (row-local), :func:`~xfaudit.clocks.derive_clocks`, GX on
   its judged ledger and clock table (the row-local expectations), its findings (with its rows
   of step 2's failing rows), masked, written as a part; the summary counts and GX's counts
   are added up (:class:`~xfaudit.audit.Tally`, :func:`xfaudit.validate.combine`).
4. **Merge**: the parts are read back one check at a time in the one-pass order into
   findings.csv (byte for byte the pandas engine's), findings.parquet and findings.xlsx
   (:mod:`xfaudit.scale.outputs`).

Peak memory is one chunk's audit plus the per-row facts (about 30 bytes a row); see
benchmarks/README.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit import validate
from xfaudit.audit import Tally, summary_of
from xfaudit.clocks import (content_hashes, copies_of, derive_clocks, duplicate_counts,
                            judged_ledger, ledger_positions)
from xfaudit.model import SOURCE_ROW, Extract
from xfaudit.scale import DEFAULT_CHUNK_ROWS
from xfaudit.scale.dataset import Dataset, frame_of
from xfaudit.scale.outputs import FindingsParts
from xfaudit.scale.pipeline import (Plan, slice_facts, slice_findings, spec_order,
                                    with_outcomes)
from xfaudit.suites import CLOCKS, LEDGER, suite_columns
from xfaudit.views import collected_due_soon, due_soon_days, due_soon_rows


@dataclass
class WholeFacts:
    """The whole-table facts of a dataset, per row in source order.

    Attributes
    ----------
    copy_of : ndarray (Int64)
        The source row each row is an exact copy of, or NA.
    duplicate_ids : ndarray (int64)
        Distinct rows sharing the row's case id.
    id_codes : ndarray (int64) or None
        The case id of each row as a code into ``ids`` (-1: empty); None without 信访件编号.
    ids : pyarrow.Array or None
        The distinct case ids.
    """

    copy_of: pd.arrays.IntegerArray
    duplicate_ids: np.ndarray
    id_codes: np.ndarray | None = None
    ids: object = None

    @property
    def copy(self) -> np.ndarray:
        return ~np.asarray(self.copy_of.isna())


def whole_facts(dataset: Dataset, rows: int) -> WholeFacts:
    """Step 1: one pass over the dataset for exact copies and duplicate ids."""
    import pyarrow as pa

    hashes, numbers, ids = [], [], []
    has_ids = "case_id" in dataset.dtypes
    for table in dataset.batches(rows):
        frame = frame_of(table, dataset.dtypes)
        found = content_hashes(frame)
        if found is not None:
            hashes.append(found)
        numbers.append(frame[SOURCE_ROW].to_numpy())
        if has_ids:
            ids.append(table.column("case_id"))
        del frame
    source_rows = np.concatenate(numbers) if numbers else np.zeros(0, dtype="int64")
    copy_of = copies_of(np.concatenate(hashes) if hashes else None, source_rows)
    copy = copy_of.notna().to_numpy()
    if not has_ids:
        return WholeFacts(copy_of=copy_of.array, duplicate_ids=np.zeros(len(copy), "int64"))
    encoded = pa.chunked_array([c for part in ids for c in part.chunks],
                               type=pa.string()).combine_chunks().dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
    return WholeFacts(copy_of=copy_of.array, duplicate_ids=duplicate_counts(codes, copy),
                      id_codes=codes, ids=encoded.dictionary)


def whole_table_validation(facts: WholeFacts, p: Plan) -> validate.Validation:
    """Step 2: the expectations that need every row, on the whole-table columns."""
    keep = ~facts.copy
    positions = np.flatnonzero(keep)
    columns = {}
    decoders = {}
    if facts.id_codes is not None:
        codes = facts.id_codes[keep]
        columns["case_id"] = pd.arrays.IntegerArray(np.maximum(codes, 0), codes < 0)
        decoders["case_id"] = facts.ids
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(positions)))
    return validate.run_suites({LEDGER: p.suites[LEDGER]}, {LEDGER: frame}, p.evaluated,
                               rows={LEDGER: positions},
                               select=lambda spec: not validate.row_local(spec),
                               decoders={LEDGER: decoders})


@dataclass
class ChunkedRun:
    """What the chunked audit produced (besides the parts)."""

    summary: dict
    validation: validate.Validation
    parts: FindingsParts
    chunks: int
    timings: dict = field(default_factory=dict)
    due_soon: pd.DataFrame | None = None


def audit_dataset(dataset: Dataset, p: Plan, folder: Path, *,
                  chunk_rows: int = DEFAULT_CHUNK_ROWS,
                  progress: Callable[[str], None] | None = None,
                  split=None) -> ChunkedRun:
    """Audit a canonical dataset in chunks of ``chunk_rows`` rows.

    Parameters
    ----------
    dataset : Dataset
    p : Plan
        Built from the dataset's fields (:func:`xfaudit.scale.pipeline.plan`).
    folder : Path
        Where the findings parts are written (a staging folder).
    chunk_rows : int
        Rows per chunk (peak memory grows with it).
    split : xfaudit.scale.counties.Split, optional
        Also hand each chunk's rows (with their whole-table facts) and findings over to the
        per-county outputs (``--by-county``).

    Returns
    -------
    ChunkedRun
        The summary (as :func:`xfaudit.audit.summarize` gives it), the combined validation and
        the findings parts, ready for :func:`xfaudit.scale.outputs.merge`.
    """
    say = progress or (lambda _text: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    chunk_rows = max(int(chunk_rows), 1)
    facts = whole_facts(dataset, max(chunk_rows, 100_000))
    timings["facts"] = time.perf_counter() - started
    step = time.perf_counter()
    whole = whole_table_validation(facts, p)
    timings["validate (whole-table rules)"] = time.perf_counter() - step
    order = spec_order(p.suites)
    ledger_columns = suite_columns(p.suites[LEDGER])
    parts = FindingsParts(folder)
    tally, validations, offset, n_chunks = Tally(), [whole], 0, 0
    horizon, due = due_soon_days()[-1], []
    times = {"derive": 0.0, "validate": 0.0, "findings": 0.0}
    for chunk in dataset.chunks(chunk_rows):
        n = len(chunk.frame)
        here = slice(offset, offset + n)
        sliced = slice_facts(chunk, p.window, facts.copy_of[here], facts.duplicate_ids[here])
        step = time.perf_counter()
        clocks = derive_clocks(chunk, p.profiles, p.as_of, p.calendar, sliced)
        times["derive"] += time.perf_counter() - step
        step = time.perf_counter()
        ledger = judged_ledger(chunk, sliced, columns=ledger_columns)
        mine = validate.run_suites(p.suites, {LEDGER: ledger, CLOCKS: clocks.frame},
                                   p.evaluated, rows={LEDGER: ledger_positions(sliced)},
                                   select=validate.row_local)
        del ledger
        validations.append(mine)
        times["validate"] += time.perf_counter() - step
        step = time.perf_counter()
        theirs = [replace(o, failing=o.failing[(o.failing >= offset)
                                               & (o.failing < offset + n)] - offset)
                  for o in whole.outcomes]
        built, written = slice_findings(chunk, sliced, clocks,
                                        with_outcomes(mine, theirs, order), p)
        tally = tally.add(Tally.of(clocks, built))
        parts.add(written)
        if split is not None:
            split.add(chunk.frame, facts.copy_of[here], facts.duplicate_ids[here], written)
        due.append(due_soon_rows(clocks.frame, p.evaluated, chunk.frame, p.as_of, horizon))
        times["findings"] += time.perf_counter() - step
        offset += n
        n_chunks += 1
        say(f"  已核查 {offset} / {dataset.rows} 行")
        del clocks, built, written, chunk
    timings.update(times)
    rows = {LEDGER: int((~facts.copy).sum()), CLOCKS: dataset.rows}
    validation = validate.combine(validations, p.suites, rows)
    summary = summary_of(dataset.report, p.not_evaluated, tally, p.profiles, p.as_of)
    return ChunkedRun(summary=summary, validation=validation, parts=parts, chunks=n_chunks,
                      timings=timings, due_soon=collected_due_soon(due))


def extract_stub(dataset: Dataset) -> Extract:
    """An Extract holding the dataset's report and columns but no rows (for writers that read
    only the ingest report and which fields the extract has)."""
    return Extract(frame=pd.DataFrame({name: pd.Series(dtype=dtype)
                                       for name, dtype in dataset.dtypes.items()}),
                   report=dataset.report)
