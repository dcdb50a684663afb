"""Exceptions of xfaudit.

Every error is data: it carries the file, sheet, row, column or year it is about, and renders a
Chinese message for the inspector in ``__str__``. Each class also inherits the builtin it
resembles, so callers may catch either (``except ValueError`` still works).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field, fields
from pathlib import Path


class XfauditError(Exception):
    """Root of every error xfaudit raises on purpose.

    The subclasses are dataclasses declared with ``eq=False``: an error is hashable and
    compares by identity like any exception. After the generated ``__init__``,
    :meth:`__post_init__` passes the fields to ``Exception.__init__``, so ``args`` holds
    them in order and ``pickle``/``copy`` rebuild the error with the same fields (what
    multiprocessing, joblib and logging handlers need).
    """

    def __post_init__(self) -> None:
        Exception.__init__(self, *(getattr(self, f.name) for f in fields(self)))

    def message(self) -> str:  # pragma: no cover - overridden
        return super().__str__()

    def __str__(self) -> str:
        return self.message()


def _where(path: str | Path | None, sheet: str | None = None, row: int | None = None,
           column: str | None = None) -> str:
    """Chinese location prefix such as '文件 a.xlsx 工作表「台账」第5行「收到日期」列'."""
    parts = []
    if path is not None:
        parts.append(f"文件 {Path(path).name}" + (" " if sheet or row is not None or column
                                                 else ""))
    if sheet:
        parts.append(f"工作表「{sheet}」")
    if row is not None:
        parts.append(f"第{row}行")
    if column:
        parts.append(f"「{column}」列")
    return "".join(parts)


@dataclass(eq=False)
class ExtractError(XfauditError, ValueError):
    """An extract that cannot be read as a case ledger.

    ``reason`` is the Chinese explanation; ``hint`` says what the user can do.
    """

    path: str | Path | None
    reason: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    hint: str = ""

    def message(self) -> str:
        where = _where(self.path, self.sheet, self.row, self.column)
        text = f"{where}：{self.reason}" if where else self.reason
        return f"{text}。{self.hint}" if self.hint else text


@dataclass(eq=False)
class ExtractNotFoundError(ExtractError, FileNotFoundError):
    """The extract file does not exist."""


@dataclass(eq=False)
class HeaderNotFoundError(ExtractError):
    """No row of the sheet looks like the ledger's header.

    ``found`` holds the labels of the row that came closest, ``recognised`` the canonical
    fields it names, ``candidate_row`` its row number; ``scanned`` is how many rows were
    searched; ``header_row`` the row the user named, if any; ``hidden`` hidden sheets that do
    have a ledger header (never read unless named).
    """

    found: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    recognised: list[str] = field(default_factory=list)
    candidate_row: int | None = None
    scanned: int | None = None
    header_row: int | None = None
    hidden: list[str] = field(default_factory=list)

    def message(self) -> str:
        where = _where(self.path, self.sheet)
        keys = "、".join(f"「{k}」" for k in self.required)
        found = "、".join(self.found[:20]).rstrip("。") or "（无）"
        hidden = ("；隐藏的工作表" + "、".join(f"「{h}」" for h in self.hidden)
                  + "有台账表头，但隐藏的工作表不会自动读取，如需审计请用 --sheet 指定"
                  if self.hidden else "")
        if self.header_row is not None:
            return (f"{where}：第{self.header_row}行不是台账表头（表头至少要有{keys}之一和另一个"
                    f"已知字段）。该行内容：{found}{hidden}。")
        if self.recognised and len(self.recognised) >= 2:
            return (f"{where}：第{self.candidate_row}行像表头（识别出："
                    f"{'、'.join(self.recognised)}），但没有{keys}中的任何一列。找到的表头：{found}"
                    f"{hidden}。请在映射文件中把本地表头对应到这些字段（见 README「表头映射」），"
                    "例如 \"来件编号\" = \"case_id\"。")
        scanned = f"前{self.scanned}行中" if self.scanned else ""
        first = f"第{self.candidate_row}行的内容：{found}" if self.candidate_row else "工作表中没有文字"
        return (f"{where}：在{scanned}找不到台账表头（表头至少要有{keys}之一和另一个已知字段）。"
                f"{first}{hidden}。如果表头在更下面的行，请用 --header-row 指定表头所在的行号；"
                "如果表头是本地叫法，请在映射文件中添加别名（见 README「表头映射」）。")


@dataclass(eq=False)
class SheetChoiceError(ExtractError):
    """Several sheets of a workbook look like the ledger: the user must say which."""

    candidates: list[str] = field(default_factory=list)

    def message(self) -> str:
        return (f"{_where(self.path)}：工作簿中有{len(self.candidates)}个工作表都像台账："
                f"{'、'.join(self.candidates)}。请用 --sheet 指定要审计的工作表（Python 中用 "
                "sheet=）；若它们是同一台账的几部分，请在 Excel 中合并到一个工作表后再审计"
                "（问题清单按工作表中的行号指向每一行）。")


@dataclass(eq=False)
class MappingError(XfauditError, ValueError):
    """A user header-mapping file that cannot be used."""

    path: str | Path
    reason: str

    def message(self) -> str:
        return f"表头映射文件 {Path(self.path).name} 有误：{self.reason}"


@dataclass(eq=False)
class CalendarError(XfauditError, ValueError):
    """A date for which no official holiday table is known (or a bad holiday file)."""

    year: int | None = None
    reason: str = ""

    def message(self) -> str:
        if self.reason:
            return self.reason
        return (f"{self.year}年的法定节假日安排未知，无法按工作日计算期限。"
                f"请用 --holidays 提供{self.year}年的节假日文件（格式见 README「节假日文件」）。")


@dataclass(eq=False)
class CalendarInputError(XfauditError, ValueError):
    """A calendar computation called with arguments it cannot use (a day count that is not an
    integer, dates and counts of different lengths, an unknown kind of days)."""

    reason: str

    def message(self) -> str:
        return self.reason


@dataclass(eq=False)
class ProfileError(XfauditError, ValueError):
    """A rule profile that does not exist or is malformed."""

    profile: str
    reason: str

    def message(self) -> str:
        return f"规则配置「{self.profile}」有误：{self.reason}"


@dataclass(eq=False)
class ConfigError(XfauditError, ValueError):
    """A configuration or register file (waivers, thresholds, recommendations) that is malformed."""

    path: str | Path | None
    reason: str

    def message(self) -> str:
        where = f"文件 {Path(self.path).name}：" if self.path else ""
        return f"{where}{self.reason}"


@dataclass(eq=False)
class ValidationEngineError(XfauditError, RuntimeError):
    """Great Expectations failed to evaluate an expectation (never read as 'no findings')."""

    check_id: str
    detail: str

    def message(self) -> str:
        return f"校验引擎执行检查 {self.check_id} 时出错：{self.detail}"


@dataclass(eq=False)
class RunError(XfauditError, RuntimeError):
    """A monthly run that failed at a named step; an earlier report stays untouched."""

    step: str
    detail: str
    cell_index: int | None = None

    def message(self) -> str:
        # papermill counts cells from 0; people count from 1
        cell = (f"（笔记本第{self.cell_index + 1}个单元格）" if self.cell_index is not None
                else "")
        return f"月度审计在「{self.step}」步骤失败{cell}：{self.detail}。原有报告未被改动。"


#: What an operating-system error means for the user, by ``errno`` name (names a platform
#: lacks are skipped).
_OS_REASONS = {getattr(errno, name): reason for name, reason in {
    "ENOSPC": "磁盘空间不足。请清理磁盘或换一个输出目录",
    "EDQUOT": "磁盘配额已用完。请清理磁盘或换一个输出目录",
    "EROFS": "所在磁盘是只读的。请换一个输出目录",
    "EACCES": "没有写入权限（在 Windows 上也可能是文件正在 Excel/WPS 中打开）。"
              "请关闭文件、换一个输出目录或请管理员开放权限",
    "EPERM": "没有写入权限。请换一个输出目录或请管理员开放权限",
    "EEXIST": "路径上已有同名的文件（不是文件夹）。请换一个输出目录",
    "ENOTDIR": "路径中有一部分是文件而不是文件夹。请换一个输出目录",
    "EISDIR": "路径是文件夹而不是文件",
    "ENAMETOOLONG": "路径或文件名太长。请换一个较短的输出目录",
    "EBUSY": "文件正被其他程序占用。请关闭后重试",
    "ETXTBSY": "文件正被其他程序占用。请关闭后重试",
}.items() if hasattr(errno, name)}

#: ``errno`` values of file-system errors the user can fix (exit 2, not an internal defect).
USER_OS_ERRNOS = frozenset(_OS_REASONS)


@dataclass(eq=False)
class OutputError(XfauditError, OSError):
    """An output folder or file that cannot be written: a file in the way, a path below a
    file, no permission, a read-only or full disk. ``path`` is what could not be written."""

    path: str
    reason: str

    @classmethod
    def from_os_error(cls, path: str | Path, exc: OSError) -> "OutputError":
        """The Chinese error for an ``OSError`` met while writing ``path``."""
        reason = _OS_REASONS.get(exc.errno) or (exc.strerror or type(exc).__name__)
        return cls(path=str(exc.filename or path), reason=reason)

    def message(self) -> str:
        return f"无法写入 {self.path}：{self.reason}。"


@dataclass(eq=False)
class FolderLockedError(XfauditError, RuntimeError):
    """Another run holds the lock of the output folder (see :mod:`xfaudit.outdir`)."""

    folder: str
    pid: int | None = None
    started: str | None = None
    host: str | None = None
    command: str | None = None

    def message(self) -> str:
        who = "、".join(part for part in (
            f"进程 {self.pid}" if self.pid else "",
            f"计算机 {self.host}" if self.host else "",
            f"{self.started} 开始" if self.started else "",
            f"命令：{self.command}" if self.command else "") if part)
        return (f"输出目录 {self.folder} 正由另一次 xfaudit 运行使用"
                f"{f'（{who}）' if who else ''}。请等它结束后再运行，或换一个输出目录。")


@dataclass(eq=False)
class DependencyError(XfauditError, RuntimeError):
    """An installed library outside the versions this xfaudit was checked against, where
    xfaudit relies on its internals (pyproject.toml bounds it to the same range)."""

    package: str
    installed: str
    supported: str

    def message(self) -> str:
        return (f"已安装的 {self.package} {self.installed} 未经本版本 xfaudit 验证"
                f"（支持 {self.supported}）。请按 README 用 constraints.txt 重新安装依赖。")


@dataclass(eq=False)
class CaseNotFoundError(XfauditError, KeyError):
    """No row of the extract has the case id asked for (views.case_timeline)."""

    case_id: str

    def message(self) -> str:
        return f"台账中没有编号为「{self.case_id}」的信访件"


@dataclass(eq=False)
class FontMissingError(XfauditError, RuntimeError):
    """No font with Chinese glyphs is installed, so charts cannot show Chinese."""

    tried: list[str] = field(default_factory=list)

    def message(self) -> str:
        return ("未找到中文字体，图表中的中文无法显示。请安装 Noto Sans CJK 字体："
                "Debian/Ubuntu 上以 root 运行 `apt-get install fonts-noto-cjk`（或运行 make setup），"
                "然后删除 ~/.cache/matplotlib/fontlist-*.json 后重试。"
                f"（已查找：{'、'.join(self.tried)}）")


@dataclass(eq=False)
class RegisterError(XfauditError, ValueError):
    """A register the inspector keeps (waivers, follow-up) that cannot be used as it stands.

    ``problems`` lists every problem found, as ``(row, column, reason)`` with the 1-based row
    number the inspector sees in Excel (``row``/``column`` may be None for file-level problems);
    all of them are collected before raising, so one correction round fixes the file.
    """

    path: str | Path | None
    reason: str = ""
    sheet: str | None = None
    problems: list[tuple[int | None, str | None, str]] = field(default_factory=list)

    def message(self) -> str:
        head = "登记表" + (f" {Path(self.path).name}" if self.path else "")
        head += f" 工作表「{self.sheet}」" if self.sheet else ""
        if not self.problems:
            return f"{head}：{self.reason}"
        shown = [f"{_where(None, None, row, column) or '整个文件'}：{text}"
                 for row, column, text in self.problems[:30]]
        more = f"；另有{len(self.problems) - 30}处未列出" if len(self.problems) > 30 else ""
        intro = f"{self.reason}，" if self.reason else ""
        return (f"{head}{intro}有{len(self.problems)}处错误，请改正后重新运行：\n  "
                + "\n  ".join(shown) + more)


@dataclass(eq=False)
class RegisterNotFoundError(RegisterError, FileNotFoundError):
    """A register file that was named but does not exist."""


@dataclass(eq=False)
class SynthError(XfauditError, ValueError):
    """A request the synthetic-ledger generator cannot fulfil (too few cases, an early period)."""

    reason: str

    def message(self) -> str:
        return f"无法生成模拟台账：{self.reason}"
