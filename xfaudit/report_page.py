"""The monthly report's page: its first screen, per-unit sections and print rules, as HTML.

:class:`xfaudit.monthly_report.MonthlyReport` gathers the figures; the functions here only lay
them out (every text they receive is escaped here). The page is read on a screen at any width
and printed on A4: :data:`PAGE_CSS` (put into the exported page by
:data:`xfaudit.monthly.OFFLINE_TEMPLATE`) sets the fonts, the alignment of table cells, the
A4 page with its margins, a new page for every numbered section, headings kept with what
follows them, table header rows repeated on every printed page and rows never split. Elements
also carry the few inline styles they need to look right inside JupyterLab, where the page's
CSS is absent.

This module imports nothing heavy: the ``xfaudit monthly`` process reads :data:`PAGE_CSS`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import quote

#: The page's CSS (screen and print), after JupyterLab's own.
PAGE_CSS = """
body, .jp-RenderedHTMLCommon { font-family: "Noto Sans CJK SC", "Source Han Sans SC",
  "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; }
.jp-RenderedHTMLCommon table.xf-table { font-size: 12px; margin-left: 0; }
.jp-RenderedHTMLCommon table.xf-table td, .jp-RenderedHTMLCommon table.xf-table th {
  max-width: 28em; white-space: normal; vertical-align: top; }
.jp-RenderedHTMLCommon table.xf-table td.xf-text, .jp-RenderedHTMLCommon table.xf-table th.xf-text,
.jp-RenderedHTMLCommon table.xf-table td.xf-date, .jp-RenderedHTMLCommon table.xf-table th.xf-date {
  text-align: left; }
.jp-RenderedHTMLCommon table.xf-table td.xf-num, .jp-RenderedHTMLCommon table.xf-table th.xf-num {
  text-align: right; white-space: nowrap; }
.jp-RenderedHTMLCommon table.xf-table td.xf-date { white-space: nowrap; }
.xf-warning { color: #8B0000; }
.xf-contents a, .xf-unit-links a { text-decoration: none; }
@page { size: A4; margin: 15mm 12mm 15mm 12mm; }
@media print {
  body { margin: 0; }
  .jp-Notebook, main { padding: 0 !important; margin: 0 !important; }
  .jp-Cell { padding: 0 !important; }
  .jp-OutputArea-child, .jp-Cell-outputWrapper, .jp-Cell-inputWrapper, .jp-OutputArea,
  .jp-Cell { break-inside: auto !important; page-break-inside: auto !important; }
  .jp-MarkdownCell:has(h2) { break-before: page; }
  .jp-MarkdownCell { break-after: avoid; page-break-after: avoid; break-inside: avoid; }
  h1, h2, h3, h4, h5 { break-after: avoid; page-break-after: avoid; }
  .xf-block > h4 + table, .xf-block > h4 + p { break-before: avoid; }
  thead { display: table-header-group; }
  tr, img, .xf-tile, .xf-note { break-inside: avoid; page-break-inside: avoid; }
  .jp-RenderedImage img, .jp-Cell-outputWrapper img { max-width: 100%; max-height: 245mm; }
  .xf-unit { break-inside: avoid-page; }
  .xf-first { break-after: page; font-size: 12px; }
  .xf-first h3 { margin: .5em 0 .2em 0; }
  .xf-tile { min-width: 7em !important; margin: 0 .4em .4em 0 !important; padding: .3em .6em !important; }
  .xf-unit-links { font-size: 10px !important; }
  .jp-RenderedHTMLCommon table.xf-table { font-size: 10px; }
  .jp-RenderedHTMLCommon p, .jp-RenderedHTMLCommon li { font-size: 12px; }
  a { color: inherit; }
  .anchor-link { display: none; }
}
"""

_TILE_STYLE = ("display:inline-block;min-width:8.5em;margin:0 .6em .6em 0;padding:.45em .8em;"
               "border:1px solid #c8d3e0;border-radius:4px;background:#f5f8fb;vertical-align:top")
_ALERT_TILE_STYLE = _TILE_STYLE.replace("#c8d3e0", "#d9a3a3").replace("#f5f8fb", "#fbf3f3")
_WARNING_STYLE = ("margin:.4em 0;padding:.45em .8em;border-left:4px solid #B2182B;"
                  "background:#fbf1f1;color:#5a0000")
_SOURCE_STYLE = "color:#444;font-size:12px;line-height:1.6"


@dataclass
class Tile:
    """One headline figure: the value, what it counts, an optional note, whether it alarms."""

    value: str
    label: str
    note: str = ""
    alert: bool = False

    def markup(self) -> str:
        style = _ALERT_TILE_STYLE if self.alert else _TILE_STYLE
        note = (f'<div style="font-size:11px;color:#555">{html.escape(self.note)}</div>'
                if self.note else "")
        return (f'<div class="xf-tile" style="{style}">'
                f'<div style="font-size:22px;font-weight:bold">{html.escape(self.value)}</div>'
                f'<div style="font-size:12px">{html.escape(self.label)}</div>{note}</div>')


def link(target: str, text: str) -> str:
    """An in-page link (``#anchor``) or a link to a file beside the report."""
    href = target if target.startswith("#") else quote(target)
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def first_screen(*, subtitle: str, source: list[str], warnings: list[str], tiles: list[Tile],
                 todo: list[tuple[str, str | None]], contents: list[tuple[str, str]],
                 units: list[tuple[str, str]], units_anchor: str | None = None) -> str:
    """The report's first screen: subtitle (county, period, as-of), what to know first, the
    headline figures, the to-do list, the contents with a link to every section (and every
    unit's section) and the data source line (file, SHA-256, profile, version).

    ``todo`` holds (text, link target or None); ``contents`` and ``units`` (anchor, title).
    """
    parts = [f'<div class="xf-first"><p style="font-size:16px;margin:.2em 0 .6em 0">'
             f'<b>{html.escape(subtitle)}</b></p>']
    parts.append(f'<p class="xf-source" style="{_SOURCE_STYLE}">'
                 + "<br>".join(html.escape(line) for line in source) + "</p>")
    parts += [f'<p class="xf-warning" style="{_WARNING_STYLE}"><b>请先注意：</b>{html.escape(w)}</p>'
              for w in warnings]
    parts.append('<div class="xf-tiles" style="margin:.8em 0">'
                 + "".join(t.markup() for t in tiles) + "</div>")
    if todo:
        items = "".join(f"<li>{link(target, text) if target else html.escape(text)}</li>"
                        for text, target in todo)
        parts.append(f"<h3>待办</h3><ul class=\"xf-todo\">{items}</ul>")
    entries = []
    for anchor, title in contents:
        entry = link(f"#{anchor}", title)
        if anchor == units_anchor and units:
            entry += ('<div class="xf-unit-links" style="font-size:12px;margin:.2em 0 .3em 0">'
                      + " ".join(f'<span style="white-space:nowrap;margin-right:.8em">'
                                 f'{link(f"#{a}", name)}</span>' for a, name in units)
                      + "</div>")
        entries.append(f"<li>{entry}</li>")
    parts.append('<h3>目录</h3><ul class="xf-contents" style="list-style:none;padding-left:0;'
                 f'columns:2 18em">{"".join(entries)}</ul></div>')
    return "".join(parts)


def unit_section(anchor: str, name: str, lines: list[str], table: str,
                 documents: list[tuple[str, str]]) -> str:
    """One unit's section: its name as an anchored heading, the lines about it (rank,
    indicators, counts), the documents drafted for it (links) and its findings table."""
    docs = ""
    if documents:
        docs = "<p>本期文书：" + "；".join(link(path, title) for path, title in documents) + "</p>"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return (f'<section class="xf-unit" id="{html.escape(anchor)}"><h3>{html.escape(name)}</h3>'
            f"{body}{docs}{table}</section>")


def files_table(rows: list[tuple[str, str | None, str]]) -> str:
    """The report folder's files as a table 文件 / 用途 (a file name links to the file)."""
    body = "".join(
        f'<tr><td class="xf-text" style="text-align:left;white-space:nowrap">'
        f"{link(target, name) if target else html.escape(name)}</td>"
        f'<td class="xf-text" style="text-align:left">{html.escape(purpose)}</td></tr>'
        for name, target, purpose in rows)
    return ('<table class="xf-table"><thead><tr><th class="xf-text" style="text-align:left">文件</th>'
            '<th class="xf-text" style="text-align:left">用途</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")
