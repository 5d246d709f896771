"""Tests of dlnotes.nn layers against torch.nn with copied weights (float64), and gradient checks."""

from __future__ import annotations


import numpy as np
import pytest
import scipy.stats as stats
import torch

import dlnotes.nn as nn
from dlnotes.numerics import gradcheck, numerical_gradient, relative_error

ATOL = 1e-10
BATCHES = (1, 3, 17)
FEATURES = (1, 4, 9)


def T(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def torch_forward_backward(tmod, x, g):
    """Output, input gradient and {name: grad} of a torch module for upstream gradient g."""
    xt = T(x, grad=True)
    tmod.zero_grad()
    y = tmod(xt)
    y.backward(T(g))
    grads = {n: p.grad.numpy().copy() for n, p in tmod.named_parameters()}
    return y.detach().numpy(), xt.grad.numpy(), grads


def assert_module_matches_torch(mod, x, rng):
    """Forward, input gradient and parameter gradients of mod equal those of to_torch(mod)."""
    tmod = nn.to_torch(mod)
    y = mod(x)
    g = rng.normal(size=y.shape)
    want_y, want_dx, want_grads = torch_forward_backward(tmod, x, g)
    mod.zero_grad()
    dx = mod.backward(g)
    np.testing.assert_allclose(y, want_y, rtol=0, atol=ATOL)
    np.testing.assert_allclose(dx, want_dx, rtol=0, atol=ATOL)
    names = [n for n, _ in mod.named_parameters()]
    assert names == list(want_grads)
    for n, p in mod.named_parameters():
        np.testing.assert_allclose(p.grad, want_grads[n], rtol=0, atol=ATOL, err_msg=n)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


# --------------------------------------------------------------------------------------------
# Linear
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("in_features", FEATURES)
@pytest.mark.parametrize("out_features", (1, 5))
@pytest.mark.parametrize("bias", (True, False))
def test_linear_forward_and_backward_match_torch(rng, batch, in_features, out_features, bias):
    layer = nn.Linear(in_features, out_features, bias=bias, rng=rng)
    assert layer.weight.shape == (out_features, in_features)
    assert (layer.bias is None) if not bias else layer.bias.shape == (out_features,)
    assert_module_matches_torch(layer, rng.normal(size=(batch, in_features)), rng)


def test_linear_backward_formulas_in_closed_form(rng):
    layer = nn.Linear(4, 3, rng=rng)
    X, d = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    np.testing.assert_allclose(layer(X), X @ layer.weight.data.T + layer.bias.data, rtol=1e-14)
    dx = layer.backward(d)
    np.testing.assert_allclose(layer.weight.grad, sum(np.outer(d[n], X[n]) for n in range(6)), rtol=1e-13)
    np.testing.assert_allclose(layer.bias.grad, d.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(dx, d @ layer.weight.data, rtol=1e-13)


def test_linear_validates_its_input_with_clear_messages(rng):
    layer = nn.Linear(3, 2, rng=rng)
    with pytest.raises(
        ValueError,
        match=r"Linear.forward: input must have shape \(batch, in_features\) = \(batch, 3\), got \(5, 4\)",
    ):
        layer(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"= \(batch, 3\), got \(3,\)"):
        layer(np.zeros(3))
    with pytest.raises(TypeError, match="Linear.forward: input must be an array of numbers"):
        layer("abc")
    layer(np.zeros((5, 3)))
    with pytest.raises(
        ValueError,
        match=r"Linear.backward: grad_output must have the shape of the last forward output, \(5, 2\), got \(5, 3\)",
    ):
        layer.backward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="in_features must be >= 1"):
        nn.Linear(0, 2)
    with pytest.raises(TypeError, match="out_features must be an int"):
        nn.Linear(3, 2.0)
    with pytest.raises(TypeError, match="rng must be"):
        nn.Linear(3, 2, rng="seed")


def test_linear_default_init_is_torch_default_distribution():
    n_in, n_out = 400, 500
    w = nn.Linear(n_in, n_out, rng=0).weight.data.ravel()
    b = nn.Linear(n_in, n_out, rng=1).bias.data
    bound = 1 / np.sqrt(n_in)
    tw = torch.nn.Linear(n_in, n_out, dtype=torch.float64)
    torch_w = tw.weight.detach().numpy().ravel()
    assert np.abs(torch_w).max() <= bound  # the oracle's support, read off torch
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert np.abs(b).max() <= bound
    assert w.var() == pytest.approx(1 / (3 * n_in), rel=0.015)
    assert w.var() == pytest.approx(torch_w.var(), rel=0.02)
    assert stats.ks_2samp(w, torch_w).pvalue > 1e-3
    assert stats.kstest(w, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3


def test_linear_init_is_reproducible_from_rng():
    a, b = nn.Linear(5, 3, rng=42), nn.Linear(5, 3, rng=42)
    assert np.array_equal(a.weight.data, b.weight.data) and np.array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, nn.Linear(5, 3, rng=43).weight.data)


# --------------------------------------------------------------------------------------------
# activation layers
# --------------------------------------------------------------------------------------------

ACTIVATION_LAYERS = [
    nn.ReLU,
    nn.LeakyReLU,
    lambda: nn.LeakyReLU(0.2),
    nn.Sigmoid,
    nn.Tanh,
    nn.ELU,
    lambda: nn.ELU(alpha=0.5),
    nn.SELU,
    nn.GELU,
    lambda: nn.GELU(approximate="tanh"),
    nn.SiLU,
    nn.Softplus,
    lambda: nn.Softplus(beta=2.0, threshold=5.0),
    nn.Identity,
    nn.PReLU,
]
ACT_IDS = [
    "relu",
    "leaky",
    "leaky0.2",
    "sigmoid",
    "tanh",
    "elu",
    "elu0.5",
    "selu",
    "gelu",
    "gelu_tanh",
    "silu",
    "softplus",
    "softplus_b2_t5",
    "identity",
    "prelu",
]


@pytest.mark.parametrize("make", ACTIVATION_LAYERS, ids=ACT_IDS)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("features", FEATURES)
def test_activation_layer_matches_torch(rng, make, batch, features):
    x = rng.normal(scale=3.0, size=(batch, features))
    x[0, 0] = 0.0  # a kink for the rectifiers: derivatives must follow torch there too
    if x.size > 1:
        x.flat[1] = 2.6  # beta * x > threshold for Softplus(beta=2, threshold=5)
    assert_module_matches_torch(make(), x, rng)


@pytest.mark.parametrize("make", ACTIVATION_LAYERS, ids=ACT_IDS)
def test_activation_layers_accept_any_shape(rng, make):
    assert_module_matches_torch(make(), rng.normal(size=(2, 3, 4, 5)), rng)


def test_prelu_per_channel_matches_torch(rng):
    layer = nn.PReLU(num_parameters=3, init=0.1)
    layer.weight.data[:] = [0.1, -0.2, 0.3]
    assert_module_matches_torch(layer, rng.normal(size=(4, 3, 5)), rng)


def test_flatten_matches_torch_and_reshapes_back(rng):
    x = rng.normal(size=(3, 2, 4, 5))
    for start, end in [(1, -1), (0, -1), (1, 2), (2, 3)]:
        assert_module_matches_torch(nn.Flatten(start, end), x, rng)
    f = nn.Flatten()
    y = f(x)
    assert y.shape == (3, 40)
    assert f.backward(np.ones_like(y)).shape == x.shape
    with pytest.raises(ValueError, match="start_dim=1 and end_dim=-1 must be in"):
        nn.Flatten()(np.zeros(3))


@pytest.mark.parametrize(
    "make", ACTIVATION_LAYERS + [lambda: nn.Linear(3, 2), nn.Flatten], ids=ACT_IDS + ["linear", "flatten"]
)
def test_backward_before_forward_raises(make):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        make().backward(np.zeros((2, 3)))


def test_activation_backward_checks_grad_output_shape(rng):
    r = nn.ReLU()
    r(np.zeros((2, 3)))
    with pytest.raises(
        ValueError, match=r"ReLU.backward: grad_output must have the shape .* \(2, 3\), got \(3, 2\)"
    ):
        r.backward(np.zeros((3, 2)))


def test_layer_constructor_validation():
    with pytest.raises(ValueError, match="GELU: approximate must be one of"):
        nn.GELU(approximate="sigmoid")  # torch.nn.GELU has no sigmoid form
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope must be a real number"):
        nn.LeakyReLU("0.1")
    with pytest.raises(ValueError, match="Softplus: beta must be non-zero"):
        nn.Softplus(beta=0)
    with pytest.raises(TypeError, match="Flatten: start_dim must be an int"):
        nn.Flatten(1.0)


# --------------------------------------------------------------------------------------------
# Sequential, MLP, Module registration
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("width", FEATURES)
@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu", "leaky_relu"])
def test_mlp_matches_torch_sequential(rng, batch, width, activation):
    model = nn.MLP([width, 7, width + 1, 3], activation=activation, rng=rng)
    assert_module_matches_torch(model, rng.normal(size=(batch, width)), rng)


def test_sequential_of_mixed_layers_matches_torch_and_names_parameters_like_torch(rng):
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(12, 8, rng=rng),
        nn.SELU(),
        nn.Linear(8, 8, bias=False, rng=rng),
        nn.Softplus(beta=0.5),
        nn.Linear(8, 2, rng=rng),
        nn.Sigmoid(),
    )
    x = rng.normal(size=(6, 3, 4))
    assert_module_matches_torch(model, x, rng)
    tmodel = nn.to_torch(model)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in tmodel.named_parameters()]
    assert [p.shape for p in model.parameters()] == [tuple(p.shape) for p in tmodel.parameters()]
    assert list(model.state_dict()) == list(tmodel.state_dict())
    assert model.num_parameters() == sum(p.numel() for p in tmodel.parameters())


