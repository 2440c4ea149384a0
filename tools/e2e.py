"""Real-browser tests of the HTML book and of JupyterLab (``make e2e``).

Debian's Chromium (``/usr/bin/chromium``; never a downloaded browser), driven by Playwright,
headless, with a fresh profile. Every request that leaves 127.0.0.1 is blocked and reported as a
failure: the book and the course must work with no network.

Book (``_build/html``, from ``make book``), served on 127.0.0.1:

* every page: no failed request for a local file, no blocked request, no JavaScript error;
  formulas typeset (MathJax output present, no raw ``$$`` or ``\\(`` left in the text);
* the chapter under test: moving the slider of its first interactive figure (keyboard, like a
  reader) shows another frame; the first "Show solution" toggle opens.

JupyterLab, started on 127.0.0.1 with a random token, on a copy of the chapter:

* run all cells from the Run menu, wait until the kernel is idle, and confirm that no cell
  errored (in the page and in the saved notebook);
* move the slider of a live interactive figure and see its image change.

Screenshots go to ``_build/e2e/``. The chapter under test is ``--chapter`` (a name such as
``01_neuron``; default: the first chapter in ``_toc.yml`` that exists). With no chapter yet, the
demo notebook ``tests/e2e/demo.ipynb`` is used, in a separate demo build of the book.
"""

from __future__ import annotations

import argparse
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "e2e"
DEMO = ROOT / "tests" / "e2e" / "demo.ipynb"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


class E2EFailure(AssertionError):
    """A check of the browser tests failed."""


@dataclass
class Report:
    """What the tests saw: passed checks, failures, blocked and failed requests."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    local_failures: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    page_bytes: dict[str, int] = field(default_factory=dict)

    def check(self, ok: bool, name: str, detail: str = "") -> None:
        if ok:
            self.passed.append(name)
            print(f"  PASS {name}", flush=True)
        else:
            self.failed.append(f"{name}: {detail}")
            print(f"  FAIL {name}: {detail}", flush=True)


def log(message: str) -> None:
    print(f"[e2e] {message}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    return parsed.hostname in LOCAL_HOSTS


def chapters_in_toc() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    entries: list[str] = []
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            if str(chapter.get("file", "")).startswith("notebooks/"):
                entries.append(chapter["file"])
    return entries


def choose_chapter(name: str | None) -> tuple[str, Path]:
    """The chapter under test: its toc entry and its notebook."""
    if name in ("demo", str(DEMO.relative_to(ROOT))):
        return "tests/e2e/demo", DEMO
    if name:
        stem = Path(name).stem
        path = ROOT / "notebooks" / f"{stem}.ipynb"
        if not path.is_file():
            raise SystemExit(f"[e2e] no chapter notebook {path.relative_to(ROOT)}")
        return f"notebooks/{stem}", path
    for entry in chapters_in_toc():
        path = ROOT / f"{entry}.ipynb"
        if path.is_file():
            return entry, path
    log("no chapter notebook exists yet: testing the demo notebook tests/e2e/demo.ipynb")
    return "tests/e2e/demo", DEMO


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a thread); yields the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def browser(report: Report) -> Iterator[Any]:
    """A headless Chromium context (fresh profile) that blocks and records non-local requests."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"[e2e] {CHROMIUM} is missing: apt-get install chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="mlcourse-e2e-profile-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900}, service_workers="block",
            )

            def route(route: Any) -> None:
                url = route.request.url
                if is_local(url):
                    route.continue_()
                else:
                    report.blocked.append(url)
                    route.abort()

            context.route("**/*", route)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def watch(page: Any, report: Report, where: str) -> None:
    """Record failed local requests and uncaught JavaScript errors of a page."""

    def on_failed(request: Any) -> None:
        if is_local(request.url) and not request.url.startswith(("data:", "blob:")):
            report.local_failures.append(f"{where}: {request.url} ({request.failure})")

    def on_response(response: Any) -> None:
        if is_local(response.url) and response.status >= 400:
            report.local_failures.append(f"{where}: {response.url} (HTTP {response.status})")

    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: report.js_errors.append(f"{where}: {exc}"))


_TEXT_OUTSIDE_CODE = """() => {
  const root = document.querySelector('article') || document.body;
  const copy = root.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, .cell_input').forEach(e => e.remove());
  return copy.textContent;
}"""


def check_math(page: Any, report: Report, where: str, expect_math: bool) -> None:
    if expect_math:
        try:
            page.wait_for_selector("mjx-container", state="attached", timeout=20_000)
        except Exception:
            pass
        page.wait_for_timeout(300)
    typeset = page.locator("mjx-container").count()
    text = page.evaluate(_TEXT_OUTSIDE_CODE)
    raw = [token for token in ("$$", "\\(", "\\[") if token in text]
    if expect_math:
        report.check(typeset > 0 and not raw, f"math typeset on {where}",
                     f"{typeset} MathJax elements, raw TeX markers left: {raw}")
    else:
        report.check(not raw, f"no raw TeX on {where}", f"raw TeX markers left: {raw}")


