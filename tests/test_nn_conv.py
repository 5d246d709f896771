"""Tests of dlnotes.nn.Conv2d, MaxPool2d and AvgPool2d against their torch.nn twins with copied
weights (float64, atol 1e-10), finite differences, PyTorch's default initialisation, and a small
CNN trained step for step next to its torch replay."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import scipy.stats as stats
import torch

import dlnotes.nn as nn
from dlnotes.numerics import gradcheck
from dlnotes.optim import SGD

ATOL = 1e-10


def T(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def copy_params_to_torch(mod, tmod):
    ours, theirs = list(mod.named_parameters()), list(tmod.named_parameters())
    assert [n for n, _ in ours] == [n for n, _ in theirs]
    with torch.no_grad():
        for (_, p), (_, tp) in zip(ours, theirs):
            tp.copy_(T(p.data))


def assert_step_matches(mod, tmod, x, rng):
    """Forward output, input gradient and parameter gradients of mod equal those of tmod."""
    y = mod(x)
    xt = T(x, grad=True)
    yt = tmod(xt)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=ATOL)
    g = rng.normal(size=y.shape)
    mod.zero_grad()
    dx = mod.backward(g)
    yt.backward(T(g))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=ATOL)
    for (n, p), (_, tp) in zip(mod.named_parameters(), tmod.named_parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=0, atol=ATOL, err_msg=n)


CONV_CONFIGS = [
    dict(in_channels=1, out_channels=4, kernel_size=3),
    dict(in_channels=3, out_channels=5, kernel_size=(2, 3), stride=2, padding=1),
    dict(in_channels=4, out_channels=6, kernel_size=3, stride=(1, 2), padding=(2, 1), dilation=2, groups=2),
    dict(in_channels=3, out_channels=3, kernel_size=3, padding=1, groups=3, bias=False),
    dict(in_channels=2, out_channels=3, kernel_size=(4, 2), padding="same"),
    dict(in_channels=2, out_channels=3, kernel_size=1, padding="valid"),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("cfg", CONV_CONFIGS, ids=[f"conv{i}" for i in range(len(CONV_CONFIGS))])
def test_conv2d_matches_torch_module_with_copied_weights(rng, cfg):
    mod = nn.Conv2d(**cfg, rng=rng)
    tmod = torch.nn.Conv2d(**cfg, dtype=torch.float64)
    copy_params_to_torch(mod, tmod)
    assert list(mod.state_dict()) == list(tmod.state_dict())
    x = rng.normal(size=(3, cfg["in_channels"], 9, 8))
    assert_step_matches(mod, tmod, x, rng)


def test_conv2d_backward_accumulates_parameter_gradients(rng):
    mod = nn.Conv2d(2, 3, 3, rng=rng)
    x = rng.normal(size=(2, 2, 5, 5))
    g = rng.normal(size=mod(x).shape)
    mod.zero_grad()
    mod.backward(g)
    once = mod.weight.grad.copy(), mod.bias.grad.copy()
    mod.backward(g)
    np.testing.assert_allclose(mod.weight.grad, 2 * once[0], rtol=1e-14)
    np.testing.assert_allclose(mod.bias.grad, 2 * once[1], rtol=1e-14)


def test_conv2d_gradients_match_finite_differences(rng):
    mod = nn.Conv2d(2, 2, (2, 3), stride=(2, 1), padding=1, dilation=(1, 2), groups=2, rng=rng)
    x0 = rng.normal(size=(2, 2, 5, 6))
    G = rng.normal(size=mod(x0).shape)

    def f_x(x):
        return float(np.sum(G * mod(x)))

    def grad_x(x):
        mod(x)
        return mod.backward(G)

    # the output is linear in x and in the weight, so a large step has no truncation error and less round-off
    assert gradcheck(f_x, grad_x, x0, eps=1e-3) < 1e-8
    w0 = mod.weight.data.copy()

    def f_w(w):
        mod.weight.data[...] = w
        return float(np.sum(G * mod(x0)))

    def grad_w(w):
        mod.weight.data[...] = w
        mod(x0)
        mod.zero_grad()
        mod.backward(G)
        return mod.weight.grad.copy()

    assert gradcheck(f_w, grad_w, w0, eps=1e-3) < 1e-8


def test_conv2d_default_init_is_torch_default_distribution():
    c_in, c_out, k, groups = 12, 200, 3, 2
    fan_in = c_in // groups * k * k
    bound = 1 / np.sqrt(fan_in)
    mod = nn.Conv2d(c_in, c_out, k, groups=groups, rng=0)
    w, b = mod.weight.data.ravel(), nn.Conv2d(c_in, 2000, k, groups=groups, rng=1).bias.data
    tw = torch.nn.Conv2d(c_in, c_out, k, groups=groups, dtype=torch.float64).weight.detach().numpy().ravel()
    assert np.abs(tw).max() <= bound  # the oracle's support, read off torch
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.99 * bound
    assert w.var() == pytest.approx(1 / (3 * fan_in), rel=0.03)
    assert stats.ks_2samp(w, tw).pvalue > 1e-3
    assert stats.kstest(w, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3
    assert stats.kstest(b, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3


def test_conv2d_parameters_shapes_and_reproducibility():
    mod = nn.Conv2d(4, 6, (3, 2), groups=2, rng=5)
    assert mod.weight.shape == (6, 2, 3, 2) and mod.bias.shape == (6,)
    assert mod.num_parameters() == 6 * 2 * 3 * 2 + 6
    assert sum(p.numel() for p in torch.nn.Conv2d(4, 6, (3, 2), groups=2).parameters()) == mod.num_parameters()
    again = nn.Conv2d(4, 6, (3, 2), groups=2, rng=5)
    assert np.array_equal(mod.weight.data, again.weight.data) and np.array_equal(mod.bias.data, again.bias.data)
    assert nn.Conv2d(4, 6, 3, bias=False, rng=0).bias is None
    assert nn.Conv2d(3, 96, 11, stride=4, rng=0).num_parameters() == 34_944  # AlexNet conv1
    assert "Conv2d(4, 6, kernel_size=(3, 2), stride=(1, 1), groups=2)" == repr(mod)


POOL_CASES = [
    (2, None, 0),
    (3, 2, 1),
    ((3, 2), (1, 2), (1, 0)),
    (3, 1, 0),
]


@pytest.mark.parametrize("kernel, stride, padding", POOL_CASES)
def test_max_pool2d_module_matches_torch_including_ties(rng, kernel, stride, padding):
    mod = nn.MaxPool2d(kernel, stride, padding)
    tmod = torch.nn.MaxPool2d(kernel, stride, padding)
    assert_step_matches(mod, tmod, rng.normal(size=(2, 3, 7, 8)), rng)
    ties = rng.integers(0, 2, size=(2, 3, 7, 8)).astype(float)
    assert_step_matches(mod, tmod, ties, rng)


@pytest.mark.parametrize("kernel, stride, padding", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_module_matches_torch(rng, kernel, stride, padding, count_include_pad):
    mod = nn.AvgPool2d(kernel, stride, padding, count_include_pad=count_include_pad)
    tmod = torch.nn.AvgPool2d(kernel, stride, padding, count_include_pad=count_include_pad)
    assert_step_matches(mod, tmod, rng.normal(size=(2, 3, 7, 8)), rng)


def test_pool_modules_have_no_parameters_and_finite_difference_gradients(rng):
    x0 = rng.normal(size=(1, 2, 6, 5))
    for mod in (nn.MaxPool2d(3, 2, 1), nn.AvgPool2d(3, 2, 1)):
        assert mod.parameters() == []
        G = rng.normal(size=mod(x0).shape)
        assert gradcheck(lambda x: float(np.sum(G * mod(x))), lambda x: (mod(x), mod.backward(G))[1], x0) < 1e-7


def test_flatten_on_nchw_is_c_order_like_torch(rng):
    x = rng.normal(size=(2, 3, 4, 5))
    flat = nn.Flatten()
    np.testing.assert_array_equal(flat(x), torch.nn.Flatten()(T(x)).numpy())
    np.testing.assert_array_equal(flat.backward(np.arange(60.0)[None].repeat(2, 0)).shape, x.shape)
    # channels-last data flattens in a different order: the layout matters to the dense head
    assert not np.array_equal(flat(x), flat(x.transpose(0, 2, 3, 1)))
    assert np.arange(12).reshape(2, 3, 2).ravel().tolist() == list(range(12))


def torch_twin(model):
    """The torch Sequential with the same children names and copied parameters (Conv2d, ReLU,
    MaxPool2d, Flatten, Linear)."""
    children = OrderedDict()
    for name, m in model.named_children():
        if isinstance(m, nn.Conv2d):
            children[name] = torch.nn.Conv2d(
                m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                bias=m.bias is not None, dtype=torch.float64,
            )
        elif isinstance(m, nn.MaxPool2d):
            children[name] = torch.nn.MaxPool2d(m.kernel_size, m.stride, m.padding)
        elif isinstance(m, nn.AvgPool2d):
            children[name] = torch.nn.AvgPool2d(m.kernel_size, m.stride, m.padding)
        else:
            children[name] = nn.to_torch(m)
    tmodel = torch.nn.Sequential(children)
    copy_params_to_torch(model, tmodel)
    return tmodel


def test_small_cnn_trains_with_sgd_step_for_step_like_torch(rng):
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 2, groups=1, rng=rng),
        nn.ReLU(),
        nn.AvgPool2d(2, stride=1),
        nn.Flatten(),
        nn.Linear(4, 3, rng=rng),
    )
    tmodel = torch_twin(model)
    X, y = rng.normal(size=(16, 1, 6, 6)), rng.integers(0, 3, size=16)
    lr, momentum = 0.1, 0.9
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    tparams = list(tmodel.parameters())
    bufs = [None] * len(tparams)
    losses = []
    for _ in range(6):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        opt.step()
        # the torch replay: autograd gradients and torch.optim.SGD's update, b <- m b + g (b_1 = g), p <- p - lr b
        # (written out: importing torch.optim costs seconds)
        tmodel.zero_grad()
        tloss = tloss_fn(tmodel(T(X)), torch.from_numpy(y))
        tloss.backward()
        with torch.no_grad():
            for i, p in enumerate(tparams):
                bufs[i] = p.grad.clone() if bufs[i] is None else momentum * bufs[i] + p.grad
                p -= lr * bufs[i]
        assert loss == pytest.approx(tloss.item(), abs=ATOL)
        losses.append(loss)
    for (n, p), (_, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=1e-9, err_msg=n)
    assert losses[-1] < losses[0]


ERRORS = [
    (lambda: nn.Conv2d(0, 3, 3), ValueError, "in_channels"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels=3 must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels=3 must be divisible by groups"),
    (lambda: nn.Conv2d(2, 3, 0), ValueError, "kernel_size"),
    (lambda: nn.Conv2d(2, 3, 3, stride=0), ValueError, "stride"),
    (lambda: nn.Conv2d(2, 3, 3, padding=-1), ValueError, "padding"),
    (lambda: nn.Conv2d(2, 3, 3, padding="same", stride=2), ValueError, "padding='same'"),
    (lambda: nn.Conv2d(2, 3, 3, padding="full"), ValueError, "padding"),
    (lambda: nn.Conv2d(2, 3, 3, dilation=(1, 0)), ValueError, "dilation"),
    (lambda: nn.Conv2d(2, 3, 3, bias=1), TypeError, "bias"),
    (lambda: nn.Conv2d(2, 3, 3, rng="seed"), TypeError, "rng"),
    (lambda: nn.Conv2d(2, 3, 3)(np.zeros((1, 3, 5, 5))), ValueError, "in_channels"),
    (lambda: nn.Conv2d(2, 3, 3)(np.zeros((2, 5, 5))), ValueError, "input must be a 4-D"),
    (lambda: nn.Conv2d(2, 3, 3)(np.zeros((1, 2, 2, 5))), ValueError, "padded input height"),
    (lambda: nn.Conv2d(2, 3, 3).backward(np.zeros((1, 3, 3, 3))), RuntimeError, "before forward"),
    (lambda: nn.MaxPool2d(3, padding=2), ValueError, "padding must be at most half"),
    (lambda: nn.MaxPool2d(0), ValueError, "kernel_size"),
    (lambda: nn.MaxPool2d(2, stride=0), ValueError, "stride"),
    (lambda: nn.MaxPool2d(2)(np.zeros((4, 4))), ValueError, "input must be a 4-D"),
    (lambda: nn.MaxPool2d(2).backward(np.zeros((1, 1, 2, 2))), RuntimeError, "before forward"),
    (lambda: nn.AvgPool2d(2, padding=2), ValueError, "padding"),
    (lambda: nn.AvgPool2d(2, count_include_pad=0), TypeError, "count_include_pad"),
    (lambda: nn.AvgPool2d(5)(np.zeros((1, 1, 4, 4))), ValueError, "kernel_size"),
    (lambda: nn.AvgPool2d(2).backward(np.zeros((1, 1, 2, 2))), RuntimeError, "before forward"),
]


@pytest.mark.parametrize("call, exc, match", ERRORS, ids=[f"error{i}" for i in range(len(ERRORS))])
def test_errors_name_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize(
    "mod, shape", [(nn.Conv2d(1, 2, 3), (1, 1, 5, 5)), (nn.MaxPool2d(2), (1, 1, 4, 4)), (nn.AvgPool2d(2), (1, 1, 4, 4))]
)
def test_backward_rejects_a_wrong_grad_output_shape(mod, shape):
    mod(np.zeros(shape))
    with pytest.raises(ValueError, match="grad_output must have the shape of the last forward output"):
        mod.backward(np.zeros((1, 1, 1, 1)))


def test_to_torch_and_from_torch_convert_a_small_cnn():
    import torch

    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, rng=1), nn.AvgPool2d(2, count_include_pad=False),
        nn.Flatten(), nn.Linear(6, 3, rng=2),
    )
    t = nn.to_torch(model)
    assert isinstance(t[0], torch.nn.Conv2d) and t[3].groups == 2 and isinstance(t[4], torch.nn.AvgPool2d)
    x = np.random.default_rng(0).normal(size=(5, 1, 8, 8))
    with torch.no_grad():
        np.testing.assert_allclose(t(torch.from_numpy(x)).numpy(), model(x), rtol=1e-12, atol=1e-12)
    back = nn.from_torch(t)
    np.testing.assert_allclose(back(x), model(x), rtol=1e-12, atol=1e-12)
    with pytest.raises(TypeError, match="padding_mode='circular'"):
        nn.from_torch(torch.nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular"))
    with pytest.raises(TypeError, match="ceil_mode"):
        nn.from_torch(torch.nn.MaxPool2d(2, ceil_mode=True))
