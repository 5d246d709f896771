r"""Stochastic gradient descent with (heavy-ball or Nesterov) momentum, PyTorch's ``SGD``.

Book: chapter 05, sections "Stochastic gradient descent", "Momentum" and "Nesterov".
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from dlnotes._validation import as_real
from dlnotes.nn.module import Parameter
from dlnotes.optim.optimizer import Optimizer, _check_bool, _check_nonneg

__all__ = ["SGD"]


class _Required:
    """Sentinel: SGD's ``lr`` has no default (it must be given, here or in every group)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum or Nesterov momentum (``torch.optim.SGD``).

    With gradient :math:`g_t = \nabla\mathcal{L}(\theta_{t-1})`, learning rate :math:`\eta`,
    momentum :math:`\mu`, dampening :math:`d` and weight decay :math:`\lambda`, one step is

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        b_t &= \begin{cases} g_t & t = 1 \text{ (first step: no dampening)} \\
                             \mu\, b_{t-1} + (1-d)\, g_t & t > 1 \end{cases} \\
        \theta_t &= \theta_{t-1} - \eta \cdot \begin{cases} g_t & \mu = 0 \\
                                                           b_t & \text{momentum} \\
                                                           g_t + \mu\, b_t & \text{Nesterov.} \end{cases}

    PyTorch equivalent: ``torch.optim.SGD(params, lr, momentum, dampening, weight_decay,
    nesterov)``, same arguments, same iterates (tested in float64 to 1e-10).

    Parameters
    ----------
    params:
        Iterable of :class:`~dlnotes.nn.Parameter` (``model.parameters()``) or of group dicts.
    lr:
        Learning rate :math:`\eta \ge 0`. Required, as in the book's API: either here or in
        every parameter group (PyTorch < 2.6 behaved so; newer PyTorch defaults to 1e-3).
    momentum:
        Momentum factor :math:`\mu \ge 0` (default 0: plain SGD).
    dampening:
        Dampening :math:`d` of the gradient in the momentum buffer (default 0). It is not
        applied on the first step, where :math:`b_1 = g_1`.
    weight_decay:
        Coupled L2 penalty :math:`\lambda \ge 0`, added to the gradient.
    nesterov:
        Nesterov momentum (requires ``momentum > 0`` and ``dampening == 0``).
    maximize:
        Keyword only. Ascend instead of descend (``g`` is negated first), as in PyTorch.

    Notes
    -----
    *The momentum forms.* The "velocity" form :math:`v_t = \mu v_{t-1} - \eta g_t,\ \theta_t =
    \theta_{t-1} + v_t` (Sutskever et al., 2013) gives the same iterates as PyTorch's
    :math:`v_t = -\eta b_t` when :math:`\eta` is constant. The *EMA form*
    :math:`m_t = \beta m_{t-1} + (1-\beta) g_t,\ \theta_t = \theta_{t-1} - \eta' m_t` (with
    :math:`m_0 = 0`) equals this class with ``lr = eta' * (1 - beta)``, ``momentum = beta`` and
    ``dampening = 0`` -- *not* ``dampening = beta``, because PyTorch does not dampen the first
    step (:math:`b_1 = g_1`). Under a learning-rate schedule the forms differ; the book uses
    PyTorch's.

    *Nesterov.* In Sutskever's form the gradient is evaluated at the look-ahead point
    :math:`\theta_{t-1} + \mu v_{t-1}` (``+``: the velocity already points downhill):
    :math:`v_t = \mu v_{t-1} - \eta \nabla\mathcal{L}(\theta_{t-1} + \mu v_{t-1})`,
    :math:`\theta_t = \theta_{t-1} + v_t`. Written with a velocity that includes :math:`\eta`
    and is *subtracted*, :math:`u_t = \mu u_{t-1} + \eta\nabla\mathcal{L}(w_{t-1} - \mu
    u_{t-1}),\ w_t = w_{t-1} - u_t`, the look-ahead point is :math:`w_{t-1} - \mu u_{t-1}`
    (a minus sign, and the learning rate is inside :math:`u`). PyTorch's ``nesterov=True``
    stores the look-ahead point itself: its parameter equals :math:`\theta_t + \mu v_t`, so
    it only ever needs the gradient at the stored point, :math:`g_t + \mu b_t`.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = required,  # type: ignore[assignment]
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        check = dict(defaults, lr=0.0) if lr is required else defaults
        self._check_hyper(check)
        defaults = dict(check, lr=required) if lr is required else check
        super().__init__(params, defaults)

    def _check_hyper(self, h: dict[str, Any]) -> None:
        f = type(self).__name__
        if h["lr"] is required:
            raise TypeError(f"{f}: lr is required (no default): pass lr=..., or give every parameter group an 'lr'")
        for k in ("lr", "momentum", "weight_decay"):
            _check_nonneg(h, k, f)
        h["dampening"] = as_real(h["dampening"], "dampening", f)
        _check_bool(h, "nesterov", f)
        _check_bool(h, "maximize", f)
        if h["nesterov"] and (h["momentum"] <= 0 or h["dampening"] != 0):
            raise ValueError(
                f"{f}: nesterov=True requires momentum > 0 and dampening == 0, got momentum={h['momentum']}, "
                f"dampening={h['dampening']}"
            )

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, mu, damp = group["lr"], group["momentum"], group["dampening"]
        g = self._grad_with_decay(p, grad, group, group["weight_decay"])
        d = g
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=np.float64, copy=True)
            else:
                buf *= mu
                if damp == 0:
                    buf += g
                else:
                    tmp = self._buffer(p, 1)
                    np.multiply(g, 1 - damp, out=tmp)
                    buf += tmp
            if group["nesterov"]:
                d = self._buffer(p, 1)
                np.multiply(buf, mu, out=d)
                d += g
            else:
                d = buf
        step = self._buffer(p, 1)
        np.multiply(d, lr, out=step)
        p.data -= step
