"""Charts of the monthly report and the explore notebook (matplotlib, Chinese labels).

Each function takes a view (:mod:`xfaudit.views`, :mod:`xfaudit.indicators`) and returns a
:class:`Chart`: the matplotlib figure plus its PNG bytes. Figures are built with the
object-oriented API on the Agg canvas (no pyplot, no GUI backend, no global figure state), and
PNGs are deterministic: the same view gives the same bytes (``metadata={"Software": None}``).

Chinese needs a CJK font. :func:`use_chinese_fonts` picks the first installed font of
``[charts] fonts`` in monthly.toml (Noto Sans CJK SC first, from Debian ``fonts-noto-cjk``) and
sets ``font.family`` / ``font.sans-serif`` to ``[that font, "DejaVu Sans"]`` and
``axes.unicode_minus = False`` and ``text.parse_math = False`` (a ``$`` in a unit's name is
shown, never read as mathtext); without any CJK font it raises
:class:`~xfaudit.errors.FontMissingError` with the install hint instead of drawing boxes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from xfaudit.errors import FontMissingError
from xfaudit.config import settings
from xfaudit.writers.safe import one_line

_SAFE_NAME = re.compile(r"[^\w.-]")

#: Colours (colour-blind safe, print well in grey).
DARK, LIGHT, ACCENT, GREY, GOOD = "#B2182B", "#F4A582", "#2166AC", "#9E9E9E", "#1B7837"

#: Per-check colours in aging / timeline charts (cycled).
PALETTE = ["#2166AC", "#B2182B", "#E08214", "#542788", "#1B7837", "#8C510A", "#C51B7D",
           "#35978F", "#762A83"]


@cache
def cjk_font() -> str:
    """The family name of the first installed font of ``[charts] fonts``.

    Raises
    ------
    FontMissingError
        None is installed (after rebuilding matplotlib's font cache once, since a font
        installed after the cache was written is not in it).
    """
    wanted = list(settings()["charts"]["fonts"])
    found = _installed(wanted)
    if found is None:
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        found = _installed(wanted)
    if found is None:
        raise FontMissingError(tried=wanted)
    return found


def _installed(wanted: list[str]) -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in wanted if name in names), None)


def use_chinese_fonts() -> str:
    """Set matplotlib's fonts for Chinese text; return the CJK family used."""
    font = cjk_font()
    matplotlib.rcParams["font.family"] = [font, "DejaVu Sans"]
    matplotlib.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["text.parse_math"] = False  # a unit named 县$^$局 is text, not TeX
    return font


@dataclass
class Chart:
    """A figure and its PNG (shown by Jupyter, saved as ``charts/<name>.png``)."""

    name: str
    figure: Figure
    _png: bytes | None = field(default=None, repr=False)

    @property
    def png(self) -> bytes:
        """Deterministic PNG bytes of the figure."""
        if self._png is None:
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png", dpi=settings()["charts"]["dpi"],
                                metadata={"Software": None}, bbox_inches="tight")
            self._png = buffer.getvalue()
        return self._png

    def save(self, folder: str | Path) -> Path:
        """Write ``<folder>/<name>.png`` and return its path."""
        path = Path(folder) / f"{_SAFE_NAME.sub('_', self.name)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.png)
        return path

    def _repr_png_(self) -> bytes:
        return self.png


def _figure(width: float, height: float) -> tuple[Figure, object]:
    use_chinese_fonts()
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _labels(values) -> list[str]:
    """Names from the extract as one-line tick labels (control characters dropped)."""
    return [one_line(v) for v in values]


def _empty(ax, text: str = "本期无数据") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color=GREY,
            transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _bar_labels(ax, bars, values) -> None:
    for bar, value in zip(bars, values):
        if value:
            ax.text(bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2,
                    f" {int(value)}", va="center", fontsize=8)


