"""Exercises of chapter 6, "Regularization and generalization".

Each exercise registers its reference answer, hidden cases (for code) and at least two realistic
wrong answers with the hint a learner who made that mistake should see. Randomised code (dropout
masks, SMOTE) cannot be compared with a reference value by value, so those checkers run the
learner's code through a *property runner* (``adapt=``) that summarises what the code did — the
survivors' scale, the fraction dropped, whether the backward pass reused the mask, whether a
synthetic point lies on a segment between neighbours — and compare the summaries instead.
``tests/test_exercise_references.py`` checks the references against PyTorch, scikit-learn and
closed forms.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from . import register
from ._core import Case, Exercise
from ._core import answer_field as _get
from ._core import close_vec as _close_vec
from ._core import close_to as _is
from ._core import join_hints as _hints

S1 = "6.1 Bias, variance and the optimism of training error"
S2 = "6.2 Over-parameterization and double descent"
S3 = "6.3 Explicit penalties: L2, L1 and their priors"
S4 = "6.4 Implicit regularization and early stopping"
S5 = "6.5 Noise, label smoothing, augmentation and ensembles"
S6 = "6.6 Dropout"
S7 = "6.7 Batch normalization"
S8 = "6.8 Practical data problems: imbalance and missing values"


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# ---------------------------------------------------------------------------------- 6.1


def _ref_bias_variance(preds, f_true):
    preds = np.asarray(preds, dtype=float)
    f_true = np.asarray(f_true, dtype=float)
    mean = preds.mean(axis=0)
    return (mean - f_true) ** 2, preds.var(axis=0)


def _bv_ddof1(preds, f_true):
    preds = np.asarray(preds, dtype=float)
    return (preds.mean(axis=0) - np.asarray(f_true, dtype=float)) ** 2, preds.var(axis=0, ddof=1)


def _bv_mean_of_squares(preds, f_true):
    preds = np.asarray(preds, dtype=float)
    f_true = np.asarray(f_true, dtype=float)
    return ((preds - f_true) ** 2).mean(axis=0), preds.var(axis=0)


def _bv_pooled(preds, f_true):
    preds = np.asarray(preds, dtype=float)
    f_true = np.asarray(f_true, dtype=float)
    return float(np.mean(preds - f_true) ** 2), float(preds.var())


def _bv_case(n_datasets: int, n_points: int, seed: int, spread: float = 1.0) -> Case:
    rng = np.random.default_rng(seed)
    f_true = np.sin(np.linspace(0, 3, n_points))
    offset = rng.normal(scale=0.5, size=n_points)
    preds = f_true + offset + spread * rng.normal(size=(n_datasets, n_points))
    return Case((preds, f_true), label=f"{n_datasets} datasets × {n_points} test points")


register(
    Exercise(
        id="06.bias_variance_from_predictions",
        title="Per-point bias² and variance from the predictions of models fitted on many datasets",
        kind="function",
        section=S1,
        reference=_ref_bias_variance,
        output_names=("bias2", "variance"),
        rtol=1e-9,
        atol=1e-12,
        cases=[
            _bv_case(5, 7, 10),
            _bv_case(200, 3, 11, spread=0.2),
            _bv_case(2, 4, 12, spread=0.0),
        ],
        mutants=[
            (_bv_ddof1, "the decomposition uses the population variance over datasets (ddof=0, divide by the number of datasets): only then does mean_D (f̂ − f)² equal bias² + variance exactly"),
            (_bv_mean_of_squares, "that is the mean squared error mean_D (f̂ − f)², which is bias² + variance: square the bias AFTER averaging the predictions, (mean_D f̂ − f)²"),
            (_bv_pooled, "average over the datasets only (axis 0), separately for every test point; pooling over test points first mixes their different biases"),
        ],
    )
)

_RIDGE_SV = np.array([3.0, 1.0, 0.5])
_DF_REF = {"cubic_df": 4.0, "covariance_sum": 0.3**2 * 4, "ridge_df": float(np.sum(_RIDGE_SV**2 / (_RIDGE_SV**2 + 1.0)))}

register(
    Exercise(
        id="06.degrees_of_freedom",
        title="Effective degrees of freedom of polynomial and ridge fits, and the covariance penalty",
        kind="value",
        section=S1,
        reference=_DF_REF,
        rtol=1e-6,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "cubic_df"), 3.0), "a cubic has 4 coefficients (1, x, x², x³): df = tr(S) = d + 1"),
                    (_is(_get(a, "covariance_sum"), 0.3 * 4) or _is(_get(a, "covariance_sum"), 0.3 * 3),
                     "Stein's lemma gives Σᵢ Cov(f̂ᵢ, yᵢ) = σ²·tr(S): use the noise VARIANCE σ² = 0.09, not σ"),
                    (_is(_get(a, "ridge_df"), float(np.sum(_RIDGE_SV**2))), "tr(XᵀX) is not the df; the df is tr(S) = Σ d_j²/(d_j² + α)"),
                    (_is(_get(a, "ridge_df"), float(np.sum(_RIDGE_SV / (_RIDGE_SV + 1.0)))), "square the singular values: df = Σ d_j²/(d_j² + α)"),
                ]
            )
        ],
        mutants=[
            ({**_DF_REF, "cubic_df": 3.0}, "d + 1"),
            ({**_DF_REF, "covariance_sum": 1.2}, "VARIANCE σ²"),
            ({**_DF_REF, "ridge_df": 10.25}, "tr(XᵀX) is not the df"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 6.2

_MIN_NORM_REF = {"from_zero": [1.0, 1.0], "from_w0": [1.5, 0.5]}

register(
    Exercise(
        id="06.min_norm",
        title="Where gradient descent ends on an under-determined least-squares problem",
        kind="value",
        section=S2,
        reference=_MIN_NORM_REF,
        rtol=1e-6,
        atol=1e-8,
        diagnose=[
            lambda a: _hints(
                [
                    (_close_vec(_get(a, "from_w0"), [1.0, 1.0]),
                     "from w0 = [1, 0] the iterates keep w0's null-space component (I − X⁺X)w0 = [0.5, −0.5]: the limit is X⁺y + (I − X⁺X)w0"),
                    (_close_vec(_get(a, "from_w0"), [2.0, 1.0]), "only the NULL-SPACE part of w0 survives, not all of w0: the gradient Xᵀ(Xw − y) moves w along the row space and erases the row-space part of w0"),
                    (_close_vec(_get(a, "from_zero"), [2.0, 0.0]) or _close_vec(_get(a, "from_zero"), [0.0, 2.0]),
                     "[2, 0] also interpolates, but from 0 gradient descent never leaves the row space span{[1, 1]}: it ends at the minimum-norm solution"),
                ]
            )
        ],
        mutants=[
            ({"from_zero": [1.0, 1.0], "from_w0": [1.0, 1.0]}, "keep w0's null-space component"),
            ({"from_zero": [1.0, 1.0], "from_w0": [2.0, 1.0]}, "only the NULL-SPACE part"),
            ({"from_zero": [2.0, 0.0], "from_w0": [1.5, 0.5]}, "never leaves the row space"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 6.3

_RIDGE_REF = {"ridge": [0.5, 1.0], "factors": [0.2 / 1.2, 5 / 6], "shrinks_more": 0.2}

register(
    Exercise(
        id="06.ridge_shrinkage",
        title="Ridge by hand, and shrinkage factors in the Hessian eigenbasis",
        kind="value",
        section=S3,
        reference=_RIDGE_REF,
        rtol=1e-4,
        atol=1e-6,
        diagnose=[
            lambda a: _hints(
                [
                    (_close_vec(_get(a, "factors"), [1 / 1.2, 1 / 6], 1e-3), "reversed: the factor that multiplies the unregularised solution is λ/(λ + α), not α/(λ + α)"),
                    (_close_vec(_get(a, "ridge"), [1 / 3, 2 / 3], 1e-3), "with the sum loss ½‖Xw − y‖² + (α/2)‖w‖², w = (XᵀX + αI)⁻¹Xᵀy = y/2 here; dividing the loss by n rescales α by n"),
                    (_is(_get(a, "shrinks_more"), 5.0), "a factor λ/(λ + α) is SMALLER for small λ: the flat (low-curvature) direction λ = 0.2 is shrunk most"),
                ]
            )
        ],
        mutants=[
            ({**_RIDGE_REF, "factors": [1 / 1.2, 1 / 6]}, "not α/(λ + α)"),
            ({**_RIDGE_REF, "ridge": [1 / 3, 2 / 3]}, "rescales α by n"),
            ({**_RIDGE_REF, "shrinks_more": 5.0}, "flat (low-curvature) direction"),
        ],
    )
)


def _st(z, t):
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def _ista(X, y, alpha, n_iter, threshold, scale_n=True, step_factor=1.0, grad_sign=False):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n = X.shape[0] if scale_n else 1
    L = np.linalg.eigvalsh(X.T @ X / n)[-1]
    step = step_factor / L
    w = np.zeros(X.shape[1])
    with np.errstate(all="ignore"):
        for _ in range(n_iter):
            grad = X.T @ (X @ w - y) / n
            z = w - step * grad
            if grad_sign:
                w = z - step * alpha * np.sign(grad)
            else:
                w = threshold(z, step * alpha)
    return w


def _ref_lasso_ista(X, y, alpha, n_iter=5000):
    return _ista(X, y, alpha, n_iter, _st)


def _lasso_hard(X, y, alpha, n_iter=5000):
    return _ista(X, y, alpha, n_iter, lambda z, t: np.where(np.abs(z) > t, z, 0.0))


def _lasso_sum_loss(X, y, alpha, n_iter=5000):
    return _ista(X, y, alpha, n_iter, _st, scale_n=False)


def _lasso_big_step(X, y, alpha, n_iter=5000):
    return _ista(X, y, alpha, n_iter, _st, step_factor=2.5)


def _lasso_grad_sign(X, y, alpha, n_iter=5000):
    return _ista(X, y, alpha, n_iter, _st, grad_sign=True)


def _lasso_case(n: int, d: int, alpha: float, seed: int, label: str) -> Case:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = np.zeros(d)
    w[: max(1, d // 2)] = rng.choice([-2.0, 2.0], size=max(1, d // 2)) * rng.uniform(0.5, 1.5, size=max(1, d // 2))
    y = X @ w + 0.3 * rng.normal(size=n)
    return Case((X, y, alpha), {"n_iter": 4000}, label=label)


_LASSO_CASES = [
    _lasso_case(50, 5, 0.1, 30, "50×5, α = 0.1"),
    _lasso_case(80, 8, 0.4, 31, "80×8, α = 0.4 (several exact zeros)"),
    _lasso_case(40, 3, 10.0, 32, "α large enough that w = 0"),
]

register(
    Exercise(
        id="06.lasso_ista",
        title="Implement soft-thresholding and the lasso by ISTA (scikit-learn's objective)",
        kind="function",
        section=S3,
        reference=_ref_lasso_ista,
        rtol=1e-6,
        atol=1e-7,
        timeout=20.0,
        cases=_LASSO_CASES,
        mutants=[
            (_lasso_hard, "that is HARD thresholding (keep z if |z| > t, else 0); the proximal step of t‖w‖₁ is SOFT thresholding sign(z)·max(|z| − t, 0), which also shrinks the survivors by t"),
            (_lasso_sum_loss, "scikit-learn's lasso minimises (1/(2n))‖y − Xw‖² + α‖w‖₁: divide the squared error (and its gradient, and L) by n, otherwise α means n times less"),
            (_lasso_big_step, "the step must be at most 1/L with L the largest eigenvalue of XᵀX/n; larger steps make ISTA diverge"),
            (_lasso_grad_sign, "shrink the gradient step's result z towards zero (soft-threshold z itself); the penalty's subgradient is α·sign(w), never sign(∇f)"),
        ],
    )
)

_W0, _G0, _LR0, _WD0, _EPS0 = 1.0, 0.5, 0.1, 0.01, 1e-8
_WD_REF = {
    "sgd_l2": _W0 - _LR0 * (_G0 + _WD0 * _W0),
    "adam_l2": _W0 - _LR0 * (_G0 + _WD0 * _W0) / (abs(_G0 + _WD0 * _W0) + _EPS0),
    "adamw": _W0 * (1 - _LR0 * _WD0) - _LR0 * _G0 / (abs(_G0) + _EPS0),
}

register(
    Exercise(
        id="06.weight_decay_adam",
        title="One step with an L2 penalty under SGD and Adam, and with decoupled weight decay (AdamW)",
        kind="value",
        section=S3,
        reference=_WD_REF,
        rtol=1e-7,
        atol=1e-7,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "sgd_l2"), 0.95), "0.95 ignores the penalty: the step uses g + αw = 0.51"),
                    (_is(_get(a, "adam_l2"), _WD_REF["adamw"], 1e-7),
                     "with Adam the L2 term is added to the gradient and then divided by √v̂ like the rest; on the first step m̂/√v̂ = ĝ/|ĝ| ≈ 1 whatever α is, so the step is lr: 0.9"),
                    (_is(_get(a, "adamw"), _WD_REF["adam_l2"], 1e-7), "AdamW first multiplies w by (1 − lr·α), THEN takes the Adam step computed from g alone"),
                    (_is(_get(a, "adamw"), 1.0 - _WD0 - 0.1, 1e-7), "AdamW decays by lr·α·w (= 0.001), not α·w"),
                ]
            )
        ],
        mutants=[
            ({**_WD_REF, "sgd_l2": 0.95}, "0.95 ignores the penalty"),
            ({**_WD_REF, "adam_l2": _WD_REF["adamw"]}, "divided by √v̂"),
            ({**_WD_REF, "adamw": _WD_REF["adam_l2"]}, "AdamW first multiplies w"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 6.4

_ML_REF = {"coefficient": 0.5 * 2 * (1 + 0.1 * 2 / 2), "early_stopping_factor": 1 - (1 - 0.1 * 0.01) ** 100, "ridge_factor": 0.01 / (0.01 + 1 / (0.1 * 100))}

register(
    Exercise(
        id="06.modified_loss",
        title="The modified loss of gradient descent on ½aθ², and early stopping as ridge",
        kind="value",
        section=S4,
        reference=_ML_REF,
        rtol=1e-6,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "coefficient"), 1.05), "‖∇L‖² = a²θ², so (η/4)‖∇L‖² adds ηa²/4·θ² = ½a·(ηa/2)·θ²: the factor is 1 + ηa/2"),
                    (_is(_get(a, "coefficient"), 1.0) or _is(_get(a, "coefficient"), 0.5),
                     "L_GD = L + (η/4)‖∇L‖² = ½a(1 + ηa/2)θ²: the coefficient of θ² is ½a(1 + ηa/2), not ½a"),
                    (_is(_get(a, "early_stopping_factor"), (1 - 0.001) ** 100), "(1 − ηλ)^t is the part of the start that REMAINS; the fraction of w* reached is 1 − (1 − ηλ)^t"),
                    (_is(_get(a, "ridge_factor"), 0.1 / 0.11), "the ridge factor is λ/(λ + α) with α = 1/(ηt) = 0.1"),
                ]
            )
        ],
        mutants=[
            ({**_ML_REF, "coefficient": 1.05}, "1 + ηa/2"),
            ({**_ML_REF, "early_stopping_factor": 0.999**100}, "REMAINS"),
            ({**_ML_REF, "ridge_factor": 0.1 / 0.11}, "λ/(λ + α) with α"),
        ],
    )
)


class _RefEarlyStopping:
    def __init__(self, patience, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_value, self.best_step, self.best_params = math.inf, None, None
        self.count, self.t = 0, -1

    def step(self, value, params=None):
        self.t += 1
        if value < self.best_value - self.min_delta:
            self.best_value, self.best_step, self.count = value, self.t, 0
            self.best_params = copy.deepcopy(params)
        else:
            self.count += 1
        return self.count >= self.patience


class _ESLast(_RefEarlyStopping):
    def step(self, value, params=None):
        stop = super().step(value, params)
        self.best_params = copy.deepcopy(params)
        return stop


class _ESReference(_RefEarlyStopping):
    def step(self, value, params=None):
        stop = super().step(value, params)
        if self.best_step == self.t:
            self.best_params = params
        return stop


class _ESFirstIncrease(_RefEarlyStopping):
    def __init__(self, patience, min_delta=0.0):
        super().__init__(patience, min_delta)
        self.prev = math.inf

    def step(self, value, params=None):
        super().step(value, params)
        up, self.prev = value > self.prev, value
        return up


class _ESOffByOne(_RefEarlyStopping):
    def step(self, value, params=None):
        super().step(value, params)
        return self.count > self.patience


class _ESNoDelta(_RefEarlyStopping):
    def step(self, value, params=None):
        self.t += 1
        if value < self.best_value:
            self.best_value, self.best_step, self.count = value, self.t, 0
            self.best_params = copy.deepcopy(params)
        else:
            self.count += 1
        return self.count >= self.patience


def _es_runner(cls):
    """Drive a learner's early-stopping class on a scripted validation curve."""

    def run(values, patience, min_delta=0.0):
        es = cls(patience, min_delta=min_delta)
        params = {"w": np.zeros(2), "b": np.zeros(1)}
        stopped_at = None
        for t, v in enumerate(values):
            params["w"][:] = t  # the caller's training loop updates the weights in place
            params["b"][:] = -t
            if es.step(v, params):
                stopped_at = t
                break
        params["w"][:] = -99.0  # training code keeps using (and changing) the same arrays
        best = es.best_params
        best_w = None if best is None else np.array(best["w"], dtype=float)
        return {"stopped_at": stopped_at, "best_step": es.best_step, "best_value": es.best_value, "best_w": best_w}

    return run


