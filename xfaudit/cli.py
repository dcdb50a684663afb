"""The ``xfaudit`` command: a thin shell over the library (one library call per subcommand).

Errors the user can fix (a missing file, a bad header, an unknown year, an output folder that
cannot be written, a full disk, a folder another run is using) print one Chinese line and exit
2, without a traceback; set ``XFAUDIT_DEBUG=1`` to see one. Ctrl-C prints ``已中断。`` and exits
130; output cut short by a closed pipe (``xfaudit load … | head -1``) ends quietly with exit
2. Exit 3 ("内部错误") is kept for defects of xfaudit itself.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import gc
import logging
import os
import re
import sys
from pathlib import Path

EXIT_OK, EXIT_USER_ERROR, EXIT_INTERNAL = 0, 2, 3

#: argparse's own messages (English templates, as regular expressions) → Chinese. The
#: translation happens in :class:`_ChineseParser` only; argparse itself is left as it is, so
#: other parsers in the same process (a Jupyter kernel, a host application) stay English.
_ARGPARSE_MESSAGES = [
    (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (r"expected one argument", "需要一个值"),
    (r"expected at least one argument", "至少需要一个值"),
    (r"invalid choice: (.*) \(choose from (.*)\)", r"无效的选择：\1（可选：\2）"),
    (r"invalid \S+ value: (.*)", r"无效的值：\1"),
    (r"ambiguous option: (.*) could match (.*)", r"选项 \1 不明确，可能是：\2"),
    (r"one of the arguments (.*) is required", r"必须给出以下参数之一：\1"),
    (r"not allowed with argument (.*)", r"不能与参数 \1 同时使用"),
    (r"ignored explicit argument (.*)", r"参数多余：\1"),
]


def _zh_message(message: str) -> str:
    """argparse's English error message in Chinese (unknown ones are left as they are)."""
    outer = re.fullmatch(r"argument (.+?): (.*)", message, re.S)
    if outer:
        return f"参数 {outer[1]}：{_zh_message(outer[2])}"
    for pattern, chinese in _ARGPARSE_MESSAGES:
        if re.fullmatch(pattern, message, re.S):
            return re.sub(pattern, chinese, message, flags=re.S)
    return message


class _ChineseFormatter(argparse.HelpFormatter):
    """Help with a Chinese usage prefix."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


def _date(text: str) -> dt.date:
    """``--as-of``: any form a ledger date takes (:func:`xfaudit.dates.parse_as_of`)."""
    from xfaudit.dates import parse_as_of
    from xfaudit.errors import ConfigError

    try:
        return parse_as_of(text).date()
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _period(text: str) -> str:
    """``--period``: the label of a month (:func:`xfaudit.dates.parse_period`)."""
    from xfaudit.dates import parse_period
    from xfaudit.errors import ConfigError

    try:
        return parse_period(text).label
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _ChineseParser(argparse.ArgumentParser):
    """argparse in Chinese: help headings, ``-h`` and usage errors (exit 2, no traceback)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _ChineseFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="显示本帮助并退出")

    def error(self, message: str):  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER_ERROR, f"错误：{_zh_message(message)}\n")


_EXTRACT_HELP = ("台账文件（.xlsx / .xls / .et / .csv，或网页导出的 .xls）；可给多个：第一个是信访件表，"
                 "其余（办理、答复、复查复核等）按信访件编号关联")
_SHEET_HELP = ("工作表名称（默认自动选择台账所在的可见工作表）；可重复给出：只有一个文件时，"
               "第一个是信访件表，其余按信访件编号关联；多个文件时每个文件一个")
_MAPPING_HELP = ("表头映射文件（.toml 或 .yaml）：本地表头的别名和取值规则；"
                 "或内置映射的名称（见 xfaudit load --mapping-list）")


def _add_extract_options(p: argparse.ArgumentParser, optional: bool = False) -> None:
    p.add_argument("extract", type=Path, nargs="*" if optional else "+", help=_EXTRACT_HELP)
    _add_table_options(p)


def _add_table_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sheet", action="append", help=_SHEET_HELP)
    p.add_argument("--mapping", help=_MAPPING_HELP)
    p.add_argument("--header-row", type=_positive, metavar="行号",
                   help="信访件表的表头所在行（默认在前100行中自动查找）")
    _add_units_option(p)


