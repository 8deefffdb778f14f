"""The whole flow in a browser: a spoken question about an order, answered through a tool.

JupyterLab 4 and Notebook 7, headless Chromium whose fake microphone plays an eSpeak NG WAV,
the notebook kit's magics, the local Nur server with its real engines. Asserted through the
DOM and through the kernel's ``Conversation``.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser_harness import JupyterServer, kernel_json, run_notebook, wait_kernel
from browser_shots import ORDER_TOOL_CELL, shot

pytestmark = [pytest.mark.browser, pytest.mark.engines]

CELLS = [
    "%load_ext nur_notebook",
    ORDER_TOOL_CELL,
    """\
%%nur_agent Order Desk --tools lookup_order --max-turns 10 --as support
You are a customer support agent for an online store.
When the customer asks about an order, call lookup_order with the order number,
then tell them the status in one short sentence.
""",
]


@pytest.mark.timeout(1200)  # engines load, then a CPU-only LLM on a shared 2-core machine
def test_spoken_order_question_runs_the_tool_and_gets_answered(
    page: Any, stack: JupyterServer
) -> None:
    run_notebook(page, stack, "support.ipynb", CELLS)
    page.locator(".nur-conv").wait_for(timeout=240_000)
    wait_kernel(page, "'support' in dir()", timeout=240, what="the support conversation")
    wait_kernel(
        page, "support.status not in ('connecting', 'loading')", timeout=240, what="a live session"
    )

    page.get_by_role("button", name="Start microphone").click()
    page.get_by_role("button", name="Stop microphone").wait_for(timeout=15_000)

    calls = wait_kernel(
        page,
        # A call shows while it runs; wait for its result (or error) to be in.
        "[c for c in support.tool_calls if c['output'] is not None or c['is_error']]",
        timeout=420,
        what="the lookup_order call's result",
    )
    assert calls[0]["name"] == "lookup_order"
    assert "".join(ch for ch in str(calls[0]["arguments"]["order_id"]) if ch.isdigit()) == "12345"
    assert calls[0]["is_error"] is False
    assert calls[0]["output"]["status"] == "shipped"

    answer = wait_kernel(
        page,
        "[t['text'] for t in support.transcript if t['role'] == 'agent' and t['text']]",
        timeout=420,
        what="the agent's answer",
    )
    assert "shipped" in " ".join(answer).lower()
    heard = " ".join(
        kernel_json(page, "[t['text'] for t in support.transcript if t['role'] == 'user']")
    ).lower()
    assert "order" in heard

    # The same conversation on the page: the user's words, the tool, the answer, and the
    # agent's voice played by the browser.
    page.locator('.nur-tool[data-name="lookup_order"][data-state="ok"]').wait_for(timeout=30_000)
    user_line = page.locator('.nur-line[data-role="user"]').first
    assert "order" in user_line.inner_text().lower()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.nur-line[data-role=agent]')]"
        ".some((e) => /shipped/i.test(e.textContent))",
        timeout=60_000,
    )
    page.wait_for_function(
        "() => Number(document.querySelector('.nur-conv').dataset.playedMs) > 500",
        timeout=60_000,
    )
    # Microphone and agent voice took the relay socket (the comm carried the events).
    assert kernel_json(page, "support.widget.transport") == "relay"
    assert kernel_json(page, "support.widget._relay.frames") > 50
    assert page.evaluate("() => document.querySelector('.nur-conv').dataset.transport") == "relay"
    shot(page, f"conversation-{stack.flavour}")
    page.get_by_role("button", name="Stop microphone").click()
    assert not [e for e in page.nur_errors if "nur" in e.lower()]
