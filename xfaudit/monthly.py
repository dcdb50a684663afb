"""The monthly audit run: notebook → ``reports/<period>/`` (the job behind ``xfaudit monthly``).

:func:`run_monthly_audit` executes ``notebooks/monthly_audit.ipynb`` with papermill (kernel
``xfaudit``) into a staging folder beside ``reports/<period>/``. The notebook's cells call
:class:`xfaudit.monthly_report.MonthlyReport`, which audits the extract and writes
``findings.xlsx``, ``indicators.csv``, ``charts/*.png``, ``summary.json``, ``validation.json``,
Great Expectations' Data Docs (``datadocs/``) and ``manifest.json`` into the staging folder,
and stages the registers it updates (the follow-up register, the findings history) in
``.registers/`` inside it. This module then exports ``report.html`` (no code, ``lang="zh"``,
charts embedded, no external URL), completes the manifest (timings of every step, file hashes)
and only then publishes: the staged registers replace those of ``<out_dir>/registers/`` and the
staging folder is swapped into place, together (:func:`publish_report`). A failure at any step
raises :class:`~xfaudit.errors.RunError` naming the step in Chinese (and the failing cell for
a notebook error) and leaves an earlier report of the same period and every register
untouched; the failed notebook is kept as ``reports/<period>.failed.ipynb`` for inspection.

Great Expectations is imported only in the notebook kernel: this module (the CLI's process)
needs papermill and nbconvert, never the audit engine.

The notebook also runs under plain papermill (``papermill notebooks/monthly_audit.ipynb
out.ipynb -p extract … -p period 2026-10``): then the notebook stages and publishes
``reports/<period>/`` itself, without ``report.html`` and without the executed notebook (which
papermill writes where it was told).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

from xfaudit import outdir
from xfaudit.errors import USER_OS_ERRNOS, OutputError, RunError, XfauditError
from xfaudit.writers.safe import strict_json

#: Kernel the notebooks run on (registered by ``make setup``).
KERNEL_NAME = "xfaudit"

#: The executed notebook and the HTML report inside ``reports/<period>/``.
NOTEBOOK_NAME = "monthly_audit.ipynb"
HTML_NAME = "report.html"
MANIFEST_NAME = "manifest.json"

#: Folder under the reports folder holding the registers all months share.
REGISTERS_DIR = "registers"
#: Folder inside a staging folder holding the registers until the run publishes.
STAGED_REGISTERS = ".registers"

#: Distributions whose versions go into the manifest.
VERSIONED = ("xfaudit", "pandas", "numpy", "great_expectations", "papermill", "nbconvert",
             "nbformat", "nbclient", "ipykernel", "matplotlib", "xlsxwriter", "openpyxl",
             "python-calamine", "chinesecalendar", "pyarrow", "python-docx", "xlrd")

# Chinese names of the run's steps (RunError.step).
STEP_PARAMETERS = "检查参数"
STEP_NOTEBOOK = "执行审计笔记本"
STEP_HTML = "导出网页报告"
STEP_MANIFEST = "写出运行记录"
STEP_PUBLISH = "发布报告"


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------

@dataclass
class MonthlyParameters:
    """The parameters of a monthly run (the notebook's ``parameters`` cell), normalised.

    Paths are kept as given by the user; :meth:`for_notebook` makes them absolute.
    """

    extract: str | list[str]             # one file, or the item table then secondary tables
    period: str
    as_of: str | None = None
    profile: str = "auto"
    holidays: list[str] = field(default_factory=list)
    waivers: str | None = None
    out_dir: str = "reports"
    mask_personal_data: bool = True
    seed: int = 0
    sheet: str | int | None = None
    mapping: str | None = None
    units: str | None = None
    config: str | None = None            # the bureau's configuration file (bureau.toml)

    @classmethod
    def from_values(cls, extract, period, *, as_of=None, profile="auto", holidays=None,
                    waivers=None, out_dir="reports", mask_personal_data=True, seed=0,
                    sheet=None, mapping=None, units=None, config=None) -> "MonthlyParameters":
        """Normalise user values (paths to text, one holiday file to a list, dates to ISO).

        Raises
        ------
        ConfigError
            A missing extract or period, a malformed period or as-of date.
        """
        from xfaudit.dates import parse_period
        from xfaudit.errors import ConfigError

        if extract is None or str(extract).strip() == "":
            raise ConfigError(None, "未指定台账文件（参数 extract）")
        if period is None or str(period).strip() == "":
            raise ConfigError(None, "未指定审计期间（参数 period，如 2026-10）")
        period = parse_period(period).label
        if isinstance(holidays, (str, Path)):
            holidays = [holidays]
        extract = ([str(p) for p in extract] if isinstance(extract, (list, tuple))
                   else str(extract))
        return cls(extract=extract, period=period, as_of=_iso_date(as_of),
                   profile=str(profile or "auto"), holidays=[str(h) for h in holidays or []],
                   waivers=str(waivers) if waivers else None, out_dir=str(out_dir or "reports"),
                   mask_personal_data=bool(mask_personal_data), seed=int(seed or 0),
                   sheet=sheet, mapping=str(mapping) if mapping else None,
                   units=str(units) if units else None, config=str(config) if config else None)

    @property
    def resolved_as_of(self) -> str:
        """The as-of date: as given, else the last day of the period."""
        from xfaudit.dates import parse_period

        return self.as_of or parse_period(self.period).last_day.date().isoformat()

    def to_dict(self) -> dict:
        return asdict(self)

    def for_notebook(self, stage_dir: Path) -> dict:
        """Papermill parameters: absolute paths, plus the staging folder to write into."""
        absolute = {k: (str(Path(v).resolve()) if v else v)
                    for k, v in (("waivers", self.waivers), ("out_dir", self.out_dir),
                                 ("units", self.units), ("config", self.config))}
        absolute["extract"] = ([str(Path(p).resolve()) for p in self.extract]
                               if isinstance(self.extract, list) else str(Path(self.extract).resolve()))
        if self.mapping and Path(self.mapping).is_file():   # else a built-in mapping's name
            absolute["mapping"] = str(Path(self.mapping).resolve())
        return {**self.to_dict(), **absolute,
                "holidays": [str(Path(h).resolve()) for h in self.holidays] or None,
                "stage_dir": str(stage_dir)}


def _iso_date(value) -> str | None:
    """The as-of date as ISO text (``None``: not given), read by
    :func:`xfaudit.dates.parse_as_of`."""
    from xfaudit.dates import parse_as_of

    if value is None or str(value).strip() == "":
        return None
    return parse_as_of(value).date().isoformat()


# ---------------------------------------------------------------------------------------------
# Provenance helpers (shared with the notebook side)
# ---------------------------------------------------------------------------------------------

def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run depends on."""
    versions = {"python": sys.version.split()[0]}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "未安装"
    return versions


def folder_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative POSIX path → hash), manifest and hidden
    entries (the staged registers) excluded."""
    return {p.relative_to(folder).as_posix(): file_sha256(p)
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST_NAME
            and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST_NAME
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def write_manifest(folder: Path, manifest: dict) -> Path:
    path = Path(folder) / MANIFEST_NAME
    path.write_text(strict_json(manifest) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Staging and the atomic swap
# ---------------------------------------------------------------------------------------------

def new_staging_dir(target: Path) -> Path:
    """An empty folder beside ``target`` (same file system, so the final move is a rename).

    Its name starts with a dot, so listings of the reports folder (and the trend) skip it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)  # mkdtemp makes it private; a published report is not
    return folder


