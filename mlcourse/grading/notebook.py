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
import os
import re
import stat
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


MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_CELL_CHARS = 1024 * 1024


class NotebookError(ValueError):
    """A file that is not a readable notebook."""


@dataclass(frozen=True)
class ExerciseCell:
    """The source of one exercise cell and where it sits (or why it cannot be used)."""

    exercise_id: str
    index: int
    source: str
    error: str = ""


def read_notebook(path: str | Path) -> dict[str, Any]:
    """Load a notebook as plain JSON, raising :class:`NotebookError` with a reason.

    Only a regular file of at most ``MAX_NOTEBOOK_BYTES`` is read (no FIFO, device or link),
    and any JSON, however malformed or deeply nested, gives a NotebookError, never a crash.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise NotebookError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotebookError(f"{path.name} is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(f"{path.name} is {info.st_size >> 20} MB; a submission may be at "
                                f"most {MAX_NOTEBOOK_BYTES >> 20} MB (clear large outputs)")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_NOTEBOOK_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{path.name} is not valid notebook JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); was it edited outside Jupyter or truncated?"
        ) from None
    except (RecursionError, ValueError, MemoryError) as exc:
        raise NotebookError(f"{path.name} cannot be read as a notebook ({type(exc).__name__})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{path.name} is JSON but not a notebook (no list of cells)")
    return nb


def cell_source(cell: dict[str, Any]) -> str:
    """A cell's source as text.

    Raises
    ------
    NotebookError
        The source is neither a string nor a list of strings.
    """
    source = cell.get("source", "")
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    raise NotebookError(f"the cell's source is a {type(source).__name__}"
                        + (" holding non-text items" if isinstance(source, list) else "")
                        + ", not text (a string or a list of strings)")


def _metadata(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell.get("metadata", {})
    return meta if isinstance(meta, dict) else {}


def cell_tags(cell: dict[str, Any]) -> list[str]:
    tags = _metadata(cell).get("tags", [])
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def exercise_id_of(cell: dict[str, Any]) -> str | None:
    """The exercise id in a cell's metadata, if the cell is an exercise cell."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    meta = _metadata(cell).get("mlcourse")
    value = meta.get("exercise") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def exercise_cells(nb: dict[str, Any]) -> dict[str, ExerciseCell]:
    """Exercise cells by id; when a student duplicated a cell, the last one counts.

    A cell whose source is not text, or too long, is kept with an ``error`` instead of source.
    """
    found: dict[str, ExerciseCell] = {}
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            continue
        ex_id = exercise_id_of(cell)
        if ex_id is None:
            continue
        try:
            source = cell_source(cell)
        except NotebookError as exc:
            found[ex_id] = ExerciseCell(ex_id, i, "", f"exercise cell {i + 1}: {exc}")
            continue
        if len(source) > MAX_CELL_CHARS:
            found[ex_id] = ExerciseCell(ex_id, i, "", f"exercise cell {i + 1} is longer than "
                                        f"{MAX_CELL_CHARS} characters")
            continue
        found[ex_id] = ExerciseCell(ex_id, i, strip_magics(source))
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
    # [ \t], not \s: \s also matches newlines, which makes a cell of blank lines quadratic.
    pattern = re.compile(rf"^[ \t]*(?:def|class)[ \t]+{re.escape(function)}\b"
                         rf"|^{re.escape(function)}[ \t]*=", re.MULTILINE)
    found = []
    for i, cell in enumerate(nb["cells"]):
        if not (isinstance(cell, dict) and cell.get("cell_type") == "code"):
            continue
        try:
            source = cell_source(cell)
        except NotebookError:
            continue
        if len(source) <= MAX_CELL_CHARS and pattern.search(source):
            found.append(i)
    return found


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
