"""Tests of dlnotes.optim.lr_scheduler against torch.optim.lr_scheduler, step by step, and closed forms."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as TS

import dlnotes.optim as optim
from dlnotes.nn import Parameter
from dlnotes.optim import lr_scheduler as S

N_STEPS = 60
LRS = (0.1, 0.03)  # two parameter groups with different base rates
ATOL = 1e-10


@pytest.fixture(autouse=True)
def torch_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def pair(opt_name="SGD", lrs=LRS, **kw):
    """The same optimizer on both sides, one parameter group per entry of lrs."""
    rng = np.random.default_rng(0)
    x0 = [rng.normal(size=3) for _ in lrs]
    ours = [Parameter(x) for x in x0]
    theirs = [torch.nn.Parameter(torch.tensor(x)) for x in x0]
    ocls, tcls = getattr(optim, opt_name), getattr(torch.optim, opt_name)
    o = ocls([{"params": [p], "lr": lr} for p, lr in zip(ours, lrs)], **kw)
    t = tcls([{"params": [p], "lr": lr} for p, lr in zip(theirs, lrs)], **kw)
    return o, t, ours, theirs


def assert_lrs_equal(sched, tsched, o, t, step):
    ours, theirs = sched.get_last_lr(), tsched.get_last_lr()
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-16, err_msg=f"get_last_lr at step {step}")
    np.testing.assert_allclose(
        [g["lr"] for g in o.param_groups], [g["lr"] for g in t.param_groups], rtol=1e-13, atol=1e-16
    )
    assert sched.last_epoch == tsched.last_epoch == step


def run_pair(make_ours, make_torch, n_steps=N_STEPS, opt_name="SGD", **opt_kw):
    """Step both schedulers n_steps times (optimizer.step() first, as torch requires); compare every step."""
    o, t, _, _ = pair(opt_name, **opt_kw)
    sched, tsched = make_ours(o), make_torch(t)
    assert_lrs_equal(sched, tsched, o, t, 0)
    for step in range(1, n_steps + 1):
        o.step()
        t.step()  # no gradients: a no-op on both sides, but torch wants it before scheduler.step()
        sched.step()
        tsched.step()
        assert_lrs_equal(sched, tsched, o, t, step)
    return o, t, sched, tsched


CASES = {
    "StepLR(5, 0.5)": (lambda o: S.StepLR(o, 5, 0.5), lambda t: TS.StepLR(t, 5, 0.5)),
    "StepLR(1)": (lambda o: S.StepLR(o, 1), lambda t: TS.StepLR(t, 1)),
    "StepLR(7, 1.3)": (lambda o: S.StepLR(o, step_size=7, gamma=1.3), lambda t: TS.StepLR(t, step_size=7, gamma=1.3)),
    "ExponentialLR(0.9)": (lambda o: S.ExponentialLR(o, 0.9), lambda t: TS.ExponentialLR(t, 0.9)),
    "ExponentialLR(half-life 10)": (
        lambda o: S.ExponentialLR(o, math.exp(-math.log(2) / 10)),
        lambda t: TS.ExponentialLR(t, math.exp(-math.log(2) / 10)),
    ),
    "Cosine(T=10)": (lambda o: S.CosineAnnealingLR(o, 10), lambda t: TS.CosineAnnealingLR(t, 10)),
    "Cosine(T=25, eta_min)": (
        lambda o: S.CosineAnnealingLR(o, T_max=25, eta_min=1e-3),
        lambda t: TS.CosineAnnealingLR(t, T_max=25, eta_min=1e-3),
    ),
    "Cosine(T=100)": (lambda o: S.CosineAnnealingLR(o, 100), lambda t: TS.CosineAnnealingLR(t, 100)),
    "Cosine(T=7, eta_min)": (
        lambda o: S.CosineAnnealingLR(o, 7, 0.005),
        lambda t: TS.CosineAnnealingLR(t, 7, 0.005),
    ),
    "Lambda(0.95^t)": (lambda o: S.LambdaLR(o, lambda e: 0.95**e), lambda t: TS.LambdaLR(t, lambda e: 0.95**e)),
    "Lambda(per group)": (
        lambda o: S.LambdaLR(o, [lambda e: 1 / (1 + 0.5 * e), lambda e: e // 10 + 1]),
        lambda t: TS.LambdaLR(t, [lambda e: 1 / (1 + 0.5 * e), lambda e: e // 10 + 1]),
    ),
    "LinearLR()": (lambda o: S.LinearLR(o), lambda t: TS.LinearLR(t)),
    "LinearLR(warm-up)": (
        lambda o: S.LinearLR(o, start_factor=0.1, total_iters=10),
        lambda t: TS.LinearLR(t, start_factor=0.1, total_iters=10),
    ),
    "LinearLR(decay)": (
        lambda o: S.LinearLR(o, 1.0, 0.2, 20),
        lambda t: TS.LinearLR(t, 1.0, 0.2, 20),
    ),
}
for mode, extra in [("triangular", {}), ("triangular2", {}), ("exp_range", {"gamma": 0.97})]:
    for up, down in [(5, None), (7, 3)]:
        kw = dict(base_lr=0.001, max_lr=0.1, step_size_up=up, step_size_down=down, mode=mode, cycle_momentum=False)
        kw.update(extra)
        CASES[f"CyclicLR({mode}, {up}, {down})"] = (
            lambda o, kw=kw: S.CyclicLR(o, **kw),
            lambda t, kw=kw: TS.CyclicLR(t, **kw),
        )
_CUSTOM = dict(scale_fn=lambda x: 0.5**x, scale_mode="iterations", cycle_momentum=False)
CASES["CyclicLR(per-group, scale_fn)"] = (
    lambda o: S.CyclicLR(o, [0.01, 0.001], [0.1, 0.05], 4, **_CUSTOM),
    lambda t: TS.CyclicLR(t, [0.01, 0.001], [0.1, 0.05], 4, **_CUSTOM),
)


@pytest.mark.parametrize("case", list(CASES))
def test_scheduler_matches_torch_at_every_step(case):
    make_ours, make_torch = CASES[case]
    run_pair(make_ours, make_torch)


@pytest.mark.parametrize("opt_name, opt_kw", [("SGD", {"momentum": 0.5}), ("SGD", {}), ("RMSprop", {"momentum": 0.3}),
                                              ("Adam", {}), ("NAdam", {"betas": (0.95, 0.99)})])
@pytest.mark.parametrize("mode", ["triangular", "exp_range"])
def test_cyclic_lr_cycles_momentum_like_torch(opt_name, opt_kw, mode):
    kw = dict(base_lr=0.01, max_lr=0.1, step_size_up=6, mode=mode, gamma=0.99, base_momentum=0.7, max_momentum=0.95)
    o, t, _, _ = pair(opt_name, **opt_kw)
    sched, tsched = S.CyclicLR(o, **kw), TS.CyclicLR(t, **kw)
    key = "betas" if opt_name in ("Adam", "NAdam") else "momentum"
    for step in range(40):
        assert_lrs_equal(sched, tsched, o, t, step)
        for g, tg in zip(o.param_groups, t.param_groups):
            np.testing.assert_allclose(np.ravel(g[key]), np.ravel(tg[key]), rtol=1e-13, atol=1e-16)
        o.step()
        t.step()
        sched.step()
        tsched.step()


def train_pair(o, t, ours, theirs, scheds, tscheds, n_steps=N_STEPS, seed=0):
    """Gradient steps on both sides with the schedulers stepping after each optimizer step."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(3, 3))
    A = A @ A.T / 3 + 0.2 * np.eye(3)
    for step in range(n_steps):
        for p, tp in zip(ours, theirs):
            g = A @ p.data - 1.0 + 0.1 * rng.normal(size=3)
            p.grad, tp.grad = g.copy(), torch.tensor(g)
        o.step()
        t.step()
        for s in (*scheds, *tscheds):
            s.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=ATOL, err_msg=f"step {step}")
        np.testing.assert_allclose([g["lr"] for g in o.param_groups], [g["lr"] for g in t.param_groups], rtol=1e-13)


