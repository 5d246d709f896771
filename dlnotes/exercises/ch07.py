"""Exercises of chapter 7, "Convolutional networks".

Each exercise registers its reference answer, hidden cases (for code) and at least two realistic
wrong answers with the hint a learner who made that mistake should see. The references are plain
NumPy loops or einsums written for clarity, independent of :mod:`dlnotes.conv`;
``tests/test_exercise_references.py`` checks them against ``torch.nn.functional``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import register
from ._core import Case, Exercise
from ._core import answer_field as _get
from ._core import close_vec as _close_vec
from ._core import close_to as _is
from ._core import join_hints as _hints

S1 = "7.1 Why convolution"
S2 = "7.2 Convolution arithmetic"
S3 = "7.3 Implementing convolution fast"
S4 = "7.4 Upsampling and transposed convolution"
S5 = "7.5 Architectures by the numbers, and a CNN for digits"
S6 = "7.6 Seeing what a CNN learned"
S7 = "7.7 Fooling CNNs"


# ---------------------------------------------------------------------------------- 7.1


def _ref_conv_matrix(kernel, n):
    kernel = np.asarray(kernel, dtype=float)
    k = kernel.shape[0]
    m = n - k + 1
    M = np.zeros((m * m, n * n))
    for i in range(m):
        for j in range(m):
            for a in range(k):
                for b in range(k):
                    M[i * m + j, (i + a) * n + (j + b)] = kernel[a, b]
    return M


def _cm_flipped(kernel, n):
    return _ref_conv_matrix(np.asarray(kernel, dtype=float)[::-1, ::-1], n)


def _cm_column_major(kernel, n):
    M = _ref_conv_matrix(kernel, n)
    m = int(round(math.sqrt(M.shape[0])))
    cols = np.arange(n * n).reshape(n, n).T.ravel()  # input flattened column by column
    rows = np.arange(m * m).reshape(m, m).T.ravel()
    return M[rows][:, cols]


def _cm_transposed(kernel, n):
    return _ref_conv_matrix(kernel, n).T


def _cm_case(k: int, n: int, seed: int) -> Case:
    kernel = np.round(np.random.default_rng(seed).normal(size=(k, k)), 2)
    return Case((kernel, n), label=f"a {k}×{k} kernel on a {n}×{n} input")


register(
    Exercise(
        id="07.conv_matrix",
        title="Build the matrix of a 2-D convolution (cross-correlation) acting on a flattened image",
        kind="function",
        section=S1,
        reference=_ref_conv_matrix,
        rtol=1e-12,
        atol=1e-12,
        cases=[_cm_case(2, 4, 1), _cm_case(3, 4, 2), _cm_case(3, 6, 3), _cm_case(1, 3, 4)],
        mutants=[
            (_cm_flipped, "deep-learning 'convolution' is cross-correlation: row (i, j) holds kernel[a, b] at input pixel (i + a, j + b), without flipping the kernel"),
            (_cm_column_major, "flatten row by row (NumPy's default C order): pixel (r, c) of the n×n input is entry r·n + c, and output (i, j) is row i·m + j"),
            (_cm_transposed, "the matrix maps the n² input pixels to the (n − k + 1)² outputs, so it has shape ((n − k + 1)², n²); its TRANSPOSE is the transposed convolution"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 7.2


def _ref_out_size(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _os_no_floor(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) / s + 1


def _os_no_plus_one(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s


def _os_single_pad(n, k, s=1, p=0, d=1):
    return (n + p - d * (k - 1) - 1) // s + 1


def _os_no_dilation(n, k, s=1, p=0, d=1):
    return (n + 2 * p - (k - 1) - 1) // s + 1


register(
    Exercise(
        id="07.conv_output_size",
        title="The output size of a convolution with padding, stride and dilation",
        kind="function",
        section=S2,
        reference=_ref_out_size,
        rtol=0.0,
        atol=1e-12,
        cases=[
            Case((227, 11, 4, 0), label="AlexNet conv1: n = 227, k = 11, s = 4"),
            Case((32, 5, 1, 2), label="n = 32, k = 5, p = 2 ('same')"),
            Case((6, 3, 2, 0), label="n = 6, k = 3, s = 2 (the division is not exact)"),
            Case((8, 3, 2, 0), label="n = 8, k = 3, s = 2"),
            Case((10, 3, 1, 0, 2), label="n = 10, k = 3, dilation 2"),
            Case((7, 3, 3, 1, 2), label="n = 7, k = 3, s = 3, p = 1, dilation 2"),
        ],
        mutants=[
            (_os_no_floor, "when the stride does not divide evenly the last partial window is dropped: take the FLOOR, ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1 (an int)"),
            (_os_no_plus_one, "count the first window too: the formula ends with + 1"),
            (_os_single_pad, "padding p is added on BOTH sides: n + 2p"),
            (_os_no_dilation, "a dilated kernel spans d(k − 1) + 1 pixels: use d(k − 1), not k − 1"),
        ],
    )
)

_PC_REF = {"alexnet_conv1": 96 * (3 * 11 * 11) + 96, "one_5x5": 64 * 64 * 25 + 64, "two_3x3": 2 * (64 * 64 * 9 + 64), "separable": (64 * 9 + 64) + (64 * 128 + 128)}

register(
    Exercise(
        id="07.parameter_counts",
        title="Parameter counts: AlexNet's first layer, 5×5 vs two 3×3, a depthwise-separable convolution",
        kind="value",
        section=S2,
        reference=_PC_REF,
        rtol=0.0,
        atol=0.5,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "alexnet_conv1"), 34848), "each of the 96 filters also has a bias: 96·3·11·11 + 96"),
                    (_is(_get(a, "alexnet_conv1"), 55 * 55 * 96 * 364), "that is a locally connected layer; a convolution SHARES one filter across all 55·55 positions"),
                    (_is(_get(a, "two_3x3"), 2 * (9 * 64 + 64)) or _is(_get(a, "one_5x5"), 25 * 64 + 64),
                     "a filter spans all input channels: C_out·C_in·k² weights plus C_out biases"),
                    (_is(_get(a, "separable"), 64 * 128 * 9 + 128), "that is an ordinary 3×3 convolution; depthwise-separable = a depthwise 3×3 (one filter per channel, 64·9 + 64) then a 1×1 pointwise (64·128 + 128)"),
                    (_is(_get(a, "separable"), 9 + 64 + 64 * 128 + 128), "a depthwise convolution has one 3×3 filter PER channel: 64·9 weights (divide C_in by the groups only once)"),
                ]
            )
        ],
        mutants=[
            ({**_PC_REF, "alexnet_conv1": 34848}, "also has a bias"),
            ({**_PC_REF, "two_3x3": 2 * (9 * 64 + 64)}, "C_out·C_in·k²"),
            ({**_PC_REF, "separable": 64 * 128 * 9 + 128}, "depthwise-separable = a depthwise"),
        ],
    )
)

_RF_REF = {"three_3x3": 7, "s2_then_s1": 7, "conv_pool_conv": 8, "dilated_124": 15}

register(
    Exercise(
        id="07.receptive_fields",
        title="Receptive fields of stacked, strided, pooled and dilated convolutions",
        kind="value",
        section=S2,
        reference=_RF_REF,
        rtol=0.0,
        atol=1e-9,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "three_3x3"), 9), "kernel sizes do not add: each extra 3×3 layer adds (k − 1)·jump = 2 pixels, so 3 → 5 → 7"),
                    (_is(_get(a, "s2_then_s1"), 5), "after a stride-2 layer neighbouring units are 2 input pixels apart (the jump), so the next 3×3 adds (3 − 1)·2 = 4"),
                    (_is(_get(a, "conv_pool_conv"), 6), "the pooling layer adds (2 − 1)·1 = 1 and doubles the jump, so the last conv adds (3 − 1)·2 = 4: 3 + 1 + 4 = 8"),
                    (_is(_get(a, "conv_pool_conv"), 7), "7 is the support of the max-pool's gradient for one input; the receptive field counts every pixel that CAN affect the unit: 8"),
                    (_is(_get(a, "dilated_124"), 7), "a dilated 3×3 with dilation d adds (3 − 1)·d: 1 + 2 + 4 + 8 = 15"),
                ]
            )
        ],
        mutants=[
            ({**_RF_REF, "three_3x3": 9}, "kernel sizes do not add"),
            ({**_RF_REF, "conv_pool_conv": 6}, "doubles the jump"),
            ({**_RF_REF, "dilated_124": 7}, "adds (3 − 1)·d"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 7.3


def _windows(x, k, stride, padding):
    x = np.asarray(x, dtype=float)
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # N, C, H', W', k, k
    return win[:, :, ::stride, ::stride]


def _ref_conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    weight = np.asarray(weight, dtype=float)
    out = np.einsum("nchwab,ocab->nohw", _windows(x, weight.shape[-1], stride, padding), weight)
    if bias is not None:
        out = out + np.asarray(bias, dtype=float)[None, :, None, None]
    return out


def _cn_flipped(x, weight, bias=None, stride=1, padding=0):
    return _ref_conv2d_naive(x, np.asarray(weight)[..., ::-1, ::-1], bias, stride, padding)


def _cn_channel_mean(x, weight, bias=None, stride=1, padding=0):
    weight = np.asarray(weight, dtype=float)
    out = np.einsum("nchwab,ocab->nohw", _windows(x, weight.shape[-1], stride, padding), weight) / weight.shape[1]
    if bias is not None:
        out = out + np.asarray(bias, dtype=float)[None, :, None, None]
    return out


def _cn_pad_after(x, weight, bias=None, stride=1, padding=0):
    out = _ref_conv2d_naive(x, weight, bias, stride, 0)
    if padding:
        out = np.pad(out, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    return out


def _cn_bias_per_input_channel(x, weight, bias=None, stride=1, padding=0):
    out = _ref_conv2d_naive(x, weight, None, stride, padding)
    if bias is not None:
        out = out + np.asarray(weight).shape[1] * np.asarray(bias, dtype=float)[None, :, None, None]
    return out


def _cn_case(n, c_in, c_out, size, k, stride, padding, seed, bias=True) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in, size, size))
    w = rng.normal(size=(c_out, c_in, k, k))
    b = rng.normal(size=c_out) if bias else None
    return Case((x, w, b), {"stride": stride, "padding": padding},
                label=f"x {x.shape}, weight {w.shape}, stride {stride}, padding {padding}")


_CN_CASES = [
    _cn_case(2, 3, 4, 6, 3, 1, 0, 10),
    _cn_case(1, 2, 3, 7, 3, 2, 1, 11),
    _cn_case(3, 1, 2, 5, 2, 1, 2, 12),
    _cn_case(2, 4, 1, 9, 5, 3, 1, 13, bias=False),
]

register(
    Exercise(
        id="07.conv2d_naive",
        title="Implement a multi-channel 2-D convolution layer (cross-correlation) with loops",
        kind="function",
        section=S3,
        reference=_ref_conv2d_naive,
        rtol=1e-9,
        atol=1e-10,
        cases=_CN_CASES,
        mutants=[
            (_cn_flipped, "do not flip the kernel: the layer computes cross-correlation, y[i, j] = Σ w[a, b]·x[s·i + a, s·j + b] (PyTorch's F.conv2d)"),
            (_cn_channel_mean, "sum the products over the input channels too (a filter is a C_in×k×k volume); do not average them"),
            (_cn_pad_after, "pad the INPUT before sliding the window, then apply the stride; padding the output is not the same"),
            (_cn_bias_per_input_channel, "each output channel has ONE bias, added once per output pixel, not once per input channel"),
        ],
    )
)


def _ref_im2col(x, kernel_size, stride=1, padding=0):
    win = _windows(x, kernel_size, stride, padding)  # N, C, oh, ow, k, k
    n, c, oh, ow, k, _ = win.shape
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * k * k, oh * ow)


def _i2c_kernel_major(x, kernel_size, stride=1, padding=0):
    win = _windows(x, kernel_size, stride, padding)
    n, c, oh, ow, k, _ = win.shape
    return win.transpose(0, 4, 5, 1, 2, 3).reshape(n, c * k * k, oh * ow)  # rows (a, b, c)


def _i2c_column_major(x, kernel_size, stride=1, padding=0):
    win = _windows(x, kernel_size, stride, padding)
    n, c, oh, ow, k, _ = win.shape
    return win.transpose(0, 1, 4, 5, 3, 2).reshape(n, c * k * k, oh * ow)  # columns (j, i)


def _i2c_no_stride(x, kernel_size, stride=1, padding=0):
    return _ref_im2col(x, kernel_size, 1, padding)


def _i2c_case(n, c, size, k, stride, padding, seed) -> Case:
    x = np.random.default_rng(seed).normal(size=(n, c, size, size + 1))
    return Case((x, k), {"stride": stride, "padding": padding}, label=f"x {x.shape}, k = {k}, stride {stride}, padding {padding}")


_I2C_CASES = [_i2c_case(1, 2, 4, 2, 1, 0, 20), _i2c_case(2, 3, 5, 3, 2, 1, 21), _i2c_case(1, 1, 6, 3, 1, 1, 22)]

register(
    Exercise(
        id="07.im2col",
        title="Implement im2col with the ordering of torch.nn.functional.unfold",
        kind="function",
        section=S3,
        reference=_ref_im2col,
        rtol=1e-12,
        atol=1e-12,
        cases=_I2C_CASES,
        mutants=[
            (_i2c_kernel_major, "order the rows channel-major, then kernel row, then kernel column (row index c·k² + a·k + b), as F.unfold does, so that weight.reshape(C_out, −1) multiplies the columns directly"),
            (_i2c_column_major, "order the columns (output positions) row by row: column index i·W_out + j"),
            (_i2c_no_stride, "apply the stride: windows start every `stride` pixels"),
        ],
    )
)


def _mp_variant(grad_output, x, kernel_size, stride, mode):
    """Max-pool backward by loops; mode "first" is the reference, the others are mistakes."""
    x = np.asarray(x, dtype=float)
    g = np.asarray(grad_output, dtype=float)
    out = np.zeros_like(x)
    n, c, oh, ow = g.shape
    k = kernel_size
    for a in range(n):
        for b in range(c):
            for i in range(oh):
                for j in range(ow):
                    sl = (a, b, slice(i * stride, i * stride + k), slice(j * stride, j * stride + k))
                    win = x[sl]
                    if mode == "split":
                        mask = win == win.max()
                        out[sl] += g[a, b, i, j] * mask / mask.sum()
                    elif mode == "all":
                        out[sl] += g[a, b, i, j]
                    elif mode in ("first", "overwrite"):
                        r, q = np.unravel_index(np.argmax(win), win.shape)  # first maximum, row-major
                        if mode == "first":
                            out[a, b, i * stride + r, j * stride + q] += g[a, b, i, j]
                        else:
                            out[a, b, i * stride + r, j * stride + q] = g[a, b, i, j]
                    else:  # last maximum
                        flat = win.ravel()
                        idx = len(flat) - 1 - int(np.argmax(flat[::-1]))
                        r, q = np.unravel_index(idx, win.shape)
                        out[a, b, i * stride + r, j * stride + q] += g[a, b, i, j]
    return out


def _ref_maxpool_backward(grad_output, x, kernel_size, stride):
    return _mp_variant(grad_output, x, kernel_size, stride, "first")


def _mp_split(grad_output, x, kernel_size, stride):
    return _mp_variant(grad_output, x, kernel_size, stride, "split")


def _mp_all(grad_output, x, kernel_size, stride):
    return _mp_variant(grad_output, x, kernel_size, stride, "all")


def _mp_overwrite(grad_output, x, kernel_size, stride):
    return _mp_variant(grad_output, x, kernel_size, stride, "overwrite")


def _mp_last(grad_output, x, kernel_size, stride):
    return _mp_variant(grad_output, x, kernel_size, stride, "last")


def _mp_case(n, c, size, k, stride, seed, ties: bool) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(n, c, size, size)).astype(float) if ties else rng.normal(size=(n, c, size, size))
    oh = (size - k) // stride + 1
    g = rng.normal(size=(n, c, oh, oh))
    return Case((g, x, k, stride), label=f"x {x.shape}, k = {k}, stride {stride}" + (" with ties" if ties else ""))


_MP_CASES = [
    _mp_case(2, 2, 6, 2, 2, 30, ties=False),
    _mp_case(1, 2, 7, 3, 2, 31, ties=False),
    _mp_case(2, 1, 6, 2, 2, 32, ties=True),
    _mp_case(1, 3, 7, 3, 2, 33, ties=True),
]

register(
    Exercise(
        id="07.maxpool_backward",
        title="Implement the backward pass of max pooling (ties, overlapping windows)",
        kind="function",
        section=S3,
        reference=_ref_maxpool_backward,
        rtol=1e-12,
        atol=1e-12,
        cases=_MP_CASES,
        mutants=[
            (_mp_split, "with ties the whole gradient goes to ONE element, the first maximum in row-major order (as PyTorch does); do not split it"),
            (_mp_all, "only the maximum of each window influenced the output, so only it receives the gradient"),
            (_mp_overwrite, "overlapping windows can pick the same pixel: ADD (+=) the gradients, do not overwrite"),
            (_mp_last, "break ties towards the FIRST maximum in row-major order (np.argmax does), not the last"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 7.4

_TS_REF = {"torch_sizes": [5, 8, 10], "keras_valid": 9, "overlap_counts": [1, 1, 2, 1, 2, 1, 2, 1, 1], "even_overlap": [[4, 2], [6, 3]]}


def _pairs(value: Any) -> set | None:
    try:
        return {(int(a), int(b)) for a, b in value}
    except (TypeError, ValueError):
        return None


def _grade_transposed(answer: Any) -> str | None:
    if not hasattr(answer, "get"):
        return f"expected a dict with keys {sorted(_TS_REF)}, got {type(answer).__name__}"
    for key in ("torch_sizes", "keras_valid", "overlap_counts"):
        if not _close_vec(answer.get(key), _TS_REF[key], 1e-9):
            return f"answer['{key}'] is not right (got {answer.get(key)!r})"
    if _pairs(answer.get("even_overlap")) != {(4, 2), (6, 3)}:
        return f"answer['even_overlap'] is not right (got {answer.get('even_overlap')!r})"
    return None


register(
    Exercise(
        id="07.transposed_sizes",
        title="Transposed-convolution sizes (PyTorch and Keras), overlap counts, and checkerboards",
        kind="value",
        section=S4,
        reference=_TS_REF,
        grade_value=_grade_transposed,
        diagnose=[
            lambda a: _hints(
                [
                    (_close_vec(_get(a, "torch_sizes"), [5, 8, 9]), "output_padding adds one row/column on one side: (5 − 1)·2 − 2·1 + (3 − 1) + 1 + 1 = 10"),
                    (_is(_get(a, "keras_valid"), 8), "Keras 'valid' gives n·s + max(k − s, 0) = 9 here; (n − 1)·s + k = 8 is PyTorch's formula"),
                    (_pairs(_get(a, "even_overlap")) is not None and _pairs(_get(a, "even_overlap")) != {(4, 2), (6, 3)},
                     "the interior overlap is even exactly when the stride divides the kernel size: k/s inputs cover every interior output"),
                    (_get(a, "overlap_counts") is not None and not _close_vec(_get(a, "overlap_counts"), _TS_REF["overlap_counts"]),
                     "input i covers outputs 2i, 2i + 1, 2i + 2: count how many inputs cover each of the (4 − 1)·2 + 3 = 9 outputs"),
                ]
            )
        ],
        mutants=[
            ({**_TS_REF, "torch_sizes": [5, 8, 9]}, "output_padding adds"),
            ({**_TS_REF, "keras_valid": 8}, "Keras 'valid'"),
            ({**_TS_REF, "even_overlap": []}, "the stride divides the kernel size"),
        ],
    )
)

_INT_REF = {"align_true": [[0.0, 0.5, 1.0], [1.0, 1.5, 2.0], [2.0, 2.5, 3.0]], "align_false_row0": [0.0, 0.25, 0.75, 1.0]}

register(
    Exercise(
        id="07.interpolation",
        title="Bilinear up-sampling by hand, with and without align_corners",
        kind="value",
        section=S4,
        reference=_INT_REF,
        rtol=1e-6,
        atol=1e-9,
        diagnose=[
            lambda a: _hints(
                [
                    (_close_vec(_get(a, "align_false_row0"), [0.0, 1 / 3, 2 / 3, 1.0], 1e-3),
                     "with align_corners=False pixels are areas with centres at half-integers: source = (dst + ½)·in/out − ½ = −0.25, 0.25, 0.75, 1.25 (clamped to [0, 1])"),
                    (_close_vec(_get(a, "align_false_row0"), [0.0, 0.0, 1.0, 1.0]) or _close_vec(_get(a, "align_true"), [[0, 0, 1], [0, 0, 1], [2, 2, 3]]),
                     "those are nearest-neighbour values; bilinear interpolation weights the two neighbours by distance"),
                ]
            )
        ],
        mutants=[
            ({**_INT_REF, "align_false_row0": [0.0, 1 / 3, 2 / 3, 1.0]}, "half-integers"),
            ({"align_true": [[0, 0, 1], [0, 0, 1], [2, 2, 3]], "align_false_row0": [0.0, 0.0, 1.0, 1.0]}, "nearest-neighbour"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 7.5

_AC_REF = {
    "lenet5_params": (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10),
    "inception_direct_macs": 28 * 28 * 32 * 5 * 5 * 192,
    "inception_bottleneck_macs": 28 * 28 * 16 * 192 + 28 * 28 * 32 * 5 * 5 * 16,
    "reduction_params": 192 * 16 + 16,
}

register(
    Exercise(
        id="07.architecture_costs",
        title="LeNet-5's parameters and the cost of Inception's 1×1 bottleneck",
        kind="value",
        section=S5,
        reference=_AC_REF,
        rtol=0.0,
        atol=0.5,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "inception_direct_macs"), 28 * 28 * 32 * 25), "each output value needs k²·C_in = 25·192 multiply-adds, not 25"),
                    (_is(_get(a, "inception_direct_macs"), 24 * 24 * 32 * 25 * 192), "'same' padding keeps the 28×28 grid: there are 28·28 output positions, not 24·24"),
                    (_is(_get(a, "reduction_params"), 192 * 16), "the 1×1 layer has 16 biases too: 192·16 + 16"),
                    (_is(_get(a, "inception_bottleneck_macs"), 28 * 28 * 32 * 5 * 5 * 16), "add the cost of the 1×1 reduction itself: 28·28·16·192 multiply-adds"),
                ]
            )
        ],
        mutants=[
            ({**_AC_REF, "inception_direct_macs": 28 * 28 * 32 * 25}, "k²·C_in"),
            ({**_AC_REF, "reduction_params": 192 * 16}, "16 biases too"),
            ({**_AC_REF, "inception_bottleneck_macs": 28 * 28 * 32 * 5 * 5 * 16}, "cost of the 1×1 reduction itself"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 7.6

_F = np.array([[1.0, 2.0], [3.0, 4.0]])
_A = np.array([[4.0, 10.0], [10.0, 20.0]])
_G = _F @ _F.T
_GS_REF = {"gram": _G.tolist(), "style_loss": float(np.sum((_G - _A) ** 2) / (4 * 2**2 * 2**2))}

register(
    Exercise(
        id="07.gram_style",
        title="A Gram matrix and Gatys' style loss by hand",
        kind="value",
        section=S6,
        reference=_GS_REF,
        rtol=1e-9,
        atol=1e-9,
        diagnose=[
            lambda a: _hints(
                [
                    (_close_vec(_get(a, "gram"), (_F.T @ _F)), "FᵀF compares positions with positions; the Gram matrix compares CHANNELS: G = FFᵀ, entries G_ij = Σ_k F_ik F_jk"),
                    (_is(_get(a, "style_loss"), float(np.sum((_G - _A) ** 2))), "include Gatys' normalisation 1/(4N²M²) = 1/64"),
                    (_is(_get(a, "style_loss"), float(np.sum((_G - _A) ** 2)) / 16), "the factor is 1/(4N²M²) with N = 2 channels and M = 2 positions: 1/64"),
                ]
            )
        ],
        mutants=[
            ({**_GS_REF, "gram": (_F.T @ _F).tolist()}, "compares CHANNELS"),
            ({**_GS_REF, "style_loss": float(np.sum((_G - _A) ** 2))}, "include Gatys' normalisation"),
            ({**_GS_REF, "style_loss": float(np.sum((_G - _A) ** 2)) / 16}, "N = 2 channels and M = 2 positions"),
        ],
    )
)

_W = np.array([[1.0, -2.0], [0.5, 3.0]])
_X = np.array([[0.2, 0.9], [0.4, 0.1]])
_LA_REF = {"saliency": np.abs(_W).tolist(), "occlusion_drop": float(_W[0, 0] * (_X[0, 0] - 0.5))}

register(
    Exercise(
        id="07.linear_attributions",
        title="Saliency and occlusion for a linear class score",
        kind="value",
        section=S6,
        reference=_LA_REF,
        rtol=1e-9,
        atol=1e-9,
        diagnose=[
            lambda a: _hints(
                [
                    (_close_vec(_get(a, "saliency"), _W), "saliency is the ABSOLUTE value of the gradient, |∂s/∂x| = |w|"),
                    (_close_vec(_get(a, "saliency"), _W * _X) or _close_vec(_get(a, "saliency"), np.abs(_W * _X)),
                     "that is gradient × input, a different attribution; the saliency map is |∂s/∂x| = |w|"),
                    (_is(_get(a, "occlusion_drop"), 0.3), "the drop is s(x) − s(x′) = w₀₀·(x₀₀ − 0.5) = −0.3: occluding this dark pixel with grey INCREASES the score"),
                ]
            )
        ],
        mutants=[
            ({**_LA_REF, "saliency": _W.tolist()}, "ABSOLUTE value"),
            ({**_LA_REF, "saliency": (_W * _X).tolist()}, "gradient × input"),
            ({**_LA_REF, "occlusion_drop": 0.3}, "INCREASES the score"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 7.7


def _ref_fgsm(model, x, y, eps):
    import torch

    x = x.clone().detach().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)
    return (x + eps * grad.sign()).clamp(0.0, 1.0).detach()


def _fgsm_raw(model, x, y, eps):
    import torch

    x = x.clone().detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.nn.functional.cross_entropy(model(x), y), x)
    return (x + eps * grad).clamp(0.0, 1.0).detach()


def _fgsm_descend(model, x, y, eps):
    import torch

    x = x.clone().detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.nn.functional.cross_entropy(model(x), y), x)
    return (x - eps * grad.sign()).clamp(0.0, 1.0).detach()


def _fgsm_no_clamp(model, x, y, eps):
    import torch

    x = x.clone().detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.nn.functional.cross_entropy(model(x), y), x)
    return (x + eps * grad.sign()).detach()


def _fgsm_predicted(model, x, y, eps):
    with __import__("torch").no_grad():
        pred = model(x).argmax(dim=1)
    return _ref_fgsm(model, x, pred, eps)


def _fgsm_leaves_grads(model, x, y, eps):
    import torch

    x = x.clone().detach().requires_grad_(True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    return (x + eps * x.grad.sign()).clamp(0.0, 1.0).detach()


def _fgsm_model(kind: str, seed: int):
    import torch

    torch.manual_seed(seed)
    if kind == "linear":
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    else:
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(64, 10),
        )
    return model.double().eval()


def _fgsm_runner(fn):
    """Run a learner's FGSM on a seeded model and batch; report the result and side effects."""

    def run(kind, seed, eps, n):
        import torch

        model = _fgsm_model(kind, seed)
        before = [p.detach().clone() for p in model.parameters()]
        gen = torch.Generator().manual_seed(seed + 1)
        x = torch.rand(n, 1, 8, 8, generator=gen, dtype=torch.float64)
        x[0, 0, :2] = 0.0  # pixels at the bounds, where clipping matters
        x[0, 0, -2:] = 1.0
        y = torch.randint(0, 10, (n,), generator=gen)
        x_in, y_in = x.clone(), y.clone()
        out = fn(model, x_in, y_in, eps)
        out = out.detach().cpu().numpy() if hasattr(out, "detach") else np.asarray(out, dtype=float)
        unchanged = all(torch.equal(a, p.detach()) for a, p in zip(before, model.parameters()))
        no_grads = all(p.grad is None or not bool(torch.any(p.grad != 0)) for p in model.parameters())
        return {"x_adv": np.asarray(out, dtype=float), "input_unchanged": bool(torch.equal(x_in, x)),
                "parameters_unchanged": unchanged, "no_parameter_gradients_left": no_grads}

    return run


