"""How long isolated grading takes: N honest submissions of one chapter, and one alone.

Honest submissions are copies of the instructor notebook (every exercise solved), graded on
the manifest that ``mlcourse release`` writes for it. Each exercise of each submission runs in
its own bubblewrap sandbox. The same run also grades them without isolation
(``--no-isolation``), so the cost of isolation reads as a ratio, which a loaded machine
distorts less than the absolute times.

    python benchmarks/bench_grading.py                # 200 submissions of chapter 5, 2 jobs
    python benchmarks/bench_grading.py --n 50 --chapter 7 --no-reference

Goals (issue 11): at most 5 minutes for 200 submissions on 2 cores, at most 10 s for one.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlcourse.grading.grader import Assignment, grade_many  # noqa: E402
from mlcourse.grading.release import release  # noqa: E402
from mlcourse.grading import sandbox  # noqa: E402
from mlcourse.grading.sandbox import isolation  # noqa: E402


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(paths: list[Path], assignment: Assignment, jobs: int, isolated: bool) -> tuple[float, list]:
    """Wall-clock seconds of grading ``paths``, and the reports."""
    start = time.perf_counter()
    reports = grade_many(paths, assignment, seed=0, jobs=jobs, isolated=isolated)
    return time.perf_counter() - start, reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions (default: %(default)s)")
    parser.add_argument("--chapter", type=int, default=5, help="chapter (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel sandboxes (default: %(default)s)")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the unisolated reference run")
    args = parser.parse_args(argv)

    (source,) = sorted((ROOT / "notebooks").glob(f"{args.chapter:02d}_*.ipynb"))
    print(f"isolation: {isolation().describe()}")
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f} (other work inflates "
          "the absolute times; the ratio to the unisolated run is the steadier figure)")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        folder = Path(tmp)
        release([source], folder / "release")
        assignment = Assignment.parse(folder / "release" / f"{source.stem}.assignment.json")
        subs = folder / "submissions"
        subs.mkdir()
        paths = []
        for i in range(args.n):
            paths.append(subs / f"student-{i:03d}.ipynb")
            shutil.copyfile(source, paths[-1])
        n_ex = len(assignment.exercises)
        print(f"{args.n} honest submissions of {source.name}: {n_ex} exercises each, "
              f"{args.n * n_ex} sandboxes, {args.jobs} at a time")

        one, (report,) = timed(paths[:1], assignment, 1, True)
        assert report.score == report.max_score, report.table()
        print(f"one submission alone (isolated, exercises in sequence): {one:.2f} s")

        cpu, own = sandbox.SANDBOX_CPU_SECONDS[0], _own_cpu()
        total, reports = timed(paths, assignment, args.jobs, True)
        cpu, own = sandbox.SANDBOX_CPU_SECONDS[0] - cpu, _own_cpu() - own
        bad = [r for r in reports if r.score != r.max_score]
        assert not bad, bad[0].table()
        print(f"isolated:   {total:7.1f} s in all, {total / args.n:.3f} s per submission, "
              f"{total / (args.n * n_ex):.3f} s per exercise")
        if cpu:
            print(f"  CPU time: sandboxes {cpu:.1f} s (measured by their cgroups), grader {own:.1f} s; "
                  f"{(cpu + own) / args.n:.3f} s per submission. On {args.jobs} idle cores: "
                  f"about {(cpu + own) / args.jobs:.0f} s for {args.n} submissions")
        if not args.no_reference:
            ref, reports = timed(paths, assignment, args.jobs, False)
            assert all(r.score == r.max_score for r in reports)
            print(f"unisolated: {ref:7.1f} s in all, {ref / args.n:.3f} s per submission")
            print(f"isolation costs x{total / ref:.2f} the unisolated time")
        goal_total, goal_one = 300.0, 10.0
        print(f"goals: {args.n} submissions <= {goal_total * args.n / 200:.0f} s: "
              f"{'met' if total <= goal_total * args.n / 200 else 'MISSED'}; "
              f"one submission <= {goal_one:.0f} s: {'met' if one <= goal_one else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
