"""Tests of dlnotes.nn.Dropout, BatchNorm1d and LayerNorm against torch.nn (float64), finite
differences, closed forms and Monte Carlo estimates with tolerances of several standard errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import dlnotes.nn as nn
from dlnotes.numerics import gradcheck

ATOL = 1e-10


def T(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def torch_step(tmod, x, g):
    """Output, input gradient and parameter gradients of the torch module for upstream gradient g."""
    xt = T(x, grad=True)
    tmod.zero_grad()
    y = tmod(xt)
    y.backward(T(g))
    grads = {n: p.grad.numpy().copy() for n, p in tmod.named_parameters()}
    return y.detach().numpy(), xt.grad.numpy(), grads


def ours_step(mod, x, g):
    y = mod(x)
    mod.zero_grad()
    dx = mod.backward(g)
    return y, dx, {n: p.grad.copy() for n, p in mod.named_parameters()}


def assert_step_matches(mod, tmod, x, g):
    y, dx, grads = ours_step(mod, x, g)
    ty, tdx, tgrads = torch_step(tmod, x, g)
    np.testing.assert_allclose(y, ty, rtol=0, atol=ATOL)
    np.testing.assert_allclose(dx, tdx, rtol=0, atol=ATOL)
    assert list(grads) == list(tgrads)
    for n in grads:
        np.testing.assert_allclose(grads[n], tgrads[n], rtol=0, atol=ATOL, err_msg=n)


def copy_params_to_torch(mod, tmod):
    with torch.no_grad():
        for (n, p), (tn, tp) in zip(mod.named_parameters(), tmod.named_parameters()):
            assert n == tn
            tp.copy_(T(p.data))


def assert_buffers_match(mod, tmod):
    ours = {n: b for n, b in mod.named_buffers()}
    theirs = {n: b.numpy() for n, b in tmod.named_buffers()}
    assert list(ours) == list(theirs)
    for n in ours:
        np.testing.assert_allclose(ours[n], theirs[n], rtol=0, atol=ATOL, err_msg=n)


# --------------------------------------------------------------------------------------------
# BatchNorm1d
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.1, 0.35, None])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("length", [None, 4])
def test_batchnorm1d_matches_torch_over_steps_then_in_eval(rng, momentum, affine, length):
    C = 3
    mod = nn.BatchNorm1d(C, eps=1e-5, momentum=momentum, affine=affine)
    tmod = torch.nn.BatchNorm1d(C, eps=1e-5, momentum=momentum, affine=affine, dtype=torch.float64)
    if affine:  # non-trivial gamma and beta
        mod.weight.data[...] = rng.normal(size=C)
        mod.bias.data[...] = rng.normal(size=C)
        copy_params_to_torch(mod, tmod)
    tail = () if length is None else (length,)
    loc = np.array([2.0, -1.0, 0.5]).reshape((C,) + (1,) * len(tail))  # per-feature offsets
    for batch in (5, 8, 2, 13):  # several steps with different batch sizes
        x = rng.normal(loc=loc, scale=3.0, size=(batch, C) + tail)
        g = rng.normal(size=x.shape)
        assert_step_matches(mod, tmod, x, g)
        assert_buffers_match(mod, tmod)
    assert int(mod.num_batches_tracked) == 4
    mod.eval()
    tmod.eval()
    for batch in (1, 6):
        x = rng.normal(size=(batch, C) + tail)
        assert_step_matches(mod, tmod, x, rng.normal(size=x.shape))
    assert_buffers_match(mod, tmod)  # eval mode does not update the running statistics
    assert int(mod.num_batches_tracked) == 4


def test_batchnorm1d_without_running_stats_uses_batch_statistics_in_both_modes(rng):
    mod = nn.BatchNorm1d(4, track_running_stats=False)
    tmod = torch.nn.BatchNorm1d(4, track_running_stats=False, dtype=torch.float64)
    mod.weight.data[...] = rng.normal(size=4)
    copy_params_to_torch(mod, tmod)
    assert mod.running_mean is None and mod.running_var is None and mod.num_batches_tracked is None
    for training in (True, False):
        mod.train(training)
        tmod.train(training)
        x = rng.normal(size=(7, 4)) * 2 + 1
        assert_step_matches(mod, tmod, x, rng.normal(size=x.shape))
    assert list(mod.state_dict()) == list(tmod.state_dict()) == ["weight", "bias"]


@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"track_running_stats": False}])
def test_batchnorm1d_state_dict_has_torchs_keys_and_loads_torch_state(rng, kwargs):
    mod = nn.BatchNorm1d(3, **kwargs)
    tmod = torch.nn.BatchNorm1d(3, dtype=torch.float64, **kwargs)
    assert list(mod.state_dict()) == list(tmod.state_dict())
    assert [n for n, _ in mod.named_parameters()] == [n for n, _ in tmod.named_parameters()]
    for _ in range(3):
        tmod(T(rng.normal(size=(6, 3))))
    mod.load_state_dict(tmod.state_dict())
    mod.eval()
    tmod.eval()
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(mod(x), tmod(T(x)).detach().numpy(), rtol=0, atol=ATOL)


def test_batchnorm1d_num_batches_tracked_is_an_integer_buffer():
    mod = nn.BatchNorm1d(2)
    assert mod.num_batches_tracked.dtype == np.int64 and mod.num_batches_tracked.shape == ()
    mod(np.arange(6.0).reshape(3, 2))
    assert mod.state_dict()["num_batches_tracked"] == 1
    mod.reset_running_stats()
    assert mod.num_batches_tracked == 0 and np.all(mod.running_var == 1) and np.all(mod.running_mean == 0)


def test_batchnorm1d_worked_example_and_unbiased_running_variance():
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    bn = nn.BatchNorm1d(1, eps=1e-12)
    y = bn(x)
    np.testing.assert_allclose(y.ravel(), [-1.341641, -0.447214, 0.447214, 1.341641], atol=1e-6)
    np.testing.assert_allclose(bn.running_mean, [0.25], rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, [0.9 + 0.1 * 5 / 3], rtol=1e-12)  # 1.0666667, not 1.025
    dx = bn.backward(np.array([[1.0], [0.0], [0.0], [0.0]]))
    np.testing.assert_allclose(dx.ravel(), [0.268328, -0.357771, -0.089443, 0.178885], atol=1e-6)
    bn.zero_grad()
    bn(x)
    dx = bn.backward(x)  # an upstream gradient affine in x-hat is annihilated
    np.testing.assert_allclose(dx, 0.0, atol=1e-10)
    np.testing.assert_allclose(bn.weight.grad, [np.sqrt(20)], rtol=1e-9)  # 4.472136
    np.testing.assert_allclose(bn.bias.grad, [10.0], rtol=1e-12)


def test_batchnorm1d_undo_property_and_standardised_output(rng):
    x = rng.normal(loc=3.0, scale=2.0, size=(50, 3))
    bn = nn.BatchNorm1d(3)
    y = bn(x)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5), rtol=1e-12)
    bn.weight.data[...] = np.sqrt(x.var(axis=0) + 1e-5)
    bn.bias.data[...] = x.mean(axis=0)
    np.testing.assert_allclose(bn(x), x, atol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm1d_backward_passes_gradcheck(rng, training):
    C = 3
    x0 = rng.normal(size=(6, C, 2))
    w_out = rng.normal(size=x0.shape)
    bn = nn.BatchNorm1d(C)
    bn.weight.data[...] = rng.normal(size=C)
    bn.bias.data[...] = rng.normal(size=C)
    bn.running_mean = rng.normal(size=C)
    bn.running_var = rng.uniform(0.5, 2.0, size=C)
    bn.train(training)
    gamma0, beta0 = bn.weight.data.copy(), bn.bias.data.copy()

    def run(x=x0, gamma=gamma0, beta=beta0):
        bn.weight.data[...] = gamma
        bn.bias.data[...] = beta
        return float(np.sum(w_out * bn(x)))

    def grads(x=x0, gamma=gamma0, beta=beta0):
        run(x, gamma, beta)
        bn.zero_grad()
        dx = bn.backward(w_out)
        return dx, bn.weight.grad.copy(), bn.bias.grad.copy()

    assert gradcheck(lambda x: run(x=x), lambda x: grads(x=x)[0], x0, eps=1e-5, atol=1e-6) < 1e-5
    assert gradcheck(lambda g: run(gamma=g), lambda g: grads(gamma=g)[1], gamma0, eps=1e-5, atol=1e-6) < 1e-5
    assert gradcheck(lambda b: run(beta=b), lambda b: grads(beta=b)[2], beta0, eps=1e-5, atol=1e-6) < 1e-5


def test_batchnorm1d_errors():
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(0)
    with pytest.raises(TypeError, match="num_features"):
        nn.BatchNorm1d(2.5)
    with pytest.raises(ValueError, match="eps"):
        nn.BatchNorm1d(2, eps=0.0)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(2, momentum=1.5)
    with pytest.raises(TypeError, match="affine"):
        nn.BatchNorm1d(2, affine="yes")
    bn = nn.BatchNorm1d(3)
    with pytest.raises(RuntimeError, match="before forward"):
        bn.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"input must have shape \(N, C\)"):
        bn(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"input must have shape \(N, C\)"):
        bn(np.ones(3))
    with pytest.raises(ValueError, match="more than 1 value per feature"):
        bn(np.ones((1, 3)))
    bn.eval()
    assert bn(np.ones((1, 3))).shape == (1, 3)  # a batch of one is fine with running statistics
    with pytest.raises(ValueError, match="grad_output"):
        bn.backward(np.ones((2, 3)))


# --------------------------------------------------------------------------------------------
# LayerNorm
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, normalized_shape, kwargs",
    [
        ((5, 4), 4, {}),
        ((5, 4), (4,), {"eps": 1e-3}),
        ((3, 2, 6), (2, 6), {}),
        ((2, 3, 5), 5, {"elementwise_affine": False}),
        ((1, 7), 7, {"bias": False}),
    ],
)
def test_layernorm_matches_torch(rng, shape, normalized_shape, kwargs):
    mod = nn.LayerNorm(normalized_shape, **kwargs)
    tmod = torch.nn.LayerNorm(normalized_shape, dtype=torch.float64, **kwargs)
    for p in mod.parameters():
        p.data[...] = rng.normal(size=p.shape)
    copy_params_to_torch(mod, tmod)
    assert list(mod.state_dict()) == list(tmod.state_dict())
    for training in (True, False):  # the same in both modes
        mod.train(training)
        tmod.train(training)
        x = rng.normal(loc=1.5, scale=2.0, size=shape)
        assert_step_matches(mod, tmod, x, rng.normal(size=shape))


def test_layernorm_backward_passes_gradcheck(rng):
    x0 = rng.normal(size=(3, 2, 4))
    w_out = rng.normal(size=x0.shape)
    ln = nn.LayerNorm((2, 4))
    ln.weight.data[...] = rng.normal(size=(2, 4))
    ln.bias.data[...] = rng.normal(size=(2, 4))
    g0, b0 = ln.weight.data.copy(), ln.bias.data.copy()

    def run(x=x0, gamma=g0, beta=b0):
        ln.weight.data[...] = gamma
        ln.bias.data[...] = beta
        return float(np.sum(w_out * ln(x)))

    def grads(x=x0, gamma=g0, beta=b0):
        run(x, gamma, beta)
        ln.zero_grad()
        return ln.backward(w_out), ln.weight.grad.copy(), ln.bias.grad.copy()

    assert gradcheck(lambda x: run(x=x), lambda x: grads(x=x)[0], x0, eps=1e-5, atol=1e-6) < 1e-5
    assert gradcheck(lambda g: run(gamma=g), lambda g: grads(gamma=g)[1], g0, eps=1e-5, atol=1e-6) < 1e-5
    assert gradcheck(lambda b: run(beta=b), lambda b: grads(beta=b)[2], b0, eps=1e-5, atol=1e-6) < 1e-5


def test_layernorm_errors():
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(0)
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(())
    with pytest.raises(TypeError, match="normalized_shape"):
        nn.LayerNorm(2.0)
    with pytest.raises(ValueError, match="eps"):
        nn.LayerNorm(3, eps=-1.0)
    ln = nn.LayerNorm((2, 3))
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(np.ones((4, 3, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        ln.backward(np.ones((4, 2, 3)))


# --------------------------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_outputs_zero_or_scaled_input_and_keeps_fraction_one_minus_p(rng, p):
    x = rng.uniform(0.5, 2.0, size=(400, 500)) * rng.choice([-1, 1], size=(400, 500))
    drop = nn.Dropout(p, rng=1)
    y = drop(x)
    kept = y != 0
    np.testing.assert_array_equal(kept, drop.mask)
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-15, atol=0)
    n = x.size
    se = np.sqrt(p * (1 - p) / n)
    assert abs(kept.mean() - (1 - p)) < 5 * se


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropout_preserves_the_mean(rng, p):
    x = rng.normal(size=40)
    n_draws = 5000
    drop = nn.Dropout(p, rng=2)
    y = drop(np.broadcast_to(x, (n_draws, x.size)))  # fresh independent masks per row
    se = np.abs(x) * np.sqrt(p / (1 - p)) / np.sqrt(n_draws)  # sd of x*m/q is |x| sqrt(p/q)
    z = (y.mean(axis=0) - x) / se
    assert np.max(np.abs(z)) < 5


def test_dropout_statistics_agree_with_torch_functional_dropout(rng):
    p, shape = 0.2, (300, 400)
    x = np.full(shape, 5.0)
    ours = nn.Dropout(p, rng=0)(x)
    torch.manual_seed(0)
    theirs = TF.dropout(T(x), p=p, training=True).numpy()
    assert set(np.unique(ours)) == set(np.unique(theirs)) == {0.0, 6.25}
    se = np.sqrt(p * (1 - p) / x.size)
    for y in (ours, theirs):
        assert abs((y == 0).mean() - p) < 5 * se
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 5 * np.sqrt(2) * se
    # both scale the survivors so that the mean is preserved
    for y in (ours, theirs):
        assert abs(y.mean() - 5.0) < 5 * 5.0 * np.sqrt(p / (1 - p) / x.size)


def test_dropout_backward_uses_the_same_mask(rng):
    p = 0.3
    drop = nn.Dropout(p, rng=5)
    x = rng.normal(size=(6, 7))
    y = drop(x)
    g = rng.normal(size=x.shape)
    dx = drop.backward(g)
    np.testing.assert_array_equal(dx == 0, y == 0)
    np.testing.assert_allclose(dx, np.where(drop.mask, g / (1 - p), 0.0), rtol=1e-15, atol=0)
    # the derivative of sum(g * y) along a direction with the mask frozen is <dx, v>
    v = rng.normal(size=x.shape)
    frozen = y / np.where(drop.mask, x, 1.0)  # the factor m / (1 - p), read off the output
    np.testing.assert_allclose(np.sum(g * frozen * v), np.sum(dx * v), rtol=1e-12)


def test_dropout_eval_is_identity_and_masks_are_fresh_and_reproducible(rng):
    x = rng.normal(size=(8, 10))
    drop = nn.Dropout(0.5, rng=11)
    a, b = drop(x), drop(x)
    assert not np.array_equal(a == 0, b == 0)  # a fresh mask per call
    assert len({tuple(row) for row in (a == 0)}) > 1  # and per row
    again = nn.Dropout(0.5, rng=11)
    np.testing.assert_array_equal(again(x), a)
    np.testing.assert_array_equal(again(x), b)
    drop.eval()
    np.testing.assert_array_equal(drop(x), x)
    assert drop.mask is None
    g = rng.normal(size=x.shape)
    np.testing.assert_array_equal(drop.backward(g), g)
    model = nn.Sequential(nn.Linear(10, 4, rng=0), nn.Dropout(0.5, rng=0))
    model.eval()
    np.testing.assert_allclose(model(x), model[0](x), rtol=0, atol=0)


def test_dropout_extreme_probabilities(rng):
    x = rng.normal(size=(5, 4))
    np.testing.assert_array_equal(nn.Dropout(0.0, rng=0)(x), x)
    d = nn.Dropout(1.0, rng=0)
    np.testing.assert_array_equal(d(x), 0.0)
    np.testing.assert_array_equal(d.backward(np.ones_like(x)), 0.0)
    np.testing.assert_array_equal(TF.dropout(T(x), 1.0, training=True).numpy(), 0.0)  # torch agrees


def test_dropout_errors():
    with pytest.raises(ValueError, match="p .*drop probability.* must be in"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="p"):
        nn.Dropout(-0.1)
    with pytest.raises(TypeError, match="p must be a real number"):
        nn.Dropout("0.5")
    with pytest.raises(TypeError, match="rng"):
        nn.Dropout(0.5, rng="seed")
    d = nn.Dropout(0.5)
    with pytest.raises(RuntimeError, match="before forward"):
        d.backward(np.ones(3))
    d(np.ones(3))
    with pytest.raises(ValueError, match="grad_output"):
        d.backward(np.ones(4))


def test_new_layers_are_exported_and_documented():
    from dlnotes.nn import normalization

    assert {"Dropout", "BatchNorm1d", "LayerNorm"} <= set(nn.__all__)
    for name in normalization.__all__:
        obj = getattr(nn, name)
        assert obj.__doc__ and "torch.nn." in obj.__doc__
    assert "p=0.5" in repr(nn.Dropout()) and "momentum=0.1" in repr(nn.BatchNorm1d(2))


# ---------------------------------------------------------------------- to_torch / from_torch


def _regularized_mlp():
    model = nn.Sequential(
        nn.Linear(5, 8, rng=0), nn.BatchNorm1d(8, momentum=0.3), nn.ReLU(), nn.Dropout(0.25, rng=1),
        nn.Linear(8, 6, rng=2), nn.LayerNorm(6, eps=1e-3), nn.Tanh(), nn.Linear(6, 3, rng=3),
    )
    rng = np.random.default_rng(4)
    model[1].weight.data[...] = rng.uniform(0.5, 2, size=8)
    model[1].bias.data[...] = rng.normal(size=8)
    model[5].weight.data[...] = rng.uniform(0.5, 2, size=6)
    model[5].bias.data[...] = rng.normal(size=6)
    for _ in range(3):  # non-trivial running statistics
        model(rng.normal(loc=1.0, size=(16, 5)))
    return model


def test_to_torch_copies_batchnorm_layernorm_and_dropout():
    model = _regularized_mlp()
    t = nn.to_torch(model)
    assert isinstance(t[1], torch.nn.BatchNorm1d) and isinstance(t[3], torch.nn.Dropout) and isinstance(t[5], torch.nn.LayerNorm)
    assert t[3].p == 0.25 and t[1].momentum == 0.3 and t[5].eps == 1e-3
    np.testing.assert_allclose(t[1].running_var.numpy(), model[1].running_var, rtol=1e-15)
    assert int(t[1].num_batches_tracked) == 3
    x = np.random.default_rng(5).normal(size=(7, 5))
    model.eval()
    t.eval()
    with torch.no_grad():
        np.testing.assert_allclose(t(torch.from_numpy(x)).numpy(), model(x), rtol=1e-12, atol=1e-12)


def test_to_torch_batchnorm_keeps_training_mode_and_agrees_on_a_training_step():
    bn = nn.BatchNorm1d(4)
    t = nn.to_torch(bn)
    assert t.training
    x = np.random.default_rng(6).normal(size=(10, 4))
    with torch.no_grad():
        np.testing.assert_allclose(t(torch.from_numpy(x)).numpy(), bn(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.running_var.numpy(), bn.running_var, rtol=1e-12)


def test_from_torch_round_trip_of_normalization_layers():
    model = _regularized_mlp().eval()
    back = nn.from_torch(nn.to_torch(model))
    assert not back.training and not back[3].training
    assert isinstance(back[1], nn.BatchNorm1d) and isinstance(back[3], nn.Dropout) and isinstance(back[5], nn.LayerNorm)
    x = np.random.default_rng(7).normal(size=(7, 5))
    np.testing.assert_allclose(back(x), model(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(back[1].num_batches_tracked, 3)


def test_from_torch_layernorm_without_bias():
    t = torch.nn.LayerNorm((2, 3), bias=False, dtype=torch.float64)
    ours = nn.from_torch(t)
    assert ours.bias is None and ours.normalized_shape == (2, 3)
