"""Tests of dlnotes.plotting on the Agg backend, by inspecting the artists that were drawn."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from dlnotes.plotting import (  # noqa: E402
    CLASS_COLORS,
    CMAP,
    PALETTE,
    decision_boundary,
    plot_halfplane,
    plot_truth_table,
    use_house_style,
)

W = np.array([1.0, -2.0])
B = 0.3


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def ax():
    _, ax = plt.subplots()
    return ax


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(40, 2))
    y01 = (X @ W + B >= 0).astype(float)
    return X, y01


def _contours(ax, filled):
    return [c for c in ax.collections if isinstance(c, ContourSet) and c.filled == filled]


def _scatters(ax):
    return [c for c in ax.collections if isinstance(c, PathCollection) and not isinstance(c, ContourSet)]


def _shoelace(xy):
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


# --------------------------------------------------------------------------------------------
# house style
# --------------------------------------------------------------------------------------------


def test_palette_constants():
    assert len(PALETTE) >= 8 and all(mcolors.is_color_like(c) for c in PALETTE)
    assert len(CLASS_COLORS) == 2 and all(mcolors.is_color_like(c) for c in CLASS_COLORS)
    assert CLASS_COLORS[0] != CLASS_COLORS[1]
    assert CMAP in matplotlib.colormaps


def test_use_house_style_is_idempotent():
    with matplotlib.rc_context():
        use_house_style()
        first = dict(matplotlib.rcParams)
        use_house_style()
        assert dict(matplotlib.rcParams) == first
        rc = matplotlib.rcParams
        assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
        assert rc["savefig.bbox"] == "tight"
        assert rc["figure.constrained_layout.use"] is True
        assert rc["axes.grid"] is True
        assert 100 <= rc["figure.dpi"] <= 120
        assert [mcolors.to_hex(c) for c in rc["axes.prop_cycle"].by_key()["color"]] == [c.lower() for c in PALETTE]


# --------------------------------------------------------------------------------------------
# decision_boundary
# --------------------------------------------------------------------------------------------


def test_decision_boundary_hard_01_labels(ax, data):
    X, y = data
    out = decision_boundary(ax, lambda P: (P @ W + B >= 0).astype(float), X, y, resolution=80)
    assert out is ax
    assert len(_contours(ax, filled=True)) == 1
    filled = _contours(ax, filled=True)[0]
    assert len(filled.get_paths()) >= 2 and sum(len(p.vertices) for p in filled.get_paths()) > 0
    assert len(_contours(ax, filled=False)) == 1
    scat = _scatters(ax)
    assert sum(len(c.get_offsets()) for c in scat) == len(X)
    assert len(scat) == 2
    # the classes have different colours and different marker shapes
    assert not np.allclose(scat[0].get_facecolors(), scat[1].get_facecolors())
    assert scat[0].get_paths()[0].vertices.shape != scat[1].get_paths()[0].vertices.shape or not np.allclose(
        scat[0].get_paths()[0].vertices, scat[1].get_paths()[0].vertices
    )
    # every scattered point of each class is where it should be
    for c in scat:
        pts = np.asarray(c.get_offsets())
        sides = pts @ W + B >= 0
        assert np.all(sides) or not np.any(sides)


def test_decision_boundary_level_line_of_linear_score_lies_on_the_line(ax, data):
    X, y01 = data
    y = 2 * y01 - 1
    decision_boundary(ax, lambda P: P @ W + B, X, y, resolution=60, padding=0.2)
    (line,) = _contours(ax, filled=False)
    verts = np.concatenate([p.vertices for p in line.get_paths()])
    assert len(verts) > 10
    # the level line of a linear score is exactly w . x + b = 0 (linear interpolation is exact)
    np.testing.assert_allclose(verts @ W + B, 0.0, atol=1e-9)
    assert sum(len(c.get_offsets()) for c in _scatters(ax)) == len(X)
    # the axes cover the data plus padding
    assert ax.get_xlim() == pytest.approx((X[:, 0].min() - 0.2, X[:, 0].max() + 0.2))
    assert ax.get_ylim() == pytest.approx((X[:, 1].min() - 0.2, X[:, 1].max() + 0.2))


def test_decision_boundary_probabilities(ax, data):
    X, y = data
    decision_boundary(ax, lambda P: 1.0 / (1.0 + np.exp(-4.0 * (P @ W + B))), X, y, resolution=50, proba=True)
    assert len(_contours(ax, filled=True)) == 1 and len(_contours(ax, filled=False)) == 1
    (line,) = _contours(ax, filled=False)
    verts = np.concatenate([p.vertices for p in line.get_paths()])
    # interpolating a sigmoid is not exact, but the 0.5 level stays within a grid cell of the line
    step = (ax.get_xlim()[1] - ax.get_xlim()[0]) / 49
    assert np.max(np.abs(verts @ W + B) / np.linalg.norm(W)) < step


def test_decision_boundary_constant_predictor_draws_no_line_and_no_warning(ax, data):
    X, y = data
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decision_boundary(ax, lambda P: np.ones(len(P)), X, y, resolution=20)
    assert len(_contours(ax, filled=True)) == 1 and len(_contours(ax, filled=False)) == 0
    assert sum(len(c.get_offsets()) for c in _scatters(ax)) == len(X)


def test_decision_boundary_errors(ax, data):
    X, y = data
    pred = lambda P: P[:, 0]  # noqa: E731
    with pytest.raises(ValueError, match=r"decision_boundary: X must have shape \(n_samples, 2\).*got shape \(40, 3\)"):
        decision_boundary(ax, pred, np.ones((40, 3)), y)
    with pytest.raises(ValueError, match="decision_boundary: X must be 2-D"):
        decision_boundary(ax, pred, np.ones(40), y)
    with pytest.raises(ValueError, match=r"decision_boundary: X and y must have the same number of samples.*y.shape\[0\]=39"):
        decision_boundary(ax, pred, X, y[:-1])
    with pytest.raises(TypeError, match="decision_boundary: predict must be callable, got ndarray"):
        decision_boundary(ax, np.ones(3), X, y)
    with pytest.raises(ValueError, match=r"decision_boundary: predict must return an array of shape \(m,\) = \(400,\).*got shape \(400, 2\)"):
        decision_boundary(ax, lambda P: P, X, y, resolution=20)
    with pytest.raises(ValueError, match=r"decision_boundary: y must contain labels in \{0, 1\} or in \{-1, \+1\}"):
        decision_boundary(ax, pred, X, 2 * y)
    with pytest.raises(ValueError, match=r"decision_boundary: with proba=True, predict must return probabilities in \[0, 1\]"):
        decision_boundary(ax, pred, X, y, resolution=20, proba=True)
    with pytest.raises(TypeError, match="decision_boundary: ax must be a matplotlib Axes"):
        decision_boundary(None, pred, X, y)
    with pytest.raises(ValueError, match="decision_boundary: resolution must be >= 2"):
        decision_boundary(ax, pred, X, y, resolution=1)


# --------------------------------------------------------------------------------------------
# plot_halfplane
# --------------------------------------------------------------------------------------------


def test_halfplane_and_gate(ax):
    out = plot_halfplane(ax, [1.0, 1.0], -1.5, label="AND")
    assert out is ax
    (patch,) = ax.patches
    xy = patch.get_xy()
    assert np.all(xy @ np.array([1.0, 1.0]) - 1.5 >= -1e-12)
    # region of the box [-0.5, 1.5]^2 above x1 + x2 = 1.5: the triangle (0, 1.5), (1.5, 1.5), (1.5, 0)
    assert _shoelace(xy) == pytest.approx(1.125, abs=1e-12)
    (line,) = ax.lines
    pts = line.get_xydata()
    np.testing.assert_allclose(pts @ np.array([1.0, 1.0]) - 1.5, 0.0, atol=1e-12)
    assert line.get_label() == "AND"
    assert ax.get_xlim() == (-0.5, 1.5) and ax.get_ylim() == (-0.5, 1.5)


def test_halfplane_vertical_line(ax):
    plot_halfplane(ax, [2.0, 0.0], -1.0)
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), [0.5, 0.5])
    assert sorted(line.get_ydata()) == [-0.5, 1.5]
    (patch,) = ax.patches
    assert _shoelace(patch.get_xy()) == pytest.approx(2.0, abs=1e-12)  # x1 >= 0.5 within the box
    assert np.all(patch.get_xy()[:, 0] >= 0.5 - 1e-12)


def test_halfplane_opposite_rule_is_the_complement(ax):
    plot_halfplane(ax, [1.0, 1.0], -1.5, rule="<=")
    (patch,) = ax.patches
    assert _shoelace(patch.get_xy()) == pytest.approx(4.0 - 1.125, abs=1e-12)
    assert np.all(patch.get_xy() @ np.array([1.0, 1.0]) - 1.5 <= 1e-12)


@pytest.mark.parametrize("b,rule,fires", [(1.0, ">=", True), (-1.0, ">=", False), (0.0, ">=", True), (0.0, ">", False), (-1.0, "<", True)])
def test_halfplane_zero_weights_fire_everywhere_or_nowhere(ax, b, rule, fires):
    plot_halfplane(ax, [0.0, 0.0], b, xlim=(0, 2), ylim=(-1, 1), rule=rule, label="const")
    assert len(ax.lines) == 0
    if fires:
        (patch,) = ax.patches
        assert _shoelace(patch.get_xy()) == pytest.approx(4.0)
        assert patch.get_label() == "const"
    else:
        assert len(ax.patches) == 0


def test_halfplane_line_outside_box(ax):
    plot_halfplane(ax, [1.0, 0.0], -10.0)  # fires for x1 >= 10: nothing in the box, no line
    assert len(ax.lines) == 0 and len(ax.patches) == 0


def test_halfplane_errors(ax):
    with pytest.raises(ValueError, match=r"plot_halfplane: w must have shape \(2,\), got shape \(3,\)"):
        plot_halfplane(ax, [1.0, 2.0, 3.0], 0.0)
    with pytest.raises(ValueError, match=r"plot_halfplane: xlim must be finite with low < high, got \(1.0, 0.0\)"):
        plot_halfplane(ax, [1.0, 1.0], 0.0, xlim=(1.0, 0.0))
    with pytest.raises(ValueError, match="plot_halfplane: rule must be one of"):
        plot_halfplane(ax, [1.0, 1.0], 0.0, rule="=>")
    with pytest.raises(TypeError, match="plot_halfplane: ax must be a matplotlib Axes, got str"):
        plot_halfplane("ax", [1.0, 1.0], 0.0)
    with pytest.raises(TypeError, match="plot_halfplane: b must be a real number"):
        plot_halfplane(ax, [1.0, 1.0], "0")


# --------------------------------------------------------------------------------------------
# plot_truth_table
# --------------------------------------------------------------------------------------------


def test_truth_table_xor(ax):
    X = np.array(list(itertools.product((0, 1), repeat=2)), dtype=float)
    y = np.array([0, 1, 1, 0])
    assert plot_truth_table(ax, X, y) is ax
    scat = _scatters(ax)
    assert sum(len(c.get_offsets()) for c in scat) == 4
    filled = [c for c in scat if len(c.get_facecolors()) and c.get_facecolors()[0][3] > 0]
    hollow = [c for c in scat if c not in filled]
    assert len(filled) == 1 and len(hollow) == 1
    np.testing.assert_array_equal(np.asarray(filled[0].get_offsets()), X[y == 1])
    np.testing.assert_array_equal(np.asarray(hollow[0].get_offsets()), X[y == 0])
    texts = sorted((t.xy, t.get_text()) for t in ax.texts)
    assert texts == sorted(((float(a), float(b)), str(v)) for (a, b), v in zip(X, y))


def test_truth_table_errors(ax):
    X = np.array(list(itertools.product((0, 1), repeat=2)), dtype=float)
    with pytest.raises(ValueError, match=r"plot_truth_table: X must have shape \(n_samples, 2\)"):
        plot_truth_table(ax, np.ones((4, 3)), [0, 1, 1, 0])
    with pytest.raises(ValueError, match="plot_truth_table: X and y must have the same number of samples"):
        plot_truth_table(ax, X, [0, 1, 1])
    with pytest.raises(ValueError, match=r"plot_truth_table: y must contain labels in \{0, 1\}"):
        plot_truth_table(ax, X, [0, 1, 2, 0])


def test_animation_html_is_light_and_closes_the_figure():
    from matplotlib.animation import FuncAnimation

    from dlnotes.plotting import animation_html

    fig, ax = plt.subplots(figsize=(4, 3))
    (line,) = ax.plot([0, 1], [0, 1])
    anim = FuncAnimation(fig, lambda k: line.set_ydata([0, k]) or (line,), frames=5)
    html = animation_html(anim)
    assert "<script" in html.data and len(html.data) < 500_000
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(TypeError, match="anim must be a matplotlib Animation"):
        animation_html(fig)
