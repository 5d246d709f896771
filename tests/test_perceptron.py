"""Tests for dlnotes.perceptron (chapter 03, "Perceptrons and representation power").

Every numerical check compares with an independent oracle: exhaustive enumeration, direct
arithmetic written out in the test, scikit-learn's ``Perceptron``, PyTorch (forward passes and
autograd), SciPy, or a closed form. The code under test is never its own oracle.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Perceptron

from dlnotes import perceptron as P
from dlnotes.perceptron import (
    PerceptronResult,
    ShallowSigmoidNet,
    ThresholdNetwork,
    best_affine_fit,
    boolean_network,
    collapse_affine,
    count_boolean_functions,
    cover_count,
    fit_sigmoid_neuron,
    is_linearly_separable,
    mcculloch_pitts,
    novikoff_bound,
    novikoff_quantities,
    parity_network,
    perceptron_fit,
    perceptron_predict,
    pocket_perceptron,
    separating_hyperplane,
    sigmoid_neuron,
    sigmoid_neuron_loss_and_grad,
    step,
    threshold_unit,
    tower,
    tower_2d,
    tower_approximation,
    tower_error_bound,
    tower_network_2d,
    xor_network,
)

# ---------------------------------------------------------------------------------------------
# independent helpers (written here, not imported from dlnotes)
# ---------------------------------------------------------------------------------------------


def product_inputs(n: int, values=(0.0, 1.0)) -> np.ndarray:
    """All 2**n input rows in itertools.product order (first input most significant)."""
    return np.array(list(itertools.product(values, repeat=n)), dtype=float)


def all_truth_tables(n: int) -> np.ndarray:
    """All 2**(2**n) truth tables of n inputs, one per row, entries 0/1."""
    return np.array(list(itertools.product((0.0, 1.0), repeat=2**n)), dtype=float)


def margin_data(n_points: int, d: int, gamma: float, rng: np.random.Generator):
    """Points in [-1, 1]^d with augmented margin >= gamma w.r.t. a random unit-norm (w*, b*).

    Rejection sampling: draw uniformly from the box, keep points with |u . (x, 1)| >= gamma,
    label them by the sign of u . (x, 1).
    """
    v = rng.normal(size=d)
    v /= np.sqrt(np.sum(v**2))
    u = np.append(v, rng.uniform(-0.3, 0.3))  # hyperplane within 0.3 of the origin: crosses the box
    u /= np.sqrt(np.sum(u**2))
    kept = []
    while sum(len(k) for k in kept) < n_points:
        cand = rng.uniform(-1.0, 1.0, size=(4 * n_points, d))
        scores = cand @ u[:-1] + u[-1]
        kept.append(cand[np.abs(scores) >= gamma])
    X = np.concatenate(kept)[:n_points]
    y = np.where(X @ u[:-1] + u[-1] > 0, 1.0, -1.0)
    return X, y, u[:-1].copy(), float(u[-1])


def sklearn_perceptron(X, y, epochs: int, eta0: float = 1.0):
    """scikit-learn's Perceptron configured as plain Rosenblatt (eta = 1 is the pinned oracle)."""
    clf = Perceptron(fit_intercept=True, eta0=eta0, shuffle=False, tol=None, penalty=None, max_iter=epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clf


# ---------------------------------------------------------------------------------------------
# threshold units and boolean functions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule, at_zero", [(">=", 1.0), (">", 0.0)])
def test_step_matches_numpy_and_torch_heaviside(rule, at_zero):
    z = np.array([-3.0, -1e-300, 0.0, -0.0, 1e-300, 2.5, 0.0])
    out = step(z, rule=rule)
    np.testing.assert_array_equal(out, np.heaviside(z, at_zero))
    np.testing.assert_array_equal(out, torch.heaviside(torch.from_numpy(z), torch.tensor(at_zero, dtype=torch.float64)).numpy())
    assert out.dtype == np.float64


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6) | st.just(0.0), min_size=1, max_size=20))
def test_step_property_equals_heaviside(values):
    z = np.array(values)
    np.testing.assert_array_equal(step(z), np.heaviside(z, 1.0))
    np.testing.assert_array_equal(step(z, ">"), np.heaviside(z, 0.0))


def test_threshold_unit_gates_on_01_inputs():
    X = product_inputs(2)  # (0,0), (0,1), (1,0), (1,1)
    np.testing.assert_array_equal(threshold_unit(X, [1, 1], -1.5), [0, 0, 0, 1])  # AND
    np.testing.assert_array_equal(threshold_unit(X, [1, 1], -2.0), [0, 0, 0, 1])  # AND, needs ">="
    np.testing.assert_array_equal(threshold_unit(X, [1, 1], -0.5), [0, 1, 1, 1])  # OR
    np.testing.assert_array_equal(threshold_unit(X, [-1, -1], 1.5), [1, 1, 1, 0])  # NAND
    # b = -2 is AND only under ">=" (it fires *on* the boundary at (1, 1)):
    np.testing.assert_array_equal(threshold_unit(X, [1, 1], -2.0, rule=">"), [0, 0, 0, 0])
    # b = -1 is AND only under ">"; under ">=" it fires on (0,1) and (1,0):
    np.testing.assert_array_equal(threshold_unit(X, [1, 1], -1.0, rule=">"), [0, 0, 0, 1])
    np.testing.assert_array_equal(threshold_unit(X, [1, 1], -1.0), [0, 1, 1, 1])


