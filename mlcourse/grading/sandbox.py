"""Running untrusted exercise code: one isolated runtime per exercise, built on bubblewrap.

Each exercise runs :mod:`mlcourse.grading.runner` in a fresh sandbox made by
``bwrap`` (Debian package ``bubblewrap``):

* new user, PID, mount, network, IPC, UTS and cgroup namespaces: no network
  (only a loopback device), no other process visible or signalable, and every
  process of the exercise dies with it (``--die-with-parent``; the PID
  namespace's init is gone the moment the runner exits, and the kernel kills
  whatever the exercise left behind, ``setsid`` daemons included);
* a read-only view of a minimal runtime: the interpreter and its standard
  library, NumPy and its libraries, the folder of the system's shared
  libraries (``/usr/lib/x86_64-linux-gnu``) and the loader, the runner,
  and the stub ``mlcourse`` package of the exercise's ``sandbox_modules``
  (:mod:`mlcourse.grading.library`). Not ``mlcourse``, the venv (whose
  site-packages hold the editable-install hook), the checkout, the instructor
  notebooks or the submissions;
* a private ``/tmp`` of limited size, an allow-listed environment, an
  unprivileged uid (when the grader runs as root it drops to ``nobody`` before
  starting ``bwrap``), no new user namespaces inside;
* limits for the exercise as a whole in a cgroup (memory, number of
  processes) where the machine lets the grader create one (cgroup v2 with the
  controllers delegated, or cgroup v1 as root); otherwise, and always as a
  second line, ``RLIMIT_NPROC`` inside the sandbox's own user namespace (the
  kernel counts it per user namespace, so it bounds the exercise's processes),
  and ``RLIMIT_AS``/``RLIMIT_CPU``/``RLIMIT_FSIZE`` per process.

Everything that comes back is treated as hostile: results arrive on a pipe
(no file to swap for a FIFO or a link), read up to a size limit within one
deadline for the whole exercise; stdout and stderr are drained into a bounded
tail; decoding errors cost only the exercise.

Without bubblewrap and user namespaces, :func:`isolation` says what is
missing and the grader refuses to run, unless told ``isolated=False``
(``mlcourse grade --no-isolation``: trusted code only), which runs the same
runner in a plain child process.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import pickle
import pwd
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .judge import Outcome
from .library import build_stub_library
from .serialize import decode

DEFAULT_MEMORY_MB = 2048
DEFAULT_PROCESSES = 32
# At most one CPU per exercise: a busy exercise cannot starve its classmates graded beside it.
CPU_PERIOD_US = 100_000
CPU_QUOTA_US = 100_000
TMP_MB = 64
MAX_RESULT_BYTES = 8 * 1024 * 1024
MAX_CASES = 1000
TAIL_BYTES = 4096
RUNNER = Path(__file__).with_name("runner.py")
SANDBOX_UID = 65534  # nobody, when the grader runs as root

# The sandbox's whole environment: nothing of the grader's is passed on.
SANDBOX_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "LD_LIBRARY_PATH": "/rt/lib",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONIOENCODING": "utf-8",
}


class IsolationUnavailable(RuntimeError):
    """The machine cannot isolate exercises; the message says what is missing."""


@dataclass
class SandboxResult:
    """Either per-case outcomes, or a reason the whole exercise failed."""

    outcomes: list[Outcome] = field(default_factory=list)
    failure: str = ""
    stdout: str = ""
    not_attempted: bool = False


@dataclass(frozen=True)
class Job:
    """What one sandbox runs: cells in order (label, source), then the exercise's function."""

    exercise: str
    cells: tuple[tuple[str, str], ...]
    function: str
    setup: str
    driver: str
    args: tuple[tuple, ...]
    timeout: float
    library: Path | None = None
    memory_mb: int = DEFAULT_MEMORY_MB
    processes: int = DEFAULT_PROCESSES


# ---------------------------------------------------------------------------------------------
# What the machine offers


