"""Tests of dlnotes.nn.functional against PyTorch autograd (float64), SciPy and closed forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sps
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import dlnotes.numerics as numerics
from dlnotes.nn import functional as F

SELU_LAMBDA = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


def T(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def torch_value_and_derivative(torch_f, x):
    """Value of an elementwise torch function and its elementwise derivative by autograd."""
    xt = T(x, grad=True)
    y = torch_f(xt)
    y.backward(torch.ones_like(y))
    return y.detach().numpy(), xt.grad.numpy()


@pytest.fixture
def rng():
    return np.random.default_rng(404)


def sample_x(rng, shape=(7, 9)):
    """Normal draws with some exact zeros, both tails, and points around softplus's cut-off."""
    x = rng.normal(scale=3.0, size=shape)
    flat = x.reshape(-1)
    flat[:6] = [0.0, -0.0, 19.999, 20.0, 20.001, -25.0]
    return x


# (name, our f, our f', torch function)
CASES = [
    ("relu", F.relu, F.relu_grad, torch.relu),
    ("leaky_relu", F.leaky_relu, F.leaky_relu_grad, TF.leaky_relu),
    (
        "leaky_relu_0.2",
        lambda x: F.leaky_relu(x, 0.2),
        lambda x: F.leaky_relu_grad(x, 0.2),
        lambda x: TF.leaky_relu(x, 0.2),
    ),
    ("sigmoid", F.sigmoid, F.sigmoid_grad, torch.sigmoid),
    ("tanh", F.tanh, F.tanh_grad, torch.tanh),
    ("elu", F.elu, F.elu_grad, TF.elu),
    ("elu_2.5", lambda x: F.elu(x, 2.5), lambda x: F.elu_grad(x, 2.5), lambda x: TF.elu(x, 2.5)),
    ("elu_0.3", lambda x: F.elu(x, 0.3), lambda x: F.elu_grad(x, 0.3), lambda x: TF.elu(x, 0.3)),
    ("selu", F.selu, F.selu_grad, TF.selu),
    ("gelu", F.gelu, F.gelu_grad, TF.gelu),
    (
        "gelu_tanh",
        lambda x: F.gelu(x, "tanh"),
        lambda x: F.gelu_grad(x, "tanh"),
        lambda x: TF.gelu(x, approximate="tanh"),
    ),
    (
        "gelu_sigmoid",
        lambda x: F.gelu(x, "sigmoid"),
        lambda x: F.gelu_grad(x, "sigmoid"),
        lambda x: x * torch.sigmoid(1.702 * x),
    ),
    ("silu", F.silu, F.silu_grad, TF.silu),
    ("softplus", F.softplus, F.softplus_grad, TF.softplus),
    (
        "softplus_b2",
        lambda x: F.softplus(x, 2.0),
        lambda x: F.softplus_grad(x, 2.0),
        lambda x: TF.softplus(x, beta=2.0),
    ),
    (
        "softplus_b0.5_t5",
        lambda x: F.softplus(x, 0.5, 5.0),
        lambda x: F.softplus_grad(x, 0.5, 5.0),
        lambda x: TF.softplus(x, beta=0.5, threshold=5.0),
    ),
    (
        "softplus_bneg",
        lambda x: F.softplus(x, -1.5),
        lambda x: F.softplus_grad(x, -1.5),
        lambda x: TF.softplus(x, beta=-1.5),
    ),
    ("identity", F.identity, F.identity_grad, lambda x: x * 1.0),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,f,df,tf", CASES, ids=IDS)
@pytest.mark.parametrize("shape", [(1,), (3, 4), (2, 3, 5)])
def test_activation_and_derivative_match_torch_autograd(rng, name, f, df, tf, shape):
    x = sample_x(rng, shape) if np.prod(shape) >= 6 else rng.normal(size=shape)
    want_y, want_dy = torch_value_and_derivative(tf, x)
    y, dy = f(x), df(x)
    assert y.shape == shape and dy.shape == shape and y.dtype == np.float64
    np.testing.assert_allclose(y, want_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dy, want_dy, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,f,df,tf", CASES, ids=IDS)
def test_activation_finite_and_silent_at_extreme_inputs(name, f, df, tf):
    x = np.array([-1e4, -1000.0, -50.0, 50.0, 1000.0, 1e4])
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        y, dy = f(x), df(x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dy))
    want_y, want_dy = torch_value_and_derivative(tf, x)
    np.testing.assert_allclose(y, want_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dy, want_dy, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------------
# kinks: pinned to torch autograd at exactly 0 (C3)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "df,tf,expected",
    [
        (F.relu_grad, torch.relu, 0.0),
        (F.leaky_relu_grad, TF.leaky_relu, 0.01),
        (lambda x: F.leaky_relu_grad(x, 0.3), lambda x: TF.leaky_relu(x, 0.3), 0.3),
        (F.elu_grad, TF.elu, 1.0),
        (lambda x: F.elu_grad(x, 2.0), lambda x: TF.elu(x, 2.0), 2.0),
        (F.selu_grad, TF.selu, SELU_LAMBDA * SELU_ALPHA),
        (F.softplus_grad, TF.softplus, 0.5),
        (lambda x: F.softplus_grad(x, 3.0), lambda x: TF.softplus(x, beta=3.0), 0.5),
        (F.gelu_grad, TF.gelu, 0.5),
        (lambda x: F.gelu_grad(x, "tanh"), lambda x: TF.gelu(x, approximate="tanh"), 0.5),
        (F.silu_grad, TF.silu, 0.5),
        (F.sigmoid_grad, torch.sigmoid, 0.25),
    ],
)
def test_derivative_at_zero_follows_torch_autograd(df, tf, expected):
    _, want = torch_value_and_derivative(tf, np.array([0.0, -0.0]))
    np.testing.assert_allclose(want, expected, rtol=1e-15)  # the convention, read off torch
    np.testing.assert_allclose(df(np.array([0.0, -0.0])), want, rtol=1e-15, atol=0)


def test_selu_derivative_at_zero_is_about_1_7581():
    assert F.selu_grad(np.array([0.0]))[0] == pytest.approx(1.7580993408473766, rel=1e-15)


# --------------------------------------------------------------------------------------------
# softplus threshold (torch returns x itself above it)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 20.0), (0.5, 3.0), (1.0, 0.0)])
def test_softplus_threshold_switch_matches_torch(beta, threshold):
    c = threshold / beta
    x = np.array([c - 1e-3, c - 1e-12, c, c + 1e-12, c + 1e-3, c + 1.0])
    want_y, want_dy = torch_value_and_derivative(lambda t: TF.softplus(t, beta=beta, threshold=threshold), x)
    np.testing.assert_allclose(F.softplus(x, beta, threshold), want_y, rtol=1e-15, atol=0)
    np.testing.assert_allclose(F.softplus_grad(x, beta, threshold), want_dy, rtol=1e-15, atol=0)
    above = beta * x > threshold
    assert np.array_equal(F.softplus(x, beta, threshold)[above], x[above])  # exactly x
    assert np.all(F.softplus_grad(x, beta, threshold)[above] == 1.0)


def test_softplus_without_threshold_is_the_exact_function():
    x = np.array([19.0, 21.0, 30.0])
    exact = np.logaddexp(0.0, x)  # NumPy's independent log(1 + e^x)
    np.testing.assert_allclose(F.softplus(x, threshold=np.inf), exact, rtol=1e-15)
    # with torch's cut-off the jump above 20 is below e^-20 ~ 2e-9 but not zero
    assert 0 < exact[1] - F.softplus(x)[1] < 2.1e-9


def test_softplus_worked_values():
    assert F.softplus(np.array([0.0]))[0] == pytest.approx(np.log(2.0), rel=1e-15)
    assert np.all(np.isfinite(F.softplus(np.array([-1000.0, 1000.0]))))


# --------------------------------------------------------------------------------------------
# worked values from the syllabus
# --------------------------------------------------------------------------------------------


def test_sigmoid_and_tanh_worked_values():
    assert F.sigmoid_grad(np.array([0.0]))[0] == 0.25
    assert F.sigmoid_grad(np.array([10.0]))[0] == pytest.approx(4.5396e-5, rel=1e-4)
    t1 = F.tanh(np.array([1.0]))[0]
    assert t1 == pytest.approx(0.761594, abs=1e-6)
    assert t1 == pytest.approx(2 * sps.expit(2.0) - 1, rel=1e-14)  # tanh(x) = 2 sigma(2x) - 1
    assert 2 * sps.expit(1.0) - 1 == pytest.approx(0.462117, abs=1e-6)  # not tanh(1)


def test_selu_worked_values():
    np.testing.assert_allclose(F.selu(np.array([1.0, -1.0])), [1.0507009874, -1.1113307378], atol=1e-10)
    np.testing.assert_allclose(F.SELU_SCALE, SELU_LAMBDA, rtol=1e-16)
    np.testing.assert_allclose(F.SELU_ALPHA, SELU_ALPHA, rtol=1e-16)


def test_selu_self_normalises_standard_normal_input():
    z = np.random.default_rng(0).normal(size=2_000_000)
    y = F.selu(z)
    assert abs(y.mean()) < 0.005 and abs(y.var() - 1.0) < 0.005


def test_gelu_approximation_gaps_on_minus6_to_6():
    x = np.linspace(-6, 6, 120_001)
    exact = TF.gelu(T(x)).numpy()  # torch's exact erf form
    gap_sig = np.abs(exact - F.gelu(x, "sigmoid"))
    gap_tanh = np.abs(exact - F.gelu(x, "tanh"))
    assert gap_sig.max() == pytest.approx(0.02033, abs=5e-5)
    assert x[np.argmax(gap_sig)] == pytest.approx(-2.27, abs=0.01)
    assert gap_tanh.max() == pytest.approx(4.73e-4, abs=5e-6)
    np.testing.assert_allclose(F.gelu(x), x * sps.ndtr(x), rtol=1e-13, atol=1e-15)


def test_elu_derivative_is_f_plus_alpha_on_negative_side(rng):
    x = -np.abs(rng.normal(size=50)) - 1e-3
    for alpha in (0.5, 1.0, 2.0):
        np.testing.assert_allclose(F.elu_grad(x, alpha), F.elu(x, alpha) + alpha, rtol=1e-13)


# --------------------------------------------------------------------------------------------
# PReLU, Swish, maxout
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.25, np.array([0.1]), np.array([0.1, -0.3, 0.7])])
def test_prelu_and_its_gradients_match_torch(rng, alpha):
    x = rng.normal(size=(5, 3, 4))
    x[0, 0, 0] = 0.0
    g = rng.normal(size=x.shape)
    xt, at = T(x, grad=True), T(np.atleast_1d(alpha), grad=True)
    y = TF.prelu(xt, at)
    y.backward(T(g))
    np.testing.assert_allclose(F.prelu(x, alpha), y.detach().numpy(), rtol=1e-14)
    dx, dalpha = F.prelu_grad(x, alpha, g)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(np.atleast_1d(dalpha), at.grad.numpy(), rtol=1e-12)
    if np.ndim(alpha) == 0:
        assert isinstance(dalpha, float)
    else:
        assert dalpha.shape == np.shape(alpha)


