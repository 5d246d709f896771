"""Tests of dlnotes.numerics.relative_error (convention C12) against a spelled-out oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlnotes.numerics import relative_error


def oracle(a, b):
    """C12 written out element by element in plain Python."""
    a, b = np.ravel(a), np.ravel(b)
    return max(abs(x - y) / max(1e-8, abs(x) + abs(y)) for x, y in zip(a.tolist(), b.tolist()))


def test_closed_form_values():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0], [3.0]) == pytest.approx(0.5)  # 2 / 4
    assert relative_error([1.0, -1.0], [1.0, 1.0]) == 1.0  # opposite signs
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([0.0], [1e-10]) == pytest.approx(1e-2)  # floor 1e-8 in the denominator
    assert relative_error(2.0, 2.0 + 2e-9) == pytest.approx(5e-10, rel=1e-6)
    assert relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


@settings(max_examples=60, deadline=None, database=None)
@given(
    array_shapes(min_dims=0, max_dims=3, max_side=4).flatmap(
        lambda s: st.tuples(
            arrays(np.float64, s, elements=st.floats(-1e6, 1e6)),
            arrays(np.float64, s, elements=st.floats(-1e6, 1e6)),
        )
    )
)
def test_matches_the_spelled_out_definition_and_is_symmetric(ab):
    a, b = ab
    if a.size == 0:
        return
    r = relative_error(a, b)
    assert isinstance(r, float) and 0.0 <= r <= 1.0
    assert r == pytest.approx(oracle(a, b), rel=1e-12, abs=0)
    assert r == relative_error(b, a)


def test_validation():
    with pytest.raises(
        ValueError, match=r"a and b must have the same shape, got a.shape=\(2,\) and b.shape=\(3,\)"
    ):
        relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="b must contain only finite"):
        relative_error([1.0], [np.nan])
    with pytest.raises(TypeError, match="a must be an array of numbers"):
        relative_error("x", [1.0])
