"""Tests of dlnotes.nn.init against torch.nn.init (fans, gains, sample moments) and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate as integrate
import torch

import dlnotes.nn as nn
from dlnotes.nn import init

SHAPE = (500, 800)  # 400k draws: the sample std is within ~0.2 % of the truth


def torch_sample(fn, shape=SHAPE, **kw):
    t = torch.empty(shape, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    fn(t, generator=g, **kw)
    return t.numpy()


def our_sample(fn, shape=SHAPE, **kw):
    return fn(np.empty(shape), rng=1, **kw)


# --------------------------------------------------------------------------------------------
# fans and gains
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (1, 1), (16, 3, 5, 5), (8, 4, 3), (2, 3, 4, 5, 6), (7, 0)])
def test_fans_match_torch_private_helper(shape):
    want = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.calculate_fans(shape) == want
    assert init.calculate_fans(np.empty(shape)) == want
    assert init.calculate_fans(nn.Parameter(np.zeros(shape))) == want


def test_fans_of_conv_weight_worked_value():
    assert init.calculate_fans((16, 3, 5, 5)) == (75, 400)
    assert init.calculate_fans(nn.Linear(3, 5, rng=0).weight) == (3, 5)


@pytest.mark.parametrize("shape", [(), (4,)])
def test_fans_need_two_dimensions_like_torch(shape):
    with pytest.raises(ValueError):
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.calculate_fans(shape)


NONLINEARITIES = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0),
    ("leaky_relu", 0.2),
    ("leaky_relu", 1),
    ("leaky_relu", math.sqrt(5)),
    ("selu", None),
]


@pytest.mark.parametrize("nonlinearity,param", NONLINEARITIES)
def test_gains_match_torch(nonlinearity, param):
    want = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(want, rel=1e-15)


def test_gain_worked_values_and_errors():
    assert init.calculate_gain("tanh") == pytest.approx(1.6667, abs=1e-4)
    assert init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)), rel=1e-15)
    for bad in ("gelu", "ReLU"):
        with pytest.raises(ValueError):
            torch.nn.init.calculate_gain(bad)
        with pytest.raises(ValueError, match="nonlinearity must be one of"):
            init.calculate_gain(bad)
    with pytest.raises(ValueError, match="param"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain("leaky_relu", True)


# --------------------------------------------------------------------------------------------
# distributions: sample moments vs torch.nn.init and vs theory
# --------------------------------------------------------------------------------------------

fan_in, fan_out = SHAPE[1], SHAPE[0]

# (ours, torch's, kwargs, theoretical std, uniform bound or None)
DISTRIBUTIONS = [
    (
        "xavier_uniform",
        init.xavier_uniform_,
        torch.nn.init.xavier_uniform_,
        {},
        math.sqrt(2 / (fan_in + fan_out)),
        math.sqrt(6 / (fan_in + fan_out)),
    ),
    (
        "xavier_uniform_gain",
        init.xavier_uniform_,
        torch.nn.init.xavier_uniform_,
        {"gain": 5 / 3},
        5 / 3 * math.sqrt(2 / (fan_in + fan_out)),
        5 / 3 * math.sqrt(6 / (fan_in + fan_out)),
    ),
    (
        "xavier_normal",
        init.xavier_normal_,
        torch.nn.init.xavier_normal_,
        {},
        math.sqrt(2 / (fan_in + fan_out)),
        None,
    ),
    (
        "xavier_normal_relu",
        init.xavier_normal_,
        torch.nn.init.xavier_normal_,
        {"gain": math.sqrt(2)},
        math.sqrt(4 / (fan_in + fan_out)),
        None,
    ),
    (
        "kaiming_uniform",
        init.kaiming_uniform_,
        torch.nn.init.kaiming_uniform_,
        {},
        math.sqrt(2 / fan_in),
        math.sqrt(6 / fan_in),
    ),
    (
        "kaiming_uniform_sqrt5",
        init.kaiming_uniform_,
        torch.nn.init.kaiming_uniform_,
        {"a": math.sqrt(5)},
        math.sqrt(1 / (3 * fan_in)),
        1 / math.sqrt(fan_in),
    ),
    (
        "kaiming_uniform_fan_out",
        init.kaiming_uniform_,
        torch.nn.init.kaiming_uniform_,
        {"mode": "fan_out", "nonlinearity": "relu"},
        math.sqrt(2 / fan_out),
        math.sqrt(6 / fan_out),
    ),
    (
        "kaiming_normal",
        init.kaiming_normal_,
        torch.nn.init.kaiming_normal_,
        {"nonlinearity": "relu"},
        math.sqrt(2 / fan_in),
        None,
    ),
    (
        "kaiming_normal_fan_out",
        init.kaiming_normal_,
        torch.nn.init.kaiming_normal_,
        {"mode": "fan_out"},
        math.sqrt(2 / fan_out),
        None,
    ),
    (
        "kaiming_normal_tanh",
        init.kaiming_normal_,
        torch.nn.init.kaiming_normal_,
        {"nonlinearity": "tanh"},
        5 / 3 / math.sqrt(fan_in),
        None,
    ),
    (
        "lecun_normal",
        init.kaiming_normal_,
        torch.nn.init.kaiming_normal_,
        {"nonlinearity": "linear"},
        math.sqrt(1 / fan_in),
        None,
    ),
    (
        "kaiming_normal_leaky",
        init.kaiming_normal_,
        torch.nn.init.kaiming_normal_,
        {"a": 0.2},
        math.sqrt(2 / (1 + 0.04) / fan_in),
        None,
    ),
    ("uniform", init.uniform_, torch.nn.init.uniform_, {"a": -0.5, "b": 1.5}, 2 / math.sqrt(12), None),
    ("normal", init.normal_, torch.nn.init.normal_, {"mean": 0.3, "std": 0.05}, 0.05, None),
]


@pytest.mark.parametrize("name,ours,theirs,kw,std,bound", DISTRIBUTIONS, ids=[d[0] for d in DISTRIBUTIONS])
def test_init_sample_moments_match_torch_and_theory(name, ours, theirs, kw, std, bound):
    w = our_sample(ours, **kw)
    tw = torch_sample(theirs, **kw)
    assert w.std() == pytest.approx(tw.std(), rel=0.01)
    assert w.std() == pytest.approx(std, rel=0.01)
    assert tw.std() == pytest.approx(std, rel=0.01)  # the test's closed form agrees with torch
    assert w.mean() == pytest.approx(tw.mean(), abs=0.01 * std)
    if bound is not None:
        assert np.abs(tw).max() <= bound
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


def test_conv_shaped_kaiming_uses_receptive_field():
    w = init.kaiming_normal_(np.empty((64, 32, 3, 3)), nonlinearity="relu", rng=0)
    tw = torch_sample(torch.nn.init.kaiming_normal_, (64, 32, 3, 3), nonlinearity="relu")
    assert w.std() == pytest.approx(math.sqrt(2 / (32 * 9)), rel=0.01)
    assert w.std() == pytest.approx(tw.std(), rel=0.015)


def test_syllabus_worked_values():
    w = init.xavier_normal_(np.empty((128, 256)), rng=0)
    assert w.std() == pytest.approx(0.072169, rel=0.01)
    w = init.xavier_uniform_(np.empty((100, 300)), rng=0)
    assert np.abs(w).max() <= 0.122474 and w.std() == pytest.approx(0.070711, rel=0.01)
    w = init.kaiming_normal_(np.empty((128, 256)), nonlinearity="relu", rng=0)
    assert w.std() == pytest.approx(0.088388, rel=0.01)


# --------------------------------------------------------------------------------------------
# in-place behaviour and validation
# --------------------------------------------------------------------------------------------


def test_init_functions_work_in_place_on_parameters_and_arrays():
    p = nn.Parameter(np.zeros((3, 4)))
    data = p.data
    assert init.xavier_uniform_(p, rng=0) is p and p.data is data and np.any(p.data != 0)
    a = np.zeros((3, 4))
    assert init.kaiming_normal_(a, rng=0) is a and np.any(a != 0)
    assert np.all(init.zeros_(p).data == 0)
    assert np.all(init.constant_(a, 0.3) == 0.3)
    assert np.all(init.ones_(a) == 1.0)
    # reproducible from an int seed
    assert np.array_equal(init.normal_(np.empty(5), rng=3), init.normal_(np.empty(5), rng=3))


def test_init_validation():
    with pytest.raises(TypeError, match="p must be a Parameter or a numpy.ndarray"):
        init.zeros_([0.0, 1.0])
    with pytest.raises(TypeError, match="floating-point ndarray, got an ndarray of dtype int64"):
        init.normal_(np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match=r"mode must be one of \('fan_in', 'fan_out'\)"):
        init.kaiming_uniform_(np.empty((3, 3)), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        init.kaiming_normal_(np.empty((3, 3)), nonlinearity="gelu")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_normal_(np.empty(3))
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal_(np.empty(3), std=-1.0)
    with pytest.raises(ValueError, match="a must be <= b"):
        init.uniform_(np.empty(3), a=1.0, b=0.0)


# --------------------------------------------------------------------------------------------
# variance propagation helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("v", [0.25, 1.0, 4.0])
def test_relu_moments_match_quadrature_and_monte_carlo(v):
    m2, var = init.relu_moments(v)
    pdf = lambda z: math.exp(-z * z / (2 * v)) / math.sqrt(2 * math.pi * v)  # noqa: E731
    e1 = integrate.quad(lambda z: z * pdf(z), 0, np.inf)[0]
    e2 = integrate.quad(lambda z: z * z * pdf(z), 0, np.inf)[0]
    assert m2 == pytest.approx(e2, rel=1e-10)
    assert var == pytest.approx(e2 - e1**2, rel=1e-10)
    a = np.maximum(np.random.default_rng(0).normal(scale=math.sqrt(v), size=2_000_000), 0)
    assert m2 == pytest.approx(np.mean(a * a), rel=0.01) and var == pytest.approx(a.var(), rel=0.01)


def test_relu_moments_worked_values():
    np.testing.assert_allclose(init.relu_moments(1.0), (0.5, 0.3408451), atol=1e-7)
    np.testing.assert_allclose(init.relu_moments(4.0), (2.0, 1.3633802), atol=1e-7)
    m2, var = init.relu_moments(np.array([1.0, 4.0]))
    assert m2.shape == (2,)
    with pytest.raises(ValueError, match="var must be >= 0"):
        init.relu_moments(-1.0)


def test_activation_stats_through_depth_show_the_textbook_behaviour():
    he = init.activation_stats_through_depth("he", "relu", depth=20, width=256, n=500, rng=0)
    ratios = he["z_second_moment"][1:] / he["z_second_moment"][:-1]
    assert he["z_second_moment"][0] == pytest.approx(2.0, rel=0.05)
    assert abs(np.mean(np.log(ratios))) < 0.05
    assert np.all(np.abs(he["frac_zero"] - 0.5) < 0.1)

    xavier = init.activation_stats_through_depth("xavier", "relu", depth=20, width=256, n=500, rng=0)
    ratios = xavier["z_second_moment"][1:] / xavier["z_second_moment"][:-1]
    assert 0.45 <= np.mean(ratios) <= 0.55  # ReLU halves the second moment at every layer

    tiny = init.activation_stats_through_depth(0.01, "tanh", depth=5, width=256, n=500, rng=0)
    assert tiny["z_second_moment"][4] < 1e-6
    assert tiny["grad_second_moment"][0] < 1e-6  # gradients vanish too

    big = init.activation_stats_through_depth(1.0, "tanh", depth=5, width=256, n=500, rng=0)
    assert np.all(big["frac_saturated"][1:] > 0.5)
    assert set(he) == {
        "z_second_moment",
        "h_mean",
        "h_var",
        "frac_zero",
        "frac_saturated",
        "grad_second_moment",
    }


def test_activation_stats_accept_a_callable_init_and_validate():
    stats = init.activation_stats_through_depth(
        lambda shape, rng: rng.normal(0, math.sqrt(1 / shape[1]), size=shape),
        "linear",
        depth=3,
        width=64,
        n=400,
        rng=0,
    )
    np.testing.assert_allclose(stats["z_second_moment"], 1.0, rtol=0.1)
    with pytest.raises(ValueError, match="init must be one of"):
        init.activation_stats_through_depth("orthogonal", depth=2, width=4, n=4)
    with pytest.raises(ValueError, match="depth must be >= 1"):
        init.activation_stats_through_depth("he", depth=0)
