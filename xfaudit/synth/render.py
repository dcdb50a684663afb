"""Rendering: the planned items as the ledger a county exports, its truth, and the files.

:func:`assemble` turns the plan cut at the as-of date into the canonical frame (case ids,
synthetic people, summaries, the petition system's own fields 信访件状态, 限办时间, 是否办结 and
是否超期, rows pasted twice or entered again), the truth and the table of plants;
:func:`date_styles` says how each date cell is written; :func:`write` saves the ledger as
``.xlsx`` (or ``.csv``) beside ``<stem>.truth.csv`` and ``<stem>.synth.json``. Same input, same
bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from xfaudit.schema import date_fields, fields, role_values
from xfaudit.synth.plan import (BY_NOTICE, EPOCH, GARBAGE_REASONS, NAT, SYSTEM_CELLS, Cut, Plan,
                                county, pick)
from xfaudit.writers import fastxlsx

if TYPE_CHECKING:  # pragma: no cover
    from xfaudit.synth import SynthExtract

#: First row of data in the written sheet (1: title, 2: header).
FIRST_DATA_ROW = 3

#: How date cells are written, with their shares. "excel" is a real Excel date (a number with
#: a date format); "serial" the bare serial number; the rest are text.
DATE_STYLES = {"excel": 0.72, "serial": 0.06, "iso": 0.06, "slash": 0.05, "dot": 0.04,
               "cn": 0.04, "datetime": 0.03}
#: The style of a planted unreadable or implausible cell (its raw value is written as is).
GARBAGE_STYLE = "garbage"

_EXCEL_EPOCH_DAY = (dt.date(1899, 12, 30) - EPOCH).days
NO_LONGER_ACCEPTED = "不再受理"

# ---------------------------------------------------------------------------------------------
# The canonical frame
# ---------------------------------------------------------------------------------------------


def to_dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def _summaries(p: Plan) -> np.ndarray:
    c = county()
    cats = p["category"]
    out = np.empty(len(cats), dtype=object)
    for cat in c.categories.values():
        rows = np.flatnonzero(cats == cat.name)
        parts = [t.split("{0}") for t in cat.summaries]
        pick_ = p["template"][rows] % len(cat.summaries)
        head = np.array([a for a, _ in parts], dtype=object)[pick_]
        tail = np.array([b for _, b in parts], dtype=object)[pick_]
        out[rows] = head + p["place"][rows] + tail
    formulas = np.flatnonzero(p["formula"])
    out[formulas] = [c.formula_summaries[i % len(c.formula_summaries)]
                     for i in range(len(formulas))]
    return out


def _handling_last(cut: Cut, d: dict[str, np.ndarray], p: Plan,
                   lim: dict[str, np.ndarray]) -> np.ndarray:
    """The statutory last day of handling as the ledger shows it: 受理日期 + the handling limit,
    plus the extension once it is recorded and valid (docs/checks.md, "Valid extension")."""
    ext_ok = cut.seen["extension_days"] & (p["approve_off"] <= 0) & (p["enotice_off"] <= 0) \
        & (p["ext_days"] <= lim["extension"])
    return d["orig_last"] + np.where(ext_ok, p["ext_days"], 0)


def _status(cut: Cut, d: dict[str, np.ndarray], p: Plan, lim: dict[str, np.ndarray],
            as_of: int, handling_last: np.ndarray) -> np.ndarray:
    """The system's status (national list), consistent with the shown dates and the statute."""
    s = cut.seen
    rr_late = as_of > d["rereview_requested"] + lim["rereview"] + p["hearing"]
    rv_late = as_of > d["review_requested"] + lim["review"]
    no_rr = as_of > d["review_decided"] + lim["rereview_request"]
    no_rv = as_of > d["reply"] + lim["review_request"]
    happy = np.isin(p["satisfaction"], ("满意", "基本满意"))
    inform = np.isin(p["routing"], BY_NOTICE)
    refused = np.where(p["routing"] == NO_LONGER_ACCEPTED, NO_LONGER_ACCEPTED, "不予受理")
    choices = [
        (s["rereview_decided_on"], "提出复核意见"),
        (s["rereview_requested_on"], np.where(rr_late, "超期未作出复核意见", "复核")),
        (s["review_decided_on"], np.where(no_rr, "超期未申请复核", "提出复查意见")),
        (s["review_requested_on"], np.where(rv_late, "超期未作出复查意见", "复查")),
        (s["concluded_on"], np.where(no_rv, np.where(happy, "审核认定办结", "超期未申请复查"),
                                     "已作出处理意见")),
        (inform & s["notice_on"], refused),
        (s["accepted_on"], np.where(as_of > handling_last, "超期未作出处理意见", "受理")),
    ]
    return np.select([c for c, _ in choices], [v for _, v in choices], "受理申请审查中")


