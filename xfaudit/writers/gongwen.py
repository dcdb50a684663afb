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
import math
import re
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
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
    # the document grid's character pitch is counted from the default size: the body size
    for tag in ("w:sz", "w:szCs"):
        size = rpr.find(qn(tag))
        if size is None:
            size = OxmlElement(tag)
            rpr.insert_element_before(size, "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd",
                                      "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em",
                                      "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")
        size.set(qn("w:val"), str(round(layout["body_size"] * 2)))
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
    # 28 characters a line: the section's grid says so (Word's page setup shows 28 × 22), and
    # the text itself carries the character spacing that gives it, because LibreOffice cannot
    # set glyphs closer than their size on a grid (it would put one character in two cells)
    no_grid_snap(normal)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(character_spacing_twips(layout)))
    normal_rpr = normal.element.get_or_add_rPr()
    normal_rpr.insert_element_before(spacing, "w:w", "w:kern", "w:position", "w:sz", "w:szCs",
                                     "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd",
                                     "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em",
                                     "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")
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
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    # 22 lines × 28 characters (GB/T 9704-2012 5.2.2): the character pitch is the text width
    # over 28, given as its difference from the body size in 1/4096 pt
    text_width_pt = (layout["page_width"] - layout["margin_left"] - layout["margin_right"]) \
        / 25.4 * 72
    pitch = text_width_pt / int(layout.get("chars_per_line", 28))
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(round(layout["line_pitch"] * 20)))
    grid.set(qn("w:charSpace"), str(round((pitch - layout["body_size"]) * 4096)))


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


def bottom_border(paragraph, color: str = "E60012", size_eighths: int = 12,
                  style: str = "single", space: int = 1, side: str = "bottom") -> None:
    """A rule under (or over) a paragraph: the red line of the 版头, the red double lines of
    the 信函格式 (``style`` ``thickThinSmallGap`` / ``thinThickSmallGap``)."""
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    rule = OxmlElement(f"w:{side}")
    rule.set(qn("w:val"), style)
    rule.set(qn("w:sz"), str(size_eighths))
    rule.set(qn("w:space"), str(space))
    rule.set(qn("w:color"), color)
    border.append(rule)
    ppr.insert_element_before(border, *_AFTER_PBDR)


def _indents(paragraph, left_mm: float = 0, right_mm: float = 0) -> None:
    fmt = paragraph.paragraph_format
    fmt.left_indent = Mm(left_mm)
    fmt.right_indent = Mm(right_mm)


