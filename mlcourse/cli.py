"""The ``mlcourse`` command: ``mlcourse grade``, ``mlcourse release`` and ``mlcourse gradescope``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlcourse", description="Course tools for mlcourse.")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade submitted notebooks (files or folders)")
    g.add_argument("paths", nargs="+", help="submission notebooks, or folders of them")
    g.add_argument("--assignment", "-a", required=True, metavar="ch05|MANIFEST.json",
                   help="what is graded: a chapter (ch05) or a manifest of exercise ids and points "
                        "(written by `mlcourse release`); never taken from the submissions")
    g.add_argument("--json", metavar="FILE", default="grading-report.json",
                   help="where to write the JSON report (default: %(default)s)")
    g.add_argument("--gradescope", nargs="?", const="results.json", metavar="FILE",
                   help="also write Gradescope's results.json (one submission)")
    g.add_argument("--csv", metavar="FILE",
                   help="write a CSV gradebook (default gradebook.csv when grading a folder)")
    g.add_argument("--jobs", type=int, default=None, help="parallel workers (default: CPU count)")
    g.add_argument("--seed", type=int, default=None,
                   help="seed of the hidden tests (default: fresh; the report records it)")
    g.add_argument("--no-isolation", action="store_true",
                   help="run exercises in plain child processes, without bubblewrap: ONLY for "
                        "trusted code (your own solutions), never for students' submissions")

    r = sub.add_parser("release", help="write student versions of the chapter notebooks")
    r.add_argument("notebooks", nargs="*", help="notebooks (default: notebooks/[0-9][0-9]_*.ipynb)")
    r.add_argument("--out", default="_build/release", help="output folder (default: %(default)s)")

    z = sub.add_parser("gradescope", help="build Gradescope's autograder zip for one assignment")
    z.add_argument("--assignment", "-a", required=True, metavar="ch05|MANIFEST.json")
    z.add_argument("--out", default=None, help="zip file (default: autograder-<assignment>.zip)")

    args = parser.parse_args(argv)
    if args.command == "grade":
        return _grade(args)
    if args.command == "gradescope":
        return _gradescope(args)
    return _release(args)


def _grade(args: argparse.Namespace) -> int:
    from .grading.grader import (AssignmentError, find_submissions, grade_many, write_gradebook,
                                 write_gradescope, write_json, Assignment)
    from .grading.library import LibraryError
    from .grading.sandbox import IsolationUnavailable

    try:
        assignment = Assignment.parse(args.assignment)
    except (AssignmentError, KeyError) as exc:
        print(f"mlcourse grade: {exc}", file=sys.stderr)
        return 2
    submissions = find_submissions(args.paths)
    if not submissions:
        print(f"mlcourse grade: no notebooks found in {' '.join(args.paths)}", file=sys.stderr)
        return 2
    if args.gradescope and len(submissions) != 1:
        print("mlcourse grade: --gradescope grades exactly one submission", file=sys.stderr)
        return 2
    try:
        reports = grade_many(submissions, assignment, seed=args.seed, jobs=args.jobs,
                             isolated=not args.no_isolation)
    except IsolationUnavailable as exc:
        print(f"mlcourse grade: refusing to grade without isolation: {exc}", file=sys.stderr)
        return 3
    except LibraryError as exc:
        print(f"mlcourse grade: an exercise of {assignment.name} is misconfigured: {exc}",
              file=sys.stderr)
        return 2
    if args.no_isolation:
        print("mlcourse grade: WARNING: --no-isolation: submissions ran unisolated, as your user",
              file=sys.stderr)
    print(f"isolation: {reports[0].isolation if reports else '-'}")
    for report in reports:
        print(report.table())
        print()
    write_json(reports, args.json)
    print(f"JSON report: {args.json}")
    if args.gradescope:
        write_gradescope(reports[0], args.gradescope)
        print(f"Gradescope results: {args.gradescope}")
    csv_path = args.csv or ("gradebook.csv" if any(Path(p).is_dir() for p in args.paths) else None)
    if csv_path:
        write_gradebook(reports, csv_path, assignment)
        print(f"Gradebook: {csv_path} ({len(reports)} submissions)")
    return 0


def _release(args: argparse.Namespace) -> int:
    from .grading.release import release

    sources = [Path(p) for p in args.notebooks] or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        print("mlcourse release: no notebooks to release", file=sys.stderr)
        return 2
    written = release(sources, Path(args.out))
    for path in written:
        print(f"wrote {path}")
    return 0


def _gradescope(args: argparse.Namespace) -> int:
    from .grading.grader import Assignment, AssignmentError
    from .grading.gradescope import build_autograder

    try:
        assignment = Assignment.parse(args.assignment)
    except (AssignmentError, KeyError) as exc:
        print(f"mlcourse gradescope: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out or f"autograder-{assignment.name}.zip")
    build_autograder(assignment, out)
    print(f"wrote {out}: upload it as the assignment's autograder on Gradescope")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
