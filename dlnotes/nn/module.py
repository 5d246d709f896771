r"""``Parameter`` and ``Module``: the skeleton of :mod:`dlnotes.nn`, modelled on ``torch.nn``.

The style is "layers with an explicit backward". A module's ``forward`` caches what its
backward pass needs. ``backward(grad_output)`` receives :math:`\partial\mathcal{L}/\partial y`
for the module's last output :math:`y`, returns :math:`\partial\mathcal{L}/\partial x` for its
last input :math:`x`, and **adds** (``+=``) the gradients of its parameters into their ``.grad``.
Accumulation is what makes a parameter used in two places, or a gradient summed over several
mini-batches, come out right; it is also why an optimizer loop calls ``zero_grad()`` before
every backward pass, exactly as in PyTorch.

Gradients have the shape of the variable they belong to (C2): ``weight.grad`` has the shape of
``weight``.

Book: chapter 04, "Backpropagation by hand" and "An MLP from scratch". Chapter 05's optimizers
read ``p.grad`` and update ``p.data`` in place for ``p`` in ``model.parameters()``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator

import numpy as np

from dlnotes._validation import as_float_array

__all__ = ["Parameter", "Module"]


class Parameter:
    r"""A trainable array: its value ``data`` and the accumulated gradient ``grad``.

    ``data`` is a float64 copy of the input; ``grad`` starts as zeros of the same shape.
    ``Module.backward`` adds into ``grad``; ``Module.zero_grad`` resets it; an optimizer updates
    ``data`` in place, e.g. ``p.data -= lr * p.grad``.

    Unlike ``torch.nn.Parameter`` this is not an array itself: use ``p.data`` for the values.

    Parameters
    ----------
    data:
        Finite real array (or anything ``numpy.asarray`` accepts), copied.

    Examples
    --------
    >>> p = Parameter([[1.0, 2.0]])
    >>> p.shape, p.grad
    ((1, 2), array([[0., 0.]]))
    """

    def __init__(self, data: Any) -> None:
        if isinstance(data, Parameter):
            data = data.data
        arr = as_float_array(data, "data", "Parameter")
        self.data: np.ndarray = np.array(arr, dtype=np.float64, copy=True)
        self.grad: np.ndarray = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``data``."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions of ``data``."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """Number of entries of ``data`` (``numel()`` in PyTorch)."""
        return self.data.size

    def zero_grad(self) -> None:
        """Set ``grad`` to zeros of ``data``'s shape."""
        self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        return f"Parameter containing:\n{self.data!r}"


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"Module.register_{what}: name must be a str, got {type(name).__name__}")
    if name == "" or "." in name:
        raise ValueError(f"Module.register_{what}: name must be non-empty and contain no '.', got {name!r}")
    return name


