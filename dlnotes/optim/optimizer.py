r"""The optimizer base class: parameter groups, per-parameter state, ``zero_grad``, ``step``.

The interface is ``torch.optim.Optimizer``'s, so that what a reader learns here transfers to
PyTorch and PyTorch can serve as the test oracle:

* ``param_groups`` is a list of dicts. Each holds ``"params"`` (a list of
  :class:`~dlnotes.nn.Parameter`) and the hyperparameters of that group (``"lr"``,
  ``"momentum"``, ...). A learning-rate scheduler changes ``group["lr"]`` between steps, and
  the next :meth:`Optimizer.step` uses the new value.
* ``state`` maps each :class:`~dlnotes.nn.Parameter` to a dict of buffers (``"step"``,
  ``"exp_avg"``, ``"momentum_buffer"``, ...). The key names are PyTorch's, so a
  ``torch.optim`` state dict can be loaded into the matching ``dlnotes`` optimizer.
* :meth:`Optimizer.step` reads ``p.grad`` and updates ``p.data`` **in place** for every
  parameter of every group. Like PyTorch, it skips a parameter whose ``grad`` is ``None``
  (and one whose ``requires_grad`` attribute is False). An all-zero gradient is *not* skipped:
  it is a gradient like any other, and it still decays the moment estimates and advances the
  step count, exactly as in PyTorch.
* :meth:`Optimizer.state_dict` / :meth:`Optimizer.load_state_dict` make deep copies. Saving
  after ``k`` steps, loading into a fresh optimizer and continuing gives the same iterates as
  an uninterrupted run.

Book: chapter 05, "Optimization" (sections 5.5-5.8 for the update rules).
"""

from __future__ import annotations

import copy
from numbers import Real
from typing import Any, Callable, Iterable

import numpy as np

from dlnotes._validation import as_real
from dlnotes.nn.module import Parameter

__all__ = ["Optimizer", "EmptyParameterListError"]

# State entries that are numbers, not arrays of the parameter's shape.
_SCALAR_STATE = frozenset({"step", "mu_product"})


class EmptyParameterListError(ValueError, TypeError):
    """Raised when an optimizer (or one of its parameter groups) receives no parameters.

    It derives from both ``ValueError`` (what ``torch.optim`` raises: "optimizer got an empty
    parameter list") and ``TypeError`` (what the rest of the argument checks of ``params``
    raise), so ``except ValueError`` and ``except TypeError`` both catch it, as with NumPy's
    ``AxisError(ValueError, IndexError)``.
    """


def _describe(x: Any) -> str:
    """The type of ``x`` for error messages: ``int``, ``numpy.ndarray``, ``torch.Tensor``."""
    module = type(x).__module__.split(".")[0]
    return type(x).__name__ if module == "builtins" else f"{module}.{type(x).__name__}"


def _check_param_iterable(params: Any, where: str) -> list:
    """Turn ``params`` into a list, refusing things that are iterable only by accident."""
    if isinstance(params, Parameter):
        raise TypeError(
            f"{where}: params must be an iterable of Parameters (or of dicts), got a single Parameter; "
            "wrap it in a list: [p]"
        )
    if isinstance(params, (np.ndarray, str, bytes)) or hasattr(params, "detach"):
        raise TypeError(
            f"{where}: params must be an iterable of dlnotes.nn.Parameter (e.g. model.parameters()), "
            f"got {_describe(params)}; wrap arrays as Parameter(array)"
        )
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            f"{where}: params must be an ordered iterable (list, tuple, generator), got a {type(params).__name__}; "
            "the order of the parameters must be the same between runs for state_dict to work"
        )
    if isinstance(params, dict):
        raise TypeError(
            f"{where}: params must be an iterable of Parameters or a list of parameter-group dicts, got a single "
            "dict; wrap it in a list: [{'params': ..., 'lr': ...}]"
        )
    try:
        return list(params)
    except TypeError:
        raise TypeError(
            f"{where}: params must be an iterable of Parameters (e.g. model.parameters()), got {_describe(params)}"
        ) from None


def _check_bool(h: dict, key: str, func: str) -> None:
    v = h[key]
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{func}: {key} must be a bool, got {type(v).__name__}")
    h[key] = bool(v)


def _check_nonneg(h: dict, key: str, func: str) -> None:
    h[key] = as_real(h[key], key, func, nonnegative=True)


def _check_betas(h: dict, func: str) -> None:
    betas = h["betas"]
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise TypeError(f"{func}: betas must be a pair (beta1, beta2) of floats in [0, 1), got {betas!r}")
    out = []
    for i, b in enumerate(betas):
        b = as_real(b, f"betas[{i}]", func)
        if not 0.0 <= b < 1.0:
            raise ValueError(f"{func}: betas[{i}] must be in [0, 1), got {b}")
        out.append(b)
    h["betas"] = tuple(out)


