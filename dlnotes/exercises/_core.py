"""The machinery behind :func:`dlnotes.exercises.check`.

An :class:`Exercise` knows its reference answer and a list of *mutants*: realistic wrong answers,
each paired with the hint a learner who made that mistake should read. Grading an answer:

1. Stubs are recognised first (``...``, ``None``, ``raise NotImplementedError``, a function that
   returns ``None``): the verdict is "not implemented yet", never an error.
2. The answer is compared with the reference on every hidden case (function exercises), or as a
   value (value exercises). Learner code runs inside a guard: exceptions, NaNs, wrong shapes,
   wrong dtypes and runaway loops become messages.
3. If the answer is wrong, the checker looks for the reason: an exercise's own ``diagnose``
   functions first, then each mutant (an answer that behaves like a known mistake on every hidden
   case gets that mistake's hint), then a generic description of the first difference.

Tests iterate :func:`registry` and prove that every reference passes and every mutant fails with
its hint, so the checkers themselves are tested code.
"""

from __future__ import annotations

import copy
import dis
import math
import os
import signal
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NOT_IMPLEMENTED = "not implemented yet"
STRICT_ENV = "DLNOTES_STRICT_CHECKS"


class _Timeout(Exception):
    pass


class ExerciseNotPassed(AssertionError):
    """Raised by :func:`check` only in strict mode (``DLNOTES_STRICT_CHECKS=1``, set by CI)."""


@dataclass(frozen=True)
class Case:
    """One hidden test case of a function exercise.

    ``args``/``kwargs`` are deep-copied before every call, so an answer that mutates its inputs
    cannot affect the reference. ``raises`` marks a case where the correct behaviour is to raise
    that exception type (bad input must be rejected).
    """

    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    raises: type[BaseException] | None = None


@dataclass
class Result:
    """What grading found: ``passed``, a one-line ``verdict`` and a ``hint`` (may be empty)."""

    exercise_id: str
    passed: bool
    verdict: str
    hint: str = ""
    not_implemented: bool = False

    @property
    def message(self) -> str:
        return self.verdict + (f"\n   Hint: {self.hint}" if self.hint else "")


