"""The book's house plotting style and the few 2-D pictures every early chapter draws.

Colours come from the Okabe–Ito palette (safe for the common colour-vision deficiencies) and
the two classes are also told apart by marker shape, so every figure survives grey-scale
printing. Functions take an existing ``matplotlib.axes.Axes`` and return it; they never create
figures or call ``pyplot``, so they work with any backend (the tests use Agg).

Book: chapter 03 (perceptrons: truth tables, half-planes, decision boundaries) and
chapter 04 (feedforward networks: probability maps).
"""

from __future__ import annotations

from numbers import Real
from typing import Any, Callable

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Polygon

from dlnotes._validation import as_float_array, as_int, as_real, check_choice, check_same_length

__all__ = [
    "animation_html",
    "PALETTE",
    "CLASS_COLORS",
    "CLASS_MARKERS",
    "CMAP",
    "use_house_style",
    "decision_boundary",
    "plot_halfplane",
    "plot_truth_table",
]

#: Okabe & Ito (2008) qualitative palette, reordered so that the first colours are the most
#: distinct: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow, black.
PALETTE: list[str] = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#E69F00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
]

#: Colours of the negative class (label 0 or -1) and of the positive class (label 1 or +1);
#: they match the two ends of :data:`CMAP`.
CLASS_COLORS: tuple[str, str] = ("#D55E00", "#0072B2")

#: Markers of the negative and positive class (circles and triangles), for grey-scale prints.
CLASS_MARKERS: tuple[str, str] = ("o", "^")

#: Diverging colormap for decision regions: red on the negative side, blue on the positive side.
CMAP: str = "RdBu"

_HOUSE_RC: dict[str, Any] = {
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "figure.figsize": (5.0, 3.6),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#b0b0b0",
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "lines.markersize": 6,
    "image.cmap": "viridis",
}


