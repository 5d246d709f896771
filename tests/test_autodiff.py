"""Tests for dlnotes.autodiff (chapter 04, "Automatic differentiation").

Oracles: PyTorch autograd and ``torch.func`` (jvp, vjp, jacfwd, jacrev) in float64 on the same
expressions, closed-form derivatives written out here, and central finite differences from
``dlnotes.numerics.numerical_gradient``. The engines are never their own oracle.
"""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import torch
import torch.func as tf
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlnotes import autodiff as A
from dlnotes.autodiff import Dual, Value, derivative, grad, jacobian, jvp, maximum, vjp
from dlnotes.numerics import numerical_gradient

F64 = torch.float64

# torch.func's first use triggers an internal torch.jit.script call that warns; not our code.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


def T(x: float, requires_grad: bool = True) -> torch.Tensor:
    return torch.tensor(float(x), dtype=F64, requires_grad=requires_grad)


# The same expression written once and evaluated with either library: L provides the functions.
OURS = types.SimpleNamespace(
    exp=A.exp, log=A.log, sin=A.sin, cos=A.cos, tanh=A.tanh, sigmoid=A.sigmoid, relu=A.relu, maximum=A.maximum
)
TORCH = types.SimpleNamespace(
    exp=torch.exp, log=torch.log, sin=torch.sin, cos=torch.cos, tanh=torch.tanh,
    sigmoid=torch.sigmoid, relu=torch.relu, maximum=torch.maximum,
)


def torch_maximum(a, b):
    """torch.maximum accepting Python floats for either argument."""
    a = a if isinstance(a, torch.Tensor) else torch.tensor(float(a), dtype=F64)
    b = b if isinstance(b, torch.Tensor) else torch.tensor(float(b), dtype=F64)
    return torch.maximum(a, b)


TORCH.maximum = torch_maximum


# ---------------------------------------------------------------------------------------------
# Value: worked examples from the chapter
# ---------------------------------------------------------------------------------------------


def sanity_expression(x, L):
    z = 2 * x + 2 + x
    q = L.relu(z) + z * x
    h = L.relu(z * z)
    return h + q + q * x


def test_sanity_expression_value_and_gradient_match_worked_numbers_and_torch():
    x = Value(-4.0)
    y = sanity_expression(x, OURS)
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0
    xt = T(-4.0)
    yt = sanity_expression(xt, TORCH)
    yt.backward()
    assert y.data == pytest.approx(yt.item(), abs=1e-12)
    assert x.grad == pytest.approx(xt.grad.item(), abs=1e-12)


def test_fan_out_gradients_add_up():
    x = Value(3.0)
    f = x * x + x
    f.backward()
    assert f.data == 12.0
    assert x.grad == 7.0  # 2x + 1, not 2x or 1


def test_gate_example_add_distributes_multiply_swaps_max_routes():
    x, y, z, w = (Value(v) for v in (-2.0, 5.0, 4.0, 1.0))
    f = (x + y) * maximum(z, w)
    f.backward()
    assert f.data == 12.0
    assert (x.grad, y.grad, z.grad, w.grad) == (4.0, 4.0, 3.0, 0.0)
    ts = [T(v) for v in (-2.0, 5.0, 4.0, 1.0)]
    ((ts[0] + ts[1]) * torch.maximum(ts[2], ts[3])).backward()
    assert [t.grad.item() for t in ts] == [4.0, 4.0, 3.0, 0.0]


# ---------------------------------------------------------------------------------------------
# Value vs torch on random expression graphs
# ---------------------------------------------------------------------------------------------


