"""Text helpers between the engines: sentences for streaming TTS, digits for the brain.

Pure functions and one small stateful splitter; no engine imports.

    >>> splitter = SentenceSplitter()
    >>> splitter.feed("Hello Dr. Smith. Your total is 3.5 dol")
    ['Hello Dr. Smith.']
    >>> splitter.feed("lars. Bye")
    ['Your total is 3.5 dollars.']
    >>> splitter.flush()
    'Bye'
    >>> normalize_transcript("My order is 1, 2, 3, 4, 5.")
    'My order is 12345.'
    >>> spoken_code("K seven Q two")
    'K7Q2'
"""

from __future__ import annotations

import itertools
import re

#: Words after which a period does not end a sentence (compared lower-case, no dot).
ABBREVIATIONS = frozenset(
    {
        "dr", "mr", "mrs", "ms", "prof", "sr", "jr", "st", "mt", "vs", "etc", "no", "nos",
        "nr", "ref", "inc", "ltd", "co", "corp", "dept", "approx", "apt", "ave", "fig",
        "e.g", "i.e", "a.m", "p.m", "u.s", "sra", "srta", "sig", "hr", "fr", "nº",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    }
)  # fmt: skip

_END = re.compile(r"[.!?…]+[\"')\]]*(?=\s)|\n+")
_CLAUSE_END = re.compile(r"[,;:\u2014-]\s+")
_WORD_BEFORE = re.compile(r"([\w.º]+)$")


class SentenceSplitter:
    """Split a growing text into complete sentences, keeping the unfinished rest.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` followed by whitespace, or at a
    newline. A period after a known abbreviation ("Dr.", "No.") or after a single
    letter (an initial) does not end one, and "3.5" never splits because no space
    follows the period. Call :meth:`flush` when the text is complete.

    The first sentence is what a listener waits for: with ``first_clause_chars`` set, a
    first sentence still open past that many characters is cut after its last comma
    (or semicolon, colon, dash), so speech can start sooner. With
    ``first_clause_words`` set it is cut sooner still: at the first such boundary after
    that many words ("Our shop opens at nine," of "Our shop opens at nine, and ...").
    """

    def __init__(
        self,
        *,
        min_chars: int = 2,
        first_clause_chars: int | None = None,
        first_clause_words: int | None = None,
    ) -> None:
        self._buffer = ""
        self._min_chars = min_chars
        self._first_clause_chars = first_clause_chars
        self._first_clause_words = first_clause_words
        self._emitted = 0

    @property
    def pending(self) -> str:
        """Text received but not yet returned as a sentence."""
        return self._buffer

    def feed(self, text: str) -> list[str]:
        """Add ``text``; return the sentences it completed, in order."""
        self._buffer += text
        sentences: list[str] = []
        start = 0
        for match in _END.finditer(self._buffer):
            end = match.end()
            candidate = self._buffer[start:end]
            if match.group().startswith(".") and _is_abbreviation(
                self._buffer[start : match.start()]
            ):
                continue
            sentence = candidate.strip()
            if len(sentence) < self._min_chars:
                continue
            sentences.append(sentence)
            start = end
        self._buffer = self._buffer[start:].lstrip() if sentences else self._buffer
        if not sentences and self._emitted == 0:
            sentences = self._cut_first_clause()
        self._emitted += len(sentences)
        return sentences

    def _cut_first_clause(self) -> list[str]:
        cut = None
        if self._first_clause_words is not None:
            for match in _CLAUSE_END.finditer(self._buffer):
                clause = self._buffer[: match.start()]
                if match.start() >= self._min_chars and (
                    len(clause.split()) >= self._first_clause_words
                ):
                    cut = match.end()
                    break
        if cut is None and (
            self._first_clause_chars is not None and len(self._buffer) > self._first_clause_chars
        ):
            for match in _CLAUSE_END.finditer(self._buffer):
                if match.start() >= self._min_chars:
                    cut = match.end()
        if cut is None:
            return []
        clause, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:]
        return [clause]

    def flush(self) -> str | None:
        """The remaining text as a last sentence (None when only whitespace is left)."""
        rest = self._buffer.strip()
        self._buffer = ""
        return rest or None


