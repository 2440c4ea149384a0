"""One test per (submission, exercise): the grader's verdict is the test's."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from mlcourse.grading.grader import Assignment, AssignmentError
from mlcourse.grading.exercise import get_exercise
from mlcourse.grading.notebook import NotebookError, read_notebook

ROOT = Path(__file__).resolve().parents[2]


def _submissions(config) -> list[Path]:
    given = [Path(p) for p in config.getoption("notebook")]
    return given or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def pytest_generate_tests(metafunc):
    if "submission_exercise" not in metafunc.fixturenames:
        return
    params, ids = [], []
    for path in _submissions(metafunc.config):
        try:
            read_notebook(path)
            # The chapter comes from the file name NN_*.ipynb (the course's naming), never from
            # the notebook's content.
            assignment = Assignment.parse(path.name[:2])
            exercises = [get_exercise(e.id) for e in assignment.exercises]
        except (NotebookError, AssignmentError) as exc:
            params.append((path, None, str(exc)))
            ids.append(f"{path.name}-unreadable")
            continue
        for ex in exercises:
            params.append((path, ex, ""))
            ids.append(f"{path.name}::{ex.id}")
    metafunc.parametrize("submission_exercise", params, ids=ids)


@pytest.fixture(scope="session")
def hidden_seed() -> int:
    return secrets.randbits(32)