_ES_CURVE = [1.0, 0.8, 0.7, 0.72, 0.71, 0.75, 0.69]

register(
    Exercise(
        id="06.early_stopping",
        title="Implement early stopping with patience, min_delta and a copy of the best parameters",
        kind="function",
        section=S4,
        reference=_RefEarlyStopping,
        adapt=_es_runner,
        cases=[
            Case((_ES_CURVE, 3), label="the curve 1.0, 0.8, 0.7, 0.72, 0.71, 0.75, 0.69 with patience 3"),
            Case(([1.0, 0.9, 0.8, 0.7, 0.6], 2), label="a curve that keeps improving"),
            Case(([1.0, 0.95, 0.94, 0.93, 0.5], 3, 0.1), label="min_delta = 0.1 with tiny improvements"),
            Case(([0.5, 0.5, 0.4, 0.45, 0.3], 1), label="patience 1 and a tie"),
            Case(([2.0, 1.0, 1.5, 1.2, 1.1, 0.9, 1.3, 1.4], 3), label="a bumpy curve that improves again"),
        ],
        mutants=[
            (_ESLast, "best_params must hold the parameters of the BEST step, not the latest ones: copy them only when the value improves"),
            (_ESReference, "you stored a reference to the parameter arrays, which training keeps changing in place: store copy.deepcopy(params)"),
            (_ESFirstIncrease, "do not stop at the first increase (validation curves are noisy): count consecutive non-improving steps and stop when the count reaches patience"),
            (_ESOffByOne, "off by one: stop when the number of consecutive non-improving steps REACHES patience (with patience 3 on the scripted curve: best step 2, stop at step 5)"),
            (_ESNoDelta, "an improvement must beat the best value by more than min_delta: value < best − min_delta"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 6.5

_K, _EPS = 4, 0.1
_LOGITS = np.array([2.0, 1.0, 0.1, -1.0])
_LOGP = _LOGITS - (np.log(np.sum(np.exp(_LOGITS - _LOGITS.max()))) + _LOGITS.max())
_LS_REF = {
    "uniform_true": 1 - _EPS + _EPS / _K,
    "uniform_other": _EPS / _K,
    "goodfellow_true": 1 - _EPS,
    "goodfellow_other": _EPS / (_K - 1),
    "smoothed_ce": float(-(1 - _EPS) * _LOGP[0] - _EPS * _LOGP.mean()),
    "input_noise_factor": 0.3**2,
}

register(
    Exercise(
        id="06.label_smoothing",
        title="Label-smoothing targets in two conventions, a smoothed cross-entropy, and input noise as L2",
        kind="value",
        section=S5,
        reference=_LS_REF,
        rtol=1e-5,
        atol=1e-7,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "uniform_true"), 0.9) or _is(_get(a, "uniform_other"), _EPS / 3),
                     "PyTorch's convention spreads ε uniformly over ALL K classes: (1 − ε)·onehot + ε/K, so the true class gets 1 − ε + ε/K = 0.925"),
                    (_is(_get(a, "goodfellow_other"), _EPS / _K) or _is(_get(a, "goodfellow_true"), 0.925),
                     "Goodfellow's convention gives the true class 1 − ε and each of the K − 1 others ε/(K − 1)"),
                    (_is(_get(a, "smoothed_ce"), float(-_LOGP[0]), 1e-5), "that is the plain cross-entropy; with smoothing the target is the smoothed vector q and the loss is −Σ_k q_k log p_k"),
                    (_is(_get(a, "input_noise_factor"), 1.0) or _is(_get(a, "input_noise_factor"), 0.3),
                     "E[(wᵀε)²] = σ²‖w‖² for independent noise of variance σ²: the factor is σ² = 0.09"),
                ]
            )
        ],
        mutants=[
            ({**_LS_REF, "uniform_true": 0.9, "uniform_other": _EPS / 3}, "spreads ε uniformly over ALL K classes"),
            ({**_LS_REF, "goodfellow_other": _EPS / _K}, "each of the K − 1 others"),
            ({**_LS_REF, "smoothed_ce": float(-_LOGP[0])}, "that is the plain cross-entropy"),
            ({**_LS_REF, "input_noise_factor": 1.0}, "the factor is σ²"),
        ],
    )
)

