"""Per-county workbooks and letters of a provincial audit (``xfaudit check --by-county``).

A province audits every county's items in one run (``--engine chunked`` or ``spark``); each
county bureau then needs *its* workbook and *its* letters. The run hands every county's share
over in two parquet folders partitioned by 所属县区 (``county=…/``), written by the engine
that has the rows (Spark with ``partitionBy``, the other engines with pyarrow):

- ``rows/``: the county's canonical rows with their whole-table facts (exact copy of which
  row, how many rows share the 信访件编号 — counted over the whole province);
- ``findings/``: the engine's findings of those rows, as written (masked unless ``--no-mask``).

Each county is then small (a county's month or year) and goes through the pandas code of a
one-county audit: its clock table is derived from its rows and the province's facts
(:func:`xfaudit.clocks.derive_clocks` is row-local), its summary counted from that clock
table and its findings (:func:`xfaudit.audit.summarize`), and the existing writers write
``findings.xlsx`` and ``summary.json`` into ``县区/<county>/``. The findings are the engine's
own — never re-judged — so the counties' findings add up to the province's exactly.

Letters need the county bureau: ``--counties DIR`` names a folder with one folder per county
(``DIR/<county>/bureau.toml``, written by ``xfaudit init``; its registers in
``DIR/<county>/registers/``: the follow-up register, the findings history, the 正当理由登记表).
A county with a ``bureau.toml`` gets the letters, the circular and the callback sample of
:func:`xfaudit.accountability.produce` — its findings' period status classified against its
own history and its waivers applied, as the monthly run does — and its registers are replaced
when the run's outputs are published. A county without one gets its workbook only, and the
list of counties (``县区/县区一览.xlsx``) says so. Rows without a county are written under
``（县区未填写）`` and never get letters.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.errors import ConfigError
from xfaudit.model import SOURCE_ROW, Extract
from xfaudit.scale.dataset import frame_of, schema_of, table_of
from xfaudit.scale.outputs import FINDING_DTYPES, one_pass_order
from xfaudit.scale.pipeline import COPY_OF, DUPLICATES, Plan, slice_facts

#: The canonical field the counties come from.
COUNTY = "county"

#: Folder of the per-county outputs inside ``--out``.
COUNTIES_DIR = "县区"

#: The list of counties written beside their folders; in a county's folder, what no letter
#: was drafted for.
INDEX_FILE, PENDING_FILE = "县区一览.xlsx", "待核实.xlsx"

#: The folder (and the name in the list) of rows whose 所属县区 is empty.
NO_COUNTY = "（县区未填写）"

#: Inside a county's configuration folder: the bureau's configuration, its registers and its
#: unit register (optional: which units are the county's own).
BUREAU_FILE, REGISTERS, UNITS_FILE = "bureau.toml", "registers", "单位名录.xlsx"

ROWS, FINDINGS = "rows", "findings"


def require_county(fields_present, source: str | None = None) -> None:
    """Stop before the audit when the extract (``source``: its file name) has no 所属县区
    (a Chinese user error)."""
    if COUNTY not in set(fields_present):
        which = f"台账 {source} " if source else "台账"
        raise ConfigError(None, f"{which}没有“所属县区”列，无法按县区输出（--by-county）。请在映射"
                                "文件中把问题属地、所属县区、行政区划等列映射为 county，或去掉 "
                                "--by-county 和 --counties。")


def check_configs(folder) -> Path | None:
    """The ``--counties`` folder, checked before any work (None: no letters): every county's
    ``bureau.toml`` is read now, so a mistyped key stops the run before the audit, naming the
    county's file."""
    from xfaudit.config import load_config

    if folder is None:
        return None
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(None, f"找不到县区配置目录“{folder}”（--counties）：应为每个县区一个子目录，"
                                f"内含 {BUREAU_FILE}（xfaudit init 生成）。")
    for path in sorted(folder.glob(f"*/{BUREAU_FILE}")):
        try:
            load_config(path)
        except ConfigError as exc:
            raise ConfigError(None, f"县区 {path.parent.name} 的配置 {path}：{exc.reason}") from None
    return folder


# ---------------------------------------------------------------------------------------------
# The split: what every engine writes
# ---------------------------------------------------------------------------------------------

def _partitioning():
    import pyarrow as pa
    import pyarrow.dataset as ds

    return ds.partitioning(pa.schema([(COUNTY, pa.string())]), flavor="hive")


