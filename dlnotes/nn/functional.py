r"""Activation functions and their derivatives, as pure NumPy functions.

Every function here takes a real array of any shape and returns a float64 array of the same
shape. For each activation ``f`` there is ``f_grad``, the elementwise derivative
:math:`f'(x)` (not a vector-Jacobian product: the layers of :mod:`dlnotes.nn.layers` multiply
it by the upstream gradient themselves).

Conventions (chapter 04, §3.0):

* **Kinks follow PyTorch autograd (C3).** relu'(0) = 0, leaky_relu'(0) = ``negative_slope``,
  prelu'(0) = alpha, elu'(0) = alpha, selu'(0) = scale·alpha ≈ 1.7581, softplus'(0) = 1/2.
  Any value between the one-sided derivatives is a valid subgradient at a kink; these are
  *conventions*, chosen to agree with PyTorch.
* **GELU is exact by default (C11):** ``gelu(x) = x Φ(x)``; the tanh and sigmoid forms are
  approximations, selected explicitly.
* **Softmax acts on the last axis (C10).** :func:`softmax`, :func:`log_softmax`,
  :func:`logsumexp` and :func:`sigmoid` are the stable implementations of
  :mod:`dlnotes.numerics`, re-exported here (one home for each function).

Nothing here overflows or emits floating-point warnings for finite inputs: exponentials are only
taken of non-positive numbers.

Book: chapter 04, "Activation functions and their derivatives".
"""

from __future__ import annotations

import functools
from numbers import Real
from typing import Any, Callable

import numpy as np
import scipy.special as sps

from dlnotes._validation import as_float_array, as_real
from dlnotes.numerics import log_softmax, logsumexp, sigmoid, softmax

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "prelu",
    "prelu_grad",
    "elu",
    "elu_grad",
    "selu",
    "selu_grad",
    "SELU_ALPHA",
    "SELU_SCALE",
    "gelu",
    "gelu_grad",
    "silu",
    "silu_grad",
    "swish",
    "swish_grad",
    "softplus",
    "softplus_grad",
    "identity",
    "identity_grad",
    "maxout",
    "maxout_backward",
    "softmax",
    "log_softmax",
    "logsumexp",
    "softmax_jacobian",
    "get_activation",
    "ACTIVATIONS",
]

#: SELU constants of Klambauer et al. (2017), to the digits PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))
_GELU_TANH_KAPPA = 0.044715
_GELU_SIGMOID_K = 1.702


def _x(x: Any, func: str, name: str = "x") -> np.ndarray:
    return as_float_array(x, name, func)


def _finite_real(v: Any, name: str, func: str) -> float:
    return as_real(v, name, func)


# --------------------------------------------------------------------------------------------
# sigmoid and tanh
# --------------------------------------------------------------------------------------------


def sigmoid_grad(x: Any) -> np.ndarray:
    r"""Derivative of the logistic function, :math:`\sigma'(x) = \sigma(x)\,(1 - \sigma(x))`.

    It is at most :math:`1/4` (at :math:`x = 0`) and decays like :math:`e^{-|x|}`:
    :math:`\sigma'(10) \approx 4.54\times 10^{-5}`, small but never exactly zero for moderate
    :math:`|x|` (saturation, not a zero gradient).

    Parameters
    ----------
    x:
        Finite real array of any shape.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape, values in :math:`[0, 1/4]`.
    """
    arr = _x(x, "sigmoid_grad")
    s = np.asarray(sigmoid(arr))
    return s * (1.0 - s)


