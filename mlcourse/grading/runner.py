"""The tiny program that runs one exercise inside the sandbox.

It is copied (or bind-mounted) into the sandbox on its own and started as a
script, so it imports nothing from :mod:`mlcourse`: only the standard library
and NumPy, the whole runtime of a sandboxed exercise. The job (cell sources,
test arguments, limits) arrives as a pickle on stdin from the grader, which is
trusted; the results leave as JSON on a pipe whose descriptor the job names, which the grader reads
as untrusted data, with size and time limits. Everything else the student's
code writes to stdout or stderr goes to another pipe, of which the grader keeps
a bounded tail.

Limits set here, before any student code runs, are per process (address space,
CPU seconds, file size, no core files) and per sandbox (processes of the
sandbox's uid in its own user namespace). The grader adds a cgroup for the
exercise as a whole where the machine offers one.
"""

import base64
import io
import json
import math
import os
import pickle
import resource
import sys

MAX_DEPTH = 20
PREAMBLE = "import math\nimport numpy as np\n"


class UnsupportedValue(TypeError):
    pass


def to_jsonable(value, depth=0):
    """The wire format of :mod:`mlcourse.grading.serialize` (kept in sync by a test)."""
    import numpy as np

    if depth > MAX_DEPTH:
        raise UnsupportedValue("value is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return {"__int__": str(int(value))}
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return {"__float__": repr(v)} if not math.isfinite(v) else v
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (complex, np.complexfloating)):
        return {"__complex__": [float(np.real(value)), float(np.imag(value))]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise UnsupportedValue(f"arrays of dtype {value.dtype} cannot be returned; use numbers")
        array = np.ascontiguousarray(value)
        return {"__ndarray__": base64.b64encode(array.tobytes()).decode("ascii"),
                "dtype": array.dtype.str, "shape": list(array.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [to_jsonable(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [to_jsonable(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise UnsupportedValue("dictionaries must have string keys")
        return {"__dict__": {k: to_jsonable(v, depth + 1) for k, v in value.items()}}
    raise UnsupportedValue(f"a value of type {type(value).__name__} cannot be returned; return "
                           "NumPy arrays, numbers or tuples of them")


def _limit(kind, value):
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass  # a lower hard limit set by the grader stays


def _copy(args):
    import numpy as np

    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _message(exc):
    return f"{type(exc).__name__}: {exc}"[:500]


def run(job, write):
    cells, name, driver = job["cells"], job["function"], job["driver"]
    namespace = {"__name__": "__student__"}
    try:
        exec(compile(PREAMBLE + job["setup"], "<grader setup>", "exec"), namespace)
    except BaseException as exc:
        return write({"failure": f"the exercise's setup failed in the sandbox: {_message(exc)}"})
    for label, source in cells:
        where = "the exercise cell" if label == job["exercise"] else f"the cell of {label} (a required part)"
        try:
            code = compile(source, f"<{label}>", "exec")
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            return write({"failure": f"syntax error in {where}, line {line}: "
                                     f"{getattr(exc, 'msg', exc)}"})
        try:
            exec(code, namespace)
        except SystemExit:
            return write({"failure": f"{where} called sys.exit() (or exit/quit) while it ran"})
        except NotImplementedError as exc:
            return write({"failure": f"running {where} raised NotImplementedError: {exc}"[:500],
                          "not_attempted": True})
        except BaseException as exc:
            return write({"failure": f"running {where} raised {_message(exc)}"})
    if name not in namespace:
        kind = "a function" if not driver else "anything"
        return write({"failure": f"the exercise cell does not define {kind} named {name!r}"})
    answer = namespace[name]
    if driver:
        drive_namespace = {"__name__": "__driver__"}
        try:
            exec(compile(PREAMBLE + job["setup"] + "\n" + driver, "<driver>", "exec"), drive_namespace)
            target = drive_namespace["_drive"]
        except BaseException as exc:
            return write({"failure": f"the exercise's driver failed to load: {_message(exc)}"})
        call = lambda args: target(answer, *args)  # noqa: E731
    else:
        if not callable(answer):
            return write({"failure": f"{name!r} is a {type(answer).__name__}, not a function"})
        call = lambda args: answer(*args)  # noqa: E731
    cases = []
    size = 0
    for args in job["args"]:
        try:
            output = call(_copy(args))
            encoded = json.dumps(to_jsonable(output))
            size += len(encoded)
            if size > job["max_result_bytes"]:
                return write({"failure": f"the outputs are larger than "
                                         f"{job['max_result_bytes'] >> 20} MB together; the tests "
                                         "expect small arrays"})
            cases.append({"ok": True, "output": encoded})
        except SystemExit:
            return write({"failure": f"{name} called sys.exit()"})
        except BaseException as exc:
            cases.append({"ok": False, "error_type": type(exc).__name__,
                          "error_message": str(exc)[:1000] if _safe_str(exc) else ""})
    return write({"cases": cases})


def _safe_str(exc):
    try:
        str(exc)
        return True
    except BaseException:
        return False


def main():
    # The command line names the folders of the runtime (NumPy, the stub mlcourse), first first.
    for path in reversed(sys.argv[1:]):
        sys.path.insert(0, path)
    job = pickle.loads(sys.stdin.buffer.read())
    sys.stdin.close()
    result = os.fdopen(int(job["result_fd"]), "w", encoding="utf-8")
    os.set_inheritable(result.fileno(), False)
    mb = 1024 * 1024
    _limit(resource.RLIMIT_AS, int(job["memory_mb"]) * mb)
    _limit(resource.RLIMIT_CPU, int(job["cpu_seconds"]))
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, int(job["file_mb"]) * mb)
    _limit(resource.RLIMIT_NOFILE, 256)
    if job.get("nproc"):
        _limit(resource.RLIMIT_NPROC, int(job["nproc"]))
    import numpy  # noqa: F401  (loaded before student code can shadow it)

    sys.stdout = io.StringIO()  # prints are discarded; fd-level writes reach the grader's tail

    written = []

    def write(report):
        if written:
            return
        written.append(True)
        result.write(json.dumps(report))
        result.flush()

    try:
        run(job, write)
    except BaseException as exc:  # e.g. the student's output broke the encoder
        write({"failure": f"the sandbox could not report the results: {_message(exc)}"})
    sys.stdout = sys.__stdout__
    os._exit(0)


if __name__ == "__main__":
    main()
