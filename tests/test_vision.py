"""Tests of dlnotes.vision against closed forms on linear and one-hidden-layer models, hand
computations in NumPy, finite differences, explicit loops and einsum.

The oracles never call the code under test: saliency of a linear score is |w|; guided backprop
and the deconvnet rule are recomputed layer by layer in NumPy; the occlusion drop of a linear
logit is a sum over the patch written as a loop; FGSM moves a logistic logit by exactly
-eps * ||w||_1; gradient ascent on a linear score with an L2 penalty has closed-form iterates.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from sklearn.datasets import load_digits, load_sample_image
from torch import nn

from dlnotes import vision as V
from dlnotes.vision import (
    DigitsCNN,
    RandomFeatureCNN,
    accuracy,
    class_model_visualization,
    content_loss,
    deconvnet,
    deep_dream,
    deep_dream_step,
    digits_tensors,
    feature_maps,
    fgsm,
    filters_as_images,
    fooling_image,
    gram_matrix,
    guided_backprop,
    input_gradient,
    inspecting,
    invert_representation,
    neuron_visualization,
    occlusion_map,
    pgd_attack,
    saliency_map,
    sample_image_tensor,
    style_loss,
    style_transfer,
    top_activating_patches,
    train_digits_cnn,
)

DT = torch.float64


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def linear_model(w: np.ndarray, b: np.ndarray) -> nn.Module:
    """logits = W x.flatten() + b, with W of shape (K, C*H*W)."""
    lin = nn.Linear(w.shape[1], w.shape[0]).double()
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(w))
        lin.bias.copy_(torch.as_tensor(b))
    return nn.Sequential(nn.Flatten(), lin)


class TwoHidden(nn.Module):
    """x -> relu(W1 x + b1) -> relu(W2 h + b2) -> W3 h + b3, with a selectable ReLU style."""

    def __init__(self, W1, b1, W2, b2, W3, b3, style="module"):
        super().__init__()
        self.flatten = nn.Flatten()
        self.l1, self.l2, self.l3 = (nn.Linear(W.shape[1], W.shape[0]).double() for W in (W1, W2, W3))
        with torch.no_grad():
            for lin, W, b in ((self.l1, W1, b1), (self.l2, W2, b2), (self.l3, W3, b3)):
                lin.weight.copy_(torch.as_tensor(W))
                lin.bias.copy_(torch.as_tensor(b))
        self.style = style
        self.r1, self.r2 = nn.ReLU(inplace=(style == "inplace")), nn.ReLU(inplace=(style == "inplace"))

    def act(self, z, module):
        if self.style in ("module", "inplace"):
            return module(z)
        if self.style == "functional":
            return TF.relu(z)
        if self.style == "torch":
            return torch.relu(z)
        return z.relu()  # "method"

    def forward(self, x):
        h = self.act(self.l1(self.flatten(x)), self.r1)
        h = self.act(self.l2(h), self.r2)
        return self.l3(h)


def two_hidden_case(rng, C=2, H=3, W=3, h1=7, h2=5, K=4):
    D = C * H * W
    p = dict(
        W1=rng.normal(size=(h1, D)), b1=rng.normal(size=h1) * 0.5,
        W2=rng.normal(size=(h2, h1)), b2=rng.normal(size=h2) * 0.5,
        W3=rng.normal(size=(K, h2)), b3=rng.normal(size=K),
    )
    x = rng.uniform(-1, 1, size=(3, C, H, W))
    return p, x


def hand_backward(p, x, target, rule):
    """The input 'gradient' of logit[target] under a ReLU rule, layer by layer in NumPy."""
    out = []
    for n in range(x.shape[0]):
        v = x[n].ravel()
        z1 = p["W1"] @ v + p["b1"]
        z2 = p["W2"] @ np.maximum(z1, 0) + p["b2"]
        r = p["W3"][target[n]].copy()  # d logit / d relu2 output

        def through(r, z):
            if rule == "backprop":
                return r * (z > 0)
            if rule == "guided":
                return r * (z > 0) * (r > 0)
            return np.maximum(r, 0)  # deconvnet

        r = through(r, z2)
        r = p["W2"].T @ r
        r = through(r, z1)
        out.append((p["W1"].T @ r).reshape(x.shape[1:]))
    return np.stack(out)


class StateProbe(nn.Module):
    """A small CNN with batch norm and dropout, to check that functions restore every flag."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.drop = nn.Dropout(0.5)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4 * 64, 10)

    def forward(self, x):
        return self.fc(self.flatten(self.drop(self.relu(self.bn(self.conv(x))))))


def snapshot(model):
    return (
        {k: v.detach().clone() for k, v in model.state_dict().items()},
        {name: m.training for name, m in model.named_modules()},
        {name: p.requires_grad for name, p in model.named_parameters()},
    )


def assert_untouched(model, snap):
    state, modes, flags = snap
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), f"{k} changed"
    assert {name: m.training for name, m in model.named_modules()} == modes
    assert {name: p.requires_grad for name, p in model.named_parameters()} == flags
    for name, p in model.named_parameters():
        assert p.grad is None, f"{name}.grad was written"
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
        assert not getattr(m, "_backward_pre_hooks", {})
    assert torch._C._len_torch_function_stack() == 0


# --------------------------------------------------------------------------------------------
# data and model
# --------------------------------------------------------------------------------------------


def test_digits_tensors_is_the_book_split_k10():
    X, y = load_digits(return_X_y=True)
    perm = np.random.default_rng(0).permutation(1797)
    X_train, X_test, y_train, y_test = digits_tensors()
    assert X_train.shape == (1437, 1, 8, 8) and X_test.shape == (360, 1, 8, 8)
    assert X_train.dtype == torch.float32 and y_train.dtype == torch.int64
    np.testing.assert_allclose(X_train.reshape(1437, 64).numpy(), X[perm[:1437]] / 16.0, rtol=1e-7)
    np.testing.assert_allclose(X_test.reshape(360, 64).numpy(), X[perm[1437:]] / 16.0, rtol=1e-7)
    np.testing.assert_array_equal(y_train.numpy(), y[perm[:1437]])
    np.testing.assert_array_equal(y_test.numpy(), y[perm[1437:]])
    assert 0.0 <= float(X_train.min()) and float(X_train.max()) <= 1.0
    Xa, Xb, _, _ = digits_tensors(seed=3, test_size=100, dtype=torch.float64)
    assert Xa.shape[0] == 1697 and Xb.shape[0] == 100 and Xa.dtype == torch.float64


