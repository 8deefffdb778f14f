"""Client configuration: API key and base URL from arguments or the environment."""

from __future__ import annotations

import pytest

from nur_notebook import NurClient as TopLevelClient
from nur_notebook.client import AsyncNurClient, NurClient, NurConfigError, NurError


def test_a_missing_key_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUR_API_KEY", raising=False)
    for make in (NurClient, AsyncNurClient):
        with pytest.raises(NurConfigError, match="NUR_API_KEY"):
            make()
        with pytest.raises(NurError):
            make(api_key="   ")


def test_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUR_API_KEY", "sk_env")
    monkeypatch.setenv("NUR_BASE_URL", "http://127.0.0.1:9999/")
    with NurClient() as client:
        assert (client.api_key, client.base_url) == ("sk_env", "http://127.0.0.1:9999")
    with NurClient("sk_arg", "http://127.0.0.1:1") as client:
        assert (client.api_key, client.base_url) == ("sk_arg", "http://127.0.0.1:1")


def test_the_default_base_url_is_the_hosted_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUR_BASE_URL", raising=False)
    with NurClient("sk") as client:
        assert client.base_url == "https://api.nur.ai"


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(NurConfigError, match="http"):
        NurClient("sk", "ftp://example.test")
    with pytest.raises(NurConfigError, match="max_retries"):
        NurClient("sk", max_retries=-1)


def test_namespaces_are_cached_and_importable_from_the_package() -> None:
    assert TopLevelClient is NurClient
    with NurClient("sk", "http://127.0.0.1:1") as client:
        assert client.agents is client.agents
        assert client.agents.sessions is client.agents.sessions
        assert client.sessions is client.sessions
        assert repr(client) == "NurClient(base_url='http://127.0.0.1:1')"


def test_ids_are_checked_before_sending() -> None:
    with (
        NurClient("sk", "http://127.0.0.1:1") as client,
        pytest.raises(ValueError, match="agent_id"),
    ):
        client.agents.retrieve("")
