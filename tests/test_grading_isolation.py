"""Adversarial submissions against the isolated grader: one regression test per class of attack.

Every submission is built at test time from the *release* of an instructor notebook (as a
student receives it), with the exercise cell filled in by the attacker. Honest classmates are
graded in the same folder, in parallel, and must keep full marks; the attacks must score what
an honest grader would give them and harm no one: not the grader, not the checkout, not the
other submissions, not later runs.

These tests need bubblewrap and user namespaces (installed by ``.ci/run``); without them they
are skipped with the reason the grader gives, except the test that the grader refuses.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import nbformat
import numpy as np
import pytest

import mlcourse.grading.sandbox as sandbox_module
from mlcourse.grading import grade_many
from mlcourse.grading.grader import Assignment, clean, write_gradebook
from mlcourse.grading.release import release
from mlcourse.grading.sandbox import IsolationUnavailable, isolation
from tests.grading import support

support.register_all()
support.register_features()

ROOT = Path(__file__).resolve().parents[1]
MARKER = f"mlcourse-attack-{uuid.uuid4().hex[:10]}"


def _isolation_reason() -> str:
    try:
        isolation()
    except IsolationUnavailable as exc:
        return str(exc)
    return ""


needs_isolation = pytest.mark.skipif(bool(_isolation_reason()), reason=_isolation_reason() or "ok")


def released(folder: Path, instructor=None, name: str = "99_test.ipynb") -> tuple[dict, Path]:
    """The student release of an instructor notebook and its manifest, written by `release`."""
    source_dir = folder / "instructor"
    source_dir.mkdir(exist_ok=True)
    source = support.write_notebook(instructor or support.make_notebook(), source_dir / name)
    out = folder / "release"
    release([source], out)
    nb = json.loads((out / name).read_text(encoding="utf-8"))
    return nb, out / f"{Path(name).stem}.assignment.json"


def answer(nb: dict, answers: dict[str, str]) -> dict:
    """The released notebook with some exercise cells filled in, as a student would."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        ex_id = cell.get("metadata", {}).get("mlcourse", {}).get("exercise")
        if ex_id in answers:
            cell["source"] = answers[ex_id]
    return nb


def honest(nb: dict) -> dict:
    return answer(nb, support.SOLUTIONS)


def write(nb: dict, path: Path) -> Path:
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path).encode() + path.read_bytes())
    return h.hexdigest()


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


SITE = Path(np.__file__).resolve().parent.parent
GRADING = ROOT / "mlcourse" / "grading"

