r"""RMSprop: divide by the root of a moving average of squared gradients (``torch.optim.RMSprop``).

Book: chapter 05, section "Adaptive methods".
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from dlnotes.nn.module import Parameter
from dlnotes.optim.optimizer import Optimizer, _check_bool, _check_nonneg, _lerp_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, lecture 6e of *Neural Networks for Machine Learning*, 2012), PyTorch's ``RMSprop``.

    Like AdaGrad, but the sum of squared gradients is replaced by an exponential moving
    average, so old gradients are forgotten geometrically (weight :math:`\alpha^{t-i}` on
    :math:`g_i^2`) and the effective rate does not decay to zero:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        v_t &= \alpha v_{t-1} + (1-\alpha)\, g_t^2 \qquad (v_0 = 0) \\
        \bar g_t &= \alpha \bar g_{t-1} + (1-\alpha)\, g_t \qquad \text{(centered only)} \\
        D_t &= \sqrt{v_t} + \epsilon \quad\text{or, centered,}\quad \sqrt{v_t - \bar g_t^2} + \epsilon \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{g_t}{D_t}
        \quad\text{or, with momentum } \mu > 0:\quad
        b_t = \mu b_{t-1} + \frac{g_t}{D_t},\ \ \theta_t = \theta_{t-1} - \eta\, b_t .

    Unrolled, :math:`v_t = \alpha^t v_0 + (1-\alpha)\sum_{i=1}^t \alpha^{t-i} g_i^2`: a moving
    average bounded by the largest :math:`g_i^2`, not a quantity that grows with :math:`t`.
    The centered variant divides by an estimate of the gradient's *standard deviation*.

    PyTorch equivalent: ``torch.optim.RMSprop(params, lr, alpha, eps, weight_decay, momentum,
    centered)``; same iterates in float64.

    Parameters
    ----------
    params:
        Iterable of :class:`~dlnotes.nn.Parameter` or of group dicts.
    lr:
        Learning rate :math:`\eta \ge 0` (default 0.01).
    alpha:
        Smoothing constant of the moving averages (default 0.99; Hinton's lecture used 0.9).
        Meaningful values lie in :math:`[0, 1)`; like PyTorch, only :math:`\alpha \ge 0` is
        enforced.
    eps:
        :math:`\epsilon \ge 0`, added *outside* the square root (default 1e-8).
    weight_decay:
        Coupled L2 penalty :math:`\lambda \ge 0`, added to the gradient.
    momentum:
        :math:`\mu \ge 0`; if positive, a momentum buffer accumulates the normalised gradients.
    centered:
        Subtract the squared moving average of the gradient in the denominator.
    maximize:
        Keyword only. Ascend instead of descend, as in PyTorch.
    eps_inside_sqrt:
        Keyword only, a textbook variant (default False): the denominator becomes
        :math:`\sqrt{v_t + \epsilon}` (or :math:`\sqrt{v_t - \bar g_t^2 + \epsilon}`), the form
        several lecture notes write. Not PyTorch's (nor Keras's).

    Notes
    -----
    Near a minimum :math:`g_t^2 \approx v_t`, so every step has size :math:`\approx \eta`
    whatever the gradient's scale: RMSprop oscillates with a constant-size step there, and its
    behaviour is sensitive to the choice of :math:`\eta`.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
        eps_inside_sqrt: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "eps_inside_sqrt": eps_inside_sqrt,
        }
        self._check_hyper(defaults)
        super().__init__(params, defaults)

    def _check_hyper(self, h: dict[str, Any]) -> None:
        f = type(self).__name__
        for k in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            _check_nonneg(h, k, f)
        for k in ("centered", "maximize", "eps_inside_sqrt"):
            _check_bool(h, k, f)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        alpha, eps, lr, mu = group["alpha"], group["eps"], group["lr"], group["momentum"]
        g = self._grad_with_decay(p, grad, group, group["weight_decay"])
        sq = state["square_avg"]
        avg = self._buffer(p, 1)
        np.multiply(g, g, out=avg)
        avg *= 1 - alpha
        sq *= alpha
        sq += avg
        if group["centered"]:
            ga = state.get("grad_avg")
            if ga is None:
                ga = state["grad_avg"] = np.zeros_like(p.data)
            _lerp_(ga, g, 1 - alpha, avg)
            np.multiply(ga, ga, out=avg)
            np.subtract(sq, avg, out=avg)
            if group["eps_inside_sqrt"]:
                avg += eps
            np.sqrt(avg, out=avg)
        elif group["eps_inside_sqrt"]:
            np.add(sq, eps, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(sq, out=avg)
        if not group["eps_inside_sqrt"]:
            avg += eps
        if mu > 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.zeros_like(p.data)
            np.divide(g, avg, out=avg)  # g / D
            buf *= mu
            buf += avg
            np.multiply(buf, lr, out=avg)
        else:
            upd = self._buffer(p, 2)  # (lr * g) / D, in torch's addcdiv order
            np.multiply(g, lr, out=upd)
            np.divide(upd, avg, out=avg)
        p.data -= avg
