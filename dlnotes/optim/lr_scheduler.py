r"""Learning-rate schedulers with ``torch.optim.lr_scheduler``'s semantics.

A scheduler reads and writes ``optimizer.param_groups[i]["lr"]``. The protocol is PyTorch's:

* constructing the scheduler is "step 0": it records ``initial_lr`` in every group (the base
  rates, ``base_lrs``), sets ``last_epoch = 0`` and writes the learning rate for step 0;
* in the training loop, call ``optimizer.step()`` and *then* ``scheduler.step()``, which
  increments ``last_epoch`` and writes the rate for the next optimizer step;
* ``get_last_lr()`` returns the rates just written, one per parameter group.

``last_epoch`` counts calls of ``scheduler.step()``: epochs if it is called once per epoch,
iterations if once per minibatch (``CyclicLR`` and warm-up are usually per iteration).
PyTorch's deprecated ``step(epoch)`` form is not supported, and, unlike PyTorch, no warning is
issued when ``scheduler.step()`` is called before ``optimizer.step()``.

Like PyTorch, ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR`` and ``LinearLR`` are
*recursive*: each step multiplies (or moves) the group's *current* ``lr``, so two schedulers
on the same optimizer compose (their factors multiply) and an ``lr`` changed by hand is
respected. ``LambdaLR`` and ``CyclicLR`` are closed forms of ``last_epoch`` and the base rates.
Every class reproduces PyTorch's values at every step (tested in float64).

Book: chapter 05, section "Learning-rate schedules".
"""

from __future__ import annotations

import copy
import math
import types
from typing import Any, Callable

from dlnotes._validation import as_int, as_real, check_choice
from dlnotes.optim.optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CyclicLR",
    "LinearLR",
    "linear_warmup",
    "warmup_inverse_sqrt",
]


class LRScheduler:
    r"""Base class: PyTorch's scheduler protocol (``step``, ``get_last_lr``, ``last_epoch``).

    Parameters
    ----------
    optimizer:
        A :class:`dlnotes.optim.Optimizer`.
    last_epoch:
        ``-1`` (default) to start a new schedule. A value ``k >= 0`` resumes a schedule: the
        groups must then already contain ``"initial_lr"`` (as written by an earlier scheduler).

    Subclasses implement :meth:`get_lr`, the rates for the current ``last_epoch``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be a dlnotes.optim.Optimizer, got {type(optimizer).__name__}")
        last_epoch = as_int(last_epoch, "last_epoch", name, minimum=-1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(
                        f"{name}: last_epoch={last_epoch} resumes a schedule, but param_groups[{i}] has no "
                        "'initial_lr'; use last_epoch=-1 for a new schedule"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for the current ``last_epoch`` (used by :meth:`step`).

        To read the rate in use, call :meth:`get_last_lr` instead.
        """
        raise NotImplementedError(f"{type(self).__name__}.get_lr is not implemented")

    def step(self) -> None:
        """Advance the schedule by one (call it after ``optimizer.step()``) and write the new rates."""
        self._step_count += 1
        self.last_epoch += 1
        values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates written by the last :meth:`step` (one per parameter group)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and functions, which are not data), deep-copied."""
        return {
            k: copy.deepcopy(v)
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "lr_lambdas", "_scale_fn_custom")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict`."""
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: state_dict must be a dict, got {type(state_dict).__name__}"
            )
        self.__dict__.update(copy.deepcopy(state_dict))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={getattr(self, '_last_lr', None)})"


def _per_group(value: Any, name: str, func: str, optimizer: Optimizer) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{func}: {name} must have one value per parameter group ({len(optimizer.param_groups)}), "
                f"got {len(value)}"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