class Module:
    r"""Base class of every layer, container and loss of :mod:`dlnotes.nn`.

    Subclasses call ``super().__init__()`` first, then assign attributes: a :class:`Parameter`
    or a ``Module`` assigned to an attribute is *registered* (in assignment order, as in
    PyTorch), so :meth:`parameters`, :meth:`named_parameters`, :meth:`children`,
    :meth:`zero_grad`, :meth:`train`, :meth:`state_dict` and friends find it without further
    bookkeeping. Subclasses implement :meth:`forward` and, for the explicit backward pass,
    :meth:`backward`.

    Attributes
    ----------
    training:
        True in training mode (the default), False after :meth:`eval`. Layers whose behaviour
        differs between the two (dropout, batch normalisation; chapter 06) read it.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ---------------------------------------------------------------- attribute registration

    def _registries(self) -> tuple[OrderedDict, OrderedDict, OrderedDict]:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign parameters, buffers or sub-modules before "
                "Module.__init__() has run; call super().__init__() first in __init__"
            )
        return d["_parameters"], d["_buffers"], d["_modules"]

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            params, buffers, modules = self._registries()
            buffers.pop(name, None)
            modules.pop(name, None)
            self.__dict__.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params, buffers, modules = self._registries()
            params.pop(name, None)
            buffers.pop(name, None)
            self.__dict__.pop(name, None)
            modules[name] = value
        else:
            d = self.__dict__
            if name in d.get("_parameters", {}):
                if value is not None:
                    raise TypeError(
                        f"{type(self).__name__}: cannot assign {type(value).__name__} as parameter "
                        f"{name!r} (a Parameter or None expected); to change the values in place use "
                        f"module.{name}.data[...] = new_values"
                    )
                del d["_parameters"][name]
            elif name in d.get("_modules", {}):
                if value is not None:
                    raise TypeError(
                        f"{type(self).__name__}: cannot assign {type(value).__name__} as child module "
                        f"{name!r} (a Module or None expected)"
                    )
                del d["_modules"][name]
            elif name in d.get("_buffers", {}):
                if value is not None:
                    value = np.array(as_float_array(value, name, f"{type(self).__name__}"), copy=True)
                d["_buffers"][name] = value
                return
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails, i.e. for registered parameters/buffers/modules.
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            if reg in d and name in d[reg]:
                return d[reg][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            if reg in d and name in d[reg]:
                del d[reg][name]
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        d = self.__dict__
        extra = [*d.get("_parameters", {}), *d.get("_buffers", {}), *d.get("_modules", {})]
        return sorted(set(super().__dir__()) | set(extra))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (same as ``setattr``; ``None`` removes it)."""
        _check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: param must be a Parameter or None, "
                f"got {type(param).__name__}"
            )
        if param is None:
            self.__dict__["_parameters"].pop(name, None)
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, value: Any) -> None:
        """Register a non-trainable array (e.g. BatchNorm's running mean) under ``name``.

        Buffers are saved by :meth:`state_dict` and restored by :meth:`load_state_dict`, but are
        not returned by :meth:`parameters` and have no gradient.
        """
        _check_name(name, "buffer")
        _, buffers, _ = self._registries()
        if name in self.__dict__["_parameters"] or name in self.__dict__["_modules"]:
            raise ValueError(
                f"{type(self).__name__}.register_buffer: {name!r} is already a parameter or module"
            )
        self.__dict__.pop(name, None)
        buffers[name] = (
            None
            if value is None
            else np.array(as_float_array(value, "value", f"{type(self).__name__}.register_buffer"), copy=True)
        )

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child under ``name`` (same as ``setattr``)."""
        if not isinstance(name, str) or name == "" or "." in name:
            raise ValueError(
                f"{type(self).__name__}.add_module: name must be a non-empty str without '.', got {name!r}"
            )
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module: module must be a Module or None, got {type(module).__name__}"
            )
        if module is None:
            self.__dict__["_modules"].pop(name, None)
        else:
            setattr(self, name, module)

    # ---------------------------------------------------------------- traversal

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for this module and all descendants, pre-order, each once."""
        seen: set[int] = set()

        def walk(mod: Module, pre: str) -> Iterator[tuple[str, Module]]:
            if id(mod) in seen:
                return
            seen.add(id(mod))
            yield pre, mod
            for name, child in mod._modules.items():
                yield from walk(child, f"{pre}.{name}" if pre else name)

        yield from walk(self, prefix)

    def modules(self) -> Iterator[Module]:
        """Yield this module and all its descendants (pre-order, each once)."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, child)`` for the direct sub-modules, in registration order."""
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        """Yield the direct sub-modules, in registration order."""
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, parameter)`` pairs, named like PyTorch (``"0.weight"``, ``"bias"``).

        Order: this module's own parameters in registration order, then each child's,
        recursively (pre-order), which is PyTorch's order. A parameter shared by two modules is
        yielded once, under its first name.
        """
        seen: set[int] = set()
        mods = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mod_name, mod in mods:
            for name, p in mod._parameters.items():
                if id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse: bool = True) -> list[Parameter]:
        """All parameters, in definition order (see :meth:`named_parameters`), without duplicates.

        Returns a list (PyTorch returns a generator): it can be passed to an optimizer and
        iterated again.
        """
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(name, array)`` for every registered buffer, recursively."""
        for mod_name, mod in self.named_modules(prefix):
            for name, b in mod._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> list[np.ndarray]:
        """All buffers (see :meth:`named_buffers`)."""
        return [b for _, b in self.named_buffers()]

    def num_parameters(self) -> int:
        r"""Total number of trainable scalars, :math:`\sum_p` ``p.size``.

        For an MLP with widths :math:`D_0, \dots, D_K` this is :math:`\sum_k (D_k + 1) D_{k+1}`.
        """
        return int(sum(p.size for p in self.parameters()))

    # ---------------------------------------------------------------- modes and gradients

    def zero_grad(self) -> None:
        """Reset the ``grad`` of every parameter to zeros (PyTorch ≥ 2 sets them to None instead)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Set ``training = mode`` on this module and every descendant; return ``self``."""
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.train: mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode, ``train(False)``; return ``self``."""
        return self.train(False)

    # ---------------------------------------------------------------- state

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """An ordered dict ``name -> copy of the array`` of all parameters and buffers.

        Keys and order are PyTorch's: for each module (pre-order), its parameters, then its
        buffers. The arrays are copies, so later training does not change a saved state.
        """
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        seen: set[int] = set()
        for mod_name, mod in self.named_modules():
            for name, p in mod._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    out[f"{mod_name}.{name}" if mod_name else name] = p.data.copy()
            for name, b in mod._buffers.items():
                if b is not None:
                    out[f"{mod_name}.{name}" if mod_name else name] = b.copy()
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy the arrays of ``state_dict`` into this module's parameters and buffers, in place.

        Parameters
        ----------
        state_dict:
            A mapping ``name -> array`` as returned by :meth:`state_dict` (torch tensors are
            accepted too).
        strict:
            If True (default), the keys must match exactly: any missing or unexpected key raises
            ``KeyError`` listing them. If False, matching keys are loaded and the others reported.

        Returns
        -------
        tuple
            ``(missing_keys, unexpected_keys)``.

        Raises
        ------
        TypeError
            If ``state_dict`` is not a mapping.
        KeyError
            For missing or unexpected keys when ``strict``.
        ValueError
            If an array's shape differs from the parameter's (nothing is loaded then).
        """
        cls = type(self).__name__
        if not hasattr(state_dict, "items"):
            raise TypeError(
                f"{cls}.load_state_dict: state_dict must be a mapping name -> array, got {type(state_dict).__name__}"
            )
        targets: dict[str, tuple[Module, str, bool]] = {}
        seen: set[int] = set()
        for mod_name, mod in self.named_modules():
            for name, p in mod._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    targets[f"{mod_name}.{name}" if mod_name else name] = (mod, name, True)
            for name, b in mod._buffers.items():
                if b is not None:
                    targets[f"{mod_name}.{name}" if mod_name else name] = (mod, name, False)
        keys = list(state_dict.keys())
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in keys if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(
                f"{cls}.load_state_dict: keys do not match; missing keys: {missing}; unexpected keys: {unexpected}"
            )
        arrays: dict[str, np.ndarray] = {}
        for k, (mod, name, is_param) in targets.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            if hasattr(v, "detach"):  # a torch tensor
                v = v.detach().cpu().numpy()
            arr = as_float_array(v, f"state_dict[{k!r}]", f"{cls}.load_state_dict")
            cur = mod._parameters[name].data if is_param else mod._buffers[name]
            if arr.shape != cur.shape:
                raise ValueError(
                    f"{cls}.load_state_dict: state_dict[{k!r}] must have shape {cur.shape}, got {arr.shape}"
                )
            arrays[k] = arr
        for k, arr in arrays.items():  # all checks passed: now copy
            mod, name, is_param = targets[k]
            if is_param:
                mod._parameters[name].data[...] = arr
            else:
                mod._buffers[name][...] = arr
        return missing, unexpected

    # ---------------------------------------------------------------- computation

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the output and cache what :meth:`backward` needs. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, grad_output: Any) -> Any:
        r"""Given :math:`\partial\mathcal{L}/\partial y` for the last output :math:`y`, return
        :math:`\partial\mathcal{L}/\partial x` for the last input and add the parameter
        gradients into ``.grad``. Subclasses implement it."""
        raise NotImplementedError(
            f"{type(self).__name__}.backward is not implemented (a leaf module must define its own backward)"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ---------------------------------------------------------------- helpers for subclasses

    def _cached(self, attr: str) -> Any:
        """Return the cache ``attr`` set by forward, or raise the backward-before-forward error."""
        value = self.__dict__.get(attr)
        if value is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward: run the forward pass "
                "(module(x)) first; backward uses what the last forward call cached"
            )
        return value

    def _grad_output(self, grad_output: Any, shape: tuple[int, ...]) -> np.ndarray:
        """Validate ``grad_output`` against the shape of the last forward output."""
        func = f"{type(self).__name__}.backward"
        g = as_float_array(grad_output, "grad_output", func)
        if g.shape != shape:
            raise ValueError(
                f"{func}: grad_output must have the shape of the last forward output, {shape}, got {g.shape}"
            )
        return g

    # ---------------------------------------------------------------- printing

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (override in subclasses)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n" + "\n".join(lines) + "\n)"
