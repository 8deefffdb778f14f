from __future__ import annotations

import json

import pytest

from nur_notebook.protocol import ErrorCode, ProtocolError, decode_client_event, encode_event
from nur_notebook.protocol.events import (
    CLIENT_EVENTS,
    MAX_EVENT_BYTES,
    SERVER_EVENTS,
    InputText,
    MetricsTurn,
    ToolCall,
    ToolResult,
    UnknownEvent,
    decode_server_event,
)


def test_client_event_round_trip() -> None:
    event = ToolResult(call_id="call_1", output={"status": "shipped"}, event_id="e1")
    assert decode_client_event(encode_event(event)) == event


def test_server_event_round_trip_keeps_seq_and_fields() -> None:
    event = ToolCall(
        call_id="call_9",
        name="lookup_order",
        arguments={"order_id": "42"},
        response_id="rsp_1",
        turn=2,
        seq=17,
    )
    wire = encode_event(event)
    assert json.loads(wire)["type"] == "tool.call"
    assert wire.startswith('{"type":"tool.call"')
    assert decode_server_event(wire) == event


def test_every_event_type_is_unique_and_dotted() -> None:
    names = list(CLIENT_EVENTS) + list(SERVER_EVENTS)
    assert len(names) == len(set(names))
    assert "tool.result" in CLIENT_EVENTS
    assert "metrics.turn" in SERVER_EVENTS


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("{not json", ErrorCode.INVALID_JSON, "not valid JSON"),
        ("[1, 2]", ErrorCode.INVALID_EVENT, "JSON object"),
        ('{"text": "hi"}', ErrorCode.INVALID_EVENT, "no string 'type'"),
        ('{"type": "input.video"}', ErrorCode.UNKNOWN_EVENT, "input.video"),
        ('{"type": "input.text"}', ErrorCode.INVALID_EVENT, "missing required field 'text'"),
        ('{"type": "input.text", "text": 5}', ErrorCode.INVALID_EVENT, "'text' must be a string"),
        ('{"type": "input.text", "text": "a", "x": 1}', ErrorCode.INVALID_EVENT, "unknown field"),
        (
            '{"type": "tool.result", "call_id": "c", "is_error": "no"}',
            ErrorCode.INVALID_EVENT,
            "'is_error' must be a boolean",
        ),
    ],
)
def test_bad_client_events_name_the_problem(text: str, code: ErrorCode, fragment: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_client_event(text)
    assert info.value.code == code
    assert fragment in info.value.message


def test_error_echoes_event_id() -> None:
    with pytest.raises(ProtocolError) as info:
        decode_client_event('{"type": "nope", "event_id": "abc"}')
    assert info.value.event_id == "abc"


def test_oversize_event_is_rejected_before_parsing() -> None:
    text = json.dumps({"type": "input.text", "text": "x" * MAX_EVENT_BYTES})
    with pytest.raises(ProtocolError) as info:
        decode_client_event(text)
    assert info.value.code == ErrorCode.EVENT_TOO_LARGE


def test_server_events_are_lenient_for_forward_compatibility() -> None:
    event = decode_server_event('{"type": "metrics.turn", "seq": 4, "turn": 1, "new_stage_ms": 3}')
    assert event == MetricsTurn(turn=1, seq=4)
    unknown = decode_server_event('{"type": "future.thing", "seq": 5, "a": 1}')
    assert isinstance(unknown, UnknownEvent)
    assert unknown.seq == 5
    assert unknown.data["a"] == 1


def test_bool_is_not_an_int() -> None:
    with pytest.raises(ProtocolError):
        decode_server_event('{"type": "transcript.user.final", "turn": true, "text": "x"}')


def test_to_dict_puts_type_first() -> None:
    assert next(iter(InputText(text="hi").to_dict())) == "type"


@pytest.mark.parametrize("seq", ['"x"', "[1]", "1.5", "true", "null"])
def test_an_unknown_server_event_with_a_bad_seq_is_a_protocol_error(seq: str) -> None:
    with pytest.raises(ProtocolError, match="'seq' must be an integer") as caught:
        decode_server_event(f'{{"type": "future.event", "seq": {seq}}}')
    assert caught.value.code is ErrorCode.INVALID_EVENT
