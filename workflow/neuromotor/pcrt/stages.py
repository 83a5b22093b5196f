"""One function per PCRT workflow stage: config sections and paths in, files out.

These are what the workflow's scripts call (and what tests and benchmarks call without Snakemake). Each stage
writes its outputs atomically and logs what it did through :mod:`logging`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from neuromotor.errors import ConfigError
from neuromotor.io.store import read_arrays, write_arrays, write_json
from neuromotor.pcrt.arm_model import DEEPDRAW_ARM, ArmModel, arm_model_from_config
from neuromotor.pcrt.layout import DT_S, LABEL_LETTERS, DatasetLayout
from neuromotor.pcrt.augment import LatentChoices
from neuromotor.pcrt.dataset import (
    build_selection,
    pool_shard_metadata,
    read_selection,
    write_dataset,
    write_selection,
    write_shard,
)
from neuromotor.pcrt.generate import Acceptance, generate_shard, shard_items
from neuromotor.pcrt.kinematics import Arm
from neuromotor.pcrt.workspace import StartpointSearch, find_startpoints

log = logging.getLogger(__name__)


def make_characters(characters_cfg: dict, seed: int, out: str | Path) -> None:
    """Stage S0: source characters (templates or UCI), preprocessed to NaN-padded positions in the box (cm)."""
    from neuromotor.io.uci import load_uci_characters
    from neuromotor.pcrt import characters as chars

    if characters_cfg["source"] == "uci":
        samples, labels = load_uci_characters(characters_cfg["uci_path"])
    else:
        templates = chars.load_templates(characters_cfg["templates_path"])
        variability = chars.TemplateVariability(
            jitter_fraction=characters_cfg["jitter"],
            x_scale_range=tuple(characters_cfg["scale_range"]),
            y_scale_range=tuple(characters_cfg["scale_range"]),
            shear_range=tuple(characters_cfg["shear_range"]),
            rotation_range_rad=tuple(characters_cfg["rotation_range"]),
            duration_range=tuple(int(v) for v in characters_cfg["duration_range"]),
            smoothing_sigma=characters_cfg["smoothing_sigma"],
        )
        samples, labels = chars.sample_template_characters(
            templates, characters_cfg["samples_per_letter"], variability, seed
        )
    trajectories, lengths = chars.preprocess_characters(
        samples, box_cm=characters_cfg["box_cm"], preserve_aspect=characters_cfg["preserve_aspect"]
    )
    log.info("characters: %d samples, longest %d steps", len(labels), int(lengths.max()))
    write_arrays(
        out,
        {"": {"trajectories": trajectories, "length": lengths.astype(np.int32), "label": np.asarray(labels, np.int32)}},
        attrs={"source": characters_cfg["source"], "units": "cm", "box_cm": characters_cfg["box_cm"], "seed": seed},
        array_attrs={"trajectories": {"axes": ["sample", "xy", "time"], "units": "cm"}},
    )


def make_startpoints(startpoints_cfg: dict, out: str | Path) -> None:
    """Stage S1: start points per plane, searched on the workspace grid or read from the original HDF5 file.

    ``startpoints_cfg`` is ``pcrt.startpoints``, with ``arm`` (``pcrt.arm``) and ``model_path`` where the arm is
    not DeepDraw's (:func:`neuromotor.pcrt.plan.startpoint_params`)."""
    from neuromotor.pcrt.arm_model import chain_arm

    arm = chain_arm(startpoints_cfg.get("arm"), startpoints_cfg.get("model_path"))
    if startpoints_cfg["path"]:
        from neuromotor.io.deepdraw_hdf5 import load_startpoints_hdf5

        found = load_startpoints_hdf5(startpoints_cfg["path"])
    else:
        skip = ("path", "arm", "model_path")
        search = StartpointSearch(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in startpoints_cfg.items() if k not in skip})
        found = {plane: find_startpoints(search, plane, arm) for plane in ("horizontal", "vertical")}
    for plane, points in found.items():
        log.info("start points %s: %d", plane, len(points))
        if len(points) == 0:
            raise ConfigError(f"config key 'pcrt.startpoints': no start point passes the tests in the {plane} plane")
    write_arrays(out, {"": found}, attrs={"units": "cm", "frame": "world"})


