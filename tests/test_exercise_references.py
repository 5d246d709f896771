"""The reference solutions inside the exercise checkers are themselves checked against independent
oracles (torch.optim, torch schedulers, exact enumeration), so a checker cannot bless a wrong answer."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from dlnotes.exercises import ch05


@pytest.mark.parametrize("hyper", ch05._SGD_SETTINGS)
def test_sgd_reference_matches_torch(hyper):
    rng = np.random.default_rng(0)
    p = rng.normal(size=3)
    grads = rng.normal(size=(25, 3))
    tp = torch.tensor(p.copy(), requires_grad=True)
    opt = torch.optim.SGD([tp], **hyper)
    buf = None
    for g in grads:
        tp.grad = torch.tensor(g)
        opt.step()
        p, buf = ch05._ref_sgd_update(p, g, buf, **hyper)
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("hyper", ch05._ADAM_SETTINGS)
def test_adam_reference_matches_torch(hyper):
    rng = np.random.default_rng(1)
    p = rng.normal(size=4)
    grads = rng.normal(size=(30, 4)) * np.array([1e-3, 1.0, 10.0, 1e2])
    tp = torch.tensor(p.copy(), requires_grad=True)
    opt = torch.optim.Adam([tp], **{k: v for k, v in hyper.items()})
    state: dict = {}
    for g in grads:
        tp.grad = torch.tensor(g)
        opt.step()
        p = ch05._adam_variant("")(p, g, state, **hyper)
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize(
    "kw",
    [{}, {"base_lr": 1.0, "warmup": 5, "total": 40, "start_factor": 0.25, "eta_min": 0.01},
     {"base_lr": 3e-4, "warmup": 20, "total": 60, "start_factor": 0.01}],
)
def test_warmup_cosine_reference_matches_torch_sequential_lr(kw):
    full = {"base_lr": 0.1, "warmup": 10, "total": 100, "start_factor": 0.1, "eta_min": 0.0, **kw}
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=full["base_lr"])
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=full["start_factor"], end_factor=1.0, total_iters=full["warmup"])
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=full["total"] - full["warmup"], eta_min=full["eta_min"])
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[full["warmup"]])
    for t in range(full["total"]):
        assert math.isclose(ch05._ref_warmup_cosine(t, **kw), opt.param_groups[0]["lr"], rel_tol=1e-9, abs_tol=1e-15), t
        opt.step()
        sched.step()
    assert [round(ch05._ref_warmup_cosine(t), 10) for t in (0, 5, 10, 55)] == [0.01, 0.055, 0.1, 0.05]


def test_minibatch_variance_reference_matches_enumeration():
    g = np.random.default_rng(2).normal(size=9)
    for B in (1, 3, 5, 9):
        means = [np.mean(g[list(idx)]) for idx in itertools.combinations(range(9), B)]
        assert math.isclose(ch05._ref_bmv(g, B), float(np.var(means)), rel_tol=1e-12, abs_tol=1e-15)


def test_filter_normalize_reference_matches_the_library():
    from dlnotes import nn
    from dlnotes.optim.landscape import filter_normalize, parameters_to_vector

    model = nn.MLP([5, 7, 3], rng=0)
    weights = [p.data for p in model.parameters()]
    direction = [np.random.default_rng(3).normal(size=w.shape) for w in weights]
    flat = np.concatenate([d.ravel() for d in direction])
    ours = np.concatenate([d.ravel() for d in ch05._ref_filter_normalize(direction, weights)])
    np.testing.assert_allclose(ours, filter_normalize(flat, model), atol=1e-12)
    assert parameters_to_vector(model).shape == ours.shape


def test_backtracking_reference_satisfies_armijo_and_is_maximal():
    for case in ch05._quadratic_cases():
        if case.raises:
            continue
        f, x, d, g = case.args
        kw = {"alpha0": 1.0, "rho": 0.5, "c": 1e-4, **case.kwargs}
        a = ch05._ref_backtracking(f, x, d, g, **kw)
        assert f(x + a * d) <= f(x) + kw["c"] * a * float(g @ d)
        if a < kw["alpha0"]:
            b = a / kw["rho"]
            assert f(x + b * d) > f(x) + kw["c"] * b * float(g @ d)


# ---------------------------------------------------------------------------------- chapter 6

from dlnotes.exercises import ch06, grade  # noqa: E402


def test_ch06_bias_variance_reference_satisfies_the_identity():
    case = ch06._bv_case(30, 9, 5)
    preds, f = case.args
    bias2, var = ch06._ref_bias_variance(preds, f)
    np.testing.assert_allclose(((preds - f) ** 2).mean(axis=0), bias2 + var, rtol=1e-12)


def test_ch06_degrees_of_freedom_against_explicit_smoothers():
    x = np.linspace(0, 1, 30)
    X = np.vander(x, 4)
    S = X @ np.linalg.solve(X.T @ X, X.T)
    assert math.isclose(np.trace(S), ch06._DF_REF["cubic_df"], rel_tol=1e-9)
    # Monte Carlo covariance penalty Σ Cov(f̂_i, y_i) for σ = 0.3
    rng = np.random.default_rng(0)
    eps = 0.3 * rng.normal(size=(20000, 30))
    fitted = (np.sin(2 * np.pi * x) + eps) @ S.T
    cov = np.sum(np.mean(eps * (fitted - fitted.mean(axis=0)), axis=0))
    assert abs(cov - ch06._DF_REF["covariance_sum"]) < 0.01
    # a design with singular values 3, 1, 0.5: explicit ridge smoother X(XᵀX + I)⁻¹Xᵀ
    U, _ = np.linalg.qr(rng.normal(size=(10, 3)))
    V, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    Xr = U @ np.diag(ch06._RIDGE_SV) @ V.T
    Sr = Xr @ np.linalg.solve(Xr.T @ Xr + np.eye(3), Xr.T)
    assert math.isclose(np.trace(Sr), ch06._DF_REF["ridge_df"], rel_tol=1e-9)


def test_ch06_min_norm_by_gradient_descent():
    X, y = np.array([[1.0, 1.0]]), np.array([2.0])
    for start, key in (([0.0, 0.0], "from_zero"), ([1.0, 0.0], "from_w0")):
        w = np.array(start)
        for _ in range(2000):
            w = w - 0.1 * X.T @ (X @ w - y)
        np.testing.assert_allclose(w, ch06._MIN_NORM_REF[key], atol=1e-10)


def test_ch06_ridge_and_lasso_references_against_sklearn():
    from sklearn.linear_model import Lasso, Ridge

    ridge = Ridge(alpha=1.0, fit_intercept=False).fit(np.eye(2), [1.0, 2.0]).coef_
    np.testing.assert_allclose(ridge, ch06._RIDGE_REF["ridge"], atol=1e-12)
    for case in ch06._LASSO_CASES:
        X, y, alpha = case.args
        sk = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(X, y).coef_
        np.testing.assert_allclose(ch06._ref_lasso_ista(X, y, alpha, **case.kwargs), sk, atol=1e-7)


def test_ch06_weight_decay_steps_against_torch_optim():
    def one_step(opt_cls, **kw):
        w = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        opt = opt_cls([w], lr=0.1, weight_decay=0.01, **kw)
        w.grad = torch.tensor([0.5], dtype=torch.float64)
        opt.step()
        return float(w.detach())

    assert math.isclose(one_step(torch.optim.SGD), ch06._WD_REF["sgd_l2"], rel_tol=1e-12)
    assert math.isclose(one_step(torch.optim.Adam), ch06._WD_REF["adam_l2"], rel_tol=1e-12)
    assert math.isclose(one_step(torch.optim.AdamW), ch06._WD_REF["adamw"], rel_tol=1e-12)


def test_ch06_modified_loss_and_early_stopping_factors():
    a, eta = 2.0, 0.1
    theta = 1.7
    l_gd = 0.5 * a * theta**2 + eta / 4 * (a * theta) ** 2
    assert math.isclose(l_gd / theta**2, ch06._ML_REF["coefficient"], rel_tol=1e-12)
    lam, w = 0.01, 0.0
    for _ in range(100):  # GD from 0 on ½λ(w − 1)²
        w -= eta * lam * (w - 1.0)
    assert math.isclose(w, ch06._ML_REF["early_stopping_factor"], rel_tol=1e-12)


def test_ch06_label_smoothing_reference_against_torch():
    import torch.nn.functional as F

    logits = torch.tensor([[2.0, 1.0, 0.1, -1.0]], dtype=torch.float64)
    ce = F.cross_entropy(logits, torch.tensor([0]), label_smoothing=0.1)
    assert math.isclose(float(ce), ch06._LS_REF["smoothed_ce"], rel_tol=1e-12)
    rng = np.random.default_rng(1)
    w, X, eps = rng.normal(size=3), rng.normal(size=(200_000, 3)), 0.3 * rng.normal(size=(200_000, 3))
    extra = np.mean(((X + eps) @ w) ** 2 - (X @ w) ** 2)
    assert abs(extra - ch06._LS_REF["input_noise_factor"] * w @ w) < 0.01


def test_ch06_ensemble_reference_by_monte_carlo():
    rng = np.random.default_rng(2)
    for c, key in ((0.5, "mse_c05"), (0.3, "mse_c03")):
        cov = np.full((10, 10), c) + (1 - c) * np.eye(10)
        err = rng.multivariate_normal(np.zeros(10), cov, size=200_000).mean(axis=1)
        assert abs(np.mean(err**2) - ch06._ENS_REF[key]) < 0.01
    draws = rng.integers(0, 1000, size=(2000, 1000))
    unique = np.mean([len(np.unique(d)) / 1000 for d in draws])
    assert abs(unique - ch06._ENS_REF["unique_fraction"]) < 0.002


def test_ch06_nwgm_reference_by_enumerating_masks():
    w = np.array([1.0, -2.0])
    masks = np.array(list(itertools.product([0.0, 1.0], repeat=2)))
    s = masks @ w
    out = 1 / (1 + np.exp(-s))
    g, g_c = np.prod(out**0.25), np.prod((1 - out) ** 0.25)
    assert math.isclose(g / (g + g_c), ch06._DF_FACTS_REF["nwgm"], rel_tol=1e-12)
    assert math.isclose(np.mean(out), 0.404801, abs_tol=1e-6)
    assert math.isclose(ch06._nwgm_with_arith_complement(), 0.355995, abs_tol=1e-6)


def test_ch06_dropout_checker_accepts_torch_and_library_dropout():
    import torch.nn.functional as F

    from dlnotes import nn

    class TorchDropout(nn.Module):
        def __init__(self, p=0.5, rng=None):
            super().__init__()
            self.p, self.gen = p, torch.Generator().manual_seed(int(rng))

        def forward(self, x):
            if not self.training:
                return np.array(x, dtype=float)
            ones = torch.ones(np.shape(x), dtype=torch.float64)
            torch.manual_seed(int(torch.randint(0, 2**31, (1,), generator=self.gen)))
            self.scale = F.dropout(ones, self.p, training=True).numpy()
            return np.asarray(x) * self.scale

        def backward(self, grad_output):
            return np.asarray(grad_output) * self.scale

    assert grade("06.dropout", TorchDropout).passed
    assert grade("06.dropout", nn.Dropout).passed


def test_ch06_batchnorm_references_against_torch():
    for case in ch06._BN_CASES:
        dy, x, gamma = case.args
        xt = torch.tensor(x, requires_grad=True)
        gt = torch.tensor(gamma, requires_grad=True)
        bt = torch.zeros(len(gamma), dtype=torch.float64, requires_grad=True)
        y = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=case.kwargs["eps"])
        y.backward(torch.tensor(dy))
        for ours, theirs in zip(ch06._ref_bn_backward(dy, x, gamma, **case.kwargs), (xt.grad, gt.grad, bt.grad)):
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-8, atol=1e-10)
    bn = torch.nn.BatchNorm1d(1, dtype=torch.float64)
    bn(torch.tensor([[1.0], [2.0], [3.0], [4.0]], dtype=torch.float64))
    assert math.isclose(float(bn.running_mean), ch06._BN_RUN_REF["running_mean"], rel_tol=1e-12)
    assert math.isclose(float(bn.running_var), ch06._BN_RUN_REF["running_var"], rel_tol=1e-12)
    bn.eval()
    out = float(bn(torch.tensor([[2.0]], dtype=torch.float64)).detach())
    assert math.isclose(out, ch06._BN_RUN_REF["eval_output"], rel_tol=1e-12)


def test_ch06_imbalance_references_against_sklearn():
    from sklearn.metrics import balanced_accuracy_score, f1_score, precision_score, recall_score
    from sklearn.utils.class_weight import compute_class_weight

    b = np.array(ch06._IMB_REF["softmax_bias"])
    np.testing.assert_allclose(np.exp(b) / np.exp(b).sum(), ch06._COUNTS / ch06._COUNTS.sum(), rtol=1e-12)
    assert math.isclose(1 / (1 + math.exp(-ch06._IMB_REF["sigmoid_bias"])), 10 / 1000, rel_tol=1e-12)
    y = np.repeat(np.arange(6), ch06._COUNTS.astype(int))
    assert math.isclose(compute_class_weight("balanced", classes=np.arange(6), y=y)[3], ch06._IMB_REF["balanced_weight"], rel_tol=1e-12)
    y_true = np.r_[np.ones(10), np.zeros(990)]
    majority = np.zeros(1000)
    flagged = np.r_[np.ones(8), np.zeros(2), np.ones(22), np.zeros(968)]
    ref = ch06._MET_REF
    assert math.isclose(np.mean(majority == y_true), ref["majority_accuracy"])
    assert recall_score(y_true, majority, zero_division=0) == ref["majority_recall"]
    assert balanced_accuracy_score(y_true, majority) == ref["majority_balanced_accuracy"]
    assert math.isclose(precision_score(y_true, flagged), ref["precision"], rel_tol=1e-12)
    assert math.isclose(recall_score(y_true, flagged), ref["recall"], rel_tol=1e-12)
    assert math.isclose(f1_score(y_true, flagged), ref["f1"], rel_tol=1e-12)


def test_ch06_smote_reference_matches_the_library_properties():
    from dlnotes import regularization as reg

    run = ch06._smote_runner(lambda X, n_new, k, rng: reg.smote(X, n_new, k=k, rng=rng))
    summary = run(12, 2, 40, 3, 80)
    assert summary["points_between_a_point_and_one_of_its_k_neighbours"] == 40
    assert summary["points_copied_from_the_data"] == 0


def test_ch06_class_stubs_as_written_in_the_book_are_not_implemented():
    from dlnotes import nn

    class MyDropout(nn.Module):
        def __init__(self, p=0.5, rng=None):
            super().__init__()
            self.p = p
            self.rng = np.random.default_rng(rng)
            self.mask = None

        def forward(self, x):
            ...  # your code here

        def backward(self, grad_output):
            ...  # your code here

    class MyEarlyStopping:
        def __init__(self, patience, min_delta=0.0):
            ...  # your code here

        def step(self, value, params=None):
            ...  # your code here

    for ex_id, answer in (("06.dropout", MyDropout), ("06.early_stopping", MyEarlyStopping)):
        result = grade(ex_id, answer)
        assert result.not_implemented, result.message


# ---------------------------------------------------------------------------------- chapter 7

from dlnotes.exercises import ch07  # noqa: E402

TF = torch.nn.functional


def test_ch07_conv_matrix_reference_against_torch():
    for case in [ch07._cm_case(2, 4, 1), ch07._cm_case(3, 6, 3)]:
        kernel, n = case.args
        x = np.random.default_rng(0).normal(size=(n, n))
        want = TF.conv2d(torch.tensor(x)[None, None], torch.tensor(kernel)[None, None])[0, 0].numpy().ravel()
        np.testing.assert_allclose(ch07._ref_conv_matrix(kernel, n) @ x.ravel(), want, atol=1e-12)
    assert ch07._ref_conv_matrix(np.ones((2, 2)), 4).shape == (9, 16)


def test_ch07_output_sizes_against_torch_conv_shapes():
    from dlnotes.exercises import registry

    for case in registry()["07.conv_output_size"].cases:
        n, k, s, p, *d = case.args
        d = d[0] if d else 1
        out = TF.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
        assert out.shape[-1] == ch07._ref_out_size(*case.args)


def test_ch07_parameter_and_mac_counts_against_torch_modules():
    nn = torch.nn

    def count(m):
        return sum(p.numel() for p in m.parameters())

    assert count(nn.Conv2d(3, 96, 11)) == ch07._PC_REF["alexnet_conv1"]
    assert count(nn.Conv2d(64, 64, 5)) == ch07._PC_REF["one_5x5"]
    assert count(nn.Sequential(nn.Conv2d(64, 64, 3), nn.Conv2d(64, 64, 3))) == ch07._PC_REF["two_3x3"]
    assert count(nn.Sequential(nn.Conv2d(64, 64, 3, groups=64), nn.Conv2d(64, 128, 1))) == ch07._PC_REF["separable"]
    lenet = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5), nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10))
    assert count(lenet) == ch07._AC_REF["lenet5_params"]
    assert count(nn.Conv2d(192, 16, 1)) == ch07._AC_REF["reduction_params"]

    def macs(conv, hw):  # one multiply-add per weight use
        return hw * hw * conv.weight.numel()

    assert macs(nn.Conv2d(192, 32, 5, padding=2), 28) == ch07._AC_REF["inception_direct_macs"]
    assert macs(nn.Conv2d(192, 16, 1), 28) + macs(nn.Conv2d(16, 32, 5, padding=2), 28) == ch07._AC_REF["inception_bottleneck_macs"]


def _gradient_support(layers, size=41):
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    y = x
    for layer in layers:
        y = layer(y)
    c = y.shape[-1] // 2
    y[0, 0, c, c].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).ravel()
    return int(rows.max() - rows.min() + 1)


def test_ch07_receptive_fields_by_gradient_support():
    def conv(s=1, d=1):
        c = torch.nn.Conv2d(1, 1, 3, stride=s, dilation=d, bias=False)
        torch.nn.init.constant_(c.weight, 1.0)
        return c

    assert _gradient_support([conv(), conv(), conv()]) == ch07._RF_REF["three_3x3"]
    assert _gradient_support([conv(s=2), conv()]) == ch07._RF_REF["s2_then_s1"]
    assert _gradient_support([conv(d=1), conv(d=2), conv(d=4)]) == ch07._RF_REF["dilated_124"]
    # with average pooling every covered pixel gets gradient, so the support is the full field
    assert _gradient_support([conv(), torch.nn.AvgPool2d(2, 2), conv()], size=40) == ch07._RF_REF["conv_pool_conv"]


def test_ch07_conv_im2col_and_maxpool_references_against_torch():
    for case in ch07._CN_CASES:
        x, w, b = case.args
        want = TF.conv2d(torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b), **case.kwargs)
        np.testing.assert_allclose(ch07._ref_conv2d_naive(x, w, b, **case.kwargs), want.numpy(), atol=1e-10)
    for case in ch07._I2C_CASES:
        x, k = case.args
        want = TF.unfold(torch.tensor(x), k, stride=case.kwargs["stride"], padding=case.kwargs["padding"])
        np.testing.assert_allclose(ch07._ref_im2col(x, k, **case.kwargs), want.numpy(), atol=1e-12)
    for case in ch07._MP_CASES:
        g, x, k, s = case.args
        xt = torch.tensor(x, requires_grad=True)
        TF.max_pool2d(xt, k, s).backward(torch.tensor(g))
        np.testing.assert_allclose(ch07._ref_maxpool_backward(g, x, k, s), xt.grad.numpy(), atol=1e-12)


def test_ch07_transposed_sizes_and_interpolation_against_torch():
    sizes = [TF.conv_transpose2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, **kw).shape[-1]
             for n, k, s, kw in ((2, 3, 2, {}), (3, 4, 2, {}), (5, 3, 2, {"padding": 1, "output_padding": 1}))]
    assert sizes == ch07._TS_REF["torch_sizes"]
    counts = TF.conv_transpose1d(torch.ones(1, 1, 4), torch.ones(1, 1, 3), stride=2)[0, 0].tolist()
    assert counts == ch07._TS_REF["overlap_counts"]
    even = []
    for k, s in ((3, 2), (4, 2), (5, 2), (6, 3)):
        c = TF.conv_transpose1d(torch.ones(1, 1, 10), torch.ones(1, 1, k), stride=s)[0, 0]
        interior = c[k:-k]
        if bool(torch.all(interior == interior[0])):
            even.append([k, s])
    assert even == ch07._TS_REF["even_overlap"]
    img = torch.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    up_true = TF.interpolate(img, size=(3, 3), mode="bilinear", align_corners=True)[0, 0]
    up_false = TF.interpolate(img, size=(4, 4), mode="bilinear", align_corners=False)[0, 0]
    np.testing.assert_allclose(up_true.numpy(), ch07._INT_REF["align_true"], atol=1e-7)
    np.testing.assert_allclose(up_false[0].numpy(), ch07._INT_REF["align_false_row0"], atol=1e-7)


def test_ch07_gram_attribution_and_fgsm_references():
    F_ = torch.tensor(ch07._F)
    np.testing.assert_allclose(torch.einsum("ik,jk->ij", F_, F_).numpy(), ch07._GS_REF["gram"])
    x = torch.tensor(ch07._X, requires_grad=True)
    (torch.tensor(ch07._W) * x).sum().backward()
    np.testing.assert_allclose(x.grad.abs().numpy(), ch07._LA_REF["saliency"])
    w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    x0 = torch.tensor([0.3, 0.2, 0.1], dtype=torch.float64, requires_grad=True)
    loss = TF.binary_cross_entropy_with_logits(w @ x0, torch.tensor(1.0, dtype=torch.float64))
    (g,) = torch.autograd.grad(loss, x0)
    delta = 0.1 * g.sign()
    assert math.isclose(float(w @ delta), ch07._FL_REF["logit_change"], rel_tol=1e-12)
    assert math.isclose(float(delta.norm()), ch07._FL_REF["l2_norm"], rel_tol=1e-12)
    out = ch07._fgsm_runner(ch07._ref_fgsm)("cnn", 1, 0.05, 6)
    assert out["parameters_unchanged"] and out["no_parameter_gradients_left"]
    assert out["x_adv"].min() >= 0 and out["x_adv"].max() <= 1
