"""Findings that never sit in memory all at once: parts on disk, merged in the one-pass order.

An engine that works in slices of rows writes each slice's findings as a part
(:class:`FindingsParts`); :func:`merge` then reads them back one check at a time — the
one-pass order is check (report order), handling unit, source row — and writes findings.csv
(byte for byte the pandas engine's), findings.parquet and, while the findings fit in a
worksheet, findings.xlsx with the existing writers. Beyond that the workbook keeps its summary
sheets and says in Chinese where the findings are (:func:`xfaudit.writers.workbook.write`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xfaudit.findings import empty_findings
from xfaudit.model import FINDING_COLUMNS
from xfaudit.scale.dataset import frame_of, schema_of, table_of
from xfaudit.schema import checks

#: The findings' pandas dtypes (``findings.empty_findings``), which the parts keep.
FINDING_DTYPES = {name: str(dtype) for name, dtype in empty_findings().dtypes.items()}


@dataclass
class FindingsParts:
    """Findings written as parquet parts in a folder, one per slice, in row order."""

    folder: Path
    parts: list[Path] = field(default_factory=list)
    rows: int = 0
    by_unit: bool = False       # a dataset partitioned by handling_unit (Spark writes one)

    def __post_init__(self):
        self.folder = Path(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def partitioned(cls, folder) -> "FindingsParts":
        """The findings Spark wrote, partitioned by 责任单位 (``handling_unit=…/*.parquet``)."""
        import pyarrow.dataset as ds

        folder = Path(folder)
        parts = cls(folder, by_unit=True)
        parts.parts = sorted(p for p in folder.rglob("*.parquet")
                             if not any(x.startswith((".", "_")) for x in p.relative_to(folder).parts))
        parts.rows = ds.dataset(folder, format="parquet", partitioning=_unit_partitioning()
                                ).count_rows() if parts.parts else 0
        return parts

    def add(self, findings: pd.DataFrame) -> None:
        """Keep one slice's findings (any order; :func:`merge` orders them)."""
        import pyarrow.parquet as pq

        path = self.folder / f"part-{len(self.parts):06d}.parquet"
        pq.write_table(table_of(findings[FINDING_COLUMNS], schema_of(FINDING_DTYPES)), path)
        self.parts.append(path)
        self.rows += len(findings)

    def by_check(self):
        """(check id, that check's findings in the one-pass order), check by check."""
        import pyarrow.dataset as ds

        if not self.parts:
            return
        if self.by_unit:
            data = ds.dataset(self.folder, format="parquet", schema=schema_of(FINDING_DTYPES),
                              partitioning=_unit_partitioning())
        else:
            data = ds.dataset([str(p) for p in self.parts], format="parquet",
                              schema=schema_of(FINDING_DTYPES))
        for cid in checks():
            table = data.to_table(filter=ds.field("check_id") == cid.value,
                                  columns=FINDING_COLUMNS)
            if table.num_rows:
                yield cid.value, ordered(frame_of(table, FINDING_DTYPES))

    def everything(self) -> pd.DataFrame:
        """All findings in the one-pass order (only when they fit in memory)."""
        pieces = [frame for _cid, frame in self.by_check()]
        if not pieces:
            return empty_findings()
        return pd.concat(pieces, ignore_index=True)


def _unit_partitioning():
    import pyarrow as pa
    import pyarrow.dataset as ds

    return ds.partitioning(pa.schema([("handling_unit", pa.string())]), flavor="hive")


def ordered(findings: pd.DataFrame) -> pd.DataFrame:
    """One check's findings in the one-pass order: handling unit (empty last), source row."""
    return findings.sort_values(["handling_unit", "source_row"], kind="stable",
                                na_position="last").reset_index(drop=True)


def one_pass_order(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings of several checks in the one-pass order: check by check (checks.toml order),
    each :func:`ordered` — as :meth:`FindingsParts.everything` reads them back."""
    rank = findings["check_id"].map({cid.value: k for k, cid in enumerate(checks())})
    return (findings.assign(__rank=rank.to_numpy())
            .sort_values(["__rank", "handling_unit", "source_row"], kind="stable",
                         na_position="last")
            .drop(columns="__rank").reset_index(drop=True))


def merge(parts: FindingsParts, out: Path, *, marking: str | None = None) -> dict[str, Path]:
    """Write findings.csv and findings.parquet from the parts (one check in memory at a time).
    Findings already partitioned by unit (Spark's) are moved as they are to
    ``findings.parquet/`` instead of being written again as one file.

    Returns
    -------
    dict
        ``csv`` and ``parquet`` → the files written in ``out``.
    """
    import shutil

    import pyarrow.parquet as pq

    from xfaudit.writers import findings_csv

    out = Path(out)
    schema = schema_of(FINDING_DTYPES)
    writer = None if parts.by_unit else pq.ParquetWriter(out / "findings.parquet", schema)
    try:
        def pieces():
            yielded = False
            for _cid, frame in parts.by_check():
                if writer is not None:
                    writer.write_table(table_of(frame, schema))
                yielded = True
                yield frame
            if not yielded:
                yield empty_findings()

        csv = findings_csv.write_pieces(pieces(), out / "findings.csv", marking=marking)
    finally:
        if writer is not None:
            writer.close()
    if parts.by_unit:
        shutil.move(str(parts.folder), str(out / "findings.parquet"))
        parts.folder = out / "findings.parquet"
    return {"csv": csv, "parquet": out / "findings.parquet"}


# ---------------------------------------------------------------------------------------------
# The outputs of an engine run
# ---------------------------------------------------------------------------------------------

#: Findings up to which the chunked and Spark engines write them into findings.xlsx (beyond,
#: the workbook holds the summary sheets and says where the findings are).
WORKBOOK_FINDINGS = 1_048_573


@dataclass
class ScaledResult:
    """What an engine past one machine produced: the summary, GX's validation, the ingest
    report, and the findings as written (findings.parquet; masked unless ``--no-mask``).

    It answers like :class:`xfaudit.audit.AuditResult` for what the command line and the
    writers read (``summary``, ``validation``, ``extract.report``, ``as_of``, ``profiles``);
    ``findings`` reads the written file (for tests and small audits).
    """

    summary: dict
    validation: object
    extract: object
    profiles: object
    as_of: pd.Timestamp
    findings_path: Path | None = None
    timings: dict = field(default_factory=dict)
    engine: dict = field(default_factory=dict)
    due_soon: pd.DataFrame | None = None

    @property
    def findings(self) -> pd.DataFrame:
        """The findings as written, shown in a notebook like ``AuditResult.findings``."""
        import pyarrow.parquet as pq

        from xfaudit.audit import all_findings

        path = self.findings_path
        if path is None or not Path(path).exists():
            frame = empty_findings()
        elif Path(path).is_dir():
            frame = FindingsParts.partitioned(path).everything()
        else:
            frame = frame_of(pq.read_table(path), FINDING_DTYPES)
        return all_findings(frame, self.profiles)


@dataclass
class _View:
    """The attributes the pandas writers read, for one call."""

    summary: dict
    findings: pd.DataFrame
    as_of: pd.Timestamp
    extract: object
    validation: object = None
    profiles: object = None
    due_soon: pd.DataFrame | None = None


def write_outputs(parts: FindingsParts, out: Path, *, summary: dict, validation, extract,
                  as_of, marking: str | None, extra: dict, profiles=None,
                  due_soon: pd.DataFrame | None = None) -> dict[str, Path]:
    """findings.csv, findings.parquet, findings.xlsx, summary.json and validation.json of an
    engine run, into ``out`` (a staging folder); ``due_soon`` is the 临期预警 table the engine
    collected (:func:`xfaudit.views.sort_due_soon`)."""
    from xfaudit.writers import summary_json, validation_json, workbook

    out = Path(out)
    paths = merge(parts, out, marking=marking)
    view = _View(summary=summary, findings=empty_findings(), as_of=pd.Timestamp(as_of),
                 extract=extract, validation=validation, profiles=profiles, due_soon=due_soon)
    if parts.rows <= WORKBOOK_FINDINGS:
        view.findings = parts.everything()
        paths["xlsx"] = workbook.write(view, out / "findings.xlsx", marking=marking)
    else:
        counts = None
        for _cid, frame in parts.by_check():
            part = workbook.unit_counts(frame)
            counts = part if counts is None else counts.add(part, fill_value=0).fillna(0)
        note = (f"问题共 {parts.rows:,} 条，超过本工作簿的容量（{WORKBOOK_FINDINGS:,} 条），"
                "明细未写入本工作簿；完整清单见同一目录的 findings.csv 和 findings.parquet。")
        paths["xlsx"] = workbook.write(view, out / "findings.xlsx", marking=marking,
                                       left_out=note, counts=counts)
    paths["summary"] = summary_json.write(view, out / "summary.json", extra=extra)
    paths["validation"] = validation_json.write(view, out / "validation.json")
    return paths
