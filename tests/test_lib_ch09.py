"""Chapter 09, the round-2 mock task: the shipped data and model, the chapter library, what course/ and the
installed helpers may not say, and the mark scheme's calibration reports.

The data file is rebuilt bit for bit by the instructors' script, and the model retrained within its tolerance
(slow). The references are checked against closed forms and hand computations. A grep guards the secret: no
name, docstring, comment or message of the installed helpers and no cell of the release may describe the flaw.
"""

from __future__ import annotations

import importlib.util
import json
import re

import numpy as np
import pytest
import torch

from helpers.data import lesions
from helpers.lib import ch04 as lib04
from helpers.lib import ch09 as lib
from helpers.models import lesion
from tests.notebook_tools import COURSE, ROOT, SOLUTIONS

SCRIPT = ROOT / "instructors" / "mock_task" / "make_lesions.py"
GUIDE = ROOT / "instructors" / "09-mock-task-marking.md"
REPORTS = ROOT / "tests" / "mock_reports"


def _script():
    spec = importlib.util.spec_from_file_location("make_lesions", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def setup():
    return lib.task_setup()


# ------------------------------------------------------------------------------------------------ the data


def test_splits_have_the_documented_shapes_types_and_ranges(setup):
    for data, n in ((setup.train, 3000), (setup.test, 1000)):
        assert data.images.shape == (n, 32, 32) and data.images.dtype == np.float32
        assert 0.0 <= data.images.min() and data.images.max() <= 1.0
        assert data.labels.dtype == np.int64 and set(np.unique(data.labels)) == {0, 1}
        assert set(np.unique(data.clinic)) == set(lesions.CLINICS) and len(data) == n
        assert abs((data.clinic == "A").mean() - 0.5) < 0.03


def test_loading_is_deterministic_and_returns_fresh_copies():
    a, b = lesions.load_lesions("test"), lesions.load_lesions("test")
    assert np.array_equal(a.images, b.images) and np.array_equal(a.clinic, b.clinic)
    first = lib.task_setup()
    first.test.images[:] = 0
    assert lib.task_setup().test.images.max() > 0


def test_the_noise_is_the_documented_gaussian():
    rng = np.random.default_rng(lesions.SPLITS["test"])
    with lesions.data_path().open("rb") as handle, np.load(handle) as stored:
        pixels = stored["test_images"]
    noise = rng.standard_normal(pixels.shape)
    expected = np.clip(pixels / 255 + lesions.NOISE * noise, 0, 1).astype(np.float32)
    assert np.array_equal(lesions.load_lesions("test").images, expected)


@pytest.mark.parametrize("split", ["validation", "", None])
def test_an_unknown_split_is_refused(split):
    with pytest.raises(ValueError, match="split must be one of"):
        lesions.load_lesions(split)


def test_the_shipped_data_file_is_what_the_script_generates(tmp_path):
    script = _script()
    path = tmp_path / "lesions.npz"
    script.write_data(path, script.build())
    with np.load(path) as fresh, lesions.data_path().open("rb") as handle, np.load(handle) as shipped:
        assert sorted(fresh.files) == sorted(shipped.files)
        for key in fresh.files:
            assert np.array_equal(fresh[key], shipped[key]), key


# ------------------------------------------------------------------------------------------------ the model


def test_the_model_loads_in_eval_mode_with_its_standardisation(setup):
    model = setup.model
    assert isinstance(model, lesion.LesionCNN) and not model.training
    assert sum(p.numel() for p in model.parameters()) == 6082
    assert float(model.mean) == 0.5 and float(model.std) == 0.25
    x = torch.rand(3, 1, 32, 32)
    assert model(x).shape == (3, 2)
    assert torch.allclose(model(x), lesion.TinyCNN.forward(model, (x - 0.5) / 0.25))
    with pytest.raises(ValueError, match="shape"):
        model(torch.rand(3, 1, 28, 28))


def test_the_shipped_model_does_what_its_metrics_record(setup):
    metrics = json.loads((SCRIPT.parent / "metrics.json").read_text())
    p = lib.malignant_probability(setup.model, setup.test.images)
    assert abs(((p > 0.5) == setup.test.labels).mean() - metrics["test_accuracy"]) < 0.002
    train = lib.malignant_probability(setup.model, setup.train.images)
    assert abs(((train > 0.5) == setup.train.labels).mean() - metrics["train_accuracy"]) < 0.002


def test_training_is_seeded_and_leaves_the_global_rng_alone(setup):
    images, labels = setup.train.images[:200], setup.train.labels[:200]
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = lesion.train_lesion_cnn(images, labels, epochs=1, random_state=3)
    after = torch.rand(1)
    b = lesion.train_lesion_cnn(images, labels, epochs=1, random_state=3)
    assert torch.equal(before, after)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters())) and not a.training
    with pytest.raises(ValueError, match="labels must lie in"):
        lesion.train_lesion_cnn(images, labels + 2, epochs=1)


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_model(tmp_path):
    script = _script()
    metrics = script.retrain(tmp_path / "model.pt")
    shipped = json.loads((SCRIPT.parent / "metrics.json").read_text())
    for key in ("train_accuracy", "test_accuracy", "test_accuracy_bar_removed"):
        assert abs(metrics[key] - shipped[key]) <= script.TOLERANCE, key


