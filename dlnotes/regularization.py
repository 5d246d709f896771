r"""Regularization and generalization: penalties, bias-variance, early stopping, smoothing, imbalance.

* Explicit penalties: :func:`ridge` (closed form), :func:`lasso` and :func:`elastic_net`
  (cyclic coordinate descent) with scikit-learn's objectives, and :func:`soft_threshold`, the
  proximal operator of the :math:`\ell_1` norm.
* :func:`bias_variance`: Monte Carlo estimates of bias², variance and noise, per test point.
* :class:`EarlyStopping`: patience, ``min_delta``, and a copy of the best parameters.
* :func:`smooth_labels`: label-smoothed targets (PyTorch's convention by default).
* Class imbalance: :func:`class_weights`, :func:`prior_bias` and :func:`smote`.

Conventions (chapter 06, §3.0): ridge's ``alpha`` multiplies :math:`\|w\|_2^2` next to the
**sum** of squared errors, lasso's ``alpha`` multiplies :math:`\|w\|_1` next to the **mean**
squared error divided by 2 (both exactly as in scikit-learn, so the two ``alpha`` differ by a
factor :math:`2n`); the intercept is never penalised. Bias-variance statistics use ``ddof=0``.
Early-stopping steps are counted from 0.

Book: chapter 06, "Regularization and generalization".
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from dlnotes._validation import check_bool as _check_bool
from dlnotes._validation import (
    as_float_array,
    as_int,
    as_real,
    as_rng,
    check_choice,
    check_same_length,
)

__all__ = [
    "ridge",
    "lasso",
    "elastic_net",
    "soft_threshold",
    "bias_variance",
    "BiasVariance",
    "EarlyStopping",
    "smooth_labels",
    "class_weights",
    "prior_bias",
    "smote",
]


def _xy(X: Any, y: Any, func: str, y_ndim: int | tuple[int, ...] = 1) -> tuple[np.ndarray, np.ndarray]:
    X = as_float_array(X, "X", func, ndim=2)
    y = as_float_array(y, "y", func, ndim=y_ndim)
    check_same_length(X, y, func)
    if X.shape[0] == 0:
        raise ValueError(f"{func}: X must have at least one sample, got shape {X.shape}")
    return X, y


def _center(X: np.ndarray, y: np.ndarray, fit_intercept: bool) -> tuple:
    if fit_intercept:
        x_mean, y_mean = X.mean(axis=0), y.mean(axis=0)
        return X - x_mean, y - y_mean, x_mean, y_mean
    return X, y, np.zeros(X.shape[1]), np.zeros(y.shape[1:]) if y.ndim > 1 else 0.0


# --------------------------------------------------------------------------------------------
# ridge
# --------------------------------------------------------------------------------------------


def ridge(X: Any, y: Any, alpha: float, fit_intercept: bool = True) -> tuple[np.ndarray, Any]:
    r"""Ridge regression in closed form, equal to ``sklearn.linear_model.Ridge(alpha).fit(X, y)``.

    Minimises scikit-learn's objective, the **sum** of squared errors plus
    :math:`\alpha\|w\|_2^2` (the intercept :math:`b` is not penalised):

    .. math::

        \min_{w, b}\ \|y - Xw - b\mathbf 1\|_2^2 + \alpha \|w\|_2^2
        \quad\Longrightarrow\quad
        w = (X_c^\top X_c + \alpha I)^{-1} X_c^\top y_c, \qquad b = \bar y - \bar x^\top w,

    where :math:`X_c, y_c` are centred (not centred when ``fit_intercept=False``, and then
    :math:`b = 0`). Equivalently :math:`\tfrac12\|y - Xw\|^2 + \tfrac\alpha2\|w\|^2`, whose
    gradient :math:`\alpha w` is what ``torch.optim.SGD(weight_decay=alpha)`` adds; with a
    *mean* loss :math:`\frac1{2n}\|\cdot\|^2` the same solution needs :math:`\alpha/n`. In the
    eigenbasis of :math:`X_c^\top X_c` (eigenvalues :math:`\lambda_i`) the least-squares
    solution is shrunk by :math:`\lambda_i/(\lambda_i + \alpha)` per direction, most along
    low-curvature directions. It is also the MAP estimate for Gaussian noise of variance
    :math:`\sigma^2` and a prior :math:`w \sim \mathcal N(0, \tau^2 I)` with
    :math:`\alpha = \sigma^2/\tau^2`.

    The linear system is solved with ``numpy.linalg.solve`` (never an explicit inverse);
    ``alpha = 0`` falls back to the minimum-norm least-squares solution (``lstsq``).

    Parameters
    ----------
    X:
        ``(n_samples, n_features)`` finite array.
    y:
        ``(n_samples,)`` or ``(n_samples, n_targets)`` finite array.
    alpha:
        Penalty strength, >= 0.
    fit_intercept:
        If True (default) fit an unpenalised intercept by centring ``X`` and ``y``.

    Returns
    -------
    coef, intercept:
        As scikit-learn's ``coef_`` and ``intercept_``: ``coef`` has shape ``(n_features,)``
        (or ``(n_targets, n_features)``) and ``intercept`` is a float (or ``(n_targets,)``),
        0.0 when ``fit_intercept=False``.

    Examples
    --------
    >>> coef, b = ridge(np.eye(2), [1.0, 2.0], alpha=1.0, fit_intercept=False)
    >>> coef, b
    (array([0.5, 1. ]), 0.0)
    """
    func = "ridge"
    X, y = _xy(X, y, func, y_ndim=(1, 2))
    alpha = as_real(alpha, "alpha", func, nonnegative=True)
    fit_intercept = _check_bool(fit_intercept, "fit_intercept", func)
    Xc, yc, x_mean, y_mean = _center(X, y, fit_intercept)
    if alpha > 0:
        A = Xc.T @ Xc + alpha * np.eye(X.shape[1])
        w = np.linalg.solve(A, Xc.T @ yc)
    else:
        w = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    intercept = y_mean - x_mean @ w if fit_intercept else (np.zeros(y.shape[1]) if y.ndim == 2 else 0.0)
    if y.ndim == 1:
        return w, float(intercept)
    return w.T.copy(), np.asarray(intercept, dtype=float)


# --------------------------------------------------------------------------------------------
# lasso and elastic net
# --------------------------------------------------------------------------------------------


def soft_threshold(z: Any, t: Any) -> np.ndarray | np.float64:
    r"""Soft-thresholding, :math:`S_t(z) = \operatorname{sign}(z)\max(|z| - t, 0)`, elementwise.

    The proximal operator of :math:`t\|\cdot\|_1`: :math:`S_t(z) = \arg\min_w \tfrac12 (w - z)^2
    + t|w|`. It sets every :math:`|z| \le t` to exactly 0 and moves the rest towards 0 by
    :math:`t`, which is why the lasso gives sparse solutions. (Hard thresholding would keep
    :math:`z` unchanged when :math:`|z| > t`.) Example: :math:`S_1(-3, 0.5, 2) = (-2, 0, 1)`.
    PyTorch: ``torch.nn.functional.softshrink(z, t)``.

    Parameters
    ----------
    z:
        Finite real scalar or array.
    t:
        Threshold, a real number or array >= 0 broadcastable against ``z``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Same shape as ``np.broadcast(z, t)``; a scalar for scalar inputs.
    """
    func = "soft_threshold"
    z = as_float_array(z, "z", func)
    t = as_float_array(t, "t", func)
    if np.any(t < 0):
        raise ValueError(f"{func}: t must be >= 0, got min(t) = {t.min()}")
    try:
        out = np.sign(z) * np.maximum(np.abs(z) - t, 0.0)
    except ValueError:
        raise ValueError(f"{func}: t of shape {t.shape} does not broadcast against z of shape {z.shape}") from None
    return out[()] if out.ndim == 0 else out


def _coordinate_descent(
    X: np.ndarray, y: np.ndarray, l1: float, l2: float, max_iter: int, tol: float, func: str
) -> np.ndarray:
    r"""Minimise (1/(2n))||y - Xw||^2 + l1 ||w||_1 + (l2/2) ||w||^2 by cyclic coordinate descent.

    Works on the Gram matrix G = X^T X / n and c = X^T y / n, so one coordinate update costs
    O(n_features) whatever n_samples is: w_j <- S(c_j - (Gw)_j + G_jj w_j, l1) / (G_jj + l2).
    """
    n, p = X.shape
    G = X.T @ X / n
    c = X.T @ y / n
    diag = np.diag(G).copy()
    w = np.zeros(p)
    Gw = np.zeros(p)
    for _ in range(max_iter):
        max_change = 0.0
        for j in range(p):
            if diag[j] + l2 == 0.0:  # an all-zero column without an L2 term: leave w_j = 0
                continue
            rho = c[j] - Gw[j] + diag[j] * w[j]
            new = np.sign(rho) * max(abs(rho) - l1, 0.0) / (diag[j] + l2)
            delta = new - w[j]
            if delta != 0.0:
                Gw += G[:, j] * delta
                w[j] = new
                max_change = max(max_change, abs(delta))
        if max_change <= tol * np.max(np.abs(w), initial=0.0):
            return w
    warnings.warn(
        f"{func}: coordinate descent did not converge in max_iter={max_iter} sweeps (tol={tol}); "
        "increase max_iter or tol",
        UserWarning,
        stacklevel=3,
    )
    return w


def _cd_args(max_iter: Any, tol: Any, func: str) -> tuple[int, float]:
    return as_int(max_iter, "max_iter", func, minimum=1), as_real(tol, "tol", func, positive=True)


def lasso(
    X: Any,
    y: Any,
    alpha: float,
    fit_intercept: bool = True,
    max_iter: int = 10_000,
    tol: float = 1e-10,
) -> tuple[np.ndarray, float]:
    r"""The lasso by cyclic coordinate descent, with the objective of ``sklearn.linear_model.Lasso``.

    .. math::

        \min_{w, b}\ \frac{1}{2n}\|y - Xw - b\mathbf 1\|_2^2 + \alpha\|w\|_1 .

    Note the :math:`1/(2n)`: this ``alpha`` is :math:`2n` times smaller than a penalty next to
    the plain sum of squares (and unlike :func:`ridge`'s). The intercept is not penalised: it
    is removed by centring, :math:`b = \bar y - \bar x^\top w`. Each coordinate has the closed
    form

    .. math::

        w_j \leftarrow \frac{S_\alpha\!\big(\tfrac1n x_j^\top r_{-j}\big)}{\tfrac1n\|x_j\|^2},
        \qquad r_{-j} = y - \sum_{k \ne j} x_k w_k,

    with :math:`S` the :func:`soft_threshold`, which is where the exact zeros come from. At the
    solution the KKT conditions hold: :math:`|x_j^\top(y - Xw)/n| \le \alpha`, with equality
    where :math:`w_j \ne 0`; so every coefficient is 0 once
    :math:`\alpha \ge \max_j |x_j^\top y_c|/n`. The MAP view: a Laplace prior
    :math:`p(w_j) \propto e^{-|w_j|/b}` gives this :math:`\ell_1` penalty.

    Parameters
    ----------
    X:
        ``(n_samples, n_features)`` finite array.
    y:
        ``(n_samples,)`` finite array.
    alpha:
        Penalty strength, >= 0 (0 is least squares, solved slowly; prefer ``lstsq``).
    fit_intercept:
        Fit an unpenalised intercept (default True).
    max_iter:
        Maximum number of sweeps over the coordinates (default 10,000). A ``UserWarning`` is
        issued if the tolerance is not reached.
    tol:
        Stop when no coordinate moved by more than ``tol`` times the largest
        :math:`|w_j|` in a sweep (default 1e-10; scikit-learn's ``tol`` is a different,
        duality-gap test with default 1e-4).

    Returns
    -------
    coef, intercept:
        ``(n_features,)`` array and float, like scikit-learn's ``coef_`` and ``intercept_``.
    """
    return _enet(X, y, alpha, 1.0, fit_intercept, max_iter, tol, "lasso")


def elastic_net(
    X: Any,
    y: Any,
    alpha: float,
    l1_ratio: float = 0.5,
    fit_intercept: bool = True,
    max_iter: int = 10_000,
    tol: float = 1e-10,
) -> tuple[np.ndarray, float]:
    r"""Elastic net by cyclic coordinate descent, with the objective of ``sklearn.linear_model.ElasticNet``.

    .. math::

        \min_{w, b}\ \frac{1}{2n}\|y - Xw - b\mathbf 1\|_2^2
        + \alpha\rho\|w\|_1 + \frac{\alpha(1 - \rho)}{2}\|w\|_2^2,

    with :math:`\rho` = ``l1_ratio``: :math:`\rho = 1` is :func:`lasso`, :math:`\rho = 0` a
    ridge penalty (on the mean loss). The coordinate update is
    :math:`w_j \leftarrow S_{\alpha\rho}(\tfrac1n x_j^\top r_{-j}) / (\tfrac1n\|x_j\|^2 +
    \alpha(1-\rho))`. The :math:`\ell_2` part keeps groups of correlated features together
    where the lasso would pick one of them.

    Parameters
    ----------
    X, y, alpha, fit_intercept, max_iter, tol:
        As for :func:`lasso`.
    l1_ratio:
        :math:`\rho \in [0, 1]` (default 0.5).

    Returns
    -------
    coef, intercept:
        ``(n_features,)`` array and float.
    """
    return _enet(X, y, alpha, l1_ratio, fit_intercept, max_iter, tol, "elastic_net")


def _enet(
    X: Any, y: Any, alpha: Any, l1_ratio: Any, fit_intercept: Any, max_iter: Any, tol: Any, func: str
) -> tuple[np.ndarray, float]:
    X, y = _xy(X, y, func)
    alpha = as_real(alpha, "alpha", func, nonnegative=True)
    rho = as_real(l1_ratio, "l1_ratio", func)
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"{func}: l1_ratio must be in [0, 1], got {rho}")
    fit_intercept = _check_bool(fit_intercept, "fit_intercept", func)
    max_iter, tol = _cd_args(max_iter, tol, func)
    Xc, yc, x_mean, y_mean = _center(X, y, fit_intercept)
    w = _coordinate_descent(Xc, yc, alpha * rho, alpha * (1.0 - rho), max_iter, tol, func)
    intercept = float(y_mean - x_mean @ w) if fit_intercept else 0.0
    return w, intercept


# --------------------------------------------------------------------------------------------
# bias-variance
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BiasVariance:
    r"""Result of :func:`bias_variance`; every field is an array over the test points.

    Iterating gives ``(bias2, variance, noise)``, so ``b2, var, noise = bias_variance(...)``
    works.

    Attributes
    ----------
    bias2:
        :math:`(\bar f(x) - f(x))^2` with :math:`\bar f(x)` the mean prediction over datasets.
    variance:
        :math:`\frac1D\sum_d (\hat f_d(x) - \bar f(x))^2` (``ddof=0``).
    noise:
        :math:`\sigma^2` at every point.
    test_mse:
        Monte Carlo estimate of the expected test error :math:`\mathbb E[(y_0 - \hat f(x))^2]`,
        with a **fresh** label :math:`y_0 = f(x) + \varepsilon_0` for every dataset.
    test_mse_se:
        Its standard error (the standard deviation of the squared errors over datasets
        divided by :math:`\sqrt D`).
    mean_prediction:
        :math:`\bar f(x)`.
    predictions:
        ``(n_datasets, n_test)`` array of all predictions :math:`\hat f_d(x)` (for the
        "spaghetti" plot).
    """

    bias2: np.ndarray
    variance: np.ndarray
    noise: np.ndarray
    test_mse: np.ndarray
    test_mse_se: np.ndarray
    mean_prediction: np.ndarray
    predictions: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        yield from (self.bias2, self.variance, self.noise)

    @property
    def total(self) -> np.ndarray:
        """``bias2 + variance + noise``, the expected test error that the decomposition predicts."""
        return self.bias2 + self.variance + self.noise


def bias_variance(
    fit: Callable[[np.ndarray, np.ndarray], Any],
    predict: Callable[[Any, np.ndarray], Any],
    true_fn: Callable[[np.ndarray], Any],
    x_test: Any,
    noise_std: float,
    n_train: int,
    n_datasets: int,
    rng: Any = None,
    x_sampler: Callable[[int, np.random.Generator], Any] | None = None,
) -> BiasVariance:
    r"""Monte Carlo bias-variance decomposition of the squared test error, per test point.

    For :math:`d = 1, \dots, D` (``n_datasets``) a training set of ``n_train`` points is drawn,
    :math:`y = f(x) + \varepsilon` with :math:`\varepsilon \sim \mathcal N(0, \sigma^2)`, a model
    is fitted and evaluated on ``x_test``. With :math:`\bar f(x) = \frac1D\sum_d \hat f_d(x)`:

    .. math::

        \mathbb E_{\mathcal D, \varepsilon_0}\big[(y_0 - \hat f(x))^2\big]
        = \underbrace{(\bar f(x) - f(x))^2}_{\text{bias}^2}
        + \underbrace{\mathbb E_{\mathcal D}\big[(\hat f(x) - \bar f(x))^2\big]}_{\text{variance}}
        + \underbrace{\sigma^2}_{\text{noise}},

    where :math:`y_0 = f(x) + \varepsilon_0` is a **fresh** test label. The cross terms vanish
    because :math:`\varepsilon_0` is independent of the fitted :math:`\hat f` and has mean 0, and
    because :math:`\mathbb E_{\mathcal D}[\hat f(x) - \bar f(x)] = 0`; for a training label the
    first cross term does not vanish (the fit has absorbed part of its noise: that is the
    optimism of training error). The bias is :math:`\bar f(x) - f(x)`, an average over
    training sets, not a training error. For the simulated predictions
    ``mean((predictions - f)**2, axis=0) == bias2 + variance`` holds exactly (``ddof=0``);
    ``test_mse`` estimates the left side independently, with fresh test noise, so
    ``test_mse ≈ bias2 + variance + noise`` within a few ``test_mse_se``.

    Parameters
    ----------
    fit:
        ``fit(x_train, y_train) -> model`` (``x_train`` has the layout of ``x_test``).
    predict:
        ``predict(model, x_test) -> predictions`` of shape ``(n_test,)``.
    true_fn:
        The regression function :math:`f`, vectorised: ``true_fn(x)`` has shape ``(len(x),)``.
    x_test:
        ``(n_test,)`` or ``(n_test, d)`` test inputs.
    noise_std:
        :math:`\sigma \ge 0`.
    n_train:
        Training-set size, >= 1.
    n_datasets:
        Number :math:`D \ge 2` of training sets.
    rng:
        ``numpy.random.Generator``, int seed or None.
    x_sampler:
        ``x_sampler(n_train, rng) -> x_train``. Default: uniform on the range of ``x_test``
        (per coordinate), redrawn for every dataset. For a fixed design pass
        ``lambda n, rng: x_fixed``.

    Returns
    -------
    BiasVariance
        ``bias2``, ``variance``, ``noise``, ``test_mse``, ``test_mse_se``,
        ``mean_prediction``, ``predictions``.
    """
    func = "bias_variance"
    for name, f in (("fit", fit), ("predict", predict), ("true_fn", true_fn)):
        if not callable(f):
            raise TypeError(f"{func}: {name} must be callable, got {type(f).__name__}")
    x_test = as_float_array(x_test, "x_test", func, ndim=(1, 2))
    if x_test.shape[0] == 0:
        raise ValueError(f"{func}: x_test must contain at least one point, got shape {x_test.shape}")
    sigma = as_real(noise_std, "noise_std", func, nonnegative=True)
    n_train = as_int(n_train, "n_train", func, minimum=1)
    n_datasets = as_int(n_datasets, "n_datasets", func, minimum=2)
    gen = as_rng(rng, func)
    if x_sampler is None:
        lo, hi = x_test.min(axis=0), x_test.max(axis=0)
        shape = (n_train,) + x_test.shape[1:]

        def x_sampler(n: int, g: np.random.Generator) -> np.ndarray:
            return g.uniform(lo, hi, size=shape)

    elif not callable(x_sampler):
        raise TypeError(f"{func}: x_sampler must be callable or None, got {type(x_sampler).__name__}")

    n_test = x_test.shape[0]
    f_test = as_float_array(true_fn(x_test), "true_fn(x_test)", func)
    if f_test.shape != (n_test,):
        raise ValueError(f"{func}: true_fn(x_test) must have shape ({n_test},), got {f_test.shape}")
    preds = np.empty((n_datasets, n_test))
    sq_err = np.empty((n_datasets, n_test))
    for d in range(n_datasets):
        x_tr = as_float_array(x_sampler(n_train, gen), "x_sampler(n_train, rng)", func)
        f_tr = as_float_array(true_fn(x_tr), "true_fn(x_train)", func)
        if f_tr.shape != (x_tr.shape[0],):
            raise ValueError(f"{func}: true_fn(x_train) must have shape ({x_tr.shape[0]},), got {f_tr.shape}")
        y_tr = f_tr + sigma * gen.standard_normal(f_tr.shape)
        pred = as_float_array(predict(fit(x_tr, y_tr), x_test), "predict(model, x_test)", func)
        if pred.shape != (n_test,):
            raise ValueError(f"{func}: predict(model, x_test) must have shape ({n_test},), got {pred.shape}")
        preds[d] = pred
        y0 = f_test + sigma * gen.standard_normal(n_test)  # fresh test labels
        sq_err[d] = (y0 - pred) ** 2
    mean_pred = preds.mean(axis=0)
    return BiasVariance(
        bias2=(mean_pred - f_test) ** 2,
        variance=preds.var(axis=0),
        noise=np.full(n_test, sigma**2),
        test_mse=sq_err.mean(axis=0),
        test_mse_se=sq_err.std(axis=0, ddof=1) / np.sqrt(n_datasets),
        mean_prediction=mean_pred,
        predictions=preds,
    )


# --------------------------------------------------------------------------------------------
# early stopping
# --------------------------------------------------------------------------------------------


def _is_module(obj: Any) -> bool:
    from dlnotes.nn.module import Module

    if isinstance(obj, Module):
        return True
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, torch.nn.Module)


class EarlyStopping:
    r"""Stop training when a validation metric has not improved for ``patience`` evaluations.

    Call :meth:`step` once per evaluation with the validation value (and, optionally, the
    parameters). A value **improves** if it is below ``best_value - min_delta`` (``mode="min"``,
    e.g. a loss) or above ``best_value + min_delta`` (``mode="max"``, e.g. an accuracy); the
    first finite value always does. Each non-improving value increments a counter that an
    improvement resets to 0, and :meth:`step` returns True (stop) once the counter reaches
    ``patience``. Stopping at the first increase would be ``patience=1``; validation curves are
    noisy, so a larger patience plus restoring the **best** parameters, not the last ones, is
    the usual recipe. Steps are numbered from 0. Example: the losses 1.0, 0.8, 0.7, 0.72, 0.71,
    0.75, 0.69 with ``patience=3`` stop at step 5, with ``best_step == 2``.

    Why it regularises: after :math:`t` steps of size :math:`\eta` with gradients bounded by
    :math:`\tau` the weights are within :math:`\eta t \tau` of their initialisation; on a
    quadratic, stopping after :math:`t` steps acts like an L2 penalty with
    :math:`\alpha \approx 1/(\eta t)` (Goodfellow et al. 2016, §7.8).

    PyTorch has no built-in equivalent; Keras' ``EarlyStopping(patience, min_delta, mode,
    restore_best_weights=True)`` uses the same rule. Once the stop has been signalled the object
    is frozen: later calls are recorded in ``history`` but change nothing and return True.

    Parameters
    ----------
    patience:
        Number of consecutive non-improving evaluations that triggers the stop, an int >= 1.
    min_delta:
        Smallest change that counts as an improvement, >= 0 (default 0).
    mode:
        ``"min"`` (default) or ``"max"``.

    Attributes
    ----------
    best_value:
        Best value so far (``inf`` for ``"min"``, ``-inf`` for ``"max"`` before any improvement).
    best_step:
        0-based index of the step that gave ``best_value`` (None before).
    best_params:
        Deep copy of the parameters passed with the best value (None if none were passed at
        that step): a list of arrays (or tensors), or a state dict for a module.
    counter:
        Number of consecutive non-improving steps.
    history:
        All values passed to :meth:`step`.
    stopped:
        True once :meth:`step` has returned True.
    """

    def __init__(self, patience: int, min_delta: float = 0.0, mode: str = "min") -> None:
        func = "EarlyStopping"
        self.patience = as_int(patience, "patience", func, minimum=1)
        self.min_delta = as_real(min_delta, "min_delta", func, nonnegative=True)
        self.mode = check_choice(mode, "mode", func, ("min", "max"))
        self.best_value = np.inf if self.mode == "min" else -np.inf
        self.best_step: int | None = None
        self.best_params: Any = None
        self.counter = 0
        self.history: list[float] = []
        self.stopped = False
        self._kind: str | None = None

    def _improves(self, value: float) -> bool:
        if not np.isfinite(value):
            return False
        if self.best_step is None:
            return True
        if self.mode == "min":
            return value < self.best_value - self.min_delta
        return value > self.best_value + self.min_delta

    @staticmethod
    def _snapshot(params: Any) -> Any:
        from dlnotes.nn.module import Module, Parameter

        if _is_module(params):
            state = params.state_dict()
            return ("module", copy.deepcopy(state) if not isinstance(params, Module) else state)
        if isinstance(params, (Parameter, np.ndarray)) or hasattr(params, "detach"):
            params = [params]
        try:
            items = list(params)
        except TypeError:
            raise TypeError(
                "EarlyStopping.step: params must be a Module, a torch.nn.Module or an iterable of "
                f"Parameters, arrays or tensors, got {type(params).__name__}"
            ) from None
        out = []
        for i, p in enumerate(items):
            if isinstance(p, Parameter):
                out.append(p.data.copy())
            elif isinstance(p, np.ndarray):
                out.append(p.copy())
            elif hasattr(p, "detach") and hasattr(p, "clone"):  # a torch tensor
                out.append(p.detach().clone())
            else:
                raise TypeError(
                    f"EarlyStopping.step: params[{i}] must be a Parameter, a numpy array or a torch tensor, "
                    f"got {type(p).__name__}"
                )
        return ("list", out)

    def step(self, value: float, params: Any = None) -> bool:
        """Record ``value``; copy ``params`` if it is the best so far; return True if training should stop.

        ``params`` may be a :class:`dlnotes.nn.Module` or a ``torch.nn.Module`` (its
        ``state_dict()``, buffers included, is copied), or an iterable of
        :class:`~dlnotes.nn.Parameter`, numpy arrays or torch tensors (their values are
        copied). A NaN or infinite ``value`` never counts as an improvement.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            try:
                value = float(value)  # 0-d arrays and tensors
            except (TypeError, ValueError):
                raise TypeError(
                    f"EarlyStopping.step: value must be a real number, got {type(value).__name__}"
                ) from None
        value = float(value)
        k = len(self.history)
        self.history.append(value)
        if self.stopped:  # frozen after the stop signal: the checkpoint stays the one that triggered it
            return True
        if self._improves(value):
            self.best_value, self.best_step, self.counter = value, k, 0
            if params is None:
                self.best_params, self._kind = None, None
            else:
                self._kind, self.best_params = self._snapshot(params)
        else:
            self.counter += 1
        if self.counter >= self.patience:
            self.stopped = True
        return self.stopped

    def restore(self, params: Any) -> None:
        """Copy the best parameters back into ``params`` in place (the same kind of object as saved).

        Raises
        ------
        RuntimeError
            If no parameters were saved (``step`` was never given ``params`` at an improvement).
        ValueError
            If ``params`` does not have as many entries, or the same shapes, as the saved copy.
        """
        func = "EarlyStopping.restore"
        if self.best_params is None:
            raise RuntimeError(f"{func}: no parameters were saved; pass params to step() to enable restoring")
        if _is_module(params):
            if self._kind != "module":
                raise TypeError(f"{func}: a list of parameters was saved, got a module")
            params.load_state_dict(self.best_params)
            return
        if self._kind != "list":
            raise TypeError(f"{func}: a module's state dict was saved, got {type(params).__name__}")
        from dlnotes.nn.module import Parameter

        if isinstance(params, (Parameter, np.ndarray)) or hasattr(params, "detach"):
            params = [params]
        items = list(params)
        if len(items) != len(self.best_params):
            raise ValueError(f"{func}: params must have {len(self.best_params)} entries, got {len(items)}")
        for i, (p, saved) in enumerate(zip(items, self.best_params)):
            target = p.data if isinstance(p, Parameter) else p
            if tuple(target.shape) != tuple(saved.shape):
                raise ValueError(
                    f"{func}: params[{i}] must have shape {tuple(saved.shape)}, got {tuple(target.shape)}"
                )
            if isinstance(target, np.ndarray):
                target[...] = np.asarray(saved)
            else:  # torch tensor
                import torch

                with torch.no_grad():
                    target.copy_(torch.as_tensor(saved))


