"""Parameter, Module and Sequential: registration, gradients, modes, state dicts, repr."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from mlcourse.activations import ReLU, Softmax, Tanh
from mlcourse.gradcheck import check_module_gradients
from mlcourse.layers import Flatten, Linear
from mlcourse.losses import CrossEntropyLoss
from mlcourse.module import (
    BackwardBeforeForwardError,
    Module,
    ModuleReuseError,
    Parameter,
    Sequential,
    StateDictMismatchError,
)


class Encoder(Module):
    """A module with a sub-module, a parameter of its own and a buffer."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.body = Sequential(Linear(4, 3, rng=rng), ReLU(), Linear(3, 2, rng=rng))
        self.scale = Parameter(np.ones((1, 2), dtype=np.float32))
        self.loss = CrossEntropyLoss()
        self.register_buffer("running", np.zeros(2, dtype=np.float32))

    def forward(self, x: NDArray) -> NDArray:
        return self.body(x) * self.scale.data


def test_named_parameters_have_dotted_names(rng: np.random.Generator) -> None:
    model = Sequential(Encoder(rng), Tanh(), Linear(2, 5, rng=rng))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.scale", "0.body.0.weight", "0.body.0.bias", "0.body.2.weight", "0.body.2.bias",
                     "2.weight", "2.bias"]
    assert model.num_parameters() == 2 + (4 * 3 + 3) + (3 * 2 + 2) + (2 * 5 + 5)


def test_losses_and_plain_arrays_are_not_parameters(rng: np.random.Generator) -> None:
    encoder = Encoder(rng)
    assert "loss" not in {n.split(".")[0] for n, _ in encoder.named_parameters()}
    assert all(isinstance(p, Parameter) for p in encoder.parameters())
    assert not any(k.startswith("loss") for k in encoder.state_dict())


def test_shared_parameter_counted_once_and_its_gradients_add(rng: np.random.Generator) -> None:
    first, second = Linear(3, 3, rng=rng, dtype=np.float64), Linear(3, 3, rng=rng, dtype=np.float64)
    second.weight = first.weight  # weight sharing: one Parameter in two layers
    model = Sequential(first, Tanh(), second)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.bias"]
    assert len(model.parameters()) == 3
    assert model.num_parameters() == 9 + 3 + 3
    assert sorted(model.state_dict()) == ["0.bias", "0.weight", "2.bias", "2.weight"]  # both names, as in PyTorch
    model.load_state_dict(model.state_dict())
    report = check_module_gradients(model, rng.standard_normal((4, 3)))
    assert report["0.weight"] < 1e-7


def test_zero_grad_and_gradients_accumulate(rng: np.random.Generator) -> None:
    model = Sequential(Linear(4, 3, rng=rng), ReLU(), Linear(3, 2, rng=rng))
    x, g = rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal((5, 2)).astype(np.float32)
    model(x)
    model.backward(g)
    once = [p.grad.copy() for p in model.parameters()]
    assert any(np.abs(o).sum() > 0 for o in once)
    model(x)
    model.backward(g)
    for p, o in zip(model.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * o, rtol=1e-6)
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_train_and_eval_are_recursive_and_return_self(rng: np.random.Generator) -> None:
    inner = Sequential(Linear(2, 2, rng=rng), ReLU())
    model = Sequential(inner, Linear(2, 1, rng=rng))
    assert model.training and inner[1].training
    assert model.eval() is model
    assert not any(m.training for _, m in model.named_modules())
    assert model.train() is model
    assert all(m.training for _, m in model.named_modules())
    assert model.train(False) is model and not inner[0].training


