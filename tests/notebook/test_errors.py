"""What a notebook user catches: one root, and the built-ins they always were."""

from __future__ import annotations

from pathlib import Path

import pytest

from nur_notebook import NurError
from nur_notebook.notebook.errors import (
    ConversationEndedError,
    ConversationTimeoutError,
    LocalServerError,
)
from nur_notebook.notebook.local_server import LocalServer


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (LocalServerError, RuntimeError),
        (ConversationEndedError, RuntimeError),
        (ConversationTimeoutError, TimeoutError),
    ],
)
def test_notebook_errors_share_the_package_root(error: type[Exception], builtin: type) -> None:
    assert issubclass(error, NurError)
    assert issubclass(error, builtin)


def test_a_missing_key_file_is_a_nur_error(tmp_path: Path) -> None:
    server = LocalServer(tmp_path)
    with pytest.raises(NurError, match="wrote no API key"):
        server.api_key()
