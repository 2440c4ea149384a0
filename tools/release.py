"""Student versions of the chapter notebooks (``make lab``, ``make release``).

A student version has no solution (each ``### BEGIN SOLUTION`` block becomes a stub that raises
``NotImplementedError``), no instructor cell, merged stream outputs, and a first code cell that
installs ``mlcourse`` when the kernel cannot import it (Colab, Binder); see
``tools/notebook_publish.py`` and :func:`mlcourse.grading.notebook.make_student_version`.

* ``--out DIR`` writes them into DIR (``make release``: ``_build/release``), each with the
  assignment manifest ``NN_name.assignment.json`` that ``mlcourse grade --assignment`` takes
  (:func:`mlcourse.grading.release.manifest_for`).
* ``--keep-existing`` never overwrites a file that exists: ``make lab`` writes the student's
  working copies into ``my-notebooks/`` (ignored by git) and leaves their edits alone.
* ``--branch NAME`` also commits them to the local branch NAME as ``notebooks/NN_*.ipynb`` on
  top of the current commit's files, without touching the working tree or the index; push that
  branch to publish what the book's launch buttons open (``mlcourse.student_branch``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from mlcourse.grading.exercise import all_exercises  # noqa: E402
from mlcourse.grading.notebook import read_notebook  # noqa: E402
from mlcourse.grading.release import manifest_for  # noqa: E402
from notebook_publish import placeholder_reason, student_version  # noqa: E402


def repository_settings(config_path: Path) -> tuple[str | None, str]:
    """The repository URL (None when not set) and the student branch from ``_config.yml``."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    url = str((config.get("repository") or {}).get("url") or "").strip() or None
    branch = str((config.get("mlcourse") or {}).get("student_branch") or "student")
    if url is not None and placeholder_reason(url):
        raise SystemExit(f"release: repository.url in {config_path.name} is a placeholder "
                         f"({placeholder_reason(url)}); set the real one or leave it empty")
    return url, branch


def student_notebooks(sources: list[Path], repository_url: str | None,
                      branch: str) -> dict[str, str]:
    """File name -> JSON text of the student version of each source notebook."""
    summaries = {ex.id: ex.summary for ex in all_exercises()}
    out = {}
    for source in sources:
        student = student_version(read_notebook(source), summaries, repository_url, branch)
        out[source.name] = json.dumps(student, indent=1, ensure_ascii=False) + "\n"
    return out


def write(notebooks: dict[str, str], out_dir: Path, keep_existing: bool) -> tuple[list[Path], list[Path]]:
    """Write the notebooks into ``out_dir``; returns the written and the kept paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for name, text in notebooks.items():
        target = out_dir / name
        if keep_existing and target.exists():
            kept.append(target)
            continue
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written, kept


def git(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, env=env, input=stdin, capture_output=True)
    if result.returncode != 0:
        raise SystemExit(f"release: git {' '.join(args)} failed: "
                         f"{result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode().strip()


def commit_to_branch(branch: str, notebooks: dict[str, str], folder: str = "notebooks") -> str | None:
    """Commit the student notebooks onto ``branch`` (HEAD's files + them); returns the commit.

    Uses a temporary index, so the working tree, the index and the current branch are
    untouched. Returns None when the branch already holds exactly these files.
    """
    head = git("rev-parse", "--verify", "HEAD")
    with tempfile.TemporaryDirectory(prefix="mlcourse-release-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git("read-tree", head, env=env)
        for name, text in notebooks.items():
            blob = git("hash-object", "-w", "--stdin", stdin=text.encode("utf-8"))
            git("update-index", "--add", "--cacheinfo", f"100644,{blob},{folder}/{name}", env=env)
        tree = git("write-tree", env=env)
    ref = f"refs/heads/{branch}"
    parent = subprocess.run(["git", "rev-parse", "--verify", "--quiet", ref], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    if parent and git("rev-parse", f"{parent}^{{tree}}") == tree:
        return None
    parents = ["-p", parent] if parent else []
    message = f"Student versions of the notebooks, from {head[:12]}"
    commit = git("commit-tree", tree, *parents, "-m", message)
    git("update-ref", ref, commit, parent or "0" * 40)
    return commit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks (default: notebooks/[0-9][0-9]_*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "release",
                        help="output folder (default: _build/release)")
    parser.add_argument("--keep-existing", action="store_true",
                        help="never overwrite a notebook that exists in --out (make lab)")
    parser.add_argument("--branch", help="also commit the student versions to this local branch")
    parser.add_argument("--config", type=Path, default=ROOT / "_config.yml")
    args = parser.parse_args(argv)
    sources = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        print("release: no chapter notebooks to release", file=sys.stderr)
        return 2
    url, branch = repository_settings(args.config)
    notebooks = student_notebooks(sources, url, branch)
    written, kept = write(notebooks, args.out, args.keep_existing)
    if not args.keep_existing:
        for source in sources:
            manifest = manifest_for(read_notebook(source), source)
            (args.out / f"{source.stem}.assignment.json").write_text(
                json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    if written:
        print(f"wrote {len(written)} student notebooks to {shown}/: "
              + ", ".join(p.name for p in written))
    if kept:
        print(f"kept your own copies of {len(kept)} notebooks in {shown}/ (never overwritten).")
        print(f"  For a fresh copy of one, rename yours and run `make lab` again, e.g.\n"
              f"    mv {shown}/{kept[0].name} {shown}/{kept[0].stem}.old.ipynb && make lab")
    if args.branch:
        commit = commit_to_branch(args.branch, notebooks)
        if commit is None:
            print(f"branch {args.branch} already holds these student versions")
        else:
            print(f"committed the student versions to branch {args.branch} ({commit[:12]}); "
                  f"publish it with: git push origin {args.branch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
