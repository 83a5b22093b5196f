"""Report figures of the PCRT dataset (Sandbrink et al. 2023, Methods; docs/data.md).

Units are the dataset's: positions in cm (world frame, origin at the shoulder), joint angles in degrees, muscle
quantities in mm, one time step = ``dt_s`` seconds (0.015 s by default). Angular latents (rot, shear) are stored in
radians and shown in degrees.

Functions (each writes ``out_png`` and returns nothing):

- :func:`plot_characters` — source characters, a few examples per letter, pen path coloured by time;
- :func:`plot_arm_trajectory` — one sample's hand path and its 4 joint angles over the 320-step window;
- :func:`plot_muscle_heatmaps` — one sample's muscle lengths and spindle inputs (v1 firing, v2 length/velocity);
- :func:`plot_latent_distributions` — augmentation latents, label counts per plane and the start points;
- :func:`plot_surrogate_validation` — per-muscle errors of the muscle surrogate against its pass thresholds.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.ticker import FuncFormatter, MaxNLocator

from neuromotor.pcrt.characters import LETTERS
from neuromotor.pcrt.kinematics import JOINT_NAMES
from neuromotor.pcrt.layout import DT_S
from neuromotor.plots import check_keys, check_shape, new_figure, save_figure


LATENT_NAMES = ("size", "rot", "shear_x", "shear_y", "speed", "noise")
"""Augmentation latents of Sandbrink et al. 2023, in the order they are drawn."""

ANGLE_LATENTS = ("rot", "shear_x", "shear_y")
"""Latents stored in radians (shown in degrees)."""

PLANE_COLOURS = {"horizontal": "#1f77b4", "vertical": "#ff7f0e"}
"""One colour per plane, shared by every panel that splits by plane."""

TIME_CMAP = "viridis"


def _plane_colour(plane: str, index: int) -> str:
    fallback = ("#2ca02c", "#d62728", "#9467bd", "#8c564b")
    return PLANE_COLOURS.get(plane, fallback[index % len(fallback)])


def _time_line(ax, xy: np.ndarray, t: np.ndarray, norm: Normalize, linewidth: float = 1.6) -> LineCollection:
    """Add a 2-D line through ``xy`` (T, 2) whose colour follows ``t`` (T,)."""
    segments = np.stack([xy[:-1], xy[1:]], axis=1)
    lines = LineCollection(segments, cmap=TIME_CMAP, norm=norm, linewidth=linewidth, capstyle="round")
    lines.set_array(0.5 * (t[:-1] + t[1:]))
    ax.add_collection(lines)
    return lines


# --------------------------------------------------------------------------------------------------------------
# characters (Sandbrink et al. 2023, Methods)


def plot_characters(
    trajectories: np.ndarray,
    lengths: np.ndarray,
    labels: np.ndarray,
    out_png: str | Path,
    per_letter: int = 3,
) -> None:
    """Grid of source characters: the 20 letters (label order) × the first ``per_letter`` examples of each.

    Parameters
    ----------
    trajectories : (N, 2, Tmax) float, cm
        Pen-tip positions (x, y) in the character box, NaN-padded after each sample's length.
    lengths : (N,) int
        Number of valid time steps per sample (≤ Tmax).
    labels : (N,) int
        Class labels 1..20 (letters ``a b c d e g h l m n o p q r s u v w y z``).
    out_png : path
        Where the PNG is written.
    per_letter : int
        Examples shown per letter (fewer where a letter has fewer samples).

    Each path is coloured by normalised time (pen down = 0, end of stroke = 1); a dot marks the start. All panels
    share the same axis limits and an equal aspect, so sizes are comparable.
    """
    where = "plot_characters"
    dims: dict = {}
    trajectories = check_shape(where, "trajectories", trajectories, ("N", 2, "T"), dims).astype(float)
    lengths = check_shape(where, "lengths", lengths, ("N",), dims)
    labels = check_shape(where, "labels", labels, ("N",), dims)
    if int(per_letter) < 1:
        raise ValueError(f"{where}: per_letter must be ≥ 1, got {per_letter}")
    per_letter = int(per_letter)
    n, _, t_max = trajectories.shape
    if n == 0:
        raise ValueError(f"{where}: trajectories holds no samples (N = 0)")
    lengths = lengths.astype(int)
    if lengths.min() < 2 or lengths.max() > t_max:
        raise ValueError(f"{where}: lengths must lie in 2..{t_max} (Tmax), got {lengths.min()}..{lengths.max()}")
    labels = labels.astype(int)
    bad = sorted(set(labels[(labels < 1) | (labels > len(LETTERS))].tolist()))
    if bad:
        raise ValueError(f"{where}: labels must lie in 1..{len(LETTERS)}, got {bad[:5]}")

    chosen = {label: np.flatnonzero(labels == label)[:per_letter] for label in range(1, len(LETTERS) + 1)}
    shown = np.concatenate([idx for idx in chosen.values()])
    points = np.concatenate([trajectories[i, :, : lengths[i]] for i in shown], axis=1)
    finite = points[:, np.all(np.isfinite(points), axis=0)]
    if finite.size == 0:
        raise ValueError(f"{where}: the selected trajectories hold no finite positions")
    centre = 0.5 * (finite.min(axis=1) + finite.max(axis=1))
    half = 0.5 * float(np.max(finite.max(axis=1) - finite.min(axis=1))) * 1.08 or 1.0

    letter_cols = 5
    letter_rows = math.ceil(len(LETTERS) / letter_cols)
    cell = 1.05
    grid_width = letter_cols * per_letter * cell
    fig = new_figure(grid_width + 1.1, letter_rows * (cell + 0.32) + 0.5)
    grid_area, bar_area = fig.subfigures(1, 2, width_ratios=[grid_width, 1.1], wspace=0.0)
    blocks = grid_area.subfigures(letter_rows, letter_cols, wspace=0.015, hspace=0.015)
    for k, block in enumerate(blocks.flat):  # checkerboard shading separates the letters
        row, col = divmod(k, letter_cols)
        block.set_facecolor("0.95" if (row + col) % 2 == 0 else "white")
    norm = Normalize(0.0, 1.0)
    mappable = None
    for k, letter in enumerate(LETTERS):
        block = blocks.flat[k]
        block.suptitle(f"{letter}  (label {k + 1})", fontsize=10, fontweight="bold")
        axes = block.subplots(1, per_letter, squeeze=False)[0]
        for j, ax in enumerate(axes):
            ax.set_xlim(centre[0] - half, centre[0] + half)
            ax.set_ylim(centre[1] - half, centre[1] + half)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_color("0.8")
            if j >= len(chosen[k + 1]):
                if j == 0:
                    ax.text(0.5, 0.5, "no samples", ha="center", va="center", fontsize=7, color="0.5",
                            transform=ax.transAxes)
                continue
            i = chosen[k + 1][j]
            xy = trajectories[i, :, : lengths[i]].T
            xy = xy[np.all(np.isfinite(xy), axis=1)]
            if len(xy) < 2:
                continue
            mappable = _time_line(ax, xy, np.linspace(0.0, 1.0, len(xy)), norm)
            ax.plot(*xy[0], "o", color="k", markersize=2.5, zorder=3)
            ax.text(0.97, 0.03, f"{lengths[i]}", ha="right", va="bottom", fontsize=6, color="0.45",
                    transform=ax.transAxes)
    if mappable is not None:
        cax = bar_area.add_axes((0.12, 0.2, 0.16, 0.6))
        bar = bar_area.colorbar(mappable, cax=cax)
        bar.set_label("time (fraction of the stroke)")
    fig.suptitle(
        f"Source characters ({n} samples): first {per_letter} per letter; "
        f"box {2 * half / 1.08:.0f} cm, dot = pen down, number = steps",
        fontsize=11,
    )
    save_figure(fig, out_png)


# --------------------------------------------------------------------------------------------------------------
# one sample: arm kinematics (Sandbrink et al. 2023, Methods)


def _shade_holds(ax, start_s: float, end_s: float, total_s: float, label: bool) -> None:
    kwargs = dict(color="0.88", zorder=0, linewidth=0)
    if start_s > 0:
        ax.axvspan(0, start_s, label="posture held" if label else None, **kwargs)
        label = False
    if end_s < total_s:
        ax.axvspan(end_s, total_s, label="posture held" if label else None, **kwargs)


def plot_arm_trajectory(
    endeffector: np.ndarray,
    joints: np.ndarray,
    start_id: int,
    end_id: int,
    out_png: str | Path,
    dt_s: float = DT_S,
) -> None:
    """One sample's hand path (top and front views, world frame) and its 4 joint angles over the window.

    Parameters
    ----------
    endeffector : (3, W) float, cm
        Hand position (X forward, Y left, Z up; origin at the shoulder).
    joints : (4, W) float, deg
        Joint angles ``elv_angle, shoulder_elv, shoulder_rot, elbow_flexion``.
    start_id, end_id : int
        The character occupies steps ``[start_id, end_id)``; before and after, the posture is held (Sandbrink et al.
        2023, Methods).
    out_png : path
        Where the PNG is written.
    dt_s : float
        Seconds per step.
    """
    where = "plot_arm_trajectory"
    dims: dict = {}
    endeffector = check_shape(where, "endeffector", endeffector, (3, "W"), dims).astype(float)
    joints = check_shape(where, "joints", joints, (len(JOINT_NAMES), "W"), dims).astype(float)
    width = endeffector.shape[1]
    start_id, end_id = int(start_id), int(end_id)
    if not 0 <= start_id < end_id <= width:
        raise ValueError(
            f"{where}: need 0 ≤ start_id < end_id ≤ W = {width}, got start_id={start_id}, end_id={end_id}"
        )
    if not dt_s > 0:
        raise ValueError(f"{where}: dt_s must be > 0, got {dt_s}")

    t = np.arange(width) * dt_s
    total_s, start_s, end_s = width * dt_s, start_id * dt_s, end_id * dt_s
    norm = Normalize(start_s, max(end_s - dt_s, start_s + dt_s))  # colours span the character; holds stand still

    fig = new_figure(12.5, 6.4)
    left, right = fig.subfigures(1, 2, width_ratios=[0.8, 1.2], wspace=0.02)

    path = endeffector.T
    mid = 0.5 * (np.nanmin(path, axis=0) + np.nanmax(path, axis=0))
    half = 0.5 * float(np.nanmax(np.nanmax(path, axis=0) - np.nanmin(path, axis=0)))
    half = half * 1.12 + 0.5
    start_xyz = ", ".join(f"{v:.1f}" for v in path[start_id])
    views = left.subplots(2, 1)
    # Y (left) runs right-to-left, so a character drawn in either plane reads as written (Sandbrink et al. 2023,
    # Methods).
    for ax, (row, title) in zip(views, ((0, "top view"), (2, "front view"))):
        xy = path[:, [1, row]]
        lines = _time_line(ax, xy, t, norm, linewidth=2.0)
        ax.plot(*xy[start_id], "o", markersize=7, color="tab:green", markeredgecolor="k", zorder=4,
                label=f"start ({start_xyz}) cm")
        ax.plot(*xy[end_id - 1], "s", markersize=6, color="tab:red", markeredgecolor="k", zorder=4, label="end")
        ax.set_xlim(mid[1] + half, mid[1] - half)
        ax.set_ylim(mid[row] - half, mid[row] + half)
        ax.set_aspect("equal")
        ax.set_xlabel("Y left (cm)", fontsize=9)
        ax.set_ylabel("X forward (cm)" if row == 0 else "Z up (cm)", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(True, color="0.92", linewidth=0.6)
        ax.set_title(title, fontsize=10, loc="left")
    handles, labels = views[0].get_legend_handles_labels()
    left.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    bar = left.colorbar(lines, ax=list(views), shrink=0.5, aspect=25, pad=0.02)
    bar.set_label("time (s)")
    left.suptitle("Hand path (world frame, cm; origin at the shoulder)", fontsize=10)

    axes = right.subplots(len(JOINT_NAMES), 1, sharex=True)
    for k, (ax, name) in enumerate(zip(axes, JOINT_NAMES)):
        _shade_holds(ax, start_s, end_s, total_s, label=(k == 0))
        ax.plot(t, joints[k], color="k", linewidth=1.4)
        ax.set_ylabel(f"{name}\n(deg)", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(True, color="0.92", linewidth=0.6)
        ax.set_xlim(0, total_s)
        lo_k, hi_k = np.nanmin(joints[k]), np.nanmax(joints[k])
        margin = max(0.1 * (hi_k - lo_k), 1.0)
        ax.set_ylim(lo_k - margin, hi_k + margin)
    if start_s > 0 or end_s < total_s:
        axes[0].legend(loc="upper right", fontsize=8, frameon=False)
    axes[-1].set_xlabel("time (s)")
    right.suptitle(f"Joint angles (character in steps {start_id}–{end_id - 1} of {width}, dt = {dt_s:g} s)",
                   fontsize=10)
    save_figure(fig, out_png)


# --------------------------------------------------------------------------------------------------------------
# one sample: muscles and spindle inputs (Sandbrink et al. 2023, Methods)


def _heatmap(fig, ax, values: np.ndarray, total_s: float, names: Sequence[str], cmap: str, title: str, unit: str,
             symmetric: bool) -> None:
    finite = values[np.isfinite(values)]
    if symmetric:
        vmax = float(np.max(np.abs(finite))) if finite.size else 1.0
        vmin, vmax = -(vmax or 1.0), (vmax or 1.0)
    else:
        vmin = float(finite.min()) if finite.size else 0.0
        vmax = float(finite.max()) if finite.size else 1.0
    image = ax.imshow(values, aspect="auto", interpolation="nearest", cmap=cmap, vmin=vmin, vmax=vmax,
                      extent=(0.0, total_s, len(names) - 0.5, -0.5))
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels(names, fontsize=6.5)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    bar = fig.colorbar(image, ax=ax, pad=0.01, aspect=12)
    bar.set_label(unit, fontsize=9)
    bar.ax.tick_params(labelsize=7)


def plot_muscle_heatmaps(
    muscles: np.ndarray,
    spindle_firing: np.ndarray,
    spindle_info: np.ndarray,
    muscle_names: Sequence[str],
    out_png: str | Path,
    dt_s: float = DT_S,
    firing_units: str = "a.u.",
) -> None:
    """One sample's muscle quantity and spindle inputs as 4 stacked heatmaps (muscles × time).

    Parameters
    ----------
    muscles : (M, W) float, mm
        Muscle quantity (fiber or musculotendon length), M = 25 in the order of Sandbrink et al. 2023.
    spindle_firing : (M, W) float
        Spindle input v1 (a.u. for the DeepDraw formula, Hz for the Prochazka option; see ``firing_units``).
    spindle_info : (M, W, 2) float
        Spindle input v2: last axis (length mm, velocity mm/s).
    muscle_names : M strings
        Row labels, in the array order.
    out_png : path
        Where the PNG is written.
    dt_s : float
        Seconds per step.
    firing_units : str
        Unit shown on the v1 colour bar.

    Panels: (1) muscle length (mm, absolute: shows differences between muscles); (2) v1 firing (diverging
    colours, centred on 0); (3) v2 length channel minus each muscle's mean over the window (mm: shows the change
    over time, which the absolute panel hides); (4) v2 velocity (mm/s, diverging, centred on 0).
    """
    where = "plot_muscle_heatmaps"
    dims: dict = {}
    muscles = check_shape(where, "muscles", muscles, ("M", "W"), dims).astype(float)
    spindle_firing = check_shape(where, "spindle_firing", spindle_firing, ("M", "W"), dims).astype(float)
    spindle_info = check_shape(where, "spindle_info", spindle_info, ("M", "W", 2), dims).astype(float)
    names = [str(name) for name in muscle_names]
    if len(names) != muscles.shape[0]:
        raise ValueError(
            f"{where}: muscle_names must hold M = {muscles.shape[0]} names (from muscles), got {len(names)}"
        )
    if not dt_s > 0:
        raise ValueError(f"{where}: dt_s must be > 0, got {dt_s}")

    n_muscles, width = muscles.shape
    total_s = width * dt_s
    length_v2 = spindle_info[..., 0]
    centred = length_v2 - np.nanmean(length_v2, axis=1, keepdims=True)
    panel_height = max(2.2, 0.13 * n_muscles + 0.6)
    fig = new_figure(11.0, 4 * panel_height + 0.6)
    axes = fig.subplots(4, 1, sharex=True)
    _heatmap(fig, axes[0], muscles, total_s, names, "viridis", "Muscle length (absolute)", "mm", symmetric=False)
    _heatmap(fig, axes[1], spindle_firing, total_s, names, "PuOr_r", "Spindle input v1 (firing)", firing_units,
             symmetric=True)
    _heatmap(fig, axes[2], centred, total_s, names, "RdBu_r",
             "Spindle input v2, length channel (minus each muscle's mean)", "mm", symmetric=True)
    _heatmap(fig, axes[3], spindle_info[..., 1], total_s, names, "RdBu_r", "Spindle input v2, velocity channel",
             "mm/s", symmetric=True)
    axes[-1].set_xlabel("time (s)")
    fig.suptitle(f"Muscles and spindle inputs of one sample ({n_muscles} muscles × {width} steps, dt = {dt_s:g} s)",
                 fontsize=11)
    save_figure(fig, out_png)


# --------------------------------------------------------------------------------------------------------------
# dataset: latents, labels and start points (Sandbrink et al. 2023, Methods)


def _value_counts_by_plane(ax, values: np.ndarray, planes: np.ndarray, plane_names: Sequence[str], xlabel: str,
                           formatter) -> None:
    finite = values[np.isfinite(values)]
    levels = np.unique(np.round(finite, 6))
    if len(levels) <= 12:
        width = 0.8
        positions = np.arange(len(levels))
        bottom = np.zeros(len(levels))
        for p, plane in enumerate(plane_names):
            rounded = np.round(values[planes == plane], 6)
            counts = np.array([np.sum(rounded == level) for level in levels], dtype=float)
            ax.bar(positions, counts, width, bottom=bottom, color=_plane_colour(plane, p), label=plane)
            bottom += counts
        ax.set_xticks(positions)
        ax.set_xticklabels([formatter(level) for level in levels], fontsize=8)
    else:
        bins = np.histogram_bin_edges(finite, bins=20)
        data = [values[(planes == plane) & np.isfinite(values)] for plane in plane_names]
        ax.hist(data, bins=bins, stacked=True, color=[_plane_colour(p, i) for i, p in enumerate(plane_names)],
                label=list(plane_names))
        ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(True, axis="y", color="0.92", linewidth=0.6)
    ax.set_axisbelow(True)


def plot_latent_distributions(latents: Mapping[str, np.ndarray], out_png: str | Path) -> None:
    """Distributions of the augmentation latents, the label counts per plane and the start points.

    Parameters
    ----------
    latents : mapping
        ``size, speed, noise`` (N,) factors; ``rot, shear_x, shear_y`` (N,) in radians (shown in degrees);
        ``label`` (N,) ints 1..20; ``plane`` (N,) strings (``horizontal``/``vertical``); ``startpt`` (N, 3) cm.
    out_png : path
        Where the PNG is written.

    Every count is split by plane (stacked, one colour per plane). The distinct start points are shown from above
    (X over Y) and from the front (Z over Y), with Y (left) running right-to-left as in :func:`plot_arm_trajectory`.
    """
    where = "plot_latent_distributions"
    check_keys(where, "latents", latents, [*LATENT_NAMES, "label", "plane", "startpt"])
    dims: dict = {}
    values = {name: check_shape(where, f"latents[{name!r}]", latents[name], ("N",), dims).astype(float)
              for name in LATENT_NAMES}
    labels = check_shape(where, "latents['label']", latents["label"], ("N",), dims).astype(int)
    planes = check_shape(where, "latents['plane']", latents["plane"], ("N",), dims).astype(str)
    startpt = check_shape(where, "latents['startpt']", latents["startpt"], ("N", 3), dims).astype(float)
    n = len(labels)
    if n == 0:
        raise ValueError(f"{where}: latents hold no samples (N = 0)")
    bad = sorted(set(labels[(labels < 1) | (labels > len(LETTERS))].tolist()))
    if bad:
        raise ValueError(f"{where}: latents['label'] must lie in 1..{len(LETTERS)}, got {bad[:5]}")
    known = [p for p in PLANE_COLOURS if p in set(planes)]
    plane_names = known + sorted(set(planes) - set(known))

    fig = new_figure(13.0, 9.6)
    grid = fig.add_gridspec(3, 4, height_ratios=[1.0, 1.0, 1.05])
    descriptions = {
        "size": ("size (× length)", lambda v: f"{v:g}"),
        "rot": ("rotation (deg)", lambda v: f"{v:.0f}"),
        "shear_x": ("shear x (deg)", lambda v: f"{v:.0f}"),
        "shear_y": ("shear y (deg)", lambda v: f"{v:.0f}"),
        "speed": ("speed (× rate)", lambda v: f"{v:g}"),
        "noise": ("noise (stored, not applied)", lambda v: f"{v:g}"),
    }
    slots = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1)]
    for name, (row, col) in zip(LATENT_NAMES, slots):
        ax = fig.add_subplot(grid[row, col])
        shown = np.degrees(values[name]) if name in ANGLE_LATENTS else values[name]
        label, formatter = descriptions[name]
        _value_counts_by_plane(ax, shown, planes, plane_names, label, formatter)
        ax.set_title(name, fontsize=10, loc="left", fontweight="bold")
        if (row, col) == (0, 0):
            ax.set_ylabel("samples", fontsize=9)
            ax.legend(fontsize=8, frameon=False)
        if (row, col) == (1, 0):
            ax.set_ylabel("samples", fontsize=9)

    # Same orientation as the hand-path views: Y (left) runs right-to-left; each distinct start point drawn once.
    distinct = {plane: np.unique(startpt[planes == plane], axis=0) for plane in plane_names}
    for col, (row, title) in zip((2, 3), ((0, "start points, top view"), (2, "start points, front view"))):
        ax = fig.add_subplot(grid[1, col])
        for p, plane in enumerate(plane_names):
            points = distinct[plane]
            ax.scatter(points[:, 1], points[:, row], s=14, alpha=0.7, color=_plane_colour(plane, p),
                       marker="o^sD"[p % 4], edgecolor="none", label=f"{plane} ({len(points)})")
        ax.plot(0, 0, marker="+", color="k", markersize=9, linestyle="none", label="shoulder")
        ax.set_xlabel("Y left (cm)", fontsize=9)
        ax.set_ylabel("X forward (cm)" if row == 0 else "Z up (cm)", fontsize=9)
        ax.set_aspect("equal", adjustable="datalim")
        ax.invert_xaxis()
        ax.tick_params(labelsize=8)
        ax.grid(True, color="0.92", linewidth=0.6)
        ax.set_title(title, fontsize=10, loc="left", fontweight="bold")
        if col == 2:
            ax.legend(fontsize=7, frameon=True, framealpha=0.85, loc="best")

    ax = fig.add_subplot(grid[2, :])
    classes = np.arange(1, len(LETTERS) + 1)
    width = 0.8 / max(1, len(plane_names))
    for p, plane in enumerate(plane_names):
        counts = np.bincount(labels[planes == plane], minlength=len(LETTERS) + 1)[1:]
        offset = (p - (len(plane_names) - 1) / 2) * width
        ax.bar(classes + offset, counts, width, color=_plane_colour(plane, p), label=plane)
    ax.set_xticks(classes)
    ax.set_xticklabels([f"{letter}\n{k}" for k, letter in zip(classes, LETTERS)], fontsize=8)
    ax.set_xlim(0.4, len(LETTERS) + 0.6)
    ax.set_ylabel("samples", fontsize=9)
    ax.set_xlabel("letter / label", fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(True, axis="y", color="0.92", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, frameon=False, ncols=len(plane_names), loc="lower right", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("label counts per plane", fontsize=10, loc="left", fontweight="bold")

    per_plane = ", ".join(f"{plane} {int(np.sum(planes == plane))}" for plane in plane_names)
    fig.suptitle(f"Augmentation latents, labels and start points of {n} samples ({per_plane})", fontsize=11)
    save_figure(fig, out_png)


# --------------------------------------------------------------------------------------------------------------
# muscle surrogate validation (docs/decisions.md)

_MAX_ABS_MM_KEYS = ("max_abs_error_mm", "max_abs_mm")
"""Accepted names of the per-muscle max |error| in mm (the first is what ``validate_surrogate`` writes)."""


def _relative_errors(where: str, name: str, entry: Mapping) -> tuple[float, float, float]:
    """``(rmse_rel, max_abs_rel, range_mm)`` of one muscle entry, computing relative values from mm where missing."""
    check_keys(where, f"report['muscles'][{name!r}]", entry, ["range_mm"])
    range_mm = float(entry["range_mm"])
    values = []
    for rel_key, mm_keys in (("rmse_rel", ("rmse_mm",)), ("max_abs_rel", _MAX_ABS_MM_KEYS)):
        if rel_key in entry:
            values.append(float(entry[rel_key]))
            continue
        mm_key = next((key for key in mm_keys if key in entry), None)
        if mm_key is None:
            raise ValueError(
                f"{where}: report['muscles'][{name!r}] needs {rel_key!r} or one of {list(mm_keys)}; "
                f"has {sorted(entry)}"
            )
        values.append(float(entry[mm_key]) / range_mm if range_mm > 0 else float("nan"))
    return values[0], values[1], range_mm


def _muscle_rows(where: str, muscles) -> list[tuple[str, dict]]:
    """The report's per-muscle entries as ``[(name, entry)]``, from a mapping or a list of dicts with ``name``."""
    if isinstance(muscles, Mapping):
        rows = [(str(name), entry) for name, entry in muscles.items()]
    elif isinstance(muscles, Sequence) and not isinstance(muscles, str):
        rows = []
        for k, entry in enumerate(muscles):
            if not isinstance(entry, Mapping) or "name" not in entry:
                raise ValueError(f"{where}: report['muscles'][{k}] must be a mapping with a 'name'")
            rows.append((str(entry["name"]), entry))
    else:
        raise ValueError(
            f"{where}: report['muscles'] must map muscle names to their errors, got {type(muscles).__name__}"
        )
    if not rows:
        raise ValueError(f"{where}: report['muscles'] is empty")
    return rows


