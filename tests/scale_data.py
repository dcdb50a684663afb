"""Synthetic extracts for the engines past one machine (tests/test_chunked.py, test_spark.py,
test_sql.py): a small ledger whose duplicates lie far apart, so that no chunk or batch holds
both rows of a pair, with the awkward parts of a real CSV export."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from xfaudit.synth import generate, write

AS_OF = "2026-10-31"


#: 问题属地 of row i is COUNTIES[i % 3]: two counties and an empty cell; FOLDER: the county
#: each is read as (the prefecture and the county), its folder of the per-county outputs.
COUNTIES = ["河北省保定市涞水县石桥镇", "河北省保定市易县", ""]
FOLDER = {"河北省保定市涞水县石桥镇": "保定市涞水县", "河北省保定市易县": "保定市易县",
          "": "（县区未填写）"}

#: The city department every county's 县交通运输局 items go to in :func:`counties_csv` (in the
#: default ledger it has this month's accountability findings in both counties).
CITY_UNIT = "保定市交通运输局"


def comparable_json(path: Path) -> dict:
    """summary.json / validation.json without what differs between engines by design (the
    timings and the engine's own settings)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in ("timings", "engine"):
        data.pop(key, None)
    return data


def far_apart_csv(path: Path, *, seed: int = 14, others: int = 6, pairs: int = 6,
                  due_soon: int = 2) -> Path:
    """A CSV ledger (title row, header, records) cut from a synthetic county month, with a
    问题属地 column (:data:`COUNTIES`, by the id).

    Records, in order: the first rows of ``pairs`` pairs — half of them a 信访件编号 given
    twice, half a row pasted twice; ``others`` ordinary rows, among them ``due_soon`` with a
    deadline in the 15 days after the as-of date (for 临期预警), a 主要诉求 spanning two lines
    (quoted) and an empty line; then the second rows of those pairs (so each pair is as far
    apart as the file allows); a 合计 footer and two trailing empty lines.
    """
    path = Path(path)
    raw = path.with_name(path.stem + ".synth.csv")
    write(generate(200, AS_OF[:7], seed), raw)
    lines = raw.read_text(encoding="utf-8-sig").split("\n")
    title, header, records = lines[0], lines[1], [r for r in lines[2:] if r]
    table = pd.read_csv(io.StringIO("\n".join([header, *records])), dtype=str,
                        keep_default_na=False)
    ids = table["信访件编号"]
    # 问题属地 by the id's last character, so a pasted copy stays a copy (per-county outputs)
    header += ",问题属地"
    records = [f"{r},{COUNTIES[ord(i[-1]) % 3] if i else ''}" for r, i in zip(records, ids)]
    paired = (ids.duplicated(keep=False) & (ids != "")) | table.duplicated(keep=False)
    copies = table.duplicated(keep=False)
    chosen = []
    for kind in (~copies, copies):                   # ids given twice, rows pasted twice
        firsts = [i for i in range(len(table)) if paired[i] and kind[i]
                  and not _seen_before(table, ids, i)][:pairs // 2]
        chosen += [(i, _second_of(table, ids, i)) for i in firsts]
    firsts = [a for a, _ in chosen]
    seconds = [b for _, b in chosen]
    soon = set(_due_soon_records(raw)) if due_soon else set()
    plain = [i for i in range(len(table)) if not paired[i]]
    plain = sorted([i for i in plain if i in soon][:due_soon]
                   + [i for i in plain if i not in soon][:others - min(due_soon, len(soon))])
    assert firsts and seconds, "the synthetic month has duplicates"
    middle = [records[i] for i in plain]
    summary = header.split(",").index("主要诉求")
    cells = middle[1].split(",")
    cells[summary] = '"' + cells[summary] + '\n（第二行：来信附件）"'
    middle[1] = ",".join(cells)
    middle.insert(len(middle) // 2, "")
    body = [title, header, *[records[i] for i in firsts], *middle,
            *[records[i] for i in seconds], "合计" + "," * header.count(","), "", ""]
    path.write_text("\n".join(body), encoding="utf-8-sig")
    raw.unlink()
    for extra in raw.parent.glob(raw.stem + ".*"):
        extra.unlink()
    return path


def _due_soon_records(raw: Path) -> list[int]:
    """The records (0-based, after the title and header rows) with an open deadline in the 15
    days after :data:`AS_OF`."""
    from xfaudit.audit import audit
    from xfaudit.views import due_soon

    rows = due_soon(audit(raw, as_of=AS_OF), days=15)["台账行号"]
    return sorted({int(r) - 3 for r in rows})


def _second_of(table: pd.DataFrame, ids: pd.Series, i: int) -> int:
    """The record after ``i`` that repeats its id or all its cells."""
    same = (ids == ids.iloc[i]) if ids.iloc[i] != "" else (table == table.iloc[i]).all(axis=1)
    return int([j for j in same[same].index if j > i][0])


def _seen_before(table: pd.DataFrame, ids: pd.Series, i: int) -> bool:
    """Whether an earlier record shares row ``i``'s id (when it has one) or all its cells."""
    if ids.iloc[i] != "" and (ids.iloc[:i] == ids.iloc[i]).any():
        return True
    return bool((table.iloc[:i] == table.iloc[i]).all(axis=1).any())


class CountyLedger:
    """A CSV ledger of several counties (``path``) and its records as written (``frame``)."""

    def __init__(self, path: Path, frame: pd.DataFrame):
        self.path, self.frame = path, frame


def _own_unit(unit: str, county: str) -> str:
    """The county's own unit (县教育局 of 保定市涞水县 → 涞水县教育局; a township gets the county
    in front), :data:`CITY_UNIT` for 县交通运输局; rows without a county keep the generic
    name."""
    if not unit or not county.startswith("保定市"):
        return unit
    if unit == "县交通运输局":
        return CITY_UNIT
    return county.removeprefix("保定市") + unit.removeprefix("县")


def counties_csv(folder: Path, rows: int = 150, seed: int = 5,
                 places: list[str] = COUNTIES, own_units: bool = True) -> CountyLedger:
    """The first ``rows`` records of a synthetic county month (duplicated ids included) with a
    问题属地 column: record i in ``places[i % len(places)]``; with ``own_units`` each county's
    units carry its name, and its 县交通运输局 items go to the city's (:data:`CITY_UNIT`)."""
    raw = folder / "raw.csv"
    write(generate(200, AS_OF[:7], seed), raw)
    lines = raw.read_text(encoding="utf-8-sig").split("\n")
    frame = pd.read_csv(io.StringIO("\n".join(lines[1:])), dtype=str, keep_default_na=False)
    frame = frame.iloc[:rows].reset_index(drop=True)
    frame["问题属地"] = [places[i % len(places)] for i in range(len(frame))]
    if own_units:
        frame["责任单位"] = [_own_unit(u, FOLDER.get(p, "")) for u, p in
                           zip(frame["责任单位"], frame["问题属地"])]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "全省台账.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return CountyLedger(path, frame)


def sheet_rows(workbook: Path, name: str) -> list[tuple]:
    """The values of one sheet of a workbook, row by row."""
    from openpyxl import load_workbook

    book = load_workbook(workbook, read_only=True)
    try:
        return [tuple(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()
