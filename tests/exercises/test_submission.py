"""Grade submissions exercise by exercise (``pytest tests/exercises --notebook X.ipynb``)."""

import pytest

from mlcourse.grading.grader import grade_exercise
from mlcourse.grading.notebook import read_notebook
from mlcourse.grading.sandbox import IsolationUnavailable, isolation


def _isolated() -> bool:
    """Sandboxed where the machine allows it; the course's own notebooks are trusted code."""
    try:
        isolation()
    except IsolationUnavailable:
        return False
    return True


def test_exercise(submission_exercise, hidden_seed):
    path, exercise, error = submission_exercise
    if exercise is None:
        pytest.fail(f"{path.name}: {error}")
    result = grade_exercise(exercise, read_notebook(path), hidden_seed, isolated=_isolated())
    assert result.points == result.max_points, (
        f"{exercise.id}: {result.points:g}/{result.max_points:g} points ({result.status}): {result.reason}"
        f" [hidden-test seed {hidden_seed}]"
    )
