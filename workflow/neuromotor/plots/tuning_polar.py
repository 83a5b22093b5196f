"""Polar tuning-curve plots of single units (Sandbrink et al. 2023, Fig. 5A–B; the original ``polar_tcs.py``).

- :func:`polar_activation_map` — a unit's activation over (movement direction θ, speed r) interpolated onto a regular
  polar grid: linear interpolation of the samples on their Delaunay triangulation (what
  ``scipy.interpolate.griddata(method="linear")`` does), the grid points outside their convex hull filled by
  nearest-neighbour interpolation, then smoothed with a Gaussian filter (periodic in θ);
- :func:`plot_polar_tuning` — per unit, the activation against direction as a polar scatter (Fig. 5A) and the
  interpolated (θ, speed) map as a polar contour (Fig. 5B). Arrays in, one PNG out;
- :func:`plot_polar_tuning_maps` — the same for example units of several layers, with a third row: the map over
  the end-effector's polar position (distance and direction from the trajectory's start); units may be sampled at
  different time steps (NaN where a unit has no sample). Arrays in, one PNG out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from neuromotor.plots import check_shape, new_figure, save_figure


WRAP_MARGIN = np.pi / 3
"""Samples within this angle of ±π are repeated on the other side of the θ axis before the interpolation."""


def _inside_hull(points: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Which ``query`` points (M, 2) lie strictly inside the convex hull of ``points`` (P, 2): bool (M,)."""
    from scipy.spatial import ConvexHull

    equations = ConvexHull(points).equations  # rows (a, b, c): a·x + b·y + c <= 0 inside
    scale = float(np.abs(points).max()) or 1.0
    return np.all(query @ equations[:, :2].T + equations[:, 2] < -1e-9 * scale, axis=1)


