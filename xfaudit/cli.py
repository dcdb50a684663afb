"""The ``xfaudit`` command: a thin shell over the library (one library call per subcommand).

Errors the user can fix (a missing file, a bad header, an unknown year) print a Chinese message
and exit 2, without a traceback; set ``XFAUDIT_DEBUG=1`` to see one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_USER_ERROR, EXIT_INTERNAL = 0, 2, 3

#: argparse's own words in Chinese (argparse looks them up through gettext's ``_``).
_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "需要一个值",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
}
argparse._ = lambda text: _ARGPARSE_ZH.get(text, text)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期「{text}」格式不对，应写成 2026-10-31") from None


def _period(text: str) -> str:
    try:
        dt.datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"期间「{text}」格式不对，应写成 2026-10") from None
    return text


class _ChineseParser(argparse.ArgumentParser):
    """argparse with Chinese usage errors (exit 2, no traceback)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER_ERROR, f"错误：{message}\n")


def _add_extract_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("extract", type=Path, help="台账文件（.xlsx / .xls / .csv）")
    p.add_argument("--sheet", help="工作表名称（默认自动选择台账所在的工作表）")
    p.add_argument("--mapping", type=Path, help="表头映射文件（TOML），为本地表头添加别名")


def _add_rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="auto",
                   help="规则配置：auto（默认，按收到日期适用2005或2022年条例）、national-2005、"
                        "national-2022、zhejiang-example，或配置文件路径")
    p.add_argument("--holidays", type=Path, action="append",
                   help="节假日文件（CSV），补充内置表之后年份的安排；可重复给出")


def build_parser() -> argparse.ArgumentParser:
    parser = _ChineseParser(
        prog="xfaudit",
        description="信访事项办理情况审计工具：读取信访事项台账，按法定时限逐件核查，生成问题清单和报告。")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_ChineseParser)

    p = sub.add_parser("check", help="核查一个台账，输出问题清单（findings.csv/.xlsx、summary.json、validation.json）",
                       description="按法定时限核查台账中的每一件信访事项，把问题写入输出目录。")
    _add_extract_options(p)
    p.add_argument("--as-of", type=_date, default=None,
                   help="审计日（YYYY-MM-DD），未办结事项以此日判断是否超期；默认今天")
    _add_rule_options(p)
    p.add_argument("--out", type=Path, required=True, help="输出目录")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("load", help="只读取台账，显示读取情况（行数、表头映射、无法识别的日期）",
                       description="读取台账并报告：读取/保留/剔除的行、表头如何映射、缺少的字段、无法识别的单元格。")
    _add_extract_options(p)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("synth", help="生成模拟台账（含已知的违规样本和答案文件），用于演示和测试",
                       description="生成一个虚构县的模拟信访事项台账，按已知比例植入各类违规，并输出答案文件 <名>.truth.csv。")
    p.add_argument("--cases", type=int, default=1500, help="事项数（默认 1500）")
    p.add_argument("--period", type=_period, required=True, help="审计期间 YYYY-MM，审计日为当月最后一天")
    p.add_argument("--seed", type=int, default=1, help="随机种子（相同种子生成相同台账）")
    p.add_argument("--aliases", action="store_true", help="部分列使用别名表头（模拟不同系统的导出）")
    p.add_argument("--out", type=Path, required=True, help="输出文件（.xlsx 或 .csv）")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("monthly", help="月度审计：执行审计笔记本，生成网页报告、问题清单、图表和运行记录",
                       description="按月审计一个台账：执行 notebooks/monthly_audit.ipynb，写出 "
                                   "<输出目录>/<期间>/（report.html、findings.xlsx、charts/、manifest.json）。"
                                   "全部完成后才替换同一期间的旧报告。")
    p.add_argument("extract", type=Path, help="台账文件（.xlsx / .xls / .csv）")
    p.add_argument("--period", type=_period, required=True, help="审计期间 YYYY-MM")
    p.add_argument("--out", type=Path, default=Path("reports"), help="报告目录（默认 reports）")
    p.add_argument("--as-of", type=_date, default=None, help="审计日（YYYY-MM-DD），默认为期间最后一天")
    _add_rule_options(p)
    p.add_argument("--waivers", type=Path,
                   help="正当理由登记（豁免登记册 .xlsx）：所列问题标为“已豁免”，仍然列出")
    p.add_argument("--no-mask", action="store_true", help="不屏蔽信访人个人信息（默认屏蔽）")
    p.add_argument("--seed", type=int, default=0, help="抽样的随机种子（默认 0）")
    p.add_argument("--sheet", help="工作表名称（默认自动选择台账所在的工作表）")
    p.add_argument("--mapping", type=Path, help="表头映射文件（TOML），为本地表头添加别名")
    p.set_defaults(func=cmd_monthly)

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
    from xfaudit.schema import header_of

    extract = load_extract(args.extract, sheet=args.sheet, mapping=args.mapping)
    r = extract.report
    _say(f"台账：{args.extract}（{r.sheet or r.file_format}，表头在第{r.header_row}行）")
    _say(f"读取 {r.rows_read} 行：保留 {r.rows_kept} 行，剔除 {r.rows_rejected} 行；"
         f"跳过空行 {r.empty_rows} 行")
    for row in r.rejected.itertuples(index=False):
        _say(f"  剔除 第{row.source_row}行：{row.reason}")
    _say(f"无法识别的单元格：{len(r.unreadable)} 个")
    for row in r.unreadable.head(20).itertuples(index=False):
        _say(f"  第{row.source_row}行「{row.header}」：{row.raw}")
    if r.unknown_columns:
        _say("未使用的列：" + "、".join(map(str, r.unknown_columns)))
    if r.absent_fields:
        _say("缺少的字段：" + "、".join(header_of(f) for f in r.absent_fields))
    return EXIT_OK


