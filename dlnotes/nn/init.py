r"""Weight initialisation, with PyTorch's names, signatures and formulas (``torch.nn.init``).

Every in-place function takes a :class:`~dlnotes.nn.Parameter` **or** a float ``numpy.ndarray``,
overwrites its values, and returns it (the trailing underscore marks "in place", as in PyTorch).
Randomness comes from ``rng``: a ``numpy.random.Generator``, an int seed, or None (fresh entropy).

Variance propagation (chapter 04, "Initialization"). For a layer :math:`z = W a + b` with
zero-mean i.i.d. weights independent of its input,

.. math:: \operatorname{Var}[z_i] = \text{fan\_in}\cdot\operatorname{Var}[w]\cdot\mathbb{E}[a^2],

so the forward signal keeps its scale when :math:`\text{fan\_in}\operatorname{Var}[w]\,
\mathbb{E}[a^2] = \operatorname{Var}[z]`, and the backward signal when the same holds with
fan_out. Hence

* Xavier/Glorot (tanh-like units, :math:`\mathbb{E}[a^2] \approx \operatorname{Var}[z]`):
  :math:`\operatorname{Var}[w] = 2/(\text{fan\_in} + \text{fan\_out})`, a compromise between
  :math:`1/\text{fan\_in}` (forward) and :math:`1/\text{fan\_out}` (backward). The uniform
  version is :math:`U[-r, r]` with :math:`r = \sqrt{6/(\text{fan\_in} + \text{fan\_out})}`: the
  variance is :math:`r^2/3`, so :math:`6/(\cdot)` is :math:`r^2`, not a variance.
* He/Kaiming (ReLU): ReLU halves the *second moment*,
  :math:`\mathbb{E}[\operatorname{relu}(z)^2] = \operatorname{Var}[z]/2` (its variance is
  :math:`\operatorname{Var}[z](\tfrac12 - \tfrac1{2\pi})`), hence
  :math:`\operatorname{Var}[w] = 2/\text{fan\_in}`.
* LeCun (SELU, linear): :math:`1/\text{fan\_in}`, i.e. ``kaiming_normal_(p, nonlinearity="linear")``.

PyTorch's *default* ``nn.Linear`` initialisation is neither: :math:`U(\pm 1/\sqrt{\text{fan\_in}})`
for weight and bias (``kaiming_uniform_(w, a=sqrt(5))``), variance :math:`1/(3\,\text{fan\_in})`.

Fans follow PyTorch (:func:`calculate_fans`): for a weight of shape ``(out, in, *kernel)``,
fan_in = in·prod(kernel) and fan_out = out·prod(kernel).
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

from dlnotes._validation import as_float_array, as_int, as_real, as_rng
from dlnotes.nn import functional as F
from dlnotes.nn.module import Parameter

__all__ = [
    "calculate_fans",
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "relu_moments",
    "activation_stats_through_depth",
]

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)
_NONLINEARITIES = _LINEAR_FNS + ("sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _shape_of(shape: Any, func: str) -> tuple[int, ...]:
    if isinstance(shape, Parameter):
        return shape.shape
    if isinstance(shape, np.ndarray):
        return shape.shape
    if isinstance(shape, (Integral,)) and not isinstance(shape, bool):
        return (int(shape),)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(
            f"{func}: shape must be a tuple of ints, an ndarray or a Parameter, got {type(shape).__name__}"
        ) from None
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, Integral) or d < 0:
            raise TypeError(f"{func}: shape must contain non-negative ints, got {shape!r}")
    return tuple(int(d) for d in dims)


def calculate_fans(shape: Any) -> tuple[int, int]:
    r"""``(fan_in, fan_out)`` of a weight, exactly as ``torch.nn.init._calculate_fan_in_and_fan_out``.

    For shape :math:`(\text{out}, \text{in}, k_1, \dots, k_d)` with receptive field
    :math:`r = \prod_j k_j` (1 for a linear layer): fan_in :math:`= \text{in}\cdot r`, fan_out
    :math:`= \text{out}\cdot r`. So ``Linear(3, 5).weight`` (shape (5, 3)) has fans (3, 5) and a
    ``Conv2d(3, 16, 5)`` weight (shape (16, 3, 5, 5)) has fans (75, 400).

    Parameters
    ----------
    shape:
        A tuple of ints, or an ndarray / Parameter whose shape is used.

    Returns
    -------
    tuple
        ``(fan_in, fan_out)`` as ints.

    Raises
    ------
    ValueError
        For fewer than 2 dimensions (a bias has no fan-out), as in PyTorch.
    """
    dims = _shape_of(shape, "calculate_fans")
    if len(dims) < 2:
        raise ValueError(
            f"calculate_fans: fan in and fan out can not be computed for a shape with fewer than 2 "
            f"dimensions (out, in, ...), got shape {dims}"
        )
    receptive = int(np.prod(dims[2:], dtype=np.int64)) if len(dims) > 2 else 1
    return dims[1] * receptive, dims[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The recommended gain for a nonlinearity, PyTorch's table (``torch.nn.init.calculate_gain``).

    ====================================  ==============================================
    nonlinearity                          gain
    ====================================  ==============================================
    ``linear``, ``conv*``, ``sigmoid``    1
    ``tanh``                              5/3
    ``relu``                              :math:`\sqrt2`
    ``leaky_relu``                        :math:`\sqrt{2/(1 + \text{slope}^2)}`, slope = ``param`` (default 0.01)
    ``selu``                              3/4
    ====================================  ==============================================

    The gain multiplies the standard deviation: Kaiming uses :math:`\text{gain}/\sqrt{\text{fan}}`.
    (For self-normalising SELU networks PyTorch recommends ``"linear"``, i.e. LeCun init; 3/4 is
    an empirical compromise for gradient flow.)

    Parameters
    ----------
    nonlinearity:
        One of ``linear``, ``conv1d``, ``conv2d``, ``conv3d``, ``conv_transpose1d/2d/3d``,
        ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``selu``.
    param:
        The negative slope for ``leaky_relu`` (a real number, not a bool); ignored otherwise.

    Returns
    -------
    float
    """
    if not isinstance(nonlinearity, str):
        raise TypeError(f"calculate_gain: nonlinearity must be a str, got {type(nonlinearity).__name__}")
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (Real, np.floating, np.integer)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: param (negative_slope) must be a real number, got {param!r}")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: nonlinearity must be one of {_NONLINEARITIES}, got {nonlinearity!r}")


