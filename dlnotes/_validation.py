"""Input validation shared by every public function of :mod:`dlnotes`.

Each helper raises a ``TypeError`` or ``ValueError`` whose message names the function, the
argument, what was expected and what was received, e.g.::

    perceptron_fit: y must have shape (n_samples,) = (4,), got shape (3,)
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

RNGLike = "np.random.Generator | int | None"


def as_float_array(x: Any, name: str, func: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert ``x`` to a float64 array, checking that it is numeric, finite and of ``ndim``."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{func}: {name} must be an array of numbers, got {type(x).__name__}")
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{func}: {name} must be an array of numbers, got {type(x).__name__} ({exc})"
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{func}: {name} must be {want}, got {arr.ndim}-D array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{func}: {name} must contain only finite values (no NaN or inf)")
    return arr


def as_int(x: Any, name: str, func: str, minimum: int | None = None) -> int:
    """Check that ``x`` is an integer (not a bool) and at least ``minimum``."""
    if isinstance(x, bool) or not isinstance(x, Integral):
        raise TypeError(f"{func}: {name} must be an int, got {type(x).__name__}")
    x = int(x)
    if minimum is not None and x < minimum:
        raise ValueError(f"{func}: {name} must be >= {minimum}, got {x}")
    return x


def as_real(x: Any, name: str, func: str, positive: bool = False, nonnegative: bool = False) -> float:
    """Check that ``x`` is a real number (optionally > 0 or >= 0) and return it as a float."""
    if isinstance(x, bool) or not isinstance(x, (Real, np.floating, np.integer)):
        raise TypeError(f"{func}: {name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{func}: {name} must be finite, got {x}")
    if positive and x <= 0:
        raise ValueError(f"{func}: {name} must be > 0, got {x}")
    if nonnegative and x < 0:
        raise ValueError(f"{func}: {name} must be >= 0, got {x}")
    return x


def check_bool(x: Any, name: str, func: str) -> bool:
    """Check that ``x`` is a bool (Python or NumPy) and return it as a Python bool."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{func}: {name} must be a bool, got {type(x).__name__}")
    return bool(x)


def check_choice(x: Any, name: str, func: str, choices: tuple) -> Any:
    """Check that ``x`` is one of ``choices``."""
    if x not in choices:
        raise ValueError(f"{func}: {name} must be one of {choices}, got {x!r}")
    return x


def check_same_length(X: np.ndarray, y: np.ndarray, func: str, xname: str = "X", yname: str = "y") -> None:
    """Check that ``X`` and ``y`` have the same number of rows."""
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{func}: {xname} and {yname} must have the same number of samples, "
            f"got {xname}.shape[0]={X.shape[0]} and {yname}.shape[0]={y.shape[0]}"
        )


def check_pm1_labels(y: np.ndarray, func: str, name: str = "y") -> np.ndarray:
    """Check that labels are in {-1, +1} and return them as floats."""
    bad = ~np.isin(y, (-1.0, 1.0))
    if bad.any():
        found = np.unique(y[bad])[:5]
        raise ValueError(
            f"{func}: {name} must contain only labels -1 and +1, got value(s) {found.tolist()}"
            + (" (labels in {0, 1}? convert with y = 2*y - 1)" if np.all(np.isin(y, (0.0, 1.0))) else "")
        )
    return y


def as_rng(rng: Any, func: str) -> np.random.Generator:
    """Turn ``rng`` (a Generator, an int seed or None) into a ``numpy.random.Generator``."""
    if rng is None or isinstance(rng, (Integral, np.random.Generator)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    raise TypeError(f"{func}: rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")