def test_digits_cnn_shapes_parameter_count_and_seed():
    model = DigitsCNN(seed=1)
    # conv 1->16, 16->32, 32->64 (3x3, with biases) and linear 64*4*4 -> 10
    expected = (9 * 1 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 64 + 64) + (1024 * 10 + 10)
    assert expected == 33_546
    assert sum(p.numel() for p in model.parameters()) == expected
    x = torch.rand(5, 1, 8, 8)
    assert model(x).shape == (5, 10)
    feats = feature_maps(model, x, ["relu1", "relu2", "pool", "relu3"])
    assert [tuple(f.shape) for f in feats] == [(5, 16, 8, 8), (5, 32, 8, 8), (5, 32, 4, 4), (5, 64, 4, 4)]
    state = torch.random.get_rng_state()
    again = DigitsCNN(seed=1)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG was not used
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters()))
    assert not torch.equal(model.conv1.weight, DigitsCNN(seed=2).conv1.weight)
    gap = DigitsCNN(channels=(4, 8, 8), head="gap", seed=0)
    assert gap(torch.rand(2, 1, 12, 10)).shape == (2, 10)
    with pytest.raises(ValueError, match="8x8"):
        model(torch.rand(1, 1, 10, 10))
    with pytest.raises(ValueError, match=r"\(N, 1, 8, 8\)"):
        model(torch.rand(1, 3, 8, 8))


@pytest.mark.parametrize("layer", list(DigitsCNN.receptive_fields))
def test_digits_cnn_receptive_fields_match_gradient_support(layer):
    """Union over random inputs of the input-gradient support of one unit == the (clipped) box."""
    model = DigitsCNN(channels=(2, 2, 2), seed=0).double()
    with torch.no_grad():  # positive weights and biases: every ReLU active, so supports are full
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, dtype=DT) + 0.1)
    size, jump, start = DigitsCNN.receptive_fields[layer]
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(40, 1, 8, 8, generator=gen, dtype=DT, requires_grad=True)
    (fmap,) = feature_maps(model, x, [layer])
    for i, j in [(0, 0), (1, 2), (fmap.shape[2] - 1, fmap.shape[3] - 1)]:
        (g,) = torch.autograd.grad(fmap[:, 0, i, j].sum(), x, retain_graph=True)
        support = (g != 0).any(dim=0)[0].numpy()
        box = np.zeros((8, 8), dtype=bool)
        r0, c0 = start + jump * i, start + jump * j
        box[max(r0, 0) : r0 + size, max(c0, 0) : c0 + size] = True
        np.testing.assert_array_equal(support, box)


def test_train_digits_cnn_short_seeded_run_is_reproducible_and_learns():
    torch_state = torch.random.get_rng_state()
    model, hist = train_digits_cnn(epochs=3, seed=0)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert not model.training
    assert len(hist.loss) == 3 and len(hist.test_accuracy) == 3 and hist.seconds > 0
    assert hist.loss[-1] < hist.loss[0]
    assert hist.final_test_accuracy >= 0.90
    X_train, X_test, y_train, y_test = digits_tensors()
    with torch.no_grad():
        pred = model(X_test).argmax(dim=1).numpy()
    assert accuracy(model, X_test, y_test) == pytest.approx(np.mean(pred == y_test.numpy()))
    assert hist.final_test_accuracy == pytest.approx(np.mean(pred == y_test.numpy()))
    assert all(p.grad is None for p in model.parameters())
    # same seed: the same run, bit for bit (same initialisation and minibatches)
    runs = [train_digits_cnn(DigitsCNN(channels=(2, 4, 4), seed=3), epochs=1, seed=3) for _ in range(2)]
    assert runs[0][1].loss == runs[1][1].loss
    assert all(torch.equal(a, b) for a, b in zip(runs[0][0].parameters(), runs[1][0].parameters()))
    other = train_digits_cnn(DigitsCNN(channels=(2, 4, 4), seed=3), epochs=1, seed=4)
    assert other[1].loss != runs[0][1].loss  # another seed changes the minibatch order


@functools.lru_cache(maxsize=None)
def trained_digits_cnn(seed: int):
    """The default recipe, trained once per seed and shared by the slow tests."""
    return train_digits_cnn(seed=seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_train_digits_cnn_reaches_98_percent(seed):
    model, hist = trained_digits_cnn(seed)
    assert hist.final_test_accuracy >= 0.98
    assert hist.seconds <= 30


# --------------------------------------------------------------------------------------------
# saliency, guided backprop, deconvnet
# --------------------------------------------------------------------------------------------


def test_saliency_of_a_linear_model_is_abs_w_max_over_channels(rng):
    C, H, W, K = 3, 4, 5, 6
    w = rng.normal(size=(K, C * H * W))
    model = linear_model(w, rng.normal(size=K))
    x = torch.as_tensor(rng.uniform(size=(4, C, H, W)))
    target = [0, 5, 2, 2]
    sal = saliency_map(model, x, target)
    expected = np.stack([np.abs(w[t].reshape(C, H, W)).max(axis=0) for t in target])
    np.testing.assert_allclose(sal.numpy(), expected, rtol=1e-12, atol=1e-14)
    # an int target applies to every image
    expected3 = np.broadcast_to(np.abs(w[3].reshape(C, H, W)).max(0), (4, H, W))
    np.testing.assert_allclose(saliency_map(model, x, 3).numpy(), expected3)


def test_saliency_matches_central_differences_on_a_smooth_cnn(rng):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(3 * 16, 5)).double()
    x = torch.as_tensor(rng.uniform(size=(2, 2, 4, 4)))
    target = [4, 1]
    sal = saliency_map(model, x, target).numpy()
    h = 1e-6
    grad = np.zeros(x.shape)
    with torch.no_grad():
        for idx in np.ndindex(*x.shape):
            e = torch.zeros_like(x)
            e[idx] = h
            up = model(x + e)[idx[0], target[idx[0]]].item()
            down = model(x - e)[idx[0], target[idx[0]]].item()
            grad[idx] = (up - down) / (2 * h)
    np.testing.assert_allclose(sal, np.abs(grad).max(axis=1), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("style", ["module", "inplace", "functional", "torch", "method"])
def test_guided_backprop_and_deconvnet_match_hand_computation_at_every_relu(rng, style):
    p, x = two_hidden_case(rng)
    model = TwoHidden(**p, style=style)
    target = [1, 3, 0]
    xt = torch.as_tensor(x)
    gb = guided_backprop(model, xt, target).numpy()
    dc = deconvnet(model, xt, target).numpy()
    np.testing.assert_allclose(gb, hand_backward(p, x, target, "guided"), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dc, hand_backward(p, x, target, "deconvnet"), rtol=1e-12, atol=1e-13)
    # the three rules really differ on this case (so the test can tell them apart)
    vanilla = hand_backward(p, x, target, "backprop")
    assert np.abs(gb - vanilla).max() > 1e-3 and np.abs(gb - dc).max() > 1e-3
    np.testing.assert_allclose(input_gradient(model, xt, target).numpy(), vanilla, rtol=1e-12, atol=1e-13)
    # and plain autograd through the same model (no mode active any more) is the vanilla gradient
    xg = xt.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(xg).gather(1, torch.tensor(target)[:, None]).sum(), xg)
    np.testing.assert_allclose(g.numpy(), vanilla, rtol=1e-12, atol=1e-13)


