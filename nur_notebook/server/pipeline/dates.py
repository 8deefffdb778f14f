"""Dates and times in tool calls as the user said them: "Thursday" is the coming Thursday's
date, "tonight at 9" is 21:00. Pure logic.

A 1.5B model asked for ISO dates counts days wrong about one time in five ("Thursday" as
Friday's date, "the day after tomorrow" a week out), and writes "9:00" for "tonight at
9". When the user's last turn names one day in words (en, es, fr, de) and the call
carries a date, :func:`with_said_dates` writes that day's ISO date; a time of the
morning said with evening words becomes the evening's.

    >>> import datetime as dt
    >>> said_day("what's on Thursday?", today=dt.date(2026, 12, 1))
    datetime.date(2026, 12, 3)
"""

from __future__ import annotations

import datetime as dt
import re

from nur_notebook.server.pipeline.base import Message, ToolCallDecision

#: Days from today, by phrase (longest first when matching).
_RELATIVE = {
    "day after tomorrow": 2, "pasado mañana": 2, "après-demain": 2, "après demain": 2,
    "übermorgen": 2, "today": 0, "tonight": 0, "hoy": 0, "esta noche": 0,
    "aujourd'hui": 0, "ce soir": 0, "heute": 0, "tomorrow": 1, "mañana": 1, "demain": 1,
    "morgen": 1,
}  # fmt: skip
_WEEKDAYS = (
    ("monday", "lunes", "lundi", "montag"),
    ("tuesday", "martes", "mardi", "dienstag"),
    ("wednesday", "miércoles", "mercredi", "mittwoch"),
    ("thursday", "jueves", "jeudi", "donnerstag"),
    ("friday", "viernes", "vendredi", "freitag"),
    ("saturday", "sábado", "samedi", "samstag"),
    ("sunday", "domingo", "dimanche", "sonntag"),
)
#: Words that put a time after noon.
_EVENING = re.compile(
    r"\b(p\.?m\.?|tonight|evening|de la (noche|tarde)|esta noche|du soir|ce soir|abends)\b",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: A clock time: with am/pm; with "h", "Uhr" or minutes; or after "at", "a las", "à", "um".
_CLOCK = (
    re.compile(r"(?<![\w:.])(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b", re.IGNORECASE),
    re.compile(r"(?<![\w:.])(\d{1,2})(?::(\d{2})|\s*h\b|\s*uhr\b)()", re.IGNORECASE),
    re.compile(
        r"\b(?:at|a las|a la|à|um)\s+(\d{1,2})(?::(\d{2}))?()(?![\d:]|[.,]\d)", re.IGNORECASE
    ),
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(:\d{2})?$")
#: A time written as an hour alone ("9", "9pm", "21 h"), and the argument names of times.
_BARE_HOUR = re.compile(r"^(\d{1,2})\s*(?:h|[ap]\.?m\.?)?$", re.IGNORECASE)
_TIME_KEY = re.compile(r"time|hour|hora|heure|zeit", re.IGNORECASE)


def said_day(text: str, *, today: dt.date) -> dt.date | None:
    """The one day ``text`` names in words ("tomorrow", "viernes", "the day after
    tomorrow"); None when it names none or more than one."""
    lowered = text.lower()
    found: set[dt.date] = set()
    for phrase in sorted(_RELATIVE, key=len, reverse=True):
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", lowered):
            found.add(today + dt.timedelta(days=_RELATIVE[phrase]))
            lowered = lowered.replace(phrase, " ")
    for index, names in enumerate(_WEEKDAYS):
        if any(re.search(rf"(?<!\w){name}", lowered) for name in names):
            found.add(today + dt.timedelta(days=(index - today.weekday()) % 7 or 7))
    return found.pop() if len(found) == 1 else None


def said_time(text: str) -> tuple[int, int] | None:
    """The one clock time ``text`` says, as 24-hour (hour, minute): "at 8 pm", "7:30 pm",
    "tonight at 9", "a las 9 de la noche", "um 18 Uhr", "à 20h"; None when it says none
    or more than one."""
    found: dict[tuple[int, int], str] = {}
    for pattern in _CLOCK:
        for match in pattern.finditer(text):
            said = (int(match.group(1)), int(match.group(2) or 0))
            found[said] = found.get(said) or match.group(3).lower()
    if len(found) != 1:
        return None
    (hour, minute), ampm = found.popitem()
    if hour > 23 or minute > 59:
        return None
    if 1 <= hour < 12 and (ampm == "p" or (not ampm and _EVENING.search(text))):
        hour += 12
    elif hour == 12 and ampm == "a":
        hour = 0
    return hour, minute


def with_said_dates(
    decision: ToolCallDecision, *, history: list[Message], today: dt.date | None = None
) -> ToolCallDecision:
    """The call with its ISO dates set to the day the user's last turn names, and its
    24-hour times to the clock time it says ("tonight at 9": 21:00)."""
    last = next((m.content for m in reversed(history) if m.role == "user"), "")
    day = said_day(last, today=today or dt.date.today())
    clock = said_time(last)
    arguments = dict(decision.arguments)
    for key, value in decision.arguments.items():
        if not isinstance(value, str):
            continue
        if day is not None and _ISO_DATE.match(value):
            arguments[key] = day.isoformat() + value[10:]
        time = _TIME.match(value.strip())
        if time and clock is not None:
            arguments[key] = f"{clock[0]:02d}:{clock[1]:02d}{time.group(3) or ''}"
        hour = _BARE_HOUR.match(value.strip())
        if hour and clock is not None and _TIME_KEY.search(key):
            if int(hour.group(1)) % 12 == clock[0] % 12:  # "9" for "tonight at 9"
                arguments[key] = f"{clock[0]:02d}:{clock[1]:02d}"
    return ToolCallDecision(decision.name, arguments)
