"""Exercises of chapter 3, "Perceptrons and representation power".

Each exercise registers its reference answer, its hidden cases and at least two realistic wrong
answers (mutants) with the hint a learner who made that mistake should see.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np

from ..numerics import sigmoid
from . import register
from ._core import Case, Exercise

SECTION_1 = "3.1 Threshold units and linear separability"
SECTION_2 = "3.2 The perceptron learning rule"
SECTION_3 = "3.3 Networks of perceptrons"
SECTION_4 = "3.4 Sigmoid neurons"
SECTION_5 = "3.5 Universal approximation"

# The four rows of a 2-input truth table, in the book's order (first input most significant).
ROWS01 = np.array(list(itertools.product([0.0, 1.0], repeat=2)))
_NAMES2 = {
    (0, 0, 0, 1): "AND",
    (0, 1, 1, 1): "OR",
    (1, 1, 1, 0): "NAND",
    (1, 0, 0, 0): "NOR",
    (0, 1, 1, 0): "XOR",
    (1, 0, 0, 1): "XNOR",
    (0, 0, 0, 0): "the constant 0",
    (1, 1, 1, 1): "the constant 1",
    (0, 0, 1, 1): "x1 alone",
    (0, 1, 0, 1): "x2 alone",
    (1, 1, 0, 0): "NOT x1",
    (1, 0, 1, 0): "NOT x2",
    (0, 0, 1, 0): "x1 AND NOT x2",
    (0, 1, 0, 0): "NOT x1 AND x2",
    (1, 0, 1, 1): "x1 OR NOT x2",
    (1, 1, 0, 1): "NOT x1 OR x2",
}


def _step(z: np.ndarray, rule: str = ">=") -> np.ndarray:
    z = np.asarray(z, dtype=float)
    return (z >= 0).astype(float) if rule == ">=" else (z > 0).astype(float)


def _table_name(table) -> str:
    key = tuple(int(v) for v in table)
    return f"{_NAMES2.get(key, 'an unnamed function')} (truth table {', '.join(map(str, key))})"


def _unit(answer: Any, gate: str) -> tuple[np.ndarray, float]:
    w, b = answer[gate]
    w = np.asarray(w, dtype=float)
    if w.shape != (2,):
        raise ValueError(f"the weights for {gate} must be 2 numbers, got shape {w.shape}")
    return w, float(b)


# ---------------------------------------------------------------------------------- 3.1

register(
    Exercise(
        id="03.count_boolean_functions",
        title="Count the boolean functions of 2 and 3 inputs, and the linearly separable ones",
        kind="value",
        section=SECTION_1,
        reference={"functions_2": 16, "separable_2": 14, "functions_3": 256, "separable_3": 104},
        diagnose=[
            lambda a: (
                "2**n counts the input rows of the truth table. A boolean function chooses an output "
                "(0 or 1) for each of those rows independently, so there are 2**(2**n) functions."
                if a.get("functions_2") == 4 or a.get("functions_3") == 8
                else None
            ),
            lambda a: (
                "Not every 2-input function is linearly separable: XOR and XNOR are not (add the four "
                "inequalities a separating unit would have to satisfy and you get a contradiction)."
                if a.get("separable_2") == 16
                else None
            ),
            lambda a: (
                "Cover's count C(8, 4) = 128 assumes points in general position. The 8 vertices of the "
                "cube are not (four of them lie on each face plane), so fewer dichotomies are separable: "
                "enumerate them with a linear program."
                if a.get("separable_3") == 128
                else None
            ),
        ],
        mutants=[
            ({"functions_2": 4, "separable_2": 4, "functions_3": 8, "separable_3": 8}, "2**(2**n) functions"),
            ({"functions_2": 16, "separable_2": 16, "functions_3": 256, "separable_3": 104}, "XOR and XNOR are not"),
            ({"functions_2": 16, "separable_2": 14, "functions_3": 256, "separable_3": 128}, "general position"),
        ],
    )
)


def _grade_gates(answer: Any) -> str | None:
    targets = {"AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1), "NAND": (1, 1, 1, 0)}
    for gate, target in targets.items():
        if gate not in answer:
            return f"your answer has no entry for {gate}: give a dict {{'AND': (w, b), 'OR': (w, b), 'NAND': (w, b)}}"
        w, b = _unit(answer, gate)
        out = _step(ROWS01 @ w + b)
        if tuple(out.astype(int)) != target:
            return f"your {gate} unit computes {_table_name(out)} instead of {gate}"
    return None


def _diagnose_gates(answer: Any) -> str | None:
    targets = {"AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1), "NAND": (1, 1, 1, 0)}
    for gate, target in targets.items():
        w, b = _unit(answer, gate)
        z = ROWS01 @ w + b
        if tuple(_step(z).astype(int)) == target:
            continue
        if tuple(_step(z, ">").astype(int)) == target:
            rows = [tuple(int(v) for v in r) for r in ROWS01[np.isclose(z, 0)]]
            return (
                f"your {gate} weights would work with a strict '>' rule, but in this book a unit fires when "
                f"w·x + b >= 0, and at row(s) {rows} w·x + b is exactly 0. Move the bias half-way between "
                f"the rows that must fire and those that must not (e.g. b = -1.5 for AND)."
            )
        if gate == "NAND" and np.all(w >= 0):
            return (
                "NAND must fire less as inputs switch on, so its weights must be negative (with a positive "
                "bias so that (0, 0) fires): e.g. w = (-1, -1), b = 1.5."
            )
        if gate == "AND" and tuple(_step(z).astype(int)) == (0, 1, 1, 1):
            return (
                "your AND unit computes OR: one active input already reaches the threshold. Lower the bias "
                "so that both inputs are needed, e.g. w = (1, 1), b = -1.5."
            )
    return None


register(
    Exercise(
        id="03.gate_weights",
        title="Weights and biases of threshold units computing AND, OR and NAND",
        kind="value",
        section=SECTION_1,
        reference={"AND": ((1.0, 1.0), -1.5), "OR": ((1.0, 1.0), -0.5), "NAND": ((-1.0, -1.0), 1.5)},
        grade_value=_grade_gates,
        diagnose=[_diagnose_gates],
        mutants=[
            ({"AND": ((1.0, 1.0), -0.5), "OR": ((1.0, 1.0), -0.5), "NAND": ((-1.0, -1.0), 1.5)}, "your AND unit computes OR"),
            ({"AND": ((1.0, 1.0), -1.5), "OR": ((1.0, 1.0), -0.5), "NAND": ((1.0, 1.0), -1.5)}, "weights must be negative"),
            ({"AND": ((1.0, 1.0), -1.0), "OR": ((1.0, 1.0), -0.5), "NAND": ((-1.0, -1.0), 1.5)}, "strict '>' rule"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 3.2


def _ref_perceptron_fit(X, y, max_epochs=100):
    from ..perceptron import perceptron_fit

    res = perceptron_fit(np.asarray(X, dtype=float), np.asarray(y, dtype=float), max_epochs=max_epochs)
    return res.w, res.b, res.converged


def _perceptron_variant(update_rule):
    """Build a wrong perceptron from a wrong line of the loop (for the mutants)."""

    def fit(X, y, max_epochs=100, validate=True, strict=False):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if validate and not np.all(np.isin(y, (-1.0, 1.0))):
            raise ValueError("labels must be -1 or +1")
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(max_epochs):
            mistakes = 0
            for xi, yi in zip(X, y):
                s = yi * (xi @ w + b)
                mistake = s < 0 if strict else s <= 0
                w, b, counted = update_rule(w, b, xi, yi, mistake)
                mistakes += counted
            if mistakes == 0:
                return w, b, True
        return w, b, False

    return fit


def _upd_correct(w, b, x, y, mistake):
    return (w + y * x, b + y, 1) if mistake else (w, b, 0)


def _upd_no_label(w, b, x, y, mistake):
    return (w + x, b + 1.0, 1) if mistake else (w, b, 0)


def _upd_always(w, b, x, y, mistake):
    return w + y * x, b + y, int(mistake)


def _upd_no_bias(w, b, x, y, mistake):
    return (w + y * x, b, 1) if mistake else (w, b, 0)


def _separable_40(seed: int = 1):
    rng = np.random.default_rng(seed)
    w_star = np.array([0.8, -0.6])
    X = rng.uniform(-1, 1, size=(200, 2))
    s = X @ w_star + 0.1
    keep = np.abs(s) > 0.05
    X, s = X[keep][:40], s[keep][:40]
    return X, np.where(s > 0, 1.0, -1.0)


_X40, _Y40 = _separable_40()
_XOR_PM = np.array(list(itertools.product([-1.0, 1.0], repeat=2)))
_XOR_Y = np.array([-1.0, 1.0, 1.0, -1.0])
_X3 = np.random.default_rng(3).normal(size=(30, 3))
_Y3 = np.where(_X3 @ np.array([1.0, 2.0, -1.0]) - 0.3 > 0, 1.0, -1.0)

register(
    Exercise(
        id="03.perceptron_fit",
        title="Implement the perceptron learning rule (returns w, b, converged)",
        kind="function",
        section=SECTION_2,
        reference=_ref_perceptron_fit,
        output_names=("w", "b", "converged"),
        cases=[
            Case((_X40, _Y40, 1), label="one epoch on a 40-point separable set"),
            Case((_X40, _Y40, 2), label="two epochs on the same set"),
            Case((_X40, _Y40, 5), label="five epochs"),
            Case((_X40, _Y40, 1000), label="run to convergence"),
            Case((_X3, _Y3, 1000), label="3-D separable data"),
            Case((_XOR_PM, _XOR_Y, 10), label="XOR, which is not separable"),
            Case((_XOR_PM[:2], np.array([0.0, 1.0]), 10), label="labels in {0, 1}", raises=ValueError),
        ],
        mutants=[
            (
                lambda X, y, m=100: _perceptron_variant(_upd_no_label)(X, y, m),
                "the update must include the label: w <- w + lr * y_i * x_i (and b <- b + lr * y_i)",
            ),
            (
                lambda X, y, m=100: _perceptron_variant(_upd_always)(X, y, m),
                "update only on a mistake, i.e. when y_i (w·x_i + b) <= 0",
            ),
            (
                lambda X, y, m=100: _perceptron_variant(_upd_no_bias)(X, y, m),
                "you never update the bias: on a mistake also set b <- b + lr * y_i",
            ),
            (
                lambda X, y, m=100: _perceptron_variant(_upd_correct)(X, y, m, validate=False),
                "reject labels outside {-1, +1} with a ValueError: with 0/1 labels the update y_i x_i is zero "
                "for class 0, so those points are never learned",
            ),
            (
                lambda X, y, m=100: _perceptron_variant(_upd_correct)(X, y, m, strict=True),
                "a point exactly on the boundary (y_i (w·x_i + b) = 0) is a mistake: with a strict '< 0' test "
                "the all-zero start never updates and you report convergence at w = 0",
            ),
        ],
    )
)


def _ref_novikoff(X, y, w_star, b_star):
    X = np.asarray(X, dtype=float)
    Xa = np.hstack([X, np.ones((len(X), 1))])
    wa = np.append(np.asarray(w_star, dtype=float), float(b_star))
    R = float(np.max(np.linalg.norm(Xa, axis=1)))
    gamma = float(np.min(np.asarray(y, dtype=float) * (Xa @ wa)) / np.linalg.norm(wa))
    return R, gamma, (R / gamma) ** 2


def _nov_no_square(X, y, w, b):
    R, g, _ = _ref_novikoff(X, y, w, b)
    return R, g, R / g


def _nov_unaugmented_R(X, y, w, b):
    _, g, _ = _ref_novikoff(X, y, w, b)
    R = float(np.max(np.linalg.norm(np.asarray(X, dtype=float), axis=1)))
    return R, g, (R / g) ** 2


def _nov_unnormalised(X, y, w, b):
    R, _, _ = _ref_novikoff(X, y, w, b)
    Xa = np.hstack([np.asarray(X, dtype=float), np.ones((len(X), 1))])
    g = float(np.min(np.asarray(y) * (Xa @ np.append(w, b))))
    return R, g, (R / g) ** 2


_NOV_HAND = (
    np.array([[math.sqrt(3.0), 0.0], [0.5, 0.3], [-0.5, 1.0], [-1.2, -0.4]]),
    np.array([1.0, 1.0, -1.0, -1.0]),
    np.array([1.0, 0.0]),
    0.0,
)
_NOV_SIX = (
    np.array([[1.0, 2.0], [2.0, 0.5], [0.5, -1.0], [-1.0, -2.0], [-2.0, 1.0], [-0.5, 0.2]]),
    np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0]),
    np.array([2.0, 1.0]),
    0.5,
)

register(
    Exercise(
        id="03.novikoff",
        title="Compute R, the margin γ and Novikoff's mistake bound (R/γ)² on augmented inputs",
        kind="function",
        section=SECTION_2,
        reference=_ref_novikoff,
        output_names=("R", "gamma", "bound"),
        rtol=1e-9,
        atol=1e-9,
        cases=[
            Case(_NOV_HAND, label="hand case with R = 2 and γ = 0.5"),
            Case(_NOV_SIX, label="six points, separator (2, 1) with bias 0.5"),
        ],
        mutants=[
            (_nov_no_square, "the bound is the *square* (R/γ)²"),
            (_nov_unaugmented_R, "R is the largest norm of the augmented inputs (x, 1)"),
            (_nov_unnormalised, "normalise the augmented separator (w*, b*) to unit length"),
        ],
    )
)

# ---------------------------------------------------------------------------------- 3.3


def _as_network(answer: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    W = np.asarray(answer["W_hidden"], dtype=float)
    b = np.asarray(answer["b_hidden"], dtype=float)
    w = np.asarray(answer["w_out"], dtype=float)
    c = float(answer["b_out"])
    if W.shape != (2, 2) or b.shape != (2,) or w.shape != (2,):
        raise ValueError(
            f"expected W_hidden of shape (2, 2), b_hidden and w_out of shape (2,); got {W.shape}, {b.shape}, {w.shape}"
        )
    return W, b, w, c


def _xor_outputs(answer: Any, hidden_pm1: bool = False) -> np.ndarray:
    W, b, w, c = _as_network(answer)
    h = _step(ROWS01 @ W.T + b)
    if hidden_pm1:
        h = 2 * h - 1
    return _step(h @ w + c)


def _grade_xor(answer: Any) -> str | None:
    out = _xor_outputs(answer)
    if tuple(out.astype(int)) != (0, 1, 1, 0):
        return f"your network computes {_table_name(out)} instead of XOR (0, 1, 1, 0)"
    return None


def _diagnose_xor(answer: Any) -> str | None:
    W, b, w, c = _as_network(answer)
    if np.allclose(W[0], W[1]) and np.isclose(b[0], b[1]):
        return (
            "your two hidden units are identical, so the network is a threshold of a single linear "
            "function of x and can only compute a linearly separable function. Use two different "
            "units, e.g. OR and NAND, and combine them with AND."
        )
    if tuple(_xor_outputs(answer, hidden_pm1=True).astype(int)) == (0, 1, 1, 0):
        return (
            "your output unit would be right if the hidden units output -1/+1, but threshold units "
            "output 0/1 here: redo the output weights for hidden values in {0, 1} (AND of two 0/1 "
            "inputs: w = (1, 1), b = -1.5)."
        )
    return None


register(
    Exercise(
        id="03.xor_network",
        title="Weights of a 2-2-1 threshold network that computes XOR",
        kind="value",
        section=SECTION_3,
        reference={"W_hidden": [[1.0, 1.0], [-1.0, -1.0]], "b_hidden": [-0.5, 1.5], "w_out": [1.0, 1.0], "b_out": -1.5},
        grade_value=_grade_xor,
        diagnose=[_diagnose_xor],
        mutants=[
            (
                {"W_hidden": [[1.0, 1.0], [1.0, 1.0]], "b_hidden": [-0.5, -0.5], "w_out": [1.0, 1.0], "b_out": -1.5},
                "hidden units are identical",
            ),
            (
                {"W_hidden": [[1.0, 1.0], [-1.0, -1.0]], "b_hidden": [-0.5, 1.5], "w_out": [1.0, 1.0], "b_out": -1.0},
                "output -1/+1",
            ),
            (
                {"W_hidden": [[1.0, 1.0], [-1.0, -1.0]], "b_hidden": [-0.5, 1.5], "w_out": [1.0, 1.0], "b_out": -2.5},
                "the constant 0",
            ),
        ],
    )
)

_INTERVAL = re.compile(r"^\s*([\[\(])\s*([-+]?\d+(?:\.\d*)?)\s*,\s*([-+]?\d+(?:\.\d*)?)\s*([\]\)])\s*$")


def _parse_interval(text: Any) -> tuple[str, float, float, str]:
    if not isinstance(text, str):
        raise TypeError(f"write each interval as a string such as '[-3, -1)', got {type(text).__name__}")
    m = _INTERVAL.match(text)
    if not m:
        raise ValueError(f"could not read the interval {text!r}: write it like '[-3, -1)' or '(-3, -1]'")
    return m.group(1), float(m.group(2)), float(m.group(3)), m.group(4)


def _grade_intervals(answer: Any) -> str | None:
    expected = {">=": "[-3, -1)", ">": "(-3, -1]"}
    for rule, exp in expected.items():
        if rule not in answer:
            return f"give a dict with keys '>=' and '>', e.g. {{'>=': '[a, b)', '>': '(a, b]'}}; the key {rule!r} is missing"
        if _parse_interval(answer[rule]) != _parse_interval(exp):
            return f"the interval for rule {rule!r} is not right: {answer[rule]!r}"
    return None


def _diagnose_intervals(answer: Any) -> str | None:
    ge = _parse_interval(answer[">="])
    gt = _parse_interval(answer[">"])
    if ge[2] == -2.0 or gt[2] == -2.0:
        return (
            "the inputs closest to a unit's own pattern differ from it in one coordinate; flipping one "
            "±1 entry lowers the inner product by 2, from n = 3 to n - 2 = 1 (not n - 1). So the upper "
            "end of the interval is -(n - 2) = -1."
        )
    if gt[0] == "[" and gt[1] == -3.0:
        return (
            "under '>' a bias of -3 fails: the unit's own pattern gives 3 - 3 = 0, which is not > 0, so no "
            "hidden unit fires at all. The lower end must be open: (-3, ...]."
        )
    if ge[3] == "]" and ge[2] == -1.0:
        return (
            "under '>=' a bias of -1 fails: every neighbouring pattern (one flipped sign, inner product 1) "
            "gives 1 - 1 = 0 >= 0, so the unit's n neighbours fire too (n + 1 units in all). The upper end "
            "must be open: [..., -1)."
        )
    return None


register(
    Exercise(
        id="03.hidden_bias_interval",
        title="Hidden biases for which exactly one unit fires (n = 3, ±1 inputs), under '>=' and '>'",
        kind="value",
        section=SECTION_3,
        reference={">=": "[-3, -1)", ">": "(-3, -1]"},
        grade_value=_grade_intervals,
        diagnose=[_diagnose_intervals],
        mutants=[
            ({">=": "[-3, -2)", ">": "(-3, -2]"}, "n - 2 = 1 (not n - 1)"),
            ({">=": "[-3, -1)", ">": "[-3, -1]"}, "no hidden unit fires at all"),
            ({">=": "[-3, -1]", ">": "(-3, -1]"}, "neighbours fire too"),
        ],
    )
)


def _ref_boolean_network(truth_table):
    from ..perceptron import boolean_network

    net = boolean_network(np.asarray(truth_table))
    return net.W_hidden, net.b_hidden, net.w_out, float(net.b_out)


def _compare_networks(expected: Any, got: Any) -> str | None:
    """Compare two networks by what they compute (under '>=' on ±1 inputs), not by their weights."""
    W_ref, b_ref, w_ref, c_ref = expected
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        return "return a tuple (W_hidden, b_hidden, w_out, b_out)"
    n = W_ref.shape[1]
    W, b, w = (np.asarray(v, dtype=float) for v in got[:3])
    c = float(got[3])
    m = 2**n
    if W.shape != (m, n):
        return f"W_hidden should have shape (2**n, n) = {(m, n)}, one row per input pattern; got {W.shape}"
    if b.shape != (m,) or w.shape != (m,):
        return f"b_hidden and w_out should have shape ({m},); got {b.shape} and {w.shape}"
    X = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    H = _step(X @ W.T + b)
    target = _step(_step(X @ W_ref.T + b_ref) @ w_ref + c_ref)
    out = _step(H @ w + c)
    if not np.array_equal(H.sum(axis=1), np.ones(m)):
        counts = sorted(set(H.sum(axis=1).astype(int).tolist()))
        return f"exactly one hidden unit should fire for each input, but the number that fire is {counts}"
    if not np.array_equal(out, target):
        return f"the network's outputs {out.astype(int).tolist()} differ from the truth table {target.astype(int).tolist()}"
    return None


def _bn_01_patterns(truth_table):
    t = np.asarray(truth_table, dtype=float)
    n = int(round(math.log2(len(t))))
    P = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
    return P, -float(n) * np.ones(len(t)), np.where(t == 1, 1.0, -1.0), 0.0


def _bn_01_output(truth_table):
    t = np.asarray(truth_table, dtype=float)
    n = int(round(math.log2(len(t))))
    P = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    return P, -float(n) * np.ones(len(t)), t.copy(), 0.0


def _bn_too_low(truth_table):
    t = np.asarray(truth_table, dtype=float)
    n = int(round(math.log2(len(t))))
    P = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    return P, -(n + 0.5) * np.ones(len(t)), np.where(t == 1, 1.0, -1.0), 0.0


_rng_tables = np.random.default_rng(7)
_TABLES = (
    [np.array(t, dtype=float) for t in itertools.product([0, 1], repeat=4)]
    + [np.array(t, dtype=float) for t in itertools.product([0, 1], repeat=8)][::17]
    + [_rng_tables.integers(0, 2, size=16).astype(float) for _ in range(20)]
)

def _diagnose_boolean_network(fn: Any) -> str | None:
    """Look at what the learner's construction does on a 3-input table and name the mistake."""
    table = np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype=float)
    W, b, w, c = fn(table.copy())
    W, b, w, c = np.asarray(W, dtype=float), np.asarray(b, dtype=float), np.asarray(w, dtype=float), float(c)
    if W.shape != (8, 3):
        return None
    X = np.array(list(itertools.product([-1.0, 1.0], repeat=3)))
    H = _step(X @ W.T + b)
    if np.all(np.isin(W, (0.0, 1.0))) and not np.all(H.sum(axis=1) == 1):
        return (
            "the inputs are ±1, so the hidden weights must be the patterns in ±1 encoding; with 0/1 "
            "patterns the inner products no longer single out one pattern"
        )
    if not H.any():
        return (
            "no hidden unit fires: a unit's own pattern gives an inner product of exactly n, so the "
            "bias must be at least -n (and below -(n - 2))"
        )
    if np.all(H.sum(axis=1) == 1) and np.all(w >= 0) and c >= 0:
        return (
            "with output weights 1/0 and output bias 0, the output unit sees 0 >= 0 and fires even "
            "when the active hidden unit has weight 0: use +1 for outputs 1 and -1 for outputs 0"
        )
    return None


