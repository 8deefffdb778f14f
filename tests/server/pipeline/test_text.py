from __future__ import annotations

import pytest

from nur_notebook.server.pipeline.text import (
    SentenceSplitter,
    digits_in_words,
    normalize_digits,
    normalize_transcript,
    split_sentences,
    spoken_code,
)


def test_streaming_split_keeps_the_unfinished_rest() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there.") == []  # no space after the period yet
    assert splitter.feed(" How are you") == ["Hello there."]
    assert splitter.feed("? I") == ["How are you?"]
    assert splitter.pending == "I"
    assert splitter.feed(" am fine") == []
    assert splitter.flush() == "I am fine"
    assert splitter.flush() is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith will call. Bye!", ["Dr. Smith will call.", "Bye!"]),
        ("It costs 3.5 dollars. Thanks.", ["It costs 3.5 dollars.", "Thanks."]),
        (
            "Order No. 12345 shipped. It arrives soon.",
            ["Order No. 12345 shipped.", "It arrives soon."],
        ),
        ("Ask J. Smith first. Then me.", ["Ask J. Smith first.", "Then me."]),
        ("Wait... what? Really!", ["Wait...", "what?", "Really!"]),
        ("One line\nanother line", ["One line", "another line"]),
        ('He said "yes." Then left.', ['He said "yes."', "Then left."]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_fed_one_character_at_a_time_matches_whole_text() -> None:
    text = "Your order 12345 shipped on Jan. 3 at 2.30 pm. Mr. Lee signed for it! Anything else?"
    splitter = SentenceSplitter()
    pieces: list[str] = []
    for char in text:
        pieces.extend(splitter.feed(char))
    last = splitter.flush()
    assert [*pieces, *([last] if last else [])] == split_sentences(text)
    assert len(pieces) + (1 if last else 0) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where is my order 1, 2, 3, 4, 5?", "Where is my order 12345?"),
        ("order 1 2 3 4 5", "order 12345"),
        ("call 5-5-5-0-1-9-9", "call 5550199"),
        ("it is one two three four five", "it is 12345"),
        ("I want 2, 3 apples", "I want 2, 3 apples"),
        ("prices 3.5, 4.5 and 6", "prices 3.5, 4.5 and 6"),
        ("version 1.2.3", "version 1.2.3"),
        ("order 12345", "order 12345"),
    ],
)
def test_digit_lists_become_numbers(text: str, expected: str) -> None:
    assert normalize_digits(text) == expected


def test_transcript_normalisation_trims_and_collapses_spaces() -> None:
    assert normalize_transcript("  where is   my order 4, 4, 2, 1, 0?  ") == (
        "where is my order 44210?"
    )


def _stream(splitter: SentenceSplitter, text: str) -> list[str]:
    """Feed ``text`` in small pieces, as a model streams it; every chunk spoken, in order."""
    out: list[str] = []
    for i in range(0, len(text), 3):
        out += splitter.feed(text[i : i + 3])
    last = splitter.flush()
    return [*out, last] if last else out


def test_the_first_clause_is_spoken_once_it_has_a_few_words() -> None:
    splitter = SentenceSplitter(min_chars=12, first_clause_words=3)
    chunks = _stream(splitter, "Our shop opens at nine, and it closes at six, every day. See you!")
    # Only the first clause is cut; the rest goes by whole sentences.
    assert chunks == ["Our shop opens at nine,", "and it closes at six, every day.", "See you!"]


def test_a_first_clause_of_too_few_words_waits_for_more() -> None:
    splitter = SentenceSplitter(min_chars=4, first_clause_words=3)
    assert splitter.feed("Sure, ") == []  # one word: too short to say alone
    assert splitter.feed("I can do that, ") == ["Sure, I can do that,"]
    assert splitter.feed("no problem. ") == ["no problem."]


def test_a_comma_inside_a_number_is_no_clause_boundary() -> None:
    splitter = SentenceSplitter(min_chars=4, first_clause_words=2)
    assert splitter.feed("It costs 1,500 euros") == []
    assert splitter.feed(" in total; shall I book it?") == ["It costs 1,500 euros in total;"]


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("K seven Q two", "K7Q2"),
        ("four four seven", "447"),
        ("U A 2 2 5", "UA225"),
        ("five five five, two eight one nine", "5552819"),
        ("one oh five eight", "1058"),
        ("cuatro cuatro siete", "447"),
    ],
)
def test_codes_said_one_character_at_a_time_are_written_as_codes(said: str, code: str) -> None:
    assert spoken_code(said) == code


@pytest.mark.parametrize(
    "value", ["Lunch with two friends", "one", "A B", "jane.doe@acme.com", "B as in bravo, nine"]
)
def test_other_values_are_left_alone(value: str) -> None:
    assert spoken_code(value) == value


def test_digit_words_become_digits_only_as_whole_words() -> None:
    assert digits_in_words("someone said vier zwei and deux") == "someone said 4 2 and 2"
