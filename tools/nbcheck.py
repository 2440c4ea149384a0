"""Re-execute chapter notebooks and compare their outputs with the committed ones, tolerantly.

Float results differ across CPUs, BLAS kernels, SIMD levels and thread counts
(summation order), so a byte-exact comparison only holds on the machine that
executed a notebook. This check separates a real change from such noise:

* **Text must match exactly**, up to runs of whitespace (NumPy pads array
  columns to the width of their widest entry, which moves with the digits).
* **Numbers are compared with a tolerance.** By default a number printed with a
  decimal point or an exponent may move by one unit in its last printed digit
  (``97.8`` against ``97.7``; ``0.1443`` against ``0.1444``), and two numbers at
  rounding-error scale (both below ``1e-12`` in magnitude, e.g. ``1.1e-16``
  against ``2.2e-16``) count as equal. Integers must match exactly.
* **Outputs must have the same kinds**, in the same order: the same streams,
  the same images and widgets, the same rich outputs; no error and no stderr
  output where the committed notebook had none. Image pixels are not compared
  (fonts and anti-aliasing differ between machines); their presence is.

A cell whose printed numbers come from random training may declare a wider
tolerance in its metadata, always with a one-line reason::

    "nbcheck": {"rtol": 0.02, "atol": 0.005,
                "reason": "accuracy after 2 epochs moves with BLAS summation order"}

A number then passes when ``|a - b| <= atol + rtol * max(|a|, |b|)`` (or within
the default tolerance). A cell printing wall-clock measurements declares
``{"compare": "structure", "reason": "wall-clock timings"}``: only the kinds of
its outputs are compared.

Sanitizers always apply, before comparison: memory addresses (``0x7f...``),
durations (a number followed by ``s``, ``ms``, ``µs``, ``us`` or ``ns``), images
embedded in HTML as ``data:`` URIs (a widget's precomputed frames: compared by
presence, like image outputs) and the ``mlc-<hash>`` ids derived from them.

Use it through pytest (``make notebooks-test``)::

    pytest -p tools.nbcheck --nbcheck notebooks/05_backprop.ipynb

Each notebook is one test item: it is executed top to bottom in a fresh kernel
and every differing cell is listed in the failure, with what was committed and
what came. ``--nbcheck-out DIR`` also writes the executed notebooks there.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEFAULT_ATOL_ROUNDING = 1e-12
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")
ALLOWED_KEYS = {"rtol", "atol", "compare", "reason"}

NUMBER = re.compile(
    r"(?<![\w.])[-+]?(?:(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf)(?!\w)(?!\.\d)"
)
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
DATA_URI = re.compile(r"data:image/[\w.+-]+;base64,[A-Za-z0-9+/=\s]+")
WIDGET_ID = re.compile(r"\bmlc-[0-9a-f]{8,}\b")
DURATION = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|s)\b")
PUNCTUATION = re.compile(r"([\[\](){},;:|])")


# ----------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Tolerance:
    """How one cell's outputs are compared (from its ``nbcheck`` metadata)."""

    rtol: float = 0.0
    atol: float = 0.0
    structure_only: bool = False

    @classmethod
    def from_metadata(cls, meta: Any, where: str) -> "Tolerance":
        if meta is None:
            return cls()
        if not isinstance(meta, dict):
            raise ValueError(f"{where}: metadata 'nbcheck' must be a mapping, got {meta!r}")
        unknown = set(meta) - ALLOWED_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown 'nbcheck' keys {sorted(unknown)}; "
                             f"expected some of {sorted(ALLOWED_KEYS)}")
        reason = meta.get("reason")
        if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
            raise ValueError(f"{where}: 'nbcheck' needs a one-line 'reason', got {reason!r}")
        compare = meta.get("compare", "full")
        if compare not in ("full", "structure"):
            raise ValueError(f"{where}: 'nbcheck.compare' must be 'full' or 'structure', "
                             f"got {compare!r}")
        values = {}
        for key in ("rtol", "atol"):
            value = meta.get(key, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    0 <= value < math.inf):
                raise ValueError(f"{where}: 'nbcheck.{key}' must be a number >= 0, got {value!r}")
            values[key] = float(value)
        return cls(values["rtol"], values["atol"], compare == "structure")


