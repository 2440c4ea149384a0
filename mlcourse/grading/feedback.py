"""Immediate feedback in the notebook: ``check("ch05-linear-backward", linear_backward)``.

The check runs the exercise's *public* cases and shows a pass/fail table:
which case failed, expected against got (shapes first), and a hint. Hidden
cases never run here, so their content cannot leak.

To avoid the classic "passes in my notebook, fails on the grader", the check
first re-runs the source of the student's exercise cell in a clean namespace,
as the grader will, and tests the function defined there. A function that only
works because of a variable defined elsewhere in the notebook is reported as
such, with the name it is missing.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
from dataclasses import dataclass
from typing import Any, Callable

from .exercise import get_exercise
from .judge import NOT_ATTEMPTED, PASS, CaseResult, judge, run_case_in_process
from .notebook import PREAMBLE, strip_magics


@dataclass
class CheckResult:
    """The outcome of :func:`check`; displays as a table in Jupyter and as text elsewhere."""

    exercise_id: str
    function: str
    results: list[CaseResult]
    note: str = ""
    points: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results) and not self.note

    @property
    def attempted(self) -> bool:
        return not all(r.status == NOT_ATTEMPTED for r in self.results)

    def headline(self) -> str:
        if not self.attempted:
            return f"{self.exercise_id}: not attempted yet. Write {self.function} in the cell above, then run this cell again."
        n_pass = sum(r.passed for r in self.results)
        if self.passed:
            return (f"{self.exercise_id}: all {n_pass} public tests passed. "
                    f"The grader also runs hidden random tests worth {self.points:g} points.")
        return f"{self.exercise_id}: {n_pass} of {len(self.results)} public tests passed."

    def __repr__(self) -> str:
        lines = [self.headline()]
        if self.note:
            lines.append(f"  ! {self.note}")
        if self.attempted:
            for r in self.results:
                mark = "PASS" if r.passed else "FAIL"
                lines.append(f"  [{mark}] {r.label}" + ("" if r.passed else f": {r.message}"))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = "#1b7f3b" if self.passed else ("#555" if not self.attempted else "#b00020")
        parts = [f'<div class="mlcourse-check" style="border-left:4px solid {colour};padding:4px 10px">',
                 f"<b style='color:{colour}'>{html.escape(self.headline())}</b>"]
        if self.note:
            parts.append(f"<p>&#9888; {html.escape(self.note)}</p>")
        if self.attempted:
            parts.append("<ul style='margin:4px 0'>")
            for r in self.results:
                icon = "&#10004;" if r.passed else "&#10008;"
                msg = "" if r.passed else f": {html.escape(r.message)}"
                parts.append(f"<li>{icon} {html.escape(r.label)}{msg}</li>")
            parts.append("</ul>")
        parts.append("</div>")
        return "".join(parts)


def check(exercise_id: str, function: Callable[..., Any] | None) -> CheckResult:
    """Run the public tests of ``exercise_id`` on ``function`` and return the verdict.

    Parameters
    ----------
    exercise_id : str
        The id written in the exercise cell's metadata, e.g. ``"ch05-linear-backward"``.
    function : callable
        The function the exercise cell defines.
    """
    exercise = get_exercise(exercise_id)
    cases = exercise.public_cases()
    if not callable(function):
        note = f"expected the function {exercise.function}, got {type(function).__name__}"
        results = [CaseResult(c.label, False, "error", note) for c in cases]
        return CheckResult(exercise_id, exercise.function, results, note, exercise.points)
    clean, note = _as_the_grader_sees_it(function, exercise.function, exercise.setup)
    target = clean if clean is not None else function
    results = [judge(exercise, c, run_case_in_process(target, c)) for c in cases]
    return CheckResult(exercise_id, exercise.function, results, note, exercise.points)


def _as_the_grader_sees_it(function: Callable[..., Any], name: str,
                           setup: str) -> tuple[Callable[..., Any] | None, str]:
    """Re-run the latest cell that defined ``name`` in a clean namespace.

    Returns the freshly defined function (or None when the cell source cannot
    be found, e.g. outside IPython) and a note when the cell does not stand on
    its own.
    """
    source = _latest_cell_defining(name)
    if source is None:
        return None, ""
    namespace: dict[str, Any] = {"__name__": "__exercise_check__"}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(PREAMBLE + setup, "<grader setup>", "exec"), namespace)
            exec(compile(strip_magics(source), "<exercise cell>", "exec"), namespace)
    except NameError as exc:
        return None, (f"the exercise cell does not run on its own ({exc}); the grader runs only "
                      "that cell, so import or define everything it needs inside it")
    except Exception as exc:
        return None, (f"the exercise cell raises {type(exc).__name__} when run on its own: {exc}")
    clean = namespace.get(name)
    if not callable(clean):
        return None, f"the exercise cell does not define {name} when run on its own"
    missing = _free_globals(clean, namespace)
    if missing:
        return None, (f"{name} uses {', '.join(sorted(missing))} from elsewhere in the notebook; "
                      "the grader runs only the exercise cell, so define or import "
                      f"{'it' if len(missing) == 1 else 'them'} inside that cell")
    return clean, ""


def _latest_cell_defining(name: str) -> str | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    history = shell.user_ns.get("In") or []
    pattern = re.compile(rf"^\s*def\s+{re.escape(name)}\s*\(", re.MULTILINE)
    for source in reversed(history):
        if isinstance(source, str) and pattern.search(source):
            return source
    return None


def _free_globals(function: Callable[..., Any], namespace: dict[str, Any]) -> set[str]:
    """Global names the function reads that the clean namespace does not provide.

    Only real global loads count (``LOAD_GLOBAL``/``LOAD_NAME``): ``x.mean()``
    reads the attribute ``mean``, not a notebook variable called ``mean``.
    """
    import builtins
    import dis

    code = getattr(function, "__code__", None)
    if code is None:
        return set()
    names: set[str] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        for ins in dis.get_instructions(c):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(ins.argval, str):
                names.add(ins.argval)
        stack.extend(k for k in c.co_consts if hasattr(k, "co_code"))
    notebook = _notebook_globals()
    return {n for n in names if n not in namespace and not hasattr(builtins, n) and n in notebook}


def _notebook_globals() -> dict[str, Any]:
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return shell.user_ns if shell is not None else {}
