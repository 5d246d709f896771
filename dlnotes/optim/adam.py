r"""Adam and its relatives: ``Adam`` (with AMSGrad), ``AdamW``, ``Adamax`` and ``NAdam``.

All four follow ``torch.optim`` exactly (same arguments, defaults and iterates in float64). The
step count :math:`t` starts at 1 (it is incremented *before* it is used), so the bias
corrections are :math:`1-\beta_1^t` and :math:`1-\beta_2^t` -- powers of :math:`t`, never
:math:`(1-\beta)^t`.

Book: chapter 05, section "Adam and its relatives".
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from dlnotes._validation import as_real
from dlnotes.nn.module import Parameter
from dlnotes.optim.optimizer import Optimizer, _check_betas, _check_bool, _check_nonneg, _lerp_

__all__ = ["Adam", "AdamW", "Adamax", "NAdam"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): momentum on the gradient, RMSprop on its square, both bias-corrected.

    With step count :math:`t = 1, 2, \ldots` and :math:`m_0 = v_0 = 0`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
            \quad(\text{or, decoupled: } \theta_{t-1} \leftarrow (1-\eta\lambda)\,\theta_{t-1}) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\
        \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1-\beta_2^t}
            \quad(\text{AMSGrad: } \hat v_t = \frac{v^{\max}_t}{1-\beta_2^t},\
                  v^{\max}_t = \max(v^{\max}_{t-1}, v_t)) \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    The update uses the bias-*corrected* second moment :math:`\hat v_t` and adds
    :math:`\epsilon` *outside* the square root. PyTorch computes the same denominator as
    :math:`\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon`. AMSGrad keeps the running maximum of the
    *raw* :math:`v_t` and then divides it by :math:`1-\beta_2^t`.

    PyTorch equivalent: ``torch.optim.Adam(params, lr, betas, eps, weight_decay, amsgrad)``;
    same iterates in float64.

    Parameters
    ----------
    params:
        Iterable of :class:`~dlnotes.nn.Parameter` or of group dicts.
    lr:
        Learning rate :math:`\eta \ge 0` (default 1e-3).
    betas:
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`: decay rates of the first- and
        second-moment moving averages (default ``(0.9, 0.999)``).
    eps:
        :math:`\epsilon \ge 0` (default 1e-8).
    weight_decay:
        :math:`\lambda \ge 0`, coupled L2 (added to the gradient) unless
        ``decoupled_weight_decay``.
    amsgrad:
        Use AMSGrad (Reddi, Kale & Kumar, 2018).
    maximize:
        Keyword only. Ascend instead of descend, as in PyTorch.
    decoupled_weight_decay:
        Keyword only, as in PyTorch: decay the weights directly, :math:`\theta \leftarrow
        (1 - \eta\lambda)\theta`, before the step (this is :class:`AdamW`).

    Notes
    -----
    *Why bias correction.* With :math:`m_0 = 0`, :math:`m_t = (1-\beta_1)\sum_{i=1}^t
    \beta_1^{t-i} g_i`, so :math:`\mathbb E[m_t] = (1-\beta_1^t)\,\mathbb E[g]` when the
    gradients share a mean: :math:`m_t/(1-\beta_1^t)` is unbiased. Dividing by
    :math:`(1-\beta_1)^t` instead (a frequent typo) blows up as 10, 100, 1000, ...

    *Step size.* When :math:`\epsilon` is negligible the step is invariant to rescaling the
    gradient by :math:`c > 0`. Kingma & Ba bound it by :math:`|\Delta\theta| \le
    \eta(1-\beta_1)/\sqrt{1-\beta_2}` when :math:`1-\beta_1 > \sqrt{1-\beta_2}` (as for the
    defaults: about :math:`3.16\,\eta`, reached after a long run of zero gradients followed by
    a non-zero one), and by :math:`\eta` otherwise; typically :math:`|\Delta\theta| \lesssim
    \eta`. It is a bound, not a trust region that holds exactly.

    *Performance.* The state buffers are preallocated and every operation is an in-place NumPy
    ufunc on scratch arrays shared by all parameters (about a dozen passes over memory per
    parameter and step, no allocation). See :func:`dlnotes.optim.benchmark_adam_step`.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        self._check_hyper(defaults)
        super().__init__(params, defaults)

    def _check_hyper(self, h: dict[str, Any]) -> None:
        f = type(self).__name__
        for k in ("lr", "eps", "weight_decay"):
            _check_nonneg(h, k, f)
        _check_betas(h, f)
        for k in ("amsgrad", "maximize", "decoupled_weight_decay"):
            _check_bool(h, k, f)

    def _decay_and_grad(self, p: Parameter, grad: np.ndarray, group: dict[str, Any]) -> np.ndarray:
        wd = group["weight_decay"]
        if wd != 0 and group.get("decoupled_weight_decay", False):
            p.data *= 1 - group["lr"] * wd
            return self._grad_with_decay(p, grad, group, 0)
        return self._grad_with_decay(p, grad, group, wd)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        g = self._decay_and_grad(p, grad, group)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = self._buffer(p, 1)
        _lerp_(m, g, 1 - beta1, tmp)  # m = beta1 m + (1 - beta1) g
        np.multiply(g, g, out=tmp)  # v = beta2 v + (1 - beta2) g^2
        tmp *= 1 - beta2
        v *= beta2
        v += tmp
        step_size = lr / (1 - beta1**t)
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]
            np.maximum(vmax, v, out=vmax)
            v = vmax
        np.sqrt(v, out=tmp)  # denominator sqrt(v_hat) + eps = sqrt(v)/sqrt(1 - beta2^t) + eps
        tmp /= bias_correction2_sqrt
        tmp += eps
        upd = self._buffer(p, 2)  # (step_size * m) / denom, in torch's addcdiv order
        np.multiply(m, step_size, out=upd)
        np.divide(upd, tmp, out=upd)
        p.data -= upd


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with *decoupled* weight decay.

    Before the Adam step of :class:`Adam` (with no L2 term in the gradient), the weights are
    shrunk directly:

    .. math::

        \theta_{t-1} \leftarrow (1 - \eta\lambda)\,\theta_{t-1}, \qquad
        \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.

    With coupled L2 (``Adam(weight_decay=...)``) the penalty's gradient :math:`\lambda\theta`
    passes through the adaptive denominator, so coordinates with large gradients are barely
    regularised; decoupling shrinks every weight by the same factor. As in PyTorch,
    :math:`\lambda` is multiplied by the current learning rate (Loshchilov & Hutter write a
    separate schedule multiplier instead). PyTorch equivalent: ``torch.optim.AdamW(params,
    lr, betas, eps, weight_decay, amsgrad)`` (default ``weight_decay=1e-2``); same iterates in
    float64. Parameters as :class:`Adam`.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True)

    def _check_hyper(self, h: dict[str, Any]) -> None:
        h["decoupled_weight_decay"] = True  # as torch's AdamW.__setstate__: always decoupled
        super()._check_hyper(h)


class Adamax(Optimizer):
    r"""AdaMax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm, ``torch.optim.Adamax``.

    The second moment is replaced by an exponentially weighted *maximum* of :math:`|g|`, which
    needs no bias correction; the first moment keeps its correction:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\
        u_t &= \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}

    PyTorch puts :math:`\epsilon` *inside* the maximum (the paper has no :math:`\epsilon`),
    which keeps :math:`u_t > 0`. PyTorch equivalent: ``torch.optim.Adamax(params, lr, betas,
    eps, weight_decay)``; same iterates in float64.

    Parameters
    ----------
    params:
        Iterable of :class:`~dlnotes.nn.Parameter` or of group dicts.
    lr:
        Learning rate :math:`\eta \ge 0` (default 2e-3).
    betas:
        :math:`(\beta_1, \beta_2)` in :math:`[0, 1)` (default ``(0.9, 0.999)``).
    eps:
        :math:`\epsilon \ge 0` (default 1e-8).
    weight_decay:
        Coupled L2 penalty :math:`\lambda \ge 0`.
    maximize:
        Keyword only. Ascend instead of descend, as in PyTorch.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize}
        self._check_hyper(defaults)
        super().__init__(params, defaults)

    def _check_hyper(self, h: dict[str, Any]) -> None:
        f = type(self).__name__
        for k in ("lr", "eps", "weight_decay"):
            _check_nonneg(h, k, f)
        _check_betas(h, f)
        _check_bool(h, "maximize", f)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_inf"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        g = self._grad_with_decay(p, grad, group, group["weight_decay"])
        m, u = state["exp_avg"], state["exp_inf"]
        tmp = self._buffer(p, 1)
        _lerp_(m, g, 1 - beta1, tmp)
        np.abs(g, out=tmp)
        tmp += group["eps"]
        u *= beta2
        np.maximum(u, tmp, out=u)
        clr = group["lr"] / (1 - beta1**t)
        np.multiply(m, clr, out=tmp)
        np.divide(tmp, u, out=tmp)
        p.data -= tmp


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016): Adam with Nesterov momentum, ``torch.optim.NAdam``.

    The momentum coefficient follows Dozat's warm-up schedule
    :math:`\mu_t = \beta_1\bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr)` with :math:`\psi` =
    ``momentum_decay``; :math:`\Pi_t = \prod_{i \le t}\mu_i` (``mu_product`` in the state)
    plays the role of :math:`\beta_1^t` in the bias correction. With :math:`t = 1, 2, \ldots`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
            \quad(\text{or, decoupled: } \theta_{t-1} \leftarrow (1-\eta\lambda)\,\theta_{t-1}) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad
        \hat v_t = \frac{v_t}{1-\beta_2^t} \\
        \theta_t &= \theta_{t-1}
            - \eta\, \frac{1-\mu_t}{1-\Pi_t}\, \frac{g_t}{\sqrt{\hat v_t} + \epsilon}
            - \eta\, \frac{\mu_{t+1}}{1-\Pi_t\,\mu_{t+1}}\, \frac{m_t}{\sqrt{\hat v_t} + \epsilon}

    (the second term is the Nesterov look-ahead: the momentum of the *next* step applied now).
    PyTorch equivalent: ``torch.optim.NAdam(params, lr, betas, eps, weight_decay,
    momentum_decay, decoupled_weight_decay)``; same iterates in float64.

    Parameters
    ----------
    params:
        Iterable of :class:`~dlnotes.nn.Parameter` or of group dicts.
    lr:
        Learning rate :math:`\eta \ge 0` (default 2e-3).
    betas:
        :math:`(\beta_1, \beta_2)` in :math:`[0, 1)` (default ``(0.9, 0.999)``).
    eps:
        :math:`\epsilon \ge 0` (default 1e-8).
    weight_decay:
        :math:`\lambda \ge 0` (coupled L2 unless ``decoupled_weight_decay``).
    momentum_decay:
        :math:`\psi \ge 0` (default 4e-3). ``None`` is a textbook variant: Dozat's constant
        :math:`\mu_t = \beta_1`, giving :math:`\bar m_t = \beta_1 m_t/(1-\beta_1^{t+1}) +
        (1-\beta_1) g_t/(1-\beta_1^t)` and :math:`\theta_t = \theta_{t-1} - \eta\,\bar
        m_t/(\sqrt{\hat v_t}+\epsilon)`; it is the limit :math:`\psi \to \infty` of PyTorch's
        schedule (``momentum_decay=1e9`` in PyTorch gives the same iterates).
    decoupled_weight_decay:
        Decoupled weight decay as in :class:`AdamW` (PyTorch's "NAdamW").
    maximize:
        Keyword only. Ascend instead of descend, as in PyTorch.

    Notes
    -----
    PyTorch keeps ``mu_product`` in a tensor of the *default* dtype. With the usual float32
    default it is rounded to float32 at every step, and even float64 parameters drift from the
    exact computation (by about 2e-10 after 100 steps with ``lr=0.01``); the float64
    comparison with PyTorch therefore runs under ``torch.set_default_dtype(torch.float64)``.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float | None = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        self._check_hyper(defaults)
        super().__init__(params, defaults)

    def _check_hyper(self, h: dict[str, Any]) -> None:
        f = type(self).__name__
        for k in ("lr", "eps", "weight_decay"):
            _check_nonneg(h, k, f)
        if h["momentum_decay"] is not None:
            h["momentum_decay"] = as_real(h["momentum_decay"], "momentum_decay", f, nonnegative=True)
        _check_betas(h, f)
        for k in ("decoupled_weight_decay", "maximize"):
            _check_bool(h, k, f)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        lr, wd, psi = group["lr"], group["weight_decay"], group["momentum_decay"]
        bias_correction2 = 1 - beta2**t
        if wd != 0 and group["decoupled_weight_decay"]:
            p.data *= 1 - lr * wd
            g = self._grad_with_decay(p, grad, group, 0)
        else:
            g = self._grad_with_decay(p, grad, group, wd)
        if psi is None:
            mu = mu_next = beta1
        else:
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        denom, tmp = self._buffer(p, 1), self._buffer(p, 2)
        _lerp_(m, g, 1 - beta1, tmp)
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        v *= beta2
        v += tmp
        np.divide(v, bias_correction2, out=denom)
        np.sqrt(denom, out=denom)
        denom += group["eps"]
        np.multiply(g, lr * (1.0 - mu) / (1.0 - mu_product), out=tmp)
        np.divide(tmp, denom, out=tmp)
        p.data -= tmp
        np.multiply(m, lr * mu_next / (1.0 - mu_product * mu_next), out=tmp)
        np.divide(tmp, denom, out=tmp)
        p.data -= tmp