def _system(cut: Cut, d: dict[str, np.ndarray], p: Plan, lim: dict[str, np.ndarray],
            as_of: int) -> dict[str, np.ndarray]:
    """The petition system's own view of each item: 信访件状态, 限办时间, 是否办结, 是否超期.

    The system sets 限办时间 on acceptance at the statutory last day (moved by a planted
    ``deadline_shift``; a planted ``refused_deadline`` gives an item not accepted one from its
    receipt); 是否办结 follows the status (否 while it is an open one); 是否超期 compares the
    conclusion shown, or the as-of date while open, with the system's own deadline — so where
    the deadline is the statutory one, flag and status agree with the statute. Returns the
    planned values (``status`` before any value the planter writes over it) and the days of
    the deadline (:data:`~xfaudit.synth.plan.NAT`: none).
    """
    last = _handling_last(cut, d, p, lim)
    status = _status(cut, d, p, lim, as_of, last)
    deadline = np.where(cut.seen["accepted_on"], last + p["deadline_shift"], NAT)
    deadline = np.where(p["refused_deadline"], d["received"] + lim["handling"], deadline)
    said = p["is_concluded_as"]
    is_concluded = np.where(said != None, said,  # noqa: E711 (elementwise)
                            ~np.isin(status, role_values("status", "open")))
    act = np.where(cut.seen["concluded_on"], d["concluded"], as_of)
    overdue = (deadline != NAT) & (act > deadline)
    return {"status": status, "system_deadline": deadline,
            "is_concluded": is_concluded.astype(bool), "system_overdue": overdue}


def _phones(seq: np.ndarray) -> np.ndarray:
    return "1380000" + pd.Series(seq % 10_000).astype(str).str.zfill(4).to_numpy(object)


def _people(p: Plan, seq: np.ndarray) -> dict[str, np.ndarray]:
    """Obviously synthetic names, phones (1380000xxxx) and id numbers (region 999999)."""
    c = county()
    num = seq.astype(str).astype(object)
    surname = np.array(c.surnames, dtype=object)[seq % len(c.surnames)]
    test = np.array(c.test_names, dtype=object)[seq % len(c.test_names)]
    name = np.where(p["test_name"], "测试" + test + num, surname + "某某" + num)
    phone = _phones(seq)
    birth = pd.Series(to_dates(p["birth"])).dt.strftime("%Y%m%d").to_numpy(object)
    tail = pd.Series(seq % 1000).astype(str).str.zfill(3).to_numpy(object)
    check = np.array(list("0123456789X"), dtype=object)[seq % 11]
    id_no = "999999" + birth + tail + check
    anon = p["petitioner_as"] != None  # noqa: E711 (elementwise)
    name = np.where(anon, p["petitioner_as"], name)
    name = np.where(name == "", None, name)
    phone = np.where(p["no_phone"] | anon, None, phone)
    id_no = np.where(p["no_id_no"] | anon, None, id_no)
    return {"petitioner": name, "petitioner_phone": phone, "petitioner_id_no": id_no}


def _case_ids(p: Plan, seq: np.ndarray) -> np.ndarray:
    """``XF`` + YYYYMM + 7 digits; 网上信访 items ``001`` + YYYYMM + 6 digits (leading zeros).
    An item planted with another's number (``id_of``) carries that number."""
    month = pd.Series(to_dates(p["received"])).dt.strftime("%Y%m").to_numpy(object)
    s = pd.Series(seq)
    online = p["channel"] == "网上信访"
    ids = np.where(online, "001" + month + s.astype(str).str.zfill(6).to_numpy(object),
                   "XF" + month + s.astype(str).str.zfill(7).to_numpy(object))
    given = np.flatnonzero(p["id_of"] >= 0)
    ids[given] = ids[p["id_of"][given]]
    return ids


def _text(values, mask=None) -> pd.Series:
    """A string column; cells outside ``mask`` (and None) are missing."""
    s = pd.Series(values, dtype=object)
    if mask is not None:
        s = s.where(mask, None)
    return s.astype("str")


def _written(p: Plan, name: str, planned) -> np.ndarray:
    """The planned values of a vocabulary field, with the planted unknown values written over."""
    override = p[f"{name}_as"]
    return np.where(override != None, override, planned)  # noqa: E711 (elementwise)


