"""Immediate feedback in the notebook: ``check("ch05-linear-backward", linear_backward)``.

The check runs the exercise's *public* cases and shows a pass/fail table:
which case failed, expected against got (shapes first), and a hint. Hidden
cases never run here, so their content cannot leak.

To avoid the classic "passes in my notebook, fails on the grader", the check
first re-runs the source of the student's exercise cell in a clean namespace,
as the grader will, and tests the function defined there. A function that only
works because of a variable defined elsewhere in the notebook is reported as
such, with the name it is missing. The re-run sees ``mlcourse`` as the
grader's sandbox does (only the exercise's ``sandbox_modules``), runs the cells
of the parts the exercise ``requires`` first, and calls the exercise's
``driver`` when it has one, so the check and the grader agree.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
from dataclasses import dataclass
from typing import Any, Callable

from .exercise import Exercise, exposed_modules, get_exercise, required_chain
from .judge import NOT_ATTEMPTED, PASS, CaseResult, judge, run_case_in_process
from .library import guarded_builtins
from .notebook import PREAMBLE, strip_magics


@dataclass
class CheckResult:
    """The outcome of :func:`check`; displays as a table in Jupyter and as text elsewhere."""

    exercise_id: str
    function: str
    results: list[CaseResult]
    note: str = ""
    points: float = 0.0
    weights: tuple[float, ...] = ()

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
        text = f"{self.exercise_id}: {n_pass} of {len(self.results)} public tests passed."
        weights = self.weights or (1.0,) * len(self.results)
        total = sum(weights)
        if 0 < n_pass < len(self.results) and total > 0:
            share = self.points * sum(w for r, w in zip(self.results, weights) if r.passed) / total
            text += (f" Points are shared among the tests: these would earn {share:.3g} of "
                     f"{self.points:g}.")
        return text

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
    function : callable, class or value
        What the exercise cell defines: a function, or for an exercise with a
        driver, a class or a value (e.g. a number from an experiment).
    """
    exercise = get_exercise(exercise_id)
    cases = exercise.public_cases()
    weights = tuple(c.weight for c in cases)
    if not callable(function) and not exercise.driver:
        note = f"expected the function {exercise.function}, got {type(function).__name__}"
        results = [CaseResult(c.label, False, "error", note) for c in cases]
        return CheckResult(exercise_id, exercise.function, results, note, exercise.points, weights)
    clean, note = _as_the_grader_sees_it(function, exercise)
    if note == _NOT_ATTEMPTED:
        results = [CaseResult(c.label, False, NOT_ATTEMPTED, "not attempted yet") for c in cases]
        return CheckResult(exercise_id, exercise.function, results, "", exercise.points, weights)
    answer = clean if clean is not _UNSET else function
    target = answer
    if exercise.driver:
        try:
            drive = _load_driver(exercise)
        except Exception as exc:  # the course author's driver is broken
            note = f"the exercise's driver does not load ({type(exc).__name__}: {exc})"
            results = [CaseResult(c.label, False, "error", note) for c in cases]
            return CheckResult(exercise_id, exercise.function, results, note, exercise.points,
                               weights)
        target = lambda *args: drive(answer, *args)  # noqa: E731
    results = [judge(exercise, c, run_case_in_process(target, c)) for c in cases]
    return CheckResult(exercise_id, exercise.function, results, note, exercise.points, weights)


_UNSET = object()
_NOT_ATTEMPTED = "\0not attempted"


def _load_driver(exercise: Exercise) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"__name__": "__driver__"}
    exec(compile(PREAMBLE + exercise.setup + "\n" + exercise.driver, "<driver>", "exec"), namespace)
    return namespace["_drive"]


def _as_the_grader_sees_it(function: Any, exercise: Exercise) -> tuple[Any, str]:
    """Re-run the latest cell that defined the exercise's name in a clean namespace.

    The namespace sees ``mlcourse`` as the sandbox does, and the cells of the
    parts the exercise requires run first. Returns the freshly defined object
    (``_UNSET`` when the cell source cannot be found, e.g. outside IPython) and
    a note when the cell does not stand on its own.
    """
    name = exercise.function
    source = _latest_cell_defining(name, any_kind=bool(exercise.driver))
    if source is None:
        return _UNSET, ""
    try:
        parts = required_chain(exercise)
    except (KeyError, ValueError) as exc:
        return _UNSET, f"the exercise's required parts are misconfigured: {exc}"
    modules = exposed_modules(exercise)
    namespace: dict[str, Any] = {"__name__": "__exercise_check__",
                                 "__builtins__": guarded_builtins(modules)}
    cells = []
    for part in parts:
        part_source = _latest_cell_defining(part.function, any_kind=bool(part.driver))
        if part_source is None:
            return _UNSET, (f"this part builds on {part.id}: run its cell (defining "
                            f"{part.function}) first; the grader runs it before this one")
        cells.append((f"the cell of {part.id}", part_source))
    cells.append(("the exercise cell", source))
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            exec(compile(PREAMBLE + exercise.setup, "<grader setup>", "exec"), namespace)
        except Exception as exc:
            return _UNSET, f"the exercise's setup fails: {type(exc).__name__}: {exc}"
        for where, text in cells:
            try:
                exec(compile(strip_magics(text), f"<{where}>", "exec"), namespace)
            except NotImplementedError:
                if where == "the exercise cell":
                    return _UNSET, _NOT_ATTEMPTED
                return _UNSET, f"{where} still raises NotImplementedError: solve that part first"
            except NameError as exc:
                return _UNSET, (f"{where} does not run on its own ({exc}); the grader runs only "
                                "the exercise cells, so import or define everything it needs "
                                "inside it")
            except ImportError as exc:
                allowed = ", ".join(modules) or "nothing from mlcourse"
                return _UNSET, (f"{where} raises {type(exc).__name__} when run as the grader "
                                f"runs it: {exc}. The grader's sandbox has only NumPy and the "
                                f"standard library, and this exercise may import {allowed}")
            except Exception as exc:
                return _UNSET, f"{where} raises {type(exc).__name__} when run on its own: {exc}"
    if name not in namespace:
        return _UNSET, f"the exercise cell does not define {name} when run on its own"
    clean = namespace[name]
    if not exercise.driver and not callable(clean):
        return _UNSET, f"the exercise cell does not define {name} when run on its own"
    missing = _free_globals(clean, namespace) if callable(clean) else set()
    if missing:
        return _UNSET, (f"{name} uses {', '.join(sorted(missing))} from elsewhere in the notebook; "
                      "the grader runs only the exercise cell, so define or import "
                      f"{'it' if len(missing) == 1 else 'them'} inside that cell")
    return clean, ""


def _latest_cell_defining(name: str, any_kind: bool = False) -> str | None:
    """The latest cell run that defines the function ``name`` (or, with ``any_kind``, the class
    or the variable ``name``)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    history = shell.user_ns.get("In") or []
    if any_kind:
        pattern = re.compile(rf"^[ \t]*(?:def|class)[ \t]+{re.escape(name)}\b"
                             rf"|^{re.escape(name)}[ \t]*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
    else:
        pattern = re.compile(rf"^[ \t]*def[ \t]+{re.escape(name)}[ \t]*\(", re.MULTILINE)
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