# --------------------------------------------------------------------------------------------
# in-place initialisers
# --------------------------------------------------------------------------------------------


def _target(p: Any, func: str) -> np.ndarray:
    """The array to overwrite: ``p.data`` for a Parameter, ``p`` for a float ndarray."""
    if isinstance(p, Parameter):
        return p.data
    if isinstance(p, np.ndarray):
        if not np.issubdtype(p.dtype, np.floating):
            raise TypeError(
                f"{func}: p must be a Parameter or a floating-point ndarray, got an ndarray of dtype {p.dtype}"
            )
        if not p.flags.writeable:
            raise ValueError(f"{func}: p must be writeable (it is modified in place)")
        return p
    raise TypeError(
        f"{func}: p must be a Parameter or a numpy.ndarray (modified in place), got {type(p).__name__}"
    )


def uniform_(p: Any, a: float = 0.0, b: float = 1.0, rng: Any = None) -> Any:
    r"""Fill ``p`` with draws from :math:`U[a, b)`, in place; return ``p``.

    Parameters
    ----------
    p:
        A Parameter or a float ndarray.
    a, b:
        Bounds, :math:`a \le b`.
    rng:
        ``numpy.random.Generator``, int seed or None.
    """
    func = "uniform_"
    arr = _target(p, func)
    lo, hi = as_real(a, "a", func), as_real(b, "b", func)
    if lo > hi:
        raise ValueError(f"{func}: a must be <= b, got a={lo}, b={hi}")
    arr[...] = as_rng(rng, func).uniform(lo, hi, size=arr.shape)
    return p


def normal_(p: Any, mean: float = 0.0, std: float = 1.0, rng: Any = None) -> Any:
    r"""Fill ``p`` with draws from :math:`\mathcal N(\text{mean}, \text{std}^2)`, in place; return ``p``.

    Parameters
    ----------
    p:
        A Parameter or a float ndarray.
    mean, std:
        Mean and standard deviation (``std >= 0``).
    rng:
        ``numpy.random.Generator``, int seed or None.
    """
    func = "normal_"
    arr = _target(p, func)
    m, s = as_real(mean, "mean", func), as_real(std, "std", func, nonnegative=True)
    arr[...] = as_rng(rng, func).normal(m, s, size=arr.shape)
    return p


def constant_(p: Any, val: float) -> Any:
    """Fill ``p`` with the constant ``val``, in place; return ``p``.

    A constant (or zero) initialisation of the *weights* of a hidden layer makes its units
    clones of each other for ever (symmetry); it is fine for biases.
    """
    arr = _target(p, "constant_")
    arr[...] = as_real(val, "val", "constant_")
    return p