# ----------------------------------------------------------------------------- numbers
def last_digit_unit(token: str) -> float:
    """One unit in the last printed digit of a number token; 0 for an integer."""
    mantissa, _, exponent = token.lower().lstrip("+-").partition("e")
    if "." not in mantissa and not exponent:
        return 0.0
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def numbers_agree(expected: str, actual: str, tol: Tolerance) -> bool:
    """Whether two printed numbers agree within the default or the declared tolerance."""
    if expected == actual:
        return True
    a, b = float(expected), float(actual)
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return False
    diff = abs(a - b)
    unit = max(last_digit_unit(expected), last_digit_unit(actual))
    if diff <= unit * (1 + 1e-9):
        return True
    if unit > 0 and abs(a) <= DEFAULT_ATOL_ROUNDING and abs(b) <= DEFAULT_ATOL_ROUNDING:
        return True
    return diff <= tol.atol + tol.rtol * max(abs(a), abs(b))


# ----------------------------------------------------------------------------- outputs
def sanitize(text: str) -> str:
    """Replace what may differ between machines without being a result.

    Images embedded in HTML (a widget's precomputed frames) and the ids derived from
    their bytes are compared by presence, like image outputs.
    """
    text = WIDGET_ID.sub("mlc-ID", DATA_URI.sub("data:image;base64,IMAGE", text))
    return DURATION.sub("<duration>", ADDRESS.sub("0xADDRESS", text))


