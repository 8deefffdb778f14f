"""``nur-notebook keys create|list|revoke`` against a running server's data dir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from rest_support import live_server

from nur_notebook.cli import build_parser, main


def nur(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nur_notebook", *args], capture_output=True, text=True, timeout=60
    )


def test_keys_create_list_revoke_while_the_server_runs(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        made = nur("keys", "create", "--label", "laptop", "--data-dir", str(tmp_path))
        assert made.returncode == 0, made.stderr
        key_id, secret = made.stdout.strip().split("\t")
        assert key_id.startswith("key_")
        assert secret.startswith("nur_sk_")

        url = f"{server.base_url}/v1/agents"
        assert httpx.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 200

        listing = nur("keys", "list", "--data-dir", str(tmp_path)).stdout
        assert key_id in listing
        assert "laptop" in listing
        assert secret not in listing
        assert server.api_key not in listing

        revoked = nur("keys", "revoke", key_id, "--data-dir", str(tmp_path))
        assert revoked.returncode == 0
        assert httpx.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 401
        assert "revoked" in nur("keys", "list", "--data-dir", str(tmp_path)).stdout

        again = nur("keys", "revoke", key_id, "--data-dir", str(tmp_path))
        assert again.returncode == 1
        assert "no active key" in again.stderr


def test_the_parser_has_serve_and_keys(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["serve", "--port", "0", "--data-dir", "/tmp/x"])
    assert (args.command, args.port, args.host, args.engines) == ("serve", 0, "127.0.0.1", True)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["keys"])
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port must be 0-65535" in capsys.readouterr().err
    assert args.stt_model is None  # the engines' default: tiny.en
    assert build_parser().parse_args(["serve", "--stt-model", "base"]).stt_model == "base"
    with pytest.raises(SystemExit) as refused:
        build_parser().parse_args(["serve", "--stt-model", "large"])
    assert refused.value.code == 2
    assert "invalid choice: 'large'" in capsys.readouterr().err


def test_keys_list_on_an_empty_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    result = nur("keys", "list", "--data-dir", str(tmp_path / "nothing"))
    assert result.returncode == 1
    assert "no server data in" in result.stderr
    assert not (tmp_path / "nothing").exists()
