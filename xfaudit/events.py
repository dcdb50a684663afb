"""Events after an item: the facts a serious consequence (严重后果) rests on.

A 追究责任建议 needs a consequence distinct from the conduct it follows, on the same matter and
dated after the conduct's last day (README, "The three recommendations"). The ledger holds
such facts in two forms, and this step of the audit lists both, one row per (item, event), so
that the recommendations read them as data and never the raw extract:

- **later** — a later petition of the same petitioner: its 信访件编号, 收到日期 (the event's
  date), whether it is marked 重件 or 越级, its 人数 and 信访形式, and whether it has the item's
  内容分类. The petitioner is matched inside the run only — by 证件号码, else by 信访人 + 联系电话;
  an anonymous or unnamed petitioner matches nobody — and the key never leaves this module;
- **escalated** / **rated** — the item's own 是否越级 flag and its 满意度: the ledger gives
  them no date, so they can never be shown to follow a failure (a draft lists them 待核实).
"""

from __future__ import annotations

import pandas as pd

from xfaudit.model import Extract, SOURCE_ROW

#: Columns of the events table.
EVENT_COLUMNS = ["source_row", "case_id", "event", "on", "later_case_id", "repeat",
                 "escalated", "people", "channel", "same_category", "rating"]

LATER, ESCALATED, RATED = "later", "escalated", "rated"

#: A placeholder (``无``, ``0``, ``不详``) written in many rows is nobody: an id number counts
#: from 15 characters, a phone from 7 digits, and a key shared by more items than this is not
#: taken for one person (it would only pair strangers).
MAX_ITEMS_PER_PETITIONER = 200


def empty_events() -> pd.DataFrame:
    return pd.DataFrame({
        "source_row": pd.Series(dtype="int64"), "case_id": pd.Series(dtype=object),
        "event": pd.Series(dtype=object), "on": pd.Series(dtype="datetime64[ns]"),
        "later_case_id": pd.Series(dtype=object), "repeat": pd.Series(dtype="boolean"),
        "escalated": pd.Series(dtype="boolean"), "people": pd.Series(dtype="Int64"),
        "channel": pd.Series(dtype=object), "same_category": pd.Series(dtype="boolean"),
        "rating": pd.Series(dtype=object)})


def _column(frame: pd.DataFrame, name: str, dtype=object) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA if dtype != "datetime64[ns]" else pd.NaT, index=frame.index,
                     dtype=dtype)


def petitioner_key(frame: pd.DataFrame, anonymous: set[str]) -> pd.Series:
    """Who filed each item, for matching inside the run only: the id number, else name +
    phone; None when unknown or anonymous. Never written anywhere."""
    key = pd.Series(None, index=frame.index, dtype=object)
    if {"petitioner", "petitioner_phone"} <= set(frame.columns):
        name = frame["petitioner"].astype("string").str.strip()
        phone = frame["petitioner_phone"].astype("string").str.strip()
        digits = phone.str.count(r"\d").fillna(0)
        known = (name.notna() & phone.notna() & ~name.isin(anonymous) & (name != "")
                 & (digits >= 7))
        key = key.where(~known.fillna(False).to_numpy(dtype=bool), "n:" + name + "|" + phone)
    if "petitioner_id_no" in frame.columns:
        ident = frame["petitioner_id_no"].astype("string").str.strip()
        ident = ident.where(ident.str.len() >= 15)
        key = key.where(ident.isna().to_numpy(dtype=bool), "i:" + ident)
    key = key.astype(object).where(key.notna(), None)
    counts = key.map(key.value_counts())
    return key.where(~(counts > MAX_ITEMS_PER_PETITIONER).fillna(False), None)