def findings_by_check(table: pd.DataFrame) -> Chart:
    """Horizontal bars: findings per check (still-open overdue part darker); from
    :func:`xfaudit.views.by_check`. Checks not evaluated are marked 未评估."""
    t = table.iloc[::-1]
    fig, ax = _figure(7.5, 0.35 * len(t) + 1.2)
    open_ = t["超期仍未办"].to_numpy()
    rest = (t["问题数"] - t["超期仍未办"]).to_numpy()
    labels = [f"{n}（未评估）" if s == "未评估" else n for n, s in zip(t["问题类型"], t["评估状态"])]
    y = np.arange(len(t))
    ax.barh(y, open_, color=DARK, label="超期仍未办")
    bars = ax.barh(y, rest, left=open_, color=LIGHT, label="其他")
    _bar_labels(ax, bars, t["问题数"].to_numpy())
    ax.set_yticks(y, labels, fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("问题数")
    ax.set_title("各检查项发现的问题")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("findings_by_check", fig)


def findings_by_unit(table: pd.DataFrame, top: int | None = None) -> Chart:
    """Stacked bars per unit (超期仍未办 / 其他履职问题 / 台账质量问题); from
    :func:`xfaudit.views.by_unit`, the ``top`` units with most findings."""
    top = top or settings()["charts"]["top_units"]
    t = table.head(top).iloc[::-1]
    fig, ax = _figure(7.5, 0.32 * max(len(t), 3) + 1.2)
    if t.empty:
        _empty(ax)
    else:
        y = np.arange(len(t))
        open_ = t["超期仍未办"].to_numpy()
        other = (t["履职问题"] - t["超期仍未办"]).to_numpy()
        quality = t["台账质量问题"].to_numpy()
        ax.barh(y, open_, color=DARK, label="超期仍未办")
        ax.barh(y, other, left=open_, color=LIGHT, label="其他履职问题")
        bars = ax.barh(y, quality, left=open_ + other, color=GREY, label="台账质量问题")
        _bar_labels(ax, bars, t["合计"].to_numpy())
        ax.set_yticks(y, _labels(t["责任单位"]), fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("问题数")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    suffix = f"（前{top}个）" if len(table) > top else ""
    ax.set_title(f"各责任单位的问题{suffix}")
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("findings_by_unit", fig)


def aging(table: pd.DataFrame) -> Chart:
    """Open overdue findings per aging bucket, stacked by check; from
    ``views.aging(findings, by="check")``."""
    fig, ax = _figure(7.5, 3.8)
    groups = [c for c in table.columns if c != "合计"]
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    for i, column in enumerate(groups):
        values = table[column].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, color=PALETTE[i % len(PALETTE)], label=column)
        bottom += values
    for xi, total in zip(x, bottom):
        ax.text(xi, total, f"{int(total)}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, table.index.astype(str))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("超期天数")
    ax.set_ylabel("问题数")
    ax.set_title("超期仍未办问题的账龄")
    if groups:
        ax.legend(fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "无超期仍未办的问题", ha="center", va="center", color=GREY,
                transform=ax.transAxes)
    ax.set_ylim(0, max(bottom.max(initial=0) * 1.15, 1))
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("aging", fig)


def trend(table: pd.DataFrame) -> Chart:
    """Findings month over month; from :func:`xfaudit.views.trend`."""
    fig, ax = _figure(7.5, 3.6)
    series = [("履职问题", ACCENT), ("超期仍未办", DARK), ("台账质量问题", GREY)]
    x = np.arange(len(table))
    for column, colour in series:
        values = pd.to_numeric(table[column]).astype(float).to_numpy()
        ax.plot(x, values, marker="o", color=colour, label=column)
    ax.set_xticks(x, table["期间"].astype(str))
    ax.set_ylabel("问题数")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    title = "问题数逐月变化"
    if len(table) < 2:
        title += "（仅有本期数据）"
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("trend", fig)


def indicators(ind, keys: tuple[str, ...] = ("timely_acceptance", "on_time_conclusion"),
               top: int | None = None) -> Chart:
    """Grouped bars of indicators per unit, the overall figure as a dashed line; from
    :class:`xfaudit.indicators.Indicators` (units in ranking order)."""
    top = top or settings()["charts"]["top_units"]
    table = ind.table
    units = list(ind.ranking["责任单位"].head(top))[::-1]
    fig, ax = _figure(7.5, 0.45 * max(len(units), 3) + 1.4)
    height = 0.8 / len(keys)
    y = np.arange(len(units))
    drawn = 0
    for i, key in enumerate(keys):
        rows = table[table["indicator"] == key]
        rate = rows.set_index("unit")["rate"]
        values = rate.reindex(units).to_numpy(dtype=float) * 100
        name = rows["name"].iloc[0] if len(rows) else key
        colour = PALETTE[i % len(PALETTE)]
        if np.isnan(values).all():
            continue
        ax.barh(y + (i - (len(keys) - 1) / 2) * height, np.nan_to_num(values), height=height,
                color=colour, label=name)
        overall = rate.get(ind.overall_label, np.nan)
        if pd.notna(overall):
            ax.axvline(overall * 100, color=colour, linestyle="--", linewidth=1)
        drawn += 1
    if not drawn or not units:
        _empty(ax, "本期无可计算的指标")
    else:
        ax.set_yticks(y, _labels(units), fontsize=9)
        ax.set_xlim(0, 105)
        ax.set_xlabel("%（虚线为全县合计）")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title("各责任单位考核指标")
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("indicators", fig)


def timeline(table: pd.DataFrame, as_of=None, case_id: str = "") -> Chart:
    """One item's events and legal deadlines on one date axis; from
    :func:`xfaudit.views.case_timeline`.

    Each event (收到, 转交, 受理 …) is a dot on its own row, labelled with its date. Each legal
    deadline gets a row below: a grey bar from the clock's start to its last day, a diamond at
    the last day and a dot at the actual date (green: on time; red: late). An open late clock
    is drawn in red up to the as-of date (the dotted line).
    """
    events = table[table["类别"] == "事件"].reset_index(drop=True)
    deadlines = table[table["类别"] == "法定期限"].reset_index(drop=True)
    labels = list(events["名称"]) + list(deadlines["名称"])
    fig, ax = _figure(9, 1.4 + 0.32 * max(len(labels), 2))
    name = f"timeline_{case_id}" if case_id else "timeline"
    if not labels:
        _empty(ax, "该事项没有日期")
        return Chart(name, fig)
    top = len(labels) - 1
    y_events = top - np.arange(len(events))
    ax.scatter(events["日期"], y_events, color=ACCENT, zorder=3)
    for date, y in zip(events["日期"], y_events):
        ax.annotate(f"{date:%m-%d}", (date, y), xytext=(6, -3), textcoords="offset points",
                    fontsize=7)
    as_of = pd.Timestamp(as_of) if as_of is not None else None
    for i, d in deadlines.iterrows():  # one item: a handful of deadlines, not the case table
        _deadline_row(ax, d, top - len(events) - i, as_of)
    if len(events) and len(deadlines):
        ax.axhline(top - len(events) + 0.5, color=GREY, linewidth=0.5)
    if as_of is not None:
        ax.axvline(as_of, color=GREY, linestyle=":", linewidth=1)
        ax.annotate("审计日", (as_of, top + 0.4), fontsize=7, color=GREY, ha="center")
    ax.set_yticks(top - np.arange(len(labels)), labels, fontsize=8)
    ax.set_ylim(-0.7, top + 0.8)
    ax.set_title(f"信访件 {case_id} 办理时间线（◆ 法定期限届满日，● 实际日期）")
    fig.autofmt_xdate()
    ax.spines[["top", "right"]].set_visible(False)
    return Chart(name, fig)


def _deadline_row(ax, d: pd.Series, y: float, as_of) -> None:
    late = pd.notna(d["超期天数"]) and d["超期天数"] > 0
    colour = DARK if late else GOOD
    if pd.notna(d["起算日期"]):
        ax.plot([d["起算日期"], d["日期"]], [y, y], color=GREY, linewidth=6, alpha=0.4,
                solid_capstyle="butt")
    ax.scatter([d["日期"]], [y], marker="D", color="black", zorder=3)
    if pd.notna(d["实际日期"]):
        ax.scatter([d["实际日期"]], [y], marker="o", color=colour, zorder=4)
    elif late and as_of is not None:
        ax.plot([d["日期"], as_of], [y, y], color=DARK, linewidth=2)
    ax.annotate(f"{d['日期']:%m-%d} {d['状态']}", (d["日期"], y), xytext=(6, 5),
                textcoords="offset points", fontsize=7, color=colour)
