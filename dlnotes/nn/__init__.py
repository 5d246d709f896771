"""``dlnotes.nn``: a small NumPy deep-learning library whose interface mirrors ``torch.nn``.

* :mod:`dlnotes.nn.module` — :class:`Parameter` (``.data``, ``.grad``) and :class:`Module`
  (``forward``/``backward``, ``parameters()``, ``zero_grad()``, ``train()``/``eval()``,
  ``state_dict()``);
* :mod:`dlnotes.nn.layers` — :class:`Linear`, activation layers, :class:`Flatten`,
  :class:`Sequential`, :class:`MLP`, and :func:`to_torch`/:func:`from_torch`;
* :mod:`dlnotes.nn.conv` — :class:`Conv2d`, :class:`MaxPool2d` and :class:`AvgPool2d` (NCHW,
  built on :mod:`dlnotes.conv`);
* :mod:`dlnotes.nn.losses` — :class:`MSELoss`, :class:`CrossEntropyLoss`,
  :class:`BCEWithLogitsLoss`, :class:`GaussianNLLLoss` and their functional forms;
* :mod:`dlnotes.nn.functional` — activation functions and their derivatives;
* :mod:`dlnotes.nn.init` — PyTorch's initialisers (``xavier_uniform_``, ``kaiming_normal_``, ...).

Every layer caches its input in ``forward``; ``backward(grad_output)`` returns the gradient with
respect to that input and *accumulates* into its parameters' ``.grad``. A training step::

    model.zero_grad()
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    for p in model.parameters():
        p.data -= lr * p.grad

Book: chapter 04 (feedforward networks and backpropagation); chapters 05-07 build on it
(chapter 07 adds the convolution and pooling layers).
"""

from __future__ import annotations

from dlnotes.nn import functional, init
from dlnotes.nn.conv import AvgPool2d, Conv2d, MaxPool2d
from dlnotes.nn.layers import (
    ELU,
    GELU,
    MLP,
    SELU,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    PReLU,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softplus,
    Tanh,
    from_torch,
    to_torch,
)
from dlnotes.nn.losses import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    MSELoss,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    mse_loss,
)
from dlnotes.nn.module import Module, Parameter
from dlnotes.nn.normalization import BatchNorm1d, Dropout, LayerNorm

__all__ = [
    "Parameter",
    "Module",
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
    "Dropout",
    "BatchNorm1d",
    "LayerNorm",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "to_torch",
    "from_torch",
    "MSELoss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "GaussianNLLLoss",
    "mse_loss",
    "cross_entropy",
    "binary_cross_entropy_with_logits",
    "gaussian_nll_loss",
    "functional",
    "init",
]