register(
    Exercise(
        id="03.boolean_network",
        diagnose=[_diagnose_boolean_network],
        title="Implement the one-hidden-unit-per-pattern network for any truth table",
        kind="function",
        section=SECTION_3,
        reference=_ref_boolean_network,
        compare=_compare_networks,
        cases=[Case((t,), label=f"truth table {t.astype(int).tolist()}") for t in _TABLES],
        mutants=[
            (
                _bn_01_patterns,
                "the inputs are ±1, so the hidden weights must be the patterns in ±1 encoding; with 0/1 "
                "patterns the inner products no longer single out one pattern",
            ),
            (
                _bn_01_output,
                "with output weights 1/0 and output bias 0, the output unit sees 0 >= 0 and fires even "
                "when the active hidden unit has weight 0: use +1 for outputs 1 and -1 for outputs 0",
            ),
            (
                _bn_too_low,
                "no hidden unit fires: a unit's own pattern gives an inner product of exactly n, so the "
                "bias must be at least -n (and below -(n - 2))",
            ),
        ],
    )
)


def _ref_collapse(Ws, bs):
    W = np.asarray(Ws[0], dtype=float)
    b = np.asarray(bs[0], dtype=float)
    for Wl, bl in zip(Ws[1:], bs[1:]):
        Wl = np.asarray(Wl, dtype=float)
        W, b = Wl @ W, Wl @ b + np.asarray(bl, dtype=float)
    return W, b


