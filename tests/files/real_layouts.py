"""Fixtures in the exact header labels and column order of three real petition-system exports.

* :func:`province_export` — [PX] the province system's 信访件 query export (19 columns, no unit
  column): merged title 信访件查询结果, merged 导出时间 row, header on row 3, dates as text
  ``2026-04-21 15:15:27``, 内容分类 joined with ``_``, 登记部门 a ``/`` path, the national
  信访件状态 list, 是/否 flags;
* :func:`ningbo_items` — [NB] the 宁波 信访件 table ``DW_NB_XFLYXFJXX`` (60 columns): merged title,
  blank row, header on row 3, real Excel date-times, a merged 合计 row at the end;
* :func:`ningbo_steps` — a 办理表单 table of the same export (several rows per item), to join;
* :func:`police_ledger` — [GA] a county ledger kept from the 公安 信访事项交办反馈 export (28
  columns): merged title, 统计时间 row, dates as text ``2026/04/18 13:46:34``, one date typed
  ``2026.06.05`` and one ``10月18日``, one row pasted twice, 合计 and 制表人 rows.

The people are synthetic (测试…, phones 1380000xxxx, id numbers 999999…), the county fictional
(青禾县). Each builder writes into ``folder`` and returns the path; ``ITEMS`` says how many items
each holds. The values are drawn from a fixed seed, so a test may state expected values.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment

PROVINCE_HEADER = [
    "信访件编号", "姓名", "信访人数", "住址", "手机号码", "问题属地", "信访目的", "内容分类",
    "信访日期", "登记日期", "限办时间", "信访形式", "概况", "是否办结", "是否全国初次信访",
    "联名信或集体访", "信访件状态", "登记部门", "登记人"]

NINGBO_HEADER = [
    "信访件编号", "信访形式", "受信人", "查询码", "查询码告知日期", "登记机构初次信访标志",
    "全国初次信访标志", "评价情况", "概况", "人数", "信访件状态", "涉及人数", "信访日期", "登记时间",
    "越级标志", "联名信或集体访", "来信形式", "匿名标志", "最后一次办理时间", "最后一次办理方式",
    "最后一次办理去向", "信访人诉求", "扬言标志", "催办记录", "办结标志", "办结时间", "网上来源",
    "限办时间", "处理情况", "复查情况", "复核情况", "是否移交转督办", "是否法院已受理",
    "是否已经行政复议", "是否仲裁机构已受理", "是否有复查复核意见书", "是否有进京访风险",
    "作出受理意见日期", "作出处理意见日期", "督办状态", "转交责任单位日期", "实体受理标志",
    "回访标志", "涉法涉诉标志", "首次信访标志", "是否超期", "新增积案标志", "积案结案标志",
    "办理程序", "信访部门评价状态", "责任单位评价状态", "信访人姓名", "证件号码", "手机号码",
    "内容分类", "产生信访原因", "热点问题", "是否依法分类处理", "是否进行终结备案", "限期答复时间"]

NINGBO_STEPS_HEADER = ["信访件编号", "办理方式", "办理机构", "办理部门", "办理人", "办理时间",
                       "去向单位", "办理说明", "是否延期", "延期时间"]

POLICE_HEADER = [
    "信访件编号", "姓名", "身份证号", "手机号码", "住址", "信访内容", "登记时间", "限办时间",
    "信访件状态", "信访形式", "信访日期", "问题发生地", "异常动态", "问题发生日期", "信访人数",
    "信访诉求", "公安业务分类", "登记单位", "档案编号", "转往处", "办理方式", "具体承办单位",
    "办结状态", "责任部门", "办结时间", "信访事项编号", "警种名称", "信访目的(登记单位)"]

ITEMS = {"province": 30, "ningbo": 40, "police": 30}

TOWNS = ["石桥镇", "城关镇", "青山街道", "河西乡"]
UNITS = [f"青禾县{t}人民政府" if not t.endswith("街道") else f"青禾县{t}办事处" for t in TOWNS] + [
    "青禾县住房和城乡建设局", "青禾县人力资源和社会保障局"]
STATIONS = ["城东派出所", "城西派出所", "石桥派出所", "交警大队"]
CATEGORIES = ["城乡建设_住房保障与房地产_物业管理", "劳动和社会保障_工资福利_拖欠工资",
              "农村农业_土地承包_流转纠纷", "交通运输_道路建设_施工扰民"]
STATUSES = ["受理", "已作出处理意见", "超期未作出处理意见", "审核认定办结", "不予受理"]
CHANNELS = ["来信", "来访", "网上信访", "手机信访"]
START = dt.datetime(2026, 4, 15, 9, 0, 0)


def _book() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.properties.creator = "xfaudit tests"
    book.properties.created = book.properties.modified = dt.datetime(2026, 11, 1, 9, 0)
    return book


def _write(sheet, row: int, values: list) -> None:
    for col, value in enumerate(values, start=1):
        if value is None:
            continue
        cell = sheet.cell(row=row, column=col, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        elif isinstance(value, dt.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm:ss"


def _title(sheet, row: int, text: str, width: int) -> None:
    _write(sheet, row, [text])
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    sheet.cell(row, 1).alignment = Alignment(horizontal="center")


def _moment(rng: random.Random, day: int) -> dt.datetime:
    return START + dt.timedelta(days=day, hours=rng.randint(0, 8), minutes=rng.randint(0, 59),
                                seconds=rng.randint(0, 59))


def _person(i: int) -> tuple[str, str, str]:
    return f"测试{i:03d}", f"13800{i:06d}", f"999999{19700101 + i:08d}{i % 10:d}XXX"[:18]


# --------------------------------------------------------------------------------------------
# [PX] province system export
# --------------------------------------------------------------------------------------------

def province_rows(n: int = ITEMS["province"], seed: int = 1) -> list[list]:
    """The [PX] rows (19 columns). Item ``i`` (0-based): 信访日期 day ``2 * i`` after
    2026-04-15; 限办时间 60 days after 登记日期; 是否办结 是 on even ``i``; 是否全国初次信访 否 on
    every third ``i`` (a repeat)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        name, phone, _ = _person(i)
        received = _moment(rng, 2 * i)
        registered = received + dt.timedelta(days=rng.randint(0, 3))
        deadline = registered + dt.timedelta(days=60)
        town = TOWNS[i % len(TOWNS)]
        rows.append([
            f"LX3300{20260415 + i}", name, str(1 + i % 3), f"青禾县{town}幸福路{i + 1}号", phone,
            f"浙江省宁波市青禾县{town}", "求决", CATEGORIES[i % len(CATEGORIES)],
            received.strftime("%Y-%m-%d %H:%M:%S"), registered.strftime("%Y-%m-%d %H:%M:%S"),
            deadline.strftime("%Y-%m-%d %H:%M:%S"), CHANNELS[i % len(CHANNELS)],
            f"反映{town}第{i + 1}件事项", "是" if i % 2 == 0 else "否",
            "否" if i % 3 == 0 else "是", "否", STATUSES[i % len(STATUSES)],
            "青禾县信访局/办信科", f"测试登记员{i % 2 + 1}"])
    return rows


