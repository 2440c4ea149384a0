"""Exercises and grading: immediate feedback in the notebook, student releases, autograding.

* :func:`check` gives feedback in the notebook on an exercise's public tests;
* :func:`grade_notebook` grades a submission (public and hidden tests, in a
  sandboxed process per exercise);
* :func:`make_student_version` writes what students receive.

Exercise definitions live in :mod:`mlcourse.exercises` (one file per chapter).
"""

from .exercise import Case, Exercise, Mistake, all_exercises, get_exercise, register
from .feedback import CheckResult, check
from .grader import SubmissionReport, grade_many, grade_notebook
from .notebook import make_student_version, read_notebook

__all__ = [
    "Case", "Exercise", "Mistake", "register", "get_exercise", "all_exercises",
    "check", "CheckResult", "grade_notebook", "grade_many", "SubmissionReport",
    "make_student_version", "read_notebook",
]