def _later(frame: pd.DataFrame, anonymous: set[str]) -> pd.DataFrame:
    """Every (item, later item of the same petitioner) pair, the later one received after."""
    if "received_on" not in frame.columns:
        return empty_events()
    who = petitioner_key(frame, anonymous)
    items = pd.DataFrame({
        "source_row": frame[SOURCE_ROW].to_numpy(), "case_id": _column(frame, "case_id"),
        "who": who, "received_on": frame["received_on"],
        "category": _column(frame, "category"), "repeat": _column(frame, "is_repeat", "boolean"),
        "escalated": _column(frame, "escalated", "boolean"),
        "people": _column(frame, "people_count", "Int64"), "channel": _column(frame, "channel")})
    items = items[items["who"].notna() & items["received_on"].notna()]
    shared = items["who"].duplicated(keep=False)
    items = items[shared]
    if items.empty:
        return empty_events()
    pairs = items.merge(items, on="who", suffixes=("", "_later"))
    pairs = pairs[pairs["received_on_later"] > pairs["received_on"]]
    if pairs.empty:
        return empty_events()
    same = (pairs["category"].notna() & (pairs["category"] == pairs["category_later"]))
    out = pd.DataFrame({
        "source_row": pairs["source_row"].to_numpy(dtype="int64"),
        "case_id": pairs["case_id"].to_numpy(dtype=object), "event": LATER,
        "on": pairs["received_on_later"].to_numpy(),
        "later_case_id": pairs["case_id_later"].to_numpy(dtype=object),
        "repeat": pd.array(pairs["repeat_later"].to_numpy(), dtype="boolean"),
        "escalated": pd.array(pairs["escalated_later"].to_numpy(), dtype="boolean"),
        "people": pd.array(pairs["people_later"].to_numpy(), dtype="Int64"),
        "channel": pairs["channel_later"].to_numpy(dtype=object),
        "same_category": pd.array(same.to_numpy(dtype=bool), dtype="boolean"),
        "rating": None})
    return out


def _own(frame: pd.DataFrame) -> pd.DataFrame:
    """The item's own 越级 flag and 满意度 (undated in the ledger)."""
    parts = []
    rows = frame[SOURCE_ROW].to_numpy()
    ids = _column(frame, "case_id").to_numpy(dtype=object)
    if "escalated" in frame.columns:
        up = frame["escalated"].fillna(False).to_numpy(dtype=bool)
        parts.append(pd.DataFrame({"source_row": rows[up], "case_id": ids[up],
                                   "event": ESCALATED}))
    if "satisfaction" in frame.columns:
        rated = frame["satisfaction"].notna().to_numpy(dtype=bool)
        parts.append(pd.DataFrame({"source_row": rows[rated], "case_id": ids[rated],
                                   "event": RATED,
                                   "rating": frame["satisfaction"].to_numpy(dtype=object)[rated]}))
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_events()
    return pd.concat(parts, ignore_index=True).reindex(columns=EVENT_COLUMNS)


def item_events(extract: Extract, anonymous: set[str] | frozenset[str] = frozenset()
                ) -> pd.DataFrame:
    """The events table of an extract (:data:`EVENT_COLUMNS`), sorted by source row.

    Parameters
    ----------
    extract : Extract
    anonymous : set of str
        Petitioner names that name nobody (the profiles' ``anonymous_petitioners``).
    """
    frame = extract.frame
    parts = [p for p in (_later(frame, set(anonymous)), _own(frame)) if len(p)]
    if not parts:
        return empty_events()
    out = pd.concat([empty_events(), *parts], ignore_index=True)
    out = out.astype({"source_row": "int64", "repeat": "boolean", "escalated": "boolean",
                      "people": "Int64", "same_category": "boolean"})
    out["on"] = pd.to_datetime(out["on"]).astype("datetime64[ns]")
    out["later_case_id"] = out["later_case_id"].astype(object).where(
        out["later_case_id"].notna(), None)
    out = out.sort_values(["source_row", "event", "on", "later_case_id"], kind="stable",
                          na_position="last")
    return out.reset_index(drop=True)[EVENT_COLUMNS]
