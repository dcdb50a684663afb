"""The 正当理由 register: approved reasons why a finding is justified (waivers).

The inspector keeps the register in Excel (``正当理由登记.xlsx``, template from
``xfaudit waivers template``); one row waives one check of one item:

=============  ==========  ==========================================================
header         field       meaning
=============  ==========  ==========================================================
信访件编号     case_id     the item
检查项编号     check_id    the check (id such as ``HANDLING_OVERDUE`` or its Chinese name)
理由           reason      the approved reason
批准人         approved_by who approved it
批准日期       approved_on when
证据材料       evidence    where the evidence is (file number, archive reference)
有效期至       expires_on  last day the waiver is valid (empty: no expiry)
=============  ==========  ==========================================================

:func:`apply_waivers` marks matching findings ``waived`` with the reason — a waived finding is
still a finding, shown as waived, never as passed — and recomputes the summary. Waivers that
match no finding and waivers expired at the audit date (not applied) are listed in the
:class:`WaiverReport`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xfaudit.audit import AuditResult, summarize
from xfaudit.dates import DateWindow
from xfaudit.errors import RegisterError
from xfaudit.registers import Column, Formats, atomic_write, new_workbook, parse_dates
from xfaudit.registers import read_register as _read_sheet
from xfaudit.schema import KIND_LABELS, checks

#: The register's sheet and columns, in order.
SHEET = "正当理由登记"
COLUMNS = [
    Column("case_id", "信访件编号", "text", required=True, width=20),
    Column("check_id", "检查项编号", "text", required=True, width=24),
    Column("reason", "理由", "text", required=True, width=40),
    Column("approved_by", "批准人", "text", required=True, width=12),
    Column("approved_on", "批准日期", "date", required=True, width=12),
    Column("evidence", "证据材料", "text", width=28),
    Column("expires_on", "有效期至", "date", width=12),
]
HEADERS = {c.name: c.header for c in COLUMNS}

#: A row whose 信访件编号 starts with this is an example and is never applied.
EXAMPLE_PREFIX = "示例"

#: Default file name inside the registers folder (see accountability.toml [followup]).
DEFAULT_FILE = "正当理由登记.xlsx"

REPORT_STATUS = {"applied": "已适用", "expired": "已过期（未适用）",
                 "unmatched": "未匹配到问题"}


@dataclass
class WaiverRegister:
    """A read register: one row per waiver (``COLUMNS`` names plus ``source_row``)."""

    frame: pd.DataFrame
    path: str = "<DataFrame>"

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, window: DateWindow | None = None
                   ) -> "WaiverRegister":
        """Wrap a frame with the canonical column names (tests, notebooks).

        Date cells are read like the register file's (:func:`xfaudit.registers.parse_dates`,
        plausible ``window``, default :meth:`DateWindow.for_registers`).

        Raises
        ------
        RegisterError
            Every date cell that cannot be read, by row (``source_row``) and column.
        """
        df = frame.reset_index(drop=True).copy()
        if "source_row" not in df.columns:
            df.insert(0, "source_row", range(2, len(df) + 2))
        problems = []
        for column in COLUMNS:
            if column.name not in df.columns:
                df[column.name] = None
            if column.kind == "date":
                days, bad = parse_dates(df[column.name].astype(object), window)
                problems += [(int(df["source_row"].iloc[i]), column.header, reason)
                             for i, reason in bad]
                df[column.name] = days
        if problems:
            raise RegisterError(None, problems=sorted(problems))
        df["check_id"] = _check_ids(df["check_id"])
        return cls(frame=df[["source_row"] + [c.name for c in COLUMNS]])

    def __len__(self) -> int:
        return len(self.frame)


@dataclass
class WaiverReport:
    """What applying a register did.

    Attributes
    ----------
    applied, expired, unmatched : DataFrame
        Register rows (``COLUMNS`` names, ``source_row`` and ``matches`` = findings matched)
        applied / expired at ``as_of`` (not applied) / matching no finding.
    waived_findings : int
        Findings marked waived by this call.
    as_of : Timestamp
    """

    applied: pd.DataFrame
    expired: pd.DataFrame
    unmatched: pd.DataFrame
    waived_findings: int
    as_of: pd.Timestamp
    path: str = ""

    def to_frame(self) -> pd.DataFrame:
        """All register rows with a Chinese 状态 column, Chinese headers."""
        parts = [df.assign(status=REPORT_STATUS[name]) for name, df in
                 (("applied", self.applied), ("expired", self.expired),
                  ("unmatched", self.unmatched)) if len(df)]
        if not parts:
            return pd.DataFrame(columns=["台账行号", *HEADERS.values(), "匹配问题数", "状态"])
        table = pd.concat(parts, ignore_index=True).sort_values("source_row")
        table["approved_on"] = table["approved_on"].dt.strftime("%Y-%m-%d")
        table["expires_on"] = table["expires_on"].dt.strftime("%Y-%m-%d")
        return table.rename(columns={"source_row": "台账行号", "matches": "匹配问题数",
                                     "status": "状态", **HEADERS}).reset_index(drop=True)

    def describe(self) -> list[str]:
        """Chinese lines for logs and the notebook."""
        lines = [f"正当理由登记：适用 {len(self.applied)} 条，豁免问题 {self.waived_findings} 个；"
                 f"已过期 {len(self.expired)} 条（未适用）；未匹配到问题 {len(self.unmatched)} 条。"]
        for row in self.expired.itertuples(index=False):
            lines.append(f"  已过期：第{row.source_row}行 {row.case_id} {row.check_id}"
                         f"（有效期至 {row.expires_on.date()}）")
        for row in self.unmatched.itertuples(index=False):
            lines.append(f"  未匹配：第{row.source_row}行 {row.case_id} {row.check_id}")
        return lines

    def to_dict(self) -> dict:
        return {"applied": len(self.applied), "expired": len(self.expired),
                "unmatched": len(self.unmatched), "waived_findings": self.waived_findings,
                "as_of": self.as_of.date().isoformat(), "path": self.path}

    def _repr_html_(self) -> str:
        head = html.escape(self.describe()[0])
        table = self.to_frame()
        from xfaudit.display import html_table

        return f"<p>{head}</p>" + (html_table(table) if len(table) else "")


def _check_ids(values: pd.Series) -> pd.Series:
    """Check ids from ids (any case) or Chinese check names; unknown values kept as given."""
    by_name = {c.name: cid.value for cid, c in checks().items()}
    by_id = {cid.value: cid.value for cid in checks()}
    text = values.astype("string").str.strip()
    return (text.str.upper().map(by_id).fillna(text.map(by_name)).fillna(text)
            .astype(object).where(text.notna(), None))


def _is_example(frame: pd.DataFrame) -> pd.Series:
    return frame["case_id"].fillna("").str.startswith(EXAMPLE_PREFIX)


def _problems(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    """Unknown check ids and validity dates before approval dates."""
    ids = _check_ids(frame["check_id"])
    known = {cid.value for cid in checks()}
    unknown = ids.notna() & ~ids.isin(known)
    problems = [(int(r), HEADERS["check_id"],
                 f"没有这个检查项“{v}”（可填检查项编号或名称，见「说明」工作表）")
                for r, v in zip(frame.loc[unknown, "source_row"], frame.loc[unknown, "check_id"])]
    backwards = (frame["expires_on"] < frame["approved_on"]).fillna(False)
    return problems + [(int(r), HEADERS["expires_on"], "有效期早于批准日期")
                       for r in frame.loc[backwards, "source_row"]]


def read_register(path: str | Path) -> WaiverRegister:
    """Read a 正当理由 register (xlsx).

    Example rows (信访件编号 starting with 示例) and empty rows are skipped.

    Raises
    ------
    RegisterError
        With every problem by row and column: missing headers, empty required cells, unknown
        check ids, unreadable dates, a validity date before the approval date.
    """
    frame, _ = _read_sheet(path, COLUMNS, sheet=SHEET, skip=_is_example, check=_problems)
    frame["check_id"] = _check_ids(frame["check_id"])
    return WaiverRegister(frame=frame, path=str(path))


def apply_waivers(result: AuditResult, register: WaiverRegister | pd.DataFrame | str | Path,
                  as_of=None) -> tuple[AuditResult, WaiverReport]:
    """Apply a 正当理由 register to an audit result.

    Parameters
    ----------
    result : AuditResult
    register : WaiverRegister, DataFrame (canonical column names) or path of the xlsx
    as_of : date-like, optional
        Date validity is judged at (default: the audit's as-of date). A waiver whose
        有效期至 is before it has expired and is not applied.

    Returns
    -------
    (AuditResult, WaiverReport)
        A new result whose matching findings have ``waived=True`` and ``waiver_reason`` set
        (no finding is removed) and whose summary is recomputed; the input is not changed.
    """
    if isinstance(register, (str, Path)):
        register = read_register(register)
    elif isinstance(register, pd.DataFrame):
        register = WaiverRegister.from_frame(register)
    as_of = pd.Timestamp(as_of if as_of is not None else result.as_of).normalize()
    waivers = register.frame.copy()
    findings = result.findings
    key = findings["case_id"].astype(str) + "\x1f" + findings["check_id"].astype(str)
    waivers["_key"] = waivers["case_id"].astype(str) + "\x1f" + waivers["check_id"].astype(str)
    waivers["matches"] = waivers["_key"].map(key.value_counts()).fillna(0).astype(int)
    expired = (waivers["expires_on"] < as_of).fillna(False).to_numpy(dtype=bool)
    valid = waivers[~expired]
    # Several valid rows for one (item, check): the latest approval gives the reason.
    chosen = (valid.sort_values(["approved_on", "source_row"], kind="stable")
              .drop_duplicates("_key", keep="last").set_index("_key"))
    reason = ("理由：" + chosen["reason"].astype(str) + "（批准人：" + chosen["approved_by"].astype(str)
              + "，" + chosen["approved_on"].dt.strftime("%Y-%m-%d") + "）")
    matched = key.isin(chosen.index).to_numpy()
    new = findings.copy()
    new.loc[matched, "waived"] = True
    new.loc[matched, "waiver_reason"] = key[matched].map(reason).to_numpy()
    new["waived"] = new["waived"].astype(bool)
    summary = summarize(result.extract, result.clocks, new, result.profiles, result.as_of)
    out = dataclasses.replace(result, findings=new, summary=summary)
    keep = ["source_row"] + [c.name for c in COLUMNS] + ["matches"]
    report = WaiverReport(
        applied=valid[valid["matches"] > 0][keep].reset_index(drop=True),
        expired=waivers[expired][keep].reset_index(drop=True),
        unmatched=valid[valid["matches"] == 0][keep].reset_index(drop=True),
        waived_findings=int(matched.sum()), as_of=as_of, path=register.path)
    return out, report


def default_path(registers_dir: str | Path) -> Path:
    """Where the waiver register lives inside a registers folder."""
    from xfaudit.config import load_config

    return Path(registers_dir) / load_config()["followup"]["waiver_file"]


def _example_row(sheet, formats: Formats, row: int) -> None:
    values = ["示例-XF20261000001", "HANDLING_OVERDUE",
              "【示例行，不会被适用】因需司法鉴定，鉴定期间不计入办理期限",
              "张局长（示例）", None, "县信访局〔2026〕督字第1号审批表（示例）", None]
    for col, value in enumerate(values):
        if value is not None:
            sheet.write_string(row, col, value, formats.example)
    sheet.write_datetime(row, 4, dt.datetime(2026, 10, 15), formats.example_date)
    sheet.write_datetime(row, 6, dt.datetime(2026, 12, 31), formats.example_date)


def _instructions(book, formats: Formats) -> tuple[int, int]:
    """The 说明 sheet; returns the 0-based first and last rows of the check-id list."""
    sheet = book.add_worksheet("说明")
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 2, 14)
    sheet.set_column(3, 3, 60)
    sheet.write_string(0, 0, "正当理由登记表填写说明", formats.title)
    notes = [
        "每行登记一个经批准的正当理由：一件信访事项的一个检查项。",
        "信访件编号须与台账一致（按文本填写，保留前导零）；检查项编号填下表中的编号或名称。",
        "批准日期、有效期至填日期（如 2026-11-20）；有效期至为空表示长期有效。"
        "审计日晚于有效期至的，该条不再适用，并在报告中列为“已过期”。",
        "已豁免的问题仍列入问题清单并标明“已豁免”及理由，不视为合规；不计入改进工作建议、追究责任建议。",
        f"信访件编号以“{EXAMPLE_PREFIX}”开头的行为示例，不会被适用，可删除。",
    ]
    for i, text in enumerate(notes, start=1):
        sheet.merge_range(i, 0, i, 3, text, formats.note)
    top = len(notes) + 2
    for col, header in enumerate(["检查项编号", "检查项名称", "问题性质", "说明"]):
        sheet.write_string(top, col, header, formats.header)
    for r, (cid, check) in enumerate(checks().items(), start=top + 1):
        sheet.write_string(r, 0, cid.value, formats.text)
        sheet.write_string(r, 1, check.name, formats.text)
        sheet.write_string(r, 2, KIND_LABELS[check.kind], formats.text)
    return top + 1, top + len(checks())


def write_template(path: str | Path) -> Path:
    """Write an empty 正当理由 register with one example row and a 说明 sheet.

    The 检查项编号 column offers the check ids as a list; 信访件编号 is a text column (leading
    zeros kept); date columns are formatted as dates.
    """
    path = Path(path)

    def write(tmp: Path) -> None:
        book = new_workbook(tmp, title="正当理由登记表", created=dt.datetime(2026, 1, 1),
                            extra={"subject": "信访事项办理超期等问题的正当理由（豁免）登记",
                                   "comments": "由 xfaudit waivers template 生成"})
        formats = Formats(book)
        sheet = book.add_worksheet(SHEET)
        for col, column in enumerate(COLUMNS):
            sheet.write_string(0, col, column.header, formats.header)
            fmt = formats.date if column.kind == "date" else formats.text
            sheet.set_column(col, col, column.width, fmt)
        _example_row(sheet, formats, 1)
        sheet.freeze_panes(1, 0)
        first, last = _instructions(book, formats)
        sheet.data_validation(1, 1, 5000, 1, {
            "validate": "list", "source": f"=说明!$A${first + 1}:$A${last + 1}",
            "error_type": "warning", "error_title": "检查项编号",
            "error_message": "请填写「说明」工作表中列出的检查项编号。"})
        sheet.data_validation(1, 4, 5000, 4, {"validate": "date", "criteria": ">",
                                              "value": dt.date(2000, 1, 1),
                                              "error_type": "warning"})
        sheet.data_validation(1, 6, 5000, 6, {"validate": "date", "criteria": ">",
                                              "value": dt.date(2000, 1, 1),
                                              "error_type": "warning"})
        book.close()

    return atomic_write(path, write)
