"""Tests of dlnotes.optim.landscape: minibatches (exhaustive checks), gradient noise (exact
enumeration, Monte Carlo with stated tolerances), 1-D/2-D slices and filter normalisation (torch
copies of the model, scale invariance), Hessian-vector products and extreme eigenvalues (closed-form
Hessians and torch.autograd.functional.hessian + numpy.linalg.eigvalsh)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import dlnotes.nn as nn
from dlnotes.optim.landscape import (
    filter_normalize,
    gradient_noise,
    hessian_extreme_eigenvalues,
    hessian_vector_product,
    interpolate_1d,
    make_loss_fn,
    minibatch_gradient_variance,
    minibatches,
    parameters_to_vector,
    random_directions,
    slice_1d,
    slice_2d,
    vector_to_parameters,
)


@pytest.fixture
def regression():
    """A linear-regression problem: Linear(4, 1) + MSE, whose Hessian is (2/N) [X 1]^T [X 1]."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)) * np.array([3.0, 2.0, 1.0, 0.5])
    y = X @ np.array([[1.0], [-1.0], [0.5], [2.0]]) + 0.3 * rng.normal(size=(50, 1))
    model = nn.Linear(4, 1, rng=1)
    return model, X, y


@pytest.fixture
def tiny_mlp():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = np.sin(X[:, :1]) + X[:, 1:] ** 2
    return nn.MLP([2, 3, 1], activation="tanh", rng=0), X, y


def _torch_mlp_loss(X, y):
    """Loss of MLP([2, 3, 1], tanh) + MSE as a torch function of the flat parameter vector,
    in the order weight0 (3x2), bias0 (3), weight2 (1x3), bias2 (1): written independently."""
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def L(v):
        W1, b1, W2, b2 = v[0:6].reshape(3, 2), v[6:9], v[9:12].reshape(1, 3), v[12:13]
        return ((torch.tanh(Xt @ W1.T + b1) @ W2.T + b2 - yt) ** 2).mean()

    return L


def _snapshot(model):
    return [p.data.copy() for p in model.parameters()], [p.grad.copy() for p in model.parameters()]


def _assert_unchanged(model, snap):
    for p, d, g in zip(model.parameters(), *snap):
        np.testing.assert_array_equal(p.data, d)
        np.testing.assert_array_equal(p.grad, g)


# --------------------------------------------------------------------------------------------
# minibatches and gradient noise
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "B"), [(10, 3), (12, 4), (7, 1), (5, 8), (100, 32)])
def test_minibatches_cover_each_index_exactly_once_per_epoch(n, B):
    rng = np.random.default_rng(0)
    epochs = [minibatches(n, B, rng) for _ in range(3)]
    for batches in epochs:
        np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))
        assert len(batches) == math.ceil(n / B)
        assert all(len(b) == min(B, n) for b in batches[:-1])
    if n > 3:  # a fresh shuffle every epoch
        assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))


def test_minibatches_sizes_drop_last_and_reproducibility():
    assert [len(b) for b in minibatches(10, 3, 0)] == [3, 3, 3, 1]
    dropped = minibatches(10, 3, 0, drop_last=True)
    assert [len(b) for b in dropped] == [3, 3, 3]
    assert len(np.unique(np.concatenate(dropped))) == 9
    assert [len(b) for b in minibatches(9, 3, 0, drop_last=True)] == [3, 3, 3]
    for a, b in zip(minibatches(50, 7, 42), minibatches(50, 7, np.random.default_rng(42))):
        np.testing.assert_array_equal(a, b)


