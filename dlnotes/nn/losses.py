r"""Losses from maximum likelihood, as modules with ``forward(input, target)`` and ``backward()``.

Each loss is the negative log-likelihood of a distribution whose parameters the network outputs:

==========================  ================================  ==========================================
loss                        distribution of :math:`y`         network output
==========================  ================================  ==========================================
:class:`MSELoss`            Gaussian, fixed variance          the mean
:class:`GaussianNLLLoss`    Gaussian                          mean and variance (heteroscedastic)
:class:`BCEWithLogitsLoss`  Bernoulli                         the logit :math:`z`, :math:`p = \sigma(z)`
:class:`CrossEntropyLoss`   categorical over :math:`0..C-1`   logits, :math:`p = \operatorname{softmax}(z)`
==========================  ================================  ==========================================

Conventions (chapter 04, §3.0), all PyTorch's:

* ``reduction="mean"`` (default) averages over the batch for the classification losses and over
  *all elements* for ``MSELoss``/``BCEWithLogitsLoss``/``GaussianNLLLoss`` (C4); ``"sum"`` sums;
  ``"none"`` returns the per-element losses. ``backward()`` includes the :math:`1/N`, so the
  gradients that reach the layers are already those of the mean.
* Class labels are integers ``0..C-1`` (C5); the classification losses take *logits*, never
  probabilities, and evaluate :math:`\log\operatorname{softmax}` and :math:`\log\sigma` stably (C10).

``forward`` caches what ``backward`` needs; ``backward(grad_output=None)`` returns
:math:`\partial\mathcal L/\partial\,\text{input}` (for ``reduction="none"`` it takes the upstream
gradient of the per-element losses, ones by default). The functional forms
(:func:`mse_loss`, :func:`cross_entropy`, :func:`binary_cross_entropy_with_logits`,
:func:`gaussian_nll_loss`) return the value only, like ``torch.nn.functional``.

Book: chapter 04, "Losses from maximum likelihood".
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from dlnotes._validation import as_float_array, as_real
from dlnotes.nn import functional as F
from dlnotes.nn.module import Module

__all__ = [
    "MSELoss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "GaussianNLLLoss",
    "mse_loss",
    "cross_entropy",
    "binary_cross_entropy_with_logits",
    "gaussian_nll_loss",
]

_REDUCTIONS = ("mean", "sum", "none")
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _check_reduction(reduction: Any, func: str, extra: tuple[str, ...] = ()) -> str:
    allowed = _REDUCTIONS + extra
    if reduction not in allowed:
        raise ValueError(f"{func}: reduction must be one of {allowed}, got {reduction!r}")
    return reduction


def _reduce(per_elem: np.ndarray, reduction: str, n_mean: int) -> tuple[Any, float]:
    """Return (value, scale): the reduced loss and the factor d(value)/d(per-element loss)."""
    if reduction == "none":
        return per_elem, 1.0
    total = float(np.sum(per_elem))
    if reduction == "sum":
        return total, 1.0
    scale = 1.0 / n_mean if n_mean > 0 else float("nan")
    return total * scale, scale


def _same_shape(target: Any, input_: np.ndarray, func: str, name: str = "target") -> np.ndarray:
    t = as_float_array(target, name, func)
    if t.shape != input_.shape:
        raise ValueError(f"{func}: {name} must have the shape of input, {input_.shape}, got {t.shape}")
    return t


# --------------------------------------------------------------------------------------------
# value-and-gradient kernels (one home for each formula)
# --------------------------------------------------------------------------------------------


def _mse(input: Any, target: Any, reduction: str, func: str) -> tuple[Any, np.ndarray, float]:
    x = as_float_array(input, "input", func)
    t = _same_shape(target, x, func)
    r = x - t
    n = x.size if reduction == "mean" else (x.shape[0] if x.ndim else 1)
    if reduction == "batchmean":
        value, scale = float(np.sum(r * r)) / n, 1.0 / n
    else:
        value, scale = _reduce(r * r, reduction, x.size)
    return value, 2.0 * r, scale  # d(per-element)/dx = 2 r


def _class_targets(target: Any, n: int, n_classes: int, func: str) -> np.ndarray:
    if isinstance(target, (str, bytes)) or target is None:
        raise TypeError(
            f"{func}: target must be an integer array of class indices, got {type(target).__name__}"
        )
    y = np.asarray(target)
    if y.dtype == bool or y.dtype.kind not in "iu":
        raise TypeError(
            f"{func}: target must be an integer array of class indices in 0..C-1, got dtype {y.dtype} "
            "(class probabilities are not supported; convert labels with y.astype(int))"
        )
    if y.shape != (n,):
        raise ValueError(
            f"{func}: target must have shape (N,) = ({n},) to match input of shape ({n}, {n_classes}), got {y.shape}"
        )
    bad = (y < 0) | (y >= n_classes)
    if bad.any():
        raise ValueError(
            f"{func}: target must contain class indices in 0..C-1 = 0..{n_classes - 1}, "
            f"got value(s) {np.unique(y[bad])[:5].tolist()} (labels 1..C? subtract 1)"
        )
    return y.astype(np.intp)


def _ce_options(weight: Any, label_smoothing: Any, n_classes: int | None, func: str) -> tuple[np.ndarray | None, float]:
    eps = as_real(label_smoothing, "label_smoothing", func)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"{func}: label_smoothing must be in [0, 1], got {eps}")
    if weight is None:
        return None, eps
    w = as_float_array(weight, "weight", func)
    if w.ndim != 1 or (n_classes is not None and w.shape[0] != n_classes):
        want = "(C,)" if n_classes is None else f"(C,) = ({n_classes},)"
        raise ValueError(f"{func}: weight must be a 1-D array of per-class weights of shape {want}, got shape {w.shape}")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError(f"{func}: weight must be finite and non-negative, got {w[:6].tolist()}")
    return w, eps


def _cross_entropy(
    input: Any, target: Any, reduction: str, func: str, weight: Any = None, label_smoothing: Any = 0.0
) -> tuple[Any, np.ndarray, float]:
    z = as_float_array(input, "input", func)
    if z.ndim != 2 or z.shape[1] < 1:
        raise ValueError(f"{func}: input must be logits of shape (N, C) with C >= 1, got shape {z.shape}")
    n, c = z.shape
    y = _class_targets(target, n, c, func)
    w, eps = _ce_options(weight, label_smoothing, c, func)
    wv = np.ones(c) if w is None else w
    rows = np.arange(n)
    if n == 0:
        per = np.zeros(0)
        p = np.zeros_like(z)
        lse = np.zeros(0)
    else:
        lse = F.logsumexp(z, axis=1)
        per = lse - z[rows, y]  # -log softmax(z)_y, stably
        p = F.softmax(z, axis=1)
    grad = p.copy()
    grad[rows, y] -= 1.0  # d(-log p_y)/dz = softmax(z) - onehot(y)
    wy = wv[y]
    per = (1.0 - eps) * wy * per
    grad *= (1.0 - eps) * wy[:, None]
    if eps > 0.0 and n > 0:
        # the smoothing term (eps/C) sum_c w_c (-log p_c) and its gradient (eps/C)(W p - w)
        per = per + eps / c * (wv.sum() * lse - z @ wv)
        grad += eps / c * (wv.sum() * p - wv[None, :])
    value, scale = _reduce(per, reduction, float(wy.sum()) if w is not None else n)
    return value, grad, scale


def _bce_with_logits(input: Any, target: Any, reduction: str, func: str) -> tuple[Any, np.ndarray, float]:
    z = as_float_array(input, "input", func)
    y = _same_shape(target, z, func)
    if np.any((y < 0) | (y > 1)):
        raise ValueError(
            f"{func}: target must contain probabilities in [0, 1], got values in [{y.min()}, {y.max()}]"
        )
    with np.errstate(under="ignore"):
        per = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))  # softplus(z) - y z
    grad = np.asarray(F.sigmoid(z)) - y
    value, scale = _reduce(per, reduction, z.size)
    return value, grad, scale


def _var_shape(var: Any, x: np.ndarray, func: str) -> tuple[np.ndarray, bool, tuple[int, ...]]:
    """Validate var as torch does; return (var broadcastable to x, was-a-scalar, original shape)."""
    if isinstance(var, (Real, np.floating, np.integer)) and not isinstance(var, bool):
        v = as_real(var, "var", func)
        if v < 0:
            raise ValueError(f"{func}: var must be >= 0 (a variance), got {v}")
        return np.full(x.shape, v), True, ()
    v = as_float_array(var, "var", func)
    if np.any(v < 0):
        raise ValueError(f"{func}: var must be >= 0 (variances), got minimum {v.min()}")
    orig = v.shape
    if v.shape != x.shape:
        if x.ndim >= 1 and v.shape == x.shape[:-1]:
            v = v[..., None]  # one variance per example, shared by its last-axis entries
        else:
            mismatch = [i for i in range(x.ndim) if v.ndim == x.ndim and v.shape[i] != x.shape[i]]
            if not (v.ndim == x.ndim and len(mismatch) == 1 and v.shape[mismatch[0]] == 1):
                raise ValueError(
                    f"{func}: var must have the shape of input {x.shape}, or that shape without its last "
                    f"axis {x.shape[:-1]}, or that shape with exactly one axis of size 1; got {orig}"
                )
    return v, False, orig


def _gaussian_nll(
    input: Any, target: Any, var: Any, full: bool, eps: float, reduction: str, func: str
) -> tuple[Any, np.ndarray, Any]:
    x = as_float_array(input, "input", func)
    t = _same_shape(target, x, func)
    v, scalar, orig = _var_shape(var, x, func)
    vc = np.maximum(v, eps)  # clamp; the gradient passes through it unchanged, as in torch
    r = x - t
    per = 0.5 * (np.log(vc) + r * r / vc)
    if full:
        per = per + _HALF_LOG_2PI
    value, scale = _reduce(per, reduction, per.size)
    d_input = r / vc
    d_var = np.broadcast_to(0.5 * (1.0 / vc - r * r / (vc * vc)), x.shape)
    return value, (d_input, d_var, v.shape, scalar, orig), scale


# --------------------------------------------------------------------------------------------
# modules
# --------------------------------------------------------------------------------------------


class _Loss(Module):
    _extra_reductions: tuple[str, ...] = ()

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _check_reduction(reduction, type(self).__name__, self._extra_reductions)
        self._cache: Any = None

    def _upstream(self, grad_output: Any, shape: tuple[int, ...]) -> Any:
        func = f"{type(self).__name__}.backward"
        if self.reduction == "none":
            if grad_output is None:
                return 1.0
            g = as_float_array(grad_output, "grad_output", func)
            if g.shape != shape:
                raise ValueError(
                    f"{func}: grad_output must have the shape of the per-element loss, {shape}, got {g.shape}"
                )
            return g
        if grad_output is None:
            return 1.0
        return as_real(grad_output, "grad_output", func)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    r"""Mean squared error, :math:`\frac1{M}\sum_i (x_i - y_i)^2` over all :math:`M` elements (``torch.nn.MSELoss``).

    It is the Gaussian negative log-likelihood with a fixed variance, up to constants.
    Gradient: :math:`2(x - y)/M` (``"mean"``) or :math:`2(x - y)` (``"sum"``). The extra
    ``reduction="batchmean"`` sums over outputs and averages over the batch (axis 0),
    :math:`\frac1N\sum_n\lVert x_n - y_n\rVert^2`.

    Parameters
    ----------
    reduction:
        ``"mean"`` (default), ``"sum"``, ``"none"`` or ``"batchmean"``.
    """

    _extra_reductions = ("batchmean",)

    def forward(self, input: Any, target: Any) -> Any:
        """Return the loss for ``input`` and ``target`` of the same (any) shape."""
        value, grad, scale = _mse(input, target, self.reduction, "MSELoss.forward")
        self._cache = (grad, scale)
        return value

    def backward(self, grad_output: Any = None) -> np.ndarray:
        """Gradient of the loss with respect to ``input``."""
        grad, scale = self._cached("_cache")
        return grad * scale * self._upstream(grad_output, grad.shape)


class CrossEntropyLoss(_Loss):
    r"""Softmax cross-entropy from logits, as ``torch.nn.CrossEntropyLoss`` with class-index targets.

    For logits :math:`z_n \in \mathbb R^C` and label :math:`y_n \in \{0, \dots, C-1\}`,

    .. math::

        \ell_n = -\log\operatorname{softmax}(z_n)_{y_n} = \operatorname{logsumexp}(z_n) - z_{n, y_n},
        \qquad \frac{\partial\ell_n}{\partial z_n} = \operatorname{softmax}(z_n) - e_{y_n},

    averaged over the batch (``"mean"``, so the gradient is divided by :math:`N`) or summed.
    Stable for any finite logits (log-sum-exp with the maximum subtracted). Worked values:
    logits [1, 2, 3] with label 2 give 0.4076060; zero logits with :math:`C = 10` give
    :math:`\log 10`.

    With class weights :math:`w` and label smoothing :math:`\varepsilon` (chapter 06), exactly
    as PyTorch defines them,

    .. math::

        \ell_n = (1-\varepsilon)\, w_{y_n} \bigl(-\log p_{n,y_n}\bigr)
                + \frac{\varepsilon}{C} \sum_c w_c \bigl(-\log p_{n,c}\bigr),

    and the ``"mean"`` reduction divides by :math:`\sum_n w_{y_n}` (not by :math:`N`). Worked
    values: logits [[2, 0], [0, 1], [1, 1]], labels [0, 1, 1], ``weight=[1, 3]`` give 0.449451
    (dividing by N would give 1.048718); logits [2, 1, 0.1, -1] with label 0 and
    ``label_smoothing=0.1`` give 0.596813.

    Parameters
    ----------
    weight:
        Optional per-class weights, shape (C,), non-negative.
    reduction:
        ``"mean"`` (default), ``"sum"`` or ``"none"``.
    label_smoothing:
        :math:`\varepsilon \in [0, 1]`: the target becomes :math:`(1-\varepsilon)\,\text{onehot} + \varepsilon/C`.
    """

    def __init__(self, weight: Any = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        w, eps = _ce_options(weight, label_smoothing, None, "CrossEntropyLoss")
        self.weight = w
        self.label_smoothing = eps

    def forward(self, input: Any, target: Any) -> Any:
        """Return the loss for logits ``input`` of shape (N, C) and integer ``target`` of shape (N,)."""
        value, grad, scale = _cross_entropy(
            input, target, self.reduction, "CrossEntropyLoss.forward", self.weight, self.label_smoothing
        )
        self._cache = (grad, scale)
        return value

    def extra_repr(self) -> str:
        extra = f", label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
        return super().extra_repr() + (", weight=..." if self.weight is not None else "") + extra

    def backward(self, grad_output: Any = None) -> np.ndarray:
        """Gradient with respect to the logits.

        :math:`(\\operatorname{softmax}(z) - \\text{onehot}(y))/N` for the mean reduction.
        """
        grad, scale = self._cached("_cache")
        g = self._upstream(grad_output, (grad.shape[0],))
        if isinstance(g, np.ndarray):
            g = g[:, None]
        return grad * scale * g


class BCEWithLogitsLoss(_Loss):
    r"""Binary cross-entropy from logits, as ``torch.nn.BCEWithLogitsLoss`` (no ``weight``/``pos_weight``).

    For a logit :math:`z` and a target :math:`y \in [0, 1]` (the Bernoulli NLL with
    :math:`p = \sigma(z)`),

    .. math::

        \ell = -y\log\sigma(z) - (1 - y)\log(1 - \sigma(z))
             = \operatorname{softplus}(z) - yz
             = \max(z, 0) - yz + \log(1 + e^{-|z|}),

    whose last form never overflows; :math:`\partial\ell/\partial z = \sigma(z) - y`. Averaged over
    all elements by default. Worked value: :math:`z = 0, y = 1` gives :math:`\ln 2`.

    Parameters
    ----------
    reduction:
        ``"mean"`` (default), ``"sum"`` or ``"none"``.
    """

    def forward(self, input: Any, target: Any) -> Any:
        """Return the loss for logits ``input`` and float ``target`` in [0, 1] of the same shape."""
        value, grad, scale = _bce_with_logits(input, target, self.reduction, "BCEWithLogitsLoss.forward")
        self._cache = (grad, scale)
        return value

    def backward(self, grad_output: Any = None) -> np.ndarray:
        """Gradient with respect to the logits, :math:`(\\sigma(z) - y)/M` for the mean."""
        grad, scale = self._cached("_cache")
        return grad * scale * self._upstream(grad_output, grad.shape)


class GaussianNLLLoss(_Loss):
    r"""Gaussian negative log-likelihood with a predicted variance, as ``torch.nn.GaussianNLLLoss``.

    For a predicted mean :math:`\mu` (``input``), an observation :math:`y` (``target``) and a
    predicted variance :math:`v` (``var``),

    .. math::

        \ell = \tfrac12\Bigl(\log\max(v, \epsilon) + \frac{(\mu - y)^2}{\max(v, \epsilon)}\Bigr)
               \;\bigl[+\ \tfrac12\log 2\pi \text{ if } \texttt{full}\bigr],

    averaged over all elements (``"mean"``) or summed. With ``full=True`` this is exactly
    :math:`-\log\mathcal N(y; \mu, v)` (e.g. :math:`y = 1, \mu = 0, v = 1` gives 1.4189385);
    PyTorch's default ``full=False`` drops the constant, which does not change the gradients.

    PyTorch's semantics, reproduced exactly:

    * **argument order** ``(input, target, var)``: mean first, variance last;
    * **eps clamps, it is not added**: ``var`` is replaced by :math:`\max(v, \epsilon)`, and the
      clamp is applied outside autograd, so the gradient with respect to ``var`` is the
      derivative at the clamped value, :math:`\tfrac12(1/v_c - (\mu - y)^2/v_c^2)`, passed on
      unchanged even for entries below :math:`\epsilon` (it is *not* zeroed);
    * **shapes of var**: the shape of ``input`` (heteroscedastic); ``input``'s shape without its
      last axis, e.g. ``(N,)`` for ``(N, D)`` (one variance per example); or ``input``'s shape with
      exactly one axis of size 1, e.g. ``(N, 1)`` or ``(1, D)``; or a Python number. ``var`` must
      be :math:`\ge 0`.

    ``backward()`` returns ``(grad_input, grad_var)``, with ``grad_var`` of ``var``'s shape (summed
    over the broadcast axes; a float if ``var`` was a number). ``target`` must have ``input``'s
    shape.

    Parameters
    ----------
    full:
        Include the constant :math:`\tfrac12\log 2\pi` (default False, as PyTorch).
    eps:
        Clamp value for ``var`` (> 0, default 1e-6).
    reduction:
        ``"mean"`` (default), ``"sum"`` or ``"none"``.
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if not isinstance(full, (bool, np.bool_)):
            raise TypeError(f"GaussianNLLLoss: full must be a bool, got {type(full).__name__}")
        self.full = bool(full)
        self.eps = as_real(eps, "eps", "GaussianNLLLoss", positive=True)

    def forward(self, input: Any, target: Any, var: Any) -> Any:
        """Return the loss for mean ``input``, observation ``target`` and variance ``var``."""
        value, parts, scale = _gaussian_nll(
            input, target, var, self.full, self.eps, self.reduction, "GaussianNLLLoss.forward"
        )
        self._cache = (parts, scale)
        return value

    def backward(self, grad_output: Any = None) -> tuple[np.ndarray, Any]:
        """Return ``(grad_input, grad_var)``."""
        (d_input, d_var, vb_shape, scalar, orig), scale = self._cached("_cache")
        g = self._upstream(grad_output, d_input.shape)
        grad_input = d_input * scale * g
        gv = d_var * scale * g
        if scalar:
            return grad_input, float(np.sum(gv))
        axes = tuple(i for i, (a, b) in enumerate(zip(vb_shape, gv.shape)) if a == 1 and b != 1)
        gv = np.sum(gv, axis=axes, keepdims=True) if axes else np.array(gv)
        return grad_input, gv.reshape(orig)

    def extra_repr(self) -> str:
        return f"full={self.full}, eps={self.eps}, reduction={self.reduction!r}"