# Attacks on one exercise (ch99-mse-grad, 1 point): (cell source, points it should score, text
# its reason must contain). {names} are filled in with paths and ids of the test run.
ATTACKS = {
    "import-answer-key": (
        "from mlcourse.grading import get_exercise\n"
        "def mse_grad(p, t):\n    return get_exercise('ch99-mse-grad').reference(p, t)\n",
        0, "No module named 'mlcourse'"),
    "import-library-from-site": (
        "import sys\nsys.path[:0] = [{site!r}, {root!r}]\nimport mlcourse.losses\n"
        "def mse_grad(p, t):\n    return 2 * (p - t) / p.size\n",
        0, "No module named 'mlcourse'"),
    "search-disk-for-answers": (
        "import os\nhits = []\nfor top, dirs, files in os.walk('/'):\n"
        "    if top.startswith(('/proc', '/sys', '/usr/lib/x86_64-linux-gnu', '/usr/lib/locale')):\n"
        "        dirs[:] = []\n        continue\n"
        "    hits += [os.path.join(top, f) for f in files\n"
        "             if f.endswith(('.ipynb', 'ch05.py', 'grader.py', '.pth'))\n"
        "             or 'mlcourse' in f]\n"
        "def linear_backward(X, W, dY):\n    raise RuntimeError('found %d %r' % (len(hits), hits[:3]))\n",
        0, "found 0 []", "ch99-linear-backward"),
    "read-checkout-and-classmates": (
        "import os\nseen = []\nfor path in [{checkout!r}, {classmate!r}, {site!r}, '/root', '/home', '/etc/passwd']:\n"
        "    try:\n        seen.append((path, len(os.listdir(path) if os.path.isdir(path) else open(path).read())))\n"
        "    except OSError:\n        pass\n"
        "def mse_grad(p, t):\n    raise RuntimeError('readable %r' % seen)\n",
        0, "readable []"),
    "trojan-and-pth": (
        "import os\nwritten = []\nfor path in [{compare_py!r}, {pth!r}, {classmate!r}, {report!r}]:\n"
        "    try:\n        with open(path, 'a') as fh:\n            fh.write('\\nimport os; os.system(\"touch /tmp/pwned\")\\n')\n"
        "        written.append(path)\n    except OSError:\n        pass\n"
        "def mse_grad(p, t):\n    raise RuntimeError('written %r' % written)\n",
        0, "written []"),
    "setsid-daemon": (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True: time.sleep(0.1)', {marker!r}],\n"
        "                 start_new_session=True)\n"
        "def mse_grad(p, t):\n    return 2 * (p - t) / p.size\n",
        1, "all 1 public"),
    "double-fork-daemon": (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        os.execv('/rt/bin/python3', ['python3', '-c', 'import time; time.sleep(60)', {marker!r}])\n"
        "    os._exit(0)\n"
        "def mse_grad(p, t):\n    return 2 * (p - t) / p.size\n",
        1, "all 1 public"),
    "kill-the-grader": (
        "import os, signal\nresults = []\nfor pid in [{grader_pid}, {grader_ppid}]:\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n        results.append(pid)\n"
        "    except OSError as exc:\n        pass\n"
        "def mse_grad(p, t):\n    raise RuntimeError('killed %r' % results)\n",
        0, "killed []"),
    "kill-everything": (
        "import os, signal\nfor pid in (-1, 1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
        "    except OSError:\n        pass\n"
        "def mse_grad(p, t):\n    return 2 * (p - t) / p.size\n",
        1, "all 1 public"),
    "forty-processes": (
        "import os, time\nspawned = 0\nfor _ in range(40):\n    try:\n        pid = os.fork()\n"
        "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(3)\n        os._exit(0)\n"
        "    spawned += 1\n"
        "def mse_grad(p, t):\n    raise RuntimeError('spawned %d' % spawned)\n",
        0, "spawned "),
    "network": (
        "import socket\nreached = []\nfor host, port in [('127.0.0.1', {port}), ('1.1.1.1', 53), ('pypi.org', 443)]:\n"
        "    try:\n        socket.create_connection((host, port), timeout=1).close()\n        reached.append(host)\n"
        "    except OSError:\n        pass\n"
        "def mse_grad(p, t):\n    raise RuntimeError('reached %r' % reached)\n",
        0, "reached []"),
    "environment": (
        "import os\nleaked = sorted(k for k in os.environ if k not in {allowed!r})\n"
        "def mse_grad(p, t):\n    raise RuntimeError('leaked %r' % leaked)\n",
        0, "leaked []"),
    "forged-empty-result": (
        "import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'[]')\n    except OSError:\n        pass\n"
        "os._exit(0)\n",
        0, "malformed results"),
    "forged-deep-result": (
        "import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'{{\"cases\": ' + b'[' * 100000)\n"
        "    except OSError:\n        pass\nos._exit(0)\n",
        0, "malformed results"),
    "forged-array-shape": (
        "import os\nbad = '{{\"cases\": [{{\"ok\": true, \"output\": \"{{\\\\\"__ndarray__\\\\\": \\\\\"AAAA\\\\\", "
        "\\\\\"dtype\\\\\": \\\\\"<f8\\\\\", \\\\\"shape\\\\\": [100000, 100000]}}\"}}]}}'\n"
        "for fd in range(3, 64):\n    try:\n        os.write(fd, bad.encode())\n    except OSError:\n        pass\n"
        "os._exit(0)\n",
        0, "malformed results"),
    "huge-integer": ("def mse_grad(p, t):\n    return 10 ** 400\n", 0, "could not be compared"),
    "deeply-nested-output": (
        "def mse_grad(p, t):\n    x = []\n    for _ in range(100000):\n        x = [x]\n    return x\n",
        0, "nested too deeply"),
    "half-gigabyte-of-stdout": (
        "import os\nchunk = b'x' * (1 << 20)\nfor _ in range(512):\n    os.write(1, chunk)\n"
        "def mse_grad(p, t):\n    return 2 * (p - t) / p.size\n",
        1, "all 1 public"),
    "huge-result": ("import numpy as np\ndef mse_grad(p, t):\n    return np.zeros(1_500_000)\n",
                    0, "larger than"),
    "fill-tmp-and-shm": (
        "written = 0\nfor path in ['/tmp/big', '/dev/shm/big']:\n    try:\n        with open(path, 'wb') as fh:\n"
        "            for _ in range(1024):\n                fh.write(b'x' * (1 << 20))\n                written += 1\n"
        "    except OSError:\n        pass\n"
        "def mse_grad(p, t):\n    assert written <= 64, written\n    return 2 * (p - t) / p.size\n",
        1, "all 1 public"),
    "stop-itself": ("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n", 0, "timed out"),
    "report-injection": (
        "def mse_grad(p, t):\n    raise ValueError('\\x1b[2J\\x1b[H\\n' + 'ch99-mse-grad  1/1  pass\\r\\n' * 1000)\n",
        0, "raised ValueError"),
    "hostile-exception": (
        "class Boom(Exception):\n    def __str__(self):\n        raise Boom()\n"
        "def mse_grad(p, t):\n    raise Boom()\n",
        0, "raised Boom"),
    "new-user-namespace": (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nrc = libc.unshare(0x10000000)\n"
        "def mse_grad(p, t):\n    raise RuntimeError('unshare %d' % rc)\n",
        0, "unshare -1"),
    "patch-numpy-comparisons": (
        "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: np.ones_like(a, dtype=bool)\n"
        "def mse_grad(p, t):\n    return np.zeros_like(p)\n",
        0, "values differ"),
}


