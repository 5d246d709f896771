"""Numerically stable building blocks: logistic, softmax, log-sum-exp and finite differences.

Everything here is plain NumPy in float64. The activation functions never overflow and never
emit floating-point warnings, even for logits of magnitude ``1e4`` and beyond: exponentials are
only ever taken of non-positive numbers, so the worst that can happen is a harmless underflow to
zero, which is silenced locally.

Book: chapter 03, §3.4 (sigmoid neurons, hand-derived gradients) and chapter 04 (feedforward
networks and backpropagation: softmax outputs, cross-entropy, gradient checking).
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, Callable

import numpy as np

from dlnotes._validation import as_float_array, as_real

__all__ = [
    "sigmoid",
    "softmax",
    "log_softmax",
    "logsumexp",
    "numerical_gradient",
    "gradcheck",
    "relative_error",
]


# --------------------------------------------------------------------------------------------
# private helpers
# --------------------------------------------------------------------------------------------


def _as_logits(z: Any, func: str, allow_posinf: bool, name: str = "z") -> np.ndarray:
    """Convert ``z`` to a float64 array; reject NaN (and ``+inf`` unless ``allow_posinf``).

    Unlike :func:`dlnotes._validation.as_float_array` this accepts ``-inf``: a logit of ``-inf``
    is the standard way of masking out an entry (its probability is exactly zero).
    """
    if isinstance(z, (str, bytes)) or z is None:
        raise TypeError(f"{func}: {name} must be an array of numbers, got {type(z).__name__}")
    try:
        raw = np.asarray(z)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{func}: {name} must be an array of numbers, got {type(z).__name__} ({exc})"
        ) from None
    if raw.dtype.kind == "c":
        raise TypeError(f"{func}: {name} must be real-valued, got complex dtype {raw.dtype}")
    try:
        arr = raw.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{func}: {name} must be an array of numbers, got {type(z).__name__} of dtype {raw.dtype} ({exc})"
        ) from None
    if np.isnan(arr).any():
        raise ValueError(f"{func}: {name} must not contain NaN, got {int(np.isnan(arr).sum())} NaN value(s)")
    if not allow_posinf and np.isposinf(arr).any():
        raise ValueError(
            f"{func}: {name} must not contain +inf (only -inf is allowed, as a masked logit), "
            f"got {int(np.isposinf(arr).sum())} +inf value(s)"
        )
    return arr


def _check_axis(axis: Any, ndim: int, func: str, allow_none: bool = False) -> tuple[int, ...]:
    """Normalise ``axis`` (an int, or also None / a tuple of ints if ``allow_none``) to a tuple."""
    if axis is None:
        if allow_none:
            return tuple(range(ndim))
        raise TypeError(f"{func}: axis must be an int, got None")
    if isinstance(axis, tuple) and allow_none:
        items = axis
    else:
        items = (axis,)
    out = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, Integral):
            want = "an int, a tuple of ints or None" if allow_none else "an int"
            raise TypeError(f"{func}: axis must be {want}, got {type(a).__name__}")
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{func}: axis must be in [-{ndim}, {ndim}) for an input with {ndim} dimension(s), got {a}"
            )
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{func}: axis must not contain repeated axes, got {axis}")
    return tuple(out)


def _check_nonempty(arr: np.ndarray, axes: tuple[int, ...], func: str, name: str = "z") -> None:
    """Reject reductions over an empty set of entries (softmax of nothing is undefined)."""
    if any(arr.shape[a] == 0 for a in axes) or (not axes and arr.size == 0):
        raise ValueError(
            f"{func}: {name} must have at least one entry along axis {axes if len(axes) != 1 else axes[0]}, "
            f"got shape {arr.shape}"
        )


def _shifted(arr: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(z - m, m)`` with ``m`` the max over ``axes`` (kept dims; 0 for all -inf slices)."""
    m = np.max(arr, axis=axes, keepdims=True)
    # A slice that is entirely -inf has max -inf; shifting by it would give -inf - (-inf) = NaN
    # everywhere. Shift by 0 instead so that the slice stays -inf and the damage stays local.
    m = np.where(np.isfinite(m), m, 0.0)
    return arr - m, m


