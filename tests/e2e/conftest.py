"""Real-browser tests of the book and of JupyterLab (``make e2e``; marker ``e2e``).

They are deselected from a plain ``pytest tests``: select them with ``-m e2e``. They need
Debian's Chromium (``apt-get install chromium``), Playwright (``pip install -e '.[e2e]'``) and
the built book (``make book``; built here when ``_build/html`` does not exist).
Screenshots go to ``_build/e2e/``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from _browser import OUT, ROOT

E2E_HELP = "real-browser tests of the book and of JupyterLab (make e2e; pytest -m e2e)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"e2e: {E2E_HELP}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the e2e tests out unless the marker expression names them (``-m e2e``)."""
    if "e2e" in (config.getoption("markexpr", "") or ""):
        return
    selected = [item for item in items if item.get_closest_marker("e2e") is None]
    deselected = [item for item in items if item.get_closest_marker("e2e") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def built_book() -> dict:
    """The built book: its HTML folder and what the build recorded (``book-build.json``)."""
    html = ROOT / "_build" / "html"
    info_file = ROOT / "_build" / "book-build.json"
    if not (html / "index.html").exists() or not info_file.exists():
        subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py")], cwd=ROOT, check=True)
    info = json.loads(info_file.read_text(encoding="utf-8"))
    if info.get("demo"):
        pytest.fail("_build/html is a demo build: run `make book`")
    OUT.mkdir(parents=True, exist_ok=True)
    return {"html": html, **info}