def _add_sql_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sql-url", metavar="数据库地址",
                   help="从数据库读取台账（代替台账文件，需安装 xfaudit[sql] 及数据库驱动）："
                        "SQLAlchemy 地址，如 sqlite:///台账.db、postgresql+psycopg://用户@主机/库、"
                        "oracle+oracledb://用户@主机:1521/?service_name=服务名")
    p.add_argument("--table", metavar="表名", help="--sql-url：台账所在的表（或视图），读取全部列")
    p.add_argument("--query", metavar="查询语句",
                   help="--sql-url：代替 --table 的 SELECT 语句（行号按结果顺序，建议带 ORDER BY）")


def _add_units_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--units", type=Path, metavar="单位名录",
                   help="单位名录（.xlsx，见 xfaudit units --template）：统一责任单位等名称的写法")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"「{text}」不是正整数")
    return value


def _extract_arguments(args) -> dict:
    """``path``, ``sheet``, ``mapping``, ``header_row`` for :func:`xfaudit.load.load_extract`
    from the command line (one file: a path; several: a list)."""
    from xfaudit.errors import ExtractError

    paths = list(args.extract)
    sheets = args.sheet or None
    sql_url = getattr(args, "sql_url", None)
    if sql_url or getattr(args, "table", None) or getattr(args, "query", None):
        from xfaudit.scale.sql import SqlSource

        if paths:
            raise ExtractError(None, "台账文件和 --sql-url 只能给出一个")
        if not sql_url:
            raise ExtractError(None, "--table / --query 需要与 --sql-url（数据库地址）一起使用")
        return {"path": SqlSource(sql_url, table=args.table, query=args.query), "sheet": sheets,
                "mapping": args.mapping, "header_row": getattr(args, "header_row", None),
                "units": getattr(args, "units", None)}
    if not paths:
        raise ExtractError(None, "缺少台账文件（或用 --sql-url 指定数据库）")
    return {"path": paths[0] if len(paths) == 1 else paths,
            "sheet": sheets[0] if sheets and len(sheets) == 1 else sheets,
            "mapping": args.mapping, "header_row": getattr(args, "header_row", None),
            "units": getattr(args, "units", None)}


_CONFIG_HELP = ("本局配置文件（bureau.toml，见 xfaudit init）：发文机关、机关代字、抄送等；"
                "未给出时只审计和出报告，不生成文书")


def _add_config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, metavar="bureau.toml", help=_CONFIG_HELP)


def _add_rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="auto",
                   help="规则配置：auto（默认，按收到日期适用2005或2022年条例）、national-2005、"
                        "national-2022、zhejiang-example，或配置文件路径")
    p.add_argument("--holidays", type=Path, action="append",
                   help="节假日文件（CSV），补充内置表之后年份的安排；可重复给出")


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=["pandas", "chunked", "spark"], default="pandas",
                   help="计算方式：pandas（默认，一次读入内存，适合数百万行以内）、chunked（分块，"
                        "内存有上限，适合千万行）、spark（Spark 集群，需安装 xfaudit[spark]）")
    p.add_argument("--chunk-rows", type=_positive, metavar="行数",
                   help="--engine chunked：每块的行数（默认 500000；越大越快、占内存越多）")
    p.add_argument("--spark-master", metavar="地址",
                   help="--engine spark：Spark 主节点，如 local[*]（默认，本机全部核心）、"
                        "local[2]、spark://主机:7077")


