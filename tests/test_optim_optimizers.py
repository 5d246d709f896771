"""Tests of the dlnotes.optim optimizers against torch.optim (float64) and closed forms.

Oracle pattern (chapter 05, section 3): both sides start from the same parameters and receive
the *same* NumPy gradient at every step (computed from dlnotes's current iterate and copied into
``tp.grad``), so no torch version of the objective is needed; whole 30-step trajectories are
compared, every step, to 1e-10.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import dlnotes.nn as nn
import dlnotes.optim as optim
from dlnotes.nn import Parameter

ATOL = 1e-10
N_STEPS = 30
SHAPES = [(3, 4), (5,), (2, 3, 2), ()]
TORCH = {
    "SGD": torch.optim.SGD,
    "Adagrad": torch.optim.Adagrad,
    "RMSprop": torch.optim.RMSprop,
    "Adadelta": torch.optim.Adadelta,
    "Adam": torch.optim.Adam,
    "AdamW": torch.optim.AdamW,
    "Adamax": torch.optim.Adamax,
    "NAdam": torch.optim.NAdam,
}
NAMES = list(TORCH)


@pytest.fixture(autouse=True)
def torch_float64():
    """torch.optim keeps some scalars (NAdam's mu_product) in the default dtype: use float64."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


# --------------------------------------------------------------------------------------------
# Gradient functions (NumPy), fed identically to both libraries
# --------------------------------------------------------------------------------------------


class QuadraticNoise:
    """g = A x - b + 0.5 cos(x) + noise: a random SPD quadratic, a smooth non-quadratic term and
    a fixed noise sequence, per parameter."""

    def __init__(self, shapes, seed, n_steps=N_STEPS):
        rng = np.random.default_rng(seed)
        self.A, self.b, self.noise = [], [], []
        for s in shapes:
            n = int(np.prod(s))
            q, _ = np.linalg.qr(rng.normal(size=(n, n)))
            self.A.append(q @ np.diag(rng.uniform(0.1, 3.0, size=n)) @ q.T)
            self.b.append(rng.normal(size=n))
            self.noise.append(0.1 * rng.normal(size=(n_steps + 5, n)))

    def __call__(self, i, x, t):
        v = x.ravel()
        return (self.A[i] @ v - self.b[i] + 0.5 * np.cos(v) + self.noise[i][t]).reshape(x.shape)


class FixedSequence:
    """A fixed random gradient sequence with coordinate scales from 1e-3 to 1e3 (stresses eps)."""

    def __init__(self, shapes, seed, n_steps=N_STEPS):
        rng = np.random.default_rng(seed)
        self.g = [
            rng.normal(size=(n_steps + 5, *s)) * 10.0 ** rng.uniform(-3, 3, size=s)
            for s in shapes
        ]

    def __call__(self, i, x, t):
        return self.g[i][t]


GRADS = {"quadratic": QuadraticNoise, "sequence": FixedSequence}


def make_params(shapes, seed):
    rng = np.random.default_rng(seed + 1000)
    x0 = [rng.normal(size=s) for s in shapes]
    ours = [Parameter(x) for x in x0]
    theirs = [torch.nn.Parameter(torch.tensor(x, dtype=torch.float64)) for x in x0]
    return ours, theirs


def trajectory_error(name, kw, grad_kind="quadratic", seed=0, n_steps=N_STEPS, torch_kw=None, skip=None, groups=None):
    """Run both optimizers for n_steps; return the largest |difference| of the iterates over all steps.

    ``skip(i, t)`` True leaves parameter i's grad None at step t; ``groups`` (list of (indices,
    overrides)) builds parameter groups instead of a flat list.
    """
    ours, theirs = make_params(SHAPES, seed)
    gfun = GRADS[grad_kind](SHAPES, seed)
    if groups is None:
        o = getattr(optim, name)(ours, **kw)
        t = TORCH[name](theirs, **(kw if torch_kw is None else torch_kw))
    else:
        o = getattr(optim, name)([{"params": [ours[i] for i in idx], **ov} for idx, ov in groups], **kw)
        t = TORCH[name]([{"params": [theirs[i] for i in idx], **ov} for idx, ov in groups], **kw)
    worst = 0.0
    for step in range(n_steps):
        for i, (p, tp) in enumerate(zip(ours, theirs)):
            if skip is not None and skip(i, step):
                p.grad, tp.grad = None, None
            else:
                g = gfun(i, p.data, step)
                p.grad = np.array(g, dtype=np.float64)
                tp.grad = torch.tensor(g, dtype=torch.float64)
        o.step()
        t.step()
        for p, tp in zip(ours, theirs):
            worst = max(worst, float(np.max(np.abs(p.data - tp.detach().numpy()), initial=0.0)))
            assert np.all(np.isfinite(p.data))
    return worst


# --------------------------------------------------------------------------------------------
# Hyperparameter strategies (valid for torch too)
# --------------------------------------------------------------------------------------------

unit = st.floats(0.0, 0.99)
maybe_zero = lambda s: st.one_of(st.just(0.0), s)  # noqa: E731
log_eps = st.floats(-10, -1).map(lambda e: 10.0**e)
betas = st.tuples(maybe_zero(st.floats(0.0, 0.99)), maybe_zero(st.floats(0.5, 0.9999)))


@st.composite
def sgd_kw(draw):
    momentum = draw(maybe_zero(st.floats(0.01, 0.95)))
    nesterov = momentum > 0 and draw(st.booleans())
    return {
        "lr": draw(st.floats(1e-3, 0.3)),
        "momentum": momentum,
        "dampening": 0.0 if nesterov else draw(maybe_zero(st.floats(0.0, 0.9))),
        "weight_decay": draw(maybe_zero(st.floats(0.0, 0.5))),
        "nesterov": nesterov,
    }


STRATEGIES = {
    "SGD": sgd_kw(),
    "Adagrad": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-3, 1.0),
            "lr_decay": maybe_zero(st.floats(0.0, 1.0)),
            "weight_decay": maybe_zero(st.floats(0.0, 0.5)),
            "initial_accumulator_value": maybe_zero(st.floats(0.0, 1.0)),
            "eps": log_eps,
        }
    ),
    "RMSprop": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.05),
            "alpha": st.floats(0.5, 0.999),
            "eps": log_eps,
            "weight_decay": maybe_zero(st.floats(0.0, 0.5)),
            "momentum": maybe_zero(st.floats(0.0, 0.9)),
            "centered": st.booleans(),
        }
    ),
    "Adadelta": st.fixed_dictionaries(
        {
            "lr": st.floats(0.05, 2.0),
            "rho": st.floats(0.0, 0.99),
            "eps": st.floats(-8, -2).map(lambda e: 10.0**e),
            "weight_decay": maybe_zero(st.floats(0.0, 0.5)),
        }
    ),
    "Adam": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.1),
            "betas": betas,
            "eps": log_eps,
            "weight_decay": maybe_zero(st.floats(0.0, 0.5)),
            "amsgrad": st.booleans(),
        }
    ),
    "AdamW": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.1),
            "betas": betas,
            "eps": log_eps,
            "weight_decay": maybe_zero(st.floats(0.0, 1.0)),
            "amsgrad": st.booleans(),
        }
    ),
    "Adamax": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.1),
            "betas": betas,
            "eps": log_eps,
            "weight_decay": maybe_zero(st.floats(0.0, 0.5)),
        }
    ),
    "NAdam": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.1),
            "betas": betas,
            "eps": log_eps,
            "weight_decay": maybe_zero(st.floats(0.0, 0.5)),
            "momentum_decay": st.one_of(st.just(4e-3), st.floats(0.0, 1.0)),
            "decoupled_weight_decay": st.booleans(),
        }
    ),
}