def test_mcculloch_pitts_and_or_not_and_inhibition():
    X3 = product_inputs(3)
    direct_and = X3.min(axis=1)
    direct_or = X3.max(axis=1)
    np.testing.assert_array_equal(mcculloch_pitts(X3, threshold=3), direct_and)
    np.testing.assert_array_equal(mcculloch_pitts(X3, threshold=1), direct_or)
    np.testing.assert_array_equal(mcculloch_pitts([[0.0], [1.0]], threshold=0, inhibitory=[0]), [1, 0])  # NOT
    # x1 AND x2 AND NOT x3: excitatory x1, x2 with threshold 2, x3 inhibitory
    out = mcculloch_pitts(X3, threshold=2, inhibitory=(2,))
    np.testing.assert_array_equal(out, X3[:, 0] * X3[:, 1] * (1 - X3[:, 2]))
    # any active inhibitory input vetoes, even when the excitatory sum is large
    assert mcculloch_pitts([[1, 1, 1]], threshold=0, inhibitory=[1])[0] == 0.0
    with pytest.raises(ValueError, match="X must contain only binary inputs"):
        mcculloch_pitts([[0, 2]], threshold=1)
    with pytest.raises(ValueError, match="inhibitory"):
        mcculloch_pitts([[0, 1]], threshold=1, inhibitory=[2])


def test_count_boolean_functions_exact_ints():
    assert [count_boolean_functions(n) for n in (0, 1, 2, 3)] == [2, 4, 16, 256]
    big = count_boolean_functions(6)
    assert isinstance(big, int) and big == 18446744073709551616  # 2**64, exact
    # independent: the number of truth tables we can enumerate
    assert len(all_truth_tables(3)) == count_boolean_functions(3)


@pytest.mark.parametrize("n, expected", [(1, 4), (2, 14), (3, 104)])
def test_separable_counts_by_enumeration(n, expected):
    X = product_inputs(n)
    tables = all_truth_tables(n)
    separable = np.array([is_linearly_separable(X, t) for t in tables])
    assert separable.sum() == expected
    assert len(tables) == 2 ** (2**n)
    if n == 2:
        failing = {tuple(t) for t in tables[~separable]}
        assert failing == {(0.0, 1.0, 1.0, 0.0), (1.0, 0.0, 0.0, 1.0)}  # XOR, XNOR
    for t, sep in zip(tables, separable):
        s = 2.0 * t - 1.0
        # labels in {-1, +1} give the same answer as {0, 1}
        assert is_linearly_separable(X, s) == sep
        sol = separating_hyperplane(X, t)
        if not sep:
            assert sol is None
            continue
        w, b = sol
        margins = s * (X @ w + b)  # direct arithmetic
        assert np.all(margins >= 1.0 - 1e-7)
        res = perceptron_fit(X, s, max_epochs=1000)
        assert res.converged
        assert np.all(s * (X @ res.w + res.b) > 0)


def test_xor_and_xnor_never_converge():
    X = product_inputs(2)
    for t in ([0, 1, 1, 0], [1, 0, 0, 1]):
        res = perceptron_fit(X, 2.0 * np.array(t) - 1.0, max_epochs=1000)
        assert not res.converged and res.n_epochs == 1000


def test_cover_count_closed_form_and_general_position():
    assert cover_count(4, 3) == 14  # corners of the square lifted to (x, 1) in R^3
    assert cover_count(8, 4) == 128  # > 104: the cube's vertices are not in general position
    # N <= d: every dichotomy is realisable
    assert all(cover_count(N, d) == 2**N for d in range(1, 6) for N in range(1, d + 1))
    # Cover's recursion C(N+1, d) = C(N, d) + C(N, d-1)
    assert all(cover_count(N + 1, d) == cover_count(N, d) + cover_count(N, d - 1) for N in range(1, 12) for d in range(2, 8))
    # random points in the plane are in general position: count separable dichotomies by LP
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 2))
    count = sum(is_linearly_separable(X, np.array(lab)) for lab in itertools.product((-1.0, 1.0), repeat=6))
    assert count == cover_count(6, 3) == 2 * (1 + 5 + 10)


# ---------------------------------------------------------------------------------------------
# perceptron learning
# ---------------------------------------------------------------------------------------------


def _sklearn_datasets():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = np.where(X @ np.array([1.0, -2.0]) + 0.3 > 0, 1.0, -1.0)
    y_noisy = y.copy()
    y_noisy[rng.choice(40, size=6, replace=False)] *= -1.0
    return {"separable": (X, y), "noisy": (X, y_noisy)}


@pytest.mark.parametrize("name", ["separable", "noisy"])
@pytest.mark.parametrize("epochs", [1, 2, 5, 50])
def test_perceptron_matches_sklearn_exactly(name, epochs):
    """Same coef_ and intercept_ as sklearn's Perceptron after E epochs, bit for bit.

    Checked details of sklearn (1.9, ``_sgd_fast``): the perceptron loss is ``Hinge(threshold=0)``
    whose gradient is non-zero iff ``y * p <= 0`` (the same "<= 0" mistake rule, so the zero
    start updates); the update is ``w += eta * y * x``, ``intercept += eta * y`` (intercept_decay
    is 1 for dense X; no weight decay with penalty=None). One difference: with ``tol=None``
    sklearn never stops early, it always runs ``max_iter`` epochs (``n_iter_ == E``), while we
    stop after the first clean epoch. A clean epoch makes no update, so the weights still agree.
    """
    X, y = _sklearn_datasets()[name]
    assert (name == "separable") == is_linearly_separable(X, y)
    clf = sklearn_perceptron(X, y, epochs)
    res = perceptron_fit(X, y, max_epochs=epochs)
    np.testing.assert_array_equal(res.w, clf.coef_.ravel())
    assert res.b == clf.intercept_[0]
    assert clf.n_iter_ == epochs
    assert res.n_epochs <= epochs
    if name == "separable" and epochs == 50:
        assert res.converged and res.n_epochs < 50  # we stopped early, sklearn did not
    if name == "noisy":
        assert not res.converged and res.n_epochs == epochs


@pytest.mark.parametrize("lr", [0.25, 3.0])
def test_perceptron_matches_sklearn_for_other_learning_rates(lr):
    """sklearn's learning_rate="constant" step is eta0 * y * x, the same as ours with lr = eta0."""
    for X, y in _sklearn_datasets().values():
        clf = sklearn_perceptron(X, y, 5, eta0=lr)
        res = perceptron_fit(X, y, max_epochs=5, lr=lr)
        np.testing.assert_array_equal(res.w, clf.coef_.ravel())
        assert res.b == clf.intercept_[0]


