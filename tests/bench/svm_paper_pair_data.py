"""A two-letter PCRT pair at the paper's per-label size, made by the project's own generator (for the SVM benches).

The same code path as the workflow's generation jobs (``neuromotor.pcrt``): template characters, start points,
the polynomial muscle surrogate fitted to the OpenSim arm model, batched exact inverse kinematics with the
acceptance tests (:func:`neuromotor.pcrt.generate.generate_shard`), hold-padded 320-step windows at random
positions and the v1 spindle inputs with proportional noise. Only the assembly's lowest-jerk selection and
de-duplication are skipped: every accepted trajectory is kept, in a random file order. So the features have the
units, scale and conditioning of the real inputs (cm, deg, mm, spikes/s).

    build_pair(labels=(1, 11), n_per_label=8000) -> {"label", "plane", "size", "speed", input: (N, C, 320) float32}

The result is cached under results/bench/ (it takes minutes on one core).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "results" / "bench"
WINDOW = 320


def _generate(labels, n_per_label: int, seed: int) -> dict[str, np.ndarray]:
    from neuromotor.config import validate_config
    from neuromotor.pcrt.assemble import draw_start_id, hold_pad
    from neuromotor.pcrt.characters import TemplateVariability, load_templates, preprocess_characters, sample_template_characters
    from neuromotor.pcrt.generate import PURPOSE_SPINDLE_NOISE, generate_shard, item_rng
    from neuromotor.pcrt.muscles import load_arm_model
    from neuromotor.pcrt.spindles import spindle_firing
    from neuromotor.pcrt.surrogate import fit_surrogate
    from neuromotor.pcrt.workspace import StartpointSearch, find_startpoints

    cfg = validate_config({})["pcrt"]
    templates = load_templates(ROOT / "resources/characters/templates.json")
    sources_per_letter, planes = 100, ("horizontal", "vertical")
    repeats = -(-n_per_label // (sources_per_letter * len(planes)))
    samples, source_labels = sample_template_characters(templates, sources_per_letter, TemplateVariability(), seed, labels=labels)
    characters, lengths = preprocess_characters(samples)
    settings = cfg["muscle"]["surrogate"]
    arm_model = load_arm_model(cfg["muscle"]["model_path"] if Path(cfg["muscle"]["model_path"]).is_absolute()
                               else ROOT / cfg["muscle"]["model_path"])
    surrogate = fit_surrogate(arm_model, cfg["muscle"]["quantity"], degree=settings["degree"], ridge=settings["ridge"],
                              n_fit=settings["n_fit"], seed=seed)
    out = {k: [] for k in ("label", "plane", "size", "speed", "endeffector_coords", "joint_coords", "muscle_coords",
                           "spindle_firing")}
    rng = np.random.default_rng([seed, 99])
    for plane in planes:
        startpoints = find_startpoints(StartpointSearch(), plane)
        for label in labels:
            sources = np.flatnonzero(np.asarray(source_labels) == label)
            items = [(int(s), r) for r in range(repeats) for s in sources][: n_per_label // len(planes)]
            shard = generate_shard(items, characters, lengths, label, plane, startpoints, surrogate.predict, seed=seed,
                                   max_steps=WINDOW - 1).arrays
            for row in range(len(shard["length"])):
                steps = int(shard["length"][row])
                start = draw_start_id(steps, WINDOW, rng)
                pad = lambda key: hold_pad(shard[key][row, :, :steps], start, WINDOW)  # noqa: E731
                muscles = pad("muscles")
                noise_rng = item_rng(seed, label, plane, int(shard["source_index"][row]), int(shard["repeat"][row]),
                                     purpose=PURPOSE_SPINDLE_NOISE)
                out["endeffector_coords"].append(pad("endeffector"))
                out["joint_coords"].append(pad("joints"))
                out["muscle_coords"].append(muscles)
                out["spindle_firing"].append(spindle_firing(muscles[None], [noise_rng], variant="deepdraw",
                                                            noise=cfg["spindle"]["noise"])[0])
                out["label"].append(label)
                out["plane"].append(planes.index(plane))
                out["size"].append(shard["size"][row])
                out["speed"].append(shard["speed"][row])
    order = np.random.default_rng([seed, 100]).permutation(len(out["label"]))
    arrays = {k: np.asarray(v)[order] for k, v in out.items()}
    for key in ("endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing"):
        arrays[key] = arrays[key].astype(np.float32)
    return arrays


def build_pair(labels=(1, 11), n_per_label: int = 8000, seed: int = 2023) -> dict[str, np.ndarray]:
    """The pair's training samples (cached in results/bench/svm_pair_<i>_<j>_<n>.npz)."""
    path = CACHE / f"svm_pair_{labels[0]}_{labels[1]}_{n_per_label}_{seed}.npz"
    if path.is_file():
        with np.load(path) as data:
            return dict(data)
    arrays = _generate(tuple(labels), n_per_label, seed)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return arrays
