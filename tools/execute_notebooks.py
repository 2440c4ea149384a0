"""Execute chapter notebooks in place, top to bottom, each in a fresh kernel (``make notebooks``).

Authors run this after editing a notebook so that the committed outputs are
what a fresh execution produces (``make test`` checks that, within stated tolerances).
Prints the execution time of each notebook: the budget is 45 s on 2 cores.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    os.environ.pop("MPLBACKEND", None)  # the kernel must use the inline backend
    os.environ["PYTHONHASHSEED"] = "0"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # the same setting as `make test`: outputs must not depend on it
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(paths: list[str]) -> int:
    notebooks = [Path(p) for p in paths] or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in notebooks:
        seconds = execute(path)
        flag = "" if seconds <= 45 else "  (over the 45 s budget)"
        print(f"{path}: executed in {seconds:.1f} s{flag}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