def province_export(folder: Path, n: int = ITEMS["province"]) -> Path:
    book = _book()
    sheet = book.active
    sheet.title = "信访件列表"
    width = len(PROVINCE_HEADER)
    _title(sheet, 1, "信访件查询结果", width)
    _title(sheet, 2, "导出时间：2026-11-01 08:00:00", width)
    _write(sheet, 3, PROVINCE_HEADER)
    for r, row in enumerate(province_rows(n), start=4):
        _write(sheet, r, row)
    path = folder / "px_省信访信息系统导出_2026-10.xlsx"
    book.save(path)
    return path


# --------------------------------------------------------------------------------------------
# [NB] 宁波 信访件 table, and its 办理表单 table
# --------------------------------------------------------------------------------------------

def ningbo_rows(n: int = ITEMS["ningbo"], seed: int = 2) -> list[list]:
    """The [NB] rows (60 columns, real date-times). Item ``i``: 信访日期 day ``i``; 转交责任单位日期
    2 days later; 作出受理意见日期 5 days after that; 办结标志 是 and 办结时间 40 days after 信访日期 on
    even ``i``, else open; 最后一次办理去向 ``UNITS[i % 6]``; 首次信访标志 否 on every fourth ``i``;
    责任单位评价状态 cycles 已评价 / 未评价 / 超期未评价 / 待评价."""
    rng = random.Random(seed)
    evaluations = ["已评价", "未评价", "超期未评价", "待评价"]
    satisfaction = ["满意", "基本满意", "不满意", None]
    rows = []
    for i in range(n):
        name, phone, id_no = _person(100 + i)
        received = _moment(rng, i)
        routed = received + dt.timedelta(days=2)
        accepted = routed + dt.timedelta(days=5)
        done = i % 2 == 0
        concluded = received + dt.timedelta(days=40) if done else None
        values = {
            "信访件编号": f"NB2026{i:05d}", "信访形式": CHANNELS[i % 4], "受信人": "青禾县信访局",
            "查询码": f"Q{i:06d}", "登记机构初次信访标志": "是", "全国初次信访标志": "是",
            "评价情况": satisfaction[i % 4] if done else None,
            "概况": f"第{i + 1}件：反映物业问题", "人数": 1, "信访件状态": "已作出处理意见" if done else "受理",
            "涉及人数": 1, "信访日期": received, "登记时间": received + dt.timedelta(hours=2),
            "越级标志": "否", "联名信或集体访": "否", "匿名标志": "否",
            "最后一次办理时间": routed, "最后一次办理方式": "办结" if done else "转送",
            "最后一次办理去向": UNITS[i % len(UNITS)],
            "信访人诉求": f"第{i + 1}件：请求解决小区物业服务问题，详细情况如下……",
            "办结标志": "是" if done else "否", "办结时间": concluded, "网上来源": None,
            "限办时间": received + dt.timedelta(days=60),
            "处理情况": "支持" if done else None, "作出受理意见日期": accepted,
            "作出处理意见日期": concluded, "督办状态": "未督办", "转交责任单位日期": routed,
            "实体受理标志": "是", "回访标志": "否", "涉法涉诉标志": "否",
            "首次信访标志": "否" if i % 4 == 0 else "是",
            "是否超期": "否", "办理程序": "普通程序",
            "信访部门评价状态": evaluations[(i + 1) % 4],
            "责任单位评价状态": evaluations[i % 4],
            "信访人姓名": name, "证件号码": id_no, "手机号码": phone,
            "内容分类": CATEGORIES[i % 4].replace("_", "/"), "产生信访原因": "物业服务",
            "热点问题": None, "是否依法分类处理": "是", "是否进行终结备案": "否",
            "限期答复时间": received + dt.timedelta(days=60)}
        rows.append([values.get(h) for h in NINGBO_HEADER])
    return rows


