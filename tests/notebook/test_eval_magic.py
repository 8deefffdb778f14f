"""%%nur_eval and %nur eval before anything runs: options, suite mistakes, default variants."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from shell_support import ORDER_TOOL_CELL, kit_shell

from nur_notebook.notebook import eval_magic

if TYPE_CHECKING:
    from notebook_server import RunningServer

SUITE = """\
agent: {name: Desk}
scenarios:
  - name: status
    turns:
      - user: "Where is order 7?"
        expect: {tool_call: {name: lookup_order, arguments: {order_id: "7"}}}
"""


@pytest.fixture
def ip(local_env: RunningServer) -> Iterator[InteractiveShell]:
    with kit_shell(ORDER_TOOL_CELL) as shell:
        yield shell


def _versions(ip: InteractiveShell) -> None:
    ip.run_cell_magic("nur_agent", "Desk --tools lookup_order --no-talk --as d1", "Be helpful.")
    ip.run_cell_magic("nur_agent", "Desk --tools lookup_order --no-talk --as d2", "Be terse.")


def test_the_kernels_versions_are_the_default_variants(
    ip: InteractiveShell, local_env: RunningServer
) -> None:
    _versions(ip)
    magics = ip.magics_manager.registry["NurMagics"]
    options = eval_magic.parse_options(["--repeat", "2"])
    suite = eval_magic.build_suite(
        SUITE, options, namespace=ip.user_ns, versions=magics.context.agent_versions
    )
    assert suite.variant_names() == ["v1", "v2"]
    assert suite.agent_for("v1")["system_prompt"] == "Be helpful."
    assert suite.agent_for("v2")["system_prompt"] == "Be terse."
    # The version's @tool function answers the calls during the run.
    assert suite.tools["lookup_order"].as_function()(order_id="7")["status"] == "shipped"
    own = SUITE.replace("agent: {name: Desk}", "agent: {name: Desk}\nvariants: {only: {}}")
    with pytest.raises(UsageError, match="needs a system_prompt"):
        eval_magic.build_suite(own, options, namespace={}, versions=magics.context.agent_versions)


def test_suite_mistakes_are_usage_errors_and_create_nothing(
    ip: InteractiveShell, local_env: RunningServer
) -> None:
    _versions(ip)
    before = len(local_env.agents())
    bad = SUITE.replace("name: lookup_order", "name: lookup")
    with pytest.raises(UsageError, match=r"line 6: scenarios\[0\].*unknown tool 'lookup'"):
        ip.run_cell_magic("nur_eval", "", bad)
    with pytest.raises(UsageError, match="no variant 'v9'"):
        ip.run_cell_magic("nur_eval", "--variants v9", SUITE)
    with pytest.raises(UsageError, match="--repeat must be at least 1"):
        ip.run_cell_magic("nur_eval", "--repeat 0", SUITE)
    with pytest.raises(UsageError, match="the cell body is the suite"):
        ip.run_cell_magic("nur_eval", "", "  ")
    with pytest.raises(UsageError, match="no variable 'nothing'"):
        ip.run_cell_magic("nur_eval", "--scenarios nothing", SUITE)
    with pytest.raises(UsageError, match="cannot read"):
        ip.run_line_magic("nur", "eval /no/such/suite.yaml")
    assert len(local_env.agents()) == before
    assert "eval_run" not in ip.user_ns


def test_a_suite_file_and_added_scenarios(ip: InteractiveShell, tmp_path: Path) -> None:
    _versions(ip)
    path = tmp_path / "desk.yaml"
    path.write_text(SUITE)
    magics = ip.magics_manager.registry["NurMagics"]
    ip.user_ns["extra"] = {
        "name": "bye",
        "turns": [{"user": "Bye.", "expect": {"no_tool_call": True}}],
    }
    options = eval_magic.parse_options(["--scenarios", "extra"])
    suite = eval_magic.build_suite(
        path.read_text(),
        options,
        namespace=ip.user_ns,
        versions=magics.context.agent_versions,
        source=path,
    )
    assert [s.name for s in suite.scenarios] == ["status", "bye"]


def test_update_is_refused_without_a_running_conversation(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="no running conversation of 'Desk'"):
        ip.run_cell_magic("nur_agent", "Desk --update", "New prompt.")