_ENS_REF = {"mse_c05": 1 / 10 + 9 * 0.5 / 10, "mse_c03": 1 / 10 + 9 * 0.3 / 10, "unique_fraction": 1 - (1 - 1 / 1000) ** 1000}

register(
    Exercise(
        id="06.ensembles",
        title="The error of an average of correlated predictors, and the bootstrap's unique fraction",
        kind="value",
        section=S5,
        reference=_ENS_REF,
        rtol=1e-6,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "mse_c05"), 0.1) or _is(_get(a, "mse_c03"), 0.1),
                     "v/k holds only for UNCORRELATED errors; with covariance c the error is v/k + (k − 1)c/k"),
                    (_is(_get(a, "unique_fraction"), 1 - math.exp(-1), 1e-7), "1 − 1/e is the n → ∞ limit; for n = 1000 compute 1 − (1 − 1/n)ⁿ = 0.632305"),
                    (_is(_get(a, "unique_fraction"), 0.5), "each point is missed by one draw with probability 1 − 1/n, by all n draws with probability (1 − 1/n)ⁿ ≈ 0.368"),
                    (_is(_get(a, "mse_c05"), 0.5) or _is(_get(a, "mse_c03"), 0.3), "c is the limit for k → ∞; for k = 10 add the v/k term: v/k + (k − 1)c/k"),
                ]
            )
        ],
        mutants=[
            ({**_ENS_REF, "mse_c05": 0.1, "mse_c03": 0.1}, "UNCORRELATED"),
            ({**_ENS_REF, "unique_fraction": 1 - math.exp(-1)}, "n → ∞ limit"),
            ({**_ENS_REF, "unique_fraction": 0.5}, "missed by one draw"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 6.6

from dlnotes import nn as _nn  # noqa: E402  (after the helpers above, which do not need it)


class _RefDropout(_nn.Module):
    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p = p
        self.rng = np.random.default_rng(rng)
        self.mask = None

    def forward(self, x):
        x = np.asarray(x, dtype=float)
        if not self.training or self.p == 0:
            self.mask = None
            return x.copy()
        self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, grad_output):
        g = np.asarray(grad_output, dtype=float)
        return g.copy() if self.mask is None else g * self.mask


class _DropTrainScale(_RefDropout):
    def forward(self, x):
        x = np.asarray(x, dtype=float)
        if not self.training:
            return x.copy()
        self.mask = (self.rng.random(x.shape) >= self.p) * (1 - self.p)
        return x * self.mask


class _DropStandard(_RefDropout):
    def forward(self, x):
        x = np.asarray(x, dtype=float)
        if not self.training:
            self.mask = None
            return x * (1 - self.p)
        self.mask = (self.rng.random(x.shape) >= self.p) * 1.0
        return x * self.mask


class _DropKeep(_RefDropout):
    def forward(self, x):
        x = np.asarray(x, dtype=float)
        if not self.training:
            return x.copy()
        self.mask = (self.rng.random(x.shape) < self.p) / self.p
        return x * self.mask


class _DropShared(_RefDropout):
    def forward(self, x):
        x = np.asarray(x, dtype=float)
        if not self.training:
            return x.copy()
        self.mask = np.broadcast_to((self.rng.random(x.shape[1:]) >= self.p) / (1 - self.p), x.shape)
        return x * self.mask


class _DropFreshBackward(_RefDropout):
    def backward(self, grad_output):
        g = np.asarray(grad_output, dtype=float)
        return g * (self.rng.random(g.shape) >= self.p) / (1 - self.p)


def _dropout_runner(cls):
    """Summarise a learner's dropout layer: what it does to a batch in training and eval mode."""

    def run(p, seed, shape):
        layer = cls(p=p, rng=seed)
        rng = np.random.default_rng(seed + 1000)
        x = rng.uniform(1.0, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        layer.train()
        y = np.asarray(layer.forward(x.copy()), dtype=float)
        if y.shape != x.shape:
            return {"shape": y.shape}
        ratio = y / x
        kept = ~np.isclose(y, 0.0)
        zero_fraction = 1 - kept.mean()
        se = math.sqrt(p * (1 - p) / x.size) + 1e-12
        survivor_scales = np.unique(np.round(ratio[kept], 9)) if kept.any() else np.array([])
        dy = rng.normal(size=shape)
        dx = np.asarray(layer.backward(dy.copy()), dtype=float)
        backward_same_mask = bool(dx.shape == x.shape and np.allclose(dx, dy * ratio))
        rows = kept.reshape(shape[0], -1)
        rows_differ = bool(any(not np.array_equal(rows[0], r) for r in rows[1:]))
        layer.eval()
        x_eval = rng.normal(size=shape)
        y_eval = np.asarray(layer.forward(x_eval.copy()), dtype=float)
        eval_scale = float(np.round(np.mean(y_eval / x_eval), 9))
        return {
            "survivor_scale": [float(s) for s in survivor_scales],
            "zero_fraction_close_to_p": bool(abs(zero_fraction - p) < 5 * se),
            "masks_differ_across_examples": rows_differ,
            "backward_uses_the_forward_mask": backward_same_mask,
            "eval_scale": eval_scale,
        }

    return run


register(
    Exercise(
        id="06.dropout",
        title="Implement inverted dropout (p = drop probability): forward in train/eval mode and backward",
        kind="function",
        section=S6,
        reference=_RefDropout,
        adapt=_dropout_runner,
        cases=[
            Case((0.2, 1, (64, 50)), label="p = 0.2 on a 64×50 batch"),
            Case((0.5, 2, (32, 40)), label="p = 0.5 on a 32×40 batch"),
            Case((0.7, 3, (50, 3, 8)), label="p = 0.7 on a 50×3×8 batch"),
        ],
        mutants=[
            (_DropTrainScale, "in training the survivors are DIVIDED by the keep probability 1 − p (×1.25 for p = 0.2), so that the expected output equals the input"),
            (_DropStandard, "that is the original (non-inverted) dropout, which rescales at test time; inverted dropout scales the survivors by 1/(1 − p) during training and is the identity in eval mode"),
            (_DropKeep, "p is the probability of DROPPING a unit (as in torch.nn.Dropout): keep each unit with probability 1 − p"),
            (_DropShared, "draw an independent mask for every entry of the batch, not one mask shared by all examples"),
            (_DropFreshBackward, "backward must reuse the mask of the forward pass (store it); a fresh mask sends gradients through units that were dropped"),
        ],
    )
)


def _nwgm_with_arith_complement() -> float:
    """The wrong NWGM G/(G + E′) with the arithmetic complement E′ = Σ P(1 − O) = 1 − E (for the mutant)."""
    outs = [_sigmoid(s) for s in (0.0, 1.0, -2.0, -1.0)]  # the four masks of two inputs, P = 1/4 each
    g = math.prod(o**0.25 for o in outs)
    e_prime = sum(0.25 * (1 - o) for o in outs)
    return g / (g + e_prime)


_DF_FACTS_REF = {"survivor_scale": 1.25, "n_subnetworks": 1024, "nwgm": _sigmoid(-0.5), "torch_p": 0.2}

register(
    Exercise(
        id="06.dropout_facts",
        title="Dropout facts: the survivors' scale, the number of thinned networks, the NWGM, and the two p conventions",
        kind="value",
        section=S6,
        reference=_DF_FACTS_REF,
        rtol=1e-6,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "survivor_scale"), 0.8), "inverted dropout DIVIDES the survivors by the keep probability: 1/(1 − 0.2) = 1.25"),
                    (_is(_get(a, "n_subnetworks"), 10) or _is(_get(a, "n_subnetworks"), 20) or _is(_get(a, "n_subnetworks"), 100),
                     "each of the n units is either kept or dropped, independently: 2ⁿ = 1024 thinned networks"),
                    (_is(_get(a, "nwgm"), 0.404801, 1e-5), "0.4048 is the arithmetic mean of the outputs over the masks; the NWGM G/(G + G′) uses geometric means and equals σ(E[S]) = σ(−0.5)"),
                    (_is(_get(a, "nwgm"), _nwgm_with_arith_complement(), 1e-6), "the complement in the NWGM is the GEOMETRIC mean G′ = Π(1 − O)^P, not the arithmetic ΣP(1 − O) = 1 − E"),
                    (_is(_get(a, "torch_p"), 0.8), "torch's p is the DROP probability: retain 0.8 means p = 0.2"),
                ]
            )
        ],
        mutants=[
            ({**_DF_FACTS_REF, "survivor_scale": 0.8}, "DIVIDES the survivors"),
            ({**_DF_FACTS_REF, "nwgm": _nwgm_with_arith_complement()}, "GEOMETRIC mean G′"),
            ({**_DF_FACTS_REF, "nwgm": 0.404801}, "arithmetic mean of the outputs"),
            ({**_DF_FACTS_REF, "torch_p": 0.8}, "DROP probability"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 6.7


def _bn_parts(dy, x, gamma, eps):
    dy = np.asarray(dy, dtype=float)
    x = np.asarray(x, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    m = x.shape[0]
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    return dy, x, gamma, m, mu, var


def _ref_bn_backward(dy, x, gamma, eps=1e-5):
    dy, x, gamma, m, mu, var = _bn_parts(dy, x, gamma, eps)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv
    dgamma = np.sum(dy * xhat, axis=0)
    dbeta = np.sum(dy, axis=0)
    dx = gamma * inv / m * (m * dy - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def _bn_unbiased(dy, x, gamma, eps=1e-5):
    x = np.asarray(x, dtype=float)
    m = x.shape[0]
    # normalising with the unbiased variance is BN with a rescaled input: x̂ = √((m−1)/m)·x̂_biased
    dy = np.asarray(dy, dtype=float)
    mu, var = x.mean(axis=0), x.var(axis=0, ddof=1)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv
    dgamma = np.sum(dy * xhat, axis=0)
    dbeta = np.sum(dy, axis=0)
    dx = np.asarray(gamma) * inv * (dy - dbeta / m - xhat * np.sum(dy * xhat, axis=0) / (m - 1))
    return dx, dgamma, dbeta


def _bn_no_mean_path(dy, x, gamma, eps=1e-5):
    dy, x, gamma, m, mu, var = _bn_parts(dy, x, gamma, eps)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv
    dgamma = np.sum(dy * xhat, axis=0)
    return gamma * inv / m * (m * dy - xhat * dgamma), dgamma, np.sum(dy, axis=0)


def _bn_no_var_path(dy, x, gamma, eps=1e-5):
    dy, x, gamma, m, mu, var = _bn_parts(dy, x, gamma, eps)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv
    dbeta = np.sum(dy, axis=0)
    return gamma * inv / m * (m * dy - dbeta), np.sum(dy * xhat, axis=0), dbeta


def _bn_eps_outside(dy, x, gamma, eps=1e-5):
    dy, x, gamma, m, mu, var = _bn_parts(dy, x, gamma, eps)
    s = np.sqrt(var)
    xhat = (x - mu) / (s + eps)
    dgamma = np.sum(dy * xhat, axis=0)
    dbeta = np.sum(dy, axis=0)
    dxhat = dy * gamma
    # y = γ (x − μ)/(s + ε) + β, differentiated exactly (ds/dx_i = (x_i − μ)/(m s))
    dx = (dxhat - dxhat.mean(axis=0)) / (s + eps) - (x - mu) * np.sum(dxhat * (x - mu), axis=0) / (m * s * (s + eps) ** 2)
    return dx, dgamma, dbeta


def _bn_case(m: int, d: int, seed: int, eps: float = 1e-5, label: str = "") -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=rng.normal(size=d), scale=rng.uniform(0.5, 2.0, size=d), size=(m, d))
    dy = rng.normal(size=(m, d))
    gamma = rng.uniform(0.5, 2.0, size=d)
    return Case((dy, x, gamma), {"eps": eps}, label=label or f"a {m}×{d} batch")


_BN_CASES = [
    _bn_case(8, 3, 70),
    Case((np.array([[1.0], [0.0], [0.0], [0.0]]), np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([1.0])), {"eps": 1e-12},
         label="the worked example x = [1, 2, 3, 4], dy = [1, 0, 0, 0]"),
    _bn_case(5, 4, 71, eps=0.5, label="a 5×4 batch with a large eps = 0.5"),
    _bn_case(2, 6, 72, label="a batch of only 2 examples"),
]

register(
    Exercise(
        id="06.batchnorm_backward",
        title="Implement the batch-norm backward pass (training mode): dx, dγ and dβ",
        kind="function",
        section=S7,
        reference=_ref_bn_backward,
        output_names=("dx", "dgamma", "dbeta"),
        rtol=1e-7,
        atol=1e-9,
        cases=_BN_CASES,
        mutants=[
            (_bn_unbiased, "training-mode batch norm normalises with the BIASED variance (divide by m, as torch does); the unbiased one is only used for running_var"),
            (_bn_no_mean_path, "you dropped the path through the mean: every x_i also changes μ, which contributes −Σ_j dy_j/m (times γ/√(σ² + ε))"),
            (_bn_no_var_path, "you dropped the path through the variance: every x_i also changes σ², which contributes −x̂_i·Σ_j dy_j x̂_j/m (times γ/√(σ² + ε))"),
            (_bn_eps_outside, "ε goes INSIDE the square root, x̂ = (x − μ)/√(σ² + ε), as in PyTorch; (x − μ)/(s + ε) is a different layer"),
        ],
    )
)

_BN_RUN_REF = {"running_mean": 0.1 * 2.5, "running_var": 0.9 + 0.1 * (5 / 3), "eval_output": (2.0 - 0.25) / math.sqrt(0.9 + 0.1 * (5 / 3) + 1e-5)}

register(
    Exercise(
        id="06.batchnorm_running",
        title="Running statistics of BatchNorm1d after one training step, and its output in eval mode",
        kind="value",
        section=S7,
        reference=_BN_RUN_REF,
        rtol=1e-6,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "running_var"), 1.025), "running_var is updated with the UNBIASED batch variance (5/3 here, not 1.25), even though the batch is normalised with the biased one"),
                    (_is(_get(a, "running_mean"), 2.25), "in PyTorch momentum is the weight of the NEW statistic: r ← 0.9·r + 0.1·batch (Keras uses the opposite convention)"),
                    (_is(_get(a, "eval_output"), (2.0 - 2.5) / math.sqrt(1.25 + 1e-5)), "in eval mode the layer uses the running statistics, not the statistics of the current input"),
                    (_is(_get(a, "eval_output"), (2.0 - 0.25) / math.sqrt(1.025 + 1e-5)), "the eval output follows from the running_var, which uses the unbiased batch variance"),
                ]
            )
        ],
        mutants=[
            ({**_BN_RUN_REF, "running_var": 1.025, "eval_output": (2.0 - 0.25) / math.sqrt(1.025 + 1e-5)}, "UNBIASED batch variance"),
            ({**_BN_RUN_REF, "running_mean": 2.25}, "weight of the NEW statistic"),
            ({**_BN_RUN_REF, "eval_output": (2.0 - 2.5) / math.sqrt(1.25 + 1e-5)}, "uses the running statistics"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 6.8

_COUNTS = np.array([332, 27, 21, 20, 5, 5], dtype=float)
_IMB_REF = {"softmax_bias": [float(v) for v in np.log(_COUNTS / _COUNTS.sum())], "sigmoid_bias": math.log(10 / 990), "balanced_weight": 410 / (6 * 20)}
_ROUNDED = [float(v) for v in np.log(np.round(_COUNTS / _COUNTS.sum(), 3))]  # priors rounded to 3 decimals first


def _rounded_first(answer: Any) -> bool:
    """True for biases within 0.1 of the right ones but not equal to them: rounding before the log."""
    try:
        v = np.asarray(answer, dtype=float)
        diff = np.abs(v - np.log(_COUNTS / _COUNTS.sum()))
    except (TypeError, ValueError):
        return False
    return v.shape == (6,) and bool(diff.max() < 0.1) and bool(diff.max() > 1e-5)

register(
    Exercise(
        id="06.imbalance",
        title="Prior-bias initialisation for softmax and sigmoid outputs, and a balanced class weight",
        kind="value",
        section=S8,
        reference=_IMB_REF,
        rtol=1e-6,
        atol=1e-8,
        diagnose=[
            lambda a: _hints(
                [
                    (_rounded_first(_get(a, "softmax_bias")), "do not round the class priors before taking logs: log(5/410) = −4.4067, while log(0.012) = −4.4228"),
                    (_close_vec(_get(a, "softmax_bias"), sorted(_IMB_REF["softmax_bias"]), 1e-6),
                     "keep the biases in the order of the counts: the largest class (332 samples) gets the largest bias, log(332/410) = −0.211"),
                    (_is(_get(a, "sigmoid_bias"), math.log(0.01)), "a sigmoid output's bias is the prior LOG-ODDS log(n_pos/n_neg) = log(10/990), not log(n_pos/N)"),
                    (_is(_get(a, "balanced_weight"), 20.5) or _is(_get(a, "balanced_weight"), 0.05),
                     "scikit-learn's 'balanced' weight is N/(K·n_c) = 410/(6·20)"),
                ]
            )
        ],
        mutants=[
            ({**_IMB_REF, "softmax_bias": _ROUNDED}, "do not round"),
            ({**_IMB_REF, "sigmoid_bias": math.log(0.01)}, "LOG-ODDS"),
            ({**_IMB_REF, "balanced_weight": 20.5}, "N/(K·n_c)"),
        ],
    )
)

_MET_REF = {"majority_accuracy": 0.99, "majority_recall": 0.0, "majority_balanced_accuracy": 0.5, "precision": 8 / 30, "recall": 0.8, "f1": 0.4}

register(
    Exercise(
        id="06.imbalance_metrics",
        title="Accuracy, recall, balanced accuracy, precision and F1 on a 1:99 test set",
        kind="value",
        section=S8,
        reference=_MET_REF,
        rtol=1e-6,
        atol=1e-9,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "majority_balanced_accuracy"), 0.99) or _is(_get(a, "majority_balanced_accuracy"), 0.0),
                     "balanced accuracy is the mean of the per-class recalls: (1 + 0)/2 = 0.5 for a constant classifier"),
                    (_is(_get(a, "f1"), (8 / 30 + 0.8) / 2), "F1 is the HARMONIC mean 2PR/(P + R), not the arithmetic mean"),
                    (_is(_get(a, "precision"), 0.8) and _is(_get(a, "recall"), 8 / 30),
                     "precision = TP/(TP + FP) = 8/30 (of the flagged examples), recall = TP/(TP + FN) = 8/10 (of the positives)"),
                    (_is(_get(a, "majority_recall"), 1.0) or _is(_get(a, "majority_recall"), 0.99),
                     "recall is measured on the positive class: a classifier that never says 'positive' finds 0 of the 10"),
                ]
            )
        ],
        mutants=[
            ({**_MET_REF, "majority_balanced_accuracy": 0.99}, "mean of the per-class recalls"),
            ({**_MET_REF, "f1": (8 / 30 + 0.8) / 2}, "HARMONIC mean"),
            ({**_MET_REF, "precision": 0.8, "recall": 8 / 30}, "precision = TP/(TP + FP)"),
        ],
    )
)