def _lerp_(a: np.ndarray, b: np.ndarray, w: float, tmp: np.ndarray) -> None:
    """``a <- a + w (b - a)`` in place, with PyTorch's ``lerp_`` formula (``tmp``: scratch)."""
    np.subtract(b, a, out=tmp)
    if abs(w) < 0.5:
        tmp *= w
        a += tmp
    else:
        tmp *= 1 - w
        np.subtract(b, tmp, out=a)


class Optimizer:
    r"""Base class of the optimizers of :mod:`dlnotes.optim` (the interface of ``torch.optim.Optimizer``).

    Parameters
    ----------
    params:
        An iterable of :class:`~dlnotes.nn.Parameter` (for example ``model.parameters()``), or a
        list of dicts, one per *parameter group*: ``{"params": [...], "lr": 0.1, ...}``. Keys a
        group leaves out take their value from ``defaults``.
    defaults:
        The default hyperparameters of the subclass, e.g. ``{"lr": 0.01, "momentum": 0}``.

    Subclasses implement ``_update(p, grad, state, group)`` (one parameter, one step; it must
    update ``p.data`` in place) and ``_check_hyper(h)`` (validates and normalises a dict of
    hyperparameters; called for the defaults and for every group added).

    Attributes
    ----------
    defaults:
        The dict of default hyperparameters.
    param_groups:
        List of dicts; each has ``"params"`` (a list of Parameters) and every hyperparameter.
    state:
        Dict ``Parameter -> dict`` of per-parameter buffers, created on the first step.

    Raises
    ------
    TypeError
        If ``params`` is not an iterable of Parameters or of dicts (a single Parameter, a
        NumPy array, a torch tensor, a set, ...).
    EmptyParameterListError
        (a ``ValueError`` and a ``TypeError``) if there are no parameters.
    ValueError
        If a parameter appears twice, or a hyperparameter is invalid.
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if not isinstance(defaults, dict):
            raise TypeError(f"{name}: defaults must be a dict, got {type(defaults).__name__}")
        self.defaults: dict[str, Any] = dict(defaults)
        self.state: dict[Parameter, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        self._work: list[np.ndarray] = []  # scratch buffers shared by all parameters (never saved)
        groups = _check_param_iterable(params, name)
        if len(groups) == 0:
            raise EmptyParameterListError(
                f"{name}: params is empty; the optimizer needs at least one Parameter "
                "(does the model have parameters? a generator such as model.parameters() can only be used once)"
            )
        if all(isinstance(g, dict) for g in groups):
            pass
        elif any(isinstance(g, dict) for g in groups):
            raise TypeError(f"{name}: params must be all Parameters or all parameter-group dicts, not a mixture")
        else:
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    # ------------------------------------------------------------------ hooks for subclasses

    def _check_hyper(self, h: dict[str, Any]) -> None:
        """Validate (and normalise in place) a dict of hyperparameters. Subclasses extend it."""

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group (a dict with ``"params"`` and optional hyperparameters).

        Useful to start training new layers with their own learning rate, as with
        ``torch.optim.Optimizer.add_param_group``. Missing hyperparameters take the optimizer's
        defaults; the group is validated like the constructor's arguments.
        """
        name = f"{type(self).__name__}.add_param_group"
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: param_group must be a dict with a 'params' entry, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}: param_group must have a 'params' entry, got keys {sorted(param_group)}")
        params = param_group["params"]
        params = [params] if isinstance(params, Parameter) else _check_param_iterable(params, name)
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                array_like = isinstance(p, np.ndarray) or hasattr(p, "detach")
                hint = " (wrap arrays as dlnotes.nn.Parameter(array))" if array_like else ""
                raise TypeError(
                    f"{type(self).__name__}: params must contain only dlnotes.nn.Parameter objects, "
                    f"got {_describe(p)} at position {i}{hint}"
                )
        if len(params) == 0:
            raise EmptyParameterListError(f"{type(self).__name__}: a parameter group has an empty 'params' list")
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{type(self).__name__}: a parameter group contains the same Parameter twice")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing.intersection(ids):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        group: dict[str, Any] = {"params": params}
        for k, v in param_group.items():
            if k != "params":
                group[k] = v
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self._check_hyper(group)
        self.param_groups.append(group)

    # ------------------------------------------------------------------ gradients and steps

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Set the gradient of every parameter to zero, in place (``p.grad[...] = 0``).

        The default keeps the chapter 04 convention (layers *add* into ``p.grad``, so it must
        be an array). ``set_to_none=True`` sets ``p.grad = None`` instead, which is PyTorch's
        default; :meth:`step` then skips those parameters until a gradient is assigned.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is None or not isinstance(p.grad, np.ndarray) or p.grad.shape != p.data.shape:
                    p.grad = np.zeros_like(p.data)
                else:
                    p.grad[...] = 0.0

    def _grad(self, p: Parameter) -> np.ndarray | None:
        g = p.grad
        if g is None or not getattr(p, "requires_grad", True):
            return None
        if not isinstance(g, np.ndarray) or g.dtype != np.float64:
            g = np.asarray(g, dtype=np.float64)
        if g.shape != p.data.shape:
            raise ValueError(
                f"{type(self).__name__}.step: a parameter's grad must have the shape of its data, "
                f"{p.data.shape}, got {g.shape}"
            )
        return g

    def _buffer(self, p: Parameter, slot: int) -> np.ndarray:
        """Scratch array of ``p``'s shape (slot ``slot``), shared between parameters and steps."""
        n = p.data.size
        while len(self._work) <= slot:
            self._work.append(np.empty(0))
        if self._work[slot].size < n:
            self._work[slot] = np.empty(n)
        return self._work[slot][:n].reshape(p.data.shape)

    def _grad_with_decay(self, p: Parameter, g: np.ndarray, group: dict[str, Any], weight_decay: float) -> np.ndarray:
        r"""Return :math:`\pm g + \lambda\theta` (PyTorch's order: negate for ``maximize``, then
        add the coupled L2 term), without modifying ``p.grad``."""
        maximize = group.get("maximize", False)
        if not maximize and weight_decay == 0:
            return g
        out = self._buffer(p, 0)
        if weight_decay != 0:
            np.multiply(p.data, weight_decay, out=out)
            if maximize:
                np.subtract(out, g, out=out)
            else:
                out += g
        else:
            np.negative(g, out=out)
        return out

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter of every group in place from its ``grad``; return ``closure()``.

        Parameters
        ----------
        closure:
            Optional callable that re-evaluates the model (and fills the gradients) and returns
            the loss. It is called once, *before* the update, as in PyTorch.
        """
        loss = None
        if closure is not None:
            if not callable(closure):
                raise TypeError(
                    f"{type(self).__name__}.step: closure must be callable or None, got {type(closure).__name__}"
                )
            loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                g = self._grad(p)
                if g is None:
                    continue
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                self._update(p, g, state, group)
        return loss

    # ------------------------------------------------------------------ saving and loading

    def state_dict(self) -> dict[str, Any]:
        """A deep copy of the optimizer's state, in PyTorch's layout.

        Returns ``{"state": {index: {name: value}}, "param_groups": [{..., "params": [index,
        ...]}]}`` where parameters are numbered 0, 1, 2, ... in the order of the groups. Arrays
        are copies, so further training does not change a saved state dict.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in index:
                state[index[id(p)]] = {
                    k: v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v) for k, v in s.items()
                }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict` (deep-copied; torch tensors are accepted).

        The optimizer keeps its own parameters; the saved groups must have the same sizes.
        Hyperparameters (``lr``, ``betas``, ...) are taken from ``state_dict``, as in PyTorch.
        A ``torch.optim`` state dict of the corresponding optimizer loads too: the state keys
        are the same.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise TypeError(
                f"{name}: state_dict must be a dict with keys 'state' and 'param_groups', as returned by state_dict()"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: state_dict has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        id_map: dict[Any, Parameter] = {}
        for i, (sg, g) in enumerate(zip(saved_groups, self.param_groups)):
            if len(sg["params"]) != len(g["params"]):
                raise ValueError(
                    f"{name}: parameter group {i} has {len(sg['params'])} parameters in state_dict and "
                    f"{len(g['params'])} in the optimizer"
                )
            for k, p in zip(sg["params"], g["params"]):
                id_map[k] = p
        new_state: dict[Parameter, dict[str, Any]] = {}
        for k, s in state_dict["state"].items():
            if k not in id_map:
                continue
            p = id_map[k]
            new_state[p] = {key: self._load_value(key, v, p, name) for key, v in s.items()}
        new_groups = []
        for sg, g in zip(saved_groups, self.param_groups):
            ng: dict[str, Any] = {"params": g["params"]}
            for k, v in sg.items():
                if k != "params":
                    ng[k] = self._load_value(k, v, None, name)
            for k, v in self.defaults.items():
                ng.setdefault(k, v)
            self._check_hyper(ng)
            new_groups.append(ng)
        self.state = new_state
        self.param_groups = new_groups

    @staticmethod
    def _load_value(key: str, v: Any, p: Parameter | None, where: str) -> Any:
        """Copy one saved value: per-parameter buffers become float64 arrays of ``p``'s shape,
        scalar state (``step``, ``mu_product``) and hyperparameters become Python numbers."""
        if hasattr(v, "detach"):  # a torch tensor
            v = v.detach().cpu().numpy()
        scalar = p is None or key in _SCALAR_STATE
        if isinstance(v, (np.ndarray, np.generic)) and scalar and np.size(v) == 1:
            v = v.item()
        if scalar:
            if key == "step" and isinstance(v, Real) and float(v) == int(v):
                return int(v)
            return copy.deepcopy(v)
        arr = np.array(v, dtype=np.float64, copy=True)
        if arr.shape != p.data.shape:
            raise ValueError(f"{where}: state[{key!r}] must have the parameter's shape {p.data.shape}, got {arr.shape}")
        return arr

    # ------------------------------------------------------------------ printing

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)
