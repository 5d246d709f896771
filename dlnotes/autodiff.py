r"""Two tiny automatic-differentiation engines on scalars: reverse mode and forward mode.

Companion code of chapter 04, "Feedforward networks and backpropagation", section
"Automatic differentiation". Everything works on Python floats (float64); the module is
standalone (it imports only :mod:`math`, NumPy and :mod:`dlnotes._validation`).

* :class:`Value` is **reverse mode** (what backpropagation is). Every operation creates a node
  that remembers its parents and a small *local backward* closure: given the gradient of the
  final output with respect to the node (the upstream adjoint :math:`\bar v`), the closure
  returns :math:`\bar v\,\partial v/\partial p` for each parent :math:`p`, i.e. the node's
  vector-Jacobian product. :meth:`Value.backward` sorts the graph topologically (iteratively,
  so graphs of any depth work), seeds the output with 1 and visits the nodes from the output
  back to the inputs, **adding** (``+=``) each contribution into the parent's adjoint. A node
  used several times therefore receives the sum of the gradients along all its uses (the
  multivariate chain rule).
* :class:`Dual` is **forward mode**: a dual number :math:`v + \dot v\,\varepsilon` with
  :math:`\varepsilon^2 = 0` carries a primal value and a tangent, so one evaluation of
  :math:`f` on duals gives one Jacobian-vector product and needs no tape.

For :math:`f:\mathbb R^n\to\mathbb R^m` the full Jacobian costs ``n`` forward sweeps (one JVP per
input direction) or ``m`` reverse sweeps (one VJP per output); :func:`jacobian` returns the sweep
count next to the matrix. For a scalar loss (``m = 1``) one reverse sweep gives the whole
gradient, which is why training uses reverse mode.

Conventions (pinned in the book, see chapter 04 §3.0):

* Jacobians are in numerator layout, :math:`J_{ij} = \partial y_i/\partial x_j`, shape ``(m, n)``,
  as ``torch.func.jacrev`` / ``torch.func.jacfwd`` return them.
* At kinks the engines follow PyTorch autograd: ``relu'(0) = 0``, and :func:`maximum` with a tie
  ``a == b`` gives each argument half of the gradient (``torch.maximum``).
* Domain errors raise instead of producing NaN: ``log`` of a non-positive number raises
  ``ValueError``, ``0 ** p`` with ``p < 0`` and division by zero raise ``ZeroDivisionError``.

Book: chapter 04, "Automatic differentiation: reverse vs forward mode, and a tiny engine".
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Callable, Sequence

import numpy as np

from dlnotes._validation import as_float_array, check_choice

__all__ = [
    "Value",
    "Dual",
    "exp",
    "log",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "maximum",
    "derivative",
    "grad",
    "jvp",
    "vjp",
    "jacobian",
]


# --------------------------------------------------------------------------------------------
# scalar helpers shared by both engines (value and local derivative of each primitive)
# --------------------------------------------------------------------------------------------


def _is_real(x: Any) -> bool:
    """True for Python/NumPy real numbers, excluding bools (``True + Value(1)`` is a bug)."""
    return isinstance(x, Real) and not isinstance(x, (bool, np.bool_))


def _exp(x: float) -> float:
    """``e**x`` that returns ``inf`` on overflow (like NumPy and torch) instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _sigmoid(x: float) -> float:
    """Logistic function, stable for any ``x``: only ``exp`` of a non-positive number is taken."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _check_log(x: float, who: str) -> None:
    if not x > 0:
        raise ValueError(f"{who}: log is only defined for positive numbers, got {x!r}")


def _pow_value(x: float, p: float, who: str) -> float:
    """``x ** p`` for a real constant exponent, with clear errors instead of complex results."""
    if x == 0.0 and p < 0:
        raise ZeroDivisionError(f"{who}: 0.0 cannot be raised to the negative power {p!r}")
    if x < 0 and not float(p).is_integer():
        raise ValueError(
            f"{who}: a negative base ({x!r}) to a non-integer power ({p!r}) is not a real number"
        )
    try:
        return x**p
    except OverflowError:
        return math.copysign(math.inf, x) if float(p).is_integer() and int(p) % 2 else math.inf


def _pow_deriv(x: float, p: float) -> float:
    r""":math:`\frac{d}{dx} x^p = p\,x^{p-1}`, with the limits PyTorch uses at ``x = 0``."""
    if p == 0:
        return 0.0
    if x == 0.0 and p < 1:  # 0 < p < 1: infinite slope (torch returns inf as well)
        return math.inf
    try:
        return p * x ** (p - 1)
    except OverflowError:
        return math.inf


def _operand_error(op: str, left: Any, right: Any, allowed: str) -> TypeError:
    return TypeError(
        f"unsupported operand type(s) for {op}: {type(left).__name__} and {type(right).__name__} "
        f"({allowed})"
    )


# --------------------------------------------------------------------------------------------
# reverse mode
# --------------------------------------------------------------------------------------------


class Value:
    r"""A scalar node of a computational graph, for reverse-mode automatic differentiation.

    ``Value(data)`` creates a leaf (an input). Arithmetic on Values builds the graph: supported
    are ``+ - * / **`` (with another Value or a real number on either side; the exponent may be
    a real constant or a Value), unary ``-``, the comparisons ``< <= > >=`` (on ``data``; ``==``
    is identity, so Values can be kept in sets and dicts), and the methods :meth:`exp`,
    :meth:`log`, :meth:`tanh`, :meth:`sigmoid`, :meth:`relu`, :meth:`sin`, :meth:`cos`;
    :func:`maximum` combines two Values.

    After ``y.backward()``, ``v.grad`` holds :math:`\partial y/\partial v` for every node ``v``
    that ``y`` depends on (``0.0`` for nodes it does not depend on).

    Gradients **accumulate**: ``backward`` adds into ``.grad``. Calling ``y.backward()`` twice
    therefore doubles every gradient (as ``loss.backward(retain_graph=True)`` twice does for the
    leaves in PyTorch), and the gradients of two outputs that share inputs add up. Reset with
    ``y.zero_grad()`` (every node of ``y``'s graph) or by setting ``v.grad = 0.0``.

    Parameters
    ----------
    data:
        A real number (int, float or NumPy scalar; not a bool). Stored as a Python float.

    Attributes
    ----------
    data : float
        The value computed by the forward pass.
    grad : float
        The accumulated adjoint :math:`\partial(\text{output})/\partial(\text{this node})`.

    Examples
    --------
    >>> x = Value(3.0)
    >>> f = x * x + x          # x is used three times: the gradients add up
    >>> f.backward()
    >>> x.grad                 # d/dx (x^2 + x) = 2x + 1
    7.0
    """

    __slots__ = ("data", "grad", "_prev", "_backward", "_op")
    __array_ufunc__ = None  # make `np.float64(2) * Value(3)` call Value.__rmul__

    def __init__(self, data: float) -> None:
        if isinstance(data, (Value, Dual)):
            raise TypeError(f"Value: data must be a real number, got a {type(data).__name__} (use it directly)")
        if not _is_real(data):
            raise TypeError(f"Value: data must be a real number, got {type(data).__name__}")
        data = float(data)
        if math.isnan(data):
            raise ValueError("Value: data must not be NaN")
        self.data = data
        self.grad = 0.0
        self._prev: tuple[Value, ...] = ()
        self._backward: Callable[[float], tuple[float, ...]] | None = None
        self._op = ""

    @classmethod
    def _node(
        cls, data: float, parents: tuple[Value, ...], backward: Callable[[float], tuple[float, ...]], op: str
    ) -> Value:
        """Create an interior node. ``backward(g)`` returns one contribution per parent.

        The closure captures floats only (never ``out``), so graphs hold no reference cycles
        and are freed as soon as the output is.
        """
        out = cls.__new__(cls)
        out.data = data
        out.grad = 0.0
        out._prev = parents
        out._backward = backward
        out._op = op
        return out

    @staticmethod
    def _coerce(other: Any, op: str, left: Any, right: Any) -> Value:
        """``other`` as a Value (a real becomes a constant leaf); ``left``, ``right`` name the operands in errors."""
        if isinstance(other, Value):
            return other
        if _is_real(other):
            return Value(other)
        raise _operand_error(op, left, right, "a Value combines with another Value or a real number")

    # ---- arithmetic ------------------------------------------------------------------------

    def __add__(self, other: Any) -> Value:
        other = self._coerce(other, "+", self, other)
        return Value._node(self.data + other.data, (self, other), lambda g: (g, g), "+")

    def __radd__(self, other: Any) -> Value:
        return self._coerce(other, "+", other, self) + self

    def __mul__(self, other: Any) -> Value:
        other = self._coerce(other, "*", self, other)
        a, b = self.data, other.data
        return Value._node(a * b, (self, other), lambda g: (g * b, g * a), "*")

    def __rmul__(self, other: Any) -> Value:
        return self._coerce(other, "*", other, self) * self

    def __neg__(self) -> Value:
        return Value._node(-self.data, (self,), lambda g: (-g,), "neg")

    def __sub__(self, other: Any) -> Value:
        other = self._coerce(other, "-", self, other)
        return Value._node(self.data - other.data, (self, other), lambda g: (g, -g), "-")

    def __rsub__(self, other: Any) -> Value:
        return self._coerce(other, "-", other, self) - self

    def __truediv__(self, other: Any) -> Value:
        other = self._coerce(other, "/", self, other)
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"Value.__truediv__: division of {a!r} by zero")
        return Value._node(a / b, (self, other), lambda g: (g / b, -g * a / (b * b)), "/")

    def __rtruediv__(self, other: Any) -> Value:
        return self._coerce(other, "/", other, self) / self

    def __pow__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return _value_pow_value(self, other)
        if not _is_real(other):
            raise _operand_error("**", self, other, "the exponent must be a real number or a Value")
        p = float(other)
        x = self.data
        out = _pow_value(x, p, "Value.__pow__")
        return Value._node(out, (self,), lambda g: (g * _pow_deriv(x, p),), f"**{p:g}")

    def __rpow__(self, other: Any) -> Value:
        return self._coerce(other, "**", other, self) ** self

    # ---- comparisons (on data; == stays identity so nodes are hashable) ------------------

    def __lt__(self, other: Any) -> bool:
        return self.data < _data(other, "<", self)

    def __le__(self, other: Any) -> bool:
        return self.data <= _data(other, "<=", self)

    def __gt__(self, other: Any) -> bool:
        return self.data > _data(other, ">", self)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _data(other, ">=", self)

    __hash__ = object.__hash__

    # ---- elementary functions ------------------------------------------------------------

    def exp(self) -> Value:
        r""":math:`e^x`, with derivative :math:`e^x` (``inf`` on overflow, no exception)."""
        e = _exp(self.data)
        return Value._node(e, (self,), lambda g: (g * e,), "exp")

    def log(self) -> Value:
        r"""Natural log, derivative :math:`1/x`. Raises ``ValueError`` for ``x <= 0``."""
        x = self.data
        _check_log(x, "Value.log")
        return Value._node(math.log(x), (self,), lambda g: (g / x,), "log")

    def tanh(self) -> Value:
        r""":math:`\tanh x`, with derivative :math:`1 - \tanh^2 x`."""
        t = math.tanh(self.data)
        return Value._node(t, (self,), lambda g: (g * (1.0 - t * t),), "tanh")

    def sigmoid(self) -> Value:
        r"""Logistic :math:`\sigma(x) = 1/(1+e^{-x})` (stable for any x), derivative :math:`\sigma(1-\sigma)`."""
        s = _sigmoid(self.data)
        return Value._node(s, (self,), lambda g: (g * s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        r""":math:`\max(0, x)`, with derivative :math:`\mathbb 1[x > 0]` (so ``relu'(0) = 0``, as in PyTorch)."""
        x = self.data
        return Value._node(x if x > 0 else 0.0, (self,), lambda g: (g if x > 0 else 0.0,), "relu")

    def sin(self) -> Value:
        r""":math:`\sin x`, with derivative :math:`\cos x`."""
        x = self.data
        return Value._node(math.sin(x), (self,), lambda g: (g * math.cos(x),), "sin")

    def cos(self) -> Value:
        r""":math:`\cos x`, with derivative :math:`-\sin x`."""
        x = self.data
        return Value._node(math.cos(x), (self,), lambda g: (-g * math.sin(x),), "cos")

    # ---- backward ------------------------------------------------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The nodes this one was computed from (empty for a leaf), in operand order."""
        return self._prev

    def local_backward(self, upstream: float) -> tuple[float, ...]:
        r"""One step of the chain rule: the contributions :math:`\bar u\,\partial u/\partial p` to each parent.

        ``upstream`` is this node's adjoint :math:`\bar u`; the result has one entry per
        element of :attr:`parents`. A leaf returns ``()``. This is the building block a reverse
        sweep (:meth:`backward`) applies to every node, from the output back to the leaves.
        """
        if self._backward is None:
            return ()
        return tuple(float(c) for c in self._backward(float(upstream)))

    def backward(self, gradient: float = 1.0) -> None:
        r"""Reverse sweep: add :math:`\text{gradient}\cdot\partial\,\text{self}/\partial v` into ``v.grad`` for every node ``v``.

        The nodes are put in topological order by an iterative depth-first search (no recursion,
        so a chain of :math:`10^5` operations is fine), the output's adjoint is seeded with
        ``gradient`` (1 by default, giving plain derivatives), and the nodes are visited from the
        output back to the leaves; each one passes its adjoint through its local backward
        closure and the results are **added** to its parents' adjoints. Each node's adjoint is
        complete before it is used, because all of its consumers come earlier in that order.

        Adjoints of this sweep are computed separately and then added to ``.grad``, so calling
        ``backward`` twice adds exactly the same gradients twice (every ``.grad`` doubles).
        """
        if not _is_real(gradient):
            raise TypeError(f"Value.backward: gradient must be a real number, got {type(gradient).__name__}")
        for node, adj in _backprop([self], [float(gradient)]):
            node.grad += adj

    def zero_grad(self) -> None:
        """Set ``grad = 0.0`` on this node and on every node it depends on (its whole graph)."""
        for node in _topological_order([self]):
            node.grad = 0.0

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"


def _data(other: Any, op: str, left: Any) -> float:
    if isinstance(other, (Value, Dual)) and type(other) is type(left):
        return other.data if isinstance(other, Value) else other.val
    if _is_real(other):
        return float(other)
    raise _operand_error(op, left, other, f"compare a {type(left).__name__} with the same type or a real number")


def _value_pow_value(a: Value, b: Value) -> Value:
    r""":math:`a^b` for two Values; needs :math:`a > 0` because :math:`\partial a^b/\partial b = a^b\log a`."""
    x, p = a.data, b.data
    if not x > 0:
        raise ValueError(
            f"Value.__pow__: a Value exponent needs a positive base (d/db a**b = a**b log a), got base {x!r}"
        )
    out = _pow_value(x, p, "Value.__pow__")
    lx = math.log(x)
    return Value._node(out, (a, b), lambda g: (g * _pow_deriv(x, p), g * out * lx), "**")


def _topological_order(roots: Sequence[Value]) -> list[Value]:
    """Nodes reachable from ``roots``, each after all of its parents (iterative DFS post-order)."""
    order: list[Value] = []
    visited: set[int] = set()
    stack: list[tuple[Value, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:  # all parents are already in `order`
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._prev:
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


def _backprop(roots: Sequence[Value], seeds: Sequence[float]) -> list[tuple[Value, float]]:
    """One reverse sweep from several outputs at once; returns ``(node, adjoint)`` pairs.

    Does not touch ``.grad``: the caller decides where the adjoints go. Seeding several outputs
    with ``u_i`` gives the vector-Jacobian product :math:`u^\\top J` in a single sweep.
    """
    adjoint: dict[int, float] = {}
    for r, s in zip(roots, seeds):
        adjoint[id(r)] = adjoint.get(id(r), 0.0) + s
    out = []
    for node in reversed(_topological_order(roots)):
        g = adjoint.pop(id(node), 0.0)
        out.append((node, g))
        if node._backward is not None:
            for parent, contribution in zip(node._prev, node._backward(g)):
                adjoint[id(parent)] = adjoint.get(id(parent), 0.0) + contribution
    return out


# --------------------------------------------------------------------------------------------
# forward mode
# --------------------------------------------------------------------------------------------


class Dual:
    r"""A dual number :math:`v + \dot v\,\varepsilon` (:math:`\varepsilon^2 = 0`), for forward-mode differentiation.

    Evaluating :math:`f` on ``Dual(x, 1.0)`` returns ``Dual(f(x), f'(x))``: each primitive maps
    :math:`(v, \dot v)` to :math:`(g(v), g'(v)\,\dot v)`, which is the chain rule applied from the
    inputs forward. With several inputs, seeding the tangents with a direction :math:`u` gives the
    Jacobian-vector product :math:`J u` in one evaluation and without storing a graph.

    Supported: ``+ - * / **`` with another Dual or a real number on either side (the exponent may
    be a real constant or a Dual), unary ``-``, comparisons ``< <= > >=`` on the primal value
    (``==`` is identity), and the methods :meth:`exp`, :meth:`log`, :meth:`sin`, :meth:`cos`,
    :meth:`tanh`, :meth:`sigmoid`, :meth:`relu` (``relu'(0) = 0``).

    Parameters
    ----------
    val:
        Primal value, a real number.
    dot:
        Tangent (derivative) part, a real number; 0 by default (a constant).

    Examples
    --------
    >>> y = Dual(1.3, 1.0) * sin(Dual(1.3, 1.0) ** 2)
    >>> round(y.dot, 7)        # d/dx [x sin(x^2)] = sin(x^2) + 2 x^2 cos(x^2)
    0.5909487
    """

    __slots__ = ("val", "dot")
    __array_ufunc__ = None

    def __init__(self, val: float, dot: float = 0.0) -> None:
        for name, v in (("val", val), ("dot", dot)):
            if not _is_real(v):
                raise TypeError(f"Dual: {name} must be a real number, got {type(v).__name__}")
        self.val = float(val)
        self.dot = float(dot)

    @staticmethod
    def _coerce(other: Any, op: str, left: Any, right: Any) -> Dual:
        """``other`` as a Dual (a real becomes a constant); ``left``/``right`` only name the operands in errors."""
        if isinstance(other, Dual):
            return other
        if _is_real(other):
            return Dual(other, 0.0)
        raise _operand_error(op, left, right, "a Dual combines with another Dual or a real number")

    def __add__(self, other: Any) -> Dual:
        o = self._coerce(other, "+", self, other)
        return Dual(self.val + o.val, self.dot + o.dot)

    def __radd__(self, other: Any) -> Dual:
        return self._coerce(other, "+", other, self) + self

    def __mul__(self, other: Any) -> Dual:
        o = self._coerce(other, "*", self, other)
        return Dual(self.val * o.val, self.dot * o.val + self.val * o.dot)

    def __rmul__(self, other: Any) -> Dual:
        return self._coerce(other, "*", other, self) * self

    def __neg__(self) -> Dual:
        return Dual(-self.val, -self.dot)

    def __sub__(self, other: Any) -> Dual:
        o = self._coerce(other, "-", self, other)
        return Dual(self.val - o.val, self.dot - o.dot)

    def __rsub__(self, other: Any) -> Dual:
        return self._coerce(other, "-", other, self) - self

    def __truediv__(self, other: Any) -> Dual:
        o = self._coerce(other, "/", self, other)
        if o.val == 0.0:
            raise ZeroDivisionError(f"Dual.__truediv__: division of {self.val!r} by zero")
        return Dual(self.val / o.val, (self.dot * o.val - self.val * o.dot) / (o.val * o.val))

    def __rtruediv__(self, other: Any) -> Dual:
        return self._coerce(other, "/", other, self) / self

    def __pow__(self, other: Any) -> Dual:
        if isinstance(other, Dual):
            x, p = self.val, other.val
            if not x > 0:
                raise ValueError(
                    f"Dual.__pow__: a Dual exponent needs a positive base (d/db a**b = a**b log a), got base {x!r}"
                )
            out = _pow_value(x, p, "Dual.__pow__")
            return Dual(out, _pow_deriv(x, p) * self.dot + out * math.log(x) * other.dot)
        if not _is_real(other):
            raise _operand_error("**", self, other, "the exponent must be a real number or a Dual")
        p = float(other)
        out = _pow_value(self.val, p, "Dual.__pow__")
        return Dual(out, _pow_deriv(self.val, p) * self.dot if self.dot else 0.0)

    def __rpow__(self, other: Any) -> Dual:
        return self._coerce(other, "**", other, self) ** self

    def __lt__(self, other: Any) -> bool:
        return self.val < _data(other, "<", self)

    def __le__(self, other: Any) -> bool:
        return self.val <= _data(other, "<=", self)

    def __gt__(self, other: Any) -> bool:
        return self.val > _data(other, ">", self)

    def __ge__(self, other: Any) -> bool:
        return self.val >= _data(other, ">=", self)

    __hash__ = object.__hash__

    def exp(self) -> Dual:
        e = _exp(self.val)
        return Dual(e, e * self.dot)

    def log(self) -> Dual:
        _check_log(self.val, "Dual.log")
        return Dual(math.log(self.val), self.dot / self.val)

    def sin(self) -> Dual:
        return Dual(math.sin(self.val), math.cos(self.val) * self.dot)

    def cos(self) -> Dual:
        return Dual(math.cos(self.val), -math.sin(self.val) * self.dot)

    def tanh(self) -> Dual:
        t = math.tanh(self.val)
        return Dual(t, (1.0 - t * t) * self.dot)

    def sigmoid(self) -> Dual:
        s = _sigmoid(self.val)
        return Dual(s, s * (1.0 - s) * self.dot)

    def relu(self) -> Dual:
        return Dual(self.val, self.dot) if self.val > 0 else Dual(0.0, 0.0)

    def __repr__(self) -> str:
        return f"Dual(val={self.val!r}, dot={self.dot!r})"


# --------------------------------------------------------------------------------------------
# module-level functions: accept a float, a Dual or a Value
# --------------------------------------------------------------------------------------------


def _unary(name: str, x: Any, on_float: Callable[[float], float]) -> Any:
    if isinstance(x, (Value, Dual)):
        return getattr(x, name)()
    if _is_real(x):
        return on_float(float(x))
    raise TypeError(f"{name}: x must be a real number, a Dual or a Value, got {type(x).__name__}")


def _float_log(x: float) -> float:
    _check_log(x, "log")
    return math.log(x)


def exp(x: Any) -> Any:
    r""":math:`e^x` for a float (returns a float), a :class:`Dual` or a :class:`Value`."""
    return _unary("exp", x, _exp)


def log(x: Any) -> Any:
    r"""Natural logarithm of a float, :class:`Dual` or :class:`Value`; ``ValueError`` for ``x <= 0``."""
    return _unary("log", x, _float_log)


def sin(x: Any) -> Any:
    r""":math:`\sin x` for a float, a :class:`Dual` or a :class:`Value`."""
    return _unary("sin", x, math.sin)


def cos(x: Any) -> Any:
    r""":math:`\cos x` for a float, a :class:`Dual` or a :class:`Value`."""
    return _unary("cos", x, math.cos)


def tanh(x: Any) -> Any:
    r""":math:`\tanh x` for a float, a :class:`Dual` or a :class:`Value`."""
    return _unary("tanh", x, math.tanh)


def sigmoid(x: Any) -> Any:
    r"""Logistic :math:`\sigma(x) = 1/(1 + e^{-x})`, stable, for a float, :class:`Dual` or :class:`Value`."""
    return _unary("sigmoid", x, _sigmoid)


def relu(x: Any) -> Any:
    r""":math:`\max(0, x)` for a float, :class:`Dual` or :class:`Value`; derivative 0 at ``x = 0``."""
    return _unary("relu", x, lambda v: v if v > 0 else 0.0)


def maximum(a: Any, b: Any) -> Any:
    r"""Elementwise :math:`\max(a, b)`, differentiable in both arguments, ties split half–half.

    The gradient goes to the larger argument; at a tie ``a == b`` each argument receives half of
    it, exactly as ``torch.maximum`` does (so ``maximum(x, x)`` has derivative 1 in ``x``). In
    forward mode a tie gives the tangent :math:`(\dot a + \dot b)/2`, as ``torch.func.jvp``.

    Parameters
    ----------
    a, b:
        Real numbers, :class:`Value` s or :class:`Dual` s; Values and Duals cannot be mixed.

    Returns
    -------
    Value, Dual or float
        A Value if either argument is a Value, a Dual if either is a Dual, else a float.
    """
    if isinstance(a, Value) or isinstance(b, Value):
        a = Value._coerce(a, "maximum", a, b)
        b = Value._coerce(b, "maximum", a, b)
        x, y = a.data, b.data
        wa = 1.0 if x > y else (0.5 if x == y else 0.0)
        return Value._node(max(x, y), (a, b), lambda g: (g * wa, g * (1.0 - wa)), "max")
    if isinstance(a, Dual) or isinstance(b, Dual):
        a = Dual._coerce(a, "maximum", a, b)
        b = Dual._coerce(b, "maximum", a, b)
        wa = 1.0 if a.val > b.val else (0.5 if a.val == b.val else 0.0)
        return Dual(max(a.val, b.val), wa * a.dot + (1.0 - wa) * b.dot)
    if _is_real(a) and _is_real(b):
        return float(max(a, b))
    bad = a if not _is_real(a) else b
    raise TypeError(f"maximum: a and b must be real numbers, Values or Duals, got {type(bad).__name__}")


# --------------------------------------------------------------------------------------------
# derivatives, gradients, JVPs, VJPs and Jacobians
# --------------------------------------------------------------------------------------------


def _check_callable(f: Any, func: str) -> None:
    if not callable(f):
        raise TypeError(f"{func}: f must be callable, got {type(f).__name__}")


def _real_arg(x: Any, name: str, func: str) -> float:
    if not _is_real(x):
        raise TypeError(f"{func}: {name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{func}: {name} must be finite, got {x}")
    return x


def derivative(f: Callable[[Any], Any], x: float) -> float:
    r"""The derivative :math:`f'(x)` of a scalar function, by one forward-mode sweep.

    ``f`` is called once, on ``Dual(x, 1.0)``, so it must be written with operators and the
    functions of this module (``sin``, ``exp``, ...), not with :mod:`math` or NumPy.

    Parameters
    ----------
    f:
        Function of one real number returning one real number (a :class:`Dual` when called on
        a Dual, or a real constant).
    x:
        The point, a finite real number.

    Returns
    -------
    float
    """
    func = "derivative"
    _check_callable(f, func)
    x = _real_arg(x, "x", func)
    out = f(Dual(x, 1.0))
    if isinstance(out, Dual):
        return out.dot
    if _is_real(out):
        return 0.0
    raise TypeError(f"{func}: f must return a real number (a Dual on Dual input), got {type(out).__name__}")


def grad(f: Callable[..., Any]) -> Callable[..., tuple[float, ...]]:
    r"""Turn a scalar function of ``n`` numbers into the function returning its gradient (reverse mode).

    ``grad(f)(x1, ..., xn)`` wraps each argument in a :class:`Value` leaf, evaluates ``f`` once
    (building the graph) and runs one reverse sweep, returning
    :math:`(\partial f/\partial x_1, \dots, \partial f/\partial x_n)` as a tuple of floats,
    like ``torch.func.grad(f, argnums=tuple(range(n)))``.

    Parameters
    ----------
    f:
        ``f(*xs)`` must return one :class:`Value` (or a real constant, whose gradient is 0).

    Returns
    -------
    callable
        ``(*xs: float) -> tuple[float, ...]``.
    """
    _check_callable(f, "grad")

    def grad_f(*xs: float) -> tuple[float, ...]:
        func = "grad(f)"
        if not xs:
            raise ValueError(f"{func}: needs at least one argument")
        leaves = [Value(_real_arg(x, f"xs[{i}]", func)) for i, x in enumerate(xs)]
        out = f(*leaves)
        if _is_real(out):
            return tuple(0.0 for _ in leaves)
        if not isinstance(out, Value):
            raise TypeError(f"{func}: f must return a Value (a scalar), got {type(out).__name__}")
        adjoints = {id(node): g for node, g in _backprop([out], [1.0])}
        return tuple(adjoints.get(id(leaf), 0.0) for leaf in leaves)

    grad_f.__doc__ = f"Gradient of {getattr(f, '__name__', 'f')} by one reverse sweep."
    return grad_f


def _point(x: Any, func: str, name: str = "x") -> np.ndarray:
    if _is_real(x):
        raise ValueError(f"{func}: {name} must be a 1-D sequence of n >= 1 numbers, got a scalar (wrap it: [x])")
    arr = as_float_array(x, name, func, ndim=1)
    if arr.size == 0:
        raise ValueError(f"{func}: {name} must contain at least one number, got an empty sequence")
    return arr


def _direction(v: Any, n: int, name: str, func: str, what: str) -> np.ndarray:
    arr = _point(v, func, name)
    if arr.shape != (n,):
        raise ValueError(f"{func}: {name} must have shape ({n},) ({what}), got shape {arr.shape}")
    return arr


def _outputs(result: Any, kind: type, func: str) -> list[Any]:
    """Normalise what ``f`` returned to a list of outputs (a lone scalar counts as ``m = 1``)."""
    items = [result] if isinstance(result, kind) or _is_real(result) else result
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple, np.ndarray)):
        raise TypeError(
            f"{func}: f must return a list of scalars ({kind.__name__}s or real numbers), got {type(result).__name__}"
        )
    items = list(items)
    if not items:
        raise ValueError(f"{func}: f must return at least one output, got an empty sequence")
    for i, y in enumerate(items):
        if not (isinstance(y, kind) or _is_real(y)):
            raise TypeError(
                f"{func}: output {i} of f must be a {kind.__name__} or a real number, got {type(y).__name__}"
            )
    return items


def _forward_sweep(f: Callable, x: np.ndarray, v: np.ndarray, func: str) -> tuple[np.ndarray, np.ndarray]:
    outs = _outputs(f([Dual(xi, vi) for xi, vi in zip(x.tolist(), v.tolist())]), Dual, func)
    val = np.array([y.val if isinstance(y, Dual) else float(y) for y in outs])
    tan = np.array([y.dot if isinstance(y, Dual) else 0.0 for y in outs])
    return val, tan


def _reverse_graph(f: Callable, x: np.ndarray, func: str) -> tuple[list[Value], list[Any]]:
    leaves = [Value(xi) for xi in x.tolist()]
    return leaves, _outputs(f(leaves), Value, func)


def _reverse_sweep(leaves: list[Value], outs: list[Any], u: np.ndarray) -> np.ndarray:
    roots = [(y, ui) for y, ui in zip(outs, u.tolist()) if isinstance(y, Value)]
    adjoints = {id(node): g for node, g in _backprop([r for r, _ in roots], [s for _, s in roots])}
    return np.array([adjoints.get(id(leaf), 0.0) for leaf in leaves])


def _values(outs: list[Any]) -> np.ndarray:
    return np.array([y.data if isinstance(y, Value) else float(y) for y in outs])


def jvp(f: Callable[[list], Any], x: Sequence[float], v: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    r"""Jacobian-vector product :math:`J(x)\,v` of :math:`f:\mathbb R^n\to\mathbb R^m`, by **one** forward sweep.

    ``f`` is called once on the list ``[Dual(x_j, v_j)]``; the tangents of its outputs are
    :math:`Jv`. Like ``torch.func.jvp(f, (x,), (v,))``, returns the primal output too.

    Parameters
    ----------
    f:
        Function of a list of ``n`` scalars returning a list of ``m`` scalars (a lone scalar is
        taken as ``m = 1``).
    x, v:
        Sequences of ``n`` finite reals: the point and the input direction.

    Returns
    -------
    (numpy.ndarray of shape (m,), numpy.ndarray of shape (m,))
        :math:`f(x)` and :math:`J(x)\,v`.
    """
    func = "jvp"
    _check_callable(f, func)
    x = _point(x, func)
    v = _direction(v, x.size, "v", func, "one tangent per input")
    return _forward_sweep(f, x, v, func)


def vjp(f: Callable[[list], Any], x: Sequence[float], u: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    r"""Vector-Jacobian product :math:`u^\top J(x)` of :math:`f:\mathbb R^n\to\mathbb R^m`, by **one** reverse sweep.

    ``f`` is evaluated once on :class:`Value` leaves (recording the graph); one reverse sweep
    seeded with :math:`u_i` at output :math:`i` returns :math:`u^\top J`. Equals
    ``torch.func.vjp(f, x)[1](u)``; unlike torch, the product is returned directly.

    Parameters
    ----------
    f:
        Function of a list of ``n`` scalars returning a list of ``m`` scalars.
    x:
        Sequence of ``n`` finite reals, the point.
    u:
        Sequence of ``m`` finite reals, one cotangent per output.

    Returns
    -------
    (numpy.ndarray of shape (m,), numpy.ndarray of shape (n,))
        :math:`f(x)` and :math:`u^\top J(x)`.
    """
    func = "vjp"
    _check_callable(f, func)
    x = _point(x, func)
    leaves, outs = _reverse_graph(f, x, func)
    u = _direction(u, len(outs), "u", func, "one cotangent per output of f")
    return _values(outs), _reverse_sweep(leaves, outs, u)


def jacobian(f: Callable[[list], Any], x: Sequence[float], mode: str = "forward") -> tuple[np.ndarray, int]:
    r"""Full Jacobian :math:`J_{ij} = \partial f_i/\partial x_j` of :math:`f:\mathbb R^n\to\mathbb R^m`, and the sweeps it took.

    * ``mode="forward"``: ``n`` forward sweeps, sweep ``j`` seeded with the unit vector
      :math:`e_j`, gives column ``j`` (``torch.func.jacfwd``).
    * ``mode="reverse"``: one evaluation records the graph, then ``m`` reverse sweeps, sweep ``i``
      seeded at output ``i``, give row ``i`` (``torch.func.jacrev``).

    So a function with few inputs favours forward mode and one with few outputs (a loss)
    favours reverse mode.

    Parameters
    ----------
    f:
        Function of a list of ``n`` scalars returning a list of ``m`` scalars.
    x:
        Sequence of ``n`` finite reals.
    mode:
        ``"forward"`` or ``"reverse"``.

    Returns
    -------
    (numpy.ndarray of shape (m, n), int)
        The Jacobian (numerator layout) and the number of sweeps: ``n`` in forward mode, ``m``
        in reverse mode.
    """
    func = "jacobian"
    _check_callable(f, func)
    check_choice(mode, "mode", func, ("forward", "reverse"))
    x = _point(x, func)
    n = x.size
    if mode == "forward":
        cols = []
        for j in range(n):
            _, col = _forward_sweep(f, x, np.eye(n)[j], func)
            if cols and col.shape != cols[0].shape:
                raise ValueError(f"{func}: f returned {cols[0].size} outputs on one call and {col.size} on another")
            cols.append(col)
        return np.stack(cols, axis=1), n
    leaves, outs = _reverse_graph(f, x, func)
    m = len(outs)
    rows = [_reverse_sweep(leaves, outs, np.eye(m)[i]) for i in range(m)]
    return np.stack(rows, axis=0), m
