"""Unit tests of the concept bottleneck models (helpers.models.cbm) and their retraining recipes.

Floors come from the shipped weights on a fresh test set (seed 2024, not a training or metadata seed);
each comment gives the value measured.
"""

import numpy as np
import pytest
import torch

from helpers.data import images
from helpers.models import _torch, cbm, train

SEED = 2024


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def shapes():
    return images.make_shapes(1000, watermark="random", random_state=SEED)


def _measure(model, data):
    x = _torch.image_tensor(data.images)
    y = torch.as_tensor(data.labels)
    truth = torch.as_tensor(cbm.concept_labels(data.labels, data.watermarks, model.concept_names))
    with torch.no_grad():
        p = torch.sigmoid(model.concept_logits(x))
        soft = float((model.head(p).argmax(1) == y).double().mean())
        hard = float((model.head((p > 0.5).float()).argmax(1) == y).double().mean())
        true = float((model.head(truth).argmax(1) == y).double().mean())
    return {"concepts": ((p > 0.5).float() == truth).double().mean(0).numpy(), "soft": soft, "hard": hard, "true": true}


def test_concept_labels_follow_the_class_table_and_the_watermark():
    labels, marks = np.array([0, 1, 2, 3, 2]), np.array([3, 0, 1, 2, 2])
    table = cbm.concept_labels(labels, marks)
    assert table.shape == (5, 8) and table.dtype == np.float32
    assert np.array_equal(table[:, :4], cbm.SHAPE_CONCEPTS[labels])
    assert np.array_equal(table[:, 4:].argmax(1), marks) and np.all(table[:, 4:].sum(1) == 1)
    assert np.array_equal(cbm.concept_labels(labels, marks, ("convex", "round")), table[:, [3, 0]])
    assert len({tuple(row) for row in cbm.SHAPE_CONCEPTS}) == 4  # the shape concepts determine the class
    with pytest.raises(ValueError, match="unknown concepts"):
        cbm.concept_labels(labels, marks, ("size",))


def test_bottleneck_is_a_module_whose_output_a_hook_can_replace():
    model = cbm.load_cbm("independent")
    x = _torch.image_tensor(images.make_shapes(6, watermark="random", random_state=1).images)
    assert model.bottleneck.hard and not cbm.load_cbm("leaky").bottleneck.hard
    seen = []
    handle = model.bottleneck.register_forward_hook(lambda m, i, out: seen.append(out))
    with torch.no_grad():
        logits = model(x)
    handle.remove()
    assert set(torch.unique(seen[0]).tolist()) <= {0.0, 1.0}
    assert torch.allclose(logits, model.head(seen[0]))
    handle = model.bottleneck.register_forward_hook(lambda m, i, out: torch.zeros_like(out))
    with torch.no_grad():
        replaced = model(x)
    handle.remove()
    assert torch.allclose(replaced, model.head.bias.expand(6, -1))


def test_independent_cbm_predicts_concepts_and_classes(shapes):
    found = _measure(cbm.load_cbm("independent"), shapes)
    assert found["concepts"].min() >= 0.95  # 0.966-1.000
    assert found["hard"] >= 0.93 and found["soft"] >= 0.93  # 0.952, 0.963
    assert found["true"] == 1.0  # the head on true concepts


def test_leaky_cbm_leaks_through_its_soft_bottleneck(shapes):
    model = cbm.load_cbm("leaky")
    found = _measure(model, shapes)
    counts = np.bincount(shapes.labels, minlength=4)
    ceiling = (counts[0] + counts[3] + max(counts[1], counts[2])) / len(shapes)
    assert model.concept_names == cbm.LEAKY_CONCEPTS
    assert found["concepts"].min() >= 0.95  # 0.96-1.00
    assert found["soft"] >= ceiling + 0.15  # 0.96 against a ceiling of 0.75-0.77
    assert abs(found["hard"] - ceiling) <= 0.03 and found["true"] <= ceiling + 1e-9


def test_training_is_seeded_and_leaves_the_global_rng_alone():
    data = images.make_shapes(96, watermark="random", random_state=0)
    state = torch.get_rng_state()
    a = cbm.train_cbm(data, "leaky", epochs=1, random_state=3)
    assert torch.equal(torch.get_rng_state(), state)
    b = cbm.train_cbm(data, "leaky", epochs=1, random_state=3)
    c = cbm.train_cbm(data, "leaky", epochs=1, random_state=4)
    assert torch.equal(a.concepts.weight, b.concepts.weight) and not torch.equal(a.concepts.weight, c.concepts.weight)
    independent = cbm.train_cbm(data, "independent", epochs=1, head_epochs=1, random_state=3)
    assert independent.bottleneck.hard and not independent.training


@pytest.mark.slow  # about 15 s per model on one core
@pytest.mark.parametrize("name", ["cbm_independent", "cbm_leaky"])
def test_retraining_reproduces_the_shipped_metrics(name):
    model, metrics, _ = train._FITTERS[name](name)
    shipped = train.load_metadata()[name]["metrics"]
    assert set(metrics) == set(shipped)
    assert all(abs(metrics[key] - shipped[key]) <= train.TOLERANCE for key in metrics), (metrics, shipped)