@dataclass(frozen=True)
class Isolation:
    """How exercises are isolated on this machine (see :func:`isolation`)."""

    bwrap: str
    binds: tuple[tuple[str, str], ...]   # (host path, sandbox path), read-only
    masks: tuple[str, ...]               # sandbox paths hidden under an empty tmpfs
    symlinks: tuple[tuple[str, str], ...]
    drop_to: int | None                  # uid to run bwrap as (None: stay)
    cgroup: "Cgroups | None"

    def describe(self) -> str:
        limits = (f"{self.cgroup.kind} cgroup per exercise (memory, processes"
                  + (", one CPU)" if self.cgroup.cpu else ")") if self.cgroup
                  else "no cgroup available: RLIMIT_NPROC in the sandbox's user namespace, "
                       "RLIMIT_AS per process")
        who = f"uid {self.drop_to}" if self.drop_to is not None else f"uid {os.getuid()}"
        return f"bubblewrap ({self.bwrap}), {who}, {limits}"


def _python_runtime() -> tuple[Path, Path, Path | None, Path]:
    """The real interpreter, its standard library, its shared libpython (if any), NumPy's folder."""
    exe = Path(os.path.realpath(sys.executable))
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    stdlib = Path(os.path.dirname(os.__file__))
    libdir = stdlib.parent
    shared = libdir / f"lib{version}.so.1.0"
    site = Path(np.__file__).resolve().parent.parent
    return exe, stdlib, shared if shared.exists() else None, site


_SKIP_STDLIB = {"site-packages", "dist-packages", "test", "idlelib", "tkinter", "turtledemo",
                "ensurepip", "lib2to3", "venv"}


def _link_tree(src: Path, dest: Path, skip: set[str]) -> None:
    for root, dirs, files in os.walk(src):
        rel = Path(root).relative_to(src)
        if rel == Path("."):
            dirs[:] = [d for d in dirs if d not in skip]
        dirs[:] = [d for d in dirs if d != "tests" or rel != Path(".")]
        target = dest / rel
        target.mkdir(parents=True, exist_ok=True)
        os.chmod(target, 0o755)
        for name in files:
            s, d = Path(root) / name, target / name
            if s.is_symlink():
                s = s.resolve()
                if not s.is_file():
                    continue
            try:
                os.link(s, d)
            except OSError:
                shutil.copy2(s, d)


def _runtime_tree() -> Path:
    """A copy (hard links) of the runtime that ``nobody`` may read, for a grader running as root.

    The interpreter may sit in a folder ``nobody`` cannot enter (pyenv in /root); bwrap, running
    as ``nobody``, could not bind it. The tree is built once per interpreter and NumPy, owned by
    root, read-only for everyone else, and replaced atomically.
    """
    exe, stdlib, shared, site = _python_runtime()
    key = hashlib.sha256(f"{exe}|{stdlib}|{site}|{np.__version__}|{os.stat(exe).st_mtime}|"
                         f"{os.stat(site / 'numpy').st_mtime}".encode()).hexdigest()[:16]
    base = Path(os.environ.get("MLCOURSE_SANDBOX_CACHE", "/var/cache/mlcourse-sandbox"))
    tree = base / key
    if (tree / "ready").exists():
        return tree
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=base))
    os.chmod(work, 0o755)
    (work / "bin").mkdir()
    os.link(exe, work / "bin" / "python3") if _same_fs(exe, work) else shutil.copy2(exe, work / "bin" / "python3")
    (work / "lib").mkdir()
    if shared is not None:
        shutil.copy2(shared, work / "lib" / shared.name)
    _link_tree(stdlib, work / "lib" / stdlib.name, _SKIP_STDLIB)
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists():
            _link_tree(site / name, work / "site" / name, set())
    for path in [work, *work.rglob("*")]:
        if path.is_dir():
            os.chmod(path, 0o755)
    (work / "ready").write_text("ok\n")
    try:
        os.rename(work, tree)
    except OSError:  # another grader built it first
        shutil.rmtree(work, ignore_errors=True)
    return tree


def _same_fs(a: Path, b: Path) -> bool:
    return os.stat(a).st_dev == os.stat(b).st_dev


def _system_binds() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The system's shared libraries (only their folder, on a multiarch system) and the loader."""
    import sysconfig

    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    libs = f"/usr/lib/{multiarch}"
    binds = [(libs, libs)] if multiarch and os.path.isdir(libs) else [("/usr/lib", "/usr/lib")]
    links: list[tuple[str, str]] = []
    if os.path.isdir("/usr/lib64"):
        binds.append(("/usr/lib64", "/usr/lib64"))
    for top in ("/lib", "/lib64", "/lib32"):
        if os.path.islink(top):
            links.append((os.readlink(top), top))
        elif os.path.isdir(top):
            binds.append((top, top))
    return binds, links