def _knn_indices(X: np.ndarray, k: int) -> np.ndarray:
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    return np.argsort(d2, axis=1, kind="stable")[:, :k]


def _ref_smote(X_min, n_new, k, rng):
    X = np.asarray(X_min, dtype=float)
    nn_idx = _knn_indices(X, k)
    i = rng.integers(0, len(X), size=n_new)
    j = nn_idx[i, rng.integers(0, k, size=n_new)]
    lam = rng.random(n_new)[:, None]
    return X[i] + lam * (X[j] - X[i])


def _smote_copies(X_min, n_new, k, rng):
    X = np.asarray(X_min, dtype=float)
    return X[rng.integers(0, len(X), size=n_new)].copy()


def _smote_extrapolate(X_min, n_new, k, rng):
    X = np.asarray(X_min, dtype=float)
    nn_idx = _knn_indices(X, k)
    i = rng.integers(0, len(X), size=n_new)
    j = nn_idx[i, rng.integers(0, k, size=n_new)]
    lam = rng.uniform(-0.5, 1.5, size=n_new)[:, None]
    return X[i] + lam * (X[j] - X[i])


def _smote_any_partner(X_min, n_new, k, rng):
    X = np.asarray(X_min, dtype=float)
    i = rng.integers(0, len(X), size=n_new)
    j = (i + rng.integers(1, len(X), size=n_new)) % len(X)
    lam = rng.random(n_new)[:, None]
    return X[i] + lam * (X[j] - X[i])


