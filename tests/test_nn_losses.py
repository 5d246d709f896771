"""Tests of dlnotes.nn.losses against torch.nn losses and autograd (float64) and closed forms."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import dlnotes.nn as nn

ATOL = 1e-10


def T(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def torch_loss_and_grad(tloss, x, *rest, grad_output=None):
    xt = T(x, grad=True)
    out = tloss(xt, *rest)
    out.backward(torch.ones_like(out) if grad_output is None else T(grad_output))
    return out.detach().numpy(), xt.grad.numpy()


def check_value(value, want, reduction):
    if reduction == "none":
        assert isinstance(value, np.ndarray) and value.shape == want.shape
        np.testing.assert_allclose(value, want, rtol=1e-12, atol=ATOL)
    else:
        assert isinstance(value, float)
        assert value == pytest.approx(float(want), rel=1e-12, abs=ATOL)


SHAPES = [(1, 1), (3, 4), (17, 9), (5,), (2, 3, 4)]
REDUCTIONS = ["mean", "sum", "none"]


# --------------------------------------------------------------------------------------------
# MSELoss
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_matches_torch(rng, shape, reduction):
    x, y = rng.normal(size=shape), rng.normal(size=shape)
    g = rng.normal(size=shape) if reduction == "none" else None
    want, want_grad = torch_loss_and_grad(torch.nn.MSELoss(reduction=reduction), x, T(y), grad_output=g)
    loss = nn.MSELoss(reduction=reduction)
    check_value(loss(x, y), want, reduction)
    np.testing.assert_allclose(loss.backward(g), want_grad, rtol=0, atol=ATOL)
    check_value(nn.mse_loss(x, y, reduction=reduction), want, reduction)


def test_mse_batchmean_is_sum_over_outputs_mean_over_batch(rng):
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    want, want_grad = torch_loss_and_grad(lambda a, b: TF.mse_loss(a, b, reduction="sum") / 6, x, T(y))
    loss = nn.MSELoss(reduction="batchmean")
    assert loss(x, y) == pytest.approx(float(want), rel=1e-13)
    np.testing.assert_allclose(loss.backward(), want_grad, rtol=0, atol=ATOL)


def test_mse_gradient_in_closed_form(rng):
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    loss = nn.MSELoss()
    loss(x, y)
    np.testing.assert_allclose(loss.backward(), 2 * (x - y) / 8, rtol=1e-14)


# --------------------------------------------------------------------------------------------
# CrossEntropyLoss
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 3, 17])
@pytest.mark.parametrize("c", [1, 4, 9])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(rng, n, c, reduction):
    z = rng.normal(scale=3.0, size=(n, c))
    y = rng.integers(0, c, size=n)
    g = rng.normal(size=n) if reduction == "none" else None
    want, want_grad = torch_loss_and_grad(
        torch.nn.CrossEntropyLoss(reduction=reduction), z, torch.from_numpy(y), grad_output=g
    )
    loss = nn.CrossEntropyLoss(reduction=reduction)
    check_value(loss(z, y), want, reduction)
    np.testing.assert_allclose(loss.backward(g), want_grad, rtol=0, atol=ATOL)
    check_value(nn.cross_entropy(z, y, reduction=reduction), want, reduction)


def test_cross_entropy_worked_values():
    assert nn.cross_entropy([[1.0, 2.0, 3.0]], [2]) == pytest.approx(0.4076060, abs=1e-7)
    assert nn.cross_entropy(np.zeros((4, 10)), [0, 3, 9, 5]) == pytest.approx(math.log(10), rel=1e-15)
    loss = nn.CrossEntropyLoss()
    loss(np.array([[2.0, 1.0, 0.1]]), np.array([0]))
    np.testing.assert_allclose(loss.backward(), [[-0.3410, 0.2424, 0.0986]], atol=1e-4)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(rng):
    z, y = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)
    loss = nn.CrossEntropyLoss()
    loss(z, y)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(loss.backward(), (p - np.eye(3)[y]) / 5, rtol=1e-13, atol=1e-16)


def test_cross_entropy_validates_targets():
    z = np.zeros((3, 4))
    with pytest.raises(
        TypeError, match="target must be an integer array of class indices in 0..C-1, got dtype float64"
    ):
        nn.cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="got dtype bool"):
        nn.cross_entropy(z, np.array([True, False, True]))
    with pytest.raises(ValueError, match=r"class indices in 0..C-1 = 0..3, got value\(s\) \[4\]"):
        nn.CrossEntropyLoss()(z, np.array([1, 4, 2]))
    with pytest.raises(ValueError, match=r"got value\(s\) \[-1\]"):
        nn.cross_entropy(z, [0, -1, 2])
    with pytest.raises(ValueError, match=r"target must have shape \(N,\) = \(3,\)"):
        nn.cross_entropy(z, [0, 1])
    with pytest.raises(ValueError, match=r"input must be logits of shape \(N, C\)"):
        nn.cross_entropy(np.zeros(4), [1])
    with pytest.raises(ValueError, match="input must contain only finite"):
        nn.cross_entropy(np.array([[np.inf, 0.0]]), [0])


# --------------------------------------------------------------------------------------------
# BCEWithLogitsLoss
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(rng, shape, reduction):
    z = rng.normal(scale=4.0, size=shape)
    y = rng.uniform(size=shape)
    y.flat[0] = 1.0
    g = rng.normal(size=shape) if reduction == "none" else None
    want, want_grad = torch_loss_and_grad(
        torch.nn.BCEWithLogitsLoss(reduction=reduction), z, T(y), grad_output=g
    )
    loss = nn.BCEWithLogitsLoss(reduction=reduction)
    check_value(loss(z, y), want, reduction)
    np.testing.assert_allclose(loss.backward(g), want_grad, rtol=0, atol=ATOL)
    check_value(nn.binary_cross_entropy_with_logits(z, y, reduction=reduction), want, reduction)


def test_bce_worked_values_and_gradient():
    assert nn.binary_cross_entropy_with_logits([0.0], [1.0]) == pytest.approx(math.log(2), rel=1e-15)
    loss = nn.BCEWithLogitsLoss(reduction="sum")
    assert np.isfinite(loss(np.array([-1000.0, 1000.0]), np.array([1.0, 0.0])))
    assert loss(np.array([-1000.0, 1000.0]), np.array([1.0, 0.0])) == pytest.approx(2000.0, rel=1e-15)
    np.testing.assert_allclose(loss.backward(), [-1.0, 1.0])


def test_bce_validates_targets():
    with pytest.raises(ValueError, match=r"target must contain probabilities in \[0, 1\]"):
        nn.binary_cross_entropy_with_logits([0.0, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"target must have the shape of input, \(2,\), got \(3,\)"):
        nn.BCEWithLogitsLoss()(np.zeros(2), np.zeros(3))


# --------------------------------------------------------------------------------------------
# GaussianNLLLoss
# --------------------------------------------------------------------------------------------


def torch_gaussian_nll(x, y, var, **kw):
    xt = T(x, grad=True)
    vt = T(var, grad=True) if not isinstance(var, float) else var
    out = TF.gaussian_nll_loss(xt, T(y), vt, **kw)
    out.backward(torch.ones_like(out))
    gv = vt.grad.numpy() if not isinstance(var, float) else None
    return out.detach().numpy(), xt.grad.numpy(), gv


@pytest.mark.parametrize(
    "shape,var_shape",
    [
        ((5, 3), (5, 3)),  # heteroscedastic
        ((5, 3), (5,)),  # one variance per example (torch unsqueezes it)
        ((5, 3), (5, 1)),  # the same, explicit
        ((5, 3), (1, 3)),  # one variance per output, shared over the batch
        ((17, 9), (17, 9)),
        ((1, 1), (1, 1)),
        ((4,), (4,)),
        ((2, 3, 4), (2, 3)),
        ((2, 3, 4), (2, 1, 4)),
    ],
)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_matches_torch_value_and_both_gradients(rng, shape, var_shape, full, reduction):
    x, y = rng.normal(size=shape), rng.normal(size=shape)
    var = rng.uniform(0.1, 2.0, size=var_shape)
    var.flat[0] = 1e-9  # below eps: clamped
    if var.size > 1:
        var.flat[1] = 0.0  # zero is allowed, clamped too
    want, want_gx, want_gv = torch_gaussian_nll(x, y, var, full=full, reduction=reduction)
    loss = nn.GaussianNLLLoss(full=full, reduction=reduction)
    check_value(loss(x, y, var), want, reduction)
    gx, gv = loss.backward()
    assert gv.shape == var.shape
    scale = np.maximum(np.abs(want_gx), 1.0)  # entries with var clamped to 1e-6 are of order 1e6
    np.testing.assert_allclose(gx / scale, want_gx / scale, rtol=0, atol=ATOL)
    scale_v = np.maximum(np.abs(want_gv), 1.0)  # and 1e12 for the variance gradient
    np.testing.assert_allclose(gv / scale_v, want_gv / scale_v, rtol=0, atol=ATOL)
    check_value(nn.gaussian_nll_loss(x, y, var, full=full, reduction=reduction), want, reduction)


def test_gaussian_nll_gradient_passes_through_the_clamp_like_torch():
    x, y = np.array([[0.5, 1.0]]), np.array([[0.0, 0.0]])
    var = np.array([[1e-8, 0.5]])
    _, _, want_gv = torch_gaussian_nll(x, y, var, reduction="sum")
    loss = nn.GaussianNLLLoss(reduction="sum")
    loss(x, y, var)
    _, gv = loss.backward()
    # derivative at the clamped value 1e-6, not zero: 0.5 * (1/eps - 0.25/eps^2)
    assert gv[0, 0] == pytest.approx(0.5 * (1e6 - 0.25e12), rel=1e-12)
    np.testing.assert_allclose(gv, want_gv, rtol=1e-12)


def test_gaussian_nll_with_scalar_var_and_worked_value(rng):
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    want, want_gx, _ = torch_gaussian_nll(x, y, 0.7)
    loss = nn.GaussianNLLLoss()
    assert loss(x, y, 0.7) == pytest.approx(float(want), rel=1e-13)
    gx, gv = loss.backward()
    np.testing.assert_allclose(gx, want_gx, rtol=0, atol=ATOL)
    _, _, gv_array = torch_gaussian_nll(x, y, np.full((4, 2), 0.7))
    assert isinstance(gv, float) and gv == pytest.approx(gv_array.sum(), rel=1e-12)
    # -log N(1; 0, 1) = 0.5 log(2 pi) + 0.5
    value = nn.gaussian_nll_loss(np.array([0.0]), np.array([1.0]), np.array([1.0]), full=True)
    assert value == pytest.approx(1.4189385, abs=1e-7)
    normal = torch.distributions.Normal(T(0.0), T(1.0))
    assert value == pytest.approx(-normal.log_prob(T(1.0)).item(), rel=1e-14)


@pytest.mark.parametrize("var_shape", [(4,), (1, 1), (2, 4), (3, 2), (), (3, 4, 1), (1, 4, 1)])
def test_gaussian_nll_rejects_the_var_shapes_torch_rejects(var_shape):
    x, y = np.zeros((3, 4)), np.zeros((3, 4))
    var = np.ones(var_shape)
    with pytest.raises(ValueError):
        TF.gaussian_nll_loss(T(x), T(y), T(var))  # the oracle rejects it ...
    with pytest.raises(ValueError, match="var must have the shape of input"):
        nn.gaussian_nll_loss(x, y, var)  # ... and so do we


def test_gaussian_nll_validation():
    x = np.zeros((2, 2))
    with pytest.raises(ValueError, match="var must be >= 0"):
        nn.GaussianNLLLoss()(x, x, -np.ones((2, 2)))
    with pytest.raises(ValueError, match="eps must be > 0"):
        nn.GaussianNLLLoss(eps=0.0)
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)  # keyword-only, as in torch
    with pytest.raises(ValueError, match=r"target must have the shape of input"):
        nn.gaussian_nll_loss(x, np.zeros(2), np.ones((2, 2)))


# --------------------------------------------------------------------------------------------
# common behaviour
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss", [nn.MSELoss(), nn.CrossEntropyLoss(), nn.BCEWithLogitsLoss(), nn.GaussianNLLLoss()]
)
def test_backward_before_forward_raises(loss):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        loss.backward()


@pytest.mark.parametrize("cls", [nn.MSELoss, nn.CrossEntropyLoss, nn.BCEWithLogitsLoss])
def test_bad_reduction_is_rejected(cls):
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'"):
        cls(reduction="average")


def test_losses_are_modules_with_a_scalar_upstream_gradient(rng):
    z, y = rng.normal(size=(3, 4)), rng.integers(0, 4, size=3)
    loss = nn.CrossEntropyLoss()
    assert isinstance(loss, nn.Module) and loss.parameters() == []
    loss(z, y)
    np.testing.assert_allclose(loss.backward(2.5), 2.5 * loss.backward(), rtol=1e-15)


# --------------------------------------------------------------------------------------------
# hypothesis: extreme logits
# --------------------------------------------------------------------------------------------

EXTREME = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)


@settings(max_examples=50, deadline=None, database=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (n, 3), elements=EXTREME),
            arrays(np.int64, (n,), elements=st.integers(0, 2)),
        )
    )
)
def test_cross_entropy_at_extreme_logits_is_finite_and_matches_torch(data):
    z, y = data
    loss = nn.CrossEntropyLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss(z, y)
        grad = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    want, want_grad = torch_loss_and_grad(torch.nn.CrossEntropyLoss(), z, torch.from_numpy(y))
    assert value == pytest.approx(float(want), rel=1e-12, abs=ATOL)
    np.testing.assert_allclose(grad, want_grad, rtol=0, atol=ATOL)


@settings(max_examples=50, deadline=None, database=None)
@given(
    st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (n,), elements=EXTREME),
            arrays(np.float64, (n,), elements=st.floats(0.0, 1.0)),
        )
    )
)
def test_bce_at_extreme_logits_is_finite_and_matches_torch(data):
    z, y = data
    loss = nn.BCEWithLogitsLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss(z, y)
        grad = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    want, want_grad = torch_loss_and_grad(torch.nn.BCEWithLogitsLoss(), z, T(y))
    assert value == pytest.approx(float(want), rel=1e-12, abs=ATOL)
    np.testing.assert_allclose(grad, want_grad, rtol=0, atol=ATOL)


@settings(max_examples=40, deadline=None, database=None)
@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (n, 2), elements=st.floats(-1e3, 1e3)),
            arrays(np.float64, (n, 2), elements=st.floats(-1e3, 1e3)),
            arrays(np.float64, (n, 2), elements=st.floats(0.0, 1e4)),
        )
    )
)
def test_gaussian_nll_near_zero_variance_is_finite_and_matches_torch(data):
    x, y, var = data
    loss = nn.GaussianNLLLoss()
    value = loss(x, y, var)
    gx, gv = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(gx)) and np.all(np.isfinite(gv))
    want, want_gx, want_gv = torch_gaussian_nll(x, y, var)
    assert value == pytest.approx(float(want), rel=1e-12, abs=ATOL)
    np.testing.assert_allclose(gx, want_gx, rtol=1e-12, atol=ATOL)
    np.testing.assert_allclose(gv, want_gv, rtol=1e-12, atol=ATOL)


# ------------------------------------------------ class weights and label smoothing (chapter 06)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.7, 1.0])
def test_cross_entropy_weight_and_label_smoothing_match_torch(reduction, use_weight, eps):
    rng = np.random.default_rng(int(100 * eps) + 7 * use_weight)
    z = rng.normal(scale=3, size=(9, 5))
    y = rng.integers(0, 5, size=9)
    w = rng.uniform(0.1, 4.0, size=5) if use_weight else None
    zt = torch.tensor(z, requires_grad=True)
    wt = None if w is None else torch.tensor(w)
    want = torch.nn.functional.cross_entropy(zt, torch.tensor(y), weight=wt, reduction=reduction, label_smoothing=eps)
    loss = nn.CrossEntropyLoss(weight=w, reduction=reduction, label_smoothing=eps)
    got = loss(z, y)
    np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(nn.cross_entropy(z, y, weight=w, reduction=reduction, label_smoothing=eps), got, rtol=1e-15)
    upstream = rng.normal(size=9) if reduction == "none" else 1.7
    want.backward(torch.tensor(upstream) if reduction == "none" else torch.tensor(upstream, dtype=torch.float64))
    np.testing.assert_allclose(loss.backward(upstream), zt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_weighted_cross_entropy_worked_values():
    z = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert nn.cross_entropy(z, np.array([0, 1, 1]), weight=[1.0, 3.0]) == pytest.approx(0.449451, abs=1e-6)
    assert nn.cross_entropy(z, np.array([0, 1, 1]), weight=[1.0, 3.0], reduction="sum") / 3 == pytest.approx(1.048718, abs=1e-6)
    smoothed = nn.cross_entropy(np.array([[2.0, 1.0, 0.1, -1.0]]), np.array([0]), label_smoothing=0.1)
    assert smoothed == pytest.approx(0.596813, abs=1e-6)


def test_cross_entropy_weight_and_smoothing_errors_name_the_argument():
    with pytest.raises(ValueError, match="weight must be a 1-D array.*shape \\(C,\\) = \\(3,\\).*\\(2,\\)"):
        nn.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="weight must be finite and non-negative"):
        nn.CrossEntropyLoss(weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="label_smoothing must be in \\[0, 1\\], got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(TypeError, match="label_smoothing"):
        nn.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), label_smoothing="0.1")
