"""Tests of mlcourse.regularization: dropout, LayerDrop, normalization, residuals, penalties, early stopping."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.activations import ReLU, Tanh
from mlcourse.gradcheck import GradientCheckError, check_module_gradients, numerical_gradient
from mlcourse.layers import Linear
from mlcourse.module import BackwardBeforeForwardError, Parameter, Sequential
from mlcourse.regularization import (
    BatchNorm1d,
    Dropout,
    EarlyStopping,
    LayerDrop,
    LayerNorm,
    Residual,
    l1_penalty,
    l2_penalty,
    prune_layerdrop,
)


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed: parity tests skipped")


def _mlp(rng: np.random.Generator) -> Sequential:
    return Sequential(Linear(5, 4, rng=rng), BatchNorm1d(4), ReLU(), Linear(4, 3, rng=rng), LayerNorm(3))


# gradient checks in training mode (float64)

@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_gradients_training(rng, affine):
    bn = BatchNorm1d(6, affine=affine)
    if affine:
        bn.weight.data[...] = rng.uniform(0.5, 2.0, 6)
        bn.bias.data[...] = rng.standard_normal(6)
    report = check_module_gradients(bn.train(), 3.0 * rng.standard_normal((8, 6)) + 1.0, tol=1e-6)
    assert set(report) == ({"input", "weight", "bias"} if affine else {"input"})


def test_batchnorm_gradients_eval(rng):
    bn = BatchNorm1d(4)
    for _ in range(3):
        bn(rng.standard_normal((10, 4)).astype(np.float32) * 2 + 1)
    bn.weight.data[...] = rng.uniform(0.5, 2.0, 4)
    check_module_gradients(bn.eval(), rng.standard_normal((5, 4)), tol=1e-6)


@pytest.mark.parametrize("shape", [(7, 5), (3, 4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_layernorm_gradients(rng, shape, affine):
    ln = LayerNorm(5, elementwise_affine=affine)
    if affine:
        ln.weight.data[...] = rng.uniform(0.5, 2.0, 5)
        ln.bias.data[...] = rng.standard_normal(5)
    check_module_gradients(ln, 2.0 * rng.standard_normal(shape) - 0.5, tol=1e-6)


def test_dropout_gradients_with_fixed_mask(rng):
    drop = Dropout(0.4, rng=3).train()
    check_module_gradients(drop, rng.standard_normal((6, 5)), tol=1e-7)
    # the other way to fix the mask: reuse_mask, with a fresh generator per call
    drop.reuse_mask = True
    x = rng.standard_normal((6, 5))
    first = drop(x)
    drop.rng = np.random.default_rng(99)
    assert np.array_equal(drop(x), first)
    g = rng.standard_normal((6, 5))
    assert np.array_equal(drop.backward(g), g * drop.mask)


def test_dropout_gradient_check_detects_a_wrong_mask(rng):
    class BrokenDropout(Dropout):
        def backward(self, grad_output):
            return grad_output  # forgets the mask

    with pytest.raises(GradientCheckError):
        check_module_gradients(BrokenDropout(0.5, rng=0), rng.standard_normal((6, 5)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_layerdrop_gradients_both_branches(rng, seed):
    block = LayerDrop(Residual(Sequential(Linear(4, 4, rng=rng), Tanh())), p=0.5, rng=seed)
    check_module_gradients(block.train(), rng.standard_normal((3, 4)), tol=1e-6)


def test_residual_gradients(rng):
    block = Residual(Sequential(Linear(4, 6, rng=rng), Tanh(), Linear(6, 4, rng=rng)))
    check_module_gradients(block, rng.standard_normal((5, 4)), tol=1e-6)


def test_model_with_everything_gradients(rng):
    model = Sequential(
        Linear(5, 8, bias=False, rng=rng), BatchNorm1d(8), Tanh(), Dropout(0.3, rng=1),
        LayerDrop(Residual(Sequential(Linear(8, 8, rng=rng), Tanh())), p=0.3, rng=2),
        Linear(8, 3, rng=rng), LayerNorm(3),
    )
    # a bias before BatchNorm would have an exactly zero gradient (the mean subtraction removes it),
    # which finite differences can only match up to round-off: hence bias=False
    report = check_module_gradients(model.train(), rng.standard_normal((6, 5)), tol=1e-6)
    assert "4.block.block.0.weight" in report


# Dropout behaviour

def test_dropout_training_statistics():
    drop = Dropout(0.3, rng=0)
    x = np.ones((400, 500), dtype=np.float32)
    y = drop(x)
    assert y.dtype == np.float32
    kept = y != 0
    # 200,000 Bernoulli(0.7) draws: the standard error of the kept share is 0.001
    assert abs(kept.mean() - 0.7) < 0.005
    assert np.allclose(y[kept], 1 / 0.7)
    assert abs(y.mean() - 1.0) < 0.01


def test_dropout_eval_is_identity_and_new_masks_each_call():
    drop = Dropout(0.5, rng=0)
    x = np.arange(12, dtype=np.float64).reshape(3, 4) + 1
    a, b = drop(x), drop(x)
    assert not np.array_equal(a, b)
    drop.eval()
    assert np.array_equal(drop(x), x)
    g = np.full((3, 4), 2.0)
    assert np.array_equal(drop.backward(g), g)
    assert np.array_equal(Dropout(0.0, rng=0)(x), x)


def test_dropout_validation():
    for p in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"invalid p .*; expected a value in \[0.0, 1.0\)"):
            Dropout(p)
    for p in (True, "0.5"):
        with pytest.raises(TypeError, match=r"p must be a number in \[0.0, 1.0\)"):
            Dropout(p)
    with pytest.raises(BackwardBeforeForwardError):
        Dropout(0.5).backward(np.ones((2, 2)))
    with pytest.raises(TypeError, match="Generator"):
        Dropout(0.5, rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="floating-point"):
        Dropout(0.5)(np.ones((2, 2), dtype=np.int64))


# LayerDrop behaviour

def test_layerdrop_skips_with_probability_p_in_training_only():
    block = LayerDrop(Residual(Linear(3, 3, rng=np.random.default_rng(0))), p=0.25, rng=0)
    x = np.ones((2, 3), dtype=np.float32)
    skipped = 0
    for _ in range(4000):
        y = block(x)
        skipped += block.skipped
        if block.skipped:
            assert y is x
            assert block.backward(np.ones_like(x)) is not None
    # 4000 Bernoulli(0.25) draws: standard error 0.007
    assert abs(skipped / 4000 - 0.25) < 0.03
    block.reuse_decision = True
    first = block(x) is x
    assert all((block(x) is x) == first for _ in range(30))
    block.eval()
    for _ in range(50):
        block(x)
        assert not block.skipped


def test_layerdrop_choose_depth_at_inference():
    rng = np.random.default_rng(0)
    blocks = [LayerDrop(Residual(Sequential(Linear(4, 4, rng=rng), ReLU())), p=0.5, rng=i) for i in range(6)]
    model = Sequential(*blocks).eval()
    x = rng.standard_normal((2, 4)).astype(np.float32)
    full = model(x)
    assert prune_layerdrop(model, drop_every=2) == [0, 2, 4]
    assert [b.active for b in blocks] == [True, False, True, False, True, False]
    half = model(x)
    expected = x
    for i in (0, 2, 4):
        expected = blocks[i].block(expected)
    assert np.allclose(half, expected)
    assert prune_layerdrop(model, drop_every=3) == [0, 1, 3, 4]  # depths 3 and 6 removed
    assert prune_layerdrop(model, keep=[5]) == [5]
    assert np.allclose(model(x), blocks[5].block(x))
    assert prune_layerdrop(model) == list(range(6))
    assert np.allclose(model(x), full)
    assert "active=False" in repr(blocks[0].set_active(False))
    with pytest.raises(ValueError, match="names blocks"):
        prune_layerdrop(model, keep=[6])
    with pytest.raises(ValueError, match="no LayerDrop"):
        prune_layerdrop(Sequential(Linear(2, 2)))


def test_layerdrop_rejects_shape_changes():
    with pytest.raises(ValueError, match="maps 3 features to 4"):
        LayerDrop(Linear(3, 4))
    block = LayerDrop(Sequential(Linear(3, 4)), p=0.0)
    with pytest.raises(ValueError, match=r"changed the shape from \(2, 3\) to \(2, 4\)"):
        block(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(TypeError):
        LayerDrop(lambda x: x)
    with pytest.raises(ValueError, match="invalid p 1.0"):
        LayerDrop(Residual(Linear(2, 2)), p=1.0)


def test_residual_adds_identity_and_checks_shapes():
    lin = Linear(3, 3, rng=np.random.default_rng(0), dtype=np.float64)
    res = Residual(lin)
    x = np.random.default_rng(1).standard_normal((4, 3))
    assert np.allclose(res(x), x + x @ lin.weight.data + lin.bias.data)
    with pytest.raises(ValueError, match="maps 3 features to 2"):
        Residual(Linear(3, 2))
    with pytest.raises(ValueError, match="keep the shape"):
        Residual(Sequential(Linear(3, 2)))(x.astype(np.float32))
    with pytest.raises(BackwardBeforeForwardError):
        Residual(Linear(3, 3)).backward(x)


# BatchNorm1d and LayerNorm behaviour

def test_batchnorm_training_normalises_and_eval_uses_running_stats(rng):
    bn = BatchNorm1d(3, momentum=0.1)
    x = (rng.standard_normal((64, 3)) * [1.0, 5.0, 0.1] + [2.0, -3.0, 10.0]).astype(np.float32)
    y = bn(x)
    assert y.dtype == np.float32
    # float32: the mean 10 of the third feature is known to ~1e-6, i.e. ~1e-5 of its std 0.1
    assert np.allclose(y.mean(axis=0), 0, atol=1e-4)
    assert np.allclose(y.var(axis=0), 1, atol=1e-3)
    assert np.allclose(bn.running_mean, 0.1 * x.mean(axis=0), rtol=1e-5)
    assert np.allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-5)
    bn.eval()
    single = bn(x[:1])  # batch of one is fine in eval
    expected = (x[:1] - bn.running_mean) / np.sqrt(bn.running_var + bn.eps)
    assert np.allclose(single, expected, rtol=1e-5)
    state = bn.state_dict()
    assert set(state) == {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
    assert int(state["num_batches_tracked"]) == 1


def test_batchnorm_errors():
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError, match="at least 2 examples"):
        bn(np.ones((1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 3\)"):
        bn(np.ones((4, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="2-D"):
        bn(np.ones((4, 3, 2), dtype=np.float32))
    with pytest.raises(BackwardBeforeForwardError):
        BatchNorm1d(3).backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm1d(0)


def test_batchnorm_state_dict_roundtrip(rng):
    a, b = BatchNorm1d(4), BatchNorm1d(4)
    for _ in range(3):
        a(rng.standard_normal((8, 4)).astype(np.float32) + 3)
    b.load_state_dict(a.state_dict())
    assert np.array_equal(a.running_mean, b.running_mean)
    assert np.array_equal(a.running_var, b.running_var)
    assert b.num_batches_tracked == 3
    assert b.running_var.dtype == np.float32
    x = rng.standard_normal((5, 4)).astype(np.float32)
    assert np.array_equal(a.eval()(x), b.eval()(x))


def test_layernorm_rows_are_normalised_and_batch_independent(rng):
    ln = LayerNorm(6)
    x = (rng.standard_normal((4, 6)) * 3 + 7).astype(np.float32)
    y = ln(x)
    assert np.allclose(y.mean(axis=1), 0, atol=1e-5)
    assert np.allclose(y.var(axis=1), 1, atol=1e-3)
    assert np.allclose(ln(x[2:3]), y[2:3], atol=1e-6)
    with pytest.raises(ValueError, match=r"\(\.\.\., 6\)"):
        ln(np.ones((2, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="last dimension"):
        LayerNorm((2, 3))


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_matches_pytorch(momentum, affine):
    torch = _torch()
    rng = np.random.default_rng(7)
    c = 5
    ours = BatchNorm1d(c, momentum=momentum, affine=affine, dtype=np.float64)
    ref = torch.nn.BatchNorm1d(c, momentum=momentum, affine=affine, dtype=torch.float64)
    if affine:
        gamma, beta = rng.uniform(0.5, 2, c), rng.standard_normal(c)
        ours.weight.data[...] = gamma
        ours.bias.data[...] = beta
        with torch.no_grad():
            ref.weight.copy_(torch.from_numpy(gamma))
            ref.bias.copy_(torch.from_numpy(beta))
    for step in range(6):
        n = 4 + 3 * step
        x = rng.standard_normal((n, c)) * rng.uniform(0.5, 3, c) + rng.standard_normal(c)
        g = rng.standard_normal((n, c))
        xt = torch.from_numpy(x).requires_grad_(True)
        yt = ref(xt)
        yt.backward(torch.from_numpy(g))
        if affine:
            ours.zero_grad()
        y = ours(x)
        dx = ours.backward(g)
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
        if affine:
            np.testing.assert_allclose(ours.weight.grad, ref.weight.grad.numpy(), rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(ours.bias.grad, ref.bias.grad.numpy(), rtol=1e-9, atol=1e-12)
            ref.weight.grad = None
            ref.bias.grad = None
        np.testing.assert_allclose(ours.running_mean, ref.running_mean.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ours.running_var, ref.running_var.numpy(), rtol=1e-12, atol=1e-14)
        assert ours.num_batches_tracked == int(ref.num_batches_tracked)
    ours.eval()
    ref.eval()
    x = rng.standard_normal((3, c))
    np.testing.assert_allclose(ours(x), ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_batchnorm_float32_matches_pytorch_running_stats():
    torch = _torch()
    rng = np.random.default_rng(3)
    ours, ref = BatchNorm1d(8), torch.nn.BatchNorm1d(8)
    for _ in range(20):
        x = (rng.standard_normal((32, 8)) * 2 + 1).astype(np.float32)
        ours(x)
        ref(torch.from_numpy(x))
    assert ours.running_mean.dtype == np.float32
    np.testing.assert_allclose(ours.running_mean, ref.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.running_var, ref.running_var.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(6, 7), (2, 3, 7)])
def test_layernorm_matches_pytorch(shape):
    torch = _torch()
    rng = np.random.default_rng(11)
    ours = LayerNorm(7, dtype=np.float64)
    ref = torch.nn.LayerNorm(7, dtype=torch.float64)
    gamma, beta = rng.uniform(0.5, 2, 7), rng.standard_normal(7)
    ours.weight.data[...] = gamma
    ours.bias.data[...] = beta
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(gamma))
        ref.bias.copy_(torch.from_numpy(beta))
    x = rng.standard_normal(shape) * 3 + 1
    g = rng.standard_normal(shape)
    xt = torch.from_numpy(x).requires_grad_(True)
    yt = ref(xt)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(ours(x), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.backward(g), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad, ref.weight.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.bias.grad, ref.bias.grad.numpy(), rtol=1e-9, atol=1e-12)


# penalties

@pytest.mark.parametrize("penalty", [l1_penalty, l2_penalty])
def test_penalty_gradient_matches_finite_differences(rng, penalty):
    model = _mlp(rng).astype(np.float64)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight") and p.data.ndim == 2]
    assert len(weights) == 2
    for w in weights:  # keep entries away from 0, where |w| has a kink
        w.data[np.abs(w.data) < 1e-3] = 0.01
    model.zero_grad()
    penalty(model, 0.3)
    for w in weights:
        def value(data, w=w):
            saved = w.data
            w.data = data
            try:
                return penalty(model, 0.3, accumulate_grad=False)
            finally:
                w.data = saved
        numeric = numerical_gradient(value, w.data.copy())
        np.testing.assert_allclose(w.grad, numeric, rtol=1e-6, atol=1e-8)


def test_penalty_values_and_what_is_penalised(rng):
    model = _mlp(rng)
    w0, w3 = model[0].weight.data, model[3].weight.data
    l2 = l2_penalty(model, 0.5, accumulate_grad=False)
    assert l2 == pytest.approx(0.5 * (np.sum(w0.astype(np.float64) ** 2) + np.sum(w3.astype(np.float64) ** 2)), rel=1e-6)
    l1 = l1_penalty(model, 0.5, accumulate_grad=False)
    assert l1 == pytest.approx(0.5 * (np.abs(w0).sum() + np.abs(w3).sum()), rel=1e-6)
    assert all(not p.grad.any() for p in model.parameters())

    l2_penalty(model, 0.5)
    named = dict(model.named_parameters())
    assert np.allclose(named["0.weight"].grad, 1.0 * w0)
    for name in ("0.bias", "3.bias", "1.weight", "1.bias", "4.weight", "4.bias"):
        assert not named[name].grad.any(), f"{name} must not be penalised by default"

    model.zero_grad()
    everything = l2_penalty(model, 0.5, include_bias=True)
    assert everything > l2
    for name, p in named.items():
        assert np.allclose(p.grad, 1.0 * p.data), name

    model.zero_grad()
    model[0].weight.requires_grad = False
    l1_penalty(model, 0.5)
    assert not model[0].weight.grad.any()
    assert np.array_equal(model[3].weight.grad, 0.5 * np.sign(w3))


def test_penalty_accepts_parameter_lists_and_validates(rng):
    b = Parameter(np.array([[1.0, -2.0]]))
    w = Parameter(np.array([[3.0], [-4.0]]))
    assert l2_penalty([b, w], 1.0) == pytest.approx(30.0)  # a plain list: every parameter counts
    assert np.allclose(b.grad, [[2.0, -4.0]])
    assert l1_penalty([("bias", b), ("weight", w)], 2.0, accumulate_grad=False) == pytest.approx(14.0)
    assert l1_penalty({"layer.weight": w}, 1.0, accumulate_grad=False) == pytest.approx(7.0)
    for lam in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="lam"):
            l2_penalty([w], lam)
    with pytest.raises(TypeError, match="lam must be a number"):
        l2_penalty([w], "0.1")
    with pytest.raises(TypeError, match="Parameter"):
        l1_penalty([np.ones(3)], 0.1)


# early stopping

def test_early_stopping_update_logic():
    stopper = EarlyStopping(patience=2, min_delta=0.05)
    # 0.8 improves on 1.0 by more than min_delta; 0.78 and 0.79 do not: two epochs without
    # improvement exhaust the patience
    assert [stopper.update(v) for v in (1.0, 0.8, 0.78, 0.79)] == [False, False, False, True]
    assert (stopper.best, stopper.best_epoch, stopper.stopped_epoch) == (0.8, 2, 4)
    stopper = EarlyStopping(patience=3, mode="max")
    for v in (0.5, 0.7, 0.6, 0.7, 0.65):
        stopped = stopper.update(v)
    assert stopped and stopper.best == 0.7 and stopper.best_epoch == 2
    with pytest.raises(ValueError):
        EarlyStopping(mode="best")
    with pytest.raises(ValueError):
        EarlyStopping(patience=-1)


def test_early_stopping_restores_best_weights(rng):
    model = Sequential(Linear(2, 2, rng=rng))
    stopper = EarlyStopping(patience=2)
    snapshots = []
    for epoch, value in enumerate([3.0, 2.0, 1.0, 1.5, 2.5], start=1):
        model[0].weight.data += 1.0  # stands in for an epoch of training
        snapshots.append(model[0].weight.data.copy())
        if stopper.update(value, model):
            break
    assert stopper.best_epoch == 3 and stopper.stopped_epoch == 5
    assert not np.array_equal(model[0].weight.data, snapshots[2])
    stopper.on_train_end(model, None)
    assert np.array_equal(model[0].weight.data, snapshots[2])


def test_early_stopping_in_fit_restores_the_best_epoch(rng):
    from mlcourse.data import make_moons
    from mlcourse.losses import CrossEntropyLoss
    from mlcourse.optim import SGD
    from mlcourse.train import Callback, evaluate, fit

    X, y = make_moons(120, noise=0.35, rng=0)
    Xv, yv = make_moons(200, noise=0.35, rng=1)
    model = Sequential(Linear(2, 64, rng=rng), ReLU(), Linear(64, 64, rng=rng), ReLU(), Linear(64, 2, rng=rng))

    class Recorder(Callback):
        def __init__(self):
            self.states = {}

        def on_epoch_end(self, epoch, logs, model):
            self.states[epoch] = model.state_dict()

    recorder, stopper = Recorder(), EarlyStopping(patience=4)
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.2, momentum=0.9), (X, y),
                  epochs=200, batch_size=16, val_data=(Xv, yv), callbacks=[recorder, stopper],
                  progress=False)
    best_epoch, best_value = history.best("val_loss")
    assert stopper.best_epoch == best_epoch
    assert stopper.stopped_epoch == len(history) < 200
    assert len(history) - best_epoch == 4
    for name, value in model.state_dict().items():
        assert np.array_equal(value, recorder.states[best_epoch][name])
    assert evaluate(model, CrossEntropyLoss(), Xv, yv)["loss"] == pytest.approx(best_value, rel=1e-6)


def test_early_stopping_without_validation_data_says_what_to_do(rng):
    from mlcourse.data import make_blobs
    from mlcourse.losses import CrossEntropyLoss
    from mlcourse.optim import SGD
    from mlcourse.train import fit

    X, y = make_blobs(40, rng=0)
    model = Sequential(Linear(2, 2, rng=rng))
    with pytest.raises(KeyError, match="pass val_data"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
            callbacks=[EarlyStopping()], progress=False)
