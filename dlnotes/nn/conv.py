r"""Convolution and pooling layers with an explicit backward pass: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``.

Built on :mod:`dlnotes.conv` (NCHW, float64). Names, arguments, defaults, parameter shapes and
names are PyTorch's (``weight`` of shape ``(out_channels, in_channels/groups, kH, kW)``,
``bias`` of shape ``(out_channels,)``), so the layers compose with :class:`~dlnotes.nn.ReLU`,
:class:`~dlnotes.nn.Flatten` (C order on NCHW, as ``torch.nn.Flatten``) and
:class:`~dlnotes.nn.Linear` in a :class:`~dlnotes.nn.Sequential` and train with
:mod:`dlnotes.optim`. As every layer of :mod:`dlnotes.nn`, ``forward`` caches what the backward
pass needs and ``backward(grad_output)`` returns the gradient with respect to the input and
**adds** the parameter gradients into ``.grad``.

Book: chapter 07, "Implementing convolution fast" and "Pooling".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes import conv as _conv
from dlnotes._validation import as_int, as_rng
from dlnotes.nn import init
from dlnotes.nn.module import Module, Parameter

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d"]


class Conv2d(Module):
    r"""2-D convolution layer (cross-correlation), as ``torch.nn.Conv2d``.

    Forward (see :func:`dlnotes.conv.conv2d`), for input ``(N, C_in, H, W)``:

    .. math::

        Y[n, o, i, j] = b_o + \sum_{c, a, b} W[o, c, a, b]\;
            X_\text{pad}[n,\ \gamma(o) C_g + c,\ s_h i + d_h a,\ s_w j + d_w b] ,

    output ``(N, C_out, H_out, W_out)`` with :math:`H_\text{out} = \lfloor (H + 2p - d(k-1) -
    1)/s \rfloor + 1`. Backward (:func:`dlnotes.conv.conv2d_backward`), with
    :math:`G = \partial\mathcal L/\partial Y` and the patch matrix :math:`P` kept from the
    forward pass: :math:`\partial W \mathrel{+}= G_\text{mat} P^\top`,
    :math:`\partial b \mathrel{+}= \sum_{n,i,j} G`, and the returned input gradient is the
    transposed convolution :math:`\operatorname{col2im}(W_\text{mat}^\top G_\text{mat})`.

    The layer has :math:`C_\text{out} (C_\text{in}/\text{groups})\, k_H k_W` weights plus
    :math:`C_\text{out}` biases, whatever the input size.

    Default initialisation: PyTorch's, ``kaiming_uniform_(a=√5)``, i.e.
    :math:`U(\pm 1/\sqrt{\text{fan\_in}})` for the weight and the bias with
    :math:`\text{fan\_in} = (C_\text{in}/\text{groups})\, k_H k_W`. (He initialisation,
    :math:`\mathcal N(0, 2/\text{fan\_in})`, suits deep ReLU stacks better:
    ``init.kaiming_normal_(layer.weight, nonlinearity="relu")``.)

    Parameters
    ----------
    in_channels, out_channels:
        Positive ints, both divisible by ``groups``.
    kernel_size:
        An int or a pair ``(kH, kW)``.
    stride, dilation:
        An int or a pair of ints >= 1.
    padding:
        An int or a pair of ints >= 0, or ``"valid"`` or ``"same"`` (stride 1 only).
    groups:
        Int >= 1: ``groups`` independent convolutions on as many channel blocks
        (``groups = in_channels`` is depthwise).
    bias:
        If False the layer has no bias (``self.bias is None``).
    rng:
        ``numpy.random.Generator``, int seed or None, for the initial values (weight first,
        then bias).

    Examples
    --------
    >>> conv = Conv2d(1, 4, 3, padding=1, rng=0)
    >>> conv(np.zeros((2, 1, 8, 8))).shape
    (2, 4, 8, 8)
    >>> conv.num_parameters()
    40
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        rng: Any = None,
    ) -> None:
        super().__init__()
        func = "Conv2d"
        self.in_channels = as_int(in_channels, "in_channels", func, minimum=1)
        self.out_channels = as_int(out_channels, "out_channels", func, minimum=1)
        self.groups = as_int(groups, "groups", func, minimum=1)
        if self.in_channels % self.groups:
            raise ValueError(f"{func}: in_channels={self.in_channels} must be divisible by groups={self.groups}")
        if self.out_channels % self.groups:
            raise ValueError(f"{func}: out_channels={self.out_channels} must be divisible by groups={self.groups}")
        self.kernel_size = _conv._pair(kernel_size, "kernel_size", func, 1)
        self.stride = _conv._pair(stride, "stride", func, 1)
        self.dilation = _conv._pair(dilation, "dilation", func, 1)
        self._pads = _conv._conv_padding(padding, self.kernel_size, self.stride, self.dilation, func)
        self.padding = padding if isinstance(padding, str) else _conv._pair(padding, "padding", func, 0)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"{func}: bias must be a bool, got {type(bias).__name__}")
        gen = as_rng(rng, func)
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(np.zeros(shape))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=gen)  # = U(±1/sqrt(fan_in))
        if bias:
            bound = 1.0 / math.sqrt(init.calculate_fans(shape)[0])
            self.bias = Parameter(np.zeros(self.out_channels))
            init.uniform_(self.bias, -bound, bound, rng=gen)
        else:
            self.bias = None
        self._cols: np.ndarray | None = None
        self._cache: tuple | None = None

    def forward(self, input: Any) -> np.ndarray:
        """Return the convolution of ``input`` ``(N, in_channels, H, W)``; keep its patch matrix."""
        func = "Conv2d.forward"
        x = _conv._nchw(input, "input", func)
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"{func}: input must have shape (N, in_channels, H, W) = (N, {self.in_channels}, H, W), got {x.shape}"
            )
        x, w, stride, pads, dil, groups, out = _conv._conv_args(
            x, self.weight.data, self.stride, self.padding, self.dilation, self.groups, func
        )
        b = None if self.bias is None else self.bias.data
        y, cols = _conv._conv_forward(x, w, b, stride, pads, dil, groups, out)
        self._cols = cols
        self._cache = (x.shape, pads, out)
        return y

    def backward(self, grad_output: Any) -> np.ndarray:
        """Add the weight and bias gradients into ``.grad``; return the gradient w.r.t. the last input."""
        cols = self._cached("_cols")
        x_shape, pads, out = self._cache
        g = self._grad_output(grad_output, (x_shape[0], self.out_channels, *out))
        gx, gw, gb = _conv._conv_backward(
            g, cols, x_shape, self.weight.data, self.stride, pads, self.dilation, self.groups, out
        )
        self.weight.grad += gw
        if self.bias is not None:
            self.bias.grad += gb
        return gx

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding not in ((0, 0), "valid"):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _Pool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any, padding: Any) -> None:
        super().__init__()
        func = type(self).__name__
        self.kernel_size = _conv._pair(kernel_size, "kernel_size", func, 1)
        self.stride = self.kernel_size if stride is None else _conv._pair(stride, "stride", func, 1)
        self.padding = _conv._pair(padding, "padding", func, 0)
        for p, k in zip(self.padding, self.kernel_size):
            if p > k // 2:
                raise ValueError(
                    f"{func}: padding must be at most half of kernel_size, got padding={self.padding} for "
                    f"kernel_size={self.kernel_size}"
                )
        self._shape: tuple[int, ...] | None = None

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    r"""Max pooling, as ``torch.nn.MaxPool2d`` (floor mode); no parameters.

    :math:`Y[n, c, i, j] = \max_{a, b} X_\text{pad}[n, c, s_h i + a, s_w j + b]`
    (:func:`dlnotes.conv.max_pool2d`). The backward pass routes each window's gradient to the
    window's first maximum (row-major), remembered from the forward pass; pixels that are the
    maximum of several overlapping windows accumulate their gradients.

    Parameters
    ----------
    kernel_size:
        An int or a pair of ints >= 1.
    stride:
        An int or a pair; None (default) means ``kernel_size``.
    padding:
        An int or a pair (:math:`-\infty` padding), at most half the kernel size.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__(kernel_size, stride, padding)
        self._indices: np.ndarray | None = None

    def forward(self, input: Any) -> np.ndarray:
        """Return the window maxima of ``input`` ``(N, C, H, W)``; keep their positions."""
        func = "MaxPool2d.forward"
        x, kernel, stride, pad, out = _conv._pool_args(input, self.kernel_size, self.stride, self.padding, func, "input")
        y, idx = _conv._max_pool(x, kernel, stride, pad, out)
        self._shape, self._indices = x.shape, idx
        return y

    def backward(self, grad_output: Any) -> np.ndarray:
        """Route ``grad_output`` to the arg-max of every window (summing over overlaps)."""
        idx = self._cached("_indices")
        g = self._grad_output(grad_output, idx.shape)
        return _conv._route(g, idx, self._shape)


class AvgPool2d(_Pool2d):
    r"""Average pooling, as ``torch.nn.AvgPool2d`` (floor mode); no parameters.

    :math:`Y[n, c, i, j] = \frac{1}{|w_{ij}|}\sum_{a, b} X_\text{pad}[n, c, s_h i + a, s_w j + b]`
    with zero padding (:func:`dlnotes.conv.avg_pool2d`); the backward pass spreads each
    window's gradient evenly over its pixels.

    Parameters
    ----------
    kernel_size:
        An int or a pair of ints >= 1.
    stride:
        An int or a pair; None (default) means ``kernel_size``.
    padding:
        An int or a pair, at most half the kernel size.
    count_include_pad:
        Keyword only. Divide by :math:`k_H k_W` including padded zeros (default, PyTorch's) or
        by the number of real pixels in the window.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, *, count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = _conv._bool(count_include_pad, "count_include_pad", "AvgPool2d")

    def forward(self, input: Any) -> np.ndarray:
        """Return the window averages of ``input`` ``(N, C, H, W)``."""
        x = _conv._nchw(input, "input", "AvgPool2d.forward")
        y = _conv.avg_pool2d(
            x, self.kernel_size, self.stride, self.padding, count_include_pad=self.count_include_pad
        )
        self._shape = x.shape
        return y

    def backward(self, grad_output: Any) -> np.ndarray:
        """Spread ``grad_output`` evenly over every window (summing over overlaps)."""
        shape = self._cached("_shape")
        out = _conv._geometry(
            shape, self.kernel_size, self.stride, ((self.padding[0],) * 2, (self.padding[1],) * 2), (1, 1)
        )
        g = self._grad_output(grad_output, (*shape[:2], *out))
        return _conv._avg_pool_backward(
            g, shape, self.kernel_size, self.stride, self.padding, out, self.count_include_pad
        )

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.count_include_pad else s + ", count_include_pad=False"
