from __future__ import annotations

from nur_notebook.server.pipeline.base import Message, ToolCallDecision, ToolSpec
from nur_notebook.server.pipeline.switches import with_said_switch

LIGHTS = ToolSpec(
    "switch_lights",
    "Turn the lights of a room on or off",
    {
        "room": {"type": "string", "required": True},
        "on": {"type": "boolean", "required": True, "description": "True for on, false for off"},
        "urgent": {"type": "boolean", "description": "Notify me on completion"},
    },
)


def _switched(said: str, on: bool) -> object:
    call = ToolCallDecision("switch_lights", {"room": "kitchen", "on": on, "urgent": on})
    out = with_said_switch(call, tools=[LIGHTS], history=[Message("user", said)])
    assert out.arguments["room"] == "kitchen"
    assert out.arguments["urgent"] is on  # not a switch
    return out.arguments["on"]


def test_off_and_on_are_read_from_the_users_words_in_four_languages() -> None:
    for said in ("Turn off the lights on the porch.", "Mach das Licht im Wohnzimmer aus.",
                 "Apaga las luces del dormitorio.", "Éteins la lumière de la cuisine.",
                 "Nobody's in the bedroom, kill the lights there."):  # fmt: skip
        assert _switched(said, True) is False, said
    for said in ("Switch on the lights in the garage.", "Mach das Licht an!",
                 "Schalte die Heizung ein", "Enciende la luz de la cocina.",
                 "Allume la lumière du salon."):  # fmt: skip
        assert _switched(said, False) is True, said


def test_a_turn_that_says_neither_leaves_the_models_choice() -> None:
    # German "an" and "ein" count only as the verb's particle at the end, English "an" never.
    for said in ("The kitchen, please.", "Is there an issue with the lights?",
                 "Ich habe ein Problem mit dem Licht"):  # fmt: skip
        assert _switched(said, False) is False, said
        assert _switched(said, True) is True, said
