"""``import mlcourse`` stays fast: heavy libraries load only when a plot or widget asks."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("matplotlib", "ipywidgets", "tqdm", "torch", "scipy", "IPython")


def _run(code: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True, check=True,
                          timeout=60)


def _cumulative_import_us(stderr: str, module: str) -> int:
    """The cumulative time of ``module`` from ``python -X importtime`` output (microseconds)."""
    for line in stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise AssertionError(f"{module} not found in -X importtime output:\n{stderr}")


def test_import_mlcourse_takes_under_200_ms() -> None:
    # the best of three runs, so that a busy machine does not make the test flaky
    times = [_cumulative_import_us(_run("import mlcourse", "-X", "importtime").stderr, "mlcourse")
             for _ in range(3)]
    print(f"import mlcourse: {min(times) / 1000:.1f} ms (best of 3)")
    assert min(times) < 200_000


def test_core_does_not_load_plotting_or_widget_libraries() -> None:
    code = (
        "import sys, mlcourse\n"
        "from mlcourse import Linear, Sequential, ReLU, GELU, Softmax, CrossEntropyLoss, MSELoss\n"
        "import mlcourse.gradcheck, mlcourse.autograd\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    assert _run(code).stdout.strip() == ""