@functools.lru_cache(maxsize=1)
def isolation() -> Isolation:
    """Find out how this machine isolates exercises; raise :class:`IsolationUnavailable` if it cannot.

    Checked for real: bubblewrap must start a sandbox with new user, PID and
    network namespaces, and the interpreter must run NumPy inside it.
    """
    if not sys.platform.startswith("linux"):
        raise IsolationUnavailable(
            f"isolated grading needs Linux with bubblewrap and user namespaces; this is "
            f"{sys.platform}. Grade on Linux (or in Gradescope), or pass --no-isolation for "
            "trusted code only")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise IsolationUnavailable(
            "bubblewrap is not installed (no `bwrap` on PATH): `apt-get install bubblewrap` "
            "(Debian/Ubuntu), or pass --no-isolation for trusted code only")
    drop_to = SANDBOX_UID if os.geteuid() == 0 else None
    exe, stdlib, shared, site = _python_runtime()
    version = stdlib.name
    binds, links = _system_binds()
    masks: list[str] = []
    if drop_to is not None:
        if shutil.which("setpriv") is None:
            raise IsolationUnavailable(
                "the grader runs as root and needs `setpriv` (util-linux) to run exercises as an "
                "unprivileged user; install util-linux, or grade as a normal user")
        tree = _runtime_tree()
        binds.append((str(tree), "/rt"))
    else:
        binds += [(str(exe), "/rt/bin/python3"), (str(stdlib), f"/rt/lib/{version}"),
                  (str(site / "numpy"), "/rt/site/numpy")]
        if (site / "numpy.libs").exists():
            binds.append((str(site / "numpy.libs"), "/rt/site/numpy.libs"))
        if shared is not None:
            binds.append((str(shared), f"/rt/lib/{shared.name}"))
        for sub in ("site-packages", "dist-packages"):
            if (stdlib / sub).is_dir():
                masks.append(f"/rt/lib/{version}/{sub}")
    iso = Isolation(bwrap, tuple(binds), tuple(masks), tuple(links), drop_to, Cgroups.find())
    probe = subprocess.run(
        _launcher(iso, None) + _bwrap_args(iso, None, TMP_MB)
        + ["/rt/bin/python3", "-I", "-S", "-c",
           "import sys; sys.path.insert(0, '/rt/site'); import numpy, os; print(os.getuid())"],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    if probe.returncode != 0:
        detail = (probe.stderr or probe.stdout).strip().splitlines()
        raise IsolationUnavailable(
            "bubblewrap is installed but cannot start a sandbox with user, PID and network "
            f"namespaces here ({detail[-1] if detail else f'exit code {probe.returncode}'}); "
            "unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, "
            "or a container without them). Pass --no-isolation for trusted code only")
    return iso


def _group_of(uid: int) -> int:
    try:
        return pwd.getpwuid(uid).pw_gid
    except KeyError:
        return uid


def _launcher(iso: Isolation, cgroup: "CgroupSlot | None") -> list[str]:
    """Join the exercise's cgroup before anything runs, drop root, then become bwrap."""
    drop: list[str] = []
    if iso.drop_to is not None:
        drop = [shutil.which("setpriv") or "setpriv", f"--reuid={iso.drop_to}",
                f"--regid={_group_of(iso.drop_to)}", "--clear-groups", "--"]
    if cgroup is None:
        return drop
    joins = " && ".join(f'echo $$ > "{p}"' for p in cgroup.procs_files)
    return ["/bin/sh", "-c", f'{joins} && exec "$@"', "mlcourse-sandbox", *drop]


def _bwrap_args(iso: Isolation, library: Path | None, tmp_mb: int) -> list[str]:
    args = [iso.bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--uid", "1000", "--gid", "1000", "--hostname", "sandbox",
            "--clearenv"]
    for key, value in SANDBOX_ENV.items():
        args += ["--setenv", key, value]
    for src, dest in iso.binds:
        args += ["--ro-bind", src, dest]
    for dest in iso.masks:
        args += ["--tmpfs", dest]
    for target, path in iso.symlinks:
        args += ["--symlink", target, path]
    args += ["--ro-bind", str(staging_dir() / "runner.py"), "/job/runner.py"]
    if library is not None:
        args += ["--ro-bind", str(library), "/job/lib"]
    args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev",
             "--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp", "--remount-ro", "/",
             "--chdir", "/tmp"]
    return args


