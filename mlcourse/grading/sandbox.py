"""Running untrusted exercise code in a separate process with limits.

The grader never runs a student's cell in its own process. For each exercise
it starts a fresh Python (``python -I -m mlcourse.grading.sandbox``), sends it
the cell's source and the test arguments, and reads back only the outputs, in
the safe JSON format of :mod:`mlcourse.grading.serialize`. Expected values are
computed in the grader's process, so a cell that patches NumPy, redefines
``check`` or overwrites the reference changes nothing that counts.

Limits: wall-clock ``timeout`` (the process group is killed), address space
``memory_mb`` (``RLIMIT_AS``), CPU seconds, and one BLAS thread.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

from .judge import Outcome
from .notebook import PREAMBLE

DEFAULT_MEMORY_MB = 3072


@dataclass
class SandboxResult:
    """Either per-case outcomes, or a reason the whole exercise failed."""

    outcomes: list[Outcome] = field(default_factory=list)
    failure: str = ""
    stdout: str = ""


def run_exercise(source: str, function: str, setup: str, args_list: list[tuple],
                 timeout: float, memory_mb: int = DEFAULT_MEMORY_MB) -> SandboxResult:
    """Run ``function`` from ``source`` on every argument tuple in a child process."""
    job = {"source": source, "function": function, "setup": setup, "args": args_list,
           "memory_mb": memory_mb, "cpu_seconds": int(timeout) + 5}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JPY", "MPL"))}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="Agg", PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory(prefix="mlcourse-grade-") as workdir:
        result_path = os.path.join(workdir, "result.json")
        out_path = os.path.join(workdir, "stdout.txt")
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-m", "mlcourse.grading.sandbox", result_path],
                stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, cwd=workdir,
                env=env, start_new_session=True,
            )
            try:
                proc.stdin.write(pickle.dumps(job))  # type: ignore[union-attr]
                proc.stdin.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return SandboxResult(failure=(
                    f"timed out after {timeout:g} s (an infinite loop, or far too slow: "
                    "the tests use small inputs)"))
        stdout = _tail(out_path)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = " (out of memory?)" if name in ("SIGKILL", "SIGSEGV", "SIGABRT") else ""
            return SandboxResult(failure=f"the process crashed with {name}{hint}", stdout=stdout)
        if not os.path.exists(result_path):
            return SandboxResult(
                failure=f"the process ended (exit code {code}) before reporting any result: "
                        "does the cell call sys.exit(), os._exit() or quit()?", stdout=stdout)
        return _read_result(result_path, len(args_list), stdout)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _tail(path: str, limit: int = 2000) -> str:
    with open(path, "rb") as fh:
        data = fh.read()
    text = data.decode("utf-8", "replace")
    return text if len(text) <= limit else "…" + text[-limit:]


def _read_result(path: str, n_cases: int, stdout: str) -> SandboxResult:
    from .serialize import decode

    try:
        with open(path, encoding="utf-8") as fh:
            report = json.load(fh)
        if report.get("failure"):
            return SandboxResult(failure=str(report["failure"]), stdout=stdout)
        outcomes = []
        for item in report["cases"]:
            if item["ok"]:
                outcomes.append(Outcome(True, decode(item["output"])))
            else:
                outcomes.append(Outcome(False, error_type=str(item["error_type"]),
                                        error_message=str(item["error_message"])))
    except (ValueError, KeyError, TypeError) as exc:
        return SandboxResult(failure=f"the process returned malformed results ({exc})", stdout=stdout)
    if len(outcomes) != n_cases:
        return SandboxResult(failure=f"expected {n_cases} results, got {len(outcomes)}", stdout=stdout)
    return SandboxResult(outcomes=outcomes, stdout=stdout)


def _child(result_path: str) -> None:
    """Entry point of the sandboxed process."""
    import resource

    job = pickle.loads(sys.stdin.buffer.read())
    limit = int(job["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (job["cpu_seconds"], job["cpu_seconds"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    from mlcourse.grading.serialize import encode

    def write(report: dict[str, Any]) -> None:
        with open(result_path, "w", encoding="utf-8") as fh:
            json.dump(report, fh)

    captured = io.StringIO()
    sys.stdout = captured
    namespace: dict[str, Any] = {"__name__": "__student__"}
    try:
        exec(compile(PREAMBLE + job["setup"], "<grader setup>", "exec"), namespace)
        code = compile(job["source"], "<exercise cell>", "exec")
    except SyntaxError as exc:
        write({"failure": f"syntax error in the exercise cell, line {exc.lineno}: {exc.msg}"})
        return
    try:
        exec(code, namespace)
    except SystemExit:
        write({"failure": "the exercise cell called sys.exit() (or exit/quit) while it ran"})
        return
    except BaseException as exc:
        write({"failure": f"running the exercise cell raised {type(exc).__name__}: {exc}"[:500]})
        return
    function = namespace.get(job["function"])
    if function is None:
        write({"failure": f"the exercise cell does not define a function named {job['function']!r}"})
        return
    if not callable(function):
        write({"failure": f"{job['function']!r} is a {type(function).__name__}, not a function"})
        return
    cases = []
    for args in job["args"]:
        try:
            output = function(*args)
            cases.append({"ok": True, "output": encode(output)})
        except SystemExit:
            write({"failure": f"{job['function']} called sys.exit()"})
            return
        except BaseException as exc:
            cases.append({"ok": False, "error_type": type(exc).__name__,
                          "error_message": str(exc)[:1000]})
    write({"cases": cases})


if __name__ == "__main__":
    _child(sys.argv[1])