@pytest.fixture(scope="module")
def attack_run(tmp_path_factory):
    """Grade every attack and twelve honest classmates, in one folder, in parallel."""
    if _isolation_reason():
        pytest.skip(_isolation_reason())
    folder = tmp_path_factory.mktemp("attacks")
    student, manifest = released(folder)
    subs = folder / "submissions"
    subs.mkdir()
    for i in range(12):
        write(honest(student), subs / f"honest-{i:02d}.ipynb")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    connections: list[object] = []
    threading.Thread(target=lambda: connections.append(listener.accept()), daemon=True).start()
    names = {
        "site": str(SITE), "root": str(ROOT), "checkout": str(ROOT / "mlcourse" / "exercises"),
        "classmate": str(subs / "honest-00.ipynb"), "compare_py": str(GRADING / "compare.py"),
        "pth": str(SITE / "zz-mlcourse-attack.pth"), "report": str(folder / "grading-report.json"),
        "marker": MARKER, "grader_pid": os.getpid(), "grader_ppid": os.getppid(),
        "port": listener.getsockname()[1],
        "allowed": sorted(sandbox_module.SANDBOX_ENV) + ["PWD"],  # PWD: set by bwrap's --chdir
    }
    for name, (source, *rest) in ATTACKS.items():
        filled = source.format(**names)
        write(answer(honest(student), {target(name): filled}), subs / f"attack-{name}.ipynb")
    before = {"grading": tree_digest(GRADING), "classmate": (subs / "honest-00.ipynb").read_bytes()}
    baseline_mb, peak_mb, done = _rss_mb(), [0.0], threading.Event()

    def sample_rss():  # the grader's resident memory while it grades, sampled every 10 ms
        while not done.is_set():
            peak_mb[0] = max(peak_mb[0], _rss_mb())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    start = time.monotonic()
    reports = grade_many([subs], manifest, seed=11, jobs=2)
    seconds = time.monotonic() - start
    done.set()
    sampler.join()
    time.sleep(0.5)
    listener.close()
    return {"reports": {Path(r.submission).stem: r for r in reports}, "before": before,
            "folder": folder, "subs": subs, "connections": connections, "seconds": seconds,
            "memory_growth_mb": peak_mb[0] - baseline_mb,
            "manifest": manifest, "student": student}


def _rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def by_id(report):
    return {r.exercise: r for r in report.results}


def target(name: str) -> str:
    """The exercise an attack fills in (ch99-mse-grad unless it says otherwise)."""
    return ATTACKS[name][3] if len(ATTACKS[name]) > 3 else "ch99-mse-grad"


@needs_isolation
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_scores_what_an_honest_grader_gives_and_nothing_else(attack_run, name):
    _, points, reason, *_ = ATTACKS[name]
    report = attack_run["reports"][f"attack-{name}"]
    result = by_id(report)[target(name)]
    assert result.points == points, f"{name}: {result.reason}"
    assert reason in result.reason, f"{name}: {result.reason}"
    others = [r for r in report.results if r.exercise != target(name)]
    assert all(r.status == "pass" for r in others), f"{name} harmed another exercise: {report.table()}"
    assert "\x1b" not in report.table() and "\r" not in report.table()