def _collapse_wrong_order(Ws, bs):
    W = np.asarray(Ws[0], dtype=float)
    for Wl in Ws[1:]:
        W = W @ np.asarray(Wl, dtype=float)
    return W, _ref_collapse(Ws, bs)[1]


def _collapse_last_bias(Ws, bs):
    return _ref_collapse(Ws, bs)[0], np.asarray(bs[-1], dtype=float)


def _collapse_sum_bias(Ws, bs):
    return _ref_collapse(Ws, bs)[0], sum(np.asarray(b, dtype=float) for b in bs)


def _layers(shapes, seed):
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(o, i)) for i, o in zip(shapes[:-1], shapes[1:])]
    bs = [rng.normal(size=o) for o in shapes[1:]]
    return Ws, bs


register(
    Exercise(
        id="03.collapse_affine",
        title="Collapse a stack of linear layers into one affine map (W, b)",
        kind="function",
        section=SECTION_3,
        reference=_ref_collapse,
        output_names=("W", "b"),
        rtol=1e-10,
        atol=1e-10,
        cases=[
            Case(_layers([2, 3, 3, 1], 0), label="three layers 2 -> 3 -> 3 -> 1"),
            Case(_layers([3, 3, 3, 3], 1), label="three square layers"),
            Case(_layers([4, 2], 2), label="a single layer"),
            Case(_layers([2, 5, 4, 3, 2], 3), label="four layers"),
        ],
        mutants=[
            (
                _collapse_wrong_order,
                "layer 1 acts first, so its matrix is on the right: W = W_L ··· W_2 W_1 (with W_l of shape (out, in))",
            ),
            (
                _collapse_last_bias,
                "earlier biases do not disappear: they pass through the later layers, b = sum_l W_L···W_(l+1) b_l",
            ),
            (
                _collapse_sum_bias,
                "earlier biases are transformed by the later layers: b = W_3 W_2 b_1 + W_3 b_2 + b_3, not b_1 + b_2 + b_3",
            ),
        ],
    )
)

