"""Retrain the shipped torch models with fixed seeds and write their weights and metadata.

Usage::

    python -m helpers.models.train            # rewrite helpers/models/weights/ (about 40 s)
    python -m helpers.models.train --check    # retrain into a temporary folder, compare accuracies
    python -m helpers.models.train --out DIR  # write somewhere else
    python -m helpers.models.train --names cbm_independent cbm_leaky   # only these (metadata merged)

Training runs on one thread (``torch.set_num_threads(1)``): results then repeat bit for bit on a
machine; other thread counts or CPUs shift accuracies by up to about ``TOLERANCE``. ``RECIPES``
records every data seed, so a notebook can regenerate a model's training and test sets.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ..data import images, text
from . import _torch, cbm, cnn, transformer, vit

__all__ = ["RECIPES", "TOLERANCE", "check", "load_metadata", "retrain"]

TOLERANCE = 0.05  # 1- vs 2-thread training of the same recipe differed by up to 0.031 (clean CNN, no watermark)
RECIPES = {
    "cnn_clean": {"data": {"kind": "clean", "n_train": 3000, "n_test": 1000, "random_state": 1},
                  "no_watermark_test": {"n_images": 1000, "watermark": "none", "random_state": 3},
                  "epochs": 6, "random_state": 0},
    "cnn_shortcut": {"data": {"kind": "shortcut", "n_train": 3000, "n_test": 1000, "random_state": 2},
                     "no_watermark_test": {"n_images": 1000, "watermark": "none", "random_state": 3},
                     "epochs": 6, "random_state": 0},
    "transformer": {"train": {"n_texts": 4000, "random_state": 4}, "test": {"n_texts": 1000, "random_state": 5},
                    "length": 21, "epochs": 4, "random_state": 0},
    "vit": {"train": {"n_images": 3000, "noise": vit.NOISE, "random_state": 6},
            "test": {"n_images": 1000, "noise": vit.NOISE, "random_state": 7}, "epochs": 16, "random_state": 0},
    # Chapter 06's concept bottleneck models, on the clean CNN's training and test sets.
    "cbm_independent": {"data": {"kind": "clean", "n_train": 3000, "n_test": 1000, "random_state": 1},
                        "kind": "independent", "epochs": 20, "head_epochs": 30, "lr": 5e-3, "random_state": 0},
    "cbm_leaky": {"data": {"kind": "clean", "n_train": 3000, "n_test": 1000, "random_state": 1},
                  "kind": "leaky", "epochs": 30, "lr": 1e-2, "concept_weight": 2.0, "random_state": 0},
}
CAM_IMAGES = 200  # test images over which the Grad-CAM corner mass is averaged


def load_metadata() -> dict:
    """The metadata shipped with the weights: per model, its recipe, accuracies and training time."""
    return _torch.shipped_metadata()


def _corner_mass(model, data) -> float:
    """Mean share of Grad-CAM (captum LayerGradCam on conv3, ReLU, predicted class) in the watermark's
    8x8-pixel corner, i.e. the top-left 2x2 cells of the 8x8 map (chance: 4 / 64 = 0.0625)."""
    from captum.attr import LayerGradCam
    x = _torch.image_tensor(data.images[:CAM_IMAGES])
    target = _torch.predict(model, (x,))
    layer = getattr(model, cnn.CAM_LAYER)
    cam = LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True).detach()
    total = cam.sum(dim=(1, 2, 3))
    corner = cam[:, :, :2, :2].sum(dim=(1, 2, 3))
    keep = total > 0
    return float((corner[keep] / total[keep]).mean())


def _fit_cnn(name: str):
    recipe = RECIPES[name]
    train, test = images.make_shape_splits(**recipe["data"])
    absent = images.make_shapes(**recipe["no_watermark_test"])
    start = time.perf_counter()
    model = cnn.train_cnn(train, epochs=recipe["epochs"], random_state=recipe["random_state"])
    seconds = time.perf_counter() - start
    match = test.watermarks == test.labels
    metrics = {
        "train_accuracy": cnn.accuracy(model, train.images, train.labels),
        "test_accuracy": cnn.accuracy(model, test.images, test.labels),
        "test_accuracy_watermark_matches": cnn.accuracy(model, test.images[match], test.labels[match]),
        "test_accuracy_watermark_contradicts": cnn.accuracy(model, test.images[~match], test.labels[~match]),
        "test_accuracy_no_watermark": cnn.accuracy(model, absent.images, absent.labels),
        "gradcam_corner_mass": _corner_mass(model, test),
    }
    return model, metrics, seconds


def _fit_transformer(name: str = "transformer"):
    recipe = RECIPES[name]
    train = text.encode(text.make_corpus(**recipe["train"]), length=recipe["length"])
    test = text.encode(text.make_corpus(**recipe["test"]), length=recipe["length"])
    start = time.perf_counter()
    model = transformer.train_transformer(train, epochs=recipe["epochs"], random_state=recipe["random_state"])
    seconds = time.perf_counter() - start
    metrics = {"train_accuracy": transformer.accuracy(model, train.ids, train.labels, train.mask),
               "test_accuracy": transformer.accuracy(model, test.ids, test.labels, test.mask)}
    return model, metrics, seconds


def _fit_vit(name: str = "vit"):
    recipe = RECIPES[name]
    train, test = images.make_shapes(**recipe["train"]), images.make_shapes(**recipe["test"])
    start = time.perf_counter()
    model = vit.train_vit(train, epochs=recipe["epochs"], random_state=recipe["random_state"])
    seconds = time.perf_counter() - start
    metrics = {"train_accuracy": vit.accuracy(model, train.images, train.labels),
               "test_accuracy": vit.accuracy(model, test.images, test.labels)}
    return model, metrics, seconds


def _fit_cbm(name: str):
    recipe = RECIPES[name]
    train, test = images.make_shape_splits(**recipe["data"])
    settings = {k: v for k, v in recipe.items() if k not in ("data", "kind")}
    start = time.perf_counter()
    model = cbm.train_cbm(train, recipe["kind"], **settings)
    seconds = time.perf_counter() - start
    metrics = {}
    for split, data in (("train", train), ("test", test)):
        x = _torch.image_tensor(data.images)
        truth = torch.as_tensor(cbm.concept_labels(data.labels, data.watermarks, model.concept_names))
        with torch.no_grad():
            probabilities = torch.sigmoid(model.concept_logits(x))
            metrics[f"{split}_accuracy"] = float((model(x).argmax(1) == torch.as_tensor(data.labels)).double().mean())
        metrics[f"{split}_concept_accuracy"] = float(((probabilities > 0.5).float() == truth).double().mean())
    return model, metrics, seconds


_FITTERS = {"cnn_clean": _fit_cnn, "cnn_shortcut": _fit_cnn, "transformer": _fit_transformer, "vit": _fit_vit,
            "cbm_independent": _fit_cbm, "cbm_leaky": _fit_cbm}


def retrain(out_dir, *, names=tuple(RECIPES), verbose: bool = True) -> dict:
    """Retrain the named models on one thread; write ``<name>.pt`` and ``metadata.json`` to ``out_dir`` (the
    entries of models already in its metadata and not retrained are kept).

    Returns
    -------
    dict
        The metadata written: ``{name: {"recipe", "metrics", "seconds", "file"}, "torch": version}``.
    """
    unknown = set(names) - set(RECIPES)
    if unknown:
        raise ValueError(f"names must be among {tuple(RECIPES)}, got {sorted(unknown)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        previous = out / _torch.METADATA_FILE  # models not retrained keep their entries
        metadata = json.loads(previous.read_text()) if previous.is_file() else {}
        metadata.update({"torch": torch.__version__, "num_threads": 1})
        for name in names:
            model, metrics, seconds = _FITTERS[name](name)
            state = {key: value.detach().to(torch.float32).contiguous() for key, value in model.state_dict().items()}
            torch.save(state, out / f"{name}.pt")
            metadata[name] = {"file": f"{name}.pt", "recipe": RECIPES[name], "seconds": round(seconds, 2),
                              "metrics": {key: round(value, 4) for key, value in metrics.items()}}
            if verbose:
                print(f"{name}: {seconds:.1f} s, " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    finally:
        torch.set_num_threads(threads)
    (out / _torch.METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
    return metadata


def check(shipped: dict, fresh: dict, *, tolerance: float = TOLERANCE) -> list:
    """Lines describing every metric of ``fresh`` more than ``tolerance`` away from ``shipped`` (empty: agree)."""
    problems = []
    for name in RECIPES:
        if name not in fresh:
            continue
        for key, value in fresh[name]["metrics"].items():
            old = shipped.get(name, {}).get("metrics", {}).get(key)
            if old is None or not np.isclose(value, old, rtol=0, atol=tolerance):
                problems.append(f"{name}.{key}: shipped {old}, retrained {value}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.models.train", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="retrain into a temporary folder and compare")
    parser.add_argument("--out", default=None, help="folder for the weights (default: the shipped folder)")
    parser.add_argument("--names", nargs="+", default=list(RECIPES), choices=list(RECIPES), help="models to retrain")
    args = parser.parse_args(argv)
    if not args.check:
        out = Path(args.out) if args.out else Path(__file__).resolve().parent / _torch.WEIGHTS_FOLDER
        retrain(out, names=tuple(args.names))
        print(f"wrote {out}")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        fresh = retrain(folder, names=tuple(args.names))
    problems = check(load_metadata(), fresh)
    print("\n".join(problems) if problems else f"every accuracy within {TOLERANCE} of the shipped one")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
