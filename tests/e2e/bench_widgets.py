"""Benchmark of mlcourse.widgets: live redraw time, frame cost and frame size.

Run with ``.venv/bin/python tests/e2e/bench_widgets.py``. Prints, for four typical chapter
figures, the median and 90th-percentile wall time of one live redraw (``render``: draw into the
cleared figure plus the PNG the ipywidget shows), the CPU time of the same (less sensitive to
other processes on the machine), and the time and size of one precomputed frame of the HTML
book. The target is a live redraw well under 0.2 s. Not a unit test: timings depend on the
machine and its load.
"""

from __future__ import annotations

import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from mlcourse.plotting import (  # noqa: E402
    plot_contours,
    plot_curves,
    plot_decision_boundary,
    plot_function_and_derivative,
    plot_trajectory,
    use_style,
)
from mlcourse.widgets import Dropdown, IntSlider, Slider, compute_frames, interactive_figure  # noqa: E402

X4 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y_AND = np.array([0, 0, 0, 1])


def draw_activation(fig, slope, name):
    ax = fig.add_subplot()
    x = np.linspace(-4, 4, 400)
    if name == "tanh":
        f, df = np.tanh(slope * x), slope * (1 - np.tanh(slope * x) ** 2)
    else:
        f, df = np.maximum(0, slope * x), slope * (x > 0)
    plot_function_and_derivative(ax, x, f, df, name)


def draw_boundary(fig, w1, b):
    ax = fig.add_subplot()
    plot_decision_boundary(ax, lambda P: (P @ np.array([w1, 1.0]) + b > 0).astype(int), X4, Y_AND,
                           resolution=150, title=f"w1 = {w1:g}, b = {b:g}")


def draw_optimizer(fig, lr, beta):
    ax = fig.add_subplot()
    f = lambda x, y: 0.5 * (x**2 + 10 * y**2)  # noqa: E731
    plot_contours(ax, f, (-3, 3), (-2, 2), levels=20, log=False, resolution=150)
    w, v, path = np.array([-2.5, 1.5]), np.zeros(2), []
    for _ in range(40):
        path.append(w.copy())
        v = beta * v + np.array([w[0], 10 * w[1]])
        w = w - lr * v
    plot_trajectory(ax, np.array(path), label=f"lr {lr:g}, beta {beta:g}")


def draw_two_panels(fig, depth):
    axs = fig.subplots(1, 2)
    rng = np.random.default_rng(0)
    stds = np.cumprod(np.full(depth, 0.9) + 0.05 * rng.standard_normal(depth))
    plot_curves({"std": stds}, xlabel="layer", ylabel="activation std", ax=axs[0], logy=True)
    axs[1].hist(rng.standard_normal(2000) * stds[-1], bins=40)
    axs[1].set_title(f"last layer of {depth}")


CASES = {
    "activation f and f' (1 axes, lines)": (draw_activation,
                                            {"slope": Slider(0.5, 3.0, 0.25), "name": Dropdown(["tanh", "relu"])},
                                            [{"slope": s} for s in np.arange(0.5, 3.01, 0.25)]),
    "decision boundary (contourf 150x150)": (draw_boundary,
                                             {"w1": Slider(-2.0, 2.0, 0.5), "b": Slider(-2.0, 1.0, 0.5)},
                                             [{"w1": v} for v in np.arange(-2.0, 2.01, 0.5)]),
    "contours + optimizer path": (draw_optimizer,
                                  {"lr": Slider(0.01, 0.19, 0.02), "beta": Slider(0.0, 0.9, 0.3)},
                                  [{"lr": v} for v in np.arange(0.01, 0.191, 0.02)]),
    "two panels (curve + histogram)": (draw_two_panels, {"depth": IntSlider(5, 50, 5)},
                                       [{"depth": d} for d in range(5, 51, 5)]),
}


def main() -> None:
    use_style()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'figure':40s} {'redraw median':>13s} {'p90':>7s} {'cpu':>7s} {'frame':>7s} {'kB/frame':>9s}")
    for name, (draw, controls, changes) in CASES.items():
        fig = interactive_figure(draw, max_frames=12, **controls)
        fig.render()
        wall, cpu = [], []
        for _ in range(2):
            for change in changes:
                w0, c0 = time.perf_counter(), time.process_time()
                fig.render(**{k: float(v) if isinstance(v, np.floating) else int(v) if isinstance(v, np.integer) else v
                              for k, v in change.items()})
                wall.append(time.perf_counter() - w0)
                cpu.append(time.process_time() - c0)
        frames = compute_frames(draw, controls, max_frames=12)
        per_frame = frames.seconds / len(frames.images)
        kb = frames.nbytes / len(frames.images) / 1e3
        p90 = sorted(wall)[int(0.9 * (len(wall) - 1))]
        print(f"{name:40s} {statistics.median(wall) * 1e3:10.0f} ms {p90 * 1e3:4.0f} ms "
              f"{statistics.median(cpu) * 1e3:4.0f} ms {per_frame * 1e3:4.0f} ms {kb:9.1f}")


if __name__ == "__main__":
    main()