def ningbo_items(folder: Path, n: int = ITEMS["ningbo"]) -> Path:
    book = _book()
    sheet = book.active
    sheet.title = "Sheet1"
    width = len(NINGBO_HEADER)
    _title(sheet, 1, "青禾县信访件明细（2026年10月）", width)
    _write(sheet, 3, NINGBO_HEADER)
    rows = ningbo_rows(n)
    for r, row in enumerate(rows, start=4):
        _write(sheet, r, row)
    _title(sheet, 4 + len(rows), f"合计 · 共 {len(rows)} 件", width)
    path = folder / "nb_信访件明细_2026-10.xlsx"
    book.save(path)
    return path


def ningbo_steps(folder: Path, n: int = ITEMS["ningbo"]) -> Path:
    """A 办理表单 table for the items of :func:`ningbo_items`: item ``i`` has a 转送 step 2 days
    after 信访日期 (to 青禾县信访局's 办信科) and, for odd ``i``, a 交办 step 4 days after it to
    ``UNITS[(i + 1) % 6]``; every fifth item's first step 是否延期 是. Plus one row for an id the
    item table does not have (NB2099XXXXX)."""
    rng = random.Random(3)
    rows = []
    for i in range(n):
        received = _moment(rng, i)
        first = received + dt.timedelta(days=2)
        rows.append([f"NB2026{i:05d}", "转送", "青禾县信访局", "办信科", "测试经办", first,
                     "青禾县信访局", "转有权处理机关", "是" if i % 5 == 0 else "否", None])
        if i % 2:
            rows.append([f"NB2026{i:05d}", "交办", "青禾县信访局", "督查科", "测试经办",
                         first + dt.timedelta(days=4), UNITS[(i + 1) % len(UNITS)],
                         "交办责任单位", "否", None])
    rows.append(["NB2099XXXXX", "转送", "青禾县信访局", "办信科", "测试经办",
                 dt.datetime(2026, 10, 1, 9), "青禾县城关镇人民政府", "不在信访件表中", "否", None])
    book = _book()
    sheet = book.active
    sheet.title = "办理"
    _write(sheet, 1, NINGBO_STEPS_HEADER)
    for r, row in enumerate(rows, start=2):
        _write(sheet, r, row)
    path = folder / "nb_办理表单_2026-10.xlsx"
    book.save(path)
    return path


