"""GX's Data Docs of an audit: built by GX, working offline, showing the checks in Chinese."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from xfaudit import datadocs
from xfaudit.audit import audit
from xfaudit.suites import suite_dicts

SAMPLE = Path(__file__).parent / "files" / "sample_2026-10.xlsx"
REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"'#]+)["']""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""", re.I)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    result = audit(SAMPLE, as_of="2026-10-31", profile="national-2022")
    folder = tmp_path_factory.mktemp("docs") / "datadocs"
    removed = []
    real = datadocs.make_offline

    def spy(path):
        removed.extend(real(path))
        return removed

    datadocs.make_offline = spy
    try:
        index = datadocs.build_data_docs(result.validation, suite_dicts(result.profiles),
                                         folder, title="信访事项月度审计 2026-10",
                                         run_name="2026-10-31")
    finally:
        datadocs.make_offline = real
    return folder, index, removed


def pages(folder):
    return sorted(folder.rglob("*.html"))


def test_gx_builds_an_index_a_page_per_suite_and_per_validation(site):
    folder, index, _ = site
    assert index == folder / "index.html" and index.is_file()
    names = {p.relative_to(folder).as_posix() for p in pages(folder)}
    assert {"expectations/xfaudit/ledger.html",
            "expectations/xfaudit/national-2022.html"} <= names
    assert len([n for n in names if n.startswith("validations/")]) == 2


def test_nothing_is_loaded_from_outside_the_folder(site):
    folder, _, _ = site
    for page in pages(folder):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", text, re.I), page
        assert not re.search(r"(?i)@import|url\(\s*['\"]?(https?:)?//", text), page
        for ref in REFERENCE.findall(text):           # every local reference resolves
            assert (page.parent / ref.split("?")[0]).resolve().is_file(), (page, ref)
    for sheet in folder.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8")
        for ref in CSS_URL.findall(text):
            if ref.endswith(".ttf") and (sheet.parent / ref).with_suffix(".woff2").resolve(
                    ).is_file():
                continue   # a fallback after the woff2 file every browser reads first
            if not ref.startswith("data:") and ref != "none":
                assert not re.match(r"(https?:)?//", ref), (sheet, ref)
                assert (sheet.parent / ref.split("?")[0].split("#")[0]).resolve().is_file(), \
                    (sheet, ref)


def test_only_links_to_gx_website_were_dropped(site):
    # every CDN file the templates load has a vendored copy: a GX upgrade that changes one
    # fails here (update datadocs.CDN_FILES and the vendored files)
    _, _, removed = site
    assert removed, "GX's pages link to its website"
    for item in removed:
        assert re.fullmatch(r'href="https://(docs\.)?greatexpectations\.io[^"]*"', item), item


def test_vendored_files_carry_their_licenses(site):
    folder, _, _ = site
    vendor = folder / "static" / "vendor"
    for package in [p for p in vendor.iterdir() if p.is_dir()]:
        assert list(package.glob("LICENSE*")), package.name
    assert "Apache" in (vendor / "bootstrap-datepicker-1.9.0" / "LICENSE").read_text()


def test_pages_show_the_checks_in_chinese(site):
    folder, _, _ = site
    [clock_page] = [p for p in pages(folder) if "validations" in p.parts and p.stem == "clocks"]
    text = clock_page.read_text(encoding="utf-8")
    assert 'lang="zh"' in text
    for words in ("办理超期：办结之日不晚于期限届满日", "延期不规范：延期天数不超过30日",
                  "未出具书面答复"):
        assert words in text, words
    notes = (folder / "expectations" / "xfaudit" / "national-2022.html").read_text("utf-8")
    assert "《信访工作条例》第三十四条" in notes


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium not installed")
def test_chromium_renders_the_pages_offline(site, tmp_path):
    folder, _, _ = site
    [page] = [p for p in pages(folder) if "validations" in p.parts and p.stem == "clocks"]
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--proxy-server=127.0.0.1:9",   # any request to the network would fail
         f"--user-data-dir={tmp_path}", "--virtual-time-budget=5000", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    # bootstrap-table (vendored jQuery + plugin) turned the results table into its widget
    assert "fixed-table-container" in dom
    assert "办理超期" in dom