def cmd_check(args) -> int:
    from xfaudit.run import run_check

    out = run_check(args.extract, out_dir=args.out, as_of=args.as_of, profile=args.profile,
                    holidays=args.holidays, sheet=args.sheet, mapping=args.mapping,
                    progress=_say)
    s = out.result.summary
    rows = s["rows"]
    _say(f"审计日 {s['as_of']}，规则：{s['profile']['title']}")
    _say(f"读取 {rows['read']} 行，审计 {rows['audited']} 行，剔除 {rows['rejected']} 行")
    _say(f"履职问题 {s['totals']['accountability']} 个，台账质量问题 {s['totals']['data_quality']} 个")
    for c in s["checks"]:
        if c["findings"] or not c["evaluated"]:
            status = f"{c['findings']} 个（仍未办 {c['open']}）" if c["evaluated"] else c["status"]
            _say(f"  {c['name']}：{status}")
    _say("输出：" + "，".join(str(p) for p in out.paths.values()))
    return EXIT_OK


def cmd_synth(args) -> int:
    from xfaudit.synth import generate, write

    if args.cases < 1:
        raise SystemExit("错误：--cases 必须是正整数")
    data = generate(args.cases, args.period, args.seed, use_aliases=args.aliases)
    paths = write(data, args.out)
    _say(f"已生成模拟台账 {args.cases} 件（期间 {args.period}，审计日 {data.as_of}，种子 {args.seed}），"
         f"植入问题 {len(data.truth)} 个")
    _say("输出：" + "，".join(str(p) for p in paths.values()))
    return EXIT_OK


def cmd_monthly(args) -> int:
    from xfaudit.monthly import run_monthly_audit

    out = run_monthly_audit(args.extract, args.period, out_dir=args.out, as_of=args.as_of,
                            profile=args.profile, holidays=args.holidays, waivers=args.waivers,
                            mask_personal_data=not args.no_mask, seed=args.seed,
                            sheet=args.sheet, mapping=args.mapping, progress=_say)
    totals = out.manifest["findings"]["totals"]
    _say(f"履职问题 {totals['accountability']} 个（超期仍未办 {out.manifest['findings']['open_overdue']} 个），"
         f"台账质量问题 {totals['data_quality']} 个")
    _say(f"报告目录：{out.folder}")
    _say(f"打开报告：{out.html}")
    return EXIT_OK


def cmd_waivers_template(args) -> int:
    from xfaudit.waivers import write_template

    path = write_template(args.out)
    _say(f"已生成正当理由登记表模板：{path}（填写说明见「说明」工作表；示例行不会被适用）")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``xfaudit`` console script."""
    from xfaudit.errors import XfauditError

    parser = build_parser()
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
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: say so plainly, keep the trace for debug
        if os.environ.get("XFAUDIT_DEBUG"):
            raise
        print(f"内部错误：{type(exc).__name__}: {exc}\n"
              "这是 xfaudit 的缺陷，请把命令和这段信息报告给开发人员"
              "（设置环境变量 XFAUDIT_DEBUG=1 可查看详细信息）。", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