# ---------------------------------------------------------------------------------------------
# cgroups


@dataclass(frozen=True)
class Cgroups:
    """Where per-exercise cgroups are made: one v2 folder, or v1 memory and pids folders."""

    kind: str
    memory: Path
    pids: Path
    cpu: Path | None = None
    cpuacct: Path | None = None

    @staticmethod
    def find() -> "Cgroups | None":
        if os.environ.get("MLCOURSE_SANDBOX_NO_CGROUP"):
            return None
        try:
            own = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        v1: dict[str, str] = {}
        v2 = None
        for line in own:
            num, controllers, path = line.split(":", 2)
            if num == "0":
                v2 = path
            for c in controllers.split(","):
                v1[c] = path
        candidates: list[Cgroups] = []
        if v2 is not None:
            root = Path("/sys/fs/cgroup")
            if not (root / "cgroup.controllers").exists():
                root = Path("/sys/fs/cgroup/unified")
            folder = root / v2.lstrip("/")
            enabled = (folder / "cgroup.subtree_control")
            controllers = set(enabled.read_text().split()) if enabled.exists() else set()
            if {"memory", "pids"} <= controllers:
                candidates.append(Cgroups("v2", folder, folder, folder if "cpu" in controllers else None))
        if "memory" in v1 and "pids" in v1:
            memory = Path("/sys/fs/cgroup/memory") / v1["memory"].lstrip("/")
            pids = Path("/sys/fs/cgroup/pids") / v1["pids"].lstrip("/")
            cpu = Path("/sys/fs/cgroup/cpu") / v1.get("cpu", "/nonexistent").lstrip("/")
            acct = Path("/sys/fs/cgroup/cpuacct") / v1.get("cpuacct", "/nonexistent").lstrip("/")
            if (memory / "memory.limit_in_bytes").exists() and (pids / "cgroup.procs").exists():
                candidates.append(Cgroups("v1", memory, pids,
                                          cpu if (cpu / "cpu.cfs_quota_us").exists() else None,
                                          acct if (acct / "cpuacct.usage").exists() else None))
        for found in candidates:
            try:
                slot = found.create(64, 4)
            except OSError:
                continue
            slot.remove()
            return found
        return None

    def create(self, memory_mb: int, processes: int) -> "CgroupSlot":
        name = f"mlcourse-{uuid.uuid4().hex[:12]}"
        memory, pids = self.memory / name, self.pids / name
        cpu = self.cpu / name if self.cpu is not None else None
        acct = self.cpuacct / name if self.cpuacct is not None else None
        extra = [f for f in (cpu, acct) if f is not None]
        made: list[Path] = []
        try:
            for folder in dict.fromkeys([memory, pids, *extra]):
                folder.mkdir()
                made.append(folder)
            limit = str(memory_mb * 1024 * 1024)
            if self.kind == "v2":
                (memory / "memory.max").write_text(limit)
                if (memory / "memory.swap.max").exists():
                    (memory / "memory.swap.max").write_text("0")
                (pids / "pids.max").write_text(str(processes))
                if cpu is not None:
                    (cpu / "cpu.max").write_text(f"{CPU_QUOTA_US} {CPU_PERIOD_US}")
                procs = (memory / "cgroup.procs",)
            else:
                (memory / "memory.limit_in_bytes").write_text(limit)
                if (memory / "memory.memsw.limit_in_bytes").exists():
                    try:
                        (memory / "memory.memsw.limit_in_bytes").write_text(limit)
                    except OSError:
                        pass
                (pids / "pids.max").write_text(str(processes))
                procs = (memory / "cgroup.procs", pids / "cgroup.procs")
                if cpu is not None:
                    (cpu / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
                    (cpu / "cpu.cfs_quota_us").write_text(str(CPU_QUOTA_US))
                    procs += (cpu / "cgroup.procs",)
                if acct is not None:
                    procs += (acct / "cgroup.procs",)
        except OSError:
            for folder in reversed(made):
                _rmdir(folder)
            raise
        return CgroupSlot(self.kind, tuple(made), procs)


@dataclass(frozen=True)
class CgroupSlot:
    kind: str
    folders: tuple[Path, ...]
    procs_files: tuple[Path, ...]

    def out_of_memory(self) -> bool:
        for folder in self.folders:
            for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill"),
                              ("memory.failcnt", None)):
                try:
                    text = (folder / name).read_text()
                except OSError:
                    continue
                if key is None:
                    if text.strip() not in ("", "0"):
                        return True
                    continue
                for line in text.splitlines():
                    parts = line.split()
                    if len(parts) == 2 and parts[0] == key and parts[1] != "0":
                        return True
        return False

    def kill_all(self) -> None:
        for folder in self.folders:
            if (folder / "cgroup.kill").exists():
                try:
                    (folder / "cgroup.kill").write_text("1")
                except OSError:
                    pass
            for _ in range(3):
                try:
                    pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.01)

    def cpu_seconds(self) -> float:
        """CPU time used by every process of the exercise (0 when the machine does not say)."""
        for folder in self.folders:
            try:
                if (folder / "cpuacct.usage").exists():
                    return int((folder / "cpuacct.usage").read_text()) / 1e9
                if (folder / "cpu.stat").exists():
                    for line in (folder / "cpu.stat").read_text().splitlines():
                        if line.startswith("usage_usec "):
                            return int(line.split()[1]) / 1e6
            except (OSError, ValueError):
                pass
        return 0.0

    def remove(self) -> None:
        self.kill_all()
        with _STAGING_LOCK:
            SANDBOX_CPU_SECONDS[0] += self.cpu_seconds()
        for folder in self.folders:
            _rmdir(folder)


