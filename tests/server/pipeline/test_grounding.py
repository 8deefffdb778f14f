from __future__ import annotations

import pytest

from nur_notebook.server.pipeline.base import Message, ToolCallDecision, ToolSpec
from nur_notebook.server.pipeline.grounding import (
    repeats_a_call,
    ungrounded_arguments,
    without_unsaid_options,
)


def _strings(name: str, required: str, *optional: str) -> ToolSpec:
    """A tool of string parameters: ``required``, then the ``optional`` ones."""
    parameters: dict[str, dict[str, object]] = {required: {"type": "string", "required": True}}
    parameters.update({key: {"type": "string"} for key in optional})
    return ToolSpec(name, f"The {name} tool", parameters)


def test_ids_nobody_said_are_ungrounded() -> None:
    call = ToolCallDecision("lookup_order", {"order_id": "12345"})
    asked = [Message("user", "Where is my order?")]
    assert ungrounded_arguments(call, asked) == ["order_id"]
    said = [Message("user", "Where is my order? It's 1 2 3 4 5.")]
    assert ungrounded_arguments(call, said) == []


def test_ids_from_tool_results_count_and_case_and_punctuation_do_not() -> None:
    call = ToolCallDecision("track", {"parcel": "DHL-77a", "order_id": "A-77"})
    history = [
        Message("user", "what about order a 77"),
        Message("tool_result", name="lookup_order", content='{"parcel": "dhl 77A"}'),
    ]
    assert ungrounded_arguments(call, history) == []


def test_a_name_counts_as_said_in_the_users_words_or_in_another_language() -> None:
    call = ToolCallDecision("find_store", {"city": "Munich"})
    assert ungrounded_arguments(call, [Message("user", "Any shop in München?")]) == []
    for said in ("Weather in London?", "¿Qué tiempo hace en Londres?", "Il pleut à Londres ?"):
        london = ToolCallDecision("weather", {"city": "London"})
        assert ungrounded_arguments(london, [Message("user", said)]) == [], said
    york = ToolCallDecision("weather", {"city": "New York"})
    for said in ("¿Llueve en Nueva York?", "Is it cold in NYC right now?"):
        assert ungrounded_arguments(york, [Message("user", said)]) == [], said
    assert ungrounded_arguments(york, [Message("user", "Cold in Boston?")]) == ["city"]
    # Made up: a place nobody named, a code made of words.
    guessed = [Message("user", "What's the weather going to be like?")]
    assert ungrounded_arguments(ToolCallDecision("weather", {"city": "London"}), guessed) == [
        "city"
    ]
    greece = [Message("user", "What's the best time of year to visit Greece?")]
    assert ungrounded_arguments(ToolCallDecision("weather", {"city": "Athens"}), greece) == ["city"]
    visa = ToolCallDecision("get_booking", {"reference": "JPN_VISA"})
    assert ungrounded_arguments(visa, [Message("user", "Do I need a visa for Japan?")]) == [
        "reference"
    ]
    # Text that is not a name is not checked: the model may rightly rephrase it.
    ticket = ToolCallDecision("open_ticket", {"summary": "Laptop does not boot"})
    assert ungrounded_arguments(ticket, [Message("user", "Mein Rechner startet nicht")]) == []


def test_names_in_the_agents_prompt_and_options_of_the_tool_count_as_said() -> None:
    here = ToolCallDecision("weather", {"city": "Lisbon"})
    asked = [Message("user", "Will it rain here today?")]
    assert ungrounded_arguments(here, asked) == ["city"]
    assert ungrounded_arguments(here, asked, known="You are the Harbor Hotel in Lisbon.") == []
    account = ToolCallDecision("get_balance", {"account_number": "4471"})
    mine = [Message("user", "What's my balance?")]
    assert ungrounded_arguments(account, mine, known="The caller's account is 4471.") == []
    seat = ToolCallDecision("book_seat", {"cabin": "Economy"})
    tools = [ToolSpec("book_seat", "", {"cabin": {"type": "string", "enum": ["Economy"]}})]
    cheap = [Message("user", "The cheapest seat, please.")]
    assert ungrounded_arguments(seat, cheap) == ["cabin"]
    assert ungrounded_arguments(seat, cheap, tools=tools) == []  # the grammar keeps to them


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("Set the heating to 21 degrees", 21),
        ("Set the heating to twenty one degrees", 21),
        ("Pon la calefacción a veintidós grados", 22),
        ("Mets le chauffage à vingt-deux degrés", 22),
        ("Stell die Heizung auf zweiundzwanzig Grad", 22),
        ("A table for two, please", 2),
        ("Une table pour deux", 2),
        ("I take size nine and a half", 9.5),
        ("Send 1,200 euros", 1200),
        ("Book a room", 1),
    ],
)
def test_a_number_said_in_digits_or_words_is_grounded(said: str, value: float) -> None:
    call = ToolCallDecision("act", {"amount": value})
    assert ungrounded_arguments(call, [Message("user", said)]) == []


