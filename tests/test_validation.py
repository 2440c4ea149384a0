"""Tests for mlcourse.validation: one check per kind, TypeError for types, ValueError for values."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse import init
from mlcourse.activations import RReLU
from mlcourse.data import DataLoader, make_moons
from mlcourse.layers import Linear
from mlcourse.regularization import Dropout
from mlcourse.validation import (
    as_float_array,
    as_generator,
    check_choice,
    check_int,
    check_number,
    check_probability,
)


def test_check_number_accepts_numbers_in_range_and_returns_float():
    assert check_number(3, "f", "x", low=0.0) == 3.0
    assert isinstance(check_number(np.float32(0.5), "f", "x"), float)
    assert check_number(0.0, "f", "x", low=0.0) == 0.0  # closed bound
    assert check_number(1.0, "f", "x", high=1.0) == 1.0


@pytest.mark.parametrize("value, kwargs, pattern", [
    (-1.0, dict(low=0.0), r"f: invalid x -1.0; expected a value in \[0.0, inf\)"),
    (0.0, dict(low=0.0, low_open=True), r"expected a value in \(0.0, inf\)"),
    (1.0, dict(low=0.0, high=1.0, high_open=True), r"expected a value in \[0.0, 1.0\)"),
    (2.0, dict(high=1.0), r"expected a value in \(-inf, 1.0\]"),
    (float("nan"), {}, r"x must be a finite number in \(-inf, inf\), got nan"),
    (float("inf"), dict(low=0.0), "finite"),
])
def test_check_number_wrong_values_raise_value_error(value, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        check_number(value, "f", "x", **kwargs)


@pytest.mark.parametrize("value", ["0.1", None, [0.1], True, np.array([0.1])])
def test_check_number_wrong_types_raise_type_error(value):
    with pytest.raises(TypeError, match=r"f: x must be a number in .*, got "):
        check_number(value, "f", "x")


def test_check_int_and_probability_and_choice():
    assert check_int(np.int64(3), "f", "n") == 3
    assert check_int(0, "f", "n", low=0) == 0
    with pytest.raises(ValueError, match="f: n must be a positive integer, got 0"):
        check_int(0, "f", "n")
    with pytest.raises(ValueError, match="n must be an integer >= 2, got 1"):
        check_int(1, "f", "n", low=2)
    for bad in (2.0, "2", True):
        with pytest.raises(TypeError, match="n must be a positive integer"):
            check_int(bad, "f", "n")
    assert check_probability(0.0, "f") == 0.0
    with pytest.raises(ValueError, match=r"invalid p 1.0; expected a value in \[0.0, 1.0\)"):
        check_probability(1.0, "f")
    assert check_choice("tanh", "f", "mode", ("none", "tanh")) == "tanh"
    with pytest.raises(ValueError, match=r"f: mode must be one of \['none', 'tanh'\], got 'erf'"):
        check_choice("erf", "f", "mode", ("none", "tanh"))


def test_as_float_array_rejects_integer_arrays_with_type_error():
    x = np.ones(3, dtype=np.float32)
    assert as_float_array(x, "f") is x
    assert as_float_array([1.0, 2.0], "f").dtype == np.float64
    with pytest.raises(TypeError, match="f: input must be a floating-point array .* got dtype int64"):
        as_float_array(np.arange(3), "f")


def test_as_generator_passes_generators_through_and_seeds_integers():
    gen = np.random.default_rng(0)
    assert as_generator(gen, "f") is gen
    a, b = as_generator(7, "f"), as_generator(np.int32(7), "f")
    assert a.random() == b.random()
    assert isinstance(as_generator(None, "f"), np.random.Generator)
    for bad in (np.random.RandomState(0), "0", 1.5, True):
        with pytest.raises(TypeError, match="f: rng must be a numpy.random.Generator"):
            as_generator(bad, "f")


# one as_generator for the whole library: every place that draws random numbers accepts the
# same things and rejects the same things with the same error
RANDOM_USERS = {
    "Linear": lambda rng: Linear(3, 2, rng=rng),
    "Linear(init=...)": lambda rng: Linear(3, 2, rng=rng, init="kaiming_normal"),
    "RReLU": lambda rng: RReLU(rng=rng),
    "init.normal_": lambda rng: init.normal_(np.empty(4), rng=rng),
    "Dropout": lambda rng: Dropout(0.5, rng=rng),
    "DataLoader": lambda rng: DataLoader(np.zeros((4, 2)), np.zeros(4), rng=rng),
    "make_moons": lambda rng: make_moons(20, rng=rng),
}


@pytest.mark.parametrize("who", sorted(RANDOM_USERS))
def test_every_random_user_shares_as_generator(who):
    RANDOM_USERS[who](3)  # an integer seed is accepted everywhere
    RANDOM_USERS[who](np.random.default_rng(3))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        RANDOM_USERS[who](np.random.RandomState(0))


def test_integer_seed_reproduces_linear_and_init():
    np.testing.assert_array_equal(Linear(5, 4, rng=11).weight.data,
                                  Linear(5, 4, rng=np.random.default_rng(11)).weight.data)
    np.testing.assert_array_equal(init.xavier_uniform_(np.empty((3, 3)), rng=2),
                                  init.xavier_uniform_(np.empty((3, 3)), rng=np.random.default_rng(2)))


def test_wrong_types_and_wrong_values_of_hyper_parameters_across_the_library():
    from mlcourse.optim import SGD
    from mlcourse.schedules import StepLR

    p = Linear(2, 2, rng=0).parameters()
    with pytest.raises(TypeError, match="learning rate lr must be a number"):
        SGD(p, lr="0.1")
    with pytest.raises(ValueError, match="invalid learning rate lr -0.1"):
        SGD(p, lr=-0.1)
    with pytest.raises(TypeError, match="step_size must be a positive integer"):
        StepLR(SGD(p, lr=0.1), step_size=1.5)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        StepLR(SGD(p, lr=0.1), step_size=0)