def check_widget_views(page: Any, report: Report, where: str) -> None:
    """Saved widget views (no static HTML) are rendered by the book's own widgets manager."""
    views = page.locator("script[type='application/vnd.jupyter.widget-view+json']").count()
    try:
        page.wait_for_selector(".cell_output .jupyter-widgets", state="attached", timeout=20_000)
    except Exception:
        pass
    rendered = page.locator(".cell_output .jupyter-widgets").count()
    report.check(rendered >= 1, f"saved widgets rendered offline on {where}",
                 f"{views} widget views in the page, {rendered} rendered by the widgets manager")


def test_widget_manager(report: Report) -> None:
    """The demo build: a plain ipywidget rendered from saved state, with no network."""
    html = ensure_book("tests/e2e/demo", rebuild=False)
    with serve(html) as base, browser(report) as context:
        page = context.new_page()
        watch(page, report, "demo book")
        page.goto(f"{base}/tests/e2e/demo.html", wait_until="load")
        check_math(page, report, "tests/e2e/demo", expect_math=True)
        check_widget_views(page, report, "tests/e2e/demo")
        page.wait_for_load_state("networkidle")
        progress = page.locator(".cell_output .jupyter-widgets").last
        if progress.count():
            progress.scroll_into_view_if_needed()
            progress.screenshot(path=str(OUT / "book-demo-widget.png"))


def visible_frame(scrubber: Any) -> tuple[str | None, str | None]:
    return scrubber.evaluate("""(root) => {
      const img = Array.from(root.querySelectorAll('img[data-mlc-frame]'))
                       .find(i => getComputedStyle(i).display !== 'none');
      return img ? [img.getAttribute('data-mlc-frame'), img.src.slice(-64)] : [null, null];
    }""")


def test_book(html: Path, chapter: str, report: Report) -> None:
    info_file = html.parent / "book-build.json"
    pages = json.loads(info_file.read_text())["pages"] if info_file.exists() else []
    pages = list(dict.fromkeys(["book/intro", "book/notation", *pages]))
    if chapter not in pages:
        raise SystemExit(f"[e2e] {chapter} is not in the built book {html}; run `make book` first")
    OUT.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with serve(html) as base, browser(report) as context:
        page = context.new_page()
        watch(page, report, "book")
        transferred = {"bytes": 0}

        def count(request: Any) -> None:
            with contextlib.suppress(Exception):
                transferred["bytes"] += request.sizes()["responseBodySize"]

        page.on("requestfinished", count)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        for entry in pages:
            t0 = time.perf_counter()
            transferred["bytes"] = 0
            page.goto(f"{base}/{entry}.html", wait_until="load")
            source = (html / f"{entry}.html").read_text(encoding="utf-8")
            check_math(page, report, entry, expect_math="math notranslate" in source)
            if 'type="application/vnd.jupyter.widget-view+json"' in source:
                check_widget_views(page, report, entry)
            page.wait_for_load_state("networkidle")
            report.page_bytes[entry] = transferred["bytes"]
            log(f"{entry}: loaded in {time.perf_counter() - t0:.1f} s, "
                f"{transferred['bytes'] / 1e6:.2f} MB transferred (empty cache)")
        page.remove_listener("requestfinished", count)
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        page.goto(f"{base}/book/notation.html", wait_until="load")
        page.wait_for_selector("mjx-container", state="attached")
        page.screenshot(path=str(OUT / "book-notation.png"), full_page=False)

        page.goto(f"{base}/{chapter}.html", wait_until="load")
        check_math(page, report, chapter, expect_math=True)
        page.screenshot(path=str(OUT / "book-chapter.png"))
        scrubbers = page.locator(".mlcourse-interactive")
        report.check(scrubbers.count() > 0, f"{chapter} has an interactive figure",
                     "no .mlcourse-interactive element on the page")
        if scrubbers.count():
            scrubber = scrubbers.first
            scrubber.scroll_into_view_if_needed()
            scrubber.screenshot(path=str(OUT / "book-figure-before.png"))
            before = visible_frame(scrubber)
            control = scrubber.locator("input[type=range]").first
            if control.count():
                control.focus()
                page.keyboard.press("End")
                if visible_frame(scrubber) == before:
                    page.keyboard.press("Home")
            else:
                select = scrubber.locator("select").first
                options = select.locator("option").count()
                select.select_option(index=(options - 1))
            page.wait_for_timeout(200)
            after = visible_frame(scrubber)
            scrubber.screenshot(path=str(OUT / "book-figure-after.png"))
            report.check(before[0] is not None and after[0] is not None and before != after,
                         "book figure changes when its slider moves",
                         f"visible frame before {before[0]}, after {after[0]}")
        toggles = page.locator(".tag_exercise details.hide")
        if toggles.count() == 0:
            toggles = page.locator("details.hide.above-input")
        report.check(toggles.count() > 0, f"{chapter} has a solution toggle", "no exercise toggle found")
        if toggles.count():
            toggle = toggles.first
            toggle.scroll_into_view_if_needed()
            closed = not toggle.evaluate("d => d.open")
            code_hidden = not toggle.locator(".cell_input").is_visible()
            toggle.locator("summary").click()
            page.wait_for_timeout(200)
            opened = toggle.evaluate("d => d.open")
            code_shown = toggle.locator(".cell_input").is_visible()
            label = toggle.locator("summary").inner_text()
            toggle.screenshot(path=str(OUT / "book-solution-open.png"))
            report.check(closed and code_hidden and opened and code_shown,
                         "solution toggle starts closed and opens",
                         f"closed={closed}, hidden={code_hidden}, opened={opened}, shown={code_shown}")
            report.check("solution" in label.lower(), "toggle is labelled as a solution",
                         f"summary text {label!r}")
    report.timings["book"] = time.perf_counter() - start