# --------------------------------------------------------------------------------------------
# Trajectories vs torch.optim
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("grad_kind", list(GRADS))
def test_default_hyperparameters_match_torch(name, grad_kind):
    kw = {"lr": 0.05} if name == "SGD" else {}
    assert trajectory_error(name, kw, grad_kind, seed=3) <= ATOL


def torch_self_spread(name, kw, grad_kind, seed, n_steps=N_STEPS):
    """How far torch.optim drifts from *itself* when the start is perturbed by one ulp.

    torch's CPU kernels use fused multiply-adds (``add_(alpha=)``, ``addcmul_``, ``lerp_``),
    which NumPy cannot express, so iterates agree to rounding (~1e-16) per step, not bit for
    bit. Some settings are chaotic -- e.g. Adam-type steps with beta2 near 0 that behave like
    sign descent, where g + lambda*theta crosses 0 -- and amplify any rounding difference
    exponentially. There torch disagrees with itself beyond 1e-10 too, and this spread is the
    honest yardstick.
    """
    _, a = make_params(SHAPES, seed)
    _, b = make_params(SHAPES, seed)
    with torch.no_grad():
        for tp in b:
            tp.mul_(1 + 2.0**-52)
    gfun = GRADS[grad_kind](SHAPES, seed)
    oa, ob = TORCH[name](a, **kw), TORCH[name](b, **kw)
    worst = 0.0
    for t in range(n_steps):
        for i, (x, y) in enumerate(zip(a, b)):
            x.grad = torch.tensor(gfun(i, x.detach().numpy(), t))
            y.grad = torch.tensor(gfun(i, y.detach().numpy(), t))
        oa.step()
        ob.step()
        worst = max(worst, max(float((x - y).detach().abs().max()) for x, y in zip(a, b)))
    return worst


