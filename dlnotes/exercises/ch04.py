"""Exercises of chapter 4, "Feedforward networks and backpropagation".

Each exercise registers its reference answer, hidden cases (for code) and at least two realistic
wrong answers with the hint a learner who made that mistake should see.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import nn
from ..autodiff import Value, maximum
from . import register
from ._core import Case, Exercise
from ._core import answer_field as _get
from ._core import close_to as _is
from ._core import join_hints as _first_hint

S1 = "4.1 Shallow networks"
S2 = "4.2 Deep networks"
S3 = "4.3 Losses from maximum likelihood"
S4 = "4.4 Backpropagation by hand"
S5 = "4.5 Automatic differentiation"
S6 = "4.6 Activation functions"
S7 = "4.7 Initialization"
S8 = "4.8 An MLP from scratch"




# ---------------------------------------------------------------------------------- 4.1


def _diagnose_counts(a: Any) -> str | None:
    return _first_hint(
        [
            (_get(a, "a") in (6, 7), "(a) every hidden unit has a bias, and so does the output: 1→3→1 has 3 + 3 weights and 3 + 1 biases"),
            (_get(a, "b") == 7, "(b) D distinct joints inside the interval cut the line into (at most) D + 1 pieces"),
            (_get(a, "c_regions") == 9, "(c) each of the K layers can multiply the number of pieces by D + 1, so (D + 1)^K, not D^K"),
            (_get(a, "d") == 32, "(d) you counted only the weights: each layer also has one bias per output unit"),
            (_get(a, "d") == 36, "(d) a layer has one bias per output unit, not one per layer"),
        ]
    )


register(
    Exercise(
        id="04.count_params_regions",
        title="Count parameters and maximum linear regions of small ReLU networks",
        kind="value",
        section=S1,
        reference={"a": 10, "b": 8, "c_params": 22, "c_regions": 16, "d": 43},
        diagnose=[_diagnose_counts],
        mutants=[
            ({"a": 7, "b": 8, "c_params": 22, "c_regions": 16, "d": 43}, "every hidden unit has a bias"),
            ({"a": 10, "b": 7, "c_params": 22, "c_regions": 9, "d": 43}, "D + 1 pieces"),
            ({"a": 10, "b": 8, "c_params": 22, "c_regions": 16, "d": 32}, "you counted only the weights"),
            ({"a": 10, "b": 8, "c_params": 22, "c_regions": 16, "d": 36}, "not one per layer"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 4.2


def _shape(x: Any) -> tuple | None:
    try:
        return tuple(int(v) for v in x)
    except (TypeError, ValueError):
        return None


def _diagnose_shapes(a: Any) -> str | None:
    return _first_hint(
        [
            (_shape(_get(a, "W2")) == (4, 2) or _shape(_get(a, "torch_weight")) == (4, 2),
             "a weight matrix has shape (out, in) — (2, 4) here — so that it multiplies a column vector of the 4 inputs; torch.nn.Linear(4, 2).weight has the same shape"),
            (_shape(_get(a, "b2")) == (4,), "a bias has one entry per OUTPUT unit of the layer: (2,)"),
        ]
    )


register(
    Exercise(
        id="04.shapes",
        title="Shapes of W⁽²⁾, b⁽²⁾ and torch.nn.Linear(4, 2).weight in a [3, 4, 2, 3, 2] network",
        kind="value",
        section=S2,
        reference={"W2": (2, 4), "b2": (2,), "torch_weight": (2, 4)},
        diagnose=[_diagnose_shapes],
        mutants=[
            ({"W2": (4, 2), "b2": (2,), "torch_weight": (4, 2)}, "(out, in)"),
            ({"W2": (2, 4), "b2": (4,), "torch_weight": (2, 4)}, "OUTPUT unit"),
        ],
    )
)


def _diagnose_regions(a: Any) -> str | None:
    return _first_hint(
        [
            (_get(a, "zaslavsky_3_2") == 8, "2^D regions needs D <= D_i; with 3 lines in the plane Zaslavsky's count is C(3,0) + C(3,1) + C(3,2) = 7"),
            (_get(a, "zaslavsky_3_2") == 4, "D + 1 is the count for ONE input; in the plane the 3 lines can cross, giving C(3,0) + C(3,1) + C(3,2) = 7"),
            (_get(a, "montufar_2_444") == 256, "the last layer contributes the number of regions of D_L lines in the n0-dimensional input, Σ_j C(4, j) for j = 0..2 = 11, not 2^4"),
            (_get(a, "montufar_2_444") == 44, "each earlier layer contributes ⌊n_i/n0⌋ to the power n0 (one factor per input dimension): 2^2 per layer"),
        ]
    )


register(
    Exercise(
        id="04.regions_2d",
        title="Zaslavsky's count for 3 units and 2 inputs; Montúfar's bound for n0 = 2, widths [4, 4, 4]",
        kind="value",
        section=S2,
        reference={"zaslavsky_3_2": 7, "montufar_2_444": 176},
        diagnose=[_diagnose_regions],
        mutants=[
            ({"zaslavsky_3_2": 8, "montufar_2_444": 176}, "2^D regions needs D <= D_i"),
            ({"zaslavsky_3_2": 4, "montufar_2_444": 176}, "count for ONE input"),
            ({"zaslavsky_3_2": 7, "montufar_2_444": 256}, "not 2^4"),
            ({"zaslavsky_3_2": 7, "montufar_2_444": 44}, "to the power n0"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 4.3

_GAUSS = 0.5 * math.log(2 * math.pi) + 0.5
_LSE123 = math.log(math.exp(1) + math.exp(2) + math.exp(3))


def _diagnose_likelihoods(a: Any) -> str | None:
    if not isinstance(a, (tuple, list)) or len(a) != 3:
        return None
    g, b, c = a
    return _first_hint(
        [
            (_is(g, 0.5), "the Gaussian NLL includes ½log(2πσ²): with σ² = 1 that adds ½log(2π) ≈ 0.919 to the ½(y − μ)² term"),
            (_is(g, -_GAUSS) or _is(b, -math.log(2)), "a negative log-likelihood is minus the log-density: it is positive here"),
            (_is(c, _LSE123 - 2) or _is(c, _LSE123 - 1), "classes are numbered from 0: index 2 is the logit 3, so CE = logsumexp(z) − z_2"),
            (_is(c, math.exp(3) / math.exp(_LSE123)), "that is the probability of the true class; the loss is −log of it"),
        ]
    )


register(
    Exercise(
        id="04.likelihoods",
        title="Gaussian NLL, binary and categorical cross-entropy for given numbers",
        kind="value",
        section=S3,
        reference=(_GAUSS, math.log(2), _LSE123 - 3),
        output_names=("gaussian_nll", "bce", "ce"),
        rtol=1e-6,
        atol=1e-6,
        diagnose=[_diagnose_likelihoods],
        mutants=[
            ((0.5, math.log(2), _LSE123 - 3), "includes ½log(2πσ²)"),
            ((-_GAUSS, -math.log(2), _LSE123 - 3), "minus the log-density"),
            ((_GAUSS, math.log(2), _LSE123 - 2), "numbered from 0"),
            ((_GAUSS, math.log(2), math.exp(3 - _LSE123)), "the loss is −log of it"),
        ],
    )
)


def _ref_sce(logits, y):
    z = np.asarray(logits, dtype=float)
    y = np.asarray(y)
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1))
    loss = float(np.mean(lse - shifted[np.arange(n), y]))
    p = np.exp(shifted - lse[:, None])
    p[np.arange(n), y] -= 1.0
    return loss, p / n


def _sce_no_mean_grad(logits, y):
    loss, g = _ref_sce(logits, y)
    return loss, g * np.asarray(logits).shape[0]


def _sce_unstable(logits, y):
    z = np.asarray(logits, dtype=float)
    n = z.shape[0]
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    loss = float(np.mean(-np.log(p[np.arange(n), y])))
    g = p.copy()
    g[np.arange(n), y] -= 1
    return loss, g / n


def _sce_sum(logits, y):
    loss, g = _ref_sce(logits, y)
    n = np.asarray(logits).shape[0]
    return loss * n, g * n


def _sce_softmax_twice(logits, y):
    z = np.asarray(logits, dtype=float)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return _ref_sce(p, y)


def _sce_off_by_one(logits, y):
    z = np.asarray(logits, dtype=float)
    return _ref_sce(z, (np.asarray(y) - 1) % z.shape[1])


def _logits_cases():
    rng = np.random.default_rng(41)
    z1, y1 = rng.normal(size=(1, 2)), np.array([1])
    z2, y2 = rng.normal(scale=3, size=(64, 10)), rng.integers(0, 10, size=64)
    z3, y3 = 1000 + rng.normal(size=(5, 4)), np.array([0, 1, 2, 3, 0])
    z4, y4 = rng.normal(size=(7, 3)) * 50 - 1000, np.array([2, 2, 1, 0, 0, 1, 2])
    return [
        Case((z1, y1), label="one example, two classes"),
        Case((z2, y2), label="a batch of 64, ten classes"),
        Case((z3, y3), label="logits near +1000"),
        Case((z4, y4), label="logits near -1000"),
    ]


register(
    Exercise(
        id="04.softmax_cross_entropy",
        title="Implement the mean softmax cross-entropy and its gradient with respect to the logits",
        kind="function",
        section=S3,
        reference=_ref_sce,
        output_names=("loss", "dlogits"),
        rtol=1e-10,
        atol=1e-12,
        cases=_logits_cases(),
        mutants=[
            (_sce_no_mean_grad, "the loss is a mean over the batch, so its gradient carries the same 1/N"),
            (_sce_unstable, "exp(1000) overflows: subtract the row maximum from the logits before exponentiating"),
            (_sce_sum, "the loss is the MEAN over the batch, not the sum"),
            (_sce_softmax_twice, "the loss takes logits: you applied softmax before passing them in, so softmax is applied twice"),
            (_sce_off_by_one, "the labels are 0-based class indices: pick column y[i] of row i"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 4.4


def _linear_runner(cls: type):
    def run(in_features: int, out_features: int, n: int, seed: int):
        rng = np.random.default_rng(seed)
        layer = cls(in_features, out_features, rng=seed)
        X = rng.normal(size=(n, in_features))
        G = rng.normal(size=(n, out_features))
        layer(X)
        dx = layer.backward(G)
        layer.backward(G)  # a second call must ADD the same gradients again
        return dx, layer.weight.grad.copy(), layer.bias.grad.copy()

    return run


class _LinearWrongDW(nn.Linear):
    def backward(self, grad_output):
        X = self._input
        self.weight.grad += X.T @ grad_output
        self.bias.grad += grad_output.sum(axis=0)
        return grad_output @ self.weight.data


class _LinearBiasNotSummed(nn.Linear):
    def backward(self, grad_output):
        X = self._input
        self.weight.grad += grad_output.T @ X
        self.bias.grad += grad_output
        return grad_output @ self.weight.data


class _LinearOverwrite(nn.Linear):
    def backward(self, grad_output):
        X = self._input
        self.weight.grad = grad_output.T @ X
        self.bias.grad = grad_output.sum(axis=0)
        return grad_output @ self.weight.data


class _LinearWrongDX(nn.Linear):
    def backward(self, grad_output):
        X = self._input
        self.weight.grad += grad_output.T @ X
        self.bias.grad += grad_output.sum(axis=0)
        return grad_output @ self.weight.data.T


register(
    Exercise(
        id="04.linear_backward",
        title="Implement Linear.backward: input gradient, and accumulated weight and bias gradients",
        kind="function",
        section=S4,
        reference=nn.Linear,
        adapt=_linear_runner,
        output_names=("input gradient", "weight.grad after two backward calls", "bias.grad after two backward calls"),
        rtol=1e-10,
        atol=1e-12,
        cases=[
            Case((3, 2, 5, 0), label="in 3, out 2, batch 5"),
            Case((4, 4, 6, 1), label="in 4, out 4, batch 6"),
            Case((1, 3, 1, 2), label="in 1, out 3, batch 1"),
            Case((7, 5, 17, 3), label="in 7, out 5, batch 17"),
        ],
        mutants=[
            (_LinearWrongDW, "∂L/∂W has W's shape (out, in): it is grad_outputᵀ @ X, not Xᵀ @ grad_output"),
            (_LinearBiasNotSummed, "the bias is shared by every example in the batch, so its gradient sums grad_output over the batch axis"),
            (_LinearOverwrite, "parameter gradients must ACCUMULATE (+=): a second backward call should double them, as in PyTorch"),
            (_LinearWrongDX, "Y = X Wᵀ + b, so ∂L/∂X = grad_output @ W (shape (N, in)), without a transpose"),
        ],
    )
)

_BP_REF = {
    "f": -1.0,
    "loss": 2.0,
    "dW2": np.array([[0.0, -7.0, -2.0]]),
    "db2": np.array([-2.0]),
    "dW1": np.array([[0.0, 0.0], [2.0, 4.0], [-4.0, -8.0]]),
    "db1": np.array([0.0, 2.0, -4.0]),
}


def _bp_variant(**changes):
    out = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in _BP_REF.items()}
    out.update(changes)
    return out


def _diagnose_bp(a: Any) -> str | None:
    dW1 = np.asarray(_get(a, "dW1"), dtype=float) if _get(a, "dW1") is not None else None
    if dW1 is None:
        return None
    if dW1.shape == (2, 3):
        return "∂ℓ/∂W1 has the shape of W1, (3, 2): it is the outer product δ1 xᵀ, not x δ1ᵀ"
    if dW1.shape == (3, 2) and np.any(dW1[0] != 0):
        return "the first hidden pre-activation is −1.5 < 0, so ReLU passes no gradient to that unit: the first row of ∂ℓ/∂W1 and the first entry of ∂ℓ/∂b1 are 0"
    if np.allclose(dW1, -_BP_REF["dW1"]):
        return "∂ℓ/∂f = f − y = −2 for ℓ = ½(f − y)²: your signs are flipped"
    if np.allclose(dW1, 2 * _BP_REF["dW1"]):
        return "with ℓ = ½(f − y)² the ½ cancels the 2 from the square: ∂ℓ/∂f = f − y, not 2(f − y)"
    return None


register(
    Exercise(
        id="04.backprop_by_hand",
        title="Forward and backward pass by hand for a 2-3-1 ReLU network",
        kind="value",
        section=S4,
        reference=_BP_REF,
        diagnose=[_diagnose_bp],
        mutants=[
            (_bp_variant(dW1=np.array([[-2.0, -4.0], [2.0, 4.0], [-4.0, -8.0]]), db1=np.array([-2.0, 2.0, -4.0])), "ReLU passes no gradient"),
            (_bp_variant(dW1=_BP_REF["dW1"].T.copy()), "outer product δ1 xᵀ"),
            (_bp_variant(dW2=-_BP_REF["dW2"], db2=-_BP_REF["db2"], dW1=-_BP_REF["dW1"], db1=-_BP_REF["db1"]), "signs are flipped"),
            (_bp_variant(loss=4.0, dW2=2 * _BP_REF["dW2"], db2=2 * _BP_REF["db2"], dW1=2 * _BP_REF["dW1"], db1=2 * _BP_REF["db1"]), "the ½ cancels the 2"),
        ],
    )
)

_FD_FORWARD = (1.001**3 - 1.0) / 1e-3 - 3.0
_FD_CENTRAL = (1.001**3 - 0.999**3) / 2e-3 - 3.0


def _diagnose_fd(a: Any) -> str | None:
    return _first_hint(
        [
            (_is(_get(a, "forward_error"), _FD_CENTRAL, 1e-3) and _is(_get(a, "central_error"), _FD_FORWARD, 1e-3),
             "swapped: the forward difference (f(x+h) − f(x))/h has error ≈ (h/2) f'' = 3e-3; the central one ≈ (h²/6) f''' = 1e-6"),
            (_get(a, "forward_order") == 2 and _get(a, "central_order") == 2,
             "the forward difference is only first-order: its Taylor error is (h/2) f''(x) + O(h²); the even terms cancel only in the central difference"),
            (_get(a, "forward_order") == 2 and _get(a, "central_order") == 1, "swapped orders: forward is O(h), central is O(h²)"),
        ]
    )


register(
    Exercise(
        id="04.finite_differences",
        title="Errors and orders of forward and central differences for x³ at x = 1, h = 1e-3",
        kind="value",
        section=S4,
        reference={"forward_error": _FD_FORWARD, "central_error": _FD_CENTRAL, "forward_order": 1, "central_order": 2},
        rtol=1e-3,
        atol=1e-12,
        diagnose=[_diagnose_fd],
        mutants=[
            ({"forward_error": _FD_CENTRAL, "central_error": _FD_FORWARD, "forward_order": 2, "central_order": 1}, "swapped"),
            ({"forward_error": _FD_FORWARD, "central_error": _FD_CENTRAL, "forward_order": 2, "central_order": 2}, "only first-order"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 4.5


def _graph(name: str):
    """Build a fresh graph; return (root, leaves)."""
    if name == "sanity":
        x = Value(-4.0)
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        return h + q + q * x, [x]
    if name == "fan-out":
        x = Value(3.0)
        return x * x + x, [x]
    if name == "gate":
        x, y, z, w = Value(-2.0), Value(5.0), Value(4.0), Value(1.0)
        return (x + y) * maximum(z, w), [x, y, z, w]
    if name == "shared subexpression":
        a, b = Value(0.7), Value(-1.3)
        c = a * b
        d = c.tanh() + c.exp() * a
        e = d * d + c / (b * b + 1.0)
        return e.sigmoid() + (e * e + 1.0).log(), [a, b]
    if name == "long chain":
        x = Value(0.5)
        y = x
        for _ in range(10_000):
            y = y + 0.0001
        return y * x, [x]
    raise ValueError(name)


def _value_runner(backward_fn):
    def run(name: str):
        root, leaves = _graph(name)
        backward_fn(root)
        return [leaf.grad for leaf in leaves] + [root.grad]

    return run


def _post_order(root: Value) -> list[Value]:
    """Every node of the graph, each after all of its parents (iterative depth-first search)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents)
    return order


