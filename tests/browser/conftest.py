"""Fixtures of the browser tests: Jupyter servers, Chromium with a fake microphone, WAVs."""

from __future__ import annotations

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