# ------------------------------------------------------------------------------------------------ the library


def test_block_groups_partition_the_image_row_by_row():
    groups = lib.block_groups()
    assert len(groups) == 16 and all(len(g) == 64 for g in groups)
    assert np.array_equal(np.sort(np.concatenate(groups)), np.arange(1024))
    index = np.arange(1024).reshape(32, 32)
    assert np.array_equal(np.sort(groups[4 * 3 + 1]), np.sort(index[24:32, 8:16].ravel()))
    assert len(lib.block_groups(4, 12)) == 9
    with pytest.raises(ValueError, match="divide"):
        lib.block_groups(5)
    with pytest.raises(TypeError, match="integer"):
        lib.block_groups(8.0)


def test_pixel_classifier_agrees_with_the_model(setup):
    clf, images = lib.PixelClassifier(setup.model), setup.test.images[:50]
    X = lib.flat(images)
    with torch.no_grad():
        logits = setup.model(torch.as_tensor(images[:, None]))
    assert np.array_equal(clf.predict(X), logits.argmax(dim=1).numpy())
    assert np.allclose(clf.predict_proba(X), logits.softmax(dim=1).numpy(), atol=1e-6)
    assert np.allclose(clf.predict_proba(X).sum(axis=1), 1)
    assert clf.score(X, setup.test.labels[:50]) == np.mean(clf.predict(X) == setup.test.labels[:50])
    assert clf.fit(X, None) is clf and not setup.model.training
    with pytest.raises(ValueError, match=r"shape \(n, 1024\)"):
        clf.predict(images)
    with pytest.raises(ValueError, match="images must have shape"):
        lib.flat(images[0])


class _OneBlockModel:
    """Predicts 1 when the mean of one block exceeds a threshold: only that block can matter."""

    def __init__(self, block):
        self.columns = lib.block_groups()[block]

    def fit(self, X, y):
        return self

    def predict(self, X):
        return (np.asarray(X)[:, self.columns].mean(axis=1) > 0.5).astype(int)

    def score(self, X, y):
        return float(np.mean(self.predict(X) == y))


def test_block_permutation_importance_is_zero_outside_the_block_the_model_reads():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (300, 1024))
    model = _OneBlockModel(5)
    y = model.predict(X)
    imp = lib.block_permutation_importance(model, X, y, lib.block_groups(), n_repeats=4, random_state=1)
    assert imp.shape == (16, 4)
    assert np.all(np.delete(imp, 5, axis=0) == 0) and imp[5].min() > 0.2
    # scikit-learn's permutations, as the engine: the same seed gives the same values
    again = lib.block_permutation_importance(model, X, y, lib.block_groups(), n_repeats=4, random_state=1)
    assert np.array_equal(imp, again)
    partial = lib.block_permutation_importance(model, X, y, [lib.block_groups()[5]], n_repeats=3, random_state=1)
    assert partial.shape == (1, 3) and partial.min() > 0.2


