r"""Convolution, pooling and up-sampling in NumPy (NCHW, float64), equal to ``torch.nn.functional``.

* Arithmetic: :func:`conv_output_size`, :func:`conv_transpose_output_size` and
  :func:`receptive_field`.
* The patch matrix: :func:`im2col` (``F.unfold``) and its adjoint :func:`col2im` (``F.fold``).
* Convolution: :func:`conv2d` (``F.conv2d``), its gradients :func:`conv2d_backward` and the
  transposed convolution :func:`conv_transpose2d` (``F.conv_transpose2d``).
* Pooling: :func:`max_pool2d`, :func:`max_pool2d_backward`, :func:`avg_pool2d`,
  :func:`avg_pool2d_backward` and :func:`max_unpool2d`.
* Up-sampling: :func:`interpolate` (``F.interpolate`` in the modes ``"nearest"``,
  ``"nearest-exact"``, ``"bilinear"`` and ``"bicubic"``).
* :func:`benchmark_conv2d`, the timing that ``make bench`` reports.

Conventions (chapter 07, §3.0): tensors are NCHW and weights ``(C_out, C_in/groups, kH, kW)``
(K2), as in PyTorch. "Convolution" means **cross-correlation** (K1): the kernel is not
flipped. Output sizes use the floor (K3),

.. math::

    n_\text{out} = \Big\lfloor \frac{n + 2p - d(k - 1) - 1}{s} \Big\rfloor + 1 ,

separately for height and width; padding is symmetric zero padding (or ``"same"``/``"valid"``
as in PyTorch). Max pooling sends the gradient of a window to its **first** maximum in
row-major order and overlapping windows accumulate (K7); average pooling counts the padded
zeros by default (``count_include_pad=True``). The rows of :func:`im2col` are ordered channel,
then kernel row, then kernel column, and its columns are the output positions in row-major
order, exactly as ``torch.nn.functional.unfold`` (K9). Bicubic interpolation uses the Keys
kernel with :math:`A = -0.75` and bilinear the half-pixel centres (``align_corners=False``) by
default (K8).

Speed: every operation is vectorised. The convolution gathers the ``kH·kW`` shifted views of
the padded input into one patch matrix (a loop over the kernel offsets only, never over pixels
or examples) and multiplies it once by the reshaped weight (BLAS); its backward pass is two
more matrix products and a scatter-add over the kernel offsets.

Book: chapter 07, "Convolution arithmetic", "Implementing convolution fast", "Pooling" and
"Upsampling".
"""

from __future__ import annotations

import math
import time
from typing import Any, Sequence

import numpy as np

from dlnotes._validation import check_bool as _bool
from dlnotes._validation import as_float_array, as_int, as_real, check_choice

__all__ = [
    "conv_output_size",
    "conv_transpose_output_size",
    "receptive_field",
    "im2col",
    "col2im",
    "conv2d",
    "conv2d_backward",
    "conv_transpose2d",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "max_unpool2d",
    "interpolate",
    "benchmark_conv2d",
]

Pair = tuple[int, int]
Pads = tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))


# --------------------------------------------------------------------------------------------
# argument checking
# --------------------------------------------------------------------------------------------


