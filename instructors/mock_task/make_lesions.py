"""Build the data set and retrain the model of the round-2 mock task (solutions/09-mock-task).

INSTRUCTORS ONLY: this file describes the flaw the students must find. It lives outside the installed
``helpers`` package on purpose; never copy its text into helpers/ or course/.

The data: 32x32 grayscale crops of a skin lesion from two clinics, A and B. The label (1 malignant,
0 benign) depends only on the lesion: malignant lesions have more irregular borders and darker dots,
with overlapping distributions, so that a CNN that reads only the lesion reaches about 0.87 accuracy.
The flaw: clinic B's camera stamps a small dark bar (a scale bar, 2 x 6 pixels at rows 27-28, columns
24-29: the bottom-right 8x8 block of the image) on every image, and clinic B sees mostly malignant
lesions (85%) while clinic A sees mostly benign ones (15% malignant). The bar therefore predicts the
label on the training AND the test split (both drawn from the same clinics), and the shipped CNN learns
it: its test accuracy (about 0.91) beats a CNN trained without the bar (about 0.87), while its errors
sit where the bar and the lesion disagree (benign lesions at clinic B, malignant ones at clinic A).
This is the shortcut of Zech et al. (2018, hospital tokens on chest X-rays) and Winkler et al. (2019,
surgical skin markings on dermoscopy images).

Usage (from the repository root)::

    .venv/bin/python instructors/mock_task/make_lesions.py            # rewrite the data file and the weights
    .venv/bin/python instructors/mock_task/make_lesions.py --check    # regenerate into a temporary folder, compare

The data file is generated bit for bit from ``SEED`` (numpy only). The model is retrained on one
thread (``torch.set_num_threads(1)``), so it repeats bit for bit on one machine; other machines may
differ slightly, hence the tolerance of ``--check``. ``metrics.json`` beside this file records what the
shipped model does (the numbers the mark scheme quotes).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 9
SIZE = 32
N_TRAIN, N_TEST = 3000, 1000
MALIGNANT_SHARE = {"A": 0.15, "B": 0.85}          # the clinics' case mixes
BAR_ROWS, BAR_COLS = slice(27, 29), slice(24, 30)  # clinic B's scale bar: inside the bottom-right 8x8 block
BAR_DEPTH = 0.3                                    # how much darker than the skin the bar is
AMPLITUDE = {0: (0.0, 0.22), 1: (0.18, 0.5)}       # border irregularity, benign / malignant (overlapping)
DOT_CONTRAST = {0: (0.0, 0.1), 1: (0.05, 0.25)}    # darker dots inside the lesion
EPOCHS, TRAIN_SEED = 8, 0
TOLERANCE = 0.05  # retraining on another machine: accuracies within this of metrics.json


def _draw(n: int, rng: np.random.Generator, *, bar: bool = True):
    """n noise-free images (n, 32, 32) in [0, 1], their labels (n,) and clinics (n,) "A"/"B"."""
    clinic = np.where(rng.random(n) < 0.5, "B", "A")
    share = np.where(clinic == "B", MALIGNANT_SHARE["B"], MALIGNANT_SHARE["A"])
    labels = (rng.random(n) < share).astype(np.int64)
    skin = rng.uniform(0.55, 0.75, n)
    lesion = rng.uniform(0.2, 0.4, n)
    cy, cx = 16 + rng.uniform(-3, 3, n), 16 + rng.uniform(-3, 3, n)
    radius = rng.uniform(4.5, 7.0, n)
    low, high = np.where(labels == 1, AMPLITUDE[1][0], AMPLITUDE[0][0]), np.where(labels == 1, AMPLITUDE[1][1],
                                                                                   AMPLITUDE[0][1])
    amplitude = rng.uniform(low, high)
    low, high = (np.where(labels == 1, DOT_CONTRAST[1][k], DOT_CONTRAST[0][k]) for k in (0, 1))
    dots = rng.uniform(low, high)
    rows, cols = np.indices((SIZE, SIZE))
    images = np.empty((n, SIZE, SIZE))
    for i in range(n):
        dy, dx = rows - cy[i], cols - cx[i]
        angle, distance = np.arctan2(dy, dx), np.hypot(dy, dx)
        k1, k2 = rng.integers(3, 8), rng.integers(2, 5)
        p1, p2 = rng.uniform(0, 2 * np.pi, 2)
        border = radius[i] * (1 + amplitude[i] * (0.7 * np.sin(k1 * angle + p1) + 0.5 * np.sin(k2 * angle + p2)))
        inside = np.clip(border - distance + 0.5, 0, 1)
        image = skin[i] + (lesion[i] - skin[i]) * inside
        for _ in range(rng.integers(3, 7)):
            a, r = rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.7) * radius[i]
            py, px = cy[i] + r * np.sin(a), cx[i] + r * np.cos(a)
            image -= dots[i] * np.exp(-((rows - py) ** 2 + (cols - px) ** 2) / (2 * 0.8 ** 2))
        images[i] = image
    if bar:
        stamped = clinic == "B"
        images[stamped, BAR_ROWS, BAR_COLS] = (skin[stamped] - BAR_DEPTH)[:, None, None]
    return np.clip(images, 0, 1), labels, clinic


def build(seed: int = SEED, *, bar: bool = True) -> dict:
    """The arrays of the data file: uint8 images (noise is added by the loader), labels, clinics."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", N_TRAIN), ("test", N_TEST)):
        images, labels, clinic = _draw(n, rng, bar=bar)
        arrays[f"{split}_images"] = np.round(images * 255).astype(np.uint8)
        arrays[f"{split}_labels"] = labels
        arrays[f"{split}_clinic"] = clinic
    return arrays