def _scalar_or_array(out: np.ndarray) -> np.ndarray | np.float64:
    """Mimic NumPy ufuncs: a 0-d result is returned as a NumPy scalar."""
    return out[()] if out.ndim == 0 else out


# --------------------------------------------------------------------------------------------
# activations
# --------------------------------------------------------------------------------------------


def sigmoid(z: Any) -> np.ndarray | np.float64:
    r"""Logistic function, evaluated without overflow.

    .. math::

        \sigma(z) = \frac{1}{1 + e^{-z}}
                  = \begin{cases} \dfrac{1}{1 + e^{-|z|}} & z \ge 0,\\[1ex]
                                   \dfrac{e^{-|z|}}{1 + e^{-|z|}} & z < 0. \end{cases}

    Only :math:`e^{-|z|} \in [0, 1]` is ever computed, so nothing overflows; for
    :math:`|z| \gtrsim 745` it underflows to 0 and the result is exactly 0 or 1.

    Book: chapter 03, §3.4 (sigmoid neurons); its stable evaluation is used throughout.

    Parameters
    ----------
    z:
        A real scalar or array of any shape. ``±inf`` are allowed (giving 1 and 0); NaN is not.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`\sigma(z)` elementwise, float64, same shape as ``z`` (a NumPy scalar for a
        scalar input, like a NumPy ufunc).

    Raises
    ------
    TypeError
        If ``z`` is not numeric (or is complex).
    ValueError
        If ``z`` contains NaN.
    """
    arr = _as_logits(z, "sigmoid", allow_posinf=True)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(arr))  # in [0, 1]: cannot overflow
        out = np.where(arr >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return _scalar_or_array(out)


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``, with the max subtracted first.

    .. math::

        \operatorname{softmax}(z)_i = \frac{e^{z_i - m}}{\sum_j e^{z_j - m}},
        \qquad m = \max_j z_j,

    which equals :math:`e^{z_i} / \sum_j e^{z_j}` but only exponentiates numbers :math:`\le 0`.

    Book: chapter 04 (feedforward networks), softmax output layer, "subtracting the maximum".

    Parameters
    ----------
    z:
        Real array with at least one dimension (e.g. logits of shape ``(n_samples, n_classes)``).
        Entries equal to ``-inf`` are allowed and get probability exactly 0, e.g.
        ``softmax([-inf, 0]) == [0, 1]``. NaN and ``+inf`` are rejected.
    axis:
        The axis along which the probabilities sum to 1 (default: the last one).

    Returns
    -------
    numpy.ndarray
        Float64 array of the shape of ``z``, non-negative, summing to 1 along ``axis``.
        A slice whose entries are *all* ``-inf`` has no meaningful distribution: its output is NaN
        (0/0), returned silently.

    Raises
    ------
    TypeError
        If ``z`` is not numeric or ``axis`` is not an int.
    ValueError
        If ``z`` is a scalar, contains NaN or ``+inf``, is empty along ``axis``, or ``axis`` is
        out of range.
    """
    arr = _as_logits(z, "softmax", allow_posinf=False)
    if arr.ndim == 0:
        raise ValueError("softmax: z must have at least one dimension, got a scalar")
    axes = _check_axis(axis, arr.ndim, "softmax")
    _check_nonempty(arr, axes, "softmax")
    with np.errstate(under="ignore", invalid="ignore"):  # invalid: 0/0 for all -inf slices only
        s, _ = _shifted(arr, axes)
        e = np.exp(s)
        return e / np.sum(e, axis=axes, keepdims=True)


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    r"""Logarithm of :func:`softmax`, computed directly and stably.

    .. math::

        \log \operatorname{softmax}(z)_i = (z_i - m) - \log \sum_j e^{z_j - m},
        \qquad m = \max_j z_j .

    Unlike ``np.log(softmax(z))`` this never produces ``-inf`` from an underflowed probability:
    ``log_softmax([0, -1e4]) == [0, -1e4]``.

    Book: chapter 04 (feedforward networks), "cross-entropy from logits".

    Parameters
    ----------
    z:
        Real array with at least one dimension. ``-inf`` entries are allowed (their output is
        ``-inf``); NaN and ``+inf`` are rejected.
    axis:
        The axis that indexes the classes (default: the last one).

    Returns
    -------
    numpy.ndarray
        Float64 array of the shape of ``z``, all entries :math:`\le 0`. A slice that is entirely
        ``-inf`` gives NaN (:math:`-\infty - (-\infty)`), returned silently.

    Raises
    ------
    TypeError
        If ``z`` is not numeric or ``axis`` is not an int.
    ValueError
        If ``z`` is a scalar, contains NaN or ``+inf``, is empty along ``axis``, or ``axis`` is
        out of range.
    """
    arr = _as_logits(z, "log_softmax", allow_posinf=False)
    if arr.ndim == 0:
        raise ValueError("log_softmax: z must have at least one dimension, got a scalar")
    axes = _check_axis(axis, arr.ndim, "log_softmax")
    _check_nonempty(arr, axes, "log_softmax")
    with np.errstate(under="ignore", divide="ignore", invalid="ignore"):  # only all -inf slices
        s, _ = _shifted(arr, axes)
        return s - np.log(np.sum(np.exp(s), axis=axes, keepdims=True))


def logsumexp(
    z: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> np.ndarray | np.float64:
    r"""Log of the sum of exponentials, without overflow.

    .. math::

        \operatorname{LSE}(z) = \log \sum_i e^{z_i} = m + \log \sum_i e^{z_i - m},
        \qquad m = \max_i z_i,

    a smooth upper bound of the max: :math:`m \le \operatorname{LSE}(z) \le m + \log n`.
    Its gradient is :func:`softmax`.

    Book: chapter 04 (feedforward networks), "the log-sum-exp trick".

    Parameters
    ----------
    z:
        Real scalar or array. ``-inf`` entries contribute nothing; NaN and ``+inf`` are rejected.
    axis:
        Axis or tuple of axes to reduce over; ``None`` (default) reduces over all entries.
    keepdims:
        If True, the reduced axes are kept with length 1 (handy for broadcasting back).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The reduced float64 result (a NumPy scalar when everything is reduced and
        ``keepdims`` is False). A slice that is entirely ``-inf`` gives ``-inf`` (= log 0).

    Raises
    ------
    TypeError
        If ``z`` is not numeric, ``axis`` is not an int / tuple of ints / None, or ``keepdims``
        is not a bool.
    ValueError
        If ``z`` contains NaN or ``+inf``, ``axis`` is out of range or repeated, or a reduced
        slice is empty.
    """
    arr = _as_logits(z, "logsumexp", allow_posinf=False)
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"logsumexp: keepdims must be a bool, got {type(keepdims).__name__}")
    axes = _check_axis(axis, arr.ndim, "logsumexp", allow_none=True)
    _check_nonempty(arr, axes, "logsumexp")
    with np.errstate(under="ignore", divide="ignore"):  # divide: log(0) for all -inf slices only
        s, m = _shifted(arr, axes)
        out = np.log(np.sum(np.exp(s), axis=axes, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axes)
    return _scalar_or_array(out)


# --------------------------------------------------------------------------------------------
# finite differences
# --------------------------------------------------------------------------------------------


def _scalar_value(value: Any, func: str, where: str) -> float:
    """Check that ``value`` (what ``f`` returned) is a finite real scalar and return it."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise TypeError(f"{func}: f(x) must return a real scalar, got {type(value).__name__} {where}")
    if arr.ndim != 0:
        raise ValueError(f"{func}: f(x) must return a scalar, got an array of shape {arr.shape} {where}")
    out = float(arr)
    if not np.isfinite(out):
        raise ValueError(f"{func}: f(x) must be finite, got {out} {where}")
    return out


def numerical_gradient(f: Callable[[np.ndarray], float], x: Any, eps: float = 1e-6, method: str = "central") -> np.ndarray:
    r"""Gradient of a scalar function by central (default) or forward differences.

    .. math::

        \frac{\partial f}{\partial x_i}(x) \approx
        \frac{f(x + h e_i) - f(x - h e_i)}{2h}
        \quad\text{(central)}, \qquad
        \frac{f(x + h e_i) - f(x)}{h} \quad\text{(forward)}.

    The central error is :math:`O(h^2)` (truncation) plus :math:`O(\epsilon_\text{mach} |f| / h)`
    (round-off); :math:`h = 10^{-6}` balances the two for float64 and well-scaled ``f``. The
    forward difference is only first order, :math:`O(h)`, and is there for comparison. The
    denominator uses the step actually represented in floating point,
    :math:`(x_i + h) - (x_i - h)`, rather than :math:`2h`.

    ``f`` is called :math:`2 \cdot \text{x.size} + 1` times, each time on a fresh float64 copy of
    ``x`` of the same shape, so ``f`` may even modify its argument in place.

    Book: chapter 03, §3.4 (checking hand-derived gradients) and chapter 04 (gradient checking).

    Parameters
    ----------
    f:
        Callable taking an array of ``x``'s shape and returning a real scalar.
    x:
        Point at which to differentiate: a finite real scalar or array of any shape. It is not
        modified.
    eps:
        The step :math:`h > 0`.
    method:
        ``"central"`` (default) or ``"forward"``.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape (0-d for a scalar ``x``).

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``x`` is not numeric, ``eps`` is not a real number, or ``f``
        returns something that is not a real number.
    ValueError
        If ``f(x)`` is not a scalar or not finite, ``x`` is not finite, or ``eps <= 0``.
    """
    func = "numerical_gradient"
    if not callable(f):
        raise TypeError(f"{func}: f must be callable, got {type(f).__name__}")
    x0 = np.array(as_float_array(x, "x", func), dtype=np.float64, copy=True)
    h = as_real(eps, "eps", func, positive=True)
    if method not in ("central", "forward"):
        raise ValueError(f"{func}: method must be 'central' or 'forward', got {method!r}")
    f0 = _scalar_value(f(x0.copy()), func, "at x")
    grad = np.empty(x0.shape, dtype=np.float64)
    flat = grad.reshape(-1)
    # The loop runs over coordinates of x (the inputs of f), not over examples: each partial
    # derivative needs its own two evaluations of the black-box f.
    for i in range(x0.size):
        xp = x0.copy()
        if method == "forward":
            xp.flat[i] += h
            flat[i] = (_scalar_value(f(xp), func, f"at x + eps * e_{i}") - f0) / (xp.flat[i] - x0.flat[i])
            continue
        xm = x0.copy()
        xp.flat[i] += h
        xm.flat[i] -= h
        step = xp.flat[i] - xm.flat[i]
        fp = _scalar_value(f(xp), func, f"at x + eps * e_{i}")
        fm = _scalar_value(f(xm), func, f"at x - eps * e_{i}")
        flat[i] = (fp - fm) / step
    return grad


def gradcheck(
    f: Callable[[np.ndarray], float],
    grad_f: Callable[[np.ndarray], Any],
    x: Any,
    eps: float = 1e-6,
    atol: float = 1e-8,
) -> float:
    r"""Largest relative discrepancy between an analytic gradient and finite differences.

    With :math:`g = \nabla f(x)` from ``grad_f`` and :math:`n` from :func:`numerical_gradient`,

    .. math::

        \operatorname{err} = \max_i \frac{|g_i - n_i|}{\max(\text{atol},\ |g_i| + |n_i|)},

    the book's one definition of relative error (:func:`relative_error`, convention C12, which
    this equals for the default ``atol = 1e-8``). A correct gradient typically gives
    :math:`10^{-10}`–:math:`10^{-7}`; a wrong one gives something of order 1 (the value is at
    most 1). Caveat: where the true gradient is (near) zero the denominator is ``atol``, so the
    round-off of the finite differences, about :math:`\epsilon_\text{mach} |f| / h`, is divided
    by ``atol`` and can dominate the result; check such points with a larger ``atol``.

    Book: chapter 03, §3.4 (checking hand-derived gradients) and chapter 04 (gradient checking).

    Parameters
    ----------
    f:
        Scalar function, as for :func:`numerical_gradient`.
    grad_f:
        Callable returning the claimed gradient of ``f`` at ``x``, an array of ``x``'s shape.
    x:
        Finite real scalar or array; not modified.
    eps:
        Finite-difference step, > 0.
    atol:
        Floor of the denominator, > 0 (avoids 0/0 where both gradients vanish).

    Returns
    -------
    float
        The maximal relative error (0.0 for an empty ``x``).

    Raises
    ------
    TypeError
        If ``f`` or ``grad_f`` is not callable, or an argument has the wrong type.
    ValueError
        If ``grad_f(x)`` does not have ``x``'s shape or is not finite, ``eps <= 0`` or
        ``atol <= 0``, or ``f`` misbehaves (see :func:`numerical_gradient`).
    """
    func = "gradcheck"
    if not callable(f):
        raise TypeError(f"{func}: f must be callable, got {type(f).__name__}")
    if not callable(grad_f):
        raise TypeError(f"{func}: grad_f must be callable, got {type(grad_f).__name__}")
    x0 = np.array(as_float_array(x, "x", func), dtype=np.float64, copy=True)
    as_real(eps, "eps", func, positive=True)
    tol = as_real(atol, "atol", func, positive=True)
    g = as_float_array(grad_f(x0.copy()), "grad_f(x)", func)
    if g.shape != x0.shape:
        raise ValueError(
            f"{func}: grad_f(x) must have the shape of x, {x0.shape}, got shape {g.shape}"
        )
    n = numerical_gradient(f, x0, eps)
    if g.size == 0:
        return 0.0
    denom = np.maximum(np.abs(g) + np.abs(n), tol)
    return float(np.max(np.abs(g - n) / denom))


def relative_error(a: Any, b: Any) -> float:
    r"""The book's one definition of the relative error between two arrays (convention C12).

    .. math::

        \operatorname{relerr}(a, b) = \max_i
        \frac{|a_i - b_i|}{\max\bigl(10^{-8},\ |a_i| + |b_i|\bigr)},

    computed elementwise and then maximised. It is symmetric in ``a`` and ``b``, lies in
    :math:`[0, 1]`, is 0 for equal arrays and 1 when the two have opposite signs (or one of them
    is 0 and the other is not tiny). The floor :math:`10^{-8}` keeps pairs of (near-)zero entries
    from dividing by zero: there the error is the absolute difference divided by :math:`10^{-8}`.

    Rule of thumb when comparing a backprop gradient with finite differences in float64: below
    about :math:`10^{-7}` is good, :math:`10^{-7}` to :math:`10^{-4}` is acceptable near kinks
    (ReLU at 0), above :math:`10^{-4}` is suspect.

    Book: chapter 04, "Gradient checking".

    Parameters
    ----------
    a, b:
        Finite real scalars or arrays of the same shape.

    Returns
    -------
    float
        The maximal elementwise relative error (0.0 for empty arrays).

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not numeric.
    ValueError
        If ``a`` or ``b`` is not finite, or their shapes differ.
    """
    func = "relative_error"
    a_arr = as_float_array(a, "a", func)
    b_arr = as_float_array(b, "b", func)
    if a_arr.shape != b_arr.shape:
        raise ValueError(
            f"{func}: a and b must have the same shape, got a.shape={a_arr.shape} and b.shape={b_arr.shape}"
        )
    if a_arr.size == 0:
        return 0.0
    denom = np.maximum(1e-8, np.abs(a_arr) + np.abs(b_arr))
    return float(np.max(np.abs(a_arr - b_arr) / denom))