MEMORY_ATTACK = (
    "import os, time\nimport numpy as np\nkids = []\nfor _ in range(4):\n    pid = os.fork()\n"
    "    if pid == 0:\n        a = np.ones(12_500_000)\n        time.sleep(1.5)\n        os._exit(0)\n"
    "    kids.append(pid)\nheld = sum(os.waitpid(k, 0)[1] == 0 for k in kids)\n"
    "def linear_backward(X, W, dY):\n    raise RuntimeError('held %d' % held)\n")


@needs_isolation
def test_memory_is_limited_for_the_exercise_as_a_whole(tmp_path):
    """Four processes of 100 MB each, under a limit of 256 MB for the exercise: at most two fit."""
    if isolation().cgroup is None:
        pytest.skip("no cgroup on this machine: memory is limited per process only")
    student, manifest = released(tmp_path)
    write(answer(honest(student), {"ch99-linear-backward": MEMORY_ATTACK}), tmp_path / "m.ipynb")
    (report,) = grade_many([tmp_path / "m.ipynb"], manifest, seed=6, memory_mb=256)
    reason = by_id(report)["ch99-linear-backward"].reason
    assert "held " in reason, reason
    held = int(reason.split("held ")[1].split()[0])
    assert held <= 2, f"{held} processes of 100 MB each held memory at once: {reason}"
    assert report.score == 3, "the other exercises are not affected"


@needs_isolation
def test_forty_processes_cannot_run_at_once(attack_run):
    reason = by_id(attack_run["reports"]["attack-forty-processes"])["ch99-mse-grad"].reason
    spawned = int(reason.split("spawned ")[1].split()[0])
    assert spawned < sandbox_module.DEFAULT_PROCESSES < 40, reason


@needs_isolation
def test_honest_classmates_keep_full_marks(attack_run):
    honest_reports = [r for name, r in attack_run["reports"].items() if name.startswith("honest-")]
    assert len(honest_reports) == 12
    for report in honest_reports:
        assert report.score == report.max_score == 6, report.table()


@needs_isolation
def test_nothing_outside_the_sandbox_changed(attack_run):
    before = attack_run["before"]
    assert tree_digest(GRADING) == before["grading"], "the grading package was modified"
    assert (attack_run["subs"] / "honest-00.ipynb").read_bytes() == before["classmate"]
    assert not (SITE / "zz-mlcourse-attack.pth").exists()
    assert not Path("/tmp/pwned").exists()
    assert attack_run["connections"] == [], "a sandbox reached the host's loopback"


@needs_isolation
def test_no_exercise_outlives_the_run(attack_run):
    assert processes_with(MARKER) == [], "a daemon started by a submission is still running"


@needs_isolation
def test_every_submission_gets_a_report_and_the_run_is_quick(attack_run):
    import resource

    assert len(attack_run["reports"]) == len(ATTACKS) + 12
    assert attack_run["seconds"] < 300
    growth = attack_run["memory_growth_mb"]  # not ru_maxrss: earlier tests share this process
    assert growth < 300, f"the grader's memory grew by {growth:.0f} MB (512 MB of stdout read?)"


def test_grade_refuses_without_isolation_and_names_what_is_missing(tmp_path, monkeypatch, capsys):
    from mlcourse.cli import main

    student, manifest = released(tmp_path)
    path = write(honest(student), tmp_path / "alice.ipynb")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    isolation.cache_clear()
    try:
        assert main(["grade", str(path), "--assignment", str(manifest),
                     "--json", str(tmp_path / "r.json")]) == 3
        err = capsys.readouterr().err
        assert "refusing to grade without isolation" in err and "bubblewrap is not installed" in err
        assert not (tmp_path / "r.json").exists()
        assert main(["grade", str(path), "--assignment", str(manifest), "--no-isolation",
                     "--json", str(tmp_path / "r.json")]) == 0
        assert json.loads((tmp_path / "r.json").read_text())[0]["score"] == 6
    finally:
        isolation.cache_clear()


