"""Benchmark: PCRT trajectory generation, the original procedure against the workflow's path, on the same trajectories.

(i)  original: per step, SLSQP inverse kinematics from [10, 10, 10, 10] staying closest to the previous posture,
     then one OpenSim evaluation (set coordinates, equilibrate muscles, read the 25 muscles);
(ii) workflow: batched exact inverse kinematics + the polynomial muscle surrogate + the acceptance quantities.

Prints the time per trajectory of both, their ratio (per core: everything runs single-threaded), and the
surrogate's max and RMS error against OpenSim on every step of the benchmarked trajectories.

    python tests/bench/bench_pcrt_generation.py [--original 3] [--workflow 200] [--model resources/arm_model/neuromotor_arm.osim]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import time
from pathlib import Path

import numpy as np

from neuromotor.pcrt.augment import LatentChoices, augment_character, draw_latents
from neuromotor.pcrt.characters import TemplateVariability, load_templates, preprocess_characters, sample_template_characters
from neuromotor.pcrt.generate import jerk
from neuromotor.config import validate_config
from neuromotor.pcrt.kinematics import JOINT_NAMES, Arm, ik_slsqp_step, inverse_kinematics
from neuromotor.pcrt.muscles import MUSCLE_NAMES, load_arm_model
from neuromotor.pcrt.surrogate import fit_surrogate
from neuromotor.pcrt.workspace import StartpointSearch, find_startpoints

ROOT = Path(__file__).resolve().parents[2]


def benchmark_trajectories(n: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` augmented world-frame hand paths (T, 3) from template characters (cm)."""
    templates = load_templates(ROOT / "resources/characters/templates.json")
    samples, _ = sample_template_characters(templates, max(1, n // 20 + 1), TemplateVariability(), seed)
    characters, lengths = preprocess_characters(samples)
    startpoints = find_startpoints(StartpointSearch(), "horizontal")
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        source = i % len(lengths)
        latents = draw_latents(LatentChoices(), startpoints, rng)
        paths.append(augment_character(characters[source, :, : lengths[source]], latents, "horizontal").T)
    return paths


def original_procedure(path: np.ndarray, model_path: str) -> tuple[np.ndarray, np.ndarray]:
    """The literal original: load the model per trajectory, then per step SLSQP IK and the OpenSim API sequence
    (set each coordinate in joint order, equilibrate muscles, read every muscle, keep the 25)."""
    arm_model = load_arm_model(model_path)
    model, state = arm_model.model, arm_model.state
    coordinates = [model.getCoordinateSet().get(name) for name in JOINT_NAMES]
    all_muscles = model.getMuscles()
    keep = [all_muscles.getIndex(name) for name in MUSCLE_NAMES]
    q_prev = Arm().q0
    joints, muscles = [], []
    for target in path:
        q_prev = ik_slsqp_step(target, q_prev)
        for coordinate, value in zip(coordinates, np.deg2rad(q_prev)):
            coordinate.setValue(state, float(value))
        model.equilibrateMuscles(state)
        every = [all_muscles.get(i).getFiberLength(state) * 1000.0 for i in range(all_muscles.getSize())]
        joints.append(q_prev)
        muscles.append([every[i] for i in keep])
    return np.array(joints), np.array(muscles)


def workflow_path(paths: list[np.ndarray], surrogate) -> list[tuple[float, float]]:
    """What a generation job does per attempt after augmentation: batched IK, muscles, jerk."""
    longest = max(len(p) for p in paths)
    targets = np.full((len(paths), longest, 3), np.nan)
    for row, path in enumerate(paths):
        targets[row, : len(path)] = path
    joints = inverse_kinematics(targets)
    out = []
    for q, path in zip(joints, paths):
        q = q[: len(path)]
        out.append((jerk(q.T), jerk(surrogate.predict(q).T)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--original", type=int, default=3, help="trajectories run through the original procedure")
    parser.add_argument("--workflow", type=int, default=200, help="trajectories run through the workflow path")
    parser.add_argument("--model", default=str(ROOT / "resources/arm_model/neuromotor_arm.osim"))
    args = parser.parse_args()

    paths = benchmark_trajectories(max(args.original, args.workflow))
    arm_model = load_arm_model(args.model)
    started = time.perf_counter()
    settings = validate_config({})["pcrt"]["muscle"]["surrogate"]  # the workflow's defaults
    surrogate = fit_surrogate(arm_model, "fiber_length", degree=settings["degree"], n_fit=settings["n_fit"], ridge=settings["ridge"])
    fit_seconds = time.perf_counter() - started

    started = time.perf_counter()
    reference = [original_procedure(path, args.model) for path in paths[: args.original]]
    original_per_traj = (time.perf_counter() - started) / args.original

    workflow_path(paths[:8], surrogate)  # warm-up
    started = time.perf_counter()
    workflow_path(paths[: args.workflow], surrogate)
    workflow_per_traj = (time.perf_counter() - started) / args.workflow

    # surrogate error on the postures the original procedure produced (every step of its trajectories)
    postures = np.concatenate([joints for joints, _ in reference])
    opensim_mm = np.concatenate([muscles for _, muscles in reference])
    error = surrogate.predict(postures) - opensim_mm
    steps = np.mean([len(p) for p in paths[: args.workflow]])

    print(f"model: {Path(args.model).name}; mean trajectory length {steps:.0f} steps; single-threaded")
    print(f"original (SLSQP IK + OpenSim per step): {original_per_traj * 1e3:10.1f} ms per trajectory ({args.original} trajectories)")
    print(f"workflow (batched exact IK + surrogate): {workflow_per_traj * 1e3:10.3f} ms per trajectory ({args.workflow} trajectories)")
    print(f"ratio: {original_per_traj / workflow_per_traj:,.0f}x per core (target >= 1000)")
    print(f"surrogate vs OpenSim on {len(postures)} steps: max |error| {np.abs(error).max():.4f} mm (target <= 0.5), "
          f"RMSE {np.sqrt(np.mean(error**2)):.4f} mm (target <= 0.1)")
    print(f"one-off surrogate fit (degree {settings['degree']}, {settings['n_fit']} OpenSim evaluations): {fit_seconds:.1f} s")


if __name__ == "__main__":
    main()