@pytest.mark.parametrize("case", ["StepLR(5, 0.5)", "Cosine(T=25, eta_min)", "LinearLR(warm-up)", "Lambda(per group)",
                                  "CyclicLR(triangular2, 7, 3)"])
@pytest.mark.parametrize("opt_name, opt_kw", [("SGD", {"momentum": 0.9}), ("Adam", {"amsgrad": True})])
def test_scheduled_optimizer_trajectory_matches_torch(case, opt_name, opt_kw):
    """The rate the scheduler writes is the rate the next optimizer.step() uses."""
    make_ours, make_torch = CASES[case]
    o, t, ours, theirs = pair(opt_name, **opt_kw)
    train_pair(o, t, ours, theirs, [make_ours(o)], [make_torch(t)])


def test_cyclic_lr_with_momentum_cycling_changes_the_sgd_trajectory_like_torch():
    """torch's default cycle_momentum=True switches momentum on even for SGD(momentum=0)."""
    o, t, ours, theirs = pair("SGD")
    kw = dict(base_lr=0.01, max_lr=0.2, step_size_up=5)
    sched, tsched = S.CyclicLR(o, **kw), TS.CyclicLR(t, **kw)
    assert o.param_groups[0]["momentum"] == t.param_groups[0]["momentum"] == 0.9
    train_pair(o, t, ours, theirs, [sched], [tsched], n_steps=30)


