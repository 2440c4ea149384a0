"""Exercise fields beyond a plain function, partial credit, assignments and instructor outputs.

* ``sandbox_modules``: only the listed library files, behind a stub ``mlcourse`` package;
* ``requires``: earlier parts run first in the same sandbox; a missing part scores 0;
* ``driver``: classes and "a number from your experiment" graded through ``_drive``;
* partial credit per test case, with declared weights, in every report;
* manifests written by ``mlcourse release``, Gradescope's zip and ``results.json``.

The grader runs here without isolation (``isolated=False``) where the point is not the
sandbox, so these tests also run on machines without bubblewrap; the sandboxed path of the
same features is covered when bubblewrap is there.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mlcourse.grading import Exercise, check, grade_notebook
from mlcourse.grading.exercise import all_exercises
from mlcourse.grading.grader import Assignment, AssignmentError
from mlcourse.grading.library import LibraryError, build_stub_library, check_modules
from mlcourse.grading.sandbox import IsolationUnavailable, isolation
from tests.grading import support

support.register_all()
support.register_features()


def _isolated() -> list[bool]:
    try:
        isolation()
    except IsolationUnavailable:
        return [False]
    return [False, True]


def grade(nb, folder: Path, isolated: bool = False, name: str = "student.ipynb"):
    return grade_notebook(support.write_notebook(nb, folder / name), "ch98", seed=21,
                          isolated=isolated)


def by_id(report):
    return {r.exercise: r for r in report.results}


@pytest.mark.parametrize("isolated", _isolated())
def test_all_kinds_of_exercise_score_full_marks(tmp_path, isolated):
    report = grade(support.make_feature_notebook(), tmp_path, isolated)
    assert report.score == report.max_score == 7, report.table()


@pytest.mark.parametrize("isolated", _isolated())
def test_sandbox_exposes_only_the_declared_module_and_its_public_names(tmp_path, isolated):
    cells = {
        "ch98-scale-module": support.FEATURE_SOLUTIONS["ch98-scale-module"].replace(
            "from mlcourse.module import Module",
            "from mlcourse import Module\nfrom mlcourse.module import Module, Parameter"),
        "ch98-affine": "from mlcourse.layers import Linear\ndef affine(x, w):\n    return x @ w\n",
        "ch98-final-loss": "from mlcourse import Linear\nfinal_loss = 0.25\n",
    }
    results = by_id(grade(support.make_feature_notebook(cells), tmp_path, isolated))
    assert results["ch98-scale-module"].status == "pass", results["ch98-scale-module"].reason
    assert "No module named 'mlcourse" in results["ch98-affine"].reason
    assert "No module named 'mlcourse" in results["ch98-final-loss"].reason


def test_stub_library_reexports_public_names_only(tmp_path):
    lib = build_stub_library(("mlcourse.module",), tmp_path / "lib")
    init = (lib / "mlcourse" / "__init__.py").read_text()
    assert "from .module import Module" in init and "from .module import Parameter" in init
    assert "Linear" not in init and "SGD" not in init
    assert sorted(p.name for p in (lib / "mlcourse").iterdir()) == ["__init__.py", "module.py"]
    with pytest.raises(LibraryError, match="imports mlcourse.module"):
        check_modules(("mlcourse.layers",))
    with pytest.raises(ValueError, match="can never be exposed"):
        Exercise(id="ch98-bad", function="f", points=1, summary="", public=[("a", lambda r: ())],
                 reference=lambda: 0, sandbox_modules=("mlcourse.exercises.ch05",))


def test_every_course_exercise_can_build_its_sandbox_library(tmp_path):
    for i, exercise in enumerate(all_exercises()):
        if exercise.sandbox_modules:
            build_stub_library(exercise.sandbox_modules, tmp_path / f"lib{i}")
            for name in exercise.sandbox_modules:
                source = (tmp_path / f"lib{i}" / Path(*name.split("."))).with_suffix(".py")
                assert f"def {exercise.function}" not in source.read_text() and \
                    f"class {exercise.function}" not in source.read_text(), (
                    f"{exercise.id}: {name} defines the answer {exercise.function}")


def test_a_missing_required_part_scores_zero_with_a_reason(tmp_path):
    results = by_id(grade(support.make_feature_notebook(drop=("ch98-affine",)), tmp_path))
    energy = results["ch98-affine-energy"]
    assert energy.points == 0 and energy.max_points == 3
    assert "builds on ch98-affine" in energy.reason and "missing" in energy.reason


def test_required_part_runs_first_in_the_same_sandbox(tmp_path):
    wrong_part1 = {"ch98-affine": "def affine(x, w):\n    return x @ w + 1\n"}
    results = by_id(grade(support.make_feature_notebook(wrong_part1), tmp_path))
    assert results["ch98-affine"].points == 0
    assert results["ch98-affine-energy"].points == 0, "part 2 uses the student's own part 1"


def test_partial_credit_uses_declared_weights_and_shows_in_every_report(tmp_path):
    # Passes public case B (weight 1) and no other: public A weighs 2, hidden cases 0.5 each.
    source = ("def affine_energy(x, w):\n    v = float((affine(x, w) ** 2).sum())\n"
              "    return v if x.shape == {shape} and w.shape == {wshape} else -1.0\n")
    ex = [e for e in support.FEATURE_EXERCISES if e.id == "ch98-affine-energy"][0]
    case_b = ex.public_cases()[1]
    filled = source.format(shape=case_b.args[0].shape, wshape=case_b.args[1].shape)
    report = grade(support.make_feature_notebook({"ch98-affine-energy": filled}), tmp_path)
    result = by_id(report)["ch98-affine-energy"]
    passed = [t for t in result.tests if t.passed]
    weight = sum(t.weight for t in passed)
    assert [t.weight for t in result.tests] == [2.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    assert result.points == round(3 * weight / 5, 2) and 0 < result.points < 3
    assert result.status == "partial" and f"{result.passed_tests}/6" in report.table()
    gs = report.gradescope()
    test = [t for t in gs["tests"] if t["name"] == "ch98-affine-energy"][0]
    assert test["score"] == result.points and "[PASS] case B" in test["output"]
    assert "(weight 2)" in test["output"]
    assert [t["number"] for t in gs["tests"]] == ["1", "2", "3", "4"]
    assert gs["extra_data"]["hidden_test_seed"] == 21 and "output" in gs


def test_check_supports_modules_requires_and_driver_in_the_notebook():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        for source in support.FEATURE_SOLUTIONS.values():
            assert shell.run_cell(source, store_history=True).success
        shell.run_cell("from mlcourse.grading import check", store_history=True)
        for ex_id, name in support.FEATURE_NAMES.items():
            result = shell.run_cell(f'check("{ex_id}", {name})', store_history=True).result
            assert result.passed, repr(result)
            assert f"{ex_id}: all {len(result.results)} public tests passed" in repr(result)
        shell.run_cell("from mlcourse import Linear\nfinal_loss = 0.25", store_history=True)
        result = shell.run_cell('check("ch98-final-loss", final_loss)', store_history=True).result
        assert not result.passed and "may import nothing from mlcourse" in result.note
        shell.run_cell("import scipy\nfinal_loss = 0.25", store_history=True)
        result = shell.run_cell('check("ch98-final-loss", final_loss)', store_history=True).result
        assert not result.passed and "only the standard library and NumPy" in result.note
        shell.run_cell("def affine(x, w):\n    return x @ w * 0", store_history=True)
        result = shell.run_cell('check("ch98-affine-energy", affine_energy)', store_history=True).result
        assert not result.passed, "part 2 is checked with the student's latest part 1"
        shell.run_cell("final_loss = 0.5", store_history=True)
        result = shell.run_cell('check("ch98-final-loss", final_loss)', store_history=True).result
        assert not result.passed and "expected 0.25, got 0.5" in repr(result)
        shell.run_cell("def affine_energy(x, w):\n    return float((affine(x, w) ** 2).sum()) "
                       "if x.shape[0] == 3 else 0.0\ndef affine(x, w):\n    return x @ w",
                       store_history=True)
        result = shell.run_cell('check("ch98-affine-energy", affine_energy)', store_history=True).result
        assert [r.passed for r in result.results] == [True, False]  # case A has 3 rows, B has 4
        assert "1 of 2 public tests passed. Points are shared among the tests: these would earn 2 of 3" \
            in repr(result)
        from mlcourse.grading.notebook import replace_solutions

        stub = replace_solutions(support.FEATURE_SOLUTIONS["ch98-final-loss"], "ch98-final-loss", "")
        assert not shell.run_cell(stub, store_history=True).success
        result = shell.run_cell('check("ch98-final-loss", final_loss)', store_history=True).result
        assert "ch98-final-loss: not attempted yet" in repr(result)
    finally:
        InteractiveShell.clear_instance()


def test_check_outside_ipython_uses_the_object_it_is_given():
    class Scale:
        def __init__(self, s):
            self.s = s

        def __call__(self, x):
            return x * self.s

    assert check("ch98-scale-module", Scale).passed
    assert check("ch98-final-loss", 0.25).passed
    assert not check("ch98-final-loss", 0.3).passed


def test_release_writes_a_manifest_that_grades_the_chapter(tmp_path):
    from mlcourse.cli import main

    source = support.write_notebook(support.make_notebook(), tmp_path / "99_test.ipynb")
    assert main(["release", str(source), "--out", str(tmp_path / "out")]) == 0
    manifest = json.loads((tmp_path / "out" / "99_test.assignment.json").read_text())
    assert manifest["assignment"] == "ch99"
    assert manifest["exercises"] == [{"id": e.id, "points": e.points} for e in support.EXERCISES]
    assignment = Assignment.parse(tmp_path / "out" / "99_test.assignment.json")
    assert assignment.max_score == 6


def test_assignment_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"assignment": "x", "exercises": [{"id": "ch99-mse-grad", "points": -1}]}))
    with pytest.raises(AssignmentError, match="expected a number > 0"):
        Assignment.parse(bad)
    bad.write_text(json.dumps({"assignment": "x", "exercises": [{"id": "ch99-nope"}]}))
    with pytest.raises(AssignmentError, match="no exercise 'ch99-nope'"):
        Assignment.parse(bad)
    with pytest.raises(AssignmentError, match="neither a chapter"):
        Assignment.parse(tmp_path / "missing.json")
    with pytest.raises(AssignmentError, match="no registered exercises"):
        Assignment.parse("ch97")
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"assignment": "hw1", "exercises": [{"id": "ch99-mse-grad", "points": 10}]}))
    report = grade_notebook(support.write_notebook(support.make_notebook(), tmp_path / "s.ipynb"),
                            manifest, seed=1, isolated=False)
    assert (report.score, report.max_score, report.assignment) == (10, 10, "hw1")


def test_gradescope_zip_holds_setup_runner_manifest_and_package(tmp_path):
    from mlcourse.cli import main

    out = tmp_path / "ag.zip"
    assert main(["gradescope", "--assignment", "ch99", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "manifest.json", "package/pyproject.toml",
                "package/mlcourse/grading/runner.py"} <= names
        assert json.loads(zf.read("manifest.json"))["exercises"][0]["id"] == "ch99-linear-backward"
        assert (zf.getinfo("run_autograder").external_attr >> 16) & 0o111
        run = zf.read("run_autograder").decode()
        assert "--assignment manifest.json" in run and "/autograder/results/results.json" in run
        assert "bubblewrap" in zf.read("setup.sh").decode()


def test_released_feature_notebook_is_not_attempted_everywhere(tmp_path):
    from mlcourse.grading import make_student_version

    student = make_student_version(support.make_feature_notebook(),
                                   {e.id: e.summary for e in support.FEATURE_EXERCISES})
    report = grade(student, tmp_path)
    assert report.score == 0 and {r.status for r in report.results} == {"not attempted"}, \
        report.table()
