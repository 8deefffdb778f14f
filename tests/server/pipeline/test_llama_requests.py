"""The llama.cpp model parameters: a build with AMX runs without its AMX matrix code."""

from __future__ import annotations

import types

import llama_cpp
import pytest

from nur_notebook.server.pipeline.llama_requests import model_params


def _build(info: bytes) -> types.SimpleNamespace:
    """llama.cpp's module as far as ``model_params`` reads it, with the given build info."""
    return types.SimpleNamespace(
        llama_model_default_params=llama_cpp.llama_model_default_params,
        llama_print_system_info=lambda: info,
    )


def test_a_build_with_amx_loads_without_extra_buffer_types(
    caplog: pytest.LogCaptureFixture,
) -> None:
    info = b"CPU : AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1 |"
    params = model_params(_build(info))
    assert params.use_extra_bufts is False
    assert "AMX" in caplog.text


def test_the_installed_build_keeps_the_default_parameters() -> None:
    assert b"AMX_INT8 = 1" not in llama_cpp.llama_print_system_info()  # scripts/install.sh
    params = model_params(llama_cpp)
    assert params.use_extra_bufts is llama_cpp.llama_model_default_params().use_extra_bufts
    assert params.use_extra_bufts is True
