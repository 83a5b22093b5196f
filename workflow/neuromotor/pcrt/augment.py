"""Augmentation of 2-D characters into 3-D hand trajectories (Sandbrink et al. 2023, Methods).

Order of operations: size -> affine (rotation, then shear) -> speed -> plane embedding -> + start point.
Positions are in cm; time is in 0.015-s steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PLANES = ("horizontal", "vertical")
LATENT_NAMES = ("size", "rot", "shear_x", "shear_y", "speed", "noise")


@dataclass(frozen=True)
class LatentChoices:
    """The discrete values each latent is drawn from, uniformly (Sandbrink et al. 2023, Methods)."""

    size: tuple = (0.7, 1.0, 1.3)
    rot: tuple = tuple(np.deg2rad([-30.0, -15.0, 0.0, 15.0, 30.0]))
    shear: tuple = tuple(np.deg2rad([-30.0, -15.0, 0.0, 15.0, 30.0]))
    speed: tuple = (0.8, 1.0, 1.2, 1.4)
    noise: tuple = (0.0, 0.1, 0.3)

    @classmethod
    def from_config(cls, augmentation: dict) -> "LatentChoices":
        return cls(**{key: tuple(float(v) for v in values) for key, values in augmentation.items()})


@dataclass(frozen=True)
class Latents:
    """One draw of the augmentation latents. Angles in rad, ``startpt`` in cm (world frame)."""

    size: float
    rot: float
    shear_x: float
    shear_y: float
    speed: float
    noise: float
    startpt: tuple


def draw_latents(choices: LatentChoices, startpoints: np.ndarray, rng: np.random.Generator) -> Latents:
    """Draw every latent uniformly from its choices and a start point uniformly from ``startpoints`` (N, 3)."""
    return Latents(
        size=float(rng.choice(choices.size)),
        rot=float(rng.choice(choices.rot)),
        shear_x=float(rng.choice(choices.shear)),
        shear_y=float(rng.choice(choices.shear)),
        speed=float(rng.choice(choices.speed)),
        noise=float(rng.choice(choices.noise)),
        startpt=tuple(float(v) for v in startpoints[rng.integers(len(startpoints))]),
    )


def _resample(values: np.ndarray, n_out: int) -> np.ndarray:
    """Linearly resample (C, T) onto ``n_out`` points spanning the same first-to-last interval."""
    n_in = values.shape[1]
    old = np.linspace(0.0, 1.0, n_in)
    new = np.linspace(0.0, 1.0, n_out)
    return np.stack([np.interp(new, old, row) for row in values])


def rescale_size(positions: np.ndarray, size: float) -> np.ndarray:
    """Stretch the velocity sequence onto ``int(T * size)`` samples and re-integrate from ``p_0``.

    The per-step velocity magnitude is kept, so a larger size draws a larger and longer character.
    Args:
        positions: (2, T) positions (cm).
    Returns:
        (2, int(T * size)) positions (cm), starting at ``positions[:, 0]``.
    """
    n_out = int(positions.shape[1] * size)
    velocities = np.diff(positions, axis=1)
    stretched = _resample(velocities, n_out - 1)
    return positions[:, :1] + np.concatenate([np.zeros((2, 1)), np.cumsum(stretched, axis=1)], axis=1)


def affine_matrix(rot: float, shear_x: float, shear_y: float) -> np.ndarray:
    """``S @ R``: rotation by ``rot`` then shear ``[[1, tan(shear_x)], [tan(shear_y), 1]]`` (angles in rad)."""
    rotation = np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]])
    shear = np.array([[1.0, np.tan(shear_x)], [np.tan(shear_y), 1.0]])
    return shear @ rotation


def change_speed(positions: np.ndarray, speed: float) -> np.ndarray:
    """Resample (2, T) positions onto ``int(T / speed)`` samples: faster drawing, fewer steps."""
    return _resample(positions, int(positions.shape[1] / speed))


def embed_in_plane(positions: np.ndarray, plane: str) -> np.ndarray:
    """Map (2, T) character coordinates (x, y) into the world frame (3, T).

    horizontal: (X, Y, Z) = (y, -x, 0); vertical: (X, Y, Z) = (0, -x, y).
    """
    x, y = positions
    zero = np.zeros_like(x)
    if plane == "horizontal":
        return np.stack([y, -x, zero])
    if plane == "vertical":
        return np.stack([zero, -x, y])
    raise ValueError(f"plane must be one of {PLANES}, got {plane!r}")


def augment_character(positions: np.ndarray, latents: Latents, plane: str) -> np.ndarray:
    """Apply size, affine, speed, plane embedding and start point to one character.

    Args:
        positions: (2, T) character positions (cm), finite.
    Returns:
        (3, T') world-frame hand trajectory (cm).
    """
    sized = rescale_size(positions, latents.size)
    warped = affine_matrix(latents.rot, latents.shear_x, latents.shear_y) @ sized
    timed = change_speed(warped, latents.speed)
    return embed_in_plane(timed, plane) + np.asarray(latents.startpt)[:, None]


def augmented_length(n_samples: int, size: float, speed: float) -> int:
    """Number of steps :func:`augment_character` produces from ``n_samples`` source samples."""
    return int(int(n_samples * size) / speed)
