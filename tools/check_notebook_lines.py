"""List notebook code lines longer than 88 characters (ruff's E501 on the notebooks).

Usage: ``.venv/bin/python tools/check_notebook_lines.py [--strict] [NOTEBOOK ...]``
(default: ``notebooks/[0-9][0-9]_*.ipynb``). The book wraps long lines, but a line that fits
reads better on screen and in print. Without ``--strict`` the offenders are listed and the exit
status is 0; with it (or ``mlcourse: strict: true`` in ``_config.yml``, or ``MLCOURSE_STRICT=1``)
any offender fails. Runs ``ruff check --isolated --select E501 --line-length 88``, so a ruff
configuration elsewhere does not change the rule.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MAX_LINE = 88
_LINE = re.compile(r"^(?P<path>.+?\.ipynb):cell (?P<cell>\d+):(?P<row>\d+):(?P<col>\d+): "
                   r"(?P<code>\S+) (?P<msg>.*)$")


def ruff_executable() -> str:
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.exists() else shutil.which("ruff")
    if found is None:
        raise SystemExit("check_notebook_lines: ruff is not installed (pip install ruff)")
    return found


def long_lines(notebooks: list[Path]) -> list[str]:
    """One entry per code line over 88 characters: "path:cell N:line L: Line too long (...)"."""
    if not notebooks:
        return []
    command = [ruff_executable(), "check", "--isolated", "--no-cache", "--select", "E501",
               "--line-length", str(MAX_LINE), "--output-format", "concise",
               *[str(p) for p in notebooks]]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"check_notebook_lines: ruff failed ({result.returncode}):\n{result.stderr}")
    found, other = [], []
    for line in result.stdout.splitlines():
        match = _LINE.match(line.strip())
        if match and match["code"] != "E501":
            other.append(line.strip())
        elif match:
            path = Path(match["path"])
            shown = path.relative_to(ROOT) if path.is_absolute() and path.is_relative_to(ROOT) else path
            found.append(f"{shown}:cell {match['cell']}:line {match['row']}: {match['msg']}")
    if other:
        raise SystemExit("check_notebook_lines: ruff could not check every cell:\n  "
                         + "\n  ".join(other[:10]))
    if result.returncode == 1 and not found:
        raise SystemExit(f"check_notebook_lines: could not read ruff's report:\n{result.stdout}")
    return found


def strict_from_config() -> bool:
    if os.environ.get("MLCOURSE_STRICT", "") not in ("", "0"):
        return True
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")) or {}
    return bool((config.get("mlcourse") or {}).get("strict", False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--strict", action="store_true", help="fail on any long line")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    found = long_lines(notebooks)
    strict = args.strict or strict_from_config()
    for line in found:
        print(line)
    per_file: dict[str, int] = {}
    for line in found:
        name = line.split(":cell", 1)[0]
        per_file[name] = per_file.get(name, 0) + 1
    summary = ", ".join(f"{Path(k).name} {v}" for k, v in per_file.items())
    print(f"{len(found)} notebook code lines over {MAX_LINE} characters"
          + (f" ({summary})" if summary else ""))
    return 1 if (found and strict) else 0


if __name__ == "__main__":
    sys.exit(main())