def _sweep(root: Value, accumulate: bool) -> None:
    order = _post_order(root)
    adjoint = {id(root): 1.0}
    for node in reversed(order):
        for parent, contribution in zip(node.parents, node.local_backward(adjoint.get(id(node), 0.0))):
            adjoint[id(parent)] = adjoint.get(id(parent), 0.0) + contribution if accumulate else contribution
    for node in order:
        node.grad += adjoint.get(id(node), 0.0)


def _ref_backward(root: Value) -> None:
    _sweep(root, accumulate=True)


def _backward_overwrite(root: Value) -> None:
    _sweep(root, accumulate=False)


def _backward_bfs(root: Value) -> None:
    from collections import deque

    adjoint = {id(root): 1.0}
    queue, seen = deque([root]), {id(root)}
    nodes = []
    while queue:  # breadth-first: a node can be expanded before all its consumers have reported
        node = queue.popleft()
        nodes.append(node)
        for parent, contribution in zip(node.parents, node.local_backward(adjoint.get(id(node), 0.0))):
            adjoint[id(parent)] = adjoint.get(id(parent), 0.0) + contribution
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    for node in nodes:
        node.grad += adjoint.get(id(node), 0.0)


def _backward_recursive(root: Value) -> None:
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for p in node.parents:
                visit(p)
            order.append(node)

    visit(root)
    adjoint = {id(root): 1.0}
    for node in reversed(order):
        for parent, contribution in zip(node.parents, node.local_backward(adjoint.get(id(node), 0.0))):
            adjoint[id(parent)] = adjoint.get(id(parent), 0.0) + contribution
    for node in order:
        node.grad += adjoint.get(id(node), 0.0)