# ---------------------------------------------------------------------------------- 3.4


def _diagnose_midpoint(answer: Any) -> str | None:
    mid, slope = (float(v) for v in answer)
    hints = []
    if math.isclose(mid, -0.5) or math.isclose(mid, -2.0) or math.isclose(mid, 2.0):
        hints.append("the midpoint is where wx + b = 0, i.e. x = -b/w = 0.5")
    if math.isclose(slope, 4.0):
        hints.append("the slope there is w·σ'(0) = w/4, not w")
    elif math.isclose(slope, 0.25):
        hints.append("σ'(0) = 1/4 is the slope with respect to z = wx + b; the chain rule multiplies it by w")
    return "; ".join(hints) or None


register(
    Exercise(
        id="03.sigmoid_midpoint_slope",
        title="Midpoint and slope at the midpoint of σ(wx + b) for w = 4, b = -2",
        kind="value",
        section=SECTION_4,
        reference=(0.5, 1.0),
        output_names=("midpoint", "slope"),
        diagnose=[_diagnose_midpoint],
        mutants=[
            ((0.5, 4.0), "w/4, not w"),
            ((-0.5, 1.0), "x = -b/w"),
            ((0.5, 0.25), "the chain rule multiplies it by w"),
        ],
    )
)


def _gd_step(w, b, x, y, *, ascent=False, no_sigma_prime=False, factor=1.0):
    f = float(sigmoid(w * x + b))
    delta = (f - y) * (1.0 if no_sigma_prime else f * (1 - f)) * factor
    sign = 1.0 if ascent else -1.0
    return w + sign * delta * x, b + sign * delta