def _smote_with_self(X_min, n_new, k, rng):
    X = np.asarray(X_min, dtype=float)
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    nn_idx = np.argsort(d2, axis=1, kind="stable")[:, :k]  # the point itself is its own nearest neighbour
    i = rng.integers(0, len(X), size=n_new)
    j = nn_idx[i, rng.integers(0, k, size=n_new)]
    lam = rng.random(n_new)[:, None]
    return X[i] + lam * (X[j] - X[i])


def _smote_global_rng(X_min, n_new, k, rng):
    return _ref_smote(X_min, n_new, k, np.random.default_rng())


def _smote_runner(fn):
    """Summarise where a learner's SMOTE puts its synthetic points."""

    def run(n, d, n_new, k, seed):
        data_rng = np.random.default_rng(seed)
        X = data_rng.normal(size=(n, d)) * data_rng.uniform(0.5, 2.0, size=d)
        out = np.asarray(fn(X.copy(), n_new, k, np.random.default_rng(seed + 1)), dtype=float)
        if out.shape != (n_new, d):
            return {"shape": list(out.shape)}
        again = np.asarray(fn(X.copy(), n_new, k, np.random.default_rng(seed + 1)), dtype=float)
        other = np.asarray(fn(X.copy(), n_new, k, np.random.default_rng(seed + 2)), dtype=float)
        nn_idx = _knn_indices(X, k)
        copies = on_knn_segment = on_knn_line = 0
        for s in out:
            if np.min(np.linalg.norm(X - s, axis=1)) < 1e-12:
                copies += 1
                continue
            found_segment = found_line = False
            for i in range(n):
                for j in nn_idx[i]:
                    v = X[j] - X[i]
                    lam = float((s - X[i]) @ v / (v @ v))
                    if np.linalg.norm(s - X[i] - lam * v) < 1e-9 * (1 + np.linalg.norm(s)):
                        found_line = True
                        found_segment = found_segment or 0.0 <= lam < 1.0
            on_knn_segment += found_segment
            on_knn_line += found_line
        return {
            "shape": [n_new, d],
            "points_copied_from_the_data": copies,
            "points_between_a_point_and_one_of_its_k_neighbours": on_knn_segment,
            "points_on_a_neighbour_line_but_outside_the_segment": on_knn_line - on_knn_segment,
            "reproducible_with_the_same_rng_seed": bool(np.array_equal(out, again)),
            "changes_with_the_rng_seed": not bool(np.array_equal(out, other)),
        }

    return run


