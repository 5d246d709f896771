"""Tests of dlnotes.numerics against SciPy, PyTorch (float64) and closed-form gradients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sps
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlnotes.numerics import gradcheck, log_softmax, logsumexp, numerical_gradient, sigmoid, softmax

FINITE_LOGITS = arrays(
    dtype=np.float64,
    shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
)


class _Strict:
    """Context manager: every floating-point event and every warning is an error."""

    def __enter__(self):
        self._err = np.errstate(all="raise")
        self._warn = warnings.catch_warnings()
        self._err.__enter__()
        self._warn.__enter__()
        warnings.simplefilter("error")
        return self

    def __exit__(self, *exc):
        self._warn.__exit__(*exc)
        self._err.__exit__(*exc)
        return False


def strict():
    return _Strict()


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


# --------------------------------------------------------------------------------------------
# agreement with SciPy and PyTorch on ordinary inputs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4)])
def test_sigmoid_matches_scipy_and_torch(rng, shape):
    z = rng.normal(scale=10.0, size=shape)
    out = sigmoid(z)
    assert out.dtype == np.float64 and out.shape == shape
    np.testing.assert_allclose(out, sps.expit(z), rtol=1e-14, atol=0)
    np.testing.assert_allclose(out, torch.sigmoid(torch.from_numpy(z)).numpy(), rtol=1e-14, atol=0)


def test_sigmoid_scalar_and_list_inputs():
    out = sigmoid(0.0)
    assert np.ndim(out) == 0 and isinstance(out, float) and out == 0.5
    assert sigmoid(2) == pytest.approx(float(sps.expit(2.0)), rel=1e-15)
    np.testing.assert_allclose(sigmoid([-1, 0, 1]), sps.expit(np.array([-1.0, 0.0, 1.0])), rtol=1e-15)


@pytest.mark.parametrize("shape,axis", [((6,), 0), ((6,), -1), ((4, 5), 0), ((4, 5), 1), ((4, 5), -1), ((2, 3, 4), 1), ((2, 3, 4), -3)])
def test_softmax_and_log_softmax_match_scipy_and_torch(rng, shape, axis):
    z = rng.normal(scale=5.0, size=shape)
    p = softmax(z, axis=axis)
    lp = log_softmax(z, axis=axis)
    np.testing.assert_allclose(p, sps.softmax(z, axis=axis), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lp, sps.log_softmax(z, axis=axis), rtol=1e-12, atol=1e-13)
    t = torch.from_numpy(z)
    np.testing.assert_allclose(p, torch.softmax(t, dim=axis).numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lp, torch.log_softmax(t, dim=axis).numpy(), rtol=1e-12, atol=1e-13)


def test_softmax_default_axis_is_last(rng):
    z = rng.normal(size=(3, 4))
    np.testing.assert_allclose(softmax(z), sps.softmax(z, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(softmax(z).sum(axis=1), np.ones(3), rtol=1e-14)


@pytest.mark.parametrize(
    "shape,axis,keepdims",
    [
        ((6,), None, False),
        ((4, 5), None, False),
        ((4, 5), None, True),
        ((4, 5), 0, False),
        ((4, 5), 1, True),
        ((2, 3, 4), -1, False),
        ((2, 3, 4), (0, 2), False),
        ((2, 3, 4), (0, 2), True),
    ],
)
def test_logsumexp_matches_scipy_and_torch(rng, shape, axis, keepdims):
    z = rng.normal(scale=20.0, size=shape)
    out = logsumexp(z, axis=axis, keepdims=keepdims)
    ref = sps.logsumexp(z, axis=axis, keepdims=keepdims)
    assert np.shape(out) == np.shape(ref)
    np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-13)
    dim = tuple(range(z.ndim)) if axis is None else axis
    tref = torch.logsumexp(torch.from_numpy(z), dim=dim, keepdim=keepdims).numpy()
    np.testing.assert_allclose(out, tref, rtol=1e-13, atol=1e-13)


def test_logsumexp_scalar_input_returns_scalar():
    out = logsumexp(3.5)
    assert np.ndim(out) == 0 and out == 3.5


# --------------------------------------------------------------------------------------------
# extreme logits and -inf
# --------------------------------------------------------------------------------------------


def test_extreme_values_are_exact_and_silent():
    z = np.array([-1e300, -1e4, -800.0, 800.0, 1e4, 1e300, -np.inf, np.inf])
    with strict():
        s = sigmoid(z)
    np.testing.assert_array_equal(s, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0])
    with strict():
        p = softmax([[1e4, -1e4], [-1e4, 1e4]], axis=1)
        lp = log_softmax([0.0, -1e4])
        lse = logsumexp([1e4, 1e4])
    np.testing.assert_array_equal(p, [[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(lp, [0.0, -1e4], rtol=1e-15)
    assert lse == pytest.approx(1e4 + np.log(2.0), rel=1e-15)


def test_minus_inf_entries_are_masked_logits():
    with strict():
        p = softmax([-np.inf, 0.0])
        lp = log_softmax([-np.inf, 0.0, 0.0])
        lse = logsumexp([-np.inf, 0.0])
    np.testing.assert_array_equal(p, [0.0, 1.0])
    np.testing.assert_allclose(lp, [-np.inf, -np.log(2.0), -np.log(2.0)], rtol=1e-15)
    assert lse == 0.0


def test_all_minus_inf_rows_give_nan_softmax_and_minus_inf_lse_silently():
    z = np.array([[-np.inf, -np.inf], [0.0, np.log(3.0)]])
    with strict():
        p = softmax(z, axis=1)
        lp = log_softmax(z, axis=1)
        lse = logsumexp(z, axis=1)
    assert np.all(np.isnan(p[0])) and np.all(np.isnan(lp[0]))
    np.testing.assert_allclose(p[1], [0.25, 0.75], rtol=1e-14)  # the other row is unaffected
    np.testing.assert_allclose(lp[1], np.log([0.25, 0.75]), rtol=1e-14)
    assert lse[0] == -np.inf
    assert lse[1] == pytest.approx(np.log(4.0), rel=1e-15)


# --------------------------------------------------------------------------------------------
# hypothesis properties, logits in [-1e4, 1e4]
# --------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, database=None)
@given(FINITE_LOGITS)
def test_sigmoid_properties(z):
    with strict():
        s = sigmoid(z)
        s_neg = sigmoid(-z)
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s, sps.expit(z), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(s_neg, 1.0 - s, rtol=0, atol=5e-16)
    np.testing.assert_allclose(s + s_neg, 1.0, rtol=0, atol=5e-16)


@settings(max_examples=60, deadline=None, database=None)
@given(FINITE_LOGITS, st.integers(min_value=-3, max_value=2))
def test_softmax_family_properties(z, axis_seed):
    axis = axis_seed % z.ndim if axis_seed >= 0 else -1 - ((-1 - axis_seed) % z.ndim)
    with strict():
        p = softmax(z, axis=axis)
        lp = log_softmax(z, axis=axis)
        lse = logsumexp(z, axis=axis)
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(lp)) and np.all(np.isfinite(lse))
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=0, atol=1e-12)
    assert np.all(lp <= 0.0)
    np.testing.assert_allclose(p, sps.softmax(z, axis=axis), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(lp, sps.log_softmax(z, axis=axis), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(lse, sps.logsumexp(z, axis=axis), rtol=1e-13, atol=1e-9)
    # max <= logsumexp <= max + log(n)
    m = z.max(axis=axis)
    assert np.all(lse >= m) and np.all(lse <= m + np.log(z.shape[axis]) + 1e-9)


# --------------------------------------------------------------------------------------------
# finite differences
# --------------------------------------------------------------------------------------------


def test_numerical_gradient_of_quadratic_form_on_matrix_x(rng):
    A = rng.normal(size=(3, 3))  # deliberately not symmetric
    x = rng.normal(size=(3, 4))
    x_before = x.copy()

    def f(X):
        return float(np.sum(X * (A @ X)))  # trace(X^T A X)

    g = numerical_gradient(f, x)
    assert g.shape == (3, 4) and g.dtype == np.float64
    np.testing.assert_allclose(g, (A + A.T) @ x, rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_of_sum_of_sin(rng):
    x = rng.uniform(-3, 3, size=(2, 3, 2))
    x_before = x.copy()
    g = numerical_gradient(lambda v: np.sin(v).sum(), x)
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-7, atol=1e-8)
    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_of_logsumexp_is_scipy_softmax(rng):
    x = rng.normal(size=(4, 3))
    x_before = x.copy()
    g = numerical_gradient(lambda v: sps.logsumexp(v), x)
    np.testing.assert_allclose(g, sps.softmax(x, axis=None), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_scalar_x_and_in_place_f():
    g = numerical_gradient(lambda t: t**3, 2.0)
    assert np.shape(g) == () and float(g) == pytest.approx(12.0, rel=1e-8)

    x = np.array([1.0, 2.0])

    def f_mutating(v):
        v *= 2.0  # f modifies its argument: must not corrupt x or the result
        return float(np.sum(v**2))

    g = numerical_gradient(f_mutating, x)
    np.testing.assert_allclose(g, 8.0 * np.array([1.0, 2.0]), rtol=1e-7)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_accepts_integer_lists():
    g = numerical_gradient(lambda v: float(v @ v), [1, 2, 3])
    np.testing.assert_allclose(g, [2.0, 4.0, 6.0], rtol=1e-8)


def test_gradcheck_small_for_correct_and_large_for_wrong_gradient(rng):
    x = rng.uniform(0.5, 2.0, size=(3, 2))  # keeps the true gradient away from 0
    x_before = x.copy()

    def f(v):
        return float(np.sum(v**2) + np.sum(np.sin(v)))

    def good(v):
        return 2.0 * v + np.cos(v)

    def bad(v):  # missing factor 2
        return v + np.cos(v)

    assert gradcheck(f, good, x) < 1e-6
    assert gradcheck(f, bad, x) > 1e-2
    np.testing.assert_array_equal(x, x_before)

    A = rng.normal(size=(4, 4))
    y = rng.uniform(1.0, 2.0, size=4)
    quad = lambda v: float(v @ A @ v)  # noqa: E731
    assert gradcheck(quad, lambda v: (A + A.T) @ v, y) < 1e-6
    assert gradcheck(quad, lambda v: 2.0 * A @ v, y) > 1e-2  # forgot that A is not symmetric


def test_gradcheck_with_torch_autograd_oracle(rng):
    x = rng.normal(size=5)

    def f(v):
        return float(sps.logsumexp(v) + 0.5 * np.sum(v**2))

    def grad_torch(v):
        t = torch.tensor(v, dtype=torch.float64, requires_grad=True)
        (torch.logsumexp(t, dim=0) + 0.5 * (t**2).sum()).backward()
        return t.grad.numpy()

    assert gradcheck(f, grad_torch, x) < 1e-6


# --------------------------------------------------------------------------------------------
# error paths
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [softmax, log_softmax])
def test_scalar_input_rejected(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: z must have at least one dimension, got a scalar"):
        fn(3.0)


@pytest.mark.parametrize("fn", [softmax, log_softmax, logsumexp])
def test_bad_axis(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: axis must be in \[-2, 2\).*got 2"):
        fn(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match=rf"{fn.__name__}: axis must be"):
        fn(np.zeros((2, 3)), axis=1.0)


@pytest.mark.parametrize("fn", [sigmoid, softmax, log_softmax, logsumexp])
def test_nan_rejected(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: z must not contain NaN"):
        fn(np.array([0.0, np.nan]))


@pytest.mark.parametrize("fn", [softmax, log_softmax, logsumexp])
def test_plus_inf_rejected(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: z must not contain \+inf"):
        fn(np.array([0.0, np.inf]))


@pytest.mark.parametrize("fn", [sigmoid, softmax, logsumexp])
def test_non_numeric_rejected(fn):
    with pytest.raises(TypeError, match=rf"{fn.__name__}: z must be"):
        fn("abc")
    with pytest.raises(TypeError, match=rf"{fn.__name__}: z must be real-valued"):
        fn(np.array([1j]))


def test_empty_reduction_rejected():
    with pytest.raises(ValueError, match=r"softmax: z must have at least one entry along axis 1, got shape \(2, 0\)"):
        softmax(np.zeros((2, 0)), axis=1)
    with pytest.raises(ValueError, match=r"logsumexp: z must have at least one entry"):
        logsumexp(np.zeros(0))


def test_logsumexp_keepdims_type():
    with pytest.raises(TypeError, match="logsumexp: keepdims must be a bool"):
        logsumexp([1.0], keepdims="yes")


def test_numerical_gradient_errors():
    with pytest.raises(TypeError, match="numerical_gradient: f must be callable, got int"):
        numerical_gradient(3, np.ones(2))
    with pytest.raises(ValueError, match=r"numerical_gradient: f\(x\) must return a scalar, got an array of shape \(2,\)"):
        numerical_gradient(lambda v: v, np.ones(2))
    with pytest.raises(ValueError, match=r"numerical_gradient: eps must be > 0, got 0.0"):
        numerical_gradient(np.sum, np.ones(2), eps=0.0)
    with pytest.raises(ValueError, match=r"numerical_gradient: eps must be > 0, got -0.001"):
        numerical_gradient(np.sum, np.ones(2), eps=-1e-3)
    with pytest.raises(ValueError, match=r"numerical_gradient: x must contain only finite values"):
        numerical_gradient(np.sum, [1.0, np.nan])
    with pytest.raises(ValueError, match=r"numerical_gradient: f\(x\) must be finite"):
        numerical_gradient(lambda v: float(np.log(v).sum()) if v.min() > 0 else np.nan, [1.0, 0.0])
    with pytest.raises(TypeError, match=r"numerical_gradient: f\(x\) must return a real scalar"):
        numerical_gradient(lambda v: "one", np.ones(2))


def test_gradcheck_errors():
    with pytest.raises(ValueError, match=r"gradcheck: grad_f\(x\) must have the shape of x, \(2, 3\), got shape \(6,\)"):
        gradcheck(np.sum, lambda v: np.ones(6), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="gradcheck: grad_f must be callable"):
        gradcheck(np.sum, None, np.zeros(2))
    with pytest.raises(TypeError, match="gradcheck: f must be callable"):
        gradcheck(None, np.ones_like, np.zeros(2))
    with pytest.raises(ValueError, match="gradcheck: atol must be > 0"):
        gradcheck(np.sum, np.ones_like, np.zeros(2), atol=0.0)
    with pytest.raises(ValueError, match="gradcheck: eps must be > 0"):
        gradcheck(np.sum, np.ones_like, np.zeros(2), eps=0.0)


def test_gradcheck_is_the_c12_relative_error():
    """gradcheck and relative_error are one definition (convention C12)."""
    from dlnotes.numerics import gradcheck, relative_error

    x = np.array([0.3, -1.2, 2.0])
    wrong = lambda v: 2 * v + np.array([1e-3, 0.0, 0.5])  # noqa: E731
    g_num = 2 * x  # exact gradient of sum(x^2), which central differences reproduce to ~1e-10
    assert abs(gradcheck(lambda v: float(np.sum(v**2)), wrong, x) - relative_error(wrong(x), g_num)) < 1e-8


@pytest.mark.parametrize("h", [1e-2, 1e-3])
def test_forward_difference_is_first_order_and_central_second_order(h):
    from dlnotes.numerics import numerical_gradient

    f = lambda v: float(v[0] ** 3)  # noqa: E731
    x = np.array([1.0])
    fwd = numerical_gradient(f, x, eps=h, method="forward")[0] - 3.0
    cen = numerical_gradient(f, x, eps=h, method="central")[0] - 3.0
    assert abs(fwd - (3 * h + h**2)) < 1e-9  # (1+h)^3 - 1 = 3h + 3h^2 + h^3, divided by h
    assert abs(cen - h**2) < 1e-9


def test_numerical_gradient_rejects_unknown_method():
    from dlnotes.numerics import numerical_gradient

    with pytest.raises(ValueError, match="method must be 'central' or 'forward'"):
        numerical_gradient(lambda v: float(v.sum()), np.ones(2), method="backward")
