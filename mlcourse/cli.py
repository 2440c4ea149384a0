"""The ``mlcourse`` command: ``mlcourse grade`` and ``mlcourse release``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlcourse", description="Course tools for mlcourse.")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade submitted notebooks (files or folders)")
    g.add_argument("paths", nargs="+", help="submission notebooks, or folders of them")
    g.add_argument("--json", metavar="FILE", default="grading-report.json",
                   help="where to write the JSON report (default: %(default)s)")
    g.add_argument("--gradescope", nargs="?", const="results.json", metavar="FILE",
                   help="also write Gradescope's results.json (one submission)")
    g.add_argument("--csv", metavar="FILE",
                   help="write a CSV gradebook (default gradebook.csv when grading a folder)")
    g.add_argument("--jobs", type=int, default=None, help="parallel workers (default: CPU count)")
    g.add_argument("--seed", type=int, default=None,
                   help="seed of the hidden tests (default: fresh; the report records it)")

    r = sub.add_parser("release", help="write student versions of the chapter notebooks")
    r.add_argument("notebooks", nargs="*", help="notebooks (default: notebooks/[0-9][0-9]_*.ipynb)")
    r.add_argument("--out", default="_build/release", help="output folder (default: %(default)s)")

    args = parser.parse_args(argv)
    if args.command == "grade":
        return _grade(args)
    return _release(args)


def _grade(args: argparse.Namespace) -> int:
    from .grading.grader import (find_submissions, grade_many, write_gradebook, write_gradescope,
                                 write_json)

    submissions = find_submissions(args.paths)
    if not submissions:
        print(f"mlcourse grade: no notebooks found in {' '.join(args.paths)}", file=sys.stderr)
        return 2
    reports = grade_many(submissions, seed=args.seed, jobs=args.jobs)
    for report in reports:
        print(report.table())
        print()
    write_json(reports, args.json)
    print(f"JSON report: {args.json}")
    if args.gradescope:
        if len(reports) != 1:
            print("mlcourse grade: --gradescope grades exactly one submission", file=sys.stderr)
            return 2
        write_gradescope(reports[0], args.gradescope)
        print(f"Gradescope results: {args.gradescope}")
    csv_path = args.csv or ("gradebook.csv" if any(Path(p).is_dir() for p in args.paths) else None)
    if csv_path:
        write_gradebook(reports, csv_path)
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


if __name__ == "__main__":
    raise SystemExit(main())