def test_guided_backprop_one_hidden_layer_closed_form(rng):
    """x -> h = ReLU(W1 x + b1) -> s = w2 . h: guided = W1^T[max(w2, 0) * 1(W1 x + b1 > 0)],
    deconvnet = W1^T max(w2, 0), vanilla = W1^T[w2 * 1(W1 x + b1 > 0)]."""
    D, Hd = 8, 10
    W1, b1, w2 = rng.normal(size=(Hd, D)), rng.normal(size=Hd), rng.normal(size=Hd)
    model = nn.Sequential(nn.Flatten(), nn.Linear(D, Hd), nn.ReLU(), nn.Linear(Hd, 1)).double()
    with torch.no_grad():
        model[1].weight.copy_(torch.as_tensor(W1))
        model[1].bias.copy_(torch.as_tensor(b1))
        model[3].weight.copy_(torch.as_tensor(w2[None]))
        model[3].bias.zero_()
    x = rng.normal(size=(5, 2, 2, 2))
    active = (x.reshape(5, D) @ W1.T + b1) > 0
    guided = (np.maximum(w2, 0) * active) @ W1
    deconv = np.broadcast_to(np.maximum(w2, 0) @ W1, (5, D))
    vanilla = (w2 * active) @ W1
    xt = torch.as_tensor(x)
    np.testing.assert_allclose(guided_backprop(model, xt, 0).reshape(5, D).numpy(), guided, atol=1e-13)
    np.testing.assert_allclose(deconvnet(model, xt, 0).reshape(5, D).numpy(), deconv, atol=1e-13)
    expected = np.abs(vanilla).reshape(5, 2, 2, 2).max(1)
    np.testing.assert_allclose(saliency_map(model, xt, 0).numpy(), expected, atol=1e-13)


def test_relu_derivative_at_zero_is_zero_for_guided_backprop():
    model = nn.Sequential(nn.Flatten(), nn.Linear(2, 2, bias=False), nn.ReLU(), nn.Linear(2, 1, bias=False)).double()
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([[1.0, -1.0], [1.0, 1.0]]))
        model[3].weight.copy_(torch.tensor([[1.0, 1.0]]))
    x = torch.tensor([[[[0.5, 0.5]]]], dtype=DT)  # first hidden pre-activation is exactly 0
    np.testing.assert_allclose(guided_backprop(model, x, 0).reshape(2).numpy(), [1.0, 1.0])
    np.testing.assert_allclose(deconvnet(model, x, 0).reshape(2).numpy(), [2.0, 0.0])


def test_guided_backprop_warns_when_the_model_has_no_relu(rng):
    w = rng.normal(size=(3, 4))
    model = linear_model(w, np.zeros(3))
    x = torch.as_tensor(rng.uniform(size=(1, 1, 2, 2)))
    with pytest.warns(UserWarning, match="no ReLU"):
        g = guided_backprop(model, x, 2)
    np.testing.assert_allclose(g.reshape(4).numpy(), w[2])


# --------------------------------------------------------------------------------------------
# occlusion
# --------------------------------------------------------------------------------------------


def test_occlusion_of_a_linear_logit_is_the_patch_sum_of_w_times_x_minus_fill(rng):
    C, H, W, K = 2, 6, 7, 3
    w = rng.normal(size=(K, C * H * W))
    model = linear_model(w, rng.normal(size=K))
    x = rng.uniform(size=(2, C, H, W))
    target, patch, stride, fill = [2, 0], (2, 3), (2, 1), 0.3
    got = occlusion_map(
        model, torch.as_tensor(x), target, patch=patch, stride=stride, fill=fill, score="logit", batch_size=7
    )
    Ho, Wo = (H - 2) // 2 + 1, (W - 3) // 1 + 1
    assert got.shape == (2, Ho, Wo)
    expected = np.zeros((2, Ho, Wo))
    for n in range(2):
        wt = w[target[n]].reshape(C, H, W)
        for i in range(Ho):
            for j in range(Wo):
                r, c = i * stride[0], j * stride[1]
                expected[n, i, j] = np.sum(wt[:, r : r + 2, c : c + 3] * (x[n, :, r : r + 2, c : c + 3] - fill))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_occlusion_probability_drop_and_per_channel_fill(rng):
    C, H, W, K = 3, 4, 4, 5
    w = rng.normal(size=(K, C * H * W))
    b = rng.normal(size=K)
    model = linear_model(w, b)
    x = rng.uniform(size=(1, C, H, W))
    fill = np.array([0.1, 0.5, 0.9])
    got = occlusion_map(model, torch.as_tensor(x), 4, patch=2, stride=2, fill=torch.as_tensor(fill).reshape(C, 1, 1))

    def prob(img):
        z = w @ img.ravel() + b
        e = np.exp(z - z.max())
        return e[4] / e.sum()

    expected = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            occ = x[0].copy()
            occ[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = fill[:, None, None]
            expected[i, j] = prob(x[0]) - prob(occ)
    np.testing.assert_allclose(got[0].numpy(), expected, rtol=1e-10, atol=1e-14)


def test_occlusion_map_size_follows_the_valid_conv_formula():
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 2))
    out = occlusion_map(model, torch.rand(1, 1, 28, 28), 0, patch=7, stride=3)
    assert out.shape == (1, 8, 8)  # floor((28 - 7)/3) + 1 = 8