@pytest.mark.skipif(os.geteuid() != 0, reason="as a normal user --no-isolation runs as that user")
def test_no_isolation_as_root_runs_submissions_as_nobody_and_kills_their_daemons(tmp_path):
    """Gradescope's fallback: no user namespaces, the grader is root in the container."""
    student, manifest = released(tmp_path)
    marker = f"mlcourse-noiso-{uuid.uuid4().hex[:8]}"
    report_path = tmp_path / "results.json"
    report_path.write_text("{}")
    attacks = {
        "daemon": ATTACKS["setsid-daemon"][0].format(marker=marker),
        "double-fork": ATTACKS["double-fork-daemon"][0].format(marker=marker).replace(
            "/rt/bin/python3", "' + sys.executable + '").replace("import os, time", "import os, sys, time"),
        "kill-grader": ATTACKS["kill-the-grader"][0].format(grader_pid=os.getpid(),
                                                            grader_ppid=os.getpid()),
        "write-results": ATTACKS["trojan-and-pth"][0].format(
            compare_py=str(GRADING / "compare.py"), pth=str(SITE / "zz-mlcourse-attack.pth"),
            classmate=str(report_path), report=str(report_path)),
    }
    for name, source in attacks.items():
        write(answer(honest(student), {"ch99-mse-grad": source}), tmp_path / f"{name}.ipynb")
    reports = {Path(r.submission).stem: r for r in grade_many(
        [tmp_path / f"{n}.ipynb" for n in attacks], manifest, seed=8, isolated=False)}
    assert processes_with(marker) == [], "a daemon outlived the unisolated run"
    assert by_id(reports["kill-grader"])["ch99-mse-grad"].reason.endswith("killed []")
    assert "written []" in by_id(reports["write-results"])["ch99-mse-grad"].reason
    assert report_path.read_text() == "{}" and not (SITE / "zz-mlcourse-attack.pth").exists()
    assert reports["daemon"].score == reports["double-fork"].score == 6


def test_no_isolation_still_hides_the_library(tmp_path):
    student, manifest = released(tmp_path)
    attack = "import mlcourse\ndef mse_grad(p, t):\n    return 2 * (p - t) / p.size\n"
    write(answer(honest(student), {"ch99-mse-grad": attack}), tmp_path / "a.ipynb")
    (report,) = grade_many([tmp_path / "a.ipynb"], manifest, seed=1, isolated=False)
    assert "No module named 'mlcourse'" in by_id(report)["ch99-mse-grad"].reason


# ---------------------------------------------------------------------------------------------
# The submission does not decide what it is graded on


def test_cells_from_another_chapter_add_nothing(tmp_path):
    student, manifest = released(tmp_path)
    nb = honest(student)
    for ex_id, source in support.FEATURE_SOLUTIONS.items():
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = ["exercise"]
        cell.metadata["mlcourse"] = {"exercise": ex_id}
        nb["cells"].append(json.loads(json.dumps(cell)))
    nb["metadata"]["mlcourse"] = {"chapter": 98}
    write(nb, tmp_path / "98_other.ipynb")
    (report,) = grade_many([tmp_path / "98_other.ipynb"], manifest, seed=2, isolated=False)
    assert [r.exercise for r in report.results] == [e.id for e in support.EXERCISES]
    assert report.score == report.max_score == 6, report.table()


def test_removing_metadata_of_unsolved_cells_keeps_the_maximum(tmp_path):
    student, manifest = released(tmp_path)
    nb = answer(student, {"ch99-mse-grad": support.SOLUTIONS["ch99-mse-grad"]})
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("mlcourse", {}).get("exercise") != "ch99-mse-grad":
            cell["metadata"].pop("mlcourse", None)
            cell["metadata"].pop("tags", None)
    write(nb, tmp_path / "s.ipynb")
    (report,) = grade_many([tmp_path / "s.ipynb"], manifest, seed=3, isolated=False)
    assert (report.score, report.max_score) == (1, 6), report.table()
    assert {r.status for r in report.results if r.exercise != "ch99-mse-grad"} == {"missing"}


