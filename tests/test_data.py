"""Tests of mlcourse.data: MNIST, synthetic sets, DataLoader, splits and the Standardizer."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mlcourse.data import mnist as mnist_module
from mlcourse.data import (
    MNIST_SHA256,
    ChecksumError,
    DataLoader,
    NotFittedError,
    Standardizer,
    kfold_indices,
    load_digits,
    load_mnist,
    make_blobs,
    make_circles,
    make_moons,
    make_regression_1d,
    make_spirals,
    make_xor,
    train_val_split,
)


# MNIST

def test_load_mnist_standard_split():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    train_counts, test_counts = np.bincount(y_train), np.bincount(y_test)
    assert len(train_counts) == 10 and len(test_counts) == 10
    assert (train_counts[0], train_counts[9]) == (5923, 5949)
    assert (test_counts[0], test_counts[9]) == (980, 1009)
    assert train_counts.sum() == 60000 and test_counts.sum() == 10000


def test_load_mnist_raw_flat_and_normalized():
    (x_raw, y_raw), _ = load_mnist(dtype=None, flatten=True)
    assert x_raw.dtype == np.uint8 and x_raw.shape == (60000, 784) and x_raw.max() == 255
    x_raw[0, 0] = 7  # a copy: the cached data must not change
    (x_again, _), _ = load_mnist(dtype=None, flatten=True)
    assert x_again[0, 0] == 0
    (x_float, _), _ = load_mnist(flatten=True)
    assert np.array_equal(x_float[1], x_again[1] / np.float32(255))
    (x_norm, _), (x_test_norm, _) = load_mnist(normalize=True, dtype=np.float64, subset=(3000, 3000))
    assert abs(x_norm.mean()) < 1e-9 and abs(x_norm.std() - 1) < 1e-9
    # the test images use the training statistics: close to standardised, but not exactly
    assert 0 < abs(x_test_norm.mean()) < 0.05 and 0 < abs(x_test_norm.std() - 1) < 0.05
    with pytest.raises(ValueError, match="floating dtype"):
        load_mnist(dtype=np.int32)
    with pytest.raises(ValueError, match="normalize"):
        load_mnist(dtype=None, normalize=True)


def test_load_mnist_subset_is_stratified_and_seeded():
    (x, y), (xt, yt) = load_mnist(subset=(1000, 300), seed=1)
    assert x.shape == (1000, 28, 28) and xt.shape == (300, 28, 28)
    (_, y_full), _ = load_mnist(dtype=None)
    expected = np.bincount(y_full) / len(y_full) * 1000
    assert np.all(np.abs(np.bincount(y, minlength=10) - expected) < 1)
    (x2, y2), _ = load_mnist(subset=(1000, 300), seed=1)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    (x3, _), _ = load_mnist(subset=(1000, 300), seed=2)
    assert not np.array_equal(x, x3)
    (x4, _), (x4t, _) = load_mnist(subset=600)
    assert len(x4) == 600 and len(x4t) == 100
    with pytest.raises(ValueError, match="between 1 and 60000"):
        load_mnist(subset=(70000, 10))
    with pytest.raises(ValueError, match="subset"):
        load_mnist(subset="all")


def test_load_mnist_checksum_failure_on_a_damaged_copy(tmp_path):
    original = mnist_module._default_mnist_path()
    copy = tmp_path / "mnist.npz"
    shutil.copyfile(original, copy)
    with open(copy, "r+b") as f:
        f.seek(-100, 2)
        byte = f.read(1)
        f.seek(-100, 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ChecksumError) as info:
        load_mnist(path=copy)
    message = str(info.value)
    assert MNIST_SHA256 in message
    actual = mnist_module._sha256(copy)
    assert actual != MNIST_SHA256 and actual in message


def test_load_mnist_intact_copy_verifies(tmp_path):
    copy = tmp_path / "mnist.npz"
    shutil.copyfile(mnist_module._default_mnist_path(), copy)
    (x, y), _ = load_mnist(path=copy, subset=(50, 10))
    assert x.shape == (50, 28, 28)


def test_load_digits_shapes():
    for size in (7, 8, 14):
        (x, y), (xt, yt) = load_digits(size=size, subset=(200, 50))
        assert x.shape == (200, size * size) and xt.shape == (50, size * size)
        assert 0.0 <= x.min() and x.max() <= 1.0
    with pytest.raises(ValueError):
        load_digits(size=10)


# synthetic sets

@pytest.mark.parametrize("make, n_classes", [
    (make_xor, 2), (make_moons, 2), (make_circles, 2), (make_blobs, 2),
    (lambda n, noise, rng: make_spirals(n, n_classes=3, noise=noise, rng=rng), 3),
])
def test_synthetic_classification_sets(make, n_classes):
    X, y = make(n=301, noise=0.1, rng=5)
    assert X.dtype == np.float32 and X.shape == (301, 2)
    assert y.dtype == np.int64 and y.shape == (301,)
    counts = np.bincount(y)
    assert len(counts) == n_classes and counts.max() - counts.min() <= 1
    X2, y2 = make(n=301, noise=0.1, rng=5)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make(n=301, noise=0.1, rng=6)
    assert not np.array_equal(X, X3)


def test_xor_labels_follow_the_corners():
    X, y = make_xor(200, noise=0.0, rng=0)
    assert np.array_equal(y, (X[:, 0].astype(int) ^ X[:, 1].astype(int)))


def test_blobs_are_linearly_separable():
    X, y = make_blobs(400, centers=2, rng=0)
    # the two centres are (3, 0) and (-3, 0); the line x1 = 0 separates them
    assert np.all((X[:, 0] > 0) == (y == 0))
    X4, y4 = make_blobs(100, centers=np.array([[0.0, 0, 0], [5, 5, 5]]), noise=0.1, rng=0)
    assert X4.shape == (100, 3)
    with pytest.raises(ValueError, match="centers"):
        make_blobs(10, centers=np.zeros(3))


def test_circles_radii_and_regression():
    X, y = make_circles(200, noise=0.0, factor=0.3, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0, atol=1e-6) and np.allclose(r[y == 1], 0.3, atol=1e-6)
    X, y = make_regression_1d(50, f=lambda x: 2 * x + 1, noise=0.0, rng=0)
    assert X.shape == (50, 1) and y.shape == (50, 1) and y.dtype == np.float32
    assert np.allclose(y, 2 * X + 1, atol=1e-5)
    assert np.all(np.diff(X[:, 0]) >= 0)
    for bad in (dict(n=0), dict(noise=-1.0)):
        with pytest.raises(ValueError):
            make_moons(**bad)


# DataLoader

def _collect(loader):
    xs, ys = zip(*loader)
    return list(xs), list(ys)


def test_dataloader_every_example_once_per_epoch():
    X = np.arange(103, dtype=np.float32).reshape(-1, 1)
    y = np.arange(103)
    loader = DataLoader(X, y, batch_size=10, rng=0)
    assert len(loader) == 11
    epochs = []
    for _ in range(3):
        xs, ys = _collect(loader)
        assert [len(b) for b in ys] == [10] * 10 + [3]
        order = np.concatenate(ys)
        assert np.array_equal(np.sort(order), y)
        assert np.array_equal(np.concatenate(xs)[:, 0], order.astype(np.float32))  # pairs kept
        epochs.append(order)
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])


def test_dataloader_same_seed_same_order_and_no_shuffle():
    X, y = np.zeros((50, 2), dtype=np.float32), np.arange(50)
    a = [np.concatenate(_collect(DataLoader(X, y, 8, rng=3))[1]) for _ in range(2)]
    assert np.array_equal(a[0], a[1])
    first_two_epochs = DataLoader(X, y, 8, rng=3)
    b = [np.concatenate(_collect(first_two_epochs)[1]) for _ in range(2)]
    again = DataLoader(X, y, 8, rng=3)
    c = [np.concatenate(_collect(again)[1]) for _ in range(2)]
    assert all(np.array_equal(p, q) for p, q in zip(b, c))
    plain = np.concatenate(_collect(DataLoader(X, y, 8, shuffle=False))[1])
    assert np.array_equal(plain, y)


def test_dataloader_drop_last_and_errors():
    X, y = np.zeros((25, 3), dtype=np.float32), np.arange(25)
    loader = DataLoader(X, y, batch_size=10, drop_last=True, rng=0)
    assert len(loader) == 2
    ys = _collect(loader)[1]
    assert [len(b) for b in ys] == [10, 10]
    assert len(np.unique(np.concatenate(ys))) == 20
    with pytest.raises(ValueError, match="same number of examples"):
        DataLoader(X, y[:-1])
    for bad in (0, -3):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            DataLoader(X, y, batch_size=bad)
    for bad in (2.5, True):
        with pytest.raises(TypeError, match="batch_size must be a positive integer"):
            DataLoader(X, y, batch_size=bad)
    with pytest.raises(ValueError, match="no batch"):
        DataLoader(X, y, batch_size=30, drop_last=True)
    assert "batches=3" in repr(DataLoader(X, y, batch_size=10))


# splits

def test_train_val_split_sizes_disjoint_and_seeded():
    X = np.arange(100, dtype=np.float32).reshape(-1, 1)
    y = np.arange(100) % 3
    (Xt, yt), (Xv, yv) = train_val_split(X, y, 0.25, rng=0)
    assert len(Xt) == 75 and len(Xv) == 25
    assert set(Xt[:, 0]).isdisjoint(Xv[:, 0]) and len(set(Xt[:, 0]) | set(Xv[:, 0])) == 100
    assert np.array_equal(yv, Xv[:, 0].astype(int) % 3)
    (_, _), (Xv2, _) = train_val_split(X, y, 0.25, rng=0)
    assert np.array_equal(Xv, Xv2)
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(X, y, 1.0)
    with pytest.raises(ValueError, match="same number"):
        train_val_split(X, y[:10])


def test_stratified_split_keeps_class_ratios():
    y = np.repeat([0, 1, 2], [500, 300, 200])
    X = np.arange(len(y), dtype=np.float32).reshape(-1, 1)
    (_, yt), (_, yv) = train_val_split(X, y, 0.2, rng=1, stratify=True)
    assert np.array_equal(np.bincount(yv), [100, 60, 40])
    assert np.array_equal(np.bincount(yt), [400, 240, 160])
    (_, yt_plain), (_, yv_plain) = train_val_split(X, y, 0.2, rng=1)
    assert len(yv_plain) == 200


@pytest.mark.parametrize("n, k, shuffle", [(10, 5, True), (23, 4, True), (7, 7, False), (100, 3, True)])
def test_kfold_partitions_the_data(n, k, shuffle):
    folds = list(kfold_indices(n, k, shuffle=shuffle, rng=0))
    assert len(folds) == k
    vals = [val for _, val in folds]
    assert np.array_equal(np.sort(np.concatenate(vals)), np.arange(n))
    sizes = [len(v) for v in vals]
    assert max(sizes) - min(sizes) <= 1
    for train, val in folds:
        assert np.intersect1d(train, val).size == 0
        assert np.array_equal(np.union1d(train, val), np.arange(n))
    if not shuffle:
        assert np.array_equal(vals[0], [0])


def test_kfold_errors():
    with pytest.raises(ValueError, match="k=5"):
        list(kfold_indices(3, 5))
    with pytest.raises(ValueError):
        list(kfold_indices(10, 1))


# Standardizer

def test_standardizer_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal([5.0, -2.0, 0.0], [2.0, 0.5, 1.0], size=(200, 3)).astype(np.float32)
    X_train[:, 2] = 4.0  # constant feature
    X_test = rng.normal(10.0, 3.0, size=(50, 3)).astype(np.float32)
    scaler = Standardizer().fit(X_train)
    Z = scaler.transform(X_train)
    assert Z.dtype == np.float32
    assert np.allclose(Z[:, :2].mean(axis=0), 0, atol=1e-5) and np.allclose(Z[:, :2].std(axis=0), 1, atol=1e-5)
    assert np.all(Z[:, 2] == 0)
    Zt = scaler.transform(X_test)
    expected = (X_test - X_train.mean(axis=0, dtype=np.float64)) / np.where(
        X_train.std(axis=0, dtype=np.float64) > 0, X_train.std(axis=0, dtype=np.float64), 1)
    assert np.allclose(Zt, expected, atol=1e-5)
    assert np.allclose(scaler.inverse_transform(Zt), X_test, atol=1e-4)
    assert np.allclose(Standardizer().fit_transform(X_train), Z)


def test_standardizer_errors():
    with pytest.raises(NotFittedError, match="before fit"):
        Standardizer().transform(np.ones((2, 2)))
    scaler = Standardizer().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="2 features"):
        scaler.transform(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        scaler.transform(np.ones(3))
