"""Unit tests of the torch check idioms (helpers.checks._torch): the spy model and the guarded call."""

import numpy as np
import pytest
import torch

from helpers.checks._core import Incorrect, StudentError
from helpers.checks._torch import SpyNet, call_model, tensor_result
from helpers.lib import ch04 as lib


@pytest.fixture
def model():
    return lib.random_cnn(0, width=3)


def test_spy_records_every_batch_and_names_a_dtype_mismatch(model):
    spy = SpyNet(model)
    x = lib.random_images(0, (2, 1, 8, 8))
    spy(x)
    spy(x[:1])
    assert [len(b) for b in spy.batches] == [2, 1] and spy.rows().shape == (3, 1, 8, 8)
    with pytest.raises(RuntimeError, match="float64"):
        spy(x.double())
    assert spy.mismatch[0] == torch.float64


def test_call_model_turns_a_mismatch_into_incorrect(model):
    x = lib.random_images(0, (2, 1, 8, 8))
    with pytest.raises(Incorrect, match="baseline.to"):
        call_model(lambda m, x: m(x.double()), SpyNet(model), x)
    with pytest.raises(StudentError):
        call_model(lambda m, x: 1 / 0, model, x)


@pytest.mark.parametrize(("answer", "pattern"), [
    (lambda m, x: x.requires_grad_(True), "caller's x"),
    (lambda m, x: m.train(), "mode"),
    (lambda m, x: m.fc.weight.requires_grad_(False), "parameters"),
    (lambda m, x: m.conv1.register_forward_hook(lambda *a: None), "hook"),
    (lambda m, x: m(x).sum().backward(), "gradients in the model's parameters"),
])
def test_call_model_names_what_the_answer_changed(model, answer, pattern):
    x = lib.random_images(0, (2, 1, 8, 8))
    with pytest.raises(Incorrect, match=pattern):
        call_model(answer, model, x)


def test_call_model_names_a_global_module_hook_left_registered(model):
    handles = []
    x = lib.random_images(0, (2, 1, 8, 8))
    try:
        with pytest.raises(Incorrect, match="global module hooks"):
            call_model(lambda m, x: handles.append(
                torch.nn.modules.module.register_module_forward_hook(lambda *a: None)), model, x)
    finally:
        for handle in handles:
            handle.remove()


def test_call_model_accepts_an_answer_that_changes_nothing(model):
    x = lib.random_images(0, (2, 1, 8, 8))
    def gradient(m, x):
        inputs = x.detach().clone().requires_grad_(True)
        return torch.autograd.grad(m(inputs)[:, 0].sum(), inputs)[0]
    assert call_model(gradient, model, x).shape == x.shape


def test_tensor_result_converts_and_checks_the_shape():
    value = torch.ones(2, 3, requires_grad=True) * 2
    assert np.array_equal(tensor_result(value, (2, 3), "yours"), np.full((2, 3), 2.0))
    with pytest.raises(Incorrect, match="shape"):
        tensor_result(np.zeros(3), (2, 3), "yours")
    with pytest.raises(Incorrect, match="still attached to the autograd graph"):
        tensor_result(value, (2, 3), "yours", detached=True)
    assert tensor_result(value.detach(), (2, 3), "yours", detached=True).shape == (2, 3)


def _zero_weights(m, x):
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
    return torch.zeros_like(x)


def _enter_function_mode(m, x):
    torch.overrides.TorchFunctionMode().__enter__()
    return x


@pytest.mark.parametrize(("answer", "pattern"), [
    (_zero_weights, "changed the model's weights"),
    (lambda m, x: setattr(m, "forward", lambda z: z), "replaced part of the model"),
    (lambda m, x: setattr(m, "fc", torch.nn.Linear(3, 2)), "replaced part of the model"),
    (lambda m, x: torch.set_grad_enabled(False), "global switches"),
    (lambda m, x: torch.set_default_dtype(torch.float64), "global switches"),
    (_enter_function_mode, "global switches"),
], ids=["zeroed weights", "forward replaced", "layer replaced", "grad mode off", "default dtype", "function mode"])
def test_an_answer_that_changes_what_the_model_computes_is_incorrect(model, answer, pattern):
    x = lib.random_images(0, (2, 1, 8, 8))
    weights = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(Incorrect, match=pattern):
        call_model(answer, model, x)
    assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32  # put back for later checks
    assert torch._C._len_torch_function_stack() == 0
    if answer is _zero_weights:
        assert all(not torch.equal(p, w) or not w.any() for p, w in zip(model.parameters(), weights))


def test_hooks_registered_and_removed_are_no_change(model):
    x = lib.random_images(0, (2, 1, 8, 8))

    def hooks(m, x):
        handles = [m.conv1.register_forward_hook(lambda *a: None),
                   m.conv1.register_full_backward_hook(lambda *a: None)]
        for handle in handles:
            handle.remove()
        return x

    call_model(hooks, model, x)


def test_the_spy_records_through_a_deep_copy_and_torch_func(model):
    import copy

    from torch.func import grad, vmap
    x = lib.random_images(0, (3, 1, 8, 8))
    spy = SpyNet(model)
    twin = copy.deepcopy(spy).double()
    twin(x.double())
    assert len(spy.batches) == 1 and spy.batches[0].dtype == torch.float64
    assert next(spy.wrapped.parameters()).dtype == torch.float32  # the copy was cast, not the model
    alphas = torch.linspace(0, 1, 5)
    vmap(grad(lambda a: spy(a * x)[:, 0].sum()))(alphas)
    assert spy.batches[-1].shape == (15, 1, 8, 8)  # 5 path points x 3 images, unwrapped row by row
    assert torch.allclose(spy.batches[-1].view(5, 3, 1, 8, 8)[2], 0.5 * x)
