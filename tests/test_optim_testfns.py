"""Tests of dlnotes.optim.testfns: closed-form gradients and Hessians vs finite differences,
torch autograd (independent torch formulas; torch.autograd.functional rather than torch.func, whose
first call costs ~3.5 s of warm-up) and scipy.optimize.rosen*; known stationary points."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so
import torch
from torch.autograd.functional import hessian as t_hessian
from torch.autograd.functional import jacobian as t_grad
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes.numerics import gradcheck, numerical_gradient
from dlnotes.optim import testfns as T

A2 = np.array([[3.0, 0.5], [0.5, 1.0]])
B2 = np.array([1.0, -2.0])


def _spd(rng, d):
    M = rng.normal(size=(d, d))
    return M @ M.T + d * np.eye(d)


_rng = np.random.default_rng(5)
A3, B3 = _spd(_rng, 3), _rng.normal(size=3)


# Independent torch formulas of every function (written from the definitions, not from the code).
def _t_quadratic(A, b):
    At, bt = torch.tensor(A, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    return lambda x: 0.5 * x @ At @ x - bt @ x


def _t_rosen(a, b):
    return lambda p: (a - p[0]) ** 2 + b * (p[1] - p[0] ** 2) ** 2


def _t_beale(p):
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _t_himmelblau(p):
    x, y = p[0], p[1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


CASES = {
    "quadratic2": (lambda: T.quadratic(A2, B2), _t_quadratic(A2, B2), 3.0),
    "quadratic3": (lambda: T.quadratic(A3, B3), _t_quadratic(A3, B3), 3.0),
    "ill_conditioned": (lambda: T.ill_conditioned(100.0), _t_quadratic(np.diag([1.0, 100.0]), [0.0, 0.0]), 3),
    "rosenbrock": (T.rosenbrock, _t_rosen(1.0, 100.0), 2.0),
    "rosenbrock_a2_b10": (lambda: T.rosenbrock(2.0, 10.0), _t_rosen(2.0, 10.0), 2.0),
    "beale": (T.beale, _t_beale, 2.0),
    "saddle": (T.saddle, lambda p: p[0] ** 2 - p[1] ** 2, 2.0),
    "monkey": (lambda: T.saddle("monkey"), lambda p: p[0] ** 3 - 3 * p[0] * p[1] ** 2, 2.0),
    "himmelblau": (T.himmelblau, _t_himmelblau, 5.0),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    make, tf, scale = CASES[request.param]
    return make(), tf, scale


def _points(fn, scale, n=5, seed=0):
    return np.random.default_rng(seed).uniform(-scale, scale, size=(n, fn.dim))


# --------------------------------------------------------------------------------------------
# derivatives
# --------------------------------------------------------------------------------------------


def test_gradient_matches_finite_differences(case):
    fn, _, scale = case
    for x in _points(fn, scale):
        assert gradcheck(fn.value, fn.grad, x, atol=1e-6) < 1e-6


def test_hessian_matches_finite_differences_of_the_gradient(case):
    fn, _, scale = case
    for x in _points(fn, scale, seed=1):
        H_fd = np.array([numerical_gradient(lambda z, i=i: fn.grad(z)[i], x) for i in range(fn.dim)])
        H = fn.hess(x)
        np.testing.assert_allclose(H, H_fd, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(H).max()))
        np.testing.assert_array_equal(H, H.T)


def test_value_gradient_hessian_match_torch_autograd(case):
    fn, tf, scale = case
    for x in _points(fn, scale, seed=2):
        xt = torch.tensor(x, dtype=torch.float64)
        assert fn.value(x) == pytest.approx(float(tf(xt)), rel=1e-13, abs=1e-12)
        g = t_grad(tf, xt).numpy()
        H = t_hessian(tf, xt).numpy()
        np.testing.assert_allclose(fn.grad(x), g, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(fn.hess(x), H, rtol=1e-12, atol=1e-10)


def test_rosenbrock_matches_scipy():
    fn = T.rosenbrock()
    for x in _points(fn, 2.0, n=10, seed=3):
        assert fn.value(x) == pytest.approx(so.rosen(x), rel=1e-14)
        np.testing.assert_allclose(fn.grad(x), so.rosen_der(x), rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(fn.hess(x), so.rosen_hess(x), rtol=1e-13, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    x=st.floats(-4.5, 4.5, allow_nan=False),
    y=st.floats(-4.5, 4.5, allow_nan=False),
)
def test_beale_gradient_matches_torch_on_its_whole_domain(x, y):
    """Property: over the plotting window (values up to ~1.8e5) the closed forms agree with autograd."""
    fn = T.beale()
    p = np.array([x, y])
    pt = torch.tensor(p, dtype=torch.float64)
    np.testing.assert_allclose(fn.grad(p), t_grad(_t_beale, pt).numpy(), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(fn.hess(p), t_hessian(_t_beale, pt).numpy(), rtol=1e-12, atol=1e-9)


# --------------------------------------------------------------------------------------------
# vectorisation and shapes
# --------------------------------------------------------------------------------------------


def test_value_grad_hess_are_vectorised_over_grids(case):
    fn, _, scale = case
    grid = np.random.default_rng(4).uniform(-scale, scale, size=(4, 3, fn.dim))
    V, G, H = fn.value(grid), fn.grad(grid), fn.hess(grid)
    assert V.shape == (4, 3) and G.shape == (4, 3, fn.dim) and H.shape == (4, 3, fn.dim, fn.dim)
    for i in range(4):
        for j in range(3):
            assert V[i, j] == pytest.approx(fn.value(grid[i, j]), rel=1e-14, abs=1e-14)
            np.testing.assert_allclose(G[i, j], fn.grad(grid[i, j]), rtol=1e-14, atol=1e-14)
            np.testing.assert_allclose(H[i, j], fn.hess(grid[i, j]), rtol=1e-14, atol=1e-14)


def test_single_point_gives_float_and_call_is_value(case):
    fn, _, scale = case
    x = _points(fn, scale, n=1)[0]
    assert isinstance(fn.value(x), float)
    assert fn(x) == fn.value(x)
    assert fn.grad(x).shape == (fn.dim,) and fn.hess(x).shape == (fn.dim, fn.dim)


def test_meshgrid_contour_usage():
    fn = T.himmelblau()
    (x0, x1), (y0, y1) = fn.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, 7), np.linspace(y0, y1, 5))
    Z = fn.value(np.stack([X, Y], axis=-1))
    assert Z.shape == (5, 7)
    assert Z[2, 3] == pytest.approx((X[2, 3] ** 2 + Y[2, 3] - 11) ** 2 + (X[2, 3] + Y[2, 3] ** 2 - 7) ** 2)


# --------------------------------------------------------------------------------------------
# known stationary points
# --------------------------------------------------------------------------------------------


def test_known_minima_have_zero_gradient_psd_hessian_and_the_minimum_value(case):
    fn, tf, _ = case
    for x in fn.minima:
        g = t_grad(tf, torch.tensor(x, dtype=torch.float64)).numpy()  # oracle gradient
        assert np.abs(g).max() < 1e-11
        assert np.abs(fn.grad(x)).max() < 1e-11
        assert np.linalg.eigvalsh(fn.hess(x)).min() > 0  # PD, hence PSD
        assert fn.value(x) == pytest.approx(fn.min_value, abs=1e-12)
    for x in fn.saddle_points:
        assert np.abs(fn.grad(x)).max() < 1e-11
        lam = np.linalg.eigvalsh(fn.hess(x))
        assert lam.min() <= 0 <= lam.max()
    for x in fn.maxima:
        assert np.abs(fn.grad(x)).max() < 1e-11
        assert np.linalg.eigvalsh(fn.hess(x)).max() < 0


def test_known_minimisers_are_the_published_ones():
    np.testing.assert_allclose(T.quadratic(A2, B2).minima[0], [0.727273, -2.363636], atol=1e-6)
    np.testing.assert_allclose(T.quadratic(A3, B3).minima[0], np.linalg.solve(A3, B3), rtol=1e-13)
    np.testing.assert_array_equal(T.rosenbrock().minima, [[1.0, 1.0]])
    np.testing.assert_array_equal(T.rosenbrock(2.0, 10.0).minima, [[2.0, 4.0]])
    np.testing.assert_array_equal(T.beale().minima, [[3.0, 0.5]])
    h = T.himmelblau()
    assert len(h.minima) == 4 and len(h.saddle_points) == 4 and len(h.maxima) == 1
    np.testing.assert_allclose(
        h.minima, [[3, 2], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]], atol=1e-6
    )
    np.testing.assert_allclose(h.maxima[0], [-0.270845, -0.923039], atol=1e-6)
    # scipy's minimiser from near each listed minimum lands on it
    for x in h.minima:
        res = so.minimize(h.value, x + 0.1, jac=h.grad, method="BFGS", options={"gtol": 1e-10})
        np.testing.assert_allclose(res.x, x, atol=1e-7)


def test_saddle_has_no_minimum_and_hessian_diag_2_minus_2():
    s = T.saddle()
    assert s.minima.shape == (0, 2) and s.min_value is None
    np.testing.assert_array_equal(s.saddle_points, [[0.0, 0.0]])
    np.testing.assert_array_equal(s.hess(np.array([0.3, -7.0])), np.diag([2.0, -2.0]))
    m = T.saddle("monkey")
    np.testing.assert_array_equal(m.hess(np.zeros(2)), np.zeros((2, 2)))  # degenerate saddle


def test_quadratic_classifies_its_stationary_point():
    ind = T.quadratic(np.diag([1.0, -2.0]), [1.0, 1.0])
    assert ind.minima.shape == (0, 2) and ind.min_value is None
    np.testing.assert_allclose(ind.saddle_points, [[1.0, -0.5]])
    neg = T.quadratic(-A2, B2)
    np.testing.assert_allclose(neg.maxima[0], np.linalg.solve(-A2, B2))
    sing = T.quadratic(np.diag([1.0, 0.0]), [1.0, 0.0])
    assert sing.minima.shape == (0, 2)
    q = T.quadratic(A2, B2)
    assert q.min_value == pytest.approx(q.value(q.minima[0]), rel=1e-14)
    np.testing.assert_allclose(q.eigenvalues, np.linalg.eigvalsh(A2))


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------


def test_errors():
    with pytest.raises(ValueError, match=r"x must have shape \(2,\)"):
        T.rosenbrock().value(np.zeros(3))
    with pytest.raises(ValueError, match="x must have shape"):
        T.beale().grad(1.0)
    with pytest.raises(ValueError, match="finite"):
        T.himmelblau().hess([np.nan, 0.0])
    with pytest.raises(ValueError, match="symmetric"):
        T.quadratic([[1.0, 2.0], [0.0, 1.0]], [0.0, 0.0])
    with pytest.raises(ValueError, match="square"):
        T.quadratic(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        T.quadratic(A2, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="b must be > 0"):
        T.rosenbrock(b=0.0)
    with pytest.raises(ValueError, match="kind"):
        T.saddle("horse")
    with pytest.raises(ValueError, match="kappa"):
        T.ill_conditioned(-1.0)
    with pytest.raises(TypeError, match="x must be an array"):
        T.saddle().value("ab")
