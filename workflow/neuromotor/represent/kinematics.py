"""Kinematic features of the single-unit analyses, plane subsets and the alignment of layer time to input time
(Sandbrink et al. 2023, Methods, Figures 5 and 6E).

Conventions:

- end-effector series ``ee`` (n, 3, T) in cm, world frame (X, Y, Z), T = 320 input steps;
- a plane subset names the two in-plane components (u, w): ``horall`` = horizontal trajectories (Z velocity
  identically 0), (u, w) = (X, Y); ``vertall`` = vertical trajectories (X velocity identically 0), (u, w) = (Y, Z);
- a feature set is a (n, 2, T) array of two components per time step: ``ee`` (u, w) Cartesian position;
  ``vel``, ``acc`` and ``eepolar`` in polar form (r, θ) with θ = atan2(w, u) ∈ (−π, π] and θ = NaN where r = 0
  (a direction is undefined at rest; the original's angle function returns NaN there too);
- layer ``l`` with cumulative temporal stride ``s_l`` has time index ``j`` ↔ input step ``j * s_l``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PLANE_SUBSETS: dict[str, dict] = {
    "horall": {"orientation": "horizontal", "flat_axis": 2, "components": (0, 1)},
    "vertall": {"orientation": "vertical", "flat_axis": 0, "components": (1, 2)},
}
"""Plane subsets: the world axis that stays constant (its velocity is identically 0) and the in-plane (u, w) axes."""

ORIENTATIONS = {"horizontal": "horall", "vertical": "vertall"}
"""Plane orientation → the plane subset whose components a height subset of that orientation uses."""

FEATURE_SETS = ("vel", "acc", "ee", "eepolar")
"""Kinematic feature sets of the regression tuning curves (``labels`` is handled by the classifier)."""

POLAR_FEATURE_SETS = ("vel", "acc", "eepolar")
"""Feature sets stored in polar form (r, θ); ``ee`` is stored Cartesian (u, w)."""


def wrap_angle(theta: np.ndarray) -> np.ndarray:
    """Angles mapped into (−π, π] (NaN stays NaN)."""
    wrapped = np.mod(np.asarray(theta, dtype=np.float64) + np.pi, 2 * np.pi) - np.pi
    return np.where(wrapped == -np.pi, np.pi, wrapped)


def to_polar(u: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polar form of the vectors (u, w): radius ``r`` and angle ``θ = atan2(w, u)`` ∈ (−π, π], NaN where r = 0."""
    u = np.asarray(u, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    r = np.hypot(u, w)
    theta = np.arctan2(w, u)
    theta = np.where(theta == -np.pi, np.pi, theta)  # atan2(-0.0, -1) = -π; the half-open interval wants +π
    return r, np.where(r > 0, theta, np.nan)


def plane_mask(endeffector: np.ndarray, subset: str) -> np.ndarray:
    """Trajectories of a plane subset: those whose velocity along the subset's flat axis is identically 0.

    ``endeffector`` (n, 3, T) cm → bool (n,).
    """
    if subset not in PLANE_SUBSETS:
        raise ValueError(f"unknown plane subset {subset!r}; expected one of {sorted(PLANE_SUBSETS)}")
    axis = PLANE_SUBSETS[subset]["flat_axis"]
    velocity = np.gradient(np.asarray(endeffector, dtype=np.float64)[:, axis, :], axis=-1)
    return ~np.any(velocity != 0, axis=1)


def plane_height(endeffector: np.ndarray, subset: str) -> np.ndarray:
    """The constant coordinate of each trajectory along the subset's flat axis (cm), ``(n,)``: Z for ``horall``
    (plane height), X for ``vertall``."""
    return np.asarray(endeffector, dtype=np.float64)[:, PLANE_SUBSETS[subset]["flat_axis"], 0]


def height_masks(
    endeffector: np.ndarray, subset: str, heights: Sequence[float], tolerance: float = 1e-3
) -> np.ndarray:
    """Membership of each trajectory in each plane height: bool (n_heights, n). A trajectory belongs to height ``h``
    when it lies in the subset's plane and its flat coordinate is within ``tolerance`` cm of ``h``."""
    inside = plane_mask(endeffector, subset)
    coordinate = plane_height(endeffector, subset)
    heights = np.asarray(heights, dtype=np.float64)
    return inside[None, :] & (np.abs(coordinate[None, :] - heights[:, None]) <= tolerance)


def feature_components(endeffector: np.ndarray, subset: str) -> dict[str, np.ndarray]:
    """Every kinematic feature set of trajectories in one plane subset, from the full-rate end-effector series.

    ``endeffector`` (n, 3, T) cm → ``{name: (n, 2, T) float64}``:

    - ``vel``: velocity ``np.gradient`` along time (unit spacing, cm/step), polar (r, θ);
    - ``acc``: gradient of the velocity (cm/step²), polar (r, θ);
    - ``ee``: Cartesian position (u, w) in cm;
    - ``eepolar``: position minus the trajectory's first sample, polar (r cm, θ).
    """
    ee = np.asarray(endeffector, dtype=np.float64)[:, list(PLANE_SUBSETS[subset]["components"]), :]
    velocity = np.gradient(ee, axis=-1)
    acceleration = np.gradient(velocity, axis=-1)
    relative = ee - ee[:, :, :1]
    features = {"ee": ee}
    for name, vector in (("vel", velocity), ("acc", acceleration), ("eepolar", relative)):
        r, theta = to_polar(vector[:, 0], vector[:, 1])
        features[name] = np.stack([r, theta], axis=1)
    return features


def cumulative_strides(conv_time_strides: Sequence[int], time_lengths: Sequence[int], window: int) -> list[int]:
    """Cumulative temporal stride ``s_l`` of layers 0..K, checked against the layers' time lengths.

    ``conv_time_strides``: the temporal stride of each layer 1..K (1 for spatial or recurrent layers);
    ``time_lengths``: ``T_0..T_K`` (``T_0`` = the input window). With TF-"SAME" padding every layer satisfies
    ``T_l = ceil(T_{l-1} / stride_l)``; a mismatch means the strides do not describe the network.
    """
    if len(conv_time_strides) != len(time_lengths) - 1:
        raise ValueError(
            f"{len(conv_time_strides)} layer strides given for {len(time_lengths) - 1} layers (time lengths "
            f"{list(time_lengths)})"
        )
    if time_lengths[0] != window:
        raise ValueError(f"layer 0 has {time_lengths[0]} time steps; expected the input window {window}")
    strides = [1]
    for layer, (stride, t_in, t_out) in enumerate(
        zip(conv_time_strides, time_lengths[:-1], time_lengths[1:]), start=1
    ):
        if -(-t_in // stride) != t_out:
            raise ValueError(
                f"layer {layer}: temporal stride {stride} maps {t_in} steps to {-(-t_in // stride)}, but the layer "
                f"has {t_out}"
            )
        strides.append(strides[-1] * int(stride))
    return strides


def time_cutoff(stride: int, onset: int = 32) -> int:
    """``tcoff_l`` = the number of layer time indices ``j`` with ``j * s_l <= onset`` = ``onset // s_l + 1``."""
    return onset // int(stride) + 1


def kept_time_indices(
    n_time: int, stride: int, window: int = 320, onset: int = 32, symmetric: bool = False
) -> np.ndarray:
    """Layer time indices kept for the tuning analyses, ``(n_kept,)`` int.

    Original behaviour (default): ``j ∈ [tcoff, window − tcoff) ∩ [0, n_time)`` — for downsampled layers only the
    start is trimmed, since ``window − tcoff`` exceeds the layer's length. ``symmetric``: ``j ∈ [tcoff,
    n_time − tcoff)`` (the end trimmed on the layer's own axis). E.g. stride 1, T = 320 → [33, 287).
    """
    cut = time_cutoff(stride, onset)
    stop = n_time - cut if symmetric else min(window - cut, n_time)
    return np.arange(cut, max(cut, stop))


def sample_times(kept: np.ndarray, stride: int) -> np.ndarray:
    """Input steps ``j * s_l`` of the kept layer time indices."""
    return np.asarray(kept) * int(stride)