def build_parser(from_database: bool = False) -> argparse.ArgumentParser:
    """The command line; ``from_database``: ``--sql-url`` was given, so ``check`` needs no
    extract file (argparse then reports a missing extract itself, in Chinese)."""
    parser = _ChineseParser(
        prog="xfaudit",
        description="信访事项办理情况审计工具：读取信访事项台账，按法定时限逐件核查，生成问题清单和报告。")
    parser.add_argument("--version", action="version", version=_version(),
                        help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_ChineseParser)

    p = sub.add_parser("check", help="核查一个台账，输出问题清单（findings.csv/.xlsx、summary.json、validation.json）",
                       description="按法定时限核查台账中的每一件信访事项，把问题写入输出目录。"
                                   "台账可以是文件，也可以是数据库中的表（--sql-url）。")
    _add_extract_options(p, optional=from_database)
    _add_sql_options(p)
    p.add_argument("--as-of", type=_date, default=None,
                   help="审计日（如 2026-10-31、2026/10/31、2026年10月31日），未办结事项以此日判断是否超期；默认今天")
    _add_rule_options(p)
    p.add_argument("--out", type=Path, required=True, help="输出目录")
    p.add_argument("--no-mask", action="store_true",
                   help="不屏蔽信访人个人信息（默认屏蔽）；输出文件将标注“机密★内部资料”")
    _add_config_option(p)
    _add_engine_options(p)
    p.add_argument("--by-county", action="store_true",
                   help="另按所属县区分别写出问题清单（输出目录/县区/<县区>/），需台账有所属县区"
                        "（或问题属地）列")
    p.add_argument("--period", type=_period, default=None,
                   help="--by-county：各县区文书的审计期间（如 2026-10）；默认为审计日所在月份。"
                        "只给 --period 时审计日为当月最后一天")
    p.add_argument("--counties", type=Path, metavar="目录",
                   help="--by-county：各县区信访局的配置目录，每个县区一个子目录（如 保定市涞水县），内含 "
                        "bureau.toml（xfaudit init 生成）、registers/（督办台账、问题记录），可选 "
                        "单位名录.xlsx（本县区单位）；有配置的县区生成文书")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("load", help="只读取台账，显示读取情况（行数、表头映射、无法识别的日期）",
                       description="读取台账并报告：读取/保留/剔除的行、每一列如何映射（本地表头 → 字段 → 中文名）、"
                                   "未使用的列、缺少的字段及因此无法评估的检查、可能的责任单位列、无法识别的单元格。")
    _add_extract_options(p, optional=True)
    _add_sql_options(p)
    p.add_argument("--mapping-list", action="store_true", help="列出内置的表头映射（省级系统、宁波、公安等）")
    p.add_argument("--to-parquet", type=Path, metavar="目录",
                   help="把读取的台账写成规范的 parquet 数据集（供 --engine chunked / spark 使用）；"
                        "CSV 文件分块读取，内存占用有上限")
    p.add_argument("--chunk-rows", type=_positive, metavar="行数",
                   help="--to-parquet：每块（每个 parquet 文件）的行数，默认 500000")
    p.add_argument("--as-of", type=_date, default=None,
                   help="--to-parquet：将要审计的审计日，决定日期的合理范围（默认今天）")
    p.add_argument("--profile", default="auto", help="--to-parquet：将要使用的规则配置（决定日期的合理范围）")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("synth", help="生成模拟台账（含已知的违规样本和答案文件），用于演示和测试",
                       description="生成一个虚构县的模拟信访事项台账，按已知比例植入各类违规，并输出答案文件 <名>.truth.csv。")
    p.add_argument("--cases", type=int, default=1500, help="事项数（至少 200，默认 1500）")
    p.add_argument("--period", type=_period, required=True, help="审计期间（如 2026-10、2026年10月、202610），审计日为当月最后一天")
    p.add_argument("--seed", type=int, default=1, help="随机种子（相同种子生成相同台账）")
    p.add_argument("--aliases", action="store_true", help="部分列使用别名表头（模拟不同系统的导出）")
    p.add_argument("--out", type=Path, required=True, help="输出文件（.xlsx 或 .csv）")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("monthly", help="月度审计：执行审计笔记本，生成网页报告、问题清单、图表和运行记录",
                       description="按月审计一个台账：执行 notebooks/monthly_audit.ipynb，写出 "
                                   "<输出目录>/<期间>/（report.html、findings.xlsx、charts/、manifest.json）。"
                                   "全部完成后才替换同一期间的旧报告。")
    p.add_argument("extract", type=Path, nargs="+", help=_EXTRACT_HELP)
    p.add_argument("--period", type=_period, required=True, help="审计期间（如 2026-10、2026年10月、202610）")
    p.add_argument("--out", type=Path, default=Path("reports"), help="报告目录（默认 reports）")
    p.add_argument("--as-of", type=_date, default=None,
                   help="审计日（如 2026-10-31、2026/10/31、2026年10月31日），默认为期间最后一天")
    _add_rule_options(p)
    p.add_argument("--waivers", type=Path,
                   help="正当理由登记（豁免登记册 .xlsx）：所列问题标为“已豁免”，仍然列出")
    p.add_argument("--no-mask", action="store_true",
                   help="不屏蔽信访人个人信息（默认屏蔽）；含个人信息的输出将标注“机密★内部资料”")
    p.add_argument("--seed", type=int, default=0, help="抽样的随机种子（默认 0）")
    p.add_argument("--sheet", action="append", help=_SHEET_HELP)
    p.add_argument("--mapping", help=_MAPPING_HELP)
    _add_units_option(p)
    _add_config_option(p)
    p.set_defaults(func=cmd_monthly)

    p = sub.add_parser("init", help="生成本局配置文件模板 bureau.toml（发文机关、机关代字、抄送、联系人等）",
                       description="写出带说明的本局配置文件模板。填写后用 --config 传给 "
                                   "xfaudit monthly / xfaudit check（笔记本参数 config）。")
    p.add_argument("--out", type=Path, default=Path("bureau.toml"), help="输出文件（默认 bureau.toml）")
    p.add_argument("--force", action="store_true", help="覆盖已存在的文件")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("units", help="单位名录：统一责任单位名称、标明单位类型和本局",
                       description="生成单位名录模板（xlsx）：单位全称、简称/别名、上级单位、单位类型、"
                                   "是否行政机关、是否本局。审计时用 --units 传入。")
    p.add_argument("--template", type=Path, required=True, metavar="文件",
                   help="写出空白单位名录（.xlsx，含示例行和说明）")
    p.set_defaults(func=cmd_units_template)

    p = sub.add_parser("waivers", help="正当理由（豁免）登记表",
                       description="管理正当理由登记表：经批准的超期等问题的正当理由。")
    waivers = p.add_subparsers(dest="waivers_command", metavar="操作", required=True,
                               parser_class=_ChineseParser)
    w = waivers.add_parser("template", help="生成空白登记表（含示例行和检查项说明）",
                           description="生成正当理由登记表模板（xlsx）：表头、示例行、「说明」工作表列出全部检查项编号和名称。")
    w.add_argument("--out", type=Path, required=True, help="输出文件（.xlsx）")
    w.set_defaults(func=cmd_waivers_template)

    return parser


