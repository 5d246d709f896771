r"""Dropout, batch normalisation and layer normalisation with an explicit backward pass.

The three layers behave differently in training and evaluation mode (``module.training``, set
by :meth:`~dlnotes.nn.Module.train` / :meth:`~dlnotes.nn.Module.eval`), and all three mirror
their ``torch.nn`` namesakes exactly: names, arguments, defaults, parameter and buffer names
(so ``state_dict()`` has PyTorch's keys), and the numbers, which the tests compare with PyTorch
in float64.

Conventions (chapter 06, §3.0):

* **Dropout's** ``p`` **is the drop probability**, as in ``torch.nn.Dropout(p)``; the keep
  probability is :math:`q = 1 - p`. (Srivastava et al. 2014 write :math:`p` for the *retain*
  probability: their :math:`p = 0.8` is PyTorch's ``p=0.2``.) Scaling is *inverted*: by
  :math:`1/q` at training time, none at evaluation time.
* **Batch norm** normalises with the *biased* batch variance (divide by :math:`m`) and puts
  :math:`\epsilon` *inside* the square root, :math:`\hat x = (x - \mu_B)/\sqrt{\sigma_B^2 +
  \epsilon}`; the running variance is updated with the *unbiased* batch variance (divide by
  :math:`m - 1`); ``momentum`` is the weight of the *new* statistic (Keras' ``momentum`` is the
  weight of the old one).

Book: chapter 06, "Dropout" and "Batch normalization"; chapter 08 reuses them.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from dlnotes._validation import as_float_array, as_int, as_real, as_rng
from dlnotes._validation import check_bool as _check_bool
from dlnotes.nn.module import Module, Parameter

__all__ = ["Dropout", "BatchNorm1d", "LayerNorm"]


def _check_eps(eps: Any, func: str) -> float:
    eps = as_real(eps, "eps", func)
    if eps <= 0:
        raise ValueError(
            f"{func}: eps must be > 0 (it keeps the square root away from 0 for a constant feature; "
            f"PyTorch also rejects eps <= 0 in training mode), got {eps}"
        )
    return eps


# --------------------------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------------------------


class Dropout(Module):
    r"""Inverted dropout, as ``torch.nn.Dropout(p)``: ``p`` is the probability of **dropping** a unit.

    In training mode each entry of the input is kept independently with probability
    :math:`q = 1 - p`, with a fresh mask :math:`m_i \sim \mathrm{Bernoulli}(q)` for every entry
    and every call, and the survivors are scaled by :math:`1/q`:

    .. math::

        y_i = \frac{m_i\, x_i}{1 - p}, \qquad
        \mathbb E[y_i] = x_i, \qquad
        \frac{\partial\mathcal L}{\partial x_i} = \frac{m_i}{1 - p}\,\frac{\partial\mathcal L}{\partial y_i}.

    So an output entry is either exactly 0 or :math:`x_i/(1-p)` (for ``p=0.2``, :math:`x = 5`
    gives 0 or 6.25), and its expectation over masks is the input. The backward pass uses the
    mask of the last forward call. In evaluation mode the layer is the identity (no scaling):
    that is what "inverted" buys, compared with the original formulation (Srivastava et al.
    2014), which keeps units with probability :math:`q` at training time *without* scaling and
    multiplies the outgoing weights by :math:`q` at test time. Both give the same expected
    pre-activation for the next linear layer; the inverted form leaves the trained network
    unchanged for deployment. ``p=0`` is the identity; ``p=1`` (allowed, as in PyTorch) drops
    everything and returns zeros.

    Parameters
    ----------
    p:
        Drop probability, a real number in :math:`[0, 1]` (default 0.5; 0.1-0.2 is typical on
        inputs, 0.5 on hidden units).
    rng:
        ``numpy.random.Generator``, int seed or None, from which the masks are drawn (an int
        makes the sequence of masks reproducible).

    Attributes
    ----------
    mask:
        Boolean array of the entries kept by the last training-mode forward call (None before
        the first call and after an evaluation-mode call).

    Examples
    --------
    >>> drop = Dropout(p=0.2, rng=0)
    >>> np.unique(drop(np.full(1000, 5.0)))
    array([0.  , 6.25])
    >>> drop.eval()(np.full(2, 5.0))
    array([5., 5.])
    """

    def __init__(self, p: float = 0.5, rng: Any = None) -> None:
        super().__init__()
        func = "Dropout"
        p = as_real(p, "p", func)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{func}: p (the drop probability) must be in [0, 1], got {p}")
        self.p = p
        self._rng = as_rng(rng, func)
        self.mask: np.ndarray | None = None
        self._scale: np.ndarray | None = None  # m / (1 - p) of the last training-mode call
        self._shape: tuple[int, ...] | None = None

    def forward(self, input: Any) -> np.ndarray:
        """Return ``input * mask / (1 - p)`` in training mode and a copy of ``input`` in eval mode."""
        x = as_float_array(input, "input", "Dropout.forward")
        self._shape = x.shape
        if not self.training:
            self.mask, self._scale = None, None
            return x.copy()
        keep = self._rng.random(x.shape) >= self.p  # P(keep) = 1 - p
        scale = keep / (1.0 - self.p) if self.p < 1.0 else np.zeros(x.shape)
        self.mask, self._scale = keep, scale
        return x * scale

    def backward(self, grad_output: Any) -> np.ndarray:
        """Return ``grad_output * mask / (1 - p)`` for the last mask (``grad_output`` in eval mode)."""
        shape = self._cached("_shape")
        g = self._grad_output(grad_output, shape)
        return g.copy() if self._scale is None else g * self._scale

    def extra_repr(self) -> str:
        return f"p={self.p}"


# --------------------------------------------------------------------------------------------
# BatchNorm1d
# --------------------------------------------------------------------------------------------


class BatchNorm1d(Module):
    r"""Batch normalisation over a mini-batch, as ``torch.nn.BatchNorm1d``.

    Input ``(N, C)``, or ``(N, C, L)`` for sequences; each of the ``C`` features (channels) is
    normalised over the :math:`m = N` (or :math:`N L`) values it takes in the batch. In
    training mode, with the batch mean :math:`\mu_B` and the **biased** batch variance
    :math:`\sigma_B^2 = \frac1m \sum_i (x_i - \mu_B)^2`,

    .. math::

        \hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad
        y_i = \gamma\, \hat x_i + \beta,

    where :math:`\epsilon` sits inside the square root and :math:`\gamma` (``weight``, init 1)
    and :math:`\beta` (``bias``, init 0) are learned per feature. With ``track_running_stats``
    the running estimates are updated, with momentum :math:`\alpha` (the weight of the **new**
    statistic), from the **unbiased** batch variance:

    .. math::

        \hat\mu \leftarrow (1 - \alpha)\,\hat\mu + \alpha\,\mu_B, \qquad
        \hat\sigma^2 \leftarrow (1 - \alpha)\,\hat\sigma^2 + \alpha\,\tfrac{m}{m-1}\,\sigma_B^2 .

    ``momentum=None`` uses :math:`\alpha = 1/t` at the :math:`t`-th training batch
    (``num_batches_tracked``), i.e. the plain cumulative average of the batch statistics.
    In evaluation mode the running estimates replace :math:`\mu_B, \sigma_B^2`,
    :math:`y = \gamma (x - \hat\mu)/\sqrt{\hat\sigma^2 + \epsilon} + \beta`, and nothing is
    updated; without running statistics (``track_running_stats=False``) batch statistics are
    used in both modes, as in PyTorch. Example: one training step on the column
    :math:`(1, 2, 3, 4)` from :math:`(\hat\mu, \hat\sigma^2) = (0, 1)` gives running mean 0.25 and
    running variance :math:`0.9 + 0.1 \cdot 5/3 = 1.0\overline{6}` (the biased variance would
    give 1.025, which is not what PyTorch stores).

    Backward in training mode (the statistics depend on every example of the batch), with
    :math:`g = \partial\mathcal L/\partial y` and sums over the :math:`m` values of a feature:

    .. math::

        \frac{\partial\mathcal L}{\partial\gamma} = \sum_i g_i \hat x_i, \qquad
        \frac{\partial\mathcal L}{\partial\beta} = \sum_i g_i, \qquad
        \frac{\partial\mathcal L}{\partial x_i} = \frac{\gamma}{m\sqrt{\sigma_B^2 + \epsilon}}
        \Big[m\, g_i - \sum_j g_j - \hat x_i \sum_j g_j \hat x_j\Big].

    The two subtracted terms are the paths through :math:`\mu_B` and :math:`\sigma_B^2`: an
    upstream gradient that is affine in :math:`\hat x` is annihilated. In evaluation mode the
    layer is affine per feature and
    :math:`\partial\mathcal L/\partial x_i = \gamma\, g_i / \sqrt{\hat\sigma^2 + \epsilon}`.

    Parameters
    ----------
    num_features:
        ``C``, a positive int.
    eps:
        :math:`\epsilon > 0` added to the variance (default 1e-5).
    momentum:
        Weight :math:`\alpha \in [0, 1]` of the new batch statistic in the running averages
        (default 0.1), or None for the cumulative average.
    affine:
        If True (default) learn ``weight`` (:math:`\gamma`) and ``bias`` (:math:`\beta`);
        otherwise both are None and :math:`y = \hat x`.
    track_running_stats:
        If True (default) keep the buffers ``running_mean`` (init 0), ``running_var`` (init 1)
        and ``num_batches_tracked`` (init 0, an int64 0-d array, as PyTorch's long tensor);
        otherwise they are None and are not in ``state_dict()``.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        func = "BatchNorm1d"
        self.num_features = as_int(num_features, "num_features", func, minimum=1)
        self.eps = _check_eps(eps, func)
        if momentum is not None:
            momentum = as_real(momentum, "momentum", func)
            if not 0.0 <= momentum <= 1.0:
                raise ValueError(
                    f"{func}: momentum (the weight of the new batch statistic) must be in [0, 1] or None, "
                    f"got {momentum}"
                )
        self.momentum = momentum
        self.affine = _check_bool(affine, "affine", func)
        self.track_running_stats = _check_bool(track_running_stats, "track_running_stats", func)
        C = self.num_features
        if self.affine:
            self.weight = Parameter(np.ones(C))
            self.bias = Parameter(np.zeros(C))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(C))
            self.register_buffer("running_var", np.ones(C))
            self.register_buffer("num_batches_tracked", 0.0)
            self._buffers["num_batches_tracked"] = np.array(0, dtype=np.int64)  # PyTorch's dtype
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self._cache: tuple | None = None

    def reset_running_stats(self) -> None:
        """Set ``running_mean`` to 0, ``running_var`` to 1 and ``num_batches_tracked`` to 0."""
        if self.track_running_stats:
            self._buffers["running_mean"][...] = 0.0
            self._buffers["running_var"][...] = 1.0
            self._buffers["num_batches_tracked"][...] = 0

    def _axes(self, x: np.ndarray, func: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        C = self.num_features
        if x.ndim not in (2, 3) or x.shape[1] != C:
            raise ValueError(
                f"{func}: input must have shape (N, C) or (N, C, L) with C = num_features = {C}, got {x.shape}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, C) if x.ndim == 2 else (1, C, 1)
        return axes, shape

    def forward(self, input: Any) -> np.ndarray:
        """Normalise ``input`` with batch statistics (training) or running statistics (evaluation)."""
        func = "BatchNorm1d.forward"
        x = as_float_array(input, "input", func)
        axes, shape = self._axes(x, func)
        m = x.size // self.num_features
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            if m < 2:
                raise ValueError(
                    f"{func}: expected more than 1 value per feature to compute batch statistics, "
                    f"got input of shape {x.shape} (use a batch of at least 2, or eval mode)"
                )
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)  # biased (1/m): used for normalising
            if self.training and self.track_running_stats:
                nbt = self._buffers["num_batches_tracked"]
                nbt[...] += 1
                a = 1.0 / float(nbt) if self.momentum is None else self.momentum
                rm, rv = self._buffers["running_mean"], self._buffers["running_var"]
                rm[...] = (1.0 - a) * rm + a * mean
                rv[...] = (1.0 - a) * rv + a * var * (m / (m - 1))  # unbiased for the running estimate
        else:
            mean, var = self._buffers["running_mean"], self._buffers["running_var"]
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
        if self.affine:
            y = x_hat * self.weight.data.reshape(shape) + self.bias.data.reshape(shape)
        else:
            y = x_hat.copy()
        self._cache = (x_hat, inv_std.copy(), axes, shape, m, use_batch)
        return y

    def backward(self, grad_output: Any) -> np.ndarray:
        r"""Gradient w.r.t. the last input; adds :math:`\sum g \hat x` to ``weight.grad``, :math:`\sum g` to ``bias.grad``."""
        x_hat, inv_std, axes, shape, m, use_batch = self._cached("_cache")
        g = self._grad_output(grad_output, x_hat.shape)
        sum_g = g.sum(axis=axes)
        sum_g_xhat = (g * x_hat).sum(axis=axes)
        if self.affine:
            self.weight.grad += sum_g_xhat
            self.bias.grad += sum_g
            gamma = self.weight.data
        else:
            gamma = np.ones(self.num_features)
        scale = (gamma * inv_std).reshape(shape)
        if not use_batch:
            return g * scale
        return (scale / m) * (m * g - sum_g.reshape(shape) - x_hat * sum_g_xhat.reshape(shape))

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


# --------------------------------------------------------------------------------------------
# LayerNorm
# --------------------------------------------------------------------------------------------


class LayerNorm(Module):
    r"""Layer normalisation over the trailing dimensions, as ``torch.nn.LayerNorm``.

    Each example is normalised over its last ``len(normalized_shape)`` dimensions, the
    :math:`D = \prod` ``normalized_shape`` entries :math:`x_1, \dots, x_D` of one "row", with
    that row's mean and **biased** variance:

    .. math::

        \hat x_k = \frac{x_k - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        y_k = \gamma_k \hat x_k + \beta_k, \qquad
        \mu = \frac1D \sum_k x_k, \quad \sigma^2 = \frac1D \sum_k (x_k - \mu)^2 .

    Unlike batch norm the statistics belong to one example, so the layer does the same thing in
    training and evaluation mode, keeps no running statistics and works with a batch of one;
    :math:`\gamma` (``weight``, init 1) and :math:`\beta` (``bias``, init 0) have shape
    ``normalized_shape`` (one per entry, not per channel). The backward pass is batch norm's
    formula applied per row, with :math:`\delta_k = \gamma_k g_k`:

    .. math::

        \frac{\partial\mathcal L}{\partial x_k} = \frac{1}{D\sqrt{\sigma^2 + \epsilon}}
        \Big[D\,\delta_k - \sum_j \delta_j - \hat x_k \sum_j \delta_j \hat x_j\Big],

    and :math:`\partial\mathcal L/\partial\gamma = \sum g \odot \hat x`,
    :math:`\partial\mathcal L/\partial\beta = \sum g` over the leading (batch) dimensions.

    Parameters
    ----------
    normalized_shape:
        A positive int (the last dimension) or a tuple of positive ints (the trailing
        dimensions of the input).
    eps:
        :math:`\epsilon > 0` (default 1e-5).
    elementwise_affine:
        If True (default) learn ``weight``; otherwise ``weight`` and ``bias`` are None.
    bias:
        If False, no ``bias`` (PyTorch's argument of the same name); ignored without
        ``elementwise_affine``.
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        func = "LayerNorm"
        if isinstance(normalized_shape, Integral) and not isinstance(normalized_shape, bool):
            dims = (normalized_shape,)
        else:
            try:
                dims = tuple(normalized_shape)
            except TypeError:
                raise TypeError(
                    f"{func}: normalized_shape must be an int or a tuple of ints, got {type(normalized_shape).__name__}"
                ) from None
            if len(dims) == 0:
                raise ValueError(f"{func}: normalized_shape must have at least one dimension, got ()")
        self.normalized_shape = tuple(
            as_int(d, f"normalized_shape[{i}]", func, minimum=1) for i, d in enumerate(dims)
        )
        self.eps = _check_eps(eps, func)
        self.elementwise_affine = _check_bool(elementwise_affine, "elementwise_affine", func)
        use_bias = _check_bool(bias, "bias", func)
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape))
            if use_bias:
                self.bias = Parameter(np.zeros(self.normalized_shape))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self._cache: tuple | None = None

    def forward(self, input: Any) -> np.ndarray:
        """Normalise each example over the trailing ``normalized_shape`` dimensions."""
        func = "LayerNorm.forward"
        x = as_float_array(input, "input", func)
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k :] != self.normalized_shape:
            raise ValueError(
                f"{func}: input must end with the dimensions normalized_shape = {self.normalized_shape}, "
                f"got shape {x.shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)  # biased
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        y = x_hat.copy()
        if self.weight is not None:
            y = y * self.weight.data
        if self.bias is not None:
            y = y + self.bias.data
        self._cache = (x_hat, inv_std, axes)
        return y

    def backward(self, grad_output: Any) -> np.ndarray:
        """Gradient w.r.t. the last input; accumulates ``weight.grad`` and ``bias.grad``."""
        x_hat, inv_std, axes = self._cached("_cache")
        g = self._grad_output(grad_output, x_hat.shape)
        batch_axes = tuple(range(x_hat.ndim - len(axes)))
        if self.weight is not None:
            self.weight.grad += (g * x_hat).sum(axis=batch_axes)
            d = g * self.weight.data
        else:
            d = g
        if self.bias is not None:
            self.bias.grad += g.sum(axis=batch_axes)
        D = int(np.prod(self.normalized_shape))
        sum_d = d.sum(axis=axes, keepdims=True)
        sum_d_xhat = (d * x_hat).sum(axis=axes, keepdims=True)
        return (inv_std / D) * (D * d - sum_d - x_hat * sum_d_xhat)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
