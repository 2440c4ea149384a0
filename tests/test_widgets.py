"""Tests of mlcourse.widgets: controls, frame grids, precomputed frames, static HTML, live widget."""

from __future__ import annotations

import itertools
import math
import re
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from mlcourse.widgets import (  # noqa: E402
    Dropdown,
    Fixed,
    IntSlider,
    InteractiveFigure,
    Slider,
    WidgetDrawError,
    compute_frames,
    frame_grid,
    interactive_figure,
    static_html,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def line_draw(fig, a, b=0.0, kind="line"):
    ax = fig.add_subplot()
    x = np.linspace(-1.0, 1.0, 20)
    y = a * x + b if kind == "line" else a * x**2 + b
    ax.plot(x, y)
    ax.set_ylim(-4, 4)
    ax.set_title(f"{kind} a={a} b={b}")


SMALL = (2.0, 1.5)


def test_slider_values_and_labels():
    s = Slider(-1.0, 1.0, 0.25)
    assert s.values() == [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]
    assert s.labels()[0] == "-1.00" and s.labels()[-1] == "1.00"
    assert s.values()[s.default_index()] == 0.0
    s = Slider(0.0, 1.0, 0.1, value=0.3)
    assert s.values()[s.default_index()] == 0.3
    assert s.values()[-1] == 1.0 and len(s.values()) == 11


def test_int_slider():
    s = IntSlider(1, 9, 2, value=7)
    assert s.values() == [1, 3, 5, 7, 9]
    assert all(isinstance(v, int) for v in s.values())
    assert s.values()[s.default_index()] == 7


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Slider(1.0, 1.0, 0.1), "min must be smaller than max"),
        (lambda: Slider(2.0, 1.0, 0.1), "min must be smaller than max"),
        (lambda: Slider(0.0, 1.0, 0.0), "step must be positive"),
        (lambda: Slider(0.0, 1.0, -0.1), "step must be positive"),
        (lambda: Slider(0.0, 1.0, 0.3), "not a whole number"),
        (lambda: Slider(0.0, 1.0, 2.0), "not a whole number"),
        (lambda: Slider(0.0, 1.0, 0.1, value=0.35), "not one of the slider's values"),
        (lambda: Slider(0.0, 1.0, 0.1, value=2.0), "not one of the slider's values"),
        (lambda: Slider(0.0, float("nan"), 0.1), "must be a finite number"),
        (lambda: IntSlider(0, 10, 3), "not a whole number"),
        (lambda: Dropdown([]), "must not be empty"),
        (lambda: Dropdown(["a", "b"], value="c"), "not one of the options"),
        (lambda: Dropdown(["a", "a"]), "distinct"),
    ],
)
def test_invalid_controls_raise_value_error(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Slider("0", 1.0, 0.1), r"min must be a number in \(-inf, inf\), got str"),
        (lambda: Slider(0.0, 1.0, True), r"step must be a number in \(-inf, inf\), got bool"),
        (lambda: IntSlider(0, 10, 0.5), "step must be an integer, got float"),
        (lambda: Dropdown("abc"), "options must be a list"),
        (lambda: Dropdown([("a", 1), 2]), "got a mix"),
    ],
)
def test_invalid_controls_raise_type_error(factory, message):
    with pytest.raises(TypeError, match=message):
        factory()


def test_dropdown_pairs_and_default():
    d = Dropdown([("ReLU", np.maximum), ("tanh", np.tanh)], value=np.tanh)
    assert d.labels() == ["ReLU", "tanh"]
    assert d.values()[d.default_index()] is np.tanh


def test_frame_grid_keeps_everything_when_it_fits():
    controls = {"a": IntSlider(0, 4), "k": Dropdown(["x", "y"]), "f": Fixed(3)}
    grid = frame_grid(controls, max_frames=10)
    assert grid == {"a": [0, 1, 2, 3, 4], "k": [0, 1]}