def test_a_number_nobody_said_is_ungrounded() -> None:
    home = [Message("user", "What can you do?")]
    assert ungrounded_arguments(ToolCallDecision("set_temperature", {"degrees": 22}), home) == [
        "degrees"
    ]
    table = [Message("user", "Book me a table for Saturday")]
    assert ungrounded_arguments(ToolCallDecision("book", {"people": 4}), table) == ["people"]
    # A number from an earlier tool result counts, as an ID does.
    paid = [*home, Message("tool_result", name="balance", content='{"balance": 310.5}')]
    assert ungrounded_arguments(ToolCallDecision("pay", {"amount": 310.5}), paid) == []
    # A boolean is not a number a user says.
    assert ungrounded_arguments(ToolCallDecision("lights", {"on": True}), home) == []


def test_the_agent_saying_an_id_does_not_ground_it() -> None:
    call = ToolCallDecision("lookup_order", {"order_id": "12345"})
    history = [Message("user", "Where is my order?"), Message("agent", "Is it order 12345?")]
    assert ungrounded_arguments(call, history) == ["order_id"]


def test_digit_words_and_whisper_digits_ground_an_id() -> None:
    call = ToolCallDecision("lookup_order", {"order_id": "447"})
    assert ungrounded_arguments(call, [Message("user", "where is order four four seven?")]) == []
    assert ungrounded_arguments(call, [Message("user", "pedido cuatro cuatro siete")]) == []
    assert ungrounded_arguments(call, [Message("user", "where is my order?")]) == ["order_id"]


def test_letters_said_by_a_word_ground_a_code() -> None:
    call = ToolCallDecision("get_booking", {"reference": "B9X4"})
    for said in (
        "Pull up reservation B as in bravo, nine, X, four.",
        "booking bravo nine x-ray four",
        "la reserva B de Barcelona, nueve, X, cuatro",
        "Buchung B wie Berta neun X vier",
    ):
        assert ungrounded_arguments(call, [Message("user", said)]) == [], said
    # A word of another initial spells nothing, and the code must still be all there.
    assert ungrounded_arguments(call, [Message("user", "B as in apple, nine, X, four")]) == [
        "reference"
    ]
    assert ungrounded_arguments(call, [Message("user", "bravo nine four")]) == ["reference"]


def test_a_day_in_words_counts_as_said_only_after_words_that_say_when() -> None:
    fitting = ToolCallDecision("book_fitting", {"day": "Friday"})
    assert ungrounded_arguments(fitting, [Message("user", "Can I book a fitting?")]) == ["day"]
    said_when = ("A fitting on Friday, please.", "Tomorrow, please.", "Mañana por la tarde",
                 "Are you open on Fridays?")  # fmt: skip
    for said in said_when:
        assert ungrounded_arguments(fitting, [Message("user", said)]) == [], said
    later = ToolCallDecision("book_fitting", {"day": "next Monday"})
    assert ungrounded_arguments(later, [Message("user", "I'd like a fitting")]) == ["day"]
    # A name is not a day: it counts as said when it was said, whoever said when.
    shop = ToolCallDecision("find_store", {"city": "Sunday River"})
    assert ungrounded_arguments(shop, [Message("user", "Any shop at Sunday River?")]) == []
    assert ungrounded_arguments(shop, [Message("user", "Any shop near the ski resort?")]) == [
        "city"
    ]