# --------------------------------------------------------------------------------------------
# [GA] 公安 交办反馈 ledger
# --------------------------------------------------------------------------------------------

def police_rows(n: int = ITEMS["police"], seed: int = 4) -> list[list]:
    """The [GA] rows (28 columns). Item ``i``: 登记时间 day ``i``; 具体承办单位 青禾县公安局
    ``STATIONS[i % 4]``; 责任部门 always 青禾县公安局; 办结状态 cycles 已办结 / 办理中 / 待签收 /
    已超期 and 办结时间 30 days after 登记时间 when 已办结; item 5's 办结时间 is typed
    ``2026.06.05``, item 9's ``10月18日``; 公安业务分类 治安管理."""
    rng = random.Random(seed)
    states = ["已办结", "办理中", "待签收", "已超期"]
    rows = []
    for i in range(n):
        name, phone, id_no = _person(200 + i)
        registered = _moment(rng, i)
        state = states[i % 4]
        concluded = ((registered + dt.timedelta(days=30)).strftime("%Y/%m/%d %H:%M:%S")
                     if state == "已办结" else None)
        if i == 5:
            concluded = "2026.06.05"
        if i == 9:
            concluded = "10月18日"
        rows.append([
            f"GA2026{i:04d}", name, id_no, phone, f"青禾县城关镇测试路{i}号",
            f"反映第{i + 1}件治安问题", registered.strftime("%Y/%m/%d %H:%M:%S"),
            (registered + dt.timedelta(days=60)).strftime("%Y/%m/%d %H:%M:%S"),
            "受理", CHANNELS[i % 4], registered.strftime("%Y/%m/%d %H:%M:%S"), "青禾县城关镇",
            None, None, "1", "请求依法处理", "治安管理", "青禾县信访局", f"DA{i:05d}",
            None, "交办", f"青禾县公安局{STATIONS[i % 4]}", state, "青禾县公安局", concluded,
            f"SX2026{i // 2:04d}", "治安", "求决"])
    return rows


def police_ledger(folder: Path, n: int = ITEMS["police"]) -> Path:
    """The ledger: title, 统计时间 row, header on row 3, the rows (row 8, item 4, pasted twice
    right below itself), one blank row, a 合计 row and a 制表人 row."""
    rows = police_rows(n)
    rows.insert(5, list(rows[4]))
    book = _book()
    sheet = book.active
    sheet.title = "交办件"
    width = len(POLICE_HEADER)
    _title(sheet, 1, "青禾县公安局信访事项交办反馈台账", width)
    _write(sheet, 2, ["统计时间：2026年10月1日至2026年10月31日"])
    _write(sheet, 3, POLICE_HEADER)
    for r, row in enumerate(rows, start=4):
        _write(sheet, r, row)
    end = 4 + len(rows)
    _write(sheet, end + 1, ["合计", f"{n}件"])
    _write(sheet, end + 2, ["制表人：测试甲　审核人：测试乙"])
    path = folder / "ga_公安交办反馈台账_2026-10.xlsx"
    book.save(path)
    return path


BUILDERS = {"province": province_export, "ningbo": ningbo_items, "ningbo_steps": ningbo_steps,
            "police": police_ledger}


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for build in BUILDERS.values():
        print(build(out))