def _version() -> str:
    from xfaudit import __version__

    return f"xfaudit {__version__}"


def _say(text: str) -> None:
    print(text, flush=True)


def cmd_load(args) -> int:
    from xfaudit.load import load_extract
    from xfaudit.loadreport import report_lines

    if args.mapping_list:
        from xfaudit.mapping import named_mappings

        _say("内置的表头映射（用 --mapping 名称 选用）：")
        for name, (_file, description) in named_mappings().items():
            _say(f"  {name:<10} {description}")
        if not args.extract and not args.sql_url:
            return EXIT_OK
    if not args.extract and not args.sql_url:
        raise SystemExit("错误：缺少必需的参数：extract（台账文件）或 --sql-url（数据库地址）")
    if args.to_parquet:
        from xfaudit.audit import date_window
        from xfaudit.scale import DEFAULT_CHUNK_ROWS
        from xfaudit.scale.dataset import convert, open_dataset

        table = _extract_arguments(args)
        folder = convert(table.pop("path"), args.to_parquet,
                         rows=args.chunk_rows or DEFAULT_CHUNK_ROWS,
                         date_window=date_window(args.profile, args.as_of), **table)
        dataset = open_dataset(folder)
        for line in report_lines(dataset.report):
            _say(line)
        _say(f"已写出台账数据集：{folder}（{dataset.rows} 行，{len(dataset.parts)} 个 parquet 文件）")
        return EXIT_OK
    table = _extract_arguments(args)
    if hasattr(table["path"], "url"):              # a database: read through a dataset
        import tempfile

        from xfaudit.run import _load_one_piece

        with tempfile.TemporaryDirectory(prefix="xfaudit-load-") as tmp:
            extract = _load_one_piece(table.pop("path"), Path(tmp), **table)
    else:
        extract = load_extract(**table)
    for line in report_lines(extract.report):
        _say(line)
    return EXIT_OK


