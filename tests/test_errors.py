"""Exceptions are data: every XfauditError pickles, copies and hashes with its fields kept."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import pytest

from xfaudit import errors
from xfaudit.errors import XfauditError

#: Sample field values by field name (every field of every class in xfaudit.errors).
SAMPLES = {
    "path": "台账.xlsx", "reason": "坏了", "sheet": "台账", "row": 5, "column": "收到日期",
    "hint": "请重新导出", "found": ["编号", "日期"], "required": ["信访件编号"], "year": 1985,
    "profile": "national-2022", "check_id": "REG_LATE", "detail": "OSError：磁盘已满",
    "step": "发布报告", "cell_index": 3, "case_id": "XF-1", "tried": ["Noto Sans CJK SC"],
    "problems": [(3, "反馈日期", "日期无法识别")], "folder": "reports", "pid": 4242,
    "started": "2026-11-01 09:00:00", "host": "pc-01", "command": "xfaudit monthly a.xlsx",
    "package": "great-expectations", "installed": "1.30.0", "supported": "1.24.x",
    "recognised": ["case_id"], "candidate_row": 35, "scanned": 100, "header_row": 3,
    "hidden": ["旧模板"], "candidates": ["来信", "来访"],
}


def error_classes() -> list[type]:
    return [cls for _name, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, XfauditError) and cls is not XfauditError]


def sample(cls: type) -> XfauditError:
    values = {f.name: SAMPLES[f.name] for f in dataclasses.fields(cls)}
    return cls(**values)


def field_values(error) -> dict:
    return {f.name: getattr(error, f.name) for f in dataclasses.fields(error)}


def test_every_error_class_is_a_dataclass_with_sample_values():
    classes = error_classes()
    assert len(classes) >= 14
    for cls in classes:
        assert dataclasses.is_dataclass(cls), cls
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in SAMPLES]
        assert missing == [], (cls, missing)


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
def test_error_round_trips_through_pickle_and_copy(cls):
    error = sample(cls)
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(clone) is cls
        assert field_values(clone) == field_values(error)
        assert str(clone) == str(error)
        assert clone.args == error.args


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
def test_error_is_hashable_and_carries_its_fields_in_args(cls):
    error = sample(cls)
    assert {error: 1}[error] == 1
    assert error.args == tuple(field_values(error).values())
    assert error != sample(cls)  # identity, as for any exception


def test_messages_are_chinese():
    for cls in error_classes():
        text = str(sample(cls))
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), cls


def test_calendar_argument_errors_are_xfaudit_errors():
    from xfaudit.calendar import LegalCalendar
    from xfaudit.errors import CalendarInputError

    with pytest.raises(CalendarInputError, match="天数必须是整数") as info:
        LegalCalendar.default().add_days(["2026-10-01"], 1.5, kind="calendar")
    assert isinstance(info.value, ValueError)  # callers catching ValueError still work
    with pytest.raises(CalendarInputError, match="未知的天数类型「weeks」"):
        LegalCalendar.default().add_days(["2026-10-01"], 1, kind="weeks")
