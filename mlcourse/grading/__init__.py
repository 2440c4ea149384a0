"""Exercises and grading: immediate feedback in the notebook, student releases, autograding.

* :func:`check` gives feedback in the notebook on an exercise's public tests;
* :func:`grade_notebook` grades a submission on an :class:`Assignment`
  (public and hidden tests, each exercise in its own bubblewrap sandbox);
* :func:`make_student_version` writes what students receive.

Exercise definitions live in :mod:`mlcourse.exercises` (one file per chapter).
"""

from .exercise import Case, Exercise, Mistake, all_exercises, get_exercise, register
from .feedback import CheckResult, check
from .grader import Assignment, SubmissionReport, grade_many, grade_notebook
from .notebook import make_student_version, read_notebook

__all__ = [
    "Case", "Exercise", "Mistake", "register", "get_exercise", "all_exercises",
    "check", "CheckResult", "grade_notebook", "grade_many", "SubmissionReport", "Assignment",
    "make_student_version", "read_notebook",
]
