"""Forward and backward passes against PyTorch (float64), where PyTorch is installed."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: parity tests need the optional 'reference' extra"
)

from mlcourse.activations import (  # noqa: E402
    ELU, GELU, PReLU, ReLU, RReLU, SELU, Identity, LeakyReLU, Sigmoid, Softmax, Softplus,
    Softsign, Tanh,
)
from mlcourse.layers import Flatten, Linear  # noqa: E402
from mlcourse.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss  # noqa: E402
from mlcourse.module import Sequential  # noqa: E402

nn = torch.nn
TOL = dict(rtol=1e-10, atol=1e-12)


def t(a: np.ndarray, grad: bool = False) -> "torch.Tensor":
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def assert_close(ours: Any, theirs: "torch.Tensor", **tol: float) -> None:
    np.testing.assert_allclose(np.asarray(ours), theirs.detach().numpy(), **(tol or TOL))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2024)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(rng: np.random.Generator, bias: bool) -> None:
    ours = Linear(5, 3, bias=bias, rng=rng, dtype=np.float64)
    theirs = nn.Linear(5, 3, bias=bias).double()
    with torch.no_grad():
        theirs.weight.copy_(t(ours.weight.data.T))  # torch stores (out, in)
        if bias:
            theirs.bias.copy_(t(ours.bias.data[0]))
    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    xt = t(x, grad=True)
    yt = theirs(xt)
    yt.backward(t(g))
    assert_close(ours(x), yt)
    assert_close(ours.backward(g), xt.grad)
    assert_close(ours.weight.grad, theirs.weight.grad.T)
    if bias:
        assert_close(ours.bias.grad[0], theirs.bias.grad)


def test_mlp_matches_torch(rng: np.random.Generator) -> None:
    ours = Sequential(Flatten(), Linear(6, 4, rng=rng, dtype=np.float64), GELU(),
                      Linear(4, 2, rng=rng, dtype=np.float64))
    theirs = nn.Sequential(nn.Flatten(), nn.Linear(6, 4), nn.GELU(), nn.Linear(4, 2)).double()
    with torch.no_grad():
        for i in (1, 3):
            theirs[i].weight.copy_(t(ours[i].weight.data.T))
            theirs[i].bias.copy_(t(ours[i].bias.data[0]))
    x, labels = rng.standard_normal((5, 2, 3)), rng.integers(0, 2, size=5)
    loss, loss_t = CrossEntropyLoss(), nn.CrossEntropyLoss()
    xt = t(x, grad=True)
    value_t = loss_t(theirs(xt), torch.tensor(labels))
    value_t.backward()
    value = loss(ours(x), labels)
    dx = ours.backward(loss.backward())
    assert value == pytest.approx(value_t.item(), rel=1e-12)
    assert_close(dx, xt.grad)
    for i in (1, 3):
        assert_close(ours[i].weight.grad, theirs[i].weight.grad.T)


ACTIVATION_PAIRS: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("Identity", Identity, nn.Identity),
    ("Sigmoid", Sigmoid, nn.Sigmoid),
    ("Tanh", Tanh, nn.Tanh),
    ("ReLU", ReLU, nn.ReLU),
    ("LeakyReLU", LeakyReLU, nn.LeakyReLU),
    ("LeakyReLU(0.3)", lambda: LeakyReLU(0.3), lambda: nn.LeakyReLU(0.3)),
    ("RReLU(eval)", lambda: RReLU(0.1, 0.3).eval(), lambda: nn.RReLU(0.1, 0.3).eval()),
    ("ELU", ELU, nn.ELU),
    ("ELU(0.5)", lambda: ELU(0.5), lambda: nn.ELU(0.5)),
    ("SELU", SELU, nn.SELU),
    ("GELU", GELU, nn.GELU),
    ("GELU(tanh)", lambda: GELU("tanh"), lambda: nn.GELU(approximate="tanh")),
    ("Softplus", Softplus, nn.Softplus),
    ("Softplus(2, 5)", lambda: Softplus(2.0, 5.0), lambda: nn.Softplus(2.0, 5.0)),
    ("Softsign", Softsign, nn.Softsign),
    ("Softmax", Softmax, lambda: nn.Softmax(dim=-1)),
    ("Softmax(axis=0)", lambda: Softmax(axis=0), lambda: nn.Softmax(dim=0)),
]


@pytest.mark.parametrize("name, ours_cls, theirs_cls", ACTIVATION_PAIRS, ids=[p[0] for p in ACTIVATION_PAIRS])
def test_activation_matches_torch(name: str, ours_cls: Callable, theirs_cls: Callable,
                                  rng: np.random.Generator) -> None:
    x = 4 * rng.standard_normal((6, 5))
    x[0, :3] = [-30.0, 30.0, 1e-3]
    g = rng.standard_normal(x.shape)
    ours, theirs = ours_cls(), theirs_cls()
    xt = t(x, grad=True)
    yt = theirs(xt)
    yt.backward(t(g))
    assert_close(ours(x), yt)
    assert_close(ours.backward(g), xt.grad)


@pytest.mark.parametrize("num_parameters", [1, 5])
def test_prelu_matches_torch_including_slope_gradient(num_parameters: int, rng: np.random.Generator) -> None:
    ours = PReLU(num_parameters, init=0.2, dtype=np.float64)
    ours.weight.data[...] = rng.uniform(0.05, 0.5, size=num_parameters)
    theirs = nn.PReLU(num_parameters).double()
    with torch.no_grad():
        theirs.weight.copy_(t(ours.weight.data))
    x, g = rng.standard_normal((4, 5, 3)), rng.standard_normal((4, 5, 3))
    xt = t(x, grad=True)
    yt = theirs(xt)
    yt.backward(t(g))
    assert_close(ours(x), yt)
    assert_close(ours.backward(g), xt.grad)
    assert_close(ours.weight.grad, theirs.weight.grad)


def test_rrelu_training_slopes_lie_in_range_like_torch(rng: np.random.Generator) -> None:
    x = -np.abs(rng.standard_normal(1000)) - 0.1
    ours = RReLU(0.1, 0.3, rng=rng)
    slopes = ours(x) / x
    torch.manual_seed(0)
    slopes_t = (nn.RReLU(0.1, 0.3)(t(x)) / t(x)).numpy()
    for s in (slopes, slopes_t):
        assert 0.1 <= s.min() and s.max() <= 0.3
        assert s.mean() == pytest.approx(0.2, abs=0.01)


def _loss_pair(ours: Any, theirs: Any, prediction: np.ndarray, target: Any,
               torch_target: "torch.Tensor", g: np.ndarray | None) -> None:
    pt = t(prediction, grad=True)
    value_t = theirs(pt, torch_target)
    value = ours(prediction, target)
    if g is None:
        value_t.backward()
        assert isinstance(value, float)
        assert value == pytest.approx(value_t.item(), rel=1e-12, abs=1e-12)
        grad = ours.backward()
    else:
        value_t.backward(t(g))
        assert_close(value, value_t)
        grad = ours.backward(g)
    assert_close(grad, pt.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss"])
def test_elementwise_loss_matches_torch(name: str, reduction: str, rng: np.random.Generator) -> None:
    ours = {"MSELoss": MSELoss, "L1Loss": L1Loss, "BCELoss": BCELoss,
            "BCEWithLogitsLoss": BCEWithLogitsLoss}[name](reduction)
    theirs = getattr(nn, name)(reduction=reduction)
    shape = (6, 3)
    if name == "BCELoss":
        prediction, target = rng.uniform(0.02, 0.98, shape), rng.uniform(0, 1, shape)
    elif name == "BCEWithLogitsLoss":
        prediction, target = 5 * rng.standard_normal(shape), (rng.uniform(size=shape) < 0.5) * 1.0
        prediction[0, :2] = [1000.0, -1000.0]
    else:
        prediction, target = rng.standard_normal(shape), rng.standard_normal(shape)
    g = rng.standard_normal(shape) if reduction == "none" else None
    _loss_pair(ours, theirs, prediction, target, t(target), g)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("targets", ["labels", "probabilities", "one-hot"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_matches_torch(reduction: str, targets: str, label_smoothing: float,
                                     rng: np.random.Generator) -> None:
    n, c = 7, 4
    logits = 3 * rng.standard_normal((n, c))
    logits[0] = [1000.0, -1000.0, 0.0, 999.0]
    labels = rng.integers(0, c, size=n)
    if targets == "labels":
        target, target_t = labels, torch.tensor(labels)
    else:
        target = np.eye(c)[labels] if targets == "one-hot" else rng.dirichlet(np.ones(c), size=n)
        target_t = t(target)
    ours = CrossEntropyLoss(reduction, label_smoothing=label_smoothing)
    theirs = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=label_smoothing)
    g = rng.standard_normal(n) if reduction == "none" else None
    _loss_pair(ours, theirs, logits, target, target_t, g)


def test_bce_clamps_log_like_torch() -> None:
    prediction = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    target = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    value = BCELoss(reduction="none")(prediction, target)
    assert_close(value, nn.BCELoss(reduction="none")(t(prediction), t(target)))
