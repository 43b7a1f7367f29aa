"""Check idioms for answers that take a torch model (chapters 04 onwards), apart from ``_idioms`` so
that the tabular chapters' checks never import torch.

- :class:`SpyNet`: the model handed to an answer; records every batch passed to ``forward`` (so a
  check knows exactly which inputs the answer evaluated: the points of an integration path, noisy
  copies, masked inputs) and refuses inputs of another dtype or device than the model's, noting it.
  It keeps recording through ``copy.deepcopy`` (an answer may cast a copy to float64) and under
  ``torch.func`` transforms (``vmap``, ``grad``, ``vjp``, ``jacrev``), whose batches it records row
  by row.
- :func:`call_model`: calls the answer through :func:`~helpers.checks._calls.call` and checks that it
  left the caller's input (values, ``requires_grad``, ``.grad``), the model's mode, parameters,
  buffers, submodules and hooks as they were, and no gradient in the parameters: references the
  check computes from the model after the call are computed on the model as it was before.
- :func:`tensor_result`: a returned tensor or array as a float64 array of the expected shape.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
import torch._C._functorch as _functorch
from torch import nn

from ._calls import Incorrect, StudentError, as_float_array, call

__all__ = ["SpyNet", "call_model", "tensor_result"]


def _plain(x: torch.Tensor) -> torch.Tensor:
    """A detached copy of ``x`` outside any ``torch.func`` transform: the wrappers of ``grad`` and ``jvp``
    are peeled, and each ``vmap`` level's batch dimension becomes rows (so a vmapped path of 51 points
    is recorded as 51 inputs)."""
    levels = 0
    while _functorch.is_functorch_wrapped_tensor(x):
        if _functorch.is_batchedtensor(x):
            x = _functorch.get_unwrapped(x).movedim(_functorch.maybe_get_bdim(x), 0)
            levels += 1
        else:
            x = _functorch.get_unwrapped(x)
    x = x.detach().clone()
    for _ in range(levels):  # (B_outer, B_inner, *shape) -> (B_outer * B_inner * batch, ...)
        x = x.flatten(0, 1) if x.dim() > 1 else x
    return x


class _Record:
    """What a spy saw, shared by the spy and its deep copies."""

    def __init__(self):
        self.batches: list[torch.Tensor] = []
        self.mismatch: tuple | None = None


class SpyNet(nn.Module):
    """Wraps a model (``.wrapped``); ``batches`` holds a detached copy of every input batch.

    An input whose dtype or device differs from the parameters' raises (as torch would) and is noted
    in ``mismatch`` = (input dtype, input device, model dtype, model device), so that
    :func:`call_model` can name the mistake instead of reporting a crash. A ``copy.deepcopy`` of the
    spy is a spy of a copy of the model that records into the same ``batches``.
    """

    def __init__(self, wrapped: nn.Module, _record: _Record | None = None):
        super().__init__()
        self.wrapped = wrapped
        self._record = _record if _record is not None else _Record()

    @property
    def batches(self) -> list[torch.Tensor]:
        return self._record.batches

    @property
    def mismatch(self) -> tuple | None:
        return self._record.mismatch

    def __deepcopy__(self, memo):
        twin = SpyNet(copy.deepcopy(self.wrapped, memo), self._record)
        twin.train(self.training)
        return twin

    def forward(self, x, *args, **kwargs):
        p = next(self.wrapped.parameters())
        if x.dtype != p.dtype or x.device != p.device:
            self._record.mismatch = (x.dtype, x.device, p.dtype, p.device)
            raise RuntimeError(f"input of dtype {x.dtype} on {x.device} for a model of dtype {p.dtype} on {p.device}")
        self._record.batches.append(_plain(x))
        return self.wrapped(x, *args, **kwargs)

    def rows(self) -> torch.Tensor:
        """Every evaluated input, in order, as float64: (n_evaluated, *input_shape)."""
        return torch.cat([b.double() for b in self.batches]) if self.batches else torch.empty(0)


def _state(model: nn.Module) -> tuple:
    """Modes, parameters' dtypes and gradient flags, and hooks: the model's and torch's global ones
    (``register_module_forward_hook`` and friends fire on every module)."""
    every = nn.modules.module
    return ([m.training for m in model.modules()], [(p.dtype, p.requires_grad) for p in model.parameters()],
            [len(m._forward_hooks) + len(m._backward_hooks) + len(m._forward_pre_hooks) for m in model.modules()]
            + [len(every._global_forward_hooks) + len(every._global_forward_pre_hooks)
               + len(every._global_backward_hooks)])


def _contents(model: nn.Module) -> tuple:
    """What the model computes with: its submodules and their attributes (a replaced ``forward`` or
    layer shows), and a copy of every parameter and buffer."""
    layout = [(name, id(m), type(m), sorted((k, id(v)) for k, v in vars(m).items()  # torch's own state is `_...`
                                            if not k.startswith("_") and k != "training"))
              for name, m in model.named_modules()]
    tensors = {f"{kind}:{name}": t.detach().clone() for kind, named in
               (("p", model.named_parameters()), ("b", model.named_buffers())) for name, t in named}
    return layout, tensors


def _torch_globals() -> tuple:
    """torch's process-wide switches that change what every later torch call computes."""
    return (torch.is_grad_enabled(), torch.get_default_dtype(), torch.is_inference_mode_enabled(),
            torch._C._len_torch_function_stack(), torch.is_anomaly_enabled())


