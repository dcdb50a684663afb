"""The report an inspector reads first, as a browser shows and prints it, and the clean-value
rules over every output of the bundled sample's monthly run.

One ``run_monthly_audit`` of ``tests/files/sample_2026-10.xlsx`` is shared by the module.
Headless Chromium (Debian ``chromium``, installed by ``make test``) renders ``report.html``:
screenshots at 1366 and 800 px, and a print to PDF on A4 read back page by page with
``pdftotext``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from bs4 import BeautifulSoup

from clean_values import dirty, visible_text
from processes import finished_in
from xfaudit import __version__
from xfaudit.monthly import run_monthly_audit
from xfaudit.monthly_report import SECTIONS

SAMPLE = Path(__file__).resolve().parent / "files" / "sample_2026-10.xlsx"
#: The bundled sample's bureau (as `make demo` runs it): the county on the first screen, letters.
BUREAU = Path(__file__).resolve().parent / "files" / "sample_bureau.toml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER = pytest.mark.skipif(not (CHROMIUM and shutil.which("pdftotext")),
                             reason="Chromium / poppler not installed (make test installs them)")
A4_POINTS = (595.0, 842.0)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    out = run_monthly_audit(SAMPLE, "2026-10", out_dir=root / "reports", config=BUREAU)
    return SimpleNamespace(out=out, folder=out.folder, root=root,
                           page=(out.folder / "report.html").read_text("utf-8"))


def chromium(args: list[str], page: Path, profile: Path) -> None:
    """Run headless Chromium on a page; kill its process group if it hangs."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--no-first-run", f"--user-data-dir={profile}", *args, page.as_uri()]
    if not finished_in(command, 180):
        pytest.fail(f"Chromium did not finish {args[0]} in 180 s")


def pdf_pages(path: Path) -> list[list[str]]:
    """The non-empty text lines of every page."""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    pages = []
    for number in range(1, count + 1):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(path),
                               "-"], capture_output=True, text=True, check=True).stdout
        pages.append([line.strip() for line in text.splitlines() if line.strip()])
    return pages


@pytest.fixture(scope="module")
def printed(sample, tmp_path_factory):
    folder = tmp_path_factory.mktemp("print")
    pdf = folder / "report.pdf"
    chromium([f"--print-to-pdf={pdf}", "--no-pdf-header-footer"], sample.folder / "report.html",
             folder / "profile")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    return SimpleNamespace(pdf=pdf, pages=pdf_pages(pdf),
                           size=(float(size.group(1)), float(size.group(2))))


def headings(page: str) -> set[str]:
    soup = BeautifulSoup(page, "html.parser")
    for link in soup.select("a.anchor-link"):
        link.decompose()
    return {h.get_text(" ", strip=True) for h in soup.find_all(["h1", "h2", "h3", "h4", "h5"])}


# -- the page as a browser shows it --------------------------------------------------------------

def test_first_screen_names_the_audit_and_says_what_to_do(sample):
    """County, period, as-of, the file with its SHA-256, the profile and the version; the
    headline figures; the to-do list; the contents — before the first section."""
    manifest = sample.out.manifest
    first = visible_text(sample.page.split('id="xf-overview"')[0])
    digest = manifest["input"]["sha256"]
    for text in ("云溪县 · 2026年10月 · 审计日 2026年10月31日", "sample_2026-10.xlsx",
                 f"SHA-256 {digest[:16]}", manifest["profile"]["title"], f"xfaudit {__version__}",
                 "本期新发现履职问题", "持续未办履职问题", "涉及责任单位", "7日内 / 15日内到期",
                 "待办", "目录", "签发督办及改进工作建议函"):
        assert text in first, text
    assert str(Path(sample.root)) not in sample.page      # no machine path anywhere
    assert "YYYY-MM" not in sample.page


def test_contents_links_every_section_and_every_unit(sample):
    soup = BeautifulSoup(sample.page, "html.parser")
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    contents = soup.select("ul.xf-contents a")
    targets = [a["href"].lstrip("#") for a in contents]
    assert [a for a, _ in SECTIONS] == [t for t in targets if not re.fullmatch(r"xf-unit-\d+", t)]
    assert set(targets) <= ids
    units = [a.get_text() for a in soup.select(".xf-unit-links a")]
    sections = [s.find("h3").get_text() for s in soup.select("section.xf-unit")]
    assert units == sections and len(units) >= 20
    assert "（未填写单位）" not in units


def test_images_carry_chinese_alt_text(sample):
    soup = BeautifulSoup(sample.page, "html.parser")
    images = soup.find_all("img")
    assert len(images) == 5
    for img in images:
        assert re.search(r"[\u4e00-\u9fff]{4}", img["alt"]), img["alt"][:40]
        assert "No description" not in img["alt"]