class LambdaLR(LRScheduler):
    r"""Learning rate = base rate times a function of the step: :math:`\eta_t = \eta_0\, f(t)`.

    PyTorch equivalent: ``torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)``.

    Parameters
    ----------
    optimizer:
        The optimizer.
    lr_lambda:
        A callable ``f(t) -> factor`` with ``t = last_epoch`` (0 at construction), or a list
        of such callables, one per parameter group.
    last_epoch:
        ``-1`` for a new schedule.

    Examples
    --------
    The inverse-time decay :math:`\eta_0/(1+kt)` is ``LambdaLR(opt, lambda t: 1 / (1 + k * t))``;
    see also :func:`linear_warmup` and :func:`warmup_inverse_sqrt`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be a dlnotes.optim.Optimizer, got {type(optimizer).__name__}")
        fns = _per_group(lr_lambda, "lr_lambda", name, optimizer)
        for fn in fns:
            if not callable(fn):
                raise TypeError(f"{name}: lr_lambda must be callable (or a list of callables), got {type(fn).__name__}")
        self.lr_lambdas = fns
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        """As PyTorch: lambdas and functions are not saved, the attributes of callable objects are."""
        state = super().state_dict()
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__) for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        fns = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state)
        for fn, saved in zip(self.lr_lambdas, fns):
            if saved is not None:
                fn.__dict__.update(copy.deepcopy(saved))


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    .. math:: \eta_t = \eta_0\,\gamma^{\lfloor t/s\rfloor}

    Recursive, as PyTorch: at every :math:`t > 0` that is a multiple of ``step_size`` the
    *current* ``lr`` is multiplied by ``gamma``. PyTorch equivalent:
    ``torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma)``.

    Parameters
    ----------
    optimizer:
        The optimizer.
    step_size:
        Period :math:`s \ge 1` (an int).
    gamma:
        Factor :math:`\gamma \ge 0` (default 0.1).
    last_epoch:
        ``-1`` for a new schedule.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        name = type(self).__name__
        self.step_size = as_int(step_size, "step_size", name, minimum=1)
        self.gamma = as_real(gamma, "gamma", name, nonnegative=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` at every step: :math:`\eta_t = \eta_0\,\gamma^t`.

    The continuous form :math:`\eta_0 e^{-kt}` is ``gamma = exp(-k)``; its half-life is
    :math:`\ln 2/k` steps, set by :math:`k` alone (:math:`\eta_0` only scales the curve).
    PyTorch equivalent: ``torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)``.

    Parameters
    ----------
    optimizer:
        The optimizer.
    gamma:
        Factor :math:`\gamma \ge 0` per step.
    last_epoch:
        ``-1`` for a new schedule.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = as_real(gamma, "gamma", type(self).__name__, nonnegative=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the base rate to ``eta_min`` over ``T_max`` steps (no restarts).

    .. math:: \eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})\bigl(1 + \cos(\pi t/T_{\max})\bigr)

    (Loshchilov & Hutter, 2017, without the restarts). Like PyTorch the rate is updated
    *recursively*,

    .. math::

        \eta_t = \eta_{\min} + (\eta_{t-1} - \eta_{\min})\,
                 \frac{1 + \cos(\pi t/T_{\max})}{1 + \cos(\pi (t-1)/T_{\max})},

    which equals the closed form when nothing else changes ``lr``. Past :math:`T_{\max}` the
    rate climbs back along the cosine (period :math:`2T_{\max}`), as in PyTorch. PyTorch
    equivalent: ``torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min)``.

    Parameters
    ----------
    optimizer:
        The optimizer.
    T_max:
        Half-period :math:`T_{\max} > 0`, in steps.
    eta_min:
        Minimum rate (default 0).
    last_epoch:
        ``-1`` for a new schedule.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        name = type(self).__name__
        self.T_max = as_real(T_max, "T_max", name, positive=True)
        if float(T_max) == int(T_max):
            self.T_max = int(T_max)
        self.eta_min = as_real(eta_min, "eta_min", name)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and t > 0:  # resumed schedule: closed form
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:  # leaving the minimum: the recursion would divide by 0
            return [
                group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base, group in zip(self.base_lrs, groups, strict=True)
            ]
        return [
            (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (group["lr"] - eta_min) + eta_min
            for group in groups
        ]


class CyclicLR(LRScheduler):
    r"""Cyclical learning rate (Smith, 2017), ``torch.optim.lr_scheduler.CyclicLR``.

    The rate moves linearly from ``base_lr`` up to ``max_lr`` in ``step_size_up`` steps and
    back down in ``step_size_down`` steps. With cycle length :math:`C` = up + down and
    :math:`r` = up/C:

    .. math::

        c = \lfloor 1 + t/C \rfloor,\quad x = 1 + t/C - c,\quad
        s = \begin{cases} x/r & x \le r \\ (x-1)/(r-1) & x > r \end{cases},\quad
        \eta_t = \eta_{\text{base}} + (\eta_{\max} - \eta_{\text{base}})\, s\, \sigma(\cdot)

    where the amplitude scale :math:`\sigma` is 1 (``"triangular"``), :math:`2^{-(c-1)}`
    (``"triangular2"``, halved every cycle) or :math:`\gamma^t` (``"exp_range"``). For
    symmetric cycles (:math:`s` up = down) this is Smith's
    :math:`\eta_t = \eta_{\text{base}} + (\eta_{\max}-\eta_{\text{base}})\max(0, 1-|t/s - 2c + 1|)`:
    minima at :math:`t = 0, 2s, 4s, \ldots`, maxima at :math:`t = s, 3s, \ldots`.

    **Momentum.** As in PyTorch, ``cycle_momentum=True`` (the default) also cycles the momentum
    *inversely* to the rate, between ``max_momentum`` (at ``base_lr``) and ``base_momentum``
    (at ``max_lr``): it writes ``group["momentum"]`` (SGD, RMSprop) or ``group["betas"][0]``
    (the Adam family). Note that this *switches momentum on* for an ``SGD`` created with
    ``momentum=0``. Optimizers with neither (Adagrad, Adadelta) need
    ``cycle_momentum=False``. The book's oracle comparisons of the rate alone use
    ``cycle_momentum=False``.

    Parameters
    ----------
    optimizer:
        The optimizer.
    base_lr, max_lr:
        Lower and upper rates (a float or one per group). ``base_lr`` overwrites the groups'
        ``lr`` at construction, as in PyTorch.
    step_size_up:
        Steps in the increasing half-cycle (default 2000).
    step_size_down:
        Steps in the decreasing half-cycle (default: ``step_size_up``).
    mode:
        ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
    gamma:
        Factor of ``"exp_range"`` (default 1.0).
    scale_fn:
        Custom amplitude scale :math:`\sigma(x) \in [0, 1]`; overrides ``mode``.
    scale_mode:
        ``"cycle"`` (:math:`x = c`) or ``"iterations"`` (:math:`x = t`) for ``scale_fn``.
    cycle_momentum, base_momentum, max_momentum:
        Momentum cycling (see above; defaults True, 0.8, 0.9).
    last_epoch:
        ``-1`` for a new schedule.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be a dlnotes.optim.Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        base_lrs = [
            as_real(v, "base_lr", name, nonnegative=True) for v in _per_group(base_lr, "base_lr", name, optimizer)
        ]
        self.max_lrs = [
            as_real(v, "max_lr", name, nonnegative=True) for v in _per_group(max_lr, "max_lr", name, optimizer)
        ]
        up = as_real(step_size_up, "step_size_up", name, positive=True)
        down = up if step_size_down is None else as_real(step_size_down, "step_size_down", name, positive=True)
        if scale_fn is None:
            check_choice(mode, "mode", name, ("triangular", "triangular2", "exp_range"))
        elif not callable(scale_fn):
            raise TypeError(f"{name}: scale_fn must be callable or None, got {type(scale_fn).__name__}")
        check_choice(scale_mode, "scale_mode", name, ("cycle", "iterations"))
        self.gamma = as_real(gamma, "gamma", name, nonnegative=True)
        if not isinstance(cycle_momentum, bool):
            raise TypeError(f"{name}: cycle_momentum must be a bool, got {type(cycle_momentum).__name__}")
        last_epoch = as_int(last_epoch, "last_epoch", name, minimum=-1)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.scale_mode = scale_mode
        self._scale_fn_custom = scale_fn
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{name}: cycle_momentum=True needs an optimizer with 'momentum' or 'betas' (SGD, RMSprop, the "
                    f"Adam family), got {type(optimizer).__name__}; pass cycle_momentum=False"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = [
                as_real(v, "base_momentum", name) for v in _per_group(base_momentum, "base_momentum", name, optimizer)
            ]
            self.max_momentums = [
                as_real(v, "max_momentum", name) for v in _per_group(max_momentum, "max_momentum", name, optimizer)
            ]
            if last_epoch == -1:
                for m_max, m_base, group in zip(self.max_momentums, self.base_momentums, optimizer.param_groups):
                    if self.use_beta1:
                        group["betas"] = (m_max, *group["betas"][1:])
                    else:
                        group["momentum"] = m_max
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is not None:
            return
        if self.mode in ("triangular", "triangular2"):
            self.scale_mode = "cycle"
        else:
            self.scale_mode = "iterations"

    def scale_fn(self, x: float) -> float:
        """The amplitude scale :math:`\\sigma(x)` of the current mode (or the custom ``scale_fn``)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        arg = cycle if self.scale_mode == "cycle" else t
        lrs = [
            base_lr + (max_lr - base_lr) * scale_factor * self.scale_fn(arg)
            for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            for m_base, m_max, group in zip(self.base_momentums, self.max_momentums, self.optimizer.param_groups):
                momentum = m_max - (m_max - m_base) * scale_factor * self.scale_fn(arg)
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        state.pop("_scale_fn_custom", None)
        super().load_state_dict(state)
        self._init_scale_fn()


class LinearLR(LRScheduler):
    r"""Linear change of the rate's factor from ``start_factor`` to ``end_factor`` over ``total_iters`` steps.

    .. math:: \eta_t = \eta_0\Bigl(f_s + (f_e - f_s)\,\frac{\min(t, T)}{T}\Bigr)

    With ``end_factor=1`` this is a linear *warm-up* (Goyal et al., 2017); with
    ``start_factor=1`` a linear decay. Recursive, as PyTorch. PyTorch equivalent:
    ``torch.optim.lr_scheduler.LinearLR(optimizer, start_factor, end_factor, total_iters)``.

    Parameters
    ----------
    optimizer:
        The optimizer.
    start_factor:
        :math:`f_s \in (0, 1]` (default 1/3).
    end_factor:
        :math:`f_e \in [0, 1]` (default 1).
    total_iters:
        :math:`T \ge 1` steps (default 5).
    last_epoch:
        ``-1`` for a new schedule.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        start_factor = as_real(start_factor, "start_factor", name)
        end_factor = as_real(end_factor, "end_factor", name)
        if not 0 < start_factor <= 1:
            raise ValueError(f"{name}: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"{name}: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = as_int(total_iters, "total_iters", name, minimum=1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return [group["lr"] for group in groups]
        fs, fe = self.start_factor, self.end_factor
        factor = 1.0 + (fe - fs) / (self.total_iters * fs + (self.last_epoch - 1) * (fe - fs))
        return [group["lr"] * factor for group in groups]


def linear_warmup(optimizer: Optimizer, warmup_steps: int, start_factor: float = 0.0) -> LambdaLR:
    r"""A :class:`LambdaLR` that ramps the rate linearly from ``start_factor * lr`` to ``lr``, then holds it.

    .. math:: \eta_t = \eta_0\Bigl(f_s + (1 - f_s)\,\frac{\min(t, W)}{W}\Bigr)

    The closed-form counterpart of ``LinearLR(optimizer, start_factor, 1.0, warmup_steps)``
    (which needs ``start_factor > 0``; here 0 is allowed). Being a :class:`LambdaLR`, it does
    not compose multiplicatively with other schedulers.

    Parameters
    ----------
    optimizer:
        The optimizer.
    warmup_steps:
        :math:`W \ge 1`.
    start_factor:
        :math:`f_s \in [0, 1]` (default 0).
    """
    name = "linear_warmup"
    w = as_int(warmup_steps, "warmup_steps", name, minimum=1)
    fs = as_real(start_factor, "start_factor", name)
    if not 0 <= fs <= 1:
        raise ValueError(f"{name}: start_factor must be in [0, 1], got {fs}")

    def factor(t: int) -> float:
        return fs + (1.0 - fs) * min(t, w) / w

    return LambdaLR(optimizer, factor)


def warmup_inverse_sqrt(optimizer: Optimizer, warmup_steps: int, d_model: int | None = None) -> LambdaLR:
    r"""The Transformer schedule (Vaswani et al., 2017): linear warm-up, then :math:`1/\sqrt{t}` decay.

    With :math:`s = \max(t, 1)` and :math:`W` = ``warmup_steps`` the factor on the base rate is

    .. math::

        f(t) = \min\Bigl(\frac{s}{W}, \sqrt{\frac{W}{s}}\Bigr)
        \quad\text{or, given } d = \texttt{d\_model},\quad
        f(t) = d^{-1/2}\min\bigl(s^{-1/2},\ s\, W^{-3/2}\bigr).

    The first form peaks at exactly 1 (so the optimizer's ``lr`` is the peak rate); the second
    is the paper's formula, meant for a base ``lr`` of 1 (its peak is
    :math:`(dW)^{-1/2}`, e.g. 6.988e-4 for :math:`d = 512`, :math:`W = 4000`). The decay
    after the peak is an inverse square root, not an exponential.

    Parameters
    ----------
    optimizer:
        The optimizer.
    warmup_steps:
        :math:`W \ge 1`.
    d_model:
        Model width for the paper's scale; ``None`` (default) for the peak-1 normalisation.

    Returns
    -------
    LambdaLR
        The scheduler (already at step 0).
    """
    name = "warmup_inverse_sqrt"
    w = as_int(warmup_steps, "warmup_steps", name, minimum=1)
    if d_model is None:

        def factor(t: int) -> float:
            s = max(t, 1)
            return min(s / w, math.sqrt(w / s))

    else:
        d = as_int(d_model, "d_model", name, minimum=1)

        def factor(t: int) -> float:
            s = max(t, 1)
            return d**-0.5 * min(s**-0.5, s * w**-1.5)

    return LambdaLR(optimizer, factor)

