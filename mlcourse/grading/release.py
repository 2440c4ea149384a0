"""Writing student versions of notebooks (``mlcourse release`` / ``make release``)."""

from __future__ import annotations

import json
from pathlib import Path

from .exercise import all_exercises
from .notebook import make_student_version, read_notebook


def release(sources: list[Path], out_dir: Path) -> list[Path]:
    """Write the student version of each notebook into ``out_dir``; returns the paths."""
    summaries = {ex.id: ex.summary for ex in all_exercises()}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        student = make_student_version(read_notebook(source), summaries)
        target = out_dir / source.name
        target.write_text(json.dumps(student, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written