def test_a_span_of_days_does_not_say_which_day() -> None:
    weather = _strings("weather_forecast", "city", "date")
    guessed = ToolCallDecision("weather_forecast", {"city": "Rome", "date": "2026-12-02"})
    for said in ("I'm in Rome next week, will it rain?", "¿Lloverá en Roma la próxima semana?"):
        kept = without_unsaid_options(guessed, tools=[weather], history=[Message("user", said)])
        assert kept.arguments == {"city": "Rome"}, said
    friday = [Message("user", "Will it rain in Rome next Friday?")]
    assert without_unsaid_options(guessed, tools=[weather], history=friday) == guessed
    listing = ToolCallDecision("list_events", {"date": "2026-12-08"})
    assert ungrounded_arguments(listing, [Message("user", "What's on next week?")]) == ["date"]


def test_the_whole_turn_copied_into_an_option_is_dropped() -> None:
    cancel = _strings("cancel_order", "order_id", "reason")
    turn = "I changed my mind about order 44120, I don't want it anymore."
    copied = ToolCallDecision("cancel_order", {"order_id": "44120", "reason": turn})
    kept = without_unsaid_options(copied, tools=[cancel], history=[Message("user", turn)])
    assert kept.arguments == {"order_id": "44120"}
    given = ToolCallDecision("cancel_order", {"order_id": "44120", "reason": "it arrived too late"})
    said = [Message("user", "Cancel order 44120 please, the reason: it arrived too late.")]
    assert without_unsaid_options(given, tools=[cancel], history=said) == given


def test_dates_and_times_count_as_said_only_after_words_that_say_when() -> None:
    book = ToolCallDecision("book_table", {"date": "2026-12-02", "time": "19:30"})
    assert ungrounded_arguments(book, [Message("user", "tomorrow at half past seven")]) == []
    assert ungrounded_arguments(book, [Message("user", "a table please")]) == ["date", "time"]


def test_optional_values_nobody_said_are_dropped() -> None:
    tool = ToolSpec(
        "block_card",
        "Block a card",
        {"last_four": {"type": "string", "required": True},
         "reason": {"type": "string", "enum": ["lost", "stolen"]},
         "days": {"type": "integer"}},
    )  # fmt: skip
    guess = ToolCallDecision("block_card", {"last_four": "4417", "reason": "lost", "days": 7})
    plain = [Message("user", "Block my card ending 4417.")]
    assert without_unsaid_options(guess, tools=[tool], history=plain).arguments == {
        "last_four": "4417"
    }
    told = [Message("user", "Someone stole my card 4417, block it for seven days.")]
    kept = ToolCallDecision("block_card", {"last_four": "4417", "reason": "stolen", "days": 7})
    assert without_unsaid_options(kept, tools=[tool], history=told) == kept


def test_optional_times_worked_out_from_what_was_said_are_kept() -> None:
    tool = _strings("create_event", "title", "time")
    call = ToolCallDecision("create_event", {"title": "Dentist", "time": "15:00"})
    told = [Message("user", "Dentist tomorrow at 3 pm.")]
    assert without_unsaid_options(call, tools=[tool], history=told) == call
    untold = [Message("user", "Add the dentist.")]
    assert without_unsaid_options(call, tools=[tool], history=untold).arguments == {
        "title": "Dentist"
    }


def test_a_time_counts_as_said_only_when_its_hour_was_said() -> None:
    book = ToolCallDecision("book_table", {"time": "18:00"})
    assert ungrounded_arguments(book, [Message("user", "A table for Saturday.")]) == ["time"]
    for said in ("Saturday at 6 pm", "tonight at six", "at a quarter to seven", "18:00 please"):
        assert ungrounded_arguments(book, [Message("user", said)]) == [], said
    noon = ToolCallDecision("book_table", {"time": "12:00"})
    assert ungrounded_arguments(noon, [Message("user", "mañana a mediodía")]) == []
    assert ungrounded_arguments(noon, [Message("user", "morgen um zwölf")]) == []


def test_one_said_number_does_not_fill_two_arguments() -> None:
    same = ToolCallDecision("transfer", {"from_account": "4455", "to_account": "4455"})
    said_once = [Message("user", "Send 200 dollars to account 4455.")]
    assert ungrounded_arguments(same, said_once) == ["to_account"]
    said_twice = [Message("user", "Move 5 from 4455 back into 4455, as a test.")]
    assert ungrounded_arguments(same, said_twice) == []


