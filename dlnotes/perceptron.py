r"""Threshold units, perceptron learning, networks of perceptrons, sigmoid neurons and towers.

Companion code of chapter 03, "Perceptrons and representation power".

Conventions used throughout this module (the chapter states them once and every function
follows them):

* **Threshold rule.** A threshold unit with weights :math:`\mathbf w` and bias :math:`b` *fires*
  (outputs 1) iff :math:`\mathbf w^\top \mathbf x + b \ge 0` (``rule=">="``, the default).
  ``rule=">"`` (fire iff :math:`\mathbf w^\top \mathbf x + b > 0`) is available for comparison.
  The bias is the negative threshold, :math:`b = -\theta`: a larger bias makes the unit fire
  more readily.
* **Encodings.** Boolean inputs are in :math:`\{0, 1\}` unless a function says
  :math:`\{-1, +1\}`; truth tables list their rows in the order of
  ``itertools.product(values, repeat=n)`` (first input most significant), as produced by
  :func:`dlnotes.data.boolean_inputs`. Threshold units output 0/1.
* **Perceptron labels** are :math:`y \in \{-1, +1\}`; a point is a *mistake* iff
  :math:`y\,(\mathbf w^\top \mathbf x + b) \le 0` (so the all-zero start counts as a mistake).
* **Sigmoid.** :math:`\sigma(z) = 1 / (1 + e^{-z})` maps :math:`\mathbb R` onto the *open*
  interval :math:`(0, 1)`; it is imported from :mod:`dlnotes.numerics` (overflow-safe).
* All arrays are float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

import numpy as np
from scipy.optimize import linprog

from dlnotes._validation import (
    as_float_array,
    as_int,
    as_real,
    as_rng,
    check_choice,
    check_pm1_labels,
    check_same_length,
)
from dlnotes.data import boolean_inputs
from dlnotes.numerics import sigmoid

if TYPE_CHECKING:  # torch is imported lazily, only by ShallowSigmoidNet.to_torch
    import torch

__all__ = [
    # threshold units and boolean functions
    "step",
    "threshold_unit",
    "mcculloch_pitts",
    "count_boolean_functions",
    "is_linearly_separable",
    "separating_hyperplane",
    "cover_count",
    # perceptron learning
    "PerceptronUpdate",
    "PerceptronResult",
    "perceptron_fit",
    "perceptron_predict",
    "pocket_perceptron",
    "novikoff_quantities",
    "novikoff_bound",
    # networks of threshold units
    "ThresholdNetwork",
    "xor_network",
    "boolean_network",
    "parity_network",
    # linear collapse
    "collapse_affine",
    "best_affine_fit",
    # sigmoid neurons
    "sigmoid_neuron",
    "sigmoid_neuron_loss_and_grad",
    "fit_sigmoid_neuron",
    # towers and universal approximation
    "tower",
    "ShallowSigmoidNet",
    "tower_approximation",
    "tower_error_bound",
    "tower_2d",
    "tower_network_2d",
]

_RULES = (">=", ">")


# ---------------------------------------------------------------------------------------------
# small private helpers
# ---------------------------------------------------------------------------------------------


def _check_rule(rule: Any, func: str) -> str:
    if not isinstance(rule, str):
        raise TypeError(f"{func}: rule must be one of {_RULES}, got {type(rule).__name__}")
    return check_choice(rule, "rule", func, _RULES)


def _fires(z: np.ndarray, rule: str) -> np.ndarray:
    """0/1 float array: ``z >= 0`` or ``z > 0`` (no validation)."""
    return (z >= 0.0 if rule == ">=" else z > 0.0).astype(float)


def _as_2d(X: Any, name: str, func: str, n_cols: int | None = None, min_rows: int = 1) -> np.ndarray:
    """Float64 2-D array with at least ``min_rows`` rows (and ``n_cols`` columns if given)."""
    X = as_float_array(X, name, func, ndim=2)
    if X.shape[0] < min_rows:
        raise ValueError(f"{func}: {name} must have at least {min_rows} row(s), got shape {X.shape}")
    if n_cols is not None and X.shape[1] != n_cols:
        raise ValueError(f"{func}: {name} must have shape (n_samples, {n_cols}), got shape {X.shape}")
    return X


def _as_vector(v: Any, name: str, func: str, length: int | None = None, what: str = "") -> np.ndarray:
    """Float64 1-D array, optionally of a given length (``what`` explains the length)."""
    v = as_float_array(v, name, func, ndim=1)
    if length is not None and v.shape[0] != length:
        why = f" ({what})" if what else ""
        raise ValueError(f"{func}: {name} must have shape ({length},){why}, got shape {v.shape}")
    return v


def _labels_to_signs(y: np.ndarray, func: str) -> np.ndarray:
    """Map labels in {-1, +1} or {0, 1} to signs s in {-1, +1}; raise on anything else."""
    if np.all(np.isin(y, (-1.0, 1.0))):
        return y.copy()
    if np.all(np.isin(y, (0.0, 1.0))):
        return 2.0 * y - 1.0
    bad = np.unique(y[~np.isin(y, (-1.0, 0.0, 1.0))])[:5].tolist()
    detail = f"value(s) {bad}" if bad else "a mix of 0 and -1"
    raise ValueError(f"{func}: y must contain labels in {{-1, +1}} or in {{0, 1}}, got {detail}")


def _check_callable(f: Any, name: str, func: str) -> None:
    if not callable(f):
        raise TypeError(f"{func}: {name} must be callable, got {type(f).__name__}")


def _check_interval(lo: float, hi: float, lo_name: str, hi_name: str, func: str) -> None:
    if not lo < hi:
        raise ValueError(f"{func}: {lo_name} must be < {hi_name}, got {lo_name}={lo} and {hi_name}={hi}")


def _as_limits(lim: Any, name: str, func: str) -> tuple[float, float]:
    arr = as_float_array(lim, name, func, ndim=1)
    if arr.shape != (2,):
        raise ValueError(f"{func}: {name} must be a pair (low, high), got shape {arr.shape}")
    _check_interval(float(arr[0]), float(arr[1]), f"{name}[0]", f"{name}[1]", func)
    return float(arr[0]), float(arr[1])


# ---------------------------------------------------------------------------------------------
# threshold units and boolean functions
# ---------------------------------------------------------------------------------------------


def step(z: Any, rule: str = ">=") -> np.ndarray:
    r"""Heaviside step function with a pinned value at zero.

    .. math::

        \operatorname{step}(z) = \begin{cases} 1 & z \ge 0 \\ 0 & z < 0 \end{cases}
        \quad (\texttt{rule=">="}), \qquad
        \operatorname{step}(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}
        \quad (\texttt{rule=">"}).

    The two rules differ only at :math:`z = 0`; the book uses ``">="`` throughout. Equivalent to
    ``np.heaviside(z, 1.0)`` / ``np.heaviside(z, 0.0)`` and to ``torch.heaviside`` with the same
    value at zero.

    Parameters
    ----------
    z : array_like
        Pre-activations, any shape (finite).
    rule : {">=", ">"}
        Value at zero: 1 for ``">="``, 0 for ``">"``.

    Returns
    -------
    numpy.ndarray
        Float array of 0.0/1.0 with the shape of ``z``.
    """
    rule = _check_rule(rule, "step")
    z = as_float_array(z, "z", "step")
    return _fires(z, rule)


def threshold_unit(X: Any, w: Any, b: float, rule: str = ">=") -> np.ndarray:
    r"""Output of one threshold unit (a perceptron with 0/1 output) on every row of ``X``.

    .. math:: h(\mathbf x) = \operatorname{step}(\mathbf w^\top \mathbf x + b)

    The bias is the negative threshold (:math:`b = -\theta`). Example on :math:`\{0,1\}^2` with
    ``">="``: AND is :math:`\mathbf w = (1, 1), b = -1.5`; OR is :math:`(1, 1), -0.5`; NAND is
    :math:`(-1, -1), 1.5`.

    Parameters
    ----------
    X : array_like, shape (n_samples, d)
    w : array_like, shape (d,)
    b : float
    rule : {">=", ">"}
        Fire iff :math:`\mathbf w^\top\mathbf x + b \ge 0` (default) or :math:`> 0`.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        0.0/1.0 outputs.
    """
    func = "threshold_unit"
    rule = _check_rule(rule, func)
    X = _as_2d(X, "X", func, min_rows=0)
    w = _as_vector(w, "w", func, X.shape[1], "one weight per column of X")
    b = as_real(b, "b", func)
    return _fires(X @ w + b, rule)


def mcculloch_pitts(X: Any, threshold: float, inhibitory: Any = None) -> np.ndarray:
    r"""McCulloch–Pitts unit (1943): binary inputs, unit weights, absolute inhibition.

    With excitatory inputs :math:`E` and inhibitory inputs :math:`I`,

    .. math::

        y = \begin{cases} 1 & \sum_{j \in E} x_j \ge \theta \text{ and } x_j = 0
            \ \forall j \in I \\ 0 & \text{otherwise.} \end{cases}

    AND of :math:`n` inputs is :math:`\theta = n`, OR is :math:`\theta = 1`, and NOT :math:`x` is
    :math:`\theta = 0` with :math:`x` inhibitory. Any active inhibitory input vetoes firing.

    Parameters
    ----------
    X : array_like, shape (n_samples, n)
        Inputs in :math:`\{0, 1\}`.
    threshold : float
        The threshold :math:`\theta` (compared with ``>=``).
    inhibitory : iterable of int, optional
        Column indices (``0 <= j < n``) of the inhibitory inputs; all other columns are
        excitatory.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        0.0/1.0 outputs.
    """
    func = "mcculloch_pitts"
    X = _as_2d(X, "X", func, min_rows=0)
    bad = ~np.isin(X, (0.0, 1.0))
    if bad.any():
        raise ValueError(
            f"{func}: X must contain only binary inputs 0 and 1, got value(s) {np.unique(X[bad])[:5].tolist()}"
        )
    threshold = as_real(threshold, "threshold", func)
    n = X.shape[1]
    inhib = np.zeros(n, dtype=bool)
    if inhibitory is not None:
        if isinstance(inhibitory, (str, bytes)) or not hasattr(inhibitory, "__iter__"):
            raise TypeError(f"{func}: inhibitory must be an iterable of column indices, got {type(inhibitory).__name__}")
        for j in inhibitory:
            if isinstance(j, (bool, np.bool_)) or not isinstance(j, Integral):
                raise TypeError(f"{func}: inhibitory must contain int column indices, got {type(j).__name__}")
            if not 0 <= int(j) < n:
                raise ValueError(f"{func}: inhibitory indices must be in [0, {n}) for X with {n} columns, got {int(j)}")
            inhib[int(j)] = True
    excitation = X[:, ~inhib].sum(axis=1)
    vetoed = X[:, inhib].any(axis=1)
    return ((excitation >= threshold) & ~vetoed).astype(float)


def count_boolean_functions(n: int) -> int:
    r"""Number of boolean functions of ``n`` inputs, :math:`2^{2^n}` (an exact Python int).

    There are :math:`2^n` input rows and each row's output can be chosen independently:
    4 functions for :math:`n = 1`, 16 for :math:`n = 2`, 256 for :math:`n = 3`.
    (:math:`2^n` is the number of *rows*, not of functions.)
    """
    n = as_int(n, "n", "count_boolean_functions", minimum=0)
    return 2 ** (2**n)


def _separability_lp(X: Any, y: Any, func: str):
    """Solve the LP  s_i (x_i . w + b) >= 1  (zero objective); return the scipy result."""
    X = _as_2d(X, "X", func)
    y = _as_vector(y, "y", func)
    check_same_length(X, y, func)
    s = _labels_to_signs(y, func)
    n, d = X.shape
    # variables v = (w, b); constraint  -s_i [x_i, 1] . v <= -1
    A_ub = -s[:, None] * np.hstack([X, np.ones((n, 1))])
    res = linprog(
        c=np.zeros(d + 1), A_ub=A_ub, b_ub=-np.ones(n), bounds=[(None, None)] * (d + 1), method="highs"
    )
    if res.status not in (0, 2):  # 0 = solved (feasible), 2 = infeasible
        raise RuntimeError(f"{func}: linprog failed with status {res.status}: {res.message}")
    return res


def is_linearly_separable(X: Any, y: Any) -> bool:
    r"""Decide exactly whether labelled points are strictly linearly separable (LP feasibility).

    The labels are linearly separable iff some :math:`(\mathbf w, b)` satisfies

    .. math:: s_i\,(\mathbf w^\top \mathbf x_i + b) \ge 1 \qquad i = 1, \dots, N,

    with :math:`s_i = \pm 1` the label signs (any strict separator can be rescaled to margin 1).
    The hyperplane lives in the input space :math:`\mathbb R^d` itself. This is a linear program
    with a zero objective, solved by ``scipy.optimize.linprog(method="highs")``. Of the
    :math:`2^{2^n}` boolean functions, 4/4 (:math:`n=1`), 14/16 (:math:`n=2`; all but XOR and
    XNOR) and 104/256 (:math:`n=3`) are separable.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,)
        Labels in :math:`\{-1, +1\}` or in :math:`\{0, 1\}` (0 is mapped to :math:`-1`).

    Returns
    -------
    bool
    """
    return bool(_separability_lp(X, y, "is_linearly_separable").status == 0)


def separating_hyperplane(X: Any, y: Any) -> tuple[np.ndarray, float] | None:
    r"""A strict separator :math:`(\mathbf w, b)` with :math:`s_i(\mathbf w^\top\mathbf x_i + b) \ge 1`, or None.

    Solves the same linear program as :func:`is_linearly_separable` and returns its solution
    (one feasible point, not the maximum-margin separator), or ``None`` when the labels are not
    linearly separable. Labels in :math:`\{-1, +1\}` or :math:`\{0, 1\}`.

    Returns
    -------
    (numpy.ndarray of shape (d,), float) or None
    """
    res = _separability_lp(X, y, "separating_hyperplane")
    if res.status != 0:
        return None
    v = np.asarray(res.x, dtype=float)
    return v[:-1].copy(), float(v[-1])


def cover_count(N: int, d: int) -> int:
    r"""Cover's function-counting theorem (1965).

    The number of dichotomies of :math:`N` points in general position in :math:`\mathbb R^d`
    that a hyperplane *through the origin* can realise is

    .. math:: C(N, d) = 2 \sum_{k=0}^{d-1} \binom{N-1}{k}.

    For affine separators in :math:`\mathbb R^n` lift the points to :math:`(\mathbf x, 1)` and
    use :math:`d = n + 1`: the 4 corners of the square give :math:`C(4, 3) = 14`, matching the 14
    separable two-input functions; the cube's vertices are *not* in general position, so
    :math:`C(8, 4) = 128` overcounts the 104 separable three-input functions.
    """
    N = as_int(N, "N", "cover_count", minimum=1)
    d = as_int(d, "d", "cover_count", minimum=1)
    return 2 * sum(math.comb(N - 1, k) for k in range(d))


# ---------------------------------------------------------------------------------------------
# perceptron learning
# ---------------------------------------------------------------------------------------------


class PerceptronUpdate(NamedTuple):
    """One perceptron update: 1-based ``epoch``, row ``index`` of the sample, and (w, b) after it."""

    epoch: int
    index: int
    w: np.ndarray
    b: float


@dataclass(frozen=True, eq=False)
class PerceptronResult:
    """Outcome of :func:`perceptron_fit` or :func:`pocket_perceptron`.

    Attributes
    ----------
    w : numpy.ndarray, shape (d,)
        Final weights (for the pocket algorithm: the pocketed weights).
    b : float
        Final bias.
    n_mistakes : int
        Total number of updates (mistakes) made during training.
    n_epochs : int
        Number of epochs run, including the final mistake-free epoch when ``converged``.
    converged : bool
        True iff training ended with an epoch without mistakes (for the pocket algorithm: iff
        the returned weights classify every training point correctly).
    history : list of PerceptronUpdate
        ``(epoch, index, w, b)`` after every update (``epoch`` is 1-based, ``index`` is the row
        of ``X``; ``w`` is a copy).
    n_errors : int or None
        Training points misclassified by ``perceptron_predict(X, w, b)`` for the returned (w, b).
    """

    w: np.ndarray
    b: float
    n_mistakes: int
    n_epochs: int
    converged: bool
    history: list = field(default_factory=list)
    n_errors: int | None = None

    def __repr__(self) -> str:
        return (
            f"PerceptronResult(w={np.array2string(self.w, precision=4)}, b={self.b:.4g}, "
            f"n_mistakes={self.n_mistakes}, n_epochs={self.n_epochs}, converged={self.converged}, "
            f"n_errors={self.n_errors}, len(history)={len(self.history)})"
        )


def _perceptron_inputs(X: Any, y: Any, max_epochs: Any, func: str) -> tuple[np.ndarray, np.ndarray, int]:
    X = _as_2d(X, "X", func)
    y = _as_vector(y, "y", func)
    check_same_length(X, y, func)
    check_pm1_labels(y, func)
    max_epochs = as_int(max_epochs, "max_epochs", func, minimum=1)
    return X, y, max_epochs


def _n_errors(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> int:
    return int(np.count_nonzero(np.where(X @ w + b > 0.0, 1.0, -1.0) != y))


def perceptron_fit(
    X: Any,
    y: Any,
    max_epochs: int = 100,
    lr: float = 1.0,
    shuffle: bool = False,
    rng: np.random.Generator | int | None = None,
) -> PerceptronResult:
    r"""Rosenblatt's perceptron learning rule, started from :math:`\mathbf w = \mathbf 0, b = 0`.

    Each epoch visits the samples in order (or, with ``shuffle=True``, in a fresh permutation
    drawn from ``rng``). Sample :math:`i` is a *mistake* iff

    .. math:: y_i\,(\mathbf w^\top \mathbf x_i + b) \le 0,

    and every mistake triggers the update

    .. math:: \mathbf w \leftarrow \mathbf w + \eta\, y_i \mathbf x_i, \qquad b \leftarrow b + \eta\, y_i.

    Training stops after the first epoch without mistakes (``converged=True``; that clean epoch is
    counted in ``n_epochs``) or after ``max_epochs`` epochs (``converged=False``). The ``<= 0``
    test matters: with a strict ``< 0`` the zero start would never be updated. The rule is
    stochastic subgradient descent with step :math:`\eta` on :math:`\max(0, -y(\mathbf w^\top
    \mathbf x + b))`.

    With the zero start the learning rate only rescales :math:`(\mathbf w, b)` by :math:`\eta`,
    so the sequence of mistakes does not depend on it (up to floating-point ties at exactly 0).
    On data separable with augmented margin :math:`\gamma` and radius :math:`R` the number of
    mistakes is at most :math:`(R/\gamma)^2` (Novikoff 1962; see :func:`novikoff_bound`). On
    non-separable data the rule never converges (e.g. on XOR it cycles).

    This reproduces ``sklearn.linear_model.Perceptron(fit_intercept=True, eta0=lr,
    shuffle=False, tol=None, penalty=None, max_iter=max_epochs)``: same ``coef_`` and
    ``intercept_`` after the same number of epochs.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,)
        Labels in :math:`\{-1, +1\}` (labels in :math:`\{0, 1\}` raise: with :math:`y = 0` the
        update is zero and the negative class is never learned).
    max_epochs : int, default 100
    lr : float, default 1.0
        Learning rate :math:`\eta > 0`.
    shuffle : bool, default False
    rng : numpy.random.Generator, int or None
        Source of the permutations when ``shuffle=True`` (unused otherwise).

    Returns
    -------
    PerceptronResult
    """
    func = "perceptron_fit"
    X, y, max_epochs = _perceptron_inputs(X, y, max_epochs, func)
    lr = as_real(lr, "lr", func, positive=True)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"{func}: shuffle must be a bool, got {type(shuffle).__name__}")
    gen = as_rng(rng, func)
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    history: list[PerceptronUpdate] = []
    n_mistakes = 0
    converged = False
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        order = gen.permutation(n) if shuffle else range(n)
        mistakes_this_epoch = 0
        for i in order:
            xi, yi = X[i], y[i]
            if yi * (xi @ w + b) <= 0.0:
                update = lr * yi
                w = w + update * xi
                b = b + update
                mistakes_this_epoch += 1
                history.append(PerceptronUpdate(epoch, int(i), w.copy(), float(b)))
        n_mistakes += mistakes_this_epoch
        if mistakes_this_epoch == 0:
            converged = True
            break
    return PerceptronResult(w, float(b), n_mistakes, epoch, converged, history, _n_errors(X, y, w, b))


def perceptron_predict(X: Any, w: Any, b: float) -> np.ndarray:
    r"""Perceptron predictions in :math:`\{-1, +1\}`.

    .. math:: \hat y(\mathbf x) = \begin{cases} +1 & \mathbf w^\top\mathbf x + b > 0 \\
              -1 & \mathbf w^\top\mathbf x + b \le 0 \end{cases}

    A point exactly on the boundary is predicted :math:`-1`. Training (:func:`perceptron_fit`)
    is stricter: it counts :math:`y(\mathbf w^\top\mathbf x + b) \le 0` as a mistake for *both*
    labels, so a boundary point is never accepted during training whatever its label. Hence a
    converged perceptron has :math:`y_i(\mathbf w^\top\mathbf x_i + b) > 0` on every training
    point and these predictions reproduce every training label. (This ±1 prediction differs from
    the 0/1 :func:`threshold_unit`, which fires *on* the boundary under the ``">="`` rule.)

    Parameters
    ----------
    X : array_like, shape (N, d)
    w : array_like, shape (d,)
    b : float

    Returns
    -------
    numpy.ndarray, shape (N,)
        -1.0/+1.0 predictions.
    """
    func = "perceptron_predict"
    X = _as_2d(X, "X", func, min_rows=0)
    w = _as_vector(w, "w", func, X.shape[1], "one weight per column of X")
    b = as_real(b, "b", func)
    return np.where(X @ w + b > 0.0, 1.0, -1.0)


def pocket_perceptron(
    X: Any, y: Any, max_epochs: int = 100, rng: np.random.Generator | int | None = None
) -> PerceptronResult:
    r"""Gallant's (1990) pocket algorithm: the perceptron rule, keeping the best weights seen.

    Runs :func:`perceptron_fit`'s updates (from zero, :math:`\eta = 1`, mistake iff
    :math:`y(\mathbf w^\top\mathbf x + b) \le 0`) and keeps "in the pocket" the weights with the
    fewest training errors

    .. math:: E(\mathbf w, b) = \#\{i : \operatorname{perceptron\_predict}(\mathbf x_i) \ne y_i\}

    among the start and all weights reached after an update; the pocket is replaced only on a
    strict improvement. Unlike the plain rule it returns a sensible answer on non-separable data:
    on XOR it finds weights that classify 3 of the 4 points correctly, the best any single
    threshold unit can do. Stops early when the pocket has no training errors.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,)
        Labels in :math:`\{-1, +1\}`.
    max_epochs : int, default 100
    rng : numpy.random.Generator, int or None
        If None the samples are visited in order every epoch; otherwise in a fresh random
        permutation per epoch drawn from ``rng`` (Gallant's original samples at random).

    Returns
    -------
    PerceptronResult
        ``w``, ``b`` and ``n_errors`` describe the pocketed weights; ``n_mistakes``,
        ``n_epochs`` and ``history`` describe the underlying perceptron run; ``converged`` is
        True iff the pocketed weights have no training errors.
    """
    func = "pocket_perceptron"
    X, y, max_epochs = _perceptron_inputs(X, y, max_epochs, func)
    gen = None if rng is None else as_rng(rng, func)
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    best_w, best_b = w.copy(), b
    best_err = _n_errors(X, y, w, b)
    history: list[PerceptronUpdate] = []
    n_mistakes = 0
    epoch = 0
    while epoch < max_epochs and best_err > 0:
        epoch += 1
        order = gen.permutation(n) if gen is not None else range(n)
        for i in order:
            xi, yi = X[i], y[i]
            if yi * (xi @ w + b) <= 0.0:
                w = w + yi * xi
                b = b + yi
                n_mistakes += 1
                history.append(PerceptronUpdate(epoch, int(i), w.copy(), float(b)))
                err = _n_errors(X, y, w, b)
                if err < best_err:
                    best_w, best_b, best_err = w.copy(), float(b), err
                    if err == 0:
                        break
    return PerceptronResult(best_w, float(best_b), n_mistakes, epoch, best_err == 0, history, best_err)


def novikoff_quantities(X: Any, y: Any, w_star: Any, b_star: float = 0.0) -> tuple[float, float]:
    r"""Radius :math:`R` and margin :math:`\gamma` of Novikoff's theorem, on augmented inputs.

    With :math:`\tilde{\mathbf x}_i = (\mathbf x_i, 1)` and the separator normalised to unit
    length, :math:`\tilde{\mathbf w}^* = (\mathbf w^*, b^*) / \lVert (\mathbf w^*, b^*) \rVert`,

    .. math::

        R = \max_i \lVert \tilde{\mathbf x}_i \rVert, \qquad
        \gamma = \min_i\, y_i\, \tilde{\mathbf w}^{*\top} \tilde{\mathbf x}_i .

    The augmentation and the normalisation are both essential: without the constant 1 the
    radius is too small, and an unnormalised separator inflates :math:`\gamma`; either breaks
    the bound :math:`(R/\gamma)^2`.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,)
        Labels in :math:`\{-1, +1\}`.
    w_star : array_like, shape (d,)
    b_star : float, default 0.0

    Returns
    -------
    (float, float)
        ``(R, gamma)``.

    Raises
    ------
    ValueError
        If :math:`(\mathbf w^*, b^*) = 0` or if it does not strictly separate the data
        (:math:`\gamma \le 0`).
    """
    return _novikoff(X, y, w_star, b_star, "novikoff_quantities")


def _novikoff(X: Any, y: Any, w_star: Any, b_star: Any, func: str) -> tuple[float, float]:
    X = _as_2d(X, "X", func)
    y = _as_vector(y, "y", func)
    check_same_length(X, y, func)
    check_pm1_labels(y, func)
    w_star = _as_vector(w_star, "w_star", func, X.shape[1], "one weight per column of X")
    b_star = as_real(b_star, "b_star", func)
    v = np.append(w_star, b_star)
    norm = np.linalg.norm(v)
    if norm == 0.0:
        raise ValueError(f"{func}: the separator (w_star, b_star) must be non-zero, got all zeros")
    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    R = float(np.max(np.linalg.norm(Xa, axis=1)))
    gamma = float(np.min(y * (Xa @ (v / norm))))
    if gamma <= 0.0:
        raise ValueError(
            f"{func}: (w_star, b_star) must strictly separate the data (every y_i (w.x_i + b) > 0), "
            f"got minimum normalised margin gamma={gamma:.6g}"
        )
    return R, gamma


def novikoff_bound(X: Any, y: Any, w_star: Any, b_star: float = 0.0) -> float:
    r"""Novikoff's (1962) mistake bound :math:`(R/\gamma)^2` for the perceptron started at zero.

    Proof sketch, with :math:`\mathbf v_k` the augmented weights after :math:`k` mistakes: each
    mistake raises :math:`\mathbf v^\top \tilde{\mathbf w}^*` by at least :math:`\gamma` and
    raises :math:`\lVert\mathbf v\rVert^2` by at most :math:`R^2` (the cross term is
    :math:`\le 0` on a mistake), so :math:`k\gamma \le \mathbf v_k^\top\tilde{\mathbf w}^* \le
    \lVert \mathbf v_k\rVert \le \sqrt{k} R`, i.e. :math:`k \le (R/\gamma)^2`. ``R`` and ``gamma``
    are computed by :func:`novikoff_quantities` (augmented inputs, unit-norm separator). Example:
    :math:`R = 2, \gamma = 0.5` gives at most 16 mistakes.
    """
    R, gamma = _novikoff(X, y, w_star, b_star, "novikoff_bound")
    return (R / gamma) ** 2


# ---------------------------------------------------------------------------------------------
# networks of threshold units
# ---------------------------------------------------------------------------------------------


class ThresholdNetwork:
    r"""Two-layer network of threshold units: :math:`m` hidden units and one output unit.

    .. math::

        \mathbf h = \operatorname{step}(\mathbf W_h \mathbf x + \mathbf b_h) \in \{0,1\}^m,
        \qquad y = \operatorname{step}(\mathbf w_o^\top \mathbf h + b_o) \in \{0, 1\},

    with the same ``rule`` (``">="``: fire iff pre-activation :math:`\ge 0`) in both layers.

    Parameters
    ----------
    W_hidden : array_like, shape (m, n)
        Hidden weights, one row per hidden unit (PyTorch's ``Linear.weight`` layout).
    b_hidden : array_like, shape (m,)
    w_out : array_like, shape (m,)
    b_out : float
    rule : {">=", ">"}
    """

    def __init__(self, W_hidden: Any, b_hidden: Any, w_out: Any, b_out: float, rule: str = ">=") -> None:
        func = "ThresholdNetwork"
        self.rule = _check_rule(rule, func)
        self.W_hidden = _as_2d(W_hidden, "W_hidden", func).copy()
        m = self.W_hidden.shape[0]
        self.b_hidden = _as_vector(b_hidden, "b_hidden", func, m, "one bias per hidden unit = row of W_hidden").copy()
        self.w_out = _as_vector(w_out, "w_out", func, m, "one output weight per hidden unit").copy()
        self.b_out = as_real(b_out, "b_out", func)

    @property
    def width(self) -> int:
        """Number of hidden units :math:`m`."""
        return int(self.W_hidden.shape[0])

    @property
    def n_inputs(self) -> int:
        """Number of inputs :math:`n`."""
        return int(self.W_hidden.shape[1])

    def hidden(self, X: Any) -> np.ndarray:
        """Hidden activations (0/1), shape (N, m), for inputs ``X`` of shape (N, n)."""
        X = _as_2d(X, "X", "ThresholdNetwork.hidden", self.n_inputs, min_rows=0)
        return _fires(X @ self.W_hidden.T + self.b_hidden, self.rule)

    def predict(self, X: Any) -> np.ndarray:
        """Network output (0/1), shape (N,), for inputs ``X`` of shape (N, n)."""
        X = _as_2d(X, "X", "ThresholdNetwork.predict", self.n_inputs, min_rows=0)
        H = _fires(X @ self.W_hidden.T + self.b_hidden, self.rule)
        return _fires(H @ self.w_out + self.b_out, self.rule)

    def __repr__(self) -> str:
        return f"ThresholdNetwork(n_inputs={self.n_inputs}, width={self.width}, rule={self.rule!r})"


def xor_network() -> ThresholdNetwork:
    r"""A 2-2-1 threshold network computing XOR on :math:`\{0, 1\}^2`.

    .. math::

        h_1 = \operatorname{step}(x_1 + x_2 - 0.5) \ (\text{OR}), \quad
        h_2 = \operatorname{step}(-x_1 - x_2 + 1.5) \ (\text{NAND}), \quad
        y = \operatorname{step}(h_1 + h_2 - 1.5) \ (\text{AND}).

    XOR is not linearly separable (adding the inequalities for (0,1) and (1,0) contradicts those
    for (0,0) and (1,1)), so one hidden layer is needed. All biases are half-integers, so the
    result is the same under both threshold rules.
    """
    return ThresholdNetwork(
        W_hidden=[[1.0, 1.0], [-1.0, -1.0]], b_hidden=[-0.5, 1.5], w_out=[1.0, 1.0], b_out=-1.5
    )


def boolean_network(truth_table: Any, hidden_bias: float | None = None, rule: str = ">=") -> ThresholdNetwork:
    r"""A threshold network with one hidden unit per input pattern that realises any truth table.

    Inputs are in :math:`\{-1, +1\}^n` and the :math:`2^n` patterns
    :math:`\mathbf p_1, \dots, \mathbf p_{2^n}` are ordered like ``boolean_inputs(n, "pm1")``.
    Hidden unit :math:`i` has weights :math:`\mathbf p_i` and bias :math:`\beta` (default
    :math:`-n`); the output unit has weight :math:`+1` from unit :math:`i` if
    :math:`f(\mathbf p_i) = 1` and :math:`-1` otherwise, and bias 0:

    .. math::

        h_i = \operatorname{step}(\mathbf p_i^\top \mathbf x + \beta), \qquad
        y = \operatorname{step}\Big(\sum_i (2 f(\mathbf p_i) - 1)\, h_i\Big).

    Why it works: :math:`\mathbf p_i^\top \mathbf x = n - 2\,\mathrm{Hamming}(\mathbf p_i,
    \mathbf x)`, which is :math:`n` for the matching pattern and at most :math:`n - 2` for every
    other one. Exactly one hidden unit fires iff :math:`\beta \in [-n, -(n-2))` under ``">="``
    or :math:`\beta \in (-n, -(n-2)]` under ``">"``; :math:`\beta = -(n-1)` works under both.
    The output then sees a single :math:`\pm 1` and fires iff :math:`f(\mathbf x) = 1`. The
    price is width :math:`2^n`, exponential in :math:`n`; structured functions can need far
    fewer units (:func:`parity_network` uses :math:`n`).

    Other biases are accepted on purpose (for teaching). With ``rule=">"`` and the default
    :math:`\beta = -n` the matching unit sees exactly 0 and *no* hidden unit ever fires, so the
    network outputs 0 everywhere: the construction with bias :math:`-n` needs the ``">="`` rule.
    With :math:`\beta = -(n-2)` under ``">="`` the matching unit *and* its :math:`n` neighbours
    at Hamming distance 1 fire.

    Parameters
    ----------
    truth_table : array_like, shape (2**n,)
        Outputs :math:`f(\mathbf p_i) \in \{0, 1\}` in ``boolean_inputs(n, "pm1")`` order, n >= 1.
    hidden_bias : float, optional
        :math:`\beta`; default :math:`-n`.
    rule : {">=", ">"}

    Returns
    -------
    ThresholdNetwork
        Width :math:`2^n`; ``predict`` takes inputs in :math:`\{-1,+1\}^n` and returns 0/1.
    """
    func = "boolean_network"
    rule = _check_rule(rule, func)
    t = _as_vector(truth_table, "truth_table", func)
    size = t.shape[0]
    if size < 2 or size & (size - 1):
        raise ValueError(f"{func}: truth_table must have length 2**n for some n >= 1, got length {size}")
    bad = ~np.isin(t, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"{func}: truth_table must contain only 0 and 1, got value(s) {np.unique(t[bad])[:5].tolist()}")
    n = size.bit_length() - 1
    beta = -float(n) if hidden_bias is None else as_real(hidden_bias, "hidden_bias", func)
    patterns = np.asarray(boolean_inputs(n, encoding="pm1"), dtype=float)
    return ThresholdNetwork(patterns, np.full(size, beta), 2.0 * t - 1.0, 0.0, rule=rule)


def parity_network(n: int) -> ThresholdNetwork:
    r"""n-bit parity with only :math:`n` hidden threshold units (inputs in :math:`\{0, 1\}^n`).

    Hidden unit :math:`k = 1, \dots, n` counts "at least :math:`k` ones",
    :math:`h_k = \operatorname{step}(\sum_j x_j - k)`, and the output alternates signs:

    .. math:: y = \operatorname{step}\Big(\sum_{k=1}^n (-1)^{k+1} h_k - 0.5\Big).

    With :math:`s = \sum_j x_j` ones, exactly :math:`h_1, \dots, h_s` fire and the alternating
    sum is 1 for odd :math:`s`, 0 for even :math:`s`. Compare the :math:`2^n` units of
    :func:`boolean_network`. Uses ``rule=">="``.
    """
    n = as_int(n, "n", "parity_network", minimum=1)
    k = np.arange(1, n + 1, dtype=float)
    return ThresholdNetwork(np.ones((n, n)), -k, np.where(k % 2 == 1, 1.0, -1.0), -0.5, rule=">=")


# ---------------------------------------------------------------------------------------------
# linear collapse
# ---------------------------------------------------------------------------------------------


def collapse_affine(Ws: Sequence[Any], bs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    r"""Collapse a stack of affine layers :math:`\mathbf x \mapsto \mathbf W_l \mathbf x + \mathbf b_l` into one.

    .. math::

        \mathbf W = \mathbf W_L \cdots \mathbf W_1, \qquad
        \mathbf b = \sum_{l=1}^{L} \mathbf W_L \cdots \mathbf W_{l+1}\, \mathbf b_l .

    A composition of affine maps is affine, so without a non-linearity any depth represents
    only affine functions (it cannot fit XOR). Such a network is perfectly trainable, with
    well-defined non-zero gradients; what it lacks is expressiveness.

    Parameters
    ----------
    Ws : sequence of array_like
        ``Ws[l]`` has shape (out_l, in_l) (PyTorch's ``Linear.weight`` layout), layer 0 first;
        consecutive shapes must chain: ``in_{l+1} == out_l``.
    bs : sequence of array_like
        ``bs[l]`` has shape (out_l,).

    Returns
    -------
    (numpy.ndarray of shape (out_L, in_1), numpy.ndarray of shape (out_L,))
    """
    func = "collapse_affine"
    for name, seq in (("Ws", Ws), ("bs", bs)):
        if isinstance(seq, (str, bytes, np.ndarray)) or not isinstance(seq, Sequence):
            raise TypeError(f"{func}: {name} must be a list or tuple of arrays (one per layer), got {type(seq).__name__}")
    if len(Ws) == 0:
        raise ValueError(f"{func}: Ws must contain at least one layer, got an empty sequence")
    if len(Ws) != len(bs):
        raise ValueError(f"{func}: Ws and bs must have the same number of layers, got len(Ws)={len(Ws)} and len(bs)={len(bs)}")
    W = b = None
    for layer, (Wl, bl) in enumerate(zip(Ws, bs)):
        Wl = _as_2d(Wl, f"Ws[{layer}]", func)
        bl = _as_vector(bl, f"bs[{layer}]", func, Wl.shape[0], f"one bias per output of Ws[{layer}]")
        if W is None:
            W, b = Wl.copy(), bl.copy()
            continue
        if Wl.shape[1] != W.shape[0]:
            raise ValueError(
                f"{func}: layer {layer} does not chain with layer {layer - 1}: Ws[{layer}] has shape {Wl.shape}, "
                f"expected ({Wl.shape[0]}, {W.shape[0]}) since layer {layer - 1} outputs {W.shape[0]} values"
            )
        W = Wl @ W
        b = Wl @ b + bl
    return W, b


def best_affine_fit(X: Any, y: Any) -> tuple[np.ndarray, float]:
    r"""Least-squares affine fit :math:`\min_{\mathbf w, b} \sum_i (\mathbf w^\top\mathbf x_i + b - y_i)^2`.

    Solved with ``np.linalg.lstsq`` on the design matrix :math:`[\mathbf X, \mathbf 1]`
    (minimum-norm solution if it is rank deficient). On XOR, :math:`\{0,1\}^2` with targets
    0, 1, 1, 0, the fit is :math:`\mathbf w = (0, 0)`, :math:`b = 0.5`: it predicts 0.5
    everywhere (MSE 0.25), and since a deep *linear* network is affine it can do no better.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,)

    Returns
    -------
    (numpy.ndarray of shape (d,), float)
    """
    func = "best_affine_fit"
    X = _as_2d(X, "X", func)
    y = _as_vector(y, "y", func)
    check_same_length(X, y, func)
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    return coef[:-1].copy(), float(coef[-1])


# ---------------------------------------------------------------------------------------------
# sigmoid neurons
# ---------------------------------------------------------------------------------------------


def _scalar_or_array(arr: np.ndarray) -> np.ndarray | float:
    return float(arr) if arr.ndim == 0 else arr


def sigmoid_neuron(x: Any, w: Any, b: float) -> np.ndarray | float:
    r"""A sigmoid neuron :math:`\sigma(w x + b)` (scalar :math:`w`) or :math:`\sigma(\mathbf X \mathbf w + b)`.

    For scalar :math:`w \ne 0` the curve passes 1/2 at the midpoint :math:`x = -b/w`, has slope
    :math:`w/4` there (since :math:`\sigma' = \sigma(1 - \sigma) \le 1/4`), and
    :math:`\sigma(w(x - c)) \to \operatorname{step}(x - c)` for every :math:`x \ne c` as
    :math:`w \to \infty`. Unlike the step, small changes of :math:`w, b` change the output a
    little, which is what makes gradient-based learning possible. Outputs lie in the open
    interval :math:`(0, 1)` (they may round to 0 or 1 in float64).

    Parameters
    ----------
    x : array_like
        Any shape when ``w`` is a scalar (elementwise); shape (N, d) when ``w`` has shape (d,).
    w : float or array_like of shape (d,)
    b : float

    Returns
    -------
    numpy.ndarray or float
        Same shape as ``x`` (scalar ``w``) or shape (N,) (vector ``w``).
    """
    func = "sigmoid_neuron"
    b = as_real(b, "b", func)
    w_arr = as_float_array(w, "w", func, ndim=(0, 1))
    if w_arr.ndim == 0:
        x = as_float_array(x, "x", func)
        return _scalar_or_array(sigmoid(float(w_arr) * x + b))
    x = _as_2d(x, "x", func, w_arr.shape[0], min_rows=0)
    return sigmoid(x @ w_arr + b)


def _neuron_data(x: Any, y: Any, func: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.atleast_1d(as_float_array(x, "x", func, ndim=(0, 1)))
    y = np.atleast_1d(as_float_array(y, "y", func, ndim=(0, 1)))
    check_same_length(x, y, func, "x", "y")
    return x, y


def _neuron_loss_grad(w: float, b: float, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    f = sigmoid(w * x + b)
    r = f - y
    delta = r * f * (1.0 - f)
    return 0.5 * float(r @ r), float(delta @ x), float(delta.sum())


def sigmoid_neuron_loss_and_grad(w: float, b: float, x: Any, y: Any) -> tuple[float, float, float]:
    r"""Squared-error loss of a one-input sigmoid neuron and its gradient.

    With :math:`f_i = \sigma(w x_i + b)`,

    .. math::

        \mathcal L(w, b) = \tfrac12 \sum_i (f_i - y_i)^2, \qquad
        \frac{\partial \mathcal L}{\partial w} = \sum_i (f_i - y_i) f_i (1 - f_i)\, x_i, \qquad
        \frac{\partial \mathcal L}{\partial b} = \sum_i (f_i - y_i) f_i (1 - f_i).

    The factor :math:`\tfrac12` is part of the convention (without it every gradient doubles).
    Worked value: :math:`(x, y) = (0.5, 0.2)` at :math:`(w, b) = (-2, -2)` gives
    :math:`f = \sigma(-3) \approx 0.047426`, :math:`\partial_w \mathcal L \approx -0.0034464`,
    :math:`\partial_b \mathcal L \approx -0.0068928`.

    Parameters
    ----------
    w, b : float
    x, y : array_like, shape (N,) (or scalars for one sample)

    Returns
    -------
    (float, float, float)
        :math:`(\mathcal L, \partial\mathcal L/\partial w, \partial\mathcal L/\partial b)`.
    """
    func = "sigmoid_neuron_loss_and_grad"
    w = as_real(w, "w", func)
    b = as_real(b, "b", func)
    x, y = _neuron_data(x, y, func)
    return _neuron_loss_grad(w, b, x, y)


def fit_sigmoid_neuron(
    x: Any, y: Any, w0: float, b0: float, lr: float, epochs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Full-batch gradient descent on :math:`\mathcal L(w, b) = \tfrac12\sum_i(\sigma(wx_i+b)-y_i)^2`.

    .. math::

        w_{t+1} = w_t - \eta\, \partial_w \mathcal L(w_t, b_t), \qquad
        b_{t+1} = b_t - \eta\, \partial_b \mathcal L(w_t, b_t),

    with the gradients of :func:`sigmoid_neuron_loss_and_grad`. On the two-point toy problem
    :math:`x = (0.5, 2.5), y = (0.2, 0.9)` from :math:`(-2, -2)` with :math:`\eta = 1` the path
    crosses a long plateau and then reaches the interpolating solution
    :math:`w^* = (\operatorname{logit} 0.9 - \operatorname{logit} 0.2)/2`,
    :math:`b^* = \operatorname{logit} 0.2 - 0.5 w^*`.

    Parameters
    ----------
    x, y : array_like, shape (N,)
    w0, b0 : float
        Starting point.
    lr : float
        Learning rate :math:`\eta > 0`.
    epochs : int
        Number of gradient steps (>= 0).

    Returns
    -------
    (ws, bs, losses) : three numpy.ndarray of shape (epochs + 1,)
        The trajectory; index 0 is the start and ``losses[t] = L(ws[t], bs[t])``.
    """
    func = "fit_sigmoid_neuron"
    x, y = _neuron_data(x, y, func)
    w = as_real(w0, "w0", func)
    b = as_real(b0, "b0", func)
    lr = as_real(lr, "lr", func, positive=True)
    epochs = as_int(epochs, "epochs", func, minimum=0)
    ws = np.empty(epochs + 1)
    bs = np.empty(epochs + 1)
    losses = np.empty(epochs + 1)
    for t in range(epochs + 1):
        loss, gw, gb = _neuron_loss_grad(w, b, x, y)
        ws[t], bs[t], losses[t] = w, b, loss
        w, b = w - lr * gw, b - lr * gb
    return ws, bs, losses


# ---------------------------------------------------------------------------------------------
# towers and universal approximation
# ---------------------------------------------------------------------------------------------


def _tower(x: np.ndarray, left: float, right: float, steepness: float, height: float) -> np.ndarray:
    return height * (sigmoid(steepness * (x - left)) - sigmoid(steepness * (x - right)))


def tower(x: Any, left: float, right: float, steepness: float, height: float = 1.0) -> np.ndarray | float:
    r"""A 1-D "tower": the difference of two steep sigmoids, :math:`\approx h\,\mathbb 1[l < x < r]`.

    .. math:: T(x) = h \left[ \sigma(w (x - l)) - \sigma(w (x - r)) \right]

    The hidden biases are :math:`-wl` and :math:`-wr`: they set the edges (each at
    :math:`-\text{bias}/w`), :math:`w` sets how sharp the edges are and the output weight
    :math:`h` sets the height. For finite :math:`w` the tower is only approximately a box (for
    :math:`[0.3, 0.5]` and :math:`w = 100` it is still 0.119 at 0.02 outside an edge); it tends
    to :math:`h\,\mathbb 1[l < x < r]` as :math:`w \to \infty`, with :math:`h/2` at the edges.

    Parameters
    ----------
    x : array_like
        Any shape.
    left, right : float
        Edges :math:`l < r`.
    steepness : float
        Sigmoid slope parameter :math:`w > 0`.
    height : float, default 1.0

    Returns
    -------
    numpy.ndarray or float
        Same shape as ``x``.
    """
    func = "tower"
    x = as_float_array(x, "x", func)
    left = as_real(left, "left", func)
    right = as_real(right, "right", func)
    _check_interval(left, right, "left", "right", func)
    steepness = as_real(steepness, "steepness", func, positive=True)
    height = as_real(height, "height", func)
    return _scalar_or_array(_tower(x, left, right, steepness, height))


class ShallowSigmoidNet:
    r"""One hidden layer of sigmoid units with a linear output.

    .. math:: g(\mathbf x) = \mathbf w_2^\top \sigma(\mathbf W_1 \mathbf x + \mathbf b_1) + b_2

    This is the class of the universal approximation theorem (Cybenko 1989; Hornik 1991; Leshno
    et al. 1993): for every continuous :math:`f` on a *compact* :math:`K \subset \mathbb R^d` and
    every :math:`\varepsilon > 0` there *exists* such a network (with enough hidden units) with
    :math:`\sup_{\mathbf x \in K} |g(\mathbf x) - f(\mathbf x)| < \varepsilon`. The theorem does
    not say how many units are needed or how to find the weights; :func:`tower_approximation`
    builds one explicitly in 1-D.

    Parameters
    ----------
    W1 : array_like, shape (m, d)
        Hidden weights (PyTorch ``Linear.weight`` layout).
    b1 : array_like, shape (m,)
    w2 : array_like, shape (m,)
        Output weights.
    b2 : float
        Output bias.
    """

    def __init__(self, W1: Any, b1: Any, w2: Any, b2: float) -> None:
        func = "ShallowSigmoidNet"
        self.W1 = _as_2d(W1, "W1", func).copy()
        m = self.W1.shape[0]
        self.b1 = _as_vector(b1, "b1", func, m, "one bias per hidden unit = row of W1").copy()
        self.w2 = _as_vector(w2, "w2", func, m, "one output weight per hidden unit").copy()
        self.b2 = as_real(b2, "b2", func)

    @property
    def n_hidden(self) -> int:
        """Number of hidden units :math:`m`."""
        return int(self.W1.shape[0])

    @property
    def n_inputs(self) -> int:
        """Input dimension :math:`d`."""
        return int(self.W1.shape[1])

    def _inputs(self, x: Any) -> tuple[np.ndarray, bool]:
        func = "ShallowSigmoidNet.__call__"
        d = self.n_inputs
        x = as_float_array(x, "x", func, ndim=(0, 1, 2) if d == 1 else 2)
        scalar = x.ndim == 0
        if x.ndim < 2:
            x = x.reshape(-1, 1)
        if x.shape[1] != d:
            raise ValueError(f"{func}: x must have shape (N, {d}), got shape {x.shape}")
        return x, scalar

    def hidden(self, x: Any) -> np.ndarray:
        """Hidden activations :math:`\\sigma(\\mathbf W_1 \\mathbf x + \\mathbf b_1)`, shape (N, m)."""
        X, _ = self._inputs(x)
        return sigmoid(X @ self.W1.T + self.b1)

    def __call__(self, x: Any) -> np.ndarray | float:
        """Outputs, shape (N,), for ``x`` of shape (N, d) (or (N,) when d == 1; a scalar gives a float)."""
        X, scalar = self._inputs(x)
        out = sigmoid(X @ self.W1.T + self.b1) @ self.w2 + self.b2
        return float(out[0]) if scalar else out

    def to_torch(self) -> torch.nn.Sequential:
        """The same network as ``nn.Sequential(nn.Linear(d, m), nn.Sigmoid(), nn.Linear(m, 1))`` (float64)."""
        import torch
        from torch import nn

        m, d = self.W1.shape
        model = nn.Sequential(
            nn.Linear(d, m, dtype=torch.float64), nn.Sigmoid(), nn.Linear(m, 1, dtype=torch.float64)
        )
        with torch.no_grad():
            model[0].weight.copy_(torch.from_numpy(self.W1))
            model[0].bias.copy_(torch.from_numpy(self.b1))
            model[2].weight.copy_(torch.from_numpy(self.w2[None, :]))
            model[2].bias.fill_(self.b2)
        return model

    def __repr__(self) -> str:
        return f"ShallowSigmoidNet(n_inputs={self.n_inputs}, n_hidden={self.n_hidden})"


def _bin_edges(a: float, b: float, n: int, extend_edges: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left edges, right edges and centres of ``n`` equal bins on [a, b] (outer edges extended)."""
    edges = np.linspace(a, b, n + 1)
    lefts, rights = edges[:-1].copy(), edges[1:].copy()
    centres = 0.5 * (lefts + rights)
    if extend_edges:
        lefts[0], rights[-1] = a - 1.0, b + 1.0
    return lefts, rights, centres


def _heights(values: Any, shape: tuple[int, ...], func: str) -> np.ndarray:
    h = np.asarray(values, dtype=float)
    if h.shape == ():
        h = np.full(shape, float(h))
    if h.shape != shape:
        raise ValueError(f"{func}: f must return an array of shape {shape} when given the bin centres, got shape {h.shape}")
    if not np.all(np.isfinite(h)):
        raise ValueError(f"{func}: f must return finite values at the bin centres")
    return h


def tower_approximation(
    f: Callable[[np.ndarray], Any],
    a: float,
    b: float,
    n_towers: int,
    steepness: float,
    extend_edges: bool = True,
) -> ShallowSigmoidNet:
    r"""Approximate :math:`f` on :math:`[a, b]` by a sum of towers: a one-hidden-layer sigmoid network.

    Split :math:`[a, b]` into :math:`n` bins of width :math:`h = (b - a)/n` with edges
    :math:`e_0 < \dots < e_n` and centres :math:`c_i`, and sum one tower per bin of height
    :math:`f(c_i)`:

    .. math:: g(x) = \sum_{i=1}^{n} f(c_i) \left[ \sigma(w(x - e_{i-1})) - \sigma(w(x - e_i)) \right].

    Each tower is two hidden units (weight :math:`w`, biases :math:`-we_{i-1}` and
    :math:`-we_i`, output weights :math:`\pm f(c_i)`), so the network has :math:`2n` hidden units
    and output bias 0. As :math:`w \to \infty`, :math:`g` tends to the piecewise-constant
    interpolant and for :math:`L`-Lipschitz :math:`f` the sup error tends to at most
    :math:`L (b - a) / (2n)` (:func:`tower_error_bound`); the edges need :math:`w \gg 1/h`.

    With ``extend_edges=True`` the left edge of the first tower is moved to :math:`a - 1` and the
    right edge of the last tower to :math:`b + 1`. Otherwise :math:`g(a) \approx f(c_1)/2` and
    :math:`g(b) \approx f(c_n)/2` (half-height ends), and the error near the ends stays about
    :math:`|f(a)|/2`, :math:`|f(b)|/2` however large :math:`n` is.

    Parameters
    ----------
    f : callable
        Vectorised: ``f(centres)`` with a 1-D array returns an array of the same shape.
    a, b : float
        Interval, :math:`a < b`.
    n_towers : int
        Number of bins :math:`n \ge 1`.
    steepness : float
        The sigmoid slope :math:`w > 0` (absolute, not relative to the bin width).
    extend_edges : bool, default True

    Returns
    -------
    ShallowSigmoidNet
        With ``d = 1`` input and ``2 * n_towers`` hidden units.
    """
    func = "tower_approximation"
    _check_callable(f, "f", func)
    a = as_real(a, "a", func)
    b = as_real(b, "b", func)
    _check_interval(a, b, "a", "b", func)
    n = as_int(n_towers, "n_towers", func, minimum=1)
    w = as_real(steepness, "steepness", func, positive=True)
    if not isinstance(extend_edges, (bool, np.bool_)):
        raise TypeError(f"{func}: extend_edges must be a bool, got {type(extend_edges).__name__}")
    lefts, rights, centres = _bin_edges(a, b, n, bool(extend_edges))
    heights = _heights(f(centres), (n,), func)
    # hidden units interleaved: (+ at left edge of bin i, - at right edge of bin i)
    edges = np.column_stack([lefts, rights]).ravel()
    W1 = np.full((2 * n, 1), w)
    b1 = -w * edges
    w2 = np.column_stack([heights, -heights]).ravel()
    return ShallowSigmoidNet(W1, b1, w2, 0.0)


def tower_error_bound(lipschitz: float, a: float, b: float, n_towers: int) -> float:
    r"""Limit (:math:`w \to \infty`) sup error of :func:`tower_approximation` for an :math:`L`-Lipschitz :math:`f`.

    .. math:: \sup_{x \in [a,b]} |g(x) - f(x)| \le L\,\frac{b - a}{2n} = \frac{L h}{2},

    since every point is within :math:`h/2` of the centre of its bin. Example: for
    :math:`\sin(2\pi x)` on :math:`[0, 1]`, :math:`L = 2\pi`, and :math:`n = 63` is the smallest
    :math:`n` with bound :math:`\le 0.05`.
    """
    func = "tower_error_bound"
    L = as_real(lipschitz, "lipschitz", func, nonnegative=True)
    a = as_real(a, "a", func)
    b = as_real(b, "b", func)
    _check_interval(a, b, "a", "b", func)
    n = as_int(n_towers, "n_towers", func, minimum=1)
    return L * (b - a) / (2 * n)


def _as_grid_pair(X: Any, Y: Any, func: str) -> tuple[np.ndarray, np.ndarray]:
    X = as_float_array(X, "X", func)
    Y = as_float_array(Y, "Y", func)
    if X.shape != Y.shape:
        raise ValueError(f"{func}: X and Y must have the same shape (e.g. from np.meshgrid), got {X.shape} and {Y.shape}")
    return X, Y


def tower_2d(
    X: Any,
    Y: Any,
    xlim: Any,
    ylim: Any,
    steepness: float,
    steepness_out: float,
    threshold: float = 1.5,
) -> np.ndarray:
    r"""A thresholded 2-D tower :math:`\approx \mathbb 1[(x, y) \in [x_0, x_1] \times [y_0, y_1]]`.

    .. math::

        G(x, y) = \sigma\big(w_{\text{out}}\,[T_x(x) + T_y(y) - \tau]\big),

    where :math:`T_x, T_y` are unit-height towers (:func:`tower`) on :math:`[x_0, x_1]` and
    :math:`[y_0, y_1]` with slope :math:`w`, and :math:`\tau` is the threshold (1.5). The sum
    :math:`T_x + T_y` is a "plus sign": about 2 on the rectangle, about 1 on its two arms and
    about 0 elsewhere; a steep sigmoid with threshold 1.5 keeps only the rectangle. This uses a
    *second* hidden layer; the universal approximation theorem itself needs only one.

    Parameters
    ----------
    X, Y : array_like
        Coordinates of the same shape (e.g. from ``np.meshgrid``).
    xlim, ylim : pair of float
        The rectangle :math:`[x_0, x_1] \times [y_0, y_1]` (:math:`x_0 < x_1`, :math:`y_0 < y_1`).
    steepness : float
        Slope :math:`w > 0` of the first-layer sigmoids.
    steepness_out : float
        Slope :math:`w_{\text{out}} > 0` of the thresholding sigmoid.
    threshold : float, default 1.5

    Returns
    -------
    numpy.ndarray
        Same shape as ``X``, values in :math:`(0, 1)`.
    """
    func = "tower_2d"
    X, Y = _as_grid_pair(X, Y, func)
    x0, x1 = _as_limits(xlim, "xlim", func)
    y0, y1 = _as_limits(ylim, "ylim", func)
    w = as_real(steepness, "steepness", func, positive=True)
    w_out = as_real(steepness_out, "steepness_out", func, positive=True)
    tau = as_real(threshold, "threshold", func)
    return sigmoid(w_out * (_tower(X, x0, x1, w, 1.0) + _tower(Y, y0, y1, w, 1.0) - tau))


def tower_network_2d(
    f: Callable[[np.ndarray, np.ndarray], Any],
    xlim: Any,
    ylim: Any,
    n: int,
    steepness: float,
    steepness_out: float,
) -> Callable[[Any, Any], np.ndarray]:
    r"""Approximate :math:`f(x, y)` on a rectangle by an :math:`n \times n` grid of thresholded towers.

    .. math:: g(x, y) = \sum_{i,j=1}^{n} f(c^x_i, c^y_j)\, G_{ij}(x, y),

    where :math:`G_{ij}` is the :func:`tower_2d` of cell :math:`(i, j)` (threshold 1.5) and
    :math:`(c^x_i, c^y_j)` its centre; as in 1-D, the outer edges of the first and last row and
    column of cells are moved 1 unit outside the rectangle. This is a network with *two* hidden
    layers (:math:`4n` sigmoid units computing the edges, then :math:`n^2` thresholding units) and
    a linear output; it illustrates universality but is not the one-hidden-layer construction of
    the theorem.

    Caveat: where four cells meet, each cell's :math:`T_x + T_y` is only :math:`\approx 1`, below
    the threshold, so :math:`g` dips to :math:`\approx 0` in a neighbourhood (of size
    :math:`\sim 1/w`) of every interior grid corner; along a shared edge the two cells each
    contribute about half. Hence the sup error over the whole rectangle does *not* shrink with
    :math:`n` (it stays near :math:`\max |f|` over the interior corners); away from the corners
    the error is about the variation of :math:`f` over one cell and does shrink.

    Parameters
    ----------
    f : callable
        Vectorised: ``f(X, Y)`` with two arrays of the same shape returns that shape.
    xlim, ylim : pair of float
        The rectangle.
    n : int
        Cells per axis (:math:`n \ge 1`).
    steepness, steepness_out : float
        Slopes :math:`w > 0` and :math:`w_{\text{out}} > 0` as in :func:`tower_2d`.

    Returns
    -------
    callable
        ``g(X, Y)`` for coordinate arrays of the same shape; returns that shape.
    """
    func = "tower_network_2d"
    _check_callable(f, "f", func)
    x0, x1 = _as_limits(xlim, "xlim", func)
    y0, y1 = _as_limits(ylim, "ylim", func)
    n = as_int(n, "n", func, minimum=1)
    w = as_real(steepness, "steepness", func, positive=True)
    w_out = as_real(steepness_out, "steepness_out", func, positive=True)
    xl, xr, cx = _bin_edges(x0, x1, n, True)
    yl, yr, cy = _bin_edges(y0, y1, n, True)
    CX, CY = np.meshgrid(cx, cy, indexing="ij")
    H = _heights(f(CX, CY), (n, n), func)  # H[i, j] = f(cx[i], cy[j])

    def g(X: Any, Y: Any) -> np.ndarray:
        X, Y = _as_grid_pair(X, Y, "tower_network_2d.g")
        shape = X.shape
        x, y = X.ravel(), Y.ravel()
        Tx = _tower(x[None, :], xl[:, None], xr[:, None], w, 1.0)  # (n, P)
        Ty = _tower(y[None, :], yl[:, None], yr[:, None], w, 1.0)  # (n, P)
        out = np.zeros(x.shape[0])
        for i in range(n):
            out += H[i] @ sigmoid(w_out * (Tx[i][None, :] + Ty - 1.5))
        return out.reshape(shape)

    return g
