r"""Layers with an explicit backward pass: ``Linear``, activations, ``Flatten``, ``Sequential``, ``MLP``.

Each layer's ``forward`` caches its input; ``backward(grad_output)`` returns the gradient with
respect to that input and **adds** parameter gradients into ``.grad`` (see
:mod:`dlnotes.nn.module`). Names, arguments, defaults, parameter shapes and the naming of
parameters (``"0.weight"``) are PyTorch's, so :func:`to_torch` / :func:`from_torch` convert a
model in either direction and PyTorch serves as the test oracle.

Conventions (chapter 04, §3.0): a batch is a ``(batch, features)`` array, one example per row;
``Linear`` computes :math:`Y = XW^\top + b` with ``weight`` of shape ``(out_features,
in_features)`` (C1); derivatives at kinks are PyTorch's (C3).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from numbers import Integral
from typing import Any, Callable, Iterator

import numpy as np

from dlnotes._validation import as_float_array, as_int, as_real, as_rng
from dlnotes.nn import functional as F
from dlnotes.nn import init
from dlnotes.nn.module import Module, Parameter

__all__ = [
    "Linear",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "Sigmoid",
    "Tanh",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Softplus",
    "Identity",
    "Flatten",
    "Sequential",
    "MLP",
    "to_torch",
    "from_torch",
]


# --------------------------------------------------------------------------------------------
# Linear
# --------------------------------------------------------------------------------------------


class Linear(Module):
    r"""Fully connected layer, :math:`Y = X W^\top + b`, as ``torch.nn.Linear``.

    Shapes (C1): input ``X`` is ``(batch, in_features)``, ``weight`` is ``(out_features,
    in_features)``, ``bias`` is ``(out_features,)``, output ``(batch, out_features)``.

    Backward, with :math:`\delta = \partial\mathcal L/\partial Y` of shape ``(batch, out)``:

    .. math::

        \frac{\partial\mathcal L}{\partial W} \mathrel{+}= \delta^\top X, \qquad
        \frac{\partial\mathcal L}{\partial b} \mathrel{+}= \sum_{n} \delta_{n,:}, \qquad
        \frac{\partial\mathcal L}{\partial X} = \delta W .

    For one example (a column :math:`x`) the first is the outer product :math:`\delta x^\top`,
    the shape of :math:`W`; the batch sums these outer products. Any :math:`1/N` of a mean loss
    is already inside :math:`\delta` (the loss's backward includes it).

    Default initialisation: PyTorch's, :math:`U(-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}})` for
    both weight and bias (variance :math:`1/(3\,\text{in})`); re-initialise with
    :mod:`dlnotes.nn.init` (e.g. ``init.kaiming_normal_(layer.weight, nonlinearity="relu")``).

    Parameters
    ----------
    in_features, out_features:
        Positive ints.
    bias:
        If False the layer has no bias (``self.bias is None``).
    rng:
        ``numpy.random.Generator``, int seed or None, for the initial values (weight first,
        then bias).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng: Any = None) -> None:
        super().__init__()
        self.in_features = as_int(in_features, "in_features", "Linear", minimum=1)
        self.out_features = as_int(out_features, "out_features", "Linear", minimum=1)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"Linear: bias must be a bool, got {type(bias).__name__}")
        gen = as_rng(rng, "Linear")
        self.weight = Parameter(np.zeros((self.out_features, self.in_features)))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=gen)  # = U(±1/sqrt(in_features))
        if bias:
            bound = 1.0 / math.sqrt(self.in_features)
            self.bias = Parameter(np.zeros(self.out_features))
            init.uniform_(self.bias, -bound, bound, rng=gen)
        else:
            self.bias = None
        self._input: np.ndarray | None = None

    def forward(self, input: Any) -> np.ndarray:
        """Return ``input @ weight.T + bias`` for ``input`` of shape ``(batch, in_features)``."""
        func = "Linear.forward"
        X = as_float_array(input, "input", func)
        if X.ndim != 2 or X.shape[1] != self.in_features:
            raise ValueError(
                f"{func}: input must have shape (batch, in_features) = (batch, {self.in_features}), got {X.shape}"
            )
        self._input = X.copy()
        out = X @ self.weight.data.T
        if self.bias is not None:
            out = out + self.bias.data
        return out

    def backward(self, grad_output: Any) -> np.ndarray:
        """Add ``grad_output.T @ X`` to ``weight.grad`` and ``grad_output.sum(0)`` to ``bias.grad``.

        Returns ``grad_output @ weight``, the gradient with respect to the last input ``X``.
        """
        X = self._cached("_input")
        g = self._grad_output(grad_output, (X.shape[0], self.out_features))
        self.weight.grad += g.T @ X
        if self.bias is not None:
            self.bias.grad += g.sum(axis=0)
        return g @ self.weight.data

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