def test_prelu_derivative_at_zero_is_alpha():
    dx, dalpha = F.prelu_grad(np.array([0.0]), 0.3)
    assert dx[0] == 0.3 and dalpha == 0.0


def test_swish_and_beta_gradient_match_torch(rng):
    x, g = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    xt, bt = T(x, grad=True), T(1.3, grad=True)
    y = xt * torch.sigmoid(bt * xt)
    y.backward(T(g))
    np.testing.assert_allclose(F.swish(x, 1.3), y.detach().numpy(), rtol=1e-14)
    dx, dbeta = F.swish_grad(x, 1.3, g)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12)
    assert dbeta == pytest.approx(bt.grad.item(), rel=1e-12)
    np.testing.assert_allclose(F.swish(x, 1.0), F.silu(x), rtol=1e-15)


def _torch_maxout(x, W, b, g):
    xt, Wt, bt = T(x, grad=True), T(W, grad=True), T(b, grad=True)
    pieces = torch.stack([xt @ Wt[k].T + bt[k] for k in range(W.shape[0])])
    out = torch.max(pieces, dim=0).values
    out.backward(T(g))
    return out.detach().numpy(), xt.grad.numpy(), Wt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("k,n,d_in,d_out", [(2, 5, 3, 4), (3, 1, 1, 1), (4, 17, 6, 2)])
