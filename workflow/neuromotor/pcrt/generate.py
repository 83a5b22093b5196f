"""The accept-only generation loop (Sandbrink et al. 2023, Methods): augment, trace with the arm, evaluate muscles,
accept or redraw.

Each item is one (source character, repeat) pair of a (label, plane). Its random generator is seeded by
``(seed, label, plane, source index, repeat)`` only, so an item's result does not depend on the shard it ran in or
on which other items were processed with it; attempts of many items are batched for the inverse kinematics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from neuromotor.pcrt.augment import PLANES, LatentChoices, augment_character, draw_latents
from neuromotor.pcrt.kinematics import Arm, inverse_kinematics, tracing_error

MuscleFunction = Callable[[np.ndarray], np.ndarray]
"""Maps joint angles (N, 4) in degrees (the arm's chain order) to the muscle quantity (N, M) in mm, M the arm
model's muscles (25 for DeepDraw, 39 for the successor's macaque arm)."""


@dataclass(frozen=True)
class Acceptance:
    """Acceptance criteria of a trajectory (Sandbrink et al. 2023, Methods; docs/decisions.md)."""

    ik_tolerance_cm: float = 1e-2
    joint_jerk_max: float = 1.0
    muscle_jerk_max: float | None = None
    max_attempts: int = 10


def jerk(values: np.ndarray) -> float:
    """``||D^3 X||_F`` with D = ``np.gradient`` along time (unit spacing) applied three times; X is (C, T)."""
    derivative = np.asarray(values, dtype=float)
    for _ in range(3):
        derivative = np.gradient(derivative, axis=-1)
    return float(np.linalg.norm(derivative))


def shard_items(source_indices: np.ndarray, repeats: int, n_shards: int, shard: int) -> list[tuple[int, int]]:
    """The (source index, repeat) items of one shard: all items of a (label, plane), split into contiguous shards."""
    items = [(int(s), r) for r in range(repeats) for s in source_indices]
    return [items[i] for i in np.array_split(np.arange(len(items)), n_shards)[shard]]


PURPOSE_GENERATION, PURPOSE_WINDOW, PURPOSE_SPINDLE_NOISE = 0, 1, 2


def item_rng(
    seed: int, label: int, plane: str, source_index: int, repeat: int, purpose: int = PURPOSE_GENERATION
) -> np.random.Generator:
    """Generator of one item for one purpose, seeded by stable identifiers only (never by shard or job)."""
    return np.random.default_rng([seed, purpose, label, PLANES.index(plane), source_index, repeat])


@dataclass
class _Attempt:
    item: tuple[int, int]
    latents: object
    targets: np.ndarray  # (T, 3) world cm


@dataclass
class ShardResult:
    """Accepted trajectories of a shard, NaN-padded to ``max_steps`` along time.

    Arrays: ``endeffector`` (n, 3, S) cm, ``joints`` (n, 4, S) deg, ``muscles`` (n, M, S) mm, ``length`` (n,),
    ``source_index``, ``repeat``, ``n_attempts`` (n,), latents (n,) and ``startpt`` (n, 3), ``tracing_error`` (cm),
    ``joint_jerk``, ``muscle_jerk`` (n,). ``failed`` lists items that exhausted their attempts.
    """

    arrays: dict
    failed: list = field(default_factory=list)


def _draw_attempt(item, rng, positions, choices, startpoints, plane, max_steps) -> _Attempt | None:
    latents = draw_latents(choices, startpoints, rng)
    targets = augment_character(positions, latents, plane).T
    if len(targets) > max_steps:
        return None
    return _Attempt(item, latents, targets)


def _pad_targets(attempts: list[_Attempt]) -> np.ndarray:
    longest = max(len(a.targets) for a in attempts)
    padded = np.full((len(attempts), longest, 3), np.nan)
    for row, attempt in enumerate(attempts):
        padded[row, : len(attempt.targets)] = attempt.targets
    return padded


def generate_shard(
    items: list[tuple[int, int]],
    characters: np.ndarray,
    lengths: np.ndarray,
    label: int,
    plane: str,
    startpoints: np.ndarray,
    muscle_function: MuscleFunction,
    *,
    seed: int,
    choices: LatentChoices = LatentChoices(),
    acceptance: Acceptance = Acceptance(),
    arm: Arm = Arm(),
    max_steps: int = 319,
    n_muscles: int = 25,
) -> ShardResult:
    """Generate accepted trajectories for the given items of one (label, plane).

    Args:
        items: (source index, repeat) pairs, see :func:`shard_items`.
        characters: (N, 2, Tmax) preprocessed character positions (cm), NaN-padded; rows indexed by source index.
        lengths: (N,) valid samples per character.
        startpoints: (M, 3) start points of ``plane`` (cm).
        muscle_function: joint angles (K, 4) deg -> muscle quantity (K, n_muscles) mm.
        arm: the kinematic chain the trajectories are traced with.
        max_steps: longest trajectory that fits the assembly window (window - 1).
        n_muscles: the muscle function's columns (the shape of an empty shard's ``muscles``).
    """
    rngs = {item: item_rng(seed, label, plane, *item) for item in items}
    attempts_made = {item: 0 for item in items}
    accepted: dict = {}
    pending = list(items)
    while pending:
        round_attempts = []
        for item in pending:
            attempts_made[item] += 1
            source = item[0]
            positions = characters[source, :, : lengths[source]]
            attempt = _draw_attempt(item, rngs[item], positions, choices, startpoints, plane, max_steps)
            if attempt is not None:
                round_attempts.append(attempt)
        if round_attempts:
            targets = _pad_targets(round_attempts)
            joints = inverse_kinematics(targets, arm)
            errors = tracing_error(joints, targets, arm)
            for attempt, q, error in zip(round_attempts, joints, errors):
                steps = len(attempt.targets)
                record = _evaluate(attempt, q[:steps], float(error), muscle_function, acceptance)
                if record is not None:
                    accepted[attempt.item] = record
        pending = [i for i in pending if i not in accepted and attempts_made[i] < acceptance.max_attempts]
    order = [item for item in items if item in accepted]
    failed = [item for item in items if item not in accepted]
    records = [dict(accepted[item], n_attempts=attempts_made[item]) for item in order]
    return ShardResult(_stack(records, order, max_steps, n_muscles), failed)


def _evaluate(attempt: _Attempt, joints: np.ndarray, error: float, muscle_function, acceptance: Acceptance):
    """The attempt's record if it passes the acceptance criteria, else None."""
    if not error < acceptance.ik_tolerance_cm:
        return None
    joint_jerk = jerk(joints.T)
    if joint_jerk > acceptance.joint_jerk_max:
        return None
    muscles = muscle_function(joints)
    if not np.isfinite(muscles).all():  # OpenSim finds no muscle equilibrium at some postures of some models
        return None
    muscle_jerk = jerk(muscles.T)
    if acceptance.muscle_jerk_max is not None and muscle_jerk > acceptance.muscle_jerk_max:
        return None
    return dict(
        endeffector=attempt.targets.T,
        joints=joints.T,
        muscles=muscles.T,
        latents=attempt.latents,
        tracing_error=error,
        joint_jerk=joint_jerk,
        muscle_jerk=muscle_jerk,
    )


