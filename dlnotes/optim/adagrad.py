r"""AdaGrad: per-coordinate learning rates from the running sum of squared gradients (``torch.optim.Adagrad``).

Book: chapter 05, section "Adaptive methods".
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from dlnotes.nn.module import Parameter
from dlnotes.optim.optimizer import Optimizer, _check_bool, _check_nonneg

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""AdaGrad (Duchi, Hazan & Singer, 2011), PyTorch's ``torch.optim.Adagrad``.

    Each coordinate is divided by the root of the *sum* of all its past squared gradients, so
    coordinates with large or frequent gradients slow down and rare (sparse) features keep a
    large effective learning rate. With step count :math:`t = 1, 2, \ldots`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        \eta_t &= \frac{\eta}{1 + (t-1)\,\delta} \qquad (\delta = \texttt{lr\_decay}) \\
        s_t &= s_{t-1} + g_t^2 \qquad (s_0 = \texttt{initial\_accumulator\_value}) \\
        \theta_t &= \theta_{t-1} - \eta_t\, \frac{g_t}{\sqrt{s_t} + \epsilon}

    (squares, roots and divisions are elementwise). PyTorch equivalent:
    ``torch.optim.Adagrad(params, lr, lr_decay, weight_decay, initial_accumulator_value,
    eps)``; same iterates in float64.

    Parameters
    ----------
    params:
        Iterable of :class:`~dlnotes.nn.Parameter` or of group dicts.
    lr:
        Learning rate :math:`\eta \ge 0` (default 0.01).
    lr_decay:
        :math:`\delta \ge 0`: the rate used at step :math:`t` is :math:`\eta/(1 + (t-1)\delta)`.
    weight_decay:
        Coupled L2 penalty :math:`\lambda \ge 0`, added to the gradient.
    initial_accumulator_value:
        Starting value :math:`s_0 \ge 0` of the sum of squares.
    eps:
        :math:`\epsilon \ge 0`, added *outside* the square root (default 1e-10).
    maximize:
        Keyword only. Ascend instead of descend, as in PyTorch.
    eps_inside_sqrt:
        Keyword only, a textbook variant (default False). If True the denominator is
        :math:`\sqrt{s_t + \epsilon}`, the form many lecture notes write; it is *not*
        PyTorch's, and the two give different trajectories when :math:`\epsilon` is not tiny.

    Notes
    -----
    With a constant gradient :math:`g` (and :math:`\epsilon \to 0`) the step at time
    :math:`t` is :math:`\eta\,\mathrm{sign}(g)/\sqrt{t}`: the effective rate only ever
    decreases, which is AdaGrad's weakness on non-convex problems and the motivation for
    RMSprop's moving average. As in PyTorch, the state (``step``, ``sum``) is created when the
    optimizer is constructed.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        eps_inside_sqrt: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
            "eps_inside_sqrt": eps_inside_sqrt,
        }
        self._check_hyper(defaults)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state.setdefault(p, {}), group)

    def _check_hyper(self, h: dict[str, Any]) -> None:
        f = type(self).__name__
        for k in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            _check_nonneg(h, k, f)
        _check_bool(h, "maximize", f)
        _check_bool(h, "eps_inside_sqrt", f)

    @staticmethod
    def _init_state(p: Parameter, state: dict[str, Any], group: dict[str, Any]) -> None:
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = np.full(p.data.shape, group["initial_accumulator_value"], dtype=np.float64)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        self._init_state(p, state, group)  # groups added later with add_param_group
        state["step"] += 1
        t = state["step"]
        g = self._grad_with_decay(p, grad, group, group["weight_decay"])
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        s = state["sum"]
        tmp = self._buffer(p, 1)
        np.multiply(g, g, out=tmp)
        s += tmp
        if group["eps_inside_sqrt"]:
            np.add(s, group["eps"], out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(s, out=tmp)
            tmp += group["eps"]
        upd = self._buffer(p, 2)  # (clr * g) / std, in torch's addcdiv order
        np.multiply(g, clr, out=upd)
        np.divide(upd, tmp, out=upd)
        p.data -= upd
