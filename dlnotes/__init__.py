"""dlnotes: the companion package of the *dlnotes* deep-learning textbook.

Every function here is used by a chapter of the book and unit-tested against an independent
reference (PyTorch, scikit-learn, SciPy, closed forms or finite differences). Modules are named
for the concept they implement, not for a chapter number; see ``STYLE.md`` §2 for the layering.
"""

from __future__ import annotations

import os
import random

import numpy as np

__version__ = "0.1.0"

from ._progress import progress

__all__ = ["seed_everything", "progress", "__version__"]


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's legacy global state and PyTorch (if installed).

    Notebooks call this once, in their first code cell, so that every number the prose quotes is
    reproducible. Library functions never rely on global state: they take an explicit ``rng``.

    Parameters
    ----------
    seed:
        A non-negative integer below 2**32.

    Returns
    -------
    numpy.random.Generator
        A fresh generator seeded with ``seed``, for code that wants an explicit ``rng``.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed_everything: seed must be an int, got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed_everything: seed must be in [0, 2**32), got {seed}")
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # torch is optional for the NumPy-only chapters
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)
