"""Gradescope's autograder zip for one assignment (``mlcourse gradescope --assignment ch05``).

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once
to build the image, and ``run_autograder`` for every submission, which must
leave ``/autograder/results/results.json``. The zip holds:

* ``setup.sh``: installs bubblewrap and Python, and this package (from the zip);
* ``run_autograder``: grades the submitted notebook on ``manifest.json``;
* ``manifest.json``: the assignment (exercise ids and points), so the grade
  never depends on what the submission holds;
* ``package/``: the mlcourse sources, ``pyproject.toml`` and ``README.md``.

``run_autograder`` grades isolated with bubblewrap when the container allows
user namespaces. Gradescope already runs every submission in its own
container; when that container forbids user namespaces (Docker's default
seccomp profile does), the per-submission container is the isolation, and the
grader runs with ``--no-isolation`` and says so in ``results.json``.
Set ``MLCOURSE_REQUIRE_ISOLATION=1`` in ``run_autograder`` to refuse instead.
"""

from __future__ import annotations

import json
import stat
import time
import zipfile
from pathlib import Path

from .grader import Assignment

PACKAGE_ROOT = Path(__file__).resolve().parents[2]

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image set-up: bubblewrap for the sandbox, Python, and mlcourse from this zip.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bubblewrap python3 python3-venv python3-pip util-linux >/dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet /autograder/source/package
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grade the one submitted notebook on the assignment in manifest.json.
set -uo pipefail
cd /autograder/source
mkdir -p /autograder/results
shopt -s nullglob
notebooks=(/autograder/submission/*.ipynb)
if [ ${#notebooks[@]} -ne 1 ]; then
    printf '{"score": 0, "output": "Submit exactly one .ipynb notebook (found %d).", "tests": []}\\n' \\
        "${#notebooks[@]}" > /autograder/results/results.json
    exit 0
fi
grade() {
    /autograder/venv/bin/mlcourse grade "${notebooks[0]}" --assignment manifest.json \\
        --json /tmp/grading-report.json --gradescope /autograder/results/results.json "$@"
}
grade
status=$?
if [ "$status" -eq 3 ] && [ "${MLCOURSE_REQUIRE_ISOLATION:-0}" != "1" ]; then
    # No user namespaces in this container: Gradescope's per-submission container is the
    # isolation boundary (see the authors' page of the book).
    grade --no-isolation
fi
"""


def _package_files() -> list[tuple[Path, str]]:
    files = [(PACKAGE_ROOT / "pyproject.toml", "package/pyproject.toml"),
             (PACKAGE_ROOT / "README.md", "package/README.md")]
    for extra in sorted(PACKAGE_ROOT.glob("LICENSE*")):
        files.append((extra, f"package/{extra.name}"))
    for path in sorted((PACKAGE_ROOT / "mlcourse").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files.append((path, f"package/{path.relative_to(PACKAGE_ROOT).as_posix()}"))
    return [(p, n) for p, n in files if p.exists()]


def build_autograder(assignment: Assignment, out: str | Path) -> Path:
    """Write Gradescope's autograder zip for ``assignment`` to ``out``."""
    out = Path(out)
    stamp = time.localtime()[:6]

    def add_text(zf: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, date_time=stamp)
        mode = 0o755 if executable else 0o644
        info.external_attr = (stat.S_IFREG | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, text)

    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        add_text(zf, "setup.sh", SETUP_SH, executable=True)
        add_text(zf, "run_autograder", RUN_AUTOGRADER, executable=True)
        add_text(zf, "manifest.json", json.dumps(assignment.manifest(), indent=1) + "\n")
        for path, name in _package_files():
            zf.write(path, name, compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(out)
    return out