def tanh(x: Any) -> np.ndarray:
    r"""Hyperbolic tangent, :math:`\tanh x = (e^{x} - e^{-x}) / (e^{x} + e^{-x}) = 2\sigma(2x) - 1`.

    Zero-centred, with range the open interval :math:`(-1, 1)`. Note the factor 2 inside
    :math:`\sigma`: :math:`2\sigma(x) - 1` is :math:`\tanh(x/2)`, not :math:`\tanh x`.

    Parameters
    ----------
    x:
        Finite real array of any shape.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    return np.tanh(_x(x, "tanh"))


def tanh_grad(x: Any) -> np.ndarray:
    r"""Derivative of tanh, :math:`\tanh'(x) = 1 - \tanh^2 x = \operatorname{sech}^2 x \in (0, 1]`.

    Parameters
    ----------
    x:
        Finite real array of any shape.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    t = np.tanh(_x(x, "tanh_grad"))
    return 1.0 - t * t


# --------------------------------------------------------------------------------------------
# rectifiers
# --------------------------------------------------------------------------------------------


def relu(x: Any) -> np.ndarray:
    r"""Rectified linear unit, :math:`\operatorname{relu}(x) = \max(0, x)`.

    Parameters
    ----------
    x:
        Finite real array of any shape.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "relu")
    return np.where(arr > 0, arr, 0.0)


def relu_grad(x: Any) -> np.ndarray:
    r"""Derivative of ReLU, :math:`\mathbb{1}[x > 0]`, with the PyTorch convention relu'(0) = 0.

    ReLU is not differentiable at 0; every value in :math:`[0, 1]` is a subgradient there. The
    choice 0 is a convention (C3), and rarely matters because exact zeros are rare in practice.

    Parameters
    ----------
    x:
        Finite real array of any shape.

    Returns
    -------
    numpy.ndarray
        Float64 array of zeros and ones, of ``x``'s shape.
    """
    arr = _x(x, "relu_grad")
    return (arr > 0).astype(np.float64)


def _slope(negative_slope: Any, func: str) -> float:
    return _finite_real(negative_slope, "negative_slope", func)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU: :math:`x` for :math:`x > 0` and :math:`\alpha x` otherwise (:math:`\alpha` = ``negative_slope``).

    For :math:`0 < \alpha < 1` this equals :math:`\max(\alpha x, x)`.

    Parameters
    ----------
    x:
        Finite real array of any shape.
    negative_slope:
        The slope :math:`\alpha` for negative inputs (PyTorch's default 0.01).

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "leaky_relu")
    a = _slope(negative_slope, "leaky_relu")
    return np.where(arr > 0, arr, a * arr)


def leaky_relu_grad(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    r"""Derivative of leaky ReLU: 1 for :math:`x > 0` and ``negative_slope`` for :math:`x \le 0`.

    At :math:`x = 0` the value is ``negative_slope``, as in PyTorch (C3).

    Parameters
    ----------
    x:
        Finite real array of any shape.
    negative_slope:
        The slope for negative inputs.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "leaky_relu_grad")
    a = _slope(negative_slope, "leaky_relu_grad")
    return np.where(arr > 0, 1.0, a)