@contextmanager
def staging(target: Path):
    """A staging folder for ``target`` that is removed on exit (after a swap it holds the
    previous report, or nothing)."""
    folder = new_staging_dir(target)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux ``renameat2(RENAME_EXCHANGE)``; False if the
    system cannot (other OS, old kernel, file system without support)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def replace_dir(staged: Path, target: Path) -> None:
    """Put the folder ``staged`` at ``target``, replacing any earlier folder there.

    Readers never see half a report: a new target is one rename; an existing one is swapped
    atomically where the system allows (Linux ``renameat2``), otherwise moved aside, replaced
    and removed (restored if the second rename fails). Afterwards ``staged`` holds the
    earlier report (after a swap) or no longer exists; the caller removes it.
    """
    staged, target = Path(staged), Path(target)
    if not target.exists():
        os.replace(staged, target)
        return
    if _exchange(staged, target):
        return
    aside = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(target, aside)
    try:
        os.replace(staged, target)
    except BaseException:
        os.replace(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def publish_report(staged: Path, target: Path, registers_dir: Path) -> None:
    """Publish a staged report folder and the registers staged in it, together.

    The registers in ``staged/.registers/`` replace those of ``registers_dir`` (each file by an
    atomic rename, all or nothing), then the report folder is swapped in
    (:func:`replace_dir`); if the swap fails the registers are put back. So a run that fails
    at any step — or is killed before this one — leaves the registers byte for byte as they
    were. Call it while holding the reports folder's lock.
    """
    staged, registers_dir = Path(staged), Path(registers_dir)
    held = staged / STAGED_REGISTERS
    pairs = ({registers_dir / p.name: p for p in sorted(held.iterdir()) if p.is_file()}
             if held.is_dir() else {})
    undo = outdir.replace_files(pairs)
    try:
        shutil.rmtree(held, ignore_errors=True)
        replace_dir(staged, target)
    except BaseException:
        outdir.restore(undo)
        raise
    outdir.discard(undo)


# ---------------------------------------------------------------------------------------------
# The notebook, its kernel, progress
# ---------------------------------------------------------------------------------------------

def default_notebook() -> Path:
    """The monthly notebook shipped in the package (``xfaudit/data/notebooks/``, identical to
    the repository's ``notebooks/monthly_audit.ipynb``; see :mod:`xfaudit.resources`)."""
    from xfaudit.resources import packaged

    return packaged("notebooks", NOTEBOOK_NAME)


def ensure_kernel(name: str = KERNEL_NAME, say: Callable[[str], None] = lambda _t: None) -> None:
    """Register the Jupyter kernel ``name`` for this interpreter if it is missing (what
    ``make setup`` does: ``ipykernel install --sys-prefix``)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
        return
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    say(f"注册 Jupyter 内核 {name}（{sys.prefix}）…")
    install(kernel_name=name, display_name="Python (xfaudit)", prefix=sys.prefix)


def _cell_titles(notebook) -> dict[int, str]:
    """Cell index → title of the section it belongs to (the last ``##`` heading above)."""
    titles, current = {}, "读取台账并审计"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines()
                            if line.startswith("## ")), None)
            current = heading or current
        titles[index] = current
    return titles


