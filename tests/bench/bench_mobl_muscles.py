"""Benchmark: MoBL-ARMS muscle lengths per trajectory, per-step OpenSim against the workflow's ``table`` backend.

Held-out paper-like trajectories come from the project's own generator (template characters, augmentation, start
points, batched IK, acceptance), with the real method as the generator's muscle function (so the count of muscle
evaluations per item is measured, not assumed). Then, on every step of those trajectories, timed back to back on
one core:

(i)  per-step OpenSim (``OpenSimArm.evaluate``: set the coordinates, equilibrate, read the 25 muscles);
(ii) the table backend (``TabulatedMuscles``: separable path-length tables and the length map where trusted,
     OpenSim muscle by muscle elsewhere and for ``--exact-muscles``).

Prints ms per step and s per trajectory of both, per-muscle max |error|, RMSE and OpenSim share of (ii) against
(i), and the projected core-hours of the paper-scale faithful generation: 143 characters x 20 labels x 75 repeats
x 2 planes items x the measured muscle evaluations per item x the measured steps per evaluation, times the
measured ms per step; plus the table build (its OpenSim nodes x the measured build time per node, or, for a table
not built here, x the per-step OpenSim cost). On a loaded machine both per-step figures grow alike; the projection
is also given scaled to ``--idle-opensim-ms`` (per-step OpenSim on an idle core), i.e. assuming the measured ratio.

    python tests/bench/bench_mobl_muscles.py --build-spacing 2.5 2.5 2.5 1 --exact-muscles TMIN TRIlong
    python tests/bench/bench_mobl_muscles.py --table results/pcrt/muscle_table/<name>.npz --exact-muscles TMIN TRIlong
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import time
from pathlib import Path

import numpy as np

from neuromotor.pcrt.characters import TemplateVariability, load_templates, preprocess_characters, sample_template_characters
from neuromotor.pcrt.generate import generate_shard, shard_items
from neuromotor.pcrt.kinematics import Arm
from neuromotor.pcrt.muscle_table import (
    ELBOW_JOINTS,
    SHOULDER_JOINTS,
    STRUCTURE_PAIRS,
    GridSpec,
    MuscleTable,
    TabulatedMuscles,
    build_table,
    validate_tabulated,
)
from neuromotor.pcrt.muscles import _import_opensim, load_arm_model
from neuromotor.pcrt.workspace import StartpointSearch, find_startpoints

ROOT = Path(__file__).resolve().parents[2]
MOBL = ROOT.parent / "shared" / "models" / "MoBL_ARMS_module5_scaleIK.osim"
PAPER_ITEMS = 143 * 20 * 75 * 2  # source characters per label x labels x repeats x planes


class CountingMethod:
    """The table method, counting the generator's calls and steps (and the time spent in it)."""

    def __init__(self, method: TabulatedMuscles):
        self.method, self.calls, self.steps, self.seconds, self.trajectories = method, 0, 0, 0.0, []

    def __call__(self, joints: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = self.method.evaluate(joints)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        self.steps += len(joints)
        self.trajectories.append(np.array(joints))
        return out


def held_out_trajectories(method: CountingMethod, per_letter: int, seed: int) -> int:
    """Run the project's generator (both planes, all 20 labels, 1 repeat); returns the number of items."""
    templates = load_templates(ROOT / "resources/characters/templates.json")
    samples, labels = sample_template_characters(templates, per_letter, TemplateVariability(), seed)
    characters, lengths = preprocess_characters(samples)
    labels = np.asarray(labels)
    n_items = 0
    for plane in ("horizontal", "vertical"):
        startpoints = find_startpoints(StartpointSearch(), plane)
        for label in range(1, 21):
            items = shard_items(np.flatnonzero(labels == label), 1, 1, 0)
            n_items += len(items)
            generate_shard(items, characters, lengths, label, plane, startpoints, method, seed=seed)
    return n_items


def table_nodes(grid: GridSpec, n_both: int = 3) -> int:
    """OpenSim postures of a table build: the structure probe, the shoulder and elbow grids, and the coverage sweeps
    of the muscles with both parts (MoBL-ARMS: 3) at their shortest and longest shoulder node."""
    shoulder = int(np.prod(grid.select(SHOULDER_JOINTS).n_nodes))
    elbow = int(np.prod(grid.select(ELBOW_JOINTS).n_nodes))
    return 4 * STRUCTURE_PAIRS + shoulder + elbow + 1 + 2 * n_both * elbow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(MOBL))
    parser.add_argument("--table", help="a table built by the workflow (rule pcrt_muscle_table)")
    parser.add_argument("--build-spacing", type=float, nargs=4, default=[2.5, 2.5, 2.5, 1.0])
    parser.add_argument("--lower", type=float, nargs=4, default=None, help="box of a table built here (deg)")
    parser.add_argument("--upper", type=float, nargs=4, default=None)
    parser.add_argument("--smooth-tol-mm", type=float, default=0.02)
    parser.add_argument("--dilate", type=int, default=1)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--per-letter", type=int, default=2, help="template characters per letter (held out)")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--exact-muscles", nargs="*", default=["TMIN", "TRIlong"], help="muscles always by OpenSim")
    parser.add_argument("--idle-opensim-ms", type=float, default=3.7, help="per-step OpenSim on an idle core (ms)")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    _import_opensim().Logger.setLevelString("error")
    arm = load_arm_model(args.model)

    limits = Arm()
    exact = tuple(args.exact_muscles)
    if args.table:
        table = MuscleTable.load(args.table)
        build_seconds = None
    else:
        grid = GridSpec.covering(
            limits.q_min if args.lower is None else args.lower,
            limits.q_max if args.upper is None else args.upper,
            args.build_spacing,
        )
        start = time.perf_counter()
        table = build_table(args.model, "fiber_length", grid, smooth_tol_mm=args.smooth_tol_mm, dilate=args.dilate,
                            processes=args.processes, exact_muscles=exact)  # fmt: skip
        build_seconds = time.perf_counter() - start
    method = CountingMethod(TabulatedMuscles(table, arm, table.quantity, exact))
    n_items = held_out_trajectories(method, args.per_letter, args.seed)
    postures = np.concatenate(method.trajectories)

    start = time.perf_counter()
    reference = np.concatenate([arm.evaluate(q, table.quantity) for q in method.trajectories])
    opensim_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fresh = TabulatedMuscles(table, arm, table.quantity, exact)
    predicted = np.concatenate([fresh.evaluate(q) for q in method.trajectories])
    table_seconds = time.perf_counter() - start
    report = validate_tabulated(predicted, reference, fresh.exact_mask(postures), table.muscle_names,
                                max_abs_mm=0.5, max_rmse_mm=0.1)  # fmt: skip

    n_traj, n_steps = method.calls, method.steps
    per_step_opensim = opensim_seconds / n_steps
    per_step_table = table_seconds / n_steps
    calls_per_item = n_traj / n_items
    steps_per_call = n_steps / n_traj
    paper_steps = PAPER_ITEMS * calls_per_item * steps_per_call
    nodes = table_nodes(table.grid)
    per_node = build_seconds * args.processes / nodes if build_seconds else per_step_opensim
    scale = args.idle_opensim_ms * 1e-3 / per_step_opensim  # this machine's load -> an idle core
    generation_h = paper_steps * per_step_table / 3600
    build_h = nodes * per_node / 3600
    figures = {
        "grid": {"n_nodes": list(table.grid.n_nodes), "spacing_deg": list(table.grid.spacing_deg),
                 "lower_deg": list(table.grid.lower_deg), "upper_deg": table.grid.upper_deg.tolist()},
        "exact_muscles": list(exact),
        "table_nodes": nodes,
        "build_seconds": build_seconds,
        "build_processes": args.processes,
        "items": n_items,
        "trajectories": n_traj,
        "steps": n_steps,
        "muscle_calls_per_item": calls_per_item,
        "steps_per_trajectory": steps_per_call,
        "opensim_ms_per_step": 1e3 * per_step_opensim,
        "table_ms_per_step": 1e3 * per_step_table,
        "opensim_s_per_trajectory": per_step_opensim * steps_per_call,
        "table_s_per_trajectory": per_step_table * steps_per_call,
        "speedup": per_step_opensim / per_step_table,
        "exact_fraction_pairs": report["exact_fraction"],
        "exact_fraction_postures": report["exact_fraction_postures"],
        "paper_items": PAPER_ITEMS,
        "paper_steps": paper_steps,
        "paper_core_hours_opensim": paper_steps * per_step_opensim / 3600,
        "paper_core_hours_table_generation": generation_h,
        "paper_core_hours_table_build": build_h,
        "idle_opensim_ms_per_step": args.idle_opensim_ms,
        "paper_core_hours_opensim_idle": paper_steps * per_step_opensim * scale / 3600,
        "paper_core_hours_table_idle": (generation_h + build_h) * scale,
        "validation": report,
    }
    print(f"grid {table.grid.n_nodes} spacing {np.round(table.grid.spacing_deg, 3).tolist()} deg, {nodes} OpenSim "
          "nodes" + ("" if build_seconds is None else f", built in {build_seconds:.0f} s x {args.processes} process(es)")
          + f"; exact_muscles {list(exact)}")  # fmt: skip
    print(f"{n_items} items -> {n_traj} muscle evaluations ({calls_per_item:.3f} per item), {n_steps} steps "
          f"({steps_per_call:.1f} per trajectory)")
    print(f"per step: OpenSim {1e3 * per_step_opensim:.3f} ms, table {1e3 * per_step_table:.3f} ms (x{figures['speedup']:.2f}); "
          f"per trajectory {figures['opensim_s_per_trajectory']:.3f} s vs {figures['table_s_per_trajectory']:.3f} s; "
          f"OpenSim share: {100 * report['exact_fraction']:.2f} % of (step, muscle) pairs, "
          f"{100 * report['exact_fraction_postures']:.1f} % of steps touch OpenSim")  # fmt: skip
    print(f"{'muscle':>9} {'max|err| mm':>12} {'RMSE mm':>10} {'OpenSim %':>10}")
    for name, entry in report["muscles"].items():
        flag = "" if entry["passed"] else "  FAIL"
        print(f"{name:>9} {entry['max_abs_error_mm']:12.4g} {entry['rmse_mm']:10.4g} {100 * entry['exact_fraction']:10.2f}{flag}")
    print(f"criteria max <= 0.5 mm, RMSE <= 0.1 mm: {'PASS' if report['passed'] else 'FAIL ' + ', '.join(report['failing_muscles'])}")
    print(f"paper scale ({PAPER_ITEMS} items x {calls_per_item:.3f} x {steps_per_call:.1f} steps = {paper_steps / 1e6:.1f} M "
          f"steps), as measured here: per-step OpenSim {figures['paper_core_hours_opensim']:.1f} core-h; table "
          f"generation {generation_h:.1f} + build {build_h:.2f} core-h")  # fmt: skip
    print(f"scaled to an idle core (per-step OpenSim {args.idle_opensim_ms} ms, measured ratio kept): per-step OpenSim "
          f"{figures['paper_core_hours_opensim_idle']:.1f} core-h; table {figures['paper_core_hours_table_idle']:.1f} core-h")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