def _prelu_alpha(x: np.ndarray, alpha: Any, func: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """Return (alpha as an array, alpha broadcastable against x, alpha-was-a-scalar)."""
    if isinstance(alpha, (Real, np.floating, np.integer)) and not isinstance(alpha, bool):
        a = np.asarray(_finite_real(alpha, "alpha", func))
        return a, a, True
    a = as_float_array(alpha, "alpha", func, ndim=1)
    if a.size == 1:
        return a, a.reshape(()), False
    if x.ndim < 2:
        raise ValueError(
            f"{func}: alpha with {a.size} entries needs x with a channel axis 1 (at least 2-D); "
            f"x has shape {x.shape}. Use a single alpha for 0-D or 1-D x"
        )
    if x.shape[1] != a.size:
        raise ValueError(
            f"{func}: alpha must have 1 entry or one per channel, x.shape[1] = {x.shape[1]}, "
            f"got {a.size} entries"
        )
    shape = (1, a.size) + (1,) * (x.ndim - 2)
    return a, a.reshape(shape), False


def prelu(x: Any, alpha: Any) -> np.ndarray:
    r"""Parametric ReLU: :math:`x` for :math:`x > 0` and :math:`\alpha x` otherwise, with a learnable :math:`\alpha`.

    As in ``torch.nn.functional.prelu``, ``alpha`` is either a single slope or one slope per
    channel, the channel axis being axis 1 of ``x``.

    Parameters
    ----------
    x:
        Finite real array of any shape.
    alpha:
        A real number, an array of one entry, or a 1-D array of ``x.shape[1]`` entries.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "prelu")
    _, a, _ = _prelu_alpha(arr, alpha, "prelu")
    return np.where(arr > 0, arr, a * arr)


def prelu_grad(x: Any, alpha: Any, grad_output: Any = None) -> tuple[np.ndarray, np.ndarray | float]:
    r"""Gradients of PReLU with respect to its input and to its slope.

    With upstream gradient :math:`g` (ones by default),

    .. math::

        \frac{\partial \mathcal{L}}{\partial x_i} = g_i \cdot
        \begin{cases} 1 & x_i > 0 \\ \alpha & x_i \le 0 \end{cases},
        \qquad
        \frac{\partial \mathcal{L}}{\partial \alpha} = \sum_{i:\, x_i \le 0} g_i\, x_i ,

    the second sum being taken per channel when ``alpha`` has one entry per channel. At
    :math:`x = 0` the input derivative is :math:`\alpha` (C3), as in PyTorch.

    Parameters
    ----------
    x:
        Finite real array of any shape.
    alpha:
        As for :func:`prelu`.
    grad_output:
        Upstream gradient of ``x``'s shape; default all ones (then the first output is the
        elementwise derivative).

    Returns
    -------
    tuple
        ``(dx, dalpha)``: ``dx`` has ``x``'s shape; ``dalpha`` is a float if ``alpha`` was a
        number, otherwise an array of ``alpha``'s shape.
    """
    func = "prelu_grad"
    arr = _x(x, func)
    a_raw, a, scalar = _prelu_alpha(arr, alpha, func)
    g = np.ones_like(arr) if grad_output is None else _x(grad_output, func, "grad_output")
    if g.shape != arr.shape:
        raise ValueError(f"{func}: grad_output must have the shape of x, {arr.shape}, got {g.shape}")
    pos = arr > 0
    dx = g * np.where(pos, 1.0, a)
    contrib = np.where(pos, 0.0, arr) * g
    if scalar:
        return dx, float(contrib.sum())
    if a_raw.size == 1:
        return dx, np.array([contrib.sum()])
    axes = (0,) + tuple(range(2, arr.ndim))
    return dx, contrib.sum(axis=axes)


def elu(x: Any, alpha: float = 1.0) -> np.ndarray:
    r"""Exponential linear unit: :math:`x` for :math:`x > 0` and :math:`\alpha(e^{x} - 1)` for :math:`x \le 0`.

    Its outputs saturate at :math:`-\alpha` for very negative inputs, which pushes mean
    activations toward zero (Clevert et al., 2016).

    Parameters
    ----------
    x:
        Finite real array of any shape.
    alpha:
        The negative saturation value (default 1).

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "elu")
    a = _finite_real(alpha, "alpha", "elu")
    return np.where(arr > 0, arr, a * np.expm1(np.minimum(arr, 0.0)))