@dataclass
class Exercise:
    """A checkable exercise.

    Parameters
    ----------
    id:
        ``"<chapter>.<name>"``, e.g. ``"03.perceptron_fit"``.
    title:
        One line, shown in the exercise index.
    kind:
        ``"function"``: the answer is a callable, run on ``cases`` and compared with ``reference``.
        ``"value"``: the answer is a value (number, tuple, dict of weights...).
    reference:
        The correct implementation or value.
    mutants:
        ``[(wrong_answer, expected_hint), ...]``; at least two. The checker's tests prove that each
        is rejected and that the message contains its hint.
    cases:
        Hidden cases (function exercises).
    compare:
        ``compare(expected, got) -> problem or None``; defaults to :func:`compare` with ``rtol``/``atol``.
    grade_value:
        For value exercises with many right answers (any weights that compute AND): a function
        ``answer -> problem or None`` used instead of comparing with ``reference``.
    diagnose:
        Functions ``answer -> hint or None`` tried (in order) on a wrong answer before the mutants.
    output_names:
        Names of the items of a tuple output, used in messages (``("w", "b", "converged")``).
    section:
        Where the exercise lives in the book.
    adapt:
        For function exercises whose answer is not itself the function to run (a class such as
        ``class MyLinear(nn.Linear)``, or an engine routine that must be driven on a graph):
        ``adapt(answer)`` returns the callable that is run on ``cases``. Applied in the same way
        to the reference and to every mutant.
    """

    id: str
    title: str
    kind: str
    reference: Any
    mutants: list[tuple[Any, str]]
    cases: list[Case] = field(default_factory=list)
    compare: Callable[[Any, Any], str | None] | None = None
    grade_value: Callable[[Any], str | None] | None = None
    diagnose: list[Callable[[Any], str | None]] = field(default_factory=list)
    output_names: tuple[str, ...] | None = None
    section: str = ""
    rtol: float = 1e-6
    atol: float = 1e-9
    timeout: float = 10.0
    adapt: Callable[[Any], Callable] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("function", "value"):
            raise ValueError(f"Exercise {self.id}: kind must be 'function' or 'value', got {self.kind!r}")
        if len(self.mutants) < 2:
            raise ValueError(f"Exercise {self.id}: needs at least 2 mutants, got {len(self.mutants)}")
        if self.kind == "function" and not self.cases:
            raise ValueError(f"Exercise {self.id}: a function exercise needs hidden cases")

    # ------------------------------------------------------------------ comparison
    def _compare(self, expected: Any, got: Any) -> str | None:
        if self.compare is not None:
            return self.compare(expected, got)
        return compare(expected, got, rtol=self.rtol, atol=self.atol, names=self.output_names)

    # ------------------------------------------------------------------ grading
    def grade(self, answer: Any) -> Result:
        """Grade ``answer``; never raises because of the answer."""
        stub = _stub_message(answer, self.kind)
        if stub is not None:
            return Result(self.id, False, f"⏳ {self.id}: {NOT_IMPLEMENTED}. {stub}", not_implemented=True)
        if self.kind == "function":
            if not callable(answer):
                return Result(self.id, False, f"❌ {self.id}: expected a function, got {type(answer).__name__}.",
                              "Pass the function itself, without calling it: check(id, my_function), not check(id, my_function()).")
            return self._grade_function(answer)
        return self._grade_value(answer)

    def _grade_value(self, answer: Any) -> Result:
        if self.grade_value is not None:
            problem = _guarded(lambda: self.grade_value(answer), self.timeout)
        else:
            problem = _guarded(lambda: self._compare(self.reference, answer), self.timeout)
        if isinstance(problem, _Raised):
            problem = f"the checker could not read your answer ({problem.describe()})"
        if problem is None:
            return Result(self.id, True, f"✅ {self.id}: correct!")
        hint = self._find_hint_value(answer) or problem
        return Result(self.id, False, f"❌ {self.id}: not quite.", hint)

    def _find_hint_value(self, answer: Any) -> str | None:
        for diag in self.diagnose:
            hint = _guarded(lambda: diag(answer), self.timeout)
            if isinstance(hint, str):
                return hint
        for wrong, hint in self.mutants:
            same = _guarded(lambda: compare(wrong, answer, rtol=self.rtol, atol=self.atol), self.timeout)
            if same is None:
                return hint
        return None

    def _run(self, fn: Callable, case: Case) -> Any:
        args = copy.deepcopy(case.args)
        kwargs = copy.deepcopy(dict(case.kwargs))
        if self.adapt is not None:
            adapted = self.adapt(fn)
            return _guarded(lambda: adapted(*args, **kwargs), self.timeout)
        return _guarded(lambda: fn(*args, **kwargs), self.timeout)

    def _outcome_problem(self, case: Case, got: Any, expected: Any) -> str | None:
        """Describe how ``got`` (a value or a _Raised) differs from the expected behaviour."""
        if case.raises is not None:
            if isinstance(got, _Raised) and isinstance(got.exc, case.raises):
                return None
            if isinstance(got, _Raised):
                return (
                    f"on bad input ({case.label}) your function should raise {case.raises.__name__}, "
                    f"but it raised {got.describe()}"
                )
            return f"on bad input ({case.label}) your function should raise {case.raises.__name__}, but it returned normally"
        if isinstance(got, _Raised):
            if isinstance(got.exc, _Timeout):
                return f"your function did not finish within {self.timeout:g} s on case '{case.label}' (an infinite loop?)"
            return f"your function raised {got.describe()} on case '{case.label}'"
        if isinstance(expected, _Raised):  # pragma: no cover - a broken reference is a bug in the book
            return f"internal error: the reference failed on case '{case.label}' ({expected.describe()})"
        problem = self._compare(expected, got)
        if problem is not None:
            return f"on case '{case.label}': {problem}"
        return None

    def _grade_function(self, answer: Callable) -> Result:
        n = len(self.cases)
        outputs = []
        first_problem = None
        for k, case in enumerate(self.cases):
            got = self._run(answer, case)
            if k == 0 and _returns_stub(got, case):
                return Result(
                    self.id,
                    False,
                    f"⏳ {self.id}: {NOT_IMPLEMENTED}. Your function "
                    + ("raised NotImplementedError" if isinstance(got, _Raised) else "returned None")
                    + " — replace the `...` with your code (and `return` the result).",
                    not_implemented=True,
                )
            outputs.append(got)
            if first_problem is None:
                expected = None if case.raises else self._run(self.reference, case)
                problem = self._outcome_problem(case, got, expected)
                if problem is not None:
                    first_problem = (k, problem)
        if first_problem is None:
            return Result(self.id, True, f"✅ {self.id}: correct! Passed all {n} hidden checks.")
        k, problem = first_problem
        hint = self._find_hint_function(answer, outputs) or problem
        return Result(self.id, False, f"❌ {self.id}: failed hidden check {k + 1} of {n}: {problem}", hint if hint != problem else "")

    def _find_hint_function(self, answer: Callable, outputs: list) -> str | None:
        for diag in self.diagnose:
            hint = _guarded(lambda: diag(answer), self.timeout)
            if isinstance(hint, str):
                return hint
        for wrong, hint in self.mutants:
            if all(self._same_behaviour(self._run(wrong, case), got) for case, got in zip(self.cases, outputs)):
                return hint
        return None

    def _same_behaviour(self, a: Any, b: Any) -> bool:
        if isinstance(a, _Raised) or isinstance(b, _Raised):
            return isinstance(a, _Raised) and isinstance(b, _Raised) and type(a.exc) is type(b.exc)
        # Structural equality first (symmetric), then the exercise's own comparison.
        if _guarded(lambda: compare(a, b, rtol=self.rtol, atol=self.atol), self.timeout) is None:
            return True
        return _guarded(lambda: self._compare(a, b), self.timeout) is None


