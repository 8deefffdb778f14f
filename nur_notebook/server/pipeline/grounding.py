"""Whether a tool call's values were said: made-up IDs refused, guessed options dropped. Pure logic.

Small models fill a value they were not given with a plausible one: an order number
("12345"), a time ("18:00"), a reason ("customer requested"). Before a call runs,
:func:`ungrounded_arguments` names the values nobody said (the session then asks the user
instead of calling), and :func:`without_unsaid_options` drops the optional ones (the tool's
own default beats a guess). Values are compared without case, spaces or punctuation, with
digit words read as digits (en/es/fr/de) and spelled letters as letters, so "A-77"
matches "a 77", "447" "four four seven" and "B9X4" "B as in bravo, nine, X, four".

    >>> from nur_notebook.server.pipeline.base import Message, ToolCallDecision
    >>> call = ToolCallDecision("track_order", {"order_id": "447"})
    >>> ungrounded_arguments(call, [Message("user", "where is order four four seven?")])
    []
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from nur_notebook.server.pipeline.base import Message, ToolCallDecision, ToolSpec
from nur_notebook.server.pipeline.text import digits_in_words, said_numbers, spelled_letters


def _squeeze(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


_DATE_OR_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$|^\d{1,2}(:\d{2}){1,2}\s*([ap]\.?m\.?)?$"
    r"|^\d{1,2}\s*[ap]\.?m\.?$",
    re.IGNORECASE,
)
#: The hour of a time value ("19:30", "7 pm", "2026-12-02T19:30").
_HOUR = re.compile(r"(?:^|[ T])(\d{1,2})(?::\d{2}|\s*[ap]\.?m)", re.IGNORECASE)

#: Words that say when (en, es, fr, de): a date or time worked out from them is grounded.
_WHEN_WORDS = frozenset(
    """today tonight tomorrow yesterday morning noon afternoon evening night midnight
    week weekend next monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december
    hoy mañana noche tarde semana lunes martes miércoles jueves viernes sábado domingo
    mediodía enero febrero marzo abril mayo junio julio agosto septiembre octubre
    noviembre diciembre aujourd demain soir matin midi semaine lundi mardi mercredi
    jeudi vendredi samedi dimanche janvier février mars avril mai juin juillet août
    septembre octobre novembre décembre heute morgen abend mittag nacht woche montag
    dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz juni juli
    oktober dezember""".split()
)
#: When-words that span several days: a single date worked out from them alone ("next
#: week", "this weekend") is a guess.
_SPAN_WORDS = frozenset(
    "week weekend next semana próxima próximo semaine prochaine prochain woche wochenende "
    "nächste nächsten".split()
)
#: Hours said as words beyond the digit words (en, es, fr, de).
_HOUR_WORDS = {
    **dict.fromkeys(("ten", "diez", "dix", "zehn"), 10),
    **dict.fromkeys(("eleven", "once", "onze", "elf"), 11),
    **dict.fromkeys(("twelve", "doce", "douze", "zwölf", "noon", "midday"), 12),
    **dict.fromkeys(("mediodía", "midi", "mittag"), 12),
    **dict.fromkeys(("midnight", "medianoche", "minuit", "mitternacht"), 0),
}


def _words(text: str) -> list[str]:
    """The words of ``text``, lower-cased (letters and digits; no punctuation)."""
    return [w.lower() for w in re.findall(r"[^\W_]+", text)]


def _user_words(history: list[Message]) -> set[str]:
    return {w for m in history if m.role == "user" for w in _words(digits_in_words(m.content))}


def _said_when(history: list[Message]) -> bool:
    """Whether a user turn says when: a number or a word like "tomorrow", "viernes"."""
    words = _user_words(history)
    words |= {w[:-1] for w in words if w.endswith("s")}  # "on Mondays"
    return any(ch.isdigit() for w in words for ch in w) or bool(words & _WHEN_WORDS)


def _worked_out(value: str, history: list[Message]) -> bool:
    """Whether a date or time value was worked out from what the user said: words that
    say which day (or the day's number, "December 20"; not "next week" alone), and for a
    time its hour said ("at 9"
    for 21:00, "half past seven" for 19:30, "a quarter to eight" for 19:45, "noon" for
    12:00). Another number said ("flight 902") does not make a date said."""
    if not (_DATE_OR_TIME.match(value.strip()) and _said_when(history)):
        return False
    words = _user_words(history)
    said = {int(n) for w in words for n in re.findall(r"\d+", w) if len(n) <= 4}
    hour = _HOUR.search(value.strip())
    if hour is None:  # a date alone: from a word like "Friday", or its day's number
        day_words = (words & _WHEN_WORDS) - _SPAN_WORDS
        return bool(day_words) or bool(said & {int(n) for n in value.split("-")})
    said |= {_HOUR_WORDS[w] for w in words if w in _HOUR_WORDS}
    said |= {h % 12 for h in said}
    h = int(hour.group(1)) % 24
    return bool({h, h % 12, (h + 1) % 12} & said) or any(str(h) in w for w in words)


def ungrounded_arguments(
    decision: ToolCallDecision,
    history: list[Message],
    *,
    known: str = "",
    tools: list[ToolSpec] | None = None,
) -> list[str]:
    """Arguments whose values nobody said: string values with a digit, an ``@`` or an
    ``_`` (order numbers, IDs, phone numbers, emails, times, codes) found neither in the
    user's words (a letter said by a word counts as the letter: "B as in bravo", "delta")
    nor in earlier tool results nor in ``known`` (the agent's own prompt: "the caller's
    account is 4471"); names nobody said (:func:`_name_said`: "London" for "what's the
    weather going to be like?"), unless ``tools`` gives the parameter's options (an
    ``enum``: the grammar keeps to them); numbers not said in digits or words
    (``said_numbers``: "twenty two", "a table" for one); and one said value used for more
    arguments than it was said for (the account a transfer is to, copied as the one it is
    from).

    A day in words ("Friday", "next week") counts as said once the user said when (a
    number or a word like "tomorrow"; "Friday" may be worked out from "tomorrow"). Other
    text (a summary, a title, a dish) is not checked: the model may rightly rephrase it.
    Dates and times count as said when worked out from what the user said
    (:func:`_worked_out`): "tomorrow" for "2026-12-02", "at half past seven" for "19:30",
    but not "18:00" for "a table on Saturday".
    """
    said = [m.content for m in history if m.role in ("user", "tool_result") and m.content]
    numbers = _numbers_for(decision, said)  # not the prompt's ("at most fifteen words")
    said += [known] if known else []
    heard = " ".join(_squeeze(digits_in_words(text)) for text in said)
    spelled = " ".join(_squeeze(digits_in_words(spelled_letters(text))) for text in said)
    tool = decision.tool(tools or [])
    options = {k for k, spec in (tool.parameters if tool else {}).items() if spec.get("enum")}
    missing = []
    uses: dict[str, int] = {}
    for name, value in decision.arguments.items():
        if _is_number(value):
            if not _number_said(float(value), numbers):  # 22 degrees for "what can you do?"
                missing.append(name)
            continue
        if isinstance(value, str) and _says_when_in_words(value):
            if not _said_when(history):  # "Friday" for "can I book a fitting?"
                missing.append(name)
            continue
        if isinstance(value, str) and name not in options and _is_a_name(value):
            if not _name_said(value, said):  # "Athens" for "when should I visit Greece?"
                missing.append(name)
            continue
        if not (isinstance(value, str) and any(ch.isdigit() or ch in "@_" for ch in value)):
            continue  # an email ("example@example.com" for "reset my password") counts too
        if _worked_out(value, history):
            continue
        key = _squeeze(value)
        uses[key] = uses.get(key, 0) + 1
        if uses[key] > (heard.count(key) or spelled.count(key)):
            missing.append(name)
    return missing


def _is_a_name(value: str) -> bool:
    """Whether ``value`` is a name of one to four words, each capitalised ("London", "New
    York", "Air Max"), with no digit or code characters (those are checked as IDs)."""
    tokens = value.split()
    return 0 < len(tokens) <= 4 and all(
        t[:1].isupper() and t.replace("-", "").replace("'", "").isalpha() for t in tokens
    )


#: A name's word and a word said match when they agree this far (or are equal, if
#: shorter): the model writes a place in its English form ("Londres", "Múnich", "Viena"
#: said; "London", "Munich", "Vienna" written).
_NAME_STEM = 3


def _fold(word: str) -> str:
    """``word`` lower-cased without accents ("Múnich" -> "munich", "Köln" -> "koln")."""
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(ch)
    )


def _name_said(value: str, texts: list[str]) -> bool:
    """Whether a word of the name ``value`` was said in ``texts``, as the word or its form
    in another language (the first :data:`_NAME_STEM` letters alike): "York" of "New
    York" in "Nueva York"; or its initials ("NYC", "LA")."""
    said = {_fold(w) for text in texts for w in _words(text)}
    stems = {w[:_NAME_STEM] for w in said if len(w) >= _NAME_STEM}
    words = [_fold(w) for w in _words(value)]
    initials = "".join(w[0] for w in words)
    if len(words) > 1 and any(w.startswith(initials) and len(w) <= len(words) + 1 for w in said):
        return True  # "NYC" said, "New York" written
    return any(w in said or (len(w) >= _NAME_STEM and w[:_NAME_STEM] in stems) for w in words)


#: Words that may go with a day said in words ("this Friday", "on Monday").
_DAY_FILLERS = frozenset("this on the coming at in el la le am".split())


def _says_when_in_words(value: str) -> bool:
    """Whether ``value`` names a day in words only: "Friday", "next Monday", "demain"."""
    words = _words(value)
    return (
        bool(words)
        and all(w in _WHEN_WORDS or w in _DAY_FILLERS for w in words)
        and any(w in _WHEN_WORDS for w in words)
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers_for(
    decision: ToolCallDecision, texts: list[str], *, articles: bool = True
) -> set[float]:
    """Every number the texts say (:func:`said_numbers`), read only when the call has a
    number argument to check against them (none otherwise)."""
    if not any(map(_is_number, decision.arguments.values())):
        return set()
    return set().union(*(said_numbers(text, articles=articles) for text in texts))


def _number_said(value: float, numbers: set[float]) -> bool:
    """Whether ``value`` was said, an hour of the afternoon as on a 12-hour clock too
    ("at six" for 18)."""
    return value in numbers or (12 < value < 24 and value - 12 in numbers)


def without_unsaid_options(
    decision: ToolCallDecision, *, tools: list[ToolSpec], history: list[Message]
) -> ToolCallDecision:
    """The call without the optional arguments nobody said.

    Small models fill optional parameters with plausible defaults ("days": 7, "reason":
    "lost") that the user never gave; the tool's own default is better than a guess.
    An optional value is kept when it was said in a user turn (for text: at least half
    of its words, and not the whole turn copied in), with digit words read as digits,
    or is a date or time worked out from what was said; booleans are kept as they are.
    """
    tool = decision.tool(tools)
    if tool is None:
        return decision
    turns = [m.content for m in history if m.role == "user"]
    said = _squeeze(" ".join(digits_in_words(text) for text in turns))
    # An article is not an optional count ("a 50 euro dinner" gives no "days": 1).
    numbers = _numbers_for(decision, turns, articles=False)
    kept: dict[str, Any] = {}
    for key, value in decision.arguments.items():
        if tool.parameters.get(key, {}).get("required") or isinstance(value, bool):
            kept[key] = value
            continue
        if isinstance(value, int | float):
            if _number_said(float(value), numbers):  # "for twenty two" for 22
                kept[key] = value
            continue
        if isinstance(value, str) and _worked_out(value, history):
            kept[key] = value  # worked out from "tomorrow", "at ten": not a guess
            continue
        if isinstance(value, str) and _copies_the_turn(value, history):
            continue  # the user's whole turn pasted in: not a value they gave
        words = [w for w in _words(str(value)) if len(w) > 2]
        heard = sum(_squeeze(w[:5]) in said for w in words)
        if _squeeze(str(value)) in said or (words and 2 * heard >= len(words)):
            kept[key] = value
    return ToolCallDecision(decision.name, kept)


#: A user turn of at least this many words, copied whole into a text value, is the turn
#: itself, not a value said in it.
_COPY_MIN_WORDS = 6


def _copies_the_turn(value: str, history: list[Message]) -> bool:
    """Whether ``value`` is the user's last turn (nearly) word for word: small models fill
    an optional "reason" or "note" with the whole request."""
    last = next((m.content for m in reversed(history) if m.role == "user"), "")
    turn = _words(last)
    if len(turn) < _COPY_MIN_WORDS:
        return False
    given = set(_words(value))
    return sum(w in given for w in turn) >= 0.8 * len(turn)


#: Words that ask for a tool's answer again, not about the one given (en, es, fr, de):
#: "check it again", "is it still late?", "what about now?", "¿y ahora?", "encore",
#: "nochmal", "immer noch".
_ASKS_AGAIN = re.compile(
    r"\b(?:again|still|now|re-?check\w*|refresh\w*|retry|update[ds]?|latest|any ?more|"
    r"otra vez|de nuevo|todav[ií]a|a[uú]n|ahora|actualiz\w*|encore|(?:à|de) nouveau|"
    r"toujours|maintenant|actualis\w*|nochmal|noch|erneut|wieder|jetzt|aktualisier\w*)\b",
    re.IGNORECASE,
)


def repeats_a_call(decision: ToolCallDecision, history: list[Message]) -> bool:
    """Whether the same call (name and arguments) already has its result in the history:
    run since the user's last turn, or for the turn before when the last one does not ask
    for it again ("How long is the delay then?" after the flight's status, but not "check
    it again" or "is it still late?"). The reply must then say what the result means."""
    exchanges = 0
    for message in reversed(history):
        if message.role == "user":
            exchanges += 1
            if exchanges > 1 or _ASKS_AGAIN.search(message.content):
                return False
        elif message.role == "tool_call" and message.name == decision.name:
            if (message.arguments or {}) == decision.arguments:
                return True
    return False