def load_muscle_function(
    muscle_cfg: dict,
    surrogate_path: str | Path | None,
    table_path: str | Path | None = None,
    arm_model: ArmModel = DEEPDRAW_ARM,
):
    """Joint angles (N, 4) deg in the chain's order -> muscle quantity (N, M) mm of the arm model's M muscles,
    through the surrogate, the table (both: the DeepDraw arm) or OpenSim (per ``backend``; the chain's angles are
    mapped onto the model's coordinates with their signs)."""
    if muscle_cfg["backend"] == "surrogate":
        from neuromotor.pcrt.surrogate import MuscleSurrogate

        return MuscleSurrogate.load(surrogate_path).predict
    from neuromotor.pcrt.muscles import load_arm_model

    arm = load_arm_model(muscle_cfg["model_path"], arm_model.coordinates, arm_model.muscles)
    if muscle_cfg["backend"] == "table":
        from neuromotor.pcrt.muscle_table import MuscleTable, TabulatedMuscles

        if table_path is None:
            raise ConfigError("config key 'pcrt.muscle.backend' is 'table' but no muscle table file was given")
        exact = tuple(muscle_cfg["table"]["exact_muscles"])
        return TabulatedMuscles(MuscleTable.load(table_path), arm, muscle_cfg["quantity"], exact)
    return lambda joints: arm.evaluate(arm_model.to_model_angles(joints), muscle_cfg["quantity"])


def table_grid(table_cfg: dict):
    """The :class:`~neuromotor.pcrt.muscle_table.GridSpec` of ``pcrt.muscle.table`` (box default: joint limits)."""
    from neuromotor.pcrt.muscle_table import GridSpec

    arm = Arm()
    lower = arm.q_min if table_cfg["lower_deg"] is None else np.asarray(table_cfg["lower_deg"], dtype=float)
    upper = arm.q_max if table_cfg["upper_deg"] is None else np.asarray(table_cfg["upper_deg"], dtype=float)
    try:
        return GridSpec.covering(lower, upper, table_cfg["spacing_deg"])
    except ValueError as error:
        raise ConfigError(f"config key 'pcrt.muscle.table': {error}") from None


def make_muscle_table(muscle_cfg: dict, out: str | Path, processes: int = 1) -> None:
    """Stage S2 (table backend): OpenSim on every grid node, the trust map, one cached ``.npz``."""
    from neuromotor.pcrt.muscle_table import build_table

    settings = muscle_cfg["table"]
    table = build_table(
        muscle_cfg["model_path"],
        muscle_cfg["quantity"],
        table_grid(settings),
        smooth_tol_mm=settings["smooth_tol_mm"],
        dilate=settings["dilate"],
        processes=processes,
        exact_muscles=tuple(settings["exact_muscles"]),
    )
    fractions = table.untrusted_fraction()
    log.info("muscle table: %.2f %% of (cell, muscle) pairs use OpenSim", 100 * np.mean(list(fractions.values())))
    table.save(out)


def make_surrogate(muscle_cfg: dict, seed: int, out: str | Path, report_out: str | Path) -> None:
    """Stage S2: fit the muscle surrogate to OpenSim and validate it on independent uniform postures."""
    from neuromotor.pcrt.muscles import load_arm_model
    from neuromotor.pcrt.surrogate import check_validation, fit_surrogate, validate_surrogate

    settings = muscle_cfg["surrogate"]
    arm_model = load_arm_model(muscle_cfg["model_path"])
    surrogate = fit_surrogate(
        arm_model, muscle_cfg["quantity"], degree=settings["degree"], ridge=settings["ridge"], n_fit=settings["n_fit"], seed=seed
    )
    rng = np.random.default_rng([seed, 7])
    arm = Arm()
    postures = rng.uniform(arm.q_min, arm.q_max, size=(settings["n_val"], 4))
    report = validate_surrogate(
        surrogate,
        postures,
        arm_model.evaluate(postures, muscle_cfg["quantity"]),
        max_rmse_rel=settings["max_rmse_rel"],
        max_abs_rel=settings["max_abs_rel"],
    )
    write_json(report_out, report, sort_keys=True)
    check_validation(report)
    surrogate.save(out)