def test_maxout_forward_and_backward_match_torch(rng, k, n, d_in, d_out):
    x, W, b = rng.normal(size=(n, d_in)), rng.normal(size=(k, d_out, d_in)), rng.normal(size=(k, d_out))
    g = rng.normal(size=(n, d_out))
    out, idx = F.maxout(x, W, b)
    want_out, want_dx, want_dW, want_db = _torch_maxout(x, W, b, g)
    np.testing.assert_allclose(out, want_out, rtol=1e-13, atol=1e-14)
    dx, dW, db = F.maxout_backward(g, x, W, idx)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dW, want_dW, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(db, want_db, rtol=1e-12, atol=1e-13)


def test_maxout_generalises_relu_and_leaky_relu(rng):
    x, w, c = rng.normal(size=(20, 3)), rng.normal(size=(1, 3)), rng.normal(size=(1,))
    pre = x @ w.T + c
    W = np.stack([np.zeros((1, 3)), w])
    b = np.stack([np.zeros(1), c])
    np.testing.assert_allclose(F.maxout(x, W, b)[0], np.maximum(pre, 0.0), rtol=1e-14)
    a = 0.1
    W2, b2 = np.stack([a * w, w]), np.stack([a * c, c])
    np.testing.assert_allclose(F.maxout(x, W2, b2)[0], np.where(pre > 0, pre, a * pre), rtol=1e-13)


