"""A small builder of 公文 documents (GB/T 9704-2012 layout) with python-docx.

What python-docx does not do by itself, and this module does (see notes/tech.md):

- the East Asian font of every run is set in ``rPr/rFonts/@w:eastAsia`` (``run.font.name`` only
  sets the ASCII fonts), with ``w:hint="eastAsia"``; the theme font attributes
  (``w:asciiTheme`` …) are removed from the document defaults and every style, and the East
  Asian language is ``zh-CN``;
- A4 paper, the configured margins (37/35/28/26 mm by default) and a fixed line pitch;
- tables carry their widths on both ``gridCol`` and every ``tcW``; the header row repeats on
  every page (``w:tblHeader``) and no row splits across pages (``w:cantSplit``);
- page numbers "— n —" in the footer (odd pages right, even pages left);
- the package is written byte-for-byte reproducibly: fixed core-property dates and fixed ZIP
  entry times, no template thumbnail.

Layout values (sizes, fonts, margins) come from ``accountability.toml`` ``[letters]``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from xfaudit.dates import chinese_date
from xfaudit.writers.safe import xml_text

RED = RGBColor(0xE6, 0x00, 0x12)
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
         "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}

#: Fixed time of every ZIP entry (the earliest a ZIP can hold): same input, same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_THEME_ATTRS = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")
_THEME_RE = re.compile(rb'\s+w:(?:asciiTheme|hAnsiTheme|eastAsiaTheme|cstheme)="[^"]*"')

#: Elements that may follow ``w:pBdr`` inside ``w:pPr`` (schema order).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
               "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
               "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
               "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
               "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
               "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
#: Elements that may follow ``w:lang`` inside ``w:rPr`` (schema order).
_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")


def set_run_font(run, font: str, size: float | None = None, *, bold: bool = False,
                 color: RGBColor | None = None) -> None:
    """Set a run's font on all four slots (East Asian included), size, bold and colour."""
    rpr = run._r.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), font)
    fonts.set(qn("w:hint"), "eastAsia")
    if size is not None:
        run.font.size = Pt(size)
    if bold:
        run.font.bold = True
    if color is not None:
        run.font.color.rgb = color


def _strip_theme_fonts(element) -> None:
    for fonts in element.iter(qn("w:rFonts")):
        for attr in _THEME_ATTRS:
            fonts.attrib.pop(qn(f"w:{attr}"), None)


def _set_lang(rpr) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, *_AFTER_LANG)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")


def _prepare_styles(doc, layout: dict) -> None:
    """Defaults: body font on every slot, no theme fonts, zh-CN, 16pt, no paragraph spacing."""
    styles = doc.styles.element
    _strip_theme_fonts(styles)
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), layout["body_font"])
    _set_lang(rpr)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(layout["body_size"])
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(slot), layout["body_font"])
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(layout["line_pitch"])
    ppr_default = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault"))
    if ppr_default is not None:
        spacing = ppr_default.find(qn("w:pPr")).find(qn("w:spacing"))
        if spacing is not None:
            spacing.set(qn("w:after"), "0")
    # stylesWithEffects.xml (Word 2010 copy of the styles) carries theme fonts too.
    for part in doc.part.package.iter_parts():
        if str(part.partname).endswith("stylesWithEffects.xml"):
            part._blob = _THEME_RE.sub(b"", part.blob)


def _page_setup(doc, layout: dict) -> None:
    section = doc.sections[0]
    section.page_width = Mm(layout["page_width"])
    section.page_height = Mm(layout["page_height"])
    section.top_margin = Mm(layout["margin_top"])
    section.bottom_margin = Mm(layout["margin_bottom"])
    section.left_margin = Mm(layout["margin_left"])
    section.right_margin = Mm(layout["margin_right"])
    section.header_distance = Mm(15)
    section.footer_distance = Mm(max(layout["margin_bottom"] - 7 - 7, 10))
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(layout["line_pitch"] * 20)))


