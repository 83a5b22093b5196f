"""Polar tuning-curve plots of single units (Sandbrink et al. 2023, Fig. 5A–B; the original ``polar_tcs.py``).

- :func:`polar_activation_map` — a unit's activation over (movement direction θ, speed r) interpolated onto a regular
  polar grid: linear interpolation (``scipy.interpolate.griddata``) of the samples, the gaps outside their convex hull
  filled by nearest-neighbour interpolation, then smoothed with a Gaussian filter (periodic in θ);
- :func:`plot_polar_tuning` — per unit, the activation against direction as a polar scatter (Fig. 5A) and the
  interpolated (θ, speed) map as a polar contour (Fig. 5B). Arrays in, one PNG out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from neuromotor.plots import check_shape, new_figure, save_figure


def polar_activation_map(
    direction: np.ndarray,
    speed: np.ndarray,
    activation: np.ndarray,
    n_theta: int = 72,
    n_r: int = 24,
    sigma: float = 1.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One unit's activation on a regular (θ, r) grid.

    Args:
        direction: (N,) movement direction θ in radians (any range; wrapped to [−π, π)).
        speed: (N,) speed r ≥ 0 (any unit).
        activation: (N,) the unit's activation at the same samples.
        n_theta, n_r: grid points in θ (over [−π, π)) and in r (over [0, max speed]).
        sigma: Gaussian smoothing in grid points (θ periodic, r clamped); 0 = none.
    Returns:
        theta (n_theta,), r (n_r,), values (n_r, n_theta).
    Raises:
        ValueError: different lengths, fewer than 4 finite samples, or no spread in speed or direction.
    """
    from scipy.interpolate import griddata
    from scipy.ndimage import gaussian_filter

    direction, speed, activation = (np.asarray(a, dtype=np.float64).ravel() for a in (direction, speed, activation))
    if not direction.size == speed.size == activation.size:
        raise ValueError(f"polar_activation_map: direction ({direction.size}), speed ({speed.size}) and activation "
                         f"({activation.size}) must have the same length")
    finite = np.isfinite(direction) & np.isfinite(speed) & np.isfinite(activation)
    direction, speed, activation = direction[finite], speed[finite], activation[finite]
    if direction.size < 4 or np.ptp(speed) == 0 or np.ptp(direction) == 0:
        raise ValueError(f"polar_activation_map: needs at least 4 finite samples spread in speed and direction, got "
                         f"{direction.size}")
    theta = np.linspace(-np.pi, np.pi, n_theta, endpoint=False)
    r = np.linspace(0.0, float(speed.max()), n_r)
    wrapped = (direction + np.pi) % (2 * np.pi) - np.pi
    # the samples near ±π repeated on the other side, so the interpolation wraps around
    points = np.concatenate([wrapped, wrapped - 2 * np.pi, wrapped + 2 * np.pi])
    points = np.column_stack([points, np.tile(speed, 3)])
    values = np.tile(activation, 3)
    grid_theta, grid_r = np.meshgrid(theta, r)
    linear = griddata(points, values, (grid_theta, grid_r), method="linear")
    nearest = griddata(points, values, (grid_theta, grid_r), method="nearest")
    out = np.where(np.isfinite(linear), linear, nearest)
    if sigma > 0:
        out = gaussian_filter(out, sigma=sigma, mode=("nearest", "wrap"))
    return theta, r, out


def plot_polar_tuning(
    direction: np.ndarray,
    speed: np.ndarray,
    activation: np.ndarray,
    units: Sequence[str],
    title: str,
    out_png: str | Path,
    max_points: int = 4000,
) -> None:
    """Fig. 5A–B for U units: top row, activation (radius) against direction (angle), one dot per sample; bottom
    row, the (direction, speed) map of :func:`polar_activation_map` as a filled polar contour.

    Parameters
    ----------
    direction : (N,) movement direction θ (radians) of each sample (trajectory × time point).
    speed : (N,) speed of each sample (radius of the bottom row).
    activation : (N, U) activation of each unit.
    units : U labels (e.g. "spindle 3", "layer 5 unit 12").
    max_points : samples drawn in the scatter (an even sub-sample when there are more; the maps use all).
    """
    where = "plot_polar_tuning"
    dims: dict = {}
    direction = check_shape(where, "direction", direction, ("N",), dims).astype(float)
    speed = check_shape(where, "speed", speed, ("N",), dims).astype(float)
    activation = check_shape(where, "activation", activation, ("N", len(units)), dims).astype(float)
    n_units = len(units)
    if n_units == 0:
        raise ValueError(f"{where}: units is empty")
    maps = [polar_activation_map(direction, speed, activation[:, u]) for u in range(n_units)]
    shown = np.linspace(0, len(direction) - 1, min(max_points, len(direction))).astype(int)
    fig = new_figure(2.6 * n_units + 0.6, 5.6)
    for u, label in enumerate(units):
        ax = fig.add_subplot(2, n_units, u + 1, projection="polar")
        values = activation[shown, u]
        ax.scatter(direction[shown], values - min(0.0, float(np.nanmin(values))), s=2, alpha=0.3, color="k",
                   linewidths=0, rasterized=True)
        ax.set_title(label, fontsize=8)
        ax.tick_params(labelsize=5)
        theta, r, grid = maps[u]
        ax = fig.add_subplot(2, n_units, n_units + u + 1, projection="polar")
        closed_theta = np.concatenate([theta, theta[:1] + 2 * np.pi])
        closed = np.concatenate([grid, grid[:, :1]], axis=1)
        image = ax.contourf(closed_theta, r, closed, levels=12, cmap="viridis")
        ax.tick_params(labelsize=5)
        fig.colorbar(image, ax=ax, shrink=0.6, pad=0.12).ax.tick_params(labelsize=5)
    fig.suptitle(f"{title}\ntop: activation (radius) vs direction; bottom: activation over direction (angle) and "
                 "speed (radius), interpolated and smoothed", fontsize=8)
    save_figure(fig, out_png)