def elu_grad(x: Any, alpha: float = 1.0) -> np.ndarray:
    r"""Derivative of ELU: 1 for :math:`x > 0`, :math:`\alpha e^{x} = \operatorname{elu}(x) + \alpha` otherwise.

    At :math:`x = 0` the value is :math:`\alpha` (PyTorch, C3). ELU is differentiable at 0 only
    when :math:`\alpha = 1`.

    Parameters
    ----------
    x:
        Finite real array of any shape.
    alpha:
        As for :func:`elu`.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "elu_grad")
    a = _finite_real(alpha, "alpha", "elu_grad")
    with np.errstate(under="ignore"):
        return np.where(arr > 0, 1.0, a * np.exp(np.minimum(arr, 0.0)))


def selu(x: Any) -> np.ndarray:
    r"""Scaled ELU: :math:`\lambda x` for :math:`x > 0` and :math:`\lambda\alpha(e^{x} - 1)` for :math:`x \le 0`.

    :math:`\lambda \approx 1.0507009873554805` and :math:`\alpha \approx 1.6732632423543772`
    (:data:`SELU_SCALE`, :data:`SELU_ALPHA`) make zero mean and unit variance a stable fixed
    point of a wide layer with LeCun-normal weights (Klambauer et al., 2017). Worked values:
    selu(1) = 1.0507009874, selu(-1) = -1.1113307378.

    Parameters
    ----------
    x:
        Finite real array of any shape.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "selu")
    return SELU_SCALE * np.where(arr > 0, arr, SELU_ALPHA * np.expm1(np.minimum(arr, 0.0)))


def selu_grad(x: Any) -> np.ndarray:
    r"""Derivative of SELU: :math:`\lambda` for :math:`x > 0` and :math:`\lambda\alpha e^{x}` for :math:`x \le 0`.

    At :math:`x = 0` the value is :math:`\lambda\alpha \approx 1.7581` (PyTorch, C3).

    Parameters
    ----------
    x:
        Finite real array of any shape.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "selu_grad")
    with np.errstate(under="ignore"):
        return SELU_SCALE * np.where(arr > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(arr, 0.0)))


# --------------------------------------------------------------------------------------------
# smooth rectifiers: GELU, SiLU / Swish, softplus
# --------------------------------------------------------------------------------------------

_GELU_MODES = ("none", "tanh", "sigmoid")


def _gelu_mode(approximate: Any, func: str) -> str:
    if approximate not in _GELU_MODES:
        raise ValueError(f"{func}: approximate must be one of {_GELU_MODES}, got {approximate!r}")
    return approximate


def gelu(x: Any, approximate: str = "none") -> np.ndarray:
    r"""Gaussian error linear unit, :math:`\operatorname{gelu}(x) = x\,\Phi(x)`, :math:`\Phi` the normal CDF.

    ``approximate`` selects the formula:

    * ``"none"`` (default, C11): the exact :math:`x\Phi(x)`;
    * ``"tanh"``: :math:`\tfrac12 x\bigl(1 + \tanh(\sqrt{2/\pi}\,(x + 0.044715x^3))\bigr)`,
      within about :math:`4.7\times10^{-4}` of the exact value (PyTorch's ``approximate="tanh"``);
    * ``"sigmoid"``: :math:`x\,\sigma(1.702x)`, within about 0.020 (Hendrycks & Gimpel's cheaper
      approximation; it is *not* the definition of GELU).

    Parameters
    ----------
    x:
        Finite real array of any shape.
    approximate:
        ``"none"``, ``"tanh"`` or ``"sigmoid"``.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "gelu")
    mode = _gelu_mode(approximate, "gelu")
    if mode == "none":
        return arr * sps.ndtr(arr)
    if mode == "tanh":
        xc = np.clip(arr, -1e3, 1e3)  # tanh is exactly ±1 long before; avoids overflow of x**3
        t = np.tanh(_SQRT_2_OVER_PI * (xc + _GELU_TANH_KAPPA * xc**3))
        return 0.5 * arr * (1.0 + t)
    return arr * np.asarray(sigmoid(_GELU_SIGMOID_K * arr))


