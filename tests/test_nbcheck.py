"""The tolerant notebook output check (tools/nbcheck.py): noise passes, real changes fail."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("nbcheck", ROOT / "tools" / "nbcheck.py")
nbcheck = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("nbcheck", nbcheck)
_spec.loader.exec_module(nbcheck)

DEFAULT = nbcheck.Tolerance()


def stream(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def png(plain: str = "<Figure size 640x480 with 1 Axes>") -> dict:
    return {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": plain},
            "metadata": {}}


def notebook(*cells: tuple[list[dict], dict | None]) -> dict:
    return {"cells": [{"cell_type": "code", "source": "print(x)", "outputs": outs,
                       "metadata": {"nbcheck": meta} if meta else {}} for outs, meta in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def differs(committed: str, now: str, tol=DEFAULT) -> bool:
    return bool(nbcheck.compare_cell([stream(committed)], [stream(now)], tol))


# ------------------------------------------------------------------ noise that must pass
@pytest.mark.parametrize("committed, now", [
    ("validation loss 0.1443\n", "validation loss 0.1444\n"),          # last digit
    ("accuracy 97.8 %\n", "accuracy 97.7 %\n"),
    ("max error 1.1e-16\n", "max error 2.2e-16\n"),                     # rounding-error scale
    ("relative error 0.0\n", "relative error 2.7e-17\n"),
    ("[ 0.1234 -0.5   ]\n", "[-0.1234 -0.5   ]\n".replace("-0.1234", "0.1235")),  # padding
    ("w = [-0.0000  1.0000]\n", "w = [ 0.0000  1.0000]\n"),            # sign of zero
    ("at 0x7f3a2b1c4d50\n", "at 0x7f00deadbeef\n"),                     # addresses
    ("one epoch took 1.23 s\n", "one epoch took 2.71 s\n"),             # durations
])
def test_floating_point_noise_passes(committed, now):
    assert not differs(committed, now)


def test_widget_frames_are_compared_by_presence():
    html = '<div id="mlc-{}"><img src="data:image/png;base64,{}"> lr = 0.10</div>'
    committed = {"output_type": "display_data", "metadata": {},
                 "data": {"text/html": html.format("3fa2b19c0d11", "iVBORw0KGgoAAAANS+/=")}}
    same = copy.deepcopy(committed)
    same["data"]["text/html"] = html.format("a0b1c2d3e4f5", "iVBORw0KGgoBBBBNT9/=")
    assert nbcheck.compare_cell([committed], [same], DEFAULT) == []
    moved = copy.deepcopy(committed)
    moved["data"]["text/html"] = html.format("a0b1c2d3e4f5", "iVBOR").replace("0.10", "0.30")
    assert nbcheck.compare_cell([committed], [moved], DEFAULT)
    gone = copy.deepcopy(committed)
    gone["data"]["text/html"] = '<div id="mlc-3fa2b19c0d11"> lr = 0.10</div>'
    assert nbcheck.compare_cell([committed], [gone], DEFAULT)


def test_consecutive_stream_chunks_are_merged():
    committed = [stream("epoch 1 loss 0.50\n"), stream("epoch 2 loss 0.25\n")]
    now = [stream("epoch 1 loss 0.50\nepoch 2 loss 0.25\n")]
    assert nbcheck.compare_cell(committed, now, DEFAULT) == []


# ------------------------------------------------------------------ real changes that must fail
@pytest.mark.parametrize("committed, now, why", [
    ("test accuracy 97.8 %\n", "test accuracy 90.0 %\n", "an accuracy that moved"),
    ("validation loss 0.1443\n", "validation loss 0.1427\n", "16 units in the last digit"),
    ("the perceptron converged\n", "the perceptron diverged\n", "a changed word"),
    ("a 1\nb 2\nc 3\n", "a 1\nc 3\n", "a missing line"),
    ("relu 0.97\nsigmoid 0.91\n", "sigmoid 0.91\nrelu 0.97\n", "a reordered table"),
    ("0.97\n0.91\n", "0.91\n0.97\n", "reordered numbers"),
    ("dead units: 32 of 100\n", "dead units: 33 of 100\n", "an integer is exact"),
    ("loss 0.25\n", "loss nan\n", "a NaN"),
])
def test_real_changes_fail(committed, now, why):
    assert differs(committed, now), why


def test_a_missing_image_fails():
    problems = nbcheck.compare_cell([stream("done\n"), png()], [stream("done\n")], DEFAULT)
    assert problems and "kind" in problems[0]


def test_an_error_or_a_warning_on_stderr_fails():
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}
    assert nbcheck.compare_cell([stream("ok\n")], [stream("ok\n"), error], DEFAULT)
    assert nbcheck.compare_cell([stream("ok\n")],
                                [stream("ok\n"), stream("RuntimeWarning: overflow\n", "stderr")],
                                DEFAULT)


# ------------------------------------------------------------------ declared tolerances
def test_declared_tolerance_widens_only_that_cell():
    committed = notebook(([stream("accuracy 0.912\n")], {"rtol": 0.02, "reason": "2 epochs"}),
                         ([stream("accuracy 0.912\n")], None))
    now = copy.deepcopy(committed)
    for cell in now["cells"]:
        cell["outputs"] = [stream("accuracy 0.925\n")]
    problems = nbcheck.compare_notebooks(committed, now)
    assert len(problems) == 1 and problems[0].startswith("cell 1")


def test_declared_tolerance_still_catches_a_large_change():
    tol = nbcheck.Tolerance(rtol=0.02, atol=0.0)
    assert differs("accuracy 97.8\n", "accuracy 90.0\n", tol)
    assert not differs("accuracy 97.8\n", "accuracy 96.9\n", tol)


def test_structure_only_compares_kinds():
    tol = nbcheck.Tolerance(structure_only=True)
    assert not nbcheck.compare_cell([stream("3.1 GB/s\n"), png()], [stream("0.4 GB/s\n"), png()], tol)
    assert nbcheck.compare_cell([stream("3.1 GB/s\n"), png()], [stream("0.4 GB/s\n")], tol)


@pytest.mark.parametrize("meta", [
    {"rtol": 0.1},                                   # no reason
    {"rtol": 0.1, "reason": ""},
    {"rtol": 0.1, "reason": "two\nlines"},
    {"rtol": -1, "reason": "negative"},
    {"rtol": "0.1", "reason": "a string"},
    {"tolerance": 0.1, "reason": "unknown key"},
    {"compare": "nothing", "reason": "unknown mode"},
])
def test_malformed_metadata_is_reported(meta):
    committed = notebook(([stream("1.0\n")], meta))
    problems = nbcheck.compare_notebooks(committed, copy.deepcopy(committed))
    assert problems and "nbcheck" in problems[0]


def test_units_of_the_last_printed_digit():
    assert nbcheck.last_digit_unit("97.8") == pytest.approx(0.1)
    assert nbcheck.last_digit_unit("1.25e-03") == pytest.approx(1e-5)
    assert nbcheck.last_digit_unit("-3.") == pytest.approx(1.0)
    assert nbcheck.last_digit_unit("42") == 0.0


def test_numbers_inside_names_are_text():
    assert differs("W1 shape\n", "W2 shape\n")
    assert differs("chapter ch05\n", "chapter ch06\n")
    assert not differs("version 1.2.3 ok\n", "version 1.2.3 ok\n")
    assert differs("version 1.2.3 ok\n", "version 1.2.4 ok\n")


# ------------------------------------------------------------------ end to end, with a kernel
def test_a_tampered_notebook_fails_and_the_honest_one_passes(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nx = np.arange(1, 5) / 3\n"
                                          "print(f'mean {x.mean():.4f}')\nprint(x.sum())")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    executed, _ = nbcheck.execute(path, timeout=60)
    path.write_text(json.dumps(executed), encoding="utf-8")
    again, _ = nbcheck.execute(path, timeout=60)
    assert nbcheck.compare_notebooks(executed, again) == []

    tampered = copy.deepcopy(executed)
    tampered["cells"][0]["outputs"][0]["text"] = "mean 0.9000\n3.3333333333333335\n"
    problems = nbcheck.compare_notebooks(tampered, again)
    assert problems and "0.9000" in problems[0]
