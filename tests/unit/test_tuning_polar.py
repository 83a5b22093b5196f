"""Polar tuning-curve plots (Sandbrink et al. 2023, Fig. 5A-B): the interpolated (direction, speed) map recovers a
known tuning, and the plot writes one PNG and names bad input."""

import numpy as np
import pytest

from neuromotor.plots.tuning_polar import plot_polar_tuning, polar_activation_map


def _samples(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    direction = rng.uniform(-np.pi, np.pi, n)
    speed = rng.uniform(0, 10, n)
    return direction, speed


def test_the_map_recovers_a_cosine_tuning_scaled_by_speed():
    direction, speed = _samples()
    preferred = 0.7
    activation = speed * np.cos(direction - preferred)  # direction x speed tuning (model 3)
    theta, r, values = polar_activation_map(direction, speed, activation, n_theta=72, n_r=20, sigma=0)
    assert values.shape == (20, 72) and theta.shape == (72,) and r[-1] == pytest.approx(speed.max())
    expected = r[:, None] * np.cos(theta[None, :] - preferred)
    inner = slice(2, 18)  # away from the sampled range's edges
    assert np.abs(values[inner] - expected[inner]).max() < 0.6  # ±10 at the outer ring
    best = theta[np.argmax(values[-3])]
    assert abs(np.angle(np.exp(1j * (best - preferred)))) < 0.15
    smoothed = polar_activation_map(direction, speed, activation, n_theta=72, n_r=20, sigma=2)[2]
    assert np.isfinite(smoothed).all() and smoothed.std() < values.std()


def test_the_map_wraps_around_minus_pi():
    direction, speed = _samples(seed=1)
    activation = np.cos(direction - np.pi)  # peak at ±π
    theta, _, values = polar_activation_map(direction, speed, activation, sigma=1.5)
    assert values[:, 0].mean() > 0.8 and values[:, -1].mean() > 0.8  # both ends of the θ grid near the peak


def test_bad_samples_are_named():
    direction, speed = _samples(10)
    with pytest.raises(ValueError, match="must have the same length"):
        polar_activation_map(direction, speed[:5], speed)
    with pytest.raises(ValueError, match="at least 4 finite samples spread in speed and direction"):
        polar_activation_map(direction, np.zeros(10), speed)


def test_plot_writes_one_png_and_checks_shapes(tmp_path):
    direction, speed = _samples(800, seed=2)
    activation = np.column_stack([np.cos(direction), speed, speed * np.sin(direction)])
    plot_polar_tuning(direction, speed, activation, ["spindle 1", "layer 3 unit 5", "layer 8 unit 2"], "units",
                      tmp_path / "polar.png")
    data = (tmp_path / "polar.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    with pytest.raises(ValueError, match=r"plot_polar_tuning: activation must have shape \(N, 2\) with N = 800"):
        plot_polar_tuning(direction, speed, activation[:10, :2], ["a", "b"], "x", tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
