"""The canonical parquet dataset: a loaded extract on disk, for the engines past one machine.

``xfaudit load EXTRACT --to-parquet DIR`` (or :func:`write_dataset`) writes the canonical
frame the loader produces — ``source_row`` and the canonical fields, nothing re-read or
re-guessed — as parquet files any engine reads in chunks (``--engine chunked``), as one Spark
DataFrame (``--engine spark``: ``spark.read.parquet(DIR)``) or whole (``--engine pandas``:
:func:`xfaudit.load.load_extract` accepts the folder). Layout::

    DIR/part-00000.parquet …     the rows in source order, ``rows_per_file`` rows per file
    DIR/_xfaudit/dataset.json    the ingest report, the fields and their dtypes, the window
    DIR/_xfaudit/unreadable.parquet   the unreadable cells (``report.unreadable``)

Column types: dates ``date32`` (a day, no time, no zone), counts ``int64``, yes/no ``bool``,
text ``string``; every missing cell is NULL (never NaN). Reading restores the loader's dtypes
exactly (``datetime64[ns]``, ``Int64``, ``boolean``, ``object`` holding ``str``/``None``), so a
dataset audits to the same findings as the file it was written from. Files and folders whose
name starts with ``_`` are skipped by Spark and pyarrow, so the side files never read as rows.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.errors import ExtractError
from xfaudit.model import SOURCE_ROW, Extract, IngestReport
from xfaudit.scale import DEFAULT_CHUNK_ROWS
from xfaudit.writers.safe import strict_json

#: Marker of the format in ``dataset.json``.
FORMAT = "xfaudit canonical dataset"
VERSION = 1

#: The side-file folder and files.
META_DIR = "_xfaudit"
META_FILE = "dataset.json"
UNREADABLE_FILE = "unreadable.parquet"


def is_dataset(path) -> bool:
    """Whether ``path`` is a folder holding a canonical dataset."""
    return (Path(path) / META_DIR / META_FILE).is_file()


# ---------------------------------------------------------------------------------------------
# pandas ⇄ Arrow, one canonical column at a time
# ---------------------------------------------------------------------------------------------

def arrow_type(dtype: str):
    """The Arrow type of a canonical column by its pandas dtype."""
    import pyarrow as pa

    return {"datetime64[ns]": pa.date32(), "Int64": pa.int64(), "int64": pa.int64(),
            "boolean": pa.bool_(), "bool": pa.bool_(), "int8": pa.int8()}.get(dtype,
                                                                              pa.string())


def to_arrow(values: pd.Series, dtype: str | None = None):
    """A canonical column as an Arrow array (dates as days; NULL for every missing cell), of
    the Arrow type of ``dtype`` (default: the column's own)."""
    import pyarrow as pa

    dtype = dtype or str(values.dtype)
    if dtype == "datetime64[ns]":
        return pa.array(pd.Series(values).astype("datetime64[ns]").to_numpy()
                        .astype("datetime64[D]"), type=pa.date32(), from_pandas=True)
    if dtype in ("Int64", "boolean", "int64", "bool", "int8"):
        kind = pa.int8() if dtype == "int8" else arrow_type(dtype)
        if values.dtype == object:
            return pa.array(values.to_numpy(dtype=object), type=kind, from_pandas=True)
        return pa.array(values, type=kind, from_pandas=True)
    return pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def from_arrow(column, dtype: str) -> pd.Series:
    """An Arrow column back in the loader's dtype (``str``/``None`` text as ``object``: a
    pandas-3 ``str`` column would turn a missing cell into NaN)."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if dtype == "datetime64[ns]":
        return pd.Series(column.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False),
                         dtype="datetime64[ns]")
    if dtype in ("Int64", "boolean"):
        missing = column.is_null().to_numpy(zero_copy_only=False)
        values = column.fill_null(False if dtype == "boolean" else 0).to_numpy(
            zero_copy_only=False)
        array = (pd.arrays.BooleanArray(values.astype(bool), missing) if dtype == "boolean"
                 else pd.arrays.IntegerArray(values.astype("int64"), missing))
        return pd.Series(array, dtype=dtype)
    if dtype in ("int64", "bool", "int8"):
        return pd.Series(column.to_numpy(zero_copy_only=False), dtype=dtype)
    return pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)


def table_of(frame: pd.DataFrame, schema=None, dtypes: dict[str, str] | None = None):
    """A canonical frame (or the findings) as an Arrow table (of ``schema``, if given; each
    column converted for its dtype in ``dtypes``, default its own)."""
    import pyarrow as pa

    return pa.table({name: to_arrow(values, (dtypes or {}).get(name))
                     for name, values in frame.items()}, schema=schema)


def frame_of(table, dtypes: dict[str, str]) -> pd.DataFrame:
    """An Arrow table of canonical columns as the loader's frame (RangeIndex)."""
    return pd.DataFrame({name: from_arrow(table.column(name), dtypes[name])
                         for name in table.column_names}, copy=False)


# ---------------------------------------------------------------------------------------------
# The ingest report as JSON (and back)
# ---------------------------------------------------------------------------------------------

_REPORT_SCALARS = ("path", "sha256", "file_format", "sheet", "header_row", "encoding",
                   "rows_read", "rows_kept", "empty_rows", "mapping", "unknown_columns",
                   "absent_fields", "warnings", "unit_candidates", "mapping_source",
                   "unknown_units", "unit_register")


def report_json(report: IngestReport) -> dict:
    """The ingest report as JSON (its unreadable cells are written beside it)."""
    from dataclasses import asdict

    out = {key: getattr(report, key) for key in _REPORT_SCALARS}
    out["rejected"] = report.rejected.to_dict(orient="records")
    out["columns"] = (None if report.columns is None
                      else report.columns.to_dict(orient="records"))
    out["tables"] = [asdict(t) for t in report.tables]
    out["unit_names"] = (None if report.unit_names is None
                         else report.unit_names.to_dict(orient="records"))
    return out


def report_from_json(data: dict, unreadable: pd.DataFrame) -> IngestReport:
    """The ingest report :func:`report_json` wrote."""
    from xfaudit.convert import empty_unreadable
    from xfaudit.loadreport import COLUMN_TABLE, TableReport
    from xfaudit.model import REJECTED_COLUMNS

    rejected = pd.DataFrame(data["rejected"], columns=REJECTED_COLUMNS)
    rejected = rejected.astype({"source_row": "int64"})
    columns = (None if data["columns"] is None
               else pd.DataFrame(data["columns"], columns=COLUMN_TABLE))
    unit_names = (None if data["unit_names"] is None
                  else pd.DataFrame(data["unit_names"], columns=["field", "written", "name",
                                                                 "how"]))
    return IngestReport(
        **{key: data[key] for key in _REPORT_SCALARS},
        rejected=rejected, unreadable=unreadable if len(unreadable) else empty_unreadable(),
        columns=columns, tables=[TableReport(**t) for t in data["tables"]],
        unit_names=unit_names)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def write_dataset(source: Extract | Iterable[Extract], folder, *,
                  rows_per_file: int = DEFAULT_CHUNK_ROWS, window=None,
                  report: IngestReport | None = None) -> Path:
    """Write an extract (or its chunks, in row order) as a canonical dataset.

    Parameters
    ----------
    source : Extract, or an iterable of Extract chunks
        A loaded extract, or chunks of one (:func:`xfaudit.load.load_extract_chunks`: the
        iterable's ``report`` attribute, complete once it is exhausted, is the whole ingest
        report).
    folder : path
        A new or empty folder.
    rows_per_file : int
        Rows per parquet file.
    window : DateWindow, optional
        The plausible-date window the extract was read with (recorded).
    report : IngestReport, optional
        The whole ingest report, when ``source`` yields chunks and has no ``report``.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    import pyarrow.parquet as pq

    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ExtractError(folder, "输出目录已存在且不为空",
                           hint="请给 --to-parquet 一个新的（或空的）目录。")
    (folder / META_DIR).mkdir(parents=True, exist_ok=True)
    chunks = [source] if isinstance(source, Extract) else source
    dtypes: dict[str, str] | None = None
    writer, parts, in_file, rows = None, [], 0, 0
    unreadable = []
    try:
        for chunk in chunks:
            frame = chunk.frame
            if dtypes is None:
                dtypes = {name: str(t) for name, t in frame.dtypes.items()}
            elif {name: str(t) for name, t in frame.dtypes.items()} != dtypes:
                raise RuntimeError("chunks of one extract with different columns or dtypes")
            if len(chunk.report.unreadable):
                unreadable.append(chunk.report.unreadable)
            for start in range(0, len(frame), rows_per_file):
                piece = frame.iloc[start:start + rows_per_file]
                while len(piece):
                    if writer is None:
                        parts.append(f"part-{len(parts):05d}.parquet")
                        writer = pq.ParquetWriter(folder / parts[-1], schema_of(dtypes))
                        in_file = 0
                    take = piece.iloc[:rows_per_file - in_file]
                    writer.write_table(table_of(take))
                    in_file += len(take)
                    rows += len(take)
                    piece = piece.iloc[len(take):]
                    if in_file >= rows_per_file:
                        writer.close()
                        writer = None
    finally:
        if writer is not None:
            writer.close()
    report = report or getattr(source, "report", None) or chunk.report
    if dtypes is None:                              # an extract without rows
        dtypes = {SOURCE_ROW: "int64"}
    whole = (pd.concat(unreadable, ignore_index=True) if unreadable
             else report.unreadable.iloc[:0])
    whole.to_parquet(folder / META_DIR / UNREADABLE_FILE, index=False)
    meta = {"format": FORMAT, "version": VERSION, "rows": rows, "dtypes": dtypes,
            "parts": parts, "source_file": Path(report.path).name,
            "date_window": (None if window is None else
                            {"first": window.first.date().isoformat(),
                             "last": window.last.date().isoformat()}),
            "report": report_json(replace(report, unreadable=report.unreadable.iloc[:0]))}
    (folder / META_DIR / META_FILE).write_text(
        strict_json(meta) + "\n",
        encoding="utf-8")
    return folder


def schema_of(dtypes: dict[str, str]):
    import pyarrow as pa

    return pa.schema([(name, arrow_type(dtype)) for name, dtype in dtypes.items()])


def remove(folder) -> None:
    """Delete a dataset folder (a temporary one an engine wrote)."""
    shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

@dataclass
class Dataset:
    """An open canonical dataset.

    Attributes
    ----------
    folder : Path
    report : IngestReport
        The ingest report of the extract it was written from (unreadable cells included).
    dtypes : dict
        Column → the loader's pandas dtype, in column order (``source_row`` first).
    rows : int
    source_file : str
        The item table's file name (the first part of each row's key).
    window : DateWindow or None
        The plausible-date window it was read with.
    """

    folder: Path
    report: IngestReport
    dtypes: dict[str, str]
    rows: int
    source_file: str
    parts: list[str]
    window: object = None

    @property
    def fields_present(self) -> list[str]:
        return [c for c in self.dtypes if c != SOURCE_ROW]

    @property
    def paths(self) -> list[Path]:
        return [self.folder / name for name in self.parts]

    def batches(self, rows: int, columns: list[str] | None = None) -> Iterator:
        """The rows as Arrow tables of exactly ``rows`` rows (the last may be shorter), in
        source order."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        pending, held = [], 0
        for path in self.paths:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=max(rows, 1),
                                                           columns=columns):
                pending.append(batch)
                held += batch.num_rows
                while held >= rows:
                    table = pa.Table.from_batches(pending)
                    yield table.slice(0, rows)
                    rest = table.slice(rows)
                    pending, held = rest.to_batches(), rest.num_rows
        if held:
            yield pa.Table.from_batches(pending)

    def frames(self, rows: int, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """The rows as canonical frames of ``rows`` rows, in source order."""
        for table in self.batches(rows, columns):
            yield frame_of(table, self.dtypes)

    def chunks(self, rows: int) -> Iterator[Extract]:
        """The extract in chunks of ``rows`` rows: each an :class:`~xfaudit.model.Extract`
        whose report lists only the chunk's unreadable cells."""
        bad = self.report.unreadable
        listed = bad["source_row"].to_numpy()
        for frame in self.frames(rows):
            mine = bad.iloc[:0]
            if len(listed) and len(frame):
                numbers = frame[SOURCE_ROW].to_numpy()   # the table is sorted by source row
                lo = np.searchsorted(listed, numbers.min(), side="left")
                hi = np.searchsorted(listed, numbers.max(), side="right")
                mine = bad.iloc[lo:hi]
                mine = mine[mine["source_row"].isin(numbers)]
            yield Extract(frame=frame, report=replace(self.report,
                                                      unreadable=mine.reset_index(drop=True)))

    def to_extract(self) -> Extract:
        """The whole extract in memory (``--engine pandas`` on a dataset)."""
        import pyarrow.parquet as pq

        if self.parts:
            table = pq.ParquetDataset(self.paths).read()
            frame = frame_of(table, self.dtypes)[list(self.dtypes)]
        else:
            frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in self.dtypes.items()})
        return Extract(frame=frame, report=self.report)


