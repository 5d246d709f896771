"""Tests for dlnotes.nn.regions (chapter 04, shallow and deep networks, linear regions).

Oracles: PyTorch ``nn.Sequential`` forward passes with copied weights (float64), a dense-grid
count of slope changes, an exact vertex-sector enumeration of the regions of a hyperplane
arrangement, ``np.interp``, ``sum(p.numel())`` of torch models, and hand values from the
chapter. The functions under test are never their own oracle.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

import dlnotes.perceptron
from dlnotes.nn import regions as R
from dlnotes.nn.regions import (
    activation_patterns,
    collapse_affine,
    compose_shallow,
    count_linear_regions_1d,
    deep_net,
    joint_positions,
    max_regions_1d,
    max_regions_shallow,
    montufar_lower_bound,
    num_params_deep,
    num_params_mlp,
    num_params_shallow,
    relu_interpolant,
    shallow_layers,
    shallow_net,
    zigzag_net,
)

F64 = torch.float64

# ---------------------------------------------------------------------------------------------
# independent oracles (written here, not imported from dlnotes)
# ---------------------------------------------------------------------------------------------


def torch_mlp(layers) -> nn.Sequential:
    """nn.Sequential(Linear, ReLU, ..., Linear) in float64 with the given (W, b) copied in."""
    mods: list[nn.Module] = []
    for k, (W, b) in enumerate(layers):
        W = np.asarray(W, dtype=float)
        lin = nn.Linear(W.shape[1], W.shape[0], dtype=F64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(np.asarray(b, dtype=float).reshape(-1)))
        mods.append(lin)
        if k < len(layers) - 1:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def torch_eval(layers, X_rows: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return torch_mlp(layers)(torch.from_numpy(np.asarray(X_rows, dtype=float))).numpy()


def grid_region_count(layers, lo: float, hi: float, n: int = 2_000_001) -> int:
    """Regions of a one-input, one-output net from the slope changes of a dense float64 evaluation.

    A kink strictly inside a grid cell makes that cell's slope an average of its neighbours', so
    one kink shows up as one or two consecutive slope changes; consecutive changes are grouped.
    """
    x = np.linspace(lo, hi, n)
    y = torch_eval(layers, x[:, None])[:, 0]
    slope = np.diff(y) / np.diff(x)
    change = np.abs(np.diff(slope)) > 1e-6 * (1.0 + np.abs(slope[:-1]))
    idx = np.flatnonzero(change)
    if idx.size == 0:
        return 1
    groups = 1 + int(np.count_nonzero(np.diff(idx) > 1))
    return 1 + groups


def arrangement_region_count(W: np.ndarray, b: np.ndarray, eps: float = 1e-7) -> int:
    """Exact number of regions of the hyperplanes W x + b = 0 in general position in R^Di.

    Every region of an arrangement of >= Di hyperplanes in general position (no parallels) has a
    vertex. At each vertex v (intersection of Di hyperplanes S, M = W[S]), the 2^Di points
    v + M^{-1}(eps * s), s in {+-1}^Di, lie in the 2^Di sectors around v; their sign patterns
    (computed directly) enumerate all regions.
    """
    D, Di = W.shape
    patterns = set()
    for S in itertools.combinations(range(D), Di):
        M = W[list(S)]
        v = np.linalg.solve(M, -b[list(S)])
        Minv = np.linalg.inv(M)
        for s in itertools.product((-1.0, 1.0), repeat=Di):
            p = v + Minv @ (eps * np.array(s))
            patterns.add(tuple((W @ p + b > 0).tolist()))
    return len(patterns)


def random_layers(rng, widths, bias_scale=0.5):
    return [
        (rng.normal(size=(o, i)) * math.sqrt(2.0 / i), rng.normal(scale=bias_scale, size=o))
        for i, o in zip(widths[:-1], widths[1:])
    ]


# ---------------------------------------------------------------------------------------------
# evaluation vs torch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("Di,D,Do", [(1, 3, 1), (2, 5, 3), (4, 7, 2), (1, 6, 2)])
def test_shallow_net_matches_torch_sequential_with_copied_weights(Di, D, Do):
    rng = np.random.default_rng(Di * 100 + D * 10 + Do)
    theta0, theta = rng.normal(size=D), rng.normal(size=(D, Di))
    phi0, phi = rng.normal(size=Do), rng.normal(size=(Do, D))
    X = rng.normal(size=(50, Di))  # rows, as torch wants them
    want = torch_eval([(theta, theta0), (phi, phi0)], X)  # (N, Do)
    y, pre, h = shallow_net(X.T, theta0, theta, phi0, phi, return_hidden=True)  # book: columns
    assert y.shape == (Do, 50) and pre.shape == h.shape == (D, 50)
    np.testing.assert_allclose(y, want.T, rtol=0, atol=1e-12)
    with torch.no_grad():
        pre_t = nn.functional.linear(torch.from_numpy(X), torch.from_numpy(theta), torch.from_numpy(theta0))
    np.testing.assert_allclose(pre, pre_t.numpy().T, atol=1e-12)
    np.testing.assert_array_equal(h, np.maximum(pre, 0))


def test_shallow_net_scalar_shapes_and_custom_activation():
    theta0, theta, phi0, phi = np.array([0.2, -1.0, 0.5]), np.array([1.0, 2.0, -1.5]), 0.3, np.array([1.0, -2.0, 0.7])
    x = np.linspace(-2, 2, 9)
    y = shallow_net(x, theta0, theta, phi0, phi)
    assert y.shape == (9,)
    want = torch_eval([(theta[:, None], theta0), (phi[None, :], [phi0])], x[:, None])[:, 0]
    np.testing.assert_allclose(y, want, atol=1e-12)
    assert isinstance(shallow_net(0.7, theta0, theta, phi0, phi), float)
    at_07 = torch_eval([(theta[:, None], theta0), (phi[None, :], [phi0])], [[0.7]])[0, 0]
    assert shallow_net(0.7, theta0, theta, phi0, phi) == pytest.approx(at_07, abs=1e-12)
    y_tanh = shallow_net(x, theta0, theta, phi0, phi, act=np.tanh)
    mods = torch_mlp([(theta[:, None], theta0), (phi[None, :], [phi0])])
    mods[1] = nn.Tanh()
    with torch.no_grad():
        np.testing.assert_allclose(y_tanh, mods(torch.from_numpy(x[:, None])).numpy()[:, 0], atol=1e-12)
    assert num_params_shallow(3) == 10 == sum(p.numel() for p in mods.parameters())


def test_deep_net_and_shallow_layers_match_torch():
    rng = np.random.default_rng(7)
    layers = random_layers(rng, [3, 5, 4, 6, 2])
    X = rng.normal(size=(40, 3))
    np.testing.assert_allclose(deep_net(X.T, layers), torch_eval(layers, X).T, atol=1e-12)
    theta0, theta, phi0, phi = rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=3), rng.normal(size=(3, 4))
    L = shallow_layers(theta0, theta, phi0, phi)
    assert [W.shape for W, _ in L] == [(4, 2), (3, 4)]
    np.testing.assert_allclose(deep_net(X[:, :2].T, L), torch_eval(L, X[:, :2]).T, atol=1e-12)


def test_joint_positions_closed_form_and_constant_units():
    np.testing.assert_allclose(joint_positions([1.0, -2.0, 0.5], [2.0, 4.0, -1.0]), [-0.5, 0.5, 0.5])
    out = joint_positions([1.0, 3.0], np.array([[0.0], [3.0]]))
    assert np.isnan(out[0]) and out[1] == -1.0


# ---------------------------------------------------------------------------------------------
# exact region counting in 1-D
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_shallow_regions_equal_joints_in_range_plus_one_and_grid_oracle(seed):
    rng = np.random.default_rng(seed)
    D = 4 + 2 * seed
    theta0, theta1 = rng.normal(size=D), rng.normal(size=D)
    phi0, phi = rng.normal(), rng.normal(size=D)
    layers = [(theta1[:, None], theta0), (phi[None, :], [phi0])]
    lo, hi = -1.5, 1.5
    joints = -theta0 / theta1  # closed form written here
    inside = np.sort(joints[(joints > lo) & (joints < hi)])
    count, bps = count_linear_regions_1d(layers, lo, hi, return_breakpoints=True)
    assert count == inside.size + 1 == grid_region_count(layers, lo, hi, n=200_001)
    np.testing.assert_allclose(bps, inside, rtol=1e-12, atol=1e-12)
    jp = joint_positions(theta0, theta1)
    np.testing.assert_allclose(np.sort(jp[(jp > lo) & (jp < hi)]), bps, atol=1e-12)


@pytest.mark.parametrize(
    "seed,widths", [(0, [1, 4, 4, 4, 1]), (2, [1, 6, 5, 1]), (3, [1, 8, 8, 1]), (4, [1, 3, 5, 4, 3, 1])]
)
def test_deep_random_net_region_count_matches_grid_oracle(seed, widths):
    rng = np.random.default_rng(seed)
    layers = random_layers(rng, widths)
    assert count_linear_regions_1d(layers, -3.0, 3.0) == grid_region_count(layers, -3.0, 3.0)


def test_cancelling_joints_are_merged_and_outside_joints_ignored():
    # relu(x - 1) - relu(1 - x) = x - 1: two units with the same joint, slopes cancel: 1 piece
    layers = [(np.array([[1.0], [-1.0]]), np.array([-1.0, 1.0])), (np.array([[1.0, -1.0]]), np.array([0.0]))]
    assert count_linear_regions_1d(layers, -5, 5) == 1 == grid_region_count(layers, -5, 5, n=200_001)
    # relu(x - 1) + relu(1 - x) = |x - 1|: one kink
    layers[1] = (np.array([[1.0, 1.0]]), np.array([0.0]))
    assert count_linear_regions_1d(layers, -5, 5) == 2
    assert count_linear_regions_1d(layers, 2, 5) == 1  # the joint is outside [2, 5]
    # a unit with zero output weight does not create a region
    layers = [(np.array([[1.0], [1.0]]), np.array([0.0, -0.5])), (np.array([[2.0, 0.0]]), np.array([1.0]))]
    assert count_linear_regions_1d(layers, -1, 1) == 2


@pytest.mark.parametrize("seed", range(4))
def test_second_layer_crossings_at_a_first_layer_joint_are_not_double_counted(seed):
    # Every second-layer unit's pre-activation is made to vanish exactly at the first joint t_0,
    # so rounding puts its computed crossing a few ulps to either side of t_0.
    rng = np.random.default_rng(seed)
    t = rng.uniform(-1, 1, 3)
    s = rng.choice([-1.0, 1.0], 3) * rng.uniform(0.5, 2, 3)
    V = rng.normal(size=(3, 3))
    c = -(V @ np.maximum(s * t[0] - s * t, 0.0))
    layers = [(s[:, None], -s * t), (V, c), (rng.normal(size=(1, 3)), np.zeros(1))]
    assert count_linear_regions_1d(layers, -2.0, 2.0) == grid_region_count(layers, -2.0, 2.0, n=200_001)


def test_count_handles_vector_outputs_and_thin_regions():
    # joints at 0 and 1e-9: a grid cannot see the thin region, the interval method does
    layers = [(np.array([[1.0], [1.0]]), np.array([0.0, -1e-9])), (np.array([[1.0, 1.0]]), np.array([0.0]))]
    assert count_linear_regions_1d(layers, -1, 1) == 3
    # two outputs: a kink in either output is a boundary
    layers = [(np.array([[1.0], [1.0]]), np.array([0.0, -0.5])), (np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2))]
    count, bps = count_linear_regions_1d(layers, -1, 1, return_breakpoints=True)
    assert count == 3 and np.allclose(bps, [0.0, 0.5])


# ---------------------------------------------------------------------------------------------
# zig-zag nets and the (D+1)^K maximum
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("D", [3, 4, 5, 6])
@pytest.mark.parametrize("K", [1, 2, 3])
def test_zigzag_net_has_D_plus_one_to_the_K_regions(D, K):
    layers = zigzag_net(D, K)
    assert len(layers) == K + 1
    assert [W.shape for W, _ in layers] == [(D, 1)] + [(D, D)] * (K - 1) + [(1, D)]
    want = (D + 1) ** K
    assert want == max_regions_1d([D] * K)
    assert count_linear_regions_1d(layers, 0.0, 1.0) == want
    # the thinnest of the 343 pieces for D = 6, K = 3 is 4.6e-4 wide: ~90 cells of this grid
    assert grid_region_count(layers, 0.0, 1.0, n=200_001) == want
    y = torch_eval(layers, np.linspace(0, 1, 20_001)[:, None])[:, 0]
    assert y.min() >= -1e-12 and y.max() <= 1 + 1e-12
    assert abs(y[0]) < 1e-12


@pytest.mark.parametrize("D", [3, 4, 5, 6, 7, 8])
def test_zigzag_layer_folds_unit_interval_onto_itself(D):
    layers = zigzag_net(D, 1)
    # the layer map's pieces: every piece must sweep all of [0, 1]
    W, b = layers[0]
    knots = np.sort(-b / W[:, 0])
    xs = np.concatenate(([0.0], knots, [1.0]))
    ys = torch_eval(layers, xs[:, None])[:, 0]
    np.testing.assert_allclose(ys, [(i % 2) for i in range(D + 2)], atol=1e-12)
    for W, _ in zigzag_net(D, 3)[1:-1]:
        assert np.linalg.matrix_rank(W) == 1


@pytest.mark.parametrize("D", [1, 2])
def test_zigzag_net_rejects_widths_below_three(D):
    with pytest.raises(ValueError, match="D must be >= 3"):
        zigzag_net(D, 2)


# ---------------------------------------------------------------------------------------------
# composition
# ---------------------------------------------------------------------------------------------


def test_compose_shallow_equals_composition_and_psi_has_rank_one():
    rng = np.random.default_rng(11)
    net1 = (rng.normal(size=3), rng.normal(size=3), rng.normal(), rng.normal(size=3))
    net2 = (rng.normal(size=4), rng.normal(size=4), rng.normal(), rng.normal(size=4))
    layers = compose_shallow(net1, net2)
    (W1, b1), (Psi, psi0), (W3, b3) = layers
    assert W1.shape == (3, 1) and Psi.shape == (4, 3) and psi0.shape == (4,) and W3.shape == (1, 4)
    assert np.linalg.matrix_rank(Psi) == 1
    np.testing.assert_allclose(Psi, np.outer(net2[1], net1[3]))  # theta' phi^T
    np.testing.assert_allclose(psi0, net2[0] + net2[1] * net1[2])  # theta'_0 + theta' phi_0
    x = np.linspace(-3, 3, 401)[:, None]
    inner = torch_eval([(net1[1][:, None], net1[0]), (net1[3][None, :], [net1[2]])], x)
    want = torch_eval([(net2[1][:, None], net2[0]), (net2[3][None, :], [net2[2]])], inner)
    np.testing.assert_allclose(torch_eval(layers, x), want, atol=1e-12)
    np.testing.assert_allclose(deep_net(x[:, 0], layers), want[:, 0], atol=1e-12)


def test_compose_shallow_with_vector_intermediate_has_rank_at_most_its_width():
    rng = np.random.default_rng(12)
    net1 = (rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=2), rng.normal(size=(2, 5)))
    net2 = (rng.normal(size=6), rng.normal(size=(6, 2)), rng.normal(size=3), rng.normal(size=(3, 6)))
    layers = compose_shallow(net1, net2)
    assert np.linalg.matrix_rank(layers[1][0]) == 2
    X = rng.normal(size=(30, 2))
    inner = torch_eval(shallow_layers(*net1), X)
    np.testing.assert_allclose(torch_eval(layers, X), torch_eval(shallow_layers(*net2), inner), atol=1e-12)
    with pytest.raises(ValueError, match="net1 has 2 output"):
        compose_shallow(net1, (np.ones(3), np.ones((3, 4)), 0.0, np.ones(3)))


# ---------------------------------------------------------------------------------------------
# closed-form counts and bounds
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("widths", [[1, 3, 1], [1, 3, 3, 1], [3, 4, 2, 3, 2], [64, 32, 10], [2, 1]])
def test_num_params_mlp_matches_torch_numel(widths):
    model = torch_mlp([(np.zeros((o, i)), np.zeros(o)) for i, o in zip(widths[:-1], widths[1:])])
    assert num_params_mlp(widths) == sum(p.numel() for p in model.parameters())


def test_parameter_count_worked_values_and_shallow_deep_formulas():
    assert num_params_mlp([1, 3, 1]) == 10
    assert num_params_mlp([1, 3, 3, 1]) == 22
    assert num_params_mlp([3, 4, 2, 3, 2]) == 43
    for D in (1, 3, 8):
        assert num_params_shallow(D) == 3 * D + 1 == num_params_mlp([1, D, 1])
        for K in (1, 2, 5):
            assert num_params_deep(D, K) == 3 * D + 1 + (K - 1) * D * (D + 1) == num_params_mlp([1] + [D] * K + [1])
    assert num_params_shallow(5, Di=3, Do=2) == num_params_mlp([3, 5, 2])
    assert num_params_deep(4, 3, Di=10, Do=2) == num_params_mlp([10, 4, 4, 4, 2])


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("D", range(2, 9))
def test_zaslavsky_count_matches_exact_vertex_sector_enumeration_in_2d(seed, D):
    rng = np.random.default_rng(100 * seed + D)
    W, b = rng.normal(size=(D, 2)), rng.normal(size=D)
    assert max_regions_shallow(D, 2) == arrangement_region_count(W, b) == 1 + D + D * (D - 1) // 2


@pytest.mark.parametrize("D", [3, 4, 6])
def test_zaslavsky_count_matches_enumeration_in_3d(D):
    rng = np.random.default_rng(D)
    W, b = rng.normal(size=(D, 3)), rng.normal(size=D)
    assert max_regions_shallow(D, 3) == arrangement_region_count(W, b)


def test_zaslavsky_worked_values():
    assert max_regions_shallow(3, 2) == 7
    assert max_regions_shallow(6, 2) == 22
    assert max_regions_shallow(7, 1) == 8
    for D in range(1, 6):
        assert max_regions_shallow(D, D) == max_regions_shallow(D, D + 2) == 2**D


def test_activation_patterns_match_torch_hidden_signs_and_count_regions():
    rng = np.random.default_rng(5)
    layers = random_layers(rng, [2, 4, 3, 1])
    X = rng.normal(size=(200, 2))
    P = activation_patterns(X, layers)
    assert P.shape == (200, 7) and P.dtype == bool
    model = torch_mlp(layers)
    with torch.no_grad():
        a1 = model[0](torch.from_numpy(X))
        a2 = model[2](model[1](a1))
    np.testing.assert_array_equal(P, np.hstack([a1.numpy() > 0, a2.numpy() > 0]))
    # a shallow net's region map: the patterns at the vertex-sector points give Zaslavsky's count
    W, b = rng.normal(size=(6, 2)), rng.normal(size=6)
    pts = []
    for i, j in itertools.combinations(range(6), 2):
        M = W[[i, j]]
        v = np.linalg.solve(M, -b[[i, j]])
        pts += [v + np.linalg.solve(M, 1e-7 * np.array(s)) for s in itertools.product((-1, 1), repeat=2)]
    pats = activation_patterns(np.array(pts), [(W, b)], output_layer=False)
    assert len(np.unique(pats, axis=0)) == 22


def test_max_regions_1d_and_montufar_worked_values():
    assert max_regions_1d([3, 3]) == 16
    assert max_regions_1d([4]) == 5
    assert montufar_lower_bound(2, [4, 4, 4]) == 176  # (2^2)^2 * (1 + 4 + 6)
    assert montufar_lower_bound(1, [3, 3]) == 12  # 3 * (1 + 3)
    assert montufar_lower_bound(2, [5, 5, 5]) == 256  # floor(5/2)^2 = 4 per layer, * (1 + 5 + 10)
    assert montufar_lower_bound(3, [3]) == max_regions_shallow(3, 3) == 8
    for widths in ([3, 3], [4, 4, 4], [5, 3, 6]):
        assert montufar_lower_bound(1, widths) <= max_regions_1d(widths)


# ---------------------------------------------------------------------------------------------
# ReLU interpolation and the linear collapse
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_relu_interpolant_equals_np_interp(seed):
    rng = np.random.default_rng(seed)
    knots = np.sort(rng.uniform(-2, 3, size=8 + seed))
    values = rng.normal(size=knots.size)
    theta0, theta, phi0, phi = relu_interpolant(knots, values)
    x = np.linspace(knots[0], knots[-1], 5001)
    y = torch_eval([(np.asarray(theta)[:, None], theta0), (np.asarray(phi)[None, :], [phi0])], x[:, None])[:, 0]
    np.testing.assert_allclose(y, np.interp(x, knots, values), atol=1e-12)
    np.testing.assert_allclose(shallow_net(x, theta0, theta, phi0, phi), np.interp(x, knots, values), atol=1e-12)


def test_relu_interpolant_sup_error_decays_like_one_over_D_squared():
    Ds = np.array([8, 16, 32, 64, 128])
    x = np.linspace(0, 1, 20_001)
    errs = []
    for D in Ds:
        knots = np.linspace(0, 1, D + 1)
        y = shallow_net(x, *relu_interpolant(knots, np.sin(2 * np.pi * knots)))
        errs.append(np.max(np.abs(y - np.sin(2 * np.pi * x))))
    slope = np.polyfit(np.log(Ds), np.log(errs), 1)[0]
    assert -2.2 <= slope <= -1.8
    # the classical bound max|f''| h^2 / 8
    assert np.all(np.array(errs) <= (2 * np.pi) ** 2 / Ds**2 / 8 * (1 + 1e-9))


def test_collapse_affine_is_the_perceptron_function_and_matches_a_linear_torch_stack():
    assert collapse_affine is dlnotes.perceptron.collapse_affine
    assert "collapse_affine" in R.__all__
    rng = np.random.default_rng(9)
    Ws = [rng.normal(size=(o, i)) for i, o in [(3, 5), (5, 4), (4, 2)]]
    bs = [rng.normal(size=W.shape[0]) for W in Ws]
    W, b = collapse_affine(Ws, bs)
    X = rng.normal(size=(25, 3))
    stack = nn.Sequential(*[nn.Linear(Wl.shape[1], Wl.shape[0], dtype=F64) for Wl in Ws])
    with torch.no_grad():
        for lin, Wl, bl in zip(stack, Ws, bs):
            lin.weight.copy_(torch.from_numpy(Wl))
            lin.bias.copy_(torch.from_numpy(bl))
        want = stack(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(X @ W.T + b, want, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# error paths
# ---------------------------------------------------------------------------------------------


def test_bad_shapes_and_arguments_are_rejected_with_clear_messages():
    t0, t, p0, p = np.zeros(3), np.ones(3), 0.0, np.ones(3)
    with pytest.raises(ValueError, match=r"theta must have shape \(D, D_i\) = \(3, D_i\)"):
        shallow_net(np.zeros(4), t0, np.ones(4), p0, p)
    with pytest.raises(ValueError, match=r"phi must have shape \(D_o, D\)"):
        shallow_net(np.zeros(4), t0, t, p0, np.ones(2))
    with pytest.raises(ValueError, match=r"phi0 must have shape \(D_o,\) = \(1,\)"):
        shallow_net(np.zeros(4), t0, t, [0.0, 1.0], p)
    with pytest.raises(ValueError, match=r"x must have shape \(D_i, N\) = \(2, N\)"):
        shallow_net(np.zeros((5, 2)), t0, np.ones((3, 2)), p0, p)
    with pytest.raises(TypeError, match="act must be a callable"):
        shallow_net(np.zeros(4), t0, t, p0, p, act="relu")
    with pytest.raises(ValueError, match="previous layer has 3 outputs"):
        deep_net(np.zeros(4), [(np.ones((3, 1)), np.zeros(3)), (np.ones((1, 2)), np.zeros(1))])
    with pytest.raises(ValueError, match=r"b must have shape \(out,\) = \(3,\)"):
        count_linear_regions_1d([(np.ones((3, 1)), np.zeros(2)), (np.ones((1, 3)), np.zeros(1))], 0, 1)
    with pytest.raises(ValueError, match="must have one input"):
        count_linear_regions_1d([(np.ones((3, 2)), np.zeros(3)), (np.ones((1, 3)), np.zeros(1))], 0, 1)
    with pytest.raises(ValueError, match="need lo < hi"):
        count_linear_regions_1d(zigzag_net(3, 1), 1.0, 1.0)
    with pytest.raises(TypeError, match="list of \\(W, b\\) pairs"):
        count_linear_regions_1d(np.ones((3, 1)), 0, 1)
    with pytest.raises(ValueError, match=r"widths\[1\] = 1"):
        montufar_lower_bound(2, [4, 1, 4])
    with pytest.raises(ValueError, match=r"widths\[0\] must be >= 1"):
        num_params_mlp([0, 3])
    with pytest.raises(ValueError, match="at least 2"):
        num_params_mlp([3])
    with pytest.raises(TypeError, match="K must be an int"):
        zigzag_net(3, 1.5)
    with pytest.raises(ValueError, match="strictly increasing"):
        relu_interpolant([0.0, 1.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="values must have the shape of knots"):
        relu_interpolant([0.0, 1.0], [0.0])
    with pytest.raises(ValueError, match=r"X must have shape \(N, D_i\) = \(N, 2\)"):
        activation_patterns(np.zeros((4, 3)), [(np.ones((3, 2)), np.zeros(3)), (np.ones((1, 3)), np.zeros(1))])
    with pytest.raises(ValueError, match="theta1 must have the shape of theta0"):
        joint_positions([1.0, 2.0], [1.0])