register(
    Exercise(
        id="04.value_backward",
        title="Implement the reverse sweep of a scalar autodiff engine",
        kind="function",
        section=S5,
        reference=_ref_backward,
        adapt=_value_runner,
        rtol=1e-10,
        atol=1e-12,
        cases=[Case((name,), label=name) for name in ("sanity", "fan-out", "gate", "shared subexpression", "long chain")],
        mutants=[
            (_backward_overwrite, "a node used several times receives one contribution from each consumer: ADD them (+=) instead of overwriting"),
            (_backward_bfs, "a node's adjoint is complete only after ALL its consumers have been processed: visit nodes in reverse topological order"),
            (_backward_recursive, "a recursive graph traversal hits Python's recursion limit on long chains: use an explicit stack"),
        ],
    )
)

_DUAL = math.sin(1.69) + 2 * 1.69 * math.cos(1.69)


def _diagnose_modes(a: Any) -> str | None:
    return _first_hint(
        [
            (_get(a, "f_forward") == 1 and _get(a, "f_reverse") == 1000,
             "forward mode computes one column J v per sweep (n = 1000 of them for f), reverse mode one row uᵀJ per sweep (m = 1 for f)"),
            (_is(_get(a, "dual_derivative"), math.sin(1.69)), "product rule: d/dx[x·sin(x²)] = sin(x²) + x·cos(x²)·2x"),
            (_is(_get(a, "dual_derivative"), math.sin(1.69) + 1.3 * math.cos(1.69)), "chain rule: d/dx sin(x²) = cos(x²)·2x — the factor 2x is missing"),
        ]
    )


