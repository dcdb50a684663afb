"""Every letter of the bundled sample, rendered by LibreOffice: its text within two pages, its
case list on the 附件 pages after them (skipped when LibreOffice or poppler is absent)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from xfaudit import privacy
from xfaudit.accountability import produce
from xfaudit.audit import audit
from xfaudit.letters import to_pdf

FILES = Path(__file__).parent / "files"

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="LibreOffice / poppler not installed")


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("render")
    result = audit(FILES / "sample_2026-10.xlsx", as_of="2026-10-31", period="2026-10",
                   bureau="云溪县信访局")
    result = privacy.mask_result(result, personal=False)
    out = produce(result, "2026-10", root / "stage", config=FILES / "sample_bureau.toml")
    letters = [l for l in out.letters if l.kind != "circular"]
    pdfs = to_pdf([l.path for l in letters], root / "pdf")
    return list(zip(letters, pdfs))


def test_every_letter_of_the_sample_fits_two_pages_plus_its_attachment(rendered):
    assert len(rendered) >= 20
    for letter, pdf in rendered:
        total = pages(pdf)
        # an attachment page opens with "附件" alone on its first line (GB/T 9704-2012 8)
        starts = [p for p in range(1, total + 1)
                  if page_text(pdf, p).strip().splitlines()[0].strip() == "附件"]
        body = (starts[0] - 1) if starts else total
        assert body <= 2, (letter.path.name, body)
        if letter.kind == "improvement":
            assert starts, letter.path.name                      # the case list is attached
            text = "".join(page_text(pdf, p) for p in range(1, body + 1))
            assert not re.search(r"(XF|001)\d{9,}", text), letter.path.name  # no id in text
