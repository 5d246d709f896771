"""The reference solutions inside the exercise checkers are themselves checked against independent
oracles (torch.optim, torch schedulers, exact enumeration), so a checker cannot bless a wrong answer."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from dlnotes.exercises import ch05


@pytest.mark.parametrize("hyper", ch05._SGD_SETTINGS)
def test_sgd_reference_matches_torch(hyper):
    rng = np.random.default_rng(0)
    p = rng.normal(size=3)
    grads = rng.normal(size=(25, 3))
    tp = torch.tensor(p.copy(), requires_grad=True)
    opt = torch.optim.SGD([tp], **hyper)
    buf = None
    for g in grads:
        tp.grad = torch.tensor(g)
        opt.step()
        p, buf = ch05._ref_sgd_update(p, g, buf, **hyper)
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("hyper", ch05._ADAM_SETTINGS)
def test_adam_reference_matches_torch(hyper):
    rng = np.random.default_rng(1)
    p = rng.normal(size=4)
    grads = rng.normal(size=(30, 4)) * np.array([1e-3, 1.0, 10.0, 1e2])
    tp = torch.tensor(p.copy(), requires_grad=True)
    opt = torch.optim.Adam([tp], **{k: v for k, v in hyper.items()})
    state: dict = {}
    for g in grads:
        tp.grad = torch.tensor(g)
        opt.step()
        p = ch05._adam_variant("")(p, g, state, **hyper)
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize(
    "kw",
    [{}, {"base_lr": 1.0, "warmup": 5, "total": 40, "start_factor": 0.25, "eta_min": 0.01},
     {"base_lr": 3e-4, "warmup": 20, "total": 60, "start_factor": 0.01}],
)
def test_warmup_cosine_reference_matches_torch_sequential_lr(kw):
    full = {"base_lr": 0.1, "warmup": 10, "total": 100, "start_factor": 0.1, "eta_min": 0.0, **kw}
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=full["base_lr"])
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=full["start_factor"], end_factor=1.0, total_iters=full["warmup"])
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=full["total"] - full["warmup"], eta_min=full["eta_min"])
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[full["warmup"]])
    for t in range(full["total"]):
        assert math.isclose(ch05._ref_warmup_cosine(t, **kw), opt.param_groups[0]["lr"], rel_tol=1e-9, abs_tol=1e-15), t
        opt.step()
        sched.step()
    assert [round(ch05._ref_warmup_cosine(t), 10) for t in (0, 5, 10, 55)] == [0.01, 0.055, 0.1, 0.05]


def test_minibatch_variance_reference_matches_enumeration():
    g = np.random.default_rng(2).normal(size=9)
    for B in (1, 3, 5, 9):
        means = [np.mean(g[list(idx)]) for idx in itertools.combinations(range(9), B)]
        assert math.isclose(ch05._ref_bmv(g, B), float(np.var(means)), rel_tol=1e-12, abs_tol=1e-15)


def test_filter_normalize_reference_matches_the_library():
    from dlnotes import nn
    from dlnotes.optim.landscape import filter_normalize, parameters_to_vector

    model = nn.MLP([5, 7, 3], rng=0)
    weights = [p.data for p in model.parameters()]
    direction = [np.random.default_rng(3).normal(size=w.shape) for w in weights]
    flat = np.concatenate([d.ravel() for d in direction])
    ours = np.concatenate([d.ravel() for d in ch05._ref_filter_normalize(direction, weights)])
    np.testing.assert_allclose(ours, filter_normalize(flat, model), atol=1e-12)
    assert parameters_to_vector(model).shape == ours.shape


def test_backtracking_reference_satisfies_armijo_and_is_maximal():
    for case in ch05._quadratic_cases():
        if case.raises:
            continue
        f, x, d, g = case.args
        kw = {"alpha0": 1.0, "rho": 0.5, "c": 1e-4, **case.kwargs}
        a = ch05._ref_backtracking(f, x, d, g, **kw)
        assert f(x + a * d) <= f(x) + kw["c"] * a * float(g @ d)
        if a < kw["alpha0"]:
            b = a / kw["rho"]
            assert f(x + b * d) > f(x) + kw["c"] * b * float(g @ d)