def gelu_grad(x: Any, approximate: str = "none") -> np.ndarray:
    r"""Derivative of :func:`gelu` for the chosen formula.

    * exact: :math:`\Phi(x) + x\,\varphi(x)`, with :math:`\varphi` the standard normal density;
    * tanh: :math:`\tfrac12(1 + t) + \tfrac12 x (1 - t^2)\sqrt{2/\pi}\,(1 + 3\cdot0.044715x^2)`,
      :math:`t = \tanh(\sqrt{2/\pi}(x + 0.044715x^3))`;
    * sigmoid: :math:`\sigma(kx) + kx\,\sigma(kx)(1 - \sigma(kx))`, :math:`k = 1.702`.

    All three give gelu'(0) = 1/2.

    Parameters
    ----------
    x:
        Finite real array of any shape.
    approximate:
        ``"none"``, ``"tanh"`` or ``"sigmoid"``.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "gelu_grad")
    mode = _gelu_mode(approximate, "gelu_grad")
    with np.errstate(under="ignore"):
        if mode == "none":
            return sps.ndtr(arr) + arr * _INV_SQRT_2PI * np.exp(-0.5 * arr * arr)
        if mode == "tanh":
            xc = np.clip(arr, -1e3, 1e3)
            t = np.tanh(_SQRT_2_OVER_PI * (xc + _GELU_TANH_KAPPA * xc**3))
            inner_grad = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_KAPPA * xc * xc)
            return 0.5 * (1.0 + t) + 0.5 * arr * (1.0 - t * t) * inner_grad
        s = np.asarray(sigmoid(_GELU_SIGMOID_K * arr))
        return s + _GELU_SIGMOID_K * arr * s * (1.0 - s)


def silu(x: Any) -> np.ndarray:
    r"""Sigmoid-weighted linear unit, :math:`\operatorname{silu}(x) = x\,\sigma(x)` (Swish with :math:`\beta = 1`).

    Parameters
    ----------
    x:
        Finite real array of any shape.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "silu")
    return arr * np.asarray(sigmoid(arr))


def silu_grad(x: Any) -> np.ndarray:
    r"""Derivative of SiLU: :math:`\sigma(x)\,(1 + x(1 - \sigma(x)))`; silu'(0) = 1/2.

    Parameters
    ----------
    x:
        Finite real array of any shape.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "silu_grad")
    s = np.asarray(sigmoid(arr))
    return s * (1.0 + arr * (1.0 - s))


def swish(x: Any, beta: float = 1.0) -> np.ndarray:
    r"""Swish, :math:`x\,\sigma(\beta x)` (Ramachandran et al., 2017); :math:`\beta = 1` is :func:`silu`.

    :math:`\beta = 1.702` gives the sigmoid *approximation* of GELU, not GELU itself.

    Parameters
    ----------
    x:
        Finite real array of any shape.
    beta:
        Real number (learnable in the original paper).

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "swish")
    b = _finite_real(beta, "beta", "swish")
    return arr * np.asarray(sigmoid(b * arr))


def swish_grad(x: Any, beta: float = 1.0, grad_output: Any = None) -> tuple[np.ndarray, float]:
    r"""Gradients of Swish with respect to its input and to :math:`\beta`.

    With :math:`s = \sigma(\beta x)` and upstream gradient :math:`g` (ones by default),

    .. math::

        \frac{\partial \mathcal{L}}{\partial x_i} = g_i\, s_i\,(1 + \beta x_i (1 - s_i)),
        \qquad
        \frac{\partial \mathcal{L}}{\partial \beta} = \sum_i g_i\, x_i^2\, s_i (1 - s_i).

    Parameters
    ----------
    x:
        Finite real array of any shape.
    beta:
        Real number.
    grad_output:
        Upstream gradient of ``x``'s shape; default all ones.

    Returns
    -------
    tuple
        ``(dx, dbeta)`` with ``dx`` of ``x``'s shape and ``dbeta`` a float.
    """
    func = "swish_grad"
    arr = _x(x, func)
    b = _finite_real(beta, "beta", func)
    g = np.ones_like(arr) if grad_output is None else _x(grad_output, func, "grad_output")
    if g.shape != arr.shape:
        raise ValueError(f"{func}: grad_output must have the shape of x, {arr.shape}, got {g.shape}")
    s = np.asarray(sigmoid(b * arr))
    ds = s * (1.0 - s)
    return g * (s + b * arr * ds), float(np.sum(g * arr * arr * ds))