def cmd_check(args) -> int:
    from xfaudit.loadreport import unit_lines, where_read
    from xfaudit.run import run_check
    from xfaudit.views import run_warnings

    table = _extract_arguments(args)
    as_of = args.as_of
    by_county = args.by_county or args.counties is not None
    if args.period and not by_county:
        from xfaudit.errors import ConfigError

        raise ConfigError(None, "--period 只用于按县区输出（--by-county 或 --counties）：它是各县区文书的"
                                "审计期间。只核查台账时请用 --as-of 给出审计日。")
    if as_of is None and args.period:
        from xfaudit.dates import parse_period

        as_of = parse_period(args.period).last_day.strftime("%Y-%m-%d")
    out = run_check(table.pop("path"), out_dir=args.out, as_of=as_of, profile=args.profile,
                    holidays=args.holidays, mask_personal_data=not args.no_mask, progress=_say,
                    config=args.config, engine=args.engine, chunk_rows=args.chunk_rows,
                    spark_master=args.spark_master,
                    by_county=by_county, counties=args.counties, period=args.period, **table)
    s = out.result.summary
    report = out.result.extract.report
    rows = s["rows"]
    _say(f"台账：{where_read(report)}")
    for extra in report.tables:
        _say(f"关联表：{extra.name}：{extra.rows_matched} 行对应到 {extra.items_matched} 件，"
             f"编号找不到的 {len(extra.unmatched_ids)} 个")
    for line in unit_lines(report):
        _say(line)
    for warning in report.warnings:
        _say(f"注意：{warning}")
    for line in run_warnings(out.result):
        _say(f"请先注意：{line}")
    _say(f"审计日 {s['as_of']}，规则：{s['profile']['title']}")
    _say(f"读取 {rows['read']} 行，审计 {rows['audited']} 行，剔除 {rows['rejected']} 行")
    _say(f"履职问题 {s['totals']['accountability']} 个（超期仍未办 {s['open_overdue']} 个），"
         f"台账质量问题 {s['totals']['data_quality']} 个")
    for c in s["checks"]:
        if c["findings"] or not c["evaluated"] or c["unjudged"]:
            status = (f"{c['findings']} 个（超期仍未办 {c['open_overdue']}）"
                      if c["evaluated"] else c["status"])
            if c["evaluated"] and c["unjudged"]:
                status += f"；{c['status']}"
            _say(f"  {c['name']}：{status}")
    _say("输出：" + "，".join(str(p) for p in out.paths.values()))
    for county in out.counties:
        _say(f"  县区 {county.name}：{county.rows} 行，问题 {county.findings} 个"
             f"（履职问题 {county.accountability} 个）；{county.note}")
    if args.no_mask:
        _say("注意：问题清单未屏蔽信访人个人信息，已标注“机密★内部资料”，请勿外传。")
    if out.bureau is None:
        _say("提示：未给出本局配置（--config bureau.toml），登记转送交办超期的责任主体记为“信访部门（本局）”；"
             "运行 xfaudit init 生成配置文件。")
    return EXIT_OK


def cmd_synth(args) -> int:
    from xfaudit.synth import generate, write

    data = generate(args.cases, args.period, args.seed, use_aliases=args.aliases)
    paths = write(data, args.out)
    _say(f"已生成模拟台账 {args.cases} 件（期间 {args.period}，审计日 {data.as_of}，种子 {args.seed}），"
         f"植入问题 {len(data.truth)} 个")
    _say("输出：" + "，".join(str(p) for p in paths.values()))
    return EXIT_OK


def cmd_monthly(args) -> int:
    from xfaudit.monthly import run_monthly_audit

    table = _extract_arguments(args)
    out = run_monthly_audit(table["path"], args.period, out_dir=args.out, as_of=args.as_of,
                            profile=args.profile, holidays=args.holidays, waivers=args.waivers,
                            mask_personal_data=not args.no_mask, seed=args.seed,
                            sheet=table["sheet"], mapping=table["mapping"],
                            units=table["units"], config=args.config, progress=_say)
    for line in out.manifest.get("warnings", []):
        _say(f"请先注意：{line}")
    totals = out.manifest["findings"]["totals"]
    _say(f"履职问题 {totals['accountability']} 个（超期仍未办 {out.manifest['findings']['open_overdue']} 个），"
         f"台账质量问题 {totals['data_quality']} 个")
    sheet = out.manifest.get("input", {}).get("sheet")
    if sheet:
        _say(f"台账工作表：「{sheet}」")
    todo = out.manifest.get("accountability") or {}
    if todo.get("configured") is False:
        from xfaudit.config import SETUP_HINT

        _say(f"提示：{SETUP_HINT}")
    elif todo:
        counts = todo.get("todo", {})
        _say(f"文书草稿：待审核签发 {counts.get('letters_to_sign', 0)} 份，追究责任建议草稿 "
             f"{counts.get('drafts_to_review', 0)} 份；回访 {counts.get('callbacks', 0)} 件；"
             f"逾期未反馈 {counts.get('overdue_answers', 0)} 件；"
             f"登记册：{_as_typed(todo.get('registers_dir', ''))}")
    _say(f"报告目录：{out.folder}")
    _say(f"打开报告：{out.html}")
    return EXIT_OK


