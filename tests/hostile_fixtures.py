"""Hostile and careless ledgers for the safety tests, written by script (no binary blobs).

All of them are the hand-checked month of :mod:`monthly_fixtures` (eleven items, 2026-10) with
text changed where a real export carries surprises:

- :func:`write_personal_ledger`: every petitioner is 测试甲某 with a phone and an id number in
  their columns, and every 主要诉求 quotes the name, an address and the phone and id number in
  every form people write them (:data:`SEEDED` lists each value that must never leave the
  callback list), plus a case id, a date and an amount that must stay readable;
- :func:`write_hostile_names_ledger`: unit and category names with control characters
  (``\\x08`` from a web form, ``\\x0b`` from Shift+Enter in Word, ``\\x07``, ``\\x1b``),
  with ``$…$`` (mathtext for matplotlib) and starting with ``= + - @`` (CSV injection), and
  summaries that start with a formula.

Both are CSV files (UTF-8 with BOM) with the canonical Chinese headers, as the petition system
exports them; the findings they give are those of the fixture month (the text changes touch
no date), so ``monthly_fixtures`` / ``test_indicators`` hold for them.
"""

from __future__ import annotations

import csv
from pathlib import Path

from monthly_fixtures import rows
from xfaudit.schema import header_of

#: The petitioner of every row of the personal-data ledger.
NAME = "测试甲某"
PHONE = "13912345678"
ID_NUMBER = "11010119900307123X"
ADDRESS = "云溪县青石镇幸福路88号3单元502室"

#: Every form of the phone and id numbers quoted in the summaries.
PHONE_FORMS = ["139-1234-5678", "+86 139 1234 5678", "8613912345678", "+8613912345678",
               "139 1234 5678"]
LANDLINES = ["0571-87654321", "(0571)87654321", "010 12345678"]
ID_FORMS = ["110101 19900307 123X", "110101900307123"]

#: What must never appear in an output other than the callback list.
SEEDED = [NAME, PHONE, ID_NUMBER, ADDRESS, "幸福路88号", *PHONE_FORMS, *LANDLINES, *ID_FORMS,
          "1234-5678", "1234 5678", "87654321", "12345678", "19900307"]

#: Ordinary numbers in the same summaries that must stay as they are.
KEPT = ["XF2026050000094", "12345.67元", "2026-10-31"]


def personal_summary(case_id: str) -> str:
    """A summary quoting the petitioner, the address and every phone and id form."""
    return (f"信访人{NAME}（住{ADDRESS}）反映{case_id}路灯损坏，{NAME}称已多次来电"
            f"{PHONE}、{'、'.join(PHONE_FORMS)}，座机{'、'.join(LANDLINES)}，"
            f"身份证{ID_NUMBER}、{'、'.join(ID_FORMS)}；前案XF2026050000094于2026-10-31"
            f"办结，垫付12345.67元")


#: Units and categories of the hostile-names ledger (XF-A1..4 / XF-B* / XF-A5). With the
#: fixture's findings (XF-A2, XF-A3 REG_LATE; XF-A5, XF-B1 HANDLING_OVERDUE at 2026-10-31)
#: every unit has findings: a sheet and a letter each.
CONTROL_UNIT = "青石镇\x08"
DOLLAR_UNIT = "县$^$局"
FORMULA_UNIT = "=HYPERLINK(\"http://x\",\"城南街道\")"
CONTROL_CATEGORY = "城乡\x0b建设\x1b"
DOLLAR_CATEGORY = "云溪$街道"
FORMULA_CATEGORY = "+城乡建设"
FORMULA_SUMMARIES = ["=cmd|' /C calc'!A0", "-3+4", "@SUM(1+1)*cmd|' /C calc'!A0",
                     "反映\x07问题\x1b", "\t=1+2"]


def _write(path: Path, data: list[dict]) -> Path:
    columns = list(data[0])
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([header_of(c) for c in columns])
        for row in data:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return Path(path)


def personal_rows() -> list[dict]:
    return [{**row, "petitioner": NAME, "petitioner_phone": PHONE,
             "petitioner_id_no": ID_NUMBER, "summary": personal_summary(row["case_id"])}
            for row in rows()]


def write_personal_ledger(path: str | Path) -> Path:
    """The fixture month with personal data everywhere it can hide (see the module doc)."""
    return _write(Path(path), personal_rows())


def hostile_rows() -> list[dict]:
    data = rows()
    for i, row in enumerate(data):
        if row["case_id"] in ("XF-A1", "XF-A2", "XF-A3", "XF-A4"):
            row.update(handling_unit=CONTROL_UNIT, category=CONTROL_CATEGORY)
        elif row["case_id"].startswith("XF-B"):
            row.update(handling_unit=DOLLAR_UNIT, category=DOLLAR_CATEGORY)
        else:
            row.update(handling_unit=FORMULA_UNIT, category=FORMULA_CATEGORY)
        row["summary"] = FORMULA_SUMMARIES[i % len(FORMULA_SUMMARIES)]
    return data


def write_hostile_names_ledger(path: str | Path) -> Path:
    """The fixture month with control characters, ``$…$`` and formula text in names."""
    return _write(Path(path), hostile_rows())


def write_hostile_personal_ledger(path: str | Path) -> Path:
    """Both at once (one monthly run covers them): hostile unit and category names, and
    summaries that start like a formula and then quote every personal value."""
    data = hostile_rows()
    for row, personal in zip(data, personal_rows()):
        row.update({k: personal[k] for k in ("petitioner", "petitioner_phone",
                                             "petitioner_id_no")})
        row["summary"] = row["summary"] + personal["summary"]
    return _write(Path(path), data)


#: Outputs that hold no text (charts; the Data Docs' vendored fonts and images).
BINARY = {".png", ".ico", ".gif", ".jpg", ".svg", ".woff", ".woff2", ".ttf", ".eot", ".otf"}


def output_texts(folder: Path) -> dict[str, str]:
    """Every text inside the outputs under ``folder``: xlsx and docx members unzipped, html,
    ipynb, json and csv as text (PNG charts and the Data Docs' vendored fonts and images left
    out: they are the same files in every run)."""
    import zipfile

    texts = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in BINARY:
            continue
        name = path.relative_to(folder).as_posix()
        if path.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(path) as book:
                for member in book.namelist():
                    texts[f"{name}:{member}"] = book.read(member).decode("utf-8", "replace")
        else:
            texts[name] = path.read_bytes().decode("utf-8-sig")
    return texts
