import json
from pathlib import Path

import numpy as np
import pytest

from neuromotor.errors import ConfigError, DataFormatError
from neuromotor.pcrt.characters import (
    LETTERS,
    TemplateVariability,
    load_templates,
    preprocess_characters,
    sample_template_character,
    sample_template_characters,
)

TEMPLATES_PATH = Path(__file__).resolve().parents[2] / "resources" / "characters" / "templates.json"
NO_VARIABILITY = TemplateVariability(
    jitter_fraction=0.0,
    x_scale_range=(1.0, 1.0),
    y_scale_range=(1.0, 1.0),
    shear_range=(0.0, 0.0),
    rotation_range_rad=(0.0, 0.0),
    time_warp_strength=0.0,
    smoothing_sigma=0.0,
)


@pytest.fixture(scope="module")
def templates():
    return load_templates(TEMPLATES_PATH)


def write_templates(path, letters):
    document = {"format": "neuromotor.character_templates", "format_version": 1, "letters": letters}
    path.write_text(json.dumps(document))
    return path


def project_letters():
    return json.loads(TEMPLATES_PATH.read_text())["letters"]


# --- templates -------------------------------------------------------------------------------------------------


def test_letters_are_in_label_order():
    assert "".join(LETTERS) == "abcdeghlmnopqrsuvwyz"


def test_project_templates_cover_the_20_letters_inside_the_unit_box(templates):
    assert list(templates) == list(LETTERS)
    for letter, points in templates.items():
        assert 8 <= len(points) <= 25, letter
        assert points.min() >= 0 and points.max() <= 1, letter


def test_project_templates_are_different_shapes(templates):
    resampled = {}
    for letter, points in templates.items():
        positions = sample_template_character(points, NO_VARIABILITY, np.random.default_rng(0))
        trajectory, _ = preprocess_characters([positions])
        resampled[letter] = trajectory[0, :, np.linspace(0, _[0] - 1, 50).astype(int)]
    for i, a in enumerate(LETTERS):
        for b in LETTERS[i + 1 :]:
            assert np.sqrt(np.mean((resampled[a] - resampled[b]) ** 2)) > 0.5, (a, b)


@pytest.mark.parametrize("bad_value", [float("nan"), float("inf")])
def test_non_finite_template_names_file_and_letter(tmp_path, bad_value):
    letters = project_letters()
    letters["e"][3][1] = bad_value
    path = write_templates(tmp_path / "bad_templates.json", letters)  # json writes NaN / Infinity tokens
    with pytest.raises(DataFormatError, match=r"bad_templates\.json.*letter 'e'.*finite"):
        load_templates(path)


def test_missing_letter_too_few_points_and_missing_file_fail_clearly(tmp_path):
    letters = project_letters()
    del letters["q"]
    with pytest.raises(DataFormatError, match=r"missing \['q'\]"):
        load_templates(write_templates(tmp_path / "t1.json", letters))
    letters = project_letters()
    letters["z"] = letters["z"][:3]
    with pytest.raises(DataFormatError, match=r"t2\.json.*letter 'z'.*at least 4 points"):
        load_templates(write_templates(tmp_path / "t2.json", letters))
    with pytest.raises(DataFormatError, match=r"none\.json.*not found"):
        load_templates(tmp_path / "none.json")


# --- sampling ----------------------------------------------------------------------------------------------------


def test_sample_layout_is_uci_like(templates):
    variability = TemplateVariability()
    samples, labels = sample_template_characters(templates, 3, variability, seed=5)
    assert len(samples) == 60 and labels.tolist() == [label for label in range(1, 21) for _ in range(3)]
    for sample in samples:
        assert sample.shape[0] == 3 and 60 <= sample.shape[1] <= 180
        assert np.all(np.isfinite(sample)) and np.all(sample[2] > 0)


def test_velocities_are_first_differences_of_the_stroke(templates):
    points = templates["w"]
    sample = sample_template_character(points, NO_VARIABILITY, np.random.default_rng(1))
    # The spline passes through the first and last control points, so the summed steps span them.
    np.testing.assert_allclose(sample[:2].sum(axis=1), points[-1] - points[0], atol=1e-12)
    positions = points[0][:, None] + np.cumsum(sample[:2], axis=1)
    assert positions.min() > -0.05 and positions.max() < 1.05