def _random_graph(rng: np.random.Generator, leaves: list, L, data_of, n_ops: int = 40):
    """Build a random expression; operands are drawn from *all* earlier nodes, so many are reused.

    Domains are kept safe by construction (log of x^2 + 1, division by y^2 + 1, ...) and large
    values are squashed with tanh; the decisions depend on the random stream and on the node
    values only, so both libraries build the same graph.
    """
    nodes = list(leaves)
    for _ in range(n_ops):
        a = nodes[rng.integers(len(nodes))]
        b = nodes[rng.integers(len(nodes))]
        c = float(rng.uniform(-2, 2))
        op = rng.integers(16)
        if op == 0:
            out = a + b
        elif op == 1:
            out = a - b
        elif op == 2:
            out = a * b
        elif op == 3:
            out = a / (b * b + 1.0)
        elif op == 4:
            out = (a * a + 0.5) ** float(rng.uniform(-1.5, 2.5))
        elif op == 5:
            out = L.exp(L.tanh(a))
        elif op == 6:
            out = L.log(a * a + 1.0)
        elif op == 7:
            out = L.tanh(a)
        elif op == 8:
            out = L.sigmoid(a * c)
        elif op == 9:
            out = L.relu(a + c)
        elif op == 10:
            out = L.maximum(a, b)
        elif op == 11:
            out = -a
        elif op == 12:
            out = c + a * c - c / (a * a + 2.0)
        elif op == 13:
            out = (c - a) * (a + b)
        elif op == 14:
            out = L.sin(a) * L.cos(b)
        else:
            out = 2.0 ** L.tanh(a) + (a * a + 1.0) ** L.tanh(b)
        if abs(data_of(out)) > 10:
            out = L.tanh(out * 0.1) * 10.0
        nodes.append(out)
    total = nodes[-1]
    for n in nodes[-6:-1]:
        total = total + n
    return total


@pytest.mark.parametrize("seed", range(12))
def test_random_expression_graphs_match_torch_autograd(seed):
    x0 = np.random.default_rng(1000 + seed).uniform(-2, 2, size=4)
    ours = [Value(v) for v in x0]
    y = _random_graph(np.random.default_rng(seed), ours, OURS, lambda v: v.data)
    y.backward()
    theirs = [T(v) for v in x0]
    yt = _random_graph(np.random.default_rng(seed), theirs, TORCH, lambda t: t.item())
    yt.backward()
    assert y.data == pytest.approx(yt.item(), rel=1e-12, abs=1e-12)
    got = np.array([v.grad for v in ours])
    want = np.array([t.grad.item() if t.grad is not None else 0.0 for t in theirs])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_every_operator_and_function_matches_torch_gradients():
    def expr(a, b, L):
        return (
            a + b + 1.5 + (2.5 + a) - b - 0.5 - (3.0 - a) + a * b * 2.0 + 3.0 * b
            + a / b + 2.0 / b + b / 4.0 + a**3 + (b**-1.5) + b**a + 2.0**a + (-a)
            + L.exp(a) + L.log(b) + L.tanh(a) + L.sigmoid(a) + L.relu(a) + L.relu(-a) + L.sin(a) + L.cos(b)
            + L.maximum(a, b) + L.maximum(b, 0.3) + L.maximum(0.3, a)
        )

    va, vb = Value(0.7), Value(1.9)
    out = expr(va, vb, OURS)
    out.backward()
    ta, tb = T(0.7), T(1.9)
    ot = expr(ta, tb, TORCH)
    ot.backward()
    assert out.data == pytest.approx(ot.item(), rel=1e-13)
    assert va.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert vb.grad == pytest.approx(tb.grad.item(), rel=1e-12)