def _cell_margins(table, mm: float) -> None:
    """Left/right cell margins of a table (a narrower margin keeps ids on one line)."""
    pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(_twips(mm)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


def _border_xml(side: str, size_eighths: int) -> str:
    return (f'<w:{side} w:val="single" w:sz="{size_eighths}" w:space="1" '
            'w:color="000000"/>')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _run_props_xml(font: str, size: float) -> str:
    return (f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" '
            f'w:cs="{font}" w:hint="eastAsia"/><w:sz w:val="{round(size * 2)}"/>'
            f'<w:szCs w:val="{round(size * 2)}"/></w:rPr>')


def _emu(mm: float) -> int:
    return round(mm * 36000)


_WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _textbox_xml(content: str, cx: int, cy: int) -> str:
    """A run holding a text box anchored at the bottom centre of the type area (DrawingML,
    read alike by Word, WPS and LibreOffice); the text of the page stays above it."""
    return (
        f'<w:r {nsdecls("w", "wp", "a")} xmlns:wps="{_WPS}" xmlns:mc="{_MC}">'
        '<mc:AlternateContent>'
        '<mc:Choice Requires="wps"><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" '
        'relativeHeight="251659264" behindDoc="0" locked="1" layoutInCell="1" allowOverlap="0">'
        '<wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="margin"><wp:align>center</wp:align></wp:positionH>'
        '<wp:positionV relativeFrom="margin"><wp:align>bottom</wp:align></wp:positionV>'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        '<wp:wrapTopAndBottom/><wp:docPr id="9704" name="版记"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData '
        'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>'
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln>'
        f'</wps:spPr><wps:txbx><w:txbxContent>{content}</w:txbxContent></wps:txbx>'
        '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" '
        'anchor="b" anchorCtr="0"><a:noAutofit/></wps:bodyPr></wps:wsp>'
        '</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>'
        '</mc:AlternateContent></w:r>')


def character_spacing_twips(layout: dict) -> int:
    """The character spacing (1/20 pt, negative) that puts ``chars_per_line`` characters of
    the body size on a line of the type area, and not one more."""
    width = _twips(layout["page_width"] - layout["margin_left"] - layout["margin_right"])
    return math.floor(width / int(layout.get("chars_per_line", 28))
                      - layout["body_size"] * 20) - 1


def no_grid_snap(paragraph) -> None:
    """Let a paragraph (or a paragraph style) ignore the document grid (table cells would take
    a full line pitch)."""
    element = paragraph._p if hasattr(paragraph, "_p") else paragraph.element
    ppr = element.get_or_add_pPr()
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
        """标题: 方正小标宋简体 二号, centred. ``|`` marks where a title too wide for one line
        breaks — by meaning, so that no line holds only "的通报" (GB/T 9704-2012 7.3.3); a title
        that fits one line is not broken."""
        layout = self.layout
        parts = [part for part in text.split("|") if part]
        plain = "".join(parts)
        size = layout["title_size"]
        p = self.paragraph(indent=False, align="center", line=size * 1.6)
        no_grid_snap(p)
        per_line = int(_text_width_pt(layout) // size)
        lines = parts if _width(plain) > per_line and len(parts) > 1 else [plain]
        for n, line in enumerate(lines):
            run = self.run(p, line, font=layout["title_font"], size=size)
            if n < len(lines) - 1:
                run.add_break()

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

    def letter_head(self, issuer: str, doc_no: str) -> None:
        """版头 of the 信函格式 (GB/T 9704-2012 10.1), for a 函: on the first page only, the
        发文机关标志 (red, its top edge ``letter_mark_top`` mm from the top of the page), a red
        double line (thick over thin) 170 mm long under it, and one (thin over thick) near the
        foot of the page; no page number on the first page. In the text: the 发文字号 at the
        right edge of the type area, then two blank lines to the title."""
        layout = self.layout
        section = self.doc.sections[0]
        section.different_first_page_header_footer = True
        section.header_distance = Mm(layout.get("letter_mark_top", 30))
        head = section.first_page_header.paragraphs[0]
        head.alignment = ALIGN["center"]
        head.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        head.paragraph_format.line_spacing = Pt(layout["mark_size"] * 1.3)
        head.paragraph_format.space_after = Pt(0)
        no_grid_snap(head)
        wide = (170 - (layout["page_width"] - layout["margin_left"] - layout["margin_right"])) / 2
        _indents(head, -wide, -wide)
        run = head.add_run(xml_text(issuer))
        set_run_font(run, layout["title_font"], layout["mark_size"], color=RED)
        bottom_border(head, style="thickThinSmallGap", size_eighths=24, space=4)
        foot = section.first_page_footer.paragraphs[0]
        foot.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        foot.paragraph_format.line_spacing = Pt(2)
        no_grid_snap(foot)
        _indents(foot, -wide, -wide)
        bottom_border(foot, style="thinThickSmallGap", size_eighths=24, space=0)
        number = self.paragraph(doc_no, align="right", indent=False)
        number.paragraph_format.space_before = Pt(0)
        self.blank(2)

    def file_head(self, mark: str, doc_no: str) -> None:
        """版头 of the 文件格式 (GB/T 9704-2012 7.2): the 发文机关标志 (red, its top edge
        ``file_mark_offset`` mm below the top of the type area), two blank lines, the 发文字号
        centred, a red rule as wide as the type area 4 mm under it, two blank lines to the
        title."""
        layout = self.layout
        p = self.paragraph(indent=False, align="center", line=layout["mark_size"] * 1.3)
        no_grid_snap(p)
        p.paragraph_format.space_before = Mm(layout.get("file_mark_offset", 35))
        self.run(p, mark, font=layout["title_font"], size=layout["mark_size"], color=RED)
        self.blank(2)
        rule = self.paragraph(doc_no, align="center", indent=False)
        bottom_border(rule, size_eighths=12, space=11)     # 4 mm under the 发文字号
        self.blank(2)

    def draft_banner(self, text: str) -> None:
        """A red bold line at the top of a draft (草稿 供审核)."""
        self.paragraph(text, font=self.layout["heading_font"], align="left", indent=False,
                       color=RED, bold=True)

    def attachment_note(self, names: list[str]) -> None:
        """附件说明: one blank line after the text, 左空二字 "附件：" and the names (GB/T
        9704-2012 7.3.4)."""
        self.blank()
        if len(names) == 1:
            self.paragraph(f"附件：{names[0]}")
            return
        for n, name in enumerate(names, start=1):
            self.paragraph(("附件：" if n == 1 else "\u3000\u3000\u3000") + f"{n}. {name}")

    def signature(self, issuer: str, date_text: str) -> None:
        """落款 and 成文日期 (GB/T 9704-2012 7.3.5.1): the date 右空四字, the issuer centred over
        it; kept on one page with the last lines of the text (a page holding only the 落款 is
        not allowed)."""
        body = self.doc.paragraphs
        for p in body[-2:]:
            p.paragraph_format.keep_with_next = True
        for _ in range(2):
            self.paragraph(indent=False, keep_next=True)
        date_right = 4.0
        issuer_right = max(date_right + (_width(date_text) - _width(issuer)) / 2, 0)
        self.paragraph(issuer, align="right", indent=False, right_indent_chars=issuer_right,
                       keep_next=True)
        self.paragraph(date_text, align="right", indent=False, right_indent_chars=date_right)

    def note(self, text: str) -> None:
        """附注 (e.g. the contact line): 居左空二字加圆括号, the line after the 成文日期 (kept on
        its page)."""
        self.doc.paragraphs[-1].paragraph_format.keep_with_next = True
        self.paragraph(f"（{text}）")

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def attachment(self, title: str, label: str = "附件") -> None:
        """An attachment on a new page: "附件" (黑体, top left), a blank line, its title."""
        self.page_break()
        self.paragraph(label, font=self.layout["heading_font"], indent=False, align="left")
        self.blank()
        self.title(title)
        self.blank()

    def colophon(self, cc: list[str], printer: str | None = None, date_text: str | None = None
                 ) -> None:
        """版记 at the foot of the last page (GB/T 9704-2012 7.4): 抄送 (左空一字, 回行与冒号后
        对齐, 机关间用逗号, 末尾句号) and, for the 文件格式, 印发机关 (左空一字) and 印发日期
        (右空一字), between a thick first and last rule (0.35 mm) with a thin rule (0.25 mm)
        between the rows. The 信函格式 prints 抄送 only, without rules (10.1). It is a text box
        anchored to the bottom of the type area of the page it falls on — the last one —, with
        the text kept above it. Nothing when there is nothing to print."""
        rows = []
        if cc:
            rows.append(("抄送：" + "，".join(cc) + "。", None))
        if printer:
            rows.append((printer, f"{date_text}印发"))
        if not rows:
            return
        layout = self.layout
        size = layout["page_number_size"]
        width_mm = layout["page_width"] - layout["margin_left"] - layout["margin_right"]
        per_line = (width_mm / 25.4 * 72 - 2 * size) / size
        lines = sum(max(1, math.ceil(_width(left + (right or "")) / per_line))
                    for left, right in rows)
        line_pt = size * 1.5
        height_pt = lines * line_pt + 4 * len(rows) + 2
        ruled = printer is not None
        paragraphs = []
        for r, (left, right) in enumerate(rows):
            borders = ""
            if ruled:
                borders = _border_xml("top", 8 if r == 0 else 4) + (
                    _border_xml("bottom", 8) if r == len(rows) - 1 else "")
            hanging = ""
            if left.startswith("抄送："):
                hanging = f' w:hanging="{round(3 * size * 20)}"'
                indent_left = round(size * 20 + 3 * size * 20)
            else:
                indent_left = round(size * 20)
            tabs = (f'<w:tabs><w:tab w:val="right" w:pos="{_twips(width_mm) - round(size * 20)}"/>'
                    "</w:tabs>") if right else ""
            text = xml_text(left) + ("\t" + xml_text(right) if right else "")
            runs = "".join(
                f'<w:r>{_run_props_xml(layout["body_font"], size)}'
                + ("<w:tab/>" if part == "\t" else f'<w:t xml:space="preserve">{_escape(part)}</w:t>')
                + "</w:r>" for part in re.split(r"(\t)", text) if part)
            paragraphs.append(
                f'<w:p><w:pPr>{f"<w:pBdr>{borders}</w:pBdr>" if borders else ""}{tabs}'
                '<w:snapToGrid w:val="0"/>'
                f'<w:spacing w:before="0" w:after="0" w:line="{round(line_pt * 20)}" w:lineRule="exact"/>'
                f'<w:ind w:left="{indent_left}" w:right="{round(size * 20)}"{hanging}/>'
                f'</w:pPr>{runs}</w:p>')
        anchor = self.paragraph(indent=False, line=1)
        anchor.paragraph_format.space_after = Pt(0)
        anchor._p.append(parse_xml(_textbox_xml("".join(paragraphs), _emu(width_mm),
                                                round(height_pt * 12700))))

    # -- tables --------------------------------------------------------------------------------
    def table(self, headers: list[str], rows: list[list[str]], widths_mm: list[float], *,
              align: list[str] | None = None, size: float | None = None,
              cell_margin_mm: float | None = None) -> None:
        """A bordered table: widths on gridCol and tcW, repeated header row, rows kept whole."""
        layout = self.layout
        size = size or layout["table_size"]
        align = align or ["center"] * len(headers)
        table = self.doc.add_table(rows=1 + len(rows), cols=len(headers))
        table.style = self.doc.styles["Table Grid"]
        if cell_margin_mm is not None:
            _cell_margins(table, cell_margin_mm)
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


def _text_width_pt(layout: dict) -> float:
    return (layout["page_width"] - layout["margin_left"] - layout["margin_right"]) / 25.4 * 72


def _width(text: str) -> float:
    """Width of a text in full-width characters (ASCII digits and letters count one half)."""
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in text)


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