# --------------------------------------------------------------------------------------------
# elementwise activations
# --------------------------------------------------------------------------------------------


class _Activation(Module):
    """An elementwise activation: output ``f(x)``, backward ``grad_output * f'(x)``."""

    def __init__(self) -> None:
        super().__init__()
        self._input: np.ndarray | None = None

    def _f(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _df(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, input: Any) -> np.ndarray:
        x = as_float_array(input, "input", f"{type(self).__name__}.forward")
        self._input = x.copy()
        return self._f(x)

    def backward(self, grad_output: Any) -> np.ndarray:
        x = self._cached("_input")
        g = self._grad_output(grad_output, x.shape)
        return g * self._df(x)


class ReLU(_Activation):
    r"""Elementwise :math:`\max(0, x)`, for inputs of any shape.

    Derivative :math:`\mathbb 1[x > 0]`, i.e. 0 at :math:`x = 0` (PyTorch's convention, C3).
    """

    def _f(self, x):
        return F.relu(x)

    def _df(self, x):
        return F.relu_grad(x)


class LeakyReLU(_Activation):
    r"""Elementwise :math:`x` for :math:`x > 0` and ``negative_slope`` :math:`\cdot x` otherwise.

    The derivative at 0 is ``negative_slope`` (PyTorch, C3).

    Parameters
    ----------
    negative_slope:
        Real number (default 0.01, as PyTorch).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = as_real(negative_slope, "negative_slope", "LeakyReLU")

    def _f(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def _df(self, x):
        return F.leaky_relu_grad(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    r"""Leaky ReLU with a learnable slope, as ``torch.nn.PReLU``: :math:`x` for :math:`x > 0`, :math:`a x` otherwise.

    ``weight`` has shape ``(num_parameters,)``: one slope shared by all inputs, or one per
    channel (axis 1 of the input). Backward accumulates
    :math:`\partial\mathcal L/\partial a = \sum_{x \le 0} g\,x` into ``weight.grad``.

    Parameters
    ----------
    num_parameters:
        1 or the number of channels.
    init:
        Initial slope (default 0.25, as PyTorch).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.num_parameters = as_int(num_parameters, "num_parameters", "PReLU", minimum=1)
        value = as_real(init, "init", "PReLU")
        self.weight = Parameter(np.full(self.num_parameters, value))
        self._input: np.ndarray | None = None

    def forward(self, input: Any) -> np.ndarray:
        x = as_float_array(input, "input", "PReLU.forward")
        out = F.prelu(x, self.weight.data)
        self._input = x.copy()
        return out

    def backward(self, grad_output: Any) -> np.ndarray:
        x = self._cached("_input")
        g = self._grad_output(grad_output, x.shape)
        dx, dalpha = F.prelu_grad(x, self.weight.data, g)
        self.weight.grad += dalpha
        return dx

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Sigmoid(_Activation):
    r"""Elementwise logistic :math:`\sigma(x) = 1/(1 + e^{-x})`, with range the open interval :math:`(0, 1)`.

    Derivative :math:`\sigma(1 - \sigma) \le 1/4`.
    """

    def _f(self, x):
        return np.asarray(F.sigmoid(x), dtype=np.float64)

    def _df(self, x):
        return F.sigmoid_grad(x)


class Tanh(_Activation):
    r"""Elementwise :math:`\tanh x = 2\sigma(2x) - 1`, range :math:`(-1, 1)`; derivative :math:`1 - \tanh^2 x`."""

    def _f(self, x):
        return F.tanh(x)

    def _df(self, x):
        return F.tanh_grad(x)


class ELU(_Activation):
    r"""Elementwise ELU: :math:`x` for :math:`x > 0` and :math:`\alpha(e^x - 1)` otherwise.

    Derivative :math:`\alpha e^x` for :math:`x \le 0`, so :math:`\alpha` at 0 (PyTorch, C3).

    Parameters
    ----------
    alpha:
        Real number (default 1.0).
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = as_real(alpha, "alpha", "ELU")

    def _f(self, x):
        return F.elu(x, self.alpha)

    def _df(self, x):
        return F.elu_grad(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(_Activation):
    r"""Elementwise SELU, :math:`\lambda\,\operatorname{elu}_\alpha(x)` with :math:`\lambda \approx 1.0507`, :math:`\alpha \approx 1.6733`.

    Derivative :math:`\lambda\alpha \approx 1.7581` at 0 (PyTorch, C3).
    """

    def _f(self, x):
        return F.selu(x)

    def _df(self, x):
        return F.selu_grad(x)


class GELU(_Activation):
    r"""Elementwise GELU, :math:`x\Phi(x)` (``approximate="none"``, default) or its tanh approximation.

    Parameters
    ----------
    approximate:
        ``"none"`` or ``"tanh"``, as ``torch.nn.GELU``.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be one of ('none', 'tanh'), got {approximate!r}")
        self.approximate = approximate

    def _f(self, x):
        return F.gelu(x, self.approximate)

    def _df(self, x):
        return F.gelu_grad(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Activation):
    r"""Elementwise SiLU, :math:`x\sigma(x)` (Swish with :math:`\beta = 1`).

    Derivative :math:`\sigma(x)(1 + x(1 - \sigma(x)))`.
    """

    def _f(self, x):
        return F.silu(x)

    def _df(self, x):
        return F.silu_grad(x)


class Softplus(_Activation):
    r"""Elementwise softplus :math:`\frac1\beta\log(1 + e^{\beta x})`, with PyTorch's linear cut-off.

    Returns :math:`x` itself where :math:`\beta x >` ``threshold``, as PyTorch does.

    Parameters
    ----------
    beta:
        Non-zero real number (default 1).
    threshold:
        Linear cut-off (default 20); see :func:`dlnotes.nn.functional.softplus`.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = as_real(beta, "beta", "Softplus")
        if self.beta == 0:
            raise ValueError("Softplus: beta must be non-zero, got 0.0")
        self.threshold = F._softplus_args(self.beta, threshold, "Softplus")[1]

    def _f(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def _df(self, x):
        return F.softplus_grad(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Identity(Module):
    """Returns its input unchanged (as a float64 array); backward passes the gradient through."""

    def __init__(self) -> None:
        super().__init__()
        self._shape: tuple[int, ...] | None = None

    def forward(self, input: Any) -> np.ndarray:
        x = as_float_array(input, "input", "Identity.forward")
        self._shape = x.shape
        return x.copy()

    def backward(self, grad_output: Any) -> np.ndarray:
        shape = self._cached("_shape")
        return self._grad_output(grad_output, shape).copy()


class Flatten(Module):
    """Flatten the dimensions ``start_dim..end_dim`` into one, as ``torch.nn.Flatten``.

    The default keeps the batch axis: ``(N, C, H, W) -> (N, C*H*W)``. Backward reshapes the
    gradient back to the input's shape.

    Parameters
    ----------
    start_dim, end_dim:
        Ints (negative values count from the end), ``start_dim <= end_dim`` after normalisation.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        if isinstance(start_dim, bool) or not isinstance(start_dim, Integral):
            raise TypeError(f"Flatten: start_dim must be an int, got {type(start_dim).__name__}")
        if isinstance(end_dim, bool) or not isinstance(end_dim, Integral):
            raise TypeError(f"Flatten: end_dim must be an int, got {type(end_dim).__name__}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)
        self._shape: tuple[int, ...] | None = None

    def forward(self, input: Any) -> np.ndarray:
        func = "Flatten.forward"
        x = as_float_array(input, "input", func)
        nd = max(x.ndim, 1)
        s, e = self.start_dim, self.end_dim
        if not (-nd <= s < nd) or not (-nd <= e < nd):
            raise ValueError(
                f"{func}: start_dim={s} and end_dim={e} must be in [-{nd}, {nd}) for an input of shape {x.shape}"
            )
        s, e = s % nd, e % nd
        if s > e:
            raise ValueError(
                f"{func}: start_dim must not come after end_dim, got {self.start_dim} and {self.end_dim}"
            )
        self._shape = x.shape
        if x.ndim == 0:
            return x.reshape(1)
        new_shape = x.shape[:s] + (int(np.prod(x.shape[s : e + 1], dtype=np.int64)),) + x.shape[e + 1 :]
        return x.reshape(new_shape).copy()

    def backward(self, grad_output: Any) -> np.ndarray:
        shape = self._cached("_shape")
        g = as_float_array(grad_output, "grad_output", "Flatten.backward")
        if g.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(
                f"Flatten.backward: grad_output must have as many entries as the last input of shape {shape}, "
                f"got shape {g.shape}"
            )
        return g.reshape(shape).copy()

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


# --------------------------------------------------------------------------------------------
# containers
# --------------------------------------------------------------------------------------------


class Sequential(Module):
    """A chain of modules: forward in order, backward in reverse order, as ``torch.nn.Sequential``.

    Children are named ``"0"``, ``"1"``, ... (or by the keys of a single ``OrderedDict``
    argument), so parameters are named ``"0.weight"``, ``"0.bias"``, ``"2.weight"``... exactly as
    in PyTorch. Supports ``len``, iteration, integer indexing and slicing (a slice is a new
    ``Sequential`` sharing the same modules), and :meth:`append`.

    ``backward(grad_output)`` calls each child's ``backward`` from last to first: the chain rule
    for a composition, :math:`\\partial\\mathcal L/\\partial x = J_1^\\top \\cdots J_L^\\top\\,
    \\partial\\mathcal L/\\partial y`, evaluated right to left without ever forming a Jacobian.
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for name, m in modules[0].items():
                if not isinstance(m, Module):
                    raise TypeError(
                        f"Sequential: value for key {name!r} must be a Module, got {type(m).__name__}"
                    )
                self.add_module(str(name), m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    hint = (
                        " (did you pass the class instead of an instance, e.g. ReLU instead of ReLU()?)"
                        if isinstance(m, type)
                        else ""
                    )
                    raise TypeError(
                        f"Sequential: argument {i} must be a Module, got {type(m).__name__}{hint}"
                    )
                self.add_module(str(i), m)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; return ``self``."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: module must be a Module, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Any:
        mods = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(mods[idx]))
        if isinstance(idx, bool) or not isinstance(idx, Integral):
            raise TypeError(f"Sequential: index must be an int or a slice, got {type(idx).__name__}")
        n = len(mods)
        if not -n <= idx < n:
            raise IndexError(f"Sequential: index {idx} is out of range for {n} modules")
        return mods[idx % n][1]

    def forward(self, input: Any) -> Any:
        """Apply the children in order."""
        for m in self._modules.values():
            input = m(input)
        return input

    def backward(self, grad_output: Any) -> Any:
        """Apply the children's ``backward`` in reverse order; return the gradient w.r.t. the input."""
        for m in reversed(list(self._modules.values())):
            grad_output = m.backward(grad_output)
        return grad_output


_ACTIVATION_LAYERS: dict[str, Callable[[], Module]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "gelu_tanh": lambda: GELU("tanh"),
    "silu": SiLU,
    "softplus": Softplus,
    "prelu": PReLU,
    "identity": Identity,
    "linear": Identity,
}


def _make_activation(spec: Any, name: str) -> Module:
    if isinstance(spec, str):
        key = spec.lower()
        if key not in _ACTIVATION_LAYERS:
            raise ValueError(
                f"MLP: {name} must be one of {sorted(_ACTIVATION_LAYERS)}, a Module class or a factory, got {spec!r}"
            )
        return _ACTIVATION_LAYERS[key]()
    if isinstance(spec, Module):
        raise TypeError(
            f"MLP: {name} must be a name or a factory (a class or zero-argument callable), not a Module "
            "instance: one instance would be shared by all layers"
        )
    if callable(spec):
        m = spec()
        if not isinstance(m, Module):
            raise TypeError(f"MLP: {name}() must return a Module, got {type(m).__name__}")
        return m
    raise TypeError(
        f"MLP: {name} must be a str, a Module class or a zero-argument callable, got {type(spec).__name__}"
    )


class MLP(Sequential):
    r"""Multilayer perceptron ``Linear, act, Linear, act, ..., Linear[, out_act]`` as a :class:`Sequential`.

    ``sizes = [D_0, D_1, ..., D_K]`` gives :math:`K` ``Linear`` layers (:math:`K - 1` hidden
    layers, C9), children numbered as in ``torch.nn.Sequential``, and
    :math:`\sum_k (D_k + 1) D_{k+1}` parameters (43 for ``[3, 4, 2, 3, 2]``).

    Parameters
    ----------
    sizes:
        Sequence of at least two positive ints: input width, hidden widths, output width.
    activation:
        Hidden activation: a name (``"relu"``, ``"tanh"``, ``"leaky_relu"``, ``"sigmoid"``,
        ``"elu"``, ``"selu"``, ``"gelu"``, ``"gelu_tanh"``, ``"silu"``, ``"softplus"``,
        ``"prelu"``, ``"identity"``), a Module class, or a zero-argument factory
        (``lambda: LeakyReLU(0.2)``).
    out_activation:
        Same choices for an activation after the last layer, or None (default: the output is the
        last ``Linear``'s, e.g. logits for :class:`~dlnotes.nn.CrossEntropyLoss`).
    rng:
        ``numpy.random.Generator``, int seed or None; the layers draw from it in order.
    """

    def __init__(
        self, sizes: Any, activation: Any = "relu", out_activation: Any = None, rng: Any = None
    ) -> None:
        try:
            dims = list(sizes)
        except TypeError:
            raise TypeError(f"MLP: sizes must be a sequence of ints, got {type(sizes).__name__}") from None
        if len(dims) < 2:
            raise ValueError(f"MLP: sizes must have at least 2 entries (input and output width), got {dims}")
        dims = [as_int(d, f"sizes[{i}]", "MLP", minimum=1) for i, d in enumerate(dims)]
        gen = as_rng(rng, "MLP")
        layers: list[Module] = []
        for k in range(len(dims) - 1):
            layers.append(Linear(dims[k], dims[k + 1], rng=gen))
            if k < len(dims) - 2:
                layers.append(_make_activation(activation, "activation"))
        if out_activation is not None:
            layers.append(_make_activation(out_activation, "out_activation"))
        super().__init__(*layers)
        self.sizes = tuple(dims)


# --------------------------------------------------------------------------------------------
# conversion to and from PyTorch
# --------------------------------------------------------------------------------------------


def to_torch(module: Module) -> Any:
    """An equivalent float64 ``torch.nn`` module with copies of the parameters.

    ``Sequential`` (and ``MLP``) become ``torch.nn.Sequential`` with the same child names;
    ``Linear``, ``PReLU``, every activation layer, ``Dropout``, ``BatchNorm1d`` (with its running
    statistics), ``LayerNorm``, ``Conv2d``, ``MaxPool2d`` and ``AvgPool2d`` map to their ``torch.nn`` namesakes. The training/eval mode is
    copied too. (Dropout masks come from different random streams, so only eval-mode outputs, or
    statistics, can agree.)

    Raises
    ------
    TypeError
        For a module without a PyTorch counterpart here (the message names its class).
    """
    import torch

    if isinstance(module, Sequential):
        seq = torch.nn.Sequential(
            OrderedDict((name, to_torch(child)) for name, child in module.named_children())
        )
        seq.training = module.training  # the children carry their own modes
        return seq
    nn = torch.nn
    normalization = _normalization_to_torch(module)
    if normalization is not None:
        return normalization.train(module.training)
    if isinstance(module, Linear):
        t = nn.Linear(
            module.in_features, module.out_features, bias=module.bias is not None, dtype=torch.float64
        )
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(module.weight.data.copy()))
            if module.bias is not None:
                t.bias.copy_(torch.from_numpy(module.bias.data.copy()))
        return t
    if isinstance(module, PReLU):
        t = nn.PReLU(module.num_parameters, dtype=torch.float64)
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(module.weight.data.copy()))
        return t
    simple = {
        ReLU: lambda m: nn.ReLU(),
        Sigmoid: lambda m: nn.Sigmoid(),
        Tanh: lambda m: nn.Tanh(),
        SELU: lambda m: nn.SELU(),
        SiLU: lambda m: nn.SiLU(),
        Identity: lambda m: nn.Identity(),
        LeakyReLU: lambda m: nn.LeakyReLU(m.negative_slope),
        ELU: lambda m: nn.ELU(m.alpha),
        GELU: lambda m: nn.GELU(approximate=m.approximate),
        Softplus: lambda m: nn.Softplus(beta=m.beta, threshold=m.threshold),
        Flatten: lambda m: nn.Flatten(m.start_dim, m.end_dim),
    }
    make = simple.get(type(module))
    if make is None:
        raise TypeError(
            "to_torch: module must be a dlnotes.nn layer or Sequential with a torch counterpart, "
            f"got {type(module).__name__}"
        )
    return make(module)


