"""Workspace grid and start-point search (Sandbrink et al. 2023, Methods).

A start point qualifies for a plane when a square of side ``2 * coarse_half_width`` around it has 4 reachable
corners and a fine grid of ``(2 n + 1)^2`` points around it is entirely reachable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuromotor.pcrt.kinematics import Arm, is_reachable

# in-plane axes (world X=0, Y=1, Z=2) of each drawing plane
PLANE_AXES = {"horizontal": (0, 1), "vertical": (1, 2)}


@dataclass(frozen=True)
class StartpointSearch:
    """Grid and tests of the start-point search; defaults are the DeepDraw values (cm)."""

    grid_spacing_cm: float = 3.0
    x_range: tuple = (0.0, 60.0)
    y_range: tuple = (-60.0, 30.0)
    z_range: tuple = (-60.0, 30.0)
    coarse_half_width_cm: float = 12.0
    fine_half_width: int = 7
    fine_spacing_cm: float = 1.0


def workspace_grid(search: StartpointSearch) -> np.ndarray:
    """All grid points (N, 3) in X-major order (cm); 21 x 31 x 31 = 20,181 with the defaults."""
    axes = [
        np.arange(low, high + search.grid_spacing_cm / 2, search.grid_spacing_cm)
        for low, high in (search.x_range, search.y_range, search.z_range)
    ]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)


def plane_offsets(plane: str, offsets_1d: np.ndarray) -> np.ndarray:
    """3-D offsets (K*K, 3) spanning the plane's two in-plane axes with the given 1-D offsets (cm)."""
    u, v = np.meshgrid(offsets_1d, offsets_1d, indexing="ij")
    out = np.zeros((u.size, 3))
    first, second = PLANE_AXES[plane]
    out[:, first], out[:, second] = u.ravel(), v.ravel()
    return out


def _all_reachable_around(points: np.ndarray, offsets: np.ndarray, arm: Arm) -> np.ndarray:
    shifted = (points[:, None, :] + offsets[None]).reshape(-1, 3)
    # neighbouring squares overlap heavily: test each distinct point once
    unique, inverse = np.unique(np.round(shifted, 9), axis=0, return_inverse=True)
    reachable = is_reachable(unique, arm)[inverse.ravel()]
    return reachable.reshape(len(points), len(offsets)).all(axis=1)


def find_startpoints(search: StartpointSearch, plane: str, arm: Arm = Arm()) -> np.ndarray:
    """Grid points that pass the coarse (4 corners) and fine (full square) reachability tests in ``plane``.

    Returns:
        (M, 3) start points (cm), in grid order.
    """
    grid = workspace_grid(search)
    half = search.coarse_half_width_cm
    corners = plane_offsets(plane, np.array([-half, half]))
    candidates = grid[_all_reachable_around(grid, corners, arm)]
    n = search.fine_half_width
    fine = plane_offsets(plane, search.fine_spacing_cm * np.arange(-n, n + 1))
    return candidates[_all_reachable_around(candidates, fine, arm)]