@pytest.mark.parametrize("name", NAMES)
def test_optimizer_matches_torch_for_random_hyperparameters(name):
    @settings(max_examples=12, deadline=None, database=None)
    @given(kw=STRATEGIES[name], grad_kind=st.sampled_from(list(GRADS)), seed=st.integers(0, 2**16))
    def check(kw, grad_kind, seed):
        err = trajectory_error(name, kw, grad_kind, seed)
        if err <= ATOL:
            return
        # Only acceptable where the problem itself is that sensitive (see torch_self_spread);
        # a wrong update rule gives differences of the order of the step, not of rounding.
        spread = torch_self_spread(name, kw, grad_kind, seed)
        assert err <= 100 * spread, (
            f"{name}({kw}) on {grad_kind} gradients: max |diff| = {err:.3g}, while torch's own sensitivity "
            f"to a 1-ulp change of the start is only {spread:.3g}"
        )

    check()


# A seeded grid that always covers every flag, in addition to the random draws above.
GRID = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.2}),
    ("Adagrad", {"lr": 0.5, "lr_decay": 0.3, "initial_accumulator_value": 0.1, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.8, "centered": True, "weight_decay": 0.1, "eps": 1e-3}),
    ("Adadelta", {"lr": 0.7, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.2}),
    ("Adam", {"lr": 0.02, "amsgrad": True}),
    ("Adam", {"lr": 0.02, "betas": (0.5, 0.9), "weight_decay": 0.3, "amsgrad": True, "eps": 1e-3}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.5, "amsgrad": True}),
    ("Adamax", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.2}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.2, "momentum_decay": 0.1}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.2, "decoupled_weight_decay": True}),
]


@pytest.mark.parametrize("name, kw", GRID)
@pytest.mark.parametrize("grad_kind", list(GRADS))
def test_optimizer_grid_matches_torch(name, kw, grad_kind):
    assert trajectory_error(name, kw, grad_kind, seed=11) <= ATOL


@pytest.mark.parametrize("name", NAMES)
def test_maximize_matches_torch(name):
    kw = {"lr": 0.05, "momentum": 0.5} if name == "SGD" else {"weight_decay": 0.1}
    assert trajectory_error(name, {**kw, "maximize": True}, "sequence", seed=5) <= ATOL