def _as_typed(path: str) -> str:
    """A path under the working folder as the user would type it (relative), like the report
    folder the same run prints; any other path as it is."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cmd_init(args) -> int:
    from xfaudit.config import write_bureau_template

    path = write_bureau_template(args.out, overwrite=args.force)
    _say(f"已生成本局配置文件：{path}。请填写发文机关（issuer）、机关代字（issuer_code）、本级人民政府"
         "（government）、联系人、电话和抄送机关，然后用 --config 传入。")
    return EXIT_OK


def cmd_units_template(args) -> int:
    from xfaudit.units import write_template

    path = write_template(args.template)
    _say(f"已生成单位名录模板：{path}（填写说明见「说明」工作表；以“【示例】”开头的行不会被使用）")
    return EXIT_OK


def cmd_waivers_template(args) -> int:
    from xfaudit.waivers import write_template

    path = write_template(args.out)
    _say(f"已生成正当理由登记表模板：{path}（填写说明见「说明」工作表；示例行不会被适用）")
    return EXIT_OK


def _silence_stdout() -> None:
    """Point standard output at the null device: the reader of a pipe went away
    (``| head``), and Python would otherwise complain again when it flushes at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


#: The cyclic garbage collector's thresholds for the ``xfaudit`` program (Python's defaults:
#: 700, 10, 10). See :func:`_collect_rarely`.
PROGRAM_GC_THRESHOLDS = (50_000, 20, 100)


def _collect_rarely() -> None:
    """Let the ``xfaudit`` program's cyclic garbage collector run rarely.

    A check builds millions of short-lived objects (the workbook's cells, GX's result
    objects); with Python's default thresholds that set off about 900 collections in a
    100k-row check, the full ones each walking every object GX and pandas keep — about 1.1 s
    of a 12 s run. Memory is freed by reference counting as before; only garbage in reference
    cycles waits longer (the 1M-row check's peak memory is measured in benchmarks/README.md).
    Only the program: a caller passing ``argv`` (a notebook, a test) keeps its own settings.
    """
    gc.set_threshold(*PROGRAM_GC_THRESHOLDS)


def _skip_final_collections() -> None:
    """At the exit of the ``xfaudit`` program, put every object out of the garbage
    collector's reach (:func:`gc.freeze`): the interpreter's collections while it shuts down
    then have nothing to traverse. After a 100k-row check they took about 1 s of wall time,
    for memory the operating system takes back at exit anyway. Outputs are written and
    closed before then; atexit handlers registered earlier still run after this one."""
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``xfaudit`` console script."""
    from xfaudit.errors import USER_OS_ERRNOS, OutputError, XfauditError

    if argv is None:                # the program itself, not a caller in this process
        _collect_rarely()
        atexit.register(_skip_final_collections)
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(from_database=any(w.startswith("--sql-url") for w in words))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return args.func(args)
    except XfauditError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        # tasks a library left pending when interrupted log English tracebacks when the
        # interpreter collects them: the run ends with its one Chinese line
        logging.disable(logging.CRITICAL)
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_USER_ERROR
    except Exception as exc:  # an unexpected failure: say so plainly, keep the trace for debug
        if os.environ.get("XFAUDIT_DEBUG"):
            raise
        if isinstance(exc, OSError) and exc.errno in USER_OS_ERRNOS:  # full disk, no right
            where = exc.filename or getattr(args, "out", None) or ""
            print(f"错误：{OutputError.from_os_error(where, exc)}", file=sys.stderr)
            return EXIT_USER_ERROR
        print(f"内部错误：{type(exc).__name__}: {exc}\n"
              "这是 xfaudit 的缺陷，请把命令和这段信息报告给开发人员"
              "（设置环境变量 XFAUDIT_DEBUG=1 可查看详细信息）。", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
