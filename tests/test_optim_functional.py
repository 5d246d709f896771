"""Tests of dlnotes.optim.functional (gradient descent, Newton, run, closed forms) and
dlnotes.optim.linesearch, against torch.optim loops, scipy.optimize, closed forms and simulations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize as so
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes.optim import testfns as T
from dlnotes.optim.functional import (
    gradient_descent,
    heavy_ball_optimal,
    max_stable_lr,
    newton,
    run,
    saddle_escape_steps,
)
from dlnotes.optim.linesearch import (
    backtracking_line_search,
    bracket_minimum,
    exact_quadratic_step,
    golden_section,
)

A2 = np.array([[3.0, 0.5], [0.5, 1.0]])
B2 = np.array([1.0, -2.0])


def _spd(rng, d, cond=10.0):
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return Q @ np.diag(np.geomspace(1.0, cond, d)) @ Q.T


# --------------------------------------------------------------------------------------------
# Newton
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 2, 3, 6])
def test_newton_is_exact_in_one_step_on_an_spd_quadratic(d):
    rng = np.random.default_rng(d)
    A, b = _spd(rng, d, cond=1e3), rng.normal(size=d)
    q = T.quadratic(A, b)
    path = newton(q.value, q.grad, q.hess, rng.normal(size=d) * 10)
    np.testing.assert_allclose(path[1], np.linalg.solve(A, b), rtol=1e-10, atol=1e-12)
    assert len(path) <= 3  # the gradient test stops it right after (one extra step of round-off at most)


def test_newton_on_rosenbrock_reproduces_the_published_iterates_and_converges_quadratically():
    r = T.rosenbrock()
    path = newton(r.value, r.grad, r.hess, [-1.2, 1.0], n_steps=10)
    want = [(-1.1753, 1.3807), (0.7631, -3.1750), (0.7634, 0.5828), (1.0000, 0.9440), (1.0000, 0.99999)]
    np.testing.assert_allclose(path[1:6], want, atol=6e-5)
    f = r.value(path)
    assert f[2] > f[1] and f[2] == pytest.approx(1411.8, abs=0.05)  # the loss *increases* at step 2
    np.testing.assert_allclose(path[6], [1.0, 1.0], atol=1e-9)  # (1, 1) after 6 steps
    # quadratic convergence: e_{k+1} <= C e_k^2 once close
    err = np.linalg.norm(path - 1.0, axis=1)
    for k in range(3, len(err) - 1):
        if 1e-15 < err[k + 1] and err[k] < 0.5:
            assert err[k + 1] <= 10.0 * err[k] ** 2
    # same end point as scipy's Newton-CG with scipy's own derivatives
    res = so.minimize(so.rosen, [-1.2, 1.0], jac=so.rosen_der, hess=so.rosen_hess, method="Newton-CG",
                      options={"xtol": 1e-12})  # fmt: skip
    np.testing.assert_allclose(path[-1], res.x, atol=1e-8)


@pytest.mark.parametrize("seed", range(5))
def test_newton_jumps_onto_the_saddle_of_x2_minus_y2_from_any_start(seed):
    s = T.saddle()
    x0 = np.random.default_rng(seed).uniform(-10, 10, size=2)
    path = newton(s.value, s.grad, s.hess, x0)
    np.testing.assert_array_equal(path[1], [0.0, 0.0])
    assert len(path) == 2  # zero gradient: it stops *on the saddle*
    # ... which is not a minimum: moving along y lowers f
    assert s.value([0.0, 0.1]) < s.value(path[-1])


def test_newton_climbs_to_a_maximum_and_scalar_problems():
    # f(x) = -x^2 + 4x from x = 10: one step lands on the maximum at 2 (f'' < 0)
    path = newton(lambda x: -x * x + 4 * x, lambda x: -2 * x + 4, lambda x: -2.0, 10.0)
    assert path.shape == (2,) and path[1] == 2.0
    # f = theta^4 from 1: theta_1 = 2/3 (linear, not quadratic, convergence at a degenerate minimum)
    path = newton(None, lambda t: 4 * t**3, lambda t: 12 * t**2, 1.0, n_steps=3)
    np.testing.assert_allclose(path, [1.0, 2 / 3, 4 / 9, 8 / 27], rtol=1e-14)


def test_newton_halves_the_distance_to_the_degenerate_monkey_saddle():
    # the gradient of x^3 - 3xy^2 is homogeneous of degree 2, so H(x) x = 2 grad(x): x_{t+1} = x_t / 2
    m = T.saddle("monkey")
    path = newton(m.value, m.grad, m.hess, [0.8, -0.3], n_steps=5)
    np.testing.assert_allclose(path, [[0.8 / 2**k, -0.3 / 2**k] for k in range(6)], rtol=1e-13)


def test_newton_as_root_finding_matches_scipy_newton():
    fp, fpp = (lambda x: math.sinh(x) - 2.0), (lambda x: math.cosh(x))  # f = cosh x - 2x
    path = newton(None, fp, fpp, 3.0, n_steps=50)
    assert path[-1] == pytest.approx(so.newton(fp, 3.0, fprime=fpp), rel=1e-14)
    assert path[-1] == pytest.approx(math.asinh(2.0), rel=1e-14)


def test_newton_damping_interpolates_towards_gradient_descent():
    rng = np.random.default_rng(0)
    A, b = _spd(rng, 3), rng.normal(size=3)
    q = T.quadratic(A, b)
    x0 = rng.normal(size=3)
    g = A @ x0 - b
    lam, V = np.linalg.eigh(A)
    for damping in (0.5, 10.0):
        step = newton(None, q.grad, q.hess, x0, n_steps=1, damping=damping)[1] - x0
        np.testing.assert_allclose(step, -V @ ((V.T @ g) / (lam + damping)), rtol=1e-12)  # eigenbasis oracle
    step = newton(None, q.grad, q.hess, x0, n_steps=1, damping=1e8)[1] - x0
    # huge damping: GD with lr 1/damping, up to O(|A| / damping) relative to |g|
    np.testing.assert_allclose(step, -g / 1e8, rtol=0, atol=1e-6 * np.linalg.norm(g) / 1e8)


def test_newton_with_line_search_is_monotone_and_still_converges():
    r = T.rosenbrock()
    path = newton(r.value, r.grad, r.hess, [-1.2, 1.0], n_steps=50, line_search=True)
    f = r.value(path)
    assert np.all(np.diff(f) <= 0)
    np.testing.assert_allclose(path[-1], [1.0, 1.0], atol=1e-10)
    # on the saddle the Newton direction is not a descent direction: it falls back to -grad
    s = T.saddle()
    p = newton(s.value, s.grad, s.hess, [0.5, 0.5], n_steps=3, line_search=True)
    assert np.all(np.diff(s.value(p)) < 0) and abs(p[-1, 1]) > 0.5


def test_newton_errors():
    s = T.saddle()
    with pytest.raises(ValueError, match="not positive definite"):
        newton(s.value, s.grad, s.hess, [1.0, 1.0], require_pd=True)
    sing = T.quadratic(np.diag([2.0, 0.0]), [0.0, 1.0])  # f = x^2 - y: no stationary point
    with pytest.raises(ValueError, match="singular"):
        newton(sing.value, sing.grad, sing.hess, [1.0, 1.0])
    with pytest.raises(ValueError, match="damping"):
        newton(s.value, s.grad, s.hess, [1.0, 1.0], damping=-1.0)
    with pytest.raises(ValueError, match=r"hess must return shape \(2, 2\)"):
        newton(s.value, s.grad, lambda x: np.eye(3), [1.0, 1.0])
    with pytest.raises(ValueError, match=r"grad must return shape \(2,\)"):
        newton(s.value, lambda x: np.zeros(3), s.hess, [1.0, 1.0])
    with pytest.raises(TypeError, match="f must be callable when line_search"):
        newton(None, s.grad, s.hess, [1.0, 1.0], line_search=True)
    with pytest.raises(ValueError, match="x0 must be"):
        newton(s.value, s.grad, s.hess, np.zeros((2, 2)))


# --------------------------------------------------------------------------------------------
# gradient descent and the step-size condition
# --------------------------------------------------------------------------------------------


def _torch_sgd_path(f_torch, x0, n, **hyper):
    """Hand-written torch.optim loop with autograd gradients (the oracle)."""
    p = torch.nn.Parameter(torch.tensor(np.asarray(x0, dtype=float), dtype=torch.float64))
    opt = torch.optim.SGD([p], **hyper)
    out = [p.detach().numpy().copy()]
    for _ in range(n):
        opt.zero_grad()
        f_torch(p).backward()
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def test_gradient_descent_matches_torch_sgd_and_the_worked_values():
    D = torch.tensor([1.0, 100.0], dtype=torch.float64)
    q = T.ill_conditioned(100.0)
    for lr in (0.019, 0.021):
        path = gradient_descent(q.grad, [1.0, 1.0], lr, 500)
        want = _torch_sgd_path(lambda p: 0.5 * (D * p * p).sum(), [1.0, 1.0], 100, lr=lr)
        np.testing.assert_allclose(path[:101], want, rtol=1e-12)
        # closed form: each coordinate is multiplied by (1 - lr * lambda_i) per step
        np.testing.assert_allclose(path[500], [(1 - lr) ** 500, (1 - 100 * lr) ** 500], rtol=1e-11)
    # the chapter's worked values: converges at 0.019 (6.8e-5), diverges at 0.021 (~5e20)
    final = [np.linalg.norm(gradient_descent(q.grad, [1.0, 1.0], lr, 500)[-1]) for lr in (0.019, 0.021)]
    assert final == [pytest.approx(6.8e-5, rel=0.01), pytest.approx(5e20, rel=0.01)]


def test_gradient_descent_schedule_and_scalar():
    path = gradient_descent(lambda x: 2 * x, 1.0, lambda t: 0.1 / (1 + t), 4)
    want = [1.0]
    for t in range(4):
        want.append(want[-1] * (1 - 0.2 / (1 + t)))
    np.testing.assert_allclose(path, want, rtol=1e-15)


def test_gradient_descent_divergence_is_recorded_not_raised():
    q = T.ill_conditioned(1.0)  # f = |x|^2 / 2, lr = 21: x_t = (-20)^t x_0 overflows near t = 237
    path = gradient_descent(q.grad, [1.0, 1.0], 21.0, 300)
    assert path.shape == (301, 2)
    k = int(np.argmax(~np.all(np.isfinite(path), axis=1)))
    assert 200 < k < 300 and np.all(np.isinf(path[k])) and np.all(np.isnan(path[k + 1 :]))
    np.testing.assert_allclose(path[10], (-20.0) ** 10 * np.ones(2), rtol=1e-15)


def test_max_stable_lr_is_the_divergence_threshold():
    assert max_stable_lr(A2) == pytest.approx(0.64143, abs=1e-5)
    assert max_stable_lr(np.diag([1.0, 100.0])) == pytest.approx(0.02, rel=1e-15)
    assert max_stable_lr(T.quadratic(A2, B2)) == max_stable_lr(A2)  # accepts the objective
    rng = np.random.default_rng(1)
    for d in (2, 4):
        A, b = _spd(rng, d, cond=30.0), rng.normal(size=d)
        eta = max_stable_lr(A)
        assert eta == pytest.approx(2 / np.linalg.eigvalsh(A).max(), rel=1e-13)
        xs = np.linalg.solve(A, b)
        for factor, converges in ((0.98, True), (1.02, False)):
            x = np.zeros(d)  # plain loop, the oracle
            for _ in range(3000):
                x = x - factor * eta * (A @ x - b)
            assert (np.linalg.norm(x - xs) < 1e-3) == converges


def test_max_stable_lr_errors():
    with pytest.raises(ValueError, match="positive semidefinite"):
        max_stable_lr(np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match="symmetric"):
        max_stable_lr([[1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="square"):
        max_stable_lr(np.ones((2, 3)))
    with pytest.raises(ValueError, match="positive eigenvalue"):
        max_stable_lr(np.zeros((2, 2)))


def test_heavy_ball_optimal_worked_values_and_simulated_rate():
    lr, beta, rate = heavy_ball_optimal(1.0, 100.0)
    assert (lr, beta, rate) == pytest.approx((0.0330579, 0.669421, 0.818182), abs=1e-6)
    D = torch.tensor([1.0, 100.0], dtype=torch.float64)
    path = _torch_sgd_path(lambda p: 0.5 * (D * p * p).sum(), [1.0, 1.0], 200, lr=lr, momentum=beta)
    emp = (np.linalg.norm(path[200]) / np.linalg.norm(path[100])) ** (1 / 100)
    assert emp < 0.85
    gd = _torch_sgd_path(lambda p: 0.5 * (D * p * p).sum(), [1.0, 1.0], 200, lr=2 / 101)
    gd_rate = (np.linalg.norm(gd[200]) / np.linalg.norm(gd[100])) ** (1 / 100)
    assert gd_rate == pytest.approx(99 / 101, rel=1e-9)
    with pytest.raises(ValueError, match="L >= mu"):
        heavy_ball_optimal(2.0, 1.0)


@pytest.mark.parametrize(("y0", "lr"), [(1e-8, 0.1), (1e-3, 0.05), (-0.3, 0.5), (1e-12, 0.01)])
def test_saddle_escape_steps_matches_simulation(y0, lr):
    s = T.saddle()
    p = np.array([0.5, y0])
    t = 0
    while abs(p[1]) < 1.0:  # plain GD on x^2 - y^2, the oracle
        p = p - lr * s.grad(p)
        t += 1
    assert saddle_escape_steps(y0, lr) == t


def test_saddle_escape_worked_value_and_errors():
    assert saddle_escape_steps(1e-8, 0.1) == 102
    assert saddle_escape_steps(2.0, 0.1) == 0
    with pytest.raises(ValueError, match="y0 must be nonzero"):
        saddle_escape_steps(0.0, 0.1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        saddle_escape_steps(0.1, 0.0)


# --------------------------------------------------------------------------------------------
# run: dlnotes optimizers vs hand-written torch.optim loops
# --------------------------------------------------------------------------------------------


def _torch_rosen(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def _torch_beale(p):
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _torch_run(cls, x0, n, grad_fn=None, f_torch=None, **hyper):
    # float64 default dtype: torch keeps some scalar state (NAdam's mu_product) in the default dtype
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        p = torch.nn.Parameter(torch.tensor(np.asarray(x0, dtype=float), dtype=torch.float64))
        opt = cls([p], **hyper)
        out = [p.detach().numpy().copy()]
        for _ in range(n):
            opt.zero_grad()
            if f_torch is not None:
                f_torch(p).backward()  # autograd: independent of the closed-form gradients
            else:
                p.grad = torch.tensor(grad_fn(p.detach().numpy().copy()), dtype=torch.float64)
            opt.step()
            out.append(p.detach().numpy().copy())
    finally:
        torch.set_default_dtype(old)
    return np.array(out)


def test_run_sgd_momentum_on_rosenbrock_matches_torch():
    import dlnotes.optim as O

    for hyper in ({"lr": 1e-3, "momentum": 0.9}, {"lr": 5e-4, "momentum": 0.8, "nesterov": True}):
        path = run(O.SGD, T.rosenbrock(), [-1.2, 1.0], 60, **hyper)
        want = _torch_run(torch.optim.SGD, [-1.2, 1.0], 60, f_torch=_torch_rosen, **hyper)
        assert path.shape == (61, 2)
        np.testing.assert_allclose(path, want, rtol=0, atol=1e-10)


def test_run_adam_on_beale_matches_torch():
    import dlnotes.optim as O

    for hyper in ({"lr": 0.1}, {"lr": 0.05, "betas": (0.8, 0.99), "amsgrad": True}):
        path = run(O.Adam, T.beale(), [1.0, 1.5], 60, **hyper)
        want = _torch_run(torch.optim.Adam, [1.0, 1.5], 60, f_torch=_torch_beale, **hyper)
        np.testing.assert_allclose(path, want, rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    ("name", "hyper"),
    [
        ("Adagrad", {"lr": 0.5}),
        ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True}),
        ("Adadelta", {"lr": 1.0}),
        ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
        ("Adamax", {"lr": 0.05}),
        ("NAdam", {"lr": 0.05}),
    ],
)
def test_run_every_optimizer_matches_torch_on_himmelblau(name, hyper):
    import dlnotes.optim as O

    fn = T.himmelblau()
    path = run(getattr(O, name), fn, [0.5, -0.5], 30, **hyper)
    want = _torch_run(getattr(torch.optim, name), [0.5, -0.5], 30, grad_fn=fn.grad, **hyper)
    np.testing.assert_allclose(path, want, rtol=0, atol=1e-10)


class _GD:
    """Test double: the smallest optimizer with run's interface (independent of dlnotes.optim)."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad


