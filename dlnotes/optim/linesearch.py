r"""Line search: choosing how far to go along a direction.

Given a point :math:`x` and a direction :math:`d`, a line search picks a step
:math:`\alpha > 0` for :math:`x + \alpha d` by looking at the one-variable function
:math:`\phi(\alpha) = f(x + \alpha d)`:

* :func:`exact_quadratic_step` -- the exact minimiser of :math:`\phi` for a quadratic,
  :math:`\alpha^* = -g^\top d / d^\top A d` (:math:`g^\top g / g^\top A g` along :math:`-g`);
* :func:`bracket_minimum` then :func:`golden_section` -- a derivative-free exact search for a
  unimodal :math:`\phi`: each step keeps the part of the bracket that must contain the
  minimum, shrinking it by :math:`1/\varphi = 0.618\ldots` per function evaluation;
* :func:`backtracking_line_search` -- the inexact search used in practice: start from
  :math:`\alpha_0` and multiply by :math:`\rho` until the Armijo (sufficient decrease)
  condition :math:`f(x + \alpha d) \le f(x) + c\,\alpha\,\nabla f(x)^\top d` holds.

Book: chapter 05, "Line search".
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from dlnotes._validation import as_float_array, as_int, as_real
from dlnotes.numerics import _scalar_value

__all__ = ["golden_section", "bracket_minimum", "backtracking_line_search", "exact_quadratic_step"]

_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0  # 1/phi = 0.6180339887...


def _check_callable(f: Any, name: str, func: str) -> None:
    if not callable(f):
        raise TypeError(f"{func}: {name} must be callable, got {type(f).__name__}")


def golden_section(
    f: Callable[[float], float],
    a: float,
    b: float,
    tol: float = 1e-8,
    max_iter: int = 200,
    history: bool = False,
) -> tuple:
    r"""Minimise a unimodal function on :math:`[a, b]` by golden-section search (Kiefer 1953).

    Two interior points :math:`c = b - (b - a)/\varphi` and :math:`d = a + (b - a)/\varphi`
    (:math:`\varphi = (1 + \sqrt5)/2`) split the bracket; if :math:`f(c) \le f(d)` the minimum
    lies in :math:`[a, d]`, otherwise in :math:`[c, b]`. The golden ratio makes the surviving
    interior point one of the two points of the next step, so each step costs one evaluation
    and shrinks the bracket by :math:`1/\varphi \approx 0.618`: about
    :math:`\log(\text{tol}/(b - a))/\log 0.618` steps in all.

    The search stops when :math:`b - a \le \text{tol}`, when the bracket cannot shrink any more
    in floating point, or after ``max_iter`` steps. Note that :math:`x` cannot be located more
    precisely than about :math:`\sqrt{\epsilon_\text{mach}}\,|x|` (:math:`\approx 1.5\times
    10^{-8}|x|`) from function values alone, because :math:`f` is flat to second order at a
    minimum.

    If :math:`f` is not unimodal on :math:`[a, b]` the result is *a* local minimiser (or an
    endpoint), not necessarily the global one.

    Parameters
    ----------
    f:
        Callable of one float returning a finite real number.
    a, b:
        The bracket, :math:`a < b`.
    tol:
        Absolute width of the final bracket, > 0.
    max_iter:
        Maximal number of shrinking steps, >= 1.
    history:
        If True also return the list of brackets ``(a, b)``, the initial one first.

    Returns
    -------
    tuple
        ``(x, f(x), n_evals)``: the best point evaluated (inside the final bracket), its value
        and the number of calls of ``f``; ``(x, f(x), n_evals, brackets)`` with ``history``.

    Examples
    --------
    >>> x, fx, n = golden_section(lambda t: (t - 0.3) ** 2 + 1.0, 0.0, 1.0)
    >>> round(x, 7), round(fx, 12), n
    (0.3, 1.0, 41)
    """
    func = "golden_section"
    _check_callable(f, "f", func)
    lo = as_real(a, "a", func)
    hi = as_real(b, "b", func)
    if not lo < hi:
        raise ValueError(f"{func}: the bracket must satisfy a < b, got a={lo}, b={hi}")
    tol = as_real(tol, "tol", func, positive=True)
    max_iter = as_int(max_iter, "max_iter", func, minimum=1)

    def ev(t: float) -> float:
        return _scalar_value(f(t), func, f"at x = {t!r}")

    c = hi - _INV_PHI * (hi - lo)
    d = lo + _INV_PHI * (hi - lo)
    fc, fd = ev(c), ev(d)
    n_evals = 2
    brackets = [(lo, hi)]
    for _ in range(max_iter):
        if hi - lo <= tol:
            break
        if fc <= fd:  # the minimum is in [lo, d]; the old c becomes the new d
            hi, d, fd = d, c, fc
            c = hi - _INV_PHI * (hi - lo)
            if not lo < c < d:
                break
            fc = ev(c)
        else:  # the minimum is in [c, hi]; the old d becomes the new c
            lo, c, fc = c, d, fd
            d = lo + _INV_PHI * (hi - lo)
            if not c < d < hi:
                break
            fd = ev(d)
        n_evals += 1
        brackets.append((lo, hi))
    x, fx = (c, fc) if fc <= fd else (d, fd)
    return (x, fx, n_evals, brackets) if history else (x, fx, n_evals)


def bracket_minimum(
    f: Callable[[float], float],
    x0: float = 0.0,
    step: float = 1.0,
    grow: float = 1.0 / _INV_PHI,
    max_iter: int = 100,
) -> tuple[float, float, float]:
    r"""Find :math:`a < m < b` with :math:`f(m) < f(a)` and :math:`f(m) \le f(b)`: a bracket of a minimum.

    Step from ``x0`` downhill (trying ``x0 + step`` first, else the other direction) with steps
    growing by the factor ``grow`` until :math:`f` goes up again. For a continuous :math:`f`
    the returned interval :math:`[a, b]` then contains a local minimiser, ready for
    :func:`golden_section`.

    Parameters
    ----------
    f:
        Callable of one float returning a finite real number.
    x0:
        Starting point.
    step:
        First trial step, nonzero.
    grow:
        Expansion factor of successive steps, > 1 (default the golden ratio 1.618...).
    max_iter:
        Maximal number of expansions before giving up.

    Returns
    -------
    tuple
        ``(a, m, b)`` with ``a < m < b``.

    Raises
    ------
    ValueError
        For invalid arguments, or if :math:`f` keeps decreasing for ``max_iter`` expansions
        (it may be unbounded below).
    """
    func = "bracket_minimum"
    _check_callable(f, "f", func)
    x0 = as_real(x0, "x0", func)
    step = as_real(step, "step", func)
    if step == 0:
        raise ValueError(f"{func}: step must be nonzero, got 0.0")
    grow = as_real(grow, "grow", func)
    if grow <= 1:
        raise ValueError(f"{func}: grow must be > 1, got {grow}")
    max_iter = as_int(max_iter, "max_iter", func, minimum=1)

    def ev(t: float) -> float:
        return _scalar_value(f(t), func, f"at x = {t!r}")

    a, b = x0, x0 + step
    fa, fb = ev(a), ev(b)
    if fb > fa:  # go the other way
        a, b, fa, fb = b, a, fb, fa
    elif fb == fa:  # flat: the minimum may lie between; probe the other side
        c = a - step
        fc = ev(c)
        if fc >= fa:
            return (min(c, b), a, max(c, b))
        a, b, fa, fb = a, c, fa, fc
    c = b + grow * (b - a)
    fc = ev(c)
    for _ in range(max_iter):
        if fc >= fb:
            return (min(a, c), b, max(a, c))
        a, b, fa, fb = b, c, fb, fc
        c = b + grow * (b - a)
        fc = ev(c)
    raise ValueError(
        f"{func}: f kept decreasing for {max_iter} expansions (last point {c:.6g}, f = {fc:.6g}); "
        "it may be unbounded below in this direction"
    )


def backtracking_line_search(
    f: Callable[[np.ndarray], float],
    grad_f: Callable[[np.ndarray], Any] | Any,
    x: Any,
    direction: Any,
    alpha0: float = 1.0,
    rho: float = 0.5,
    c: float = 1e-4,
    max_iter: int = 100,
) -> float:
    r"""The largest step :math:`\alpha_0 \rho^k` (:math:`k = 0, 1, \ldots`) satisfying Armijo's condition.

    .. math::

        f(x + \alpha d) \le f(x) + c\,\alpha\,\nabla f(x)^\top d .

    Because :math:`d` is a descent direction (:math:`\nabla f(x)^\top d < 0`), the right-hand
    side asks for at least a fraction :math:`c` of the decrease predicted by the linear model;
    for a smooth :math:`f` every small enough :math:`\alpha` satisfies it, so the loop ends.
    A trial point where :math:`f` is not finite (overflow) counts as a failure and the step is
    shrunk. Testing only :math:`f(x + \alpha d) < f(x)` (no :math:`c` term) is a classic bug:
    it accepts steps whose decrease tends to 0 and the iterates can stall (Nocedal & Wright,
    §3.1).

    Parameters
    ----------
    f:
        Objective, called on arrays of ``x``'s shape, returning a finite real number.
    grad_f:
        Gradient of ``f`` (a callable), or the gradient at ``x`` itself (an array).
    x:
        Current point (any shape; usually ``(d,)``).
    direction:
        Search direction :math:`d`, of ``x``'s shape, with :math:`\nabla f(x)^\top d < 0`.
    alpha0:
        First trial step, > 0.
    rho:
        Shrinking factor, in (0, 1).
    c:
        Sufficient-decrease constant, in (0, 1); :math:`10^{-4}` is the usual choice.
    max_iter:
        Maximal number of shrinkings.

    Returns
    -------
    float
        The accepted step :math:`\alpha`.

    Raises
    ------
    ValueError
        If ``direction`` is not a descent direction, or for invalid arguments.
    RuntimeError
        If no step is accepted after ``max_iter`` shrinkings (e.g. rounding makes
        :math:`f(x + \alpha d) = f(x)` for tiny steps).
    """
    func = "backtracking_line_search"
    _check_callable(f, "f", func)
    x = as_float_array(x, "x", func)
    d = as_float_array(direction, "direction", func)
    if d.shape != x.shape:
        raise ValueError(f"{func}: direction must have the shape of x, {x.shape}, got {d.shape}")
    g = grad_f(x.copy()) if callable(grad_f) else grad_f
    g = as_float_array(g, "grad_f(x)", func)
    if g.shape != x.shape:
        raise ValueError(f"{func}: the gradient must have the shape of x, {x.shape}, got {g.shape}")
    alpha = as_real(alpha0, "alpha0", func, positive=True)
    rho = as_real(rho, "rho", func)
    if not 0.0 < rho < 1.0:
        raise ValueError(f"{func}: rho must be in (0, 1), got {rho}")
    c = as_real(c, "c", func)
    if not 0.0 < c < 1.0:
        raise ValueError(f"{func}: c must be in (0, 1), got {c}")
    max_iter = as_int(max_iter, "max_iter", func, minimum=0)
    slope = float(np.sum(g * d))
    if not slope < 0.0:
        raise ValueError(
            f"{func}: direction must be a descent direction (grad_f(x) . direction < 0), "
            f"got grad_f(x) . direction = {slope:.6g}; use e.g. direction = -grad_f(x)"
        )
    fx = _scalar_value(f(x.copy()), func, "at x")
    for _ in range(max_iter + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            trial = f(x + alpha * d)
        try:
            ft = float(np.asarray(trial))
        except (TypeError, ValueError):
            raise TypeError(f"{func}: f must return a real scalar, got {type(trial).__name__}") from None
        if np.isfinite(ft) and ft <= fx + c * alpha * slope:
            return alpha
        alpha *= rho
    raise RuntimeError(
        f"{func}: no step satisfied the Armijo condition after {max_iter} shrinkings "
        f"(last alpha = {alpha / rho:.3g}); check that grad_f is the gradient of f"
    )


def exact_quadratic_step(A: Any, g: Any, direction: Any = None) -> float:
    r"""The exact line-search step on a quadratic with Hessian :math:`A`, from a point of gradient :math:`g`.

    Along :math:`d` the quadratic is :math:`\phi(\alpha) = \phi(0) + \alpha\,g^\top d +
    \tfrac12\alpha^2 d^\top A d`, minimised at

    .. math:: \alpha^* = -\frac{g^\top d}{d^\top A d}, \qquad
              \alpha^* = \frac{g^\top g}{g^\top A g}\ \text{for}\ d = -g\ \text{(the default).}

    With this step the new gradient is orthogonal to :math:`d`, which is why exact-line-search
    steepest descent zig-zags at right angles. Worked value: :math:`A = [[3, .5], [.5, 1]]`,
    :math:`g = (-1, 2)` gives :math:`\alpha^* = 1`.

    Raises
    ------
    ValueError
        If the curvature :math:`d^\top A d` is not positive (no minimum along :math:`d`), if
        :math:`d = 0`, or for shapes that do not match.
    """
    func = "exact_quadratic_step"
    A = as_float_array(A, "A", func, ndim=2)
    g = as_float_array(g, "g", func, ndim=1)
    if A.shape != (g.size, g.size):
        raise ValueError(f"{func}: A must have shape ({g.size}, {g.size}) to match g, got {A.shape}")
    d = -g if direction is None else as_float_array(direction, "direction", func, ndim=1)
    if d.shape != g.shape:
        raise ValueError(f"{func}: direction must have shape {g.shape}, got {d.shape}")
    if not np.any(d):
        raise ValueError(f"{func}: the direction (default -g) must be nonzero, got all zeros")
    curv = float(d @ A @ d)
    if not curv > 0:
        raise ValueError(
            f"{func}: the curvature d^T A d must be > 0 for a minimum along d, got {curv:.6g}"
        )
    return float(-(g @ d) / curv)