def plot_surrogate_validation(report: Mapping, out_png: str | Path) -> None:
    """Per-muscle errors of the muscle surrogate relative to each muscle's range, against the pass thresholds.

    Parameters
    ----------
    report : mapping
        The validation report of :func:`neuromotor.pcrt.surrogate.validate_surrogate`:
        ``{"muscles": {name: {"rmse_mm", "max_abs_error_mm", "range_mm", "rmse_rel", "max_abs_rel", "passed"}},
        "thresholds": {"max_rmse_rel", "max_abs_rel"}, ...}``. Relative values are fractions of the range; a
        missing ``*_rel`` is computed from the mm value (``max_abs_mm`` is accepted for ``max_abs_error_mm``), a
        missing ``passed`` from the thresholds; ``muscles`` may also be a list of entries with a ``name``. Other
        top-level scalars (quantity, degree, n_points, model digest) are listed under the title.
    out_png : path
        Where the PNG is written.

    Two bar charts (RMSE / range and max |error| / range, in %; log scale when the values span more than a
    factor 20), one bar per muscle in report order, with the thresholds as dashed lines; a bar above its
    threshold is red, and the names of muscles that fail are red and bold.
    """
    where = "plot_surrogate_validation"
    check_keys(where, "report", report, ["muscles", "thresholds"])
    check_keys(where, "report['thresholds']", report["thresholds"], ["max_rmse_rel", "max_abs_rel"])
    rows = _muscle_rows(where, report["muscles"])
    max_rmse_rel = float(report["thresholds"]["max_rmse_rel"])
    max_abs_rel = float(report["thresholds"]["max_abs_rel"])

    names = [name for name, _ in rows]
    rmse_rel, abs_rel, range_mm = np.array([_relative_errors(where, name, entry) for name, entry in rows]).T
    passed = np.array([
        bool(entry["passed"]) if "passed" in entry else bool(r <= max_rmse_rel and a <= max_abs_rel)
        for (_, entry), r, a in zip(rows, rmse_rel, abs_rel)
    ])

    fig = new_figure(max(8.0, 0.36 * len(names) + 2.0), 7.2)
    axes = fig.subplots(2, 1, sharex=True)
    positions = np.arange(len(names))
    panels = (
        (axes[0], rmse_rel, max_rmse_rel, "RMSE / range (%)"),
        (axes[1], abs_rel, max_abs_rel, "max |error| / range (%)"),
    )
    for ax, rel, threshold, ylabel in panels:
        percent = 100.0 * rel
        over = ~(rel <= threshold)  # NaN counts as over
        colours = np.where(over, "tab:red", "tab:blue")
        floor = 1e-4
        ax.bar(positions, np.clip(np.nan_to_num(percent, nan=floor), floor, None), 0.75, color=colours)
        ax.axhline(100.0 * threshold, color="k", linestyle="--", linewidth=1.0,
                   label=f"threshold {100.0 * threshold:g} %")
        positive = percent[np.isfinite(percent) & (percent > 0)]
        top = max(100.0 * threshold, positive.max() if positive.size else 0.0)
        bottom = min(100.0 * threshold, positive.min() if positive.size else 100.0 * threshold)
        if top / max(bottom, 1e-12) > 20:
            ax.set_yscale("log")
            ax.set_ylim(max(bottom / 3, floor), top * 3)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        else:
            ax.set_ylim(0, top * 1.25)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(True, axis="y", color="0.92", linewidth=0.6, which="both")
        ax.set_axisbelow(True)
        ax.legend(fontsize=8, frameon=False, loc="upper right")
    verdict = _label_muscles(axes[-1], positions, names, passed)
    extras = [
        f"{key} = {value if len(str(value)) <= 16 else str(value)[:12] + '…'}"
        for key, value in report.items()
        if key not in ("muscles", "thresholds", "passed") and isinstance(value, (int, float, str))
    ]
    ranges = f"{np.nanmin(range_mm):.1f}–{np.nanmax(range_mm):.1f} mm"
    title = f"Muscle surrogate validation: {verdict}; muscle ranges {ranges}"
    if extras:
        title += "\n" + ", ".join(extras[:6])
    fig.suptitle(title, fontsize=11, color="k" if passed.all() else "tab:red")
    save_figure(fig, out_png)


