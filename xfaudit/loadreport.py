"""How an extract was read, explained: the column table, the checks each missing field
disables, the likely unit column, the secondary tables — as data, as lines for ``xfaudit
load`` and as HTML for a notebook (:meth:`~xfaudit.model.IngestReport._repr_html_`).
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.schema import checks, fields, header_of

#: Columns of ``IngestReport.columns``: one row per source column of the item table.
COLUMN_TABLE = ["column", "header", "fields", "names", "use"]

USE_MAPPED = "已使用"
USE_UNUSED = "未使用"
USE_DUPLICATE = "重复列，未采用"
USE_NO_HEADER = "无表头"

#: Header words of a unit column, and of a place column (问题属地 is where, not who).
_UNIT_HEADER = re.compile(r"单位|部门|机构|机关|去向|承办|责任|办理|科室|处室|去处|转往")
_PLACE_HEADER = re.compile(r"属地|地址|住址|发生地|户籍|居住|地点|地区|区划")
#: How unit names end: 人民政府, 局, 委, 办, 所, 院, 队, 中心, 公司, 镇, 乡, 街道 ….
_UNIT_NAME = re.compile(r"(人民政府|政府|办事处|街道|镇|乡|局|委员会|委|办公室|办|所|院|队|中心|公司|"
                        r"科|室|站|处|部|厅|会|社|庭|支队|大队|中队|分局|派出所)$")


@dataclass
class TableReport:
    """One secondary table joined onto the item table on 信访件编号."""

    path: str
    sheet: str | None
    file_format: str
    header_row: int
    encoding: str | None
    sha256: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    empty_rows: int
    mapping: dict[str, str]
    unknown_columns: list[str]
    rows_matched: int                   # rows whose 信访件编号 is in the item table
    items_matched: int                  # items of the item table that got a row
    rows_without_id: int
    unmatched_ids: list[str]            # 信访件编号 not in the item table (all of them)
    items_with_several_rows: int
    rule: str                           # how several rows of one item are combined
    fields_added: list[str]             # fields only this table has
    fields_filled: dict[str, int]       # field -> item cells empty in the item table, filled
    conflicts: dict[str, int]           # field -> items where both tables differ (item wins)
    unreadable_unmatched: int = 0       # unreadable cells on rows of unmatched ids

    @property
    def name(self) -> str:
        return Path(self.path).name + (f" 工作表「{self.sheet}」" if self.sheet else "")

    def to_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        """Chinese lines for the command line."""
        out = [f"关联表：{self.name}（表头在第{self.header_row}行）：读取 {self.rows_read} 行，"
               f"保留 {self.rows_kept} 行，剔除 {self.rows_rejected} 行",
               f"  按信访件编号关联：{self.rows_matched} 行对应到 {self.items_matched} 件；"
               f"编号在信访件表中找不到的 {len(self.unmatched_ids)} 个"
               + (f"（{'、'.join(self.unmatched_ids[:10])}"
                  f"{'…' if len(self.unmatched_ids) > 10 else ''}）" if self.unmatched_ids else "")
               + (f"；没有编号的 {self.rows_without_id} 行" if self.rows_without_id else "")]
        out.append(f"  一件多行的取值规则：{self.rule}"
                   + (f"（本表有 {self.items_with_several_rows} 件是多行）"
                      if self.items_with_several_rows else "（本表没有一件多行）"))
        if self.fields_added:
            out.append("  取自本表的字段：" + "、".join(header_of(f) for f in self.fields_added))
        filled = {f: n for f, n in self.fields_filled.items() if n}
        if filled:
            out.append("  信访件表为空、由本表补充：" + "、".join(
                f"{header_of(f)} {n} 件" for f, n in filled.items()))
        conflicts = {f: n for f, n in self.conflicts.items() if n}
        if conflicts:
            out.append("  两表不一致、已采用信访件表的值：" + "、".join(
                f"{header_of(f)} {n} 件" for f, n in conflicts.items()))
        return out


# --------------------------------------------------------------------------------------------
# What each missing field costs
# --------------------------------------------------------------------------------------------

def disabled_checks(absent: list[str], present: list[str] | set[str]) -> dict[str, list[str]]:
    """Missing field → names of the checks it keeps from running (from ``checks.toml``
    ``needs`` / ``needs_any``); fields that disable nothing are left out."""
    present = set(present)
    out: dict[str, list[str]] = {}
    for check in checks().values():
        missing = check.missing_fields(present)
        for entry in missing:
            for name in entry.split("|"):
                if name in absent:
                    out.setdefault(name, []).append(check.name)
    return {f: out[f] for f in absent if f in out}


# --------------------------------------------------------------------------------------------
# The likely unit column
# --------------------------------------------------------------------------------------------

def unit_candidates(headers: list[str], letters: list[str], texts: list[np.ndarray]
                    ) -> list[dict]:
    """Unused columns that look like 责任单位: a unit word in the header (单位, 部门, 机构,
    去向 …) and/or values ending like unit names (…镇, …街道, …局, …人民政府 …), several of
    them. Place columns (问题属地, 住址) are left out. Best first.

    ``texts`` holds each column's distinct non-empty values.
    """
    found = []
    for header, letter, values in zip(headers, letters, texts, strict=True):
        if not header or _PLACE_HEADER.search(header):
            continue
        values = [v for v in values if isinstance(v, str) and v]
        if len(values) < 2:
            continue
        share = float(np.mean([bool(_UNIT_NAME.search(v)) for v in values]))
        named = bool(_UNIT_HEADER.search(header))
        if share >= 0.6 or (named and share >= 0.3):
            found.append({"header": header, "column": letter, "distinct": len(values),
                          "unit_like_share": round(share, 2), "header_says_unit": named,
                          "examples": sorted(values, key=len)[:3]})
    return sorted(found, key=lambda c: (not c["header_says_unit"], -c["unit_like_share"],
                                        -c["distinct"]))


# --------------------------------------------------------------------------------------------
# The report as data, lines and HTML
# --------------------------------------------------------------------------------------------

def report_extras(report) -> dict:
    """The keys ``IngestReport.to_dict`` adds for the real-exports loader."""
    columns = report.columns
    return {
        "columns": (columns.to_dict(orient="records") if columns is not None else []),
        "disabled_checks": disabled_checks(report.absent_fields,
                                           [f for f in fields() if f not in report.absent_fields]),
        "unit_candidates": report.unit_candidates,
        "warnings": report.warnings,
        "tables": [t.to_dict() for t in report.tables],
        "mapping_source": report.mapping_source,
    }


def where_read(report) -> str:
    """``a.xlsx（工作表「台账」，表头在第3行）``."""
    name = Path(report.path).name
    place = f"工作表「{report.sheet}」" if report.sheet else report.file_format.upper()
    encoding = f"，编码 {report.encoding}" if report.encoding else ""
    return f"{name}（{place}，表头在第{report.header_row}行{encoding}）"


def unit_lines(report) -> list[str]:
    """What the unit register did: names made official, names it does not know."""
    if not report.unit_register:
        return []
    names = report.unit_names if report.unit_names is not None else None
    out = [f"单位名录：{Path(report.unit_register['path']).name}（{report.unit_register['units']} 个单位）；"
           f"按名录统一名称 {0 if names is None else len(names)} 个"]
    if names is not None:
        for row in names.head(20).itertuples(index=False):
            out.append(f"  {row.written} → {row.name}（{row.how}）")
    if report.unknown_units:
        shown = "、".join(f"{name}（{n}行）" for name, n in list(report.unknown_units.items())[:20])
        out.append(f"名录中没有的单位（请补入单位名录）：{shown}")
    return out


def report_lines(report) -> list[str]:
    """What ``xfaudit load`` prints: every column's use, what is missing and what that
    costs, the likely unit column, warnings, rows and unreadable cells."""
    out = [f"台账：{where_read(report)}"]
    if report.mapping_source:
        out.append(f"映射文件：{report.mapping_source}")
    out.append(f"读取 {report.rows_read} 行：保留 {report.rows_kept} 行，剔除 {report.rows_rejected} 行；"
               f"跳过空行 {report.empty_rows} 行")
    for row in report.rejected.itertuples(index=False):
        out.append(f"  剔除 第{row.source_row}行：{row.reason}")
    if report.columns is not None and len(report.columns):
        out.append("表头映射（列 本地表头 → 字段 → 中文名）：")
        for row in report.columns.itertuples(index=False):
            if row.use == USE_MAPPED:
                out.append(f"  {row.column:>3} {row.header} → {row.fields} → {row.names}")
    if report.unknown_columns:
        out.append("未使用的列：" + "、".join(map(str, report.unknown_columns)))
    if report.absent_fields:
        out.append("缺少的字段：" + "、".join(header_of(f) for f in report.absent_fields))
        present = [f for f in fields() if f not in report.absent_fields]
        for name, names in disabled_checks(report.absent_fields, present).items():
            out.append(f"  缺少「{header_of(name)}」（{name}），无法评估：{'、'.join(names)}")
    if report.unit_candidates and "handling_unit" in report.absent_fields:
        out.append("可能的责任单位列（未使用）：" + "；".join(
            f"第{c['column']}列「{c['header']}」（例：{'、'.join(c['examples'])}）"
            for c in report.unit_candidates[:3]))
        first = report.unit_candidates[0]["header"]
        out.append(f"  如确是责任单位，请在映射文件 [aliases] 下写一行：\"{first}\" = \"handling_unit\"")
    for table in report.tables:
        out.extend(table.lines())
    out.extend(unit_lines(report))
    for warning in report.warnings:
        out.append(f"注意：{warning}")
    cells = _unique_cells(report.unreadable)
    out.append(f"无法识别的单元格：{len(cells)} 个")
    for row in cells.head(20).itertuples(index=False):
        where = (f"{row.file} 工作表「{row.sheet}」第{row.file_row}行" if _elsewhere(report, row)
                 else f"第{row.source_row}行")
        reason = "" if row.reason == "无法识别" else f"（{row.reason}）"
        out.append(f"  {where}「{row.header}」：{row.raw}{reason}")
    if len(cells) > 20:
        out.append(f"  …另有 {len(cells) - 20} 个")
    return out


def _unique_cells(unreadable: pd.DataFrame) -> pd.DataFrame:
    """One line per cell (a column feeding two fields lists its cell once)."""
    if unreadable.empty:
        return unreadable
    keys = [c for c in ("file", "sheet", "file_row", "header", "raw") if c in unreadable]
    return unreadable.drop_duplicates(subset=keys or None)


def _elsewhere(report, row) -> bool:
    return bool(getattr(row, "file", None)) and (row.file != Path(report.path).name
                                                 or row.sheet != report.sheet)


def report_html(report) -> str:
    """The ingest report for a notebook: Chinese headers, no None/NaN."""
    from xfaudit.display import html_table

    e = html.escape
    parts = [f"<h4>台账读取情况：{e(where_read(report))}</h4>",
             f"<p>读取 {report.rows_read} 行，保留 {report.rows_kept} 行，剔除 {report.rows_rejected} 行，"
             f"空行 {report.empty_rows} 行；无法识别的单元格 {len(_unique_cells(report.unreadable))} 个。"
             + (f"映射文件：{e(report.mapping_source)}。" if report.mapping_source else "") + "</p>"]
    if report.columns is not None and len(report.columns):
        table = report.columns.rename(columns={"column": "列", "header": "本地表头",
                                               "fields": "字段", "names": "中文名", "use": "用途"})
        parts.append("<h5>表头映射</h5>" + html_table(table))
    if report.absent_fields:
        present = [f for f in fields() if f not in report.absent_fields]
        effects = disabled_checks(report.absent_fields, present)
        rows = pd.DataFrame({"缺少的字段": [header_of(f) for f in report.absent_fields],
                             "字段名": report.absent_fields,
                             "因此无法评估的检查": ["、".join(effects.get(f, [])) or "—"
                                           for f in report.absent_fields]})
        parts.append("<h5>缺少的字段</h5>" + html_table(rows))
    if report.unit_candidates:
        rows = pd.DataFrame({"列": [c["column"] for c in report.unit_candidates],
                             "本地表头": [c["header"] for c in report.unit_candidates],
                             "示例": ["、".join(c["examples"]) for c in report.unit_candidates]})
        parts.append("<h5>可能的责任单位列（未使用）</h5>" + html_table(rows))
    for t in report.tables:
        parts.append("<h5>关联表</h5><p>" + "<br>".join(e(line) for line in t.lines()) + "</p>")
    if report.warnings:
        parts.append("<h5>注意</h5><ul>" + "".join(f"<li>{e(w)}</li>" for w in report.warnings)
                     + "</ul>")
    return "".join(parts)
