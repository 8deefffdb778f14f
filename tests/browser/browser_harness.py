"""Browser test harness: a real Jupyter server, headless Chromium with a fake microphone.

- ``JupyterServer``: JupyterLab or Notebook 7 on 127.0.0.1 and a free port, with its own
  temporary JUPYTER_*/IPYTHON dirs and this checkout's ``jupyter-config`` (so the server
  extension, TCP_NODELAY and the audio relay route, is on, as after ``pip install``).
- ``speech_wav``: a WAV of eSpeak NG speech padded with silence, for Chromium's fake capture.
- ``launch_chromium``: the Debian browser through Playwright, never a downloaded one.
- ``Page helpers``: open a notebook, wait for an idle kernel, run all cells, evaluate Python
  in the page's kernel (from outside any cell, so comm messages keep flowing).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
Flavour = Literal["lab", "notebook"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_notebook(path: Path, cells: list[str]) -> Path:
    """A minimal nbformat-4 notebook of code cells."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": src,
            }
            for i, src in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb, indent=1))
    return path


class JupyterServer:
    """One ``jupyter lab`` or ``jupyter notebook`` process for a test module."""

    def __init__(
        self,
        flavour: Flavour,
        base: Path,
        *,
        nodelay: bool = True,
        extra_env: dict[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.flavour = flavour
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.root = base / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.url = f"http://127.0.0.1:{self.port}"
        config = base / "config"
        shutil.copytree(REPO / "jupyter-config", config, dirs_exist_ok=True)
        if not nodelay:  # the stock server (no relay route, Nagle on), for comparison
            off = {"nur_notebook.notebook._server_ext": False}
            ext = {"ServerApp": {"jpserver_extensions": off}}
            (config / "jupyter_server_config.d" / "nur_notebook.json").write_text(json.dumps(ext))
        # No "get notified about Jupyter news?" toast over the widget.
        (config / "labconfig").mkdir(exist_ok=True)
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps(
                {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
            )
        )
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_DATA_DIR=str(base / "data"),
            JUPYTER_RUNTIME_DIR=str(base / "runtime"),
            IPYTHONDIR=str(base / "ipython"),
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
        )
        env.update(extra_env or {})
        app = "JupyterNotebookApp" if flavour == "notebook" else "LabApp"
        args = [
            sys.executable,
            "-m",
            "jupyter",
            flavour,
            "--no-browser",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={self.root}",
            f"--{app}.expose_app_in_browser=True",
            *extra_args,
        ]
        self.log_path = base / "jupyter.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            args, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_up()

    def _wait_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.api("status"), timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"jupyter did not come up in {timeout} s:\n{self.log()}")

    def api(self, path: str) -> str:
        return f"{self.url}/api/{path}?token={self.token}"

    def notebook_url(self, name: str, *, host: str | None = None) -> str:
        base = f"http://{host}:{self.port}" if host else self.url
        if self.flavour == "lab":
            # ``reset``: a fresh workspace. Without it Lab reopens the notebooks of the
            # previous page too, and one of them may end up the current widget.
            return f"{base}/lab/tree/{name}?reset&token={self.token}"
        return f"{base}/notebooks/{name}?token={self.token}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                req = urllib.request.Request(self.api("shutdown"), method="POST")
                urllib.request.urlopen(req, timeout=5).close()
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self._log.close()


def speech_wav(text: str, path: Path, *, rate: int = 48000, voice: str = "en-us") -> Path:
    """eSpeak NG speech as mono PCM16 at ``rate``, with 0.5 s of silence at each end."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(path), "pad", "0.5", "0.5"],
        check=True,
    )
    raw.unlink()
    return path


def chromium_args(wav: Path | None, *, fake_ui: bool = True) -> list[str]:
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-device-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
    ]
    if fake_ui:
        args.append("--use-fake-ui-for-media-stream")
    if wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={wav}%noloop")
    return args


# --- page helpers (Playwright sync API) ---------------------------------------------------

_KERNEL_READY = """(name) => {
  const app = window.jupyterapp;
  if (!app) return false;
  const mine = (w) => w && w.context && w.context.path === name;
  if (!mine(app.shell.currentWidget)) {
    // The page may show other documents (a restored workspace): make ``name`` current,
    // since the run-all command and kernel_eval act on the current widget.
    const found = [...app.shell.widgets("main")].find(mine);
    if (found) app.shell.activateById(found.id);
    return false;
  }
  const ctx = app.shell.currentWidget.sessionContext;
  const k = ctx && ctx.session && ctx.session.kernel;
  return Boolean(ctx && ctx.isReady && k && k.status === "idle");
}"""

_EXEC = """async (code) => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, silent: false, store_history: false });
  let out = "";
  let err = "";
  future.onIOPub = (msg) => {
    const t = msg.header.msg_type;
    if (t === "stream") out += msg.content.text;
    else if (t === "execute_result") out += msg.content.data["text/plain"];
    else if (t === "error") err += msg.content.ename + ": " + msg.content.evalue;
  };
  await future.done;
  return { out, err };
}"""


def open_notebook(
    page: Any, server: JupyterServer, name: str, *, timeout: float = 90.0, host: str | None = None
) -> None:
    """Open ``name`` (through ``host`` if given) and wait for an idle kernel for half a second."""
    page.goto(server.notebook_url(name, host=host))
    deadline = time.monotonic() + timeout
    idle_since: float | None = None
    while time.monotonic() < deadline:
        ready = page.evaluate(_KERNEL_READY, name)
        now = time.monotonic()
        if ready:
            idle_since = idle_since or now
            if now - idle_since > 0.5:
                return
        else:
            idle_since = None
        page.wait_for_timeout(200)
    raise TimeoutError(f"kernel not idle after {timeout} s:\n{server.log()}")


def run_all(page: Any) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def run_notebook(page: Any, server: JupyterServer, name: str, cells: list[str]) -> None:
    """Write the notebook ``name`` of ``cells``, open it and run all its cells."""
    write_notebook(server.root / name, cells)
    open_notebook(page, server, name)
    run_all(page)


def kernel_eval(page: Any, code: str) -> str:
    """Run ``code`` in the page's kernel and return what it printed; raise on an error."""
    result = page.evaluate(_EXEC, code)
    if result["err"]:
        raise AssertionError(f"kernel error: {result['err']}")
    return str(result["out"])


def kernel_json(page: Any, expr: str) -> Any:
    """The JSON value of a Python expression evaluated in the page's kernel."""
    return json.loads(kernel_eval(page, f"import json as _j; print(_j.dumps({expr}))"))


def wait_kernel(page: Any, expr: str, *, timeout: float, what: str) -> Any:
    """Poll a Python expression in the kernel until it is truthy; return its JSON value."""
    deadline = time.monotonic() + timeout
    value: Any = None
    while time.monotonic() < deadline:
        value = kernel_json(page, expr)
        if value:
            return value
        page.wait_for_timeout(500)
    raise AssertionError(f"timed out waiting for {what}; last value {value!r}")
