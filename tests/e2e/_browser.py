"""Helpers of the real-browser tests: a local web server, Chromium, JupyterLab.

Debian's Chromium (``/usr/bin/chromium``; never a downloaded browser), driven by Playwright,
headless, with a fresh profile. Every request that leaves 127.0.0.1 is blocked and recorded:
the book and the course must work with no network.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "_build" / "e2e"
CHROMIUM = os.environ.get("MLCOURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
    # Two JupyterLab tabs run notebooks side by side: neither may be throttled as a background tab.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Notebooks run with one BLAS thread, as `make notebooks` runs them.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    return parsed.hostname in LOCAL_HOSTS


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a thread); yields the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                super().handle_error(request, client_address)

    handler = functools.partial(Quiet, directory=str(directory))
    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium(blocked: list[str]) -> Iterator[Any]:
    """A headless Chromium context (fresh profile) that blocks and records non-local requests."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    profile = tempfile.mkdtemp(prefix="mlcourse-e2e-profile-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900}, service_workers="block",
            )

            def route(route: Any) -> None:
                if is_local(route.request.url):
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()

            context.route("**/*", route)
            # A busy 2-core machine (CI, a laptop running the notebooks) is slow: generous limits.
            context.set_default_timeout(120_000)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def jupyterlab(workdir: Path, log_path: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab on 127.0.0.1 with a random token, serving ``workdir``; yields (url, token)."""
    port = free_port()
    token = secrets.token_hex(16)
    env = dict(os.environ, **ONE_THREAD)
    env.pop("MPLBACKEND", None)
    env.update(JUPYTER_RUNTIME_DIR=str(workdir / ".jupyter-runtime"),
               JUPYTER_CONFIG_DIR=str(workdir / ".jupyter-config"),
               IPYTHONDIR=str(workdir / ".ipython"), JUPYTER_PLATFORM_DIRS="1")
    settings = workdir / ".lab-user-settings"
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    command = [
        str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
        f"--LabApp.workspaces_dir={workdir / '.workspaces'}", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
        f"--LabApp.user_settings_dir={settings}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as logfile:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=logfile,
                                   stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"JupyterLab exited with {process.returncode}; see {log_path}")
                try:
                    with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as reply:
                        if reply.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start within 90 s; see {log_path}")
                time.sleep(0.5)
            yield url, token
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def book_pages() -> tuple[str, list[str]]:
    """The toc root and every page of ``_toc.yml`` whose source exists, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [str(toc["root"])]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            entry = node.get("file")
            if entry and any((ROOT / f"{entry}{s}").is_file() for s in (".ipynb", ".md")):
                pages.append(str(entry))
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return str(toc["root"]), pages


def chosen(chapters: list[str]) -> list[str]:
    """The chapters named in MLCOURSE_E2E_CHAPTERS (e.g. "01_neuron,05_backprop"), else all."""
    wanted = [w.strip() for w in os.environ.get("MLCOURSE_E2E_CHAPTERS", "").split(",") if w.strip()]
    if not wanted:
        return chapters
    return [c for c in chapters if any(Path(c).stem == w or c == w for w in wanted)]