register(
    Exercise(
        id="06.smote",
        title="Implement SMOTE: synthetic minority points on segments to k nearest minority neighbours",
        kind="function",
        section=S8,
        reference=_ref_smote,
        adapt=_smote_runner,
        cases=[
            Case((12, 2, 40, 3, 80), label="12 minority points in 2-D, 40 new, k = 3"),
            Case((20, 4, 30, 5, 81), label="20 minority points in 4-D, 30 new, k = 5"),
        ],
        mutants=[
            (_smote_copies, "SMOTE interpolates: x_i + λ(x_nn − x_i) with λ ~ U[0, 1); copying minority points is plain random oversampling"),
            (_smote_extrapolate, "λ must lie in [0, 1) so that the new point lies BETWEEN x_i and its neighbour"),
            (_smote_any_partner, "the partner must be one of the k NEAREST minority neighbours of x_i, not any minority point"),
            (_smote_with_self, "exclude the point itself from its neighbours (its distance to itself is 0); otherwise some new points are copies"),
            (_smote_global_rng, "draw every random number from the rng argument, so that a fixed seed gives a fixed result"),
        ],
    )
)

_MISSING_REF = {"a": "MCAR", "b": "MAR", "c": "MNAR"}


def _grade_missing(answer: Any) -> str | None:
    if not hasattr(answer, "get"):
        return f"expected a dict like {{'a': 'MCAR', ...}}, got {type(answer).__name__}"
    for key in ("a", "b", "c"):
        got = answer.get(key)
        if not isinstance(got, str):
            return f"answer['{key}'] should be one of the strings 'MCAR', 'MAR', 'MNAR', got {got!r}"
        if got.strip().upper() != _MISSING_REF[key]:
            return f"answer['{key}'] is not right"
    return None


register(
    Exercise(
        id="06.missing",
        title="Missing completely at random, at random, or not at random?",
        kind="value",
        section=S8,
        reference=_MISSING_REF,
        grade_value=_grade_missing,
        diagnose=[
            lambda a: _hints(
                [
                    (str(_get(a, "b")).upper() == "MNAR", "(b) depends on age, which is OBSERVED for everyone: missing at random (MAR) given age"),
                    (str(_get(a, "c")).upper() == "MAR", "(c) depends on the missing value itself (the income): missing NOT at random (MNAR)"),
                    (str(_get(a, "a")).upper() != "MCAR" and _get(a, "a") is not None, "(a) is unrelated to anything, observed or not: MCAR"),
                ]
            )
        ],
        mutants=[
            ({"a": "MCAR", "b": "MNAR", "c": "MNAR"}, "OBSERVED for everyone"),
            ({"a": "MCAR", "b": "MAR", "c": "MAR"}, "the missing value itself"),
            ({"a": "MAR", "b": "MAR", "c": "MNAR"}, "unrelated to anything"),
        ],
    )
)