def _write_partitioned(table, folder: Path, tag: str) -> None:
    import pyarrow.dataset as ds

    ds.write_dataset(table, folder, format="parquet", partitioning=_partitioning(),
                     existing_data_behavior="overwrite_or_ignore",
                     basename_template=f"{tag}-{{i}}.parquet")


def row_dtypes(dtypes: dict[str, str]) -> dict[str, str]:
    """The dtypes of a split's rows: the canonical columns and the two facts."""
    return {**dtypes, COPY_OF: "Int64", DUPLICATES: "int64"}


@dataclass
class Split:
    """The two partitioned folders of a run's county split (a staging folder).

    :meth:`add` takes any slice of the rows (a chunk, or the whole extract) with their
    whole-table facts and findings; Spark writes the same layout itself
    (:func:`xfaudit.scale.spark.audit_dataset`).
    """

    folder: Path
    dtypes: dict[str, str]
    _parts: int = 0

    def __post_init__(self):
        self.folder = Path(self.folder)
        (self.folder / ROWS).mkdir(parents=True, exist_ok=True)
        (self.folder / FINDINGS).mkdir(parents=True, exist_ok=True)

    def add(self, frame: pd.DataFrame, copy_of, duplicate_ids,
            findings: pd.DataFrame) -> None:
        """A slice of canonical rows with their whole-table facts, and its findings (placed
        in the county of their row)."""
        self._parts += 1
        tag = f"part{self._parts:06d}"
        dtypes = row_dtypes(self.dtypes)
        rows = frame.assign(**{COPY_OF: pd.array(copy_of, dtype="Int64"),
                               DUPLICATES: np.asarray(duplicate_ids, dtype="int64")})
        _write_partitioned(table_of(rows[list(dtypes)], schema_of(dtypes), dtypes),
                           self.folder / ROWS, tag)
        if findings.empty:
            return
        dtypes = {**FINDING_DTYPES, COUNTY: "string"}
        counties = frame.set_index(SOURCE_ROW)[COUNTY]
        placed = findings.assign(**{COUNTY: findings[SOURCE_ROW].map(counties).to_numpy()})
        _write_partitioned(table_of(placed[list(dtypes)], schema_of(dtypes), dtypes),
                           self.folder / FINDINGS, tag)


# ---------------------------------------------------------------------------------------------
# Reading a county back
# ---------------------------------------------------------------------------------------------

@dataclass
class CountyShare:
    """One county's rows, facts and findings, as the engine gave them."""

    name: str | None
    frame: pd.DataFrame
    copy_of: pd.arrays.IntegerArray
    duplicate_ids: np.ndarray
    findings: pd.DataFrame


def county_names(folder: Path) -> list[str | None]:
    """The counties of a split, by name (None last: rows without a county)."""
    import pyarrow.dataset as ds

    rows = Path(folder) / ROWS
    if not any(rows.rglob("*.parquet")):
        return []
    data = ds.dataset(rows, format="parquet", partitioning=_partitioning())
    names = {ds.get_partition_keys(f.partition_expression).get(COUNTY)
             for f in data.get_fragments()}
    return sorted(n for n in names if n is not None) + ([None] if None in names else [])


def _read(folder: Path, name: str | None, dtypes: dict[str, str], columns: list[str]):
    import pyarrow as pa
    import pyarrow.dataset as ds

    if not any(folder.rglob("*.parquet")):
        return frame_of(schema_of(dtypes).empty_table(), dtypes)
    schema = pa.schema([*schema_of(dtypes), pa.field(COUNTY, pa.string())])
    data = ds.dataset(folder, format="parquet", partitioning=_partitioning(), schema=schema)
    where = ds.field(COUNTY).is_null() if name is None else ds.field(COUNTY) == name
    return frame_of(data.to_table(filter=where, columns=columns), dtypes)


def read_share(folder: Path, name: str | None, dtypes: dict[str, str]) -> CountyShare:
    """A county's rows (source order) and its findings (the one-pass order)."""
    folder = Path(folder)
    rdtypes = row_dtypes({c: t for c, t in dtypes.items() if c != COUNTY})
    rows = _read(folder / ROWS, name, rdtypes, list(rdtypes))
    rows = rows.sort_values(SOURCE_ROW, kind="stable").reset_index(drop=True)
    rows[COUNTY] = pd.Series([name] * len(rows), dtype=object)
    findings = _read(folder / FINDINGS, name, FINDING_DTYPES, list(FINDING_DTYPES))
    return CountyShare(name=name, frame=rows[list(dtypes)], copy_of=rows[COPY_OF].array,
                       duplicate_ids=rows[DUPLICATES].to_numpy(dtype="int64"),
                       findings=one_pass_order(findings))


