r"""Minibatches, gradient noise and loss landscapes of :mod:`dlnotes.nn` models.

**Minibatches.** :func:`minibatches` splits a fresh random permutation of ``range(n)`` into
batches: sampling *without replacement* within an epoch, so every example is used exactly once
per epoch. :func:`minibatch_gradient_variance` gives the exact variance of a batch-mean
gradient, :math:`\sigma^2/B \cdot (N - B)/(N - 1)`; :func:`gradient_noise` measures the spread
of minibatch gradients of a model for several batch sizes -- a slope of :math:`-1/2` on log-log
axes.

**Landscapes.** The remaining functions look at the loss :math:`\mathcal L(\theta)` of a
:class:`dlnotes.nn.Module` as a function of its flattened parameter vector :math:`\theta`
(the parameters of ``model.parameters()``, in that order, each flattened in C order; see
:func:`parameters_to_vector`):

* :func:`interpolate_1d` -- :math:`\mathcal L((1 - \alpha)\theta_a + \alpha\theta_b)`
  (Goodfellow, Vinyals & Saxe 2015);
* :func:`random_directions`, :func:`filter_normalize`, :func:`slice_1d`, :func:`slice_2d` --
  random 1-D and 2-D slices :math:`\mathcal L(\theta + \alpha d_1 + \beta d_2)` with the
  *filter normalisation* of Li et al. (2018);
* :func:`hessian_vector_product` and :func:`hessian_extreme_eigenvalues` -- curvature from
  gradients alone (finite differences of gradients and power iteration).

**The loss function.** ``loss_fn`` is a *closure* in the ``torch.optim`` sense: called as
``loss_fn(model)`` it runs the forward pass on its data, runs the backward pass (so that every
``p.grad`` holds :math:`\partial\mathcal L/\partial p`) and returns the loss as a float. The
functions here zero the gradients before each call. :func:`make_loss_fn` builds one from a loss
module and data::

    loss_fn = make_loss_fn(nn.CrossEntropyLoss(), X, y)
    lam_max, lam_min = hessian_extreme_eigenvalues(model, loss_fn, n_iter=200, rng=0)

Every function leaves the model's parameters as it found them.

Book: chapter 05, "Stochastic gradient descent" and "Loss landscapes".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Sequence

import numpy as np

from dlnotes._validation import as_float_array, as_int, as_real, as_rng
from dlnotes.nn.module import Module, Parameter

__all__ = [
    "minibatches",
    "minibatch_gradient_variance",
    "gradient_noise",
    "make_loss_fn",
    "parameters_to_vector",
    "vector_to_parameters",
    "interpolate_1d",
    "random_directions",
    "filter_normalize",
    "slice_1d",
    "slice_2d",
    "hessian_vector_product",
    "hessian_extreme_eigenvalues",
]


# --------------------------------------------------------------------------------------------
# minibatches and gradient noise
# --------------------------------------------------------------------------------------------


def minibatches(n: int, batch_size: int, rng: Any = None, drop_last: bool = False) -> list[np.ndarray]:
    r"""One epoch of minibatch indices: a fresh random permutation of ``range(n)`` cut into batches.

    Sampling is *without replacement* within the epoch: every index appears in exactly one
    batch (``drop_last=False``). There are :math:`\lceil n/B \rceil` batches and only the last
    may be smaller (:math:`n = 10, B = 3` gives sizes 3, 3, 3, 1); with ``drop_last=True`` that
    short batch is dropped (:math:`\lfloor n/B \rfloor` batches, as in
    ``torch.utils.data.DataLoader(drop_last=True)``). Call again with the same generator for the
    next epoch's reshuffle.

    Parameters
    ----------
    n:
        Number of examples, >= 1.
    batch_size:
        Batch size :math:`B`, >= 1 (a batch size above ``n`` gives one batch of all ``n``).
    rng:
        ``numpy.random.Generator``, int seed or None.
    drop_last:
        Drop the last batch if it is smaller than ``batch_size``.

    Returns
    -------
    list of numpy.ndarray
        Integer index arrays.
    """
    func = "minibatches"
    n = as_int(n, "n", func, minimum=1)
    B = as_int(batch_size, "batch_size", func, minimum=1)
    if not isinstance(drop_last, (bool, np.bool_)):
        raise TypeError(f"{func}: drop_last must be a bool, got {type(drop_last).__name__}")
    perm = as_rng(rng, func).permutation(n)
    batches = [perm[i : i + B] for i in range(0, n, B)]
    if drop_last and batches and len(batches[-1]) < B:
        batches.pop()
    return batches


def minibatch_gradient_variance(per_example_grads: Any, batch_size: int, replace: bool = False) -> np.ndarray:
    r"""Exact variance (per coordinate) of the mean gradient of a random batch of size :math:`B`.

    With per-example gradients :math:`g_1, \ldots, g_N` (rows), their mean :math:`\bar g` and
    population variance :math:`\sigma^2 = \frac1N\sum_i (g_i - \bar g)^2` (ddof = 0), the batch
    mean :math:`\bar g_B` is unbiased and

    .. math::

        \operatorname{Var}[\bar g_B] = \frac{\sigma^2}{B}\cdot\frac{N - B}{N - 1}
        \ \text{(without replacement)}, \qquad
        \operatorname{Var}[\bar g_B] = \frac{\sigma^2}{B}\ \text{(with replacement)}.

    The finite-population factor makes the variance 0 at :math:`B = N` (the batch is the whole
    data set). The standard deviation falls like :math:`1/\sqrt B` for :math:`B \ll N`.

    Parameters
    ----------
    per_example_grads:
        Array of shape ``(N,)`` or ``(N, P)``, one gradient per row.
    batch_size:
        :math:`1 \le B \le N` (any :math:`B \ge 1` with ``replace``).
    replace:
        Sampling with replacement (i.i.d. draws) instead of without.

    Returns
    -------
    numpy.ndarray
        The variance of each coordinate, shape ``(P,)`` (a 0-d array for 1-D input).
    """
    func = "minibatch_gradient_variance"
    G = as_float_array(per_example_grads, "per_example_grads", func, ndim=(1, 2))
    N = G.shape[0]
    if N < 2:
        raise ValueError(f"{func}: per_example_grads must have at least 2 rows (examples), got {N}")
    B = as_int(batch_size, "batch_size", func, minimum=1)
    if not replace and B > N:
        raise ValueError(f"{func}: batch_size must be <= N = {N} when sampling without replacement, got {B}")
    sigma2 = G.var(axis=0)  # ddof = 0: the population variance
    factor = 1.0 if replace else (N - B) / (N - 1)
    return sigma2 / B * factor


def _flat_grad(model: Module) -> np.ndarray:
    return np.concatenate([p.grad.ravel() for p in model.parameters()])


def _check_model(model: Any, func: str) -> list[Parameter]:
    if not isinstance(model, Module):
        raise TypeError(f"{func}: model must be a dlnotes.nn.Module, got {type(model).__name__}")
    params = list(model.parameters())
    if not params:
        raise ValueError(f"{func}: model has no parameters")
    return params


def gradient_noise(
    model: Module,
    loss: Module,
    X: Any,
    y: Any,
    batch_sizes: Sequence[int],
    n_batches: int = 100,
    rng: Any = None,
    replace: bool = False,
) -> np.ndarray:
    r"""Root-mean-square deviation of minibatch gradients from the full-batch gradient, per batch size.

    For each :math:`B` in ``batch_sizes``, draws ``n_batches`` random batches (each without
    replacement inside the batch, or i.i.d. with ``replace=True``), computes each batch's mean
    gradient :math:`g_B` of ``loss(model(X[idx]), y[idx])`` by a forward and backward pass, and
    returns

    .. math:: s(B) = \sqrt{\tfrac{1}{K}\textstyle\sum_{k=1}^{K} \lVert g_B^{(k)} - g \rVert_2^2}
              \;\approx\; \sqrt{\operatorname{tr}\operatorname{Cov}[g_B]},

    where :math:`g` is the full-batch gradient. By :func:`minibatch_gradient_variance`,
    :math:`s(B)^2 \to \operatorname{tr}(\Sigma)/B \cdot (N - B)/(N - 1)`: a line of slope
    :math:`-1/2` on log-log axes for :math:`B \ll N`, bending down to 0 at :math:`B = N`.
    ``loss`` must average over the batch (``reduction="mean"``, the default). The parameters
    and their ``.grad`` are left as they were.

    Parameters
    ----------
    model:
        A :class:`dlnotes.nn.Module`.
    loss:
        A loss module with ``forward(input, target)`` and ``backward()``.
    X, y:
        The data set (``N`` rows).
    batch_sizes:
        Batch sizes, each in ``1..N`` (any :math:`\ge 1` with ``replace``).
    n_batches:
        Number of random batches :math:`K` per batch size; the relative standard error of
        :math:`s(B)` is roughly :math:`1/\sqrt{2K}`.
    rng:
        ``numpy.random.Generator``, int seed or None.
    replace:
        Draw each batch with replacement.

    Returns
    -------
    numpy.ndarray
        :math:`s(B)` for each batch size, shape ``(len(batch_sizes),)``.
    """
    func = "gradient_noise"
    params = _check_model(model, func)
    if not isinstance(loss, Module) or not hasattr(loss, "backward"):
        raise TypeError(f"{func}: loss must be a dlnotes.nn loss module, got {type(loss).__name__}")
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{func}: X and y must have the same number of rows, got shapes {X.shape} and {y.shape}"
        )
    N = X.shape[0]
    try:
        sizes = [as_int(b, "batch_sizes[i]", func, minimum=1) for b in batch_sizes]
    except TypeError:
        raise TypeError(f"{func}: batch_sizes must be a sequence of ints, got {batch_sizes!r}") from None
    if not sizes:
        raise ValueError(f"{func}: batch_sizes must not be empty")
    if not replace and max(sizes) > N:
        raise ValueError(
            f"{func}: every batch size must be <= N = {N} without replacement, got {max(sizes)}"
        )
    K = as_int(n_batches, "n_batches", func, minimum=2)
    gen = as_rng(rng, func)

    def batch_grad(idx: np.ndarray | slice) -> np.ndarray:
        model.zero_grad()
        value = loss(model(X[idx]), y[idx])
        model.backward(loss.backward())
        if not np.ndim(value) == 0:
            raise ValueError(
                f"{func}: loss must return a scalar (reduction='mean'), got shape {np.shape(value)}"
            )
        return _flat_grad(model)

    saved = [p.grad.copy() for p in params]
    try:
        full = batch_grad(slice(None))
        out = np.empty(len(sizes))
        for j, B in enumerate(sizes):
            sq = 0.0
            for _ in range(K):
                idx = gen.integers(0, N, size=B) if replace else gen.choice(N, size=B, replace=False)
                sq += float(np.sum((batch_grad(idx) - full) ** 2))
            out[j] = np.sqrt(sq / K)
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    return out


# --------------------------------------------------------------------------------------------
# flat parameter vectors
# --------------------------------------------------------------------------------------------


def parameters_to_vector(params: Any) -> np.ndarray:
    """Concatenate parameters (a model or an iterable of :class:`Parameter`) into one flat copy.

    The order is that of ``model.parameters()``, each flattened in C order -- the same as
    ``torch.nn.utils.parameters_to_vector`` on the converted torch model.
    """
    func = "parameters_to_vector"
    plist = _check_model(params, func) if isinstance(params, Module) else list(params)
    if not plist or not all(isinstance(p, Parameter) for p in plist):
        raise TypeError(f"{func}: params must be a Module or a non-empty iterable of Parameters")
    return np.concatenate([p.data.ravel() for p in plist])


def vector_to_parameters(vec: Any, params: Any) -> None:
    """Copy the flat vector ``vec`` into the parameters in place: the inverse of parameters_to_vector."""
    func = "vector_to_parameters"
    plist = _check_model(params, func) if isinstance(params, Module) else list(params)
    if not plist or not all(isinstance(p, Parameter) for p in plist):
        raise TypeError(f"{func}: params must be a Module or a non-empty iterable of Parameters")
    v = as_float_array(vec, "vec", func, ndim=1)
    total = sum(p.size for p in plist)
    if v.size != total:
        raise ValueError(f"{func}: vec must have {total} entries (the number of parameters), got {v.size}")
    i = 0
    for p in plist:
        p.data[...] = v[i : i + p.size].reshape(p.shape)
        i += p.size


def _as_vector(model: Module, state: Any, name: str, func: str) -> np.ndarray:
    """A parameter vector from a flat array or from a ``state_dict`` of ``model``."""
    if isinstance(state, Mapping):
        saved = model.state_dict()
        try:
            model.load_state_dict(state)
        except KeyError as exc:
            raise ValueError(f"{func}: {name} is not a state_dict of this model ({exc})") from None
        except ValueError as exc:
            raise ValueError(f"{func}: {name} does not fit this model ({exc})") from None
        vec = parameters_to_vector(model)
        model.load_state_dict(saved)
        return vec
    v = as_float_array(state, name, func, ndim=1)
    total = sum(p.size for p in model.parameters())
    if v.size != total:
        raise ValueError(
            f"{func}: {name} must be a state_dict or a vector of {total} entries (the model's parameters), "
            f"got {v.size} entries"
        )
    return v


# --------------------------------------------------------------------------------------------
# the loss as a function of the parameter vector
# --------------------------------------------------------------------------------------------


def make_loss_fn(loss: Module, X: Any, y: Any) -> Callable[[Module], float]:
    r"""A closure ``loss_fn(model)`` that runs forward and backward on ``(X, y)`` and returns the loss.

    ``loss_fn(model)`` computes ``loss(model(X), y)``, calls ``model.backward(loss.backward())``
    (which *adds* into ``p.grad``; the landscape functions zero the gradients first) and
    returns the loss as a float.
    """
    func = "make_loss_fn"
    if not isinstance(loss, Module) or not hasattr(loss, "backward"):
        raise TypeError(
            f"{func}: loss must be a dlnotes.nn loss module (e.g. nn.MSELoss()), got {type(loss).__name__}"
        )
    if np.shape(X)[:1] != np.shape(y)[:1]:
        raise ValueError(
            f"{func}: X and y must have the same number of rows, got shapes {np.shape(X)} and {np.shape(y)}"
        )

    def loss_fn(model: Module) -> float:
        value = loss(model(X), y)
        model.backward(loss.backward())
        return float(value)

    return loss_fn


class _Evaluator:
    """Evaluate loss and gradient at arbitrary parameter vectors, restoring the model afterwards."""

    def __init__(self, model: Module, loss_fn: Any, func: str) -> None:
        self.params = _check_model(model, func)
        if not callable(loss_fn):
            raise TypeError(
                f"{func}: loss_fn must be a callable loss_fn(model) -> float that also runs the "
                f"backward pass (see make_loss_fn), got {type(loss_fn).__name__}"
            )
        self.model, self.loss_fn, self.func = model, loss_fn, func
        self.theta0 = parameters_to_vector(self.params)
        self.grads0 = [p.grad.copy() for p in self.params]

    def __enter__(self) -> _Evaluator:
        return self

    def __exit__(self, *exc: Any) -> None:
        vector_to_parameters(self.theta0, self.params)
        for p, g in zip(self.params, self.grads0):
            p.grad = g

    def _call(self, theta: np.ndarray) -> float:
        vector_to_parameters(theta, self.params)
        self.model.zero_grad()
        value = self.loss_fn(self.model)
        try:
            out = float(np.asarray(value))
        except (TypeError, ValueError):
            raise TypeError(
                f"{self.func}: loss_fn(model) must return a real scalar, got {type(value).__name__}"
            ) from None
        return out

    def value(self, theta: np.ndarray) -> float:
        return self._call(theta)

    def grad(self, theta: np.ndarray) -> np.ndarray:
        self._call(theta)
        return _flat_grad(self.model)


def _alphas(alphas: Any, name: str, func: str) -> np.ndarray:
    return as_float_array(alphas, name, func, ndim=1)


def interpolate_1d(model: Module, state_a: Any, state_b: Any, loss_fn: Callable, alphas: Any) -> np.ndarray:
    r"""The loss along the segment :math:`\theta(\alpha) = (1 - \alpha)\theta_a + \alpha\theta_b`.

    Goodfellow, Vinyals & Saxe (2015) plot it between the initial and the trained weights; a
    curve without bumps says that nothing on the straight path had to be climbed over (it does
    *not* say the training path was straight). ``alphas`` outside :math:`[0, 1]` extrapolate.

    Parameters
    ----------
    model:
        A :class:`dlnotes.nn.Module` (its parameters are restored afterwards).
    state_a, state_b:
        The end points: ``model.state_dict()`` snapshots or flat parameter vectors.
    loss_fn:
        Closure ``loss_fn(model) -> float`` (see :func:`make_loss_fn`).
    alphas:
        1-D array of interpolation coefficients.

    Returns
    -------
    numpy.ndarray
        The losses, shape ``(len(alphas),)``.
    """
    func = "interpolate_1d"
    with _Evaluator(model, loss_fn, func) as ev:
        a = _as_vector(model, state_a, "state_a", func)
        b = _as_vector(model, state_b, "state_b", func)
        al = _alphas(alphas, "alphas", func)
        return np.array([ev.value((1.0 - t) * a + t * b) for t in al])


def filter_normalize(direction: Any, model: Module, ignore_bias: bool = True) -> np.ndarray:
    r"""Rescale a direction filter by filter so that each filter has the norm of the model's filter.

    Li et al. (2018): for every parameter with two or more dimensions (a ``Linear`` weight of
    shape ``(out, in)``, a convolution kernel ``(out, in, kh, kw)``) each *filter* -- the slice
    along axis 0, i.e. one row of a ``Linear`` weight, the incoming weights of one output
    neuron -- is rescaled,

    .. math:: d_{i} \leftarrow \frac{d_{i}}{\lVert d_{i}\rVert}\,\lVert\theta_{i}\rVert .

    One-dimensional parameters (biases, normalisation scales) are set to 0 when
    ``ignore_bias`` (the paper's default, ``ignore='biasbn'``), and otherwise replaced by the
    parameter itself (what the authors' code does). A filter of ``d`` that is exactly 0 stays 0.

    Why: a ReLU network is unchanged when a hidden neuron's incoming weights and bias are
    multiplied by :math:`c > 0` and its outgoing weights by :math:`1/c`, yet an unnormalised
    random direction then perturbs the two equivalent networks by very different relative
    amounts, and makes one look much sharper. Filter-normalised directions scale with the
    filters, so both networks give identical slices.

    Parameters
    ----------
    direction:
        Flat vector of the model's parameter count (see :func:`parameters_to_vector`).
    model:
        The :class:`dlnotes.nn.Module` whose parameters define the filter norms.
    ignore_bias:
        Zero the 1-D parameters' part of the direction.

    Returns
    -------
    numpy.ndarray
        The normalised direction (a new flat vector).
    """
    func = "filter_normalize"
    params = _check_model(model, func)
    d = as_float_array(direction, "direction", func, ndim=1)
    total = sum(p.size for p in params)
    if d.size != total:
        raise ValueError(
            f"{func}: direction must have {total} entries (the model's parameters), got {d.size}"
        )
    out = d.copy()
    i = 0
    for p in params:
        seg = out[i : i + p.size]
        if p.ndim <= 1:
            seg[:] = 0.0 if ignore_bias else p.data.ravel()
        else:
            rows = seg.reshape(p.shape[0], -1)  # a view: one filter per row
            w = p.data.reshape(p.shape[0], -1)
            dn = np.linalg.norm(rows, axis=1, keepdims=True)
            wn = np.linalg.norm(w, axis=1, keepdims=True)
            scale = np.divide(wn, dn, out=np.zeros_like(dn), where=dn > 0)
            rows *= scale
        i += p.size
    return out


def random_directions(
    model: Module, rng: Any = None, filter_normalize: bool = True, n: int = 2, ignore_bias: bool = True
) -> tuple[np.ndarray, ...]:
    r"""``n`` random Gaussian directions in parameter space, filter-normalised by default (Li et al. 2018).

    Each direction is a flat vector of i.i.d. :math:`\mathcal N(0, 1)` entries (drawn in
    :func:`parameters_to_vector` order, one direction after the other), then passed through
    :func:`filter_normalize` unless ``filter_normalize=False``. In high dimension two such
    directions are nearly orthogonal.

    Returns
    -------
    tuple of numpy.ndarray
        ``n`` flat vectors (two by default, for :func:`slice_2d`).
    """
    func = "random_directions"
    params = _check_model(model, func)
    k = as_int(n, "n", func, minimum=1)
    gen = as_rng(rng, func)
    total = sum(p.size for p in params)
    raw = [gen.standard_normal(total) for _ in range(k)]
    if filter_normalize:
        raw = [_filter_normalize(d, model, ignore_bias) for d in raw]
    return tuple(raw)


_filter_normalize = filter_normalize  # random_directions' keyword shadows the function's name


def slice_1d(model: Module, loss_fn: Callable, direction: Any, alphas: Any) -> np.ndarray:
    r"""The loss along a line through the current parameters, :math:`\mathcal L(\theta + \alpha d)`.

    Returns an array of shape ``(len(alphas),)``; the parameters are restored afterwards.
    """
    func = "slice_1d"
    with _Evaluator(model, loss_fn, func) as ev:
        d = _as_vector(model, direction, "direction", func)
        al = _alphas(alphas, "alphas", func)
        return np.array([ev.value(ev.theta0 + t * d) for t in al])


def slice_2d(model: Module, loss_fn: Callable, d1: Any, d2: Any, alphas: Any, betas: Any) -> np.ndarray:
    r"""The loss on a plane through the parameters, :math:`\mathcal L(\theta + \alpha d_1 + \beta d_2)`.

    ``Z[i, j]`` is the loss at ``alphas[j]`` along ``d1`` and ``betas[i]`` along ``d2``, the
    layout of ``np.meshgrid(alphas, betas)``, so ``plt.contour(alphas, betas, Z)`` draws it.
    Use filter-normalised directions (:func:`random_directions`) to compare models. A convex
    looking slice proves nothing about the full loss, but a non-convex slice does show that
    the loss is not convex.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(betas), len(alphas))``; the parameters are restored afterwards.
    """
    func = "slice_2d"
    with _Evaluator(model, loss_fn, func) as ev:
        u = _as_vector(model, d1, "d1", func)
        v = _as_vector(model, d2, "d2", func)
        al = _alphas(alphas, "alphas", func)
        be = _alphas(betas, "betas", func)
        return np.array([[ev.value(ev.theta0 + a * u + b * v) for a in al] for b in be])


# --------------------------------------------------------------------------------------------
# curvature
# --------------------------------------------------------------------------------------------


def _hvp(ev: _Evaluator, theta: np.ndarray, v: np.ndarray, eps: float) -> np.ndarray:
    nv = float(np.linalg.norm(v))
    if nv == 0.0:
        return np.zeros_like(v)
    u = v / nv
    gp = ev.grad(theta + eps * u)
    gm = ev.grad(theta - eps * u)
    return (gp - gm) * (nv / (2.0 * eps))


def hessian_vector_product(model: Module, loss_fn: Callable, v: Any, eps: float = 1e-5) -> np.ndarray:
    r"""The Hessian-vector product :math:`H v` at the current parameters, from two gradients.

    .. math:: H v \approx \lVert v\rVert\,
              \frac{\nabla\mathcal L(\theta + \epsilon u) - \nabla\mathcal L(\theta - \epsilon u)}{2\epsilon},
              \qquad u = v/\lVert v\rVert .

    The central difference has error :math:`O(\epsilon^2)` (third derivatives) plus round-off
    :math:`O(\epsilon_\text{mach}\lVert\nabla\mathcal L\rVert/\epsilon)`; :math:`\epsilon =
    10^{-5}` gives about 8-10 correct digits for well-scaled losses. For a quadratic loss the
    gradient is linear and the formula is exact up to round-off. The Hessian itself (:math:`P^2`
    numbers) is never formed: each product costs two backward passes, which is what makes
    curvature of large models accessible (Pearlmutter's exact :math:`R`-operator costs about
    the same).

    Parameters
    ----------
    model, loss_fn:
        The model and the closure (see the module docstring).
    v:
        Flat vector of the model's parameter count.
    eps:
        Finite-difference step along the unit vector :math:`u`, > 0.

    Returns
    -------
    numpy.ndarray
        :math:`Hv`, a flat vector.
    """
    func = "hessian_vector_product"
    h = as_real(eps, "eps", func, positive=True)
    with _Evaluator(model, loss_fn, func) as ev:
        vec = _as_vector(model, v, "v", func)
        return _hvp(ev, ev.theta0, vec, h)


def _power_iteration(
    matvec: Callable[[np.ndarray], np.ndarray], v: np.ndarray, n_iter: int, tol: float
) -> tuple[float, np.ndarray]:
    """Largest-magnitude eigenvalue (Rayleigh quotient) and eigenvector of a symmetric operator."""
    v = v / np.linalg.norm(v)
    lam = 0.0
    for k in range(n_iter):
        w = matvec(v)
        new = float(v @ w)  # Rayleigh quotient, v has unit norm
        nw = float(np.linalg.norm(w))
        if nw == 0.0:
            return 0.0, v
        converged = k > 0 and abs(new - lam) <= tol * max(abs(new), 1e-300)
        lam, v = new, w / nw
        if converged:
            break
    return lam, v


def hessian_extreme_eigenvalues(
    model: Module,
    loss_fn: Callable,
    n_iter: int = 100,
    rng: Any = None,
    eps: float = 1e-5,
    tol: float = 1e-10,
) -> tuple[float, float]:
    r"""Largest and smallest Hessian eigenvalues at the current parameters, by power iteration.

    1. Power iteration :math:`v \leftarrow Hv/\lVert Hv\rVert` (with
       :func:`hessian_vector_product`) converges to the eigenvalue of largest *magnitude*,
       :math:`\lambda_a` (the Rayleigh quotient :math:`v^\top H v` is the estimate).
    2. Power iteration on the shifted operator :math:`H - \lambda_a I` converges to the
       eigenvalue of :math:`H` farthest from :math:`\lambda_a`, :math:`\lambda_b`: the other end
       of the spectrum.

    Then :math:`\lambda_\max = \max(\lambda_a, \lambda_b)` and :math:`\lambda_\min =
    \min(\lambda_a, \lambda_b)`. A negative :math:`\lambda_\min` means the point is not a
    local minimum (a saddle direction); near a trained network's minimum :math:`|\lambda_\min|`
    is usually small compared with :math:`\lambda_\max`.

    Convergence is geometric with ratio :math:`|\lambda_2/\lambda_1|` of the operator in use,
    so it is slow when the ends of the spectrum are crowded; the second run, whose gap is
    relative to the whole spectral width, is the slow one. Each run stops after ``n_iter``
    products or when the Rayleigh quotient changes by less than ``tol`` (relative).

    Parameters
    ----------
    model, loss_fn:
        The model and the closure (see the module docstring).
    n_iter:
        Maximal number of Hessian-vector products per run, >= 1.
    rng:
        Generator, seed or None for the random start vectors.
    eps:
        Finite-difference step of the Hessian-vector products.
    tol:
        Relative change of the eigenvalue estimate that stops a run.

    Returns
    -------
    tuple
        ``(lambda_max, lambda_min)``.
    """
    func = "hessian_extreme_eigenvalues"
    n = as_int(n_iter, "n_iter", func, minimum=1)
    h = as_real(eps, "eps", func, positive=True)
    tol = as_real(tol, "tol", func, nonnegative=True)
    gen = as_rng(rng, func)
    with _Evaluator(model, loss_fn, func) as ev:
        theta = ev.theta0

        def H(v: np.ndarray) -> np.ndarray:
            return _hvp(ev, theta, v, h)

        lam_a, _ = _power_iteration(H, gen.standard_normal(theta.size), n, tol)
        mu, _ = _power_iteration(lambda v: H(v) - lam_a * v, gen.standard_normal(theta.size), n, tol)
        lam_b = mu + lam_a
        return (max(lam_a, lam_b), min(lam_a, lam_b))