register(
    Exercise(
        id="07.fgsm",
        title="Implement the fast gradient sign method (untargeted, clipped to [0, 1])",
        kind="function",
        section=S7,
        reference=_ref_fgsm,
        adapt=_fgsm_runner,
        rtol=1e-9,
        atol=1e-9,
        cases=[
            Case(("linear", 0, 0.1, 8), label="a linear classifier on 8 random 8×8 images, ε = 0.1"),
            Case(("cnn", 1, 0.05, 6), label="a small CNN on 6 random 8×8 images, ε = 0.05"),
            Case(("cnn", 2, 0.3, 4), label="a small CNN, ε = 0.3"),
        ],
        mutants=[
            (_fgsm_raw, "FGSM steps by ε times the SIGN of the gradient (the best step in the ℓ∞ ball), not by the raw gradient"),
            (_fgsm_descend, "an untargeted attack INCREASES the loss of the true label: x + ε·sign(∇ₓL)"),
            (_fgsm_no_clamp, "clip the result to the valid pixel range [0, 1]"),
            (_fgsm_predicted, "use the true labels y that you are given, not the model's predictions"),
            (_fgsm_leaves_grads, "take the gradient with respect to the input only (torch.autograd.grad(loss, x)); loss.backward() also fills the parameters' .grad"),
        ],
    )
)