@BROWSER
def test_screenshots_at_1366_and_800(sample, tmp_path):
    for width in (1366, 800):
        shot = tmp_path / f"{width}.png"
        chromium([f"--screenshot={shot}", f"--window-size={width},1000"],
                 sample.folder / "report.html", tmp_path / "profile")
        from PIL import Image

        with Image.open(shot) as image:
            assert image.size == (width, 1000)
            colours = image.convert("L").getcolors(maxcolors=256 * 256)
            assert colours and len(colours) > 20   # something is drawn, not a blank page


@BROWSER
def test_prints_on_a4(printed):
    assert printed.size == pytest.approx(A4_POINTS, abs=1)
    # 12 sections each from a new page, the first screen, the unit sections: 13 to about 45
    assert 13 <= len(printed.pages) <= 60


@BROWSER
def test_every_section_starts_a_printed_page(printed):
    firsts = [lines[0] for lines in printed.pages if lines]
    for _, heading in SECTIONS:
        assert heading in firsts, heading
    assert printed.pages[0][0] == "信访事项办理情况月度审计报告"
    assert any("待办" in line for line in printed.pages[0])


@BROWSER
def test_no_printed_page_holds_only_headings(sample, printed):
    titles = headings(sample.page)
    lone = [i + 1 for i, lines in enumerate(printed.pages)
            if lines and all(line in titles for line in lines)]
    assert lone == []


@BROWSER
def test_long_tables_repeat_their_header_row(printed):
    """The list of open overdue findings runs over several pages: each continuation page
    starts with the table's header (信访件编号 …), not with a bare row."""
    starts = [i for i, lines in enumerate(printed.pages)
              if lines and lines[0] == "超期仍未办的问题（超期最久的在前）"
              or "超期仍未办的问题（超期最久的在前）" in lines[:3]]
    assert starts
    following = printed.pages[starts[0] + 1]
    assert following[0] == "信访件编号"


# -- clean values in every output ------------------------------------------------------------------

def test_report_html_text_is_clean(sample):
    text = visible_text(sample.page)
    assert dirty(text) == []
    for word in ("本期新发现", "持续未办", "临期预警", "无法判断", "部分评估"):
        assert word in text


def xlsx_texts(path: Path) -> list[tuple[str, str]]:
    book = openpyxl.load_workbook(path, read_only=True)
    out = []
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            out += [(ws.title, v) for v in row if isinstance(v, str)]
    return out


def test_workbooks_are_clean(sample):
    # The follow-up register (registers/建议跟踪台账.xlsx) keeps its 类型代码 column of keys
    # the register reads back; its layout is the accountability step's (issue 10).
    books = [sample.folder / "findings.xlsx", sample.folder / "回访抽查.xlsx"]
    for path in books:
        bad = [(sheet, v) for sheet, v in xlsx_texts(path) if dirty(v)]
        assert bad == [], (path.name, bad[:5])


def test_csv_and_json_are_clean(sample):
    import csv

    with open(sample.folder / "indicators.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and "指标编号" in rows[0]
    # 指标编号 is the indicator's stable key (timely_acceptance …), a secondary column
    cells = [v for row in rows for k, v in row.items() if k != "指标编号"]
    assert [v for v in cells if dirty(v)] == []

    def no_constants(name):
        raise AssertionError(f"{name} in JSON")

    for name in ("summary.json", "manifest.json"):
        data = json.loads((sample.folder / name).read_text("utf-8"), parse_constant=no_constants)
        strings = []

        def walk(value):
            if isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)
            elif isinstance(value, str):
                strings.append(value)
        walk(data)
        assert [s for s in strings if s in ("None", "NaN", "nan", "NaT", "<NA>")] == [], name


def test_notebook_outputs_are_clean(sample):
    nb = json.loads((sample.folder / "monthly_audit.ipynb").read_text("utf-8"))
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            shown = visible_text("".join(data.get("text/html", ""))) + "".join(
                data.get("text/plain", "")) + "".join(output.get("text", ""))
            assert dirty(shown) == [], (cell["source"][:1], dirty(shown)[:5])


def test_letters_are_clean(sample):
    from docx import Document

    for path in sorted(sample.folder.rglob("*.docx")):
        document = Document(path)
        text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
            cell.text for table in document.tables for row in table.rows for cell in row.cells)
        assert dirty(text) == [], (path.name, dirty(text)[:5])


def test_the_report_folder_holds_the_five_charts(sample):
    charts = sorted(p.name for p in (sample.folder / "charts").glob("*.png"))
    assert charts == ["aging.png", "findings_by_check.png", "findings_by_unit.png",
                      "indicators.png", "trend.png"]
