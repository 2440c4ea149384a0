"""Grading submitted notebooks: score tables, JSON reports, Gradescope and CSV gradebooks.

The assignment, never the submission, decides what is graded: a chapter
(``"ch05"``) or a manifest of exercise ids and points (written by ``mlcourse
release``). For each of its exercises the grader takes that exercise's cell
from the notebook (and nothing else from it, apart from the cells of the parts
it requires), runs its public and hidden cases in an isolated sandbox
(:mod:`mlcourse.grading.sandbox`), and judges the outputs here, against the
reference. Points come per test case: ``points * passed weight / total weight``.
Cells of other exercises are ignored; a missing exercise scores 0 of its
points, which still count in the maximum.

Nothing in a submission can stop the run: every failure, in reading the
notebook, in the sandbox, or in judging a hostile output, costs that
submission or that exercise only, with a reason in the report.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .exercise import (Exercise, exposed_modules, get_exercise, registered_exercises,
                       required_chain)
from .judge import ERROR, FAIL, NOT_ATTEMPTED, PASS, CaseResult, judge
from .library import LibraryError
from .notebook import NotebookError, cells_defining, exercise_cells, read_notebook
from .sandbox import (DEFAULT_MEMORY_MB, IsolationUnavailable, Job, SandboxResult,
                      become_subreaper, isolation, library_for, run_job, sweep_leftovers)

MISSING = "missing"
PARTIAL = "partial"

_ASSIGNMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class AssignmentError(ValueError):
    """An assignment (chapter or manifest) that cannot be graded."""


@dataclass(frozen=True)
class AssignedExercise:
    id: str
    points: float


@dataclass(frozen=True)
class Assignment:
    """What is graded: exercises in order, with their points."""

    name: str
    exercises: tuple[AssignedExercise, ...]

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.exercises)

    @classmethod
    def chapter(cls, chapter: int) -> "Assignment":
        """Every exercise of the chapter, in the order its file registers them."""
        exercises = [e for e in registered_exercises() if e.chapter == chapter]
        if not exercises:
            raise AssignmentError(f"chapter {chapter} has no registered exercises")
        return cls(f"ch{chapter:02d}", tuple(AssignedExercise(e.id, float(e.points)) for e in exercises))

    @classmethod
    def from_manifest(cls, data: Any, source: str = "manifest") -> "Assignment":
        """Read ``{"assignment": name, "exercises": [{"id": ..., "points": ...}, ...]}``."""
        if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
            raise AssignmentError(f"{source}: expected an object with a list 'exercises'")
        name = data.get("assignment", Path(source).stem)
        if not isinstance(name, str) or not _ASSIGNMENT_NAME.match(name):
            raise AssignmentError(f"{source}: 'assignment' must be a short name, got {name!r}")
        items, seen = [], set()
        for i, item in enumerate(data["exercises"]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise AssignmentError(f"{source}: exercise {i} must be an object with an 'id'")
            ex = get_exercise(item["id"])  # KeyError names the exercises of that chapter
            points = item.get("points", ex.points)
            if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
                raise AssignmentError(f"{source}: {ex.id} has points {points!r}; expected a number > 0")
            if ex.id in seen:
                raise AssignmentError(f"{source}: {ex.id} is listed twice")
            seen.add(ex.id)
            items.append(AssignedExercise(ex.id, float(points)))
        if not items:
            raise AssignmentError(f"{source}: the assignment lists no exercises")
        return cls(name, tuple(items))

    @classmethod
    def parse(cls, spec: "str | Path | Assignment") -> "Assignment":
        """``"ch05"``, ``"5"``, or the path of a manifest JSON file."""
        if isinstance(spec, Assignment):
            return spec
        text = str(spec)
        match = re.fullmatch(r"(?:ch)?(\d{1,2})", text)
        if match:
            return cls.chapter(int(match.group(1)))
        path = Path(text)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AssignmentError(f"--assignment {text!r} is neither a chapter (e.g. ch05) nor a "
                                  f"readable manifest JSON file ({exc})") from None
        try:
            return cls.from_manifest(data, path.name)
        except KeyError as exc:
            raise AssignmentError(f"{path.name}: {exc.args[0]}") from None

    def manifest(self) -> dict:
        return {"assignment": self.name,
                "exercises": [{"id": e.id, "points": e.points} for e in self.exercises]}


@dataclass
class TestResult:
    label: str
    hidden: bool
    weight: float
    passed: bool
    message: str


@dataclass
class ExerciseResult:
    exercise: str
    points: float
    max_points: float
    status: str
    reason: str
    passed_tests: int = 0
    total_tests: int = 0
    tests: list[TestResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reason = clean(self.reason)
        for test in self.tests:
            test.message = clean(test.message, 300)
            test.label = clean(test.label, 100)


@dataclass
class SubmissionReport:
    submission: str
    student: str = ""
    assignment: str = ""
    score: float = 0.0
    max_score: float = 0.0
    results: list[ExerciseResult] = field(default_factory=list)
    error: str = ""
    seed: int = 0
    seconds: float = 0.0
    isolation: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        """The score table as plain text: exercise, points, tests passed, result, reason."""
        rows = [("exercise", "points", "tests", "result", "reason")]
        for r in self.results:
            tests = f"{r.passed_tests}/{r.total_tests}" if r.total_tests else "-"
            rows.append((r.exercise, f"{_fmt(r.points)}/{_fmt(r.max_points)}", tests, r.status,
                         r.reason))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [f"{clean(self.submission, 300)}: {_fmt(self.score)}/{_fmt(self.max_score)} points"
                 + (f"  ({clean(self.error)})" if self.error else "")]
        for row in rows:
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4]))
                         + "  " + row[4])
        return "\n".join(lines)

    def gradescope(self) -> dict:
        """The submission in Gradescope's ``results.json`` format."""
        tests = []
        for number, r in enumerate(self.results, start=1):
            detail = [r.reason]
            for t in r.tests:
                mark = "PASS" if t.passed else "FAIL"
                weight = f" (weight {t.weight:g})" if t.weight != 1 else ""
                detail.append(f"[{mark}] {t.label}{weight}" + ("" if t.passed else f": {t.message}"))
            tests.append({"name": r.exercise, "number": str(number), "score": r.points,
                          "max_score": r.max_points,
                          "status": "passed" if r.status == PASS else "failed",
                          "output": "\n".join(detail), "visibility": "visible"})
        summary = f"{self.assignment}: {_fmt(self.score)}/{_fmt(self.max_score)} points"
        if self.error:
            summary += f". {clean(self.error)}"
        return {"score": self.score, "execution_time": round(self.seconds, 2), "output": summary,
                "tests": tests,
                "extra_data": {"hidden_test_seed": self.seed, "assignment": self.assignment,
                               "isolation": self.isolation}}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def clean(text: Any, limit: int = 600) -> str:
    """Text from a submission made safe for a report: one line, no control characters, bounded."""
    text = _CONTROL.sub(" ", str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x)}"