def test_run_with_a_test_double_equals_plain_gradient_descent():
    q = T.quadratic(A2, B2)
    path, values = run(_GD, q, [2.0, 2.0], 25, return_values=True, lr=0.3)
    x, want = np.array([2.0, 2.0]), [np.array([2.0, 2.0])]
    for _ in range(25):
        x = x - 0.3 * (A2 @ x - B2)
        want.append(x)
    np.testing.assert_allclose(path, want, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(values, [0.5 * w @ A2 @ w - B2 @ w for w in want], rtol=1e-13)
    # a plain gradient callable works too
    np.testing.assert_allclose(run(_GD, lambda x: A2 @ x - B2, [2.0, 2.0], 25, lr=0.3), path, rtol=1e-14)


def test_run_looks_up_optimizer_names_lazily():
    import dlnotes.optim as O

    fn = T.rosenbrock()
    by_name = run("adam", fn, [0.0, 0.0], 10, lr=0.01)
    np.testing.assert_array_equal(by_name, run(O.Adam, fn, [0.0, 0.0], 10, lr=0.01))
    with pytest.raises(ValueError, match="optimizer_cls 'Adamm' is not an optimizer"):
        run("Adamm", fn, [0.0, 0.0], 10)
    with pytest.raises(ValueError, match="optimizer_cls 'quadratic' is not an optimizer"):
        run("quadratic", fn, [0.0, 0.0], 10)  # a class of dlnotes.optim, but not an optimizer


def test_run_records_divergence_without_raising():
    path = run(_GD, T.rosenbrock(), [2.0, 2.0], 40, lr=1.0)
    assert path.shape == (41, 2)
    bad = ~np.all(np.isfinite(path), axis=1)
    k = int(np.argmax(bad))
    assert bad.any() and 0 < k and np.all(np.isnan(path[k + 1 :]))


def test_run_errors():
    fn = T.rosenbrock()
    with pytest.raises(ValueError, match="x0 must be 1-D"):
        run(_GD, fn, np.zeros((2, 1)), 3, lr=0.1)
    with pytest.raises(ValueError, match="n_steps must be >= 0"):
        run(_GD, fn, [0.0, 0.0], -1, lr=0.1)
    with pytest.raises(TypeError, match="optimizer_cls must be an optimizer class"):
        run(_GD(iter([]), 0.1), fn, [0.0, 0.0], 3)
    with pytest.raises(TypeError, match="fn must be an Objective"):
        run(_GD, 3.0, [0.0, 0.0], 3, lr=0.1)
    with pytest.raises(ValueError, match="x must have shape"):
        run(_GD, fn, [0.0, 0.0, 0.0], 3, lr=0.1)
    with pytest.raises(TypeError, match="return_values=True needs fn.value"):
        run(_GD, lambda x: x, [0.0], 3, return_values=True, lr=0.1)


# --------------------------------------------------------------------------------------------
# line search
# --------------------------------------------------------------------------------------------

UNIMODAL = [
    ("shifted parabola", lambda t: (t - 0.3) ** 2 + 1.0, 0.0, 1.0),
    ("exp minus linear", lambda t: math.exp(t) - 2.0 * t, -1.0, 3.0),
    ("absolute value", lambda t: abs(t - 1.7), 0.0, 5.0),
    ("-t exp(-t)", lambda t: -t * math.exp(-t), 0.0, 4.0),
    ("cosh", lambda t: math.cosh(t - math.pi), 0.0, 10.0),
    ("min at the endpoint", lambda t: t, 2.0, 3.0),
]


@pytest.mark.parametrize(("name", "f", "a", "b"), UNIMODAL, ids=[u[0] for u in UNIMODAL])
def test_golden_section_matches_scipy_bounded(name, f, a, b):
    x, fx, n = golden_section(f, a, b, tol=1e-10)
    ref = so.minimize_scalar(f, bounds=(a, b), method="bounded", options={"xatol": 1e-12})
    assert abs(x - ref.x) <= 1e-6 * max(1.0, abs(ref.x))  # ~sqrt(eps): f is flat at a minimum
    assert fx <= ref.fun + 1e-12
    assert fx == f(x)
    # one evaluation per shrink: n_evals = 2 + ceil(log(tol / (b - a)) / log(0.618...))
    assert n == 2 + math.ceil(math.log(1e-10 / (b - a)) / math.log((math.sqrt(5) - 1) / 2))


def test_golden_section_bracket_shrinks_by_the_golden_ratio():
    x, fx, n, brackets = golden_section(lambda t: (t - 0.3) ** 2 + 1.0, 0.0, 1.0, history=True)
    w = np.array([b - a for a, b in brackets])
    np.testing.assert_allclose(w[1:] / w[:-1], (math.sqrt(5) - 1) / 2, rtol=1e-6)
    # every bracket holds the minimiser, up to the ~1e-8 resolution of comparing f near a minimum
    assert all(a - 1e-7 <= 0.3 <= b + 1e-7 for a, b in brackets)
    assert (round(x, 7), n) == (0.3, 41)


def test_golden_section_stops_at_max_iter_and_errors():
    _, _, n = golden_section(lambda t: t * t, -1.0, 1.0, max_iter=5)
    assert n == 7
    with pytest.raises(ValueError, match="a < b"):
        golden_section(lambda t: t, 1.0, 0.0)
    with pytest.raises(ValueError, match="tol must be > 0"):
        golden_section(lambda t: t, 0.0, 1.0, tol=0.0)
    with pytest.raises(ValueError, match="finite"):
        golden_section(lambda t: math.inf, 0.0, 1.0)
    with pytest.raises(TypeError, match="f must be callable"):
        golden_section(3.0, 0.0, 1.0)


def test_bracket_minimum_then_golden_section():
    for f, x0, step, xmin in [
        (lambda t: (t - 7.0) ** 2, 0.0, 1.0, 7.0),
        (lambda t: (t + 4.0) ** 2, 0.0, 0.5, -4.0),  # downhill is the other way
        (lambda t: math.cosh(t - 30.0), 0.0, 0.1, 30.0),
    ]:
        a, m, b = bracket_minimum(f, x0, step)
        assert a < m < b and f(m) < f(a) and f(m) <= f(b) and a <= xmin <= b
        assert golden_section(f, a, b)[0] == pytest.approx(xmin, abs=1e-6)
    with pytest.raises(ValueError, match="kept decreasing"):
        bracket_minimum(lambda t: -t, 0.0, 1.0)
    with pytest.raises(ValueError, match="step must be nonzero"):
        bracket_minimum(lambda t: t * t, 0.0, 0.0)
    with pytest.raises(ValueError, match="grow must be > 1"):
        bracket_minimum(lambda t: t * t, 0.0, 1.0, grow=1.0)


def _armijo(f, x, d, g, alpha, c):
    return f(x + alpha * d) <= f(x) + c * alpha * (g @ d)


def _check_largest_armijo(f, grad, x, d, alpha, alpha0, rho, c):
    g = grad(x)
    assert _armijo(f, x, d, g, alpha, c)
    k = round(math.log(alpha / alpha0) / math.log(rho))
    assert alpha == pytest.approx(alpha0 * rho**k, rel=1e-12)
    for j in range(k):  # every larger candidate alpha0 * rho^j fails
        assert not _armijo(f, x, d, g, alpha0 * rho**j, c)


def test_backtracking_on_rosenbrock_returns_the_largest_armijo_step():
    r = T.rosenbrock()
    rng = np.random.default_rng(0)
    for _ in range(10):
        x = rng.uniform(-2, 2, size=2)
        for d in (-r.grad(x), -np.linalg.solve(r.hess(x) + 1e3 * np.eye(2), r.grad(x))):
            for alpha0, rho, c in ((1.0, 0.5, 1e-4), (3.0, 0.3, 0.4)):
                alpha = backtracking_line_search(r.value, r.grad, x, d, alpha0, rho, c)
                _check_largest_armijo(r.value, r.grad, x, d, alpha, alpha0, rho, c)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), rho=st.floats(0.1, 0.9), c=st.floats(1e-4, 0.9))
