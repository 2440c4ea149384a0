"""Turning what a student's function did on a case into a verdict with a reason.

The same code judges in the notebook (public cases, immediate feedback) and in
the grader (public and hidden cases, after the student's process has
returned its outputs), so the two can never disagree about a public case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .compare import compare
from .exercise import Case, Exercise, _copy_args

PASS, FAIL, ERROR, NOT_ATTEMPTED = "pass", "fail", "error", "not attempted"


@dataclass(frozen=True)
class Outcome:
    """What happened when the student's function ran on one case."""

    ok: bool
    output: Any = None
    error_type: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class CaseResult:
    label: str
    hidden: bool
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == PASS


def run_case_in_process(function: Any, case: Case) -> Outcome:
    """Call ``function`` on a copy of the case's arguments, catching what it raises."""
    try:
        return Outcome(True, function(*_copy_args(case.args)))
    except NotImplementedError as exc:
        return Outcome(False, error_type="NotImplementedError", error_message=str(exc))
    except Exception as exc:  # the student's code may raise anything
        return Outcome(False, error_type=type(exc).__name__, error_message=str(exc))


def judge(exercise: Exercise, case: Case, outcome: Outcome) -> CaseResult:
    """Decide whether ``outcome`` passes ``case`` and say why not."""
    if not outcome.ok:
        if outcome.error_type == "NotImplementedError":
            return CaseResult(case.label, case.hidden, NOT_ATTEMPTED,
                              "not attempted yet (the function still raises NotImplementedError)")
        text = outcome.error_message.strip().splitlines()
        first = text[0][:300] if text else ""
        return CaseResult(case.label, case.hidden, ERROR,
                          f"your function raised {outcome.error_type}" + (f": {first}" if first else ""))
    message = None
    if exercise.reference is not None:
        expected = exercise.expected(case.args)
        mismatch = compare(outcome.output, expected, rtol=exercise.rtol, atol=exercise.atol,
                           names=exercise.output_names)
        if mismatch is not None:
            message = mismatch.message(case.hidden)
            hint = _mistake_hint(exercise, case, outcome.output)
            if hint:
                message += f". Hint: {hint}"
    if message is None and exercise.validate is not None:
        try:
            message = exercise.validate(outcome.output, *_copy_args(case.args))
        except Exception as exc:  # a malformed output can break a validator
            message = f"the output could not be checked ({type(exc).__name__}: {exc})"
    if message is None:
        return CaseResult(case.label, case.hidden, PASS, "passed")
    if exercise.hint and "Hint:" not in message:
        message += f". Hint: {exercise.hint}"
    return CaseResult(case.label, case.hidden, FAIL, message)


def _mistake_hint(exercise: Exercise, case: Case, output: Any) -> str:
    for mistake in exercise.mistakes:
        try:
            wrong = mistake.function(*_copy_args(case.args))
        except Exception:
            continue
        if compare(output, wrong, rtol=exercise.rtol, atol=exercise.atol) is None:
            return mistake.hint
    return ""