# --------------------------------------------------------------------------------------------
# Gram matrices and style losses
# --------------------------------------------------------------------------------------------


def test_gram_matrix_worked_value_and_einsum(rng):
    F_ = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=DT).reshape(1, 2, 1, 2)
    np.testing.assert_array_equal(gram_matrix(F_, normalize=False)[0].numpy(), [[5, 11], [11, 25]])
    np.testing.assert_array_equal(gram_matrix(F_)[0].numpy(), np.array([[5, 11], [11, 25]]) / 2)
    f = rng.normal(size=(3, 4, 5, 6))
    G = gram_matrix(torch.as_tensor(f)).numpy()
    np.testing.assert_allclose(G, np.einsum("nchw,ndhw->ncd", f, f) / 30, rtol=1e-12)
    assert np.allclose(G, G.transpose(0, 2, 1))
    assert np.linalg.eigvalsh(G).min() > -1e-12


def test_gram_matrix_is_invariant_to_a_spatial_permutation(rng):
    f = rng.normal(size=(2, 3, 4, 5))
    perm = rng.permutation(20)
    shuffled = f.reshape(2, 3, 20)[:, :, perm].reshape(2, 3, 4, 5)
    assert not np.allclose(shuffled, f)
    np.testing.assert_allclose(
        gram_matrix(torch.as_tensor(shuffled)).numpy(), gram_matrix(torch.as_tensor(f)).numpy(), rtol=1e-12
    )


def test_content_and_style_losses_match_gatys_formulas(rng):
    f1, s1 = rng.normal(size=(1, 3, 4, 4)), rng.normal(size=(1, 3, 4, 4))
    f2, s2 = rng.normal(size=(1, 5, 2, 2)), rng.normal(size=(1, 5, 2, 2))
    T = torch.as_tensor
    assert float(content_loss(T(f1), T(s1))) == pytest.approx(0.5 * np.sum((f1 - s1) ** 2), rel=1e-12)

    def E(f, s):
        C, M = f.shape[1], f.shape[2] * f.shape[3]
        Fm, Sm = f.reshape(C, M), s.reshape(C, M)
        return np.sum((Fm @ Fm.T - Sm @ Sm.T) ** 2) / (4 * C**2 * M**2)

    got = float(style_loss([T(f1), T(f2)], [T(s1), T(s2)], weights=[0.3, 2.0]))
    assert got == pytest.approx(0.3 * E(f1, s1) + 2.0 * E(f2, s2), rel=1e-12)
    assert float(style_loss([T(f1), T(f2)], [T(s1), T(s2)])) == pytest.approx((E(f1, s1) + E(f2, s2)) / 2, rel=1e-12)
    assert float(style_loss([T(f1)], [T(f1)])) == 0.0
    assert float(content_loss(T(f1), T(f1))) == 0.0


# --------------------------------------------------------------------------------------------
# FGSM and PGD
# --------------------------------------------------------------------------------------------


def logistic_model(w: np.ndarray, b: float) -> nn.Module:
    """Two logits (0, w.x + b): the softmax is a logistic regression with p(y=1) = sigma(w.x + b)."""
    W = np.stack([np.zeros_like(w), w])
    return linear_model(W, np.array([0.0, b]))


def test_fgsm_changes_a_logistic_logit_by_minus_eps_l1_norm_of_w():
    w = np.array([1.0, -2.0, 0.5])
    model = logistic_model(w, 0.2)
    x = torch.tensor([[[[0.4, 0.5, 0.6]]]], dtype=DT)

    def logit(z):
        return float(z.reshape(3).numpy() @ w + 0.2)

    # untargeted with true label 1: the logit of class 1 goes DOWN by eps ||w||_1 = 0.35
    assert logit(fgsm(model, x, 1, 0.1)) - logit(x) == pytest.approx(-0.35, abs=1e-12)
    # untargeted with true label 0: the logit goes UP
    assert logit(fgsm(model, x, 0, 0.1)) - logit(x) == pytest.approx(+0.35, abs=1e-12)
    # targeted to class 1: up; targeted to class 0: down
    assert logit(fgsm(model, x, 1, 0.1, targeted=True)) - logit(x) == pytest.approx(+0.35, abs=1e-12)
    assert logit(fgsm(model, x, 0, 0.1, targeted=True)) - logit(x) == pytest.approx(-0.35, abs=1e-12)


def test_fgsm_on_random_logistic_models_and_clamp(rng):
    for _ in range(5):
        w = rng.normal(size=12)
        model = logistic_model(w, rng.normal())
        x = rng.uniform(0.2, 0.8, size=(1, 3, 2, 2))
        eps = rng.uniform(0.01, 0.15)
        adv = fgsm(model, torch.as_tensor(x), 1, eps).numpy()
        assert (adv - x).ravel() @ w == pytest.approx(-eps * np.abs(w).sum(), rel=1e-10)
    # clamp: pixels at the bounds stay in [0, 1]; ||x_adv - x||_inf <= eps
    w = np.array([1.0, -1.0, 1.0, -1.0])
    model = logistic_model(w, 0.0)
    x = torch.tensor([[[[0.98, 0.01, 0.5, 0.5]]]], dtype=DT)
    free = fgsm(model, x, 0, 0.05, clamp=None)
    np.testing.assert_allclose(free.reshape(4).numpy(), [1.03, -0.04, 0.55, 0.45])
    clipped = fgsm(model, x, 0, 0.05)  # the default clips to the pixel range [0, 1]
    np.testing.assert_allclose(clipped.reshape(4).numpy(), [1.0, 0.0, 0.55, 0.45])
    np.testing.assert_allclose(pgd_attack(model, x, 0, 0.05, 0.05, 1).reshape(4).numpy(), [1.0, 0.0, 0.55, 0.45])
    unclipped = pgd_attack(model, x, 0, 0.05, 0.05, 1, clamp=None)
    np.testing.assert_allclose(unclipped.reshape(4).numpy(), [1.03, -0.04, 0.55, 0.45])
    assert float((clipped - x).abs().max()) <= 0.05 + 1e-15


