"""Writing student versions of notebooks and their assignment manifests (``mlcourse release``).

Next to each student notebook ``NN_name.ipynb`` goes ``NN_name.assignment.json``: the
exercise ids of the chapter, in the order of the notebook, with their points. The grader
takes it as ``mlcourse grade --assignment NN_name.assignment.json``, so what is graded is
fixed by the release, never by what a submission holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .exercise import all_exercises, get_exercise
from .notebook import exercise_cells, make_student_version, read_notebook


def manifest_for(nb: dict, source: Path) -> dict:
    """The assignment of an instructor notebook: its chapter's exercises, in notebook order."""
    meta = nb.get("metadata", {}).get("mlcourse", {})
    chapter = meta.get("chapter") if isinstance(meta, dict) else None
    if not isinstance(chapter, int):
        match = re.match(r"^(\d\d)_", source.name)
        if not match:
            raise ValueError(f"{source.name}: no chapter in its metadata or file name")
        chapter = int(match.group(1))
    ids = [i for i in exercise_cells(nb) if i[2:4] == f"{chapter:02d}"]
    registered = [e.id for e in all_exercises() if e.chapter == chapter]
    ids += [i for i in registered if i not in ids]
    return {"assignment": f"ch{chapter:02d}", "chapter": chapter, "notebook": source.name,
            "exercises": [{"id": i, "points": get_exercise(i).points} for i in ids]}


def release(sources: list[Path], out_dir: Path) -> list[Path]:
    """Write the student version and manifest of each notebook into ``out_dir``; returns the paths."""
    summaries = {ex.id: ex.summary for ex in all_exercises()}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        nb = read_notebook(source)
        student = make_student_version(nb, summaries)
        target = out_dir / source.name
        target.write_text(json.dumps(student, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
        manifest = out_dir / f"{source.stem}.assignment.json"
        manifest.write_text(json.dumps(manifest_for(nb, source), indent=1) + "\n", encoding="utf-8")
        written.append(manifest)
    return written
