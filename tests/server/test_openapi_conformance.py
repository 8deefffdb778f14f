"""The running local server against its own OpenAPI document, with schemathesis.

Every phase (examples, coverage, fuzzing, stateful) and the checks that matter to a
client: no 5xx, only documented status codes, the documented content type and response
schema. The example count is bounded so the run stays within tens of seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from nur_server_process import ServerProcess, start_server_process, stop_server_process

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
MAX_EXAMPLES = 12


@pytest.fixture(scope="module")
def rest_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    started = start_server_process(tmp_path_factory.mktemp("nur-openapi"), "--no-engines")
    yield started
    stop_server_process(started.process)


def test_schemathesis_finds_no_failure(rest_server: ServerProcess, tmp_path: Path) -> None:
    command = [
        *([shutil.which("schemathesis")] if shutil.which("schemathesis") else []),
        "run",
        f"{rest_server.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {rest_server.api_key}",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "9",
        "--generation-database",
        "none",
        "--no-color",
    ]
    if command[0] == "run":  # no script on PATH: the module
        command = [sys.executable, "-m", "schemathesis.cli", *command]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Stateful" in done.stdout


@pytest.mark.parametrize("offset", ["553044558671481864192", str(2**63)])
def test_an_offset_too_large_for_sqlite_is_a_400(rest_server: ServerProcess, offset: str) -> None:
    response = httpx.get(
        f"{rest_server.base_url}/v1/agents",
        params={"offset": offset, "limit": 40},
        headers={"Authorization": f"Bearer {rest_server.api_key}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "offset"


def test_the_largest_offset_answers_an_empty_page(rest_server: ServerProcess) -> None:
    response = httpx.get(
        f"{rest_server.base_url}/v1/agents",
        params={"offset": 2**63 - 1},
        headers={"Authorization": f"Bearer {rest_server.api_key}"},
    )
    assert response.status_code == 200
    assert response.json()["data"] == []