_FL_REF = {"logit_change": -0.1 * (1 + 2 + 0.5), "l2_norm": 0.1 * math.sqrt(3)}

register(
    Exercise(
        id="07.fgsm_logit",
        title="How much FGSM moves the logit of a linear model",
        kind="value",
        section=S7,
        reference=_FL_REF,
        rtol=1e-6,
        atol=1e-9,
        diagnose=[
            lambda a: _hints(
                [
                    (_is(_get(a, "logit_change"), 0.35), "for y = 1 the loss falls as the logit grows, so the attack pushes the logit DOWN: δ = −ε·sign(w), change −ε‖w‖₁"),
                    (_is(_get(a, "logit_change"), -0.1 * math.sqrt(1 + 4 + 0.25)), "wᵀδ with δ = −ε·sign(w) is −ε Σ|w_i| = −ε‖w‖₁ (the ℓ1 norm), not the ℓ2 norm"),
                    (_is(_get(a, "l2_norm"), 0.1), "every coordinate moves by ε, so ‖δ‖∞ = ε but ‖δ‖₂ = ε·√d = 0.1·√3"),
                ]
            )
        ],
        mutants=[
            ({**_FL_REF, "logit_change": 0.35}, "pushes the logit DOWN"),
            ({**_FL_REF, "logit_change": -0.1 * math.sqrt(5.25)}, "the ℓ1 norm"),
            ({**_FL_REF, "l2_norm": 0.1}, "‖δ‖₂ = ε·√d"),
        ],
    )
)