def test_an_optional_text_is_kept_only_when_most_of_it_was_said() -> None:
    tool = _strings("cancel_order", "order_id", "reason")
    told = [Message("user", "Cancel order 30550, it was a duplicate order.")]
    made_up = ToolCallDecision(
        "cancel_order", {"order_id": "30550", "reason": "customer requested cancellation"}
    )
    assert without_unsaid_options(made_up, tools=[tool], history=told).arguments == {
        "order_id": "30550"
    }
    said = ToolCallDecision("cancel_order", {"order_id": "30550", "reason": "duplicate order"})
    assert without_unsaid_options(said, tools=[tool], history=told) == said


def test_an_optional_time_nobody_said_is_dropped_even_with_a_date() -> None:
    tool = _strings("create_event", "title", "date", "time")
    call = ToolCallDecision(
        "create_event", {"title": "Yoga", "date": "2026-12-20", "time": "10:00"}
    )
    history = [Message("user", "Put yoga on my calendar for December 20.")]
    assert without_unsaid_options(call, tools=[tool], history=history).arguments == {
        "title": "Yoga",
        "date": "2026-12-20",
    }


def test_a_date_needs_a_word_that_says_when_or_its_day_not_any_number() -> None:
    call = ToolCallDecision("weather", {"city": "Frankfurt", "date": "2026-12-01"})
    flight = [
        Message("user", "Is flight LH 902 on time?"),
        Message("user", "Weather in Frankfurt?"),
    ]
    assert ungrounded_arguments(call, flight) == ["date"]
    assert ungrounded_arguments(call, [Message("user", "Weather in Frankfurt today?")]) == []
    assert ungrounded_arguments(call, [Message("user", "Frankfurt, on the 1st, please")]) == []


def test_the_same_call_again_after_its_result_is_a_repeat() -> None:
    call = ToolCallDecision("lookup_order", {"order_id": "777"})
    asked = [Message("user", "What is the status of order 777?")]
    ran = [
        *asked,
        Message("tool_call", name="lookup_order", arguments={"order_id": "777"}),
        Message("tool_result", '{"status": "shipped"}', name="lookup_order"),
    ]
    assert not repeats_a_call(call, asked)
    assert repeats_a_call(call, ran)
    assert not repeats_a_call(ToolCallDecision("lookup_order", {"order_id": "778"}), ran)
    assert not repeats_a_call(call, [*ran, Message("user", "And check it again, please.")])


@pytest.mark.parametrize(
    ("follow_up", "repeat"),
    [
        ("When will it arrive then?", True),
        ("¿Y cuándo llega?", True),
        ("Is it still in the warehouse?", False),
        ("What about now?", False),
        ("Kannst du nochmal nachsehen?", False),
        ("Tu peux vérifier encore une fois ?", False),
    ],
)
def test_the_same_call_in_the_next_turn_is_a_repeat_unless_asked_again(
    follow_up: str, repeat: bool
) -> None:
    call = ToolCallDecision("lookup_order", {"order_id": "777"})
    ran = [
        Message("user", "What is the status of order 777?"),
        Message("tool_call", name="lookup_order", arguments={"order_id": "777"}),
        Message("tool_result", '{"status": "shipped", "eta": "Friday"}', name="lookup_order"),
        Message("agent", "It has shipped and arrives on Friday."),
    ]
    assert repeats_a_call(call, [*ran, Message("user", follow_up)]) is repeat
    # Two turns later the result may be stale: call again.
    later = [*ran, Message("user", "Thanks."), Message("agent", "You're welcome.")]
    assert not repeats_a_call(call, [*later, Message("user", follow_up)])


def test_an_email_nobody_said_is_ungrounded() -> None:
    call = ToolCallDecision("reset_password", {"email": "example@example.com"})
    assert ungrounded_arguments(call, [Message("user", "I need to reset my password.")]) == [
        "email"
    ]
    said = [Message("user", "Reset it for example@example.com please")]
    assert ungrounded_arguments(call, said) == []


def test_an_optional_number_said_in_words_is_kept() -> None:
    tools = [
        ToolSpec(
            "book_table",
            "Book a table",
            {
                "day": {"type": "string", "required": True},
                "people": {"type": "integer"},
                "high_chairs": {"type": "integer"},
            },
        )
    ]
    call = ToolCallDecision("book_table", {"day": "Friday", "people": 22, "high_chairs": 1})
    said = [Message("user", "Friday, for twenty two people, a table by the window")]
    kept = without_unsaid_options(call, tools=tools, history=said)
    assert kept.arguments == {"day": "Friday", "people": 22}
