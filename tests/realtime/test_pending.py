"""Client events kept until acknowledged, and the connect URL, without sockets."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from nur_notebook.protocol.events import InputText, Ping, SessionEnd
from nur_notebook.realtime.pending import Pending, connect_url


def test_events_are_numbered_in_order_and_kept_until_acknowledged() -> None:
    pending = Pending()
    frames = [pending.add(InputText(text=str(n))) for n in range(3)]
    assert [json.loads(f)["seq"] for f in frames] == [1, 2, 3]
    assert len(pending) == 3
    pending.ack(2)
    assert [seq for seq, _ in pending.unacknowledged()] == [3]
    pending.ack(1)  # an older ack changes nothing
    assert [seq for seq, _ in pending.unacknowledged()] == [3]
    pending.ack(3)
    assert len(pending) == 0


def test_the_resend_takes_events_added_while_it_runs() -> None:
    pending = Pending()
    pending.add(Ping())
    sent = []
    for seq, _ in pending.unacknowledged():
        sent.append(seq)
        if seq == 1:
            pending.add(SessionEnd())
    assert sent == [1, 2]


def test_a_server_that_does_not_acknowledge_turns_numbering_off() -> None:
    pending = Pending()
    pending.add(Ping())
    pending.server_acks(None)
    assert len(pending) == 0
    assert "seq" not in json.loads(pending.add(Ping()))
    assert len(pending) == 0


def test_a_server_that_acknowledges_on_connect_drops_what_it_applied() -> None:
    pending = Pending()
    for n in range(4):
        pending.add(InputText(text=str(n)))
    pending.server_acks(2)
    assert [seq for seq, _ in pending.unacknowledged()] == [3, 4]


def test_disabled_sends_plain_events() -> None:
    pending = Pending(enabled=False)
    assert json.loads(pending.add(InputText(text="hi"))) == {
        "type": "input.text",
        "text": "hi",
        "event_id": None,
    }
    assert len(pending) == 0


def test_connect_url_names_the_stream_and_resumes() -> None:
    url = "ws://127.0.0.1:1/v1/sessions/ses_1"
    assert connect_url(url, last_seq=0, resume_token=None, client_stream=None) == url
    made = connect_url(url + "?a=1", last_seq=7, resume_token="rsm_x", client_stream="cs_1")
    query = parse_qs(urlsplit(made).query)
    assert query == {
        "a": ["1"],
        "last_seq": ["7"],
        "resume_token": ["rsm_x"],
        "client_stream": ["cs_1"],
    }