def _frame(p: Plan, d: dict[str, np.ndarray], cut: Cut, lim: dict[str, np.ndarray],
           as_of: int, seq: np.ndarray) -> pd.DataFrame:
    """The canonical frame of all items, one row each (before sorting and extra rows)."""
    seen = cut.seen
    concluded = seen["concluded_on"]
    system = _system(cut, d, p, lim, as_of)
    impl_status = np.where(seen["implemented_on"], "已落实",
                           np.where(p["unimplemented"], "未落实",
                                    np.where(p["template"] % 5 == 0, "部分落实", None)))
    cols: dict[str, object] = {"case_id": _text(_case_ids(p, seq)),
                               "channel": _text(p["channel"])}
    cols.update({k: _text(v) for k, v in _people(p, seq).items()})
    cols.update({
        "people_count": pd.array(p["people_count"], dtype="Int64"),
        "category": _text(p["category"]), "summary": _text(_summaries(p)),
        "is_repeat": pd.array(p["is_repeat"], dtype="boolean"),
        "routing": _text(_written(p, "routing", p["routing"])),
        "handling_unit": _text(p["handling_unit"], ~p["unit_missing"]),
        "track": _text(_written(p, "track", p["track"])),
        "extension_days": pd.array(np.where(seen["extension_days"], p["ext_days"], 0),
                                   dtype="Int64"),
        "outcome": _text(_written(p, "outcome", p["outcome"]), concluded),
        "satisfaction": _text(p["satisfaction"], concluded),
        "review_outcome": _text(p["review_outcome"], seen["review_decided_on"]),
        "rereview_outcome": _text(p["rereview_outcome"], seen["rereview_decided_on"]),
        "hearing_days": pd.array(np.where(seen["rereview_requested_on"] & (p["hearing"] > 0),
                                          p["hearing"], 0), dtype="Int64"),
        "implementation_status": _text(_written(p, "implementation_status", impl_status),
                                       seen["implementation_due"]),
        "escalated": pd.array(p["escalated"], dtype="boolean"),
        "status": _text(_written(p, "status", system["status"])),
        "is_concluded": pd.array(system["is_concluded"], dtype="boolean"),
        "system_overdue": pd.array(system["system_overdue"], dtype="boolean"),
    })
    for name in ("extension_days", "hearing_days"):
        cols[name][cols[name] == 0] = pd.NA
    for name in SYSTEM_CELLS:
        cols[name][p[f"{name}_blank"]] = pd.NA
    for name, days in {**cut.days, "system_deadline": system["system_deadline"]}.items():
        cols[name] = to_dates(days)
    frame = pd.DataFrame(cols)
    # the contract's fields this generator models (not 评价状态, 登记部门 and the review organs)
    frame = frame[[f for f in fields() if f in frame.columns]]
    return frame.assign(_garbage_field=p["garbage_field"], _garbage_form=p["garbage_form"],
                        _garbage_raw=cut.garbage)