def test_minibatches_errors():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        minibatches(10, 0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        minibatches(0, 2)
    with pytest.raises(TypeError, match="drop_last must be a bool"):
        minibatches(10, 2, 0, drop_last="yes")
    with pytest.raises(TypeError, match="rng"):
        minibatches(10, 2, rng="seed")


def test_minibatch_gradient_variance_equals_exhaustive_enumeration():
    rng = np.random.default_rng(3)
    G = rng.normal(size=(20, 3)) * np.array([1.0, 10.0, 0.1]) + 5.0
    # without replacement: every one of the C(20, 5) = 15504 batches, equally likely
    idx = np.array(list(itertools.combinations(range(20), 5)))
    means = G[idx].mean(axis=1)
    np.testing.assert_allclose(means.mean(axis=0), G.mean(axis=0), rtol=1e-13)  # unbiased
    np.testing.assert_allclose(minibatch_gradient_variance(G, 5), means.var(axis=0), rtol=1e-13)
    # with replacement: every ordered triple of 6 examples
    G6 = G[:6]
    idx = np.array(list(itertools.product(range(6), repeat=3)))
    want = G6[idx].mean(axis=1).var(axis=0)
    np.testing.assert_allclose(minibatch_gradient_variance(G6, 3, replace=True), want, rtol=1e-13)
    np.testing.assert_allclose(minibatch_gradient_variance(G, 20), 0.0, atol=1e-14)  # B = N: no noise
    # the wrong textbook variants differ
    assert not np.allclose(minibatch_gradient_variance(G, 5), G.var(axis=0) / 5)
    with pytest.raises(ValueError, match="batch_size must be <= N = 20"):
        minibatch_gradient_variance(G, 21)
    with pytest.raises(ValueError, match="at least 2 rows"):
        minibatch_gradient_variance(G[:1], 1)


def _per_example_grads(model, X, y):
    """Closed form for Linear(d, 1) + MSE: the gradient of (w.x + b - y)^2 is 2 r [x, 1]."""
    r = X @ model.weight.data.T + model.bias.data - y
    return 2.0 * r * np.hstack([X, np.ones((len(X), 1))])


def test_gradient_noise_matches_the_exact_variance(regression):
    model, X, y = regression
    model.weight.grad[...] = 7.0  # gradients accumulated elsewhere must survive
    snap = _snapshot(model)
    Gi = _per_example_grads(model, X, y)
    N = len(X)
    # B = 1 with replacement: s^2 is the mean of K draws of |g_i - g|^2 from a known population,
    # so its standard error is exactly std(|g_i - g|^2) / sqrt(K); allow 5 standard errors.
    d2 = np.sum((Gi - Gi.mean(axis=0)) ** 2, axis=1)
    K = 2000
    s = gradient_noise(model, nn.MSELoss(), X, y, [1], n_batches=K, rng=0, replace=True)
    assert abs(s[0] ** 2 - d2.mean()) <= 5 * d2.std() / math.sqrt(K)
    # B = N without replacement: every batch is the whole data set
    s = gradient_noise(model, nn.MSELoss(), X, y, [N], n_batches=3, rng=0)
    assert s[0] < 1e-12
    _assert_unchanged(model, snap)


def test_gradient_noise_std_has_slope_minus_one_half_on_log_log_axes():
    rng = np.random.default_rng(0)
    N = 1000
    X = rng.normal(size=(N, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.5 * rng.normal(size=(N, 1))
    model = nn.Linear(3, 1, rng=0)
    Bs = np.array([1, 2, 4, 8, 16, 32, 64])
    Gi = _per_example_grads(model, X, y)
    exact = np.sqrt(Gi.var(axis=0).sum() / Bs * (N - Bs) / (N - 1))  # sqrt(tr Var) without replacement
    want = np.polyfit(np.log(Bs), np.log(exact), 1)[0]  # -0.516: the finite-population factor bends it
    for replace, target in ((True, -0.5), (False, want)):
        s = gradient_noise(model, nn.MSELoss(), X, y, Bs, n_batches=200, rng=1, replace=replace)
        slope = np.polyfit(np.log(Bs), np.log(s), 1)[0]
        # Over 30 seeds the fitted slope had a standard deviation of 0.025 with 100 batches per
        # size, so about 0.018 with 200: 0.075 is four standard deviations.
        assert abs(slope - target) < 0.075


def test_gradient_noise_errors(regression):
    model, X, y = regression
    with pytest.raises(ValueError, match="every batch size must be <= N = 50"):
        gradient_noise(model, nn.MSELoss(), X, y, [51])
    with pytest.raises(ValueError, match="same number of rows"):
        gradient_noise(model, nn.MSELoss(), X, y[:10], [5])
    with pytest.raises(ValueError, match="batch_sizes must not be empty"):
        gradient_noise(model, nn.MSELoss(), X, y, [])
    with pytest.raises(ValueError, match="n_batches must be >= 2"):
        gradient_noise(model, nn.MSELoss(), X, y, [5], n_batches=1)
    with pytest.raises(TypeError, match="loss must be a dlnotes.nn loss module"):
        gradient_noise(model, torch.nn.MSELoss(), X, y, [5])


# --------------------------------------------------------------------------------------------
# flat vectors, interpolation and slices
# --------------------------------------------------------------------------------------------


def test_parameter_vector_order_is_torchs(tiny_mlp):
    model, _, _ = tiny_mlp
    v = parameters_to_vector(model)
    tm = nn.to_torch(model)
    np.testing.assert_array_equal(v, torch.nn.utils.parameters_to_vector(tm.parameters()).detach().numpy())
    w = np.arange(v.size, dtype=float)
    vector_to_parameters(w, model)
    torch.nn.utils.vector_to_parameters(torch.tensor(w), tm.parameters())
    for p, tp in zip(model.parameters(), tm.parameters()):
        np.testing.assert_array_equal(p.data, tp.detach().numpy())
    with pytest.raises(ValueError, match="vec must have 13 entries"):
        vector_to_parameters(np.zeros(12), model)


def _torch_loss_at(model, X, y, theta):
    """The MSE of a torch copy of the model with parameters theta (set with torch's own utility)."""
    tm = nn.to_torch(model)
    torch.nn.utils.vector_to_parameters(torch.tensor(theta), tm.parameters())
    with torch.no_grad():
        return float(torch.nn.functional.mse_loss(tm(torch.tensor(X)), torch.tensor(y)))


def test_interpolate_1d_endpoints_and_torch_values(tiny_mlp):
    model, X, y = tiny_mlp
    loss_fn = make_loss_fn(nn.MSELoss(), X, y)
    state_a = model.state_dict()
    theta_a = parameters_to_vector(model)
    theta_b = theta_a + np.random.default_rng(1).normal(size=theta_a.size)
    snap = _snapshot(model)
    alphas = np.array([0.0, 0.25, 0.5, 1.0, 1.5])
    curve = interpolate_1d(model, state_a, theta_b, loss_fn, alphas)
    want = [_torch_loss_at(model, X, y, (1 - a) * theta_a + a * theta_b) for a in alphas]
    np.testing.assert_allclose(curve, want, rtol=1e-12)
    _assert_unchanged(model, snap)
    # state dicts and vectors are interchangeable
    vector_to_parameters(theta_b, model)
    state_b = model.state_dict()
    vector_to_parameters(theta_a, model)
    np.testing.assert_array_equal(interpolate_1d(model, theta_a, state_b, loss_fn, alphas), curve)


def test_interpolation_of_a_quadratic_loss_is_an_exact_parabola(regression):
    model, X, y = regression
    loss_fn = make_loss_fn(nn.MSELoss(), X, y)
    a = parameters_to_vector(model)
    b = np.linalg.lstsq(np.hstack([X, np.ones((50, 1))]), y, rcond=None)[0].ravel()  # the minimiser
    alphas = np.linspace(-0.5, 1.5, 9)
    curve = interpolate_1d(model, a, b, loss_fn, alphas)
    coef, res, *_ = np.polyfit(alphas, curve, 2, full=True)
    assert res[0] < 1e-20 * max(1.0, curve.max() ** 2)
    assert np.argmin(curve) == 6  # alpha = 1: the least-squares solution is the minimum on the line


def test_slice_2d_layout_and_values(tiny_mlp):
    model, X, y = tiny_mlp
    loss_fn = make_loss_fn(nn.MSELoss(), X, y)
    d1, d2 = random_directions(model, rng=0)
    alphas, betas = np.linspace(-1, 1, 5), np.linspace(-0.5, 0.5, 3)
    snap = _snapshot(model)
    Z = slice_2d(model, loss_fn, d1, d2, alphas, betas)
    assert Z.shape == (3, 5)
    theta = parameters_to_vector(model)
    assert Z[1, 2] == pytest.approx(_torch_loss_at(model, X, y, theta), rel=1e-13)  # the centre
    for i, j in [(0, 0), (2, 4), (0, 3)]:
        want = _torch_loss_at(model, X, y, theta + alphas[j] * d1 + betas[i] * d2)
        assert Z[i, j] == pytest.approx(want, rel=1e-12)
    _assert_unchanged(model, snap)
    np.testing.assert_array_equal(slice_1d(model, loss_fn, d1, alphas), Z[1])


def test_slice_2d_of_a_quadratic_is_symmetric(regression):
    model, X, y = regression
    loss_fn = make_loss_fn(nn.MSELoss(), X, y)
    b = np.linalg.lstsq(np.hstack([X, np.ones((50, 1))]), y, rcond=None)[0].ravel()
    vector_to_parameters(b, model)  # at the minimum L(theta + u) = L(theta - u)
    d1, d2 = random_directions(model, rng=1, filter_normalize=False)
    grid = np.linspace(-1, 1, 5)
    Z = slice_2d(model, loss_fn, d1, d2, grid, grid)
    np.testing.assert_allclose(Z, Z[::-1, ::-1], rtol=1e-10)


# --------------------------------------------------------------------------------------------
# filter normalisation
# --------------------------------------------------------------------------------------------


def test_filter_normalized_directions_have_the_weights_row_norms(tiny_mlp):
    model, _, _ = tiny_mlp
    for d in random_directions(model, rng=3, n=3):
        i = 0
        for p in model.parameters():
            seg = d[i : i + p.size].reshape(p.shape)
            if p.ndim == 2:  # per output neuron (row of the (out, in) weight)
                want = np.linalg.norm(p.data, axis=1)
                np.testing.assert_allclose(np.linalg.norm(seg, axis=1), want, rtol=1e-13)
            else:
                np.testing.assert_array_equal(seg, 0.0)  # biases ignored
            i += p.size
    raw = np.random.default_rng(0).normal(size=13)
    kept = filter_normalize(raw, model, ignore_bias=False)
    np.testing.assert_array_equal(kept[6:9], model[0].bias.data)  # Li et al.'s code: bias direction = bias
    # a zero filter stays zero
    raw[0:2] = 0.0
    assert np.all(filter_normalize(raw, model)[0:2] == 0.0)


def _relu_twin(c):
    net = nn.MLP([2, 8, 1], activation="relu", rng=5)
    twin = nn.MLP([2, 8, 1], activation="relu", rng=5)
    twin[0].weight.data *= c
    twin[0].bias.data *= c
    twin[2].weight.data /= c
    return net, twin


def test_filter_normalization_makes_slices_scale_invariant():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.abs(X[:, :1]) - X[:, 1:]
    loss_fn = make_loss_fn(nn.MSELoss(), X, y)
    net, twin = _relu_twin(10.0)
    np.testing.assert_allclose(net(X), twin(X), rtol=1e-12)  # functionally identical
    alphas = np.linspace(-1, 1, 11)
    (d_net,) = random_directions(net, rng=7, n=1)
    (d_twin,) = random_directions(twin, rng=7, n=1)
    np.testing.assert_allclose(slice_1d(net, loss_fn, d_net, alphas), slice_1d(twin, loss_fn, d_twin, alphas),
                               rtol=0, atol=1e-10)  # fmt: skip
    # without normalisation the same random draws make the two nets look very different
    (u_net,) = random_directions(net, rng=7, n=1, filter_normalize=False)
    (u_twin,) = random_directions(twin, rng=7, n=1, filter_normalize=False)
    a = slice_1d(net, loss_fn, u_net, alphas)
    b = slice_1d(twin, loss_fn, u_twin, alphas)
    assert np.abs(a - b).max() > 0.1 * np.abs(a).max()


def test_filter_normalize_errors(tiny_mlp):
    model, X, y = tiny_mlp
    with pytest.raises(ValueError, match="direction must have 13 entries"):
        filter_normalize(np.ones(5), model)
    with pytest.raises(TypeError, match="model must be a dlnotes.nn.Module"):
        filter_normalize(np.ones(13), nn.to_torch(model))
    with pytest.raises(ValueError, match="n must be >= 1"):
        random_directions(model, rng=0, n=0)


# --------------------------------------------------------------------------------------------
# Hessian-vector products and extreme eigenvalues
# --------------------------------------------------------------------------------------------


def _linear_hessian(X):
    Xt = np.hstack([X, np.ones((len(X), 1))])
    return 2.0 / len(X) * Xt.T @ Xt


def test_hvp_is_exact_for_a_quadratic_loss(regression):
    model, X, y = regression
    loss_fn = make_loss_fn(nn.MSELoss(), X, y)
    H = _linear_hessian(X)
    snap = _snapshot(model)
    for v in np.random.default_rng(0).normal(size=(3, 5)):
        np.testing.assert_allclose(hessian_vector_product(model, loss_fn, v), H @ v, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(hessian_vector_product(model, loss_fn, np.zeros(5)), 0.0)
    _assert_unchanged(model, snap)


def test_hvp_matches_torch_on_a_tiny_mlp(tiny_mlp):
    model, X, y = tiny_mlp
    loss_fn = make_loss_fn(nn.MSELoss(), X, y)
    L = _torch_mlp_loss(X, y)
    theta = torch.tensor(parameters_to_vector(model))
    for v in np.random.default_rng(1).normal(size=(3, 13)) * 3.0:
        _, want = torch.autograd.functional.hvp(L, theta, torch.tensor(v))
        np.testing.assert_allclose(hessian_vector_product(model, loss_fn, v), want.numpy(), rtol=1e-6,
                                   atol=1e-7 * np.linalg.norm(v))  # fmt: skip


def test_hessian_extreme_eigenvalues_of_a_linear_model_match_eigvalsh(regression):
    model, X, y = regression
    lam = np.linalg.eigvalsh(_linear_hessian(X))
    snap = _snapshot(model)
    lmax, lmin = hessian_extreme_eigenvalues(model, make_loss_fn(nn.MSELoss(), X, y), n_iter=500, rng=0)
    assert lmax == pytest.approx(lam[-1], rel=1e-8)
    assert lmin == pytest.approx(lam[0], rel=1e-6)
    _assert_unchanged(model, snap)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hessian_extreme_eigenvalues_of_a_tiny_mlp_match_torch_hessian(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, 2))
    y = np.sin(X[:, :1]) + X[:, 1:] ** 2
    model = nn.MLP([2, 3, 1], activation="tanh", rng=seed)
    H = torch.autograd.functional.hessian(_torch_mlp_loss(X, y), torch.tensor(parameters_to_vector(model)))
    lam = np.linalg.eigvalsh(H.numpy())
    lmax, lmin = hessian_extreme_eigenvalues(model, make_loss_fn(nn.MSELoss(), X, y), n_iter=1000, rng=seed)
    width = lam[-1] - lam[0]
    # power iteration with finite-difference products (error ~1e-9 each): 1e-6 of the spectral width
    assert abs(lmax - lam[-1]) < 1e-6 * width and abs(lmin - lam[0]) < 1e-6 * width
    assert lmin < 0 < lmax  # at a random initialisation this point is a saddle of the loss


def test_landscape_errors(tiny_mlp):
    model, X, y = tiny_mlp
    loss_fn = make_loss_fn(nn.MSELoss(), X, y)
    with pytest.raises(ValueError, match="v must be a state_dict or a vector of 13 entries"):
        hessian_vector_product(model, loss_fn, np.ones(4))
    with pytest.raises(TypeError, match="loss_fn must be a callable"):
        hessian_vector_product(model, 3.0, np.ones(13))
    with pytest.raises(ValueError, match="eps must be > 0"):
        hessian_vector_product(model, loss_fn, np.ones(13), eps=0.0)
    with pytest.raises(ValueError, match="n_iter must be >= 1"):
        hessian_extreme_eigenvalues(model, loss_fn, n_iter=0)
    with pytest.raises(ValueError, match="state_b is not a state_dict of this model"):
        interpolate_1d(model, model.state_dict(), {"weight": np.ones(3)}, loss_fn, [0.0])
    with pytest.raises(ValueError, match="alphas must be 1-D"):
        slice_1d(model, loss_fn, np.ones(13), 0.5)
    with pytest.raises(TypeError, match="loss must be a dlnotes.nn loss module"):
        make_loss_fn(torch.nn.MSELoss(), X, y)
    with pytest.raises(ValueError, match="same number of rows"):
        make_loss_fn(nn.MSELoss(), X, y[:3])
