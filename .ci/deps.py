#!/usr/bin/env python3
"""Pinned dependencies and offline wheelhouses (``make lock``, ``make wheelhouse``).

``python .ci/deps.py lock``
    Writes ``constraints.txt``: every package ``xfaudit[test]`` needs, transitive ones
    included, at the version installed in the running environment (the venv the tests passed
    in). pip resolves the Linux set (``pip install --dry-run --report``, constrained by
    ``pip freeze``). pip cannot evaluate another platform's environment markers, so the
    Windows set (CPython 3.11 on win_amd64, the county's office PCs) is the closure of the
    same requirements with the markers evaluated for Windows: packages needed only there
    (``colorama``, ``pywinpty``, …) are pinned to the newest release that has a Windows wheel
    and satisfies every requirement on them, and marked ``; sys_platform == "win32"``;
    packages not needed there are marked ``; sys_platform != "win32"``.

``python .ci/deps.py wheelhouse DIR [--platform linux|windows|all]``
    Downloads a wheel of every pinned package for Linux x86-64 (manylinux, glibc 2.28 as on
    统信 UOS 20 and Debian 10 or later) and/or Windows x86-64, CPython 3.11.9 (3.11.5 or later
    is needed), builds wheels of pure-Python packages published only as source, builds the
    xfaudit wheel, and copies constraints.txt beside them. A PC without internet installs from
    the folder: ``python -m pip install --no-index --find-links DIR -c DIR/constraints.txt
    xfaudit``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"

#: The interpreter the county installs: the last CPython 3.11 with a Windows installer.
PYTHON_VERSION = "3.11.9"
_COMMON = ["--python-version", PYTHON_VERSION, "--implementation", "cp", "--abi", "cp311",
           "--only-binary=:all:"]
PLATFORMS = {
    "linux": ["--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
              "--platform", "manylinux2014_x86_64", "--platform", "linux_x86_64"],
    "windows": ["--platform", "win_amd64"],
}
#: Environment markers of each target platform.
ENVIRONMENTS = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
              "platform_machine": "x86_64"},
    "windows": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
                "platform_machine": "AMD64"},
}


def _environment(platform: str) -> dict:
    env = dict(default_environment())
    env.update(ENVIRONMENTS[platform], python_version="3.11", python_full_version=PYTHON_VERSION,
               implementation_name="cpython", platform_python_implementation="CPython")
    return env


def _pip(*args: str, quiet: bool = True) -> None:
    subprocess.run([sys.executable, "-m", "pip", *(["-q"] if quiet else []), *args],
                   check=True)


# -- lock ---------------------------------------------------------------------------------------

def _linux_resolution() -> dict[str, dict]:
    """name → {"name", "version", "requires"} of the resolution of xfaudit[test] here."""
    with tempfile.TemporaryDirectory() as tmp:
        freeze = Path(tmp) / "freeze.txt"
        frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
                                check=True, capture_output=True, text=True).stdout
        freeze.write_text(frozen, encoding="utf-8")
        report = Path(tmp) / "report.json"
        _pip("install", "--dry-run", "--ignore-installed", "--report", str(report),
             "-c", str(freeze), f"{ROOT}[test]")
        data = json.loads(report.read_text(encoding="utf-8"))
    packages = {}
    for item in data["install"]:
        meta = item["metadata"]
        packages[canonicalize_name(meta["name"])] = {
            "name": meta["name"], "version": meta["version"],
            "requires": meta.get("requires_dist", [])}
    return packages


def _wheel_metadata(requirement: str, platform: str, folder: Path) -> dict:
    """Download the newest wheel matching ``requirement`` for ``platform``; its metadata."""
    before = set(folder.iterdir())
    _pip("download", "--no-deps", *_COMMON, *PLATFORMS[platform], "-d", str(folder),
         requirement)
    wheel = next(p for p in set(folder.iterdir()) - before if p.suffix == ".whl")
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(archive.read(name).decode("utf-8"))
    return {"name": meta["Name"], "version": meta["Version"],
            "requires": meta.get_all("Requires-Dist") or []}


def _closure(root: dict, known: dict[str, dict], platform: str,
             folder: Path) -> dict[str, dict]:
    """Every package the root requires on ``platform`` (markers evaluated there, extras
    followed), at the version in ``known`` or, for packages ``known`` lacks, the newest
    release with a wheel for the platform that satisfies the requirement met first (later
    requirements on it are checked)."""
    env = _environment(platform)
    needed: dict[str, dict] = {}
    extras: dict[str, set[str]] = {}
    specifiers: dict[str, SpecifierSet] = {}
    queue: list[tuple[dict, set[str]]] = [(root, {"test"})]
    while queue:
        package, wanted = queue.pop()
        for text in package["requires"]:
            requirement = Requirement(text)
            if requirement.marker and not any(
                    requirement.marker.evaluate({**env, "extra": extra})
                    for extra in wanted | {""}):
                continue
            key = canonicalize_name(requirement.name)
            specifiers[key] = specifiers.get(key, SpecifierSet()) & requirement.specifier
            if key not in needed:
                needed[key] = known.get(key) or _wheel_metadata(
                    f"{requirement.name}{specifiers[key]}", platform, folder)
            elif not specifiers[key].contains(needed[key]["version"], prereleases=True):
                raise SystemExit(f"{needed[key]['name']} {needed[key]['version']} does not "
                                 f"satisfy {specifiers[key]} on {platform}")
            new = set(requirement.extras) - extras.get(key, set())
            if key not in extras or new:
                extras[key] = extras.get(key, set()) | new
                queue.append((needed[key], extras[key]))
    return needed


def lock() -> Path:
    """Write constraints.txt (see the module docstring)."""
    resolved = _linux_resolution()
    root = resolved.pop(canonicalize_name("xfaudit"))
    with tempfile.TemporaryDirectory() as tmp:
        linux = _closure(root, resolved, "linux", Path(tmp))
        windows = _closure(root, resolved, "windows", Path(tmp))
    if set(linux) != set(resolved):
        raise SystemExit(f"marker walk and pip disagree on Linux: "
                         f"{sorted(set(linux) ^ set(resolved))}")
    lines = []
    for key in sorted(set(linux) | set(windows)):
        entry = linux.get(key) or windows[key]
        pin = f"{entry['name']}=={entry['version']}"
        if key not in windows:
            pin += ' ; sys_platform != "win32"'
        elif key not in linux:
            pin += ' ; sys_platform == "win32"'
        lines.append(pin)
    header = [
        "# Every dependency of xfaudit[test], transitive ones included, pinned.",
        f"# Generated by `make lock` (.ci/deps.py) on {dt.date.today().isoformat()} with Python "
        f"{sys.version.split()[0]}; Windows entries for CPython {PYTHON_VERSION} win_amd64.",
        "# Install with: pip install -c constraints.txt -e '.[test]'",
    ]
    CONSTRAINTS.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    return CONSTRAINTS


# -- wheelhouse ------------------------------------------------------------------------------

#: Pinned for the tests and for provincial servers (``xfaudit[spark]``, ``xfaudit[sql]``), but
#: not put in the county PCs' offline wheelhouse: pyspark alone is a 400 MB source archive.
SERVER_ONLY = {"pyspark", "py4j", "sqlalchemy", "greenlet"}


def pins(platform: str, constraints: Path = CONSTRAINTS) -> list[str]:
    """The ``name==version`` lines of constraints.txt that apply on ``platform`` (but the
    :data:`SERVER_ONLY` packages)."""
    env = _environment(platform)
    found = []
    for line in constraints.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) in SERVER_ONLY:
            continue
        if requirement.marker is None or requirement.marker.evaluate(env):
            found.append(f"{requirement.name}{requirement.specifier}")
    return found


def _download(platform: str, folder: Path) -> list[str]:
    """Download the platform's wheels; return the pins that have no wheel for it."""
    missing = []
    with tempfile.TemporaryDirectory() as tmp:
        wanted = Path(tmp) / "pins.txt"
        wanted.write_text("\n".join(pins(platform)) + "\n", encoding="utf-8")
        try:
            _pip("download", "--no-deps", *_COMMON, *PLATFORMS[platform], "-d", str(folder),
                 "-r", str(wanted))
            return []
        except subprocess.CalledProcessError:
            pass  # some package has no wheel for the platform: find which, one by one
        for pin in pins(platform):
            try:
                _pip("download", "--no-deps", *_COMMON, *PLATFORMS[platform], "-d",
                     str(folder), pin)
            except subprocess.CalledProcessError:
                missing.append(pin)
    return missing