@contextlib.contextmanager
def jupyterlab(workdir: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab on 127.0.0.1 with a random token, serving ``workdir``; yields (url, token)."""
    port = free_port()
    token = secrets.token_hex(16)
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    runtime = workdir / ".jupyter-runtime"
    env.update(JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(workdir / ".jupyter-config"),
               IPYTHONDIR=str(workdir / ".ipython"), JUPYTER_PLATFORM_DIRS="1")
    command = [
        str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
        f"--LabApp.workspaces_dir={workdir / '.workspaces'}", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    settings = workdir / ".lab-user-settings"
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    command.append(f"--LabApp.user_settings_dir={settings}")
    logfile = (OUT / "jupyterlab.log").open("w")
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=logfile, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise SystemExit(f"[e2e] JupyterLab exited with {process.returncode}; see {logfile.name}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"[e2e] JupyterLab did not start within 90 s; see {logfile.name}")
            time.sleep(0.5)
        yield url, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        logfile.close()


_PROMPTS = """() => Array.from(document.querySelectorAll(
    '.jp-Notebook .jp-Cell.jp-CodeCell .jp-InputArea-prompt')).map(p => p.textContent.trim())"""
_KERNEL_STATUS = """() => {
  const app = window.jupyterapp;
  const widget = app && app.shell.currentWidget;
  const kernel = widget && widget.sessionContext && widget.sessionContext.session
                 && widget.sessionContext.session.kernel;
  return kernel ? kernel.status : 'none';
}"""


def test_lab(notebook: Path, report: Report, timeout: float) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mlcourse-e2e-lab-") as tmp:
        workdir = Path(tmp)
        target = workdir / notebook.name
        shutil.copy2(notebook, target)
        with jupyterlab(workdir) as (url, token), browser(report) as context:
            page = context.new_page()
            watch(page, report, "lab")
            page.goto(f"{url}/lab/tree/{notebook.name}?token={token}", wait_until="load")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            page.wait_for_function(f"() => ({_KERNEL_STATUS})() === 'idle'", timeout=90_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            started = time.perf_counter()
            with contextlib.suppress(Exception):
                page.wait_for_function(
                    f"() => ({_PROMPTS})().some(p => p.includes('*'))", timeout=30_000)
            page.wait_for_function(
                f"() => !({_PROMPTS})().some(p => p.includes('*')) && ({_KERNEL_STATUS})() === 'idle'",
                timeout=timeout * 1000, polling=500)
            report.timings["lab run all"] = time.perf_counter() - started
            prompts = page.evaluate(_PROMPTS)
            unrun = [p for p in prompts if p in ("[ ]:", "")]
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
            page.screenshot(path=str(OUT / "lab-after-run-all.png"))
            mtime = target.stat().st_mtime_ns
            page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
            deadline = time.monotonic() + 15
            while target.stat().st_mtime_ns == mtime and time.monotonic() < deadline:
                time.sleep(0.2)
            report.check(target.stat().st_mtime_ns != mtime, "JupyterLab saved the executed notebook",
                         "the file did not change within 15 s of docmanager:save")
            saved = json.loads(target.read_text(encoding="utf-8"))
            saved_errors = [
                f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
                for i, cell in enumerate(saved["cells"]) if cell["cell_type"] == "code"
                for o in cell.get("outputs", []) if o.get("output_type") == "error"
            ]
            report.check(not tracebacks and not saved_errors and not unrun,
                         f"JupyterLab ran all {len(prompts)} code cells of {notebook.name} without error",
                         f"errors in page: {tracebacks[:2]}, in saved notebook: {saved_errors[:3]}, "
                         f"cells not run: {len(unrun)}")

            live = page.locator(".mlcourse-interactive-live")
            report.check(live.count() > 0, "a live interactive figure is shown",
                         "no .mlcourse-interactive-live widget in the notebook")
            if live.count():
                widget = live.first
                widget.scroll_into_view_if_needed()
                image = widget.locator("img").first
                image.wait_for(timeout=30_000)
                before = image.get_attribute("src")
                widget.screenshot(path=str(OUT / "lab-widget-before.png"))
                handle = widget.locator(".noUi-handle, .widget-slider input").first
                changed = False
                if handle.count():
                    handle.focus()
                    for key in ("End", "Home"):
                        pressed = time.perf_counter()
                        page.keyboard.press(key)
                        try:
                            page.wait_for_function(
                                "([el, src]) => el.getAttribute('src') !== src",
                                arg=[image.element_handle(), before], timeout=15_000, polling=10)
                            report.timings["lab slider -> new image"] = time.perf_counter() - pressed
                            changed = True
                            break
                        except Exception:
                            continue
                else:
                    select = widget.locator("select").first
                    select.select_option(index=select.locator("option").count() - 1)
                    page.wait_for_timeout(2000)
                    changed = image.get_attribute("src") != before
                widget.screenshot(path=str(OUT / "lab-widget-after.png"))
                report.check(changed, "JupyterLab figure changes when its slider moves",
                             "the image source stayed the same after moving the slider")
    report.timings["lab"] = time.perf_counter() - start


def ensure_book(chapter: str, rebuild: bool) -> Path:
    """The built book that contains ``chapter`` (a demo build for the demo notebook)."""
    if chapter == "tests/e2e/demo":
        build_dir = "_build/e2e-demo"
        html = ROOT / build_dir / "html"
        stale = (not (html / f"{chapter}.html").exists()
                 or (html / f"{chapter}.html").stat().st_mtime < DEMO.stat().st_mtime)
        if rebuild or stale:
            log("building the demo book into _build/e2e-demo/html")
            subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py"), "--demo",
                            "--build-dir", build_dir], check=True, cwd=ROOT)
        return html
    html = ROOT / "_build" / "html"
    if rebuild or not (html / f"{chapter}.html").exists():
        log("building the book (make book)")
        subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py")], check=True, cwd=ROOT)
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", help="chapter under test, e.g. 01_neuron, or 'demo' "
                                          "(default: MLCOURSE_E2E_CHAPTER, else the first that exists)")
    parser.add_argument("--book-only", action="store_true", help="skip the JupyterLab tests")
    parser.add_argument("--lab-only", action="store_true", help="skip the book tests")
    parser.add_argument("--rebuild", action="store_true", help="build the book first")
    parser.add_argument("--skip-demo", action="store_true",
                        help="skip the widgets-manager test on the demo build")
    parser.add_argument("--lab-timeout", type=float, default=240.0,
                        help="seconds allowed for running all cells (default: %(default)s)")
    args = parser.parse_args(argv)
    chapter, notebook = choose_chapter(args.chapter or os.environ.get("MLCOURSE_E2E_CHAPTER"))
    log(f"chapter under test: {chapter}")
    report = Report()
    start = time.perf_counter()
    if not args.lab_only:
        html = ensure_book(chapter, args.rebuild)
        log(f"book tests on {html}")
        test_book(html, chapter, report)
        if chapter != "tests/e2e/demo" and not args.skip_demo:
            log("widgets manager test on the demo build (_build/e2e-demo)")
            test_widget_manager(report)
    if not args.book_only:
        log(f"JupyterLab tests on {notebook.relative_to(ROOT)}")
        test_lab(notebook, report, args.lab_timeout)
    report.check(not report.blocked, "no request left 127.0.0.1",
                 f"{len(report.blocked)} blocked: {sorted(set(report.blocked))[:5]}")
    report.check(not report.local_failures, "no failed request for a local file",
                 f"{report.local_failures[:5]}")
    report.check(not report.js_errors, "no uncaught JavaScript error", f"{report.js_errors[:5]}")
    total = time.perf_counter() - start
    summary = {"chapter": chapter, "passed": report.passed, "failed": report.failed,
               "blocked": report.blocked, "local_failures": report.local_failures,
               "js_errors": report.js_errors, "page_bytes": report.page_bytes,
               "timings_s": {k: round(v, 2) for k, v in {**report.timings, "total": total}.items()}}
    (OUT / "report.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    timings = ", ".join(f"{k} {v:.2f} s" for k, v in summary["timings_s"].items())
    log(f"screenshots and report.json in {OUT.relative_to(ROOT)}/ ({timings})")
    print(f"e2e: {len(report.passed)} passed, {len(report.failed)} failed", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