def open_dataset(folder) -> Dataset:
    """Open a canonical dataset folder.

    Raises
    ------
    ExtractError
        The folder holds no dataset, or one of another format version.
    """
    from xfaudit.dates import DateWindow

    folder = Path(folder)
    if not is_dataset(folder):
        raise ExtractError(folder, "不是 xfaudit 的台账数据集（缺少 _xfaudit/dataset.json）",
                           hint="用 xfaudit load 台账 --to-parquet 目录 生成。")
    meta = json.loads((folder / META_DIR / META_FILE).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise ExtractError(folder, f"台账数据集的格式版本（{meta.get('version') or '未知'}）与本版本 "
                                   f"xfaudit（{VERSION}）不符", hint="请用本版本重新生成。")
    unreadable = pd.read_parquet(folder / META_DIR / UNREADABLE_FILE)
    window = meta.get("date_window")
    return Dataset(folder=folder, report=report_from_json(meta["report"], unreadable),
                   dtypes=meta["dtypes"], rows=int(meta["rows"]),
                   source_file=meta["source_file"], parts=list(meta["parts"]),
                   window=None if window is None else DateWindow(
                       first=pd.Timestamp(window["first"]), last=pd.Timestamp(window["last"])))



# ---------------------------------------------------------------------------------------------
# Any extract → a dataset
# ---------------------------------------------------------------------------------------------

def convert(path, folder, *, rows: int = DEFAULT_CHUNK_ROWS, date_window=None, sheet=None,
            mapping=None, header_row: int | None = None, units=None) -> Path:
    """Write the canonical dataset of an extract: a CSV file in chunks of ``rows`` records
    (:func:`xfaudit.loadchunks.load_extract_chunks`, bounded memory), anything else (a
    workbook, several joined tables, a CSV the chunked reader hands back, ``units``) loaded in
    one piece by :func:`xfaudit.load.load_extract` first; a table or query of a database
    (:class:`xfaudit.scale.sql.SqlSource`) in chunks of ``rows`` records. Same arguments as
    the loader's."""
    from xfaudit.load import load_extract
    from xfaudit.loadchunks import NotStreamable, load_extract_chunks
    from xfaudit.scale.sql import SqlSource, sql_dataset

    if isinstance(path, SqlSource):
        if sheet is not None or header_row is not None or units is not None:
            raise ExtractError(str(path), "数据库来源不支持 --sheet、--header-row、--units",
                               hint="表头即数据库的列名；统一单位名称请在查询语句中完成。")
        return sql_dataset(path.url, folder, table=path.table, query=path.query, rows=rows,
                           mapping=mapping, date_window=date_window)

    one = path if isinstance(path, (str, Path)) else (path[0] if len(path) == 1 else None)
    if one is not None and sheet is None and units is None and not is_dataset(one):
        try:
            chunks = load_extract_chunks(one, rows, mapping=mapping, date_window=date_window,
                                         header_row=header_row)
            return write_dataset(chunks, folder, rows_per_file=rows, window=date_window)
        except NotStreamable:
            remove(folder)
    extract = load_extract(path, sheet=sheet, mapping=mapping, date_window=date_window,
                           header_row=header_row, units=units)
    return write_dataset(extract, folder, rows_per_file=rows, window=date_window)


def prepared(path, folder, **options) -> Dataset:
    """The dataset of ``path``: the folder itself when it is one, else :func:`convert` into
    ``folder`` (a temporary one)."""
    one = path if isinstance(path, (str, Path)) else (
        path[0] if isinstance(path, (list, tuple)) and len(path) == 1 else None)
    if one is not None and is_dataset(one):
        return open_dataset(one)
    return open_dataset(convert(path, folder, **options))