def _pair(value: Any, name: str, func: str, minimum: int) -> Pair:
    """An int or a pair of ints (height, width), each at least ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{func}: {name} must be an int or a pair of ints (height, width), got {value!r}")
        return as_int(value[0], name, func, minimum), as_int(value[1], name, func, minimum)
    if isinstance(value, np.ndarray) and value.shape == (2,):
        return as_int(value[0].item(), name, func, minimum), as_int(value[1].item(), name, func, minimum)
    v = as_int(value, name, func, minimum)
    return v, v


def _nchw(x: Any, name: str, func: str) -> np.ndarray:
    """A float64 4-D array ``(N, C, H, W)``."""
    arr = as_float_array(x, name, func)
    if arr.ndim != 4:
        raise ValueError(
            f"{func}: {name} must be a 4-D array of shape (N, C, H, W), got {arr.ndim}-D array of shape {arr.shape}"
        )
    return arr


def _out_len(n: int, k: int, s: int, p_total: int, d: int) -> int:
    """Floor formula with the total padding ``p_total`` (before + after); may be <= 0."""
    return (n + p_total - d * (k - 1) - 1) // s + 1


def _conv_padding(padding: Any, kernel: Pair, stride: Pair, dilation: Pair, func: str) -> Pads:
    """Symmetric int/pair padding, or PyTorch's ``"valid"`` and ``"same"`` (stride 1 only)."""
    if isinstance(padding, str):
        check_choice(padding, "padding", func, ("valid", "same"))
        if padding == "valid":
            return (0, 0), (0, 0)
        if stride != (1, 1):
            raise ValueError(f"{func}: padding='same' is only supported with stride 1 (as in PyTorch), got stride {stride}")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads.append((total // 2, total - total // 2))  # the odd extra pixel goes after
        return pads[0], pads[1]
    ph, pw = _pair(padding, "padding", func, 0)
    return (ph, ph), (pw, pw)


def _check_extent(
    size: Pair, kernel: Pair, dilation: Pair, pads: Pads, func: str, what: str
) -> None:
    """Raise if the dilated kernel does not fit in the padded input."""
    for axis, n, k, d, (pb, pa) in zip(("height", "width"), size, kernel, dilation, pads):
        extent = d * (k - 1) + 1
        if extent > n + pb + pa:
            dil = f" with dilation {dilation}" if dilation != (1, 1) else ""
            raise ValueError(
                f"{func}: {what} = {kernel}{dil} spans {extent} pixels in {axis}, more than the padded input "
                f"{axis} {n} + {pb + pa} = {n + pb + pa} (the output would be empty)"
            )


def _geometry(x_shape: tuple[int, ...], kernel: Pair, stride: Pair, pads: Pads, dilation: Pair) -> Pair:
    (_, _, H, W) = x_shape
    return (
        _out_len(H, kernel[0], stride[0], sum(pads[0]), dilation[0]),
        _out_len(W, kernel[1], stride[1], sum(pads[1]), dilation[1]),
    )


# --------------------------------------------------------------------------------------------
# the two primitives: gather the shifted views (im2col) and scatter them back (col2im)
# --------------------------------------------------------------------------------------------


def _pad(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    (pt, pb), (pl, pr) = pads
    if pt == pb == pl == pr == 0:
        return x
    N, C, H, W = x.shape
    out = np.full((N, C, H + pt + pb, W + pl + pr), value)
    out[:, :, pt : pt + H, pl : pl + W] = x
    return out


def _window(a: int, b: int, out: Pair, stride: Pair, dilation: Pair) -> tuple[slice, slice]:
    """The slices of the padded input that kernel offset (a, b) meets, one entry per output pixel."""
    h0, w0 = a * dilation[0], b * dilation[1]
    return (
        slice(h0, h0 + stride[0] * (out[0] - 1) + 1, stride[0]),
        slice(w0, w0 + stride[1] * (out[1] - 1) + 1, stride[1]),
    )


def _gather(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair, channels_first: bool) -> np.ndarray:
    """Patches of the padded input ``xp``: ``(C, kH, kW, N, Ho, Wo)`` or ``(N, C, kH, kW, Ho, Wo)``.

    One strided copy per kernel offset; the innermost axis of every copy is contiguous in the
    source when the stride is 1, which is what makes this faster than copying whole windows.
    """
    N, C = xp.shape[:2]
    kh, kw = kernel
    if channels_first:
        cols = np.empty((C, kh, kw, N, out[0], out[1]))
        src = xp.transpose(1, 0, 2, 3)
        for a in range(kh):
            for b in range(kw):
                cols[:, a, b] = src[(slice(None), slice(None), *_window(a, b, out, stride, dilation))]
    else:
        cols = np.empty((N, C, kh, kw, out[0], out[1]))
        for a in range(kh):
            for b in range(kw):
                cols[:, :, a, b] = xp[(slice(None), slice(None), *_window(a, b, out, stride, dilation))]
    return cols


def _scatter(
    cols: np.ndarray, padded: Pair, kernel: Pair, stride: Pair, dilation: Pair, out: Pair, channels_first: bool
) -> np.ndarray:
    """Adjoint of :func:`_gather`: add every patch back where it came from; returns ``(N, C, Hp, Wp)``."""
    kh, kw = kernel
    if channels_first:  # cols (C, kH, kW, N, Ho, Wo)
        C, N = cols.shape[0], cols.shape[3]
        acc = np.zeros((C, N, padded[0], padded[1]))
        for a in range(kh):
            for b in range(kw):
                acc[(slice(None), slice(None), *_window(a, b, out, stride, dilation))] += cols[:, a, b]
        return acc.transpose(1, 0, 2, 3)
    N, C = cols.shape[:2]
    acc = np.zeros((N, C, padded[0], padded[1]))
    for a in range(kh):
        for b in range(kw):
            acc[(slice(None), slice(None), *_window(a, b, out, stride, dilation))] += cols[:, :, a, b]
    return acc


def _crop(xp: np.ndarray, pads: Pads, size: Pair) -> np.ndarray:
    (pt, _), (pl, _) = pads
    return np.ascontiguousarray(xp[:, :, pt : pt + size[0], pl : pl + size[1]])


# --------------------------------------------------------------------------------------------
# output-size arithmetic and receptive fields
# --------------------------------------------------------------------------------------------


def conv_output_size(
    n: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, *, strict: bool = False
) -> int:
    r"""Output length of a convolution (or pooling) along one axis, with the floor (K3).

    .. math::

        n_\text{out} = \Big\lfloor \frac{n + 2p - d(k - 1) - 1}{s} \Big\rfloor + 1 .

    :math:`d(k-1) + 1` is the extent of the dilated kernel, so the numerator counts the
    positions the kernel can slide past its first one; the floor drops a last, incomplete
    stride. Examples: AlexNet's conv1 ``(227, 11, 4)`` gives 55, ``(6, 3, 2)`` gives 2 (not
    2.5), and ``(10, 3, 1, 0, 2)`` gives 6. Height and width are computed separately.

    Parameters
    ----------
    n:
        Input length, an int >= 1.
    kernel_size, stride, dilation:
        Ints >= 1.
    padding:
        Zeros added on *each* side, an int >= 0.
    strict:
        Keyword only. If True (teaching mode) raise ``ValueError`` when the stride does not
        divide :math:`n + 2p - d(k-1) - 1`, i.e. when the floor discards input; the default
        floors, as every framework does.

    Returns
    -------
    int
        The output length, at least 1.

    Raises
    ------
    ValueError
        If the dilated kernel is larger than the padded input (the output would be empty), or
        under ``strict`` for a non-exact configuration.
    """
    func = "conv_output_size"
    n = as_int(n, "n", func, minimum=1)
    k = as_int(kernel_size, "kernel_size", func, minimum=1)
    s = as_int(stride, "stride", func, minimum=1)
    p = as_int(padding, "padding", func, minimum=0)
    d = as_int(dilation, "dilation", func, minimum=1)
    strict = _bool(strict, "strict", func)
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0:
        raise ValueError(
            f"{func}: kernel_size {k} with dilation {d} (extent {d * (k - 1) + 1}) is larger than the padded "
            f"input n + 2*padding = {n + 2 * p}"
        )
    if strict and span % s:
        raise ValueError(
            f"{func}: (n + 2*padding - dilation*(kernel_size - 1) - 1) / stride = {span}/{s} is not an integer "
            f"(strict=True); the floor would ignore the last {span % s} input position(s)"
        )
    return span // s + 1


_TRANSPOSE_CONVENTIONS = ("torch", "keras_valid", "keras_same")


def conv_transpose_output_size(
    n: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
    *,
    convention: str = "torch",
) -> int:
    r"""Output length of a transposed convolution along one axis (K6).

    PyTorch's formula (``torch.nn.ConvTranspose2d``):

    .. math::

        n_\text{out} = (n - 1)s - 2p + d(k - 1) + \text{output\_padding} + 1 .

    It inverts :func:`conv_output_size` only up to the floor: with :math:`k = 3, s = 2` both
    :math:`n = 5` and :math:`n = 6` give 2 outputs, and ``output_padding`` (which adds rows on
    the bottom/right side only) selects between them. Examples: ``(2, 3, 2)`` gives 5,
    ``(5, 3, 2, 1, 1)`` gives 10.

    Parameters
    ----------
    n:
        Input length, an int >= 1.
    kernel_size, stride, dilation:
        Ints >= 1.
    padding:
        An int >= 0, the ``padding`` of the convolution being transposed.
    output_padding:
        An int >= 0, smaller than ``stride`` or than ``dilation`` (PyTorch's rule).
    convention:
        Keyword only. ``"torch"`` (default); ``"keras_valid"`` gives Keras' ``Conv2DTranspose``
        with ``padding="valid"``, :math:`ns + \max(k - s, 0)`; ``"keras_same"`` gives
        :math:`ns`. The Keras conventions ignore ``padding``, ``output_padding`` and
        ``dilation``.

    Raises
    ------
    ValueError
        For an invalid ``output_padding`` or an output length below 1.
    """
    func = "conv_transpose_output_size"
    n = as_int(n, "n", func, minimum=1)
    k = as_int(kernel_size, "kernel_size", func, minimum=1)
    s = as_int(stride, "stride", func, minimum=1)
    p = as_int(padding, "padding", func, minimum=0)
    op = as_int(output_padding, "output_padding", func, minimum=0)
    d = as_int(dilation, "dilation", func, minimum=1)
    check_choice(convention, "convention", func, _TRANSPOSE_CONVENTIONS)
    if convention == "keras_valid":
        return n * s + max(k - s, 0)
    if convention == "keras_same":
        return n * s
    if op >= max(s, d):
        raise ValueError(
            f"{func}: output_padding must be smaller than stride or dilation, got output_padding={op}, "
            f"stride={s}, dilation={d}"
        )
    out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out < 1:
        raise ValueError(f"{func}: the output length (n-1)*stride - 2*padding + ... = {out} is below 1; reduce padding")
    return out


def receptive_field(layers: Sequence[Sequence[int]]) -> tuple[int, int]:
    r"""Receptive-field size and jump of a stack of convolution/pooling layers (one axis).

    ``layers`` lists ``(kernel_size, stride, dilation)`` from the input up. Starting from
    :math:`r = 1, j = 1` (one input pixel, unit spacing), each layer applies

    .. math::

        r \leftarrow r + (k - 1)\, d\, j, \qquad j \leftarrow j\, s ,

    where the jump :math:`j` is the distance, in input pixels, between neighbouring units of
    the current layer. Three 3×3 stride-1 convolutions see 7 pixels; dilations 1, 2, 4 see 15;
    conv3 → pool2/s2 → conv3 sees 8. This is the *theoretical* receptive field: the region
    that can influence a unit (with max pooling, the gradient of a given input reaches fewer
    pixels, and the effective receptive field is smaller still).

    Parameters
    ----------
    layers:
        A sequence of ``(kernel_size, stride, dilation)`` triples of ints >= 1 (a pair
        ``(kernel_size, stride)`` means dilation 1). An empty stack gives ``(1, 1)``.

    Returns
    -------
    tuple
        ``(size, jump)``, two ints.
    """
    func = "receptive_field"
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"{func}: layers must be a sequence of (kernel_size, stride, dilation), got {type(layers).__name__}")
    r, j = 1, 1
    for i, layer in enumerate(layers):
        if isinstance(layer, (str, bytes)) or not hasattr(layer, "__len__"):
            raise TypeError(
                f"{func}: layers[{i}] must be a (kernel_size, stride, dilation) tuple, got {type(layer).__name__}"
            )
        if len(layer) not in (2, 3):
            raise ValueError(f"{func}: layers[{i}] must be (kernel_size, stride, dilation), got {tuple(layer)!r}")
        k = as_int(layer[0], f"layers[{i}] kernel_size", func, minimum=1)
        s = as_int(layer[1], f"layers[{i}] stride", func, minimum=1)
        d = as_int(layer[2], f"layers[{i}] dilation", func, minimum=1) if len(layer) == 3 else 1
        r += (k - 1) * d * j
        j *= s
    return r, j


# --------------------------------------------------------------------------------------------
# im2col / col2im
# --------------------------------------------------------------------------------------------


def im2col(x: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> np.ndarray:
    r"""The patch matrix of a batch of images, exactly ``torch.nn.functional.unfold`` (K9).

    For an input ``(N, C, H, W)`` and a ``kH×kW`` kernel the result has shape
    ``(N, C·kH·kW, L)`` with :math:`L = H_\text{out} W_\text{out}` output positions:

    .. math::

        \text{cols}[n,\ (c\,k_H + a)\,k_W + b,\ i\,W_\text{out} + j]
        = X_\text{pad}[n,\ c,\ s_h i + d_h a,\ s_w j + d_w b] .

    Rows run over channel, kernel row, kernel column; columns over output positions in
    row-major order. A convolution is then one matrix product per example,
    ``weight.reshape(C_out, -1) @ cols[n]`` (see :func:`conv2d`). Worked example:
    ``arange(18).reshape(1, 2, 3, 3)`` with a 2×2 kernel gives shape ``(1, 8, 4)`` and first
    column ``[0, 1, 3, 4, 9, 10, 12, 13]``.

    Parameters
    ----------
    x:
        Array of shape ``(N, C, H, W)``.
    kernel_size, stride, dilation:
        An int or a pair ``(height, width)`` of ints >= 1.
    padding:
        An int or a pair of ints >= 0 (zeros on each side).

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(N, C·kH·kW, H_out·W_out)``.
    """
    func = "im2col"
    x = _nchw(x, "x", func)
    kernel = _pair(kernel_size, "kernel_size", func, 1)
    stride_ = _pair(stride, "stride", func, 1)
    dil = _pair(dilation, "dilation", func, 1)
    ph, pw = _pair(padding, "padding", func, 0)
    pads = ((ph, ph), (pw, pw))
    _check_extent(x.shape[2:], kernel, dil, pads, func, "kernel_size")
    out = _geometry(x.shape, kernel, stride_, pads, dil)
    cols = _gather(_pad(x, pads), kernel, stride_, dil, out, channels_first=False)
    N, C = x.shape[:2]
    return cols.reshape(N, C * kernel[0] * kernel[1], out[0] * out[1])


def col2im(
    cols: Any, output_size: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1
) -> np.ndarray:
    r"""Sum the patches back into an image, exactly ``torch.nn.functional.fold``: the adjoint of :func:`im2col`.

    Every entry of ``cols`` is *added* to the pixel it was read from (padding is dropped), so

    .. math::

        \langle \operatorname{col2im}(A), B \rangle = \langle A, \operatorname{im2col}(B) \rangle

    for all ``A`` and ``B`` of matching shapes, and ``col2im(im2col(x))`` is ``x`` times the
    number of windows that cover each pixel (not ``x``: col2im is the transpose, not the
    inverse). The input gradient of a convolution is ``col2im(Wᵀ @ grad_out)``.

    Parameters
    ----------
    cols:
        Array of shape ``(N, C·kH·kW, L)``.
    output_size:
        The image size ``(H, W)`` (an int for a square); ``L`` must equal the number of
        windows :func:`conv_output_size` gives for it.
    kernel_size, stride, dilation, padding:
        As for :func:`im2col`.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(N, C, H, W)``.
    """
    func = "col2im"
    cols = as_float_array(cols, "cols", func)
    if cols.ndim != 3:
        raise ValueError(
            f"{func}: cols must be a 3-D array of shape (N, C*kH*kW, L), got {cols.ndim}-D array of shape {cols.shape}"
        )
    size = _pair(output_size, "output_size", func, 1)
    kernel = _pair(kernel_size, "kernel_size", func, 1)
    stride_ = _pair(stride, "stride", func, 1)
    dil = _pair(dilation, "dilation", func, 1)
    ph, pw = _pair(padding, "padding", func, 0)
    pads = ((ph, ph), (pw, pw))
    N, CK, L = cols.shape
    kk = kernel[0] * kernel[1]
    if CK % kk:
        raise ValueError(
            f"{func}: cols.shape[1] must be a multiple of kH*kW = {kk} (kernel_size {kernel}), got {CK}"
        )
    _check_extent(size, kernel, dil, pads, func, "kernel_size")
    out = _geometry((N, 0, *size), kernel, stride_, pads, dil)
    if L != out[0] * out[1]:
        raise ValueError(
            f"{func}: cols.shape[2] must be the number of windows, {out[0]}x{out[1]} = {out[0] * out[1]} for "
            f"output_size {size}, kernel_size {kernel}, stride {stride_}, padding {(ph, pw)}, dilation {dil}; got {L}"
        )
    C = CK // kk
    padded = (size[0] + 2 * ph, size[1] + 2 * pw)
    acc = _scatter(cols.reshape(N, C, kernel[0], kernel[1], out[0], out[1]), padded, kernel, stride_, dil, out, False)
    return _crop(acc, pads, size)


# --------------------------------------------------------------------------------------------
# convolution
# --------------------------------------------------------------------------------------------


def _weight4(weight: Any, layout: str, func: str) -> np.ndarray:
    """A float64 4-D kernel array with no empty dimension; ``layout`` names the expected axes."""
    weight = as_float_array(weight, "weight", func)
    if weight.ndim != 4:
        raise ValueError(
            f"{func}: weight must be a 4-D array of shape {layout}, got {weight.ndim}-D array of shape {weight.shape}"
        )
    if min(weight.shape) == 0:
        raise ValueError(f"{func}: weight must have no empty dimension, got shape {weight.shape}")
    return weight


def _conv_args(
    x: Any, weight: Any, stride: Any, padding: Any, dilation: Any, groups: Any, func: str
) -> tuple[np.ndarray, np.ndarray, Pair, Pads, Pair, int, Pair]:
    """Validate the arguments shared by :func:`conv2d` and :func:`conv2d_backward`."""
    x = _nchw(x, "x", func)
    weight = _weight4(weight, "(C_out, C_in/groups, kH, kW)", func)
    g = as_int(groups, "groups", func, minimum=1)
    N, C, H, W = x.shape
    O, Cg, kh, kw = weight.shape
    if C % g:
        raise ValueError(f"{func}: the input channels C={C} (x.shape[1]) must be divisible by groups={g}")
    if O % g:
        raise ValueError(f"{func}: the output channels C_out={O} (weight.shape[0]) must be divisible by groups={g}")
    if Cg * g != C:
        raise ValueError(
            f"{func}: weight.shape[1] must be C_in/groups = {C}/{g} = {C // g} for x with {C} channels, "
            f"got weight of shape {weight.shape}"
        )
    stride_ = _pair(stride, "stride", func, 1)
    dil = _pair(dilation, "dilation", func, 1)
    pads = _conv_padding(padding, (kh, kw), stride_, dil, func)
    _check_extent((H, W), (kh, kw), dil, pads, func, "the kernel size weight.shape[2:]")
    out = _geometry(x.shape, (kh, kw), stride_, pads, dil)
    return x, weight, stride_, pads, dil, g, out


def _bias(bias: Any, n_out: int, func: str) -> np.ndarray | None:
    if bias is None:
        return None
    b = as_float_array(bias, "bias", func)
    if b.shape != (n_out,):
        raise ValueError(f"{func}: bias must have shape (C_out,) = ({n_out},), got shape {b.shape}")
    return b


def _conv_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair, pads: Pads, dil: Pair, groups: int,
    out: Pair,
) -> tuple[np.ndarray, np.ndarray]:
    """The convolution and its patch matrix ``(C, kH, kW, N, Ho, Wo)`` (validated arguments)."""
    N = x.shape[0]
    O, Cg, kh, kw = weight.shape
    cols = _gather(_pad(x, pads), (kh, kw), stride, dil, out, channels_first=True)
    K, L = Cg * kh * kw, N * out[0] * out[1]
    if groups == 1:
        y = weight.reshape(O, K) @ cols.reshape(K, L)
    else:
        y = np.matmul(weight.reshape(groups, O // groups, K), cols.reshape(groups, K, L)).reshape(O, L)
    if bias is not None:
        y += bias[:, None]
    y = np.ascontiguousarray(y.reshape(O, N, out[0], out[1]).transpose(1, 0, 2, 3))
    return y, cols


def _conv_backward(
    grad_out: np.ndarray, cols: np.ndarray, x_shape: tuple[int, ...], weight: np.ndarray, stride: Pair,
    pads: Pads, dil: Pair, groups: int, out: Pair,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(grad_x, grad_weight, grad_bias)`` from the patch matrix of :func:`_conv_forward`."""
    N, C, H, W = x_shape
    O, Cg, kh, kw = weight.shape
    K, L = Cg * kh * kw, N * out[0] * out[1]
    g = np.ascontiguousarray(grad_out.transpose(1, 0, 2, 3)).reshape(O, L)
    grad_b = g.sum(axis=1)
    if groups == 1:
        grad_w = (g @ cols.reshape(K, L).T).reshape(weight.shape)
        gcols = weight.reshape(O, K).T @ g
    else:
        gg = g.reshape(groups, O // groups, L)
        grad_w = np.matmul(gg, cols.reshape(groups, K, L).transpose(0, 2, 1)).reshape(weight.shape)
        gcols = np.matmul(weight.reshape(groups, O // groups, K).transpose(0, 2, 1), gg)
    padded = (H + sum(pads[0]), W + sum(pads[1]))
    acc = _scatter(gcols.reshape(C, kh, kw, N, out[0], out[1]), padded, (kh, kw), stride, dil, out, True)
    return _crop(acc, pads, (H, W)), grad_w, grad_b


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> np.ndarray:
    r"""2-D convolution (cross-correlation) of a batch, equal to ``torch.nn.functional.conv2d``.

    With :math:`C_g = C_\text{in}/\text{groups}` input channels per group, output channel
    :math:`o` belonging to group :math:`\gamma(o) = \lfloor o\,\text{groups}/C_\text{out} \rfloor`:

    .. math::

        Y[n, o, i, j] = b_o + \sum_{c=0}^{C_g - 1} \sum_{a=0}^{k_H - 1} \sum_{b=0}^{k_W - 1}
            W[o, c, a, b]\; X_\text{pad}[n,\ \gamma(o) C_g + c,\ s_h i + d_h a,\ s_w j + d_w b] .

    No kernel flip (K1): this is cross-correlation, what every deep-learning library calls
    convolution; true convolution is ``conv2d(x, weight[:, :, ::-1, ::-1])``. The output is
    ``(N, C_out, H_out, W_out)`` with sizes from :func:`conv_output_size`.

    Implementation (im2col): the patches form a matrix :math:`P` of shape
    :math:`(C_g k_H k_W,\ N H_\text{out} W_\text{out})` per group, and
    :math:`Y = W_\text{mat} P + b` is **one** BLAS matrix product with the weight reshaped to
    :math:`(C_\text{out}, C_g k_H k_W)`. Building :math:`P` copies the padded input once per
    kernel offset (:math:`k_H k_W` strided copies, no loop over pixels or examples).

    Parameters
    ----------
    x:
        Input of shape ``(N, C_in, H, W)``.
    weight:
        Kernels of shape ``(C_out, C_in/groups, kH, kW)``.
    bias:
        None or shape ``(C_out,)``.
    stride, dilation:
        An int or a pair of ints >= 1.
    padding:
        An int or a pair of ints >= 0 (zeros on each side), or ``"valid"`` (no padding) or
        ``"same"`` (output size = input size; stride 1 only; an odd total padding puts the
        extra zero after, on the bottom/right, as PyTorch does).
    groups:
        Int >= 1 dividing ``C_in`` and ``C_out``: channels are split into ``groups``
        independent convolutions (``groups = C_in`` is a depthwise convolution).

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(N, C_out, H_out, W_out)``.

    Raises
    ------
    ValueError
        For wrong dimensions, channel counts that do not match ``groups``, a kernel larger than
        the padded input, ``padding="same"`` with a stride, or a badly shaped ``bias``.
    """
    func = "conv2d"
    x, weight, stride_, pads, dil, g, out = _conv_args(x, weight, stride, padding, dilation, groups, func)
    b = _bias(bias, weight.shape[0], func)
    return _conv_forward(x, weight, b, stride_, pads, dil, g, out)[0]


def conv2d_backward(
    grad_out: Any,
    x: Any,
    weight: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`conv2d` with respect to its input, weight and bias, equal to autograd.

    With :math:`G = \partial\mathcal L/\partial Y` of shape ``(N, C_out, H_out, W_out)``:

    .. math::

        \frac{\partial\mathcal L}{\partial W[o, c, a, b]} &= \sum_{n, i, j} G[n, o, i, j]\;
            X_\text{pad}[n,\ \gamma(o) C_g + c,\ s_h i + d_h a,\ s_w j + d_w b] \\
        \frac{\partial\mathcal L}{\partial b_o} &= \sum_{n, i, j} G[n, o, i, j] \\
        \frac{\partial\mathcal L}{\partial X_\text{pad}[n, \gamma C_g + c, u, v]} &=
            \sum_{o \in \gamma} \sum_{\substack{i, a:\ s_h i + d_h a = u \\ j, b:\ s_w j + d_w b = v}}
            G[n, o, i, j]\; W[o, c, a, b] .

    The weight gradient is a correlation of the input with the upstream gradient; the input
    gradient is a *transposed* convolution of the upstream gradient (for stride 1, a full
    correlation with the 180°-rotated kernel), i.e. :func:`conv_transpose2d` ``(G, W)``; the
    padded border is dropped. In matrix form, with the patch matrix :math:`P` of the forward
    pass: :math:`\partial W = G_\text{mat} P^\top` and
    :math:`\partial X = \operatorname{col2im}(W_\text{mat}^\top G_\text{mat})`.

    Parameters
    ----------
    grad_out:
        Upstream gradient, of the shape of ``conv2d(x, weight, ...)``.
    x, weight, stride, padding, dilation, groups:
        As given to :func:`conv2d` (the bias does not enter the gradients).

    Returns
    -------
    tuple
        ``(grad_x, grad_weight, grad_bias)`` with the shapes of ``x``, ``weight`` and
        ``(C_out,)``.
    """
    func = "conv2d_backward"
    x, weight, stride_, pads, dil, g, out = _conv_args(x, weight, stride, padding, dilation, groups, func)
    go = as_float_array(grad_out, "grad_out", func)
    want = (x.shape[0], weight.shape[0], out[0], out[1])
    if go.shape != want:
        raise ValueError(f"{func}: grad_out must have the shape of the convolution's output {want}, got {go.shape}")
    cols = _gather(_pad(x, pads), weight.shape[2:], stride_, dil, out, channels_first=True)
    return _conv_backward(go, cols, x.shape, weight, stride_, pads, dil, g, out)


def conv_transpose2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> np.ndarray:
    r"""Transposed convolution, equal to ``torch.nn.functional.conv_transpose2d``.

    The transpose (adjoint) of :func:`conv2d` with the same ``weight``, stride, padding and
    dilation: if the convolution is multiplication by a matrix :math:`C`, this multiplies by
    :math:`C^\top` (not :math:`C^{-1}`: it is not a "deconvolution"). Each input pixel
    scatters a copy of the kernel, scaled by its value, into the output:

    .. math::

        Z_\text{pad}[n,\ \gamma C'_g + c',\ s_h i + d_h a,\ s_w j + d_w b]
            \mathrel{+}= X[n, c, i, j]\; W[c, c', a, b] ,

    then the padding is cropped and the bias added. Equivalently: insert :math:`s - 1` zeros
    between input pixels, pad :math:`d(k-1) - p` on each side (plus ``output_padding`` on the
    bottom/right) and correlate with the spatially flipped kernel with in/out channels
    swapped. Output size: :func:`conv_transpose_output_size`.

    Parameters
    ----------
    x:
        Input of shape ``(N, C_in, H, W)``.
    weight:
        Shape ``(C_in, C_out/groups, kH, kW)`` (PyTorch's layout for transposed convolutions).
    bias:
        None or shape ``(C_out,)``.
    stride, dilation:
        An int or a pair of ints >= 1.
    padding:
        An int or a pair of ints >= 0, the padding of the convolution being transposed.
    output_padding:
        An int or a pair of ints >= 0, each smaller than the stride or the dilation.
    groups:
        Int >= 1 dividing ``C_in`` and ``C_out``.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(N, C_out, H_out, W_out)``.
    """
    func = "conv_transpose2d"
    x = _nchw(x, "x", func)
    weight = _weight4(weight, "(C_in, C_out/groups, kH, kW)", func)
    g = as_int(groups, "groups", func, minimum=1)
    N, C, H, W = x.shape
    Cw, Og, kh, kw = weight.shape
    if Cw != C:
        raise ValueError(
            f"{func}: weight.shape[0] must equal the input channels C_in={C} (x.shape[1]), got weight of shape "
            f"{weight.shape}"
        )
    if C % g:
        raise ValueError(f"{func}: the input channels C_in={C} (x.shape[1]) must be divisible by groups={g}")
    stride_ = _pair(stride, "stride", func, 1)
    dil = _pair(dilation, "dilation", func, 1)
    ph, pw = _pair(padding, "padding", func, 0)
    oph, opw = _pair(output_padding, "output_padding", func, 0)
    for op, s, d in ((oph, stride_[0], dil[0]), (opw, stride_[1], dil[1])):
        if op >= max(s, d):
            raise ValueError(
                f"{func}: output_padding must be smaller than stride or dilation, got output_padding="
                f"{(oph, opw)}, stride={stride_}, dilation={dil}"
            )
    Ho = (H - 1) * stride_[0] - 2 * ph + dil[0] * (kh - 1) + oph + 1
    Wo = (W - 1) * stride_[1] - 2 * pw + dil[1] * (kw - 1) + opw + 1
    if Ho < 1 or Wo < 1:
        raise ValueError(
            f"{func}: the output size ({Ho}, {Wo}) is below 1 (input {H}x{W}, kernel {kh}x{kw}, stride {stride_}, "
            f"padding {(ph, pw)}); reduce padding"
        )
    O = Og * g
    b = _bias(bias, O, func)
    K, L = Og * kh * kw, N * H * W
    xin = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(C, L)
    if g == 1:
        cols = weight.reshape(C, K).T @ xin
    else:
        cols = np.matmul(weight.reshape(g, C // g, K).transpose(0, 2, 1), xin.reshape(g, C // g, L))
    padded = (Ho + 2 * ph, Wo + 2 * pw)
    acc = _scatter(cols.reshape(O, kh, kw, N, H, W), padded, (kh, kw), stride_, dil, (H, W), True)
    y = _crop(acc, ((ph, ph), (pw, pw)), (Ho, Wo))
    if b is not None:
        y += b[:, None, None]
    return y


# --------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------


def _pool_args(
    x: Any, kernel_size: Any, stride: Any, padding: Any, func: str, name: str = "x"
) -> tuple[np.ndarray, Pair, Pair, Pair, Pair]:
    x = _nchw(x, name, func)
    kernel = _pair(kernel_size, "kernel_size", func, 1)
    stride_ = kernel if stride is None else _pair(stride, "stride", func, 1)
    pad = _pair(padding, "padding", func, 0)
    for p, k in zip(pad, kernel):
        if p > k // 2:
            raise ValueError(
                f"{func}: padding must be at most half of kernel_size (as in PyTorch), got padding={pad} for "
                f"kernel_size={kernel}"
            )
    pads = ((pad[0], pad[0]), (pad[1], pad[1]))
    _check_extent(x.shape[2:], kernel, (1, 1), pads, func, "kernel_size")
    out = _geometry(x.shape, kernel, stride_, pads, (1, 1))
    return x, kernel, stride_, pad, out


def _max_pool(x: np.ndarray, kernel: Pair, stride: Pair, pad: Pair, out: Pair) -> tuple[np.ndarray, np.ndarray]:
    """Maxima and flat input indices (``h*W + w``) of the first maximum of every window."""
    W = x.shape[3]
    xp = _pad(x, ((pad[0], pad[0]), (pad[1], pad[1])), value=-np.inf)
    best = arg = None
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            v = xp[(slice(None), slice(None), *_window(a, b, out, stride, (1, 1)))]
            if best is None:
                best = v.copy()
                arg = np.zeros(best.shape, dtype=np.int64)
            else:
                better = v > best  # strict: ties keep the earlier (row-major first) offset
                np.copyto(best, v, where=better)
                np.copyto(arg, a * kernel[1] + b, where=better)
    rows = np.arange(out[0])[:, None] * stride[0] - pad[0] + arg // kernel[1]
    cols = np.arange(out[1])[None, :] * stride[1] - pad[1] + arg % kernel[1]
    return best, rows * W + cols


def max_pool2d(
    x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, return_indices: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    r"""Max pooling, equal to ``torch.nn.functional.max_pool2d`` (floor mode, K7).

    .. math::

        Y[n, c, i, j] = \max_{0 \le a < k_H,\ 0 \le b < k_W} X_\text{pad}[n, c, s_h i + a, s_w j + b],

    with :math:`-\infty` padding, independently per channel (no parameters). The indices
    (``return_indices=True``) are flat positions :math:`h W + w` in each input plane of the
    *first* maximum in row-major window order, the element the gradient is routed to
    (:func:`max_pool2d_backward`) and where :func:`max_unpool2d` puts the value back.

    Parameters
    ----------
    x:
        Input of shape ``(N, C, H, W)``.
    kernel_size:
        An int or a pair of ints >= 1.
    stride:
        An int or a pair of ints >= 1; None (default) means ``kernel_size``.
    padding:
        An int or a pair of ints, at most half the kernel size (PyTorch's rule).
    return_indices:
        Also return the int64 indices.

    Returns
    -------
    numpy.ndarray or tuple
        The pooled array ``(N, C, H_out, W_out)``, and with ``return_indices`` the indices of
        the same shape.
    """
    func = "max_pool2d"
    return_indices = _bool(return_indices, "return_indices", func)
    x, kernel, stride_, pad, out = _pool_args(x, kernel_size, stride, padding, func)
    y, idx = _max_pool(x, kernel, stride_, pad, out)
    return (y, idx) if return_indices else y


def _route(grad: np.ndarray, idx: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Add every ``grad`` entry into the input position ``idx`` of its plane (accumulating)."""
    N, C, H, W = shape
    planes = np.arange(N * C, dtype=np.int64)[:, None] * (H * W)
    flat = (planes + idx.reshape(N * C, idx.shape[2] * idx.shape[3])).ravel()
    return np.bincount(flat, weights=grad.ravel(), minlength=N * C * H * W).reshape(shape)


def max_pool2d_backward(
    grad_out: Any, x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, *, indices: Any = None
) -> np.ndarray:
    r"""Gradient of :func:`max_pool2d` with respect to its input, equal to autograd.

    Each window passes its upstream gradient to its arg-max and nothing to the other
    elements; an element that is the maximum of several (overlapping) windows receives the
    **sum** of their gradients:

    .. math::

        \frac{\partial\mathcal L}{\partial X[n, c, u, v]} =
            \sum_{i, j:\ \operatorname{argmax}_{(i, j)} = (u, v)} G[n, c, i, j] .

    Ties go to the first maximum in row-major order (PyTorch's convention, K7): a window of
    equal values sends its whole gradient to its top-left element.

    Parameters
    ----------
    grad_out:
        Upstream gradient of shape ``(N, C, H_out, W_out)``.
    x, kernel_size, stride, padding:
        As given to :func:`max_pool2d`.
    indices:
        Keyword only. The indices returned by ``max_pool2d(..., return_indices=True)``; if
        None (default) they are recomputed from ``x``.

    Returns
    -------
    numpy.ndarray
        The gradient, of the shape of ``x``.
    """
    func = "max_pool2d_backward"
    x, kernel, stride_, pad, out = _pool_args(x, kernel_size, stride, padding, func)
    go = as_float_array(grad_out, "grad_out", func)
    want = (*x.shape[:2], *out)
    if go.shape != want:
        raise ValueError(f"{func}: grad_out must have the shape of the pooled output {want}, got {go.shape}")
    if indices is None:
        idx = _max_pool(x, kernel, stride_, pad, out)[1]
    else:
        idx = _indices(indices, want, x.shape[2] * x.shape[3], func)
    return _route(go, idx, x.shape)


def _indices(indices: Any, shape: tuple[int, ...], plane: int, func: str) -> np.ndarray:
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{func}: indices must be an integer array, got dtype {idx.dtype}")
    if idx.shape != shape:
        raise ValueError(f"{func}: indices must have shape {shape}, got {idx.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        raise ValueError(
            f"{func}: indices must lie in [0, {plane}) (flat positions in an output plane), got values in "
            f"[{idx.min()}, {idx.max()}]"
        )
    return idx.astype(np.int64, copy=False)


def _avg_divisor(shape: Pair, kernel: Pair, stride: Pair, pad: Pair, out: Pair, count_include_pad: bool) -> Any:
    if count_include_pad:
        return float(kernel[0] * kernel[1])
    ones = _pad(np.ones((1, 1, *shape)), ((pad[0], pad[0]), (pad[1], pad[1])))
    counts = np.zeros(out)
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            counts += ones[(0, 0, *_window(a, b, out, stride, (1, 1)))]
    return counts


def avg_pool2d(
    x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, *, count_include_pad: bool = True
) -> np.ndarray:
    r"""Average pooling, equal to ``torch.nn.functional.avg_pool2d`` (floor mode, K7).

    .. math::

        Y[n, c, i, j] = \frac{1}{|w_{ij}|} \sum_{0 \le a < k_H,\ 0 \le b < k_W}
            X_\text{pad}[n, c, s_h i + a, s_w j + b]

    with zero padding. With ``count_include_pad=True`` (PyTorch's default) the divisor
    :math:`|w_{ij}|` is :math:`k_H k_W` for every window, padded zeros included; with False it
    is the number of real (unpadded) pixels in the window. Example: a 3×3 average pool with
    padding 1 over a 3×3 image of ones gives 4/9 in the corners by default, 1 otherwise.

    Parameters
    ----------
    x:
        Input of shape ``(N, C, H, W)``.
    kernel_size:
        An int or a pair of ints >= 1.
    stride:
        An int or a pair of ints >= 1; None (default) means ``kernel_size``.
    padding:
        An int or a pair of ints, at most half the kernel size.
    count_include_pad:
        Keyword only; see above.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(N, C, H_out, W_out)``.
    """
    func = "avg_pool2d"
    cip = _bool(count_include_pad, "count_include_pad", func)
    x, kernel, stride_, pad, out = _pool_args(x, kernel_size, stride, padding, func)
    xp = _pad(x, ((pad[0], pad[0]), (pad[1], pad[1])))
    acc = np.zeros((*x.shape[:2], *out))
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            acc += xp[(slice(None), slice(None), *_window(a, b, out, stride_, (1, 1)))]
    acc /= _avg_divisor(x.shape[2:], kernel, stride_, pad, out, cip)
    return acc


def avg_pool2d_backward(
    grad_out: Any, x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, *, count_include_pad: bool = True
) -> np.ndarray:
    r"""Gradient of :func:`avg_pool2d` with respect to its input, equal to autograd.

    Every window spreads its upstream gradient evenly over its pixels, and overlapping windows
    add up:

    .. math::

        \frac{\partial\mathcal L}{\partial X[n, c, u, v]} =
            \sum_{(i, j):\ (u, v) \in w_{ij}} \frac{G[n, c, i, j]}{|w_{ij}|} ,

    padded positions being dropped. Only the shape of ``x`` is used.

    Parameters
    ----------
    grad_out:
        Upstream gradient of shape ``(N, C, H_out, W_out)``.
    x, kernel_size, stride, padding, count_include_pad:
        As given to :func:`avg_pool2d`.

    Returns
    -------
    numpy.ndarray
        The gradient, of the shape of ``x``.
    """
    func = "avg_pool2d_backward"
    cip = _bool(count_include_pad, "count_include_pad", func)
    x, kernel, stride_, pad, out = _pool_args(x, kernel_size, stride, padding, func)
    go = as_float_array(grad_out, "grad_out", func)
    want = (*x.shape[:2], *out)
    if go.shape != want:
        raise ValueError(f"{func}: grad_out must have the shape of the pooled output {want}, got {go.shape}")
    return _avg_pool_backward(go, x.shape, kernel, stride_, pad, out, cip)


def _avg_pool_backward(
    go: np.ndarray, shape: tuple[int, ...], kernel: Pair, stride: Pair, pad: Pair, out: Pair, cip: bool
) -> np.ndarray:
    share = go / _avg_divisor(shape[2:], kernel, stride, pad, out, cip)
    pads = ((pad[0], pad[0]), (pad[1], pad[1]))
    padded = (shape[2] + 2 * pad[0], shape[3] + 2 * pad[1])
    acc = np.zeros((*shape[:2], *padded))
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            acc[(slice(None), slice(None), *_window(a, b, out, stride, (1, 1)))] += share
    return _crop(acc, pads, shape[2:])


def max_unpool2d(
    x: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, output_size: Any = None
) -> np.ndarray:
    r"""Partial inverse of :func:`max_pool2d`, equal to ``torch.nn.functional.max_unpool2d``.

    Each value is written back at the position its index records and every other output pixel
    is zero:

    .. math::

        Z[n, c, \lfloor m / W' \rfloor, m \bmod W'] = X[n, c, i, j], \qquad
        m = \text{indices}[n, c, i, j] .

    The non-maximal values are lost, so max pooling is not inverted, only "un-done" at the
    maxima. The default output size is :math:`(H - 1) s - 2p + k` per axis, which may differ
    from the pooled input's size (pass ``output_size`` then).

    Parameters
    ----------
    x:
        Pooled values, shape ``(N, C, H, W)``.
    indices:
        Integer array of the same shape, from ``max_pool2d(..., return_indices=True)``.
    kernel_size, stride, padding:
        As given to :func:`max_pool2d` (``stride`` None means ``kernel_size``).
    output_size:
        None, ``(H_out, W_out)`` or ``(N, C, H_out, W_out)``.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(N, C, H_out, W_out)``.
    """
    func = "max_unpool2d"
    x = _nchw(x, "x", func)
    kernel = _pair(kernel_size, "kernel_size", func, 1)
    stride_ = kernel if stride is None else _pair(stride, "stride", func, 1)
    pad = _pair(padding, "padding", func, 0)
    N, C, H, W = x.shape
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip((H, W), stride_, pad, kernel))
    if output_size is None:
        size = default
    else:
        try:
            dims = tuple(output_size)
        except TypeError:
            raise TypeError(
                f"{func}: output_size must be None, (H_out, W_out) or (N, C, H_out, W_out), got "
                f"{type(output_size).__name__}"
            ) from None
        if len(dims) == 4:
            if tuple(dims[:2]) != (N, C):
                raise ValueError(f"{func}: output_size {dims} must start with (N, C) = {(N, C)}")
            dims = dims[2:]
        if len(dims) != 2:
            raise ValueError(f"{func}: output_size must be (H_out, W_out) or (N, C, H_out, W_out), got {output_size!r}")
        size = _pair(tuple(dims), "output_size", func, 1)
    if min(size) < 1:
        raise ValueError(f"{func}: the output size {size} is below 1; pass output_size")
    idx = _indices(indices, x.shape, size[0] * size[1], func)
    out = np.zeros((N * C, size[0] * size[1]))
    np.put_along_axis(out, idx.reshape(N * C, H * W), x.reshape(N * C, H * W), axis=1)
    return out.reshape(N, C, *size)


# --------------------------------------------------------------------------------------------
# interpolation
# --------------------------------------------------------------------------------------------

_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")
_CUBIC_A = -0.75


def _floorf(v: np.ndarray) -> np.ndarray:
    """``floorf`` of C: the value is rounded to float32 first (as in PyTorch's kernels)."""
    return np.floor(v.astype(np.float32)).astype(np.int64)


def _cubic_weights(t: np.ndarray, A: float = _CUBIC_A) -> np.ndarray:
    r"""Keys-kernel weights of the taps at offsets -1, 0, 1, 2 for fractional position ``t``."""

    def near(s):  # |s| <= 1
        return ((A + 2) * s - (A + 3)) * s * s + 1

    def far(s):  # 1 < |s| < 2
        return ((A * s - 5 * A) * s + 8 * A) * s - 4 * A

    return np.stack([far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)], axis=1)


def _axis_taps(n_in: int, n_out: int, scale: float | None, mode: str, align_corners: bool) -> tuple[np.ndarray, np.ndarray]:
    """Source indices ``(n_out, T)`` and weights ``(n_out, T)`` along one axis, PyTorch's rules."""
    i = np.arange(n_out, dtype=np.float64)
    if mode.startswith("nearest"):  # PyTorch computes the nearest indices in float32
        r32 = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n_in) / np.float32(n_out)
        if mode == "nearest-exact":
            idx = _floorf((i + 0.5) * np.float64(r32))
        elif n_out == n_in:  # PyTorch's exact shortcuts for scale 1 and 2
            idx = np.arange(n_out)
        elif n_out == 2 * n_in:
            idx = np.arange(n_out) // 2
        else:
            idx = np.floor(i.astype(np.float32) * r32).astype(np.int64)
        return np.minimum(idx, n_in - 1)[:, None], np.ones((n_out, 1))
    if align_corners:
        ratio = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        ratio = 1.0 / scale if scale is not None and scale > 0 else n_in / n_out
    src = ratio * i if align_corners else ratio * (i + 0.5) - 0.5
    if mode == "bilinear":
        if n_out == n_in:  # PyTorch copies when the size does not change, whatever the scale
            return np.arange(n_in)[:, None], np.ones((n_out, 1))
        src = np.maximum(src, 0.0)
        i0 = np.minimum(_floorf(src), n_in - 1)
        lam = np.clip(src - i0, 0.0, 1.0)
        i1 = i0 + (i0 < n_in - 1)
        return np.stack([i0, i1], axis=1), np.stack([1.0 - lam, lam], axis=1)
    i0 = _floorf(src)  # bicubic: no clamping of the coordinate, clamped taps
    w = _cubic_weights(src - i0)
    idx = np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, n_in - 1)
    return idx, w


def interpolate(
    x: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest", align_corners: bool | None = None
) -> np.ndarray:
    r"""Resize a batch of images, equal to ``torch.nn.functional.interpolate`` (K8).

    Separable: each output row index :math:`i` reads a source coordinate :math:`x_i` and
    weights a few input rows, then the same along columns. With ratio :math:`r` (input/output
    size, or ``1/scale_factor`` when a scale factor is given):

    * ``"nearest"`` (PyTorch's legacy rule): :math:`x_i = \lfloor r\, i \rfloor`, clamped;
    * ``"nearest-exact"``: :math:`x_i = \lfloor r (i + \tfrac12) \rfloor` (as PIL and scikit-image);
    * ``"bilinear"``: :math:`x_i = r (i + \tfrac12) - \tfrac12` clamped at 0 (half-pixel
      centres, ``align_corners=False``) or :math:`x_i = i\,(n_\text{in}-1)/(n_\text{out}-1)`
      (``align_corners=True``, the corner pixels' centres coincide), and
      :math:`y_i = (1 - \lambda) X_{\lfloor x_i \rfloor} + \lambda X_{\lfloor x_i \rfloor + 1}`,
      :math:`\lambda = x_i - \lfloor x_i \rfloor`;
    * ``"bicubic"``: the same coordinates (without the clamp) and four taps
      :math:`\lfloor x_i \rfloor - 1, \ldots, \lfloor x_i \rfloor + 2` (clamped to the border)
      weighted by the Keys kernel with :math:`A = -0.75` (PyTorch; PIL and TensorFlow 2 use
      :math:`-0.5`):

      .. math::

          k(t) = \begin{cases} (A + 2)|t|^3 - (A + 3)|t|^2 + 1 & |t| \le 1 \\
                 A|t|^3 - 5A|t|^2 + 8A|t| - 4A & 1 < |t| < 2 \\ 0 & \text{otherwise.} \end{cases}

    Bicubic interpolation can overshoot the input range. Example: ``[[0, 1], [2, 3]]``
    up-sampled to 3×3 bilinearly with ``align_corners=True`` gives
    ``[[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]]``; ×2 with ``align_corners=False`` gives the first
    row ``[0, 0.25, 0.75, 1]``.

    Parameters
    ----------
    x:
        Input of shape ``(N, C, H, W)``.
    size:
        Output size, an int or a pair ``(H_out, W_out)``; exactly one of ``size`` and
        ``scale_factor`` is given.
    scale_factor:
        A positive real or a pair; the output size is :math:`\lfloor n \cdot \text{scale} \rfloor`
        and, as in PyTorch (``recompute_scale_factor=None``), the coordinates use
        ``1/scale_factor`` itself.
    mode:
        ``"nearest"`` (default), ``"nearest-exact"``, ``"bilinear"`` or ``"bicubic"``.
    align_corners:
        None or a bool, for ``"bilinear"``/``"bicubic"`` only (None means False).

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(N, C, H_out, W_out)``.
    """
    func = "interpolate"
    x = _nchw(x, "x", func)
    check_choice(mode, "mode", func, _MODES)
    if align_corners is not None:
        if mode.startswith("nearest"):
            raise ValueError(
                f"{func}: align_corners can only be set with mode 'bilinear' or 'bicubic', got mode={mode!r}"
            )
        ac = _bool(align_corners, "align_corners", func)
    else:
        ac = False
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{func}: exactly one of size and scale_factor must be given, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")
    H, W = x.shape[2:]
    if H < 1 or W < 1:
        raise ValueError(f"{func}: x must have non-empty spatial dimensions, got shape {x.shape}")
    if size is not None:
        out = _pair(size, "size", func, 1)
        scales: tuple[float | None, float | None] = (None, None)
    else:
        if isinstance(scale_factor, (tuple, list)):
            if len(scale_factor) != 2:
                raise ValueError(f"{func}: scale_factor must be a number or a pair, got {scale_factor!r}")
            sf = tuple(as_real(v, "scale_factor", func, positive=True) for v in scale_factor)
        else:
            v = as_real(scale_factor, "scale_factor", func, positive=True)
            sf = (v, v)
        out = (math.floor(H * sf[0]), math.floor(W * sf[1]))
        if min(out) < 1:
            raise ValueError(f"{func}: scale_factor {scale_factor!r} gives an empty output {out} for input {H}x{W}")
        scales = sf
    ih, wh = _axis_taps(H, out[0], scales[0], mode, ac)
    iw, ww = _axis_taps(W, out[1], scales[1], mode, ac)
    rows = np.zeros((*x.shape[:2], out[0], W))
    for t in range(ih.shape[1]):
        rows += wh[:, t][:, None] * x[:, :, ih[:, t], :]
    y = np.zeros((*x.shape[:2], out[0], out[1]))
    for t in range(iw.shape[1]):
        y += ww[:, t] * rows[:, :, :, iw[:, t]]
    return y


# --------------------------------------------------------------------------------------------
# benchmark
# --------------------------------------------------------------------------------------------


def benchmark_conv2d(
    batch: int = 64,
    in_channels: int = 16,
    out_channels: int = 32,
    size: int = 32,
    kernel_size: int = 3,
    padding: int = 1,
    repeat: int = 5,
    torch_threads: int | None = None,
    blas_threads: int | None = None,
) -> dict[str, float]:
    """Seconds of :func:`conv2d` (+ :func:`conv2d_backward`) and of PyTorch's float64 conv on the same data.

    Input ``(batch, in_channels, size, size)``, weight ``(out_channels, in_channels,
    kernel_size, kernel_size)``, a bias, stride 1; both libraries in float64 (dlnotes's dtype;
    PyTorch's CPU float64 convolution is also im2col + BLAS). "forward" times one convolution;
    "forward_backward" times the forward pass plus the three gradients (dlnotes:
    ``conv2d`` + ``conv2d_backward``, which rebuilds the patch matrix; PyTorch: ``conv2d`` and
    ``backward`` with ``requires_grad`` on input, weight and bias). After a warm-up, each
    measurement is repeated ``repeat`` times, alternating between the libraries, and the best
    wall-clock time is kept (the minimum is the least noisy statistic on a shared machine);
    CPU times (all threads of the process) are reported alongside.

    Parameters
    ----------
    batch, in_channels, out_channels, size, kernel_size:
        Positive ints.
    padding:
        Int >= 0.
    repeat:
        Number of timed repetitions, >= 1.
    torch_threads:
        PyTorch's intra-op threads for the measurement (default: leave
        ``torch.get_num_threads()``); restored afterwards.
    blas_threads:
        Threads of NumPy's BLAS during the measurement (via ``threadpoolctl``; default: leave
        as is).

    Returns
    -------
    dict
        ``dlnotes_forward``, ``torch_forward``, ``dlnotes_forward_backward``,
        ``torch_forward_backward`` (best wall-clock seconds), the same keys with ``_cpu``
        (CPU seconds of the best-by-CPU run), and the ratios ``forward_ratio`` and
        ``forward_backward_ratio`` (dlnotes / PyTorch, wall clock; the issue's targets are 3
        and 4).
    """
    import contextlib

    import torch

    func = "benchmark_conv2d"
    n = as_int(batch, "batch", func, minimum=1)
    c_in = as_int(in_channels, "in_channels", func, minimum=1)
    c_out = as_int(out_channels, "out_channels", func, minimum=1)
    hw = as_int(size, "size", func, minimum=1)
    k = as_int(kernel_size, "kernel_size", func, minimum=1)
    p = as_int(padding, "padding", func, minimum=0)
    r = as_int(repeat, "repeat", func, minimum=1)
    t_threads = None if torch_threads is None else as_int(torch_threads, "torch_threads", func, minimum=1)
    b_threads = None if blas_threads is None else as_int(blas_threads, "blas_threads", func, minimum=1)
    conv_output_size(hw, k, 1, p)  # validates the geometry

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, c_in, hw, hw))
    w = rng.normal(size=(c_out, c_in, k, k)) / math.sqrt(c_in * k * k)
    b = rng.normal(size=c_out)
    g = rng.normal(size=(n, c_out, hw + 2 * p - k + 1, hw + 2 * p - k + 1))
    xt, wt, bt, gt = (torch.from_numpy(a) for a in (x, w, b, g))
    xg, wg, bg = (a.clone().requires_grad_(True) for a in (xt, wt, bt))
    tF = torch.nn.functional

    def ours_fwd():
        conv2d(x, w, b, padding=p)

    def ours_fb():
        conv2d(x, w, b, padding=p)
        conv2d_backward(g, x, w, padding=p)

    def torch_fwd():
        with torch.no_grad():
            tF.conv2d(xt, wt, bt, padding=p)

    def torch_fb():
        xg.grad = wg.grad = bg.grad = None
        tF.conv2d(xg, wg, bg, padding=p).backward(gt)

    jobs = {"dlnotes_forward": ours_fwd, "torch_forward": torch_fwd,
            "dlnotes_forward_backward": ours_fb, "torch_forward_backward": torch_fb}
    wall = dict.fromkeys(jobs, float("inf"))
    cpu = dict.fromkeys(jobs, float("inf"))
    old_threads = torch.get_num_threads()
    limits: Any = contextlib.nullcontext()
    if b_threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
            pass
        else:
            limits = threadpool_limits(limits=b_threads, user_api="blas")
    try:
        if t_threads is not None:
            torch.set_num_threads(t_threads)
        with limits:
            for fn in jobs.values():  # warm-up
                fn()
            for _ in range(r):
                for key, fn in jobs.items():
                    s_wall, s_cpu = time.perf_counter(), time.process_time()
                    fn()
                    wall[key] = min(wall[key], time.perf_counter() - s_wall)
                    cpu[key] = min(cpu[key], time.process_time() - s_cpu)
    finally:
        torch.set_num_threads(old_threads)
    result = dict(wall)
    result.update({f"{key}_cpu": v for key, v in cpu.items()})
    result["forward_ratio"] = wall["dlnotes_forward"] / wall["torch_forward"]
    result["forward_backward_ratio"] = wall["dlnotes_forward_backward"] / wall["torch_forward_backward"]
    return result