def skeleton(text: str) -> tuple[str, list[str]]:
    """The text with each number replaced by ``#``, whitespace-normalised, and the numbers."""
    numbers = NUMBER.findall(text)
    shape = NUMBER.sub("#", text)
    shape = PUNCTUATION.sub(r" \1 ", shape)
    return " ".join(shape.split()), numbers


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    if isinstance(value, (dict, int, float)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def normalize(outputs: list[dict]) -> list[dict]:
    """Outputs reduced to what is compared: kinds, stream names, mime types and their text.

    Consecutive outputs of one stream are merged (how a print is split into
    chunks depends on timing). Images and widget views keep their mime type
    only.
    """
    merged: list[dict] = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            text = _text(out.get("text", ""))
            if merged and merged[-1]["kind"] == "stream" and merged[-1]["name"] == out.get("name"):
                merged[-1]["text"] += text
            else:
                merged.append({"kind": "stream", "name": out.get("name"), "text": text})
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            merged.append({"kind": "display", "mimes": sorted(data),
                           "texts": {m: _text(data[m]) for m in TEXT_MIMES if m in data}})
        elif kind == "error":
            merged.append({"kind": "error", "ename": out.get("ename"),
                           "text": f"{out.get('ename')}: {out.get('evalue')}"})
        else:
            merged.append({"kind": str(kind)})
    for out in merged:  # carriage returns: keep only what a terminal would show
        if out["kind"] == "stream":
            out["text"] = "\n".join(line.rsplit("\r", 1)[-1] for line in out["text"].split("\n"))
    return merged


def describe(out: dict) -> str:
    if out["kind"] == "stream":
        return f"{out['name']} stream"
    if out["kind"] == "display":
        return "output of type " + ", ".join(out["mimes"])
    if out["kind"] == "error":
        return f"error {out['text'][:200]}"
    return out["kind"]


def compare_text(expected: str, actual: str, tol: Tolerance) -> str | None:
    """``None`` when the texts agree, else a message naming the first difference."""
    expected, actual = sanitize(expected), sanitize(actual)
    shape_e, nums_e = skeleton(expected)
    shape_a, nums_a = skeleton(actual)
    if shape_e != shape_a:
        lines_e, lines_a = expected.splitlines(), actual.splitlines()
        for i, (le, la) in enumerate(zip(lines_e, lines_a)):
            if skeleton(le)[0] != skeleton(la)[0]:
                return f"text differs on line {i + 1}:\n  committed: {le!r}\n  now:       {la!r}"
        return (f"text differs: {len(lines_e)} lines committed, {len(lines_a)} now; "
                f"committed ends {lines_e[-3:]!r}, now ends {lines_a[-3:]!r}")
    for e, a in zip(nums_e, nums_a):
        if not numbers_agree(e, a, tol):
            line = next((le for le in expected.splitlines() if e in le), "")
            allowed = (f"rtol={tol.rtol:g}, atol={tol.atol:g}" if tol.rtol or tol.atol
                       else "the default tolerance (one unit in the last printed digit)")
            return f"number {e} is now {a}, beyond {allowed}; in line {line.strip()!r}"
    return None


def compare_cell(expected: list[dict], actual: list[dict], tol: Tolerance) -> list[str]:
    """Every difference between a cell's committed and fresh outputs (empty when they agree)."""
    exp, act = normalize(expected), normalize(actual)
    kinds_e = [describe(o) for o in exp]
    kinds_a = [describe(o) for o in act]
    if kinds_e != kinds_a:
        return [f"outputs differ in kind:\n  committed: {kinds_e}\n  now:       {kinds_a}"]
    if tol.structure_only:
        return []
    problems = []
    for e, a in zip(exp, act):
        if e["kind"] == "stream":
            message = compare_text(e["text"], a["text"], tol)
            if message:
                problems.append(f"{e['name']}: {message}")
        elif e["kind"] == "display":
            for mime, text in e["texts"].items():
                if mime == "text/plain" and "application/vnd.jupyter.widget-view+json" in e["mimes"]:
                    continue  # a widget's repr lists its live state, not a result
                message = compare_text(text, a["texts"].get(mime, ""), tol)
                if message:
                    problems.append(f"{mime}: {message}")
    return problems


def compare_notebooks(committed: dict, executed: dict) -> list[str]:
    """Differences between two versions of a notebook, one message per differing cell."""
    cells_c = committed["cells"]
    cells_e = executed["cells"]
    if len(cells_c) != len(cells_e):
        return [f"the notebook has {len(cells_c)} cells committed and {len(cells_e)} executed"]
    problems = []
    for index, (cc, ce) in enumerate(zip(cells_c, cells_e)):
        if cc.get("cell_type") != "code":
            continue
        where = f"cell {index} (code cell {sum(c['cell_type'] == 'code' for c in cells_c[:index]) + 1})"
        try:
            tol = Tolerance.from_metadata(cc.get("metadata", {}).get("nbcheck"), where)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        for message in compare_cell(cc.get("outputs", []), ce.get("outputs", []), tol):
            first_line = _text(cc.get("source", "")).strip().splitlines()[:1]
            problems.append(f"{where} {first_line[0][:70] if first_line else ''!r}: {message}")
    return problems


# ----------------------------------------------------------------------------- execution
def execute(path: Path, timeout: int = 600) -> tuple[dict, float]:
    """Execute a copy of the notebook at ``path`` in a fresh kernel; return it and the seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return json.loads(nbformat.writes(nb)), time.perf_counter() - start


def kernel_environment() -> None:
    """Settings every execution shares, so that runs differ only in what is simulated."""
    os.environ.pop("MPLBACKEND", None)  # the kernel uses the inline backend
    os.environ["PYTHONHASHSEED"] = "0"


# ----------------------------------------------------------------------------- pytest
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nbcheck", "tolerant notebook output check")
    group.addoption("--nbcheck", action="store_true",
                    help="execute .ipynb files and compare outputs with the committed ones")
    group.addoption("--nbcheck-out", metavar="DIR", default=None,
                    help="also write each executed notebook into DIR")


TIMES: dict[str, float] = {}


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if parent.config.getoption("--nbcheck") and file_path.suffix == ".ipynb":
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name="outputs")


class NotebookDiffers(AssertionError):
    pass


class NotebookItem(pytest.Item):
    def runtest(self) -> None:
        kernel_environment()
        committed = json.loads(self.path.read_text(encoding="utf-8"))
        executed, seconds = execute(self.path)
        TIMES[self.path.name] = seconds
        self.user_properties.append(("seconds", round(seconds, 1)))
        out_dir = self.config.getoption("--nbcheck-out")
        if out_dir:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            (Path(out_dir) / self.path.name).write_text(json.dumps(executed, indent=1),
                                                        encoding="utf-8")
        problems = compare_notebooks(committed, executed)
        if problems:
            raise NotebookDiffers(
                f"{self.path.name}: {len(problems)} cell(s) differ from the committed outputs "
                f"(executed in {seconds:.1f} s):\n\n" + "\n\n".join(problems))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, NotebookDiffers):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}: outputs"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        for key, value in report.user_properties:
            if key == "seconds":
                TIMES[report.nodeid.split("::")[0].rsplit("/", 1)[-1]] = value


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if config.getoption("--nbcheck") and TIMES:
        terminalreporter.section("notebook execution time")
        for name, seconds in sorted(TIMES.items()):
            terminalreporter.write_line(f"{name:32s} {seconds:6.1f} s")