@pytest.mark.parametrize("name, kw", [g for g in GRID if g[0] in ("SGD", "Adagrad", "RMSprop", "Adam", "NAdam")])
def test_parameters_with_grad_none_are_skipped_like_torch(name, kw):
    # parameter 1 has no gradient on even steps, parameter 3 never: its state is never created
    skip = lambda i, t: i == 3 or (i == 1 and t % 2 == 0)  # noqa: E731
    assert trajectory_error(name, kw, "quadratic", seed=2, skip=skip) <= ATOL


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_with_their_own_hyperparameters_match_torch(name):
    kw = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    override = {"lr": 0.003, "weight_decay": 0.2}
    groups = [([0, 2], {}), ([1, 3], override)]
    assert trajectory_error(name, kw, "quadratic", seed=4, groups=groups) <= ATOL


def test_nadam_constant_momentum_equals_torch_with_huge_momentum_decay():
    err = trajectory_error("NAdam", {"lr": 0.01, "momentum_decay": None}, torch_kw={"lr": 0.01, "momentum_decay": 1e9})
    assert err <= ATOL
    # ... and it is a different optimizer from the default schedule
    assert trajectory_error("NAdam", {"lr": 0.01, "momentum_decay": None}, torch_kw={"lr": 0.01}) > 1e-4


def test_adamw_is_adam_with_decoupled_weight_decay():
    kw = {"lr": 0.01, "weight_decay": 0.3}
    assert trajectory_error("AdamW", kw) <= ATOL
    ours = make_params(SHAPES, 0)[0]
    assert optim.AdamW(ours).defaults["weight_decay"] == 1e-2
    # Adam with decoupled_weight_decay=True is torch's AdamW
    err = trajectory_error(
        "Adam", {"lr": 0.01, "weight_decay": 0.3, "decoupled_weight_decay": True},
        torch_kw={"lr": 0.01, "weight_decay": 0.3, "decoupled_weight_decay": True},
    )
    assert err <= ATOL