def _softplus_args(beta: Any, threshold: Any, func: str) -> tuple[float, float]:
    b = _finite_real(beta, "beta", func)
    if b == 0:
        raise ValueError(f"{func}: beta must be non-zero, got {b}")
    if isinstance(threshold, bool) or not isinstance(threshold, (Real, np.floating, np.integer)):
        raise TypeError(
            f"{func}: threshold must be a real number (np.inf allowed), got {type(threshold).__name__}"
        )
    th = float(threshold)
    if np.isnan(th):
        raise ValueError(f"{func}: threshold must not be NaN")
    return b, th


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    r"""Softplus, :math:`\frac{1}{\beta}\log(1 + e^{\beta x})`, a smooth ReLU, with PyTorch's linear cut-off.

    Computed stably as :math:`\frac{1}{\beta}\bigl(\max(\beta x, 0) + \log(1 + e^{-|\beta x|})\bigr)`.
    Exactly as ``torch.nn.functional.softplus``, the function *returns x itself* where
    :math:`\beta x > \text{threshold}`: there the true value exceeds :math:`x` by
    :math:`\log(1 + e^{-\beta x})/\beta < e^{-20}/\beta \approx 2\times10^{-9}/\beta`, a tiny jump
    that PyTorch accepts for speed. Pass ``threshold=np.inf`` for the exact function.

    Parameters
    ----------
    x:
        Finite real array of any shape.
    beta:
        Non-zero real number (default 1); larger :math:`\beta` is closer to ReLU.
    threshold:
        Where :math:`\beta x` exceeds it, the output is :math:`x` (default 20, as in PyTorch).

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape; positive for :math:`\beta > 0`.
    """
    arr = _x(x, "softplus")
    b, th = _softplus_args(beta, threshold, "softplus")
    bx = b * arr
    with np.errstate(under="ignore"):
        smooth = (np.maximum(bx, 0.0) + np.log1p(np.exp(-np.abs(bx)))) / b
    return np.where(bx > th, arr, smooth)


