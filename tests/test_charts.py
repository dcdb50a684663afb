"""Charts: Chinese renders with no missing glyph, PNGs are deterministic, no font → clear error."""

import warnings

import matplotlib
import pytest
from matplotlib import font_manager

from xfaudit import charts, indicators, views
from xfaudit.errors import FontMissingError
from xfaudit.findings import empty_findings
from monthly_fixtures import PERIOD, audit_result


def _charts(result):
    findings = result.findings
    trend = views.trend("/nonexistent", PERIOD, views.trend_record(result, PERIOD))
    timeline = views.case_timeline(result, "XF-B1")
    return [
        charts.findings_by_check(views.by_check(result)),
        charts.findings_by_unit(views.by_unit(findings)),
        charts.aging(views.aging(findings, by="check")),
        charts.trend(trend),
        charts.indicators(indicators.compute(result, PERIOD)),
        charts.timeline(timeline, as_of=result.as_of, case_id="XF-B1"),
    ]


def _render_strictly(chart) -> bytes:
    # matplotlib attributes a missing-glyph warning to the caller's module, so the pyproject
    # filter on matplotlib.* would not see it: turn every warning into an error here.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return chart.png


def test_every_chart_renders_chinese_without_missing_glyphs():
    for chart in _charts(audit_result()):
        png = _render_strictly(chart)
        assert png.startswith(b"\x89PNG") and len(png) > 5000, chart.name


def test_charts_with_no_findings_render():
    empty = empty_findings()
    for chart in (charts.findings_by_unit(views.by_unit(empty)),
                  charts.aging(views.aging(empty, by="check"))):
        _render_strictly(chart)


def test_pngs_are_deterministic_and_carry_no_software_tag(tmp_path):
    made = _charts(audit_result())
    first = [c.png for c in made]
    second = [c.png for c in _charts(audit_result())]
    assert first == second
    assert all(b"Software" not in png and b"matplotlib" not in png for png in first)
    path = made[0].save(tmp_path / "charts")
    assert path.name == "findings_by_check.png" and path.read_bytes() == first[0]


def test_fonts_are_set_for_chinese():
    font = charts.use_chinese_fonts()
    assert font == "Noto Sans CJK SC"  # installed by `make setup` (fonts-noto-cjk)
    assert matplotlib.rcParams["font.sans-serif"][:2] == [font, "DejaVu Sans"]
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_the_strict_render_would_catch_a_missing_glyph():
    chart = charts.findings_by_check(views.by_check(audit_result()))
    for text in chart.figure.findobj(matplotlib.text.Text):
        text.set_fontfamily("DejaVu Sans")
    with pytest.raises(UserWarning, match="missing from font"):
        _render_strictly(chart)


def test_no_cjk_font_is_a_chinese_error_with_the_install_hint(monkeypatch):
    real = charts.settings()
    changed = {**real, "charts": {**real["charts"], "fonts": ["没有这个字体"]}}
    monkeypatch.setattr(charts, "settings", lambda: changed)
    monkeypatch.setattr(font_manager, "_load_fontmanager",
                        lambda try_read_cache=True: font_manager.fontManager)
    charts.cjk_font.cache_clear()
    try:
        with pytest.raises(FontMissingError, match="fonts-noto-cjk"):
            charts.cjk_font()
    finally:
        charts.cjk_font.cache_clear()


def test_dollars_and_control_characters_in_unit_names_are_drawn_as_text():
    # 县$^$局 would be mathtext (ValueError: ^); the backspace of 青石镇\x08 a missing glyph
    from dataclasses import replace

    result = audit_result()
    units = {"青石镇": "县$^$局", "城南街道": "青石镇\x08"}
    findings = result.findings.assign(
        handling_unit=result.findings["handling_unit"].map(units))
    chart = charts.findings_by_unit(views.by_unit(findings))
    _render_strictly(chart)
    labels = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    assert sorted(labels) == ["县$^$局", "青石镇"]
    assert matplotlib.rcParams["text.parse_math"] is False
    frame = result.extract.frame.assign(
        handling_unit=result.extract.frame["handling_unit"].map(units))
    renamed = replace(result, findings=findings, extract=replace(result.extract, frame=frame))
    chart = charts.indicators(indicators.compute(renamed, PERIOD))
    _render_strictly(chart)
    labels = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    assert "县$^$局" in labels and "青石镇" in labels


def test_legends_sit_outside_the_axes():
    for chart in _charts(audit_result()):
        fig = chart.figure
        _render_strictly(chart)
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            assert ax.get_legend() is None, chart.name
            box = ax.get_window_extent(renderer)
            for legend in fig.legends:
                assert not legend.get_window_extent(renderer).overlaps(box), chart.name


def test_every_chart_has_a_chinese_description():
    for chart in _charts(audit_result()):
        assert len(chart.alt) > 20 and chart.alt.startswith(("条形图", "柱状图", "折线图", "时间线图"))
        png, metadata = chart._repr_png_()
        assert png == chart.png and metadata == {"alt": chart.alt}


def test_indicator_chart_shows_every_ranked_unit_and_no_bar_for_a_missing_figure():
    """The fixture gives both units both time figures (城南街道 及时受理率 1/1: XF-B2 due
    10-25, routed 10-11; 青石镇 1/3). With 城南街道's 及时受理率 taken away (no item due),
    the chart draws three bars and, for the missing figure, a hollow marker and the reason —
    not a bar of 0."""
    from dataclasses import replace

    ind = indicators.compute(audit_result(), PERIOD)
    gone = (ind.table["unit"] == "城南街道") & (ind.table["indicator"] == "timely_acceptance")
    table = ind.table.assign(rate=ind.table["rate"].mask(gone),
                             status=ind.table["status"].mask(gone, "本期无适用事项"))
    chart = charts.indicators(replace(ind, table=table))
    _render_strictly(chart)
    ax = chart.figure.axes[0]
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == ["城南街道", "青石镇"]
    bars = [p for p in ax.patches if p.get_width() > 0]
    assert len(bars) == 3
    hollow = [line for line in ax.get_lines() if line.get_markerfacecolor() == "white"]
    assert len(hollow) == 1
    assert [t.get_text() for t in ax.texts if "无适用" in t.get_text()] == ["及时受理率：本期无适用事项"]
    assert "前" not in ax.get_title() and "城南街道本期无适用事项" in chart.alt


def test_indicator_chart_title_says_when_units_are_left_out():
    ind = indicators.compute(audit_result(), PERIOD)
    chart = charts.indicators(ind, top=1)
    assert chart.figure.axes[0].get_title() == "各责任单位考核指标（排名前1个，其余1个见上表）"
