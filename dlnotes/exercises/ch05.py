"""Exercises of chapter 5, "Optimization".

Each exercise registers its reference answer, hidden cases (for code) and at least two realistic
wrong answers with the hint a learner who made that mistake should see. The optimizer exercises
are checked on whole trajectories, against references that `tests/` compares with ``torch.optim``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import register
from ._core import Case, Exercise
from ._core import answer_field as _get
from ._core import close_to as _is
from ._core import join_hints as _hints

S1 = "5.1 Gradient descent, Newton and line search"
S2 = "5.2 Stochastic gradient descent"
S3 = "5.3 Momentum and Nesterov"
S4 = "5.4 Adaptive methods"
S5 = "5.5 Learning-rate schedules"
S6 = "5.6 Loss landscapes"




# ---------------------------------------------------------------------------------- 5.1


register(
    Exercise(
        id="05.gd_stability",
        title="Stable and best fixed learning rates of gradient descent on ½θᵀdiag(1, 100)θ",
        kind="value",
        section=S1,
        reference={"max_stable_lr": 0.02, "balanced_lr": 2 / 101, "contraction": 99 / 101},
        rtol=1e-6,
        atol=1e-8,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "max_stable_lr"), 0.01), "η = 1/L = 0.01 is a safe choice, but GD on a quadratic is stable up to η < 2/λ_max = 0.02"),
                    (_is(_get(a, "max_stable_lr"), 2.0), "the bound is set by the LARGEST curvature: η < 2/λ_max = 2/100"),
                    (_is(_get(a, "contraction"), 0.99), "0.99 is the slow coordinate's factor at η = 0.01; at the balanced rate 2/(λ_min + λ_max) both factors are (κ − 1)/(κ + 1) = 99/101"),
                ]
            )
        ],
        mutants=[
            ({"max_stable_lr": 0.01, "balanced_lr": 2 / 101, "contraction": 99 / 101}, "stable up to η < 2/λ_max"),
            ({"max_stable_lr": 2.0, "balanced_lr": 2 / 101, "contraction": 99 / 101}, "LARGEST curvature"),
            ({"max_stable_lr": 0.02, "balanced_lr": 2 / 101, "contraction": 0.99}, "(κ − 1)/(κ + 1)"),
        ],
    )
)


def _grade_newton(a: Any) -> str | None:
    if not hasattr(a, "get"):
        return "give a dict with keys 'theta4_step', 'saddle_landing' and 'point_type'"
    if not _is(a.get("theta4_step"), 2 / 3):
        return f"theta4_step: one Newton step on θ⁴ from 1 is not {a.get('theta4_step')!r}"
    landing = np.asarray(a.get("saddle_landing"), dtype=float)
    if landing.shape != (2,) or not np.allclose(landing, 0.0, atol=1e-9):
        return "saddle_landing should be the point (x, y) after one Newton step on x² − y² from (1, 1)"
    if str(a.get("point_type", "")).strip().lower() != "saddle":
        return f"point_type {a.get('point_type')!r} is not right"
    return None


register(
    Exercise(
        id="05.newton",
        title="One Newton step on θ⁴, and one on x² − y² (where it lands and what that point is)",
        kind="value",
        section=S1,
        reference={"theta4_step": 2 / 3, "saddle_landing": (0.0, 0.0), "point_type": "saddle"},
        grade_value=_grade_newton,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "theta4_step"), 0.0), "Newton minimises the local quadratic model, not θ⁴ itself: θ − f'/f'' = 1 − 4/12 = 2/3"),
                    (_is(_get(a, "theta4_step"), 0.75), "the step is f'(θ)/f''(θ) = 4θ³/12θ² = θ/3, so the new iterate is 1 − 1/3"),
                    (str(_get(a, "point_type")).strip().lower() in ("minimum", "min"),
                     "the Hessian of x² − y² is diag(2, −2): one positive and one negative eigenvalue make (0, 0) a saddle. Newton jumps to any stationary point"),
                ]
            )
        ],
        mutants=[
            ({"theta4_step": 0.0, "saddle_landing": (0.0, 0.0), "point_type": "saddle"}, "not θ⁴ itself"),
            ({"theta4_step": 0.75, "saddle_landing": (0.0, 0.0), "point_type": "saddle"}, "θ/3"),
            ({"theta4_step": 2 / 3, "saddle_landing": (0.0, 0.0), "point_type": "minimum"}, "make (0, 0) a saddle"),
        ],
    )
)

register(
    Exercise(
        id="05.exact_step",
        title="Exact line-search step along −∇f for a 2-D quadratic",
        kind="value",
        section=S1,
        reference=1.0,
        rtol=1e-6,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(a, 0.2), "α* = gᵀg / gᵀAg: you left out the curvature term gᵀAg"),
                    (_is(a, 5.0), "α* = gᵀg / gᵀAg, not its reciprocal"),
                ]
            )
        ],
        mutants=[(0.2, "curvature term"), (5.0, "not its reciprocal")],
    )
)


def _ref_backtracking(f, x, d, g, alpha0=1.0, rho=0.5, c=1e-4):
    x, d, g = (np.asarray(v, dtype=float) for v in (x, d, g))
    slope = float(g @ d)
    if slope >= 0:
        raise ValueError("backtracking: d is not a descent direction (g·d >= 0)")
    fx, alpha = f(x), alpha0
    while f(x + alpha * d) > fx + c * alpha * slope:
        alpha *= rho
    return alpha


def _bt_never_shrinks(f, x, d, g, alpha0=1.0, rho=0.5, c=1e-4):
    if float(np.dot(g, d)) >= 0:
        raise ValueError("not a descent direction")
    return alpha0


def _bt_plain_decrease(f, x, d, g, alpha0=1.0, rho=0.5, c=1e-4):
    x, d, g = (np.asarray(v, dtype=float) for v in (x, d, g))
    if float(g @ d) >= 0:
        raise ValueError("not a descent direction")
    fx, alpha = f(x), alpha0
    while f(x + alpha * d) >= fx:
        alpha *= rho
    return alpha


def _bt_no_check(f, x, d, g, alpha0=1.0, rho=0.5, c=1e-4):
    x, d, g = (np.asarray(v, dtype=float) for v in (x, d, g))
    fx, alpha = f(x), alpha0
    for _ in range(60):  # a learner's loop would spin forever here; capped for the test suite
        if f(x + alpha * d) <= fx + c * alpha * float(g @ d):
            return alpha
        alpha *= rho
    return alpha


def _quadratic_cases():
    rng = np.random.default_rng(51)
    cases = []
    for k in range(12):
        M = rng.normal(size=(3, 3))
        A = M @ M.T + 0.1 * np.eye(3) * (1 + 10 * k)
        b = rng.normal(size=3)
        x = rng.normal(size=3) * 3
        g = A @ x - b
        d = -g if k % 3 else -g / np.linalg.norm(g) * rng.uniform(0.1, 5)

        def f(v, A=A, b=b):
            v = np.asarray(v, dtype=float)
            return float(0.5 * v @ A @ v - b @ v)

        cases.append(Case((f, x, d, g), {"alpha0": float(rng.choice([1.0, 2.0, 10.0])), "rho": 0.5, "c": 1e-4}, label=f"convex quadratic {k}"))
    for k in range(3):  # first trial between α* and 2α*: f decreases, but not sufficiently for c = 0.5
        M = rng.normal(size=(2, 2))
        A = M @ M.T + np.eye(2)
        x = rng.normal(size=2) * 2
        g = A @ x
        alpha_star = float(g @ g / (g @ A @ g))

        def f(v, A=A):
            v = np.asarray(v, dtype=float)
            return float(0.5 * v @ A @ v)

        cases.append(Case((f, x, -g, g), {"alpha0": 1.6 * alpha_star, "rho": 0.5, "c": 0.5}, label=f"sufficient decrease matters {k}"))
    f = cases[0].args[0]
    x, g = cases[0].args[1], cases[0].args[3]
    cases.append(Case((f, x, g, g), label="an uphill direction", raises=ValueError))
    return cases


register(
    Exercise(
        id="05.backtracking",
        title="Implement backtracking line search with the Armijo condition",
        kind="function",
        section=S1,
        reference=_ref_backtracking,
        rtol=1e-12,
        atol=1e-15,
        cases=_quadratic_cases(),
        mutants=[
            (_bt_never_shrinks, "shrink the step (α ← ρα) until the Armijo condition f(x + αd) <= f(x) + cα gᵀd holds"),
            (_bt_plain_decrease, "plain decrease f(x + αd) < f(x) is not enough: require the sufficient decrease f(x) + cα gᵀd"),
            (_bt_no_check, "check that d is a descent direction (gᵀd < 0) first and raise ValueError otherwise: along an uphill d no step satisfies Armijo and the loop never ends"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 5.2


def _ref_bmv(g, B):
    g = np.asarray(g, dtype=float)
    n = g.size
    return float(g.var() / B * (n - B) / (n - 1))


register(
    Exercise(
        id="05.minibatch_variance",
        title="Variance of a minibatch-mean gradient, sampling without replacement",
        kind="function",
        section=S2,
        reference=_ref_bmv,
        rtol=1e-10,
        atol=1e-14,
        cases=[
            Case((np.random.default_rng(52).normal(size=20), 5), label="N = 20, B = 5"),
            Case((np.arange(10.0) ** 2, 3), label="N = 10, B = 3"),
            Case((np.random.default_rng(53).exponential(size=50), 49), label="N = 50, B = 49"),
            Case((np.array([1.0, -1.0]), 1), label="N = 2, B = 1"),
        ],
        mutants=[
            (lambda g, B: float(np.var(g) / B), "without replacement the variance also shrinks by the finite-population factor (N − B)/(N − 1)"),
            (lambda g, B: float(np.var(g, ddof=1) / B * (len(g) - B) / (len(g) - 1)), "with the factor (N − B)/(N − 1), σ² is the population variance (ddof = 0)"),
            (lambda g, B: float(np.var(g) * B * (len(g) - B) / (len(g) - 1)), "that is the variance of the batch SUM; the mean divides it by B²"),
        ],
    )
)

_SMALLER_IS_NOISIER = "the ratio std(B = 4)/std(B = 64) is larger than 1: the smaller batch is the noisier one"

register(
    Exercise(
        id="05.noise_ratio",
        title="Ratio of minibatch-gradient standard deviations for B = 4 and B = 64",
        kind="value",
        section=S2,
        reference=4.0,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(a, 16.0), "16 is the ratio of variances; standard deviations scale as 1/√B"),
                    (_is(a, 0.25) or _is(a, 1 / 16), _SMALLER_IS_NOISIER),
                ]
            )
        ],
        mutants=[(16.0, "standard deviations scale as 1/√B"), (0.25, _SMALLER_IS_NOISIER)],
    )
)

# ---------------------------------------------------------------------------------- 5.3

register(
    Exercise(
        id="05.momentum_algebra",
        title="Momentum algebra: terminal step, unrolled coefficient, and the EMA form in PyTorch's units",
        kind="value",
        section=S3,
        reference={"limit_step": 1.0, "coef": 0.9**5, "torch_lr": 0.05},
        rtol=1e-6,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "limit_step"), 0.1) or _is(_get(a, "limit_step"), 0.19),
                     "under a constant gradient the velocity approaches the geometric sum ηg(1 + β + β² + ...) = ηg/(1 − β) = 1.0"),
                    (_is(_get(a, "coef"), 0.9) or _is(_get(a, "coef"), 0.9**6),
                     "unrolling U_t = βU_{t−1} + ∇w_t gives U_5 = Σ_{t=0}^{5} β^{5−t} ∇w_t: the coefficient of ∇w_0 is β⁵"),
                    (_is(_get(a, "torch_lr"), 0.5), "the EMA buffer is (1 − β) times torch's buffer, so torch's lr is η′(1 − β)"),
                ]
            )
        ],
        mutants=[
            ({"limit_step": 0.1, "coef": 0.9**5, "torch_lr": 0.05}, "ηg/(1 − β)"),
            ({"limit_step": 1.0, "coef": 0.9**6, "torch_lr": 0.05}, "coefficient of ∇w_0 is β⁵"),
            ({"limit_step": 1.0, "coef": 0.9**5, "torch_lr": 0.5}, "η′(1 − β)"),
        ],
    )
)


def _ref_sgd_update(p, g, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, g = np.asarray(p, dtype=float), np.asarray(g, dtype=float)
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        buf = g.copy() if buf is None else momentum * np.asarray(buf) + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    return p - lr * g, (buf if momentum else None)


def _sgd_wrong_lookahead(p, g, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, g = np.asarray(p, dtype=float), np.asarray(g, dtype=float)
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        buf = g.copy() if buf is None else momentum * np.asarray(buf) + (1 - dampening) * g
        g = g - momentum * buf if nesterov else buf
    return p - lr * g, (buf if momentum else None)


def _sgd_zero_buffer(p, g, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, g = np.asarray(p, dtype=float), np.asarray(g, dtype=float)
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        buf = momentum * (np.zeros_like(g) if buf is None else np.asarray(buf)) + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    return p - lr * g, (buf if momentum else None)


def _sgd_decay_after(p, g, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, g = np.asarray(p, dtype=float), np.asarray(g, dtype=float)
    if momentum:
        buf = g.copy() if buf is None else momentum * np.asarray(buf) + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    return p - lr * (g + weight_decay * p), (buf if momentum else None)


def _sgd_nesterov_buf(p, g, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, g = np.asarray(p, dtype=float), np.asarray(g, dtype=float)
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        buf = g.copy() if buf is None else momentum * np.asarray(buf) + (1 - dampening) * g
        g = buf
    return p - lr * g, (buf if momentum else None)


_A53 = np.array([[3.0, 0.5], [0.5, 1.0]])
_B53 = np.array([1.0, -2.0])


def _trajectory_runner(update_fn, stateful: bool):
    """Drive a learner's one-step update on the quadratic ½θᵀAθ − bᵀθ and return the iterates."""

    def run(hyper: dict, n_steps: int, seed: int):
        rng = np.random.default_rng(seed)
        p = rng.normal(size=2)
        noise = rng.normal(scale=0.1, size=(n_steps, 2))
        path = [p.copy()]
        state: Any = {} if stateful else None
        for t in range(n_steps):
            g = _A53 @ p - _B53 + noise[t]
            if stateful:
                p = np.asarray(update_fn(p.copy(), g, state, **hyper), dtype=float)
            else:
                p, state = update_fn(p.copy(), g, state, **hyper)
                p = np.asarray(p, dtype=float)
            path.append(p.copy())
        return np.array(path)

    return run


