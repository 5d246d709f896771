"""Tests of dlnotes.data against itertools, direct margin checks, LP feasibility and scikit-learn."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sklearn.datasets
from scipy.optimize import linprog

from dlnotes.data import (
    boolean_dataset,
    boolean_inputs,
    linearly_separable,
    load_digits,
    make_circles,
    make_moons,
    xor_dataset,
)

# --------------------------------------------------------------------------------------------
# Boolean functions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("encoding,values", [("pm1", (-1, 1)), ("01", (0, 1))])
def test_boolean_inputs_order_is_itertools_product(n, encoding, values):
    X = boolean_inputs(n, encoding)
    expected = np.array(list(itertools.product(values, repeat=n)), dtype=float)
    assert X.dtype == np.float64 and X.shape == (2**n, n)
    np.testing.assert_array_equal(X, expected)


def test_boolean_inputs_default_is_pm1():
    np.testing.assert_array_equal(boolean_inputs(2), [[-1, -1], [-1, 1], [1, -1], [1, 1]])


def test_boolean_dataset_and_or():
    X, y = boolean_dataset([0, 0, 0, 1], encoding="01")
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 0, 0, 1])
    assert y.dtype == np.float64
    # the table is f evaluated on the rows, e.g. OR of 3 inputs
    table = [int(any(r)) for r in itertools.product((0, 1), repeat=3)]
    X, y = boolean_dataset(np.array(table, dtype=bool))
    np.testing.assert_array_equal(X, np.array(list(itertools.product((-1, 1), repeat=3)), dtype=float))
    np.testing.assert_array_equal(y, (X == 1).any(axis=1).astype(float))


def test_boolean_dataset_does_not_alias_input():
    table = np.array([0.0, 1.0])
    _, y = boolean_dataset(table)
    y[0] = 5.0
    assert table[0] == 0.0


def test_boolean_errors():
    with pytest.raises(ValueError, match="boolean_inputs: n must be >= 1, got 0"):
        boolean_inputs(0)
    with pytest.raises(ValueError, match=r"boolean_inputs: n must be <= 20.*got 21"):
        boolean_inputs(21)
    with pytest.raises(TypeError, match="boolean_inputs: n must be an int, got float"):
        boolean_inputs(2.0)
    with pytest.raises(ValueError, match="boolean_inputs: encoding must be one of"):
        boolean_inputs(2, encoding="bits")
    with pytest.raises(ValueError, match="boolean_dataset: truth_table must have a length that is a power of two.*got length 3"):
        boolean_dataset([0, 1, 1])
    with pytest.raises(ValueError, match="boolean_dataset: truth_table must have a length that is a power of two.*got length 1"):
        boolean_dataset([1])
    with pytest.raises(ValueError, match=r"boolean_dataset: truth_table must contain only 0 and 1, got value\(s\) \[2.0\]"):
        boolean_dataset([0, 1, 2, 1])
    with pytest.raises(ValueError, match="boolean_dataset: truth_table must be 1-D"):
        boolean_dataset([[0, 1], [1, 0]])


# --------------------------------------------------------------------------------------------
# linearly separable data
# --------------------------------------------------------------------------------------------


def _lp_separable(X, y):
    """Is there (w, b) with y_i (w . x_i + b) >= 1 for all i? (a feasibility LP)."""
    n, d = X.shape
    A_ub = -y[:, None] * np.column_stack([X, np.ones(n)])
    res = linprog(np.zeros(d + 1), A_ub=A_ub, b_ub=-np.ones(n), bounds=[(None, None)] * (d + 1), method="highs")
    return res.status == 0


@pytest.mark.parametrize("n_samples,n_features,margin,box", [(100, 2, 0.1, 1.0), (60, 5, 0.05, 2.0), (30, 1, 0.2, 1.0), (200, 3, 0.0, 1.0)])
def test_linearly_separable_margin_norm_classes(n_samples, n_features, margin, box):
    X, y, w = linearly_separable(n_samples, n_features, margin, rng=7, box=box)
    assert X.shape == (n_samples, n_features) and X.dtype == np.float64
    assert y.shape == (n_samples,) and w.shape == (n_features + 1,)
    assert np.linalg.norm(w) == pytest.approx(1.0, abs=1e-12)
    assert set(np.unique(y)) == {-1.0, 1.0}
    assert np.all(np.abs(X) <= box)
    functional = y * (X @ w[:-1] + w[-1])
    assert np.all(functional >= margin) and np.all(functional > 0)
    assert _lp_separable(X, y)


def test_linearly_separable_is_reproducible_and_seed_dependent():
    a = linearly_separable(50, 3, 0.1, rng=123)
    b = linearly_separable(50, 3, 0.1, rng=123)
    c = linearly_separable(50, 3, 0.1, rng=124)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    for u, v in zip(linearly_separable(20, 2, 0.1, rng=g1), linearly_separable(20, 2, 0.1, rng=g2)):
        np.testing.assert_array_equal(u, v)


def test_linearly_separable_two_points_always_have_both_classes():
    for seed in range(30):
        _, y, _ = linearly_separable(2, 2, 0.3, rng=seed)
        assert sorted(y.tolist()) == [-1.0, 1.0]
    X, y, w = linearly_separable(1, 4, 0.1, rng=0)
    assert X.shape == (1, 4) and y[0] * (X[0] @ w[:-1] + w[-1]) >= 0.1


def test_linearly_separable_errors():
    with pytest.raises(ValueError, match="linearly_separable: margin must be >= 0, got -0.1"):
        linearly_separable(10, 2, -0.1, rng=0)
    with pytest.raises(ValueError, match="linearly_separable: margin=5.0 is too large for box=1.0"):
        linearly_separable(10, 2, 5.0, rng=0)
    with pytest.raises(ValueError, match="linearly_separable: n_samples must be >= 1, got 0"):
        linearly_separable(0, 2, 0.1)
    with pytest.raises(ValueError, match="linearly_separable: box must be > 0"):
        linearly_separable(5, 2, 0.1, box=0.0)
    with pytest.raises(TypeError, match="linearly_separable: rng must be a numpy.random.Generator"):
        linearly_separable(5, 2, 0.1, rng="seed")
    with pytest.raises(TypeError, match="linearly_separable: n_features must be an int"):
        linearly_separable(5, 2.5, 0.1)


# --------------------------------------------------------------------------------------------
# XOR
# --------------------------------------------------------------------------------------------


def test_xor_exact_corners_and_labels():
    X, y = xor_dataset()
    np.testing.assert_array_equal(X, np.array(list(itertools.product((0, 1), repeat=2)), dtype=float))
    expected = np.array([a ^ b for a, b in itertools.product((0, 1), repeat=2)], dtype=float)
    np.testing.assert_array_equal(y, 2 * expected - 1)
    _, y01 = xor_dataset(labels="01")
    np.testing.assert_array_equal(y01, expected)
    Xp, yp = xor_dataset(encoding="pm1")
    np.testing.assert_array_equal(Xp, np.array(list(itertools.product((-1, 1), repeat=2)), dtype=float))
    # with +-1 inputs, XOR is "the signs differ", i.e. x1 * x2 < 0
    np.testing.assert_array_equal(yp, np.where(Xp[:, 0] * Xp[:, 1] < 0, 1.0, -1.0))


def test_xor_noisy_clusters():
    X, y = xor_dataset(n_per_cluster=500, noise=0.1, rng=3)
    assert X.shape == (2000, 2) and y.shape == (2000,)
    corners = np.array(list(itertools.product((0, 1), repeat=2)), dtype=float)
    means = X.reshape(4, 500, 2).mean(axis=1)
    np.testing.assert_allclose(means, corners, atol=0.02)
    assert np.std(X.reshape(4, 500, 2) - corners[:, None, :]) == pytest.approx(0.1, rel=0.1)
    np.testing.assert_array_equal(y, np.repeat([-1.0, 1.0, 1.0, -1.0], 500))
    X2, _ = xor_dataset(n_per_cluster=500, noise=0.1, rng=3)
    np.testing.assert_array_equal(X, X2)


def test_xor_errors():
    with pytest.raises(ValueError, match="xor_dataset: noise must be >= 0"):
        xor_dataset(noise=-1.0)
    with pytest.raises(ValueError, match="xor_dataset: labels must be one of"):
        xor_dataset(labels="bool")
    with pytest.raises(ValueError, match="xor_dataset: n_per_cluster must be >= 1"):
        xor_dataset(n_per_cluster=0)


# --------------------------------------------------------------------------------------------
# digits, moons, circles
# --------------------------------------------------------------------------------------------


def test_load_digits_shape_range_and_dtype():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    X_raw, y_raw = load_digits(normalize=False)
    assert X_raw.max() == 16.0
    ref = sklearn.datasets.load_digits()
    np.testing.assert_array_equal(X_raw, ref.data)
    np.testing.assert_array_equal(y_raw, ref.target)
    with pytest.raises(TypeError, match="load_digits: normalize must be a bool"):
        load_digits(normalize="yes")


@pytest.mark.parametrize("maker", [make_moons, make_circles])
def test_moons_circles_shapes_labels_reproducibility(maker):
    X, y = maker(n_samples=101, rng=0)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert abs(int(y.sum()) - 50) <= 1  # balanced classes
    X2, y2 = maker(n_samples=101, rng=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = maker(n_samples=101, rng=1)
    assert not np.array_equal(X, X3)
    Xp, yp = maker(n_samples=101, labels="pm1", rng=0)
    assert yp.dtype == np.float64 and set(np.unique(yp)) == {-1.0, 1.0}
    np.testing.assert_array_equal(Xp, X)
    np.testing.assert_array_equal(yp, 2.0 * y - 1.0)


def test_circles_radii_without_noise():
    X, y = make_circles(n_samples=80, noise=0.0, factor=0.3, rng=2)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-12)


def test_moons_without_noise_lie_on_half_circles():
    X, y = make_moons(n_samples=60, noise=0.0, rng=4)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.linalg.norm(outer, axis=1), 1.0, atol=1e-12)
    assert np.all(outer[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.linalg.norm(inner - [1.0, 0.5], axis=1), 1.0, atol=1e-12)
    assert np.all(inner[:, 1] <= 0.5 + 1e-12)


def test_moons_circles_errors():
    with pytest.raises(ValueError, match="make_moons: n_samples must be >= 2, got 1"):
        make_moons(n_samples=1)
    with pytest.raises(ValueError, match="make_moons: noise must be >= 0"):
        make_moons(noise=-0.1)
    with pytest.raises(ValueError, match="make_moons: labels must be one of"):
        make_moons(labels="+-")
    with pytest.raises(ValueError, match=r"make_circles: factor must be in \[0, 1\).*got 1.0"):
        make_circles(factor=1.0)
    with pytest.raises(TypeError, match="make_circles: rng must be"):
        make_circles(rng=1.5)
