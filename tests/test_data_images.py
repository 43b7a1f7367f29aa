"""Unit tests of helpers.data.images: the generated shapes and their watermark."""

import numpy as np
import pytest

from helpers.data import images


def test_shapes_have_the_documented_shapes_and_range():
    data = images.make_shapes(64, random_state=0)
    assert data.images.shape == (64, 32, 32) and data.masks.shape == (64, 32, 32)
    assert data.labels.shape == (64,) and data.watermarks.shape == (64,)
    assert data.images.min() >= 0.0 and data.images.max() <= 1.0
    assert set(np.unique(data.labels)) <= set(range(len(images.SHAPE_CLASSES)))
    assert np.all(data.watermarks == -1) and data.masks.dtype == bool
    assert np.all(data.masks.sum(axis=(1, 2)) > 10)  # every image holds a visible shape


def test_shapes_are_brighter_than_the_background():
    data = images.make_shapes(100, noise=0.1, random_state=1)
    inside = data.images[data.masks].mean()
    outside = data.images[~data.masks].mean()
    assert inside > outside + 0.4


def test_shapes_of_another_size():
    data = images.make_shapes(10, size=20, random_state=0)
    assert data.images.shape == (10, 20, 20)
    assert images.make_shapes(5, size=16, random_state=0).images.shape == (5, 16, 16)


def test_label_watermark_matches_the_class_at_the_given_rate():
    data = images.make_shapes(2000, watermark="label", watermark_rate=0.9, random_state=3)
    match = np.mean(data.watermarks == data.labels)
    assert 0.9 < match < 0.96  # 0.9 plus a quarter of the 10% drawn at random
    row, col, height, width = data.watermark_box
    assert (row, col, height, width) == (1, 1, 4, 4)
    patch = data.images[:, row:row + height, col:col + width]
    np.testing.assert_array_equal(patch, images.WATERMARK_PATTERNS[data.watermarks])


def test_random_watermark_is_unrelated_to_the_label_and_can_move():
    data = images.make_shapes(2000, watermark="random", watermark_position=(0, 28), random_state=4)
    assert abs(np.mean(data.watermarks == data.labels) - 0.25) < 0.05
    assert data.watermark_box == (0, 28, 4, 4)
    np.testing.assert_array_equal(data.images[:, 0:4, 28:32], images.WATERMARK_PATTERNS[data.watermarks])


def test_shapes_are_deterministic_for_a_seed_and_differ_across_seeds():
    a = images.make_shapes(50, watermark="label", random_state=7)
    b = images.make_shapes(50, watermark="label", random_state=7)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.watermarks, b.watermarks)
    assert not np.allclose(a.images, images.make_shapes(50, watermark="label", random_state=8).images)


def test_to_rgb_repeats_the_gray_channel():
    data = images.make_shapes(3, random_state=0)
    rgb = images.to_rgb(data.images)
    assert rgb.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(rgb[..., 2], data.images)
    assert images.to_rgb(data.images[0]).shape == (32, 32, 3)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_images": 0}, ValueError, "n_images must be >= 1"),
    ({"n_images": 2.5}, TypeError, "n_images must be an integer"),
    ({"size": 8}, ValueError, "size must be >= 16"),
    ({"noise": -0.1}, ValueError, r"noise must lie in \[0.0, None\]"),
    ({"noise": float("nan")}, ValueError, "noise must be finite"),
    ({"watermark": "yes"}, ValueError, "watermark must be one of"),
    ({"watermark_rate": 2.0}, ValueError, r"watermark_rate must lie in \[0.0, 1.0\]"),
    ({"watermark_position": 3}, TypeError, r"watermark_position must be a \(row, col\) pair"),
    ({"watermark_position": (30, 0)}, ValueError, "outside a 32x32 image"),
    ({"random_state": None}, TypeError, "random_state must be an integer"),
])
def test_shapes_reject_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        images.make_shapes(**kwargs)


def test_to_rgb_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"images must have shape \(size, size\)"):
        images.to_rgb(np.zeros(5))


def test_shape_splits_differ_only_in_the_watermark_label_correlation():
    clean_train, clean_test = images.make_shape_splits("clean", n_train=2000, n_test=500, random_state=0)
    short_train, short_test = images.make_shape_splits("shortcut", n_train=2000, n_test=500, random_state=0)
    assert len(clean_train) == len(short_train) == 2000 and len(clean_test) == 500
    assert abs(np.mean(clean_train.watermarks == clean_train.labels) - 0.25) < 0.04
    assert 0.95 < np.mean(short_train.watermarks == short_train.labels) < 0.99  # 0.95 + 0.05 / 4
    for test in (clean_test, short_test):
        assert np.all(test.watermarks >= 0) and abs(np.mean(test.watermarks == test.labels) - 0.25) < 0.06
    assert not np.allclose(clean_train.images[:10], clean_test.images[:10])  # independent seeds
    again, _ = images.make_shape_splits("shortcut", n_train=2000, n_test=500, random_state=0)
    np.testing.assert_array_equal(again.images, short_train.images)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"kind": "dirty"}, ValueError, "kind must be one of"),
    ({"random_state": -1}, ValueError, "random_state must be >= 0"),
    ({"n_test": 0}, ValueError, "n_images must be >= 1"),
])
def test_shape_splits_reject_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        images.make_shape_splits(**kwargs)
