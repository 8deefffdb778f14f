"""The shipped notebooks run top to bottom, headless, against the local server's engines."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pytest
from nbclient import NotebookClient

if TYPE_CHECKING:
    from notebook_server import RunningServer

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
REPORT = "__nur_report__"


Run = Callable[..., tuple[nbformat.NotebookNode, dict[str, Any]]]


def run_notebook(
    name: str,
    *,
    report: str,
    server: RunningServer,
    tmp_path: Path,
    monkeypatch: Any,
    timeout: int = 600,
) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
    """Execute ``name`` in a fresh kernel; ``report`` is an expression whose JSON the
    test reads from an extra last cell."""
    monkeypatch.delenv("NUR_API_KEY", raising=False)
    monkeypatch.delenv("NUR_BASE_URL", raising=False)
    monkeypatch.setenv("NUR_NOTEBOOK_DATA_DIR", str(server.data_dir))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    book.cells.append(
        nbformat.v4.new_code_cell(f"import json\nprint({REPORT!r} + json.dumps({report}))")
    )
    client = NotebookClient(
        book,
        kernel_name="python3",
        timeout=timeout,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    for output in book.cells[-1].outputs:
        text = output.get("text", "")
        if text.startswith(REPORT):
            return book, json.loads(text[len(REPORT) :])
    raise AssertionError(f"the report cell printed nothing: {book.cells[-1].outputs}")


def text_of(book: nbformat.NotebookNode) -> str:
    parts = []
    for cell in book.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def test_notebooks_are_committed_without_outputs() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], path.name
                assert cell.execution_count is None, path.name


@pytest.fixture
def run(engines_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run(name, report=...)``: ``run_notebook`` against the engines server, in ``tmp_path``."""
    return partial(run_notebook, server=engines_server, tmp_path=tmp_path, monkeypatch=monkeypatch)


@pytest.mark.engines
def test_quickstart(run: Run) -> None:
    book, report = run(
        "01-quickstart",
        report='{"transcript": support.transcript, "tool_calls": support.tool_calls, '
        '"status": support.status, "agent": support.agent}',
    )
    assert "connected to the local Nur server" in text_of(book)
    user = [e for e in report["transcript"] if e["role"] == "user"]
    agent = [e for e in report["transcript"] if e["role"] == "agent"]
    assert user[0]["text"] == "Hi, where is my order 12345?"
    assert agent[0]["turn"] == 0  # the greeting, heard in full before the question
    assert agent[0]["text"] == "Hello! How can I help you today?"
    assert agent[0]["interrupted"] is False
    calls = [c for c in report["tool_calls"] if c["name"] == "lookup_order"]
    assert calls, report
    assert calls[0]["arguments"] == {"order_id": "12345"}
    assert calls[0]["output"]["status"] == "shipped"
    assert calls[0]["is_error"] is False
    assert "shipped" in agent[-1]["text"].lower()
    assert {e["agent_version"] for e in report["transcript"]} == {1}
    assert report["status"] == "ended"


@pytest.mark.engines
def test_tools_notebook(run: Run) -> None:
    _book, report = run(
        "02-tools",
        report='{"tool_calls": shop.tool_calls, "transcript": shop.transcript}',
    )
    calls = report["tool_calls"]
    stock = [c for c in calls if c["name"] == "check_stock"]
    assert stock, report
    assert stock[0]["arguments"]["size"] == "large"  # the Enum's value on the wire
    assert stock[0]["output"]["in_stock"] == 12
    for call in calls:
        if call["name"] == "cancel_order":
            assert call["is_error"] is True
            assert "cannot be cancelled" in str(call["output"])
    assert len([e for e in report["transcript"] if e["role"] == "agent"]) >= 2


@pytest.mark.engines
def test_prompt_iteration_notebook(run: Run) -> None:
    book, report = run(
        "03-prompt-iteration",
        report='{"v1": v1.transcript, "v2": v2.transcript, "files": sorted(p.name for p in '
        "out.iterdir()), "
        '"versions": [v1.agent["version"], v2.agent["version"]], "v1_status": v1.status}',
    )
    assert report["versions"] == [1, 2]
    assert report["v1_status"] == "ended"  # the new version superseded it
    assert {e["agent_version"] for e in report["v1"]} == {1}
    assert {e["agent_version"] for e in report["v2"]} == {2}
    assert any(e["role"] == "agent" and e["text"] for e in report["v1"])
    assert any(e["role"] == "agent" and e["text"] for e in report["v2"])
    assert report["files"] == ["front-desk-v2.json", "front-desk-v2.md", "front-desk-v2.wav"]
    assert "Front Desk" in text_of(book)


@pytest.mark.engines
@pytest.mark.timeout(2400)  # four attempts of a CPU-only LLM on a shared 2-core machine
def test_evals_notebook(
    engines_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book, report = run_notebook(
        "04-evals",
        timeout=2000,
        report='{"summary": result.summary, "rows": result.rows, "files": sorted(p.name for p '
        'in out.iterdir()), "versions": [desk_v1.id, desk_v2.id]}',
        server=engines_server,
        tmp_path=tmp_path,
        monkeypatch=monkeypatch,
    )
    summary = report["summary"]
    assert summary["variants"] == ["v1", "v2"]  # the kernel's two versions
    assert summary["scenarios"] == ["typed order", "spoken order"]
    assert summary["attempts"] == 4
    assert len(report["rows"]) == 4
    spoken = [r for r in report["rows"] if r["scenario"] == "spoken order"]
    assert all(r["turns"][0]["transcribed"] for r in spoken)  # heard through VAD and STT
    assert report["files"] == ["report.html", "results.jsonl", "summary.json"]
    assert "nur-eval-matrix" in text_of(book)  # the saved HTML rendering of the matrix