def test_state_dict_round_trip(rng: np.random.Generator) -> None:
    a, b = Encoder(np.random.default_rng(1)), Encoder(np.random.default_rng(2))
    a.running[:] = [0.5, -1.0]
    x = rng.standard_normal((3, 4)).astype(np.float32)
    assert not np.allclose(a(x), b(x))
    state = a.state_dict()
    assert list(state) == ["scale", "running", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    b.load_state_dict(state)
    np.testing.assert_array_equal(a(x), b(x))
    np.testing.assert_array_equal(b.running, [0.5, -1.0])
    state["scale"][...] = 7.0  # a copy: the model is not affected
    assert a.scale.data[0, 0] == 1.0


def test_load_state_dict_errors_name_the_keys_and_shapes(rng: np.random.Generator) -> None:
    model = Sequential(Linear(4, 3, rng=rng), ReLU(), Linear(3, 2, rng=rng))
    state = model.state_dict()
    missing = {k: v for k, v in state.items() if k != "2.bias"}
    with pytest.raises(KeyError, match=r"does not fit Sequential - missing in the state: 2.bias$"):
        model.load_state_dict(missing)
    with pytest.raises(StateDictMismatchError, match=r"- not in the model: 3.weight$"):
        model.load_state_dict({**state, "3.weight": np.zeros(2)})
    model.load_state_dict(missing, strict=False)  # non-strict: loads what is there

    before = model[0].weight.data.copy()
    bad = {**state, "0.weight": np.zeros((3, 4)), "0.bias": np.ones((1, 3)) * 9}
    with pytest.raises(ValueError, match=r"shape mismatch: 0.weight: model \(4, 3\), state \(3, 4\)"):
        model.load_state_dict(bad)
    np.testing.assert_array_equal(model[0].weight.data, before)  # nothing changed
    assert not (model[0].bias.data == 9).any()


def test_repr_prints_the_architecture() -> None:
    model = Sequential(Flatten(), Linear(784, 128), ReLU(), Sequential(Linear(128, 10), Softmax()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Flatten()\n"
        "  (1): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (2): ReLU()\n"
        "  (3): Sequential(\n"
        "    (0): Linear(in_features=128, out_features=10, bias=True)\n"
        "    (1): Softmax(axis=-1)\n"
        "  )\n"
        ")"
    )
    assert repr(Parameter(np.zeros((2, 3)))) == "Parameter(shape=(2, 3), dtype=float64)"


def test_sequential_container_behaviour(rng: np.random.Generator) -> None:
    layers = [Linear(2, 3, rng=rng), ReLU(), Linear(3, 1, rng=rng)]
    model = Sequential(*layers)
    assert len(model) == 3 and list(model) == layers and model[2] is layers[2]
    assert isinstance(model[:2], Sequential) and len(model[:2]) == 2
    model.append(Tanh())
    assert [n for n, _ in model.named_modules()] == ["", "0", "1", "2", "3"]
    with pytest.raises(TypeError, match="expects Module instances; argument 1 is ufunc"):
        Sequential(Linear(2, 2), np.tanh)


def test_parameter_basics() -> None:
    p = Parameter([[1, 2]])
    assert p.dtype == np.float32 and p.shape == (1, 2) and p.requires_grad
    p.grad += 3
    p.zero_grad()
    assert not p.grad.any()
    p.astype(np.float64)
    assert p.data.dtype == p.grad.dtype == np.float64


def test_module_misuse_is_reported() -> None:
    class Forgetful(Module):
        def __init__(self) -> None:
            self.w = Parameter(np.zeros(2))

    with pytest.raises(RuntimeError, match="must call super\\(\\).__init__\\(\\) before assigning attribute 'w'"):
        Forgetful()
    with pytest.raises(BackwardBeforeForwardError, match="Sequential|Linear"):
        Sequential(Linear(2, 2)).backward(np.ones((1, 2)))
    with pytest.raises(NotImplementedError, match="Module does not implement forward"):
        Module()(np.ones(2))


def test_one_module_instance_twice_in_a_model_is_refused() -> None:
    # a module keeps its forward cache for backward: a second use would overwrite it
    rng = np.random.default_rng(0)
    act = Tanh()
    with pytest.raises(ModuleReuseError, match=r"same Tanh instance is used at position 1 and again "
                                               r"at position 3"):
        Sequential(Linear(2, 3, rng=rng), act, Linear(3, 3, rng=rng), act)
    block = Sequential(Linear(3, 3, rng=rng), Tanh())
    with pytest.raises(ModuleReuseError, match="create a new"):
        Sequential(block, block)
    model = Sequential(Linear(2, 3, rng=rng), act)
    with pytest.raises(ModuleReuseError):
        model.append(act)
    with pytest.raises(ModuleReuseError):
        model.append(Sequential(model[0]))


def test_what_the_reuse_error_prevents_is_a_wrong_gradient() -> None:
    # the same Linear applied twice, y = W (W x): with one cache, backward would use W x
    # as the input of both applications. Sharing the Parameter between two layers is right.
    rng = np.random.default_rng(1)
    a = Linear(3, 3, rng=rng, dtype=np.float64)
    b = Linear(3, 3, rng=rng, dtype=np.float64)
    b.weight, b.bias = a.weight, a.bias
    report = check_module_gradients(Sequential(a, Tanh(), b), rng.standard_normal((4, 3)))
    assert max(report.values()) < 1e-7


def test_buffers_are_saved_loaded_and_converted_but_not_learned(rng: np.random.Generator) -> None:
    encoder = Encoder(rng)
    assert [n for n, _ in encoder.named_buffers()] == ["running"]
    assert "running" in encoder.state_dict()
    assert all(p is not encoder.running for p in encoder.parameters())
    encoder.load_state_dict({**encoder.state_dict(), "running": np.array([1.0, 2.0])})
    assert encoder.running.dtype == np.float32 and encoder.running.tolist() == [1.0, 2.0]
    encoder.astype(np.float64)
    assert encoder.running.dtype == np.float64
    with pytest.raises(ValueError, match="already a parameter"):
        encoder.register_buffer("scale", np.zeros(2))


def test_zero_grad_resets_every_parameter_also_shared_ones(rng: np.random.Generator) -> None:
    first, second = Linear(3, 3, rng=rng), Linear(3, 3, rng=rng)
    second.weight = first.weight
    model = Sequential(Encoder(rng), Tanh(), Sequential(first, Tanh(), second))
    for p in model.parameters():
        p.grad += 1.0
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())