@pytest.mark.parametrize("max_frames", [2, 4, 7, 12, 30, 48, 100])
@pytest.mark.parametrize(
    "sizes", [(41,), (41, 41), (38, 5), (25, 41, 9), (3, 101), (2, 2, 2, 2)]
)
def test_frame_grid_respects_max_frames_and_keeps_endpoints(sizes, max_frames):
    controls = {f"s{i}": IntSlider(0, n - 1) for i, n in enumerate(sizes)}
    if 2 ** len(sizes) > max_frames:
        with pytest.raises(ValueError, match="too small"):
            frame_grid(controls, max_frames)
        return
    grid = frame_grid(controls, max_frames)
    assert math.prod(len(v) for v in grid.values()) <= max_frames
    for (name, idx), n in zip(grid.items(), sizes):
        assert idx[0] == 0 and idx[-1] == n - 1, (name, idx)
        assert idx == sorted(set(idx))
    if math.prod(sizes) <= max_frames:
        assert [len(v) for v in grid.values()] == list(sizes)
    else:
        assert math.prod(len(v) for v in grid.values()) > max_frames / 4


def test_frame_grid_prefers_even_spacing():
    grid = frame_grid({"w": Slider(-2.0, 2.0, 0.1)}, max_frames=12)
    steps = np.diff(grid["w"])
    assert len(set(steps.tolist())) == 1
    assert len(grid["w"]) == 11


def test_frame_grid_never_drops_dropdown_options():
    controls = {"w": IntSlider(0, 100), "k": Dropdown(list("abcdef"))}
    grid = frame_grid(controls, max_frames=24)
    assert grid["k"] == list(range(6))
    assert len(grid["w"]) * 6 <= 24
    with pytest.raises(ValueError, match="at least 12 frames"):
        frame_grid(controls, max_frames=11)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "48"])
def test_frame_grid_rejects_bad_max_frames(bad):
    with pytest.raises(ValueError, match="max_frames must be a positive int"):
        frame_grid({"a": IntSlider(0, 3)}, max_frames=bad)


def test_compute_frames_draws_every_combination():
    calls = []

    def draw(fig, a, b, kind, data):
        calls.append((a, b, kind, data))
        line_draw(fig, a, b, kind)

    controls = {
        "a": Slider(-1.0, 1.0, 0.5),
        "b": IntSlider(0, 2),
        "kind": Dropdown(["line", "parabola"]),
        "data": Fixed("fixed-value"),
    }
    frames = compute_frames(draw, controls, max_frames=100, figsize=SMALL)
    expected = list(itertools.product([-1.0, -0.5, 0.0, 0.5, 1.0], [0, 1, 2], ["line", "parabola"]))
    assert [c[:3] for c in calls] == expected
    assert {c[3] for c in calls} == {"fixed-value"}
    assert frames.shape == (5, 3, 2)
    assert len(frames.images) == 30
    assert all(im.startswith(PNG_SIGNATURE) for im in frames.images)
    assert frames.combination(frames.index((1, 2, 0))) == {"a": -0.5, "b": 2, "kind": "line"}
    assert frames.combination(frames.index(frames.default)) == {"a": 0.0, "b": 1, "kind": "line"}


def test_frames_differ_with_values_and_are_deterministic():
    controls = {"a": Slider(-2.0, 2.0, 1.0)}
    first = compute_frames(line_draw, controls, figsize=SMALL)
    second = compute_frames(line_draw, controls, figsize=SMALL)
    assert first.images == second.images
    assert len(set(first.images)) == len(first.images)
    assert b"Matplotlib" not in b"".join(first.images)


def test_frames_are_subsampled_with_endpoints():
    seen = []

    def draw(fig, a, b):
        seen.append((a, b))
        fig.add_subplot().plot([0, 1], [a, b])

    frames = compute_frames(draw, {"a": Slider(0.0, 4.0, 0.1), "b": Slider(0.0, 1.0, 0.05)},
                            max_frames=20, figsize=SMALL)
    assert len(frames.images) == len(seen) <= 20
    assert frames.values["a"][0] == 0.0 and frames.values["a"][-1] == 4.0
    assert frames.values["b"][0] == 0.0 and frames.values["b"][-1] == 1.0


def test_static_html_has_one_image_per_frame_and_the_controls():
    controls = {"a": Slider(-1.0, 1.0, 0.5, description="slope"), "kind": Dropdown(["line", "parabola"])}
    fig = interactive_figure(line_draw, figsize=SMALL, **controls)
    page = fig.html()
    assert page.count("<img ") == fig.n_frames == 10
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 10
    assert page.count('type="range"') == 1
    assert page.count("<select") == 1 and page.count("<option") == 2
    assert "slope" in page
    assert page.count("display:none") == 9
    assert "<script>" in page and "addEventListener" in page
    assert "http://" not in page and "https://" not in page and "require(" not in page


