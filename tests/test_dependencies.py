"""Reproducible installs: every dependency pinned in constraints.txt, upper bounds where xfaudit
relies on a library's internals, the package data equal to the checked-in copies, and a real
(non-editable) install of the wheel that runs the monthly audit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from xfaudit import resources, validate
from xfaudit.errors import DependencyError

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
CONSTRAINTS = ROOT / "constraints.txt"

#: Libraries whose internals or data xfaudit relies on, and the range it was checked against.
CHECKED = {"great-expectations": ("1.24", "1.25"),   # validate._forget, ProgressBarsConfig
           "xlsxwriter": ("3.2", "3.4"),             # writers/fastxlsx.py edits its XML
           "chinesecalendar": ("1.11", "1.12")}      # decides which days are working days


def requirements() -> dict[str, Requirement]:
    return {canonicalize_name(Requirement(r).name): Requirement(r)
            for r in PYPROJECT["project"]["dependencies"]}


def pins() -> dict[str, tuple[str, Requirement]]:
    """constraints.txt: name → (pinned version, requirement line) of lines for this platform."""
    found = {}
    for line in CONSTRAINTS.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", line
            if requirement.marker is None or requirement.marker.evaluate():
                found[canonicalize_name(requirement.name)] = (spec.version, requirement)
    return found


def installed_closure() -> dict[str, str]:
    """name → installed version of xfaudit[test]'s dependencies, transitive ones included
    (markers evaluated for this interpreter)."""
    env = default_environment()
    seen: dict[str, str] = {}
    queue = [(r, {""}) for r in PYPROJECT["project"]["dependencies"]]
    queue += [(r, {"test"}) for r in PYPROJECT["project"]["optional-dependencies"]["test"]]
    while queue:
        text, extras = queue.pop()
        requirement = Requirement(text)
        if requirement.marker and not any(requirement.marker.evaluate({**env, "extra": e})
                                          for e in extras | {""}):
            continue
        key = canonicalize_name(requirement.name)
        if key in seen:
            continue
        dist = metadata.distribution(requirement.name)
        seen[key] = dist.version
        queue += [(r, set(requirement.extras) | {""}) for r in dist.requires or []]
    return seen


@pytest.mark.parametrize("name", sorted(CHECKED))
def test_libraries_whose_internals_we_use_are_bounded_to_the_checked_range(name):
    low, high = CHECKED[name]
    specifier = requirements()[name].specifier
    assert {(s.operator, s.version) for s in specifier} == {(">=", low), ("<", high)}, (
        f"pyproject.toml must bound {name} to the range xfaudit was checked against")
    installed = metadata.version(name)
    assert specifier.contains(installed), (
        f"{name} {installed} is installed, outside {specifier}: check xfaudit against it, "
        "then move the bound and this test together")


def test_validate_checks_the_same_gx_range_as_pyproject():
    low, high = CHECKED["great-expectations"]
    as_tuple = lambda text: tuple(int(p) for p in text.split("."))  # noqa: E731
    assert validate.GX_CHECKED == (as_tuple(low), as_tuple(high))
    validate.check_gx_version(metadata.version("great-expectations"))


@pytest.mark.parametrize("version", ["1.23.9", "1.25.0", "2.0.0", "dev"])
def test_an_unchecked_gx_is_refused_with_a_clear_message(version):
    with pytest.raises(DependencyError) as info:
        validate.check_gx_version(version)
    assert str(info.value) == (f"已安装的 great-expectations {version} 未经本版本 xfaudit 验证"
                               "（支持 1.24.x）。请按 README 用 constraints.txt 重新安装依赖。")


def test_forget_says_so_when_gx_moved_its_batch_manager():
    class Moved:  # a batch whose engine no longer has `batch_manager`
        id = "x"
        data = type("Data", (), {"execution_engine": object()})()
    with pytest.raises(DependencyError, match="batch_manager 已变化"):
        validate._forget(Moved())


def test_fingerprint_switch_says_so_when_gx_moved_its_threshold(monkeypatch):
    from great_expectations.execution_engine import pandas_execution_engine as engine

    monkeypatch.delattr(engine, "HASH_THRESHOLD")
    with pytest.raises(DependencyError, match="HASH_THRESHOLD 已变化"):
        with validate._without_batch_fingerprints():
            pass


def test_configuration_memo_says_so_when_gx_changed_the_property(monkeypatch):
    from great_expectations.expectations.expectation import Expectation

    monkeypatch.setattr(Expectation, "configuration", None)
    with pytest.raises(DependencyError, match="Expectation.configuration 已变化"):
        with validate._configurations_built_once():
            pass


def test_every_dependency_is_pinned_at_the_installed_version():
    pinned = pins()
    closure = installed_closure()
    unpinned = sorted(set(closure) - set(pinned))
    assert unpinned == [], f"not in constraints.txt (run `make lock`): {unpinned}"
    drift = {name: (pinned[name][0], version) for name, version in closure.items()
             if pinned[name][0] != version}
    assert drift == {}, f"constraints.txt differs from the installed versions: {drift}"
    for name, requirement in requirements().items():
        assert requirement.specifier.contains(pinned[name][0]), (name, pinned[name][0])


def test_the_test_extra_installs_the_spark_and_sql_extras():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(extras["spark"]) | set(extras["sql"]) <= set(extras["test"])


def test_windows_only_and_linux_only_pins_are_marked():
    text = CONSTRAINTS.read_text("utf-8")
    # pexpect is needed by IPython everywhere but Windows; colorama only on Windows
    assert 'pexpect==' in text and 'sys_platform != "win32"' in text.split("pexpect==")[1]
    assert 'colorama==' in text and 'sys_platform == "win32"' in text.split("colorama==")[1]


def test_the_makefile_installs_with_the_constraints():
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert "LOCK    := constraints.txt" in makefile
    assert "pip install -q -c $(LOCK) -e '.[test]'" in makefile


# -- package data -------------------------------------------------------------------------------

def test_packaged_notebooks_and_suites_equal_the_checked_in_copies():
    assert resources.source_root() == ROOT
    assert resources.differences(ROOT) == [], "run `make package-data`"
    assert sorted(p.name for p in resources.packaged("notebooks").glob("*.ipynb")) == [
        "explore.ipynb", "monthly_audit.ipynb"]


def test_the_monthly_run_and_the_suites_use_the_package_data():
    from xfaudit import monthly, suites

    assert monthly.default_notebook() == resources.packaged("notebooks", "monthly_audit.ipynb")
    assert monthly.default_notebook().is_file()
    assert suites.EXPECTATIONS_DIR == resources.packaged("expectations")
    assert "xfaudit" in monthly.default_notebook().parts


def test_sync_copies_top_level_files_into_the_package(tmp_path, monkeypatch):
    for folder in resources.COPIED:
        shutil.copytree(ROOT / folder, tmp_path / "top" / folder)
        shutil.copytree(resources.packaged(folder), tmp_path / "pkg" / folder)
    monkeypatch.setattr(resources, "packaged", lambda *parts: tmp_path.joinpath("pkg", *parts))
    (tmp_path / "top" / "notebooks" / "explore.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "pkg" / "expectations" / "stale.json").write_text("{}", encoding="utf-8")
    assert resources.differences(tmp_path / "top") == ["notebooks/explore.ipynb",
                                                       "expectations/stale.json"]
    resources.sync(tmp_path / "top")
    assert resources.differences(tmp_path / "top") == []


# -- a real install ---------------------------------------------------------------------------

def _run(*command, cwd=None, env=None, timeout=600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_runs_the_monthly_audit(tmp_path):
    """Build the wheel, install it (not editable) with its pinned dependencies into a new
    venv from local wheels only, and run `xfaudit monthly` from a folder outside the repo."""
    python = sys.executable
    # the wheelhouse `make wheelhouse` builds (Linux part), kept between runs
    wheelhouse = Path(os.environ.get("XFAUDIT_WHEELHOUSE", ROOT / "wheelhouse"))
    _run(python, ROOT / ".ci" / "deps.py", "wheelhouse", wheelhouse, "--platform", "linux",
         timeout=900)
    wheel = next(wheelhouse.glob("xfaudit-*.whl"))
    venv = tmp_path / "venv"
    _run(python, "-m", "venv", venv)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run(bin_dir / "python", "-m", "pip", "install", "-q", "--no-index", "--no-compile",
         "--find-links", wheelhouse, "-c", wheelhouse / "constraints.txt", wheel, env=env)
    elsewhere, home = tmp_path / "office", tmp_path / "home"
    elsewhere.mkdir()
    home.mkdir()  # a new user: no Jupyter kernel registered, a deep home folder
    shutil.copy(ROOT / "tests" / "files" / "sample_2026-10.xlsx", elsewhere / "台账.xlsx")
    shutil.copy(ROOT / "tests" / "files" / "sample_bureau.toml", elsewhere / "bureau.toml")
    where = _run(bin_dir / "python", "-c", "import xfaudit, sys; print(xfaudit.__file__)",
                 cwd=elsewhere, env=env).stdout
    assert str(venv) in where and str(ROOT) not in where  # the installed copy, not the repo
    done = _run(bin_dir / "xfaudit", "monthly", "台账.xlsx", "--period", "2026-10", "--out",
                "reports", "--config", "bureau.toml", cwd=elsewhere,
                env={**env, "HOME": str(home)})
    assert "报告已生成" in done.stdout
    # every folder it names as the user typed it (relative to where the command ran)
    assert "报告目录：reports/2026-10" in done.stdout
    assert f"登记册：{Path('reports') / 'registers'}" in done.stdout
    folder = elsewhere / "reports" / "2026-10"
    for name in ("report.html", "findings.xlsx", "manifest.json", "回访抽查.xlsx"):
        assert (folder / name).is_file(), name
    assert "注册 Jupyter 内核" in done.stdout  # the fresh venv had no kernel: registered