def test_fgsm_uses_eval_mode_so_images_of_a_batch_do_not_interact(rng):
    model = StateProbe().double().train()
    x = torch.as_tensor(rng.uniform(size=(4, 1, 8, 8)))
    y = torch.tensor([1, 2, 3, 4])
    batch = fgsm(model, x, y, 0.1)
    single = torch.cat([fgsm(model, x[i : i + 1], y[i : i + 1], 0.1) for i in range(4)])
    assert torch.equal(batch, single)


def test_pgd_on_a_logistic_model_moves_min_of_eps_and_k_alpha():
    w = np.array([1.0, -2.0, 0.5, 3.0])
    model = logistic_model(w, 0.0)
    x = torch.full((1, 1, 2, 2), 0.5, dtype=DT)
    for steps, alpha, eps in [(1, 0.02, 0.1), (3, 0.02, 0.1), (10, 0.02, 0.1)]:
        adv = pgd_attack(model, x, 1, eps=eps, alpha=alpha, steps=steps)
        move = min(eps, steps * alpha)
        np.testing.assert_allclose(adv.reshape(4).numpy(), 0.5 - move * np.sign(w), atol=1e-12)
    adv = pgd_attack(model, x, 1, eps=0.1, alpha=0.04, steps=5, targeted=True)
    np.testing.assert_allclose(adv.reshape(4).numpy(), 0.5 + 0.1 * np.sign(w), atol=1e-12)


def test_pgd_projection_invariant_holds_with_random_start(rng):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 64, 10)).double()
    x = torch.as_tensor(rng.uniform(size=(6, 1, 8, 8)))
    y = torch.as_tensor(rng.integers(0, 10, size=6))
    for steps in (1, 2, 7):
        adv = pgd_attack(
            model, x, y, eps=0.07, alpha=0.03, steps=steps, clamp=(0, 1), random_start=True, generator=steps
        )
        assert float((adv - x).abs().max()) <= 0.07 + 1e-12
        assert float(adv.min()) >= 0 and float(adv.max()) <= 1


# --------------------------------------------------------------------------------------------
# class models, neurons, inversion, deep dream
# --------------------------------------------------------------------------------------------


def test_class_model_iterates_follow_the_linear_closed_form(rng):
    C, H, W, K = 1, 3, 3, 4
    w = rng.normal(size=(K, C * H * W))
    b = rng.normal(size=K)
    model = linear_model(w, b)
    lam, lr, steps = 0.05, 0.4, 30
    imgs, hist = class_model_visualization(model, [2, 0], shape=(C, H, W), steps=steps, lr=lr, l2=lam)
    factor = 1 - (1 - 2 * lam * lr) ** np.arange(steps + 1)  # I_k = (1 - (1 - 2 lam lr)^k) w/(2 lam)
    for col, t in enumerate([2, 0]):
        star = w[t] / (2 * lam)
        np.testing.assert_allclose(imgs[col].reshape(-1).numpy(), factor[-1] * star, rtol=1e-10)
        np.testing.assert_allclose(hist[:, col], factor * (w[t] @ star) + b[t], rtol=1e-10)
    # converges to w / (2 lam)
    imgs, _ = class_model_visualization(model, 1, shape=(C, H, W), steps=400, lr=lr, l2=lam)
    np.testing.assert_allclose(imgs[0].reshape(-1).numpy(), w[1] / (2 * lam), rtol=1e-6)


def test_neuron_visualization_of_a_conv_unit_follows_the_closed_form(rng):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 9, 3)).double()
    lam, lr, steps = 0.1, 0.5, 20
    img, hist = neuron_visualization(model, "0", 1, shape=(1, 5, 5), position=(2, 0), steps=steps, lr=lr, l2=lam)
    # the unit's value is w . patch + b, so its gradient is w placed at rows 2..4, columns 0..2
    grad = np.zeros((5, 5))
    grad[2:5, 0:3] = model[0].weight[1, 0].detach().numpy()
    factor = 1 - (1 - 2 * lam * lr) ** steps
    np.testing.assert_allclose(img[0, 0].numpy(), factor * grad / (2 * lam), rtol=1e-10, atol=1e-14)
    assert hist.shape == (steps + 1, 1) and np.all(np.diff(hist[:, 0]) > 0)
    # spatial mean: the gradient is the average of w over the 9 positions
    img, _ = neuron_visualization(model, "0", 0, shape=(1, 5, 5), steps=1, lr=1.0, l2=0.0)
    w0 = model[0].weight[0, 0].detach().numpy()
    mean_grad = np.zeros((5, 5))
    for i in range(3):
        for j in range(3):
            mean_grad[i : i + 3, j : j + 3] += w0 / 9
    np.testing.assert_allclose(img[0, 0].numpy(), mean_grad, rtol=1e-10, atol=1e-14)


def test_invert_representation_linear_phi_converges_to_the_ridge_solution(rng):
    A = rng.normal(size=(6, 16))
    x0 = rng.uniform(size=(1, 1, 4, 4))
    lam = 0.3
    At = torch.as_tensor(A)

    def phi(img):
        return img.reshape(img.shape[0], -1) @ At.T

    img, hist = invert_representation(
        phi, torch.as_tensor(x0), steps=1500, lr=0.01, lam=lam, alpha=2.0, normalize=False, optimizer="sgd"
    )
    v = x0.ravel()
    expected = np.linalg.solve(A.T @ A + lam * np.eye(16), A.T @ A @ v)
    np.testing.assert_allclose(img.reshape(-1).numpy(), expected, rtol=1e-6, atol=1e-8)
    assert np.all(np.diff(hist) <= 1e-12)  # plain gradient descent on a convex quadratic, small step
    # lam = 0 and an invertible A: the image itself is recovered
    B = 2.0 * np.linalg.qr(rng.normal(size=(16, 16)))[0]
    Bt = torch.as_tensor(B)
    img, _ = invert_representation(
        lambda z: z.reshape(1, -1) @ Bt.T, torch.as_tensor(x0), steps=100, lr=1.0, lam=0.0, optimizer="sgd"
    )
    np.testing.assert_allclose(img.numpy(), x0, rtol=1e-8, atol=1e-10)