def _rmdir(folder: Path) -> None:
    for _ in range(100):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                return
            time.sleep(0.01)


# ---------------------------------------------------------------------------------------------
# Files the sandbox reads: the runner and the stub libraries


_STAGING_LOCK = threading.Lock()
# CPU seconds used by all sandboxes of this process so far, where a cgroup measures it (for the
# benchmark: a figure that the machine's load does not inflate).
SANDBOX_CPU_SECONDS = [0.0]


@functools.lru_cache(maxsize=1)
def staging_dir() -> Path:
    """A private folder of this grading process for the runner and the stub libraries.

    Readable by the sandbox's uid (bwrap binds from it), writable only by the grader, removed
    at exit. As root it lies in the runtime cache, which ``nobody`` can enter.
    """
    import atexit

    if os.geteuid() == 0:
        base = Path(os.environ.get("MLCOURSE_SANDBOX_CACHE", "/var/cache/mlcourse-sandbox"))
        base.mkdir(parents=True, exist_ok=True)
        os.chmod(base, 0o755)
        folder = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    else:
        folder = Path(tempfile.mkdtemp(prefix="mlcourse-grade-"))
    os.chmod(folder, 0o755)
    shutil.copyfile(RUNNER, folder / "runner.py")
    os.chmod(folder / "runner.py", 0o644)
    # For --no-isolation: a folder with NumPy alone, so that the venv's site-packages (mlcourse's
    # editable-install hook, every other package) is not on the runner's path.
    site = Path(np.__file__).resolve().parent.parent
    (folder / "site").mkdir(mode=0o755)
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists():
            os.symlink(site / name, folder / "site" / name)
    atexit.register(shutil.rmtree, folder, True)
    return folder


_LIBRARIES: dict[tuple[str, ...], Path] = {}


def library_for(modules: tuple[str, ...]) -> Path | None:
    """The stub ``mlcourse`` package exposing ``modules`` (None when there are none).

    Built before any untrusted code of the run, once per set of modules.

    Raises
    ------
    mlcourse.grading.library.LibraryError
        The exercise exposes a module that cannot stand alone.
    """
    if not modules:
        return None
    key = tuple(sorted(set(modules)))
    with _STAGING_LOCK:
        if key not in _LIBRARIES:
            folder = staging_dir() / f"lib-{len(_LIBRARIES)}"
            build_stub_library(key, folder)
            _LIBRARIES[key] = folder
        return _LIBRARIES[key]