# --------------------------------------------------------------------------------------------
# label smoothing
# --------------------------------------------------------------------------------------------


def _class_labels(y: Any, n_classes: int, func: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{func}: y must be an array of integer class indices, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise ValueError(f"{func}: y must contain integer class indices, got non-integer values")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(
            f"{func}: y must contain class indices in [0, n_classes) = [0, {n_classes}), "
            f"got values in [{arr.min()}, {arr.max()}]"
        )
    return arr


def smooth_labels(y: Any, n_classes: int, eps: float, convention: str = "uniform") -> np.ndarray:
    r"""Label-smoothed target distributions, in PyTorch's convention by default.

    ``convention="uniform"`` (PyTorch's ``F.cross_entropy(..., label_smoothing=eps)``, Keras,
    Szegedy et al. 2016): mix the one-hot target with the uniform distribution over all
    :math:`K` classes,

    .. math:: t = (1 - \varepsilon)\,\mathrm{onehot}(y) + \varepsilon / K,

    so the true class gets :math:`1 - \varepsilon + \varepsilon/K` and every other class
    :math:`\varepsilon/K` (:math:`K = 4, \varepsilon = 0.1`: 0.925 and 0.025). The cross-entropy
    against these targets equals PyTorch's smoothed loss.

    ``convention="goodfellow"`` (Goodfellow et al. 2016, §7.5.1): the true class gets
    :math:`1 - \varepsilon` and each other class :math:`\varepsilon/(K-1)` (0.9 and 0.0333).
    Goodfellow's targets for :math:`\varepsilon` are the uniform convention's targets for
    :math:`\varepsilon K/(K - 1)`.

    Parameters
    ----------
    y:
        ``(N,)`` integer class indices in ``[0, n_classes)``, or (uniform convention only) an
        ``(N, n_classes)`` array of target probabilities, smoothed as
        :math:`(1-\varepsilon)\,t + \varepsilon/K` as PyTorch does.
    n_classes:
        :math:`K \ge 1` (:math:`\ge 2` for ``"goodfellow"``).
    eps:
        :math:`\varepsilon \in [0, 1]`.
    convention:
        ``"uniform"`` (default, PyTorch) or ``"goodfellow"``.

    Returns
    -------
    numpy.ndarray
        ``(N, n_classes)`` float64 targets; each row sums to 1 (for probability inputs).
    """
    func = "smooth_labels"
    K = as_int(n_classes, "n_classes", func, minimum=1)
    eps = as_real(eps, "eps", func)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"{func}: eps must be in [0, 1], got {eps}")
    convention = check_choice(convention, "convention", func, ("uniform", "goodfellow"))
    if np.ndim(y) == 2:
        if convention != "uniform":
            raise ValueError(f"{func}: probability targets (2-D y) are only supported with convention='uniform'")
        t = as_float_array(y, "y", func)
        if t.shape[1] != K:
            raise ValueError(f"{func}: 2-D y must have shape (N, n_classes) = (N, {K}), got {t.shape}")
        return (1.0 - eps) * t + eps / K
    if np.ndim(y) != 1:
        raise ValueError(f"{func}: y must be 1-D class indices or 2-D probabilities, got {np.ndim(y)}-D")
    labels = _class_labels(y, K, func)
    onehot = np.zeros((labels.shape[0], K))
    onehot[np.arange(labels.shape[0]), labels] = 1.0
    if convention == "uniform":
        return (1.0 - eps) * onehot + eps / K
    if K < 2:
        raise ValueError(f"{func}: convention='goodfellow' needs n_classes >= 2, got {K}")
    return (1.0 - eps) * onehot + (eps / (K - 1)) * (1.0 - onehot)