def test_sampling_is_deterministic_and_independent_of_requested_labels(templates):
    variability = TemplateVariability()
    together, labels_together = sample_template_characters(templates, 2, variability, seed=11, labels=[4, 9, 17])
    alone, labels_alone = sample_template_characters(templates, 2, variability, seed=11, labels=[9])
    again, _ = sample_template_characters(templates, 2, variability, seed=11, labels=[4, 9, 17])
    other_seed, _ = sample_template_characters(templates, 2, variability, seed=12, labels=[9])
    assert labels_alone.tolist() == [9, 9] and labels_together.tolist() == [4, 4, 9, 9, 17, 17]
    for a, b in zip(together, again):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(together[2:4], alone):
        np.testing.assert_array_equal(a, b)
    assert not any(a.shape == b.shape and np.allclose(a, b) for a, b in zip(alone, other_seed))


def test_bad_variability_is_a_config_error():
    with pytest.raises(ConfigError, match="x_scale_range"):
        TemplateVariability(x_scale_range=(1.2, 0.8))
    with pytest.raises(ConfigError, match="duration_range"):
        TemplateVariability(duration_range=(1, 5))


# --- preprocessing -----------------------------------------------------------------------------------------------


def test_preprocessing_matches_hand_computed_example():
    velocity = np.array([[1.0, 0.0, 0.0, 2.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    trajectories, lengths = preprocess_characters([velocity])
    # The zero step is dropped; positions (1, 0), (1, 1), (3, 2) are rescaled per axis to [-5, 5].
    assert lengths.tolist() == [3]
    np.testing.assert_allclose(trajectories[0], [[-5, -5, 5], [-5, 0, 5]])


def test_default_preprocessing_fills_the_box_on_each_axis_and_nan_pads(templates):
    samples, _ = sample_template_characters(templates, 2, TemplateVariability(), seed=3)
    samples[0] = np.concatenate([samples[0], np.zeros((3, 4))], axis=1)  # zero steps are dropped
    trajectories, lengths = preprocess_characters(samples)
    assert trajectories.shape == (40, 2, lengths.max()) and trajectories.dtype == np.float64
    assert lengths[0] == samples[0].shape[1] - 4
    for trajectory, length in zip(trajectories, lengths):
        inside = trajectory[:, :length]
        assert np.all(np.isfinite(inside)) and np.all(np.isnan(trajectory[:, length:]))
        assert inside.min(axis=1).tolist() == [-5.0, -5.0] and inside.max(axis=1).tolist() == [5.0, 5.0]
    small, _ = preprocess_characters(samples[:1], box_cm=5.0)
    assert np.nanmin(small) == -2.5 and np.nanmax(small) == 2.5


def test_aspect_option_keeps_the_aspect_ratio(templates):
    samples, _ = sample_template_characters(templates, 1, TemplateVariability(), seed=3, labels=[8, 9])
    trajectories, lengths = preprocess_characters(samples, preserve_aspect=True)
    for sample, trajectory, length in zip(samples, trajectories, lengths):
        positions = np.cumsum(sample[:2], axis=1)
        extent_in, extent_out = np.ptp(positions, axis=1), np.ptp(trajectory[:, :length], axis=1)
        np.testing.assert_allclose(extent_out[0] / extent_out[1], extent_in[0] / extent_in[1])
        np.testing.assert_allclose(extent_out.max(), 10.0)
        np.testing.assert_allclose(trajectory[:, :length].min(axis=1), -trajectory[:, :length].max(axis=1))


def test_degenerate_samples_name_their_index():
    good = np.array([[1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    flat_y = np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(DataFormatError, match="sample 1.*extent"):
        preprocess_characters([good, flat_y])
    with pytest.raises(DataFormatError, match="sample 0.*empty"):
        preprocess_characters([np.zeros((3, 5)), good])
    with pytest.raises(DataFormatError, match=r"sample 0.*\(3, T\)"):
        preprocess_characters([good[:2]])