def test_backtracking_property_on_random_convex_quadratics(seed, rho, c):
    rng = np.random.default_rng(seed)
    q = T.quadratic(_spd(rng, 3, cond=1e4), rng.normal(size=3))
    x = rng.normal(size=3) * 10
    d = -q.grad(x) + 0.3 * rng.normal(size=3) * np.linalg.norm(q.grad(x))
    if q.grad(x) @ d >= 0:
        d = -q.grad(x)
    alpha = backtracking_line_search(q.value, q.grad, x, d, alpha0=1.0, rho=rho, c=c, max_iter=5000)
    _check_largest_armijo(q.value, q.grad, x, d, alpha, 1.0, rho, c)


def test_backtracking_accepts_a_gradient_array_and_skips_overflow():
    f = lambda x: float(np.exp(x[0]))  # noqa: E731  overflows for large trial steps
    x = np.array([1.0])
    alpha = backtracking_line_search(f, np.array([math.e]), x, np.array([-1e6]), alpha0=1.0)
    assert _armijo(f, x, np.array([-1e6]), np.array([math.e]), alpha, 1e-4)
    # cosh(1 - 1000) overflows to inf: such trial steps count as failures and are shrunk
    f = lambda x: float(np.cosh(x[0]))  # noqa: E731
    g = lambda x: np.array([math.sinh(x[0])])  # noqa: E731
    x, d = np.array([1.0]), np.array([-1000.0])
    alpha = backtracking_line_search(f, g, x, d)
    assert alpha <= 0.5**9 and _armijo(f, x, d, g(x), alpha, 1e-4)


