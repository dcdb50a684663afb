"""The data that moves between the steps: an extract, its ingest report, and findings.

These are the contracts between modules (DESIGN.md "one direction of flow"): the loader
produces an :class:`Extract`; the audit turns it into findings with the stable columns of
:data:`FINDING_COLUMNS`; every writer is a view of those findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Extra column of the canonical frame: the row's number in the source sheet (1-based, as the
#: user sees it in Excel / a text editor), used in every message and finding.
SOURCE_ROW = "source_row"

#: Column of the clock table (and of the canonical parquet dataset) naming the file of the
#: item table each row comes from. A row is keyed by (``source_file``, ``source_row``): the
#: audited rows are the item table's rows (joined tables only fill in their fields), so within
#: one extract ``source_row`` alone is unique, and ``source_file`` tells extracts apart where
#: several meet (a dataset, a Spark job).
SOURCE_FILE = "source_file"

#: Columns of the rejected-rows table.
REJECTED_COLUMNS = ["source_row", "reason"]

#: Columns of the unreadable-cells table (``reason``: 无法识别 or 不在合理日期范围内).
#: ``source_row`` is the item's row in the item table (what the frame's ``source_row`` holds).
UNREADABLE_COLUMNS = ["source_row", "case_id", "field", "header", "raw", "reason"]

#: Columns the loader adds to the unreadable-cells table: where the cell itself is — the same
#: row of the item table, or a row of a secondary table joined on 信访件编号.
UNREADABLE_PLACE_COLUMNS = ["file", "sheet", "file_row"]


@dataclass
class IngestReport:
    """What the loader read, kept, rejected and could not understand.

    Row accounting: ``rows_read == rows_kept + len(rejected)``; fully empty rows are not
    "read" but counted in ``empty_rows``.
    """

    path: str
    sha256: str
    file_format: str                      # "xlsx", "xls" or "csv"
    sheet: str | None                     # sheet used (xlsx/xls)
    header_row: int                       # 1-based row number of the header
    encoding: str | None                  # csv only
    rows_read: int
    rows_kept: int
    empty_rows: int
    rejected: pd.DataFrame                # REJECTED_COLUMNS
    unreadable: pd.DataFrame              # UNREADABLE_COLUMNS: cells that could not be read
    mapping: dict[str, str]               # source header -> canonical field
    unknown_columns: list[str]            # headers ignored
    absent_fields: list[str]              # canonical fields not in the extract
    # -- added with the real-exports loader (all optional, so other producers need not set them)
    columns: pd.DataFrame | None = None   # COLUMN_TABLE: every source column and its use
    warnings: list[str] = field(default_factory=list)   # what the user should check
    unit_candidates: list[dict] = field(default_factory=list)  # unused columns like 责任单位
    tables: list = field(default_factory=list)  # loadreport.TableReport per secondary table
    mapping_source: str | None = None     # mapping file name or built-in mapping name
    # -- added by the unit register (xfaudit.units.apply_units)
    unit_names: pd.DataFrame | None = None  # field, written, name, how: names made official
    unknown_units: dict[str, int] = field(default_factory=dict)  # names the register lacks
    unit_register: dict | None = None      # the register used (path, count)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    def to_dict(self) -> dict:
        """JSON-ready summary (for manifests and summary.json)."""
        from xfaudit.loadreport import report_extras

        return {
            "path": self.path, "sha256": self.sha256, "format": self.file_format,
            "sheet": self.sheet, "header_row": self.header_row, "encoding": self.encoding,
            "rows_read": self.rows_read, "rows_kept": self.rows_kept,
            "rows_rejected": self.rows_rejected, "empty_rows": self.empty_rows,
            "rejected": self.rejected.to_dict(orient="records"),
            "unreadable_cells": len(self.unreadable),
            "mapping": self.mapping, "unknown_columns": self.unknown_columns,
            "absent_fields": self.absent_fields,
            **report_extras(self),
            "unit_register": self.unit_register,
            "unit_names": ([] if self.unit_names is None
                           else self.unit_names.to_dict(orient="records")),
            "unknown_units": self.unknown_units,
        }

    def _repr_html_(self) -> str:
        """Jupyter view: the mapping table, unused columns, missing fields and the checks
        they disable, the likely unit column, warnings and secondary tables (in Chinese)."""
        from xfaudit.loadreport import report_html

        return report_html(self)


@dataclass
class Extract:
    """A loaded extract: the canonical frame plus how it was read.

    ``frame`` has one row per kept source row, a RangeIndex, the column ``source_row`` and the
    canonical fields present in the file (dates as ``datetime64[ns]`` at midnight, counts as
    ``Int64``, yes/no as ``boolean``, the rest as strings; ``case_id`` keeps leading zeros).
    """

    frame: pd.DataFrame
    report: IngestReport

    @property
    def fields_present(self) -> list[str]:
        return [c for c in self.frame.columns if c != SOURCE_ROW]

    @property
    def path(self) -> Path:
        return Path(self.report.path)

    @property
    def source_file(self) -> str:
        """The item table's file name: the first part of each row's key
        (:data:`SOURCE_FILE`, :data:`SOURCE_ROW`)."""
        return Path(self.report.path).name

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, name: str = "<DataFrame>", *,
                   window=None) -> "Extract":
        """Wrap a frame that already has canonical field names (tests, databases, Spark).

        Cells are read as the loader reads them: dates by :func:`xfaudit.dates.parse_dates`
        (time dropped; ``window`` = plausible days, default
        :meth:`~xfaudit.dates.DateWindow.around` today), every other kind by
        :func:`xfaudit.schema.normalise_values` (counts ``Int64``, yes/no ``boolean``, coded
        values through their values.toml table, text as ``str``). A cell that cannot be read
        becomes empty and is listed in ``report.unreadable`` (never an exception);
        ``source_row`` is added (2, 3, …) when absent. Columns that are no canonical field
        are dropped.
        """
        from xfaudit.dates import DateWindow
        from xfaudit.schema import fields

        spec = fields()
        window = window or DateWindow.around()
        df = frame.reset_index(drop=True)
        rows = (df[SOURCE_ROW].to_numpy() if SOURCE_ROW in df.columns
                else np.arange(2, len(df) + 2))
        present = [c for c in df.columns if c in spec]
        data = {SOURCE_ROW: pd.Series(rows)}
        bad: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for column in present:
            data[column], unreadable, reasons, raw = _read_column(df[column], spec[column].kind,
                                                                  window)
            if unreadable.any():
                bad[column] = (unreadable, reasons, raw)
        out = pd.DataFrame(data)
        report = IngestReport(
            path=name, sha256="", file_format="frame", sheet=None, header_row=1,
            encoding=None, rows_read=len(out), rows_kept=len(out), empty_rows=0,
            rejected=pd.DataFrame(columns=REJECTED_COLUMNS),
            unreadable=unreadable_table(out, bad),
            mapping={c: c for c in present}, unknown_columns=[],
            absent_fields=[f for f in spec if f not in present])
        return cls(frame=out, report=report)

    def _repr_html_(self) -> str:
        """Jupyter view: the ingest figures and the first rows (Chinese headers, clean values,
        personal data masked); ``extract.report`` shows how it was read."""
        import html

        from xfaudit.display import html_table
        from xfaudit.privacy import mask_frame
        from xfaudit.views import extract_table

        r = self.report
        return (f"<p><b>台账</b> {html.escape(Path(r.path).name)}（{html.escape(str(r.sheet or r.file_format))}）："
                f"读取 {r.rows_read} 行，保留 {r.rows_kept} 行，剔除 {r.rows_rejected} 行，"
                f"空行 {r.empty_rows} 行，无法识别的单元格 {len(r.unreadable)} 个；"
                f"缺少字段 {len(r.absent_fields)} 个（详见 extract.report）。前10行：</p>"
                + html_table(extract_table(mask_frame(self.frame.head(10)))))

    def __repr__(self) -> str:
        r = self.report
        return (f"Extract({Path(r.path).name!r}, rows_kept={r.rows_kept}, "
                f"rows_rejected={r.rows_rejected}, fields={len(self.fields_present)})")


def _read_column(values: pd.Series, kind: str, window
                 ) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """One frame column read for its field kind: (column, unreadable mask, reason per cell,
    raw text per cell)."""
    from xfaudit import dates
    from xfaudit.schema import cell_text, normalise_values

    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    texts = np.empty(len(uniques) + 1, dtype=object)  # the last slot: the NA sentinel -1
    texts[:-1] = [cell_text(u) for u in uniques]
    raw = texts[codes]
    if kind == "date":
        parsed = dates.parse_dates(values.astype(object), window)
        reasons = parsed.reasons().to_numpy(dtype=object)
        return (parsed.dates.reset_index(drop=True), parsed.unreadable.to_numpy(dtype=bool),
                reasons, raw)
    read = normalise_values(kind, texts[:-1], raw=uniques)
    column = np.append(read.values, None)[codes]
    unreadable = np.append(read.unreadable, False)[codes]
    series = pd.Series(column if read.dtype is object else pd.array(column, dtype=read.dtype),
                       dtype=read.dtype)
    return series, unreadable, np.where(unreadable, dates.REASON_UNREADABLE, None), raw


def unreadable_table(frame: pd.DataFrame,
                     bad: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                     headers: dict[str, str] | None = None) -> pd.DataFrame:
    """The unreadable-cells table (:data:`UNREADABLE_COLUMNS`), sorted by source row.

    Parameters
    ----------
    frame : DataFrame
        The canonical frame (``source_row`` and, when present, ``case_id`` are taken from it).
    bad : dict
        Field → (per-row boolean mask of unreadable cells, per-row reason, per-row raw text).
    headers : dict, optional
        Field → the header shown (the source file's); default the canonical Chinese header.
    """
    from xfaudit.schema import header_of

    headers = headers or {}
    parts = [pd.DataFrame({
        "source_row": frame[SOURCE_ROW].to_numpy()[mask],
        "case_id": (frame["case_id"].to_numpy(dtype=object)[mask] if "case_id" in frame
                    else np.full(int(mask.sum()), None, dtype=object)),
        "field": name, "header": headers.get(name, header_of(name)), "raw": raw[mask],
        "reason": reasons[mask]})
        for name, (mask, reasons, raw) in bad.items()]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in UNREADABLE_COLUMNS}
                            ).astype({"source_row": "int64"})
    table = pd.concat(parts, ignore_index=True)
    return (table.sort_values("source_row", kind="stable").reset_index(drop=True)
            [UNREADABLE_COLUMNS])


#: The stable columns of the findings table, in order.
FINDING_COLUMNS = [
    "case_id",        # 信访件编号
    "check_id",       # CheckId value
    "check_name",     # Chinese name of the check
    "kind",           # "accountability" (履职问题) or "data_quality" (台账质量问题)
    "severity",       # 严重 / 较重 / 一般 / 提示
    "handling_unit",  # 责任单位 (the unit the ledger names as handling the item)
    "responsible_unit",  # 责任主体: who owes the act this check judges
    "responsible_role",  # 责任主体类型: 信访部门 / 办理单位 / 复查机关 / 复核机关
    "category",       # 内容分类
    "summary",        # 主要诉求 (free text from the extract, always written as text)
    "start_on",       # the clock's start date
    "last_day",       # last allowed day
    "actual_on",      # the date the act happened (NaT: not yet)
    "days_late",      # calendar days past the last day (Int64; <NA> where no day count)
    "is_open",        # the act has not happened yet
    "period_status",  # 本期新发现 / 持续未办 / 本期已纠正 / 历史问题 (xfaudit.periods)
    "citation",       # statute citation of the profile in force for the item
    "profile",        # rule profile applied to the item
    "source_row",     # row number in the source sheet
    "detail",         # Chinese detail (reasons, fields, raw text)
    "waived",         # an approved waiver (正当理由) covers the finding
    "waiver_reason",  # its reason
]

#: Chinese headers of the findings columns, for workbooks and CSV.
FINDING_HEADERS = {
    "case_id": "信访件编号", "check_id": "检查项编号", "check_name": "问题类型",
    "kind": "问题性质", "severity": "严重程度", "handling_unit": "责任单位",
    "responsible_unit": "责任主体", "responsible_role": "责任主体类型",
    "period_status": "本期状态",
    "category": "内容分类", "summary": "主要诉求", "start_on": "起算日期",
    "last_day": "期限届满日", "actual_on": "实际办理日期", "days_late": "超期天数",
    "is_open": "是否仍未办", "citation": "依据条款", "profile": "适用规则",
    "source_row": "台账行号", "detail": "说明", "waived": "已豁免",
    "waiver_reason": "豁免理由",
}


@dataclass
class NotEvaluated:
    """A check that could not run on this extract, and why."""

    check_id: str
    check_name: str
    missing: list[str] = field(default_factory=list)

    def describe(self) -> str:
        from xfaudit.schema import header_of

        names = "、".join(
            "或".join(header_of(p) for p in m.split("|")) for m in self.missing)
        return f"{self.check_name}：未评估（缺少：{names}）"