def _progress_engine(say: Callable[[str], None]):
    """A papermill engine that reports each new section of the notebook in Chinese."""
    from papermill.engines import NBClientEngine

    class ProgressEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            titles = _cell_titles(nb_man.nb)
            total = len(nb_man.nb.cells)
            start = nb_man.cell_start
            shown = set()

            def cell_start(cell, cell_index=None, **kw):
                title = titles.get(cell_index)
                if cell.cell_type == "code" and title and title not in shown:
                    shown.add(title)
                    say(f"  [{cell_index + 1}/{total}] {title}")
                return start(cell, cell_index, **kw)

            nb_man.cell_start = cell_start
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    return ProgressEngine


#: Longest Unix socket path (``sun_path`` holds 108 bytes on Linux, 104 on macOS; jupyter_client
#: appends ``-<n>`` per channel).
_MAX_SOCKET_PATH = 100


def ipc_socket_base() -> str | None:
    """The base path of the kernel's Unix sockets in Jupyter's runtime folder (private to the
    user), or None where Unix sockets cannot be used: on Windows, or when the folder's path
    is too long for a socket address (a deep home folder)."""
    if sys.platform == "win32":
        return None
    from jupyter_core.paths import jupyter_runtime_dir

    base = str(Path(jupyter_runtime_dir()) / f"xfaudit-{uuid.uuid4().hex[:12]}-ipc")
    return base if len(os.fsencode(base)) + 3 <= _MAX_SOCKET_PATH else None


def _ipc_kernel_manager():
    """A kernel manager talking to the kernel over Unix sockets in Jupyter's runtime folder
    (not over TCP in plain text, which ipykernel warns about on every start); over TCP on
    127.0.0.1, Jupyter's default, where Unix sockets cannot be used (:func:`ipc_socket_base`).

    The kernel's own standard output and error (outside any cell: what cells print reaches
    the notebook through Jupyter's messages) go nowhere: when the run is interrupted (Ctrl-C)
    or fails, the kernel is shut down while it works, and its English tracebacks
    (``ZMQError: Socket operation on non-socket``, "Parent appears to have exited") would
    otherwise land on the user's terminal after the run's one Chinese line."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    base = ipc_socket_base()

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc" if base else "tcp"

        @default("ip")
        def _default_ip(self):
            if not base:
                return "127.0.0.1"
            Path(base).parent.mkdir(parents=True, exist_ok=True)
            return base

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


def execute_notebook(notebook: Path, output: Path, parameters: dict,
                     say: Callable[[str], None]) -> None:
    """Run the notebook with papermill on the ``xfaudit`` kernel, reporting progress."""
    import papermill
    from papermill.engines import papermill_engines

    papermill_engines.register("xfaudit-progress", _progress_engine(say))
    with _quiet_loggers(NOTEBOOK_LOGGERS):
        papermill.execute_notebook(str(notebook), str(output), parameters=parameters,
                                   kernel_name=KERNEL_NAME, engine_name="xfaudit-progress",
                                   progress_bar=False, log_output=False,
                                   kernel_manager_class=_ipc_kernel_manager())


#: Loggers that write English lines to the terminal while the notebook runs (papermill's,
#: through which nbclient logs, e.g. "Kernel died while waiting for execute reply." when a
#: Ctrl-C shuts the kernel down mid-cell). Every failure is reported in Chinese (RunError).
NOTEBOOK_LOGGERS = ("papermill", "traitlets", "nbclient")


@contextmanager
def _quiet_loggers(names):
    """Only critical messages from these loggers while the block runs."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