def test_mlp_parameter_count_and_structure():
    model = nn.MLP([3, 4, 2, 3, 2], rng=0)
    assert model.num_parameters() == 43
    assert len(model) == 7 and isinstance(model[1], nn.ReLU) and isinstance(model[-1], nn.Linear)
    model = nn.MLP([2, 5, 1], activation=nn.Tanh, out_activation="sigmoid", rng=0)
    assert isinstance(model[1], nn.Tanh) and isinstance(model[-1], nn.Sigmoid)
    model = nn.MLP([2, 5, 1], activation=lambda: nn.LeakyReLU(0.2), rng=0)
    assert model[1].negative_slope == 0.2
    with pytest.raises(ValueError, match="sizes must have at least 2 entries"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.MLP([3, 2, 1], activation="swishy")
    with pytest.raises(TypeError, match="not a Module instance"):
        nn.MLP([3, 2, 1], activation=nn.ReLU())
    with pytest.raises(ValueError, match=r"sizes\[1\] must be >= 1"):
        nn.MLP([3, 0, 1])


# --------------------------------------------------------------------------------------------
# to_torch / from_torch
# --------------------------------------------------------------------------------------------


def test_to_torch_from_torch_round_trips(rng):
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(6, 5, rng=rng),
        nn.GELU("tanh"),
        nn.Linear(5, 5, rng=rng),
        nn.LeakyReLU(0.3),
        nn.Linear(5, 4, rng=rng),
        nn.ELU(0.7),
        nn.PReLU(),
        nn.Softplus(2.0, 7.0),
        nn.Identity(),
        nn.SiLU(),
        nn.Linear(4, 2, bias=False, rng=rng),
        nn.Tanh(),
        nn.Sigmoid(),
        nn.SELU(),
        nn.ReLU(),
    )
    x = rng.normal(size=(3, 2, 3))
    back = nn.from_torch(nn.to_torch(model))
    assert [type(m) for m in back] == [type(m) for m in model]
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], value)
    np.testing.assert_array_equal(back(x), model(x))
    assert back[2].approximate == "tanh" and back[8].beta == 2.0 and back[8].threshold == 7.0
    # starting from torch
    t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)).double()
    m = nn.from_torch(t)
    x = rng.normal(size=(5, 4))
    np.testing.assert_allclose(m(x), t(T(x)).detach().numpy(), rtol=0, atol=ATOL)
    assert_module_matches_torch(m, x, rng)