def student_id(path: str | Path) -> str:
    """The student id: the submission's file name without ``.ipynb``."""
    return Path(path).name.removesuffix(".ipynb")


# ---------------------------------------------------------------------------------------------
# One exercise


def _test_results(results: list[CaseResult], weights: list[float]) -> list[TestResult]:
    return [TestResult(r.label, r.hidden, w, r.passed, "" if r.passed else r.message)
            for r, w in zip(results, weights)]


def grade_exercise(exercise: Exercise, nb: dict, seed: int, memory_mb: int = DEFAULT_MEMORY_MB,
                   points: float | None = None, isolated: bool = True) -> ExerciseResult:
    """Grade one exercise of a loaded notebook; never raises for anything in the submission."""
    max_points = float(exercise.points if points is None else points)
    try:
        return _grade_exercise(exercise, nb, seed, memory_mb, max_points, isolated)
    except (IsolationUnavailable, LibraryError):
        raise
    except Exception as exc:  # a hostile output that broke judging, or worse
        return ExerciseResult(exercise.id, 0.0, max_points, ERROR,
                              f"the grader could not judge this exercise "
                              f"({type(exc).__name__}: {str(exc)[:200]})")


def _grade_exercise(exercise: Exercise, nb: dict, seed: int, memory_mb: int, max_points: float,
                    isolated: bool) -> ExerciseResult:
    cells = exercise_cells(nb)
    if exercise.id not in cells:
        where = cells_defining(nb, exercise.function)
        extra = (f"; a cell defining {exercise.function} is at cell {where[-1] + 1}: its exercise "
                 "metadata was changed or removed, restore it") if where else ""
        return ExerciseResult(exercise.id, 0.0, max_points, MISSING,
                              f"no exercise cell with id {exercise.id!r} found{extra}")
    if cells[exercise.id].error:
        return ExerciseResult(exercise.id, 0.0, max_points, ERROR, cells[exercise.id].error)
    sources: list[tuple[str, str]] = []
    for part in required_chain(exercise):
        cell = cells.get(part.id)
        if cell is None or cell.error:
            why = "is missing" if cell is None else f"cannot be read ({cell.error})"
            return ExerciseResult(exercise.id, 0.0, max_points, MISSING,
                                  f"this part builds on {part.id}, whose exercise cell {why}: "
                                  "restore that cell (with its metadata) and its solution")
        sources.append((part.id, cell.source))
    sources.append((exercise.id, cells[exercise.id].source))
    cases = exercise.public_cases() + exercise.hidden_cases(seed)
    job = Job(exercise.id, tuple(sources), exercise.function, exercise.setup, exercise.driver,
              tuple(c.args for c in cases), float(exercise.timeout),
              library_for(exposed_modules(exercise)), memory_mb)
    run: SandboxResult = run_job(job, isolated=isolated)
    if run.failure:
        status = NOT_ATTEMPTED if run.not_attempted else ERROR
        return ExerciseResult(exercise.id, 0.0, max_points, status, run.failure,
                              0, len(cases))
    results: list[CaseResult] = []
    for case, outcome in zip(cases, run.outcomes):
        try:
            results.append(judge(exercise, case, outcome))
        except Exception as exc:  # a hostile output (10**400, deep nesting) broke the comparison
            results.append(CaseResult(case.label, case.hidden, ERROR,
                                      f"the output could not be compared ({type(exc).__name__})"))
    weights = [c.weight for c in cases]
    tests = _test_results(results, weights)
    n_pass = sum(r.passed for r in results)
    total_weight = sum(weights)
    passed_weight = sum(w for r, w in zip(results, weights) if r.passed)
    fraction = passed_weight / total_weight if total_weight > 0 else float(n_pass == len(results))
    points = round(max_points * fraction, 2)
    if n_pass == len(results):
        n_hidden = sum(r.hidden for r in results)
        return ExerciseResult(exercise.id, max_points, max_points, PASS,
                              f"all {len(results) - n_hidden} public and {n_hidden} hidden tests "
                              "passed", n_pass, len(results), tests)
    if all(r.status == NOT_ATTEMPTED for r in results):
        return ExerciseResult(exercise.id, 0.0, max_points, NOT_ATTEMPTED, "not attempted yet",
                              0, len(results), tests)
    first = next(r for r in results if not r.passed)
    failed = len(results) - n_pass
    status = PARTIAL if points > 0 else (ERROR if first.status == ERROR else FAIL)
    return ExerciseResult(
        exercise.id, points, max_points, status,
        f"{failed} of {len(results)} tests failed ({_fmt(points)}/{_fmt(max_points)} points for the "
        f"{n_pass} passed); first: {first.label}: {first.message}", n_pass, len(results), tests)