def test_block_deletion_matches_a_hand_computation():
    model, x, maps, target = lib.deletion_bed(0, n=4, size=12, block=4, n_classes=3)
    found = lib.block_deletion(model, x, maps, target, block=4)
    with torch.no_grad():
        p = model(x).softmax(dim=1)
        for i in range(4):
            t = int(target[i])
            drops = []
            for r in range(3):
                for c in range(3):
                    z = x[i:i + 1].clone()
                    z[..., 4 * r:4 * r + 4, 4 * c:4 * c + 4] = x[i].mean()
                    drops.append(float(p[i, t] - model(z).softmax(dim=1)[0, t]))
            masses = maps[i].reshape(3, 4, 3, 4).sum(axis=(1, 3)).ravel()
            assert np.isclose(found["top"][i], drops[int(np.argmax(masses))], atol=1e-6)
            assert np.isclose(found["average"][i], np.mean(drops), atol=1e-6)


def test_deletion_beds_put_each_top_block_off_the_diagonal_and_the_largest_pixel_elsewhere():
    for seed in range(20):
        _, x, maps, target = lib.deletion_bed(seed, n=6, size=16, block=4)
        top = lib._block_masses(maps, 4).reshape(6, -1).argmax(axis=1)
        assert np.all(top // 4 != top % 4) and np.all(top // 4 >= 1)
        peak = maps.reshape(6, -1).argmax(axis=1)
        assert np.all((peak // 16 // 4) * 4 + (peak % 16) // 4 != top)  # the largest pixel is elsewhere
        assert x.min() >= 0 and x.max() <= 1 and len(target) == 6


def test_cam_maps_and_shares_are_the_course_grad_cam(setup):
    x = torch.as_tensor(setup.test.images[:12, None])
    maps = lib.cam_maps(setup.model, x)
    assert torch.equal(maps, lib04.grad_cam(setup.model, x, 1, setup.model.conv3).detach())
    share = lib.cam_share(setup.model, x)
    assert share.shape == (4, 4) and np.isclose(share.sum(), 1.0)


def test_performance_beds_are_shuffled_subsets(setup):
    model, images, labels, clinic = lib.performance_bed(3, n=200)
    assert images.shape == (200, 32, 32) and len(labels) == len(clinic) == 200
    other = lib.performance_bed(4, n=200)[1]
    assert not np.array_equal(images, other)


# ------------------------------------------------------------------------------------------------ the secret

# Words that describe this task's flaw, or any planted shortcut: none may appear in what a class receives
# (the release) or in the chapter's own modules of the installed helpers.
REVEALING = re.compile(r"\bbars?\b|scale[- ]bar|stamp|ruler|marker|\bmarks?\b|\bink\b|\bcorners?\b|bottom[- ]right|"
                       r"lower[- ]right|shortcut|watermark|\bleak|spurious|artefact|artifact|\bflaw|\(3, 3\)|"
                       r"case mix|prevalence|confound", re.IGNORECASE)
OWN_MODULES = ["helpers/lib/ch09.py", "helpers/checks/ch09.py", "helpers/data/lesions.py", "helpers/models/lesion.py"]
# Words specific to this task's flaw: none may appear anywhere in the installed package (other chapters
# legitimately speak of watermarks, shortcuts and colour bars; nbgrader's submission timestamps are not a stamp).
SPECIFIC = re.compile(r"scale[- ]bar|(?<!time)stamp|ruler|\bink\b|dark bar|the bar\b|bar (?:erased|removed|stamped)|"
                      r"bottom[- ]right|referral", re.IGNORECASE)


def _release_text():
    nb = json.loads(next((COURSE / "09-mock-task").glob("*.ipynb")).read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"])


def test_the_release_does_not_describe_the_flaw():
    text = _release_text().replace("align_corners", "align_c")  # torch's keyword argument, not a corner
    found = sorted({m.group(0) for m in REVEALING.finditer(text)})
    assert not found, f"course/09-mock-task reveals the flaw: {found}"


def test_the_chapter_modules_do_not_describe_the_flaw():
    for name in OWN_MODULES:
        text = (ROOT / name).read_text().replace("align_corners", "align_c")
        found = sorted({m.group(0) for m in REVEALING.finditer(text)})
        assert not found, f"{name} reveals the flaw: {found}"


def test_no_installed_file_describes_this_flaw():
    names = [p for p in (ROOT / "helpers").rglob("*") if p.is_file() and p.suffix in (".py", ".json", ".txt", ".md")]
    assert len(names) > 40
    for path in names:
        found = sorted({m.group(0) for m in SPECIFIC.finditer(path.read_text())})
        assert not found, f"{path.relative_to(ROOT)} mentions {found}"
    assert not any("lesion" in p.name and p.suffix == ".json" for p in names), "a metrics file inside helpers"


def test_the_instructor_files_do_describe_it():
    """The grep above can fail: the same words are found where the flaw is meant to be described."""
    for path in (SCRIPT, GUIDE):
        assert SPECIFIC.search(path.read_text()) and REVEALING.search(path.read_text())


# ------------------------------------------------------------------------------------------------ the mark scheme


def _words(text):
    return len(text.split())


def _model_report():
    nb = json.loads((SOLUTIONS / "09-mock-task" / "09-mock-task.ipynb").read_text())
    return "".join(next(c for c in nb["cells"] if c["id"] == "mock_report")["source"])


def test_the_reports_keep_within_the_word_limit():
    assert _words(_model_report()) <= 600
    for name in ("pretty_pictures.md", "one_method.md"):
        assert 150 <= _words((REPORTS / name).read_text()) <= 600, name


def _scores(section: str) -> tuple[int, list[int]]:
    """The stated total and the per-criterion scores of one calibration table of the mark scheme."""
    text = GUIDE.read_text()
    start = text.index(section)
    block = text[start:text.index("\n### ", start + 1) if "\n### " in text[start + 1:] else len(text)]
    total = int(re.search(r": (\d+) / 12", block.splitlines()[0]).group(1))
    rows = re.findall(r"^\| C(\d) \| (\d) \|", block, re.MULTILINE)
    assert [int(c) for c, _ in rows] == [1, 2, 3, 4, 5, 6], section
    return total, [int(s) for _, s in rows]


@pytest.mark.parametrize(("section", "expected"), [("### The model report", 12),
                                                   ('### "Pretty pictures, no numbers"', 1),
                                                   ('### "Trusts one method"', 3)])
def test_each_calibration_report_is_marked_on_every_criterion(section, expected):
    total, scores = _scores(section)
    assert all(s in (0, 1, 2) for s in scores) and sum(scores) == total == expected


def test_the_mark_scheme_points_to_the_calibration_reports_that_exist():
    text = GUIDE.read_text()
    for name in ("pretty_pictures.md", "one_method.md"):
        assert f"tests/mock_reports/{name}" in text and (REPORTS / name).is_file()
    notebook = (SOLUTIONS / "09-mock-task" / "09-mock-task.ipynb").read_text()
    assert '"points": 12' in notebook and "| **C6 A recommendation** |" in notebook


def test_the_mark_scheme_numbers_are_the_model_s(setup):
    """The numbers the mark scheme quotes from the solution notebook, recomputed (they are asserted there too)."""
    test, model = setup.test, setup.model
    p = lib.malignant_probability(model, test.images)
    pred, y, clinic = (p > 0.5).astype(int), test.labels, test.clinic
    assert round(float((pred == y).mean()), 3) == 0.920 and (pred != y).sum() == 80
    counts = {c: [int(pred[(clinic == c) & (y == 1)].sum()), int(((clinic == c) & (y == 1)).sum()),
                  int((1 - pred)[(clinic == c) & (y == 0)].sum()), int(((clinic == c) & (y == 0)).sum())]
              for c in ("A", "B")}
    assert counts == {"A": [56, 73, 412, 430], "B": [410, 418, 42, 79]}
    assert [round(float((pred == y)[clinic == c].mean()), 2) for c in ("A", "B")] == [0.93, 0.91]
    text = GUIDE.read_text()
    for quoted in ("0.920", "56/73", "412/430", "410/418", "42/79", "0.93 and 0.91", "0.98 → 0.67", "418 of its 497"):
        assert quoted in text, quoted
    rows, cols = np.nonzero(test.images[clinic == "B"].mean(axis=0) - test.images[clinic == "A"].mean(axis=0) < -0.15)
    erased = test.images[clinic == "B"].copy()
    erased[:, rows, cols] = erased[:, rows - 2, cols]
    q = lib.malignant_probability(model, erased) > 0.5
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (27, 28, 24, 29)
    assert round(float(q[y[clinic == "B"] == 1].mean()), 2) == 0.67
