"""Grading submitted notebooks: score tables, JSON reports, Gradescope and CSV gradebooks.

For each exercise of the submission's chapter the grader takes the exercise
cell from the notebook (and nothing else from it), runs the exercise's public
and hidden cases in a sandboxed process, and judges the outputs here, against
the reference in :mod:`mlcourse`. Full points need every case to pass.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from .exercise import Exercise, all_exercises
from .judge import ERROR, FAIL, NOT_ATTEMPTED, PASS, CaseResult, judge
from .notebook import NotebookError, cells_defining, chapter_of, exercise_cells, read_notebook
from .sandbox import DEFAULT_MEMORY_MB, run_exercise

MISSING = "missing"


@dataclass
class ExerciseResult:
    exercise: str
    points: float
    max_points: float
    status: str
    reason: str


@dataclass
class SubmissionReport:
    submission: str
    score: float = 0.0
    max_score: float = 0.0
    results: list[ExerciseResult] = field(default_factory=list)
    error: str = ""
    seed: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        """The score table as plain text: exercise, points, result, reason."""
        rows = [("exercise", "points", "result", "reason")]
        for r in self.results:
            rows.append((r.exercise, f"{r.points:g}/{r.max_points:g}", r.status, r.reason))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [f"{self.submission}: {self.score:g}/{self.max_score:g} points"
                 + (f"  ({self.error})" if self.error else "")]
        for row in rows:
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
        return "\n".join(lines)

    def gradescope(self) -> dict:
        """The submission in Gradescope's ``results.json`` format."""
        tests = [
            {"name": r.exercise, "score": r.points, "max_score": r.max_points,
             "status": "passed" if r.status == PASS else "failed",
             "output": r.reason, "visibility": "visible"}
            for r in self.results
        ]
        out = {"score": self.score, "execution_time": round(self.seconds, 2), "tests": tests}
        if self.error:
            out["output"] = self.error
        return out


def exercises_for(chapter: int | None, present: Iterable[str]) -> list[Exercise]:
    """The exercises a submission is graded on: its chapter's, plus any other ids it holds."""
    present = set(present)
    return [ex for ex in all_exercises() if ex.chapter == chapter or ex.id in present]


def grade_exercise(exercise: Exercise, nb: dict, seed: int,
                   memory_mb: int = DEFAULT_MEMORY_MB) -> ExerciseResult:
    """Grade one exercise of a loaded notebook."""
    cells = exercise_cells(nb)
    if exercise.id not in cells:
        where = cells_defining(nb, exercise.function)
        extra = (f"; a cell defining {exercise.function} is at cell {where[-1] + 1}: its exercise "
                 "metadata was changed or removed, restore it") if where else ""
        return ExerciseResult(exercise.id, 0.0, exercise.points, MISSING,
                              f"no exercise cell with id {exercise.id!r} found{extra}")
    cases = exercise.public_cases() + exercise.hidden_cases(seed)
    run = run_exercise(cells[exercise.id].source, exercise.function, exercise.setup,
                       [c.args for c in cases], timeout=exercise.timeout, memory_mb=memory_mb)
    if run.failure:
        status = NOT_ATTEMPTED if "NotImplementedError" in run.failure else ERROR
        return ExerciseResult(exercise.id, 0.0, exercise.points, status, run.failure)
    results: list[CaseResult] = [judge(exercise, c, o) for c, o in zip(cases, run.outcomes)]
    if all(r.passed for r in results):
        n_hidden = sum(r.hidden for r in results)
        return ExerciseResult(exercise.id, float(exercise.points), exercise.points, PASS,
                              f"all {len(results) - n_hidden} public and {n_hidden} hidden tests passed")
    if all(r.status == NOT_ATTEMPTED for r in results):
        return ExerciseResult(exercise.id, 0.0, exercise.points, NOT_ATTEMPTED, "not attempted yet")
    first = next(r for r in results if not r.passed)
    failed = sum(not r.passed for r in results)
    status = ERROR if first.status == ERROR else FAIL
    return ExerciseResult(exercise.id, 0.0, exercise.points, status,
                          f"{failed} of {len(results)} tests failed; first: {first.label}: {first.message}")


def grade_notebook(path: str | Path, seed: int | None = None, jobs: int = 2,
                   memory_mb: int = DEFAULT_MEMORY_MB) -> SubmissionReport:
    """Grade one submitted notebook; never raises for a bad submission."""
    start = time.perf_counter()
    seed = secrets.randbits(32) if seed is None else seed
    report = SubmissionReport(submission=str(path), seed=seed)
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        report.error = str(exc)
        chapter = chapter_of({}, path)
        report.results = [ExerciseResult(ex.id, 0.0, ex.points, ERROR, f"submission unreadable: {exc}")
                          for ex in exercises_for(chapter, ())]
        report.max_score = sum(r.max_points for r in report.results)
        report.seconds = time.perf_counter() - start
        return report
    try:
        present = list(exercise_cells(nb))
        exercises = exercises_for(chapter_of(nb, path), present)
    except Exception as exc:  # malformed metadata
        report.error = f"cannot read the exercise cells: {type(exc).__name__}: {exc}"
        report.seconds = time.perf_counter() - start
        return report
    if not exercises:
        report.error = "no exercises found: is this a chapter notebook with exercises?"
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        report.results = list(pool.map(lambda ex: grade_exercise(ex, nb, seed, memory_mb), exercises))
    report.score = sum(r.points for r in report.results)
    report.max_score = sum(r.max_points for r in report.results)
    report.seconds = time.perf_counter() - start
    return report


def find_submissions(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the notebooks they contain (checkpoints excluded)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts))
        else:
            found.append(p)
    return found


def grade_many(paths: Iterable[str | Path], seed: int | None = None,
               jobs: int | None = None) -> list[SubmissionReport]:
    """Grade several submissions in parallel (each exercise in its own process)."""
    submissions = find_submissions(paths)
    jobs = jobs or os.cpu_count() or 2
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda p: grade_notebook(p, seed=seed, jobs=1), submissions))


def write_json(reports: list[SubmissionReport], path: str | Path) -> None:
    Path(path).write_text(json.dumps([r.to_dict() for r in reports], indent=2), encoding="utf-8")


def write_gradescope(report: SubmissionReport, path: str | Path) -> None:
    Path(path).write_text(json.dumps(report.gradescope(), indent=2), encoding="utf-8")


def write_gradebook(reports: list[SubmissionReport], path: str | Path) -> None:
    """One row per submission, one column per exercise, then total and maximum."""
    ids = sorted({r.exercise for rep in reports for r in rep.results})
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["submission", *ids, "total", "max", "error"])
        for rep in reports:
            points = {r.exercise: r.points for r in rep.results}
            writer.writerow([rep.submission, *[f"{points.get(i, 0):g}" for i in ids],
                             f"{rep.score:g}", f"{rep.max_score:g}", rep.error])


__all__ = [
    "ExerciseResult", "SubmissionReport", "grade_exercise", "grade_notebook", "grade_many",
    "find_submissions", "write_json", "write_gradescope", "write_gradebook",
    "PASS", "FAIL", "ERROR", "NOT_ATTEMPTED", "MISSING",
]
