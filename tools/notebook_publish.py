"""Notebook transforms shared by the book build and the student release.

The notebook conventions themselves (tags, exercise metadata, solution markers, the student
version) live in :mod:`mlcourse.grading.notebook`; this module only adds what publishing needs:

* :func:`install_cell`: a first code cell that installs ``mlcourse`` when the kernel cannot
  import it (Colab, a bare Binder or JupyterHub kernel) and does nothing otherwise;
* :func:`merge_streams`: consecutive outputs of the same stream joined into one, so a printed
  table is one block in the book, not one grey box per ``print`` flush;
* :func:`student_version`: the version a student downloads or launches.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import urlparse

from mlcourse.grading.notebook import cell_tags, make_student_version

INSTALL_TAG = "mlcourse-install"
# Jupyter Book removes the install cell from the HTML page (it is noise there); JupyterLab,
# Colab and Binder ignore the tag and run the cell.
INSTALL_TAGS = [INSTALL_TAG, "remove-cell"]

# Host names and paths that mark a repository or JupyterHub URL as a placeholder.
_PLACEHOLDER_HOSTS = re.compile(r"(^|\.)(example\.(org|com|net)|localhost)$")
_PLACEHOLDER_PATHS = {"/mlcourse/mlcourse", "/owner/repo", "/org/repo", "/user/repo"}
_PLACEHOLDER_WORDS = re.compile(r"placeholder|your[-_]|<|>|\bowner\b|xxx", re.IGNORECASE)


def placeholder_reason(url: str) -> str | None:
    """Why ``url`` looks like a placeholder rather than a real address, or None."""
    parsed = urlparse(url.strip())
    if parsed.scheme != "https" or not parsed.hostname:
        return f"{url!r} is not an https:// URL"
    if _PLACEHOLDER_HOSTS.search(parsed.hostname):
        return f"{parsed.hostname} is a placeholder host"
    path = parsed.path.rstrip("/").removesuffix(".git").lower()
    if path in _PLACEHOLDER_PATHS:
        return f"{url} is the placeholder repository of the course template"
    if _PLACEHOLDER_WORDS.search(url):
        return f"{url} contains a placeholder word"
    return None


def install_requirement(repository_url: str, branch: str) -> str:
    """The pip requirement that installs mlcourse from ``repository_url`` at ``branch``."""
    url = repository_url.rstrip("/").removesuffix(".git")
    return f"mlcourse @ git+{url}.git@{branch}"


def install_cell(repository_url: str | None, branch: str) -> dict[str, Any]:
    """The code cell that installs mlcourse when it is not importable.

    With no real repository (``repository_url`` None), the cell cannot install anything; it
    then stops with a message that says how to get the course instead of a bare import error.
    """
    lines = [
        "# Colab, Binder, JupyterHub: install the course library if this kernel lacks it.",
        "import importlib.util",
        "",
        'if importlib.util.find_spec("mlcourse") is None:',
    ]
    if repository_url:
        lines += [
            "    import subprocess",
            "    import sys",
            "",
            f"    requirement = {install_requirement(repository_url, branch)!r}",
            '    command = [sys.executable, "-m", "pip", "install", "--quiet", requirement]',
            "    subprocess.run(command, check=True)",
            "    importlib.invalidate_caches()",
        ]
    else:
        lines += [
            "    raise ModuleNotFoundError(",
            '        "mlcourse is not installed: open this notebook with `make lab` "',
            '        "from a clone of the course repository"',
            "    )",
        ]
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": "mlcourse-install",
        "metadata": {"tags": list(INSTALL_TAGS)},
        "outputs": [],
        "source": "\n".join(lines),
    }


def with_install_cell(nb: dict[str, Any], repository_url: str | None, branch: str) -> dict[str, Any]:
    """A copy of ``nb`` whose first code cell is :func:`install_cell` (replacing an old one)."""
    out = copy.deepcopy(nb)
    cells = [c for c in out["cells"] if INSTALL_TAG not in cell_tags(c)]
    first_code = next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"), len(cells))
    cell = install_cell(repository_url, branch)
    if out.get("nbformat", 4) == 4 and out.get("nbformat_minor", 0) < 5:
        del cell["id"]
    elif any(c.get("id") == cell["id"] for c in cells):
        raise ValueError(f"a cell already has the id {cell['id']!r} reserved for the install cell")
    cells.insert(first_code, cell)
    out["cells"] = cells
    return out


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def merge_streams(nb: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A copy of ``nb`` with consecutive outputs of the same stream joined.

    Returns the notebook and the number of code cells that had such outputs.
    """
    out = copy.deepcopy(nb)
    merged_cells = 0
    for cell in out["cells"]:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        joined: list[dict[str, Any]] = []
        for output in outputs:
            previous = joined[-1] if joined else None
            if (previous is not None and output.get("output_type") == "stream"
                    and previous.get("output_type") == "stream"
                    and previous.get("name") == output.get("name")):
                previous["text"] = _text(previous["text"]) + _text(output.get("text", ""))
                continue
            joined.append(output)
        if len(joined) != len(outputs):
            merged_cells += 1
            cell["outputs"] = joined
    return out, merged_cells


def student_version(nb: dict[str, Any], summaries: dict[str, str], repository_url: str | None,
                    branch: str) -> dict[str, Any]:
    """What a student receives: no solution, no instructor cell, the install cell first."""
    student = make_student_version(nb, summaries)
    student, _ = merge_streams(student)
    return with_install_cell(student, repository_url, branch)