def test_maxout_ties_route_to_the_first_piece():
    W = np.ones((2, 1, 1))
    b = np.zeros((2, 1))
    out, idx = F.maxout(np.array([[2.0]]), W, b)
    assert idx[0, 0] == 0
    _, dW, db = F.maxout_backward(np.array([[1.0]]), np.array([[2.0]]), W, idx)
    assert dW[0, 0, 0] == 2.0 and dW[1, 0, 0] == 0.0 and db[1, 0] == 0.0


def test_maxout_rejects_bad_shapes(rng):
    with pytest.raises(ValueError, match="x must have shape"):
        F.maxout(rng.normal(size=(3, 2)), rng.normal(size=(2, 4, 5)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="b must have shape"):
        F.maxout(rng.normal(size=(3, 5)), rng.normal(size=(2, 4, 5)), np.zeros((4,)).reshape(1, 4))
    with pytest.raises(ValueError, match="W must be 3-D"):
        F.maxout(rng.normal(size=(3, 5)), rng.normal(size=(4, 5)), np.zeros((2, 4)))


# --------------------------------------------------------------------------------------------
# softmax family
# --------------------------------------------------------------------------------------------


def test_softmax_family_is_reexported_from_numerics():
    assert F.softmax is numerics.softmax
    assert F.log_softmax is numerics.log_softmax
    assert F.logsumexp is numerics.logsumexp
    assert F.sigmoid is numerics.sigmoid


def test_softmax_worked_values():
    want = [0.09003057, 0.24472847, 0.66524096]
    np.testing.assert_allclose(F.softmax(np.array([1.0, 2.0, 3.0])), want, atol=1e-8)
    np.testing.assert_allclose(F.softmax(np.array([1000.0, 1001.0, 1002.0])), want, atol=1e-8)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_softmax_jacobian_matches_torch_jacobian(rng, k):
    z = rng.normal(size=k)
    s = F.softmax(z)
    want = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, 0), T(z)).numpy()
    J = F.softmax_jacobian(s)
    np.testing.assert_allclose(J, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)


