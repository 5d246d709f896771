"""Tests of dlnotes.regularization against scikit-learn, PyTorch, closed forms and Monte Carlo."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, softmax
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.class_weight import compute_class_weight

import dlnotes.nn as nn
from dlnotes.regularization import (
    EarlyStopping,
    bias_variance,
    class_weights,
    elastic_net,
    lasso,
    prior_bias,
    ridge,
    smooth_labels,
    smote,
    soft_threshold,
)

COUNTS = [332, 27, 21, 20, 5, 5]


@pytest.fixture
def rng():
    return np.random.default_rng(6)


def regression_data(rng, n=60, p=6, intercept=3.0, noise=0.5):
    X = rng.normal(size=(n, p)) @ np.diag(rng.uniform(0.5, 2.0, size=p)) + rng.normal(size=p)
    w = np.zeros(p)
    w[: max(1, p // 2)] = rng.choice([-2.0, -1.0, 1.0, 1.5], size=max(1, p // 2))
    y = X @ w + intercept + noise * rng.normal(size=n)
    return X, y


# --------------------------------------------------------------------------------------------
# ridge
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.01, 1.0, 30.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_equals_sklearn_ridge(rng, alpha, fit_intercept):
    X, y = regression_data(rng)
    coef, b = ridge(X, y, alpha, fit_intercept=fit_intercept)
    ref = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky").fit(X, y)
    np.testing.assert_allclose(coef, ref.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b, ref.intercept_, rtol=1e-10, atol=1e-12)
    assert isinstance(b, float)
    Y = np.c_[y, -2 * y + 1]
    coef2, b2 = ridge(X, Y, alpha, fit_intercept=fit_intercept)
    ref2 = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky").fit(X, Y)
    assert coef2.shape == (2, X.shape[1]) and np.shape(b2) == (2,)
    np.testing.assert_allclose(coef2, ref2.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b2, ref2.intercept_, rtol=1e-10, atol=1e-12)


def test_ridge_solves_the_normal_equations_and_worked_example(rng):
    X, y = regression_data(rng)
    alpha = 2.5
    coef, b = ridge(X, y, alpha)
    # gradient of ||y - Xw - b||^2 + alpha ||w||^2 vanishes in w and in b
    r = y - X @ coef - b
    np.testing.assert_allclose(-X.T @ r + alpha * coef, 0.0, atol=1e-9)
    assert abs(r.sum()) < 1e-9
    coef, b = ridge(np.eye(2), [1.0, 2.0], 1.0, fit_intercept=False)
    np.testing.assert_allclose(coef, [0.5, 1.0])
    assert b == 0.0


def test_ridge_alpha_zero_is_least_squares_and_shrinkage_is_lambda_over_lambda_plus_alpha(rng):
    X, y = regression_data(rng)
    coef, b = ridge(X, y, 0.0)
    ols = LinearRegression().fit(X, y)
    np.testing.assert_allclose(coef, ols.coef_, rtol=1e-9)
    np.testing.assert_allclose(b, ols.intercept_, rtol=1e-9)
    # eigenbasis of X^T X: ridge = lambda / (lambda + alpha) times OLS, componentwise
    alpha = 40.0
    lam, Q = np.linalg.eigh(X.T @ X)
    w_ols = np.linalg.lstsq(X, y, rcond=None)[0]
    w_ridge, _ = ridge(X, y, alpha, fit_intercept=False)
    np.testing.assert_allclose(Q.T @ w_ridge, lam / (lam + alpha) * (Q.T @ w_ols), rtol=1e-9)


def test_ridge_is_the_map_estimate_under_a_gaussian_prior(rng):
    # posterior mean of w ~ N(0, tau^2 I), y = Xw + N(0, sigma^2 I), by Gaussian conditioning
    X = rng.normal(size=(8, 12))  # more features than samples: the dual form is natural
    y = rng.normal(size=8)
    tau2, sigma2 = 0.7, 0.3
    post_mean = tau2 * X.T @ np.linalg.solve(tau2 * X @ X.T + sigma2 * np.eye(8), y)
    coef, _ = ridge(X, y, sigma2 / tau2, fit_intercept=False)
    np.testing.assert_allclose(coef, post_mean, rtol=1e-10)


def test_ridge_errors():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        ridge(X, np.ones(4), -1.0)
    with pytest.raises(ValueError, match="same number of samples"):
        ridge(X, np.ones(3), 1.0)
    with pytest.raises(ValueError, match="X must be 2-D"):
        ridge(np.ones(4), np.ones(4), 1.0)
    with pytest.raises(TypeError, match="fit_intercept"):
        ridge(X, np.ones(4), 1.0, fit_intercept="yes")
    with pytest.raises(ValueError, match="finite"):
        ridge(X, [1.0, np.nan, 1.0, 1.0], 1.0)


# --------------------------------------------------------------------------------------------
# soft thresholding, lasso, elastic net
# --------------------------------------------------------------------------------------------


def test_soft_threshold_closed_form_and_torch_softshrink():
    np.testing.assert_array_equal(soft_threshold([-3.0, 0.5, 2.0], 1.0), [-2.0, 0.0, 1.0])
    assert soft_threshold(-0.3, 0.5) == 0.0 and soft_threshold(2.5, 0.5) == 2.0
    z = np.linspace(-3, 3, 61)
    np.testing.assert_allclose(soft_threshold(z, 0.7), TF.softshrink(torch.tensor(z), 0.7).numpy(), atol=1e-15)
    np.testing.assert_allclose(soft_threshold(z, np.full_like(z, 0.7)), soft_threshold(z, 0.7))


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-1e4, 1e4), t=st.floats(0, 1e4))
def test_soft_threshold_is_the_l1_proximal_operator(z, t):
    w = soft_threshold(z, t)
    # optimality of 0.5 (w - z)^2 + t |w|: 0 in (w - z) + t * subgradient of |w|
    if w == 0:
        assert abs(z) <= t * (1 + 1e-12)
    else:
        assert np.sign(w) == np.sign(z)
        assert abs(w - z + t * np.sign(w)) <= 1e-9 * max(1.0, abs(z))


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.5])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lasso_matches_sklearn_lasso(rng, alpha, fit_intercept):
    X, y = regression_data(rng)
    coef, b = lasso(X, y, alpha, fit_intercept=fit_intercept)
    ref = Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(coef, ref.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(b, ref.intercept_, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(coef == 0, ref.coef_ == 0)  # same support
    # KKT: |x_j^T r / n| <= alpha, with equality where w_j != 0
    r = y - X @ coef - b
    corr = X.T @ r / len(y)
    assert np.all(np.abs(corr) <= alpha + 1e-8)
    np.testing.assert_allclose(corr[coef != 0], alpha * np.sign(coef[coef != 0]), atol=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lasso_zeroes_every_coefficient_beyond_alpha_max(rng, fit_intercept):
    X, y = regression_data(rng)
    Xc, yc = (X - X.mean(0), y - y.mean()) if fit_intercept else (X, y)
    alpha_max = np.max(np.abs(Xc.T @ yc)) / len(y)
    coef, b = lasso(X, y, 1.01 * alpha_max, fit_intercept=fit_intercept)
    ref = Lasso(alpha=1.01 * alpha_max, fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_array_equal(coef, 0.0)
    np.testing.assert_array_equal(ref.coef_, 0.0)
    assert b == pytest.approx(y.mean() if fit_intercept else 0.0, abs=1e-12)
    coef, _ = lasso(X, y, 0.99 * alpha_max, fit_intercept=fit_intercept)
    assert np.count_nonzero(coef) >= 1


@pytest.mark.parametrize("l1_ratio", [0.0, 0.3, 1.0])
def test_elastic_net_matches_sklearn(rng, l1_ratio):
    X, y = regression_data(rng)
    coef, b = elastic_net(X, y, 0.2, l1_ratio=l1_ratio)
    ref = ElasticNet(alpha=0.2, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(coef, ref.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(b, ref.intercept_, rtol=0, atol=1e-6)
    if l1_ratio == 1.0:
        np.testing.assert_allclose(coef, lasso(X, y, 0.2)[0], atol=1e-12)
    if l1_ratio == 0.0:  # pure L2 on the mean loss: ridge with alpha * n
        np.testing.assert_allclose(coef, ridge(X, y, 0.2 * len(y))[0], atol=1e-8)


def test_lasso_warns_when_not_converged_and_validates(rng):
    X, y = regression_data(rng)
    with pytest.warns(UserWarning, match="did not converge"):
        lasso(X, y, 0.01, max_iter=1)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        lasso(X, y, -0.1)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        lasso(X, y, 0.1, max_iter=0)
    with pytest.raises(ValueError, match="tol must be > 0"):
        lasso(X, y, 0.1, tol=0.0)
    with pytest.raises(ValueError, match="y must be 1-D"):
        lasso(X, np.c_[y, y], 0.1)
    with pytest.raises(ValueError, match="l1_ratio must be in"):
        elastic_net(X, y, 0.1, l1_ratio=1.5)
    with pytest.raises(ValueError, match="t must be >= 0"):
        soft_threshold([1.0], -1.0)


# --------------------------------------------------------------------------------------------
# bias-variance
# --------------------------------------------------------------------------------------------


def poly_fit(degree):
    return lambda x, y: np.polynomial.polynomial.polyfit(x, y, degree)


def poly_predict(coef, x):
    return np.polynomial.polynomial.polyval(x, coef)


def sine(x):
    return np.sin(2 * np.pi * x)


@pytest.mark.parametrize("degree", [1, 3, 9])
def test_bias_variance_sums_to_the_monte_carlo_test_mse(degree):
    x_test = np.linspace(0.05, 0.95, 15)
    res = bias_variance(poly_fit(degree), poly_predict, sine, x_test, noise_std=0.3, n_train=20,
                        n_datasets=1500, rng=degree)  # fmt: skip
    f = sine(x_test)
    # exact identity on the simulated predictions (ddof = 0)
    np.testing.assert_allclose(((res.predictions - f) ** 2).mean(axis=0), res.bias2 + res.variance, rtol=1e-10)
    np.testing.assert_allclose(res.noise, 0.09)
    # independent estimate with fresh test noise: sd of a mean over points <= mean of the sds
    assert abs(res.test_mse.mean() - res.total.mean()) < 5 * res.test_mse_se.mean()
    b2, var, noise = res  # unpacks as (bias2, variance, noise)
    assert b2 is res.bias2 and var is res.variance and noise is res.noise


def test_bias_variance_u_shape_in_degree():
    x_test = np.linspace(0.05, 0.95, 15)
    totals = {
        d: bias_variance(poly_fit(d), poly_predict, sine, x_test, 0.3, 20, 300, rng=0).total.mean()
        for d in (0, 3, 9)
    }
    assert totals[3] < totals[0] and totals[3] < totals[9]


def test_bias_variance_ols_closed_form_on_a_fixed_design():
    # y = 1 + 2x + N(0, 1) on the design x = 0, 1, 2, 3; correct linear model: no bias,
    # variance sigma^2 x0^T (X^T X)^{-1} x0 = 0.25 at x0 = 1.5 and 2.7 at x0 = 5
    design = np.arange(4.0)
    D = 6000
    res = bias_variance(poly_fit(1), poly_predict, lambda x: 1 + 2 * x, np.array([1.5, 5.0]), noise_std=1.0,
                        n_train=4, n_datasets=D, rng=3, x_sampler=lambda n, g: design)  # fmt: skip
    want = np.array([0.25, 2.7])
    se_var = want * np.sqrt(2 / (D - 1))  # sd of a sample variance of normal predictions
    assert np.all(np.abs(res.variance - want) < 5 * se_var)
    assert np.all(np.abs(res.mean_prediction - (1 + 2 * np.array([1.5, 5.0]))) < 5 * np.sqrt(want / D))


def test_bias_variance_of_the_sample_mean_is_sigma2_over_n():
    D = 5000
    res = bias_variance(lambda x, y: y.mean(), lambda m, x: np.full(len(x), m), lambda x: np.zeros(len(x)),
                        np.array([0.0]), noise_std=2.0, n_train=10, n_datasets=D, rng=1)  # fmt: skip
    assert abs(res.variance[0] - 0.4) < 5 * 0.4 * np.sqrt(2 / (D - 1))


def test_bias_variance_errors():
    args = (poly_fit(1), poly_predict, sine, np.linspace(0, 1, 5))
    with pytest.raises(ValueError, match="noise_std must be >= 0"):
        bias_variance(*args, noise_std=-1.0, n_train=5, n_datasets=3)
    with pytest.raises(ValueError, match="n_datasets must be >= 2"):
        bias_variance(*args, noise_std=1.0, n_train=5, n_datasets=1)
    with pytest.raises(TypeError, match="fit must be callable"):
        bias_variance(None, *args[1:], noise_std=1.0, n_train=5, n_datasets=3)
    with pytest.raises(ValueError, match=r"predict\(model, x_test\) must have shape"):
        bias_variance(args[0], lambda m, x: np.zeros(3), *args[2:], noise_std=1.0, n_train=5, n_datasets=3)
    with pytest.raises(TypeError, match="rng"):
        bias_variance(*args, noise_std=1.0, n_train=5, n_datasets=3, rng="x")


# --------------------------------------------------------------------------------------------
# early stopping
# --------------------------------------------------------------------------------------------

CURVE = [1.0, 0.8, 0.7, 0.72, 0.71, 0.75, 0.69]


def stop_index(es, values):
    """Feed values until step() says stop; return that 0-based step (None if it never stops)."""
    for i, v in enumerate(values):
        if es.step(v):
            return i
    return None


def test_early_stopping_on_a_scripted_curve_restores_the_best_parameters():
    es = EarlyStopping(patience=3)
    params = [nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros((2, 2)))]
    decisions = []
    for step, value in enumerate(CURVE):
        for p in params:
            p.data[...] = step  # mutated in place every step
        decisions.append(es.step(value, params))
        if decisions[-1]:
            break
    assert decisions == [False, False, False, False, False, True]  # stops after step 5
    assert es.best_step == 2 and es.best_value == 0.7 and es.counter == 3 and es.stopped
    assert es.history == CURVE[:6]
    assert all(np.all(saved == 2) for saved in es.best_params)  # copies, not references
    es.restore(params)
    assert all(np.all(p.data == 2) for p in params)


def test_early_stopping_mode_max_mirrors_mode_min():
    es = EarlyStopping(patience=3, mode="max")
    assert stop_index(es, [-v for v in CURVE]) == 5 and es.best_step == 2 and es.best_value == -0.7


def test_early_stopping_min_delta_ignores_tiny_improvements():
    es = EarlyStopping(patience=3, min_delta=0.01)
    assert stop_index(es, [1.0, 0.999, 0.995, 0.992, 0.98]) == 3 and es.best_step == 0
    es = EarlyStopping(patience=3)  # without min_delta the same curve keeps improving
    assert stop_index(es, [1.0, 0.999, 0.995, 0.992, 0.98]) is None and es.best_step == 4
    es = EarlyStopping(patience=3, min_delta=0.01)
    assert stop_index(es, [1.0, 0.98, 0.975, 0.97]) is None and es.best_step == 1 and es.counter == 2
    # patience=1 is "stop at the first non-improvement"
    assert stop_index(EarlyStopping(patience=1), [1.0, 0.9, 0.95, 0.8]) == 2


def test_early_stopping_nan_never_improves():
    es = EarlyStopping(patience=2)
    assert [es.step(v) for v in [float("nan"), 1.0, float("nan"), np.float64(np.inf)]] == [False, False, False, True]
    assert es.best_step == 1


def test_early_stopping_saves_module_state_including_buffers_and_torch_objects(rng):
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.BatchNorm1d(2))
    es = EarlyStopping(patience=2)
    es.step(0.5, model)
    saved = copy.deepcopy(model.state_dict())
    model(rng.normal(size=(8, 3)))  # changes the running statistics
    model[0].weight.data += 1.0
    es.step(0.6, model)
    es.restore(model)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, saved[k], err_msg=k)
    tmodel = torch.nn.Linear(2, 1)
    es = EarlyStopping(patience=2)
    es.step(1.0, tmodel)
    w0 = tmodel.weight.detach().clone()
    with torch.no_grad():
        tmodel.weight += 1
    es.restore(tmodel)
    assert torch.equal(tmodel.weight, w0)
    t = torch.zeros(3)
    es = EarlyStopping(patience=2)
    es.step(torch.tensor(0.3), [t])
    t += 5
    es.restore([t])
    assert torch.equal(t, torch.zeros(3))


def test_early_stopping_errors():
    with pytest.raises(ValueError, match="patience must be >= 1"):
        EarlyStopping(0)
    with pytest.raises(ValueError, match="mode must be one of"):
        EarlyStopping(2, mode="avg")
    with pytest.raises(ValueError, match="min_delta must be >= 0"):
        EarlyStopping(2, min_delta=-0.1)
    es = EarlyStopping(2)
    with pytest.raises(TypeError, match="value must be a real number"):
        es.step("low")
    es.step(1.0)
    with pytest.raises(RuntimeError, match="no parameters were saved"):
        es.restore([nn.Parameter([1.0])])
    es.step(0.5, [nn.Parameter([1.0])])
    with pytest.raises(ValueError, match="must have 1 entries"):
        es.restore([nn.Parameter([1.0]), nn.Parameter([2.0])])
    with pytest.raises(ValueError, match="shape"):
        es.restore([nn.Parameter([1.0, 2.0])])
    with pytest.raises(TypeError, match="params"):
        EarlyStopping(2).step(0.1, [object()])


# --------------------------------------------------------------------------------------------
# label smoothing
# --------------------------------------------------------------------------------------------


def ce_with_targets(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-(targets * logp).sum(axis=1).mean())


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.35, 1.0])
@pytest.mark.parametrize("K", [2, 5])
def test_smooth_labels_cross_entropy_equals_torch_label_smoothing(rng, eps, K):
    logits = rng.normal(scale=3.0, size=(12, K))
    y = rng.integers(K, size=12)
    ours = ce_with_targets(logits, smooth_labels(y, K, eps))
    want = TF.cross_entropy(torch.tensor(logits), torch.tensor(y), label_smoothing=eps).item()
    assert ours == pytest.approx(want, rel=1e-12, abs=1e-12)
    probs = softmax(rng.normal(size=(12, K)), axis=1)  # soft targets, as torch smooths them
    want = TF.cross_entropy(torch.tensor(logits), torch.tensor(probs), label_smoothing=eps).item()
    assert ce_with_targets(logits, smooth_labels(probs, K, eps)) == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_smooth_labels_worked_values_and_conventions():
    t = smooth_labels([0], 4, 0.1)
    np.testing.assert_allclose(t, [[0.925, 0.025, 0.025, 0.025]])
    np.testing.assert_allclose(smooth_labels([0], 4, 0.1, convention="goodfellow"), [[0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3]])
    y = [2, 0, 1]
    np.testing.assert_allclose(
        smooth_labels(y, 4, 0.2, convention="goodfellow"), smooth_labels(y, 4, 0.2 * 4 / 3), atol=1e-15
    )
    logits = np.array([[2.0, 1.0, 0.1, -1.0]])
    assert ce_with_targets(logits, smooth_labels([0], 4, 0.1)) == pytest.approx(0.596813, abs=1e-6)
    assert ce_with_targets(logits, smooth_labels([0], 4, 0.0)) == pytest.approx(0.449313, abs=1e-6)
    np.testing.assert_allclose(smooth_labels(np.array([1.0, 0.0]), 2, 0.5).sum(axis=1), 1.0)


def test_smooth_labels_errors():
    with pytest.raises(ValueError, match="eps must be in"):
        smooth_labels([0], 3, 1.5)
    with pytest.raises(ValueError, match=r"class indices in \[0, n_classes\)"):
        smooth_labels([0, 3], 3, 0.1)
    with pytest.raises(ValueError, match="integer class indices"):
        smooth_labels([0.5], 3, 0.1)
    with pytest.raises(ValueError, match="convention must be one of"):
        smooth_labels([0], 3, 0.1, convention="keras")
    with pytest.raises(ValueError, match="n_classes >= 2"):
        smooth_labels([0], 1, 0.1, convention="goodfellow")
    with pytest.raises(ValueError, match=r"shape \(N, n_classes\)"):
        smooth_labels(np.ones((2, 4)) / 4, 3, 0.1)


# --------------------------------------------------------------------------------------------
# class weights, prior bias, SMOTE
# --------------------------------------------------------------------------------------------


def test_class_weights_inverse_is_proportional_to_sklearn_balanced():
    y = np.repeat(np.arange(len(COUNTS)), COUNTS)
    balanced = compute_class_weight("balanced", classes=np.arange(len(COUNTS)), y=y)
    w = class_weights(COUNTS, "inverse")
    np.testing.assert_allclose(w / balanced, (w / balanced)[0], rtol=1e-12)
    assert w.sum() == pytest.approx(len(COUNTS))
    N, K = sum(COUNTS), len(COUNTS)
    np.testing.assert_allclose(N / K * class_weights(COUNTS, "inverse", normalize=False), balanced, rtol=1e-12)
    np.testing.assert_allclose(balanced[3], 410 / (6 * 20), rtol=1e-12)  # 3.41667
    for normalize in (True, False):  # "balanced" is sklearn's, never renormalised
        np.testing.assert_allclose(class_weights(COUNTS, "balanced", normalize=normalize), balanced, rtol=1e-12)


def test_class_weights_effective_number_and_inverse_sqrt():
    n = np.array(COUNTS, dtype=float)
    np.testing.assert_allclose(class_weights(COUNTS, "effective", beta=0.9), [0.652, 0.692, 0.732, 0.742, 1.591, 1.591],
                               atol=5e-4)  # fmt: skip
    raw = class_weights(COUNTS, "effective", beta=0.99, normalize=False)
    np.testing.assert_allclose(raw, (1 - 0.99) / (1 - 0.99**n), rtol=1e-12)
    np.testing.assert_allclose(class_weights(COUNTS, "effective", beta=0.0), 1.0)
    near_one = class_weights(COUNTS, "effective", beta=1 - 1e-9)
    np.testing.assert_allclose(near_one, class_weights(COUNTS, "inverse"), rtol=1e-6)
    np.testing.assert_allclose(class_weights(COUNTS, "inverse_sqrt", normalize=False), 1 / np.sqrt(n))
    assert class_weights(COUNTS, "inverse_sqrt").sum() == pytest.approx(6)


def test_prior_bias_gives_the_class_frequencies_and_the_prior_entropy_as_initial_loss():
    b = prior_bias(COUNTS)
    p = np.array(COUNTS) / sum(COUNTS)
    np.testing.assert_allclose(softmax(b), p, rtol=1e-12)
    np.testing.assert_allclose(b, [-0.2110, -2.7203, -2.9716, -3.0204, -4.4067, -4.4067], atol=5e-5)
    y = torch.tensor(np.repeat(np.arange(6), COUNTS))
    loss = TF.cross_entropy(torch.tensor(b).expand(len(y), 6), y).item()
    assert loss == pytest.approx(-(p * np.log(p)).sum(), rel=1e-12)  # 0.757044 < log 6
    assert loss == pytest.approx(0.757044, abs=1e-6)
    s = prior_bias([990, 10], kind="sigmoid")
    assert s == pytest.approx(-4.5951, abs=1e-4) and expit(s) == pytest.approx(10 / 1000, rel=1e-12)


def test_class_weights_and_prior_bias_errors():
    with pytest.raises(ValueError, match="counts must all be > 0"):
        class_weights([3, 0])
    with pytest.raises(ValueError, match="scheme must be one of"):
        class_weights([3, 1], scheme="sqrt")
    with pytest.raises(ValueError, match=r"beta must be in \[0, 1\)"):
        class_weights([3, 1], "effective", beta=1.0)
    with pytest.raises(ValueError, match="counts must be 1-D"):
        prior_bias([[1, 2]])
    with pytest.raises(ValueError, match="counts must all be > 0"):
        prior_bias([5, 0])
    with pytest.raises(ValueError, match="n_neg, n_pos"):
        prior_bias([1, 2, 3], kind="sigmoid")


@pytest.mark.parametrize("k", [1, 3, 5])
def test_smote_points_lie_on_segments_to_one_of_the_k_nearest_minority_neighbours(rng, k):
    X = rng.normal(size=(25, 3))
    X_new, base, nb, lam = smote(X, 200, k=k, rng=0, return_indices=True)
    assert X_new.shape == (200, 3)
    knn = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X, return_distance=False)[:, 1:]  # drop self
    assert all(nb[i] in knn[base[i]] for i in range(200))
    assert np.all((lam >= 0) & (lam < 1))
    np.testing.assert_allclose(X_new, X[base] + lam[:, None] * (X[nb] - X[base]), atol=1e-12)
    # without the indices: each point is on some segment (x_i, x_j), j among i's k neighbours
    for x in smote(X, 40, k=k, rng=1):
        found = False
        for i in range(len(X)):
            d = X[knn[i]] - X[i]
            t = (d @ (x - X[i])) / np.einsum("ij,ij->i", d, d)
            resid = np.linalg.norm(X[i] + t[:, None] * d - x, axis=1)
            if np.any((resid < 1e-10) & (t >= -1e-12) & (t < 1)):
                found = True
                break
        assert found


def test_smote_is_reproducible_and_validates(rng):
    X = rng.normal(size=(6, 2))
    np.testing.assert_array_equal(smote(X, 10, k=2, rng=4), smote(X, 10, k=2, rng=4))
    assert smote(X, 0, rng=0).shape == (0, 2)
    with pytest.raises(ValueError, match="k must be at most n_minority - 1 = 5"):
        smote(X, 10, k=6)
    with pytest.raises(ValueError, match="at least 2 points"):
        smote(X[:1], 10, k=1)
    with pytest.raises(ValueError, match="n_new must be >= 0"):
        smote(X, -1)
    with pytest.raises(ValueError, match="X_minority must be 2-D"):
        smote(X[0], 3)


def test_public_api_is_documented():
    import dlnotes.regularization as R

    for name in R.__all__:
        assert getattr(R, name).__doc__, name


def test_early_stopping_is_frozen_after_the_stop_signal():
    es = EarlyStopping(patience=2)
    params = [np.zeros(1)]
    for t, v in enumerate([1.0, 2.0, 3.0]):
        params[0][:] = t
        stop = es.step(v, params)
    assert stop and es.best_step == 0
    params[0][:] = 99
    assert es.step(0.1, params) is True  # a late improvement does not move the checkpoint
    assert es.best_step == 0 and es.best_value == 1.0 and es.history[-1] == 0.1
    es.restore(params)
    np.testing.assert_array_equal(params[0], [0.0])