# --------------------------------------------------------------------------------------------
# class imbalance
# --------------------------------------------------------------------------------------------


def _counts(counts: Any, func: str) -> np.ndarray:
    n = as_float_array(counts, "counts", func, ndim=1)
    if n.size == 0:
        raise ValueError(f"{func}: counts must contain at least one class, got an empty array")
    if np.any(n <= 0):
        raise ValueError(
            f"{func}: counts must all be > 0 (a class without examples has no finite weight or log-frequency), "
            f"got {n.tolist()}"
        )
    return n


def class_weights(
    counts: Any, scheme: str = "inverse", beta: float = 0.999, normalize: bool = True
) -> np.ndarray:
    r"""Per-class loss weights from the class counts :math:`n_c`, for imbalanced classification.

    Unnormalised weights:

    * ``"inverse"``: :math:`1/n_c`;
    * ``"inverse_sqrt"``: :math:`1/\sqrt{n_c}` (a milder correction);
    * ``"effective"`` (Cui et al. 2019): :math:`1/E_{n_c}` with the effective number of samples
      :math:`E_n = (1 - \beta^n)/(1 - \beta)`, i.e. :math:`(1 - \beta)/(1 - \beta^{n_c})`. With
      :math:`\beta = 0` all weights are equal; as :math:`\beta \to 1` they approach
      :math:`1/n_c`;
    * ``"balanced"`` (scikit-learn's ``compute_class_weight("balanced")``): :math:`N/(K n_c)`
      with :math:`N = \sum_c n_c`. It is never renormalised (``normalize`` is ignored), so it
      equals scikit-learn's weights exactly: for counts [332, 27, 21, 20, 5, 5] the class with
      20 samples gets 410/120 = 3.41667.

    **Normalisation** (``normalize=True``, the default, as Cui et al.): the weights are rescaled
    to sum to the number of classes :math:`K`, :math:`\sum_c w_c = K` (so uniform weights are
    all 1). scikit-learn's ``compute_class_weight("balanced")`` is :math:`N/(K n_c)` with
    :math:`N = \sum_c n_c`: proportional to ``"inverse"``, and equal to
    ``N / K * class_weights(counts, "inverse", normalize=False)``. Pass the result as
    ``torch.nn.CrossEntropyLoss(weight=...)``; note that its weighted mean divides by
    :math:`\sum_i w_{y_i}`, not by :math:`N`.

    Parameters
    ----------
    counts:
        ``(K,)`` positive class counts (or frequencies).
    scheme:
        ``"inverse"`` (default), ``"inverse_sqrt"``, ``"effective"`` or ``"balanced"``.
    beta:
        :math:`\beta \in [0, 1)` for ``"effective"`` (default 0.999; ignored otherwise).
    normalize:
        Rescale to :math:`\sum_c w_c = K` (default True).

    Returns
    -------
    numpy.ndarray
        ``(K,)`` weights.

    Examples
    --------
    >>> class_weights([332, 27, 21, 20, 5, 5], "effective", beta=0.9).round(3)
    array([0.652, 0.692, 0.732, 0.742, 1.591, 1.591])
    """
    func = "class_weights"
    n = _counts(counts, func)
    scheme = check_choice(scheme, "scheme", func, ("inverse", "inverse_sqrt", "effective", "balanced"))
    beta = as_real(beta, "beta", func)
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"{func}: beta must be in [0, 1), got {beta}")
    normalize = _check_bool(normalize, "normalize", func)
    if scheme == "balanced":
        return n.sum() / (n.size * n)
    if scheme == "inverse":
        w = 1.0 / n
    elif scheme == "inverse_sqrt":
        w = 1.0 / np.sqrt(n)
    elif beta == 0.0:
        w = np.ones_like(n)
    else:
        w = (1.0 - beta) / -np.expm1(n * np.log(beta))  # 1 - beta**n, accurately for beta near 1
    if normalize:
        w = w * (n.size / w.sum())
    return w


