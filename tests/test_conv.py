"""Tests of dlnotes.conv against torch.nn.functional (float64, atol 1e-10), autograd, closed forms
(the conv matrix, worked values of the syllabus) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import conv as C
from dlnotes.numerics import gradcheck

ATOL = 1e-10
HYP = settings(max_examples=40, deadline=None, database=None)


def T(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def close(a, b):
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert np.shape(a) == b.shape, (np.shape(a), b.shape)
    np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


# --------------------------------------------------------------------------------------------
# output sizes and receptive fields
# --------------------------------------------------------------------------------------------

WORKED_SIZES = [  # (n, k, s, p, d) -> out, from the syllabus (chapter 07, §3.1)
    ((227, 11, 4, 0, 1), 55),
    ((32, 5, 1, 2, 1), 32),
    ((32, 5, 1, 0, 1), 28),
    ((7, 3, 2, 0, 1), 3),
    ((6, 3, 2, 0, 1), 2),
    ((8, 3, 2, 0, 1), 3),
    ((224, 7, 2, 3, 1), 112),
    ((10, 3, 2, 1, 1), 5),
    ((10, 3, 1, 0, 2), 6),
]


@pytest.mark.parametrize("args, want", WORKED_SIZES)
def test_conv_output_size_worked_values_match_torch_shapes(args, want):
    n, k, s, p, d = args
    assert C.conv_output_size(n, k, s, p, d) == want
    torch_out = TF.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
    assert torch_out == want


def test_conv_output_size_floors_unless_strict():
    assert C.conv_output_size(7, 3, 3) == 2  # (7 - 3)/3 + 1 = 2.33
    with pytest.raises(ValueError, match="strict"):
        C.conv_output_size(7, 3, 3, strict=True)
    assert C.conv_output_size(7, 3, 2, strict=True) == 3  # exact configurations pass


@HYP
@given(
    n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5), p=st.integers(0, 4), d=st.integers(1, 4)
)
def test_conv_output_size_equals_torch_shape_or_both_reject(n, k, s, p, d):
    try:
        want = TF.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError, match="kernel_size"):
            C.conv_output_size(n, k, s, p, d)
    else:
        assert C.conv_output_size(n, k, s, p, d) == want


@pytest.mark.parametrize(
    "args, want",  # (n, k, s, p, output_padding, d)
    [((2, 3, 2, 0, 0, 1), 5), ((3, 4, 2, 0, 0, 1), 8), ((5, 3, 2, 1, 1, 1), 10), ((4, 3, 1, 0, 0, 2), 8)],
)
def test_conv_transpose_output_size_worked_values_match_torch(args, want):
    n, k, s, p, op, d = args
    assert C.conv_transpose_output_size(n, k, s, p, op, d) == want
    y = TF.conv_transpose1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, output_padding=op, dilation=d)
    assert y.shape[-1] == want


def test_conv_transpose_output_size_keras_conventions():
    assert C.conv_transpose_output_size(3, 2, 3, convention="keras_valid") == 9  # 3*3 + max(2 - 3, 0)
    assert C.conv_transpose_output_size(3, 2, 3) == 8  # torch: (3-1)*3 + 2
    assert C.conv_transpose_output_size(3, 5, 2, convention="keras_valid") == 9  # 6 + 3
    assert C.conv_transpose_output_size(3, 5, 2, convention="keras_same") == 6


@HYP
@given(
    n=st.integers(1, 20), k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 3),
    op=st.integers(0, 3), d=st.integers(1, 3),
)
def test_conv_transpose_output_size_equals_torch_shape_and_round_trips(n, k, s, p, op, d):
    try:
        want = TF.conv_transpose1d(
            torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, output_padding=op, dilation=d
        ).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError):
            C.conv_transpose_output_size(n, k, s, p, op, d)
        return
    if want < 1:  # torch returns an empty tensor for some of these; dlnotes rejects them
        with pytest.raises(ValueError, match="below 1"):
            C.conv_transpose_output_size(n, k, s, p, op, d)
        return
    m = C.conv_transpose_output_size(n, k, s, p, op, d)
    assert m == want
    if op == 0:  # the convolution maps the transposed size back to n
        assert C.conv_output_size(m, k, s, p, d) == n


def test_conv_sizes_are_not_invertible_hence_output_padding():
    assert C.conv_output_size(5, 3, 2) == C.conv_output_size(6, 3, 2) == 2
    assert C.conv_transpose_output_size(2, 3, 2) == 5
    assert C.conv_transpose_output_size(2, 3, 2, output_padding=1) == 6


def torch_receptive_field(layers, n=161):
    """(size, jump) measured with autograd: the gradient support of a 1-D stack of all-ones
    convolutions ("conv") and average pools ("avg") on a positive input."""
    x = torch.rand(1, 1, n, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) + 0.5
    x.requires_grad_(True)
    h = x
    for kind, k, s, d in layers:
        if kind == "conv":
            h = TF.conv1d(h, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
        else:
            h = TF.avg_pool1d(h, k, s)
    c = h.shape[-1] // 2
    supports = []
    for unit in (c, c + 1):
        (g,) = torch.autograd.grad(h[0, 0, unit], x, retain_graph=True)
        nz = torch.nonzero(g[0, 0]).ravel()
        supports.append((int(nz[0]), int(nz[-1])))
    (a0, b0), (a1, _) = supports
    return b0 - a0 + 1, a1 - a0


@pytest.mark.parametrize(
    "layers, want_size",
    [
        ([("conv", 3, 1, 1)] * 3, 7),
        ([("conv", 3, 1, 1)] * 4, 9),
        ([("conv", 3, 2, 1), ("conv", 3, 1, 1)], 7),
        ([("conv", 3, 1, 1), ("conv", 3, 1, 2), ("conv", 3, 1, 4)], 15),
        ([("conv", 3, 1, 1), ("avg", 2, 2, 1), ("conv", 3, 1, 1)], 8),
        ([("conv", 5, 2, 1), ("avg", 3, 2, 1), ("conv", 3, 3, 2)], 0),  # no worked value: autograd only
    ],
)
def test_receptive_field_worked_values_and_autograd_support(layers, want_size):
    size, jump = C.receptive_field([(k, s, d) for _, k, s, d in layers])
    assert (size, jump) == torch_receptive_field(layers)
    if want_size:
        assert size == want_size


def test_receptive_field_edge_cases():
    assert C.receptive_field([]) == (1, 1)
    assert C.receptive_field([(3, 2)]) == (3, 2)  # a pair means dilation 1
    assert C.receptive_field([(3, 2, 1), (3, 2, 1)]) == (7, 4)


# --------------------------------------------------------------------------------------------
# im2col / col2im
# --------------------------------------------------------------------------------------------


@st.composite
def window_config(draw, max_c=3):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, max_c))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h_min = max(1, dh * (kh - 1) + 1 - 2 * ph)
    w_min = max(1, dw * (kw - 1) + 1 - 2 * pw)
    H, W = draw(st.integers(h_min, h_min + 6)), draw(st.integers(w_min, w_min + 6))
    seed = draw(st.integers(0, 2**16))
    as_int = draw(st.booleans())

    def arg(a, b):  # sometimes an int, as users write it
        return a if as_int and a == b else (a, b)

    return dict(
        shape=(n, c, H, W), kernel=(kh, kw), stride=arg(sh, sw), padding=arg(ph, pw), dilation=arg(dh, dw), seed=seed
    )


@HYP
@given(cfg=window_config())
def test_im2col_equals_unfold_and_col2im_equals_fold(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.normal(size=cfg["shape"])
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"])
    cols = C.im2col(x, cfg["kernel"], **kw)
    want = TF.unfold(T(x), cfg["kernel"], **kw)
    close(cols, want)
    a = rng.normal(size=cols.shape)
    close(C.col2im(a, cfg["shape"][2:], cfg["kernel"], **kw), TF.fold(T(a), cfg["shape"][2:], cfg["kernel"], **kw))
    # adjointness, <col2im(a), b> = <a, im2col(b)>
    b = rng.normal(size=cfg["shape"])
    lhs = np.sum(C.col2im(a, cfg["shape"][2:], cfg["kernel"], **kw) * b)
    rhs = np.sum(a * C.im2col(b, cfg["kernel"], **kw))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


def test_im2col_worked_example():
    x = np.arange(18.0).reshape(1, 2, 3, 3)
    cols = C.im2col(x, 2)
    assert cols.shape == (1, 8, 4)
    assert cols[0, :, 0].tolist() == [0, 1, 3, 4, 9, 10, 12, 13]


def test_col2im_of_im2col_counts_the_windows_covering_each_pixel(rng):
    x = rng.normal(size=(2, 3, 5, 6))
    back = C.col2im(C.im2col(x, 3, stride=1, padding=1), (5, 6), 3, stride=1, padding=1)
    counts = TF.fold(TF.unfold(torch.ones(1, 1, 5, 6, dtype=torch.float64), 3, padding=1), (5, 6), 3, padding=1)
    close(back, T(x) * counts)
    assert counts[0, 0, 0, 0] == 4 and counts[0, 0, 2, 2] == 9  # not the identity: col2im is the transpose


# --------------------------------------------------------------------------------------------
# convolution: closed forms
# --------------------------------------------------------------------------------------------


def conv_matrix(kernel, n):
    """The (out*out, n*n) matrix of a valid stride-1 cross-correlation, built from the definition."""
    k = kernel.shape[0]
    m = n - k + 1
    M = np.zeros((m * m, n * n))
    for i in range(m):
        for j in range(m):
            for a in range(k):
                for b in range(k):
                    M[i * m + j, (i + a) * n + (j + b)] = kernel[a, b]
    return M


@pytest.mark.parametrize("k, shape", [(2, (9, 16)), (3, (4, 16))])
def test_conv_as_a_banded_matrix(rng, k, shape):
    kernel = rng.normal(size=(k, k))
    M = conv_matrix(kernel, 4)
    assert M.shape == shape
    assert np.all(np.count_nonzero(M, axis=1) == k * k)  # sparse connectivity
    for row in M:  # weight sharing: every row holds the same k*k numbers
        assert sorted(row[row != 0]) == sorted(kernel.ravel())
    x = rng.normal(size=(1, 1, 4, 4))
    y = C.conv2d(x, kernel[None, None])
    np.testing.assert_allclose(M @ x.ravel(), y.ravel(), rtol=0, atol=ATOL)
    close(y, TF.conv2d(T(x), T(kernel[None, None])))
    # the transposed convolution multiplies by M^T
    z = rng.normal(size=y.shape)
    np.testing.assert_allclose(M.T @ z.ravel(), C.conv_transpose2d(z, kernel[None, None]).ravel(), rtol=0, atol=ATOL)


def test_cross_correlation_vs_convolution_worked_example():
    img = np.arange(16.0).reshape(1, 1, 4, 4)
    K = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]
    assert C.conv2d(img, K)[0, 0].tolist() == [[34, 44, 54], [74, 84, 94], [114, 124, 134]]
    # true convolution = correlation with the flipped kernel
    assert C.conv2d(img, K[:, :, ::-1, ::-1])[0, 0].tolist() == [[16, 26, 36], [56, 66, 76], [96, 106, 116]]


def test_one_by_one_convolution_is_a_per_pixel_linear_map(rng):
    x, w, b = rng.normal(size=(2, 5, 3, 4)), rng.normal(size=(6, 5, 1, 1)), rng.normal(size=6)
    want = np.einsum("nchw,oc->nohw", x, w[:, :, 0, 0]) + b[:, None, None]
    np.testing.assert_allclose(C.conv2d(x, w, b), want, rtol=0, atol=ATOL)


# --------------------------------------------------------------------------------------------
# convolution: against torch on random configurations
# --------------------------------------------------------------------------------------------


@st.composite
def conv_config(draw):
    cfg = draw(window_config(max_c=1))
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 3))
    cout = groups * draw(st.integers(1, 3))
    n, _, H, W = cfg["shape"]
    cfg.update(shape=(n, cin, H, W), cout=cout, groups=groups, bias=draw(st.booleans()))
    return cfg


@HYP
@given(cfg=conv_config())
def test_conv2d_and_its_backward_match_torch_autograd(cfg):
    rng = np.random.default_rng(cfg["seed"])
    g = cfg["groups"]
    x = rng.normal(size=cfg["shape"])
    w = rng.normal(size=(cfg["cout"], cfg["shape"][1] // g, *cfg["kernel"]))
    b = rng.normal(size=cfg["cout"]) if cfg["bias"] else None
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=g)
    y = C.conv2d(x, w, b, **kw)
    xt, wt = T(x, True), T(w, True)
    bt = T(b, True) if b is not None else None
    yt = TF.conv2d(xt, wt, bt, **kw)
    close(y, yt)
    gy = rng.normal(size=y.shape)
    yt.backward(T(gy))
    gx, gw, gb = C.conv2d_backward(gy, x, w, **kw)
    close(gx, xt.grad)
    close(gw, wt.grad)
    close(gb, gy.sum(axis=(0, 2, 3)) if b is None else bt.grad)


@HYP
@given(cfg=conv_config(), extra=st.tuples(st.integers(0, 2), st.integers(0, 2)))
def test_conv_transpose2d_matches_torch(cfg, extra):
    rng = np.random.default_rng(cfg["seed"])
    g = cfg["groups"]
    sh, sw = (cfg["stride"],) * 2 if isinstance(cfg["stride"], int) else cfg["stride"]
    dh, dw = (cfg["dilation"],) * 2 if isinstance(cfg["dilation"], int) else cfg["dilation"]
    op = (min(extra[0], max(sh, dh) - 1), min(extra[1], max(sw, dw) - 1))
    x = rng.normal(size=cfg["shape"])
    w = rng.normal(size=(cfg["shape"][1], cfg["cout"] // g, *cfg["kernel"]))
    b = rng.normal(size=cfg["cout"]) if cfg["bias"] else None
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], output_padding=op, dilation=cfg["dilation"], groups=g)
    try:
        want = TF.conv_transpose2d(T(x), T(w), None if b is None else T(b), **kw)
    except RuntimeError:
        with pytest.raises(ValueError):
            C.conv_transpose2d(x, w, b, **kw)
        return
    if min(want.shape[2:]) < 1:
        with pytest.raises(ValueError, match="below 1"):
            C.conv_transpose2d(x, w, b, **kw)
        return
    close(C.conv_transpose2d(x, w, b, **kw), want)


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", [0, 1])
def test_conv_transpose2d_is_zero_insertion_padding_and_flipped_kernel(rng, stride, padding):
    x = rng.normal(size=(2, 3, 4, 5))
    w = rng.normal(size=(3, 2, 3, 2))  # asymmetric kernel, (C_in, C_out, kH, kW)
    N, Cin, H, W = x.shape
    up = torch.zeros(N, Cin, (H - 1) * stride + 1, (W - 1) * stride + 1, dtype=torch.float64)
    up[:, :, ::stride, ::stride] = T(x)
    kh, kw = w.shape[2:]
    up = TF.pad(up, (kw - 1 - padding, kw - 1 - padding, kh - 1 - padding, kh - 1 - padding))
    flipped = T(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy())
    close(C.conv_transpose2d(x, w, stride=stride, padding=padding), TF.conv2d(up, flipped))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4), (4, 1)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv2d_same_and_valid_padding_match_torch(rng, kernel, dilation):
    x, w, b = rng.normal(size=(2, 2, 7, 8)), rng.normal(size=(3, 2, *kernel)), rng.normal(size=3)
    for pad in ("same", "valid"):
        y = C.conv2d(x, w, b, padding=pad, dilation=dilation)
        xt, wt = T(x, True), T(w, True)
        yt = TF.conv2d(xt, wt, T(b), padding=pad, dilation=dilation)
        close(y, yt)
        gy = rng.normal(size=y.shape)
        yt.backward(T(gy))
        gx, gw, _ = C.conv2d_backward(gy, x, w, padding=pad, dilation=dilation)
        close(gx, xt.grad)
        close(gw, wt.grad)
    assert C.conv2d(x, w, padding="same").shape[2:] == x.shape[2:]


def test_conv2d_input_gradient_is_a_transposed_convolution(rng):
    x, w = rng.normal(size=(2, 3, 9, 9)), rng.normal(size=(4, 3, 3, 3))
    gy = rng.normal(size=C.conv2d(x, w, stride=2, padding=1).shape)
    gx, _, _ = C.conv2d_backward(gy, x, w, stride=2, padding=1)
    close(gx, TF.conv_transpose2d(T(gy), T(w), stride=2, padding=1, output_padding=0))


def test_conv2d_backward_matches_finite_differences(rng):
    x, w = rng.normal(size=(1, 2, 5, 6)), rng.normal(size=(2, 1, 2, 3))
    kw = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    G = rng.normal(size=C.conv2d(x, w, **kw).shape)
    # linear in x and in w: a large step has no truncation error and less round-off
    assert gradcheck(lambda v: float(np.sum(G * C.conv2d(v, w, **kw))),
                     lambda v: C.conv2d_backward(G, v, w, **kw)[0], x, eps=1e-3) < 1e-8
    assert gradcheck(lambda v: float(np.sum(G * C.conv2d(x, v, **kw))),
                     lambda v: C.conv2d_backward(G, x, v, **kw)[1], w, eps=1e-3) < 1e-8


def test_depthwise_convolution_filters_each_channel_separately(rng):
    x, w = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(3, 1, 3, 3))
    y = C.conv2d(x, w, groups=3)
    for c in range(3):  # closed form: a single-channel convolution per channel, via torch
        close(y[:, c : c + 1], TF.conv2d(T(x[:, c : c + 1]), T(w[c : c + 1])))


# --------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------


@st.composite
def pool_config(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    H = draw(st.integers(max(1, kh - 2 * ph), kh + 6))
    W = draw(st.integers(max(1, kw - 2 * pw), kw + 6))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    ties = draw(st.booleans())  # small integers make ties frequent
    seed = draw(st.integers(0, 2**16))
    return dict(shape=(n, c, H, W), kernel=(kh, kw), stride=stride, padding=(ph, pw), ties=ties, seed=seed)


def pool_input(cfg):
    rng = np.random.default_rng(cfg["seed"])
    if cfg["ties"]:
        return rng.integers(-1, 2, size=cfg["shape"]).astype(float), rng
    return rng.normal(size=cfg["shape"]), rng


@HYP
@given(cfg=pool_config())
def test_max_pool2d_forward_indices_and_backward_match_torch(cfg):
    x, rng = pool_input(cfg)
    args = (cfg["kernel"], cfg["stride"], cfg["padding"])
    y, idx = C.max_pool2d(x, *args, return_indices=True)
    xt = T(x, True)
    yt, it = TF.max_pool2d(xt, *args, return_indices=True)
    close(y, yt)
    assert np.array_equal(idx, it.numpy())
    close(C.max_pool2d(x, *args), yt)
    gy = rng.normal(size=y.shape)
    yt.backward(T(gy))
    close(C.max_pool2d_backward(gy, x, *args), xt.grad)
    close(C.max_pool2d_backward(gy, x, *args, indices=idx), xt.grad)
    size = x.shape[2:]
    close(C.max_unpool2d(y, idx, *args, output_size=size), TF.max_unpool2d(yt, it, *args, output_size=size))


@HYP
@given(cfg=pool_config(), count_include_pad=st.booleans())
def test_avg_pool2d_and_its_backward_match_torch(cfg, count_include_pad):
    x, rng = pool_input(cfg)
    args = (cfg["kernel"], cfg["stride"], cfg["padding"])
    y = C.avg_pool2d(x, *args, count_include_pad=count_include_pad)
    xt = T(x, True)
    yt = TF.avg_pool2d(xt, *args, count_include_pad=count_include_pad)
    close(y, yt)
    gy = rng.normal(size=y.shape)
    yt.backward(T(gy))
    close(C.avg_pool2d_backward(gy, x, *args, count_include_pad=count_include_pad), xt.grad)


def test_max_pool_tie_sends_the_gradient_to_the_first_maximum():
    x = np.ones((1, 1, 4, 4))
    g = C.max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2)
    want = np.zeros((4, 4))
    want[::2, ::2] = 1.0  # the top-left element of every window
    assert np.array_equal(g[0, 0], want)


def test_max_pool_overlapping_windows_accumulate():
    x = np.array([[1.0, 3, 2], [0, 1, 0], [0, 0, 0]])[None, None]
    g = C.max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)
    assert g[0, 0].tolist() == [[0, 2, 0], [0, 2, 0], [0, 0, 0]]


def test_avg_pool_count_include_pad_worked_example():
    x = np.ones((1, 1, 3, 3))
    assert C.avg_pool2d(x, 3, 1, 1)[0, 0, 0, 0] == pytest.approx(4 / 9)
    assert C.avg_pool2d(x, 3, 1, 1, count_include_pad=False)[0, 0, 0, 0] == 1.0


def test_max_unpool2d_default_size_matches_torch(rng):
    x = rng.normal(size=(2, 3, 6, 8))
    y, idx = C.max_pool2d(x, 2, return_indices=True)
    yt, it = TF.max_pool2d(T(x), 2, return_indices=True)
    z = C.max_unpool2d(y, idx, 2)
    close(z, TF.max_unpool2d(yt, it, 2))
    assert np.count_nonzero(z) == y.size  # only the maxima come back: max pooling is not inverted


# --------------------------------------------------------------------------------------------
# interpolation
# --------------------------------------------------------------------------------------------

SCALES = [0.3, 0.5, 0.6, 2 / 3, 0.75, 1.0, 1.2, 1.5, 5 / 3, 2.0, 2.5, 3.0, 1 / 3, 2.2, 3.7]


@st.composite
def interp_config(draw):
    H, W = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "bilinear", "bicubic"]))
    ac = None if mode.startswith("nearest") else draw(st.sampled_from([None, False, True]))
    if draw(st.booleans()):
        kw = dict(size=draw(st.one_of(st.integers(1, 20), st.tuples(st.integers(1, 20), st.integers(1, 20)))))
    else:
        sf = draw(st.one_of(st.sampled_from(SCALES), st.tuples(st.sampled_from(SCALES), st.sampled_from(SCALES))))
        sh, sw = (sf, sf) if isinstance(sf, float) else sf
        if int(H * sh) < 1 or int(W * sw) < 1:
            sf = 2.0
        kw = dict(scale_factor=sf)
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 2)), H, W), mode=mode, ac=ac, kw=kw,
                seed=draw(st.integers(0, 2**16)))


@settings(max_examples=150, deadline=None, database=None)
@given(cfg=interp_config())
def test_interpolate_matches_torch(cfg):
    x = np.random.default_rng(cfg["seed"]).normal(size=cfg["shape"])
    y = C.interpolate(x, mode=cfg["mode"], align_corners=cfg["ac"], **cfg["kw"])
    close(y, TF.interpolate(T(x), mode=cfg["mode"], align_corners=cfg["ac"], **cfg["kw"]))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
@pytest.mark.parametrize("n_in", [3, 7, 10, 31])
def test_interpolate_matches_torch_for_every_output_size(mode, n_in):
    x = np.random.default_rng(n_in).normal(size=(1, 1, n_in, 2))
    for ac in [None] if mode.startswith("nearest") else [False, True]:
        for n_out in range(1, 3 * n_in + 2):
            close(C.interpolate(x, (n_out, 2), mode=mode, align_corners=ac),
                  TF.interpolate(T(x), (n_out, 2), mode=mode, align_corners=ac))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
def test_interpolate_matches_torch_for_scale_factors(mode):
    # PyTorch uses 1/scale_factor itself (not in/out) and special-cases outputs of size n and 2n
    for n_in in (2, 3, 4, 5, 7):
        x = np.random.default_rng(n_in).normal(size=(1, 1, n_in, 3))
        for sf in SCALES + [1.1, 1.25, 2.3, 2 + 1 / 3]:
            if int(n_in * sf) < 1:
                continue
            for ac in [None] if mode.startswith("nearest") else [False, True]:
                kw = dict(scale_factor=(sf, 1.0), mode=mode, align_corners=ac)
                close(C.interpolate(x, **kw), TF.interpolate(T(x), **kw))


def test_interpolate_worked_examples():
    x = np.array([[0.0, 1.0], [2.0, 3.0]])[None, None]
    np.testing.assert_allclose(
        C.interpolate(x, size=3, mode="bilinear", align_corners=True)[0, 0], [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]]
    )
    np.testing.assert_allclose(C.interpolate(x, scale_factor=2, mode="bilinear")[0, 0, 0], [0, 0.25, 0.75, 1])
    assert C.interpolate(x, scale_factor=2)[0, 0].tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    np.testing.assert_array_equal(C.interpolate(x, scale_factor=2), np.kron(x, np.ones((2, 2))))


def test_bicubic_uses_keys_kernel_with_a_minus_three_quarters():
    # an impulse read half-way between pixels: weights k(-1.5), k(-0.5), k(0.5), k(1.5) of the Keys kernel
    A = -0.75
    near = ((A + 2) * 0.5 - (A + 3)) * 0.25 + 1  # (A+2)|t|^3 - (A+3)|t|^2 + 1 at |t| = 1/2
    far = A * 1.5**3 - 5 * A * 1.5**2 + 8 * A * 1.5 - 4 * A
    assert (near, far) == (0.59375, -0.09375)
    x = np.zeros((1, 1, 1, 8))
    x[0, 0, 0, 4] = 1.0
    y = C.interpolate(x, size=(1, 15), mode="bicubic", align_corners=True)[0, 0, 0]  # output j samples j/2
    np.testing.assert_allclose(y[[5, 7, 9, 11]], [far, near, near, far], rtol=0, atol=1e-15)
    np.testing.assert_allclose(y[[4, 6, 8, 10, 12]], [0, 0, 1, 0, 0], rtol=0, atol=1e-15)  # k(0)=1, k(±1)=k(±2)=0


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolation_keeps_constants_and_affine_ramps(mode):
    const = np.full((1, 1, 4, 5), 2.5)
    np.testing.assert_allclose(C.interpolate(const, size=(9, 7), mode=mode), 2.5, rtol=0, atol=1e-13)
    ramp = (np.arange(6.0)[:, None] * 2 - np.arange(6.0)[None, :])[None, None]
    y = C.interpolate(ramp, size=(11, 11), mode=mode, align_corners=True)  # samples at half steps
    r = np.arange(11) / 2
    want = r[:, None] * 2 - r[None, :]
    inner = slice(2, 9)  # the clamped border taps only affect bicubic near the edges
    np.testing.assert_allclose(y[0, 0, inner, inner], want[inner, inner], rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# errors name the argument
# --------------------------------------------------------------------------------------------

X4 = np.zeros((1, 2, 5, 5))
W4 = np.zeros((3, 2, 3, 3))
Y2, I2 = np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 2, 2), dtype=int)

ERRORS = [
    (lambda: C.conv_output_size(0, 3), ValueError, "n must be >= 1"),
    (lambda: C.conv_output_size(5, 0), ValueError, "kernel_size must be >= 1"),
    (lambda: C.conv_output_size(5, 3, 0), ValueError, "stride"),
    (lambda: C.conv_output_size(5, 3, 1, -1), ValueError, "padding"),
    (lambda: C.conv_output_size(5, 3, dilation=0), ValueError, "dilation"),
    (lambda: C.conv_output_size(3, 5), ValueError, "kernel_size 5"),
    (lambda: C.conv_output_size(5.0, 3), TypeError, "n must be an int"),
    (lambda: C.conv_output_size(5, 3, strict=1), TypeError, "strict"),
    (lambda: C.conv_transpose_output_size(3, 3, 1, output_padding=1), ValueError, "output_padding"),
    (lambda: C.conv_transpose_output_size(1, 1, 1, padding=1), ValueError, "padding"),
    (lambda: C.conv_transpose_output_size(3, 3, convention="tf"), ValueError, "convention"),
    (lambda: C.receptive_field(3), TypeError, "layers"),
    (lambda: C.receptive_field([(3, 1, 1, 1)]), ValueError, r"layers\[0\]"),
    (lambda: C.receptive_field([(3, 0, 1)]), ValueError, r"layers\[0\] stride"),
    (lambda: C.receptive_field([3]), TypeError, r"layers\[0\]"),
    (lambda: C.im2col(np.zeros((2, 5, 5)), 3), ValueError, "x must be a 4-D"),
    (lambda: C.im2col(X4, 6), ValueError, "kernel_size"),
    (lambda: C.im2col(X4, (3, 3, 3)), ValueError, "kernel_size"),
    (lambda: C.im2col(X4, 3, stride=0), ValueError, "stride"),
    (lambda: C.im2col(X4, 3, padding=-1), ValueError, "padding"),
    (lambda: C.im2col("x", 3), TypeError, "x must be an array"),
    (lambda: C.im2col(np.full((1, 1, 3, 3), np.nan), 2), ValueError, "finite"),
    (lambda: C.col2im(np.zeros((1, 18, 8)), 5, 3), ValueError, "cols.shape\\[2\\]"),
    (lambda: C.col2im(np.zeros((1, 10, 9)), 5, 3), ValueError, "cols.shape\\[1\\]"),
    (lambda: C.col2im(np.zeros((18, 9)), 5, 3), ValueError, "cols must be a 3-D"),
    (lambda: C.col2im(np.zeros((1, 18, 9)), 0, 3), ValueError, "output_size"),
    (lambda: C.conv2d(np.zeros((2, 5, 5)), W4), ValueError, "x must be a 4-D"),
    (lambda: C.conv2d(X4, np.zeros((3, 2, 3))), ValueError, "weight must be a 4-D"),
    (lambda: C.conv2d(X4, np.zeros((3, 1, 3, 3))), ValueError, r"weight.shape\[1\]"),
    (lambda: C.conv2d(X4, W4, groups=2), ValueError, "groups"),
    (lambda: C.conv2d(np.zeros((1, 3, 5, 5)), np.zeros((2, 1, 3, 3)), groups=3), ValueError, "groups=3"),
    (lambda: C.conv2d(X4, np.zeros((3, 2, 7, 3))), ValueError, r"weight.shape\[2:\] = \(7, 3\)"),
    (lambda: C.conv2d(X4, W4, dilation=3), ValueError, r"dilation \(3, 3\)"),
    (lambda: C.conv2d(X4, W4, bias=np.zeros(2)), ValueError, "bias must have shape"),
    (lambda: C.conv2d(X4, W4, padding="full"), ValueError, "padding"),
    (lambda: C.conv2d(X4, W4, padding="same", stride=2), ValueError, "padding='same'"),
    (lambda: C.conv2d(X4, W4, padding=-1), ValueError, "padding"),
    (lambda: C.conv2d(X4, W4, stride=(1, 0)), ValueError, "stride"),
    (lambda: C.conv2d(X4, W4, groups=0), ValueError, "groups"),
    (lambda: C.conv2d(X4, W4, groups=1.0), TypeError, "groups"),
    (lambda: C.conv2d_backward(np.zeros((1, 3, 2, 2)), X4, W4), ValueError, "grad_out"),
    (lambda: C.conv2d_backward(np.zeros((1, 3, 3, 3)), X4, np.zeros((3, 1, 3, 3))), ValueError, "weight"),
    (lambda: C.conv_transpose2d(X4, np.zeros((3, 2, 3, 3))), ValueError, r"weight.shape\[0\]"),
    (lambda: C.conv_transpose2d(X4, np.zeros((2, 2, 3))), ValueError, "weight must be a 4-D"),
    (lambda: C.conv_transpose2d(X4, np.zeros((2, 2, 3, 3)), groups=3), ValueError, "groups"),
    (lambda: C.conv_transpose2d(X4, np.zeros((2, 2, 3, 3)), output_padding=1), ValueError, "output_padding"),
    (lambda: C.conv_transpose2d(X4, np.zeros((2, 2, 1, 1)), padding=3), ValueError, "below 1"),
    (lambda: C.conv_transpose2d(X4, np.zeros((2, 2, 3, 3)), bias=np.zeros(3)), ValueError, "bias"),
    (lambda: C.max_pool2d(np.zeros((5, 5)), 2), ValueError, "x must be a 4-D"),
    (lambda: C.max_pool2d(X4, 3, padding=2), ValueError, "padding must be at most half"),
    (lambda: C.max_pool2d(X4, 6), ValueError, "kernel_size"),
    (lambda: C.max_pool2d(X4, 2, stride=0), ValueError, "stride"),
    (lambda: C.max_pool2d(X4, 2, return_indices=1), TypeError, "return_indices"),
    (lambda: C.max_pool2d_backward(np.zeros((1, 2, 3, 3)), X4, 2), ValueError, "grad_out"),
    (lambda: C.max_pool2d_backward(np.zeros((1, 2, 2, 2)), X4, 2, indices=np.zeros((1, 2, 2, 2))), TypeError, "indices"),
    (lambda: C.max_pool2d_backward(np.zeros((1, 2, 2, 2)), X4, 2, indices=np.full((1, 2, 2, 2), 25)), ValueError, "indices"),
    (lambda: C.avg_pool2d(X4, 2, padding=2), ValueError, "padding"),
    (lambda: C.avg_pool2d(X4, 0), ValueError, "kernel_size"),
    (lambda: C.avg_pool2d(X4, 2, count_include_pad="yes"), TypeError, "count_include_pad"),
    (lambda: C.avg_pool2d_backward(np.zeros((1, 2, 3, 3)), X4, 2), ValueError, "grad_out"),
    (lambda: C.max_unpool2d(np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 2, 3), dtype=int), 2), ValueError, "indices"),
    (lambda: C.max_unpool2d(Y2, I2, 2, output_size=(2, 2, 4, 4)), ValueError, "output_size"),
    (lambda: C.max_unpool2d(Y2, I2, 2, output_size=(4, 4, 4)), ValueError, "output_size"),
    (lambda: C.max_unpool2d(Y2, I2, 2, output_size=3), TypeError, "output_size"),
    (lambda: C.interpolate(X4), ValueError, "size and scale_factor"),
    (lambda: C.interpolate(X4, size=2, scale_factor=2), ValueError, "size and scale_factor"),
    (lambda: C.interpolate(X4, size=0), ValueError, "size"),
    (lambda: C.interpolate(X4, scale_factor=0.1), ValueError, "scale_factor"),
    (lambda: C.interpolate(X4, scale_factor=-2), ValueError, "scale_factor"),
    (lambda: C.interpolate(X4, scale_factor=(1, 2, 3)), ValueError, "scale_factor"),
    (lambda: C.interpolate(X4, size=3, mode="area"), ValueError, "mode"),
    (lambda: C.interpolate(X4, size=3, align_corners=True), ValueError, "align_corners"),
    (lambda: C.interpolate(X4, size=3, mode="bilinear", align_corners=1), TypeError, "align_corners"),
    (lambda: C.interpolate(np.zeros((5, 5)), size=3), ValueError, "x must be a 4-D"),
    (lambda: C.benchmark_conv2d(repeat=0), ValueError, "repeat"),
    (lambda: C.benchmark_conv2d(size=2, kernel_size=5, padding=0), ValueError, "kernel_size"),
]


@pytest.mark.parametrize("call, exc, match", ERRORS, ids=[f"error{i}" for i in range(len(ERRORS))])
def test_errors_name_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_inputs_are_not_modified(rng):
    x, w = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3))
    x0, w0 = x.copy(), w.copy()
    y = C.conv2d(x, w, padding=1)
    C.conv2d_backward(np.ones_like(y), x, w, padding=1)
    C.max_pool2d_backward(np.ones((2, 2, 2, 2)), x, 2)
    C.interpolate(x, scale_factor=2, mode="bicubic")
    assert np.array_equal(x, x0) and np.array_equal(w, w0)


def test_benchmark_conv2d_reports_times_and_ratios():
    r = C.benchmark_conv2d(batch=2, in_channels=2, out_channels=3, size=6, repeat=1, torch_threads=1, blas_threads=1)
    keys = {"dlnotes_forward", "torch_forward", "dlnotes_forward_backward", "torch_forward_backward"}
    assert keys | {k + "_cpu" for k in keys} | {"forward_ratio", "forward_backward_ratio"} == set(r)
    assert all(v > 0 for v in r.values())
    assert r["forward_ratio"] == pytest.approx(r["dlnotes_forward"] / r["torch_forward"])
