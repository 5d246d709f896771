"""Small offline datasets: Boolean functions, separable clouds, XOR, digits, moons and circles.

Nothing here touches the network. The only "real" dataset is scikit-learn's bundled copy of the
UCI handwritten digits; everything else is generated. Random generators take an explicit
``rng`` (a ``numpy.random.Generator``, an int seed or None), never the global state.

Book: chapter 03 (perceptrons: Boolean functions, linear separability, XOR) and chapter 04
(feedforward networks on moons, circles and digits).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes._validation import as_float_array, as_int, as_real, as_rng, check_choice

__all__ = [
    "boolean_inputs",
    "boolean_dataset",
    "linearly_separable",
    "xor_dataset",
    "load_digits",
    "make_moons",
    "make_circles",
]

_ENCODINGS = ("pm1", "01")
_MAX_BOOLEAN_INPUTS = 20


def _encoding_values(encoding: str) -> tuple[float, float]:
    """The (off, on) values of an encoding: (-1, 1) for "pm1", (0, 1) for "01"."""
    return (-1.0, 1.0) if encoding == "pm1" else (0.0, 1.0)


def boolean_inputs(n: int, encoding: str = "pm1") -> np.ndarray:
    r"""All :math:`2^n` inputs of an :math:`n`-ary Boolean function, one per row.

    Row :math:`r` is the binary expansion of :math:`r` with the *first* input as the most
    significant bit, i.e. the order of ``itertools.product(values, repeat=n)``:

    .. math::

        X_{r, j} = v\bigl(\lfloor r / 2^{\,n-1-j} \rfloor \bmod 2\bigr),
        \qquad v(0), v(1) = \begin{cases} -1, +1 & \text{"pm1"} \\ 0, 1 & \text{"01"} \end{cases}

    Book: chapter 03, §3.1 (threshold units and Boolean functions).

    Parameters
    ----------
    n:
        Number of inputs, an int with :math:`1 \le n \le 20`.
    encoding:
        ``"pm1"`` (false = -1, true = +1; the perceptron's convention) or ``"01"``.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(2**n, n)``.

    Raises
    ------
    TypeError
        If ``n`` is not an int.
    ValueError
        If ``n < 1``, ``n > 20`` (too big to enumerate) or ``encoding`` is unknown.
    """
    func = "boolean_inputs"
    n = as_int(n, "n", func, minimum=1)
    if n > _MAX_BOOLEAN_INPUTS:
        raise ValueError(
            f"{func}: n must be <= {_MAX_BOOLEAN_INPUTS} (2**n rows would be too big to enumerate), got {n}"
        )
    check_choice(encoding, "encoding", func, _ENCODINGS)
    off, on = _encoding_values(encoding)
    rows = np.arange(2**n, dtype=np.int64)[:, None]
    shifts = np.arange(n - 1, -1, -1, dtype=np.int64)[None, :]  # first column = most significant bit
    bits = (rows >> shifts) & 1
    return np.where(bits == 1, on, off).astype(np.float64)


def boolean_dataset(truth_table: Any, encoding: str = "pm1") -> tuple[np.ndarray, np.ndarray]:
    r"""Inputs and outputs of a Boolean function given by its truth table.

    The table lists :math:`f(x)` for the rows of :func:`boolean_inputs`, in that order; e.g.
    AND of two inputs is ``[0, 0, 0, 1]`` and XOR is ``[0, 1, 1, 0]``.

    .. math::

        \mathcal{D} = \{(x_r, f(x_r)) : r = 0, \dots, 2^n - 1\}

    Book: chapter 03, §3.1 (threshold units and Boolean functions).

    Parameters
    ----------
    truth_table:
        1-D array-like of length :math:`2^n` (:math:`n \ge 1`) with values in {0, 1}
        (bools are fine).
    encoding:
        Encoding of the *inputs*: ``"pm1"`` or ``"01"`` (see :func:`boolean_inputs`).

    Returns
    -------
    X : numpy.ndarray
        ``boolean_inputs(n, encoding)``, shape ``(2**n, n)``.
    y : numpy.ndarray
        The outputs as float64 0/1, shape ``(2**n,)`` (use ``2*y - 1`` for -1/+1 labels).

    Raises
    ------
    TypeError
        If ``truth_table`` is not numeric.
    ValueError
        If it is not 1-D, its length is not a power of two >= 2 (or exceeds 2**20), or it has
        values other than 0 and 1.
    """
    func = "boolean_dataset"
    y = as_float_array(truth_table, "truth_table", func, ndim=1)
    length = y.shape[0]
    if length < 2 or length & (length - 1):
        raise ValueError(
            f"{func}: truth_table must have a length that is a power of two >= 2 (2**n for n inputs), "
            f"got length {length}"
        )
    n = length.bit_length() - 1
    if n > _MAX_BOOLEAN_INPUTS:
        raise ValueError(
            f"{func}: truth_table must have at most 2**{_MAX_BOOLEAN_INPUTS} entries, got length {length}"
        )
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise ValueError(
            f"{func}: truth_table must contain only 0 and 1, got value(s) {np.unique(y[bad])[:5].tolist()}"
        )
    check_choice(encoding, "encoding", func, _ENCODINGS)
    return boolean_inputs(n, encoding), y.copy()


def linearly_separable(
    n_samples: int,
    n_features: int,
    margin: float,
    rng: np.random.Generator | int | None = None,
    box: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""A random linearly separable dataset with a known separator and a guaranteed margin.

    A unit vector :math:`w^\star = (v, b) \in \mathbb{R}^{d+1}` (augmented: the last entry is
    the bias) is drawn with :math:`v \sim \mathcal{N}(0, I_d)` and a bias small enough that the
    hyperplane :math:`v \cdot x + b = 0` crosses the box. Points are drawn uniformly from
    :math:`[-\text{box}, \text{box}]^d` by (vectorized, batched) rejection sampling, keeping

    .. math::

        \bigl|w^\star \cdot [x, 1]\bigr| \ge \gamma, \qquad
        y = \operatorname{sign}(w^\star \cdot [x, 1]) \in \{-1, +1\},

    so that :math:`y_i\, w^\star \cdot [x_i, 1] \ge \gamma` for every :math:`i` — the setting of
    the perceptron convergence theorem (at most :math:`R^2/\gamma^2` mistakes, with
    :math:`R = \max_i \|[x_i, 1]\|`). Both classes are present whenever ``n_samples >= 2``.

    Book: chapter 03, §3.2 (perceptron learning and the mistake bound).

    Parameters
    ----------
    n_samples:
        Number of points, >= 1.
    n_features:
        Dimension :math:`d` of the inputs, >= 1.
    margin:
        The augmented margin :math:`\gamma \ge 0`. Since :math:`\|w^\star\| = 1`, the points are
        at Euclidean distance at least :math:`\gamma / \|v\| \ge \gamma` from the hyperplane.
    rng:
        A ``numpy.random.Generator``, an int seed or None.
    box:
        Half-width of the sampling cube, > 0.

    Returns
    -------
    X : numpy.ndarray
        Float64 array of shape ``(n_samples, n_features)``.
    y : numpy.ndarray
        Float64 labels in {-1.0, +1.0}, shape ``(n_samples,)``.
    w_star : numpy.ndarray
        The unit-norm augmented separator, shape ``(n_features + 1,)``.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_samples < 1``, ``n_features < 1``, ``margin < 0``, ``box <= 0``, or the margin is
        too large for the box (no or too few points can be accepted).
    """
    func = "linearly_separable"
    n_samples = as_int(n_samples, "n_samples", func, minimum=1)
    n_features = as_int(n_features, "n_features", func, minimum=1)
    gamma = as_real(margin, "margin", func, nonnegative=True)
    box = as_real(box, "box", func, positive=True)
    gen = as_rng(rng, func)

    v = gen.standard_normal(n_features)
    # |b| <= box * ||v||_2 / 4 <= box * ||v||_1: the hyperplane crosses the cube, and not too
    # close to a corner, so that both classes have a sizeable share of it.
    b = gen.uniform(-0.25, 0.25) * box * np.linalg.norm(v)
    w_star = np.append(v, b)
    w_star /= np.linalg.norm(w_star)
    v, b = w_star[:-1], w_star[-1]

    # Largest score reachable on each side of the hyperplane within the cube.
    reach_pos = box * np.abs(v).sum() + b
    reach_neg = box * np.abs(v).sum() - b
    need_both = n_samples >= 2
    if gamma >= (min(reach_pos, reach_neg) if need_both else max(reach_pos, reach_neg)):
        raise ValueError(
            f"{func}: margin={gamma} is too large for box={box}: the drawn separator reaches a "
            f"margin of at most {reach_pos:.4g} (positive side) and {reach_neg:.4g} (negative side) "
            f"inside the cube; use a smaller margin or a larger box"
        )

    batch = int(min(max(4 * n_samples, 1024), max(64, 4_000_000 // n_features)))
    max_batches = 200
    kept_X: list[np.ndarray] = []
    kept_s: list[np.ndarray] = []
    n_kept = 0
    seen_pos = seen_neg = False
    for _ in range(max_batches):  # loop over batches of candidates, each batch vectorized
        cand = gen.uniform(-box, box, size=(batch, n_features))
        score = cand @ v + b
        ok = (np.abs(score) >= gamma) & (score != 0.0)
        kept_X.append(cand[ok])
        kept_s.append(score[ok])
        n_kept += int(ok.sum())
        seen_pos = seen_pos or bool((score[ok] > 0).any())
        seen_neg = seen_neg or bool((score[ok] < 0).any())
        if n_kept >= n_samples and (not need_both or (seen_pos and seen_neg)):
            break
    else:
        raise ValueError(
            f"{func}: margin={gamma} is too large for box={box} in {n_features} dimension(s): after "
            f"{max_batches} batches of {batch} candidates only {n_kept} point(s) had margin >= {gamma} "
            f"(needed {n_samples}{' with both classes' if need_both else ''}); use a smaller margin"
        )

    X_all = np.concatenate(kept_X)
    y_all = np.where(np.concatenate(kept_s) > 0, 1.0, -1.0)
    X = X_all[:n_samples].copy()
    y = y_all[:n_samples].copy()
    if need_both and np.all(y == y[0]):
        # Swap the last point for the first accepted point of the missing class.
        j = int(np.flatnonzero(y_all != y[0])[0])
        X[-1], y[-1] = X_all[j], y_all[j]
    return X, y, w_star


def xor_dataset(
    n_per_cluster: int = 1,
    noise: float = 0.0,
    encoding: str = "01",
    labels: str = "pm1",
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""The XOR problem: four (possibly noisy) clusters at the corners of a square.

    The corners come in ``itertools.product`` order, :math:`(0,0), (0,1), (1,0), (1,1)` for
    ``"01"`` or :math:`(-1,-1), (-1,1), (1,-1), (1,1)` for ``"pm1"``, each repeated
    ``n_per_cluster`` times (consecutively), plus i.i.d. Gaussian noise:

    .. math::

        x = c + \varepsilon, \quad \varepsilon \sim \mathcal{N}(0, \sigma^2 I_2), \qquad
        y = \operatorname{XOR}(c_1, c_2) = [\,\text{exactly one input is on}\,].

    No line separates the classes, which is why a single perceptron fails on it.

    Book: chapter 03, §3.3 (networks of perceptrons: XOR).

    Parameters
    ----------
    n_per_cluster:
        Points per corner, >= 1.
    noise:
        Standard deviation :math:`\sigma \ge 0` of the noise; 0 gives the exact corners (and
        does not consume ``rng``).
    encoding:
        Input encoding, ``"01"`` or ``"pm1"``.
    labels:
        ``"pm1"`` for labels -1/+1 or ``"01"`` for 0/1 (both float64).
    rng:
        A ``numpy.random.Generator``, an int seed or None.

    Returns
    -------
    X : numpy.ndarray
        Float64 array of shape ``(4 * n_per_cluster, 2)``.
    y : numpy.ndarray
        Float64 labels of shape ``(4 * n_per_cluster,)``.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_per_cluster < 1``, ``noise < 0`` or ``encoding`` / ``labels`` is unknown.
    """
    func = "xor_dataset"
    n_per_cluster = as_int(n_per_cluster, "n_per_cluster", func, minimum=1)
    sigma = as_real(noise, "noise", func, nonnegative=True)
    check_choice(encoding, "encoding", func, _ENCODINGS)
    check_choice(labels, "labels", func, _ENCODINGS)
    gen = as_rng(rng, func)
    on = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=bool)
    off_value, on_value = _encoding_values(encoding)
    corners = np.where(on, on_value, off_value)
    X = np.repeat(corners, n_per_cluster, axis=0)
    if sigma > 0:
        X = X + gen.normal(0.0, sigma, size=X.shape)
    y01 = np.repeat(on[:, 0] ^ on[:, 1], n_per_cluster).astype(np.float64)
    y = 2.0 * y01 - 1.0 if labels == "pm1" else y01
    return X, y


def load_digits(normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    r"""The 8x8 handwritten digits bundled with scikit-learn (1797 images, 10 classes; offline).

    Pixels are integers 0..16; with ``normalize`` they are scaled to :math:`[0, 1]`:

    .. math::

        X_{ij} = \text{pixel}_{ij} / 16 .

    Book: chapter 04 (feedforward networks), "a first real dataset".

    Parameters
    ----------
    normalize:
        Divide the pixels by 16 (default True).

    Returns
    -------
    X : numpy.ndarray
        Float64 array of shape ``(1797, 64)`` (row-major flattened 8x8 images).
    y : numpy.ndarray
        Int64 digit labels 0..9, shape ``(1797,)``.

    Raises
    ------
    TypeError
        If ``normalize`` is not a bool.
    """
    func = "load_digits"
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"{func}: normalize must be a bool, got {type(normalize).__name__}")
    from sklearn import datasets

    X, y = datasets.load_digits(return_X_y=True)
    X = np.asarray(X, dtype=np.float64)
    if normalize:
        X = X / 16.0
    return X, np.asarray(y, dtype=np.int64)


def _format_labels(y: np.ndarray, labels: str) -> np.ndarray:
    """0/1 labels as int64 ("01") or as float64 -1/+1 ("pm1")."""
    y = np.asarray(y, dtype=np.int64)
    return 2.0 * y.astype(np.float64) - 1.0 if labels == "pm1" else y


def make_moons(
    n_samples: int = 200,
    noise: float = 0.1,
    labels: str = "01",
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaving half circles (scikit-learn's ``make_moons``), shuffled.

    Class 0 lies on :math:`(\cos t, \sin t)`, class 1 on :math:`(1 - \cos t, 1/2 - \sin t)`,
    :math:`t \in [0, \pi]`, plus Gaussian noise of standard deviation ``noise``.

    Book: chapter 04 (feedforward networks), "when a linear boundary is not enough".

    Parameters
    ----------
    n_samples:
        Total number of points, >= 2 (split as evenly as possible between the classes).
    noise:
        Standard deviation of the Gaussian noise, >= 0.
    labels:
        ``"01"`` for int64 labels 0/1, ``"pm1"`` for float64 labels -1/+1.
    rng:
        A ``numpy.random.Generator``, an int seed or None; a seed for scikit-learn's
        ``random_state`` is drawn from it.

    Returns
    -------
    X : numpy.ndarray
        Float64 array of shape ``(n_samples, 2)``.
    y : numpy.ndarray
        Labels of shape ``(n_samples,)``.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_samples < 2``, ``noise < 0`` or ``labels`` is unknown.
    """
    func = "make_moons"
    n_samples = as_int(n_samples, "n_samples", func, minimum=2)
    sigma = as_real(noise, "noise", func, nonnegative=True)
    check_choice(labels, "labels", func, _ENCODINGS)
    seed = int(as_rng(rng, func).integers(2**31))
    from sklearn import datasets

    X, y = datasets.make_moons(n_samples=n_samples, noise=sigma, random_state=seed)
    return np.asarray(X, dtype=np.float64), _format_labels(y, labels)


def make_circles(
    n_samples: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    labels: str = "01",
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two concentric circles (scikit-learn's ``make_circles``), shuffled.

    Class 0 lies on the unit circle, class 1 on the circle of radius ``factor``, plus Gaussian
    noise; the classes are separable by the feature :math:`\|x\|^2` but not by a line:

    .. math::

        x = r_y (\cos t, \sin t) + \varepsilon, \qquad r_0 = 1,\ r_1 = \text{factor}.

    Book: chapter 04 (feedforward networks), "when a linear boundary is not enough".

    Parameters
    ----------
    n_samples:
        Total number of points, >= 2 (split as evenly as possible between the classes).
    noise:
        Standard deviation of the Gaussian noise, >= 0.
    factor:
        Radius of the inner circle relative to the outer one, in [0, 1).
    labels:
        ``"01"`` for int64 labels 0/1, ``"pm1"`` for float64 labels -1/+1.
    rng:
        A ``numpy.random.Generator``, an int seed or None.

    Returns
    -------
    X : numpy.ndarray
        Float64 array of shape ``(n_samples, 2)``.
    y : numpy.ndarray
        Labels of shape ``(n_samples,)``; 0 (or -1) is the outer circle.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_samples < 2``, ``noise < 0``, ``factor`` is outside [0, 1) or ``labels`` is
        unknown.
    """
    func = "make_circles"
    n_samples = as_int(n_samples, "n_samples", func, minimum=2)
    sigma = as_real(noise, "noise", func, nonnegative=True)
    factor = as_real(factor, "factor", func, nonnegative=True)
    if factor >= 1.0:
        raise ValueError(f"{func}: factor must be in [0, 1) (inner radius / outer radius), got {factor}")
    check_choice(labels, "labels", func, _ENCODINGS)
    seed = int(as_rng(rng, func).integers(2**31))
    from sklearn import datasets

    X, y = datasets.make_circles(n_samples=n_samples, noise=sigma, factor=factor, random_state=seed)
    return np.asarray(X, dtype=np.float64), _format_labels(y, labels)