# ---------------------------------------------------------------------------------------------
# Submissions


def _default_assignment(path: str | Path) -> Assignment:
    match = re.match(r"^(\d\d)_", Path(path).name)
    if not match:
        raise AssignmentError(f"no assignment given for {Path(path).name}: pass one (a chapter such "
                              "as 'ch05', or a manifest)")
    return Assignment.chapter(int(match.group(1)))


def grade_notebook(path: str | Path, assignment: "str | Path | Assignment | None" = None,
                   seed: int | None = None, jobs: int = 2, memory_mb: int = DEFAULT_MEMORY_MB,
                   isolated: bool = True) -> SubmissionReport:
    """Grade one submitted notebook on ``assignment``; never raises for a bad submission.

    ``assignment`` is a chapter (``"ch05"``), a manifest path or an :class:`Assignment`. Left
    out, it comes from the ``NN_`` prefix of the file name, which is the instructor's own
    naming: the command line always asks for it, and nothing in a notebook's content is used.

    Raises
    ------
    IsolationUnavailable
        ``isolated=True`` on a machine without bubblewrap or user namespaces.
    AssignmentError
        The assignment cannot be read.
    """
    assignment = _default_assignment(path) if assignment is None else Assignment.parse(assignment)
    prepared = _prepare(assignment, isolated)
    seed = secrets.randbits(32) if seed is None else seed
    nb, report = _load(path, assignment, seed, isolated)
    if nb is not None:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            report.results = list(pool.map(lambda item: _grade_item(item, nb, seed, memory_mb,
                                                                     isolated), prepared))
    if not isolated:
        sweep_leftovers()
    return _finish(report)


def _prepare(assignment: Assignment, isolated: bool) -> list[tuple[Exercise, float]]:
    """Everything the run needs before any untrusted code: isolation, exercises, stub libraries."""
    if isolated:
        isolation()
    else:
        become_subreaper()
    prepared = []
    for item in assignment.exercises:
        exercise = get_exercise(item.id)
        library_for(exposed_modules(exercise))
        prepared.append((exercise, item.points))
    return prepared


def _grade_item(item: tuple[Exercise, float], nb: dict, seed: int, memory_mb: int,
                isolated: bool) -> ExerciseResult:
    exercise, points = item
    return grade_exercise(exercise, nb, seed, memory_mb, points=points, isolated=isolated)