def _copy_into(param: Any, array: np.ndarray) -> None:
    import torch

    with torch.no_grad():
        param.copy_(torch.from_numpy(np.array(array, dtype=np.float64)))


def _normalization_to_torch(module: Module) -> Any:
    """torch counterparts of the chapter-06 layers (None for any other module)."""
    import torch

    from dlnotes.nn.normalization import BatchNorm1d, Dropout, LayerNorm

    nn = torch.nn
    if isinstance(module, Dropout):
        return nn.Dropout(module.p)
    if isinstance(module, BatchNorm1d):
        t = nn.BatchNorm1d(module.num_features, eps=module.eps, momentum=module.momentum, affine=module.affine,
                           track_running_stats=module.track_running_stats, dtype=torch.float64)
        if module.affine:
            _copy_into(t.weight, module.weight.data)
            _copy_into(t.bias, module.bias.data)
        if module.track_running_stats:
            _copy_into(t.running_mean, module.running_mean)
            _copy_into(t.running_var, module.running_var)
            t.num_batches_tracked.fill_(int(module.num_batches_tracked))
        return t
    from dlnotes.nn.conv import AvgPool2d, Conv2d, MaxPool2d

    if isinstance(module, Conv2d):
        t = nn.Conv2d(module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding,
                      module.dilation, module.groups, bias=module.bias is not None, dtype=torch.float64)
        _copy_into(t.weight, module.weight.data)
        if module.bias is not None:
            _copy_into(t.bias, module.bias.data)
        return t
    if isinstance(module, MaxPool2d):
        return nn.MaxPool2d(module.kernel_size, module.stride, module.padding)
    if isinstance(module, AvgPool2d):
        return nn.AvgPool2d(module.kernel_size, module.stride, module.padding, count_include_pad=module.count_include_pad)
    if isinstance(module, LayerNorm):
        has_bias = module.elementwise_affine and module.bias is not None
        t = nn.LayerNorm(module.normalized_shape, eps=module.eps, elementwise_affine=module.elementwise_affine,
                         bias=has_bias, dtype=torch.float64)
        if module.elementwise_affine:
            _copy_into(t.weight, module.weight.data)
            if has_bias:
                _copy_into(t.bias, module.bias.data)
        return t
    return None


