r"""Optimisation as functions of a starting point: gradient descent, Newton's method and :func:`run`.

These return whole *trajectories* (one row per iterate) for plots and for checking rates:

* :func:`gradient_descent` -- :math:`x_{t+1} = x_t - \eta_t \nabla f(x_t)`;
* :func:`newton` -- :math:`x_{t+1} = x_t - (H(x_t) + \lambda I)^{-1} \nabla f(x_t)`, optionally
  with an Armijo line search;
* :func:`run` -- any ``dlnotes.optim`` optimizer (``SGD``, ``Adam``, ...) on a test function of
  :mod:`dlnotes.optim.testfns`, for the optimizer race;
* closed forms of the chapter: :func:`max_stable_lr` (:math:`2/\lambda_\max`),
  :func:`heavy_ball_optimal` and :func:`saddle_escape_steps`.

Scalar problems are allowed: a scalar ``x0`` gives a 1-D trajectory, and then ``grad`` and
``hess`` return scalars.

Book: chapter 05, "Gradient descent", "Newton's method" and "The optimizer race".
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from dlnotes._validation import as_float_array, as_int, as_real

__all__ = [
    "gradient_descent",
    "newton",
    "run",
    "max_stable_lr",
    "heavy_ball_optimal",
    "saddle_escape_steps",
]


def _start(x0: Any, func: str) -> tuple[np.ndarray, bool]:
    """Return ``x0`` as a float 1-D array and whether it was a scalar."""
    x = as_float_array(x0, "x0", func, ndim=(0, 1))
    if x.ndim == 1 and x.size == 0:
        raise ValueError(f"{func}: x0 must have at least one entry, got an empty array")
    return np.atleast_1d(x).astype(np.float64, copy=True), x.ndim == 0


def _call_vec(fn: Callable, x: np.ndarray, scalar: bool, what: str, func: str) -> np.ndarray:
    """Evaluate ``fn`` at ``x`` (passing a float for scalar problems); return a 1-D array of x's size."""
    out = fn(float(x[0])) if scalar else fn(x.copy())
    try:
        arr = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{func}: {what} must return an array of numbers, got {type(out).__name__}") from None
    if arr.size != x.size or (not scalar and arr.shape != x.shape):
        want = "a scalar" if scalar else f"shape {x.shape}"
        raise ValueError(f"{func}: {what} must return {want} (the shape of x0), got shape {arr.shape}")
    return arr.reshape(x.shape)


def _call_mat(fn: Callable, x: np.ndarray, scalar: bool, func: str) -> np.ndarray:
    out = fn(float(x[0])) if scalar else fn(x.copy())
    try:
        H = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{func}: hess must return an array of numbers, got {type(out).__name__}") from None
    d = x.size
    if H.size != d * d or (not scalar and H.shape != (d, d)):
        raise ValueError(f"{func}: hess must return shape ({d}, {d}), got shape {H.shape}")
    return H.reshape(d, d)


def _finish(path: np.ndarray, scalar: bool) -> np.ndarray:
    return path[:, 0].copy() if scalar else path