# --------------------------------------------------------------------------------------------
# functional forms (value only, like torch.nn.functional)
# --------------------------------------------------------------------------------------------


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Value of :class:`MSELoss` (``torch.nn.functional.mse_loss``)."""
    func = "mse_loss"
    return _mse(input, target, _check_reduction(reduction, func, ("batchmean",)), func)[0]


def cross_entropy(
    input: Any, target: Any, weight: Any = None, reduction: str = "mean", label_smoothing: float = 0.0
) -> Any:
    """Value of :class:`CrossEntropyLoss` for logits (N, C) and class indices (N,).

    Same as ``torch.nn.functional.cross_entropy`` (``weight``, ``reduction``, ``label_smoothing``).
    """
    func = "cross_entropy"
    return _cross_entropy(input, target, _check_reduction(reduction, func), func, weight, label_smoothing)[0]


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Value of :class:`BCEWithLogitsLoss` (``torch.nn.functional.binary_cross_entropy_with_logits``)."""
    func = "binary_cross_entropy_with_logits"
    return _bce_with_logits(input, target, _check_reduction(reduction, func), func)[0]


def gaussian_nll_loss(
    input: Any, target: Any, var: Any, full: bool = False, eps: float = 1e-6, reduction: str = "mean"
) -> Any:
    """Value of :class:`GaussianNLLLoss` (``torch.nn.functional.gaussian_nll_loss``, same argument order)."""
    func = "gaussian_nll_loss"
    if not isinstance(full, (bool, np.bool_)):
        raise TypeError(f"{func}: full must be a bool, got {type(full).__name__}")
    e = as_real(eps, "eps", func, positive=True)
    return _gaussian_nll(input, target, var, bool(full), e, _check_reduction(reduction, func), func)[0]
