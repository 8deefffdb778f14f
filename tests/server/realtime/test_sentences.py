from __future__ import annotations

from nur_notebook.server.realtime.sentences import SentenceSplitter


def split_stream(pieces: list[str]) -> list[str]:
    splitter = SentenceSplitter()
    out: list[str] = []
    for piece in pieces:
        out += splitter.feed(piece)
    return out + splitter.flush()


def test_sentences_come_out_as_soon_as_they_end() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Your order 12345 has ") == []
    assert splitter.feed("shipped. It should") == ["Your order 12345 has shipped."]
    assert splitter.feed(" arrive on Friday!") == []
    assert splitter.flush() == ["It should arrive on Friday!"]
    assert splitter.flush() == []


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