def test_shared_subexpression_used_several_times_matches_torch():
    def expr(x, y, L):
        a = x * y  # a is used four times, x five times
        b = L.tanh(a) + a
        return a * a + b * x + L.exp(a * 0.1) * b + x

    xv, yv = Value(1.3), Value(-0.4)
    f = expr(xv, yv, OURS)
    f.backward()
    xt, yt = T(1.3), T(-0.4)
    expr(xt, yt, TORCH).backward()
    assert xv.grad == pytest.approx(xt.grad.item(), rel=1e-12)
    assert yv.grad == pytest.approx(yt.grad.item(), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# kinks (convention C3), depth, accumulation
# ---------------------------------------------------------------------------------------------


def test_relu_derivative_at_zero_is_zero_as_in_torch():
    x = Value(0.0)
    x.relu().backward()
    xt = T(0.0)
    torch.relu(xt).backward()
    assert x.grad == xt.grad.item() == 0.0


@pytest.mark.parametrize("a,b", [(2.0, 2.0), (-1.5, -1.5), (0.0, 0.0), (3.0, 1.0), (1.0, 3.0)])
def test_maximum_splits_gradient_half_half_at_ties_like_torch_maximum(a, b):
    va, vb = Value(a), Value(b)
    (maximum(va, vb) * 3.0).backward()
    ta, tb = T(a), T(b)
    (torch.maximum(ta, tb) * 3.0).backward()
    assert (va.grad, vb.grad) == (ta.grad.item(), tb.grad.item())
    if a == b:
        assert va.grad == vb.grad == 1.5


def test_maximum_with_a_constant_and_with_itself():
    x = Value(2.0)
    maximum(x, 2.0).backward()
    assert x.grad == 0.5  # the constant takes the other half
    y = Value(2.0)
    maximum(y, y).backward()
    assert y.grad == 1.0  # both halves come back to y
    assert maximum(1.0, 4) == 4.0 and isinstance(maximum(1.0, 4), float)


def test_chain_of_ten_thousand_operations_needs_no_recursion():
    x = Value(0.5)
    y = x
    for _ in range(10_000):
        y = y + x
    y.backward()
    assert y.data == pytest.approx(0.5 * 10_001)
    assert x.grad == 10_001.0
    z = Value(1.0)
    w = z
    for _ in range(10_000):
        w = w * 1.0001
    w.backward()
    assert z.grad == pytest.approx(1.0001**10_000, rel=1e-10)


def test_backward_twice_accumulates_like_torch_retain_graph_and_zero_grad_resets():
    x, y = Value(1.5), Value(-0.5)
    a = x * y
    f = a * a + a.tanh() * x
    f.backward()
    first = (x.grad, y.grad, a.grad)
    f.backward()
    assert (x.grad, y.grad, a.grad) == pytest.approx(tuple(2 * g for g in first), rel=1e-15)
    xt, yt = T(1.5), T(-0.5)
    at = xt * yt
    ft = at * at + torch.tanh(at) * xt
    ft.backward(retain_graph=True)
    ft.backward()
    assert (x.grad, y.grad) == pytest.approx((xt.grad.item(), yt.grad.item()), rel=1e-12)
    f.zero_grad()
    assert (x.grad, y.grad, a.grad, f.grad) == (0.0, 0.0, 0.0, 0.0)
    f.backward()
    assert (x.grad, y.grad, a.grad) == pytest.approx(first, rel=1e-15)


def test_gradients_of_two_outputs_sharing_an_input_add():
    x = Value(0.8)
    f1 = x * x
    f2 = x.sin()
    f1.backward()
    f2.backward()
    assert x.grad == pytest.approx(2 * 0.8 + math.cos(0.8), rel=1e-14)


def test_backward_with_a_seed_scales_the_gradient():
    x = Value(2.0)
    (x * x).backward(gradient=0.5)
    assert x.grad == 2.0


def test_power_at_zero_follows_torch():
    for p in (0.5, 0.0, 1.0, 2.0):
        x = Value(0.0)
        (x**p).backward()
        xt = T(0.0)
        (xt**p).backward()
        assert x.grad == xt.grad.item()


def test_numpy_scalars_combine_with_values():
    x = Value(3.0)
    y = np.float64(2.0) * x + np.int64(1)
    assert isinstance(y, Value) and y.data == 7.0
    y.backward()
    assert x.grad == 2.0


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False))
@example(709.5)  # exp is still finite just below log(max float) = 709.78
@example(709.79)
def test_sigmoid_exp_tanh_are_finite_and_match_torch_at_extreme_inputs(x):
    v = Value(x)
    s = v.sigmoid()
    s.backward()
    xt = T(x)
    torch.sigmoid(xt).backward()
    assert s.data == pytest.approx(torch.sigmoid(T(x, False)).item(), rel=1e-12, abs=1e-300)
    assert v.grad == pytest.approx(xt.grad.item(), rel=1e-9, abs=1e-300)
    assert 0.0 <= v.grad <= 0.25
    assert math.isfinite(Value(x).tanh().data)
    try:
        expected_exp = math.exp(x)  # finite up to log(max float) = 709.78...
    except OverflowError:
        expected_exp = math.inf
    assert Value(x).exp().data == pytest.approx(expected_exp, rel=1e-15)


# ---------------------------------------------------------------------------------------------
# Dual numbers (forward mode)
# ---------------------------------------------------------------------------------------------


def test_dual_worked_value_x_sin_x_squared():
    d = derivative(lambda x: x * A.sin(x**2), 1.3)
    assert d == pytest.approx(math.sin(1.69) + 2 * 1.69 * math.cos(1.69), rel=1e-14)
    assert d == pytest.approx(0.5909487, abs=5e-8)
    wrong_product_rule = math.sin(1.69)
    assert abs(d - wrong_product_rule) > 0.3


