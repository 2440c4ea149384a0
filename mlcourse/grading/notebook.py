"""Reading exercise cells out of notebooks and writing student releases.

Conventions (see the book's page for course authors):

* an exercise is a code cell tagged ``exercise`` whose metadata holds
  ``{"mlcourse": {"exercise": "<id>"}}``; the solution lies between lines
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
* the cell right after it, tagged ``check``, calls ``check("<id>", function)``;
* cells tagged ``instructor`` never reach students;
* the notebook metadata ``{"mlcourse": {"chapter": N}}`` names its chapter.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
EXERCISE_TAG = "exercise"
CHECK_TAG = "check"
INSTRUCTOR_TAG = "instructor"

_MAGIC = re.compile(r"^\s*[%!]")

# What runs before an exercise cell, in the grader and in the notebook check alike.
PREAMBLE = "import math\nimport numpy as np\n"


class NotebookError(ValueError):
    """A file that is not a readable notebook."""


@dataclass(frozen=True)
class ExerciseCell:
    """The source of one exercise cell and where it sits."""

    exercise_id: str
    index: int
    source: str


def read_notebook(path: str | Path) -> dict[str, Any]:
    """Load a notebook as plain JSON, raising :class:`NotebookError` with a reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"cannot read {path.name}: {exc}") from exc
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{path.name} is not valid notebook JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); was it edited outside Jupyter or truncated?"
        ) from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{path.name} is JSON but not a notebook (no list of cells)")
    return nb


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def cell_tags(cell: dict[str, Any]) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def exercise_id_of(cell: dict[str, Any]) -> str | None:
    """The exercise id in a cell's metadata, if the cell is an exercise cell."""
    if cell.get("cell_type") != "code":
        return None
    meta = cell.get("metadata", {})
    value = meta.get("mlcourse", {}).get("exercise") if isinstance(meta.get("mlcourse"), dict) else None
    return value if isinstance(value, str) else None


def exercise_cells(nb: dict[str, Any]) -> dict[str, ExerciseCell]:
    """Exercise cells by id; when a student duplicated a cell, the last one counts."""
    found: dict[str, ExerciseCell] = {}
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            continue
        ex_id = exercise_id_of(cell)
        if ex_id is not None:
            found[ex_id] = ExerciseCell(ex_id, i, strip_magics(cell_source(cell)))
    return found


def chapter_of(nb: dict[str, Any], path: str | Path | None = None) -> int | None:
    """The chapter a notebook belongs to: its metadata, else its file name ``NN_*.ipynb``."""
    meta = nb.get("metadata", {}).get("mlcourse", {})
    if isinstance(meta, dict) and isinstance(meta.get("chapter"), int):
        return int(meta["chapter"])
    if path is not None:
        match = re.match(r"^(\d\d)_", Path(path).name)
        if match:
            return int(match.group(1))
    return None


def strip_magics(source: str) -> str:
    """Comment out IPython magics and shell escapes, which plain Python cannot run."""
    return "\n".join("# " + line if _MAGIC.match(line) else line for line in source.splitlines())


def cells_defining(nb: dict[str, Any], function: str) -> list[int]:
    """Indices of code cells that define ``function`` (to help a student find a lost tag)."""
    pattern = re.compile(rf"^\s*def\s+{re.escape(function)}\s*\(", re.MULTILINE)
    return [
        i for i, cell in enumerate(nb["cells"])
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and pattern.search(cell_source(cell))
    ]


def solution_lines(source: str) -> list[str]:
    """The lines between solution markers (stripped, without blanks)."""
    lines, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            inside = True
        elif stripped.startswith(END):
            inside = False
        elif inside and stripped:
            lines.append(stripped)
    return lines


def replace_solutions(source: str, exercise_id: str, summary: str) -> str:
    """Replace every solution block with a stub that raises NotImplementedError.

    Raises
    ------
    ValueError
        When markers are unbalanced, or there is no solution block at all.
    """
    out: list[str] = []
    inside = False
    blocks = 0
    message = f"{exercise_id}: {summary}" if summary else exercise_id
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise ValueError(f"{exercise_id}: nested {BEGIN} at line {number}")
            inside, blocks = True, blocks + 1
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE")
            out.append(f"{indent}raise NotImplementedError({message!r})")
        elif stripped.startswith(END):
            if not inside:
                raise ValueError(f"{exercise_id}: {END} without {BEGIN} at line {number}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{exercise_id}: {BEGIN} is never closed")
    if blocks == 0:
        raise ValueError(f"{exercise_id}: the exercise cell has no {BEGIN} ... {END} block")
    return "\n".join(out)


def make_student_version(nb: dict[str, Any], summaries: dict[str, str] | None = None) -> dict[str, Any]:
    """A copy of ``nb`` for students.

    Solution blocks become stubs, exercise and check cells lose their outputs,
    cells tagged ``instructor`` are removed. Other outputs stay, so students
    see results at once.
    """
    summaries = summaries or {}
    student = copy.deepcopy(nb)
    cells = []
    for cell in student["cells"]:
        tags = cell_tags(cell)
        if INSTRUCTOR_TAG in tags:
            continue
        ex_id = exercise_id_of(cell)
        if ex_id is not None:
            cell["source"] = replace_solutions(cell_source(cell), ex_id, summaries.get(ex_id, ""))
        if ex_id is not None or CHECK_TAG in tags:
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
    student["cells"] = cells
    return student
