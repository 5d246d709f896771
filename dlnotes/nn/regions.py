r"""Piecewise-linear analysis of ReLU networks: joints, linear regions, composition and counting.

Companion code of chapter 04, sections "From a neuron to a shallow network" and "Deep networks:
composition, folding and linear regions". A ReLU network computes a continuous piecewise-linear
function; this module evaluates such networks, finds where their pieces meet, counts the pieces
exactly for one input, builds networks that attain the maximum count, and evaluates the
closed-form counts and bounds (Zaslavsky, Montúfar et al.).

Two ways of writing a network are used, and every function says which one it takes.

* **Book parameters of a shallow net** (the chapter's notation, single examples are *columns*):

  .. math::

      \mathbf h = a[\boldsymbol\theta_0 + \boldsymbol\theta\,\mathbf x], \qquad
      \mathbf y = \boldsymbol\phi_0 + \boldsymbol\phi\,\mathbf h,

  with ``theta0`` of shape ``(D,)``, ``theta`` of shape ``(D, D_i)``, ``phi0`` of shape
  ``(D_o,)`` and ``phi`` of shape ``(D_o, D)``. For a scalar input ``theta`` may be a vector of
  shape ``(D,)``; for a scalar output ``phi`` may be ``(D,)`` and ``phi0`` a number. Inputs
  ``x`` are columns: an array of shape ``(D_i, N)`` holds ``N`` examples (for ``D_i = 1`` a
  1-D array of ``N`` points is accepted). This is the transpose of the ``(batch, features)``
  rows of :mod:`dlnotes.nn` and PyTorch: ``shallow_net(X.T, ...).T`` matches
  ``nn.Sequential(nn.Linear(D_i, D), nn.ReLU(), nn.Linear(D, D_o))(X)`` when
  ``Linear.weight = theta`` (resp. ``phi``) and ``Linear.bias = theta0`` (resp. ``phi0``).
* **Layer lists** for nets of any depth: ``layers = [(W_0, b_0), ..., (W_K, b_K)]`` with
  ``W_k`` of shape ``(out_k, in_k)`` and ``b_k`` of shape ``(out_k,)``, exactly
  ``torch.nn.Linear.weight`` and ``.bias``. A ReLU follows every layer but the last, so
  ``layers`` describes ``K`` hidden layers and ``K + 1`` weight matrices (the book's
  :math:`\boldsymbol\Omega_k = W_k`, :math:`\boldsymbol\beta_k = b_k`). :func:`shallow_layers`
  converts book parameters into this form.

Pinned conventions: ``relu'(0) = 0`` is irrelevant here (only values are computed); a unit is
*active* where its pre-activation is strictly positive.

Book: chapter 04, §4.1–4.2; demos "three steps", folding, regions vs parameters.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from dlnotes._validation import as_float_array, as_int, as_real
from dlnotes.perceptron import collapse_affine

__all__ = [
    "shallow_net",
    "shallow_layers",
    "deep_net",
    "joint_positions",
    "compose_shallow",
    "count_linear_regions_1d",
    "zigzag_net",
    "num_params_mlp",
    "num_params_shallow",
    "num_params_deep",
    "max_regions_shallow",
    "max_regions_1d",
    "montufar_lower_bound",
    "activation_patterns",
    "relu_interpolant",
    "collapse_affine",
]

Layers = list[tuple[np.ndarray, np.ndarray]]


def _relu(z: Any) -> np.ndarray:
    r"""Rectified linear unit :math:`\max(0, z)`, elementwise (float64)."""
    return np.maximum(np.asarray(z, dtype=float), 0.0)


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _shallow_params(theta0: Any, theta: Any, phi0: Any, phi: Any, func: str) -> tuple[np.ndarray, ...]:
    """Validate book parameters; return ``theta0 (D,), theta (D, Di), phi0 (Do,), phi (Do, D)``."""
    theta0 = as_float_array(theta0, "theta0", func, ndim=1)
    D = theta0.shape[0]
    if D == 0:
        raise ValueError(f"{func}: theta0 must have at least one entry (one bias per hidden unit), got shape (0,)")
    theta = as_float_array(theta, "theta", func, ndim=(1, 2))
    if theta.ndim == 1:
        theta = theta[:, None]
    if theta.shape[0] != D or theta.shape[1] == 0:
        raise ValueError(
            f"{func}: theta must have shape (D, D_i) = ({D}, D_i) (one row per hidden unit, D from theta0), "
            f"got shape {theta.shape}"
        )
    phi = as_float_array(phi, "phi", func, ndim=(1, 2))
    if phi.ndim == 1:
        phi = phi[None, :]
    if phi.shape[1] != D:
        raise ValueError(
            f"{func}: phi must have shape (D_o, D) = (D_o, {D}) (one column per hidden unit), got shape {phi.shape}"
        )
    phi0 = as_float_array(phi0, "phi0", func, ndim=(0, 1)).reshape(-1)
    if phi0.shape != (phi.shape[0],):
        raise ValueError(
            f"{func}: phi0 must have shape (D_o,) = ({phi.shape[0]},) (one offset per output), got shape {phi0.shape}"
        )
    return theta0, theta, phi0, phi


def _layers(layers: Any, func: str, name: str = "layers") -> Layers:
    """Validate a layer list ``[(W, b), ...]`` with torch shapes and chaining dimensions."""
    if isinstance(layers, (str, bytes, np.ndarray)) or not isinstance(layers, Sequence):
        raise TypeError(f"{func}: {name} must be a list of (W, b) pairs, got {type(layers).__name__}")
    if len(layers) == 0:
        raise ValueError(f"{func}: {name} must contain at least one (W, b) layer, got an empty list")
    out: Layers = []
    for k, layer in enumerate(layers):
        if isinstance(layer, (str, bytes)) or not isinstance(layer, (Sequence, np.ndarray)) or len(layer) != 2:
            raise TypeError(f"{func}: {name}[{k}] must be a pair (W, b), got {type(layer).__name__}")
        W = as_float_array(layer[0], f"{name}[{k}][0] (W)", func, ndim=2)
        b = as_float_array(layer[1], f"{name}[{k}][1] (b)", func, ndim=(0, 1)).reshape(-1)
        if W.shape[0] == 0 or W.shape[1] == 0:
            raise ValueError(f"{func}: {name}[{k}] W must have shape (out, in) with out, in >= 1, got {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(
                f"{func}: {name}[{k}] b must have shape (out,) = ({W.shape[0]},) to match W of shape {W.shape}, "
                f"got shape {b.shape}"
            )
        if out and W.shape[1] != out[-1][0].shape[0]:
            raise ValueError(
                f"{func}: {name}[{k}] W has shape {W.shape} but the previous layer has {out[-1][0].shape[0]} outputs; "
                f"expected shape ({W.shape[0]}, {out[-1][0].shape[0]}) (torch layout (out, in))"
            )
        out.append((W, b))
    return out


def _columns(x: Any, Di: int, func: str) -> tuple[np.ndarray, int]:
    """Inputs as a ``(Di, N)`` array plus the original number of dimensions of ``x``."""
    x = as_float_array(x, "x", func, ndim=(0, 1, 2))
    nd = x.ndim
    if nd < 2:
        if Di != 1:
            raise ValueError(
                f"{func}: x must have shape (D_i, N) = ({Di}, N) (examples are columns), got shape {x.shape}; "
                f"1-D x is only allowed for one input"
            )
        x = x.reshape(1, -1)
    elif x.shape[0] != Di:
        raise ValueError(
            f"{func}: x must have shape (D_i, N) = ({Di}, N) (examples are columns; transpose a (N, D_i) batch), "
            f"got shape {x.shape}"
        )
    return x, nd


def _shape_output(y: np.ndarray, nd: int) -> np.ndarray | float:
    """``(Do, N)`` for 2-D inputs; drop the output axis for 1-D/scalar ``x`` when ``Do == 1``."""
    if nd == 2:
        return y
    if nd == 1:
        return y[0] if y.shape[0] == 1 else y
    return float(y[0, 0]) if y.shape[0] == 1 else y[:, 0]


def _sizes(widths: Any, name: str, func: str, min_len: int) -> list[int]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, (Sequence, np.ndarray)):
        raise TypeError(f"{func}: {name} must be a list of ints, got {type(widths).__name__}")
    if len(widths) < min_len:
        raise ValueError(f"{func}: {name} must contain at least {min_len} width(s), got {len(widths)}")
    return [as_int(w, f"{name}[{i}]", func, minimum=1) for i, w in enumerate(widths)]


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------


def shallow_net(
    x: Any,
    theta0: Any,
    theta: Any,
    phi0: Any,
    phi: Any,
    act: Callable[[np.ndarray], np.ndarray] | None = None,
    return_hidden: bool = False,
) -> Any:
    r"""Evaluate a shallow network in the book's column convention.

    .. math::

        \mathbf f = \boldsymbol\theta_0 + \boldsymbol\theta\mathbf x \;\text{(pre-activations)},\qquad
        \mathbf h = a[\mathbf f] \;\text{(activations)},\qquad
        \mathbf y = \boldsymbol\phi_0 + \boldsymbol\phi\,\mathbf h .

    For one input and ReLU units, unit ``d`` contributes a joint at
    :math:`x = -\theta_{d0}/\theta_{d1}` (:func:`joint_positions`), so the output has at most
    ``D + 1`` linear pieces. A 1→3→1 net has ``3 + 3 + 1 + 3 = 10`` parameters.

    Parameters
    ----------
    x:
        Inputs as columns, shape ``(D_i, N)``; for ``D_i = 1`` also a 1-D array of ``N`` points
        or a scalar. (A ``(N, D_i)`` batch of rows must be transposed.)
    theta0, theta, phi0, phi:
        Book parameters: shapes ``(D,)``, ``(D, D_i)`` (or ``(D,)`` if ``D_i = 1``), ``(D_o,)``
        (or a number if ``D_o = 1``) and ``(D_o, D)`` (or ``(D,)`` if ``D_o = 1``).
    act:
        Elementwise activation applied to an array; ``None`` (default) means ReLU.
    return_hidden:
        Also return the pre-activations and activations (the "three steps" figure).

    Returns
    -------
    y, or (y, pre, hidden)
        ``y`` has shape ``(D_o, N)``; for 1-D ``x`` and ``D_o = 1`` it has shape ``(N,)``, and
        for scalar ``x`` it is a float (``(D_o,)`` if ``D_o > 1``). ``pre`` and ``hidden`` have
        shape ``(D, N)`` (``(D,)`` for scalar ``x``). The weighted activations of the figure
        are ``phi[:, :, None] * hidden``.
    """
    func = "shallow_net"
    theta0, theta, phi0, phi = _shallow_params(theta0, theta, phi0, phi, func)
    if act is None:
        act = _relu
    if not callable(act):
        raise TypeError(f"{func}: act must be a callable applied elementwise, got {type(act).__name__}")
    X, nd = _columns(x, theta.shape[1], func)
    pre = theta0[:, None] + theta @ X
    hidden = np.asarray(act(pre), dtype=float)
    if hidden.shape != pre.shape:
        raise ValueError(f"{func}: act must be elementwise, it mapped shape {pre.shape} to {hidden.shape}")
    y = _shape_output(phi0[:, None] + phi @ hidden, nd)
    if not return_hidden:
        return y
    if nd == 0:
        return y, pre[:, 0], hidden[:, 0]
    return y, pre, hidden


def shallow_layers(theta0: Any, theta: Any, phi0: Any, phi: Any) -> Layers:
    r"""Book parameters of a shallow net as a layer list ``[(theta, theta0), (phi, phi0)]``.

    Returns ``[(W_0, b_0), (W_1, b_1)]`` with ``W_0 = theta`` of shape ``(D, D_i)``,
    ``b_0 = theta0`` ``(D,)``, ``W_1 = phi`` ``(D_o, D)`` and ``b_1 = phi0`` ``(D_o,)``: the
    ``weight`` and ``bias`` of ``nn.Linear(D_i, D)`` and ``nn.Linear(D, D_o)``.
    """
    theta0, theta, phi0, phi = _shallow_params(theta0, theta, phi0, phi, "shallow_layers")
    return [(theta.copy(), theta0.copy()), (phi.copy(), phi0.copy())]


def deep_net(x: Any, layers: Any, return_hidden: bool = False) -> Any:
    r"""Evaluate a ReLU network given as a layer list, in the book's column convention.

    .. math::

        \mathbf h_1 = a[\boldsymbol\beta_0 + \boldsymbol\Omega_0\mathbf x],\quad
        \mathbf h_k = a[\boldsymbol\beta_{k-1} + \boldsymbol\Omega_{k-1}\mathbf h_{k-1}]\ (k = 2..K),\quad
        \mathbf y = \boldsymbol\beta_K + \boldsymbol\Omega_K\mathbf h_K,

    with ``layers[k] = (Omega_k, beta_k)`` in torch layout ``(out, in)``. Equal to
    ``nn.Sequential(Linear, ReLU, ..., Linear)(x.T).T``.

    Parameters
    ----------
    x:
        Columns of shape ``(D_i, N)`` (or 1-D / scalar for ``D_i = 1``), as in :func:`shallow_net`.
    layers:
        ``[(W_0, b_0), ..., (W_K, b_K)]``; ReLU after every layer but the last.
    return_hidden:
        Also return the list of hidden activations ``[h_1, ..., h_K]``, each ``(D_k, N)``.

    Returns
    -------
    y, or (y, hiddens)
        ``y`` shaped as in :func:`shallow_net`.
    """
    func = "deep_net"
    layers = _layers(layers, func)
    X, nd = _columns(x, layers[0][0].shape[1], func)
    h = X
    hiddens = []
    for W, b in layers[:-1]:
        h = _relu(b[:, None] + W @ h)
        hiddens.append(h)
    W, b = layers[-1]
    y = _shape_output(b[:, None] + W @ h, nd)
    return (y, hiddens) if return_hidden else y


def joint_positions(theta0: Any, theta1: Any) -> np.ndarray:
    r"""Input positions of the joints of a one-input shallow ReLU net, :math:`x_d = -\theta_{d0}/\theta_{d1}`.

    Unit ``d`` has pre-activation :math:`\theta_{d0} + \theta_{d1}x`, which changes sign (and
    the unit switches on or off) at :math:`x_d`. A unit with :math:`\theta_{d1} = 0` is constant
    and has no joint: its entry is NaN.

    Parameters
    ----------
    theta0:
        Biases, shape ``(D,)``.
    theta1:
        Input weights, shape ``(D,)`` or ``(D, 1)``.

    Returns
    -------
    numpy.ndarray of shape (D,)
        The joints, unit by unit (not sorted; NaN for constant units).
    """
    func = "joint_positions"
    theta0 = as_float_array(theta0, "theta0", func, ndim=1)
    theta1 = as_float_array(theta1, "theta1", func, ndim=(1, 2))
    if theta1.ndim == 2:
        if theta1.shape[1] != 1:
            raise ValueError(f"{func}: theta1 must have shape (D,) or (D, 1) (one input), got shape {theta1.shape}")
        theta1 = theta1[:, 0]
    if theta1.shape != theta0.shape:
        raise ValueError(
            f"{func}: theta1 must have the shape of theta0, {theta0.shape} (one weight per unit), got {theta1.shape}"
        )
    out = np.full(theta0.shape, np.nan)
    nz = theta1 != 0
    out[nz] = -theta0[nz] / theta1[nz]
    return out


def compose_shallow(net1: Sequence[Any], net2: Sequence[Any]) -> Layers:
    r"""Write ``net2 ∘ net1`` (two shallow nets) as one network with two hidden layers.

    With network 1 :math:`\mathbf y = \boldsymbol\phi_0 + \boldsymbol\phi\,a[\boldsymbol\theta_0 + \boldsymbol\theta\mathbf x]`
    and network 2 :math:`\mathbf y' = \boldsymbol\phi'_0 + \boldsymbol\phi'\,a[\boldsymbol\theta'_0 + \boldsymbol\theta'\mathbf y]`,
    substituting :math:`\mathbf y` gives the second hidden layer
    :math:`\mathbf h' = a[\boldsymbol\psi_0 + \boldsymbol\Psi\mathbf h]` with

    .. math::

        \boldsymbol\psi_0 = \boldsymbol\theta'_0 + \boldsymbol\theta'\boldsymbol\phi_0, \qquad
        \boldsymbol\Psi = \boldsymbol\theta'\boldsymbol\phi .

    For scalar nets :math:`\boldsymbol\Psi = \boldsymbol\theta'\boldsymbol\phi^\top` is an outer
    product of rank 1 (in general its rank is at most network 1's number of outputs); a general
    deep net lets :math:`\boldsymbol\Psi` be any matrix.

    Parameters
    ----------
    net1, net2:
        Book parameters ``(theta0, theta, phi0, phi)`` of each shallow net (shapes as in
        :func:`shallow_net`); network 1's number of outputs must equal network 2's inputs.

    Returns
    -------
    list of (W, b)
        ``[(theta, theta0), (Psi, psi0), (phi', phi'0)]`` in torch layout: shapes
        ``(D_1, D_i)``, ``(D_2, D_1)``, ``(D_o, D_2)``; evaluate with :func:`deep_net`.
    """
    func = "compose_shallow"
    nets = []
    for name, net in (("net1", net1), ("net2", net2)):
        if isinstance(net, (str, bytes)) or not isinstance(net, Sequence) or len(net) != 4:
            raise TypeError(f"{func}: {name} must be a tuple (theta0, theta, phi0, phi), got {type(net).__name__}")
        nets.append(_shallow_params(*net, f"{func} ({name})"))
    (t0, t, p0, p), (t0b, tb, p0b, pb) = nets
    if tb.shape[1] != p.shape[0]:
        raise ValueError(
            f"{func}: net1 has {p.shape[0]} output(s) but net2 takes {tb.shape[1]} input(s) "
            f"(net2's theta has shape {tb.shape})"
        )
    psi0 = t0b + tb @ p0
    Psi = tb @ p
    return [(t.copy(), t0.copy()), (Psi, psi0), (pb.copy(), p0b.copy())]


# --------------------------------------------------------------------------------------------
# exact region counting in one dimension
# --------------------------------------------------------------------------------------------


def count_linear_regions_1d(layers: Any, lo: float, hi: float, return_breakpoints: bool = False) -> Any:
    r"""Exact number of linear pieces of a one-input ReLU network on ``[lo, hi]``.

    Interval propagation: on an interval where every unit keeps its on/off state, each layer's
    output is affine in :math:`x`, :math:`\mathbf z = \mathbf s x + \mathbf c`. Layer by layer,
    each interval is split at the points :math:`x = -c_u/s_u` where a unit's (affine)
    pre-activation crosses 0 inside it; on each sub-interval the units active at its midpoint
    are kept, giving the next layer's affine map. At the end, adjacent pieces whose output slopes
    are equal (relative tolerance ``1e-9``) are merged, since the function is continuous: a joint
    whose slope change cancels is not a region boundary.

    Unlike counting slope changes on a grid, this misses no thin region and invents none; the
    only approximation is that crossings within ``1e-12·max(1, |lo|, |hi|)`` of an existing
    breakpoint are identified with it. Cost: proportional to (number of pieces) × (width).

    Parameters
    ----------
    layers:
        ``[(W_0, b_0), ..., (W_K, b_K)]`` in torch layout, ``W_0`` of shape ``(D_1, 1)`` (one
        input); the output may have several components (a boundary is where any slope changes).
    lo, hi:
        The interval, ``lo < hi``.
    return_breakpoints:
        Also return the sorted interior points where the slope changes.

    Returns
    -------
    int, or (int, numpy.ndarray)
        The number of linear pieces (``len(breakpoints) + 1``), and optionally the breakpoints.

    Examples
    --------
    A shallow net with ``D`` joints inside ``[lo, hi]`` (and non-zero output weights) has
    ``D + 1`` pieces; :func:`zigzag_net` ``(D, K)`` has ``(D+1)**K`` pieces on ``[0, 1]``.
    """
    func = "count_linear_regions_1d"
    layers = _layers(layers, func)
    if layers[0][0].shape[1] != 1:
        raise ValueError(
            f"{func}: the network must have one input, i.e. layers[0] W of shape (D_1, 1), got {layers[0][0].shape}"
        )
    lo = as_real(lo, "lo", func)
    hi = as_real(hi, "hi", func)
    if not lo < hi:
        raise ValueError(f"{func}: need lo < hi, got lo={lo}, hi={hi}")
    tol = 1e-12 * max(1.0, abs(lo), abs(hi))
    # each piece: (left, right, slope vector, intercept vector) of the current layer's output
    pieces = [(lo, hi, np.ones(1), np.zeros(1))]
    for k, (W, b) in enumerate(layers):
        last = k == len(layers) - 1
        new = []
        for a, e, s, c in pieces:
            ps, pc = W @ s, W @ c + b
            if last:
                new.append((a, e, ps, pc))
                continue
            nz = ps != 0
            cuts = -pc[nz] / ps[nz]
            cuts = np.unique(cuts[(cuts > a + tol) & (cuts < e - tol)])
            edges = np.concatenate(([a], cuts, [e]))
            for left, right in zip(edges[:-1], edges[1:]):
                on = ps * (0.5 * (left + right)) + pc > 0
                new.append((float(left), float(right), np.where(on, ps, 0.0), np.where(on, pc, 0.0)))
        pieces = new
    slopes = np.array([p[2] for p in pieces])  # (n_pieces, D_o)
    scale = max(1.0, float(np.abs(slopes).max()))
    breakpoints = []
    for i in range(1, len(pieces)):
        s_prev, s_here = slopes[i - 1], slopes[i]
        if np.any(np.abs(s_here - s_prev) > 1e-9 * np.maximum(np.abs(s_here), np.abs(s_prev)) + 1e-12 * scale):
            breakpoints.append(pieces[i][0])
    count = len(breakpoints) + 1
    return (count, np.array(breakpoints)) if return_breakpoints else count


def _zigzag_layer(D: int) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Book parameters of a shallow net mapping [0, 1] onto [0, 1] with D + 1 alternating full-range pieces."""
    if D % 2:  # odd D: widths ∝ (1, ..., 1, 2, 2); units 1..D-1 face right, unit D faces left
        r = np.ones(D + 1)
        r[-2:] = 2.0
        left = [D - 1]  # 0-based unit indices
    else:  # even D: widths ∝ 1 except piece D-2 (0-based) = 1/2; units D-1 and D face left
        r = np.ones(D + 1)
        r[D - 2] = 0.5
        left = [D - 2, D - 1]
    w = r / r.sum()
    t = np.cumsum(w)[:-1]  # breakpoints t_1..t_D
    s = np.array([(-1.0) ** p / w[p] for p in range(D + 1)])  # slopes of pieces 0..D
    v = np.empty(D)
    right = [j for j in range(D) if j not in left]
    # right-facing unit j (at t_{j+1}) adds v_j to every slope to its right: v_j = s_{j+1} - s_j
    for j in right:
        v[j] = s[j + 1] - s[j]
    if len(left) == 1:  # slope of piece 0 is -v_D
        v[left[0]] = -s[0]
    else:  # piece 0: -v_{D-1} - v_D = s_0; piece D-1: sum(v_right) - v_D = s_{D-1}
        v[left[1]] = v[right].sum() - s[D - 1]
        v[left[0]] = -s[0] - v[left[1]]
    theta = np.ones(D)
    theta[left] = -1.0
    theta0 = -theta * t  # right: relu(x - t), left: relu(t - x)
    phi0 = -float(np.sum(v[left] * t[left]))  # g(0) = 0: only left-facing units are on at x = 0
    return theta0, theta, phi0, v


def zigzag_net(D: int, K: int) -> Layers:
    r"""A ``K``-hidden-layer, width-``D`` ReLU net with the maximal ``(D+1)**K`` linear pieces on ``[0, 1]``.

    Every layer computes (through a rank-1 :math:`\boldsymbol\Psi`, see :func:`compose_shallow`)
    the same zig-zag map :math:`g:[0,1]\to[0,1]`, a shallow net with ``D`` units whose
    ``D + 1`` pieces are alternately increasing and decreasing and each sweep all of ``[0, 1]``.
    So :math:`g` folds the interval onto itself ``D + 1`` times and :math:`g^{\circ K}` has
    :math:`(D+1)^K` pieces, the upper bound :func:`max_regions_1d` ``([D]*K)``.

    Construction. Pieces ``p = 0..D`` have widths :math:`w_p \propto r_p` and slopes
    :math:`s_p = (-1)^p / w_p`, so :math:`g(0) = 0` and each piece spans ``[0, 1]``. A shallow
    ReLU net has no linear term, so some units must face left (:math:`\mathrm{ReLU}(t_j - x)`)
    to produce the first slope:

    * odd ``D``: :math:`r = (1, \dots, 1, 2, 2)`; units ``1..D-1`` face right, unit ``D`` left;
    * even ``D``: :math:`r_p = 1` except :math:`r_{D-2} = \tfrac12` (0-based ``p``); units
      ``D-1`` and ``D`` face left.

    Each right-facing unit's output weight is the slope change at its joint,
    :math:`s_j - s_{j-1}`; the left-facing weights make the first and last slopes right, and the
    widths above are exactly those for which the last slope then comes out right too. The
    output bias makes :math:`g(0) = 0`.

    ``D <= 2`` is impossible: with two units the middle slope of an up-down-up pattern cannot be
    produced (and for ``K = 2`` at most 7, not 9, regions exist), so it raises ``ValueError``.

    Parameters
    ----------
    D:
        Width, an int ``>= 3``.
    K:
        Number of hidden layers, an int ``>= 1``.

    Returns
    -------
    list of (W, b)
        ``K + 1`` layers in torch layout: ``(D, 1)``, then ``K - 1`` times ``(D, D)``, then
        ``(1, D)``. Outputs stay in ``[0, 1]`` for inputs in ``[0, 1]``.
    """
    func = "zigzag_net"
    D = as_int(D, "D", func, minimum=1)
    K = as_int(K, "K", func, minimum=1)
    if D < 3:
        raise ValueError(
            f"{func}: D must be >= 3, got {D}: a layer of {D} ReLU unit(s) cannot fold [0, 1] onto itself "
            f"{D + 1} times (for D = 2, K = 2 at most 7 regions are possible, not 9)"
        )
    theta0, theta, phi0, phi = _zigzag_layer(D)
    layers: Layers = [(theta[:, None].copy(), theta0.copy())]
    for _ in range(K - 1):  # the next layer reads g(h) = phi0 + phi·h: rank-1 Psi (compose_shallow)
        layers.append((np.outer(theta, phi), theta0 + theta * phi0))
    layers.append((phi[None, :].copy(), np.array([phi0])))
    return layers


# --------------------------------------------------------------------------------------------
# closed-form counts and bounds
# --------------------------------------------------------------------------------------------


def num_params_mlp(widths: Sequence[int]) -> int:
    r"""Number of parameters of a fully connected net with layer sizes ``widths = [D_0, ..., D_{K+1}]``.

    .. math:: \sum_{k=0}^{K} (D_k + 1)\,D_{k+1}

    (weights plus one bias per unit). ``[1, 3, 1] → 10``, ``[1, 3, 3, 1] → 22``,
    ``[3, 4, 2, 3, 2] → 43``; equals ``sum(p.numel() for p in model.parameters())`` for the torch
    ``nn.Sequential`` of ``nn.Linear`` layers.
    """
    w = _sizes(widths, "widths", "num_params_mlp", 2)
    return sum((a + 1) * b for a, b in zip(w[:-1], w[1:]))


def num_params_shallow(D: int, Di: int = 1, Do: int = 1) -> int:
    r"""Parameters of a shallow net :math:`D_i \to D \to D_o`: :math:`(D_i+1)D + (D+1)D_o`, i.e. ``3D + 1`` for scalars."""
    func = "num_params_shallow"
    D, Di, Do = (as_int(v, n, func, minimum=1) for v, n in ((D, "D"), (Di, "Di"), (Do, "Do")))
    return (Di + 1) * D + (D + 1) * Do


def num_params_deep(D: int, K: int, Di: int = 1, Do: int = 1) -> int:
    r"""Parameters of ``K`` hidden layers of width ``D``: :math:`(D_i+1)D + (K-1)(D+1)D + (D+1)D_o`.

    For scalar input and output this is :math:`3D + 1 + (K-1)D(D+1)` (``D = 3, K = 2 → 22``).
    """
    func = "num_params_deep"
    D, K, Di, Do = (as_int(v, n, func, minimum=1) for v, n in ((D, "D"), (K, "K"), (Di, "Di"), (Do, "Do")))
    return (Di + 1) * D + (K - 1) * (D + 1) * D + (D + 1) * Do


def max_regions_shallow(D: int, Di: int) -> int:
    r"""Maximal number of linear regions of a shallow ReLU net with ``D`` units and ``Di`` inputs (Zaslavsky).

    Each unit switches on or off across a hyperplane of :math:`\mathbb R^{D_i}`; ``D`` hyperplanes
    in general position cut the space into

    .. math:: \sum_{j=0}^{D_i} \binom{D}{j}

    regions (Zaslavsky 1975). ``(3, 2) → 7``, ``(6, 2) → 22``; ``Di = 1`` gives ``D + 1`` and
    ``D <= Di`` gives :math:`2^D`. Random weights put the hyperplanes in general position with
    probability 1, so shallow nets attain this count generically.
    """
    func = "max_regions_shallow"
    D = as_int(D, "D", func, minimum=0)
    Di = as_int(Di, "Di", func, minimum=1)
    return sum(math.comb(D, j) for j in range(Di + 1))


def max_regions_1d(widths: Sequence[int]) -> int:
    r"""Upper bound :math:`\prod_l (n_l + 1)` on the linear pieces of a one-input ReLU net with hidden widths ``widths``.

    Each layer can split every existing interval into at most :math:`n_l + 1` pieces.
    ``[3, 3] → 16``. Attained by :func:`zigzag_net` for equal widths ``D >= 3``; for ``[2, 2]``
    the true maximum is 7, not 9.
    """
    w = _sizes(widths, "widths", "max_regions_1d", 1)
    return math.prod(n + 1 for n in w)


def montufar_lower_bound(n0: int, widths: Sequence[int]) -> int:
    r"""Montúfar et al.'s (2014) lower bound on the maximal number of linear regions of a deep ReLU net.

    For ``n0`` inputs and hidden widths :math:`n_1, \dots, n_L` with every :math:`n_i \ge n_0`,

    .. math::

        \Bigl(\prod_{i=1}^{L-1} \Bigl\lfloor \frac{n_i}{n_0} \Bigr\rfloor^{n_0}\Bigr)
        \sum_{j=0}^{n_0} \binom{n_L}{j}

    (a floor and a binomial coefficient, not a fraction). ``(2, [4, 4, 4]) → 176``,
    ``(1, [3, 3]) → 12``.

    Raises
    ------
    ValueError
        If some width is smaller than ``n0`` (the bound is only stated for :math:`n_i \ge n_0`).
    """
    func = "montufar_lower_bound"
    n0 = as_int(n0, "n0", func, minimum=1)
    w = _sizes(widths, "widths", func, 1)
    small = [i for i, n in enumerate(w) if n < n0]
    if small:
        raise ValueError(
            f"{func}: every hidden width must be >= n0 = {n0}, got widths[{small[0]}] = {w[small[0]]}"
        )
    return math.prod((n // n0) ** n0 for n in w[:-1]) * sum(math.comb(w[-1], j) for j in range(n0 + 1))


# --------------------------------------------------------------------------------------------
# activation patterns and interpolation
# --------------------------------------------------------------------------------------------


def activation_patterns(X: Any, layers: Any, output_layer: bool = True) -> np.ndarray:
    r"""On/off pattern of every hidden ReLU unit at each input point (a region map's colours).

    Unit ``u`` is on at ``x`` iff its pre-activation is strictly positive. Inside one linear
    region of the network the pattern is constant, so ``np.unique(patterns, axis=0,
    return_inverse=True)[1]`` labels the regions of a grid.

    Parameters
    ----------
    X:
        Points as **rows**, shape ``(N, D_i)`` — the ``(batch, features)`` convention of
        :mod:`dlnotes.nn` and PyTorch, unlike :func:`shallow_net` (a 1-D array is read as ``N``
        points of one input).
    layers:
        ``[(W_0, b_0), ...]`` in torch layout; the pre-activations are ``H @ W.T + b``.
    output_layer:
        If true (default) the last layer is the linear output layer and contributes no bits;
        if false every layer in ``layers`` is a ReLU layer.

    Returns
    -------
    numpy.ndarray of bool, shape (N, H)
        ``H`` is the total number of hidden units; the columns of layer 0 come first.
    """
    func = "activation_patterns"
    layers = _layers(layers, func)
    X = as_float_array(X, "X", func, ndim=(1, 2))
    if X.ndim == 1:
        X = X[:, None]
    Di = layers[0][0].shape[1]
    if X.shape[1] != Di:
        raise ValueError(f"{func}: X must have shape (N, D_i) = (N, {Di}) (points as rows), got shape {X.shape}")
    hidden = layers[:-1] if output_layer else layers
    if not hidden:
        raise ValueError(f"{func}: layers has no hidden ReLU layer (one layer, output_layer=True)")
    H = X
    bits = []
    for W, b in hidden:
        pre = H @ W.T + b
        bits.append(pre > 0)
        H = np.maximum(pre, 0.0)
    return np.concatenate(bits, axis=1)


def relu_interpolant(knots: Any, values: Any) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    r"""A shallow ReLU net equal to the piecewise-linear interpolant of ``(knots, values)``.

    With slopes :math:`m_j = (v_{j+1} - v_j)/(k_{j+1} - k_j)` of the ``n - 1`` segments,

    .. math::

        f(x) = v_0 + m_0\,\mathrm{ReLU}(x - k_0) + \sum_{j=1}^{n-2} (m_j - m_{j-1})\,\mathrm{ReLU}(x - k_j),

    which equals ``np.interp(x, knots, values)`` on ``[knots[0], knots[-1]]`` (to its left it is
    the constant ``values[0]`` as well; to its right it continues the last segment). This is the
    constructive universal-approximation argument for ReLU: with ``D`` equally spaced knots a
    twice-differentiable ``f`` is approximated with sup error
    :math:`\le \max|f''|\,h^2/8 = O(1/D^2)`.

    Parameters
    ----------
    knots:
        Strictly increasing 1-D array of ``n >= 2`` points.
    values:
        1-D array of ``n`` values.

    Returns
    -------
    (theta0, theta, phi0, phi)
        Book parameters of a 1 → (n−1) → 1 net, for :func:`shallow_net`: ``theta0 = -knots[:-1]``
        and ``theta = ones`` (shape ``(n-1,)`` each), ``phi0 = values[0]`` (float) and ``phi``
        the slope changes (shape ``(n-1,)``).
    """
    func = "relu_interpolant"
    k = as_float_array(knots, "knots", func, ndim=1)
    v = as_float_array(values, "values", func, ndim=1)
    if k.size < 2:
        raise ValueError(f"{func}: knots must contain at least 2 points, got {k.size}")
    if v.shape != k.shape:
        raise ValueError(f"{func}: values must have the shape of knots, {k.shape}, got {v.shape}")
    if np.any(np.diff(k) <= 0):
        raise ValueError(f"{func}: knots must be strictly increasing")
    m = np.diff(v) / np.diff(k)
    phi = np.concatenate(([m[0]], np.diff(m)))
    return -k[:-1].copy(), np.ones(k.size - 1), float(v[0]), phi