def test_conversion_rejects_unsupported_modules():
    with pytest.raises(TypeError, match="no dlnotes.nn equivalent for torch.nn.Conv3d"):
        nn.from_torch(torch.nn.Conv3d(1, 1, 3))
    with pytest.raises(TypeError, match="torch_module must be a torch.nn.Module"):
        nn.from_torch([1, 2])
    with pytest.raises(TypeError, match="to_torch: module must be"):
        nn.to_torch(nn.CrossEntropyLoss())


# --------------------------------------------------------------------------------------------
# gradient checking a 3-layer network (and proving the check can fail)
# --------------------------------------------------------------------------------------------


def _flat_params(model):
    return np.concatenate([p.data.ravel() for p in model.parameters()])


def _set_flat(model, theta):
    i = 0
    for p in model.parameters():
        p.data[...] = theta[i : i + p.size].reshape(p.shape)
        i += p.size


def _loss_and_grad_fns(model, loss_fn, X, y):
    def f(theta):
        _set_flat(model, theta)
        return loss_fn(model(X), y)

    def grad_f(theta):
        _set_flat(model, theta)
        model.zero_grad()
        loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        return np.concatenate([p.grad.ravel() for p in model.parameters()])

    return f, grad_f


def _three_layer(linear_cls, rng):
    return nn.Sequential(
        linear_cls(4, 5, rng=rng), nn.Tanh(), linear_cls(5, 5, rng=rng), nn.Tanh(), linear_cls(5, 3, rng=rng)
    )


