"""Secondary tables of one export (办理, 答复告知, 复查复核, 回访 …) joined onto the item table
(信访件) on 信访件编号.

The item table decides the rows: one row per item row, never more (an id that repeats in the
item table gives each of its rows the same joined values). A secondary table contributes the
fields the item table lacks, and fills the item table's empty cells of the fields both have;
where both hold a value the item table's is kept and the disagreement is counted.

Several rows for one item (a 办理 table lists every step) are combined field by field:

* dates of events (转交, 受理, 办结, 答复 …): the earliest — the act first happened then;
* deadlines (交办期限, 限办时间, 落实期限): the latest — an extension moves a deadline;
* every other field: the value of the latest row that has one, rows ordered by their latest
  date (the row's step), then by their order in the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xfaudit.convert import UNREADABLE_TABLE
from xfaudit.model import SOURCE_ROW
from xfaudit.schema import fields

#: Date fields that are deadlines: several rows give the latest.
DEADLINE_FIELDS = ("assigned_deadline", "system_deadline", "implementation_due")

RULE = ("日期取最早的一条（期限类取最晚的：交办期限、限办时间、落实期限）；其他字段取最近一步"
        "（按该行最晚的日期，同日按表中行序）中有值的一条")

_ORDER = "_xfaudit_order"


@dataclass
class Joined:
    """What one secondary table gave the item table."""

    frame: pd.DataFrame              # the item frame with the table's fields joined
    unreadable: pd.DataFrame         # the table's unreadable cells, on the items' rows
    rows_matched: int
    items_matched: int
    rows_without_id: int
    unmatched_ids: list[str]
    items_with_several_rows: int
    fields_added: list[str]
    fields_filled: dict[str, int]
    conflicts: dict[str, int]
    unreadable_unused: int           # unreadable cells on unmatched rows or superseded fields


def join_table(items: pd.DataFrame, table: pd.DataFrame, unreadable: pd.DataFrame) -> Joined:
    """Join one secondary table (``table``: source_row, case_id and its fields, as the loader
    builds it; ``unreadable``: its unreadable cells) onto ``items``."""
    ids = table["case_id"]
    known = set(items["case_id"].dropna()) if "case_id" in items else set()
    has_id = ids.notna().to_numpy()
    matched = has_id & ids.isin(known).to_numpy()
    unmatched = sorted(set(ids[has_id & ~matched]))
    rows = table[matched]
    combined = combine_rows(rows)
    per_item = combined.reindex(items["case_id"].to_numpy())
    per_item.index = items.index
    frame = items.copy()
    added, filled, conflicts = [], {}, {}
    for name in [c for c in combined.columns if c in fields()]:
        theirs = per_item[name]
        if name not in frame:
            frame[name] = _typed(theirs, table[name].dtype)
            added.append(name)
            continue
        ours = frame[name]
        gap = ours.isna() & theirs.notna()
        both = ours.notna() & theirs.notna()
        filled[name] = int(gap.sum())
        conflicts[name] = int((both & (ours != theirs).fillna(False)).sum())
        if filled[name]:
            frame[name] = ours.where(~gap, theirs).astype(ours.dtype)
    frame = frame[[SOURCE_ROW] + [f for f in fields() if f in frame]]
    cells, unused = _unreadable_on_items(unreadable, table, matched, items, frame)
    counts = rows["case_id"].value_counts()
    return Joined(frame=frame, unreadable=cells, rows_matched=int(matched.sum()),
                  items_matched=int(items["case_id"].isin(set(rows["case_id"])).sum())
                  if "case_id" in items else 0,
                  rows_without_id=int((~has_id).sum()), unmatched_ids=[str(i) for i in unmatched],
                  items_with_several_rows=int((counts > 1).sum()), fields_added=added,
                  fields_filled=filled, conflicts=conflicts, unreadable_unused=unused)


def combine_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per 信访件编号 (the index) by the module's rules; columns: the table's fields."""
    names = [c for c in rows.columns if c in fields() and c != "case_id"]
    if rows.empty:
        return pd.DataFrame({n: rows[n] for n in names}).set_axis(
            pd.Index([], name="case_id"))
    dates = [n for n in names if fields()[n].is_date]
    latest = (rows[dates].max(axis=1) if dates
              else pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]"))
    ordered = rows.assign(**{_ORDER: latest}).sort_values(
        [_ORDER, SOURCE_ROW], na_position="first", kind="stable")
    groups = ordered.groupby("case_id", sort=False)
    out = {}
    for name in names:
        if name in dates:
            out[name] = groups[name].max() if name in DEADLINE_FIELDS else groups[name].min()
        else:
            out[name] = groups[name].last()          # last non-empty value in step order
    combined = pd.DataFrame(out)
    combined.index.name = "case_id"
    return combined


def _typed(values: pd.Series, dtype) -> pd.Series:
    if dtype == object:
        return values.astype(object).where(values.notna(), None)
    return values.astype(dtype)


def _unreadable_on_items(unreadable: pd.DataFrame, table: pd.DataFrame, matched: np.ndarray,
                         items: pd.DataFrame, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The table's unreadable cells placed on the rows of their items, where the item's value
    of that field stayed empty (so the audit knows the cell could not be read); the others
    (unmatched ids, or a value the item table has) are only counted."""
    if unreadable.empty:
        return unreadable.iloc[0:0][UNREADABLE_TABLE], 0
    ids = dict(zip(table[SOURCE_ROW], table["case_id"], strict=True))
    good_rows = set(table[SOURCE_ROW][matched])
    cells = unreadable[unreadable["source_row"].isin(good_rows)]
    item_rows = items[[SOURCE_ROW, "case_id"]].rename(columns={SOURCE_ROW: "item_row"})
    cells = cells.assign(case_id=cells["source_row"].map(ids))
    placed = cells.merge(item_rows, on="case_id", how="inner")
    if placed.empty:
        return unreadable.iloc[0:0][UNREADABLE_TABLE], len(unreadable)
    position = pd.Series(np.arange(len(frame)), index=frame[SOURCE_ROW].to_numpy())
    keep = np.array([name in frame and pd.isna(frame[name].iloc[position[row]])
                     for name, row in zip(placed["field"], placed["item_row"], strict=True)],
                    dtype=bool)
    placed = placed[keep].assign(source_row=lambda d: d["item_row"])
    unused = len(unreadable) - int(keep.sum())
    return placed[UNREADABLE_TABLE].reset_index(drop=True), max(unused, 0)
