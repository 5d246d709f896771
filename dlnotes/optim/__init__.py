r"""``dlnotes.optim``: optimizers, learning-rate schedules and optimization tools (chapter 05).

The optimizers mirror ``torch.optim`` on purpose -- names, arguments, defaults and the exact
update rules -- and operate on :class:`dlnotes.nn.Parameter` objects (``p.data`` is updated in
place from ``p.grad``). For any hyperparameters and gradient sequence their iterates equal
``torch.optim``'s in float64 (the tests compare 30-step trajectories to 1e-10).

* :mod:`dlnotes.optim.optimizer` -- :class:`Optimizer` (``param_groups``, ``state``,
  ``zero_grad``, ``step``, ``state_dict``/``load_state_dict``, ``add_param_group``);
* :class:`SGD` (momentum, dampening, Nesterov), :class:`Adagrad`, :class:`RMSprop`,
  :class:`Adadelta`, :class:`Adam` (AMSGrad), :class:`AdamW`, :class:`Adamax`, :class:`NAdam`;
* :mod:`dlnotes.optim.lr_scheduler` -- ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``,
  ``CyclicLR``, ``LambdaLR``, ``LinearLR`` and the factories ``linear_warmup`` and
  ``warmup_inverse_sqrt``;
* :mod:`dlnotes.optim.testfns` (quadratic, Rosenbrock, Beale, saddle, Himmelblau),
  :mod:`dlnotes.optim.functional` (``newton``, ``run``, gradient descent),
  :mod:`dlnotes.optim.linesearch` (golden section, backtracking) and
  :mod:`dlnotes.optim.landscape` (minibatches, gradient noise, loss-landscape slices, Hessian
  eigenvalues); their public names are re-exported here.

A training step::

    opt = dlnotes.optim.Adam(model.parameters(), lr=1e-3)
    sched = dlnotes.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
    for epoch in range(100):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        opt.step()
        sched.step()

Conventions pinned by the tests (chapter 05, section 3.0): epsilon outside the square root;
step counts start at 1; weight decay is coupled L2 except in ``AdamW`` (decoupled); SGD's
momentum buffer starts at the first gradient; parameters whose ``grad`` is ``None`` are
skipped. Textbook variants are opt-in keyword flags (``eps_inside_sqrt`` for Adagrad and
RMSprop, ``momentum_decay=None`` for Dozat's constant-momentum NAdam).
"""

from __future__ import annotations

import time

from dlnotes.optim import lr_scheduler
from dlnotes.optim.adadelta import Adadelta
from dlnotes.optim.adagrad import Adagrad
from dlnotes.optim.adam import Adam, Adamax, AdamW, NAdam
from dlnotes.optim.optimizer import EmptyParameterListError, Optimizer
from dlnotes.optim.rmsprop import RMSprop
from dlnotes.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "EmptyParameterListError",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "lr_scheduler",
    "benchmark_adam_step",
]


def benchmark_adam_step(
    n_params: int = 1_000_000, n_steps: int = 50, repeat: int = 3, torch_threads: int | None = None
) -> tuple[float, float]:
    """Seconds per ``step()`` of :class:`Adam` and of ``torch.optim.Adam`` on the same model.

    The "model" has ``n_params`` float64 parameters in three tensors (70 %, 20 % and 10 % of
    the total, like the layers of an MLP); both optimizers get the same fixed gradient and
    default hyperparameters, and ``torch.optim.Adam`` runs its default implementation. After
    three warm-up steps, ``n_steps`` steps are timed ``repeat`` times, alternating between the
    two libraries, and the best time per step of each is returned.

    NumPy's elementwise operations are single-threaded; PyTorch's use ``torch.get_num_threads()``
    threads unless ``torch_threads`` is given (restored afterwards). On a loaded machine
    PyTorch's multithreaded kernels slow down far more than NumPy's, so the ratio depends on the
    load; ``torch_threads=1`` gives the steadiest comparison.

    Returns
    -------
    tuple
        ``(dlnotes_seconds_per_step, torch_seconds_per_step)``; their ratio is what
        ``make bench`` reports (the target is a ratio of 2 or less).
    """
    import numpy as np
    import torch

    from dlnotes._validation import as_int
    from dlnotes.nn.module import Parameter

    n = as_int(n_params, "n_params", "benchmark_adam_step", minimum=3)
    k = as_int(n_steps, "n_steps", "benchmark_adam_step", minimum=1)
    r = as_int(repeat, "repeat", "benchmark_adam_step", minimum=1)
    threads = None if torch_threads is None else as_int(torch_threads, "torch_threads", "benchmark_adam_step", minimum=1)
    sizes = [int(0.7 * n), int(0.2 * n)]
    sizes.append(n - sum(sizes))
    rng = np.random.default_rng(0)
    ours, theirs = [], []
    for s in sizes:
        p = Parameter(rng.normal(size=s))
        p.grad = rng.normal(size=s)
        ours.append(p)
        tp = torch.nn.Parameter(torch.from_numpy(p.data.copy()))
        tp.grad = torch.from_numpy(p.grad.copy())
        theirs.append(tp)
    opt = Adam(ours)
    topt = torch.optim.Adam(theirs)
    best = [float("inf"), float("inf")]
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        for _ in range(3):
            opt.step()
            topt.step()
        for _ in range(r):
            for i, o in enumerate((opt, topt)):
                start = time.perf_counter()
                for _ in range(k):
                    o.step()
                best[i] = min(best[i], (time.perf_counter() - start) / k)
    finally:
        torch.set_num_threads(old_threads)
    return best[0], best[1]


# ---------------------------------------------------------------------------------------------
# Test functions, functional optimizers, line search and loss landscapes live in their own
# modules; their public names (each module's __all__) are re-exported here, so that
# ``dlnotes.optim.newton``, ``dlnotes.optim.rosenbrock`` etc. work. Imported last: ``run``
# looks the optimizer classes above up lazily.
# ---------------------------------------------------------------------------------------------
from dlnotes.optim import functional, landscape, linesearch, testfns  # noqa: E402
from dlnotes.optim.functional import *  # noqa: E402,F401,F403
from dlnotes.optim.landscape import *  # noqa: E402,F401,F403
from dlnotes.optim.linesearch import *  # noqa: E402,F401,F403
from dlnotes.optim.testfns import *  # noqa: E402,F401,F403

__all__ += ["testfns", "functional", "linesearch", "landscape"]
__all__ += [*testfns.__all__, *functional.__all__, *linesearch.__all__, *landscape.__all__]
