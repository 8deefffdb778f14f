"""Fixtures of the browser tests: Jupyter servers, Chromium with a fake microphone, WAVs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_harness import CHROMIUM, JupyterServer, chromium_args, speech_wav
from browser_shots import jupyter_running

from nur_notebook.notebook.local_server import LocalServer


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()
#: What the page's cells printed, shown when a browser test fails.
_OUTPUTS = """() => [...document.querySelectorAll('.jp-Cell')].map((cell, n) => {
  const out = cell.querySelector('.jp-OutputArea');
  return `[cell ${n + 1}] ` + (out ? out.innerText.slice(0, 1500) : '');
}).join('\\n')"""


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.nur_errors = errors
    try:
        yield pg
    finally:
        if request.node.stash.get(_CALL_FAILED, False):
            _report_page(pg, errors)
        context.close()


def _report_page(page: Any, errors: list[str]) -> None:
    """Print where the failed test's page was and what its cells printed (shown by pytest
    with the failure's captured output)."""
    try:
        print(f"page {page.url}\n{page.evaluate(_OUTPUTS)}")
    except Exception as exc:  # the page may be gone; the failure itself is what matters
        print(f"page outputs unavailable: {exc}")
    if errors:
        print("page errors:\n" + "\n".join(errors))


@pytest.fixture(scope="session")
def kernel_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The data dir of the local Nur server the kernels of this folder find, as a user's
    kernels find one that runs already: started here once, with its engines, so that each
    Jupyter server's kernels do not start (and, exiting, stop) one of their own; stopped
    after the last browser test. A kernel's own start is tried in
    ``tests/notebook/test_connect.py``."""
    data = tmp_path_factory.mktemp("nur-kernel-data")
    server = LocalServer(data)
    server.start()
    try:
        yield data
    finally:
        server.stop()


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