def gradient_descent(
    grad: Callable[[Any], Any],
    x0: Any,
    lr: float | Callable[[int], float],
    n_steps: int,
) -> np.ndarray:
    r"""Plain gradient descent, :math:`x_{t+1} = x_t - \eta_t \nabla f(x_t)`; returns the trajectory.

    On a quadratic :math:`\tfrac12 x^\top A x - b^\top x` the error obeys
    :math:`e_{t+1} = (I - \eta A)\,e_t`, so the iteration converges iff
    :math:`0 < \eta < 2/\lambda_\max` (see :func:`max_stable_lr`); with
    :math:`f = \tfrac12(x^2 + 100 y^2)` it converges for :math:`\eta = 0.019` and diverges for
    :math:`\eta = 0.021`.

    If an iterate overflows (a divergent run) the iteration stops there: that row holds the
    non-finite iterate and the remaining rows are NaN, so the trajectory always has
    ``n_steps + 1`` rows (matplotlib skips NaN).

    Parameters
    ----------
    grad:
        Gradient :math:`\nabla f`: takes an array of ``x0``'s shape (a float for a scalar
        ``x0``) and returns one of the same shape.
    x0:
        Starting point, a scalar or a 1-D array.
    lr:
        Learning rate :math:`\eta > 0`, or a schedule: a callable ``t -> eta_t`` for
        ``t = 0, 1, ..., n_steps - 1``.
    n_steps:
        Number of steps, >= 0.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_steps + 1, d)`` (``(n_steps + 1,)`` for a scalar ``x0``); row 0 is ``x0``.
    """
    func = "gradient_descent"
    if not callable(grad):
        raise TypeError(f"{func}: grad must be callable, got {type(grad).__name__}")
    x, scalar = _start(x0, func)
    n = as_int(n_steps, "n_steps", func, minimum=0)
    if callable(lr):
        schedule = lr
    else:
        eta = as_real(lr, "lr", func, positive=True)
        schedule = None
    path = np.full((n + 1, x.size), np.nan)
    path[0] = x
    for t in range(n):
        eta_t = eta if schedule is None else as_real(schedule(t), f"lr({t})", func, nonnegative=True)
        with np.errstate(over="ignore", invalid="ignore"):
            g = _call_vec(grad, x, scalar, "grad", func)
            x = x - eta_t * g
        path[t + 1] = x
        if not np.all(np.isfinite(x)):
            break
    return _finish(path, scalar)


def newton(
    f: Callable[[Any], float] | None,
    grad: Callable[[Any], Any],
    hess: Callable[[Any], Any],
    x0: Any,
    n_steps: int = 20,
    damping: float = 0.0,
    tol: float = 1e-12,
    line_search: bool = False,
    require_pd: bool = False,
) -> np.ndarray:
    r"""Newton's method, :math:`x_{t+1} = x_t - (H(x_t) + \lambda I)^{-1}\nabla f(x_t)`; returns the path.

    The step minimises the second-order Taylor model
    :math:`m(s) = f(x) + \nabla f(x)^\top s + \tfrac12 s^\top H s` -- when :math:`H` is positive
    definite. Consequences the chapter demonstrates:

    * on a quadratic with SPD :math:`A` one step lands exactly on :math:`A^{-1} b`;
    * near a non-degenerate minimum the convergence is quadratic (the error is squared);
    * it is attracted to *any* stationary point: on :math:`x^2 - y^2` one step from anywhere
      lands on the saddle :math:`(0, 0)`, and where :math:`f'' < 0` it climbs towards a maximum;
    * from :math:`(-1.2, 1)` on Rosenbrock the pure method reaches :math:`(1, 1)` in six steps,
      although :math:`f` *increases* at step 2.

    The linear system is solved with ``np.linalg.solve`` (never an explicit inverse).
    ``damping`` :math:`\lambda > 0` (Levenberg--Marquardt style) shortens the step towards
    :math:`-\nabla f/\lambda`; ``line_search=True`` scales the step by Armijo backtracking
    (:func:`dlnotes.optim.linesearch.backtracking_line_search`, :math:`\alpha_0 = 1`) and, when
    the Newton direction is not a descent direction (an indefinite Hessian), falls back to
    :math:`-\nabla f` for that step.

    Parameters
    ----------
    f:
        The objective; needed only with ``line_search=True`` (else it may be None).
    grad, hess:
        Gradient and Hessian: arrays of shapes ``(d,)`` and ``(d, d)`` for ``x`` of shape
        ``(d,)`` (scalars for a scalar ``x0``).
    x0:
        Starting point, a scalar or a 1-D array.
    n_steps:
        Maximal number of steps, >= 0.
    damping:
        :math:`\lambda \ge 0` added to the Hessian's diagonal.
    tol:
        Stop (before stepping) at an iterate with :math:`\lVert\nabla f\rVert_2 \le` ``tol``;
        0 disables the test.
    line_search:
        Use Armijo backtracking on each step.
    require_pd:
        Raise if :math:`H + \lambda I` is not positive definite at some iterate, instead of
        stepping towards a saddle or maximum.

    Returns
    -------
    numpy.ndarray
        The iterates, shape ``(k + 1, d)`` with ``k <= n_steps`` (``(k + 1,)`` for a scalar
        ``x0``); row 0 is ``x0``. Fewer than ``n_steps`` steps are taken when the gradient
        test stops the iteration.

    Raises
    ------
    ValueError
        If :math:`H + \lambda I` is singular at an iterate (e.g. a quadratic with a singular
        :math:`A` and :math:`b` outside its range), or not positive definite with ``require_pd``,
        or for invalid arguments.
    """
    func = "newton"
    for name, fn in (("grad", grad), ("hess", hess)):
        if not callable(fn):
            raise TypeError(f"{func}: {name} must be callable, got {type(fn).__name__}")
    if line_search and not callable(f):
        raise TypeError(f"{func}: f must be callable when line_search=True, got {type(f).__name__}")
    x, scalar = _start(x0, func)
    n = as_int(n_steps, "n_steps", func, minimum=0)
    lam = as_real(damping, "damping", func, nonnegative=True)
    tol = as_real(tol, "tol", func, nonnegative=True)
    if line_search:
        from dlnotes.optim.linesearch import backtracking_line_search

        def fv(z: np.ndarray) -> float:
            return f(float(z[0])) if scalar else f(z)

    path = [x.copy()]
    eye = np.eye(x.size)
    for t in range(n):
        g = _call_vec(grad, x, scalar, "grad", func)
        if not np.all(np.isfinite(g)):
            raise ValueError(f"{func}: grad returned a non-finite value at iterate {t}, x = {x}")
        if np.linalg.norm(g) <= tol:
            break
        H = _call_mat(hess, x, scalar, func) + lam * eye
        if not np.all(np.isfinite(H)):
            raise ValueError(f"{func}: hess returned a non-finite value at iterate {t}, x = {x}")
        H = (H + H.T) / 2.0
        if require_pd:
            try:
                np.linalg.cholesky(H)
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"{func}: the Hessian (+ damping) is not positive definite at iterate {t}, x = {x} "
                    f"(eigenvalues {np.linalg.eigvalsh(H)}); Newton would head for a saddle or a maximum. "
                    "Increase damping or use line_search"
                ) from None
        try:
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"{func}: the Hessian (+ damping) is singular at iterate {t}, x = {x}; "
                "use damping > 0 or start elsewhere"
            ) from None
        if line_search:
            if float(g @ step) >= 0.0:  # not a descent direction: steepest descent instead
                step = -g
            alpha = backtracking_line_search(fv, g, x, step)
            step = alpha * step
        x = x + step
        path.append(x.copy())
    return _finish(np.array(path), scalar)


