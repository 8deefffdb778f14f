# One case per line reads as a table; wrapping them would hide that.
# ruff: noqa: E501
"""The cases of bench/tool_decisions.py: seven tool sets and typed requests against them.

None of these tool sets is used by the tests. Each case is one user turn (with earlier
turns for follow-ups) and the first tool call expected, or ``None`` when the agent must
answer itself (small talk, general questions, a required value nobody said).
Expected argument values are matched loosely (see ``tool_decisions.matches``):
strings without case, spaces or punctuation; :class:`OneOf` any of several;
:class:`Has` a free-text value containing some words; numbers by value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from nur_notebook.server.pipeline.base import Message, ToolSpec


@dataclass(frozen=True)
class OneOf:
    """Any one of these values is right (a date said relatively: the word or the date)."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Has:
    """A free-text value (a title, a subject) that must contain each of these words."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """One typed request and the first call it should lead to (None: no call)."""

    tools: str
    category: str
    text: str
    expected: tuple[str, dict[str, Any]] | None
    language: str = "en"
    before: tuple[Message, ...] = field(default_factory=tuple)


def _p(kind: str, description: str, *, required: bool = True, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "required": required, "description": description, **extra}


def _t(name: str, description: str, **params: dict[str, Any]) -> ToolSpec:
    return ToolSpec(name, description, params)


TOOLSETS: dict[str, tuple[str, list[ToolSpec]]] = {
    "banking": (
        "You are the phone assistant of Northwind Bank. Help customers with their accounts.",
        [
            _t("get_balance", "Get the current balance of a bank account",
               account_number=_p("string", "The account number")),
            _t("list_transactions", "List the recent transactions of an account",
               account_number=_p("string", "The account number"),
               days=_p("integer", "How many days back to look", required=False)),
            _t("transfer_money", "Move money between two accounts",
               from_account=_p("string", "Account number to take the money from"),
               to_account=_p("string", "Account number to send the money to"),
               amount=_p("number", "Amount in dollars")),
            _t("block_card", "Block a payment card",
               card_last_four=_p("string", "Last four digits of the card"),
               reason=_p("string", "Why", required=False, enum=["lost", "stolen", "damaged"])),
        ],
    ),
    "retail": (
        "You are the customer service voice agent of an online shop selling home goods.",
        [
            _t("track_order", "Find where an order is and when it arrives",
               order_id=_p("string", "The order number")),
            _t("cancel_order", "Cancel an order that has not shipped",
               order_id=_p("string", "The order number"),
               reason=_p("string", "The customer's reason", required=False)),
            _t("check_stock", "Check whether a product is in stock",
               product=_p("string", "Product name"),
               city=_p("string", "City of the store to check", required=False)),
        ],
    ),
    "calendar": (
        "You are a personal scheduling assistant that manages the user's calendar.",
        [
            _t("create_event", "Put a new event in the calendar",
               title=_p("string", "Short title of the event"),
               date=_p("string", "Day of the event"),
               time=_p("string", "Start time", required=False)),
            _t("list_events", "List the events of a day", date=_p("string", "The day")),
            _t("delete_event", "Remove an event by its ID",
               event_id=_p("string", "The event ID")),
        ],
    ),
    "home": (
        "You control the user's smart home. Be quick and friendly.",
        [
            _t("set_temperature", "Set the thermostat",
               degrees=_p("number", "Target temperature in Celsius"),
               room=_p("string", "Which room", required=False)),
            _t("switch_lights", "Turn the lights of a room on or off",
               room=_p("string", "The room"),
               on=_p("boolean", "True to turn them on, false for off")),
            _t("lock_door", "Lock a door",
               door=_p("string", "Which door", enum=["front", "back", "garage"])),
        ],
    ),
    "support": (
        "You are the IT help desk agent of Acme Corp. Help employees with their problems.",
        [
            _t("open_ticket", "Open a support ticket",
               summary=_p("string", "One-line summary of the problem"),
               priority=_p("string", "Urgency", required=False, enum=["low", "normal", "high"])),
            _t("ticket_status", "Get the status of a ticket", ticket_id=_p("string", "Ticket ID")),
            _t("reset_password", "Send a password reset link",
               email=_p("string", "The employee's email address")),
        ],
    ),
    "travel": (
        "You are a travel desk agent. You help travellers with bookings, flights and weather.",
        [
            _t("get_booking", "Look up a booking by its reference",
               reference=_p("string", "Booking reference")),
            _t("flight_status", "Get the status of a flight",
               flight_number=_p("string", "Flight number")),
            _t("weather_forecast", "Weather forecast for a city",
               city=_p("string", "The city"),
               date=_p("string", "Day of the forecast", required=False)),
        ],
    ),
    "restaurant": (
        "You take phone reservations for Trattoria Verde, an Italian restaurant.",
        [
            _t("reserve_table", "Reserve a table",
               party_size=_p("integer", "Number of guests"),
               date=_p("string", "Day of the reservation"),
               time=_p("string", "Time of the reservation")),
            _t("find_reservation", "Find a reservation by the guest's phone number",
               phone=_p("string", "Phone number")),
        ],
    ),
}  # fmt: skip

TODAY = dt.date.today()


def day(offset: int) -> OneOf:
    """A relative day: the words a person says for it, or the ISO date."""
    date = TODAY + dt.timedelta(days=offset)
    words = {0: ("today",), 1: ("tomorrow",), 2: ("day after tomorrow",)}.get(offset, ())
    return OneOf((*words, date.isoformat(), date.strftime("%A"), date.strftime("%A").lower()))


def next_weekday(name: str) -> OneOf:
    """The next ``name`` day after today, as the word (maybe with "next") or the date."""
    target = [d.lower() for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                  "Saturday", "Sunday")].index(name)  # fmt: skip
    ahead = (target - TODAY.weekday()) % 7 or 7
    date = TODAY + dt.timedelta(days=ahead)
    return OneOf((name, f"next {name}", f"this {name}", date.isoformat()))


def _hours(hour: int, minute: int = 0) -> OneOf:
    h12 = hour % 12 or 12
    suffix = "pm" if hour >= 12 else "am"
    mm = f"{minute:02d}"
    return OneOf((f"{hour:02d}:{mm}", f"{hour}:{mm}", f"{h12}:{mm} {suffix}", f"{h12}{suffix}",
                  f"{h12} {suffix}", f"{h12}:{mm}{suffix}", f"{hour:02d}:{mm}:00"))  # fmt: skip


def _call(name: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    return (name, arguments)


def _after(user: str, name: str, arguments: dict[str, Any], result: str) -> tuple[Message, ...]:
    return (
        Message("user", user),
        Message("tool_call", name=name, arguments=arguments),
        Message("tool_result", result, name=name),
    )


def _c(tools: str, category: str, text: str, expected: Any, **kw: Any) -> Case:
    return Case(tools, category, text, expected, **kw)


_BAL = _after("What's the balance of account 7731?", "get_balance", {"account_number": "7731"},
              '{"balance": 1520.75, "currency": "USD"}')  # fmt: skip
_ORDER = _after("Where is order 55810?", "track_order", {"order_id": "55810"},
                '{"status": "shipped", "eta": "Thursday"}')  # fmt: skip
_FLIGHT = _after("Is flight LH 902 on time?", "flight_status", {"flight_number": "LH902"},
                 '{"status": "delayed", "new_departure": "18:40"}')  # fmt: skip
_TICKET = _after("What's the status of ticket 4410?", "ticket_status", {"ticket_id": "4410"},
                 '{"status": "waiting for parts"}')  # fmt: skip
_EVENTS = _after("What's on my calendar today?", "list_events", {"date": "today"},
                 '{"events": [{"id": "ev-31", "title": "Dentist", "time": "15:00"}]}')  # fmt: skip

# fmt: off
CASES: list[Case] = [
    # plain: the request names the tool's job and every value
    _c("banking", "plain", "What is the balance of account 447?", _call("get_balance", account_number="447")),
    _c("retail", "plain", "Where is my order 88213?", _call("track_order", order_id="88213")),
    _c("travel", "plain", "What's the weather in Lisbon?", _call("weather_forecast", city="Lisbon")),
    _c("travel", "plain", "What's the status of flight BA 117?", _call("flight_status", flight_number="BA117")),
    _c("support", "plain", "Please reset the password for jane.doe@acme.com", _call("reset_password", email="jane.doe@acme.com")),
    _c("home", "plain", "Lock the front door.", _call("lock_door", door="front")),
    _c("calendar", "plain", "Delete event ev-2291 from my calendar.", _call("delete_event", event_id="ev-2291")),
    _c("restaurant", "plain", "Can you find my reservation? My number is 555 0142.", _call("find_reservation", phone=OneOf(("5550142", "555 0142", "555-0142")))),
    _c("support", "plain", "Check the status of ticket 90321.", _call("ticket_status", ticket_id="90321")),
    _c("travel", "plain", "Look up booking XK4P9 please.", _call("get_booking", reference="XK4P9")),
    _c("retail", "plain", "Do you have the linen duvet cover in stock?", _call("check_stock", product=Has(("linen", "duvet")))),
    _c("home", "plain", "Turn off the kitchen lights.", _call("switch_lights", room="kitchen", on=False)),
    _c("banking", "plain", "Show me the recent transactions on account 10293.", _call("list_transactions", account_number="10293")),
    # paraphrase: the job said in other words, the value inside a longer sentence
    _c("travel", "paraphrase", "I'm flying to Rome next week, do I need to pack an umbrella there?", _call("weather_forecast", city="Rome")),
    _c("travel", "paraphrase", "Hi, I booked a trip with you and the confirmation code is QZ7TR, can you pull it up?", _call("get_booking", reference="QZ7TR")),
    _c("travel", "paraphrase", "My husband is on AF 1380 and I want to know if it left on time.", _call("flight_status", flight_number="AF1380")),
    _c("banking", "paraphrase", "How much money do I have left in 30418?", _call("get_balance", account_number="30418")),
    _c("retail", "paraphrase", "I ordered a lamp last week, number 71002, and it still hasn't shown up.", _call("track_order", order_id="71002")),
    _c("home", "paraphrase", "It's freezing in here, make it 23 degrees.", _call("set_temperature", degrees=23)),
    _c("support", "paraphrase", "I can't log in anymore, my email is raj.patel@acme.com, can you help me get back in?", _call("reset_password", email="raj.patel@acme.com")),
    _c("home", "paraphrase", "Nobody's in the bedroom, kill the lights there.", _call("switch_lights", room="bedroom", on=False)),
    _c("banking", "paraphrase", "Someone stole my wallet. The card ends in 8812, stop it now.", _call("block_card", card_last_four="8812", reason=OneOf(("stolen",)))),
    _c("support", "paraphrase", "Any news on my ticket 30077? It's been days.", _call("ticket_status", ticket_id="30077")),
    _c("travel", "paraphrase", "Will it be sunny in Barcelona?", _call("weather_forecast", city="Barcelona")),
    _c("retail", "paraphrase", "I changed my mind about order 44120, I don't want it anymore.", _call("cancel_order", order_id="44120")),
    # multi: two or three arguments in one request
    _c("banking", "multi", "Transfer 250 dollars from account 1122 to account 3344.", _call("transfer_money", from_account="1122", to_account="3344", amount=250)),
    _c("restaurant", "multi", "A table for four on Friday at 8 pm, please.", _call("reserve_table", party_size=4, date=next_weekday("friday"), time=_hours(20))),
    _c("home", "multi", "Set the living room to 21 degrees.", _call("set_temperature", degrees=21, room="living room")),
    _c("home", "multi", "Switch on the lights in the garage.", _call("switch_lights", room="garage", on=True)),
    _c("banking", "multi", "Please send 75.50 from 9001 to 9002.", _call("transfer_money", from_account="9001", to_account="9002", amount=75.5)),
    _c("calendar", "multi", "Add a meeting with Priya on December 12 at 10 am.", _call("create_event", title=Has(("priya",)), date=OneOf(("December 12", "12 December", "Dec 12", f"{TODAY.year}-12-12", "2026-12-12", "12/12")), time=_hours(10))),
    _c("restaurant", "multi", "Could I book for 2 people on Saturday at 7:30 pm?", _call("reserve_table", party_size=2, date=next_weekday("saturday"), time=_hours(19, 30))),
    _c("support", "multi", "Open a high priority ticket: the VPN keeps disconnecting.", _call("open_ticket", summary=Has(("vpn",)), priority="high")),
    _c("banking", "multi", "Move 1000 from my savings 5566 into checking 7788.", _call("transfer_money", from_account="5566", to_account="7788", amount=1000)),
    _c("retail", "multi", "Cancel order 66021 because it was a duplicate.", _call("cancel_order", order_id="66021", reason=Has(("duplicate",)))),
    # optional: an optional argument said, or rightly left out
    _c("banking", "optional", "List transactions for account 2048 over the last 30 days.", _call("list_transactions", account_number="2048", days=30)),
    _c("retail", "optional", "Is the oak side table in stock at your Denver store?", _call("check_stock", product=Has(("oak", "table")), city="Denver")),
    _c("travel", "optional", "What's the forecast for Oslo?", _call("weather_forecast", city="Oslo")),
    _c("home", "optional", "Set the heating to 19.", _call("set_temperature", degrees=19)),
    _c("support", "optional", "My monitor flickers, please open a ticket, it's not urgent.", _call("open_ticket", summary=Has(("monitor",)), priority="low")),
    _c("banking", "optional", "Block my card ending 4417.", _call("block_card", card_last_four="4417")),
    _c("calendar", "optional", "Put 'yoga class' on my calendar for December 20.", _call("create_event", title=Has(("yoga",)), date=OneOf(("December 20", "20 December", "Dec 20", f"{TODAY.year}-12-20", "2026-12-20", "12/20")))),
    _c("retail", "optional", "Cancel order 30550.", _call("cancel_order", order_id="30550")),
    _c("support", "optional", "Open a ticket, my laptop won't charge.", _call("open_ticket", summary=Has(("laptop",)))),
    _c("banking", "optional", "I lost my card, the last four are 6203.", _call("block_card", card_last_four="6203", reason="lost")),
    # spoken: numbers and codes said as words
    _c("banking", "spoken", "What is the balance of account four four seven?", _call("get_balance", account_number="447")),
    _c("travel", "spoken", "My booking reference is K seven Q two.", _call("get_booking", reference="K7Q2")),
    _c("retail", "spoken", "Where's order nine one three three two?", _call("track_order", order_id="91332")),
    _c("support", "spoken", "What's happening with ticket six zero eight one?", _call("ticket_status", ticket_id="6081")),
    _c("travel", "spoken", "Is flight U A two two five delayed?", _call("flight_status", flight_number="UA225")),
    _c("banking", "spoken", "Block the card ending in three three nine one.", _call("block_card", card_last_four="3391")),
    _c("calendar", "spoken", "Remove event E V one two zero.", _call("delete_event", event_id=OneOf(("EV120", "ev-120", "ev120")))),
    _c("restaurant", "spoken", "Find the booking for five five five, two eight one nine.", _call("find_reservation", phone="5552819")),
    _c("travel", "spoken", "Pull up reservation B as in bravo, nine, X, four.", _call("get_booking", reference="B9X4")),
    _c("retail", "spoken", "Track order 4, 4, 7, 1, 9.", _call("track_order", order_id="44719")),
    _c("banking", "spoken", "Balance for account number one oh five eight.", _call("get_balance", account_number="1058")),
    # dates: said relatively
    _c("travel", "dates", "What will the weather be in Paris tomorrow?", _call("weather_forecast", city="Paris", date=day(1))),
    _c("calendar", "dates", "What do I have on tomorrow?", _call("list_events", date=day(1))),
    _c("calendar", "dates", "Schedule a dentist appointment tomorrow at 3 pm.", _call("create_event", title=Has(("dentist",)), date=day(1), time=_hours(15))),
    _c("restaurant", "dates", "Table for six tonight at 9.", _call("reserve_table", party_size=6, date=day(0), time=_hours(21))),
    _c("calendar", "dates", "What's on my calendar today?", _call("list_events", date=day(0))),
    _c("travel", "dates", "Is it going to rain in Dublin on Sunday?", _call("weather_forecast", city="Dublin", date=next_weekday("sunday"))),
    _c("calendar", "dates", "Add 'call mom' for Monday at 6 pm.", _call("create_event", title=Has(("mom",)), date=next_weekday("monday"), time=_hours(18))),
    _c("restaurant", "dates", "I'd like a table for 3 the day after tomorrow at 1 pm.", _call("reserve_table", party_size=3, date=day(2), time=_hours(13))),
    _c("calendar", "dates", "Show me Thursday's events.", _call("list_events", date=next_weekday("thursday"))),
    _c("travel", "dates", "Forecast for Madrid today?", _call("weather_forecast", city="Madrid", date=day(0))),
    # no_tool: small talk and general questions
    _c("travel", "no_tool", "Hello! How are you today?", None),
    _c("travel", "no_tool", "What's the capital of Australia?", None),
    _c("banking", "no_tool", "What's the difference between a checking and a savings account?", None),
    _c("retail", "no_tool", "Thanks, that's all I needed. Bye!", None),
    _c("home", "no_tool", "Tell me a joke.", None),
    _c("support", "no_tool", "What does VPN stand for?", None),
    _c("calendar", "no_tool", "Good morning!", None),
    _c("restaurant", "no_tool", "Do you have vegetarian dishes?", None),
    _c("travel", "no_tool", "Can you recommend what to see in Tokyo?", None),
    _c("banking", "no_tool", "What are your opening hours?", None),
    _c("home", "no_tool", "What can you do?", None),
    _c("support", "no_tool", "Who are you?", None),
    # missing: a required value nobody said; the agent must ask, not call
    _c("banking", "missing", "What's my balance?", None),
    _c("retail", "missing", "Where is my order?", None),
    _c("travel", "missing", "Can you check my booking?", None),
    _c("travel", "missing", "What's the weather going to be like?", None),
    _c("support", "missing", "I need to reset my password.", None),
    _c("banking", "missing", "I want to transfer 200 dollars to account 4455.", None),
    _c("restaurant", "missing", "I'd like to book a table for Saturday.", None),
    _c("calendar", "missing", "Please delete my event.", None),
    _c("travel", "missing", "Is my flight on time?", None),
    _c("support", "missing", "What's the status of my ticket?", None),
    _c("banking", "missing", "Block my card please.", None),
    _c("restaurant", "missing", "Can you find my reservation?", None),
    # follow_up: the turn after a tool result
    _c("banking", "follow_up", "And what were the last transactions on it?", _call("list_transactions", account_number="7731"), before=_BAL),
    _c("banking", "follow_up", "Thanks! That's good to know.", None, before=_BAL),
    _c("retail", "follow_up", "Actually, please cancel it.", _call("cancel_order", order_id="55810"), before=_ORDER),
    _c("retail", "follow_up", "Great, thank you so much.", None, before=_ORDER),
    _c("travel", "follow_up", "And what's the weather in Frankfurt?", _call("weather_forecast", city="Frankfurt"), before=_FLIGHT),
    _c("travel", "follow_up", "Ugh. How long is the delay then?", None, before=_FLIGHT),
    _c("support", "follow_up", "OK, then open a new ticket for my broken keyboard.", _call("open_ticket", summary=Has(("keyboard",))), before=_TICKET),
    _c("support", "follow_up", "Alright, thanks for checking.", None, before=_TICKET),
    _c("calendar", "follow_up", "Cancel the dentist.", _call("delete_event", event_id="ev-31"), before=_EVENTS),
    _c("calendar", "follow_up", "What time was that again?", None, before=_EVENTS),
    _c("banking", "follow_up", "Can you move 100 of it to account 8890?", _call("transfer_money", from_account="7731", to_account="8890", amount=100), before=_BAL),
    _c("retail", "follow_up", "Is the wool throw blanket in stock too?", _call("check_stock", product=Has(("wool", "throw"))), before=_ORDER),
    # es / fr / de: the agent speaks the user's language
    _c("travel", "es", "¿Qué tiempo hace en Sevilla?", _call("weather_forecast", city="Sevilla"), language="es"),
    _c("banking", "es", "¿Cuál es el saldo de la cuenta 5827?", _call("get_balance", account_number="5827"), language="es"),
    _c("retail", "es", "¿Dónde está mi pedido 73119?", _call("track_order", order_id="73119"), language="es"),
    _c("home", "es", "Apaga las luces de la cocina, por favor.", _call("switch_lights", room=OneOf(("cocina", "kitchen")), on=False), language="es"),
    _c("travel", "es", "Hola, ¿cómo estás?", None, language="es"),
    _c("support", "es", "Quiero saber el estado de mi ticket.", None, language="es"),
    _c("restaurant", "es", "Una mesa para dos el viernes a las 9 de la noche.", _call("reserve_table", party_size=2, date=next_weekday("friday"), time=_hours(21)), language="es"),
    _c("retail", "es", "Cancela el pedido 20931, por favor.", _call("cancel_order", order_id="20931"), language="es"),
    _c("travel", "fr", "Quel temps fait-il à Lyon ?", _call("weather_forecast", city="Lyon"), language="fr"),
    _c("banking", "fr", "Quel est le solde du compte 6120 ?", _call("get_balance", account_number="6120"), language="fr"),
    _c("retail", "fr", "Où en est ma commande 40982 ?", _call("track_order", order_id="40982"), language="fr"),
    _c("travel", "fr", "Le vol AF 771 est-il à l'heure ?", _call("flight_status", flight_number="AF771"), language="fr"),
    _c("travel", "fr", "Bonjour, merci pour votre aide !", None, language="fr"),
    _c("banking", "fr", "Je voudrais connaître mon solde.", None, language="fr"),
    _c("home", "fr", "Verrouille la porte du garage.", _call("lock_door", door="garage"), language="fr"),
    _c("support", "fr", "Réinitialise le mot de passe de marie.dubois@acme.com s'il te plaît.", _call("reset_password", email="marie.dubois@acme.com"), language="fr"),
    _c("travel", "de", "Wie ist das Wetter in Hamburg?", _call("weather_forecast", city="Hamburg"), language="de"),
    _c("banking", "de", "Wie hoch ist der Kontostand von Konto 3390?", _call("get_balance", account_number="3390"), language="de"),
    _c("retail", "de", "Wo ist meine Bestellung 51177?", _call("track_order", order_id="51177"), language="de"),
    _c("home", "de", "Stell die Temperatur im Wohnzimmer auf 22 Grad.", _call("set_temperature", degrees=22, room=OneOf(("Wohnzimmer", "living room"))), language="de"),
    _c("travel", "de", "Guten Tag, wie geht es Ihnen?", None, language="de"),
    _c("retail", "de", "Ich möchte meine Bestellung stornieren.", None, language="de"),
    _c("support", "de", "Wie ist der Status von Ticket 7702?", _call("ticket_status", ticket_id="7702"), language="de"),
    _c("travel", "de", "Ist der Flug LH 440 pünktlich?", _call("flight_status", flight_number="LH440"), language="de"),
    # on_topic: general questions on the agent's own topic; no call may run (appended
    # after the first 126 cases, so their held-out split stays as it was)
    _c("banking", "on_topic", "How do I change my PIN?", None),
    _c("banking", "on_topic", "What are your fees for international transfers?", None),
    _c("banking", "on_topic", "How long does a transfer usually take?", None),
    _c("banking", "on_topic", "What should I do if I lose my card?", None),
    _c("retail", "on_topic", "Do you ship to Canada?", None),
    _c("retail", "on_topic", "What is your return policy?", None),
    _c("retail", "on_topic", "How long does shipping usually take?", None),
    _c("travel", "on_topic", "Do I need a visa for Japan?", None),
    _c("travel", "on_topic", "How early should I be at the airport?", None),
    _c("travel", "on_topic", "What's the best time of year to visit Greece?", None),
    _c("restaurant", "on_topic", "Is there a dress code?", None),
    _c("support", "on_topic", "How do I connect to the office wifi?", None),
    _c("home", "on_topic", "What temperature is good for sleeping?", None),
    _c("calendar", "on_topic", "Can I share my calendar with a colleague?", None),
    # es / fr / de switches
    _c("home", "de", "Mach das Licht im Wohnzimmer aus.", _call("switch_lights", room=OneOf(("Wohnzimmer", "living room")), on=False), language="de"),
    _c("home", "fr", "Éteins la lumière de la chambre.", _call("switch_lights", room=OneOf(("chambre", "bedroom")), on=False), language="fr"),
    _c("home", "es", "Enciende las luces del salón.", _call("switch_lights", room=OneOf(("salón", "salon", "living room")), on=True), language="es"),
]
# fmt: on


def split_of(index: int) -> str:
    """Every fourth case is held out: not looked at while tuning the brain."""
    return "held" if index % 4 == 3 else "tune"