# ---------------------------------------------------------------------------------------------
# Running one job


def run_job(job: Job, isolated: bool = True) -> SandboxResult:
    """Run a job in a fresh sandbox (or, with ``isolated=False``, a plain child process)."""
    deadline = time.monotonic() + job.timeout
    payload = {
        "exercise": job.exercise, "cells": list(job.cells), "function": job.function,
        "setup": job.setup, "driver": job.driver, "args": list(job.args),
        "memory_mb": job.memory_mb, "cpu_seconds": int(job.timeout) + 2, "file_mb": TMP_MB,
        "nproc": job.processes if isolated else 0, "max_result_bytes": MAX_RESULT_BYTES - 65536,
    }
    cgroup = None
    if isolated:
        iso = isolation()
        path = (["/job/lib"] if job.library else []) + ["/rt/site"]
        if iso.cgroup is not None:
            cgroup = iso.cgroup.create(job.memory_mb, job.processes)
        command = (_launcher(iso, cgroup) + _bwrap_args(iso, job.library, TMP_MB)
                   + ["/rt/bin/python3", "-I", "-S", "/job/runner.py", *path])
        env = {"PATH": "/usr/bin:/bin"}
    else:
        command, env, user = _unisolated_command(job)
    read_fd, write_fd = os.pipe()
    payload["result_fd"] = write_fd
    try:
        return _supervise(command, env, pickle.dumps(payload), read_fd, write_fd, deadline, job,
                          cgroup, user if not isolated else {})
    finally:
        os.close(read_fd)
        if cgroup is not None:
            cgroup.remove()


def _unisolated_command(job: Job) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """The runner in a plain child process (--no-isolation).

    Still no ``mlcourse`` on its path and an allow-listed environment. A grader running as root
    (Gradescope's container) runs it as ``nobody`` from the runtime copy, so that the code cannot
    signal the grader or write its files and reports; what it leaves running is killed at the end
    of the run (:func:`sweep_leftovers`).
    """
    lib = [str(job.library)] if job.library else []
    env = {k: v for k, v in SANDBOX_ENV.items() if k != "LD_LIBRARY_PATH"}
    env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    if os.geteuid() != 0:
        return ([sys.executable, "-I", "-S", str(staging_dir() / "runner.py"), *lib,
                 str(staging_dir() / "site")], env, {})
    tree = _runtime_tree()
    env["LD_LIBRARY_PATH"] = str(tree / "lib")
    user = {"user": SANDBOX_UID, "group": _group_of(SANDBOX_UID), "extra_groups": []}
    return ([str(tree / "bin" / "python3"), "-I", "-S", str(staging_dir() / "runner.py"), *lib,
             str(tree / "site")], env, user)


def sweep_leftovers() -> int:
    """Kill processes of the unisolated runner's uid whose parent is this grader (orphans that
    setsid or double-forked); returns how many. Only when running as root, where that uid is
    ``nobody`` and the grader is their subreaper."""
    if os.geteuid() != 0:
        return 0
    killed: list[int] = []
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            uid = int((entry / "status").read_text().split("\nUid:")[1].split()[0])
        except (OSError, IndexError, ValueError):
            continue
        if fields[1] == me and uid == SANDBOX_UID:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
            except OSError:
                pass
    for pid in killed:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    return len(killed)


def become_subreaper() -> None:
    """Orphans of unisolated runs reparent to the grader, which can then kill them."""
    if os.geteuid() == 0 and sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass


def _supervise(command: list[str], env: dict[str, str], data: bytes, read_fd: int,
               write_fd: int, deadline: float, job: Job, cgroup: CgroupSlot | None,
               user: dict[str, Any] | None = None) -> SandboxResult:
    try:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, pass_fds=(write_fd,),
                                start_new_session=True, cwd="/", **(user or {}))
    finally:
        os.close(write_fd)
    feeder = threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True)
    feeder.start()
    result, tail = bytearray(), bytearray()
    out_fd = proc.stdout.fileno()  # type: ignore[union-attr]
    streams = {read_fd: "result", out_fd: "stdout"}
    for fd in streams:
        os.set_blocking(fd, False)
    timed_out = too_big = False

    def take(fd: int) -> bool:
        """Read what is there; False at end of file (or when the result is too big)."""
        nonlocal too_big
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not chunk:
            return False
        if streams[fd] == "result":
            if len(result) + len(chunk) > MAX_RESULT_BYTES:
                too_big = True
                return False
            result.extend(chunk)
        else:
            tail.extend(chunk)
            if len(tail) > TAIL_BYTES:
                del tail[: len(tail) - TAIL_BYTES]
        return True

    with selectors.DefaultSelector() as sel:
        for fd in streams:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map() and not too_big:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if proc.poll() is not None:
                # Exited: whatever it wrote is in the pipes; read it without waiting for writers
                # that may outlive it (there are none in a sandbox, whose PID namespace is gone).
                for fd in list(sel.get_map()):
                    for _ in range(MAX_RESULT_BYTES // 65536 + 2):
                        before = len(result) + len(tail)
                        if not take(fd) or len(result) + len(tail) == before:
                            break
                break
            for key, _ in sel.select(timeout=min(remaining, 0.2)):
                if not take(key.fd):
                    sel.unregister(key.fd)
    _kill(proc)
    stdout = tail.decode("utf-8", "replace")
    if timed_out:
        return SandboxResult(failure=(
            f"timed out after {job.timeout:g} s (an infinite loop, or far too slow: the tests use "
            "small inputs)"), stdout=stdout)
    if too_big:
        return SandboxResult(failure=f"the results were larger than {MAX_RESULT_BYTES >> 20} MB",
                             stdout=stdout)
    code = proc.returncode
    if not result:
        if cgroup is not None and cgroup.out_of_memory():
            return SandboxResult(failure=(
                f"killed for using more than {job.memory_mb} MB of memory (all processes of the "
                "exercise together)"), stdout=stdout)
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return SandboxResult(failure=f"the process crashed with {name}", stdout=stdout)
        crashed = " (crashed)" if code not in (0, None) else ""
        return SandboxResult(failure=(
            f"the process ended (exit code {code}){crashed} before reporting any result: does the "
            "cell call sys.exit(), os._exit() or quit(), or crash the interpreter?"), stdout=stdout)
    return parse_result(bytes(result), len(job.args), stdout)


def _feed(pipe: Any, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except OSError:
        pass
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        try:
            if pipe is not None:
                pipe.close()
        except OSError:
            pass


def parse_result(data: bytes, n_cases: int, stdout: str = "") -> SandboxResult:
    """Decode what the runner reported; anything malformed becomes a failure with a reason."""
    try:
        report = json.loads(data.decode("utf-8"))
        if not isinstance(report, dict):
            raise ValueError(f"expected a JSON object, got {type(report).__name__}")
        if "failure" in report:
            return SandboxResult(failure=str(report["failure"])[:1000], stdout=stdout,
                                 not_attempted=report.get("not_attempted") is True)
        cases = report["cases"]
        if not isinstance(cases, list) or len(cases) > MAX_CASES:
            raise ValueError("the cases are not a list of reasonable length")
        outcomes = []
        for item in cases:
            if not isinstance(item, dict):
                raise ValueError(f"a case is a {type(item).__name__}, not an object")
            if item.get("ok") is True:
                output = item["output"]
                if not isinstance(output, str):
                    raise ValueError("an output is not encoded text")
                outcomes.append(Outcome(True, decode(output)))
            else:
                outcomes.append(Outcome(False, error_type=str(item.get("error_type", "Error"))[:100],
                                        error_message=str(item.get("error_message", ""))[:1000]))
    except Exception as exc:  # hostile data: RecursionError, huge integers, wrong types, ...
        return SandboxResult(failure=f"the process returned malformed results "
                                     f"({type(exc).__name__}: {str(exc)[:200]})", stdout=stdout)
    if len(outcomes) != n_cases:
        return SandboxResult(failure=f"expected {n_cases} results, got {len(outcomes)}", stdout=stdout)
    return SandboxResult(outcomes=outcomes, stdout=stdout)


__all__ = ["Job", "SandboxResult", "Isolation", "IsolationUnavailable", "isolation", "run_job",
           "parse_result", "DEFAULT_MEMORY_MB"]