def county_result(share: CountyShare, report, p: Plan):
    """The county's share as an :class:`~xfaudit.audit.AuditResult`: its rows, its clock
    table (derived from its rows and the province's facts), the engine's findings of its rows
    and its summary counted from them."""
    from xfaudit.audit import AuditResult, all_findings, summarize
    from xfaudit.clocks import derive_clocks
    from xfaudit.events import item_events

    bad = report.unreadable
    mine = replace(report, rows_read=len(share.frame), rows_kept=len(share.frame),
                   empty_rows=0, rejected=report.rejected.iloc[:0],
                   unreadable=bad[bad[SOURCE_ROW].isin(share.frame[SOURCE_ROW])]
                   .reset_index(drop=True))
    extract = Extract(frame=share.frame, report=mine)
    facts = slice_facts(extract, p.window, share.copy_of, share.duplicate_ids)
    clocks = derive_clocks(extract, p.profiles, p.as_of, p.calendar, facts)
    findings = all_findings(share.findings, p.profiles)
    anonymous = frozenset(a for m in p.profiles.members for a in m.anonymous_petitioners)
    return AuditResult(findings=findings,
                       summary=summarize(extract, clocks, findings, p.profiles, p.as_of),
                       extract=extract, clocks=clocks, profiles=p.profiles, as_of=p.as_of,
                       timings={}, validation=None,
                       events_source=partial(item_events, extract, anonymous))


# ---------------------------------------------------------------------------------------------
# Writing a county
# ---------------------------------------------------------------------------------------------

@dataclass
class CountyOutput:
    """What was written for one county."""

    name: str
    folder: Path
    rows: int
    findings: int
    accountability: int
    letters: int = 0
    note: str = ""
    staged: dict = field(default_factory=dict)     # registers to replace on publication


def folder_name(name: str | None) -> str:
    from xfaudit.letters import safe_name

    return NO_COUNTY if name is None else safe_name(name)


def write_county(result, name: str | None, folder: Path, *, configs: Path | None,
                 period: str, p: Plan, marking: str | None,
                 shared: frozenset = frozenset()) -> CountyOutput:
    """A county's findings.xlsx and summary.json, and its letters when its bureau is
    configured (``configs/<county>/bureau.toml``); ``shared``: units named in the findings of
    several counties (see :func:`outside_the_county`)."""
    from xfaudit.writers import summary_json, workbook

    folder.mkdir(parents=True, exist_ok=True)
    shown = NO_COUNTY if name is None else name
    f = result.findings
    out = CountyOutput(name=shown, folder=folder, rows=len(result.extract.frame),
                       findings=len(f), accountability=int((f["kind"] == "accountability").sum()))
    bureau = None if name is None or configs is None else configs / folder_name(name)
    if bureau is not None and (bureau / BUREAU_FILE).is_file():
        result = _letters(result, folder, bureau, period, p, out, shared)
    elif name is None:
        out.note = "所属县区未填写，不生成文书"
    elif bureau is None:
        out.note = "未给出县区配置目录（--counties），未生成文书"
    else:
        out.note = f"县区配置目录中没有 {bureau.name}/{BUREAU_FILE}，未生成文书"
    workbook.write(result, folder / "findings.xlsx", marking=marking, scope=shown)
    summary_json.write(result, folder / "summary.json",
                       extra={"county": shown, "as_of": f"{p.as_of:%Y-%m-%d}",
                              "period": period, "mask_personal_data": p.mask})
    return out


def registration_by_the_county_bureau(findings: pd.DataFrame, frame: pd.DataFrame,
                                      issuer: str) -> pd.DataFrame:
    """Registration findings of rows whose ledger names no 登记部门 owed by the county bureau.

    The provincial run names its own ``--config`` bureau (or 信访部门（本局）) there; the
    county's letters and registers name the county bureau that registered the item, as the
    county's own monthly run does. A 登记部门 written in the ledger stays as written.
    """
    from xfaudit.recommend.model import BUREAU_ROLE

    fallback = findings["responsible_role"].eq(BUREAU_ROLE).fillna(False)
    if "registering_body" in frame.columns:
        body = findings[SOURCE_ROW].map(frame.set_index(SOURCE_ROW)["registering_body"])
        fallback &= body.isna()
    out = findings.copy()
    out.loc[fallback.to_numpy(dtype=bool), "responsible_unit"] = issuer
    return out


