"""Deferred imports (xfaudit.deferred): a module named in an import statement is imported at
its first use, and behaves as the module itself from then on."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from xfaudit.deferred import DeferredModule, defer, is_deferred


@pytest.fixture
def toy_modules(tmp_path, monkeypatch):
    """A module and a package that count how often their bodies run (in ``ran.log``)."""
    log = tmp_path / "ran.log"
    (tmp_path / "xf_toy_mod.py").write_text(textwrap.dedent(f"""
        with open({str(log)!r}, "a") as f:
            f.write("mod\\n")
        ANSWER = 42
        def double(x):
            return 2 * x
        """), "utf-8")
    package = tmp_path / "xf_toy_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        f"with open({str(log)!r}, 'a') as f:\n    f.write('pkg\\n')\nNAME = 'pkg'\n", "utf-8")
    (package / "sub.py").write_text("VALUE = 'sub'\n", "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield lambda: log.read_text("utf-8").split() if log.exists() else []
    for name in ("xf_toy_mod", "xf_toy_pkg", "xf_toy_pkg.sub"):
        sys.modules.pop(name, None)


def test_an_import_statement_does_not_run_a_deferred_module(toy_modules):
    assert defer("xf_toy_mod") == ["xf_toy_mod"]
    import xf_toy_mod  # noqa: F401  (the statement alone)

    assert toy_modules() == []
    assert is_deferred("xf_toy_mod")
    from xf_toy_mod import ANSWER   # the first use: the module runs, once

    assert ANSWER == 42
    assert xf_toy_mod.double(21) == 42
    assert toy_modules() == ["mod"]
    assert not is_deferred("xf_toy_mod")
    assert type(sys.modules["xf_toy_mod"]) is not DeferredModule


def test_a_deferred_package_still_imports_its_submodules(toy_modules):
    defer("xf_toy_pkg")
    import xf_toy_pkg.sub

    assert xf_toy_pkg.sub.VALUE == "sub"
    assert xf_toy_pkg.NAME == "pkg"
    assert toy_modules() == ["pkg"]


def test_missing_or_imported_modules_are_not_deferred(toy_modules):
    import xf_toy_mod  # the real module, imported

    assert defer("xf_toy_mod", "xf_no_such_module", "xf_no_such_package.sub") == []
    assert sys.modules["xf_toy_mod"] is xf_toy_mod
    with pytest.raises(ImportError):
        import xf_no_such_module  # noqa: F401  (fails where it always did)


def test_threads_using_a_deferred_module_at_once_import_it_once(toy_modules):
    defer("xf_toy_mod")
    import xf_toy_mod

    start, results = threading.Barrier(8), []

    def use():
        start.wait()
        results.append(xf_toy_mod.double(2))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [4] * 8
    assert toy_modules() == ["mod"]


def test_great_expectations_imports_without_what_xfaudit_never_uses():
    """In a fresh interpreter: GX imported through xfaudit leaves scipy.stats, altair and
    jsonschema unimported through a whole audit; used afterwards, they are the real modules."""
    code = textwrap.dedent("""
        import sys
        from xfaudit import validate
        from xfaudit.deferred import is_deferred
        from xfaudit.audit import audit
        import tempfile
        from pathlib import Path
        from xfaudit.synth import generate, write

        validate._context()
        names = validate.GX_UNUSED_IMPORTS
        assert all(is_deferred(n) for n in names), [n for n in names if not is_deferred(n)]
        path = Path(tempfile.mkdtemp()) / "ledger.xlsx"
        write(generate(300, "2026-10", seed=5), path)
        result = audit(path, as_of="2026-10-31")
        assert result.findings is not None and len(result.findings) > 0
        assert all(is_deferred(n) for n in names), [n for n in names if not is_deferred(n)]
        assert "rfc3987_syntax" not in sys.modules

        from scipy import stats
        # 0.5*ln(0.5/0.9) + 0.5*ln(0.5/0.1) = 0.5108256...
        assert abs(stats.entropy([0.5, 0.5], [0.9, 0.1]) - 0.5108256237659907) < 1e-12
        import jsonschema
        jsonschema.validate({"a": 1}, {"type": "object"})
        import altair as alt
        assert alt.Chart.__name__ == "Chart"
        assert not any(is_deferred(n) for n in names)
        print("ok")
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "ok"