def test_training_a_dlnotes_mlp_matches_torch_model():
    """The optimizer on model.parameters() of a dlnotes.nn model, gradients from its backward pass."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 4)), rng.normal(size=(32, 1))
    model = nn.Sequential(nn.Linear(4, 8, rng=1), nn.Tanh(), nn.Linear(8, 1, rng=2))
    tmodel = nn.to_torch(model)
    loss_fn, tloss_fn = nn.MSELoss(), torch.nn.MSELoss()
    opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.01, weight_decay=0.01)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(20):
        opt.zero_grad()
        loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        opt.step()
        topt.zero_grad()
        tloss_fn(tmodel(Xt), yt).backward()
        topt.step()
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=ATOL)


# --------------------------------------------------------------------------------------------
# state_dict round trips
# --------------------------------------------------------------------------------------------

ROUND_TRIP = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.3, "lr_decay": 0.1, "initial_accumulator_value": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adadelta", {"rho": 0.8}),
    ("Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.02, "amsgrad": True}),
    ("Adamax", {"lr": 0.02}),
    ("NAdam", {"lr": 0.02, "decoupled_weight_decay": True, "weight_decay": 0.1}),
]


def _run(opt, params, gfun, steps):
    for t in steps:
        for i, p in enumerate(params):
            p.grad = gfun(i, p.data, t).copy()
        opt.step()


@pytest.mark.parametrize("name, kw", ROUND_TRIP)
def test_state_dict_round_trip_continues_identically(name, kw):
    gfun = QuadraticNoise(SHAPES, 7)
    cls = getattr(optim, name)
    params, _ = make_params(SHAPES, 7)
    opt = cls(params, **kw)
    _run(opt, params, gfun, range(0, 7))
    saved_data = [p.data.copy() for p in params]
    saved = opt.state_dict()
    _run(opt, params, gfun, range(7, 20))  # uninterrupted run; must not alter `saved`
    fresh = [Parameter(x) for x in saved_data]
    opt2 = cls(fresh, lr=123.0) if name == "SGD" else cls(fresh)  # hyperparameters come from the state dict
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    _run(opt2, fresh, gfun, range(7, 20))
    for p, q in zip(params, fresh):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name, kw", ROUND_TRIP)
def test_torch_state_dict_loads_and_continues_like_torch(name, kw):
    """Our state keys are torch's: load torch's state after 5 steps, then follow torch to 1e-10."""
    gfun = QuadraticNoise(SHAPES, 8)
    ours, theirs = make_params(SHAPES, 8)
    topt = TORCH[name](theirs, **kw)
    for t in range(5):
        for i, tp in enumerate(theirs):
            tp.grad = torch.tensor(gfun(i, tp.detach().numpy(), t))
        topt.step()
    for p, tp in zip(ours, theirs):
        p.data[...] = tp.detach().numpy()
    opt = getattr(optim, name)(ours, **kw)
    opt.load_state_dict(topt.state_dict())
    for t in range(5, 20):
        for i, (p, tp) in enumerate(zip(ours, theirs)):
            g = gfun(i, p.data, t)
            p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=ATOL)


def test_state_dict_is_a_deep_copy_in_torch_layout():
    params, _ = make_params(SHAPES, 0)
    opt = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sd["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"} and sd["state"][0]["step"] == 1
    before = copy.deepcopy(sd)
    opt.step()
    opt.param_groups[0]["lr"] = 5.0
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before["state"][0]["exp_avg"])
    assert sd["param_groups"][0]["lr"] == 0.1
    # loading copies too: changing the dict afterwards does not change the optimizer
    opt.load_state_dict(sd)
    sd["state"][0]["exp_avg"][...] = 99.0
    assert not np.any(opt.state[params[0]]["exp_avg"] == 99.0)


def test_load_state_dict_rejects_mismatched_groups():
    params, _ = make_params(SHAPES, 0)
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    other = optim.SGD(params[:2], lr=0.1)
    with pytest.raises(ValueError, match="parameter group 0"):
        other.load_state_dict(sd)
    two = optim.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1)
    with pytest.raises(ValueError, match="parameter groups"):
        two.load_state_dict(sd)
    with pytest.raises(TypeError, match="state_dict"):
        opt.load_state_dict({"state": {}})
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    bad = opt.state_dict()
    bad["state"][0]["momentum_buffer"] = np.zeros(7)
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(bad)


# --------------------------------------------------------------------------------------------
# Base-class behaviour
# --------------------------------------------------------------------------------------------


def test_zero_grad_sets_zeros_in_place_or_none():
    params, _ = make_params(SHAPES, 0)
    opt = optim.SGD(params, lr=0.1)
    grads = [np.ones_like(p.data) for p in params]
    for p, g in zip(params, grads):
        p.grad = g
    opt.zero_grad()
    for p, g in zip(params, grads):
        assert p.grad is g and not g.any()
    opt.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in params)
    before = [p.data.copy() for p in params]
    opt.step()  # every grad is None: nothing moves, as in torch
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b)
    opt.zero_grad()
    assert all(isinstance(p.grad, np.ndarray) and p.grad.shape == p.data.shape for p in params)


def test_step_updates_data_in_place_and_leaves_grad_alone():
    p = Parameter(np.arange(6.0).reshape(2, 3))
    data, g = p.data, np.full((2, 3), 2.0)
    p.grad = g.copy()
    opt = optim.SGD([p], lr=0.5, weight_decay=0.1)
    opt.step()
    assert p.data is data
    np.testing.assert_array_equal(p.grad, g)  # weight decay does not leak into p.grad
    np.testing.assert_allclose(p.data, np.arange(6.0).reshape(2, 3) * (1 - 0.05) - 1.0)


def test_step_calls_the_closure_once_and_returns_its_loss():
    p = Parameter([1.0, -2.0])
    calls = []

    def closure():
        calls.append(1)
        p.grad = 2 * p.data
        return float(p.data @ p.data)

    opt = optim.SGD([p], lr=0.25)
    assert opt.step(closure) == 5.0 and len(calls) == 1
    np.testing.assert_allclose(p.data, [0.5, -1.0])


def test_add_param_group_fills_defaults_and_is_used():
    a, b = Parameter([1.0]), Parameter([1.0])
    opt = optim.SGD([a], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[1]["lr"] == 0.01
    a.grad, b.grad = np.ones(1), np.ones(1)
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.99])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": [Parameter([0.0])], "lr": -1.0})


def test_adagrad_creates_state_at_construction_like_torch():
    p = Parameter(np.zeros(3))
    opt = optim.Adagrad([p], initial_accumulator_value=0.5)
    assert opt.state[p]["step"] == 0
    np.testing.assert_array_equal(opt.state[p]["sum"], np.full(3, 0.5))


def test_all_zero_gradient_is_a_step_not_a_skip():
    """Decided as torch: a zero gradient still advances the step count and decays the moments."""
    p, tp = Parameter([1.0, 2.0]), torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt, topt = optim.Adam([p], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    for g in ([1.0, -1.0], [0.0, 0.0], [0.0, 0.0], [0.5, 0.5]):
        p.grad, tp.grad = np.array(g), torch.tensor(g)
        opt.step()
        topt.step()
    assert opt.state[p]["step"] == 4
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=ATOL)


def test_repr_lists_the_groups():
    r = repr(optim.Adam([Parameter([1.0])], lr=0.5))
    assert r.startswith("Adam (") and "Parameter Group 0" in r and "lr: 0.5" in r


# --------------------------------------------------------------------------------------------
# Worked values from the syllabus (closed forms)
# --------------------------------------------------------------------------------------------


def test_sgd_momentum_on_constant_gradient_approaches_lr_g_over_one_minus_mu():
    p = Parameter([0.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    prev = 0.0
    for t in range(1, 201):
        p.grad = np.array([1.0])
        opt.step()
        step = prev - p.data[0]
        prev = p.data[0]
        assert step == pytest.approx(0.1 * (1 - 0.9**t) / (1 - 0.9), rel=1e-12)
    assert step == pytest.approx(1.0, rel=1e-8)


def test_adam_first_step_and_maximum_step():
    p = Parameter([0.0, 0.0])
    opt = optim.Adam([p], lr=0.1)
    p.grad = np.array([1e-3, 1e3])
    opt.step()
    np.testing.assert_allclose(p.data, [-0.1 * 1e-3 / (1e-3 + 1e-8), -0.1 * 1e3 / (1e3 + 1e-8)], rtol=1e-12)
    assert p.data[0] == pytest.approx(-0.099999, abs=1e-6)
    # 10^4 zero gradients, then g = 1, lr = 1: the step is (1 - beta1)/sqrt(1 - beta2) = 3.1623
    q = Parameter([0.0])
    opt = optim.Adam([q], lr=1.0)
    q.grad = np.zeros(1)
    for _ in range(10_000):
        opt.step()
    q.grad = np.ones(1)
    opt.step()
    t = 10_001
    want = (1 - 0.9) / (1 - 0.9**t) / (math.sqrt((1 - 0.999) / (1 - 0.999**t)) + 1e-8)
    assert -q.data[0] == pytest.approx(want, rel=1e-12)
    assert -q.data[0] == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-4)


def _oracle_fn_grad(w):
    A, b = np.array([[3.0, 0.5], [0.5, 1.0]]), np.array([1.0, -2.0])
    return A @ w - b + np.cos(w)


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad"])
def test_eps_inside_sqrt_is_the_textbook_variant(name):
    """The flag gives eta g / sqrt(v + eps) (an independent 3-line loop here); the default is torch's."""
    lr, alpha, eps = 0.05, 0.9, 0.1
    p = Parameter([1.5, -2.0])
    kw = {"lr": lr, "alpha": alpha, "eps": eps} if name == "RMSprop" else {"lr": lr, "eps": eps}
    opt = getattr(optim, name)([p], **kw, eps_inside_sqrt=True)
    w, v = np.array([1.5, -2.0]), np.zeros(2)
    for _ in range(25):
        p.grad = _oracle_fn_grad(p.data)
        opt.step()
        g = _oracle_fn_grad(w)
        v = alpha * v + (1 - alpha) * g**2 if name == "RMSprop" else v + g**2
        w = w - lr * g / np.sqrt(v + eps)
        np.testing.assert_allclose(p.data, w, rtol=0, atol=1e-12)
    # and torch's placement (the default, checked against torch) gives a visibly different trajectory
    p.data[...] = [1.5, -2.0]
    opt = getattr(optim, name)([p], **kw, eps_inside_sqrt=True)
    q, tq = Parameter([1.5, -2.0]), torch.nn.Parameter(torch.tensor([1.5, -2.0]))
    o2, t2 = getattr(optim, name)([q], **kw), TORCH[name]([tq], **kw)
    diff = 0.0
    for _ in range(25):
        p.grad = _oracle_fn_grad(p.data)
        q.grad = _oracle_fn_grad(q.data)
        tq.grad = torch.tensor(_oracle_fn_grad(tq.detach().numpy()))
        opt.step()
        o2.step()
        t2.step()
        np.testing.assert_allclose(q.data, tq.detach().numpy(), rtol=0, atol=ATOL)
        diff = max(diff, np.abs(q.data - p.data).max())
    assert diff > 1e-3
    if name == "RMSprop":
        assert diff == pytest.approx(0.0332, abs=1e-4)  # the value quoted in the syllabus (P2)