def assemble(p: Plan, d: dict[str, np.ndarray], cut: Cut, lim: dict[str, np.ndarray],
             as_of: int, records: list[tuple[np.ndarray, str, tuple[str, ...]]]
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The ledger rows in received order, the truth, the plants and the unreadable cells.

    A row pasted twice follows its original; an item entered again (with a corrected phone)
    follows its first entry.
    """
    order = np.lexsort((np.arange(len(p["received"])), p["received"]))
    seq = np.empty_like(order)
    seq[order] = np.arange(1, len(order) + 1)             # running number in received order
    base = _frame(p, d, cut, lim, as_of, seq)
    ids = base["case_id"].to_numpy(object)
    copies = np.flatnonzero(p["pasted_twice"])
    again = np.flatnonzero(p["reentered"])
    reentered = base.iloc[again].assign(
        petitioner_phone=pd.Series(_phones(seq[again] + 5000), index=base.index[again],
                                   dtype=object).astype("str"))
    parts = pd.concat([base.iloc[order], base.iloc[copies], reentered])
    keys = np.concatenate([seq[order], seq[copies], seq[again]])
    frame = parts.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)
    unreadable = _unreadable(frame)
    frame = frame.drop(columns=["_garbage_field", "_garbage_form", "_garbage_raw"])
    truth, plants = _truth(ids, records)
    return frame, truth, plants, unreadable


def _unreadable(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns ``row, case_id, field, raw, reason``: the garbled date cells of the frame."""
    bad = frame["_garbage_field"].notna().to_numpy()
    return pd.DataFrame({
        "row": np.flatnonzero(bad),
        "case_id": frame["case_id"][bad].to_numpy(object),
        "field": frame["_garbage_field"][bad].to_numpy(object),
        "raw": frame["_garbage_raw"][bad].to_numpy(object),
        "reason": [GARBAGE_REASONS[f] for f in frame["_garbage_form"][bad]]})


def _truth(ids: np.ndarray, records) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The truth (``case_id, check_id``, sorted) and the plants (``case_id, kind, checks``)."""
    rows = [(ids[idx], kind, ";".join(checks)) for idx, kind, checks in records]
    plants = pd.DataFrame({"case_id": np.concatenate([r[0] for r in rows]),
                           "kind": np.concatenate([[r[1]] * len(r[0]) for r in rows]),
                           "checks": np.concatenate([[r[2]] * len(r[0]) for r in rows])})
    truth = (plants.assign(check_id=plants["checks"].str.split(";"))
             .explode("check_id").query("check_id != ''")[["case_id", "check_id"]]
             .drop_duplicates().sort_values(["case_id", "check_id"]).reset_index(drop=True))
    plants = (plants.drop_duplicates().sort_values(["case_id", "kind"])
              .reset_index(drop=True).astype("str"))
    return truth.astype("str"), plants


def date_styles(frame: pd.DataFrame, unreadable: pd.DataFrame,
                rng: np.random.Generator) -> pd.DataFrame:
    """How each date cell is written: a deterministic mix, ``None`` for empty cells and
    :data:`GARBAGE_STYLE` for the planted unreadable ones."""
    styles = {}
    for name in (f for f in date_fields() if f in frame.columns):
        s = pick(rng, DATE_STYLES, len(frame))
        styles[name] = np.where(frame[name].isna(), None, s)
    out = pd.DataFrame(styles, index=frame.index, dtype=object)
    for name, rows in unreadable.groupby("field")["row"]:
        out.loc[rows.to_numpy(), name] = GARBAGE_STYLE
    return out


def headers(use_aliases: bool, seed: int) -> dict[str, str]:
    """Canonical headers, or a deterministic mix with aliases (about half the columns)."""
    rng = np.random.default_rng([seed, 11])
    out = {}
    for name, spec in fields().items():
        alias = spec.aliases[rng.integers(len(spec.aliases))] if spec.aliases else spec.header
        out[name] = alias if use_aliases and spec.aliases and rng.random() < 0.5 else spec.header
    if len(set(out.values())) != len(out):
        raise RuntimeError("chosen headers are not unique")
    return out


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of ``datetime64[D]`` values as text without leading zeros."""
    months = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months).astype(np.int64) + 1
    return tuple(x.astype(str).astype(object) for x in (year, month, day))


def _iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days, unit="D").astype(object)


def _joined(sep: str, end: str = ""):
    def form(days: np.ndarray) -> np.ndarray:
        y, m, d = _ymd(days)
        return y + sep[0] + m + sep[1] + d + end
    return form


_CLOCK = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)], dtype=object)

#: Text of a text-date cell per style (the time of day of "datetime" is added by the caller).
_DATE_FORMS = {"iso": _iso, "datetime": _iso, "slash": _joined("//"), "dot": _joined(".."),
               "cn": _joined("年月", "日")}