def _resolve_optimizer(optimizer_cls: Any, func: str) -> type:
    if isinstance(optimizer_cls, str):
        import dlnotes.optim as optim_pkg  # lazy: run() works with whatever optimizers exist

        base = getattr(optim_pkg, "Optimizer", object)
        public = getattr(optim_pkg, "__all__", dir(optim_pkg))
        names = [
            k
            for k in public
            if isinstance(getattr(optim_pkg, k, None), type)
            and issubclass(getattr(optim_pkg, k), base)
            and getattr(optim_pkg, k) is not base
        ]
        lookup = {k.lower(): getattr(optim_pkg, k) for k in names}
        cls = lookup.get(optimizer_cls.lower())
        if cls is None:
            raise ValueError(
                f"{func}: optimizer_cls {optimizer_cls!r} is not an optimizer of dlnotes.optim; "
                f"known names: {sorted(names)}"
            )
        return cls
    if not isinstance(optimizer_cls, type):
        raise TypeError(
            f"{func}: optimizer_cls must be an optimizer class (e.g. dlnotes.optim.Adam) or its name, "
            f"got {type(optimizer_cls).__name__}"
        )
    return optimizer_cls


def run(
    optimizer_cls: Any,
    fn: Any,
    x0: Any,
    n_steps: int,
    *,
    return_values: bool = False,
    **hyper: Any,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    r"""Run an optimizer on a test function from ``x0``; return the trajectory for plots.

    The point is wrapped in a :class:`dlnotes.nn.Parameter` ``p``; each of the ``n_steps``
    steps sets ``p.grad = fn.grad(p.data)`` and calls ``opt.step()``, exactly the loop one
    writes with ``torch.optim`` (``p.grad = ...; opt.step()``), so the trajectory of
    ``run(dlnotes.optim.Adam, fn, x0, 100, lr=0.1)`` equals that of ``torch.optim.Adam`` on the
    same gradients.

    A divergent run is recorded, not raised: if an iterate becomes non-finite the loop stops
    (that row keeps the non-finite value), and if the gradient overflows at a finite iterate
    the loop stops before stepping; the remaining rows are NaN.

    Parameters
    ----------
    optimizer_cls:
        An optimizer class taking ``(params, **hyper)`` with ``step()`` (``dlnotes.optim.SGD``,
        ``dlnotes.optim.Adam``, ...), or its name (``"adam"``, case-insensitive), looked up in
        :mod:`dlnotes.optim` when ``run`` is called.
    fn:
        An :class:`~dlnotes.optim.testfns.Objective` (anything with ``grad(x)``, and
        ``value(x)`` if ``return_values``), or a plain callable returning the gradient.
    x0:
        Starting point, shape ``(d,)``.
    n_steps:
        Number of optimizer steps, >= 0.
    return_values:
        Also return ``fn.value`` along the trajectory.
    **hyper:
        Passed to the optimizer (``lr=0.01, momentum=0.9``, ...).

    Returns
    -------
    numpy.ndarray or tuple
        The trajectory, shape ``(n_steps + 1, d)`` with ``x0`` first; with ``return_values``
        also the values, shape ``(n_steps + 1,)``.
    """
    func = "run"
    cls = _resolve_optimizer(optimizer_cls, func)
    grad_fn = getattr(fn, "grad", None)
    if not callable(grad_fn):
        if callable(fn):
            grad_fn = fn
        else:
            raise TypeError(
                f"{func}: fn must be an Objective (with a grad method) or a gradient callable, "
                f"got {type(fn).__name__}"
            )
    value_fn = getattr(fn, "value", None)
    if return_values and not callable(value_fn):
        raise TypeError(f"{func}: return_values=True needs fn.value(x), and {type(fn).__name__} has none")
    x = as_float_array(x0, "x0", func, ndim=1)
    if x.size == 0:
        raise ValueError(f"{func}: x0 must have at least one entry, got an empty array")
    n = as_int(n_steps, "n_steps", func, minimum=0)

    from dlnotes.nn.module import Parameter  # lazy, like the optimizer lookup

    p = Parameter(x)
    opt = cls([p], **hyper)
    path = np.full((n + 1, x.size), np.nan)
    path[0] = p.data
    for t in range(n):
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is recorded, not raised
            g = _call_vec(grad_fn, p.data, False, "fn.grad", func)
            if not np.all(np.isfinite(g)):
                break
            p.grad = g
            opt.step()
        path[t + 1] = p.data
        if not np.all(np.isfinite(p.data)):
            break
    if not return_values:
        return path
    values = np.full(n + 1, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        for i, row in enumerate(path):
            if np.all(np.isfinite(row)):
                values[i] = float(value_fn(row))
    return path, values


def max_stable_lr(A: Any) -> float:
    r"""The supremum of stable gradient-descent learning rates on a quadratic, :math:`2/\lambda_\max(A)`.

    Gradient descent on :math:`\tfrac12 x^\top A x - b^\top x` multiplies the error along the
    eigenvector :math:`v_i` by :math:`1 - \eta\lambda_i` each step; all factors lie in
    :math:`(-1, 1)` iff :math:`0 < \eta < 2/\lambda_\max` (for positive definite :math:`A`).
    For :math:`A = [[3, .5], [.5, 1]]` the threshold is 0.64143; for
    :math:`\operatorname{diag}(1, 100)` it is 0.02.

    Parameters
    ----------
    A:
        Symmetric positive semidefinite matrix with :math:`\lambda_\max > 0` (a
        :class:`~dlnotes.optim.testfns.Quadratic`'s ``A``).

    Raises
    ------
    ValueError
        If ``A`` is not square and symmetric, or has a negative eigenvalue (then gradient descent
        diverges along it for every :math:`\eta > 0`), or is zero.
    """
    func = "max_stable_lr"
    A = as_float_array(getattr(A, "A", A), "A", func, ndim=2)
    if A.shape[0] != A.shape[1] or A.size == 0:
        raise ValueError(f"{func}: A must be a non-empty square matrix, got shape {A.shape}")
    scale = float(np.abs(A).max())
    if np.abs(A - A.T).max() > 1e-12 * max(scale, 1e-300):
        raise ValueError(f"{func}: A must be symmetric, got max |A - A.T| = {np.abs(A - A.T).max():.3g}")
    lam = np.linalg.eigvalsh((A + A.T) / 2.0)
    if lam[0] < -1e-12 * max(scale, 1e-300):
        raise ValueError(
            f"{func}: A must be positive semidefinite, got the eigenvalue {lam[0]:.6g} < 0 "
            "(gradient descent diverges along its eigenvector for every lr > 0)"
        )
    if lam[-1] <= 0:
        raise ValueError(f"{func}: A must have a positive eigenvalue, got A = 0")
    return float(2.0 / lam[-1])


def heavy_ball_optimal(mu: float, L: float) -> tuple[float, float, float]:
    r"""Polyak's optimal heavy-ball parameters for a quadratic with eigenvalues in :math:`[\mu, L]`.

    .. math::

        \eta = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
        \beta = \Bigl(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Bigr)^2, \qquad
        \text{rate} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}, \qquad \kappa = L/\mu,

    against :math:`(\kappa - 1)/(\kappa + 1)` for gradient descent with its best
    :math:`\eta = 2/(\mu + L)`. For :math:`\kappa = 100`: :math:`\eta = 0.0330579`,
    :math:`\beta = 0.669421`, rate 0.818182 (gradient descent: 0.980198). The iteration is
    the torch form :math:`b \leftarrow \beta b + g`, :math:`x \leftarrow x - \eta b`.

    Returns
    -------
    tuple
        ``(lr, beta, rate)``.
    """
    func = "heavy_ball_optimal"
    mu = as_real(mu, "mu", func, positive=True)
    L = as_real(L, "L", func, positive=True)
    if L < mu:
        raise ValueError(f"{func}: need L >= mu (the largest and smallest eigenvalues), got mu={mu}, L={L}")
    rk = math.sqrt(L / mu)
    rate = (rk - 1.0) / (rk + 1.0)
    return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate * rate, rate


def saddle_escape_steps(y0: float, lr: float) -> int:
    r"""Steps gradient descent on :math:`x^2 - y^2` needs to reach :math:`|y| \ge 1` from :math:`|y_0| < 1`.

    The :math:`y` coordinate obeys :math:`y_{t+1} = (1 + 2\eta)\,y_t`, so
    :math:`|y_t| = (1 + 2\eta)^t |y_0|` and the escape time is
    :math:`\lceil \log(1/|y_0|) / \log(1 + 2\eta) \rceil`: logarithmic in the initial offset,
    but infinite at :math:`y_0 = 0` (exactly on the stable manifold). Worked value:
    :math:`y_0 = 10^{-8}`, :math:`\eta = 0.1` gives 102 steps (101.03 rounded up).
    """
    func = "saddle_escape_steps"
    y = abs(as_real(y0, "y0", func))
    if y == 0:
        raise ValueError(f"{func}: y0 must be nonzero (from y0 = 0 gradient descent never escapes), got 0")
    if y >= 1:
        return 0
    eta = as_real(lr, "lr", func, positive=True)
    steps = math.log(1.0 / y) / math.log1p(2.0 * eta)
    k = math.ceil(steps)
    # guard against rounding: make sure (1 + 2 eta)^k |y0| >= 1 > (1 + 2 eta)^(k-1) |y0|
    while k > 0 and (1.0 + 2.0 * eta) ** (k - 1) * y >= 1.0:
        k -= 1
    while (1.0 + 2.0 * eta) ** k * y < 1.0:
        k += 1
    return int(k)