def _normalization_from_torch(m: Any) -> Module | None:
    import torch

    from dlnotes.nn.normalization import BatchNorm1d, Dropout, LayerNorm

    nn = torch.nn

    def arr(t: Any) -> np.ndarray:
        return t.detach().to(torch.float64).cpu().numpy().copy()

    if type(m) is nn.Dropout:
        return Dropout(m.p)
    if type(m) is nn.BatchNorm1d:
        out = BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine,
                          track_running_stats=m.track_running_stats)
        if m.affine:
            out.weight.data[...] = arr(m.weight)
            out.bias.data[...] = arr(m.bias)
        if m.track_running_stats:
            out.running_mean[...] = arr(m.running_mean)
            out.running_var[...] = arr(m.running_var)
            out.num_batches_tracked[...] = int(m.num_batches_tracked)
        return out
    from dlnotes.nn.conv import AvgPool2d, Conv2d, MaxPool2d

    if type(m) is nn.Conv2d:
        if m.padding_mode != "zeros":
            raise TypeError(f"from_torch: Conv2d with padding_mode={m.padding_mode!r} has no dlnotes equivalent (only 'zeros')")
        out = Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                     bias=m.bias is not None, rng=0)
        out.weight.data[...] = arr(m.weight)
        if m.bias is not None:
            out.bias.data[...] = arr(m.bias)
        return out
    if type(m) is nn.MaxPool2d:
        if m.dilation not in (1, (1, 1)) or m.ceil_mode or m.return_indices:
            raise TypeError("from_torch: MaxPool2d with dilation, ceil_mode or return_indices has no dlnotes equivalent")
        return MaxPool2d(m.kernel_size, m.stride, m.padding)
    if type(m) is nn.AvgPool2d:
        if m.ceil_mode or m.divisor_override is not None:
            raise TypeError("from_torch: AvgPool2d with ceil_mode or divisor_override has no dlnotes equivalent")
        return AvgPool2d(m.kernel_size, m.stride, m.padding, count_include_pad=m.count_include_pad)
    if type(m) is nn.LayerNorm:
        has_bias = m.elementwise_affine and m.bias is not None
        out = LayerNorm(tuple(m.normalized_shape), eps=m.eps, elementwise_affine=m.elementwise_affine, bias=has_bias)
        if m.elementwise_affine:
            out.weight.data[...] = arr(m.weight)
            if has_bias:
                out.bias.data[...] = arr(m.bias)
        return out
    return None