register(
    Exercise(
        id="03.sigmoid_gd_step",
        title="One gradient-descent step for a sigmoid neuron with L = ½(f - y)²",
        kind="value",
        section=SECTION_4,
        reference=_gd_step(-2.0, -2.0, 0.5, 0.2),
        output_names=("w", "b"),
        rtol=0.0,
        atol=5e-7,
        mutants=[
            (
                _gd_step(-2.0, -2.0, 0.5, 0.2, no_sigma_prime=True),
                "you left out σ'(z) = f(1 - f): ∂L/∂w = (f - y) f (1 - f) x",
            ),
            (_gd_step(-2.0, -2.0, 0.5, 0.2, ascent=True), "step against the gradient: w <- w - lr ∂L/∂w"),
            (
                _gd_step(-2.0, -2.0, 0.5, 0.2, factor=2.0),
                "with L = ½(f - y)² the ½ cancels the 2 from the square: no factor 2 in the gradient",
            ),
        ],
    )
)

# ---------------------------------------------------------------------------------- 3.5


def _tower_values(answer: Any, x: np.ndarray) -> np.ndarray:
    w, b1, b2, v = (float(a) for a in answer)
    return v * (sigmoid(w * x + b1) - sigmoid(w * x + b2))


_INSIDE = np.linspace(0.22, 0.38, 161)
_OUTSIDE = np.concatenate([np.linspace(-1.0, 0.18, 300), np.linspace(0.42, 2.0, 300)])