def zeros_(p: Any) -> Any:
    """Fill ``p`` with zeros, in place; return ``p``."""
    _target(p, "zeros_")[...] = 0.0
    return p


def ones_(p: Any) -> Any:
    """Fill ``p`` with ones, in place; return ``p``."""
    _target(p, "ones_")[...] = 1.0
    return p


def _gain(gain: Any, func: str) -> float:
    return as_real(gain, "gain", func, nonnegative=True)


def _fans_nonzero(arr: np.ndarray, func: str) -> tuple[int, int]:
    fan_in, fan_out = calculate_fans(arr.shape)
    return fan_in, fan_out


def xavier_uniform_(p: Any, gain: float = 1.0, rng: Any = None) -> Any:
    r"""Glorot/Xavier uniform init, in place: :math:`U[-r, r]`.

    .. math:: r = \text{gain}\,\sqrt{6/(\text{fan\_in} + \text{fan\_out})}


    The variance is :math:`r^2/3 = \text{gain}^2 \cdot 2/(\text{fan\_in} + \text{fan\_out})`
    (Glorot & Bengio, 2010). Same formula as ``torch.nn.init.xavier_uniform_``.

    Parameters
    ----------
    p:
        A Parameter or float ndarray with at least 2 dimensions, shape ``(out, in, ...)``.
    gain:
        Scale factor, e.g. :func:`calculate_gain` ``("tanh")``.
    rng:
        ``numpy.random.Generator``, int seed or None.
    """
    func = "xavier_uniform_"
    arr = _target(p, func)
    g = _gain(gain, func)
    if arr.size == 0:
        return p
    fan_in, fan_out = _fans_nonzero(arr, func)
    bound = g * math.sqrt(6.0 / float(fan_in + fan_out))
    arr[...] = as_rng(rng, func).uniform(-bound, bound, size=arr.shape)
    return p


def xavier_normal_(p: Any, gain: float = 1.0, rng: Any = None) -> Any:
    r"""Glorot/Xavier normal init, in place: :math:`\mathcal N(0, \text{std}^2)`.

    .. math:: \text{std} = \text{gain}\,\sqrt{2/(\text{fan\_in} + \text{fan\_out})}


    With ``gain = calculate_gain("relu")`` this is the variance :math:`4/(\text{fan\_in} +
    \text{fan\_out})`, the He "compromise" between the forward and backward conditions.

    Parameters
    ----------
    p:
        A Parameter or float ndarray with at least 2 dimensions.
    gain:
        Scale factor.
    rng:
        ``numpy.random.Generator``, int seed or None.
    """
    func = "xavier_normal_"
    arr = _target(p, func)
    g = _gain(gain, func)
    if arr.size == 0:
        return p
    fan_in, fan_out = _fans_nonzero(arr, func)
    std = g * math.sqrt(2.0 / float(fan_in + fan_out))
    arr[...] = as_rng(rng, func).normal(0.0, std, size=arr.shape)
    return p