def plot_table_validation(report: Mapping, out_png: str | Path) -> None:
    """Per-muscle errors (mm) of the tabulated muscle quantity against OpenSim, against the pass criteria.

    Parameters
    ----------
    report : mapping
        The report of :func:`neuromotor.pcrt.muscle_table.validate_tabulated`: ``{"muscles": {name:
        {"max_abs_error_mm", "rmse_mm", "exact_fraction", "passed"}}, "thresholds": {"max_abs_error_mm",
        "rmse_mm"}, ...}``; other top-level scalars (model, quantity, n_points, n_trajectories) go under the title.
    out_png : path
        Where the PNG is written.

    Three panels, one bar per muscle in report order: max |error| and RMSE (mm, log scale) with the criteria as
    dashed lines (a bar above its criterion is red, as is the failing muscle's name), and the fraction of steps
    that the method evaluated with OpenSim.
    """
    where = "plot_table_validation"
    check_keys(where, "report", report, ["muscles", "thresholds"])
    check_keys(where, "report['thresholds']", report["thresholds"], ["max_abs_error_mm", "rmse_mm"])
    rows = _muscle_rows(where, report["muscles"])
    for name, entry in rows:
        check_keys(where, f"report['muscles'][{name!r}]", entry, ["max_abs_error_mm", "rmse_mm", "exact_fraction"])
    names = [name for name, _ in rows]
    max_abs = np.array([float(entry["max_abs_error_mm"]) for _, entry in rows])
    rmse = np.array([float(entry["rmse_mm"]) for _, entry in rows])
    exact = np.array([float(entry["exact_fraction"]) for _, entry in rows])
    limits = float(report["thresholds"]["max_abs_error_mm"]), float(report["thresholds"]["rmse_mm"])
    passed = (max_abs <= limits[0]) & (rmse <= limits[1])

    fig = new_figure(max(8.0, 0.36 * len(names) + 2.0), 8.4)
    axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 3, 2]})
    positions = np.arange(len(names))
    floor = 1e-5
    for ax, values, limit, ylabel in (
        (axes[0], max_abs, limits[0], "max |error| (mm)"),
        (axes[1], rmse, limits[1], "RMSE (mm)"),
    ):
        over = ~(values <= limit)
        shown = np.clip(np.nan_to_num(values, nan=1e6, posinf=1e6), floor, None)
        ax.bar(positions, shown, 0.75, color=np.where(over, "tab:red", "tab:blue"))
        ax.axhline(limit, color="k", linestyle="--", linewidth=1.0, label=f"criterion {limit:g} mm")
        ax.set_yscale("log")
        ax.set_ylim(max(min(shown.min(), limit) / 3, floor), max(shown.max(), limit) * 3)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.set_ylabel(ylabel, fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(True, axis="y", color="0.92", linewidth=0.6, which="both")
        ax.set_axisbelow(True)
        ax.legend(fontsize=8, frameon=False, loc="upper right")
    axes[2].bar(positions, 100 * exact, 0.75, color="0.5")
    axes[2].set_ylabel("steps by OpenSim (%)", fontsize=9)
    axes[2].tick_params(axis="y", labelsize=8)
    axes[2].set_ylim(0, max(1.0, 100 * exact.max() * 1.2))
    verdict = _label_muscles(axes[-1], positions, names, passed)
    extras = [
        f"{key} = {value if len(str(value)) <= 24 else str(value)[:20] + '…'}"
        for key, value in report.items()
        if key in ("model", "quantity", "n_trajectories", "n_points", "exact_fraction")
    ]
    title = f"Muscle table vs OpenSim on accepted trajectories: {verdict}"
    if extras:
        title += "\n" + ", ".join(extras)
    fig.suptitle(title, fontsize=11, color="k" if passed.all() else "tab:red")
    save_figure(fig, out_png)


def _label_muscles(ax, positions: np.ndarray, names: Sequence[str], passed: np.ndarray) -> str:
    """Muscle names under the bottom panel ``ax``, the failing ones (``passed`` False) in bold red; returns the
    verdict line of the figure's title."""
    ax.set_xticks(positions)
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    for tick, ok in zip(ax.get_xticklabels(), passed):
        if not ok:
            tick.set_color("tab:red")
            tick.set_fontweight("bold")
    ax.set_xlim(-0.6, len(names) - 0.4)
    n_failed = int(np.sum(~passed))
    return "all muscles pass" if n_failed == 0 else f"{n_failed} of {len(names)} muscles FAIL (red)"
