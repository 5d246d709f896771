"""Exercise checkers for the book.

In a notebook::

    from dlnotes.exercises import check
    check("03.perceptron_fit", perceptron_fit)     # prints a verdict and a hint, returns True/False

``check`` never raises because of your code: an exception, a NaN, a wrong shape or dtype, an
infinite loop or an unfinished stub each produce a message. (Only when the environment variable
``DLNOTES_STRICT_CHECKS=1`` is set, as the book build and CI do, does a failed check raise, so that
a notebook whose own solution is wrong cannot be published.)

For teachers and maintainers, :func:`registry` maps every exercise id to its
:class:`~dlnotes.exercises._core.Exercise`: the reference answer, hidden cases and the list of
known wrong answers ("mutants") with the hint each must trigger. ``python -m dlnotes.exercises
export SRC OUT`` writes student copies of the notebooks without solutions.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._core import NOT_IMPLEMENTED, Case, Exercise, ExerciseNotPassed, Result, compare, strict_mode

__all__ = [
    "check",
    "grade",
    "registry",
    "register",
    "index_markdown",
    "Exercise",
    "Case",
    "Result",
    "compare",
    "NOT_IMPLEMENTED",
    "ExerciseNotPassed",
]

# Chapter modules that define exercises; each calls `register` at import time.
_CHAPTER_MODULES = ("ch03", "ch04", "ch05", "ch06", "ch07")
_REGISTRY: dict[str, Exercise] = {}
_LOADED = False


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to the registry (ids must be unique)."""
    if exercise.id in _REGISTRY and _REGISTRY[exercise.id] is not exercise:
        raise ValueError(f"register: duplicate exercise id {exercise.id!r}")
    _REGISTRY[exercise.id] = exercise
    return exercise


def registry() -> dict[str, Exercise]:
    """All exercises of the book, keyed by id (``"03.perceptron_fit"``), in book order."""
    global _LOADED
    if not _LOADED:
        for name in _CHAPTER_MODULES:
            importlib.import_module(f"{__name__}.{name}")
        _LOADED = True
    return dict(_REGISTRY)


def grade(exercise_id: str, answer: Any) -> Result:
    """Grade ``answer`` without printing; returns a :class:`Result`."""
    if not isinstance(exercise_id, str):
        raise TypeError(f"grade: exercise_id must be a string like '03.perceptron_fit', got {type(exercise_id).__name__}")
    exercises = registry()
    if exercise_id not in exercises:
        close = [k for k in exercises if k.split(".")[0] == exercise_id.split(".")[0]]
        raise ValueError(f"grade: unknown exercise_id {exercise_id!r}; exercises of that chapter: {close or sorted(exercises)}")
    try:
        return exercises[exercise_id].grade(answer)
    except Exception as exc:  # noqa: BLE001 - a checker bug must not crash a learner's notebook
        return Result(exercise_id, False, f"⚠️ {exercise_id}: the checker itself failed ({type(exc).__name__}: {exc}). Please report this.")


def check(exercise_id: str, answer: Any) -> bool:
    """Check ``answer`` for exercise ``exercise_id``: print a verdict and a hint, return True/False.

    Never raises because of ``answer``. With ``DLNOTES_STRICT_CHECKS=1`` (CI), a failed check
    raises :class:`ExerciseNotPassed` so that a wrong solution in the book fails the build.
    """
    result = grade(exercise_id, answer)
    print(result.message)
    if strict_mode() and not result.passed:
        raise ExerciseNotPassed(result.message)
    return result.passed


def index_markdown() -> str:
    """A Markdown table of every exercise: id, section, kind and title (for the book's index)."""
    rows = ["| Exercise | Section | Kind | What it asks |", "|---|---|---|---|"]
    for ex in registry().values():
        kind = "code" if ex.kind == "function" else "answer"
        rows.append(f"| `{ex.id}` | {ex.section} | {kind} | {ex.title} |")
    return "\n".join(rows)