def test_deep_dream_step_linear_gradient_is_wtw_x(rng):
    Wm = rng.normal(size=(5, 9))
    Wt = torch.as_tensor(Wm)
    x = rng.normal(size=(2, 1, 3, 3))

    def phi(img):
        return img.reshape(img.shape[0], -1) @ Wt.T

    new, value = deep_dream_step(phi, torch.as_tensor(x), lr=0.01, normalize=False)
    flat = x.reshape(2, 9)
    np.testing.assert_allclose(new.reshape(2, 9).numpy(), flat + 0.01 * flat @ Wm.T @ Wm, rtol=1e-12)
    assert value == pytest.approx(0.5 * np.sum((flat @ Wm.T) ** 2), rel=1e-12)
    new, _ = deep_dream_step(phi, torch.as_tensor(x), lr=0.01, normalize=True)
    g = flat @ Wm.T @ Wm
    expected = flat + 0.01 * g / np.abs(g).mean(axis=1, keepdims=True)
    np.testing.assert_allclose(new.reshape(2, 9).numpy(), expected, rtol=1e-12)


def test_deep_dream_jitter_is_undone_and_the_objective_increases(rng):
    x = torch.as_tensor(rng.uniform(size=(1, 1, 6, 6)))

    def phi(img):  # elementwise, so shift-equivariant: jitter must not change the step
        return img**2

    plain, _ = deep_dream_step(phi, x, lr=0.01)
    jittered, _ = deep_dream_step(phi, x, lr=0.01, jitter=2, generator=3)
    np.testing.assert_allclose(jittered.numpy(), plain.numpy(), rtol=1e-12)
    model = DigitsCNN(seed=0).double()
    x = torch.rand(1, 1, 8, 8, dtype=DT, generator=torch.Generator().manual_seed(0))
    out, hist = deep_dream(
        lambda z: feature_maps(model, z, ["relu2"])[0], x, steps=5, lr=0.01, octaves=2, jitter=1, generator=0
    )
    assert out.shape == (1, 1, 8, 8) and hist.shape == (10,)
    assert hist[4] > hist[0] and hist[9] > hist[5]


# --------------------------------------------------------------------------------------------
# feature maps, filters, top-activating patches
# --------------------------------------------------------------------------------------------


def test_top_activating_patches_finds_a_planted_pattern():
    pattern = torch.tensor([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0], [1.0, 1.0, -1.0]], dtype=DT)
    conv = nn.Conv2d(1, 2, 3, padding=1).double()
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
        conv.weight[1, 0] = pattern
    model = nn.Sequential(conv)
    gen = torch.Generator().manual_seed(0)
    images = 0.1 * torch.rand(12, 1, 8, 8, generator=gen, dtype=DT)
    images[7, 0, 3:6, 2:5] = (pattern > 0).to(DT)  # planted at rows 3..5, columns 2..4: unit (4, 3)
    patches, loc, values = top_activating_patches(model, "0", 1, images, k=3, receptive_field=(3, 1, -1))
    assert patches.shape == (3, 1, 3, 3)
    assert loc[0].tolist() == [7, 4, 3]
    np.testing.assert_array_equal(patches[0, 0].numpy(), (pattern > 0).numpy().astype(float))
    assert values[0] == pytest.approx(5.0) and bool(values[0] > values[1])
    # a border unit: the part outside the image is zero padding
    patches, loc, _ = top_activating_patches(model, "0", 1, images[7:8] * 0 + 1.0, k=64, receptive_field=(3, 1, -1))
    corner = [int(i) for i in torch.nonzero((loc[:, 1] == 0) & (loc[:, 2] == 0))[0]]
    np.testing.assert_array_equal(patches[corner[0], 0].numpy(), [[0, 0, 0], [0, 1, 1], [0, 1, 1]])


def test_filters_as_images_rescales_each_filter_to_unit_range(rng):
    w = torch.as_tensor(rng.normal(size=(4, 2, 3, 3)))
    w[2] = 0.7  # a constant filter
    out = filters_as_images(w)
    for k in (0, 1, 3):
        assert float(out[k].min()) == 0.0 and float(out[k].max()) == pytest.approx(1.0)
        lo, hi = float(w[k].min()), float(w[k].max())
        np.testing.assert_allclose(out[k].numpy(), (w[k].numpy() - lo) / (hi - lo))
    assert torch.all(out[2] == 0.5)


# --------------------------------------------------------------------------------------------
# style transfer pieces
# --------------------------------------------------------------------------------------------


def test_sample_image_tensor_is_every_fourth_pixel_of_the_centre_square():
    img = sample_image_tensor("china.jpg")
    raw = load_sample_image("china.jpg")
    assert img.shape == (1, 3, 64, 64) and img.dtype == torch.float32
    top, left = (427 - 256) // 2, (640 - 256) // 2
    expected = raw[top : top + 256 : 4, left : left + 256 : 4] / 255.0
    np.testing.assert_allclose(img[0].permute(1, 2, 0).numpy(), expected, rtol=1e-6)


def test_random_feature_cnn_shapes_and_frozen_seeded_weights():
    net = RandomFeatureCNN(seed=5)
    feats = net(torch.rand(2, 3, 16, 16))
    assert [tuple(f.shape) for f in feats] == [(2, 32, 16, 16), (2, 64, 8, 8), (2, 64, 4, 4)]
    assert all(not p.requires_grad for p in net.parameters()) and not net.training
    assert all(float(f.min()) >= 0 for f in feats)
    again = RandomFeatureCNN(seed=5)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), again.parameters()))
    w = net.blocks[1][0].weight  # He-normal: std sqrt(2 / (32 * 9))
    assert float(w.std()) == pytest.approx(math.sqrt(2 / 288), rel=0.05)


