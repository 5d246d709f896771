"""Exercise checkers: every reference passes, every registered mistake is caught with its hint,
and no learner code can crash `check`."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.exercises import NOT_IMPLEMENTED, Case, Exercise, ExerciseNotPassed, check, compare, grade, registry

EXERCISES = registry()
MUTANTS = [(ex_id, k) for ex_id, ex in EXERCISES.items() for k in range(len(ex.mutants))]


def test_registry_is_populated_and_ids_are_well_formed():
    assert len(EXERCISES) >= 6
    for ex_id, ex in EXERCISES.items():
        chapter, name = ex_id.split(".")
        assert chapter.isdigit() and len(chapter) == 2 and name
        assert ex.id == ex_id and ex.title and ex.section
        assert len(ex.mutants) >= 2, f"{ex_id} needs at least two mutants"


def test_chapter_03_has_enough_coding_exercises():
    ch03 = [ex for ex in EXERCISES.values() if ex.id.startswith("03.")]
    assert len(ch03) >= 6
    assert sum(ex.kind == "function" for ex in ch03) >= 2


@pytest.mark.parametrize("ex_id", list(EXERCISES))
def test_reference_passes(ex_id):
    result = grade(ex_id, EXERCISES[ex_id].reference)
    assert result.passed, result.message


@pytest.mark.parametrize("ex_id,k", MUTANTS, ids=[f"{e}-mutant{k}" for e, k in MUTANTS])
def test_mutant_is_rejected_with_its_hint(ex_id, k):
    wrong, hint = EXERCISES[ex_id].mutants[k]
    result = grade(ex_id, wrong)
    assert not result.passed, f"{ex_id}: mutant {k} was accepted"
    assert not result.not_implemented
    assert hint in result.message, f"{ex_id}: mutant {k}: expected hint {hint!r}, got:\n{result.message}"


@pytest.mark.parametrize("ex_id", list(EXERCISES))
def test_mutant_hints_are_distinct(ex_id):
    hints = [h for _, h in EXERCISES[ex_id].mutants]
    assert len(set(hints)) == len(hints)


@pytest.mark.parametrize("ex_id", list(EXERCISES))
@pytest.mark.parametrize("stub", [..., None])
def test_stub_answers_are_not_implemented(ex_id, stub):
    result = grade(ex_id, stub)
    assert not result.passed and result.not_implemented
    assert NOT_IMPLEMENTED in result.message


@pytest.mark.parametrize("ex_id", [e for e, ex in EXERCISES.items() if ex.kind == "function"])
def test_function_stubs_are_not_implemented(ex_id):
    def body_is_ellipsis(*args, **kwargs):
        ...

    def raises_not_implemented(*args, **kwargs):
        raise NotImplementedError

    for stub in (body_is_ellipsis, raises_not_implemented):
        result = grade(ex_id, stub)
        assert result.not_implemented and NOT_IMPLEMENTED in result.message


@pytest.mark.parametrize("ex_id", [e for e, ex in EXERCISES.items() if ex.kind == "function"])
def test_learner_exceptions_become_messages(ex_id):
    def crashes(*args, **kwargs):
        return 1 / 0

    result = grade(ex_id, crashes)
    assert not result.passed and "ZeroDivisionError" in result.message


@pytest.mark.parametrize("ex_id", [e for e, ex in EXERCISES.items() if ex.kind == "function"])
def test_passing_a_call_instead_of_a_function_is_explained(ex_id):
    result = grade(ex_id, 42)
    assert not result.passed and "expected a function" in result.message


def test_check_prints_and_returns_bool(capsys, monkeypatch):
    monkeypatch.delenv("DLNOTES_STRICT_CHECKS", raising=False)
    assert check("03.n_towers", 63) is True
    assert "correct" in capsys.readouterr().out
    assert check("03.n_towers", 126) is False
    out = capsys.readouterr().out
    assert "not L·h" in out and "Hint" in out


def test_strict_mode_raises_only_on_failure(monkeypatch):
    monkeypatch.setenv("DLNOTES_STRICT_CHECKS", "1")
    assert check("03.n_towers", 63) is True
    with pytest.raises(ExerciseNotPassed, match="03.n_towers"):
        check("03.n_towers", 126)


def test_unknown_exercise_id_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown exercise_id '03.nope'"):
        grade("03.nope", 1)
    with pytest.raises(TypeError, match="exercise_id must be a string"):
        grade(3, 1)


# ---- the generic machinery on a toy exercise, so each failure mode is pinned down --------------


def _toy(timeout: float = 10.0) -> Exercise:
    return Exercise(
        id="99.mean_rows",
        title="toy",
        kind="function",
        section="tests",
        reference=lambda X: np.asarray(X, dtype=float).mean(axis=1),
        cases=[Case((np.arange(6.0).reshape(2, 3),), label="2x3"), Case((np.ones((4, 2)),), label="4x2")],
        mutants=[
            (lambda X: np.asarray(X, dtype=float).mean(axis=0), "average over each row (axis=1)"),
            (lambda X: np.asarray(X, dtype=float).sum(axis=1), "divide by the number of columns"),
        ],
        timeout=timeout,
    )


def test_toy_wrong_shape_is_reported():
    result = _toy().grade(lambda X: np.asarray(X, dtype=float).mean(axis=1, keepdims=True))
    assert not result.passed and "shape (2, 1)" in result.message and "(2,)" in result.message


def test_toy_nan_is_reported():
    result = _toy().grade(lambda X: np.full(len(X), np.nan))
    assert not result.passed and "NaN" in result.message


def test_toy_wrong_dtype_is_reported():
    result = _toy().grade(lambda X: np.array(["a"] * len(X)))
    assert not result.passed and "numbers" in result.message


def test_toy_infinite_loop_times_out():
    def forever(X):
        while True:
            pass

    result = _toy(timeout=0.3).grade(forever)
    assert not result.passed and "did not finish" in result.message


def test_toy_unknown_mistake_gets_the_first_difference():
    result = _toy().grade(lambda X: np.asarray(X, dtype=float).mean(axis=1) + 1)
    assert not result.passed and "largest difference" in result.message


def test_toy_mutant_hint_wins_over_generic_message():
    result = _toy().grade(lambda X: np.asarray(X, dtype=float).sum(axis=1))
    assert "divide by the number of columns" in result.message


def test_learner_cannot_corrupt_hidden_cases():
    def vandal(X):
        X[...] = 0.0
        return np.asarray(X).mean(axis=1)

    ex = _toy()
    assert not ex.grade(vandal).passed
    assert ex.grade(ex.reference).passed


def test_exercise_requires_two_mutants():
    with pytest.raises(ValueError, match="at least 2 mutants"):
        Exercise(id="99.x", title="x", kind="value", reference=1, mutants=[(2, "no")])


@pytest.mark.parametrize(
    "expected,got,fragment",
    [
        ((1.0, 2.0), (1.0,), "should have 2 items"),
        ({"a": 1}, {"b": 1}, "missing the key"),
        (True, 1, "should be a bool"),
        (np.zeros(3), np.zeros((3, 1)), "wrong shape"),
        (1.0, float("inf"), "inf"),
        (2.0, "2", "should be a number"),
    ],
)
def test_compare_messages(expected, got, fragment):
    message = compare(expected, got)
    assert message is not None and fragment in message


def test_compare_accepts_equal_structures():
    assert compare({"w": np.ones(2), "b": (1.0, True)}, {"w": [1.0, 1.0], "b": [1.0 + 1e-12, True]}) is None


def test_hints_generalise_beyond_the_registered_mutants():
    """A learner's mistake rarely matches a mutant exactly; the diagnoses still name it."""
    import itertools

    # AND weights that compute OR, but not the registered OR weights
    gates = {"AND": ((2.0, 2.0), -1.0), "OR": ((1.0, 1.0), -0.5), "NAND": ((-1.0, -1.0), 1.5)}
    assert "your AND unit computes OR" in grade("03.gate_weights", gates).message

    # 0/1 patterns with a different bias than the registered mutant
    def boolean_network_01(truth_table):
        t = np.asarray(truth_table, dtype=float)
        n = int(np.log2(len(t)))
        P = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
        return P, -(n - 0.5) * np.ones(len(t)), np.where(t == 1, 1.0, -1.0), 0.0

    assert "±1 encoding" in grade("03.boolean_network", boolean_network_01).message

    # the midpoint written as b/w with the correct slope
    assert "x = -b/w" in grade("03.sigmoid_midpoint_slope", (-0.5, 1.0)).message
    # a float answer for a count is read as the count
    assert "not L·h" in grade("03.n_towers", 126.0).message


