"""seed_everything makes Python, NumPy and torch reproducible, and validates its argument."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import dlnotes


def _draws():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_same_seed_same_draws_in_every_library():
    dlnotes.seed_everything(123)
    first = _draws()
    dlnotes.seed_everything(123)
    assert _draws() == first
    dlnotes.seed_everything(124)
    assert _draws() != first


def test_returns_a_generator_seeded_like_numpy_default_rng():
    rng = dlnotes.seed_everything(7)
    assert isinstance(rng, np.random.Generator)
    assert rng.random() == np.random.default_rng(7).random()


@pytest.mark.parametrize("bad,exc,match", [(1.5, TypeError, "seed must be an int"), (True, TypeError, "seed must be an int"),
                                           (-1, ValueError, r"seed must be in \[0, 2\*\*32\)"), (2**32, ValueError, "seed must be in")])
def test_bad_seeds_are_rejected(bad, exc, match):
    with pytest.raises(exc, match=match):
        dlnotes.seed_everything(bad)