def test_style_transfer_decreases_the_loss_and_keeps_pixels_in_range():
    gen = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, 16, 16, generator=gen)
    style = torch.rand(1, 3, 16, 16, generator=gen) * 0.5 + torch.tensor([0.5, 0.0, 0.0]).reshape(1, 3, 1, 1)
    out, hist = style_transfer(content, style, steps=30, lr=0.02)
    assert out.shape == content.shape
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    assert hist["total"][-1] < 0.5 * hist["total"][0]
    np.testing.assert_allclose(hist["total"], hist["content"] + hist["style"], rtol=1e-5)
    # the red channel moves towards the style's
    assert float(out[0, 0].mean() - content[0, 0].mean()) > 0.05


# --------------------------------------------------------------------------------------------
# state restoration: eval mode during, every flag restored after, no grads, no hooks
# --------------------------------------------------------------------------------------------


STATE_CALLS = {
    "saliency_map": lambda m, x: saliency_map(m, x, 1),
    "input_gradient": lambda m, x: input_gradient(m, x, 4),
    "guided_backprop": lambda m, x: guided_backprop(m, x, [1, 2]),
    "deconvnet": lambda m, x: deconvnet(m, x, 3),
    "occlusion_map": lambda m, x: occlusion_map(m, x, 1, patch=4, stride=4),
    "fgsm": lambda m, x: fgsm(m, x, [0, 1], 0.1),
    "pgd_attack": lambda m, x: pgd_attack(m, x, 0, 0.1, 0.05, 2),
    "class_model_visualization": lambda m, x: class_model_visualization(m, [0, 1], steps=2),
    "neuron_visualization": lambda m, x: neuron_visualization(m, "relu", 1, steps=2),
    "fooling_image": lambda m, x: fooling_image(m, 2, steps=2, generator=0),
    "feature_maps": lambda m, x: feature_maps(m, x, ["bn"]),
    "top_activating_patches": lambda m, x: top_activating_patches(m, "relu", 0, x, k=2, receptive_field=(3, 1, -1)),
    "accuracy": lambda m, x: accuracy(m, x, [0, 1]),
    "invert_representation": lambda m, x: invert_representation(lambda z: feature_maps(m, z, ["relu"])[0], x, steps=2),
    "deep_dream": lambda m, x: deep_dream(lambda z: feature_maps(m, z, ["relu"])[0], x, steps=2),
}


@pytest.mark.parametrize("name", list(STATE_CALLS))
def test_functions_restore_mode_flags_and_leave_no_grads_or_hooks(name):
    model = StateProbe().train()
    model.drop.eval()  # a submodule in a different mode from its parent
    model.fc.bias.requires_grad_(False)  # a frozen parameter stays frozen, the others stay trainable
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    snap = snapshot(model)
    seen = []
    handle = model.bn.register_forward_pre_hook(lambda mod, inp: seen.append(mod.training))
    try:
        STATE_CALLS[name](model, x)
    finally:
        handle.remove()
    assert seen and not any(seen), "the model must run in eval mode"
    assert_untouched(model, snap)


def test_state_is_restored_after_an_error():
    model = StateProbe().train()
    snap = snapshot(model)
    x = torch.rand(1, 1, 8, 8)
    with pytest.raises(ValueError, match=r"target must be class indices in \[0, 10\)"):
        guided_backprop(model, x, 10)
    with pytest.raises(ValueError, match="target must be class indices"):
        occlusion_map(model, x, -1)
    assert_untouched(model, snap)
    with inspecting(model):
        assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert_untouched(model, snap)


# --------------------------------------------------------------------------------------------
# error paths
# --------------------------------------------------------------------------------------------