def _grade_tower(answer: Any) -> str | None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 4:
        return "give a tuple (w, b1, b2, v)"
    inside = np.max(np.abs(_tower_values(answer, _INSIDE) - 3.0))
    outside = np.max(np.abs(_tower_values(answer, _OUTSIDE)))
    if inside >= 0.05:
        return f"on [0.22, 0.38] your tower is off from 3 by up to {inside:.3g} (needs < 0.05)"
    if outside >= 0.05:
        return f"outside [0.18, 0.42] your tower reaches {outside:.3g} (needs < 0.05)"
    return None


def _diagnose_tower(answer: Any) -> str | None:
    w, b1, b2, v = (float(a) for a in answer)
    if w == 0:
        return "w = 0 makes both sigmoids constant: use a large positive w"
    edges = sorted([-b1 / w, -b2 / w])
    if np.allclose(edges, [-0.4, -0.2], atol=0.02):
        return "your tower sits on [-0.4, -0.2]: σ(wx + b) switches at x = -b/w, so the biases must be -w·0.2 and -w·0.4"
    if np.allclose(edges, [0.2, 0.4], atol=0.02) and np.mean(_tower_values(answer, _INSIDE)) < 0:
        return "your tower points down: the first sigmoid (bias -w·0.2) must be the one added, the second (bias -w·0.4) subtracted"
    if np.allclose(edges, [0.2, 0.4], atol=0.02) and abs(w) < 200:
        return f"the edges are in the right place, but w = {w:g} is too small: the sides are too gentle to be within 0.05 of a step 0.02 from the edges (try w of a few hundred)"
    return None