def smooth_function(x, L):
    return (
        L.sin(x * x) * x + L.exp(-x) / (1 + x**2) + L.tanh(x) - L.sigmoid(3 * x) + L.log(x * x + 1)
        + L.relu(x - 0.3) + L.cos(x) ** 3 + 2.0 ** x + x ** (x * x + 1.0) - 1.0 / x + (4.0 - x) * 0.5
    )


@pytest.mark.parametrize("x0", [0.4, 1.1, 2.3, 0.9])
def test_dual_matches_torch_func_jvp(x0):
    for v in (1.0, -2.5):
        out = smooth_function(Dual(x0, v), OURS)
        want_val, want_tan = tf.jvp(lambda t: smooth_function(t, TORCH), (T(x0, False),), (T(v, False),))
        assert out.val == pytest.approx(want_val.item(), rel=1e-13)
        assert out.dot == pytest.approx(want_tan.item(), rel=1e-12)


def test_dual_relu_at_zero_and_maximum_tie_match_torch_forward_mode():
    assert A.relu(Dual(0.0, 1.0)).dot == 0.0
    _, tan = tf.jvp(torch.relu, (T(0.0, False),), (T(1.0, False),))
    assert tan.item() == 0.0
    m = maximum(Dual(1.0, 3.0), Dual(1.0, 5.0))
    _, tan = tf.jvp(torch.maximum, (T(1.0, False), T(1.0, False)), (T(3.0, False), T(5.0, False)))
    assert m.dot == tan.item() == 4.0
    assert maximum(Dual(2.0, 3.0), 1.0).dot == 3.0


def test_dual_comparisons_use_the_primal_value():
    a, b = Dual(1.0, 5.0), Dual(2.0, -1.0)
    assert a < b and b > a and a <= 1.0 and 2 >= a and not a > 1.0
    assert Value(1.0) < Value(2.0) and Value(3.0) >= 3


def test_module_functions_accept_floats_and_return_floats():
    assert A.exp(0.0) == 1.0 and A.log(math.e) == 1.0 and A.sigmoid(0.0) == 0.5
    assert A.relu(-2.0) == 0.0 and A.tanh(0.0) == 0.0 and A.sin(0.0) == 0.0 and A.cos(0.0) == 1.0
    assert A.sigmoid(-1000.0) == 0.0 and A.sigmoid(1000.0) == 1.0


# ---------------------------------------------------------------------------------------------
# derivative / grad vs finite differences
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x0", [-1.2, 0.35, 1.7])
def test_derivative_matches_central_differences(x0):
    def f_float(x):
        return float(smooth_function(float(x), OURS)) if x0 > 0 else math.sin(x) * math.exp(x) + x**3

    f_generic = (lambda x: smooth_function(x, OURS)) if x0 > 0 else (lambda x: A.sin(x) * A.exp(x) + x**3)
    fd = numerical_gradient(lambda a: f_float(float(a)), x0)
    assert derivative(f_generic, x0) == pytest.approx(float(fd), rel=1e-7, abs=1e-8)


def test_grad_matches_central_differences_and_torch():
    def f(x, y, z, L=OURS):
        return L.sin(x * y) + z * L.exp(x / 3.0) - L.log(y * y + z * z) + L.maximum(x, z) * y

    xs = (0.3, -1.4, 2.2)
    g = grad(f)(*xs)
    assert isinstance(g, tuple) and len(g) == 3

    def f_np(v):
        x, y, z = (float(t) for t in v)
        return math.sin(x * y) + z * math.exp(x / 3.0) - math.log(y * y + z * z) + max(x, z) * y

    np.testing.assert_allclose(g, numerical_gradient(f_np, np.array(xs)), rtol=1e-7, atol=1e-8)
    want = tf.grad(lambda a, b, c: f(a, b, c, TORCH), argnums=(0, 1, 2))(*(T(v, False) for v in xs))
    np.testing.assert_allclose(g, [w.item() for w in want], rtol=1e-12)


def test_grad_of_a_constant_and_of_an_unused_argument_is_zero():
    assert grad(lambda x, y: 3.0)(1.0, 2.0) == (0.0, 0.0)
    assert grad(lambda x, y: x * 2.0)(1.0, 2.0) == (2.0, 0.0)
    assert derivative(lambda x: 5.0, 1.0) == 0.0


# ---------------------------------------------------------------------------------------------
# JVP, VJP and Jacobians vs torch.func, with sweep counts
# ---------------------------------------------------------------------------------------------


