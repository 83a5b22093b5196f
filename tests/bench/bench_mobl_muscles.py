"""Benchmark: MoBL-ARMS muscle lengths per trajectory, per-step OpenSim against the workflow's ``table`` backend.

Held-out paper-like trajectories come from the project's own generator (template characters, augmentation, start
points, batched IK, acceptance), with the real method as the generator's muscle function (so the count of muscle
evaluations per item is measured, not assumed); ``--trajectories`` keeps them in a file for later runs. Then, on
every step of those trajectories (the first ``--max-trajectories``), alternating the methods per trajectory:

(i)   per-step OpenSim (``OpenSimArm.evaluate``: set the coordinates, equilibrate, read the 25 muscles);
(ii)  the table backend (``TabulatedMuscles``: separable path-length tables and the length map where trusted,
      OpenSim muscle by muscle elsewhere and for ``--exact-muscles``), the paper plan's setting;
(iii) with ``--compare-exact``, the same table with another ``exact_muscles`` list (none: TMIN and TRIlong
      tabulated too, which needs a table built with them, e.g. ``--compare-exact`` here).

Prints per method the CPU ms per step of this process (``time.process_time``: what a dedicated core spends, however
loaded the machine; on the shared development machine wall time is several times larger and varies with the other
jobs) and the wall ms, per-muscle max |error|, RMSE and OpenSim share against (i), and the projected core-hours of
the paper-scale faithful generation: 143 characters x 20 labels x 75 repeats x 2 planes items x the measured muscle
evaluations per item x the measured steps per evaluation x the CPU ms per step, plus the table build (its OpenSim
nodes x the per-step OpenSim CPU cost). Beside it, the previous rule (wall time scaled so that per-step OpenSim
takes ``--idle-opensim-ms``, 3.7 ms), which overstated every figure about 3x.

    python tests/bench/bench_mobl_muscles.py --build-spacing 2.5 2.5 2.5 1 --exact-muscles TMIN TRIlong
    python tests/bench/bench_mobl_muscles.py --table results/pcrt/muscle_table/<name>.npz --exact-muscles TMIN TRIlong \
        --seed 5 --trajectories held_out_s5.npz
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


def load_or_generate(path: str | None, method: TabulatedMuscles, per_letter: int, seed: int) -> tuple[list[np.ndarray], int]:
    """The held-out joint trajectories (each (K, 4) deg) and the number of generated items: read from ``path`` if
    it exists (written by an earlier run with the same ``--per-letter`` and ``--seed``), else generated with the
    method as the generator's muscle function and, with a ``path``, saved there."""
    if path and Path(path).is_file():
        with np.load(path) as saved:
            if int(saved["seed"]) != seed or int(saved["per_letter"]) != per_letter:
                raise SystemExit(f"{path} holds seed {int(saved['seed'])}, per-letter {int(saved['per_letter'])}")
            return [saved[f"trajectory{i}"] for i in range(int(saved["n_trajectories"]))], int(saved["items"])
    counting = CountingMethod(method)
    n_items = held_out_trajectories(counting, per_letter, seed)
    if path:
        arrays = {f"trajectory{i}": q for i, q in enumerate(counting.trajectories)}
        np.savez(path, items=n_items, seed=seed, per_letter=per_letter, n_trajectories=len(arrays), **arrays)
    return counting.trajectories, n_items


def timed_interleaved(trajectories: list[np.ndarray], methods: dict) -> tuple[dict, dict, dict]:
    """Evaluate every method on every trajectory, alternating methods per trajectory (so a change of the machine's
    load falls on all of them alike); returns per method the stacked outputs (M, n_muscles), CPU seconds of this
    process (``time.process_time``: what a dedicated core would spend, whatever the other jobs on the machine)
    and wall seconds."""
    outputs = {name: [] for name in methods}
    cpu = dict.fromkeys(methods, 0.0)
    wall = dict.fromkeys(methods, 0.0)
    for q in trajectories:
        for name, function in methods.items():
            c0, w0 = time.process_time(), time.perf_counter()
            outputs[name].append(function(q))
            cpu[name] += time.process_time() - c0
            wall[name] += time.perf_counter() - w0
    return {name: np.concatenate(out) for name, out in outputs.items()}, cpu, wall


def paper_steps(n_items: int, n_generated: int, n_steps: int, n_trajectories: int) -> float:
    """Muscle-evaluated steps of the paper-scale generation: PAPER_ITEMS x the generator's muscle evaluations per
    item (``n_generated`` / ``n_items``, measured on the held-out generation) x the steps per evaluation (``n_steps``
    / ``n_trajectories``, on the timed trajectories)."""
    return PAPER_ITEMS * (n_generated / n_items) * (n_steps / n_trajectories)


