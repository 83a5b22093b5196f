import numpy as np
import pytest

from neuromotor.pcrt.assemble import first_of_duplicates, hold_pad, select_lowest_jerk, split_indices, draw_start_id
from neuromotor.pcrt.augment import (
    Latents,
    affine_matrix,
    augment_character,
    augmented_length,
    change_speed,
    embed_in_plane,
    rescale_size,
)
from neuromotor.pcrt.generate import jerk, shard_items
from neuromotor.pcrt.spindles import (
    firing_deepdraw,
    firing_prochazka,
    spindle_firing,
    spindle_info,
)


def circle(n=100):
    t = np.linspace(0, 2 * np.pi, n)
    return np.stack([5 * np.cos(t), 5 * np.sin(t)])


@pytest.mark.parametrize("size", [0.7, 1.0, 1.3])
def test_size_scales_extent_and_length_and_keeps_start(size):
    p = circle()
    out = rescale_size(p, size)
    assert out.shape == (2, int(100 * size))
    np.testing.assert_allclose(out[:, 0], p[:, 0])
    extent = np.ptp(out, axis=1) / np.ptp(p, axis=1)
    np.testing.assert_allclose(extent, size, rtol=0.03)


def test_speed_changes_length_not_path():
    p = circle()
    out = change_speed(p, 1.4)
    assert out.shape[1] == int(100 / 1.4)
    np.testing.assert_allclose(out[:, [0, -1]], p[:, [0, -1]])


def test_affine_is_shear_after_rotation():
    rot, sx, sy = 0.3, 0.2, -0.1
    expected = np.array([[1, np.tan(sx)], [np.tan(sy), 1]]) @ np.array(
        [[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]]
    )
    np.testing.assert_allclose(affine_matrix(rot, sx, sy), expected)


def test_plane_embedding_and_start_point():
    p = circle(50)
    latents = Latents(1.0, 0.0, 0.0, 0.0, 1.0, 0.0, (30.0, -10.0, -20.0))
    horizontal = augment_character(p, latents, "horizontal")
    vertical = augment_character(p, latents, "vertical")
    assert np.all(horizontal[2] == -20.0) and np.all(vertical[0] == 30.0)
    np.testing.assert_allclose(embed_in_plane(p, "horizontal")[:2], [p[1], -p[0]])
    assert horizontal.shape[1] == augmented_length(50, 1.0, 1.0)


def test_jerk_of_cubic_is_constant_third_derivative():
    t = np.arange(50.0)
    x = (0.01 * t**3)[None]
    d3 = x
    for _ in range(3):
        d3 = np.gradient(d3, axis=-1)
    assert jerk(x) == pytest.approx(np.linalg.norm(d3))
    assert jerk(np.ones((3, 40))) == 0.0


def test_shard_items_partition_is_independent_of_shard_count():
    sources = np.array([3, 7, 9, 12])
    one = shard_items(sources, 3, 1, 0)
    seven = [item for shard in range(7) for item in shard_items(sources, 3, 7, shard)]
    assert one == seven and len(one) == 12


def test_select_lowest_jerk_per_group():
    label = np.array([1, 1, 1, 2, 2, 2])
    plane = np.array(["h", "h", "v", "h", "h", "h"])
    muscle_jerk = np.array([3.0, 1.0, 5.0, 2.0, 0.5, 1.0])
    assert select_lowest_jerk(label, plane, muscle_jerk, 1).tolist() == [1, 2, 4]


def test_first_of_duplicates_keeps_first():
    columns = {"a": np.array([1, 2, 1, 3]), "b": np.array([[0, 1], [0, 1], [0, 1], [0, 2]])}
    assert first_of_duplicates(columns, ("a", "b")).tolist() == [0, 1, 3]


def test_hold_pad_holds_first_and_last_sample():
    values = np.arange(10.0).reshape(2, 5)
    out = hold_pad(values, 3, 12)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out[:, :3], values[:, :1].repeat(3, 1))
    np.testing.assert_array_equal(out[:, 3:8], values)
    np.testing.assert_array_equal(out[:, 8:], values[:, -1:].repeat(4, 1))


def test_start_id_range():
    rng = np.random.default_rng(0)
    ids = [draw_start_id(300, 320, rng) for _ in range(500)]
    assert min(ids) == 0 and max(ids) == 19
    with pytest.raises(ValueError):
        draw_start_id(320, 320, rng)


def test_split_uses_randomstate_12_and_is_disjoint():
    train, test = split_indices(100, 60, 30)
    expected = np.random.RandomState(12).permutation(100)
    np.testing.assert_array_equal(np.concatenate([train, test]), expected[:90])
    assert not set(train) & set(test)
    with pytest.raises(ValueError):
        split_indices(10, 8, 5)


def test_spindle_info_and_firing_formulas():
    t = np.arange(320) * 0.015
    lengths = (100 + 5 * np.sin(t))[None, None].repeat(2, 1)
    info = spindle_info(lengths)
    np.testing.assert_array_equal(info[..., 0], lengths)
    np.testing.assert_allclose(info[..., 1], np.gradient(lengths, 0.015, axis=-1))
    v = np.gradient(lengths, 0.015, axis=-1)
    expected = 2 * np.gradient(lengths, axis=-1) + 4.3 * np.sign(v) * np.abs(v) ** 0.6
    np.testing.assert_allclose(firing_deepdraw(lengths), expected)
    prochazka = firing_prochazka(lengths, np.array([100.0, 90.0]))
    np.testing.assert_allclose(prochazka[0, 1] - prochazka[0, 0], 2 * 10.0)


def test_spindle_noise_scales_with_trace_spread_and_is_per_sample():
    lengths = np.random.default_rng(0).normal(100, 1, (3, 25, 320)).cumsum(-1) * 0.01 + 100
    clean = firing_deepdraw(lengths)
    noisy = spindle_firing(lengths, [np.random.default_rng(i) for i in range(3)], noise=0.3)
    ratio = (noisy - clean).std(-1) / clean.std(-1)
    assert np.all(np.abs(ratio - 0.3) < 0.06)
    alone = spindle_firing(lengths[1:2], [np.random.default_rng(1)], noise=0.3)
    np.testing.assert_array_equal(alone[0], noisy[1])