def _stack(records: list[dict], items: list[tuple[int, int]], max_steps: int, n_muscles: int) -> dict:
    n = len(records)

    def padded(key: str, channels: int) -> np.ndarray:
        out = np.full((n, channels, max_steps), np.nan)
        for row, record in enumerate(records):
            out[row, :, : record[key].shape[1]] = record[key]
        return out

    latent = lambda name: np.array([getattr(r["latents"], name) for r in records], dtype=float)  # noqa: E731
    return dict(
        endeffector=padded("endeffector", 3),
        joints=padded("joints", 4),
        muscles=padded("muscles", n_muscles),
        length=np.array([r["endeffector"].shape[1] for r in records], dtype=np.int32),
        source_index=np.array([i[0] for i in items], dtype=np.int32),
        repeat=np.array([i[1] for i in items], dtype=np.int32),
        n_attempts=np.array([r["n_attempts"] for r in records], dtype=np.int32),
        size=latent("size"),
        rot=latent("rot"),
        shear_x=latent("shear_x"),
        shear_y=latent("shear_y"),
        speed=latent("speed"),
        noise=latent("noise"),
        startpt=np.array([r["latents"].startpt for r in records], dtype=float).reshape(n, 3),
        tracing_error=np.array([r["tracing_error"] for r in records], dtype=float),
        joint_jerk=np.array([r["joint_jerk"] for r in records], dtype=float),
        muscle_jerk=np.array([r["muscle_jerk"] for r in records], dtype=float),
    )
