from __future__ import annotations

import datetime as dt

import pytest

from nur_notebook.server.pipeline.base import Message, ToolCallDecision
from nur_notebook.server.pipeline.dates import said_day, said_time, with_said_dates

TUESDAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Show me Thursday's events.", dt.date(2026, 12, 3)),
        ("a table the day after tomorrow at 1 pm", dt.date(2026, 12, 3)),
        ("una mesa para el viernes", dt.date(2026, 12, 4)),
        ("pasado mañana por favor", dt.date(2026, 12, 3)),
        ("rendez-vous demain", dt.date(2026, 12, 2)),
        ("am Dienstag", dt.date(2026, 12, 8)),  # today's weekday: the next one
        ("table for six tonight at 9", TUESDAY),
        ("What's the weather in Lisbon?", None),
        ("Monday or Friday, whichever", None),  # two days: not one
    ],
)
def test_the_day_a_turn_names(text: str, day: dt.date | None) -> None:
    assert said_day(text, today=TUESDAY) == day


def test_a_miscounted_date_and_a_morning_time_are_set_to_what_was_said() -> None:
    call = ToolCallDecision("reserve", {"people": 6, "date": "2026-12-04", "time": "9:00"})
    history = [Message("user", "Table for six on Thursday evening at 9.")]
    fixed = with_said_dates(call, history=history, today=TUESDAY)
    assert fixed.arguments == {"people": 6, "date": "2026-12-03", "time": "21:00"}
    morning = [Message("user", "Table for six on Thursday at 9.")]
    assert with_said_dates(call, history=morning, today=TUESDAY).arguments["time"] == "09:00"


def test_an_hour_written_alone_becomes_the_time_that_was_said() -> None:
    said = [Message("user", "A table for two tomorrow evening at 8.")]
    for written in ("8", "8pm", "20 h"):
        call = ToolCallDecision("reserve", {"time": written, "guests": "8"})
        fixed = with_said_dates(call, history=said, today=TUESDAY).arguments
        assert fixed == {"time": "20:00", "guests": "8"}, written  # not a time: left alone
    other = ToolCallDecision("reserve", {"start_time": "7"})
    assert with_said_dates(other, history=said, today=TUESDAY) == other  # not the hour said


def test_only_the_last_user_turn_and_only_iso_dates_change() -> None:
    call = ToolCallDecision("weather", {"city": "Paris", "date": "2026-12-02"})
    history = [Message("user", "Friday then?"), Message("user", "And Paris?")]
    assert with_said_dates(call, history=history, today=TUESDAY) == call
    worded = ToolCallDecision("weather", {"city": "Paris", "date": "tomorrow"})
    said = [Message("user", "Paris on Friday")]
    assert with_said_dates(worded, history=said, today=TUESDAY) == worded


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("A table for four on Friday at 8 pm, please.", (20, 0)),
        ("Could I book for 2 people on Saturday at 7:30 pm?", (19, 30)),
        ("Table for six tonight at 9.", (21, 0)),
        ("Una mesa para dos el viernes a las 9 de la noche.", (21, 0)),
        ("Add a meeting with Priya on December 12 at 10 am.", (10, 0)),
        ("Treffen um 18 Uhr", (18, 0)),
        ("rendez-vous à 20h", (20, 0)),
        ("at 12 am", (0, 0)),
        ("Transfer 250 dollars from account 1122 to account 3344.", None),
        ("at 9 or at 10?", None),
    ],
)
def test_the_clock_time_a_turn_says(text: str, time: tuple[int, int] | None) -> None:
    assert said_time(text) == time
