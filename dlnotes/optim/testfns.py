r"""Test functions for optimizers: a quadratic, Rosenbrock, Beale, a saddle and Himmelblau.

Each factory returns an :class:`Objective` with

* ``value(x)``, ``grad(x)`` and ``hess(x)``: the function, its gradient and its Hessian, all
  in closed form and all *vectorised*: ``x`` of shape ``(d,)`` gives a float, a ``(d,)``
  gradient and a ``(d, d)`` Hessian; ``x`` of shape ``(..., d)`` (a grid for a contour plot,
  a whole trajectory) gives arrays of shape ``(...)``, ``(..., d)`` and ``(..., d, d)``;
* ``minima``: the known minimisers as rows of a ``(k, d)`` array (``k = 0`` when there is none,
  as for the saddle), ``saddle_points`` and ``maxima`` likewise where they are known;
* ``name``, ``dim`` and ``bounds``, a plotting window ``((x_lo, x_hi), (y_lo, y_hi))``.

Calling the object, ``fn(x)``, is ``fn.value(x)``.

===================  ==============================================  ===========================
factory              :math:`f(x, y)`                                 minimisers
===================  ==============================================  ===========================
``quadratic(A, b)``  :math:`\tfrac12 x^\top A x - b^\top x`          :math:`A^{-1} b` (A SPD)
``rosenbrock(a,b)``  :math:`(a - x)^2 + b (y - x^2)^2`               :math:`(a, a^2)`
``beale()``          :math:`\sum_{i=1}^3 (c_i - x + x y^i)^2`,        :math:`(3, 0.5)`
                     :math:`c = (1.5, 2.25, 2.625)`
``saddle()``         :math:`x^2 - y^2` (``kind="monkey"``:           none (saddle at 0)
                     :math:`x^3 - 3 x y^2`)
``himmelblau()``     :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`      four, all with f = 0
===================  ==============================================  ===========================

Book: chapter 05, "Gradient descent", "Newton's method" and the optimizer race.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes._validation import as_float_array, as_real, check_choice

__all__ = [
    "Objective",
    "Quadratic",
    "quadratic",
    "ill_conditioned",
    "rosenbrock",
    "beale",
    "saddle",
    "himmelblau",
]


def _rows(points: Any, dim: int) -> np.ndarray:
    arr = np.asarray(points, dtype=float)
    return arr.reshape(-1, dim) if arr.size else np.zeros((0, dim))


class Objective:
    r"""A smooth test function with closed-form gradient and Hessian (see the module docstring).

    Subclasses implement ``_value``, ``_grad`` and ``_hess`` on float arrays of shape
    ``(..., dim)``; the public methods validate the input and handle the 1-point case.

    Attributes
    ----------
    name:
        Short name (``"rosenbrock"``), used in plot legends.
    dim:
        Number of variables :math:`d`.
    minima, saddle_points, maxima:
        Known stationary points of each kind, arrays of shape ``(k, dim)``.
    min_value:
        The value at the global minimisers, or None if there is no minimum.
    bounds:
        Suggested plotting window ``((x_lo, x_hi), (y_lo, y_hi))`` (None for ``dim != 2``).
    """

    def __init__(
        self,
        name: str,
        dim: int,
        minima: Any = (),
        saddle_points: Any = (),
        maxima: Any = (),
        min_value: float | None = None,
        bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
    ) -> None:
        self.name = name
        self.dim = dim
        self.minima = _rows(minima, dim)
        self.saddle_points = _rows(saddle_points, dim)
        self.maxima = _rows(maxima, dim)
        self.min_value = min_value
        self.bounds = bounds

    # ------------------------------------------------------------------ validation

    def _points(self, x: Any, method: str) -> np.ndarray:
        func = f"{self.name}.{method}"
        arr = as_float_array(x, "x", func)
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise ValueError(
                f"{func}: x must have shape ({self.dim},) or (..., {self.dim}), got shape {arr.shape}"
            )
        return arr

    # ------------------------------------------------------------------ public API

    def value(self, x: Any) -> float | np.ndarray:
        """Function value at ``x`` of shape ``(dim,)`` (a float) or ``(..., dim)`` (an array ``(...)``)."""
        arr = self._points(x, "value")
        out = self._value(arr)
        return float(out) if arr.ndim == 1 else out

    def grad(self, x: Any) -> np.ndarray:
        """Gradient, of the shape of ``x``."""
        return self._grad(self._points(x, "grad"))

    def hess(self, x: Any) -> np.ndarray:
        """Hessian, of shape ``x.shape + (dim,)``."""
        return self._hess(self._points(x, "hess"))

    def __call__(self, x: Any) -> float | np.ndarray:
        return self.value(x)

    def __repr__(self) -> str:
        return f"<Objective {self.name!r}, dim={self.dim}, {len(self.minima)} known minimiser(s)>"

    # ------------------------------------------------------------------ to implement

    def _value(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _hess(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


def _stack_hess(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> np.ndarray:
    row0 = np.stack([hxx, hxy], axis=-1)
    row1 = np.stack([hxy, hyy], axis=-1)
    return np.stack([row0, row1], axis=-2)


# --------------------------------------------------------------------------------------------
# quadratic
# --------------------------------------------------------------------------------------------


class Quadratic(Objective):
    r"""The quadratic :math:`f(x) = \tfrac12 x^\top A x - b^\top x` with symmetric :math:`A`.

    Gradient :math:`Ax - b`, Hessian :math:`A` everywhere. If :math:`A` is positive definite
    the unique minimiser is :math:`x^* = A^{-1} b` (computed with ``np.linalg.solve``) and
    :math:`f(x^*) = -\tfrac12 b^\top x^*`; if :math:`A` is indefinite that point is a saddle
    and there is no minimum; if :math:`A` is singular no stationary point is listed.
    The attributes ``A``, ``b`` and ``eigenvalues`` (ascending) are kept for
    :func:`dlnotes.optim.functional.max_stable_lr` and the convergence-rate formulas.
    """

    def __init__(self, A: Any, b: Any = None, name: str = "quadratic") -> None:
        func = "quadratic"
        A = as_float_array(A, "A", func, ndim=2)
        if A.shape[0] != A.shape[1] or A.shape[0] == 0:
            raise ValueError(f"{func}: A must be a non-empty square matrix, got shape {A.shape}")
        d = A.shape[0]
        scale = max(float(np.abs(A).max()), 1e-300)
        if np.abs(A - A.T).max() > 1e-12 * scale:
            raise ValueError(
                f"{func}: A must be symmetric (f uses only its symmetric part (A + A.T)/2; pass that), "
                f"got max |A - A.T| = {np.abs(A - A.T).max():.3g}"
            )
        if b is None:
            b = np.zeros(d)
        b = as_float_array(b, "b", func, ndim=1)
        if b.shape != (d,):
            raise ValueError(f"{func}: b must have shape ({d},) to match A {A.shape}, got shape {b.shape}")
        self.A = (A + A.T) / 2.0
        self.b = b.copy()
        self.eigenvalues = np.linalg.eigvalsh(self.A)
        lo, hi = self.eigenvalues[0], self.eigenvalues[-1]
        tiny = 1e-12 * max(abs(lo), abs(hi), 1e-300)
        minima: Any = ()
        saddles: Any = ()
        maxima: Any = ()
        min_value = None
        if np.all(np.abs(self.eigenvalues) > tiny):
            xs = np.linalg.solve(self.A, self.b)
            if lo > 0:
                minima, min_value = xs, float(-0.5 * self.b @ xs)
            elif hi < 0:
                maxima = xs
            else:
                saddles = xs
        bounds = None
        if d == 2:
            c = np.asarray(minima, dtype=float).reshape(2) if min_value is not None else np.zeros(2)
            r = 2.0 + float(np.abs(c).max())
            bounds = ((c[0] - r, c[0] + r), (c[1] - r, c[1] + r))
        super().__init__(name, d, minima, saddles, maxima, min_value, bounds)

    def _value(self, x: np.ndarray) -> np.ndarray:
        return 0.5 * np.einsum("...i,ij,...j->...", x, self.A, x) - x @ self.b

    def _grad(self, x: np.ndarray) -> np.ndarray:
        return x @ self.A - self.b  # A is symmetric: x @ A = (A x)^T

    def _hess(self, x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.A, x.shape[:-1] + self.A.shape).copy()


def quadratic(A: Any, b: Any = None) -> Quadratic:
    r"""The quadratic :math:`f(x) = \tfrac12 x^\top A x - b^\top x` (``b`` defaults to 0).

    ``A`` must be symmetric (a non-symmetric matrix is refused rather than silently
    symmetrised). Worked value: :math:`A = [[3, .5], [.5, 1]]`, :math:`b = (1, -2)` has the
    minimiser :math:`(0.727273, -2.363636)`.
    """
    return Quadratic(A, b)


def ill_conditioned(kappa: float = 100.0) -> Quadratic:
    r"""The quadratic :math:`\tfrac12 (x^2 + \kappa y^2)`, i.e. ``quadratic(diag(1, kappa))``.

    Its condition number is :math:`\kappa`; plain gradient descent converges iff
    :math:`\eta < 2/\kappa` (for :math:`\kappa \ge 1`).
    """
    k = as_real(kappa, "kappa", "ill_conditioned", positive=True)
    return Quadratic(np.diag([1.0, k]), np.zeros(2), name="ill_conditioned")


# --------------------------------------------------------------------------------------------
# Rosenbrock
# --------------------------------------------------------------------------------------------


class _Rosenbrock(Objective):
    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = a, b
        super().__init__("rosenbrock", 2, [a, a * a], min_value=0.0, bounds=((-2.0, 2.0), (-1.0, 3.0)))

    def _value(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def _grad(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        r = y - x * x
        return np.stack([-2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r], axis=-1)

    def _hess(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        hxx = 2.0 - 4.0 * self.b * (y - x * x) + 8.0 * self.b * x * x
        hxy = -4.0 * self.b * x
        hyy = np.full_like(x, 2.0 * self.b)
        return _stack_hess(hxx, hxy, hyy)


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Objective:
    r"""Rosenbrock's banana valley :math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`.

    The unique minimiser is :math:`(a, a^2)` with :math:`f = 0`, at the bottom of a curved,
    flat-bottomed valley; with the classic start :math:`(-1.2, 1)` gradient descent needs
    thousands of steps and Newton's method six. Same function as ``scipy.optimize.rosen`` for
    ``a = 1, b = 100`` in two variables.

    Parameters
    ----------
    a:
        Real; sets the minimiser.
    b:
        Steepness of the valley walls, > 0.
    """
    a = as_real(a, "a", "rosenbrock")
    b = as_real(b, "b", "rosenbrock", positive=True)
    return _Rosenbrock(a, b)


# --------------------------------------------------------------------------------------------
# Beale
# --------------------------------------------------------------------------------------------

_BEALE_C = (1.5, 2.25, 2.625)


class _Beale(Objective):
    def __init__(self) -> None:
        super().__init__("beale", 2, [3.0, 0.5], min_value=0.0, bounds=((-4.5, 4.5), (-4.5, 4.5)))

    def _value(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        return sum((c - x + x * y ** (i + 1)) ** 2 for i, c in enumerate(_BEALE_C))

    def _grad(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        gx = np.zeros_like(x)
        gy = np.zeros_like(x)
        for i, c in enumerate(_BEALE_C, start=1):
            u = c - x + x * y**i
            gx += 2.0 * u * (y**i - 1.0)
            gy += 2.0 * u * i * x * y ** (i - 1)
        return np.stack([gx, gy], axis=-1)

    def _hess(self, p: np.ndarray) -> np.ndarray:
        # f = sum_i u_i^2  =>  H = 2 sum_i (grad u_i grad u_i^T + u_i Hess u_i)
        x, y = p[..., 0], p[..., 1]
        hxx = np.zeros_like(x)
        hxy = np.zeros_like(x)
        hyy = np.zeros_like(x)
        for i, c in enumerate(_BEALE_C, start=1):
            u = c - x + x * y**i
            ux, uy = y**i - 1.0, i * x * y ** (i - 1)
            uxy = i * y ** (i - 1)
            uyy = i * (i - 1) * x * y ** (i - 2) if i >= 2 else np.zeros_like(x)
            hxx += 2.0 * ux * ux
            hxy += 2.0 * (ux * uy + u * uxy)
            hyy += 2.0 * (uy * uy + u * uyy)
        return _stack_hess(hxx, hxy, hyy)


def beale() -> Objective:
    r"""Beale's function :math:`f(x, y) = \sum_{i=1}^{3} (c_i - x + x y^i)^2`, :math:`c = (1.5, 2.25, 2.625)`.

    Global minimiser :math:`(3, 0.5)` with :math:`f = 0`; flat plateaus and sharp ridges
    (the corners of :math:`[-4.5, 4.5]^2` reach :math:`\approx 1.8 \times 10^5`) make
    adaptive methods shine.
    """
    return _Beale()


# --------------------------------------------------------------------------------------------
# saddles
# --------------------------------------------------------------------------------------------


class _Saddle(Objective):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(
            "saddle" if kind == "quadratic" else "monkey_saddle",
            2,
            saddle_points=[0.0, 0.0],
            bounds=((-1.0, 1.0), (-1.0, 1.0)),
        )

    def _value(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        return x * x - y * y if self.kind == "quadratic" else x**3 - 3.0 * x * y * y

    def _grad(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        if self.kind == "quadratic":
            return np.stack([2.0 * x, -2.0 * y], axis=-1)
        return np.stack([3.0 * x * x - 3.0 * y * y, -6.0 * x * y], axis=-1)

    def _hess(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        if self.kind == "quadratic":
            return _stack_hess(np.full_like(x, 2.0), np.zeros_like(x), np.full_like(x, -2.0))
        return _stack_hess(6.0 * x, -6.0 * y, -6.0 * x)


def saddle(kind: str = "quadratic") -> Objective:
    r"""A saddle: :math:`f(x, y) = x^2 - y^2` (default), or the monkey saddle :math:`x^3 - 3xy^2`.

    ``kind="quadratic"``: the Hessian is :math:`\operatorname{diag}(2, -2)` everywhere, the
    only stationary point is the saddle at the origin, and there is no minimum (``minima`` is
    empty). Gradient descent started on the :math:`x`-axis converges to the saddle; started
    off it, it escapes at the rate :math:`(1 + 2\eta)^t`. Newton's method jumps onto the saddle
    in one step from *any* start (the chapter's warning).

    ``kind="monkey"``: a degenerate saddle (the Hessian vanishes at the origin) with three
    descending valleys; Newton's method still heads for it, but only linearly (it halves the
    distance each step), because the Hessian is singular there.
    """
    check_choice(kind, "kind", "saddle", ("quadratic", "monkey"))
    return _Saddle(kind)


# --------------------------------------------------------------------------------------------
# Himmelblau
# --------------------------------------------------------------------------------------------

# Stationary points to float64 precision (refined by Newton's method in 40-digit arithmetic).
_HIMMELBLAU_MINIMA = [
    [3.0, 2.0],
    [-2.8051180869527448531, 3.1313125182505729658],
    [-3.7793102533777468919, -3.2831859912861694123],
    [3.5844283403304917449, -1.8481265269644035535],
]
_HIMMELBLAU_MAXIMUM = [-0.27084459066734761304, -0.92303855647998146313]
_HIMMELBLAU_SADDLES = [
    [0.086677504555396351823, 2.8842547011747761131],
    [-3.0730257507643896105, -0.081353044287967511553],
    [3.385154183607020938, 0.073851879837749287719],
    [-0.12796134673068006631, -1.9537149802445764261],
]


class _Himmelblau(Objective):
    def __init__(self) -> None:
        super().__init__(
            "himmelblau",
            2,
            _HIMMELBLAU_MINIMA,
            _HIMMELBLAU_SADDLES,
            _HIMMELBLAU_MAXIMUM,
            min_value=0.0,
            bounds=((-5.0, 5.0), (-5.0, 5.0)),
        )

    def _value(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def _grad(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        u, v = x * x + y - 11.0, x + y * y - 7.0
        return np.stack([4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v], axis=-1)

    def _hess(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        u, v = x * x + y - 11.0, x + y * y - 7.0
        return _stack_hess(8.0 * x * x + 4.0 * u + 2.0, 4.0 * x + 4.0 * y, 2.0 + 8.0 * y * y + 4.0 * v)


def himmelblau() -> Objective:
    r"""Himmelblau's function :math:`f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`.

    Four global minimisers, all with :math:`f = 0`: :math:`(3, 2)`, :math:`(-2.805118, 3.131313)`,
    :math:`(-3.779310, -3.283186)` and :math:`(3.584428, -1.848127)`; one local maximum at
    :math:`(-0.270845, -0.923039)` and four saddle points. Which minimum an optimizer reaches
    depends on where it starts.
    """
    return _Himmelblau()