def _drop_thumbnail(doc) -> None:
    rels = doc.part.package.rels
    for key in [k for k, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        rels.pop(key)


def _field(paragraph, code: str, font: str, size: float) -> None:
    """A simple field (e.g. PAGE) as begin / instruction / separate / result / end runs."""
    def run_with(child):
        run = paragraph.add_run()
        set_run_font(run, font, size)
        run._r.append(child)
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    run_with(instr)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    result = paragraph.add_run("1")
    set_run_font(result, font, size)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _page_numbers(doc, layout: dict) -> None:
    """'— n —' in 四号宋体: odd pages right, even pages left (GB/T 9704-2012 7.5)."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    font, size = layout["page_number_font"], layout["page_number_size"]
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        p = footer.paragraphs[0]
        p.alignment = ALIGN[align]
        indent = Pt(size)
        if align == "right":
            p.paragraph_format.right_indent = indent
        else:
            p.paragraph_format.left_indent = indent
        lead = p.add_run("— ")
        set_run_font(lead, font, size)
        _field(p, "PAGE", font, size)
        tail = p.add_run(" —")
        set_run_font(tail, font, size)


def bottom_border(paragraph, color: str = "E60012", size_eighths: int = 12) -> None:
    """A rule under a paragraph (the red line of the 版头, the lines of the 版记)."""
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size_eighths))
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), color)
    border.append(bottom)
    ppr.insert_element_before(border, *_AFTER_PBDR)


def no_grid_snap(paragraph) -> None:
    """Let a paragraph ignore the document grid (table cells would take a full line pitch)."""
    ppr = paragraph._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.insert_element_before(snap, *_AFTER_PBDR[_AFTER_PBDR.index("w:spacing"):])


def _twips(mm: float) -> int:
    return round(mm / 25.4 * 1440)


class GongwenDocument:
    """One 公文 document being built.

    Parameters
    ----------
    layout : dict
        ``[letters]`` of the accountability configuration.
    properties : dict
        Core properties: ``title``, ``subject``, ``author``, ``keywords``, ``comments``,
        ``category``, ``created`` (datetime; also used as modified date).
    """

    def __init__(self, layout: dict, properties: dict):
        self.layout = layout
        self.doc = Document()
        _prepare_styles(self.doc, layout)
        _page_setup(self.doc, layout)
        _page_numbers(self.doc, layout)
        _drop_thumbnail(self.doc)
        self._properties(properties)

    def _properties(self, props: dict) -> None:
        core = self.doc.core_properties
        created = props["created"]
        core.title = xml_text(props.get("title", ""))
        core.subject = xml_text(props.get("subject", ""))
        core.author = xml_text(props.get("author", ""))
        core.last_modified_by = xml_text(props.get("author", ""))
        core.keywords = xml_text(props.get("keywords", ""))
        core.comments = xml_text(props.get("comments", ""))
        core.category = xml_text(props.get("category", ""))
        core.created = created
        core.modified = created
        core.revision = 1

    # -- paragraphs ----------------------------------------------------------------------------
    def paragraph(self, text: str = "", *, font: str | None = None, size: float | None = None,
                  align: str = "justify", indent: bool = True, bold: bool = False,
                  color: RGBColor | None = None, line: float | None = None,
                  right_indent_chars: float = 0, keep_next: bool = False):
        """Add a paragraph with one run; body font and size unless told otherwise.

        ``indent`` gives the 2-character first-line indent of body text.
        """
        layout = self.layout
        font = font or layout["body_font"]
        size = size or layout["body_size"]
        p = self.doc.add_paragraph()
        fmt = p.paragraph_format
        p.alignment = ALIGN[align]
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line or layout["line_pitch"])
        if indent:
            fmt.first_line_indent = Pt(2 * size)
        if right_indent_chars:
            fmt.right_indent = Pt(right_indent_chars * size)
        if keep_next:
            fmt.keep_with_next = True
        if text:
            self.run(p, text, font=font, size=size, bold=bold, color=color)
        return p

    def run(self, paragraph, text: str, *, font: str | None = None, size: float | None = None,
            bold: bool = False, color: RGBColor | None = None):
        run = paragraph.add_run(xml_text(text))
        set_run_font(run, font or self.layout["body_font"], size or self.layout["body_size"],
                     bold=bold, color=color)
        return run

    def blank(self, n: int = 1) -> None:
        for _ in range(n):
            self.paragraph(indent=False)

    def title(self, text: str) -> None:
        """标题: 方正小标宋简体 二号, centred (may wrap over lines)."""
        self.paragraph(text, font=self.layout["title_font"], size=self.layout["title_size"],
                       align="center", indent=False, line=self.layout["title_size"] * 1.6)

    def heading(self, text: str) -> None:
        """一级标题 (一、): 黑体."""
        self.paragraph(text, font=self.layout["heading_font"], keep_next=True)

    def subheading(self, text: str) -> None:
        """二级标题 (（一）): 楷体."""
        self.paragraph(text, font=self.layout["subheading_font"], keep_next=True)

    def labelled(self, label: str, text: str) -> None:
        """A body paragraph that starts with a 楷体 label (e.g. '行为：')."""
        p = self.paragraph()
        self.run(p, label, font=self.layout["subheading_font"])
        self.run(p, text)

    def head(self, issuer: str, doc_no: str) -> None:
        """版头: 发文机关标志 (red), 发文字号, and the red rule."""
        layout = self.layout
        self.paragraph(issuer, font=layout["title_font"], size=layout["mark_size"],
                       align="center", indent=False, color=RED, line=layout["mark_size"] * 1.5)
        self.blank()
        rule = self.paragraph(doc_no, align="center", indent=False)
        bottom_border(rule)
        self.blank()

    def draft_banner(self, text: str) -> None:
        """A red bold line at the top of a draft (草稿 供审核)."""
        self.paragraph(text, font=self.layout["heading_font"], align="left", indent=False,
                       color=RED, bold=True)

    def signature(self, issuer: str, date_text: str) -> None:
        """落款 and 成文日期, right-aligned; kept on one page with the last lines of the text
        (a page holding only the 落款 is not allowed)."""
        body = self.doc.paragraphs
        for p in body[-2:]:
            p.paragraph_format.keep_with_next = True
        for _ in range(2):
            self.paragraph(indent=False, keep_next=True)
        self.paragraph(issuer, align="right", indent=False, right_indent_chars=4, keep_next=True)
        self.paragraph(date_text, align="right", indent=False, right_indent_chars=3)

    def colophon(self, issuer: str, date_text: str) -> None:
        """版记: the printing line between two rules (14pt)."""
        self.blank(2)
        size = self.layout["page_number_size"]
        top = self.paragraph(indent=False, size=size)
        bottom_border(top, color="000000", size_eighths=6)
        line = self.paragraph(indent=False, size=size)
        self.run(line, f"{issuer}", size=size)
        self.run(line, f"\u3000\u3000{date_text}印发", size=size)
        bottom_border(line, color="000000", size_eighths=6)

    # -- tables --------------------------------------------------------------------------------
    def table(self, headers: list[str], rows: list[list[str]], widths_mm: list[float], *,
              align: list[str] | None = None) -> None:
        """A bordered table: widths on gridCol and tcW, repeated header row, rows kept whole."""
        layout = self.layout
        size = layout["table_size"]
        align = align or ["center"] * len(headers)
        table = self.doc.add_table(rows=1 + len(rows), cols=len(headers))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        width = table._tbl.tblPr.find(qn("w:tblW"))
        if width is None:
            width = OxmlElement("w:tblW")
            table._tbl.tblPr.insert_element_before(
                width, "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd",
                "w:tblLayout", "w:tblCellMar", "w:tblLook")
        width.set(qn("w:w"), str(sum(_twips(w) for w in widths_mm)))
        width.set(qn("w:type"), "dxa")
        for column, w in zip(table.columns, widths_mm):
            column.width = Mm(w)
        for r, row in enumerate(table.rows):
            tr_pr = row._tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:cantSplit"))
            if r == 0:
                tr_pr.append(OxmlElement("w:tblHeader"))
            values = headers if r == 0 else rows[r - 1]
            font = layout["heading_font"] if r == 0 else layout["body_font"]
            for c, (cell, value) in enumerate(zip(row.cells, values)):
                cell.width = Mm(widths_mm[c])
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                p = cell.paragraphs[0]
                p.alignment = ALIGN["center" if r == 0 else align[c]]
                p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
                p.paragraph_format.first_line_indent = Pt(0)
                no_grid_snap(p)
                self.run(p, "" if value is None else str(value), font=font, size=size)
        after = self.paragraph(indent=False, size=size)
        after.paragraph_format.line_spacing = Pt(size)

    # -- output --------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the .docx with fixed ZIP entry times (byte-for-byte reproducible)."""
        path = Path(path)
        buffer = io.BytesIO()
        self.doc.save(buffer)
        buffer.seek(0)
        out = io.BytesIO()
        with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w",
                                                            zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
                fixed.compress_type = zipfile.ZIP_DEFLATED
                fixed.external_attr = 0o644 << 16
                dst.writestr(fixed, src.read(info.filename))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.getvalue())
        return path


def date_text(day: dt.date) -> str:
    """成文日期 as GB/T 9704-2012 writes it: Arabic numerals, e.g. 2026年11月1日
    (:func:`xfaudit.dates.chinese_date`)."""
    return chinese_date(day)


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (headings 一、二、…; n < 100)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return (_DIGITS[tens] if tens > 1 else "") + "十" + (_DIGITS[ones] if ones else "")