register(
    Exercise(
        id="03.tower",
        title="Weights (w, b1, b2, v) of a sigmoid tower of height 3 on [0.2, 0.4]",
        kind="value",
        section=SECTION_5,
        reference=(500.0, -100.0, -200.0, 3.0),
        grade_value=_grade_tower,
        diagnose=[_diagnose_tower],
        mutants=[
            ((500.0, 100.0, 200.0, 3.0), "the biases must be -w·0.2 and -w·0.4"),
            ((500.0, -200.0, -100.0, 3.0), "your tower points down"),
            ((10.0, -2.0, -4.0, 3.0), "too small"),
        ],
    )
)


def _diagnose_n_towers(answer: Any) -> str | None:
    n = answer
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        return f"the number of towers is a whole number, got {n!r}"
    hints = {
        126: "the bound for towers at bin centres is L·h/2, not L·h: the centre is at most h/2 from any point of its bin",
        10: "the Lipschitz constant of sin(2πx) is max|f'| = 2π, not 1",
        32: "the Lipschitz constant of sin(2πx) is max|f'| = 2π, not π",
        62: "2π/(2n) <= 0.05 needs n >= 62.83...: round up",
        31: "the Lipschitz constant of sin(2πx) is max|f'| = 2π, not π",
    }
    return hints.get(int(n))


register(
    Exercise(
        id="03.n_towers",
        title="Fewest equal-width towers that guarantee sup error <= 0.05 for sin(2πx) on [0, 1]",
        kind="value",
        section=SECTION_5,
        reference=63,
        diagnose=[_diagnose_n_towers],
        mutants=[(126, "not L·h"), (10, "not 1"), (62, "round up")],
    )
)