def call_model(answer, model: nn.Module, x: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
    """``answer(model, x, *args, **kwargs)``, then check that it left everything it was given alone.

    Raises :class:`Incorrect` naming what changed: the caller's x (values, ``requires_grad``,
    ``.grad``), the model's train/eval mode, a parameter's dtype or ``requires_grad``, a hook left
    registered, gradients left in the parameters, or (through a :class:`SpyNet`) a call of the model
    on inputs of another dtype or device.
    """
    x_before, flag, before = x.detach().clone(), x.requires_grad, _state(model)
    layout, tensors = _contents(model)
    switches = _torch_globals()
    for p in model.parameters():
        p.grad = None
    try:
        result = call(answer, model, x, *args, **kwargs)
    except StudentError:
        if isinstance(model, SpyNet) and model.mismatch:
            dtype, device, p_dtype, p_device = model.mismatch
            raise Incorrect(f"your function called the model with {dtype} inputs on {device}, while x and the model are "
                            f"{p_dtype} on {p_device}: keep x's dtype and device, and convert a baseline to them "
                            "(`baseline.to(x)`) before building the path.") from None
        raise
    if _torch_globals() != switches:
        _restore_torch_globals(switches)
        raise Incorrect("your function left one of torch's global switches changed (grad mode, the default dtype, "
                        "inference or anomaly mode, or a torch function mode): use `with torch.no_grad():`-style "
                        "blocks, which put them back.")
    now_layout, now_tensors = _contents(model)
    if now_layout != layout:
        raise Incorrect("your function replaced part of the model (a layer, its `forward` or another attribute): "
                        "leave the model you are given as it is; work on `copy.deepcopy(model)` if you must.")
    changed = [k[2:].removeprefix("wrapped.") for k, t in tensors.items() if not torch.equal(now_tensors[k], t)]
    if changed:
        raise Incorrect(f"your function changed the model's weights (`{changed[0]}`): an explanation reads the "
                        "model, it never changes it; work on `copy.deepcopy(model)` if you must.")
    if x.requires_grad != flag or x.grad is not None or not torch.equal(x.detach(), x_before):
        raise Incorrect("your function changed the caller's x (its values, requires_grad or .grad): work on "
                        "`x.detach().clone().requires_grad_(True)`.")
    after = _state(model)
    if after[0] != before[0]:
        raise Incorrect("your function changed the model's mode (train/eval): leave it as you found it.")
    if after[1] != before[1]:
        raise Incorrect("your function changed the model's parameters (dtype or requires_grad): leave them alone.")
    if after[2] != before[2]:
        raise Incorrect("your function left a hook registered (on the model, or one of torch's global module "
                        "hooks): remove it (`handle.remove()`) before returning.")
    if any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in model.parameters()):
        raise Incorrect("your function left gradients in the model's parameters (`.grad`): take gradients with "
                        "`torch.autograd.grad(score, inputs)`, which touches no parameter.")
    return result


def _restore_torch_globals(switches: tuple) -> None:
    grad, dtype, _, modes, anomaly = switches
    while torch._C._len_torch_function_stack() > modes:
        torch._C._pop_torch_function_stack()
    torch.set_grad_enabled(grad)
    torch.set_default_dtype(dtype)
    torch.set_anomaly_enabled(anomaly)


def tensor_result(value: Any, shape: tuple, what: str, *, detached: bool = False) -> np.ndarray:
    """A tensor (any dtype or device) or array-like as a float64 array of ``shape``. With ``detached``
    (a task that says so), a tensor still attached to the autograd graph is Incorrect."""
    if detached and isinstance(value, torch.Tensor) and value.requires_grad:
        raise Incorrect(f"{what} is still attached to the autograd graph (requires_grad=True), which keeps the "
                        "graph and the model's activations alive: return it `.detach()`-ed, or as an array.")
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().double().numpy()
    array = as_float_array(value, what)
    if array.shape != tuple(shape):
        raise Incorrect(f"{what} should have shape {tuple(shape)}; yours has shape {array.shape}.")
    return array
