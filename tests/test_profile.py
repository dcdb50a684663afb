"""Rule profiles: strict keys (a typo is an error, never the national limits in disguise), and
every accepted key honoured."""

from __future__ import annotations

import pandas as pd
import pytest

from xfaudit.audit import audit
from xfaudit.errors import ProfileError
from xfaudit.model import Extract
from xfaudit.profile import builtin_profiles, load_profile, load_profile_set


def write(tmp_path, text: str, name: str = "p.toml") -> str:
    path = tmp_path / name
    path.write_text('name = "p"\nbase = "national-2022"\n' + text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("text, key, known", [
    ("[limits.handling]\nday = 30\n", "limits.handling.day", "days、day_kind、start、citation"),
    ("[limit.handling]\ndays = 30\n", "limit", "limits"),
    ("roll_forward_holiday = true\n", "roll_forward_holiday", "roll_forward"),
    ("[limits.handlng]\ndays = 30\n", "limits.handlng", "handling"),
    ("[dates]\nearliest_day = 1990-01-01\n", "dates.earliest_day", "earliest、days_after_as_of"),
])
def test_a_typo_is_an_error_naming_file_key_and_known_keys(tmp_path, text, key, known):
    with pytest.raises(ProfileError) as err:
        load_profile_set(write(tmp_path, text))
    message = str(err.value)
    assert "p.toml" in message and f"「{key}」" in message and known in message


@pytest.mark.parametrize("text, fragment", [
    ('[limits.reply]\nstart = "concluded_on"\n', "起算事件由检查项规定"),
    ('[limits.handling]\nstart = "concluded_on"\n', "start 只能是"),
    ('roll_forward = "always"\n', "roll_forward 必须是"),
    ('handling_tracks = "信访程序"\n', "必须是文字列表"),
    ("[limits.handling]\ndays = -1\n", "非负整数"),
])
def test_a_bad_value_is_an_error(tmp_path, text, fragment):
    with pytest.raises(ProfileError, match=fragment):
        load_profile_set(write(tmp_path, text))


def test_every_builtin_profile_loads():
    for name in builtin_profiles():
        assert load_profile_set(name).members


def test_the_start_key_drives_the_clock(tmp_path):
    # Handling from 收到日期 instead of 受理日期: received 2026-05-01 + 60 = 06-30, concluded
    # 07-10 → 10 days late; from 受理日期 (06-01 + 60 = 07-31) it would be on time.
    row = dict(case_id="A", handling_unit="青石镇", routing="转送", track="信访程序",
               received_on="2026-05-01", routed_on="2026-05-02", unit_received_on="2026-05-03",
               notice_on="2026-05-05", accepted_on="2026-06-01", concluded_on="2026-07-10",
               reply_on="2026-07-10")
    profile = write(tmp_path, '[limits.handling]\nstart = "received_on"\n')
    assert load_profile(profile).start_of("handling") == "received_on"
    extract = Extract.from_frame(pd.DataFrame([row]))
    moved = audit(extract, as_of="2026-10-31", profile=profile).filter(check="HANDLING_OVERDUE")
    assert list(moved["days_late"]) == [10]
    assert moved["start_on"].iloc[0] == pd.Timestamp("2026-05-01")
    plain = audit(extract, as_of="2026-10-31", profile="national-2022")
    assert plain.filter(check="HANDLING_OVERDUE").empty