def test_softmax_jacobian_diagonal_worked_value_and_batch(rng):
    J = F.softmax_jacobian(F.softmax(np.array([1.0, 2.0, 3.0])))
    np.testing.assert_allclose(np.diag(J), [0.08192507, 0.18483645, 0.22269543], atol=1e-8)
    S = F.softmax(rng.normal(size=(4, 5)))
    Jb = F.softmax_jacobian(S)
    assert Jb.shape == (4, 5, 5)
    for i in range(4):
        np.testing.assert_allclose(Jb[i], np.diag(S[i]) - np.outer(S[i], S[i]), rtol=1e-14)


# --------------------------------------------------------------------------------------------
# registry and validation
# --------------------------------------------------------------------------------------------


def test_get_activation_returns_the_pairs_and_binds_keywords(rng):
    x = rng.normal(size=10)
    f, df = F.get_activation("ReLU")
    assert f is F.relu and df is F.relu_grad
    f, df = F.get_activation("leaky_relu", negative_slope=0.2)
    want_y, want_dy = torch_value_and_derivative(lambda t: TF.leaky_relu(t, 0.2), x)
    np.testing.assert_allclose(f(x), want_y, rtol=1e-15)
    np.testing.assert_allclose(df(x), want_dy, rtol=1e-15)
    for name in F.ACTIVATIONS:
        f, df = F.get_activation(name)
        assert f(x).shape == x.shape and df(x).shape == x.shape


def test_get_activation_rejects_unknown_names_and_keywords():
    with pytest.raises(ValueError, match="name must be one of"):
        F.get_activation("swishy")
    with pytest.raises(TypeError, match="name must be a str"):
        F.get_activation(3)
    with pytest.raises(TypeError, match="invalid keyword"):
        F.get_activation("relu", alpha=2.0)


def test_functional_validation_messages():
    with pytest.raises(ValueError, match="approximate must be one of"):
        F.gelu(np.zeros(2), approximate="fast")
    with pytest.raises(ValueError, match="beta must be non-zero"):
        F.softplus(np.zeros(2), beta=0.0)
    with pytest.raises(TypeError, match="relu: x must be an array of numbers"):
        F.relu("abc")
    with pytest.raises(ValueError, match="relu: x must contain only finite"):
        F.relu(np.array([np.nan]))
    with pytest.raises(TypeError, match="negative_slope must be a real number"):
        F.leaky_relu(np.zeros(2), negative_slope="0.1")
    with pytest.raises(ValueError, match="alpha must have 1 entry or one per channel"):
        F.prelu(np.zeros((2, 3)), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="s must have at least one dimension"):
        F.softmax_jacobian(0.5)


@settings(max_examples=40, deadline=None, database=None)
@given(
    arrays(np.float64, array_shapes(min_dims=1, max_dims=2, max_side=5), elements=st.floats(-1e4, 1e4)),
    st.sampled_from(range(len(CASES))),
)
def test_activations_agree_with_torch_on_arbitrary_inputs(x, case):
    _, f, df, tf = CASES[case]
    want_y, want_dy = torch_value_and_derivative(tf, x)
    np.testing.assert_allclose(f(x), want_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(df(x), want_dy, rtol=1e-12, atol=1e-12)