def split_sentences(text: str) -> list[str]:
    """All sentences of a complete text."""
    splitter = SentenceSplitter()
    sentences = splitter.feed(text)
    last = splitter.flush()
    return [*sentences, last] if last else sentences


def _is_abbreviation(before: str) -> bool:
    match = _WORD_BEFORE.search(before)
    if match is None:
        return False
    word = match.group(1).lower().rstrip(".")
    if word in ABBREVIATIONS:
        return True
    # A single letter ("J. Smith") is an initial, not the end of a sentence.
    return len(word) == 1 and word.isalpha()


_NUMBER_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_DIGIT_LIST = re.compile(r"(?<![\w.,])\d(?:(?:,\s*|\s+|-)\d){2,}(?![\w]|[.,]\d)")
_WORD_LIST = re.compile(
    r"\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
    r"(?:(?:,\s*|\s+|-)(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)){2,}\b",
    re.IGNORECASE,
)


def normalize_digits(text: str) -> str:
    """Join digits spelled one at a time into the number they spell.

    Whisper writes "one two three four five" as "1, 2, 3, 4, 5" (or the words);
    three or more single digits in a row become "12345". Two digits ("2, 3") are
    left alone: that is more often a list than a number.
    """
    text = _WORD_LIST.sub(
        lambda m: "".join(_NUMBER_WORDS[w.lower()] for w in re.findall(r"[A-Za-z]+", m.group())),
        text,
    )
    return _DIGIT_LIST.sub(lambda m: re.sub(r"\D", "", m.group()), text)


def normalize_transcript(text: str) -> str:
    """What the brain sees of a transcript: trimmed, spaces collapsed, digits joined."""
    return normalize_digits(" ".join(text.split()))


def heard_so_far(text: str) -> str | None:
    """The part of a transcript of speech still going on that the whole turn will most
    likely start with: its last word dropped (the audio stops inside a word, or before
    what completes it) with the punctuation Whisper puts at the end. None when fewer
    than two words are left.

    >>> heard_so_far("Can I pay with a cred...")
    'Can I pay with a'
    >>> heard_so_far("Hello.") is None
    True
    """
    words = text.split()[:-1]
    if len(words) < 2:
        return None
    return " ".join(words).rstrip(".,;:!?\u2026 ") or None


#: Digit words of the agent languages, for reading numbers said one digit at a time.
DIGIT_WORDS: dict[str, str] = {
    **_NUMBER_WORDS,
    "cero": "0", "uno": "1", "una": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5",
    "seis": "6", "siete": "7", "ocho": "8", "nueve": "9",
    "zéro": "0", "un": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5",
    "sept": "7", "huit": "8", "neuf": "9",
    "null": "0", "eins": "1", "zwei": "2", "drei": "3", "vier": "4", "fünf": "5",
    "sechs": "6", "sieben": "7", "acht": "8", "neun": "9",
}  # fmt: skip
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_CODE_SEPARATORS = re.compile(r"^[\s,]+$")


def spoken_code(value: str) -> str:
    """A code said one character at a time, written as the code: "K seven Q two" ->
    "K7Q2", "four four seven" -> "447", "U A 2 2 5" -> "UA225".

    Only a value made entirely of single letters, digits and digit words (at least two
    of them, one a digit) is rewritten; anything else ("Lunch with two friends") is
    returned unchanged.
    """
    tokens = list(_TOKEN.finditer(value))
    if len(tokens) < 2:
        return value
    gaps = [value[a.end() : b.start()] for a, b in itertools.pairwise(tokens)]
    if value[: tokens[0].start()].strip() or value[tokens[-1].end() :].strip(" .?!"):
        return value
    if not all(_CODE_SEPARATORS.match(gap) for gap in gaps):
        return value
    out: list[str] = []
    digits = 0
    for match in tokens:
        word = match.group()
        if word.lower() in DIGIT_WORDS and len(word) > 1:
            out.append(DIGIT_WORDS[word.lower()])
            digits += 1
        elif word.isdigit():
            out.append(word)
            digits += 1
        elif len(word) == 1 and word.isalpha():
            out.append(word.upper())
        else:
            return value
    return "".join(out) if digits else value


