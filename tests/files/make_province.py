"""Build the bundled provincial sample of `make demo`'s per-county step:
``sample_province_2026-10.csv`` — a synthetic month (``xfaudit.synth``, fictional people and
units) whose 问题属地 spreads the items over three fictional counties of the fictional 东江省临川市
and leaves one item in ten without a place. Each county's units carry its name (云溪县教育局,
云溪县柳溪镇); the 县公安局 items go to one city department, 临川市公安局, named in every county.

Run from the repository root: ``python tests/files/make_province.py``.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd

from xfaudit.synth import generate, write

HERE = Path(__file__).parent
TARGET = HERE / "sample_province_2026-10.csv"

#: 问题属地 of record i: PLACES[i % 10] (4 × 云溪县, 3 × 青禾县, 2 × 石湖区, 1 × empty).
PLACES = ["东江省临川市云溪县柳溪镇", "东江省临川市云溪县", "东江省临川市云溪县清河街道",
          "东江省临川市云溪县桃源镇", "东江省临川市青禾县", "东江省临川市青禾县石桥镇",
          "东江省临川市青禾县", "东江省临川市石湖区城南街道", "东江省临川市石湖区", ""]


def _unit_of(unit: str, place: str) -> str:
    """The county's own unit (县教育局 of 云溪县 → 云溪县教育局), the city's 公安局 for 县公安局."""
    county = place.removeprefix("东江省临川市")[:3]
    if not unit or not county:
        return unit
    if unit == "县公安局":
        return "临川市公安局"
    return county + unit.removeprefix("县")


def main(target: Path = TARGET) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.csv"
        write(generate(600, "2026-10", 2610), raw)
        lines = raw.read_text(encoding="utf-8-sig").split("\n")
    frame = pd.read_csv(io.StringIO("\n".join(lines[1:])), dtype=str, keep_default_na=False)
    frame["问题属地"] = [PLACES[i % len(PLACES)] for i in range(len(frame))]
    frame["责任单位"] = [_unit_of(unit, place) for unit, place in
                       zip(frame["责任单位"], frame["问题属地"])]
    frame.to_csv(target, index=False, encoding="utf-8-sig")
    return target


if __name__ == "__main__":
    print(main())