def _render_dates(values: pd.Series, styles: np.ndarray, raw: np.ndarray,
                  minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value and :mod:`~xfaudit.writers.fastxlsx` kind of each cell of one date column.

    Per the planted style of each cell: "excel" is the day itself (a real Excel date),
    "serial" its Excel serial number, a garbled cell its raw value (a number stays a number),
    every other style text; ``None`` for an empty cell.
    """
    days = values.to_numpy("datetime64[D]")
    cells = np.full(len(days), None, dtype=object)
    kinds = np.full(len(days), None, dtype=object)
    codes, names = pd.factorize(styles)                  # compare small ints, not strings
    for code, style in enumerate(names):
        rows = np.flatnonzero(codes == code)
        kinds[rows] = {"excel": "date", "serial": "number"}.get(style, "text")
        if style == "excel":
            cells[rows] = days[rows]
        elif style == "serial":
            cells[rows] = (days[rows].astype(np.int64) - _EXCEL_EPOCH_DAY).astype(object)
        elif style == GARBAGE_STYLE:
            cells[rows] = raw[rows]
            number = np.array([isinstance(v, int | np.integer) for v in raw[rows]], dtype=bool)
            kinds[rows[number]] = "number"
        else:
            cells[rows] = _DATE_FORMS[style](days[rows])
            if style == "datetime":
                cells[rows] = cells[rows] + " " + _CLOCK[minutes[rows]]
    return cells, kinds


def _generated(frame: pd.DataFrame) -> dict:
    """The contract's fields present in a generated frame, in contract order."""
    return {name: spec for name, spec in fields().items() if name in frame.columns}


def _cells(data: SynthExtract) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """What each written cell holds, in field order, and the per-cell kinds of date columns.

    Counts stay numbers, 初重件 and yes/no flags become their Chinese words, text stays text;
    a date column mixes real dates, serial numbers and text (see :func:`_render_dates`).
    """
    frame, cells, kinds = data.frame, {}, {}
    rng = np.random.default_rng([data.seed, 23])
    raw = np.full(len(frame), None, dtype=object)
    raw[data.unreadable["row"].to_numpy()] = data.unreadable["raw"].to_numpy(object)
    for name, spec in _generated(frame).items():
        col = frame[name]
        if spec.is_date:
            minutes = rng.integers(8 * 60, 18 * 60, size=len(frame))
            cells[name], kinds[name] = _render_dates(
                col, data.date_styles[name].to_numpy(object), raw, minutes)
        elif spec.kind in ("repeat", "flag", "concluded"):
            yes, no = ("重件", "初件") if spec.kind == "repeat" else ("是", "否")
            words = np.where(col.fillna(False).to_numpy(bool), yes, no).astype(object)
            cells[name] = np.where(col.isna().to_numpy(), None, words)
        else:
            cells[name] = col.reset_index(drop=True)
    return pd.DataFrame(cells), kinds


def _width(name: str) -> int:
    if name == "summary":
        return 40
    return 20 if name in ("case_id", "petitioner_id_no", "handling_unit") else 12


def _sheet(data: SynthExtract) -> fastxlsx.Sheet:
    """The ledger sheet: merged title row, header row, then one row per frame row."""
    cells, kinds = _cells(data)
    columns = [fastxlsx.Column(name, data.headers[name],
                               kind="date" if spec.is_date else "int" if spec.kind == "int"
                               else "text", width=_width(name))
               for name, spec in _generated(data.frame).items()]
    title = fastxlsx.Line(data.title, {"bold": True, "font_size": 16, "align": "center",
                                       "valign": "vcenter"}, merge=True, height=30)
    return fastxlsx.Sheet("台账", cells, columns, above=[title], header_style={"align": "center"},
                          freeze_columns=1, autofilter=False, cell_kinds=kinds)


def _write_xlsx(data: SynthExtract, out: Path) -> None:
    """Write the ledger with :mod:`xfaudit.writers.fastxlsx` (same input, same bytes)."""
    created = dt.datetime.combine(data.as_of, dt.time(18, 0))
    fastxlsx.write(out, [_sheet(data)], title=data.title, author="xfaudit.synth（合成数据）",
                   created=created, properties={"comments": f"seed={data.seed}"})


def _write_csv(data: SynthExtract, out: Path) -> None:
    """UTF-8 with BOM; real Excel dates become ISO text, serials stay numbers."""
    cells, kinds = _cells(data)
    columns = {}
    for name in _generated(data.frame):
        column = cells[name]
        if name in kinds:
            iso = data.frame[name].dt.strftime("%Y-%m-%d").to_numpy(object)
            column = np.where(kinds[name] == "date", iso, column.to_numpy(object))
        columns[data.headers[name]] = column
    table = pd.DataFrame(columns)
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        f.write(data.title + "," * (len(columns) - 1) + "\n")
        table.to_csv(f, index=False, lineterminator="\n")


def write(data: SynthExtract, out: Path) -> dict[str, Path]:
    """Write the extract, its truth and its description.

    Parameters
    ----------
    data : SynthExtract
        From :func:`xfaudit.synth.generate`.
    out : pathlib.Path
        ``.xlsx`` (default) or ``.csv`` (UTF-8 with BOM). The sheet has a merged title row
        above the Chinese header row.

    Returns
    -------
    dict
        ``extract``, ``truth`` (``<stem>.truth.csv``) and ``meta`` (``<stem>.synth.json``) paths.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        _write_csv(data, out)
    else:
        _write_xlsx(data, out)
    truth = out.with_name(out.stem + ".truth.csv")
    data.truth.to_csv(truth, index=False, encoding="utf-8-sig", lineterminator="\n")
    meta = out.with_name(out.stem + ".synth.json")
    meta.write_text(json.dumps({**data.to_dict(), "extract": out.name, "truth": truth.name},
                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return {"extract": out, "truth": truth, "meta": meta}