def test_a_class_with_a_stub_method_is_not_implemented():
    from dlnotes import nn

    class MyLinear(nn.Linear):
        def backward(self, grad_output):
            """Your code here."""
            ...

    result = grade("04.linear_backward", MyLinear)
    assert result.not_implemented and "backward" in result.message


def test_alternative_correct_solutions_pass():
    """Checkers compare behaviour, not the reference's algorithm."""
    from collections import defaultdict

    from dlnotes import nn

    class MyLinear(nn.Linear):  # einsum instead of matmul
        def backward(self, grad_output):
            X = self._input
            self.weight.grad += np.einsum("no,ni->oi", grad_output, X)
            self.bias.grad += np.einsum("no->o", grad_output)
            return np.einsum("no,oi->ni", grad_output, self.weight.data)

    assert grade("04.linear_backward", MyLinear).passed

    def backward_kahn(root):  # Kahn's algorithm on consumer counts instead of a DFS
        consumers, stack, seen = defaultdict(int), [root], {id(root)}
        while stack:
            node = stack.pop()
            for p in node.parents:
                consumers[id(p)] += 1
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append(p)
        adjoint, ready = defaultdict(float, {id(root): 1.0}), [root]
        while ready:
            node = ready.pop()
            node.grad += adjoint[id(node)]
            for p, c in zip(node.parents, node.local_backward(adjoint[id(node)])):
                adjoint[id(p)] += c
                consumers[id(p)] -= 1
                if consumers[id(p)] == 0:
                    ready.append(p)

    assert grade("04.value_backward", backward_kahn).passed

    def sce(logits, y):  # via log_softmax from scipy
        from scipy.special import log_softmax, softmax

        n = len(y)
        onehot = np.eye(logits.shape[1])[y]
        return float(-(log_softmax(logits, axis=1) * onehot).sum() / n), (softmax(logits, axis=1) - onehot) / n

    assert grade("04.softmax_cross_entropy", sce).passed
    assert grade("03.xor_network", {"W_hidden": [[1, -1], [-1, 1]], "b_hidden": [-0.5, -0.5], "w_out": [1, 1], "b_out": -0.5}).passed