def make_shard(
    *,
    label: int,
    plane: str,
    shard: int,
    characters_path: str | Path,
    startpoints_path: str | Path,
    surrogate_path: str | Path | None,
    pcrt_cfg: dict,
    seed: int,
    out: str | Path,
    table_path: str | Path | None = None,
) -> None:
    """Stage S3: accepted trajectories of one (label, plane, shard), traced with the arm model of ``pcrt_cfg``
    (:func:`neuromotor.pcrt.arm_model.arm_model_from_config`)."""
    arm_model = arm_model_from_config(pcrt_cfg)
    characters = read_arrays(characters_path)
    startpoints = read_arrays(startpoints_path, names=[plane])[plane]
    generation = pcrt_cfg["generation"]
    sources = np.flatnonzero(characters["label"] == label)
    items = shard_items(sources, generation["repeats"], generation["shards"], shard)
    muscle_function = load_muscle_function(pcrt_cfg["muscle"], surrogate_path, table_path, arm_model)
    acceptance = Acceptance(
        ik_tolerance_cm=generation["ik_tolerance_cm"],
        joint_jerk_max=generation["joint_jerk_max"],
        muscle_jerk_max=generation["muscle_jerk_max"],
        max_attempts=generation["max_attempts"],
    )
    result = generate_shard(
        items,
        characters["trajectories"],
        characters["length"],
        label,
        plane,
        startpoints,
        muscle_function,
        seed=seed,
        choices=LatentChoices.from_config(pcrt_cfg["augmentation"]),
        acceptance=acceptance,
        arm=arm_model.arm,
        max_steps=pcrt_cfg["window"] - 1,
        n_muscles=arm_model.n_muscles,
    )
    for source, repeat in result.failed:
        log.warning(
            "label %d %s: source %d repeat %d rejected after %d attempts", label, plane, source, repeat, acceptance.max_attempts
        )
    log.info("label %d %s shard %d: %d of %d items accepted", label, plane, shard, len(items) - len(result.failed), len(items))
    if hasattr(muscle_function, "n_exact_pairs"):
        log.info(
            "muscle table: %d postures, %d (posture, muscle) pairs by OpenSim (%.2f %%), %d postures outside the box",
            muscle_function.n_points,
            muscle_function.n_exact_pairs,
            100 * muscle_function.n_exact_pairs / max(1, muscle_function.n_points * arm_model.n_muscles),
            muscle_function.n_outside,
        )
    rest = muscle_function(arm_model.arm.q0[None])[0]
    write_shard(
        out,
        result,
        label=label,
        plane=plane,
        attrs={"shard": shard, "seed": seed, "muscle_at_rest_mm": rest.tolist(), "quantity": pcrt_cfg["muscle"]["quantity"]},
    )


def make_selection(shard_paths: Sequence[str | Path], assembly_cfg: dict, seed: int, out: str | Path) -> None:
    """Stage S4a: choose, de-duplicate, place in windows and split the pooled trajectories (a TSV table)."""
    pool = pool_shard_metadata(shard_paths)
    rows = build_selection(
        pool,
        n_per_label_plane=assembly_cfg["n_per_label_plane"],
        n_train=assembly_cfg["n_train"],
        n_test=assembly_cfg["n_test"],
        window=assembly_cfg["window"],
        seed=seed,
        split_seed=assembly_cfg["split_seed"],
        dedup_include_source=assembly_cfg["dedup_include_source"],
    )
    log.info("pool %d trajectories; selected %d", len(pool["length"]), len(rows))
    write_selection(out, rows)


def make_dataset(
    selection_path: str | Path,
    shard_paths: Sequence[str | Path],
    *,
    pcrt_cfg: dict,
    seed: int,
    config_digest: str,
    out: str | Path,
) -> None:
    """Stages S4b + S5: hold-padded windows of both splits and the spindle inputs, in ``dataset.zarr``; the root
    attributes record the layout (window, ``dt_s``, muscles, joints) and the arm model (chain, coordinate map,
    locked coordinates, link lengths)."""
    storage = pcrt_cfg["storage"]
    arm_model = arm_model_from_config(pcrt_cfg)
    dt_s = float(pcrt_cfg.get("dt_s", DT_S))
    window = pcrt_cfg["assembly"]["window"]
    layout = DatasetLayout(window, dt_s, LABEL_LETTERS, arm_model.muscles, arm_model.joints)
    write_dataset(
        out,
        read_selection(selection_path),
        shard_paths,
        window=pcrt_cfg["assembly"]["window"],
        seed=seed,
        spindle=pcrt_cfg["spindle"],
        dtype=storage["dtype"],
        chunk=storage["chunk"],
        dt_s=dt_s,
        attrs={
            "seed": seed,
            "config_digest": config_digest,
            "muscle_quantity": pcrt_cfg["muscle"]["quantity"],
            "muscle_model": Path(pcrt_cfg["muscle"]["model_path"]).name,
            "muscle_backend": pcrt_cfg["muscle"]["backend"],
            "window": window,
            **arm_model.attrs(),
            **layout.store_attrs(),
        },
    )