def test_two_schedulers_on_one_optimizer_compose_like_torch():
    """Warm-up (LinearLR) and ExponentialLR stepped together: their factors multiply."""
    o, t, ours, theirs = pair("Adam")
    ours_s = [S.LinearLR(o, start_factor=0.2, total_iters=8), S.ExponentialLR(o, 0.95)]
    theirs_s = [TS.LinearLR(t, start_factor=0.2, total_iters=8), TS.ExponentialLR(t, 0.95)]
    train_pair(o, t, ours, theirs, ours_s, theirs_s)


def test_resuming_with_last_epoch_matches_torch():
    o, t, _, _ = pair("SGD")
    for g, tg in zip(o.param_groups, t.param_groups):
        g["initial_lr"] = tg["initial_lr"] = g["lr"]
    for make, tmake in [
        (lambda x: S.CosineAnnealingLR(x, 20, last_epoch=5), lambda x: TS.CosineAnnealingLR(x, 20, last_epoch=5)),
        (lambda x: S.StepLR(x, 3, 0.5, last_epoch=4), lambda x: TS.StepLR(x, 3, 0.5, last_epoch=4)),
        (
            lambda x: S.LambdaLR(x, lambda e: 0.9**e, last_epoch=2),
            lambda x: TS.LambdaLR(x, lambda e: 0.9**e, last_epoch=2),
        ),
    ]:
        sched, tsched = make(o), tmake(t)
        for _ in range(30):
            np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-13)
            assert sched.last_epoch == tsched.last_epoch
            o.step()
            t.step()
            sched.step()
            tsched.step()


def test_scheduler_state_dict_round_trip():
    o, _, _, _ = pair("SGD", momentum=0.9)
    sched = S.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="triangular2")
    for _ in range(7):
        sched.step()
    saved_sched, saved_opt = sched.state_dict(), o.state_dict()
    want = []
    for _ in range(20):
        sched.step()
        want.append(sched.get_last_lr())
    o2, _, _, _ = pair("SGD", momentum=0.9)
    sched2 = S.CyclicLR(o2, 0.01, 0.1, step_size_up=4, mode="triangular2")
    o2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    got = []
    for _ in range(20):
        sched2.step()
        got.append(sched2.get_last_lr())
    assert got == want


# --------------------------------------------------------------------------------------------
# Factories and worked values (closed forms from the syllabus)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("start_factor", [0.1, 0.25, 1.0])
def test_linear_warmup_equals_torch_linear_lr(start_factor):
    run_pair(
        lambda o: S.linear_warmup(o, 10, start_factor),
        lambda t: TS.LinearLR(t, start_factor=start_factor, end_factor=1.0, total_iters=10),
    )


def test_linear_warmup_from_zero():
    o, _, _, _ = pair("SGD", lrs=(0.1,))
    sched = S.linear_warmup(o, 4)
    got = [sched.get_last_lr()[0]]
    for _ in range(6):
        sched.step()
        got.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(got, [0.0, 0.025, 0.05, 0.075, 0.1, 0.1, 0.1], atol=1e-15)


@pytest.mark.parametrize("d_model", [None, 512])
def test_warmup_inverse_sqrt_matches_torch_lambda_lr(d_model):
    w = 20

    def vaswani(e):  # written independently of the code under test
        s = max(e, 1)
        if d_model is None:
            return min(s / w, (s / w) ** -0.5)
        return d_model**-0.5 * min(s**-0.5, s * w**-1.5)

    run_pair(lambda o: S.warmup_inverse_sqrt(o, w, d_model), lambda t: TS.LambdaLR(t, vaswani))


