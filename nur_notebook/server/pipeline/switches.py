"""On or off as the user said it, for a tool's switch (a boolean "on"). Pure logic.

A small model reads "Mach das Licht im Wohnzimmer aus" as ``switch_lights(on=true)``:
it knows the room but not the German particle. :func:`with_said_switch` sets a switch
argument (a boolean whose name or description speaks of on and off, power, enabling) to
what the user's last turn says, in en/es/fr/de: off when it says off ("turn off", "aus",
"apaga", "éteins", "disable"), else on when it says on ("switch on", "an", "enciende",
"allume", "enable"); left as the model wrote it when the turn says neither.

    >>> from nur_notebook.server.pipeline.base import Message, ToolCallDecision, ToolSpec
    >>> lights = ToolSpec("switch_lights", "", {"on": {"type": "boolean"}})
    >>> call = ToolCallDecision("switch_lights", {"on": True})
    >>> with_said_switch(call, tools=[lights], history=[Message("user", "Licht aus!")])
    ToolCallDecision(name='switch_lights', arguments={'on': False})
"""

from __future__ import annotations

import re

from nur_notebook.server.pipeline.base import Message, ToolCallDecision, ToolSpec

#: A boolean parameter that is a switch: named "on" (or "off", "power", "enabled"), or
#: described by on and off both, or by power, switching, turning, enabling ("True to turn
#: them on"; not "Notify me on completion").
_SWITCH_NAME = re.compile(r"^(?:on|off|power(?:ed)?|enabled?|active|state)$", re.I)
_SWITCH = re.compile(
    r"\bon\b.*\boff\b|\boff\b.*\bon\b|\b(?:power\w*|switch\w*|turn\w*|enabled?|activ\w*)\b",
    re.I | re.S,
)
_OFF = re.compile(
    r"\b(?:off|disable\w*|deactivate\w*|disarm\w*|kill|aus|ausschalten|ausmachen|abschalten|"
    r"deaktivier\w*|apag\w*|desactiv\w*|desconect\w*|[ée]tein\w*|d[ée]sactiv\w*|coupe[rz]?)\b",
    re.I,
)
#: On; German "an" and "ein" (also "at" and "a") only as the turn's last word, where the
#: verb's particle goes: "Mach das Licht an", "Schalte die Heizung ein".
_ON = re.compile(
    r"\b(?:on|enable\w*|activate\w*|einschalten|anmachen|anschalten|aktivier\w*|"
    r"enciend\w*|encender|prend(?:e|er|an|a)|activ[ae]r?|allum\w*)\b|\b(?:an|ein)\W*$",
    re.I,
)


def with_said_switch(
    decision: ToolCallDecision, *, tools: list[ToolSpec], history: list[Message]
) -> ToolCallDecision:
    """The call with its switch arguments set to what the user's last turn says."""
    tool = decision.tool(tools)
    last = next((m.content for m in reversed(history) if m.role == "user"), "")
    if tool is None or not last:
        return decision
    said = False if _OFF.search(last) else True if _ON.search(last) else None
    if said is None:
        return decision
    arguments = dict(decision.arguments)
    for key, value in decision.arguments.items():
        spec = tool.parameters.get(key, {})
        about = f"{key.replace('_', ' ')} {spec.get('description', '')}"
        switch = _SWITCH_NAME.match(key) or _SWITCH.search(about)
        if isinstance(value, bool) and spec.get("type") == "boolean" and switch:
            arguments[key] = said
    return ToolCallDecision(decision.name, arguments)
