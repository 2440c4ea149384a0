"""One test per (submission, exercise): the grader's verdict is the test's."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from mlcourse.grading.grader import exercises_for
from mlcourse.grading.notebook import NotebookError, chapter_of, exercise_cells, read_notebook

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
            nb = read_notebook(path)
            exercises = exercises_for(chapter_of(nb, path), exercise_cells(nb))
        except NotebookError as exc:
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