def _load(path: str | Path, assignment: Assignment, seed: int,
          isolated: bool) -> tuple[dict | None, SubmissionReport]:
    start = time.perf_counter()
    report = SubmissionReport(submission=str(path), student=student_id(path),
                              assignment=assignment.name, seed=seed,
                              isolation=isolation().describe() if isolated else
                              "none (--no-isolation: trusted code only)")
    report.seconds = -start
    report.max_score = assignment.max_score
    try:
        nb = _slim(read_notebook(path))
    except NotebookError as exc:
        report.error = clean(exc)
        report.results = [ExerciseResult(e.id, 0.0, e.points, ERROR, f"submission unreadable: {exc}")
                          for e in assignment.exercises]
        return None, report
    return nb, report


def _slim(nb: dict) -> dict:
    """Only what grading reads: code cells' type, metadata and source (outputs can be large)."""
    return {"cells": [{k: c[k] for k in ("cell_type", "metadata", "source") if k in c}
                      if isinstance(c, dict) else c for c in nb["cells"]
                      if not isinstance(c, dict) or c.get("cell_type") == "code"]}


def _finish(report: SubmissionReport) -> SubmissionReport:
    report.score = round(sum(r.points for r in report.results), 2)
    report.max_score = sum(r.max_points for r in report.results)
    report.seconds += time.perf_counter()
    if report.results and all(r.status == MISSING for r in report.results) and not report.error:
        report.error = (f"none of the exercises of {report.assignment} was found: is this the "
                        "right notebook?")
    return report


def find_submissions(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the notebooks they contain (checkpoints and links excluded)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            top = p.resolve()
            for q in sorted(p.rglob("*.ipynb")):
                if ".ipynb_checkpoints" in q.parts or q.is_symlink():
                    continue
                if not q.resolve().is_relative_to(top):
                    continue  # reached through a linked folder
                found.append(q)
        else:
            found.append(p)
    return found


def grade_many(paths: Iterable[str | Path], assignment: "str | Path | Assignment | None" = None,
               seed: int | None = None, jobs: int | None = None, memory_mb: int = DEFAULT_MEMORY_MB,
               isolated: bool = True) -> list[SubmissionReport]:
    """Grade several submissions; every (submission, exercise) pair is one parallel task."""
    submissions = find_submissions(paths)
    jobs = jobs or os.cpu_count() or 2
    seed = secrets.randbits(32) if seed is None else seed
    loaded = []
    for path in submissions:
        chosen = _default_assignment(path) if assignment is None else Assignment.parse(assignment)
        prepared = _prepare(chosen, isolated)
        nb, report = _load(path, chosen, seed, isolated)
        loaded.append((nb, report, prepared))
    tasks = [(i, k) for i, (nb, _, prepared) in enumerate(loaded) if nb is not None
             for k in range(len(prepared))]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        done = list(pool.map(lambda t: _grade_item(loaded[t[0]][2][t[1]], loaded[t[0]][0], seed,
                                                   memory_mb, isolated), tasks))
    for (i, _), result in zip(tasks, done):
        loaded[i][1].results.append(result)
    if not isolated:
        sweep_leftovers()
    return [_finish(report) for _, report, _ in loaded]


# ---------------------------------------------------------------------------------------------
# Reports: written atomically (a complete file or none), where only the grader writes


def write_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(reports: list[SubmissionReport], path: str | Path) -> None:
    write_atomic(path, json.dumps([r.to_dict() for r in reports], indent=2))


def write_gradescope(report: SubmissionReport, path: str | Path) -> None:
    write_atomic(path, json.dumps(report.gradescope(), indent=2))


def write_gradebook(reports: list[SubmissionReport], path: str | Path,
                    assignment: Assignment | None = None) -> None:
    """One row per student; one column per exercise, in assignment order, its maximum in the header.

    A cell is blank where the exercise does not apply to that submission (another assignment);
    a missing exercise scores 0.
    """
    if assignment is not None:
        columns = [(e.id, e.points) for e in assignment.exercises]
    else:
        columns = []
        for rep in reports:
            for r in rep.results:
                if r.exercise not in [c[0] for c in columns]:
                    columns.append((r.exercise, r.max_points))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", *[f"{ex} ({_fmt(p)})" for ex, p in columns], "total", "max",
                     "assignment", "error"])
    for rep in reports:
        points = {r.exercise: r.points for r in rep.results}
        writer.writerow([_csv_safe(clean(rep.student, 200)), *[_fmt(points[ex]) if ex in points else "" for ex, _ in columns],
                         _fmt(rep.score), _fmt(rep.max_score), rep.assignment,
                         _csv_safe(rep.error)])
    write_atomic(path, buffer.getvalue())


def _csv_safe(text: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


__all__ = [
    "Assignment", "AssignmentError", "AssignedExercise", "ExerciseResult", "TestResult",
    "SubmissionReport", "grade_exercise", "grade_notebook", "grade_many", "find_submissions",
    "student_id", "write_json", "write_gradescope", "write_gradebook", "write_atomic",
    "PASS", "FAIL", "ERROR", "NOT_ATTEMPTED", "MISSING", "PARTIAL",
]
