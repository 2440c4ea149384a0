"""The grading system: full marks, releases, wrong answers, adversarial submissions, reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mlcourse.grading import check, grade_many, grade_notebook, make_student_version
from mlcourse.grading.compare import compare
from mlcourse.grading.notebook import exercise_cells, solution_lines
from mlcourse.grading.serialize import UnsupportedValue, decode, encode
from tests.grading import support

support.register_all()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


def grade(nb, folder: Path, name: str = "submission.ipynb"):
    return grade_notebook(support.write_notebook(nb, folder / name), "ch99", seed=1234)


def by_id(report):
    return {r.exercise: r for r in report.results}


def test_instructor_notebook_scores_full_marks(folder):
    report = grade(support.make_notebook(), folder)
    assert report.error == ""
    assert report.max_score == 6
    assert report.score == 6, report.table()
    assert all(r.status == "pass" for r in report.results)


def test_released_notebook_scores_zero_with_not_attempted(folder):
    student = make_student_version(support.make_notebook(), {"ch99-mse-grad": "write mse_grad"})
    report = grade(student, folder)
    assert report.score == 0
    assert {r.status for r in report.results} == {"not attempted"}
    assert all("not attempted" in r.reason for r in report.results)


def test_release_removes_every_solution_line_and_instructor_cells():
    secret = nbformat.v4.new_code_cell("print('instructor only: answer key')")
    secret.metadata["tags"] = ["instructor"]
    nb = support.make_notebook(extra_cells=[secret])
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text="output\n")]
    student = make_student_version(nb, {"ch99-mse-grad": "write mse_grad"})
    text = json.dumps(student)
    for ex in exercise_cells(nb).values():
        for line in solution_lines(ex.source):
            assert line not in text, f"solution line survived: {line!r}"
    assert "answer key" not in text
    stubs = exercise_cells(student)
    assert "raise NotImplementedError('ch99-mse-grad: write mse_grad')" in stubs["ch99-mse-grad"].source
    for cell in student["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "exercise" in tags or "check" in tags:
            assert cell["outputs"] == [] and cell["execution_count"] is None
        elif cell["cell_type"] == "code":
            assert cell["outputs"], "outputs of ordinary cells are kept"


def test_release_rejects_unbalanced_markers():
    nb = support.make_notebook({"ch99-mse-grad": "def mse_grad(p, t):\n    ### BEGIN SOLUTION\n    return p\n"})
    with pytest.raises(ValueError, match="never closed"):
        make_student_version(nb)


@pytest.mark.parametrize(
    "ex_id, source, expected",
    [
        ("ch99-linear-backward",
         support.SOLUTIONS["ch99-linear-backward"].replace("X.T @ dY", "(dY.T @ X)"),
         "transpose of the expected shape"),
        ("ch99-linear-backward",
         support.SOLUTIONS["ch99-linear-backward"].replace("dY.sum(axis=0, keepdims=True)", "dY.sum(axis=0)"),
         "keepdims=True"),
        ("ch99-mse-grad", "def mse_grad(pred, target):\n    return 2 * (target - pred) / pred.size\n",
         "sign error"),
        ("ch99-softmax-ce-grad",
         support.SOLUTIONS["ch99-softmax-ce-grad"].replace("return P / len(y)", "return P"),
         "divide P - Y by N"),
    ],
    ids=["missing-transpose", "missing-keepdims", "sign-error", "forgotten-batch-mean"],
)
def test_plausible_wrong_answers_fail_with_a_helpful_message(folder, ex_id, source, expected):
    report = grade(support.make_notebook({ex_id: source}), folder)
    result = by_id(report)[ex_id]
    assert result.points == 0 and result.status == "fail"
    assert expected in result.reason
    others = [r for r in report.results if r.exercise != ex_id]
    assert all(r.status == "pass" for r in others), "one wrong answer must not affect the others"


ADVERSARIAL = {
    "infinite-loop": ("ch99-mse-grad", "def mse_grad(p, t):\n    while True:\n        pass\n", "timed out"),
    "sys-exit": ("ch99-mse-grad", "import sys\nsys.exit(0)\n", "sys.exit"),
    "exit-inside-function": ("ch99-mse-grad", "def mse_grad(p, t):\n    raise SystemExit(3)\n", "sys.exit"),
    "os-exit": ("ch99-mse-grad", "import os\nos._exit(0)\n", "before reporting any result"),
    "segfault": ("ch99-mse-grad", "import ctypes\nctypes.string_at(0)\n", "crashed"),
    "syntax-error": ("ch99-mse-grad", "def mse_grad(p, t)\n    return p\n", "syntax error"),
    "missing-function": ("ch99-mse-grad", "def mse_gradient(p, t):\n    return 2 * (p - t) / p.size\n",
                         "does not define a function named 'mse_grad'"),
    "memory-bomb": ("ch99-mse-grad", "def mse_grad(p, t):\n    x = np.ones((1 << 34,))\n    return x\n",
                    "MemoryError"),
    "tamper-with-checks": (
        "ch99-mse-grad",
        "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: np.ones_like(a, dtype=bool)\n"
        "def mse_grad(p, t):\n    return np.zeros_like(p)\n",
        "values differ"),
    "returns-an-object": ("ch99-mse-grad", "def mse_grad(p, t):\n    return object()\n", "cannot be returned"),
}


def test_adversarial_submissions_are_graded_and_the_run_completes(folder):
    for name, (ex_id, source, _) in ADVERSARIAL.items():
        support.write_notebook(support.make_notebook({ex_id: source}), folder / f"{name}.ipynb")
    (folder / "corrupt-json.ipynb").write_text('{"cells": [ {"cell_type": "code", ', encoding="utf-8")
    renamed = support.make_notebook()
    for cell in renamed.cells:
        if cell.metadata.get("mlcourse", {}).get("exercise") == "ch99-mse-grad":
            cell.metadata["mlcourse"]["exercise"] = "my-answer"
    support.write_notebook(renamed, folder / "renamed-cell.ipynb")

    reports = {Path(r.submission).stem: r for r in grade_many([folder], "ch99", seed=7, jobs=2)}
    assert len(reports) == len(ADVERSARIAL) + 2
    for name, (ex_id, _, reason) in ADVERSARIAL.items():
        results = by_id(reports[name])
        assert results[ex_id].points == 0, name
        assert reason in results[ex_id].reason, f"{name}: {results[ex_id].reason}"
        others = [r for r in results.values() if r.exercise != ex_id]
        assert all(r.status == "pass" for r in others), f"{name} affected other exercises"
        assert reports[name].score == 5
    corrupt = reports["corrupt-json"]
    assert corrupt.score == 0 and "not valid notebook JSON" in corrupt.error
    renamed_result = by_id(reports["renamed-cell"])["ch99-mse-grad"]
    assert renamed_result.status == "missing" and "metadata was changed" in renamed_result.reason
    assert reports["renamed-cell"].score == 5


def test_hidden_tests_defeat_hard_coding(folder):
    ex = support.EXERCISES[2]
    (case,) = ex.public_cases()
    expected = ex.expected(case.args)
    hard_coded = (
        "def mse_grad(p, t):\n"
        f"    return np.array({expected.tolist()!r})\n"
    )
    assert check("ch99-mse-grad", lambda p, t: expected.copy()).passed
    report = grade(support.make_notebook({"ch99-mse-grad": hard_coded}), folder)
    result = by_id(report)["ch99-mse-grad"]
    n_hidden = ex.n_hidden
    assert result.passed_tests == 1 and result.total_tests == 1 + n_hidden
    assert result.points == round(1 / (1 + n_hidden), 2) < result.max_points, "only the public share"
    assert "hidden test" in result.reason
    assert str(round(float(expected.flat[0]), 4)) not in result.reason, "hidden content leaked"


def test_cli_writes_json_gradescope_and_csv(folder, monkeypatch, capsys):
    from mlcourse.cli import main

    subs = folder / "subs"
    subs.mkdir()
    support.write_notebook(support.make_notebook(), subs / "alice.ipynb")
    wrong = support.make_notebook({"ch99-mse-grad": "def mse_grad(p, t):\n    return p - t\n"})
    support.write_notebook(wrong, subs / "bob.ipynb")
    monkeypatch.chdir(folder)
    assert main(["grade", str(subs), "--assignment", "ch99", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "alice.ipynb: 6/6 points" in out and "bob.ipynb: 5/6 points" in out
    rows = list(csv.DictReader(open(folder / "gradebook.csv")))
    assert [(r["student"], r["total"]) for r in rows] == [("alice", "6"), ("bob", "5")]
    report = json.loads((folder / "grading-report.json").read_text())
    assert [r["exercise"] for r in report[1]["results"]] == [e.id for e in support.EXERCISES]
    assert main(["grade", str(subs / "bob.ipynb"), "--assignment", "ch99", "--gradescope", "gs.json",
                 "--seed", "3"]) == 0
    gs = json.loads((folder / "gs.json").read_text())
    assert gs["score"] == 5 and {t["name"] for t in gs["tests"]} == {e.id for e in support.EXERCISES}
    assert all({"score", "max_score", "output", "visibility", "number"} <= set(t) for t in gs["tests"])
    assert gs["extra_data"]["hidden_test_seed"] == 3 and "5/6" in gs["output"]


def test_check_in_notebook_reports_kernel_state_dependence():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell("import numpy as np\nscale = 2", store_history=True)
        shell.run_cell("def mse_grad(pred, target):\n    return scale * (pred - target) / pred.size", store_history=True)
        result = shell.run_cell('from mlcourse.grading import check\ncheck("ch99-mse-grad", mse_grad)', store_history=True).result
        assert not result.passed
        assert "uses scale from elsewhere in the notebook" in result.note
        shell.run_cell("mean = 5\ndef mse_grad(pred, target):\n    return 2 * (pred - target) / pred.size + 0 * pred.mean()", store_history=True)
        result = shell.run_cell('check("ch99-mse-grad", mse_grad)', store_history=True).result
        assert result.passed and result.note == ""
        assert "all 1 public tests passed" in repr(result)
    finally:
        InteractiveShell.clear_instance()


def test_check_feedback_shows_shapes_first_and_hints_without_the_solution():
    result = check("ch99-linear-backward", lambda X, W, dY: (dY @ W.T, dY.T @ X, dY.sum(0, keepdims=True)))
    text = repr(result)
    assert "dW: expected shape" in text and "transpose" in text
    assert "X.T @ dY" not in text
    html = result._repr_html_()
    assert "&#10008;" in html
    assert repr(check("ch99-mse-grad", None)).count("expected the function mse_grad") >= 1


def test_serialize_round_trip_and_rejects_objects():
    value = (np.arange(6, dtype=np.float32).reshape(2, 3), 3, 2.5, float("nan"), [True, None], {"a": "b"})
    back = decode(encode(value))
    assert back[0].dtype == np.float32 and np.array_equal(back[0], value[0])
    assert back[1:3] == (3, 2.5) and np.isnan(back[3]) and back[4:] == ([True, None], {"a": "b"})
    with pytest.raises(UnsupportedValue):
        encode(object())
    with pytest.raises(UnsupportedValue):
        encode(np.array([object()]))
    with pytest.raises(ValueError):
        decode('{"__ndarray__": "AAAA", "dtype": "|O", "shape": [1]}')


def test_compare_reports_shape_before_values():
    e = np.ones((2, 3))
    assert "expected shape (2, 3), got (3, 2)" in compare(np.ones((3, 2)), e).detail
    assert compare(e + 1e-12, e) is None
    assert "forget to return" in compare(None, e).detail