def polar_activation_map(
    direction: np.ndarray,
    speed: np.ndarray,
    activation: np.ndarray,
    n_theta: int = 72,
    n_r: int = 24,
    sigma: float = 1.5,
    r_max: float | None = None,
    max_samples: int | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One unit's activation on a regular (θ, r) grid.

    Args:
        direction: (N,) movement direction θ in radians (any range; wrapped to [−π, π)).
        speed: (N,) speed r ≥ 0 (any unit).
        activation: (N,) the unit's activation at the same samples.
        n_theta, n_r: grid points in θ (over [−π, π)) and in r (over [0, r_max]).
        sigma: Gaussian smoothing in grid points (θ periodic, r clamped); 0 = none.
        r_max: outer radius of the grid (None = the largest finite speed; samples beyond it still shape the
            interpolation inside).
        max_samples: interpolate from at most this many of the finite samples, drawn without replacement with
            ``seed`` (None = all; the triangulation of hundreds of thousands of samples takes seconds per map).
    Returns:
        theta (n_theta,), r (n_r,), values (n_r, n_theta).
    Raises:
        ValueError: different lengths, fewer than 4 finite samples, or no spread in speed or direction.
    """
    from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator
    from scipy.ndimage import gaussian_filter

    direction, speed, activation = (np.asarray(a, dtype=np.float64).ravel() for a in (direction, speed, activation))
    if not direction.size == speed.size == activation.size:
        raise ValueError(f"polar_activation_map: direction ({direction.size}), speed ({speed.size}) and activation "
                         f"({activation.size}) must have the same length")
    finite = np.isfinite(direction) & np.isfinite(speed) & np.isfinite(activation)
    direction, speed, activation = direction[finite], speed[finite], activation[finite]
    if not has_spread(direction, speed):
        raise ValueError(f"polar_activation_map: needs at least 4 finite samples spread in speed and direction, got "
                         f"{direction.size}")
    if max_samples is not None and direction.size > max_samples:
        chosen = np.sort(np.random.default_rng(seed).choice(direction.size, max_samples, replace=False))
        direction, speed, activation = direction[chosen], speed[chosen], activation[chosen]
    theta = np.linspace(-np.pi, np.pi, n_theta, endpoint=False)
    outer = float(speed.max()) if r_max is None else float(r_max)
    if not outer > 0:
        raise ValueError(f"polar_activation_map: r_max must be > 0, got {outer}")
    r = np.linspace(0.0, outer, n_r)
    wrapped = (direction + np.pi) % (2 * np.pi) - np.pi
    # the samples within WRAP_MARGIN of ±π repeated on the other side, so the interpolation wraps around
    shifted = np.concatenate([wrapped, wrapped - 2 * np.pi, wrapped + 2 * np.pi])
    keep = np.abs(shifted) <= np.pi + WRAP_MARGIN
    points = np.column_stack([shifted, np.tile(speed, 3)])[keep]
    values = np.tile(activation, 3)[keep]
    grid_theta, grid_r = np.meshgrid(theta, r)
    query = np.column_stack([grid_theta.ravel(), grid_r.ravel()])
    out = NearestNDInterpolator(points, values)(query)
    inside = _inside_hull(points, query)
    if inside.any():  # a point outside the hull would cost a search of every triangle: nearest there
        linear = LinearNDInterpolator(points, values)(query[inside])
        out[inside] = np.where(np.isfinite(linear), linear, out[inside])
    out = out.reshape(grid_theta.shape)
    if sigma > 0:
        out = gaussian_filter(out, sigma=sigma, mode=("nearest", "wrap"))
    return theta, r, out


def has_spread(direction: np.ndarray, speed: np.ndarray) -> bool:
    """Whether finite samples (N,) of direction and speed can be mapped by :func:`polar_activation_map`: at least
    4 of them, not all at one speed or one direction."""
    direction, speed = np.asarray(direction, dtype=np.float64), np.asarray(speed, dtype=np.float64)
    return direction.size >= 4 and bool(np.ptp(speed) > 0) and bool(np.ptp(direction) > 0)


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


ROW_LABELS = (
    "activation (radius)\nagainst movement\ndirection (angle)",
    "activation over\nmovement direction\n(angle) and speed\n(radius, cm/step)",
    "activation over the\ndirection (angle) and\ndistance (radius, cm)\nfrom the trajectory's\nstart",
)
"""Row labels of :func:`plot_polar_tuning_maps`."""


def plot_polar_tuning_maps(
    velocity: np.ndarray,
    position: np.ndarray,
    activation: np.ndarray,
    units: Sequence[str],
    title: str,
    out_png: str | Path,
    *,
    max_points: int = 3000,
    max_samples: int = 20000,
    r_quantile: float = 0.99,
) -> None:
    """Polar tuning of example units (Sandbrink et al. 2023, Fig. 5A–B), one column per unit: row 1, activation
    (radius, shifted to start at 0) against movement direction (angle), one dot per sample; row 2, the
    :func:`polar_activation_map` over (direction, speed); row 3, over the polar position relative to the
    trajectory's start. The maps of a unit are coloured from its lowest to its highest interpolated value over
    both maps (one colour bar for the figure, in that normalised scale).

    Parameters
    ----------
    velocity : (N, 2) speed r (cm/step) and direction θ (radians) of the end-effector at each sample (trajectory ×
        input time step), the polar form of the tuning analyses (θ NaN at rest).
    position : (N, 2) distance r (cm) and direction θ (radians) of the end-effector from its trajectory's start.
    activation : (N, U) activation of each unit; NaN where the unit has no sample (a layer with a coarser time step,
        or a trimmed step). U may be 0 (a figure that says so).
    units : U column labels.
    max_points : samples drawn in the scatter (drawn with a fixed seed when there are more).
    max_samples : samples interpolated per map (drawn with a fixed seed when there are more).
    r_quantile : each map's outer radius is this quantile of its samples' radii (a few fast samples would otherwise
        leave most of the disc to extrapolation).
    """
    where = "plot_polar_tuning_maps"
    dims: dict = {}
    velocity = check_shape(where, "velocity", velocity, ("N", 2), dims).astype(float)
    position = check_shape(where, "position", position, ("N", 2), dims).astype(float)
    activation = check_shape(where, "activation", activation, ("N", len(units)), dims).astype(float)
    if not 0 < r_quantile <= 1:
        raise ValueError(f"{where}: r_quantile must be in (0, 1], got {r_quantile}")
    n_units = len(units)
    if n_units == 0:
        fig = new_figure(5, 2.5)
        ax = fig.subplots()
        ax.text(0.5, 0.5, "no unit to show", ha="center", va="center", transform=ax.transAxes, color="0.4")
        ax.set_axis_off()
        fig.suptitle(title, fontsize=9)
        save_figure(fig, out_png)
        return
    maps = [[_unit_map(values, activation[:, u], r_quantile, max_samples) for values in (velocity, position)]
            for u in range(n_units)]

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    left, width, height = 1.65, 1.9 * n_units + 1.65 + 0.7, 6.6
    fig = Figure(figsize=(width, height))  # fixed margins: the constrained layout costs seconds at dozens of panels
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=left / width, right=1 - 0.75 / width, bottom=0.2 / height, top=1 - 1.05 / height,
                        wspace=0.4, hspace=0.35)  # fmt: skip
    axes = fig.subplots(3, n_units, squeeze=False, subplot_kw={"projection": "polar"})
    rng = np.random.default_rng(0)
    levels = np.linspace(0.0, 1.0, 13)
    for u, label in enumerate(units):
        theta_v, a = velocity[:, 1], activation[:, u]
        finite = np.flatnonzero(np.isfinite(theta_v) & np.isfinite(a))
        shown = np.sort(rng.choice(finite, max_points, replace=False)) if finite.size > max_points else finite
        if shown.size:
            values = a[shown]
            axes[0, u].scatter(theta_v[shown], values - min(0.0, float(values.min())), s=2, alpha=0.3, color="k",
                               linewidths=0, rasterized=True)  # fmt: skip
        axes[0, u].set_title(label, fontsize=7)
        grids = [m[2] for m in maps[u] if m is not None]
        low = min((float(g.min()) for g in grids), default=0.0)
        span = max((float(g.max()) for g in grids), default=1.0) - low
        for row, unit_map in enumerate(maps[u], start=1):
            ax = axes[row, u]
            if unit_map is None:
                ax.text(0.5, 0.5, "too few samples", ha="center", va="center", transform=ax.transAxes, fontsize=6,
                        color="0.4")
                continue
            theta, r, grid = unit_map
            closed_theta = np.concatenate([theta, theta[:1] + 2 * np.pi])
            closed = np.concatenate([grid, grid[:, :1]], axis=1)
            normalised = (closed - low) / span if span > 0 else np.full_like(closed, 0.5)
            ax.contourf(closed_theta, r, normalised, levels=levels, cmap="viridis")
        for row in range(3):
            ax = axes[row, u]
            ax.set_thetagrids([0, 90, 180, 270])
            ax.yaxis.set_major_locator(MaxNLocator(3))
            ax.tick_params(labelsize=5, pad=0)
    for row, text in enumerate(ROW_LABELS):
        box = axes[row, 0].get_position()
        fig.text(0.15 / width, (box.y0 + box.y1) / 2, text, fontsize=7, va="center", ha="left")
    top, bottom = axes[1, -1].get_position(), axes[2, -1].get_position()
    bar = fig.add_axes((1 - 0.55 / width, bottom.y0, 0.12 / width, top.y1 - bottom.y0))
    colorbar = fig.colorbar(ScalarMappable(Normalize(0, 1), cmap="viridis"), cax=bar)
    colorbar.set_label("activation, from the unit's lowest (0) to its highest (1) value on its two maps", fontsize=6)
    colorbar.ax.tick_params(labelsize=5)
    fig.suptitle(title, fontsize=9)
    save_figure(fig, out_png)


def _unit_map(values: np.ndarray, activation: np.ndarray, r_quantile: float, max_samples: int):
    """:func:`polar_activation_map` of one unit over ``values`` (N, 2) = (r, θ) from its finite samples, the grid's
    outer radius at the ``r_quantile`` of their radii; None when they do not spread in both (:func:`has_spread`)."""
    r, theta = values[:, 0], values[:, 1]
    finite = np.isfinite(r) & np.isfinite(theta) & np.isfinite(activation)
    if not has_spread(theta[finite], r[finite]):
        return None
    r_max = float(np.quantile(r[finite], r_quantile))
    return polar_activation_map(theta[finite], r[finite], activation[finite], r_max=r_max if r_max > 0 else None,
                                max_samples=max_samples)  # fmt: skip
