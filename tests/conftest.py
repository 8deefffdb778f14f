"""Suite-wide hooks."""

from __future__ import annotations

import sys

import pytest


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the /dev/null files llama-cpp-python opens at import and never closes, so the
    interpreter's exit prints no ResourceWarning after the test summary."""
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        handle = getattr(utils, name, None)
        if handle is not None and not handle.closed:
            handle.close()