def prior_bias(counts: Any, kind: str = "softmax") -> np.ndarray | float:
    r"""Output-bias initialisation at the log class priors, so the untrained model predicts the class frequencies.

    ``kind="softmax"``: :math:`b_c = \log(n_c / N)`, :math:`N = \sum_c n_c`, so that
    :math:`\mathrm{softmax}(b) = (n_c/N)_c`. Any :math:`b_c + C` works as well (softmax is
    shift-invariant); this fixes :math:`C = 0`. With the last layer's weights at (or near) 0
    the initial cross-entropy is then the entropy of the class prior instead of :math:`\log K`,
    and the first training steps are not spent learning the class frequencies. Example:
    counts (332, 27, 21, 20, 5, 5) give :math:`b \approx (-0.2110, -2.7203, -2.9716, -3.0204,
    -4.4067, -4.4067)`; the majority class gets the largest bias.

    ``kind="sigmoid"`` (one logit, binary): ``counts = (n_neg, n_pos)`` gives the prior
    log-odds :math:`b = \log(n_\text{pos}/n_\text{neg})`, so :math:`\sigma(b) = n_\text{pos}/N`
    (10 positives and 990 negatives: :math:`b \approx -4.5951`). This is the "prior
    probability" initialisation of Lin et al. (2017).

    In PyTorch: ``layer.bias.data = torch.tensor(prior_bias(counts))``.

    Parameters
    ----------
    counts:
        ``(K,)`` positive class counts.
    kind:
        ``"softmax"`` (default) or ``"sigmoid"`` (then ``K`` must be 2).

    Returns
    -------
    numpy.ndarray or float
        ``(K,)`` biases, or one float for ``"sigmoid"``.
    """
    func = "prior_bias"
    n = _counts(counts, func)
    kind = check_choice(kind, "kind", func, ("softmax", "sigmoid"))
    if kind == "sigmoid":
        if n.size != 2:
            raise ValueError(f"{func}: kind='sigmoid' needs counts = (n_neg, n_pos), got {n.size} counts")
        return float(np.log(n[1] / n[0]))
    return np.log(n / n.sum())