def test_malformed_submissions_get_an_error_of_their_own_and_the_run_goes_on(tmp_path):
    student, manifest = released(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    write(honest(student), subs / "alice.ipynb")
    ints = honest(student)
    for cell in ints["cells"]:
        if cell.get("metadata", {}).get("mlcourse", {}).get("exercise") == "ch99-mse-grad":
            cell["source"] = [1, 2, 3]
    write(ints, subs / "int-source.ipynb")
    wrong_types = honest(student)
    wrong_types["cells"].insert(0, "not a cell")
    wrong_types["cells"].insert(0, {"cell_type": "code", "metadata": [], "source": 5})
    wrong_types["cells"].insert(0, {"cell_type": "code", "metadata": {"mlcourse": "ch99-mse-grad"}})
    write(wrong_types, subs / "wrong-types.ipynb")
    (subs / "deep.ipynb").write_text('{"cells": ' + "[" * 100000 + "]" * 100000 + "}")
    (subs / "list.ipynb").write_text("[]")
    (subs / "binary.ipynb").write_bytes(b"\xff\xfe\x00garbage")
    with open(subs / "huge.ipynb", "wb") as fh:
        fh.truncate(60 * 1024 * 1024)
    blank = honest(student)
    for cell in blank["cells"]:
        if cell.get("metadata", {}).get("mlcourse", {}).get("exercise") == "ch99-mse-grad":
            cell["metadata"] = {}
            cell["source"] = "\n" * 1_000_000  # once made the hint's regex quadratic
    write(blank, subs / "blank-lines.ipynb")
    os.mkfifo(subs / "fifo.ipynb")
    (subs / "link.ipynb").symlink_to(subs / "alice.ipynb")
    start = time.monotonic()
    reports = {Path(r.submission).stem: r for r in grade_many([subs], manifest, seed=4, isolated=False)}
    assert time.monotonic() - start < 120
    assert set(reports) == {"alice", "int-source", "wrong-types", "deep", "list", "binary", "huge",
                            "fifo", "blank-lines"}, "links are not followed"
    assert reports["blank-lines"].score == 5
    assert reports["alice"].score == 6
    assert reports["wrong-types"].score == 6, reports["wrong-types"].table()
    bad = by_id(reports["int-source"])["ch99-mse-grad"]
    assert bad.points == 0 and "not text" in bad.reason and reports["int-source"].score == 5
    for name, text in [("deep", "cannot be read"), ("list", "not a notebook"), ("binary", "UTF-8"),
                       ("huge", "at most"), ("fifo", "not a regular file")]:
        assert reports[name].score == 0 and reports[name].max_score == 6
        assert text in reports[name].error, (name, reports[name].error)


def test_gradebook_columns_follow_the_assignment_and_blank_where_not_applicable(tmp_path):
    import csv

    student, manifest = released(tmp_path)
    write(honest(student), tmp_path / "alice.ipynb")
    write(student, tmp_path / "=cmd.ipynb")
    reports = grade_many([tmp_path / "alice.ipynb", tmp_path / "=cmd.ipynb"], manifest, seed=5,
                         isolated=False)
    other = grade_many([tmp_path / "alice.ipynb"], "ch98", seed=5, isolated=False)
    assignment = Assignment.parse(manifest)
    write_gradebook(reports + other, tmp_path / "book.csv", assignment)
    rows = list(csv.reader(open(tmp_path / "book.csv", newline="")))
    assert rows[0] == ["student", "ch99-linear-backward (3)", "ch99-softmax-ce-grad (2)",
                       "ch99-mse-grad (1)", "total", "max", "assignment", "error"]
    assert rows[1][:4] == ["alice", "3", "2", "1"]
    assert rows[2][0] == "'=cmd" and rows[2][1:4] == ["0", "0", "0"]
    assert rows[3][1:4] == ["", "", ""], "not graded on this assignment: blank, not 0"


def test_reports_are_cleaned_of_control_characters():
    assert clean("a\x1b[2J\nb\r\u202ec") == "a [2J b c"
    assert len(clean("x" * 10_000)) == 600


@needs_isolation
def test_without_a_cgroup_processes_are_still_limited_per_exercise(tmp_path, monkeypatch):
    """The fallback: RLIMIT_NPROC, counted by the kernel in the sandbox's own user namespace."""
    student, manifest = released(tmp_path)
    source = ATTACKS["forty-processes"][0]
    write(answer(honest(student), {"ch99-mse-grad": source}), tmp_path / "forty.ipynb")
    write(honest(student), tmp_path / "honest.ipynb")
    monkeypatch.setenv("MLCOURSE_SANDBOX_NO_CGROUP", "1")
    isolation.cache_clear()
    try:
        assert isolation().cgroup is None
        reports = {Path(r.submission).stem: r for r in grade_many(
            [tmp_path / "forty.ipynb", tmp_path / "honest.ipynb"], manifest, seed=9, jobs=2)}
    finally:
        monkeypatch.delenv("MLCOURSE_SANDBOX_NO_CGROUP")
        isolation.cache_clear()
    reason = by_id(reports["forty"])["ch99-mse-grad"].reason
    spawned = int(reason.split("spawned ")[1].split()[0])
    assert spawned < sandbox_module.DEFAULT_PROCESSES, reason
    assert reports["honest"].score == 6, "a classmate's processes do not count against this one"
