"""Run the tests and the notebook output check as if on several different machines (``make portability``).

Float results depend on the BLAS kernel, on the SIMD code NumPy dispatches to
and on the number of BLAS threads. One box can simulate machines that differ in
each of these:

=================  =================================================================
configuration      what it changes
=================  =================================================================
``default``        nothing: one BLAS thread, as ``make test``
``threads2``       two BLAS threads (a different summation order in matrix products)
``blas-kernel``    another OpenBLAS kernel (``OPENBLAS_CORETYPE``), e.g. Haswell code
                   on an AVX-512 machine
``simd-baseline``  NumPy without its run-time dispatched SIMD code
                   (``NPY_DISABLE_CPU_FEATURES``): the baseline instruction set only
``other-machine``  all three at once
=================  =================================================================

Each configuration first prints what it really simulates (read back from a
fresh interpreter), then runs the unit tests and re-executes every chapter
notebook under the tolerant output check (``tools/nbcheck.py``). The summary
table lists passed and failed tests per configuration; the exit status is
non-zero when anything failed or when a configuration could not be simulated.

Usage::

    python tools/portability.py                         # every configuration
    python tools/portability.py --config other-machine  # one of them
    python tools/portability.py --notebooks notebooks/05_backprop.ipynb --no-unit
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

PROBE = """
import json
import numpy as np
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
info = {"numpy": np.__version__,
        "simd": [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]}
try:
    import threadpoolctl
    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    info["blas"] = [(i["internal_api"], i.get("architecture"), i["num_threads"]) for i in blas]
except ImportError:
    info["blas"] = "threadpoolctl not installed"
print(json.dumps(info))
"""


def probe(env: dict[str, str]) -> dict:
    """What NumPy and BLAS look like in a fresh interpreter with ``env``."""
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternative_kernel(native: str | None) -> str | None:
    """An OpenBLAS kernel other than ``native`` that this CPU can run, or None."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "Sandybridge" if native == "Haswell" else "Haswell"
    if machine in ("aarch64", "arm64"):
        return "NEOVERSEN1" if (native or "").upper() == "ARMV8" else "ARMV8"
    return None


def configurations(base: dict[str, str]) -> dict[str, dict[str, str]]:
    """The environment of each simulated machine."""
    one = {**base, **{v: "1" for v in THREAD_VARS}}
    native = probe(one)
    kernel = next((arch for api, arch, _ in native["blas"] if api == "openblas"), None) \
        if isinstance(native["blas"], list) else None
    alt = alternative_kernel(kernel)
    simd_off = " ".join(native["simd"])
    configs = {
        "default": one,
        "threads2": {**one, **{v: "2" for v in THREAD_VARS}},
        "blas-kernel": {**one, "OPENBLAS_CORETYPE": alt or ""},
        "simd-baseline": {**one, "NPY_DISABLE_CPU_FEATURES": simd_off},
    }
    configs["other-machine"] = {**configs["threads2"], "OPENBLAS_CORETYPE": alt or "",
                                "NPY_DISABLE_CPU_FEATURES": simd_off}
    return configs


def counts(output: str) -> str:
    """pytest's closing counts (``12 passed, 1 failed``) from its output."""
    found = re.findall(r"^=* ?(\d+ (?:passed|failed|errors?|skipped|deselected)[^\n]*?) in [\d.]+s",
                       output, re.M)
    return found[-1] if found else "no result line"


def run(cmd: list[str], env: dict[str, str], log: Path) -> tuple[int, str, float]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    return proc.returncode, counts(proc.stdout), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", action="append", default=None,
                        help="run only this configuration (repeatable)")
    parser.add_argument("--notebooks", nargs="*", default=None,
                        help="notebooks to check (default: every chapter)")
    parser.add_argument("--no-unit", action="store_true", help="skip the unit tests")
    parser.add_argument("--no-notebooks", action="store_true", help="skip the notebooks")
    parser.add_argument("--logs", default="_build/portability", help="folder for full logs")
    args = parser.parse_args(argv)

    base = {k: v for k, v in os.environ.items()
            if k not in THREAD_VARS and k not in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")}
    base["PYTHONHASHSEED"] = "0"
    configs = configurations(base)
    chosen = args.config or list(configs)
    unknown = [c for c in chosen if c not in configs]
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; choose from {list(configs)}")
    notebooks = args.notebooks or sorted(str(p.relative_to(ROOT)) for p in
                                         (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    logs = (ROOT / args.logs).resolve()
    logs.mkdir(parents=True, exist_ok=True)

    rows, failed = [], False
    reference = probe(configs["default"])
    for name in chosen:
        env = configs[name]
        seen = probe(env)
        simulated = ", ".join(f"{k}={env[k]}" for k in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE",
                                                        "NPY_DISABLE_CPU_FEATURES") if env.get(k))
        print(f"\n=== {name}: {simulated}\n    numpy SIMD {seen['simd'] or 'baseline only'}; "
              f"BLAS {seen['blas']}", flush=True)
        if name != "default" and seen == reference:
            print(f"    {name} simulates nothing different on this machine", flush=True)
            if name != "threads2":
                failed = True
        results = []
        if not args.no_unit:
            code, summary, sec = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                      "tests"], env, logs / f"{name}-unit.log")
            results.append(("unit tests", code, summary, sec))
        if not args.no_notebooks:
            code, summary, sec = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                      "-p", "tools.nbcheck", "--nbcheck", "-n", "2", *notebooks],
                                     env, logs / f"{name}-notebooks.log")
            results.append(("notebooks", code, summary, sec))
        for what, code, summary, sec in results:
            print(f"    {what:10s} {'ok' if code == 0 else 'FAILED':6s} {summary} ({sec:.0f} s)",
                  flush=True)
            failed |= code != 0
            rows.append((name, what, code, summary, sec))

    print("\nconfiguration   part        result  counts")
    for name, what, code, summary, sec in rows:
        print(f"{name:15s} {what:11s} {'ok' if code == 0 else 'FAILED':7s} {summary} ({sec:.0f} s)")
    print(f"full logs in {logs}/")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
