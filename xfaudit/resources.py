"""The notebooks and GX suites shipped inside the package, and their checked-in copies.

The repository keeps ``notebooks/`` and ``expectations/`` at its top level (where people open
and edit them). An installed xfaudit has no repository, so the package carries identical
copies as package data, in ``xfaudit/data/notebooks/`` and ``xfaudit/data/expectations/``,
opened with :mod:`importlib.resources` (:func:`packaged`) — the same in a wheel, an editable
install and a source checkout. A test asserts both copies are byte for byte equal; after
editing a notebook (or regenerating the suites) run ``make package-data`` (``python -m
xfaudit.resources``), which copies the top-level files into the package.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

#: Folders copied from the repository's top level into ``xfaudit/data/``, and their files.
COPIED = {"notebooks": "*.ipynb", "expectations": "*.json"}


def packaged(*parts: str) -> Path:
    """Path of a file or folder of the package data (``packaged("notebooks",
    "monthly_audit.ipynb")``). Installed packages are plain folders on disk (wheels are never
    imported zipped here), so the path is a real one that papermill and GX can open."""
    return Path(str(resources.files("xfaudit.data").joinpath(*parts)))


def source_root() -> Path | None:
    """The repository this package runs from, or None for an installed package."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and all((root / name).is_dir() for name in COPIED):
        return root
    return None


def differences(root: Path) -> list[str]:
    """Files that differ between the top-level copies under ``root`` and the package data
    (missing on either side, or different bytes), as ``folder/name``."""
    found = []
    for folder, pattern in COPIED.items():
        top = {p.name: p for p in (root / folder).glob(pattern)}
        inside = {p.name: p for p in packaged(folder).glob(pattern)}
        for name in sorted(top.keys() | inside.keys()):
            if name not in top or name not in inside \
                    or top[name].read_bytes() != inside[name].read_bytes():
                found.append(f"{folder}/{name}")
    return found


def sync(root: Path) -> list[Path]:
    """Make the package data equal to the top-level copies under ``root``: copy every file,
    remove package files with no top-level copy. Returns the package files written."""
    written = []
    for folder, pattern in COPIED.items():
        target = packaged(folder)
        target.mkdir(parents=True, exist_ok=True)
        names = {p.name for p in (root / folder).glob(pattern)}
        for stale in target.glob(pattern):
            if stale.name not in names:
                stale.unlink()
        for name in sorted(names):
            shutil.copyfile(root / folder / name, target / name)
            written.append(target / name)
    return written


if __name__ == "__main__":  # pragma: no cover - maintenance entry point (make package-data)
    here = source_root()
    if here is None:
        raise SystemExit("not a source checkout: nothing to copy")
    for path in sync(here):
        print(path)
