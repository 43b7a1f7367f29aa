"""What the tiny torch models share: input conversion, the seeded training loop, shipped weights,
and :func:`seeded`, which the chapter libraries also use to build their small random models.

Private to helpers: the public names live in ``cnn``, ``transformer`` and ``vit``.
"""

from __future__ import annotations

import importlib.resources
import json

import numpy as np
import torch
from torch import nn

from .._validation import check_float, check_int

WEIGHTS_PACKAGE = "helpers.models"
WEIGHTS_FOLDER = "weights"
METADATA_FILE = "metadata.json"


def seeded(build, random_state: int):
    """``build()`` after ``torch.manual_seed(random_state)``, inside ``torch.random.fork_rng``: the
    result repeats bit for bit for a seed, and the global torch RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int(random_state, "random_state", minimum=0))
        return build()


def weights_path(filename: str):
    """The shipped file ``filename`` in ``helpers/models/weights/`` (a path-like resource)."""
    return importlib.resources.files(WEIGHTS_PACKAGE).joinpath(WEIGHTS_FOLDER, filename)


def load_weights(model: nn.Module, filename: str) -> nn.Module:
    """Load the shipped state_dict ``filename`` into ``model`` and return it in eval mode."""
    path = weights_path(filename)
    if not path.is_file():
        raise FileNotFoundError(f"no shipped weights {filename!r} in helpers/models/{WEIGHTS_FOLDER}/: "
                                "run `python -m helpers.models.train` to write them")
    with path.open("rb") as handle:
        state = torch.load(handle, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def shipped_metadata() -> dict:
    """The metadata written with the shipped weights (accuracies, data seeds, settings)."""
    return json.loads(weights_path(METADATA_FILE).read_text())


def image_tensor(images, *, size: int = 32, name: str = "images") -> torch.Tensor:
    """Return images as a float32 tensor of shape (n, 1, size, size).

    Accepts an array or tensor of shape (n, size, size) or (n, 1, size, size).
    """
    if isinstance(images, torch.Tensor):
        tensor = images.detach()
    else:
        try:
            tensor = torch.as_tensor(np.asarray(images, dtype=np.float32))
        except (TypeError, ValueError) as error:
            raise TypeError(f"{name} must be a numeric array of shape (n, {size}, {size}) or "
                            f"(n, 1, {size}, {size}), got {type(images).__name__}: {error}") from None
    if tensor.ndim == 3:
        tensor = tensor[:, None]
    if tensor.ndim != 4 or tuple(tensor.shape[1:]) != (1, size, size):
        raise ValueError(f"{name} must have shape (n, {size}, {size}) or (n, 1, {size}, {size}), "
                         f"got {tuple(tensor.shape)}")
    return tensor.to(torch.float32)


def label_tensor(labels, n: int, n_classes: int) -> torch.Tensor:
    """Return labels as an int64 tensor of shape (n,) with values in [0, n_classes)."""
    tensor = torch.as_tensor(np.asarray(labels)) if not isinstance(labels, torch.Tensor) else labels
    if tensor.ndim != 1 or len(tensor) != n:
        raise ValueError(f"labels must have shape ({n},) (one per input), got {tuple(tensor.shape)}")
    if tensor.dtype.is_floating_point or tensor.dtype == torch.bool:
        raise TypeError(f"labels must be integers, got dtype {tensor.dtype}")
    if n and (tensor.min() < 0 or tensor.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got values from {int(tensor.min())} "
                         f"to {int(tensor.max())}")
    return tensor.to(torch.int64)


def check_input(x, shape: tuple, name: str, *, floating: bool = True) -> torch.Tensor:
    """Raise TypeError / ValueError unless ``x`` is a tensor matching ``shape`` (None: any size)."""
    kind = "a float" if floating else "an integer"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype.is_floating_point != floating or x.dtype == torch.bool:
        raise TypeError(f"{name} must be {kind} tensor, got dtype {x.dtype}")
    expected = "(" + ", ".join("batch" if i == 0 else ("*" if s is None else str(s))
                               for i, s in enumerate(shape)) + ")"
    if x.ndim != len(shape) or any(s is not None and x.shape[i] != s for i, s in enumerate(shape)):
        raise ValueError(f"{name} must have shape {expected}, got {tuple(x.shape)}")
    return x


def _progress(iterable, *, enabled: bool, desc: str):
    """Wrap ``iterable`` in a tqdm bar if ``enabled`` and tqdm is installed, else return it."""
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=desc, leave=False)


def fit(model: nn.Module, inputs: tuple, labels: torch.Tensor, *, epochs: int, lr: float,
        batch_size: int, augment=None, progress: bool = False, desc: str = "training") -> nn.Module:
    """Train ``model(*inputs)`` with Adam and cross-entropy; shuffles from the global torch RNG.

    Parameters
    ----------
    model : nn.Module
    inputs : tuple of Tensor, each of length n
        The positional arguments of the model, batched along the first axis.
    labels : Tensor of shape (n,), int64
    epochs, lr, batch_size
    augment : callable, optional
        ``augment(batch_inputs) -> batch_inputs``, applied to every batch (drawn from the global RNG).
    progress : bool, default=False

    Returns
    -------
    nn.Module
        ``model``, trained, in eval mode.
    """
    epochs = check_int(epochs, "epochs", minimum=1)
    lr = check_float(lr, "lr", low=0.0)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in _progress(range(epochs), enabled=progress, desc=desc):
        order = torch.randperm(len(labels))
        for start in range(0, len(labels), batch_size):
            index = order[start:start + batch_size]
            batch = tuple(x[index] for x in inputs)
            if augment is not None:
                batch = augment(batch)
            optimizer.zero_grad()
            loss = loss_fn(model(*batch), labels[index])
            loss.backward()
            optimizer.step()
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, inputs: tuple, *, batch_size: int = 500) -> torch.Tensor:
    """Predicted classes, shape (n,), of ``model(*inputs)`` in eval mode, batch by batch."""
    was_training = model.training
    model.eval()
    n = len(inputs[0])
    out = [model(*(x[i:i + batch_size] for x in inputs)).argmax(dim=1) for i in range(0, n, batch_size)]
    model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.int64)


def accuracy_of(model: nn.Module, inputs: tuple, labels: torch.Tensor) -> float:
    """Share of inputs whose predicted class equals the label."""
    if len(labels) == 0:
        raise ValueError("accuracy needs at least one input, got 0")
    return float((predict(model, inputs) == labels).double().mean())