register(
    Exercise(
        id="04.modes",
        title="Sweeps for full Jacobians in forward and reverse mode; a derivative with dual numbers",
        kind="value",
        section=S5,
        reference={"f_forward": 1000, "f_reverse": 1, "g_forward": 1, "g_reverse": 1000, "dual_derivative": _DUAL},
        rtol=1e-9,
        atol=1e-9,
        diagnose=[_diagnose_modes],
        mutants=[
            ({"f_forward": 1, "f_reverse": 1000, "g_forward": 1000, "g_reverse": 1, "dual_derivative": _DUAL}, "one column J v per sweep"),
            ({"f_forward": 1000, "f_reverse": 1, "g_forward": 1, "g_reverse": 1000, "dual_derivative": math.sin(1.69)}, "product rule"),
            ({"f_forward": 1000, "f_reverse": 1, "g_forward": 1, "g_reverse": 1000, "dual_derivative": math.sin(1.69) + 1.3 * math.cos(1.69)}, "the factor 2x is missing"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 4.6

_SOFT = np.exp(np.array([1.0, 2.0, 3.0]) - _LSE123)
_SELU_M1 = 1.0507009873554805 * 1.6732632423543772 * (math.exp(-1.0) - 1.0)


def _diagnose_acts(a: Any) -> str | None:
    return _first_hint(
        [
            (_is(_get(a, "sigmoid_grad_0"), 0.5), "σ'(0) = σ(0)(1 − σ(0)) = ½·½ = ¼; ½ is σ(0) itself"),
            (_get(a, "relu_grad_0") == 1, "PyTorch (and this book) set ReLU'(0) = 0: the subgradient at the kink is a convention, and autograd picks 0"),
            (_is(_get(a, "selu_minus_1"), -1.0) or _is(_get(a, "selu_minus_1"), -1.7580993408473766),
             "SELU(x) = λα(eˣ − 1) for x <= 0, with λ ≈ 1.0507 and α ≈ 1.6733: at −1 that is λα(e⁻¹ − 1) ≈ −1.111"),
            (_get(a, "tanh_identity") == 1, "tanh(x) = 2σ(2x) − 1: the argument doubles too (check at x = 1: 2σ(1) − 1 ≈ 0.462, tanh(1) ≈ 0.762)"),
        ]
    )


register(
    Exercise(
        id="04.activation_facts",
        title="Derivatives at 0, SELU(−1), the softmax Jacobian diagonal, and the tanh–sigmoid identity",
        kind="value",
        section=S6,
        reference={
            "sigmoid_grad_0": 0.25,
            "tanh_grad_0": 1.0,
            "relu_grad_0": 0.0,
            "selu_minus_1": _SELU_M1,
            "softmax_jacobian_diag": _SOFT * (1 - _SOFT),
            "tanh_identity": 2,
        },
        rtol=1e-6,
        atol=1e-6,
        diagnose=[_diagnose_acts],
        mutants=[
            ({"sigmoid_grad_0": 0.5, "tanh_grad_0": 1.0, "relu_grad_0": 0.0, "selu_minus_1": _SELU_M1, "softmax_jacobian_diag": _SOFT * (1 - _SOFT), "tanh_identity": 2}, "σ'(0) = σ(0)(1 − σ(0))"),
            ({"sigmoid_grad_0": 0.25, "tanh_grad_0": 1.0, "relu_grad_0": 1.0, "selu_minus_1": _SELU_M1, "softmax_jacobian_diag": _SOFT * (1 - _SOFT), "tanh_identity": 2}, "ReLU'(0) = 0"),
            ({"sigmoid_grad_0": 0.25, "tanh_grad_0": 1.0, "relu_grad_0": 0.0, "selu_minus_1": -1.7580993408473766, "softmax_jacobian_diag": _SOFT * (1 - _SOFT), "tanh_identity": 2}, "λα(e⁻¹ − 1)"),
            ({"sigmoid_grad_0": 0.25, "tanh_grad_0": 1.0, "relu_grad_0": 0.0, "selu_minus_1": _SELU_M1, "softmax_jacobian_diag": _SOFT * (1 - _SOFT), "tanh_identity": 1}, "the argument doubles too"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 4.7

_INIT = {
    "xavier_normal_std": math.sqrt(2 / (256 + 128)),
    "he_normal_std": math.sqrt(2 / 256),
    "xavier_uniform_bound": math.sqrt(6 / (300 + 100)),
    "relu_second_moment": 2.0,
    "relu_variance": 4 * (0.5 - 1 / (2 * math.pi)),
}


def _diagnose_init(a: Any) -> str | None:
    return _first_hint(
        [
            (_is(_get(a, "xavier_normal_std"), 2 / 384, 1e-4) or _is(_get(a, "he_normal_std"), 2 / 256, 1e-4),
             "those are variances; the question asks for standard deviations (take the square root)"),
            (_is(_get(a, "xavier_uniform_bound"), 6 / 400, 1e-4), "the bound is √(6/(n_in + n_out)); 6/(n_in + n_out) is its square"),
            (_is(_get(a, "he_normal_std"), math.sqrt(2 / 128), 1e-4), "He (Kaiming) normal in 'fan_in' mode divides by n_in = 256, not n_out"),
            (_is(_get(a, "relu_variance"), 2.0, 1e-4),
             "ReLU halves the SECOND moment, E[a²] = Var[z]/2 = 2; the variance also subtracts (E a)² = Var[z]/(2π)"),
        ]
    )


register(
    Exercise(
        id="04.init_stats",
        title="Xavier and He standard deviations, the Xavier-uniform bound, and ReLU moments",
        kind="value",
        section=S7,
        reference=_INIT,
        rtol=1e-5,
        atol=1e-7,
        diagnose=[_diagnose_init],
        mutants=[
            ({**_INIT, "xavier_normal_std": 2 / 384, "he_normal_std": 2 / 256}, "those are variances"),
            ({**_INIT, "xavier_uniform_bound": 6 / 400}, "is its square"),
            ({**_INIT, "he_normal_std": math.sqrt(2 / 128)}, "not n_out"),
            ({**_INIT, "relu_variance": 2.0}, "halves the SECOND moment"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 4.8


def _diagnose_initial_loss(a: Any) -> str | None:
    return _first_hint(
        [
            (_is(a, 0.1), "0.1 is the probability the untrained model gives the true class; the loss is −log(0.1)"),
            (_is(a, -math.log(10)), "cross-entropy is −log p, which is positive"),
            (_is(a, 0.0), "zero logits do not give zero loss: they give the uniform distribution, p = 1/10 for every class"),
        ]
    )


register(
    Exercise(
        id="04.initial_loss",
        title="Expected cross-entropy at initialisation for 10 classes with near-zero logits",
        kind="value",
        section=S8,
        reference=math.log(10),
        rtol=1e-4,
        atol=1e-6,
        diagnose=[_diagnose_initial_loss],
        mutants=[(0.1, "the loss is −log(0.1)"), (-math.log(10), "which is positive"), (0.0, "uniform distribution")],
    )
)