def _build_pure(pin: str, folder: Path) -> Path:
    """A wheel of a package published only as source; it must be pure Python."""
    before = set(folder.iterdir())
    _pip("wheel", "--no-deps", "--no-binary", ":all:", "-w", str(folder), pin)
    wheel = next(p for p in set(folder.iterdir()) - before if p.suffix == ".whl")
    if not wheel.name.endswith("-none-any.whl"):
        raise SystemExit(f"{pin} has no wheel for the target and is not pure Python: {wheel}")
    return wheel


def build_wheel(folder: Path) -> Path:
    """Build the xfaudit wheel into ``folder`` from a clean copy of the sources (setuptools
    would otherwise reuse a stale ``build/`` folder of the checkout)."""
    for old in folder.glob("xfaudit-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, source / name)
        shutil.copytree(ROOT / "xfaudit", source / "xfaudit",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _pip("wheel", "--no-deps", "-w", str(folder), str(source))
    return next(folder.glob("xfaudit-*.whl"))


def wheelhouse(folder: Path, platforms: list[str]) -> None:
    """Fill ``folder`` (see the module docstring) and report what had to be built."""
    folder.mkdir(parents=True, exist_ok=True)
    for platform in platforms:
        for pin in _download(platform, folder):
            print(f"{platform}: {pin} has no wheel; built {_build_pure(pin, folder).name}")
    build_wheel(folder)
    (folder / "constraints.txt").write_bytes(CONSTRAINTS.read_bytes())
    wheels = sorted(folder.glob("*.whl"))
    print(f"{folder}: {len(wheels)} wheels for {', '.join(platforms)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lock")
    w = sub.add_parser("wheelhouse")
    w.add_argument("folder", type=Path)
    w.add_argument("--platform", choices=["linux", "windows", "all"], default="all")
    args = parser.parse_args()
    if args.command == "lock":
        print(lock())
    else:
        wheelhouse(args.folder, ["linux", "windows"] if args.platform == "all"
                   else [args.platform])


if __name__ == "__main__":
    main()