def _kaiming_std(arr: np.ndarray, a: Any, mode: Any, nonlinearity: Any, func: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{func}: mode must be one of ('fan_in', 'fan_out'), got {mode!r}")
    if isinstance(a, bool) or not isinstance(a, (Real, np.floating, np.integer)):
        raise TypeError(
            f"{func}: a (the negative slope for leaky_relu) must be a real number, got {type(a).__name__}"
        )
    fan_in, fan_out = calculate_fans(arr.shape)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def kaiming_uniform_(
    p: Any, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", rng: Any = None
) -> Any:
    r"""He/Kaiming uniform init, in place: :math:`U[-r, r]` with :math:`r = \sqrt3\,\text{gain}/\sqrt{\text{fan}}`.

    ``gain = calculate_gain(nonlinearity, a)``. With the defaults (``a = 0``, ``"leaky_relu"``)
    the gain is :math:`\sqrt2`, so :math:`\operatorname{Var}[w] = 2/\text{fan\_in}` (He et al.,
    2015). ``a = sqrt(5)`` gives PyTorch's default ``nn.Linear`` weight init
    :math:`U(\pm1/\sqrt{\text{fan\_in}})`.

    Parameters
    ----------
    p:
        A Parameter or float ndarray with at least 2 dimensions.
    a:
        Negative slope of the rectifier (used only by ``"leaky_relu"``).
    mode:
        ``"fan_in"`` (preserve the forward variance) or ``"fan_out"`` (the backward one).
    nonlinearity:
        A name accepted by :func:`calculate_gain`.
    rng:
        ``numpy.random.Generator``, int seed or None.
    """
    func = "kaiming_uniform_"
    arr = _target(p, func)
    if arr.size == 0:
        return p
    std = _kaiming_std(arr, a, mode, nonlinearity, func)
    bound = math.sqrt(3.0) * std
    arr[...] = as_rng(rng, func).uniform(-bound, bound, size=arr.shape)
    return p


def kaiming_normal_(
    p: Any, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", rng: Any = None
) -> Any:
    r"""He/Kaiming normal init, in place: :math:`\mathcal N(0, \text{std}^2)` with :math:`\text{std} = \text{gain}/\sqrt{\text{fan}}`.

    ``nonlinearity="relu"`` gives :math:`\operatorname{Var}[w] = 2/\text{fan}`;
    ``nonlinearity="linear"`` gives LeCun's :math:`1/\text{fan\_in}` (for SELU networks).

    Parameters
    ----------
    p:
        A Parameter or float ndarray with at least 2 dimensions.
    a:
        Negative slope of the rectifier (used only by ``"leaky_relu"``).
    mode:
        ``"fan_in"`` or ``"fan_out"``.
    nonlinearity:
        A name accepted by :func:`calculate_gain`.
    rng:
        ``numpy.random.Generator``, int seed or None.
    """
    func = "kaiming_normal_"
    arr = _target(p, func)
    if arr.size == 0:
        return p
    std = _kaiming_std(arr, a, mode, nonlinearity, func)
    arr[...] = as_rng(rng, func).normal(0.0, std, size=arr.shape)
    return p


# --------------------------------------------------------------------------------------------
# variance propagation helpers for the chapter
# --------------------------------------------------------------------------------------------


def relu_moments(var: Any) -> tuple[Any, Any]:
    r"""Second moment and variance of :math:`a = \operatorname{relu}(z)` for :math:`z \sim \mathcal N(0, v)`.

    .. math::

        \mathbb E[a^2] = \frac v2, \qquad
        \mathbb E[a] = \sqrt{\frac{v}{2\pi}}, \qquad
        \operatorname{Var}[a] = v\Bigl(\frac12 - \frac1{2\pi}\Bigr) \approx 0.3408\,v .

    The *second moment* (not the variance) is what enters the next layer's
    :math:`\operatorname{Var}[z]`, which is where He's factor 2 comes from. Worked values:
    ``v = 1`` gives (0.5, 0.3408451); ``v = 4`` gives (2, 1.3633802).

    Parameters
    ----------
    var:
        Variance :math:`v \ge 0` of the pre-activation (scalar or array).

    Returns
    -------
    tuple
        ``(second_moment, variance)``, floats for a scalar input, arrays otherwise.
    """
    v = as_float_array(var, "var", "relu_moments")
    if np.any(v < 0):
        raise ValueError(f"relu_moments: var must be >= 0, got minimum {v.min()}")
    m2 = v / 2.0
    variance = v * (0.5 - 1.0 / (2.0 * np.pi))
    if v.ndim == 0:
        return float(m2), float(variance)
    return m2, variance


_INIT_NAMES = ("he", "kaiming", "xavier", "glorot", "lecun", "torch_default")


def _init_weight(init: Any, shape: tuple[int, int], rng: np.random.Generator, func: str) -> np.ndarray:
    fan_out, fan_in = shape
    if isinstance(init, str):
        key = init.lower()
        if key in ("he", "kaiming"):
            return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)
        if key in ("xavier", "glorot"):
            return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape)
        if key == "lecun":
            return rng.normal(0.0, math.sqrt(1.0 / fan_in), size=shape)
        if key == "torch_default":
            b = 1.0 / math.sqrt(fan_in)
            return rng.uniform(-b, b, size=shape)
        raise ValueError(
            f"{func}: init must be one of {_INIT_NAMES}, a std (float) or a callable, got {init!r}"
        )
    if isinstance(init, (Real, np.floating, np.integer)) and not isinstance(init, bool):
        std = as_real(init, "init", func, nonnegative=True)
        return rng.normal(0.0, std, size=shape)
    if callable(init):
        w = as_float_array(init(shape, rng), "init(shape, rng)", func)
        if w.shape != shape:
            raise ValueError(f"{func}: init(shape, rng) must return an array of shape {shape}, got {w.shape}")
        return w
    raise TypeError(
        f"{func}: init must be a str, a float std or a callable(shape, rng), got {type(init).__name__}"
    )


