"""Tests of mlcourse.plotting: the course style and the shared plotting helpers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlcourse.plotting import (  # noqa: E402
    COLORS,
    confusion_matrix,
    plot_confusion_matrix,
    plot_contours,
    plot_curves,
    plot_decision_boundary,
    plot_function_and_derivative,
    plot_trajectory,
    show_digits,
    style_path,
    use_style,
)


@pytest.fixture(autouse=True)
def _close_figures():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def test_style_file_is_package_data_and_applies():
    assert style_path().is_file()
    use_style()
    assert tuple(matplotlib.rcParams["figure.figsize"]) == (6.4, 4.0)
    assert matplotlib.rcParams["axes.grid"] is True
    cycle = [c["color"].upper() for c in matplotlib.rcParams["axes.prop_cycle"]]
    assert cycle == [c.upper() for c in COLORS]


def test_plot_curves_labels_and_log_scale():
    ax = plot_curves({"train": [3.0, 1.0, 0.3], "val": ([0, 2], [3.0, 0.9])},
                     xlabel="epoch", ylabel="loss", title="curves", logy=True)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss" and ax.get_title() == "curves"
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "val"]
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0, 2])


def test_plot_curves_rejects_bad_input():
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_curves({})
    with pytest.raises(ValueError, match="curve 'a' needs 1-D x and y of equal length"):
        plot_curves({"a": ([0, 1, 2], [1.0, 2.0])})


@pytest.mark.parametrize("output", ["labels", "probabilities", "scores"])
def test_plot_decision_boundary_accepts_labels_probabilities_scores(output):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 0, 0, 1])

    def predict(P):
        z = P @ np.array([1.0, 1.0]) - 1.5  # (N,)
        if output == "labels":
            return (z > 0).astype(int)
        p = 1.0 / (1.0 + np.exp(-4 * z))
        return p if output == "probabilities" else np.column_stack([1 - p, p])

    fig, ax = plt.subplots()
    out = plot_decision_boundary(ax, predict, X, y, resolution=30, title="AND")
    assert out is ax and ax.get_title() == "AND" and ax.get_xlabel() == "$x_1$"
    assert len(ax.collections) >= 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_plot_decision_boundary_errors():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"X must have shape \(B, 2\)"):
        plot_decision_boundary(ax, lambda P: P[:, 0], np.zeros((4, 3)), np.zeros(4, int))
    with pytest.raises(ValueError, match="for 100 grid points it returned shape"):
        plot_decision_boundary(ax, lambda P: np.zeros(3), np.zeros((4, 2)), np.zeros(4, int),
                               resolution=10)


def test_plot_contours_and_trajectory():
    fig, ax = plt.subplots()
    plot_contours(ax, lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2 + 1e-3, (-2, 2), (-1, 3),
                  levels=15, log=True, resolution=60)
    points = np.array([[-1.5, 2.0], [-1.0, 1.0], [0.0, 0.5], [1.0, 1.0]])
    plot_trajectory(ax, points, label="momentum")
    line = ax.lines[0]
    np.testing.assert_array_equal(line.get_xydata(), points)
    assert ax.get_legend().get_texts()[0].get_text() == "momentum"
    assert ax.get_xlim() == (-2.0, 2.0)


def test_plot_contours_and_trajectory_errors():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="must return the shape of its inputs"):
        plot_contours(ax, lambda x, y: 1.0 + 0 * x[0], (0, 1), (0, 1), resolution=10)
    with pytest.raises(ValueError, match="needs positive values"):
        plot_contours(ax, lambda x, y: -1 - x * 0, (0, 1), (0, 1), log=True, resolution=10)
    with pytest.raises(ValueError, match=r"shape \(T, 2\)"):
        plot_trajectory(ax, np.zeros((3, 3)))


def test_show_digits_grid_and_titles():
    rng = np.random.default_rng(0)
    images = rng.random((10, 784))
    labels = np.arange(10)
    predictions = labels.copy()
    predictions[3] = 5
    fig = show_digits(images, labels, predictions, ncols=4, title="digits")
    assert len(fig.axes) == 12
    titles = [ax.get_title() for ax in fig.axes[:10]]
    assert titles[3] == "5 (3)" and titles[0] == "0 (0)"
    assert fig.axes[3].title.get_color() == COLORS[3]
    assert fig.axes[0].title.get_color() == "black"
    with pytest.raises(ValueError, match="square number of pixels"):
        show_digits(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="labels must have one entry per image"):
        show_digits(np.zeros((2, 4, 4)), labels=[1])


def test_confusion_matrix_counts_match_a_loop():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 4, size=200)
    p = rng.integers(0, 4, size=200)
    cm = confusion_matrix(t, p, 4)
    expected = np.zeros((4, 4), dtype=np.int64)
    for a, b in zip(t, p):
        expected[a, b] += 1
    np.testing.assert_array_equal(cm, expected)
    assert cm.sum() == 200 and cm.dtype == np.int64


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="equal length"):
        confusion_matrix([0, 1], [0], 2)
    with pytest.raises(TypeError, match="integer labels"):
        confusion_matrix(np.array([0.0, 1.0]), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match=r"must lie in 0\.\.1"):
        confusion_matrix([0, 2], [0, 1], 2)


def test_plot_confusion_matrix_normalized():
    cm = np.array([[8, 2], [0, 0]])
    ax = plot_confusion_matrix(cm, class_names=["cat", "dog"], normalize=True)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.80", "0.20", "0.00", "0.00"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    assert ax.get_ylabel() == "true class"
    with pytest.raises(ValueError, match="need 2 class names"):
        plot_confusion_matrix(cm, class_names=["a"])


def test_plot_function_and_derivative():
    fig, ax = plt.subplots()
    x = np.linspace(-3, 3, 50)
    plot_function_and_derivative(ax, x, np.tanh, lambda v: 1 - np.tanh(v) ** 2, "tanh")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["tanh(x)", "tanh'(x)"]
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), 1 - np.tanh(x) ** 2)
    with pytest.raises(ValueError, match="one value per x"):
        plot_function_and_derivative(ax, x, np.tanh, np.zeros(3), "bad")
