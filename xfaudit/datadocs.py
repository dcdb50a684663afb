"""Great Expectations Data Docs as a static site that works on an offline intranet.

:func:`build_data_docs` has GX build its own Data Docs — an index page, a page per suite and a
page per validation result, rendered by GX's site builder from the audit's
``ExpectationSuiteValidationResult``\\ s — into a folder (the monthly run uses
``reports/<period>/datadocs/``), then makes the site offline:

- GX's pages load Bootstrap, bootstrap-table, bootstrap-datepicker, bootstrap-dark, jQuery,
  Popper and Font Awesome from public CDNs, and its logo from a public bucket: every such
  reference is pointed at the copies vendored in ``xfaudit/data/datadocs/vendor`` (their
  licenses and hashes are in ``VENDORED.md`` there), copied into the site's
  ``static/vendor/``;
- the vega scripts (charts, which xfaudit's expectations never render) are removed, and so
  are the links to GX's website (an anchor keeps its text, loses its address);
- every reference to the site's ``static/`` folder is made relative to the page's depth
  (GX's validation pages climb one level too few to the favicon);
- the pages are marked ``lang="zh"`` with Chinese system fonts first, so the Chinese
  descriptions of the checks render with a Chinese font.

The rewriting depends on GX's page templates: any external address it does not know is
removed rather than left to fail offline, and ``tests/test_datadocs.py`` fails if that
happened (a GX upgrade that changes its CDN links must update :data:`CDN_FILES`).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
from importlib import resources
from pathlib import Path

#: The CDN files GX's page templates load → the vendored copy (under ``static/vendor/``).
CDN_FILES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "bootstrap-4.3.1/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "bootstrap-4.3.1/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table-1.19.1/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "bootstrap-table-1.19.1/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css":
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js":
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css":
        "bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        "popper.js-1.12.9/popper.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "fontawesome-free-6.6.0/css/all.min.css",
}

#: Scripts dropped from the pages (vega renders charts; no xfaudit expectation has one).
DROPPED_SCRIPTS = ("https://cdn.jsdelivr.net/npm/vega@5", "https://cdn.jsdelivr.net/npm/vega-lite@5",
                   "https://cdn.jsdelivr.net/npm/vega-embed@6")

#: GX's logos in its public bucket → the copy GX itself ships in the site's static/images.
_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/"
                   r"[A-Za-z_-]+\.png(\?[^\"')\s]*)?")
LOCAL_LOGO = "static/images/logo-long.png"

#: Fonts for the Chinese text (descriptions, notes), ahead of GX's own font.
CJK_STYLE = ('<style>body, .ge-breadcrumbs, td, th { font-family: "Noto Sans CJK SC", '
             '"Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", '
             '"HK Grotesk", sans-serif; }</style>')

_EXTERNAL_ATTR = re.compile(r"""\s(href|src)\s*=\s*(["'])https?://[^"']*\2""", re.I)
_EXTERNAL_URL = re.compile(r"""url\(\s*(["']?)https?://[^)]*\)""", re.I)
_NEWSLETTER = re.compile(r"<footer>\s*<p>Stay current on everything GX.*?</footer>", re.S)
_STATIC = re.compile(r"""(\s(?:href|src)\s*=\s*)(["'])(?:\.\./)*static/""", re.I)
_SRI = re.compile(r"""\s(integrity|crossorigin)\s*=\s*(["'])[^"']*\2""", re.I)


def vendor_dir():
    """The vendored files (a Traversable inside the installed package)."""
    return resources.files("xfaudit.data").joinpath("datadocs", "vendor")


def build_data_docs(validation, suites: dict[str, dict], folder: str | Path, *,
                    title: str, run_name: str, run_time: dt.datetime | None = None) -> Path:
    """Build GX's Data Docs of one audit into ``folder`` and make them work offline.

    Parameters
    ----------
    validation : Validation
        ``AuditResult.validation`` (GX's results per suite).
    suites : dict
        Frame name → suite dict, as run (``suites.suite_dicts(profiles)``).
    folder : path
        Where the site goes (created; an earlier site there is replaced).
    title : str
        The site's name in the pages' header (e.g. ``信访事项月度审计 2026-10``).
    run_name : str
        The run's name on the pages (e.g. the as-of date ``2026-10-31``).
    run_time : datetime, optional
        The run's time (default: now).

    Returns
    -------
    Path
        The site's ``index.html``.
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier, ValidationResultIdentifier)

    from xfaudit.validate import context

    folder = Path(folder).resolve()   # GX wants an absolute site folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    ctx = context()
    site = title
    if site in ctx.list_data_docs_sites():   # left by an interrupted build
        ctx.delete_data_docs_site(site)
    run_id = RunIdentifier(run_name=run_name, run_time=run_time or dt.datetime.now())
    added_suites, keys = [], []
    ctx.add_data_docs_site(site, {
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(folder)},
        # no "how to" tutorial buttons: they link to GX's website
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder",
                               "show_how_to_buttons": False}})
    try:
        for frame, spec in suites.items():
            result = validation.results.get(spec["name"])
            if result is None:
                continue
            result = copy.copy(result)
            result.meta = {**result.meta, "run_id": run_id.to_json_dict()}
            added_suites.append(ctx.suites.add_or_update(gx.ExpectationSuite(**spec)).name)
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=spec["name"]),
                run_id=run_id, batch_identifier=frame)
            ctx.validation_results_store.set(key, result)
            keys.append(key)
        ctx.build_data_docs(site_names=[site])
    finally:
        ctx.delete_data_docs_site(site)
        for key in keys:
            ctx.validation_results_store.remove_key(key)
        for name in added_suites:
            ctx.suites.delete(name)
    make_offline(folder)
    return folder / "index.html"


def make_offline(folder: Path) -> list[str]:
    """Point a built site at the vendored files and drop what would reach the network.

    Returns the external addresses that were removed without a local copy (anchors to GX's
    website are expected; anything else means GX's templates changed).
    """
    folder = Path(folder)
    _copy_vendor(folder / "static" / "vendor")
    removed: list[str] = []
    for page in sorted(folder.rglob("*.html")):
        depth = len(page.relative_to(folder).parts) - 1
        text = _offline_page(page.read_text(encoding="utf-8"), "../" * depth, removed)
        page.write_text(text, encoding="utf-8")
    for sheet in sorted((folder / "static" / "styles").glob("*.css")):
        text = _LOGO.sub("../images/logo-long.png", sheet.read_text(encoding="utf-8"))
        sheet.write_text(_strip_external(text, removed), encoding="utf-8")
    _prune_images(folder)
    return removed


def _copy_vendor(target: Path) -> None:
    source = vendor_dir()
    with resources.as_file(source) as path:
        shutil.copytree(path, target, dirs_exist_ok=True)


def _offline_page(text: str, prefix: str, removed: list[str]) -> str:
    for url in DROPPED_SCRIPTS:
        text = text.replace(f'<script src="{url}"></script>', "")
    for url, local in CDN_FILES.items():
        text = text.replace(f'"{url}"', f'"{prefix}static/vendor/{local}"')
    text = _SRI.sub("", text)
    text = _LOGO.sub(prefix + LOCAL_LOGO, text)
    # GX's validation pages climb one level too few to static/images/favicon.ico
    text = _STATIC.sub(lambda m: f"{m.group(1)}{m.group(2)}{prefix}static/", text)
    text = _NEWSLETTER.sub("", text)
    text = text.replace("<html>", '<html lang="zh">', 1)
    text = text.replace("</head>", CJK_STYLE + "</head>", 1)
    return _strip_external(text, removed)


def _strip_external(text: str, removed: list[str]) -> str:
    """Remove any address still pointing outside (an anchor keeps its text)."""
    def drop(match):
        removed.append(match.group(0).strip())
        return ""

    text = _EXTERNAL_ATTR.sub(drop, text)
    return _EXTERNAL_URL.sub(lambda m: drop(m) or "none", text)


def _prune_images(folder: Path) -> None:
    """Keep only the images the pages and styles use (GX copies its whole image folder)."""
    images = folder / "static" / "images"
    if not images.is_dir():
        return
    used = "".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.html"))
    used += "".join(p.read_text(encoding="utf-8")
                    for p in (folder / "static" / "styles").glob("*.css"))
    for image in images.iterdir():
        if image.is_file() and image.name not in used:
            image.unlink()