def test_perceptron_matches_sklearn_with_ties_on_all_boolean_tables():
    """Integer inputs create exact ties y * (w.x + b) == 0 mid-training; both count them as mistakes."""
    X = product_inputs(3)
    for t in all_truth_tables(3)[1:-1]:  # sklearn needs two classes
        y = 2.0 * t - 1.0
        clf = sklearn_perceptron(X, y, 3)
        res = perceptron_fit(X, y, max_epochs=3)
        np.testing.assert_array_equal(res.w, clf.coef_.ravel())
        assert res.b == clf.intercept_[0]


def test_perceptron_strict_rule_would_differ_at_zero_start():
    """With a strict '< 0' test nothing would ever be updated from w = 0; ours updates at once."""
    X = np.array([[1.0, 2.0], [-1.0, 0.5]])
    y = np.array([1.0, -1.0])
    res = perceptron_fit(X, y, max_epochs=10)
    first = res.history[0]
    assert (first.epoch, first.index) == (1, 0)
    np.testing.assert_array_equal(first.w, X[0])  # 0 + 1 * (+1) * x_0
    assert first.b == 1.0


def test_perceptron_history_replays_the_rule():
    """Replay the updates recorded in history with explicit arithmetic."""
    X, y = _sklearn_datasets()["noisy"]
    res = perceptron_fit(X, y, max_epochs=3, lr=0.5)
    w, b = np.zeros(2), 0.0
    for epoch, index, w_after, b_after in res.history:
        assert 1 <= epoch <= 3
        assert y[index] * (X[index] @ w + b) <= 0  # it really was a mistake
        w, b = w + 0.5 * y[index] * X[index], b + 0.5 * y[index]
        np.testing.assert_allclose(w_after, w, rtol=0, atol=1e-12)
        assert b_after == pytest.approx(b, abs=1e-12)
    assert res.n_mistakes == len(res.history)
    np.testing.assert_allclose(res.w, w, atol=1e-12)
    assert isinstance(res, PerceptronResult)


def test_perceptron_shuffle_uses_rng_reproducibly():
    X, y, _, _ = margin_data(60, 2, 0.1, np.random.default_rng(5))
    r1 = perceptron_fit(X, y, shuffle=True, rng=np.random.default_rng(7))
    r2 = perceptron_fit(X, y, shuffle=True, rng=7)
    np.testing.assert_array_equal(r1.w, r2.w)
    assert r1.converged and np.all(y * (X @ r1.w + r1.b) > 0)


