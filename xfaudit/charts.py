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
    """A figure and its PNG (shown by Jupyter, saved as ``charts/<name>.png``).

    ``alt`` is the chart's description in Chinese (what it shows and its main figures): the
    ``alt`` text of the image in the HTML report, for readers who cannot see it.
    """

    name: str
    figure: Figure
    alt: str = ""
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

    def __repr__(self) -> str:
        return f"图表 {self.name}：{self.alt}" if self.alt else f"图表 {self.name}"

    def _repr_png_(self) -> tuple[bytes, dict]:
        # IPython attaches the metadata to the output: the report's template writes it as alt
        return self.png, {"alt": self.alt or self.name}


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


def _legend_below(fig, ax) -> None:
    """The legend under the axes, never over the bars or lines (constrained layout makes
    room for it)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=len(handles), fontsize=8,
                   frameon=False)


def _count(value) -> str:
    return "无数据" if pd.isna(value) else f"{int(value)}个"


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
    labels = [f"{n}（未评估）" if str(s).startswith("未评估") else n
              for n, s in zip(t["问题类型"], t["评估状态"])]
    y = np.arange(len(t))
    ax.barh(y, open_, color=DARK, label="超期仍未办")
    bars = ax.barh(y, rest, left=open_, color=LIGHT, label="其他")
    _bar_labels(ax, bars, t["问题数"].to_numpy())
    ax.set_yticks(y, labels, fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("问题数")
    ax.set_title("各检查项发现的问题")
    _legend_below(fig, ax)
    ax.spines[["top", "right"]].set_visible(False)
    counts = "，".join(f"{n}{int(v)}个（超期仍未办{int(o)}个）" if o else f"{n}{int(v)}个"
                      for n, v, o in zip(table["问题类型"], table["问题数"], table["超期仍未办"]))
    return Chart("findings_by_check", fig,
                 alt=f"条形图：各检查项发现的问题数，深色部分为超期仍未办。{counts}。")


def findings_by_unit(table: pd.DataFrame, top: int | None = None) -> Chart:
    """Stacked bars per unit (超期仍未办 / 其他履职问题 / 台账质量问题); from
    :func:`xfaudit.views.by_unit`, the ``top`` units with most findings (the title says
    前N个 when some are left out; the table beside the chart lists every unit)."""
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
        _legend_below(fig, ax)
    suffix = f"（问题最多的前{top}个，其余见上表）" if len(table) > top else ""
    ax.set_title(f"各责任单位的问题{suffix}")
    ax.spines[["top", "right"]].set_visible(False)
    listed = "，".join(f"{one_line(u)}{int(n)}个" for u, n in
                      zip(table["责任单位"].head(top), table["合计"].head(top)))
    alt = (f"条形图：各责任单位的问题数（超期仍未办、其他履职问题、台账质量问题）{suffix}。{listed}。"
           if len(table) else "条形图：本期没有问题。")
    return Chart("findings_by_unit", fig, alt=alt)


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
        fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize=8,
                   frameon=False)
    else:
        ax.text(0.5, 0.5, "无超期仍未办的问题", ha="center", va="center", color=GREY,
                transform=ax.transAxes)
    ax.set_ylim(0, max(bottom.max(initial=0) * 1.15, 1))
    ax.spines[["top", "right"]].set_visible(False)
    buckets = "，".join(f"超期{label}的{int(n)}个" for label, n in zip(table.index, bottom))
    return Chart("aging", fig, alt=f"柱状图：超期仍未办问题按超期天数分段，按检查项堆叠。{buckets}。")


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
    _legend_below(fig, ax)
    ax.spines[["top", "right"]].set_visible(False)
    months = "；".join(
        f"{p}：" + "，".join(f"{c}{_count(table[c].iloc[i])}" for c, _ in series)
        for i, p in enumerate(table["期间"].astype(str)))
    return Chart("trend", fig, alt=f"折线图：{title}（履职问题、超期仍未办、台账质量问题）。{months}。")


def _percent(value: float) -> str:
    return f"{value:.1f}%".replace(".0%", "%")


def indicators(ind, keys: tuple[str, ...] = ("timely_acceptance", "on_time_conclusion"),
               top: int | None = None) -> Chart:
    """Grouped bars of indicators per unit, the overall figure as a dashed line; from
    :class:`xfaudit.indicators.Indicators` (units in ranking order, every ranked unit unless
    ``top`` is given, then the title says 前N个).

    A unit without a figure (no item due in the period, or the indicator not computable) is
    a hollow marker labelled with the reason — never a bar of 0. The axis starts near the
    lowest figure so that the differences between units show; the legend sits under the
    axes, away from the bars and the dashed lines.
    """
    table = ind.table
    ranked = list(ind.ranking["责任单位"])
    shown = ranked[:top] if top else ranked
    units = shown[::-1]
    fig, ax = _figure(7.5, 0.42 * max(len(units), 3) + 1.8)
    height = 0.8 / len(keys)
    y = np.arange(len(units))
    handles, lows, series = [], [], []
    for key in keys:
        rows = table[table["indicator"] == key].set_index("unit")
        name = str(rows["name"].iloc[0]) if len(rows) else key
        values = rows["rate"].reindex(units).to_numpy(dtype=float) * 100
        status = rows["status"].reindex(units).fillna("").to_numpy(dtype=object)
        overall = rows["rate"].get(ind.overall_label, np.nan) * 100
        series.append((name, values, status, overall))
        lows.extend(v for v in [*values, overall] if np.isfinite(v))
    label = ind.overall_label
    described = [_indicator_alt(name, units[::-1], values[::-1], status[::-1], overall, label)
                 for name, values, status, overall in series]
    if not units or not lows:
        _empty(ax, "本期无可计算的指标")
    else:
        lo = max(0.0, np.floor((min(lows) - 5) / 10) * 10)
        for i, (name, values, status, overall) in enumerate(series):
            handles.extend(_indicator_bars(ax, y + (len(keys) - 1) / 2 * height - i * height,
                                           height, lo, name, values, status, overall, label,
                                           PALETTE[i % len(PALETTE)]))
        ax.set_yticks(y, _labels(units), fontsize=9)
        ax.set_xlim(lo, 106)
        ax.set_xlabel(f"%（虚线为{label}）")
        fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8,
                   frameon=False)
    left_out = len(ranked) - len(shown)
    suffix = f"（排名前{len(shown)}个，其余{left_out}个见上表）" if left_out > 0 else ""
    ax.set_title(f"各责任单位考核指标{suffix}")
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("indicators", fig,
                 alt=f"条形图：各责任单位考核指标{suffix}，按通报排名排列。" + "".join(described))


def _indicator_bars(ax, y, height, lo, name, values, status, overall, overall_label, colour):
    """One indicator's bars (from ``lo``), value labels, hollow markers where a unit has no
    figure, and the overall figure's dashed line; returns the legend handles."""
    handles = []
    known = np.isfinite(values)
    if known.any():
        bars = ax.barh(y[known], values[known] - lo, left=lo, height=height, color=colour,
                       label=name)
        for bar, value in zip(bars, values[known]):
            ax.text(bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2,
                    f" {_percent(value)}", va="center", fontsize=7)
        handles.append(bars)
    for yy, reason in zip(y[~known], status[~known]):
        ax.plot([lo + 0.6], [yy], marker="o", markersize=5, markerfacecolor="white",
                markeredgecolor=colour, linestyle="none")
        ax.text(lo + 1.6, yy, f"{name}：{reason or '无数据'}", va="center", fontsize=7,
                color=GREY)
    if np.isfinite(overall):
        handles.append(ax.axvline(overall, color=colour, linestyle="--", linewidth=1,
                                  label=f"{overall_label}{name} {_percent(overall)}"))
    return handles


def _indicator_alt(name, units, values, status, overall, overall_label) -> str:
    parts = [f"{one_line(u)}{_percent(v)}" if np.isfinite(v) else f"{one_line(u)}{s or '无数据'}"
             for u, v, s in zip(units, values, status)]
    head = f"{name}（{overall_label}{_percent(overall)}）" if np.isfinite(overall) else name
    return f"{head}：" + "，".join(parts) + "。"


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
        return Chart(name, fig, alt=f"时间线图：信访件{case_id}没有任何日期。")
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
    steps = "，".join(f"{n}{d:%Y-%m-%d}" for n, d in zip(events["名称"], events["日期"]))
    limits = "，".join(f"{n}{d:%Y-%m-%d}（{s}）" for n, d, s in
                       zip(deadlines["名称"], deadlines["日期"], deadlines["状态"]))
    return Chart(name, fig, alt=f"时间线图：信访件{case_id}的办理事件（{steps}）与法定期限（{limits}）。")


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