def use_house_style() -> None:
    """Set matplotlib's rcParams to the book's house style (idempotent).

    Figure dpi 110, 10 pt fonts, no top/right spines, a light grid below the data, the
    Okabe–Ito :data:`PALETTE` as the colour cycle, constrained layout and tight bounding boxes
    when saving. Calling it again just sets the same values. Notebooks call it in their first
    code cell; undo it with ``matplotlib.rcdefaults()`` or scope it with
    ``matplotlib.rc_context()``.

    Book: chapter 03/04, the first code cell of every notebook.
    """
    mpl.rcParams.update(_HOUSE_RC)
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=PALETTE)


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _check_ax(ax: Any, func: str) -> Axes:
    if not isinstance(ax, Axes):
        raise TypeError(f"{func}: ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _check_limits(lim: Any, name: str, func: str) -> tuple[float, float]:
    """Check a ``(low, high)`` pair of finite reals with ``low < high``."""
    if isinstance(lim, (str, bytes)) or not hasattr(lim, "__len__") or len(lim) != 2:
        raise ValueError(f"{func}: {name} must be a pair (low, high), got {lim!r}")
    if not all(isinstance(v, (Real, np.floating, np.integer)) and not isinstance(v, bool) for v in lim):
        raise TypeError(f"{func}: {name} must contain two real numbers, got {lim!r}")
    lo, hi = float(lim[0]), float(lim[1])
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise ValueError(f"{func}: {name} must be finite with low < high, got ({lo}, {hi})")
    return lo, hi


def _binary_labels(y: np.ndarray, func: str, name: str = "y") -> tuple[float, float]:
    """Return the (negative, positive) label values of ``y``: (0, 1) or (-1, 1)."""
    if np.all(np.isin(y, (0.0, 1.0))):
        return 0.0, 1.0
    if np.all(np.isin(y, (-1.0, 1.0))):
        return -1.0, 1.0
    found = np.unique(y)[:6].tolist()
    raise ValueError(f"{func}: {name} must contain labels in {{0, 1}} or in {{-1, +1}}, got values {found}")


# --------------------------------------------------------------------------------------------
# decision regions
# --------------------------------------------------------------------------------------------


def decision_boundary(
    ax: Axes,
    predict: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    resolution: int = 200,
    padding: float = 0.5,
    proba: bool = False,
) -> Axes:
    r"""Draw the decision regions of a 2-D classifier with the data on top.

    ``predict`` is evaluated on a ``resolution x resolution`` grid covering the data plus
    ``padding``. Its output :math:`z` is turned into a signed score :math:`s = z - \tau` whose
    zero level is the decision boundary:

    .. math::

        \tau = \begin{cases}
            1/2 & \text{if ``proba`` (probabilities of class 1) or } z \in \{0, 1\}
                  \text{ (hard 0/1 labels)},\\
            0   & \text{otherwise (scores such as } w \cdot x + b \text{, or } \pm 1 \text{ labels)}.
        \end{cases}

    The regions are filled (light :data:`CMAP`, red = negative side, blue = positive side; hard
    labels give two flat colours, scores and probabilities give graded shades), the level line
    :math:`s = 0` is drawn in black, and the points are scattered by class with
    :data:`CLASS_COLORS` and :data:`CLASS_MARKERS` (black edges, so they read in grey-scale).

    Book: chapter 03, §3.2/§3.3 (decision regions) and chapter 04 (feedforward networks).

    Parameters
    ----------
    ax:
        The axes to draw on.
    predict:
        Callable mapping an ``(m, 2)`` float64 array to ``(m,)`` labels, scores or (with
        ``proba``) probabilities of the positive class.
    X:
        Inputs, shape ``(n, 2)``, ``n >= 1``.
    y:
        Labels, shape ``(n,)``, in {0, 1} or in {-1, +1}.
    resolution:
        Grid points per axis, an int in [2, 2000].
    padding:
        Margin added around the data on each side, >= 0.
    proba:
        ``predict`` returns probabilities in [0, 1]: boundary at 1/2, graded shading.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with limits set to the grid.

    Raises
    ------
    TypeError
        If ``ax`` is not an Axes, ``predict`` is not callable, or an argument has the wrong type.
    ValueError
        If ``X`` is not ``(n, 2)``, ``y`` does not have length ``n`` or has other labels,
        ``resolution``/``padding`` is out of range, or ``predict`` returns the wrong shape,
        non-finite values, or (with ``proba``) values outside [0, 1].
    """
    func = "decision_boundary"
    _check_ax(ax, func)
    if not callable(predict):
        raise TypeError(f"{func}: predict must be callable, got {type(predict).__name__}")
    X = as_float_array(X, "X", func, ndim=2)
    if X.shape[1] != 2 or X.shape[0] < 1:
        raise ValueError(f"{func}: X must have shape (n_samples, 2) with n_samples >= 1, got shape {X.shape}")
    y = as_float_array(y, "y", func, ndim=1)
    check_same_length(X, y, func)
    neg, pos = _binary_labels(y, func)
    res = as_int(resolution, "resolution", func, minimum=2)
    if res > 2000:
        raise ValueError(f"{func}: resolution must be <= 2000, got {res}")
    pad = as_real(padding, "padding", func, nonnegative=True)
    if not isinstance(proba, (bool, np.bool_)):
        raise TypeError(f"{func}: proba must be a bool, got {type(proba).__name__}")

    lo = X.min(axis=0) - pad
    hi = X.max(axis=0) + pad
    flat = hi <= lo  # a single point (or a constant coordinate) with no padding
    lo, hi = np.where(flat, lo - 0.5, lo), np.where(flat, hi + 0.5, hi)
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], res), np.linspace(lo[1], hi[1], res))
    grid = np.column_stack([xx.ravel(), yy.ravel()])

    m = grid.shape[0]
    z = predict(grid)
    z_arr = np.asarray(z) if not isinstance(z, (str, bytes)) else z
    shape = getattr(z_arr, "shape", None)
    if shape == (m, 1):
        z_arr = np.reshape(z_arr, (m,))
    elif shape != (m,):
        raise ValueError(
            f"{func}: predict must return an array of shape (m,) = ({m},) for an (m, 2) input, "
            f"got {'shape ' + str(shape) if shape is not None else type(z).__name__}"
        )
    z = as_float_array(z_arr, "predict(grid)", func)

    if proba:
        if z.min() < 0.0 or z.max() > 1.0:
            raise ValueError(
                f"{func}: with proba=True, predict must return probabilities in [0, 1], "
                f"got values in [{z.min():.4g}, {z.max():.4g}]"
            )
        s = z - 0.5
        r = 0.5
        levels = np.linspace(-r, r, 11)
    else:
        level = 0.5 if np.all(np.isin(z, (0.0, 1.0))) else 0.0
        s = z - level
        r = max(float(np.abs(s).max()), 1e-12)
        if np.all(np.isin(z, (-1.0, 0.0, 1.0))):  # hard labels: two flat regions
            levels = np.array([-r, 0.0, r])
        else:  # scores: shades of confidence, symmetric around the boundary
            levels = np.linspace(-r, r, 11)
    S = s.reshape(xx.shape)

    ax.contourf(xx, yy, S, levels=levels, cmap=CMAP, norm=mpl.colors.Normalize(-r, r), alpha=0.3, zorder=0)
    if S.min() < 0.0 < S.max():
        ax.contour(xx, yy, S, levels=[0.0], colors="k", linewidths=1.2, zorder=1)

    for k, value in enumerate((neg, pos)):
        mask = y == value
        if not mask.any():
            continue
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            c=CLASS_COLORS[k],
            marker=CLASS_MARKERS[k],
            s=28,
            edgecolors="k",
            linewidths=0.5,
            label=f"y = {value:+g}" if neg < 0 else f"y = {value:g}",
            zorder=2,
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return ax


