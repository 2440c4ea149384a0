"""Live redraw time of every chapter's interactive figures.

Executes each chapter notebook in a fresh kernel, then times ``render`` (draw
into the cleared figure and encode the PNG the live widget shows) of every
interactive figure the notebook displayed, over several control values. The
target is a redraw well under 0.2 s. A script, not a test: timings depend on
the machine and its load (the load average is printed).

Usage: ``.venv/bin/python benchmarks/bench_chapter_widgets.py [notebooks ...]``
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

PROBE = r'''
import itertools, json, statistics, time
from mlcourse.widgets import InteractiveFigure
_report = []
for _n, _v in sorted(Out.items()):
    if not isinstance(_v, InteractiveFigure):
        continue
    _combos = [dict(zip(_v.frames.names, vals))
               for vals in itertools.product(*(_v.frames.values[n] for n in _v.frames.names))]
    _grid = _combos[:: max(1, len(_combos) // 8)]
    _times = []
    for _vals in _grid:
        _t = time.perf_counter(); _v.render(**_vals); _times.append(time.perf_counter() - _t)
    _report.append({"cell": _n, "frames": _v.n_frames, "median": statistics.median(_times),
                    "max": max(_times)})
print("WIDGETS" + json.dumps(_report))
'''


def measure(path: Path) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for out in nb.cells[-1].outputs:
        text = "".join(out.get("text", ""))
        if text.startswith("WIDGETS"):
            return json.loads(text[len("WIDGETS"):])
    raise RuntimeError(f"{path.name}: the probe printed nothing")


def main(paths: list[str]) -> int:
    os.environ.pop("MPLBACKEND", None)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"load average {os.getloadavg()[0]:.2f}; redraw = draw + PNG encoding, seconds")
    print(f"{'notebook':24} {'cell':>5} {'frames':>6} {'median':>8} {'max':>8}")
    worst = 0.0
    for path in notebooks:
        for row in measure(path):
            worst = max(worst, row["median"])
            print(f"{path.name:24} {row['cell']:>5} {row['frames']:>6} {row['median']:8.3f} {row['max']:8.3f}")
    print(f"slowest median redraw: {worst:.3f} s (target: well under 0.2 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
