from __future__ import annotations

from types import SimpleNamespace

import pytest

from nur_notebook.realtime.session import session_websocket_url


def test_the_session_objects_own_url_wins() -> None:
    session = SimpleNamespace(
        session_id="ses_1", websocket_url="wss://ws.example.test/v1/sessions/ses_1"
    )
    assert (
        session_websocket_url(session, base_url="https://api.example.test") == session.websocket_url
    )
    as_dict = {"session_id": "ses_1", "websocket_url": "ws://h:1/v1/sessions/ses_1"}
    assert session_websocket_url(as_dict, base_url="http://x") == "ws://h:1/v1/sessions/ses_1"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://127.0.0.1:8787", "ws://127.0.0.1:8787/v1/sessions/ses_abc"),
        ("http://127.0.0.1:8787/", "ws://127.0.0.1:8787/v1/sessions/ses_abc"),
        ("https://api.example.test/v1", "wss://api.example.test/v1/sessions/ses_abc"),
        ("https://example.test/nur/", "wss://example.test/nur/v1/sessions/ses_abc"),
    ],
)
def test_an_id_is_joined_to_the_base_url(base: str, expected: str) -> None:
    assert session_websocket_url("ses_abc", base_url=base) == expected
    assert session_websocket_url({"session_id": "ses_abc"}, base_url=base) == expected


def test_what_is_not_a_session_is_refused() -> None:
    with pytest.raises(ValueError, match="ses_"):
        session_websocket_url("agt_1", base_url="http://127.0.0.1:1")
    with pytest.raises(ValueError, match="http"):
        session_websocket_url("ses_1", base_url="ftp://127.0.0.1:1")
