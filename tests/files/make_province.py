"""Build the bundled provincial sample of `make demo`'s per-county step:
``sample_province_2026-10.csv`` — a synthetic month (``xfaudit.synth``, fictional people and
units) whose 问题属地 spreads the items over three fictional counties of the fictional 东江省临川市
and leaves one item in ten without a place.

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


def main(target: Path = TARGET) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.csv"
        write(generate(600, "2026-10", 2610), raw)
        lines = raw.read_text(encoding="utf-8-sig").split("\n")
    frame = pd.read_csv(io.StringIO("\n".join(lines[1:])), dtype=str, keep_default_na=False)
    frame["问题属地"] = [PLACES[i % len(PLACES)] for i in range(len(frame))]
    frame.to_csv(target, index=False, encoding="utf-8-sig")
    return target


if __name__ == "__main__":
    print(main())