# --------------------------------------------------------------------------------------------
# half-planes
# --------------------------------------------------------------------------------------------


def _clip_box_to_halfplane(box: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Sutherland–Hodgman: the part of the convex polygon ``box`` where ``w . p + b >= 0``."""
    vals = box @ w + b
    out = []
    k = len(box)
    for i in range(k):  # loop over the 4 corners of the box
        p, q = box[i], box[(i + 1) % k]
        fp, fq = vals[i], vals[(i + 1) % k]
        if fp >= 0:
            out.append(p)
        if (fp >= 0) != (fq >= 0):
            out.append(p + fp / (fp - fq) * (q - p))
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def _line_in_box(
    w: np.ndarray, b: float, xlim: tuple[float, float], ylim: tuple[float, float]
) -> np.ndarray | None:
    """Liang–Barsky: the segment of the line ``w . p + b = 0`` (``w != 0``) inside the box."""
    p0 = -b * w / (w @ w)  # the point of the line closest to the origin
    d = np.array([-w[1], w[0]])  # direction of the line
    t_lo, t_hi = -np.inf, np.inf
    for k, (lo, hi) in enumerate((xlim, ylim)):
        if d[k] == 0.0:
            if not lo <= p0[k] <= hi:
                return None
            continue
        t1, t2 = (lo - p0[k]) / d[k], (hi - p0[k]) / d[k]
        t_lo, t_hi = max(t_lo, min(t1, t2)), min(t_hi, max(t1, t2))
    if t_lo > t_hi:
        return None
    seg = np.array([p0 + t_lo * d, p0 + t_hi * d])
    if d[0] == 0.0:  # exactly vertical: keep x exact
        seg[:, 0] = p0[0]
    if d[1] == 0.0:  # exactly horizontal
        seg[:, 1] = p0[1]
    return seg


def plot_halfplane(
    ax: Axes,
    w: Any,
    b: float,
    xlim: tuple[float, float] = (-0.5, 1.5),
    ylim: tuple[float, float] = (-0.5, 1.5),
    rule: str = ">=",
    label: str | None = None,
) -> Axes:
    r"""Shade where a linear threshold unit fires, and draw its boundary line.

    For ``rule=">="`` the shaded set is the half-plane

    .. math::

        H = \{x \in \mathbb{R}^2 : w \cdot x + b \ge 0\},

    intersected with the box ``xlim x ylim``; the line is :math:`w \cdot x + b = 0` (vertical
    when :math:`w_2 = 0`). ``">"``, ``"<="`` and ``"<"`` use the corresponding comparison; strict
    and non-strict rules only differ on the line itself, except when :math:`w = 0`: then the unit
    fires everywhere or nowhere (e.g. with ``">="``, everywhere iff :math:`b \ge 0`) and no line
    is drawn.

    Book: chapter 03, §3.1 (a threshold unit is a half-plane).

    Parameters
    ----------
    ax:
        The axes to draw on; its limits are set to ``xlim`` and ``ylim``.
    w:
        Weights, shape ``(2,)``.
    b:
        Bias (threshold :math:`-b`).
    xlim, ylim:
        The box ``(low, high)`` to draw in.
    rule:
        One of ``">="``, ``">"``, ``"<="``, ``"<"``: where the unit "fires".
    label:
        Legend label, attached to the line (or to the shaded patch if there is no line).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Raises
    ------
    TypeError
        If ``ax`` is not an Axes, ``label`` is not a string, or an argument is not numeric.
    ValueError
        If ``w`` is not of shape ``(2,)``, a limit pair is not increasing, or ``rule`` is unknown.
    """
    func = "plot_halfplane"
    _check_ax(ax, func)
    w = as_float_array(w, "w", func, ndim=1)
    if w.shape != (2,):
        raise ValueError(f"{func}: w must have shape (2,), got shape {w.shape}")
    b = as_real(b, "b", func)
    xlim = _check_limits(xlim, "xlim", func)
    ylim = _check_limits(ylim, "ylim", func)
    check_choice(rule, "rule", func, (">=", ">", "<=", "<"))
    if label is not None and not isinstance(label, str):
        raise TypeError(f"{func}: label must be a str or None, got {type(label).__name__}")

    # Reduce "<=" and "<" to ">=" / ">" by flipping the sign of the unit.
    sign = 1.0 if rule in (">=", ">") else -1.0
    strict = rule in (">", "<")
    ws, bs = sign * w, sign * b
    box = np.array([[xlim[0], ylim[0]], [xlim[1], ylim[0]], [xlim[1], ylim[1]], [xlim[0], ylim[1]]])

    if np.all(w == 0.0):
        fires = bs > 0 if strict else bs >= 0
        region = box if fires else np.empty((0, 2))
        seg = None
    else:
        region = _clip_box_to_halfplane(box, ws, bs)
        seg = _line_in_box(w, b, xlim, ylim)

    if len(region) >= 3:
        ax.add_patch(
            Polygon(
                region,
                closed=True,
                facecolor=PALETTE[0],
                edgecolor="none",
                alpha=0.2,
                zorder=0,
                label=label if seg is None else None,
            )
        )
    if seg is not None:
        ax.plot(seg[:, 0], seg[:, 1], color=PALETTE[0], linewidth=1.8, label=label, zorder=1)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return ax


# --------------------------------------------------------------------------------------------
# truth tables
# --------------------------------------------------------------------------------------------


def plot_truth_table(ax: Axes, X: Any, y: Any) -> Axes:
    r"""Scatter the inputs of a 2-input Boolean function, filled where the output is 1.

    Each input :math:`x \in \{0,1\}^2` (or :math:`\{-1,1\}^2`) is drawn as a large circle,
    filled when :math:`f(x) = 1` and hollow when :math:`f(x)` is 0 (or -1), and annotated with
    its output, so that e.g. XOR shows its two filled corners on one diagonal.

    Book: chapter 03, §3.1 (threshold units and Boolean functions).

    Parameters
    ----------
    ax:
        The axes to draw on.
    X:
        Inputs, shape ``(n, 2)``, e.g. ``boolean_inputs(2, "01")``.
    y:
        Outputs, shape ``(n,)``, in {0, 1} or in {-1, +1}.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Raises
    ------
    TypeError
        If ``ax`` is not an Axes or ``X``/``y`` are not numeric.
    ValueError
        If ``X`` is not ``(n, 2)``, ``y`` does not have length ``n`` or has other values.
    """
    func = "plot_truth_table"
    _check_ax(ax, func)
    X = as_float_array(X, "X", func, ndim=2)
    if X.shape[1] != 2 or X.shape[0] < 1:
        raise ValueError(f"{func}: X must have shape (n_samples, 2) with n_samples >= 1, got shape {X.shape}")
    y = as_float_array(y, "y", func, ndim=1)
    check_same_length(X, y, func)
    off, on = _binary_labels(y, func)
    color = PALETTE[0]

    is_on = y == on
    if is_on.any():
        ax.scatter(
            X[is_on, 0], X[is_on, 1], s=160, marker="o", facecolors=color, edgecolors=color,
            linewidths=1.5, label=f"f(x) = {on:g}", zorder=2,
        )
    if (~is_on).any():
        ax.scatter(
            X[~is_on, 0], X[~is_on, 1], s=160, marker="o", facecolors="none", edgecolors=color,
            linewidths=1.5, label=f"f(x) = {off:g}", zorder=2,
        )
    for (x1, x2), value in zip(X, y):  # one text label per row of the (tiny) truth table
        ax.annotate(
            f"{value:g}", xy=(x1, x2), xytext=(9, 9), textcoords="offset points",
            fontsize=10, fontweight="bold", color="k",
        )
    ax.set_xticks(np.unique(X[:, 0]))
    ax.set_yticks(np.unique(X[:, 1]))
    ax.margins(0.3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def animation_html(anim: Any, dpi: int = 72) -> Any:
    """An animation as an HTML player that works on the static site (``FuncAnimation.to_jshtml``).

    The frames are rendered at ``dpi`` (72 by default, instead of the house style's 200 for saved
    figures), which keeps a 30-frame animation under about 1 MB of page weight. The animation's
    figure is closed, so the notebook does not also show a static copy of its last frame.

    Returns an ``IPython.display.HTML`` object: make it the last expression of the cell.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib.animation import Animation

    if not isinstance(anim, Animation):
        raise TypeError(f"animation_html: anim must be a matplotlib Animation, got {type(anim).__name__}")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or dpi <= 0:
        raise ValueError(f"animation_html: dpi must be a positive int, got {dpi!r}")
    with plt.rc_context({"savefig.dpi": dpi, "savefig.bbox": "standard"}):
        html = anim.to_jshtml()
    plt.close(anim._fig)
    return HTML(html)

