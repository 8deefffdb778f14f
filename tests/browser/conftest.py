"""Fixtures of the browser tests: Jupyter servers, Chromium with a fake microphone, WAVs."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_harness import CHROMIUM, JupyterServer, chromium_args, speech_wav
from browser_shots import jupyter_running


@pytest.fixture(scope="module", params=["lab", "notebook"])
def jupyter(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterServer]:
    with jupyter_running(
        request.param, tmp_path_factory.mktemp(f"jupyter-{request.param}")
    ) as server:
        yield server


@pytest.fixture(scope="module")
def playwright_sync() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def order_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wav") / "order.wav"
    return speech_wav("Where is my order? The order number is one two three four five.", path)


@pytest.fixture
def browser(playwright_sync: Any, order_wav: Path) -> Iterator[Any]:
    """Chromium whose microphone plays ``order_wav`` once, then silence."""
    b = playwright_sync.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=chromium_args(order_wav)
    )
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.nur_errors = errors
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="session")
def kernel_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The data dir of the local Nur server the kernels of this folder start as a user's
    would (the first one starts it with its engines, the others reuse it); stopped after
    the last browser test."""
    data = tmp_path_factory.mktemp("nur-kernel-data")
    try:
        yield data
    finally:
        info = data / "server.json"
        pid = int(json.loads(info.read_text()).get("pid") or 0) if info.exists() else 0
        if pid > 0:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="module", params=["lab", "notebook"])
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    kernel_data_dir: Path,
) -> Iterator[JupyterServer]:
    """Jupyter whose kernels start (or reuse) the folder's local Nur server, with no
    account set (``NUR_API_KEY`` empty): the path of a user without one."""
    env = {"NUR_NOTEBOOK_DATA_DIR": str(kernel_data_dir), "NUR_API_KEY": ""}
    base = tmp_path_factory.mktemp(f"stack-{request.param}")
    with jupyter_running(request.param, base, extra_env=env) as server:
        yield server