def test_warmup_inverse_sqrt_peak_value():
    o, _, _, _ = pair("SGD", lrs=(1.0,))
    sched = S.warmup_inverse_sqrt(o, 4000, d_model=512)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(6000):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert int(np.argmax(lrs)) == 4000
    assert max(lrs) == pytest.approx(6.98771e-4, rel=1e-5)
    assert lrs[8000 // 2 + 2000] == pytest.approx(512**-0.5 * 6000**-0.5, rel=1e-12)


def _trace(sched, n):
    out = [sched.get_last_lr()[0]]
    for _ in range(n):
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_worked_values():
    o, _, _, _ = pair("SGD", lrs=(0.1,))
    assert _trace(S.StepLR(o, 5, 0.5), 12)[12] == pytest.approx(0.025, rel=1e-12)
    o, _, _, _ = pair("SGD", lrs=(0.1,))
    cos = _trace(S.CosineAnnealingLR(o, T_max=100), 50)
    assert cos[25] == pytest.approx(0.0853553, abs=1e-7) and cos[50] == pytest.approx(0.05, rel=1e-12)
    o, _, _, _ = pair("SGD", lrs=(0.1,))
    cyc = _trace(S.CyclicLR(o, 0.001, 0.1, step_size_up=20, cycle_momentum=False), 40)
    assert cyc[20] == pytest.approx(0.1) and cyc[30] == pytest.approx(0.0505) and cyc[40] == pytest.approx(0.001)
    # Smith's formula for the symmetric triangle
    smith = [0.001 + 0.099 * max(0.0, 1 - abs(t / 20 - 2 * math.floor(1 + t / 40) + 1)) for t in range(41)]
    np.testing.assert_allclose(cyc, smith, rtol=1e-12)
    o, _, _, _ = pair("SGD", lrs=(0.1,))
    ex = _trace(S.ExponentialLR(o, math.exp(-math.log(2) / 10)), 10)
    assert ex[10] == pytest.approx(0.05, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Error paths
# --------------------------------------------------------------------------------------------


def _opt(name="SGD", **kw):
    return getattr(optim, name)([Parameter([1.0])], **({"lr": 0.1} if name == "SGD" else {}), **kw)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda o: S.StepLR(o, 0), "step_size must be >= 1"),
        (lambda o: S.StepLR(o, 3, gamma=-0.5), "gamma must be >= 0"),
        (lambda o: S.ExponentialLR(o, -1.0), "gamma must be >= 0"),
        (lambda o: S.CosineAnnealingLR(o, 0), "T_max must be > 0"),
        (lambda o: S.CyclicLR(o, 0.01, 0.1, mode="bogus"), "mode must be one of"),
        (lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=0), "step_size_up must be > 0"),
        (lambda o: S.CyclicLR(o, [0.01, 0.02], 0.1), "base_lr must have one value per parameter group"),
        (lambda o: S.CyclicLR(o, 0.01, 0.1, scale_mode="epochs"), "scale_mode"),
        (lambda o: S.LinearLR(o, start_factor=0.0), r"start_factor must be in \(0, 1\]"),
        (lambda o: S.LinearLR(o, end_factor=1.5), r"end_factor must be in \[0, 1\]"),
        (lambda o: S.LinearLR(o, total_iters=0), "total_iters must be >= 1"),
        (lambda o: S.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0]), "lr_lambda must have one value per parameter group"),
        (lambda o: S.StepLR(o, 3, last_epoch=4), "initial_lr"),
        (lambda o: S.linear_warmup(o, 0), "warmup_steps must be >= 1"),
        (lambda o: S.linear_warmup(o, 5, start_factor=2.0), "start_factor"),
        (lambda o: S.warmup_inverse_sqrt(o, 0), "warmup_steps must be >= 1"),
    ],
)
def test_invalid_scheduler_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make(_opt())


def test_cyclic_momentum_needs_an_optimizer_with_momentum():
    with pytest.raises(ValueError, match="cycle_momentum"):
        S.CyclicLR(_opt("Adagrad"), 0.01, 0.1)
    S.CyclicLR(_opt("Adagrad"), 0.01, 0.1, cycle_momentum=False)  # fine without


def test_scheduler_type_errors():
    with pytest.raises(TypeError, match="Optimizer"):
        S.StepLR(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1), 3)
    with pytest.raises(TypeError, match="Optimizer"):
        S.CyclicLR("sgd", 0.01, 0.1)
    with pytest.raises(TypeError, match="lr_lambda must be callable"):
        S.LambdaLR(_opt(), 0.5)
    with pytest.raises(TypeError, match="step_size must be an int"):
        S.StepLR(_opt(), 2.5)


def test_no_warnings_from_our_schedulers():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched = S.CosineAnnealingLR(_opt(), 10)
        for _ in range(30):
            sched.step()
