"""``%%nur_eval`` in a browser: the matrix draws, fills in live, and a cell opens with its audio;
a conversation spoken into the microphone round-trips through ``conv.to_scenario()``.

JupyterLab 4 and Notebook 7, headless Chromium (its fake microphone plays an eSpeak NG WAV),
the notebook kit's magics, and the local Nur server with its real engines started by the kernel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from browser_harness import JupyterServer, kernel_eval, run_notebook, wait_kernel
from browser_shots import ORDER_TOOL_CELL, SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.engines]

SETUP = [
    "%load_ext nur_notebook",
    ORDER_TOOL_CELL,
    """\
%%nur_agent Order Desk --tools lookup_order --no-talk --as v1
You are a support agent for an online shop. For an order number, call lookup_order with it,
then say the status in one short sentence.
""",
    """\
%%nur_agent Order Desk --tools lookup_order --no-talk --as v2
You are a terse support agent. For an order number, call lookup_order, then give the status
in at most five words.
""",
]
EVAL_CELL = """\
%%nur_eval --as lab
agent: {name: Order Desk}
scenarios:
  - name: spoken order
    mode: spoken
    turns:
      - user: "Where is my order four four seven?"
        expect: {tool_call: {name: lookup_order}}
"""


def _shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.locator(".nur-eval").first.screenshot(path=str(path))
    return path


@pytest.mark.timeout(1500)
def test_the_matrix_fills_in_live_and_a_cell_opens_with_its_audio(
    page: Any, stack: JupyterServer
) -> None:
    run_notebook(page, stack, "evals.ipynb", [*SETUP, EVAL_CELL])
    matrix = page.locator(".nur-eval").first
    matrix.wait_for(timeout=400_000)
    # Drawn before any attempt has finished: one scenario, the kernel's two versions.
    headers = page.locator(".nur-eval-matrix thead th").all_inner_texts()
    assert headers == ["scenario", "v1", "v2"]
    assert page.locator('.nur-eval-cell[data-state="pending"]').count() == 2
    # Live: one cell is in while the run still goes on.
    page.locator('.nur-eval[data-finished="1"]').wait_for(timeout=600_000)
    assert matrix.get_attribute("data-state") == "running"
    _shot(page, f"eval-matrix-{stack.flavour}-live")
    page.locator('.nur-eval[data-state="done"]').wait_for(timeout=600_000)
    assert page.locator('.nur-eval-cell[data-state="done"]').count() == 2
    rows = wait_kernel(page, "lab.done and lab.rows", timeout=60, what="the finished run")
    assert [r["variant"] for r in rows] == ["v1", "v2"]

    page.locator('.nur-eval-cell[data-variant="v2"] button').click()
    page.locator(".nur-eval-detail .nur-eval-attempt").wait_for(timeout=10_000)
    assert "spoken order · v2" in page.locator(".nur-eval-detail-title").inner_text()
    for kind in ("user", "agent"):
        page.locator(f'.nur-eval-audio-slot[data-kind="{kind}"][data-loaded="true"]').wait_for(
            timeout=30_000
        )
    durations = page.evaluate(
        """async () => Promise.all([...document.querySelectorAll('.nur-eval-detail audio')].map(
             (a) => a.readyState >= 1 ? a.duration : new Promise((done) =>
               a.addEventListener('loadedmetadata', () => done(a.duration), { once: true }))))"""
    )
    assert len(durations) == 2
    assert all(d > 0.5 for d in durations)  # real speech both ways, seconds long
    heard = page.locator(".nur-eval-detail .nur-eval-heard, .nur-eval-detail .nur-eval-user")
    assert "order" in " ".join(heard.all_inner_texts()).lower()
    _shot(page, f"eval-matrix-{stack.flavour}-open")
    assert not [e for e in page.nur_errors if "nur" in e.lower()]


ROUND_TRIP = [
    "%load_ext nur_notebook",
    SETUP[1],
    """\
%%nur_agent Mic Desk --tools lookup_order --max-turns 6 --as talk
You are a support agent for an online shop. For an order number, call lookup_order with it,
then say the status in one short sentence.
""",
]


@pytest.mark.timeout(1500)
def test_a_spoken_conversation_round_trips_through_to_scenario(
    page: Any, stack: JupyterServer
) -> None:
    run_notebook(page, stack, "roundtrip.ipynb", ROUND_TRIP)
    page.locator(".nur-conv").wait_for(timeout=400_000)
    wait_kernel(
        page, "'talk' in dir() and talk.status == 'listening'", timeout=400, what="a session"
    )
    page.get_by_role("button", name="Start microphone").click()
    wait_kernel(
        page,
        "[t for t in talk.transcript if t['role'] == 'agent' and t['turn'] >= 1 and t['text']]",
        timeout=600,
        what="the answer to the spoken question",
    )
    page.get_by_role("button", name="Stop microphone").click()
    scenario = json.loads(
        kernel_eval(
            page,
            "import json as _j\ngood = talk.to_scenario('by mic')\n"
            "print(_j.dumps({'mode': good['mode'], 'turns': [{'user': t['user'], 'expect': "
            "t['expect'], 'bytes': len(t['audio'])} for t in good['turns']]}))",
        )
    )
    assert scenario["mode"] == "audio"
    first = scenario["turns"][0]
    assert "order" in first["user"].lower()
    assert first["bytes"] > 16_000  # at least half a second of recorded microphone audio
    kernel_eval(
        page,
        "from IPython import get_ipython\nget_ipython().run_cell_magic('nur_eval', "
        "'--scenarios good --as replay', 'agent: {name: Mic Desk}\\nscenarios: []\\n')",
    )
    rows = wait_kernel(page, "replay.done and replay.rows", timeout=600, what="the replay")
    turn = rows[0]["turns"][0]
    assert turn["user"] == first["user"]
    assert turn["transcribed"]  # the recorded audio, heard again by VAD and STT
    names = [c["name"] for c in rows[0]["checks"]]
    expected = "tool_call" if "tool_call" in first["expect"] else "no_tool_call"
    assert any(expected in n for n in names)
