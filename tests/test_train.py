"""Tests of mlcourse.train: fit, History, evaluate, accuracy, predict."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.activations import ReLU, Tanh
from mlcourse.data import DataLoader, make_moons, make_regression_1d, make_spirals
from mlcourse.layers import Linear
from mlcourse.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from mlcourse.module import Sequential
from mlcourse.optim import SGD, Adam
from mlcourse.regularization import Dropout, l2_penalty
from mlcourse.schedules import StepLR
from mlcourse.train import (
    Callback,
    History,
    TrainingDivergedError,
    accuracy,
    clip_grad_norm_,
    evaluate,
    fit,
    predict,
    predict_logits,
    predict_proba,
)


def _classifier(seed: int = 0, hidden: int = 32, out: int = 3) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(Linear(2, hidden, rng=rng), ReLU(), Linear(hidden, hidden, rng=rng), ReLU(),
                      Linear(hidden, out, rng=rng))


@pytest.fixture(scope="module")
def spirals():
    X, y = make_spirals(600, n_classes=3, noise=0.1, rng=0)
    return (X[:480], y[:480]), (X[480:], y[480:])


def test_fit_learns_spirals_and_fills_history(spirals):
    (X, y), (Xv, yv) = spirals
    model = _classifier()
    history = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), (X, y), epochs=30,
                  batch_size=32, val_data=(Xv, yv), progress=False)
    assert isinstance(history, History) and len(history) == 30
    assert history.epoch == list(range(1, 31))
    assert set(history.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_time"}
    for key in history.keys():
        assert len(history[key]) == 30
    assert history.loss[-1] < 0.3 * history.loss[0]
    assert history.accuracy[-1] > 0.9 and history.val_accuracy[-1] > 0.85
    assert history.lr == [0.01] * 30
    assert all(t > 0 for t in history.epoch_time)
    assert len(history.batch_loss) == 30 * 15
    # the epoch loss is the example-weighted mean of that epoch's batch losses (15 equal batches)
    assert history.loss[0] == pytest.approx(np.mean(history.batch_loss[:15]), rel=1e-9)
    final = evaluate(model, CrossEntropyLoss(), Xv, yv)
    assert final["loss"] == pytest.approx(history.val_loss[-1], rel=1e-9)
    assert final["accuracy"] == history.val_accuracy[-1]
    assert history.best("val_accuracy")[1] == max(history.val_accuracy)
    assert "epochs=30" in repr(history)


def test_fit_is_deterministic_for_a_seed(spirals):
    (X, y), _ = spirals
    runs = []
    for _ in range(2):
        model = _classifier(seed=1)
        runs.append(fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1, momentum=0.9), (X, y),
                        epochs=3, batch_size=50, seed=7, progress=False).batch_loss)
    assert runs[0] == runs[1]
    model = _classifier(seed=1)
    other = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1, momentum=0.9), (X, y),
                epochs=3, batch_size=50, seed=8, progress=False).batch_loss
    assert other != runs[0]


def test_fit_with_a_dataloader_and_history_continuation(spirals):
    (X, y), _ = spirals
    model = _classifier()
    opt = SGD(model.parameters(), lr=0.05)
    loader = DataLoader(X, y, batch_size=100, rng=0)
    history = fit(model, CrossEntropyLoss(), opt, loader, epochs=2, progress=False)
    assert len(history.batch_loss) == 2 * 5
    history = fit(model, CrossEntropyLoss(), opt, loader, epochs=3, history=history, progress=False)
    assert history.epoch == [1, 2, 3, 4, 5] and len(history.loss) == 5
    with pytest.raises(ValueError, match="batch_size applies"):
        fit(model, CrossEntropyLoss(), opt, loader, epochs=1, batch_size=10, progress=False)


def test_diverging_training_raises_a_clear_error():
    X, y = make_regression_1d(64, noise=0.1, rng=0)
    X = 100.0 * X  # unscaled inputs make a learning rate of 1 far too large
    model = Sequential(Linear(1, 16, rng=np.random.default_rng(0)), Tanh(), Linear(16, 1, rng=np.random.default_rng(1)))
    with pytest.raises(TrainingDivergedError) as info:
        fit(model, MSELoss(), SGD(model.parameters(), lr=1.0), (X, y), epochs=50, batch_size=16,
            progress=False)
    error = info.value
    assert isinstance(error, FloatingPointError)
    message = str(error)
    assert f"epoch {error.epoch}/50" in message and f"step {error.step}" in message
    assert "smaller" in message and "learning rate (1)" in message
    assert error.step == (error.epoch - 1) * 4 + error.batch


def test_divergence_inside_the_forward_pass_is_reported_too():
    X, y = make_spirals(64, rng=0)
    X = 1e3 * X
    model = _classifier()
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+/20, batch \d+/4"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=1e4), (X, y), epochs=20,
            batch_size=16, progress=False)


def test_progress_false_prints_nothing_and_true_draws_a_bar(spirals, capsys):
    (X, y), (Xv, yv) = spirals
    model = _classifier()
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05), (X, y), epochs=2,
        val_data=(Xv, yv), progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05), (X, y), epochs=2,
        val_data=(Xv, yv), progress=True)
    captured = capsys.readouterr()
    assert "epoch 2/2" in captured.err and "val_loss" in captured.err
    with pytest.raises(ValueError, match="progress"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05), (X, y), progress="yes")


def test_scheduler_per_epoch_and_per_batch(spirals):
    (X, y), _ = spirals
    model = _classifier()
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, CrossEntropyLoss(), opt, (X, y), epochs=3, batch_size=240,
                  scheduler=StepLR(opt, step_size=1, gamma=0.5), progress=False)
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])
    assert history.batch_lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])

    model = _classifier()
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, CrossEntropyLoss(), opt, (X, y), epochs=3, batch_size=240,
                  scheduler=StepLR(opt, step_size=1, gamma=0.5), scheduler_step="batch", progress=False)
    assert history.batch_lr == pytest.approx([0.1 * 0.5 ** k for k in range(6)])
    assert history.lr == pytest.approx([0.1, 0.025, 0.00625])
    with pytest.raises(ValueError, match="scheduler_step"):
        fit(model, CrossEntropyLoss(), opt, (X, y), scheduler_step="step", progress=False)


def test_callbacks_are_called_and_can_stop(spirals):
    (X, y), _ = spirals
    calls = []

    class Spy(Callback):
        def on_train_begin(self, model, history):
            calls.append("begin")

        def on_epoch_begin(self, epoch, model):
            calls.append(f"epoch {epoch}")
            assert model.training

        def on_batch_end(self, step, logs, model):
            calls.append("batch")

        def on_epoch_end(self, epoch, logs, model):
            calls.append(f"end {epoch}: {sorted(logs)}")
            return epoch == 2

        def on_train_end(self, model, history):
            calls.append("done")

    model = _classifier()
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05), (X, y), epochs=10,
                  batch_size=240, callbacks=[Spy()], progress=False)
    assert len(history) == 2
    logs = "['accuracy', 'epoch_time', 'loss', 'lr']"
    assert calls == ["begin", "epoch 1", "batch", "batch", f"end 1: {logs}",
                     "epoch 2", "batch", "batch", f"end 2: {logs}", "done"]


def test_metrics_regression_and_custom():
    X, y = make_regression_1d(80, rng=0)
    model = Sequential(Linear(1, 16, rng=np.random.default_rng(0)), Tanh(), Linear(16, 1, rng=np.random.default_rng(1)))

    def mae(out, target):
        return float(np.mean(np.abs(out - target)))

    history = fit(model, MSELoss(), Adam(model.parameters(), lr=0.01), (X, y), epochs=3, batch_size=16,
                  val_data=(X, y), metrics=[mae], progress=False)
    assert set(history.keys()) == {"loss", "mae", "val_loss", "val_mae", "lr", "epoch_time"}
    history = fit(model, MSELoss(), Adam(model.parameters(), lr=0.01), (X, y), epochs=1, progress=False)
    assert "accuracy" not in history
    with pytest.raises(ValueError, match="non-integer"):
        fit(model, MSELoss(), Adam(model.parameters(), lr=0.01), (X, y), metrics="accuracy", progress=False)
    with pytest.raises(ValueError, match="unknown metric"):
        fit(model, MSELoss(), Adam(model.parameters(), lr=0.01), (X, y), metrics="f1", progress=False)


def test_binary_accuracy_uses_the_threshold_of_the_loss():
    X, y = make_moons(200, noise=0.1, rng=0)
    target = y[:, None].astype(np.float32)
    rng = np.random.default_rng(0)
    model = Sequential(Linear(2, 16, rng=rng), Tanh(), Linear(16, 1, rng=rng))
    history = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.02), (X, target), epochs=40,
                  batch_size=32, progress=False)
    logits = predict_logits(model, X)
    assert history.accuracy[-1] > 0.9
    assert evaluate(model, BCEWithLogitsLoss(), X, target)["accuracy"] == accuracy(logits, y, threshold=0.0)
    assert np.array_equal(predict(model, X, threshold=0.0), (logits[:, 0] > 0).astype(np.int64))
    p = predict_proba(model, X)
    assert np.allclose(p, 1 / (1 + np.exp(-logits.astype(np.float64))))


def test_regularizer_and_gradient_clipping(spirals):
    (X, y), _ = spirals
    plain, decayed = _classifier(seed=3), _classifier(seed=3)
    fit(plain, CrossEntropyLoss(), SGD(plain.parameters(), lr=0.1), (X, y), epochs=5, progress=False)
    history = fit(decayed, CrossEntropyLoss(), SGD(decayed.parameters(), lr=0.1), (X, y), epochs=5,
                  regularizer=lambda m: l2_penalty(m, 0.05), progress=False)
    assert "penalty" in history and history.penalty[-1] < history.penalty[0]
    norm = lambda m: sum(float(np.sum(m[i].weight.data ** 2)) for i in (0, 2, 4))  # noqa: E731
    assert norm(decayed) < norm(plain)

    model = _classifier(seed=4)
    before = [p.data.copy() for p in model.parameters()]
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=1.0), (X, y), epochs=1, batch_size=48,
        grad_clip=0.01, progress=False)
    moved = np.sqrt(sum(np.sum((p.data - b) ** 2) for p, b in zip(model.parameters(), before)))
    assert moved <= 10 * 1.0 * 0.01 * (1 + 1e-4)  # 10 steps, each of length at most lr * clip


def test_clip_grad_norm():
    rng = np.random.default_rng(0)
    model = _classifier()
    for p in model.parameters():
        p.grad[...] = rng.standard_normal(p.shape)
    total = np.sqrt(sum(np.sum(p.grad.astype(np.float64) ** 2) for p in model.parameters()))
    assert clip_grad_norm_(model.parameters(), 1.0) == pytest.approx(total, rel=1e-5)
    after = np.sqrt(sum(np.sum(p.grad.astype(np.float64) ** 2) for p in model.parameters()))
    assert after == pytest.approx(1.0, rel=1e-4)
    assert clip_grad_norm_(model.parameters(), 10.0) == pytest.approx(after, rel=1e-5)
    with pytest.raises(ValueError):
        clip_grad_norm_(model.parameters(), 0.0)


def test_evaluate_restores_modes_and_does_not_depend_on_batch_size(spirals):
    (X, y), _ = spirals
    model = Sequential(Linear(2, 16, rng=np.random.default_rng(0)), Dropout(0.5, rng=0), ReLU(),
                       Linear(16, 3, rng=np.random.default_rng(1)))
    model.train()
    model[2].eval()  # a sub-module with its own mode must keep it
    a = evaluate(model, CrossEntropyLoss(), X, y, batch_size=1024)
    b = evaluate(model, CrossEntropyLoss(), X, y, batch_size=7)
    assert a["loss"] == pytest.approx(b["loss"], rel=1e-6) and a["accuracy"] == b["accuracy"]
    assert model.training and model[1].training and not model[2].training
    predict(model, X)
    assert model[1].training
    model.eval()
    predict(model, X)
    assert not model.training
    with pytest.raises(ValueError, match="same number"):
        evaluate(model, CrossEntropyLoss(), X, y[:5])


def test_accuracy_function():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 1.0], [5.0, 0.0, 0.0]])
    labels = np.array([0, 1, 1, 0])
    assert accuracy(logits, labels) == 0.75
    assert accuracy(logits, np.eye(3)[labels]) == 0.75
    assert accuracy(np.array([0.2, 0.7, 0.6]), np.array([0, 1, 0])) == pytest.approx(2 / 3)
    assert accuracy(np.array([[-1.0], [0.5]]), np.array([[0.0], [1.0]]), threshold=0.0) == 1.0
    with pytest.raises(ValueError, match="one row per example"):
        accuracy(logits, labels[:3])
    with pytest.raises(ValueError, match="do not fit"):
        accuracy(logits, np.zeros((4, 2)))


def test_predict_and_probabilities(spirals):
    (X, y), _ = spirals
    model = _classifier()
    logits = predict_logits(model, X, batch_size=100)
    assert logits.shape == (len(X), 3)
    assert np.array_equal(predict(model, X), logits.argmax(axis=1))
    p = predict_proba(model, X)
    assert np.allclose(p.sum(axis=1), 1) and np.array_equal(p.argmax(axis=1), logits.argmax(axis=1))
    with pytest.raises(ValueError, match="batch_size"):
        predict(model, X, batch_size=0)


def test_history_plot_labels_everything(spirals):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (X, y), (Xv, yv) = spirals
    model = _classifier()
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05), (X, y), epochs=3,
                  val_data=(Xv, yv), progress=False)
    axes = history.plot()
    assert len(axes) == 2
    for ax, name in zip(axes, ("loss", "accuracy")):
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == name and ax.get_title()
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["training", "validation"]
        assert len(ax.lines) == 2 and list(ax.lines[0].get_xdata()) == [1, 2, 3]
    fig, ax = plt.subplots()
    assert history.plot(ax=ax, metrics="lr")[0] is ax
    with pytest.raises(ValueError, match="Axes"):
        history.plot(ax=ax)
    with pytest.raises(ValueError, match="nothing recorded"):
        history.plot(metrics=["f1"])
    plt.close("all")


def test_first_layer_built_without_input_gradient_trains_identically_and_fit_leaves_it(spirals):
    # skipping dL/dX is chosen when the layer is built; fit never changes the model
    (X, y), _ = spirals
    X = X.astype(np.float64)

    def run(input_grad):
        rng = np.random.default_rng(0)
        first = Linear(2, 8, rng=rng, dtype=np.float64, input_grad=input_grad)
        model = Sequential(first, ReLU(), Linear(8, 3, rng=rng, dtype=np.float64))
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
            progress=False)
        return model, first

    skipping, first = run(False)
    full, first_full = run(True)
    assert first.input_grad is False and first_full.input_grad is True  # untouched by fit
    for (name, a), (_, b) in zip(skipping.named_parameters(), full.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_linear_without_input_gradient_returns_none_and_still_accumulates():
    rng = np.random.default_rng(1)
    layer = Linear(3, 2, rng=rng, dtype=np.float64, input_grad=False)
    x, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer(x)
    assert layer.backward(g) is None
    np.testing.assert_allclose(layer.weight.grad, x.T @ g)
    assert "input_grad=False" in repr(layer)
    layer.needs_input_grad = True  # the older name of the same switch
    assert layer.input_grad is True


def test_a_layer_skipping_its_input_gradient_may_only_come_first():
    rng = np.random.default_rng(2)
    model = Sequential(Linear(3, 3, rng=rng), ReLU(), Linear(3, 2, rng=rng, input_grad=False))
    model(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="only the first layer of a model may skip it"):
        model.backward(np.ones((2, 2), dtype=np.float32))


def test_fit_input_validation(spirals):
    (X, y), _ = spirals
    model = _classifier()
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="same number"):
        fit(model, CrossEntropyLoss(), opt, (X, y[:-1]), progress=False)
    with pytest.raises(TypeError, match="DataLoader or a tuple"):
        fit(model, CrossEntropyLoss(), opt, X, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, CrossEntropyLoss(), opt, (X, y), epochs=-1, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        fit(model, CrossEntropyLoss(), opt, (X, y), batch_size=0, progress=False)
    with pytest.raises(TypeError, match="Module"):
        fit(lambda x: x, CrossEntropyLoss(), opt, (X, y), progress=False)
    assert len(fit(model, CrossEntropyLoss(), opt, (X, y), epochs=0, progress=False)) == 0