def outside_the_county(findings: pd.DataFrame, shared: frozenset, bureau: str | None,
                       register=None) -> tuple[pd.DataFrame, frozenset]:
    """The findings as the county's letters see them, and the units outside the county.

    Among the units the letters could address (not the bureau itself, not a label standing
    for no unit), a unit is outside the county: with the county's unit register
    (``单位名录.xlsx`` in its configuration folder), when the register does not know it;
    without one, when the findings of several counties name it (a city or provincial
    department, or a name two counties share — never a county's alone). Its findings become
    ``待核实（不属本县区）<unit>``: listed, never addressed.
    """
    from xfaudit.recommend.model import OUTSIDE_PREFIX, UNIT, unit_class

    unit = findings["responsible_unit"]
    addressable = (unit_class(findings, bureau, register) == UNIT).to_numpy(dtype=bool)
    named = set(unit[addressable].dropna())
    if register is not None:
        known, _how = register.resolve(sorted(named))
        outside = frozenset(named - set(known))
    else:
        outside = frozenset(named & set(shared))
    hit = addressable & unit.isin(outside).to_numpy(dtype=bool)
    out = findings.copy()
    out.loc[hit, "responsible_unit"] = OUTSIDE_PREFIX + out.loc[hit, "responsible_unit"]
    return out, outside


def _letters(result, folder: Path, bureau: Path, period: str, p: Plan, out: CountyOutput,
             shared: frozenset = frozenset()):
    """The county bureau's letters, as the monthly run drafts them: period status against
    its history, its waivers applied, free text masked, then
    :func:`xfaudit.accountability.produce` — with the units outside the county 待核实.
    Returns the result as the county's workbook shows it."""
    from dataclasses import replace as copy_with

    from xfaudit import accountability, indicators, periods, privacy, waivers
    from xfaudit.config import load_config
    from xfaudit.units import read_units

    cfg = load_config(bureau / BUREAU_FILE)
    registers = bureau / REGISTERS
    units = read_units(bureau / UNITS_FILE) if (bureau / UNITS_FILE).is_file() else None
    history = periods.read_history(registers / cfg["followup"]["history_file"])
    findings = result.findings.copy()
    if cfg.issuer:
        findings = registration_by_the_county_bureau(findings, result.extract.frame, cfg.issuer)
    findings["period_status"] = periods.classify(findings, period, history)
    result.findings = findings
    waiver_file = registers / cfg["followup"]["waiver_file"]
    if waiver_file.is_file():
        result, _report = waivers.apply_waivers(result, waiver_file)
    result = privacy.mask_result(result, enabled=p.mask, personal=False)
    marked, outside = outside_the_county(result.findings, shared, cfg.issuer, units)
    addressed = copy_with(result, findings=marked)
    ranked = indicators.compute(addressed, period)
    made = accountability.produce(addressed, period, folder, registers_dir=registers,
                                  ranking=ranked.ranking,
                                  ranking_rule=indicators.ranking_rule_text(), config=cfg,
                                  calendar=p.calendar, history=history, units=units)
    out.letters = len(made.letters)
    out.staged = made.staged
    if len(made.recommendations.pending):
        write_pending(made.recommendations.pending, folder / PENDING_FILE, created=p.as_of)
    notes = [f"已生成文书 {out.letters} 份" if made.configured
             else f"{bureau.name}/{BUREAU_FILE} 未填写发文机关，未生成文书"]
    if outside:
        notes.append(f"{len(outside)} 个责任单位不属本县区（{'单位名录中没有' if units else '也出现在其他县区'}），"
                     "列为待核实，未发函")
    out.note = "；".join(notes)
    return result


def shared_units(split: Path) -> frozenset:
    """Units named in the findings of more than one county (rows without a county aside)."""
    import pyarrow.dataset as ds

    folder = Path(split) / FINDINGS
    if not any(folder.rglob("*.parquet")):
        return frozenset()
    table = ds.dataset(folder, format="parquet", partitioning=_partitioning()).to_table(
        columns=["responsible_unit", COUNTY])
    frame = table.to_pandas().dropna()
    spread = frame.drop_duplicates().groupby("responsible_unit")[COUNTY].nunique()
    return frozenset(spread.index[spread > 1])