def test_backtracking_errors():
    q = T.quadratic(A2, B2)
    x = np.zeros(2)
    with pytest.raises(ValueError, match="descent direction"):
        backtracking_line_search(q.value, q.grad, x, q.grad(x))
    with pytest.raises(ValueError, match="descent direction"):
        backtracking_line_search(q.value, q.grad, x, np.zeros(2))
    with pytest.raises(ValueError, match=r"rho must be in \(0, 1\)"):
        backtracking_line_search(q.value, q.grad, x, -q.grad(x), rho=1.0)
    with pytest.raises(ValueError, match=r"c must be in \(0, 1\)"):
        backtracking_line_search(q.value, q.grad, x, -q.grad(x), c=0.0)
    with pytest.raises(ValueError, match="alpha0 must be > 0"):
        backtracking_line_search(q.value, q.grad, x, -q.grad(x), alpha0=-1.0)
    with pytest.raises(ValueError, match="direction must have the shape of x"):
        backtracking_line_search(q.value, q.grad, x, np.ones(3))
    with pytest.raises(RuntimeError, match="Armijo"):  # a wrong gradient: no step passes
        backtracking_line_search(q.value, lambda z: -100 * q.grad(z), x, 100 * q.grad(x), max_iter=20)


def test_exact_quadratic_step_worked_value_and_orthogonal_zigzag():
    g0 = A2 @ np.zeros(2) - B2
    assert exact_quadratic_step(A2, g0) == pytest.approx(1.0, rel=1e-15)
    q = T.quadratic(_spd(np.random.default_rng(2), 3, cond=50.0), np.ones(3))
    x = np.array([3.0, -1.0, 2.0])
    for _ in range(5):
        g = q.grad(x)
        alpha = exact_quadratic_step(q.A, g)
        ref = so.minimize_scalar(lambda a: q.value(x - a * g), bracket=(0.0, 1.0), tol=1e-12)
        assert alpha == pytest.approx(ref.x, rel=1e-6)
        x_new = x - alpha * g
        assert abs(q.grad(x_new) @ g) <= 1e-10 * np.linalg.norm(g) ** 2  # successive directions orthogonal
        x = x_new
    d = np.array([1.0, 0.0, 0.0])
    assert exact_quadratic_step(q.A, q.grad(x), d) == pytest.approx(-(q.grad(x) @ d) / (d @ q.A @ d))
    with pytest.raises(ValueError, match="curvature"):
        exact_quadratic_step(np.diag([1.0, -1.0]), [0.0, 1.0])
    with pytest.raises(ValueError, match="nonzero"):
        exact_quadratic_step(A2, [0.0, 0.0])
    with pytest.raises(ValueError, match=r"A must have shape \(3, 3\)"):
        exact_quadratic_step(A2, [1.0, 2.0, 3.0])
