"""The responder's sentence splitting: the pipeline's splitter with its streaming settings."""

from __future__ import annotations

from machine_script import Script

from nur_notebook.server.pipeline.text import SentenceSplitter
from nur_notebook.server.realtime import machine_io as io


def responder_splitter() -> SentenceSplitter:
    return SentenceSplitter(min_chars=12, first_clause_chars=60)


def split_stream(pieces: list[str]) -> list[str]:
    splitter = responder_splitter()
    out: list[str] = []
    for piece in pieces:
        out += splitter.feed(piece)
    last = splitter.flush()
    return [*out, last] if last else out


def test_sentences_come_out_as_soon_as_they_end() -> None:
    splitter = responder_splitter()
    assert splitter.feed("Your order 12345 has ") == []
    assert splitter.feed("shipped. It should") == ["Your order 12345 has shipped."]
    assert splitter.feed(" arrive on Friday!") == []
    assert splitter.flush() == "It should arrive on Friday!"
    assert splitter.flush() is None


def test_numbers_and_abbreviations_do_not_split() -> None:
    text = "The total is 3.50 dollars for Mr. Smith today. Thanks for waiting."
    assert split_stream(list(text)) == [
        "The total is 3.50 dollars for Mr. Smith today.",
        "Thanks for waiting.",
    ]


def test_tiny_fragments_join_the_next_sentence() -> None:
    assert split_stream(["Ok. ", "Let me check that order for you."]) == [
        "Ok. Let me check that order for you."
    ]


def test_a_long_first_clause_is_cut_at_a_comma() -> None:
    first = "Thanks for calling about the order you placed last week with us, "
    out = split_stream([first, "I can see it left our warehouse this morning"])
    assert out[0] == first.strip()
    assert len(out) == 2


def test_only_the_first_clause_is_cut() -> None:
    rest = "It left our warehouse this morning, with the courier, and arrives on Friday"
    assert split_stream(["Your order has shipped. ", rest]) == ["Your order has shipped.", rest]


def test_without_the_option_commas_never_cut() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("a, " * 50) == []


def test_a_reply_speaks_its_first_clause_before_the_sentence_ends() -> None:
    script = Script()
    script.say("When are you open?")
    script.brain("Our shop opens at nine, ", "and it closes", done=False)
    # The clause went to the speaker while the sentence was still being written.
    assert [c.text for c in script.of(io.Speak)] == ["Our shop opens at nine,"]