def test_benchmark_adam_step_returns_two_timings():
    threads = torch.get_num_threads()
    ours, theirs = optim.benchmark_adam_step(n_params=3000, n_steps=2, repeat=1, torch_threads=1)
    assert ours > 0 and theirs > 0
    assert torch.get_num_threads() == threads


# --------------------------------------------------------------------------------------------
# Error paths
# --------------------------------------------------------------------------------------------

P = lambda: [Parameter(np.zeros(2))]  # noqa: E731


@pytest.mark.parametrize(
    "name, kw, match",
    [
        ("SGD", {"lr": -1.0}, "SGD: lr must be >= 0, got -1"),
        ("SGD", {"lr": 0.1, "momentum": -0.5}, "momentum must be >= 0"),
        ("SGD", {"lr": 0.1, "weight_decay": -1}, "weight_decay must be >= 0"),
        ("SGD", {"lr": 0.1, "nesterov": True}, "nesterov=True requires momentum > 0"),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, "dampening == 0"),
        ("SGD", {"lr": float("nan")}, "lr must be finite"),
        ("Adagrad", {"lr_decay": -1}, "lr_decay must be >= 0"),
        ("Adagrad", {"initial_accumulator_value": -1}, "initial_accumulator_value must be >= 0"),
        ("Adagrad", {"eps": -1e-3}, "eps must be >= 0"),
        ("RMSprop", {"alpha": -0.1}, "alpha must be >= 0"),
        ("RMSprop", {"momentum": -0.1}, "momentum must be >= 0"),
        ("Adadelta", {"rho": 1.5}, r"rho must be in \[0, 1\]"),
        ("Adadelta", {"lr": -1}, "Adadelta: lr must be >= 0"),
        ("Adam", {"lr": -1}, "Adam: lr must be >= 0, got -1"),
        ("Adam", {"betas": (1.0, 0.999)}, r"betas\[0\] must be in \[0, 1\), got 1.0"),
        ("Adam", {"betas": (0.9, -0.1)}, r"betas\[1\] must be in \[0, 1\)"),
        ("Adam", {"eps": -1}, "eps must be >= 0"),
        ("Adam", {"weight_decay": -0.1}, "weight_decay must be >= 0"),
        ("AdamW", {"betas": (0.9, 1.0)}, r"AdamW: betas\[1\]"),
        ("Adamax", {"betas": (-0.1, 0.9)}, r"Adamax: betas\[0\]"),
        ("NAdam", {"momentum_decay": -1}, "momentum_decay must be >= 0"),
        ("NAdam", {"betas": (0.9, 1.5)}, r"betas\[1\]"),
    ],
)
def test_invalid_hyperparameters_raise_value_error_naming_them(name, kw, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)(P(), **kw)