def make_surrogate_report(
    *,
    surrogate_path: str | Path,
    uniform_report_path: str | Path,
    shard_paths: Sequence[str | Path],
    muscle_cfg: dict,
    seed: int,
    out: str | Path,
) -> None:
    """Stage S2b: validate the surrogate on every step of randomly chosen accepted trajectories, against OpenSim.

    The JSON report holds both validations (uniform postures, from the fit stage, and trajectories); the stage fails
    after writing it if either misses the criteria.
    """
    from neuromotor.pcrt.muscles import load_arm_model
    from neuromotor.pcrt.surrogate import MuscleSurrogate, check_validation, validate_surrogate

    settings = muscle_cfg["surrogate"]
    postures, n_chosen = _accepted_postures(shard_paths, settings["n_val_traj"], np.random.default_rng([seed, 8]))
    surrogate = MuscleSurrogate.load(surrogate_path)
    arm_model = load_arm_model(muscle_cfg["model_path"])
    uniform = json.loads(Path(uniform_report_path).read_text())
    # trajectories visit a narrow part of the joint box: express errors relative to each muscle's full range
    full_range = np.array([uniform["muscles"][name]["range_mm"] for name in surrogate.muscle_names])
    trajectories = validate_surrogate(
        surrogate,
        postures,
        arm_model.evaluate(postures, muscle_cfg["quantity"]),
        max_rmse_rel=settings["max_rmse_rel"],
        max_abs_rel=settings["max_abs_rel"],
        range_mm=full_range,
    )
    report = {
        "model": Path(muscle_cfg["model_path"]).name,
        "quantity": muscle_cfg["quantity"],
        "uniform_postures": uniform,
        "trajectories": {**trajectories, "n_trajectories": int(n_chosen), "n_steps": int(len(postures))},
    }
    write_json(out, report, sort_keys=True)
    check_validation(uniform)
    check_validation(trajectories)


def _accepted_postures(shard_paths: Sequence[str | Path], n_trajectories: int, rng) -> tuple[np.ndarray, int]:
    """Every step (M, 4) deg of ``n_trajectories`` accepted trajectories drawn at random from the shards."""
    pool = pool_shard_metadata(shard_paths)
    n_chosen = min(n_trajectories, len(pool["length"]))
    chosen = np.sort(rng.choice(len(pool["length"]), size=n_chosen, replace=False))
    postures = []
    for index in chosen:
        shard, row, length = pool["shard"][index], pool["row"][index], pool["length"][index]
        joints = read_arrays(shard_paths[shard], names=["joints"])["joints"][row, :, :length]
        postures.append(joints.T)
    return (np.concatenate(postures) if postures else np.zeros((0, 4))), int(n_chosen)


def make_table_report(
    *,
    table_path: str | Path,
    shard_paths: Sequence[str | Path],
    muscle_cfg: dict,
    seed: int,
    out: str | Path,
) -> None:
    """Stage S2b (table backend): the method against OpenSim on every step of random accepted trajectories.

    The trajectories were generated with the table, not used to build it (the table holds grid nodes only), so
    they are held out. The JSON report is written first; the stage then fails naming every muscle that misses the
    criteria (``pcrt.muscle.table.max_error_mm``, ``max_rmse_mm``).
    """
    from neuromotor.pcrt.muscle_table import MuscleTable, TabulatedMuscles, check_tabulated, validate_tabulated
    from neuromotor.pcrt.muscles import load_arm_model

    settings = muscle_cfg["table"]
    postures, n_chosen = _accepted_postures(shard_paths, settings["n_val_traj"], np.random.default_rng([seed, 9]))
    arm_model = load_arm_model(muscle_cfg["model_path"])
    table = MuscleTable.load(table_path)
    method = TabulatedMuscles(table, arm_model, muscle_cfg["quantity"], tuple(settings["exact_muscles"]))
    mask = method.exact_mask(postures) if len(postures) else np.zeros((0, len(table.muscle_names)), bool)
    predicted = method.evaluate(postures) if len(postures) else np.zeros(mask.shape)
    reference = arm_model.evaluate(postures, muscle_cfg["quantity"]) if len(postures) else np.zeros(mask.shape)
    report = validate_tabulated(
        predicted,
        reference,
        mask,
        table.muscle_names,
        max_abs_mm=settings["max_error_mm"],
        max_rmse_mm=settings["max_rmse_mm"],
    )
    report.update(
        model=Path(muscle_cfg["model_path"]).name,
        model_digest=table.model_digest,
        quantity=muscle_cfg["quantity"],
        n_trajectories=n_chosen,
        grid={
            "lower_deg": list(table.grid.lower_deg),
            "upper_deg": table.grid.upper_deg.tolist(),
            "spacing_deg": list(table.grid.spacing_deg),
            "n_nodes": list(table.grid.n_nodes),
        },
        untrusted_cell_fraction=table.untrusted_fraction(),
        exact_muscles=list(settings["exact_muscles"]),
    )
    write_json(out, report, sort_keys=True)
    check_tabulated(report)
