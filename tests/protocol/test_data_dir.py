"""The data directory's file names, and reading a kernel file's name back (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nur_notebook.protocol.data_dir import DataFiles, kernel_pid


def test_the_files_of_a_data_dir() -> None:
    files = DataFiles.under(Path("/srv/nur"))
    assert files.server_info == Path("/srv/nur/server.json")
    assert files.kernels == Path("/srv/nur/kernels")
    assert files.kernel_file(pid=4242, token="a1b2") == Path("/srv/nur/kernels/4242-a1b2.json")


def test_a_kernel_file_name_gives_back_its_pid() -> None:
    files = DataFiles.under(Path("/srv/nur"))
    assert kernel_pid(files.kernel_file(pid=4242, token="a1b2").name) == 4242
    assert kernel_pid("7-x-y.json") == 7  # the token is everything after the first dash


@pytest.mark.parametrize(
    "name",
    [
        "notes.txt",
        "4242-a1b2.json.tmp",  # being written
        "4242.json",  # no token
        "4242-.json",
        "-4242-a.json",
        "0-a.json",
        "abc-a.json",
        "\uff11\uff12-a.json",  # digits, but not ASCII ones
        ".json",
    ],
)
def test_other_names_are_not_kernel_files(name: str) -> None:
    assert kernel_pid(name) is None
