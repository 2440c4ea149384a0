"""The notebooks in JupyterLab, in a real browser (``make e2e``).

One JupyterLab on 127.0.0.1 (random token, one BLAS thread) serves a scratch folder with

* ``instructor/``: a copy of every chapter notebook, run with Run All (the command of the Run
  menu); no cell may produce an error output and every code cell must have run;
* ``student/``: the student release of every chapter (``tools/release.py``), run from the top
  through its first exercise cell (Run All Above on the cell after it): the student sees no
  error before their first exercise.

Two browser tabs share the work, one notebook at a time each, so two kernels keep both cores
busy. After its run, the first instructor notebook with a live interactive figure also has a
slider moved, and its image must change.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from _browser import OUT, ROOT, book_pages, chosen, chromium, jupyterlab
from mlcourse.grading.notebook import exercise_id_of

pytestmark = pytest.mark.e2e

_, PAGES = book_pages()
CHAPTERS = [f"{Path(p).name}.ipynb" for p in chosen([p for p in PAGES if p.startswith("notebooks/")])]
TABS = 2
RUN_TIMEOUT_S = 600

# One tab's work: open each notebook, start its kernel, run it, collect errors from the model,
# close it (shutting the kernel down). Results go to window.__mlcourse.
_RUNNER = """async (jobs) => {
  const app = window.jupyterapp;
  const state = window.__mlcourse = {done: false, results: [], current: null, error: null};
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  async function idle(widget) {
    for (;;) {
      const kernel = widget.sessionContext.session && widget.sessionContext.session.kernel;
      if (kernel && kernel.status === 'idle') return;
      await sleep(200);
    }
  }
  async function moveLiveSlider(widget) {
    const live = widget.node.querySelector('.mlcourse-interactive-live');
    if (!live) return {found: false};
    live.scrollIntoView();
    await sleep(500);
    const image = () => { const i = live.querySelector('img'); return i ? i.getAttribute('src') : null; };
    const before = image();
    const handle = live.querySelector('.noUi-handle');
    const select = live.querySelector('select');
    for (const key of ['End', 'Home']) {
      if (handle) {
        handle.focus();
        handle.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
      } else if (select) {
        select.selectedIndex = key === 'End' ? select.options.length - 1 : 0;
        select.dispatchEvent(new Event('change', {bubbles: true}));
      }
      for (let t = 0; t < 75; t++) {
        await sleep(200);
        if (image() !== before) return {found: true, changed: true, control: handle ? 'slider' : 'select'};
      }
    }
    return {found: true, changed: false, control: handle ? 'slider' : (select ? 'select' : 'none')};
  }
  let liveChecked = false;
  try {
    for (const job of jobs) {
      state.current = job.path;
      const t0 = performance.now();
      const widget = await app.commands.execute('docmanager:open', {path: job.path, factory: 'Notebook'});
      await widget.context.ready;
      await widget.sessionContext.ready;
      await idle(widget);
      app.shell.activateById(widget.id);
      for (let t = 0; t < 50 && app.shell.currentWidget !== widget; t++) await sleep(100);
      if (app.shell.currentWidget !== widget) throw new Error('could not activate ' + job.path);
      const t1 = performance.now();
      if (job.upTo === null) {
        await app.commands.execute('notebook:run-all-cells');
      } else {
        widget.content.activeCellIndex = job.upTo;
        await app.commands.execute('notebook:run-all-above');
      }
      await sleep(300);
      await idle(widget);
      const seconds = (performance.now() - t1) / 1000;
      const nb = widget.context.model.toJSON();
      const limit = job.upTo === null ? nb.cells.length : job.upTo;
      const errors = [], unrun = [], stderr = [];
      nb.cells.slice(0, limit).forEach((cell, i) => {
        if (cell.cell_type !== 'code') return;
        if (cell.execution_count === null) unrun.push(i);
        for (const out of cell.outputs || []) {
          if (out.output_type === 'error') errors.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
          if (out.output_type === 'stream' && out.name === 'stderr')
            stderr.push(`cell ${i}: ${[].concat(out.text).join('').slice(0, 200)}`);
        }
      });
      let live = null;
      if (job.live && !liveChecked) { live = await moveLiveSlider(widget); liveChecked = live.found; }
      state.results.push({path: job.path, seconds, open_seconds: (t1 - t0) / 1000, errors, unrun,
                          stderr, cells: limit, live});
      await widget.sessionContext.shutdown();
      widget.context.model.dirty = false;
      widget.dispose();
    }
  } catch (e) {
    state.error = String(e && e.stack || e);
  }
  state.done = true;
}"""


def _load_release():
    spec = importlib.util.spec_from_file_location("mlcourse_release", ROOT / "tools" / "release.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _first_exercise(nb: dict[str, Any]) -> int | None:
    return next((i for i, cell in enumerate(nb["cells"]) if exercise_id_of(cell) is not None), None)


def _has_live_figure(nb: dict[str, Any]) -> bool:
    return any("widget" in cell.get("metadata", {}).get("tags", []) for cell in nb["cells"])


def _jobs(workdir: Path) -> list[dict[str, Any]]:
    release = _load_release()
    sources = [ROOT / "notebooks" / name for name in CHAPTERS]
    url, branch = release.repository_settings(ROOT / "_config.yml")
    release.write(release.student_notebooks(sources, url, branch), workdir / "student", False)
    (workdir / "instructor").mkdir()
    jobs = []
    for source in sources:
        shutil.copy2(source, workdir / "instructor" / source.name)
        nb = json.loads(source.read_text(encoding="utf-8"))
        cost = sum(c["cell_type"] == "code" for c in nb["cells"])
        jobs.append({"path": f"instructor/{source.name}", "upTo": None, "live": _has_live_figure(nb),
                     "cost": cost})
        student = json.loads((workdir / "student" / source.name).read_text(encoding="utf-8"))
        first = _first_exercise(student)
        jobs.append({"path": f"student/{source.name}", "live": False,
                     "upTo": None if first is None else first + 1,
                     "cost": cost if first is None else first + 1})
    return jobs


@pytest.fixture(scope="module")
def lab_runs() -> dict[str, dict[str, Any]]:
    """Run every job in JupyterLab; returns the result of each notebook path."""
    if not CHAPTERS:
        pytest.skip("no chapter notebook exists")
    OUT.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mlcourse-e2e-lab-") as tmp:
        workdir = Path(tmp)
        jobs = sorted(_jobs(workdir), key=lambda j: -j["cost"])
        shares: list[list[dict[str, Any]]] = [[] for _ in range(TABS)]
        for job in jobs:  # longest first, each to the tab with the least work so far
            min(shares, key=lambda share: sum(j["cost"] for j in share)).append(job)
        with jupyterlab(workdir, OUT / "jupyterlab.log") as (url, token), chromium(blocked) as context:
            pages, page_errors = [], []
            for index, share in enumerate(shares):
                page = context.new_page()
                page.on("pageerror", lambda exc, i=index: page_errors.append(f"tab {i}: {exc}"))
                page.goto(f"{url}/lab?token={token}", wait_until="load")
                page.wait_for_function("() => window.jupyterapp && window.jupyterapp.restored")
                page.evaluate("() => window.jupyterapp.restored.then(() => true)")
                page.evaluate(f"jobs => {{ ({_RUNNER})(jobs); }}", share)
                pages.append(page)
            start = time.monotonic()
            while not all(p.evaluate("() => window.__mlcourse.done") for p in pages):
                if time.monotonic() - start > RUN_TIMEOUT_S:
                    current = [p.evaluate("() => window.__mlcourse.current") for p in pages]
                    pytest.fail(f"JupyterLab runs not finished after {RUN_TIMEOUT_S} s (at {current})")
                time.sleep(1)
            states = [p.evaluate("() => window.__mlcourse") for p in pages]
            pages[0].screenshot(path=str(OUT / "lab-last.png"))
    failures = [s["error"] for s in states if s["error"]]
    assert not failures, f"the JupyterLab runner failed: {failures}"
    results = {r["path"]: r for s in states for r in s["results"]}
    (OUT / "lab-report.json").write_text(json.dumps(
        {"results": results, "blocked": blocked, "page_errors": page_errors,
         "wall_seconds": round(time.monotonic() - start, 1)}, indent=1) + "\n", encoding="utf-8")
    results["__page_errors__"] = {"errors": page_errors, "blocked": blocked}
    return results


@pytest.mark.parametrize("name", CHAPTERS)
def test_instructor_notebook_runs_all_without_error(lab_runs, name):
    result = lab_runs[f"instructor/{name}"]
    assert not result["errors"], f"{name}: error outputs {result['errors'][:3]} (stderr: {result['stderr'][:2]})"
    assert not result["unrun"], f"{name}: code cells not run: {result['unrun'][:10]}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_student_release_runs_up_to_its_first_exercise(lab_runs, name):
    result = lab_runs[f"student/{name}"]
    assert not result["errors"], f"{name}: error outputs {result['errors'][:3]} (stderr: {result['stderr'][:2]})"
    assert not result["unrun"], f"{name}: code cells not run: {result['unrun'][:10]}"


def test_live_figure_changes_when_its_slider_moves(lab_runs):
    checked = [r["live"] for r in lab_runs.values() if isinstance(r.get("live"), dict) and r["live"]["found"]]
    if not checked:
        pytest.skip("no chapter has a live interactive figure (a cell tagged 'widget')")
    assert checked[0]["changed"], f"the live figure did not change: {checked[0]}"


def test_jupyterlab_made_no_outside_request_and_no_page_error(lab_runs):
    extra = lab_runs["__page_errors__"]
    assert not extra["blocked"], f"requests off 127.0.0.1: {sorted(set(extra['blocked']))[:5]}"
    assert not extra["errors"], f"uncaught errors in JupyterLab: {extra['errors'][:5]}"