def digits_in_words(text: str) -> str:
    """``text`` with every digit word ("four", "cuatro", "vier") replaced by its digit."""
    return _TOKEN.sub(lambda m: DIGIT_WORDS.get(m.group().lower(), m.group()), text)


#: The spelling alphabet (ICAO/NATO), for letters said as words ("B as in bravo").
SPELLING_WORDS: dict[str, str] = {
    word: word[0].upper()
    for word in """alpha alfa bravo charlie delta echo foxtrot golf hotel india juliet juliett
    kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey
    whisky xray yankee zulu""".split()
}
#: "B as in Berlin", "B de Barcelona", "B comme Bernard", "B wie Berta", "B for bravo":
#: a letter, and a word of that initial that says which.
_LETTER_AS_IN = re.compile(
    r"\b([^\W\d_])\s*,?\s+(?:as\s+in|like|for|de|comme|wie)\s+([^\W\d_]+)", re.IGNORECASE
)


def _letter_as_in(match: re.Match[str]) -> str:
    letter, word = match.group(1), match.group(2)
    return letter.upper() if word[0].lower() == letter.lower() else match.group()


def spelled_letters(text: str) -> str:
    """``text`` with letters said by a word written as the letter: "B as in bravo, nine"
    -> "B, nine", "delta tango 4" -> "D T 4", "X-ray" -> "X"."""
    text = _LETTER_AS_IN.sub(_letter_as_in, text)
    text = re.sub(r"\bx-ray\b", "X", text, flags=re.IGNORECASE)
    return _TOKEN.sub(lambda m: SPELLING_WORDS.get(m.group().lower(), m.group()), text)


#: The languages whose number words :func:`said_numbers` reads.
NUMBER_LANGUAGES = ("en", "es", "fr", "de")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
#: "nine and a half", "nueve y media", "neuf et demi", "neun einhalb".
_AND_A_HALF = re.compile(
    r"(\d+)\s*(?:and a half|y media|y medio|et demie?|einhalb|½)", re.IGNORECASE
)
#: Articles that say "one" ("a table", "una mesa", "une table", "ein Tisch").
_ONE_ARTICLES = frozenset("a an un una une ein eine einen einem einer".split())


def said_numbers(text: str, *, articles: bool = True) -> set[float]:
    """The numbers ``text`` says, as digits or as words (en, es, fr, de: "twenty two",
    "veintidós", "vingt-deux", "zweiundzwanzig", "nine and a half"); "1,200" is read
    both as 1200 and as 1.2, and (with ``articles``) an article ("a table") as one.

    >>> sorted(said_numbers("A table, size nine and a half, 1,200 euros"))
    [1.0, 1.2, 9.0, 9.5, 200.0, 1200.0]
    """
    from text_to_num import alpha2digit

    readings = {digits_in_words(text)}
    for language in NUMBER_LANGUAGES:
        readings.add(alpha2digit(text, language, threshold=0))
    found: set[float] = set()
    for reading in readings:
        for match in _NUMBER.finditer(reading):
            number = match.group()
            found.add(float(re.sub(r"[.,]", "", number)))  # 1,200 as twelve hundred
            parts = re.split(r"[.,]", number)
            if len(parts) == 2:  # 1,5 or 1.5 as one and a half
                found.add(float(f"{parts[0]}.{parts[1]}"))
            found.update(float(p) for p in parts)
        found.update(float(m.group(1)) + 0.5 for m in _AND_A_HALF.finditer(reading))
    if articles and _ONE_ARTICLES & {w.lower() for w in re.findall(r"[^\W\d_]+", text)}:
        found.add(1.0)
    return found