def test_perceptron_predict_boundary_is_minus_one():
    X = np.array([[1.0, 1.0], [1.0, -1.0], [0.0, 0.0], [-2.0, 0.0]])
    w, b = np.array([1.0, 1.0]), 0.0  # scores 2, 0, 0, -2
    np.testing.assert_array_equal(perceptron_predict(X, w, b), [1.0, -1.0, -1.0, -1.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("gamma", [0.025, 0.05, 0.1, 0.2])
def test_novikoff_bound_holds_on_margin_data(seed, gamma):
    rng = np.random.default_rng(seed)
    X, y, w_star, b_star = margin_data(200, 2, gamma, rng)
    assert min(np.sum(y == 1), np.sum(y == -1)) >= 40  # both classes well represented
    Xa = np.column_stack([X, np.ones(len(X))])
    R = np.sqrt(np.sum(Xa**2, axis=1)).max()
    u = np.append(w_star, b_star)  # unit norm by construction
    g = np.min(y * (Xa @ u))
    assert g >= gamma
    R_got, g_got = novikoff_quantities(X, y, w_star, b_star)
    assert R_got == pytest.approx(R, rel=1e-12) and g_got == pytest.approx(g, rel=1e-12)
    # an unnormalised separator gives the same (R, gamma)
    R2, g2 = novikoff_quantities(X, y, 7.0 * w_star, 7.0 * b_star)
    assert (R2, g2) == pytest.approx((R, g), rel=1e-12)
    bound = (R / g) ** 2
    assert novikoff_bound(X, y, w_star, b_star) == pytest.approx(bound, rel=1e-12)
    for shuffle in (False, True):
        res = perceptron_fit(X, y, max_epochs=10_000, shuffle=shuffle, rng=seed)
        assert res.converged
        assert res.n_mistakes <= bound
        assert np.all(y * (X @ res.w + res.b) > 0)


def test_novikoff_hand_case_R2_gamma_half_gives_16():
    # augmented points (x, 1) of norm 2, unit separator w* = (1, 0), b* = 0 with margins 0.5
    X = np.array([[0.5, np.sqrt(2.75)], [-0.5, -np.sqrt(2.75)], [1.0, np.sqrt(2.0)]])
    y = np.array([1.0, -1.0, 1.0])
    R, g = novikoff_quantities(X, y, [1.0, 0.0], 0.0)
    assert R == pytest.approx(2.0, abs=1e-15) and g == pytest.approx(0.5, abs=1e-15)
    assert novikoff_bound(X, y, [1.0, 0.0], 0.0) == pytest.approx(16.0, abs=1e-12)


def test_novikoff_rejects_non_separating_or_zero_separator():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    y = np.array([1.0, -1.0])
    with pytest.raises(ValueError, match="w_star, b_star"):
        novikoff_quantities(X, y, [-1.0, 0.0])  # wrong side
    with pytest.raises(ValueError, match="w_star, b_star"):
        novikoff_bound(X, y, [0.0, 1.0])  # margin exactly 0
    with pytest.raises(ValueError, match="non-zero"):
        novikoff_bound(X, y, [0.0, 0.0], 0.0)


def test_learning_rate_only_rescales_the_weights():
    X, y, _, _ = margin_data(150, 3, 0.05, np.random.default_rng(11))
    ref = perceptron_fit(X, y, max_epochs=1000, lr=1.0)
    assert ref.converged
    for lr in (0.1, 10.0):
        res = perceptron_fit(X, y, max_epochs=1000, lr=lr)
        assert res.n_mistakes == ref.n_mistakes and res.n_epochs == ref.n_epochs
        assert [h.index for h in res.history] == [h.index for h in ref.history]
        np.testing.assert_allclose(res.w, lr * ref.w, rtol=1e-12, atol=1e-12)
        assert res.b == pytest.approx(lr * ref.b, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("values", [(-1.0, 1.0), (0.0, 1.0)])
def test_xor_cycles_with_four_mistakes_per_epoch(values):
    X = product_inputs(2, values)
    y = np.array([-1.0, 1.0, 1.0, -1.0])  # XOR in product order, labels +-1
    res = perceptron_fit(X, y, max_epochs=7)
    assert not res.converged and res.n_epochs == 7 and res.n_mistakes == 28
    for epoch in range(1, 8):
        updates = [h for h in res.history if h.epoch == epoch]
        assert [h.index for h in updates] == [0, 1, 2, 3]
        np.testing.assert_array_equal(updates[-1].w, [0.0, 0.0])  # back to the start
        assert updates[-1].b == 0.0
    np.testing.assert_array_equal(res.w, [0.0, 0.0])
    # the weights stay bounded on non-separable data
    assert max(np.abs(h.w).max() for h in res.history) <= 2.0


@pytest.mark.parametrize("rng", [None, 0, 12])
def test_pocket_gets_three_of_four_on_xor(rng):
    X = product_inputs(2, (-1.0, 1.0))
    y = np.array([-1.0, 1.0, 1.0, -1.0])
    res = pocket_perceptron(X, y, max_epochs=20, rng=rng)
    correct = np.sum(np.where(X @ res.w + res.b > 0, 1.0, -1.0) == y)
    assert correct == 3 and res.n_errors == 1 and not res.converged
    # the plain perceptron ends at w = 0, which gets only 2 right
    plain = perceptron_fit(X, y, max_epochs=20)
    assert np.sum(np.where(X @ plain.w + plain.b > 0, 1.0, -1.0) == y) == 2


def test_pocket_on_separable_data_finds_a_separator():
    X, y, _, _ = margin_data(80, 2, 0.1, np.random.default_rng(2))
    res = pocket_perceptron(X, y, max_epochs=1000)
    assert res.converged and res.n_errors == 0
    assert np.all(y * (X @ res.w + res.b) > 0)


# ---------------------------------------------------------------------------------------------
# threshold networks
# ---------------------------------------------------------------------------------------------


def torch_threshold_forward(net: ThresholdNetwork, X: np.ndarray, at_zero: float) -> np.ndarray:
    value = torch.tensor(at_zero, dtype=torch.float64)
    Xt = torch.from_numpy(X)
    H = torch.heaviside(Xt @ torch.from_numpy(net.W_hidden).T + torch.from_numpy(net.b_hidden), value)
    return torch.heaviside(H @ torch.from_numpy(net.w_out) + net.b_out, value).numpy()


@pytest.mark.parametrize("rule, at_zero", [(">=", 1.0), (">", 0.0)])
def test_threshold_network_matches_torch_heaviside(rule, at_zero):
    rng = np.random.default_rng(4)
    # integer weights on integer inputs: many pre-activations are exactly 0 (tests the rule)
    W = rng.integers(-2, 3, size=(6, 4)).astype(float)
    bh = rng.integers(-2, 3, size=6).astype(float)
    wo = rng.integers(-2, 3, size=6).astype(float)
    net = ThresholdNetwork(W, bh, wo, 0.0, rule=rule)
    X = product_inputs(4)
    pre = X @ W.T + bh
    assert np.any(pre == 0)
    np.testing.assert_array_equal(net.predict(X), torch_threshold_forward(net, X, at_zero))
    np.testing.assert_array_equal(
        net.hidden(X), torch.heaviside(torch.from_numpy(pre), torch.tensor(at_zero, dtype=torch.float64)).numpy()
    )
    # random real weights and inputs
    net2 = ThresholdNetwork(rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=5), 0.3, rule=rule)
    X2 = rng.normal(size=(100, 3))
    np.testing.assert_array_equal(net2.predict(X2), torch_threshold_forward(net2, X2, at_zero))
    assert net.width == 6 and net2.width == 5


def test_threshold_network_validates_shapes():
    with pytest.raises(ValueError, match="b_hidden"):
        ThresholdNetwork(np.ones((3, 2)), np.ones(2), np.ones(3), 0.0)
    with pytest.raises(ValueError, match="w_out"):
        ThresholdNetwork(np.ones((3, 2)), np.ones(3), np.ones(4), 0.0)
    with pytest.raises(ValueError, match="W_hidden"):
        ThresholdNetwork(np.ones(3), np.ones(3), np.ones(3), 0.0)
    net = xor_network()
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        net.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X must be 2-D"):
        net.hidden(np.ones(2))
    with pytest.raises(ValueError, match="rule"):
        ThresholdNetwork(np.ones((1, 1)), [0.0], [1.0], 0.0, rule="=>")


def test_xor_network_truth_table():
    X = product_inputs(2)
    net = xor_network()
    np.testing.assert_array_equal(net.predict(X), [0, 1, 1, 0])
    np.testing.assert_array_equal(net.hidden(X), [[0, 1], [1, 1], [1, 1], [1, 0]])  # OR, NAND
    assert net.width == 2


@pytest.mark.parametrize("n", [2, 3])
def test_boolean_network_reproduces_every_truth_table(n):
    X = product_inputs(n, (-1.0, 1.0))
    for t in all_truth_tables(n):
        net = boolean_network(t)
        np.testing.assert_array_equal(net.predict(X), t)
    np.testing.assert_array_equal(boolean_network(all_truth_tables(n)[5]).hidden(X), np.eye(2**n))
    assert net.width == 2**n


def test_boolean_network_random_four_input_tables():
    rng = np.random.default_rng(8)
    X = product_inputs(4, (-1.0, 1.0))
    for _ in range(200):
        t = rng.integers(0, 2, size=16).astype(float)
        np.testing.assert_array_equal(boolean_network(t).predict(X), t)


def test_boolean_network_admissible_hidden_biases_n3():
    n = 3
    X = product_inputs(n, (-1.0, 1.0))
    tables = all_truth_tables(n)
    # independent count: p_i . x >= -bias  <=>  hamming(p_i, x) <= (n + bias) / 2
    hamming = (X[:, None, :] != X[None, :, :]).sum(axis=2)
    for rule, biases in ((">=", [-3.0, -2.5, -2.0, -1.5, -1.0 - 1e-9]), (">", [-3.0 + 1e-9, -2.5, -2.0, -1.5, -1.0])):
        for beta in biases:
            np.testing.assert_array_equal(boolean_network(tables[0], beta, rule).hidden(X), np.eye(8))
            for t in tables:
                np.testing.assert_array_equal(boolean_network(t, beta, rule).predict(X), t)
    # -(n-1) = -2 works under both rules (checked above); now the failures:
    # ">=" with -1 = -(n-2): the matching unit AND its n neighbours at Hamming distance 1 fire
    H = boolean_network(tables[0], -1.0, ">=").hidden(X)
    np.testing.assert_array_equal(H, (hamming <= 1).astype(float))
    assert np.all(H.sum(axis=1) == n + 1)  # 4 units fire for every input, not 1
    assert any(not np.array_equal(boolean_network(t, -1.0, ">=").predict(X), t) for t in tables)
    # ">" with -3 = -n: the matching unit sees exactly 0, so nothing fires and the output is 0
    net = boolean_network(tables[0], -3.0, ">")
    np.testing.assert_array_equal(net.hidden(X), np.zeros((8, 8)))
    assert sum(np.array_equal(boolean_network(t, rule=">").predict(X), t) for t in tables) == 1  # only f = 0


@pytest.mark.parametrize("n", range(1, 9))
def test_parity_network_with_n_units(n):
    X = product_inputs(n)
    net = parity_network(n)
    np.testing.assert_array_equal(net.predict(X), X.sum(axis=1) % 2)
    assert net.width == n


# ---------------------------------------------------------------------------------------------
# linear collapse
# ---------------------------------------------------------------------------------------------


def test_collapse_affine_matches_torch_sequential():
    rng = np.random.default_rng(6)
    sizes = [2, 3, 3, 4, 1]
    Ws = [rng.normal(size=(o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(size=o) for o in sizes[1:]]
    layers = []
    for W, b in zip(Ws, bs):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
    model = torch.nn.Sequential(*layers)
    W, b = collapse_affine(Ws, bs)
    assert W.shape == (1, 2) and b.shape == (1,)
    X = rng.normal(size=(50, 2))
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(X @ W.T + b, expected, rtol=1e-12, atol=1e-12)
    # the three-layer closed form of exercise 11
    W3, b3 = collapse_affine(Ws[:3], bs[:3])
    np.testing.assert_allclose(W3, Ws[2] @ Ws[1] @ Ws[0], rtol=1e-13)
    np.testing.assert_allclose(b3, Ws[2] @ Ws[1] @ bs[0] + Ws[2] @ bs[1] + bs[2], rtol=1e-13)


def test_collapse_affine_reports_the_mismatched_layer():
    Ws = [np.ones((3, 2)), np.ones((4, 3)), np.ones((1, 5))]
    bs = [np.zeros(3), np.zeros(4), np.zeros(1)]
    with pytest.raises(ValueError, match="layer 2 does not chain with layer 1"):
        collapse_affine(Ws, bs)
    with pytest.raises(ValueError, match=r"bs\[1\]"):
        collapse_affine(Ws[:2], [np.zeros(3), np.zeros(3)])
    with pytest.raises(ValueError, match="same number of layers"):
        collapse_affine(Ws[:2], bs)


def test_best_affine_fit_on_xor_predicts_one_half():
    X = product_inputs(2)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    w, b = best_affine_fit(X, y)
    np.testing.assert_allclose(w, [0.0, 0.0], atol=1e-12)
    assert b == pytest.approx(0.5, abs=1e-12)
    assert np.mean((X @ w + b - y) ** 2) == pytest.approx(0.25, abs=1e-12)
    # closed form via the normal equations, and sklearn, on random data
    rng = np.random.default_rng(9)
    X2, y2 = rng.normal(size=(30, 3)), rng.normal(size=30)
    A = np.column_stack([X2, np.ones(30)])
    coef = np.linalg.solve(A.T @ A, A.T @ y2)
    w2, b2 = best_affine_fit(X2, y2)
    np.testing.assert_allclose(np.append(w2, b2), coef, rtol=1e-10)
    lr = LinearRegression().fit(X2, y2)
    np.testing.assert_allclose(w2, lr.coef_, rtol=1e-10)
    assert b2 == pytest.approx(lr.intercept_, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# sigmoid neurons
# ---------------------------------------------------------------------------------------------


def test_sigmoid_neuron_matches_torch_and_shape_facts():
    rng = np.random.default_rng(10)
    x = rng.normal(size=20)
    np.testing.assert_allclose(sigmoid_neuron(x, 1.7, -0.3), torch.sigmoid(torch.from_numpy(1.7 * x - 0.3)).numpy(), rtol=1e-15)
    Xm, w = rng.normal(size=(20, 3)), rng.normal(size=3)
    np.testing.assert_allclose(sigmoid_neuron(Xm, w, 0.2), expit(Xm @ w + 0.2), rtol=1e-15)
    # w = 4, b = -2: midpoint -b/w = 0.5 and slope w/4 = 1 there (central difference)
    assert sigmoid_neuron(0.5, 4.0, -2.0) == pytest.approx(0.5, abs=1e-15)
    h = 1e-5
    slope = (sigmoid_neuron(0.5 + h, 4.0, -2.0) - sigmoid_neuron(0.5 - h, 4.0, -2.0)) / (2 * h)
    assert slope == pytest.approx(1.0, rel=1e-8)
    # the step limit away from the midpoint; outputs stay strictly inside (0, 1) for moderate z
    xs = np.array([0.3, 0.45, 0.55, 0.7])
    assert np.allclose(sigmoid_neuron(xs, 1e4, -0.5e4), [0, 0, 1, 1], atol=1e-20)
    vals = sigmoid_neuron(np.linspace(-30, 30, 61), 1.0, 0.0)
    assert np.all((vals > 0) & (vals < 1))


def test_sigmoid_neuron_loss_and_grad_worked_value():
    L, dw, db = sigmoid_neuron_loss_and_grad(-2.0, -2.0, [0.5], [0.2])
    f = 1.0 / (1.0 + math.exp(3.0))
    assert f == pytest.approx(0.047426, abs=1e-6)
    assert dw == pytest.approx(-0.0034464, abs=1e-6)
    assert db == pytest.approx(-0.0068928, abs=1e-6)
    assert L == pytest.approx(0.5 * (f - 0.2) ** 2, rel=1e-14)
    # one GD step with lr = 1 (exercise 12): (w, b) = (-1.9965536, -1.9931072)
    ws, bs, _ = fit_sigmoid_neuron([0.5], [0.2], -2.0, -2.0, 1.0, 1)
    assert (ws[1], bs[1]) == pytest.approx((-1.9965536, -1.9931072), abs=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_neuron_grad_matches_torch_autograd(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=12), rng.uniform(size=12)
    w0, b0 = rng.normal(size=2) * 2
    wt = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
    loss = 0.5 * ((torch.sigmoid(wt * torch.from_numpy(x) + bt) - torch.from_numpy(y)) ** 2).sum()
    loss.backward()
    L, dw, db = sigmoid_neuron_loss_and_grad(w0, b0, x, y)
    assert L == pytest.approx(loss.item(), rel=1e-13)
    assert dw == pytest.approx(wt.grad.item(), rel=1e-12, abs=1e-15)
    assert db == pytest.approx(bt.grad.item(), rel=1e-12, abs=1e-15)


def test_fit_sigmoid_neuron_reaches_the_interpolant():
    x, y = np.array([0.5, 2.5]), np.array([0.2, 0.9])
    ws, bs, losses = fit_sigmoid_neuron(x, y, -2.0, -2.0, 1.0, 1000)
    assert ws.shape == bs.shape == losses.shape == (1001,)
    assert (ws[0], bs[0]) == (-2.0, -2.0)
    assert losses[1000] < 1e-10
    assert losses[100] == pytest.approx(0.0177, abs=5e-5)
    assert np.all(np.diff(losses) <= 1e-15)  # non-increasing
    w_star = (logit(0.9) - logit(0.2)) / 2
    b_star = logit(0.2) - 0.5 * w_star
    assert (w_star, b_star) == pytest.approx((1.791759, -2.282174), abs=1e-6)
    assert ws[-1] == pytest.approx(w_star, abs=1e-4) and bs[-1] == pytest.approx(b_star, abs=1e-4)
    # losses are the loss of the recorded (w, b), recomputed with scipy
    k = 37
    assert losses[k] == pytest.approx(0.5 * np.sum((expit(ws[k] * x + bs[k]) - y) ** 2), rel=1e-13)


# ---------------------------------------------------------------------------------------------
# towers and universal approximation
# ---------------------------------------------------------------------------------------------


def test_single_tower_inside_and_outside():
    x = np.linspace(-1.0, 2.0, 30001)
    inside = (x >= 0.32) & (x <= 0.48)
    outside = (x <= 0.28) | (x >= 0.52)
    for w, lo, hi in ((10, 0.40, 0.36), (100, 0.88, 0.12), (1000, 0.999, 1e-6)):
        T = tower(x, 0.3, 0.5, w)
        assert T[inside].min() >= lo and T[outside].max() <= hi
    T = tower(x, 0.3, 0.5, 1000, height=3.0)
    np.testing.assert_allclose(T, 3.0 * (expit(1000 * (x - 0.3)) - expit(1000 * (x - 0.5))), rtol=1e-12, atol=1e-300)
    assert tower(0.3, 0.3, 0.5, 50) == pytest.approx(0.5 - expit(-10.0), rel=1e-12)  # half height at an edge


def test_shallow_sigmoid_net_matches_torch():
    rng = np.random.default_rng(12)
    W1, b1, w2, b2 = rng.normal(size=(7, 3)), rng.normal(size=7), rng.normal(size=7), 0.4
    net = ShallowSigmoidNet(W1, b1, w2, b2)
    X = rng.normal(size=(25, 3))
    model = net.to_torch()
    assert isinstance(model, torch.nn.Sequential) and len(model) == 3
    assert isinstance(model[1], torch.nn.Sigmoid)
    assert all(p.dtype == torch.float64 for p in model.parameters())
    with torch.no_grad():
        out_module = model(torch.from_numpy(X)).numpy().ravel()
    Xt = torch.from_numpy(X)
    by_hand = (torch.sigmoid(Xt @ torch.from_numpy(W1).T + torch.from_numpy(b1)) @ torch.from_numpy(w2) + b2).numpy()
    np.testing.assert_allclose(net(X), out_module, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(net(X), by_hand, rtol=1e-13, atol=1e-14)
    assert net.n_hidden == 7
    # d == 1: accept (N,) and (N, 1)
    net1 = ShallowSigmoidNet(W1[:, :1], b1, w2, b2)
    x = rng.normal(size=10)
    np.testing.assert_allclose(net1(x), net1(x[:, None]), rtol=0, atol=0)
    with torch.no_grad():
        np.testing.assert_allclose(net1(x), net1.to_torch()(torch.from_numpy(x[:, None])).numpy().ravel(), rtol=1e-13)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\)"):
        net(np.ones((4, 2)))


def _sup_error(f, net, a=0.0, b=1.0, n_grid=4001):
    xs = np.linspace(a, b, n_grid)
    return np.max(np.abs(net(xs) - f(xs)))


def test_tower_approximation_structure():
    f = lambda x: 1.0 + x**2  # noqa: E731
    net = tower_approximation(f, 0.0, 2.0, 4, steepness=50.0)
    assert net.n_hidden == 8 and net.b2 == 0.0
    np.testing.assert_array_equal(net.W1.ravel(), np.full(8, 50.0))
    centres = np.array([0.25, 0.75, 1.25, 1.75])
    np.testing.assert_allclose(net.w2, np.column_stack([f(centres), -f(centres)]).ravel(), rtol=1e-15)
    edges = np.array([-1.0, 0.5, 0.5, 1.0, 1.0, 1.5, 1.5, 3.0])  # outer edges at a - 1 and b + 1
    np.testing.assert_allclose(-net.b1 / 50.0, edges, rtol=1e-15)
    plain = tower_approximation(f, 0.0, 2.0, 4, steepness=50.0, extend_edges=False)
    np.testing.assert_allclose(-plain.b1 / 50.0, [0, 0.5, 0.5, 1, 1, 1.5, 1.5, 2.0], atol=1e-15)


def test_tower_approximation_error_bound_sin_plus_x():
    f = lambda x: np.sin(2 * np.pi * x) + x  # noqa: E731
    L = 2 * np.pi + 1
    errors = []
    for n in (20, 80, 320):
        bound = L * 1.0 / (2 * n)
        assert tower_error_bound(L, 0.0, 1.0, n) == pytest.approx(bound, rel=1e-15)
        err = _sup_error(f, tower_approximation(f, 0.0, 1.0, n, steepness=200.0 * n))
        assert err <= bound + 1e-3
        errors.append(err)
    assert errors[0] > errors[1] > errors[2]
    # measured values (syllabus: 0.18143, 0.04551, 0.011380)
    assert errors == pytest.approx([0.18143, 0.04551, 0.011380], abs=1e-5)


@pytest.mark.parametrize("n", [5, 20, 80])
def test_tower_approximation_without_edge_extension_stalls(n):
    f = lambda x: np.sin(2 * np.pi * x) + x  # noqa: E731
    net = tower_approximation(f, 0.0, 1.0, n, steepness=200.0 * n, extend_edges=False)
    assert _sup_error(f, net) >= 0.4
    # the culprit is the half-height end: g(1) is about f(c_n) / 2 while f(1) = 1
    c_last = 1.0 - 0.5 / n
    assert net(np.array([1.0]))[0] == pytest.approx(f(c_last) / 2, abs=1e-6)


def test_tower_count_for_sin_at_tolerance_005():
    f = lambda x: np.sin(2 * np.pi * x)  # noqa: E731
    # bound pi / n <= 0.05  <=>  n >= 62.83: n = 63 is the smallest
    assert tower_error_bound(2 * np.pi, 0, 1, 63) <= 0.05 < tower_error_bound(2 * np.pi, 0, 1, 62)
    e63 = _sup_error(f, tower_approximation(f, 0.0, 1.0, 63, steepness=200.0 * 63), n_grid=20001)
    e62 = _sup_error(f, tower_approximation(f, 0.0, 1.0, 62, steepness=200.0 * 62), n_grid=20001)
    assert e63 <= 0.05 < e62
    # the worst point is x = 0, where g = f(h/2) = sin(pi/n)
    assert (e63, e62) == pytest.approx((np.sin(np.pi / 63), np.sin(np.pi / 62)), abs=1e-9)


def test_tower_2d_keeps_only_the_rectangle():
    g = np.linspace(0.0, 1.0, 501)
    X, Y = np.meshgrid(g, g)
    G = tower_2d(X, Y, (0.4, 0.6), (0.4, 0.6), 500.0, 200.0)
    xin, yin = (X >= 0.42) & (X <= 0.58), (Y >= 0.42) & (Y <= 0.58)
    xout, yout = (X <= 0.38) | (X >= 0.62), (Y <= 0.38) | (Y >= 0.62)
    assert G[xin & yin].min() == pytest.approx(1.0, abs=1e-12)
    assert G[(xin & yout) | (yin & xout)].max() < 1e-6
    assert G[xout & yout].max() < 1e-6
    # independent formula with scipy's expit
    Tx = expit(500 * (X - 0.4)) - expit(500 * (X - 0.6))
    Ty = expit(500 * (Y - 0.4)) - expit(500 * (Y - 0.6))
    np.testing.assert_allclose(G, expit(200 * (Tx + Ty - 1.5)), rtol=1e-12, atol=1e-300)
    # before thresholding: ~2 inside, ~1 on the arms (the "plus sign")
    assert (Tx + Ty)[xin & yin].min() > 1.999 and abs((Tx + Ty)[xin & yout] - 1).max() < 1e-3


def test_tower_network_2d_error_decreases_away_from_cell_corners():
    """Sup error of the bump approximation decreases from n = 5 to 20, away from cell corners.

    Where four cells meet, each cell's x-tower and y-tower are both ~1/2, their sum ~1 is below
    the threshold 1.5 and the output dips to ~0. So the sup over the *whole* square does not
    decrease (measured on this grid: 0.68 for n = 5, 1.00 for n = 10 and 20, since (0.5, 0.5),
    the peak of the bump, is a cell corner for even n); we check that dip explicitly and measure
    the sup error outside squares of side 0.2 h around interior corners.
    """
    bump = lambda x, y: np.exp(-((x - 0.5) ** 2 + (y - 0.5) ** 2) / 0.05)  # noqa: E731
    grid = np.linspace(0.0, 1.0, 201)
    X, Y = np.meshgrid(grid, grid)
    errors, rms = [], []
    for n in (5, 10, 20):
        h = 1.0 / n
        g = tower_network_2d(bump, (0.0, 1.0), (0.0, 1.0), n, steepness=100.0 / h, steepness_out=100.0)
        E = np.abs(g(X, Y) - bump(X, Y))
        inner = np.linspace(0.0, 1.0, n + 1)[1:-1]
        dist = lambda v: np.min(np.abs(v[..., None] - inner), axis=-1)  # noqa: E731
        near_corner = (dist(X) < 0.1 * h) & (dist(Y) < 0.1 * h)
        errors.append(E[~near_corner].max())
        rms.append(np.sqrt(np.mean(E**2)))
        # cell centres are approximated well; the corner (0.5, 0.5) dips for even n
        centre = np.array([0.5 * h])
        assert g(centre, centre)[0] == pytest.approx(bump(centre, centre)[0], abs=1e-6)
        if n % 2 == 0:
            assert g(np.array([0.5]), np.array([0.5]))[0] < 1e-6
    assert errors[0] > errors[1] > errors[2]
    assert rms[0] > rms[1] > rms[2]
    assert errors == pytest.approx([0.3995, 0.2231, 0.1081], abs=1e-3)


# ---------------------------------------------------------------------------------------------
# error paths
# ---------------------------------------------------------------------------------------------


def test_perceptron_rejects_bad_labels_with_hint():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"perceptron_fit: y must contain only labels -1 and \+1.*y = 2\*y - 1"):
        perceptron_fit(X, [0, 1, 1, 0])
    with pytest.raises(ValueError, match=r"y must contain only labels -1 and \+1, got value\(s\) \[2.0\]"):
        perceptron_fit(X, [1, -1, 2, 1])
    with pytest.raises(ValueError, match="pocket_perceptron: y"):
        pocket_perceptron(X, [0, 1, 1, 0])


def test_mismatched_lengths_and_dimensions():
    with pytest.raises(ValueError, match=r"perceptron_fit: X and y must have the same number of samples, got X.shape\[0\]=4 and y.shape\[0\]=3"):
        perceptron_fit(np.zeros((4, 2)), [1, -1, 1])
    with pytest.raises(ValueError, match="is_linearly_separable: X and y"):
        is_linearly_separable(np.zeros((4, 2)), [0, 1, 1])
    with pytest.raises(ValueError, match="perceptron_fit: X must be 2-D"):
        perceptron_fit(np.zeros(4), [1, -1, 1, -1])
    with pytest.raises(ValueError, match="threshold_unit: X must be 2-D"):
        threshold_unit(np.zeros((2, 2, 2)), [1, 1], 0.0)
    with pytest.raises(ValueError, match=r"threshold_unit: w must have shape \(2,\)"):
        threshold_unit(np.zeros((3, 2)), [1, 1, 1], 0.0)
    with pytest.raises(ValueError, match=r"is_linearly_separable: y must contain labels"):
        is_linearly_separable(np.zeros((3, 1)), [0, -1, 1])


def test_bad_rule_and_bad_numbers():
    with pytest.raises(ValueError, match="step: rule must be one of"):
        step([0.0], rule="=>")
    with pytest.raises(ValueError, match="rule"):
        threshold_unit(np.zeros((1, 1)), [1.0], 0.0, rule="ge")
    with pytest.raises(ValueError, match="boolean_network: rule"):
        boolean_network([0, 1], rule="<")
    with pytest.raises(ValueError, match="lr must be > 0"):
        perceptron_fit(np.ones((2, 1)), [1, -1], lr=0.0)
    with pytest.raises(ValueError, match="max_epochs must be >= 1"):
        perceptron_fit(np.ones((2, 1)), [1, -1], max_epochs=0)
    with pytest.raises(TypeError, match="rng"):
        perceptron_fit(np.ones((2, 1)), [1, -1], shuffle=True, rng="seed")
    with pytest.raises(ValueError, match="n must be >= 1"):
        parity_network(0)


def test_truth_table_length_must_be_power_of_two():
    with pytest.raises(ValueError, match=r"boolean_network: truth_table must have length 2\*\*n.*got length 6"):
        boolean_network([0, 1, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="truth_table must contain only 0 and 1"):
        boolean_network([0, 1, 2, 0])


def test_tower_argument_checks():
    with pytest.raises(ValueError, match="tower: left must be < right"):
        tower([0.0], 0.5, 0.3, 10.0)
    with pytest.raises(ValueError, match="tower: left must be < right"):
        tower([0.0], 0.5, 0.5, 10.0)
    with pytest.raises(ValueError, match="steepness must be > 0"):
        tower([0.0], 0.3, 0.5, 0.0)
    with pytest.raises(ValueError, match=r"tower_2d: xlim\[0\] must be < xlim\[1\]"):
        tower_2d(np.zeros(2), np.zeros(2), (0.6, 0.4), (0.4, 0.6), 10.0, 10.0)
    with pytest.raises(ValueError, match="tower_2d: X and Y must have the same shape"):
        tower_2d(np.zeros(2), np.zeros(3), (0.4, 0.6), (0.4, 0.6), 10.0, 10.0)
    with pytest.raises(ValueError, match="tower_approximation: a must be < b"):
        tower_approximation(np.sin, 1.0, 0.0, 4, 10.0)
    with pytest.raises(TypeError, match="tower_approximation: f must be callable"):
        tower_approximation(3.0, 0.0, 1.0, 4, 10.0)
    with pytest.raises(ValueError, match="n_towers must be >= 1"):
        tower_error_bound(1.0, 0.0, 1.0, 0)


def test_public_api_is_listed():
    for name in P.__all__:
        assert hasattr(P, name)
    expected = {
        "step", "threshold_unit", "mcculloch_pitts", "count_boolean_functions", "is_linearly_separable",
        "separating_hyperplane", "cover_count", "PerceptronResult", "perceptron_fit", "perceptron_predict",
        "pocket_perceptron", "novikoff_quantities", "novikoff_bound", "ThresholdNetwork", "xor_network",
        "boolean_network", "parity_network", "collapse_affine", "best_affine_fit", "sigmoid_neuron",
        "sigmoid_neuron_loss_and_grad", "fit_sigmoid_neuron", "tower", "ShallowSigmoidNet",
        "tower_approximation", "tower_error_bound", "tower_2d", "tower_network_2d",
    }  # fmt: skip
    assert expected <= set(P.__all__)