def test_static_html_marks_the_default_frame_visible():
    fig = interactive_figure(line_draw, figsize=SMALL, a=Slider(0.0, 2.0, 1.0, value=2.0))
    page = fig.html()
    visible = [m.group(1) for m in re.finditer(r'<img data-mlc-frame="(\d+)" alt="[^"]*" style="max', page)]
    assert visible == ["2"]
    assert 'value="2"' in page


def test_static_html_is_deterministic():
    a = static_html(compute_frames(line_draw, {"a": IntSlider(0, 2)}, figsize=SMALL))
    b = static_html(compute_frames(line_draw, {"a": IntSlider(0, 2)}, figsize=SMALL))
    assert a == b


def test_draw_errors_name_the_values():
    def draw(fig, a):
        fig.add_subplot()
        if a > 0.5:
            raise ZeroDivisionError("boom")

    with pytest.raises(WidgetDrawError, match=r"draw\(fig, a=1\.0\) raised ZeroDivisionError: boom") as info:
        interactive_figure(draw, a=Slider(0.0, 1.0, 0.5), figsize=SMALL)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_draw_that_draws_nothing_is_an_error():
    with pytest.raises(WidgetDrawError, match="drew nothing"):
        interactive_figure(lambda fig, a: None, a=IntSlider(0, 2), figsize=SMALL)


def test_draw_signature_must_accept_controls():
    def draw(fig, a):
        fig.add_subplot()

    with pytest.raises(TypeError, match=r"must accept the figure and the keywords \['a', 'b'\]"):
        interactive_figure(draw, a=IntSlider(0, 2), b=IntSlider(0, 2), figsize=SMALL)


@pytest.mark.parametrize(
    ("controls", "error", "message"),
    [
        ({"a": 0.5}, TypeError, "control 'a' must be a Slider, IntSlider, Dropdown or Fixed, got float"),
        ({"a": (0, 1, 0.1)}, TypeError, "got tuple"),
        ({}, ValueError, "at least one control"),
        ({"a": Fixed(1)}, ValueError, "all controls are Fixed"),
    ],
)
def test_invalid_control_specs(controls, error, message):
    with pytest.raises(error, match=message):
        interactive_figure(line_draw, figsize=SMALL, **controls)


def test_invalid_figsize():
    with pytest.raises(ValueError, match="figsize must be"):
        interactive_figure(line_draw, figsize=(0, 2), a=IntSlider(0, 2))


def test_mime_bundle_has_widget_view_html_and_text():
    fig = interactive_figure(line_draw, figsize=SMALL, a=IntSlider(0, 2))
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"}
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert bundle["text/plain"].startswith("<interactive figure line_draw: a in 0..2 (3 of 3 values")
    assert bundle["text/html"] == fig.html()
    assert isinstance(fig, InteractiveFigure)


def test_live_widget_redraws_on_change():
    fig = interactive_figure(line_draw, figsize=SMALL, a=IntSlider(0, 3), kind=Dropdown(["line", "parabola"]))
    box = fig.widget()
    controls, image, _errors = box.children
    slider, dropdown = controls.children
    before = image.value
    slider.value = 3
    after_slider = image.value
    dropdown.value = 1
    assert before != after_slider != image.value
    assert len(fig.redraw_seconds) == 2
    assert image.value == fig.render(a=3, kind="parabola")


def test_live_widget_shows_draw_errors_without_raising():
    state = {"fail": False}

    def draw(fig, a):
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, a])
        if state["fail"]:
            raise ValueError("the data went away")

    fig = interactive_figure(draw, figsize=SMALL, a=IntSlider(0, 3, value=0))
    box = fig.widget()
    slider = box.children[0].children[0]
    image, errors = box.children[1], box.children[2]
    before = image.value
    state["fail"] = True
    slider.value = 3
    assert image.value == before
    assert "draw(fig, a=3) raised ValueError: the data went away" in errors.value
    state["fail"] = False
    slider.value = 2
    assert errors.value == "" and image.value != before


def test_render_rejects_unknown_controls():
    fig = interactive_figure(line_draw, figsize=SMALL, a=IntSlider(0, 2))
    with pytest.raises(TypeError, match="unknown controls \\['z'\\]"):
        fig.render(z=1)


def test_import_mlcourse_does_not_import_matplotlib():
    code = "import sys, mlcourse, mlcourse.widgets; print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
