"""Tests of dlnotes.nn.module: Parameter, Module registration, accumulation, modes and state dicts.

The oracle is torch.nn: names, order and de-duplication of parameters, state_dict keys, and
gradients (two backward passes give twice torch's gradients).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import dlnotes.nn as nn

ATOL = 1e-10


def T(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def torch_forward_backward(tmod, x, g):
    """Output, input gradient and {name: grad} of a torch module for upstream gradient g."""
    xt = T(x, grad=True)
    tmod.zero_grad()
    y = tmod(xt)
    y.backward(T(g))
    grads = {n: p.grad.numpy().copy() for n, p in tmod.named_parameters()}
    return y.detach().numpy(), xt.grad.numpy(), grads


@pytest.fixture
def rng():
    return np.random.default_rng(3)


# --------------------------------------------------------------------------------------------
# accumulation and zero_grad
# --------------------------------------------------------------------------------------------


def _backward_twice_doubles(mod, x, g):
    mod.zero_grad()
    mod(x)
    mod.backward(g)
    once = [p.grad.copy() for p in mod.parameters()]
    mod.backward(g)
    return all(np.allclose(p.grad, 2 * o, rtol=1e-13, atol=0) for p, o in zip(mod.parameters(), once))


def test_backward_accumulates_and_zero_grad_resets(rng):
    model = nn.MLP([4, 6, 3], activation="tanh", rng=rng)
    x, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    assert _backward_twice_doubles(model, x, g)
    # the doubled gradients are twice torch's
    _, _, want = torch_forward_backward(nn.to_torch(model), x, g)
    for n, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * want[n], rtol=0, atol=ATOL)
    model.zero_grad()
    assert all(np.all(p.grad == 0) and p.grad.shape == p.shape for p in model.parameters())


class _OverwritingLinear(nn.Linear):
    """A broken Linear that assigns its gradients instead of accumulating them."""

    def backward(self, grad_output):
        X = self._cached("_input")
        self.weight.grad = grad_output.T @ X
        self.bias.grad = grad_output.sum(axis=0)
        return grad_output @ self.weight.data


def test_accumulation_check_detects_a_non_accumulating_layer(rng):
    x, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    assert not _backward_twice_doubles(_OverwritingLinear(4, 3, rng=0), x, g)
    assert _backward_twice_doubles(nn.Linear(4, 3, rng=0), x, g)


def test_parameter_basics():
    p = nn.Parameter([[1, 2, 3]])
    assert p.data.dtype == np.float64 and p.shape == (1, 3) and np.all(p.grad == 0)
    src = np.ones(3)
    q = nn.Parameter(src)
    src[0] = 5.0
    assert q.data[0] == 1.0  # a copy
    assert "Parameter containing" in repr(q)
    with pytest.raises(ValueError, match="Parameter: data must contain only finite"):
        nn.Parameter([np.nan])


# --------------------------------------------------------------------------------------------
# containers and registration
# --------------------------------------------------------------------------------------------


def test_sequential_indexing_iteration_and_errors():
    layers = [nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers and seq[0] is layers[0] and seq[-1] is layers[2]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is layers[1]
    with pytest.raises(IndexError):
        seq[3]
    with pytest.raises(TypeError, match=r"argument 1 must be a Module, got type \(did you pass the class"):
        nn.Sequential(nn.ReLU(), nn.ReLU)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2, rng=0)), ("act", nn.ReLU())]))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and "(3): Sigmoid()" in repr(seq)


class _Net(nn.Module):
    """A custom module: registration order must be definition order, as in torch."""

    def __init__(self, rng):
        super().__init__()
        self.scale = nn.Parameter(np.array([1.5]))
        self.body = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh())
        self.head = nn.Linear(4, 2, rng=rng)
        self.note = "not registered"

    def forward(self, x):
        return self.head(self.body(x)) * self.scale.data


class _TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
        self.body = torch.nn.Sequential(torch.nn.Linear(3, 4, dtype=torch.float64), torch.nn.Tanh())
        self.head = torch.nn.Linear(4, 2, dtype=torch.float64)


def test_custom_module_registers_in_definition_order_like_torch(rng):
    net, tnet = _Net(rng), _TorchNet()
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert [n for n, _ in net.named_children()] == ["body", "head"]
    assert [type(m).__name__ for m in net.modules()] == ["_Net", "Sequential", "Linear", "Tanh", "Linear"]
    assert list(net.state_dict()) == list(tnet.state_dict())
    net.eval()
    assert not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    with pytest.raises(TypeError, match="cannot assign ndarray as parameter 'scale'"):
        net.scale = np.ones(1)
    del net.head
    assert [n for n, _ in net.named_parameters()] == ["scale", "body.0.weight", "body.0.bias"]
    with pytest.raises(NotImplementedError, match="backward is not implemented"):
        net.backward(np.zeros((1, 2)))


def test_shared_layer_is_counted_once_like_torch(rng):
    shared = nn.Linear(3, 3, rng=rng)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    tshared = torch.nn.Linear(3, 3, dtype=torch.float64)
    tmodel = torch.nn.Sequential(tshared, torch.nn.Tanh(), tshared)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in tmodel.named_parameters()]
    assert len(model.parameters()) == 2


def test_assigning_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))

    with pytest.raises(AttributeError, match="call super\\(\\).__init__\\(\\) first"):
        Bad()


# --------------------------------------------------------------------------------------------
# state_dict
# --------------------------------------------------------------------------------------------


def test_state_dict_round_trip_and_copies(rng):
    a, b = nn.MLP([4, 5, 2], rng=1), nn.MLP([4, 5, 2], rng=2)
    x = rng.normal(size=(3, 4))
    sd = a.state_dict()
    a[0].weight.data += 1.0  # the saved state is a copy
    assert not np.array_equal(sd["0.weight"], a[0].weight.data)
    ref = nn.MLP([4, 5, 2], rng=1)
    b_weight = b[0].weight
    b.load_state_dict(sd)
    assert b[0].weight is b_weight  # loaded in place
    np.testing.assert_array_equal(b(x), ref(x))


def test_load_state_dict_errors_name_the_keys():
    m = nn.MLP([2, 3, 1], rng=0)
    sd = m.state_dict()
    bad = OrderedDict(sd)
    del bad["2.bias"]
    bad["3.weight"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys: \['2.bias'\]; unexpected keys: \['3.weight'\]"):
        m.load_state_dict(bad)
    missing, unexpected = m.load_state_dict(bad, strict=False)
    assert missing == ["2.bias"] and unexpected == ["3.weight"]
    wrong = OrderedDict(sd)
    wrong["0.weight"] = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"state_dict\['0.weight'\] must have shape \(3, 2\), got \(2, 3\)"):
        m.load_state_dict(wrong)


def test_load_state_dict_accepts_a_torch_state_dict(rng):
    t = torch.nn.Sequential(
        torch.nn.Linear(3, 4, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(4, 2, dtype=torch.float64),
    )
    m = nn.MLP([3, 4, 2], rng=0)
    m.load_state_dict(t.state_dict())
    x = rng.normal(size=(5, 3))
    np.testing.assert_allclose(m(x), t(T(x)).detach().numpy(), rtol=0, atol=ATOL)


class _WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 3, rng=0)
        self.register_buffer("running_mean", np.zeros(3))
        self.gain = nn.Parameter(np.ones(3))


class _TorchWithBuffer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 3)
        self.register_buffer("running_mean", torch.zeros(3))
        self.gain = torch.nn.Parameter(torch.ones(3))


def test_buffers_are_saved_and_loaded_but_are_not_parameters():
    m, t = _WithBuffer(), _TorchWithBuffer()
    assert list(m.state_dict()) == list(t.state_dict())  # torch's order: own params, buffers, children
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == ["running_mean"]
    sd = m.state_dict()
    sd["running_mean"] = np.array([1.0, 2.0, 3.0])
    m.load_state_dict(sd)
    np.testing.assert_array_equal(m.running_mean, [1.0, 2.0, 3.0])
    m.running_mean = np.array([4.0, 5.0, 6.0])  # assigning an array updates the buffer
    assert m.state_dict()["running_mean"][0] == 4.0


def test_reassigning_a_parameter_keeps_its_position_like_torch():
    m, t = _WithBuffer(), _TorchWithBuffer()
    m.fc = nn.Linear(2, 3, rng=1)
    t.fc = torch.nn.Linear(2, 3)
    m.gain = nn.Parameter(np.zeros(3))
    t.gain = torch.nn.Parameter(torch.zeros(3))
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]


def test_repr_matches_torch_layout():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Sequential(nn.Tanh()))
    want = repr(
        torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Tanh()))
    )
    assert repr(model) == want


def test_zero_grad_follows_a_resized_parameter():
    p = nn.Parameter(np.ones((2, 2)))
    p.data = np.ones(5)
    p.zero_grad()
    assert p.grad.shape == (5,)


def test_train_requires_a_bool():
    with pytest.raises(TypeError, match="mode must be a bool"):
        nn.ReLU().train("yes")


def test_public_api_is_listed_and_documented():
    import inspect

    from dlnotes.nn import functional, init, layers, losses, module

    for mod in (nn, functional, init, layers, losses, module):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj) or inspect.ismodule(obj):
                assert obj.__doc__ and obj.__doc__.strip(), f"{mod.__name__}.{name} has no docstring"
    expected = {
        "Parameter", "Module", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "ELU", "SELU", "GELU", "SiLU",
        "Softplus", "Identity", "Flatten", "Sequential", "MLP", "to_torch", "from_torch", "MSELoss",
        "CrossEntropyLoss", "BCEWithLogitsLoss", "GaussianNLLLoss", "mse_loss", "cross_entropy",
        "binary_cross_entropy_with_logits", "gaussian_nll_loss", "functional", "init",
    }  # fmt: skip
    assert expected <= set(nn.__all__)
    assert {"xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "zeros_", "constant_",
            "uniform_", "normal_", "calculate_gain", "calculate_fans", "relu_moments",
            "activation_stats_through_depth"} <= set(init.__all__)  # fmt: skip


def test_deepcopy_gives_independent_parameters(rng):
    import copy

    model = nn.MLP([3, 4, 2], rng=0)
    clone = copy.deepcopy(model)
    assert clone[0].weight is not model[0].weight
    x = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(clone(x), model(x))
    clone[0].weight.data += 1.0
    assert not np.array_equal(clone(x), model(x))
