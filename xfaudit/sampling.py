"""回访抽查: a reproducible, stratified random sample of concluded items for callbacks.

The rule (``accountability.toml`` ``[sampling]``), per handling unit::

    n = min(concluded, max(min_per_unit, ceil(share × concluded)))

Items rated 不满意 (``always_include``) are always in the sample; the rest of a unit's quota is
drawn at random among its other concluded items. Which item is drawn is fixed by the seed: each
item's key is SipHash-2-4 of its 信访件编号 under a key derived from the seed, and a unit takes
its smallest keys. Hence the same seed and items give the same sample whatever the row order,
and a change in one unit never moves another unit's sample. The seed and the rule are written
into the workbook.

``回访抽查.xlsx`` is the ONE output that carries contact details (信访人, 联系电话) — it is for
phoning petitioners. It is marked confidential in a banner row, in every sheet's header and
footer and in the workbook properties; all text is written as text. Each row carries what the
caller needs: the 主要诉求 (masked: no name, phone or id number in it), the 处理意见, the three
standard questions (是否收到书面答复 / 对办理结果是否满意 / 是否存在推诿, with drop-down lists)
and a flag on an item with no phone number, so the caller reaches it another way.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit import privacy
from xfaudit.audit import AuditResult
from xfaudit.config import load_config
from xfaudit.dates import chinese_date, month_text, parse_period
from xfaudit.registers import Formats, atomic_write, new_workbook, write_cell

#: The confidentiality marking used in the banner, headers/footers and properties.
CLASSIFICATION = privacy.CLASSIFICATION
BANNER = f"{CLASSIFICATION}　注意保密　本名单含信访人个人信息，仅限回访工作使用，不得外传、不得用于其他用途"

REASON_FORCED = "不满意必回访"
REASON_RANDOM = "随机抽取"

#: Columns of the sample (canonical names) and their Chinese headers / widths in the workbook.
SAMPLE_COLUMNS = {"unit": ("责任单位", 16), "case_id": ("信访件编号", 18),
                  "category": ("内容分类", 10), "channel": ("信访形式", 8),
                  "summary": ("主要诉求", 30), "outcome": ("处理意见", 10),
                  "concluded_on": ("办结日期", 11), "satisfaction": ("满意度", 8),
                  "reason": ("抽样原因", 11), "petitioner": ("信访人", 10),
                  "petitioner_phone": ("联系电话", 14), "contact_note": ("联系方式", 16)}
#: Columns the caller fills in while phoning, and their drop-down lists (None: free entry).
ENTRY_COLUMNS = {"callback_on": ("回访日期", 11), "reply_received": ("是否收到书面答复", 10),
                 "satisfied": ("对办理结果是否满意", 11), "shirked": ("是否存在推诿", 10),
                 "callback_result": ("回访情况", 11), "callback_by": ("回访人", 9),
                 "callback_note": ("备注", 22)}
ANSWERS = ["是", "否", "未作答"]
CALLBACK_RESULTS = ["已回访", "未接通", "号码有误", "拒绝回访"]
ENTRY_CHOICES = {"reply_received": ANSWERS, "satisfied": ["满意", "基本满意", "不满意", "未作答"],
                 "shirked": ANSWERS, "callback_result": CALLBACK_RESULTS}
#: What the list says of an item without a phone number.
NO_PHONE = "无联系电话，请通过来信地址或属地单位联系"

PLAN_HEADERS = {"unit": "责任单位", "concluded": "办结件数", "forced": "不满意件数",
                "quota": "规则样本量", "random": "随机抽取件数", "sampled": "实际抽取件数"}


@dataclass
class CallbackSample:
    """A drawn sample.

    Attributes
    ----------
    frame : DataFrame
        One row per sampled item (``SAMPLE_COLUMNS``), sorted by unit and case id. Carries
        petitioner names and phones: do not display it; use :meth:`masked`.
    plan : DataFrame
        Per unit: concluded, forced (不满意), quota, random, sampled.
    seed : int
    rule : dict
        The ``[sampling]`` rule applied.
    period, window_start, window_end, as_of
        The items considered: concluded between window_start and window_end.
    """

    frame: pd.DataFrame
    plan: pd.DataFrame
    seed: int
    rule: dict
    period: str
    window_start: pd.Timestamp | None
    window_end: pd.Timestamp
    as_of: pd.Timestamp

    def describe_rule(self, detail: bool = True) -> str:
        """The rule in Chinese, as written into the workbook (``detail``: with how the random
        key is computed, for the 抽样说明 sheet)."""
        r = self.rule
        window = (f"{chinese_date(self.window_start)}至{chinese_date(self.window_end)}办结的事项"
                  if self.window_start is not None
                  else f"截至{chinese_date(self.window_end)}已办结的全部事项")
        forced = "、".join(r["always_include"])
        text = (f"抽样范围：{window}。各责任单位样本量 = min(办结件数, max({r['min_per_unit']}, "
                f"向上取整({r['share']} × 办结件数)))；满意度为“{forced}”的事项全部纳入，"
                "其余名额随机抽取。")
        if detail:
            text += (f"随机序号 = SipHash-2-4(信访件编号, 由随机种子{self.seed}派生的密钥)，"
                     "各单位取序号最小者。相同种子和相同事项得到相同样本。")
        return text

    def masked(self) -> pd.DataFrame:
        """The sample without contact details (for notebooks and logs)."""
        return self.frame.drop(columns=["petitioner", "petitioner_phone"], errors="ignore")

    def to_dict(self) -> dict:
        return {"seed": self.seed, "rule": dict(self.rule), "period": self.period,
                "items": int(len(self.frame)), "units": int(len(self.plan)),
                "forced": int((self.frame["reason"] == REASON_FORCED).sum()),
                "window": [None if self.window_start is None
                           else self.window_start.date().isoformat(),
                           self.window_end.date().isoformat()],
                "rule_text": self.describe_rule()}

    def __repr__(self) -> str:
        # Never print the contact details: this repr ends up in notebooks and logs.
        return f"CallbackSample(items={len(self.frame)})"

    def _repr_html_(self) -> str:
        head = (f"<p>回访抽查：{len(self.frame)} 件（{len(self.plan)} 个单位，随机种子 {self.seed}）。"
                f"{html.escape(self.describe_rule())}</p>")
        from xfaudit.display import html_table

        return head + html_table(self.plan.rename(columns=PLAN_HEADERS))


def _seed_key(seed: int) -> str:
    """A 16-character SipHash key derived from the seed."""
    return hashlib.sha256(f"xfaudit-sample-{seed}".encode()).hexdigest()[:16]


def _concluded(result: AuditResult, period: str, window: str
               ) -> tuple[pd.DataFrame, pd.Timestamp | None, pd.Timestamp]:
    frame = result.extract.frame
    end = result.as_of
    if "concluded_on" not in frame.columns:
        return frame.iloc[0:0], None, end
    start = None
    done = frame["concluded_on"].notna() & (frame["concluded_on"] <= end)
    if window == "period":
        month = parse_period(period)
        start = month.first_day
        end = min(end, month.last_day)
        done &= (frame["concluded_on"] >= start) & (frame["concluded_on"] <= end)
    return frame[done], start, end


def draw(result: AuditResult, period: str | None = None, *, seed: int = 0,
         config=None) -> CallbackSample:
    """Draw the callback sample of an audit.

    Parameters
    ----------
    result : AuditResult
    period : ``YYYY-MM`` (default: the month of ``result.as_of``)
    seed : int
        Random seed (recorded in the workbook and the run's manifest).
    config : configuration overrides (``[sampling]``)
    """
    from xfaudit.recommend import default_period
    from xfaudit.views import no_unit_label

    cfg = load_config(config)
    rule = dict(cfg["sampling"])
    period = parse_period(period).label if period else default_period(result.as_of)
    items, start, end = _concluded(result, period, rule["window"])
    items = pd.DataFrame({
        name: (items[name].to_numpy() if name in items.columns else None)
        for name in ("source_row", "handling_unit", "case_id", "category", "channel",
                     "summary", "outcome", "concluded_on", "satisfaction", "petitioner",
                     "petitioner_phone")})
    names = items["petitioner"].astype(object)
    items["summary"] = privacy.mask_free_text(items["summary"].astype(object), names) \
        if items["summary"].notna().any() else items["summary"]
    phone = items["petitioner_phone"].astype("string").str.strip()
    items["contact_note"] = np.where(phone.isna() | (phone == ""), NO_PHONE, None)
    items = items.rename(columns={"handling_unit": "unit"})
    items["unit"] = items["unit"].fillna(no_unit_label())
    items["case_id"] = items["case_id"].astype(object)
    ids = items["case_id"].astype(str)
    items["key"] = pd.util.hash_pandas_object(ids, index=False, hash_key=_seed_key(seed)
                                              ).to_numpy() if len(items) else np.array([], "uint64")
    items["forced"] = items["satisfaction"].isin(rule["always_include"])
    plan = _plan(items, rule)
    rest = items[~items["forced"]].sort_values(["unit", "key", "source_row"], kind="stable")
    position = rest.groupby("unit").cumcount()
    quota = rest["unit"].map(plan.set_index("unit")["random"]).to_numpy()
    drawn = rest[position.to_numpy() < quota]
    sample = pd.concat([items[items["forced"]].assign(reason=REASON_FORCED),
                        drawn.assign(reason=REASON_RANDOM)], ignore_index=True)
    sample = sample.sort_values(["unit", "case_id", "source_row"], kind="stable")
    plan["sampled"] = plan["unit"].map(sample["unit"].value_counts()).fillna(0).astype(int)
    return CallbackSample(frame=sample[list(SAMPLE_COLUMNS)].reset_index(drop=True), plan=plan,
                          seed=int(seed), rule=rule, period=period, window_start=start,
                          window_end=end, as_of=result.as_of)


def _plan(items: pd.DataFrame, rule: dict) -> pd.DataFrame:
    """Per unit: concluded, forced, quota and how many to draw at random."""
    g = items.groupby("unit", sort=True)
    plan = pd.DataFrame({"concluded": g.size(), "forced": g["forced"].sum().astype(int)})
    share, minimum = float(rule["share"]), int(rule["min_per_unit"])
    # ceil with a tolerance: 0.1 × 30 is 3.0000000000000004 in binary floating point.
    by_share = np.ceil(plan["concluded"] * share - 1e-9).astype(int)
    plan["quota"] = np.minimum(plan["concluded"], np.maximum(minimum, by_share))
    plan["random"] = (plan["quota"] - plan["forced"]).clip(lower=0)
    return plan.reset_index()


# -- workbook ---------------------------------------------------------------------------------

def _mark_sheet(sheet) -> None:
    """Confidential header/footer, landscape A4, one page wide."""
    sheet.set_header(f"&L&\"等线,Bold\"&12{CLASSIFICATION}&C回访抽查名单&R注意保密")
    sheet.set_footer(f"&L{CLASSIFICATION}　不得外传&C第 &P 页，共 &N 页&R含个人信息")
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)


def _list_sheet(book, formats: Formats, sample: CallbackSample) -> None:
    sheet = book.add_worksheet("回访名单")
    _mark_sheet(sheet)
    columns = {"no": ("序号", 6), **SAMPLE_COLUMNS, **ENTRY_COLUMNS}
    last = len(columns) - 1
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last, BANNER, formats.banner)
    sheet.merge_range(1, 0, 1, last, f"{month_text(sample.period)}信访事项办结回访抽查名单"
                      f"（共{len(sample.frame)}件）", formats.title)
    sheet.set_row(2, 48)
    sheet.merge_range(2, 0, 2, last, f"{sample.describe_rule(detail=False)}回访时请逐项询问："
                      "是否收到书面答复、对办理结果是否满意、是否存在推诿，并记录回访情况。"
                      "抽样方法和随机种子见「抽样说明」。", formats.note)
    top = 3
    for col, (header, width) in enumerate(columns.values()):
        sheet.write_string(top, col, header, formats.header)
        sheet.set_column(col, col, width)
    frame = sample.frame.assign(no=np.arange(1, len(sample.frame) + 1))
    for col, name in enumerate(columns):
        if name not in frame.columns:
            continue
        values = frame[name].astype(object).where(frame[name].notna(), None).tolist()
        for r, value in enumerate(values, start=top + 1):
            write_cell(sheet, r, col, value, formats.text, formats.date, formats.int)
    for name, values in ENTRY_CHOICES.items():
        col = list(columns).index(name)
        sheet.data_validation(top + 1, col, top + max(len(frame), 1), col,
                              {"validate": "list", "source": values, "error_type": "warning"})
    date_col = list(columns).index("callback_on")
    sheet.set_column(date_col, date_col, ENTRY_COLUMNS["callback_on"][1], formats.date)
    sheet.freeze_panes(top + 1, 0)
    sheet.repeat_rows(0, top)
    sheet.autofilter(top, 0, top + max(len(frame), 1), last)


def _rule_sheet(book, formats: Formats, sample: CallbackSample) -> None:
    sheet = book.add_worksheet("抽样说明")
    _mark_sheet(sheet)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 5, 14)
    sheet.merge_range(0, 0, 0, 5, BANNER, formats.banner)
    rows = [("随机种子", str(sample.seed)), ("抽样期间", sample.period),
            ("审计日", sample.as_of.date().isoformat()),
            ("每单位最少件数", str(sample.rule["min_per_unit"])),
            ("抽样比例", str(sample.rule["share"])),
            ("必回访的满意度", "、".join(sample.rule["always_include"])),
            ("抽样规则", sample.describe_rule())]
    for r, (label, value) in enumerate(rows, start=2):
        sheet.write_string(r, 0, label, formats.header)
        sheet.merge_range(r, 1, r, 5, value, formats.note)
    sheet.set_row(2 + len(rows) - 1, 60)
    top = 3 + len(rows)
    for col, name in enumerate(PLAN_HEADERS):
        sheet.write_string(top, col, PLAN_HEADERS[name], formats.header)
        values = sample.plan[name].tolist() if name in sample.plan else []
        for r, value in enumerate(values, start=top + 1):
            write_cell(sheet, r, col, value, formats.text, formats.date, formats.int)


def write(sample: CallbackSample, path: str | Path) -> Path:
    """Write ``回访抽查.xlsx``: the confidential callback list and the sampling record."""
    def build(tmp: Path) -> None:
        book = new_workbook(tmp, title=f"回访抽查名单（{CLASSIFICATION}）", created=sample.as_of,
                            extra={"subject": "信访事项办结回访抽查（含信访人联系方式）",
                                   "keywords": "机密,内部资料,个人信息,回访抽查",
                                   "category": CLASSIFICATION,
                                   "comments": BANNER, "manager": "xfaudit",
                                   "status": CLASSIFICATION})
        book.set_custom_property("密级", CLASSIFICATION)
        book.set_custom_property("含个人信息", True)
        book.set_custom_property("随机种子", str(sample.seed))
        book.set_custom_property("抽样规则", sample.describe_rule()[:250])
        formats = Formats(book)
        _list_sheet(book, formats, sample)
        _rule_sheet(book, formats, sample)
        book.close()

    return atomic_write(path, build)