# ---------------------------------------------------------------------- helpers


@dataclass
class _Raised:
    exc: BaseException
    tb: str = ""

    def describe(self) -> str:
        if isinstance(self.exc, _Timeout):
            return "a time-out"
        text = str(self.exc)
        if len(text) > 200:
            text = text[:200] + "…"
        where = f" ({self.tb})" if self.tb else ""
        return f"{type(self.exc).__name__}: {text}{where}" if text else f"{type(self.exc).__name__}{where}"


def _guarded(fn: Callable[[], Any], timeout: float) -> Any:
    """Call ``fn``; return its value, or a :class:`_Raised` for any exception or a time-out."""
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    old_handler = None
    if use_alarm:

        def _on_alarm(signum, frame):  # noqa: ARG001
            raise _Timeout()

        old_handler = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with np.errstate(all="ignore"):
            return fn()
    except (Exception, RecursionError, _Timeout) as exc:  # learner code may raise anything
        tb = traceback.extract_tb(exc.__traceback__)
        learner = [fr for fr in tb if "dlnotes/exercises" not in fr.filename.replace(os.sep, "/")]
        where = f"line {learner[-1].lineno}" if learner else ""
        return _Raised(exc, where)
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)


def _is_stub_value(x: Any) -> bool:
    return x is Ellipsis or x is None or x is NotImplemented


def _instructions(code: Any) -> list[tuple[str, Any]]:
    return [(i.opname, i.argval) for i in dis.get_instructions(code) if i.opname not in ("RESUME", "NOP", "CACHE")]


def _trivial():  # the compiled body of `def f(...): ...`, `pass` or a lone docstring
    ...


_TRIVIAL = _instructions(_trivial.__code__)


def _is_trivial_function(fn: Any) -> bool:
    """True for a function whose body does nothing (``...``, ``pass``, only a docstring)."""
    code = getattr(fn, "__code__", None)
    return code is not None and _instructions(code) == _TRIVIAL


def _stub_methods(cls: type) -> list[str]:
    """Methods a learner's class defines itself whose body is still a stub."""
    return [name for name, attr in vars(cls).items() if callable(attr) and _is_trivial_function(attr)]


def _stub_message(answer: Any, kind: str) -> str | None:
    if kind == "function" and isinstance(answer, type) and _stub_methods(answer):
        return f"The method(s) {_stub_methods(answer)} still have `...` as their body: write them and run the cell again."
    if kind == "function" and _is_trivial_function(answer):
        return "The function body is still `...`: write it and run the cell again."
    if _is_stub_value(answer):
        return "Replace the `...` with your answer and run the cell again."
    if kind == "value" and isinstance(answer, (tuple, list)) and any(_is_stub_value(a) for a in answer):
        return "Some entries are still `...`: fill them all in."
    if kind == "value" and isinstance(answer, Mapping) and any(_is_stub_value(a) for a in answer.values()):
        missing = [k for k, v in answer.items() if _is_stub_value(v)]
        return f"Entries {missing} are still `...`: fill them all in."
    if kind == "function" and not callable(answer):
        return None  # handled as a type problem below
    return None


def _returns_stub(got: Any, case: Case) -> bool:
    if isinstance(got, _Raised):
        return isinstance(got.exc, NotImplementedError)
    return case.raises is None and _is_stub_value(got)