@pytest.mark.parametrize(
    "name, kw, match",
    [
        ("Adam", {"amsgrad": 1}, "amsgrad must be a bool"),
        ("SGD", {"lr": 0.1, "nesterov": "yes"}, "nesterov must be a bool"),
        ("RMSprop", {"centered": None}, "centered must be a bool"),
        ("Adam", {"betas": 0.9}, "betas must be a pair"),
        ("Adam", {"betas": (0.9, 0.99, 0.999)}, "betas must be a pair"),
        ("Adam", {"lr": "0.1"}, "lr must be a real number"),
    ],
)
def test_wrongly_typed_hyperparameters_raise_type_error(name, kw, match):
    with pytest.raises(TypeError, match=match):
        getattr(optim, name)(P(), **kw)


@pytest.mark.parametrize("name", NAMES)
def test_invalid_params_raise(name):
    cls = getattr(optim, name)
    kw = {"lr": 0.1} if name == "SGD" else {}
    for exc in (ValueError, TypeError):  # an empty list is both (torch raises ValueError)
        with pytest.raises(exc, match="empty"):
            cls([], **kw)
    with pytest.raises(optim.EmptyParameterListError):
        cls(iter([]), **kw)
    with pytest.raises(TypeError, match="single Parameter"):
        cls(Parameter([1.0]), **kw)
    with pytest.raises(TypeError, match="Parameter"):
        cls(np.zeros(3), **kw)
    with pytest.raises(TypeError, match="ndarray at position 1"):
        cls([Parameter([1.0]), np.zeros(3)], **kw)
    with pytest.raises(TypeError, match="Tensor at position 0"):
        cls([torch.zeros(3)], **kw)
    with pytest.raises(TypeError, match="ordered"):
        cls({Parameter([1.0])}, **kw)
    with pytest.raises(TypeError, match="iterable"):
        cls(3, **kw)
    p = Parameter([1.0])
    with pytest.raises(ValueError, match="twice"):
        cls([p, p], **kw)
    with pytest.raises(ValueError, match="'params'"):
        cls([{"lr": 0.1}], **kw)
    with pytest.raises(TypeError, match="mixture"):
        cls([p, {"params": [Parameter([2.0])]}], **kw)


def test_grad_of_the_wrong_shape_raises_at_step():
    p = Parameter(np.zeros((2, 3)))
    p.grad = np.zeros(3)
    with pytest.raises(ValueError, match=r"shape of its data, \(2, 3\), got \(3,\)"):
        optim.Adam([p]).step()


def test_sgd_requires_lr_as_in_the_issue_api():
    with pytest.raises(TypeError, match="lr is required"):
        optim.SGD(P())
    with pytest.raises(TypeError, match="lr is required"):
        optim.SGD([{"params": P(), "lr": 0.1}, {"params": P()}])
    opt = optim.SGD([{"params": P(), "lr": 0.1}, {"params": P(), "lr": 0.2}], momentum=0.5)  # lr in every group
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.2]


def test_defaults_are_torchs():
    import inspect

    for name in NAMES:
        ours = inspect.signature(getattr(optim, name)).parameters
        theirs = inspect.signature(TORCH[name]).parameters
        for arg, param in ours.items():
            if arg in ("params", "maximize", "eps_inside_sqrt") or (name == "SGD" and arg == "lr"):
                continue
            assert arg in theirs, f"{name}: {arg} is not a torch argument"
            want = theirs[arg].default
            assert param.default == want, (name, arg)