def _folders(names: list[str | None], configs: Path | None) -> list[str]:
    """Each county's output folder (unique), after checking that no configured county folder
    would serve two counties (甲:乙县 and 甲_乙县 make one file name)."""
    by_base: dict[str, list[str | None]] = {}
    for name in names:
        by_base.setdefault(folder_name(name), []).append(name)
    for base, same in by_base.items():
        if len(same) > 1 and configs is not None and (configs / base / BUREAU_FILE).is_file():
            raise ConfigError(None, f"县区“{'”和“'.join(map(str, same))}”的配置目录名都是“{base}”，"
                                    "无法确定文书由哪个县区信访局发出。请统一台账中的县区名称。")
    folders, taken = [], set()
    for name in names:
        base = where = folder_name(name)
        copies = 1
        while where in taken:
            copies += 1
            where = f"{base}({copies})"
        taken.add(where)
        folders.append(where)
    return folders


def write_counties(split: Path, dtypes: dict[str, str], report, p: Plan, out: Path, *,
                   configs: Path | None, period: str, marking: str | None,
                   progress=None) -> list[CountyOutput]:
    """Every county of ``split`` into ``out/县区/``, and the list of counties; publish them
    with :func:`publish`."""
    say = progress or (lambda _text: None)
    root = Path(out) / COUNTIES_DIR
    root.mkdir(parents=True, exist_ok=True)
    names = county_names(split)
    folders = _folders(names, configs)
    shared = shared_units(split)
    done = []
    for name, where in zip(names, folders):
        result = county_result(read_share(split, name, dtypes), report, p)
        done.append(write_county(result, name, root / where, configs=configs,
                                 period=period, p=p, marking=marking, shared=shared))
        say(f"  已写出县区：{done[-1].name}")
    write_index(done, root / INDEX_FILE, created=p.as_of)     # counts only: no personal data
    return done


def write_pending(pending: pd.DataFrame, path: Path, *, created=None) -> Path:
    """待核实.xlsx: the findings no letter of the county was drafted for, and why (the list
    the monthly report shows in its section 十); ``created``: its date (the audit date, so
    the same audit writes the same bytes)."""
    from xfaudit.accountability import PENDING_HEADERS
    from xfaudit.writers import fastxlsx
    from xfaudit.writers.workbook import table_sheet, with_page_setup

    sheet = table_sheet("待核实", pending.reset_index(drop=True), PENDING_HEADERS,
                        widths={"unit": 26, "what": 20, "reason": 72, "cases": 60},
                        kinds={"findings": "int", "reason": "wrap", "cases": "wrap"})
    return fastxlsx.write(path, [with_page_setup(sheet, "待核实（未生成文书）")], title="待核实",
                          created=created)


def write_index(done: list[CountyOutput], path: Path, *, created=None) -> Path:
    """县区一览.xlsx: one row per county — rows, findings, 履职问题, documents, notes;
    ``created``: its date (the audit date)."""
    from xfaudit.writers import fastxlsx
    from xfaudit.writers.workbook import table_sheet, with_page_setup

    table = pd.DataFrame({"县区": [d.name for d in done],
                          "事项行数": [d.rows for d in done],
                          "问题数": [d.findings for d in done],
                          "履职问题": [d.accountability for d in done],
                          "文书数": [d.letters for d in done],
                          "文件夹": [d.folder.name for d in done],
                          "说明": [d.note for d in done]},
                         columns=["县区", "事项行数", "问题数", "履职问题", "文书数", "文件夹", "说明"])
    sheet = table_sheet("县区一览", table, {}, widths={"县区": 18, "文件夹": 18, "说明": 48},
                        kinds={"事项行数": "int", "问题数": "int", "履职问题": "int",
                               "文书数": "int"})
    return fastxlsx.write(path, [with_page_setup(sheet, "按县区输出一览")], title="县区一览",
                          created=created)


def publish(done: list[CountyOutput], staged: Path, target: Path) -> Path:
    """Publish the staged ``县区`` folder and the registers its letters staged, together (as
    :func:`xfaudit.monthly.publish_report` does for a month): the counties' registers are
    replaced (all or nothing), then the folder is swapped in; if the swap fails the registers
    are put back."""
    from xfaudit import outdir
    from xfaudit.accountability import STAGED_REGISTERS
    from xfaudit.monthly import replace_dir

    pairs = {final: path for county in done for final, path in county.staged.items()}
    undo = outdir.replace_files(pairs)
    try:
        for county in done:
            shutil.rmtree(county.folder / STAGED_REGISTERS, ignore_errors=True)
            county.staged = {}
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_dir(Path(staged), Path(target))
        shutil.rmtree(staged, ignore_errors=True)      # the earlier folder, after a swap
    except BaseException:
        outdir.restore(undo)
        raise
    outdir.discard(undo)
    for county in done:
        county.folder = Path(target) / county.folder.name
    return Path(target)
