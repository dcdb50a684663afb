"""The unit register (单位名录): one official name per unit, its short forms, type and parent.

Real ledgers spell one unit several ways (``青禾县石桥镇人民政府``, ``石桥镇人民政府``, ``石桥镇``),
so findings would split one unit into several, each with its own letter and rank. The inspector
keeps a register (``xfaudit units --template 单位名录.xlsx`` writes one):

| 单位全称 | 简称/别名 | 上级单位 | 单位类型 | 是否行政机关 | 是否本局 |

Passed with ``--units`` (``units=`` in Python), it normalises every unit-valued field of the
extract (责任单位, 登记部门, 复查机关, 复核机关) to the 单位全称: by the full name or an alias
(compared after folding spaces and full-width forms), else — when exactly one full name ends
with it — by suffix (``石桥镇人民政府`` → ``青禾县石桥镇人民政府``). A 登记部门 written as a path
(``青禾县信访局/办信科``) is read by its first part. Names the register does not know are kept as
written and listed, so the inspector can add them. The type tells the accountability drafts
whether a unit is a 行政机关 (2005 行政处分 reaches only 行政机关), and 是否本局 marks the
petition bureau itself, which never receives a letter from itself.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from xfaudit.model import Extract
from xfaudit.registers import Column, Formats, atomic_write, new_workbook, read_register
from xfaudit.schema import fold_text

__all__ = ["Unit", "UnitRegister", "UNIT_FIELDS", "UNIT_TYPES", "read_units", "write_template",
           "apply_units"]

#: The extract's fields that name a unit.
UNIT_FIELDS = ("handling_unit", "registering_body", "review_organ", "rereview_organ")

#: Unit types offered in the template (free text is accepted too).
UNIT_TYPES = ("乡镇街道", "县直部门", "信访部门", "法院", "检察院", "党委部门", "人大政协",
              "群团组织", "国有企事业单位", "其他")

SHEET = "单位名录"

COLUMNS = [
    Column("name", "单位全称", "text", required=True, width=30),
    Column("aliases", "简称/别名", "text", width=36),
    Column("parent", "上级单位", "text", width=24),
    Column("kind", "单位类型", "text", width=14),
    Column("administrative", "是否行政机关", "yesno", width=12),
    Column("bureau", "是否本局", "yesno", width=10),
]

#: Separators between several aliases in one cell.
_ALIAS_SEPARATORS = re.compile(r"[、，,;；/|\n]+")


@dataclass(frozen=True)
class Unit:
    """One unit of the register."""

    name: str
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    kind: str | None = None
    administrative: bool | None = None
    bureau: bool = False


@dataclass(frozen=True)
class UnitRegister:
    """The units, and how a written name finds its unit."""

    units: tuple[Unit, ...]
    path: str = ""

    def by_name(self) -> dict[str, Unit]:
        return {u.name: u for u in self.units}

    def _lookup(self) -> dict[str, str]:
        table = {}
        for unit in self.units:
            for written in (unit.name, *unit.aliases):
                table[fold_text(written)] = unit.name
        return table

    def resolve(self, names) -> tuple[dict[str, str], dict[str, str]]:
        """Distinct written names → (official name, how it matched) for those it recognises.

        ``how`` is ``全称``, ``别名`` or ``后缀``.
        """
        lookup = self._lookup()
        full = {fold_text(u.name): u.name for u in self.units}
        found, how = {}, {}
        for written in names:
            key = fold_text(_first_part(written))
            if key in lookup:
                found[written] = lookup[key]
                how[written] = "全称" if key in full else "别名"
                continue
            endings = [name for folded, name in full.items() if len(key) >= 3
                       and folded.endswith(key)]
            if len(endings) == 1:
                found[written] = endings[0]
                how[written] = "后缀"
        return found, how

    def is_bureau(self, name: str | None) -> bool:
        unit = self.by_name().get(name) if name else None
        return bool(unit and unit.bureau)

    def is_administrative(self, name: str | None) -> bool | None:
        """True / False as the register says; None when it does not say (待核实)."""
        unit = self.by_name().get(name) if name else None
        return None if unit is None else unit.administrative

    def to_dict(self) -> dict:
        return {"path": self.path, "units": len(self.units)}


def _first_part(written: str) -> str:
    """``青禾县信访局/办信科`` → ``青禾县信访局`` (a department path names its organ first)."""
    return written.split("/", 1)[0].strip() or written


def read_units(path: str | Path) -> UnitRegister:
    """Read a unit register (every problem reported at once, with row and column).

    Raises
    ------
    RegisterError
        A missing header, an empty 单位全称, a yes/no cell that is neither, a name or alias
        that two units share.
    """
    frame, _sheet = read_register(path, COLUMNS, sheet=SHEET, skip=_examples, check=_problems)
    units = tuple(
        Unit(name=row.name, aliases=_aliases(row.aliases),
             parent=row.parent if isinstance(row.parent, str) else None,
             kind=row.kind if isinstance(row.kind, str) else None,
             administrative=None if pd.isna(row.administrative) else bool(row.administrative),
             bureau=bool(row.bureau) if not pd.isna(row.bureau) else False)
        for row in frame.itertuples(index=False))
    return UnitRegister(units=units, path=str(path))


def _aliases(cell) -> tuple[str, ...]:
    """The several aliases of one cell (separated by 、，, ; / or line breaks)."""
    text = cell if isinstance(cell, str) else ""
    return tuple(a.strip() for a in _ALIAS_SEPARATORS.split(text) if a.strip())


def _problems(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    """A written name (full or alias) may belong to one unit only."""
    seen: dict[str, tuple[int, str]] = {}
    problems = []
    for row in frame.itertuples(index=False):
        names = [row.name] if row.name else []
        names += list(_aliases(row.aliases))
        for written in names:
            key = fold_text(written)
            if key in seen and seen[key][1] != row.name:
                problems.append((int(row.source_row), "简称/别名",
                                 f"“{written}”已在第{seen[key][0]}行用于“{seen[key][1]}”"))
            else:
                seen.setdefault(key, (int(row.source_row), row.name))
    return problems


def apply_units(extract: Extract, register: UnitRegister | str | Path | None) -> Extract:
    """The extract with its unit names made official (a new Extract; the input is unchanged).

    The ingest report gains ``unit_names`` (written → official, how) and ``unknown_units``
    (written names the register does not know, with their row counts).
    """
    if register is None:
        return extract
    if not isinstance(register, UnitRegister):
        register = read_units(register)
    frame = extract.frame.copy()
    matched, unknown = [], {}
    for name in (f for f in UNIT_FIELDS if f in frame.columns):
        values = frame[name]
        written = values.dropna().unique()
        found, how = register.resolve(written)
        if found:
            frame[name] = values.map(lambda v, f=found: f.get(v, v) if isinstance(v, str) else v)
        matched += [{"field": name, "written": w, "name": found[w], "how": how[w]}
                    for w in written if w in found and found[w] != w]
        counts = values[values.notna() & ~values.isin(list(found))].value_counts()
        for w, n in counts.items():
            unknown[w] = unknown.get(w, 0) + int(n)
    report = replace(
        extract.report,
        unit_names=pd.DataFrame(matched, columns=["field", "written", "name", "how"]),
        unknown_units=dict(sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))),
        unit_register=register.to_dict())
    return Extract(frame=frame, report=report)


def write_template(path: str | Path) -> Path:
    """Write an empty unit register with example rows and a 说明 sheet."""
    path = Path(path)

    def write(tmp: Path) -> None:
        book = new_workbook(tmp, title="单位名录", created=dt.datetime(2026, 1, 1),
                            extra={"subject": "责任单位名称、别名、类型（xfaudit 单位名录）",
                                   "comments": "由 xfaudit units --template 生成"})
        formats = Formats(book)
        sheet = book.add_worksheet(SHEET)
        for col, column in enumerate(COLUMNS):
            sheet.write_string(0, col, column.header, formats.header)
            sheet.set_column(col, col, column.width, formats.text)
        examples = [
            ("【示例】青禾县信访局", "县信访局、信访局", None, "信访部门", "是", "是"),
            ("【示例】青禾县石桥镇人民政府", "石桥镇、石桥镇人民政府", None, "乡镇街道", "是", "否"),
            ("【示例】青禾县公安局石桥派出所", "石桥派出所", "青禾县公安局", "县直部门", "是", "否"),
            ("【示例】青禾县人民法院", "县法院", None, "法院", "否", "否"),
        ]
        for r, values in enumerate(examples, start=1):
            for c, value in enumerate(values):
                if value is not None:
                    sheet.write_string(r, c, value, formats.example)
        sheet.freeze_panes(1, 0)
        sheet.data_validation(1, 3, 5000, 3, {"validate": "list", "source": list(UNIT_TYPES),
                                              "error_type": "information"})
        for col in (4, 5):
            sheet.data_validation(1, col, 5000, col, {"validate": "list", "source": ["是", "否"]})
        notes = book.add_worksheet("说明")
        notes.set_column(0, 0, 100)
        lines = [
            "单位名录：每行一个单位。审计时用 --units 单位名录.xlsx 传入。",
            "单位全称：正式名称，问题清单、排名和文书都用它。",
            "简称/别名：台账中出现的其他写法，多个用顿号或逗号分隔（如：石桥镇、石桥镇人民政府）。"
            "台账中的名称若恰为某一全称的结尾（如“石桥镇人民政府”之于“青禾县石桥镇人民政府”），也会自动对应。",
            "单位类型：乡镇街道、县直部门、信访部门、法院、检察院、党委部门等。",
            "是否行政机关：《信访条例》（2005）的行政处分建议只向行政机关提出；未填写的列为“待核实”。",
            "是否本局：本信访局自身（及其科室）填“是”：本局的问题列入报告“自查”部分，不向本局发函。",
            "以“【示例】”开头的行为示例，不会被使用，可删除。",
        ]
        for i, line in enumerate(lines):
            notes.write_string(i, 0, line, formats.note)
        book.close()

    atomic_write(path, write)
    return path


def _examples(frame: pd.DataFrame) -> pd.Series:
    """The template's example rows (their 单位全称 starts with 【示例】): never used."""
    return frame["name"].fillna("").str.startswith("【示例】")