class _TransposedGradLinear(nn.Linear):
    """A broken Linear whose weight gradient is X^T delta instead of delta^T X (square layers only)."""

    def backward(self, grad_output):
        X = self._cached("_input")
        self.weight.grad += (X.T @ grad_output).reshape(self.weight.shape)
        self.bias.grad += grad_output.sum(axis=0)
        return grad_output @ self.weight.data


@pytest.mark.parametrize(
    "loss_fn,target",
    [
        (nn.CrossEntropyLoss(), lambda r: r.integers(0, 3, size=8)),
        (nn.MSELoss(), lambda r: r.normal(size=(8, 3))),
    ],
)
def test_gradcheck_of_three_layer_network(rng, loss_fn, target):
    model = _three_layer(nn.Linear, rng)
    X, y = rng.normal(size=(8, 4)), target(rng)
    f, grad_f = _loss_and_grad_fns(model, loss_fn, X, y)
    theta = _flat_params(model)
    assert gradcheck(f, grad_f, theta) < 1e-6
    assert relative_error(grad_f(theta), numerical_gradient(f, theta)) < 1e-6


def test_gradcheck_of_relu_network_away_from_kinks(rng):
    model = nn.MLP([4, 6, 6, 2], activation="relu", rng=rng)
    X, y = rng.normal(size=(10, 4)), rng.integers(0, 2, size=10)
    f, grad_f = _loss_and_grad_fns(model, nn.CrossEntropyLoss(), X, y)
    theta = _flat_params(model)
    assert gradcheck(f, grad_f, theta) < 1e-6


def test_gradcheck_fails_for_a_broken_linear(rng):
    model = nn.Sequential(
        nn.Linear(4, 5, rng=rng),
        nn.Tanh(),
        _TransposedGradLinear(5, 5, rng=rng),
        nn.Tanh(),
        nn.Linear(5, 3, rng=rng),
    )
    X, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    f, grad_f = _loss_and_grad_fns(model, nn.CrossEntropyLoss(), X, y)
    theta = _flat_params(model)
    assert gradcheck(f, grad_f, theta) > 1e-2
    assert relative_error(grad_f(theta), numerical_gradient(f, theta)) > 1e-2


def test_input_gradient_of_network_matches_finite_differences(rng):
    model = nn.MLP([3, 5, 2], activation="gelu", rng=rng)
    x0 = rng.normal(size=(4, 3))
    w = rng.normal(size=(4, 2))

    def f(x):
        return float(np.sum(model(x) * w))

    model(x0)
    assert gradcheck(f, lambda x: (model(x), model.backward(w))[1], x0) < 1e-7


# --------------------------------------------------------------------------------------------
# a few steps of SGD reproduce torch step for step
# --------------------------------------------------------------------------------------------


def test_sgd_training_reproduces_torch_step_for_step(rng):
    model = nn.MLP([2, 8, 8, 3], activation="relu", rng=rng)
    tmodel = nn.to_torch(model)
    X, y = rng.normal(size=(32, 2)), rng.integers(0, 3, size=32)
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for _ in range(5):
        model.zero_grad()
        loss = loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        for p in model.parameters():
            p.data -= 0.1 * p.grad
        tmodel.zero_grad()
        tloss = tloss_fn(tmodel(T(X)), torch.from_numpy(y))
        tloss.backward()
        with torch.no_grad():
            for tp in tmodel.parameters():
                tp -= 0.1 * tp.grad
        assert loss == pytest.approx(tloss.item(), abs=ATOL)
    for (n, p), tp in zip(model.named_parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=ATOL, err_msg=n)
