r"""AdaDelta: a unit-consistent step from two moving averages (``torch.optim.Adadelta``).

Book: chapter 05, section "Adaptive methods".
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from dlnotes._validation import as_real
from dlnotes.nn.module import Parameter
from dlnotes.optim.optimizer import Optimizer, _check_bool, _check_nonneg

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""AdaDelta (Zeiler, 2012), PyTorch's ``torch.optim.Adadelta``.

    Two moving averages with the same decay :math:`\rho`: one of squared gradients
    (:math:`v`) and one of squared *updates* (:math:`u`). The step divides the RMS of recent
    updates (lagging one step) by the RMS of recent gradients, so that the update has the
    units of the parameter (Zeiler's argument) and no global learning rate is needed:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        v_t &= \rho\, v_{t-1} + (1-\rho)\, g_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\; g_t \\
        u_t &= \rho\, u_{t-1} + (1-\rho)\, \Delta_t^2 \\
        \theta_t &= \theta_{t-1} - \eta\, \Delta_t \qquad (v_0 = u_0 = 0)

    :math:`\epsilon` is essential: because :math:`u_0 = 0`, it alone sets the size of the
    first steps. PyTorch multiplies the update by ``lr`` (:math:`\eta`, default 1.0, which is
    Zeiler's rule). PyTorch equivalent: ``torch.optim.Adadelta(params, lr, rho, eps,
    weight_decay)``; same iterates in float64.

    Parameters
    ----------
    params:
        Iterable of :class:`~dlnotes.nn.Parameter` or of group dicts.
    lr:
        Factor :math:`\eta \ge 0` on the update (default 1.0).
    rho:
        Decay :math:`\rho \in [0, 1]` of both moving averages (default 0.9).
    eps:
        :math:`\epsilon \ge 0`, inside both square roots (default 1e-6).
    weight_decay:
        Coupled L2 penalty :math:`\lambda \ge 0`.
    maximize:
        Keyword only. Ascend instead of descend, as in PyTorch.

    Notes
    -----
    A common mis-statement uses a single accumulator, :math:`\Delta_t = \sqrt{v_{t-1}/v_t}\,
    g_t`; with :math:`v_0 = 0` its first step is exactly zero.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize}
        self._check_hyper(defaults)
        super().__init__(params, defaults)

    def _check_hyper(self, h: dict[str, Any]) -> None:
        f = type(self).__name__
        for k in ("lr", "eps", "weight_decay"):
            _check_nonneg(h, k, f)
        h["rho"] = as_real(h["rho"], "rho", f)
        if not 0.0 <= h["rho"] <= 1.0:
            raise ValueError(f"{f}: rho must be in [0, 1], got {h['rho']}")
        _check_bool(h, "maximize", f)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            state["acc_delta"] = np.zeros_like(p.data)
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        g = self._grad_with_decay(p, grad, group, group["weight_decay"])
        v, u = state["square_avg"], state["acc_delta"]
        std, delta = self._buffer(p, 1), self._buffer(p, 2)
        np.multiply(g, g, out=std)
        std *= 1 - rho
        v *= rho
        v += std
        np.add(v, eps, out=std)
        np.sqrt(std, out=std)
        np.add(u, eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        np.multiply(delta, delta, out=std)
        std *= 1 - rho
        u *= rho
        u += std
        delta *= group["lr"]
        p.data -= delta