def _fmt(x: Any) -> str:
    if isinstance(x, np.ndarray):
        with np.printoptions(precision=6, suppress=True, threshold=12, edgeitems=3):
            return np.array2string(x, separator=", ")
    if isinstance(x, float):
        return f"{x:.6g}"
    text = repr(x)
    return text if len(text) < 120 else text[:117] + "..."


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def compare(expected: Any, got: Any, rtol: float = 1e-6, atol: float = 1e-9, names: Sequence[str] | None = None, path: str = "your answer") -> str | None:
    """Describe the first difference between ``got`` and ``expected``, or return ``None``.

    Handles nested tuples/lists/dicts, numbers, booleans, strings and arrays. Messages are meant
    for a learner: they name the item (``w`` rather than ``[0]`` when ``names`` is given), the
    expected shape or type, and what was received.
    """
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"{path} should be a bool (True/False), got {type(got).__name__} {_fmt(got)}"
        return None if bool(got) == bool(expected) else f"{path} should be {bool(expected)}, got {bool(got)}"
    if isinstance(expected, str):
        if not isinstance(got, str):
            return f"{path} should be a string, got {type(got).__name__}"
        return None if got.strip() == expected.strip() else f"{path} is {got!r}, which is not right"
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return f"{path} should be a dict with keys {sorted(map(str, expected))}, got {type(got).__name__}"
        missing = [k for k in expected if k not in got]
        if missing:
            return f"{path} is missing the key(s) {missing}"
        for k in expected:
            problem = compare(expected[k], got[k], rtol, atol, None, f"{path}[{k!r}]")
            if problem:
                return problem
        return None
    if isinstance(expected, (tuple, list)):
        if isinstance(got, np.ndarray) and all(_is_number(e) for e in expected):
            got = list(got)
        if not isinstance(got, (tuple, list)):
            what = f" ({', '.join(names)})" if names else ""
            return f"{path} should be a tuple of {len(expected)} items{what}, got {type(got).__name__}"
        if len(got) != len(expected):
            what = f" ({', '.join(names)})" if names else ""
            return f"{path} should have {len(expected)} items{what}, got {len(got)}"
        for k, (e, g) in enumerate(zip(expected, got)):
            label = names[k] if names and k < len(names) else f"{path}[{k}]"
            problem = compare(e, g, rtol, atol, None, label)
            if problem:
                return problem
        return None
    if _is_number(expected) or isinstance(expected, np.ndarray):
        exp = np.asarray(expected)
        if isinstance(got, (str, bytes, Mapping)) or got is None:
            return f"{path} should be {'a number' if exp.ndim == 0 else f'an array of shape {exp.shape}'}, got {type(got).__name__}"
        try:
            arr = np.asarray(got)
        except Exception:  # noqa: BLE001 - ragged lists and the like
            return f"{path} could not be turned into an array (got {type(got).__name__})"
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            return f"{path} should contain numbers, got dtype {arr.dtype}"
        if np.issubdtype(arr.dtype, np.complexfloating):
            return f"{path} should be real, got complex numbers"
        if arr.shape != exp.shape:
            if arr.size == exp.size:
                return f"{path} has shape {arr.shape} but should have shape {exp.shape} (same numbers, wrong shape: a transpose, or a missing reshape/squeeze?)"
            return f"{path} has shape {arr.shape} but should have shape {exp.shape}"
        arr = arr.astype(float)
        if np.isnan(arr).any() and not np.isnan(exp.astype(float)).any():
            return f"{path} contains NaN (a division by zero, or exp of a large number overflowing to inf?)"
        if np.isinf(arr).any() and not np.isinf(exp.astype(float)).any():
            return f"{path} contains inf (an overflow? compute in a numerically stable way)"
        if not np.allclose(arr, exp.astype(float), rtol=rtol, atol=atol, equal_nan=True):
            if exp.ndim == 0:
                return f"{path} is {_fmt(float(arr))}, expected {_fmt(float(exp))}"
            err = np.abs(arr - exp)
            idx = np.unravel_index(np.nanargmax(err), err.shape)
            return (
                f"{path} differs from the expected values (largest difference {float(err[idx]):.3g} at index "
                f"{tuple(int(i) for i in idx)}: got {_fmt(float(arr[idx]))}, expected {_fmt(float(exp[idx]))})"
            )
        return None
    # Fallback: equality
    try:
        equal = bool(expected == got)
    except Exception:  # noqa: BLE001
        equal = False
    return None if equal else f"{path} is {_fmt(got)}, expected something else"


def strict_mode() -> bool:
    """True when ``DLNOTES_STRICT_CHECKS`` is set to a true value (CI and ``make``)."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes")


# ---- helpers for writing `diagnose` functions of value exercises ---------------------------


def answer_field(answer: Any, key: str) -> Any:
    """``answer[key]`` for a dict-like answer, else None (a diagnosis never raises)."""
    return answer.get(key) if hasattr(answer, "get") else None


def close_to(value: Any, target: float, tol: float = 1e-6) -> bool:
    """True if ``value`` is a number within ``tol`` (relative or absolute) of ``target``."""
    try:
        return math.isclose(float(value), target, rel_tol=tol, abs_tol=tol)
    except (TypeError, ValueError):
        return False


def close_vec(value: Any, target: Any, tol: float = 1e-6) -> bool:
    """True if ``value`` is array-like with the shape of ``target`` and close to it (never raises)."""
    try:
        v = np.asarray(value, dtype=float)
        t = np.asarray(target, dtype=float)
        return v.shape == t.shape and bool(np.allclose(v, t, rtol=tol, atol=tol))
    except (TypeError, ValueError):
        return False


def join_hints(checks: list[tuple[bool, str]]) -> str | None:
    """The hints whose condition holds, joined by "; " (None if none holds)."""
    found = [hint for ok, hint in checks if ok]
    return "; ".join(found) or None