def write_data(path: Path, arrays: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def _without_bar(images: np.ndarray, clinic: np.ndarray) -> np.ndarray:
    """Clinic B's images with the bar painted over by the skin next to it (the row above the bar)."""
    out = images.copy()
    b = clinic == "B"
    out[np.ix_(b, range(27, 29), range(24, 30))] = out[b][:, 25:26, 24:30]
    return out


def _rates(p, y, clinic):
    return {c: {"sensitivity": float(p[(clinic == c) & (y == 1)].mean()),
                "specificity": float(1 - p[(clinic == c) & (y == 0)].mean()),
                "accuracy": float((p == y)[clinic == c].mean())} for c in ("A", "B")}


def retrain(weights_out: Path, *, data_file: Path | None = None) -> dict:
    """Train the shipped CNN on the train split (one thread) and measure what the mark scheme quotes."""
    import torch

    from helpers.data import lesions
    from helpers.models import lesion
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train, test = lesions.load_lesions("train", path=data_file), lesions.load_lesions("test", path=data_file)
        start = time.perf_counter()
        model = lesion.train_lesion_cnn(train.images, train.labels, epochs=EPOCHS, random_state=TRAIN_SEED)
        seconds = time.perf_counter() - start
        plain = _without_bar(test.images, test.clinic)
        with torch.no_grad():
            p = model(torch.as_tensor(test.images[:, None])).argmax(1).numpy()
            p_plain = model(torch.as_tensor(plain[:, None])).argmax(1).numpy()
        fair = lesion.train_lesion_cnn(_without_bar(train.images, train.clinic), train.labels, epochs=EPOCHS,
                                       random_state=TRAIN_SEED)
        with torch.no_grad():
            p_fair = fair(torch.as_tensor(plain[:, None])).argmax(1).numpy()
        weights_out.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
        torch.save(state, weights_out)
    finally:
        torch.set_num_threads(threads)
    y, clinic = test.labels, test.clinic
    return {"seconds": round(seconds, 2), "epochs": EPOCHS, "random_state": TRAIN_SEED,
            "train_accuracy": float((model(torch.as_tensor(train.images[:, None])).argmax(1).numpy()
                                     == train.labels).mean()),
            "test_accuracy": float((p == y).mean()), "test_by_clinic": _rates(p, y, clinic),
            "test_accuracy_bar_removed": float((p_plain == y).mean()),
            "test_by_clinic_bar_removed": _rates(p_plain, y, clinic),
            "model_trained_without_bar": {"test_accuracy": float((p_fair == y).mean()),
                                          "test_by_clinic": _rates(p_fair, y, clinic)}}


def _rounded(value):
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round(value, 4) if isinstance(value, float) else value


def main(argv=None) -> int:
    from helpers.data import lesions
    from helpers.models import lesion
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="regenerate into a temporary folder and compare")
    args = parser.parse_args(argv)
    metrics_file = Path(__file__).with_name("metrics.json")
    if not args.check:
        write_data(lesions.data_path(), build())
        metrics = _rounded(retrain(lesion.weights_file()))
        metrics_file.write_text(json.dumps(metrics, indent=2) + "\n")
        print(json.dumps(metrics, indent=2))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        data_file = Path(folder) / "data.npz"
        write_data(data_file, build())
        fresh = dict(np.load(data_file))
        shipped = dict(np.load(lesions.data_path()))
        same = fresh.keys() == shipped.keys() and all(np.array_equal(fresh[k], shipped[k]) for k in fresh)
        metrics = _rounded(retrain(Path(folder) / "model.pt", data_file=data_file))
    old = json.loads(metrics_file.read_text())
    problems = [] if same else ["the regenerated data differ from the shipped file"]
    for key in ("train_accuracy", "test_accuracy", "test_accuracy_bar_removed"):
        if abs(metrics[key] - old[key]) > TOLERANCE:
            problems.append(f"{key}: shipped {old[key]}, retrained {metrics[key]}")
    print("\n".join(problems) if problems else f"data identical; accuracies within {TOLERANCE} of metrics.json")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