_SGD_SETTINGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
    {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1},
    {"lr": 0.02, "momentum": 0.95, "nesterov": True, "weight_decay": 0.01},
]

register(
    Exercise(
        id="05.sgd_step",
        title="Implement one step of torch.optim.SGD (momentum, dampening, Nesterov, weight decay)",
        kind="function",
        section=S3,
        reference=_ref_sgd_update,
        adapt=lambda fn: _trajectory_runner(fn, stateful=False),
        rtol=1e-10,
        atol=1e-12,
        cases=[Case((h, 25, k), label=", ".join(f"{key}={v}" for key, v in h.items())) for k, h in enumerate(_SGD_SETTINGS)],
        mutants=[
            (_sgd_wrong_lookahead, "Nesterov looks AHEAD along the momentum: the direction is g + μ·buf (a minus sign makes it diverge)"),
            (_sgd_zero_buffer, "PyTorch initialises the buffer to the first gradient, buf₁ = g₁, without dampening; starting from 0 shrinks the early steps"),
            (_sgd_decay_after, "weight decay is added to the gradient BEFORE the momentum update (g ← g + λp), so it enters the buffer"),
            (_sgd_nesterov_buf, "with nesterov=True the step uses g + μ·buf, not the buffer alone"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 5.4


def _adam_family(p, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *, variant=""):
    """The reference Adam step (variant "") and the wrong versions the checker recognises."""
    b1, b2 = betas
    p, g = np.asarray(p, dtype=float), np.asarray(g, dtype=float)
    if weight_decay:
        g = g + weight_decay * p
    if not state:
        state.update(step=0, m=np.zeros_like(p), v=np.zeros_like(p), vmax=np.zeros_like(p))
    if variant != "t0":
        state["step"] += 1
    t = state["step"]
    state["m"] = b1 * state["m"] + (1 - b1) * g
    state["v"] = b2 * state["v"] + (1 - b2) * g * g
    v = state["v"]
    if amsgrad:
        if variant == "ams_corrected":
            state["vmax"] = np.maximum(state["vmax"], v / (1 - b2 ** max(t, 1)))
            v = state["vmax"] * (1 - b2 ** max(t, 1))
        else:
            state["vmax"] = np.maximum(state["vmax"], v)
            v = state["vmax"]
    if variant == "t0":
        state["step"] += 1
        t = max(state["step"] - 1, 1e-300)
    c1 = 1.0 if variant == "no_m_correction" else 1 - b1**t
    c2 = 1 - b2**t
    if variant == "no_v_correction":
        c2 = 1.0
    if variant == "wrong_power":
        c1, c2 = 1 - (1 - b1) ** t, 1 - (1 - b2) ** t
    if variant == "eps_inside":
        denom = np.sqrt(v / c2 + eps)
    else:
        denom = np.sqrt(v) / math.sqrt(c2) + eps
    return p - lr / c1 * state["m"] / denom


def _adam_variant(name):
    def step(p, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        return _adam_family(p, g, state, lr, betas, eps, weight_decay, amsgrad, variant=name)

    return step


_ADAM_SETTINGS = [
    {"lr": 0.01},
    {"lr": 0.05, "betas": (0.8, 0.99)},
    {"lr": 0.01, "eps": 0.1},
    {"lr": 0.02, "amsgrad": True},
    {"lr": 0.01, "betas": (0.5, 0.9), "amsgrad": True, "weight_decay": 0.1},
]

register(
    Exercise(
        id="05.adam_step",
        title="Implement one step of torch.optim.Adam (with bias correction and amsgrad)",
        kind="function",
        section=S4,
        reference=_adam_variant(""),
        adapt=lambda fn: _trajectory_runner(fn, stateful=True),
        rtol=1e-10,
        atol=1e-12,
        cases=[Case((h, 30, 10 + k), label=", ".join(f"{key}={v}" for key, v in h.items())) for k, h in enumerate(_ADAM_SETTINGS)],
        mutants=[
            (_adam_variant("no_v_correction"), "correct the second moment too: v̂ = v/(1 − β₂^t); without it the first step is about 31.6η"),
            (_adam_variant("wrong_power"), "the bias corrections are 1 − β₁^t and 1 − β₂^t (powers of β, not of 1 − β)"),
            (_adam_variant("no_m_correction"), "correct the first moment as well: m̂ = m/(1 − β₁^t)"),
            (_adam_variant("eps_inside"), "PyTorch adds ε outside the square root: √v̂ + ε"),
            (_adam_variant("t0"), "the step counter starts at t = 1 for the first update"),
            (_adam_variant("ams_corrected"), "AMSGrad keeps the running maximum of the UNCORRECTED v (PyTorch), then bias-corrects it"),
        ],
    )
)

register(
    Exercise(
        id="05.adam_facts",
        title="Adam facts: the first step, the worst-case step ratio, and a bias-correction factor",
        kind="value",
        section=S4,
        reference={"first_step": [-0.1 * 1e-3 / (1e-3 + 1e-8), -0.1 * 1e3 / (1e3 + 1e-8)], "worst_case_ratio": 0.1 / math.sqrt(0.001), "bias_correction_t3": 1 / (1 - 0.9**3)},
        rtol=1e-5,
        atol=1e-7,
        diagnose=[
            lambda a: _hints(
                [
                    (np.allclose(np.asarray(_get(a, "first_step"), dtype=float), [-1e-4, -100.0]) if _get(a, "first_step") is not None else False,
                     "that is a plain SGD step −ηg; Adam's first step is −η m̂/(√v̂ + ε) = −η g/|g| ≈ −η·sign(g)"),
                    (_is(_get(a, "worst_case_ratio"), 1.0), "after a long run of zero gradients, m and v have decayed at different rates: one step can reach (1 − β₁)/√(1 − β₂) ≈ 3.16 η"),
                    (_is(_get(a, "bias_correction_t3"), 1000.0) or _is(_get(a, "bias_correction_t3"), 10.0), "the correction is 1/(1 − β₁^t) = 1/(1 − 0.9³), not a power of (1 − β₁)"),
                ]
            )
        ],
        mutants=[
            ({"first_step": [-1e-4, -100.0], "worst_case_ratio": 0.1 / math.sqrt(0.001), "bias_correction_t3": 1 / (1 - 0.9**3)}, "plain SGD step"),
            ({"first_step": [-0.1, -0.1], "worst_case_ratio": 1.0, "bias_correction_t3": 1 / (1 - 0.9**3)}, "≈ 3.16 η"),
            ({"first_step": [-0.1, -0.1], "worst_case_ratio": 0.1 / math.sqrt(0.001), "bias_correction_t3": 1000.0}, "not a power of (1 − β₁)"),
        ],
    )
)

register(
    Exercise(
        id="05.adaptive_recursions",
        title="AdaGrad and RMSProp steps for a constant gradient; the first step of a single-accumulator AdaDelta",
        kind="value",
        section=S4,
        reference={"adagrad_t4": 0.5, "rmsprop_t2": 1 / math.sqrt(0.19), "adadelta_first": 0.0},
        rtol=1e-6,
        atol=1e-9,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "adagrad_t4"), 0.25), "AdaGrad divides by the square root of the SUM of squared gradients: √4 = 2, so the step is η/2"),
                    (_is(_get(a, "rmsprop_t2"), 1.0) or _is(_get(a, "rmsprop_t2"), math.sqrt(10)),
                     "PyTorch's RMSProp starts v at 0 without bias correction: v₁ = 0.1, v₂ = 0.19, so the step is η/√0.19"),
                    (_get(a, "adadelta_first") is not None and not _is(_get(a, "adadelta_first"), 0.0),
                     "with a zero-initialised update accumulator and no ε the numerator √E[Δθ²] is 0: the first step is 0 (which is why AdaDelta adds ε)"),
                ]
            )
        ],
        mutants=[
            ({"adagrad_t4": 0.25, "rmsprop_t2": 1 / math.sqrt(0.19), "adadelta_first": 0.0}, "SUM of squared gradients"),
            ({"adagrad_t4": 0.5, "rmsprop_t2": 1.0, "adadelta_first": 0.0}, "v₂ = 0.19"),
            ({"adagrad_t4": 0.5, "rmsprop_t2": 1 / math.sqrt(0.19), "adadelta_first": -1.0}, "the first step is 0"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 5.5


def _ref_warmup_cosine(t, base_lr=0.1, warmup=10, total=100, start_factor=0.1, eta_min=0.0):
    if t < warmup:
        return base_lr * (start_factor + (1 - start_factor) * t / warmup)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2


def _schedule_runner(fn):
    def run(kwargs: dict):
        return np.array([float(fn(t, **kwargs)) for t in range(kwargs.get("total", 100))])

    return run


def _wc_off_by_one(t, base_lr=0.1, warmup=10, total=100, start_factor=0.1, eta_min=0.0):
    return _ref_warmup_cosine(t + 1, base_lr, warmup, total + 1, start_factor, eta_min)


def _wc_full_period(t, base_lr=0.1, warmup=10, total=100, start_factor=0.1, eta_min=0.0):
    if t < warmup:
        return base_lr * (start_factor + (1 - start_factor) * t / warmup)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * (t - warmup) / total)) / 2


def _wc_early_ramp(t, base_lr=0.1, warmup=10, total=100, start_factor=0.1, eta_min=0.0):
    if t < warmup:
        return base_lr * (start_factor + (1 - start_factor) * min(t / (warmup - 1), 1.0))
    return _ref_warmup_cosine(t, base_lr, warmup, total, start_factor, eta_min)


register(
    Exercise(
        id="05.warmup_cosine",
        title="Implement linear warm-up followed by cosine annealing, as torch's SequentialLR computes it",
        kind="function",
        section=S5,
        reference=_ref_warmup_cosine,
        adapt=_schedule_runner,
        rtol=1e-10,
        atol=1e-14,
        cases=[
            Case(({},), label="the defaults (base 0.1, warm-up 10 of 100 steps)"),
            Case(({"base_lr": 1.0, "warmup": 5, "total": 40, "start_factor": 0.25, "eta_min": 0.01},), label="warm-up 5 of 40, eta_min 0.01"),
            Case(({"base_lr": 3e-4, "warmup": 20, "total": 60, "start_factor": 0.01},), label="a transformer-like setting"),
        ],
        mutants=[
            (_wc_off_by_one, "off by one: at t = 0 the rate is start_factor·base_lr, and the ramp reaches base_lr exactly at t = warmup"),
            (_wc_full_period, "after warm-up the cosine runs over the REMAINING total − warmup steps, not over total"),
            (_wc_early_ramp, "the ramp reaches base_lr at t = warmup, not at t = warmup − 1: divide by warmup"),
        ],
    )
)

register(
    Exercise(
        id="05.schedule_facts",
        title="Exponential decay constant, a triangular cyclical rate, linear scaling, and the Noam peak",
        kind="value",
        section=S5,
        reference={"k": math.log(2) / 10, "triangular_t30": 0.0505, "linear_scaling_lr": 0.4, "noam_peak": (512 * 4000) ** -0.5},
        rtol=1e-5,
        atol=1e-9,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "k"), 0.05) or _is(_get(a, "k"), 0.1), "halving in 10 epochs means e^{−10k} = ½, so k = ln 2 / 10"),
                    (_is(_get(a, "triangular_t30"), 0.1) or _is(_get(a, "triangular_t30"), 0.001),
                     "at t = 30 the triangle is half-way down from its peak at t = 20 to the trough at t = 40: η_min + ½(η_max − η_min)"),
                    (_is(_get(a, "linear_scaling_lr"), 0.2), "that is the square-root rule; the linear scaling rule multiplies η by 1024/256 = 4"),
                    (_is(_get(a, "noam_peak"), 512**-0.5 * 4000**-1.5) or _is(_get(a, "noam_peak"), 512**-0.5 * 4000**-1.5 * 1.0),
                     "the peak is at t = w, where both branches meet: d^−½ w^−½"),
                ]
            )
        ],
        mutants=[
            ({"k": 0.05, "triangular_t30": 0.0505, "linear_scaling_lr": 0.4, "noam_peak": (512 * 4000) ** -0.5}, "k = ln 2 / 10"),
            ({"k": math.log(2) / 10, "triangular_t30": 0.1, "linear_scaling_lr": 0.4, "noam_peak": (512 * 4000) ** -0.5}, "half-way down"),
            ({"k": math.log(2) / 10, "triangular_t30": 0.0505, "linear_scaling_lr": 0.2, "noam_peak": (512 * 4000) ** -0.5}, "square-root rule"),
            ({"k": math.log(2) / 10, "triangular_t30": 0.0505, "linear_scaling_lr": 0.4, "noam_peak": 512**-0.5 * 4000**-1.5}, "the peak is at t = w"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 5.6


def _ref_filter_normalize(direction, weights):
    out = []
    for d, w in zip(direction, weights):
        d, w = np.asarray(d, dtype=float), np.asarray(w, dtype=float)
        if d.ndim < 2:
            out.append(np.zeros_like(d))
            continue
        dn = np.linalg.norm(d.reshape(d.shape[0], -1), axis=1)
        wn = np.linalg.norm(w.reshape(w.shape[0], -1), axis=1)
        scale = np.divide(wn, dn, out=np.zeros_like(dn), where=dn > 0)
        out.append(d * scale.reshape((-1,) + (1,) * (d.ndim - 1)))
    return out


def _fn_global(direction, weights):
    dn = math.sqrt(sum(float(np.sum(np.asarray(d) ** 2)) for d in direction))
    wn = math.sqrt(sum(float(np.sum(np.asarray(w) ** 2)) for w in weights))
    return [np.asarray(d, dtype=float) * wn / dn for d in direction]


def _fn_keeps_biases(direction, weights):
    out = _ref_filter_normalize(direction, weights)
    return [o if np.asarray(d).ndim >= 2 else np.asarray(d, dtype=float) * np.linalg.norm(w) / np.linalg.norm(d)
            for o, d, w in zip(out, direction, weights)]


def _fn_columns(direction, weights):
    out = []
    for d, w in zip(direction, weights):
        d, w = np.asarray(d, dtype=float), np.asarray(w, dtype=float)
        if d.ndim < 2:
            out.append(np.zeros_like(d))
            continue
        out.append(d * (np.linalg.norm(w, axis=0) / np.linalg.norm(d, axis=0))[None, :])
    return out


def _fn_case(shapes, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s) * rng.uniform(0.1, 3) for s in shapes]
    direction = [rng.normal(size=s) for s in shapes]
    return Case((direction, weights), label=" + ".join(str(s) for s in shapes))


register(
    Exercise(
        id="05.filter_normalize",
        title="Implement filter normalisation of a random direction (Li et al. 2018)",
        kind="function",
        section=S6,
        reference=_ref_filter_normalize,
        rtol=1e-10,
        atol=1e-12,
        cases=[
            _fn_case([(4, 3), (4,), (2, 4), (2,)], 60),
            _fn_case([(16, 64), (16,), (10, 16), (10,)], 61),
            _fn_case([(5, 5), (5,)], 62),
        ],
        mutants=[
            (_fn_global, "normalise each filter (row of an (out, in) weight) separately, not the whole vector at once: a global factor cannot follow a layer whose weights were rescaled (e.g. by c in one layer and 1/c in the next), so the slices of two equivalent networks would differ"),
            (_fn_keeps_biases, "the 1-D parameters (biases) are set to zero in the direction"),
            (_fn_columns, "a filter is a ROW of an (out, in) weight (a neuron's incoming weights), not a column"),
        ],
    )
)