def from_torch(torch_module: Any) -> Module:
    """The :mod:`dlnotes.nn` equivalent of a ``torch.nn`` module, with float64 copies of its parameters.

    Supports ``torch.nn.Sequential`` (child names kept), ``Linear``, ``PReLU``, ``ReLU``,
    ``LeakyReLU``, ``Sigmoid``, ``Tanh``, ``ELU``, ``SELU``, ``GELU``, ``SiLU``, ``Softplus``,
    ``Identity``, ``Flatten``, ``Dropout``, ``BatchNorm1d`` (with running statistics),
    ``LayerNorm``, ``Conv2d`` (zero padding), ``MaxPool2d`` and ``AvgPool2d``. The training/eval mode is copied.

    Raises
    ------
    TypeError
        For anything else (the message names the class).
    """
    import torch

    nn = torch.nn
    m = torch_module
    if not isinstance(m, nn.Module):
        raise TypeError(f"from_torch: torch_module must be a torch.nn.Module, got {type(m).__name__}")

    def arr(t: Any) -> np.ndarray:
        return t.detach().to(torch.float64).cpu().numpy().copy()

    if isinstance(m, nn.Sequential):
        seq = Sequential(OrderedDict((name, from_torch(child)) for name, child in m.named_children()))
        object.__setattr__(seq, "training", bool(m.training))  # the children carry their own modes
        return seq
    normalization = _normalization_from_torch(m)
    if normalization is not None:
        return normalization.train(m.training)
    if isinstance(m, nn.Linear):
        out = Linear(m.in_features, m.out_features, bias=m.bias is not None, rng=0)
        out.weight.data[...] = arr(m.weight)
        if m.bias is not None:
            out.bias.data[...] = arr(m.bias)
        return out
    if isinstance(m, nn.PReLU):
        out = PReLU(m.num_parameters)
        out.weight.data[...] = arr(m.weight)
        return out
    simple = {
        nn.ReLU: lambda t: ReLU(),
        nn.Sigmoid: lambda t: Sigmoid(),
        nn.Tanh: lambda t: Tanh(),
        nn.SELU: lambda t: SELU(),
        nn.SiLU: lambda t: SiLU(),
        nn.Identity: lambda t: Identity(),
        nn.LeakyReLU: lambda t: LeakyReLU(t.negative_slope),
        nn.ELU: lambda t: ELU(t.alpha),
        nn.GELU: lambda t: GELU(t.approximate),
        nn.Softplus: lambda t: Softplus(t.beta, t.threshold),
        nn.Flatten: lambda t: Flatten(t.start_dim, t.end_dim),
    }
    make = simple.get(type(m))
    if make is None:
        raise TypeError(f"from_torch: no dlnotes.nn equivalent for torch.nn.{type(m).__name__}")
    return make(m)
