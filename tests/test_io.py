"""Tests of mlcourse.io: saving and loading state dicts as .npz files."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.activations import ReLU
from mlcourse.io import StateDictMismatchError, load, load_state, save
from mlcourse.layers import Linear
from mlcourse.module import Sequential
from mlcourse.regularization import BatchNorm1d


def _model(seed: int, hidden: int = 8) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(Linear(4, hidden, rng=rng), BatchNorm1d(hidden), ReLU(), Linear(hidden, 3, rng=rng))


def test_save_and_load_roundtrip(tmp_path):
    model = _model(0)
    model(np.random.default_rng(1).standard_normal((16, 4)).astype(np.float32))  # running statistics
    path = save(model, tmp_path / "weights")
    assert path == tmp_path / "weights.npz" and path.is_file()
    with np.load(path) as npz:
        assert set(npz.files) == set(model.state_dict())

    other = _model(42)
    x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
    assert not np.allclose(other.eval()(x), model.eval()(x))
    assert load(other, tmp_path / "weights") is other
    for name, value in model.state_dict().items():
        loaded = other.state_dict()[name]
        assert loaded.dtype == value.dtype and np.array_equal(loaded, value), name
    assert np.array_equal(other(x), model(x))
    assert other[1].num_batches_tracked == 1


def test_save_keeps_an_npz_suffix_and_accepts_state_dicts(tmp_path):
    model = _model(0)
    path = save(model.state_dict(), tmp_path / "w.npz")
    assert path.name == "w.npz"
    state = load_state(path)
    assert list(state) == list(model.state_dict())
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(model, tmp_path / "missing_dir" / "w")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load(model, tmp_path / "nothing.npz")
    with pytest.raises(TypeError, match="Module"):
        load(str(path), path)


def test_load_lists_every_mismatch_and_changes_nothing(tmp_path):
    path = save(_model(0, hidden=8), tmp_path / "small")
    bigger = _model(1, hidden=16)
    before = bigger.state_dict()
    with pytest.raises(StateDictMismatchError) as info:
        load(bigger, path)
    message = str(info.value)
    for name in ("0.weight", "0.bias", "1.running_mean", "3.weight"):
        assert name in message
    assert "model (4, 16), file (4, 8)" in message
    for name, value in bigger.state_dict().items():
        assert np.array_equal(value, before[name])

    plain = Sequential(Linear(4, 8), ReLU(), Linear(8, 3))
    with pytest.raises(StateDictMismatchError) as info:
        load(plain, path)
    message = str(info.value)
    assert "not in the model: 1.weight, 1.bias, 1.running_mean" in message
    assert "missing in the file: 2.weight, 2.bias" in message


def test_non_strict_load_takes_what_fits(tmp_path):
    source = Sequential(Linear(4, 8, rng=np.random.default_rng(0)), ReLU())
    path = save(source, tmp_path / "body")
    target = Sequential(Linear(4, 8, rng=np.random.default_rng(1)), ReLU(), Linear(8, 2, rng=np.random.default_rng(2)))
    head = target[2].weight.data.copy()
    load(target, path, strict=False)
    assert np.array_equal(target[0].weight.data, source[0].weight.data)
    assert np.array_equal(target[2].weight.data, head)
