"""Chapter notebooks: committed executed in order, exercises wired to the grader, releases clean.

``make test`` re-executes every notebook and compares its outputs (tools/nbcheck.py); these
tests check what that cannot: order of execution, the exercise conventions,
and the student release.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from mlcourse.grading import get_exercise, make_student_version
from mlcourse.grading.exercise import all_exercises
from mlcourse.grading.notebook import cell_source, cell_tags, exercise_cells, exercise_id_of, solution_lines

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request) -> tuple[Path, dict]:
    return request.param, load(request.param)


def test_committed_executed_top_to_bottom(notebook):
    path, nb = notebook
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]
    assert counts, f"{path.name} has no code cells"
    assert None not in counts, f"{path.name}: some code cells were never executed"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts[:12]}... are not 1, 2, 3, ...: "
        "re-run the notebook top to bottom in a fresh kernel (make notebooks)"
    )


def test_no_errors_or_warnings_in_outputs(notebook):
    path, nb = notebook
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} cell {i}: error output {out.get('ename')}"
            if out["output_type"] == "stream":
                assert out["name"] != "stderr", f"{path.name} cell {i} wrote to stderr: {''.join(out['text'])[:200]}"


def test_chapter_metadata_and_file_name_agree(notebook):
    path, nb = notebook
    assert nb["metadata"].get("mlcourse", {}).get("chapter") == int(path.name[:2])


def test_exercises_are_registered_and_checked(notebook):
    path, nb = notebook
    cells = nb["cells"]
    ids = [exercise_id_of(c) for c in cells if exercise_id_of(c)]
    assert len(ids) >= 2, f"{path.name}: a chapter needs at least two graded exercises, found {ids}"
    chapter = int(path.name[:2])
    registered = {ex.id for ex in all_exercises() if ex.chapter == chapter}
    assert set(ids) == registered, f"{path.name}: cells {sorted(ids)} vs registered {sorted(registered)}"
    for i, cell in enumerate(cells):
        ex_id = exercise_id_of(cell)
        if ex_id is None:
            continue
        assert "exercise" in cell_tags(cell), f"{path.name} cell {i}: exercise cell without the tag"
        exercise = get_exercise(ex_id)
        follower = cells[i + 1]
        assert "check" in cell_tags(follower), f"{path.name}: no check cell right after {ex_id}"
        assert f'check("{ex_id}", {exercise.function})' in cell_source(follower)
        shown = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                        for o in follower.get("outputs", []))
        assert re.search(r": all \d+ public tests passed", shown), (
            f"{path.name}: the committed check of {ex_id} does not show a pass: {shown[:200]}")


def test_interactive_figure_present(notebook):
    path, nb = notebook
    assert any("widget" in cell_tags(c) for c in nb["cells"]), f"{path.name}: no cell tagged 'widget'"


def test_release_keeps_no_solution_line(notebook):
    path, nb = notebook
    student = make_student_version(nb)
    released = json.dumps(student)
    outside = "\n".join(cell_source(c) for c in nb["cells"] if not exercise_id_of(c))
    for cell in exercise_cells(nb).values():
        for line in solution_lines(cell.source):
            if line in outside:
                continue  # the same text stands elsewhere in the chapter, not as a solution
            assert line not in released, f"{path.name}: solution line survived the release: {line!r}"
    assert not any("instructor" in cell_tags(c) for c in student["cells"])


def test_student_release_runs_up_to_the_first_exercise(notebook, tmp_path):
    from nbclient import NotebookClient

    path, nb = notebook
    student = nbformat.reads(json.dumps(make_student_version(nb)), as_version=4)
    first = next(i for i, c in enumerate(student.cells) if exercise_id_of(c))
    student.cells = student.cells[: first + 2]  # up to and including the first check cell
    client = NotebookClient(student, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()
    check_output = json.dumps(student.cells[first + 1].outputs)
    assert "not attempted yet" in check_output


def test_every_chapter_of_the_curriculum_is_present_and_in_the_book():
    expected = ["01_neuron", "02_mlp", "03_activations", "04_losses", "05_backprop", "06_training",
                "07_optimizers", "08_schedules", "09_initialization", "10_regularization",
                "11_normalization", "12_mnist", "13_distributed"]
    assert [p.stem for p in NOTEBOOKS] == expected
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    missing = [name for name in expected if f"file: notebooks/{name}" not in toc]
    assert not missing, f"chapters missing from _toc.yml: {missing}"


def test_released_notebook_scores_zero_with_not_attempted(notebook, tmp_path):
    from mlcourse.grading import grade_notebook

    path, nb = notebook
    released = tmp_path / path.name
    released.write_text(json.dumps(make_student_version(nb)), encoding="utf-8")
    report = grade_notebook(released, seed=0)
    assert report.max_score > 0 and report.score == 0, report.table()
    assert {r.status for r in report.results} == {"not attempted"}, report.table()
