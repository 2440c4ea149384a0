"""Write and execute tests/e2e/demo.ipynb, the stand-in chapter for the book build and e2e tests.

Run with ``.venv/bin/python tests/e2e/make_demo.py``. The notebook has what a chapter has:
math, a figure, an exercise cell with a solution, a check cell, an instructor-only cell and an
interactive figure, so the book and the browser tests can be developed before chapters exist.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

CELLS = [
    ("markdown", [], None, """# Demo chapter: a neuron

This page stands in for a chapter while the chapters are written. A neuron computes a weighted
sum plus a bias, $z = \\mathbf{x}\\mathbf{w} + b$, and for a batch in row-major layout

$$
Z = X W + b, \\qquad X \\in \\mathbb{R}^{B \\times C_\\text{in}},\\;
W \\in \\mathbb{R}^{C_\\text{in} \\times C_\\text{out}}.
$$"""),
    ("code", [], None, """import numpy as np
import matplotlib.pyplot as plt
from mlcourse.plotting import use_style, plot_curves
from mlcourse.widgets import interactive_figure, Slider, Dropdown

use_style()
rng = np.random.default_rng(0)
X = rng.normal(size=(4, 3))
W = rng.normal(size=(3, 2))
b = np.zeros((1, 2))
print((X @ W + b).shape)"""),
    ("code", [], None, """plot_curves({"loss": np.exp(-np.arange(20) / 5)}, xlabel="epoch", ylabel="loss",
            title="a static figure");"""),
    ("markdown", [], None, """## Exercise: the weighted sum

Write `weighted_sum(x, w, b)` returning $x w + b$."""),
    ("code", ["exercise"], {"mlcourse": {"exercise": "demo-weighted-sum"}}, """def weighted_sum(x, w, b):
    ### BEGIN SOLUTION
    return x @ w + b
    ### END SOLUTION"""),
    ("code", ["check"], None, """assert np.allclose(weighted_sum(np.ones((1, 2)), np.ones((2, 1)), 0.5), 2.5)
print("check passed")"""),
    ("code", ["instructor"], None, """print("INSTRUCTOR-ONLY: this cell must never be published")"""),
    ("markdown", [], None, """## An interactive figure

Move the slider: the book swaps precomputed frames, JupyterLab redraws live."""),
    ("code", ["widget", "nbval-ignore-output"], None, """def draw(fig, w, kind):
    ax = fig.add_subplot()
    x = np.linspace(-3, 3, 200)
    f = np.tanh(w * x) if kind == "tanh" else 1 / (1 + np.exp(-w * x))
    ax.plot(x, f)
    ax.set_ylim(-1.1, 1.1)
    ax.set_xlabel("x")
    ax.set_title(f"{kind}(w x), w = {w:g}")

interactive_figure(draw, w=Slider(0.5, 3.0, 0.5, value=1.0), kind=Dropdown(["tanh", "sigmoid"]))"""),
    ("markdown", [], None, """A plain ipywidget (like a progress bar) has no static HTML: the book shows it from the saved
widget state with its own copy of the widgets manager."""),
    ("code", ["nbval-ignore-output"], None, """import ipywidgets
ipywidgets.IntProgress(value=7, max=10, description="progress")"""),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, tags, meta, source in CELLS:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        if meta:
            cell.metadata.update(meta)
        nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"demo-{i:02d}"
    return nb


if __name__ == "__main__":
    notebook = build()
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(notebook, HERE / "demo.ipynb")
    print("wrote", HERE / "demo.ipynb")