def softplus_grad(x: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    r"""Derivative of :func:`softplus`: :math:`\sigma(\beta x)`, and exactly 1 where :math:`\beta x >` threshold.

    softplus'(0) = 1/2 for every :math:`\beta`.

    Parameters
    ----------
    x:
        Finite real array of any shape.
    beta, threshold:
        As for :func:`softplus`.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``x``'s shape.
    """
    arr = _x(x, "softplus_grad")
    b, th = _softplus_args(beta, threshold, "softplus_grad")
    bx = b * arr
    return np.where(bx > th, 1.0, np.asarray(sigmoid(bx)))


def identity(x: Any) -> np.ndarray:
    """The identity activation (a linear output unit): returns ``x`` as a float64 array."""
    return np.array(_x(x, "identity"), dtype=np.float64, copy=True)


def identity_grad(x: Any) -> np.ndarray:
    """Derivative of the identity: ones of ``x``'s shape."""
    return np.ones_like(_x(x, "identity_grad"))


# --------------------------------------------------------------------------------------------
# maxout
# --------------------------------------------------------------------------------------------


def _maxout_args(x: Any, W: Any, b: Any, func: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = as_float_array(x, "x", func, ndim=2)
    Wa = as_float_array(W, "W", func, ndim=3)
    k, n_out, n_in = Wa.shape
    if k < 1:
        raise ValueError(f"{func}: W must have at least one piece (W.shape[0] >= 1), got shape {Wa.shape}")
    if X.shape[1] != n_in:
        raise ValueError(
            f"{func}: x must have shape (batch, in_features) = (batch, {n_in}) to match "
            f"W of shape (k, out, in) = {Wa.shape}, got {X.shape}"
        )
    ba = as_float_array(b, "b", func, ndim=2)
    if ba.shape != (k, n_out):
        raise ValueError(f"{func}: b must have shape (k, out) = {(k, n_out)}, got {ba.shape}")
    return X, Wa, ba


def maxout(x: Any, W: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Maxout unit (Goodfellow et al., 2013): the maximum of :math:`k` affine pieces.

    .. math:: \operatorname{maxout}(x)_j = \max_{p = 1..k} \bigl(W_p x + b_p\bigr)_j

    With pieces :math:`\{(0, 0), (w, b)\}` it is :math:`\operatorname{relu}(w^\top x + b)`; with
    :math:`\{(\alpha w, \alpha b), (w, b)\}`, :math:`0 < \alpha < 1`, it is leaky ReLU. A
    :math:`k`-piece maxout layer has :math:`k` times the parameters of a linear layer.

    Parameters
    ----------
    x:
        Batch of inputs, shape ``(batch, in)``.
    W:
        Piece weights, shape ``(k, out, in)``.
    b:
        Piece biases, shape ``(k, out)``.

    Returns
    -------
    tuple
        ``(out, argmax)``: the ``(batch, out)`` outputs and the ``(batch, out)`` integer index
        of the winning piece (the first one in case of a tie, as ``np.argmax``).
    """
    X, Wa, ba = _maxout_args(x, W, b, "maxout")
    pieces = np.einsum("koi,ni->kno", Wa, X) + ba[:, None, :]
    idx = np.argmax(pieces, axis=0)
    out = np.take_along_axis(pieces, idx[None], axis=0)[0]
    return out, idx


def maxout_backward(
    grad_output: Any, x: Any, W: Any, argmax: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Backward pass of :func:`maxout`: the gradient flows only to the winning piece.

    For the winning piece :math:`p^* = \text{argmax}[n, j]` of output :math:`j` of example
    :math:`n`, :math:`\partial\mathcal{L}/\partial W_{p^*, j, :} \mathrel{+}= g_{nj}\,x_n`,
    :math:`\partial\mathcal{L}/\partial b_{p^*, j} \mathrel{+}= g_{nj}` and
    :math:`\partial\mathcal{L}/\partial x_n \mathrel{+}= g_{nj} W_{p^*, j, :}`; the losing
    pieces get nothing.

    Parameters
    ----------
    grad_output:
        Upstream gradient, shape ``(batch, out)``.
    x:
        The forward input, shape ``(batch, in)``.
    W:
        Piece weights, shape ``(k, out, in)``.
    argmax:
        The index array returned by :func:`maxout`, shape ``(batch, out)``.

    Returns
    -------
    tuple
        ``(dx, dW, db)`` with the shapes of ``x``, ``W`` and ``(k, out)``.
    """
    func = "maxout_backward"
    X = as_float_array(x, "x", func, ndim=2)
    Wa = as_float_array(W, "W", func, ndim=3)
    k, n_out, n_in = Wa.shape
    if X.shape[1] != n_in:
        raise ValueError(
            f"{func}: x must have shape (batch, {n_in}) to match W of shape {Wa.shape}, got {X.shape}"
        )
    g = as_float_array(grad_output, "grad_output", func, ndim=2)
    if g.shape != (X.shape[0], n_out):
        raise ValueError(
            f"{func}: grad_output must have shape (batch, out) = {(X.shape[0], n_out)}, got {g.shape}"
        )
    idx = np.asarray(argmax)
    if idx.shape != g.shape or idx.dtype.kind not in "iu":
        raise ValueError(
            f"{func}: argmax must be an integer array of shape {g.shape} (as returned by maxout), "
            f"got dtype {idx.dtype} and shape {idx.shape}"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= k):
        raise ValueError(f"{func}: argmax entries must be piece indices in 0..{k - 1}")
    G = (idx[None] == np.arange(k)[:, None, None]) * g[None]  # (k, batch, out)
    dW = np.einsum("kno,ni->koi", G, X)
    db = G.sum(axis=1)
    dx = np.einsum("kno,koi->ni", G, Wa)
    return dx, dW, db


# --------------------------------------------------------------------------------------------
# softmax Jacobian
# --------------------------------------------------------------------------------------------


def softmax_jacobian(s: Any) -> np.ndarray:
    r"""Jacobian of the softmax, written in terms of its output :math:`s = \operatorname{softmax}(z)`.

    .. math:: \frac{\partial s_i}{\partial z_j} = s_i(\delta_{ij} - s_j),
              \qquad J = \operatorname{diag}(s) - s s^\top .

    Numerator layout (C2), as ``torch.autograd.functional.jacobian`` returns it. Each row sums to
    zero (the softmax is invariant to adding a constant to all logits), and :math:`J` is
    symmetric. Composed with cross-entropy the product collapses to the simple
    :math:`s - e_t`, which is why libraries never build :math:`J` in the backward pass.

    Parameters
    ----------
    s:
        A probability vector of shape ``(K,)``, or a batch of them of shape ``(..., K)`` (the
        softmax of some logits along the last axis).

    Returns
    -------
    numpy.ndarray
        Shape ``(K, K)``, or ``(..., K, K)`` for a batch.
    """
    arr = as_float_array(s, "s", "softmax_jacobian")
    if arr.ndim == 0:
        raise ValueError("softmax_jacobian: s must have at least one dimension (K,), got a scalar")
    eye = np.eye(arr.shape[-1])
    return arr[..., :, None] * eye - arr[..., :, None] * arr[..., None, :]


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------

#: Name -> (f, f_grad) for every elementwise activation of this module.
ACTIVATIONS: dict[str, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]] = {
    "identity": (identity, identity_grad),
    "linear": (identity, identity_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "elu": (elu, elu_grad),
    "selu": (selu, selu_grad),
    "gelu": (gelu, gelu_grad),
    "gelu_tanh": (
        functools.partial(gelu, approximate="tanh"),
        functools.partial(gelu_grad, approximate="tanh"),
    ),
    "gelu_sigmoid": (
        functools.partial(gelu, approximate="sigmoid"),
        functools.partial(gelu_grad, approximate="sigmoid"),
    ),
    "silu": (silu, silu_grad),
    "softplus": (softplus, softplus_grad),
}


def get_activation(name: str, **kwargs: Any) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """Look up an activation and its derivative by name, optionally binding its parameters.

    Example: ``f, df = get_activation("leaky_relu", negative_slope=0.2)``.

    Parameters
    ----------
    name:
        One of ``ACTIVATIONS`` (case-insensitive): ``identity``/``linear``, ``relu``,
        ``leaky_relu``, ``sigmoid``, ``tanh``, ``elu``, ``selu``, ``gelu``, ``gelu_tanh``,
        ``gelu_sigmoid``, ``silu``, ``softplus``.
    **kwargs:
        Keyword parameters of the activation (``negative_slope``, ``alpha``, ``beta``,
        ``threshold``, ``approximate``), bound to both functions.

    Returns
    -------
    tuple
        ``(f, f_grad)``, both taking an array and returning an array of its shape.
    """
    if not isinstance(name, str):
        raise TypeError(f"get_activation: name must be a str, got {type(name).__name__}")
    key = name.lower()
    if key not in ACTIVATIONS:
        raise ValueError(f"get_activation: name must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    f, df = ACTIVATIONS[key]
    if not kwargs:
        return f, df
    f_b, df_b = functools.partial(f, **kwargs), functools.partial(df, **kwargs)
    try:  # fail now, not at the first call, if a keyword does not belong to this activation
        f_b(np.zeros(1))
    except TypeError as exc:
        raise TypeError(
            f"get_activation: invalid keyword argument(s) {sorted(kwargs)} for {name!r} ({exc})"
        ) from None
    return f_b, df_b