# ---------------------------------------------------------------------------------------------
# HTML export
# ---------------------------------------------------------------------------------------------

#: nbconvert template: JupyterLab's, minus everything it would load from the network
#: (require.js, MathJax, Mermaid, widget manager), plus the report's own CSS (fonts, table
#: alignment, A4 print rules: :data:`xfaudit.report_page.PAGE_CSS`) after JupyterLab's, and
#: images with their Chinese alt text (``Chart`` puts it in the output's metadata).
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style type="text/css">
@@PAGE_CSS@@
</style>
{%- endblock html_head_css -%}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ output | get_metadata('alt', 'image/png') | default('图表', true) | escape_html }}">
</div>
{%- endblock data_png %}
"""

_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def _strip_css_comments(page: str) -> str:
    """Drop comments from inline styles (JupyterLab's CSS credits its sources by URL)."""
    return _STYLE.sub(lambda m: m.group(1) + _CSS_COMMENT.sub("", m.group(2)) + m.group(3),
                      page)


def export_html(notebook: str | Path, html_path: str | Path, title: str) -> Path:
    """Write an executed notebook as a self-contained HTML page.

    Code cells and prompts are hidden; the page is ``lang="zh"``; images are embedded as data
    URIs; nothing is loaded from the network (:data:`OFFLINE_TEMPLATE` drops require.js,
    MathJax, Mermaid and the widget manager, which the default template takes from a CDN), so
    the page renders on an offline intranet.
    """
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    from xfaudit.report_page import PAGE_CSS

    nb = nbformat.read(str(notebook), as_version=4)
    template = OFFLINE_TEMPLATE.replace("@@PAGE_CSS@@", PAGE_CSS)
    exporter = HTMLExporter(
        extra_loaders=[DictLoader({"xfaudit_offline.html.j2": template})],
        template_file="xfaudit_offline.html.j2", exclude_input=True,
        exclude_input_prompt=True, exclude_output_prompt=True, mathjax_url="",
        require_js_url="", language_code="zh")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    path = Path(html_path)
    path.write_text(_strip_css_comments(body), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

@dataclass
class MonthlyOutput:
    """What :func:`run_monthly_audit` produced.

    Attributes
    ----------
    folder : Path
        ``reports/<period>/``.
    paths : dict
        ``html``, ``notebook``, ``workbook``, ``manifest``, ``summary``, ``validation``,
        ``data_docs`` (the Data Docs' index.html), ``indicators``, ``charts`` (folder) → path.
    manifest : dict
        The run record as written to ``manifest.json``.
    """

    folder: Path
    paths: dict[str, Path]
    manifest: dict

    @property
    def html(self) -> Path:
        return self.paths["html"]


def _failed(step: str, exc: BaseException, path: Path | None = None) -> RunError:
    """The RunError for a failed step: an XfauditError's Chinese message as the detail, or
    for a file-system error the user can fix (full disk, no permission) its Chinese reason."""
    if isinstance(exc, RunError):
        return exc
    if isinstance(exc, OSError) and not isinstance(exc, XfauditError) \
            and exc.errno in USER_OS_ERRNOS:
        exc = OutputError.from_os_error(path or "", exc)
    detail = str(exc) if isinstance(exc, XfauditError) else f"{type(exc).__name__}：{exc}"
    return RunError(step=step, detail=detail.rstrip("。"))


def _extract_list(extract) -> list:
    """The extract files as a list: one file, or the item table and the tables joined to it."""
    return list(extract) if isinstance(extract, list) else [extract]


def _check_inputs(params: MonthlyParameters, notebook: Path) -> None:
    from xfaudit.errors import ConfigError

    extracts = _extract_list(params.extract)
    for label, path in [*[("台账文件", e) for e in extracts],
                        *[("节假日文件", h) for h in params.holidays],
                        ("豁免登记册", params.waivers), ("单位名录", params.units),
                        ("本局配置文件", params.config)]:
        if path and not Path(path).is_file():
            raise ConfigError(path, f"{label}不存在：{path}")
    if params.mapping:
        from xfaudit.mapping import read_mapping_spec

        read_mapping_spec(params.mapping)     # a missing or malformed mapping stops here
    if params.config:
        from xfaudit.config import load_config

        load_config(params.config)            # a missing file or a misspelt key stops here
    if not notebook.is_file():
        raise ConfigError(notebook, f"找不到审计笔记本 {notebook}")


def _run_notebook(notebook: Path, staged: Path, params: MonthlyParameters, target: Path,
                  say: Callable[[str], None]) -> None:
    """Execute; on a cell error keep the executed notebook beside the target and raise."""
    from papermill.exceptions import PapermillExecutionError

    output = staged / NOTEBOOK_NAME
    try:
        execute_notebook(notebook, output, params.for_notebook(staged), say)
    except PapermillExecutionError as exc:
        kept = target.with_name(f"{target.name}.failed.ipynb")
        if output.is_file():
            shutil.copyfile(output, kept)
        error = f"{exc.ename}：{_first_line(exc.evalue)}（执行序号 In [{exc.exec_count}]）"
        raise RunError(step=STEP_NOTEBOOK, cell_index=exc.cell_index,
                       detail=error + (f"；执行记录已保存到 {kept}" if kept.is_file() else "")
                       ) from exc
    except Exception as exc:
        raise _failed(STEP_NOTEBOOK, exc, staged) from exc


def mark_notebook(path: Path, notice: str) -> None:
    """Put ``notice`` (the confidentiality marking of an unmasked run) in a markdown cell at
    the top of an executed notebook, so that it is the first line of the notebook and of the
    HTML page exported from it."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"**{notice}**"))
    nbformat.write(nb, str(path))


def _first_line(text: str) -> str:
    text = str(text).strip()
    return text.splitlines()[0] if text else ""


def run_monthly_audit(extract, period, *, out_dir="reports", as_of=None, profile="auto",
                      holidays=None, waivers=None, mask_personal_data=True, seed=0,
                      sheet=None, mapping=None, units=None, config=None, notebook=None,
                      progress: Callable[[str], None] | None = None) -> MonthlyOutput:
    """Run the monthly audit of one extract and write ``<out_dir>/<period>/``.

    Parameters
    ----------
    extract : path, or a list of paths
        The ledger exported from the petition system (.xlsx / .xls / .csv); a list gives the
        item table first, then secondary tables joined on 信访件编号 (see
        :func:`xfaudit.load.load_extract`).
    period : str
        The audited month, ``YYYY-MM``.
    out_dir : path
        The reports folder; the run writes ``<out_dir>/<period>/`` and reads earlier months
        there for the trend.
    as_of : date-like, optional
        Audit date (default: the last day of the period).
    profile : str
        Rule profile: ``auto`` (default), a built-in name, or a profile TOML path.
    holidays : path or list of paths, optional
        Holiday files for years beyond the built-in table.
    waivers : path, optional
        The waiver register (正当理由登记, .xlsx). Recorded in the manifest with its SHA-256
        and applied through :func:`xfaudit.waivers.apply_waivers` when the library has it:
        covered findings are marked waived, never removed.
    mask_personal_data : bool
        Mask petitioners' names, phones and id numbers in every output (default True).
    seed : int
        Random seed of any sample the report draws (recorded in the manifest).
    sheet, mapping, units : optional
        As for :func:`xfaudit.load.load_extract` (``units``: the unit register, 单位名录).
    config : path, optional
        The bureau's configuration (``bureau.toml``, written by ``xfaudit init``): the issuer
        of the letters and the overrides of the accountability settings. Without it the run
        audits and reports, says how to set the bureau up, and drafts no letter.
    notebook : path, optional
        Another report notebook with the same parameters (default
        ``notebooks/monthly_audit.ipynb``).
    progress : callable, optional
        Receives short Chinese progress lines.

    Returns
    -------
    MonthlyOutput

    Raises
    ------
    RunError
        A step failed (its Chinese name is in ``step``; ``cell_index`` is papermill's index of
        the failing cell in the executed notebook, counting from 0 and including the injected
        parameters cell). The earlier report of the period is untouched. A reports folder
        that cannot be written (a file in the way, no permission, a read-only or full disk)
        stops the run at the parameter step, before the notebook starts.
    FolderLockedError
        Another run holds the reports folder (:mod:`xfaudit.outdir`): runs on one folder never
        overlap, so the follow-up register all months share is read and written by one run
        at a time. Staging folders left by killed runs are removed once the lock is held.
    """
    say = progress or (lambda _text: None)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    notebook = Path(notebook) if notebook else default_notebook()
    try:
        params = MonthlyParameters.from_values(
            extract, period, as_of=as_of, profile=profile, holidays=holidays, waivers=waivers,
            out_dir=out_dir, mask_personal_data=mask_personal_data, seed=seed, sheet=sheet,
            mapping=mapping, units=units, config=config)
        _check_inputs(params, notebook)
        outdir.prepare(params.out_dir)
        ensure_kernel(say=say)
    except Exception as exc:
        raise _failed(STEP_PARAMETERS, exc) from exc
    extracts = _extract_list(params.extract)
    say(f"月度审计 {params.period}（审计日 {params.resolved_as_of}）：{'、'.join(map(str, extracts))}")
    command = (f"xfaudit monthly {' '.join(Path(e).name for e in extracts)}"
               f" --period {params.period}")
    with outdir.FolderLock(params.out_dir, command=command):
        outdir.sweep(params.out_dir)
        return _run_locked(notebook, params, timings, started, say)


def _run_locked(notebook: Path, params: MonthlyParameters, timings: dict, started: float,
                say: Callable[[str], None]) -> MonthlyOutput:
    """The run proper, while this process holds the lock of the reports folder (the notebook's
    kernel reads and writes the follow-up register under it)."""
    target = Path(params.out_dir) / params.period
    with staging(target) as staged:
        step = time.perf_counter()
        say("执行审计笔记本…")
        _run_notebook(notebook, staged, params, target, say)
        timings["execute_notebook"] = time.perf_counter() - step
        step = time.perf_counter()
        say("导出网页报告…")
        try:
            if not params.mask_personal_data:
                from xfaudit.privacy import UNMASKED_NOTICE

                mark_notebook(staged / NOTEBOOK_NAME, UNMASKED_NOTICE)
            export_html(staged / NOTEBOOK_NAME, staged / HTML_NAME,
                        f"信访事项办理情况月度审计报告（{params.period}）")
        except Exception as exc:
            raise _failed(STEP_HTML, exc, staged) from exc
        timings["export_html"] = time.perf_counter() - step
        try:
            manifest = _complete_manifest(staged, params, timings, started)
        except Exception as exc:
            raise _failed(STEP_MANIFEST, exc, staged) from exc
        say("发布报告…")
        try:
            publish_report(staged, target, Path(params.out_dir) / REGISTERS_DIR)
        except Exception as exc:
            raise _failed(STEP_PUBLISH, exc, target) from exc
    target.with_name(f"{target.name}.failed.ipynb").unlink(missing_ok=True)
    paths = {"html": target / HTML_NAME, "notebook": target / NOTEBOOK_NAME,
             "workbook": target / "findings.xlsx", "manifest": target / MANIFEST_NAME,
             "summary": target / "summary.json", "validation": target / "validation.json",
             "data_docs": target / "datadocs" / "index.html",
             "indicators": target / "indicators.csv", "charts": target / "charts"}
    say(f"报告已生成：{target / HTML_NAME}")
    return MonthlyOutput(folder=target, paths=paths, manifest=manifest)


def _complete_manifest(staged: Path, params: MonthlyParameters, timings: dict,
                       started: float) -> dict:
    """Add the driver's steps, the parameters as the user gave them and every file's hash."""
    manifest = read_manifest(staged)
    if not manifest:
        raise RunError(step=STEP_MANIFEST, detail="笔记本未写出 manifest.json（最后一个单元格未执行？）")
    manifest["invocation"] = "xfaudit monthly"
    manifest["parameters"] = params.to_dict()
    manifest.setdefault("timings", {}).update(timings)
    manifest["timings"]["total"] = time.perf_counter() - started
    manifest["files"] = folder_hashes(staged)
    write_manifest(staged, manifest)
    return manifest