def test_errors_name_the_argument_and_what_was_received():
    model = StateProbe()
    x = torch.rand(2, 1, 8, 8)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        saliency_map("net", x, 0)
    with pytest.raises(ValueError, match=r"x must be a 4-D \(N, C, H, W\) tensor, got shape \(1, 8, 8\).*x\[None\]"):
        saliency_map(model, x[0], 0)
    with pytest.raises(TypeError, match="x must be a floating tensor"):
        guided_backprop(model, torch.zeros(1, 1, 8, 8, dtype=torch.int64), 0)
    with pytest.raises(ValueError, match="x must contain only finite"):
        deconvnet(model, torch.full((1, 1, 8, 8), float("nan")), 0)
    with pytest.raises(ValueError, match=r"target must have one class per image, i.e. shape \(2,\), got shape \(3,\)"):
        saliency_map(model, x, [0, 1, 2])
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        saliency_map(model, x, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"patch \(9, 9\) must fit in the image of size \(8, 8\)"):
        occlusion_map(model, x, 0, patch=9)
    with pytest.raises(ValueError, match="score must be one of"):
        occlusion_map(model, x, 0, score="softmax")
    with pytest.raises(ValueError, match="stride must be >= 1"):
        occlusion_map(model, x, 0, stride=0)
    with pytest.raises(ValueError, match="fill must broadcast"):
        occlusion_map(model, x, 0, fill=torch.zeros(3, 1, 1))
    with pytest.raises(ValueError, match="eps must be >= 0"):
        fgsm(model, x, 0, -0.1)
    with pytest.raises(TypeError, match="clamp must be None or a pair"):
        fgsm(model, x, 0, 0.1, clamp=1.0)
    with pytest.raises(ValueError, match="clamp must satisfy low <= high"):
        fgsm(model, x, 0, 0.1, clamp=(1.0, 0.0))
    with pytest.raises(ValueError, match=r"y must be class indices in \[0, 10\)"):
        fgsm(model, x, [0, 12], 0.1)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        pgd_attack(model, x, 0, 0.1, 0.0, 3)
    with pytest.raises(ValueError, match="features must be a 4-D"):
        gram_matrix(torch.zeros(3, 4))
    with pytest.raises(TypeError, match="normalize must be a bool"):
        gram_matrix(torch.zeros(1, 2, 3, 3), normalize=1)
    with pytest.raises(ValueError, match="style_features must be non-empty lists of the same length"):
        style_loss([torch.zeros(1, 2, 3, 3)], [])
    with pytest.raises(ValueError, match=r"style_features\[0\] must have 2 channels"):
        style_loss([torch.zeros(1, 2, 3, 3)], [torch.zeros(1, 3, 3, 3)])
    with pytest.raises(ValueError, match=r"shape must be an image shape \(C, H, W\)"):
        class_model_visualization(model, 0, shape=(8, 8))
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        class_model_visualization(model, 0, l2=-1.0)
    with pytest.raises(ValueError, match="init must be one of"):
        class_model_visualization(model, 0, init="ones")
    with pytest.raises(ValueError, match="unknown layer 'conv9'; the model's layers are"):
        feature_maps(model, x, ["conv9"])
    with pytest.raises(TypeError, match=r"layers must be a list of layer names, got the string 'conv'"):
        feature_maps(model, x, "conv")
    with pytest.raises(ValueError, match="receptive_field=\\(size, jump, start\\) is required"):
        top_activating_patches(model, "conv", 0, x)
    with pytest.raises(ValueError, match=r"unit must be a channel of 'conv', in \[0, 4\)"):
        top_activating_patches(model, "conv", 4, x, receptive_field=(3, 1, -1))
    with pytest.raises(ValueError, match="test_size must be < 1797"):
        digits_tensors(test_size=1797)
    with pytest.raises(TypeError, match="seed must be an int"):
        digits_tensors(seed=0.5)
    with pytest.raises(ValueError, match="head must be one of"):
        DigitsCNN(head="dense")
    with pytest.raises(ValueError, match="channels must be three ints"):
        DigitsCNN(channels=(8, 16))
    with pytest.raises(ValueError, match="schedule must be one of"):
        train_digits_cnn(schedule="cosine")
    with pytest.raises(ValueError, match="model must return logits of shape"):
        saliency_map(nn.Conv2d(1, 2, 3), x, 0)
    with pytest.raises(ValueError, match="size must divide region"):
        sample_image_tensor(size=60)
    with pytest.raises(ValueError, match="name must be one of"):
        sample_image_tensor("lena.png")
    with pytest.raises(ValueError, match="phi\\(x0\\) is zero"):
        invert_representation(lambda z: z * 0, x)
    with pytest.raises(ValueError, match="octave_scale must be > 1"):
        deep_dream(lambda z: z, x, octave_scale=1.0)
    with pytest.raises(TypeError, match="generator must be a torch.Generator, an int seed or None"):
        fooling_image(model, 0, generator="seed")
    with pytest.raises(ValueError, match="content and style must have the same number of channels"):
        style_transfer(torch.rand(1, 3, 8, 8), torch.rand(1, 1, 8, 8))


def test_module_exports_are_complete():
    public = {n for n in dir(V) if not n.startswith("_")}
    for name in V.__all__:
        assert name in public
        assert getattr(V, name).__doc__, f"{name} has no docstring"


# --------------------------------------------------------------------------------------------
# the digits CNN demos of sections 7.6-7.7 (slow: they train the model first)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    model, _ = trained_digits_cnn(0)
    return model, digits_tensors()


@pytest.mark.slow
def test_class_models_of_the_digits_cnn_are_confident(trained):
    model, _ = trained
    imgs, hist = class_model_visualization(model, list(range(10)), steps=100, lr=0.1, l2=0.01)
    with torch.no_grad():
        p = torch.softmax(model(imgs), dim=1).diagonal()
    assert float(p.min()) > 0.99
    assert np.all(hist[-1] > hist[0])


@pytest.mark.slow
def test_fooling_images_are_confident_but_do_not_look_like_the_digit(trained):
    model, (X_train, _, y_train, _) = trained
    imgs, probs = fooling_image(model, list(range(10)), steps=100, lr=0.1, generator=0)
    assert probs[-1].min() > 0.99
    means = torch.stack([X_train[y_train == c].mean(0) for c in range(10)])
    corr = [np.corrcoef(imgs[c].reshape(-1), means[c].reshape(-1))[0, 1] for c in range(10)]
    assert np.mean(corr) < 0.3


@pytest.mark.slow
def test_fgsm_accuracy_drops_and_targeted_pgd_reaches_the_target(trained):
    model, (_, X_test, _, y_test) = trained
    accs = [accuracy(model, fgsm(model, X_test, y_test, eps, clamp=(0, 1)), y_test) for eps in (0.0, 0.1, 0.3)]
    assert accs[0] >= 0.98 and accs[1] < accs[0] - 0.1 and accs[2] < 0.2
    adv = pgd_attack(model, X_test, 8, eps=0.3, alpha=0.05, steps=20, targeted=True, clamp=(0, 1))
    with torch.no_grad():
        hit = float((model(adv).argmax(dim=1) == 8).float().mean())
    assert hit >= 0.9


@pytest.mark.slow
def test_guided_backprop_is_less_class_sensitive_than_saliency(trained):
    """Sanity check of Adebayo et al. (2018): maps for the true class and for (c + 3) mod 10."""
    model, (_, X_test, _, y_test) = trained
    x, y = X_test[:20], y_test[:20]

    def similarity(fn):
        a, b = fn(model, x, y).reshape(20, -1), fn(model, x, (y + 3) % 10).reshape(20, -1)
        return float(TF.cosine_similarity(a, b).mean())

    # signed maps (a seeded run: gradient -0.25, guided 0.84, deconvnet 0.65); the absolute
    # saliency maps are positive, so their cosine similarity is higher (0.69) but still below guided's
    assert similarity(guided_backprop) > 0.5 > 0.0 > similarity(input_gradient)
    assert similarity(guided_backprop) > similarity(saliency_map)


@pytest.mark.slow
def test_style_transfer_moves_the_colour_statistics_to_the_style():
    content, style = sample_image_tensor("china.jpg"), sample_image_tensor("flower.jpg")
    out, _ = style_transfer(content, style)
    c_mean, s_mean, o_mean = (t.mean(dim=(0, 2, 3)).numpy() for t in (content, style, out))
    assert np.abs(o_mean - s_mean).max() < 0.05 < np.abs(c_mean - s_mean).max()