def smote(
    X_minority: Any, n_new: int, k: int = 5, rng: Any = None, return_indices: bool = False
) -> Any:
    r"""SMOTE (Chawla et al. 2002): synthetic minority points on segments between minority neighbours.

    Each synthetic point is made by drawing a minority point :math:`x_i` uniformly, one of its
    ``k`` nearest neighbours :math:`x_j` **among the minority points** (Euclidean distance,
    :math:`x_i` itself excluded) uniformly, and :math:`\lambda \sim U[0, 1)`:

    .. math:: x_\text{new} = x_i + \lambda\,(x_j - x_i).

    So the new points interpolate between existing minority points instead of copying them
    (random oversampling), and no majority point is used. The equivalent in
    ``imbalanced-learn`` is ``SMOTE(k_neighbors=k)``, which returns the original data plus the
    new points and draws with a different random stream.

    Parameters
    ----------
    X_minority:
        ``(n_minority, n_features)`` points of the minority class, ``n_minority >= 2``.
    n_new:
        Number of synthetic points, >= 0.
    k:
        Number of nearest neighbours, ``1 <= k <= n_minority - 1`` (default 5).
    rng:
        ``numpy.random.Generator``, int seed or None.
    return_indices:
        If True also return ``base``, ``neighbor`` (row indices into ``X_minority``) and
        ``lam``, with ``X_new = X[base] + lam[:, None] * (X[neighbor] - X[base])``.

    Returns
    -------
    numpy.ndarray or tuple
        ``X_new`` of shape ``(n_new, n_features)``; or ``(X_new, base, neighbor, lam)``.
    """
    func = "smote"
    X = as_float_array(X_minority, "X_minority", func, ndim=2)
    n_min = X.shape[0]
    if n_min < 2:
        raise ValueError(f"{func}: X_minority must have at least 2 points to interpolate, got {n_min}")
    n_new = as_int(n_new, "n_new", func, minimum=0)
    k = as_int(k, "k", func, minimum=1)
    if k > n_min - 1:
        raise ValueError(
            f"{func}: k must be at most n_minority - 1 = {n_min - 1} (each point's neighbours exclude itself), got {k}"
        )
    return_indices = _check_bool(return_indices, "return_indices", func)
    gen = as_rng(rng, func)
    sq = np.einsum("ij,ij->i", X, X)
    d2 = sq[:, None] + sq[None, :] - 2.0 * X @ X.T  # squared distances, as scikit-learn computes them
    np.fill_diagonal(d2, np.inf)
    neighbours = np.argsort(d2, axis=1, kind="stable")[:, :k]  # (n_min, k)
    base = gen.integers(n_min, size=n_new)
    neighbor = neighbours[base, gen.integers(k, size=n_new)]
    lam = gen.random(n_new)
    X_new = X[base] + lam[:, None] * (X[neighbor] - X[base])
    if return_indices:
        return X_new, base, neighbor, lam
    return X_new