def core_hours(cpu_seconds: float, n_steps: int, steps_at_scale: float, build_core_hours: float = 0.0) -> float:
    """Projected core-hours: ``steps_at_scale`` x the measured CPU seconds per step (``cpu_seconds`` / ``n_steps``),
    plus a one-off build."""
    return steps_at_scale * cpu_seconds / n_steps / 3600 + build_core_hours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(MOBL))
    parser.add_argument("--table", help="a table built by the workflow (rule pcrt_muscle_table) or by --save-table")
    parser.add_argument("--save-table", help="write the table built here to this .npz")
    parser.add_argument("--build-spacing", type=float, nargs=4, default=[2.5, 2.5, 2.5, 1.0])
    parser.add_argument("--lower", type=float, nargs=4, default=None, help="box of a table built here (deg)")
    parser.add_argument("--upper", type=float, nargs=4, default=None)
    parser.add_argument("--smooth-tol-mm", type=float, default=0.02)
    parser.add_argument("--dilate", type=int, default=1)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--per-letter", type=int, default=2, help="template characters per letter (held out)")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--trajectories", help="held-out trajectories .npz: read if present, else generated and saved")
    parser.add_argument("--max-trajectories", type=int, default=None, help="time and check only the first N")
    parser.add_argument("--exact-muscles", nargs="*", default=["TMIN", "TRIlong"], help="muscles always by OpenSim")
    parser.add_argument("--compare-exact", nargs="*", default=None,
                        help="also run the table with this exact_muscles list (e.g. none: every muscle tabulated)")
    parser.add_argument("--idle-opensim-ms", type=float, default=3.7,
                        help="the previous projection rule: per-step OpenSim wall time taken as an idle core's (ms)")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    _import_opensim().Logger.setLevelString("error")
    arm = load_arm_model(args.model)

    limits = Arm()
    exact = tuple(args.exact_muscles)
    build_cpu = build_wall = None
    if args.table:
        table = MuscleTable.load(args.table)
    else:
        grid = GridSpec.covering(
            limits.q_min if args.lower is None else args.lower,
            limits.q_max if args.upper is None else args.upper,
            args.build_spacing,
        )
        c0, w0 = time.process_time(), time.perf_counter()
        table = build_table(args.model, "fiber_length", grid, smooth_tol_mm=args.smooth_tol_mm, dilate=args.dilate,
                            processes=args.processes, exact_muscles=exact if args.compare_exact is None else ())  # fmt: skip
        build_cpu, build_wall = time.process_time() - c0, time.perf_counter() - w0
        if args.save_table:
            table.save(args.save_table)
    trajectories, n_items = load_or_generate(args.trajectories, TabulatedMuscles(table, arm, table.quantity, exact),
                                             args.per_letter, args.seed)  # fmt: skip
    n_generated = len(trajectories)
    trajectories = trajectories[: args.max_trajectories]
    variants = {"table": exact} | ({} if args.compare_exact is None else {"table_compare": tuple(args.compare_exact)})
    tabulated = {name: TabulatedMuscles(table, arm, table.quantity, muscles) for name, muscles in variants.items()}
    methods = {"opensim": lambda q: arm.evaluate(q, table.quantity)} | {name: m.evaluate for name, m in tabulated.items()}
    outputs, cpu, wall = timed_interleaved(trajectories, methods)
    postures = np.concatenate(trajectories)
    reference = outputs["opensim"]

    n_steps = len(postures)
    calls_per_item = n_generated / n_items
    steps_per_call = n_steps / len(trajectories)
    steps_at_scale = paper_steps(n_items, n_generated, n_steps, len(trajectories))
    nodes = table_nodes(table.grid)
    build_h = core_hours(cpu["opensim"] * nodes, n_steps, 1)  # a node costs about a per-step OpenSim posture
    old_scale = args.idle_opensim_ms * 1e-3 / (wall["opensim"] / n_steps)  # the previous rule: wall -> "idle"
    figures = {
        "grid": {"n_nodes": list(table.grid.n_nodes), "spacing_deg": list(table.grid.spacing_deg),
                 "lower_deg": list(table.grid.lower_deg), "upper_deg": table.grid.upper_deg.tolist()},
        "table_nodes": nodes, "build_cpu_seconds": build_cpu, "build_wall_seconds": build_wall,
        "build_processes": args.processes, "items": n_items, "trajectories_generated": n_generated,
        "trajectories": len(trajectories), "steps": n_steps, "muscle_calls_per_item": calls_per_item,
        "steps_per_trajectory": steps_per_call, "paper_items": PAPER_ITEMS, "paper_steps": steps_at_scale,
        "paper_core_hours_build": build_h, "idle_opensim_ms_per_step": args.idle_opensim_ms, "methods": {},
    }  # fmt: skip
    print(f"grid {table.grid.n_nodes} spacing {np.round(table.grid.spacing_deg, 3).tolist()} deg, {nodes} OpenSim "
          "nodes" + ("" if build_cpu is None else f", built in {build_wall:.0f} s wall ({build_cpu:.0f} s CPU in "
                     f"this process) x {args.processes} process(es)"))  # fmt: skip
    print(f"{n_items} items -> {n_generated} muscle evaluations ({calls_per_item:.3f} per item); timed and checked: "
          f"{len(trajectories)} trajectories, {n_steps} steps ({steps_per_call:.1f} per trajectory)")
    print(f"paper scale: {PAPER_ITEMS} items x {calls_per_item:.3f} x {steps_per_call:.1f} steps = "
          f"{steps_at_scale / 1e6:.1f} M steps; core-hours = steps x CPU ms per step (+ build {build_h:.2f} core-h for "
          f"a table: {nodes} nodes x the per-step OpenSim CPU cost)")
    print(f"{'method':>14} {'exact_muscles':>16} {'CPU ms/step':>12} {'wall ms/step':>13} {'OpenSim pairs':>14} "
          f"{'max err mm':>11} {'max RMSE':>9} {'paper core-h (CPU)':>19} {'(previous rule)':>16}")
    for name in methods:
        entry = {"cpu_ms_per_step": 1e3 * cpu[name] / n_steps, "wall_ms_per_step": 1e3 * wall[name] / n_steps}
        tabulated_method = name != "opensim"
        build_wall_h = core_hours(wall["opensim"] * nodes, n_steps, 1) if tabulated_method else 0.0
        entry["paper_core_hours"] = core_hours(cpu[name], n_steps, steps_at_scale, build_h if tabulated_method else 0.0)
        entry["paper_core_hours_previous_rule"] = core_hours(wall[name], n_steps, steps_at_scale, build_wall_h) * old_scale
        if name == "opensim":
            report, muscles = None, "-"
        else:
            mask = tabulated[name].exact_mask(postures)
            report = validate_tabulated(outputs[name], reference, mask, table.muscle_names, max_abs_mm=0.5,
                                        max_rmse_mm=0.1)  # fmt: skip
            entry |= {"exact_muscles": list(variants[name]), "validation": report}
            muscles = " ".join(variants[name]) or "none"
        figures["methods"][name] = entry
        share = "-" if report is None else f"{100 * report['exact_fraction']:.1f} %"
        worst = ("-", "-") if report is None else (f"{report['worst']['max_abs_error_mm']:.3g}",
                                                   f"{report['worst']['rmse_mm']:.3g}")  # fmt: skip
        print(f"{name:>14} {muscles:>16} {entry['cpu_ms_per_step']:12.3f} {entry['wall_ms_per_step']:13.3f} "
              f"{share:>14} {worst[0]:>11} {worst[1]:>9} {entry['paper_core_hours']:19.2f} "
              f"{entry['paper_core_hours_previous_rule']:16.1f}")
    for name in tabulated:
        report = figures["methods"][name]["validation"]
        print(f"{name} ({' '.join(variants[name]) or 'no exact muscles'}): {'muscle':>9} {'max|err| mm':>12} "
              f"{'RMSE mm':>10} {'OpenSim %':>10}")
        for muscle, entry in report["muscles"].items():
            flag = "" if entry["passed"] else "  FAIL"
            print(f"{'':>{len(name) + 2}} {muscle:>9} {entry['max_abs_error_mm']:12.4g} {entry['rmse_mm']:10.4g} "
                  f"{100 * entry['exact_fraction']:10.2f}{flag}")
        print(f"criteria max <= 0.5 mm, RMSE <= 0.1 mm: "
              f"{'PASS' if report['passed'] else 'FAIL ' + ', '.join(report['failing_muscles'])}")
    print("(previous rule: wall time scaled so that per-step OpenSim takes --idle-opensim-ms; CPU time needs no "
          "such assumption)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