def activation_stats_through_depth(
    init: Any,
    activation: str = "relu",
    depth: int = 20,
    width: int = 256,
    n: int = 2000,
    rng: Any = None,
) -> dict[str, np.ndarray]:
    r"""Push a standard-normal batch through a deep, bias-free MLP and record per-layer statistics.

    Layer :math:`l = 1..L`: :math:`z_l = h_{l-1} W_l^\top`, :math:`h_l = f(z_l)`, with
    :math:`h_0 = x \sim \mathcal N(0, I)` of shape ``(n, width)`` and square weights
    ``(width, width)`` drawn by ``init``. Then a random upstream gradient
    :math:`\partial\mathcal L/\partial h_L \sim \mathcal N(0, I)` is propagated back with
    :math:`\partial\mathcal L/\partial z_l = \partial\mathcal L/\partial h_l \odot f'(z_l)` and
    :math:`\partial\mathcal L/\partial h_{l-1} = (\partial\mathcal L/\partial z_l) W_l`.

    What theory predicts: He + ReLU keeps :math:`\mathbb E[z^2]` roughly constant (≈ 2); Xavier
    + ReLU halves it at every layer; tanh with tiny weights collapses to 0; tanh with
    :math:`\mathcal N(0, 1)` weights saturates.

    Parameters
    ----------
    init:
        ``"he"``/``"kaiming"`` (:math:`\mathcal N(0, 2/\text{fan\_in})`), ``"xavier"``/``"glorot"``
        (:math:`\mathcal N(0, 2/(\text{fan\_in}+\text{fan\_out}))`), ``"lecun"``
        (:math:`\mathcal N(0, 1/\text{fan\_in})`), ``"torch_default"``
        (:math:`U(\pm1/\sqrt{\text{fan\_in}})`), a float (the std of :math:`\mathcal N(0, \text{std}^2)`
        weights), or a callable ``init(shape, rng) -> array``.
    activation:
        A name for :func:`dlnotes.nn.functional.get_activation`.
    depth, width, n:
        Number of layers, units per layer, and examples in the batch.
    rng:
        ``numpy.random.Generator``, int seed or None.

    Returns
    -------
    dict
        Arrays of length ``depth`` (index 0 is layer 1):

        * ``"z_second_moment"``: :math:`\mathbb E[z_l^2]` over units and examples;
        * ``"h_mean"``, ``"h_var"``: mean and variance of :math:`h_l`;
        * ``"frac_zero"``: fraction of :math:`h_l` entries exactly 0 (inactive ReLUs);
        * ``"frac_saturated"``: fraction of units whose slope :math:`|f'(z_l)|` is below 1 % of
          the activation's largest slope (inactive units for ReLU; :math:`|h| > 0.995` for tanh);
        * ``"grad_second_moment"``: :math:`\mathbb E[(\partial\mathcal L/\partial h_l)^2]`, the
          backward signal arriving at layer :math:`l`'s output.
    """
    func = "activation_stats_through_depth"
    f, df = F.get_activation(activation)
    L = as_int(depth, "depth", func, minimum=1)
    D = as_int(width, "width", func, minimum=1)
    N = as_int(n, "n", func, minimum=1)
    gen = as_rng(rng, func)
    grid = np.linspace(-20.0, 20.0, 40001)
    max_slope = float(np.max(np.abs(df(grid))))
    h = gen.normal(size=(N, D))
    Ws, zs = [], []
    stats = {
        key: np.empty(L) for key in ("z_second_moment", "h_mean", "h_var", "frac_zero", "frac_saturated")
    }
    with np.errstate(under="ignore"):
        for k in range(L):
            W = _init_weight(init, (D, D), gen, func)
            z = h @ W.T
            h = f(z)
            slope = np.abs(df(z))
            stats["z_second_moment"][k] = np.mean(z * z)
            stats["h_mean"][k] = h.mean()
            stats["h_var"][k] = h.var()
            stats["frac_zero"][k] = np.mean(h == 0)
            stats["frac_saturated"][k] = np.mean(slope < 0.01 * max_slope)
            Ws.append(W)
            zs.append(z)
        grad_m2 = np.empty(L)
        g = gen.normal(size=(N, D))
        for k in range(L - 1, -1, -1):
            grad_m2[k] = np.mean(g * g)
            g = (g * df(zs[k])) @ Ws[k]
    stats["grad_second_moment"] = grad_m2
    return stats