def vec_fn(xs, L):
    x, y, z = xs
    return [x * y + L.sin(z), L.exp(x) * L.tanh(y) - z / (1.0 + y * y), L.log(x * x + z * z + 1.0), L.relu(y) * z + x]


def torch_vec_fn(t):
    return torch.stack(vec_fn(list(t.unbind()), TORCH))


X0 = [0.7, -1.3, 0.4]


def test_jacobian_forward_and_reverse_match_jacfwd_jacrev_with_sweep_counts():
    xt = torch.tensor(X0, dtype=F64)
    J_fwd_torch = tf.jacfwd(torch_vec_fn)(xt).numpy()
    J_rev_torch = tf.jacrev(torch_vec_fn)(xt).numpy()
    Jf, nf = jacobian(lambda xs: vec_fn(xs, OURS), X0, mode="forward")
    Jr, nr = jacobian(lambda xs: vec_fn(xs, OURS), X0, mode="reverse")
    assert Jf.shape == Jr.shape == (4, 3)
    assert (nf, nr) == (3, 4)
    np.testing.assert_allclose(Jf, J_fwd_torch, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(Jr, J_rev_torch, rtol=1e-12, atol=1e-14)


def test_jvp_and_vjp_match_torch_func():
    rng = np.random.default_rng(3)
    xt = torch.tensor(X0, dtype=F64)
    for _ in range(3):
        v = rng.normal(size=3)
        u = rng.normal(size=4)
        y, Jv = jvp(lambda xs: vec_fn(xs, OURS), X0, v)
        yt, Jvt = tf.jvp(torch_vec_fn, (xt,), (torch.tensor(v, dtype=F64),))
        np.testing.assert_allclose(y, yt.numpy(), rtol=1e-13)
        np.testing.assert_allclose(Jv, Jvt.numpy(), rtol=1e-12, atol=1e-14)
        y2, uJ = vjp(lambda xs: vec_fn(xs, OURS), X0, u)
        yt2, vjp_fn = tf.vjp(torch_vec_fn, xt)
        np.testing.assert_allclose(y2, yt2.numpy(), rtol=1e-13)
        np.testing.assert_allclose(uJ, vjp_fn(torch.tensor(u, dtype=F64))[0].numpy(), rtol=1e-12, atol=1e-14)


def test_sweep_counts_for_wide_input_and_wide_output_functions():
    n = 7
    x = list(np.linspace(0.1, 0.7, n))
    loss = lambda xs: [sum((xi * xi for xi in xs[1:]), xs[0] * xs[0])]  # noqa: E731  R^7 -> R^1
    J_fwd, n_fwd = jacobian(loss, x, "forward")
    J_rev, n_rev = jacobian(loss, x, "reverse")
    assert (n_fwd, n_rev) == (n, 1)
    np.testing.assert_allclose(J_fwd, 2 * np.array([x]), rtol=1e-15)
    np.testing.assert_allclose(J_rev, 2 * np.array([x]), rtol=1e-15)
    m = 6
    curve = lambda xs: [A.sin(xs[0] * (k + 1)) for k in range(m)]  # noqa: E731  R^1 -> R^6
    J_fwd, n_fwd = jacobian(curve, [0.3], "forward")
    J_rev, n_rev = jacobian(curve, [0.3], "reverse")
    assert (n_fwd, n_rev) == (1, m)
    want = np.array([[(k + 1) * math.cos(0.3 * (k + 1))] for k in range(m)])
    np.testing.assert_allclose(J_fwd, want, rtol=1e-14)
    np.testing.assert_allclose(J_rev, want, rtol=1e-14)


def test_outputs_that_are_constants_or_inputs_get_the_right_rows():
    f = lambda xs: [xs[1], 2.0, xs[0] * xs[0]]  # noqa: E731
    for mode in ("forward", "reverse"):
        J, _ = jacobian(f, [3.0, 4.0], mode)
        np.testing.assert_array_equal(J, [[0.0, 1.0], [0.0, 0.0], [6.0, 0.0]])


def test_vjp_with_the_same_output_node_twice_adds_both_cotangents():
    def f(xs, L):
        y = L.sin(xs[0]) * xs[1]
        return [y, y, xs[1]]

    _, uJ = vjp(lambda xs: f(xs, OURS), [0.3, 2.0], [1.0, 2.0, -1.0])
    _, fn = tf.vjp(lambda t: torch.stack(f(list(t.unbind()), TORCH)), torch.tensor([0.3, 2.0], dtype=F64))
    np.testing.assert_allclose(uJ, fn(torch.tensor([1.0, 2.0, -1.0], dtype=F64))[0].numpy(), rtol=1e-14)
    np.testing.assert_allclose(uJ, [3 * math.cos(0.3) * 2.0, 3 * math.sin(0.3) - 1.0], rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# error paths
# ---------------------------------------------------------------------------------------------


def test_unsupported_operands_raise_clear_type_errors():
    with pytest.raises(TypeError, match="Value and str"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="list and Value"):
        [1] * Value(2.0)
    with pytest.raises(TypeError, match="Value and Dual"):
        Value(1.0) * Dual(1.0, 1.0)
    with pytest.raises(TypeError, match="Dual and NoneType"):
        Dual(1.0) - None
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** "x"
    with pytest.raises(TypeError, match="data must be a real number"):
        Value("1.0")
    with pytest.raises(TypeError, match="data must be a real number"):
        Value(True)
    with pytest.raises(TypeError, match="data must be a real number"):
        Value(Value(1.0))
    with pytest.raises(TypeError, match="dot must be a real number"):
        Dual(1.0, "a")
    with pytest.raises(TypeError, match="x must be a real number, a Dual or a Value"):
        A.exp("1")
    with pytest.raises(TypeError, match="maximum"):
        maximum(Value(1.0), Dual(1.0, 0.0))
    with pytest.raises(ValueError, match="NaN"):
        Value(float("nan"))


def test_domain_errors():
    with pytest.raises(ValueError, match="log is only defined for positive"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="log is only defined for positive"):
        Dual(-1.0, 1.0).log()
    with pytest.raises(ValueError, match="log is only defined for positive"):
        A.log(-2.0)
    with pytest.raises(ZeroDivisionError):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        1.0 / Dual(0.0, 1.0)
    with pytest.raises(ValueError, match="non-integer power"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ValueError, match="positive base"):
        Value(-2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="positive base"):
        (-2.0) ** Dual(0.5, 1.0)
    assert (Value(-2.0) ** 3).data == -8.0


def test_function_transform_errors_name_the_argument():
    f = lambda xs: [xs[0] * xs[1]]  # noqa: E731
    with pytest.raises(ValueError, match="mode must be one of"):
        jacobian(f, [1.0, 2.0], mode="sideways")
    with pytest.raises(ValueError, match=r"v must have shape \(2,\)"):
        jvp(f, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"u must have shape \(1,\)"):
        vjp(f, [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="x must be a 1-D sequence"):
        jacobian(f, 1.0)
    with pytest.raises(TypeError, match="f must be callable"):
        jacobian(3, [1.0])
    with pytest.raises(TypeError, match="f must be callable"):
        grad("f")
    with pytest.raises(TypeError, match="must return a Value"):
        grad(lambda x: [x])(1.0)
    with pytest.raises(TypeError, match="output 0 of f must be a Value"):
        jacobian(lambda xs: [torch.tensor(1.0)], [1.0], mode="reverse")
    with pytest.raises(TypeError, match="x must be a real number"):
        derivative(lambda x: x, "1")
    with pytest.raises(TypeError, match="gradient must be a real number"):
        Value(1.0).backward(gradient="1")


def test_public_chain_rule_step_reproduces_backward():
    """`parents` and `local_backward` are enough to write a reverse sweep (the chapter's exercise)."""
    import torch

    from dlnotes.autodiff import Value

    x, y = Value(-2.0), Value(5.0)
    f = (x + y) * (x * y).tanh() + (x / y).exp()
    order, seen, stack = [], set(), [(f, False)]
    while stack:  # iterative post-order DFS
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents)
    adj = {id(f): 1.0}
    for node in reversed(order):
        for parent, contrib in zip(node.parents, node.local_backward(adj.get(id(node), 0.0))):
            adj[id(parent)] = adj.get(id(parent), 0.0) + contrib
    tx = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
    ((tx + ty) * torch.tanh(tx * ty) + torch.exp(tx / ty)).backward()
    assert abs(adj[id(x)] - tx.grad.item()) < 1e-12 and abs(adj[id(y)] - ty.grad.item()) < 1e-12
    assert x.parents == () and x.local_backward(1.0) == ()
